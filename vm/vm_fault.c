/*
 * vm_fault.c: see vm_fault.h.  The chain is walked top to bottom with the
 * top object locked throughout and one object below it at a time (the
 * next is taken before the last is let go); the new page is made, and
 * mapped, under the top object's lock.  A page of a lower object being
 * read or copied is busy, and whoever meets a busy page waits and looks
 * again, so two faults on one page do the work once.  A page the pager
 * holds is paged in with nothing locked, then the walk starts over; a
 * fault that finds no free page waits for the pageout daemon, also with
 * nothing locked (the daemon must be able to lock the object).  The two
 * commonest faults, a soft one (the page is still in the top object) and
 * a zero fill with nothing below the top, and the copy of a page of the
 * shadow just below it, have a path of their own that never sleeps or
 * waits (vm_fault_quick), which vm_fault tries first.
 */
#include "kern/kernel.h"
#include "vm/pmap.h"
#include "vm/vm_fault.h"
#include "vm/vm_map_internal.h"
#include "vm/vm_pageout.h"
#include "vm/vm_pager.h"
#include "vm/vm_ws.h"


static struct vm_fault_stats vm_fault_counts;	/* [a] each field */

static void stat_inc(uint64_t *c)
{
	__atomic_fetch_add(c, 1, __ATOMIC_RELAXED);
}

void vm_fault_stats_get(struct vm_fault_stats *out)
{
	out->zero_fill = __atomic_load_n(&vm_fault_counts.zero_fill, __ATOMIC_RELAXED);
	out->cow = __atomic_load_n(&vm_fault_counts.cow, __ATOMIC_RELAXED);
	out->cow_quick = __atomic_load_n(&vm_fault_counts.cow_quick, __ATOMIC_RELAXED);
	out->soft_quick = __atomic_load_n(&vm_fault_counts.soft_quick, __ATOMIC_RELAXED);
	/* The quick ones are counted only there. */
	out->soft = __atomic_load_n(&vm_fault_counts.soft, __ATOMIC_RELAXED) + out->soft_quick;
	out->shadow_read = __atomic_load_n(&vm_fault_counts.shadow_read, __ATOMIC_RELAXED);
	out->pagein = __atomic_load_n(&vm_fault_counts.pagein, __ATOMIC_RELAXED);
}

/*
 * fault_new_page: a new page of object at offset, copied from src or
 * zero-filled; not busy, since nobody can see it while object stays
 * locked until it is mapped.  NULL if there is no free page.
 * => object locked
 */
static inline vm_page_t fault_new_page(vm_object_t object, vm_object_offset_t offset, vm_page_t src)
{
	vm_page_t m;

	LOCK_ASSERT(mutex_owned(&object->lock), "fault_new_page: object %lu not locked", object->id);
	if (!(m = vm_page_alloc_object(object, offset)))
		return NULL;
	m->busy = false;
	if (src)
		pmap_copy_page(src, m);
	else
		pmap_zero_page(m);
	stat_inc(src ? &vm_fault_counts.cow : &vm_fault_counts.zero_fill);
	return m;
}

/*
 * fault_page_locked: vm_fault_page's work with object locked: the page
 * found on the chain, or a new page of object, zero-filled or copied from
 * the one below for a write.  A page of object itself (found or new) comes
 * back as it is, kept by the lock; one from below (*readonly) comes back
 * busy, to be released once mapped.  unmap_source as vm_fault_page's.
 * => object locked on entry and return, except KERN_ABORTED (it slept or
 *    paged in, and nothing is locked: take the lock and call again)
 */
static kern_return_t fault_page_locked(vm_object_t object, vm_object_offset_t offset,
				       vm_prot_t fault_type, vm_behavior_t behavior, vm_page_t *mp,
				       bool *readonly, bool unmap_source)
{
	vm_object_t owner;
	vm_object_offset_t owner_off;
	bool slept, paged;
	vm_page_t src, m;
	kern_return_t kr;

	LOCK_ASSERT(mutex_owned(&object->lock), "fault_page_locked: object %lu not locked", object->id);
	src = vm_object_chain_find_locked(object, offset, &owner, &owner_off, &slept, &paged);
	if (slept)
		return KERN_ABORTED;
	if (paged) {
		kr = vm_pager_data_request(owner, owner_off, behavior);
		vm_object_deallocate(owner);
		if (kr == KERN_SUCCESS) {
			stat_inc(&vm_fault_counts.pagein);
			return KERN_ABORTED;	/* resident now: look again */
		}
		mutex_lock(&object->lock);
		return kr;
	}
	*readonly = src && owner != object && !(fault_type & VM_PROT_WRITE);
	if (src && owner != object && !*readonly && vm_page_fictitious(src)) {
		vm_page_release(src);
		return KERN_PROTECTION_FAILURE;	/* device memory is never copied on write */
	}
	if (src && owner == object) {
		if ((fault_type & VM_PROT_WRITE) && src->rdonly)
			return KERN_PROTECTION_FAILURE;	/* vm_object_protect_resident's */
		stat_inc(&vm_fault_counts.soft);
		*mp = src;
		return KERN_SUCCESS;
	}
	if (*readonly) {		/* read through the chain */
		stat_inc(&vm_fault_counts.shadow_read);
		*mp = src;
		return KERN_SUCCESS;
	}
	m = fault_new_page(object, offset, src);
	if (src && m && unmap_source)
		pmap_page_protect(src, VM_PROT_NONE);	/* other pmaps' views of this entry */
	if (src)
		vm_page_release(src);	/* before collapse may free the object src lives in */
	if (!m)
		return KERN_RESOURCE_SHORTAGE;
	/* The copy may have hidden the last use of a shadow; a sibling may have gone meanwhile. */
	if (object->shadow)
		vm_object_collapse(object);
	*mp = m;
	return KERN_SUCCESS;
}

/*
 * fault_page: lock object (unless the caller holds it: locked) and run
 * fault_page_locked until it settles, waiting for memory (unlocked) when
 * there is none.
 * => object locked on return
 */
static kern_return_t fault_page(vm_object_t object, vm_object_offset_t offset, vm_prot_t fault_type,
				vm_behavior_t behavior, vm_page_t *mp, bool *readonly, bool locked,
				bool unmap_source)
{
	kern_return_t kr;

	for (;; locked = false) {
		if (!locked)
			mutex_lock(&object->lock);
		kr = fault_page_locked(object, offset, fault_type, behavior, mp, readonly,
				       unmap_source);
		if (kr == KERN_ABORTED)
			continue;
		if (kr != KERN_RESOURCE_SHORTAGE)
			return kr;
		mutex_unlock(&object->lock);
		if (!vm_pageout_wait_memory()) {
			mutex_lock(&object->lock);
			return kr;
		}
	}
}

kern_return_t vm_fault_page(vm_object_t object, vm_object_offset_t offset, vm_prot_t fault_type,
			    vm_behavior_t behavior, vm_page_t *mp, bool *readonly, bool unmap_source)
{
	kern_return_t kr = fault_page(object, offset, fault_type, behavior, mp, readonly, false,
				      unmap_source);

	if (kr == KERN_SUCCESS && !*readonly)
		(*mp)->busy = true;	/* the caller maps it after we unlock */
	mutex_unlock(&object->lock);
	return kr;
}

void vm_fault_page_done(vm_page_t m)
{
	vm_page_release(m);
}

/*
 * fault_fill: run fill on m, busy, with object unlocked (fill may take
 * other objects' locks).  What fill writes goes behind the pmap's back,
 * so no modified bit records it: for a write the store's copy, stale from
 * now on, is dropped, which leaves the page dirty for the pageout daemon
 * (else it would free the page as clean and the write would be lost).
 * => object locked on entry, unlocked on return
 */
static void fault_fill(vm_object_t object, vm_page_t m, bool readonly, vm_prot_t fault_type,
		       void (*fill)(vm_page_t m, void *arg), void *arg)
{
	if (!readonly)
		m->busy = true;
	if ((fault_type & VM_PROT_WRITE) && vm_pager_has_page(object, m->offset))
		vm_pager_discard(object, m->offset);
	mutex_unlock(&object->lock);
	fill(m, arg);
}

/*
 * fault_enter_wait: pmap_enter found no page for a table: wait for memory
 * unlocked, the page kept busy instead, and enter it again; then finish
 * the fault as fault_common would.
 * => object locked unless filled; the map still locked by the lookup
 */
static __attribute__((noinline)) kern_return_t
fault_enter_wait(vm_map_t map, const struct vm_map_lookup_info *info, vm_offset_t vaddr,
		 vm_page_t m, bool readonly, bool filled)
{
	kern_return_t kr = KERN_RESOURCE_SHORTAGE;

	if (!readonly && !filled)
		m->busy = true;
	if (!filled)
		mutex_unlock(&info->object->lock);
	while (kr == KERN_RESOURCE_SHORTAGE && vm_pageout_wait_memory())
		kr = pmap_enter(info->real_map->pmap, trunc_page(vaddr), m, info->prot,
				info->wired ? PMAP_WIRED : 0);
	vm_page_release(m);
	vm_map_lookup_done(map, info->map);
	return kr;
}

/*
 * fault_common: vm_fault_with's work; inlined into vm_fault and
 * vm_fault_with, so that the trap's fault (no fill) has no fill tests.
 */
static inline __attribute__((always_inline)) kern_return_t
fault_common(vm_map_t map, vm_offset_t vaddr, vm_prot_t fault_type,
	     void (*fill)(vm_page_t m, void *arg), void *arg)
{
	struct vm_map_lookup_info info = { .map = map };
	vm_object_t object;
	bool readonly;
	vm_page_t m;
	kern_return_t kr;

	if ((kr = vm_map_lookup_info(&info, vaddr, fault_type)) != KERN_SUCCESS)
		return kr;
	if (__builtin_expect(__atomic_load_n(&map->ws, __ATOMIC_ACQUIRE) != NULL, 0))
		info.behavior = vm_ws_fault(map->ws, vaddr, info.behavior);	/* profiled */
	object = info.object;
	kr = fault_page(object, info.offset, fault_type, info.behavior, &m, &readonly, false,
			__atomic_load_n(&info.map->submap_users, __ATOMIC_RELAXED) != 0);
	if (kr != KERN_SUCCESS) {
		mutex_unlock(&object->lock);
		vm_map_lookup_done(map, info.map);
		return kr;
	}
	if (readonly || m->rdonly)
		info.prot &= ~VM_PROT_WRITE;
	if (fill)
		fault_fill(object, m, readonly, fault_type, fill, arg);
	/*
	 * Mapped under object's lock (unless fill ran), which keeps a page of
	 * object in place; a busy page is released once mapped.  A use_pmap
	 * submap is mapped at the same addresses in its own (nested) pmap.
	 */
	kr = pmap_enter(info.real_map->pmap, trunc_page(vaddr), m, info.prot,
			info.wired ? PMAP_WIRED : 0);
	if (kr == KERN_RESOURCE_SHORTAGE && vm_page_low_hook)
		return fault_enter_wait(map, &info, vaddr, m, readonly, fill != NULL);
	if (readonly || fill)
		vm_page_release(m);
	if (!fill)
		mutex_unlock(&object->lock);
	vm_map_lookup_done(map, info.map);
	return kr;
}

/* ---- the quick path ------------------------------------------------------- */

/*
 * quick_zero_fill: a new zeroed page of object at offset (nothing below
 * object, no pager copy of the page), mapped at vaddr; should the mapping
 * fail, the page stays in the object for vm_fault to map.  Out of line,
 * as quick_copy is, so that the soft fault saves no registers for them.
 * => map read-locked (entry e), object unlocked
 */
static __attribute__((noinline)) bool
quick_zero_fill(vm_map_t map, const struct vm_map_entry *e, vm_object_t object,
		vm_object_offset_t offset, vm_offset_t vaddr)
{
	vm_page_t m;
	bool done = false;

	LOCK_ASSERT(rw_held(&map->lock), "quick_zero_fill: map %p not locked", (void *)map);
	if (__atomic_load_n(&object->shadow, __ATOMIC_RELAXED) || !mutex_trylock(&object->lock))
		return false;
	if (!object->shadow && !vm_page_lookup(object, offset) && !vm_pager_has_page(object, offset) &&
	    (m = fault_new_page(object, offset, NULL)))
		done = pmap_enter_quick(map->pmap, trunc_page(vaddr), m, vm_map_entry_pmap_prot(e));
	mutex_unlock(&object->lock);
	return done;
}

/*
 * quick_copy_ready: a write fault at offset of object is a copy of a page
 * of its immediate shadow that the quick path may make: neither object
 * nor its pager has the page, the shadow has it resident, not busy and
 * not device memory, and the copy leaves nothing else to do (the shadow
 * shared, so that there is nothing to collapse; no submap parent maps the
 * object, so that there is nothing to unmap).  The shadow's page, its
 * lock taken, in *srcp.
 * => map read-locked, object locked; the shadow locked when true
 */
static bool quick_copy_ready(vm_map_t map, vm_object_t object, vm_object_offset_t offset,
			     vm_page_t *srcp)
{
	vm_object_t shadow = object->shadow;
	vm_page_t src;

	LOCK_ASSERT(mutex_owned(&object->lock), "quick_copy_ready: object %lu not locked", object->id);
	LOCK_ASSERT(rw_held(&map->lock), "quick_copy_ready: map %p not locked", (void *)map);

	if (!shadow || __atomic_load_n(&map->submap_users, __ATOMIC_RELAXED) ||
	    object->resident_count + 1 >= atop(object->size) ||
	    __atomic_load_n(&shadow->ref_count, __ATOMIC_RELAXED) == 1 ||
	    vm_page_lookup(object, offset) || vm_pager_has_page(object, offset) ||
	    !mutex_trylock(&shadow->lock))
		return false;
	src = vm_page_lookup(shadow, offset + object->shadow_offset);
	if (!src || src->busy || vm_page_fictitious(src)) {
		mutex_unlock(&shadow->lock);
		return false;
	}
	*srcp = src;
	return true;
}

/*
 * quick_copy: the copy-on-write fault's quick path (quick_copy_ready): a
 * new page of object at offset, copied from the shadow's, mapped at vaddr
 * in place of the shadow page's read-only mapping.  Should the mapping
 * fail, the copy stays in the object for vm_fault to map.
 * => map read-locked (entry e), object unlocked
 */
static __attribute__((noinline)) bool
quick_copy(vm_map_t map, const struct vm_map_entry *e, vm_object_t object,
	   vm_object_offset_t offset, vm_offset_t vaddr)
{
	vm_page_t src, m;
	bool done = false;

	if (!__atomic_load_n(&object->shadow, __ATOMIC_RELAXED) || !mutex_trylock(&object->lock))
		return false;
	if (quick_copy_ready(map, object, offset, &src)) {
		m = fault_new_page(object, offset, src);
		mutex_unlock(&object->shadow->lock);
		if (m && (done = pmap_enter_quick(map->pmap, trunc_page(vaddr), m,
						  vm_map_entry_pmap_prot(e))))
			stat_inc(&vm_fault_counts.cow_quick);
	}
	mutex_unlock(&object->lock);
	return done;
}

/*
 * fault_quick: vm_fault_quick, inline in vm_fault.  The page is first
 * looked for without the object's lock, so that a fault whose page is
 * further down (a zero fill, a copy) goes its own way at once.  A page
 * found is checked again under the lock (a page changes object or offset
 * only under it), which then keeps it, and the map's lock the entry,
 * until it is mapped.
 */
static inline __attribute__((always_inline)) bool
fault_quick(vm_map_t map, vm_offset_t vaddr, vm_prot_t fault_type)
{
	const struct vm_map_entry *e;
	vm_object_t object;
	vm_object_offset_t offset;
	vm_page_t m;
	bool done = false;

	if (!map || !(e = vm_map_lookup_quick(map, vaddr, fault_type)))
		return false;
	object = e->object;
	offset = vm_map_entry_object_offset(e, vaddr);
	m = vm_page_lookup_unlocked(object, offset);
	if (!m && (fault_type & VM_PROT_WRITE) && __atomic_load_n(&object->shadow, __ATOMIC_RELAXED)) {
		done = quick_copy(map, e, object, offset, vaddr);
	} else if (!m) {
		done = quick_zero_fill(map, e, object, offset, vaddr);
	} else if (mutex_trylock(&object->lock)) {
		done = m->object == object && m->offset == offset && !m->busy && !m->rdonly &&
		       pmap_enter_quick(map->pmap, trunc_page(vaddr), m, vm_map_entry_pmap_prot(e));
		if (done)
			stat_inc(&vm_fault_counts.soft_quick);
		mutex_unlock(&object->lock);
	}
	vm_map_lookup_done(map, map);
	return done;
}

bool vm_fault_quick(vm_map_t map, vm_offset_t vaddr, vm_prot_t fault_type)
{
	return fault_quick(map, vaddr, fault_type);
}

/* fault_full: vm_fault after its quick path; out of line, so that the quick path saves little. */
static __attribute__((noinline)) kern_return_t fault_full(vm_map_t map, vm_offset_t vaddr,
							  vm_prot_t fault_type)
{
	return fault_common(map, vaddr, fault_type, NULL, NULL);
}

kern_return_t vm_fault(vm_map_t map, vm_offset_t vaddr, vm_prot_t fault_type)
{
	if (fault_quick(map, vaddr, fault_type))
		return KERN_SUCCESS;
	return fault_full(map, vaddr, fault_type);
}

kern_return_t vm_fault_with(vm_map_t map, vm_offset_t vaddr, vm_prot_t fault_type,
			    void (*fill)(vm_page_t m, void *arg), void *arg)
{
	return fault_common(map, vaddr, fault_type, fill, arg);
}

