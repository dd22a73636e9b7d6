/*
 * ns16550.c: register offsets from the PC16550D data sheet.
 */
#include "drivers/uart/ns16550.h"

#define UART_THR	0	/* transmit holding (write) */
#define UART_IER	1	/* interrupt enable */
#define UART_IIR	2	/* interrupt identification (read) */
#define UART_LSR	5	/* line status */
#define UART_IER_ETBEI	0x02	/* THR empty interrupt */
#define UART_IIR_ID	0x0f
#define UART_LSR_THRE	0x20

void ns16550_init(struct ns16550 *u, volatile uint8_t *regs, uint32_t irq)
{
	u->regs = regs;
	u->irq = irq;
	u->regs[UART_IER] = 0;
}

void ns16550_putc(struct ns16550 *u, char c)
{
	while (!(u->regs[UART_LSR] & UART_LSR_THRE))
		;
	u->regs[UART_THR] = (uint8_t)c;
}

void ns16550_set_tx_irq(struct ns16550 *u, bool on)
{
	uint8_t ier = u->regs[UART_IER];

	u->regs[UART_IER] = on ? (ier | UART_IER_ETBEI) : (ier & ~UART_IER_ETBEI);
}

uint8_t ns16550_irq_identify(struct ns16550 *u)
{
	return u->regs[UART_IIR] & UART_IIR_ID;
}
