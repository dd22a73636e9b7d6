#!/bin/sh
# help_table.sh SRC BUILD: `help` on the command line prints the table of
# tunables and stops the machine with status 0, and the README's table of
# the command line is exactly that listing.
set -eu
src=$1 build=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
"$src/tools/qemu-run.sh" --work "$work/run" "$build/image/kernel.elf" help -m 64M -smp 1 \
	> "$work/log" 2>&1 || status=$?
tr -d '\r' < "$work/log" | grep '^|' > "$work/printed" || true
sed -n '/^<!-- help table: begin -->$/,/^<!-- help table: end -->$/p' "$src/README.md" |
	grep '^|' > "$work/readme" || true
fail=0
[ "$status" -eq 0 ] || { echo "FAIL: help ended with status $status"; fail=1; }
[ "$(wc -l < "$work/printed")" -gt 20 ] || { echo "FAIL: help printed no table"; fail=1; }
if ! diff -u "$work/readme" "$work/printed"; then
	echo "FAIL: the README's table (above, -) is not what help prints (+)"
	fail=1
fi
if grep -q "^iommu:\|^pci" "$work/log"; then
	echo "FAIL: the machine went on after help"
	fail=1
fi
[ $fail -eq 0 ] || { cat "$work/log"; exit 1; }
echo "help_table: 1 passed, 0 failed"
