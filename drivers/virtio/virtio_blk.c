/*
 * virtio_blk.c: virtio block driver (see virtio_blk.h).
 */
#include <string.h>

#include "drivers/virtio/virtio_blk.h"
#include "kern/kernel.h"
#include "kern/thread.h"
#include "vm/xmalloc.h"

#define VIRTIO_BLK_BATCH	8	/* chunks a synchronous transfer keeps in flight */
#define VIRTIO_BLK_NO_SLOT	0xffff

static struct virtio_blk *blk_devs[VIRTIO_BLK_MAX_DEVICES];
static int blk_ndevs;
VIRTIO_DMA_TUNABLES(virtio_blk, "virtio_blk");

int virtio_blk_count(void)
{
	return blk_ndevs;
}

struct virtio_blk *virtio_blk_get(int i)
{
	return i >= 0 && i < blk_ndevs ? blk_devs[i] : NULL;
}

struct virtio_blk *virtio_blk_find(const char *serial)
{
	for (int i = 0; i < blk_ndevs; i++)
		if (strcmp(blk_devs[i]->serial, serial) == 0)
			return blk_devs[i];
	return NULL;
}

/* --- request slots ---------------------------------------------------------- */

static uint16_t virtio_blk_slot_take(struct virtio_blk *blk)
{
	uint16_t s;

	spin_lock(&blk->slot_lock);
	while (blk->slot_nfree == 0) {
		blk->slot_waiters++;
		thread_sleep(&blk->slot_nfree, &blk->slot_lock);
		blk->slot_waiters--;
	}
	s = blk->slot_free[--blk->slot_nfree];
	spin_unlock(&blk->slot_lock);
	return s;
}

static void virtio_blk_slot_put(struct virtio_blk *blk, uint16_t s)
{
	bool wake;

	spin_lock(&blk->slot_lock);
	blk->slot_free[blk->slot_nfree++] = s;
	wake = blk->slot_waiters != 0;
	spin_unlock(&blk->slot_lock);
	if (wake)
		thread_wakeup(&blk->slot_nfree);
}

static uint64_t virtio_blk_slot_io(const struct virtio_blk *blk, uint16_t s, size_t field)
{
	return blk->slots_io + (uint64_t)s * sizeof(struct virtio_blk_slot_mem) + field;
}

/* --- requests --------------------------------------------------------------- */

/* virtio_blk_check_data: validate a READ/WRITE buffer; its segments in *segs, *n. */
static kern_return_t virtio_blk_check_data(struct virtio_blk *blk, enum virtio_blk_op op,
					   uint64_t sector, struct dma_desc *buf,
					   const struct dma_segment **segs, uint32_t *n)
{
	enum dma_direction need = op == VIRTIO_BLK_READ ? DMA_FROM_DEVICE : DMA_TO_DEVICE;
	uint64_t nsect;

	if (!buf || dma_desc_segments(buf, segs, n) != KERN_SUCCESS || buf->eng != &blk->vd.dma ||
	    !(buf->dir & need) || buf->len % VIRTIO_BLK_SECTOR || *n > blk->seg_max)
		return KERN_INVALID_ARGUMENT;
	for (uint32_t i = 0; blk->size_max && i < *n; i++)
		if ((*segs)[i].len > blk->size_max)
			return KERN_INVALID_ARGUMENT;
	nsect = buf->len / VIRTIO_BLK_SECTOR;
	if (sector >= blk->capacity || nsect > blk->capacity - sector)
		return KERN_INVALID_ADDRESS;
	if (op == VIRTIO_BLK_WRITE && blk->read_only)
		return KERN_PROTECTION_FAILURE;
	return KERN_SUCCESS;
}

kern_return_t virtio_blk_submit(struct virtio_blk *blk, enum virtio_blk_op op, uint64_t sector,
				struct dma_desc *buf, struct virtio_blk_req *req)
{
	const struct dma_segment *data = NULL;
	uint32_t ndata = 0;
	kern_return_t kr;

	if (!blk || !req)
		return KERN_INVALID_ARGUMENT;
	if (op == VIRTIO_BLK_READ || op == VIRTIO_BLK_WRITE) {
		kr = virtio_blk_check_data(blk, op, sector, buf, &data, &ndata);
		if (kr != KERN_SUCCESS)
			return kr;
	}
	return virtio_blk_submit_segments(blk, op, sector, data, ndata, req);
}

kern_return_t virtio_blk_submit_segments(struct virtio_blk *blk, enum virtio_blk_op op,
					 uint64_t sector, const struct dma_segment *data,
					 uint32_t ndata, struct virtio_blk_req *req)
{
	struct dma_segment hdr, status, id;
	struct virtq_sg sg[3];
	int nsg = 0;
	kern_return_t kr;
	uint16_t s;

	if (!blk || !req || (ndata && !data) || ndata > blk->seg_max ||
	    ((op == VIRTIO_BLK_READ || op == VIRTIO_BLK_WRITE) != (ndata != 0)))
		return KERN_INVALID_ARGUMENT;
	*req = (struct virtio_blk_req){ .blk = blk, .op = op, .slot = VIRTIO_BLK_NO_SLOT };
	for (uint32_t i = 0; i < ndata; i++)
		req->bytes += data[i].len;
	if (op == VIRTIO_BLK_FLUSH || op == VIRTIO_BLK_GET_ID)
		sector = 0;
	else if (op != VIRTIO_BLK_READ && op != VIRTIO_BLK_WRITE)
		return KERN_INVALID_ARGUMENT;
	if (op == VIRTIO_BLK_FLUSH && !blk->has_flush) {
		req->vq.done = true;		/* no volatile cache: nothing to flush */
		return KERN_SUCCESS;
	}
	if (__atomic_load_n(&blk->vd.failed, __ATOMIC_ACQUIRE))
		return KERN_ABORTED;
	s = virtio_blk_slot_take(blk);
	blk->slots[s] = (struct virtio_blk_slot_mem){ .type = op, .sector = sector, .status = 0xff };
	hdr = (struct dma_segment){ virtio_blk_slot_io(blk, s, 0), 16 };
	status = (struct dma_segment){
		virtio_blk_slot_io(blk, s, offsetof(struct virtio_blk_slot_mem, status)), 1 };
	id = (struct dma_segment){ virtio_blk_slot_io(blk, s, offsetof(struct virtio_blk_slot_mem, id)),
				   VIRTIO_BLK_ID_BYTES };
	sg[nsg++] = (struct virtq_sg){ &hdr, 1, false };
	if (ndata)
		sg[nsg++] = (struct virtq_sg){ data, ndata, op == VIRTIO_BLK_READ };
	else if (op == VIRTIO_BLK_GET_ID)
		sg[nsg++] = (struct virtq_sg){ &id, 1, true };
	sg[nsg++] = (struct virtq_sg){ &status, 1, true };
	req->slot = s;
	kr = virtq_submit(blk->q, &req->vq, sg, nsg);
	if (kr != KERN_SUCCESS) {
		virtio_blk_slot_put(blk, s);
		req->slot = VIRTIO_BLK_NO_SLOT;
	}
	return kr;
}

static kern_return_t virtio_blk_status(uint8_t status)
{
	switch (status) {
	case VIRTIO_BLK_S_OK:
		return KERN_SUCCESS;
	case VIRTIO_BLK_S_IOERR:
		return KERN_MEMORY_ERROR;
	case VIRTIO_BLK_S_UNSUPP:
		return KERN_NOT_SUPPORTED;
	default:
		return KERN_FAILURE;
	}
}

static void virtio_blk_account(struct virtio_blk *blk, const struct virtio_blk_req *req,
			       kern_return_t kr)
{
	struct virtio_blk_stats *st = &blk->stats;

	if (kr != KERN_SUCCESS) {
		__atomic_fetch_add(&st->errors, 1, __ATOMIC_RELAXED);
	} else if (req->op == VIRTIO_BLK_READ) {
		__atomic_fetch_add(&st->reads, 1, __ATOMIC_RELAXED);
		__atomic_fetch_add(&st->bytes_read, req->bytes, __ATOMIC_RELAXED);
	} else if (req->op == VIRTIO_BLK_WRITE) {
		__atomic_fetch_add(&st->writes, 1, __ATOMIC_RELAXED);
		__atomic_fetch_add(&st->bytes_written, req->bytes, __ATOMIC_RELAXED);
	} else if (req->op == VIRTIO_BLK_FLUSH) {
		__atomic_fetch_add(&st->flushes, 1, __ATOMIC_RELAXED);
	}
}

kern_return_t virtio_blk_wait(struct virtio_blk_req *req)
{
	struct virtio_blk *blk = req->blk;
	kern_return_t kr;

	if (req->slot == VIRTIO_BLK_NO_SLOT)
		return req->vq.done ? KERN_SUCCESS : KERN_INVALID_ARGUMENT;
	kr = virtq_wait(blk->q, &req->vq);
	if (kr == KERN_SUCCESS)		/* nothing written, not even the status: an I/O error */
		kr = req->vq.used_len ? virtio_blk_status(blk->slots[req->slot].status)
				      : KERN_MEMORY_ERROR;
	virtio_blk_slot_put(blk, req->slot);
	req->slot = VIRTIO_BLK_NO_SLOT;
	virtio_blk_account(blk, req, kr);
	return kr;
}

/* --- synchronous I/O -------------------------------------------------------- */

struct virtio_blk_chunk {
	struct dma_desc *desc;
	struct virtio_blk_req req;
	bool submitted;
};

/* virtio_blk_chunk_start: describe, prepare and submit one piece. */
static kern_return_t virtio_blk_chunk_start(struct virtio_blk *blk, enum virtio_blk_op op,
					    uint64_t sector, vm_map_t map, vm_offset_t addr,
					    vm_size_t len, struct virtio_blk_chunk *c)
{
	enum dma_direction dir = op == VIRTIO_BLK_READ ? DMA_FROM_DEVICE : DMA_TO_DEVICE;
	kern_return_t kr = dma_desc_create_virtual(map, addr, len, dir, &c->desc);

	c->submitted = false;
	if (kr != KERN_SUCCESS)
		return kr;
	kr = dma_desc_prepare(c->desc, &blk->vd.dma);
	if (kr == KERN_SUCCESS) {
		kr = virtio_blk_submit(blk, op, sector, c->desc, &c->req);
		if (kr == KERN_SUCCESS)
			c->submitted = true;
		else
			dma_desc_complete(c->desc);
	}
	if (kr != KERN_SUCCESS) {
		dma_desc_destroy(c->desc);
		c->desc = NULL;
	}
	return kr;
}

/* virtio_blk_chunk_finish: wait for a submitted piece and release its descriptor. */
static kern_return_t virtio_blk_chunk_finish(struct virtio_blk_chunk *c)
{
	kern_return_t kr = virtio_blk_wait(&c->req);

	dma_desc_complete(c->desc);
	dma_desc_destroy(c->desc);
	return kr;
}

/*
 * virtio_blk_rw: transfer [addr, addr + len) in pieces of at most seg_max
 * pages (each piece fits one request whatever its physical layout),
 * keeping up to VIRTIO_BLK_BATCH pieces in flight.
 * => the first error of any piece; every piece is waited for
 */
static kern_return_t virtio_blk_rw(struct virtio_blk *blk, enum virtio_blk_op op, uint64_t sector,
				   vm_map_t map, vm_offset_t addr, vm_size_t len)
{
	uint64_t piece = MAX(1u, blk->seg_max - 1) * PAGE_SIZE;
	struct virtio_blk_chunk c[VIRTIO_BLK_BATCH];
	kern_return_t kr = KERN_SUCCESS;

	if (!blk || !map || len == 0 || len % VIRTIO_BLK_SECTOR || addr + len < addr)
		return KERN_INVALID_ARGUMENT;
	if (blk->size_max && blk->size_max < PAGE_SIZE)
		piece = MIN(piece, (uint64_t)blk->size_max * (blk->seg_max - 1)) & ~511ul;
	while (len && kr == KERN_SUCCESS) {
		int n = 0;

		for (; n < VIRTIO_BLK_BATCH && len; n++) {
			vm_size_t l = MIN(len, piece);

			kr = virtio_blk_chunk_start(blk, op, sector, map, addr, l, &c[n]);
			if (kr != KERN_SUCCESS)
				break;
			sector += l / VIRTIO_BLK_SECTOR, addr += l, len -= l;
		}
		for (int i = 0; i < n; i++) {
			kern_return_t r = virtio_blk_chunk_finish(&c[i]);

			if (kr == KERN_SUCCESS)
				kr = r;
		}
	}
	return kr;
}

kern_return_t virtio_blk_read(struct virtio_blk *blk, uint64_t sector, vm_map_t map, vm_offset_t addr,
			      vm_size_t len)
{
	return virtio_blk_rw(blk, VIRTIO_BLK_READ, sector, map, addr, len);
}

kern_return_t virtio_blk_write(struct virtio_blk *blk, uint64_t sector, vm_map_t map,
			       vm_offset_t addr, vm_size_t len)
{
	return virtio_blk_rw(blk, VIRTIO_BLK_WRITE, sector, map, addr, len);
}

kern_return_t virtio_blk_flush(struct virtio_blk *blk)
{
	struct virtio_blk_req req;
	kern_return_t kr = virtio_blk_submit(blk, VIRTIO_BLK_FLUSH, 0, NULL, &req);

	return kr == KERN_SUCCESS ? virtio_blk_wait(&req) : kr;
}

kern_return_t virtio_blk_get_id(struct virtio_blk *blk, char id[VIRTIO_BLK_ID_BYTES + 1])
{
	struct virtio_blk_req req;
	kern_return_t kr = virtio_blk_submit(blk, VIRTIO_BLK_GET_ID, 0, NULL, &req);
	uint16_t s = req.slot;

	if (kr != KERN_SUCCESS)
		return kr;
	/* The slot is free again once wait returns, but nothing reuses it before we copy. */
	kr = virtq_wait(blk->q, &req.vq);
	if (kr == KERN_SUCCESS)
		kr = virtio_blk_status(blk->slots[s].status);
	if (kr == KERN_SUCCESS) {
		memcpy(id, blk->slots[s].id, VIRTIO_BLK_ID_BYTES);
		id[VIRTIO_BLK_ID_BYTES] = '\0';
	}
	virtio_blk_slot_put(blk, s);
	virtio_blk_account(blk, &req, kr);
	return kr;
}

/* --- attach ----------------------------------------------------------------- */

static void virtio_blk_read_config(struct virtio_blk *blk)
{
	struct virtio_device *vd = &blk->vd;

	blk->capacity = virtio_config_read64(vd, VIRTIO_BLK_CFG_CAPACITY);
	blk->seg_max = virtio_has_feature(vd, VIRTIO_BLK_F_SEG_MAX)
		     ? virtio_config_read32(vd, VIRTIO_BLK_CFG_SEG_MAX) : 1;
	blk->size_max = virtio_has_feature(vd, VIRTIO_BLK_F_SIZE_MAX)
		      ? virtio_config_read32(vd, VIRTIO_BLK_CFG_SIZE_MAX) : 0;
	blk->blk_size = virtio_has_feature(vd, VIRTIO_BLK_F_BLK_SIZE)
		      ? virtio_config_read32(vd, VIRTIO_BLK_CFG_BLK_SIZE) : VIRTIO_BLK_SECTOR;
	blk->read_only = virtio_has_feature(vd, VIRTIO_BLK_F_RO);
	blk->has_flush = virtio_has_feature(vd, VIRTIO_BLK_F_FLUSH);
}

/* virtio_blk_slots_init: per-request headers, one for each queue entry. */
static kern_return_t virtio_blk_slots_init(struct virtio_blk *blk)
{
	void *kva;

	blk->nslots = blk->q->size;
	spin_init(&blk->slot_lock, "virtio_blk_slots");
	blk->slot_free = (uint16_t *)xmalloc(blk->nslots * (int)sizeof(uint16_t), 3, pinned_heap);
	if (!blk->slot_free || dma_alloc_coherent(&blk->vd.dma, blk->nslots * sizeof(*blk->slots),
						  &kva, &blk->slots_io) != KERN_SUCCESS)
		return KERN_RESOURCE_SHORTAGE;
	blk->slots = kva;
	for (uint16_t i = 0; i < blk->nslots; i++)
		blk->slot_free[i] = (uint16_t)(blk->nslots - 1 - i);
	blk->slot_nfree = blk->nslots;
	return KERN_SUCCESS;
}

static void virtio_blk_free(struct virtio_blk *blk, bool attached)
{
	if (attached)
		virtio_device_detach(&blk->vd);	/* reset first: the device lets go of memory */
	if (blk->slots)
		dma_free_coherent(&blk->vd.dma, blk->nslots * sizeof(*blk->slots), blk->slots,
				  blk->slots_io);
	if (blk->slot_free)
		xmfree((caddr_t)blk->slot_free, pinned_heap);
	xmfree((caddr_t)blk, pinned_heap);
}

static kern_return_t virtio_blk_attach(struct pci_device *pd)
{
	const uint64_t wanted = VIRTIO_BIT(VIRTIO_BLK_F_SIZE_MAX) | VIRTIO_BIT(VIRTIO_BLK_F_SEG_MAX) |
		VIRTIO_BIT(VIRTIO_BLK_F_RO) | VIRTIO_BIT(VIRTIO_BLK_F_BLK_SIZE) |
		VIRTIO_BIT(VIRTIO_BLK_F_FLUSH) | VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC) |
		VIRTIO_BIT(VIRTIO_F_EVENT_IDX);
	enum dma_backend_kind dma;
	uint64_t dma_limit;
	struct virtio_blk *blk;
	kern_return_t kr;

	if (blk_ndevs == VIRTIO_BLK_MAX_DEVICES) {
		kprintf("virtio-blk %02x:%02x.%x: not attached: %d disks at most\n", pd->bus, pd->dev,
			pd->fn, VIRTIO_BLK_MAX_DEVICES);
		return KERN_RESOURCE_SHORTAGE;
	}
	blk = (struct virtio_blk *)xmalloc(sizeof(*blk), 3, pinned_heap);
	if (!blk)
		return KERN_RESOURCE_SHORTAGE;
	memset(blk, 0, sizeof(*blk));
	virtio_dma_choice(&virtio_blk_dma, &virtio_blk_dma_bits, blk_ndevs, &dma, &dma_limit);
	kr = virtio_pci_attach(&blk->vd, pd, "virtio-blk", wanted, dma, dma_limit);
	if (kr != KERN_SUCCESS) {
		virtio_blk_free(blk, false);
		return kr;
	}
	virtio_blk_read_config(blk);
	kr = virtio_queue_create(&blk->vd, 0, VIRTIO_BLK_QUEUE_MAX, &blk->q);
	if (kr == KERN_SUCCESS)
		kr = virtio_blk_slots_init(blk);
	if (kr == KERN_SUCCESS)
		kr = virtio_device_ready(&blk->vd);
	if (kr != KERN_SUCCESS) {
		kprintf("%s: not attached (%s)\n", blk->vd.name, kern_return_name(kr));
		virtio_blk_free(blk, true);
		return kr;
	}
	if (virtio_blk_get_id(blk, blk->serial) != KERN_SUCCESS)
		blk->serial[0] = '\0';
	kprintf("%s: \"%s\" %lu sectors (%lu MiB)%s, seg_max %u, queue %u%s%s, dma %s\n",
		blk->vd.name, blk->serial, blk->capacity, blk->capacity >> 11, blk->read_only ? " read-only" : "", blk->seg_max,
		blk->q->size, blk->q->indirect ? ", indirect" : "", blk->q->event_idx ? ", event_idx" : "",
		blk->vd.dma.backend->name);
	blk_devs[blk_ndevs++] = blk;
	return KERN_SUCCESS;
}

int virtio_blk_probe(void)
{
	virtio_pci_probe(VIRTIO_ID_BLOCK, virtio_blk_attach);
	return blk_ndevs;
}
