/*
 * vm_fault_quick.h: the quick soft fault (vm_fault_quick in vm_fault.h),
 * inline, so that a machine's trap path can run it with its own pmap
 * step inline too (pmap_fault_quick); vm_fault.c runs it with
 * pmap_enter_fast.  Not for users of the VM.
 */
#ifndef VM_VM_FAULT_QUICK_H
#define VM_VM_FAULT_QUICK_H

#include "vm/pmap.h"
#include "vm/vm_fault.h"
#include "vm/vm_map_internal.h"
#include "vm/vm_object.h"

/* Counted by the quick path (vm_fault.c keeps the rest of vm_fault_stats). */
extern uint64_t vm_fault_soft_quick_count;	/* atomic */

/*
 * vm_fault_quick_zero_fill: the quick path's zero fill: a new zeroed page
 * for vaddr in e, whose object has nothing below it (and no pager copy of
 * the page), mapped by pmap_enter (which never sleeps either); should that
 * fail, the page stays in the object for vm_fault to map.
 * => map read-locked
 */
bool vm_fault_quick_zero_fill(vm_map_t map, const struct vm_map_entry *e, vm_offset_t vaddr);

/*
 * vm_fault_quick_with: vm_fault_quick, with enter as its pmap_enter_fast
 * (called with arguments that pmap_enter would accept; the entry is not
 * wired, so no flags).  Inlined with its caller's enter.
 *
 * The page is first looked for without the object's lock, so that a
 * copy-on-write fault, whose page is further down, leaves at once.  A
 * page found is checked again under the lock (a page changes object or
 * offset only under it), which then keeps it, and the map's lock the
 * entry, until it is mapped.
 */
static inline __attribute__((always_inline)) bool
vm_fault_quick_with(vm_map_t map, vm_offset_t vaddr, vm_prot_t fault_type,
		    bool (*enter)(pmap_t, vm_offset_t, vm_page_t, vm_prot_t, unsigned))
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
	if (!m) {
		done = vm_fault_quick_zero_fill(map, e, vaddr);
	} else if (mutex_trylock(&object->lock)) {
		done = m->object == object && m->offset == offset && !m->busy &&
		       enter(map->pmap, trunc_page(vaddr), m, vm_map_entry_pmap_prot(e), 0);
		if (done)
			__atomic_fetch_add(&vm_fault_soft_quick_count, 1, __ATOMIC_RELAXED);
		mutex_unlock(&object->lock);
	}
	vm_map_lookup_done(map, map);
	return done;
}

#endif
