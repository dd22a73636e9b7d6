/*
 * fake_kern.c: the kernel services machine-independent code calls, for the
 * host unit tests: panic aborts (so a test that trips an invariant fails
 * loudly under the sanitizers), spinlocks only check their own pairing.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kern/kernel.h"
#include "kern/lock.h"
#include "kern/spinlock.h"
#include "kern/thread.h"
#include "tests/unit/fake_kern.h"

void panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "panic: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	abort();
}

void kassert_fail(const char *cond, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "assertion \"%s\" failed at %s:%d: ", cond, file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	abort();
}

static char *capture_buf;
static size_t capture_len;

void fake_kern_capture(char *buf, size_t len)
{
	capture_buf = buf;
	capture_len = len;
	if (buf && len)
		buf[0] = '\0';
}

int kvprintf(const char *fmt, va_list ap)
{
	size_t used;

	if (!capture_buf)
		return vprintf(fmt, ap);
	used = strlen(capture_buf);
	return vsnprintf(capture_buf + used, capture_len - used, fmt, ap);
}

int kprintf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = kvprintf(fmt, ap);
	va_end(ap);
	return n;
}

void spin_init(struct spinlock *lk, const char *name)
{
	lk->locked = 0;
	lk->name = name;
}

void spin_lock(struct spinlock *lk)
{
	if (lk->locked)
		panic("spin_lock: %s already held (single-threaded host test)", lk->name);
	lk->locked = 1;
}

void spin_unlock(struct spinlock *lk)
{
	if (!lk->locked)
		panic("spin_unlock: %s not held", lk->name);
	lk->locked = 0;
}

uint64_t spin_lock_irqsave(struct spinlock *lk)
{
	spin_lock(lk);
	return 0;
}

void spin_unlock_irqrestore(struct spinlock *lk, uint64_t sie)
{
	(void)sie;
	spin_unlock(lk);
}

bool spin_trylock(struct spinlock *lk)
{
	if (lk->locked)
		return false;
	lk->locked = 1;
	return true;
}

bool spin_held(struct spinlock *lk)
{
	return lk->locked != 0;
}

/* One thread, never blocking: sleeping locks only check their own use. */
static struct thread fake_thread = { .name = "host" };

struct thread *thread_current(void)
{
	return &fake_thread;
}

bool thread_may_sleep(void)
{
	return true;
}

void thread_sleep(const void *chan, struct spinlock *lk)
{
	(void)chan;
	(void)lk;
	panic("thread_sleep: would block forever (single-threaded host test)");
}

/* No second thread on the host: code that starts one (the pageout daemon) is not run here. */
struct thread *thread_create(const char *name, void (*entry)(void *), void *arg, int affinity)
{
	(void)name;
	(void)entry;
	(void)arg;
	(void)affinity;
	return NULL;
}

uint64_t thread_deadline_after(uint64_t ns)
{
	return ns;
}

/* Nothing else runs to free memory or wake anyone: a timed sleep just times out. */
bool thread_sleep_deadline(const void *chan, struct spinlock *lk, uint64_t deadline)
{
	(void)chan;
	(void)lk;
	(void)deadline;
	return true;
}

int thread_wakeup(const void *chan)
{
	(void)chan;
	return 0;
}

void mutex_init(struct mutex *m, const char *name)
{
	*m = (struct mutex)MUTEX_INIT(name);
}

void mutex_lock(struct mutex *m)
{
	if (m->owner)
		panic("mutex_lock: %s already held", m->name);
	m->owner = 1;
}

bool mutex_trylock(struct mutex *m)
{
	if (m->owner)
		return false;
	m->owner = 1;
	return true;
}

void mutex_unlock(struct mutex *m)
{
	if (!m->owner)
		panic("mutex_unlock: %s not held", m->name);
	m->owner = 0;
}

bool mutex_owned(struct mutex *m)
{
	return m->owner != 0;
}

void rw_init(struct rwlock *l, const char *name)
{
	*l = (struct rwlock)RWLOCK_INIT(name);
}

void rw_lock_read(struct rwlock *l)
{
	if (l->state & RW_WRITER)
		panic("rw_lock_read: %s write-held", l->name);
	l->state += RW_READER;
}

bool rw_trylock_read(struct rwlock *l)
{
	if (l->state & RW_WRITER)
		return false;
	l->state += RW_READER;
	return true;
}

void rw_lock_write(struct rwlock *l)
{
	if (l->state)
		panic("rw_lock_write: %s busy", l->name);
	l->state = RW_WRITER;
	l->writer = &fake_thread;
}

void rw_unlock_read(struct rwlock *l)
{
	if (l->state < RW_READER)
		panic("rw_unlock_read: %s not read-held", l->name);
	l->state -= RW_READER;
}

void rw_unlock_write(struct rwlock *l)
{
	if (!(l->state & RW_WRITER))
		panic("rw_unlock_write: %s not write-held", l->name);
	l->state = 0;
	l->writer = NULL;
}

void rw_downgrade(struct rwlock *l)
{
	rw_unlock_write(l);
	rw_lock_read(l);
}

bool rw_write_held(struct rwlock *l)
{
	return (l->state & RW_WRITER) != 0;
}

bool rw_held(struct rwlock *l)
{
	return l->state != 0;
}
