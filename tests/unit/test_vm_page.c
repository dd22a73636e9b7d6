/*
 * test_vm_page.c: the buddy allocator and zones against a reference model,
 * on fake RAM: two segments whose edges are not aligned to large blocks.
 */
#include <stdlib.h>
#include <string.h>

#include "tests/unit/fake_pmap.h"
#include "tests/unit/utest.h"
#include "vm/pmap.h"
#include "vm/vm_page.h"
#include "vm/vm_zone.h"

#define RAM_BASE	0x80000000ul
#define RAM_SIZE	(24ul << 20)
/* Segment 0 starts 3 pages in; segment 1 leaves a hole and ends unaligned. */
static const struct vm_phys_seg segs[] = {
	{ .start = RAM_BASE + 3 * PAGE_SIZE, .end = RAM_BASE + (10ul << 20) },
	{ .start = RAM_BASE + (12ul << 20) + 5 * PAGE_SIZE, .end = RAM_BASE + RAM_SIZE - 7 * PAGE_SIZE },
};

static int reports;

static void count_report(const char *fmt, ...)
{
	(void)fmt;
	reports++;
}

static uint64_t rng = 0x9e3779b97f4a7c15ul;

static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void startup_once(void)
{
	static int done;

	if (done++)
		return;
	fake_pmap_ram(RAM_BASE, RAM_SIZE);
	vm_page_startup(segs, 2);
}

UTEST(vm_page, startup_accounts_every_page)
{
	uint64_t pages = 0;

	startup_once();
	for (int i = 0; i < 2; i++)
		pages += atop(segs[i].end - segs[i].start);
	UT_EXPECT_EQ(vm_page_total_count(), pages);
	/* All free but the page records themselves. */
	UT_EXPECT(vm_page_free_count() < pages);
	UT_EXPECT(vm_page_free_count() > pages - pages * sizeof(struct vm_page) / PAGE_SIZE - 2);
	UT_EXPECT_EQ(vm_page_check(count_report), 0);
}

struct run {
	vm_page_t m;
	uint64_t n;
};

UTEST(vm_page, random_runs_match_a_reference_model)
{
	static struct run runs[256];
	static uint8_t owned[RAM_SIZE / PAGE_SIZE];	/* reference: who holds each page */
	uint64_t before[VM_PAGE_MAX_ORDER], after[VM_PAGE_MAX_ORDER];
	uint64_t free0;
	int nruns = 0;

	startup_once();
	free0 = vm_page_free_count();
	vm_page_free_blocks(before);
	for (int step = 0; step < 20000; step++) {
		if (nruns < 256 && (nruns == 0 || next_rand() % 3)) {
			uint64_t n = 1 + next_rand() % (next_rand() % 4 ? 8 : 1500);
			uint64_t align = 1ul << (next_rand() % 11);
			vm_page_t m = vm_page_alloc_contig(n, align);

			if (!m)
				continue;
			UT_ASSERT(atop(m->phys_addr) % align == 0);
			for (uint64_t i = 0; i < n; i++) {
				uint64_t idx = atop(m[i].phys_addr - RAM_BASE);

				UT_ASSERT(m[i].phys_addr == m->phys_addr + ptoa(i));
				UT_ASSERT(!owned[idx]);		/* never handed out twice */
				owned[idx] = 1;
			}
			runs[nruns++] = (struct run){ m, n };
		} else {
			int k = (int)(next_rand() % nruns);

			for (uint64_t i = 0; i < runs[k].n; i++)
				owned[atop(runs[k].m[i].phys_addr - RAM_BASE)] = 0;
			vm_page_free_contig(runs[k].m, runs[k].n);
			runs[k] = runs[--nruns];
		}
		if (step % 997 == 0)
			UT_ASSERT(vm_page_check(count_report) == 0);
	}
	while (nruns > 0) {
		nruns--;
		vm_page_free_contig(runs[nruns].m, runs[nruns].n);
	}
	UT_EXPECT_EQ(vm_page_check(count_report), 0);
	UT_EXPECT_EQ(vm_page_free_count(), free0);
	vm_page_free_blocks(after);
	UT_EXPECT(memcmp(before, after, sizeof(before)) == 0);
}

UTEST(vm_page, partial_free_of_a_run)
{
	vm_page_t m;
	uint64_t free0;

	startup_once();
	free0 = vm_page_free_count();
	m = vm_page_alloc_contig(300, 256);
	UT_ASSERT(m != NULL);
	vm_page_free_contig(m + 100, 200);	/* the tail first, then the head */
	vm_page_free_contig(m, 100);
	UT_EXPECT_EQ(vm_page_free_count(), free0);
	UT_EXPECT_EQ(vm_page_check(count_report), 0);
}

/*
 * vm_page_free_many gives back pages that follow each other physically as
 * the blocks they form: a 64-page aligned run in order, in two pieces
 * split by a page of another run, and in reverse, all leave the
 * allocator's free blocks as they were.
 */
UTEST(vm_page, free_many_merges_runs)
{
	uint64_t before[VM_PAGE_MAX_ORDER], after[VM_PAGE_MAX_ORDER], free0;
	vm_page_t pages[65], m, other;

	startup_once();
	free0 = vm_page_free_count();
	vm_page_free_blocks(before);
	for (int order = 0; order < 3; order++) {
		m = vm_page_alloc_contig(64, 64);
		other = vm_page_alloc();
		UT_ASSERT(m != NULL && other != NULL);
		for (int i = 0; i < 64; i++)
			pages[i] = order == 2 ? &m[63 - i] : &m[i];
		if (order == 1) {		/* another page in the middle */
			memmove(&pages[33], &pages[32], 32 * sizeof(pages[0]));
			pages[32] = other;
		}
		vm_page_free_many(pages, order == 1 ? 65 : 64);
		if (order != 1)
			vm_page_free(other);
		UT_EXPECT_EQ(vm_page_free_count(), free0);
		UT_EXPECT_EQ(vm_page_check(count_report), 0);
		vm_page_free_blocks(after);	/* merged back into the blocks there were */
		UT_EXPECT(memcmp(before, after, sizeof(before)) == 0);
	}
}

UTEST(vm_page, lookup_and_bad_requests)
{
	startup_once();
	UT_EXPECT(vm_page_lookup_phys(RAM_BASE) == NULL);	/* before segment 0 */
	UT_EXPECT(vm_page_lookup_phys(segs[0].start)->phys_addr == segs[0].start);
	UT_EXPECT(vm_page_lookup_phys(segs[1].end) == NULL);
	UT_EXPECT(vm_page_lookup_phys(segs[0].end) == NULL);	/* the hole */
	UT_EXPECT(vm_page_alloc_contig(0, 1) == NULL);
	UT_EXPECT(vm_page_alloc_contig(1, 6) == NULL);
	UT_EXPECT(vm_page_alloc_contig(1ul << VM_PAGE_MAX_ORDER, 1) == NULL);
}

static struct zone test_zone = ZONE_INIT("test", 200);

UTEST(vm_zone, items_and_pages_come_back)
{
	static void *items[3000];
	uint64_t free0;

	startup_once();
	free0 = vm_page_free_count();
	for (int i = 0; i < 3000; i++) {
		items[i] = zalloc(&test_zone);
		UT_ASSERT(items[i] != NULL);
		UT_ASSERT(((uintptr_t)items[i] & 15) == 0);
		memset(items[i], 0xa5, 200);
	}
	UT_EXPECT_EQ(zone_items_used(&test_zone), 3000);
	UT_EXPECT(vm_page_free_count() < free0);
	for (int i = 0; i < 3000; i += 2)
		zfree(&test_zone, items[i]);
	for (int i = 0; i < 3000; i += 2)	/* reused, and zeroed */
		UT_ASSERT(*(uint64_t *)(items[i] = zalloc(&test_zone)) == 0);
	for (int i = 0; i < 3000; i++)
		zfree(&test_zone, items[i]);
	UT_EXPECT_EQ(zone_items_used(&test_zone), 0);
	/* Every zone page went back but the one it keeps for the next item, which is slack. */
	UT_EXPECT_EQ(vm_page_free_count(), free0 - 1);
	UT_EXPECT_EQ(zone_slack_pages(), 1);
}

static struct zone slack_zone = ZONE_INIT("slack", 1300);	/* 3 items a page */

/*
 * Items spread over more pages than they fill are slack, counted as free
 * by the accounting checks; a page that empties goes back at once.
 */
UTEST(vm_zone, slack_counts_pages_items_do_not_fill)
{
	void *items[9];
	uint64_t free0, slack0;

	startup_once();
	free0 = vm_page_free_count();
	slack0 = zone_slack_pages();
	for (int i = 0; i < 9; i++)
		UT_ASSERT((items[i] = zalloc(&slack_zone)) != NULL);
	UT_EXPECT_EQ(vm_page_free_count(), free0 - 3);
	UT_EXPECT_EQ(zone_slack_pages(), slack0);
	for (int i = 0; i < 9; i++)		/* one item left in each page: 3 pages for 3 items */
		if (i % 3)
			zfree(&slack_zone, items[i]);
	UT_EXPECT_EQ(zone_items_used(&slack_zone), 3);
	UT_EXPECT_EQ(zone_slack_pages(), slack0 + 2);
	UT_EXPECT_EQ(zone_free_pages() - slack0, free0 - 1);
	zfree(&slack_zone, items[0]);		/* its page empties and goes: others have room */
	UT_EXPECT_EQ(zone_slack_pages(), slack0 + 1);
	UT_EXPECT_EQ(vm_page_free_count(), free0 - 2);
	zfree(&slack_zone, items[3]);
	zfree(&slack_zone, items[6]);		/* the last page with room stays, empty */
	UT_EXPECT_EQ(zone_slack_pages(), slack0 + 1);
	UT_EXPECT_EQ(vm_page_free_count(), free0 - 1);
	for (int i = 0; i < 3; i++)		/* and takes the next items */
		UT_ASSERT((items[i] = zalloc(&slack_zone)) != NULL);
	UT_EXPECT_EQ(vm_page_free_count(), free0 - 1);
	UT_EXPECT_EQ(zone_slack_pages(), slack0);
	for (int i = 0; i < 3; i++)
		zfree(&slack_zone, items[i]);
}

int main(int argc, char **argv)
{
	return utest_main(argc, argv);
}
