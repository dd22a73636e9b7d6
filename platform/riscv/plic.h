/*
 * plic.h: the platform-level interrupt controller (RISC-V PLIC
 * specification v1.0.0).  Sources are routed to the boot hart's S-mode
 * context unless plic_set_target says otherwise.
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
/* plic_register: handle source irq with fn(irq, arg) on hart index `hart`; -1 if irq is invalid. */
int plic_register(uint32_t irq, plic_handler_t fn, void *arg, int hart);
void plic_unregister(uint32_t irq);
/* plic_count: interrupts of source irq handled so far. */
uint64_t plic_count(uint32_t irq);
/* plic_pending: source irq is raised and waits for its hart, or the hart is handling it now. */
bool plic_pending(uint32_t irq);

#endif
