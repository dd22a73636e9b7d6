/*
 * thread.c: kernel threads and the scheduler (see thread.h).
 *
 * A switch happens with sched_lock held; the thread switched to releases
 * it (its caller of sched(), or thread_start on a first run), as in xv6.  Whether interrupts were on is a
 * property of the thread, not the hart, so sched() carries intena across.
 */
#include <stdio.h>
#include <string.h>

#include "kern/kernel.h"
#include "kern/ksyms.h"
#include "kern/spinlock.h"
#include "kern/thread.h"
#include "platform/riscv/hart.h"
#include "platform/riscv/riscv.h"
#include "platform/riscv/smp.h"
#include "platform/riscv/timer.h"
#include "platform/riscv/vmlayout.h"
#include "vm/pmap.h"
#include "vm/vm_kern.h"
#include "vm/vm_map.h"

static struct spinlock sched_lock = SPINLOCK_INIT("sched");
static struct thread threads[THREAD_MAX];	/* [s] state FREE = slot unused */
static struct thread *runq_head, *runq_tail;	/* [s] */
static struct thread *timed_head;		/* [s] sorted by wake_time */
static int thread_next_id;			/* [s] */
static int threads_live;			/* [s] */

/*
 * Sleepers by channel: a thread asleep on a channel is on its bucket's
 * list, in the order it went to sleep, so that a wakeup looks only at
 * the threads that may be on its channel (not at every slot).
 */
#define SLEEPQ_BUCKETS	64
static struct thread *sleepq[SLEEPQ_BUCKETS];	/* [s] linked by sq_next */

const char *thread_current_name(void)
{
	struct thread *t = thread_current();

	return t ? t->name : "(none)";
}

void thread_set_pmap(struct pmap *pmap)
{
	intr_push_off();	/* no preemption between the two */
	thread_current()->pmap = pmap;
	pmap_activate(pmap ? pmap : kernel_pmap);
	intr_pop_off();
}

void thread_set_map(struct vm_map *map)
{
	thread_current()->map = map;
	thread_set_pmap(map ? map->pmap : NULL);
}

/* thread_print_all's word for each state; tools/gdb/vm.py's showthreads reads it too. */
static const char *const thread_state_names[] KDEBUG_VISIBLE = { "free", "runnable", "running", "sleeping",
						  "zombie" };

void thread_print_all(void)
{
	for (int i = 0; i < THREAD_MAX; i++) {
		struct thread t;
		char on[16] = "";

		spin_lock(&sched_lock);
		t = threads[i];
		if (t.hart)
			snprintf(on, sizeof(on), ", hart %u", t.hart->index);
		spin_unlock(&sched_lock);
		if (t.state == THREAD_FREE)
			continue;
		kprintf("  thread %d %s: %s, channel %p%s\n", t.id, t.name, thread_state_names[t.state],
			t.wchan, on);
		if (t.state != THREAD_RUNNING && t.ctx.sp)	/* its saved context: where it stopped */
			ksyms_backtrace(t.ctx.ra, t.ctx.ra, t.ctx.s[0], t.ctx.sp);
	}
}

int thread_count(void)
{
	return __atomic_load_n(&threads_live, __ATOMIC_RELAXED);
}

static struct thread *thread_slot_alloc_locked(const char *name, int affinity)
{
	LOCK_ASSERT(spin_held(&sched_lock), "thread_slot_alloc_locked: sched_lock not held");

	for (int i = 0; i < THREAD_MAX; i++) {
		struct thread *t = &threads[i];

		if (t->state != THREAD_FREE)
			continue;
		memset(t, 0, sizeof(*t));
		strncpy(t->name, name, sizeof(t->name) - 1);
		t->id = thread_next_id++;
		t->affinity = affinity;
		t->state = THREAD_SLEEPING;	/* not runnable until set up */
		threads_live++;
		return t;
	}
	return NULL;
}

/*
 * Thread stacks come from kernel_map, each with a guard page below it
 * (kmem_alloc_stack): an overflow faults there, and trap.S reports it.
 * Finished stacks wait in a cache that thread_create takes from first (a
 * stack from kernel_map costs ten times the rest of a thread): a joined
 * thread's while fewer than THREAD_STACKS_KEPT wait, a detached one's
 * always, for it is done with only once the switch away from it is,
 * where (sched_lock held, interrupts off) it cannot go back to
 * kernel_map.  Every stack belongs to a thread slot or to the cache:
 * THREAD_MAX bound the cache.
 */
static vm_offset_t stack_cache[THREAD_MAX];	/* [s] */
static int stack_cached;			/* [s] */

static void thread_stack_cache_put_locked(vm_offset_t base)
{
	LOCK_ASSERT(spin_held(&sched_lock), "thread_stack_cache_put_locked: sched_lock not held");

	KASSERT(stack_cached < THREAD_MAX, "thread stack cache overflows");
	stack_cache[stack_cached++] = base;
}

/* thread_stack_cache_take_locked: a cached stack's base, 0 if none. */
static vm_offset_t thread_stack_cache_take_locked(void)
{
	LOCK_ASSERT(spin_held(&sched_lock), "thread_stack_cache_take_locked: sched_lock not held");

	return stack_cached ? stack_cache[--stack_cached] : 0;
}

void thread_stack_cache_trim(int keep)
{
	for (;;) {
		vm_offset_t base;

		spin_lock(&sched_lock);
		base = stack_cached > keep ? thread_stack_cache_take_locked() : 0;
		spin_unlock(&sched_lock);
		if (!base)
			return;
		kmem_free_stack(kernel_map, base, THREAD_STACK_SIZE);
	}
}

/*
 * thread_slot_free: t, joined (or never run), and its stack (to the cache
 * while fewer than THREAD_STACKS_KEPT wait there).  => may sleep
 */
static void thread_slot_free(struct thread *t)
{
	uint64_t base = t->stack_base;

	spin_lock(&sched_lock);
	t->state = THREAD_FREE;
	threads_live--;
	if (base && stack_cached < THREAD_STACKS_KEPT) {
		thread_stack_cache_put_locked(base);
		base = 0;
	}
	spin_unlock(&sched_lock);
	if (base)
		kmem_free_stack(kernel_map, base, THREAD_STACK_SIZE);
}

static void runq_push_locked(struct thread *t)
{
	LOCK_ASSERT(spin_held(&sched_lock), "runq_push_locked: sched_lock not held");

	t->state = THREAD_RUNNABLE;
	t->rq_next = NULL;
	if (runq_tail)
		runq_tail->rq_next = t;
	else
		runq_head = t;
	runq_tail = t;
}

/* runq_pop_locked: first runnable thread allowed on hart h, or NULL. */
static struct thread *runq_pop_locked(struct hart *h)
{
	struct thread *prev = NULL;

	LOCK_ASSERT(spin_held(&sched_lock), "runq_pop_locked: sched_lock not held");
	for (struct thread *t = runq_head; t; prev = t, t = t->rq_next) {
		if (t->affinity != THREAD_ANY_HART && t->affinity != (int)h->index)
			continue;
		if (prev)
			prev->rq_next = t->rq_next;
		else
			runq_head = t->rq_next;
		if (runq_tail == t)
			runq_tail = prev;
		t->rq_next = NULL;
		return t;
	}
	return NULL;
}

static bool runq_has_work_locked(struct hart *h)
{
	LOCK_ASSERT(spin_held(&sched_lock), "runq_has_work_locked: sched_lock not held");

	for (struct thread *t = runq_head; t; t = t->rq_next)
		if (t->affinity == THREAD_ANY_HART || t->affinity == (int)h->index)
			return true;
	return false;
}

/*
 * thread_reap_locked: free the detached thread that exited on this hart;
 * its stack is no longer in use once the switch away from it is done.
 */
static int thread_wakeup_locked(const void *chan);

static void thread_reap_locked(struct hart *h)
{
	struct thread *t = h->reap;

	LOCK_ASSERT(spin_held(&sched_lock), "thread_reap_locked: sched_lock not held");
	if (!t)
		return;
	h->reap = NULL;
	thread_stack_cache_put_locked(t->stack_base);
	t->state = THREAD_FREE;
	threads_live--;
}

/*
 * sched: switch away from the current thread, whose new state the caller
 * has set.  => sched_lock held (and nothing else), interrupts off
 */
static void sched(void)
{
	struct hart *h = hart_self();
	struct thread *cur = h->cur;
	struct thread *next;
	bool intena;

	LOCK_ASSERT(spin_held(&sched_lock), "sched: sched_lock not held");
	if (h->noff != 1)
		panic("sched: %d locks held by %s", h->noff, cur->name);
	h->need_resched = false;	/* whatever we pick, the request is served */
	if (cur->state == THREAD_RUNNABLE && cur != h->idle)
		runq_push_locked(cur);
	next = runq_pop_locked(h);
	if (!next)
		next = h->idle;
	if (next == cur) {
		cur->state = THREAD_RUNNING;
		return;
	}
	if (cur->state == THREAD_ZOMBIE && cur->detached)
		h->reap = cur;
	next->state = THREAD_RUNNING;
	next->hart = h;
	next->switches++;
	cur->hart = NULL;
	if (h->pmap_active != (next->pmap ? next->pmap : kernel_pmap))
		pmap_activate(next->pmap ? next->pmap : kernel_pmap);
	h->cur = next;
	h->kstack_top = next->utrap_sp ? next->utrap_sp : next->stack_top;
	h->kstack_bottom = next->stack_base;
	intena = h->intena;
	context_switch(&cur->ctx, &next->ctx);
	h = hart_self();		/* may be another hart now */
	h->intena = intena;
	thread_reap_locked(h);
}

static void thread_start(void)
{
	struct thread *t;

	/* First run: finish the switch sched() began, with interrupts on. */
	thread_reap_locked(hart_self());
	hart_self()->intena = true;
	spin_unlock(&sched_lock);
	t = thread_current();
	t->entry(t->arg);
	thread_exit(0);
}

struct thread *thread_create(const char *name, void (*entry)(void *), void *arg, int affinity)
{
	vm_offset_t base;
	struct thread *t;

	if (affinity != THREAD_ANY_HART && (affinity < 0 || affinity >= hart_count ||
					    !__atomic_load_n(&harts[affinity].online, __ATOMIC_ACQUIRE)))
		return NULL;
	spin_lock(&sched_lock);
	t = thread_slot_alloc_locked(name, affinity);	/* not runnable yet: nobody looks further */
	base = t ? thread_stack_cache_take_locked() : 0;
	spin_unlock(&sched_lock);
	if (!t)
		return NULL;
	if (!base && kmem_alloc_stack(kernel_map, &base, THREAD_STACK_SIZE) != KERN_SUCCESS) {
		thread_slot_free(t);
		return NULL;
	}
	t->stack_base = base;
	t->stack_top = base + THREAD_STACK_SIZE;
	t->entry = entry;
	t->arg = arg;
	context_init(&t->ctx, t->stack_top, thread_start);
	spin_lock(&sched_lock);
	runq_push_locked(t);
	spin_unlock(&sched_lock);
	thread_stack_cache_trim(THREAD_STACKS_KEPT);
	return t;
}

void thread_detach(struct thread *t)
{
	bool free_now;

	spin_lock(&sched_lock);
	t->detached = true;
	free_now = t->state == THREAD_ZOMBIE;
	spin_unlock(&sched_lock);
	if (free_now)
		thread_slot_free(t);
}

void thread_exit(int code)
{
	struct thread *t = thread_current();

	/* ZOMBIE is visible to joiners only once the switch away is done (sched_lock). */
	spin_lock(&sched_lock);
	t->exit_code = code;
	t->state = THREAD_ZOMBIE;
	thread_wakeup_locked(t);
	sched();
	panic("thread_exit: zombie %s ran again", t->name);
}

int thread_join(struct thread *t)
{
	int code = 0;

	thread_join_deadline(t, 0, &code);
	return code;
}

bool thread_join_deadline(struct thread *t, uint64_t deadline, int *code)
{
	spin_lock(&sched_lock);
	KASSERT(!t->detached, "thread_join: %s is detached", t->name);
	while (t->state != THREAD_ZOMBIE) {
		if (thread_sleep_deadline(t, &sched_lock, deadline)) {
			spin_unlock(&sched_lock);
			return false;	/* still running: it stays to be joined */
		}
	}
	*code = t->exit_code;
	spin_unlock(&sched_lock);
	thread_slot_free(t);
	return true;
}

void thread_yield(void)
{
	spin_lock(&sched_lock);
	thread_current()->state = THREAD_RUNNABLE;
	sched();
	spin_unlock(&sched_lock);
}

void thread_preempt(void)
{
	thread_yield();
}

static void timed_insert_locked(struct thread *t)
{
	struct thread **pp = &timed_head;

	LOCK_ASSERT(spin_held(&sched_lock), "timed_insert_locked: sched_lock not held");
	while (*pp && (*pp)->wake_time <= t->wake_time)
		pp = &(*pp)->rq_next;
	t->rq_next = *pp;
	*pp = t;
}

static void timed_remove_locked(struct thread *t)
{
	LOCK_ASSERT(spin_held(&sched_lock), "timed_remove_locked: sched_lock not held");

	for (struct thread **pp = &timed_head; *pp; pp = &(*pp)->rq_next) {
		if (*pp == t) {
			*pp = t->rq_next;
			t->rq_next = NULL;
			return;
		}
	}
}

/* sleepq_bucket: the list chan's sleepers are on (channels are addresses). */
static struct thread **sleepq_bucket(const void *chan)
{
	uintptr_t h = (uintptr_t)chan;

	return &sleepq[((h >> 3) ^ (h >> 9) ^ (h >> 15)) % SLEEPQ_BUCKETS];
}

/* sleepq_insert_locked: t, about to sleep on t->wchan, goes last on its bucket. */
static void sleepq_insert_locked(struct thread *t)
{
	struct thread **pp = sleepq_bucket(t->wchan);

	LOCK_ASSERT(spin_held(&sched_lock), "sleepq_insert_locked: sched_lock not held");
	while (*pp)
		pp = &(*pp)->sq_next;
	t->sq_next = NULL;
	*pp = t;
}

/* sleepq_remove_locked: t leaves its bucket (a wakeup or its deadline ended the sleep). */
static void sleepq_remove_locked(struct thread *t)
{
	struct thread **pp = sleepq_bucket(t->wchan);

	LOCK_ASSERT(spin_held(&sched_lock), "sleepq_remove_locked: sched_lock not held");
	while (*pp != t)
		pp = &(*pp)->sq_next;
	*pp = t->sq_next;
	t->sq_next = NULL;
	t->wchan = NULL;
}

/* thread_sleep_locked: sleep with sched_lock held (it is held again on return). */
static void thread_sleep_locked(const void *chan, uint64_t deadline)
{
	struct thread *t = thread_current();

	LOCK_ASSERT(spin_held(&sched_lock), "thread_sleep_locked: sched_lock not held");
	t->wchan = chan;
	t->wake_time = deadline;
	t->timed_out = false;
	t->state = THREAD_SLEEPING;
	if (chan)
		sleepq_insert_locked(t);
	if (deadline) {
		timed_insert_locked(t);
		timer_deadline_hint(deadline);
	}
	sched();
	t->wchan = NULL;
	t->wake_time = 0;
}

bool thread_sleep_deadline(const void *chan, struct spinlock *lk, uint64_t deadline)
{
	bool timed_out;

	if (lk != &sched_lock) {
		spin_lock(&sched_lock);
		if (lk)
			spin_unlock(lk);
	}
	thread_sleep_locked(chan, deadline);
	timed_out = thread_current()->timed_out;
	if (lk != &sched_lock) {
		spin_unlock(&sched_lock);
		if (lk)
			spin_lock(lk);
	}
	return timed_out;
}

bool thread_may_sleep(void)
{
	return thread_current() && intr_enabled() && hart_self()->noff == 0;
}

void thread_sleep(const void *chan, struct spinlock *lk)
{
	thread_sleep_deadline(chan, lk, 0);
}

uint64_t thread_deadline_after(uint64_t ns)
{
	return timer_now() + timer_ns_to_ticks(ns);
}

void thread_sleep_ns(uint64_t ns)
{
	uint64_t deadline = thread_deadline_after(ns);

	spin_lock(&sched_lock);
	while (timer_now() < deadline)
		thread_sleep_locked(NULL, deadline);
	spin_unlock(&sched_lock);
}

/* thread_kick_idle_locked: interrupt one idle hart that may run t, so it need not wait for a tick. */
static void thread_kick_idle_locked(struct thread *t)
{
	struct hart *self = hart_self();

	LOCK_ASSERT(spin_held(&sched_lock), "thread_kick_idle_locked: sched_lock not held");
	for (int i = 0; i < hart_count; i++) {
		struct hart *h = &harts[i];

		if (h == self || !h->online || h->cur != h->idle ||
		    (t->affinity != THREAD_ANY_HART && t->affinity != i))
			continue;
		smp_ipi_send(i, IPI_RESCHED);
		return;
	}
}

static void thread_wake_locked(struct thread *t, bool timed_out)
{
	LOCK_ASSERT(spin_held(&sched_lock), "thread_wake_locked: sched_lock not held");

	if (t->wchan)
		sleepq_remove_locked(t);
	if (t->wake_time && !timed_out)
		timed_remove_locked(t);
	t->timed_out = timed_out;
	runq_push_locked(t);
	thread_kick_idle_locked(t);
}

/* thread_wakeup_locked: thread_wakeup with sched_lock held. */
static int thread_wakeup_locked(const void *chan)
{
	struct thread **pp = sleepq_bucket(chan), *t;
	int n = 0;

	LOCK_ASSERT(spin_held(&sched_lock), "thread_wakeup_locked: sched_lock not held");
	while (chan && (t = *pp)) {
		if (t->wchan != chan) {
			pp = &t->sq_next;
			continue;
		}
		thread_wake_locked(t, false);	/* takes t off the list: *pp moves on */
		n++;
	}
	return n;
}

int thread_wakeup(const void *chan)
{
	int n;

	spin_lock(&sched_lock);
	n = thread_wakeup_locked(chan);
	spin_unlock(&sched_lock);
	return n;
}

uint64_t thread_next_deadline(void)
{
	struct thread *t = __atomic_load_n(&timed_head, __ATOMIC_RELAXED);

	return t ? __atomic_load_n(&t->wake_time, __ATOMIC_RELAXED) : UINT64_MAX;
}

void thread_timer_tick(uint64_t now)
{
	struct hart *h = hart_self();

	spin_lock(&sched_lock);
	while (timed_head && timed_head->wake_time <= now) {
		struct thread *t = timed_head;

		timed_head = t->rq_next;
		t->rq_next = NULL;
		thread_wake_locked(t, true);
	}
	if (runq_has_work_locked(h))
		h->need_resched = true;
	spin_unlock(&sched_lock);
}

/* The boot context becomes a thread, so that it can sleep and be switched. */
static struct thread *thread_adopt_current(struct hart *h, const char *name)
{
	struct thread *t;
	uint64_t sp;

	__asm__ volatile("mv %0, sp" : "=r"(sp));
	spin_lock(&sched_lock);
	t = thread_slot_alloc_locked(name, (int)h->index);
	KASSERT(t, "thread_adopt_current: no thread slot");
	t->state = THREAD_RUNNING;
	t->hart = h;
	t->stack_top = h->kstack_top ? h->kstack_top : ROUND_UP(sp, 16);
	h->cur = t;
	spin_unlock(&sched_lock);
	return t;
}

void thread_init(struct hart *boot_hart)
{
	thread_init_hart(boot_hart);
}

/*
 * thread_init_hart: the current context becomes this hart's idle thread
 * (pinned to it); work is then started with thread_create.
 */
void thread_init_hart(struct hart *h)
{
	char name[THREAD_NAME_MAX];

	snprintf(name, sizeof(name), "idle%u", h->index);
	h->idle = thread_adopt_current(h, name);
	h->kstack_top = h->idle->stack_top;
}

void thread_idle_loop(void)
{
	struct hart *h = hart_self();

	__atomic_store_n(&h->online, true, __ATOMIC_RELEASE);
	for (;;) {
		/*
		 * Interrupts stay off from the check to wfi: a wakeup that lands
		 * in between is pending, and a pending interrupt ends wfi even
		 * while disabled (priv spec 3.3.3); it is taken right after.
		 * With interrupts on across that window, a wakeup handled there
		 * left the runnable thread waiting for the next tick.
		 */
		intr_disable();
		spin_lock(&sched_lock);
		if (runq_has_work_locked(h)) {
			h->cur->state = THREAD_RUNNABLE;
			sched();
		}
		spin_unlock(&sched_lock);
		timer_check();
		if (!h->need_resched)
			wfi();
		intr_enable();
	}
}
