/*
 * vm_fault.h: resolving page faults: from the map entry down the shadow
 * chain, with zero fill and copy-on-write.
 */
#ifndef VM_VM_FAULT_H
#define VM_VM_FAULT_H

#include <stdbool.h>

#include "vm/vm_map.h"
#include "vm/vm_object.h"

/* What faults did, for tests and the demo. */
struct vm_fault_stats {
	uint64_t zero_fill;	/* a fresh zeroed page */
	uint64_t cow;		/* a page copied for a write */
	uint64_t cow_quick;	/* of those, by vm_fault_quick */
	uint64_t soft;		/* the page was there: only the mapping was missing */
	uint64_t soft_quick;	/* of those, resolved by vm_fault_quick */
	uint64_t shadow_read;	/* a page below the top object, mapped read-only */
	uint64_t pagein;	/* a page brought back from the backing store */
};

/*
 * vm_fault: make vaddr accessible for fault_type in map (entering the
 * mapping in map's pmap); vm_fault_quick first.
 * => KERN_INVALID_ADDRESS (nothing mapped), KERN_PROTECTION_FAILURE (the
 *    entry forbids it), KERN_RESOURCE_SHORTAGE (no page), KERN_MEMORY_ERROR
 *    (the backing store could not read the page back), KERN_INVALID_ARGUMENT
 *    (NULL map)
 * => no spinlock held; may sleep
 */
kern_return_t vm_fault(vm_map_t map, vm_offset_t vaddr, vm_prot_t fault_type);

/*
 * vm_fault_quick: vm_fault for the commonest faults, where that costs
 * least (vm_fault tries it first).  vaddr is in map's lookup hint, the
 * entry ready for fault_type and not wired, no lock involved held by
 * anyone, and the fault one of: a soft fault (the page resident in the
 * entry's own object, not busy, nothing mapped at vaddr yet); a zero fill
 * of an object with nothing below it; a write's copy of a page resident
 * in the object's immediate shadow (quick_copy_ready in vm_fault.c says
 * what else that needs).  Never sleeps, and waits for no lock (a copy's
 * replaced mapping may be shot down, as pmap_enter does).
 * => true: mapped as vm_fault would have; false (a NULL map included):
 *    vm_fault does the rest, and nothing changed, except that a page it
 *    made but could not map stays in the object
 */
bool vm_fault_quick(vm_map_t map, vm_offset_t vaddr, vm_prot_t fault_type);

/*
 * vm_fault_with: vm_fault, calling fill(page, arg) on the page before it is
 * mapped, while it is busy and the map locked (for kernel writes into a
 * map, such as vm_map_copy_overwrite).
 */
kern_return_t vm_fault_with(vm_map_t map, vm_offset_t vaddr, vm_prot_t fault_type,
			    void (*fill)(vm_page_t m, void *arg), void *arg);

/*
 * vm_fault_page: the page of (object, offset) for an access of fault_type:
 * found on the chain, zero-filled in object, or copied into object for a
 * write.  Returned busy; *readonly when it lies below object and must not
 * be mapped writable.  unmap_source: pmaps other than the caller's map the
 * object's range (a submap's parents): a page copied up has its source's
 * mappings removed, or they would go on showing the old contents.
 * => object referenced by the caller, unlocked
 */
kern_return_t vm_fault_page(vm_object_t object, vm_object_offset_t offset, vm_prot_t fault_type,
			    vm_behavior_t behavior, vm_page_t *mp, bool *readonly, bool unmap_source);
/* vm_fault_page_done: the caller has mapped (or copied) the page: end its busy state. */
void vm_fault_page_done(vm_page_t m);

void vm_fault_stats_get(struct vm_fault_stats *out);

#endif
