/*
 * user_enter(entry, usp, arg, sstatus): leave for U-mode.  sscratch takes
 * the hart pointer (trap.S finds its kernel stack through it); interrupts
 * come back on with sret (SPIE).
 */
	.section .text
	.globl user_enter
user_enter:
	csrw	sepc, a0
	csrw	sstatus, a3
	csrw	sscratch, tp
	mv	sp, a1
	mv	a0, a2
	li	ra, 0
	li	s0, 0
	sret
