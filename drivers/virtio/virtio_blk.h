/*
 * virtio_blk.h: virtio block devices (virtio 1.1, 5.2).
 *
 * Requests are asynchronous: virtio_blk_submit puts one on the queue (many
 * may be in flight, up to the queue's size) and virtio_blk_wait sleeps until
 * the device has answered it.  Data always travels through a prepared DMA
 * descriptor of the device's engine; the device's status byte becomes the
 * request's return code, for that request alone:
 *   VIRTIO_BLK_S_OK      KERN_SUCCESS
 *   VIRTIO_BLK_S_IOERR   KERN_MEMORY_ERROR
 *   VIRTIO_BLK_S_UNSUPP  KERN_NOT_SUPPORTED
 *   nothing written      KERN_MEMORY_ERROR (the IOMMU refused the transfer)
 * virtio_blk_read/write are the synchronous form over (map, address, length).
 *
 * Request layout (5.2.6): le32 type; le32 reserved; le64 sector | data | u8 status.
 *
 * Lock tags: kern/lock.h.
 */
#ifndef DRIVERS_VIRTIO_VIRTIO_BLK_H
#define DRIVERS_VIRTIO_VIRTIO_BLK_H

#include <stdbool.h>
#include <stdint.h>

#include "drivers/virtio/virtio.h"
#include "drivers/virtio/virtqueue.h"

#define VIRTIO_BLK_F_SIZE_MAX	1
#define VIRTIO_BLK_F_SEG_MAX	2
#define VIRTIO_BLK_F_RO		5
#define VIRTIO_BLK_F_BLK_SIZE	6
#define VIRTIO_BLK_F_FLUSH	9

/* Device configuration (5.2.4). */
#define VIRTIO_BLK_CFG_CAPACITY	0x00	/* le64, in 512-byte sectors */
#define VIRTIO_BLK_CFG_SIZE_MAX	0x08	/* le32 */
#define VIRTIO_BLK_CFG_SEG_MAX	0x0c	/* le32 */
#define VIRTIO_BLK_CFG_BLK_SIZE	0x14	/* le32 */

#define VIRTIO_BLK_T_IN		0
#define VIRTIO_BLK_T_OUT	1
#define VIRTIO_BLK_T_FLUSH	4
#define VIRTIO_BLK_T_GET_ID	8
#define VIRTIO_BLK_S_OK		0
#define VIRTIO_BLK_S_IOERR	1
#define VIRTIO_BLK_S_UNSUPP	2

#define VIRTIO_BLK_SECTOR	512
#define VIRTIO_BLK_ID_BYTES	20
#define VIRTIO_BLK_MAX_DEVICES	31	/* a device in every slot of PCI bus 0 but the host bridge's */
#define VIRTIO_BLK_QUEUE_MAX	256

enum virtio_blk_op {
	VIRTIO_BLK_READ = VIRTIO_BLK_T_IN,
	VIRTIO_BLK_WRITE = VIRTIO_BLK_T_OUT,
	VIRTIO_BLK_FLUSH = VIRTIO_BLK_T_FLUSH,
	VIRTIO_BLK_GET_ID = VIRTIO_BLK_T_GET_ID,
};

/* Per-request memory the device reads and writes besides the data. */
struct virtio_blk_slot_mem {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
	uint8_t status;
	uint8_t pad[15];
	char id[32];			/* GET_ID answer */
};

struct virtio_blk_stats {
	uint64_t reads, writes, flushes;	/* [a] requests completed */
	uint64_t bytes_read, bytes_written;	/* [a] */
	uint64_t errors;			/* [a] requests that failed on the device */
};

struct virtio_blk {
	struct virtio_device vd;
	struct virtq *q;			/* [c] */
	uint64_t capacity;			/* [c] sectors */
	uint32_t blk_size;			/* [c] logical block size */
	uint32_t seg_max;			/* [c] data segments per request */
	uint32_t size_max;			/* [c] bytes per segment, 0 = no limit */
	bool read_only, has_flush;		/* [c] */
	char serial[VIRTIO_BLK_ID_BYTES + 1];	/* [c] GET_ID at attach ("" if refused) */
	struct spinlock slot_lock;
	struct virtio_blk_slot_mem *slots;	/* [c] coherent, one per queue entry */
	uint64_t slots_io;			/* [c] */
	uint16_t *slot_free;			/* [B] stack of free slot indices */
	uint16_t slot_nfree, nslots;		/* [B], [c] */
	uint16_t slot_waiters;			/* [B] threads sleeping for a slot */
	struct virtio_blk_stats stats;
};

/* A request in flight; owned by the caller until virtio_blk_wait returns. */
struct virtio_blk_req {
	struct virtq_req vq;
	struct virtio_blk *blk;
	enum virtio_blk_op op;
	uint16_t slot;
	uint64_t bytes;
};

/*
 * virtio_blk_probe: attach every virtio block function PCI found.  The DMA
 * backend comes from the command line: virtio_blk.dma=bounce models a
 * device that only reaches the first 4 GiB; passthrough is the default.
 * => number of devices attached; failures are reported and skipped
 */
int virtio_blk_probe(void);
int virtio_blk_count(void);
struct virtio_blk *virtio_blk_get(int i);
/* virtio_blk_find: the device whose GET_ID string is `serial`, NULL if none. */
struct virtio_blk *virtio_blk_find(const char *serial);

/*
 * virtio_blk_submit: start op on `buf` (a descriptor prepared on
 * blk->vd.dma; NULL for FLUSH and GET_ID) at `sector`.
 * => KERN_INVALID_ARGUMENT: length not a multiple of 512, buffer not
 *    prepared (or prepared elsewhere, or for the wrong direction), more
 *    segments than seg_max
 * => KERN_INVALID_ADDRESS: the range runs past the end of the disk
 * => KERN_PROTECTION_FAILURE: a write to a read-only disk
 * => KERN_ABORTED: the device has been failed
 */
kern_return_t virtio_blk_submit(struct virtio_blk *blk, enum virtio_blk_op op, uint64_t sector,
				struct dma_desc *buf, struct virtio_blk_req *req);
/*
 * virtio_blk_submit_segments: start op with these data segments as they
 * are: no descriptor, engine, direction, length or disk-size check (what a
 * faulty driver would hand the device; behind the IOMMU, its translation
 * judges them).  => KERN_INVALID_ARGUMENT for an unknown op, data with
 * FLUSH or GET_ID or none with READ or WRITE, more than seg_max segments
 */
kern_return_t virtio_blk_submit_segments(struct virtio_blk *blk, enum virtio_blk_op op,
					 uint64_t sector, const struct dma_segment *data,
					 uint32_t ndata, struct virtio_blk_req *req);
/*
 * virtio_blk_wait: sleep until req is answered; its status as above.  A
 * request the device returned without writing anything (the IOMMU refused
 * it) is KERN_MEMORY_ERROR.
 */
kern_return_t virtio_blk_wait(struct virtio_blk_req *req);

/* Synchronous I/O on [addr, addr + len) of map (split as the device's limits require). */
kern_return_t virtio_blk_read(struct virtio_blk *blk, uint64_t sector, vm_map_t map, vm_offset_t addr,
			      vm_size_t len);
kern_return_t virtio_blk_write(struct virtio_blk *blk, uint64_t sector, vm_map_t map,
			       vm_offset_t addr, vm_size_t len);
kern_return_t virtio_blk_flush(struct virtio_blk *blk);
/* virtio_blk_get_id: the device's ID string (at most 20 bytes, NUL-terminated here). */
kern_return_t virtio_blk_get_id(struct virtio_blk *blk, char id[VIRTIO_BLK_ID_BYTES + 1]);

#endif
