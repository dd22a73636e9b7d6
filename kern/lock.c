/*
 * lock.c: see lock.h.  The interlock protects the lock's fields; waiters
 * sleep on the lock's address and recheck after every wakeup.
 */
#include "kern/kernel.h"
#include "kern/lock.h"
#include "kern/thread.h"

void mutex_init(struct mutex *m, const char *name)
{
	spin_init(&m->interlock, name);
	m->owner = NULL;
	m->name = name;
}

void mutex_lock(struct mutex *m)
{
	struct thread *self = thread_current();

	spin_lock(&m->interlock);
	if (m->owner == self)
		panic("mutex_lock: %s already held by %s", m->name, self->name);
	while (m->owner)
		thread_sleep(m, &m->interlock);
	m->owner = self;
	spin_unlock(&m->interlock);
}

bool mutex_trylock(struct mutex *m)
{
	bool got = false;

	spin_lock(&m->interlock);
	if (!m->owner) {
		m->owner = thread_current();
		got = true;
	}
	spin_unlock(&m->interlock);
	return got;
}

void mutex_unlock(struct mutex *m)
{
	spin_lock(&m->interlock);
	if (m->owner != thread_current())
		panic("mutex_unlock: %s not held by this thread", m->name);
	m->owner = NULL;
	spin_unlock(&m->interlock);
	thread_wakeup(m);
}

bool mutex_owned(struct mutex *m)
{
	return m->owner == thread_current();
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
		thread_sleep(l, &l->interlock);
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
		thread_sleep(l, &l->interlock);
	l->writers_waiting--;
	l->writer = self;
	spin_unlock(&l->interlock);
}

void rw_unlock_read(struct rwlock *l)
{
	bool wake;

	spin_lock(&l->interlock);
	KASSERT(l->readers > 0, "rw_unlock_read: %s not read-held", l->name);
	wake = --l->readers == 0;
	spin_unlock(&l->interlock);
	if (wake)
		thread_wakeup(l);
}

void rw_unlock_write(struct rwlock *l)
{
	spin_lock(&l->interlock);
	KASSERT(l->writer == thread_current(), "rw_unlock_write: %s not write-held here", l->name);
	l->writer = NULL;
	spin_unlock(&l->interlock);
	thread_wakeup(l);
}

void rw_downgrade(struct rwlock *l)
{
	spin_lock(&l->interlock);
	KASSERT(l->writer == thread_current(), "rw_downgrade: %s not write-held here", l->name);
	l->writer = NULL;
	l->readers++;
	spin_unlock(&l->interlock);
	thread_wakeup(l);
}

bool rw_write_held(struct rwlock *l)
{
	return l->writer == thread_current();
}
