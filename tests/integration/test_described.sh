#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Sockets are described to user space once and their messages name them by inode: each message
# must still carry the names and peer credentials its socket has when it is sent or read.
# A datagram socket that connects to one server, then another, then binds a name of its own; a
# stream client and server; a thousand short connections. Read back as --json.
. "$(dirname "$0")/lib.sh"

why=$(bpf_unavailable)
if [ -n "$why" ]; then skip "socket descriptions: every test" "$why"; exit 0; fi

D=$WORK/sockets
mkdir -p "$D"
start_capture described --json --comm ucdescr || { fail "socket descriptions: capture starts" "no listening line"; exit 0; }
python3 - "$D" <<'PY'
import os, socket, sys
d = sys.argv[1]
open("/proc/self/comm", "w").write("ucdescr")
srv = {}
for name in ("b", "c"):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(f"{d}/{name}.sock")
    srv[name] = s
a = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
a.connect(f"{d}/b.sock"); a.send(b"one"); srv["b"].recv(100)
a.connect(f"{d}/c.sock"); a.send(b"two"); srv["c"].recv(100)
a.bind(f"{d}/a.sock"); a.send(b"three"); srv["c"].recv(100)
l = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
l.bind(f"{d}/stream.sock"); l.listen(1024)
for i in range(1000):
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    c.connect(f"{d}/stream.sock")
    s, _ = l.accept()
    c.sendall(b"ping%04d" % i); s.recv(100)
    s.sendall(b"pong%04d" % i); c.recv(100)
    c.close(); s.close()
# a client that sends before the server accepts: its peer has no inode yet, then has one
c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
c.connect(f"{d}/stream.sock"); c.sendall(b"early")
s, _ = l.accept(); s.recv(100)
c.sendall(b"late"); s.recv(100)
open(f"{d}/accepted.ino", "w").write(str(os.fstat(s.fileno()).st_ino))
c.close(); s.close()
PY
stop_capture described || { fail "socket descriptions: capture stops cleanly" "$STOP_ERR"; exit 0; }

check_json() { # NAME PYTHON-EXPRESSION over `lines` (the JSON objects): PASS when true
    local name=$1 expr=$2 out
    out=$(python3 - "$WORK/described.out" "$D" "$expr" <<'PY'
import base64, json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
d = sys.argv[2]
def data(payload):
    return [l for l in lines if l["event"] == "data" and base64.b64decode(l.get("payload", "")) == payload]
def reads(path, n):
    return [l for l in lines if l["event"] == "read" and l["own"]["path"] == path and l["len"] == n]
ok = eval(sys.argv[3])
print("ok" if ok else "no")
PY
)
    check "$name" "$(head -c 300 "$WORK/described.out")" test "$out" = ok
}

check_json "socket descriptions: a datagram socket's send names the server it is connected to" \
    'len(data(b"one")) == 1 and data(b"one")[0]["peer"]["path"] == d + "/b.sock"'
check_json "socket descriptions: after it connects elsewhere, its send names the new server" \
    'len(data(b"two")) == 1 and data(b"two")[0]["peer"]["path"] == d + "/c.sock"'
check_json "socket descriptions: after it binds, its send names its own new address" \
    'len(data(b"three")) == 1 and data(b"three")[0]["own"]["path"] == d + "/a.sock" and data(b"three")[0]["peer"]["path"] == d + "/c.sock"'
check_json "socket descriptions: each server's read names its own address" \
    'len(reads(d + "/b.sock", 3)) == 1 and len(reads(d + "/c.sock", 3)) == 1 and len(reads(d + "/c.sock", 5)) == 1'
check_json "socket descriptions: 1000 connections, every ping names the listener and its owner's credentials" \
    'len([l for l in lines if l["event"] == "data" and l.get("payload") and base64.b64decode(l["payload"]).startswith(b"ping") and l["peer"]["path"] == d + "/stream.sock" and l["peer"].get("pid") and l["peer"]["inode"]]) == 1000'
check_json "socket descriptions: a client that sent before the accept: its next send names the accepted socket's inode" \
    'len(data(b"late")) == 1 and data(b"late")[0]["peer"]["inode"] == int(open(d + "/accepted.ino").read())'
check_json "socket descriptions: every pong comes from the listener's address to an unnamed client" \
    'len([l for l in lines if l["event"] == "data" and l.get("payload") and base64.b64decode(l["payload"]).startswith(b"pong") and l["own"]["path"] == d + "/stream.sock" and l["peer"]["path"] is None and l["peer"]["inode"]]) == 1000'
