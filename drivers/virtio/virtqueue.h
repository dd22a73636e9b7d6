/*
 * virtqueue.h: split virtqueues (virtio 1.1, 2.6).
 *
 * Callers own a struct virtq_req per request, hand the device a list of
 * DMA segments (everything the device reads first, then everything it
 * writes), and sleep in virtq_wait until the interrupt handler has taken
 * the request off the used ring.  Many requests may be in flight and they
 * may complete in any order.  INDIRECT_DESC puts a request's chain in a
 * per-slot table (one ring entry per request); EVENT_IDX suppresses
 * notifications and interrupts the other side does not need.
 *
 * Ring layout, declared once here (2.6.2, 2.6.6, 2.6.8; all little-endian):
 *   descriptor table  size x { le64 addr; le32 len; le16 flags; le16 next }
 *   available ring    le16 flags; le16 idx; le16 ring[size]; le16 used_event
 *   used ring         le16 flags; le16 idx; { le32 id; le32 len } ring[size];
 *                     le16 avail_event
 *
 * Lock tags: kern/lock.h.  Lock order: a virtqueue's [v], then sched_lock
 * (thread_sleep/thread_wakeup).
 */
#ifndef DRIVERS_VIRTIO_VIRTQUEUE_H
#define DRIVERS_VIRTIO_VIRTQUEUE_H

#include <stdbool.h>
#include <stdint.h>

#include "drivers/dma/dma.h"
#include "kern/spinlock.h"

struct virtio_device;
struct virtq_bus;

struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};
#define VIRTQ_DESC_F_NEXT	1
#define VIRTQ_DESC_F_WRITE	2	/* the device writes this buffer */
#define VIRTQ_DESC_F_INDIRECT	4
#define VIRTQ_AVAIL_F_NO_INTERRUPT	1
#define VIRTQ_USED_F_NO_NOTIFY		1

#define VIRTQ_INDIRECT_MAX	32	/* entries in one indirect table */
#define VIRTQ_POLL_NS	(10ull * 1000 * 1000)	/* a waiter looks at the used ring this often */
#define VIRTQ_LATE_NS	(100ull * 1000 * 1000)	/* a completion's interrupt may follow it by this */

/* A request in flight; the caller keeps it alive until virtq_wait returns. */
struct virtq_req {
	uint16_t head;			/* [v] first descriptor */
	bool done;			/* [v] the device answered, or the queue was failed */
	bool failed;			/* [v] failed, not answered */
	bool waiting;			/* [v] its owner sleeps on it: wake it */
	uint32_t used_len;		/* [v] bytes the device says it wrote */
};

/* Part of a request: segments the device reads, or writes. */
struct virtq_sg {
	const struct dma_segment *segs;
	uint32_t nsegs;
	bool device_writes;
};

struct virtq_stats {
	uint64_t submitted, completed;	/* [v] */
	uint64_t notifies;		/* [v] doorbell writes */
	uint64_t suppressed;		/* [v] doorbells EVENT_IDX said were not needed */
	uint64_t indirect;		/* [v] requests that used an indirect table */
	uint64_t rescued;		/* [v] completions found by a waiter: their interrupt was lost */
	uint64_t late;			/* [v] waits whose slice ended before their late interrupt */
	uint64_t rerung;		/* [v] doorbells rung again for a request still out after a slice */
	uint32_t inflight, max_inflight;	/* [v] */
	uint64_t polls;			/* [v] waits for the device with interrupts off */
	uint64_t poll_instret;		/* [v] instructions those spent spinning */
};

struct virtq {
	struct virtio_device *vd;	/* [c] */
	uint16_t index, size;		/* [c] */
	uint16_t notify_off;		/* [c] */
	bool event_idx, indirect;	/* [c] features in use */
	struct spinlock lock;
	void *ring;			/* [c] descriptor table, then the rings (coherent) */
	uint64_t ring_io;		/* [c] */
	size_t ring_bytes;		/* [c] */
	size_t used_off;		/* [c] offset of the used ring */
	struct virtq_desc *itable;	/* [c] indirect tables, VIRTQ_INDIRECT_MAX per head */
	uint64_t itable_io;		/* [c] */
	size_t itable_bytes;		/* [c] */
	uint16_t free_head, nfree;	/* [v] free descriptor list */
	uint16_t nfree_waiters;		/* [v] submitters sleeping for descriptors */
	uint16_t avail_idx;		/* [v] our copy of avail->idx */
	uint16_t last_used;		/* [v] next used entry to look at */
	struct virtq_req **reqs;	/* [v] request owning each head */
	struct virtq_bus *bus;		/* [c] the way to a device behind the IOMMU, or NULL */
	struct virtq_stats stats;	/* [v] */
};

/*
 * virtq_alloc: rings for a queue of `size` (a power of two) entries.
 * => KERN_RESOURCE_SHORTAGE if memory cannot be had
 */
kern_return_t virtq_alloc(struct virtio_device *vd, uint16_t index, uint16_t size, bool event_idx,
			  bool indirect, struct virtq **out);
void virtq_free(struct virtq *q);

/*
 * virtq_submit: put a request on the ring and notify the device if it
 * wants to be.  Sleeps while the ring lacks free descriptors.
 * => KERN_INVALID_ARGUMENT if there are no segments, a device-read part
 *    follows a device-written one, or the chain can never fit the ring
 * => KERN_ABORTED if the device has been failed
 */
kern_return_t virtq_submit(struct virtq *q, struct virtq_req *r, const struct virtq_sg *sg, int nsg);

/*
 * virtq_wait: sleep until r is done, looking at the used ring every
 * VIRTQ_POLL_NS in case an interrupt was lost, and ringing the doorbell
 * again in case the device did not hear it.  If the device does not
 * answer within its timeout it is failed (virtio_device_fail).  A caller
 * with interrupts off (which may not sleep) polls the used ring instead;
 * the instructions spent spinning go to stats.poll_instret (device time,
 * for benchmarks).
 * => KERN_SUCCESS, KERN_OPERATION_TIMED_OUT, or KERN_ABORTED if the device
 *    was failed for another request
 */
kern_return_t virtq_wait(struct virtq *q, struct virtq_req *r);

/* virtq_interrupt: take every used entry off the ring and wake its waiter. */
void virtq_interrupt(struct virtq *q);

/*
 * virtq_used_pending: the device has returned entries not yet taken off
 * the ring (behind the IOMMU, the bus is asked to pass them on first).
 */
bool virtq_used_pending(struct virtq *q);

/* virtq_interrupts_lost: completions of any queue whose interrupt never came (stats.rescued). */
uint64_t virtq_interrupts_lost(void);

/* virtq_fail_all: the device was reset: fail every request in flight, reset the ring. */
void virtq_fail_all(struct virtq *q);

/* virtq_ring_addrs: I/O addresses of the descriptor table, available and used rings. */
void virtq_ring_addrs(const struct virtq *q, uint64_t *desc, uint64_t *avail, uint64_t *used);

#endif
