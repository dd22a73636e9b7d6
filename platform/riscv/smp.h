/*
 * smp.h: bringing up the other harts (SBI HSM) and talking to them (IPIs).
 */
#ifndef PLATFORM_RISCV_SMP_H
#define PLATFORM_RISCV_SMP_H

#include <stdbool.h>
#include <stdint.h>

#include "platform/dtb/fdt.h"

/* IPI reasons, one bit each in hart->ipi_pending. */
#define IPI_RESCHED	(1ul << 0)	/* run the scheduler at the next chance */
#define IPI_CALL	(1ul << 1)	/* run the function in the hart's call slot */
#define IPI_STOP	(1ul << 2)	/* park forever with interrupts off (panic) */
#define IPI_PING	(1ul << 3)	/* wake, count it, look at the tick (timer_check) */
#define IPI_TLB		(1ul << 4)	/* serve TLB shootdown requests (tlb.c) */

/*
 * smp_init_boot: describe every "okay" hart of the DTB; the calling hart is
 * index 0.  Panics if the calling hart is not one of them.
 */
void smp_init_boot(const struct platform_info *info, uint32_t boot_hartid);
/* smp_start_secondaries: start the others through HSM; returns how many came online. */
int smp_start_secondaries(void);
/* smp_ipi_send: post `reasons` to hart index `target` and interrupt it. */
void smp_ipi_send(int target, uint64_t reasons);
/* smp_ipi_send_mask: the same to every hart index in `targets` (one SBI call). */
void smp_ipi_send_mask(uint64_t targets, uint64_t reasons);
/* smp_online_mask: hart indices that reached the scheduler. */
uint64_t smp_online_mask(void);
/* smp_spin_poll: work a hart must do even while spinning with interrupts off. */
void smp_spin_poll(void);
/*
 * smp_call: run fn(arg) on hart `target` in interrupt context and wait for
 * it to finish (the target's IPI back ends the caller's wfi).
 * => interrupts on, no spinlock held
 */
void smp_call(int target, void (*fn)(void *), void *arg);
/* smp_stop_others: park every other hart (panic, exit). */
void smp_stop_others(void);
/* smp_online_count: harts that reached the scheduler. */
int smp_online_count(void);

#endif
