#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# unixcap -- COMMAND and --pid N --children: a command and every process it starts, short-lived
# or started late, captured from its first syscall, and nothing of an unrelated process; the
# capture ends with the last of them and says how COMMAND ended. The kernel follows the forks.
. "$(dirname "$0")/lib.sh"

why=$(bpf_unavailable)
if [ -n "$why" ]; then skip "capturing a command" "$why"; exit 0; fi
command -v socat >/dev/null || { skip "capturing a command" "socat not installed"; exit 0; }
command -v tshark >/dev/null || { skip "capturing a command" "tshark not installed"; exit 0; }

sock=$WORK/f.sock
# An echo server outside every capture: its replies are captured only to followed processes.
python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(64)
open(sys.argv[2], "w").close()
while True:
    c, _ = s.accept(); c.send(c.recv(4096)); c.close()
' "$sock" "$WORK/ready" & server=$!
for _ in $(seq 100); do [ -e "$WORK/ready" ] && break; sleep 0.05; done

# payloads FILE: each data packet's payload as text, one a line, sorted.
payloads() {
    tshark -r "$1" -Y 'tcp.len > 0' -T fields -e tcp.payload 2>/dev/null |
        while read -r hex; do printf '%s\n' "$(printf '%s' "$hex" | xxd -r -p)"; done | sort
}
# expected WORD...: each word twice (the send and its echo), sorted, as payloads prints them.
expected() { for w in "$@"; do printf '%s\n%s\n' "$w" "$w"; done | sort; }

# 1. A command whose children are short-lived, and whose grandchild connects 1 s after the
#    command itself has exited, while an unrelated process talks all along.
python3 -c '
import socket, time
a, b = socket.socketpair()
end = time.time() + 6
while time.time() < end:
    a.send(b"UNRELATED"); b.recv(100); time.sleep(0.05)
' & unrelated=$!
tag=$RANDOM$RANDOM
script="printf FIRST-$tag | socat - UNIX-CONNECT:$sock >/dev/null
for i in 1 2 3 4 5 6 7 8 9 10; do printf SHORT-\$i-$tag | socat - UNIX-CONNECT:$sock >/dev/null; done
(sleep 1; printf LATE-$tag | socat - UNIX-CONNECT:$sock >/dev/null) &
exit 3"
started=$(date +%s%N)
timeout 30 "$UNIXCAP" -w "$WORK/cmd.pcapng" -- sh -c "$script" >"$WORK/cmd.out" 2>"$WORK/cmd.err"
rc=$?
took_ms=$(( ($(date +%s%N) - started) / 1000000 ))
cp "$WORK"/cmd.* "$LOG_DIR/" 2>/dev/null
check "unixcap -- COMMAND ends by itself once the last descendant has exited (exit $rc, ${took_ms} ms)" \
    "$(tail -3 "$WORK/cmd.err" | tr '\n' ' ')" bash -c "[ $rc = 0 ] && [ $took_ms -ge 1000 ]"
check "the summary says how COMMAND ended" "$(tail -3 "$WORK/cmd.err" | tr '\n' ' ')" \
    grep -qx 'sh exited with status 3' "$WORK/cmd.err"
words=(FIRST-$tag $(for i in $(seq 10); do echo SHORT-$i-$tag; done) LATE-$tag)
got=$(payloads "$WORK/cmd.pcapng" | sha256sum)
want=$(expected "${words[@]}" | sha256sum)
check "every message of the command, its 10 short-lived children and its late grandchild, both ways (sha256)" \
    "got: $(payloads "$WORK/cmd.pcapng" | sort | uniq -c | tr '\n' ' ')" test "$got" = "$want"
unrelated_seen=$(payloads "$WORK/cmd.pcapng" | grep -c UNRELATED)
check "nothing of the unrelated process running at the same time ($unrelated_seen of its messages)" \
    "$unrelated_seen captured" test "$unrelated_seen" = 0
filter=$(capinfos "$WORK/cmd.pcapng" 2>/dev/null | sed -n 's/^ *Description = //p' | head -1)
check "the interface description names the command ($filter)" "$filter" \
    bash -c "grep -qF -- \"-- sh -c 'printf FIRST-$tag\" <<<\"\$1\"" _ "$filter"
wait "$unrelated"

# 2. Started through sudo, COMMAND runs as the user who typed it; its stdout is not the pcapng
#    of -w -.
SUDO_USER=nobody SUDO_UID=$(id -u nobody) timeout 20 "$UNIXCAP" -q -- sh -c 'id -u >&2; echo "HOME=$HOME"' \
    >"$WORK/sudo.out" 2>"$WORK/sudo.err"
check "through sudo, COMMAND runs as the invoking user ($(grep -x '[0-9]*' "$WORK/sudo.err" | head -1))" \
    "$(cat "$WORK/sudo.err" | tr '\n' ' ')" grep -qx "$(id -u nobody)" "$WORK/sudo.err"
check "... with that user's HOME" "$(cat "$WORK/sudo.out")" grep -qx "HOME=$(getent passwd nobody | cut -d: -f6)" "$WORK/sudo.out"
timeout 20 "$UNIXCAP" -w - -- sh -c "printf '%s-%s\\n' ON STDOUT; printf PIPED-$tag | socat - UNIX-CONNECT:$sock >/dev/null" \
    >"$WORK/pipe.pcapng" 2>"$WORK/pipe.err"
check "-w - keeps stdout for the pcapng: COMMAND's stdout goes to stderr" "$(head -3 "$WORK/pipe.err" | tr '\n' ' ')" \
    bash -c "grep -qx ON-STDOUT '$WORK/pipe.err' && ! grep -aq ON-STDOUT '$WORK/pipe.pcapng' && capinfos '$WORK/pipe.pcapng' >/dev/null 2>&1"
check "... and the capture through the pipe holds its messages" "$(payloads "$WORK/pipe.pcapng" | tr '\n' ' ')" \
    test "$(payloads "$WORK/pipe.pcapng" | sha256sum)" = "$(expected PIPED-$tag | sha256sum)"

# 3. --pid N --children: a running process, a child it started before the capture, and one it
#    starts during it; the capture ends when they have.
bash -c "(while [ ! -e '$WORK/go' ]; do sleep 0.05; done; printf PRESTARTED-$tag | socat - UNIX-CONNECT:$sock >/dev/null) &
while [ ! -e '$WORK/go' ]; do sleep 0.05; done
printf RUNNING-$tag | socat - UNIX-CONNECT:$sock >/dev/null
wait" & parent=$!
sleep 0.3
start_capture children -w "$WORK/children.pcapng" --pid "$parent" --children ||
    { fail "--pid N --children" "unixcap did not start"; exit 0; }
touch "$WORK/go"
wait "$parent"
wait_exit "$UC_PID" 10; rc=$RC; UC_PID=""
cp "$WORK"/children.* "$LOG_DIR/" 2>/dev/null
check "--pid N --children ends by itself when N and its descendants have exited ($rc)" \
    "$(tail -2 "$WORK/children.err" | tr '\n' ' ')" test "$rc" = 0
check "... capturing the child started before the capture and the one started during it (sha256)" \
    "got: $(payloads "$WORK/children.pcapng" | tr '\n' ' ')" \
    test "$(payloads "$WORK/children.pcapng" | sha256sum)" = "$(expected PRESTARTED-$tag RUNNING-$tag | sha256sum)"

# 4. What cannot be done says so.
"$UNIXCAP" --children >/dev/null 2>"$WORK/e1"; rc1=$?
"$UNIXCAP" -- >/dev/null 2>"$WORK/e2"; rc2=$?
"$UNIXCAP" -r "$WORK/cmd.pcapng" -- true >/dev/null 2>"$WORK/e3"; rc3=$?
"$UNIXCAP" --pid 1 -- true >/dev/null 2>"$WORK/e4"; rc4=$?
check "usage errors exit 2 with one line: --children without --pid, '--' alone, with -r, with --pid ($rc1 $rc2 $rc3 $rc4)" \
    "$(cat "$WORK"/e1 "$WORK"/e2 "$WORK"/e3 "$WORK"/e4 | tr '\n' ' ')" \
    bash -c "[ '$rc1 $rc2 $rc3 $rc4' = '2 2 2 2' ] && grep -q 'needs --pid' '$WORK/e1' && grep -q 'needs a COMMAND' '$WORK/e2' && [ \$(cat '$WORK'/e1 '$WORK'/e2 '$WORK'/e3 '$WORK'/e4 | wc -l) = 4 ]"
gone=$( (sleep 0.01 & echo $!) ); sleep 0.1
timeout 10 "$UNIXCAP" --pid "$gone" --children >/dev/null 2>"$WORK/e5"; rc5=$?
check "--pid of no process with --children: exit 1, one line ($(cat "$WORK/e5"))" "exit $rc5" \
    bash -c "[ $rc5 = 1 ] && grep -q 'no such process' '$WORK/e5'"
timeout 20 "$UNIXCAP" -q -- "$WORK/no-such-program" >/dev/null 2>"$WORK/e6"; rc6=$?
check "a COMMAND that cannot run: said, and its status 127 in the summary (exit $rc6)" "$(cat "$WORK/e6" | tr '\n' ' ')" \
    bash -c "[ $rc6 = 0 ] && grep -q 'cannot run' '$WORK/e6' && grep -qx 'no-such-program exited with status 127' <(sed 's|^.*/||' '$WORK/e6')"
kill "$server" 2>/dev/null
exit 0
