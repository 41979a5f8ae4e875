#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# unixcap top: usage errors; plain lines off a terminal with the exact bytes and messages ucgen
# sent each way, per process and per socket path, after exactly -n refreshes, with no payload
# stored; SIGINT ends it cleanly; the full screen under script(1): clear, home, both tables,
# the cursor given back.
. "$(dirname "$0")/lib.sh"

ALL="unixcap top"
[ -x "$UNIXCAP" ] || { skip "$ALL" "$UNIXCAP not built"; exit 0; }

BG_PIDS=()
cleanup() {
    local p
    for p in "${BG_PIDS[@]}"; do kill -INT "$p" 2>/dev/null; done
    wait 2>/dev/null
    stop_all
    rm -rf "$WORK"
}
trap cleanup EXIT

wait_listening() { # FILE: until unixcap top says it is listening (30 s)
    for _ in $(seq 300); do
        grep -q 'unixcap top: listening' "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

# ---------------------------------------------------------------------------------------------
# 1. Usage errors: exit 2, one line "unixcap top: ..." naming the problem; nothing attached.

top_usage_error() { # NAME NEEDLE -- ARGS...
    local name=$1 needle=$2 rc why=""; shift 3
    timeout 10 "$UNIXCAP" top "$@" >"$WORK/usage.out" 2>"$WORK/usage.err"; rc=$?
    [ "$rc" = 2 ] || why="exit status $rc, not 2;"
    [ "$(wc -l <"$WORK/usage.err")" = 1 ] || why="$why $(wc -l <"$WORK/usage.err") lines on stderr;"
    grep -q '^unixcap top: ' "$WORK/usage.err" || why="$why no 'unixcap top: ' prefix;"
    grep -qF -- "$needle" "$WORK/usage.err" || why="$why stderr does not name '$needle';"
    [ ! -s "$WORK/usage.out" ] || why="$why it wrote to stdout;"
    if [ -z "$why" ]; then pass "top usage error: $name"; else fail "top usage error: $name" "$why stderr: $(head -2 "$WORK/usage.err" | tr '\n' ' ')"; fi
}

top_usage_error "-d below 0.1 is refused" "-d '0.05'" -- -d 0.05
top_usage_error "-d abc is refused" "-d 'abc'" -- -d abc
top_usage_error "-d 1e3 is refused" "-d '1e3'" -- -d 1e3
top_usage_error "-n 0 is refused" "-n '0'" -- -n 0
top_usage_error "-B 1 is refused" "-B '1'" -- -B 1
top_usage_error "--type foo is refused (the capture's filter parser)" "--type 'foo'" -- --type foo
top_usage_error "--path relative is refused" "relative" -- --path relative
top_usage_error "--bogus is refused" "--bogus" -- --bogus
top_usage_error "-w is not a top option" "-w" -- -w x
top_usage_error "-d without a value is refused" "'-d' needs a value" -- -d
top_usage_error "a stray argument is refused" "stray" -- stray

"$UNIXCAP" top --help >"$WORK/help.out" 2>"$WORK/help.err"; rc=$?
check "top --help: usage on stdout, exit 0" "exit $rc: $(head -1 "$WORK/help.out")" \
    eval '[ "$rc" = 0 ] && grep -q "^usage: unixcap top" "$WORK/help.out" && grep -q -- "-d SECONDS" "$WORK/help.out" && [ ! -s "$WORK/help.err" ]'

why=$(bpf_unavailable)
if [ -n "$why" ]; then skip "$ALL: capturing" "$why"; exit 0; fi
for tool in script setpriv; do
    command -v "$tool" >/dev/null || { skip "$ALL: capturing" "$tool not installed"; exit 0; }
done
[ -x "$UCGEN" ] || { skip "$ALL: capturing" "$UCGEN not built"; exit 0; }

# ---------------------------------------------------------------------------------------------
# 2. Not root: exit 1 with the library's one line.

cp "$UNIXCAP" "$WORK/unixcap-nobody" && chmod 755 "$WORK" "$WORK/unixcap-nobody"
timeout 10 setpriv --reuid=65534 --regid=65534 --clear-groups "$WORK/unixcap-nobody" top -n 1 \
    >"$WORK/nobody.out" 2>"$WORK/nobody.err"; rc=$?
check "top as user nobody: exit 1, one line 'unixcap top: ...' about root/permission" \
    "exit $rc, stderr: $(head -3 "$WORK/nobody.err" | tr '\n' ' ')" \
    eval '[ "$rc" = 1 ] && [ "$(wc -l <"$WORK/nobody.err")" = 1 ] && grep -q "^unixcap top: " "$WORK/nobody.err" && grep -Eqi "root|permission" "$WORK/nobody.err" && [ ! -s "$WORK/nobody.out" ]'

# ---------------------------------------------------------------------------------------------
# 3. Plain lines: ucgen's known sizes, counted exactly each way, in the last of 6 refreshes.

C2S=100,2000,3000,40 S2C=10,500,7000
C2S_MSGS=4 C2S_BYTES=5140 S2C_MSGS=3 S2C_BYTES=7510
SOCK=$WORK/top.sock

"$UNIXCAP" top -v -d 0.5 -n 6 --path "$WORK/*" >"$WORK/top.out" 2>"$WORK/top.err" &
top_pid=$!
BG_PIDS+=("$top_pid")
if ! wait_listening "$WORK/top.err"; then
    fail "top: starts listening" "$(head -3 "$WORK/top.err" | tr '\n' ' ')"
    exit 0
fi
"$UCGEN" --type stream --addr "path:$SOCK" --sizes "$C2S" --reply-sizes "$S2C" \
    --manifest "$WORK/top.manifest" >"$WORK/top.gen" 2>&1 || fail "top: ucgen" "$(cat "$WORK/top.gen")"
read -r _ cpid spid < <(grep '^pids ' "$WORK/top.manifest")
wait_exit "$top_pid" 20
cp "$WORK"/top.* "$LOG_DIR/" 2>/dev/null
check "top -n 6 off a terminal: exits 0 by itself after its refreshes" \
    "exit status $RC; stderr: $(tail -3 "$WORK/top.err" | tr '\n' ' ')" [ "$RC" = 0 ]

stamp_re='^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3} unixcap top: [0-9]+ messages, [0-9]+ bytes, [0-9]+ lost, [0-9]+:[0-9]{2}:[0-9]{2} elapsed'
stamps=$(grep -Ec "$stamp_re" "$WORK/top.out")
blanks=$(grep -c '^$' "$WORK/top.out")
check "plain mode: 6 refreshes, each a timestamp line, its rows and a blank line" \
    "$stamps timestamp lines, $blanks blank lines, first line: $(head -1 "$WORK/top.out")" \
    eval '[ "$stamps" = 6 ] && [ "$blanks" = 6 ] && [ -z "$(tail -c 2 "$WORK/top.out" | tr -d "\n")" ] &&
          ! grep -Evq "$stamp_re|^process [0-9]+ [^ ]+( [0-9]+){7}\$|^socket [^ ]+( [0-9]+){7}\$|^\$" "$WORK/top.out"'
check "plain mode: no escape sequences off a terminal" "found ESC" bash -c "! grep -q $'\\033' '$WORK/top.out'"

# The last refresh: from its timestamp line to the end.
last=$(awk 'index($0, " unixcap top: ") { block = "" } { block = block $0 "\n" } END { printf "%s", block }' "$WORK/top.out")
printf '%s' "$last" >"$LOG_DIR/top.last"
row() { awk -v a="$1" -v b="$2" '$1 == a && $2 == b' <<<"$last"; }
# fields after the name: SENT-MSGS SENT-BYTES RECV-MSGS RECV-BYTES RATE LOST UNSEEN
counts() { awk '{ n = NF; print $(n-6), $(n-5), $(n-4), $(n-3), $(n-1), $n }'; }
got=$(row process "$cpid" | counts)
check "last refresh: the client (ucgen[$cpid]) sent $C2S_MSGS/$C2S_BYTES and read $S2C_MSGS/$S2C_BYTES" \
    "row: '$(row process "$cpid")'" [ "$got" = "$C2S_MSGS $C2S_BYTES $S2C_MSGS $S2C_BYTES 0 0" ]
check "... named ucgen" "row: '$(row process "$cpid")'" [ "$(row process "$cpid" | awk '{ print $3 }')" = ucgen ]
got=$(row process "$spid" | counts)
check "last refresh: the server (ucgen[$spid]) sent $S2C_MSGS/$S2C_BYTES and read $C2S_MSGS/$C2S_BYTES" \
    "row: '$(row process "$spid")'" [ "$got" = "$S2C_MSGS $S2C_BYTES $C2S_MSGS $C2S_BYTES 0 0" ]
got=$(row socket "$SOCK" | counts)
check "last refresh: the socket path sent $S2C_MSGS/$S2C_BYTES (from it) and received $C2S_MSGS/$C2S_BYTES (to it)" \
    "row: '$(row socket "$SOCK")'" [ "$got" = "$S2C_MSGS $S2C_BYTES $C2S_MSGS $C2S_BYTES 0 0" ]
n_rows=$(grep -Ec '^(process|socket) ' <<<"$last")
check "last refresh: nothing else matched --path (2 processes, 1 socket)" "$n_rows rows: $last" [ "$n_rows" = 3 ]
first_big=$(grep -m1 -E '^process ' <<<"$last" | awk '{ print $2 }')
check "processes sorted by bytes, then name, then pid: both ucgen moved 12650 bytes, the lower pid first" \
    "first: $first_big" [ "$first_big" = "$(printf '%s\n' "$cpid" "$spid" | sort -n | head -1)" ]
total=$(grep -E "$stamp_re" <<<"$last" | sed -E 's/.*top: ([0-9]+) messages, ([0-9]+) bytes, ([0-9]+) lost.*/\1 \2 \3/')
check "last refresh header: 7 messages, 12650 bytes, 0 lost" "header: $total" [ "$total" = "7 12650 0" ]

# No payload copied: -v's exit line counts what was stored.
stored=$(sed -nE 's/^unixcap top: ([0-9]+) messages, ([0-9]+) bytes sent, ([0-9]+) stored, ([0-9]+) lost$/\1 \2 \3 \4/p' "$WORK/top.err")
check "no payload copied: -v at exit says 7 messages, 12650 bytes sent, 0 stored, 0 lost" \
    "exit line: '$(grep -m1 stored "$WORK/top.err")'" [ "$stored" = "7 12650 0 0" ]

# ---------------------------------------------------------------------------------------------
# 4. SIGINT ends top at once, cleanly.

"$UNIXCAP" top -d 5 >"$WORK/int.out" 2>"$WORK/int.err" &
int_pid=$!
BG_PIDS+=("$int_pid")
if wait_listening "$WORK/int.err"; then
    kill -INT "$int_pid"
    wait_exit "$int_pid" 5
    check "SIGINT: top exits 0 within 5 s, saying nothing but its own 'unixcap top:' lines" \
        "exit $RC, stderr: $(tr '\n' ' ' <"$WORK/int.err")" \
        eval '[ "$RC" = 0 ] && ! grep -qv "^unixcap top: " "$WORK/int.err"'
else
    fail "SIGINT: top starts" "$(head -3 "$WORK/int.err" | tr '\n' ' ')"
fi

# ---------------------------------------------------------------------------------------------
# 5. The full screen on a terminal (script(1) gives top one): clear, home, both tables.

SCR=$WORK/scr.sock
script -qfec "$UNIXCAP top -n 4 -d 0.5 --path '$WORK/*'" /dev/null >"$WORK/screen.tty" 2>&1 </dev/null &
scr_pid=$!
BG_PIDS+=("$scr_pid")
if wait_listening "$WORK/screen.tty"; then
    "$UCGEN" --type stream --addr "path:$SCR" --sizes "$C2S" --reply-sizes "$S2C" >/dev/null 2>&1
fi
wait_exit "$scr_pid" 20
cp "$WORK/screen.tty" "$LOG_DIR/top-screen.tty" 2>/dev/null
homes=$(grep -o $'\033\\[H' "$WORK/screen.tty" | wc -l)
check "on a terminal: exit 0 after -n 4, the screen cleared once and redrawn from home each time" \
    "exit $RC, $homes homes, clears: $(grep -c $'\033\\[2J' "$WORK/screen.tty")" \
    eval '[ "$RC" = 0 ] && [ "$(grep -o $'"'"'\033\[H\033\[2J'"'"' "$WORK/screen.tty" | wc -l)" = 1 ] && [ "$homes" = 5 ]'
check "on a terminal: the PROCESSES and SOCKETS tables with their column heads" \
    "$(tr -d '\033' <"$WORK/screen.tty" | tail -c 600)" \
    eval 'grep -q "PROCESSES: " "$WORK/screen.tty" && grep -q "SOCKETS: " "$WORK/screen.tty" &&
          grep -q "PID COMM  *SENT-MSGS SENT-BYTES RECV-MSGS RECV-BYTES" "$WORK/screen.tty" &&
          grep -q "^PATH  *SENT-MSGS" <(sed "s/\x1b\[[0-9;?]*[a-zA-Z]//g" "$WORK/screen.tty")'
scr_row=$(sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g' "$WORK/screen.tty" | tr '\r' '\n' | grep 'scr\.sock ' | tail -1)
check "on a terminal: the socket's row shows what ucgen sent each way" "row: '$scr_row'" \
    eval '[ "$(awk "{ print \$2, \$3, \$4, \$5 }" <<<"$scr_row")" = "$S2C_MSGS $S2C_BYTES $C2S_MSGS $C2S_BYTES" ]'
check "on a terminal: the cursor hidden while drawing, shown again at exit" \
    "$(tail -c 80 "$WORK/screen.tty" | od -c | head -3 | tr '\n' ' ')" \
    eval 'grep -q $'"'"'\033\[?25l'"'"' "$WORK/screen.tty" && tail -c 40 "$WORK/screen.tty" | grep -q $'"'"'\033\[?25h'"'"''
