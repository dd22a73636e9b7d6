/*
 * pmap.h: the contract between the machine-independent VM and the
 * machine-dependent physical map (Mach's pmap layer).  vm/ reaches page
 * tables, TLBs and the direct map only through these calls; the RISC-V
 * Sv39 implementation is platform/riscv/pmap.c, the host unit tests link
 * a fake one.
 *
 * A pmap translates the virtual addresses of one address space: a user
 * pmap covers the lower half [0, PMAP_USER_END), kernel_pmap covers the
 * kernel's mappable window [PMAP_KERNEL_START, PMAP_KERNEL_END).  Every
 * pmap shares the kernel's upper-half mappings.
 *
 * Managed pages (those with a vm_page) keep a list of their mappings, so
 * pmap_page_protect can find them in every pmap.  All calls are safe from
 * any hart; each takes the pmap's lock and, for managed pages, the pv lock.
 * TLB invalidation is done by the call that changes a mapping, on every
 * hart that may cache it, before the call returns.
 */
#ifndef VM_PMAP_H
#define VM_PMAP_H

#include <stdbool.h>
#include <stdint.h>

#include "vm/vm_page.h"
#include "vm/vm_types.h"

typedef struct pmap *pmap_t;

extern pmap_t kernel_pmap;

#define PMAP_USER_END		0x0000004000000000ul	/* Sv39 lower half */
#define PMAP_PADDR_END		(1ul << 56)		/* physical addresses a PTE can hold */
#define PMAP_KERNEL_START	0xfffffffb80000000ul	/* kernel_map window, 16 GiB */
#define PMAP_KERNEL_END		0xffffffff80000000ul

/* pmap_enter flags */
#define PMAP_WIRED	0x1	/* the mapping is wired (counted in pmap_wired_count) */
#define PMAP_LARGE_2M	0x2	/* map the 2 MiB run starting at page with one entry */
#define PMAP_LARGE_1G	0x4	/* map the 1 GiB run starting at page with one entry */

/* pmap_page attrs: referenced/modified bits gathered from removed mappings. */
#define PMAP_ATTR_REFERENCED	0x1
#define PMAP_ATTR_MODIFIED	0x2

/*
 * pmap_create: a new, empty user pmap with one reference.  With no page
 * free it waits for the pageout daemon, as zalloc does.
 * => the caller may sleep
 * => NULL if no page can be had for its root table
 */
pmap_t pmap_create(void);

/* pmap_reference: add a reference. */
void pmap_reference(pmap_t pmap);

/*
 * pmap_destroy: drop a reference; the last one removes every remaining
 * mapping, frees the page tables and the pmap.
 * => the pmap must not be active on any hart when the last reference goes
 */
void pmap_destroy(pmap_t pmap);

/*
 * pmap_enter: map va to page with protection prot, replacing whatever
 * mapped va before (its TLB entries are invalidated).
 * => va page aligned (2 MiB / 1 GiB aligned with PMAP_LARGE_*, and then
 *    page is the first of that many physically contiguous, aligned pages)
 * => KERN_INVALID_ADDRESS if va is outside the pmap's range or inside a
 *    region nested from another pmap
 * => KERN_INVALID_ARGUMENT for an unaligned va or page, unknown flags, a
 *    large mapping without PMAP_WIRED, or prot with WRITE but not READ
 *    (reserved in Sv39); VM_PROT_NONE removes the mapping instead
 * => KERN_NO_SPACE for a large mapping over page tables that other pmaps
 *    share (pmap_nest; nothing changed)
 * => KERN_RESOURCE_SHORTAGE if a page table or mapping record cannot be
 *    allocated (nothing changed)
 */
kern_return_t pmap_enter(pmap_t pmap, vm_offset_t va, vm_page_t page, vm_prot_t prot,
			 unsigned flags);

/*
 * pmap_enter_quick: pmap_enter(pmap, va, page, prot, 0), done only when
 * that is quick: a 4 KiB page mapped nowhere else, at a va whose page
 * tables exist, outside what pmap nests, with no lock held by anyone
 * else; the slot free or holding a 4 KiB leaf of another page (a write's
 * copy replaces the page it was copied from: that leaf is shot down as
 * pmap_enter does).  Never sleeps or allocates: the fault's quick path
 * (vm_fault_quick) calls it, with interrupts on or off.
 * => true: mapped as pmap_enter would; false: nothing changed (bad input
 *    included), pmap_enter does the rest
 */
bool pmap_enter_quick(pmap_t pmap, vm_offset_t va, vm_page_t page, vm_prot_t prot);

/*
 * pmap_remove: remove every mapping in [start, end); a large mapping only
 * partly inside is split first.  Empty page tables are freed.
 * => KERN_INVALID_ARGUMENT if unaligned or start > end; KERN_INVALID_ADDRESS
 *    if the range leaves the pmap's range; KERN_RESOURCE_SHORTAGE if a
 *    needed split cannot allocate (nothing changed)
 */
kern_return_t pmap_remove(pmap_t pmap, vm_offset_t start, vm_offset_t end);

/*
 * pmap_protect: lower the protection of every mapping in [start, end) to
 * at most prot (it never adds a permission; VM_PROT_NONE removes them).
 * Same errors as pmap_remove, plus KERN_INVALID_ARGUMENT for WRITE
 * without READ.
 */
kern_return_t pmap_protect(pmap_t pmap, vm_offset_t start, vm_offset_t end, vm_prot_t prot);

/*
 * pmap_page_protect: lower the protection of every mapping of page, in
 * every pmap: VM_PROT_NONE removes them all, a protection without WRITE
 * makes them read-only; anything else changes nothing.
 */
void pmap_page_protect(vm_page_t page, vm_prot_t prot);

/*
 * pmap_page_protect_many: pmap_page_protect on each of pages[0, npages)
 * (NULL entries are skipped), with one TLB invalidation for them all
 * instead of one per page: a pageout cluster's pages lose their mappings
 * in one shootdown.
 */
void pmap_page_protect_many(vm_page_t *pages, uint32_t npages, vm_prot_t prot);

/* pmap_extract: the physical address va maps to. => KERN_INVALID_ADDRESS if none */
kern_return_t pmap_extract(pmap_t pmap, vm_offset_t va, vm_paddr_t *pa);

/*
 * pmap_change_wiring: mark the mapping of va wired or not.
 * => KERN_INVALID_ADDRESS if va is not mapped
 */
kern_return_t pmap_change_wiring(pmap_t pmap, vm_offset_t va, boolean_t wired);

/* Referenced (PTE A) and modified (PTE D) state of a page over all its mappings. */
boolean_t pmap_is_modified(vm_page_t page);
boolean_t pmap_is_referenced(vm_page_t page);
void pmap_clear_modify(vm_page_t page);
/*
 * pmap_page_init_fictitious: m (phys_addr set, VM_PAGE_FICTITIOUS) is a
 * device page: its mappings are unmanaged (no pv entry: pmap_page_protect
 * and the A/D queries do not see them; pmap_remove of their range removes
 * them) and get memory type memattr.
 */
void pmap_page_init_fictitious(vm_page_t m, vm_memattr_t memattr);
/* pmap_set_modify: count page as modified (written behind the pmap's back, by a device). */
void pmap_set_modify(vm_page_t page);
void pmap_clear_reference(vm_page_t page);
/*
 * pmap_clear_reference_many: pmap_clear_reference on each of pages[0,
 * npages) (NULL skipped) with one TLB invalidation for them all: the
 * pageout daemon ages a batch of pages in one shootdown.
 */
void pmap_clear_reference_many(vm_page_t *pages, uint32_t npages);

/*
 * pmap_activate: make pmap the address space of the calling hart (satp,
 * with this pmap's ASID; no TLB flush unless the ASIDs rolled over).
 * => interrupts off, or the caller pinned to this hart
 */
void pmap_activate(pmap_t pmap);

/*
 * pmap_page_checksum: a checksum of page's 4 KiB (Fletcher sums over 16
 * lanes of 64-bit words, weighted by lane and folded to 32 bits): the same
 * value on every machine, computed with the vector unit where the harts
 * have one.
 */
uint32_t pmap_page_checksum(vm_page_t page);

/* pmap_zero_page / pmap_copy_page: through the direct map, 8 bytes per store. */
void pmap_zero_page(vm_page_t page);
void pmap_copy_page(vm_page_t src, vm_page_t dst);

/*
 * pmap_user_access: run fn(arg) with the calling thread's user pages
 * reachable from the kernel (and only then).  A fault on a user address
 * meanwhile goes to vm_fault on the thread's map (paged-out pages come
 * back); one it cannot resolve ends fn where it is.
 * => true if fn ran to its end, false if a fault ended it
 * => fn must take no lock and leave no state a jump out would break
 */
bool pmap_user_access(void (*fn)(void *), void *arg);

/* pmap_direct_map: kernel virtual address of physical address pa (RAM only). */
void *pmap_direct_map(vm_paddr_t pa);

/*
 * pmap_nest: make subord share grand's page tables for [va, va+size), so
 * that every mapping grand has there is seen through subord at once.
 * => va and size 2 MiB aligned, the range in both pmaps' range and unused
 *    in subord: else KERN_INVALID_ARGUMENT / KERN_INVALID_ADDRESS / KERN_NO_SPACE
 * => KERN_RESOURCE_SHORTAGE if grand's tables cannot be allocated
 */
kern_return_t pmap_nest(pmap_t grand, pmap_t subord, vm_offset_t va, vm_size_t size);

/* pmap_unnest: undo pmap_nest for [va, va+size). => KERN_INVALID_ARGUMENT if not nested so */
kern_return_t pmap_unnest(pmap_t subord, vm_offset_t va, vm_size_t size);

/* Statistics: mappings (4 KiB units) and wired mappings of a pmap. */
uint64_t pmap_resident_count(pmap_t pmap);
uint64_t pmap_wired_count(pmap_t pmap);

/*
 * pmap_fault_fixup: a page fault that only needs the A or D bit set (the
 * privileged spec lets hardware fault instead of setting them); true if
 * the fault was that and is now resolved.
 */
bool pmap_fault_fixup(pmap_t pmap, vm_offset_t va, vm_prot_t access);

/*
 * pmap_check: verify every invariant of pmap's tables and their mapping
 * records; report each violation through report; returns how many.
 */
int pmap_check(pmap_t pmap, void (*report)(const char *fmt, ...));

/* pmap_print: one line per mapping (va range, pa, protection, wired, level). */
void pmap_print(pmap_t pmap, int (*print)(const char *fmt, ...));

#endif
