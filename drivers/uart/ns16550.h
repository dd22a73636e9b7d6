/*
 * ns16550.h: polled transmit and interrupt control for an ns16550a UART
 * (byte-wide registers, reg-shift 0, as QEMU's virt board has).
 */
#ifndef DRIVERS_UART_NS16550_H
#define DRIVERS_UART_NS16550_H

#include <stdbool.h>
#include <stdint.h>

struct ns16550 {
	volatile uint8_t *regs;		/* mapped register block */
	uint32_t irq;			/* PLIC source */
};

void ns16550_init(struct ns16550 *u, volatile uint8_t *regs, uint32_t irq);
void ns16550_putc(struct ns16550 *u, char c);
/* ns16550_set_tx_irq: enable/disable the "transmitter holding register empty" interrupt. */
void ns16550_set_tx_irq(struct ns16550 *u, bool on);
/* ns16550_irq_identify: IIR interrupt id (0x1 = none pending, 0x2 = THR empty). */
uint8_t ns16550_irq_identify(struct ns16550 *u);

#endif
