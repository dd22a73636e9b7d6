/*
 * utest.h: a minimal host unit-test framework.
 *
 *     #include "tests/unit/utest.h"
 *
 *     UTEST(vm_map, protect_splits_entry)
 *     {
 *             UT_ASSERT(map != NULL);          // stops this test if false
 *             UT_EXPECT_EQ(map->nentries, 3);  // records, carries on
 *     }
 *
 *     int main(int argc, char **argv) { return utest_main(argc, argv); }
 *
 * utest.c does not provide main: each test program writes the line above.
 *
 * Tests register themselves before main (a constructor per UTEST) and run
 * in definition order.  Command line:
 *
 *     prog [--filter TEXT] [ARG...]
 *
 * runs only the tests whose "suite.name" contains TEXT; the other
 * arguments are positional, read with utest_arg(0), utest_arg(1), ...
 * Each failure prints "file:line: ..." with the expression; the last line
 * printed is exactly "N passed, N failed" and the exit status is 0 iff no
 * test failed.  UT_ASSERT leaves the test with longjmp, so it works from
 * helper functions too; resources the test held at that point are leaked.
 */
#ifndef TESTS_UNIT_UTEST_H
#define TESTS_UNIT_UTEST_H

#include <stdint.h>

typedef void (*utest_fn)(void);

/* UTEST: define and register test `suite.name`; the body follows. */
#define UTEST(suite, name)                                                    \
	static void utest_body_##suite##_##name(void);                        \
	__attribute__((constructor)) static void                              \
	utest_register_##suite##_##name(void)                                 \
	{                                                                     \
		utest_register(#suite, #name, utest_body_##suite##_##name);   \
	}                                                                     \
	static void utest_body_##suite##_##name(void)

/* UT_EXPECT: record a failure if cond is false; the test carries on. */
#define UT_EXPECT(cond) \
	utest_check((cond) ? 1 : 0, __FILE__, __LINE__, #cond)

/* UT_EXPECT_EQ: integers a == b, compared and printed as 64-bit values. */
#define UT_EXPECT_EQ(a, b) \
	utest_check_eq((uint64_t)(a), (uint64_t)(b), __FILE__, __LINE__, #a, #b)

/* UT_EXPECT_STREQ: C strings equal (two NULLs are equal). */
#define UT_EXPECT_STREQ(a, b) \
	utest_check_streq((a), (b), __FILE__, __LINE__, #a, #b)

/* UT_ASSERT: like UT_EXPECT, but a failure ends the current test. */
#define UT_ASSERT(cond)                                                       \
	do {                                                                  \
		if (!utest_check((cond) ? 1 : 0, __FILE__, __LINE__, #cond))  \
			utest_abort();                                        \
	} while (0)

void utest_register(const char *suite, const char *name, utest_fn fn);
int utest_check(int ok, const char *file, int line, const char *expr);
int utest_check_eq(uint64_t a, uint64_t b, const char *file, int line, const char *expr_a,
		   const char *expr_b);
int utest_check_streq(const char *a, const char *b, const char *file, int line,
		      const char *expr_a, const char *expr_b);
__attribute__((noreturn)) void utest_abort(void);

/* utest_arg: the i-th positional (non-flag) argument, NULL if absent. */
const char *utest_arg(int i);

/* utest_main: run the registered tests; 0 iff none failed. */
int utest_main(int argc, char **argv);

#endif
