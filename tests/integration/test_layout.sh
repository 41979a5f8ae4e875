#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The source tree's shape: includes point down the layers (tests/tools/check_layers.py), and
# every C file follows .clang-format. Needs no root and no BPF.
. "$(dirname "$0")/lib.sh"

LAYERS="python3 $ROOT/tests/tools/check_layers.py"

# ---- includes point down ----

out=$($LAYERS "$ROOT/src" 2>&1); rc=$?
check "layers: no header or source includes one from a layer above it" "$out" test "$rc" = 0

# The checker itself: an upward include and a sideways one, planted in a copy, are both named.
mkdir -p "$WORK/src"
cp -r "$ROOT/src/core" "$ROOT/src/format" "$ROOT/src/capture" "$ROOT/src/proxy" "$WORK/src/"
echo '#include "sinks/json.h"' >>"$WORK/src/format/synth.h"
echo '#include "capture/registry.h"' >>"$WORK/src/proxy/relay.h"
out=$($LAYERS "$WORK/src" 2>&1); rc=$?
check "layers: the checker names an upward and a sideways include it is shown" \
    "rc=$rc: $out" \
    eval '[ "$rc" = 1 ] && grep -q "format/synth.h:.*format/ includes \"sinks/json.h\"" <<<"$out" &&
          grep -q "proxy/relay.h:.*proxy/ includes \"capture/registry.h\"" <<<"$out" &&
          [ "$(wc -l <<<"$out")" = 2 ]'

# ---- every C file as clang-format writes it ----

if ! command -v clang-format >/dev/null; then
    skip "style: every C file is as clang-format writes it" "clang-format not installed"
else
    unformatted=""
    for f in $(cd "$ROOT" && find src include tests fuzz bench examples -name '*.[ch]' -not -path '*/corpus/*'); do
        clang-format --dry-run -Werror "$ROOT/$f" >/dev/null 2>&1 || unformatted="$unformatted $f"
    done
    check "style: every C file is as clang-format writes it (.clang-format; make format)" \
        "not formatted:$unformatted" test -z "$unformatted"
    # The check itself: a file with a misplaced brace and a line of 120 columns is refused.
    printf 'int f(void) {\n\treturn 0; }\nint g(int aaaaaaaaaa, int bbbbbbbbbb, int cccccccccc, int dddddddddd, int eeeeeeeeee, int ffffffffff);\n' >"$WORK/bad.c"
    cp "$ROOT/.clang-format" "$WORK/"
    check "style: the check refuses a file clang-format would change" "clang-format accepted it" \
        eval '! clang-format --dry-run -Werror "$WORK/bad.c" >/dev/null 2>&1'
fi
