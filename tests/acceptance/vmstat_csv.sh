#!/bin/sh
# vmstat_csv.sh SRC BUILD: tools/vmstat-csv turns the vm_stat lines of a
# fixed console log (other lines and a prefix around them) into the CSV in
# vmstat_csv_data/expected.csv, and fails on a log without any.
set -eu
src=$1
data=$src/tests/acceptance/vmstat_csv_data
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$src/tools/vmstat-csv" "$data/console.log" "$work/vm_stat.csv" > "$work/said"
grep -qx "vm_stat: 3 samples in $work/vm_stat.csv" "$work/said" ||
	{ cat "$work/said"; echo "FAIL: it did not say where the CSV is"; exit 1; }
if ! diff -u "$data/expected.csv" "$work/vm_stat.csv"; then
	echo "FAIL: the CSV (+) is not the expected one (-)"
	exit 1
fi
echo "no vm_stat here" > "$work/empty.log"
status=0
"$src/tools/vmstat-csv" "$work/empty.log" "$work/empty.csv" 2> /dev/null || status=$?
[ "$status" -eq 1 ] || { echo "FAIL: a log without vm_stat lines gave status $status, not 1"; exit 1; }
echo "vmstat-csv: CSV as expected, an empty log refused"
