/*
 * core_bench.c: costs of the foundation's hot paths, in guest instructions
 * (rdinstret; exact under -icount shift=0).
 */
#include "kern/thread.h"
#include "platform/riscv/hart.h"
#include "platform/riscv/riscv.h"
#include "platform/riscv/smp.h"
#include "platform/riscv/trap.h"
#include "tests/bench/kbench.h"
#include "tests/kernel/user_fixture.h"

KBENCH_RUN(core, "bench=trap,thread,ipi", "-m 256M -smp 2");

#define EBREAK32 ".4byte 0x00100073"	/* uncompressed ebreak: the handler skips 4 bytes */

static bool bench_skip_ebreak(struct trap_frame *tf)
{
	tf->sepc += 4;
	return true;
}

/* trap.roundtrip: S-mode breakpoint into the vector, dispatch, handler, sret. */
KBENCH(trap_roundtrip, "trap.roundtrip", "instructions/op", 1000)
{
	uint64_t t0, t1;

	trap_set_handler(EXC_BREAKPOINT, bench_skip_ebreak);
	intr_push_off();	/* no tick inside the measurement */
	t0 = rdinstret();
	for (uint64_t i = 0; i < iters; i++)
		__asm__ volatile(EBREAK32);
	t1 = rdinstret();
	intr_pop_off();
	trap_set_handler(EXC_BREAKPOINT, NULL);
	return (t1 - t0) / iters;
}

struct switch_bench {
	uint64_t iters;
	uint64_t instret;
};

static void switch_partner(void *arg)
{
	struct switch_bench *b = arg;

	for (uint64_t i = 0; i < b->iters; i++)
		thread_yield();
}

static void switch_measurer(void *arg)
{
	struct switch_bench *b = arg;
	uint64_t t0 = rdinstret();

	for (uint64_t i = 0; i < b->iters; i++)
		thread_yield();
	b->instret = rdinstret() - t0;
}

/* thread.switch: yield between two threads on one hart (each yield is one switch). */
KBENCH(thread_switch, "thread.switch", "instructions/switch", 1000)
{
	struct switch_bench b = { .iters = iters };
	struct thread *p = thread_create("switch_p", switch_partner, &b, 0);
	struct thread *m = thread_create("switch_m", switch_measurer, &b, 0);

	if (!p || !m)
		return 0;
	thread_join(m);
	thread_join(p);
	return b.instret / (2 * iters);
}

struct create_bench {
	uint64_t iters;
	uint64_t instret;
};

static void create_child(void *arg)
{
	(void)arg;
}

static void create_measurer(void *arg)
{
	struct create_bench *b = arg;
	uint64_t t0 = rdinstret();

	for (uint64_t i = 0; i < b->iters; i++) {
		struct thread *t = thread_create("child", create_child, NULL, 0);

		if (!t)
			return;
		thread_join(t);
	}
	b->instret = rdinstret() - t0;
}

/*
 * thread.create_join: make a thread (its stack and guard page from
 * kernel_map), let it run and exit, join it (the stack goes back), all
 * on one hart: the instructions that hart spent per thread.
 */
KBENCH(thread_create_join, "thread.create_join", "instructions/thread", 200)
{
	struct create_bench b = { .iters = iters };
	struct thread *m = thread_create("create_m", create_measurer, &b, 0);

	if (!m)
		return 0;
	thread_join(m);
	return b.instret / iters;
}

#define WAKEUP_SLEEPERS	16

static int wakeup_chans[WAKEUP_SLEEPERS];
static volatile bool wakeup_done;
static int wakeup_asleep;		/* atomic: sleepers that have gone to sleep once */

static void wakeup_sleeper(void *chan)
{
	__atomic_fetch_add(&wakeup_asleep, 1, __ATOMIC_RELAXED);
	while (!wakeup_done)
		thread_sleep(chan, NULL);
}

/*
 * thread.wakeup.missed: a wakeup nobody sleeps for (a lock or page
 * released with no waiter left), while 16 threads sleep on other
 * channels.  The sleepers share the measuring thread's hart, so each has
 * gone to sleep by the time the count says it ran.
 */
KBENCH(thread_wakeup_missed, "thread.wakeup.missed", "instructions/op", 1000)
{
	struct thread *t[WAKEUP_SLEEPERS];
	int nobody, n = 0;
	uint64_t t0, t1;

	wakeup_done = false;
	wakeup_asleep = 0;
	for (; n < WAKEUP_SLEEPERS; n++)
		if (!(t[n] = thread_create("sleeper", wakeup_sleeper, &wakeup_chans[n], 0)))
			break;
	while (__atomic_load_n(&wakeup_asleep, __ATOMIC_RELAXED) < n)
		thread_yield();
	t0 = rdinstret();
	for (uint64_t i = 0; i < iters; i++)
		thread_wakeup(&nobody);
	t1 = rdinstret();
	wakeup_done = true;
	for (int i = 0; i < n; i++) {
		thread_wakeup(&wakeup_chans[i]);
		thread_join(t[i]);
	}
	return n == WAKEUP_SLEEPERS ? (t1 - t0) / iters : 0;
}

struct ipi_bench {
	uint64_t iters;
	uint64_t total;			/* instructions of every hart over all calls */
};

static void ipi_target_nothing(void *arg)
{
	(void)arg;
}

static void ipi_measurer(void *arg)
{
	struct ipi_bench *b = arg;
	uint64_t t0 = rdinstret();

	for (uint64_t i = 0; i < b->iters; i++)
		smp_call(1, ipi_target_nothing, NULL);
	b->total = rdinstret() - t0;
}

/*
 * ipi.roundtrip: hart 0 asks hart 1 (idle, in wfi) to run a function and
 * waits in wfi for its IPI back: instructions on both harts per call
 * (under -icount rdinstret is the machine's count, every hart's at once).
 */
KBENCH(ipi_roundtrip, "ipi.roundtrip", "instructions/op", 200)
{
	struct ipi_bench b = { .iters = iters };
	struct thread *m;

	if (hart_count < 2)
		return 0;
	m = thread_create("ipi_m", ipi_measurer, &b, 0);
	if (!m)
		return 0;
	thread_join(m);
	return b.total / iters;
}

/*
 * trap.roundtrip.user: a U-mode ecall into the vector (kernel stack
 * switch), dispatch to the ecall handler, back to U-mode; the loop's own
 * three instructions and one user_run entry/exit per 1000 calls included.
 */
KBENCH(trap_roundtrip_user, "trap.roundtrip.user", "instructions/op", 1000)
{
	struct user_fixture f;
	uint64_t t0, t1 = 0;

	if (user_fixture_make(&f)) {
		t0 = rdinstret();
		user_fixture_run(&f, user_prog_loop, iters);
		t1 = rdinstret() - t0;
	}
	user_fixture_drop(&f);
	return t1 / iters;
}
