/*
 * cmdline.c: see cmdline.h.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kern/cmdline.h"
#include "kern/kernel.h"

extern const struct tunable __start_tunables[], __stop_tunables[];

static char cmdline[CMDLINE_MAX];

/* cmdline_word: the next word at or after *p (its length in *n); NULL at the end. */
static const char *cmdline_word(const char **p, size_t *n)
{
	const char *w = *p;

	while (*w == ' ')
		w++;
	if (!*w)
		return NULL;
	*n = strcspn(w, " ");
	*p = w + *n;
	return w;
}

/* tunable_lookup: the tunable whose name is the klen bytes at key; NULL if none. */
static const struct tunable *tunable_lookup(const char *key, size_t klen)
{
	for (const struct tunable *t = __start_tunables; t < __stop_tunables; t++)
		if (strlen(t->name) == klen && strncmp(t->name, key, klen) == 0)
			return t;
	return NULL;
}

/* cmdline_check_keys: report every word whose key no tunable declares. */
static void cmdline_check_keys(void)
{
	const char *p = cmdline, *w;
	size_t n;

	while ((w = cmdline_word(&p, &n)) != NULL) {
		size_t klen = strcspn(w, "= ");

		if (!tunable_lookup(w, klen))
			kprintf("cmdline: unknown key \"%.*s\": ignored (\"help\" lists the known "
				"ones)\n", (int)klen, w);
	}
}

void cmdline_init(const char *bootargs, size_t n)
{
	if (n >= sizeof(cmdline) || n != strlen(bootargs)) {
		kprintf("cmdline: %zu bytes, more than %zu: refused, nothing of it used\n", n,
			sizeof(cmdline) - 1);
		cmdline[0] = '\0';
		return;
	}
	memcpy(cmdline, bootargs, n + 1);
	cmdline_check_keys();
}

const char *cmdline_raw(void)
{
	return cmdline;
}

/* cmdline_find: the word whose key is `key` and its length; NULL if absent. */
static const char *cmdline_find(const char *key, size_t *wordlen)
{
	size_t klen = strlen(key);
	const char *p = cmdline, *w;

	while ((w = cmdline_word(&p, wordlen)) != NULL)
		if (*wordlen >= klen && strncmp(w, key, klen) == 0 &&
		    (*wordlen == klen || w[klen] == '='))
			return w;
	return NULL;
}

/*
 * cmdline_value: t's value (after '=') and its length in *n; NULL if the
 * key is absent or bare.
 */
static const char *cmdline_value(const struct tunable *t, size_t *n)
{
	size_t klen = strlen(t->name);
	const char *w = cmdline_find(t->name, n);

	if (!w || *n == klen)
		return NULL;
	*n -= klen + 1;
	return w + klen + 1;
}

bool tunable_set(const struct tunable *t)
{
	size_t n;
	const char *w = cmdline_find(t->name, &n);

	if (w && t->kind == TUNABLE_KIND_FLAG && n != strlen(t->name)) {
		kprintf("cmdline: %.*s: %s takes no value: ignored\n", (int)n, w, t->name);
		return false;
	}
	return w != NULL;
}

/* tunable_word_ok: true if the n bytes at v are one of words ('|' between them). */
static bool tunable_word_ok(const char *words, const char *v, size_t n)
{
	for (const char *w = words; *w;) {
		size_t len = strcspn(w, "|");

		if (len == n && strncmp(w, v, n) == 0)
			return true;
		w += len + (w[len] == '|');
	}
	return false;
}

bool tunable_text(const struct tunable *t, char *buf, size_t len)
{
	size_t n;
	const char *v = cmdline_value(t, &n);

	KASSERT(t->kind == TUNABLE_KIND_TEXT, "tunable_text: %s is not text", t->name);
	if (!v || len == 0)
		return false;
	if (n >= len) {
		kprintf("cmdline: %s=%.*s is longer than %zu bytes: ignored\n", t->name, (int)n, v,
			len - 1);
		return false;
	}
	if (t->words && !tunable_word_ok(t->words, v, n)) {
		kprintf("cmdline: %s=%.*s is not one of %s: ignored\n", t->name, (int)n, v,
			t->words);
		return false;
	}
	memcpy(buf, v, n);
	buf[n] = '\0';
	return true;
}

/* tunable_unit: the multiplier a size suffix names (K, M, G, T), 1 for none, 0 if unknown. */
static unsigned long tunable_unit(const char *s, char **end)
{
	static const char units[] = "KMGT";
	const char *u = *s ? strchr(units, *s & ~0x20) : NULL;

	if (!*s)
		return 1;
	if (!u || s[1])
		return 0;
	*end = (char *)s + 1;
	return 1ul << (10 * (u - units + 1));
}

/* tunable_format: v as t shows it (a size with its largest exact suffix) in buf. */
static const char *tunable_format(const struct tunable *t, unsigned long v, char *buf, size_t len)
{
	static const char units[] = "TGMK";
	int shift = 40;

	for (const char *u = units; t->kind == TUNABLE_KIND_BYTES && *u; u++, shift -= 10)
		if (v && v % (1ul << shift) == 0) {
			snprintf(buf, len, "%lu%c", v >> shift, *u);
			return buf;
		}
	snprintf(buf, len, "%lu", v);
	return buf;
}

/* tunable_parse: the number in v (n bytes) in *out; a reason it is not one, or NULL. */
static const char *tunable_parse(const char *v, size_t n, unsigned long *out)
{
	char buf[32], *end;
	unsigned long x, unit;

	if (n >= sizeof(buf))
		return "is too long to be a number";
	memcpy(buf, v, n);
	buf[n] = '\0';
	errno = 0;
	x = strtoul(buf, &end, buf[0] == '0' && (buf[1] | 0x20) == 'x' ? 16 : 10);
	unit = tunable_unit(end, &end);
	if (end == buf || !unit || buf[0] == '-' || buf[0] == '+')
		return "is not a number (digits, then K, M, G or T)";
	if (errno == ERANGE || x > ULONG_MAX / unit)
		return "is too large";
	*out = x * unit;
	return NULL;
}

unsigned long tunable_number(const struct tunable *t)
{
	char a[24], b[24];
	size_t n;
	const char *v = cmdline_value(t, &n), *why;
	unsigned long x;

	KASSERT(t->kind == TUNABLE_KIND_NUMBER || t->kind == TUNABLE_KIND_BYTES,
		"tunable_number: %s is not a number", t->name);
	if (!v)
		return t->def;
	why = tunable_parse(v, n, &x);
	if (why) {
		kprintf("cmdline: %s=%.*s %s: using %s\n", t->name, (int)n, v, why,
			t->def_text ? t->def_text : tunable_format(t, t->def, a, sizeof(a)));
		return t->def;
	}
	if (x < t->min || x > t->max) {
		unsigned long held = x < t->min ? t->min : t->max;

		kprintf("cmdline: %s=%.*s is outside %s to %s: using %s\n", t->name, (int)n, v,
			tunable_format(t, t->min, a, sizeof(a)), tunable_format(t, t->max, b, sizeof(b)),
			x < t->min ? a : b);
		return held;
	}
	return x;
}

/* ---- help -------------------------------------------------------------------- */

/* tunable_cell: s with every '|' escaped (it would end a table cell), in buf. */
static const char *tunable_cell(const char *s, char *buf, size_t len)
{
	size_t n = 0;

	for (; *s && n + 2 < len; s++) {
		if (*s == '|')
			buf[n++] = '\\';
		buf[n++] = *s;
	}
	buf[n] = '\0';
	return buf;
}

/* tunable_print_row: t as one row of the README's table. */
static void tunable_print_row(const struct tunable *t)
{
	char def[24], lo[24], hi[24], range[64] = "", syntax[64];

	if ((t->kind == TUNABLE_KIND_NUMBER || t->kind == TUNABLE_KIND_BYTES) && t->max == ULONG_MAX)
		snprintf(range, sizeof(range), "%s or more", tunable_format(t, t->min, lo, sizeof(lo)));
	else if (t->kind == TUNABLE_KIND_NUMBER || t->kind == TUNABLE_KIND_BYTES)
		snprintf(range, sizeof(range), "%s to %s", tunable_format(t, t->min, lo, sizeof(lo)),
			 tunable_format(t, t->max, hi, sizeof(hi)));
	else if (t->words)
		tunable_cell(t->words, range, sizeof(range));
	kprintf("| `%s%s%s` | %s | %s | %s |\n", t->name, t->syntax ? "=" : "",
		t->syntax ? tunable_cell(t->syntax, syntax, sizeof(syntax)) : "",
		t->def_text ? t->def_text : tunable_format(t, t->def, def, sizeof(def)), range,
		t->meaning);
}

void cmdline_help(void)
{
	const struct tunable *last = NULL;
	size_t count = (size_t)(__stop_tunables - __start_tunables);

	kprintf("| parameter | default | range | meaning |\n|---|---|---|---|\n");
	/* Sorted by name: each pass prints the least name above the last printed. */
	for (size_t i = 0; i < count; i++) {
		const struct tunable *next = NULL;

		for (const struct tunable *t = __start_tunables; t < __stop_tunables; t++)
			if ((!last || strcmp(t->name, last->name) > 0) &&
			    (!next || strcmp(t->name, next->name) < 0))
				next = t;
		if (!next)		/* the rest are names declared twice */
			break;
		tunable_print_row(next);
		last = next;
	}
}
