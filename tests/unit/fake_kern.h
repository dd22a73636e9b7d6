/*
 * fake_kern.h: what the host tests can ask of fake_kern.c beyond the
 * kernel's own interfaces.
 */
#ifndef TESTS_UNIT_FAKE_KERN_H
#define TESTS_UNIT_FAKE_KERN_H

#include <stddef.h>

/*
 * fake_kern_capture: from now on kprintf appends to buf (len bytes, kept
 * NUL-terminated; what does not fit is dropped) instead of printing;
 * buf NULL: print again.
 */
void fake_kern_capture(char *buf, size_t len);

#endif
