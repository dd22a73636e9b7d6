#!/bin/sh
# plots.sh SRC BUILD: tools/plots renders, from fixed input, one bar chart
# per benchmark group (with the change against a previous run) and the
# vm_stat time series as PNG files, and refuses unreadable input.
set -eu
src=$1
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$src/tools/plots" "$out" --bench "$src/tests/acceptance/bench_compare_data/b.json" \
	--previous "$src/tests/acceptance/bench_compare_data/a.json" \
	--vmstat "$src/tests/acceptance/vmstat_csv_data/expected.csv" > "$out/said"
fail=0
for f in bench-blk.png bench-fault.png bench-map.png bench-pmap.png vm_stat.png; do
	grep -qx "plots: wrote $out/$f" "$out/said" || { echo "FAIL: $f not reported"; fail=1; }
	# A PNG: its eight-byte signature, and more than an empty canvas.
	[ "$(head -c 8 "$out/$f" 2>/dev/null | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] ||
		{ echo "FAIL: $f is not a PNG"; fail=1; continue; }
	[ "$(wc -c < "$out/$f")" -gt 8000 ] || { echo "FAIL: $f is nearly empty"; fail=1; }
done
[ "$(ls "$out"/*.png | wc -l)" -eq 5 ] || { ls "$out"; echo "FAIL: not 5 charts"; fail=1; }
status=0
"$src/tools/plots" "$out/x" --vmstat "$out/missing.csv" 2> /dev/null || status=$?
[ "$status" -eq 2 ] || { echo "FAIL: a missing series gave status $status, not 2"; fail=1; }
[ $fail -eq 0 ] || exit 1
echo "plots: 5 charts rendered, a missing series refused"
