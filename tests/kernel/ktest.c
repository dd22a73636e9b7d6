/*
 * ktest.c: see ktest.h.
 */
#include <stdio.h>
#include <string.h>

#include "drivers/9p/p9.h"
#include "drivers/iommu/iommu.h"
#include "kern/cmdline.h"
#include "kern/kernel.h"
#include "kern/thread.h"
#include "platform/riscv/trap.h"
#include "tests/kernel/ktest.h"
#include "vm/vm_map.h"
#include "vm/vm_object.h"
#include "vm/vm_pager.h"
#include "vm/vm_page.h"
#include "vm/vm_zone.h"

#define KTEST_MAX_CASES 1024

extern const struct ktest_case __ktest_cases_start[], __ktest_cases_end[];

static struct ktest_ctx *ktest_running;	/* the case being run: helper threads' failures count there */

TUNABLE_NUMBER(tunable_expect_harts, "expect_harts", 0, 1, 64, "N", "none",
	       "(tests) the harts QEMU was given");
TUNABLE_BYTES(tunable_expect_mem, "expect_mem", 0, 1ul << 20, 1ul << 40, "N", "none",
	      "(tests) the memory QEMU was given");

TUNABLE_BYTES(tunable_expect_hole, "expect_hole", 0, 1, 1ul << 40, "ADDR", "none",
	      "(tests) the start of a hole the DTB leaves in RAM");
TUNABLE_BYTES(tunable_expect_hole_size, "expect_hole.size", 0, 1ul << 12, 1ul << 40, "N", "none",
	      "(tests) its size");

int ktest_expect_harts(void)
{
	return (int)tunable_number(&tunable_expect_harts);
}

uint64_t ktest_expect_mem(void)
{
	return tunable_number(&tunable_expect_mem);
}

uint64_t ktest_expect_hole(uint64_t *size)
{
	*size = tunable_number(&tunable_expect_hole_size);
	return *size ? tunable_number(&tunable_expect_hole) : 0;
}

struct ktest_ctx *ktest_ctx(void)
{
	struct thread *t = thread_current();

	return t ? t->fault_ctx : NULL;
}

void ktest_adopt(struct ktest_ctx *c)
{
	thread_current()->fault_ctx = c;
}

void ktest_fail(const char *file, int line, const char *fmt, ...)
{
	struct ktest_ctx *c = ktest_ctx() ? ktest_ctx() : ktest_running;
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	kprintf("    %s:%d: FAILED: %s\n", file, line, msg);
	if (c)
		__atomic_fetch_add(&c->failures, 1, __ATOMIC_RELAXED);
}

void ktest_end_case(void)
{
	struct ktest_ctx *c = ktest_ctx();

	KASSERT(c, "ktest_end_case outside a test");
	kjmp_jump(c->end, 1);
}

void ktest_fault_arm(uint64_t scause)
{
	struct ktest_ctx *c = ktest_ctx();

	c->fault_armed = true;
	c->fault_cause = scause;
	memset(&c->fault, 0, sizeof(c->fault));
}

void ktest_fault_check(const char *file, int line, bool taken, const char *what)
{
	struct ktest_ctx *c = ktest_ctx();

	c->fault_armed = false;
	if (!taken)
		ktest_fail(file, line, "expected fault 0x%lx (%s) from `%s` did not happen",
			   c->fault_cause, trap_cause_name(c->fault_cause), what);
	else if (c->fault.scause != c->fault_cause)
		ktest_fail(file, line, "`%s` faulted with %s, expected %s", what,
			   trap_cause_name(c->fault.scause), trap_cause_name(c->fault_cause));
}

void ktest_report(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kvprintf(fmt, ap);
	va_end(ap);
}

char ktest_captured[4096];
static size_t ktest_captured_len;

int ktest_capture(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(ktest_captured + ktest_captured_len,
		      sizeof(ktest_captured) - ktest_captured_len, fmt, ap);
	va_end(ap);
	if (n > 0)
		ktest_captured_len = MIN(ktest_captured_len + (size_t)n, sizeof(ktest_captured) - 1);
	return n;
}

void ktest_capture_reset(void)
{
	ktest_captured_len = 0;
	ktest_captured[0] = '\0';
}

uint64_t ktest_uread(uint64_t va)
{
	uint64_t v;

	csr_set(sstatus, SSTATUS_SUM);
	v = *(volatile uint64_t *)va;
	csr_clear(sstatus, SSTATUS_SUM);
	return v;
}

void ktest_uwrite(uint64_t va, uint64_t value)
{
	csr_set(sstatus, SSTATUS_SUM);
	*(volatile uint64_t *)va = value;
	csr_clear(sstatus, SSTATUS_SUM);
}

/* Trap resumption points: the trap returns here, on the test's own stack. */
static void ktest_resume_fault(void)
{
	kjmp_jump(ktest_ctx()->fault_jb, 1);
}

static void ktest_resume_end(void)
{
	kjmp_jump(ktest_ctx()->end, 1);
}

/*
 * ktest_trap_hook: exceptions nobody handled.  Inside a test they either
 * satisfy EXPECT_FAULT (any cause: the check compares it) or fail the
 * case with the decoded report; outside a test they are not ours.
 */
static bool ktest_trap_hook(struct trap_frame *tf)
{
	struct ktest_ctx *c = ktest_ctx();

	/* Only a fault of the test's own code: not one inside an interrupt handler. */
	if (!c || trap_from_user(tf) || thread_current()->trap_depth != 1)
		return false;
	if (c->fault_armed) {
		c->fault = (struct ktest_fault){ tf->scause, tf->stval, tf->sepc };
		c->fault_armed = false;
		tf->sepc = (uint64_t)ktest_resume_fault;
	} else {
		trap_report(tf);
		ktest_fail(__FILE__, __LINE__, "unexpected trap: %s (report above)",
			   trap_cause_name(tf->scause));
		tf->sepc = (uint64_t)ktest_resume_end;
	}
	/* Resume in S-mode with interrupts as the test had them. */
	tf->sstatus |= SSTATUS_SPP;
	return true;
}

static void ktest_case_thread(void *arg)
{
	struct ktest_ctx *c = arg;

	thread_current()->fault_ctx = c;
	if (kjmp_set(c->end) == 0)
		c->tc->fn();
	thread_current()->fault_ctx = NULL;
}

/* What a case must give back: it is measured before and after it runs. */
struct ktest_accounts {
	uint64_t free_pages, wired_pages, objects, map_entries;
	int threads;
};

/*
 * ktest_accounts_now: the counts, with the IOMMU's caches (deferred
 * flushes, cached I/O address ranges) and the thread stack cache emptied
 * first, and the zones' slack pages counted as free (zone_slack_pages):
 * what they hold is bounded by design, and would otherwise look like a
 * leak.
 */
static struct ktest_accounts ktest_accounts_now(void)
{
	if (iommu_unit)
		iommu_quiesce(iommu_unit);
	thread_stack_cache_trim(0);
	return (struct ktest_accounts){ zone_free_pages(),
					vm_page_wired_count(), vm_object_count(),
					vm_map_entry_count(), thread_count() };
}

/*
 * ktest_accounting_check: a case must leave free pages, wired pages and
 * live threads as it found them (its own thread is made and reaped
 * outside the window).
 */
static void ktest_accounting_check(struct ktest_ctx *c, const struct ktest_accounts *before)
{
	struct ktest_accounts after;

	/*
	 * The pageout daemon holds an object for the length of its write: a
	 * case under pressure can end with one still in flight.  Let it land.
	 * (Cached thread stacks hold objects too: they go first.)
	 */
	thread_stack_cache_trim(0);
	vm_pager_sync();
	for (int i = 0; i < 500 && vm_object_count() > before->objects; i++)
		thread_sleep_ns(10 * 1000 * 1000);
	after = ktest_accounts_now();

	if (after.free_pages != before->free_pages) {
		kprintf("    accounting: free pages %lu before, %lu after\n", before->free_pages,
			after.free_pages);
		c->failures++;
	}
	if (after.wired_pages != before->wired_pages) {
		kprintf("    accounting: wired pages %lu before, %lu after\n", before->wired_pages,
			after.wired_pages);
		c->failures++;
	}
	if (after.objects != before->objects || after.map_entries != before->map_entries) {
		kprintf("    accounting: %lu objects and %lu map entries before, %lu and %lu after\n",
			before->objects, before->map_entries, after.objects, after.map_entries);
		c->failures++;
	}
	if (after.threads != before->threads) {
		kprintf("    accounting: %d threads before, %d after\n", before->threads, after.threads);
		c->failures++;
	}
}

/*
 * ktest_join: wait for the case's thread; a case still running
 * ktest.stall seconds after it began gets one report of every thread and
 * where it waits, so that a suite killed by ctest's timeout leaves a trace
 * of why it hung.
 */
TUNABLE_NUMBER(tunable_ktest_stall, "ktest.stall", 200, 1, 7 * 24 * 3600, "S", NULL,
	       "(tests) seconds a case may run before the threads are reported");

static void ktest_join(const struct ktest_case *tc, struct thread *t)
{
	uint64_t stall = tunable_number(&tunable_ktest_stall);
	int code;

	if (thread_join_deadline(t, thread_deadline_after(stall * 1000000000ull), &code))
		return;
	kprintf("ktest: %s.%s still runs %lu s after it began; the threads:\n", tc->suite, tc->name,
		stall);
	thread_print_all();
	thread_join(t);
}

int ktest_run_case(const struct ktest_case *tc)
{
	struct ktest_ctx c = { .tc = tc };
	struct ktest_accounts before = ktest_accounts_now();
	struct thread *t;

	struct ktest_ctx *outer = ktest_running;

	trap_set_fault_hook(ktest_trap_hook);
	t = thread_create(tc->name, ktest_case_thread, &c, THREAD_ANY_HART);
	if (!t) {
		kprintf("    cannot create a thread for %s.%s\n", tc->suite, tc->name);
		return 1;
	}
	ktest_running = &c;
	ktest_join(tc, t);
	ktest_running = outer;
	ktest_accounting_check(&c, &before);
	return c.failures;
}

static bool ktest_suite_selected(const char *suites, const char *suite)
{
	size_t n = strlen(suite);

	if (strcmp(suites, "all") == 0)
		return strncmp(suite, "selftest_", 9) != 0;	/* they end the machine */
	for (const char *p = suites; *p;) {
		size_t len = strcspn(p, ",");

		if (len == n && strncmp(p, suite, n) == 0)
			return true;
		p += len + (p[len] == ',');
	}
	return false;
}

/* ktest_case_before: source order (the section holds them in no set order). */
static bool ktest_case_before(const struct ktest_case *a, const struct ktest_case *b)
{
	int c = strcmp(a->file, b->file);

	return c < 0 || (c == 0 && a->line < b->line);
}

/* ktest_select: the cases of the named suites, in source order; returns the count. */
static int ktest_select(const char *suites, const struct ktest_case **out, int max)
{
	int n = 0;

	for (const struct ktest_case *tc = __ktest_cases_start; tc < __ktest_cases_end; tc++) {
		int i;

		if (!ktest_suite_selected(suites, tc->suite))
			continue;
		if (n == max)
			panic("ktest: more than %d cases selected", max);
		for (i = n++; i > 0 && ktest_case_before(tc, out[i - 1]); i--)
			out[i] = out[i - 1];
		out[i] = tc;
	}
	return n;
}

int ktest_main(const char *suites)
{
	static const struct ktest_case *cases[KTEST_MAX_CASES];
	int n = ktest_select(suites, cases, KTEST_MAX_CASES);
	int passed = 0, failed = 0;

	kprintf("ktest: running \"%s\"\n", suites);
	for (int i = 0; i < n; i++) {
		const struct ktest_case *tc = cases[i];

		kprintf("[ RUN      ] %s.%s\n", tc->suite, tc->name);
		if (ktest_run_case(tc) == 0) {
			kprintf("[       OK ] %s.%s\n", tc->suite, tc->name);
			passed++;
		} else {
			kprintf("[  FAILED  ] %s.%s\n", tc->suite, tc->name);
			failed++;
		}
	}
	if (n == 0)
		kprintf("ktest: no test matches \"%s\"\n", suites);
	kprintf("%d passed, %d failed\n", passed, failed);
	return (failed || passed == 0) ? EXIT_STATUS_FAILED : EXIT_STATUS_OK;
}

#define KTEST_HOST_WAIT_NS	(30ull * 1000000000ull)
#define KTEST_HOST_POLL_NS	(20ull * 1000000ull)

bool ktest_host_check(struct p9_client *c, const char *name)
{
	char path[64], verdict[8] = "";
	struct p9_file f;
	size_t got = 0;

	snprintf(path, sizeof(path), ".hostcheck-%s", name);
	kprintf("HOSTCHECK %s\n", name);
	for (uint64_t waited = 0; waited < KTEST_HOST_WAIT_NS; waited += KTEST_HOST_POLL_NS) {
		if (p9_file_open(c, path, P9_FILE_READ, 0, &f) == 0) {
			p9_file_read(&f, 0, verdict, sizeof(verdict) - 1, &got);
			p9_file_close(&f);
			p9_unlink(c, path);
			return strcmp(verdict, "ok\n") == 0;
		}
		thread_sleep_ns(KTEST_HOST_POLL_NS);
	}
	ktest_report("no answer from the host for \"%s\"\n", name);
	return false;
}
