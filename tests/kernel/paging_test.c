/*
 * paging_test.c: memory as a cache for virtual memory.  A working set of
 * four times RAM is written in order (SEQUENTIAL) with a pattern only its
 * page and pass can produce, then read back and rewritten in a random pass
 * (RANDOM), then in reverse (RSEQNTL), then read back in order; every page
 * must come back as last written.  One worker per
 * hart: paging runs at -smp 1 with a disk; paging.smp4 runs four workers
 * at -m 32M on a small disk plus swap files, so the dynamic pager adds
 * files while they fault and drains them once the map is gone.  Once the
 * map is gone, the pager's bookkeeping must be clean and every swap slot
 * free again.  The swapfile suite (below) follows the swap files through
 * growth, a drain of live pages, a refused create, and the end.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "drivers/virtio/virtio_9p.h"
#include "drivers/virtio/virtio_blk.h"
#include "drivers/virtio/virtqueue.h"
#include "kern/cmdline.h"
#include "vm/dynamic_pager.h"
#include "kern/thread.h"
#include "platform/riscv/riscv.h"
#include "platform/riscv/hart.h"
#include "tests/kernel/ktest.h"
#include "tests/kernel/region_fixture.h"
#include "vm/default_pager.h"
#include "vm/pmap.h"
#include "vm/vm.h"
#include "vm/vm_fault.h"
#include "vm/vm_kern.h"
#include "vm/vm_object.h"
#include "vm/vm_pageout.h"
#include "vm/vm_pager.h"
#include "vm/vm_upl.h"
#include "vm/vm_user.h"

KTEST_RUN(paging, "test=paging swap=swap", "-m 64M -smp 1 --blk swap:512M --blk data:1M");
KTEST_RUN(paging.smp4, "test=paging swap=swap swapfile=swap swapfile.size=16M swapfile.hiwat=8M swapfile.lowat=24M swapfile.hold=500", "-m 32M -smp 4 --blk swap:64M --9p swap --blk data:1M");
/* Deterministic instruction counting runs the harts one at a time: no wait may starve the others. */
KTEST_RUN(paging.icount_smp2, "test=paging swap=swap", "-m 32M -smp 2 -icount shift=0 --blk swap:256M --blk data:1M");
KTEST_RUN(swapfile, "test=swapfile swap=swap swapfile=swap swapfile.size=16M swapfile.max=15 swapfile.hiwat=8M swapfile.lowat=24M swapfile.hold=500 swapfile.retry=500", "-m 64M -smp 1 --blk swap:32M --9p swap --host-check tests/kernel/swapfile_host.sh");


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

/* ws_pass_reverse: verify and rewrite every page, last to first. */
static void ws_pass_reverse(struct ws *w, uint32_t pass)
{
	for (uint64_t p = w->first + w->npages; p-- > w->first;) {
		vm_offset_t va = WS_BASE + ptoa(p);

		w->verified++;
		w->mismatches += !page_check(va, p, w->seed[p]);
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
	ws_behave(w, VM_BEHAVIOR_RSEQNTL);
	ws_pass_reverse(w, 3);
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

/* ob_pageout: the dirty pages of the region's first cluster go to the store; returns how many. */
static uint32_t ob_pageout(const struct region_fixture *r)
{
	upl_t upl;
	uint32_t n;

	if (upl_request(r->object, 0, ptoa(DP_CLUSTER_PAGES), UPL_RETURN_ONLY_DIRTY, &upl) != KERN_SUCCESS)
		return 0;
	n = upl->count;
	EXPECT_EQ(vm_pager_data_return(r->object, upl), KERN_SUCCESS);
	return n;
}

/*
 * vm_map_copy_overwrite writes into a page behind the pmap's back (no
 * modified bit).  Over a page paged back in, which the store still holds,
 * the page must count as dirty all the same: the next pageout writes the
 * new data rather than freeing the page as clean and losing it.
 */
KTEST(paging, copy_overwrite_dirties_a_paged_in_page)
{
	uint64_t objects0 = vm_object_count();
	vm_offset_t src = WS_BASE + ptoa(DP_CLUSTER_PAGES);
	struct region_fixture r;
	vm_map_copy_t copy;

	ASSERT_TRUE(vm_pager_default != NULL);
	ASSERT_TRUE(region_fixture_make(&r, WS_BASE, DP_CLUSTER_PAGES));
	ASSERT_EQ(vm_allocate(r.map, &src, PAGE_SIZE, VM_FLAGS_FIXED), KERN_SUCCESS);
	thread_set_map(r.map);
	for (uint64_t p = 0; p < DP_CLUSTER_PAGES; p++)
		page_write(WS_BASE + ptoa(p), p, 1);
	page_write(src, 0, 2);
	EXPECT_EQ(ob_pageout(&r), DP_CLUSTER_PAGES);
	EXPECT_TRUE(page_check(WS_BASE, 0, 1));		/* paged in: clean, the store has it */
	ASSERT_EQ(vm_map_copyin(r.map, src, PAGE_SIZE, FALSE, &copy), KERN_SUCCESS);
	ASSERT_EQ(vm_map_copy_overwrite(r.map, WS_BASE, copy, FALSE, NULL), KERN_SUCCESS);
	EXPECT_EQ(ob_pageout(&r), 1);
	mutex_lock(&r.object->lock);
	EXPECT_TRUE(vm_page_lookup(r.object, 0) == NULL);	/* written out and freed */
	mutex_unlock(&r.object->lock);
	EXPECT_TRUE(page_check(WS_BASE, 0, 2));		/* the new data, back from the store */
	thread_set_map(NULL);
	region_fixture_drop(&r);
	settle(objects0);
	EXPECT_EQ(default_pager_check(ktest_report), 0);
}

/*
 * A device writing into a page (DMA from a disk) sets no modified bit
 * either: over a page paged back in, the store's copy must go all the
 * same, and the next pageout write the device's data.
 */
KTEST(paging, device_write_dirties_a_paged_in_page)
{
	struct virtio_blk *disk = virtio_blk_find("data");
	uint64_t objects0 = vm_object_count();
	struct region_fixture r;
	vm_offset_t buf = 0;

	ASSERT_TRUE(vm_pager_default != NULL && disk != NULL);
	ASSERT_TRUE(region_fixture_make(&r, WS_BASE, DP_CLUSTER_PAGES));
	ASSERT_EQ(kmem_alloc(kernel_map, &buf, PAGE_SIZE), KERN_SUCCESS);
	thread_set_map(r.map);
	for (uint64_t p = 0; p < DP_CLUSTER_PAGES; p++)
		page_write(WS_BASE + ptoa(p), p, 1);
	EXPECT_EQ(ob_pageout(&r), DP_CLUSTER_PAGES);
	EXPECT_TRUE(page_check(WS_BASE, 0, 1));		/* paged in: clean, the store has it */
	page_write(buf, 0, 3);
	EXPECT_EQ(virtio_blk_write(disk, 0, kernel_map, buf, PAGE_SIZE), KERN_SUCCESS);
	EXPECT_EQ(virtio_blk_read(disk, 0, r.map, WS_BASE, PAGE_SIZE), KERN_SUCCESS);
	EXPECT_EQ(ob_pageout(&r), 1);
	mutex_lock(&r.object->lock);
	EXPECT_TRUE(vm_page_lookup(r.object, 0) == NULL);	/* written out and freed */
	mutex_unlock(&r.object->lock);
	EXPECT_TRUE(page_check(WS_BASE, 0, 3));		/* the disk's data, back from the store */
	thread_set_map(NULL);
	kmem_free(kernel_map, buf, PAGE_SIZE);
	region_fixture_drop(&r);
	settle(objects0);
	EXPECT_EQ(default_pager_check(ktest_report), 0);
}

/* ---- the dynamic pager ------------------------------------------------------------ */

#define SF_POLL_NS	(100ull * 1000 * 1000)
#define SF_HIWAT	(8ul << 20)		/* as the suite's command line sets it */

/* sf_host_files: ask the host to see exactly n swap files (HOSTCHECK files_<n>). */
static bool sf_host_files(struct p9_client *c, uint64_t n)
{
	char name[32];

	snprintf(name, sizeof(name), "files_%lu", n);
	return ktest_host_check(c, name);
}

/*
 * sf_settle: wait (up to secs) until no drain runs and the file count has
 * not changed for a second and a half, with at least min_deleted files
 * deleted in all.  Returns the stats then.
 */
static struct swapfile_stats sf_settle(uint64_t min_deleted, int secs)
{
	struct swapfile_stats st, last = { 0 };
	int still = 0;

	for (int i = 0; i < secs * 10; i++) {
		swapfile_stats(&st);
		still = st.files == last.files && !st.draining ? still + 1 : 0;
		last = st;
		if (st.deleted >= min_deleted && still >= 15)
			break;
		thread_sleep_ns(SF_POLL_NS);
	}
	return last;
}

/* sf_pool_free: free bytes in the pool. */
static uint64_t sf_pool_free(void)
{
	struct default_pager_stats st;

	default_pager_stats(&st);
	return ptoa(st.free_pages);
}

/* sf_fill_until_low: write pages [first, last) of seeds in order until the pool is below hiwat. */
static uint64_t sf_fill_until_low(uint32_t *seeds, uint64_t first, uint64_t last, uint32_t seed)
{
	uint64_t p;

	for (p = first; p < last && sf_pool_free() >= SF_HIWAT; p++) {
		seeds[p] = seed;
		page_write(WS_BASE + ptoa(p), p, seed);
	}
	return p;
}

/*
 * sf_wait_stat: poll (up to secs) until the counter at byte offset field
 * of struct swapfile_stats exceeds floor; returns its last value.
 */
static uint64_t sf_wait_stat(size_t field, uint64_t floor, int secs)
{
	struct swapfile_stats st;
	uint64_t v = 0;

	for (int i = 0; i < secs * 10 && v <= floor; i++) {
		swapfile_stats(&st);
		v = *(uint64_t *)((char *)&st + field);
		if (v <= floor)
			thread_sleep_ns(SF_POLL_NS);
	}
	return v;
}

/* harts_interrupted: harts that have claimed a device interrupt since irqs0[] (their counts then). */
static int harts_interrupted(const uint64_t *irqs0)
{
	int n = 0;

	for (int i = 0; i < hart_count; i++)
		n += __atomic_load_n(&harts[i].external_irqs, __ATOMIC_RELAXED) != irqs0[i];
	return n;
}

/*
 * Four times RAM, in as many workers as harts (each its own quarter of the
 * range, all in one map and one object), while the daemon pages out.  No
 * device interrupt may be lost (a completion a waiter had to take
 * itself, its interrupt neither pending nor handled), and device
 * interrupts go to every hart, not to hart 0 alone.
 */
TUNABLE_NUMBER(tunable_ws_percent, "paging.ws_percent", 100, 1, 1000, "N", NULL,
	       "(tests) paging's working set, in per cent of four times memory");

KTEST(paging, working_set_four_times_ram)
{
	uint64_t ram = ptoa(vm_page_total_count());
	uint64_t npages = atop(4 * ram) * tunable_number(&tunable_ws_percent) / 100;
	int nworkers = MIN(hart_count, MAX_WORKERS);
	static struct ws w[MAX_WORKERS];
	struct thread *t[MAX_WORKERS];
	struct default_pager_stats before, after;
	struct vm_pageout_stats po;
	struct swapfile_stats sf;
	vm_offset_t seeds = 0, addr = WS_BASE;
	uint64_t verified = 0, mismatches = 0, lost0 = virtq_interrupts_lost(), lost;
	uint64_t irqs0[HART_MAX];
	vm_map_t map = vm_map_create(pmap_create(), PAGE_SIZE, PMAP_USER_END);
	uint64_t objects0 = vm_object_count();

	ASSERT_TRUE(map != NULL && vm_pager_default != NULL);
	ASSERT_EQ(kmem_alloc(kernel_map, &seeds, round_page(npages * sizeof(uint32_t))), KERN_SUCCESS);
	memset((void *)seeds, 0, npages * sizeof(uint32_t));
	ASSERT_EQ(vm_allocate(map, &addr, ptoa(npages), VM_FLAGS_FIXED), KERN_SUCCESS);
	default_pager_stats(&before);
	for (int i = 0; i < hart_count; i++)
		irqs0[i] = __atomic_load_n(&harts[i].external_irqs, __ATOMIC_RELAXED);
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
	lost = virtq_interrupts_lost();
	ktest_report("%lu device interrupts lost; %d of %d harts took device interrupts\n",
		     lost - lost0, harts_interrupted(irqs0), hart_count);
	EXPECT_EQ(lost - lost0, 0);
	EXPECT_EQ(harts_interrupted(irqs0), hart_count);
	EXPECT_EQ(mismatches, 0);
	EXPECT_GE(verified, 3 * npages);
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
	swapfile_stats(&sf);
	if (sf.created) {			/* the dynamic pager ran: its files drain away */
		sf = sf_settle(sf.created, 60);
		ktest_report("swap files: %lu created, %lu deleted\n", sf.created, sf.deleted);
		EXPECT_EQ(sf.files, 0);
	}
}

/*
 * ws_single_make: one worker's working set of npages at WS_BASE, in a map
 * of its own that the calling thread then runs in, with its seeds (all 0)
 * in kernel memory; false if any of it cannot be had.
 */
static bool ws_single_make(struct ws *w, uint64_t npages)
{
	vm_offset_t seeds = 0, addr = WS_BASE;
	vm_map_t map = vm_map_create(pmap_create(), PAGE_SIZE, PMAP_USER_END);

	if (!map || kmem_alloc(kernel_map, &seeds, round_page(npages * sizeof(uint32_t))) ||
	    vm_allocate(map, &addr, ptoa(npages), VM_FLAGS_FIXED))
		return false;
	memset((void *)seeds, 0, npages * sizeof(uint32_t));
	*w = (struct ws){ .map = map, .npages = npages, .seed = (uint32_t *)seeds, .worker = 1 };
	thread_set_map(map);
	return true;
}

/*
 * Swap files grow with a working set of four times RAM (on a disk of half
 * RAM), drain and go when three quarters of it is freed (moving the live
 * pages of the rest), are retried when the host directory refuses a new
 * one, and are all gone once the map is; the host script checks the
 * directory at each step.
 */
KTEST(swapfile, grow_drain_retry_delete)
{
	uint64_t ram = ptoa(vm_page_total_count()), npages = atop(4 * ram), keep = npages / 4, end;
	struct virtio_9p *share = virtio_9p_find("swap");
	struct swapfile_stats st, st0;
	struct default_pager_stats dp;
	uint64_t objects0 = vm_object_count();
	struct ws w;

	ASSERT_TRUE(share != NULL);
	ASSERT_TRUE(ws_single_make(&w, npages));

	/* Grow: the disk alone cannot hold the working set. */
	ws_pass_seq(&w, 1);
	ws_pass_random(&w, 2);
	swapfile_stats(&st0);
	ktest_report("grown: %lu files of %lu MiB\n", st0.files, st0.file_bytes >> 20);
	EXPECT_GE(st0.created, 2);
	EXPECT_EQ(st0.files, st0.created);
	EXPECT_TRUE(sf_host_files(&share->client, st0.files));

	/* Drain: free the first three quarters; files go, the live rest moves out of them. */
	ASSERT_EQ(vm_deallocate(w.map, WS_BASE, ptoa(npages - keep)), KERN_SUCCESS);
	st = sf_settle(1, 60);
	default_pager_stats(&dp);
	ktest_report("drained: %lu files left, %lu deleted, %lu pages moved\n", st.files, st.deleted,
		     dp.moved);
	default_pager_print(kprintf);
	EXPECT_GE(st.deleted, 1);
	EXPECT_GT(dp.moved, 0);
	EXPECT_EQ(st.files + st.deleted, st.created);
	EXPECT_TRUE(sf_host_files(&share->client, st.files));
	w.first = npages - keep;
	w.npages = keep;
	w.verified = w.mismatches = 0;
	ws_verify_all(&w);
	EXPECT_EQ(w.mismatches, 0);
	EXPECT_EQ(w.verified, keep);

	/* Retry: the host makes the directory unwritable before the pool runs low. */
	ASSERT_TRUE(ktest_host_check(&share->client, "lock"));
	swapfile_stats(&st0);
	ASSERT_EQ(vm_allocate(w.map, &(vm_offset_t){ WS_BASE }, ptoa(npages - keep), VM_FLAGS_FIXED),
		  KERN_SUCCESS);
	end = sf_fill_until_low(w.seed, 0, npages - keep, 3 << 8 | 1);
	EXPECT_GT(sf_wait_stat(offsetof(struct swapfile_stats, create_failures), st0.create_failures, 10),
		  st0.create_failures);
	swapfile_stats(&st);
	EXPECT_EQ(st.created, st0.created);
	EXPECT_TRUE(ktest_host_check(&share->client, "unlock"));
	EXPECT_GT(sf_wait_stat(offsetof(struct swapfile_stats, created), st0.created, 10), st0.created);
	w.verified = w.mismatches = 0;
	ws_verify_all(&w);
	w.first = 0;
	w.npages = end;
	ws_verify_all(&w);
	ktest_report("retry: %lu pages written with the directory locked, %lu create failures;"
		     " %lu pages verified, %lu mismatches\n", end,
		     st.create_failures - st0.create_failures, w.verified, w.mismatches);
	EXPECT_EQ(w.mismatches, 0);
	EXPECT_EQ(w.verified, keep + end);

	/* Empty: with the map gone every file drains away. */
	thread_set_map(NULL);
	EXPECT_EQ(vm_map_check(w.map, ktest_report), 0);
	vm_map_deallocate(w.map);
	kmem_free(kernel_map, (vm_offset_t)w.seed, round_page(npages * sizeof(uint32_t)));
	settle(objects0);
	st = sf_settle(st.created, 60);
	EXPECT_EQ(st.files, 0);
	EXPECT_EQ(st.deleted, st.created);
	EXPECT_TRUE(sf_host_files(&share->client, 0));
	EXPECT_EQ(default_pager_check(ktest_report), 0);
	default_pager_stats(&dp);
	EXPECT_EQ(dp.used_pages, 0);
}

/* page_copyin_check: page p's words through copyin: 1 as written, 0 not, -1 the read failed. */
static int page_copyin_check(vm_offset_t va, uint64_t page, uint32_t seed)
{
	static uint64_t buf[WORDS];

	if (copyin((const void *)va, buf, PAGE_SIZE) != 0)
		return -1;
	for (uint64_t i = 0; i < WORDS; i++)
		if (buf[i] != word_of(page, seed, i))
			return 0;
	return 1;
}

/*
 * The host cuts every swap file to half its size under a working set of
 * three times RAM.  A page whose slot is gone (a short read) or whose
 * slot now reads back zeros (a checksum mismatch) fails its fault with
 * KERN_MEMORY_ERROR, reported; no page reads back wrong, and the pages
 * in the first halves and on the disk are intact.  The files still drain
 * and go once the map is gone.
 */
KTEST(swapfile, truncated_files_fail_their_pages_and_no_others)
{
	uint64_t ram = ptoa(vm_page_total_count()), npages = atop(3 * ram);
	struct virtio_9p *share = virtio_9p_find("swap");
	uint64_t intact = 0, wrong = 0, failed = 0, objects0 = vm_object_count();
	struct default_pager_stats dp0, dp;
	struct swapfile_stats st;
	struct ws w;

	ASSERT_TRUE(share != NULL);
	ASSERT_TRUE(ws_single_make(&w, npages));
	ws_pass_seq(&w, 1);
	swapfile_stats(&st);
	ASSERT_GE(st.files, 1);
	default_pager_stats(&dp0);
	ASSERT_TRUE(ktest_host_check(&share->client, "truncate"));
	for (uint64_t p = 0; p < npages; p++) {
		int r = page_copyin_check(WS_BASE + ptoa(p), p, w.seed[p]);

		intact += r == 1;
		wrong += r == 0;
		failed += r == -1;
	}
	default_pager_stats(&dp);
	ktest_report("%lu files cut to half: of %lu pages %lu intact, %lu unreadable, %lu wrong; "
		     "%lu read errors, %lu checksum mismatches\n", st.files, npages, intact, failed,
		     wrong, dp.read_errors - dp0.read_errors,
		     dp.checksum_errors - dp0.checksum_errors);
	EXPECT_EQ(wrong, 0);
	EXPECT_GT(failed, 0);
	EXPECT_GT(intact, npages / 2);
	EXPECT_GT(dp.read_errors - dp0.read_errors + dp.checksum_errors - dp0.checksum_errors, 0);
	thread_set_map(NULL);
	vm_map_deallocate(w.map);
	kmem_free(kernel_map, (vm_offset_t)w.seed, round_page(npages * sizeof(uint32_t)));
	settle(objects0);
	st = sf_settle(st.created, 60);
	EXPECT_EQ(st.files, 0);		/* the host script finds none left when QEMU is gone */
	EXPECT_EQ(default_pager_check(ktest_report), 0);
}
