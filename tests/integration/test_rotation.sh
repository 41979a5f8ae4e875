#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# -w as a series of files, as tcpdump's -C/-G/-W (src/sinks/pcap_files.c): names, each file a
# complete pcapng, messages byte-exact across files, the -W ring, -G with strftime names and
# its -W stop, stdout refusing rotation; and the periodic flush: after SIGKILL the file holds
# every message sent more than a second before.
. "$(dirname "$0")/lib.sh"

ALL="file rotation"
why=$(bpf_unavailable)
if [ -n "$why" ]; then skip "$ALL" "$why"; exit 0; fi
for tool in tshark python3; do
    command -v "$tool" >/dev/null || { skip "$ALL" "$tool not installed"; exit 0; }
done
[ -x "$UCGEN" ] || { skip "$ALL" "$UCGEN not built"; exit 0; }
# Enabled by the command line itself: these tests run once --help lists -C (the options and
# the periodic flush are wired in src/cli together).
"$UNIXCAP" --help 2>/dev/null | grep -Eq '^[[:space:]]+-C[[:space:]]' ||
    { skip "$ALL" "unixcap --help lists no -C yet (pcap_files.c is not wired into the CLI)"; exit 0; }
FILES="python3 $ROOT/tests/tools/pcapng_files.py"

BG_PIDS=()
cleanup() {
    local p
    for p in "${BG_PIDS[@]}"; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    stop_all
    rm -rf "$WORK"
}
trap cleanup EXIT


# gen NAME ARGS...: ucgen in the foreground with a manifest; fails the test NAME if it fails.
gen() {
    local name=$1; shift
    "$UCGEN" --manifest "$WORK/$name.manifest" "$@" >"$WORK/$name.gen" 2>&1 ||
        { fail "$name: ucgen ran" "$(tail -2 "$WORK/$name.gen" | tr '\n' ' ')"; return 1; }
}

# files_ok NAME FILE...: each file is whole blocks from an SHB on, and tshark reads it quietly.
files_ok() {
    local name=$1 out f bad=""; shift
    out=$($FILES blocks "$@" 2>&1) || bad=$(grep -m2 FAIL <<<"$out" | tr '\n' ' ')
    for f in "$@"; do
        tshark -r "$f" -q >"$WORK/tshark.out" 2>&1 || bad="$bad tshark -r $(basename "$f") failed: $(grep -v 'Running as' "$WORK/tshark.out" | head -1);"
        grep -Eqi "cut short|appears to be damaged|corrupt" "$WORK/tshark.out" && bad="$bad tshark complains about $(basename "$f");"
    done
    check "$name: every file starts with a section header, is whole blocks, and tshark reads it" \
        "$bad" test -z "$bad"
}

# names DIR: the files in DIR, sorted by version (FILE, FILE1, FILE2, ..., FILE10), one line.
names() { (cd "$1" && ls -1 | sort -V | tr '\n' ' ' | sed 's/ $//'); }

# ---------------------------------------------------------------------------------------------
# 1. -C 1: FILE, FILE1, FILE2, ...: each closed once it holds more than 1,000,000 bytes, so it
# ends at most one message above that; together they hold every message exactly once.

size_alone() {
    local d=$WORK/c sock=$WORK/c.sock got n want k last
    mkdir -p "$d"
    start_capture c -w "$d/r.pcapng" -C 1 --path "$sock" ||
        { fail "-C 1: unixcap starts" "$(head -3 "$WORK/c.err" | tr '\n' ' ')"; return; }
    gen c --type dgram --addr "path:$sock" --sizes "$(repeat_size 80 60000)" --reply-sizes ""
    stop_capture c || fail "-C 1: unixcap stops cleanly" "$STOP_ERR"
    got=$(names "$d")
    n=$(ls "$d" | wc -l)
    want="r.pcapng"
    for ((k = 1; k < n; k++)); do want="$want r.pcapng$k"; done
    check "-C 1: files are named r.pcapng, r.pcapng1, r.pcapng2, ... (at least 4 for 4.8 MB)" \
        "got: $got" eval '[ "$got" = "$want" ] && [ "$n" -ge 4 ]'
    files_ok "-C 1" "$d"/*
    last=$(ls "$d" | sort -V | tail -1)
    got=""
    for f in "$d"/*; do
        [ "$(basename "$f")" = "$last" ] && continue
        s=$(stat -c %s "$f")
        { [ "$s" -gt 1000000 ] && [ "$s" -le 1070000 ]; } || got="$got $(basename "$f")=$s"
    done
    check "-C 1: each file but the last holds just over 1,000,000 bytes (one message above)" \
        "sizes:$got" test -z "$got"
    got=$($FILES sent "$WORK/c.manifest" "$d"/* 2>&1)
    check "-C 1: the files hold all 80 messages, each once, byte-exact" "$got" \
        eval '[[ "$got" == "ok: 80 messages, all sent, 80 distinct" ]]'
}
size_alone

# ---------------------------------------------------------------------------------------------
# 2. -C 1 -W 3: FILE0 FILE1 FILE2 (the width of "2"), then FILE0 again, overwritten.

size_ring() {
    local d=$WORK/w sock=$WORK/w.sock got
    mkdir -p "$d"
    start_capture w -w "$d/r.pcapng" -C 1 -W 3 --path "$sock" ||
        { fail "-C 1 -W 3: unixcap starts" "$(head -3 "$WORK/w.err" | tr '\n' ' ')"; return; }
    gen w --type dgram --addr "path:$sock" --sizes "$(repeat_size 80 60000)" --reply-sizes ""
    stop_capture w || fail "-C 1 -W 3: unixcap stops cleanly" "$STOP_ERR"
    got=$(names "$d")
    check "-C 1 -W 3: exactly r.pcapng0 r.pcapng1 r.pcapng2" "got: $got" \
        test "$got" = "r.pcapng0 r.pcapng1 r.pcapng2"
    files_ok "-C 1 -W 3" "$d"/*
    got=$($FILES sent "$WORK/w.manifest" "$d"/* 2>&1)
    local n
    n=$(sed -n 's/^ok: \([0-9]*\) messages.*/\1/p' <<<"$got")
    check "-C 1 -W 3: what the ring kept is sent messages, each once, fewer than all 80" "$got" \
        eval '[[ "$got" == ok* ]] && [ "${n:-0}" -ge 30 ] && [ "${n:-0}" -lt 80 ]'
}
size_ring

# ---------------------------------------------------------------------------------------------
# 3. A stream connection that goes on into the next file starts there with the handshake that
# says it was already open. (A file may hold no packet at all: the last one gets only reads and
# closes of a connection it never saw data of, which make no packets.)

size_stream() {
    local d=$WORK/s sock=$WORK/s.sock got first n=0
    mkdir -p "$d"
    start_capture s -w "$d/s.pcapng" -C 1 --path "$sock" ||
        { fail "-C 1 stream: unixcap starts" "$(head -3 "$WORK/s.err" | tr '\n' ' ')"; return; }
    gen s --type stream --addr "path:$sock" --sizes 1M,1M,1M,1M --reply-sizes 100
    stop_capture s || fail "-C 1 stream: unixcap stops cleanly" "$STOP_ERR"
    files_ok "-C 1 stream" "$d"/*
    got=""
    for f in "$d"/s.pcapng?*; do
        [ -e "$f" ] || break
        # the first packet; custom blocks (events no packet shows, kept for -r) have no ip
        first=$(tshark -r "$f" -Y ip -T fields -e tcp.flags.syn -e frame.comment 2>/dev/null | head -n 1)
        [ -n "$first" ] || continue
        n=$((n + 1))
        [[ "$first" == 1*"already open when first seen"* ]] || got="$got $(basename "$f")"
    done
    check "-C 1 stream: each later file restarts the connection with the 'already open' handshake" \
        "$n later files with packets; first packet no such SYN in:$got" \
        eval '[ -z "$got" ] && [ "$n" -ge 3 ]'
}
size_stream

# ---------------------------------------------------------------------------------------------
# 4. -G 1 with a strftime name: a file per second, idle seconds included.

timed() {
    local d=$WORK/g got bad="" n
    mkdir -p "$d"
    start_capture g -w "$d/g-%H%M%S.pcapng" -G 1 --path "$WORK/g.sock" ||
        { fail "-G 1: unixcap starts" "$(head -3 "$WORK/g.err" | tr '\n' ' ')"; return; }
    sleep 3.5
    stop_capture g || fail "-G 1: unixcap stops cleanly" "$STOP_ERR"
    got=$(names "$d")
    n=$(ls "$d" | wc -l)
    for f in $got; do [[ "$f" =~ ^g-[0-9]{6}\.pcapng$ ]] || bad="$bad $f"; done
    check "-G 1: one file per second named by strftime (g-HHMMSS.pcapng), 3 or more in 3.5 s" \
        "got: $got" eval '[ -z "$bad" ] && [ "$n" -ge 3 ] && [ "$n" -le 6 ]'
    files_ok "-G 1" "$d"/*
}
timed

# -G 1 -W 2: unixcap stops by itself, status 0, when the second file's second is over.
timed_stop() {
    local d=$WORK/gw start ms n
    mkdir -p "$d"
    start=$(date +%s%N)
    start_capture gw -w "$d/gw-%s.pcapng" -G 1 -W 2 --path "$WORK/gw.sock" ||
        { fail "-G 1 -W 2: unixcap starts" "$(head -3 "$WORK/gw.err" | tr '\n' ' ')"; return; }
    local pid=$UC_PID
    wait_exit "$pid" 10
    ms=$((($(date +%s%N) - start) / 1000000))
    [ "$RC" = timeout ] || UC_PID=""
    cp "$WORK"/gw.* "$LOG_DIR/" 2>/dev/null
    n=$(ls "$d" | wc -l)
    check "-G 1 -W 2: unixcap stops by itself with status 0 after two files" \
        "status $RC after $ms ms, $n files: $(names "$d")" \
        eval '[ "$RC" = 0 ] && [ "$n" = 2 ] && [ "$ms" -lt 6000 ]'
    check "-G 1 -W 2: the summary line is printed" "stderr: $(tail -2 "$WORK/gw.err" | tr '\n' ' ')" \
        grep -Eq '^[0-9]+ messages captured, [0-9]+ lost$' "$WORK/gw.err"
    files_ok "-G 1 -W 2" "$d"/*
}
timed_stop

# ---------------------------------------------------------------------------------------------
# 5. Standard output cannot be rotated.

timeout 10 "$UNIXCAP" -w - -C 1 >"$WORK/stdout.out" 2>"$WORK/stdout.err"; rc=$?
check "-w - -C 1 is refused with one line on stderr" \
    "exit $rc, stderr: $(head -3 "$WORK/stdout.err" | tr '\n' ' ')" \
    eval '[ "$rc" != 0 ] && [ "$(wc -l <"$WORK/stdout.err")" = 1 ] && ! grep -q listening "$WORK/stdout.err" && [ ! -s "$WORK/stdout.out" ]'

# ---------------------------------------------------------------------------------------------
# 6. SIGKILL: buffered packets reach the file within about a second (the periodic flush), so
# after 20 small messages each way, a 2 s wait and kill -9, the file holds every one of them,
# byte-exact. The --path filter keeps other traffic out, so nothing is written after that
# flush and the kill cannot land in the middle of a write: a block cut short would be a bug,
# so the test accepts none (tshark must read the file without complaint).

killed() {
    local d=$WORK/k sock=$WORK/k.sock cap out rc
    mkdir -p "$d"
    cap=$d/k.pcapng
    start_capture k -w "$cap" --path "$sock" ||
        { fail "SIGKILL: unixcap starts" "$(head -3 "$WORK/k.err" | tr '\n' ' ')"; return; }
    local pid=$UC_PID
    gen k --type dgram --addr "path:$sock" --sizes "$(repeat_size 20 1000)" \
        --reply-sizes "$(repeat_size 20 500)"
    sleep 2
    kill -KILL "$pid"
    wait "$pid" 2>/dev/null
    UC_PID=""
    cp "$cap" "$LOG_DIR/killed.pcapng" 2>/dev/null
    files_ok "SIGKILL after 2 s" "$cap"
    out=$($CHECK "$WORK/k.manifest" "$cap" 2>&1); rc=$?
    printf '%s\n' "$out" >"$LOG_DIR/killed.check.txt"
    check "SIGKILL after 2 s: the file holds all 40 messages, byte-exact" \
        "$(grep -m3 FAIL <<<"$out" | tr '\n' ' ')" \
        eval '[ "$rc" = 0 ] && ! grep -q "^FAIL" <<<"$out"'
}
killed
