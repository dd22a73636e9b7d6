/*
 * vm_map_internal.h: what vm_map_copy.c needs of vm_map.c's internals.
 * Not for users of the VM.  => the map locked for writing where _locked
 */
#ifndef VM_VM_MAP_INTERNAL_H
#define VM_VM_MAP_INTERNAL_H

#include "vm/vm_map.h"

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
vm_prot_t vm_map_entry_pmap_prot(const struct vm_map_entry *e);
/* vm_map_entry_prepare_locked: give e an object (and its own copy for a write). */
kern_return_t vm_map_entry_prepare_locked(struct vm_map_entry *e, vm_prot_t fault_type);

#endif
