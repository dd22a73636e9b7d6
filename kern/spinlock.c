/*
 * spinlock.c: test-and-test-and-set lock with acquire/release ordering
 * (C11 atomics compile to amoswap.w.aq / amoswap.w.rl).  The uncontended
 * paths are inline in spinlock.h; these are the rest.
 */
#include "kern/spinlock.h"
#include "kern/kernel.h"
#include "platform/riscv/hart.h"
#include "platform/riscv/smp.h"

void spin_init(struct spinlock *lk, const char *name)
{
	lk->locked = 0;
	lk->name = name;
	lk->owner = NULL;
}

bool spin_held(struct spinlock *lk)
{
	return __atomic_load_n(&lk->locked, __ATOMIC_RELAXED) && lk->owner == hart_self();
}

void spin_lock_slow(struct spinlock *lk)
{
	if (lk->owner == hart_self())
		panic("spin_lock: %s already held by this hart", lk->name);
	do {
		while (__atomic_load_n(&lk->locked, __ATOMIC_RELAXED)) {
			__asm__ volatile(".4byte 0x0100000f");	/* pause (Zihintpause) */
			smp_spin_poll();	/* the holder may be waiting on us for a TLB shootdown */
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
