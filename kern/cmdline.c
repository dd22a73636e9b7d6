/*
 * cmdline.c: see cmdline.h.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "kern/cmdline.h"
#include "kern/kernel.h"

static char cmdline[CMDLINE_MAX];

void cmdline_init(const char *bootargs, size_t n)
{
	if (n >= sizeof(cmdline) || n != strlen(bootargs)) {
		kprintf("cmdline: %zu bytes, more than %zu: refused, nothing of it used\n", n,
			sizeof(cmdline) - 1);
		cmdline[0] = '\0';
		return;
	}
	memcpy(cmdline, bootargs, n + 1);
}

const char *cmdline_raw(void)
{
	return cmdline;
}

/* cmdline_find: start of the word whose key is `key`, and its length; NULL if absent. */
static const char *cmdline_find(const char *key, size_t *wordlen)
{
	size_t klen = strlen(key);

	for (const char *p = cmdline; *p;) {
		size_t n;

		while (*p == ' ')
			p++;
		n = strcspn(p, " ");
		if (n >= klen && strncmp(p, key, klen) == 0 && (n == klen || p[klen] == '=')) {
			*wordlen = n;
			return p;
		}
		p += n;
	}
	return NULL;
}

bool cmdline_get(const char *key, char *buf, size_t len)
{
	size_t n, klen = strlen(key);
	const char *w = cmdline_find(key, &n);

	if (!w || n == klen || len == 0)
		return false;
	n = MIN(n - klen - 1, len - 1);
	memcpy(buf, w + klen + 1, n);
	buf[n] = '\0';
	return true;
}

/* cmdline_unit: the multiplier a size suffix names (K, M, G, T), 1 for none, 0 if unknown. */
static unsigned long cmdline_unit(const char *s, char **end)
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

unsigned long cmdline_get_u64(const char *key, unsigned long def)
{
	char buf[32], *end;
	unsigned long v, unit;
	const char *why = NULL;

	if (!cmdline_get(key, buf, sizeof(buf)))
		return def;
	errno = 0;
	v = strtoul(buf, &end, 0);
	unit = cmdline_unit(end, &end);
	if (end == buf || !unit || buf[0] == '-' || buf[0] == '+')
		why = "is not a number (digits, then K, M, G or T)";
	else if (errno == ERANGE || v > ULONG_MAX / unit)
		why = "is too large";
	if (why) {
		kprintf("cmdline: %s=%s %s: using %lu\n", key, buf, why, def);
		return def;
	}
	return v * unit;
}

bool cmdline_flag(const char *word)
{
	size_t n;

	return cmdline_find(word, &n) != NULL;
}
