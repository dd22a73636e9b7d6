/*
 * selftest_test.c: suites that end the machine on purpose, run only by the
 * acceptance scripts (names starting "selftest_" are left out of test=all).
 */
#include "tests/kernel/ktest.h"

KTEST(selftest_panic, panics)
{
	panic("selftest: deliberate panic %d", 42);
}
