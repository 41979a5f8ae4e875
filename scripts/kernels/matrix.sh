#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Kernel matrix: boots Debian's cloud kernels under qemu and runs unixcap's capture tests in each.
#
#   scripts/kernels/matrix.sh               (make check-kernels; tests/integration/test_kernels.sh)
#   scripts/kernels/matrix.sh --fetch-only  (fill the cache, boot nothing)
#
# For each series in KERNELS (default "6.1 6.12"): the newest linux-image-<series>*-cloud-amd64
# of Debian bookworm (6.12 from bookworm-security or -backports), fetched with `apt-get download`
# through a private package list (the system's apt sources are not touched) and kept, unpacked,
# in the cache; an initramfs with busybox, unixcap and its shared libraries, the C traffic generators
# (build/tools/ucgen, ucmiss), the virtio disk driver and scripts/kernels/guest-init.sh as /init;
# one qemu-system-x86_64 boot under a watchdog. KVM only where it works: a probe boot of each kernel
# under KVM must reach the end of the kernel's start within KERNEL_KVM_PROBE seconds, else (nested
# KVM that stops on an instruction it cannot emulate, then hangs) the kernel boots with TCG, and the
# log and the table's accelerator column say why. The guest
# writes its results and captures to a raw disk as a tar; here tests/tools/check_capture.py and
# tshark check the payload hashes. Output: the tests' PASS/FAIL/SKIP lines indented by two
# spaces, unixcap's hooks line, then one line per kernel:
#
#   kernel 6.1.192: N passed, M failed, K skipped (74 s, qemu tcg, longest console silence 9 s)
#
# A kernel that cannot be fetched (no network and nothing cached) is "0 passed, 0 failed,
# 1 skipped (why)". Exit status 0 when nothing failed (under CI=true, nothing skipped either).
#
# Environment: KERNELS (series list), KERNEL_CACHE (default /var/cache/unixcap-kernels when
# writable, else build/kernels), KERNEL_TIMEOUT (seconds per boot, default 900), KERNEL_REFRESH
# (minutes between package index updates, default 720), KERNEL_SILENCE (seconds a guest may
# print nothing before it is killed, default 120), KERNEL_KVM_PROBE (seconds the KVM probe boot may
# take, default 15), UNIXCAP_QEMU_ACCEL (kvm or tcg: that one, no probe), KVM_DEVICE (default
# /dev/kvm), UNIXCAP (the binary to test), DEBIAN_MIRROR, DEBIAN_SECURITY_MIRROR, LOG_DIR (where each kernel's console log, results
# and captures are kept).
set -u
FETCH_ONLY=0
case ${1:-} in
--fetch-only) FETCH_ONLY=1 ;;
"") ;;
*) echo "usage: $0 [--fetch-only]" >&2; exit 2 ;;
esac
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HERE=$ROOT/scripts/kernels
KERNELS=${KERNELS:-6.1 6.12}
UNIXCAP=${UNIXCAP:-$ROOT/unixcap}
TOOLS=$ROOT/build/tools
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
SECURITY_MIRROR=${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
SUITE=bookworm
BOOT_TIMEOUT=${KERNEL_TIMEOUT:-900}
REFRESH_MIN=${KERNEL_REFRESH:-720}
SILENCE_S=${KERNEL_SILENCE:-120}
KVM_PROBE_S=${KERNEL_KVM_PROBE:-15}
KVM_DEVICE=${KVM_DEVICE:-/dev/kvm}
ACCEL_FORCED=${UNIXCAP_QEMU_ACCEL:-}
KVM_BROKEN="" # why KVM failed on this host, once it has
case $ACCEL_FORCED in
"" | kvm | tcg) ;;
*) echo "$0: UNIXCAP_QEMU_ACCEL must be kvm or tcg, not '$ACCEL_FORCED'" >&2; exit 2 ;;
esac
if [ -z "${KERNEL_CACHE:-}" ]; then
    if mkdir -p /var/cache/unixcap-kernels 2>/dev/null && [ -w /var/cache/unixcap-kernels ]; then
        KERNEL_CACHE=/var/cache/unixcap-kernels
    else
        KERNEL_CACHE=$ROOT/build/kernels
    fi
fi
LOG_DIR=${LOG_DIR:-$(mktemp -d /tmp/unixcap-kernels.XXXXXX)}
mkdir -p "$KERNEL_CACHE" "$LOG_DIR" || exit 1
WORKDIR=$(mktemp -d /tmp/unixcap-kmatrix.XXXXXX) || exit 1
QEMU_PID=""
trap '[ -n "$QEMU_PID" ] && kill "$QEMU_PID" 2>/dev/null; rm -rf "$WORKDIR"' EXIT
trap 'exit 130' INT TERM

now() { date +%s; }

# ---- fetching kernels ---------------------------------------------------------------------------
APT_DIR=$KERNEL_CACHE/apt
APT_OPTS=(-q -o "Dir::Etc::sourcelist=$APT_DIR/sources.list" -o Dir::Etc::sourceparts=-
          -o "Dir::State::Lists=$APT_DIR/lists" -o "Dir::Cache=$APT_DIR/cache"
          -o APT::Get::List-Cleanup=0)
[ "$(id -u)" = 0 ] && APT_OPTS+=(-o APT::Sandbox::User=root) # our cache is not _apt's to read
INDEX_ERR="" INDEX_OK=0

# refresh_index: the package lists of bookworm, -updates, -security and -backports in our cache,
# updated when older than REFRESH_MIN minutes. INDEX_OK=1 when lists are usable.
refresh_index() {
    local keyring=/usr/share/keyrings/debian-archive-keyring.gpg opt=""
    mkdir -p "$APT_DIR/lists/partial" "$APT_DIR/cache/archives/partial" || return
    [ -r "$keyring" ] && opt=" [signed-by=$keyring]"
    cat >"$APT_DIR/sources.list.new" <<EOF
deb$opt $MIRROR $SUITE main
deb$opt $MIRROR $SUITE-updates main
deb$opt $SECURITY_MIRROR $SUITE-security main
deb$opt $MIRROR $SUITE-backports main
EOF
    if ! cmp -s "$APT_DIR/sources.list.new" "$APT_DIR/sources.list"; then
        mv "$APT_DIR/sources.list.new" "$APT_DIR/sources.list"
        rm -f "$APT_DIR/stamp"
    fi
    if [ -n "$(find "$APT_DIR/stamp" -mmin "-$REFRESH_MIN" 2>/dev/null)" ]; then
        INDEX_OK=1
        return
    fi
    local log=$LOG_DIR/apt-update.log
    if timeout 300 apt-get "${APT_OPTS[@]}" update >"$log" 2>&1 && ! grep -q '^\(W\|E\): Failed to fetch' "$log"; then
        touch "$APT_DIR/stamp"
        INDEX_OK=1
    else
        INDEX_ERR="apt-get update failed: $(grep -E '^(E|W):' "$log" | head -1)"
        # Lists from an earlier run are still good enough to name a package we may have cached.
        compgen -G "$APT_DIR/lists/*_Packages" >/dev/null && INDEX_OK=1
    fi
}

series_re() { printf '^linux-image-%s[.-][0-9][^ ]*-cloud-amd64$' "${1//./\\.}"; }

# newest_package SERIES: the signed cloud image package of that series with the highest ABI.
newest_package() {
    apt-cache "${APT_OPTS[@]}" search --names-only "$(series_re "$1")" 2>/dev/null |
        awk '{print $1}' | grep -E "$(series_re "$1")" | sort -V | tail -1
}

# newest_cached SERIES: the newest unpacked kernel of that series already in the cache.
newest_cached() {
    local d best=""
    for d in "$KERNEL_CACHE"/kernels/*/ready; do
        [ -f "$d" ] || continue
        d=$(basename "$(dirname "$d")")
        grep -Eq "$(series_re "$1")" <<<"$d" && best="$best$d"$'\n'
    done
    printf '%s' "$best" | sort -V | tail -1
}

# module_file TREE NAME: the module's file in an unpacked lib/modules tree ('-' and '_' alike).
module_file() {
    local pat=${2//[-_]/[-_]}
    find "$1" -name "$pat.ko" -o -name "$pat.ko.xz" -o -name "$pat.ko.zst" -o -name "$pat.ko.gz" | head -1
}

# decompress FILE: the module's ELF object on stdout.
decompress() {
    case $1 in
    *.xz) xz -dc "$1" ;;
    *.zst) zstd -qdc "$1" ;;
    *.gz) gzip -dc "$1" ;;
    *) cat "$1" ;;
    esac
}

# add_module TREE NAME OUTDIR: copies NAME and what it depends on (from its modinfo section),
# dependencies first, to OUTDIR as plain .ko files, appending their names to OUTDIR/order.
# Built-in modules are skipped.
add_module() {
    local tree=$1 name=${2//-/_} out=$3 file dep
    grep -qx "$name" "$out/order" 2>/dev/null && return 0
    grep -Eq "/${name//_/[-_]}\.ko\$" "$tree/modules.builtin" 2>/dev/null && return 0
    file=$(module_file "$tree" "$name")
    [ -n "$file" ] || { echo "module $name not found in $tree" >&2; return 1; }
    decompress "$file" >"$out/$name.ko" || return 1
    for dep in $(grep -ao 'depends=[a-z0-9_,-]*' "$out/$name.ko" | head -1 | cut -d= -f2 | tr , ' '); do
        add_module "$tree" "$dep" "$out" || return 1
    done
    echo "$name" >>"$out/order"
}

FETCH_ERR=""
# prepare_kernel SERIES: sets KDIR to the unpacked kernel in the cache (vmlinuz, version,
# modules/) — downloading and unpacking it when it is not there yet — or FETCH_ERR.
prepare_kernel() {
    local series=$1 pkg="" tmp deb
    KDIR="" FETCH_ERR=""
    [ "$INDEX_OK" = 1 ] && pkg=$(newest_package "$series")
    if [ -z "$pkg" ]; then
        pkg=$(newest_cached "$series")
        if [ -z "$pkg" ]; then
            FETCH_ERR="no linux-image-$series*-cloud-amd64 package found${INDEX_ERR:+: $INDEX_ERR}"
            return 1
        fi
    fi
    KDIR=$KERNEL_CACHE/kernels/$pkg
    [ -f "$KDIR/ready" ] && return 0
    tmp=$WORKDIR/fetch-$pkg
    rm -rf "$tmp" "$KDIR" && mkdir -p "$tmp/x" "$KDIR/modules" || return 1
    if ! (cd "$tmp" && timeout 600 apt-get "${APT_OPTS[@]}" download "$pkg") >"$LOG_DIR/download-$pkg.log" 2>&1; then
        FETCH_ERR="apt-get download $pkg failed: $(grep -E '^(E|W):' "$LOG_DIR/download-$pkg.log" | head -1)"
        rm -rf "$KDIR"
        return 1
    fi
    deb=$(find "$tmp" -maxdepth 1 -name '*.deb' | head -1)
    if [ -z "$deb" ] || ! dpkg-deb -x "$deb" "$tmp/x"; then
        FETCH_ERR="cannot unpack $pkg"; rm -rf "$KDIR"; return 1
    fi
    dpkg-deb -f "$deb" Version >"$KDIR/version"
    if ! cp "$tmp"/x/boot/vmlinuz-* "$KDIR/vmlinuz" || ! cp "$tmp"/x/boot/config-* "$KDIR/config"; then
        FETCH_ERR="$pkg holds no /boot/vmlinuz"; rm -rf "$KDIR"; return 1
    fi
    local tree
    tree=$(find "$tmp/x/lib/modules" -mindepth 1 -maxdepth 1 -type d 2>/dev/null | head -1)
    : >"$KDIR/modules/order"
    # The results leave the guest on a virtio disk: its driver and the virtio PCI transport.
    if ! { add_module "$tree" virtio_pci "$KDIR/modules" && add_module "$tree" virtio_blk "$KDIR/modules"; } 2>"$tmp/modules.err"; then
        FETCH_ERR="$pkg: $(cat "$tmp/modules.err")"; rm -rf "$KDIR"; return 1
    fi
    touch "$KDIR/ready"
    rm -rf "$tmp"
    # Older ABIs of the same series are not needed any more.
    local old
    for old in "$KERNEL_CACHE"/kernels/*; do
        [ "$old" != "$KDIR" ] && grep -Eq "$(series_re "$series")" <<<"$(basename "$old")" && rm -rf "$old"
    done
    return 0
}

# ---- the guest ----------------------------------------------------------------------------------
# build_initramfs KDIR OUT.cpio.gz
build_initramfs() {
    local kdir=$1 out=$2 st=$WORKDIR/initramfs bin lib
    rm -rf "$st" && mkdir -p "$st"/{bin,dev,proc,sys,tmp,modules} || return 1
    cp "$(command -v busybox)" "$st/bin/busybox" || return 1
    cp "$UNIXCAP" "$st/bin/unixcap" && cp "$TOOLS/ucgen" "$TOOLS/ucmiss" "$st/bin/" || return 1
    cp "$HERE/guest-init.sh" "$st/init" && chmod 755 "$st/init"
    cp "$kdir"/modules/* "$st/modules/"
    # Shared libraries as ldd resolves them here, at the same paths, with the dynamic loader.
    for bin in "$st"/bin/*; do
        for lib in $(ldd "$bin" 2>/dev/null | grep -o '/[^ ]*'); do
            [ -e "$st$lib" ] && continue
            mkdir -p "$st$(dirname "$lib")" && cp -L "$lib" "$st$lib" || return 1
        done
    done
    (cd "$st" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -1 >"$out"
}

# run_guest LOG MARKER_RE ARGS...: qemu-system-x86_64 ARGS in the background, its console in LOG,
# watched every half second. It is killed when the console matches MARKER_RE (GUEST_END=marker),
# shows a KVM failure (kvm-failed), prints nothing new for SILENCE_S seconds (silent) or runs past
# BOOT_TIMEOUT (timeout); else GUEST_END=exited. GUEST_SILENCE: its longest silence, in seconds.
KVM_FAILURE_RE='KVM internal error|emulation failure|failed to initialize kvm|Could not access KVM'
run_guest() {
    local log=$1 marker=$2 start=$SECONDS last=$SECONDS size=0 cur
    shift 2
    qemu-system-x86_64 "$@" </dev/null >"$log" 2>&1 &
    QEMU_PID=$!
    GUEST_END=exited GUEST_SILENCE=0
    while kill -0 "$QEMU_PID" 2>/dev/null; do
        sleep 0.5
        cur=$(stat -c %s "$log" 2>/dev/null) || cur=0
        [ "$cur" != "$size" ] && size=$cur last=$SECONDS
        [ $((SECONDS - last)) -gt "$GUEST_SILENCE" ] && GUEST_SILENCE=$((SECONDS - last))
        if [ -n "$marker" ] && grep -aEq "$marker" "$log"; then GUEST_END=marker
        elif grep -aEq "$KVM_FAILURE_RE" "$log"; then GUEST_END=kvm-failed
        elif [ $((SECONDS - last)) -ge "$SILENCE_S" ]; then GUEST_END=silent
        elif [ $((SECONDS - start)) -ge "$BOOT_TIMEOUT" ]; then GUEST_END=timeout
        else continue
        fi
        break
    done
    if [ "$GUEST_END" != exited ]; then
        kill "$QEMU_PID" 2>/dev/null
        for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$QEMU_PID" 2>/dev/null || break; sleep 0.5; done
        kill -9 "$QEMU_PID" 2>/dev/null
    fi
    wait "$QEMU_PID"
    QEMU_PID=""
}

# kvm_verdict LOG: why a KVM boot did not get anywhere, in a few words.
kvm_verdict() {
    local why
    why=$(tr -d '\r\033' <"$1" | grep -aEo -m1 "($KVM_FAILURE_RE).*" | cut -c1-100)
    echo "${why:-the kernel did not finish starting within $KVM_PROBE_S s}"
}

# choose_accel KDIR: BOOT_ACCEL (kvm or tcg) for this kernel, and ACCEL_WHY when KVM was passed
# over. KVM is used only when a probe boot of the kernel alone (no initramfs, so it ends in the
# "cannot mount root" panic) gets that far within KVM_PROBE_S seconds: nested KVM on some hosts
# stops at the first instruction it cannot emulate and then hangs, printing nothing.
choose_accel() {
    local kdir=$1
    ACCEL_WHY=""
    if [ -n "$ACCEL_FORCED" ]; then BOOT_ACCEL=$ACCEL_FORCED ACCEL_WHY="UNIXCAP_QEMU_ACCEL=$ACCEL_FORCED"; return; fi
    if [ ! -w "$KVM_DEVICE" ]; then BOOT_ACCEL=tcg ACCEL_WHY="$KVM_DEVICE is not writable"; return; fi
    # Broken nested KVM is the host's: once one kernel showed it, the others are not probed.
    if [ -n "$KVM_BROKEN" ]; then BOOT_ACCEL=tcg ACCEL_WHY=$KVM_BROKEN; return; fi
    local timeout=$BOOT_TIMEOUT silence=$SILENCE_S
    BOOT_TIMEOUT=$KVM_PROBE_S SILENCE_S=$KVM_PROBE_S
    run_guest "$WORKDIR/kvm-probe.log" 'Unable to mount root fs' -accel kvm -m 256 -smp 2 \
        -nographic -no-reboot -nic none -monitor none -kernel "$kdir/vmlinuz" \
        -append "console=ttyS0 panic=-1"
    BOOT_TIMEOUT=$timeout SILENCE_S=$silence
    cp "$WORKDIR/kvm-probe.log" "$LOG_DIR/kvm-probe-$(basename "$kdir").log" 2>/dev/null
    if [ "$GUEST_END" = marker ]; then BOOT_ACCEL=kvm; return; fi
    BOOT_ACCEL=tcg ACCEL_WHY="KVM does not work here: $(kvm_verdict "$WORKDIR/kvm-probe.log")"
    KVM_BROKEN=$ACCEL_WHY
}

# boot KDIR KLOG: runs the guest with BOOT_ACCEL; its results and captures end up in KLOG/out.
# A KVM boot that fails after all is killed at once and the kernel booted again with TCG.
boot() {
    local kdir=$1 klog=$2 cpus=1
    # One CPU under TCG: attaching tracepoints patches kernel text with int3 while other CPUs run,
    # and TCG's second vCPU sometimes still executes the int3 (an oops in syscall_trace_enter, 1
    # boot in 5 here). The host suite covers several CPUs.
    [ "$BOOT_ACCEL" = kvm ] && cpus=2
    rm -f "$WORKDIR/disk.img"
    truncate -s 1G "$WORKDIR/disk.img" || return 1
    run_guest "$klog/console.log" "" -accel "$BOOT_ACCEL" -m 1024 -smp "$cpus" \
        -nographic -no-reboot -nic none -monitor none \
        -kernel "$kdir/vmlinuz" -initrd "$WORKDIR/initramfs.cpio.gz" \
        -append "console=ttyS0 panic=-1 quiet" \
        -drive "file=$WORKDIR/disk.img,format=raw,if=virtio"
    if [ "$GUEST_END" = kvm-failed ] && [ -z "$ACCEL_FORCED" ]; then
        BOOT_ACCEL=tcg ACCEL_WHY="KVM does not work here: $(kvm_verdict "$klog/console.log")"
        KVM_BROKEN=$ACCEL_WHY
        say_accel_once
        boot "$kdir" "$klog"
        return
    fi
    mkdir -p "$klog/out"
    tar -xf "$WORKDIR/disk.img" -C "$klog/out" 2>/dev/null
    rm -f "$WORKDIR/disk.img"
}

# say_accel_once: the reason KVM was passed over, in the log the first time it happens.
ACCEL_SAID=""
say_accel_once() {
    [ -n "$ACCEL_WHY" ] && [ "$ACCEL_SAID" != "$ACCEL_WHY" ] || return 0
    echo "kernels: qemu $BOOT_ACCEL: $ACCEL_WHY"
    ACCEL_SAID=$ACCEL_WHY
}

# boot_failure: why the guest did not finish, when the watchdog stopped it.
boot_failure() {
    local tail_
    tail_=$(tr -d '\r' <"$1" | grep -av '^$' | tail -2 | tr '\n' ' ' | cut -c1-200)
    case $GUEST_END in
    timeout) echo "FAIL guest finished within $BOOT_TIMEOUT s: qemu was still running ($tail_)" ;;
    silent) echo "FAIL guest kept printing: nothing on its console for $SILENCE_S s ($tail_)" ;;
    kvm-failed) echo "FAIL guest booted: KVM failed ($(kvm_verdict "$1"))" ;;
    esac
}

# ---- checks on the host of what the guest captured ------------------------------------------------
# host_checks OUT: result lines for what needs tshark.
host_checks() {
    local out=$1 name
    grep -q '^PASS unixcap loads' "$out/results" 2>/dev/null || return 0
    if ! command -v tshark >/dev/null || ! command -v python3 >/dev/null; then
        echo "SKIP payload hashes of the capture matrix: tshark or python3 missing on the host"
        return 0
    fi
    if tshark -r "$out/matrix.pcapng" -q >/dev/null 2>&1; then echo "PASS tshark reads the matrix capture"
    else echo "FAIL tshark reads the matrix capture: tshark -r -q failed"; fi
    local manifests=()
    while read -r name _; do
        [ -f "$out/m-$name.manifest" ] && manifests+=("$out/m-$name.manifest")
    done <"$out/cases"
    [ ${#manifests[@]} -gt 0 ] &&
        python3 "$ROOT/tests/tools/check_capture.py" "${manifests[@]}" "$out/matrix.pcapng" >"$out/check.txt" 2>&1
    while read -r name _; do
        if [ ! -f "$out/m-$name.manifest" ]; then
            echo "FAIL $name: each direction hashes as sent: no manifest (the generator failed)"
        elif grep -q "^ok: \[m-$name.manifest\]" "$out/check.txt" && ! grep -q "^FAIL: \[m-$name.manifest\]" "$out/check.txt"; then
            echo "PASS $name: each direction hashes as sent"
        else
            echo "FAIL $name: each direction hashes as sent: $(grep -m3 -e "\[m-$name.manifest\]" -e '^FAIL: reading' "$out/check.txt" | tr '\n' ' ' | cut -c1-400)"
        fi
    done <"$out/cases"
    if [ -f "$out/splice.hooked" ]; then
        if python3 "$ROOT/tests/tools/check_capture.py" --no-pair-check "$out/splice.hashes" \
            "$out/splice.pcapng" >"$out/splice.check" 2>&1; then
            echo "PASS sendfile drained by splice: the writer's bytes in the capture hash as sent"
        else
            echo "FAIL sendfile drained by splice: the writer's bytes in the capture hash as sent: $(tail -3 "$out/splice.check" | tr '\n' ' ')"
        fi
    fi
    if [ -f "$out/loss.pcapng" ] && grep -q '^PASS overload' "$out/results"; then
        # The writer's FIN sits after every byte it sent, lost ones included (+1 for the SYN).
        local port fin
        port=$(tshark -r "$out/loss.pcapng" -Y 'frame.comment contains "len=2097152"' -T fields -e tcp.srcport 2>/dev/null | head -1)
        fin=$(tshark -r "$out/loss.pcapng" -Y "tcp.flags.fin==1 && tcp.srcport==${port:-0}" -T fields -e tcp.seq 2>/dev/null | head -1)
        if [ "${fin:-x}" = $((3 * 2097152 + 1)) ]; then echo "PASS overload: the capture is valid and the FIN counts the lost bytes"
        else echo "FAIL overload: the capture is valid and the FIN counts the lost bytes: FIN at relative seq ${fin:-none}, expected $((3 * 2097152 + 1))"; fi
    fi
}

# verifier_summary OUT: what the kernel said when it refused the BPF program: the program, the
# error, and the verifier's verdict (the last line of its log before the statistics).
verifier_summary() {
    local f=$1/load-vv.err prog verdict
    [ -s "$f" ] || return 0
    prog=$(sed -n "s/^libbpf: prog '\([^']*\)': BPF program load failed: \(.*\)/\1 (\2)/p" "$f" | head -1)
    verdict=$(awk '/-- BEGIN PROG LOAD LOG --/ {last = ""; next}
                   /^processed [0-9]+ insns/ || /-- END PROG LOAD LOG --/ {print last; exit}
                   NF {last = $0}' "$f")
    echo "  verifier: ${prog:-$(grep -m1 '^libbpf: ' "$f")}: ${verdict:-no verifier log}"
}

# ---- main ---------------------------------------------------------------------------------------
missing=""
for c in qemu-system-x86_64 busybox cpio gzip dpkg-deb apt-get xz timeout; do
    command -v "$c" >/dev/null || missing="$missing $c"
done
[ "$FETCH_ONLY" = 1 ] || for f in "$UNIXCAP" "$TOOLS/ucgen" "$TOOLS/ucmiss"; do
    [ -x "$f" ] || missing="$missing $f"
done
start=$(now)
pass_all=0 fail_all=0 skip_all=0 nk=0
TABLE=() # kernel × capability rows, from unixcap -v in each guest

# table_row KERNEL LOGDIR PASSED FAILED: what unixcap said it uses and misses on that kernel.
table_row() {
    local hooks narrowing
    hooks=$(sed -n 's/^unixcap: hooks: \(.*\); ring .*/\1/p' "$2/out/hooks" 2>/dev/null | head -1)
    narrowing=$(grep -v '^unixcap: hooks:' "$2/out/hooks" 2>/dev/null | sed 's/^unixcap: //' | head -1)
    TABLE+=("| $1 | $BOOT_ACCEL${ACCEL_WHY:+ ($ACCEL_WHY)} | ${hooks:-did not load} | ${narrowing:-nothing} | $3 passed, $4 failed |")
}
report() { # label passed failed skipped note
    echo "kernel $1: $2 passed, $3 failed, $4 skipped${5:+ ($5)}"
    pass_all=$((pass_all + $2)) fail_all=$((fail_all + $3)) skip_all=$((skip_all + $4))
}
echo "kernels: cache $KERNEL_CACHE, logs $LOG_DIR"
if [ -n "$missing" ]; then
    for series in $KERNELS; do report "$series" 0 0 1 "missing:$missing (make tests; scripts/install-deps.sh)"; done
else
    exec 9>"$KERNEL_CACHE/lock" && flock 9 # one fetcher at a time
    refresh_index
    for series in $KERNELS; do
        t0=$(now)
        if ! prepare_kernel "$series"; then
            report "$series" 0 0 1 "cannot fetch the kernel: $FETCH_ERR"
            continue
        fi
        version=$(cat "$KDIR/version") upstream=${version%%-*}
        if [ "$FETCH_ONLY" = 1 ]; then echo "kernel $upstream: $KDIR ($version)"; continue; fi
        klog=$LOG_DIR/$upstream
        mkdir -p "$klog"
        echo "kernel $upstream: $(basename "$KDIR") $version"
        if ! build_initramfs "$KDIR" "$WORKDIR/initramfs.cpio.gz"; then
            echo "  FAIL initramfs: cannot build it"
            report "$upstream" 0 1 0
            continue
        fi
        choose_accel "$KDIR"
        say_accel_once
        boot "$KDIR" "$klog"
        nk=$((nk + 1))
        {
            cat "$klog/out/results" 2>/dev/null ||
                sed -n 's/^UCK \(PASS\|FAIL\|SKIP\) /\1 /p' "$klog/console.log" | tr -d '\r'
            host_checks "$klog/out"
            if [ "$GUEST_END" != exited ]; then
                boot_failure "$klog/console.log"
            elif ! grep -q '^UCK DISK written' "$klog/console.log"; then
                echo "FAIL guest wrote its results to disk: $(tr -d '\r' <"$klog/console.log" | grep -E 'UCK DISK|Kernel panic|BUG' | head -2 | tr '\n' ' ')"
            fi
        } >"$klog/results.txt"
        sed 's/^/  /' "$klog/results.txt"
        verifier_summary "$klog/out"
        sed 's/^unixcap: /  /' "$klog/out/hooks" 2>/dev/null
        p=$(grep -c '^PASS ' "$klog/results.txt") f=$(grep -c '^FAIL ' "$klog/results.txt") s=$(grep -c '^SKIP ' "$klog/results.txt")
        [ $((p + f + s)) = 0 ] && { echo "  FAIL guest: no results ($klog/console.log)"; f=1; }
        report "$upstream" "$p" "$f" "$s" "$(($(now) - t0)) s, qemu $BOOT_ACCEL, longest console silence $GUEST_SILENCE s"
        table_row "$upstream" "$klog" "$p" "$f"
    done
fi
if [ "${#TABLE[@]}" != 0 ]; then
    echo "kernel × capability (unixcap -v in each guest):"
    echo "| kernel | accelerator | hooks in use | what the kernel keeps from the capture | tests |"
    echo "|---|---|---|---|---|"
    printf '%s\n' "${TABLE[@]}"
fi
echo "kernels: $nk booted in $(($(now) - start)) s; $pass_all passed, $fail_all failed, $skip_all skipped"
[ "$fail_all" = 0 ] || exit 1
if [ "$skip_all" != 0 ] && [ "${CI:-}" = true ]; then
    echo "(CI=true: skipped tests count as failures)"
    exit 1
fi
exit 0
