#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# -r -w on hostile files (fuzz/regressions/pcapng, made from a seed by tests/tools/pcapng_edit.py):
# metadata that contradicts itself ends the replay with one line naming the block, its offset and
# the field, exit 1, within seconds and with bounded output; what -r -w writes is read by -r again;
# and a replay of input that never ends stops at SIGINT, SIGTERM or SIGHUP with exit 0.
# Needs no root (no capture).
. "$(dirname "$0")/lib.sh"

REG=$ROOT/fuzz/regressions/pcapng
EDIT="python3 $ROOT/tests/tools/pcapng_edit.py"
[ -x "$UNIXCAP" ] || { skip "-r -w on hostile files" "$UNIXCAP not built"; exit 0; }
for tool in python3 tshark; do
    command -v "$tool" >/dev/null || { skip "-r -w on hostile files" "$tool not installed"; exit 0; }
done

# rewrite FILE OUT: unixcap -r FILE -w OUT with 10 s and 2 MB of output at most; RC, ERR set.
rewrite() {
    ERR=$( (ulimit -f 4096; timeout 10 "$UNIXCAP" -r "$1" -w "$2" 2>&1 >/dev/null) ); RC=$?
}

# expect_refused NAME FILE PATTERN: exit 1, one line matching PATTERN, and the output so far is
# itself a file -r reads.
expect_refused() {
    rewrite "$2" "$WORK/refused.pcapng"
    check "$1" "exit $RC: $ERR" bash -c "[ $RC = 1 ] && [ \$(wc -l <<<'$ERR') = 1 ] && grep -Eq -- '$3' <<<'$ERR'"
    "$UNIXCAP" -r "$WORK/refused.pcapng" -q >/dev/null 2>"$WORK/refused.err"; rc2=$?
    check "... and what it wrote before the damage is read by -r" "exit $rc2: $(cat "$WORK/refused.err")" \
        [ $rc2 = 0 ]
}

expect_refused "-r -w: stored more than caplen (caplen - stored used to wrap: output without bound)" \
    "$REG/rewrite_runaway_stored_over_caplen.pcapng" \
    "block 11 at offset 1760: its comment says stored=42, more than caplen=20: damaged metadata"
expect_refused "-r -w: caplen more than len" "$REG/rewrite_caplen_over_len.pcapng" \
    "block 11 at offset 1760: its comment says caplen=42, more than len=20: damaged metadata"
expect_refused "-r -w: packets holding more bytes than stored" "$REG/rewrite_data_past_stored.pcapng" \
    "block 11 at offset 1760: packet data runs past the stored=20 bytes its comment says"
$EDIT "$ROOT/fuzz/corpus/pcapng/dgram_fds.pcapng" "$WORK/fds.pcapng" --replace scm_rights=3 scm_rights=1 >/dev/null
expect_refused "-r -w: more descriptors described than passed" "$WORK/fds.pcapng" \
    "block [0-9]+ at offset [0-9]+: its comment describes 2 passed descriptors but says scm_rights=1"
$EDIT "$ROOT/fuzz/corpus/pcapng/stream_http.pcapng" "$WORK/syscall.pcapng" --replace syscall=44 syscall=65580 >/dev/null
expect_refused "-r -w: a syscall number that does not fit" "$WORK/syscall.pcapng" \
    "block [0-9]+ at offset [0-9]+: its comment is not unixcap metadata"

$EDIT "$ROOT/fuzz/corpus/pcapng/stream_http.pcapng" "$WORK/unknown.pcapng" --replace "type=stream event=data" "type=unknown event=data" >/dev/null
expect_refused "-r -w: a socket type unknown, but not a loss report" "$WORK/unknown.pcapng" \
    "block [0-9]+ at offset [0-9]+: its comment is not unixcap metadata"

# A loss report of unknown socket type (what a capture writes for losses pending at its end).
rewrite "$REG/lost_type_unknown_pending_at_end.pcapng" "$WORK/unknown_lost.pcapng"
"$UNIXCAP" -r "$WORK/unknown_lost.pcapng" --json >"$WORK/unknown_lost.json" 2>&1; rc2=$?
udp=$(tshark -r "$WORK/unknown_lost.pcapng" -Y udp 2>/dev/null | wc -l)
check "-r -w: a loss of unknown socket type is read, written on its stream, and read again" \
    "exit $RC: $ERR; -r: exit $rc2 $(tail -1 "$WORK/unknown_lost.json"); $udp UDP packets" \
    bash -c "[ $RC = 0 ] && [ $rc2 = 0 ] && grep -q '\"event\":\"lost\",\"type\":\"unknown\"' '$WORK/unknown_lost.json' && [ $udp = 0 ]"

# An accept and later events carrying inode 0 (unknown): ASan saw a use-after-free here.
rewrite "$REG/rewrite_uaf_own_ino_0_after_retire.pcapng" "$WORK/ino0.pcapng"
"$UNIXCAP" -r "$WORK/ino0.pcapng" -q >"$WORK/ino0.txt" 2>&1; rc2=$?
check "-r -w: events with inode 0 are written, and read back" "exit $RC: $ERR; -r: exit $rc2 $(tail -1 "$WORK/ino0.txt")" \
    bash -c "[ $RC = 0 ] && [ $rc2 = 0 ] && [ \$(grep -c ' len ' '$WORK/ino0.txt') = 2 ]"

# Input that never ends: a unixcap capture whose messages repeat for ever, through a pipe.
endless() {
    python3 - "$ROOT/fuzz/corpus/pcapng/stream_http.pcapng" <<'EOF'
import struct, sys
data, blocks, off = open(sys.argv[1], "rb").read(), [], 0
while off < len(data):
    blocks.append(data[off:off + struct.unpack_from("<I", data, off + 4)[0]])
    off += len(blocks[-1])
head = [b for b in blocks if struct.unpack_from("<I", b)[0] in (0x0A0D0D0A, 1, 4)]
body = b"".join(b for b in blocks if struct.unpack_from("<I", b)[0] in (6, 0x40000BAD))
try:
    sys.stdout.buffer.write(b"".join(head))
    while True:
        sys.stdout.buffer.write(body)
except (BrokenPipeError, OSError):
    pass
EOF
}
for sig in INT TERM HUP; do
    out=$WORK/endless_$sig.pcapng
    endless | "$UNIXCAP" -r - -w "$out" 2>"$WORK/endless_$sig.err" &
    pid=$!
    for _ in $(seq 100); do [ "$(stat -c %s "$out" 2>/dev/null || echo 0)" -gt 200000 ] && break; sleep 0.1; done
    kill -"$sig" "$pid"
    wait_exit "$pid" 5 || kill -KILL "$pid" 2>/dev/null
    wait 2>/dev/null
    "$UNIXCAP" -r "$out" -q >/dev/null 2>"$WORK/endless_$sig.rerr"; rc2=$?
    check "-r - -w of endless input stops at SIG$sig: exit 0, and -r reads what it wrote" \
        "exit $RC: $(head -2 "$WORK/endless_$sig.err" | tr '\n' ' '); -r: exit $rc2 $(cat "$WORK/endless_$sig.rerr")" \
        bash -c "[ '$RC' = 0 ] && [ $rc2 = 0 ] && [ \$(stat -c %s '$out') -gt 200000 ]"
done
