#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The kernel matrix: unixcap's capture tests inside Debian's 6.1 and 6.12 cloud kernels, booted
# under qemu by scripts/kernels/matrix.sh (alone: make check-kernels). One PASS, FAIL or SKIP
# line per kernel; below it, indented, what failed or was skipped, the verifier's verdict when
# the kernel refused the BPF program, and unixcap's hooks line. The host kernel is what the other
# integration tests test. KERNELS="" skips the matrix (under CI=true a skip is a failure).
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)

if [ "${KERNELS-unset}" = "" ]; then
    echo "SKIP kernel matrix: KERNELS is empty"
    exit 0
fi
out=$(LOG_DIR=${LOG_DIR:+$LOG_DIR/kernels} "$ROOT/scripts/kernels/matrix.sh" 2>&1)
rc=$?
counts='^kernel ([^ ]+): ([0-9]+) passed, ([0-9]+) failed, ([0-9]+) skipped( \((.*)\))?$'
seen=0 details=""
while IFS= read -r line; do
    if [[ $line =~ $counts ]]; then
        seen=1
        k=${BASH_REMATCH[1]} p=${BASH_REMATCH[2]} f=${BASH_REMATCH[3]} s=${BASH_REMATCH[4]} note=${BASH_REMATCH[6]}
        if [ "$f" != 0 ]; then
            echo "FAIL kernel $k: $p passed, $f failed, $s skipped${note:+ ($note)}"
        elif [ "$p" = 0 ] && [ "$s" != 0 ]; then
            echo "SKIP kernel $k: ${note:-skipped}"
        else
            echo "PASS kernel $k: $p passed, $s skipped${note:+ ($note)}"
        fi
        printf '%s' "$details"
        details=""
    elif [[ $line == "  PASS "* ]]; then
        : # the passing tests of a kernel are in the logs; the count says how many
    elif [[ $line == "  "* ]]; then
        details+="$line"$'\n' # shown below its kernel's line
    elif [[ $line == kernels:\ *booted* || $line == kernels:\ qemu\ * ]]; then
        printf '  %s\n' "$line"
    fi
done <<<"$out"
if [ "$seen" = 0 ]; then
    echo "FAIL kernel matrix: scripts/kernels/matrix.sh exited $rc without a result"
    printf '%s\n' "$out" | tail -20 | sed 's/^/  /'
    exit 1
fi
exit 0 # failures and skips are in the lines above; run.sh counts them
