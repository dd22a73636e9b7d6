#!/bin/sh
# extra_tests.sh SRC BUILD: `make test EXTRA_TESTS=DIR` builds a suite kept
# outside the tree into the image and runs it under ctest; a deliberately
# broken suite shows up as a ctest failure and makes `make test` fail.
set -eu
src=$1 build=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/extra-tests.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Copies outside the source tree, as a user's own suites would be.
cp -r "$src/tests/acceptance/extra_pass" "$work/pass"
cp -r "$src/tests/acceptance/extra_broken" "$work/broken"

echo "== a passing suite from $work/pass"
make -C "$src" test BUILD="$build/extra-pass" EXTRA_TESTS="$work/pass" TEST=extra_hello \
	> "$work/pass.log" 2>&1 || { cat "$work/pass.log"; echo "FAIL: make test with a passing extra suite failed"; exit 1; }
grep -q "kernel.extra_hello .* Passed" "$work/pass.log" || { cat "$work/pass.log"; echo "FAIL: kernel.extra_hello did not run"; exit 1; }
grep -q "2 passed, 0 failed" "$build/extra-pass/Testing/Temporary/LastTest.log" || { cat "$work/pass.log"; echo "FAIL: extra_hello cases missing"; exit 1; }

echo "== a broken suite from $work/broken"
if make -C "$src" test BUILD="$build/extra-broken" EXTRA_TESTS="$work/broken" TEST=extra_broken \
	> "$work/broken.log" 2>&1; then
	cat "$work/broken.log"; echo "FAIL: make test passed with a broken test"; exit 1
fi
grep -q "kernel.extra_broken .*Failed" "$work/broken.log" || { cat "$work/broken.log"; echo "FAIL: ctest did not report the broken suite"; exit 1; }
grep -q "1 passed, 1 failed" "$work/broken.log" || { cat "$work/broken.log"; echo "FAIL: wrong summary for the broken suite"; exit 1; }
echo "extra_tests: 2 passed, 0 failed"
