#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# A real container: a private dockerd (vfs storage, no network) runs a busybox image whose client
# talks to a socket on the host through a volume. The capture names the container by id and by
# the name dockerd gives it (asked once, that lookup never captured), --container selects it by
# name and by id prefix, and the bytes are what was sent (sha256).
. "$(dirname "$0")/lib.sh"

why=$(bpf_unavailable)
if [ -n "$why" ]; then skip "a Docker container" "$why"; exit 0; fi
for tool in dockerd docker tshark; do
    command -v "$tool" >/dev/null || { skip "a Docker container" "$tool not installed"; exit 0; }
done
[ -x /bin/busybox ] && file -L /bin/busybox 2>/dev/null | grep -q static ||
    { skip "a Docker container" "no static /bin/busybox (busybox-static)"; exit 0; }
[ -x "$ROOT/build/tools/ucsend" ] || { skip "a Docker container" "build/tools/ucsend not built"; exit 0; }

D=$WORK/docker
export DOCKER_HOST=unix://$D/docker.sock
mkdir -p "$D" "$WORK/s"
dockerd --storage-driver=vfs --bridge=none --iptables=false --ip6tables=false \
    --data-root "$D/root" --exec-root "$D/exec" -H "$DOCKER_HOST" --pidfile "$D/pid" >"$D/log" 2>&1 &
dockerd_pid=$!
stop_docker() {
    docker rm -f "$(docker ps -aq)" >/dev/null 2>&1
    kill "$dockerd_pid" 2>/dev/null; wait "$dockerd_pid" 2>/dev/null
}
trap 'stop_all; stop_docker; rm -rf "$WORK"' EXIT
for _ in $(seq 100); do docker version >/dev/null 2>&1 && break; sleep 0.2; done
if ! docker version >/dev/null 2>&1; then
    fail "a Docker container: dockerd starts" "$(tail -3 "$D/log" | tr '\n' ' ')"; exit 0
fi
mkdir -p "$D/image/bin" && cp /bin/busybox "$D/image/bin/" && ln -s busybox "$D/image/bin/sh" &&
    ln -s busybox "$D/image/bin/sleep" && cp "$ROOT/build/tools/ucsend" "$D/image/bin/"
tar -C "$D/image" -c . | docker import - unixcap-test-busybox >/dev/null ||
    { fail "a Docker container: image" "docker import failed"; exit 0; }

sock=$WORK/s/echo.sock
python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(16)
while True:
    c, _ = s.accept(); c.send(c.recv(4096)); c.close()
' "$sock" & server=$!
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done
run() { docker run --network none -v "$WORK/s:$WORK/s" "$@"; }
tag=$$-$RANDOM
name=unixcap-web-$$

# 1. Named by id and by dockerd's name; dockerd's own socket captured too, without our lookup.
start_capture dk --path "$sock" --path "$D/docker.sock" -w "$WORK/dk.pcapng" ||
    { fail "a Docker container" "unixcap did not start"; exit 0; }
capture_pid=$UC_PID
# each container lives on a second after it talks: the cgroup of one that has gone by the time
# unixcap reads its record can no longer be named (cgroup=?)
cid=$(run -d --name "$name" unixcap-test-busybox sh -c "sleep 0.5; ucsend $sock HELLO-$tag; sleep 1")
docker wait "$cid" >/dev/null
stop_capture dk || { fail "a Docker container" "$STOP_ERR"; exit 0; }
cp "$D/log" "$LOG_DIR/dockerd.log" 2>/dev/null
comment=$(tshark -r "$WORK/dk.pcapng" -Y "tcp.len > 0 && frame.comment contains \"comm=ucsend\"" -T fields -e frame.comment 2>/dev/null | head -1)
check "the client in the container: container=docker:${cid:0:12} container_name=$name" "${comment:-no packet of ucsend}" \
    bash -c "grep -q ' container=docker:${cid:0:12} container_name=$name' <<<\"\$1\"" _ "$comment"
echoed=$(tshark -r "$WORK/dk.pcapng" -Y "tcp.len > 0 && !(frame.comment contains \"docker.sock\")" -T fields -e tcp.payload 2>/dev/null | sort | sha256sum)
want=$(for _ in 1 2; do printf HELLO-%s "$tag" | od -An -tx1 | tr -d ' \n'; echo; done | sort | sha256sum)
check "... its message and the host's echo, as sent (sha256)" "got $(tshark -r "$WORK/dk.pcapng" -Y 'tcp.len > 0' 2>/dev/null | wc -l) data packets" \
    test "$echoed" = "$want"
api=$(tshark -r "$WORK/dk.pcapng" -Y 'tcp.len > 0 && frame.comment contains "docker.sock"' 2>/dev/null | wc -l)
# unixcap asks in HTTP/1.0 (docker's CLI in 1.1); dockerd's end of that connection has unixcap
# as its peer
ours=$(tshark -r "$WORK/dk.pcapng" -T fields -e tcp.payload -e frame.comment 2>/dev/null |
    grep -c "^$(printf 'HTTP/1.0 ' | od -An -tx1 | tr -d ' \n')\| peer_pid=$capture_pid ")
check "dockerd's API traffic is captured ($api packets of docker run), unixcap's own lookup is not ($ours)" \
    "$api API packets, $ours of them unixcap's" bash -c "[ $api -gt 0 ] && [ $ours = 0 ]"
"$UNIXCAP" -r "$WORK/dk.pcapng" -q 2>/dev/null | grep -m1 "ucsend\[" >"$WORK/dk.line"
check "-r shows ucsend[PID]@docker:${cid:0:12}($name)" "$(cat "$WORK/dk.line")" \
    grep -qF "@docker:${cid:0:12}($name) stream" "$WORK/dk.line"

# 2. --container by dockerd's name and by id prefix: that container only.
pick=$(run -d --name "pick-$$" unixcap-test-busybox sh -c "sleep 2; ucsend $sock CHOSEN-$tag; sleep 1")
other=$(run -d --name "other-$$" unixcap-test-busybox sh -c "sleep 2; ucsend $sock OTHER-$tag; sleep 1")
start_capture byname --container "pick-$$" -w "$WORK/byname.pcapng" ||
    { fail "--container NAME" "unixcap did not start: $(cat "$WORK/byname.err")"; exit 0; }
docker wait "$pick" "$other" >/dev/null
stop_capture byname || { fail "--container NAME" "$STOP_ERR"; exit 0; }
payloads=$(tshark_fields "$WORK/byname.pcapng" tcp.payload | tr -d '\n')
chosen=$(printf CHOSEN-%s "$tag" | od -An -tx1 | tr -d ' \n')
check "--container NAME (docker run --name): that container's message and the host server's reply to it, nothing of the other" \
    "payloads: $payloads" test "$payloads" = "$chosen$chosen"
check "... and says which it chose" "$(head -1 "$WORK/byname.err")" \
    grep -qF -- "--container docker:${pick:0:12}" "$WORK/byname.err"
late=$(run -d unixcap-test-busybox sh -c "sleep 2; ucsend $sock BYID-$tag; sleep 1")
start_capture byid --container "${late:0:8}" -w "$WORK/byid.pcapng" ||
    { fail "--container ID-PREFIX" "unixcap did not start: $(cat "$WORK/byid.err")"; exit 0; }
docker wait "$late" >/dev/null
stop_capture byid || { fail "--container ID-PREFIX" "$STOP_ERR"; exit 0; }
payloads=$(tshark_fields "$WORK/byid.pcapng" tcp.payload | tr -d '\n')
byid=$(printf BYID-%s "$tag" | od -An -tx1 | tr -d ' \n')
check "--container ID-PREFIX (8 digits of a real container's id) captures it, both ways" "payloads: $payloads" \
    test "$payloads" = "$byid$byid"
kill "$server" 2>/dev/null
exit 0
