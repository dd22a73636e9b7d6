/*
 * thread_test.c: creation and join, preemption of threads that never
 * yield, sleep/wakeup without lost wakeups, timed-sleep order, and the
 * thread table and stacks back to where they started.
 */
#include "kern/spinlock.h"
#include "kern/thread.h"
#include "platform/riscv/hart.h"
#include "platform/riscv/timer.h"
#include "tests/kernel/ktest.h"
#include "vm/pmap.h"
#include "vm/vm_kern.h"
#include "vm/vm_map.h"
#include "vm/vm_page.h"

KTEST_RUN(threads_smp1, "test=threads", "-m 256M -smp 1");
KTEST_RUN(threads_smp4, "test=threads", "-m 256M -smp 4");

#define MS (1000ul * 1000)

static void return_arg(void *arg)
{
	thread_exit((int)(uintptr_t)arg);
}

KTEST(threads, create_join_exit_code)
{
	struct thread *t = thread_create("exit7", return_arg, (void *)7, THREAD_ANY_HART);

	ASSERT_TRUE(t != NULL);
	EXPECT_EQ(thread_join(t), 7);
}

static void count_up(void *arg)
{
	__atomic_fetch_add((int *)arg, 1, __ATOMIC_RELAXED);
}

KTEST(threads, many_threads)
{
	struct thread *t[100];
	int n = 0;

	for (int i = 0; i < 100; i++) {
		t[i] = thread_create("many", count_up, &n, THREAD_ANY_HART);
		ASSERT_TRUE(t[i] != NULL);
	}
	for (int i = 0; i < 100; i++)
		thread_join(t[i]);
	EXPECT_EQ(n, 100);
}

/* stack_probe: a thread's stack bounds and the sp it runs on; it waits for release. */
struct stack_probe {
	uint64_t base, top, sp;
	volatile bool ready, release;
};

static void stack_probe_run(void *arg)
{
	struct stack_probe *p = arg;
	struct thread *t = thread_current();

	p->base = t->stack_base;
	p->top = t->stack_top;
	__asm__ volatile("mv %0, sp" : "=r"(p->sp));
	__atomic_store_n(&p->ready, true, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&p->release, __ATOMIC_ACQUIRE))
		thread_sleep_ns(1 * MS);
}

/*
 * A thread runs on a kernel_map stack with a guard page below it: the
 * guard maps nothing and no access may ever fault it in (its maximum
 * protection is none); the stack is mapped.  Both go once the thread is
 * joined and the stack cache trimmed.  (An access to the guard is the selftest_stack_overflow suite:
 * it ends the machine.)
 */
KTEST(threads, stack_has_a_guard_page)
{
	struct stack_probe p = { 0 };
	struct thread *t = thread_create("probe", stack_probe_run, &p, THREAD_ANY_HART);
	vm_region_basic_info_data_t info;
	vm_address_t a;
	vm_size_t size;
	vm_paddr_t pa;

	ASSERT_TRUE(t != NULL);
	while (!__atomic_load_n(&p.ready, __ATOMIC_ACQUIRE))
		thread_sleep_ns(1 * MS);
	EXPECT_EQ(p.top - p.base, THREAD_STACK_SIZE);
	EXPECT_TRUE(p.sp > p.base && p.sp <= p.top);
	EXPECT_TRUE(p.base >= PMAP_KERNEL_START && p.base < PMAP_KERNEL_END);
	a = p.base - PAGE_SIZE;
	EXPECT_EQ(vm_region(kernel_map, &a, &size, &info), KERN_SUCCESS);
	EXPECT_EQ(a, p.base - PAGE_SIZE);
	EXPECT_EQ(info.protection, VM_PROT_NONE);
	EXPECT_EQ(info.max_protection, VM_PROT_NONE);
	EXPECT_EQ(pmap_extract(kernel_pmap, p.base - PAGE_SIZE, &pa), KERN_INVALID_ADDRESS);
	a = p.base;
	EXPECT_EQ(vm_region(kernel_map, &a, &size, &info), KERN_SUCCESS);
	EXPECT_EQ(a, p.base);
	EXPECT_EQ(info.protection, VM_PROT_DEFAULT);
	for (uint64_t va = p.base; va < p.top; va += PAGE_SIZE)
		EXPECT_EQ(pmap_extract(kernel_pmap, va, &pa), KERN_SUCCESS);
	__atomic_store_n(&p.release, true, __ATOMIC_RELEASE);
	EXPECT_EQ(thread_join(t), 0);
	thread_stack_cache_trim(0);	/* the cache kept the stack for the next thread */
	a = p.base - PAGE_SIZE;
	EXPECT_TRUE(vm_region(kernel_map, &a, &size, &info) != KERN_SUCCESS || a >= p.top);
}

struct spinner {
	volatile bool stop;
	volatile uint64_t count[2];
};

static void spin_a(void *arg)
{
	struct spinner *s = arg;

	while (!s->stop)
		s->count[0]++;
}

static void spin_b(void *arg)
{
	struct spinner *s = arg;

	while (!s->stop)
		s->count[1]++;
}

KTEST(threads, preemption_shares_one_hart)
{
	struct spinner s = { 0 };
	/* Both spinners and this thread on hart 0: only the tick can switch them. */
	struct thread *a = thread_create("spin_a", spin_a, &s, 0);
	struct thread *b = thread_create("spin_b", spin_b, &s, 0);
	uint64_t sw_a, sw_b;

	ASSERT_TRUE(a && b);
	thread_sleep_ns(100 * MS);
	s.stop = true;
	sw_a = a->switches;
	sw_b = b->switches;
	thread_join(a);
	thread_join(b);
	EXPECT_GT(s.count[0], 0);
	EXPECT_GT(s.count[1], 0);
	/* Both ran, so the tick switched between them (a loaded host may deliver few ticks). */
	EXPECT_GE(sw_a, 1);
	EXPECT_GE(sw_b, 1);
}

#define RING 8
#define ITEMS 2000

struct ring {
	struct spinlock lk;
	int buf[RING];
	int head, tail;		/* head - tail = items in the ring */
	uint64_t sum;
};

static void producer(void *arg)
{
	struct ring *r = arg;

	for (int i = 1; i <= ITEMS; i++) {
		spin_lock(&r->lk);
		while (r->head - r->tail == RING)
			thread_sleep(&r->tail, &r->lk);
		r->buf[r->head++ % RING] = i;
		thread_wakeup(&r->head);
		spin_unlock(&r->lk);
	}
}

static void consumer(void *arg)
{
	struct ring *r = arg;

	for (int i = 1; i <= ITEMS; i++) {
		spin_lock(&r->lk);
		while (r->head == r->tail)
			thread_sleep(&r->head, &r->lk);
		r->sum += r->buf[r->tail++ % RING];
		thread_wakeup(&r->tail);
		spin_unlock(&r->lk);
	}
}

KTEST(threads, sleep_wakeup_loses_nothing)
{
	struct ring r = { .lk = SPINLOCK_INIT("ring") };
	int last = hart_count - 1;
	struct thread *p = thread_create("producer", producer, &r, 0);
	struct thread *c = thread_create("consumer", consumer, &r, last);

	ASSERT_TRUE(p && c);
	thread_join(p);
	thread_join(c);
	EXPECT_EQ(r.sum, (uint64_t)ITEMS * (ITEMS + 1) / 2);
	EXPECT_EQ(r.head, ITEMS);
	EXPECT_EQ(r.tail, ITEMS);
}

KTEST(threads, wakeup_without_sleepers)
{
	static int chan;

	EXPECT_EQ(thread_wakeup(&chan), 0);
	EXPECT_EQ(thread_wakeup(NULL), 0);
}

/* Two channels 2 MiB apart share a sleep queue bucket (the hash looks at bits 3..20). */
#define CHAN_A		((const void *)0x1000)
#define CHAN_B		((const void *)(0x1000 + (2ul << 20)))

struct chan_sleep {
	struct spinlock lk;
	int asleep;			/* under lk */
	int woken;			/* under lk */
	bool go_a, go_b;		/* under lk */
};

static struct chan_sleep chan_sleep = { .lk = SPINLOCK_INIT("chan_sleep") };

static void chan_sleeper(void *arg)
{
	const void *chan = arg;
	struct chan_sleep *c = &chan_sleep;

	spin_lock(&c->lk);
	c->asleep++;
	while (!(chan == CHAN_A ? c->go_a : c->go_b))
		thread_sleep(chan, &c->lk);
	c->woken++;
	spin_unlock(&c->lk);
}

/* chan_sleep_wait: until n sleepers went to sleep (they do so holding the lock we take). */
static void chan_sleep_wait(int n)
{
	for (;;) {
		spin_lock(&chan_sleep.lk);
		if (chan_sleep.asleep == n)
			return;		/* locked: all n are asleep */
		spin_unlock(&chan_sleep.lk);
		thread_yield();
	}
}

KTEST(threads, wakeup_wakes_only_its_channel)
{
	struct chan_sleep *c = &chan_sleep;
	struct thread *t[3];
	const void *chans[3] = { CHAN_A, CHAN_B, CHAN_A };
	uint64_t deadline;

	*c = (struct chan_sleep){ .lk = SPINLOCK_INIT("chan_sleep") };
	for (int i = 0; i < 3; i++)
		ASSERT_TRUE((t[i] = thread_create("chan", chan_sleeper, (void *)chans[i], THREAD_ANY_HART)));
	chan_sleep_wait(3);
	c->go_a = true;
	EXPECT_EQ(thread_wakeup(CHAN_A), 2);	/* both of A's, not B's in the same bucket */
	spin_unlock(&c->lk);
	thread_join(t[0]);
	thread_join(t[2]);
	spin_lock(&c->lk);
	EXPECT_EQ(c->woken, 2);
	/* A timed sleep on A's channel ends by its deadline and leaves the queue. */
	deadline = thread_deadline_after(MS);
	EXPECT_TRUE(thread_sleep_deadline(CHAN_A, &c->lk, deadline));
	EXPECT_EQ(thread_wakeup(CHAN_A), 0);
	c->go_b = true;
	EXPECT_EQ(thread_wakeup(CHAN_B), 1);
	spin_unlock(&c->lk);
	thread_join(t[1]);
	EXPECT_EQ(c->woken, 3);
	EXPECT_EQ(thread_wakeup(CHAN_B), 0);
}

struct order {
	struct spinlock lk;
	int next;
	int seen[3];
};

struct sleeper {
	struct order *o;
	uint64_t ms;
	uint64_t deadline;	/* ticks: ms after one instant common to all */
};

static void timed_sleeper(void *arg)
{
	struct sleeper *s = arg;

	while (timer_now() < s->deadline)
		thread_sleep_deadline(NULL, NULL, s->deadline);
	spin_lock(&s->o->lk);
	s->o->seen[s->o->next++] = (int)s->ms;
	spin_unlock(&s->o->lk);
}

/*
 * Three sleepers with deadlines 30, 10 and 20 ms after one instant, on one
 * hart: they are woken in deadline order and run in that order, however
 * late the host runs the harts (a sleeper's own start time and the hart it
 * wakes on are not part of what is checked).
 */
KTEST(threads, timed_sleeps_wake_in_deadline_order)
{
	struct order o = { .lk = SPINLOCK_INIT("order") };
	struct sleeper s[3] = { { &o, 30, 0 }, { &o, 10, 0 }, { &o, 20, 0 } };
	uint64_t t0 = timer_now();
	struct thread *t[3];

	for (int i = 0; i < 3; i++) {
		s[i].deadline = t0 + timer_ns_to_ticks(s[i].ms * MS);
		t[i] = thread_create("sleeper", timed_sleeper, &s[i], 0);
	}
	for (int i = 0; i < 3; i++) {
		ASSERT_TRUE(t[i] != NULL);
		thread_join(t[i]);
	}
	EXPECT_EQ(o.seen[0], 10);
	EXPECT_EQ(o.seen[1], 20);
	EXPECT_EQ(o.seen[2], 30);
}

static void detached_body(void *arg)
{
	__atomic_store_n((int *)arg, 1, __ATOMIC_RELEASE);
}

KTEST(threads, detached_thread_is_reaped)
{
	int threads0 = thread_count();
	uint64_t free0 = vm_page_free_count();
	int done = 0;
	struct thread *t = thread_create("detached", detached_body, &done, THREAD_ANY_HART);

	ASSERT_TRUE(t != NULL);
	thread_detach(t);
	while (!__atomic_load_n(&done, __ATOMIC_ACQUIRE) || thread_count() != threads0)
		thread_sleep_ns(1 * MS);
	EXPECT_EQ(thread_count(), threads0);
	thread_stack_cache_trim(0);	/* its stack went to the cache, as the first one did */
	EXPECT_EQ(vm_page_free_count(), free0);
}

KTEST(threads, yield_returns)
{
	uint64_t before = thread_current()->switches;

	for (int i = 0; i < 10; i++)
		thread_yield();
	EXPECT_GE(thread_current()->switches, before);
}
