/*
 * pmap_md.h: the Sv39 pmap's machine-dependent extras, beyond vm/pmap.h.
 */
#ifndef PLATFORM_RISCV_PMAP_MD_H
#define PLATFORM_RISCV_PMAP_MD_H

#include <stdint.h>

#include "vm/pmap.h"

/* pmap_bootstrap: kernel_pmap adopts the kernel table at kernel_root_pa (kmap.c). */
void pmap_bootstrap(vm_paddr_t kernel_root_pa);
/* pmap_hw_ad: the harts set PTE A/D themselves (no A/D faults to fix up). */
bool pmap_hw_ad(void);
/* vm_machdep_init: route page faults to vm_fault (vm_machdep.c). */
void vm_machdep_init(void);
/* pmap_asid_limit: use at most `max` ASIDs (tests force rollovers); returns the old limit. */
uint16_t pmap_asid_limit(uint16_t max);
/* pmap_asid_generation: the current ASID generation (bumped by each rollover). */
uint64_t pmap_asid_generation(void);
/* pmap_asid_flushes: whole-TLB flushes harts made on meeting a new generation. */
uint64_t pmap_asid_flushes(void);

#endif
