/*
 * riscv_iommu.h: the RISC-V IOMMU's in-memory structures and registers,
 * declared once ("The RISC-V IOMMU Architecture Specification", v1.0).
 * The I/O page tables are Sv39 tables in the CPU's format (platform/riscv/
 * pte.h): "the IOMMU uses the same page table formats as the CPU's MMU".
 * Every request without a process_id is a user-mode request, so a leaf the
 * device may use has U set; with capabilities.AMO_HWAD clear the IOMMU
 * never sets A or D: a leaf needs A, and D for a write, or the access is a
 * page fault.
 *
 * Device directory (ch. 2.1).  ddtp.iommu_mode selects 1, 2 or 3 levels.
 * With the base-format device context (capabilities.MSI_FLAT = 0, 32
 * bytes), device_id splits as
 *     DDI[2] = device_id[23:16]  DDI[1] = device_id[15:7]  DDI[0] = device_id[6:0]
 * so 1LVL serves 7-bit, 2LVL 16-bit and 3LVL 24-bit device IDs.  A
 * non-leaf entry is  [53:10] PPN | [0] V.
 *
 * Device context, base format (2.1.3): four doublewords
 *     tc       [0] V [1] EN_ATS [2] EN_PRI [3] T2GPA [4] DTF [5] PDTV [6] PRPR
 *              [7] GADE [8] SADE [9] DPE [10] SBE [11] SXL
 *     iohgatp  [63:60] MODE [59:44] GSCID [43:0] PPN     (MODE 0: Bare)
 *     ta       [31:12] PSCID
 *     fsc      (PDTV = 0: iosatp) [63:60] MODE [43:0] PPN  (MODE 8: Sv39)
 *
 * Command queue (3.1): 16-byte commands, [6:0] opcode, [9:7] func3.
 *     IOTINVAL.VMA (1,0)  dw0: [10] AV [31:12] PSCID [32] PSCV [33] GV [59:44] GSCID
 *                         dw1: [61:10] ADDR[63:12]
 *     IOFENCE.C    (2,0)  dw0: [10] AV [11] WSI [12] PR [13] PW [63:32] DATA
 *                         dw1: [61:0] ADDR[63:2]
 *     IODIR.INVAL_DDT (3,0) dw0: [33] DV [63:40] DID
 * A command with a reserved encoding sets cqcsr.cmd_ill and stops the queue.
 *
 * Fault queue (3.2): 32-byte records
 *     dw0: [11:0] CAUSE [31:12] PID [32] PV [33] PRIV [39:34] TTYP [63:40] DID
 *     dw1: reserved  dw2: iotval (the I/O address)  dw3: iotval2
 * A record that finds the queue full (fqt == fqh - 1) is discarded and sets
 * fqcsr.fqof; records are discarded until software writes 1 to fqof.
 */
#ifndef DRIVERS_IOMMU_RISCV_IOMMU_H
#define DRIVERS_IOMMU_RISCV_IOMMU_H

#include <stdint.h>

/* Registers (ch. 5): offsets in the 4 KiB register page. */
#define RIO_REG_CAPABILITIES	0	/* 64 */
#define RIO_REG_FCTL		8	/* 32 */
#define RIO_REG_DDTP		16	/* 64 */
#define RIO_REG_CQB		24	/* 64 */
#define RIO_REG_CQH		32	/* 32, read-only */
#define RIO_REG_CQT		36	/* 32 */
#define RIO_REG_FQB		40	/* 64 */
#define RIO_REG_FQH		48	/* 32 */
#define RIO_REG_FQT		52	/* 32, read-only */
#define RIO_REG_CQCSR		72	/* 32 */
#define RIO_REG_FQCSR		76	/* 32 */
#define RIO_REG_IPSR		84	/* 32 */
#define RIO_REG_BYTES		4096

#define RIO_CAP_VERSION_1_0	0x10ull		/* [7:0] */
#define RIO_CAP_SV39		(1ull << 9)
#define RIO_CAP_IGS_WSI		(1ull << 28)	/* [29:28] = 1: wired interrupts */
#define RIO_CAP_PAS_SHIFT	32		/* [37:32] physical address bits */

#define RIO_DDTP_MODE_MASK	0xfull		/* [3:0] iommu_mode */
#define RIO_DDTP_MODE_OFF	0
#define RIO_DDTP_MODE_BARE	1
#define RIO_DDTP_MODE_1LVL	2
#define RIO_DDTP_MODE_2LVL	3
#define RIO_DDTP_MODE_3LVL	4
#define RIO_DDTP_BUSY		(1ull << 4)

/* cqb/fqb and the PPN fields of ddtp and of non-leaf DDT entries: [53:10]. */
#define RIO_PPN_SHIFT		10
#define RIO_PPN_MASK		(((1ull << 44) - 1) << RIO_PPN_SHIFT)
#define RIO_PPN(pa)		((((uint64_t)(pa)) >> 12) << RIO_PPN_SHIFT)
#define RIO_PPN_TO_PA(v)	((((v) & RIO_PPN_MASK) >> RIO_PPN_SHIFT) << 12)
#define RIO_QB_LOG2SZ_MASK	0x1full		/* [4:0] entries = 2^(field + 1) */

#define RIO_CQCSR_CQEN		(1u << 0)
#define RIO_CQCSR_CIE		(1u << 1)
#define RIO_CQCSR_CQMF		(1u << 8)
#define RIO_CQCSR_CMD_TO	(1u << 9)
#define RIO_CQCSR_CMD_ILL	(1u << 10)
#define RIO_CQCSR_FENCE_W_IP	(1u << 11)
#define RIO_CQCSR_CQON		(1u << 16)
#define RIO_CQCSR_BUSY		(1u << 17)
#define RIO_CQCSR_RW1C		(RIO_CQCSR_CQMF | RIO_CQCSR_CMD_TO | RIO_CQCSR_CMD_ILL | \
				 RIO_CQCSR_FENCE_W_IP)

#define RIO_FQCSR_FQEN		(1u << 0)
#define RIO_FQCSR_FIE		(1u << 1)
#define RIO_FQCSR_FQMF		(1u << 8)
#define RIO_FQCSR_FQOF		(1u << 9)
#define RIO_FQCSR_FQON		(1u << 16)
#define RIO_FQCSR_BUSY		(1u << 17)
#define RIO_FQCSR_RW1C		(RIO_FQCSR_FQMF | RIO_FQCSR_FQOF)

#define RIO_IPSR_CIP		(1u << 0)
#define RIO_IPSR_FIP		(1u << 1)

/* Device directory. */
#define RIO_DDTE_V		(1ull << 0)
#define RIO_DC_BYTES		32
#define RIO_DDI0_BITS		7
#define RIO_DDI1_BITS		9
#define RIO_DDI2_BITS		8
#define RIO_DDI(did, level)						\
	((level) == 0 ? (did) & 0x7f : (level) == 1 ? ((did) >> 7) & 0x1ff : ((did) >> 16) & 0xff)

struct rio_device_context {
	uint64_t tc;
	uint64_t iohgatp;
	uint64_t ta;
	uint64_t fsc;
};

#define RIO_TC_V		(1ull << 0)
#define RIO_TC_EN_ATS		(1ull << 1)
#define RIO_TC_EN_PRI		(1ull << 2)
#define RIO_TC_T2GPA		(1ull << 3)
#define RIO_TC_DTF		(1ull << 4)
#define RIO_TC_PDTV		(1ull << 5)
#define RIO_TC_PRPR		(1ull << 6)
#define RIO_TC_GADE		(1ull << 7)
#define RIO_TC_SADE		(1ull << 8)
#define RIO_TC_DPE		(1ull << 9)
#define RIO_TC_SBE		(1ull << 10)
#define RIO_TC_SXL		(1ull << 11)
#define RIO_TC_RESERVED		(~0xffffffull | 0xfff000ull)	/* [63:32], [23:12] */

#define RIO_ATP_MODE_SHIFT	60			/* iohgatp and iosatp [63:60] */
#define RIO_ATP_MODE_BARE	0ull
#define RIO_ATP_MODE_SV39	8ull
#define RIO_ATP_PPN_MASK	((1ull << 44) - 1)	/* [43:0] */
#define RIO_IOSATP_RESERVED	(0xffffull << 44)	/* [59:44] */

#define RIO_TA_PSCID_SHIFT	12			/* [31:12] */
#define RIO_TA_PSCID_MASK	0xfffffull
#define RIO_TA_RESERVED		(~(RIO_TA_PSCID_MASK << RIO_TA_PSCID_SHIFT))

/* Commands. */
struct rio_command {
	uint64_t dw0, dw1;
};

#define RIO_CMD_OPCODE(c)	((c)->dw0 & 0x7f)
#define RIO_CMD_FUNC3(c)	(((c)->dw0 >> 7) & 0x7)
#define RIO_OP_IOTINVAL		1
#define RIO_OP_IOFENCE		2
#define RIO_OP_IODIR		3
#define RIO_FUNC_VMA		0
#define RIO_FUNC_IOFENCE_C	0
#define RIO_FUNC_INVAL_DDT	0

#define RIO_IOTINVAL_AV		(1ull << 10)
#define RIO_IOTINVAL_PSCID_SHIFT 12
#define RIO_IOTINVAL_PSCV	(1ull << 32)
#define RIO_IOTINVAL_GV		(1ull << 33)
#define RIO_IOTINVAL_ADDR(va)	((((uint64_t)(va)) >> 12) << 10)	/* dw1 [61:10] */
#define RIO_IOTINVAL_ADDR_OF(dw1) ((((dw1) >> 10) & ((1ull << 52) - 1)) << 12)

#define RIO_IOFENCE_AV		(1ull << 10)
#define RIO_IOFENCE_WSI		(1ull << 11)
#define RIO_IOFENCE_PR		(1ull << 12)
#define RIO_IOFENCE_PW		(1ull << 13)
#define RIO_IOFENCE_DATA_SHIFT	32
#define RIO_IOFENCE_ADDR(pa)	(((uint64_t)(pa)) >> 2)		/* dw1 [61:0] */
#define RIO_IOFENCE_ADDR_OF(dw1) (((dw1) & ((1ull << 62) - 1)) << 2)

#define RIO_IODIR_DV		(1ull << 33)
#define RIO_IODIR_DID_SHIFT	40				/* [63:40] */

/* Fault records. */
struct rio_fault_record {
	uint64_t dw0;
	uint64_t reserved;
	uint64_t iotval;
	uint64_t iotval2;
};

#define RIO_FAULT_CAUSE(r)	((uint32_t)((r)->dw0 & 0xfff))
#define RIO_FAULT_TTYP(r)	((uint32_t)(((r)->dw0 >> 34) & 0x3f))
#define RIO_FAULT_DID(r)	((uint32_t)((r)->dw0 >> 40))
#define RIO_FAULT_DW0(cause, ttyp, did) \
	((uint64_t)(cause) | ((uint64_t)(ttyp) << 34) | ((uint64_t)(did) << 40))

/* CAUSE codes (table "Fault causes"); the ones this model reports. */
#define RIO_CAUSE_READ_ACCESS		5
#define RIO_CAUSE_WRITE_ACCESS		7
#define RIO_CAUSE_READ_PAGE		13
#define RIO_CAUSE_WRITE_PAGE		15
#define RIO_CAUSE_ALL_DISALLOWED	256
#define RIO_CAUSE_DDT_LOAD_ACCESS	257
#define RIO_CAUSE_DDT_INVALID		258
#define RIO_CAUSE_DDT_MISCONFIGURED	259
#define RIO_CAUSE_TTYPE_DISALLOWED	260

/* TTYP: transaction types. */
#define RIO_TTYP_NONE			0
#define RIO_TTYP_UNTRANSLATED_READ	2
#define RIO_TTYP_UNTRANSLATED_WRITE	3

#endif
