#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Who passed what to whom: descriptors passed with SCM_RIGHTS are named as they were when sent
# (a file by its path, a socket by its address and inode, a pipe by its inode, a memfd and an
# eventfd by name), credentials with SCM_CREDENTIALS, in the text dump and the pcapng comments.
. "$(dirname "$0")/lib.sh"

why=$(bpf_unavailable)
if [ -n "$why" ]; then skip "passed fds and credentials" "$why"; exit 0; fi
command -v tshark >/dev/null || { skip "passed fds and credentials" "tshark not installed"; exit 0; }

echo "passed file" >"$WORK/passed.txt"
start_capture fdtext --comm ucfds || { fail "passed fds (text)" "unixcap did not start"; exit 0; }
UC_TEXT=$UC_PID
start_capture fdpcap --comm ucfds -w "$WORK/fds.pcapng" || { fail "passed fds (pcapng)" "unixcap did not start"; exit 0; }
UC_PCAP=$UC_PID
python3 - "$WORK/passed.txt" "$WORK/expected" <<'PY'
import array, ctypes, os, socket, struct, sys
ctypes.CDLL(None).prctl(15, b"ucfds", 0, 0, 0)  # PR_SET_NAME: the captures select this comm
a, b = socket.socketpair()
f = open(sys.argv[1], "rb")
s = socket.socket(socket.AF_UNIX); s.bind(b"\0ucfds-%d" % os.getpid())
r, w = os.pipe()
m = os.memfd_create("ucfds-memfd")
e = os.eventfd(0)
fds = [f.fileno(), s.fileno(), r, m, e]
creds = struct.pack("3i", os.getpid(), os.getuid(), os.getgid())
a.sendmsg([b"here are fds"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds)),
                              (socket.SOL_SOCKET, socket.SCM_CREDENTIALS, creds)])
b.recvmsg(100, 4096)
st = [os.fstat(x) for x in fds]
with open(sys.argv[2], "w") as out:
    out.write("%d %d %d %d %d\n" % (os.getpid(), st[0].st_ino, st[1].st_ino, st[2].st_ino, fds[0]))
PY
read -r pid file_ino sock_ino pipe_ino file_fd <"$WORK/expected" || { fail "passed fds" "the sender failed"; exit 0; }
UC_PID=$UC_TEXT; stop_capture fdtext || { fail "passed fds (text)" "$STOP_ERR"; exit 0; }
UC_PID=$UC_PCAP; stop_capture fdpcap || { fail "passed fds (pcapng)" "$STOP_ERR"; exit 0; }

check_text() { # name pattern
    if grep -qF -- "$2" "$WORK/fdtext.out"; then pass "text dump: $1"; else fail "text dump: $1" "no line '$2'"; fi
}
check_text "a passed regular file is named by its path" "passed fd $file_fd: file $WORK/passed.txt, inode $file_ino]"
check_text "a passed socket by its address and inode" "socket @ucfds-$pid, inode $sock_ino]"
check_text "a passed pipe by its inode" "pipe inode $pipe_ino]"
check_text "a passed memfd by its name" "memfd ucfds-memfd,"
check_text "a passed eventfd as an anonymous inode" "anon [eventfd],"
check_text "credentials sent with SCM_CREDENTIALS" "[credentials pid $pid uid $(id -u) gid $(id -g)]"

comment=$(tshark_fields "$WORK/fds.pcapng" frame.comment | grep -m1 'scm_rights=')
for want in "scm_rights=5" "fd=$file_fd,file,$file_ino,$WORK/passed.txt" "socket,$sock_ino,@ucfds-$pid" \
            "pipe,$pipe_ino," "memfd" "scm_creds=$pid,$(id -u),$(id -g)"; do
    if grep -qF -- "$want" <<<"$comment"; then pass "pcapng comment has $want"; else fail "pcapng comment has $want" "comment: ${comment:0:300}"; fi
done

# Both ends: the process that read each message is named (text: a "read" line; pcapng: the
# reader's ACK, whose acknowledgement number moves by what it consumed, not by what it peeked),
# with the sender's peer credentials (SO_PEERCRED: for a socketpair, its creator's).
start_capture readers -w "$WORK/readers.pcapng" --comm ucwriter || { fail "readers" "unixcap did not start"; exit 0; }
UC_PCAP=$UC_PID
start_capture readtext --comm ucwriter || { fail "readers (text)" "unixcap did not start"; exit 0; }
UC_TEXT=$UC_PID
python3 - "$WORK/readers.expected" <<'PY'
import ctypes, os, socket, sys
# Named before the fork: --comm is decided when each syscall enters, by this process's name or
# its peer's (the socketpair's creator), so the reader's first recv must find "ucwriter" already.
ctypes.CDLL(None).prctl(15, b"ucwriter", 0, 0, 0)
a, b = socket.socketpair()
if os.fork() == 0:
    ctypes.CDLL(None).prctl(15, b"ucreader", 0, 0, 0)
    a.close()
    b.recv(5, socket.MSG_PEEK); b.recv(5); b.recv(100)
    os._exit(0)
b.close()
a.send(b"hello world!")
pid, _ = os.wait()
open(sys.argv[1], "w").write("%d %d\n" % (os.getpid(), pid))
PY
read -r writer reader <"$WORK/readers.expected" || { fail "readers" "the traffic failed"; exit 0; }
UC_PID=$UC_TEXT; stop_capture readtext || { fail "readers (text)" "$STOP_ERR"; exit 0; }
UC_PID=$UC_PCAP; stop_capture readers || { fail "readers" "$STOP_ERR"; exit 0; }
if grep -q "^[0-9:.]* ucreader\[$reader\] stream .* < .* read 5 (peek: left queued)$" "$WORK/readtext.out" &&
   grep -q "^[0-9:.]* ucreader\[$reader\] stream .* < .* read 7$" "$WORK/readtext.out"; then
    pass "text dump names the reading process, and its peek"
else
    fail "text dump names the reading process, and its peek" "$(grep read "$WORK/readtext.out" | head -3 | tr '\n' '|')"
fi
acks=$(tshark -r "$WORK/readers.pcapng" -Y 'frame.comment contains "event=read"' -T fields -e tcp.ack -e frame.comment 2>/dev/null)
if grep -q "^1	.*peeked (left queued) 5 bytes by ucreader\[$reader\]" <<<"$acks" &&
   grep -q "^6	.*read 5 bytes by ucreader\[$reader\]" <<<"$acks" && grep -q "^13	.*read 7 bytes" <<<"$acks"; then
    pass "the reader's ACKs move by what it consumed, not by what it peeked"
else
    fail "the reader's ACKs move by what it consumed, not by what it peeked" "$(cut -c1-120 <<<"$acks" | tr '\n' '|')"
fi
if tshark_fields "$WORK/readers.pcapng" frame.comment | grep -q "pid=$writer .*peer_pid=$writer .*peer_uid=$(id -u) peer_gid=$(id -g) "; then
    pass "the sender's metadata has its peer's credentials (SO_PEERCRED)"
else
    fail "the sender's metadata has its peer's credentials (SO_PEERCRED)" "no pid=$writer ... peer_pid=$writer peer_uid=..."
fi

# recvmmsg: each message read is attributed on its own, with its length.
command -v cc >/dev/null || { skip "recvmmsg attribution" "no C compiler"; exit 0; }
cat >"$WORK/ucmmsg.c" <<'C'
#define _GNU_SOURCE
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
int main(void)
{
	int sv[2];
	char buf[3][64];
	struct iovec iov[3];
	struct mmsghdr m[3];

	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) < 0)
		return 1;
	for (int i = 0; i < 3; i++) {
		if (send(sv[0], "abcdefghij", (size_t)(3 + i), 0) != 3 + i)
			return 1;
		iov[i] = (struct iovec){ buf[i], sizeof(buf[i]) };
		memset(&m[i], 0, sizeof(m[i]));
		m[i].msg_hdr.msg_iov = &iov[i];
		m[i].msg_hdr.msg_iovlen = 1;
	}
	return recvmmsg(sv[1], m, 3, 0, NULL) == 3 ? 0 : 1;
}
C
cc -o "$WORK/ucmmsg" "$WORK/ucmmsg.c" || { fail "recvmmsg attribution" "cannot build the test program"; exit 0; }
start_capture mmsg --comm ucmmsg || { fail "recvmmsg attribution" "unixcap did not start"; exit 0; }
"$WORK/ucmmsg" || { fail "recvmmsg attribution" "the test program failed"; }
stop_capture mmsg || { fail "recvmmsg attribution" "$STOP_ERR"; exit 0; }
reads=$(grep -o ' read [0-9]*$' "$WORK/mmsg.out" | tr -d '\n')
if [ "$reads" = " read 3 read 4 read 5" ]; then pass "recvmmsg: each message read is attributed with its length"; else fail "recvmmsg: each message read is attributed with its length" "reads:$reads"; fi
