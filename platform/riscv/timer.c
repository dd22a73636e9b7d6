/*
 * timer.c: see timer.h.  Each hart programs its own comparator with the
 * earlier of its next tick and the earliest timed sleep.
 */
#include "kern/kernel.h"
#include "kern/thread.h"
#include "platform/riscv/hart.h"
#include "platform/riscv/riscv.h"
#include "platform/riscv/sbi.h"
#include "platform/riscv/smp.h"
#include "platform/riscv/timer.h"
#include "platform/riscv/trap.h"

static uint64_t timer_hz;
static uint64_t timer_tick_period;
static bool timer_sstc;
static uint64_t timer_deadline_fires;	/* interrupts that came before the tick */
static uint64_t timer_lost;		/* [a] ticks raised again by timer_check */

void timer_init(uint64_t timebase_freq, bool has_sstc)
{
	KASSERT(timebase_freq >= TIMER_HZ, "timebase %lu Hz", timebase_freq);
	timer_hz = timebase_freq;
	timer_tick_period = timebase_freq / TIMER_HZ;
	timer_sstc = has_sstc;
}

uint64_t timer_now(void)
{
	return rdtime();
}

uint64_t timer_deadline_interrupts(void)
{
	return __atomic_load_n(&timer_deadline_fires, __ATOMIC_RELAXED);
}

uint64_t timer_lost_interrupts(void)
{
	return __atomic_load_n(&timer_lost, __ATOMIC_RELAXED);
}

uint64_t timer_freq(void)
{
	return timer_hz;
}

bool timer_uses_sstc(void)
{
	return timer_sstc;
}

uint64_t timer_ns_to_ticks(uint64_t ns)
{
	return (ns / 1000) * timer_hz / 1000000 + (ns % 1000) * timer_hz / 1000000000;
}

uint64_t timer_ticks_to_ns(uint64_t ticks)
{
	return ticks / timer_hz * 1000000000 + (ticks % timer_hz) * 1000000000 / timer_hz;
}

static void timer_program(uint64_t when)
{
	if (timer_sstc)
		csr_write(stimecmp, when);
	else
		sbi_set_timer(when);
}

static void timer_rearm(struct hart *h)
{
	timer_program(MIN(h->next_tick, thread_next_deadline()));
}

/*
 * Under QEMU 7.2 with Sstc a hart's timer interrupt has been seen lost for
 * good: stimecmp seconds behind time, sip.STIP clear, the hart asleep in
 * wfi and every timed sleep on the machine overdue.  Writing stimecmp
 * again raises it.
 */
void timer_check(void)
{
	struct hart *h = hart_self();

	if (timer_now() < h->next_tick + timer_tick_period || (csr_read(sip) & SIE_STIE) ||
	    !(csr_read(sie) & SIE_STIE))	/* pending, or ticks off (benchmarks) */
		return;
	__atomic_fetch_add(&timer_lost, 1, __ATOMIC_RELAXED);
	timer_rearm(h);
}

/*
 * timer_wake_late: wake (to timer_check) each other hart whose tick is
 * two periods late, at most once a period each: asleep in wfi on a lost
 * interrupt, it would not look by itself.
 */
static void timer_wake_late(struct hart *self, uint64_t now)
{
	for (int i = 0; i < hart_count; i++) {
		struct hart *h = &harts[i];

		if (h == self || !__atomic_load_n(&h->online, __ATOMIC_RELAXED) ||
		    now < __atomic_load_n(&h->next_tick, __ATOMIC_RELAXED) + 2 * timer_tick_period ||
		    now < __atomic_load_n(&h->tick_woken, __ATOMIC_RELAXED) + timer_tick_period)
			continue;
		__atomic_store_n(&h->tick_woken, now, __ATOMIC_RELAXED);
		smp_ipi_send(i, IPI_PING);
	}
}

void timer_init_hart(void)
{
	struct hart *h = hart_self();

	h->next_tick = timer_now() + timer_tick_period;
	timer_rearm(h);
	csr_set(sie, SIE_STIE);
}

void timer_pause(uint64_t ns)
{
	uint64_t was;

	/*
	 * wfi ends only for an interrupt its enable bit lets through (even
	 * with interrupts off): with the tick masked, a started hart before
	 * timer_init_hart or any hart under kbench_ticks(false), the timer
	 * could not end the pause and it lasted until some IPI came (a hart
	 * spinning for sched_lock in thread_init_hart never came online).
	 */
	if (!timer_sstc || !(csr_read(sie) & SIE_STIE))
		return;			/* the SBI timer cannot be read back */
	was = csr_read(stimecmp);
	csr_write(stimecmp, MIN(was, timer_now() + timer_ns_to_ticks(ns)));
	wfi();
	csr_write(stimecmp, was);	/* a deadline that passed meanwhile is pending again */
}

void timer_deadline_hint(uint64_t deadline)
{
	struct hart *h = hart_self();

	if (deadline < h->next_tick)
		timer_rearm(h);
}

void timer_interrupt(struct trap_frame *tf)
{
	struct hart *h = hart_self();
	uint64_t now = timer_now();

	(void)tf;
	if (now >= h->next_tick) {
		h->ticks++;
		__atomic_store_n(&h->next_tick, now + timer_tick_period, __ATOMIC_RELAXED);
		timer_wake_late(h, now);
	} else {
		__atomic_fetch_add(&timer_deadline_fires, 1, __ATOMIC_RELAXED);
	}
	thread_timer_tick(now);
	timer_rearm(h);
}
