/*
 * user_progs.S: small U-mode programs for the trap tests and benchmarks.
 * Position independent: the block is copied into one user page and run
 * there.  ecall numbers (a7): 1 exit(a0), 2 count and return, 7 echo.
 */
	.section .rodata.user, "a"
	.balign 4096
	.globl user_progs_start, user_progs_end
	.globl user_prog_echo, user_prog_load, user_prog_loop, user_prog_spin
user_progs_start:

user_prog_echo:			/* ecall 7 with a0 + 1 */
	addi	a0, a0, 1
	li	a7, 7
	ecall
1:	j	1b

user_prog_load:			/* load from the address in a0 */
	ld	a1, 0(a0)
	li	a7, 1
	ecall
2:	j	2b

user_prog_loop:			/* a0 times ecall 2, then exit(0) */
	mv	s1, a0
3:	li	a7, 2
	ecall
	addi	s1, s1, -1
	bnez	s1, 3b
	li	a0, 0
	li	a7, 1
	ecall
4:	j	4b

user_prog_spin:			/* count a0 down to zero, then exit(sp) */
5:	addi	a0, a0, -1
	bnez	a0, 5b
	mv	a0, sp
	li	a7, 1
	ecall
6:	j	6b

user_progs_end:
