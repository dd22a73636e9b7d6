/*
 * lock.c: see lock.h.  The interlock protects the lock's fields; waiters
 * sleep on the lock's address and recheck after every wakeup.
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
static void mutex_lock_slow(struct mutex *m, uintptr_t self)
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

void mutex_lock(struct mutex *m)
{
	uintptr_t self = (uintptr_t)thread_current();

	if (!mutex_cas(m, 0, self))
		mutex_lock_slow(m, self);
}

bool mutex_trylock(struct mutex *m)
{
	return mutex_cas(m, 0, (uintptr_t)thread_current());
}

void mutex_unlock(struct mutex *m)
{
	uintptr_t self = (uintptr_t)thread_current(), o = self;

	if (__atomic_compare_exchange_n(&m->owner, &o, 0, false, __ATOMIC_RELEASE, __ATOMIC_RELAXED))
		return;
	if ((o & ~MUTEX_WAITERS) != self)
		panic("mutex_unlock: %s not held by this thread", m->name);
	spin_lock(&m->interlock);		/* a waiter: hand over under the interlock */
	__atomic_store_n(&m->owner, 0, __ATOMIC_RELEASE);
	spin_unlock(&m->interlock);
	thread_wakeup(m);
}

bool mutex_owned(struct mutex *m)
{
	return (__atomic_load_n(&m->owner, __ATOMIC_RELAXED) & ~MUTEX_WAITERS) ==
	       (uintptr_t)thread_current();
}

/* rw_sleep_locked: wait for the lock to change, counted so that unlockers know to wake us. */
static void rw_sleep_locked(struct rwlock *l)
{
	l->sleepers++;
	thread_sleep(l, &l->interlock);
	l->sleepers--;
}

void rw_init(struct rwlock *l, const char *name)
{
	*l = (struct rwlock){ .name = name };
	spin_init(&l->interlock, name);
}

void rw_lock_read(struct rwlock *l)
{
	spin_lock(&l->interlock);
	while (l->writer || l->writers_waiting)
		rw_sleep_locked(l);
	l->readers++;
	spin_unlock(&l->interlock);
}

void rw_lock_write(struct rwlock *l)
{
	struct thread *self = thread_current();

	spin_lock(&l->interlock);
	if (l->writer == self)
		panic("rw_lock_write: %s already held by %s", l->name, self->name);
	l->writers_waiting++;
	while (l->writer || l->readers)
		rw_sleep_locked(l);
	l->writers_waiting--;
	l->writer = self;
	spin_unlock(&l->interlock);
}

void rw_unlock_read(struct rwlock *l)
{
	bool wake;

	spin_lock(&l->interlock);
	KASSERT(l->readers > 0, "rw_unlock_read: %s not read-held", l->name);
	wake = --l->readers == 0 && l->sleepers;
	spin_unlock(&l->interlock);
	if (wake)
		thread_wakeup(l);
}

void rw_unlock_write(struct rwlock *l)
{
	bool wake;

	spin_lock(&l->interlock);
	KASSERT(l->writer == thread_current(), "rw_unlock_write: %s not write-held here", l->name);
	l->writer = NULL;
	wake = l->sleepers > 0;
	spin_unlock(&l->interlock);
	if (wake)
		thread_wakeup(l);
}

void rw_downgrade(struct rwlock *l)
{
	bool wake;

	spin_lock(&l->interlock);
	KASSERT(l->writer == thread_current(), "rw_downgrade: %s not write-held here", l->name);
	l->writer = NULL;
	l->readers++;
	wake = l->sleepers > 0;
	spin_unlock(&l->interlock);
	if (wake)
		thread_wakeup(l);
}

bool rw_write_held(struct rwlock *l)
{
	return l->writer == thread_current();
}
