/*
 * xmalloc.c: see xmalloc.h.  A heap is a header and blocks; every block
 * starts with {size, tag}; blocks tile the heap's extent [base, end); free
 * blocks are on a list sorted by address and merged with free neighbours,
 * so a heap whose allocations are all freed is one free block again (or,
 * once a reserved heap has given its grown memory back, none above its
 * floor).
 *
 * A reserved heap (kernel_heap, pinned_heap) has its header here, in
 * resident memory, and its blocks in a range of kernel_map backed by one
 * object of its own, offset 0 at base: its extent grows from base towards
 * limit and never shrinks below floor.
 *
 * Lock tags: kern/lock.h.  [x] is heap.lock (a spinlock) for an area heap
 * and for pinned_heap, heap.mutex for kernel_heap, whose headers live in
 * pageable pages.  pinned_heap changes its extent with extent_busy set
 * and the spinlock dropped around the wiring; kernel_heap under its mutex.
 */
#include <errno.h>
#include <string.h>

#include "kern/kernel.h"
#include "kern/lock.h"
#include "kern/spinlock.h"
#include "kern/thread.h"
#include "vm/pmap.h"
#include "vm/vm_fault.h"
#include "vm/vm_kern.h"
#include "vm/vm_object.h"
#include "vm/vm_pager.h"
#include "vm/xmalloc.h"

#define HEAP_MAGIC	0x48454150u	/* "HEAP" */
#define BLOCK_FREE	0x46524545u	/* "FREE" */
#define BLOCK_USED	0x55534544u	/* "USED" */
#define BLOCK_HDR	16ul
#define BLOCK_MIN	32ul		/* a header and a free-list link, at least */
#define XMALLOC_ALIGN_MAX 12

struct block {
	uint64_t size;			/* bytes, header included, multiple of 16 */
	uint32_t tag;			/* BLOCK_FREE or BLOCK_USED */
	uint32_t check;			/* while used: block_check(this block) */
	struct block *next_free;	/* only while free */
};

enum heap_kind {
	HEAP_AREA,			/* a caller's area (init_heap): fixed, resident */
	HEAP_PINNED,			/* a reservation, grown wired */
	HEAP_PAGEABLE,			/* a reservation, pageable */
};

struct heap {
	uint32_t magic;			/* [c] */
	enum heap_kind kind;		/* [c] */
	struct spinlock lock;		/* an area heap's and pinned_heap's [x] */
	struct mutex mutex;		/* kernel_heap's [x] */
	char *base;			/* [c] the first block */
	char *end;			/* [x] blocks tile [base, end); heap_stats reads it */
	char *floor;			/* [c] end never goes below it */
	char *limit;			/* [c] nor above it: the reservation's (the area's) end */
	struct vm_object *object;	/* [c] the reservation's object, NULL for an area heap */
	struct block *free;		/* [x] sorted by address */
	size_t used;			/* [x] heap_bytes_used, heap_stats read it unlocked */
	size_t peak_extent;		/* [x] */
	uint64_t grows, trims;		/* [x] */
	bool extent_busy;		/* [x] pinned_heap: a thread changes or checks end */
};

heapaddr_t kernel_heap;
heapaddr_t pinned_heap;

static struct heap kernel_heap_store, pinned_heap_store;	/* resident, whatever the blocks */

/* heap_of: h as a heap, NULL if it is not one. */
static struct heap *heap_of(heapaddr_t h)
{
	struct heap *heap = h;

	return heap && heap->magic == HEAP_MAGIC ? heap : NULL;
}

/* heap_lock / heap_unlock / heap_locked: the heap's [x], whichever kind of lock it is. */
static void heap_lock(struct heap *heap)
{
	if (heap->kind == HEAP_PAGEABLE)
		mutex_lock(&heap->mutex);
	else
		spin_lock(&heap->lock);
}

static void heap_unlock(struct heap *heap)
{
	if (heap->kind == HEAP_PAGEABLE)
		mutex_unlock(&heap->mutex);
	else
		spin_unlock(&heap->lock);
}

static bool heap_locked(struct heap *heap)
{
	return heap->kind == HEAP_PAGEABLE ? mutex_owned(&heap->mutex) : spin_held(&heap->lock);
}

/*
 * heap_caller_ok: the caller may use heap here.  A pageable heap's every
 * call may fault: from a caller that cannot sleep that is a lock-rule
 * violation, asserted, and refused where assertions are compiled out.
 */
static bool heap_caller_ok(struct heap *heap, const char *what)
{
	bool ok = heap->kind != HEAP_PAGEABLE || thread_may_sleep();

	LOCK_ASSERT(ok, "%s: pageable heap %p used where the caller cannot sleep", what,
		    (void *)heap);
	return ok;
}

/* heap_chunk: the step a reserved heap's extent grows and shrinks by. */
static size_t heap_chunk(const struct heap *heap)
{
	return heap->kind == HEAP_PINNED ? HEAP_PINNED_CHUNK : HEAP_KERNEL_CHUNK;
}

heapaddr_t init_heap(caddr_t area, int size, int *heapp)
{
	size_t hdr = ROUND_UP(sizeof(struct heap), BLOCK_HDR);
	struct heap *heap = (struct heap *)area;
	struct block *b;

	if (!area || ((uintptr_t)area & (BLOCK_HDR - 1)) || size < 0 ||
	    (size_t)size < hdr + BLOCK_MIN) {
		if (heapp)
			*heapp = EINVAL;
		return NULL;
	}
	*heap = (struct heap){ .magic = HEAP_MAGIC, .kind = HEAP_AREA, .base = area + hdr,
			       .end = area + hdr + ROUND_DOWN((size_t)size - hdr, BLOCK_HDR) };
	heap->floor = heap->limit = heap->end;
	heap->peak_extent = (size_t)(heap->end - heap->base);
	spin_init(&heap->lock, "heap");
	b = (struct block *)heap->base;
	*b = (struct block){ .size = (uint64_t)(heap->end - heap->base), .tag = BLOCK_FREE };
	heap->free = b;
	if (heapp)
		*heapp = 0;
	return heap;
}

/* ---- blocks --------------------------------------------------------------------------- */

/*
 * fit_start: where a block whose data is aligned on align goes in free
 * space starting at lo: a front remainder must be big enough to stay a
 * free block of its own.
 */
static char *fit_start(char *lo, size_t align)
{
	char *user = (char *)ROUND_UP((uintptr_t)lo + BLOCK_HDR, align);

	while (user - BLOCK_HDR != lo && (size_t)(user - BLOCK_HDR - lo) < BLOCK_MIN)
		user += align;
	return user - BLOCK_HDR;
}

/* block_fit: where in free block b an aligned allocation of need bytes starts, or NULL. */
static struct block *block_fit(struct block *b, size_t need, size_t align)
{
	char *at = fit_start((char *)b, align);
	size_t front = (size_t)(at - (char *)b);

	/* Sizes, not addresses: a heap near the top of memory must not wrap. */
	return front > b->size || need > b->size - front ? NULL : (struct block *)at;
}

/*
 * block_check: a used block's second word, from its own address, so that
 * xmfree of a pointer into the middle of a block does not take the data
 * there for a header unless it also names that address.
 */
static uint32_t block_check(const struct block *b)
{
	return (uint32_t)((uintptr_t)b >> 4) ^ 0x9e3779b9u;
}

/*
 * free_find: the link where a free block at addr belongs (the first one
 * not below addr) and, in *prev, the free block below addr (NULL: none).
 * => [x]
 */
static struct block **free_find(struct heap *heap, const void *addr, struct block **prev)
{
	struct block **pp = &heap->free;

	*prev = NULL;
	while (*pp && (const void *)*pp < addr) {
		*prev = *pp;
		pp = &(*pp)->next_free;
	}
	return pp;
}

/*
 * free_link: put b on the list at pp (from free_find, prev its
 * predecessor) and merge it with free neighbours.  => [x]; the free block
 * b became part of
 */
static struct block *free_link(struct block **pp, struct block *prev, struct block *b)
{
	b->tag = BLOCK_FREE;
	b->next_free = *pp;
	*pp = b;
	if (b->next_free && (char *)b + b->size == (char *)b->next_free) {
		b->size += b->next_free->size;
		b->next_free = b->next_free->next_free;
	}
	if (prev && (char *)prev + prev->size == (char *)b) {
		prev->size += b->size;
		prev->next_free = b->next_free;
		return prev;
	}
	return b;
}

/* free_insert: put b on the sorted free list, merged with free neighbours.  => [x] */
static struct block *free_insert(struct heap *heap, struct block *b)
{
	struct block *prev, **pp = free_find(heap, b, &prev);

	return free_link(pp, prev, b);
}

/* free_last: the link to the last free block (the link that ends the list if there is none). */
static struct block **free_last(struct heap *heap)
{
	struct block **pp = &heap->free;

	while (*pp && (*pp)->next_free)
		pp = &(*pp)->next_free;
	return pp;
}

/*
 * take: carve [at, at + need) out of the free block *pp.  What is left on
 * either side stays free, linked where the block was: the list stays
 * sorted with no walk (neither part touches another free block: free
 * neighbours are always merged, and the carved block lies between them).
 */
static void take(struct heap *heap, struct block **pp, struct block *at, size_t need)
{
	struct block *b = *pp;
	char *end = (char *)b + b->size;

	if (at != b) {
		b->size = (uint64_t)((char *)at - (char *)b);	/* the front stays, shorter */
		pp = &b->next_free;
	} else {
		*pp = b->next_free;
	}
	if ((size_t)(end - (char *)at) - need >= BLOCK_MIN) {
		struct block *rest = (struct block *)((char *)at + need);

		rest->size = (uint64_t)(end - (char *)rest);
		rest->tag = BLOCK_FREE;
		rest->next_free = *pp;
		*pp = rest;
	} else {
		need = (size_t)(end - (char *)at);
	}
	at->size = need;
	at->tag = BLOCK_USED;
	at->check = block_check(at);
	heap->used += need;
}

/* ---- pages of the pageable heap ------------------------------------------------------- */

/*
 * heap_pages_ready: [lo, lo + len) of a pageable heap can be written
 * without a fault that fails: each page is mapped, or vm_fault brings it
 * (zero fill, or back from swap).  A page taken again before the write
 * just faults once more.  => [x]; false: no memory for one (nothing
 * written yet, so the caller can still refuse)
 */
static bool heap_pages_ready(struct heap *heap, char *lo, size_t len)
{
	vm_offset_t va = trunc_page((vm_offset_t)lo);
	vm_paddr_t pa;

	if (heap->kind != HEAP_PAGEABLE)
		return true;
	for (; va < (vm_offset_t)lo + len; va += PAGE_SIZE)
		if (pmap_extract(kernel_pmap, va, &pa) != KERN_SUCCESS &&
		    vm_fault(kernel_map, va, VM_PROT_READ | VM_PROT_WRITE) != KERN_SUCCESS)
			return false;
	return true;
}

/*
 * heap_carve_ready: the headers carving at (need bytes) out of free block
 * b writes are on pages ready to be written (a free block's pages past its
 * header are gone).  => [x]
 */
static bool heap_carve_ready(struct heap *heap, struct block *b, struct block *at, size_t need)
{
	char *rest = (char *)at + need;

	return heap_pages_ready(heap, (char *)at, BLOCK_HDR) &&
	       ((size_t)((char *)b + b->size - rest) < BLOCK_MIN ||
		heap_pages_ready(heap, rest, BLOCK_MIN));
}

/*
 * heap_discard_locked: a pageable heap gives back the whole pages inside
 * free block f, past its header, that [lo, hi) overlaps: a free block
 * keeps no page but its header's.  => [x]
 */
static void heap_discard_locked(struct heap *heap, struct block *f, char *lo, char *hi)
{
	uintptr_t from = MAX(round_page((uintptr_t)f + BLOCK_MIN), trunc_page((uintptr_t)lo));
	uintptr_t to = MIN(trunc_page((uintptr_t)f + f->size), round_page((uintptr_t)hi));

	if (heap->kind == HEAP_PAGEABLE && from < to)
		vm_object_page_discard(heap->object, from - (uintptr_t)heap->base,
				       to - (uintptr_t)heap->base);
}

/* ---- the extent ------------------------------------------------------------------------- */

/*
 * heap_grow_bytes_locked: how much a reserved heap's extent must grow, in
 * whole chunks, for a block of need bytes aligned on align to fit at its
 * top (in the top free block, if that reaches the end, and the new space).
 * => [x]; 0 if the reservation cannot hold that
 */
static size_t heap_grow_bytes_locked(struct heap *heap, size_t need, size_t align)
{
	struct block *top = *free_last(heap);
	char *lo = top && (char *)top + top->size == heap->end ? (char *)top : heap->end;
	size_t over = (uintptr_t)fit_start(lo, align) - (uintptr_t)heap->end + need;
	size_t bytes = ROUND_UP(over, heap_chunk(heap));

	LOCK_ASSERT(heap_locked(heap), "heap_grow_bytes_locked: heap %p not locked", (void *)heap);
	if (heap->kind == HEAP_AREA || over > (size_t)(heap->limit - heap->base) ||
	    bytes > (size_t)(heap->limit - heap->end))
		return 0;
	return bytes;
}

/* heap_extend_locked: [end, end + bytes) becomes a free block (merged with the top one). */
static void heap_extend_locked(struct heap *heap, size_t bytes)
{
	struct block *b = (struct block *)heap->end;

	LOCK_ASSERT(heap_locked(heap), "heap_extend_locked: heap %p not locked", (void *)heap);
	b->size = bytes;
	heap->end += bytes;
	heap->peak_extent = MAX(heap->peak_extent, (size_t)(heap->end - heap->base));
	free_insert(heap, b);
}

/*
 * heap_trim_point_locked: where a reserved heap's extent could end, top
 * being the free block that reaches its end: at top (the block gone) or
 * the first chunk boundary above it that leaves top a whole free block,
 * never below the floor.  => [x]; NULL if that gives back nothing
 */
static char *heap_trim_point_locked(struct heap *heap, struct block *top)
{
	size_t chunk = heap_chunk(heap);
	char *cut;

	if (heap->kind == HEAP_AREA || !top || (char *)top + top->size != heap->end)
		return NULL;
	cut = MAX(heap->base + ROUND_UP((size_t)((char *)top - heap->base), chunk), heap->floor);
	if (cut != (char *)top && (size_t)(cut - (char *)top) < BLOCK_MIN)
		cut += chunk;
	return cut < heap->end ? cut : NULL;
}

/* heap_cut_locked: the extent ends at cut (a trim point): the top free block shrinks or goes. */
static void heap_cut_locked(struct heap *heap, char *cut)
{
	struct block **last = free_last(heap);

	LOCK_ASSERT(heap_locked(heap), "heap_cut_locked: heap %p not locked", (void *)heap);
	if ((char *)*last == cut)
		*last = NULL;
	else
		(*last)->size = (uint64_t)(cut - (char *)*last);
	heap->end = cut;
	heap->trims++;
}

/*
 * heap_pageable_grow_locked: grow kernel_heap's extent so that need bytes
 * aligned on align fit.  Only bookkeeping: the pages come when touched,
 * but a new free block's header is written now, so its page must be had.
 * => mutex held; false if the reservation or memory is short
 */
static bool heap_pageable_grow_locked(struct heap *heap, size_t need, size_t align)
{
	size_t bytes = heap_grow_bytes_locked(heap, need, align);
	struct block *top = *free_last(heap);
	bool merges = top && (char *)top + top->size == heap->end;

	if (!bytes || (!merges && !heap_pages_ready(heap, heap->end, BLOCK_MIN)))
		return false;
	heap_extend_locked(heap, bytes);
	heap->grows++;
	return true;
}

/*
 * heap_pageable_trim_locked: give back kernel_heap's free chunks at the
 * top: the extent shrinks, and the top block's header page goes if the
 * block does (its other pages went when they were freed).  => mutex held
 */
static void heap_pageable_trim_locked(struct heap *heap, struct block *top)
{
	char *cut = heap_trim_point_locked(heap, top);

	if (!cut)
		return;
	heap_cut_locked(heap, cut);
	if (cut == (char *)top)
		vm_object_page_discard(heap->object, (uintptr_t)cut - (uintptr_t)heap->base,
				       (uintptr_t)cut - (uintptr_t)heap->base + PAGE_SIZE);
}

/* heap_extent_release: pinned_heap's extent may change again.  => lock held */
static void heap_extent_release(struct heap *heap)
{
	heap->extent_busy = false;
	thread_wakeup(&heap->extent_busy);
}

/*
 * heap_pinned_grow: wire the chunks pinned_heap needs for need bytes
 * aligned on align and add them to the extent.
 * => lock held on entry and return, dropped while the memory is wired
 *    (which may wait for memory); extent not busy on entry
 * => false if the reservation is full or memory short (nothing changed)
 */
static bool heap_pinned_grow(struct heap *heap, size_t need, size_t align)
{
	size_t bytes = heap_grow_bytes_locked(heap, need, align);
	vm_offset_t at = (vm_offset_t)heap->end;
	kern_return_t kr;

	if (!bytes)
		return false;
	heap->extent_busy = true;		/* end stays where it is until we are done */
	spin_unlock(&heap->lock);
	kr = kmem_object_wire(heap->object, at - (vm_offset_t)heap->base, at, bytes);
	spin_lock(&heap->lock);
	if (kr == KERN_SUCCESS) {
		heap_extend_locked(heap, bytes);
		heap->grows++;
	}
	heap_extent_release(heap);
	return kr == KERN_SUCCESS;
}

/*
 * heap_pinned_trim: give back pinned_heap's free chunks at the top, again
 * while frees meanwhile left more, unless another thread holds the extent
 * (whoever holds it trims after itself).
 * => nothing locked; the caller may sleep
 */
static void heap_pinned_trim(struct heap *heap)
{
	char *cut, *old_end;

	spin_lock(&heap->lock);
	while (!heap->extent_busy && (cut = heap_trim_point_locked(heap, *free_last(heap)))) {
		old_end = heap->end;
		heap_cut_locked(heap, cut);		/* no allocation reaches [cut, old_end) now */
		heap->extent_busy = true;
		spin_unlock(&heap->lock);
		kmem_object_unwire(heap->object, (vm_object_offset_t)(cut - heap->base),
				   (vm_offset_t)cut, (vm_size_t)(old_end - cut));
		spin_lock(&heap->lock);
		heap_extent_release(heap);
	}
	spin_unlock(&heap->lock);
}

/* ---- xmalloc and xmfree ------------------------------------------------------------------ */

/*
 * heap_carve_locked: first fit of need bytes aligned on align, carved out.
 * => [x]; the data address, NULL if no free block fits (or, pageable, the
 *    headers' pages could not be had)
 */
static caddr_t heap_carve_locked(struct heap *heap, size_t need, size_t align)
{
	LOCK_ASSERT(heap_locked(heap), "heap_carve_locked: heap %p not locked", (void *)heap);
	for (struct block **pp = &heap->free; *pp; pp = &(*pp)->next_free) {
		struct block *b = *pp, *at = block_fit(b, need, align);

		if (!at)
			continue;
		if (heap->kind == HEAP_PAGEABLE && !heap_carve_ready(heap, b, at, need))
			return NULL;
		take(heap, pp, at, need);
		return (caddr_t)at + BLOCK_HDR;
	}
	return NULL;
}

/* heap_alloc_pageable: xmalloc from kernel_heap.  => the caller may sleep */
static caddr_t heap_alloc_pageable(struct heap *heap, size_t need, size_t align)
{
	caddr_t out;

	mutex_lock(&heap->mutex);
	out = heap_carve_locked(heap, need, align);
	if (!out && heap_pageable_grow_locked(heap, need, align) &&
	    !(out = heap_carve_locked(heap, need, align)))
		heap_pageable_trim_locked(heap, *free_last(heap));	/* grown for nothing */
	mutex_unlock(&heap->mutex);
	return out;
}

/*
 * heap_alloc_grow: xmalloc from pinned_heap, growing it while nothing
 * fits, for a caller that may sleep.  A pager I/O thread does not wait for
 * another thread's growth: that thread may be waiting for memory the
 * pager is about to free.  A thread that grew the heap trims it after,
 * for the frees its growth made wait.
 */
static caddr_t heap_alloc_grow(struct heap *heap, size_t need, size_t align)
{
	bool pager = thread_current()->vm_privileged, grew = false;
	caddr_t out;

	spin_lock(&heap->lock);
	while (!(out = heap_carve_locked(heap, need, align))) {
		if (!heap->extent_busy) {
			if (!heap_pinned_grow(heap, need, align))
				break;
			grew = true;
		} else if (pager) {
			break;
		} else {
			thread_sleep(&heap->extent_busy, &heap->lock);
		}
	}
	spin_unlock(&heap->lock);
	if (grew)
		heap_pinned_trim(heap);
	return out;
}

/*
 * heap_alloc_wired: xmalloc from an area heap or pinned_heap: first fit
 * in what there is; pinned_heap grows (heap_alloc_grow) if nothing fits
 * and the caller may sleep.
 */
static caddr_t heap_alloc_wired(struct heap *heap, size_t need, size_t align)
{
	caddr_t out;

	spin_lock(&heap->lock);
	out = heap_carve_locked(heap, need, align);
	spin_unlock(&heap->lock);
	if (out || heap->kind != HEAP_PINNED || !thread_may_sleep())
		return out;
	return heap_alloc_grow(heap, need, align);
}

caddr_t xmalloc(int size, int align, heapaddr_t h)
{
	struct heap *heap = heap_of(h);
	size_t need, a;

	if (!heap || size <= 0 || align < 0 || align > XMALLOC_ALIGN_MAX ||
	    !heap_caller_ok(heap, "xmalloc"))
		return NULL;
	need = ROUND_UP((size_t)size + BLOCK_HDR, BLOCK_HDR);
	a = MAX((size_t)1 << align, BLOCK_HDR);
	return heap->kind == HEAP_PAGEABLE ? heap_alloc_pageable(heap, need, a)
					   : heap_alloc_wired(heap, need, a);
}

/*
 * heap_free_locked: free the block whose data starts at ptr if it is one
 * of heap's used blocks.  A pointer inside a free block is refused from
 * the list alone, its memory never read (a pageable heap's free pages are
 * gone: reading one would bring a page back).
 * => [x]; 0, *size the block's size and *merged the free block it
 *    became part of; or -1 (nothing changed)
 */
static int heap_free_locked(struct heap *heap, caddr_t ptr, size_t *size, struct block **merged)
{
	struct block *b = (struct block *)(ptr - BLOCK_HDR), *prev, **pp;
	char *next;

	LOCK_ASSERT(heap_locked(heap), "heap_free_locked: heap %p not locked", (void *)heap);
	if (ptr < heap->base + BLOCK_HDR || ptr >= heap->end)
		return -1;
	pp = free_find(heap, b, &prev);
	if (prev && (char *)b < (char *)prev + prev->size)
		return -1;			/* freed already, or never a block */
	next = *pp ? (char *)*pp : heap->end;
	if (b->tag != BLOCK_USED || b->check != block_check(b) || b->size < BLOCK_MIN ||
	    (b->size & (BLOCK_HDR - 1)) || b->size > (size_t)(next - (char *)b))
		return -1;
	*size = b->size;
	heap->used -= b->size;
	*merged = free_link(pp, prev, b);
	return 0;
}

int xmfree(caddr_t ptr, heapaddr_t h)
{
	struct heap *heap = heap_of(h);
	struct block *merged;
	size_t size;
	bool top, trim;
	int rc;

	if (!heap || !ptr || ((uintptr_t)ptr & (BLOCK_HDR - 1)) || !heap_caller_ok(heap, "xmfree"))
		return -1;
	heap_lock(heap);
	rc = heap_free_locked(heap, ptr, &size, &merged);
	top = rc == 0 && (char *)merged + merged->size == heap->end;
	/* Known here, under the lock: most frees leave nothing to give back (a heap at its
	   floor, or less than a chunk free at the top). */
	trim = top && heap->kind == HEAP_PINNED && heap->end > heap->floor &&
	       merged->size >= HEAP_PINNED_CHUNK && heap_trim_point_locked(heap, merged);
	if (rc == 0 && heap->kind == HEAP_PAGEABLE) {
		/* The block's pages, and the header of a free block merged in after it. */
		heap_discard_locked(heap, merged, ptr - BLOCK_HDR,
				    ptr - BLOCK_HDR + size + BLOCK_MIN);
		if (top)
			heap_pageable_trim_locked(heap, merged);
	}
	heap_unlock(heap);
	if (trim && thread_may_sleep())
		heap_pinned_trim(heap);
	return rc;
}

size_t heap_bytes_used(heapaddr_t h)
{
	struct heap *heap = heap_of(h);

	return heap ? __atomic_load_n(&heap->used, __ATOMIC_RELAXED) : 0;
}

int heap_stats(heapaddr_t h, struct heap_stats *st)
{
	struct heap *heap = heap_of(h);
	uint64_t nfree = 0;

	if (!heap || !st || !heap_caller_ok(heap, "heap_stats"))
		return -1;
	heap_lock(heap);
	for (struct block *b = heap->free; b; b = b->next_free)
		nfree++;
	heap_unlock(heap);
	*st = (struct heap_stats){
		.free_blocks = nfree,
		.used = __atomic_load_n(&heap->used, __ATOMIC_RELAXED),
		.extent = (size_t)(__atomic_load_n(&heap->end, __ATOMIC_RELAXED) - heap->base),
		.peak_extent = __atomic_load_n(&heap->peak_extent, __ATOMIC_RELAXED),
		.reserved = (size_t)(heap->limit - heap->base),
		.grows = __atomic_load_n(&heap->grows, __ATOMIC_RELAXED),
		.trims = __atomic_load_n(&heap->trims, __ATOMIC_RELAXED),
		.pageable = heap->kind == HEAP_PAGEABLE,
	};
	return 0;
}

/* ---- checking ------------------------------------------------------------------------------ */

/*
 * heap_check_blocks_locked: blocks tile [base, end); the free ones are the
 * list's, met in its order and merged; the others are intact used blocks;
 * the used bytes add up.  => [x]
 */
static int heap_check_blocks_locked(struct heap *heap, void (*report)(const char *fmt, ...))
{
	struct block *f = heap->free;
	size_t used = 0;
	int bad = 0;

	LOCK_ASSERT(heap_locked(heap), "heap_check_blocks_locked: heap %p not locked",
		    (void *)heap);
	for (char *p = heap->base; p < heap->end; p += ((struct block *)p)->size) {
		struct block *b = (struct block *)p;

		/* Every block: 16-byte units, room for a free-list link, inside the extent. */
		if (b->size < BLOCK_MIN || (b->size & (BLOCK_HDR - 1)) ||
		    b->size > (size_t)(heap->end - p)) {
			report("heap_check: block %p of 0x%lx bytes does not fit [%p, %p): "
			       "walk ends\n", (void *)b, b->size, (void *)heap->base,
			       (void *)heap->end);
			return bad + 1;
		}
		if (b == f) {
			/* A free block is tagged so, and no free block follows it directly. */
			if (b->tag != BLOCK_FREE || (char *)b + b->size == (char *)b->next_free) {
				report("heap_check: free block %p (0x%lx bytes) mistagged or "
				       "unmerged\n", (void *)b, b->size);
				bad++;
			}
			f = b->next_free;
		} else if (b->tag != BLOCK_USED || b->check != block_check(b)) {
			/* Any other block is a used one, its check word its own. */
			report("heap_check: block %p (0x%lx bytes) is neither the next free "
			       "block nor used\n", (void *)b, b->size);
			bad++;
		} else {
			used += b->size;
		}
	}
	/* The walk met every free block: the list is sorted and inside the extent. */
	if (f) {
		report("heap_check: free block %p out of order or outside [%p, %p)\n", (void *)f,
		       (void *)heap->base, (void *)heap->end);
		bad++;
	}
	/* The count of bytes handed out is the used blocks' sum. */
	if (used != heap->used) {
		report("heap_check: used blocks hold %lu bytes, the heap counts %lu\n", used,
		       heap->used);
		bad++;
	}
	return bad;
}

/*
 * heap_check_extent_locked: base <= floor <= end <= limit; a reserved
 * heap's extent and floor in whole chunks; the peak not below the extent.
 * => [x]
 */
static int heap_check_extent_locked(struct heap *heap, void (*report)(const char *fmt, ...))
{
	size_t extent = (size_t)(heap->end - heap->base);
	int bad = 0;

	/* The extent lies between the floor and the reservation's end. */
	if (heap->floor < heap->base || heap->end < heap->floor || heap->limit < heap->end) {
		report("heap_check: extent [%p, %p) outside floor %p or limit %p\n",
		       (void *)heap->base, (void *)heap->end, (void *)heap->floor,
		       (void *)heap->limit);
		bad++;
	}
	/* A reserved heap grows and shrinks by whole chunks. */
	if (heap->kind != HEAP_AREA && (extent % heap_chunk(heap) ||
					(size_t)(heap->floor - heap->base) % heap_chunk(heap))) {
		report("heap_check: extent 0x%lx or floor not in chunks of 0x%lx\n", extent,
		       heap_chunk(heap));
		bad++;
	}
	/* The peak is the most the extent ever was. */
	if (heap->peak_extent < extent) {
		report("heap_check: peak 0x%lx below the extent 0x%lx\n", heap->peak_extent,
		       extent);
		bad++;
	}
	return bad;
}

/* heap_check_page_beyond: pages at or past offset `extent`, unless wired.  => object locked */
static int heap_check_page_beyond(struct heap *heap, vm_object_offset_t extent,
				  void (*report)(const char *fmt, ...))
{
	int bad = 0;

	for (vm_page_t m = heap->object->pages; m; m = m->onext)
		if (m->offset >= extent && !m->wire_count) {
			report("heap_check: page at %p kept beyond the extent\n",
			       (void *)(heap->base + m->offset));
			bad++;
		}
	return bad;
}

/*
 * heap_check_pinned_pages: every page of pinned_heap's extent [base, end)
 * resident and wired, none kept beyond it.  => nothing locked, extent busy
 */
static int heap_check_pinned_pages(struct heap *heap, char *end,
				   void (*report)(const char *fmt, ...))
{
	vm_object_offset_t extent = (vm_object_offset_t)(end - heap->base);
	int bad = 0;

	mutex_lock(&heap->object->lock);
	for (vm_object_offset_t off = 0; off < extent; off += PAGE_SIZE) {
		vm_page_t m = vm_page_lookup(heap->object, off);

		if (!m || !m->wire_count) {
			report("heap_check: pinned page at %p %s\n", (void *)(heap->base + off),
			       m ? "not wired" : "not resident");
			bad++;
		}
	}
	bad += heap_check_page_beyond(heap, extent, report);
	mutex_unlock(&heap->object->lock);
	return bad;
}

/*
 * heap_check_free_pages: kernel_heap's free block f keeps no page, nor a
 * swap copy, past its header's pages (but a wired one: pinned and freed).
 * f's header is read first: it may fault, which takes the object's lock.
 * => mutex held
 */
static int heap_check_free_pages(struct heap *heap, struct block *f,
				 void (*report)(const char *fmt, ...))
{
	uintptr_t from = round_page((uintptr_t)f + BLOCK_MIN) - (uintptr_t)heap->base;
	uintptr_t to = trunc_page((uintptr_t)f + f->size) - (uintptr_t)heap->base;
	int bad = 0;

	mutex_lock(&heap->object->lock);
	for (uintptr_t off = from; off < to; off += PAGE_SIZE) {
		vm_page_t m = vm_page_lookup(heap->object, off);

		if ((m && !m->wire_count) || (!m && vm_pager_has_page(heap->object, off))) {
			report("heap_check: free page at %p still %s\n", (void *)(heap->base + off),
			       m ? "resident" : "on swap");
			bad++;
		}
	}
	mutex_unlock(&heap->object->lock);
	return bad;
}

/* heap_check_pageable: kernel_heap's check, its pages included.  => the caller may sleep */
static int heap_check_pageable(struct heap *heap, void (*report)(const char *fmt, ...))
{
	int bad;

	if (!heap_caller_ok(heap, "heap_check")) {
		report("heap_check: pageable heap %p checked where the caller cannot sleep\n",
		       (void *)heap);
		return 1;
	}
	mutex_lock(&heap->mutex);
	bad = heap_check_blocks_locked(heap, report) + heap_check_extent_locked(heap, report);
	/* The free blocks' pages, of a sound list only. */
	for (struct block *f = bad ? NULL : heap->free; f; f = f->next_free)
		bad += heap_check_free_pages(heap, f, report);
	mutex_lock(&heap->object->lock);
	bad += heap_check_page_beyond(heap, (vm_object_offset_t)(heap->end - heap->base), report);
	mutex_unlock(&heap->object->lock);
	mutex_unlock(&heap->mutex);
	return bad;
}

/*
 * heap_check_pinned: pinned_heap's check; its pages too if the caller may
 * sleep (the extent is held still meanwhile; a trim a free left for the
 * check to finish is done after it).
 */
static int heap_check_pinned(struct heap *heap, void (*report)(const char *fmt, ...))
{
	bool pages = thread_may_sleep();
	char *end;
	int bad;

	spin_lock(&heap->lock);
	while (pages && heap->extent_busy)
		thread_sleep(&heap->extent_busy, &heap->lock);
	bad = heap_check_blocks_locked(heap, report) + heap_check_extent_locked(heap, report);
	end = heap->end;
	if (pages)
		heap->extent_busy = true;
	spin_unlock(&heap->lock);
	if (!pages)
		return bad;
	bad += heap_check_pinned_pages(heap, end, report);
	spin_lock(&heap->lock);
	heap_extent_release(heap);
	spin_unlock(&heap->lock);
	heap_pinned_trim(heap);
	return bad;
}

int heap_check(heapaddr_t h, void (*report)(const char *fmt, ...))
{
	struct heap *heap = heap_of(h);
	int bad;

	if (!heap) {
		report("heap_check: %p is not a heap\n", h);
		return 1;
	}
	if (heap->kind == HEAP_PAGEABLE)
		return heap_check_pageable(heap, report);
	if (heap->kind == HEAP_PINNED)
		return heap_check_pinned(heap, report);
	spin_lock(&heap->lock);
	bad = heap_check_blocks_locked(heap, report) + heap_check_extent_locked(heap, report);
	spin_unlock(&heap->lock);
	return bad;
}

/* ---- boot -------------------------------------------------------------------------------- */

/*
 * heap_reserve: heap becomes a reserved heap of kind over `reserve` bytes
 * of kernel_map, one object behind them, its first `initial` bytes wired
 * (its floor).  => at boot, before anyone sees the heap; false if
 * kernel_map has no room or memory is short
 */
static bool heap_reserve(struct heap *heap, enum heap_kind kind, size_t reserve, size_t initial)
{
	struct vm_object *object = vm_object_allocate(reserve);
	vm_offset_t va = 0;

	if (!object)
		return false;
	if (vm_map_enter(kernel_map, &va, reserve, 0, VM_FLAGS_ANYWHERE, object, 0, FALSE,
			 VM_PROT_DEFAULT, VM_PROT_DEFAULT, VM_INHERIT_NONE) != KERN_SUCCESS) {
		vm_object_deallocate(object);
		return false;
	}
	*heap = (struct heap){ .magic = HEAP_MAGIC, .kind = kind, .base = (char *)va,
			       .end = (char *)va, .floor = (char *)va + initial,
			       .limit = (char *)va + reserve, .object = object };
	spin_init(&heap->lock, "heap");
	mutex_init(&heap->mutex, "heap");
	if (initial && kmem_object_wire(object, 0, va, initial) != KERN_SUCCESS)
		return false;
	if (initial) {
		heap_lock(heap);
		heap_extend_locked(heap, initial);
		heap_unlock(heap);
	}
	return true;
}

void xmalloc_bootstrap(void)
{
	if (!heap_reserve(&kernel_heap_store, HEAP_PAGEABLE, HEAP_KERNEL_RESERVE, 0) ||
	    !heap_reserve(&pinned_heap_store, HEAP_PINNED, HEAP_PINNED_RESERVE,
			  HEAP_PINNED_INITIAL))
		panic("xmalloc_bootstrap: no room or memory for the kernel heaps");
	kernel_heap = &kernel_heap_store;
	pinned_heap = &pinned_heap_store;
}
