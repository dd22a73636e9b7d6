/*
 * clobber.S: register-level helpers for the trap tests, showing that a
 * page fault resolved on trap.S's short path gives every register back.
 * ktest_clobber_caller_saved() writes garbage into every register a C
 * call may change (t0-t6, a0-a7), for a handler to call.
 */
	.section .text
	.balign 4
	.globl ktest_clobber_caller_saved
ktest_clobber_caller_saved:
	li	t0, -5
	li	t1, -6
	li	t2, -7
	li	a0, -10
	li	a1, -11
	li	a2, -12
	li	a3, -13
	li	a4, -14
	li	a5, -15
	li	a6, -16
	li	a7, -17
	li	t3, -28
	li	t4, -29
	li	t5, -30
	li	t6, -31
	ret

/*
 * ktest_store_keeping_callee_saved(addr): set gp and s0-s11 to known
 * values, store to addr (a page fault the VM resolves, on trap.S's short
 * path), and return 0 if all came back, else the number n of the first
 * register xn that did not.  Everything is put back before returning.
 */
#define REG_PATTERN(n)	((n) * 0x10101)

	.macro	KEEP_CHECK n
	li	t0, REG_PATTERN(\n)
	li	a0, \n
	bne	x\n, t0, 1f
	.endm

	.globl ktest_store_keeping_callee_saved
ktest_store_keeping_callee_saved:
	addi	sp, sp, -112
	sd	ra, 0(sp)
	sd	gp, 8(sp)
	sd	s0, 16(sp)
	sd	s1, 24(sp)
	sd	s2, 32(sp)
	sd	s3, 40(sp)
	sd	s4, 48(sp)
	sd	s5, 56(sp)
	sd	s6, 64(sp)
	sd	s7, 72(sp)
	sd	s8, 80(sp)
	sd	s9, 88(sp)
	sd	s10, 96(sp)
	sd	s11, 104(sp)
	li	x3, REG_PATTERN(3)
	li	x8, REG_PATTERN(8)
	li	x9, REG_PATTERN(9)
	li	x18, REG_PATTERN(18)
	li	x19, REG_PATTERN(19)
	li	x20, REG_PATTERN(20)
	li	x21, REG_PATTERN(21)
	li	x22, REG_PATTERN(22)
	li	x23, REG_PATTERN(23)
	li	x24, REG_PATTERN(24)
	li	x25, REG_PATTERN(25)
	li	x26, REG_PATTERN(26)
	li	x27, REG_PATTERN(27)
	sd	a0, 0(a0)
	KEEP_CHECK 3
	KEEP_CHECK 8
	KEEP_CHECK 9
	KEEP_CHECK 18
	KEEP_CHECK 19
	KEEP_CHECK 20
	KEEP_CHECK 21
	KEEP_CHECK 22
	KEEP_CHECK 23
	KEEP_CHECK 24
	KEEP_CHECK 25
	KEEP_CHECK 26
	KEEP_CHECK 27
	li	a0, 0
1:	ld	ra, 0(sp)
	ld	gp, 8(sp)
	ld	s0, 16(sp)
	ld	s1, 24(sp)
	ld	s2, 32(sp)
	ld	s3, 40(sp)
	ld	s4, 48(sp)
	ld	s5, 56(sp)
	ld	s6, 64(sp)
	ld	s7, 72(sp)
	ld	s8, 80(sp)
	ld	s9, 88(sp)
	ld	s10, 96(sp)
	ld	s11, 104(sp)
	addi	sp, sp, 112
	ret
