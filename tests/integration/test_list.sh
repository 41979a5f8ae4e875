#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# `unixcap list` against sockets a python3 program holds open: a listener and a connection through
# it, an abstract listener with a connection not yet accepted, a seqpacket socketpair, a named
# dgram socket and a client connected to it, and an unnamed socket shared with a forked child.
# Each appears with its type, state, address, peer and owners, in the text table and in --json;
# the filters select exactly; bad options exit 2 with one line. Needs root (to see every owner),
# no BPF.
. "$(dirname "$0")/lib.sh"

ALL="unixcap list"
[ "$(id -u)" = 0 ] || { skip "$ALL" "not root"; exit 0; }
[ -x "$UNIXCAP" ] || { skip "$ALL" "$UNIXCAP not built"; exit 0; }
command -v python3 >/dev/null || { skip "$ALL" "python3 not installed"; exit 0; }

PY_PID=""
CHILD=""
cleanup() {
    [ -n "$CHILD" ] && kill "$CHILD" 2>/dev/null
    [ -n "$PY_PID" ] && kill "$PY_PID" 2>/dev/null
    wait 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT

# ---- bad options: exit 2, one line, nothing on stdout ----

usage_error() { # NAME NEEDLE -- ARGS...
    local name=$1 needle=$2 rc lines why=""; shift 3
    "$UNIXCAP" list "$@" >"$WORK/usage.out" 2>"$WORK/usage.err"; rc=$?
    lines=$(wc -l <"$WORK/usage.err")
    [ "$rc" = 2 ] || why="exit status $rc, not 2;"
    [ "$lines" = 1 ] || why="$why $lines lines on stderr, not 1;"
    grep -q "^unixcap list: .*$(sed 's/[][\.*^$/]/\\&/g' <<<"$needle")" "$WORK/usage.err" ||
        why="$why stderr does not say 'unixcap list: ...$needle';"
    [ ! -s "$WORK/usage.out" ] || why="$why it wrote to stdout;"
    if [ -z "$why" ]; then pass "list usage error: $name"; else
        fail "list usage error: $name" "$why stderr: $(head -3 "$WORK/usage.err" | tr '\n' ' ')"; fi
}

usage_error "--bogus is refused" "unknown option '--bogus'" -- --bogus
usage_error "-w is refused (a capture option)" "unknown option '-w'" -- -w x
usage_error "--pid abc is refused" "invalid --pid 'abc'" -- --pid abc
usage_error "--type foo is refused" "invalid --type 'foo'" -- --type foo
usage_error "--path relative is refused" "invalid --path 'relative'" -- --path relative
usage_error "--inode without a value is refused" "needs a value" -- --inode
usage_error "a stray argument is refused" "unexpected argument 'stray'" -- stray
"$UNIXCAP" list --help >"$WORK/help.out" 2>"$WORK/help.err"; rc=$?
check "list --help prints its usage on stdout and exits 0" "exit $rc: $(head -2 "$WORK/help.out")" \
    eval '[ "$rc" = 0 ] && grep -q "^usage: unixcap list" "$WORK/help.out" && [ ! -s "$WORK/help.err" ]'

# ---- the sockets ----

DIR=$WORK/socks
mkdir -p "$DIR"
cat >"$WORK/sockets.py" <<'EOF'
import os, signal, socket, sys

d, ids = sys.argv[1], sys.argv[2]
U = socket.AF_UNIX
ino = lambda s: os.fstat(s.fileno()).st_ino

lst = socket.socket(U, socket.SOCK_STREAM); lst.bind(d + "/srv.sock"); lst.listen(8)
cli = socket.socket(U, socket.SOCK_STREAM); cli.connect(d + "/srv.sock")
srv, _ = lst.accept()
abs_name = "\0uc-test-list-%d" % os.getpid()
abl = socket.socket(U, socket.SOCK_STREAM); abl.bind(abs_name); abl.listen(4)
waiting = socket.socket(U, socket.SOCK_STREAM); waiting.connect(abs_name)  # never accepted
pa, pb = socket.socketpair(U, socket.SOCK_SEQPACKET)
dg = socket.socket(U, socket.SOCK_DGRAM); dg.bind(d + "/dg.sock")
dgc = socket.socket(U, socket.SOCK_DGRAM); dgc.connect(d + "/dg.sock")
shared = socket.socket(U, socket.SOCK_DGRAM)
mine = [lst, cli, srv, abl, waiting, pa, pb, dg, dgc]

r, w = os.pipe()
child = os.fork()
if child == 0:  # keeps only the shared socket, under its own name
    for s in mine:
        s.close()
    open("/proc/self/comm", "w").write("uc-list-child")
    os.write(w, b"x")
    signal.pause()
    os._exit(0)
os.read(r, 1)
open("/proc/self/comm", "w").write("uc-list-test")
names = dict(LST=lst, CLI=cli, SRV=srv, ABL=abl, WAITING=waiting, PA=pa, PB=pb, DG=dg, DGC=dgc,
             SHARED=shared)
with open(ids + ".tmp", "w") as f:
    for k, s in names.items():
        f.write("%s=%d\n" % (k, ino(s)))
    f.write("PID=%d\nCHILD=%d\n" % (os.getpid(), child))
os.rename(ids + ".tmp", ids)
signal.pause()
EOF
python3 "$WORK/sockets.py" "$DIR" "$WORK/ids" >"$WORK/sockets.log" 2>&1 &
PY_PID=$!
for _ in $(seq 100); do [ -e "$WORK/ids" ] && break; sleep 0.1; done
if [ ! -e "$WORK/ids" ]; then
    fail "$ALL" "the python3 program did not set its sockets up: $(tail -3 "$WORK/sockets.log" | tr '\n' ' ')"
    exit 0
fi
. "$WORK/ids"

"$UNIXCAP" list >"$WORK/list.txt" 2>"$WORK/list.err"; rc=$?
if [ "$rc" != 0 ] && grep -q "unix_diag" "$WORK/list.err"; then
    skip "$ALL" "$(head -1 "$WORK/list.err")"
    exit 0
fi
check "list exits 0, nothing on stderr (as root)" "exit $rc: $(head -3 "$WORK/list.err" | tr '\n' ' ')" \
    eval '[ "$rc" = 0 ] && [ ! -s "$WORK/list.err" ]'
check "list starts with its header" "$(head -1 "$WORK/list.txt")" \
    eval 'head -1 "$WORK/list.txt" | grep -Eq "^TYPE +STATE +INODE +PEER +PATH +OWNERS$"'

# row INODE: "type|state|peer|path|owners" of that socket's line (the path may hold " > ").
row() {
    awk -v ino="$1" 'NR > 1 && $3 == ino {
        path = $5; for (i = 6; i < NF; i++) path = path " " $i
        print $1 "|" $2 "|" $4 "|" path "|" $NF }' "$WORK/list.txt"
}

# expect_row NAME INODE WANT
expect_row() {
    local got
    got=$(row "$2")
    check "list: $1" "want '$3', got '$got'" test "$got" = "$3"
}

ME="uc-list-test[$PID]"
if [ "$PID" -lt "$CHILD" ]; then BOTH="$ME,uc-list-child[$CHILD]"; else BOTH="uc-list-child[$CHILD],$ME"; fi
expect_row "the listener: listening, its path, no peer" "$LST" "stream|listening|-|$DIR/srv.sock|$ME"
expect_row "the client: connected, its peer the accepted socket, whose path it shows" \
    "$CLI" "stream|connected|$SRV|unnamed > $DIR/srv.sock|$ME"
expect_row "the accepted socket: connected, the listener's path, its peer the client" \
    "$SRV" "stream|connected|$CLI|$DIR/srv.sock|$ME"
expect_row "the abstract listener: @name" "$ABL" "stream|listening|-|@uc-test-list-$PID|$ME"
expect_row "a socketpair: seqpacket, each the other's peer" "$PA" "seqpacket|connected|$PB|unnamed|$ME"
expect_row "a socketpair's other end" "$PB" "seqpacket|connected|$PA|unnamed|$ME"
expect_row "a bound dgram socket: unconnected" "$DG" "dgram|unconnected|-|$DIR/dg.sock|$ME"
expect_row "a dgram client: connected to the bound one" "$DGC" "dgram|connected|$DG|unnamed > $DIR/dg.sock|$ME"
expect_row "a socket shared with a child: both owners" "$SHARED" "dgram|unconnected|-|unnamed|$BOTH"
got=$(awk -v ino="$WAITING" 'NR > 1 && $3 == ino { print $1 "|" $2 "|" $NF }' "$WORK/list.txt")
check "list: a connection not yet accepted: connected, its owner" "got '$got'" \
    test "$got" = "stream|connected|$ME"
got=$(awk -v d="$DIR/" 'NR > 1 && index($0, d) { print $3 }' "$WORK/list.txt" | tr '\n' ' ')
want="$(printf '%s\n' "$DG" "$DGC" | sort -n | tr '\n' ' ')$(printf '%s\n' "$LST" "$CLI" "$SRV" | sort -n | tr '\n' ' ')"
check "list: sorted by path (a client under its peer's), then by inode" "want $want, got $got" \
    test "$got" = "$want"

# ---- the filters ----

# selects NAME WANT-INODES... -- ARGS...: `list ARGS` shows exactly those sockets.
selects() {
    local name=$1 inodes=() want got; shift
    while [ "$1" != -- ]; do inodes+=("$1"); shift; done
    shift
    got=$("$UNIXCAP" list "$@" 2>"$WORK/filter.err" | awk 'NR > 1 { print $3 }' | sort -n | tr '\n' ' ')
    want=$(printf '%s\n' "${inodes[@]}" | sort -n | tr '\n' ' ')
    check "list filter: $name" "want $want, got $got $(head -1 "$WORK/filter.err")" test "$got" = "$want"
}

selects "--path PATH: the listener, the accepted socket, and the client by its peer" \
    "$LST" "$SRV" "$CLI" -- --path "$DIR/srv.sock"
selects "--path GLOB: both named sockets and everything connected to them" \
    "$LST" "$SRV" "$CLI" "$DG" "$DGC" -- --path "$DIR/*"
selects "--path @name: the abstract listener" "$ABL" -- --path "@uc-test-list-$PID"
ln -s "$DIR" "$WORK/alias"
selects "--path by another name of the socket file (device and inode)" \
    "$LST" "$SRV" "$CLI" -- --path "$WORK/alias/srv.sock"
selects "--pid CHILD: the one socket the child holds" "$SHARED" -- --pid "$CHILD"
selects "--comm NAME: the child's socket" "$SHARED" -- --comm uc-list-child
selects "--pid PID --type seqpacket: the socketpair" "$PA" "$PB" -- --pid "$PID" --type seqpacket
selects "--pid PID --type dgram: the three dgram sockets" "$DG" "$DGC" "$SHARED" -- --type dgram --pid "$PID"
selects "--inode N: the socket and the one connected to it" "$CLI" "$SRV" -- --inode "$SRV"
selects "--inode N --inode M: either" "$PA" "$PB" "$DG" "$DGC" -- --inode "$PA" --inode "$DG"
selects "--pid PID --type stream,seqpacket --path '@*'" "$ABL" -- --pid "$PID" --type stream,seqpacket --path '@*'

# ---- --json ----

"$UNIXCAP" list --json >"$WORK/list.json" 2>"$WORK/json.err"; rc=$?
check "list --json exits 0" "exit $rc: $(head -2 "$WORK/json.err")" test "$rc" = 0
out=$(python3 - "$WORK/list.json" "$DIR" <<EOF 2>&1
import json, sys
rows = {}
for n, line in enumerate(open(sys.argv[1]), 1):
    o = json.loads(line)
    rows[o["inode"]] = o
d = sys.argv[2]
me = {"pid": $PID, "comm": "uc-list-test"}
child = {"pid": $CHILD, "comm": "uc-list-child"}
want = {
    $LST: dict(type="stream", state="listening", path=d + "/srv.sock", peer_inode=None, peer_path=None, owners=[me], pending=0),
    $CLI: dict(type="stream", state="connected", path=None, peer_inode=$SRV, peer_path=d + "/srv.sock", owners=[me]),
    $SRV: dict(type="stream", state="connected", path=d + "/srv.sock", peer_inode=$CLI, peer_path=None, owners=[me]),
    $ABL: dict(type="stream", state="listening", path="@uc-test-list-$PID", peer_inode=None, owners=[me], pending=1),
    $PA: dict(type="seqpacket", state="connected", path=None, peer_inode=$PB, peer_path=None, owners=[me]),
    $DG: dict(type="dgram", state="unconnected", path=d + "/dg.sock", peer_inode=None, owners=[me]),
    $DGC: dict(type="dgram", state="connected", path=None, peer_inode=$DG, peer_path=d + "/dg.sock", owners=[me]),
    $SHARED: dict(type="dgram", state="unconnected", path=None, peer_inode=None, owners=sorted([me, child], key=lambda o: o["pid"])),
}
bad = []
for ino, fields in want.items():
    o = rows.get(ino)
    if o is None:
        bad.append("%d missing" % ino)
        continue
    for k, v in fields.items():
        if o.get(k, "absent") != v:
            bad.append("%d: %s is %r, not %r" % (ino, k, o.get(k, "absent"), v))
    if "uid" in o and o["uid"] != 0:
        bad.append("%d: uid %r, not 0" % (ino, o["uid"]))
    if o["path"] and not o["path"].startswith("@") and "vfs" not in o:
        bad.append("%d: a bound path without vfs" % ino)
print("; ".join(bad) if bad else "ok")
EOF
)
check "list --json: every line parses, each socket with its type, state, path, peer and owners" \
    "$out" test "$out" = ok
got=$("$UNIXCAP" list --json --pid "$CHILD" | python3 -c '
import json, sys
print(" ".join(str(json.loads(l)["inode"]) for l in sys.stdin))')
check "list --json --pid CHILD: the shared socket only" "got '$got'" test "$got" = "$SHARED"
