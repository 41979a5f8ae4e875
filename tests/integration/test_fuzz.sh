#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The libFuzzer harnesses (fuzz/README.md): every kept regression and seed input replayed once,
# then a short fuzzing run of each (FUZZ_SECONDS, default 20) on a copy of its corpus.
# Needs no root; SKIP when clang's libFuzzer runtime is missing (libclang-rt-dev).
source "$(dirname "$0")/lib.sh"

FUZZ_SECONDS=${FUZZ_SECONDS:-20}
BIN=$ROOT/build/fuzz
HARNESSES="options pcapng"

fuzz_unavailable() {
    command -v "${CLANG:-clang}" >/dev/null || { echo "clang is not installed"; return; }
    local rt
    rt=$("${CLANG:-clang}" -print-file-name="libclang_rt.fuzzer-$(uname -m).a" 2>/dev/null)
    [ -f "$rt" ] || { echo "clang's libFuzzer runtime is missing (install libclang-rt-dev: make deps)"; return; }
}

# report NAME LOG INPUT: FAIL with the input that crashed and what went wrong, then the head of
# the sanitizer report: its frames down to the harness, without addresses.
report() {
    local name=$1 log=$2 input=$3 why
    why=$(grep -m1 -E 'runtime error:|Assertion .* failed' "$log")
    [ -n "$why" ] || why=$(grep -m1 -E '^==[0-9]+== ?ERROR' "$log" | sed -E 's/^==[0-9]+== ?//; s/ on (address|unknown address).*//')
    fail "$name" "${why:-exited with an error}${input:+; input: $input}"
    cp "$log" "$LOG_DIR/" 2>/dev/null
    grep -E '^ +#[0-9]+ ' "$log" | sed -E 's/#([0-9]+) 0x[0-9a-f]+ in /#\1 /; s/ \(BuildId: [0-9a-f]+\)//' |
        awk '{ print "  " $0 } /LLVMFuzzerTestOneInput/ { exit }' | head -12
}

why=$(fuzz_unavailable)
if [ -n "$why" ]; then
    for h in $HARNESSES; do skip "fuzz_$h" "$why"; done
    exit 0
fi

for h in $HARNESSES; do
    bin=$BIN/fuzz_$h
    if [ ! -x "$bin" ]; then
        fail "fuzz_$h" "$bin is not built (make tests builds it)"
        continue
    fi

    # (a) Every regression input (a crash once found, kept forever) and every seed, run once.
    inputs=()
    for dir in "$ROOT/fuzz/regressions/$h" "$ROOT/fuzz/corpus/$h"; do
        for f in "$dir"/*; do [ -f "$f" ] && inputs+=("$f"); done
    done
    log=$WORK/fuzz_${h}_replay.log
    if [ ${#inputs[@]} = 0 ]; then
        fail "fuzz_${h}_replay" "no inputs in fuzz/regressions/$h or fuzz/corpus/$h"
    elif "$bin" -rss_limit_mb=2048 -timeout=30 "${inputs[@]}" >"$log" 2>&1; then
        pass "fuzz_${h}_replay (${#inputs[@]} inputs)"
    else
        input=$(sed -n 's/^Running: //p' "$log" | tail -1)
        report "fuzz_${h}_replay" "$log" "$input"
    fi

    # (b) A short run on a copy of the corpus: nothing is written into the source tree.
    corpus=$WORK/corpus_$h
    mkdir -p "$corpus" "$WORK/artifacts_$h"
    cp "$ROOT/fuzz/corpus/$h"/* "$ROOT/fuzz/regressions/$h"/* "$corpus/" 2>/dev/null
    log=$WORK/fuzz_${h}_run.log
    if "$bin" -max_total_time="$FUZZ_SECONDS" -rss_limit_mb=2048 -timeout=30 -print_final_stats=1 \
        -artifact_prefix="$WORK/artifacts_$h/" "$corpus" >"$log" 2>&1; then
        runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
        pass "fuzz_${h}_run (${FUZZ_SECONDS} s, ${runs:-?} runs)"
    else
        crash=$(ls "$WORK/artifacts_$h"/* 2>/dev/null | head -1)
        if [ -n "$crash" ]; then
            cp "$crash" "$LOG_DIR/" 2>/dev/null
            crash="$LOG_DIR/$(basename "$crash") (save it under fuzz/regressions/$h/)"
        fi
        report "fuzz_${h}_run" "$log" "$crash"
    fi
done
