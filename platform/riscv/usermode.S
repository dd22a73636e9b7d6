/*
 * user_enter(tf): leave for U-mode with the registers of the frame at tf
 * (on this thread's kernel stack, where a trap from U-mode saves its
 * frame): trap.S's way back to U-mode does the rest.
 */
	.section .text
	.globl user_enter
user_enter:
	mv	sp, a0
	j	trap_return
