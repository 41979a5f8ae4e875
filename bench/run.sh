#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Unix-socket traffic (build/pump) uncaptured and captured, interleaved A B A B … in one run (these
# machines are shared and noisy: only ratios within a run mean something): medians, ratio, messages
# lost, and what the consumer stored per CPU-second it used (its utime + stime from /proc, payload
# bytes and messages). Captures are written with -w to a file on disk, whose own rate dd
# measures beside them. Also: the floor (empty syscall hooks,
# build/floor), strace dumping every written byte on the same pump, and unixcap's peak RSS while
# 10 000 connections are opened and closed; and bench/bpf_cost.py, each kernel program's cost in
# ns per message from bpf_stats. Needs root. Exits non-zero when unixcap, floor or a
# pump fails. PAIRS (default 5) pairs per configuration; BENCH_DIR: where captures are written.
set -u
cd "$(dirname "$0")/.."
PAIRS=${PAIRS:-5}
[[ $PAIRS =~ ^[1-9][0-9]*$ ]] || { echo "bench: PAIRS must be a whole number of 1 or more" >&2; exit 1; }
PUMP=build/pump
FLOOR=build/floor
[ -x ./unixcap ] && [ -x "$PUMP" ] && [ -x "$FLOOR" ] || { echo "bench: run 'make bench'" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "bench: needs root" >&2; exit 1; }
if [ -n "${BENCH_DIR:-}" ]; then OUT=$BENCH_DIR; mkdir -p "$OUT"; else OUT=$(mktemp -d /var/tmp/unixcap-bench.XXXXXX); fi
FSTYPE=$(df --output=fstype "$OUT" | tail -n 1)
case $FSTYPE in
tmpfs|ramfs) echo "bench: $OUT is in memory ($FSTYPE): captures must go to disk" >&2; exit 1 ;;
esac

TRACER=""   # pid of the unixcap or floor we started, stopped on any exit
cleanup() {
    [ -n "$TRACER" ] && kill -INT "$TRACER" 2>/dev/null && wait "$TRACER" 2>/dev/null
    rm -f "$OUT/bench.pcapng" "$OUT"/*.sock "$OUT"/*.err
    [ -n "${BENCH_DIR:-}" ] || rmdir "$OUT" 2>/dev/null
}
trap cleanup EXIT
trap 'exit 1' INT TERM
die() { echo "bench: $*" >&2; exit 1; }

median() { sort -n | awk '{v[NR]=$1} END {print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }
ratio() { echo "scale=4; $1 / $2" | bc -l; }

# Programs someone else attached to the syscall tracepoints (another unixcap, …) make every
# syscall pay the floor and may capture our pump: "uncaptured" is then neither. Counted before
# each uncaptured run, when none of ours is attached.
FOREIGN_RUNS=0 BASE_RUNS=0
uncaptured() {
    BASE_RUNS=$((BASE_RUNS + 1))
    [ "$(bpftool link list 2>/dev/null | grep -c "tp 'sys_enter'")" = 0 ] || FOREIGN_RUNS=$((FOREIGN_RUNS + 1))
    pump "$@"
}

# pump ARGS...: RATE = what one pump run printed; any failure ends the benchmark.
pump() {
    RATE=$("$PUMP" "$@" 2>"$OUT/pump.err") && [ -n "$RATE" ] ||
        die "pump $* failed: $(tr '\n' ' ' <"$OUT/pump.err")"
}

# start_tracer LOG CMD...: starts CMD in the background, waits until it says it is listening.
start_tracer() {
    local log=$1 i; shift
    rm -f "$log" # not the last run's "listening"
    "$@" 2>"$log" &
    TRACER=$!
    for i in $(seq 600); do
        grep -q listening "$log" 2>/dev/null && return 0
        kill -0 "$TRACER" 2>/dev/null || { wait "$TRACER"; TRACER=""; die "$* did not start: $(tr '\n' ' ' <"$log")"; }
        sleep 0.05
    done
    die "$* did not start within 30 s: $(tr '\n' ' ' <"$log")"
}

stop_tracer() {
    local rc
    kill -INT "$TRACER"; wait "$TRACER"; rc=$?; TRACER=""
    [ "$rc" = 0 ] || die "$1 exited with status $rc: $(tr '\n' ' ' <"$2")"
}

# cpu_ticks PID: the user + system time the process has used, in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
TICKS=$(getconf CLK_TCK)

# drained PID: waits until unixcap has used no CPU for 0.2 s (at most 30 s), so that what the
# ring still held when the pump ended is stored, not counted lost at the stop.
drained() {
    local before
    for _ in $(seq 150); do
        before=$(cpu_ticks "$1"); sleep 0.2
        [ "$(cpu_ticks "$1")" = "$before" ] && return 0
    done
}

# captured UNIXCAP-ARGS... -- PUMP-ARGS...: one pump run under unixcap writing pcapng to disk;
# sets RATE, CAPT and LOST (messages), STORED (payload bytes), CPU (unixcap's ticks during the
# pump run) and HWM (unixcap's peak RSS in KiB, read before SIGINT).
captured() {
    local args=() counts cpu0
    while [ "$1" != -- ]; do args+=("$1"); shift; done; shift
    rm -f "$OUT/bench.pcapng"
    start_tracer "$OUT/unixcap.err" ./unixcap -v "${args[@]}" -w "$OUT/bench.pcapng"
    cpu0=$(cpu_ticks "$TRACER")
    pump "$@"
    drained "$TRACER"
    CPU=$(($(cpu_ticks "$TRACER") - cpu0))
    HWM=$(awk '/^VmHWM:/ {print $2}' "/proc/$TRACER/status")
    ANON=$(awk '/^RssAnon:/ {print $2}' "/proc/$TRACER/status")
    # Pss counts each physical page once: the ring's data pages are mapped twice (so that a
    # record crossing the end reads contiguously) and VmRSS counts them twice.
    PSS=$(awk '/^Pss:/ {print $2}' "/proc/$TRACER/smaps_rollup")
    stop_tracer unixcap "$OUT/unixcap.err"
    counts=$(sed -n 's/^\([0-9]*\) messages captured, \([0-9]*\) lost$/\1 \2/p' "$OUT/unixcap.err")
    [ -n "$counts" ] || die "unixcap printed no final count: $(tr '\n' ' ' <"$OUT/unixcap.err")"
    [ -s "$OUT/bench.pcapng" ] || die "unixcap wrote no $OUT/bench.pcapng"
    read -r CAPT LOST <<<"$counts"
    STORED=$(sed -n 's/^[0-9]* bytes sent, \([0-9]*\) stored.*/\1/p' "$OUT/unixcap.err")
    [ -n "$STORED" ] || die "unixcap printed no byte count: $(tr '\n' ' ' <"$OUT/unixcap.err")"
}

# floored PUMP-ARGS...: one pump run with the empty syscall hooks attached.
floored() {
    start_tracer "$OUT/floor.err" "$FLOOR"
    pump "$@"
    stop_tracer floor "$OUT/floor.err"
}

# line NAME UNIT BASE-MEDIAN OTHER-LABEL OTHER-MEDIAN [EXTRA]
line() {
    local r; r=$(ratio "$5" "$3")
    printf '%-46s uncaptured %8.1f %-6s %-8s %8.1f %-6s ratio %s%s\n' "$1" "$3" "$2" "$4" "$5" "$2" \
        "$(awk -v r="$r" 'BEGIN {printf(r < 0.1 ? "%.3f" : "%.2f", r)}')" "${6:-}"
}

# bench NAME UNIT "PUMP-ARGS" [UNIXCAP-ARGS...]: PAIRS pairs uncaptured / captured.
# Sets MEDIAN_CAP (captured median) and PEAK_HWM, PEAK_ANON, PEAK_PSS (KiB).
bench() {
    local name=$1 unit=$2 pargs=($3) base=() cap=() lost=0 capt=0 mb stored=0 cpu=0 per
    shift 3
    PEAK_HWM=0 PEAK_ANON=0 PEAK_PSS=0
    for _ in $(seq "$PAIRS"); do
        uncaptured "${pargs[@]}"; base+=("$RATE")
        captured "$@" -- "${pargs[@]}"; cap+=("$RATE")
        lost=$((lost + LOST)) capt=$((capt + CAPT)) stored=$((stored + STORED)) cpu=$((cpu + CPU))
        [ "$HWM" -gt "$PEAK_HWM" ] && PEAK_HWM=$HWM
        [ "$ANON" -gt "$PEAK_ANON" ] && PEAK_ANON=$ANON
        [ "$PSS" -gt "$PEAK_PSS" ] && PEAK_PSS=$PSS
    done
    mb=$(printf '%s\n' "${base[@]}" | median) MEDIAN_CAP=$(printf '%s\n' "${cap[@]}" | median)
    # The consumer's work per CPU-second it used: payload stored and messages recorded.
    per="consumer n/a"
    [ "$cpu" -gt 0 ] && per=$(awk -v b="$stored" -v m="$capt" -v c="$cpu" -v t="$TICKS" \
        'BEGIN {printf("consumer %.2f GB, %.2f M msgs per CPU-s", b / (c / t) / 1e9, m / (c / t) / 1e6)}')
    line "$name" "$unit" "$mb" captured "$MEDIAN_CAP" "  lost msgs $lost of $((capt + lost))  $per"
}

# The capture directory's own write rate, beside what the consumer stores: dd of 2 GiB in 1 MiB
# writes, through the page cache as unixcap writes, then the same with fdatasync at the end.
disk_rate() {
    local buffered synced
    buffered=$(dd if=/dev/zero of="$OUT/dd.bin" bs=1M count=2048 2>&1 | sed -n 's/.*copied, .*, \(.*\)$/\1/p')
    synced=$(dd if=/dev/zero of="$OUT/dd.bin" bs=1M count=2048 conv=fdatasync 2>&1 | sed -n 's/.*copied, .*, \(.*\)$/\1/p')
    rm -f "$OUT/dd.bin"
    printf '%-46s buffered %s, with fdatasync %s\n' "disk: dd 2 GiB to $OUT" "$buffered" "$synced"
    # The consumer's ceiling: what one CPU-second of plain 1 MiB write() calls stores there
    # (after a sync: dirty pages left by earlier runs halve it).
    sync
    read -r wrate wcpu < <(build/writecost "$OUT/writecost.bin" 2147483648 1048576) ||
        die "build/writecost failed"
    printf '%-46s %s MB/s, %s GB per CPU-second of the writer (a consumer'"'"'s ceiling)\n' \
        "disk: write() 2 GiB in 1 MiB calls" "$wrate" "$wcpu"
}

# floor NAME "PUMP-ARGS": PAIRS pairs uncaptured / empty hooks attached.
floor() {
    local unit=$2 pargs=($3) base=() fl=()
    for _ in $(seq "$PAIRS"); do
        uncaptured "${pargs[@]}"; base+=("$RATE")
        floored "${pargs[@]}"; fl+=("$RATE")
    done
    line "$1" "$unit" "$(printf '%s\n' "${base[@]}" | median)" floor "$(printf '%s\n' "${fl[@]}" | median)"
}

# strace_vs NAME "PUMP-ARGS" UNIXCAP-MEDIAN: PAIRS pairs uncaptured / strace dumping every write.
strace_vs() {
    local pargs=($2) base=() st=() ms
    for _ in $(seq "$PAIRS"); do
        uncaptured "${pargs[@]}"; base+=("$RATE")
        RATE=$(strace -f -qq -e trace=write -e write=all -o /dev/null "$PUMP" "${pargs[@]}" \
            2>"$OUT/pump.err") && [ -n "$RATE" ] || die "strace pump failed: $(tr '\n' ' ' <"$OUT/pump.err")"
        st+=("$RATE")
    done
    ms=$(printf '%s\n' "${st[@]}" | median)
    line "$1" MB/s "$(printf '%s\n' "${base[@]}" | median)" strace "$ms" \
        "  unixcap full payload = $(printf '%.0f' "$(ratio "$3" "$ms")")× strace"
}

# rss NAME RING-MIB: the memory of the last bench against ring size + 32 MiB: Pss (each page
# once) decides; VmHWM counts the ring's pages twice (see captured()).
rss() {
    local limit=$(( $2 * 1024 + 32 * 1024 ))
    printf '%-46s Pss %6.1f MiB  limit ring %d + 32 = %d MiB  %s  (VmHWM %.1f MiB, anon %.1f MiB)\n' \
        "$1" "$(ratio "$PEAK_PSS" 1024)" "$2" "$(( limit / 1024 ))" \
        "$([ "$PEAK_PSS" -le "$limit" ] && echo within || echo OVER)" "$(ratio "$PEAK_HWM" 1024)" \
        "$(ratio "$PEAK_ANON" 1024)"
}

S=$OUT/pump.sock
RING_KIB=$(./unixcap --help | sed -n 's/.*ring buffer size in KiB (default \([0-9]*\).*/\1/p')
[ -n "$RING_KIB" ] || die "unixcap --help names no default ring size"
echo "# $(date -u '+%F %H:%M UTC') $(./unixcap --version), kernel $(uname -r), $(nproc) CPUs, $PAIRS interleaved pairs, medians; captures to $OUT ($FSTYPE)"
bench "stream 64 KiB writes, full payload" MB/s "stream 3000000000 65536 $S"
CAP64=$MEDIAN_CAP
bench "stream 512 B writes, full payload" MB/s "stream 150000000 512 $S"
CAP512=$MEDIAN_CAP
bench "stream 512 B writes, -s 64" MB/s "stream 150000000 512 $S" -s 64
bench "stream 64 B writes, full payload" MB/s "stream 20000000 64 $S"
bench "dgram 1 KiB, full payload" MB/s "dgram 150000000 1024 $S"
bench "64 connections, 16 KiB writes, full payload" MB/s "conns 64 3000000000 16384 $S"
disk_rate
bench "stream 64 KiB writes, excluded by --path" MB/s "stream 3000000000 65536 $S" --path /nonexistent.sock
bench "stream 512 B writes, excluded by --path" MB/s "stream 150000000 512 $S" --path /nonexistent.sock
floor "stream 64 KiB writes, floor (empty hooks)" MB/s "stream 3000000000 65536 $S"
floor "stream 512 B writes, floor (empty hooks)" MB/s "stream 150000000 512 $S"
# One thread writing 512 B and reading it back: the cost per message without the scheduler's noise.
bench "echo 512 B, full payload" msg/s "echo 300000 512 $S"
bench "echo 512 B, excluded by --path" msg/s "echo 300000 512 $S" --path /nonexistent.sock
floor "echo 512 B, floor (empty hooks)" msg/s "echo 300000 512 $S"
strace_vs "stream 64 KiB writes, strace -e write=all" "stream 100000000 65536 $S" "$CAP64"
strace_vs "stream 512 B writes, strace -e write=all" "stream 4000000 512 $S" "$CAP512"
bench "churn 10000 conns (100 B each way), default -B" conn/s "churn 10000 100 $S"
rss "churn 10000 conns, default ring" $((RING_KIB / 1024))
bench "churn 10000 conns (100 B each way), -B 4096" conn/s "churn 10000 100 $S" -B 4096
rss "churn 10000 conns, -B 4096" 4
# Each kernel program's ns per run and the BPF ns per message, from bpf_stats (bench/bpf_cost.py).
python3 bench/bpf_cost.py || die "bench/bpf_cost.py failed"
[ "$FOREIGN_RUNS" = 0 ] ||
    echo "# WARNING: other BPF programs were on sys_enter during $FOREIGN_RUNS of $BASE_RUNS uncaptured runs" \
         "(bpftool link list): those baselines already paid the floor or were captured by someone else"
