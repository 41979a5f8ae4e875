#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Concurrency: eight threads writing to one stream socket (with a ring too small for them, every
# byte must still be accounted for exactly, whichever CPU loses what), and the stream must be in
# the order the reader read it except where writes overlapped, which is marked.
. "$(dirname "$0")/lib.sh"

UCCONC=$ROOT/build/tools/ucconc
why=$(bpf_unavailable)
if [ -n "$why" ]; then skip "concurrency" "$why"; exit 0; fi
command -v tshark >/dev/null || { skip "concurrency" "tshark not installed"; exit 0; }
[ -x "$UCCONC" ] || { skip "concurrency" "$UCCONC not built (make tests)"; exit 0; }
# Our own copy, selected by --comm, so other traffic on the machine stays out.
cp "$UCCONC" "$WORK/ucconc" || { fail "concurrency" "cannot copy ucconc"; exit 0; }

THREADS=8 COUNT=2000 SIZE=1000
SENT=$((THREADS * COUNT * SIZE)) WRITES=$((THREADS * COUNT))

# traffic NAME UNIXCAP_ARGS... -- UCCONC_ARGS...: one ucconc run under a capture into
# $WORK/NAME.pcapng; on failure WHY says what went wrong.
traffic() {
    local name=$1 gen_rc args=()
    shift
    while [ "$1" != -- ]; do args+=("$1"); shift; done
    shift
    start_capture "$name" "${args[@]}" --comm ucconc -w "$WORK/$name.pcapng" || { WHY="unixcap did not start"; return 1; }
    "$WORK/ucconc" "$@" >"$WORK/$name.gen" 2>&1
    gen_rc=$?
    stop_capture "$name" || { WHY=$STOP_ERR; return 1; }
    [ "$gen_rc" = 0 ] || { WHY="generator failed: $(cat "$WORK/$name.gen")"; return 1; }
}

# All recorded (the default ring holds them): every byte as read, and the writes in the order
# the reader got them, except those that overlapped another write in time, which are marked.
if ! traffic order -- threads --threads $THREADS --count $COUNT --size $SIZE --manifest "$WORK/order.man" --order "$WORK/order.txt"; then
    fail "concurrent writers: order" "$WHY"
elif out=$(python3 "$ROOT/tests/tools/check_order.py" --size $SIZE "$WORK/order.txt" "$WORK/order.man" "$WORK/order.pcapng" 2>&1); then
    pass "concurrent writers: every byte as read, unmarked writes in the reader's order ($(echo "$out" | tail -1 | sed 's/.*(\(.*\))/\1/'))"
else
    fail "concurrent writers: every byte as read, unmarked writes in the reader's order" "$(echo "$out" | tr '\n' ' ')"
fi

# A 64 KiB ring fills and empties all the time under eight writers: messages are stored and
# lost at once on both CPUs, each loss noted on the pair's entry while others take from it.
# Three runs, as a race shows only now and then; every one must be exact.
# loss_run N: OUT says what run N found; fails at the first figure that is not exact.
loss_run() {
    local n=$1 total stored lost captured lost_msgs fin port
    traffic "loss$n" -v -B 64 -- threads --threads $THREADS --count $COUNT --size $SIZE --manifest "$WORK/loss$n.man" ||
        { OUT=$WHY; return 1; }
    read -r total stored lost < <(sed -n 's/^\([0-9]*\) bytes sent, \([0-9]*\) stored, \([0-9]*\) lost, 0 left out by -s$/\1 \2 \3/p' "$WORK/loss$n.err")
    captured=$(captured_count "loss$n") lost_msgs=$(lost_count "loss$n")
    [ "${total:-x}" = $SENT ] && [ $((stored + lost)) = $SENT ] ||
        { OUT="run $n: $(grep 'bytes sent' "$WORK/loss$n.err"), expected $SENT sent"; return 1; }
    [ $((captured + lost_msgs)) = $WRITES ] ||
        { OUT="run $n: $captured messages captured + $lost_msgs lost, $WRITES were written"; return 1; }
    # The writer's direction ends after every byte it sent, stored or lost (+1 for the SYN): at
    # its FIN, or at the report of the last losses when the ring had no room for the close.
    port=$(tshark_fields "$WORK/loss$n.pcapng" tcp.srcport frame.comment | awk -F'\t' '/event=data/ {print $1; exit}')
    fin=$(tshark -r "$WORK/loss$n.pcapng" -Y "tcp.srcport==${port:-0}" -T fields -e tcp.seq -e tcp.len 2>/dev/null |
        awk '$1 + $2 > end { end = $1 + $2 } END { print end + 0 }')
    [ "${fin:-x}" = $((SENT + 1)) ] || { OUT="run $n: the writer's direction ends at relative seq ${fin:-none}, expected $((SENT + 1))"; return 1; }
    OUT="$stored + $lost = $SENT bytes, $captured + $lost_msgs = $WRITES messages"
}
result=ok details=""
for n in 1 2 3; do
    loss_run "$n" || { result=$OUT; break; }
    details="$details run $n: $OUT;"
done
if [ "$result" = ok ]; then
    pass "concurrent writers, ring too small: bytes and messages add up exactly ($details)"
else
    fail "concurrent writers, ring too small: bytes and messages add up exactly" "$result"
fi

# 1000 connections whose clients have connected, sent and closed before the server accepts
# any: the server's accept, reads and close name a peer whose socket is already gone, and must
# still land in their connection, so each shows both FINs and the server's acknowledgement.
N=1000
if ! traffic churn -- churn --count $N --path "$WORK/churn.sock" --manifest "$WORK/churn.man"; then
    fail "client closes first" "$WHY"
else
    # per connection: SYNs, FINs from each side, pure ACKs of the server's reads
    read -r conns fin_c fin_s acks < <(tshark_fields "$WORK/churn.pcapng" tcp.stream tcp.flags.syn tcp.flags.ack tcp.flags.fin ip.src tcp.len frame.comment |
        awk -F'\t' '$1 == "" { next } { s[$1] = 1 }
            $4 == "1" && $5 ~ /^10\.1\./ { fc[$1]++ }
            $4 == "1" && $5 ~ /^10\.2\./ { fs[$1]++ }
            $2 == "0" && $4 == "0" && $6 == "0" && $5 ~ /^10\.2\./ && $7 ~ /event=read/ { a[$1]++ }
            END { n = 0; c = 0; v = 0; r = 0
                  for (k in s) { n++; if (fc[k] == 1) c++; if (fs[k] == 1) v++; if (a[k] == 1) r++ }
                  print n, c, v, r }')
    if [ "$conns" = $N ] && [ "$fin_c" = $N ] && [ "$fin_s" = $N ] && [ "$acks" = $N ]; then
        pass "client closes first: all $N connections show both FINs and the server's read"
    else
        fail "client closes first: all $N connections show both FINs and the server's read" \
            "$conns connections, $fin_c with the client's FIN, $fin_s with the server's, $acks with the server's read ACK"
    fi
fi

# One 8 MiB write, read in 64 KiB pieces while it is still blocked (it is recorded when it
# returns, after most reads): a clean exchange, so Wireshark must raise no TCP expert warning
# or note beyond opening and closing (no Duplicate ACK), live and rewritten by -r -w.
expert_problems() { tshark -r "$1" -q -z expert 2>/dev/null | grep -E 'Warn|Error|Duplicate ACK|Retransmission|ACKed unseen|not captured|Out-Of-Order'; }
if ! traffic long -- longwrite --manifest "$WORK/long.man"; then
    fail "long write" "$WHY"
else
    if out=$($CHECK "$WORK/long.man" "$WORK/long.pcapng" 2>&1); then
        pass "long write: each direction hashes as read"
    else
        fail "long write: each direction hashes as read" "$(echo "$out" | grep FAIL | cut -c1-300)"
    fi
    problems=$(expert_problems "$WORK/long.pcapng")
    check "long write: no TCP expert warning while the reader reads ahead of the file" "$(echo "$problems" | awk '{$1=$1}1' | sort | uniq -c | head -5 | tr '\n' ' ')" \
        test -z "$problems"
    "$UNIXCAP" -r "$WORK/long.pcapng" -w "$WORK/long2.pcapng" 2>"$WORK/long2.err"
    problems=$(expert_problems "$WORK/long2.pcapng")
    check "long write rewritten by -r -w: no TCP expert warning either" "$(cat "$WORK/long2.err") $(echo "$problems" | head -3 | tr '\n' ' ')" \
        test -z "$problems" -a -s "$WORK/long2.pcapng"
fi

# The same with a 64 KiB ring: the 8 MiB message keeps its header and loses most of its
# payload. It is lost, not also captured: the two counts add up to the 2 messages sent.
if ! traffic longloss -B 64 -- longwrite --manifest "$WORK/longloss.man"; then
    fail "long write, ring too small" "$WHY"
else
    captured=$(captured_count longloss) lost_msgs=$(lost_count longloss)
    check "a message cut short counts as lost only: captured + lost = 2 messages sent" "$captured captured, $lost_msgs lost" \
        test $((captured + lost_msgs)) = 2 -a "$lost_msgs" -ge 1
fi
