/*
 * paging_fail_test.c: paging when the backing store fails.  One machine
 * per failure, each with a fresh swap disk of its own:
 *
 *   paging_fail.full   the store runs out: a 4 MiB disk under more
 *                      anonymous memory than RAM and disk together
 *   paging_fail.read   every read of cluster 3 of the disk fails (blkdebug)
 *   paging_fail.write  every write to clusters 2 and 64 fails (blkdebug)
 *   paging_fail.transient  the first read of cluster 3 fails, once (blkdebug)
 *   paging_fail.corrupt    cluster 3 is overwritten behind the pager's back
 *
 * What the VM promises: an exhausted store fails the faulting access with
 * KERN_RESOURCE_SHORTAGE; a read that fails is tried again; one that
 * keeps failing, or that brings back something else than was written (a
 * checksum per slot), fails the pages of that cluster with
 * KERN_MEMORY_ERROR and no others; a failed pageout leaves its pages
 * resident and dirty and the cluster bad.  In every case no other page is
 * lost, and once the memory is gone so are its swap slots.
 *
 * Pages are written and checked through vm_fault_with on a map the test
 * thread never runs in, so that a failed fault is a return code, not a
 * trap; the fill and the check run on the busy page through the direct
 * map.
 */
#include <string.h>

#include "drivers/virtio/virtio_blk.h"
#include "kern/thread.h"
#include "platform/riscv/semihost.h"
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

KTEST_RUN(paging_fail.full, "test=paging_full swap=swap", "-m 32M -smp 1 --blk swap:4M");
KTEST_RUN(paging_fail.read, "test=paging_read_error swap=swap", "-m 32M -smp 1 --blk swap:16M:blkdebug=tests/kernel/data/blkdebug-swap-read-cluster3.conf");
KTEST_RUN(paging_fail.write, "test=paging_write_error swap=swap", "-m 32M -smp 1 --blk swap:128M:blkdebug=tests/kernel/data/blkdebug-swap-write-clusters2-64.conf");
KTEST_RUN(paging_fail.transient, "test=paging_read_transient swap=swap", "-m 32M -smp 1 --blk swap:16M:blkdebug=tests/kernel/data/blkdebug-swap-read-once-cluster3.conf");
KTEST_RUN(paging_fail.corrupt, "test=paging_corrupt swap=swap", "-m 32M -smp 1 --blk swap:16M");

#define PF_BASE			0x10000000ul
#define PF_WORDS		(PAGE_SIZE / 8)
#define PF_BLOCK		DP_CLUSTER_PAGES	/* pages of one cluster-aligned block */
#define PF_BALLAST_PAGES	256ul			/* kernel memory given back to read with */
#define PF_READ_BAD_CLUSTER	3			/* as the read suite's blkdebug rules say */
#define PF_READ_BLOCKS		16
#define PF_WRITE_BLOCKS		8

/* ---- a region ---------------------------------------------------------------------- */

/*
 * pf_region_free: map and object go, and their swap slots with them; then
 * wait (a few seconds at most) for the pageout daemon to let go of its last
 * reference, so that the pager's books can be read.
 */
static void pf_region_free(struct region_fixture *r, uint64_t objects_before)
{
	EXPECT_EQ(vm_map_check(r->map, ktest_report), 0);
	region_fixture_drop(r);
	for (int i = 0; i < 500 && vm_object_count() > objects_before; i++)
		thread_sleep_ns(10 * 1000 * 1000);
}

/* ---- pages: a pattern only that page can hold ------------------------------------ */

static uint64_t pf_word(uint64_t page, uint64_t i)
{
	return (page + 1) * 0x9e3779b97f4a7c15ull ^ (i << 32 | i);
}

/* pf_fill: vm_fault_with's fill: the pattern of page *arg. */
static void pf_fill(vm_page_t m, void *arg)
{
	uint64_t *p = pmap_direct_map(m->phys_addr), page = *(const uint64_t *)arg;

	for (uint64_t i = 0; i < PF_WORDS; i++)
		p[i] = pf_word(page, i);
}

struct pf_probe {
	uint64_t page;
	bool intact;
};

/* pf_compare: vm_fault_with's fill for a read: does the page hold its pattern? */
static void pf_compare(vm_page_t m, void *arg)
{
	const uint64_t *p = pmap_direct_map(m->phys_addr);
	struct pf_probe *pr = arg;

	pr->intact = true;
	for (uint64_t i = 0; i < PF_WORDS && pr->intact; i++)
		pr->intact = p[i] == pf_word(pr->page, i);
}

/* pf_write: a write fault on page, which then gets its pattern. */
static kern_return_t pf_write(const struct region_fixture *r, uint64_t page)
{
	return vm_fault_with(r->map, PF_BASE + ptoa(page), VM_PROT_WRITE, pf_fill, &page);
}

/* pf_read: a read fault on page; *intact: it succeeded and the page holds its pattern. */
static kern_return_t pf_read(const struct region_fixture *r, uint64_t page, bool *intact)
{
	struct pf_probe pr = { .page = page };
	kern_return_t kr = vm_fault_with(r->map, PF_BASE + ptoa(page), VM_PROT_READ, pf_compare, &pr);

	*intact = kr == KERN_SUCCESS && pr.intact;
	return kr;
}

/* pf_write_range: write pages [first, end); returns how many faults failed. */
static uint64_t pf_write_range(const struct region_fixture *r, uint64_t first, uint64_t end)
{
	uint64_t failed = 0;

	for (uint64_t p = first; p < end; p++)
		failed += pf_write(r, p) != KERN_SUCCESS;
	return failed;
}

/* pf_intact_range: read pages [first, end); returns how many hold their pattern. */
static uint64_t pf_intact_range(const struct region_fixture *r, uint64_t first, uint64_t end)
{
	uint64_t intact = 0;
	bool ok;

	for (uint64_t p = first; p < end; p++) {
		pf_read(r, p, &ok);
		intact += ok;
	}
	return intact;
}

#define PF_RESIDENT	0x1
#define PF_STORED	0x2

/* pf_where: PF_RESIDENT and PF_STORED as page is in memory and in the store now. */
static int pf_where(const struct region_fixture *r, uint64_t page)
{
	int where;

	mutex_lock(&r->object->lock);
	where = (vm_page_lookup(r->object, ptoa(page)) ? PF_RESIDENT : 0) |
		(vm_pager_has_page(r->object, ptoa(page)) ? PF_STORED : 0);
	mutex_unlock(&r->object->lock);
	return where;
}

/* pf_count_where: pages of [first, end) whose pf_where is exactly `where`. */
static uint64_t pf_count_where(const struct region_fixture *r, uint64_t first, uint64_t end, int where)
{
	uint64_t n = 0;

	for (uint64_t p = first; p < end; p++)
		n += pf_where(r, p) == where;
	return n;
}

/*
 * pf_pageout_block: hand block b's dirty pages to the pager in one UPL, as
 * the daemon does; the pager writes and commits it, or aborts it.
 */
static kern_return_t pf_pageout_block(const struct region_fixture *r, uint64_t b)
{
	upl_t upl;
	kern_return_t kr = upl_request(r->object, ptoa(b * PF_BLOCK), ptoa(PF_BLOCK),
				       UPL_RETURN_ONLY_DIRTY | UPL_NOBLOCK, &upl);

	return kr == KERN_SUCCESS ? vm_pager_data_return(r->object, upl) : kr;
}

/* pf_bad_clusters: clusters of the pool that failed a write. */
static uint64_t pf_bad_clusters(void)
{
	uint64_t n = 0;

	for (int i = 0; i < DP_MAX_SEGMENTS; i++)
		if (default_pager_segment(i))
			n += default_pager_segment(i)->bad_clusters;
	return n;
}

/*
 * pf_pool_clean: the pager's books agree and hold no page; every cluster
 * is free again except the `bad` ones.
 */
static void pf_pool_clean(uint64_t bad)
{
	struct default_pager_stats st;

	EXPECT_EQ(default_pager_check(ktest_report), 0);
	default_pager_stats(&st);
	EXPECT_EQ(st.used_pages, 0);
	EXPECT_EQ(st.free_pages + bad * DP_CLUSTER_PAGES, st.total_pages);
}

/* ---- the store runs out ------------------------------------------------------------ */

/*
 * Write pages in order until a write fault fails: the pool fills, then
 * RAM; the fault that finds neither gets KERN_RESOURCE_SHORTAGE (after
 * the fault path's wait for the daemon, which can free nothing).  Every
 * page written before is still in memory or in the store; once the
 * ballast is given back there is room to read them all, and they hold
 * what was written.
 */
KTEST(paging_full, exhausted_store_fails_the_fault)
{
	uint64_t ram = vm_page_total_count(), objects0 = vm_object_count(), written = 0, n;
	struct default_pager_stats st0, st;
	vm_offset_t ballast = 0;
	struct region_fixture r = { 0 };
	kern_return_t kr = KERN_SUCCESS;
	uint64_t t0, t1, t2, intact;

	default_pager_stats(&st0);
	ASSERT_TRUE(vm_pager_default && st0.total_pages > 0 && st0.total_pages < ram / 4);
	ASSERT_EQ(kmem_alloc(kernel_map, &ballast, ptoa(PF_BALLAST_PAGES)), KERN_SUCCESS);
	n = ram + st0.total_pages;
	ASSERT_TRUE(region_fixture_make(&r, PF_BASE, n));
	t0 = semihost_elapsed_ns();
	while (written < n && (kr = pf_write(&r, written)) == KERN_SUCCESS)
		written++;
	t1 = semihost_elapsed_ns();
	ktest_report("%lu pages written in %lu ms, then %s\n", written, (t1 - t0) / 1000000,
		     kern_return_name(kr));
	default_pager_stats(&st);
	EXPECT_EQ(kr, KERN_RESOURCE_SHORTAGE);
	EXPECT_LT(written, n);
	EXPECT_GE(written, st0.total_pages);	/* the whole pool was used ... */
	EXPECT_EQ(st.free_pages, 0);
	EXPECT_GT(st.full, st0.full);		/* ... and then refused */
	EXPECT_EQ(pf_count_where(&r, 0, written, 0), 0);
	/* Still out: the next new page fails the same way. */
	t1 = semihost_elapsed_ns();
	EXPECT_EQ(vm_fault(r.map, PF_BASE + ptoa(written + 1), VM_PROT_WRITE), KERN_RESOURCE_SHORTAGE);
	t2 = semihost_elapsed_ns();
	kmem_free(kernel_map, ballast, ptoa(PF_BALLAST_PAGES));
	intact = pf_intact_range(&r, 0, written);
	ktest_report("RAM %lu pages, pool %lu pages: a failing fault takes %lu ms; %lu paged out,"
		     " %lu refusals; %lu of %lu read back intact\n", ram, st.total_pages,
		     (t2 - t1) / 1000000, st.pageouts - st0.pageouts, st.full - st0.full, intact,
		     written);
	EXPECT_EQ(intact, written);
	pf_region_free(&r, objects0);
	pf_pool_clean(0);
}

/* ---- a read error -------------------------------------------------------------------- */

/*
 * The region's blocks go out one by one to a fresh disk, whose clusters
 * are taken in order: block b lives in cluster b, and block
 * PF_READ_BAD_CLUSTER cannot be read back.  Reads whose window would reach
 * into that cluster from a neighbour (SEQUENTIAL from the block before,
 * RSEQNTL from the block after) still succeed; every page of the bad block
 * fails with KERN_MEMORY_ERROR, each time it is asked for, and stays in
 * the store, absent; every other page reads back intact, and the disk
 * goes on taking writes and reads.
 */
KTEST(paging_read_error, pagein_error_fails_only_its_cluster)
{
	uint64_t objects0 = vm_object_count(), bad = PF_READ_BAD_CLUSTER * PF_BLOCK, failed = 0;
	uint64_t npages = PF_READ_BLOCKS * PF_BLOCK, spare = npages - PF_BLOCK, intact = 0;
	struct default_pager_stats st0, st;
	struct region_fixture r = { 0 };
	bool ok;

	ASSERT_TRUE(vm_pager_default != NULL);
	ASSERT_TRUE(region_fixture_make(&r, PF_BASE, npages));
	EXPECT_EQ(pf_write_range(&r, 0, spare), 0);
	for (uint64_t b = 0; b < spare / PF_BLOCK; b++)
		EXPECT_EQ(pf_pageout_block(&r, b), KERN_SUCCESS);
	EXPECT_EQ(pf_count_where(&r, 0, spare, PF_STORED), spare);
	default_pager_stats(&st0);

	EXPECT_EQ(vm_behavior_set(r.map, PF_BASE, ptoa(npages), VM_BEHAVIOR_SEQUENTIAL), KERN_SUCCESS);
	EXPECT_EQ(pf_read(&r, bad - PF_BLOCK / 2, &ok), KERN_SUCCESS);
	EXPECT_TRUE(ok);
	EXPECT_EQ(vm_behavior_set(r.map, PF_BASE, ptoa(npages), VM_BEHAVIOR_RSEQNTL), KERN_SUCCESS);
	EXPECT_EQ(pf_read(&r, bad + PF_BLOCK + PF_BLOCK / 2, &ok), KERN_SUCCESS);
	EXPECT_TRUE(ok);
	EXPECT_EQ(vm_behavior_set(r.map, PF_BASE, ptoa(npages), VM_BEHAVIOR_DEFAULT), KERN_SUCCESS);
	for (uint64_t p = 0; p < spare; p++) {
		kern_return_t kr = pf_read(&r, p, &ok);
		bool in_bad = p >= bad && p < bad + PF_BLOCK;

		EXPECT_EQ(kr, in_bad ? KERN_MEMORY_ERROR : KERN_SUCCESS);
		failed += kr == KERN_MEMORY_ERROR;
		intact += ok;
	}
	EXPECT_EQ(failed, PF_BLOCK);
	EXPECT_EQ(intact, spare - PF_BLOCK);
	EXPECT_EQ(pf_count_where(&r, bad, bad + PF_BLOCK, PF_STORED), PF_BLOCK);
	/* Asked again, alone: the same error, nothing made up in its place. */
	EXPECT_EQ(vm_behavior_set(r.map, PF_BASE, ptoa(npages), VM_BEHAVIOR_RANDOM), KERN_SUCCESS);
	EXPECT_EQ(vm_fault(r.map, PF_BASE + ptoa(bad + 5), VM_PROT_READ), KERN_MEMORY_ERROR);
	EXPECT_EQ(vm_fault(r.map, PF_BASE + ptoa(bad + 5), VM_PROT_WRITE), KERN_MEMORY_ERROR);
	EXPECT_EQ(pf_where(&r, bad + 5), PF_STORED);
	default_pager_stats(&st);
	EXPECT_GE(st.read_errors - st0.read_errors, 3);

	/* The disk still works: the spare block goes out and comes back. */
	EXPECT_EQ(pf_write_range(&r, spare, npages), 0);
	EXPECT_EQ(pf_pageout_block(&r, spare / PF_BLOCK), KERN_SUCCESS);
	EXPECT_EQ(pf_count_where(&r, spare, npages, PF_STORED), PF_BLOCK);
	EXPECT_EQ(pf_intact_range(&r, spare, npages), PF_BLOCK);
	ktest_report("%lu pages paged out; KERN_MEMORY_ERROR for %lu, %lu intact;"
		     " %lu read errors in %lu read requests\n", npages, failed, intact + PF_BLOCK,
		     st.read_errors - st0.read_errors, st.read_requests - st0.read_requests);
	pf_region_free(&r, objects0);
	pf_pool_clean(0);
}

/* ---- a write error ------------------------------------------------------------------- */

/*
 * PF_WRITE_BLOCKS blocks go out one by one to a fresh disk, whose clusters
 * are taken in order: the block that gets cluster 2 fails.  Its pages stay
 * resident with no copy in the store (dirty), the cluster is bad, the
 * other blocks are out; sent again, the block goes to another cluster.
 * Everything reads back.
 */
KTEST(paging_write_error, pageout_error_keeps_pages_dirty)
{
	uint64_t objects0 = vm_object_count(), npages = PF_WRITE_BLOCKS * PF_BLOCK, failed_block = 0;
	struct default_pager_stats st0, st;
	struct region_fixture r = { 0 };
	uint64_t failures = 0, first;

	ASSERT_TRUE(vm_pager_default != NULL);
	ASSERT_TRUE(region_fixture_make(&r, PF_BASE, npages));
	EXPECT_EQ(pf_write_range(&r, 0, npages), 0);
	default_pager_stats(&st0);
	for (uint64_t b = 0; b < PF_WRITE_BLOCKS; b++) {
		kern_return_t kr = pf_pageout_block(&r, b);

		EXPECT_TRUE(kr == KERN_SUCCESS || kr == KERN_MEMORY_ERROR);
		if (kr != KERN_SUCCESS) {
			failures++;
			failed_block = b;
		}
	}
	default_pager_stats(&st);
	EXPECT_EQ(failures, 1);
	EXPECT_EQ(st.write_errors - st0.write_errors, 1);
	EXPECT_EQ(pf_bad_clusters(), 1);
	first = failed_block * PF_BLOCK;
	EXPECT_EQ(pf_count_where(&r, first, first + PF_BLOCK, PF_RESIDENT), PF_BLOCK);
	EXPECT_EQ(pf_count_where(&r, 0, npages, PF_STORED), npages - PF_BLOCK);
	/* Read where they are, they hold their data and stay dirty. */
	EXPECT_EQ(pf_intact_range(&r, first, first + PF_BLOCK), PF_BLOCK);
	EXPECT_EQ(pf_count_where(&r, first, first + PF_BLOCK, PF_RESIDENT), PF_BLOCK);

	/* Again: another cluster takes it. */
	EXPECT_EQ(pf_pageout_block(&r, failed_block), KERN_SUCCESS);
	default_pager_stats(&st);
	EXPECT_EQ(st.write_errors - st0.write_errors, 1);
	EXPECT_EQ(pf_bad_clusters(), 1);
	EXPECT_EQ(pf_count_where(&r, 0, npages, PF_STORED), npages);
	EXPECT_EQ(pf_intact_range(&r, 0, npages), npages);
	ktest_report("block %lu: pageout refused, pages kept resident; sent again: %lu pages out"
		     " in %lu write requests, %lu write errors, %lu bad clusters\n", failed_block,
		     st.pageouts - st0.pageouts, st.write_requests - st0.write_requests,
		     st.write_errors - st0.write_errors, pf_bad_clusters());
	pf_region_free(&r, objects0);
	pf_pool_clean(1);
}

/*
 * The daemon meets the other bad cluster (64) while a working set of
 * twice RAM is written: that write fails (the daemon's writes are
 * asynchronous, so the pager counts it, not the daemon), the pages stay,
 * the cluster is never written again, and every page reads back.
 */
KTEST(paging_write_error, daemon_pageout_error_loses_nothing)
{
	uint64_t ram = vm_page_total_count(), objects0 = vm_object_count(), npages = 2 * ram;
	struct default_pager_stats st0, st;
	struct vm_pageout_stats po0, po;
	struct region_fixture r = { 0 };
	uint64_t bad0 = pf_bad_clusters(), intact, lost;

	ASSERT_TRUE(vm_pager_default != NULL);
	ASSERT_TRUE(region_fixture_make(&r, PF_BASE, npages));
	default_pager_stats(&st0);
	vm_pageout_stats(&po0);
	EXPECT_EQ(pf_write_range(&r, 0, npages), 0);
	lost = pf_count_where(&r, 0, npages, 0);
	intact = pf_intact_range(&r, 0, npages);
	default_pager_stats(&st);
	vm_pageout_stats(&po);
	ktest_report("%lu pages (RAM %lu): %lu paged out, %lu write errors, %lu pageout failures,"
		     " %lu bad clusters; %lu lost, %lu of %lu intact\n", npages, ram,
		     st.pageouts - st0.pageouts, st.write_errors - st0.write_errors,
		     po.failures - po0.failures, pf_bad_clusters(), lost, intact, npages);
	/*
	 * The daemon keeps several writes in flight, and the device may merge
	 * neighbouring ones into one request that fails as a whole: each
	 * failed write marks its own cluster bad.
	 */
	EXPECT_GE(st.write_errors - st0.write_errors, 1);
	EXPECT_EQ(pf_bad_clusters(), bad0 + (st.write_errors - st0.write_errors));
	EXPECT_GT(st.pageouts - st0.pageouts, ram / 2);
	EXPECT_EQ(lost, 0);
	EXPECT_EQ(intact, npages);
	pf_region_free(&r, objects0);
	pf_pool_clean(pf_bad_clusters());
}

/* ---- a transient read error and a corrupted store ------------------------------------- */

/* pf_paged_out_region: PF_READ_BLOCKS blocks written and sent out one by one: block b in cluster b. */
static bool pf_paged_out_region(struct region_fixture *r)
{
	uint64_t npages = PF_READ_BLOCKS * PF_BLOCK;
	bool ok = region_fixture_make(r, PF_BASE, npages) && pf_write_range(r, 0, npages) == 0;

	for (uint64_t b = 0; ok && b < PF_READ_BLOCKS; b++)
		ok = pf_pageout_block(r, b) == KERN_SUCCESS;
	return ok && pf_count_where(r, 0, npages, PF_STORED) == npages;
}

/*
 * The first read of the cluster fails; tried again, it succeeds: every
 * page comes back intact, and the error is counted, not lost.
 */
KTEST(paging_read_transient, a_read_error_is_tried_again)
{
	uint64_t objects0 = vm_object_count(), npages = PF_READ_BLOCKS * PF_BLOCK;
	struct default_pager_stats st0, st;
	struct region_fixture r = { 0 };

	ASSERT_TRUE(vm_pager_default != NULL);
	ASSERT_TRUE(pf_paged_out_region(&r));
	default_pager_stats(&st0);
	EXPECT_EQ(pf_intact_range(&r, 0, npages), npages);
	default_pager_stats(&st);
	EXPECT_EQ(st.read_errors - st0.read_errors, 1);
	EXPECT_EQ(st.read_retries - st0.read_retries, 1);
	EXPECT_EQ(st.checksum_errors - st0.checksum_errors, 0);
	pf_region_free(&r, objects0);
	pf_pool_clean(0);
}

/*
 * The first half of cluster PF_READ_BAD_CLUSTER is overwritten on the
 * disk behind the pager's back (zeros in a quarter, as a truncated swap
 * file reads; another page's bytes in the next): those pages fail with
 * KERN_MEMORY_ERROR, never come back wrong.  The other half comes in
 * with the first fault's window, which the bad pages fail only in part;
 * every other page is intact.
 */
KTEST(paging_corrupt, a_page_read_back_different_is_an_error_not_data)
{
	uint64_t objects0 = vm_object_count(), npages = PF_READ_BLOCKS * PF_BLOCK, failed = 0, intact = 0;
	uint64_t bad = PF_READ_BAD_CLUSTER * PF_BLOCK, sectors_per_page = PAGE_SIZE / 512, nbad = PF_BLOCK / 2;
	struct virtio_blk *disk = virtio_blk_find("swap");
	struct default_pager_stats st0, st;
	struct region_fixture r = { 0 };
	vm_offset_t buf = 0;
	bool ok;

	ASSERT_TRUE(vm_pager_default && disk);
	ASSERT_TRUE(pf_paged_out_region(&r));
	ASSERT_EQ(kmem_alloc_wired(kernel_map, &buf, ptoa(nbad)), KERN_SUCCESS);
	memset((void *)buf, 0, ptoa(nbad));
	for (uint64_t i = nbad / 2; i < nbad; i++)	/* a page of another block */
		for (uint64_t w = 0; w < PF_WORDS; w++)
			((uint64_t *)buf)[i * PF_WORDS + w] = pf_word(i, w);
	ASSERT_EQ(virtio_blk_write(disk, bad * sectors_per_page, kernel_map, buf, ptoa(nbad)),
		  KERN_SUCCESS);
	kmem_free(kernel_map, buf, ptoa(nbad));
	default_pager_stats(&st0);
	EXPECT_EQ(pf_read(&r, bad, &ok), KERN_MEMORY_ERROR);	/* its window: the whole cluster */
	EXPECT_EQ(pf_count_where(&r, bad + nbad, bad + PF_BLOCK, PF_RESIDENT | PF_STORED), PF_BLOCK - nbad);
	EXPECT_EQ(pf_count_where(&r, bad, bad + nbad, PF_STORED), nbad);
	for (uint64_t p = 0; p < npages; p++) {
		kern_return_t kr = pf_read(&r, p, &ok);
		bool in_bad = p >= bad && p < bad + nbad;

		EXPECT_EQ(kr, in_bad ? KERN_MEMORY_ERROR : KERN_SUCCESS);
		failed += kr == KERN_MEMORY_ERROR;
		intact += ok;
	}
	default_pager_stats(&st);
	EXPECT_EQ(failed, nbad);
	EXPECT_EQ(intact, npages - nbad);
	EXPECT_GE(st.checksum_errors - st0.checksum_errors, nbad);
	EXPECT_EQ(st.read_errors - st0.read_errors, 0);
	EXPECT_EQ(pf_count_where(&r, bad, bad + nbad, PF_STORED), nbad);
	pf_region_free(&r, objects0);
	pf_pool_clean(0);
}
