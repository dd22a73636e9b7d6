/*
 * blk_test.c: virtio-blk through the DMA layer on real QEMU devices.
 *
 * Disks (named by their serial, which GET_ID returns):
 *   d0    64 MiB scratch disk
 *   bad   1 MiB, blkdebug fails every read that touches sector 64
 *   ro    1 MiB, read-only
 *   slow  1 MiB, throttled to 4 KiB/s: a request that does not come back
 * The first run goes through the IOMMU (the default backend); the -m 8G
 * variants put buffers above 4 GiB, once with the passthrough backend and
 * once with bounce buffers (a device limited to 4 GiB).
 */
#include <string.h>

#include "drivers/dma/dma.h"
#include "drivers/virtio/virtio_blk.h"
#include "drivers/virtio/virtq_bus.h"
#include "platform/riscv/plic.h"
#include "kern/thread.h"
#include "platform/riscv/hart.h"
#include "tests/kernel/blk_fixture.h"
#include "tests/kernel/ktest.h"
#include "vm/pmap.h"
#include "vm/vm_fault.h"
#include "vm/vm_kern.h"
#include "vm/vm_page.h"

KTEST_RUN(blk, "test=blk", "-m 256M -smp 2 --blk d0:64M --blk bad:1M:blkdebug=tests/kernel/data/blkdebug-read64.conf --blk ro:1M:readonly=on --blk slow:1M:throttling.bps-total=4096");
KTEST_RUN(blk.8g, "test=blk virtio_blk.dma=passthrough", "-m 8G -smp 2 --blk d0:64M");
KTEST_RUN(blk.8g.bounce, "test=blk virtio_blk.dma=bounce", "-m 8G -smp 2 --blk d0:64M");

/* hole: an address of kernel_map with nothing mapped there. */
static vm_offset_t hole(void)
{
	vm_offset_t a = 0;

	if (kmem_alloc(kernel_map, &a, 4096) != KERN_SUCCESS)
		return 0;
	kmem_free(kernel_map, a, 4096);
	return a;
}

KTEST(blk, disks_found_with_their_ids)
{
	struct virtio_blk *b = disk("d0");
	char id[VIRTIO_BLK_ID_BYTES + 1];

	ASSERT_TRUE(b != NULL);
	EXPECT_EQ(b->capacity, (64ull << 20) / VIRTIO_BLK_SECTOR);
	EXPECT_EQ(virtio_blk_get_id(b, id), KERN_SUCCESS);
	EXPECT_STREQ(id, "d0");
	EXPECT_TRUE(b->seg_max >= 2);
	EXPECT_TRUE(virtio_has_feature(&b->vd, VIRTIO_F_VERSION_1));
	EXPECT_TRUE(b->q->indirect);
	EXPECT_TRUE(b->q->event_idx);
	if (virtio_blk_find("ro"))
		EXPECT_TRUE(virtio_blk_find("ro")->read_only);
}

/* Write then read back 4 KiB .. 1 MiB at several offsets, buffers in kernel_map. */
KTEST(blk, write_read_back_4k_to_1m)
{
	static const uint64_t sizes[] = { 4096, 8192, 65536, 262144, 1 << 20 };
	struct virtio_blk *b = disk("d0");
	uint8_t *w = kbuf(1 << 20), *r = kbuf(1 << 20);
	uint64_t sector = 8;

	ASSERT_TRUE(b && w && r);
	for (unsigned i = 0; i < ARRAY_SIZE(sizes); i++) {
		uint32_t seed = 100 + i;

		fill(w, sizes[i], seed);
		memset(r, 0, sizes[i]);
		EXPECT_EQ(virtio_blk_write(b, sector, kernel_map, (vm_offset_t)w, sizes[i]), KERN_SUCCESS);
		EXPECT_EQ(virtio_blk_read(b, sector, kernel_map, (vm_offset_t)r, sizes[i]), KERN_SUCCESS);
		EXPECT_EQ(mismatches(r, sizes[i], seed), 0);
		sector += sizes[i] / VIRTIO_BLK_SECTOR + 3;	/* odd offsets on the disk */
	}
	/* A buffer that starts 512 bytes into a page and crosses pages. */
	fill(w + 512, 3 * 4096, 7);
	memset(r, 0, 4 * 4096);
	EXPECT_EQ(virtio_blk_write(b, 1000, kernel_map, (vm_offset_t)w + 512, 3 * 4096), KERN_SUCCESS);
	EXPECT_EQ(virtio_blk_read(b, 1000, kernel_map, (vm_offset_t)r + 512, 3 * 4096), KERN_SUCCESS);
	EXPECT_EQ(mismatches(r + 512, 3 * 4096, 7), 0);
	/* The last sector of the disk. */
	fill(w, 512, 9);
	EXPECT_EQ(virtio_blk_write(b, b->capacity - 1, kernel_map, (vm_offset_t)w, 512), KERN_SUCCESS);
	EXPECT_EQ(virtio_blk_read(b, b->capacity - 1, kernel_map, (vm_offset_t)r, 512), KERN_SUCCESS);
	EXPECT_EQ(mismatches(r, 512, 9), 0);
	EXPECT_EQ(virtio_blk_flush(b), KERN_SUCCESS);
	kmem_free(kernel_map, (vm_offset_t)w, 1 << 20);
	kmem_free(kernel_map, (vm_offset_t)r, 1 << 20);
}

#define INFLIGHT	64
#define INFLIGHT_LEN	16384

struct inflight {
	struct virtio_blk *b;
	uint8_t *buf;
	struct dma_desc *d[INFLIGHT];
	struct virtio_blk_req req[INFLIGHT];
	kern_return_t kr[INFLIGHT];
	uint32_t max_inflight;
};

/*
 * inflight_batch: prepare and submit INFLIGHT requests with interrupts off
 * on the hart that takes the device's interrupt, so all of them are
 * outstanding at once; then wait for each.
 */
static void inflight_batch(struct inflight *t, enum virtio_blk_op op)
{
	enum dma_direction dir = op == VIRTIO_BLK_READ ? DMA_FROM_DEVICE : DMA_TO_DEVICE;

	for (int i = 0; i < INFLIGHT; i++) {
		t->kr[i] = dma_desc_create_virtual(kernel_map, (vm_offset_t)t->buf + i * INFLIGHT_LEN,
						   INFLIGHT_LEN, dir, &t->d[i]);
		if (t->kr[i] == KERN_SUCCESS)
			t->kr[i] = dma_desc_prepare(t->d[i], &t->b->vd.dma);
	}
	t->b->q->stats.max_inflight = 0;
	intr_push_off();
	for (int i = 0; i < INFLIGHT; i++)
		if (t->kr[i] == KERN_SUCCESS)
			t->kr[i] = virtio_blk_submit(t->b, op, 20000 + (uint64_t)(INFLIGHT - 1 - i) * 32,
						     t->d[i], &t->req[i]);
	t->max_inflight = t->b->q->stats.max_inflight;
	intr_pop_off();
	for (int i = 0; i < INFLIGHT; i++) {
		if (t->kr[i] == KERN_SUCCESS)
			t->kr[i] = virtio_blk_wait(&t->req[i]);
		if (t->d[i]) {
			dma_desc_complete(t->d[i]);
			dma_desc_destroy(t->d[i]);
			t->d[i] = NULL;
		}
	}
}

static void inflight_worker(void *arg)
{
	struct inflight *t = arg;

	inflight_batch(t, VIRTIO_BLK_WRITE);
	for (int i = 0; i < INFLIGHT; i++)
		EXPECT_EQ(t->kr[i], KERN_SUCCESS);
	EXPECT_EQ(t->max_inflight, INFLIGHT);
	memset(t->buf, 0, INFLIGHT * INFLIGHT_LEN);
	inflight_batch(t, VIRTIO_BLK_READ);
	for (int i = 0; i < INFLIGHT; i++)
		EXPECT_EQ(t->kr[i], KERN_SUCCESS);
	EXPECT_EQ(t->max_inflight, INFLIGHT);
}

/* 64 requests outstanding together, answered in whatever order the device likes. */
KTEST(blk, sixty_four_requests_in_flight)
{
	static struct inflight t;
	struct thread *th;

	t.b = disk("d0");
	t.buf = kbuf(INFLIGHT * INFLIGHT_LEN);
	ASSERT_TRUE(t.b && t.buf);
	fill(t.buf, INFLIGHT * INFLIGHT_LEN, 42);
	/* Device interrupts go to every hart: for this case, to hart 0 alone. */
	ASSERT_EQ(plic_retarget(t.b->vd.pci->irq, 0), 0);
	th = thread_create("blk-inflight", inflight_worker, &t, 0);
	ASSERT_TRUE(th != NULL);
	thread_join(th);
	EXPECT_EQ(plic_retarget(t.b->vd.pci->irq, PLIC_EVERY_HART), 0);
	EXPECT_EQ(mismatches(t.buf, INFLIGHT * INFLIGHT_LEN, 42), 0);
	kmem_free(kernel_map, (vm_offset_t)t.buf, INFLIGHT * INFLIGHT_LEN);
}

/* high_run: n physically contiguous pages at or above 4 GiB (NULL when RAM ends below). */
static vm_page_t high_run(uint64_t n)
{
	return vm_page_alloc_contig_range(n, 1, FOUR_GIB, UINT64_MAX);
}

/* Buffers above 4 GiB: passthrough hands the device their addresses, bounce copies. */
KTEST(blk, buffers_above_4g)
{
	const uint64_t n = 64;		/* 256 KiB */
	struct virtio_blk *b = disk("d0");
	vm_page_t w, r;
	struct dma_desc *dw, *dr;
	const struct dma_segment *segs;
	uint32_t nsegs;
	uint64_t bounced0;
	bool bounce;

	ASSERT_TRUE(b != NULL);
	w = high_run(n);
	r = high_run(n);
	if (!w || !r) {
		ktest_report("RAM ends below 4 GiB in this run: nothing to test\n");
		if (w)
			vm_page_free_contig(w, n);
		if (r)
			vm_page_free_contig(r, n);
		return;
	}
	bounce = b->vd.dma.dma_limit <= FOUR_GIB;
	bounced0 = b->vd.dma.stats.bounced_pages;
	fill(pmap_direct_map(w->phys_addr), ptoa(n), 77);
	memset(pmap_direct_map(r->phys_addr), 0, ptoa(n));
	ASSERT_EQ(dma_desc_create_physical(w->phys_addr, ptoa(n), DMA_TO_DEVICE, &dw), KERN_SUCCESS);
	ASSERT_EQ(dma_desc_create_physical(r->phys_addr, ptoa(n), DMA_FROM_DEVICE, &dr), KERN_SUCCESS);
	ASSERT_EQ(dma_desc_prepare(dw, &b->vd.dma), KERN_SUCCESS);
	ASSERT_EQ(dma_desc_segments(dw, &segs, &nsegs), KERN_SUCCESS);
	for (uint32_t i = 0; i < nsegs && !b->vd.dma.domain; i++)	/* the IOMMU's choice */
		EXPECT_TRUE(bounce ? segs[i].ioaddr + segs[i].len <= FOUR_GIB : segs[i].ioaddr >= FOUR_GIB);
	EXPECT_EQ(nsegs, bounce ? n : 1);
	write_then_read(b, dw, dr, 4096);
	EXPECT_EQ(mismatches(pmap_direct_map(r->phys_addr), ptoa(n), 77), 0);
	EXPECT_EQ(b->vd.dma.stats.bounced_pages - bounced0, bounce ? 2 * n : 0);
	ktest_report("backend %s: %lu pages bounced\n", b->vd.dma.backend->name,
		     b->vd.dma.stats.bounced_pages - bounced0);
	dma_desc_destroy(dw);
	dma_desc_destroy(dr);
	vm_page_free_contig(w, n);
	vm_page_free_contig(r, n);
}

/* The device writes into a copy-on-write copy: the copy changes, the source does not. */
KTEST(blk, device_write_breaks_copy_on_write)
{
	struct virtio_blk *b = disk("d0");
	const vm_size_t len = 8 * 4096;
	uint8_t *src = kbuf(len), *disk_data = kbuf(len);
	vm_map_copy_t copy;
	vm_offset_t dst = 0;

	ASSERT_TRUE(b && src && disk_data);
	fill(disk_data, len, 5);
	ASSERT_EQ(virtio_blk_write(b, 30000, kernel_map, (vm_offset_t)disk_data, len), KERN_SUCCESS);
	fill(src, len, 6);
	ASSERT_EQ(vm_map_copyin(kernel_map, (vm_offset_t)src, len, FALSE, &copy), KERN_SUCCESS);
	ASSERT_EQ(vm_map_copyout(kernel_map, &dst, copy), KERN_SUCCESS);
	EXPECT_EQ(virtio_blk_read(b, 30000, kernel_map, dst, len), KERN_SUCCESS);
	EXPECT_EQ(mismatches((uint8_t *)dst, len, 5), 0);
	EXPECT_EQ(mismatches(src, len, 6), 0);
	EXPECT_EQ(vm_deallocate(kernel_map, dst, len), KERN_SUCCESS);
	kmem_free(kernel_map, (vm_offset_t)src, len);
	kmem_free(kernel_map, (vm_offset_t)disk_data, len);
}

/*
 * A prepared buffer outlives vm_deallocate of its range: the entry goes at
 * once, but the pages stay wired and allocated until dma_desc_complete, so
 * what the device writes after the deallocate lands in them and never in
 * memory handed out since.  Then complete frees them.
 */
KTEST(blk, prepared_memory_outlives_deallocate)
{
	const uint64_t n = 4, len = ptoa(n), fresh_pages = 64;
	struct virtio_blk *b = disk("d0");
	uint8_t *disk_data = kbuf(len);
	vm_map_t map = vm_map_create(pmap_create(), PAGE_SIZE, PMAP_USER_END);
	vm_offset_t buf = 0;
	uint8_t *fresh = kbuf(ptoa(fresh_pages));
	struct dma_desc *d;
	struct virtio_blk_req req;
	vm_page_t held[4];
	uint64_t free0, wired0, free_prepared;

	ASSERT_TRUE(b && disk_data && map && fresh);
	fill(disk_data, len, 41);
	ASSERT_EQ(virtio_blk_write(b, 40000, kernel_map, (vm_offset_t)disk_data, len), KERN_SUCCESS);
	ASSERT_EQ(vm_allocate(map, &buf, len, VM_FLAGS_ANYWHERE), KERN_SUCCESS);
	ASSERT_EQ(dma_desc_create_virtual(map, buf, len, DMA_FROM_DEVICE, &d), KERN_SUCCESS);
	free0 = vm_page_free_count();
	wired0 = vm_page_wired_count();
	ASSERT_EQ(dma_desc_prepare(d, &b->vd.dma), KERN_SUCCESS);
	for (uint64_t i = 0; i < n; i++) {
		vm_paddr_t pa;

		ASSERT_EQ(pmap_extract(map->pmap, buf + ptoa(i), &pa), KERN_SUCCESS);
		held[i] = vm_page_lookup_phys(pa);
	}
	EXPECT_EQ(vm_page_wired_count(), wired0 + n);
	free_prepared = vm_page_free_count();
	EXPECT_TRUE(free_prepared <= free0 - n);

	/* Mach's choice: the deallocate succeeds, the pages stay wired and in use. */
	EXPECT_EQ(vm_deallocate(map, buf, len), KERN_SUCCESS);
	EXPECT_EQ(vm_page_wired_count(), wired0 + n);
	EXPECT_TRUE(vm_page_free_count() <= free_prepared + 2);	/* page tables only */
	for (uint64_t i = 0; i < n; i++) {
		EXPECT_TRUE(held[i]->wire_count == 1 && held[i]->object != NULL);
		EXPECT_FALSE(held[i]->flags & VM_PAGE_FREE);
	}
	/* Memory handed out now is not the held memory. */
	memset(fresh, 0xa5, ptoa(fresh_pages));
	for (uint64_t i = 0; i < fresh_pages; i++) {
		vm_paddr_t pa;

		ASSERT_EQ(pmap_extract(kernel_pmap, (vm_offset_t)fresh + ptoa(i), &pa), KERN_SUCCESS);
		for (uint64_t j = 0; j < n; j++)
			EXPECT_NE(pa, held[j]->phys_addr);
	}

	/* The device writes after the deallocate: into the held pages, nowhere else. */
	EXPECT_EQ(virtio_blk_submit(b, VIRTIO_BLK_READ, 40000, d, &req), KERN_SUCCESS);
	EXPECT_EQ(virtio_blk_wait(&req), KERN_SUCCESS);
	if (d->bounce[0] < 0)		/* bounced data reaches the pages at complete */
		for (uint64_t i = 0; i < n; i++)
			EXPECT_EQ(mismatch_at(pmap_direct_map(held[i]->phys_addr), PAGE_SIZE, 41,
					      ptoa(i)), PAGE_SIZE);
	for (uint64_t i = 0; i < ptoa(fresh_pages); i++)
		if (fresh[i] != 0xa5) {
			EXPECT_EQ(fresh[i], 0xa5);
			break;
		}

	/* Complete: the pages are unwired and freed with their object. */
	EXPECT_EQ(dma_desc_complete(d), KERN_SUCCESS);
	EXPECT_EQ(vm_page_wired_count(), wired0);
	EXPECT_TRUE(vm_page_free_count() >= free_prepared + n);
	for (uint64_t i = 0; i < n; i++)
		EXPECT_TRUE(held[i]->object == NULL);
	EXPECT_EQ(dma_desc_destroy(d), KERN_SUCCESS);
	vm_map_deallocate(map);
	kmem_free(kernel_map, (vm_offset_t)fresh, ptoa(fresh_pages));
	kmem_free(kernel_map, (vm_offset_t)disk_data, len);
}

/*
 * A fork while a device writes a prepared buffer copies that range at
 * once: the parent keeps the pages the device writes, even when it writes
 * the range itself before the device is done (a copy-on-write share would
 * move the parent's mapping to a copy the device never sees).
 */
KTEST(blk, fork_keeps_prepared_pages_with_the_parent)
{
	const uint64_t len = ptoa(2);
	struct virtio_blk *b = disk("d0");
	uint8_t *disk_data = kbuf(len);
	vm_map_t map = vm_map_create(pmap_create(), PAGE_SIZE, PMAP_USER_END), child;
	vm_offset_t buf = 0;
	struct dma_desc *d;
	struct virtio_blk_req req;
	vm_paddr_t pa, held0;

	ASSERT_TRUE(b && disk_data && map);
	fill(disk_data, len, 43);
	ASSERT_EQ(virtio_blk_write(b, 40100, kernel_map, (vm_offset_t)disk_data, len), KERN_SUCCESS);
	ASSERT_EQ(vm_allocate(map, &buf, len, VM_FLAGS_ANYWHERE), KERN_SUCCESS);
	ASSERT_EQ(dma_desc_create_virtual(map, buf, len, DMA_FROM_DEVICE, &d), KERN_SUCCESS);
	ASSERT_EQ(dma_desc_prepare(d, &b->vd.dma), KERN_SUCCESS);
	ASSERT_EQ(pmap_extract(map->pmap, buf, &held0), KERN_SUCCESS);
	ASSERT_TRUE((child = vm_map_fork(map)) != NULL);
	EXPECT_EQ(vm_fault(map, buf, VM_PROT_WRITE), KERN_SUCCESS);	/* the parent writes */
	EXPECT_EQ(virtio_blk_submit(b, VIRTIO_BLK_READ, 40100, d, &req), KERN_SUCCESS);
	EXPECT_EQ(virtio_blk_wait(&req), KERN_SUCCESS);
	EXPECT_EQ(dma_desc_complete(d), KERN_SUCCESS);
	/* The parent's mapping is still the held page, now holding the device's data. */
	ASSERT_EQ(pmap_extract(map->pmap, buf, &pa), KERN_SUCCESS);
	EXPECT_EQ(pa, held0);
	EXPECT_EQ(mismatches(pmap_direct_map(pa), PAGE_SIZE, 43), 0);
	EXPECT_EQ(dma_desc_destroy(d), KERN_SUCCESS);
	vm_map_deallocate(child);
	vm_map_deallocate(map);
	kmem_free(kernel_map, (vm_offset_t)disk_data, len);
}

KTEST(blk, bad_requests_refused)
{
	struct virtio_blk *b = disk("d0");
	uint8_t *buf = kbuf(8192);
	struct dma_desc *d, *odd;
	struct virtio_blk_req req;
	struct dma_engine other;

	ASSERT_TRUE(b && buf);
	ASSERT_EQ(dma_desc_create_virtual(kernel_map, (vm_offset_t)buf, 4096, DMA_TO_DEVICE, &d),
		  KERN_SUCCESS);
	/* Not prepared yet. */
	EXPECT_EQ(virtio_blk_submit(b, VIRTIO_BLK_WRITE, 0, d, &req), KERN_INVALID_ARGUMENT);
	ASSERT_EQ(dma_desc_prepare(d, &b->vd.dma), KERN_SUCCESS);
	/* Past the end, and straddling it. */
	EXPECT_EQ(virtio_blk_submit(b, VIRTIO_BLK_WRITE, b->capacity, d, &req), KERN_INVALID_ADDRESS);
	EXPECT_EQ(virtio_blk_submit(b, VIRTIO_BLK_WRITE, b->capacity - 4, d, &req),
		  KERN_INVALID_ADDRESS);
	EXPECT_EQ(virtio_blk_submit(b, VIRTIO_BLK_WRITE, UINT64_MAX - 2, d, &req), KERN_INVALID_ADDRESS);
	/* A buffer the device may only read cannot take a read. */
	EXPECT_EQ(virtio_blk_submit(b, VIRTIO_BLK_READ, 0, d, &req), KERN_INVALID_ARGUMENT);
	EXPECT_EQ(virtio_blk_submit(b, (enum virtio_blk_op)77, 0, d, &req), KERN_INVALID_ARGUMENT);
	EXPECT_EQ(virtio_blk_submit(b, VIRTIO_BLK_WRITE, 0, NULL, &req), KERN_INVALID_ARGUMENT);
	EXPECT_EQ(virtio_blk_submit(NULL, VIRTIO_BLK_WRITE, 0, d, &req), KERN_INVALID_ARGUMENT);
	EXPECT_EQ(dma_desc_complete(d), KERN_SUCCESS);
	/* Used after complete. */
	EXPECT_EQ(virtio_blk_submit(b, VIRTIO_BLK_WRITE, 0, d, &req), KERN_INVALID_ARGUMENT);
	/* Prepared on another device's engine. */
	ASSERT_EQ(dma_engine_init(&other, "other", DMA_BACKEND_PASSTHROUGH, UINT64_MAX, 0, 0), KERN_SUCCESS);
	ASSERT_EQ(dma_desc_prepare(d, &other), KERN_SUCCESS);
	EXPECT_EQ(virtio_blk_submit(b, VIRTIO_BLK_WRITE, 0, d, &req), KERN_INVALID_ARGUMENT);
	EXPECT_EQ(dma_desc_complete(d), KERN_SUCCESS);
	EXPECT_EQ(dma_desc_destroy(d), KERN_SUCCESS);
	/* A length that is not a whole number of sectors. */
	ASSERT_EQ(dma_desc_create_virtual(kernel_map, (vm_offset_t)buf, 1000, DMA_TO_DEVICE, &odd),
		  KERN_SUCCESS);
	ASSERT_EQ(dma_desc_prepare(odd, &b->vd.dma), KERN_SUCCESS);
	EXPECT_EQ(virtio_blk_submit(b, VIRTIO_BLK_WRITE, 0, odd, &req), KERN_INVALID_ARGUMENT);
	EXPECT_EQ(dma_desc_complete(odd), KERN_SUCCESS);
	EXPECT_EQ(dma_desc_destroy(odd), KERN_SUCCESS);
	EXPECT_EQ(virtio_blk_read(b, 0, kernel_map, (vm_offset_t)buf, 100), KERN_INVALID_ARGUMENT);
	EXPECT_EQ(virtio_blk_read(b, b->capacity, kernel_map, (vm_offset_t)buf, 512),
		  KERN_INVALID_ADDRESS);
	/* Unmapped memory. */
	EXPECT_EQ(virtio_blk_read(b, 0, kernel_map, hole(), 4096),
		  KERN_INVALID_ADDRESS);
	if (virtio_blk_find("ro")) {
		EXPECT_EQ(virtio_blk_write(virtio_blk_find("ro"), 0, kernel_map, (vm_offset_t)buf, 4096),
			  KERN_PROTECTION_FAILURE);
		EXPECT_EQ(virtio_blk_read(virtio_blk_find("ro"), 0, kernel_map, (vm_offset_t)buf, 4096),
			  KERN_SUCCESS);
	}
	kmem_free(kernel_map, (vm_offset_t)buf, 8192);
}

/*
 * blkdebug fails reads touching sector 64: exactly that request fails.  The
 * reads are 8 sectors every 16, so that the device cannot merge neighbours
 * into one I/O; request 4 covers sectors 64-71.
 */
KTEST(blk, injected_error_fails_only_its_request)
{
	struct virtio_blk *b = disk("bad");
	struct dma_desc *d[16];
	struct virtio_blk_req req[16];
	kern_return_t kr[16];
	uint64_t errors0;
	uint8_t *buf;

	if (!b)
		return;
	buf = kbuf(32 * 4096);
	ASSERT_TRUE(buf != NULL);
	fill(buf, 32 * 4096, 3);
	EXPECT_EQ(virtio_blk_write(b, 0, kernel_map, (vm_offset_t)buf, 32 * 4096), KERN_SUCCESS);
	memset(buf, 0, 32 * 4096);
	errors0 = b->stats.errors;
	for (int i = 0; i < 16; i++) {
		ASSERT_EQ(dma_desc_create_virtual(kernel_map, (vm_offset_t)buf + i * 8192, 4096,
						  DMA_FROM_DEVICE, &d[i]), KERN_SUCCESS);
		ASSERT_EQ(dma_desc_prepare(d[i], &b->vd.dma), KERN_SUCCESS);
		kr[i] = virtio_blk_submit(b, VIRTIO_BLK_READ, (uint64_t)i * 16, d[i], &req[i]);
	}
	for (int i = 0; i < 16; i++) {
		if (kr[i] == KERN_SUCCESS)
			kr[i] = virtio_blk_wait(&req[i]);
		dma_desc_complete(d[i]);
		dma_desc_destroy(d[i]);
	}
	for (int i = 0; i < 16; i++) {
		EXPECT_EQ(kr[i], i == 4 ? KERN_MEMORY_ERROR : KERN_SUCCESS);
		if (i != 4)
			EXPECT_EQ(mismatch_at(buf + i * 8192, 4096, 3, (uint64_t)i * 8192), 4096);
	}
	EXPECT_EQ(b->stats.errors - errors0, 1);
	/* The disk keeps working: the same error again, neighbours fine. */
	EXPECT_EQ(virtio_blk_read(b, 64, kernel_map, (vm_offset_t)buf, 512), KERN_MEMORY_ERROR);
	EXPECT_EQ(virtio_blk_read(b, 72, kernel_map, (vm_offset_t)buf, 4096), KERN_SUCCESS);
	EXPECT_EQ(virtio_blk_write(b, 64, kernel_map, (vm_offset_t)buf, 4096), KERN_SUCCESS);
	EXPECT_FALSE(b->vd.failed);
	kmem_free(kernel_map, (vm_offset_t)buf, 32 * 4096);
}

KTEST(blk, descriptor_rules)
{
	struct virtio_blk *b = disk("d0");
	uint8_t *buf = kbuf(4096);
	struct dma_desc *d;
	const struct dma_segment *segs;
	uint32_t n;
	uint64_t wired0 = vm_page_wired_count();

	ASSERT_TRUE(b && buf);
	EXPECT_EQ(dma_desc_create_virtual(NULL, (vm_offset_t)buf, 4096, DMA_TO_DEVICE, &d),
		  KERN_INVALID_ARGUMENT);
	EXPECT_EQ(dma_desc_create_virtual(kernel_map, (vm_offset_t)buf, 0, DMA_TO_DEVICE, &d),
		  KERN_INVALID_ARGUMENT);
	EXPECT_EQ(dma_desc_create_virtual(kernel_map, UINT64_MAX - 100, 4096, DMA_TO_DEVICE, &d),
		  KERN_INVALID_ARGUMENT);
	EXPECT_EQ(dma_desc_create_virtual(kernel_map, (vm_offset_t)buf, DMA_MAX_LEN + 1, DMA_TO_DEVICE,
					  &d), KERN_INVALID_ARGUMENT);
	EXPECT_EQ(dma_desc_create_virtual(kernel_map, (vm_offset_t)buf, 4096, (enum dma_direction)0, &d),
		  KERN_INVALID_ARGUMENT);
	ASSERT_EQ(dma_desc_create_virtual(kernel_map, (vm_offset_t)buf, 4096, DMA_BIDIRECTIONAL, &d),
		  KERN_SUCCESS);
	EXPECT_EQ(dma_desc_segments(d, &segs, &n), KERN_INVALID_ARGUMENT);	/* not prepared */
	EXPECT_EQ(dma_desc_complete(d), KERN_INVALID_ARGUMENT);
	ASSERT_EQ(dma_desc_prepare(d, &b->vd.dma), KERN_SUCCESS);
	EXPECT_EQ(vm_page_wired_count(), wired0);	/* kmem pages are wired already: counted once */
	EXPECT_EQ(dma_desc_prepare(d, &b->vd.dma), KERN_INVALID_ARGUMENT);
	EXPECT_EQ(dma_desc_destroy(d), KERN_INVALID_ARGUMENT);		/* still prepared */
	EXPECT_EQ(dma_desc_segments(d, &segs, &n), KERN_SUCCESS);
	EXPECT_EQ(n, 1);
	EXPECT_EQ(dma_desc_complete(d), KERN_SUCCESS);
	EXPECT_EQ(dma_desc_complete(d), KERN_INVALID_ARGUMENT);
	EXPECT_EQ(dma_desc_segments(d, &segs, &n), KERN_INVALID_ARGUMENT);	/* after complete */
	EXPECT_EQ(dma_desc_destroy(d), KERN_SUCCESS);
	/* A hole in the map: nothing to wire. */
	ASSERT_EQ(dma_desc_create_virtual(kernel_map, hole(), 4096, DMA_TO_DEVICE, &d),
		  KERN_SUCCESS);
	EXPECT_EQ(dma_desc_prepare(d, &b->vd.dma), KERN_INVALID_ADDRESS);
	EXPECT_EQ(dma_desc_destroy(d), KERN_SUCCESS);
	/* The device may not write memory mapped read-only. */
	ASSERT_EQ(vm_protect(kernel_map, (vm_offset_t)buf, 4096, FALSE, VM_PROT_READ), KERN_SUCCESS);
	ASSERT_EQ(dma_desc_create_virtual(kernel_map, (vm_offset_t)buf, 4096, DMA_FROM_DEVICE, &d),
		  KERN_SUCCESS);
	EXPECT_EQ(dma_desc_prepare(d, &b->vd.dma), KERN_PROTECTION_FAILURE);
	EXPECT_EQ(dma_desc_destroy(d), KERN_SUCCESS);
	EXPECT_EQ(vm_page_wired_count(), wired0);
	kmem_free(kernel_map, (vm_offset_t)buf, 4096);
}

/*
 * lose_doorbell: make q's next doorbell look unneeded, as a stale read of
 * avail_event would (virtio 1.1, 2.7.10: the word after the used ring):
 * the device sets it again only when it next looks at the ring.
 */
static void lose_doorbell(struct virtq *q)
{
	volatile uint16_t *avail_event =
		(volatile uint16_t *)((char *)q->ring + q->used_off + 4 + 8ul * q->size);

	spin_lock(&q->lock);
	*avail_event = (uint16_t)(q->avail_idx + 0x8000);
	spin_unlock(&q->lock);
}

/*
 * lose_interrupt: make the device skip q's next interrupt, as a stale read
 * of used_event would (virtio 1.1, 2.6.10: the word after the available
 * ring): the driver sets it again when it next takes the used ring.
 */
static void lose_interrupt(struct virtq *q)
{
	struct virtq_bus *b = q->bus;	/* behind the IOMMU the device reads the bus's rings */
	struct spinlock *lock = b ? &b->lock : &q->lock;
	uint16_t size = b ? b->size : q->size;
	uint16_t *avail = (uint16_t *)((char *)(b ? b->ring : q->ring) + 16ul * size);

	spin_lock(lock);
	__atomic_store_n(&avail[2 + size], (uint16_t)((b ? b->last_used : q->last_used) + 0x8000),
			 __ATOMIC_SEQ_CST);
	spin_unlock(lock);
}

/*
 * A completion whose interrupt never comes is taken by its waiter after a
 * slice and the late wait, counted lost (not late) and reported; the next
 * request is answered by its interrupt again.  Without the rescue the
 * request times out.
 */
KTEST(blk, lost_interrupt_is_rescued_and_counted)
{
	struct virtio_blk *b = disk("d0");
	uint8_t *buf = kbuf(4096);
	uint64_t rescued, late;

	ASSERT_TRUE(b && buf);
	ASSERT_TRUE(b->q->event_idx);
	fill(buf, 4096, 9);
	ASSERT_EQ(virtio_blk_write(b, 301, kernel_map, (vm_offset_t)buf, 4096), KERN_SUCCESS);
	memset(buf, 0, 4096);
	rescued = b->q->stats.rescued;
	late = b->q->stats.late;
	lose_interrupt(b->q);
	EXPECT_EQ(virtio_blk_read(b, 301, kernel_map, (vm_offset_t)buf, 4096), KERN_SUCCESS);
	EXPECT_EQ(mismatches(buf, 4096, 9), 0);
	EXPECT_EQ(b->q->stats.rescued, rescued + 1);
	EXPECT_EQ(b->q->stats.late, late);
	/* Interrupts come again: the next request is answered by one. */
	rescued = b->q->stats.rescued;
	EXPECT_EQ(virtio_blk_read(b, 301, kernel_map, (vm_offset_t)buf, 4096), KERN_SUCCESS);
	EXPECT_EQ(b->q->stats.rescued, rescued);
	EXPECT_FALSE(b->vd.failed);
	kmem_free(kernel_map, (vm_offset_t)buf, 4096);
}

/*
 * A doorbell the device never heard is rung again after a slice, by a
 * sleeping waiter and by a polling one.  QEMU's single-threaded TCG loses
 * them (it drops the fence between writing avail->idx and reading
 * avail_event); without the second ring the request times out.
 */
KTEST(blk, missed_doorbell_is_rung_again)
{
	struct virtio_blk *b = disk("d0");
	struct virtio_blk_req req;
	struct dma_desc *d;
	uint8_t *buf = kbuf(4096);
	uint64_t suppressed, rerung;

	ASSERT_TRUE(b && buf);
	ASSERT_TRUE(b->q->event_idx);
	fill(buf, 4096, 7);
	ASSERT_EQ(virtio_blk_write(b, 300, kernel_map, (vm_offset_t)buf, 4096), KERN_SUCCESS);
	memset(buf, 0, 4096);
	suppressed = b->q->stats.suppressed;
	rerung = b->q->stats.rerung;
	lose_doorbell(b->q);
	EXPECT_EQ(virtio_blk_read(b, 300, kernel_map, (vm_offset_t)buf, 4096), KERN_SUCCESS);
	EXPECT_EQ(mismatches(buf, 4096, 7), 0);
	EXPECT_EQ(b->q->stats.suppressed, suppressed + 1);
	EXPECT_GE(b->q->stats.rerung, rerung + 1);
	/* Polled: interrupts off from submit to answer. */
	memset(buf, 0, 4096);
	ASSERT_EQ(dma_desc_create_virtual(kernel_map, (vm_offset_t)buf, 4096, DMA_FROM_DEVICE, &d),
		  KERN_SUCCESS);
	ASSERT_EQ(dma_desc_prepare(d, &b->vd.dma), KERN_SUCCESS);
	rerung = b->q->stats.rerung;
	lose_doorbell(b->q);
	intr_push_off();
	EXPECT_EQ(virtio_blk_submit(b, VIRTIO_BLK_READ, 300, d, &req), KERN_SUCCESS);
	EXPECT_EQ(virtio_blk_wait(&req), KERN_SUCCESS);
	intr_pop_off();
	EXPECT_GE(b->q->stats.rerung, rerung + 1);
	EXPECT_EQ(dma_desc_complete(d), KERN_SUCCESS);
	EXPECT_EQ(dma_desc_destroy(d), KERN_SUCCESS);
	EXPECT_EQ(mismatches(buf, 4096, 7), 0);
	EXPECT_FALSE(b->vd.failed);
	kmem_free(kernel_map, (vm_offset_t)buf, 4096);
}

/*
 * A request the device does not answer in time fails, and so does the
 * device.  The throttle lets a first burst through, then holds requests for
 * minutes: one of the first two 1 MiB writes must time out.
 */
KTEST(blk, unanswered_request_times_out)
{
	struct virtio_blk *b = disk("slow"), *good = virtio_blk_find("d0");
	kern_return_t kr = KERN_SUCCESS;
	int tries = 0;
	uint8_t *buf;

	if (!b)
		return;
	buf = kbuf(1 << 20);
	ASSERT_TRUE(buf != NULL);
	b->vd.timeout_ns = 500 * 1000 * 1000ull;
	while (kr == KERN_SUCCESS && tries++ < 2)
		kr = virtio_blk_write(b, 0, kernel_map, (vm_offset_t)buf, 1 << 20);
	EXPECT_EQ(kr, KERN_OPERATION_TIMED_OUT);
	EXPECT_TRUE(b->vd.failed);
	EXPECT_EQ(virtio_blk_read(b, 0, kernel_map, (vm_offset_t)buf, 4096), KERN_ABORTED);
	/* Other disks are not affected. */
	ASSERT_TRUE(good != NULL);
	EXPECT_EQ(virtio_blk_read(good, 0, kernel_map, (vm_offset_t)buf, 4096), KERN_SUCCESS);
	kmem_free(kernel_map, (vm_offset_t)buf, 1 << 20);
}
