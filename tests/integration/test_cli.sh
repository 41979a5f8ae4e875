#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The command line as a user meets it: usage errors, runtime errors, the text dump and its payload
# formats, -c, -s, -w - into a pipe, SIGTERM, processes started before the capture, unixcap never
# capturing its own output, python3's sockets, and every filter both ways (what must match does,
# what must not does not).
. "$(dirname "$0")/lib.sh"

ALL="unixcap command line"
why=$(bpf_unavailable)
if [ -n "$why" ]; then skip "$ALL" "$why"; exit 0; fi
for tool in tshark socat python3 setpriv; do
    command -v "$tool" >/dev/null || { skip "$ALL" "$tool not installed"; exit 0; }
done
[ -x "$UCGEN" ] || { skip "$ALL" "$UCGEN not built"; exit 0; }

# Everything started in the background is remembered here and ended by its pid on exit.
BG_PIDS=()
declare -A CAP_PIDS=()
cleanup() {
    local p
    for p in "${CAP_PIDS[@]}"; do kill -INT "$p" 2>/dev/null; done
    for p in "${BG_PIDS[@]}"; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    stop_all
    rm -rf "$WORK"
}
trap cleanup EXIT


# A regular expression matching STRING literally.
re_quote() { sed 's/[][\.*^$+?(){}|/]/\\&/g' <<<"$1"; }

# start_named NAME ARGS...: start_capture, remembering the pid under NAME so several captures
# can run at once; stop_named NAME [SIG] stops that one (STOP_ERR as stop_capture).
start_named() {
    local name=$1
    start_capture "$@" || { CAP_PIDS[$name]=""; return 1; }
    CAP_PIDS[$name]=$UC_PID
}
stop_named() {
    UC_PID=${CAP_PIDS[$1]:-}
    unset "CAP_PIDS[$1]"
    [ -n "$UC_PID" ] || { STOP_ERR="unixcap did not start: $(head -3 "$WORK/$1.err" | tr '\n' ' ')"; return 1; }
    stop_capture "$@"
}

wait_for() { # FILE [tenths]: until FILE exists
    for _ in $(seq "${2:-50}"); do [ -e "$1" ] && return 0; sleep 0.1; done
    return 1
}

# gen NAME ARGS...: ucgen in the background with a manifest ($WORK/NAME.manifest); GEN_PID.
gen() {
    local name=$1; shift
    "$UCGEN" --manifest "$WORK/$name.manifest" "$@" >"$WORK/$name.gen" 2>&1 &
    GEN_PID=$!
    BG_PIDS+=("$GEN_PID")
}

# check_manifest NAME MANIFEST PCAPNG: both directions of a ucgen run hash as sent.
check_manifest() {
    local name=$1 man=$2 cap=$3 out
    local rc
    out=$($CHECK "$man" "$cap" 2>&1); rc=$?
    printf '%s\n' "$out" >"$LOG_DIR/$(basename "$man").check.txt"
    if [ "$rc" = 0 ] && ! grep -q '^FAIL' <<<"$out" && grep -q '^ok' <<<"$out"; then
        pass "$name"
    else
        fail "$name" "$(grep -m3 -e '^FAIL' <<<"$out" | tr '\n' ' ')"
    fi
}

# ---------------------------------------------------------------------------------------------
# 1. Usage errors: exit 2, one line on stderr naming the problem, no hook attached.

usage_error() { # NAME NEEDLE... -- ARGS...
    local name=$1 needles=() rc lines; shift
    while [ "$1" != -- ]; do needles+=("$1"); shift; done
    shift
    timeout 10 "$UNIXCAP" "$@" >"$WORK/usage.out" 2>"$WORK/usage.err"; rc=$?
    lines=$(wc -l <"$WORK/usage.err")
    local why=""
    [ "$rc" = 2 ] || why="exit status $rc, not 2;"
    [ "$lines" = 1 ] || why="$why $lines lines on stderr, not 1;"
    for n in "${needles[@]}"; do
        grep -qF -- "$n" "$WORK/usage.err" || why="$why stderr does not name '$n';"
    done
    ! grep -q listening "$WORK/usage.err" || why="$why it said listening;"
    [ ! -s "$WORK/usage.out" ] || why="$why it wrote to stdout;"
    if [ -z "$why" ]; then pass "usage error: $name"; else fail "usage error: $name" "$why stderr: $(head -3 "$WORK/usage.err" | tr '\n' ' ')"; fi
}

usage_error "-c 0 is refused" -c 0 -- -c 0
usage_error "-c abc is refused" -c abc -- -c abc
usage_error "-s -1 is refused" -s -1 -- -s -1
usage_error "--type foo is refused" --type foo -- --type foo
usage_error "--bogus is refused" --bogus -- --bogus
usage_error "-w without a value is refused" -w -- -w
usage_error "--path relative is refused" --path relative -- --path relative
usage_error "a stray argument is refused" stray -- stray

"$UNIXCAP" --help >"$WORK/help.out" 2>"$WORK/help.err"; rc=$?
check "--help prints usage on stdout and exits 0" "exit $rc, stdout: $(head -1 "$WORK/help.out")" \
    eval '[ "$rc" = 0 ] && grep -q "^usage: unixcap" "$WORK/help.out" && grep -q -- "--path" "$WORK/help.out" && [ ! -s "$WORK/help.err" ]'
ver=$("$UNIXCAP" --version 2>&1); rc=$?
check "--version prints 'unixcap 0.1.0'" "exit $rc, printed '$ver'" eval '[ "$rc" = 0 ] && [ "$ver" = "unixcap 0.1.0" ]'

# ---------------------------------------------------------------------------------------------
# 2. An unwritable -w fails at once, before any hook is attached.

start=$(date +%s%N)
timeout 10 "$UNIXCAP" -w /nonexistent-dir/x.pcapng >/dev/null 2>"$WORK/nodir.err"; rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
check "-w into a missing directory exits 1 at once with one line naming the path" \
    "exit $rc after ${ms} ms, stderr: $(head -3 "$WORK/nodir.err" | tr '\n' ' ')" \
    eval '[ "$rc" = 1 ] && [ "$(wc -l <"$WORK/nodir.err")" = 1 ] && grep -qF /nonexistent-dir/x.pcapng "$WORK/nodir.err" && ! grep -q listening "$WORK/nodir.err" && [ "$ms" -lt 2000 ]'

# ---------------------------------------------------------------------------------------------
# 3. Not root: exit 1 with one line saying so.

cp "$UNIXCAP" "$WORK/unixcap-nobody" && chmod 755 "$WORK" "$WORK/unixcap-nobody"
timeout 10 setpriv --reuid=65534 --regid=65534 --clear-groups "$WORK/unixcap-nobody" \
    >/dev/null 2>"$WORK/nobody.err"; rc=$?
check "as user nobody: exit 1 with one line about root/permission" \
    "exit $rc, stderr: $(head -3 "$WORK/nobody.err" | tr '\n' ' ')" \
    eval '[ "$rc" = 1 ] && [ "$(wc -l <"$WORK/nobody.err")" = 1 ] && grep -Eqi "root|permission" "$WORK/nobody.err" && ! grep -q listening "$WORK/nobody.err"'

# ---------------------------------------------------------------------------------------------
# 4. The text dump and its payload formats, with socat: an echo server and a client.

TSOCK=$WORK/t.sock
socat UNIX-LISTEN:"$TSOCK",fork EXEC:cat 2>"$WORK/socat-t.err" &
BG_PIDS+=("$!")
wait_for "$TSOCK"
TSOCK_RE=$(re_quote "$TSOCK")

# text_dump NAME OPTION...: capture one socat exchange; sets CPID (the client socat's pid).
text_dump() {
    local name=$1; shift
    start_named "$name" --path "$TSOCK" "$@" || return 1
    printf 'hello unixcap\r\n\x01\x02' | socat - UNIX-CONNECT:"$TSOCK" >"$WORK/$name.echo" 2>&1 &
    CPID=$!
    wait "$CPID"
    stop_named "$name"
}

# after_header FILE HEADER_RE N: the N lines that follow the first line matching HEADER_RE.
after_header() { grep -E -m1 -A"$3" -- "$2" "$1" | tail -n +2; }

for mode in text x X A q; do
    opt=()
    [ "$mode" = text ] || opt=("-$mode")
    name=dump-$mode
    if ! text_dump "$name" "${opt[@]}"; then
        fail "text dump ${opt[*]:-(default)}" "$STOP_ERR"
        continue
    fi
    out=$WORK/$name.out
    c_re="^[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{9} socat\\[$CPID\\] stream unnamed\\([0-9]+\\) > $TSOCK_RE\\([0-9]+\\) len 17\$"
    s_re="^[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{9} socat\\[[0-9]+\\] stream $TSOCK_RE\\([0-9]+\\) > unnamed\\([0-9]+\\) len 17\$"
    case $mode in
    text) expect=$(printf '    hello unixcap\\r\\n\n    \\x01\\x02') ;;
    x) expect=$(printf '\t0x0000:  6865 6c6c 6f20 756e 6978 6361 700d 0a01\n\t0x0010:  02') ;;
    X) expect=$(printf '\t0x0000:  6865 6c6c 6f20 756e 6978 6361 700d 0a01  hello unixcap...\n\t0x0010:  02%39s.' '') ;;
    A) expect=$(printf '    hello unixcap.\n    ..') ;;
    q) expect="" ;;
    esac
    label="text dump ${opt[*]:-(default)}"
    if [ "$mode" = q ]; then
        if grep -Eq "$c_re" "$out" && grep -Eq "$s_re" "$out" && ! grep -q '^[[:space:]]' "$out"; then
            pass "$label: both headers, no payload lines"
        else
            fail "$label: both headers, no payload lines" "$(grep -c '^[[:space:]]' "$out") indented lines; client header found: $(grep -Ec "$c_re" "$out"), echo header: $(grep -Ec "$s_re" "$out")"
        fi
        continue
    fi
    got_c=$(after_header "$out" "$c_re" 2)
    got_s=$(after_header "$out" "$s_re" 2)
    if [ "$got_c" = "$expect" ]; then
        pass "$label: client's message (socat[CLIENT] ... > t.sock(...) len 17) and its payload lines"
    else
        fail "$label: client's message (socat[CLIENT] ... > t.sock(...) len 17) and its payload lines" \
            "after the header: $(printf '%q' "$got_c"); header lines: $(grep -F "socat[$CPID]" "$out" | head -3 | tr '\n' '|')"
    fi
    if [ "$got_s" = "$expect" ]; then
        pass "$label: the echo (t.sock(...) > unnamed(...) len 17) and its payload lines"
    else
        fail "$label: the echo (t.sock(...) > unnamed(...) len 17) and its payload lines" "after the header: $(printf '%q' "$got_s")"
    fi
done
# With --path, nothing but t.sock's sockets may show up. The inodes of t.sock's connections are
# those of the headers naming t.sock; every connection event must involve one of them, and name
# the path as the data headers do.
TS_EVENTS=$(grep -v '^[[:space:]]' "$WORK/dump-text.out" | TSOCK="$TSOCK(" awk '
    { n = split($0, w, /[()]/) }
    index($0, ENVIRON["TSOCK"]) && / len [0-9]+$/ { for (i = 2; i < n; i += 2) if (w[i] != 0) ino[w[i]] = 1; next }
    / (close|shutdown|eof)$/ { events[++ne] = $0; a[ne] = w[2]; b[ne] = w[4] }
    END { for (i = 1; i <= ne; i++) print ((a[i] in ino) || (b[i] in ino) ? "ours" : "other") "\t" events[i] }')
others=$(grep '^other' <<<"$TS_EVENTS" | cut -f2 | head -3)
check "text dump --path: no events of sockets unrelated to t.sock" "unrelated: $(tr '\n' '|' <<<"$others")" \
    test -z "$others"
unnamed=$(grep '^ours' <<<"$TS_EVENTS" | cut -f2 | grep -vF "$TSOCK(" | head -3)
check "text dump: t.sock's connection events name t.sock like its data headers" \
    "$(grep -c '^ours' <<<"$TS_EVENTS") events, e.g. $(tr '\n' '|' <<<"$unnamed")" \
    eval '[ -z "$unnamed" ] && grep -q "^ours" <<<"$TS_EVENTS"'

# ---------------------------------------------------------------------------------------------
# 5. -c N stops by itself after N messages.

if start_named count -c 3 --path "$WORK/c.sock" -w "$WORK/count.pcapng"; then
    gen count --type dgram --addr "path:$WORK/c.sock" --sizes 10,20,30,40,50,60
    gpid=$GEN_PID
    if wait_exit "${CAP_PIDS[count]}" 5; then
        rc=$RC
        unset "CAP_PIDS[count]"
        cp "$WORK/count".* "$LOG_DIR/" 2>/dev/null
        check "-c 3: unixcap exits 0 by itself" "exit $rc: $(tail -2 "$WORK/count.err" | tr '\n' ' ')" test "$rc" = 0
    else
        fail "-c 3: unixcap exits 0 by itself" "still running 5 s after the traffic started"
        stop_named count # so that what it wrote can still be checked
    fi
    check "-c 3: the summary says '3 messages captured, 0 lost'" "$(grep captured "$WORK/count.err")" \
        grep -qx '3 messages captured, 0 lost' "$WORK/count.err"
    n=$(tshark_fields "$WORK/count.pcapng" frame.comment | grep 'event=data' | grep -o ' ts=[0-9.]*' | sort -u | wc -l)
    check "-c 3: the file holds exactly 3 messages" "$n messages" test "$n" = 3
    wait_exit "$gpid" 10
    check "-c 3: the generator was not disturbed" "ucgen: $RC $(head -2 "$WORK/count.gen")" test "$RC" = 0
else
    fail "-c 3: unixcap exits 0 by itself" "unixcap did not start"
fi

# ---------------------------------------------------------------------------------------------
# 6. -s 64 keeps 64 bytes of each message and records the real length.

if start_named snap -v -s 64 --path "$WORK/s64*" -w "$WORK/snap.pcapng"; then
    gen snap-stream --type stream --addr "path:$WORK/s64.sock" --sizes 1000,100000
    p1=$GEN_PID
    gen snap-dgram --type dgram --addr "path:$WORK/s64d.sock" --sizes 1000
    p2=$GEN_PID
    wait "$p1"; r1=$?
    wait "$p2"; r2=$?
    if stop_named snap && [ "$r1$r2" = 00 ]; then
        pcap=$WORK/snap.pcapng
        check "-s 64: tshark reads the file" "tshark -r -q failed" eval 'tshark -r "$pcap" -q >/dev/null 2>&1'
        bad=$(tshark_fields "$pcap" ip.proto frame.cap_len | awk '($1 == 6 && $2 > 104) || ($1 == 17 && $2 > 92)' | head -3)
        check "-s 64: no packet keeps more than 64 bytes of payload" "$(tr '\n' '|' <<<"$bad")" test -z "$bad"
        tcp_sum=$(tshark_fields "$pcap" tcp.len | awk '{ s += $1 } END { print s + 0 }')
        udp_sum=$(tshark_fields "$pcap" udp.length | awk '$1 { s += $1 - 8 } END { print s + 0 }')
        check "-s 64: the packets' real lengths add up to what was sent (TCP 202000, UDP 2000)" \
            "TCP $tcp_sum, UDP $udp_sum" test "$tcp_sum.$udp_sum" = 202000.2000
        l1000=$(tshark_fields "$pcap" ip.proto frame.len frame.cap_len frame.comment |
            awk -F'\t' '$4 ~ / len=1000 / && $4 ~ / caplen=64 / && $2 > 40 { print $1, $2, $3 }' | sort | tr '\n' '|')
        check "-s 64: a 1000-byte message has frame.len 1040/1028, cap_len 104/92, comment caplen=64 len=1000" \
            "got (proto len caplen): $l1000" test "$l1000" = "17 1028 92|17 1028 92|6 1040 104|6 1040 104|"
        nmsg=$(tshark_fields "$pcap" frame.comment | grep 'event=data' | grep -o ' ts=[0-9.]*' | sort -u | wc -l)
        read -r sent stored lostb cut < <(sed -n 's/^\([0-9]*\) bytes sent, \([0-9]*\) stored, \([0-9]*\) lost, \([0-9]*\) left out by -s$/\1 \2 \3 \4/p' "$WORK/snap.err")
        check "-v -s 64: '204000 bytes sent, $((nmsg * 64)) stored, 0 lost, $((204000 - nmsg * 64)) left out by -s'" \
            "$(grep 'left out' "$WORK/snap.err" || echo 'no byte count line')" \
            test "${sent:-}.${stored:-}.${lostb:-}.${cut:-}" = "204000.$((nmsg * 64)).0.$((204000 - nmsg * 64))"
    else
        fail "-s 64 capture" "${STOP_ERR:-} generators: $r1 $r2"
    fi
else
    fail "-s 64 capture" "unixcap did not start"
fi

# ---------------------------------------------------------------------------------------------
# 7. -U -w - into a pipe: packets arrive while the capture runs, and the stream is valid.

mkfifo "$WORK/fifo7"
cat "$WORK/fifo7" >"$WORK/pipe.pcapng" &
catpid=$!
BG_PIDS+=("$catpid")
"$UNIXCAP" -U -w - --path "$WORK/p.sock" >"$WORK/fifo7" 2>"$WORK/pipe.err" &
UC_PID=$!
CAP_PIDS[pipe]=$UC_PID
for _ in $(seq 100); do grep -q '^unixcap: listening' "$WORK/pipe.err" && break; sleep 0.1; done
if grep -q '^unixcap: listening' "$WORK/pipe.err"; then
    gen pipe --type stream --addr "path:$WORK/p.sock" --sizes 1,100,4k
    wait "$GEN_PID"
    sleep 0.5
    live=$(tshark_fields "$WORK/pipe.pcapng" frame.comment | grep -c 'event=data')
    check "-U -w -: packets reach the pipe while unixcap still runs" "$live data packets before stopping" test "$live" -ge 6
    if stop_named pipe; then
        wait "$catpid"
        check "-U -w -: tshark reads what came through the pipe" "tshark -r failed" eval 'tshark -r "$WORK/pipe.pcapng" -q >/dev/null 2>&1'
        check_manifest "-U -w -: both directions hash as sent" "$WORK/pipe.manifest" "$WORK/pipe.pcapng"
    else
        fail "-U -w -: stops cleanly" "$STOP_ERR"
    fi
else
    fail "-U -w -: unixcap starts" "$(head -3 "$WORK/pipe.err" | tr '\n' ' ')"
fi

# ---------------------------------------------------------------------------------------------
# 8. SIGTERM finishes like SIGINT.

if start_named term -w "$WORK/term.pcapng" --path "$WORK/term.sock"; then
    gen term --type seqpacket --addr "path:$WORK/term.sock" --sizes 1,1000
    wait "$GEN_PID"
    if stop_named term TERM; then
        pass "SIGTERM: exit 0 with the summary"
        check "SIGTERM: tshark reads the file" "tshark -r failed" eval 'tshark -r "$WORK/term.pcapng" -q >/dev/null 2>&1'
        check_manifest "SIGTERM: the traffic is in the file" "$WORK/term.manifest" "$WORK/term.pcapng"
    else
        fail "SIGTERM: exit 0 with the summary" "$STOP_ERR"
    fi
else
    fail "SIGTERM: exit 0 with the summary" "unixcap did not start"
fi

# ---------------------------------------------------------------------------------------------
# 9. A connection made before the capture started.

gen early --type stream --addr "path:$WORK/early.sock" --sizes 1,5000,70000 --wait-file "$WORK/early.go"
gpid=$GEN_PID
wait_for "$WORK/early.manifest"
sleep 0.3 # connected and waiting for the file
if start_named early -w "$WORK/early.pcapng" --path "$WORK/early.sock"; then
    touch "$WORK/early.go"
    wait "$gpid"; rc=$?
    if stop_named early && [ "$rc" = 0 ]; then
        check_manifest "a connection made before the capture: both directions hash as sent" "$WORK/early.manifest" "$WORK/early.pcapng"
    else
        fail "a connection made before the capture: both directions hash as sent" "${STOP_ERR:-} ucgen exit $rc"
    fi
else
    touch "$WORK/early.go"
    fail "a connection made before the capture: both directions hash as sent" "unixcap did not start"
fi

# ---------------------------------------------------------------------------------------------
# 10. unixcap never captures its own output, even when it goes to a unix socket. socat's EXEC
# gives the child a socketpair (AF_UNIX stream) as stdout; socat itself writes only to a file.
# The filter --comm ucsink matches unixcap's writes (their peer belongs to ucsink, the reader)
# and the seed traffic, so a missing self-exclusion would feed back on itself.

cp "$(command -v socat)" "$WORK/ucsink"
"$WORK/ucsink" UNIX-LISTEN:"$WORK/seed.sock",fork EXEC:cat 2>/dev/null &
BG_PIDS+=("$!")
"$WORK/ucsink" -u EXEC:"$UNIXCAP -U --type stream --comm ucsink" CREATE:"$WORK/self.out" 2>"$WORK/self.err" &
sinkpid=$!
BG_PIDS+=("$sinkpid")
for _ in $(seq 100); do grep -q '^unixcap: listening' "$WORK/self.err" && break; sleep 0.1; done
selfpid=$(pgrep -P "$sinkpid" | head -1)
[ -z "$selfpid" ] || CAP_PIDS[self]=$selfpid
wait_for "$WORK/seed.sock"
if [ -n "$selfpid" ] && grep -q '^unixcap: listening' "$WORK/self.err" &&
   [ "$(readlink "/proc/$selfpid/fd/1" | cut -d: -f1)" = socket ]; then
    for i in 1 2 3; do printf 'seed %s\n' "$i" | "$WORK/ucsink" - UNIX-CONNECT:"$WORK/seed.sock" >/dev/null 2>&1; done
    sleep 0.7
    n1=$(wc -l <"$WORK/self.out")
    sleep 0.7
    n2=$(wc -l <"$WORK/self.out")
    kill -INT "$selfpid"
    wait "$sinkpid"
    unset "CAP_PIDS[self]"
    n3=$(wc -l <"$WORK/self.out")
    cp "$WORK/self.out" "$WORK/self.err" "$LOG_DIR/" 2>/dev/null
    check "stdout on a unix socket: the seed traffic is in the dump" "$(head -3 "$WORK/self.out" | tr '\n' '|')" \
        grep -q '^    seed 3\\n$' "$WORK/self.out"
    check "stdout on a unix socket: no message of unixcap itself" "$(grep -m2 'unixcap\[' "$WORK/self.out" | tr '\n' '|')" \
        eval '! grep -q "unixcap\[" "$WORK/self.out"'
    check "stdout on a unix socket: the dump stays small (no feedback)" \
        "$n1 lines 0.7 s after the traffic, $n2 after 1.4 s, $n3 in all" \
        eval '[ "$n3" -le 100 ] && [ "$n2" -le $((n1 + 2)) ]'
else
    fail "stdout on a unix socket: unixcap starts" "stdout $(readlink "/proc/${selfpid:-0}/fd/1" 2>&1); $(head -3 "$WORK/self.err" | tr '\n' ' ')"
fi

# ---------------------------------------------------------------------------------------------
# 11. python3: a seqpacket socketpair and an abstract datagram socket, hashed both sides.

python3 - "$WORK/py.go" "$WORK/py.sums" "uc-py-$$" >"$WORK/py.pid" 2>"$WORK/py.err" <<'EOF' &
import hashlib, os, random, socket, sys, time
go, sums, name = sys.argv[1:4]
print(os.getpid(), flush=True)
rnd = random.Random(7)
msgs = [b"x", bytes(range(256)), b"line\r\n\x00tail", bytes(rnd.randrange(256) for _ in range(5000)),
        bytes(rnd.randrange(256) for _ in range(60000))]
a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
srv = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
srv.bind("\0" + name)
cli = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
for s in (a, b, srv, cli):
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
while not os.path.exists(go):
    time.sleep(0.02)
out = []
for m in msgs:
    a.send(m)
    assert b.recv(1 << 17) == m
    out.append(("seqpacket", hashlib.sha256(m).hexdigest()))
    r = m[::-1] + b"!"
    b.send(r)
    assert a.recv(1 << 17) == r
    out.append(("seqpacket", hashlib.sha256(r).hexdigest()))
for m in msgs:
    cli.sendto(m, "\0" + name)
    assert srv.recv(1 << 17) == m
    out.append(("dgram", hashlib.sha256(m).hexdigest()))
with open(sums, "w") as f:
    for t, h in out:
        f.write("%s %s\n" % (t, h))
EOF
pypid=$!
BG_PIDS+=("$pypid")
for _ in $(seq 50); do [ -s "$WORK/py.pid" ] && break; sleep 0.1; done
if start_named py -w "$WORK/py.pcapng" --pid "$(cat "$WORK/py.pid")"; then
    touch "$WORK/py.go"
    wait "$pypid"; rc=$?
    if stop_named py && [ "$rc" = 0 ]; then
        tshark_fields "$WORK/py.pcapng" frame.comment udp.payload |
            awk -F'\t' '$1 ~ /event=data/ { t = $1; sub(/.* type=/, "", t); sub(/ .*/, "", t); print t "\t" $2 }' |
            python3 -c '
import hashlib, sys
for line in sys.stdin:
    t, _, hx = line.rstrip("\n").partition("\t")
    print(t, hashlib.sha256(bytes.fromhex(hx.replace(":", ""))).hexdigest())' >"$WORK/py.captured"
        cp "$WORK/py.sums" "$WORK/py.captured" "$LOG_DIR/" 2>/dev/null
        for t in seqpacket dgram; do
            want=$(grep "^$t " "$WORK/py.sums")
            got=$(grep "^$t " "$WORK/py.captured")
            check "python3 $t: every message's sha256 as tshark reads it equals python's, in order" \
                "$(grep -c . <<<"$want") sent, $(grep -c . <<<"$got") captured; diff: $(diff <(echo "$want") <(echo "$got") | head -4 | tr '\n' ' ')" \
                test "$want" = "$got"
        done
    else
        fail "python3 sockets" "${STOP_ERR:-} python exit $rc: $(tail -2 "$WORK/py.err" | tr '\n' ' ')"
    fi
else
    touch "$WORK/py.go"
    fail "python3 sockets" "unixcap did not start"
fi

# ---------------------------------------------------------------------------------------------
# 12. Filters, both ways. One set of concurrent generators, waiting for a file, is watched by
# one capture per filter at once:
#   A stream on $WORK/a.sock      B stream on $WORK/b.sock
#   C dgram on @uc-fa-PID         D dgram on @uc-fb-PID
#   E stream pair run by a copy of ucgen named ucgen-x

cp "$UCGEN" "$WORK/ucgen-x"
GO=$WORK/filters.go
gen fA --type stream --addr "path:$WORK/a.sock" --sizes 1,100,4k --wait-file "$GO"; fpids=("$GEN_PID")
gen fB --type stream --addr "path:$WORK/b.sock" --sizes 2,200 --wait-file "$GO"; fpids+=("$GEN_PID")
gen fC --type dgram --addr "abstract:uc-fa-$$" --sizes 1,100,4k --wait-file "$GO"; fpids+=("$GEN_PID")
gen fD --type dgram --addr "abstract:uc-fb-$$" --sizes 3,300 --wait-file "$GO"; fpids+=("$GEN_PID")
UCGEN_SAVED=$UCGEN; UCGEN=$WORK/ucgen-x
gen fE --type stream --addr pair --sizes 5,500 --wait-file "$GO"; fpids+=("$GEN_PID")
UCGEN=$UCGEN_SAVED
for r in A B C D E; do wait_for "$WORK/f$r.manifest"; done
declare -A CPIDS SPIDS
for r in A B C D E; do read -r _ "CPIDS[$r]" "SPIDS[$r]" < <(grep '^pids ' "$WORK/f$r.manifest"); done
sleep 0.3 # every generator connected and waiting

# name | filter args | label (stable across runs) | runs that must be present | runs that must be absent
FILTERS=(
  "path|--path $WORK/a.sock|--path WORK/a.sock|A|B C D E"
  "glob|--path $WORK/a*|--path 'WORK/a*'|A|B C D E"
  "abstract|--path @uc-fa-$$|--path @abstract|C|A B D E"
  "pid|--pid ${SPIDS[A]}|--pid <A's server>|A|B C D E"
  "comm|--comm ucgen-x|--comm ucgen-x|E|A B C D"
  "type|--type dgram|--type dgram|C D|A B E"
)
for spec in "${FILTERS[@]}"; do
    IFS='|' read -r fname fargs _ _ _ <<<"$spec"
    # shellcheck disable=SC2086
    start_named "filter-$fname" -B 8192 -w "$WORK/filter-$fname.pcapng" $fargs
done
touch "$GO"
genfail=""
for i in "${!fpids[@]}"; do wait "${fpids[$i]}" || genfail="$genfail $i"; done
[ -z "$genfail" ] || fail "filters: the generators ran" "failed:$genfail"

for spec in "${FILTERS[@]}"; do
    IFS='|' read -r fname _ flabel present absent <<<"$spec"
    if ! stop_named "filter-$fname"; then fail "filter $flabel: capture" "$STOP_ERR"; continue; fi
    pcap=$WORK/filter-$fname.pcapng
    tshark_fields "$pcap" frame.comment >"$WORK/filter-$fname.comments"
    for r in $present; do
        check_manifest "filter $flabel: run $r (must match) is captured, both directions hash as sent" "$WORK/f$r.manifest" "$pcap"
    done
    for what in data "close|shutdown|eof"; do
        found=""
        for r in $absent; do
            hits=$(grep -E " pid=(${CPIDS[$r]}|${SPIDS[$r]}) " "$WORK/filter-$fname.comments" | grep -Ec " event=($what) ")
            [ "$hits" = 0 ] || found="$found run $r: $hits packets;"
        done
        label="filter $flabel: runs ${absent// /,} (must not match): no data from either end"
        [ "$what" = data ] || label="filter $flabel: runs ${absent// /,} (must not match): no close/shutdown/eof from either end"
        check "$label" "$found" test -z "$found"
    done
done
