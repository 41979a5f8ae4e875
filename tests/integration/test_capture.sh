#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Every socket type x addressing x send/receive syscall, all at once under one capture: the
# bytes tshark reads back from our pcapng must hash to what the generators really sent.
. "$(dirname "$0")/lib.sh"

why=$(bpf_unavailable)
if [ -n "$why" ]; then skip "capture matrix" "$why"; exit 0; fi
command -v tshark >/dev/null || { skip "capture matrix" "tshark not installed"; exit 0; }

STREAM_SIZES=1,100,4k,64k,1M,8M
# 212960 is the largest datagram the default send buffer (212992 - 32) accepts; 4263616 the
# largest the kernel accepts at all once the sender raises SO_SNDBUF (one allocation's limit).
DGRAM_SIZES=1,1000,16k,65507,65508,212960

# name type addr send recv [extra]
CASES=(
  "stream-path-write     stream    path:$WORK/s.sock  write    read"
  "stream-abstract-writev stream   abstract:uc-s-$$   writev   readv    --iov 3"
  "stream-pair-sendmsg   stream    pair               sendmsg  recvmsg  --iov 4"
  "stream-path-pwritev2  stream    path:$WORK/s2.sock pwritev2 preadv2  --iov 2"
  "stream-pair-send      stream    pair               send     recv"
  "dgram-path-sendto     dgram     path:$WORK/d.sock  sendto   recvfrom --unconnected"
  "dgram-abstract-send   dgram     abstract:uc-d-$$   send     recv"
  "dgram-pair-sendmsg    dgram     pair               sendmsg  recvmsg  --iov 3"
  "seq-path-writev       seqpacket path:$WORK/q.sock  writev   readv    --iov 2"
  "seq-abstract-sendmsg  seqpacket abstract:uc-q-$$   sendmsg  recvmsg  --iov 5"
  "seq-pair-write        seqpacket pair               write    read"
  "dgram-pair-largest    dgram     pair               write    read     --sizes 4263616 --reply-sizes 1"
)

run_case() { # name type addr send recv extra...
    local name=$1 type=$2 addr=$3 send=$4 recv=$5; shift 5
    local sizes=$STREAM_SIZES
    [ "$type" = stream ] || sizes=$DGRAM_SIZES
    "$UCGEN" --type "$type" --addr "$addr" --send "$send" --recv "$recv" --sizes "$sizes" \
        --seed "${#name}$RANDOM" --manifest "$WORK/$name.manifest" "$@" >"$WORK/$name.gen" 2>&1
}

# A ring large enough for every generator's largest writes at once: this test is about exactness;
# what happens when the ring overflows is tested in test_loss.sh.
start_capture matrix -v -B 262144 -w "$WORK/matrix.pcapng" || { fail "capture matrix" "unixcap did not start"; exit 0; }
pids=()
for c in "${CASES[@]}"; do
    # shellcheck disable=SC2086
    run_case $c &
    pids+=($!)
done
gen_failed=""
for i in "${!pids[@]}"; do
    wait "${pids[$i]}" || gen_failed="$gen_failed ${CASES[$i]%% *}"
done
stop_capture matrix || { fail "capture matrix" "$STOP_ERR"; exit 0; }
[ -z "$gen_failed" ] || { fail "capture matrix" "generators failed:$gen_failed"; exit 0; }

if tshark -r "$WORK/matrix.pcapng" -q >/dev/null 2>&1; then pass "tshark reads the capture"; else fail "tshark reads the capture" "tshark -r -q failed"; fi
if capinfos "$WORK/matrix.pcapng" >/dev/null 2>&1; then pass "capinfos reads the capture"; else fail "capinfos reads the capture" "capinfos failed"; fi
procs=$(python3 "$ROOT/tests/tools/pcapng_files.py" processes "$WORK/matrix.pcapng")
case "$procs" in
ok:*" 0 with payload"* | ok:*" 0 read ACKs"* | FAIL*) procs_ok=false ;;
ok:*) procs_ok=true ;;
*) procs_ok=false ;;
esac
check "every packet names its process (epb_processid_threadid): the sender's pid and tid for data, the reader's for its ACK ($procs)" \
    "$procs" "$procs_ok"
lost=$(lost_count matrix)
if [ "$lost" = 0 ]; then pass "no message lost under the matrix load"; else fail "no message lost under the matrix load" "$lost lost"; fi

tshark_fields "$WORK/matrix.pcapng" frame.comment >"$WORK/comments.txt"
manifests=()
for c in "${CASES[@]}"; do manifests+=("$WORK/${c%% *}.manifest"); done
$CHECK "${manifests[@]}" "$WORK/matrix.pcapng" >"$WORK/check.txt" 2>&1
cp "$WORK/check.txt" "$LOG_DIR/matrix.check.txt"
for c in "${CASES[@]}"; do
    name=${c%% *}
    if grep -q "^ok: \[$name.manifest\]" "$WORK/check.txt" && ! grep -q "^FAIL: \[$name.manifest\]" "$WORK/check.txt"; then
        pass "$name: each direction hashes as sent"
    else
        fail "$name: each direction hashes as sent" "$(grep -m3 -e "\[$name.manifest\]" -e '^FAIL: reading' "$WORK/check.txt" | tr '\n' ' ')"
    fi
done

# Metadata: the generator's client and server pids appear as senders, with comm and uid.
read -r _ cpid spid < <(grep '^pids ' "$WORK/stream-path-write.manifest")
if grep -q "pid=$cpid .*comm=ucgen uid=0 peer_pid=[0-9]* type=stream event=data .*peer=$WORK/s.sock " "$WORK/comments.txt" &&
   grep -q "pid=$spid .*type=stream event=data syscall=[0-9]* .*own=$WORK/s.sock " "$WORK/comments.txt"; then
    pass "metadata names both processes, the socket path and the type"
else
    fail "metadata names both processes, the socket path and the type" "pids $cpid/$spid not found with path $WORK/s.sock"
fi
if grep -q "peer=@uc-d-$$ " "$WORK/comments.txt"; then pass "abstract names are shown as @name"; else fail "abstract names are shown as @name" "no peer=@uc-d-$$"; fi
# An unconnected datagram's destination (sendto's address) is its peer in the metadata.
read -r _ cpid spid < <(grep '^pids ' "$WORK/dgram-path-sendto.manifest")
if grep -q "pid=$cpid .*type=dgram event=data syscall=44 .*peer=$WORK/d.sock " "$WORK/comments.txt"; then
    pass "an unconnected datagram's destination address is in the metadata"
else
    fail "an unconnected datagram's destination address is in the metadata" "no sendto by $cpid with peer=$WORK/d.sock"
fi

# Streams: handshake once per connection, FIN when it closes, segments within IPv4 limits.
# (Only our generators' packets: other programs on this machine may talk over unix sockets too.)
ours=$(cat "${manifests[@]}" | awk '/^pids /{printf "%s%s|%s", sep, $2, $3; sep="|"}')
ours="frame.comment matches \" pid=($ours) \""
syns=$(tshark -r "$WORK/matrix.pcapng" -Y "tcp.flags.syn==1 && tcp.flags.ack==0 && $ours" 2>/dev/null | wc -l)
fins=$(tshark -r "$WORK/matrix.pcapng" -Y "tcp.flags.fin==1 && $ours" 2>/dev/null | wc -l)
maxseg=$(tshark_fields "$WORK/matrix.pcapng" tcp.len | sort -n | tail -1)
if [ "$syns" = 5 ] && [ "$fins" = 10 ]; then pass "one handshake and two FINs per stream connection"; else fail "one handshake and two FINs per stream connection" "$syns SYN, $fins FIN for 5 connections"; fi
if [ "${maxseg:-0}" -le 65495 ]; then pass "TCP segments carry at most 65495 bytes"; else fail "TCP segments carry at most 65495 bytes" "saw $maxseg"; fi

# Real checksums: Wireshark, asked to verify them, finds every IPv4, TCP and UDP checksum good.
# (-s truncated packets would be exempt; this capture keeps every byte.)
bad=0 good=0
for proto in ip tcp udp; do
    bad=$((bad + $(tshark -r "$WORK/matrix.pcapng" -o "$proto.check_checksum:TRUE" -Y "$proto.checksum.status==0" 2>/dev/null | wc -l)))
    good=$((good + $(tshark -r "$WORK/matrix.pcapng" -o "$proto.check_checksum:TRUE" -Y "$proto.checksum.status==1" 2>/dev/null | wc -l)))
done
if [ "$bad" = 0 ] && [ "$good" -gt 0 ]; then pass "IPv4, TCP and UDP checksums verify ($good good)"; else fail "IPv4, TCP and UDP checksums verify" "$bad bad, $good good"; fi
