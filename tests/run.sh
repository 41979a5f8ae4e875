#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Runs every test — unit tests (plain and ASan/UBSan) and root integration tests — and ends
# with one line: "N passed, N failed, N skipped". Under CI=true a skipped test is a failure.
set -u
cd "$(dirname "$0")/.."
pass=0 fail=0 skip=0
log_dir=$(mktemp -d /tmp/unixcap-tests.XXXXXX)

count_unit() { # name, output, exit status: cmocka prints its own totals
    local name=$1 out=$2 rc=$3 p f s
    p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' <<<"$out" | tail -1)
    f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' <<<"$out" | tail -1)
    s=$(sed -n 's/^\[  SKIPPED \] \([0-9]*\) test.*/\1/p' <<<"$out" | tail -1)
    p=${p:-0} f=${f:-0} s=${s:-0}
    if [ "$rc" != 0 ] && [ "$f" = 0 ]; then f=1; fi # crashed or sanitizer report
    if [ "${CI:-}" = true ] && [ "$s" != 0 ]; then f=$((f + s)); s=0; fi
    pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
    if [ "$f" != 0 ]; then
        # cmocka's own lines first: a sanitizer's leak report after a failed assertion is long
        printf '%s\n' "$out" | grep -E '^\[ +(ERROR|LINE|FAILED) +\]' | head -20
        printf '%s\n' "$out" | tail -40; echo "FAIL unit $name"; else echo "ok   unit $name ($p passed, $s skipped)"; fi
}

for t in build/tests/test_* build/asan/tests/test_*; do
    [ -x "$t" ] || continue
    name=${t#build/}
    out=$("$t" 2>&1); rc=$?
    count_unit "$name" "$out" "$rc"
done

# Integration scripts print "PASS name", "FAIL name: why" or "SKIP name: why" per test.
for t in tests/integration/test_*.sh; do
    [ -f "$t" ] || continue
    out=$(LOG_DIR="$log_dir" bash "$t" 2>&1); rc=$?
    printf '%s\n' "$out" | grep -E '^(PASS|FAIL|SKIP|  )' || true
    p=$(grep -c '^PASS ' <<<"$out"); f=$(grep -c '^FAIL ' <<<"$out"); s=$(grep -c '^SKIP ' <<<"$out")
    if [ "$rc" != 0 ] && [ "$f" = 0 ]; then echo "FAIL $t: exited $rc"; printf '%s\n' "$out" | tail -20; f=1; fi
    if [ "${CI:-}" = true ] && [ "$s" != 0 ]; then echo "(CI=true: skipped tests count as failures)"; f=$((f + s)); s=0; fi
    pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
done

echo "logs: $log_dir"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
