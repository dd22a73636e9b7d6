/*
 * sbi.h: calls into OpenSBI (RISC-V SBI specification v1.0).
 * Each returns the SBI error in .error (0 = success) and the value in .value.
 */
#ifndef PLATFORM_RISCV_SBI_H
#define PLATFORM_RISCV_SBI_H

#include <stdint.h>

struct sbiret {
	long error;
	long value;
};

#define SBI_SUCCESS		0
#define SBI_ERR_FAILED		-1
#define SBI_ERR_NOT_SUPPORTED	-2
#define SBI_ERR_INVALID_PARAM	-3
#define SBI_ERR_ALREADY_AVAILABLE -6

/* Extension IDs */
#define SBI_EXT_LEGACY_PUTCHAR	0x01
#define SBI_EXT_BASE		0x10
#define SBI_EXT_TIME		0x54494D45
#define SBI_EXT_IPI		0x735049
#define SBI_EXT_RFENCE		0x52464E43
#define SBI_EXT_HSM		0x48534D
#define SBI_EXT_SRST		0x53525354

/* HSM hart states */
#define SBI_HSM_STARTED		0
#define SBI_HSM_STOPPED		1

/* SRST */
#define SBI_SRST_SHUTDOWN	0
#define SBI_SRST_REASON_NONE	0
#define SBI_SRST_REASON_FAILURE	1

struct sbiret sbi_call(long ext, long fid, long a0, long a1, long a2, long a3, long a4);

long sbi_probe_extension(long ext);		/* nonzero if present */
void sbi_console_putchar(int ch);		/* legacy extension 0x01 */
struct sbiret sbi_set_timer(uint64_t stime);
struct sbiret sbi_send_ipi(unsigned long hart_mask, unsigned long hart_mask_base);
struct sbiret sbi_remote_fence_i(unsigned long hart_mask, unsigned long base);
struct sbiret sbi_remote_sfence_vma(unsigned long hart_mask, unsigned long base,
				    unsigned long start, unsigned long size);
struct sbiret sbi_remote_sfence_vma_asid(unsigned long hart_mask, unsigned long base,
					 unsigned long start, unsigned long size,
					 unsigned long asid);
struct sbiret sbi_hart_start(unsigned long hartid, unsigned long start_pa, unsigned long opaque);
struct sbiret sbi_hart_get_status(unsigned long hartid);
struct sbiret sbi_system_reset(uint32_t type, uint32_t reason);

#endif
