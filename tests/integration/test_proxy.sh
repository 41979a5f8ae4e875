#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# unixcap proxy as a user without root runs it (as root, the script becomes nobody): curl
# clients at once through the proxy to an HTTP server, with bodies, each connection's bytes both
# ways and tshark's dissection checked; a pipe passed with SCM_RIGHTS; datagrams and seqpackets
# echoed byte-exact; a reader that stops holding the proxy to a bounded size; -s; SIGTERM; what
# the server sees of the client's credentials; usage and runtime errors.
. "$(dirname "$0")/lib.sh"

ALL="unixcap proxy"
PY=/usr/bin/python3 # a pyenv python3 on PATH may live where nobody cannot read
PEERS=$ROOT/tests/tools/proxy_peers.py
PAYLOADS=$ROOT/tests/tools/pcap_payloads.py

[ -x "$UNIXCAP" ] || { skip "$ALL" "$UNIXCAP not built"; exit 0; }
[ -x "$PY" ] || { skip "$ALL" "$PY not installed"; exit 0; }
for tool in tshark curl setpriv; do
    command -v "$tool" >/dev/null || { skip "$ALL" "$tool not installed"; exit 0; }
done

# Everything the test runs is prefixed with "${AS[@]}": nobody when we are root, else ourselves
# (no shell function: $! must be the program's own pid). D is that user's work directory.
if [ "$(id -u)" = 0 ]; then
    AS=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
    D=$WORK/nobody
    chmod 755 "$WORK"
    mkdir "$D" && chown nobody:nogroup "$D"
else
    AS=()
    D=$WORK/user
    mkdir "$D"
fi

# Everything started in the background is remembered and ended by its pid.
BG_PIDS=()
PX_PID=""
cleanup() {
    local p
    [ -n "$PX_PID" ] && kill -INT "$PX_PID" 2>/dev/null
    for p in "${BG_PIDS[@]}"; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT

fail_all() {
    local why=$1 n; shift
    for n in "$@"; do fail "$n" "$why"; done
}
one_line() { tr '\n' ' ' <<<"$1" | cut -c1-400; }
sha_of() { sha256sum <"$1" 2>/dev/null | cut -d' ' -f1; }

wait_for() { # FILE [tenths]
    for _ in $(seq "${2:-50}"); do [ -e "$1" ] && return 0; sleep 0.1; done
    return 1
}
# start_server NAME SOCKET COMMAND...: COMMAND as the test user, log in $D/NAME.log.
start_server() {
    local name=$1 sock=$2; shift 2
    "${AS[@]}" "$@" >"$D/$name.log" 2>&1 &
    BG_PIDS+=($!)
    wait_for "$sock" || { cp "$D/$name.log" "$LOG_DIR/" 2>/dev/null; return 1; }
}
# start_proxy NAME ARGS...: unixcap proxy as the test user, stdout $D/NAME.out, stderr
# $D/NAME.err; returns once it says it is listening.
start_proxy() {
    local name=$1; shift
    "${AS[@]}" "$UNIXCAP" proxy "$@" >"$D/$name.out" 2>"$D/$name.err" &
    PX_PID=$!
    for _ in $(seq 100); do
        grep -q '^unixcap proxy: listening on ' "$D/$name.err" 2>/dev/null && return 0
        kill -0 "$PX_PID" 2>/dev/null || break
        sleep 0.1
    done
    STOP_ERR="the proxy did not start: $(head -3 "$D/$name.err" | tr '\n' ' ')"
    kill "$PX_PID" 2>/dev/null
    PX_PID=""
    return 1
}
# stop_proxy NAME [SIGNAL]: it must exit 0 with the capture's summary line; else STOP_ERR.
stop_proxy() {
    local name=$1 sig=${2:-INT} rc
    kill -"$sig" "$PX_PID" 2>/dev/null
    wait "$PX_PID"; rc=$?
    PX_PID=""
    cp "$D/$name".* "$LOG_DIR/" 2>/dev/null
    [ "$rc" = 0 ] || { STOP_ERR="proxy exited $rc: $(tail -3 "$D/$name.err" | tr '\n' ' ')"; return 1; }
    grep -Eq '^[0-9]+ messages captured, 0 lost$' "$D/$name.err" ||
        { STOP_ERR="no summary line: $(tail -3 "$D/$name.err" | tr '\n' ' ')"; return 1; }
}
# stream_pairs FILE: "C2S_SHA S2C_SHA" for each TCP connection, sorted.
stream_pairs() {
    python3 "$PAYLOADS" "$1" 2>>"$D/payloads.err" | awk '$1 == "stream" {
        split($2, e, "->")
        if (e[1] ~ /^10\.1\./) c2s[e[1]] = $4; else s2c[e[2]] = $4
    } END { for (k in c2s) print c2s[k], s2c[k] }' | sort
}

BIG_SHA=$("$PY" "$PEERS" big-sha)
CURL=(curl -sS -f --max-time 30)

# ---------------------------------------------------------------------------------------------
# 1. HTTP: three /big requests that the server answers only once all three are in (served at
# once, or 503), an HTTP/1.0 body ended by the server's close, and a POST ended by the client's
# shutdown(SHUT_WR).
http_tests() {
    local F=$D/http.pcapng names=(
        "http: 3 curl clients at once through the proxy each get the 200000-byte body"
        "http: an HTTP/1.0 body ended by the server's close reaches curl whole"
        "http: a client's shutdown(SHUT_WR) reaches the server and the answer comes back"
        "http: tshark dissects 5 requests and 5 responses, all 200"
        "http: each connection's bytes both ways in the pcapng are what the server received and sent"
        "http: tshark names each client curl[pid] and the server after REAL's path"
        "http: NEW is a socket with the mode the umask allows, removed at exit"
    )
    start_server http "$D/real.sock" "$PY" "$PEERS" http-server "$D/real.sock" "$D/http.conns" \
        --barrier 3 || { fail_all "HTTP server did not start" "${names[@]}"; return; }
    start_proxy http --listen "$D/new.sock" --connect "$D/real.sock" -w "$F" ||
        { fail_all "$STOP_ERR" "${names[@]}"; return; }
    local mode want_mode pids=() rcs n
    mode=$(stat -c %a "$D/new.sock" 2>/dev/null)
    want_mode=$(printf '%o' $((0777 & ~$(umask))))
    for n in 1 2 3; do
        "${AS[@]}" "${CURL[@]}" --unix-socket "$D/new.sock" "http://x/big?n=$n" -o "$D/big.$n" 2>"$D/curl.$n.err" &
        pids+=($!)
    done
    "${AS[@]}" "${CURL[@]}" --unix-socket "$D/new.sock" http://x/eof -o "$D/eof.body" 2>"$D/curl.eof.err" &
    pids+=($!)
    "${AS[@]}" "$PY" "$PEERS" half-close "$D/new.sock" 100000 2>"$D/half.err" &
    pids+=($!)
    rcs=""
    for n in "${pids[@]}"; do wait "$n"; rcs+="$? "; done
    for _ in $(seq 50); do [ "$(wc -l <"$D/http.conns" 2>/dev/null)" = 5 ] && break; sleep 0.1; done
    stop_proxy http || { fail_all "$STOP_ERR" "${names[@]}"; return; }

    local got="" k
    for k in 1 2 3; do got+="$(sha_of "$D/big.$k") "; done
    check "${names[0]}" "curl exit statuses $rcs; sha256 $got; want $BIG_SHA each; $(one_line "$(cat "$D"/curl.[123].err)")" \
        test "$got" = "$BIG_SHA $BIG_SHA $BIG_SHA "
    check "${names[1]}" "sha256 $(sha_of "$D/eof.body"), want $BIG_SHA; $(one_line "$(cat "$D/curl.eof.err")")" \
        test "$(sha_of "$D/eof.body")" = "$BIG_SHA"
    check "${names[2]}" "$(one_line "$(cat "$D/half.err")")" test "$(echo $rcs | cut -d' ' -f5)" = 0

    local codes methods
    codes=$(tshark -r "$F" -Y http.response -T fields -e http.response.code 2>/dev/null | sort | tr '\n' ' ')
    methods=$(tshark -r "$F" -Y http.request -T fields -e http.request.method 2>/dev/null | sort | tr '\n' ' ')
    check "${names[3]}" "methods '$methods', codes '$codes'" \
        test "$codes|$methods" = "200 200 200 200 200 |GET GET GET GET POST "

    local pairs want
    pairs=$(stream_pairs "$F")
    want=$(sed -n 's/^conn //p' "$D/http.conns" | sort)
    check "${names[4]}" "pcapng: $(one_line "$pairs"); server: $(one_line "$want"); $(one_line "$(cat "$D/payloads.err" 2>/dev/null)")" \
        eval '[ -n "$want" ] && [ "$pairs" = "$want" ] && [ "$(wc -l <<<"$want")" = 5 ]'

    local hosts missing=""
    hosts=$(tshark -r "$F" -N n -Y 'tcp.flags.syn == 1 && tcp.flags.ack == 0' -T fields \
        -e ip.src_host -e ip.dst_host 2>/dev/null)
    for n in "${pids[@]:0:4}"; do
        grep -qxF "curl[$n]	$D/real.sock" <<<"$hosts" || missing+="curl[$n] "
    done
    check "${names[5]}" "missing $missing; SYNs: $(one_line "$hosts")" test -z "$missing"
    check "${names[6]}" "mode '$mode' while running, want $want_mode; after exit: $(ls -l "$D/new.sock" 2>&1)" \
        eval '[ "$mode" = "$want_mode" ] && [ ! -e "$D/new.sock" ]'
}

# ---------------------------------------------------------------------------------------------
# 2. Back-pressure: a client reads 1 MiB of a 16 MiB body, then stops; the proxy must stop
# reading the server rather than hold what the client does not take. -s: all is relayed.
slow_tests() {
    local names=(
        "back-pressure: a client that stops reading keeps the proxy small (16 MiB pending)"
        "back-pressure: the slow client gets the 16 MiB body whole"
        "-s 100: 100 bytes of each message recorded, every byte relayed"
    )
    start_proxy slow --listen "$D/slow.sock" --connect "$D/real.sock" -w "$D/slow.pcapng" -s 100 ||
        { fail_all "$STOP_ERR" "${names[@]}"; return; }
    : >"$D/pause"
    "${AS[@]}" "$PY" "$PEERS" slow-read "$D/slow.sock" "$D/slow.sha" "$D/pause" 2>"$D/slow-read.err" &
    local reader=$! rss caplen wirelen
    sleep 2
    rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$PX_PID/status")
    rm -f "$D/pause"
    wait "$reader"
    stop_proxy slow || { fail_all "$STOP_ERR" "${names[@]}"; return; }
    check "${names[0]}" "proxy RSS ${rss} KiB while the client waited (want under 8192)" \
        test "${rss:-999999}" -lt 8192
    check "${names[1]}" "got '$(cat "$D/slow.sha" 2>/dev/null)', want 16777216 $("$PY" "$PEERS" huge-sha); $(one_line "$(cat "$D/slow-read.err")")" \
        test "$(cat "$D/slow.sha" 2>/dev/null)" = "16777216 $("$PY" "$PEERS" huge-sha)"
    caplen=$(tshark -r "$D/slow.pcapng" -Y tcp.len -T fields -e frame.cap_len 2>/dev/null | sort -n | tail -1)
    wirelen=$(tshark -r "$D/slow.pcapng" -Y tcp.len -T fields -e frame.len 2>/dev/null | sort -n | tail -1)
    check "${names[2]}" "largest record ${caplen:-none} bytes (want 140: headers and 100), largest packet ${wirelen:-none}" \
        eval '[ "$caplen" = 140 ] && [ "${wirelen:-0}" -gt 60000 ]'
}

# ---------------------------------------------------------------------------------------------
# 3. SCM_RIGHTS: the client passes a pipe's write end and closes its own; it reads the pipe to
# end of file, which comes only once the server wrote and closed its copy and the proxy its own.
fd_tests() {
    local abstract="@unixcap-proxy-test-$$" names=(
        "SCM_RIGHTS: a pipe passed through the proxy (NEW abstract) works at the server, and the proxy keeps no copy"
        "SCM_RIGHTS: the text dump shows the passed fd"
    )
    start_server fd "$D/fd-real.sock" "$PY" "$PEERS" fd-server "$D/fd-real.sock" "$D/fd.got" ||
        { fail_all "fd server did not start" "${names[@]}"; return; }
    start_proxy fd --listen "$abstract" --connect "$D/fd-real.sock" ||
        { fail_all "$STOP_ERR" "${names[@]}"; return; }
    local rc
    "${AS[@]}" timeout 20 "$PY" "$PEERS" fd-client "$abstract" 2>"$D/fd-client.err"; rc=$?
    stop_proxy fd || { fail_all "$STOP_ERR" "${names[@]}"; return; }
    check "${names[0]}" "client exit $rc: $(one_line "$(cat "$D/fd-client.err")"); server got '$(cat "$D/fd.got" 2>/dev/null)'" \
        eval '[ "$rc" = 0 ] && [ "$(cat "$D/fd.got" 2>/dev/null)" = "a pipe follows" ]'
    check "${names[1]}" "dump: $(one_line "$(cat "$D/fd.out")")" \
        grep -Eq '^    \[passed fd -1: pipe inode [0-9]+\]$' "$D/fd.out"
}

# ---------------------------------------------------------------------------------------------
# 4. Datagrams (the client bound, so replies can reach it) and seqpackets: 20 messages echoed,
# each compared, and each in the pcapng as UDP, byte-exact both ways.
message_tests() {
    local type=$1 F=$D/$1.pcapng bind=() names=(
        "$1: 20 messages of up to 60000 bytes echoed whole through the proxy"
        "$1: the pcapng holds each as UDP, byte-exact both ways"
    )
    [ "$type" = dgram ] && bind=("$D/dgram-client.sock")
    start_server "echo-$type" "$D/$type-real.sock" "$PY" "$PEERS" echo-server "$D/$type-real.sock" "$type" ||
        { fail_all "echo server did not start" "${names[@]}"; return; }
    start_proxy "$type" --listen "$D/$type-new.sock" --connect "$D/$type-real.sock" -w "$F" ||
        { fail_all "$STOP_ERR" "${names[@]}"; return; }
    local rc c2s s2c want udp
    "${AS[@]}" timeout 30 "$PY" "$PEERS" echo-client "$D/$type-new.sock" "$type" 20 "$D/$type.manifest" \
        "${bind[@]}" 2>"$D/$type-client.err"; rc=$?
    stop_proxy "$type" || { fail_all "$STOP_ERR" "${names[@]}"; return; }
    check "${names[0]}" "client exit $rc: $(one_line "$(cat "$D/$type-client.err")")" test "$rc" = 0
    python3 "$PAYLOADS" "$F" >"$D/$type.payloads" 2>"$D/$type.payloads.err"
    c2s=$(awk '$1 == "message" && $2 ~ /^10\.1\./ { print $3, $4, $5 }' "$D/$type.payloads")
    s2c=$(awk '$1 == "message" && $2 ~ /^10\.2\./ { print $3, $4, $5 }' "$D/$type.payloads")
    want=$(cat "$D/$type.manifest" 2>/dev/null)
    udp=$(tshark -r "$F" -Y udp 2>/dev/null | wc -l)
    check "${names[1]}" "$udp UDP packets (want 40); client to server matches: $([ "$c2s" = "$want" ] && echo yes || echo no), back: $([ "$s2c" = "$want" ] && echo yes || echo no); $(one_line "$(cat "$D/$type.payloads.err")")" \
        eval '[ -n "$want" ] && [ "$c2s" = "$want" ] && [ "$s2c" = "$want" ] && [ "$udp" = 40 ]'
}

# ---------------------------------------------------------------------------------------------
# 5. SIGTERM with a client connected and idle.
sigterm_tests() {
    local F=$D/term.pcapng names=(
        "SIGTERM: exit 0 with the summary line while a client is connected"
        "SIGTERM: the connected client sees end of file"
        "SIGTERM: NEW is removed"
        "SIGTERM: the pcapng is whole: tshark reads it, -r shows the connect and both closes"
    )
    start_proxy term --listen "$D/term.sock" --connect "$D/real.sock" -w "$F" ||
        { fail_all "$STOP_ERR" "${names[@]}"; return; }
    "${AS[@]}" "$PY" "$PEERS" idle "$D/term.sock" "$D/idle.ready" 2>"$D/idle.err" &
    local idle=$! rc=0 idle_rc events
    wait_for "$D/idle.ready"
    sleep 0.2
    stop_proxy term TERM || rc=1
    check "${names[0]}" "$STOP_ERR" test "$rc" = 0
    wait "$idle"; idle_rc=$?
    check "${names[1]}" "idle client exit $idle_rc: $(one_line "$(cat "$D/idle.err")")" test "$idle_rc" = 0
    check "${names[2]}" "$(ls -l "$D/term.sock" 2>&1)" test ! -e "$D/term.sock"
    events=$("$UNIXCAP" -r "$F" -q 2>&1 | awk '{ print $NF }' | tr '\n' ' ')
    check "${names[3]}" "tshark: $(tshark -r "$F" 2>&1 | tail -1); -r events: $events" \
        eval 'tshark -r "$F" >/dev/null 2>&1 && [ "$events" = "connect close close " ]'
}

# ---------------------------------------------------------------------------------------------
# 6. Credentials: what the server sees of a client that sends SCM_CREDENTIALS (its own).
cred_tests() {
    local names=("credentials: without root the server's SO_PEERCRED and SCM_CREDENTIALS both name the proxy, and -v says so once")
    start_server cred "$D/cred-real.sock" "$PY" "$PEERS" cred-server "$D/cred-real.sock" "$D/cred.got" ||
        { fail_all "cred server did not start" "${names[@]}"; return; }
    start_proxy cred --listen "$D/cred-new.sock" --connect "$D/cred-real.sock" --type stream -v ||
        { fail_all "$STOP_ERR" "${names[@]}"; return; }
    local proxy=$PX_PID client said
    client=$("${AS[@]}" timeout 20 "$PY" "$PEERS" cred-client "$D/cred-new.sock" 2>"$D/cred-client.err")
    stop_proxy cred || { fail_all "$STOP_ERR" "${names[@]}"; return; }
    said=$(grep -c 'does not let this process pass on' "$D/cred.err")
    check "${names[0]}" "client $client, proxy $proxy, server saw '$(cat "$D/cred.got" 2>/dev/null)', said $said times" \
        eval '[ "$(cat "$D/cred.got" 2>/dev/null)" = "peercred=$proxy creds=$proxy" ] && [ "$said" = 1 ]'

    [ "$(id -u)" = 0 ] || return
    # Root may speak for other processes: the client's pid reaches SCM_CREDENTIALS (the client
    # runs as root too: NEW is root's, 0755 under umask 022).
    local name="credentials: a proxy run by root passes on the client's SCM_CREDENTIALS; SO_PEERCRED still names the proxy"
    start_server cred2 "$D/cred-real.sock" "$PY" "$PEERS" cred-server "$D/cred-real.sock" "$D/cred2.got" ||
        { fail "$name" "cred server did not start"; return; }
    "$UNIXCAP" proxy --listen "$D/cred2-new.sock" --connect "$D/cred-real.sock" --type stream \
        >"$D/cred2.out" 2>"$D/cred2.err" &
    PX_PID=$!
    wait_for "$D/cred2-new.sock"
    proxy=$PX_PID
    client=$(timeout 20 "$PY" "$PEERS" cred-client "$D/cred2-new.sock" 2>"$D/cred2-client.err")
    stop_proxy cred2 || { fail "$name" "$STOP_ERR"; return; }
    check "$name" "client $client, proxy $proxy, server saw '$(cat "$D/cred2.got" 2>/dev/null)'" \
        test "$(cat "$D/cred2.got" 2>/dev/null)" = "peercred=$proxy creds=$client"
}

# ---------------------------------------------------------------------------------------------
# 7. Errors: one line on stderr each; 2 for usage, 1 at run time; nothing left behind.
# expect_error NAME STATUS LINE ARGS...: LINE is an extended regular expression for the line.
expect_error() {
    local name=$1 want=$2 line=$3 rc; shift 3
    "${AS[@]}" timeout 10 "$UNIXCAP" proxy "$@" >"$D/error.out" 2>"$D/error.err"; rc=$?
    check "$name" "exit $rc (want $want), stderr: $(one_line "$(cat "$D/error.err")")" \
        eval '[ "$rc" = "$want" ] && [ "$(wc -l <"$D/error.err")" = 1 ] && grep -Eq "^unixcap proxy: $line\$" "$D/error.err"'
}

error_tests() {
    local r=$D/real.sock
    expect_error "usage: no options: exit 2" 2 "--listen NEW and --connect REAL are both needed.*"
    expect_error "usage: no --connect: exit 2" 2 "--listen NEW and --connect REAL are both needed.*" --listen "$D/a.sock"
    expect_error "usage: the same socket twice: exit 2" 2 "--listen and --connect name the same socket .*" --listen "$r" --connect "$r"
    expect_error "usage: --type foo: exit 2" 2 "invalid --type 'foo'.*" --listen "$D/a.sock" --connect "$r" --type foo
    expect_error "usage: -c 0: exit 2" 2 "invalid -c '0'.*" --listen "$D/a.sock" --connect "$r" -c 0
    expect_error "usage: an unknown option: exit 2" 2 "unknown option '--bogus'.*" --bogus
    expect_error "usage: an empty name: exit 2" 2 "'' is not a socket name.*" --listen "" --connect "$r"
    expect_error "usage: --print without -w: exit 2" 2 "--print needs -w FILE.*" --listen "$D/a.sock" --connect "$r" --print
    expect_error "runtime: REAL missing: exit 1" 1 "cannot connect to '$D/missing.sock': No such file or directory" \
        --listen "$D/a.sock" --connect "$D/missing.sock"
    "${AS[@]}" "$PY" "$PEERS" stale "$D/stale.sock"
    expect_error "runtime: REAL refuses: exit 1" 1 "cannot connect to '$D/stale.sock': Connection refused" \
        --listen "$D/a.sock" --connect "$D/stale.sock"
    echo keep >"$D/file"
    expect_error "runtime: NEW a regular file: exit 1, the file untouched" 1 "'$D/file' exists and is not a socket: not replacing it" \
        --listen "$D/file" --connect "$r"
    check "runtime: the regular file is still there" "$(cat "$D/file" 2>&1)" test "$(cat "$D/file")" = keep
    expect_error "runtime: NEW where a server listens: exit 1" 1 "'$D/dgram-real.sock' is in use: a server is listening on it" \
        --listen "$D/dgram-real.sock" --connect "$r"
    mkdir "$D/ro" && chmod 555 "$D/ro"
    expect_error "runtime: NEW in a directory the user cannot write: exit 1" 1 \
        "cannot listen on '$D/ro/x.sock': Permission denied" --listen "$D/ro/x.sock" --connect "$r"
    check "runtime: nothing left behind at NEW" "$(ls "$D/a.sock" "$D/ro" 2>&1)" \
        eval '[ ! -e "$D/a.sock" ] && [ -z "$(ls -A "$D/ro")" ]'

    local name="a stale socket file at NEW (its server gone) is replaced"
    "${AS[@]}" "$PY" "$PEERS" stale "$D/stale-new.sock"
    if start_proxy stale --listen "$D/stale-new.sock" --connect "$r"; then
        stop_proxy stale && pass "$name" || fail "$name" "$STOP_ERR"
    else
        fail "$name" "$STOP_ERR"
    fi
}

http_tests
slow_tests
fd_tests
message_tests dgram
message_tests seqpacket
sigterm_tests
cred_tests
error_tests
