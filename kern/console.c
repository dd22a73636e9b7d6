/*
 * console.c: the kernel console.  Output goes to the ns16550a UART the DTB
 * names once it is mapped, and through the SBI legacy putchar before that.
 * kprintf formats into a stack buffer and writes it under the console lock,
 * so lines from different harts never interleave.
 */
#include <stdio.h>

#include "drivers/uart/ns16550.h"
#include "kern/kernel.h"
#include "kern/spinlock.h"
#include "platform/riscv/sbi.h"

#define KPRINTF_BUF 512

static struct spinlock console_lock = SPINLOCK_INIT("console");
static struct ns16550 *console_uart;
static volatile bool console_panicking;

/* console_attach_uart: send output to `uart` from now on. */
void console_attach_uart(struct ns16550 *uart)
{
	console_uart = uart;
}

static void console_putc_raw(char c)
{
	if (console_uart)
		ns16550_putc(console_uart, c);
	else
		sbi_console_putchar(c);
}

static void console_write_raw(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			console_putc_raw('\r');
		console_putc_raw(s[i]);
	}
}

void console_write(const char *s, size_t n)
{
	if (console_panicking) {
		console_write_raw(s, n);
		return;
	}
	spin_lock(&console_lock);
	console_write_raw(s, n);
	spin_unlock(&console_lock);
}

/*
 * console_panic_mode: from now on write without the lock; the hart that
 * holds it may never release it.
 */
void console_panic_mode(void)
{
	console_panicking = true;
}

int kvprintf(const char *fmt, va_list ap)
{
	char buf[KPRINTF_BUF];
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);

	if (n < 0)
		return n;
	console_write(buf, MIN((size_t)n, sizeof(buf) - 1));
	return n;
}

int kprintf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = kvprintf(fmt, ap);
	va_end(ap);
	return n;
}

/* picolibc's stdout, so that plain printf() also reaches the console. */
static int console_stdio_putc(char c, FILE *f)
{
	(void)f;
	console_write(&c, 1);
	return (unsigned char)c;
}

static FILE console_stdio = FDEV_SETUP_STREAM(console_stdio_putc, NULL, NULL, _FDEV_SETUP_WRITE);
FILE *const stdout = &console_stdio;
FILE *const stderr = &console_stdio;
