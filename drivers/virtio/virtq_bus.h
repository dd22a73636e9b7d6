/*
 * virtq_bus.h: the bus between a virtqueue's driver and its device when
 * the device sits behind the IOMMU model.
 *
 * QEMU's devices take guest physical addresses: they cannot be put behind
 * an IOMMU that lives inside the image.  So for such a device the
 * transport gives QEMU a second set of rings, the bus rings, that only
 * this bus writes, and the bus does what the device's DMA engine would:
 *   at the doorbell  it reads the driver's new available entries, the
 *                    descriptor table and indirect tables through the
 *                    IOMMU (read access, the driver's I/O addresses),
 *                    translates every buffer with the access the device
 *                    will make (a written buffer: write access), and puts
 *                    the request on the bus ring with physical addresses,
 *                    one descriptor per physically contiguous piece (an
 *                    indirect table from the bus's pool); then rings QEMU's
 *                    doorbell if its event index asks for it;
 *   at completion    (interrupt, poll, or a waiter's rescue) it writes the
 *                    device's used entries into the driver's used ring
 *                    through the IOMMU (write access), with the driver's
 *                    heads.
 * A request any piece of which does not translate never reaches the
 * device: the IOMMU has queued the fault record, and the request comes
 * back at once with length 0 and no byte written, which drivers report as
 * an I/O error.  A driver used ring that does not translate loses the
 * entry, as a device's write would be lost: the driver's timeout acts.
 *
 * The driver's avail_event is kept at the entries the bus has taken, so
 * the driver rings for every new request; the bus itself honours QEMU's.
 *
 * Lock tags: kern/lock.h.  The IOMMU model's [M] nests inside the bus's [b].
 */
#ifndef DRIVERS_VIRTIO_VIRTQ_BUS_H
#define DRIVERS_VIRTIO_VIRTQ_BUS_H

#include <stdbool.h>
#include <stdint.h>

#include "drivers/iommu/iommu_hw.h"
#include "drivers/iommu/iova.h"
#include "drivers/virtio/virtqueue.h"
#include "kern/spinlock.h"

#define VIRTQ_BUS_POOL		2048	/* bus descriptors for indirect tables, per queue */
#define VIRTQ_BUS_CHAIN_MAX	512	/* driver descriptors one request may use */

struct virtq_bus_stats {
	uint64_t forwarded;		/* [b] requests handed to the device */
	uint64_t refused;		/* [b] requests returned unsent: a fault or a bad chain */
	uint64_t returned;		/* [b] device completions passed to the driver */
	uint64_t kicks;			/* [b] doorbells rung on the device */
	uint64_t stalls;		/* [b] forwards that waited for pool room */
	uint64_t lost;			/* [b] used entries the driver's ring did not take */
};

struct virtq_bus_slot {
	uint16_t drv_head;		/* [b] the driver's head for this bus head */
	uint32_t pool_first, pool_n;	/* [b] its indirect table in the pool */
};

struct virtq_bus {
	struct virtq *q;		/* [c] the driver's queue */
	struct iommu_hw *hw;		/* [c] */
	uint32_t device_id;		/* [c] */
	volatile uint16_t *doorbell;	/* [c] the device's notify register */
	uint16_t size;			/* [c] */
	bool event_idx;			/* [c] */
	uint64_t drv_desc, drv_avail, drv_used;	/* [c] the driver's rings, I/O addresses */
	void *ring;			/* [c] bus rings, then the pool (physical) */
	uint64_t ring_pa;		/* [c] */
	size_t used_off, pool_off, bytes;	/* [c] */
	struct spinlock lock;
	uint16_t drv_last_avail;	/* [b] next driver entry to take */
	uint16_t drv_used_idx;		/* [b] the driver's used->idx as we wrote it */
	uint16_t avail_idx, last_used;	/* [b] bus ring indices */
	bool stalled;			/* [b] driver entries wait for pool room */
	uint16_t *free_slots;		/* [b] stack of free bus heads */
	uint16_t nfree;			/* [b] */
	struct virtq_bus_slot *slots;	/* [b] */
	struct iova_arena pool;		/* pool descriptors, allocated in ranges */
	struct virtq_desc *scratch;	/* [b] a request's physical descriptors while built */
	uint16_t *heads;		/* [b] the driver's new available entries, as read */
	uint32_t *elems;		/* [b] used elements (id, len) on their way to the driver */
	struct virtq_bus_stats stats;	/* [b] */
};

/*
 * virtq_bus_create: a bus for q, whose device device_id reaches memory
 * through hw, and whose doorbell register is at doorbell.
 * => KERN_RESOURCE_SHORTAGE if the rings or pool cannot be had
 */
kern_return_t virtq_bus_create(struct virtq *q, struct iommu_hw *hw, uint32_t device_id,
			       volatile uint16_t *doorbell, struct virtq_bus **out);
void virtq_bus_destroy(struct virtq_bus *b);
/* virtq_bus_addrs: physical addresses of the bus's descriptor table, available and used rings. */
void virtq_bus_addrs(const struct virtq_bus *b, uint64_t *desc, uint64_t *avail, uint64_t *used);
/*
 * virtq_bus_forward: the driver rang: move its new requests to the device.
 * => true if some came back unsent (the caller runs the driver's
 *    completion, as the interrupt of a device that failed them would)
 */
bool virtq_bus_forward(struct virtq_bus *b);
/* virtq_bus_returned: the device has used entries not yet passed on (a hint: no lock). */
bool virtq_bus_returned(struct virtq_bus *b);
/* virtq_bus_return: pass the device's completions to the driver's used ring. */
void virtq_bus_return(struct virtq_bus *b);
/* virtq_bus_reset: the device was reset: forget everything in flight. */
void virtq_bus_reset(struct virtq_bus *b);

#endif
