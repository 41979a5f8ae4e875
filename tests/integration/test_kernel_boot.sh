#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The kernel matrix's choice of accelerator and its watchdog, with a stand-in qemu-system-x86_64
# that behaves as broken nested KVM does (an internal error, or a silent hang) or as a guest that
# stops printing: KVM is left for TCG at once, a silent guest is killed after KERNEL_SILENCE
# seconds, not after KERNEL_TIMEOUT, and UNIXCAP_QEMU_ACCEL forces one accelerator.
. "$(dirname "$0")/lib.sh"
MATRIX=$ROOT/scripts/kernels/matrix.sh
[ -x "$UNIXCAP" ] && [ -x "$ROOT/build/tools/ucgen" ] ||
    { skip "kernel matrix watchdog" "unixcap and build/tools not built (make tests)"; exit 0; }
for c in busybox cpio dpkg-deb; do
    command -v "$c" >/dev/null || { skip "kernel matrix watchdog" "$c missing (scripts/install-deps.sh)"; exit 0; }
done

# The stand-in: logs "ACCEL initrd|probe" per start, then acts as FAKE_KVM (error, silent,
# probe-only: fails only with an initramfs) and FAKE_TCG (quick: ends at once; silent) say.
mkdir -p "$WORK/bin"
cat >"$WORK/bin/qemu-system-x86_64" <<'SH'
#!/bin/sh
accel="" kind=probe
while [ $# -gt 0 ]; do
    case $1 in -accel) accel=$2; shift ;; -initrd) kind=initrd ;; esac
    shift
done
echo "$accel $kind" >>"$FAKE_QEMU_LOG"
printf 'SeaBIOS (version fake)\r\nBooting from ROM...\r\n'
if [ "$accel" = kvm ]; then
    case ${FAKE_KVM:-}-$kind in
    probe-only-probe) echo "VFS: Unable to mount root fs on unknown-block(0,0)"; exit 0 ;;
    error-* | probe-only-initrd) printf 'KVM internal error. Suberror: 1\r\nemulation failure\r\n' ;;
    esac
elif [ "${FAKE_TCG:-quick}" = quick ]; then
    echo "UCK BOOTED fake"; exit 0
fi
exec sleep 1000 # hangs, printing nothing more
SH
chmod +x "$WORK/bin/qemu-system-x86_64"
touch "$WORK/kvm" # a writable KVM_DEVICE, whatever this host has

# run_matrix NAME VAR=VALUE...: the matrix on 6.1 with the stand-in; its output in $WORK/NAME.out,
# the stand-in's starts in $WORK/NAME.starts, its time in ELAPSED, its exit status in RC.
run_matrix() {
    local name=$1 t0=$SECONDS; shift
    : >"$WORK/$name.starts"
    env PATH="$WORK/bin:$PATH" FAKE_QEMU_LOG="$WORK/$name.starts" KERNELS=6.1 KVM_DEVICE="$WORK/kvm" \
        LOG_DIR="$WORK/$name.logs" KERNEL_TIMEOUT=900 "$@" "$MATRIX" >"$WORK/$name.out" 2>&1 </dev/null
    RC=$? ELAPSED=$((SECONDS - t0))
    cp "$WORK/$name.out" "$LOG_DIR/kernel_boot-$name.out" 2>/dev/null
}
starts() { tr '\n' ',' <"$WORK/$1.starts"; }
# The kernel itself (fetched once into the cache) must be there, or nothing boots at all.
run_matrix fetch UNIXCAP_QEMU_ACCEL=tcg
if ! grep -q '^kernel 6\.1\.[0-9]*: linux-image' "$WORK/fetch.out"; then
    if [ "${CI:-}" = true ] || grep -q 'cannot fetch' "$WORK/fetch.out"; then
        skip "kernel matrix watchdog" "$(grep -m1 'cannot fetch' "$WORK/fetch.out" || tail -1 "$WORK/fetch.out")"
    else
        fail "kernel matrix watchdog" "$(tail -3 "$WORK/fetch.out" | tr '\n' ' ')"
    fi
    exit 0
fi

# expect_fallback NAME TEST REASON STARTS: after run_matrix NAME, the log says TCG was chosen for
# REASON, the stand-in was started as STARTS, all within a minute.
expect_fallback() {
    if grep -q "^kernels: qemu tcg: KVM does not work here: $3" "$WORK/$1.out" &&
       [ "$(starts "$1")" = "$4" ] && [ "$ELAPSED" -lt 60 ]; then
        pass "$2 ($ELAPSED s)"
    else
        fail "$2" "starts $(starts "$1") in $ELAPSED s; $(grep -m1 '^kernels: qemu' "$WORK/$1.out")"
    fi
}
run_matrix error FAKE_KVM=error KERNEL_KVM_PROBE=120
expect_fallback error "a KVM internal error in the probe boot: killed at once, the kernel booted with TCG" \
    "KVM internal error" "kvm probe,tcg initrd,"
if grep -q '^| 6\.1\.[0-9]* | tcg (KVM does not work here: KVM internal error' "$WORK/error.out"; then
    pass "the table's accelerator column says TCG, and why"
else
    fail "the table's accelerator column says TCG, and why" "$(grep -m1 '^| 6\.1' "$WORK/error.out")"
fi
run_matrix silent FAKE_KVM=silent KERNEL_KVM_PROBE=3
expect_fallback silent "a KVM that hangs printing nothing: left for TCG after the probe's 3 s" \
    "the kernel did not finish starting within 3 s" "kvm probe,tcg initrd,"
run_matrix late FAKE_KVM=probe-only
expect_fallback late "KVM that passes the probe and fails in the real boot: that boot killed, and booted again with TCG" \
    "KVM internal error" "kvm probe,kvm initrd,tcg initrd,"

run_matrix hung UNIXCAP_QEMU_ACCEL=tcg FAKE_TCG=silent KERNEL_SILENCE=3
if grep -q '^  FAIL guest kept printing: nothing on its console for 3 s' "$WORK/hung.out" &&
   [ "$RC" = 1 ] && [ "$ELAPSED" -lt 60 ]; then
    pass "a guest that stops printing is killed after KERNEL_SILENCE (3 s), not KERNEL_TIMEOUT ($ELAPSED s)"
else
    fail "a guest that stops printing is killed after KERNEL_SILENCE (3 s), not KERNEL_TIMEOUT" \
        "exit $RC in $ELAPSED s; $(grep -m1 'FAIL' "$WORK/hung.out")"
fi
check "UNIXCAP_QEMU_ACCEL=tcg: no KVM probe" "starts: $(starts hung)" [ "$(starts hung)" = "tcg initrd," ]

run_matrix forced UNIXCAP_QEMU_ACCEL=kvm FAKE_KVM=error
if [ "$(starts forced)" = "kvm initrd," ] && grep -q '^  FAIL guest booted: KVM failed (KVM internal error' "$WORK/forced.out"; then
    pass "UNIXCAP_QEMU_ACCEL=kvm: KVM without a probe or a fallback, its failure reported"
else
    fail "UNIXCAP_QEMU_ACCEL=kvm: KVM without a probe or a fallback, its failure reported" \
        "starts $(starts forced); $(grep -m1 FAIL "$WORK/forced.out")"
fi

run_matrix bad UNIXCAP_QEMU_ACCEL=xen
if [ "$RC" = 2 ] && grep -q "UNIXCAP_QEMU_ACCEL must be kvm or tcg, not 'xen'" "$WORK/bad.out" && [ ! -s "$WORK/bad.starts" ]; then
    pass "UNIXCAP_QEMU_ACCEL=xen: a usage error (exit 2), nothing booted"
else
    fail "UNIXCAP_QEMU_ACCEL=xen: a usage error (exit 2), nothing booted" "exit $RC: $(head -1 "$WORK/bad.out")"
fi
