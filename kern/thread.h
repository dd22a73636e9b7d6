/*
 * thread.h: preemptive kernel threads.
 *
 * One global run queue (FIFO) under sched_lock; each hart runs the first
 * runnable thread allowed on it, else its idle thread.  The tick preempts
 * (time slice = one tick) whenever the interrupted code has interrupts on.
 * Sleep/wakeup follows xv6: sleep on a channel while releasing a spinlock,
 * so no wakeup is lost between the test and the sleep.  Sleepers wait in
 * queues hashed by channel, so a wakeup looks only at its channel's.
 *
 * Lock tags: kern/lock.h; the owner of a thread's [t] fields is that thread.
 */
#ifndef KERN_THREAD_H
#define KERN_THREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "platform/riscv/context.h"

struct spinlock;
struct hart;
struct pmap;
struct task;
struct vm_map;
struct vm_page;

#define THREAD_NAME_MAX		24
#define THREAD_STACK_SIZE	(16 * 1024)
#define THREAD_MAX		256
#define THREAD_STACKS_KEPT	8	/* finished stacks kept for the next threads */
#define THREAD_ANY_HART		(-1)

enum thread_state {
	THREAD_FREE,
	THREAD_RUNNABLE,
	THREAD_RUNNING,
	THREAD_SLEEPING,
	THREAD_ZOMBIE,
};

struct thread {
	struct thread_context ctx;	/* [s] saved registers while not running */
	enum thread_state state;	/* [s] */
	char name[THREAD_NAME_MAX];	/* [c] */
	int id;				/* [c] */
	int affinity;			/* [c] hart index or THREAD_ANY_HART */
	uint64_t stack_base;		/* [c] the stack's lowest byte (guard page below), 0 = boot stack */
	uint64_t stack_top;		/* [c] kernel virtual address */
	void (*entry)(void *);		/* [c] */
	void *arg;			/* [c] */
	const void *wchan;		/* [s] channel slept on, NULL if none */
	struct thread *sq_next;		/* [s] next sleeper in wchan's sleep queue bucket */
	uint64_t wake_time;		/* [s] timed sleep deadline (timer ticks), 0 = none */
	bool timed_out;			/* [s] the deadline, not a wakeup, ended the sleep */
	bool detached;			/* [s] free on exit; no join */
	int exit_code;			/* [s] */
	struct thread *rq_next;		/* [s] run queue or timed-sleep list link */
	struct hart *hart;		/* [s] hart running it, NULL if none */
	uint64_t switches;		/* [s] times switched in */
	int trap_depth;			/* [t] nested traps (trap.c) */
	void *fault_ctx;		/* [t] owned by the test framework */
	void *uaccess;			/* [t] recovery point of the pmap_user_access in progress */
	void *kassert_recover;		/* [t] a failed KASSERT jumps here instead of panicking
					   (the test framework's EXPECT_ASSERT), or NULL */
	struct pmap *pmap;		/* [t] address space it runs in, NULL = kernel only */
	struct vm_map *map;		/* [t] its map (faults in the lower half go there), or NULL */
	uint64_t utrap_sp;		/* [t] kernel sp for traps from U-mode, 0 = not in user_run */
	void *user_state;		/* [t] owned by usermode.c */
	struct task *task;		/* [t] the task it runs (task/task.h), or NULL */
	bool vm_privileged;		/* [t] may take the page reserve (pageout path) */
};

/* thread_init: adopt the boot context as thread 0 on the boot hart. */
void thread_init(struct hart *boot_hart);
/* thread_init_hart: give a secondary hart its idle thread (the current context). */
void thread_init_hart(struct hart *h);
/* thread_idle_loop: run the scheduler on this hart forever. */
void thread_idle_loop(void) __attribute__((noreturn));

/*
 * thread_create: a runnable thread running entry(arg) on a stack of its
 * own with a guard page below it.  => may sleep (for the stack)
 * => affinity is the index of an online hart or THREAD_ANY_HART
 * => NULL if THREAD_MAX threads exist, no memory for the stack or the
 *    hart is not online (the thread would never run)
 */
struct thread *thread_create(const char *name, void (*entry)(void *), void *arg, int affinity);
/*
 * thread_stack_cache_trim: give finished stacks back to kernel_map until
 * at most `keep` stay cached.  => may sleep
 */
void thread_stack_cache_trim(int keep);
/* thread_detach: free the thread when it exits; it cannot be joined. */
void thread_detach(struct thread *t);
/* thread_join: wait for t to exit, return its exit code and free it. */
int thread_join(struct thread *t);
/*
 * thread_join_deadline: thread_join, giving up at deadline (timer ticks;
 * 0: never): false then, t left running and still to be joined.
 */
bool thread_join_deadline(struct thread *t, uint64_t deadline, int *code);
void thread_exit(int code) __attribute__((noreturn));

void thread_yield(void);
/* thread_preempt: yield from the trap exit path (the tick asked for it). */
void thread_preempt(void);

/*
 * thread_sleep: sleep on chan, releasing lk (held on entry, may be NULL) and
 * taking it again before returning.  Spurious returns are possible: callers
 * re-check their condition in a loop.
 */
void thread_sleep(const void *chan, struct spinlock *lk);
/* thread_sleep_deadline: as thread_sleep, also ended at `deadline` (timer ticks); true if timed out. */
bool thread_sleep_deadline(const void *chan, struct spinlock *lk, uint64_t deadline);
/* thread_deadline_after: the deadline (timer ticks) ns nanoseconds from now. */
uint64_t thread_deadline_after(uint64_t ns);
/* thread_sleep_ns: sleep for at least ns nanoseconds. */
void thread_sleep_ns(uint64_t ns);
/*
 * thread_may_sleep: the caller is a thread holding no spinlock, with
 * interrupts on (not a trap handler): it may block.
 */
bool thread_may_sleep(void);
/* thread_wakeup: make every thread sleeping on chan runnable; returns how many. */
int thread_wakeup(const void *chan);

/*
 * thread_set_pmap: run the calling thread in pmap from now on (NULL: the
 * kernel's); the scheduler switches satp with it.  => the caller keeps
 * pmap referenced while it is set
 */
void thread_set_pmap(struct pmap *pmap);
/* thread_set_map: run in map (its pmap) from now on; NULL: the kernel's. */
void thread_set_map(struct vm_map *map);
#if defined(__riscv)	/* the image; the host unit tests supply their own */
#include "platform/riscv/hart.h"

/*
 * thread_current: this hart's cur, read by one load through tp: a thread
 * moves to another hart only through a trap, which comes before or after
 * that one instruction, and tp is always the hart it runs on.  (Reading tp
 * and then h->cur in two instructions could read another thread's hart.)
 * tp is 0 on the boot hart before its struct hart is set up: no thread.
 */
static inline struct thread *thread_current(void)
{
	struct thread *t;

	if (!hart_self())
		return NULL;
	__asm__ volatile("ld %0, %1(tp)" : "=r"(t) : "i"(__builtin_offsetof(struct hart, cur)));
	return t;
}
#else
struct thread *thread_current(void);
#endif
const char *thread_current_name(void);
/* thread_count: threads that exist (not FREE), for accounting checks. */
int thread_count(void);
/*
 * thread_print_all: one line per thread (id, name, state, the channel it
 * sleeps on, the hart running it) and the call chain a thread that is not
 * running stopped in, for reports of a machine that stalled.  A snapshot:
 * threads may move on while it prints.
 */
void thread_print_all(void);
/* thread_timer_tick: called by the tick on every hart: wake expired sleepers, ask for preemption. */
void thread_timer_tick(uint64_t now);
/* thread_next_deadline: earliest timed-sleep deadline, UINT64_MAX if none. */
uint64_t thread_next_deadline(void);

#endif
