/*
 * device_pager.h: the device pager: objects whose pages are a range of
 * physical addresses that is not RAM (a PCI BAR, a frame buffer), mapped
 * with the memory type the device needs (the reference's WIMG; Svpbmt's
 * PBMT on RISC-V where the harts have it, the address's own attributes
 * otherwise).
 *
 * A handle from device_pager_setup maps like any other (vm_map, shared);
 * a fault brings in the page's record, a fictitious vm_page the pager
 * owns.  Those pages are never on the page queues (the pageout daemon
 * never sees them), never paged out, never freed to the free lists, and
 * never copied: a write to a private (copy-on-write) mapping of one fails
 * with KERN_PROTECTION_FAILURE, as does vm_map_copy_overwrite to or from
 * one; a copy made at once (a fork of an inherit-copy device mapping, a
 * small vm_map_copyin) fails; no UPL takes them (KERN_NOT_SUPPORTED).
 *
 * Lock tags: kern/lock.h.
 */
#ifndef VM_DEVICE_PAGER_H
#define VM_DEVICE_PAGER_H

#include <stdint.h>

#include "vm/kern_return.h"
#include "vm/vm_named_entry.h"
#include "vm/vm_page.h"

/*
 * device_pager_setup: a handle (*handle, one reference) to the device
 * memory [paddr, paddr + size) (page aligned), whose mappings get memory
 * type memattr and at most permission.
 * => KERN_INVALID_ARGUMENT (NULL, size 0, unaligned, past PMAP_PADDR_END,
 *    unknown memattr or permission bits), KERN_INVALID_ADDRESS (part of
 *    the range is RAM the VM manages), KERN_RESOURCE_SHORTAGE (no page
 *    records left: device objects map 4 MiB at once at most)
 */
kern_return_t device_pager_setup(vm_paddr_t paddr, vm_size_t size, vm_memattr_t memattr,
				 vm_prot_t permission, vm_named_entry_t *handle);

/* device_pager_count: device objects alive, for accounting checks. */
uint64_t device_pager_count(void);

#endif
