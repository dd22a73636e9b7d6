/*
 * vm_kern.c: kernel memory (see vm_kern.h).  Every allocation is an entry
 * of kernel_map with an object of its own; the wired kinds are wired with
 * vm_map_wire, which faults each page in (zero fill, or the pages a
 * contiguous allocation put in the object beforehand).
 */
#include "kern/kernel.h"
#include "vm/vm_fault.h"
#include "vm/vm_kern.h"
#include "vm/vm_object.h"
#include "vm/vm_pageout.h"

void vm_kern_bootstrap(void)
{
	kernel_map = vm_map_create(kernel_pmap, PMAP_KERNEL_START, PMAP_KERNEL_END);
	if (!kernel_map)
		panic("vm_kern_bootstrap: no kernel_map");
}

/* kmem_enter: a new entry over object (NULL: zero fill), wired unless pageable. */
static kern_return_t kmem_enter(vm_map_t map, vm_offset_t *addrp, vm_size_t size, vm_offset_t mask,
				struct vm_object *object, bool wired)
{
	vm_offset_t addr;
	kern_return_t kr;

	if (!map || !addrp || size == 0 || round_page(size) < size)
		return KERN_INVALID_ARGUMENT;
	if (!object && wired && !(object = vm_object_allocate(size)))
		return KERN_RESOURCE_SHORTAGE;
	kr = vm_map_enter(map, &addr, size, mask, VM_FLAGS_ANYWHERE, object, 0, FALSE, VM_PROT_DEFAULT,
			  VM_PROT_DEFAULT, VM_INHERIT_NONE);
	if (kr != KERN_SUCCESS) {
		vm_object_deallocate(object);
		return kr;
	}
	if (wired && (kr = vm_map_wire(map, addr, addr + round_page(size), VM_PROT_DEFAULT, FALSE))) {
		vm_deallocate(map, addr, size);
		return kr;
	}
	*addrp = addr;
	return KERN_SUCCESS;
}

kern_return_t kmem_alloc(vm_map_t map, vm_offset_t *addrp, vm_size_t size)
{
	return kmem_enter(map, addrp, size, 0, NULL, true);
}

kern_return_t kmem_alloc_wired(vm_map_t map, vm_offset_t *addrp, vm_size_t size)
{
	return kmem_alloc(map, addrp, size);
}

kern_return_t kmem_alloc_pageable(vm_map_t map, vm_offset_t *addrp, vm_size_t size)
{
	return kmem_enter(map, addrp, size, 0, NULL, false);
}

kern_return_t kmem_alloc_aligned(vm_map_t map, vm_offset_t *addrp, vm_size_t size)
{
	if (size == 0 || (size & (size - 1)))
		return KERN_INVALID_ARGUMENT;
	return kmem_enter(map, addrp, size, MAX(size, PAGE_SIZE) - 1, NULL, true);
}

kern_return_t kmem_alloc_contig(vm_map_t map, vm_offset_t *addrp, vm_size_t size, vm_offset_t mask,
				int flags)
{
	uint64_t npages = atop(round_page(size));
	vm_object_t object;
	vm_page_t run;

	if (!map || !addrp || size == 0 || round_page(size) < size || ((mask + 1) & mask) ||
	    flags != KMA_NONE)
		return KERN_INVALID_ARGUMENT;
	if (!(object = vm_object_allocate(size)))
		return KERN_RESOURCE_SHORTAGE;
	if (!(run = vm_page_alloc_contig(npages, MAX(1ul, atop(mask + 1))))) {
		vm_object_deallocate(object);
		return KERN_RESOURCE_SHORTAGE;
	}
	mutex_lock(&object->lock);
	for (uint64_t i = 0; i < npages; i++) {	/* the pages are the object's before any fault */
		pmap_zero_page(run + i);
		vm_page_insert(run + i, object, ptoa(i));
	}
	mutex_unlock(&object->lock);
	return kmem_enter(map, addrp, size, 0, object, true);
}

kern_return_t kmem_alloc_stack(vm_map_t map, vm_offset_t *addrp, vm_size_t size)
{
	vm_offset_t base;
	kern_return_t kr;

	if (!map || !addrp || size == 0 || round_page(size) < size ||
	    round_page(size) + PAGE_SIZE < size)
		return KERN_INVALID_ARGUMENT;
	size = round_page(size);
	kr = kmem_enter(map, &base, PAGE_SIZE + size, 0, NULL, false);
	if (kr != KERN_SUCCESS)
		return kr;
	/* The guard: no access, ever (the maximum too), so no fault can bring a page in. */
	kr = vm_protect(map, base, PAGE_SIZE, TRUE, VM_PROT_NONE);
	if (kr == KERN_SUCCESS)
		kr = vm_map_wire(map, base + PAGE_SIZE, base + PAGE_SIZE + size, VM_PROT_DEFAULT,
				 FALSE);
	if (kr != KERN_SUCCESS) {
		vm_deallocate(map, base, PAGE_SIZE + size);
		return kr;
	}
	*addrp = base + PAGE_SIZE;
	return KERN_SUCCESS;
}

void kmem_free_stack(vm_map_t map, vm_offset_t addr, vm_size_t size)
{
	kmem_free(map, addr - PAGE_SIZE, PAGE_SIZE + round_page(size));
}

void kmem_free(vm_map_t map, vm_offset_t addr, vm_size_t size)
{
	kern_return_t kr = vm_deallocate(map, addr, size);

	if (kr != KERN_SUCCESS)	/* void by its contract: say so, change nothing */
		kprintf("kmem_free: 0x%lx+0x%lx: %s\n", addr, size, kern_return_name(kr));
}

/*
 * kmem_object_wire_page: the page of object at offset, faulted in (zero
 * fill), mapped wired at va in kernel_pmap and wired, as entry_fault_wire
 * does for a map, without the map.  A page table that cannot be had waits
 * for the pageout daemon.  => object unlocked
 */
static kern_return_t kmem_object_wire_page(struct vm_object *object, vm_object_offset_t offset,
					   vm_offset_t va)
{
	kern_return_t kr;
	bool readonly;
	vm_page_t m;

	do {
		kr = vm_fault_page(object, offset, VM_PROT_DEFAULT, VM_BEHAVIOR_DEFAULT, &m,
				   &readonly, false);
		if (kr != KERN_SUCCESS)
			break;
		kr = pmap_enter(kernel_pmap, va, m, VM_PROT_DEFAULT, PMAP_WIRED);
		if (kr == KERN_SUCCESS) {
			mutex_lock(&object->lock);
			vm_page_wire(m);
			mutex_unlock(&object->lock);
		}
		vm_fault_page_done(m);
	} while (kr == KERN_RESOURCE_SHORTAGE && vm_pageout_wait_memory());
	return kr;
}

kern_return_t kmem_object_wire(struct vm_object *object, vm_object_offset_t offset,
			       vm_offset_t va, vm_size_t size)
{
	for (vm_size_t done = 0; done < size; done += PAGE_SIZE) {
		if (kmem_object_wire_page(object, offset + done, va + done) != KERN_SUCCESS) {
			kmem_object_unwire(object, offset, va, done);
			/* A page faulted in but not mapped stays in the object: it goes too. */
			vm_object_page_discard(object, offset + done, offset + done + PAGE_SIZE);
			return KERN_RESOURCE_SHORTAGE;
		}
	}
	return KERN_SUCCESS;
}

void kmem_object_unwire(struct vm_object *object, vm_object_offset_t offset, vm_offset_t va,
			vm_size_t size)
{
	mutex_lock(&object->lock);
	for (vm_size_t off = 0; off < size; off += PAGE_SIZE) {
		vm_page_t m = vm_page_lookup(object, offset + off);

		if (!m || !m->wire_count)
			continue;
		pmap_change_wiring(kernel_pmap, va + off, FALSE);
		vm_page_unwire(m);
	}
	mutex_unlock(&object->lock);
	vm_object_page_discard(object, offset, offset + size);
}
