/*
 * spinlock.h: mutual exclusion between harts.  Holding a spinlock keeps
 * interrupts off on the holding hart (so an interrupt handler on the same
 * hart can never spin on it) and forbids sleeping.
 */
#ifndef KERN_SPINLOCK_H
#define KERN_SPINLOCK_H

#include <stdbool.h>

struct hart;

struct spinlock {
	int locked;		/* 0 free, 1 held (atomic) */
	const char *name;
	struct hart *owner;	/* holder, for the recursion check */
};

#define SPINLOCK_INIT(n) { .locked = 0, .name = (n), .owner = 0 }

void spin_init(struct spinlock *lk, const char *name);
void spin_lock(struct spinlock *lk);
void spin_unlock(struct spinlock *lk);
/* spin_trylock: take the lock if free; true on success. */
bool spin_trylock(struct spinlock *lk);
/* spin_held: true if the calling hart holds lk. */
bool spin_held(struct spinlock *lk);

#endif
