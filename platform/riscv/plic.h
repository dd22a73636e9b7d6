/*
 * plic.h: the platform-level interrupt controller (RISC-V PLIC
 * specification v1.0.0).  A source goes to the S-mode contexts of the
 * harts it is registered for; with several, the PLIC gives each interrupt
 * to the first hart that claims it, and not again before its handler is
 * done, so a handler never runs twice at once.
 */
#ifndef PLATFORM_RISCV_PLIC_H
#define PLATFORM_RISCV_PLIC_H

#include <stdbool.h>
#include <stdint.h>

#include "platform/dtb/fdt.h"

typedef void (*plic_handler_t)(uint32_t irq, void *arg);

void plic_init(const struct platform_info *info);
/* plic_init_hart: threshold 0 and S external interrupts on for the calling hart. */
void plic_init_hart(void);
#define PLIC_EVERY_HART	(-1)	/* plic_register: any hart with an S-mode context */

/*
 * plic_register: handle source irq with fn(irq, arg) on hart index `hart`,
 * or on every hart (PLIC_EVERY_HART).  -1 if irq or hart is invalid.
 */
int plic_register(uint32_t irq, plic_handler_t fn, void *arg, int hart);
/* plic_retarget: send registered source irq to `hart` (or every hart) from now on; -1 if invalid. */
int plic_retarget(uint32_t irq, int hart);
void plic_unregister(uint32_t irq);
/* plic_count: interrupts of source irq handled so far. */
uint64_t plic_count(uint32_t irq);
/* plic_pending: source irq is raised and waits for its hart, or the hart is handling it now. */
bool plic_pending(uint32_t irq);

#endif
