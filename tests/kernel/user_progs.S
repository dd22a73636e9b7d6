/*
 * user_progs.S: small U-mode programs for the trap tests and benchmarks.
 * Position independent: the block is copied into one user page and run
 * there.  ecall numbers (a7): 1 exit(a0), 2 count and return, 7 echo.
 */
	.section .rodata.user, "a"
	.balign 4096
	.globl user_progs_start, user_progs_end
	.globl user_prog_echo, user_prog_load, user_prog_loop, user_prog_wait
	.globl user_prog_regs
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

user_prog_wait:			/* store 1 at a0, spin until it reads 2, then exit(sp); exit(0) after 2^32 spins */
	li	a1, 0x100000000
	li	t0, 1
	sd	t0, 0(a0)
	li	t1, 2
12:	ld	t0, 0(a0)
	beq	t0, t1, 13f
	addi	a1, a1, -1
	bnez	a1, 12b
	li	a0, 0
	li	a7, 1
	ecall
13:	mv	a0, sp
	li	a7, 1
	ecall
14:	j	14b

/* Register n holds REG_PATTERN(n) (all but sp and a0, which holds the address to store to). */
#define REG_PATTERN(n)	((n) * 0x10101)

	.macro	REG_SET n
	li	x\n, REG_PATTERN(\n)
	.endm

	.macro	REG_CHECK n
	li	a0, REG_PATTERN(\n)
	beq	x\n, a0, 11f
	li	a0, \n
	j	8f
11:
	.endm

user_prog_regs:			/* set every register, store to a0 (a fault), exit(0) or exit(n): xn changed */
	REG_SET 1
	REG_SET 3
	REG_SET 4
	REG_SET 5
	REG_SET 6
	REG_SET 7
	REG_SET 8
	REG_SET 9
	REG_SET 11
	REG_SET 12
	REG_SET 13
	REG_SET 14
	REG_SET 15
	REG_SET 16
	REG_SET 17
	REG_SET 18
	REG_SET 19
	REG_SET 20
	REG_SET 21
	REG_SET 22
	REG_SET 23
	REG_SET 24
	REG_SET 25
	REG_SET 26
	REG_SET 27
	REG_SET 28
	REG_SET 29
	REG_SET 30
	REG_SET 31
	sd	a0, 0(a0)
	REG_CHECK 1
	REG_CHECK 3
	REG_CHECK 4
	REG_CHECK 5
	REG_CHECK 6
	REG_CHECK 7
	REG_CHECK 8
	REG_CHECK 9
	REG_CHECK 11
	REG_CHECK 12
	REG_CHECK 13
	REG_CHECK 14
	REG_CHECK 15
	REG_CHECK 16
	REG_CHECK 17
	REG_CHECK 18
	REG_CHECK 19
	REG_CHECK 20
	REG_CHECK 21
	REG_CHECK 22
	REG_CHECK 23
	REG_CHECK 24
	REG_CHECK 25
	REG_CHECK 26
	REG_CHECK 27
	REG_CHECK 28
	REG_CHECK 29
	REG_CHECK 30
	REG_CHECK 31
	li	a0, 0
8:	li	a7, 1
	ecall
9:	j	9b

user_progs_end:
