#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Sends no syscall hook decodes — sendfile, splice, vmsplice, io_uring, sendmmsg — must never
# vanish: the capture holds either their exact bytes or `unseen` events whose lengths add up to
# exactly what was sent, where it was sent (between ucmiss's plain write() markers BEFORE and
# AFTER), in the pcapng and in the text dump, with stored + lost == sent in the summary and, on
# streams, a sequence gap that tshark flags.
. "$(dirname "$0")/lib.sh"

UCMISS=$ROOT/build/tools/ucmiss
MARKS=11 # "BEFORE" + "AFTER"

why=$(bpf_unavailable)
if [ -n "$why" ]; then skip "unseen sends" "$why"; exit 0; fi
command -v tshark >/dev/null || { skip "unseen sends" "tshark not installed"; exit 0; }
[ -x "$UCMISS" ] || { fail "unseen sends" "$UCMISS not built (make build/tools/ucmiss)"; exit 0; }
# Our own copy, selected by --comm, so other traffic on the machine stays out.
cp "$UCMISS" "$WORK/ucmiss-x" || { fail "unseen sends" "cannot copy ucmiss"; exit 0; }

# Two captures of each run at once: pcapng and the text dump. lib.sh knows one pid; the other
# is ours to stop, also when the script ends early.
PCAP_PID=""
trap '[ -n "$PCAP_PID" ] && kill -INT "$PCAP_PID" 2>/dev/null && wait "$PCAP_PID"; stop_all; rm -rf "$WORK"' EXIT

start_both() { # tag: $tag.pcap (-w) and $tag.text (text dump), both filtered to ucmiss-x
    local tag=$1; shift
    start_capture "$tag.pcap" -v "$@" -w "$WORK/$tag.pcapng" --comm ucmiss-x || return 1
    PCAP_PID=$UC_PID
    start_capture "$tag.text" -v -q "$@" --comm ucmiss-x && return 0
    kill -INT "$PCAP_PID" && wait "$PCAP_PID"
    PCAP_PID=""
    return 1
}

stop_both() { # tag: stops both, text dump first; STOP_ERR says why on failure
    local tag=$1 text_ok=0
    stop_capture "$tag.text" || text_ok=1
    UC_PID=$PCAP_PID PCAP_PID=""
    stop_capture "$tag.pcap" && return "$text_ok"
}

# summary NAME: "sent stored lost" from "-v"'s byte line.
summary() {
    sed -n 's/^\([0-9]*\) bytes sent, \([0-9]*\) stored, \([0-9]*\) lost, 0 left out by -s$/\1 \2 \3/p' "$WORK/$1.err"
}

# frames FILE: one line per packet: frame port seq tcplen lost_segment event len pid own_ino part
# (seq -1 for UDP; part 1 for a datagram's first or only packet, 0 for its later parts. The
# segments of one large stream write share its comment, so stream bytes are counted by tcp.len.)
frames() {
    tshark_fields "$1" frame.number tcp.srcport udp.srcport tcp.seq tcp.len \
        tcp.analysis.lost_segment frame.comment |
        awk -F'\t' '{
            ev = "-"; len = 0; pid = 0; ino = 0; part = 1
            n = split($7, w, " ")
            for (i = 1; i <= n; i++) {
                k = w[i]; sub(/=.*/, "", k); v = w[i]; sub(/^[^=]*=/, "", v)
                if (k == "event" && ev == "-") ev = v
                else if (k == "len" && !len) len = v
                else if (k == "pid" && !pid) pid = v
                else if (k == "own_ino" && !ino) ino = v
            }
            if ($7 ~ /part [0-9]+\/[0-9]+/ && $7 !~ /part 1\//) part = 0
            print $1, ($2 != "" ? $2 : $3), ($4 != "" ? $4 : -1), ($5 != "" ? $5 : 0),
                  ($6 != "" ? 1 : 0), ev, len, pid, ino, part
        }'
}

# pcap_facts FRAMES PID: key=value facts about the writer's socket, found by its BEFORE marker.
# A gap is "flagged" when tshark marks lost_segment on the unseen packet itself or on a later
# packet of the writer's direction before the next one with data.
pcap_facts() {
    awk -v pid="$2" '
        !before && $6 == "data" && $8 == pid && $7 == 6 { before = $1; ino = $9; port = $2; bseq = $3; next }
        !before { if ($6 == "unseen" && $8 == pid) early++; next }
        $9 == ino && $6 == "unseen" {
            if (after) late++; else { n++; sum += $7 }
            pending++
        }
        $2 == port && $5 == 1 { flagged += pending; pending = 0 }
        $2 == port && $4 > 0 && $6 != "unseen" { unflagged += pending; pending = 0 }
        !after && $9 == ino && $6 == "data" && $8 == pid && $7 == 5 { after = $1; aseq = $3; next }
        !after && $9 == ino && $6 == "data" { decoded += $3 >= 0 ? $4 : ($10 == 1 ? $7 : 0) }
        END {
            printf "before=%d after=%d ino=%s port=%s bseq=%d aseq=%d unseen_n=%d unseen_sum=%d ",
                before, after, ino, port, bseq, aseq, n, sum
            printf "decoded=%d early=%d late=%d flagged=%d unflagged=%d\n",
                decoded, early, late, flagged, unflagged + pending
        }' "$1"
}

# text_facts FILE INO: the same, as t_KEY=value, from the text dump's header lines of socket INO.
text_facts() {
    awk -v me="unnamed($2) > " '
        !/^[0-9][0-9]:/ || index($0, me) == 0 { next }
        { len = -1; if (match($0, / len [0-9]+( |$)/)) len = substr($0, RSTART + 5, RLENGTH - 5) + 0 }
        !before && len == 6 { before = NR; next }
        / UNSEEN [0-9]+ bytes / {
            match($0, / UNSEEN [0-9]+ /); v = substr($0, RSTART + 8, RLENGTH - 9) + 0
            if (!before || after) outside++; else { n++; sum += v }
            next
        }
        !before { next }
        !after && len == 5 { after = NR; next }
        !after && len > 0 { decoded += len }
        END { printf "t_before=%d t_after=%d t_unseen_n=%d t_unseen_sum=%d t_decoded=%d t_outside=%d\n",
                     before, after, n, sum, decoded, outside }' "$1"
}

# check_decoded PCAPNG FIRST LAST PORT BSEQ TYPE SIZE: bytes unixcap decoded between the markers
# must be ucmiss's payload at their place (stream offset from the sequence number; datagram k
# of the K messages counting unseen ones). Prints nothing when they are, else why not.
check_decoded() {
    local file=$1 first=$2 last=$3 port=$4 bseq=$5 type=$6 size=$7 filter
    if [ "$type" = stream ]; then filter="tcp.srcport==$port"; else filter="udp.srcport==$port"; fi
    tshark -r "$file" -Y "frame.number > $first && frame.number < $last && $filter" -T fields \
        -E separator=/t -e tcp.seq -e tcp.payload -e udp.payload -e frame.comment 2>/dev/null |
        python3 -c '
import re, sys
stream, size, bseq = sys.argv[1] == "stream", int(sys.argv[2]), int(sys.argv[3])
def want(i):  # ucmiss make_payload()
    return (i * 167 + (i >> 8) * 13 + (i >> 16) * 7 + 1) & 0xFF
msg, at = -1, 0
for line in sys.stdin:
    seq, tcp, udp, comment = (line.rstrip("\n").split("\t") + ["", "", "", ""])[:4]
    if "event=unseen" in comment:
        msg += 1
        continue
    data = bytes.fromhex((tcp or udp).replace(":", ""))
    if not data:
        continue
    if stream:
        at = int(seq) - bseq - 6
    elif not re.search(r"part [0-9]+/[0-9]+", comment) or re.search(r"part 1/", comment):
        msg += 1
        at = msg * size
    for j, b in enumerate(data):
        if b != want(at + j):
            sys.exit(f"decoded byte {at + j} is {b:#04x}, ucmiss sent {want(at + j):#04x}")
    at += len(data)
' "$type" "$size" "$bseq"
}

# run_case METHOD TYPE SIZE COUNT [UCMISS OPTIONS...]: one ucmiss run under two captures.
run_case() {
    local method=$1 type=$2 size=$3 count=$4; shift 4
    local name="$method $type${*:+ $*}" tag rc total pid
    local before after ino port bseq aseq unseen_n unseen_sum decoded early late flagged unflagged
    tag=$method-$type$(tr -d ' -' <<<"$*")
    start_both "$tag" || { fail "$name" "unixcap did not start"; return; }
    if grep -q 'no sock_send_length tracepoint' "$WORK/$tag.pcap.err"; then
        stop_both "$tag"
        skip "$name" "$(sed -n 's/^unixcap: this kernel/this kernel/p' "$WORK/$tag.pcap.err")"
        return
    fi
    "$WORK/ucmiss-x" --method "$method" --type "$type" --size "$size" --count "$count" "$@" \
        --manifest "$WORK/$tag.manifest" --hashes "$WORK/$tag.hashes" >"$WORK/$tag.gen" 2>&1
    rc=$?
    stop_both "$tag" || { fail "$name" "$STOP_ERR"; return; }
    cp "$WORK/$tag.gen" "$WORK/$tag.pcapng" "$LOG_DIR/" 2>/dev/null
    if [ "$rc" = 3 ]; then skip "$name" "$(grep -m1 '^unsupported:' "$WORK/$tag.gen")"; return; fi
    [ "$rc" = 0 ] || { fail "$name" "ucmiss exited $rc: $(tr '\n' ' ' <"$WORK/$tag.gen")"; return; }
    read -r _ _ _ total _ _ _ pid <"$WORK/$tag.manifest"

    frames "$WORK/$tag.pcapng" >"$WORK/$tag.frames"
    cp "$WORK/$tag.frames" "$LOG_DIR/"
    eval "$(pcap_facts "$WORK/$tag.frames" "$pid")"
    if [ "$before" = 0 ] || [ "$after" = 0 ]; then
        fail "$name: markers" "BEFORE at frame $before, AFTER at frame $after (want both; see $LOG_DIR/$tag.frames)"
        return
    fi

    # (a) every byte the method sent is in the capture, decoded or as an unseen gap
    local bad
    bad=$([ "$decoded" = 0 ] || check_decoded "$WORK/$tag.pcapng" "$before" "$after" "$port" "$bseq" "$type" "$size" 2>&1)
    if [ $((unseen_sum + decoded)) = "$total" ] && [ -z "$bad" ]; then
        pass "$name: $total bytes accounted for ($unseen_n unseen events, $unseen_sum bytes; $decoded decoded)"
    else
        fail "$name: $total bytes accounted for" "unseen events $unseen_n with $unseen_sum bytes, decoded $decoded bytes${bad:+ ($bad)}"
    fi
    # (b) where they happened: between BEFORE (frame $before) and AFTER (frame $after)
    if [ $((early + late)) = 0 ] && [ $((unseen_n + decoded)) -gt 0 ]; then
        pass "$name: reported between the markers (frames $before..$after)"
    else
        fail "$name: reported between the markers" "unseen events: $early before BEFORE (frame $before), $unseen_n between, $late after AFTER (frame $after); $decoded bytes decoded between"
    fi
    # (c) both summaries: stored + lost == sent, markers included
    local cap sent stored lost sums=""
    for cap in pcap text; do
        read -r sent stored lost < <(summary "$tag.$cap")
        [ "${sent:-x}" = $((total + MARKS)) ] && [ $((stored + lost)) = "$sent" ] ||
            sums="$sums $cap: $(grep 'bytes sent' "$WORK/$tag.$cap.err");"
    done
    if [ -z "$sums" ]; then
        pass "$name: summary stored + lost == sent ($stored + $lost = $((total + MARKS)))"
    else
        fail "$name: summary stored + lost == sent" "want $((total + MARKS)) sent;$sums"
    fi
    # (d) streams: sequence numbers count the missing bytes, and tshark flags each gap
    if [ "$type" = stream ]; then
        if [ $((aseq - bseq)) = $((6 + total)) ] && [ "$unflagged" = 0 ] && [ "$flagged" = "$unseen_n" ]; then
            pass "$name: AFTER at stream offset $((aseq - bseq)), $flagged gaps flagged lost_segment"
        else
            fail "$name: sequence gaps" "AFTER at offset $((aseq - bseq)) (want $((6 + total))), $flagged of $unseen_n gaps flagged lost_segment"
        fi
    fi
    # (e) the text dump says the same, in the same place
    local t t_before t_after t_unseen_n t_unseen_sum t_decoded t_outside
    t=$(text_facts "$WORK/$tag.text.out" "$ino")
    eval "$t"
    if [ "$t_before" != 0 ] && [ "$t_after" != 0 ] && [ "$t_outside" = 0 ] &&
       [ "$t_unseen_sum" = "$unseen_sum" ] && [ $((t_unseen_sum + t_decoded)) = "$total" ]; then
        pass "$name: text dump shows $t_unseen_n UNSEEN lines, $t_unseen_sum bytes, between the markers"
    else
        fail "$name: text dump UNSEEN lines" "$t (pcapng: $unseen_sum unseen bytes, want $total in all)"
    fi
    # (f) where unix_stream_sendmsg is hooked, a stream's bytes are all there: sha256 of the
    # writer's direction as tshark exports it == what ucmiss sent, markers included
    if [ "$type" = stream ] && grep -q '/unix_stream_sendmsg (payload' "$WORK/$tag.pcap.err"; then
        if [ "$unseen_n" = 0 ] && python3 "$ROOT/tests/tools/check_capture.py" --no-pair-check \
            "$WORK/$tag.hashes" "$WORK/$tag.pcapng" >"$WORK/$tag.check" 2>&1; then
            pass "$name: captured byte-exact through unix_stream_sendmsg (sha256 as sent)"
        else
            fail "$name: captured byte-exact through unix_stream_sendmsg" \
                "$unseen_n unseen events; $(grep -m2 FAIL "$WORK/$tag.check" | tr '\n' ' ')"
        fi
    fi
}

# method type size count: streams cross the 64 KiB pipe and splice chunks; 70000-byte
# datagrams are larger than one UDP packet can hold.
run_case sendfile stream 100000 3
run_case splice stream 100000 3
run_case sendfile stream 100000 3 --recv splice # neither end makes a send or receive syscall
run_case vmsplice stream 100000 3
run_case io_uring stream 100000 3
run_case io_uring dgram 70000 3
run_case io_uring stream 100000 2 --uring-async # an io-wq worker thread (iou-wrk-PID) sends
run_case sendmmsg stream 1000 16
run_case sendmmsg dgram 70000 3

# A full ring must not make unseen sends vanish either: the consumer is stopped while 2000
# one-byte datagrams go by sendmmsg, so a 64 KiB ring fills for certain.
ring_full() {
    local name="ring full: unseen sends still counted" sent stored lost rc
    start_capture ringfull -v -B 64 --comm ucmiss-x -w "$WORK/ringfull.pcapng" ||
        { fail "$name" "unixcap did not start"; return; }
    kill -STOP "$UC_PID"
    "$WORK/ucmiss-x" --method sendmmsg --type dgram --size 1 --count 2000 \
        --manifest "$WORK/ringfull.manifest" >"$WORK/ringfull.gen" 2>&1
    rc=$?
    kill -CONT "$UC_PID"
    stop_capture ringfull || { fail "$name" "$STOP_ERR"; return; }
    [ "$rc" = 0 ] || { fail "$name" "ucmiss exited $rc: $(tr '\n' ' ' <"$WORK/ringfull.gen")"; return; }
    read -r sent stored lost < <(summary ringfull)
    if [ "${sent:-x}" = $((2000 + MARKS)) ] && [ $((stored + lost)) = "$sent" ]; then
        pass "$name ($stored + $lost = $sent)"
    else
        fail "$name" "want $((2000 + MARKS)) bytes sent; $(tail -3 "$WORK/ringfull.err" | tr '\n' ' ')"
    fi
}
ring_full
