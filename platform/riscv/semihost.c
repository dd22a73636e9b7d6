/*
 * semihost.c: semihosting exit and presence probe.
 */
#include "platform/riscv/semihost.h"

/* ARM semihosting ADP_Stopped_ApplicationExit, as the RISC-V spec reuses it. */
#define ADP_STOPPED_APPLICATION_EXIT 0x20026

long semihost_call(long op, void *arg);
extern char semihost_ebreak[];

static enum { SEMIHOST_UNKNOWN, SEMIHOST_ABSENT, SEMIHOST_PRESENT } semihost_state;

uintptr_t semihost_ebreak_pc(void)
{
	return (uintptr_t)semihost_ebreak;
}

/*
 * semihost_probe: ask for the host errno.  Without semihosting the ebreak
 * traps; the breakpoint handler sees semihost_ebreak_pc(), sets a0 = -2
 * and steps over it, which no host ever returns for SYS_ERRNO.
 */
bool semihost_probe(void)
{
	long r = semihost_call(SEMIHOST_SYS_ERRNO, 0);

	semihost_state = (r == -2) ? SEMIHOST_ABSENT : SEMIHOST_PRESENT;
	return semihost_state == SEMIHOST_PRESENT;
}

bool semihost_available(void)
{
	return semihost_state == SEMIHOST_PRESENT;
}

bool semihost_exit(int code)
{
	uint64_t block[2] = { ADP_STOPPED_APPLICATION_EXIT, (uint64_t)code };

	if (!semihost_available())
		return false;
	semihost_call(SEMIHOST_SYS_EXIT, block);
	return false;
}

uint64_t semihost_elapsed_ns(void)
{
	uint64_t ticks = 0;
	long freq;

	if (!semihost_available())
		return 0;
	freq = semihost_call(SEMIHOST_SYS_TICKFREQ, 0);
	if (freq <= 0 || semihost_call(SEMIHOST_SYS_ELAPSED, &ticks) != 0)
		return 0;
	return freq == 1000000000 ? ticks : (uint64_t)((__uint128_t)ticks * 1000000000u / (uint64_t)freq);
}
