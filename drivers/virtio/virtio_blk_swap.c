/*
 * virtio_blk_swap.c: whole virtio-blk disks as segments of the default
 * pager's pool (see virtio_blk_swap.h): a cluster run moves in one
 * request, through a DMA descriptor.
 *
 *   swap=SERIAL[,SERIAL...]   the disks, found by serial
 */
#include <stdio.h>
#include <string.h>

#include "drivers/dma/dma.h"
#include "drivers/virtio/virtio_blk.h"
#include "drivers/virtio/virtio_blk_swap.h"
#include "kern/kernel.h"
#include "vm/default_pager.h"
#include "vm/xmalloc.h"

/* A request to a swap disk in flight (from pinned_heap: the pageout path makes it). */
struct swap_blk_io {
	struct virtio_blk_req req;
	struct dma_desc *d;
};

/* swap_blk_start: a cluster run to or from a disk, in one request, started. */
static kern_return_t swap_blk_start(void *dev, bool write, uint64_t slot, vm_page_t *pages,
				    uint32_t npages, void **handle)
{
	struct swap_blk_io *io = (struct swap_blk_io *)xmalloc(sizeof(*io), 3, pinned_heap);
	struct virtio_blk *b = dev;
	kern_return_t kr = io ? KERN_SUCCESS : KERN_RESOURCE_SHORTAGE;

	if (kr == KERN_SUCCESS)
		kr = dma_desc_create_pages(pages, npages, write ? DMA_TO_DEVICE : DMA_FROM_DEVICE,
					   &io->d);
	if (kr == KERN_SUCCESS) {
		kr = dma_desc_prepare(io->d, &b->vd.dma);
		if (kr == KERN_SUCCESS)
			kr = virtio_blk_submit(b, write ? VIRTIO_BLK_WRITE : VIRTIO_BLK_READ,
					       slot * (PAGE_SIZE / VIRTIO_BLK_SECTOR), io->d, &io->req);
		if (kr != KERN_SUCCESS) {
			dma_desc_complete(io->d);
			dma_desc_destroy(io->d);
		}
	}
	if (kr != KERN_SUCCESS && io)
		xmfree((caddr_t)io, pinned_heap);
	*handle = kr == KERN_SUCCESS ? io : NULL;
	return kr == KERN_SUCCESS ? KERN_SUCCESS : KERN_MEMORY_ERROR;
}

/* swap_blk_finish: wait for the request and give its descriptor back. */
static kern_return_t swap_blk_finish(void *dev, void *handle)
{
	struct swap_blk_io *io = handle;
	kern_return_t kr = virtio_blk_wait(&io->req);

	(void)dev;
	dma_desc_complete(io->d);
	dma_desc_destroy(io->d);
	xmfree((caddr_t)io, pinned_heap);
	return kr == KERN_SUCCESS ? KERN_SUCCESS : KERN_MEMORY_ERROR;
}

const struct swap_segment_ops virtio_blk_swap_ops = { .start = swap_blk_start,
						      .finish = swap_blk_finish };

#define SWAP_DISKS_MAX	DP_MAX_SEGMENTS


static const struct virtio_blk *swap_disks[SWAP_DISKS_MAX];	/* set at boot, then constant */

bool virtio_blk_swap_in_use(const struct virtio_blk *b)
{
	for (int i = 0; i < SWAP_DISKS_MAX; i++)
		if (b && swap_disks[i] == b)
			return true;
	return false;
}

/* swap_add_disk: the disk with this serial joins the pool (the nth disk). */
static kern_return_t swap_add_disk(const char *serial, int n)
{
	struct virtio_blk *b = virtio_blk_find(serial);
	char name[DP_NAME_MAX];
	kern_return_t kr;

	if (!b) {
		kprintf("swap: no disk \"%s\"\n", serial);
		return KERN_INVALID_ARGUMENT;
	}
	snprintf(name, sizeof(name), "disk:%s", serial);
	kr = default_pager_add_segment(name, &virtio_blk_swap_ops, b,
				       b->capacity / (PAGE_SIZE / VIRTIO_BLK_SECTOR), NULL);
	kprintf("swap: disk \"%s\", %lu MiB: %s\n", serial, b->capacity >> 11,
		kr == KERN_SUCCESS ? "added" : kern_return_name(kr));
	if (kr == KERN_SUCCESS && n < SWAP_DISKS_MAX) {
		swap_disks[n] = b;
		__atomic_store_n(&b->vd.timeout_ns, SWAP_IO_TIMEOUT_NS, __ATOMIC_RELAXED);
	}
	return kr;
}

int virtio_blk_swap_init(const char *serials)
{
	char list[256], *p, *next;
	int n = 0;

	snprintf(list, sizeof(list), "%s", serials);
	for (p = list; *p; p = next) {
		next = strchr(p, ',');
		if (next)
			*next++ = '\0';
		else
			next = p + strlen(p);
		n += swap_add_disk(p, n) == KERN_SUCCESS;
	}
	return n;
}
