#!/bin/sh
# run_demo.sh SRC BUILD: the demo `make run` boots (with the Makefile's
# default ARGS and DEVICES) prints the machine as QEMU was configured, pages
# a working set out and back in while swap files come and go, and exits 0
# by itself, with no warning from QEMU about the harts' vector extension.
set -eu
src=$1 build=$2
log=$(mktemp) work=$(mktemp -d)
trap 'rm -rf "$log" "$work"' EXIT
args="swap=swap swapfile=share swapfile.size=16M swapfile.hiwat=8M swapfile.lowat=24M swapfile.hold=500"
"$src/tools/qemu-run.sh" --work "$work" "$build/image/kernel.elf" "$args" \
	--blk disk:32M --9p share --blk swap:32M -m 512M -smp 4 > "$log" 2>&1 ||
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
	    "task 3 (demo_tree): alive, parent 2" \
	    "r-x/r-x share default wired 0/0 submap" \
	    "(the leaf): shared page 3, own page 200, data 10" \
	    "child 3 ended with 0; shared page 3, own page 100, data 8" \
	    "the tree's root ended with 0; 0 tasks left" \
	    "swapfile: added swap/swapfile0" \
	    "written: " \
	    "read back: " \
	    "pages: identical" \
	    "demo done"; do
	grep -qF "$want" "$log" || { echo "FAIL: demo output lacks: $want"; fail=1; }
done
grep -q "^vm_stat: free [0-9]* active [0-9]* inactive [0-9]* wired [0-9]* pageouts [1-9]" "$log" ||
	{ echo "FAIL: no vm_stat line shows pageouts"; fail=1; }
grep -q "swap files: [1-9][0-9]* made, [1-9][0-9]* deleted, 0 left" "$log" ||
	{ echo "FAIL: the swap files did not all go"; fail=1; }
! grep -q "came without its interrupt" "$log" ||
	{ echo "FAIL: a device interrupt was lost"; fail=1; }
! grep -q "vector version is not specified" "$log" ||
	{ echo "FAIL: QEMU warns that the vector spec version is not named"; fail=1; }
! ls "$work/share/swap" 2>/dev/null | grep -q swapfile ||
	{ echo "FAIL: swap files left in the host directory"; fail=1; }
grep -q "written by the riscv-mach-vm demo" "$work/share/hello.txt" ||
	{ echo "FAIL: hello.txt is not in the host directory"; fail=1; }
[ $fail -eq 0 ] || { cat "$log"; exit 1; }
echo "run_demo: 1 passed, 0 failed"
