/*
 * semihost.h: RISC-V semihosting (the "slli/ebreak/srai" sequence), used to
 * report an exit status to the host.  QEMU enables it with
 * -semihosting-config enable=on,target=native; without it the sequence is a
 * plain breakpoint, which the trap handler recognises and skips.
 */
#ifndef PLATFORM_RISCV_SEMIHOST_H
#define PLATFORM_RISCV_SEMIHOST_H

#include <stdbool.h>
#include <stdint.h>

#define SEMIHOST_SYS_WRITE0	0x04
#define SEMIHOST_SYS_ERRNO	0x13
#define SEMIHOST_SYS_EXIT	0x18
#define SEMIHOST_SYS_ELAPSED	0x30
#define SEMIHOST_SYS_TICKFREQ	0x31

/* semihost_probe: true if the host answers semihosting calls (traps must be set up). */
bool semihost_probe(void);
bool semihost_available(void);
/* semihost_exit: end the machine with `code` as QEMU's exit status; false if unavailable. */
bool semihost_exit(int code);
/*
 * semihost_elapsed_ns: host wall-clock nanoseconds since the machine
 * started (SYS_ELAPSED / SYS_TICKFREQ): real time even under -icount,
 * for throughput measured against the host.  0 without semihosting.
 */
uint64_t semihost_elapsed_ns(void);
/* semihost_ebreak_pc: address of the ebreak, for the breakpoint handler. */
uintptr_t semihost_ebreak_pc(void);

#endif
