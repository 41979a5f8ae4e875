# SPDX-License-Identifier: BSD-2-Clause
# Shared helpers for the integration tests: start unixcap as a user would, drive real traffic,
# read the capture back with tshark, and report PASS/FAIL/SKIP lines.
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
UNIXCAP=${UNIXCAP:-$ROOT/unixcap}
UCGEN=$ROOT/build/tools/ucgen
CHECK="python3 $ROOT/tests/tools/check_capture.py"
LOG_DIR=${LOG_DIR:-$(mktemp -d /tmp/unixcap-tests.XXXXXX)}
WORK=$(mktemp -d /tmp/unixcap-work.XXXXXX)
trap 'stop_all; rm -rf "$WORK"' EXIT

pass() { echo "PASS $1"; }
# check NAME WHY COMMAND...: PASS when COMMAND succeeds, else FAIL with WHY.
check() {
    local name=$1 why=$2; shift 2
    if "$@"; then pass "$name"; else fail "$name" "$why"; fi
}
fail() { echo "FAIL $1: $2"; }
skip() { echo "SKIP $1: $2"; }

# Why BPF tests cannot run here, or nothing when they can.
bpf_unavailable() {
    [ "$(id -u)" = 0 ] || { echo "not root"; return; }
    [ -r /sys/kernel/btf/vmlinux ] || { echo "kernel has no BTF"; return; }
    [ -x "$UNIXCAP" ] || { echo "$UNIXCAP not built"; return; }
}

UC_PID=""
# start_capture NAME ARGS...: unixcap in the background, stdout to $WORK/NAME.out, stderr to
# $WORK/NAME.err; returns once it says it is listening (or fails after 30 s).
start_capture() {
    local name=$1; shift
    "$UNIXCAP" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" &
    UC_PID=$!
    for _ in $(seq 300); do
        grep -q '^unixcap: listening' "$WORK/$name.err" 2>/dev/null && return 0
        kill -0 "$UC_PID" 2>/dev/null || break
        sleep 0.1
    done
    cat "$WORK/$name.err" >&2
    return 1
}

# stop_capture NAME [SIGNAL]: signals unixcap, waits, and checks it exited 0 with its summary;
# on failure STOP_ERR says why. (Not for $(...): only this shell can wait for unixcap.)
STOP_ERR=""
stop_capture() {
    local name=$1 sig=${2:-INT} rc
    sleep 0.3 # let the last records reach the ring before we ask it to drain
    kill -"$sig" "$UC_PID" 2>/dev/null
    wait "$UC_PID"; rc=$?
    UC_PID=""
    cp "$WORK/$name".* "$LOG_DIR/" 2>/dev/null
    if [ "$rc" != 0 ]; then STOP_ERR="unixcap exited $rc: $(tail -3 "$WORK/$name.err" | tr '\n' ' ')"; return 1; fi
    grep -Eq '^[0-9]+ messages captured, [0-9]+ lost$' "$WORK/$name.err" ||
        { STOP_ERR="no summary line on stderr"; return 1; }
}

stop_all() {
    [ -n "$UC_PID" ] && kill -INT "$UC_PID" 2>/dev/null && wait "$UC_PID" 2>/dev/null
    UC_PID=""
}

# lost_count NAME: the M of "N messages captured, M lost".
lost_count() { sed -n 's/^[0-9]* messages captured, \([0-9]*\) lost$/\1/p' "$WORK/$1.err"; }
# unrecorded_count NAME: of the lost messages, those not recorded at all (0 when none was lost).
unrecorded_count() {
    lost_count "$1" | grep -qx 0 && { echo 0; return; }
    sed -n 's/^of the [0-9]* lost, [0-9]* kept their record .* and \([0-9]*\) were not recorded at all$/\1/p' "$WORK/$1.err"
}
captured_count() { sed -n 's/^\([0-9]*\) messages captured, [0-9]* lost$/\1/p' "$WORK/$1.err"; }

# tshark_fields FILE FIELDS...: one line per packet, tab-separated.
tshark_fields() {
    local file=$1; shift
    local args=()
    for f in "$@"; do args+=(-e "$f"); done
    tshark -r "$file" -T fields -E separator=/t "${args[@]}" 2>/dev/null
}

# wait_exit PID SECONDS: waits for our child PID to exit on its own; RC is its status, or
# "timeout" (then it is still running).
wait_exit() {
    local pid=$1 n=$(($2 * 10))
    for _ in $(seq "$n"); do
        kill -0 "$pid" 2>/dev/null || { wait "$pid"; RC=$?; return 0; }
        sleep 0.1
    done
    RC=timeout
    return 1
}

# repeat_size N SIZE: N comma-separated copies of SIZE, for ucgen --sizes.
repeat_size() { local s; s=$(printf "$2,%.0s" $(seq "$1")); echo "${s%,}"; }
