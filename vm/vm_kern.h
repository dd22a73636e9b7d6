/*
 * vm_kern.h: kernel memory from kernel_map (the names and signatures of
 * Apple's "Allocating Memory Using Mach Routines").  All but
 * kmem_alloc_pageable return wired, zero-filled memory.
 */
#ifndef VM_VM_KERN_H
#define VM_VM_KERN_H

#include "vm/vm_map.h"

/* kmem_alloc flags */
#define KMA_NONE	0x0

/* vm_kern_bootstrap: kernel_map over kernel_pmap's window.  => after pmap_bootstrap */
void vm_kern_bootstrap(void);

kern_return_t kmem_alloc(vm_map_t map, vm_offset_t *addrp, vm_size_t size);
kern_return_t kmem_alloc_wired(vm_map_t map, vm_offset_t *addrp, vm_size_t size);
/* kmem_alloc_pageable: the range exists; pages come on first touch. */
kern_return_t kmem_alloc_pageable(vm_map_t map, vm_offset_t *addrp, vm_size_t size);
/* kmem_alloc_aligned: aligned on `size`, which must be a power of two. */
kern_return_t kmem_alloc_aligned(vm_map_t map, vm_offset_t *addrp, vm_size_t size);
/*
 * kmem_alloc_contig: physically contiguous, the physical address aligned
 * so that (pa & mask) == 0 (mask + 1 a power of two, or 0 for pages).
 */
kern_return_t kmem_alloc_contig(vm_map_t map, vm_offset_t *addrp, vm_size_t size, vm_offset_t mask,
				int flags);
/*
 * kmem_alloc_stack: like kmem_alloc, with a guard page below the memory
 * (*addrp is its lowest byte) that no access can ever fault in: a stack
 * that overflows faults there instead of running into its neighbour.
 * Given back with kmem_free_stack (guard and all).
 */
kern_return_t kmem_alloc_stack(vm_map_t map, vm_offset_t *addrp, vm_size_t size);
void kmem_free_stack(vm_map_t map, vm_offset_t addr, vm_size_t size);
/*
 * kmem_free: free [addr, addr+size) from any kmem_alloc, rounded out to
 * pages as vm_deallocate does; a range vm_deallocate refuses is reported
 * and ignored.
 */
void kmem_free(vm_map_t map, vm_offset_t addr, vm_size_t size);

/*
 * kmem_object_wire: wired, zero-filled pages for [va, va + size) of a
 * kernel_map entry that maps object with offset at va: each page put in
 * the object, wired and mapped, without taking kernel_map's lock, so that
 * a caller that may hold it (a pagein of kernel memory wanting a swap I/O
 * record from pinned_heap, which grows this way) can still have them.
 * Memory is waited for as a fault waits.
 * => object referenced (by the entry), unlocked; va, offset and size page
 *    aligned, nothing resident there yet
 * => KERN_RESOURCE_SHORTAGE: no memory (nothing left wired or resident)
 */
kern_return_t kmem_object_wire(struct vm_object *object, vm_object_offset_t offset,
			       vm_offset_t va, vm_size_t size);
/*
 * kmem_object_unwire: undo kmem_object_wire over [va, va + size): the
 * pages unwired, unmapped, freed.  => object unlocked; aligned as above
 */
void kmem_object_unwire(struct vm_object *object, vm_object_offset_t offset, vm_offset_t va,
			vm_size_t size);

#endif
