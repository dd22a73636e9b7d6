/*
 * spinlock.h: mutual exclusion between harts.  Holding a spinlock keeps
 * interrupts off on the holding hart (so an interrupt handler on the same
 * hart can never spin on it) and forbids sleeping.
 */
#ifndef KERN_SPINLOCK_H
#define KERN_SPINLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hart;

struct spinlock {
	int locked;		/* [a] 0 free, 1 held */
	const char *name;
	struct hart *owner;	/* holder, for the recursion check */
};

#define SPINLOCK_INIT(n) { .locked = 0, .name = (n), .owner = 0 }

void spin_init(struct spinlock *lk, const char *name);
#if defined(__riscv)
/*
 * The image inlines the uncontended paths (every fault takes several
 * locks); the host unit tests, which run vm/ elsewhere, link their own.
 */
#include "platform/riscv/hart.h"

/* spin_lock_slow: lk was held: panic if by this hart, else spin until it is free. */
void spin_lock_slow(struct spinlock *lk);
/* spin_unlock_bad: lk is not held by this hart (panics). */
void spin_unlock_bad(struct spinlock *lk) __attribute__((noreturn, cold));

/* spin_acquire / spin_release: the lock itself, with interrupts already off. */
static inline void spin_acquire(struct spinlock *lk)
{
	if (__atomic_exchange_n(&lk->locked, 1, __ATOMIC_ACQUIRE))
		spin_lock_slow(lk);
	lk->owner = hart_self();
}

/* spin_try_acquire: spin_acquire, except that a held lock is not waited for (false). */
static inline bool spin_try_acquire(struct spinlock *lk)
{
	if (__atomic_exchange_n(&lk->locked, 1, __ATOMIC_ACQUIRE))
		return false;
	lk->owner = hart_self();
	return true;
}

static inline void spin_release(struct spinlock *lk)
{
	if (lk->owner != hart_self())
		spin_unlock_bad(lk);
	lk->owner = NULL;
	__atomic_store_n(&lk->locked, 0, __ATOMIC_RELEASE);
}

/* spin_held: true if the calling hart holds lk (inline: every *_locked function asks). */
static inline bool spin_held(struct spinlock *lk)
{
	return __atomic_load_n(&lk->locked, __ATOMIC_RELAXED) && lk->owner == hart_self();
}

static inline void spin_lock(struct spinlock *lk)
{
	intr_push_off();
	spin_acquire(lk);
}

static inline void spin_unlock(struct spinlock *lk)
{
	spin_release(lk);
	intr_pop_off();
}

/*
 * spin_lock_irqsave / spin_unlock_irqrestore: the same lock for a short
 * section on a hot path: SIE is kept in the returned word and put back,
 * not counted in the hart's nesting.  spin_lock/unlock pairs inside stay
 * correct; the section must not release a lock taken before it.
 */
static inline uint64_t spin_lock_irqsave(struct spinlock *lk)
{
	uint64_t sie = csr_read_clear(sstatus, SSTATUS_SIE) & SSTATUS_SIE;

	spin_acquire(lk);
	return sie;
}

static inline void spin_unlock_irqrestore(struct spinlock *lk, uint64_t sie)
{
	spin_release(lk);
	csr_set(sstatus, sie);
}
#else
void spin_lock(struct spinlock *lk);
void spin_unlock(struct spinlock *lk);
uint64_t spin_lock_irqsave(struct spinlock *lk);
void spin_unlock_irqrestore(struct spinlock *lk, uint64_t sie);
bool spin_held(struct spinlock *lk);
#endif
/* spin_trylock: take the lock if free; true on success. */
bool spin_trylock(struct spinlock *lk);

#endif
