#!/bin/sh
# stack_guard.sh SRC BUILD: a kernel thread that overflows its stack faults
# on the guard page below it; the trap is reported from the hart's
# emergency stack (the overflowing function named) and the machine stops
# with status 2 (EXIT_STATUS_PANIC), on one hart and on four.
set -eu
src=$1 build=$2
log=$(mktemp)
trap 'rm -f "$log"' EXIT
fail=0
for smp in 1 4; do
	status=0
	"$src/tools/qemu-run.sh" "$build/image/kernel.elf" "test=selftest_stack_overflow" \
		-m 128M -smp $smp > "$log" 2>&1 || status=$?
	[ "$status" -eq 2 ] || { echo "FAIL: -smp $smp: exit status $status, expected 2"; fail=1; }
	for want in "panic on hart" "kernel stack overflow: thread recursion_hits_the_guar" \
		    "(guard page 0x" "at stack_eat" "TRAP: store/AMO page fault" "ktest_case_thread+0x"; do
		grep -qF "$want" "$log" || { echo "FAIL: -smp $smp: output lacks: $want"; fail=1; }
	done
	[ $fail -eq 0 ] || { cat "$log"; exit 1; }
done
echo "stack_guard: 2 passed, 0 failed"
