/*
 * sbi.c: the SBI calling convention (a7 = extension, a6 = function,
 * a0..a5 = arguments; a0 = error, a1 = value on return).
 */
#include "platform/riscv/sbi.h"

struct sbiret sbi_call(long ext, long fid, long a0, long a1, long a2, long a3, long a4)
{
	register long r0 __asm__("a0") = a0;
	register long r1 __asm__("a1") = a1;
	register long r2 __asm__("a2") = a2;
	register long r3 __asm__("a3") = a3;
	register long r4 __asm__("a4") = a4;
	register long r6 __asm__("a6") = fid;
	register long r7 __asm__("a7") = ext;

	__asm__ volatile("ecall"
			 : "+r"(r0), "+r"(r1)
			 : "r"(r2), "r"(r3), "r"(r4), "r"(r6), "r"(r7)
			 : "memory");
	return (struct sbiret){ .error = r0, .value = r1 };
}

long sbi_probe_extension(long ext)
{
	struct sbiret r = sbi_call(SBI_EXT_BASE, 3, ext, 0, 0, 0, 0);

	return r.error ? 0 : r.value;
}

void sbi_console_putchar(int ch)
{
	sbi_call(SBI_EXT_LEGACY_PUTCHAR, 0, ch, 0, 0, 0, 0);
}

struct sbiret sbi_set_timer(uint64_t stime)
{
	return sbi_call(SBI_EXT_TIME, 0, (long)stime, 0, 0, 0, 0);
}

struct sbiret sbi_send_ipi(unsigned long hart_mask, unsigned long hart_mask_base)
{
	return sbi_call(SBI_EXT_IPI, 0, (long)hart_mask, (long)hart_mask_base, 0, 0, 0);
}

struct sbiret sbi_remote_fence_i(unsigned long hart_mask, unsigned long base)
{
	return sbi_call(SBI_EXT_RFENCE, 0, (long)hart_mask, (long)base, 0, 0, 0);
}

struct sbiret sbi_remote_sfence_vma(unsigned long hart_mask, unsigned long base,
				    unsigned long start, unsigned long size)
{
	return sbi_call(SBI_EXT_RFENCE, 1, (long)hart_mask, (long)base, (long)start,
			(long)size, 0);
}

struct sbiret sbi_remote_sfence_vma_asid(unsigned long hart_mask, unsigned long base,
					 unsigned long start, unsigned long size,
					 unsigned long asid)
{
	return sbi_call(SBI_EXT_RFENCE, 2, (long)hart_mask, (long)base, (long)start,
			(long)size, (long)asid);
}

struct sbiret sbi_hart_start(unsigned long hartid, unsigned long start_pa, unsigned long opaque)
{
	return sbi_call(SBI_EXT_HSM, 0, (long)hartid, (long)start_pa, (long)opaque, 0, 0);
}

struct sbiret sbi_hart_get_status(unsigned long hartid)
{
	return sbi_call(SBI_EXT_HSM, 2, (long)hartid, 0, 0, 0, 0);
}

struct sbiret sbi_system_reset(uint32_t type, uint32_t reason)
{
	return sbi_call(SBI_EXT_SRST, 0, type, reason, 0, 0, 0);
}
