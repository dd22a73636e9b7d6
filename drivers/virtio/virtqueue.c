/*
 * virtqueue.c: split virtqueues (see virtqueue.h).
 *
 * Ordering (virtio 1.1, 2.6.13): descriptors and the ring slot are written
 * before avail->idx (release fence); avail->idx is written before the
 * doorbell is decided on (full fence, 2.6.7.2: read avail_event/flags only
 * after publishing); used->idx is read with acquire before its entries.
 */
#include <string.h>

#include "drivers/virtio/virtio.h"
#include "drivers/virtio/virtq_bus.h"
#include "drivers/virtio/virtqueue.h"
#include "kern/kernel.h"
#include "kern/thread.h"
#include "platform/riscv/hart.h"
#include "platform/riscv/plic.h"
#include "platform/riscv/riscv.h"
#include "platform/riscv/timer.h"
#include "vm/xmalloc.h"

static uint16_t *virtq_avail(const struct virtq *q)
{
	return (uint16_t *)((char *)q->ring + 16ul * q->size);
}

static volatile uint16_t *virtq_used_hdr(const struct virtq *q)
{
	return (volatile uint16_t *)((char *)q->ring + q->used_off);
}

static volatile uint32_t *virtq_used_elem(const struct virtq *q, uint16_t slot)
{
	return (volatile uint32_t *)((char *)q->ring + q->used_off + 4 + 8ul * slot);
}

static struct virtq_desc *virtq_descs(const struct virtq *q)
{
	return (struct virtq_desc *)q->ring;
}

/* virtq_free_list_reset: every descriptor free, chained in order. */
static void virtq_free_list_reset(struct virtq *q)
{
	struct virtq_desc *d = virtq_descs(q);

	for (uint16_t i = 0; i < q->size; i++)
		d[i].next = (uint16_t)(i + 1);
	q->free_head = 0;
	q->nfree = q->size;
}

kern_return_t virtq_alloc(struct virtio_device *vd, uint16_t index, uint16_t size, bool event_idx,
			  bool indirect, struct virtq **out)
{
	struct virtq *q;
	size_t avail_end;

	if (size == 0 || (size & (size - 1)))
		return KERN_INVALID_ARGUMENT;
	q = (struct virtq *)xmalloc(sizeof(*q), 3, pinned_heap);
	if (!q)
		return KERN_RESOURCE_SHORTAGE;
	*q = (struct virtq){ .vd = vd, .index = index, .size = size, .event_idx = event_idx,
			     .indirect = indirect };
	spin_init(&q->lock, "virtq");
	avail_end = 16ul * size + 6 + 2ul * size;
	q->used_off = ROUND_UP(avail_end, 4096);
	q->ring_bytes = q->used_off + 6 + 8ul * size;
	q->itable_bytes = indirect ? (size_t)size * VIRTQ_INDIRECT_MAX * sizeof(struct virtq_desc) : 0;
	q->reqs = (struct virtq_req **)xmalloc((int)(size * sizeof(*q->reqs)), 3, pinned_heap);
	if (!q->reqs || dma_alloc_coherent(&vd->dma, q->ring_bytes, &q->ring, &q->ring_io) ||
	    (indirect && dma_alloc_coherent(&vd->dma, q->itable_bytes, (void **)&q->itable,
					    &q->itable_io))) {
		virtq_free(q);
		return KERN_RESOURCE_SHORTAGE;
	}
	memset(q->reqs, 0, size * sizeof(*q->reqs));
	virtq_free_list_reset(q);
	*out = q;
	return KERN_SUCCESS;
}

void virtq_free(struct virtq *q)
{
	if (q->bus)
		virtq_bus_destroy(q->bus);
	if (q->itable)
		dma_free_coherent(&q->vd->dma, q->itable_bytes, q->itable, q->itable_io);
	if (q->ring)
		dma_free_coherent(&q->vd->dma, q->ring_bytes, q->ring, q->ring_io);
	if (q->reqs)
		xmfree((caddr_t)q->reqs, pinned_heap);
	xmfree((caddr_t)q, pinned_heap);
}

void virtq_ring_addrs(const struct virtq *q, uint64_t *desc, uint64_t *avail, uint64_t *used)
{
	*desc = q->ring_io;
	*avail = q->ring_io + 16ul * q->size;
	*used = q->ring_io + q->used_off;
}

/* virtq_sg_check: total segments, 0 if the list is malformed. */
static uint32_t virtq_sg_check(const struct virtq_sg *sg, int nsg)
{
	uint32_t total = 0;
	bool writes = false;

	for (int i = 0; i < nsg; i++) {
		if (!sg[i].device_writes && writes)
			return 0;		/* 2.6.4.2: readable before writable */
		writes |= sg[i].device_writes && sg[i].nsegs;
		for (uint32_t j = 0; j < sg[i].nsegs; j++)
			if (sg[i].segs[j].len == 0 || sg[i].segs[j].len > UINT32_MAX)
				return 0;
		total += sg[i].nsegs;
	}
	return total;
}

/* virtq_fill_chain: write the request's segments as a NEXT-linked chain into table[idx...]. */
static void virtq_fill_chain(struct virtq_desc *table, const uint16_t *idx,
			     const struct virtq_sg *sg, int nsg, uint32_t total)
{
	uint32_t n = 0;

	for (int i = 0; i < nsg; i++)
		for (uint32_t j = 0; j < sg[i].nsegs; j++, n++) {
			struct virtq_desc *d = &table[idx[n]];

			d->addr = sg[i].segs[j].ioaddr;
			d->len = (uint32_t)sg[i].segs[j].len;
			d->flags = (uint16_t)((sg[i].device_writes ? VIRTQ_DESC_F_WRITE : 0) |
					      (n + 1 < total ? VIRTQ_DESC_F_NEXT : 0));
			if (n + 1 < total)
				d->next = idx[n + 1];
		}
}

/* virtq_need_notify_locked: whether the device asked to hear of avail->idx moving to new_idx. */
static bool virtq_need_notify_locked(struct virtq *q, uint16_t old_idx, uint16_t new_idx)
{
	LOCK_ASSERT(spin_held(&q->lock),
		"virtq_need_notify_locked: %s queue %u not locked", q->vd->name, q->index);

	volatile uint16_t *used = virtq_used_hdr(q);

	__atomic_thread_fence(__ATOMIC_SEQ_CST);	/* publish idx before reading the device's wish */
	if (q->event_idx) {
		uint16_t event = used[2 + 4 * q->size];	/* avail_event, after the used ring */

		return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old_idx);
	}
	return !(used[0] & VIRTQ_USED_F_NO_NOTIFY);
}

/* virtq_take_locked: put r's chain on the ring; returns its head.  => enough free descriptors */
static uint16_t virtq_take_locked(struct virtq *q, const struct virtq_sg *sg, int nsg,
				  uint32_t total, bool use_indirect)
{
	struct virtq_desc *d = virtq_descs(q);
	uint16_t head = q->free_head, idx[VIRTQ_INDIRECT_MAX];

	LOCK_ASSERT(spin_held(&q->lock),
		"virtq_take_locked: %s queue %u not locked", q->vd->name, q->index);
	if (use_indirect) {
		struct virtq_desc *table = q->itable + (size_t)head * VIRTQ_INDIRECT_MAX;

		for (uint16_t i = 0; i < total; i++)
			idx[i] = i;
		virtq_fill_chain(table, idx, sg, nsg, total);
		q->free_head = d[head].next;
		d[head].addr = q->itable_io + (uint64_t)head * VIRTQ_INDIRECT_MAX * sizeof(*d);
		d[head].len = total * sizeof(*d);
		d[head].flags = VIRTQ_DESC_F_INDIRECT;
		q->nfree--;
		q->stats.indirect++;
		return head;
	}
	/* Direct chain: follow the free list, linking as it already is. */
	uint16_t last = head;
	uint32_t n = 0;

	for (int i = 0; i < nsg; i++)
		for (uint32_t j = 0; j < sg[i].nsegs; j++, n++) {
			uint16_t cur = n == 0 ? head : d[last].next;

			d[cur].addr = sg[i].segs[j].ioaddr;
			d[cur].len = (uint32_t)sg[i].segs[j].len;
			d[cur].flags = (uint16_t)((sg[i].device_writes ? VIRTQ_DESC_F_WRITE : 0) |
						  (n + 1 < total ? VIRTQ_DESC_F_NEXT : 0));
			last = cur;
		}
	q->free_head = d[last].next;
	q->nfree = (uint16_t)(q->nfree - total);
	return head;
}

kern_return_t virtq_submit(struct virtq *q, struct virtq_req *r, const struct virtq_sg *sg, int nsg)
{
	uint32_t total = virtq_sg_check(sg, nsg);
	bool use_indirect = q->indirect && total > 1 && total <= VIRTQ_INDIRECT_MAX;
	uint16_t need = use_indirect ? 1 : (uint16_t)total, head, *avail = virtq_avail(q), old;
	bool kick;

	if (total == 0 || (!use_indirect && total > q->size))
		return KERN_INVALID_ARGUMENT;
	spin_lock(&q->lock);
	while (!__atomic_load_n(&q->vd->failed, __ATOMIC_ACQUIRE) && q->nfree < need) {
		q->nfree_waiters++;
		thread_sleep(&q->nfree, &q->lock);
		q->nfree_waiters--;
	}
	if (__atomic_load_n(&q->vd->failed, __ATOMIC_ACQUIRE)) {
		spin_unlock(&q->lock);
		return KERN_ABORTED;
	}
	head = virtq_take_locked(q, sg, nsg, total, use_indirect);
	*r = (struct virtq_req){ .head = head };
	q->reqs[head] = r;
	avail[2 + (q->avail_idx & (q->size - 1))] = head;
	old = q->avail_idx++;
	__atomic_thread_fence(__ATOMIC_RELEASE);	/* chain and slot before idx */
	__atomic_store_n(&avail[1], q->avail_idx, __ATOMIC_RELAXED);
	q->stats.submitted++;
	if (++q->stats.inflight > q->stats.max_inflight)
		q->stats.max_inflight = q->stats.inflight;
	kick = virtq_need_notify_locked(q, old, q->avail_idx);
	if (kick)
		q->stats.notifies++;
	else
		q->stats.suppressed++;
	spin_unlock(&q->lock);
	if (kick)
		virtio_notify(q->vd, q->index, q->notify_off);
	return KERN_SUCCESS;
}

/* virtq_release_locked: put the chain at head back on the free list; returns its length. */
static uint16_t virtq_release_locked(struct virtq *q, uint16_t head)
{
	struct virtq_desc *d = virtq_descs(q);
	uint16_t last = head, n = 1;

	LOCK_ASSERT(spin_held(&q->lock),
		"virtq_release_locked: %s queue %u not locked", q->vd->name, q->index);
	if (!(d[head].flags & VIRTQ_DESC_F_INDIRECT))
		while ((d[last].flags & VIRTQ_DESC_F_NEXT) && n < q->size) {
			last = d[last].next;
			n++;
		}
	d[last].next = q->free_head;
	q->free_head = head;
	q->nfree = (uint16_t)(q->nfree + n);
	return n;
}

/* virtq_complete_locked: the device returned the chain at id with len bytes written. */
static void virtq_complete_locked(struct virtq *q, uint32_t id, uint32_t len)
{
	struct virtq_req *r;

	LOCK_ASSERT(spin_held(&q->lock),
		"virtq_complete_locked: %s queue %u not locked", q->vd->name, q->index);
	if (id >= q->size || !(r = q->reqs[id])) {
		kprintf("%s: queue %u: bogus used id %u\n", q->vd->name, q->index, id);
		return;
	}
	q->reqs[id] = NULL;
	virtq_release_locked(q, (uint16_t)id);
	r->used_len = len;
	r->done = true;
	q->stats.completed++;
	q->stats.inflight--;
	if (r->waiting)		/* a wakeup scans every thread: only when someone sleeps */
		thread_wakeup(r);
}

void virtq_interrupt(struct virtq *q)
{
	volatile uint16_t *used = virtq_used_hdr(q);
	uint16_t *avail = virtq_avail(q);
	bool freed = false;

	if (q->bus)
		virtq_bus_return(q->bus);	/* the device's completions reach our ring through it */
	spin_lock(&q->lock);
	for (;;) {
		uint16_t idx = __atomic_load_n(&used[1], __ATOMIC_ACQUIRE);

		while (q->last_used != idx) {
			volatile uint32_t *e = virtq_used_elem(q, q->last_used & (q->size - 1));

			virtq_complete_locked(q, e[0], e[1]);
			q->last_used++;
			freed = true;
		}
		if (!q->event_idx)
			break;
		/* used_event: interrupt us when the device passes what we have seen. */
		__atomic_store_n(&avail[2 + q->size], q->last_used, __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (__atomic_load_n(&used[1], __ATOMIC_ACQUIRE) == q->last_used)
			break;			/* nothing slipped in before used_event was seen */
	}
	if (freed && q->nfree_waiters)
		thread_wakeup(&q->nfree);
	spin_unlock(&q->lock);
}

bool virtq_used_pending(struct virtq *q)
{
	if (q->bus)
		virtq_bus_return(q->bus);	/* completions reach our ring through it */
	return __atomic_load_n(&virtq_used_hdr(q)[1], __ATOMIC_ACQUIRE) !=
	       __atomic_load_n(&q->last_used, __ATOMIC_RELAXED);
}

void virtq_fail_all(struct virtq *q)
{
	if (q->bus)
		virtq_bus_reset(q->bus);
	spin_lock(&q->lock);
	for (uint16_t i = 0; i < q->size; i++) {
		struct virtq_req *r = q->reqs[i];

		if (!r)
			continue;
		q->reqs[i] = NULL;
		r->done = r->failed = true;
		thread_wakeup(r);
	}
	q->stats.inflight = 0;
	virtq_free_list_reset(q);
	thread_wakeup(&q->nfree);
	spin_unlock(&q->lock);
}

/*
 * virtq_poll: wait for the device with interrupts off, for a caller that
 * may not sleep: spin until the used ring holds entries not yet taken off,
 * then take them off as the interrupt handler would.  The spin, and only
 * the spin, is counted in stats.poll_instret, so that a measurement can
 * leave out the device's time: what the caller executes besides it does
 * not depend on how long the device took.  (Not inlined: virtq_wait's
 * own frame stays small for the usual, sleeping, caller.)
 * => q->lock not held; true if the deadline passed first
 */
static __attribute__((noinline)) bool virtq_poll(struct virtq *q, uint64_t deadline)
{
	uint64_t t0 = rdinstret(), spun;
	bool late = false;

	while (!virtq_used_pending(q) && !(late = timer_now() >= deadline))
		;
	spun = rdinstret() - t0;
	spin_lock(&q->lock);
	q->stats.polls++;
	q->stats.poll_instret += spun;
	spin_unlock(&q->lock);
	if (!late)
		virtq_interrupt(q);
	return late;
}

static uint64_t virtq_lost_interrupts;	/* every queue's stats.rescued, summed */

uint64_t virtq_interrupts_lost(void)
{
	return __atomic_load_n(&virtq_lost_interrupts, __ATOMIC_RELAXED);
}

/* virtq_returned: the device has returned entries nobody has taken yet.  => [v] held */
static bool virtq_returned(struct virtq *q)
{
	LOCK_ASSERT(spin_held(&q->lock),
		"virtq_returned: %s queue %u not locked", q->vd->name, q->index);

	return (q->bus && virtq_bus_returned(q->bus)) ||
	       __atomic_load_n(&virtq_used_hdr(q)[1], __ATOMIC_ACQUIRE) != q->last_used;
}

/* virtq_ring_again: ring the doorbell again for requests still out.  => [v] held (dropped meanwhile) */
static void virtq_ring_again(struct virtq *q)
{
	LOCK_ASSERT(spin_held(&q->lock),
		"virtq_ring_again: %s queue %u not locked", q->vd->name, q->index);

	q->stats.rerung++;
	spin_unlock(&q->lock);
	virtio_notify(q->vd, q->index, q->notify_off);
	spin_lock(&q->lock);
}

/*
 * virtq_wait_rescue: a sleeping wait's slice ran out with r not done.  If
 * the device has returned entries nobody took, their interrupt has
 * VIRTQ_LATE_NS more to come (one waiting for a hart, or not raised yet
 * because the host has not run QEMU's device thread since it wrote the
 * ring, is late, not lost).  Entries still there after that are taken
 * here; only if their interrupt is then neither pending nor being handled
 * was it lost, and that is reported.  With nothing returned, the doorbell
 * is rung again in case the device missed it: QEMU's single-threaded TCG
 * drops the fences of 2.6.7.2 and 2.7.10 that order our index writes
 * against the device's event index reads.  A doorbell the device did not
 * need costs it one look at the ring.
 * => q->lock held (dropped meanwhile)
 */
static void virtq_wait_rescue(struct virtq *q, struct virtq_req *r)
{
	bool pending;

	LOCK_ASSERT(spin_held(&q->lock),
		"virtq_wait_rescue: %s queue %u not locked", q->vd->name, q->index);
	if (!virtq_returned(q)) {
		virtq_ring_again(q);
		return;
	}
	r->waiting = true;
	thread_sleep_deadline(r, &q->lock, timer_now() + timer_ns_to_ticks(VIRTQ_LATE_NS));
	r->waiting = false;
	if (r->done) {
		q->stats.late++;	/* its interrupt came meanwhile */
		return;
	}
	spin_unlock(&q->lock);
	pending = plic_pending(q->vd->pci->irq);
	virtq_interrupt(q);
	spin_lock(&q->lock);
	if (!r->done)
		return;			/* the entries were others': wait on */
	if (pending) {
		q->stats.late++;	/* its interrupt still waited for a hart */
		return;
	}
	q->stats.rescued++;
	__atomic_fetch_add(&virtq_lost_interrupts, 1, __ATOMIC_RELAXED);
	kprintf("%s: queue %u: a completion came without its interrupt\n", q->vd->name, q->index);
}

kern_return_t virtq_wait(struct virtq *q, struct virtq_req *r)
{
	uint64_t timeout = __atomic_load_n(&q->vd->timeout_ns, __ATOMIC_RELAXED);
	uint64_t now = timer_now(), deadline = now + timer_ns_to_ticks(timeout);
	uint64_t slice = timer_ns_to_ticks(VIRTQ_POLL_NS);
	/*
	 * Decided before the lock, which turns interrupts off.  r->done read
	 * unlocked is only a hint (the loop checks it under the lock): a
	 * request already answered needs neither way of waiting.
	 */
	bool polled = !__atomic_load_n(&r->done, __ATOMIC_RELAXED) && !intr_enabled();
	bool timed_out = false;

	spin_lock(&q->lock);
	while (!r->done) {
		uint64_t until = MIN(deadline, now + slice);
		bool slice_over;

		if (polled) {
			spin_unlock(&q->lock);
			slice_over = virtq_poll(q, until);
			spin_lock(&q->lock);
		} else {
			r->waiting = true;
			slice_over = thread_sleep_deadline(r, &q->lock, until);
			r->waiting = false;
		}
		if (slice_over && !r->done && polled)
			virtq_ring_again(q);
		else if (slice_over && !r->done)
			virtq_wait_rescue(q, r);
		now = timer_now();
		if (!r->done && now >= deadline) {
			spin_unlock(&q->lock);
			virtio_device_fail(q->vd, "a request timed out");
			timed_out = true;
			spin_lock(&q->lock);
		}
	}
	spin_unlock(&q->lock);
	if (r->failed)
		return timed_out ? KERN_OPERATION_TIMED_OUT : KERN_ABORTED;
	return KERN_SUCCESS;
}
