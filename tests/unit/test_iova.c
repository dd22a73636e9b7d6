/*
 * test_iova.c: the I/O address arena (drivers/iommu/iova.c) against a
 * reference model: a page bitmap of what is allocated.
 */
#include <stdlib.h>
#include <string.h>

#include "drivers/iommu/iova.h"
#include "tests/unit/fake_pmap.h"
#include "tests/unit/utest.h"
#include "vm/vm_page.h"

#define RAM_BASE	0x80000000ul
#define RAM_SIZE	(4ul << 20)
#define ARENA_START	16
#define ARENA_PAGES	4096

static int reports;

static void count_report(const char *fmt, ...)
{
	(void)fmt;
	reports++;
}

static void startup_once(void)
{
	static const struct vm_phys_seg seg[] = { { .start = RAM_BASE, .end = RAM_BASE + RAM_SIZE } };
	static int done;

	if (done++)
		return;
	fake_pmap_ram(RAM_BASE, RAM_SIZE);
	vm_page_startup(seg, 1);
}

static uint64_t rng = 0x2545f4914f6cdd1dul;

static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

struct range {
	uint64_t page, npages;
};

UTEST(iova, random_alloc_free_matches_a_bitmap)
{
	static uint8_t used[ARENA_PAGES];
	static struct range live[512];
	struct iova_arena a;
	int nlive = 0;

	startup_once();
	memset(used, 0, sizeof(used));
	UT_ASSERT(iova_arena_init(&a, ARENA_START, ARENA_START + ARENA_PAGES) == KERN_SUCCESS);
	for (int step = 0; step < 20000; step++) {
		if (nlive < 512 && (nlive == 0 || next_rand() % 3)) {
			uint64_t n = 1 + next_rand() % (next_rand() % 4 ? 8 : 200), page;
			kern_return_t kr = iova_alloc(&a, n, &page);

			if (kr == KERN_NO_SPACE)
				continue;
			UT_ASSERT(kr == KERN_SUCCESS);
			UT_ASSERT(page >= ARENA_START && page + n <= ARENA_START + ARENA_PAGES);
			for (uint64_t p = page; p < page + n; p++) {
				UT_ASSERT(!used[p - ARENA_START]);	/* never handed out twice */
				used[p - ARENA_START] = 1;
			}
			live[nlive++] = (struct range){ page, n };
		} else {
			int i = (int)(next_rand() % (uint64_t)nlive);

			UT_EXPECT_EQ(iova_free(&a, live[i].page, live[i].npages), KERN_SUCCESS);
			for (uint64_t p = live[i].page; p < live[i].page + live[i].npages; p++)
				used[p - ARENA_START] = 0;
			live[i] = live[--nlive];
		}
		if (step % 1000 == 0) {
			reports = 0;
			UT_EXPECT_EQ(iova_arena_check(&a, count_report), 0);
		}
	}
	while (nlive) {
		nlive--;
		UT_EXPECT_EQ(iova_free(&a, live[nlive].page, live[nlive].npages), KERN_SUCCESS);
	}
	/* Everything merged back into one free range. */
	UT_EXPECT_EQ(a.nsegs, 1);
	UT_EXPECT_EQ(a.allocated_pages, 0);
	UT_EXPECT_EQ(iova_arena_check(&a, count_report), 0);
	iova_arena_destroy(&a);
}

UTEST(iova, bad_frees_and_sizes_are_refused)
{
	struct iova_arena a;
	uint64_t page, other;

	startup_once();
	UT_EXPECT_EQ(iova_arena_init(&a, 10, 10), KERN_INVALID_ARGUMENT);
	UT_ASSERT(iova_arena_init(&a, ARENA_START, ARENA_START + 64) == KERN_SUCCESS);
	UT_EXPECT_EQ(iova_alloc(&a, 0, &page), KERN_INVALID_ARGUMENT);
	UT_EXPECT_EQ(iova_alloc(&a, 65, &page), KERN_NO_SPACE);
	UT_ASSERT(iova_alloc(&a, 8, &page) == KERN_SUCCESS);
	UT_EXPECT_EQ(iova_free(&a, page, 4), KERN_INVALID_ARGUMENT);		/* not its size */
	UT_EXPECT_EQ(iova_free(&a, page + 1, 7), KERN_INVALID_ARGUMENT);	/* not its start */
	UT_EXPECT_EQ(iova_free(&a, page, 8), KERN_SUCCESS);
	UT_EXPECT_EQ(iova_free(&a, page, 8), KERN_INVALID_ARGUMENT);		/* twice */
	/* Instant fit: 33 pages need the 64-page list; 32 free pages are not enough. */
	UT_ASSERT(iova_alloc(&a, 32, &page) == KERN_SUCCESS);
	UT_EXPECT_EQ(iova_alloc(&a, 33, &other), KERN_NO_SPACE);
	UT_EXPECT_EQ(iova_free(&a, page, 32), KERN_SUCCESS);
	UT_EXPECT_EQ(iova_arena_check(&a, count_report), 0);
	iova_arena_destroy(&a);
}

UTEST(iova, aligned_ranges_have_their_phase)
{
	struct iova_arena a;
	uint64_t page[64];

	startup_once();
	UT_ASSERT(iova_arena_init(&a, ARENA_START + 3, ARENA_START + 3 + ARENA_PAGES) == KERN_SUCCESS);
	for (int i = 0; i < 64; i++) {
		uint64_t phase = (uint64_t)i % 16, n = 1 + (uint64_t)i % 40;

		UT_ASSERT(iova_alloc_aligned(&a, n, 16, phase, &page[i]) == KERN_SUCCESS);
		UT_EXPECT_EQ(page[i] % 16, phase);
	}
	UT_EXPECT_EQ(iova_alloc_aligned(&a, 4, 12, 0, &page[0]), KERN_INVALID_ARGUMENT);
	UT_EXPECT_EQ(iova_alloc_aligned(&a, 4, 16, 16, &page[0]), KERN_INVALID_ARGUMENT);
	reports = 0;
	UT_EXPECT_EQ(iova_arena_check(&a, count_report), 0);
	for (int i = 0; i < 64; i++)
		UT_EXPECT_EQ(iova_free(&a, page[i], 1 + (uint64_t)i % 40), KERN_SUCCESS);
	UT_EXPECT_EQ(a.nsegs, 1);		/* the ends it gave back merged again */
	UT_EXPECT_EQ(iova_arena_check(&a, count_report), 0);
	iova_arena_destroy(&a);
}

UTEST(iova, checker_catches_a_broken_tiling)
{
	struct iova_arena a;
	uint64_t page;

	startup_once();
	UT_ASSERT(iova_arena_init(&a, ARENA_START, ARENA_START + 64) == KERN_SUCCESS);
	UT_ASSERT(iova_alloc(&a, 4, &page) == KERN_SUCCESS);
	a.first->npages++;				/* overlaps its neighbour */
	reports = 0;
	UT_EXPECT(iova_arena_check(&a, count_report) > 0);
	a.first->npages--;
	a.allocated_pages++;				/* a count that lies */
	reports = 0;
	UT_EXPECT(iova_arena_check(&a, count_report) > 0);
	a.allocated_pages--;
	UT_EXPECT_EQ(iova_free(&a, page, 4), KERN_SUCCESS);
	UT_EXPECT_EQ(iova_arena_check(&a, count_report), 0);
	iova_arena_destroy(&a);
}

int main(int argc, char **argv)
{
	return utest_main(argc, argv);
}
