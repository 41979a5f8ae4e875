#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Real clients and servers speaking real protocols over unix sockets — HTTP/1.1 (curl and a
# python3 server), HTTP/2 cleartext (curl and python3-h2), X11 (Xvfb and xdpyinfo), D-Bus
# (dbus-daemon, dbus-send, gdbus) — captured by unixcap and read back by tshark with its DEFAULT
# settings: the synthetic server port (from the socket path, the first bytes or --decode-as) must
# be enough for Wireshark's own dissectors, the name resolution records must name processes and
# socket paths, and a live capture piped into tshark must show requests while it runs.
. "$(dirname "$0")/lib.sh"

ALL="protocol dissection"
TOOLS=$ROOT/tests/tools
H2_PYTHON=/usr/bin/python3 # python3-h2 is a Debian package: a pyenv python3 on PATH lacks it

why=$(bpf_unavailable)
if [ -n "$why" ]; then skip "$ALL" "$why"; exit 0; fi
for tool in tshark curl python3; do
    command -v "$tool" >/dev/null || { skip "$ALL" "$tool not installed"; exit 0; }
done

# Every server started here is remembered and ended by its pid, never by name: other people on
# this machine run the same programs.
BG_PIDS=()
cleanup() {
    local p
    for p in "${BG_PIDS[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${BG_PIDS[@]}"; do
        for _ in $(seq 30); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$p" 2>/dev/null
    done
    wait 2>/dev/null
    stop_all
    rm -rf "$WORK"
}
trap cleanup EXIT

# fail_all WHY NAME...: the setup these checks need did not work.
fail_all() {
    local why=$1 n; shift
    for n in "$@"; do fail "$n" "$why"; done
}

# ts FILE ARGS...: tshark -r with default preferences; its complaints go to a log, not the output.
ts() {
    local file=$1; shift
    tshark -r "$file" "$@" 2>>"$WORK/tshark.err"
}
# fields FILE FILTER FIELD...: one tab-separated line per packet FILTER matches (several values
# of one field in a packet are joined by commas).
fields() {
    local file=$1 filter=$2 args=(); shift 2
    for f in "$@"; do args+=(-e "$f"); done
    ts "$file" -Y "$filter" -T fields -E separator=/t "${args[@]}" | sed '/^$/d'
}
# values FILE FIELD: every value of FIELD in the file, one per line.
values() { fields "$1" "$2" "$2" | tr ',' '\n' | sed '/^$/d'; }
TAB=$'\t'
has_line() { grep -qxF -- "$2" <<<"$1"; }
one_line() { tr '\n' ' ' <<<"$1" | cut -c1-300; }

wait_socket() { # PATH: up to 5 s
    for _ in $(seq 50); do [ -S "$1" ] && return 0; sleep 0.1; done
    return 1
}
# start_server NAME SOCKET COMMAND...: COMMAND in the background, log in $WORK/NAME.log.
start_server() {
    local name=$1 sock=$2; shift 2
    "$@" >"$WORK/$name.log" 2>&1 &
    BG_PIDS+=($!)
    wait_socket "$sock" || { cp "$WORK/$name.log" "$LOG_DIR/" 2>/dev/null; return 1; }
}
# syn_ports FILE: the server port of every connection's SYN, sorted and unique.
syn_ports() { fields "$1" 'tcp.flags.syn==1 && tcp.flags.ack==0' tcp.dstport | sort -u | tr '\n' ' ' | sed 's/ $//'; }

CURL=(curl -sS --max-time 10)

# ---------------------------------------------------------------------------------------------
# 1 and 6. HTTP/1.1 on docker.sock: the path rule gives port 80; a 200000-byte body must be
# reassembled whole; the name resolution records name curl[pid] and the socket path.
http_tests() {
    local F=$WORK/http.pcapng sock=$WORK/docker.sock names=(
        "http: tshark lists GET /small and GET /big on docker.sock"
        "http: two 200 responses"
        "http: the 200000-byte /big body is reassembled and exports with its sha256"
        "http: docker.sock connections use server port 80"
        "names: tshark -N n shows curl[pid] and the socket path"
    )
    start_server http "$sock" python3 "$TOOLS/proto_http_server.py" "$sock" --big-sha256-to "$WORK/big.sha256" ||
        { fail_all "HTTP server did not start" "${names[@]}"; return; }
    start_capture http --path "$sock" -w "$F" || { fail_all "unixcap did not start" "${names[@]}"; return; }
    local small_pid big_pid rc1 rc2
    "${CURL[@]}" --unix-socket "$sock" http://localhost/small -o "$WORK/small.body" 2>"$WORK/curl-small.err" &
    small_pid=$!; wait "$small_pid"; rc1=$?
    "${CURL[@]}" --unix-socket "$sock" http://localhost/big -o "$WORK/big.body" 2>"$WORK/curl-big.err" &
    big_pid=$!; wait "$big_pid"; rc2=$?
    stop_capture http || { fail_all "$STOP_ERR" "${names[@]}"; return; }
    if [ "$rc1" != 0 ] || [ "$rc2" != 0 ]; then
        fail_all "curl failed ($rc1/$rc2): $(cat "$WORK"/curl-*.err)" "${names[@]}"; return
    fi
    local want; want=$(cat "$WORK/big.sha256")

    local uris; uris=$(values "$F" http.request.uri)
    check "${names[0]}" "http.request.uri: $(one_line "$uris")" \
        test "$(sort <<<"$uris" | tr '\n' ' ')" = "/big /small "

    local codes; codes=$(values "$F" http.response.code)
    check "${names[1]}" "http.response.code: $(one_line "$codes")" test "$(tr '\n' ' ' <<<"$codes")" = "200 200 "

    rm -rf "$WORK/objs"
    ts "$F" -q --export-objects "http,$WORK/objs" >/dev/null
    local got=none
    [ -f "$WORK/objs/big" ] && got=$(sha256sum <"$WORK/objs/big" | cut -d' ' -f1)
    local curl_got; curl_got=$(sha256sum <"$WORK/big.body" | cut -d' ' -f1)
    check "${names[2]}" "exported $(ls "$WORK/objs" 2>/dev/null | tr '\n' ' ')big: sha256 $got, $(stat -c %s "$WORK/objs/big" 2>/dev/null || echo 0) bytes; want $want (curl got $curl_got)" \
        test "$got" = "$want"

    local ports; ports=$(syn_ports "$F")
    check "${names[3]}" "SYN server ports: '$ports'" test "$ports" = 80

    # Name resolution: the client address is named after the process, the server's after the
    # socket path. Each curl is its own process, so each request names its own pid.
    local hosts; hosts=$(ts "$F" -N n -Y http.request -T fields -E separator=/t -e http.request.uri -e ip.src_host -e ip.dst_host)
    check "${names[4]}" "want '/small curl[$small_pid] $sock' and '/big curl[$big_pid] $sock'; got: $(one_line "$hosts")" \
        eval 'has_line "$hosts" "/small${TAB}curl[$small_pid]${TAB}$sock" && has_line "$hosts" "/big${TAB}curl[$big_pid]${TAB}$sock"'
}

# ---------------------------------------------------------------------------------------------
# 2. Sockets whose path says nothing: the first bytes (an HTTP request line) give port 80;
# --decode-as PATH=http gives 80; --decode-as GLOB=8080 wins over the first bytes (8080 is one
# of Wireshark's default HTTP ports, so tshark must still see HTTP there). Wireshark 4.0's
# HTTP heuristic finds HTTP/1.1 on any port, even unixcap's default 9: the port is what tells
# whether unixcap chose, so every check here asserts it.
decode_tests() {
    local F=$WORK/decode.pcapng api=$WORK/api.sock other=$WORK/other.sock alt=$WORK/alt-1.sock names=(
        "first bytes: HTTP on api.sock is dissected on server port 80"
        "decode-as PATH=http: HTTP on other.sock is dissected on server port 80"
        "decode-as GLOB=8080: HTTP on alt-1.sock is dissected on server port 8080"
    )
    start_server api "$api" python3 "$TOOLS/proto_http_server.py" "$api" &&
        start_server other "$other" python3 "$TOOLS/proto_http_server.py" "$other" &&
        start_server alt "$alt" python3 "$TOOLS/proto_http_server.py" "$alt" ||
        { fail_all "HTTP servers did not start" "${names[@]}"; return; }
    start_capture decode --path "$api" --path "$other" --path "$WORK/alt-*.sock" \
        --decode-as "$other=http" --decode-as "$WORK/alt-*.sock=8080" -w "$F" ||
        { fail_all "unixcap did not start" "${names[@]}"; return; }
    local rc=0
    "${CURL[@]}" --unix-socket "$api" http://localhost/small -o /dev/null 2>>"$WORK/curl-decode.err" || rc=1
    "${CURL[@]}" --unix-socket "$other" http://localhost/small?other -o /dev/null 2>>"$WORK/curl-decode.err" || rc=1
    "${CURL[@]}" --unix-socket "$alt" http://localhost/small?alt -o /dev/null 2>>"$WORK/curl-decode.err" || rc=1
    stop_capture decode || { fail_all "$STOP_ERR" "${names[@]}"; return; }
    [ "$rc" = 0 ] || { fail_all "curl failed: $(cat "$WORK/curl-decode.err")" "${names[@]}"; return; }

    local got; got=$(fields "$F" http.request http.request.uri tcp.dstport)
    check "${names[0]}" "uri/port: $(one_line "$got")" has_line "$got" "/small${TAB}80"
    check "${names[1]}" "uri/port: $(one_line "$got")" has_line "$got" "/small?other${TAB}80"
    check "${names[2]}" "uri/port: $(one_line "$got")" has_line "$got" "/small?alt${TAB}8080"
}

# ---------------------------------------------------------------------------------------------
# 3. HTTP/2 cleartext with prior knowledge: the client preface gives port 80, where Wireshark's
# HTTP dissector hands the connection to HTTP/2.
h2_tests() {
    local F=$WORK/h2.pcapng sock=$WORK/h2.sock names=(
        "http2: tshark shows the request path and :status 200"
        "http2: HEADERS both ways and DATA from the server"
        "http2: the response body is dissected"
    )
    if ! "$H2_PYTHON" -c 'import h2' 2>/dev/null; then
        skip "http2" "$H2_PYTHON has no h2 module (Debian package python3-h2)"; return
    fi
    start_server h2 "$sock" "$H2_PYTHON" "$TOOLS/proto_h2_server.py" "$sock" ||
        { fail_all "h2 server did not start" "${names[@]}"; return; }
    start_capture h2 --path "$sock" -w "$F" || { fail_all "unixcap did not start" "${names[@]}"; return; }
    local body rc
    body=$("${CURL[@]}" --http2-prior-knowledge --unix-socket "$sock" http://localhost/unixcap-h2-test 2>"$WORK/curl-h2.err"); rc=$?
    stop_capture h2 || { fail_all "$STOP_ERR" "${names[@]}"; return; }
    [ "$rc" = 0 ] && [ "$body" = "hello over h2 /unixcap-h2-test" ] ||
        { fail_all "curl failed ($rc, body '$body'): $(cat "$WORK/curl-h2.err")" "${names[@]}"; return; }

    local paths statuses
    paths=$(values "$F" http2.headers.path)
    statuses=$(values "$F" http2.headers.status)
    check "${names[0]}" "paths '$(one_line "$paths")', statuses '$(one_line "$statuses")', server ports '$(syn_ports "$F")'" \
        eval 'has_line "$paths" /unixcap-h2-test && has_line "$statuses" 200'

    # http2.type: 0 DATA, 1 HEADERS; p2p_dir 0 client to server, 1 server to client. curl's
    # request has no body, so DATA is only expected from the server.
    local types; types=$(fields "$F" http2 frame.p2p_dir http2.type | awk -F'\t' '{n=split($2,t,","); for(i=1;i<=n;i++) print $1" "t[i]}' | sort -u)
    check "${names[1]}" "dir/type pairs: $(one_line "$types")" \
        eval 'has_line "$types" "0 1" && has_line "$types" "1 1" && has_line "$types" "1 0"'

    local data; data=$(fields "$F" 'http2.type==0 && frame.p2p_dir==1' http2.data.data | tr -d ':\n')
    check "${names[2]}" "DATA payload hex '$data'" \
        test "$data" = "$(printf 'hello over h2 /unixcap-h2-test\n' | od -An -tx1 | tr -d ' \n')"

    # Servers that write their SETTINGS right after accept() (Go's gRPC, nghttp2) often get
    # their bytes in before the client's preface; the client here makes that certain.
    local name="http2: dissected when the server's SETTINGS is the first message"
    F=$WORK/h2first.pcapng sock=$WORK/h2first.sock
    start_server h2first "$sock" "$H2_PYTHON" "$TOOLS/proto_h2_server.py" "$sock" --settings-first ||
        { fail "$name" "h2 server did not start"; return; }
    start_capture h2first --path "$sock" -w "$F" || { fail "$name" "unixcap did not start"; return; }
    body=$("$H2_PYTHON" "$TOOLS/proto_h2_client.py" "$sock" /server-spoke-first 2>"$WORK/h2client.err"); rc=$?
    stop_capture h2first || { fail "$name" "$STOP_ERR"; return; }
    [ "$rc" = 0 ] || { fail "$name" "client failed ($rc): $(cat "$WORK/h2client.err")"; return; }
    paths=$(values "$F" http2.headers.path)
    check "$name" "paths '$(one_line "$paths")', server ports '$(syn_ports "$F")'" has_line "$paths" /server-spoke-first
}

# ---------------------------------------------------------------------------------------------
# 4. X11: Xvfb and xdpyinfo. Xlib connects to the abstract @/tmp/.X11-unix/XN first and the
# path only when that fails, so both are captured. Displays above 63 have no Wireshark port
# (6000-6063): the first bytes (the connection setup) must give 6000.
x11_tests() {
    local names=(
        "x11: tshark dissects xdpyinfo's requests and replies"
        "x11: the connection setup reply names the vendor"
        "x11: server port 6000 from the connection setup"
    )
    command -v Xvfb >/dev/null || { skip "x11" "Xvfb not installed (package xvfb)"; return; }
    command -v xdpyinfo >/dev/null || { skip "x11" "xdpyinfo not installed (package x11-utils)"; return; }
    local n d=""
    for n in 77 $(seq 78 99); do
        if [ ! -e "/tmp/.X$n-lock" ] && [ ! -e "/tmp/.X11-unix/X$n" ] &&
            ! grep -q "@/tmp/.X11-unix/X$n\$" /proc/net/unix; then d=$n; break; fi
    done
    [ -n "$d" ] || { fail_all "no free X display in :77-:99" "${names[@]}"; return; }
    local F=$WORK/x11.pcapng sock=/tmp/.X11-unix/X$d
    start_server xvfb "$sock" Xvfb ":$d" -nolisten tcp || { fail_all "Xvfb :$d did not start: $(tail -3 "$WORK/xvfb.log")" "${names[@]}"; return; }
    local xvfb_pid=${BG_PIDS[-1]}
    start_capture x11 --path "$sock" --path "@$sock" -w "$F" || { fail_all "unixcap did not start" "${names[@]}"; return; }
    DISPLAY=:$d timeout 20 xdpyinfo >"$WORK/xdpyinfo.out" 2>&1; local rc=$?
    stop_capture x11 || { fail_all "$STOP_ERR" "${names[@]}"; return; }
    kill "$xvfb_pid" 2>/dev/null
    [ "$rc" = 0 ] || { fail_all "xdpyinfo exited $rc: $(tail -2 "$WORK/xdpyinfo.out")" "${names[@]}"; return; }

    # 98 QueryExtension and 99 ListExtensions: xdpyinfo always asks for the extension list.
    local ops replies
    ops=$(fields "$F" 'x11 && frame.p2p_dir==0' x11.opcode | tr ',' '\n' | sort -un)
    replies=$(ts "$F" -Y 'x11 && frame.p2p_dir==1' | grep -c 'Reply')
    check "${names[0]}" "request opcodes: $(one_line "$ops"); $replies reply packets" \
        eval 'has_line "$ops" 98 && has_line "$ops" 99 && [ "$replies" -gt 0 ]'
    local vendor; vendor=$(values "$F" x11.vendor)
    check "${names[1]}" "x11.vendor '$vendor'" test "$vendor" = "The X.Org Foundation"
    local ports; ports=$(syn_ports "$F")
    check "${names[2]}" "SYN server ports: '$ports'" test "$ports" = 6000
}

# ---------------------------------------------------------------------------------------------
# 5. D-Bus on a private bus: its messages belong on a LINKTYPE_DBUS interface, once each, and
# not also as TCP payload. The path says nothing, so the first bytes must tell (dbus-send and
# gdbus send the credentials NUL byte as a write of its own before "AUTH ..."); a second
# capture names the protocol with --decode-as.
dbus_tests() {
    local names=(
        "dbus: tshark shows Hello and ListNames calls on a bus at a plain path"
        "dbus: method calls and method returns"
        "dbus: the bus connections' bytes are not also TCP payload"
        "dbus: --decode-as PATH=dbus shows Hello and ListNames"
    )
    local tool
    for tool in dbus-daemon dbus-send; do
        command -v "$tool" >/dev/null || { skip "dbus" "$tool not installed (package dbus)"; return; }
    done
    local bus=$WORK/bus
    cat >"$WORK/bus.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=$bus</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
EOF
    local dpid
    dpid=$(dbus-daemon --config-file="$WORK/bus.conf" --fork --print-pid 2>"$WORK/dbus-daemon.log" | head -1)
    [ -n "$dpid" ] && BG_PIDS+=("$dpid")
    wait_socket "$bus" || { fail_all "dbus-daemon did not start: $(cat "$WORK/dbus-daemon.log")" "${names[@]}"; return; }

    bus_clients() { # NAME: dbus-send, then gdbus if it exists
        dbus-send --bus="unix:path=$bus" --dest=org.freedesktop.DBus --type=method_call --print-reply \
            /org/freedesktop/DBus org.freedesktop.DBus.ListNames >"$WORK/$1.dbus-send" 2>&1 || return 1
        if command -v gdbus >/dev/null; then
            timeout 10 gdbus call --address "unix:path=$bus" --dest org.freedesktop.DBus \
                --object-path /org/freedesktop/DBus --method org.freedesktop.DBus.ListNames >"$WORK/$1.gdbus" 2>&1 || return 1
        fi
    }

    local F=$WORK/dbus.pcapng rc
    if start_capture dbus --path "$bus" -w "$F"; then
        bus_clients dbus; rc=$?
        if ! stop_capture dbus; then
            fail_all "$STOP_ERR" "${names[@]:0:3}"
        elif [ "$rc" != 0 ]; then
            fail_all "bus clients failed: $(cat "$WORK"/dbus.dbus-send "$WORK"/dbus.gdbus 2>/dev/null | tail -3)" "${names[@]:0:3}"
        else
            local members types tcp_data dbus_msgs
            members=$(values "$F" dbus.member)
            check "${names[0]}" "dbus.member: '$(one_line "$(sort -u <<<"$members")")'; linktypes: $(capinfos -E "$F" 2>/dev/null | sed -n 's/^File encapsulation: *//p')" \
                eval 'has_line "$members" Hello && has_line "$members" ListNames'
            # dbus.message_type: 1 method call, 2 method return
            types=$(values "$F" dbus.message_type | sort -u)
            check "${names[1]}" "dbus.message_type: '$(one_line "$types")'" \
                eval 'has_line "$types" 1 && has_line "$types" 2'
            tcp_data=$(ts "$F" -Y 'tcp.len > 0' | wc -l)
            dbus_msgs=$(ts "$F" -Y dbus | wc -l)
            check "${names[2]}" "$tcp_data TCP packets with payload, $dbus_msgs D-Bus messages" \
                eval '[ "$tcp_data" = 0 ] && [ "$dbus_msgs" -gt 0 ]'
        fi
    else
        fail_all "unixcap did not start" "${names[@]:0:3}"
    fi

    F=$WORK/dbus-decode.pcapng
    start_capture dbus-decode --path "$bus" --decode-as "$bus=dbus" -w "$F" ||
        { fail "${names[3]}" "unixcap did not start"; return; }
    bus_clients dbus-decode; rc=$?
    stop_capture dbus-decode || { fail "${names[3]}" "$STOP_ERR"; return; }
    [ "$rc" = 0 ] || { fail "${names[3]}" "bus clients failed"; return; }
    local m; m=$(values "$F" dbus.member)
    check "${names[3]}" "dbus.member: '$(one_line "$(sort -u <<<"$m")")'" \
        eval 'has_line "$m" Hello && has_line "$m" ListNames'
}

# ---------------------------------------------------------------------------------------------
# 7. Live: unixcap -U -w - into tshark -i -; a request must show up while unixcap still runs,
# and tshark must finish once unixcap stops.
live_tests() {
    local names=(
        "live: tshark -i - shows the request while unixcap runs"
        "live: unixcap exits 0 on SIGINT and tshark then finishes"
    )
    local sock=$WORK/live/docker.sock
    mkdir -p "$WORK/live"
    start_server live-http "$sock" python3 "$TOOLS/proto_http_server.py" "$sock" ||
        { fail_all "HTTP server did not start" "${names[@]}"; return; }
    mkfifo "$WORK/livepipe"
    tshark -i - -l -Y http.request -T fields -e http.request.uri <"$WORK/livepipe" \
        >"$WORK/live.uris" 2>"$WORK/live.tshark.err" &
    local tshark_pid=$!
    BG_PIDS+=("$tshark_pid")
    "$UNIXCAP" -U -w - --path "$sock" >"$WORK/livepipe" 2>"$WORK/live.err" &
    local uc_pid=$!
    BG_PIDS+=("$uc_pid")
    local up=""
    for _ in $(seq 100); do
        grep -q '^unixcap: listening' "$WORK/live.err" && { up=1; break; }
        kill -0 "$uc_pid" 2>/dev/null || break
        sleep 0.1
    done
    [ -n "$up" ] || { fail_all "unixcap did not start: $(cat "$WORK/live.err")" "${names[@]}"; return; }
    # tshark starts dumpcap, which reads the section header before anything is dissected.
    sleep 0.5
    "${CURL[@]}" --unix-socket "$sock" http://localhost/small?live -o /dev/null 2>"$WORK/curl-live.err" ||
        { fail_all "curl failed: $(cat "$WORK/curl-live.err")" "${names[@]}"; return; }
    local seen="" alive=""
    for _ in $(seq 50); do
        if grep -qxF '/small?live' "$WORK/live.uris"; then
            seen=1
            kill -0 "$uc_pid" 2>/dev/null && alive=1
            break
        fi
        sleep 0.1
    done
    check "${names[0]}" "seen='$seen' unixcap alive='$alive' after 5 s; tshark printed '$(one_line "$(cat "$WORK/live.uris")")', stderr: $(grep -v 'Running as user' "$WORK/live.tshark.err" | tr '\n' ' ' | cut -c1-300)" \
        test -n "$seen" -a -n "$alive"

    kill -INT "$uc_pid"
    wait "$uc_pid"; local uc_rc=$?
    local ended=""
    for _ in $(seq 50); do
        kill -0 "$tshark_pid" 2>/dev/null || { ended=1; break; }
        sleep 0.1
    done
    [ -n "$ended" ] || kill "$tshark_pid" 2>/dev/null
    wait "$tshark_pid"; local ts_rc=$?
    cp "$WORK"/live.* "$LOG_DIR/" 2>/dev/null
    check "${names[1]}" "unixcap exited $uc_rc ($(tail -1 "$WORK/live.err")); tshark ended within 5 s: '${ended:-no}', exit $ts_rc" \
        eval '[ "$uc_rc" = 0 ] && grep -Eq "^[0-9]+ messages captured, [0-9]+ lost$" "$WORK/live.err" && [ -n "$ended" ] && [ "$ts_rc" = 0 ]'
}

http_tests
decode_tests
h2_tests
x11_tests
dbus_tests
live_tests
cp "$WORK/tshark.err" "$LOG_DIR/protocols.tshark.err" 2>/dev/null
exit 0
