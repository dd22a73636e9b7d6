/*
 * smp_test.c: every hart the DTB names comes up through HSM, runs threads
 * pinned to it, and takes IPIs; spinlocks hold across harts.
 */
#include "kern/spinlock.h"
#include "kern/thread.h"
#include "platform/riscv/hart.h"
#include "platform/riscv/smp.h"
#include "platform/riscv/timer.h"
#include "tests/kernel/ktest.h"

KTEST_RUN(smp_4, "test=smp expect_harts=4", "-m 256M -smp 4");
KTEST_RUN(smp_3, "test=smp expect_harts=3", "-m 128M -smp 3");
/* Harts that OpenSBI 1.1 released with stale start values still come online. */
KTEST_RUN(smp_stale_entry, "test=smp expect_harts=3 smp.stale_start=entry", "-m 128M -smp 3");
KTEST_RUN(smp_stale_opaque, "test=smp expect_harts=3 smp.stale_start=opaque", "-m 128M -smp 3");

KTEST(smp, all_harts_online)
{
	int expect = ktest_expect_harts();

	EXPECT_EQ(hart_count, expect);
	EXPECT_EQ(smp_online_count(), expect);
	for (int i = 0; i < hart_count; i++) {
		EXPECT_EQ(harts[i].index, (uint32_t)i);
		EXPECT_TRUE(harts[i].online);
		EXPECT_TRUE(hart_by_hartid(harts[i].hartid) == &harts[i]);
		for (int j = 0; j < i; j++)
			EXPECT_NE(harts[i].hartid, harts[j].hartid);
	}
}

struct pin_result {
	int ran_on;
};

static void pinned_worker(void *arg)
{
	struct pin_result *r = arg;

	thread_yield();
	r->ran_on = (int)hart_self()->index;
}

KTEST(smp, pinned_threads_run_on_their_hart)
{
	struct pin_result r[HART_MAX];
	struct thread *t[HART_MAX];

	for (int i = 0; i < hart_count; i++) {
		r[i].ran_on = -1;
		t[i] = thread_create("pinned", pinned_worker, &r[i], i);
		ASSERT_TRUE(t[i] != NULL);
	}
	for (int i = 0; i < hart_count; i++) {
		thread_join(t[i]);
		EXPECT_EQ(r[i].ran_on, i);
	}
	EXPECT_TRUE(thread_create("bad", pinned_worker, &r[0], hart_count) == NULL);
}

static void record_hart(void *arg)
{
	int *slot = arg;

	*slot = (int)hart_self()->index;
}

KTEST(smp, ipi_call_runs_on_target)
{
	for (int i = 0; i < hart_count; i++) {
		int seen = -1;
		uint64_t before = harts[i].ipi_count;

		smp_call(i, record_hart, &seen);
		EXPECT_EQ(seen, i);
		if (i != (int)hart_self()->index)
			EXPECT_GT(harts[i].ipi_count, before);
	}
}

KTEST(smp, ipi_ping_delivered_to_every_hart)
{
	uint64_t before[HART_MAX];
	int me = (int)hart_self()->index;

	for (int i = 0; i < hart_count; i++) {
		before[i] = __atomic_load_n(&harts[i].ipi_count, __ATOMIC_RELAXED);
		if (i != me)
			smp_ipi_send(i, IPI_PING);
	}
	for (int i = 0; i < hart_count; i++) {
		/* Generous: a loaded host may leave a vCPU unscheduled for a while. */
		uint64_t deadline = timer_now() + timer_ns_to_ticks(5ul * 1000 * 1000 * 1000);

		if (i == me)
			continue;
		while (__atomic_load_n(&harts[i].ipi_count, __ATOMIC_RELAXED) == before[i] &&
		       timer_now() < deadline)
			;
		EXPECT_GT(harts[i].ipi_count, before[i]);
	}
}

#define LOCK_ROUNDS 20000

struct lock_test {
	struct spinlock lock;
	uint64_t counter;		/* under lock, deliberately not atomic */
};

static void lock_worker(void *arg)
{
	struct lock_test *lt = arg;

	for (int i = 0; i < LOCK_ROUNDS; i++) {
		spin_lock(&lt->lock);
		lt->counter++;
		spin_unlock(&lt->lock);
	}
}

KTEST(smp, spinlock_excludes_across_harts)
{
	struct lock_test lt = { .lock = SPINLOCK_INIT("lock_test") };
	struct thread *t[HART_MAX];

	for (int i = 0; i < hart_count; i++)
		t[i] = thread_create("locker", lock_worker, &lt, i);
	for (int i = 0; i < hart_count; i++)
		if (t[i])
			thread_join(t[i]);
	EXPECT_EQ(lt.counter, (uint64_t)hart_count * LOCK_ROUNDS);
	EXPECT_FALSE(spin_held(&lt.lock));
	EXPECT_TRUE(spin_trylock(&lt.lock));
	EXPECT_TRUE(spin_held(&lt.lock));
	spin_unlock(&lt.lock);
}
