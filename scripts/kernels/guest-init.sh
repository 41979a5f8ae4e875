#!/bin/busybox sh
# SPDX-License-Identifier: BSD-2-Clause
# /init of the kernel-matrix guest (busybox sh, no python, no tshark): mounts what unixcap needs,
# loads the virtio disk driver, runs the capture tests with the C traffic generators, writes
# everything to the raw disk /dev/vda as a tar (results, captures, manifests, unixcap's stderr)
# and powers off. scripts/kernels/matrix.sh builds the initramfs, boots this, and checks the
# payload hashes of the captures on the host with tests/tools/check_capture.py.
#
# Results are lines "PASS name", "FAIL name: why" or "SKIP name: why" in results, each also
# echoed to the console prefixed "UCK " (read by the host when the disk cannot be).
export PATH=/bin
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mkdir -p /sys/fs/cgroup && mount -t cgroup2 cgroup2 /sys/fs/cgroup
OUT=/tmp/out # brought out to the host
W=/tmp/w     # sockets and scratch
mkdir -p "$OUT" "$W"
cd "$W" || exit 1

result() { echo "$*" >>"$OUT/results"; echo "UCK $*"; }
pass() { result "PASS $1"; }
fail() { result "FAIL $1: $2"; }
skip() { result "SKIP $1: $2"; }
oneline() { tr '\n' ' ' | sed 's/ *$//' | cut -c1-300; }

finish() {
    dmesg >"$OUT/dmesg" 2>&1
    echo "UCK END"
    if [ -b /dev/vda ]; then
        tar -cf /dev/vda -C "$OUT" . && sync && echo "UCK DISK written"
    else
        echo "UCK DISK missing: no /dev/vda ($(oneline <"$OUT/insmod.err" 2>/dev/null))"
    fi
    poweroff -f
}

while read -r m; do
    insmod "/modules/$m.ko" 2>>"$OUT/insmod.err" || echo "insmod $m failed" >>"$OUT/insmod.err"
done </modules/order
for _ in $(seq 50); do [ -b /dev/vda ] && break; sleep 0.1; done
uname -r >"$OUT/uname"
echo "UCK BOOTED $(uname -r) $(cut -d' ' -f1 /proc/uptime)"

[ -r /sys/kernel/btf/vmlinux ] || { fail "kernel BTF" "/sys/kernel/btf/vmlinux is missing"; finish; }

# ---- unixcap as a user runs it -------------------------------------------------------------
UC_PID="" START_ERR="" STOP_ERR=""
# start_uc NAME ARGS...: unixcap in the background, stdout NAME.out, stderr NAME.err in $OUT;
# returns once it says it is listening. TCG is slow: loading may take tens of seconds.
start_uc() {
    name=$1; shift
    unixcap "$@" >"$OUT/$name.out" 2>"$OUT/$name.err" &
    UC_PID=$!
    i=0
    while [ $i -lt 1800 ]; do
        grep -q '^unixcap: listening' "$OUT/$name.err" 2>/dev/null && return 0
        kill -0 "$UC_PID" 2>/dev/null || break
        sleep 0.1; i=$((i + 1))
    done
    kill -KILL "$UC_PID" 2>/dev/null; wait "$UC_PID"
    UC_PID=""
    START_ERR=$(grep -v '^libbpf: ' "$OUT/$name.err" | tail -3 | oneline)
    [ -n "$START_ERR" ] || START_ERR="no 'listening' line within 180 s"
    return 1
}
# stop_uc NAME: SIGINT, wait, exit status 0 and the summary line; STOP_ERR says why not.
stop_uc() {
    sleep 0.5
    kill -INT "$UC_PID"; wait "$UC_PID"; rc=$?
    UC_PID=""
    [ "$rc" = 0 ] || { STOP_ERR="unixcap exited $rc: $(tail -3 "$OUT/$1.err" | oneline)"; return 1; }
    grep -Eq '^[0-9]+ messages captured, [0-9]+ lost$' "$OUT/$1.err" || { STOP_ERR="no summary line"; return 1; }
}
lost_msgs() { sed -n 's/^[0-9]* messages captured, \([0-9]*\) lost$/\1/p' "$OUT/$1.err"; }
byte_summary() { sed -n 's/^\([0-9]*\) bytes sent, \([0-9]*\) stored, \([0-9]*\) lost, 0 left out by -s$/\1 \2 \3/p' "$OUT/$1.err"; }

if unixcap --version >"$OUT/version.out" 2>&1; then
    pass "unixcap runs (its shared libraries are complete)"
else
    fail "unixcap runs (its shared libraries are complete)" "$(oneline <"$OUT/version.out")"
    finish
fi

# ---- 1. every socket type x addressing under one capture: hashes checked on the host ----------
# name type addr send recv extra (sizes smaller than test_capture.sh's: TCG is slow)
STREAM_SIZES=1,100,4k,64k,1M
DGRAM_SIZES=1,1000,16k,65507,65508,212960
cat >"$W/cases" <<EOF
stream-path-write      stream    path:$W/s.sock   write    read
stream-abstract-writev stream    abstract:uc-s    writev   readv    --iov 3
stream-pair-sendmsg    stream    pair             sendmsg  recvmsg  --iov 4
stream-path-pwritev2   stream    path:$W/s2.sock  pwritev2 preadv2  --iov 2
dgram-path-sendto      dgram     path:$W/d.sock   sendto   recvfrom --unconnected
dgram-abstract-send    dgram     abstract:uc-d    send     recv
dgram-pair-sendmsg     dgram     pair             sendmsg  recvmsg  --iov 3
seq-path-writev        seqpacket path:$W/q.sock   writev   readv    --iov 2
seq-abstract-sendmsg   seqpacket abstract:uc-q    sendmsg  recvmsg  --iov 5
seq-pair-write         seqpacket pair             write    read
EOF
cp "$W/cases" "$OUT/cases"
if start_uc matrix -v -B 65536 -w "$OUT/matrix.pcapng"; then
    pass "unixcap loads and attaches its hooks"
    grep '^unixcap: ' "$OUT/matrix.err" | grep -v 'listening' >"$OUT/hooks"
    seed=1 pids=""
    while read -r name type addr send recv extra; do
        sizes=$STREAM_SIZES
        [ "$type" = stream ] || sizes=$DGRAM_SIZES
        # shellcheck disable=SC2086
        timeout 300 ucgen --type "$type" --addr "$addr" --send "$send" --recv "$recv" \
            --sizes "$sizes" --seed "$seed" --manifest "$OUT/m-$name.manifest" $extra \
            >"$OUT/$name.gen" 2>&1 &
        pids="$pids $!:$name"
        seed=$((seed + 1))
    done <"$W/cases"
    gen_failed=""
    for p in $pids; do
        wait "${p%%:*}" || gen_failed="$gen_failed ${p#*:}($(oneline <"$OUT/${p#*:}.gen"))"
    done
    if stop_uc matrix; then pass "matrix capture stops cleanly with its summary"
    else fail "matrix capture stops cleanly with its summary" "$STOP_ERR"; fi
    if [ -z "$gen_failed" ]; then pass "matrix generators sent and verified everything"
    else fail "matrix generators sent and verified everything" "failed:$gen_failed"; fi
    lost=$(lost_msgs matrix)
    if [ "$lost" = 0 ]; then pass "no message lost under the matrix load"
    else fail "no message lost under the matrix load" "${lost:-?} lost"; fi
else
    fail "unixcap loads and attaches its hooks" "$START_ERR"
    # The whole libbpf log (verifier output included) for the report.
    timeout 120 unixcap -vv -c 1 >/dev/null 2>"$OUT/load-vv.err"
fi

# ---- 2. the text dump with -v -x, one --path ----------------------------------------------------
if start_uc text -v -x --path "$W/t.sock"; then
    timeout 120 ucgen --type stream --addr "path:$W/t.sock" --send write --recv read --sizes 1,100 \
        --seed 3 --manifest "$W/t.manifest" >"$OUT/text.gen" 2>&1
    gen_rc=$?
    if ! stop_uc text; then fail "text dump -v -x --path" "$STOP_ERR"
    elif [ "$gen_rc" != 0 ]; then fail "text dump -v -x --path" "generator: $(oneline <"$OUT/text.gen")"
    else
        read -r _ cpid spid <<EOF
$(grep '^pids ' "$W/t.manifest")
EOF
        if grep -Eq " ucgen\[$cpid/[0-9]+ uid=0\] stream unnamed\([0-9]+\) > $W/t\.sock\([0-9]+\) len 100 syscall 1\$" "$OUT/text.out" &&
           grep -Eq " ucgen\[$spid/[0-9]+ uid=0\] stream $W/t\.sock\([0-9]+\) < unnamed\([0-9]+\) read 100\$" "$OUT/text.out" &&
           grep -q '0x0060:' "$OUT/text.out"; then
            pass "text dump -v -x --path: the write, the read and the hex payload"
        else
            fail "text dump -v -x --path: the write, the read and the hex payload" \
                "client $cpid / server $spid not found as expected: $(grep -v '^[[:space:]]' "$OUT/text.out" | head -4 | oneline)"
        fi
    fi
else
    fail "text dump -v -x --path" "unixcap did not start: $START_ERR"
fi

# ---- 2b. every filter at its limit: the verifier still takes the hooks (it checks the pattern --
# loops at each place a message is matched, and has a limit of a million instructions)
L=$W/limits-$(printf 'x%.0s' $(seq 60))
set -- --type stream,seqpacket --comm ucgen
for i in 1 2 3 4 5 6 7 8; do set -- "$@" --path "$L/*s*$i*.so*ck" --pid $((90000 + i)) --inode $((900000 + i)); done
if start_uc limits "$@"; then
    if stop_uc limits; then pass "every filter at its limit (8 --path globs, 8 --pid, 8 --inode, --comm, --type): the hooks load"
    else fail "every filter at its limit: the hooks load" "$STOP_ERR"; fi
else
    fail "every filter at its limit: the hooks load" "unixcap did not start: $START_ERR"
fi

# ---- 2c. -- COMMAND: the fork and exit hooks load; a grandchild that starts after the command has
# exited is captured, and the capture ends with it
timeout 60 unixcap -- sh -c "ucgen --type stream --addr pair --sizes 10,20 --seed 3 >/dev/null
(sleep 1; ucgen --type dgram --addr pair --sizes 30 --seed 4 >/dev/null) &" >"$OUT/cmd.out" 2>"$OUT/cmd.err"
rc=$?
n=$(sed -n 's/^\([0-9]*\) messages captured, 0 lost$/\1/p' "$OUT/cmd.err")
if [ "$rc" = 0 ] && grep -qx 'sh exited with status 0' "$OUT/cmd.err" && [ "${n:-0}" -ge 3 ] &&
    grep -q 'dgram' "$OUT/cmd.out"; then
    pass "-- COMMAND: fork and exit hooks load; the late grandchild captured ($n messages), the capture ends with it"
else
    fail "-- COMMAND: fork and exit hooks load" "exit $rc: $(tail -3 "$OUT/cmd.err" | oneline)"
fi

# ---- 2d. --container: the hooks load with the peer-socket cgroup walk (CO-RE: sk_cgrp_data,
# cgroup.self.parent, kernfs id) and capture a process in a cgroup named as Docker names one
CT=/sys/fs/cgroup/docker-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.scope
if mkdir -p "$CT" && start_uc ct --container 0123456789ab; then
    sh -c "echo \$\$ >$CT/cgroup.procs && exec ucgen --type stream --addr pair --sizes 7 --reply-sizes 9" \
        >"$OUT/ct.gen" 2>&1
    ucgen --type stream --addr pair --sizes 5 --reply-sizes 5 >/dev/null 2>&1 # outside: not captured
    if stop_uc ct; then
        lens=$(grep -o ' len [0-9]*' "$OUT/ct.out" | sort | tr -d '\n')
        if [ "$lens" = " len 7 len 9" ]; then
            pass "--container: the hooks load; the container's messages only"
        else fail "--container: the container's messages only" "lengths:$lens"; fi
    else fail "--container: the hooks load" "$STOP_ERR"; fi
else
    fail "--container: the hooks load" "unixcap did not start: ${START_ERR:-no cgroup $CT}"
fi

# ---- 3. overload: a 64 KiB ring and 2 MiB writes: stored + lost == sent --------------------------
cp /bin/ucgen "$W/ucgen-loss"
if start_uc loss -v -B 64 --comm ucgen-loss -w "$OUT/loss.pcapng"; then
    timeout 300 "$W/ucgen-loss" --type stream --addr pair --send write --recv read --sizes 2M,2M,2M \
        --reply-sizes 1 --seed 7 --manifest "$OUT/loss.manifest" >"$OUT/loss.gen" 2>&1
    gen_rc=$?
    if ! stop_uc loss; then fail "overload: stored + lost bytes == sent" "$STOP_ERR"
    elif [ "$gen_rc" != 0 ]; then fail "overload: stored + lost bytes == sent" "generator: $(oneline <"$OUT/loss.gen")"
    else
        sent=$((3 * 2097152 + 1))
        read -r total stored lost <<EOF
$(byte_summary loss)
EOF
        if [ "${total:-x}" = "$sent" ] && [ $((stored + lost)) = "$sent" ] && [ "$lost" -gt 0 ]; then
            pass "overload: stored + lost bytes == sent ($stored + $lost = $sent)"
        else
            fail "overload: stored + lost bytes == sent" "$(grep 'bytes sent' "$OUT/loss.err"), expected $sent sent, some lost"
        fi
    fi
else
    fail "overload: stored + lost bytes == sent" "unixcap did not start: $START_ERR"
fi

# ---- 4. sends no syscall hook decodes (sendfile): accounted with sock_send_length (6.3+), else
# unixcap must say at start that they go unnoticed ------------------------------------------------
cp /bin/ucmiss "$W/ucmiss-x"
if start_uc miss -v --comm ucmiss-x -w "$OUT/miss.pcapng"; then
    timeout 120 "$W/ucmiss-x" --method sendfile --type stream --size 65536 --count 4 \
        --manifest "$OUT/miss.manifest" >"$OUT/miss.gen" 2>&1
    gen_rc=$?
    if ! stop_uc miss; then fail "sendfile: accounted or announced" "$STOP_ERR"
    elif [ "$gen_rc" != 0 ]; then fail "sendfile: accounted or announced" "ucmiss: $(oneline <"$OUT/miss.gen")"
    elif grep -q 'sock_send_length (sends' "$OUT/miss.err"; then
        sent=$((4 * 65536 + 11)) # with the BEFORE and AFTER markers
        read -r total stored lost <<EOF
$(byte_summary miss)
EOF
        if [ "${total:-x}" = "$sent" ] && [ $((stored + lost)) = "$sent" ]; then
            pass "sendfile: every byte accounted ($stored stored + $lost unseen = $sent)"
        else
            fail "sendfile: every byte accounted" "$(grep 'bytes sent' "$OUT/miss.err"), expected $sent sent"
        fi
    elif grep -q 'no sock_send_length tracepoint' "$OUT/miss.err"; then
        pass "sendfile: unixcap says this kernel cannot see it (no sock_send_length)"
    else
        fail "sendfile: accounted or announced" "neither sock_send_length in the hooks nor a warning: $(oneline <"$OUT/miss.err")"
    fi
else
    fail "sendfile: accounted or announced" "unixcap did not start: $START_ERR"
fi

# ---- 5. sendfile drained by splice: invisible to the syscall layer on both sides; byte-exact where
# unixcap hooks unix_stream_sendmsg (its hashes are checked on the host), else accounted as above --
if start_uc splice -v --comm ucmiss-x -w "$OUT/splice.pcapng"; then
    timeout 120 "$W/ucmiss-x" --method sendfile --recv splice --type stream --size 100000 --count 3 \
        --manifest "$OUT/splice.manifest" --hashes "$OUT/splice.hashes" >"$OUT/splice.gen" 2>&1
    gen_rc=$?
    if ! stop_uc splice; then fail "sendfile drained by splice" "$STOP_ERR"
    elif [ "$gen_rc" != 0 ]; then fail "sendfile drained by splice" "ucmiss: $(oneline <"$OUT/splice.gen")"
    elif grep -q 'data sent by sendfile.* goes unnoticed' "$OUT/splice.err"; then
        pass "sendfile drained by splice: unixcap says this kernel keeps it from the capture"
    elif grep -q '/unix_stream_sendmsg' "$OUT/splice.err"; then
        pass "sendfile drained by splice: captured through unix_stream_sendmsg ($(byte_summary splice))"
        touch "$OUT/splice.hooked" # the host compares the hashes
    elif grep -q 'sock_send_length (sends' "$OUT/splice.err"; then
        pass "sendfile drained by splice: shown as unseen gaps ($(byte_summary splice))"
    else
        fail "sendfile drained by splice" "neither hooked, nor a gap, nor a warning: $(oneline <"$OUT/splice.err")"
    fi
else
    fail "sendfile drained by splice" "unixcap did not start: $START_ERR"
fi

finish
