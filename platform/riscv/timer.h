/*
 * timer.h: the per-hart tick and timed wakeups.  Time is the `time` CSR
 * (timer ticks at the DTB's timebase-frequency); deadlines go to stimecmp
 * (Sstc) when the hart has it, else through the SBI TIME extension.
 */
#ifndef PLATFORM_RISCV_TIMER_H
#define PLATFORM_RISCV_TIMER_H

#include <stdbool.h>
#include <stdint.h>

#define TIMER_HZ 100	/* scheduler ticks per second */

void timer_init(uint64_t timebase_freq, bool has_sstc);
void timer_init_hart(void);
uint64_t timer_now(void);
uint64_t timer_freq(void);
uint64_t timer_ns_to_ticks(uint64_t ns);
uint64_t timer_ticks_to_ns(uint64_t ticks);
bool timer_uses_sstc(void);
/* timer_deadline_interrupts: timer interrupts taken for a timed sleep, not a tick. */
uint64_t timer_deadline_interrupts(void);
/*
 * timer_pause: wait in wfi for at most ns, or until an interrupt is
 * pending (taken or not); nothing of the hart's timer changes.  For a
 * spin that has gone on long enough to suspect the hart it waits for is
 * not being run at all (QEMU's -icount runs harts in turn, one at a
 * time, each until it stops).  Without Sstc, or with the tick masked
 * (sie.STIE clear: the timer could not end the wait), returns at once.
 * => interrupts off
 */
void timer_pause(uint64_t ns);
/*
 * timer_check: if this hart's tick is a period late and not pending, its
 * interrupt was lost: raise it again (counted by timer_lost_interrupts).
 * The idle loop calls it before wfi, the IPI handler on IPI_PING; a
 * hart whose tick is late gets one from the next hart that ticks.
 * => interrupts off
 */
void timer_check(void);
uint64_t timer_lost_interrupts(void);
/* timer_deadline_hint: make this hart's timer fire no later than `deadline`. */
void timer_deadline_hint(uint64_t deadline);

#endif
