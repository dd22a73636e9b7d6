/*
 * timer_test.c: the tick runs on every hart from stimecmp, timed sleeps
 * last at least as long as asked and not much longer.
 */
#include "kern/spinlock.h"
#include "kern/thread.h"
#include "platform/riscv/hart.h"
#include "platform/riscv/smp.h"
#include "platform/riscv/timer.h"
#include "tests/kernel/ktest.h"

KTEST_RUN(timer, "test=timer", "-m 256M -smp 2");

#define MS (1000ul * 1000)

KTEST(timer, sstc_in_use)
{
	/* QEMU 7.2's rv64 CPU has Sstc and OpenSBI 1.1 enables it for S-mode. */
	EXPECT_TRUE(timer_uses_sstc());
	EXPECT_EQ(timer_freq(), 10000000);
	EXPECT_EQ(timer_ns_to_ticks(1000 * MS), 10000000);
	EXPECT_EQ(timer_ticks_to_ns(10000000), 1000 * MS);
}

KTEST(timer, ticks_advance_on_every_hart)
{
	uint64_t before[HART_MAX];

	for (int i = 0; i < hart_count; i++)
		before[i] = harts[i].ticks;
	thread_sleep_ns(100 * MS);
	/* 10 ticks in 100 ms; a loaded host may deliver some late, never early. */
	for (int i = 0; i < hart_count; i++) {
		EXPECT_GE(harts[i].ticks, before[i] + 2);
		EXPECT_LE(harts[i].ticks, before[i] + 100 / (1000 / TIMER_HZ) + 1);
	}
}

static void timer_lose_tick(void *unused)
{
	(void)unused;
	csr_write(stimecmp, UINT64_MAX);	/* as if the comparator had lost its interrupt */
}

/*
 * A hart whose timer interrupt is lost, idle in wfi, is woken by a hart
 * that still ticks and raises its tick again (timer_check).
 */
KTEST(timer, lost_tick_is_raised_again)
{
	uint64_t lost = timer_lost_interrupts(), before;

	ASSERT_TRUE(timer_uses_sstc() && hart_count >= 2);
	smp_call(1, timer_lose_tick, NULL);
	before = harts[1].ticks;
	thread_sleep_ns(200 * MS);
	EXPECT_GE(harts[1].ticks, before + 5);
	EXPECT_GT(timer_lost_interrupts(), lost);
}

struct pause_masked {
	uint64_t ticks;			/* how long the pause lasted */
};

/* With the tick masked on this hart, pause: only the timer should end it. */
static void timer_pause_masked(void *arg)
{
	struct pause_masked *p = arg;
	uint64_t t0;

	intr_push_off();
	csr_clear(sie, SIE_STIE);
	t0 = timer_now();
	timer_pause(20 * 1000);
	p->ticks = timer_now() - t0;
	csr_set(sie, SIE_STIE);
	intr_pop_off();
}

/*
 * Two seconds on, an IPI ends a pause that nothing else would end; until
 * then this hart takes no interrupt, so its tick does not wake hart 0
 * either (timer_check's watch), as no tick wakes a hart not yet online.
 */
static void timer_ping_hart0_later(void *unused)
{
	uint64_t t0 = timer_now();

	(void)unused;
	intr_push_off();
	while (timer_now() - t0 < timer_ns_to_ticks(2000 * MS))
		smp_spin_poll();	/* serve shootdowns meanwhile */
	smp_ipi_send(0, IPI_PING);
	intr_pop_off();
}

/*
 * A pause with the tick masked (a started hart before its timer is set up
 * spins on sched_lock so) returns at once instead of waiting in wfi for an
 * interrupt that is not enabled.
 */
KTEST(timer, pause_with_tick_masked_returns)
{
	struct pause_masked p = { .ticks = 0 };
	struct thread *pauser, *pinger;

	ASSERT_TRUE(hart_count >= 2);
	pinger = thread_create("pinger", timer_ping_hart0_later, NULL, 1);
	ASSERT_TRUE(pinger != NULL);
	pauser = thread_create("pauser", timer_pause_masked, &p, 0);
	ASSERT_TRUE(pauser != NULL);
	thread_join(pauser);
	thread_join(pinger);
	EXPECT_LT(p.ticks, timer_ns_to_ticks(500 * MS));
}

KTEST(timer, sleep_lasts_as_asked)
{
	static const uint64_t ms[] = { 1, 3, 20, 55 };

	for (unsigned i = 0; i < ARRAY_SIZE(ms); i++) {
		uint64_t t0 = timer_now();

		thread_sleep_ns(ms[i] * MS);
		EXPECT_GE(timer_ticks_to_ns(timer_now() - t0), ms[i] * MS);
	}
}

/*
 * 1 ms is a tenth of a tick: only a comparator set to the deadline ends
 * it.  A host that deschedules the hart past a tick lets the tick handler
 * end a sleep instead now and then, so one round of five in three must
 * have been ended by deadline interrupts alone.
 */
KTEST(timer, short_sleep_ends_on_its_deadline_not_a_tick)
{
	uint64_t fired = 0, best = 0;

	for (int round = 0; round < 3 && best < 5; round++) {
		fired = timer_deadline_interrupts();
		for (int i = 0; i < 5; i++)
			thread_sleep_ns(1 * MS);
		best = MAX(best, timer_deadline_interrupts() - fired);
	}
	EXPECT_GE(best, 5);
}

KTEST(timer, deadline_ends_an_unanswered_sleep)
{
	struct spinlock lk = SPINLOCK_INIT("deadline");
	uint64_t deadline = timer_now() + timer_ns_to_ticks(10 * MS);
	bool timed_out;

	spin_lock(&lk);
	timed_out = thread_sleep_deadline(&lk, &lk, deadline);
	spin_unlock(&lk);
	EXPECT_TRUE(timed_out);
	EXPECT_GE(timer_now(), deadline);
}

struct waker {
	struct spinlock lk;
	bool flag;
};

static void wake_soon(void *arg)
{
	struct waker *w = arg;

	thread_sleep_ns(5 * MS);
	spin_lock(&w->lk);
	w->flag = true;
	thread_wakeup(w);
	spin_unlock(&w->lk);
}

KTEST(timer, wakeup_beats_deadline)
{
	struct waker w = { .lk = SPINLOCK_INIT("waker") };
	uint64_t deadline = timer_now() + timer_ns_to_ticks(500 * MS);
	struct thread *t = thread_create("waker", wake_soon, &w, THREAD_ANY_HART);
	bool timed_out = false;

	ASSERT_TRUE(t != NULL);
	spin_lock(&w.lk);
	while (!w.flag && !timed_out)
		timed_out = thread_sleep_deadline(&w, &w.lk, deadline);
	spin_unlock(&w.lk);
	thread_join(t);
	EXPECT_FALSE(timed_out);
	EXPECT_LT(timer_now(), deadline);
	/* Its deadline is off the timed list (the framework's own join deadline is far later). */
	EXPECT_GT(thread_next_deadline(), deadline);
}

static void read_time(void *arg)
{
	*(uint64_t *)arg = timer_now();
}

KTEST(timer, time_is_shared_between_harts)
{
	for (int i = 0; i < hart_count; i++) {
		uint64_t before = timer_now(), there = 0;

		smp_call(i, read_time, &there);
		EXPECT_GE(there, before);
		EXPECT_LE(there, timer_now());
	}
}
