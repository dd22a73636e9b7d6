#!/bin/sh
# bad_dtb.sh SRC BUILD: a device tree with a malformed /memory reg (three
# cells where #address-cells + #size-cells say four) ends the boot with a
# panic that names the node, the property and the problem (status 2).
set -eu
src=$1 build=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
qemu-system-riscv64 -M virt,dumpdtb="$work/good.dtb" -m 256M -smp 1 -display none > /dev/null 2>&1
dtc -q -I dtb -O dts -o "$work/good.dts" "$work/good.dtb"
sed 's/reg = <0x00 0x80000000 0x00 0x10000000>;/reg = <0x00 0x80000000 0x10000000>;/' \
	"$work/good.dts" > "$work/bad.dts"
cmp -s "$work/good.dts" "$work/bad.dts" && { echo "FAIL: could not corrupt the memory node"; exit 1; }
dtc -q -I dts -O dtb -o "$work/bad.dtb" "$work/bad.dts"
status=0
"$src/tools/qemu-run.sh" "$build/image/kernel.elf" "" -m 256M -smp 1 -dtb "$work/bad.dtb" \
	> "$work/log" 2>&1 || status=$?
want="boot: malformed device tree: FDT_ERR_BADPROP: /memory@80000000: reg length 12 is not a multiple of 16"
grep -qF "$want" "$work/log" || { cat "$work/log"; echo "FAIL: no panic naming the bad property"; exit 1; }
[ "$status" -eq 2 ] || { echo "FAIL: exit status $status, expected 2"; exit 1; }
echo "bad_dtb: 1 passed, 0 failed"
