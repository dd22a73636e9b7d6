/*
 * vm_named_entry.c: named entries (vm_named_entry.h).
 */
#include "kern/kernel.h"
#include "vm/vm_map_internal.h"
#include "vm/vm_named_entry.h"
#include "vm/vm_object.h"
#include "vm/vm_pager.h"
#include "vm/vm_zone.h"

static struct zone vm_named_entry_zone = ZONE_INIT("vm_named_entry", sizeof(struct vm_named_entry));
static uint64_t vm_named_entries;	/* [a] */

uint64_t vm_named_entry_count(void)
{
	return __atomic_load_n(&vm_named_entries, __ATOMIC_RELAXED);
}

/* named_entry_alloc: a handle with one reference, fields to fill; NULL on shortage. */
static vm_named_entry_t named_entry_alloc(void)
{
	vm_named_entry_t ne = zalloc(&vm_named_entry_zone);

	if (ne) {
		*ne = (struct vm_named_entry){ .ref_count = 1 };
		__atomic_fetch_add(&vm_named_entries, 1, __ATOMIC_RELAXED);
	}
	return ne;
}

static void named_entry_free(vm_named_entry_t ne)
{
	zfree(&vm_named_entry_zone, ne);
	__atomic_fetch_sub(&vm_named_entries, 1, __ATOMIC_RELAXED);
}

void vm_named_entry_reference(vm_named_entry_t entry)
{
	__atomic_fetch_add(&entry->ref_count, 1, __ATOMIC_RELAXED);
}

void vm_named_entry_release(vm_named_entry_t entry)
{
	if (!entry || __atomic_sub_fetch(&entry->ref_count, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	if (entry->is_sub_map)
		vm_map_deallocate(entry->submap);
	else
		vm_object_deallocate(entry->object);
	named_entry_free(entry);
}

/* named_entry_of_parent: a handle to [offset, offset + size) of parent, at most permission. */
static kern_return_t named_entry_of_parent(vm_named_entry_t parent, vm_size_t *size,
					   vm_object_offset_t offset, vm_prot_t permission,
					   vm_named_entry_t *handle)
{
	vm_object_offset_t start = trunc_page(offset), end = round_page(offset + *size);
	vm_named_entry_t ne;

	if (end <= start || offset + *size < offset || end > parent->size)
		return KERN_INVALID_ARGUMENT;
	if (permission & ~parent->protection)
		return KERN_PROTECTION_FAILURE;
	if (!(ne = named_entry_alloc()))
		return KERN_RESOURCE_SHORTAGE;
	ne->is_sub_map = parent->is_sub_map;
	if (ne->is_sub_map) {
		ne->submap = parent->submap;
		vm_map_reference(ne->submap);
	} else {
		ne->object = parent->object;
		vm_object_reference(ne->object);
	}
	ne->offset = parent->offset + start;
	ne->size = end - start;
	ne->protection = permission;
	*size = ne->size;
	*handle = ne;
	return KERN_SUCCESS;
}

/*
 * named_entry_of_range_locked: the object behind [start, end) of map, in
 * ne: the entry's own (made now if need be, as a fork's VM_INHERIT_SHARE
 * makes it), shared from now on.  => map write-locked
 */
static kern_return_t named_entry_of_range_locked(vm_map_t map, vm_offset_t start, vm_offset_t end,
						 vm_prot_t permission, vm_named_entry_t ne)
{
	struct vm_map_entry *e;
	kern_return_t kr;

	LOCK_ASSERT(rw_write_held(&map->lock),
		"named_entry_of_range_locked: map %p not write-locked", (void *)map);
	if (!(e = vm_map_lookup_entry_locked(map, start)))
		return KERN_INVALID_ADDRESS;
	if (e->is_submap || end > e->end)
		return KERN_INVALID_ARGUMENT;
	if (permission & ~e->max_protection)
		return KERN_PROTECTION_FAILURE;
	if ((kr = vm_map_entry_prepare_locked(e, e->needs_copy ? VM_PROT_WRITE : 0)) != KERN_SUCCESS)
		return kr;
	vm_object_share(e->object);
	e->is_shared = true;
	ne->object = e->object;
	ne->offset = e->offset + (start - e->start);
	return KERN_SUCCESS;
}

kern_return_t mach_make_memory_entry_64(vm_map_t target_map, vm_size_t *size,
					vm_object_offset_t offset, vm_prot_t permission,
					vm_named_entry_t *object_handle, vm_named_entry_t parent_entry)
{
	vm_offset_t start, end;
	vm_named_entry_t ne;
	kern_return_t kr;

	if (!size || !*size || !object_handle || (permission & ~VM_PROT_ALL))
		return KERN_INVALID_ARGUMENT;
	if (parent_entry)
		return named_entry_of_parent(parent_entry, size, offset, permission, object_handle);
	start = trunc_page(offset);
	end = round_page(offset + *size);
	if (!target_map || offset + *size < offset || end <= start)
		return KERN_INVALID_ARGUMENT;
	if (!(ne = named_entry_alloc()))
		return KERN_RESOURCE_SHORTAGE;
	vm_map_lock(target_map);
	kr = named_entry_of_range_locked(target_map, start, end, permission, ne);
	vm_map_unlock(target_map);
	if (kr != KERN_SUCCESS) {
		named_entry_free(ne);
		return kr;
	}
	ne->size = end - start;
	ne->protection = permission;
	*size = ne->size;
	*object_handle = ne;
	return KERN_SUCCESS;
}

kern_return_t vm_region_object_create(vm_map_t target_map, vm_size_t size,
				      vm_named_entry_t *object_handle)
{
	vm_named_entry_t ne;
	vm_map_t submap;
	pmap_t pmap;

	size = round_page(size);
	if (!target_map || !size || !object_handle)
		return KERN_INVALID_ARGUMENT;
	pmap = pmap_create();
	if (!(submap = pmap ? vm_map_create(pmap, 0, size) : NULL)) {
		if (pmap)
			pmap_destroy(pmap);
		return KERN_RESOURCE_SHORTAGE;
	}
	if (!(ne = named_entry_alloc())) {
		vm_map_deallocate(submap);
		return KERN_RESOURCE_SHORTAGE;
	}
	ne->is_sub_map = true;
	ne->submap = submap;
	ne->size = size;
	ne->protection = VM_PROT_ALL;
	*object_handle = ne;
	return KERN_SUCCESS;
}

kern_return_t mach_memory_object_memory_entry_64(vm_object_t object, vm_size_t size,
						vm_prot_t permission, vm_named_entry_t *handle)
{
	vm_named_entry_t ne;

	size = round_page(size);
	if (!object || !handle || !size || size > object->size || (permission & ~VM_PROT_ALL))
		return KERN_INVALID_ARGUMENT;
	if (!(ne = named_entry_alloc()))
		return KERN_RESOURCE_SHORTAGE;
	__atomic_store_n(&object->one_mapping, false, __ATOMIC_RELAXED);	/* the handle sees it too */
	ne->object = object;
	ne->size = size;
	ne->protection = permission;
	*handle = ne;
	return KERN_SUCCESS;
}

/* map_copy_of_external: a private copy-on-write mapping of a pager's object (a file's). */
static kern_return_t map_copy_of_external(vm_map_t map, vm_address_t *address, vm_size_t len,
					  vm_offset_t mask, int flags, vm_object_t object,
					  vm_object_offset_t offset, vm_prot_t cur_protection,
					  vm_prot_t max_protection, vm_inherit_t inheritance)
{
	kern_return_t kr;

	vm_object_share(object);
	kr = vm_map_enter(map, address, len, mask, flags, object, offset, TRUE, cur_protection,
			  max_protection, inheritance);
	if (kr != KERN_SUCCESS)
		vm_object_deallocate(object);
	return kr;
}

kern_return_t vm_map(vm_map_t target_map, vm_address_t *address, vm_size_t size, vm_offset_t mask,
		     int flags, vm_named_entry_t object, vm_object_offset_t offset, boolean_t copy,
		     vm_prot_t cur_protection, vm_prot_t max_protection, vm_inherit_t inheritance)
{
	vm_size_t len = round_page(size);
	struct vm_object *obj;
	kern_return_t kr;

	if (!target_map || !object || !size || len < size || !page_aligned(offset) ||
	    offset + len < offset || offset + len > object->size || (copy && object->is_sub_map) ||
	    ((cur_protection | max_protection) & ~VM_PROT_ALL) || (cur_protection & ~max_protection) ||
	    (flags & ~VM_FLAGS_ALL) || inheritance > VM_INHERIT_LAST_VALID)
		return KERN_INVALID_ARGUMENT;
	/* A copy is the mapping's own: writing it needs no write permission on the handle. */
	if (((cur_protection | max_protection) & ~(object->protection | (copy ? VM_PROT_WRITE : 0))) ||
	    (copy && !(object->protection & VM_PROT_READ)))
		return KERN_PROTECTION_FAILURE;
	if (object->is_sub_map)
		return vm_map_enter_submap(target_map, address, len, mask, flags, object->submap,
					   object->offset + offset, FALSE, cur_protection,
					   max_protection, inheritance);
	if (copy && vm_object_is_external(object->object))
		return map_copy_of_external(target_map, address, len, mask, flags, object->object,
					    object->offset + offset, cur_protection, max_protection,
					    inheritance);
	if (copy) {
		if (!(obj = vm_object_copy_range(object->object, object->offset + offset, len)))
			return KERN_RESOURCE_SHORTAGE;
		kr = vm_map_enter(target_map, address, len, mask, flags, obj, 0, FALSE, cur_protection,
				  max_protection, inheritance);
	} else {
		vm_object_share(obj = object->object);
		kr = vm_map_enter_shared(target_map, address, len, mask, flags, obj,
					 object->offset + offset, cur_protection, max_protection,
					 inheritance);
	}
	if (kr != KERN_SUCCESS)
		vm_object_deallocate(obj);
	return kr;
}
