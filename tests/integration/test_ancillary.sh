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
