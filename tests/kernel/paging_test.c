/*
 * paging_test.c: memory as a cache for virtual memory.  A working set of
 * four times RAM is written with a pattern only its page and pass can
 * produce, then read back and rewritten in a random pass, then read back
 * in order; every page must come back as last written.  One worker per
 * hart; the suite runs at -smp 1 for now (at -smp 2 and 4 it is correct,
 * but TLB shootdowns to vCPUs the 2-core host has descheduled make its
 * time vary from 90 s to over 10 minutes).  Once the map is gone, the
 * pager's bookkeeping must be clean and every swap slot free again.
 */
#include <string.h>

#include "kern/cmdline.h"
#include "kern/thread.h"
#include "platform/riscv/riscv.h"
#include "platform/riscv/hart.h"
#include "tests/kernel/ktest.h"
#include "vm/default_pager.h"
#include "vm/pmap.h"
#include "vm/vm.h"
#include "vm/vm_fault.h"
#include "vm/vm_kern.h"
#include "vm/vm_object.h"
#include "vm/vm_pageout.h"
#include "vm/vm_pager.h"
#include "vm/vm_upl.h"

KTEST_RUN(paging, "test=paging swap=swap", "-m 64M -smp 1 --blk swap:512M");


#define WS_BASE		0x10000000ul
#define WORDS		(PAGE_SIZE / 8)
#define MAX_WORKERS	4

static uint64_t word_of(uint64_t page, uint32_t seed, uint64_t i)
{
	return (page << 32 | seed) * 0x9e3779b97f4a7c15ull ^ i;
}

/* page_write / page_check: the whole page, through the thread's map (SUM). */
static void page_write(vm_offset_t va, uint64_t page, uint32_t seed)
{
	volatile uint64_t *p = (volatile uint64_t *)va;

	csr_set(sstatus, SSTATUS_SUM);
	for (uint64_t i = 0; i < WORDS; i++)
		p[i] = word_of(page, seed, i);
	csr_clear(sstatus, SSTATUS_SUM);
}

static bool page_check(vm_offset_t va, uint64_t page, uint32_t seed)
{
	volatile uint64_t *p = (volatile uint64_t *)va;
	bool ok = true;

	csr_set(sstatus, SSTATUS_SUM);
	for (uint64_t i = 0; i < WORDS && ok; i++)
		ok = p[i] == word_of(page, seed, i);
	csr_clear(sstatus, SSTATUS_SUM);
	return ok;
}

struct ws {
	vm_map_t map;
	uint64_t first, npages;		/* this worker's pages */
	uint32_t *seed;			/* last seed written per page (0 = never) */
	uint64_t verified, mismatches;
	uint32_t worker;
};

/* ws_pass_seq: verify (if written) and rewrite every page in order. */
static void ws_pass_seq(struct ws *w, uint32_t pass)
{
	for (uint64_t p = w->first; p < w->first + w->npages; p++) {
		vm_offset_t va = WS_BASE + ptoa(p);

		if (w->seed[p]) {
			w->verified++;
			w->mismatches += !page_check(va, p, w->seed[p]);
		}
		w->seed[p] = pass << 8 | w->worker;
		page_write(va, p, w->seed[p]);
	}
}

/* ws_pass_random: as many visits as pages, in a pseudo-random order. */
static void ws_pass_random(struct ws *w, uint32_t pass)
{
	uint64_t x = 0x2545f4914f6cdd1dull ^ (pass * 77 + w->worker);

	for (uint64_t n = 0; n < w->npages; n++) {
		uint64_t p;
		vm_offset_t va;

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		p = w->first + x % w->npages;
		va = WS_BASE + ptoa(p);
		if (w->seed[p]) {
			w->verified++;
			w->mismatches += !page_check(va, p, w->seed[p]);
		}
		w->seed[p] = pass << 8 | w->worker;
		page_write(va, p, w->seed[p]);
	}
}

static void ws_verify_all(struct ws *w)
{
	for (uint64_t p = w->first; p < w->first + w->npages; p++) {
		w->verified++;
		w->mismatches += !page_check(WS_BASE + ptoa(p), p, w->seed[p]);
	}
}

/* ws_behave: tell the VM how this worker's range is about to be used. */
static void ws_behave(struct ws *w, vm_behavior_t b)
{
	EXPECT_EQ(vm_behavior_set(w->map, WS_BASE + ptoa(w->first), ptoa(w->npages), b), KERN_SUCCESS);
}

static void ws_worker(void *arg)
{
	struct ws *w = arg;

	thread_set_map(w->map);
	ws_behave(w, VM_BEHAVIOR_SEQUENTIAL);
	ws_pass_seq(w, 1);
	ws_behave(w, VM_BEHAVIOR_RANDOM);
	ws_pass_random(w, 2);
	ws_behave(w, VM_BEHAVIOR_DEFAULT);
	ws_verify_all(w);
	thread_set_map(NULL);
}

/*
 * settle: the daemon may hold a reference to an object for the length of a
 * write; wait (a few seconds at most) until it has let the last one go.
 */
static void settle(uint64_t objects)
{
	for (int i = 0; i < 500 && vm_object_count() > objects; i++)
		thread_sleep_ns(10 * 1000 * 1000);
}

/*
 * Four times RAM, in as many workers as harts (each its own quarter of the
 * range, all in one map and one object), while the daemon pages out.
 */
KTEST(paging, working_set_four_times_ram)
{
	uint64_t ram = ptoa(vm_page_total_count()), npages = atop(4 * ram) * cmdline_get_u64("paging.ws_percent", 100) / 100;
	int nworkers = MIN(hart_count, MAX_WORKERS);
	static struct ws w[MAX_WORKERS];
	struct thread *t[MAX_WORKERS];
	struct default_pager_stats before, after;
	struct vm_pageout_stats po;
	vm_offset_t seeds = 0, addr = WS_BASE;
	uint64_t verified = 0, mismatches = 0;
	vm_map_t map = vm_map_create(pmap_create(), PAGE_SIZE, PMAP_USER_END);

	uint64_t objects0 = vm_object_count();

	ASSERT_TRUE(map != NULL && vm_pager_default != NULL);
	ASSERT_EQ(kmem_alloc(kernel_map, &seeds, round_page(npages * sizeof(uint32_t))), KERN_SUCCESS);
	memset((void *)seeds, 0, npages * sizeof(uint32_t));
	ASSERT_EQ(vm_allocate(map, &addr, ptoa(npages), VM_FLAGS_FIXED), KERN_SUCCESS);
	default_pager_stats(&before);
	for (int i = 0; i < nworkers; i++) {
		w[i] = (struct ws){ .map = map, .first = i * (npages / nworkers), .npages = npages / nworkers,
				    .seed = (uint32_t *)seeds, .worker = (uint32_t)i + 1 };
		t[i] = thread_create("ws", ws_worker, &w[i], i);
		ASSERT_TRUE(t[i] != NULL);
	}
	for (int i = 0; i < nworkers; i++) {
		thread_join(t[i]);
		verified += w[i].verified;
		mismatches += w[i].mismatches;
	}
	default_pager_stats(&after);
	vm_pageout_stats(&po);
	ktest_report("%d workers, %lu pages (%lu MiB, RAM %lu MiB): %lu pages verified, %lu mismatches;"
		     " %lu paged out, %lu paged in, %lu write and %lu read requests\n",
		     nworkers, npages, ptoa(npages) >> 20, ram >> 20, verified, mismatches,
		     after.pageouts - before.pageouts, after.pageins - before.pageins,
		     after.write_requests - before.write_requests,
		     after.read_requests - before.read_requests);
	EXPECT_EQ(mismatches, 0);
	EXPECT_GE(verified, 2 * npages);
	EXPECT_GT(after.pageouts - before.pageouts, npages);
	EXPECT_GT(after.pageins - before.pageins, npages / 2);
	/* Clusters: fewer write requests than pages written. */
	EXPECT_LT(after.write_requests - before.write_requests, after.pageouts - before.pageouts);
	EXPECT_EQ(vm_map_check(map, ktest_report), 0);
	vm_map_deallocate(map);
	kmem_free(kernel_map, seeds, round_page(npages * sizeof(uint32_t)));
	settle(objects0);
	EXPECT_EQ(default_pager_check(ktest_report), 0);
	default_pager_stats(&after);
	EXPECT_EQ(after.used_pages, 0);		/* the object's death gave back its slots */
}
