/*
 * vm_pager.h: what an object's backing store does for the VM (Mach's
 * memory_object data_request / data_return / terminate, as the reference's
 * "Pagers" section describes them).  Anonymous objects are backed by the
 * default pager once it is set up (vm/default_pager.c); until then, and
 * for objects it never paged out, absent pages read as zeros.
 *
 * Pagers move pages only through UPLs (vm/vm_upl.h).
 */
#ifndef VM_VM_PAGER_H
#define VM_VM_PAGER_H

#include <stdbool.h>

#include "vm/vm_behavior.h"
#include "vm/vm_object.h"

struct upl;

struct vm_pager_ops {
	const char *name;
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
	/* discard: the copy of (object, offset) is stale or unwanted.  => object locked */
	void (*discard)(vm_object_t object, vm_object_offset_t offset);
	/* terminate: the object is being freed: release all it holds.  => object locked */
	void (*terminate)(vm_object_t object);
};

/* The default (anonymous-memory) pager; NULL while there is no backing store. */
extern const struct vm_pager_ops *vm_pager_default;

/* vm_pager_has_page: object has a pager and it holds (object, offset).  => object locked */
static inline bool vm_pager_has_page(vm_object_t object, vm_object_offset_t offset)
{
	return object->pager_data && vm_pager_default && vm_pager_default->has_page(object, offset);
}

#endif
