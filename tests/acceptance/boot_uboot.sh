#!/bin/sh
# boot_uboot.sh SRC BUILD: Debian's U-Boot for QEMU's S-mode (u-boot-qemu,
# started by OpenSBI fw_dynamic) boots the flat Image with booti, driven by
# a boot script (mkimage -T script) its distro boot finds on a virtio disk:
#   disk    the script loads the Image and QEMU's dumped device tree from
#           the disk (ext2, MBR partition 1);
#   memory  QEMU's loader put the Image at kernel_addr_r and a device tree
#           with two of four harts disabled and a 16 MiB hole in RAM at
#           fdt_addr_r; the script only boots them;
#   not_me  as memory, but the tree disables hart 0, the hart U-Boot runs
#           on: the kernel stops with a message (a panic, status 2).
set -eu
src=$1 build=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
. "$src/tests/acceptance/boot_data/lib.sh"

uboot=/usr/lib/u-boot/qemu-riscv64_smode/u-boot.bin
kernel_addr_r=0x84000000 fdt_addr_r=0x8c000000	# U-Boot's defaults for qemu-riscv64
hole=0x88000000 hole_size=0x1000000
machine="-m 256M -smp 4"
single="-accel tcg,thread=single"	# one thread: hart 0 boots (see README)

# boot_disk NAME SCRIPT [FILE...]: a disk holding boot.scr (SCRIPT, made
# with mkimage) and the files, as $work/NAME.img.
boot_disk() {
	name=$1 script=$2
	shift 2
	rm -rf "$work/fs" && mkdir "$work/fs"
	printf '%s\n' "$script" > "$work/$name.cmd"
	mkimage -A riscv -O linux -T script -C none -n "$name" -d "$work/$name.cmd" \
		"$work/fs/boot.scr" > "$work/mkimage.log"
	[ $# -eq 0 ] || cp "$@" "$work/fs/"
	mke2fs -q -F -t ext2 -d "$work/fs" "$work/$name.fs" 8M > "$work/mke2fs.log" 2>&1 ||
		{ cat "$work/mke2fs.log"; exit 1; }
	"$bootfiles" disk "$work/$name.img" "$work/$name.fs"
}

disk_of() {
	echo "-drive if=none,id=$1,format=raw,file=$work/$1.img -device virtio-blk-pci,drive=$1"
}

# shellcheck disable=SC2086 # machine is an option list
dump_dtb "$work/virt.dtb" $machine
modified_dtb "$work/virt.dtb" "$work/fewer.dtb" 2,3 $hole $hole_size
cp "$image" "$work/Image"

boot_disk disk "setenv bootargs \"test=boot expect_mem=256M expect_harts=4\"
load virtio 0:1 \${kernel_addr_r} /Image
load virtio 0:1 \${fdt_addr_r} /virt.dtb
booti \${kernel_addr_r} - \${fdt_addr_r}" "$work/Image" "$work/virt.dtb"
# shellcheck disable=SC2046,SC2086 # option lists
boot uboot_disk 0 "$uboot" "" $machine $(disk_of disk)

boot_disk memory "setenv bootargs \"test=boot expect_mem=240M expect_harts=2 expect_hole=$hole expect_hole.size=16M\"
booti $kernel_addr_r - $fdt_addr_r"
# shellcheck disable=SC2046,SC2086
boot uboot_memory 0 "$uboot" "" $machine $single $(disk_of memory) \
	-device "loader,file=$work/Image,addr=$kernel_addr_r,force-raw=on" \
	-device "loader,file=$work/fewer.dtb,addr=$fdt_addr_r,force-raw=on" \
	-device "loader,file=$work/fewer.dtb.pattern,addr=$hole,force-raw=on"
modified_dtb "$work/virt.dtb" "$work/not_me.dtb" 0 0 0
# shellcheck disable=SC2046,SC2086
boot uboot_not_me 2 "$uboot" "" $machine $single $(disk_of memory) \
	-device "loader,file=$work/Image,addr=$kernel_addr_r,force-raw=on" \
	-device "loader,file=$work/not_me.dtb,addr=$fdt_addr_r,force-raw=on"
grep -q "boot: hart 0, which the firmware started, is not an enabled cpu" "$work/uboot_not_me.log" ||
	{ echo "FAIL: uboot_not_me: no message naming the hart"; fails=$((fails + 1)); }
for log in uboot_disk uboot_memory uboot_not_me; do
	grep -q "Found U-Boot script /boot.scr" "$work/$log.log" &&
	grep -q "Moving Image from $kernel_addr_r to 0x80200000" "$work/$log.log" ||
		{ echo "FAIL: $log: not booted by booti from the script"; fails=$((fails + 1)); }
done
summary boot_uboot
