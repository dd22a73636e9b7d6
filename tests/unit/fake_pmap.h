/*
 * fake_pmap.h: "physical memory" for host unit tests: a host buffer that
 * pmap_direct_map translates into.
 */
#ifndef TESTS_UNIT_FAKE_PMAP_H
#define TESTS_UNIT_FAKE_PMAP_H

#include "vm/vm_types.h"

/* fake_pmap_ram: back physical [base, base + size) with zeroed host memory. */
void fake_pmap_ram(vm_paddr_t base, vm_size_t size);

#endif
