#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# What -w does with hostile paths and descriptors: a symlink planted by another user is not
# followed, capture files are 0600 new or reused, closed fds 0-2 keep the file clean, a failed
# start leaves an existing file as it was, and a reader that goes away ends unixcap with exit 0,
# whether it writes (head -c) or not (a hang-up noticed while idle).
. "$(dirname "$0")/lib.sh"

ALL="file safety"
why=$(bpf_unavailable)
if [ -n "$why" ]; then skip "$ALL" "$why"; exit 0; fi
for tool in tshark runuser head sha256sum python3; do
    command -v "$tool" >/dev/null || { skip "$ALL" "$tool not installed"; exit 0; }
done
id nobody >/dev/null 2>&1 || { skip "$ALL" "no user 'nobody'"; exit 0; }
as_nobody() { runuser -u nobody -- "$@"; }

# A sticky world-writable directory, as /tmp is, where nobody plants names before root writes.
chmod 711 "$WORK"
T=$WORK/tmp
mkdir -m 1777 "$T"

# 1. A symlink planted by another user: refused, its root-owned target unchanged.
echo "root's file" >"$T/victim"
before=$(sha256sum <"$T/victim")
as_nobody ln -s "$T/victim" "$T/x.pcapng"
out=$(timeout 10 "$UNIXCAP" -w "$T/x.pcapng" -c 1 2>&1); rc=$?
check "a symlink planted by nobody is refused: exit 1, one line naming it" "exit $rc: $out" \
    eval '[ $rc = 1 ] && grep -q "x.pcapng.: it is a symbolic link" <<<"$out"'
check "... and its target is unchanged" "$(head -c 100 "$T/victim" | tr -d '\0')" \
    eval '[ "$(sha256sum <"$T/victim")" = "$before" ]'
as_nobody mkfifo "$T/fifo.pcapng"
out=$(timeout 10 "$UNIXCAP" -w "$T/fifo.pcapng" -c 1 2>&1); rc=$?
check "a FIFO planted by nobody is refused (its reader would get the capture)" "exit $rc: $out" \
    eval '[ $rc = 1 ] && grep -q "belongs to another user" <<<"$out"'
as_nobody ln -s "$T/victim" "$T/r.pcapng1"
start_capture rot -w "$T/r.pcapng" -C 1 --path "$WORK/r.sock" ||
    { fail "rotation: unixcap starts" "$(head -3 "$WORK/rot.err" | tr '\n' ' ')"; }
"$UCGEN" --type stream --addr "path:$WORK/r.sock" --sizes 700000,700000 >/dev/null 2>&1
wait_exit "$UC_PID" 10
err=$(cat "$WORK/rot.err")
[ "$RC" = timeout ] || UC_PID=""
check "-C: a rotation onto a planted symlink stops the capture with an error" "exit $RC: $err" \
    eval '[ "$RC" = 1 ] && grep -q "r.pcapng1 failed: Too many levels of symbolic links" <<<"$err"'
check "... and the target is unchanged" "$(head -c 100 "$T/victim" | tr -d '\0')" \
    eval '[ "$(sha256sum <"$T/victim")" = "$before" ]'

# 2. Modes: a new file is 0600; a reused one that was 0666 is 0600 once unixcap has it.
umask 000
start_capture new -w "$WORK/new.pcapng" --path "$WORK/m.sock"
stop_capture new || fail "new file: unixcap stops" "$STOP_ERR"
m=$(stat -c %a "$WORK/new.pcapng")
check "a new capture file is mode 600 (umask 000)" "mode $m" [ "$m" = 600 ]
echo old >"$WORK/reused.pcapng"; chmod 666 "$WORK/reused.pcapng"
start_capture reused -w "$WORK/reused.pcapng" --path "$WORK/m.sock"
m=$(stat -c %a "$WORK/reused.pcapng")
stop_capture reused || fail "reused file: unixcap stops" "$STOP_ERR"
check "a reused 0666 file is mode 600 while the capture is in it" "mode $m" [ "$m" = 600 ]
umask 022

# 3. stderr closed: the file stays a valid pcapng with nothing else in it.
"$UNIXCAP" -w "$WORK/closed.pcapng" --path "$WORK/c.sock" 2>&- &
UC_PID=$!
for _ in $(seq 100); do [ -s "$WORK/closed.pcapng" ] && break; sleep 0.1; done
"$UCGEN" --type dgram --addr "path:$WORK/c.sock" --sizes 10,20 >/dev/null 2>&1
sleep 0.5
kill -INT "$UC_PID"; wait "$UC_PID"; rc=$?; UC_PID=""
out=$(tshark -r "$WORK/closed.pcapng" 2>&1 >/dev/null | grep -v '^Running as user')
check "2>&-: exit 0 and tshark reads the file without error" "exit $rc: $out" \
    eval '[ $rc = 0 ] && [ -z "$out" ] && ! grep -aq listening "$WORK/closed.pcapng"'

# 4. A failed start (nobody has no BPF privilege) leaves an existing file byte for byte.
cp "$WORK/new.pcapng" "$T/own.pcapng"; chown nobody "$T/own.pcapng"
before=$(sha256sum <"$T/own.pcapng")
out=$(as_nobody "$UNIXCAP" -w "$T/own.pcapng" -c 1 2>&1); rc=$?
check "as nobody without capabilities: exit 1, permission error" "exit $rc: $out" \
    eval '[ $rc = 1 ] && grep -qi "permission" <<<"$out"'
check "... the existing -w file is byte-identical" "$(stat -c %s "$T/own.pcapng") bytes now" \
    eval '[ "$(sha256sum <"$T/own.pcapng")" = "$before" ]'
as_nobody "$UNIXCAP" -w "$T/fresh.pcapng" -c 1 >/dev/null 2>&1
check "... and a file it created for that start is removed" "it is there" [ ! -e "$T/fresh.pcapng" ]

# 5. unixcap -U -w - | head -c 100 under traffic: exit 0 every time.
python3 -c '
import socket, time
a, b = socket.socketpair()
end = time.time() + 60
while time.time() < end:
    a.send(b"x" * 200); b.recv(4096)' &
traffic=$!
N=20 ok=0 codes=""
for _ in $(seq $N); do
    "$UNIXCAP" -U -w - 2>"$WORK/head.err" | head -c 100 >/dev/null
    rc=${PIPESTATUS[0]}; codes="$codes $rc"
    [ "$rc" = 0 ] && ! grep -qi "broken pipe\|cannot" "$WORK/head.err" && ok=$((ok + 1))
done
kill "$traffic" 2>/dev/null; wait "$traffic" 2>/dev/null
check "unixcap -U -w - | head -c 100 under traffic: exit 0, no error, $ok of $N runs" \
    "exit codes:$codes; last stderr: $(head -2 "$WORK/head.err" | tr '\n' ' ')" [ "$ok" = "$N" ]

# ... and a reader gone before the headers are written (the pipe's read end closed first).
for how in "-w - --path /nonexistent-traffic" "-r $WORK/new.pcapng -w -"; do
    # shellcheck disable=SC2086 # $how is several words on purpose
    out=$(python3 -c 'import os, subprocess, sys
r, w = os.pipe()
os.close(r)
sys.exit(subprocess.call(sys.argv[1:], stdout=w, timeout=30))' \
        timeout 20 "$UNIXCAP" $how 2>&1); rc=$?
    check "unixcap $how into a pipe without reader: exit 0" "exit $rc: $out" [ "$rc" = 0 ]
done

# 6. A reader that goes away while nothing is written: noticed within about a second.
for how in "-U -w -" "-q"; do
    start=$(date +%s%N)
    # shellcheck disable=SC2086 # $how is two or three words on purpose
    timeout 10 "$UNIXCAP" $how --path /nonexistent-traffic 2>"$WORK/hup.err" | (sleep 1; exit 0)
    rc=${PIPESTATUS[0]}
    ms=$((($(date +%s%N) - start) / 1000000))
    check "unixcap $how, idle, its reader gone after 1 s: exit 0 within 2.5 s" \
        "exit $rc after $ms ms: $(head -2 "$WORK/hup.err" | tr '\n' ' ')" \
        eval '[ "$rc" = 0 ] && [ "$ms" -lt 2500 ]'
done
