/*
 * pte.h: the Sv39 page-table entry, declared once (RISC-V privileged
 * specification, "Sv39: Page-Based 39-bit Virtual-Memory System").
 *
 *   63    62-61  60-54     53-28   27-19   18-10   9-8  7 6 5 4 3 2 1 0
 *   N     PBMT   reserved  PPN[2]  PPN[1]  PPN[0]  RSW  D A G U X W R V
 *
 * A leaf has at least one of R/X set (W without R is reserved); a non-leaf
 * has R = W = X = 0.  A leaf at level 2 maps 1 GiB, level 1 2 MiB, level 0
 * 4 KiB, and its PPN must be aligned to that size.  VA bits 63-39 must equal
 * bit 38 (the sign-extension hole lies between the two halves).
 */
#ifndef PLATFORM_RISCV_PTE_H
#define PLATFORM_RISCV_PTE_H

#include <stdint.h>

#include "vm/vm_types.h"	/* PAGE_SHIFT, PAGE_SIZE */

typedef uint64_t pt_entry_t;

#define PTE_V		(1ul << 0)
#define PTE_R		(1ul << 1)
#define PTE_W		(1ul << 2)
#define PTE_X		(1ul << 3)
#define PTE_U		(1ul << 4)
#define PTE_G		(1ul << 5)
#define PTE_A		(1ul << 6)
#define PTE_D		(1ul << 7)
#define PTE_RSW_SHIFT	8
#define PTE_SW_WIRED	(1ul << 8)	/* RSW bit 0: the mapping is wired (pmap.c) */
#define PTE_SW_MANAGED	(1ul << 9)	/* RSW bit 1: the page has a pv entry for it */
#define PTE_PPN_SHIFT	10
#define PTE_PPN_MASK	(((1ul << 44) - 1) << PTE_PPN_SHIFT)
#define PTE_PBMT_SHIFT	61		/* Svpbmt: the page's memory type */
#define PTE_PBMT_MASK	(3ul << PTE_PBMT_SHIFT)
#define PTE_PBMT_PMA	(0ul << PTE_PBMT_SHIFT)	/* the physical memory attributes of the address */
#define PTE_PBMT_NC	(1ul << PTE_PBMT_SHIFT)	/* non-cacheable, idempotent, weakly ordered */
#define PTE_PBMT_IO	(2ul << PTE_PBMT_SHIFT)	/* non-cacheable, non-idempotent, strongly ordered */
#define PTE_N		(1ul << 63)	/* Svnapot: a naturally aligned power-of-two range */

#define PTE_RWX		(PTE_R | PTE_W | PTE_X)

#define PTE_IS_LEAF(pte)	(((pte) & PTE_RWX) != 0)
#define PTE_TO_PA(pte)		((((pte) & PTE_PPN_MASK) >> PTE_PPN_SHIFT) << 12)
#define PA_TO_PTE(pa)		((((uint64_t)(pa)) >> 12) << PTE_PPN_SHIFT)

#define PT_LEVELS	3
#define PT_ENTRIES	512
#define PT_LEVEL_SHIFT(lvl)	(PAGE_SHIFT + 9 * (lvl))
#define PT_LEVEL_SIZE(lvl)	(1ul << PT_LEVEL_SHIFT(lvl))
#define PT_INDEX(va, lvl)	(((uint64_t)(va) >> PT_LEVEL_SHIFT(lvl)) & (PT_ENTRIES - 1))

/*
 * Svnapot (privileged spec, "Svnapot" chapter): a level-0 leaf with N set
 * and PPN[3:0] = 1000 belongs to a 64 KiB range whose 16 PTEs are all the
 * same; the page's own PPN takes VPN[3:0] in place of PPN[3:0].  Other
 * encodings are reserved.
 */
#define NAPOT_64K_PAGES		16
#define NAPOT_64K_PPN_LOW	0x8ul			/* PPN[3:0] of a 64 KiB leaf */
#define PTE_NAPOT_64K(pa)	(PA_TO_PTE((pa) & ~0xfffful) | (NAPOT_64K_PPN_LOW << PTE_PPN_SHIFT) | PTE_N)
#define PTE_NAPOT_OK(pte)	((((pte) >> PTE_PPN_SHIFT) & 0xf) == NAPOT_64K_PPN_LOW)
/* PTE_LEAF_PA: the physical page a level-0 leaf maps for va, Svnapot or not. */
#define PTE_LEAF_PA(pte, va)						\
	(((pte) & PTE_N) ? (PTE_TO_PA((pte) & ~(0xful << PTE_PPN_SHIFT)) | ((va) & 0xf000ul)) \
			 : PTE_TO_PA(pte))

#define SV39_VA_BITS	39
/* Canonical: bits 63..38 all equal. */
#define SV39_CANONICAL(va) \
	((((int64_t)(va)) >> (SV39_VA_BITS - 1)) == 0 || (((int64_t)(va)) >> (SV39_VA_BITS - 1)) == -1)

#endif
