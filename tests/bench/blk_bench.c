/*
 * blk_bench.c: the block driver and DMA layer.
 *
 * blk.read.4k and blk.write.64k count the guest instructions the driver
 * spends on one request: describe, prepare, submit, then (once the device
 * has answered) take it off the used ring, check its status, complete and
 * destroy the descriptor.  The request is polled with interrupts off so
 * that waiting for the device (host time) is not counted.
 * blk.write.throughput is host time: 64 MiB written sequentially, in MiB/s,
 * with the raw bytes and nanoseconds.  The disk is passthrough: these
 * figures are the driver's (iommu_bench.c measures the IOMMU's share).
 */
#include "drivers/dma/dma.h"
#include "drivers/virtio/virtio_blk.h"
#include "platform/riscv/hart.h"
#include "platform/riscv/riscv.h"
#include "platform/riscv/semihost.h"
#include "tests/bench/kbench.h"
#include "vm/pmap.h"
#include "vm/vm_kern.h"

KBENCH_RUN(blk, "bench=blk.read,blk.write,dma virtio_blk.dma=passthrough", "-m 256M -smp 1 --blk bench:128M");

#define THROUGHPUT_BYTES	(64ull << 20)
#define THROUGHPUT_BUF		(8ull << 20)

/* blk_request_cost: driver instructions of one request on [buf, buf + len). */
static uint64_t blk_request_cost(struct virtio_blk *b, enum virtio_blk_op op, vm_offset_t buf,
				 vm_size_t len, uint64_t sector)
{
	enum dma_direction dir = op == VIRTIO_BLK_READ ? DMA_FROM_DEVICE : DMA_TO_DEVICE;
	struct virtio_blk_req req;
	struct dma_desc *d;
	uint64_t t0, t1, t2, t3;
	kern_return_t kr;

	intr_push_off();
	t0 = rdinstret();
	kr = dma_desc_create_virtual(kernel_map, buf, len, dir, &d);
	if (kr == KERN_SUCCESS && (kr = dma_desc_prepare(d, &b->vd.dma)) == KERN_SUCCESS)
		kr = virtio_blk_submit(b, op, sector, d, &req);
	t1 = rdinstret();
	while (kr == KERN_SUCCESS && !virtq_used_pending(b->q))
		;
	t2 = rdinstret();
	if (kr == KERN_SUCCESS) {
		virtq_interrupt(b->q);
		kr = virtio_blk_wait(&req);
		dma_desc_complete(d);
		dma_desc_destroy(d);
	}
	t3 = rdinstret();
	intr_pop_off();
	return kr == KERN_SUCCESS ? (t1 - t0) + (t3 - t2) : 0;
}

static uint64_t blk_bench_requests(enum virtio_blk_op op, vm_size_t len, uint64_t iters)
{
	struct virtio_blk *b = virtio_blk_find("bench");
	vm_offset_t buf = 0;
	uint64_t total = 0;

	if (!b || kmem_alloc(kernel_map, &buf, len) != KERN_SUCCESS)
		return 0;
	for (uint64_t i = 0; i < iters; i++) {
		uint64_t c = blk_request_cost(b, op, buf, len, i * (len / VIRTIO_BLK_SECTOR));

		if (!c) {
			total = 0;
			break;
		}
		total += c;
	}
	kmem_free(kernel_map, buf, len);
	return total / iters;
}

KBENCH(blk_read_4k, "blk.read.4k", "instructions/request", 64)
{
	return blk_bench_requests(VIRTIO_BLK_READ, 4096, iters);
}

KBENCH(blk_write_64k, "blk.write.64k", "instructions/request", 16)
{
	return blk_bench_requests(VIRTIO_BLK_WRITE, 65536, iters);
}

/* blk_write_sequential: write THROUGHPUT_BYTES from the start of b; false on an error. */
static bool blk_write_sequential(struct virtio_blk *b, vm_offset_t buf)
{
	for (uint64_t off = 0; off < THROUGHPUT_BYTES; off += THROUGHPUT_BUF)
		if (virtio_blk_write(b, off / VIRTIO_BLK_SECTOR, kernel_map, buf, THROUGHPUT_BUF))
			return false;
	return true;
}

/*
 * blk.write.throughput: 64 MiB, 8 MiB per call (pieces of up to 1 MiB, 8 in
 * flight), after one untimed pass so that the host file is allocated; the
 * value is the slowest of the runs.
 */
KBENCH(blk_write_throughput, "blk.write.throughput", "MiB/s", 1)
{
	static bool warm;
	struct virtio_blk *b = virtio_blk_find("bench");
	vm_offset_t buf = 0;
	uint64_t t0, ns;
	bool ok;

	(void)iters;
	if (!b || kmem_alloc(kernel_map, &buf, THROUGHPUT_BUF) != KERN_SUCCESS)
		return 0;
	ok = warm || blk_write_sequential(b, buf);
	warm = true;
	t0 = semihost_elapsed_ns();
	ok = ok && blk_write_sequential(b, buf);
	ns = semihost_elapsed_ns() - t0;
	kmem_free(kernel_map, buf, THROUGHPUT_BUF);
	if (!ok)
		return 0;
	kbench_note("\"bytes\":%llu,\"host_ns\":%lu", THROUGHPUT_BYTES, ns);
	return ns ? THROUGHPUT_BYTES * 1000000000ull / ns >> 20 : 0;
}

/*
 * dma_bench_run: instructions per prepare + complete of d on eng.
 * => 0 if any call failed
 */
static uint64_t dma_bench_run(struct dma_desc *d, struct dma_engine *eng, uint64_t iters)
{
	uint64_t t0 = rdinstret(), done = 0;

	for (; done < iters; done++)
		if (dma_desc_prepare(d, eng) != KERN_SUCCESS || dma_desc_complete(d) != KERN_SUCCESS)
			return 0;
	return (rdinstret() - t0) / iters;
}

/*
 * dma_bench_physical: a 4 KiB page above the middle of RAM the device reads,
 * through an engine of `kind`; the bounce engine's limit is the middle of
 * RAM, so every prepare copies the page.
 */
static uint64_t dma_bench_physical(enum dma_backend_kind kind, uint64_t iters)
{
	const struct vm_phys_seg *segs;
	int nsegs = vm_page_segs(&segs);
	uint64_t mid = (segs[0].start + segs[nsegs - 1].end) / 2 & ~PAGE_MASK, cost = 0;
	vm_page_t page = vm_page_alloc_contig_range(1, 1, mid, UINT64_MAX);
	struct dma_engine eng;
	struct dma_desc *d;

	if (page && dma_engine_init(&eng, "bench", kind, kind == DMA_BACKEND_BOUNCE ? mid : UINT64_MAX,
				    kind == DMA_BACKEND_BOUNCE ? 16 : 0, 0xff00) == KERN_SUCCESS) {
		if (dma_desc_create_physical(page->phys_addr, PAGE_SIZE, DMA_TO_DEVICE, &d) == KERN_SUCCESS) {
			cost = dma_bench_run(d, &eng, iters);
			dma_desc_destroy(d);
		}
		if (kind == DMA_BACKEND_BOUNCE && eng.stats.bounced_pages != iters)
			cost = 0;		/* it must really have bounced */
		dma_engine_destroy(&eng);
	}
	if (page)
		vm_page_free(page);
	return cost;
}

KBENCH(dma_passthrough, "dma.prepare_complete.4k.passthrough", "instructions/4KiB", 256)
{
	return dma_bench_physical(DMA_BACKEND_PASSTHROUGH, iters);
}

KBENCH(dma_bounce, "dma.prepare_complete.4k.bounce", "instructions/4KiB", 256)
{
	return dma_bench_physical(DMA_BACKEND_BOUNCE, iters);
}

/* Through the IOMMU (the unit's policy: strict unless the run says iommu.policy=deferred). */
KBENCH(dma_iommu, "dma.prepare_complete.4k.iommu", "instructions/4KiB", 256)
{
	return iommu_unit ? dma_bench_physical(DMA_BACKEND_IOMMU, iters) : 0;
}

/* dma.prepare_complete.4k.virtual: a kernel_map page, wired and unwired each time (passthrough). */
KBENCH(dma_virtual, "dma.prepare_complete.4k.virtual", "instructions/4KiB", 256)
{
	struct dma_engine eng;
	struct dma_desc *d;
	vm_offset_t buf = 0;
	uint64_t cost = 0;

	if (kmem_alloc(kernel_map, &buf, PAGE_SIZE) != KERN_SUCCESS)
		return 0;
	if (dma_engine_init(&eng, "bench", DMA_BACKEND_PASSTHROUGH, UINT64_MAX, 0, 0) == KERN_SUCCESS &&
	    dma_desc_create_virtual(kernel_map, buf, PAGE_SIZE, DMA_TO_DEVICE, &d) == KERN_SUCCESS) {
		cost = dma_bench_run(d, &eng, iters);
		dma_desc_destroy(d);
	}
	kmem_free(kernel_map, buf, PAGE_SIZE);
	return cost;
}
