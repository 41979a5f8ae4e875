#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Throughput of a unix-socket pump uncaptured and captured, interleaved A B A B … in one run
# (these machines are shared and noisy: only ratios within a run mean something), plus strace
# with payload dumping on the same pump. Prints medians and ratios; needs root.
set -u
cd "$(dirname "$0")/.."
PAIRS=${PAIRS:-5}
OUT=${BENCH_DIR:-/var/tmp/unixcap-bench}
mkdir -p "$OUT"
PUMP=build/pump
[ -x ./unixcap ] && [ -x "$PUMP" ] || { echo "bench: run 'make bench'" >&2; exit 1; }

median() { sort -n | awk '{v[NR]=$1} END {print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }

# captured ARGS... -- PUMP ARGS...: one pump run under unixcap writing to disk.
captured() {
    local args=() rate
    while [ "$1" != -- ]; do args+=("$1"); shift; done; shift
    rm -f "$OUT/bench.pcapng"
    ./unixcap "${args[@]}" -w "$OUT/bench.pcapng" 2>"$OUT/unixcap.err" &
    local uc=$!
    until grep -q listening "$OUT/unixcap.err" 2>/dev/null; do sleep 0.05; done
    rate=$("$PUMP" "$@")
    kill -INT $uc; wait $uc
    lost=$(sed -n 's/^[0-9]* messages captured, \([0-9]*\) lost$/\1/p' "$OUT/unixcap.err")
    echo "$rate $lost"
}

# bench NAME TOTAL WRITE [UNIXCAP ARGS...]
bench() {
    local name=$1 total=$2 write=$3; shift 3
    local base=() cap=() lost=0 r l
    for _ in $(seq "$PAIRS"); do
        base+=("$("$PUMP" stream "$total" "$write" "$OUT/pump.sock")")
        read -r r l < <(captured "$@" -- stream "$total" "$write" "$OUT/pump.sock")
        cap+=("$r"); lost=$((lost + l))
    done
    local mb mc
    mb=$(printf '%s\n' "${base[@]}" | median) mc=$(printf '%s\n' "${cap[@]}" | median)
    printf '%-44s uncaptured %8.1f MB/s  captured %8.1f MB/s  ratio %.2f  lost msgs %d\n' \
        "$name" "$mb" "$mc" "$(echo "$mc / $mb" | bc -l)" "$lost"
}

echo "# $(date -u +%F) $(uname -r), $(nproc) CPUs, $PAIRS interleaved pairs, medians"
bench "stream 64 KiB writes, full payload" 1000000000 65536
bench "stream 512 B writes, full payload" 50000000 512
bench "stream 512 B writes, -s 64" 50000000 512 -s 64
bench "stream 64 KiB writes, other --path (filtered)" 1000000000 65536 --path /nonexistent.sock

# strace dumping every written byte, on the same pump (smaller: it is ~100x slower).
base=$("$PUMP" stream 20000000 65536 "$OUT/pump.sock")
st=$(strace -f -qq -e trace=write -e write=all -o /dev/null "$PUMP" stream 20000000 65536 "$OUT/pump.sock")
printf '%-44s uncaptured %8.1f MB/s  strace   %8.1f MB/s  ratio %.3f\n' \
    "stream 64 KiB writes, strace -e write=all" "$base" "$st" "$(echo "$st / $base" | bc -l)"
rm -f "$OUT/bench.pcapng"
