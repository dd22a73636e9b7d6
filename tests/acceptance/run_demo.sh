#!/bin/sh
# run_demo.sh SRC BUILD: the demo `make run` boots prints the machine as
# QEMU was configured and exits 0 by itself.
set -eu
src=$1 build=$2
log=$(mktemp) work=$(mktemp -d)
trap 'rm -rf "$log" "$work"' EXIT
"$src/tools/qemu-run.sh" --work "$work" "$build/image/kernel.elf" "" --blk disk:32M --9p share \
	-m 512M -smp 4 > "$log" 2>&1 ||
	{ cat "$log"; echo "FAIL: demo exited non-zero"; exit 1; }
fail=0
for want in "RAM        0x080000000 - 0x0a0000000  512 MiB" \
	    "harts      4 described, 4 online" \
	    "pcie ecam  0x30000000" \
	    "thread pinned to hart index 3 ran on hart" \
	    "r-x/r-x copy default wired 0/0 zero-fill" \
	    "share default wired 0/0 object" \
	    "2 copy-on-write" \
	    "virtio-blk 00:01.0: \"disk\" 65536 sectors (32 MiB)" \
	    "virtio-9p 00:02.0: \"share\" mounted" \
	    "wrote, flushed and read back 64 KiB: identical" \
	    "wrote hello.txt (49 bytes): ok" \
	    "demo done"; do
	grep -qF "$want" "$log" || { echo "FAIL: demo output lacks: $want"; fail=1; }
done
grep -q "written by the riscv-mach-vm demo" "$work/share/hello.txt" ||
	{ echo "FAIL: hello.txt is not in the host directory"; fail=1; }
[ $fail -eq 0 ] || { cat "$log"; exit 1; }
echo "run_demo: 1 passed, 0 failed"
