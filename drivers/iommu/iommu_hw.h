/*
 * iommu_hw.h: the IOMMU model, the hardware half.  QEMU 7.2's virt machine
 * has no IOMMU, so the image carries one: a RISC-V IOMMU (v1.0) that
 * reads the structures its driver (drivers/iommu/iommu.c) builds in memory
 * and the commands it queues, exactly as hardware would (riscv_iommu.h):
 * the device directory (1, 2 or 3 levels), base-format device contexts,
 * Sv39 I/O page tables, the command queue and the fault queue.
 *
 * It caches as hardware does, and only a command empties a cache:
 *   the IOTLB    IOMMU_HW_IOTLB_SETS x IOMMU_HW_IOTLB_WAYS leaf
 *                translations tagged by PSCID and I/O page, and
 *                IOMMU_HW_IOTLB64_SETS x IOMMU_HW_IOTLB_WAYS for 64 KiB
 *                Svnapot leaves (which
 *                the specification requires IOMMUs to support), filled by
 *                walks, emptied by IOTINVAL.VMA;
 *   the DC cache IOMMU_HW_DC_ENTRIES device contexts tagged by device_id,
 *                emptied by IODIR.INVAL_DDT;
 *   a walk cache the level-0 table of the last 2 MiB walked (non-leaf
 *                entries), emptied by IOTINVAL.VMA without AV and by
 *                IODIR.
 * A driver that changes a table and forgets the command goes on being
 * served the old translation: the tests rely on it.
 *
 * The bus (drivers/virtio/virtq_bus.c) asks iommu_hw_translate for every
 * address a device uses, with the access the device makes; a fault is
 * recorded in the fault queue and fails that transfer.
 *
 * Lock tags: kern/lock.h.  One spinlock, [M], serialises register writes,
 * commands and translations, as one hardware translation pipeline would.
 */
#ifndef DRIVERS_IOMMU_IOMMU_HW_H
#define DRIVERS_IOMMU_IOMMU_HW_H

#include <stdbool.h>
#include <stdint.h>

#include "drivers/iommu/riscv_iommu.h"
#include "kern/spinlock.h"
#include "vm/kern_return.h"

#define IOMMU_HW_IOTLB_SETS	64
#define IOMMU_HW_GEN_SLOTS	64	/* IOTLB generations, by PSCID modulo this */
#define IOMMU_HW_IOTLB64_SETS	4	/* entries for 64 KiB (Svnapot) leaves: sets x ways */
#define IOMMU_HW_IOTLB_WAYS	4
#define IOMMU_HW_DC_ENTRIES	16

enum iommu_access {
	IOMMU_READ = 1,		/* the device reads memory */
	IOMMU_WRITE = 2,	/* the device writes memory */
};

/*
 * An IOTLB entry is live while its gen equals its PSCID slot's generation
 * (0: empty): invalidating a whole PSCID steps the generation, in one
 * step as hardware clears its tags at once, and also drops the PSCIDs that
 * share the slot (more than asked, never less).
 */
struct iommu_hw_tlbe {
	uint32_t gen;
	uint32_t pscid;
	uint64_t vpn;		/* I/O page number */
	uint64_t pte;		/* the leaf, as read */
};

/* The walk cache: the level-0 table of one 2 MiB region of one address space. */
struct iommu_hw_ptw {
	bool valid;
	uint32_t pscid;
	uint64_t root;		/* the first-stage root it was reached from */
	uint64_t region;	/* iova >> 21 */
	uint64_t table;		/* the level-0 table's address */
};

struct iommu_hw_dce {
	bool valid;
	uint32_t device_id;
	struct rio_device_context dc;
};

struct iommu_hw_stats {
	uint64_t translations;		/* [M] pages translated */
	uint64_t iotlb_misses;		/* [M] pages the IOTLB did not hold */
	uint64_t dc_hits, dc_misses;	/* [M] */
	uint64_t commands;		/* [M] commands executed */
	uint64_t faults;		/* [M] faults recorded in the queue */
	uint64_t faults_lost;		/* [M] faults the full queue discarded */
	uint64_t faults_silent;		/* [M] faults DTF kept from the queue */
};

/* A piece of a translated range: physically contiguous. */
struct iommu_run {
	uint64_t pa;
	uint64_t len;
};

struct iommu_hw {
	struct spinlock lock;
	uint64_t capabilities;		/* [c] */
	uint32_t fctl;			/* [M] */
	uint64_t ddtp, cqb, fqb;	/* [M] */
	uint32_t cqh, cqt, fqh, fqt;	/* [M] */
	uint32_t cqcsr, fqcsr, ipsr;	/* [M] */
	struct iommu_hw_tlbe iotlb[IOMMU_HW_IOTLB_SETS][IOMMU_HW_IOTLB_WAYS];	/* [M] */
	uint8_t iotlb_victim[IOMMU_HW_IOTLB_SETS];	/* [M] round-robin replacement */
	uint32_t iotlb_gen[IOMMU_HW_GEN_SLOTS];	/* [M] live generation per PSCID slot (never 0) */
	struct iommu_hw_tlbe iotlb64[IOMMU_HW_IOTLB64_SETS][IOMMU_HW_IOTLB_WAYS];	/* [M] vpn: the
							   block's first page */
	uint8_t iotlb64_victim[IOMMU_HW_IOTLB64_SETS];	/* [M] */
	struct iommu_hw_ptw ptw;	/* [M] */
	struct iommu_hw_dce dc_cache[IOMMU_HW_DC_ENTRIES];	/* [M] */
	uint32_t dc_victim;		/* [M] */
	uint32_t dc_last;		/* [M] the entry the last translation used */
	struct iommu_hw_stats stats;	/* [M] */
};

/* iommu_hw_reset: the state after reset: iommu_mode Off, queues off, caches empty. */
void iommu_hw_reset(struct iommu_hw *hw);

/*
 * iommu_hw_read / iommu_hw_write: the register interface (offsets
 * RIO_REG_*, 4- or 8-byte registers as the specification sizes them).
 * Writing cqt runs the queued commands at once.  An unknown offset reads 0
 * and ignores writes.
 */
uint64_t iommu_hw_read(struct iommu_hw *hw, uint32_t off);
void iommu_hw_write(struct iommu_hw *hw, uint32_t off, uint64_t val);

/*
 * iommu_hw_translate: the device device_id accesses [iova, iova + len)
 * for `access`: the physical runs it reaches, in order, merged where
 * contiguous, into runs[0 .. *nruns) (at most max).
 * => KERN_SUCCESS; KERN_PROTECTION_FAILURE if any page does not translate
 *    or lacks the access (a fault record names the first such page; no run
 *    is to be used); KERN_NO_SPACE if more than max runs would be needed
 *    (no fault: the caller's limit)
 */
kern_return_t iommu_hw_translate(struct iommu_hw *hw, uint32_t device_id, uint64_t iova,
				 uint64_t len, enum iommu_access access, struct iommu_run *runs,
				 uint32_t max, uint32_t *nruns);

/* iommu_hw_iotlb_count: valid IOTLB entries, those of pscid (or all with pscid = UINT32_MAX). */
uint32_t iommu_hw_iotlb_count(struct iommu_hw *hw, uint32_t pscid);

#endif
