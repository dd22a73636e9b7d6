/*
 * context.h: registers a thread switch preserves (the psABI callee-saved
 * set; the FPU is off in the kernel, so no FP state).
 */
#ifndef PLATFORM_RISCV_CONTEXT_H
#define PLATFORM_RISCV_CONTEXT_H

#include <stdint.h>

struct thread_context {
	uint64_t ra;
	uint64_t sp;
	uint64_t s[12];
};

/* context_switch: save the callee-saved registers in *from, load *to. */
void context_switch(struct thread_context *from, const struct thread_context *to);
/* context_init: first switch to `to` calls start(), on `stack_top`. */
void context_init(struct thread_context *to, uint64_t stack_top, void (*start)(void));

#endif
