/*
 * xmalloc.c: see xmalloc.h.  A heap is a header and blocks; every block
 * starts with {size, tag}; free blocks are on a list sorted by address and
 * merged with free neighbours, so a heap whose allocations are all freed
 * is one free block again.
 */
#include <errno.h>
#include <string.h>

#include "kern/kernel.h"
#include "kern/spinlock.h"
#include "vm/vm_kern.h"
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

struct heap {
	uint32_t magic;
	struct spinlock lock;
	char *base, *end;		/* the blocks */
	struct block *free;		/* [x] sorted by address */
	size_t used;			/* [x] */
};

heapaddr_t kernel_heap;
heapaddr_t pinned_heap;

static struct heap *heap_of(heapaddr_t h)
{
	struct heap *heap = h;

	return heap && heap->magic == HEAP_MAGIC ? heap : NULL;
}

heapaddr_t init_heap(caddr_t area, int size, int *heapp)
{
	size_t hdr = ROUND_UP(sizeof(struct heap), BLOCK_HDR);
	struct heap *heap = (struct heap *)area;
	struct block *b;

	if (!area || ((uintptr_t)area & (BLOCK_HDR - 1)) || size < 0 || (size_t)size < hdr + BLOCK_MIN) {
		if (heapp)
			*heapp = EINVAL;
		return NULL;
	}
	*heap = (struct heap){ .magic = HEAP_MAGIC, .base = area + hdr,
			       .end = area + hdr + ROUND_DOWN((size_t)size - hdr, BLOCK_HDR) };
	spin_init(&heap->lock, "heap");
	b = (struct block *)heap->base;
	*b = (struct block){ .size = (uint64_t)(heap->end - heap->base), .tag = BLOCK_FREE };
	heap->free = b;
	if (heapp)
		*heapp = 0;
	return heap;
}

/* block_fit: where in free block b an aligned allocation of need bytes starts, or NULL. */
static struct block *block_fit(struct block *b, size_t need, size_t align)
{
	char *lo = (char *)b, *hi = lo + b->size;
	char *user = (char *)ROUND_UP((uintptr_t)lo + BLOCK_HDR, align);

	/* A front remainder must be big enough to stay a free block of its own. */
	while (user - BLOCK_HDR != lo && (size_t)(user - BLOCK_HDR - lo) < BLOCK_MIN)
		user += align;
	if (user - BLOCK_HDR + need > hi)
		return NULL;
	return (struct block *)(user - BLOCK_HDR);
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

/* free_insert: put b on the sorted free list and merge it with free neighbours. */
static void free_insert(struct heap *heap, struct block *b)
{
	struct block **pp = &heap->free, *prev = NULL;

	while (*pp && *pp < b) {
		prev = *pp;
		pp = &(*pp)->next_free;
	}
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
	}
}

/* take: carve [at, at + need) out of free block b (unlinked by the caller); the rest goes back. */
static void take(struct heap *heap, struct block *b, struct block *at, size_t need)
{
	char *end = (char *)b + b->size;

	if (at != b) {
		b->size = (uint64_t)((char *)at - (char *)b);
		free_insert(heap, b);
	}
	if ((size_t)(end - (char *)at) - need >= BLOCK_MIN) {
		struct block *rest = (struct block *)((char *)at + need);

		rest->size = (uint64_t)(end - (char *)rest);
		free_insert(heap, rest);
	} else {
		need = (size_t)(end - (char *)at);
	}
	at->size = need;
	at->tag = BLOCK_USED;
	at->check = block_check(at);
	heap->used += need;
}

caddr_t xmalloc(int size, int align, heapaddr_t h)
{
	struct heap *heap = heap_of(h);
	size_t need, a;
	caddr_t out = NULL;

	if (!heap || size <= 0 || align < 0 || align > XMALLOC_ALIGN_MAX)
		return NULL;
	need = ROUND_UP((size_t)size + BLOCK_HDR, BLOCK_HDR);
	a = MAX((size_t)1 << align, BLOCK_HDR);
	spin_lock(&heap->lock);
	for (struct block **pp = &heap->free; *pp; pp = &(*pp)->next_free) {
		struct block *b = *pp, *at = block_fit(b, need, a);

		if (!at)
			continue;
		*pp = b->next_free;		/* unlink, then carve */
		take(heap, b, at, need);
		out = (caddr_t)at + BLOCK_HDR;
		break;
	}
	spin_unlock(&heap->lock);
	return out;
}

int xmfree(caddr_t ptr, heapaddr_t h)
{
	struct heap *heap = heap_of(h);
	struct block *b;
	int rc = -1;

	if (!heap || !ptr || ptr < heap->base + BLOCK_HDR || ptr >= heap->end ||
	    ((uintptr_t)ptr & (BLOCK_HDR - 1)))
		return -1;
	b = (struct block *)(ptr - BLOCK_HDR);
	spin_lock(&heap->lock);
	if (b->tag == BLOCK_USED && b->check == block_check(b) && (char *)b + b->size <= heap->end) {
		heap->used -= b->size;
		free_insert(heap, b);
		rc = 0;
	}
	spin_unlock(&heap->lock);
	return rc;
}

size_t heap_bytes_used(heapaddr_t h)
{
	struct heap *heap = heap_of(h);

	return heap ? heap->used : 0;
}

int heap_check(heapaddr_t h, void (*report)(const char *fmt, ...))
{
	struct heap *heap = heap_of(h);
	size_t free_bytes = 0;
	int bad = 0;

	if (!heap) {
		report("heap_check: %p is not a heap\n", h);
		return 1;
	}
	spin_lock(&heap->lock);
	for (struct block *b = heap->free; b; b = b->next_free) {
		free_bytes += b->size;
		if ((char *)b < heap->base || (char *)b + b->size > heap->end || b->tag != BLOCK_FREE ||
		    (b->next_free && (char *)b + b->size >= (char *)b->next_free)) {
			report("heap_check: free block %p (0x%lx bytes) misplaced or unmerged\n", (void *)b,
			       b->size);
			bad++;
		}
	}
	if (free_bytes + heap->used != (size_t)(heap->end - heap->base)) {
		report("heap_check: %lu free + %lu used != %lu\n", free_bytes, heap->used,
		       (size_t)(heap->end - heap->base));
		bad++;
	}
	spin_unlock(&heap->lock);
	return bad;
}

void xmalloc_bootstrap(void)
{
	vm_offset_t k, p;

	if (kmem_alloc(kernel_map, &k, 2 * MiB) != KERN_SUCCESS ||
	    kmem_alloc(kernel_map, &p, 1 * MiB) != KERN_SUCCESS)
		panic("xmalloc_bootstrap: no memory for the kernel heaps");
	kernel_heap = init_heap((caddr_t)k, 2 * MiB, NULL);
	pinned_heap = init_heap((caddr_t)p, 1 * MiB, NULL);
}
