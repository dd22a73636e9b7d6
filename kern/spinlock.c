/*
 * spinlock.c: test-and-test-and-set lock with acquire/release ordering
 * (C11 atomics compile to amoswap.w.aq / amoswap.w.rl).  The uncontended
 * paths are inline in spinlock.h; these are the rest.
 */
#include "kern/spinlock.h"
#include "kern/kernel.h"
#include "platform/riscv/hart.h"
#include "platform/riscv/smp.h"
#include "platform/riscv/timer.h"

void spin_init(struct spinlock *lk, const char *name)
{
	lk->locked = 0;
	lk->name = name;
	lk->owner = NULL;
}

/*
 * A spin this long pauses the hart for SPIN_PAUSE_NS (timer_pause): the
 * holder may be a hart the host does not run meanwhile; under QEMU's
 * -icount, which runs harts one at a time, each until it stops, a spin
 * that never stops kept the holder from running at all.
 */
#define SPIN_PAUSE_EVERY	(1u << 14)
#define SPIN_PAUSE_NS		(20 * 1000)

void spin_lock_slow(struct spinlock *lk)
{
	uint32_t spins = 0;

	if (lk->owner == hart_self())
		panic("spin_lock: %s already held by this hart", lk->name);
	do {
		while (__atomic_load_n(&lk->locked, __ATOMIC_RELAXED)) {
			__asm__ volatile(".4byte 0x0100000f");	/* pause (Zihintpause) */
			smp_spin_poll();	/* the holder may be waiting on us for a TLB shootdown */
			if (++spins % SPIN_PAUSE_EVERY == 0)
				timer_pause(SPIN_PAUSE_NS);
		}
	} while (__atomic_exchange_n(&lk->locked, 1, __ATOMIC_ACQUIRE));
}

bool spin_trylock(struct spinlock *lk)
{
	intr_push_off();
	if (!spin_held(lk) && !__atomic_exchange_n(&lk->locked, 1, __ATOMIC_ACQUIRE)) {
		lk->owner = hart_self();
		return true;
	}
	intr_pop_off();
	return false;
}

void spin_unlock_bad(struct spinlock *lk)
{
	panic("spin_unlock: %s not held by this hart", lk->name);
}
