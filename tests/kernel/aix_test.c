/*
 * aix_test.c: the AIX pinning and cross-memory services (aix/pin.h,
 * aix/xmem.h): pins that nest and count, never undo the kernel's own
 * wiring and survive a paging run of four times RAM; pins a task still
 * holds when it ends; cross-memory copies into a blocked task from
 * another thread, and with interrupts off; an attached object outliving
 * the task's mapping of it; xmemdma's hide, which makes a second thread
 * wait until the unhide; and a table of bad arguments, each with its
 * documented return and no change of state.
 */
#include <errno.h>
#include <string.h>

#include "aix/pin.h"
#include "aix/xmem.h"
#include "drivers/dma/dma.h"
#include "drivers/iommu/iommu.h"
#include "kern/spinlock.h"
#include "kern/thread.h"
#include "platform/riscv/hart.h"
#include "platform/riscv/smp.h"
#include "task/task.h"
#include "tests/kernel/ktest.h"
#include "tests/kernel/map_fixture.h"
#include "tests/kernel/region_fixture.h"
#include "vm/default_pager.h"
#include "vm/pmap.h"
#include "vm/vm.h"
#include "vm/vm_kern.h"
#include "vm/vm_object.h"
#include "vm/vm_user.h"

KTEST_RUN(aix, "test=aix swap=swap", "-m 32M -smp 1 --blk swap:192M --blk swap2:64M -device edu --9p share");
KTEST_RUN(aix.smp4, "test=aix swap=swap", "-m 32M -smp 4 --blk swap:192M --blk swap2:64M -device edu --9p share");

#define UBASE		0x10000000ul	/* a region fixture's first page */
#define BLOCK_TICKS	10000000	/* wait_spinner's child: 1 s of 10 MHz ticks */

/* page_of: the page mapped at va in map's pmap, NULL if none. */
static vm_page_t page_of(vm_map_t map, vm_offset_t va)
{
	vm_paddr_t pa;

	return pmap_extract(map->pmap, va, &pa) == KERN_SUCCESS ? vm_page_lookup_phys(pa) : NULL;
}

/* wire_count_at: the wire count of the page at va, -1 if none is mapped. */
static int wire_count_at(vm_map_t map, vm_offset_t va)
{
	vm_page_t m = page_of(map, va);

	return m ? (int)m->wire_count : -1;
}

KTEST(aix, pins_nest_and_count)
{
	vm_offset_t a = 0;
	uint64_t wired0 = vm_page_wired_count();

	ASSERT_EQ(kmem_alloc_pageable(kernel_map, &a, 4 * PAGE_SIZE), KERN_SUCCESS);
	/* Pages 1 and 2, from inside page 1 to inside page 2: whole pages are pinned. */
	EXPECT_EQ(pin((caddr_t)a + PAGE_SIZE + 100, PAGE_SIZE), 0);
	EXPECT_EQ(pin((caddr_t)a + PAGE_SIZE, 2 * PAGE_SIZE), 0);
	EXPECT_EQ(vm_page_wired_count(), wired0 + 2);
	EXPECT_EQ(wire_count_at(kernel_map, a + PAGE_SIZE), 1);	/* one wiring, two pins */
	EXPECT_EQ(wire_count_at(kernel_map, a), -1);		/* never touched */
	EXPECT_EQ(unpin((caddr_t)a + PAGE_SIZE, 2 * PAGE_SIZE), 0);
	EXPECT_EQ(vm_page_wired_count(), wired0 + 2);		/* still pinned once */
	/* Unpinning pages 0-2: page 0 was never pinned, so nothing changes. */
	EXPECT_EQ(unpin((caddr_t)a, 3 * PAGE_SIZE), EINVAL);
	EXPECT_EQ(vm_page_wired_count(), wired0 + 2);
	EXPECT_EQ(unpin((caddr_t)a + PAGE_SIZE, 2 * PAGE_SIZE), 0);
	EXPECT_EQ(vm_page_wired_count(), wired0);
	EXPECT_EQ(unpin((caddr_t)a + PAGE_SIZE, PAGE_SIZE), EINVAL);	/* once too often */
	kmem_free(kernel_map, a, 4 * PAGE_SIZE);
}

KTEST(aix, a_pin_never_undoes_the_kernels_wiring)
{
	vm_offset_t a = 0;
	uint64_t wired0;

	ASSERT_EQ(kmem_alloc_wired(kernel_map, &a, 2 * PAGE_SIZE), KERN_SUCCESS);
	wired0 = vm_page_wired_count();
	EXPECT_EQ(unpin((caddr_t)a, 2 * PAGE_SIZE), EINVAL);	/* wired, but not pinned */
	EXPECT_EQ(pin((caddr_t)a, 2 * PAGE_SIZE), 0);
	EXPECT_EQ(unpin((caddr_t)a, 2 * PAGE_SIZE), 0);
	EXPECT_EQ(unpin((caddr_t)a, 2 * PAGE_SIZE), EINVAL);
	EXPECT_EQ(vm_page_wired_count(), wired0);
	EXPECT_EQ(wire_count_at(kernel_map, a), 1);		/* kmem's own wiring */
	kmem_free(kernel_map, a, 2 * PAGE_SIZE);
}

KTEST(aix, pincode_counts_the_modules_pins)
{
	int (*fn)(void) = xmem_hidden_count;

	EXPECT_EQ(pincode_count(fn), 0);
	EXPECT_EQ(pincode(fn), 0);
	EXPECT_EQ(pincode(fn), 0);
	EXPECT_EQ(pincode_count(fn), 2);
	EXPECT_EQ(unpincode(fn), 0);
	EXPECT_EQ(unpincode(fn), 0);
	EXPECT_EQ(unpincode(fn), EINVAL);
	EXPECT_EQ(pincode_count(fn), 0);
}

/* A task blocked in the kernel (waiting for its child) and a range of its map. */
struct blocked_task {
	task_t task;
	vm_map_t map;			/* referenced */
	vm_offset_t addr;
	vm_size_t size;
};

static bool blocked_task_start(struct blocked_task *b, vm_size_t size)
{
	*b = (struct blocked_task){ .size = size };
	if (task_spawn("wait_spinner", BLOCK_TICKS, &b->task) != KERN_SUCCESS)
		return false;
	if (!(b->map = task_map_reference(b->task)))
		return false;
	if (vm_allocate(b->map, &b->addr, size, VM_FLAGS_ANYWHERE) != KERN_SUCCESS)
		return false;
	/* Until it sleeps in its wait: from then on nothing of it runs. */
	for (int i = 0; i < 500 && b->task->thread->state != THREAD_SLEEPING; i++)
		thread_sleep_ns(2 * 1000 * 1000);
	return b->task->thread->state == THREAD_SLEEPING;
}

/* blocked_task_end: terminate it and wait until its child, orphaned, has ended too. */
static uint64_t blocked_task_end(struct blocked_task *b)
{
	uint64_t status = 0;

	if (b->map)
		vm_map_deallocate(b->map);
	if (b->task && task_terminate(b->task) == KERN_SUCCESS)
		task_wait(b->task, &status);
	for (int i = 0; i < 400 && task_count() > 0; i++)
		thread_sleep_ns(10 * 1000 * 1000);
	return status;
}

/* as_task: run f(arg) in the task's map, as its system call would. */
static int as_task(vm_map_t map, int (*f)(void *), void *arg)
{
	int r;

	thread_set_map(map);
	r = f(arg);
	thread_set_map(NULL);
	return r;
}

struct attach_args {
	vm_offset_t addr;
	int count;
	struct xmem *dp;
};

static int do_xmattach(void *p)
{
	struct attach_args *a = p;

	return xmattach((char *)a->addr, a->count, a->dp, USER_ADSPACE);
}

static int do_pinu(void *p)
{
	struct attach_args *a = p;

	return pinu((caddr_t)a->addr, a->count, UIO_USERSPACE);
}

KTEST(aix, a_task_that_ends_releases_its_pins)
{
	struct blocked_task b;
	uint64_t wired0;
	struct attach_args args;

	ASSERT_TRUE(blocked_task_start(&b, 4 * PAGE_SIZE));
	wired0 = vm_page_wired_count();
	args = (struct attach_args){ b.addr, 4 * PAGE_SIZE, NULL };
	EXPECT_EQ(as_task(b.map, do_pinu, &args), 0);
	EXPECT_EQ(as_task(b.map, do_pinu, &args), 0);	/* nested */
	EXPECT_EQ(vm_page_wired_count(), wired0 + 4);
	EXPECT_EQ(blocked_task_end(&b), TASK_STATUS_TERMINATED);
	/* Both pins went with the map (the rest of the task, its stack cached, may stay). */
	EXPECT_LE(vm_page_wired_count(), wired0);
}

KTEST(aix, xmem_copies_into_a_blocked_task_from_another_thread)
{
	static char out[3 * 4096 + 123], in[sizeof(out)];
	struct blocked_task b;
	struct xmem dp = { .aspace_id = XMEM_INVAL };
	struct attach_args args;
	uint64_t objects;

	ASSERT_TRUE(blocked_task_start(&b, 4 * PAGE_SIZE));
	args = (struct attach_args){ b.addr + 100, (int)sizeof(out), &dp };
	ASSERT_EQ(as_task(b.map, do_xmattach, &args), XMEM_SUCC);
	EXPECT_EQ(dp.aspace_id, XMEM_PROC);
	/* From this thread, which is not the task's; the task sleeps in its wait meanwhile. */
	for (size_t i = 0; i < sizeof(out); i++)
		out[i] = (char)(i * 13 + 5);
	EXPECT_EQ(xmemout(out, (caddr_t)b.addr + 100, (int)sizeof(out), &dp), XMEM_SUCC);
	EXPECT_EQ(map_fixture_get(b.map, b.addr + PAGE_SIZE), *(uint64_t *)(out + PAGE_SIZE - 100));
	EXPECT_TRUE(map_fixture_put(b.map, b.addr + 2 * PAGE_SIZE, 0x1122334455667788ull));
	EXPECT_EQ(xmemin((caddr_t)b.addr + 100, in, (int)sizeof(in), &dp), XMEM_SUCC);
	EXPECT_EQ(*(uint64_t *)(in + 2 * PAGE_SIZE - 100), 0x1122334455667788ull);
	memcpy(out + 2 * PAGE_SIZE - 100, in + 2 * PAGE_SIZE - 100, 8);
	EXPECT_EQ(memcmp(in, out, sizeof(in)), 0);
	EXPECT_EQ(b.task->thread->state, THREAD_SLEEPING);
	/* The task unmaps the buffer: its object stays, attached, and its data with it. */
	objects = vm_object_count();
	EXPECT_EQ(vm_deallocate(b.map, b.addr, b.size), KERN_SUCCESS);
	EXPECT_EQ(vm_object_count(), objects);
	memset(in, 0, sizeof(in));
	EXPECT_EQ(xmemin((caddr_t)b.addr + 100, in, (int)sizeof(in), &dp), XMEM_SUCC);
	EXPECT_EQ(memcmp(in, out, sizeof(in)), 0);
	EXPECT_EQ(xmdetach(&dp), XMEM_SUCC);
	EXPECT_EQ(dp.aspace_id, XMEM_INVAL);
	EXPECT_EQ(vm_object_count(), objects - 1);	/* gone with the last attachment */
	EXPECT_EQ(xmemin((caddr_t)b.addr + 100, in, 8, &dp), XMEM_FAIL);
	EXPECT_EQ(blocked_task_end(&b), TASK_STATUS_TERMINATED);
}

KTEST(aix, xmem_copies_with_interrupts_off_take_resident_pages_only)
{
	static struct spinlock lk = SPINLOCK_INIT("aix_test");
	struct region_fixture r;
	struct xmem dp = { .aspace_id = XMEM_INVAL };
	struct attach_args args;
	uint64_t v = 0, w = 0xabcdefull;
	int got_resident, got_absent, put_resident;

	ASSERT_TRUE(region_fixture_make(&r, UBASE, 4));
	ASSERT_TRUE(map_fixture_put(r.map, UBASE, 42));		/* page 0 resident */
	args = (struct attach_args){ UBASE, 4 * PAGE_SIZE, &dp };
	ASSERT_EQ(as_task(r.map, do_xmattach, &args), XMEM_SUCC);
	/* Page 1 hidden (busy) would need a wait: not possible with interrupts off. */
	ASSERT_EQ(as_task(r.map, do_pinu, &(struct attach_args){ UBASE + PAGE_SIZE, PAGE_SIZE, NULL }), 0);
	ASSERT_NE(xmemdma64(&dp, (caddr_t)UBASE + PAGE_SIZE, XMEM_HIDE), (unsigned long long)XMEM_FAIL);
	spin_lock(&lk);
	got_resident = xmemin((caddr_t)UBASE, (caddr_t)&v, 8, &dp);
	put_resident = xmemout((caddr_t)&w, (caddr_t)UBASE + 8, 8, &dp);
	got_absent = xmemin((caddr_t)UBASE + PAGE_SIZE, (caddr_t)&w, 8, &dp);
	spin_unlock(&lk);
	EXPECT_EQ(got_resident, XMEM_SUCC);
	EXPECT_EQ(v, 42);
	EXPECT_EQ(put_resident, XMEM_SUCC);
	EXPECT_EQ(got_absent, XMEM_FAIL);
	EXPECT_EQ(map_fixture_get(r.map, UBASE + 8), 0xabcdefull);
	/* A page made read-only takes no resident write either. */
	vm_object_protect_resident(r.object, 0, PAGE_SIZE, true);
	spin_lock(&lk);
	put_resident = xmemout((caddr_t)&w, (caddr_t)UBASE + 16, 8, &dp);
	spin_unlock(&lk);
	EXPECT_EQ(put_resident, XMEM_FAIL);
	vm_object_protect_resident(r.object, 0, PAGE_SIZE, false);
	EXPECT_NE(xmemdma64(&dp, (caddr_t)UBASE + PAGE_SIZE, XMEM_UNHIDE), (unsigned long long)XMEM_FAIL);
	thread_set_map(r.map);
	EXPECT_EQ(unpinu((caddr_t)UBASE + PAGE_SIZE, PAGE_SIZE, UIO_USERSPACE), 0);
	thread_set_map(NULL);
	EXPECT_EQ(xmdetach(&dp), XMEM_SUCC);
	region_fixture_drop(&r);
}

/* What an interrupt handler does with an attachment: copy in, out, and detach. */
struct intr_work {
	struct xmem *dp;
	vm_offset_t va;
	uint64_t in, out;
	int got, put, detached;
	bool could_sleep, refused;
};

static void intr_work_run(void *arg)
{
	struct intr_work *w = arg;
	struct xmem unused = { .aspace_id = XMEM_INVAL };

	/* What needs a thread refuses, and so do unpins of what is not pinned: nothing changes. */
	w->refused = xmattach((char *)w->va, 8, &unused, USER_ADSPACE) == XMEM_FAIL &&
		     unpin((caddr_t)w->va, 8) == EINVAL && xmemunpin((caddr_t)w->va, 8, w->dp) == EINVAL;
	w->could_sleep = thread_may_sleep();
	w->got = xmemin((caddr_t)w->va, (caddr_t)&w->in, 8, w->dp);
	w->put = xmemout((caddr_t)&w->out, (caddr_t)w->va + 8, 8, w->dp);
	w->detached = xmdetach(w->dp);
}

KTEST(aix, an_interrupt_handler_copies_and_detaches)
{
	struct region_fixture r;
	struct xmem dp = { .aspace_id = XMEM_INVAL };
	struct intr_work w;
	uint64_t objects;
	int target = (int)((hart_self()->index + 1) % (unsigned)smp_online_count());

	ASSERT_TRUE(region_fixture_make(&r, UBASE, 2));
	ASSERT_TRUE(map_fixture_put(r.map, UBASE, 0xabc));
	ASSERT_EQ(as_task(r.map, do_xmattach, &(struct attach_args){ UBASE, 2 * PAGE_SIZE, &dp }),
		  XMEM_SUCC);
	region_fixture_drop(&r);		/* the attachment keeps the object and the map */
	objects = vm_object_count();
	/* Another hart's IPI handler (this hart's own, with one hart). */
	w = (struct intr_work){ .dp = &dp, .va = UBASE, .out = 0xdef };
	smp_call(target, intr_work_run, &w);
	EXPECT_FALSE(w.could_sleep);
	EXPECT_TRUE(w.refused);
	EXPECT_EQ(w.got, XMEM_SUCC);
	EXPECT_EQ(w.in, 0xabc);
	EXPECT_EQ(w.put, XMEM_SUCC);
	EXPECT_EQ(w.detached, XMEM_SUCC);
	EXPECT_EQ(dp.aspace_id, XMEM_INVAL);
	/* The reaper thread releases the object and the map soon after. */
	for (int i = 0; i < 200 && vm_object_count() >= objects; i++)
		thread_sleep_ns(1000 * 1000);
	EXPECT_LT(vm_object_count(), objects);
}

/* An interrupt handler's unpins (kernel memory, and a task's through a descriptor). */
struct intr_unpin {
	vm_offset_t k;			/* kernel memory: page 0 pinned, page 1 not */
	struct xmem *dp;		/* a task's buffer at UBASE, pinned */
	int kernel, kernel_unpinned, user, user_space;
	bool could_sleep;
};

static void intr_unpin_run(void *arg)
{
	struct intr_unpin *w = arg;

	w->could_sleep = thread_may_sleep();
	w->kernel = unpin((caddr_t)w->k, PAGE_SIZE);
	w->kernel_unpinned = unpin((caddr_t)w->k + PAGE_SIZE, PAGE_SIZE);
	w->user = xmemunpin((caddr_t)UBASE, 2 * PAGE_SIZE, w->dp);
	w->user_space = unpinu((caddr_t)UBASE, PAGE_SIZE, UIO_USERSPACE);	/* it has none */
}

/* pin_wait_wired: wait (up to 2 s) for the wired count to fall to want.  => it did */
static bool pin_wait_wired(uint64_t want)
{
	for (int i = 0; i < 2000 && vm_page_wired_count() > want; i++)
		thread_sleep_ns(1000 * 1000);
	return vm_page_wired_count() == want;
}

KTEST(aix, an_interrupt_handler_unpins)
{
	struct region_fixture r;
	struct xmem dp = { .aspace_id = XMEM_INVAL };
	struct intr_unpin w = { .dp = &dp };
	int target = (int)((hart_self()->index + 1) % (unsigned)smp_online_count());
	uint64_t wired0 = vm_page_wired_count();

	ASSERT_EQ(kmem_alloc_pageable(kernel_map, &w.k, 2 * PAGE_SIZE), KERN_SUCCESS);
	ASSERT_TRUE(region_fixture_make(&r, UBASE, 2));
	ASSERT_TRUE(map_fixture_put(r.map, UBASE, 0xabc));
	ASSERT_EQ(as_task(r.map, do_xmattach, &(struct attach_args){ UBASE, 2 * PAGE_SIZE, &dp }),
		  XMEM_SUCC);
	EXPECT_EQ(pin((caddr_t)w.k, PAGE_SIZE), 0);
	EXPECT_EQ(xmempin((caddr_t)UBASE, 2 * PAGE_SIZE, &dp), 0);
	EXPECT_EQ(vm_page_wired_count(), wired0 + 3);
	smp_call(target, intr_unpin_run, &w);
	EXPECT_FALSE(w.could_sleep);
	EXPECT_EQ(w.kernel, 0);
	EXPECT_EQ(w.kernel_unpinned, EINVAL);		/* checked at once: the map was free */
	EXPECT_EQ(w.user, 0);
	EXPECT_EQ(w.user_space, EFAULT);
	/* The reaper thread unpins soon after; the pins are gone, the pages pageable. */
	EXPECT_TRUE(pin_wait_wired(wired0));
	EXPECT_EQ(unpin((caddr_t)w.k, PAGE_SIZE), EINVAL);
	EXPECT_EQ(xmemunpin((caddr_t)UBASE, PAGE_SIZE, &dp), EINVAL);
	EXPECT_EQ(xmdetach(&dp), XMEM_SUCC);
	region_fixture_drop(&r);
	kmem_free(kernel_map, w.k, 2 * PAGE_SIZE);
}

/* An interrupt handler's unpin of pinned pages, and of pages not pinned, through dp. */
struct intr_unpin_busy {
	struct xmem *dp;
	int pinned, unpinned;
};

static void intr_unpin_busy_run(void *arg)
{
	struct intr_unpin_busy *w = arg;

	w->pinned = xmemunpin((caddr_t)UBASE, PAGE_SIZE, w->dp);
	w->unpinned = xmemunpin((caddr_t)UBASE + PAGE_SIZE, PAGE_SIZE, w->dp);
}

KTEST(aix, an_interrupt_handlers_unpin_waits_for_a_busy_map)
{
	struct region_fixture r;
	struct xmem dp = { .aspace_id = XMEM_INVAL };
	struct intr_unpin_busy w = { .dp = &dp };
	int target = (int)((hart_self()->index + 1) % (unsigned)smp_online_count());
	uint64_t wired0 = vm_page_wired_count();

	ASSERT_TRUE(region_fixture_make(&r, UBASE, 2));
	ASSERT_EQ(as_task(r.map, do_xmattach, &(struct attach_args){ UBASE, 2 * PAGE_SIZE, &dp }),
		  XMEM_SUCC);
	EXPECT_EQ(xmempin((caddr_t)UBASE, PAGE_SIZE, &dp), 0);
	EXPECT_EQ(vm_page_wired_count(), wired0 + 1);
	/* The map's lock busy: neither range can be checked, both are taken. */
	rw_lock_write(&r.map->lock);
	smp_call(target, intr_unpin_busy_run, &w);
	EXPECT_EQ(w.pinned, 0);
	EXPECT_EQ(w.unpinned, 0);		/* the reaper reports it, changing nothing */
	thread_sleep_ns(20 * 1000 * 1000);
	EXPECT_EQ(vm_page_wired_count(), wired0 + 1);	/* the reaper waits for the lock */
	rw_unlock_write(&r.map->lock);
	EXPECT_TRUE(pin_wait_wired(wired0));
	EXPECT_EQ(xmemunpin((caddr_t)UBASE, PAGE_SIZE, &dp), EINVAL);
	EXPECT_EQ(xmdetach(&dp), XMEM_SUCC);
	region_fixture_drop(&r);
}

/* A thread that reads a user address of a map and says when it has. */
struct toucher {
	vm_map_t map;
	vm_offset_t va;
	uint64_t value;
	volatile bool done;
};

static void toucher_main(void *arg)
{
	struct toucher *t = arg;
	uint64_t v = 0;

	thread_set_map(t->map);
	copyin((const void *)t->va, &v, sizeof(v));
	thread_set_map(NULL);
	t->value = v;
	__atomic_store_n(&t->done, true, __ATOMIC_RELEASE);
}

KTEST(aix, a_hidden_page_makes_its_toucher_wait_until_the_last_unhide)
{
	struct region_fixture r;
	struct xmem dp = { .aspace_id = XMEM_INVAL };
	struct toucher t;
	struct thread *th;
	unsigned long long pa, pa2;
	vm_page_t m;

	ASSERT_TRUE(region_fixture_make(&r, UBASE, 2));
	ASSERT_TRUE(map_fixture_put(r.map, UBASE, 7));
	ASSERT_EQ(as_task(r.map, do_pinu, &(struct attach_args){ UBASE, 2 * PAGE_SIZE, NULL }), 0);
	ASSERT_EQ(as_task(r.map, do_xmattach, &(struct attach_args){ UBASE, 2 * PAGE_SIZE, &dp }),
		  XMEM_SUCC);
	m = page_of(r.map, UBASE);
	ASSERT_TRUE(m != NULL);
	pa = xmemdma64(&dp, (caddr_t)UBASE + 8, XMEM_HIDE);
	EXPECT_EQ(pa, m->phys_addr + 8);
	pa2 = xmemdma64(&dp, (caddr_t)UBASE, XMEM_HIDE | XMEM_ACC_CHK);	/* nested */
	EXPECT_EQ(pa2, m->phys_addr);
	EXPECT_EQ(xmem_hidden_count(), 1);
	EXPECT_TRUE(page_of(r.map, UBASE) == NULL);		/* no mapping left */
	EXPECT_EQ(xmdetach(&dp), XMEM_FAIL);			/* pages still hidden */

	t = (struct toucher){ .map = r.map, .va = UBASE };
	th = thread_create("toucher", toucher_main, &t, THREAD_ANY_HART);
	ASSERT_TRUE(th != NULL);
	thread_sleep_ns(30 * 1000 * 1000);
	EXPECT_FALSE(__atomic_load_n(&t.done, __ATOMIC_ACQUIRE));	/* it faulted and waits */
	EXPECT_EQ(th->state, THREAD_SLEEPING);
	*(uint64_t *)pmap_direct_map(m->phys_addr) = 99;		/* the device's write */
	EXPECT_NE(xmemdma64(&dp, (caddr_t)UBASE, XMEM_UNHIDE), (unsigned long long)XMEM_FAIL);
	thread_sleep_ns(30 * 1000 * 1000);
	EXPECT_FALSE(__atomic_load_n(&t.done, __ATOMIC_ACQUIRE));	/* one hide is left */
	EXPECT_NE(xmemdma64(&dp, (caddr_t)UBASE, XMEM_UNHIDE), (unsigned long long)XMEM_FAIL);
	EXPECT_EQ(thread_join(th), 0);
	EXPECT_TRUE(t.done);
	EXPECT_EQ(t.value, 99);
	EXPECT_EQ(xmem_hidden_count(), 0);
	EXPECT_EQ(xmemdma64(&dp, (caddr_t)UBASE, XMEM_UNHIDE), (unsigned long long)XMEM_FAIL);
	EXPECT_EQ(xmdetach(&dp), XMEM_SUCC);
	region_fixture_drop(&r);				/* the pins go with the map */
}

KTEST(aix, xmemdma_gives_a_bound_devices_io_address)
{
	struct region_fixture r;
	struct xmem dp = { .aspace_id = XMEM_INVAL };
	struct dma_engine eng;
	unsigned long long io, again;
	uint64_t pa;
	int prot;
	vm_page_t m;

	ASSERT_TRUE(iommu_unit != NULL);
	/* A free requester id (00:07.0) beside the suite's devices: no directory page of its own. */
	ASSERT_EQ(dma_engine_init(&eng, "xmem", DMA_BACKEND_IOMMU_STRICT, UINT64_MAX, 0, 0x38),
		  KERN_SUCCESS);
	ASSERT_TRUE(region_fixture_make(&r, UBASE, 1));
	ASSERT_TRUE(map_fixture_put(r.map, UBASE, 1));
	ASSERT_EQ(as_task(r.map, do_pinu, &(struct attach_args){ UBASE, PAGE_SIZE, NULL }), 0);
	ASSERT_EQ(as_task(r.map, do_xmattach, &(struct attach_args){ UBASE, PAGE_SIZE, &dp }),
		  XMEM_SUCC);
	ASSERT_TRUE((m = page_of(r.map, UBASE)) != NULL);
	EXPECT_EQ(xmem_dma_bind(&dp, &eng), XMEM_SUCC);
	io = xmemdma64(&dp, (caddr_t)UBASE + 24, XMEM_HIDE);
	ASSERT_NE(io, (unsigned long long)XMEM_FAIL);
	io -= 24;
	EXPECT_NE(io, m->phys_addr);				/* the device's address, */
	EXPECT_TRUE(iommu_domain_lookup(eng.domain, io, &pa, &prot));
	EXPECT_EQ(pa, m->phys_addr);				/* mapped to the page */
	again = xmemdma64(&dp, (caddr_t)UBASE, XMEM_HIDE | XMEM_WRITE_ONLY);	/* nested */
	EXPECT_EQ(again, io);
	EXPECT_EQ(xmem_dma_bind(&dp, &eng), XMEM_FAIL);		/* pages hidden */
	EXPECT_EQ(xmemdma64(&dp, (caddr_t)UBASE, XMEM_UNHIDE), io);
	EXPECT_TRUE(iommu_domain_lookup(eng.domain, io, &pa, &prot));	/* one hide left */
	EXPECT_EQ(xmemdma64(&dp, (caddr_t)UBASE, XMEM_UNHIDE), io);
	EXPECT_FALSE(iommu_domain_lookup(eng.domain, io, &pa, &prot));	/* gone with the last */
	EXPECT_EQ(map_fixture_get(r.map, UBASE), 1);
	EXPECT_EQ(xmdetach(&dp), XMEM_SUCC);
	region_fixture_drop(&r);
	iommu_flush(eng.domain);
	dma_engine_destroy(&eng);
}

KTEST(aix, pinned_pages_survive_a_paging_run_of_four_times_ram)
{
	enum { PINNED = 16 };
	struct region_fixture r;
	struct default_pager_stats st0, st1;
	vm_paddr_t pa[PINNED];
	vm_offset_t a = 0;
	uint64_t pages = 4 * vm_page_total_count(), bad = 0;

	ASSERT_EQ(kmem_alloc_pageable(kernel_map, &a, ptoa(PINNED)), KERN_SUCCESS);
	ASSERT_EQ(pin((caddr_t)a, (int)ptoa(PINNED)), 0);
	for (int i = 0; i < PINNED; i++) {
		memset((char *)a + ptoa(i), 0x5a ^ i, PAGE_SIZE);
		ASSERT_EQ(pmap_extract(kernel_pmap, a + ptoa(i), &pa[i]), KERN_SUCCESS);
	}
	default_pager_stats(&st0);
	ASSERT_TRUE(region_fixture_make(&r, UBASE, pages));
	thread_set_map(r.map);
	for (uint64_t p = 0; p < pages && !bad; p++) {
		uint64_t v = p * 2654435761u;

		bad += copyout(&v, (void *)(UBASE + ptoa(p)), sizeof(v)) != 0;
	}
	thread_set_map(NULL);
	default_pager_stats(&st1);
	EXPECT_EQ(bad, 0);
	EXPECT_GT(st1.pageouts - st0.pageouts, pages / 2);	/* memory was paged out meanwhile */
	for (int i = 0; i < PINNED; i++) {
		const unsigned char *p = pmap_direct_map(pa[i]);
		vm_paddr_t now;

		EXPECT_EQ(pmap_extract(kernel_pmap, a + ptoa(i), &now), KERN_SUCCESS);
		EXPECT_EQ(now, pa[i]);				/* never moved */
		for (size_t j = 0; j < PAGE_SIZE; j += 512)
			bad += p[j] != (unsigned char)(0x5a ^ i);
	}
	EXPECT_EQ(bad, 0);
	region_fixture_drop(&r);
	EXPECT_EQ(unpin((caddr_t)a, (int)ptoa(PINNED)), 0);
	kmem_free(kernel_map, a, ptoa(PINNED));
}

KTEST(aix, kernel_buffers_attach_and_pin_through_the_descriptor)
{
	struct xmem dp = { .aspace_id = XMEM_INVAL };
	vm_offset_t k = 0;
	vm_paddr_t pa;
	uint64_t wired0 = vm_page_wired_count(), v = 0;
	int64_t real;

	ASSERT_EQ(kmem_alloc_pageable(kernel_map, &k, 3 * PAGE_SIZE), KERN_SUCCESS);
	ASSERT_EQ(xmattach64(k, 3 * PAGE_SIZE, &dp, SYS_ADSPACE), XMEM_SUCC);
	EXPECT_EQ(dp.aspace_id, XMEM_GLOBAL);
	EXPECT_EQ(xmempin((caddr_t)k + PAGE_SIZE, 2 * PAGE_SIZE, &dp), 0);
	EXPECT_EQ(vm_page_wired_count(), wired0 + 2);
	v = 0x600dull;
	EXPECT_EQ(xmemout((caddr_t)&v, (caddr_t)k + PAGE_SIZE + 16, 8, &dp), XMEM_SUCC);
	EXPECT_EQ(*(uint64_t *)(k + PAGE_SIZE + 16), 0x600dull);	/* the kernel's view */
	ASSERT_EQ(pmap_extract(kernel_pmap, k + PAGE_SIZE, &pa), KERN_SUCCESS);
	real = xmemdma(&dp, (caddr_t)k + PAGE_SIZE + 16, XMEM_HIDE | XMEM_ACC_CHK);
	EXPECT_EQ(real, (int64_t)pa + 16);
	EXPECT_NE(pmap_extract(kernel_pmap, k + PAGE_SIZE, &pa), KERN_SUCCESS);	/* hidden */
	*(uint64_t *)pmap_direct_map((vm_paddr_t)real) = 0xd0a1ull;		/* the device */
	EXPECT_NE(xmemdma(&dp, (caddr_t)k + PAGE_SIZE + 16, XMEM_UNHIDE), XMEM_FAIL);
	EXPECT_EQ(*(uint64_t *)(k + PAGE_SIZE + 16), 0xd0a1ull);	/* faulted back in */
	EXPECT_EQ(xmemin((caddr_t)k + PAGE_SIZE + 16, (caddr_t)&v, 8, &dp), XMEM_SUCC);
	EXPECT_EQ(v, 0xd0a1ull);
	EXPECT_EQ(xmemunpin((caddr_t)k + PAGE_SIZE, 2 * PAGE_SIZE, &dp), 0);
	EXPECT_EQ(vm_page_wired_count(), wired0);
	EXPECT_EQ(xmdetach(&dp), XMEM_SUCC);
	kmem_free(kernel_map, k, 3 * PAGE_SIZE);
}

KTEST(aix, a_fork_after_xmattach_copies_the_buffer_at_once)
{
	struct region_fixture r;
	struct xmem dp = { .aspace_id = XMEM_INVAL };
	vm_map_t child;
	uint64_t v = 2;

	ASSERT_TRUE(region_fixture_make(&r, UBASE, 2));
	ASSERT_TRUE(map_fixture_put(r.map, UBASE, 1));
	ASSERT_EQ(as_task(r.map, do_xmattach, &(struct attach_args){ UBASE, 2 * PAGE_SIZE, &dp }),
		  XMEM_SUCC);
	child = vm_map_fork(r.map);
	ASSERT_TRUE(child != NULL);
	/* What moves into the attached buffer is the parent's alone. */
	EXPECT_EQ(xmemout((caddr_t)&v, (caddr_t)UBASE, 8, &dp), XMEM_SUCC);
	EXPECT_EQ(map_fixture_get(r.map, UBASE), 2);
	EXPECT_EQ(map_fixture_get(child, UBASE), 1);
	EXPECT_TRUE(map_fixture_put(child, UBASE, 3));
	EXPECT_EQ(xmemin((caddr_t)UBASE, (caddr_t)&v, 8, &dp), XMEM_SUCC);
	EXPECT_EQ(v, 2);
	EXPECT_EQ(xmdetach(&dp), XMEM_SUCC);
	vm_map_deallocate(child);
	region_fixture_drop(&r);
}

KTEST(aix, bad_arguments_return_their_code_and_change_nothing)
{
	struct region_fixture r;
	struct xmem dp = { .aspace_id = XMEM_INVAL }, used = { .aspace_id = XMEM_INVAL };
	struct xmem never = { .aspace_id = XMEM_INVAL };
	vm_offset_t k = 0, ro = UBASE + 8 * PAGE_SIZE;
	uint64_t wired0, objects0;
	char buf[16] = { 0 };

	ASSERT_TRUE(region_fixture_make(&r, UBASE, 4));
	ASSERT_EQ(vm_map_enter(r.map, &ro, PAGE_SIZE, 0, VM_FLAGS_FIXED, NULL, 0, FALSE, VM_PROT_READ,
			       VM_PROT_ALL, VM_INHERIT_DEFAULT), KERN_SUCCESS);
	ASSERT_EQ(kmem_alloc_pageable(kernel_map, &k, 2 * PAGE_SIZE), KERN_SUCCESS);
	ASSERT_TRUE(map_fixture_put(r.map, UBASE, 1));
	ASSERT_EQ(as_task(r.map, do_xmattach, &(struct attach_args){ UBASE, 2 * PAGE_SIZE, &dp }),
		  XMEM_SUCC);
	ASSERT_EQ(as_task(r.map, do_xmattach, &(struct attach_args){ ro, PAGE_SIZE, &used }),
		  XMEM_SUCC);
	wired0 = vm_page_wired_count();
	objects0 = vm_object_count();

	/* The pinning services: AIX's errno codes. */
	EXPECT_EQ(pin((caddr_t)k, 0), EINVAL);
	EXPECT_EQ(pin((caddr_t)k, -4096), EINVAL);
	EXPECT_EQ(pin((caddr_t)k + 2 * PAGE_SIZE, PAGE_SIZE), EINVAL);	/* past the allocation */
	EXPECT_EQ(pin((caddr_t)UBASE, PAGE_SIZE), EINVAL);		/* not kernel memory */
	EXPECT_EQ(pin((caddr_t)UINT64_MAX - 10, 100), EINVAL);		/* wraps */
	EXPECT_EQ(unpin((caddr_t)k, PAGE_SIZE), EINVAL);		/* not pinned */
	EXPECT_EQ(unpin((caddr_t)k, 0), EINVAL);
	EXPECT_EQ(pinu((caddr_t)UBASE, PAGE_SIZE, 7), EINVAL);		/* unknown segflg */
	EXPECT_EQ(pinu((caddr_t)UBASE, -1, UIO_USERSPACE), EINVAL);
	EXPECT_EQ(pinu((caddr_t)UBASE, PAGE_SIZE, UIO_USERSPACE), EFAULT);	/* no task */
	EXPECT_EQ(pinu((caddr_t)UBASE, PAGE_SIZE, UIO_SYSSPACE), EFAULT);	/* not the kernel's */
	EXPECT_EQ(unpinu((caddr_t)k, PAGE_SIZE, UIO_SYSSPACE), EINVAL);	/* not pinned */
	thread_set_map(r.map);
	EXPECT_EQ(pinu((caddr_t)(PMAP_USER_END - PAGE_SIZE), 2 * PAGE_SIZE, UIO_USERSPACE), EFAULT);
	EXPECT_EQ(pinu((caddr_t)UBASE + 4 * PAGE_SIZE, PAGE_SIZE, UIO_USERSPACE), EINVAL); /* hole */
	EXPECT_EQ(unpinu((caddr_t)UBASE, PAGE_SIZE, UIO_USERSPACE), EINVAL);
	thread_set_map(NULL);
	EXPECT_EQ(pincode(NULL), EINVAL);
	EXPECT_EQ(pincode((int (*)(void))(uintptr_t)buf), EINVAL);	/* data, not code */
	EXPECT_EQ(unpincode(xmem_hidden_count), EINVAL);		/* not pinned */
	EXPECT_EQ(xmempin((caddr_t)UBASE, PAGE_SIZE, &never), EINVAL);	/* not attached */
	EXPECT_EQ(xmempin((caddr_t)UBASE, PAGE_SIZE, NULL), EINVAL);
	EXPECT_EQ(xmempin((caddr_t)UBASE, 0, &dp), EINVAL);
	EXPECT_EQ(xmempin((caddr_t)UBASE + PAGE_SIZE, 2 * PAGE_SIZE, &dp), EFAULT); /* past it */
	EXPECT_EQ(xmemunpin((caddr_t)UBASE, PAGE_SIZE, &dp), EINVAL);	/* not pinned */

	/* The cross-memory services: XMEM_FAIL. */
	EXPECT_EQ(xmattach((char *)UBASE, PAGE_SIZE, NULL, USER_ADSPACE), XMEM_FAIL);
	EXPECT_EQ(xmattach((char *)UBASE, PAGE_SIZE, &dp, USER_ADSPACE), XMEM_FAIL);	/* in use */
	EXPECT_EQ(xmattach((char *)UBASE, PAGE_SIZE, &never, USER_ADSPACE), XMEM_FAIL); /* no task */
	EXPECT_EQ(xmattach((char *)k, 0, &never, SYS_ADSPACE), XMEM_FAIL);
	EXPECT_EQ(xmattach((char *)k, -5, &never, SYS_ADSPACE), XMEM_FAIL);
	EXPECT_EQ(xmattach((char *)k, PAGE_SIZE, &never, 9), XMEM_FAIL);
	EXPECT_EQ(xmattach((char *)k, 3 * PAGE_SIZE, &never, SYS_ADSPACE), XMEM_FAIL); /* a hole */
	EXPECT_EQ(xmattach64(UBASE, PAGE_SIZE, &never, SYS_ADSPACE), XMEM_FAIL);
	EXPECT_EQ(never.aspace_id, XMEM_INVAL);
	EXPECT_EQ(xmdetach(&never), XMEM_FAIL);
	EXPECT_EQ(xmdetach(NULL), XMEM_FAIL);
	EXPECT_EQ(xmemin((caddr_t)UBASE, buf, 8, &never), XMEM_FAIL);
	EXPECT_EQ(xmemin((caddr_t)UBASE, buf, -1, &dp), XMEM_FAIL);
	EXPECT_EQ(xmemin((caddr_t)UBASE, NULL, 8, &dp), XMEM_FAIL);
	EXPECT_EQ(xmemin((caddr_t)UBASE + 2 * PAGE_SIZE - 4, buf, 8, &dp), XMEM_FAIL); /* past it */
	EXPECT_EQ(xmemin((caddr_t)UBASE - 4, buf, 8, &dp), XMEM_FAIL);	/* before it */
	EXPECT_EQ(xmemout(buf, (caddr_t)ro, 8, &used), XMEM_FAIL);	/* read-only */
	EXPECT_EQ(xmemdma64(&never, (caddr_t)UBASE, XMEM_HIDE), (unsigned long long)XMEM_FAIL);
	EXPECT_EQ(xmemdma64(&dp, (caddr_t)UBASE, XMEM_HIDE), (unsigned long long)XMEM_FAIL); /* unpinned */
	EXPECT_EQ(xmemdma64(&dp, (caddr_t)UBASE, XMEM_UNHIDE), (unsigned long long)XMEM_FAIL);
	EXPECT_EQ(xmemdma64(&dp, (caddr_t)UBASE, 0x40), (unsigned long long)XMEM_FAIL); /* flags */
	EXPECT_EQ(xmemdma64(&dp, (caddr_t)UBASE + 2 * PAGE_SIZE, XMEM_HIDE),
		  (unsigned long long)XMEM_FAIL);				/* outside */
	EXPECT_EQ(xmemdma(&used, (caddr_t)ro, XMEM_ACC_CHK), XMEM_FAIL);	/* read-only page */

	/* None of them changed anything. */
	EXPECT_EQ(vm_page_wired_count(), wired0);
	EXPECT_EQ(vm_object_count(), objects0);
	EXPECT_EQ(xmem_hidden_count(), 0);
	EXPECT_EQ(dp.aspace_id, XMEM_PROC);
	EXPECT_EQ(xmemin((caddr_t)UBASE, buf, 8, &dp), XMEM_SUCC);
	EXPECT_EQ(*(uint64_t *)buf, 1);
	EXPECT_EQ(vm_map_check(r.map, ktest_report), 0);
	EXPECT_EQ(xmdetach(&dp), XMEM_SUCC);
	EXPECT_EQ(xmdetach(&used), XMEM_SUCC);
	kmem_free(kernel_map, k, 2 * PAGE_SIZE);
	region_fixture_drop(&r);
}
