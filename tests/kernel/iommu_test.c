/*
 * iommu_test.c: the IOMMU model, its driver, and DMA through them.
 *
 * Devices: d0 (64 MiB) and d1 (1 MiB) virtio-blk disks and a virtio-9p
 * share, all behind the IOMMU (the default backend).  Cases that need
 * only the model make IOMMU units of their own (iommu_create) and drive
 * iommu_hw_translate as a device on the bus would.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "drivers/dma/dma.h"
#include "drivers/iommu/iommu.h"
#include "drivers/virtio/virtio_9p.h"
#include "drivers/virtio/virtio_blk.h"
#include "drivers/virtio/virtq_bus.h"
#include "platform/riscv/pte.h"
#include "tests/kernel/blk_fixture.h"
#include "tests/kernel/ktest.h"
#include "vm/pmap.h"
#include "vm/vm_kern.h"
#include "vm/vm_page.h"

KTEST_RUN(iommu, "test=iommu", "-m 256M -smp 1 --blk d0:64M --blk d1:1M --9p share");
KTEST_RUN(iommu.smp4, "test=iommu", "-m 256M -smp 4 --blk d0:64M --blk d1:1M --9p share");
KTEST_RUN(iommu.deferred, "test=iommu iommu.policy=deferred", "-m 256M -smp 2 --blk d0:64M --blk d1:1M --9p share");
KTEST_RUN(iommu.32m.deferred, "test=iommu iommu.policy=deferred swap=swap", "-m 32M -smp 4 --blk d0:64M --blk d1:1M --9p share --blk swap:64M");
KTEST_RUN(iommu.8g.dma32, "test=iommu virtio_blk.dma_bits=32", "-m 8G -smp 2 --blk d0:64M --blk d1:1M --9p share");

static void kfree(void *p, vm_size_t size)
{
	kmem_free(kernel_map, (vm_offset_t)p, size);
}

/* expect_fault: the newest fault drained is (cause, ttyp, device, iova). */
static bool expect_fault(uint32_t cause, uint32_t ttyp, uint32_t device_id, uint64_t iova)
{
	struct iommu_fault f;

	iommu_faults_drain(iommu_unit);
	if (!iommu_fault_last(iommu_unit, &f))
		return false;
	ktest_report("fault: device 0x%x %s (cause %u, ttyp %u) at 0x%lx\n", f.device_id,
		     iommu_cause_name(f.cause), f.cause, f.ttyp, f.iova);
	return f.cause == cause && f.ttyp == ttyp && f.device_id == device_id && f.iova == iova;
}

/* read_raw: a READ of len bytes at sector into data segment `seg` as given.  => its status */
static kern_return_t read_raw(struct virtio_blk *b, uint64_t sector, uint64_t ioaddr, uint64_t len)
{
	struct dma_segment seg = { ioaddr, len };
	struct virtio_blk_req req;
	kern_return_t kr = virtio_blk_submit_segments(b, VIRTIO_BLK_READ, sector, &seg, 1, &req);

	return kr == KERN_SUCCESS ? virtio_blk_wait(&req) : kr;
}

KTEST(iommu, devices_are_behind_it)
{
	struct virtio_blk *b = disk("d0");
	struct virtio_9p *v = virtio_9p_find("share");

	ASSERT_TRUE(iommu_unit != NULL);
	ASSERT_TRUE(b != NULL && v != NULL);
	EXPECT_STREQ(b->vd.dma.backend->name, "iommu");
	EXPECT_STREQ(v->vd.dma.backend->name, "iommu");
	EXPECT_NE(b->vd.dma.domain, v->vd.dma.domain);		/* a domain each */
	EXPECT_NE(b->vd.dma.domain->pscid, v->vd.dma.domain->pscid);
	EXPECT_TRUE(b->q->bus != NULL);
	EXPECT_EQ(iommu_check(iommu_unit, ktest_report), 0);
}

/* Block traffic of 4 KiB .. 1 MiB through the model, every byte checked. */
KTEST(iommu, blk_traffic_is_translated)
{
	static const uint64_t sizes[] = { 4096, 12288, 65536, 1 << 20 };
	struct virtio_blk *b = disk("d0");
	uint8_t *w = kbuf(1 << 20), *r = kbuf(1 << 20);
	uint64_t translations0;

	ASSERT_TRUE(b && w && r);
	translations0 = iommu_unit->hw.stats.translations;
	for (unsigned i = 0; i < ARRAY_SIZE(sizes); i++) {
		fill(w, sizes[i], 200 + i);
		memset(r, 0, sizes[i]);
		EXPECT_EQ(virtio_blk_write(b, 2048 * i, kernel_map, (vm_offset_t)w, sizes[i]),
			  KERN_SUCCESS);
		EXPECT_EQ(virtio_blk_read(b, 2048 * i, kernel_map, (vm_offset_t)r, sizes[i]),
			  KERN_SUCCESS);
		EXPECT_EQ(mismatches(r, sizes[i], 200 + i), 0);
	}
	/* Every data page went through the model twice, besides the rings. */
	EXPECT_TRUE(iommu_unit->hw.stats.translations - translations0 >= 2 * (1 + 3 + 16 + 256));
	EXPECT_EQ(b->q->bus->stats.refused, 0);
	EXPECT_EQ(iommu_check(iommu_unit, ktest_report), 0);
	kfree(w, 1 << 20);
	kfree(r, 1 << 20);
}

/* A file written and read back over 9p: requests and replies through the model. */
KTEST(iommu, ninep_traffic_is_translated)
{
	struct virtio_9p *v = virtio_9p_find("share");
	const size_t len = 100000;
	uint8_t *w = kbuf(len), *r = kbuf(len);
	struct p9_file f;
	size_t done = 0;

	ASSERT_TRUE(v && w && r);
	fill(w, len, 77);
	ASSERT_EQ(p9_file_open(&v->client, "iommu.bin", P9_FILE_WRITE | P9_FILE_CREATE | P9_FILE_TRUNC,
			       0644, &f), 0);
	EXPECT_EQ(p9_file_write(&f, 0, w, len, &done), 0);
	EXPECT_EQ(done, len);
	p9_file_close(&f);
	ASSERT_EQ(p9_file_open(&v->client, "iommu.bin", P9_FILE_READ, 0, &f), 0);
	EXPECT_EQ(p9_file_read(&f, 0, r, len, &done), 0);
	EXPECT_EQ(done, len);
	p9_file_close(&f);
	EXPECT_EQ(mismatches(r, len, 77), 0);
	EXPECT_EQ(p9_unlink(&v->client, "iommu.bin"), 0);
	EXPECT_EQ(v->q->bus->stats.refused, 0);
	EXPECT_TRUE(v->q->bus->stats.forwarded > 0);
	kfree(w, len);
	kfree(r, len);
}

/*
 * A device that reaches only 32 bits DMAs into buffers above 4 GiB: its
 * I/O addresses lie below 4 GiB, no page is bounced.  (Meaningful in the
 * -m 8G run with virtio_blk.dma_bits=32.)
 */
KTEST(iommu, dma32_device_reaches_high_memory_without_bounce)
{
	const uint64_t n = 32;
	struct virtio_blk *b = disk("d0");
	vm_page_t w, r;
	struct dma_desc *dw, *dr;
	const struct dma_segment *segs;
	uint32_t nsegs;

	ASSERT_TRUE(b != NULL);
	if (b->vd.dma.dma_limit > FOUR_GIB) {
		ktest_report("d0 is not a 32-bit device in this run: nothing to test\n");
		return;
	}
	w = vm_page_alloc_contig_range(n, 1, FOUR_GIB, UINT64_MAX);
	r = vm_page_alloc_contig_range(n, 1, FOUR_GIB, UINT64_MAX);
	ASSERT_TRUE(w && r);
	EXPECT_EQ(b->vd.dma.domain->limit, FOUR_GIB);
	fill(pmap_direct_map(w->phys_addr), ptoa(n), 32);
	memset(pmap_direct_map(r->phys_addr), 0, ptoa(n));
	ASSERT_EQ(dma_desc_create_physical(w->phys_addr, ptoa(n), DMA_TO_DEVICE, &dw), KERN_SUCCESS);
	ASSERT_EQ(dma_desc_create_physical(r->phys_addr, ptoa(n), DMA_FROM_DEVICE, &dr), KERN_SUCCESS);
	ASSERT_EQ(dma_desc_prepare(dw, &b->vd.dma), KERN_SUCCESS);
	ASSERT_EQ(dma_desc_segments(dw, &segs, &nsegs), KERN_SUCCESS);
	EXPECT_EQ(nsegs, 1);
	EXPECT_TRUE(segs[0].ioaddr + segs[0].len <= FOUR_GIB);
	ktest_report("buffer at 0x%lx reached at i/o address 0x%lx\n", w->phys_addr, segs[0].ioaddr);
	write_then_read(b, dw, dr, 8192);
	EXPECT_EQ(mismatches(pmap_direct_map(r->phys_addr), ptoa(n), 32), 0);
	EXPECT_EQ(b->vd.dma.stats.bounced_pages, 0);
	dma_desc_destroy(dw);
	dma_desc_destroy(dr);
	vm_page_free_contig(w, n);
	vm_page_free_contig(r, n);
}

/* Three canary pages; the middle one is the target. */
struct canary {
	uint8_t *buf;
};

static bool canary_make(struct canary *c)
{
	c->buf = kbuf(3 * PAGE_SIZE);
	if (c->buf)
		memset(c->buf, 0xa5, 3 * PAGE_SIZE);
	return c->buf != NULL;
}

static uint64_t canary_damage(const struct canary *c)
{
	uint64_t bad = 0;

	for (uint64_t i = 0; i < 3 * PAGE_SIZE; i++)
		bad += c->buf[i] != 0xa5;
	kfree(c->buf, 3 * PAGE_SIZE);
	return bad;
}

/* canary_prepare: a descriptor over the middle canary page, prepared on eng; its I/O address. */
static bool canary_prepare(const struct canary *c, enum dma_direction dir, struct dma_engine *eng,
			   struct dma_desc **d, uint64_t *ioaddr)
{
	const struct dma_segment *segs;
	uint32_t n;

	if (dma_desc_create_virtual(kernel_map, (vm_offset_t)c->buf + PAGE_SIZE, PAGE_SIZE, dir, d) !=
	    KERN_SUCCESS)
		return false;
	if (dma_desc_prepare(*d, eng) != KERN_SUCCESS) {
		dma_desc_destroy(*d);
		return false;
	}
	dma_desc_segments(*d, &segs, &n);
	*ioaddr = segs[0].ioaddr;
	return true;
}

/* canary_release: complete and destroy the middle page's descriptor. */
static void canary_release(struct dma_desc *d)
{
	EXPECT_EQ(dma_desc_complete(d), KERN_SUCCESS);
	EXPECT_EQ(dma_desc_destroy(d), KERN_SUCCESS);
}

/* DMA to an I/O address never prepared fails that request; memory is untouched. */
KTEST(iommu, never_prepared_address_faults)
{
	struct virtio_blk *b = disk("d0");
	struct canary c;
	uint64_t hole, pa;
	int prot;

	ASSERT_TRUE(b && canary_make(&c));
	hole = b->vd.dma.domain->limit - 64 * PAGE_SIZE;
	ASSERT_TRUE(!iommu_domain_lookup(b->vd.dma.domain, hole, &pa, &prot));
	EXPECT_EQ(read_raw(b, 0, hole, PAGE_SIZE), KERN_MEMORY_ERROR);
	EXPECT_TRUE(expect_fault(RIO_CAUSE_WRITE_PAGE, RIO_TTYP_UNTRANSLATED_WRITE, b->vd.dma.device_id,
				 hole));
	EXPECT_EQ(canary_damage(&c), 0);
	/* The device goes on working. */
	EXPECT_EQ(virtio_blk_flush(b), KERN_SUCCESS);
	EXPECT_FALSE(b->vd.failed);
}

/* DMA to an address whose descriptor was completed: the unmap was invalidated (strict). */
KTEST(iommu, completed_address_faults)
{
	struct virtio_blk *b = disk("d0");
	struct canary c;
	struct dma_desc *d;
	uint64_t ioaddr;

	ASSERT_TRUE(b && canary_make(&c));
	ASSERT_TRUE(canary_prepare(&c, DMA_FROM_DEVICE, &b->vd.dma, &d, &ioaddr));
	EXPECT_EQ(read_raw(b, 0, ioaddr, PAGE_SIZE), KERN_SUCCESS);	/* while prepared: fine */
	memset(c.buf + PAGE_SIZE, 0xa5, PAGE_SIZE);
	EXPECT_EQ(dma_desc_complete(d), KERN_SUCCESS);
	iommu_flush(b->vd.dma.domain);		/* deferred runs: the batch goes now */
	EXPECT_EQ(read_raw(b, 0, ioaddr, PAGE_SIZE), KERN_MEMORY_ERROR);
	EXPECT_TRUE(expect_fault(RIO_CAUSE_WRITE_PAGE, RIO_TTYP_UNTRANSLATED_WRITE, b->vd.dma.device_id,
				 ioaddr));
	EXPECT_EQ(dma_desc_destroy(d), KERN_SUCCESS);
	EXPECT_EQ(canary_damage(&c), 0);
}

/* A buffer prepared for the device to read cannot be written by it. */
KTEST(iommu, wrong_direction_faults)
{
	struct virtio_blk *b = disk("d0");
	struct canary c;
	struct dma_desc *d;
	uint64_t ioaddr;

	ASSERT_TRUE(b && canary_make(&c));
	ASSERT_TRUE(canary_prepare(&c, DMA_TO_DEVICE, &b->vd.dma, &d, &ioaddr));
	EXPECT_EQ(read_raw(b, 0, ioaddr, PAGE_SIZE), KERN_MEMORY_ERROR);
	EXPECT_TRUE(expect_fault(RIO_CAUSE_WRITE_PAGE, RIO_TTYP_UNTRANSLATED_WRITE, b->vd.dma.device_id,
				 ioaddr));
	canary_release(d);
	EXPECT_EQ(canary_damage(&c), 0);
}

/* A descriptor prepared for d0, handed to d1: d1's domain has no such address. */
KTEST(iommu, another_devices_address_faults)
{
	struct virtio_blk *b0 = disk("d0"), *b1 = disk("d1");
	struct canary c;
	struct dma_desc *d;
	uint64_t ioaddr, pa;
	int prot;

	ASSERT_TRUE(b0 && b1 && canary_make(&c));
	ASSERT_TRUE(canary_prepare(&c, DMA_FROM_DEVICE, &b0->vd.dma, &d, &ioaddr));
	ASSERT_TRUE(!iommu_domain_lookup(b1->vd.dma.domain, ioaddr, &pa, &prot));
	EXPECT_EQ(read_raw(b1, 0, ioaddr, PAGE_SIZE), KERN_MEMORY_ERROR);
	EXPECT_TRUE(expect_fault(RIO_CAUSE_WRITE_PAGE, RIO_TTYP_UNTRANSLATED_WRITE,
				 b1->vd.dma.device_id, ioaddr));
	EXPECT_EQ(read_raw(b0, 0, ioaddr, PAGE_SIZE), KERN_SUCCESS);	/* its own: fine */
	canary_release(d);
	memset(c.buf + PAGE_SIZE, 0xa5, PAGE_SIZE);	/* d0's read wrote there, as allowed */
	EXPECT_EQ(canary_damage(&c), 0);
}

/*
 * The IOTLB is real: with the PTE cleared and no invalidation, the device
 * still reaches the page through the cached translation; IOTINVAL.VMA
 * ends that.
 */
KTEST(iommu, stale_iotlb_entry_lives_until_invalidated)
{
	struct virtio_blk *b = disk("d0");
	struct iommu_domain *dom;
	uint8_t *page = kbuf(PAGE_SIZE), *data = kbuf(2 * PAGE_SIZE);
	struct dma_desc *d;
	const struct dma_segment *segs;
	uint32_t n;
	uint64_t io, pa;

	ASSERT_TRUE(b && page && data);
	dom = b->vd.dma.domain;
	fill(data, PAGE_SIZE, 1);
	fill(data + PAGE_SIZE, PAGE_SIZE, 2);
	ASSERT_EQ(virtio_blk_write(b, 4096, kernel_map, (vm_offset_t)data, 2 * PAGE_SIZE), KERN_SUCCESS);
	ASSERT_EQ(dma_desc_create_virtual(kernel_map, (vm_offset_t)page, PAGE_SIZE, DMA_FROM_DEVICE, &d),
		  KERN_SUCCESS);
	ASSERT_EQ(dma_desc_prepare(d, &b->vd.dma), KERN_SUCCESS);
	ASSERT_EQ(dma_desc_segments(d, &segs, &n), KERN_SUCCESS);
	io = segs[0].ioaddr;
	ASSERT_EQ(pmap_extract(kernel_pmap, (vm_offset_t)page, &pa), KERN_SUCCESS);
	EXPECT_EQ(read_raw(b, 4096, io, PAGE_SIZE), KERN_SUCCESS);	/* fills the IOTLB */
	EXPECT_EQ(mismatches(page, PAGE_SIZE, 1), 0);
	EXPECT_TRUE(iommu_hw_iotlb_count(&iommu_unit->hw, dom->pscid) > 0);

	iommu_domain_clear(dom, io, PAGE_SIZE);			/* no invalidation */
	EXPECT_EQ(read_raw(b, 4096 + 8, io, PAGE_SIZE), KERN_SUCCESS);
	EXPECT_EQ(mismatches(page, PAGE_SIZE, 2), 0);		/* the stale entry served it */

	iommu_domain_invalidate(dom, io, PAGE_SIZE);
	memset(page, 0, PAGE_SIZE);
	EXPECT_EQ(read_raw(b, 4096, io, PAGE_SIZE), KERN_MEMORY_ERROR);
	EXPECT_TRUE(expect_fault(RIO_CAUSE_WRITE_PAGE, RIO_TTYP_UNTRANSLATED_WRITE, b->vd.dma.device_id,
				 io));
	for (uint64_t i = 0; i < PAGE_SIZE; i++)
		if (page[i]) {
			EXPECT_EQ(page[i], 0);
			break;
		}
	/* Put the mapping back so that complete finds what prepare made. */
	ASSERT_EQ(iommu_domain_enter(dom, io, pa, PAGE_SIZE, IOMMU_PROT_READ | IOMMU_PROT_WRITE),
		  KERN_SUCCESS);
	EXPECT_EQ(dma_desc_complete(d), KERN_SUCCESS);
	EXPECT_EQ(dma_desc_destroy(d), KERN_SUCCESS);
	kfree(page, PAGE_SIZE);
	kfree(data, 2 * PAGE_SIZE);
}

/* A unit of the test's own, with one domain and a page mapped (read-only) at iova. */
struct unit {
	struct iommu *u;
	struct iommu_domain *dom;
	vm_page_t page;
	uint64_t iova, npages;
};

static bool unit_make(struct unit *t, int levels, enum iommu_policy policy)
{
	*t = (struct unit){ 0 };
	if (iommu_create(levels, policy, &t->u) != KERN_SUCCESS)
		return false;
	if (iommu_domain_create(t->u, policy, UINT64_MAX, &t->dom) != KERN_SUCCESS ||
	    !(t->page = vm_page_alloc()))
		return false;
	vm_page_wire(t->page);
	return iommu_map(t->dom, &(struct iommu_run){ t->page->phys_addr, PAGE_SIZE }, 1,
			 IOMMU_PROT_READ, &t->iova, &t->npages) == KERN_SUCCESS;
}

static void unit_destroy(struct unit *t, const uint32_t *devices, int n)
{
	for (int i = 0; i < n; i++)
		iommu_device_detach(t->u, devices[i]);
	if (t->dom) {
		if (t->npages)
			iommu_unmap(t->dom, t->iova, t->npages);
		EXPECT_EQ(iommu_domain_destroy(t->dom), KERN_SUCCESS);
	}
	if (t->page) {
		vm_page_unwire(t->page);
		vm_page_free(t->page);
	}
	if (t->u)
		iommu_destroy(t->u);
}

/* translate: one read of a page by device did on t's bus.  => 0 or the fault's cause */
static uint32_t translate(struct unit *t, uint32_t did, uint64_t iova, uint64_t *pa)
{
	struct iommu_run run;
	uint32_t n;
	struct iommu_fault f;

	if (iommu_hw_translate(&t->u->hw, did, iova, PAGE_SIZE, IOMMU_READ, &run, 1, &n) ==
	    KERN_SUCCESS) {
		*pa = run.pa;
		return 0;
	}
	iommu_faults_drain(t->u);
	return iommu_fault_last(t->u, &f) && f.device_id == did ? f.cause : ~0u;
}

/* Directory depths 1, 2 and 3: the device IDs each serves, and the faults past them. */
KTEST(iommu, directory_depths)
{
	static const uint32_t widest[] = { 0, 0x7f, 0xffff, 0xffffff };

	for (int levels = 1; levels <= 3; levels++) {
		struct unit t;
		uint32_t dev[2] = { widest[levels], 0x2 };
		uint64_t pa = 0;

		ASSERT_TRUE(unit_make(&t, levels, IOMMU_STRICT));
		EXPECT_EQ(iommu_device_attach(t.u, dev[0], "wide", t.dom), KERN_SUCCESS);
		EXPECT_EQ(iommu_device_attach(t.u, dev[1], "low", t.dom), KERN_SUCCESS);
		EXPECT_EQ(t.u->ddt_pages, 1 + 2 * (uint64_t)(levels - 1));	/* two paths below the root */
		EXPECT_EQ(translate(&t, dev[0], t.iova, &pa), 0);
		EXPECT_EQ(pa, t.page->phys_addr);
		EXPECT_EQ(translate(&t, dev[1], t.iova, &pa), 0);
		EXPECT_EQ(translate(&t, 0x3, t.iova, &pa), RIO_CAUSE_DDT_INVALID);
		if (levels < 3) {
			EXPECT_EQ(iommu_device_attach(t.u, widest[levels] + 1, "too wide", t.dom),
				  KERN_INVALID_ARGUMENT);
			EXPECT_EQ(translate(&t, widest[levels] + 1, t.iova, &pa),
				  RIO_CAUSE_TTYPE_DISALLOWED);
		}
		EXPECT_EQ(iommu_check(t.u, ktest_report), 0);
		unit_destroy(&t, dev, 2);
	}
}

/* A device context changed without IODIR.INVAL_DDT stays in use; the command ends it. */
KTEST(iommu, stale_device_context_lives_until_iodir)
{
	struct unit t;
	uint32_t dev = 0x0108;
	struct rio_device_context *dc;
	uint64_t pa;

	ASSERT_TRUE(unit_make(&t, 2, IOMMU_STRICT));
	ASSERT_EQ(iommu_device_attach(t.u, dev, "dev", t.dom), KERN_SUCCESS);
	EXPECT_EQ(translate(&t, dev, t.iova, &pa), 0);		/* caches the context */
	ASSERT_TRUE((dc = iommu_device_context(t.u, dev)) != NULL);
	dc->tc &= ~RIO_TC_V;
	EXPECT_EQ(translate(&t, dev, t.iova, &pa), 0);		/* the cached one */
	iommu_ddt_invalidate(t.u, dev);
	EXPECT_EQ(translate(&t, dev, t.iova, &pa), RIO_CAUSE_DDT_INVALID);
	dc->tc |= RIO_TC_V | RIO_TC_SADE;	/* misconfigured: no A/D updates offered */
	iommu_ddt_invalidate(t.u, dev);
	EXPECT_EQ(translate(&t, dev, t.iova, &pa), RIO_CAUSE_DDT_MISCONFIGURED);
	dc->tc &= ~RIO_TC_SADE;
	iommu_ddt_invalidate(t.u, dev);
	EXPECT_EQ(translate(&t, dev, t.iova, &pa), 0);
	unit_destroy(&t, &dev, 1);
}

/* More faults than the queue holds: the overflow is flagged and counted, then cleared. */
KTEST(iommu, fault_queue_overflow_is_reported)
{
	const uint32_t usable = (2u << (IOMMU_FQ_LOG2 - 1)) - 1;
	struct unit t;
	uint32_t dev = 0x10;
	struct iommu_run run;
	uint32_t n;

	ASSERT_TRUE(unit_make(&t, 1, IOMMU_STRICT));
	ASSERT_EQ(iommu_device_attach(t.u, dev, "dev", t.dom), KERN_SUCCESS);
	for (uint32_t i = 0; i < usable + 10; i++)
		EXPECT_EQ(iommu_hw_translate(&t.u->hw, dev, t.iova + ptoa(i + 1), 8, IOMMU_READ,
					     &run, 1, &n), KERN_PROTECTION_FAILURE);
	EXPECT_TRUE(iommu_hw_read(&t.u->hw, RIO_REG_FQCSR) & RIO_FQCSR_FQOF);
	EXPECT_EQ(t.u->hw.stats.faults, usable);
	EXPECT_EQ(t.u->hw.stats.faults_lost, 10);
	EXPECT_EQ(iommu_faults_drain(t.u), usable);
	EXPECT_EQ(t.u->overflows, 1);
	EXPECT_FALSE(iommu_hw_read(&t.u->hw, RIO_REG_FQCSR) & RIO_FQCSR_FQOF);
	/* Recording resumes. */
	EXPECT_EQ(iommu_hw_translate(&t.u->hw, dev, 0x7000000, 8, IOMMU_READ, &run, 1, &n),
		  KERN_PROTECTION_FAILURE);
	EXPECT_EQ(iommu_faults_drain(t.u), 1);
	unit_destroy(&t, &dev, 1);
}

/* Deferred: an unmapped range is not handed out again before its batch is flushed. */
KTEST(iommu, deferred_addresses_wait_for_their_flush)
{
	struct unit t;
	uint32_t dev = 0x20;
	struct iommu_run run, got;
	uint64_t iova, first, npages, pa;
	uint32_t n;

	ASSERT_TRUE(unit_make(&t, 1, IOMMU_DEFERRED));
	ASSERT_EQ(iommu_device_attach(t.u, dev, "dev", t.dom), KERN_SUCCESS);
	run = (struct iommu_run){ t.page->phys_addr, PAGE_SIZE };
	ASSERT_EQ(iommu_map(t.dom, &run, 1, IOMMU_PROT_READ, &first, &npages), KERN_SUCCESS);
	EXPECT_EQ(iommu_hw_translate(&t.u->hw, dev, first, 8, IOMMU_READ, &got, 1, &n), KERN_SUCCESS);
	iommu_unmap(t.dom, first, npages);
	/* The window deferred mode leaves: the IOTLB still serves the unmapped address. */
	EXPECT_EQ(iommu_hw_translate(&t.u->hw, dev, first, 8, IOMMU_READ, &got, 1, &n), KERN_SUCCESS);
	for (int i = 1; i < IOMMU_FLUSH_BATCH; i++) {	/* the batch fills; nothing reused */
		ASSERT_EQ(iommu_map(t.dom, &run, 1, IOMMU_PROT_READ, &iova, &npages), KERN_SUCCESS);
		EXPECT_NE(iova, first);
		iommu_unmap(t.dom, iova, npages);
	}
	EXPECT_EQ(t.dom->nflush, 0);			/* the batch of 64 went at once */
	EXPECT_EQ(t.dom->stats.flushes, 1);
	EXPECT_EQ(translate(&t, dev, first, &pa), RIO_CAUSE_READ_PAGE);
	ASSERT_EQ(iommu_map(t.dom, &run, 1, IOMMU_PROT_READ, &iova, &npages), KERN_SUCCESS);
	iommu_unmap(t.dom, iova, npages);
	iommu_flush(t.dom);
	EXPECT_EQ(iommu_check(t.u, ktest_report), 0);
	unit_destroy(&t, &dev, 1);
}

/* A 64 KiB-aligned contiguous run is mapped with Svnapot leaves: one IOTLB entry per block. */
KTEST(iommu, napot_blocks_for_contiguous_runs)
{
	const uint64_t npages = 32;
	struct unit t;
	uint32_t dev = 0x30, nr;
	vm_page_t m = vm_page_alloc_contig(npages, NAPOT_64K_PAGES);
	struct iommu_run run, out[2];
	uint64_t iova, n, pa, misses0;
	int prot;

	ASSERT_TRUE(m != NULL);
	ASSERT_TRUE(unit_make(&t, 1, IOMMU_STRICT));
	for (uint64_t i = 0; i < npages; i++)
		vm_page_wire(&m[i]);
	ASSERT_EQ(iommu_device_attach(t.u, dev, "dev", t.dom), KERN_SUCCESS);
	run = (struct iommu_run){ m->phys_addr + 0x10, ptoa(npages) - 0x10 };
	ASSERT_EQ(iommu_map(t.dom, &run, 1, IOMMU_PROT_READ, &iova, &n), KERN_SUCCESS);
	EXPECT_EQ(n, npages);
	EXPECT_EQ((iova - run.pa) % ptoa(NAPOT_64K_PAGES), 0);	/* the same phase in 64 KiB */
	for (uint64_t i = 0; i < npages; i++) {
		ASSERT_TRUE(iommu_domain_lookup(t.dom, trunc_page(iova) + ptoa(i), &pa, &prot));
		EXPECT_EQ(pa, m->phys_addr + ptoa(i));
	}
	misses0 = t.u->hw.stats.iotlb_misses;
	ASSERT_EQ(iommu_hw_translate(&t.u->hw, dev, iova, run.len, IOMMU_READ, out, 2, &nr),
		  KERN_SUCCESS);
	EXPECT_EQ(nr, 1);
	EXPECT_EQ(out[0].pa, run.pa);
	EXPECT_EQ(out[0].len, run.len);
	EXPECT_EQ(t.u->hw.stats.iotlb_misses - misses0, 2);	/* a walk per 64 KiB */
	EXPECT_EQ(iommu_hw_iotlb_count(&t.u->hw, t.dom->pscid), 2);
	/* Invalidating one page of a block drops the block's entry. */
	iommu_domain_invalidate(t.dom, trunc_page(iova) + ptoa(5), PAGE_SIZE);
	EXPECT_EQ(iommu_hw_iotlb_count(&t.u->hw, t.dom->pscid), 1);
	EXPECT_EQ(iommu_check(t.u, ktest_report), 0);
	/* A strict unmap invalidates block by block: no page of it translates afterwards. */
	iommu_unmap(t.dom, iova, n);
	EXPECT_EQ(translate(&t, dev, trunc_page(iova) + ptoa(20), &pa), RIO_CAUSE_READ_PAGE);
	EXPECT_EQ(iommu_hw_iotlb_count(&t.u->hw, t.dom->pscid), 0);
	for (uint64_t i = 0; i < npages; i++)
		vm_page_unwire(&m[i]);
	vm_page_free_contig(m, npages);
	unit_destroy(&t, &dev, 1);
}

/* The checker finds a leaf outside every allocated range and one on a free page. */
KTEST(iommu, checker_catches_bad_tables)
{
	struct unit t;
	vm_page_t freed;
	uint64_t at = IOMMU_IOVA_BASE + 64 * PAGE_SIZE;

	ASSERT_TRUE(unit_make(&t, 1, IOMMU_STRICT));
	EXPECT_EQ(iommu_check(t.u, ktest_report), 0);
	ASSERT_TRUE((freed = vm_page_alloc()) != NULL);
	vm_page_free(freed);
	/* A leaf on a free page, in no allocated range: two problems. */
	ASSERT_EQ(iommu_domain_enter(t.dom, at, freed->phys_addr, PAGE_SIZE, IOMMU_PROT_READ),
		  KERN_SUCCESS);
	EXPECT_EQ(iommu_check(t.u, ktest_report), 2);
	iommu_domain_clear(t.dom, at, PAGE_SIZE);
	/* A mapped range with a page missing. */
	iommu_domain_clear(t.dom, t.iova, PAGE_SIZE);
	EXPECT_EQ(iommu_check(t.u, ktest_report), 1);
	ASSERT_EQ(iommu_domain_enter(t.dom, t.iova, t.page->phys_addr, PAGE_SIZE, IOMMU_PROT_READ),
		  KERN_SUCCESS);
	EXPECT_EQ(iommu_check(t.u, ktest_report), 0);
	unit_destroy(&t, NULL, 0);
}

static char printed[4096];
static size_t printed_len;

static int capture(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(printed + printed_len, sizeof(printed) - printed_len, fmt, ap);
	va_end(ap);
	printed_len = MIN(printed_len + (size_t)n, sizeof(printed) - 1);
	return n;
}

KTEST(iommu, print_shows_each_device)
{
	struct virtio_blk *b = disk("d0");
	char line[64];

	ASSERT_TRUE(b != NULL);
	printed_len = 0;
	iommu_print(iommu_unit, capture);
	kprintf("%s", printed);
	EXPECT_TRUE(strstr(printed, "IOTLB") != NULL);
	EXPECT_TRUE(strstr(printed, b->vd.name) != NULL);
	snprintf(line, sizeof(line), "domain %u %s", b->vd.dma.domain->pscid,
		 b->vd.dma.domain->policy == IOMMU_STRICT ? "strict" : "deferred");
	EXPECT_TRUE(strstr(printed, line) != NULL);
}
