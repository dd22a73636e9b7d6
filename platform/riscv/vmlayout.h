/*
 * vmlayout.h: where things live in the kernel's half of the Sv39 space.
 *
 *   0x0000000000000000 .. 0x0000003fffffffff   lower half: tasks (U-mode)
 *   0x0000004000000000 .. 0xffffffbfffffffff   sign-extension hole (no mapping possible)
 *   0xffffffc000000000 .. +238 GiB             direct map of RAM (large pages)
 *   0xfffffffb80000000 .. 0xffffffff7fffffff   kernel_map window, 16 GiB (kernel_pmap)
 *   0xffffffff80000000 .. +1 GiB               the image (linked at KERNEL_VIRT_BASE)
 *   0xffffffffc0000000 .. top                  device registers (kmap_mmio)
 *
 * Usable from assembly.
 */
#ifndef PLATFORM_RISCV_VMLAYOUT_H
#define PLATFORM_RISCV_VMLAYOUT_H

#define USER_VA_END		0x0000004000000000
#define DMAP_BASE		0xffffffc000000000
#define DMAP_SIZE		0x0000003b80000000	/* 238 GiB: up to the kernel_map window */
#define KVA_BASE		0xfffffffb80000000	/* = PMAP_KERNEL_START */
#define KVA_END			0xffffffff80000000	/* = PMAP_KERNEL_END */
#define RAM_BASE		0x80000000	/* QEMU virt's DRAM */
#define KERNEL_LOAD_OFFSET	0x200000	/* from RAM_BASE: the Image header's text_offset */
#define KERNEL_PHYS_BASE	(RAM_BASE + KERNEL_LOAD_OFFSET)
#define KERNEL_VIRT_BASE	0xffffffff80200000
#define KERNEL_VA_PA_OFFSET	(KERNEL_VIRT_BASE - KERNEL_PHYS_BASE)

#ifndef __ASSEMBLER__
#include <stdint.h>
#define PHYS_TO_DMAP(pa)	((void *)((uint64_t)(pa) + DMAP_BASE))
#define DMAP_TO_PHYS(va)	((uint64_t)(va) - DMAP_BASE)
#define KIMG_TO_PHYS(va)	((uint64_t)(va) - KERNEL_VA_PA_OFFSET)
#endif

#endif
