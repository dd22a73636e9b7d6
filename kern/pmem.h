/*
 * pmem.h: the boot-time physical page allocator.  It owns every page of RAM
 * the DTB describes except firmware, reserved ranges, the image and the DTB,
 * keeps one bit per page, and hands out aligned contiguous runs.  The VM
 * layer's vm_page array is built over the same ranges (pmem_ranges).
 *
 * All calls take pmem_lock; they may be used from any hart and context
 * that may take a spinlock.
 */
#ifndef KERN_PMEM_H
#define KERN_PMEM_H

#include <stddef.h>
#include <stdint.h>

#include "platform/dtb/fdt.h"

#define PMEM_PAGE_SIZE	4096ul
#define PMEM_MAX_RANGES	16

struct pmem_range {
	uint64_t base;		/* physical, page aligned */
	uint64_t npages;
};

/*
 * pmem_init: take ownership of RAM from info, minus the reserved ranges and
 * the [exclude_base, exclude_end) ranges given (image, DTB).
 */
void pmem_init(const struct platform_info *info, const struct pmem_range *exclude, int nexclude);
/*
 * pmem_alloc: npages contiguous pages, first page aligned to align_pages
 * (a power of two), zeroed.  Returns the physical address, 0 if none.
 */
uint64_t pmem_alloc(uint64_t npages, uint64_t align_pages);
/* pmem_free: give back a run from pmem_alloc.  Freeing a free page panics. */
void pmem_free(uint64_t pa, uint64_t npages);
uint64_t pmem_free_pages(void);
uint64_t pmem_total_pages(void);
/* pmem_ranges: the usable ranges; returns their count. */
int pmem_ranges(const struct pmem_range **ranges);

#endif
