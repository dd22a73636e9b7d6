/*
 * region_fixture.c: see region_fixture.h.
 */
#include "tests/kernel/region_fixture.h"
#include "vm/pmap.h"
#include "vm/vm.h"

bool region_fixture_make(struct region_fixture *r, vm_offset_t base, uint64_t npages)
{
	pmap_t pmap = pmap_create();

	*r = (struct region_fixture){ .npages = npages };
	r->map = pmap ? vm_map_create(pmap, PAGE_SIZE, PMAP_USER_END) : NULL;
	if (pmap && !r->map)
		pmap_destroy(pmap);
	r->object = r->map ? vm_object_allocate(ptoa(npages)) : NULL;
	if (!r->object)
		return false;
	vm_object_reference(r->object);		/* the map takes one */
	if (vm_map_enter(r->map, &base, ptoa(npages), 0, VM_FLAGS_FIXED, r->object, 0, FALSE,
			 VM_PROT_DEFAULT, VM_PROT_ALL, VM_INHERIT_DEFAULT) == KERN_SUCCESS)
		return true;
	vm_object_deallocate(r->object);	/* the map's, not taken */
	return false;
}

void region_fixture_drop(struct region_fixture *r)
{
	if (r->map)
		vm_map_deallocate(r->map);
	if (r->object)
		vm_object_deallocate(r->object);
	r->map = NULL;
	r->object = NULL;
}
