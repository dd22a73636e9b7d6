/*
 * kmap.h: the kernel's own page table: the direct map of RAM (largest pages
 * that fit), the image with W^X permissions, and a window for device
 * registers.  Every future pmap copies its upper-half root entries.
 */
#ifndef PLATFORM_RISCV_KMAP_H
#define PLATFORM_RISCV_KMAP_H

#include <stdint.h>

#include "platform/dtb/fdt.h"
#include "platform/riscv/pte.h"

#define KMAP_MMIO_BASE	0xffffffffc0000000ul	/* last GiB: device registers */
#define KMAP_MMIO_END	0xfffffffffffff000ul

/* Pages of each size the direct map used, for the boot report and tests. */
struct kmap_stats {
	uint64_t dmap_pages[PT_LEVELS];	/* [0] 4 KiB, [1] 2 MiB, [2] 1 GiB */
	uint64_t image_pages;
	uint64_t pt_pages;
	uint64_t mmio_bytes;
};

/*
 * kmap_bootstrap: build the final kernel table from the DTB's RAM (minus
 * no-map reservations) and switch this hart to it.  The boot-time mapping
 * (image GiB + the DTB's GiB) is gone afterwards.
 */
void kmap_bootstrap(const struct platform_info *info);
/* kmap_activate: switch a secondary hart to the kernel table. */
void kmap_activate(void);
/* kmap_mmio: map [pa, pa+size) as device memory; returns its kernel virtual address. */
volatile void *kmap_mmio(uint64_t pa, uint64_t size);
/* kmap_lookup: the leaf PTE mapping va and its level, or 0 if none. */
pt_entry_t kmap_lookup(uint64_t va, int *level);
uint64_t kmap_satp(void);
const struct kmap_stats *kmap_stats(void);

#endif
