#!/bin/sh
# boot_dtb.sh SRC BUILD: the image follows the device tree it is given, not
# the machine.  QEMU's own tree, dumped (-machine dumpdtb) and given back
# with -dtb, boots the boot suite through fw_jump; so does that tree with
# two of its four harts disabled and 16 MiB cut out of RAM, where the host
# loaded a pattern the kernel must leave alone.  The pattern loaded 8 bytes
# off must fail the suite where it checks the words (it reads them).
set -eu
src=$1 build=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
. "$src/tests/acceptance/boot_data/lib.sh"

hole=0x88000000 hole_size=0x1000000
machine="-m 256M -smp 4 -accel tcg,thread=single"	# one thread: hart 0 boots (see README)
dump_dtb "$work/virt.dtb" $machine
modified_dtb "$work/virt.dtb" "$work/fewer.dtb" 2,3 $hole $hole_size
load_pattern="loader,file=$work/fewer.dtb.pattern,addr=$hole,force-raw=on"
hole_args="expect_hole=$hole expect_hole.size=16M"

# shellcheck disable=SC2086 # machine is an option list
boot dumped 0 --bios fw_jump "$image" "test=boot expect_mem=256M expect_harts=4" $machine \
	-dtb "$work/virt.dtb"
# shellcheck disable=SC2086
boot fewer_harts_hole 0 --bios fw_jump "$image" "test=boot expect_mem=240M expect_harts=2 $hole_args" \
	$machine -dtb "$work/fewer.dtb" -device "$load_pattern"
# shellcheck disable=SC2086
boot pattern_moved 1 --bios fw_jump "$image" "test=boot expect_mem=240M expect_harts=2 $hole_args" \
	$machine -dtb "$work/fewer.dtb" -device "loader,file=$work/fewer.dtb.pattern,addr=$((hole + 8)),force-raw=on"
[ "$(grep -c "FAILED: " "$work/pattern_moved.log")" -eq 1 ] && grep -q "FAILED: bad == 0" "$work/pattern_moved.log" ||
	{ echo "FAIL: pattern_moved did not fail where the words are checked, and only there"
	  fails=$((fails + 1)); }
summary boot_dtb
