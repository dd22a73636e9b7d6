/*
 * vm_page.h: one record per physical page of RAM, and the physical page
 * allocator (a binary buddy system, so that aligned contiguous runs are
 * cheap to find and fragments coalesce when freed).
 *
 * The ranges come from the board (DTB minus firmware, image, DTB and
 * reserved memory); vm_page_startup takes them as given.
 *
 * Locking legend: [f] vm_page_free_lock, [p] pmap lock of the page's
 * mappings (pmap.c), [c] constant after startup.
 */
#ifndef VM_VM_PAGE_H
#define VM_VM_PAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vm/vm_types.h"

#define VM_PAGE_MAX_ORDER	13	/* largest block: 2^12 pages = 16 MiB */
#define VM_PAGE_MAX_SEGS	16

/* flags */
#define VM_PAGE_FREE		0x0001	/* [f] on a free list (head of a block) */
#define VM_PAGE_PT		0x0002	/* a page-table page of some pmap */
#define VM_PAGE_RESERVED	0x0004	/* [c] holds the vm_page array itself */

/*
 * Lock legend for the object fields: [o] the owning object's lock,
 * [h] written under vm_page_hash_lock, read without it (vm_object.c).
 */

struct pmap;
struct vm_object;

/* One mapping of a page: {pmap, va, level}, on the list of the page that starts it. */
struct pv_entry {
	struct pv_entry *next;		/* [p] */
	struct pmap *pmap;		/* [p] NULL: an unused embedded entry */
	vm_offset_t va;			/* [p] */
	int level;			/* [p] */
};

/*
 * What the pmap keeps per physical page (its machine-independent part).
 * Most pages have one mapping: its pv entry is pv_embedded, so mapping
 * them allocates nothing; further mappings get entries from a zone.
 */
struct pmap_page {
	struct pv_entry *pv_list;	/* [p] mappings of this page */
	struct pv_entry pv_embedded;	/* [p] on pv_list while pv_embedded.pmap is set */
	uint16_t pv_count;		/* [p] */
	uint16_t pt_valid;		/* [p] valid entries, when the page is a page table */
	uint16_t pt_nest;		/* [p] pmaps sharing this page table by nesting */
	uint8_t attrs;			/* [p] PMAP_ATTR_* gathered from removed mappings */
};

struct vm_page {
	struct vm_page *next, *prev;	/* [f] free-list links (later: page queues) */
	vm_paddr_t phys_addr;		/* [c] */
	uint16_t flags;
	uint8_t order;			/* [f] block order while free */
	uint8_t seg;			/* [c] index of its segment */
	uint32_t wire_count;		/* [o] wirings by maps and kmem */
	struct vm_object *object;	/* [o] owner, NULL if none */
	vm_object_offset_t offset;	/* [o] byte offset in the object */
	struct vm_page *hnext;		/* [h] (object, offset) hash chain */
	struct vm_page *onext, *oprev;	/* [o] the object's resident pages */
	bool busy;			/* [o] being filled or copied: wait, do not touch */
	bool wanted;			/* [o] someone waits for busy to clear */
	struct pmap_page md;
};
typedef struct vm_page *vm_page_t;

/* A physical segment: consecutive pages with consecutive vm_page records. */
struct vm_phys_seg {
	vm_paddr_t start, end;		/* [c] page aligned */
	struct vm_page *pages;		/* [c] record of the page at start */
};

/*
 * vm_page_startup: take the usable RAM ranges (page aligned, sorted or
 * not), carve the vm_page array out of them and free every other page.
 * => called once, before any allocation
 */
void vm_page_startup(const struct vm_phys_seg *ranges, int nranges);

/*
 * vm_page_alloc_contig: npages physically contiguous pages whose first
 * page is aligned to align_pages (a power of two).  Not zeroed.
 * => NULL if npages or align_pages is 0, align_pages is not a power of
 *    two, the run is larger than a maximal block, or no run is free
 */
vm_page_t vm_page_alloc_contig(uint64_t npages, uint64_t align_pages);
/* vm_page_free_contig: give back a run from vm_page_alloc_contig (any sub-run may be freed alone). */
void vm_page_free_contig(vm_page_t m, uint64_t npages);
vm_page_t vm_page_alloc(void);
void vm_page_free(vm_page_t m);

/* vm_page_lookup_phys: the record of the page at pa, NULL if pa is not managed RAM. */
vm_page_t vm_page_lookup_phys(vm_paddr_t pa);
/* vm_page_nth: the page n pages after m, in the same segment. */
vm_page_t vm_page_nth(vm_page_t m, uint64_t n);

/* Accounting. */
uint64_t vm_page_free_count(void);
uint64_t vm_page_total_count(void);	/* managed pages, free or not */
uint64_t vm_page_inuse_count(void);	/* allocated (not free, not holding page records) */
uint64_t vm_page_wired_count(void);	/* pages with wire_count > 0 */
void vm_page_wire(vm_page_t m);
void vm_page_unwire(vm_page_t m);
/* vm_page_free_blocks: free blocks of each order, for fragmentation tests. */
void vm_page_free_blocks(uint64_t counts[VM_PAGE_MAX_ORDER]);
int vm_page_segs(const struct vm_phys_seg **segs);

/* vm_page_check: every free list and block consistent; returns problems found (0 = sane). */
int vm_page_check(void (*report)(const char *fmt, ...));

#endif
