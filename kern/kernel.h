/*
 * kernel.h: what every kernel file needs: printing, panic, assertions and
 * a few arithmetic helpers.
 */
#ifndef KERN_KERNEL_H
#define KERN_KERNEL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#define ROUND_UP(x, a)		((((x) + (a) - 1) / (a)) * (a))
#define ROUND_DOWN(x, a)	(((x) / (a)) * (a))
#define IS_ALIGNED(x, a)	(((x) & ((a) - 1)) == 0)
#define MIN(a, b)		((a) < (b) ? (a) : (b))
#define MAX(a, b)		((a) > (b) ? (a) : (b))
#define KiB			1024ul
#define MiB			(1024ul * KiB)
#define GiB			(1024ul * MiB)

/*
 * KDEBUG_VISIBLE: data a debugger reads by name (tools/gdb/vm.py), kept
 * whole by the compiler and the link even where the image reads it only
 * in part, or not at all.
 */
#define KDEBUG_VISIBLE		__attribute__((used, retain))

/* Exit status of the machine (semihosting), as ctest reads it. */
#define EXIT_STATUS_OK		0
#define EXIT_STATUS_FAILED	1
#define EXIT_STATUS_PANIC	2

/* kprintf: formatted console output; one call is one uninterrupted write. */
int kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int kvprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* console_write: raw bytes to the console, serialised with other writers. */
void console_write(const char *s, size_t n);

/*
 * panic: print the message, the calling hart's backtrace, stop the other
 * harts and end the machine with EXIT_STATUS_PANIC.  Usable from any context
 * (traps, interrupts off, console lock held by a dead hart).
 */
void panic(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

/* console_panic_mode: write without the console lock from now on (panic path). */
void console_panic_mode(void);

/* machine_exit: stop every hart and end the machine with `status`. */
void machine_exit(int status) __attribute__((noreturn));

/*
 * KINVARIANTS builds (the image every test suite boots, the host tests,
 * the fuzzer; FreeBSD's INVARIANTS) check what costs too much for every
 * build: lock rules (LOCK_ASSERT) and each map as its write lock is let
 * go (vm_map_unlock).  The image make bench measures (build/image-bench)
 * is built without it, and has none of that code.
 */
#ifdef KINVARIANTS
#define kinvariants	true
#else
#define kinvariants	false
#endif

/* LOCK_ASSERT: KASSERT for a lock rule ("=> object locked"), in KINVARIANTS builds. */
#define LOCK_ASSERT(cond, ...)						\
	do {								\
		if (kinvariants)					\
			KASSERT(cond, __VA_ARGS__);			\
	} while (0)

#define KASSERT(cond, ...)						\
	do {								\
		if (__builtin_expect(!(cond), 0))			\
			kassert_fail(#cond, __FILE__, __LINE__, "" __VA_ARGS__); \
	} while (0)

/*
 * kassert_fail: a KASSERT failed: panic, or, while the running thread has
 * a recovery point (kassert_recover, set by a test that expects the
 * failure), record the assertion in kassert_last and jump there.
 */
void kassert_fail(const char *cond, const char *file, int line, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 4, 5)));
extern char kassert_last[200];

#endif
