#!/bin/sh
# panic_report.sh SRC BUILD: a panic prints its message and a symbolised
# backtrace, stops the machine and exits with status 2 (EXIT_STATUS_PANIC).
set -eu
src=$1 build=$2
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
"$src/tools/qemu-run.sh" "$build/image/kernel.elf" "test=selftest_panic" -m 128M -smp 2 > "$log" 2>&1 || status=$?
fail=0
[ "$status" -eq 2 ] || { echo "FAIL: exit status $status, expected 2"; fail=1; }
for want in "panic on hart" "selftest: deliberate panic 42" "ktest_fn_selftest_panic_panics+0x" "ktest_case_thread+0x"; do
	grep -qF "$want" "$log" || { echo "FAIL: panic output lacks: $want"; fail=1; }
done
[ $fail -eq 0 ] || { cat "$log"; exit 1; }
echo "panic_report: 1 passed, 0 failed"
