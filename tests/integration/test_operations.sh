#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Running unixcap as an operator would: -Z drops root once the hooks are attached and the file is
# open (the capture goes on, files rotated later belong to the user), capture files are mode 0600,
# and a capture to a file on a terminal shows a live counter on stderr, and none off a terminal.
. "$(dirname "$0")/lib.sh"

ALL="unixcap -Z and the live counter"
why=$(bpf_unavailable)
if [ -n "$why" ]; then skip "$ALL" "$why"; exit 0; fi
for tool in tshark script ps; do
    command -v "$tool" >/dev/null || { skip "$ALL" "$tool not installed"; exit 0; }
done
id nobody >/dev/null 2>&1 || { skip "$ALL" "no user 'nobody'"; exit 0; }

# -Z nobody with rotation into a directory nobody may write: the first file is root's (opened
# before the drop), later ones nobody's; the capture still sees traffic after the drop.
chmod 711 "$WORK"
mkdir -m 1777 "$WORK/z"
start_capture z -w "$WORK/z/z.pcapng" -C 1 -Z nobody --path "$WORK/z.sock" ||
    { fail "-Z: unixcap starts" "$(head -3 "$WORK/z.err" | tr '\n' ' ')"; exit 0; }
user=$(ps -o user= -p "$UC_PID" | tr -d ' ')
check "-Z nobody: the capturing process runs as nobody" "it runs as '$user'" [ "$user" = nobody ]
"$UCGEN" --type stream --addr "path:$WORK/z.sock" --sizes 700000,700000,700000 --manifest "$WORK/z.m" ||
    fail "-Z: ucgen" "failed"
stop_capture z || fail "-Z: unixcap stops cleanly as nobody (hooks detached)" "$STOP_ERR"
first=$(stat -c '%U %a' "$WORK/z/z.pcapng")
check "-Z: the file opened before the drop is root's, mode 600" "$first" [ "$first" = "root 600" ]
later=$(stat -c '%U %a' "$WORK/z/z.pcapng1" 2>&1)
check "-Z: a file rotated after the drop is nobody's, mode 600" "$later" [ "$later" = "nobody 600" ]
bytes=$(cat "$WORK"/z/z.pcapng* | wc -c)
n=$(for f in "$WORK"/z/z.pcapng*; do tshark -r "$f" -Y 'tcp.len>0' 2>/dev/null; done | wc -l)
check "-Z: what was sent after the drop is in the files ($n data segments, $bytes bytes)" \
    "only $n segments" [ "$n" -ge 40 ]
out=$("$UNIXCAP" -Z no-such-user-x 2>&1); rc=$?
check "-Z with an unknown user: usage error naming it" "exit $rc: $out" \
    eval '[ $rc = 2 ] && grep -q "no-such-user-x.: no such user" <<<"$out"'

# The live counter needs a terminal: script(1) gives unixcap one. -c ends the capture.
"$UCGEN" --type dgram --addr "path:$WORK/p.sock" --sizes 100 >/dev/null 2>&1 # warm up
(sleep 1.5; for _ in 1 2 3; do "$UCGEN" --type dgram --addr "path:$WORK/p.sock" --sizes 1000,1000 >/dev/null; sleep 1.2; done) &
gen=$!
script -qfec "$UNIXCAP -w $WORK/p.pcapng --path $WORK/p.sock -c 12" /dev/null >"$WORK/p.tty" 2>&1 </dev/null
rc=$?
wait "$gen"
cp "$WORK/p.tty" "$LOG_DIR/counter.tty" 2>/dev/null
counts=$(tr '\r' '\n' <"$WORK/p.tty" | sed -n 's/^messages: \([0-9]*\)  bytes: .*  lost: 0.*/\1/p' | tr '\n' ' ')
check "on a terminal: a live counter line (messages, bytes, lost) redrawn as messages come" \
    "exit $rc, counts: '$counts'" bash -c "[ $rc = 0 ] && [ \$(wc -w <<<'$counts') -ge 3 ] &&
        [ \$(tr ' ' '\n' <<<'$counts' | sort -un | wc -l) -ge 2 ]"
check "... ending with the final figures, then the summary on its own line" "$(tail -c 200 "$WORK/p.tty")" \
    bash -c "tr '\r' '\n' <'$WORK/p.tty' | grep -v '^\$' | grep -B1 '^12 messages captured, 0 lost' |
             head -1 | grep -q '^messages: 12 '"
start_capture np -w "$WORK/np.pcapng" --path "$WORK/p.sock"
"$UCGEN" --type dgram --addr "path:$WORK/p.sock" --sizes 10 >/dev/null
stop_capture np || fail "off a terminal: unixcap stops" "$STOP_ERR"
check "off a terminal: no counter on stderr" "$(head -3 "$WORK/np.err")" \
    bash -c "! grep -q 'messages: ' '$WORK/np.err'"
