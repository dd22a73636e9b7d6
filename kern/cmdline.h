/*
 * cmdline.h: the kernel command line (/chosen/bootargs, QEMU -append):
 * space-separated words, each "key=value" or a bare flag.
 */
#ifndef KERN_CMDLINE_H
#define KERN_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>

#define CMDLINE_MAX	4096	/* bytes of command line kept, its NUL included */

/*
 * cmdline_init: the command line is bootargs, n bytes long as the boot
 * loader gave it; one longer than CMDLINE_MAX - 1 bytes (or cut before it
 * got here) is refused whole, with a console message: none of it is used.
 */
void cmdline_init(const char *bootargs, size_t n);
const char *cmdline_raw(void);
/* cmdline_get: copy the value of key into buf (NUL-terminated); false if absent. */
bool cmdline_get(const char *key, char *buf, size_t len);
/*
 * cmdline_get_u64: numeric value (decimal, 0x hex, K/M/G/T suffix); def if
 * absent, and def with a console report if not a number, negative or too
 * large.
 */
unsigned long cmdline_get_u64(const char *key, unsigned long def);
/* cmdline_flag: true if the bare word (or key=...) is present. */
bool cmdline_flag(const char *word);

#endif
