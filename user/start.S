/*
 * start.S: the user image's header and entry point (task/task_abi.h).
 * The kernel starts a task at _start with a0 = the program's main and
 * a1 = its argument; main's result is the task's exit code.
 */
#include "task/task_abi.h"

	.section .text.start, "ax"
	.globl _start
user_image_header:
	.word	USER_IMAGE_MAGIC
	.word	0
	.dword	__user_programs_start
	.dword	__user_programs_end

_start:
	mv	t0, a0
	mv	a0, a1
	jalr	t0
	li	a7, TASK_TRAP_EXIT
	ecall
1:	j	1b		/* exit does not return */
