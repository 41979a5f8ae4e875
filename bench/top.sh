#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# What `unixcap top` (a metadata-only capture) costs next to a full capture: build/pump
# uncaptured, under `unixcap top`, and under `unixcap -w FILE`, interleaved (A B C A B C …),
# ROUNDS times (default 5), medians and ratios to the uncaptured run of the same round. Two loads:
# 64 KiB stream writes (copying dominates) and 512-byte echo round trips (the per-message hook
# cost dominates). Needs root; BENCH_DIR (default /var/tmp/unixcap-bench-top) must not be tmpfs.
set -u
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-5}
DIR=${BENCH_DIR:-/var/tmp/unixcap-bench-top}
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || { echo "bench/top.sh: ROUNDS must be a whole number of 1 or more" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "bench/top.sh: needs root (it attaches BPF programs)" >&2; exit 1; }
for f in ./unixcap build/pump; do
    [ -x "$f" ] || { echo "bench/top.sh: $f is not built (make unixcap build/pump)" >&2; exit 1; }
done
mkdir -p "$DIR" || exit 1

# started NAME CMD...: CMD in the background, waiting until it says it is listening.
started() {
    local name=$1; shift
    "$@" >"$DIR/$name.out" 2>"$DIR/$name.err" &
    BG=$!
    for _ in $(seq 300); do grep -q 'listening' "$DIR/$name.err" && return 0; sleep 0.1; done
    echo "bench/top.sh: $name did not start: $(head -2 "$DIR/$name.err")" >&2; exit 1
}

# seconds LOAD...: how long build/pump takes for LOAD.
seconds() {
    local s e
    s=$(date +%s%N)
    build/pump "$@" >/dev/null || { echo "bench/top.sh: pump $* failed" >&2; exit 1; }
    e=$(date +%s%N)
    echo $(((e - s) / 1000)) # microseconds
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# one LABEL LOAD...: ROUNDS rounds of uncaptured, top, capture; prints medians and ratios.
one() {
    local label=$1; shift
    local base=() top=() cap=() r
    for ((r = 0; r < ROUNDS; r++)); do
        base+=("$(seconds "$@")")
        started top ./unixcap top -d 1 --path "$DIR/*"
        top+=("$(seconds "$@")")
        kill -INT "$BG"; wait "$BG"
        started cap ./unixcap -w "$DIR/cap.pcapng" --path "$DIR/*"
        cap+=("$(seconds "$@")")
        kill -INT "$BG"; wait "$BG"
    done
    local b t c
    b=$(printf '%s\n' "${base[@]}" | median)
    t=$(printf '%s\n' "${top[@]}" | median)
    c=$(printf '%s\n' "${cap[@]}" | median)
    printf '%-34s uncaptured %8.3f s  top %8.3f s (ratio %.2f)  capture %8.3f s (ratio %.2f)\n' \
        "$label" "$(bc -l <<<"$b / 1000000")" "$(bc -l <<<"$t / 1000000")" "$(bc -l <<<"$b / $t")" \
        "$(bc -l <<<"$c / 1000000")" "$(bc -l <<<"$b / $c")"
}

echo "bench/top.sh: $ROUNDS rounds, $(uname -r), $(nproc) CPUs, files in $DIR"
one "stream, 2 GB in 64 KiB writes" stream 2000000000 65536 "$DIR/s.sock"
one "echo, 200 000 x 512 B" echo 200000 512 "$DIR/e.sock"
rm -f "$DIR/cap.pcapng"
