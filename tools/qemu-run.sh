#!/bin/sh
# qemu-run.sh: boot the image in QEMU's virt machine under OpenSBI.
#
#   tools/qemu-run.sh [--icount|--icount-nosleep] [--gdb|--gdb-port N] [--bios FW] [--work DIR]
#                     IMAGE "KERNEL ARGS" [QEMU OPTIONS...]
#
# The UART is the console (QEMU's stdout); semihosting carries the exit
# status, which becomes this script's.  Standard input is never read, so it
# works unattended (CI) and interactively alike.
#   --icount   deterministic instruction counting (-icount shift=0), for benchmarks
#   --icount-nosleep  the same, and an idle machine's clock jumps to its next
#              timer instead of following the host's (sleep=off): what the
#              machine does while it waits (the ticks of a boot) repeats too.
#              Not for device I/O: a wait for a device jumps to its timeout.
#   --gdb      wait for gdb on localhost:1234 before the first instruction
#   --gdb-port N  the same on port N (runs side by side each take their own)
#   --bios FW  the M-mode firmware: fw_dynamic (the default) or fw_jump, Debian's
#              OpenSBI builds, or a file (IMAGE is then what -kernel loads:
#              the ELF, the flat Image, or U-Boot)
#   --work DIR a fresh directory for the devices below (emptied first)
#   --host-check SCRIPT  run SCRIPT (relative to the source tree) beside QEMU
#              as `SCRIPT WORKDIR CONSOLE_LOG QEMU_PID`: it watches the console
#              for checkpoints and inspects the work directory from the host.
#              Fails the run if it exits non-zero.  Needs --work.
#
# Device shorthands, allowed among the QEMU options (they need --work):
#   --blk NAME:SIZE[:OPTS]  a raw disk DIR/NAME.img of SIZE bytes (K/M/G) as a
#                           modern virtio-blk-pci device whose serial (GET_ID)
#                           is NAME.  OPTS are extra -drive options, comma
#                           separated; blkdebug=FILE injects errors by the rules
#                           in FILE (relative to the source tree).
#   --9p TAG[:SIZE]         the host directory DIR/TAG as a modern virtio-9p-pci
#                           device with mount tag TAG; with SIZE, a tmpfs of
#                           SIZE bytes mounted there (a disk that fills up;
#                           needs root: exits 77, "skipped", if it cannot)
set -eu

icount="" gdb="" work="" host_check="" tmpfs=no bios=fw_dynamic
while [ $# -gt 0 ]; do
	case "$1" in
	--icount) icount="-icount shift=0"; shift ;;
	--icount-nosleep) icount="-icount shift=0,sleep=off"; shift ;;
	--gdb) gdb="-s -S"; shift ;;
	--gdb-port) gdb="-gdb tcp:localhost:$2 -S"; shift 2 ;;
	--bios) bios=$2; shift 2 ;;
	--work) work=$2; shift 2 ;;
	--host-check) host_check=$2; shift 2 ;;
	*) break ;;
	esac
done
[ $# -ge 2 ] || { echo "usage: $0 [--icount|--icount-nosleep] [--gdb|--gdb-port N] [--bios FW] [--work DIR] IMAGE \"KERNEL ARGS\" [QEMU OPTIONS...]" >&2; exit 2; }
image=$1 append=$2
shift 2
top=$(cd "$(dirname "$0")/.." && pwd)
# unmount_all: the tmpfs shares of this work directory (of this run or an earlier one).
unmount_all() {
	[ -n "$work" ] || return 0
	awk -v w="$work/" 'index($2, w) == 1 { print $2 }' /proc/mounts | while read -r m; do
		umount "$m" || true
	done
}
if [ -n "$work" ]; then
	work=$(mkdir -p "$work" && cd "$work" && pwd)
	unmount_all
	rm -rf "$work"
	mkdir -p "$work"
fi

need_work() {
	[ -n "$work" ] || { echo "qemu-run: $1 needs --work DIR" >&2; exit 2; }
}

# blk_options NAME:SIZE[:OPTS]: the -drive and -device options of a disk.
blk_options() {
	name=${1%%:*} rest=${1#*:}
	size=${rest%%:*} opts=""
	[ "$rest" = "$size" ] || opts=${rest#*:}
	img="$work/$name.img" file="" extra=""
	truncate -s "$size" "$img"
	file=$img
	for o in $(echo "$opts" | tr ',' ' '); do
		case "$o" in
		blkdebug=*) file="blkdebug:$top/${o#blkdebug=}:$img" ;;
		*) extra="$extra,$o" ;;
		esac
	done
	echo "-drive if=none,id=$name,format=raw,file=$file$extra -device virtio-blk-pci,drive=$name,serial=$name,disable-legacy=on"
}

# Expand the device shorthands in place.
n=$#
while [ "$n" -gt 0 ]; do
	arg=$1
	shift
	n=$((n - 1))
	case "$arg" in
	--blk)
		need_work --blk
		# shellcheck disable=SC2046 # word splitting of the generated options is wanted
		set -- "$@" $(blk_options "$1")
		shift_one=1 ;;
	--host-check)
		host_check=$1
		shift_one=1 ;;
	--9p)
		need_work --9p
		tag=${1%%:*}
		mkdir -p "$work/$tag"
		if [ "$tag" != "$1" ]; then
			mount -t tmpfs -o "size=${1#*:}" tmpfs "$work/$tag" 2> /dev/null || {
				echo "qemu-run: skipped: cannot mount a ${1#*:} tmpfs for --9p $1 (not root?)"
				unmount_all
				exit 77
			}
			tmpfs=yes
			trap unmount_all EXIT	# whatever ends the script
		fi
		set -- "$@" -fsdev "local,id=$tag,path=$work/$tag,security_model=none" \
			-device "virtio-9p-pci,fsdev=$tag,mount_tag=$tag,disable-legacy=on"
		shift_one=1 ;;
	*)
		set -- "$@" "$arg"
		shift_one=0 ;;
	esac
	if [ "$shift_one" = 1 ]; then
		shift
		n=$((n - 1))
	fi
done

case "$bios" in
fw_dynamic|fw_jump) bios=/usr/lib/riscv64-linux-gnu/opensbi/generic/$bios.bin ;;
esac
[ -f "$bios" ] || { echo "qemu-run: $bios missing (apt-get install opensbi)" >&2; exit 2; }

# shellcheck disable=SC2086 # cpu, icount and gdb are option lists
# The harts have the V extension (the pmap zeroes and copies pages with it),
# version 1.0 of the vector spec named (else QEMU warns on every boot),
# unless the options name a -cpu of their own.
cpu="-cpu rv64,v=true,vext_spec=v1.0"
for o in "$@"; do [ "$o" != "-cpu" ] || cpu=""; done
set -- qemu-system-riscv64 -M virt -bios "$bios" -kernel "$image" -append "$append" \
	-display none -monitor none -serial stdio $cpu \
	-semihosting-config enable=on,target=native $icount $gdb "$@"
if [ -z "$host_check" ] && [ $tmpfs = no ]; then
	exec "$@" < /dev/null
elif [ -z "$host_check" ]; then
	status=0
	"$@" < /dev/null || status=$?
	unmount_all
	exit "$status"
fi

# With a host-side checker: QEMU's console goes to a log the checker reads.
need_work --host-check
log="$work/console.log"
: > "$log"		# there before the checker looks for it (it stops when the log is gone)
"$@" < /dev/null >> "$log" 2>&1 &
qemu_pid=$!
"$top/$host_check" "$work" "$log" "$qemu_pid" > "$work/host-check.log" 2>&1 &
check_pid=$!
status=0
wait "$qemu_pid" || status=$?
check_status=0
wait "$check_pid" || check_status=$?
unmount_all
cat "$log" "$work/host-check.log"
if [ "$check_status" -ne 0 ]; then
	echo "qemu-run: host check $host_check failed (status $check_status)"
	[ "$status" -ne 0 ] || status=1
fi
exit "$status"
