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
 * thread sleeps on it.  Taking a free mutex and releasing one nobody waits
 * for are a single compare-and-swap; the interlock is only for sleeping.
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
void mutex_lock(struct mutex *m);
bool mutex_trylock(struct mutex *m);
void mutex_unlock(struct mutex *m);
bool mutex_owned(struct mutex *m);

/*
 * rwlock: any number of readers or one writer.  A waiting writer blocks
 * new readers, so writers are not starved.
 *
 * The state word counts readers (in units of RW_READER) and says whether
 * a writer holds the lock (RW_WRITER) and whether anyone sleeps or waits
 * on it (RW_WANTED).  While RW_WANTED is clear, taking and releasing the
 * lock are single compare-and-swaps of that word; once it is set, every
 * change goes through the interlock, so sleepers are never missed.
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
void rw_lock_read(struct rwlock *l);
void rw_lock_write(struct rwlock *l);
void rw_unlock_read(struct rwlock *l);
void rw_unlock_write(struct rwlock *l);
/* rw_downgrade: the writer becomes a reader without letting another writer in. */
void rw_downgrade(struct rwlock *l);
bool rw_write_held(struct rwlock *l);

#endif
