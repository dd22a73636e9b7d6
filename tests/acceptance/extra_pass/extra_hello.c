/*
 * A suite kept outside tests/kernel, built in only with
 * make test EXTRA_TESTS=tests/acceptance/extra_pass (see extra_tests.sh).
 */
#include "kern/thread.h"
#include "tests/kernel/ktest.h"

KTEST_RUN(extra_hello, "test=extra_hello", "-m 128M -smp 2");

KTEST(extra_hello, arithmetic)
{
	EXPECT_EQ(6 * 7, 42);
}

KTEST(extra_hello, runs_in_a_thread)
{
	EXPECT_TRUE(thread_current() != NULL);
}
