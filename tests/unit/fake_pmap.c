/*
 * fake_pmap.c: the part of vm/pmap.h machine-independent code needs
 * without page tables: the direct map, over one host buffer.
 */
#include <stdlib.h>

#include "kern/kernel.h"
#include "tests/unit/fake_pmap.h"
#include "vm/pmap.h"

static char *fake_ram;
static vm_paddr_t fake_base;
static vm_size_t fake_size;

void fake_pmap_ram(vm_paddr_t base, vm_size_t size)
{
	free(fake_ram);
	fake_ram = aligned_alloc(PAGE_SIZE, size);
	if (!fake_ram)
		abort();
	fake_base = base;
	fake_size = size;
}

void *pmap_direct_map(vm_paddr_t pa)
{
	if (pa < fake_base || pa >= fake_base + fake_size)
		panic("fake pmap_direct_map: 0x%lx is not fake RAM", (unsigned long)pa);
	return fake_ram + (pa - fake_base);
}

void pmap_zero_page(vm_page_t m)
{
	uint64_t *p = pmap_direct_map(m->phys_addr);

	for (unsigned i = 0; i < PAGE_SIZE / 8; i++)
		p[i] = 0;
}
