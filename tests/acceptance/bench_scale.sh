#!/bin/sh
# bench_scale.sh SRC BUILD: the small make bench-scale (two sizes per
# series, three for the harts) boots, agrees with itself in two boots of
# each size, and finds every series ok (as tools/bench-scale judges); its
# fit is checked on known curves (--self-test) and on the points it
# measured, fitted again from the JSON it wrote (--refit).
set -eu
src=$1 build=$2
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
fail=0
"$src/tools/bench-scale" --self-test || fail=1
if ! "$src/tools/bench-scale" --small "$build/image-bench/kernel.elf" "$out" > "$out/log" 2>&1; then
	cat "$out/log"
	echo "FAIL: bench-scale --small"
	fail=1
fi
if [ -f "$out/scale.json" ]; then
	"$src/tools/bench-scale" --refit "$out/scale.json" || fail=1
	python3 - "$out/scale.json" <<'PY' || fail=1
import json, sys
data = json.load(open(sys.argv[1]))
bad = [s["name"] for s in data["series"]
       if len(s["sizes"]) < 2 or len(s["per_op"]) != len(s["sizes"]) or min(s["per_op"]) <= 0
       or s["fitted"] not in ("constant", "log n", "linear", "faster than linear")]
names = {s["name"] for s in data["series"]}
missing = {"pageout.per_page", "swapfile.pageout.per_page", "swapfile.pagein.per_page"} - names
if len(data["series"]) < 22 or bad or missing:
    print("FAIL: %d series; malformed: %s; missing: %s" % (len(data["series"]), bad, sorted(missing)))
    sys.exit(1)
PY
else
	echo "FAIL: no scale.json"
	fail=1
fi
[ $fail -eq 0 ] || exit 1
echo "bench_scale: 1 passed, 0 failed"
