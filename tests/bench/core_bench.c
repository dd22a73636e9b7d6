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

struct ipi_bench {
	uint64_t iters;
	uint64_t sender;		/* instructions on hart 0 over all calls */
	uint64_t first, last;		/* hart 1's instret in the first and last call */
};

static void ipi_target_instret(void *arg)
{
	struct ipi_bench *b = arg;

	b->last = rdinstret();
	if (!b->first)
		b->first = b->last;
}

static void ipi_measurer(void *arg)
{
	struct ipi_bench *b = arg;
	uint64_t t0 = rdinstret();

	for (uint64_t i = 0; i < b->iters; i++)
		smp_call(1, ipi_target_instret, b);
	b->sender = rdinstret() - t0;
}

/*
 * ipi.roundtrip: hart 0 asks hart 1 (idle, in wfi) to run a function and
 * waits in wfi for its IPI back: instructions on both harts per call.
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
	return b.sender / iters + (b.last - b.first) / (iters - 1);
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
