/*
 * vm_fault.c: see vm_fault.h.  The chain is walked top to bottom holding
 * one object lock at a time (the next is taken before the last is let
 * go); a page being filled or copied is busy, and whoever meets it waits
 * and looks again, so two faults on one page do the work once.
 */
#include "kern/kernel.h"
#include "vm/pmap.h"
#include "vm/vm_fault.h"
#include "vm/vm_pager.h"

#define FAULT_MEMORY_WAIT_NS	(2ull * 1000000000ull)	/* no page freed for this long: give up */

static struct vm_fault_stats vm_fault_counts;	/* atomic fields */

static void stat_inc(uint64_t *c)
{
	__atomic_fetch_add(c, 1, __ATOMIC_RELAXED);
}

void vm_fault_stats_get(struct vm_fault_stats *out)
{
	out->zero_fill = __atomic_load_n(&vm_fault_counts.zero_fill, __ATOMIC_RELAXED);
	out->cow = __atomic_load_n(&vm_fault_counts.cow, __ATOMIC_RELAXED);
	out->soft = __atomic_load_n(&vm_fault_counts.soft, __ATOMIC_RELAXED);
	out->shadow_read = __atomic_load_n(&vm_fault_counts.shadow_read, __ATOMIC_RELAXED);
	out->pagein = __atomic_load_n(&vm_fault_counts.pagein, __ATOMIC_RELAXED);
}

/*
 * fault_find: the first non-busy page for (first, first_off) down the
 * chain; returns it with its object locked (in *owner), or NULL with the
 * last object of the chain locked, or NULL with *paged set and the object
 * whose pager holds the page locked (*owner, at *owner_off).
 */
static vm_page_t fault_find(vm_object_t first, vm_object_offset_t first_off, vm_object_t *owner,
			    vm_object_offset_t *owner_off, bool *paged)
{
	vm_object_t obj;
	vm_object_offset_t off;

restart:
	obj = first;
	off = first_off;
	mutex_lock(&obj->lock);
	for (;;) {
		vm_page_t m = vm_page_lookup(obj, off);

		if (m && m->busy && obj == first) {
			vm_page_wait_busy(m);	/* drops and retakes obj's lock; first is referenced */
			continue;
		}
		if (m && m->busy) {
			/* Below the top only the chain keeps obj alive: hold it over the sleep, then start over. */
			vm_object_reference(obj);
			vm_page_wait_busy(m);
			mutex_unlock(&obj->lock);
			vm_object_deallocate(obj);
			goto restart;
		}
		*paged = !m && vm_pager_has_page(obj, off);
		if (m || *paged || !obj->shadow) {
			*owner = obj;
			*owner_off = off;
			return m;
		}
		vm_object_t next = obj->shadow;

		off += obj->shadow_offset;
		mutex_lock(&next->lock);
		mutex_unlock(&obj->lock);
		obj = next;
	}
}

/* fault_zero_fill: a zeroed busy page at (object, offset), unless one appeared meanwhile. */
static kern_return_t fault_zero_fill(vm_object_t object, vm_object_offset_t offset, vm_page_t *mp)
{
	vm_page_t m;

	mutex_lock(&object->lock);
	if (vm_page_lookup(object, offset)) {	/* another fault got here first: look again */
		mutex_unlock(&object->lock);
		return KERN_ABORTED;
	}
	m = vm_page_alloc_object(object, offset);
	if (m && object->shadow)
		vm_object_collapse(object);	/* a sibling may have gone since the last fault */
	mutex_unlock(&object->lock);
	if (!m)
		return KERN_RESOURCE_SHORTAGE;
	pmap_zero_page(m);
	stat_inc(&vm_fault_counts.zero_fill);
	*mp = m;
	return KERN_SUCCESS;
}

/* fault_copy: copy the busy page src (below object) into a busy page of object at offset. */
static kern_return_t fault_copy(vm_object_t object, vm_object_offset_t offset, vm_page_t src,
				vm_page_t *mp)
{
	vm_page_t m;

	mutex_lock(&object->lock);
	if (vm_page_lookup(object, offset)) {
		mutex_unlock(&object->lock);
		vm_page_release(src);
		return KERN_ABORTED;
	}
	m = vm_page_alloc_object(object, offset);
	if (m)
		pmap_copy_page(src, m);
	vm_page_release(src);		/* before collapse may free the object src lives in */
	if (m) {
		stat_inc(&vm_fault_counts.cow);
		vm_object_collapse(object);	/* the copy may have hidden the last use of a shadow */
	}
	mutex_unlock(&object->lock);
	if (!m)
		return KERN_RESOURCE_SHORTAGE;
	*mp = m;
	return KERN_SUCCESS;
}

/*
 * fault_wait_memory: no free page: wait for the pageout daemon, if there is
 * one, to free some.  => true to try again
 */
static bool fault_wait_memory(void)
{
	return vm_page_low_hook && vm_page_wait(FAULT_MEMORY_WAIT_NS);
}

kern_return_t vm_fault_page(vm_object_t object, vm_object_offset_t offset, vm_prot_t fault_type,
			    vm_behavior_t behavior, vm_page_t *mp, bool *readonly)
{
	for (;;) {
		vm_object_t owner;
		vm_object_offset_t owner_off;
		bool paged;
		vm_page_t m = fault_find(object, offset, &owner, &owner_off, &paged);
		kern_return_t kr;

		*readonly = false;
		if (paged) {				/* in the backing store: bring it in, look again */
			kr = vm_object_page_in(owner, owner_off, behavior);
			if (kr == KERN_RESOURCE_SHORTAGE && fault_wait_memory())
				continue;
			if (kr != KERN_SUCCESS)
				return kr;
			stat_inc(&vm_fault_counts.pagein);
			continue;
		}
		if (m && owner == object) {		/* ours already */
			m->busy = true;
			mutex_unlock(&owner->lock);
			stat_inc(&vm_fault_counts.soft);
			*mp = m;
			return KERN_SUCCESS;
		}
		if (m && !(fault_type & VM_PROT_WRITE)) {	/* read through the chain */
			m->busy = true;
			mutex_unlock(&owner->lock);
			stat_inc(&vm_fault_counts.shadow_read);
			*readonly = true;
			*mp = m;
			return KERN_SUCCESS;
		}
		if (m) {
			m->busy = true;
			mutex_unlock(&owner->lock);
			kr = fault_copy(object, offset, m, mp);
		} else {
			mutex_unlock(&owner->lock);
			kr = fault_zero_fill(object, offset, mp);
		}
		if (kr == KERN_RESOURCE_SHORTAGE && fault_wait_memory())
			continue;
		if (kr != KERN_ABORTED)
			return kr;
	}
}

void vm_fault_page_done(vm_page_t m)
{
	vm_page_release(m);
}

kern_return_t vm_fault(vm_map_t map, vm_offset_t vaddr, vm_prot_t fault_type)
{
	return vm_fault_with(map, vaddr, fault_type, NULL, NULL);
}

kern_return_t vm_fault_with(vm_map_t map, vm_offset_t vaddr, vm_prot_t fault_type,
			    void (*fill)(vm_page_t m, void *arg), void *arg)
{
	vm_map_t found = map, real;
	vm_object_t object;
	vm_object_offset_t offset;
	vm_behavior_t behavior;
	vm_prot_t prot;
	bool wired, readonly;
	vm_page_t m;
	kern_return_t kr;

	kr = vm_map_lookup(&found, vaddr, fault_type, &object, &offset, &prot, &wired, &behavior, &real);
	if (kr != KERN_SUCCESS)
		return kr;
	kr = vm_fault_page(object, offset, fault_type, behavior, &m, &readonly);
	if (kr == KERN_SUCCESS) {
		if (fill)
			fill(m, arg);		/* busy, and the map locked: nobody else moves it */
		if (readonly)
			prot &= ~VM_PROT_WRITE;
		/* A use_pmap submap is mapped at the same addresses in its own (nested) pmap. */
		do
			kr = pmap_enter(real->pmap, trunc_page(vaddr), m, prot, wired ? PMAP_WIRED : 0);
		while (kr == KERN_RESOURCE_SHORTAGE && fault_wait_memory());
		vm_fault_page_done(m);
	}
	vm_map_lookup_done(map, found);
	vm_object_deallocate(object);
	return kr;
}
