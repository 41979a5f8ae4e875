#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Two captures whose stdouts are unix sockets each see the other's output: one trigger message
# must not set them feeding each other (each leaves every running capture's I/O out). And a stop
# signal wins over a backlog that never empties: exit 0 within 2 s, what was left unread
# counted as lost.
. "$(dirname "$0")/lib.sh"

ALL="captures feeding each other"
why=$(bpf_unavailable)
if [ -n "$why" ]; then skip "$ALL" "$why"; exit 0; fi
command -v socat >/dev/null || { skip "$ALL" "socat not installed"; exit 0; }
command -v python3 >/dev/null || { skip "$ALL" "python3 not installed"; exit 0; }
[ -x "$ROOT/build/pump" ] || { skip "$ALL" "$ROOT/build/pump not built"; exit 0; }

BG_PIDS=()
cleanup() {
    local p
    for p in "${BG_PIDS[@]}"; do kill -INT "$p" 2>/dev/null; done
    sleep 0.2
    for p in "${BG_PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT

# Our own socat, selected by --comm: the collectors of both outputs and the trigger are
# "ucfeed", so each capture matches the other's output (its reader is ucfeed) and nothing else.
cp "$(command -v socat)" "$WORK/ucfeed" && cp "$ROOT/build/pump" "$WORK/ucflood" ||
    { fail "$ALL" "cannot copy socat and pump"; exit 0; }

size_of() { stat -c %s "$1" 2>/dev/null || echo 0; }

# A capture whose stdout is a connected unix socket (socat's nofork makes the capture the
# process that socat was: $! is unixcap), read by a collector that writes a file.
declare -A CAP
for n in a b; do
    "$WORK/ucfeed" -u UNIX-LISTEN:"$WORK/$n.sock" CREATE:"$WORK/$n.out" 2>/dev/null &
    BG_PIDS+=("$!")
done
for n in a b; do
    for _ in $(seq 50); do [ -S "$WORK/$n.sock" ] && break; sleep 0.1; done
    "$WORK/ucfeed" UNIX-CONNECT:"$WORK/$n.sock" EXEC:"$UNIXCAP -q -U --comm ucfeed",nofork \
        2>"$WORK/$n.err" &
    CAP[$n]=$!
    BG_PIDS+=("$!")
    for _ in $(seq 300); do grep -q '^unixcap: listening' "$WORK/$n.err" && break; sleep 0.1; done
done
if ! grep -q '^unixcap: listening' "$WORK/a.err" || ! grep -q '^unixcap: listening' "$WORK/b.err" ||
   [ "$(readlink "/proc/${CAP[a]}/fd/1" | cut -d: -f1)" != socket ]; then
    fail "$ALL: both captures start, stdout a unix socket" "$(head -2 "$WORK/a.err" "$WORK/b.err" | tr '\n' ' ')"
    exit 0
fi

# One trigger message, between two ucfeed processes that end once it is through.
"$WORK/ucfeed" -u UNIX-LISTEN:"$WORK/seed.sock" OPEN:/dev/null 2>/dev/null &
seed=$!
for _ in $(seq 50); do [ -S "$WORK/seed.sock" ] && break; sleep 0.1; done
printf 'trigger\n' | "$WORK/ucfeed" -u - UNIX-CONNECT:"$WORK/seed.sock" 2>/dev/null
wait_exit "$seed" 10
# Every trigger event is in the ring now; the consumer polls every 50 ms. Then, sampled for 2 s,
# the outputs must stand still (feeding each other, each grew about x3 every 0.5 s).
sleep 0.5
a0=$(size_of "$WORK/a.out") b0=$(size_of "$WORK/b.out")
sleep 2
a1=$(size_of "$WORK/a.out") b1=$(size_of "$WORK/b.out")
check "two captures: the trigger is in both dumps" "a: $(head -c 300 "$WORK/a.out" | tr '\n' '|')" \
    eval 'grep -q " len 8$" "$WORK/a.out" && grep -q " len 8$" "$WORK/b.out"'
check "two captures: neither output grows after the trigger (a $a0 -> $a1 bytes, b $b0 -> $b1)" \
    "a $a0 -> $a1, b $b0 -> $b1 bytes in 2 s" test "$a1.$b1" = "$a0.$b0"
check "two captures: each output stays small (a $a1, b $b1 bytes)" "a $a1, b $b1 bytes" \
    test "$a1" -lt 20000 -a "$b1" -lt 20000
cp "$WORK"/a.* "$WORK"/b.* "$LOG_DIR/" 2>/dev/null

kill -INT "${CAP[a]}" "${CAP[b]}"
for n in a b; do
    wait_exit "${CAP[$n]}" 2
    check "two captures: capture $n exits 0 within 2 s of SIGINT" "status $RC; $(tail -2 "$WORK/$n.err" | tr '\n' ' ')" \
        test "$RC" = 0
done

# A backlog that never empties: a flood of datagrams, a 64 MiB ring, a dump read at about
# 200 KB/s. SIGINT must still end the capture soon, counting what it did not write as lost.
mkfifo "$WORK/slow.fifo"
python3 -c '
import os, sys, time
n = 0
while True:
    b = os.read(0, 4096)
    if not b:
        break
    n += len(b)
    time.sleep(0.02)
print(n)' <"$WORK/slow.fifo" >"$WORK/slow.count" &
BG_PIDS+=("$!")
"$UNIXCAP" -q -U -B 65536 --comm ucflood >"$WORK/slow.fifo" 2>"$WORK/slow.err" &
cap=$!
BG_PIDS+=("$cap")
for _ in $(seq 300); do grep -q '^unixcap: listening' "$WORK/slow.err" && break; sleep 0.1; done
grep -q '^unixcap: listening' "$WORK/slow.err" ||
    { fail "backlog: unixcap starts" "$(head -2 "$WORK/slow.err" | tr '\n' ' ')"; exit 0; }
timeout 60 "$WORK/ucflood" dgram 100000000000 64 >/dev/null 2>&1 &
flood=$!
BG_PIDS+=("$flood")
sleep 1.5 # the ring fills far faster than the reader reads
kill -INT "$cap"
t0=$(date +%s%3N)
wait_exit "$cap" 5
ms=$(($(date +%s%3N) - t0))
kill "$flood" 2>/dev/null
check "backlog: SIGINT during a flood ends the capture with status 0 within 2 s (took $ms ms)" \
    "status $RC after $ms ms; $(tail -2 "$WORK/slow.err" | tr '\n' ' ')" \
    eval '[ "$RC" = 0 ] && [ "$ms" -le 2000 ]'
unread=$(sed -n 's/^unixcap: stopped with \([0-9]*\) messages not yet written: counted as lost$/\1/p' "$WORK/slow.err")
lost=$(lost_count slow)
check "backlog: what was left unread is counted as lost ($unread unread, $lost lost in all)" \
    "$(tail -3 "$WORK/slow.err" | tr '\n' ' ')" \
    eval '[ "${unread:-0}" -gt 0 ] && [ "${lost:-0}" -ge "$unread" ]'
cp "$WORK"/slow.err "$LOG_DIR/" 2>/dev/null
