/*
 * kjmp.h: setjmp/longjmp for kernel code.  The C library's versions save
 * the FP registers, which trap while the kernel runs with the FPU off.
 */
#ifndef PLATFORM_RISCV_KJMP_H
#define PLATFORM_RISCV_KJMP_H

#include <stdint.h>

typedef struct {
	uint64_t ra, sp, s[12];
} kjmp_buf[1];

/* kjmp_set: 0 when called, the kjmp_jump value when returned to again. */
int kjmp_set(kjmp_buf jb) __attribute__((returns_twice));
void kjmp_jump(kjmp_buf jb, int value) __attribute__((noreturn));

#endif
