/*
 * vm_page_test.c: the physical page allocator: aligned contiguous runs,
 * fragmentation then coalescing back to the same free blocks, exhaustion,
 * and bad requests.
 */
#include <string.h>

#include "tests/kernel/ktest.h"
#include "vm/pmap.h"
#include "vm/vm_page.h"

KTEST_RUN(vm_page, "test=vm_page", "-m 256M -smp 2");

/* run_is_contiguous: n records, n consecutive physical pages, one segment. */
static bool run_is_contiguous(vm_page_t m, uint64_t n)
{
	for (uint64_t i = 1; i < n; i++)
		if (m[i].phys_addr != m->phys_addr + ptoa(i) || m[i].seg != m->seg)
			return false;
	return vm_page_lookup_phys(m->phys_addr + ptoa(n - 1)) == m + n - 1;
}

KTEST(vm_page, aligned_runs_of_1_to_1024_pages)
{
	static const uint64_t sizes[] = { 1, 2, 3, 5, 7, 16, 100, 255, 256, 511, 512, 513, 1000, 1024 };
	static const uint64_t aligns[] = { 1, 8, 512, 1024 };
	uint64_t before[VM_PAGE_MAX_ORDER], after[VM_PAGE_MAX_ORDER];
	uint64_t free0 = vm_page_free_count();

	vm_page_free_blocks(before);
	for (unsigned i = 0; i < ARRAY_SIZE(sizes); i++) {
		for (unsigned j = 0; j < ARRAY_SIZE(aligns); j++) {
			vm_page_t m = vm_page_alloc_contig(sizes[i], aligns[j]);

			uint64_t inuse = vm_page_inuse_count();

			ASSERT_TRUE(m != NULL);
			(void)inuse;
			EXPECT_EQ(atop(m->phys_addr) % aligns[j], 0);
			EXPECT_TRUE(run_is_contiguous(m, sizes[i]));
			EXPECT_EQ(vm_page_free_count(), free0 - sizes[i]);
			vm_page_free_contig(m, sizes[i]);
		}
	}
	EXPECT_EQ(vm_page_check(ktest_report), 0);
	vm_page_free_blocks(after);
	EXPECT_EQ(memcmp(before, after, sizeof(before)), 0);
}

#define FRAG_PAGES 4096

KTEST(vm_page, fragmentation_then_coalescing)
{
	static vm_page_t pages[FRAG_PAGES];
	uint64_t before[VM_PAGE_MAX_ORDER], after[VM_PAGE_MAX_ORDER];
	uint64_t free0 = vm_page_free_count();
	vm_page_t big;

	vm_page_free_blocks(before);
	for (int i = 0; i < FRAG_PAGES; i++)
		ASSERT_TRUE((pages[i] = vm_page_alloc()) != NULL);
	for (int i = 0; i < FRAG_PAGES; i += 2)	/* every other page: holes of one page */
		vm_page_free(pages[i]);
	EXPECT_EQ(vm_page_check(ktest_report), 0);
	EXPECT_EQ(vm_page_free_count(), free0 - FRAG_PAGES / 2);
	/* Runs still come from elsewhere, never from the holes. */
	big = vm_page_alloc_contig(1024, 1024);
	ASSERT_TRUE(big != NULL);
	EXPECT_TRUE(run_is_contiguous(big, 1024));
	vm_page_free_contig(big, 1024);
	for (int i = 1; i < FRAG_PAGES; i += 2)
		vm_page_free(pages[i]);
	/* Every buddy merged again: the same free blocks as before. */
	EXPECT_EQ(vm_page_check(ktest_report), 0);
	vm_page_free_blocks(after);
	EXPECT_EQ(memcmp(before, after, sizeof(before)), 0);
	EXPECT_EQ(vm_page_free_count(), free0);
}

KTEST(vm_page, exhaustion_returns_null_then_everything_comes_back)
{
	uint64_t free0 = vm_page_free_count(), n = 0;
	vm_page_t list = NULL, m;

	while ((m = vm_page_alloc()) != NULL) {	/* linked through next while allocated */
		m->next = list;
		list = m;
		n++;
	}
	EXPECT_EQ(n, free0);
	EXPECT_EQ(vm_page_free_count(), 0);
	EXPECT_TRUE(vm_page_alloc_contig(1, 1) == NULL);
	while ((m = list) != NULL) {
		list = m->next;
		m->next = NULL;
		vm_page_free(m);
	}
	EXPECT_EQ(vm_page_free_count(), free0);
	EXPECT_EQ(vm_page_check(ktest_report), 0);
}

KTEST(vm_page, bad_requests)
{
	EXPECT_TRUE(vm_page_alloc_contig(0, 1) == NULL);
	EXPECT_TRUE(vm_page_alloc_contig(1, 0) == NULL);
	EXPECT_TRUE(vm_page_alloc_contig(1, 3) == NULL);
	EXPECT_TRUE(vm_page_alloc_contig(1ul << VM_PAGE_MAX_ORDER, 1) == NULL);
	EXPECT_TRUE(vm_page_alloc_contig(1, 1ul << VM_PAGE_MAX_ORDER) == NULL);
	EXPECT_TRUE(vm_page_lookup_phys(0) == NULL);
	EXPECT_TRUE(vm_page_lookup_phys(0x80000000) == NULL);	/* firmware, not managed */
}

KTEST(vm_page, wire_counts)
{
	vm_page_t m = vm_page_alloc();
	uint64_t wired0 = vm_page_wired_count();

	ASSERT_TRUE(m != NULL);
	vm_page_wire(m);
	vm_page_wire(m);
	EXPECT_EQ(vm_page_wired_count(), wired0 + 1);
	vm_page_unwire(m);
	EXPECT_EQ(vm_page_wired_count(), wired0 + 1);
	vm_page_unwire(m);
	EXPECT_EQ(vm_page_wired_count(), wired0);
	vm_page_free(m);
}
