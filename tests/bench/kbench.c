/*
 * kbench.c: see kbench.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "kern/kernel.h"
#include "platform/riscv/hart.h"
#include "platform/riscv/riscv.h"
#include "platform/riscv/smp.h"
#include "tests/bench/kbench.h"

extern const struct kbench_case __kbench_start[], __kbench_end[];

static char kbench_extra[192];	/* kbench_note of the running benchmark */
static uint64_t kbench_started;		/* rdinstret as kbench_main began */

uint64_t kbench_boot_instret(void)
{
	return kbench_started;
}

void kbench_note(const char *fmt, ...)
{
	va_list ap;

	kbench_extra[0] = ',';
	va_start(ap, fmt);
	vsnprintf(kbench_extra + 1, sizeof(kbench_extra) - 1, fmt, ap);
	va_end(ap);
}

static bool kbench_selected(const char *names, const char *name)
{
	if (strcmp(names, "all") == 0)
		return true;
	for (const char *p = names; *p;) {
		size_t len = strcspn(p, ",");

		if (len && strncmp(p, name, len) == 0)
			return true;
		p += len + (p[len] == ',');
	}
	return false;
}

static void kbench_tick_set(void *on)
{
	if (on)
		csr_set(sie, SIE_STIE);
	else
		csr_clear(sie, SIE_STIE);
}

void kbench_ticks(bool on)
{
	for (int i = 0; i < hart_count; i++)
		smp_call(i, kbench_tick_set, on ? (void *)1 : NULL);
}

static void kbench_run(const struct kbench_case *b)
{
	uint64_t v[KBENCH_RUNS], lo = UINT64_MAX, hi = 0;
	char extra[sizeof(kbench_extra)] = "";

	kbench_ticks(false);
	for (int r = 0; r < KBENCH_RUNS; r++) {
		kbench_extra[0] = '\0';
		v[r] = b->fn(b->iters);
		if (v[r] < lo)		/* the notes of the run reported */
			memcpy(extra, kbench_extra, sizeof(extra));
		lo = MIN(lo, v[r]);
		hi = MAX(hi, v[r]);
	}
	kbench_ticks(true);
	if (lo == hi)
		kprintf("BENCH {\"name\":\"%s\",\"unit\":\"%s\",\"value\":%lu,\"runs\":%d%s}\n",
			b->name, b->unit, lo, KBENCH_RUNS, extra);
	else
		kprintf("BENCH {\"name\":\"%s\",\"unit\":\"%s\",\"value\":%lu,\"runs\":%d,\"spread\":%lu%s}\n",
			b->name, b->unit, lo, KBENCH_RUNS, hi - lo, extra);
}

int kbench_main(const char *names)
{
	int n = 0;

	kbench_started = rdinstret();
	for (const struct kbench_case *b = __kbench_start; b < __kbench_end; b++) {
		if (!kbench_selected(names, b->name))
			continue;
		kbench_run(b);
		n++;
	}
	kprintf("kbench: %d benchmark%s\n", n, n == 1 ? "" : "s");
	return n ? EXIT_STATUS_OK : EXIT_STATUS_FAILED;
}
