#!/bin/sh
# run_demo.sh SRC BUILD: the demo `make run` boots prints the machine as
# QEMU was configured and exits 0 by itself.
set -eu
src=$1 build=$2
log=$(mktemp)
trap 'rm -f "$log"' EXIT
"$src/tools/qemu-run.sh" "$build/image/kernel.elf" "" -m 512M -smp 4 > "$log" 2>&1 ||
	{ cat "$log"; echo "FAIL: demo exited non-zero"; exit 1; }
fail=0
for want in "RAM        0x080000000 - 0x0a0000000  512 MiB" \
	    "harts      4 described, 4 online" \
	    "pcie ecam  0x30000000" \
	    "thread pinned to hart index 3 ran on hart" \
	    "r-x/r-x copy default wired 0/0 zero-fill" \
	    "share default wired 0/0 object" \
	    "2 copy-on-write" \
	    "demo done"; do
	grep -qF "$want" "$log" || { echo "FAIL: demo output lacks: $want"; fail=1; }
done
[ $fail -eq 0 ] || { cat "$log"; exit 1; }
echo "run_demo: 1 passed, 0 failed"
