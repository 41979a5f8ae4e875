#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The capture library as a program outside the tree uses it: `make install` puts unixcap.h and
# libunixcap.a under DESTDIR, the example builds against them alone, and as root it sees exactly
# the messages and bytes a known transfer sent each way.
. "$(dirname "$0")/lib.sh"

ALL="libunixcap and its example"
command -v cc >/dev/null || { skip "$ALL" "no C compiler"; exit 0; }
dest=$WORK/dest
if ! make -s -C "$ROOT" install DESTDIR="$dest" PREFIX=/usr EXTCAP_DIR= >"$WORK/install.log" 2>&1; then
    fail "$ALL: make install" "$(tail -3 "$WORK/install.log" | tr '\n' ' ')"; exit 0
fi
check "make install puts the public header and the library under DESTDIR" "missing" \
    test -f "$dest/usr/include/unixcap.h" -a -f "$dest/usr/lib/libunixcap.a"
cc -std=gnu11 -Wall -Wextra -Werror -I"$dest/usr/include" "$ROOT/examples/socket_bytes.c" \
    "$dest/usr/lib/libunixcap.a" -lbpf -lelf -lz -o "$WORK/socket_bytes" 2>"$WORK/cc.log"
check "the example builds against the installed header and library alone, warning-free" \
    "$(head -3 "$WORK/cc.log" | tr '\n' ' ')" test -x "$WORK/socket_bytes"
out=$("$WORK/socket_bytes" 2>&1); rc=$?
check "the example without arguments: usage, exit 2" "exit $rc: $out" eval '[ $rc = 2 ] && grep -q usage <<<"$out"'

# What the library puts in its users' namespace: uc_ names only (nm -g lists what it defines).
lib=$dest/usr/lib/libunixcap.a
foreign=$(nm -g --defined-only "$lib" | awk 'NF == 3 && $3 !~ /^uc_/ { print $3 }' | head -5 | tr '\n' ' ')
check "every global symbol libunixcap.a defines starts with uc_" "also: $foreign" test -z "$foreign"
# No mutable globals: state lives in the objects, so sessions share none. Constant tables are
# in .rodata or .data.rel.ro; anything in .data or .bss is a variable.
writable=$(objdump -h "$lib" | awk '/file format/ { f = $1 }
    $2 ~ /^\.(data|bss)(\.|$)/ && $2 !~ /rel\.ro/ && $3 !~ /^0+$/ { print f, $2 }' | head -5 | tr '\n' ' ')
check "libunixcap.a has no writable data (.data, .bss): no state outside the objects" \
    "found: $writable" test -z "$writable"
printf '#include <stdio.h>\n#include <unixcap.h>\nint main(void) { puts("unixcap " UNIXCAP_VERSION); return 0; }\n' \
    >"$WORK/version.c"
cc -std=gnu11 -I"$dest/usr/include" "$WORK/version.c" -o "$WORK/version" 2>"$WORK/cc.log"
ver=$("$WORK/version" 2>&1); cli=$("$ROOT/unixcap" --version 2>&1)
check "the header's UNIXCAP_VERSION is what unixcap --version prints" "'$ver' and '$cli'" \
    test "$ver" = "$cli"
# The hooks' view of the ring records (the BTF of their object) is the size user space pins.
bpf_obj=$ROOT/build/unixcap.bpf.o
if command -v bpftool >/dev/null && [ -r "$bpf_obj" ]; then
    differ=$(sed -n 's/^PINNED(struct \(uc_[a-z_]*\), \([0-9]*\));$/\1 \2/p' "$ROOT/src/capture/record_abi.c" |
        while read -r name size; do
            btf=$(bpftool btf dump file "$bpf_obj" format raw | sed -n "s/^\[[0-9]*\] STRUCT '$name' size=\([0-9]*\) .*/\1/p")
            [ -z "$btf" ] || [ "$btf" = "$size" ] || echo "$name: $btf in the hooks, $size here"
        done)
    check "the record structs have the sizes record_abi.c pins in the hooks' BTF too" "$differ" \
        test -z "$differ"
else
    skip "record sizes in the hooks' BTF" "no bpftool or no $bpf_obj"
fi

why=$(bpf_unavailable)
if [ -n "$why" ]; then skip "$ALL: capture" "$why"; exit 0; fi
[ -x "$UCGEN" ] || { skip "$ALL: capture" "$UCGEN not built"; exit 0; }
sock=$WORK/lib.sock
"$WORK/socket_bytes" "$sock" 4 >"$WORK/ex.out" 2>"$WORK/ex.err" &
ex=$!
for _ in $(seq 100); do grep -q watching "$WORK/ex.err" && break; sleep 0.1; done
# 3 messages of 1000+20000+5 bytes to the server, replies of 7 bytes each back
"$UCGEN" --type stream --addr "path:$sock" --sizes 1000,20000,5 --reply-sizes 7,7,7 >/dev/null ||
    fail "$ALL: ucgen" "failed"
wait "$ex"; rc=$?
cp "$WORK/ex.out" "$LOG_DIR/library-example.out" 2>/dev/null
check "the example sees the transfer exactly: 6 messages, 21005 bytes to the socket, 21 back" \
    "exit $rc: $(tail -1 "$WORK/ex.out")" \
    eval '[ $rc = 0 ] && [ "$(tail -1 "$WORK/ex.out")" = "6 messages, 21005 bytes to $sock, 21 bytes from it" ]'
check "... and prints each message as the text dump does" "$(head -2 "$WORK/ex.out" | tr '\n' ' ')" \
    eval '[ "$(grep -c " stream .* len " "$WORK/ex.out")" = 6 ]'

# Reentrant: two sessions in one process, each with its own --path, see their own socket only.
cc -std=gnu11 -Wall -Wextra -Werror -I"$dest/usr/include" "$ROOT/tests/tools/two_sessions.c" \
    "$dest/usr/lib/libunixcap.a" -lbpf -lelf -lz -o "$WORK/two_sessions" 2>"$WORK/cc2.log" ||
    { fail "$ALL: two sessions" "$(head -3 "$WORK/cc2.log" | tr '\n' ' ')"; exit 0; }
"$WORK/two_sessions" "$WORK/a.sock" "$WORK/b.sock" 5 >"$WORK/two.out" 2>"$WORK/two.err" &
two=$!
for _ in $(seq 150); do grep -q watching "$WORK/two.err" && break; sleep 0.1; done
"$UCGEN" --type stream --addr "path:$WORK/a.sock" --sizes 10,20,30 --reply-sizes 1,1,1 >/dev/null &&
    "$UCGEN" --type stream --addr "path:$WORK/b.sock" --sizes 5,5 --reply-sizes 1,1 >/dev/null ||
    fail "$ALL: ucgen for two sessions" "failed"
wait "$two"; rc=$?
check "two sessions in one process each see their own socket only: 6 and 4 messages" \
    "exit $rc: $(cat "$WORK/two.out" "$WORK/two.err" | tail -2 | tr '\n' ' ')" \
    eval '[ $rc = 0 ] && [ "$(cat "$WORK/two.out")" = "A: 6 messages (0 of B'"'"'s), B: 4 messages (0 of A'"'"'s)" ]'
