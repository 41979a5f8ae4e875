#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Memory under connection churn (issue #5): with 10 000 connections opened and closed during a
# capture, plus datagram sockets, socketpairs and short-lived server paths, unixcap's peak RSS
# (VmHWM, read before it stops) stays within the ring buffer plus 32 MiB, because finished
# conversations are retired. tshark then proves the traffic was captured, not just that memory
# stayed low: one SYN and two FINs per stream connection, one UDP conversation per datagram flow.
. "$(dirname "$0")/lib.sh"

why=$(bpf_unavailable)
if [ -n "$why" ]; then skip "memory under churn" "$why"; exit 0; fi
command -v tshark >/dev/null || { skip "memory under churn" "tshark not installed"; exit 0; }

# -B is in KiB and already a power of two, so the ring is exactly this. libbpf maps the ring's
# data twice (a record that wraps reads contiguously) and the kernel maps every page at once, so
# VmRSS counts the ring twice from the start: 32 MiB here, leaving 16 MiB of the limit for the rest.
RING_KIB=16384
# Each of the two rounds: stream connections to one server, servers on paths of their own,
# datagram sockets, and socketpairs of each type (tests/tools/ucchurn.py).
ROUND="5000 500 5000 1000"
rss_kib() { sed -n "s/^$1:[[:space:]]*\([0-9]*\) kB$/\1/p" "/proc/$UC_PID/status"; }

start_capture churn -v -B "$RING_KIB" --comm ucchurn -w "$WORK/churn.pcapng" ||
    { fail "memory under churn" "unixcap did not start"; exit 0; }
want_tcp=0 want_udp=0 gen_rc=0
for round in 1 2; do
    mkdir -p "$WORK/socks$round" # new server paths each round: path caches must not grow either
    # shellcheck disable=SC2086 # ROUND is four numbers
    python3 "$ROOT/tests/tools/ucchurn.py" "$WORK/socks$round" $ROUND >"$WORK/churn.gen$round" 2>&1 || gen_rc=1
    read -r tcp udp <"$WORK/churn.gen$round"
    want_tcp=$((want_tcp + ${tcp:-0})) want_udp=$((want_udp + ${udp:-0}))
    sleep 0.5 # the round's records reach user space before memory is read
    rss[$round]=$(rss_kib VmRSS)
done
hwm_kib=$(rss_kib VmHWM)
stop_capture churn || { fail "memory under churn" "$STOP_ERR"; exit 0; }
[ "$gen_rc" = 0 ] || { fail "memory under churn" "generator failed: $(tail -3 "$WORK"/churn.gen*)"; exit 0; }

limit_kib=$((RING_KIB + 32 * 1024))
check "peak RSS within ring + 32 MiB after $((want_tcp + want_udp)) conversations (VmHWM ${hwm_kib:-?} KiB, limit $limit_kib KiB)" \
    "VmHWM ${hwm_kib:-unreadable} KiB" [ "${hwm_kib:-999999999}" -le "$limit_kib" ]
# Retired conversations give their memory back: the second round reuses what the first freed.
growth=$(( ${rss[2]:-0} - ${rss[1]:-0} ))
check "the second round of churn does not grow memory (VmRSS ${rss[1]:-?} -> ${rss[2]:-?} KiB)" \
    "grew by $growth KiB" [ "$growth" -le 2048 ]

lost=$(lost_count churn)
check "nothing lost, so the counts below are exact" "$lost messages lost: $(tail -2 "$WORK/churn.err" | tr '\n' ' ')" \
    [ "${lost:-1}" = 0 ]

# One pass over the file: SYNs without ACK (connections), FINs, and UDP conversations.
read -r syns fins udp_flows < <(tshark_fields "$WORK/churn.pcapng" tcp.flags.syn tcp.flags.ack tcp.flags.fin udp.stream |
    awk -F'\t' '$1 == "1" && $2 == "0" { s++ } $3 == "1" { f++ } $4 != "" { u[$4] = 1 }
                END { print s + 0, f + 0, length(u) }')
check "every stream connection has its handshake ($syns SYNs, $want_tcp connections)" \
    "$syns SYNs, expected $want_tcp" [ "$syns" = "$want_tcp" ]
check "every stream connection is finished both ways ($fins FINs)" \
    "$fins FINs, expected $((2 * want_tcp))" [ "$fins" = $((2 * want_tcp)) ]
check "every datagram flow is its own UDP conversation ($udp_flows, $want_udp flows)" \
    "$udp_flows UDP conversations, expected $want_udp" [ "$udp_flows" = "$want_udp" ]
