#!/bin/sh
# fuzz.sh FUZZER CORPUS WORK (--runs N | --seconds N): run a libFuzzer
# binary from the corpus CORPUS (copied to WORK/corpus first if that is
# empty; new inputs are kept there, the source tree is not written) for N
# inputs or N seconds, then print its operations, coverage and corpus, and
# fail on any divergence or sanitizer report (the crashing input is left
# in WORK).
set -eu
[ $# -eq 5 ] || { echo "usage: $0 FUZZER CORPUS WORK --runs N | --seconds N" >&2; exit 2; }
fuzzer=$1 corpus=$2 work=$3
case $4 in
--runs) limit="-runs=$5" ;;
--seconds) limit="-max_total_time=$5" ;;
*) echo "$0: $4: --runs or --seconds" >&2; exit 2 ;;
esac
mkdir -p "$work/corpus"
[ -n "$(ls -A "$work/corpus")" ] || cp "$corpus"/* "$work/corpus/"
status=0
"$fuzzer" -max_len=4096 -print_final_stats=1 -artifact_prefix="$work/" $limit "$work/corpus" \
	> "$work/fuzz.log" 2>&1 || status=$?
grep -E "^#[0-9]+[[:space:]]+DONE|^fuzz_vm_map|^stat::(number_of_executed_units|average_exec_per_sec|new_units_added)" \
	"$work/fuzz.log" || true
if [ "$status" -ne 0 ]; then
	grep -E "fuzz_vm_map:|ERROR|SUMMARY|artifact" "$work/fuzz.log" | head -20
	echo "fuzz: FAILED (status $status; the log is $work/fuzz.log)"
	exit 1
fi
echo "fuzz: $(ls "$work/corpus" | wc -l) inputs in the corpus"
