/*
 * pmap_md.h: the Sv39 pmap's machine-dependent extras, beyond vm/pmap.h.
 */
#ifndef PLATFORM_RISCV_PMAP_MD_H
#define PLATFORM_RISCV_PMAP_MD_H

#include <stdbool.h>
#include <stdint.h>

#include "platform/riscv/pte.h"
#include "vm/pmap.h"

/*
 * pmap_layout: the Sv39 facts a debugger needs to walk the page tables
 * without knowing this header (tools/gdb/vm.py reads it by name; the
 * image itself never does): the PTE bits of pte.h, the table shape, and
 * where the direct map and the pmaps' halves lie (vmlayout.h, vm/pmap.h).
 */
struct pmap_layout {
	uint64_t page_shift;
	uint64_t levels, entries;		/* PT_LEVELS, PT_ENTRIES */
	uint64_t level_bits;			/* VA bits each level decodes */
	uint64_t va_bits;			/* SV39_VA_BITS */
	uint64_t pte_v, pte_r, pte_w, pte_x, pte_u, pte_g, pte_a, pte_d;
	uint64_t pte_sw_wired, pte_sw_managed;
	uint64_t pte_pbmt_mask, pte_pbmt_nc, pte_pbmt_io, pte_n;
	uint64_t pte_ppn_shift, pte_ppn_mask;
	uint64_t napot_64k_pages, napot_64k_ppn_low;
	uint64_t dmap_base;			/* physical address 0 in the direct map */
	uint64_t user_end;			/* PMAP_USER_END */
	uint64_t kernel_start, kernel_end;	/* PMAP_KERNEL_START, PMAP_KERNEL_END */
};
extern const struct pmap_layout pmap_layout;

/* pmap_bootstrap: kernel_pmap adopts the kernel table at kernel_root_pa (kmap.c). */
void pmap_bootstrap(vm_paddr_t kernel_root_pa);
extern bool pmap_hw_ad_bits;	/* [c] set once by pmap_ad_probe */

/* pmap_hw_ad: the harts set PTE A/D themselves (no A/D faults to fix up). */
static inline bool pmap_hw_ad(void)
{
	return pmap_hw_ad_bits;
}

/*
 * pmap_page_vector_set: zero and copy pages with the V extension (the
 * default when the harts have it) or not (on is ignored without it);
 * returns the old setting.  pmap_page_vector: the setting.
 */
bool pmap_page_vector_set(bool on);
/* pmap_has_svpbmt: the harts have Svpbmt: device pages get their memory type in PBMT. */
bool pmap_has_svpbmt(void);
/* pmap_pte_get: the leaf that maps va in pmap, 0 if none (for tests that check its bits). */
pt_entry_t pmap_pte_get(pmap_t pmap, vm_offset_t va);
bool pmap_page_vector(void);
/* vm_machdep_init: route page faults to vm_fault (vm_machdep.c). */
void vm_machdep_init(void);
/* pmap_asid_limit: use at most `max` ASIDs (tests force rollovers); returns the old limit. */
uint16_t pmap_asid_limit(uint16_t max);
/* pmap_asid_generation: the current ASID generation (bumped by each rollover). */
uint64_t pmap_asid_generation(void);
/* pmap_asid_flushes: whole-TLB flushes harts made on meeting a new generation. */
uint64_t pmap_asid_flushes(void);

#endif
