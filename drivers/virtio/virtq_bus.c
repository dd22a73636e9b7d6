/*
 * virtq_bus.c: the bus between a virtqueue's driver and a device behind
 * the IOMMU (see virtq_bus.h).  Ring layout and ordering rules are those
 * of virtqueue.h (virtio 1.1, 2.6); the bus plays the device towards the
 * driver and the driver towards the device.
 */
#include <string.h>

#include "drivers/virtio/virtq_bus.h"
#include "kern/kernel.h"
#include "vm/pmap.h"
#include "vm/vm_page.h"
#include "vm/xmalloc.h"

#define BUS_RUNS	4	/* pieces a ring field may span (it spans one page) */

/* ---- the driver's rings, as the device sees them: through the IOMMU ---------------------- */

/* bus_access: the device reads [iova, iova + len) into buf, or writes buf there.  false: fault */
static bool bus_access(struct virtq_bus *b, uint64_t iova, void *buf, uint64_t len,
		       enum iommu_access access)
{
	struct iommu_run runs[BUS_RUNS];
	uint32_t n;
	char *p = buf;

	if (iommu_hw_translate(b->hw, b->device_id, iova, len, access, runs, BUS_RUNS, &n) !=
	    KERN_SUCCESS)
		return false;
	for (uint32_t i = 0; i < n; p += runs[i].len, i++)
		if (access == IOMMU_READ)
			memcpy(p, pmap_direct_map(runs[i].pa), runs[i].len);
		else
			memcpy(pmap_direct_map(runs[i].pa), p, runs[i].len);
	return true;
}

static bool bus_read16(struct virtq_bus *b, uint64_t iova, uint16_t *v)
{
	bool ok = bus_access(b, iova, v, 2, IOMMU_READ);

	__atomic_thread_fence(__ATOMIC_ACQUIRE);	/* an index before what it covers */
	return ok;
}

static bool bus_write16(struct virtq_bus *b, uint64_t iova, uint16_t v)
{
	__atomic_thread_fence(__ATOMIC_RELEASE);	/* what an index covers before the index */
	return bus_access(b, iova, &v, 2, IOMMU_WRITE);
}

/* ---- the bus rings (physical, the device's) ------------------------------------------------- */

static struct virtq_desc *bus_descs(const struct virtq_bus *b)
{
	return (struct virtq_desc *)b->ring;
}

static volatile uint16_t *bus_avail(const struct virtq_bus *b)
{
	return (volatile uint16_t *)((char *)b->ring + 16ul * b->size);
}

static volatile uint16_t *bus_used(const struct virtq_bus *b)
{
	return (volatile uint16_t *)((char *)b->ring + b->used_off);
}

static struct virtq_desc *bus_pool(const struct virtq_bus *b)
{
	return (struct virtq_desc *)((char *)b->ring + b->pool_off);
}

kern_return_t virtq_bus_create(struct virtq *q, struct iommu_hw *hw, uint32_t device_id,
			       volatile uint16_t *doorbell, struct virtq_bus **out)
{
	struct virtq_bus *b = (struct virtq_bus *)xmalloc(sizeof(*b), 3, pinned_heap);
	vm_page_t m = NULL;

	if (!b)
		return KERN_RESOURCE_SHORTAGE;
	*b = (struct virtq_bus){ .q = q, .hw = hw, .device_id = device_id, .doorbell = doorbell,
				 .size = q->size, .event_idx = q->event_idx };
	spin_init(&b->lock, "virtq_bus");
	virtq_ring_addrs(q, &b->drv_desc, &b->drv_avail, &b->drv_used);
	b->used_off = q->used_off;		/* the same layout as the driver's rings */
	b->pool_off = ROUND_UP(b->used_off + 6 + 8ul * b->size, 16);
	b->bytes = round_page(b->pool_off + 16ul * VIRTQ_BUS_POOL);
	b->free_slots = (uint16_t *)xmalloc((int)(b->size * sizeof(uint16_t)), 3, pinned_heap);
	b->slots = (struct virtq_bus_slot *)xmalloc((int)(b->size * sizeof(*b->slots)), 3, pinned_heap);
	if (b->slots)
		memset(b->slots, 0, b->size * sizeof(*b->slots));
	b->scratch = (struct virtq_desc *)xmalloc((int)(VIRTQ_BUS_CHAIN_MAX * sizeof(*b->scratch)), 3,
						  pinned_heap);
	b->heads = (uint16_t *)xmalloc((int)(b->size * sizeof(*b->heads)), 3, pinned_heap);
	b->elems = (uint32_t *)xmalloc((int)(2 * b->size * sizeof(*b->elems)), 3, pinned_heap);
	if (b->free_slots && b->slots && b->scratch && b->heads && b->elems &&
	    iova_arena_init(&b->pool, 0, VIRTQ_BUS_POOL) == KERN_SUCCESS)
		m = vm_page_alloc_contig(atop(b->bytes), 1);
	if (!m) {
		b->ring = NULL;
		virtq_bus_destroy(b);
		return KERN_RESOURCE_SHORTAGE;
	}
	for (uint64_t i = 0; i < atop(b->bytes); i++)
		vm_page_wire(&m[i]);
	b->ring_pa = m->phys_addr;
	b->ring = pmap_direct_map(b->ring_pa);
	memset(b->ring, 0, b->bytes);
	virtq_bus_reset(b);
	*out = b;
	return KERN_SUCCESS;
}

void virtq_bus_destroy(struct virtq_bus *b)
{
	if (b->ring) {
		vm_page_t m = vm_page_lookup_phys(b->ring_pa);

		virtq_bus_reset(b);
		for (uint64_t i = 0; i < atop(b->bytes); i++)
			vm_page_unwire(&m[i]);
		vm_page_free_contig(m, atop(b->bytes));
	}
	if (b->pool.first)
		iova_arena_destroy(&b->pool);
	if (b->scratch)
		xmfree((caddr_t)b->scratch, pinned_heap);
	if (b->heads)
		xmfree((caddr_t)b->heads, pinned_heap);
	if (b->elems)
		xmfree((caddr_t)b->elems, pinned_heap);
	if (b->slots)
		xmfree((caddr_t)b->slots, pinned_heap);
	if (b->free_slots)
		xmfree((caddr_t)b->free_slots, pinned_heap);
	xmfree((caddr_t)b, pinned_heap);
}

void virtq_bus_addrs(const struct virtq_bus *b, uint64_t *desc, uint64_t *avail, uint64_t *used)
{
	*desc = b->ring_pa;
	*avail = b->ring_pa + 16ul * b->size;
	*used = b->ring_pa + b->used_off;
}

void virtq_bus_reset(struct virtq_bus *b)
{
	spin_lock(&b->lock);
	for (uint16_t i = 0; i < b->size; i++)
		if (b->slots[i].pool_n) {
			iova_free(&b->pool, b->slots[i].pool_first, b->slots[i].pool_n);
			b->slots[i].pool_n = 0;
		}
	for (uint16_t i = 0; i < b->size; i++)
		b->free_slots[i] = (uint16_t)(b->size - 1 - i);
	b->nfree = b->size;
	b->drv_last_avail = b->drv_used_idx = b->avail_idx = b->last_used = 0;
	memset(b->ring, 0, b->pool_off);
	spin_unlock(&b->lock);
}

/* ---- requests: driver chain -> physical chain ------------------------------------------------ */

enum bus_outcome { BUS_SENT, BUS_REFUSED, BUS_WAIT };

/* bus_buffer: translate one driver buffer into physical descriptors at scratch[*n...]. */
static bool bus_buffer(struct virtq_bus *b, const struct virtq_desc *d, uint32_t *n)
{
	bool writes = d->flags & VIRTQ_DESC_F_WRITE;
	struct iommu_run *runs = (struct iommu_run *)&b->scratch[*n];
	uint32_t k;

	/* Runs are built in place: an iommu_run fits in the virtq_desc it becomes. */
	_Static_assert(sizeof(struct iommu_run) == sizeof(struct virtq_desc), "run in place");
	if (d->len == 0 ||
	    iommu_hw_translate(b->hw, b->device_id, d->addr, d->len,
			       writes ? IOMMU_WRITE : IOMMU_READ, runs, VIRTQ_BUS_CHAIN_MAX - *n,
			       &k) != KERN_SUCCESS)
		return false;
	for (uint32_t i = 0; i < k; i++) {
		struct iommu_run r = runs[i];

		b->scratch[*n + i] = (struct virtq_desc){ .addr = r.pa, .len = (uint32_t)r.len,
							  .flags = writes ? VIRTQ_DESC_F_WRITE : 0 };
	}
	*n += k;
	return true;
}

/* bus_indirect: the driver's indirect table of d, each of its buffers translated. */
static bool bus_indirect(struct virtq_bus *b, const struct virtq_desc *d, uint32_t *n)
{
	struct virtq_desc table[VIRTQ_INDIRECT_MAX];
	uint32_t entries = d->len / sizeof(table[0]), i = 0;

	if (d->len % sizeof(table[0]) || entries == 0 || entries > VIRTQ_INDIRECT_MAX ||
	    !bus_access(b, d->addr, table, d->len, IOMMU_READ))
		return false;
	for (uint32_t hops = 0; hops < entries; hops++) {
		if ((table[i].flags & VIRTQ_DESC_F_INDIRECT) || !bus_buffer(b, &table[i], n))
			return false;
		if (!(table[i].flags & VIRTQ_DESC_F_NEXT))
			return true;
		if ((i = table[i].next) >= entries)
			return false;
	}
	return false;				/* a loop */
}

/* bus_chain: the request at driver head `head`, translated into scratch[0, *n). */
static bool bus_chain(struct virtq_bus *b, uint16_t head, uint32_t *n)
{
	struct virtq_desc d;
	uint16_t i = head;

	*n = 0;
	for (uint32_t hops = 0; hops < b->size; hops++) {
		if (i >= b->size || !bus_access(b, b->drv_desc + sizeof(d) * i, &d, sizeof(d),
						IOMMU_READ))
			return false;
		if (d.flags & VIRTQ_DESC_F_INDIRECT)
			return hops == 0 && !(d.flags & VIRTQ_DESC_F_NEXT) && bus_indirect(b, &d, n);
		if (!bus_buffer(b, &d, n))
			return false;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			return true;
		i = d.next;
	}
	return false;
}

/* bus_send: scratch[0, n) onto the bus ring for driver head `head`.  => BUS_WAIT if no room */
static enum bus_outcome bus_send(struct virtq_bus *b, uint16_t head, uint32_t n)
{
	struct virtq_desc *pool;
	uint64_t first;
	uint16_t slot;
	bool privileged;
	kern_return_t kr;

	if (!b->nfree)
		return BUS_WAIT;
	privileged = vm_page_privileged(true);	/* a range record: paging I/O goes this way */
	kr = iova_alloc(&b->pool, n, &first);
	vm_page_privileged(privileged);
	if (kr != KERN_SUCCESS)
		return BUS_WAIT;
	pool = bus_pool(b) + first;
	for (uint32_t i = 0; i < n; i++) {
		pool[i] = b->scratch[i];
		if (i + 1 < n) {
			pool[i].flags |= VIRTQ_DESC_F_NEXT;
			pool[i].next = (uint16_t)(i + 1);
		}
	}
	slot = b->free_slots[--b->nfree];
	b->slots[slot] = (struct virtq_bus_slot){ head, (uint32_t)first, n };
	bus_descs(b)[slot] = (struct virtq_desc){
		.addr = b->ring_pa + b->pool_off + first * sizeof(*pool),
		.len = n * (uint32_t)sizeof(*pool), .flags = VIRTQ_DESC_F_INDIRECT };
	bus_avail(b)[2 + (b->avail_idx & (b->size - 1))] = slot;
	b->avail_idx++;
	b->stats.forwarded++;
	return BUS_SENT;
}

/*
 * bus_give_back: the driver's used ring gets the n elements (id, len)
 * elems[0..2n), written as the device would, in at most two accesses (the
 * ring wraps).  => [b] held; elements the ring refused are lost
 */
static void bus_give_back(struct virtq_bus *b, const uint32_t *elems, uint16_t n)
{
	LOCK_ASSERT(spin_held(&b->lock),
		"bus_give_back: the bus of device %u not locked", b->device_id);

	while (n) {
		uint16_t at = b->drv_used_idx & (b->size - 1), k = MIN(n, (uint16_t)(b->size - at));

		if (!bus_access(b, b->drv_used + 4 + 8ul * at, (void *)elems, 8ul * k, IOMMU_WRITE)) {
			b->stats.lost += k;
			return;
		}
		b->drv_used_idx = (uint16_t)(b->drv_used_idx + k);
		elems += 2 * k;
		n = (uint16_t)(n - k);
	}
}

/* bus_kick_needed: the device asked to hear of avail->idx moving from old to avail_idx. */
static bool bus_kick_needed(struct virtq_bus *b, uint16_t old)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);	/* publish idx before reading the device's wish */
	if (b->event_idx) {
		uint16_t event = bus_used(b)[2 + 4 * b->size];

		return (uint16_t)(b->avail_idx - event - 1) < (uint16_t)(b->avail_idx - old);
	}
	return !(bus_used(b)[0] & VIRTQ_USED_F_NO_NOTIFY);
}

/*
 * bus_take_heads: the driver's new available entries, from drv_last_avail
 * to avail_idx, into heads[] in at most two reads (the ring wraps).
 * => [b] held; false if the ring does not translate
 */
static bool bus_take_heads(struct virtq_bus *b, uint16_t avail_idx)
{
	uint16_t n = (uint16_t)(avail_idx - b->drv_last_avail), done = 0;

	LOCK_ASSERT(spin_held(&b->lock),
		"bus_take_heads: the bus of device %u not locked", b->device_id);
	if (n > b->size)
		return false;			/* not a ring a driver keeps */
	while (done < n) {
		uint16_t at = (uint16_t)(b->drv_last_avail + done) & (b->size - 1);
		uint16_t k = MIN((uint16_t)(n - done), (uint16_t)(b->size - at));

		if (!bus_access(b, b->drv_avail + 4 + 2ul * at, b->heads + done, 2ul * k, IOMMU_READ))
			return false;
		done = (uint16_t)(done + k);
	}
	return true;
}

/*
 * bus_forward_locked: take the driver's new entries until none is left or
 * the pool is full.  => [b] held; true if some went back unsent
 */
static bool bus_forward_locked(struct virtq_bus *b)
{
	uint16_t avail_idx, head, old = b->avail_idx;
	bool refused = false;

	LOCK_ASSERT(spin_held(&b->lock),
		"bus_forward_locked: the bus of device %u not locked", b->device_id);
	b->stalled = false;
	if (!bus_read16(b, b->drv_avail + 2, &avail_idx))
		return false;			/* the ring itself does not translate */
	for (;;) {
		if (!bus_take_heads(b, avail_idx))
			break;
		for (uint16_t i = 0; b->drv_last_avail != avail_idx; i++) {
			uint32_t n;
			enum bus_outcome out = BUS_REFUSED;

			head = b->heads[i];
			if (bus_chain(b, head, &n) && (out = bus_send(b, head, n)) == BUS_WAIT) {
				b->stats.stalls++;
				b->stalled = true;
				break;		/* the next completion forwards it */
			}
			if (out == BUS_REFUSED) {
				kprintf("virtq_bus: device %02x:%02x.%u: queue %u: request refused: "
					"a buffer does not translate\n", b->device_id >> 8,
					(b->device_id >> 3) & 0x1f, b->device_id & 7, b->q->index);
				b->stats.refused++;
				bus_give_back(b, (uint32_t[2]){ head, 0 }, 1);
				refused = true;
			}
			b->drv_last_avail++;
		}
		if (!b->event_idx || b->stalled)
			break;
		/*
		 * avail_event: ring for every entry after those taken.  Then look
		 * again (virtio 1.1, 2.7.10): an entry added while we worked may
		 * have been published before the driver could see this, and its
		 * doorbell judged unneeded.
		 */
		bus_write16(b, b->drv_used + 4 + 8ul * b->size, b->drv_last_avail);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (!bus_read16(b, b->drv_avail + 2, &avail_idx) || avail_idx == b->drv_last_avail)
			break;
	}
	if (refused)
		bus_write16(b, b->drv_used + 2, b->drv_used_idx);
	if (b->avail_idx != old) {
		__atomic_thread_fence(__ATOMIC_RELEASE);	/* chains and slots before idx */
		bus_avail(b)[1] = b->avail_idx;
		if (bus_kick_needed(b, old)) {
			b->stats.kicks++;
			__asm__ volatile("fence w,o" ::: "memory");
			*b->doorbell = b->q->index;
		}
	}
	return refused;
}

bool virtq_bus_forward(struct virtq_bus *b)
{
	bool refused;

	spin_lock(&b->lock);
	refused = bus_forward_locked(b);
	spin_unlock(&b->lock);
	return refused;
}

/* bus_return_locked: the device's used entries since last_used.  => [b] held; any taken */
static bool bus_return_locked(struct virtq_bus *b)
{
	uint16_t idx = __atomic_load_n(&bus_used(b)[1], __ATOMIC_ACQUIRE), n = 0;
	bool any = b->last_used != idx;

	LOCK_ASSERT(spin_held(&b->lock),
		"bus_return_locked: the bus of device %u not locked", b->device_id);
	while (b->last_used != idx) {
		volatile uint32_t *e = (volatile uint32_t *)((char *)b->ring + b->used_off + 4 +
							     8ul * (b->last_used & (b->size - 1)));
		uint32_t slot = e[0], len = e[1];
		struct virtq_bus_slot *s;

		b->last_used++;
		if (slot >= b->size || !(s = &b->slots[slot])->pool_n) {
			kprintf("virtq_bus: device %x: bogus used id %u\n", b->device_id, slot);
			continue;
		}
		iova_free(&b->pool, s->pool_first, s->pool_n);
		s->pool_n = 0;
		b->free_slots[b->nfree++] = (uint16_t)slot;
		b->stats.returned++;
		b->elems[2 * n] = s->drv_head;		/* passed on together below */
		b->elems[2 * n++ + 1] = len;
	}
	bus_give_back(b, b->elems, n);
	if (b->event_idx)	/* used_event: interrupt us when the device passes what we took */
		bus_avail(b)[2 + b->size] = b->last_used;
	return any;
}

bool virtq_bus_returned(struct virtq_bus *b)
{
	return __atomic_load_n(&bus_used(b)[1], __ATOMIC_ACQUIRE) !=
	       __atomic_load_n(&b->last_used, __ATOMIC_RELAXED);
}

void virtq_bus_return(struct virtq_bus *b)
{
	bool any = false;

	spin_lock(&b->lock);
	do {
		any |= bus_return_locked(b);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
	} while (__atomic_load_n(&bus_used(b)[1], __ATOMIC_ACQUIRE) != b->last_used);
	if (any) {
		bus_write16(b, b->drv_used + 2, b->drv_used_idx);
		if (b->stalled)
			bus_forward_locked(b);	/* room in the pool: take what waited */
	}
	spin_unlock(&b->lock);
}
