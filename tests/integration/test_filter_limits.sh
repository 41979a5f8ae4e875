#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Filters at their limits: the verifier checks the --path loops at every place a message is
# matched, against a million instructions per program, so the most --path (long names, globs,
# sockets that exist and are matched by identity too), --pid and --inode a user may give must
# still load, and the sockets they name must still be captured byte for byte.
. "$(dirname "$0")/lib.sh"

why=$(bpf_unavailable)
if [ -n "$why" ]; then skip "filters at their limits: every test" "$why"; exit 0; fi

D=$WORK/limits-$(printf 'x%.0s' $(seq 60))
mkdir -p "$D"
mkfifo "$WORK/go"
# Eight servers bound before the capture starts (so --path also matches them by inode), each
# echoing one connection; then the client side: s3 and s8 under --path, other.sock not.
python3 - "$D" "$WORK/go" >"$WORK/limits.py" 2>&1 <<'PY' &
import hashlib, os, socket, sys, threading
d, go = sys.argv[1], sys.argv[2]
def serve(l):
    s, _ = l.accept()
    while (b := s.recv(65536)):
        s.sendall(b)
    s.close()
names = [f"{d}/s{i}.sock" for i in range(1, 9)] + [f"{d}/other.sock"]
for n in names:
    l = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    l.bind(n); l.listen(1)
    threading.Thread(target=serve, args=(l,), daemon=True).start()
print("bound", flush=True)
open(go).read()  # the capture is listening
for n in (names[2], names[7], names[8]):
    data = os.urandom(200000)
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    c.connect(n); c.sendall(data); c.shutdown(socket.SHUT_WR)
    got = b""
    while (b := c.recv(65536)):
        got += b
    c.close()
    assert got == data
    print(os.path.basename(n), hashlib.sha256(data).hexdigest(), flush=True)
PY
py=$!
for _ in $(seq 100); do grep -q bound "$WORK/limits.py" && break; sleep 0.1; done
F=$WORK/limits.pcapng
if start_capture limits -w "$F" --path "$D/s1.sock" --path "$D/s2.sock" --path "$D/s3.sock" \
    --path "$D/s4.sock" --path "$D/*s*5*.so*ck" --path "$D/*s*6.*" --path "$D/s*7*" --path "$D/*8*.sock"; then
    echo >"$WORK/go"
    wait "$py"; rc=$?
    stop_capture limits || fail "8 --path: capture stops cleanly" "$STOP_ERR"
    if [ "$rc" != 0 ]; then
        fail "8 --path: the echo clients ran" "$(tail -2 "$WORK/limits.py")"
    else
        # Each stream's bytes each way (the servers echo: both ways carry what the client sent),
        # in frame order from the file, hashed.
        tshark -r "$F" -Y "tcp.len > 0" -T fields -E separator=, -e tcp.stream -e tcp.srcport -e tcp.payload \
            >"$WORK/limits.fields" 2>"$WORK/limits.tshark"
        streams=$(python3 - "$WORK/limits.fields" <<'PY'
import hashlib, sys
ways = {}
for line in open(sys.argv[1]):
    stream, port, payload = line.strip().split(",")
    ways.setdefault((stream, port), bytearray()).extend(bytes.fromhex(payload.replace(":", "")))
for (stream, port), data in sorted(ways.items()):
    print(stream, hashlib.sha256(data).hexdigest())
PY
)
        for s in s3 s8; do
            want=$(awk -v s="$s.sock" '$1 == s { print $2 }' "$WORK/limits.py")
            ways=$(awk -v h="$want" '$2 == h' <<<"$streams" | wc -l)
            check "8 --path (4 with several '*'), bound before the start: $s.sock's 200000 bytes both ways, sha256 as sent" \
                "want $want twice, got: $(tr '\n' ' ' <<<"$streams")" test "$ways" = 2
        done
        n=$(cut -d' ' -f1 <<<"$streams" | sort -u | wc -l)
        check "8 --path: only the connections to s3 and s8 are captured, not other.sock's" \
            "$n streams with data" test "$n" = 2
    fi
else
    fail "8 --path: capture starts" "$(tail -1 "$WORK/limits.err")"
    kill "$py" 2>/dev/null
fi

# Every filter at once, each at its limit.
set -- --type stream,seqpacket --comm ucgen
for i in 1 2 3 4 5 6 7 8; do set -- "$@" --path "$D/*s*$i*.so*ck" --pid $((90000 + i)) --inode $((900000 + i)); done
if start_capture all_limits -q "$@"; then
    stop_capture all_limits && pass "every filter at its limit (8 --path, 8 --pid, 8 --inode, --comm, --type): the hooks load" ||
        fail "every filter at its limit: capture stops cleanly" "$STOP_ERR"
else
    fail "every filter at its limit (8 --path, 8 --pid, 8 --inode, --comm, --type): the hooks load" "$(tail -1 "$WORK/all_limits.err")"
fi
