/*
 * pmem.c: see pmem.h.  Each usable range has a bitmap (1 = allocated) kept
 * in the range's own first pages; a search hint per range makes the common
 * single-page allocation cheap.
 */
#include <string.h>

#include "kern/kernel.h"
#include "kern/pmem.h"
#include "kern/spinlock.h"
#include "platform/riscv/vmlayout.h"

struct pmem_zone {
	struct pmem_range r;
	uint64_t *bitmap;	/* in the direct map */
	uint64_t hint;		/* a page index at or below the first free page */
};

static struct spinlock pmem_lock = SPINLOCK_INIT("pmem");
static struct pmem_zone pmem_zones[PMEM_MAX_RANGES];
static struct pmem_range pmem_usable[PMEM_MAX_RANGES];
static int pmem_nzones;
static uint64_t pmem_nfree, pmem_ntotal;

static bool pmem_bit(const struct pmem_zone *z, uint64_t i)
{
	return (z->bitmap[i / 64] >> (i % 64)) & 1;
}

static void pmem_bits_set(struct pmem_zone *z, uint64_t i, uint64_t n, bool v)
{
	for (uint64_t k = i; k < i + n; k++) {
		if (v)
			z->bitmap[k / 64] |= 1ul << (k % 64);
		else
			z->bitmap[k / 64] &= ~(1ul << (k % 64));
	}
}

/* pmem_subtract: remove [base, end) from the range list (split as needed). */
static void pmem_subtract(struct pmem_range *rs, int *n, uint64_t base, uint64_t end)
{
	for (int i = 0; i < *n; i++) {
		uint64_t rb = rs[i].base, re = rb + rs[i].npages * PMEM_PAGE_SIZE;

		if (end <= rb || base >= re)
			continue;
		if (base > rb && end < re) {		/* hole in the middle: split */
			if (*n == PMEM_MAX_RANGES)
				panic("pmem: more than %d RAM ranges", PMEM_MAX_RANGES);
			rs[*n] = (struct pmem_range){ end, (re - end) / PMEM_PAGE_SIZE };
			(*n)++;
			rs[i].npages = (base - rb) / PMEM_PAGE_SIZE;
		} else if (base <= rb) {
			uint64_t nb = MIN(end, re);

			rs[i].base = nb;
			rs[i].npages = (re - nb) / PMEM_PAGE_SIZE;
		} else {
			rs[i].npages = (base - rb) / PMEM_PAGE_SIZE;
		}
	}
}

static void pmem_zone_init(struct pmem_zone *z, struct pmem_range r)
{
	uint64_t words = (r.npages + 63) / 64;
	uint64_t meta_pages = (words * 8 + PMEM_PAGE_SIZE - 1) / PMEM_PAGE_SIZE;

	z->r = r;
	z->bitmap = PHYS_TO_DMAP(r.base);
	memset(z->bitmap, 0, words * 8);
	pmem_bits_set(z, 0, meta_pages, true);
	if (r.npages % 64)		/* bits past the end read as allocated */
		z->bitmap[words - 1] |= ~0ul << (r.npages % 64);
	z->hint = meta_pages;
	pmem_nfree += r.npages - meta_pages;
	pmem_ntotal += r.npages;
}

void pmem_init(const struct platform_info *info, const struct pmem_range *exclude, int nexclude)
{
	struct pmem_range rs[PMEM_MAX_RANGES];
	int n = 0;

	for (int i = 0; i < info->nmem && n < PMEM_MAX_RANGES; i++) {
		uint64_t b = ROUND_UP(info->mem[i].base, PMEM_PAGE_SIZE);
		uint64_t e = ROUND_DOWN(info->mem[i].base + info->mem[i].size, PMEM_PAGE_SIZE);

		if (e > b)
			rs[n++] = (struct pmem_range){ b, (e - b) / PMEM_PAGE_SIZE };
	}
	for (int i = 0; i < info->nresv; i++)
		pmem_subtract(rs, &n, ROUND_DOWN(info->resv[i].base, PMEM_PAGE_SIZE),
			      ROUND_UP(info->resv[i].base + info->resv[i].size, PMEM_PAGE_SIZE));
	for (int i = 0; i < nexclude; i++)
		pmem_subtract(rs, &n, exclude[i].base,
			      exclude[i].base + exclude[i].npages * PMEM_PAGE_SIZE);
	for (int i = 0; i < n; i++) {
		if (rs[i].npages < 2)
			continue;
		pmem_usable[pmem_nzones] = rs[i];
		pmem_zone_init(&pmem_zones[pmem_nzones++], rs[i]);
	}
	if (pmem_nfree == 0)
		panic("pmem: no usable RAM");
}

/* pmem_zone_find: first aligned run of n free pages at or after the hint, or UINT64_MAX. */
static uint64_t pmem_zone_find(const struct pmem_zone *z, uint64_t n, uint64_t align)
{
	uint64_t base_pfn = z->r.base / PMEM_PAGE_SIZE;
	uint64_t i = z->hint;

	while (i + n <= z->r.npages) {
		uint64_t mis = (base_pfn + i) & (align - 1);
		uint64_t k;

		if (mis) {
			i += align - mis;
			continue;
		}
		if (z->bitmap[i / 64] == ~0ul && i % 64 == 0) {
			i += 64;		/* skip a full word */
			continue;
		}
		for (k = 0; k < n && !pmem_bit(z, i + k); k++)
			;
		if (k == n)
			return i;
		i += k + 1;
	}
	return UINT64_MAX;
}

uint64_t pmem_alloc(uint64_t npages, uint64_t align_pages)
{
	uint64_t pa = 0;

	if (npages == 0 || align_pages == 0 || (align_pages & (align_pages - 1)))
		return 0;
	spin_lock(&pmem_lock);
	for (int zi = 0; zi < pmem_nzones && !pa; zi++) {
		struct pmem_zone *z = &pmem_zones[zi];
		uint64_t i = pmem_zone_find(z, npages, align_pages);

		if (i == UINT64_MAX)
			continue;
		pmem_bits_set(z, i, npages, true);
		if (i == z->hint)
			z->hint = i + npages;
		pmem_nfree -= npages;
		pa = z->r.base + i * PMEM_PAGE_SIZE;
	}
	spin_unlock(&pmem_lock);
	if (pa)
		memset(PHYS_TO_DMAP(pa), 0, npages * PMEM_PAGE_SIZE);
	return pa;
}

void pmem_free(uint64_t pa, uint64_t npages)
{
	spin_lock(&pmem_lock);
	for (int zi = 0; zi < pmem_nzones; zi++) {
		struct pmem_zone *z = &pmem_zones[zi];
		uint64_t i = (pa - z->r.base) / PMEM_PAGE_SIZE;

		if (pa < z->r.base || i + npages > z->r.npages)
			continue;
		for (uint64_t k = i; k < i + npages; k++)
			if (!pmem_bit(z, k))
				panic("pmem_free: page 0x%lx is already free", pa + (k - i) * PMEM_PAGE_SIZE);
		pmem_bits_set(z, i, npages, false);
		z->hint = MIN(z->hint, i);
		pmem_nfree += npages;
		spin_unlock(&pmem_lock);
		return;
	}
	panic("pmem_free: 0x%lx+%lu pages is not RAM this allocator owns", pa, npages);
}

uint64_t pmem_free_pages(void)
{
	return __atomic_load_n(&pmem_nfree, __ATOMIC_RELAXED);
}

uint64_t pmem_total_pages(void)
{
	return pmem_ntotal;
}

int pmem_ranges(const struct pmem_range **ranges)
{
	*ranges = pmem_usable;
	return pmem_nzones;
}
