#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The output when things go wrong under it: a disk that fills up during the capture (the file
# must still end on a block boundary and hold every whole packet written before), and a reader
# that goes away from -w - (unixcap stops at once, quietly, with its summary).
. "$(dirname "$0")/lib.sh"

ALL="output faults"
why=$(bpf_unavailable)
if [ -n "$why" ]; then skip "$ALL" "$why"; exit 0; fi
for tool in tshark python3 mount umount head; do
    command -v "$tool" >/dev/null || { skip "$ALL" "$tool not installed"; exit 0; }
done
[ -x "$UCGEN" ] || { skip "$ALL" "$UCGEN not built"; exit 0; }
FILES="python3 $ROOT/tests/tools/pcapng_files.py"

# Everything started in the background is ended by its pid on exit; the tmpfs is unmounted.
BG_PIDS=()
MOUNTED=""
cleanup() {
    local p
    for p in "${BG_PIDS[@]}"; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    stop_all
    [ -z "$MOUNTED" ] || umount "$MOUNTED" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT


# ---------------------------------------------------------------------------------------------
# 1. Full disk: a 2 MiB tmpfs fills while ucgen sends 4.8 MB of 60000-byte datagrams with known
# hashes. unixcap stops with status 1 and one line naming the file and the error; the file ends
# on a block boundary, tshark reads it without complaint, and every message in it is one sent.

full() {
    local dir=$WORK/full sock=$WORK/full.sock cap rc lines got
    mkdir -p "$dir"
    if ! mount -t tmpfs -o size=2m tmpfs "$dir" 2>"$WORK/mount.err"; then
        skip "full disk" "cannot mount a tmpfs: $(head -1 "$WORK/mount.err")"
        return
    fi
    MOUNTED=$dir
    cap=$dir/x.pcapng
    start_capture full -w "$cap" --path "$sock" ||
        { fail "full disk: unixcap starts" "$(head -3 "$WORK/full.err" | tr '\n' ' ')"; return; }
    local pid=$UC_PID
    "$UCGEN" --type dgram --addr "path:$sock" --sizes "$(repeat_size 80 60000)" --reply-sizes "" \
        --manifest "$WORK/full.manifest" >"$WORK/full.gen" 2>&1 &
    BG_PIDS+=("$!")
    local gen=$!
    wait_exit "$pid" 60
    rc=$RC
    UC_PID=""
    [ "$rc" = timeout ] && { kill -INT "$pid"; wait "$pid"; }
    wait "$gen" || { fail "full disk: ucgen ran" "$(tail -2 "$WORK/full.gen" | tr '\n' ' ')"; }
    cp "$WORK"/full.* "$LOG_DIR/" 2>/dev/null
    cp "$cap" "$LOG_DIR/full.pcapng" 2>/dev/null

    check "full disk: unixcap stops by itself with exit status 1" "exit status $rc" test "$rc" = 1
    lines=$(grep -cF -- "$cap" "$WORK/full.err")
    check "full disk: one line on stderr names the file and 'No space left on device'" \
        "$lines lines name the file: $(grep -v listening "$WORK/full.err" | head -3 | tr '\n' ' ')" \
        eval '[ "$lines" = 1 ] && grep -F -- "$cap" "$WORK/full.err" | grep -q "No space left on device"'
    check "full disk: the summary line is printed" "no summary on stderr" \
        grep -Eq '^[0-9]+ messages captured, [0-9]+ lost$' "$WORK/full.err"

    got=$($FILES blocks "$cap" 2>&1)
    check "full disk: the file is whole blocks from the section header to its last byte" "$got" \
        eval '[[ "$got" == ok* ]]'
    tshark -r "$cap" -q >"$WORK/full.tshark" 2>&1; rc=$?
    check "full disk: tshark reads the file (exit 0) and says nothing of a cut or damage" \
        "exit $rc: $(head -3 "$WORK/full.tshark" | tr '\n' ' ')" \
        eval '[ "$rc" = 0 ] && ! grep -Eqi "cut short|appears to be damaged|corrupt" "$WORK/full.tshark"'
    got=$($FILES sent "$WORK/full.manifest" "$cap" 2>&1)
    local n
    n=$(sed -n 's/^ok: \([0-9]*\) messages.*/\1/p' <<<"$got")
    # 2 MiB hold 34 of these messages (60000 bytes + headers + metadata each); at most the one
    # cut in the middle and the ones still in the 256 KiB buffer can be missing.
    check "full disk: every message in the file is one that was sent, byte-exact (sha256)" "$got" \
        eval '[[ "$got" == ok* ]]'
    check "full disk: the file keeps what fit (at least 28 of 34 messages)" "${n:-0} messages" \
        test "${n:-0}" -ge 28
    umount "$dir" && MOUNTED=""
}
full

# ---------------------------------------------------------------------------------------------
# 2. A reader that goes away: `unixcap -w - | head -c 3000` under traffic. unixcap must exit 0
# within a few seconds of head leaving, with its summary and no error line.

vanished_pipe() {
    local sock=$WORK/pipe.sock start ms rc
    # A fifo rather than a shell pipe, so that unixcap's own pid and exit status are ours.
    mkfifo "$WORK/pipe.fifo"
    head -c 3000 <"$WORK/pipe.fifo" >/dev/null &
    BG_PIDS+=("$!")
    "$UNIXCAP" -w - --path "$sock" >"$WORK/pipe.fifo" 2>"$WORK/pipe.err" &
    UC_PID=$!
    local pid=$UC_PID
    for _ in $(seq 300); do
        grep -q '^unixcap: listening' "$WORK/pipe.err" 2>/dev/null && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    grep -q '^unixcap: listening' "$WORK/pipe.err" 2>/dev/null ||
        { fail "vanished pipe: unixcap starts" "$(head -3 "$WORK/pipe.err" | tr '\n' ' ')"; return; }
    start=$(date +%s%N)
    # 8 MiB each way: far more than the writer's buffer and the pipe's.
    "$UCGEN" --type stream --addr "path:$sock" --sizes 1M,1M,1M,1M,1M,1M,1M,1M \
        --manifest "$WORK/pipe.manifest" >"$WORK/pipe.gen" 2>&1 &
    BG_PIDS+=("$!")
    wait_exit "$pid" 20
    ms=$((($(date +%s%N) - start) / 1000000))
    rc=$RC
    [ "$rc" = timeout ] || UC_PID="" # else stop_all ends it on exit
    cp "$WORK/pipe.err" "$WORK/pipe.gen" "$LOG_DIR/" 2>/dev/null # not the fifo: cp would block on it
    check "vanished pipe: unixcap exits 0 on its own within 5 s of the traffic starting" \
        "exit status $rc after ${ms} ms" \
        eval '[ "$rc" = 0 ] && [ "$ms" -lt 5000 ]'
    check "vanished pipe: the summary line is printed" "stderr: $(head -3 "$WORK/pipe.err" | tr '\n' ' ')" \
        grep -Eq '^[0-9]+ messages captured, [0-9]+ lost$' "$WORK/pipe.err"
    check "vanished pipe: no error line" "stderr: $(grep -v -e listening -e 'messages captured' "$WORK/pipe.err" | head -3 | tr '\n' ' ')" \
        eval '! grep -Eqi "fail|error|broken pipe" "$WORK/pipe.err"'
}
vanished_pipe
