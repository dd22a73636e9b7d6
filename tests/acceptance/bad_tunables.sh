#!/bin/sh
# bad_tunables.sh SRC BUILD: numbers on the command line that are not
# numbers, negative, too large, outside their range or larger than memory
# allows, words not among those allowed, and keys nothing declares are
# reported on the console and replaced (by the default, or the range's
# end), and the machine boots and passes its boot suite; a command line
# longer than the kernel keeps is refused whole, with a message.
set -eu
src=$1 build=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
args="test=boot expect_mem=64M expect_harts=1 swap=swap pageout.reserve=999999999"
args="$args pageout.free_target=99999999999999999999G vm_stat=-5 colour=blue"
args="$args iommu.policy=lazy iommu.ddt=7 swapfile=share swapfile.size=1 swapfile.max=0"
status=0
"$src/tools/qemu-run.sh" --work "$work/run" "$build/image/kernel.elf" "$args" -m 64M -smp 1 \
	--blk swap:16M --9p share > "$work/log" 2>&1 || status=$?
fail=0
for want in \
	"cmdline: pageout.free_target=99999999999999999999G is too large" \
	"pageout: pageout.reserve=999999999 is more than" \
	"cmdline: vm_stat=-5 is not a number" \
	"cmdline: unknown key \"colour\": ignored" \
	"cmdline: iommu.policy=lazy is not one of strict|deferred: ignored" \
	"cmdline: iommu.ddt=7 is outside 1 to 3: using 3" \
	"cmdline: swapfile.size=1 is outside 64K to 1T: using 64K" \
	"cmdline: swapfile.max=0 is outside 1 to 32: using 1" \
	"passed, 0 failed"; do
	grep -qF "$want" "$work/log" || { echo "FAIL: no line \"$want\""; fail=1; }
done
[ "$status" -eq 0 ] || { echo "FAIL: exit status $status"; fail=1; }
long=$(awk 'BEGIN { for (i = 0; i < 4200; i++) printf "x" }')
status=0
"$src/tools/qemu-run.sh" --work "$work/run3" "$build/image/kernel.elf" "test=boot $long" \
	-m 64M -smp 1 > "$work/log3" 2>&1 || status=$?
grep -qF "cmdline: 4210 bytes, more than 4095: refused" "$work/log3" ||
	{ echo "FAIL: the long command line was not refused with a message"; fail=1; }
if [ $fail -ne 0 ]; then
	cat "$work/log" "$work/log3"
	exit 1
fi
echo "bad_tunables: 1 passed, 0 failed"
