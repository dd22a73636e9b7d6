/* kjmp.S: see kjmp.h.  Layout: ra, sp, s0..s11 (as struct thread_context). */
#include "platform/riscv/callee_saved.h"

	.section .text
	.globl kjmp_set
kjmp_set:
	CALLEE_SAVE a0
	li	a0, 0
	ret

	.globl kjmp_jump
kjmp_jump:
	CALLEE_LOAD a0
	seqz	a0, a1		/* value 0 becomes 1, as longjmp does */
	add	a0, a0, a1
	ret
