/*
 * vm_named_entry.h: named entries, the Mach VM reference's handles to a
 * shared object or a submap.  mach_make_memory_entry_64 makes one over a
 * range a map has mapped (the range's object becomes shared: the handle
 * and the map see the same pages); vm_region_object_create makes one for
 * a new, empty submap.  vm_map maps a handle into any map: an object
 * shared, or as a private copy (copy = TRUE); a submap as a plain submap
 * (its structure shared, the pages a map writes its own; vm_map.h).  A
 * handle's permission bounds the protection and max_protection of every
 * mapping made from it.  In Mach a handle is a port right; here it is a
 * counted pointer (a task names its handles by index, task/task_trap.c).
 *
 * Lock tags: kern/lock.h.
 */
#ifndef VM_VM_NAMED_ENTRY_H
#define VM_VM_NAMED_ENTRY_H

#include <stdbool.h>
#include <stdint.h>

#include "vm/vm_map.h"

struct vm_object;

struct vm_named_entry {
	int ref_count;				/* [a] */
	bool is_sub_map;			/* [c] */
	union {
		struct vm_object *object;	/* [c] one reference held */
		vm_map_t submap;		/* [c] one reference held */
	};
	vm_object_offset_t offset;		/* [c] where the range starts in the object or submap */
	vm_size_t size;				/* [c] bytes, a page multiple */
	vm_prot_t protection;			/* [c] the most a mapping of it may allow */
};
typedef struct vm_named_entry *vm_named_entry_t;

/*
 * mach_make_memory_entry_64: a handle (*object_handle, one reference) to
 * [offset, offset + *size) of target_map (rounded to pages; *size gets the
 * rounded size), which must lie in one entry mapping an object; or, with
 * parent_entry, to that range of the parent handle (offset relative to
 * it; target_map unused).  The entry's object is made (and made the
 * entry's own) if need be, and is shared from then on.
 * => KERN_INVALID_ARGUMENT (NULL, size 0, wraps, unknown permission bits,
 *    a range over several entries or a submap, or past the parent's end),
 *    KERN_INVALID_ADDRESS (nothing mapped at offset), KERN_PROTECTION_FAILURE
 *    (permission above the entry's max_protection or the parent's
 *    permission), KERN_RESOURCE_SHORTAGE
 */
kern_return_t mach_make_memory_entry_64(vm_map_t target_map, vm_size_t *size,
					vm_object_offset_t offset, vm_prot_t permission,
					vm_named_entry_t *object_handle, vm_named_entry_t parent_entry);
/*
 * vm_region_object_create: a handle to a new, empty submap of size bytes
 * (addresses [0, size)), permission VM_PROT_ALL; what the kernel enters
 * in the submap (handle->submap) appears in every map that maps it.
 * target_map is Mach's and unused.
 * => KERN_INVALID_ARGUMENT (NULL, size 0), KERN_RESOURCE_SHORTAGE
 */
kern_return_t vm_region_object_create(vm_map_t target_map, vm_size_t size,
				      vm_named_entry_t *object_handle);
/*
 * mach_memory_object_memory_entry_64: a handle (*handle, one reference)
 * to [0, size) of a pager's object (Mach's memory object; the reference's
 * host and internal arguments have no use here).  The handle takes over
 * one object reference on success.
 * => KERN_INVALID_ARGUMENT (NULL, size 0 or past the object, unknown
 *    permission bits), KERN_RESOURCE_SHORTAGE
 */
kern_return_t mach_memory_object_memory_entry_64(struct vm_object *object, vm_size_t size,
						vm_prot_t permission, vm_named_entry_t *handle);
/*
 * vm_map: map [offset, offset + size) of the handle into target_map,
 * placed as vm_allocate places memory (mask: alignment - 1).  An object
 * is shared with every other mapping of it, or with copy a private copy:
 * of an anonymous object, made now (it does not follow later writes to
 * the handle's object, nor they its own); of a pager's object (a file),
 * copy-on-write (pages not yet written show the object as it is now).  A
 * copy needs read permission, and write permission only to be shared.
 * A submap is mapped without use_pmap (copy is refused).
 * => KERN_INVALID_ARGUMENT (NULL, size 0, an unaligned offset, a range
 *    past the handle's end, copy of a submap, what vm_map_enter refuses),
 *    KERN_PROTECTION_FAILURE (cur or max protection above the handle's
 *    permission), KERN_NO_SPACE, KERN_RESOURCE_SHORTAGE
 */
kern_return_t vm_map(vm_map_t target_map, vm_address_t *address, vm_size_t size, vm_offset_t mask,
		     int flags, vm_named_entry_t object, vm_object_offset_t offset, boolean_t copy,
		     vm_prot_t cur_protection, vm_prot_t max_protection, vm_inherit_t inheritance);

void vm_named_entry_reference(vm_named_entry_t entry);
/* vm_named_entry_release: drop a reference; the last one drops the object or submap. */
void vm_named_entry_release(vm_named_entry_t entry);
/* vm_named_entry_count: handles that exist, for accounting checks. */
uint64_t vm_named_entry_count(void);

#endif
