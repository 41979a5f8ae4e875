#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Who is talking, as Wireshark 5 reads it: every packet names its process (epb_processid_threadid)
# and a process block (Wireshark custom block, PEN 32622) describes that process before its first
# packet (name, executable, command line, parent, uid, user, start time), and again after an exec
# changes its name. Wireshark 4.0 (tshark) and -r still read the file.
. "$(dirname "$0")/lib.sh"

why=$(bpf_unavailable)
if [ -n "$why" ]; then skip "process blocks" "$why"; exit 0; fi
command -v tshark >/dev/null || { skip "process blocks" "tshark not installed"; exit 0; }

# Two names for one interpreter: an exec from one to the other keeps the pid, changes the name.
py=$(python3 -c 'import os, sys; print(os.path.realpath(sys.executable))')
cp "$py" "$WORK/ucproc-a" && cp "$py" "$WORK/ucproc-b" || { fail "process blocks" "cannot copy python3"; exit 0; }
cat >"$WORK/client.py" <<'PY'
import os, socket, sys, time
c = socket.socket(socket.AF_UNIX); c.settimeout(10)
c.connect(sys.argv[1]); c.send(sys.argv[2].encode()); c.recv(100)
c.close()
time.sleep(0.5)  # still alive when unixcap describes it
if sys.argv[2] == "first":
    os.execv(sys.argv[3], [sys.argv[3], sys.argv[0], sys.argv[1], "second"])
PY
python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(); s.settimeout(20)
open(sys.argv[2], "w").close()
for _ in range(2):
    c, _ = s.accept(); c.send(c.recv(100)); c.close()
' "$WORK/p.sock" "$WORK/ready" & server=$!
for _ in $(seq 100); do [ -e "$WORK/ready" ] && break; sleep 0.05; done

start_capture procs -w "$WORK/procs.pcapng" --path "$WORK/p.sock" || { fail "process blocks" "unixcap did not start"; exit 0; }
started=$(date +%s)
"$WORK/ucproc-a" "$WORK/client.py" "$WORK/p.sock" first "$WORK/ucproc-b" & client=$!
wait "$client"; wait "$server"
stop_capture procs || { fail "process blocks" "$STOP_ERR"; exit 0; }

python3 "$ROOT/tests/tools/pcapng_files.py" processes "$WORK/procs.pcapng" >"$WORK/procs.txt" 2>&1
cp "$WORK/procs.txt" "$LOG_DIR/" 2>/dev/null
check "every packet names its process, described before its first packet ($(head -1 "$WORK/procs.txt"))" \
    "$(head -3 "$WORK/procs.txt" | tr '\n' ' ')" grep -q '^ok: ' "$WORK/procs.txt"

first=$(grep "^process $client ucproc-a " "$WORK/procs.txt")
second=$(grep "^process $client ucproc-b " "$WORK/procs.txt")
check "the client's block: name, executable, command line, parent, uid, user" "${first:-no block for pid $client as ucproc-a}" \
    bash -c "grep -q ' $WORK/ucproc-a ppid=$$ uid=0 user=root start_ns=[0-9]* $WORK/ucproc-a $WORK/client.py $WORK/p.sock first ' <<<' $first '"
start_ns=$(sed -n 's/.* start_ns=\([0-9]*\) .*/\1/p' <<<"$first")
check "... its start time is when it started (${start_ns:-none} ns, the capture began at $started s)" "start_ns ${start_ns:-none}" \
    bash -c "[ -n '$start_ns' ] && [ \$(( ${start_ns:-0} / 1000000000 - $started )) -ge -2 ] && [ \$(( ${start_ns:-0} / 1000000000 - $started )) -le 5 ]"
check "after its exec, the same pid gets a second block under its new name" "${second:-no block for pid $client as ucproc-b}" \
    bash -c "grep -q ' $WORK/ucproc-b ppid=$$ .* $WORK/ucproc-b $WORK/client.py $WORK/p.sock second ' <<<' $second '"
server_block=$(grep -c "^process $server " "$WORK/procs.txt")
check "the server has one block ($server_block)" "$(cat "$WORK/procs.txt")" test "$server_block" = 1

tshark_pids=$(tshark -r "$WORK/procs.pcapng" -Y 'tcp.len > 0' -T fields -e frame.comment 2>/dev/null | grep -c " pid=$client ")
check "tshark 4.0 still reads the file, comments as before ($tshark_pids data packets of the client)" "tshark: $tshark_pids" \
    test "$tshark_pids" = 2
"$UNIXCAP" -r "$WORK/procs.pcapng" -q >"$WORK/procs.replay" 2>&1
check "-r reads it back: both sends, by both names" "$(head -5 "$WORK/procs.replay" | tr '\n' ' ')" \
    bash -c "grep -q 'ucproc-a\[$client\] .* len 5' '$WORK/procs.replay' && grep -q 'ucproc-b\[$client\] .* len 6' '$WORK/procs.replay'"
"$UNIXCAP" -r "$WORK/procs.pcapng" -w "$WORK/again.pcapng" 2>"$WORK/again.err"
python3 "$ROOT/tests/tools/pcapng_files.py" processes "$WORK/again.pcapng" >"$WORK/again.txt" 2>&1
check "-r -w carries the process blocks over: the same blocks, each before its packets" \
    "$(head -3 "$WORK/again.txt" | tr '\n' ' '); $(cat "$WORK/again.err")" \
    bash -c "grep -q '^ok: ' '$WORK/again.txt' && diff <(grep '^process ' '$WORK/procs.txt') <(grep '^process ' '$WORK/again.txt')"
