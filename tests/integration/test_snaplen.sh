#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Every -s the options accept loads quickly (tcpdump's default 262144, the extcap maximum
# 2147483647, 0 = whole messages), and a 300 000-byte stream write is kept byte-exact where -s
# allows it, cut at exactly -s bytes where it does not.
. "$(dirname "$0")/lib.sh"

ALL="-s snap lengths"
why=$(bpf_unavailable)
if [ -n "$why" ]; then skip "$ALL" "$why"; exit 0; fi
command -v tshark >/dev/null || { skip "$ALL" "tshark not installed"; exit 0; }
[ -x "$UCGEN" ] || { skip "$ALL" "$UCGEN not built"; exit 0; }

# Our own copy of the generator, selected by --comm, so other traffic on the machine stays out.
cp "$UCGEN" "$WORK/ucgen-snap" || { fail "$ALL" "cannot copy ucgen"; exit 0; }
START_LIMIT_S=6 # the BPF load takes about 1 s here; before the fix 262144 took 15 s and failed
SIZE=300000 REPLY=100

now_ms() { date +%s%3N; }

# snap_case SNAPLEN: starts a capture with -s SNAPLEN, sends one SIZE-byte write and a reply;
# START_MS is how long unixcap took to start listening; the capture is $WORK/sSNAPLEN.pcapng.
snap_case() {
    local s=$1 t0 rc
    t0=$(now_ms)
    start_capture "s$s" -v -s "$s" --comm ucgen-snap -w "$WORK/s$s.pcapng" ||
        { fail "-s $s: unixcap starts" "$(head -2 "$WORK/s$s.err" | tr '\n' ' ')"; return 1; }
    START_MS=$(($(now_ms) - t0))
    check "-s $s: unixcap listens within $START_LIMIT_S s (took $START_MS ms)" "took $START_MS ms" \
        test "$START_MS" -lt $((START_LIMIT_S * 1000))
    "$WORK/ucgen-snap" --type stream --addr pair --send write --recv read --sizes "$SIZE" \
        --reply-sizes "$REPLY" --seed "$s" --manifest "$WORK/s$s.manifest" >"$WORK/s$s.gen" 2>&1
    rc=$?
    stop_capture "s$s" || { fail "-s $s: capture" "$STOP_ERR"; return 1; }
    [ "$rc" = 0 ] || { fail "-s $s: capture" "ucgen failed: $(head -2 "$WORK/s$s.gen")"; return 1; }
}

# bytes_line NAME: "SENT STORED LOST CUT" from unixcap -v's byte summary.
bytes_line() {
    sed -n 's/^\([0-9]*\) bytes sent, \([0-9]*\) stored, \([0-9]*\) lost, \([0-9]*\) left out by -s$/\1 \2 \3 \4/p' \
        "$WORK/$1.err"
}

for s in 0 1000000 2147483647 4294967295; do
    snap_case "$s" || continue
    if $CHECK "$WORK/s$s.manifest" "$WORK/s$s.pcapng" >"$WORK/s$s.check" 2>&1; then
        pass "-s $s: the $SIZE-byte write and the reply are captured byte-exact"
    else
        fail "-s $s: the $SIZE-byte write and the reply are captured byte-exact" \
            "$(grep -m2 FAIL "$WORK/s$s.check" | tr '\n' ' ')"
    fi
done

s=262144 # tcpdump's default: the write is cut there, the reply is whole
if snap_case "$s"; then
    got=$(bytes_line "s$s")
    want="$((SIZE + REPLY)) $((s + REPLY)) 0 $((SIZE - s))"
    check "-s $s: '$want' (sent, stored, lost, left out by -s)" "got '$got'" test "$got" = "$want"
    n=$(tshark_fields "$WORK/s$s.pcapng" frame.comment | grep -c " len=$SIZE caplen=$s ")
    check "-s $s: the write's packets say len=$SIZE caplen=$s" "$n packets do" test "$n" -gt 0
    kept=$(tshark_fields "$WORK/s$s.pcapng" ip.proto frame.cap_len tcp.len |
        awk '$1 == 6 && $3 > 0 && $3 != '"$REPLY"' { s += $2 - 40 } END { print s + 0 }')
    check "-s $s: the write's packets hold exactly $s bytes" "they hold $kept" test "$kept" = "$s"
fi
