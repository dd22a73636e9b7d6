/*
 * A deliberately broken suite: extra_tests.sh checks that it fails under
 * ctest and makes `make test` exit non-zero.
 */
#include "tests/kernel/ktest.h"

KTEST_RUN(extra_broken, "test=extra_broken", "-m 128M -smp 1");

KTEST(extra_broken, passes)
{
	EXPECT_EQ(1, 1);
}

KTEST(extra_broken, fails_on_purpose)
{
	EXPECT_EQ(1 + 1, 3);
}
