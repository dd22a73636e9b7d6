#!/bin/sh
# bench_repeatable.sh SRC BUILD: `make bench`'s runner gives identical
# figures in two boots (tools/bench.sh fails otherwise) and valid JSON.
set -eu
src=$1 build=$2
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$src/tools/bench.sh" "$build/image-bench/kernel.elf" "$out" > "$out/log" 2>&1 || { cat "$out/log"; exit 1; }
for name in trap.roundtrip thread.switch ipi.roundtrip pmap.enter pmap.remove pmap.protect pmap.zero_page pmap.copy_page tlb.shootdown.smp4; do
	grep -q "\"name\":\"$name\",\"unit\":\"[^\"]*\",\"value\":[1-9][0-9]*,\"runs\":5" "$out/results.json" ||
		{ cat "$out/results.json"; echo "FAIL: $name missing"; exit 1; }
done
head -c 16 "$out/results.json" | grep -q '^{"benchmarks":\[' || { echo "FAIL: results.json shape"; exit 1; }
echo "bench_repeatable: 1 passed, 0 failed"
