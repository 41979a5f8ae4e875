#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Socket identity that survives the file system: --path through a symlinked directory, by the
# socket file's identity from another mount namespace, never by a look-alike name in another
# mount namespace; --inode for unnamed sockets; --cgroup for a process moved into a cgroup.
. "$(dirname "$0")/lib.sh"

why=$(bpf_unavailable)
if [ -n "$why" ]; then skip "socket identity" "$why"; exit 0; fi
command -v unshare >/dev/null || { skip "socket identity" "unshare not installed"; exit 0; }
mkdir -p "$WORK/d" "$WORK/other"

server() { # PATH READY_FILE CONNECTIONS: an echo server
    python3 -c "
import socket, sys
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen()
open(sys.argv[2], 'w').close()
for _ in range(int(sys.argv[3])):
    c, _ = s.accept(); c.send(c.recv(100)); c.close()
" "$@"
}
client() { # PATH WORD
    python3 -c "
import socket, sys
c = socket.socket(socket.AF_UNIX); c.connect(sys.argv[1]); c.send(sys.argv[2].encode()); c.recv(100)
" "$@"
}
wait_for() { for _ in $(seq 100); do [ -e "$1" ] && return 0; sleep 0.05; done; return 1; }

# 1. A path given through a symlinked directory matches a server bound under the real one,
#    even one created after the capture started.
link="$WORK/runlink"; ln -s "$WORK/d" "$link"
start_capture canon --path "$link/late.sock" || { fail "symlinked --path" "unixcap did not start"; exit 0; }
server "$WORK/d/late.sock" "$WORK/ready1" 1 & sp=$!
wait_for "$WORK/ready1" && client "$WORK/d/late.sock" CANONICAL; wait $sp
if stop_capture canon && [ "$(grep -c CANONICAL "$WORK/canon.out")" = 2 ]; then
    pass "--path through a symlinked directory matches the real path (both directions)"
else
    fail "--path through a symlinked directory matches the real path" "${STOP_ERR:-$(grep -c CANONICAL "$WORK/canon.out") of 2 messages}"
fi

# 2. An existing socket, reached from another mount namespace under another name (a bind
#    mount), matches by identity; a different socket bound at the same name in another mount
#    namespace does not; the same name in ours does.
server "$WORK/d/s.sock" "$WORK/ready2" 2 & sp=$!
wait_for "$WORK/ready2"
start_capture ident --path "$WORK/d/s.sock" || { fail "socket identity" "unixcap did not start"; exit 0; }
unshare --mount sh -c "mount --bind '$WORK/d' '$WORK/other' && python3 -c \"
import socket
c = socket.socket(socket.AF_UNIX); c.connect('$WORK/other/s.sock'); c.send(b'BYIDENTITY'); c.recv(100)\""
unshare --mount sh -c "mount -t tmpfs none '$WORK/d' && python3 -c \"
import socket
s = socket.socket(socket.AF_UNIX); s.bind('$WORK/d/s.sock'); s.listen()
c = socket.socket(socket.AF_UNIX); c.connect('$WORK/d/s.sock'); a, _ = s.accept()
c.send(b'IMPOSTOR'); a.recv(100)\""
client "$WORK/d/s.sock" SAMENAME
wait $sp
stop_capture ident || { fail "socket identity" "$STOP_ERR"; exit 0; }
n=$(grep -c BYIDENTITY "$WORK/ident.out")
if [ "$n" = 2 ]; then pass "a socket reached by another name from another mount namespace matches by identity"; else fail "a socket reached by another name from another mount namespace matches by identity" "$n of 2 messages"; fi
n=$(grep -c IMPOSTOR "$WORK/ident.out")
if [ "$n" = 0 ]; then pass "the same name bound in another mount namespace does not match"; else fail "the same name bound in another mount namespace does not match" "$n messages"; fi
n=$(grep -c SAMENAME "$WORK/ident.out")
if [ "$n" = 2 ]; then pass "the name itself still matches in our mount namespace"; else fail "the name itself still matches in our mount namespace" "$n of 2 messages"; fi

# 3. --inode selects an unnamed socket pair by either end's inode; another pair stays out.
python3 -c "
import os, socket, sys, time
pairs = [socket.socketpair() for _ in range(2)]
open(sys.argv[1], 'w').write(' '.join(str(os.fstat(p[1].fileno()).st_ino) for p in pairs))
while not os.path.exists(sys.argv[2]):
    time.sleep(0.02)
for i, (a, b) in enumerate(pairs):
    a.send(b'PAIR%d-AB' % i); b.recv(100); b.send(b'PAIR%d-BA' % i); a.recv(100)
" "$WORK/inodes" "$WORK/go" & gp=$!
wait_for "$WORK/inodes"; sleep 0.1
read -r ino0 _ <"$WORK/inodes"
start_capture inode --inode "$ino0" || { fail "--inode" "unixcap did not start"; exit 0; }
touch "$WORK/go"; wait $gp
stop_capture inode || { fail "--inode" "$STOP_ERR"; exit 0; }
if [ "$(grep -c 'PAIR0-' "$WORK/inode.out")" = 2 ] && [ "$(grep -c 'PAIR1-' "$WORK/inode.out")" = 0 ]; then
    pass "--inode selects one unnamed pair, both directions"
else
    fail "--inode selects one unnamed pair, both directions" "$(grep -c 'PAIR0-' "$WORK/inode.out") of 2 wanted, $(grep -c 'PAIR1-' "$WORK/inode.out") unwanted"
fi

# 4. --cgroup: only the process moved into the cgroup; its cgroup is in the metadata.
root=$(awk '$3 == "cgroup2" {print $2; exit}' /proc/self/mounts)
if [ -z "$root" ] || ! mkdir "$root/unixcap-test-$$" 2>/dev/null; then
    skip "--cgroup" "no writable cgroup v2 hierarchy"; exit 0
fi
cg="$root/unixcap-test-$$"
start_capture cgroup --cgroup "$cg" -w "$WORK/cgroup.pcapng" || { fail "--cgroup" "unixcap did not start"; rmdir "$cg"; exit 0; }
sh -c "echo \$\$ > '$cg/cgroup.procs' && exec python3 -c \"
import socket; a, b = socket.socketpair(); a.send(b'INSIDE'); b.recv(10)\""
python3 -c "import socket; a, b = socket.socketpair(); a.send(b'OUTSIDE'); b.recv(10)"
stop_capture cgroup; rc=$?
rmdir "$cg"
[ "$rc" = 0 ] || { fail "--cgroup" "$STOP_ERR"; exit 0; }
payloads=$(tshark_fields "$WORK/cgroup.pcapng" tcp.payload | tr -d '\n')
if [ "$payloads" = "$(printf INSIDE | od -An -tx1 | tr -d ' \n')" ]; then pass "--cgroup captures only the process moved into the cgroup"; else fail "--cgroup captures only the process moved into the cgroup" "payloads: $payloads"; fi
if tshark_fields "$WORK/cgroup.pcapng" frame.comment | grep -q "cgroup=/unixcap-test-$$"; then pass "the sender's cgroup is in the metadata"; else fail "the sender's cgroup is in the metadata" "no cgroup=/unixcap-test-$$ in the comments"; fi
