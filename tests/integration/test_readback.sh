#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# -r and --json: a file read back prints exactly what the live capture printed (text, -X, JSON),
# the JSON lines parse and their payloads hash to what was sent, filters and -c select among the
# file's messages, and foreign, truncated or damaged files get one error line naming the block
# and its offset.
. "$(dirname "$0")/lib.sh"

ALL="unixcap -r and --json"
why=$(bpf_unavailable)
if [ -n "$why" ]; then skip "$ALL" "$why"; exit 0; fi
for tool in tshark python3 editcap; do
    command -v "$tool" >/dev/null || { skip "$ALL" "$tool not installed"; exit 0; }
done

CAPS=()
cleanup() {
    local p
    for p in "${CAPS[@]}"; do kill -INT "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT

# Three captures of the same traffic, each writing a file and printing its live dump.
for mode in text hex json; do
    case $mode in
    text) extra=(-v) ;;
    hex) extra=(-X) ;;
    json) extra=(--json) ;;
    esac
    "$UNIXCAP" -w "$WORK/$mode.pcapng" --print "${extra[@]}" --path "$WORK/*" --path '@uc-rb-*' \
        >"$WORK/$mode.live" 2>"$WORK/$mode.err" &
    CAPS+=($!)
done
for mode in text hex json; do
    for _ in $(seq 300); do grep -q '^unixcap: listening' "$WORK/$mode.err" && break; sleep 0.1; done
done

ok=true
"$UCGEN" --type stream --addr "path:$WORK/s.sock" --sizes 10,70000,3,0,1 --manifest "$WORK/stream.m" || ok=false
"$UCGEN" --type dgram --addr "path:$WORK/d.sock" --sizes 10,2000,1 --manifest "$WORK/dgram.m" || ok=false
"$UCGEN" --type seqpacket --addr abstract:uc-rb-seq --sizes 5,6 --send sendmsg --manifest "$WORK/seq.m" || ok=false
python3 - "$WORK/fds.sock" <<'EOF' || ok=false
import array, os, socket, sys
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(sys.argv[1]); srv.listen()
cli = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); cli.connect(sys.argv[1])
conn, _ = srv.accept()
r, w = os.pipe()
cli.sendmsg([b"fd\x00s \\ \xff"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [r, w]))])
conn.recvmsg(64, 64)
cli.shutdown(socket.SHUT_WR); conn.recv(1)
EOF
check "traffic generators ran" "a generator failed" $ok
sleep 0.5
for p in "${CAPS[@]}"; do kill -INT "$p"; done
rc_all=0
for p in "${CAPS[@]}"; do wait "$p" || rc_all=$?; done
CAPS=()
cp "$WORK"/*.live "$WORK"/*.err "$LOG_DIR/" 2>/dev/null
check "the three captures ended cleanly" "exit $rc_all" [ "$rc_all" = 0 ]

# Read back each file with the options its live capture had.
"$UNIXCAP" -r "$WORK/text.pcapng" -v >"$WORK/text.replay" 2>"$WORK/text.rerr"
check "-r prints the live text dump exactly (-v)" "$(diff "$WORK/text.live" "$WORK/text.replay" | head -3 | tr '\n' ' ')" \
    cmp -s "$WORK/text.live" "$WORK/text.replay"
check "... and the dump is not trivial" "$(wc -l <"$WORK/text.live") lines" \
    [ "$(grep -c ' len ' "$WORK/text.live")" -ge 16 ]
check "... and it holds accept, read, close and passed-fd lines" "missing event lines" \
    bash -c "grep -q ' accept\$' '$WORK/text.live' && grep -q ' read ' '$WORK/text.live' &&
             grep -q ' close\$' '$WORK/text.live' && grep -q 'passed fd' '$WORK/text.live'"
"$UNIXCAP" -r "$WORK/hex.pcapng" -X >"$WORK/hex.replay" 2>/dev/null
check "-r -X prints the live -X dump exactly" "$(diff "$WORK/hex.live" "$WORK/hex.replay" | head -3 | tr '\n' ' ')" \
    cmp -s "$WORK/hex.live" "$WORK/hex.replay"
"$UNIXCAP" -r - --json <"$WORK/json.pcapng" >"$WORK/json.replay" 2>/dev/null
check "-r - --json (stdin) prints the live JSON lines exactly" "$(diff "$WORK/json.live" "$WORK/json.replay" | head -3 | tr '\n' ' ')" \
    cmp -s "$WORK/json.live" "$WORK/json.replay"

# The JSON lines parse, and the payloads of the stream hash to what ucgen sent each way.
json_check=$(python3 - "$WORK/json.replay" "$WORK/stream.m" "$WORK/s.sock" <<'EOF'
import base64, hashlib, json, sys
lines = open(sys.argv[1]).read().splitlines()
objs = [json.loads(l) for l in lines]
want = {l.split()[1]: l.split()[3] for l in open(sys.argv[2]) if l.startswith("stream ")}
server = sys.argv[3]
got = {"c2s": hashlib.sha256(), "s2c": hashlib.sha256()}
for o in objs:
    for key in ("ts", "event", "type", "pid", "comm", "own", "peer", "len"):
        assert key in o, f"{key} missing in {o}"
    if o["event"] != "data" or o["type"] != "stream":
        continue
    if o["peer"]["path"] == server:
        got["c2s"].update(base64.b64decode(o["payload"]))
    elif o["own"]["path"] == server:
        got["s2c"].update(base64.b64decode(o["payload"]))
fds = [o for o in objs if "fds" in o]
assert fds and fds[0]["fds_passed"] == 2 and fds[0]["fds"][0]["kind"] == "pipe", fds
for d in ("c2s", "s2c"):
    assert got[d].hexdigest() == want[d], f"{d}: {got[d].hexdigest()} != {want[d]}"
print(f"{len(objs)} objects")
EOF
)
check "--json lines parse and stream payloads match ucgen's sha256 both ways" "$json_check" \
    grep -q objects <<<"$json_check"

# Filters and -c select among the file's messages.
"$UNIXCAP" -r "$WORK/text.pcapng" --type dgram -q >"$WORK/dgram.txt" 2>&1
check "-r --type dgram shows only datagrams" "$(head -2 "$WORK/dgram.txt")" \
    bash -c "[ \$(grep -c ' dgram ' '$WORK/dgram.txt') -ge 6 ] && ! grep -vq ' dgram ' '$WORK/dgram.txt'"
"$UNIXCAP" -r "$WORK/text.pcapng" --path '@uc-rb-*' -c 1 -q >"$WORK/c1.txt" 2>&1
check "-r --path @glob -c 1 stops after one message of that socket" "$(cat "$WORK/c1.txt")" \
    bash -c "[ \$(grep -c ' len ' '$WORK/c1.txt') = 1 ] && grep -q 'seqpacket unnamed([0-9]*) > @uc-rb-seq([0-9]*) len 5' '$WORK/c1.txt'"
"$UNIXCAP" -r "$WORK/text.pcapng" --type dgram -w "$WORK/dgram.pcapng" 2>"$WORK/rw.err"
"$UNIXCAP" -r "$WORK/dgram.pcapng" -q >"$WORK/dgram2.txt" 2>&1
check "-r -w writes the selected messages to a file tshark and -r read" "$(cat "$WORK/rw.err")" \
    bash -c "cmp -s '$WORK/dgram.txt' '$WORK/dgram2.txt' && [ \$(tshark -r '$WORK/dgram.pcapng' -Y tcp 2>/dev/null | wc -l) = 0 ] &&
             [ \$(tshark -r '$WORK/dgram.pcapng' -Y udp 2>/dev/null | wc -l) -ge 6 ]"

# Foreign, damaged and cut files: one line naming the block and offset, exit 1.
expect_error() { # NAME FILE PATTERN
    local out rc
    out=$("$UNIXCAP" -r "$2" -q 2>&1 >/dev/null); rc=$?
    check "$1" "exit $rc: $out" bash -c "[ $rc = 1 ] && [ \$(wc -l <<<'$out') = 1 ] && grep -Eq -- '$3' <<<'$out'"
}
python3 -c "import struct,sys; sys.stdout.buffer.write(struct.pack('<IHHiIII',0xa1b2c3d4,2,4,0,0,65535,1))" >"$WORK/classic.pcap"
expect_error "-r on a classic pcap says so" "$WORK/classic.pcap" "block 1 at offset 0: a classic pcap file"
: >"$WORK/empty"
expect_error "-r on an empty file says so" "$WORK/empty" "block 1 at offset 0: the file is empty"
size=$(stat -c %s "$WORK/text.pcapng")
head -c $((size * 2 / 3)) "$WORK/text.pcapng" >"$WORK/cut.pcapng"
expect_error "-r on a cut file names the block and offset" "$WORK/cut.pcapng" \
    "block [0-9]+ at offset [0-9]+: the file ends inside the block.*cut short"
"$UNIXCAP" -r "$WORK/cut.pcapng" -v 2>/dev/null >"$WORK/cut.txt"
n=$(wc -l <"$WORK/cut.txt")
check "... after printing the messages before the cut, as the live dump did" "$n lines" \
    bash -c "[ $n -gt 10 ] && head -n $((n - 3)) '$WORK/cut.txt' | cmp -s - <(head -n $((n - 3)) '$WORK/text.live')"
# Damage the length at the end of the tenth block: its two lengths then disagree.
python3 - "$WORK/text.pcapng" "$WORK/bad.pcapng" >"$WORK/bad.where" <<'EOF'
import struct, sys
data = bytearray(open(sys.argv[1], "rb").read())
off = 0
for _ in range(9):
    off += struct.unpack_from("<I", data, off + 4)[0]
total = struct.unpack_from("<I", data, off + 4)[0]
struct.pack_into("<I", data, off + total - 4, total + 4)
open(sys.argv[2], "wb").write(data)
print(off)
EOF
expect_error "-r on a damaged file names the block and offset" "$WORK/bad.pcapng" \
    "block 10 at offset $(cat "$WORK/bad.where"): block length [0-9]+ at its start but [0-9]+ at its end"
editcap -F pcapng "$WORK/classic.pcap" "$WORK/other.pcapng" 2>/dev/null ||
    tshark -r "$WORK/classic.pcap" -F pcapng -w "$WORK/other.pcapng" 2>/dev/null
expect_error "-r on another program's pcapng names it" "$WORK/other.pcapng" \
    "block 1 at offset 0: written by .*, not unixcap"
out=$("$UNIXCAP" -r "$WORK/missing.pcapng" 2>&1); rc=$?
check "-r on a missing file: exit 1 and the reason" "exit $rc: $out" \
    bash -c "[ $rc = 1 ] && grep -q 'cannot read .*No such file' <<<'$out'"
