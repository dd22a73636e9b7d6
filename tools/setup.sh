#!/bin/sh
# setup.sh: make sure the Debian packages the build and the tests need are
# installed.  As root, installs what is missing; otherwise prints the exact
# apt-get line and fails.  gdb-multiarch runs the gdb commands' test (and
# make debug); u-boot-qemu is the U-Boot the booti tests boot through, and
# u-boot-tools (mkimage) and e2fsprogs (mke2fs) make their boot disks.
set -eu

packages="qemu-system-misc opensbi gcc-riscv64-unknown-elf binutils-riscv64-unknown-elf
picolibc-riscv64-unknown-elf cmake ninja-build gcc libc6-dev device-tree-compiler
clang libclang-rt-14-dev python3 python3-matplotlib gdb-multiarch u-boot-qemu u-boot-tools
e2fsprogs"

missing=""
for p in $packages; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$status" in
	*"install ok installed"*) ;;
	*) missing="$missing $p" ;;
	esac
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "setup: missing packages:$missing" >&2
	echo "setup: install them with:" >&2
	echo "  sudo apt-get update && sudo apt-get install -y$missing" >&2
	exit 1
fi
echo "setup: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086 # a word list
apt-get install -y -qq --no-install-recommends $missing
