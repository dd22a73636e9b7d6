/*
 * cmdline.h: the kernel command line (/chosen/bootargs, QEMU -append):
 * space-separated words, each "key=value" or a bare flag.
 *
 * Every key the kernel reads is a tunable, declared once where it is used:
 *
 *   TUNABLE_BYTES(swapfile_size, "swapfile.size", 32ul << 20, 64ul << 10, 1ul << 40,
 *                 "N", NULL, "bytes per swap file");
 *   ...
 *   size = tunable_number(&swapfile_size);
 *
 * The declarations are one table (the linker gathers them): it drives the
 * parsing and the range each value is held to, the check that reports keys
 * nothing declares, and `help`, which prints the table (the README's table
 * of parameters is that listing) and ends the machine.  Every value that is
 * refused or held to its range is reported on the console.
 */
#ifndef KERN_CMDLINE_H
#define KERN_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>

#define CMDLINE_MAX	4096	/* bytes of command line kept, its NUL included */

enum tunable_kind {
	TUNABLE_KIND_NUMBER,	/* a count or a time: decimal or 0x hex, K/M/G/T suffix */
	TUNABLE_KIND_BYTES,	/* a size: the same, shown with its suffix */
	TUNABLE_KIND_TEXT,	/* a word, or a list; `words` the accepted ones if not NULL */
	TUNABLE_KIND_FLAG,	/* a bare word */
};

struct tunable {
	const char *name;		/* the key */
	enum tunable_kind kind;
	unsigned long def, min, max;	/* numbers: default (if no def_text) and range */
	const char *syntax;		/* the value as `help` shows it: "N", "MS", "TAG[:DIR]" */
	const char *def_text;		/* the default as `help` shows it, if not def */
	const char *words;		/* TEXT: the accepted values, '|' between them */
	const char *meaning;
};

#define TUNABLE_DECLARE(var, ...)						\
	static const struct tunable var						\
		__attribute__((used, section("tunables"), aligned(8))) = { __VA_ARGS__ }
/*
 * A number in [min, max], def if absent; def_text (if not NULL) says what
 * the default is when the user computes it (def is then a marker: 0).
 */
#define TUNABLE_NUMBER(var, name, def, min, max, syntax, def_text, meaning)	\
	TUNABLE_DECLARE(var, name, TUNABLE_KIND_NUMBER, def, min, max, syntax, def_text, NULL, \
			meaning)
#define TUNABLE_BYTES(var, name, def, min, max, syntax, def_text, meaning)	\
	TUNABLE_DECLARE(var, name, TUNABLE_KIND_BYTES, def, min, max, syntax, def_text, NULL, \
			meaning)
/* A word: one of `words` ('|' between them), or anything if words is NULL. */
#define TUNABLE_TEXT(var, name, words, syntax, def_text, meaning)		\
	TUNABLE_DECLARE(var, name, TUNABLE_KIND_TEXT, 0, 0, 0, syntax, def_text, words, meaning)
#define TUNABLE_FLAG(var, name, meaning)					\
	TUNABLE_DECLARE(var, name, TUNABLE_KIND_FLAG, 0, 0, 0, NULL, "off", NULL, meaning)

/*
 * cmdline_init: the command line is bootargs, n bytes long as the boot
 * loader gave it; one longer than CMDLINE_MAX - 1 bytes (or cut before it
 * got here) is refused whole, with a console message: none of it is used.
 * Keys no tunable declares are reported.
 */
void cmdline_init(const char *bootargs, size_t n);
const char *cmdline_raw(void);
/* cmdline_help: print every tunable, sorted by name, as the README's table. */
void cmdline_help(void);

/*
 * tunable_number: t's value (TUNABLE_NUMBER or _BYTES); t->def if absent,
 * and t->def with a report if not a number, negative or too large; a value
 * outside [t->min, t->max] is held to it, with a report.
 */
unsigned long tunable_number(const struct tunable *t);
/*
 * tunable_text: copy t's value (TUNABLE_TEXT) into buf, NUL-terminated;
 * false if absent, and false with a report if it does not fit in len bytes
 * or is not one of t->words.
 */
bool tunable_text(const struct tunable *t, char *buf, size_t len);
/*
 * tunable_set: true if t's key is present, bare or with a value; a flag
 * given a value ("pageout=off") is reported and counts as absent.
 */
bool tunable_set(const struct tunable *t);

#endif
