#!/bin/sh
# qemu-run.sh: boot the image in QEMU's virt machine under OpenSBI.
#
#   tools/qemu-run.sh [--icount] [--gdb] IMAGE "KERNEL ARGS" [QEMU OPTIONS...]
#
# The UART is the console (QEMU's stdout); semihosting carries the exit
# status, which becomes this script's.  Standard input is never read, so it
# works unattended (CI) and interactively alike.
#   --icount   deterministic instruction counting (-icount shift=0), for benchmarks
#   --gdb      wait for gdb on localhost:1234 before the first instruction
set -eu

icount="" gdb=""
while [ $# -gt 0 ]; do
	case "$1" in
	--icount) icount="-icount shift=0"; shift ;;
	--gdb) gdb="-s -S"; shift ;;
	*) break ;;
	esac
done
[ $# -ge 2 ] || { echo "usage: $0 [--icount] [--gdb] IMAGE \"KERNEL ARGS\" [QEMU OPTIONS...]" >&2; exit 2; }
image=$1 append=$2
shift 2

bios=/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin
[ -f "$bios" ] || { echo "qemu-run: $bios missing (apt-get install opensbi)" >&2; exit 2; }

# shellcheck disable=SC2086 # icount and gdb are option lists
set -- qemu-system-riscv64 -M virt -bios "$bios" -kernel "$image" -append "$append" \
	-display none -monitor none -serial stdio \
	-semihosting-config enable=on,target=native $icount $gdb "$@"
exec "$@" < /dev/null
