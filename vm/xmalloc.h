/*
 * xmalloc.h: the AIX kernel heap services (init_heap, xmalloc, xmfree)
 * over a region of kernel memory.  kernel_heap and pinned_heap are made at
 * boot from wired kernel memory.
 */
#ifndef VM_XMALLOC_H
#define VM_XMALLOC_H

#include <stddef.h>
#include <stdint.h>

typedef char *caddr_t;
typedef void *heapaddr_t;

extern heapaddr_t kernel_heap;
extern heapaddr_t pinned_heap;

/*
 * init_heap: a heap managing [area, area + size).  *heapp (if not NULL)
 * gets 0, or EINVAL when area is NULL or unaligned (16 bytes) or size too
 * small; the return value is the heap, NULL on error.
 */
heapaddr_t init_heap(caddr_t area, int size, int *heapp);
/*
 * xmalloc: size bytes aligned on 2^align bytes (align 0..12), NULL if the
 * heap cannot satisfy it or the arguments are bad.
 */
caddr_t xmalloc(int size, int align, heapaddr_t heap);
/* xmfree: 0, or -1 if ptr is not an allocation of heap (nothing changes then). */
int xmfree(caddr_t ptr, heapaddr_t heap);

/* heap_bytes_used: bytes handed out (headers included). */
size_t heap_bytes_used(heapaddr_t heap);
/* heap_check: the free list sorted, coalesced and inside the heap; returns problems found. */
int heap_check(heapaddr_t heap, void (*report)(const char *fmt, ...));
/* xmalloc_bootstrap: kernel_heap and pinned_heap.  => after vm_kern_bootstrap */
void xmalloc_bootstrap(void);

#endif
