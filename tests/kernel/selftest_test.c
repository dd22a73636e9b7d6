/*
 * selftest_test.c: suites that end the machine on purpose, run only by the
 * acceptance scripts (names starting "selftest_" are left out of test=all).
 */
#include "kern/kernel.h"
#include "kern/thread.h"
#include "tests/kernel/ktest.h"

KTEST(selftest_panic, panics)
{
	panic("selftest: deliberate panic %d", 42);
}

/*
 * stack_eat: recurse with a frame of about a KiB until the stack runs into
 * its guard page (the volatile buffer keeps the frames, the sum keeps the
 * recursion from becoming a loop; the depth limit is never reached).
 */
static volatile uint64_t stack_eat_limit = UINT64_MAX;

static __attribute__((noinline)) uint64_t stack_eat(uint64_t depth)
{
	volatile uint8_t frame[1024];

	if (depth >= stack_eat_limit)
		return 0;
	frame[0] = (uint8_t)depth;
	frame[sizeof(frame) - 1] = (uint8_t)(depth >> 8);
	return stack_eat(depth + 1) + frame[0] + frame[sizeof(frame) - 1];
}

KTEST(selftest_stack_overflow, recursion_hits_the_guard_page)
{
	kprintf("selftest: recursing on a %d KiB stack\n", THREAD_STACK_SIZE / 1024);
	stack_eat(0);
	panic("selftest: the recursion came back");
}
