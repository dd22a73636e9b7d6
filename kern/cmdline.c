/*
 * cmdline.c: see cmdline.h.
 */
#include <stdlib.h>
#include <string.h>

#include "kern/cmdline.h"
#include "kern/kernel.h"

#define CMDLINE_MAX 256

static char cmdline[CMDLINE_MAX];

void cmdline_init(const char *bootargs)
{
	strncpy(cmdline, bootargs, sizeof(cmdline) - 1);
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

unsigned long cmdline_get_u64(const char *key, unsigned long def)
{
	char buf[32], *end;
	unsigned long v;

	if (!cmdline_get(key, buf, sizeof(buf)))
		return def;
	v = strtoul(buf, &end, 0);
	switch (*end) {
	case 'K': case 'k': v *= KiB; end++; break;
	case 'M': case 'm': v *= MiB; end++; break;
	case 'G': case 'g': v *= GiB; end++; break;
	default: break;
	}
	return (*end || end == buf) ? def : v;
}

bool cmdline_flag(const char *word)
{
	size_t n;

	return cmdline_find(word, &n) != NULL;
}
