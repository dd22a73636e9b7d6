/*
 * heap_bench.c: the AIX kernel heaps (vm/xmalloc.h), in guest
 * instructions per xmalloc and its xmfree.
 *
 * xmalloc.pinned.small: 64 bytes from pinned_heap and back (its spinlock,
 * first fit, merge on free).
 * xmalloc.kernel.small: the same from kernel_heap, which holds another
 * block throughout (its mutex; the block's page stays, so nothing faults).
 * xmalloc.kernel.empty: the same from an empty kernel_heap: the heap grows
 * by a chunk, faults its header's page in, and on the free gives the
 * chunk and the page back (what an empty pageable heap costs its
 * occasional user).
 * xmalloc.kernel.per_page: 64 KiB from kernel_heap, one write per page,
 * freed: per page, the zero-fill fault and the page's discard.
 */
#include "platform/riscv/riscv.h"
#include "tests/bench/kbench.h"
#include "vm/vm.h"
#include "vm/xmalloc.h"

KBENCH_RUN(heap, "bench=xmalloc", "-m 256M -smp 1");

#define BENCH_SMALL	64
#define BENCH_BIG	(64 * 1024)

/* cycle: iters xmalloc + xmfree of size bytes from heap, writing each page if touch; 0: failed. */
static uint64_t cycle(heapaddr_t heap, int size, bool touch, uint64_t iters)
{
	uint64_t t0 = rdinstret();

	for (uint64_t i = 0; i < iters; i++) {
		caddr_t p = xmalloc(size, 3, heap);

		if (!p)
			return 0;
		for (int off = 0; touch && off < size; off += (int)PAGE_SIZE)
			*(volatile char *)(p + off) = 1;
		if (xmfree(p, heap) != 0)
			return 0;
	}
	return (rdinstret() - t0) / iters;
}

KBENCH(xmalloc_pinned_small, "xmalloc.pinned.small", "instructions/op", 256)
{
	struct heap_stats st;

	if (heap_stats(pinned_heap, &st) == 0)
		kbench_note("\"free_blocks\":%lu,\"used_bytes\":%lu", st.free_blocks, st.used);
	return cycle(pinned_heap, BENCH_SMALL, false, iters);
}

KBENCH(xmalloc_kernel_small, "xmalloc.kernel.small", "instructions/op", 256)
{
	caddr_t anchor = xmalloc(BENCH_SMALL, 3, kernel_heap);
	uint64_t v;

	if (!anchor)
		return 0;
	v = cycle(kernel_heap, BENCH_SMALL, false, iters);
	xmfree(anchor, kernel_heap);
	return v;
}

KBENCH(xmalloc_kernel_empty, "xmalloc.kernel.empty", "instructions/op", 64)
{
	return heap_bytes_used(kernel_heap) ? 0 : cycle(kernel_heap, BENCH_SMALL, false, iters);
}

KBENCH(xmalloc_kernel_per_page, "xmalloc.kernel.per_page", "instructions/page", 16)
{
	caddr_t anchor = xmalloc(BENCH_SMALL, 3, kernel_heap);
	uint64_t v;

	if (!anchor)
		return 0;
	v = cycle(kernel_heap, BENCH_BIG, true, iters) / (BENCH_BIG / PAGE_SIZE);
	xmfree(anchor, kernel_heap);
	return v;
}
