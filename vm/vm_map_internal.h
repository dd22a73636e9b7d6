/*
 * vm_map_internal.h: what vm_map_copy.c and the fault path need of
 * vm_map.c's internals.  Not for users of the VM.  => the map locked for
 * writing where _locked
 */
#ifndef VM_VM_MAP_INTERNAL_H
#define VM_VM_MAP_INTERNAL_H

#include "vm/vm_map.h"

/* vm_map_hint / vm_map_hint_set: the map's lookup hint (see struct vm_map).  => map locked */
static inline struct vm_map_entry *vm_map_hint(vm_map_t map)
{
	return __atomic_load_n(&map->hint, __ATOMIC_RELAXED);
}

static inline void vm_map_hint_set(vm_map_t map, struct vm_map_entry *e)
{
	__atomic_store_n(&map->hint, e, __ATOMIC_RELAXED);
}

/*
 * vm_map_lock / vm_map_unlock / vm_map_lock_downgrade: the map's lock
 * taken for a change, and let go (or downgraded) after it.  While
 * In KINVARIANTS builds (kern/kernel.h), letting go first checks the map's own
 * structure (what vm_map_check checks but the objects): a map left
 * broken fails a KASSERT there, at the change that broke it.
 */
static inline void vm_map_lock(vm_map_t map)
{
	rw_lock_write(&map->lock);
}

void vm_map_unlock(vm_map_t map);
void vm_map_lock_downgrade(vm_map_t map);

struct vm_map_entry *vm_map_entry_alloc(void);
/* vm_map_entry_free: an entry not in any map; drops its object/submap reference. */
void vm_map_entry_free(struct vm_map_entry *e);
/* vm_map_entry_insert_locked: link e (fields set, range free) into map. */
void vm_map_entry_insert_locked(vm_map_t map, struct vm_map_entry *e);
/* vm_map_clip_locked: split at start and end; the first entry inside or NULL. */
struct vm_map_entry *vm_map_clip_locked(vm_map_t map, vm_offset_t start, vm_offset_t end,
					kern_return_t *kr);
bool vm_map_range_mapped_locked(vm_map_t map, vm_offset_t start, vm_offset_t end);
bool vm_map_space_locked(vm_map_t map, vm_size_t size, vm_offset_t *out);
kern_return_t vm_map_remove_locked(vm_map_t map, vm_offset_t start, vm_offset_t end);

/* vm_map_entry_pmap_prot: what the pmap may give: no write while the object is shared COW. */
static inline vm_prot_t vm_map_entry_pmap_prot(const struct vm_map_entry *e)
{
	vm_prot_t p = e->protection;

	if (e->needs_copy)
		p &= ~VM_PROT_WRITE;
	if (p & VM_PROT_WRITE)
		p |= VM_PROT_READ;	/* Sv39 has no write-only pages */
	return p;
}

/* vm_map_entry_needs_prepare: e must get an object (or its own copy, for a write) first. */
static inline bool vm_map_entry_needs_prepare(const struct vm_map_entry *e, vm_prot_t fault_type)
{
	return !e->object || ((fault_type & VM_PROT_WRITE) && e->needs_copy);
}

/*
 * vm_map_entry_fault_ready: e takes a fault of fault_type as it is: the
 * access allowed, no submap, nothing to prepare.
 */
static inline bool vm_map_entry_fault_ready(const struct vm_map_entry *e, vm_prot_t fault_type)
{
	return !e->is_submap && !(fault_type & ~e->protection) &&
	       !vm_map_entry_needs_prepare(e, fault_type);
}

/* vm_map_entry_object_offset: the offset in e's object of the page holding vaddr. */
static inline vm_object_offset_t vm_map_entry_object_offset(const struct vm_map_entry *e,
							    vm_offset_t vaddr)
{
	return e->offset + (trunc_page(vaddr) - e->start);
}

/* vm_map_lookup_result: vm_map_lookup's answers for vaddr in entry e, seen through limit. */
static inline void vm_map_lookup_result(const struct vm_map_entry *e, vm_offset_t vaddr,
					vm_prot_t limit, struct vm_map_lookup_info *info)
{
	info->object = e->object;
	info->offset = vm_map_entry_object_offset(e, vaddr);
	info->prot = vm_map_entry_pmap_prot(e) & (limit | (limit & VM_PROT_WRITE ? VM_PROT_READ : 0));
	info->wired = vm_map_entry_wired(e);
	info->behavior = e->behavior;
}

/*
 * vm_map_lookup_quick: vm_map_lookup's commonest case, without waiting:
 * vaddr is in map's hint entry, which is ready for the fault and not
 * wired (its pages stay mapped: it hardly ever faults), and no writer
 * holds or wants map's lock.  The answers are read from the entry.
 * => the entry, map read-locked (vm_map_lookup_done(map, map)); NULL:
 *    nothing locked
 */
static inline const struct vm_map_entry *vm_map_lookup_quick(vm_map_t map, vm_offset_t vaddr,
							     vm_prot_t fault_type)
{
	const struct vm_map_entry *e;

	if (!rw_trylock_read(&map->lock))
		return NULL;
	e = vm_map_hint(map);
	if (!e || vaddr < e->start || vaddr >= e->end || !vm_map_entry_fault_ready(e, fault_type) ||
	    vm_map_entry_wired(e)) {
		rw_unlock_read(&map->lock);
		return NULL;
	}
	return e;
}

/* vm_map_entry_at_or_after_locked: the first entry with end > addr, else NULL.  => map locked */
struct vm_map_entry *vm_map_entry_at_or_after_locked(vm_map_t map, vm_offset_t addr);
/* vm_map_entry_prepare_locked: give e an object (and its own copy for a write). */
kern_return_t vm_map_entry_prepare_locked(struct vm_map_entry *e, vm_prot_t fault_type);

#endif
