/*
 * fake_pmap.h: the host tests' pmap (fake_pmap.c): fake RAM and
 * inspectable mappings.
 */
#ifndef TESTS_UNIT_FAKE_PMAP_H
#define TESTS_UNIT_FAKE_PMAP_H

#include "vm/pmap.h"

/* fake_pmap_ram: back physical [base, base + size) with host memory. */
void fake_pmap_ram(vm_paddr_t base, vm_size_t size);
/* fake_pmap_prot: the protection va is mapped with in p, VM_PROT_NONE if unmapped. */
vm_prot_t fake_pmap_prot(pmap_t p, vm_offset_t va);

#endif
