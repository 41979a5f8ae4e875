#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Installs the Debian 12 packages unixcap needs to build, run and test; a no-op when all are present.
set -eu
PACKAGES="make gcc clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev pkg-config libcmocka-dev
tshark wireshark-common socat python3 curl coreutils procps util-linux strace bc libcap2-bin passwd
xvfb x11-utils python3-h2 dbus dbus-bin"
# The source style (.clang-format; tests/integration/test_layout.sh checks every C file with it).
PACKAGES="$PACKAGES clang-format"
# The manual page (tests/integration/test_docs.sh lints it with groff and mandoc, renders it with man).
PACKAGES="$PACKAGES groff-base man-db mandoc"
# The fuzz harnesses (make fuzz): clang's libFuzzer, ASan and UBSan runtimes, which clang's
# packages only recommend (and recommends are not installed here).
PACKAGES="$PACKAGES libclang-rt-dev"
# The kernel matrix (make check-kernels): qemu boots Debian's cloud kernels with a busybox initramfs.
PACKAGES="$PACKAGES qemu-system-x86 busybox-static cpio xz-utils debian-archive-keyring"
# A real container (tests/integration/test_docker.sh): a private dockerd, vfs storage, no network.
PACKAGES="$PACKAGES docker.io"
missing=""
for p in $PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
    echo "install-deps: missing packages:$missing (run as root to install them)" >&2
    exit 1
fi
echo "install-deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing >/dev/null
