/*
 * riscv.h: CSR access and the S-mode CSR bit layouts (RISC-V privileged
 * specification, chapter "Supervisor-Level ISA").  Declared once here.
 */
#ifndef PLATFORM_RISCV_RISCV_H
#define PLATFORM_RISCV_RISCV_H

#include <stdint.h>

#define csr_read(csr) ({ uint64_t __v; __asm__ volatile("csrr %0, " #csr : "=r"(__v) :: "memory"); __v; })
#define csr_write(csr, val) __asm__ volatile("csrw " #csr ", %0" :: "rK"((uint64_t)(val)) : "memory")
#define csr_set(csr, bits) __asm__ volatile("csrs " #csr ", %0" :: "rK"((uint64_t)(bits)) : "memory")
#define csr_clear(csr, bits) __asm__ volatile("csrc " #csr ", %0" :: "rK"((uint64_t)(bits)) : "memory")
#define csr_read_clear(csr, bits) ({ uint64_t __v; __asm__ volatile("csrrc %0, " #csr ", %1" : "=r"(__v) : "rK"((uint64_t)(bits)) : "memory"); __v; })

/* sstatus */
#define SSTATUS_SIE	(1ul << 1)	/* interrupts enabled in S-mode */
#define SSTATUS_SPIE	(1ul << 5)	/* SIE before the trap */
#define SSTATUS_SPP	(1ul << 8)	/* previous mode: 1 = S, 0 = U */
#define SSTATUS_VS_MASK	(3ul << 9)	/* vector state: 0 off, 1 initial, 2 clean, 3 dirty */
#define SSTATUS_FS_MASK	(3ul << 13)	/* FPU state: 0 off, 1 initial, 2 clean, 3 dirty */
#define SSTATUS_SUM	(1ul << 18)	/* S-mode may access U pages */
#define SSTATUS_MXR	(1ul << 19)	/* loads from execute-only pages */

/* scounteren: which counters U-mode may read (privileged spec 4.1.5) */
#define SCOUNTEREN_CY	(1ul << 0)
#define SCOUNTEREN_TM	(1ul << 1)
#define SCOUNTEREN_IR	(1ul << 2)

/* sie / sip bits, by interrupt number */
#define IRQ_S_SOFT	1
#define IRQ_S_TIMER	5
#define IRQ_S_EXT	9
#define SIE_SSIE	(1ul << IRQ_S_SOFT)
#define SIE_STIE	(1ul << IRQ_S_TIMER)
#define SIE_SEIE	(1ul << IRQ_S_EXT)

/* scause */
#define SCAUSE_INTERRUPT	(1ul << 63)
#define EXC_INST_MISALIGNED	0
#define EXC_INST_ACCESS		1
#define EXC_ILLEGAL_INST	2
#define EXC_BREAKPOINT		3
#define EXC_LOAD_MISALIGNED	4
#define EXC_LOAD_ACCESS		5
#define EXC_STORE_MISALIGNED	6
#define EXC_STORE_ACCESS	7
#define EXC_ECALL_U		8
#define EXC_ECALL_S		9
#define EXC_INST_PAGE_FAULT	12
#define EXC_LOAD_PAGE_FAULT	13
#define EXC_STORE_PAGE_FAULT	15
#define EXC_COUNT		16

/* satp: MODE[63:60] ASID[59:44] PPN[43:0] */
#define SATP_MODE_SV39	(8ul << 60)
#define SATP_ASID_SHIFT	44
#define SATP_ASID_MASK	0xfffful
#define SATP_PPN_MASK	((1ul << 44) - 1)
#define SATP_MAKE(root_pa, asid) \
	(SATP_MODE_SV39 | ((uint64_t)(asid) << SATP_ASID_SHIFT) | ((root_pa) >> 12))

static inline uint64_t rdinstret(void)
{
	uint64_t v;
	__asm__ volatile("rdinstret %0" : "=r"(v));
	return v;
}

static inline uint64_t rdtime(void)
{
	uint64_t v;
	__asm__ volatile("rdtime %0" : "=r"(v));
	return v;
}

static inline void sfence_vma_all(void)
{
	__asm__ volatile("sfence.vma" ::: "memory");
}

static inline void wfi(void)
{
	__asm__ volatile("wfi");
}

#endif
