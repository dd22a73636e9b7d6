/*
 * vm_pager.h: what an object's backing store does for the VM (Mach's
 * memory_object data_request / data_return / terminate, as the reference's
 * "Pagers" section describes them).  Each object names its pager
 * (object->pager, with the pager's own record in object->pager_data), and
 * the VM reaches a pager only through the wrappers below, which take the
 * object.  An anonymous object gets the default pager (vm/default_pager.c)
 * when it first pages out; until then absent pages read as zeros.
 *
 * Pagers move pages only through UPLs (vm/vm_upl.h).
 */
#ifndef VM_VM_PAGER_H
#define VM_VM_PAGER_H

#include <stdbool.h>

#include "kern/kernel.h"
#include "vm/vm_behavior.h"
#include "vm/vm_object.h"

struct upl;

struct vm_pager_ops {
	const char *name;
	/* fictitious: the pages are device memory (vm_page_fictitious): no UPL takes them. */
	bool fictitious;
	/* has_page: the store holds a copy of (object, offset).  => object locked */
	bool (*has_page)(vm_object_t object, vm_object_offset_t offset);
	/*
	 * data_request: bring (object, offset) in, with neighbours as behavior
	 * suggests; the pages arrive resident and not busy.
	 * => object referenced, unlocked; may sleep
	 * => KERN_MEMORY_ERROR if the store failed (the page stays absent)
	 */
	kern_return_t (*data_request)(vm_object_t object, vm_object_offset_t offset,
				      vm_behavior_t behavior);
	/*
	 * data_return: write the busy pages of upl to the store, then commit
	 * it (written: the pages may be freed) or abort it (they stay dirty).
	 * => object referenced, unlocked; may sleep
	 */
	kern_return_t (*data_return)(vm_object_t object, struct upl *upl);
	/*
	 * data_return_async: start writing upl and return; the pager commits
	 * or aborts it once the write is done, at the latest in sync.  The
	 * pages stay busy until then (faults on them wait).
	 * => as data_return; an error found at once aborts the UPL at once
	 */
	kern_return_t (*data_return_async)(vm_object_t object, struct upl *upl);
	/* sync: finish every data_return_async in flight.  => may sleep */
	void (*sync)(void);
	/*
	 * synchronize: what data_return wrote of object is made stable in the
	 * store (vm_msync, after returning the dirty pages); NULL for a pager
	 * whose store is not the object's own data (the default pager's).
	 * => object referenced, unlocked; may sleep; KERN_MEMORY_ERROR
	 */
	kern_return_t (*synchronize)(vm_object_t object);
	/* discard: the copy of (object, offset) is stale or unwanted.  => object locked */
	void (*discard)(vm_object_t object, vm_object_offset_t offset);
	/* terminate: the object is being freed: release all it holds.  => object locked */
	void (*terminate)(vm_object_t object);
	/*
	 * absorb: a collapse: object (whose pager is this one or none) takes
	 * over the copies backing holds that show through object: backing's
	 * offset o becomes object's o - delta, where object has neither a
	 * resident page nor a copy.  The rest stay for backing's terminate.
	 * => both locked; false (nothing moved) if memory for the records ran out
	 * NULL: the copies never move (a file's pages stay the file's).
	 */
	bool (*absorb)(vm_object_t object, vm_object_t backing, vm_object_offset_t delta);
};

/* The default (anonymous-memory) pager; NULL while there is no backing store. */
extern const struct vm_pager_ops *vm_pager_default;

/* vm_pager_of: the pager object pages out to: its own, else the default one (NULL: none). */
static inline const struct vm_pager_ops *vm_pager_of(vm_object_t object)
{
	const struct vm_pager_ops *pager = __atomic_load_n(&object->pager, __ATOMIC_ACQUIRE);

	return pager ? pager : vm_pager_default;
}

/*
 * vm_object_is_external: object's data lives in its pager's store (a
 * file, a device), not in memory the VM made (anonymous memory, which the
 * default pager keeps only while it is paged out).
 */
static inline bool vm_object_is_external(vm_object_t object)
{
	const struct vm_pager_ops *pager = __atomic_load_n(&object->pager, __ATOMIC_ACQUIRE);

	return pager && pager != vm_pager_default;
}

/*
 * vm_object_is_persistent: object's store keeps its data beyond the
 * object (a file): its modified pages are written back by vm_msync.
 */
static inline bool vm_object_is_persistent(vm_object_t object)
{
	const struct vm_pager_ops *pager = __atomic_load_n(&object->pager, __ATOMIC_ACQUIRE);

	return pager && pager->synchronize;
}

/* vm_pager_has_page: object has a pager and it holds (object, offset).  => object locked */
static inline bool vm_pager_has_page(vm_object_t object, vm_object_offset_t offset)
{
	LOCK_ASSERT(mutex_owned(&object->lock),
		"vm_pager_has_page: object %lu not locked", object->id);
	return object->pager && object->pager->has_page(object, offset);
}

/*
 * vm_object_chain_find_locked: the first page for (object, offset) down
 * the chain, with *owner the object that holds it: the one walker of
 * shadow chains.  A page below object comes back busy, its object
 * unlocked; object's own page comes back as it is (object's lock keeps
 * it).  NULL: no object of the chain has one.  *paged: the pager of
 * *owner holds the page at *owner_off, *owner is referenced (for the
 * pagein) and nothing is locked.
 * => object locked on entry and return, unless *slept or *paged: then
 *    nothing is locked (*slept: it waited for a busy page: look again)
 * Here, not in vm_object.h, because it asks the pagers; inline because
 * every fault that misses the quick path runs it.
 */
static inline vm_page_t
vm_object_chain_find_locked(vm_object_t object, vm_object_offset_t offset, vm_object_t *owner,
			    vm_object_offset_t *owner_off, bool *slept, bool *paged)
{
	vm_object_t obj = object;

	LOCK_ASSERT(mutex_owned(&object->lock),
		"vm_object_chain_find_locked: object %lu not locked", object->id);
	*slept = *paged = false;
	for (;;) {
		vm_page_t m = vm_page_lookup(obj, offset);

		if (m && m->busy && obj == object) {
			/* Drops and retakes object's lock; the caller keeps object alive. */
			vm_page_wait_busy(m);
			continue;
		}
		if (m && m->busy) {
			/* Below the top only the chain keeps obj alive: hold it over the sleep. */
			vm_object_reference(obj);
			mutex_unlock(&object->lock);
			vm_page_wait_busy(m);
			mutex_unlock(&obj->lock);
			vm_object_deallocate(obj);
			*slept = true;
			return NULL;
		}
		if (!m && vm_pager_has_page(obj, offset)) {
			vm_object_reference(obj);
			if (obj != object)
				mutex_unlock(&obj->lock);
			mutex_unlock(&object->lock);
			*owner = obj;
			*owner_off = offset;
			*paged = true;
			return NULL;
		}
		if (m || !obj->shadow) {
			if (m && obj != object)
				m->busy = true;
			if (obj != object)
				mutex_unlock(&obj->lock);
			*owner = obj;
			return m;
		}
		vm_object_t next = obj->shadow;

		offset += obj->shadow_offset;
		mutex_lock(&next->lock);
		if (obj != object)
			mutex_unlock(&obj->lock);
		obj = next;
	}
}

/* vm_pager_data_request: the pager's data_request.  => object has a pager (has_page said so) */
static inline kern_return_t vm_pager_data_request(vm_object_t object, vm_object_offset_t offset,
						  vm_behavior_t behavior)
{
	return object->pager->data_request(object, offset, behavior);
}

/* vm_pager_data_return / _async: to the object's pager.  => KERN_FAILURE if it has none */
static inline kern_return_t vm_pager_data_return(vm_object_t object, struct upl *upl)
{
	const struct vm_pager_ops *pager = vm_pager_of(object);

	return pager ? pager->data_return(object, upl) : KERN_FAILURE;
}

static inline kern_return_t vm_pager_data_return_async(vm_object_t object, struct upl *upl)
{
	const struct vm_pager_ops *pager = vm_pager_of(object);

	return pager ? pager->data_return_async(object, upl) : KERN_FAILURE;
}

/* vm_pager_discard: the pager's copy of (object, offset) is stale.  => object locked */
static inline void vm_pager_discard(vm_object_t object, vm_object_offset_t offset)
{
	LOCK_ASSERT(mutex_owned(&object->lock),
		"vm_pager_discard: object %lu not locked", object->id);
	if (object->pager)
		object->pager->discard(object, offset);
}

/* vm_pager_terminate: the object is being freed.  => object locked */
static inline void vm_pager_terminate(vm_object_t object)
{
	LOCK_ASSERT(mutex_owned(&object->lock),
		"vm_pager_terminate: object %lu not locked", object->id);
	if (object->pager)
		object->pager->terminate(object);
}

/*
 * vm_pager_can_absorb: collapse may move backing's pages into object:
 * backing has no pager, or one that moves its copies to object's pager.
 * => both locked
 */
static inline bool vm_pager_can_absorb(vm_object_t object, vm_object_t backing)
{
	LOCK_ASSERT(mutex_owned(&object->lock) && mutex_owned(&backing->lock),
		"vm_pager_can_absorb: object %lu or backing %lu not locked", object->id, backing->id);
	return !backing->pager ||
	       (backing->pager->absorb && (!object->pager || object->pager == backing->pager));
}

/*
 * vm_pager_absorb: object takes over backing's paged-out pages (the
 * pager's absorb), as collapse absorbs backing.  => both locked,
 * vm_pager_can_absorb; false if memory ran out
 */
static inline bool vm_pager_absorb(vm_object_t object, vm_object_t backing,
				   vm_object_offset_t delta)
{
	LOCK_ASSERT(mutex_owned(&object->lock) && mutex_owned(&backing->lock),
		"vm_pager_absorb: object %lu or backing %lu not locked", object->id, backing->id);
	return !backing->pager || backing->pager->absorb(object, backing, delta);
}

/*
 * vm_pager_synchronize: the pager's synchronize, if it has one.
 * => object referenced, unlocked; KERN_SUCCESS when there is nothing to do
 */
static inline kern_return_t vm_pager_synchronize(vm_object_t object)
{
	const struct vm_pager_ops *pager = __atomic_load_n(&object->pager, __ATOMIC_ACQUIRE);

	return pager && pager->synchronize ? pager->synchronize(object) : KERN_SUCCESS;
}

/* vm_pager_sync: finish every asynchronous data_return in flight, in every pager.  => may sleep */
static inline void vm_pager_sync(void)
{
	if (vm_pager_default)
		vm_pager_default->sync();
}

#endif
