#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Overload: a 64 KiB ring cannot hold 8 MiB writes. Every byte not stored must be counted and
# shown where it happened: stored + lost == sent, and the TCP sequence numbers still count
# every byte, so the FIN lands exactly where the real stream ended.
. "$(dirname "$0")/lib.sh"

why=$(bpf_unavailable)
if [ -n "$why" ]; then skip "loss accounting" "$why"; exit 0; fi
command -v tshark >/dev/null || { skip "loss accounting" "tshark not installed"; exit 0; }

# Our own copies of the programs, selected by --comm, so other traffic on the machine stays out.
cp "$UCGEN" "$WORK/ucgen-loss" && cp "$ROOT/build/pump" "$WORK/ucflood" ||
    { fail "loss accounting" "cannot copy the traffic programs"; exit 0; }
start_capture loss -v -B 64 --comm ucgen-loss -w "$WORK/loss.pcapng" || { fail "loss accounting" "unixcap did not start"; exit 0; }
"$WORK/ucgen-loss" --type stream --addr pair --send write --recv read --sizes 8M,8M,8M --reply-sizes 1 \
    --seed 7 --manifest "$WORK/loss.manifest" >"$WORK/loss.gen" 2>&1
gen_rc=$?
stop_capture loss || { fail "loss accounting" "$STOP_ERR"; exit 0; }
[ "$gen_rc" = 0 ] || { fail "loss accounting" "generator failed: $(cat "$WORK/loss.gen")"; exit 0; }

sent=$((3 * 8388608 + 1)) # three 8 MiB writes and one 1-byte reply
read -r total stored lost < <(sed -n 's/^\([0-9]*\) bytes sent, \([0-9]*\) stored, \([0-9]*\) lost, 0 left out by -s$/\1 \2 \3/p' "$WORK/loss.err")
if [ "${total:-x}" = "$sent" ] && [ $((stored + lost)) = "$sent" ] && [ "$lost" -gt 0 ]; then
    pass "bytes stored + bytes lost == bytes sent ($stored + $lost = $sent)"
else
    fail "bytes stored + bytes lost == bytes sent" "summary: $(grep 'bytes sent' "$WORK/loss.err"), expected $sent sent"
fi
if [ "$(lost_count loss)" -gt 0 ]; then pass "the summary counts lost messages"; else fail "the summary counts lost messages" "$(tail -2 "$WORK/loss.err")"; fi

if tshark -r "$WORK/loss.pcapng" -q >/dev/null 2>&1; then pass "the overloaded capture is still valid"; else fail "the overloaded capture is still valid" "tshark -r -q failed"; fi
gaps=$(tshark -r "$WORK/loss.pcapng" -Y tcp.analysis.lost_segment 2>/dev/null | wc -l)
notes=$(tshark_fields "$WORK/loss.pcapng" frame.comment | grep -c 'lost')
if [ "$gaps" -gt 0 ] && [ "$notes" -gt 0 ]; then pass "losses show as sequence gaps with comments ($gaps gaps)"; else fail "losses show as sequence gaps with comments" "$gaps gaps, $notes comments"; fi

# Relative sequence number of the writer's FIN = every byte it sent + 1 for the SYN.
port=$(tshark -r "$WORK/loss.pcapng" -Y 'frame.comment contains "len=8388608"' -T fields -e tcp.srcport 2>/dev/null | head -1)
fin_seq=$(tshark -r "$WORK/loss.pcapng" -Y "tcp.flags.fin==1 && tcp.srcport==${port:-0}" -T fields -e tcp.seq 2>/dev/null | head -1)
captured=$(tshark -r "$WORK/loss.pcapng" -Y "tcp.srcport==${port:-0}" -T fields -e tcp.len 2>/dev/null | awk '{s+=$1} END {print s+0}')
if [ "${fin_seq:-x}" = $((3 * 8388608 + 1)) ]; then pass "sequence numbers count lost bytes: the FIN is at byte $fin_seq"; else fail "sequence numbers count lost bytes" "the writer's FIN at relative seq ${fin_seq:-none}, expected $((3 * 8388608 + 1))"; fi
if [ "$captured" -lt $((3 * 8388608)) ]; then pass "no payload is invented for lost bytes ($captured bytes in packets)"; else fail "no payload is invented for lost bytes" "$captured bytes"; fi

# Whole messages lost: the consumer is stopped (SIGSTOP) while many datagrams flow, so the tiny
# ring fills for certain. Messages it had no room for at all are reported with the next message
# of their socket pair (epb_dropcount) or at the end.
start_capture flood -v -B 64 --comm ucflood -w "$WORK/flood.pcapng" || { fail "whole-message loss" "unixcap did not start"; exit 0; }
kill -STOP "$UC_PID"
"$WORK/ucflood" dgram $((20000 * 512)) 512 >/dev/null && echo "20000 $((20000 * 512))" >"$WORK/flood.sent"
kill -CONT "$UC_PID"
stop_capture flood || { fail "whole-message loss" "$STOP_ERR"; exit 0; }
read -r nsent bsent <"$WORK/flood.sent" || { fail "whole-message loss" "the flood failed"; exit 0; }
read -r total stored lost < <(sed -n 's/^\([0-9]*\) bytes sent, \([0-9]*\) stored, \([0-9]*\) lost, 0 left out by -s$/\1 \2 \3/p' "$WORK/flood.err")
captured=$(captured_count flood) lost_msgs=$(lost_count flood)
dropped=$(tshark_fields "$WORK/flood.pcapng" frame.drop_count | awk '{s+=$1} END {print s+0}')
packets=$(tshark -r "$WORK/flood.pcapng" -Y 'udp && frame.comment contains "event=data"' 2>/dev/null | wc -l)
# Messages the ring refused are not "captured"; the byte count covers them all.
if [ "$total" = "$bsent" ] && [ $((stored + lost)) = "$bsent" ] && [ $((captured + lost_msgs)) -ge "$nsent" ]; then
    pass "small messages: stored + lost bytes == sent ($stored + $lost = $bsent), $lost_msgs messages lost"
else
    fail "small messages: stored + lost bytes == sent" "sent $nsent msgs/$bsent bytes; $(tail -3 "$WORK/flood.err" | tr '\n' ' ')"
fi
whole=$(unrecorded_count flood)
if [ "${whole:-0}" -gt 0 ] && [ "$dropped" = "$whole" ]; then
    pass "messages lost whole are counted in epb_dropcount ($dropped of $whole)"
else
    fail "messages lost whole are counted in epb_dropcount" "drop_count sum $dropped, messages never recorded ${whole:-none}, packets $packets"
fi
check "... and every message recorded has its datagram ($packets = $nsent sent - $whole never recorded)" \
    "$packets packets, $nsent sent, $whole never recorded" test "$packets" = $((nsent - ${whole:-0}))

# Overload with the consumer running: 1 MiB writes into a 64 KiB ring cannot keep their bytes,
# but the ring's last eighth is kept for records, so every message still says who sent how
# many bytes, and only payload is lost.
cp "$UCGEN" "$WORK/ucgen-meta" || { fail "records survive overload" "cannot copy ucgen"; exit 0; }
start_capture meta -v -B 64 --comm ucgen-meta -w "$WORK/meta.pcapng" || { fail "records survive overload" "unixcap did not start"; exit 0; }
"$WORK/ucgen-meta" --type stream --addr pair --sizes "$(repeat_size 200 1M)" --reply-sizes '' >"$WORK/meta.gen" 2>&1
gen_rc=$?
stop_capture meta || { fail "records survive overload" "$STOP_ERR"; exit 0; }
[ "$gen_rc" = 0 ] || { fail "records survive overload" "ucgen failed: $(tail -2 "$WORK/meta.gen")"; exit 0; }
lost_msgs=$(lost_count meta) captured=$(captured_count meta) never=$(unrecorded_count meta)
check "a ring too small for the bytes: messages lose bytes, none loses its record ($lost_msgs lost, ${never:-?} unrecorded)" \
    "$(tail -4 "$WORK/meta.err" | tr '\n' ' ')" \
    bash -c "[ $lost_msgs -gt 0 ] && [ '$never' = 0 ] && [ $((captured + lost_msgs)) = 200 ]"
read -r total stored lost < <(sed -n 's/^\([0-9]*\) bytes sent, \([0-9]*\) stored, \([0-9]*\) lost, 0 left out by -s$/\1 \2 \3/p' "$WORK/meta.err")
check "... stored + lost bytes == sent ($stored + $lost = $((200 * 1048576)))" "$(grep 'bytes sent' "$WORK/meta.err")" \
    test "$((stored + lost))" = $((200 * 1048576)) -a "$total" = $((200 * 1048576))
# A message may take several packets (segment, held ACK): its kernel timestamp names it.
records=$(tshark_fields "$WORK/meta.pcapng" frame.comment | grep "event=data" | grep " len=1048576 " |
    grep -o '^unixcap ts=[0-9.]*' | sort -u | wc -l)
by_sender=$(tshark_fields "$WORK/meta.pcapng" frame.comment | grep "event=data" | grep " len=1048576 " |
    grep "comm=ucgen-meta" | grep -o '^unixcap ts=[0-9.]*' | sort -u | wc -l)
dropped=$(tshark_fields "$WORK/meta.pcapng" frame.drop_count | awk '{s+=$1} END {print s+0}')
check "... the pcapng has every message's record: 200 with len=1048576, each naming its sender, no drop count" \
    "$records records, $by_sender naming comm=ucgen-meta, drop count $dropped" \
    bash -c "[ $records = 200 ] && [ $by_sender = 200 ] && [ $dropped = 0 ]"

# Losses still pending when the capture ends: the consumer is stopped (SIGSTOP) while 20 000
# writes overflow the ring, so no later message of the pair carries them and they are reported
# at the end, by socket pair alone (the kernel's loss map keeps no socket type). -r must read
# that file and show every lost message; the loss belongs to the stream it happened on.
cp "$UCGEN" "$WORK/ucgen-pend" || { fail "losses pending at the end" "cannot copy ucgen"; exit 0; }
start_capture pend -B 64 --comm ucgen-pend -w "$WORK/pend.pcapng" || { fail "losses pending at the end" "unixcap did not start"; exit 0; }
kill -STOP "$UC_PID"
"$WORK/ucgen-pend" --type stream --addr pair --sizes "$(repeat_size 20000 100)" --reply-sizes '' >"$WORK/pend.gen" 2>&1
gen_rc=$?
kill -CONT "$UC_PID"
stop_capture pend || { fail "losses pending at the end" "$STOP_ERR"; exit 0; }
[ "$gen_rc" = 0 ] || { fail "losses pending at the end" "ucgen failed: $(tail -2 "$WORK/pend.gen")"; exit 0; }
"$UNIXCAP" -r "$WORK/pend.pcapng" -q >"$WORK/pend.txt" 2>"$WORK/pend.rerr"; rc=$?
cp "$WORK"/pend.* "$LOG_DIR/" 2>/dev/null
read -r lmsgs lbytes < <(sed -n 's/.* LOST \([0-9]*\) bytes in \([0-9]*\) messages .*/\2 \1/p' "$WORK/pend.txt" |
    awk '{m+=$1; b+=$2} END {print m+0, b+0}')
pending=$(unrecorded_count pend)
check "-r reads a capture whose losses were pending at its end, and shows them ($lmsgs messages, $lbytes bytes)" \
    "exit $rc: $(cat "$WORK/pend.rerr"); LOST lines: $lmsgs messages $lbytes bytes, the summary: $pending not recorded" \
    bash -c "[ $rc = 0 ] && [ $lmsgs -gt 0 ] && [ $lmsgs = $pending ] && [ $lbytes = $((lmsgs * 100)) ]"
udp=$(tshark -r "$WORK/pend.pcapng" -Y udp 2>/dev/null | wc -l)
gap=$(tshark -r "$WORK/pend.pcapng" -Y 'tcp.analysis.lost_segment && frame.comment contains "event=lost"' 2>/dev/null | wc -l)
check "... written on the stream's own connection as a sequence gap, not as a datagram" "$gap gaps at the loss report, $udp UDP packets" \
    bash -c "[ $gap = 1 ] && [ $udp = 0 ]"
"$UNIXCAP" -r "$WORK/pend.pcapng" -w "$WORK/pend2.pcapng" 2>"$WORK/pend2.err" &&
    "$UNIXCAP" -r "$WORK/pend2.pcapng" -q >"$WORK/pend2.txt" 2>>"$WORK/pend2.err"
check "... and -r -w writes it again as a file -r reads, the same messages" "$(head -2 "$WORK/pend2.err" | tr '\n' ' ')" \
    cmp -s "$WORK/pend.txt" "$WORK/pend2.txt"
