/*
 * vm_object.c: objects, their resident pages and shadow chains (see
 * vm_object.h).  Resident pages are found through one hash table keyed by
 * (object, offset), as in Mach.
 */
#include <string.h>

#include "kern/kernel.h"
#include "kern/spinlock.h"
#include "kern/thread.h"
#include "vm/pmap.h"
#include "vm/vm_fault.h"
#include "vm/vm_object.h"
#include "vm/vm_pageout.h"
#include "vm/vm_pager.h"
#include "vm/vm_zone.h"

const struct vm_pager_ops *vm_pager_default;

static struct zone vm_object_zone = ZONE_INIT("vm_object", sizeof(struct vm_object));
static struct spinlock vm_object_list_lock = SPINLOCK_INIT("vm_object_list");
static struct vm_object *vm_object_list;		/* [g] */
static uint64_t vm_object_live;			/* [g] */
static uint64_t vm_object_next_id = 1;			/* [g] */

/*
 * The page hash.  Writers (insert, remove) hold vm_page_hash_lock and bump
 * their bucket's sequence number to odd before changing its chain and back
 * to even after.  Readers take no lock: they hold the object's lock, so
 * the pages of that object, and their object and offset fields, cannot
 * change under them; a match is therefore always right.  Only a miss can
 * be wrong (a concurrent change elsewhere in the chain sent the walk off
 * it), and a miss counts only if the bucket's sequence number was even and
 * the same before and after the walk; otherwise the lookup is redone under
 * the lock.  Page records are never freed, so a stale pointer is always
 * safe to follow.
 */
static struct spinlock vm_page_hash_lock = SPINLOCK_INIT("vm_page_hash");
struct vm_page_bucket *vm_page_hash;		/* [c] */
uint64_t vm_page_hash_mask;			/* [c] */
static struct spinlock vm_page_busy_lock = SPINLOCK_INIT("vm_page_busy");

/* ---- the page hash ----------------------------------------------------------- */

void vm_object_bootstrap(void)
{
	uint64_t buckets = 256, pages;
	vm_page_t m;

	while (buckets < vm_page_total_count() / 4)
		buckets <<= 1;
	pages = atop(round_page(buckets * sizeof(struct vm_page_bucket)));
	m = vm_page_alloc_contig(pages, 1);
	if (!m)
		panic("vm_object_bootstrap: no %lu pages for the page hash", pages);
	vm_page_hash = pmap_direct_map(m->phys_addr);
	memset(vm_page_hash, 0, ptoa(pages));
	vm_page_hash_mask = buckets - 1;
}

/* bucket_change_begin / _end: bracket a chain change.  => vm_page_hash_lock held */
static void bucket_change_begin(struct vm_page_bucket *b)
{
	LOCK_ASSERT(spin_held(&vm_page_hash_lock),
		"bucket_change_begin: vm_page_hash_lock not held");

	__atomic_store_n(&b->seq, b->seq + 1, __ATOMIC_RELAXED);
	/* The odd number is visible before any pointer the change writes. */
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

static void bucket_change_end(struct vm_page_bucket *b)
{
	LOCK_ASSERT(spin_held(&vm_page_hash_lock), "bucket_change_end: vm_page_hash_lock not held");

	/* Release: the chain's new pointers are visible before the even number. */
	__atomic_store_n(&b->seq, b->seq + 1, __ATOMIC_RELEASE);
}

/*
 * bucket_walk_locked: the lookup redone under vm_page_hash_lock, which it
 * takes itself (out of line: it is rare); the object lock is the caller's.
 */
static __attribute__((noinline)) vm_page_t bucket_walk_locked(struct vm_page_bucket *b,
							       vm_object_t object,
							       vm_object_offset_t offset)
{
	bool complete;
	vm_page_t m;

	spin_lock(&vm_page_hash_lock);
	m = vm_page_bucket_walk(b, object, offset, UINT64_MAX, &complete);
	spin_unlock(&vm_page_hash_lock);
	return m;
}

vm_page_t vm_page_lookup_missed(struct vm_page_bucket *b, vm_object_t object,
				vm_object_offset_t offset, uint64_t seq, bool complete)
{
	/* Acquire fence: the walk's loads are done before seq is read again. */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	if (complete && !(seq & 1) && __atomic_load_n(&b->seq, __ATOMIC_RELAXED) == seq)
		return NULL;
	return bucket_walk_locked(b, object, offset);
}

void vm_page_insert(vm_page_t m, vm_object_t object, vm_object_offset_t offset)
{
	struct vm_page_bucket *b = vm_page_bucket(object, offset);
	uint64_t sie;

	LOCK_ASSERT(mutex_owned(&object->lock),
		"vm_page_insert: object %lu not locked", object->id);
	KASSERT(!m->object, "vm_page_insert: page 0x%lx already in an object", m->phys_addr);
	/* Atomic stores: lock-free lookups of other objects read these fields as they walk past. */
	__atomic_store_n(&m->object, object, __ATOMIC_RELAXED);
	__atomic_store_n(&m->offset, offset, __ATOMIC_RELAXED);
	sie = spin_lock_irqsave(&vm_page_hash_lock);
	bucket_change_begin(b);
	__atomic_store_n(&m->hnext, b->head, __ATOMIC_RELAXED);
	__atomic_store_n(&b->head, m, __ATOMIC_RELAXED);
	bucket_change_end(b);
	spin_unlock_irqrestore(&vm_page_hash_lock, sie);
	m->oprev = NULL;
	m->onext = object->pages;
	if (m->onext)
		m->onext->oprev = m;
	object->pages = m;
	object->resident_count++;
	vm_page_activate(m);
}

/*
 * vm_page_unhash_locked: m leaves the page hash.  m->hnext is left as it
 * was: a lock-free reader standing on m still walks on into the chain
 * (and, if m is inserted elsewhere meanwhile, its bucket's sequence
 * number tells it to look again).  => vm_page_hash_lock held
 */
static void vm_page_unhash_locked(vm_page_t m)
{
	struct vm_page_bucket *b = vm_page_bucket(m->object, m->offset);
	struct vm_page **pp = &b->head;

	LOCK_ASSERT(spin_held(&vm_page_hash_lock),
		"vm_page_unhash_locked: vm_page_hash_lock not held");
	while (*pp != m)
		pp = &(*pp)->hnext;
	bucket_change_begin(b);
	__atomic_store_n(pp, m->hnext, __ATOMIC_RELAXED);
	bucket_change_end(b);
}

/* vm_page_unlist: m leaves its object's page list (its paging queue is the caller's business). */
static void vm_page_unlist(vm_page_t m)
{
	vm_object_t object = m->object;

	if (m->oprev)
		m->oprev->onext = m->onext;
	else
		object->pages = m->onext;
	if (m->onext)
		m->onext->oprev = m->oprev;
	m->onext = m->oprev = NULL;
	m->discarded = false;
	__atomic_store_n(&m->object, NULL, __ATOMIC_RELAXED);
	object->resident_count--;
}

void vm_page_remove(vm_page_t m)
{
	vm_page_remove_many(&m, 1);
}

void vm_page_remove_many(vm_page_t *pages, uint32_t n)
{
	bool queued = false;

	LOCK_ASSERT(n == 0 || mutex_owned(&pages[0]->object->lock),
		"vm_page_remove_many: object %lu not locked", pages[0]->object->id);
	spin_lock(&vm_page_hash_lock);
	for (uint32_t i = 0; i < n; i++)
		vm_page_unhash_locked(pages[i]);
	spin_unlock(&vm_page_hash_lock);
	for (uint32_t i = 0; i < n; i++) {
		queued |= __atomic_load_n(&pages[i]->queue, __ATOMIC_RELAXED) != VM_PAGE_Q_NONE;
		vm_page_unlist(pages[i]);
		pages[i]->rdonly = false;	/* a page out of memory keeps no protection */
	}
	if (!queued)
		return;			/* never queued: they have stayed so, under the object lock */
	spin_lock(&vm_page_queue_lock);
	for (uint32_t i = 0; i < n; i++)
		vm_page_dequeue_locked(pages[i]);
	spin_unlock(&vm_page_queue_lock);
}

vm_page_t vm_page_alloc_object(vm_object_t object, vm_object_offset_t offset)
{
	vm_page_t m;

	LOCK_ASSERT(mutex_owned(&object->lock),
		"vm_page_alloc_object: object %lu not locked", object->id);
	if ((m = vm_page_alloc())) {
		m->busy = true;
		vm_page_insert(m, object, offset);
	}
	return m;
}

/*
 * vm_page_release / vm_page_wait_busy: busy is cleared and wanted read
 * without the lock, the waiter sets wanted and reads busy under it; with
 * sequentially consistent accesses one of the two sees the other, so no
 * wakeup is lost and an uncontended release takes no lock.
 */
void vm_page_release(vm_page_t m)
{
	bool wake;

	__atomic_store_n(&m->busy, false, __ATOMIC_SEQ_CST);
	if (!__atomic_load_n(&m->wanted, __ATOMIC_SEQ_CST))
		return;
	spin_lock(&vm_page_busy_lock);
	wake = m->wanted;
	m->wanted = false;
	spin_unlock(&vm_page_busy_lock);
	if (wake)
		thread_wakeup(m);
}

void vm_page_wait_busy(vm_page_t m)
{
	vm_object_t object = m->object;

	LOCK_ASSERT(object && mutex_owned(&object->lock),
		"vm_page_wait_busy: page 0x%lx: object not locked", m->phys_addr);
	spin_lock(&vm_page_busy_lock);
	__atomic_store_n(&m->wanted, true, __ATOMIC_SEQ_CST);
	if (!__atomic_load_n(&m->busy, __ATOMIC_SEQ_CST)) {
		m->wanted = false;
		spin_unlock(&vm_page_busy_lock);
		return;
	}
	mutex_unlock(&object->lock);
	thread_sleep(m, &vm_page_busy_lock);
	spin_unlock(&vm_page_busy_lock);
	mutex_lock(&object->lock);
}

/* vm_page_free_object_page: remove every mapping of m, take it out of its object, free it. */
static void vm_page_free_object_page(vm_page_t m)
{
	KASSERT(m->wire_count == 0, "vm_object: freeing wired page 0x%lx", m->phys_addr);
	pmap_page_protect(m, VM_PROT_NONE);
	vm_page_remove(m);
	vm_page_free(m);
}

void vm_page_dirty(vm_page_t m)
{
	vm_object_t object = m->object;

	/* An object never paged out (no pager) has no copy to drop. */
	if (!object || !__atomic_load_n(&object->pager, __ATOMIC_ACQUIRE))
		return;
	mutex_lock(&object->lock);
	if (m->object == object && vm_pager_has_page(object, m->offset))
		vm_pager_discard(object, m->offset);
	mutex_unlock(&object->lock);
}

void vm_object_page_hold(vm_page_t m)
{
	vm_object_t object = m->object;

	vm_object_reference(object);
	mutex_lock(&object->lock);
	KASSERT(m->wire_count > 0 && m->object == object, "vm_object_page_hold: page 0x%lx not wired",
		m->phys_addr);
	object->io_held_count++;
	mutex_unlock(&object->lock);
}

bool vm_object_pages_hold(vm_object_t object, vm_object_offset_t offset, uint32_t n,
			  vm_page_t *pages)
{
	mutex_lock(&object->lock);
	for (uint32_t i = 0; i < n; i++) {
		vm_page_t m = vm_page_lookup(object, offset + ptoa((uint64_t)i));

		if (!m || !m->wire_count || m->busy) {
			mutex_unlock(&object->lock);
			return false;
		}
		pages[i] = m;
	}
	for (uint32_t i = 0; i < n; i++)
		vm_page_wire(pages[i]);
	object->io_held_count += n;
	mutex_unlock(&object->lock);
	for (uint32_t i = 0; i < n; i++)
		vm_object_reference(object);
	return true;
}

void vm_object_attach(vm_object_t object)
{
	vm_object_reference(object);
	mutex_lock(&object->lock);
	object->attach_count++;
	mutex_unlock(&object->lock);
}

void vm_object_detach(vm_object_t object)
{
	mutex_lock(&object->lock);
	KASSERT(object->attach_count > 0, "vm_object_detach: object %lu not attached", object->id);
	object->attach_count--;
	mutex_unlock(&object->lock);
	vm_object_deallocate(object);
}

/* unhold_run: end the holds on pages[0..n), all of one object.  => object unlocked */
static void unhold_run(vm_object_t object, vm_page_t *pages, uint32_t n, bool dirty)
{
	for (uint32_t i = 0; dirty && i < n; i++)
		vm_page_dirty(pages[i]);
	mutex_lock(&object->lock);
	KASSERT(object->io_held_count >= n, "vm_object_pages_unhold: object %lu holds %u, not %u",
		object->id, object->io_held_count, n);
	object->io_held_count -= n;
	for (uint32_t i = 0; i < n; i++) {
		vm_page_unwire(pages[i]);
		if (!pages[i]->wire_count && pages[i]->discarded)
			vm_page_free_object_page(pages[i]);
	}
	mutex_unlock(&object->lock);
	for (uint32_t i = 0; i < n; i++)
		vm_object_deallocate(object);
}

void vm_object_pages_unhold(vm_page_t *pages, uint32_t n, bool dirty)
{
	uint32_t i = 0;

	while (i < n) {
		vm_object_t object = pages[i]->object;
		uint32_t run = 1;

		while (i + run < n && pages[i + run]->object == object)
			run++;
		unhold_run(object, pages + i, run, dirty);
		i += run;
	}
}

void vm_object_pmap_protect(vm_object_t object, vm_object_offset_t offset, vm_size_t size,
			    vm_prot_t prot)
{
	vm_prot_t page_prot = prot == VM_PROT_NONE ? VM_PROT_NONE : VM_PROT_READ;

	mutex_lock(&object->lock);
	for (;;) {
		vm_object_t shadow = object->shadow;

		for (vm_page_t m = object->pages; m; m = m->onext)
			if (m->offset >= offset && m->offset - offset < size)
				pmap_page_protect(m, page_prot);
		if (!shadow || prot != VM_PROT_NONE)
			break;
		mutex_lock(&shadow->lock);	/* top of a chain before bottom */
		offset += object->shadow_offset;
		mutex_unlock(&object->lock);
		object = shadow;
	}
	mutex_unlock(&object->lock);
}

/*
 * vm_object_page_remove: throw away object's pages and their paged-out
 * copies in [start, end) (page aligned): nothing uses them any more.
 * Busy pages are waited for; wired ones are left, marked discarded, for
 * vm_object_pages_unhold to free.
 * => object referenced, unlocked
 */
void vm_object_page_remove(vm_object_t object, vm_object_offset_t start, vm_object_offset_t end)
{
	vm_page_t m, next;

	mutex_lock(&object->lock);
again:
	for (m = object->pages; m; m = next) {
		next = m->onext;
		if (m->offset < start || m->offset >= end)
			continue;
		if (m->wire_count) {
			m->discarded = true;	/* freed by its last hold's release */
			continue;
		}
		if (m->busy) {
			vm_page_wait_busy(m);
			goto again;
		}
		vm_page_free_object_page(m);
	}
	if (object->pager)
		for (vm_object_offset_t off = start; off < end; off += PAGE_SIZE)
			vm_pager_discard(object, off);
	mutex_unlock(&object->lock);
}

void vm_object_page_discard(vm_object_t object, vm_object_offset_t start, vm_object_offset_t end)
{
	KASSERT(page_aligned(start) && page_aligned(end), "vm_object_page_discard: 0x%lx-0x%lx",
		start, end);
	mutex_lock(&object->lock);
	for (vm_object_offset_t off = start; off < end; off += PAGE_SIZE) {
		vm_page_t m = vm_page_lookup(object, off);

		while (m && m->busy) {		/* on its way out or in: let it land first */
			vm_page_wait_busy(m);
			m = vm_page_lookup(object, off);
		}
		if (m && m->wire_count)
			continue;
		if (m)
			vm_page_free_object_page(m);
		vm_pager_discard(object, off);
	}
	mutex_unlock(&object->lock);
}

/* ---- objects ------------------------------------------------------------------ */

vm_object_t vm_object_allocate(vm_object_offset_t size)
{
	vm_object_t object = zalloc(&vm_object_zone);

	if (!object)
		return NULL;
	object->canary = VM_OBJECT_CANARY;
	mutex_init(&object->lock, "vm_object");
	object->ref_count = 1;
	object->size = round_page(size);
	spin_lock(&vm_object_list_lock);
	object->id = vm_object_next_id++;
	object->gnext = vm_object_list;
	if (object->gnext)
		object->gnext->gprev = object;
	vm_object_list = object;
	vm_object_live++;
	spin_unlock(&vm_object_list_lock);
	return object;
}

void vm_object_reference(vm_object_t object)
{
	if (!object)
		return;
	KASSERT(__atomic_load_n(&object->ref_count, __ATOMIC_RELAXED) > 0,
		"vm_object_reference: object %lu is dead", object->id);
	__atomic_fetch_add(&object->ref_count, 1, __ATOMIC_RELAXED);
}

void vm_object_share(vm_object_t object)
{
	if (!object)
		return;
	__atomic_store_n(&object->one_mapping, false, __ATOMIC_RELEASE);
	vm_object_reference(object);
}

bool vm_object_reference_live(vm_object_t object)
{
	int c = __atomic_load_n(&object->ref_count, __ATOMIC_RELAXED);

	while (c > 0)
		if (__atomic_compare_exchange_n(&object->ref_count, &c, c + 1, false, __ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			return true;
	return false;
}

static void vm_object_free(vm_object_t object)
{
	spin_lock(&vm_object_list_lock);
	if (object->gprev)
		object->gprev->gnext = object->gnext;
	else
		vm_object_list = object->gnext;
	if (object->gnext)
		object->gnext->gprev = object->gprev;
	vm_object_live--;
	spin_unlock(&vm_object_list_lock);
	object->canary = 0;
	zfree(&vm_object_zone, object);
}

void vm_object_deallocate(vm_object_t object)
{
	while (object) {
		vm_object_t shadow;

		KASSERT(object->canary == VM_OBJECT_CANARY && object->ref_count > 0,
			"vm_object_deallocate: object %p is dead", (void *)object);
		if (__atomic_sub_fetch(&object->ref_count, 1, __ATOMIC_ACQ_REL) > 0)
			return;
		mutex_lock(&object->lock);	/* the last reference: nobody can take another */
		vm_pager_terminate(object);
		while (object->pages)
			vm_page_free_object_page(object->pages);
		shadow = object->shadow;
		object->shadow = NULL;
		mutex_unlock(&object->lock);
		vm_object_free(object);
		object = shadow;	/* the reference we held on it goes too */
	}
}

bool vm_object_shadow(vm_object_t *object, vm_object_offset_t *offset, vm_object_offset_t length)
{
	vm_object_t shadow = vm_object_allocate(length);

	if (!shadow)
		return false;
	shadow->shadow = *object;
	shadow->shadow_offset = *offset;
	*object = shadow;
	*offset = 0;
	return true;
}

/*
 * collapse_absorb: object takes backing's pages, resident and paged out
 * (backing's last reference, object's, already claimed: its count is 0);
 * backing's pager lets go of what object hides.  => both locked,
 * vm_pager_can_absorb
 */
static bool collapse_absorb(vm_object_t object, vm_object_t backing)
{
	vm_page_t m, next;

	LOCK_ASSERT(mutex_owned(&object->lock),
		"collapse_absorb: object %lu not locked", object->id);
	LOCK_ASSERT(mutex_owned(&backing->lock),
		"collapse_absorb: backing %lu not locked", backing->id);
	for (m = backing->pages; m; m = m->onext)
		if (m->busy)
			return false;		/* being filled: try another time */
	for (m = backing->pages; m; m = next) {
		vm_object_offset_t off = m->offset - object->shadow_offset;

		next = m->onext;
		if (m->offset < object->shadow_offset || off >= object->size ||
		    vm_page_lookup(object, off) || vm_pager_has_page(object, off)) {
			vm_page_free_object_page(m);	/* hidden or out of range */
			continue;
		}
		vm_page_remove(m);
		vm_page_insert(m, object, off);	/* same page, same data: mappings stay valid */
	}
	/* Then the copies in the store, where object now has no page (a failure keeps them there). */
	if (!vm_pager_absorb(object, backing, object->shadow_offset))
		return false;
	vm_pager_terminate(backing);
	__atomic_store_n(&object->shadow, backing->shadow, __ATOMIC_RELAXED);
	object->shadow_offset += backing->shadow_offset;
	__atomic_store_n(&backing->shadow, NULL, __ATOMIC_RELAXED);
	return true;
}

/*
 * collapse_level: absorb or bypass object's immediate shadows while it can.
 * Neither is possible unless the backing object has one reference or
 * object holds every page of its range; that is checked first without the
 * backing object's lock (its reference count changes without it anyway,
 * so the locked check is a snapshot too; a collapse missed now is made by
 * a later fault).  => object locked
 */
static void collapse_level(vm_object_t object)
{
	LOCK_ASSERT(mutex_owned(&object->lock),
		"collapse_level: object %lu not locked", object->id);

	for (;;) {
		vm_object_t backing = object->shadow;

		if (!backing || (__atomic_load_n(&backing->ref_count, __ATOMIC_RELAXED) != 1 &&
				 object->resident_count != atop(object->size)))
			return;
		mutex_lock(&backing->lock);
		/* Checked before the claim: a count seen at 0 says "dying" to vnode_pager_setup. */
		if (backing->ref_count == 1 && vm_pager_can_absorb(object, backing)) {
			int one = 1;

			/*
			 * Claim the last reference before anything changes: the
			 * swap-file drain takes references under dp_lock alone
			 * (vm_object_reference_live, which fails on 0).
			 */
			if (!__atomic_compare_exchange_n(&backing->ref_count, &one, 0, false,
							 __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) {
				mutex_unlock(&backing->lock);
				return;
			}
			if (!collapse_absorb(object, backing)) {
				__atomic_store_n(&backing->ref_count, 1, __ATOMIC_RELEASE);
				mutex_unlock(&backing->lock);
				return;
			}
			mutex_unlock(&backing->lock);
			vm_object_free(backing);
		} else if (object->resident_count == atop(object->size)) {
			/* Bypass: every page of our range is ours; the backing shows through nowhere. */
			vm_object_reference(backing->shadow);
			__atomic_store_n(&object->shadow, backing->shadow, __ATOMIC_RELAXED);
			object->shadow_offset += backing->shadow_offset;
			mutex_unlock(&backing->lock);
			vm_object_deallocate(backing);	/* our reference; another holder may be gone now */
		} else {
			mutex_unlock(&backing->lock);
			return;
		}
	}
}

/*
 * vm_object_collapse: every level of the chain, not only the top: when a
 * sibling that shared a middle object goes away, that object is left with
 * one reference from the object above it, however deep it sits.
 */
void vm_object_collapse(vm_object_t object)
{
	vm_object_t obj = object;

	LOCK_ASSERT(mutex_owned(&object->lock),
		"vm_object_collapse: object %lu not locked", object->id);
	for (;;) {
		vm_object_t next;

		collapse_level(obj);
		/*
		 * A shadow that has no shadow has nothing to collapse into it:
		 * stop without its lock.  Read unlocked, a NULL is final (a
		 * shadow pointer never goes from NULL to an object), and obj's
		 * lock keeps next (obj's reference) alive.
		 */
		if (!(next = obj->shadow) || !__atomic_load_n(&next->shadow, __ATOMIC_RELAXED))
			break;
		mutex_lock(&next->lock);
		if (obj != object)
			mutex_unlock(&obj->lock);
		obj = next;
	}
	if (obj != object)
		mutex_unlock(&obj->lock);
}

vm_page_t vm_object_chain_page(vm_object_t object, vm_object_offset_t offset, kern_return_t *kr)
{
	vm_object_t owner;
	vm_object_offset_t owner_off;
	bool slept, paged;
	vm_page_t m;

	*kr = KERN_SUCCESS;
	for (;;) {
		mutex_lock(&object->lock);
		m = vm_object_chain_find_locked(object, offset, &owner, &owner_off, &slept, &paged);
		if (slept)
			continue;
		if (paged) {
			*kr = vm_pager_data_request(owner, owner_off, VM_BEHAVIOR_DEFAULT);
			vm_object_deallocate(owner);
			if (*kr == KERN_RESOURCE_SHORTAGE && vm_pageout_wait_memory())
				*kr = KERN_SUCCESS;	/* the daemon freed some: ask again */
			if (*kr != KERN_SUCCESS)
				return NULL;
			continue;		/* resident now: look again */
		}
		if (m && owner == object)
			m->busy = true;		/* a page further down comes back busy already */
		mutex_unlock(&object->lock);
		return m;
	}
}

/* ---- object I/O (the cross-memory copies) ---------------------------------------------- */

/* object_range_ok: [offset, offset + len) lies inside object. */
static bool object_range_ok(vm_object_t object, vm_object_offset_t offset, vm_size_t len)
{
	return object && offset + len >= offset && offset + len <= object->size;
}

/* object_io_chunk: the bytes from offset to the end of its page, at most len. */
static vm_size_t object_io_chunk(vm_object_offset_t offset, vm_size_t len)
{
	return MIN(len, PAGE_SIZE - (offset & PAGE_MASK));
}

kern_return_t vm_object_read(vm_object_t object, vm_object_offset_t offset, void *buf, vm_size_t len)
{
	char *dst = buf;

	if (!object_range_ok(object, offset, len) || (len && !buf))
		return KERN_INVALID_ARGUMENT;
	while (len) {
		vm_size_t n = object_io_chunk(offset, len);
		kern_return_t kr;
		vm_page_t m = vm_object_chain_page(object, trunc_page(offset), &kr);

		if (kr != KERN_SUCCESS)
			return kr;
		if (m && vm_page_fictitious(m)) {
			vm_page_release(m);
			return KERN_MEMORY_ERROR;	/* device memory: not reached this way */
		}
		if (m) {
			memcpy(dst, (char *)pmap_direct_map(m->phys_addr) + (offset & PAGE_MASK), n);
			vm_page_release(m);
		} else {
			memset(dst, 0, n);		/* no object of the chain has it */
		}
		dst += n, offset += n, len -= n;
	}
	return KERN_SUCCESS;
}

kern_return_t vm_object_write(vm_object_t object, vm_object_offset_t offset, const void *buf,
			      vm_size_t len)
{
	const char *src = buf;

	if (!object_range_ok(object, offset, len) || (len && !buf))
		return KERN_INVALID_ARGUMENT;
	while (len) {
		vm_size_t n = object_io_chunk(offset, len);
		kern_return_t kr;
		bool readonly;
		vm_page_t m;

		do {
			kr = vm_fault_page(object, trunc_page(offset), VM_PROT_WRITE,
					   VM_BEHAVIOR_DEFAULT, &m, &readonly, true);
		} while (kr == KERN_RESOURCE_SHORTAGE && vm_pageout_wait_memory());
		if (kr != KERN_SUCCESS)
			return kr;
		if (vm_page_fictitious(m)) {
			vm_fault_page_done(m);
			return KERN_MEMORY_ERROR;
		}
		memcpy((char *)pmap_direct_map(m->phys_addr) + (offset & PAGE_MASK), src, n);
		pmap_set_modify(m);
		vm_fault_page_done(m);
		src += n, offset += n, len -= n;
	}
	return KERN_SUCCESS;
}

/*
 * object_resident_page: the page (object, offset) shows, for a caller that
 * cannot sleep: down the chain with trylocks, each object's lock taken
 * before its parent's is let go.  *locked: the object whose lock is held
 * on return (NULL when none: the page reads as zeros, *mp NULL).  A write
 * takes only object's own page.
 * => KERN_FAILURE (nothing locked) where a fault would be needed
 */
static kern_return_t object_resident_page(vm_object_t object, vm_object_offset_t offset, bool write,
					  vm_page_t *mp, vm_object_t *locked)
{
	vm_object_t o = object, next;
	vm_page_t m;

	if (!mutex_trylock(&o->lock))
		return KERN_FAILURE;
	for (;;) {
		m = vm_page_lookup(o, offset);
		if (m && !m->busy && !vm_page_fictitious(m) && (!write || (o == object && !m->rdonly))) {
			*mp = m, *locked = o;
			return KERN_SUCCESS;
		}
		/* busy, device memory, a copy needed, read-only, or perhaps paged out: not here */
		if (m || write || o->pager || !(next = o->shadow) || !mutex_trylock(&next->lock)) {
			bool zeros = !m && !write && !o->pager && !o->shadow;

			mutex_unlock(&o->lock);
			*mp = NULL, *locked = NULL;
			return zeros ? KERN_SUCCESS : KERN_FAILURE;
		}
		offset += o->shadow_offset;
		mutex_unlock(&o->lock);
		o = next;
	}
}

/* object_rw_resident: the two resident copies, write telling which way. */
static kern_return_t object_rw_resident(vm_object_t object, vm_object_offset_t offset, char *buf,
					vm_size_t len, bool write)
{
	if (!object_range_ok(object, offset, len) || (len && !buf))
		return KERN_INVALID_ARGUMENT;
	while (len) {
		vm_size_t n = object_io_chunk(offset, len);
		vm_object_t locked;
		vm_page_t m;
		char *p;

		if (object_resident_page(object, trunc_page(offset), write, &m, &locked) != KERN_SUCCESS)
			return KERN_FAILURE;
		if (!m) {
			memset(buf, 0, n);
		} else {
			p = (char *)pmap_direct_map(m->phys_addr) + (offset & PAGE_MASK);
			memcpy(write ? p : buf, write ? buf : p, n);
			if (write)
				pmap_set_modify(m);
			mutex_unlock(&locked->lock);
		}
		buf += n, offset += n, len -= n;
	}
	return KERN_SUCCESS;
}

kern_return_t vm_object_read_resident(vm_object_t object, vm_object_offset_t offset, void *buf,
				      vm_size_t len)
{
	return object_rw_resident(object, offset, buf, len, false);
}

kern_return_t vm_object_write_resident(vm_object_t object, vm_object_offset_t offset,
				       const void *buf, vm_size_t len)
{
	return object_rw_resident(object, offset, (char *)buf, len, true);
}

kern_return_t vm_object_make_page(vm_object_t object, vm_object_offset_t offset)
{
	vm_page_t m;

	offset = trunc_page(offset);
	if (!object || offset >= object->size)
		return KERN_INVALID_ARGUMENT;
	for (;;) {
		mutex_lock(&object->lock);
		if (vm_page_lookup(object, offset)) {
			mutex_unlock(&object->lock);
			return KERN_SUCCESS;
		}
		if ((m = vm_page_alloc_object(object, offset)) != NULL)
			break;
		mutex_unlock(&object->lock);
		if (!vm_pageout_wait_memory())
			return KERN_RESOURCE_SHORTAGE;
	}
	if (vm_pager_has_page(object, offset))
		vm_pager_discard(object, offset);
	mutex_unlock(&object->lock);
	pmap_zero_page(m);
	pmap_set_modify(m);		/* its only copy is this one */
	vm_page_release(m);
	return KERN_SUCCESS;
}

void vm_object_protect_resident(vm_object_t object, vm_object_offset_t offset, vm_size_t size,
				bool readonly)
{
	vm_page_t batch[64];
	uint32_t n = 0;

	mutex_lock(&object->lock);
	for (vm_page_t m = object->pages; m; m = m->onext) {
		if (m->offset < offset || m->offset - offset >= size || vm_page_fictitious(m))
			continue;
		m->rdonly = readonly;
		if (readonly)
			batch[n++] = m;
		if (n == ARRAY_SIZE(batch)) {
			pmap_page_protect_many(batch, n, VM_PROT_READ);
			n = 0;
		}
	}
	if (n)
		pmap_page_protect_many(batch, n, VM_PROT_READ);	/* no writable mapping left */
	mutex_unlock(&object->lock);
}

bool vm_object_modified(vm_object_t object)
{
	bool modified = false;

	mutex_lock(&object->lock);
	for (vm_page_t m = object->pages; m && !modified; m = m->onext)
		modified = !vm_page_fictitious(m) &&
			   (pmap_is_modified(m) || !vm_pager_has_page(object, m->offset));
	mutex_unlock(&object->lock);
	return modified;
}

uint64_t vm_object_pages_written(vm_object_t object)
{
	return __atomic_load_n(&object->pages_written, __ATOMIC_RELAXED);
}

void vm_object_wait_io(vm_object_t object)
{
	vm_page_t m;

	mutex_lock(&object->lock);
	do {
		for (m = object->pages; m && !m->busy; m = m->onext)
			;
		if (m)
			vm_page_wait_busy(m);	/* the list may change meanwhile: walk it again */
	} while (m);
	mutex_unlock(&object->lock);
}

vm_object_t vm_object_copy_range(vm_object_t object, vm_object_offset_t offset, vm_size_t size)
{
	vm_object_t copy = vm_object_allocate(size);

	for (vm_object_offset_t o = 0; copy && object && o < size;) {
		kern_return_t kr;
		vm_page_t src = vm_object_chain_page(object, offset + o, &kr), dst;

		if (kr == KERN_SUCCESS && src && vm_page_fictitious(src)) {
			vm_page_release(src);
			kr = KERN_PROTECTION_FAILURE;	/* device memory: no copy of it */
		}
		if (kr != KERN_SUCCESS) {
			vm_object_deallocate(copy);
			return NULL;
		}
		if (!src) {
			o += PAGE_SIZE;		/* zeros: the copy reads zeros there too */
			continue;
		}
		mutex_lock(&copy->lock);
		dst = vm_page_alloc_object(copy, o);
		if (dst) {
			pmap_copy_page(src, dst);
			vm_page_release(dst);
		}
		mutex_unlock(&copy->lock);
		vm_page_release(src);
		if (dst)
			o += PAGE_SIZE;
		else if (!vm_pageout_wait_memory()) {	/* the daemon frees some, or nobody can */
			vm_object_deallocate(copy);
			return NULL;
		}
	}
	return copy;
}

int vm_object_chain_length(vm_object_t object)
{
	int n = 0;

	for (; object; object = object->shadow)
		n++;
	return n;
}

uint64_t vm_object_count(void)
{
	return __atomic_load_n(&vm_object_live, __ATOMIC_RELAXED);
}

/* ---- checking and printing ------------------------------------------------------- */

/* vm_object_check_one: one object's invariants.  => object locked */
static int vm_object_check_one(vm_object_t object, void (*report)(const char *fmt, ...))
{
	uint64_t n = 0, wired = 0;
	int bad = 0;

	LOCK_ASSERT(mutex_owned(&object->lock),
		"vm_object_check_one: object %lu not locked", object->id);
	for (vm_page_t m = object->pages; m; m = m->onext, n++) {
		wired += m->wire_count;
		if (m->object != object || m->offset >= object->size || !page_aligned(m->offset) ||
		    vm_page_lookup(object, m->offset) != m) {
			report("vm_object_check: object %lu page 0x%lx at 0x%lx misfiled\n", object->id,
			       m->phys_addr, m->offset);
			bad++;
		}
	}
	if (n != object->resident_count) {
		report("vm_object_check: object %lu lists %lu pages, counts %lu\n", object->id, n,
		       object->resident_count);
		bad++;
	}
	if (object->io_held_count > wired) {	/* every hold is a wiring of a page here */
		report("vm_object_check: object %lu holds %u pages for I/O, %lu wirings\n", object->id,
		       object->io_held_count, wired);
		bad++;
	}
	if (object->attach_count > (uint32_t)object->ref_count) {	/* each attachment is a reference */
		report("vm_object_check: object %lu attached %u times, %d references\n", object->id,
		       object->attach_count, object->ref_count);
		bad++;
	}
	if (object->shadow && !page_aligned(object->shadow_offset)) {
		report("vm_object_check: object %lu shadow offset 0x%lx unaligned\n", object->id,
		       object->shadow_offset);
		bad++;
	}
	return bad;
}

/* vm_object_check: the chain from object down, each object locked while it is checked. */
int vm_object_check(vm_object_t object, void (*report)(const char *fmt, ...))
{
	int bad = 0;

	if (!object)
		return 0;
	mutex_lock(&object->lock);
	for (;;) {
		vm_object_t next;

		if (object->canary != VM_OBJECT_CANARY || object->ref_count <= 0) {
			report("vm_object_check: object %p dead (canary 0x%x, refs %d)\n", (void *)object,
			       object->canary, object->ref_count);
			bad++;
			break;
		}
		bad += vm_object_check_one(object, report);
		if (!(next = object->shadow))
			break;
		mutex_lock(&next->lock);
		mutex_unlock(&object->lock);
		object = next;
	}
	mutex_unlock(&object->lock);
	return bad;
}

void vm_object_print(vm_object_t object, bool full, int (*print)(const char *fmt, ...))
{
	vm_object_print_at(object, full, 4, print);
}

void vm_object_print_at(vm_object_t object, bool full, int indent,
			int (*print)(const char *fmt, ...))
{
	for (int depth = 0; object; object = object->shadow, depth++) {
		print("%*sobject %lu: size 0x%lx, %d refs, %lu resident%s%s%s%s", 2 * depth + indent, "",
		      object->id, object->size, object->ref_count, object->resident_count,
		      object->one_mapping ? ", one mapping" : "",
		      object->attach_count ? ", attached" : "",
		      object->pager ? ", paged out" : "", object->shadow ? ", shadows at " : "\n");
		if (object->shadow)
			print("0x%lx:\n", object->shadow_offset);
		for (vm_page_t m = full ? object->pages : NULL; m; m = m->onext)
			print("%*s0x%lx -> page 0x%lx%s\n", 2 * depth + indent + 2, "", m->offset,
			      m->phys_addr, m->busy ? " busy" : "");
	}
}
