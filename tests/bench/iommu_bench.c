/*
 * iommu_bench.c: the IOMMU driver and the DMA backends behind it.
 *
 * iommu.map_unmap.{4k,64k}.{strict,deferred}: instructions per
 * iommu_map + iommu_unmap of one physically contiguous run in a domain of
 * that policy: I/O addresses (from the hart's magazine after the first
 * round), PTEs, and for strict the IOTINVAL.VMA and IOFENCE.C the model
 * executes (its work is counted: it runs on the same hart); for deferred
 * one flush per IOMMU_FLUSH_BATCH unmaps, amortised.
 *
 * dma.prepare_complete.4k.iommu_deferred: dma_desc_prepare + complete of a
 * physical 4 KiB descriptor through a deferred domain (run with the blk
 * group's dma benchmarks; the strict figure, the unit's default, is
 * dma.prepare_complete.4k.iommu in blk_bench.c).
 *
 * blk.throughput_ratio.{iommu_strict,iommu_deferred,bounce} (host time,
 * per mille): MiB/s written through four disks in one boot, one per
 * backend (virtio_blk.dma lists them in probe order), over the
 * passthrough disk's MiB/s.  Each side writes from 8 MiB of memory above
 * 4 GiB (so that the bounce disk, a 32-bit device, copies every page) to
 * the same 8 MiB of the disk over and over (little for the host to write
 * back) in 512 KiB requests, 8 always in flight.  A round writes 32 MiB;
 * in each of CYCLES cycles every disk runs a block of BLOCK rounds, the
 * cycle starting with the next disk, and the first round of a block is a
 * warm-up.  A disk's MiB/s is that of its median round.
 */
#include "drivers/dma/dma.h"
#include "drivers/iommu/iommu.h"
#include "drivers/virtio/virtio_blk.h"
#include "kern/kernel.h"
#include "platform/riscv/riscv.h"
#include "platform/riscv/semihost.h"
#include "tests/bench/kbench.h"
#include "vm/vm_page.h"

KBENCH_RUN(iommu, "bench=iommu", "-m 256M -smp 1");
KBENCH_RUN(blkdma, "bench=blk.throughput_ratio virtio_blk.dma=passthrough,iommu-strict,iommu-deferred,bounce", "-m 8G -smp 1 --blk pass:8M --blk strict:8M --blk deferred:8M --blk bounce:8M");

/* map_unmap_cost: instructions per map + unmap of npages in a fresh domain of `policy`. */
static uint64_t map_unmap_cost(enum iommu_policy policy, uint64_t npages, uint64_t iters)
{
	struct iommu_domain *dom;
	vm_page_t m = vm_page_alloc_contig(npages, 1);
	struct iommu_run run;
	uint64_t iova, n, t0, cost = 0;
	bool ok = true;

	if (!iommu_unit || !m)
		goto out;
	if (iommu_domain_create(iommu_unit, policy, UINT64_MAX, &dom) != KERN_SUCCESS)
		goto out;
	for (uint64_t i = 0; i < npages; i++)
		vm_page_wire(&m[i]);
	run = (struct iommu_run){ m->phys_addr, ptoa(npages) };
	for (int round = 0; round < 2 && ok; round++) {	/* the first warms tables and magazines */
		t0 = rdinstret();
		for (uint64_t i = 0; i < iters && ok; i++) {
			ok = iommu_map(dom, &run, 1, IOMMU_PROT_READ | IOMMU_PROT_WRITE, &iova, &n) ==
			     KERN_SUCCESS;
			if (ok)
				iommu_unmap(dom, iova, n);
		}
		cost = ok ? (rdinstret() - t0) / iters : 0;
	}
	iommu_flush(dom);
	iommu_domain_destroy(dom);
	for (uint64_t i = 0; i < npages; i++)
		vm_page_unwire(&m[i]);
out:
	if (m)
		vm_page_free_contig(m, npages);
	return cost;
}

KBENCH(iommu_4k_strict, "iommu.map_unmap.4k.strict", "instructions/op", 256)
{
	return map_unmap_cost(IOMMU_STRICT, 1, iters);
}

KBENCH(iommu_4k_deferred, "iommu.map_unmap.4k.deferred", "instructions/op", 256)
{
	return map_unmap_cost(IOMMU_DEFERRED, 1, iters);
}

KBENCH(iommu_64k_strict, "iommu.map_unmap.64k.strict", "instructions/op", 256)
{
	return map_unmap_cost(IOMMU_STRICT, 16, iters);
}

KBENCH(iommu_64k_deferred, "iommu.map_unmap.64k.deferred", "instructions/op", 256)
{
	return map_unmap_cost(IOMMU_DEFERRED, 16, iters);
}

KBENCH(dma_iommu_deferred, "dma.prepare_complete.4k.iommu_deferred", "instructions/4KiB", 256)
{
	vm_page_t page = vm_page_alloc();
	struct dma_engine eng;
	struct dma_desc *d;
	uint64_t t0, cost = 0;
	bool ok = true;

	if (!page || !iommu_unit ||
	    dma_engine_init(&eng, "bench", DMA_BACKEND_IOMMU_DEFERRED, UINT64_MAX, 0, 0xff01) !=
	    KERN_SUCCESS)
		goto out;
	if (dma_desc_create_physical(page->phys_addr, PAGE_SIZE, DMA_TO_DEVICE, &d) == KERN_SUCCESS) {
		for (int round = 0; round < 2 && ok; round++) {
			t0 = rdinstret();
			for (uint64_t i = 0; i < iters && ok; i++)
				ok = dma_desc_prepare(d, &eng) == KERN_SUCCESS &&
				     dma_desc_complete(d) == KERN_SUCCESS;
			cost = ok ? (rdinstret() - t0) / iters : 0;
		}
		dma_desc_destroy(d);
	}
	iommu_flush(eng.domain);
	dma_engine_destroy(&eng);
out:
	if (page)
		vm_page_free(page);
	return cost;
}

#define RATIO_BUF	(8ull << 20)
#define RATIO_ROUND	(32ull << 20)
#define RATIO_PIECE	(512ull << 10)	/* 128 bounce pages: within seg_max */
#define RATIO_INFLIGHT	8
#define CYCLES		6
#define BLOCK		8
#define KEPT		(CYCLES * (BLOCK - 1))

/*
 * write_round: RATIO_ROUND bytes from the run at pa to b, RATIO_INFLIGHT
 * requests always in flight (each one finished makes room for the next, as
 * a streaming writer keeps its queue full).  => host ns, 0 on an error
 */
static uint64_t write_round(struct virtio_blk *b, uint64_t pa)
{
	struct dma_desc *d[RATIO_INFLIGHT] = { 0 };
	struct virtio_blk_req req[RATIO_INFLIGHT];
	uint64_t t0 = semihost_elapsed_ns(), pieces = RATIO_ROUND / RATIO_PIECE;
	bool ok = true;

	for (uint64_t i = 0; i < pieces + RATIO_INFLIGHT; i++) {
		uint64_t k = i % RATIO_INFLIGHT, off = i * RATIO_PIECE;

		if (d[k]) {			/* the request RATIO_INFLIGHT before this one */
			ok = virtio_blk_wait(&req[k]) == KERN_SUCCESS && ok;
			dma_desc_complete(d[k]);
			dma_desc_destroy(d[k]);
			d[k] = NULL;
		}
		if (i >= pieces || !ok)
			continue;
		if (dma_desc_create_physical(pa + off % RATIO_BUF, RATIO_PIECE, DMA_TO_DEVICE,
					     &d[k]) != KERN_SUCCESS) {
			d[k] = NULL;
			ok = false;
			continue;
		}
		if (dma_desc_prepare(d[k], &b->vd.dma) != KERN_SUCCESS) {
			dma_desc_destroy(d[k]);
			d[k] = NULL;
			ok = false;
		/* The same 8 MiB of the disk again and again: little for the host to write
		   back, so that its write-back does not pace one disk only. */
		} else if (virtio_blk_submit(b, VIRTIO_BLK_WRITE, off % RATIO_BUF / VIRTIO_BLK_SECTOR,
					     d[k], &req[k]) != KERN_SUCCESS) {
			dma_desc_complete(d[k]);
			dma_desc_destroy(d[k]);
			d[k] = NULL;
			ok = false;
		}
	}
	return ok ? semihost_elapsed_ns() - t0 : 0;
}

/* ratio_ns: each disk's (pass, strict, deferred, bounce) kept rounds' host ns into ns[][]. */
static bool ratio_ns(uint64_t ns[4][KEPT])
{
	static const char *const serial[4] = { "pass", "strict", "deferred", "bounce" };
	struct virtio_blk *b[4];
	vm_page_t buf = vm_page_alloc_contig_range(atop(RATIO_BUF), 1, 1ull << 32, UINT64_MAX);
	bool ok = buf != NULL;

	for (int i = 0; i < 4 && ok; i++)
		ok = (b[i] = virtio_blk_find(serial[i])) != NULL;
	for (int c = 0; c < CYCLES && ok; c++)
		for (int k = 0; k < 4 && ok; k++) {
			int i = (c + k) % 4;		/* no disk always goes first */

			for (int r = 0; r < BLOCK && ok; r++) {
				uint64_t t = write_round(b[i], buf->phys_addr);

				ok = t != 0;
				if (r > 0)		/* the first round of a block warms up */
					ns[i][c * (BLOCK - 1) + r - 1] = t;
			}
		}
	if (buf)
		vm_page_free_contig(buf, atop(RATIO_BUF));
	return ok;
}

/* median: the middle of v[0..n) (sorted in place). */
static uint64_t median(uint64_t *v, int n)
{
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
			uint64_t t = v[j];

			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	return v[n / 2];
}

/*
 * ratio: permille of passthrough's MiB/s that disk `which` reached, each
 * disk's MiB/s being that of its median round; measured once per boot.
 */
static uint64_t ratio(int which)
{
	static uint64_t ns[4][KEPT], med[4];
	static bool measured, ok;

	if (!measured) {
		ok = ratio_ns(ns);
		for (int i = 0; i < 4 && ok; i++)
			med[i] = median(ns[i], KEPT);
		measured = true;
	}
	if (!ok)
		return 0;
	kbench_note("\"mibs\":%lu,\"passthrough_mibs\":%lu,\"host_ns\":%lu",
		    (uint64_t)((RATIO_ROUND * 1000000000ull / med[which]) >> 20),
		    (uint64_t)((RATIO_ROUND * 1000000000ull / med[0]) >> 20), med[which]);
	return med[0] * 1000 / med[which];
}

KBENCH(blk_ratio_strict, "blk.throughput_ratio.iommu_strict", "permille", 1)
{
	(void)iters;
	return ratio(1);
}

KBENCH(blk_ratio_deferred, "blk.throughput_ratio.iommu_deferred", "permille", 1)
{
	(void)iters;
	return ratio(2);
}

KBENCH(blk_ratio_bounce, "blk.throughput_ratio.bounce", "permille", 1)
{
	(void)iters;
	return ratio(3);
}
