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
 * a zero fill with nothing below the top, have a path of their own that
 * never sleeps (vm_fault_quick), which the trap tries first.
 */
#include "kern/kernel.h"
#include "vm/pmap.h"
#include "vm/vm_fault.h"
#include "vm/vm_fault_quick.h"
#include "vm/vm_pageout.h"
#include "vm/vm_pager.h"
#include "vm/vm_ws.h"


static struct vm_fault_stats vm_fault_counts;	/* atomic fields; soft_quick unused */
uint64_t vm_fault_soft_quick_count;

static void stat_inc(uint64_t *c)
{
	__atomic_fetch_add(c, 1, __ATOMIC_RELAXED);
}

void vm_fault_stats_get(struct vm_fault_stats *out)
{
	out->zero_fill = __atomic_load_n(&vm_fault_counts.zero_fill, __ATOMIC_RELAXED);
	out->cow = __atomic_load_n(&vm_fault_counts.cow, __ATOMIC_RELAXED);
	out->soft_quick = __atomic_load_n(&vm_fault_soft_quick_count, __ATOMIC_RELAXED);
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
	vm_page_t m = vm_page_alloc_object(object, offset);

	if (!m)
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
	vm_page_t src = vm_object_chain_find_locked(object, offset, &owner, &owner_off, &slept, &paged), m;
	kern_return_t kr;

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
	if (readonly)
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

kern_return_t vm_fault(vm_map_t map, vm_offset_t vaddr, vm_prot_t fault_type)
{
	return fault_common(map, vaddr, fault_type, NULL, NULL);
}

kern_return_t vm_fault_with(vm_map_t map, vm_offset_t vaddr, vm_prot_t fault_type,
			    void (*fill)(vm_page_t m, void *arg), void *arg)
{
	return fault_common(map, vaddr, fault_type, fill, arg);
}

bool vm_fault_quick_zero_fill(vm_map_t map, const struct vm_map_entry *e, vm_offset_t vaddr)
{
	vm_object_t object = e->object;
	vm_object_offset_t offset = vm_map_entry_object_offset(e, vaddr);
	vm_page_t m;
	bool done = false;

	if (__atomic_load_n(&object->shadow, __ATOMIC_RELAXED) || !mutex_trylock(&object->lock))
		return false;
	if (!object->shadow && !vm_page_lookup(object, offset) && !vm_pager_has_page(object, offset) &&
	    (m = fault_new_page(object, offset, NULL)))
		done = pmap_enter(map->pmap, trunc_page(vaddr), m, vm_map_entry_pmap_prot(e), 0) ==
		       KERN_SUCCESS;
	mutex_unlock(&object->lock);
	return done;
}

bool vm_fault_quick(vm_map_t map, vm_offset_t vaddr, vm_prot_t fault_type)
{
	return vm_fault_quick_with(map, vaddr, fault_type, pmap_enter_fast);
}
