/*
 * lock.c: see lock.h.  The interlock protects the lock's fields; waiters
 * sleep on the lock's address and recheck after every wakeup.  The fast
 * paths of mutex_lock/trylock/unlock and rw_lock/trylock/unlock_read, and
 * mutex_owned, are inline in lock.h.
 */
#include "kern/kernel.h"
#include "kern/lock.h"
#include "kern/thread.h"

void mutex_init(struct mutex *m, const char *name)
{
	*m = (struct mutex)MUTEX_INIT(name);
}

static bool mutex_cas(struct mutex *m, uintptr_t from, uintptr_t to)
{
	return __atomic_compare_exchange_n(&m->owner, &from, to, false, __ATOMIC_ACQUIRE,
					   __ATOMIC_RELAXED);
}

/* mutex_lock_slow: take m, sleeping while another thread has it. */
void mutex_lock_slow(struct mutex *m, uintptr_t self)
{
	spin_lock(&m->interlock);
	for (;;) {
		uintptr_t o = __atomic_load_n(&m->owner, __ATOMIC_RELAXED);

		if (o == 0) {
			if (mutex_cas(m, 0, self | (m->waiters ? MUTEX_WAITERS : 0)))
				break;
			continue;
		}
		if ((o & ~MUTEX_WAITERS) == self)
			panic("mutex_lock: %s already held by this thread", m->name);
		if (!(o & MUTEX_WAITERS) && !mutex_cas(m, o, o | MUTEX_WAITERS))
			continue;		/* the owner changed: look again */
		m->waiters++;
		thread_sleep(m, &m->interlock);
		m->waiters--;
	}
	spin_unlock(&m->interlock);
}

/*
 * mutex_unlock_slow: the owner word is not just self: a waiter to wake,
 * or a caller's bug.  MUTEX_WAITERS is only set, and the owner word only
 * changed while it is, under the interlock: release there, so the wakeup
 * comes after the waiter's sleep.  m's address is no more than a sleep
 * channel after the interlock.
 */
void mutex_unlock_slow(struct mutex *m, uintptr_t self)
{
	if ((__atomic_load_n(&m->owner, __ATOMIC_RELAXED) & ~MUTEX_WAITERS) != self)
		panic("mutex_unlock: %s not held by this thread", m->name);
	spin_lock(&m->interlock);
	__atomic_store_n(&m->owner, 0, __ATOMIC_RELEASE);
	spin_unlock(&m->interlock);
	thread_wakeup(m);
}

/*
 * The rwlock's state word.  Lock-side compare-and-swaps acquire (the
 * critical section's accesses stay after them), unlock-side ones release
 * (they stay before); failed ones order nothing.  With RW_WANTED set no
 * fast path succeeds, so the slow paths, all under the interlock, are the
 * only writers of the word and may update it with plain atomic RMWs.
 */
static uintptr_t rw_state(struct rwlock *l)
{
	return __atomic_load_n(&l->state, __ATOMIC_RELAXED);
}

static bool rw_cas(struct rwlock *l, uintptr_t from, uintptr_t to, int order)
{
	return __atomic_compare_exchange_n(&l->state, &from, to, false, order, __ATOMIC_RELAXED);
}

/*
 * rw_want_locked: announce a waiter (RW_WANTED, so that every later
 * change comes here and wakes us) and return the state before that, for
 * the caller to decide on.  => interlock held
 */
static uintptr_t rw_want_locked(struct rwlock *l)
{
	LOCK_ASSERT(spin_held(&l->interlock), "rw_want_locked: %s: interlock not held", l->name);

	return __atomic_fetch_or(&l->state, RW_WANTED, __ATOMIC_ACQUIRE);
}

/* rw_sleep_locked: wait for the lock to change, counted so that unlockers know to wake us. */
static void rw_sleep_locked(struct rwlock *l)
{
	LOCK_ASSERT(spin_held(&l->interlock), "rw_sleep_locked: %s: interlock not held", l->name);

	l->sleepers++;
	thread_sleep(l, &l->interlock);
	l->sleepers--;
}

/* rw_unwant_locked: clear RW_WANTED once nobody sleeps or waits.  => interlock held */
static void rw_unwant_locked(struct rwlock *l)
{
	LOCK_ASSERT(spin_held(&l->interlock), "rw_unwant_locked: %s: interlock not held", l->name);

	if (!l->sleepers && !l->writers_waiting)
		__atomic_fetch_and(&l->state, ~RW_WANTED, __ATOMIC_RELAXED);
}

void rw_init(struct rwlock *l, const char *name)
{
	*l = (struct rwlock){ .name = name };
	spin_init(&l->interlock, name);
}

/* rw_lock_read_slow: under the interlock, wait until no writer holds or waits; then read. */
void rw_lock_read_slow(struct rwlock *l)
{
	spin_lock(&l->interlock);
	while ((rw_want_locked(l) & RW_WRITER) || l->writers_waiting)
		rw_sleep_locked(l);
	__atomic_fetch_add(&l->state, RW_READER, __ATOMIC_ACQUIRE);
	rw_unwant_locked(l);
	spin_unlock(&l->interlock);
}

/* rw_lock_write_slow: under the interlock, wait (counted as waiting) until the lock is free. */
static __attribute__((noinline)) void rw_lock_write_slow(struct rwlock *l)
{
	spin_lock(&l->interlock);
	l->writers_waiting++;
	while (rw_want_locked(l) & ~RW_WANTED)		/* readers or a writer */
		rw_sleep_locked(l);
	l->writers_waiting--;
	__atomic_fetch_or(&l->state, RW_WRITER, __ATOMIC_ACQUIRE);
	rw_unwant_locked(l);
	spin_unlock(&l->interlock);
}

void rw_lock_write(struct rwlock *l)
{
	struct thread *self = thread_current();

	if (__atomic_load_n(&l->writer, __ATOMIC_RELAXED) == self)
		panic("rw_lock_write: %s already held by %s", l->name, self->name);
	if (!rw_cas(l, 0, RW_WRITER, __ATOMIC_ACQUIRE))
		rw_lock_write_slow(l);
	__atomic_store_n(&l->writer, self, __ATOMIC_RELAXED);
}

/*
 * rw_release_slow: take delta off the state under the interlock, and wake
 * the sleepers if wake_all or if the last reader left.  l's address is no
 * more than a sleep channel after the interlock.
 */
static __attribute__((noinline)) void rw_release_slow(struct rwlock *l, uintptr_t delta,
						      bool wake_all)
{
	uintptr_t s;
	bool wake;

	spin_lock(&l->interlock);
	s = __atomic_sub_fetch(&l->state, delta, __ATOMIC_RELEASE);
	wake = l->sleepers > 0 && (wake_all || s < RW_READER);
	rw_unwant_locked(l);
	spin_unlock(&l->interlock);
	if (wake)
		thread_wakeup(l);
}

/* rw_unlock_read_slow: leave as a reader and wake whoever waits, or report a caller's bug. */
void rw_unlock_read_slow(struct rwlock *l)
{
	uintptr_t s = rw_state(l);

	if (s < RW_READER || (s & RW_WRITER))
		panic("rw_unlock_read: %s not read-held", l->name);
	rw_release_slow(l, RW_READER, false);
}

void rw_unlock_write(struct rwlock *l)
{
	KASSERT(rw_write_held(l), "rw_unlock_write: %s not write-held here", l->name);
	__atomic_store_n(&l->writer, NULL, __ATOMIC_RELAXED);
	if (!rw_cas(l, RW_WRITER, 0, __ATOMIC_RELEASE))
		rw_release_slow(l, RW_WRITER, true);
}

void rw_downgrade(struct rwlock *l)
{
	KASSERT(rw_write_held(l), "rw_downgrade: %s not write-held here", l->name);
	__atomic_store_n(&l->writer, NULL, __ATOMIC_RELAXED);
	if (!rw_cas(l, RW_WRITER, RW_READER, __ATOMIC_RELEASE))
		rw_release_slow(l, RW_WRITER - RW_READER, true);	/* wraps: -writer +reader */
}

bool rw_write_held(struct rwlock *l)
{
	return (rw_state(l) & RW_WRITER) &&
	       __atomic_load_n(&l->writer, __ATOMIC_RELAXED) == thread_current();
}

bool rw_held(struct rwlock *l)
{
	return rw_state(l) >= RW_READER || rw_write_held(l);
}
