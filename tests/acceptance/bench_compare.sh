#!/bin/sh
# bench_compare.sh SRC BUILD: tools/bench-compare on two fixed runs prints
# the table in bench_compare_data/expected.txt (a cost down is better, a
# MiB/s down worse and marked as host time, new, gone, unchanged), and an
# unreadable run is refused with status 2.
set -eu
src=$1
data=$src/tests/acceptance/bench_compare_data
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$src/tools/bench-compare" "$data/a.json" "$data/b.json" > "$out"
if ! diff -u "$data/expected.txt" "$out"; then
	echo "FAIL: bench-compare printed (+) something else than expected (-)"
	exit 1
fi
status=0
"$src/tools/bench-compare" "$data/a.json" "$data/missing.json" > /dev/null 2>&1 || status=$?
[ "$status" -eq 2 ] || { echo "FAIL: a missing run gave status $status, not 2"; exit 1; }
echo "bench-compare: table as expected, a missing run refused"
