/*
 * test_cmdline.c: host tests of the command line and its tunables
 * (kern/cmdline.c): numbers, sizes, ranges, words, unknown keys, the
 * length limit and `help`.  Every report the parser makes is captured and
 * checked, so a value taken silently fails.
 */
#include "kern/cmdline.h"
#include "tests/unit/fake_kern.h"
#include "tests/unit/utest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char out[8192];		/* what kprintf printed since cmdline_set */

TUNABLE_NUMBER(t_count, "count", 8, 1, 16, "N", NULL, "a count");
TUNABLE_BYTES(t_size, "size", 32ul << 20, 64ul << 10, 1ul << 40, "N", NULL, "a size");
TUNABLE_NUMBER(t_computed, "computed", 0, 1, 100, "N", "RAM/32", "a computed default");
TUNABLE_TEXT(t_word, "policy", "strict|deferred", "strict|deferred", "strict", "a word");
TUNABLE_TEXT(t_list, "list", NULL, "A[,B...]", "none", "a list");
TUNABLE_FLAG(t_flag, "flag", "a flag");

/* cmdline_set: take s as the command line, the printed output cleared first. */
static void cmdline_set(const char *s)
{
	fake_kern_capture(out, sizeof(out));
	cmdline_init(s, strlen(s));
}

UTEST(cmdline, numbers_with_suffixes_and_defaults)
{
	cmdline_set("count=12 size=1G");
	UT_EXPECT_EQ(tunable_number(&t_count), 12);
	UT_EXPECT_EQ(tunable_number(&t_size), 1ul << 30);
	UT_EXPECT_EQ(tunable_number(&t_computed), 0);	/* absent: the caller computes it */
	cmdline_set("size=0x10000 count=0x10");
	UT_EXPECT_EQ(tunable_number(&t_size), 0x10000);
	UT_EXPECT_EQ(tunable_number(&t_count), 16);
	UT_EXPECT_STREQ(out, "");
}

UTEST(cmdline, bad_numbers_are_reported_and_the_default_used)
{
	static const char *const bad[] = { "abc", "-5", "+5", "1X", "12KB", "", "99999999999999999999",
					   "16777216T", "0x" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char line[64];

		snprintf(line, sizeof(line), "size=%s", bad[i]);
		cmdline_set(line);
		UT_EXPECT_EQ(tunable_number(&t_size), 32ul << 20);
		UT_EXPECT(strstr(out, "cmdline: size=") != NULL);
		UT_EXPECT(strstr(out, ": using 32M") != NULL);
	}
	cmdline_set("computed=x");
	UT_EXPECT_EQ(tunable_number(&t_computed), 0);
	UT_EXPECT(strstr(out, "is not a number (digits, then K, M, G or T): using RAM/32") != NULL);
}

UTEST(cmdline, values_outside_the_range_are_held_to_it_with_a_report)
{
	cmdline_set("size=1 count=99");
	UT_EXPECT_EQ(tunable_number(&t_size), 64ul << 10);
	UT_EXPECT(strstr(out, "cmdline: size=1 is outside 64K to 1T: using 64K\n") != NULL);
	UT_EXPECT_EQ(tunable_number(&t_count), 16);
	UT_EXPECT(strstr(out, "cmdline: count=99 is outside 1 to 16: using 16\n") != NULL);
	cmdline_set("count=0");
	UT_EXPECT_EQ(tunable_number(&t_count), 1);
}

UTEST(cmdline, words_lists_and_flags)
{
	char buf[9];

	cmdline_set("policy=deferred list=a,b flag");
	UT_EXPECT(tunable_text(&t_word, buf, sizeof(buf)));
	UT_EXPECT_STREQ(buf, "deferred");
	UT_EXPECT(tunable_text(&t_list, buf, sizeof(buf)));
	UT_EXPECT_STREQ(buf, "a,b");
	UT_EXPECT(tunable_set(&t_flag));
	UT_EXPECT(!tunable_set(&t_count));
	UT_EXPECT_STREQ(out, "");

	cmdline_set("policy=lazy list=abcdefghij");
	UT_EXPECT(!tunable_text(&t_word, buf, sizeof(buf)));
	UT_EXPECT(strstr(out, "cmdline: policy=lazy is not one of strict|deferred: ignored") != NULL);
	UT_EXPECT(!tunable_text(&t_list, buf, sizeof(buf)));
	UT_EXPECT(strstr(out, "cmdline: list=abcdefghij is longer than 8 bytes: ignored") != NULL);
}

UTEST(cmdline, a_flag_takes_no_value_and_numbers_are_not_octal)
{
	cmdline_set("flag=off count=010");
	UT_EXPECT(!tunable_set(&t_flag));
	UT_EXPECT(strstr(out, "cmdline: flag=off: flag takes no value: ignored") != NULL);
	UT_EXPECT_EQ(tunable_number(&t_count), 10);
}

UTEST(cmdline, a_key_is_a_whole_word)
{
	cmdline_set("counter=3 xcount=4 count");
	UT_EXPECT_EQ(tunable_number(&t_count), 8);	/* bare: no value, the default */
	UT_EXPECT(tunable_set(&t_count));
}

UTEST(cmdline, unknown_keys_are_reported)
{
	cmdline_set("count=3 colour=blue  flag cnt");
	UT_EXPECT(strstr(out, "cmdline: unknown key \"colour\": ignored") != NULL);
	UT_EXPECT(strstr(out, "cmdline: unknown key \"cnt\": ignored") != NULL);
	UT_EXPECT(strstr(out, "\"count\"") == NULL);
	UT_EXPECT(strstr(out, "\"flag\"") == NULL);
}

UTEST(cmdline, a_line_too_long_is_refused_whole)
{
	size_t n = CMDLINE_MAX + 10;
	char *line = malloc(n + 1);

	UT_ASSERT(line != NULL);
	memset(line, 'x', n);
	memcpy(line, "count=3 ", 8);
	line[n] = '\0';
	cmdline_set(line);
	UT_EXPECT(strstr(out, "cmdline: 4106 bytes, more than 4095: refused") != NULL);
	UT_EXPECT_EQ(tunable_number(&t_count), 8);
	UT_EXPECT_STREQ(cmdline_raw(), "");
	line[CMDLINE_MAX - 1] = '\0';	/* 4095 bytes: taken whole */
	cmdline_set(line);
	UT_EXPECT_EQ(tunable_number(&t_count), 3);
	UT_EXPECT_EQ(strlen(cmdline_raw()), CMDLINE_MAX - 1);
	free(line);
}

UTEST(cmdline, help_lists_every_tunable_sorted)
{
	cmdline_set("");
	cmdline_help();
	UT_EXPECT_STREQ(out,
		"| parameter | default | range | meaning |\n|---|---|---|---|\n"
		"| `computed=N` | RAM/32 | 1 to 100 | a computed default |\n"
		"| `count=N` | 8 | 1 to 16 | a count |\n"
		"| `flag` | off |  | a flag |\n"
		"| `list=A[,B...]` | none |  | a list |\n"
		"| `policy=strict\\|deferred` | strict | strict\\|deferred | a word |\n"
		"| `size=N` | 32M | 64K to 1T | a size |\n");
}

int main(int argc, char **argv)
{
	return utest_main(argc, argv);
}
