#!/bin/sh
# boot_fw_jump.sh SRC BUILD: the flat Image (build/image/Image) carries the
# RISC-V Linux Image header, and boots the boot suite through Debian's
# OpenSBI fw_jump.bin (which jumps to 0x80200000 with the DTB it moved to
# 0x82200000) and fw_dynamic.bin (QEMU loads the Image raw).
set -eu
src=$1 build=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
. "$src/tests/acceptance/boot_data/lib.sh"

# The header (Linux's Documentation/riscv/boot-image-header.rst, 0.2).
size=$((0x$(riscv64-unknown-elf-nm "$build/image/kernel.elf" | awk '$3 == "_kernel_size" { print $1 }')))
if python3 - "$image" "$size" <<'PY'
import struct, sys
h = open(sys.argv[1], "rb").read(64)
code0, code1, text_offset, image_size, flags, version, res1, res2, magic, magic2, res3 = \
    struct.unpack("<IIQQQIIQ8sII", h)
want = {"code0 (a jal x0)": (code0 & 0xfff, 0x06f), "text_offset": (text_offset, 0x200000),
        "image_size": (image_size, int(sys.argv[2])), "flags": (flags, 0), "version": (version, 2),
        "magic": (magic, b"RISCV\0\0\0"), "magic2": (magic2, 0x05435352)}
bad = ["%s is %r, not %r" % (k, v[0], v[1]) for k, v in want.items() if v[0] != v[1]]
for b in bad:
    print("FAIL: Image header: " + b)
sys.exit(1 if bad else 0)
PY
then
	echo "ok: image_header"
	passes=$((passes + 1))
else
	fails=$((fails + 1))
fi

boot fw_jump 0 --bios fw_jump "$image" "test=boot expect_mem=256M expect_harts=2" -m 256M -smp 2
grep -q "Domain0 Next Arg1 *: 0x0*82200000" "$work/fw_jump.log" ||
	{ echo "FAIL: fw_jump did not pass the DTB it moved to 0x82200000"; fails=$((fails + 1)); }
boot fw_jump_8g 0 --bios fw_jump "$image" "test=boot expect_mem=8G expect_harts=2" -m 8G -smp 2
boot fw_dynamic_image 0 "$image" "test=boot expect_mem=256M expect_harts=2" -m 256M -smp 2
summary boot_fw_jump
