/*
 * xmalloc.h: the AIX kernel heap services (init_heap, xmalloc, xmfree).
 *
 * Three kinds of heap, one interface:
 *
 *  - A heap over a caller's area (init_heap): fixed in size, its header
 *    and blocks inside the area, which must stay resident (static data or
 *    wired kernel memory).  A spinlock guards it: usable wherever a
 *    spinlock may be taken.
 *
 *  - pinned_heap: wired memory, for what a device reads or writes, an
 *    interrupt handler touches, the pageout and pager I/O path uses, or
 *    code holding a spinlock reaches.  Its first HEAP_PINNED_INITIAL bytes
 *    are wired at boot; it grows HEAP_PINNED_CHUNK wired bytes at a time
 *    within HEAP_PINNED_RESERVE bytes of kernel_map reserved at boot, and
 *    gives whole chunks above the initial size back as soon as they are
 *    free.  A spinlock guards its blocks, so xmalloc and xmfree may be
 *    called with interrupts off or a spinlock held; growth and trimming
 *    sleep (wiring waits for memory), so such a caller gets NULL where the
 *    heap would have had to grow, and leaves a free chunk for the next
 *    caller that may sleep to give back.  Growth wires pages into the
 *    reservation's object without kernel_map's lock (kmem_object_wire):
 *    a pagein of kernel memory holds that lock while its swap I/O record
 *    comes from here.  A pager I/O thread (vm_page_privileged) grows the
 *    heap itself if need be, but never waits for another thread's growth,
 *    which may be waiting for memory that pager is about to free: it gets
 *    NULL instead.
 *
 *  - kernel_heap: pageable memory, for the thread environment only.  It
 *    starts empty and grows within HEAP_KERNEL_RESERVE bytes of kernel_map
 *    reserved at boot; its pages appear on first touch, may be paged out
 *    like any pageable memory, and go back (contents and swap copies) as
 *    soon as the blocks over them are freed.  Its block headers live in
 *    those pages, so every call may fault and sleep: a sleeping mutex
 *    guards it, and a caller that cannot sleep (thread_may_sleep: no
 *    spinlock, interrupts on) breaks a lock rule (LOCK_ASSERT) and gets
 *    NULL or -1.  A caller that needs kernel_heap memory resident pins it
 *    (aix/pin.h) before relying on that, and unpins it before xmfree.
 *    The pages xmalloc writes into are faulted in first, so running out of
 *    memory there is NULL, not a kernel fault; with swap the pageout daemon
 *    makes room, and the heap fails only when swap is full too.  Emptied,
 *    it trims to nothing and keeps no page at all, so paging never changes
 *    what an idle kernel_heap holds; the price is a page fault for the
 *    first block after that.
 *
 * Lock order: kernel_heap's mutex, then kernel_map's lock, then VM object
 * locks (a fault on the heap's pages takes both).  A spinlock-guarded
 * heap's lock is a leaf: pinned_heap changes its extent with the lock
 * dropped, one change at a time.
 */
#ifndef VM_XMALLOC_H
#define VM_XMALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef char *caddr_t;
typedef void *heapaddr_t;

/*
 * The reservations: kernel_map's window is 16 GiB, so 320 MiB of it costs
 * no memory (pages come only as the heaps grow into it, page tables
 * only where pages are) and keeps xmalloc's largest request (2 GiB) a
 * refusal rather than an attempt.  kernel_heap's ceiling is far above
 * what the smallest machine the suites boot (32 MiB and 192 MiB of swap)
 * can back; pinned_heap can never wire more than memory holds anyway.
 */
#define HEAP_KERNEL_RESERVE	(256ul << 20)
#define HEAP_KERNEL_CHUNK	(256ul << 10)	/* extent step; pages still come one by one */
#define HEAP_PINNED_RESERVE	(64ul << 20)
#define HEAP_PINNED_INITIAL	(1ul << 20)	/* wired at boot, never given back */
#define HEAP_PINNED_CHUNK	(64ul << 10)	/* wired per growth, given back per trim */

extern heapaddr_t kernel_heap;
extern heapaddr_t pinned_heap;

/*
 * init_heap: a heap managing [area, area + size).  *heapp (if not NULL)
 * gets 0, or EINVAL when area is NULL or unaligned (16 bytes) or size too
 * small; the return value is the heap, NULL on error.
 */
heapaddr_t init_heap(caddr_t area, int size, int *heapp);
/*
 * xmalloc: size bytes aligned on 2^align bytes (align 0..12), growing a
 * reserved heap if need be.
 * => NULL if the arguments are bad, the heap cannot hold it (full, its
 *    reservation too small, no memory to grow or to fault in), or heap is
 *    kernel_heap and the caller cannot sleep
 */
caddr_t xmalloc(int size, int align, heapaddr_t heap);
/*
 * xmfree: give back an allocation of heap (a reserved heap may shrink).
 * => 0, or -1 (nothing changed) if ptr is not the start of a live
 *    allocation of heap, heap is not a heap, or heap is kernel_heap and
 *    the caller cannot sleep
 */
int xmfree(caddr_t ptr, heapaddr_t heap);

/* heap_bytes_used: bytes handed out (headers included); 0 if heap is not a heap. */
size_t heap_bytes_used(heapaddr_t heap);

/* What a heap holds, each field read on its own (a snapshot only when the heap is idle). */
struct heap_stats {
	size_t used;		/* bytes handed out, headers included */
	size_t extent;		/* bytes the blocks cover now, free and used */
	size_t peak_extent;	/* the most they ever covered */
	size_t reserved;	/* the most they may cover: the reservation, or the area */
	uint64_t free_blocks;	/* free blocks on the list now: what first fit walks */
	uint64_t grows;		/* times the extent grew */
	uint64_t trims;		/* times it gave memory back */
	bool pageable;		/* kernel_heap's kind */
};
/* heap_stats: *st for heap.  => 0, or -1 if heap is not a heap or st is NULL */
int heap_stats(heapaddr_t heap, struct heap_stats *st);

/*
 * heap_check: every invariant of heap, one report line per problem:
 * blocks tile the extent, free ones sorted, merged and on the list, used
 * ones intact, the bytes add up; the extent within its floor and
 * reservation; pinned_heap's extent wired and nothing kept beyond it,
 * kernel_heap's free blocks and the space beyond its extent holding no
 * page.  Returns the problems found.
 * => may sleep for a reserved heap (the page checks are skipped where the
 *    caller cannot; kernel_heap refuses such a caller: one problem)
 */
int heap_check(heapaddr_t heap, void (*report)(const char *fmt, ...));
/* xmalloc_bootstrap: reserve and set up kernel_heap and pinned_heap.  => after vm_kern_bootstrap */
void xmalloc_bootstrap(void);

#endif
