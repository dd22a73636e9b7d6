/*
 * vm_page.h: one record per physical page of RAM, and the physical page
 * allocator (a binary buddy system, so that aligned contiguous runs are
 * cheap to find and fragments coalesce when freed).
 *
 * The ranges come from the board (DTB minus firmware, image, DTB and
 * reserved memory); vm_page_startup takes them as given.
 *
 * Lock tags: kern/lock.h.
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
#define VM_PAGE_FICTITIOUS	0x0008	/* [c] a device page (vm/device_pager.h): no RAM behind
					   it; never queued, paged, copied or freed */

/*
 * Memory types a mapping can give a page (the reference's WIMG; Svpbmt's
 * PBMT on RISC-V, where the harts have it; every page is DEFAULT without).
 */
typedef enum {
	VM_MEMATTR_DEFAULT = 0,		/* main memory: cacheable, coherent (PMA) */
	VM_MEMATTR_UNCACHED,		/* non-cacheable, idempotent, weakly ordered (NC) */
	VM_MEMATTR_DEVICE,		/* non-cacheable, non-idempotent, strongly ordered I/O (IO) */
	VM_MEMATTR_COUNT,
} vm_memattr_t;

/* A page's [o] fields are its object's; hnext is read without [H] (vm_object.c). */

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
	uint8_t memattr;		/* [c] vm_memattr_t its mappings get (fictitious pages) */
};

/* Paging queues of object pages (the pageout daemon's view of memory). */
enum vm_page_queue_id {
	VM_PAGE_Q_NONE = 0,
	VM_PAGE_Q_ACTIVE,		/* recently used */
	VM_PAGE_Q_INACTIVE,		/* candidates for pageout, oldest first */
	VM_PAGE_Q_COUNT,
};

struct vm_page {
	struct vm_page *next, *prev;	/* [f] free-list links while free, [q] queue links otherwise */
	vm_paddr_t phys_addr;		/* [c] */
	uint16_t flags;
	uint8_t order;			/* [f] block order while free */
	uint8_t seg;			/* [c] index of its segment */
	uint8_t queue;			/* [q] enum vm_page_queue_id */
	uint32_t wire_count;		/* [o] wirings by maps and kmem */
	struct vm_object *object;	/* [o] owner, NULL if none */
	vm_object_offset_t offset;	/* [o] byte offset in the object */
	struct vm_page *hnext;		/* [H] (object, offset) hash chain */
	struct vm_page *onext, *oprev;	/* [o] the object's resident pages */
	bool busy;			/* [o] being filled or copied: wait, do not touch */
	bool wanted;			/* [o] someone waits for busy to clear */
	bool discarded;			/* [o] removed from use while wired: freed when unwired by
					   its I/O hold (vm_object_pages_unhold) */
	bool rdonly;			/* [o] mapped read-only, every write refused, while it stays
					   in its object (vm_object_protect_resident) */
	struct pmap_page md;
};
typedef struct vm_page *vm_page_t;

/* vm_page_fictitious: m describes device memory, not a page of RAM. */
static inline bool vm_page_fictitious(const struct vm_page *m)
{
	return m->flags & VM_PAGE_FICTITIOUS;
}

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
/*
 * vm_page_alloc_contig_range: as vm_page_alloc_contig, with every page inside
 * [low, high) physical (for devices that cannot address all of RAM).
 * => searches the free lists (O(free blocks)): for set-up, not hot paths
 * => NULL if the arguments are invalid or no such run is free
 */
vm_page_t vm_page_alloc_contig_range(uint64_t npages, uint64_t align_pages, vm_paddr_t low,
				     vm_paddr_t high);
/* vm_page_free_contig: give back a run from vm_page_alloc_contig (any sub-run may be freed alone). */
void vm_page_free_contig(vm_page_t m, uint64_t npages);
vm_page_t vm_page_alloc(void);
void vm_page_free(vm_page_t m);
/* vm_page_free_many: vm_page_free on pages[0, n), the free lists' lock taken once. */
void vm_page_free_many(vm_page_t *pages, uint32_t n);

/* vm_page_lookup_phys: the record of the page at pa, NULL if pa is not managed RAM. */
vm_page_t vm_page_lookup_phys(vm_paddr_t pa);
/* vm_page_nth: the page n pages after m, in the same segment. */
vm_page_t vm_page_nth(vm_page_t m, uint64_t n);

/*
 * The reserve: the last free pages, which only privileged threads (the
 * pageout daemon and the pager I/O it starts) may take, so that paging out
 * never waits for the memory it is trying to free.  Everyone else gets
 * NULL below it and waits in vm_page_wait.
 */
void vm_page_set_reserve(uint64_t pages);
uint64_t vm_page_reserve(void);
/*
 * vm_page_privileged: let the calling thread dip into the reserve (or
 * not).  => whether it could before, for a section to put back
 */
bool vm_page_privileged(bool on);
/*
 * vm_page_wait: sleep until free pages rise above the reserve or `ns`
 * passes; kicks the pageout daemon first.  => true if memory is there
 */
bool vm_page_wait(uint64_t ns);
/* vm_page_free_hook: called (unlocked) when waiters exist or free pages run low. */
extern void (*vm_page_low_hook)(void);

/*
 * Queues: object pages are active when they enter an object, and leave
 * every queue when they leave it.  Wired pages stay queued; the daemon
 * passes over them.  Lock order: object lock, then vm_page_queue_lock.
 */
struct vm_page_queue {
	struct vm_page *head, *tail;	/* [q] head: oldest */
	uint64_t count;			/* [q] */
};
extern struct spinlock vm_page_queue_lock;
extern struct vm_page_queue vm_page_queues[VM_PAGE_Q_COUNT];
/* vm_page_enqueue_locked: put m at the tail of queue q (taking it off its own). */
void vm_page_enqueue_locked(vm_page_t m, enum vm_page_queue_id q);
void vm_page_dequeue_locked(vm_page_t m);
/* vm_page_queues_enable: object pages join the queues from now on (when paging starts). */
void vm_page_queues_enable(void);
void vm_page_activate(vm_page_t m);
void vm_page_deactivate(vm_page_t m);
void vm_page_dequeue(vm_page_t m);
uint64_t vm_page_queue_count(enum vm_page_queue_id q);

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
