/*
 * utest.c: registry, checks and runner for tests/unit/utest.h.
 */
#include "tests/unit/utest.h"

#include <inttypes.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UTEST_MAX_TESTS	1024
#define UTEST_MAX_ARGS	16

struct utest_case {
	const char *suite;
	const char *name;
	utest_fn fn;
};

static struct utest_case utest_cases[UTEST_MAX_TESTS];
static int utest_ncases;

static const char *utest_args[UTEST_MAX_ARGS];
static int utest_nargs;

/* State of the test being run. */
static int utest_current_failures;
static jmp_buf utest_escape;

/*
 * utest_register: add a test; called by UTEST's constructor before main.
 *
 * => exits if the table is full: silently dropping a test would hide it
 */
void
utest_register(const char *suite, const char *name, utest_fn fn)
{
	if (utest_ncases == UTEST_MAX_TESTS) {
		fprintf(stderr, "utest: more than %d tests, raise UTEST_MAX_TESTS\n",
			UTEST_MAX_TESTS);
		exit(2);
	}
	utest_cases[utest_ncases++] = (struct utest_case){ suite, name, fn };
}

/* utest_failure_begin: count a failure and print its "file:line: " prefix. */
static void
utest_failure_begin(const char *file, int line)
{
	utest_current_failures++;
	printf("%s:%d: ", file, line);
}

int
utest_check(int ok, const char *file, int line, const char *expr)
{
	if (!ok) {
		utest_failure_begin(file, line);
		printf("expected %s\n", expr);
	}
	return ok;
}

int
utest_check_eq(uint64_t a, uint64_t b, const char *file, int line, const char *expr_a,
	       const char *expr_b)
{
	if (a != b) {
		utest_failure_begin(file, line);
		printf("expected %s == %s\n    left:  0x%" PRIx64 "\n    right: 0x%" PRIx64 "\n",
		       expr_a, expr_b, a, b);
	}
	return a == b;
}

int
utest_check_streq(const char *a, const char *b, const char *file, int line,
		  const char *expr_a, const char *expr_b)
{
	int ok = (a == NULL || b == NULL) ? a == b : strcmp(a, b) == 0;

	if (!ok) {
		utest_failure_begin(file, line);
		printf("expected %s equal to %s\n    left:  %s%s%s\n    right: %s%s%s\n",
		       expr_a, expr_b, a ? "\"" : "", a ? a : "NULL", a ? "\"" : "",
		       b ? "\"" : "", b ? b : "NULL", b ? "\"" : "");
	}
	return ok;
}

/* utest_abort: leave the current test (UT_ASSERT failed). */
void
utest_abort(void)
{
	longjmp(utest_escape, 1);
}

const char *
utest_arg(int i)
{
	return (i >= 0 && i < utest_nargs) ? utest_args[i] : NULL;
}

/*
 * utest_parse_args: take --filter TEXT (or --filter=TEXT); keep the rest
 * as positional arguments.
 *
 * => returns the filter ("" matches every test), NULL on a usage error
 */
static const char *
utest_parse_args(int argc, char **argv)
{
	const char *filter = "";

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--filter") == 0) {
			if (++i == argc)
				return NULL;
			filter = argv[i];
		} else if (strncmp(argv[i], "--filter=", 9) == 0) {
			filter = argv[i] + 9;
		} else if (utest_nargs < UTEST_MAX_ARGS) {
			utest_args[utest_nargs++] = argv[i];
		} else {
			return NULL;
		}
	}
	return filter;
}

/* utest_matches: "suite.name" contains filter. */
static int
utest_matches(const struct utest_case *tc, const char *filter)
{
	char full[256];

	snprintf(full, sizeof(full), "%s.%s", tc->suite, tc->name);
	return strstr(full, filter) != NULL;
}

/* utest_run_one: run one test; returns its failure count. */
static int
utest_run_one(const struct utest_case *tc)
{
	utest_current_failures = 0;
	if (setjmp(utest_escape) == 0)
		tc->fn();
	printf("%s %s.%s\n", utest_current_failures ? "FAIL" : "ok  ", tc->suite, tc->name);
	fflush(stdout);
	return utest_current_failures;
}

int
utest_main(int argc, char **argv)
{
	const char *filter = utest_parse_args(argc, argv);
	int passed = 0, failed = 0;

	if (filter == NULL) {
		fprintf(stderr, "usage: %s [--filter TEXT] [ARG...]\n", argv[0]);
		return 2;
	}
	for (int i = 0; i < utest_ncases; i++) {
		if (!utest_matches(&utest_cases[i], filter))
			continue;
		if (utest_run_one(&utest_cases[i]) == 0)
			passed++;
		else
			failed++;
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed == 0 ? 0 : 1;
}
