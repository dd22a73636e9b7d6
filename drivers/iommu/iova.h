/*
 * iova.h: an arena of I/O virtual addresses, in pages.
 *
 * Free ranges sit on power-of-two lists (a range of n pages on list
 * floor(log2 n)); every range, free or allocated, is on one list in
 * address order with its neighbours (boundary tags), and allocated ones
 * are found by their start in a treap (a binary search tree by start,
 * a heap by a hash of start: O(log n) expected, with no allocation).
 * iova_alloc takes the first range of the first non-empty list that
 * surely fits (ceil(log2 n)), a bitmap finding that list: O(1) but for
 * the treap insertion; iova_free finds the range in the treap and merges
 * with free neighbours: O(log n) in the allocated ranges.  (Bonwick's vmem
 * "instant fit"; vmem finds allocated ranges in a hash, which a fixed
 * size makes linear once the ranges outnumber its buckets.)
 *
 * Lock tags: kern/lock.h.  No other lock is taken under the arena's [R]
 * except the segment zone's.
 */
#ifndef DRIVERS_IOMMU_IOVA_H
#define DRIVERS_IOMMU_IOVA_H

#include <stdbool.h>
#include <stdint.h>

#include "kern/spinlock.h"
#include "vm/kern_return.h"

#define IOVA_CLASSES	40		/* free lists: ranges of 2^k .. 2^(k+1) - 1 pages */

struct iova_seg {
	uint64_t start, npages;		/* [R] in pages */
	bool free;			/* [R] */
	struct iova_seg *prev, *next;	/* [R] address order */
	struct iova_seg *lnext, *lprev;	/* [R] free: its free list */
	struct iova_seg *left, *right;	/* [R] allocated: the treap of allocated ranges */
};

struct iova_arena {
	struct spinlock lock;
	uint64_t start, end;		/* [c] pages [start, end) */
	struct iova_seg *first;		/* [R] lowest range */
	struct iova_seg *freelist[IOVA_CLASSES];	/* [R] */
	uint64_t nonempty;		/* [R] bit k: freelist[k] has a range */
	struct iova_seg *allocated;	/* [R] treap root: allocated ranges by start */
	uint64_t allocated_pages;	/* [R] */
	uint64_t nsegs;			/* [R] ranges, free and allocated */
};

/*
 * iova_arena_init: an arena of the pages [start, end).
 * => KERN_INVALID_ARGUMENT if empty; KERN_RESOURCE_SHORTAGE if no segment
 */
kern_return_t iova_arena_init(struct iova_arena *a, uint64_t start, uint64_t end);
/* iova_arena_destroy: free the segments.  => nothing allocated any more */
void iova_arena_destroy(struct iova_arena *a);

/*
 * iova_alloc: npages consecutive pages; their first in *page.
 * => KERN_INVALID_ARGUMENT for 0 pages; KERN_NO_SPACE if no free range is
 *    surely large enough; KERN_RESOURCE_SHORTAGE if a split found no segment
 */
kern_return_t iova_alloc(struct iova_arena *a, uint64_t npages, uint64_t *page);
/*
 * iova_alloc_aligned: iova_alloc of a range whose first page is phase
 * modulo align (a power of two), so that I/O and physical addresses can
 * share an alignment (Svnapot leaves).  It takes the first range surely
 * large enough for npages + align - 1 and gives back both ends.
 * => KERN_INVALID_ARGUMENT also for a bad align or phase
 */
kern_return_t iova_alloc_aligned(struct iova_arena *a, uint64_t npages, uint64_t align,
				 uint64_t phase, uint64_t *page);
/*
 * iova_free: give back a range iova_alloc returned, whole.
 * => KERN_INVALID_ARGUMENT if [page, page + npages) is not such a range
 */
kern_return_t iova_free(struct iova_arena *a, uint64_t page, uint64_t npages);

/*
 * iova_arena_check: every invariant (ranges tile [start, end) in order, no
 * two free ranges adjacent, each free range on its list and each allocated
 * one in the treap, the treap ordered, the counters); each broken one is
 * reported.
 * => number of problems found
 */
int iova_arena_check(struct iova_arena *a, void (*report)(const char *fmt, ...));
/* iova_arena_walk: fn(arg, start, npages) for each allocated range, in order, arena locked. */
void iova_arena_walk(struct iova_arena *a, void (*fn)(void *arg, uint64_t start, uint64_t npages),
		     void *arg);

#endif
