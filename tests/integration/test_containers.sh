#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Which container is talking: a process moved into a cgroup named as each runtime names its
# containers (Docker with either cgroup driver, containerd and CRI-O under Kubernetes pods,
# Podman, systemd-nspawn, LXC) is named container=RUNTIME:ID (and pod=UID) in the pcapng
# comments, the text dump and JSON, live and read back; --container selects one by the start of
# its id or by its name, in the kernel (by its cgroup).
. "$(dirname "$0")/lib.sh"

why=$(bpf_unavailable)
if [ -n "$why" ]; then skip "container identity" "$why"; exit 0; fi
command -v tshark >/dev/null || { skip "container identity" "tshark not installed"; exit 0; }
root=$(awk '$3 == "cgroup2" {print $2; exit}' /proc/self/mounts)
base=$root/unixcap-ct-$$
if [ -z "$root" ] || ! mkdir "$base" 2>/dev/null; then
    skip "container identity" "no writable cgroup v2 hierarchy"; exit 0
fi
cleanup_cgroups() { find "$base" -depth -type d -exec rmdir {} + 2>/dev/null; }
trap 'stop_all; cleanup_cgroups; [ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"' EXIT

hex_id() { sha256sum <<<"$1-$$-$RANDOM" | cut -c1-64; } # 64 hex digits, as runtimes make them
id1=$(hex_id one) id2=$(hex_id two) id3=$(hex_id three) id4=$(hex_id four) id5=$(hex_id five)
pod=8c5f4e7a-2b1d-4c3e-9f0a-$(printf '%012x' $$)
# name|cgroup below $base|expected container= value|expected pod
layouts=(
    "docker-systemd|system.slice/docker-$id1.scope|docker:${id1:0:12}|"
    "docker-cgroupfs|docker/$id2|docker:${id2:0:12}|"
    "containerd-k8s|kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${pod//-/_}.slice/cri-containerd-$id3.scope|containerd:${id3:0:12}|$pod"
    "crio|kubepods.slice/kubepods-pod${pod//-/_}.slice/crio-$id4.scope|cri-o:${id4:0:12}|$pod"
    "podman|machine.slice/libpod-$id5.scope|podman:${id5:0:12}|"
    "nspawn|machine.slice/machine-web\\x2d$$.scope|nspawn:web-$$|"
    "lxc|lxc.payload.db$$|lxc:db$$|"
)
# talk_in CGROUP WORD: a process moved into CGROUP sends WORD over a socketpair and reads it.
talk_in() {
    sh -c "echo \$\$ > '$1/cgroup.procs' && exec python3 -c \"
import socket
a, b = socket.socketpair(); a.send(b'$2'); b.recv(100)
\""
}

start_capture ct --cgroup "$base" -w "$WORK/ct.pcapng" || { fail "container identity" "unixcap did not start"; exit 0; }
for l in "${layouts[@]}"; do
    IFS='|' read -r name dir label podid <<<"$l"
    mkdir -p "$base/$dir" && talk_in "$base/$dir" "HELLO-$name"
done
stop_capture ct || { fail "container identity" "$STOP_ERR"; exit 0; }

tshark_fields "$WORK/ct.pcapng" frame.comment >"$WORK/ct.comments"
"$UNIXCAP" -r "$WORK/ct.pcapng" -q >"$WORK/ct.text" 2>&1
"$UNIXCAP" -r "$WORK/ct.pcapng" --json >"$WORK/ct.json" 2>&1
for l in "${layouts[@]}"; do
    IFS='|' read -r name dir label podid <<<"$l"
    comment=$(grep -aE "container=$label( |;|\$)" "$WORK/ct.comments" | grep -a " cgroup=/unixcap-ct-$$/" | head -1)
    want_pod=${podid:+ pod=$podid}
    check "$name: the comments say container=$label${want_pod}" \
        "$(grep -ac "container=" "$WORK/ct.comments") comments name a container; none this one" \
        bash -c "[ -n \"\$1\" ] && { [ -z '$podid' ] || grep -qF ' pod=$podid' <<<\"\$1\"; }" _ "$comment"
    check "... the text dump (-r) shows python3[PID]@$label" "$(head -2 "$WORK/ct.text" | tr '\n' ' ')" \
        grep -qF "]@$label stream" "$WORK/ct.text"
    runtime=${label%%:*}
    check "... and JSON (-r --json) the runtime, the full id${podid:+ and the pod}" "$(grep -m1 container "$WORK/ct.json")" \
        bash -c "grep -F '\"container\":{\"runtime\":\"$runtime\"' '$WORK/ct.json' | grep -qF '$podid'"
done
plain=$(grep -ac "container=" <(tshark_fields "$WORK/ct.pcapng" frame.comment | grep -a "cgroup=/unixcap-ct-$$\( \|$\)"))
check "a process in a cgroup that names no container has no container= ($plain)" "$plain" test "$plain" = 0

# --container: by the start of an id, and by a name; the other containers are left out.
# selected NAME ARG IN OUT WORD: a capture with --container ARG while a process in cgroup OUT
# sends OTHER and one in IN sends WORD; PAYLOADS is what the file holds, in hex.
selected() {
    local name=$1 arg=$2 in=$3 out=$4 word=$5
    PAYLOADS=""
    start_capture "$name" --container "$arg" -w "$WORK/$name.pcapng" ||
        { STOP_ERR="unixcap did not start: $(cat "$WORK/$name.err")"; return 1; }
    talk_in "$out" OTHER
    talk_in "$in" "$word"
    stop_capture "$name" || return 1
    PAYLOADS=$(tshark_fields "$WORK/$name.pcapng" tcp.payload | tr -d '\n')
}
selected sel "${id2:0:10}" "$base/docker/$id2" "$base/system.slice/docker-$id1.scope" CHOSEN ||
    { fail "--container ID-PREFIX" "$STOP_ERR"; exit 0; }
check "--container ID-PREFIX captures that container only" "payloads: $PAYLOADS" \
    test "$PAYLOADS" = "$(printf CHOSEN | od -An -tx1 | tr -d ' \n')"
check "... and says which it chose" "$(head -1 "$WORK/sel.err")" grep -qF -- "--container docker:${id2:0:12}" "$WORK/sel.err"
selected byname "web-$$" "$base/machine.slice/machine-web\\x2d$$.scope" "$base/lxc.payload.db$$" BYNAME ||
    { fail "--container NAME" "$STOP_ERR"; exit 0; }
check "--container NAME (an nspawn machine) captures that container only" "payloads: $PAYLOADS" \
    test "$PAYLOADS" = "$(printf BYNAME | od -An -tx1 | tr -d ' \n')"

twin=${id1:0:20}$(hex_id twin | cut -c1-44) # shares its first 20 digits with id1's
mkdir -p "$base/system.slice/docker-$twin.scope"
timeout 10 "$UNIXCAP" --container "${id1:0:16}" -c 1 >/dev/null 2>"$WORK/amb.err"; rc_amb=$?
timeout 10 "$UNIXCAP" --container nosuchcontainer$$ -c 1 >/dev/null 2>"$WORK/none.err"; rc_none=$?
"$UNIXCAP" --container x --cgroup "$base" >/dev/null 2>"$WORK/both.err"; rc_both=$?
check "an id prefix two containers share: exit 1, both named ($(cat "$WORK/amb.err"))" "exit $rc_amb" \
    bash -c "[ $rc_amb = 1 ] && grep -q 'containers match' '$WORK/amb.err' && [ \$(wc -l <'$WORK/amb.err') = 1 ]"
check "no such container: exit 1, one line ($(cat "$WORK/none.err"))" "exit $rc_none" \
    bash -c "[ $rc_none = 1 ] && grep -q 'no running container' '$WORK/none.err'"
check "--container with --cgroup: exit 2" "exit $rc_both: $(cat "$WORK/both.err")" test "$rc_both" = 2

# unixcap list names the container of each owner.
sh -c "echo \$\$ > '$base/docker/$id2/cgroup.procs' && exec python3 -c \"
import socket, time
a, b = socket.socketpair(); time.sleep(3)
\"" & holder=$!
sleep 0.5
"$UNIXCAP" list --pid "$holder" >"$WORK/list.txt" 2>&1
"$UNIXCAP" list --pid "$holder" --json >"$WORK/list.json" 2>&1
check "unixcap list: each owner with its container (python3[$holder]@docker:${id2:0:12})" "$(head -3 "$WORK/list.txt" | tr '\n' ' ')" \
    bash -c "grep -qF 'python3[$holder]@docker:${id2:0:12}' '$WORK/list.txt' && grep -qF '\"container\":\"docker:${id2:0:12}\"' '$WORK/list.json'"
kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null # killed: its status is not the test's

# unixcap top names the container after the process.
"$UNIXCAP" top -d 0.5 -n 4 --cgroup "$base" >"$WORK/top.out" 2>"$WORK/top.err" & top=$!
sleep 1
talk_in "$base/lxc.payload.db$$" TOP
wait "$top"
check "unixcap top: process PID python3@lxc:db$$" "$(grep '^process' "$WORK/top.out" | head -2 | tr '\n' ' ')" \
    grep -q "^process [0-9]* python3@lxc:db$$ " "$WORK/top.out"
exit 0
