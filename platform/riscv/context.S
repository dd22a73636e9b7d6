/*
 * context.S: context_switch(from, to).  Layout: struct thread_context.
 */
#include "platform/riscv/callee_saved.h"

	.section .text
	.globl context_switch
context_switch:
	CALLEE_SAVE a0
	CALLEE_LOAD a1
	ret

/* First switch into a new context lands here: s1 = start function, s0 = 0 ends backtraces. */
	.globl context_trampoline
context_trampoline:
	mv	s0, zero
	jr	s1
