/*
 * boot.h: what the boot sequence found, for the demo banner and the tests
 * that check it against what QEMU was given.
 */
#ifndef KERN_BOOT_H
#define KERN_BOOT_H

#include <stdint.h>

#include "platform/dtb/fdt.h"

struct ns16550;

struct boot_info {
	uint64_t dtb_pa;
	uint32_t dtb_size;
	uint64_t free_pages_at_boot;
	int harts_online;
	struct ns16550 *uart;		/* console UART, NULL if the SBI console */
};

extern struct platform_info platform;
extern struct boot_info boot;

void console_attach_uart(struct ns16550 *uart);
/* demo_main: the banner and tour `make run` shows; returns the exit status. */
int demo_main(void);

#endif
