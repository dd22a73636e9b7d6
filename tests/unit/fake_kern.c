/*
 * fake_kern.c: the kernel services machine-independent code calls, for the
 * host unit tests: panic aborts (so a test that trips an invariant fails
 * loudly under the sanitizers), spinlocks only check their own pairing.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "kern/kernel.h"
#include "kern/spinlock.h"

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

int kvprintf(const char *fmt, va_list ap)
{
	return vprintf(fmt, ap);
}

int kprintf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vprintf(fmt, ap);
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
