/*
 * cmdline.h: the kernel command line (/chosen/bootargs, QEMU -append):
 * space-separated words, each "key=value" or a bare flag.
 */
#ifndef KERN_CMDLINE_H
#define KERN_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>

void cmdline_init(const char *bootargs);
const char *cmdline_raw(void);
/* cmdline_get: copy the value of key into buf (NUL-terminated); false if absent. */
bool cmdline_get(const char *key, char *buf, size_t len);
/* cmdline_get_u64: numeric value (decimal, 0x hex, K/M/G suffix); def if absent or malformed. */
unsigned long cmdline_get_u64(const char *key, unsigned long def);
/* cmdline_flag: true if the bare word (or key=...) is present. */
bool cmdline_flag(const char *word);

#endif
