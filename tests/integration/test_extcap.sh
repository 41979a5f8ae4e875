#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Wireshark's extcap interface: the calls Wireshark makes and what they print, make install and
# uninstall (DESTDIR, PREFIX, EXTCAP_DIR), captures through `tshark -i unixcap` from a personal
# extcap folder (plain, with an interface preference, with a capture filter), --capture into a
# FIFO writing nothing on stderr, and make install-caps letting a non-root group member capture.
. "$(dirname "$0")/lib.sh"

ALL="wireshark extcap"
why=$(bpf_unavailable)
if [ -n "$why" ]; then skip "$ALL" "$why"; exit 0; fi
for tool in tshark make setpriv setcap getcap groupadd groupdel mkfifo; do
    command -v "$tool" >/dev/null || { skip "$ALL" "$tool not installed"; exit 0; }
done
[ -x "$UCGEN" ] || { skip "$ALL" "$UCGEN not built"; exit 0; }

# What this test creates outside $WORK is undone on exit: a group, a folder, background processes.
BG_PIDS=()
CAPS_GROUP=""
CAPS_DIR=""
cleanup() {
    local p
    for p in "${BG_PIDS[@]}"; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    [ -n "$CAPS_GROUP" ] && groupdel "$CAPS_GROUP" 2>/dev/null
    [ -n "$CAPS_DIR" ] && rm -rf "$CAPS_DIR"
    rm -rf "$WORK"
}
trap cleanup EXIT


# run NAME COMMAND...: COMMAND's stdout, stderr and status in $WORK/NAME.out, .err and RC.
run() {
    local name=$1; shift
    "$@" >"$WORK/$name.out" 2>"$WORK/$name.err"; RC=$?
}

lines() { wc -l <"$1" | tr -d ' '; }

# wait_attached PID: waits (<= 30 s) until process PID holds BPF links, i.e. its hooks are attached
# (in extcap mode unixcap says nothing on stderr, not even "listening").
wait_attached() {
    for _ in $(seq 300); do
        grep -qs '^link_type:' /proc/"$1"/fdinfo/* && return 0
        kill -0 "$1" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

# Wireshark's global extcap folder, as the Makefile reads it.
GLOBAL_EXTCAP=$(tshark -G folders 2>/dev/null | sed -En 's/^(Global )?Extcap path:[[:space:]]*//p' | head -n 1)

# ---- the extcap calls ----

extcap_calls() {
    local want_if='interface {value=unixcap}{display=AF_UNIX sockets (unixcap)}'
    local want_dlt='dlt {number=101}{name=RAW}{display=IPv4 (synthetic TCP/UDP for AF_UNIX)}'
    local arg_re='^arg \{number=[0-9]+\}\{call=[^{}]+\}\{display=[^{}]+\}\{type=(string|integer|selector)\}(\{[a-z]+=[^{}]*\})*$'
    local value_re='^value \{arg=[0-9]+\}\{value=[^{}]+\}\{display=[^{}]+\}(\{default=true\})?$'

    run interfaces "$UNIXCAP" --extcap-interfaces --extcap-version=4.0
    check "extcap: --extcap-interfaces prints the extcap and interface lines" \
        "rc $RC: $(tr '\n' '|' <"$WORK/interfaces.out")" \
        test "$RC" = 0 -a "$(lines "$WORK/interfaces.out")" = 2 -a ! -s "$WORK/interfaces.err"
    check "extcap: the extcap line has the version and a help URL" "$(head -1 "$WORK/interfaces.out")" \
        grep -Eq '^extcap \{version=[0-9.]+\}\{help=file:///[^{}]+\}$' "$WORK/interfaces.out"
    check "extcap: one interface, unixcap" "$(tail -1 "$WORK/interfaces.out")" \
        test "$(tail -1 "$WORK/interfaces.out")" = "$want_if"

    run dlts "$UNIXCAP" --extcap-dlts --extcap-interface unixcap
    check "extcap: --extcap-dlts prints LINKTYPE_RAW" "rc $RC: $(cat "$WORK/dlts.out")" \
        test "$RC" = 0 -a "$(cat "$WORK/dlts.out")" = "$want_dlt" -a ! -s "$WORK/dlts.err"

    run config "$UNIXCAP" --extcap-config --extcap-interface unixcap
    local bad calls
    bad=$(grep -Ev -e "$arg_re" -e "$value_re" "$WORK/config.out")
    calls=$(sed -En 's/^arg \{number=[0-9]+\}\{call=([^}]*)\}\{display=[^}]*\}\{type=([a-z]+)\}.*/\1:\2/p' "$WORK/config.out" | tr '\n' ' ')
    check "extcap: every --extcap-config line parses" "rc $RC, unparsed: $bad" \
        test "$RC" = 0 -a -z "$bad" -a -s "$WORK/config.out" -a ! -s "$WORK/config.err"
    check "extcap: options --path --pid --comm --type -s" "got $calls" \
        test "$calls" = "--path:string --pid:integer --comm:string --type:selector -s:integer "
    check "extcap: the type selector offers stream, dgram and seqpacket" "$(grep '^value' "$WORK/config.out" | tr '\n' '|')" \
        bash -c 'for t in stream dgram seqpacket; do grep -q "^value {arg=3}{value=$t}" "$1" || exit 1; done' _ "$WORK/config.out"

    run badif "$UNIXCAP" --extcap-dlts --extcap-interface eth0
    check "extcap: an unknown interface is a usage error (2) with one line" \
        "rc $RC, stderr: $(cat "$WORK/badif.err")" \
        test "$RC" = 2 -a "$(lines "$WORK/badif.err")" = 1 -a ! -s "$WORK/badif.out"
    run badcap "$UNIXCAP" --capture --extcap-interface eth0 --fifo "$WORK/badcap.fifo"
    check "extcap: --capture on an unknown interface exits 2 with one line, opens nothing" \
        "rc $RC, stderr: $(cat "$WORK/badcap.err")" \
        test "$RC" = 2 -a "$(lines "$WORK/badcap.err")" = 1 -a ! -e "$WORK/badcap.fifo"
    check "extcap: that line names the interface" "$(cat "$WORK/badcap.err")" \
        grep -q "^unixcap: unknown extcap interface 'eth0'" "$WORK/badcap.err"

    # Wireshark checks a capture filter as it is typed: silence means valid, a line says why not.
    run goodfilter "$UNIXCAP" --extcap-capture-filter "--path '$WORK/a b.sock' --pid 12 --type stream,dgram" --extcap-interface unixcap
    check "extcap: a filter of CLI filter words is valid (nothing printed)" \
        "rc $RC: $(cat "$WORK/goodfilter.out" "$WORK/goodfilter.err")" \
        test "$RC" = 0 -a ! -s "$WORK/goodfilter.out" -a ! -s "$WORK/goodfilter.err"
    run badfilter "$UNIXCAP" --extcap-capture-filter "tcp port 80" --extcap-interface unixcap
    check "extcap: a pcap-style filter is refused with one line" \
        "rc $RC: $(cat "$WORK/badfilter.out" "$WORK/badfilter.err")" \
        test "$RC" = 0 -a "$(lines "$WORK/badfilter.out")" = 1 -a ! -s "$WORK/badfilter.err"
    run badcapfilter "$UNIXCAP" --capture --extcap-interface unixcap --fifo "$WORK/bcf.fifo" --extcap-capture-filter "-w /tmp/x"
    check "extcap: --capture with a bad filter exits 2 with one line" \
        "rc $RC, stderr: $(cat "$WORK/badcapfilter.err")" \
        test "$RC" = 2 -a "$(lines "$WORK/badcapfilter.err")" = 1 -a ! -e "$WORK/bcf.fifo"
}

# ---- make install with DESTDIR, and make uninstall ----

install_destdir() {
    local d=$WORK/destdir left
    [ -n "$GLOBAL_EXTCAP" ] || { fail "install: DESTDIR" "tshark -G folders names no extcap folder"; return; }
    run destdir make -C "$ROOT" install DESTDIR="$d"
    check "install: make install DESTDIR= succeeds" "rc $RC: $(tail -3 "$WORK/destdir.err")" test "$RC" = 0
    check "install: the binary goes to DESTDIR/usr/local/bin/unixcap" "not there or not ours" \
        cmp -s "$ROOT/unixcap" "$d/usr/local/bin/unixcap"
    check "install: the binary is executable by all (0755)" "$(stat -c %a "$d/usr/local/bin/unixcap" 2>&1)" \
        test "$(stat -c %a "$d/usr/local/bin/unixcap" 2>&1)" = 755
    check "install: the extcap link is DESTDIR$GLOBAL_EXTCAP/unixcap -> /usr/local/bin/unixcap" \
        "$(ls -l "$d$GLOBAL_EXTCAP/unixcap" 2>&1)" \
        test "$(readlink "$d$GLOBAL_EXTCAP/unixcap")" = /usr/local/bin/unixcap
    check "install: the README (the extcap help page) goes to share/doc/unixcap" "missing" \
        test -f "$d/usr/local/share/doc/unixcap/README.md"
    run undestdir make -C "$ROOT" uninstall DESTDIR="$d"
    left=$(find "$d" -type f -o -type l)
    check "install: make uninstall DESTDIR= removes every file and link" "rc $RC, left: $left" \
        test "$RC" = 0 -a -z "$left"
}

# ---- a real install into a personal extcap folder, used by tshark ----

TSHARK_HOME=$WORK/home
PREFIX=$WORK/prefix
tshark_home() { env -u XDG_CONFIG_HOME HOME="$TSHARK_HOME" "$@"; }

install_personal() {
    run personal make -C "$ROOT" install PREFIX="$PREFIX" EXTCAP_DIR="$TSHARK_HOME/.config/wireshark/extcap"
    check "install: make install PREFIX= EXTCAP_DIR= succeeds" "rc $RC: $(tail -3 "$WORK/personal.err")" test "$RC" = 0
    check "install: the extcap link points to PREFIX/bin/unixcap" \
        "$(ls -l "$TSHARK_HOME/.config/wireshark/extcap/unixcap" 2>&1)" \
        test "$(readlink "$TSHARK_HOME/.config/wireshark/extcap/unixcap")" = "$PREFIX/bin/unixcap"
    run listed tshark_home tshark -D
    check "tshark -D lists unixcap as 'AF_UNIX sockets (unixcap)'" "$(grep -c . "$WORK/listed.out") interfaces, no unixcap" \
        grep -Eq '^[0-9]+\. unixcap \(AF_UNIX sockets \(unixcap\)\)$' "$WORK/listed.out"
    run helpurl "$PREFIX/bin/unixcap" --extcap-interfaces
    check "extcap: the help URL of an installed unixcap is its installed README" "$(head -1 "$WORK/helpurl.out")" \
        grep -qF "{help=file://$PREFIX/share/doc/unixcap/README.md}" "$WORK/helpurl.out"
}

# tshark_capture NAME GEN_ARGS -- TSHARK_ARGS...: `tshark -i unixcap -a duration:4` into
# $WORK/NAME.pcapng; once the extcap tshark started has attached its hooks, ucgen runs with each
# ;-separated GEN_ARGS (manifests $WORK/NAME.m1, .m2, ...). CAP_ERR says what went wrong.
# tshark runs as AS_USER (a command prefix; empty: root) with HOME=$TSHARK_HOME, writing to
# $TSHARK_OUT (which that user can write to).
AS_USER=()
TSHARK_OUT=$WORK
tshark_capture() {
    local name=$1 gens=$2 tpid upid i=0 g; shift 3
    CAP_ERR=""
    # Every command in this chain execs the next: $! is tshark.
    "${AS_USER[@]}" env -u XDG_CONFIG_HOME HOME="$TSHARK_HOME" \
        tshark -i unixcap -a duration:4 -w "$TSHARK_OUT/$name.pcapng" "$@" \
        >"$WORK/$name.tshark.out" 2>"$WORK/$name.tshark.err" &
    tpid=$!
    BG_PIDS+=("$tpid")
    for _ in $(seq 100); do
        upid=$(pgrep -P "$tpid" -f 'unixcap --capture ') && break # not its --extcap-config calls
        sleep 0.1
    done
    if [ -z "$upid" ]; then
        CAP_ERR="tshark did not start unixcap"
    elif ! wait_attached "$upid"; then
        CAP_ERR="the hooks of unixcap (pid $upid) never attached"
    else
        IFS=';' read -ra gens <<<"$gens"
        for g in "${gens[@]}"; do
            i=$((i + 1))
            # shellcheck disable=SC2086
            "$UCGEN" $g --manifest "$WORK/$name.m$i" >"$WORK/$name.gen$i" 2>&1 ||
                CAP_ERR="ucgen $g failed: $(tail -1 "$WORK/$name.gen$i")"
        done
    fi
    wait "$tpid" || CAP_ERR="${CAP_ERR:-tshark exited $?: $(tail -2 "$WORK/$name.tshark.err" | tr '\n' ' ')}"
    [ "$TSHARK_OUT" = "$WORK" ] || cp "$TSHARK_OUT/$name.pcapng" "$WORK/" 2>/dev/null
    cp "$WORK/$name".* "$LOG_DIR/" 2>/dev/null
    [ -z "$CAP_ERR" ]
}

# verify NAME MANIFEST: check_capture.py finds every direction of MANIFEST's traffic in NAME.pcapng.
verify() {
    $CHECK "$2" "$WORK/$1.pcapng" >"$WORK/$1.check" 2>&1 && ! grep -q '^FAIL' "$WORK/$1.check"
}

# absent NAME MANIFEST: no packet of MANIFEST's processes in NAME.pcapng.
absent() {
    local c s
    read -r _ c s < <(grep '^pids ' "$2")
    [ -n "$c" ] && ! tshark_fields "$WORK/$1.pcapng" frame.comment | grep -Eq "(^| )pid=($c|$s) "
}

tshark_captures() {
    local stream="--type stream --addr pair --send write --recv read --sizes 1000,2000"
    if tshark_capture plain "$stream" --; then
        check "tshark -i unixcap captures ucgen's stream, every byte" "$(head -3 "$WORK/plain.check" 2>/dev/null)" \
            verify plain "$WORK/plain.m1"
    else
        fail "tshark -i unixcap captures ucgen's stream, every byte" "$CAP_ERR"
    fi

    # An interface preference (what the GUI's options dialog sets) becomes --path.
    local a="--type stream --addr path:$WORK/a.sock --sizes 100,200"
    local b="--type dgram --addr path:$WORK/b.sock --sizes 300"
    if tshark_capture pref "$a;$b" -- -o "extcap.unixcap.path:$WORK/a.sock"; then
        check "tshark -o extcap.unixcap.path: captures that socket" "$(head -3 "$WORK/pref.check" 2>/dev/null)" \
            verify pref "$WORK/pref.m1"
        check "tshark -o extcap.unixcap.path: leaves other sockets out" "b.sock's processes are in the capture" \
            absent pref "$WORK/pref.m2"
    else
        fail "tshark -o extcap.unixcap.path: captures that socket" "$CAP_ERR"
    fi

    # tshark -f passes the capture filter as --extcap-capture-filter.
    if tshark_capture filtered "$a;$b" -- -f "--path $WORK/b.sock"; then
        check "tshark -f '--path P' captures that socket" "$(head -3 "$WORK/filtered.check" 2>/dev/null)" \
            verify filtered "$WORK/filtered.m2"
        check "tshark -f '--path P' leaves other sockets out" "a.sock's processes are in the capture" \
            absent filtered "$WORK/filtered.m1"
    else
        fail "tshark -f '--path P' captures that socket" "$CAP_ERR"
    fi
}

# ---- --capture into a FIFO, as Wireshark runs it ----

fifo_capture() {
    local fifo=$WORK/wireshark.fifo upid cpid rc packets
    mkfifo "$fifo"
    cat "$fifo" >"$WORK/fifo.pcapng" &
    cpid=$!
    BG_PIDS+=("$cpid")
    "$PREFIX/bin/unixcap" --capture --extcap-interface unixcap --fifo "$fifo" \
        --extcap-capture-filter "--path $WORK/f.sock" -s 0 >"$WORK/fifo.out" 2>"$WORK/fifo.err" &
    upid=$!
    BG_PIDS+=("$upid")
    if ! wait_attached "$upid"; then
        fail "extcap: --capture into a FIFO" "hooks never attached: $(head -2 "$WORK/fifo.err")"
        return
    fi
    "$UCGEN" --type seqpacket --addr "path:$WORK/f.sock" --sizes 10,20000 --manifest "$WORK/fifo.m" >/dev/null 2>&1
    sleep 0.5
    packets=$(tshark -r "$WORK/fifo.pcapng" 2>/dev/null | wc -l)
    check "extcap: packets reach the FIFO while capturing (flushed one by one)" "$packets packets before the stop" \
        test "$packets" -ge 4
    kill -TERM "$upid"
    wait "$upid"; rc=$?
    wait "$cpid"
    cp "$WORK"/fifo.* "$LOG_DIR/" 2>/dev/null
    check "extcap: SIGTERM ends --capture with status 0" "exited $rc" test "$rc" = 0
    check "extcap: --capture writes nothing on stderr or stdout" "$(head -3 "$WORK/fifo.err" "$WORK/fifo.out")" \
        test ! -s "$WORK/fifo.err" -a ! -s "$WORK/fifo.out"
    check "extcap: the FIFO holds a whole pcapng" "tshark -r -q fails" \
        eval 'tshark -r "$WORK/fifo.pcapng" -q >/dev/null 2>&1'
    check "extcap: ... with the traffic of the capture filter's socket" "$(head -3 "$WORK/fifo.check" 2>/dev/null)" \
        verify fifo "$WORK/fifo.m"
}

# ---- make install-caps: a non-root member of the group captures ----

install_caps() {
    local bin rc
    CAPS_DIR=$(mktemp -d /tmp/unixcap-caps.XXXXXX)
    chmod 755 "$CAPS_DIR" # nobody must reach the binary
    CAPS_GROUP=uctest$$
    bin=$CAPS_DIR/bin/unixcap
    run capsinstall make -C "$ROOT" install PREFIX="$CAPS_DIR" EXTCAP_DIR="$CAPS_DIR/extcap"
    run caps make -C "$ROOT" install-caps PREFIX="$CAPS_DIR" CAPS_GROUP="$CAPS_GROUP"
    check "install-caps: creates the group and succeeds" "rc $RC: $(tail -2 "$WORK/caps.err")" \
        bash -c '[ "$1" = 0 ] && getent group "$2" >/dev/null' _ "$RC" "$CAPS_GROUP"
    check "install-caps: the binary is root:group, mode 0750" "$(stat -c '%a %U:%G' "$bin")" \
        test "$(stat -c '%a %U:%G' "$bin")" = "750 root:$CAPS_GROUP"
    check "install-caps: the binary has cap_bpf and cap_perfmon, effective" "$(getcap "$bin")" \
        bash -c 'c=$(getcap "$1"); [[ $c == *cap_bpf* && $c == *cap_perfmon* && $c == *=ep ]]' _ "$bin"

    # setpriv keeps root's capabilities until exec: a shell in between makes the kernel check the
    # file's mode as nobody would meet it.
    setpriv --reuid=nobody --regid=nogroup --clear-groups sh -c 'exec "$0" --version' "$bin" >/dev/null 2>&1; rc=$?
    check "install-caps: a user outside the group cannot run it" "exited $rc" test "$rc" != 0

    # The capture runs from /tmp: nobody cannot enter $WORK, but the kernel filters by path.
    (cd /tmp && exec setpriv --reuid=nobody --regid=nogroup --groups="$(getent group "$CAPS_GROUP" | cut -d: -f3)" \
        sh -c 'exec "$0" "$@"' "$bin" --path "$WORK/caps.sock" -c 4 -q) \
        >"$WORK/capsrun.out" 2>"$WORK/capsrun.err" &
    UC_PID=$!
    for _ in $(seq 300); do
        grep -q '^unixcap: listening' "$WORK/capsrun.err" && break
        kill -0 "$UC_PID" 2>/dev/null || break
        sleep 0.1
    done
    if ! grep -q '^unixcap: listening' "$WORK/capsrun.err"; then
        wait "$UC_PID"; UC_PID=""
        fail "install-caps: a member of the group captures without root" "$(head -2 "$WORK/capsrun.err")"
        return
    fi
    "$UCGEN" --type dgram --addr "path:$WORK/caps.sock" --sizes 7,8 --manifest "$WORK/caps.m" >/dev/null 2>&1
    for _ in $(seq 100); do kill -0 "$UC_PID" 2>/dev/null || break; sleep 0.1; done
    kill -INT "$UC_PID" 2>/dev/null
    wait "$UC_PID"; rc=$?
    UC_PID=""
    cp "$WORK"/capsrun.* "$LOG_DIR/" 2>/dev/null
    check "install-caps: a member of the group captures without root" \
        "exited $rc: $(tail -2 "$WORK/capsrun.err" | tr '\n' ' ')" \
        bash -c '[ "$1" = 0 ] && grep -q "^4 messages captured" "$2"' _ "$rc" "$WORK/capsrun.err"

    # Wireshark run by a member: tshark as nobody, with a HOME of its own holding the extcap link.
    local gid home=$CAPS_DIR/home
    gid=$(getent group "$CAPS_GROUP" | cut -d: -f3)
    mkdir -p "$home/.config/wireshark/extcap"
    ln -s "$bin" "$home/.config/wireshark/extcap/unixcap"
    chown -R nobody "$home"
    local root_home=$TSHARK_HOME ok=0
    AS_USER=(setpriv --reuid=nobody --regid=nogroup --groups="$gid")
    TSHARK_HOME=$home TSHARK_OUT=$home
    cd /tmp || return # a folder nobody may enter
    tshark_capture nonroot "--type stream --addr pair --sizes 5,6" -- || ok=1
    cd - >/dev/null || return
    AS_USER=() TSHARK_HOME=$root_home TSHARK_OUT=$WORK
    if [ "$ok" = 0 ]; then
        check "install-caps: tshark run by a member captures through the extcap" "$(head -3 "$WORK/nonroot.check" 2>/dev/null)" \
            verify nonroot "$WORK/nonroot.m1"
    else
        fail "install-caps: tshark run by a member captures through the extcap" "$CAP_ERR"
    fi
}

extcap_calls
install_destdir
install_personal
tshark_captures
fifo_capture
install_caps
run uninstall make -C "$ROOT" uninstall PREFIX="$PREFIX" EXTCAP_DIR="$TSHARK_HOME/.config/wireshark/extcap"
check "install: make uninstall PREFIX= EXTCAP_DIR= removes the binary and the link" "rc $RC" \
    test "$RC" = 0 -a ! -e "$PREFIX/bin/unixcap" -a ! -L "$TSHARK_HOME/.config/wireshark/extcap/unixcap"
