/*
 * lock.h: sleeping locks for code that may block while holding them
 * (faults, map operations): a mutex and a reader/writer lock.  Waiters
 * sleep on the lock (thread_sleep); no spinlock may be held around them.
 */
#ifndef KERN_LOCK_H
#define KERN_LOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "kern/spinlock.h"

struct thread;

/*
 * The owner word is the owning thread, or 0; bit 0 (MUTEX_WAITERS) says a
 * thread sleeps on it.  Taking a free mutex and releasing one nobody
 * waits for are single compare-and-swaps.  With MUTEX_WAITERS set the
 * owner releases under the interlock, and touches the mutex no more after
 * that, so that the thread it lets in may free the mutex at once.
 */
#define MUTEX_WAITERS	1ul

struct mutex {
	uintptr_t owner;		/* atomic: thread | MUTEX_WAITERS */
	struct spinlock interlock;
	int waiters;			/* [i] */
	const char *name;
};

#define MUTEX_INIT(n) { .owner = 0, .interlock = SPINLOCK_INIT(n), .waiters = 0, .name = (n) }

void mutex_init(struct mutex *m, const char *name);
bool mutex_owned(struct mutex *m);
#if defined(__riscv)	/* the image inlines the fast paths (see spinlock.h) */
#include "kern/thread.h"

/* The slow paths: m was not free / m's owner word is not just self. */
void mutex_lock_slow(struct mutex *m, uintptr_t self);
void mutex_unlock_slow(struct mutex *m, uintptr_t self);

static inline void mutex_lock(struct mutex *m)
{
	uintptr_t self = (uintptr_t)thread_current(), o = 0;

	if (!__atomic_compare_exchange_n(&m->owner, &o, self, false, __ATOMIC_ACQUIRE,
					 __ATOMIC_RELAXED))
		mutex_lock_slow(m, self);
}

/* mutex_trylock: take m if it is free; true on success (never sleeps). */
static inline bool mutex_trylock(struct mutex *m)
{
	uintptr_t o = 0;

	return __atomic_compare_exchange_n(&m->owner, &o, (uintptr_t)thread_current(), false,
					   __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

static inline void mutex_unlock(struct mutex *m)
{
	uintptr_t self = (uintptr_t)thread_current(), o = self;

	if (!__atomic_compare_exchange_n(&m->owner, &o, 0, false, __ATOMIC_RELEASE,
					 __ATOMIC_RELAXED))
		mutex_unlock_slow(m, self);
}
#else
void mutex_lock(struct mutex *m);
bool mutex_trylock(struct mutex *m);
void mutex_unlock(struct mutex *m);
#endif

/*
 * rwlock: any number of readers or one writer.  A waiting writer blocks
 * new readers, so writers are not starved.
 *
 * The state word counts readers (in units of RW_READER) and says whether
 * a writer holds the lock (RW_WRITER) and whether anyone sleeps or waits
 * on it (RW_WANTED).  While RW_WANTED is clear, taking and releasing the
 * lock are single compare-and-swaps of that word; once it is set, every
 * change goes through the interlock, so no sleeper is missed, and a
 * thread that releases touches the lock no more after the interlock, so
 * that the thread it lets in may free the lock at once.
 */
#define RW_WRITER	1ul
#define RW_WANTED	2ul
#define RW_READER	4ul

struct rwlock {
	uintptr_t state;		/* atomic: readers * RW_READER | RW_WRITER | RW_WANTED */
	struct thread *writer;		/* atomic: the holder while RW_WRITER, for the checks */
	struct spinlock interlock;
	int writers_waiting;		/* [i] */
	int sleepers;			/* [i] threads asleep on it */
	const char *name;
};

#define RWLOCK_INIT(n) { .state = 0, .interlock = SPINLOCK_INIT(n), .name = (n) }

void rw_init(struct rwlock *l, const char *name);
void rw_lock_write(struct rwlock *l);
void rw_unlock_write(struct rwlock *l);
#if defined(__riscv)	/* the image inlines the read fast paths (see spinlock.h) */
/* The slow paths: a writer holds or waits / a waiter to wake, or a caller's bug. */
void rw_lock_read_slow(struct rwlock *l);
void rw_unlock_read_slow(struct rwlock *l);

static inline void rw_lock_read(struct rwlock *l)
{
	uintptr_t s = __atomic_load_n(&l->state, __ATOMIC_RELAXED);

	do {
		if (s & (RW_WRITER | RW_WANTED)) {
			rw_lock_read_slow(l);
			return;
		}
	} while (!__atomic_compare_exchange_n(&l->state, &s, s + RW_READER, false, __ATOMIC_ACQUIRE,
					      __ATOMIC_RELAXED));
}

/* rw_trylock_read: rw_lock_read unless that would wait (false: not taken). */
static inline bool rw_trylock_read(struct rwlock *l)
{
	uintptr_t s = __atomic_load_n(&l->state, __ATOMIC_RELAXED);

	return !(s & (RW_WRITER | RW_WANTED)) &&
	       __atomic_compare_exchange_n(&l->state, &s, s + RW_READER, false, __ATOMIC_ACQUIRE,
					   __ATOMIC_RELAXED);
}

static inline void rw_unlock_read(struct rwlock *l)
{
	uintptr_t s = __atomic_load_n(&l->state, __ATOMIC_RELAXED);

	do {
		if ((s & (RW_WANTED | RW_WRITER)) || s < RW_READER) {
			rw_unlock_read_slow(l);
			return;
		}
	} while (!__atomic_compare_exchange_n(&l->state, &s, s - RW_READER, false, __ATOMIC_RELEASE,
					      __ATOMIC_RELAXED));
}
#else
void rw_lock_read(struct rwlock *l);
bool rw_trylock_read(struct rwlock *l);
void rw_unlock_read(struct rwlock *l);
#endif
/* rw_downgrade: the writer becomes a reader without letting another writer in. */
void rw_downgrade(struct rwlock *l);
bool rw_write_held(struct rwlock *l);

#endif
