#!/bin/sh
# bench.sh IMAGE OUTDIR: boot every KBENCH_RUN line of tests/bench/*.c twice
# under -icount shift=0, check that both boots gave identical values (the
# "spread" a benchmark may report between its own runs is not compared, nor
# are lines measured against host time, which carry "host_ns"), and write
# OUTDIR/results.json:
#   {"benchmarks":[{"name":...,"unit":...,"value":N,"runs":K}, ...]}
# with a copy in OUTDIR/history/, and a comparison with the run before.
set -eu
image=$1 out=$2
top=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"
: > "$out/bench.lines"

grep -h '^KBENCH_RUN(' "$top"/tests/bench/*.c |
sed -n 's/^KBENCH_RUN(\([A-Za-z0-9_.]*\), *"\([^"]*\)", *"\([^"]*\)");.*/\1|\2|\3/p' > "$out/runs.txt"
[ -s "$out/runs.txt" ] || { echo "bench: no KBENCH_RUN lines found" >&2; exit 1; }

while IFS='|' read -r group cmdline qemu_opts; do
	for pass in 1 2; do
		log="$out/$group.$pass.log"
		# shellcheck disable=SC2086 # qemu_opts is an option list
		if ! "$top/tools/qemu-run.sh" --icount --work "$out/work.$group" "$image" "$cmdline" \
			$qemu_opts > "$log" 2>&1; then
			echo "bench: $group (pass $pass) failed; see $log" >&2
			exit 1
		fi
		grep '^BENCH ' "$log" | sed 's/^BENCH //' > "$out/$group.$pass.json"
	done
	sed '/"host_ns":/d; s/,"spread":[0-9]*//' "$out/$group.1.json" > "$out/$group.1.values"
	sed '/"host_ns":/d; s/,"spread":[0-9]*//' "$out/$group.2.json" > "$out/$group.2.values"
	if ! cmp -s "$out/$group.1.values" "$out/$group.2.values"; then
		echo "bench: $group gave different figures in two boots of the same image:" >&2
		diff "$out/$group.1.json" "$out/$group.2.json" >&2 || true
		exit 1
	fi
	cat "$out/$group.1.json" >> "$out/bench.lines"
done < "$out/runs.txt"

{
	echo '{"benchmarks":['
	sed '$!s/$/,/' "$out/bench.lines"
	echo ']}'
} > "$out/results.json"
cat "$out/results.json"
echo "bench: $(wc -l < "$out/bench.lines") benchmarks, identical in two boots; wrote $out/results.json"

# Each run is kept in OUTDIR/history (named by time and commit), and
# compared with the run before it.
mkdir -p "$out/history"
prev=$(ls "$out"/history/*.json 2>/dev/null | sort | tail -n 1 || true)
rev=$(git -C "$top" describe --always --dirty 2>/dev/null || echo unknown)
cp "$out/results.json" "$out/history/$(date -u +%Y%m%dT%H%M%SZ)-$rev.json"
if [ -n "$prev" ]; then
	echo "bench: against the run before ($(basename "$prev")):"
	"$top/tools/bench-compare" "$prev" "$out/results.json"
fi
