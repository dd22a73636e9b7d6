/*
 * trap.S: the single trap vector.  sscratch is 0 while the hart is in
 * S-mode and holds its struct hart while in U-mode, so one csrrw tells the
 * two cases apart (and gives a U-mode trap the hart's kernel stack).
 *
 * Every trap first saves the registers a C call may change (the caller-
 * saved ones) and the trap CSRs.  A page fault then goes to
 * trap_page_fault, which leaves the callee-saved registers where they
 * are: C code keeps them, and a thread switch saves them itself.
 * Everything else, and a page fault trap_page_fault did not resolve,
 * saves the rest of the frame and goes to trap_handler, which sees (and
 * may change) every register.
 *
 * A trap from S-mode whose frame would not fit above the running thread's
 * stack bottom (hart->kstack_bottom) is a stack overflow: the thread ran
 * into the guard page below its stack, or is about to.  It is reported
 * from the hart's emergency stack (trap_stack_overflow), which ends the
 * machine: nothing can be saved on the overflowed stack.
 */
#include "platform/riscv/hart.h"
#include "platform/riscv/trap.h"

#define SAVE(r, n)	sd r, TF_X(n)(sp)
#define LOAD(r, n)	ld r, TF_X(n)(sp)

/* The caller-saved registers but t0 (x5), sp and tp, which each entry saves its own way. */
	.macro	SAVE_CALLER_SAVED
	SAVE(x1, 1)
	SAVE(x6, 6)
	SAVE(x7, 7)
	SAVE(x10, 10)
	SAVE(x11, 11)
	SAVE(x12, 12)
	SAVE(x13, 13)
	SAVE(x14, 14)
	SAVE(x15, 15)
	SAVE(x16, 16)
	SAVE(x17, 17)
	SAVE(x28, 28)
	SAVE(x29, 29)
	SAVE(x30, 30)
	SAVE(x31, 31)
	.endm

/* gp and the callee-saved registers but s0 (x8), which each path saves its own way. */
	.macro	SAVE_CALLEE_SAVED
	SAVE(x3, 3)
	SAVE(x9, 9)
	SAVE(x18, 18)
	SAVE(x19, 19)
	SAVE(x20, 20)
	SAVE(x21, 21)
	SAVE(x22, 22)
	SAVE(x23, 23)
	SAVE(x24, 24)
	SAVE(x25, 25)
	SAVE(x26, 26)
	SAVE(x27, 27)
	.endm

/* sepc, sstatus, scause and stval; t0 = sepc, t2 = scause after it. */
	.macro	SAVE_TRAP_CSRS
	csrr	t0, sepc
	csrr	t1, sstatus
	csrr	t2, scause
	csrr	t3, stval
	sd	t0, TF_SEPC(sp)
	sd	t1, TF_SSTATUS(sp)
	sd	t2, TF_SCAUSE(sp)
	sd	t3, TF_STVAL(sp)
	.endm

	.section .text
	.balign 4
	.globl trap_vector
trap_vector:
	csrrw	tp, sscratch, tp
	bnez	tp, .Lfrom_user

	/* From S-mode: sscratch now holds the kernel tp (back to 0 with it); stay on this stack. */
	csrrw	tp, sscratch, zero
	addi	sp, sp, -TRAP_FRAME_SIZE
	csrw	sscratch, t0		/* t0 lent, until back to 0 below: nothing here traps */
	ld	t0, HART_KSTACK_BOTTOM(tp)
	bltu	sp, t0, .Lstack_overflow
	csrrw	t0, sscratch, zero
	SAVE(t0, 5)
	addi	t0, sp, TRAP_FRAME_SIZE
	SAVE(t0, 2)
	SAVE(tp, 4)
	j	.Lsave_caller

.Lfrom_user:
	sd	sp, HART_USER_SP(tp)
	ld	sp, HART_KSTACK_TOP(tp)
	addi	sp, sp, -TRAP_FRAME_SIZE
	SAVE(t0, 5)
	ld	t0, HART_USER_SP(tp)
	SAVE(t0, 2)
	csrrw	t0, sscratch, zero	/* U-mode tp; sscratch 0 while in S-mode */
	SAVE(t0, 4)

.Lsave_caller:
	SAVE_CALLER_SAVED
	SAVE_TRAP_CSRS
	/* A frame record {s0, sepc} so that backtraces walk through the trap. */
	sd	s0, TF_FPREC(sp)
	sd	t0, TF_FPREC+8(sp)
	addi	s0, sp, TF_FPREC+16

	/* Exception causes 12..15 (the page faults) take the short path. */
	addi	t1, t2, -12	/* EXC_INST_PAGE_FAULT */
	sltiu	t1, t1, 4
	li	a1, 0
	beqz	t1, .Lsave_callee
	mv	a0, sp
	call	trap_page_fault
	bnez	a0, .Lshort_failed
	ld	s0, TF_FPREC(sp)	/* the callee-saved registers are as they were */
	j	.Lrestore_caller

.Lshort_failed:
	li	a1, 1		/* trap_handler: the handler has had its go */
.Lsave_callee:
	ld	t0, TF_FPREC(sp)	/* the trapped s0 */
	SAVE(t0, 8)
	SAVE_CALLEE_SAVED
	mv	a0, sp
	call	trap_handler

	.globl trap_return
trap_return:			/* sp = frame to resume */
	LOAD(x3, 3)
	LOAD(x8, 8)
	LOAD(x9, 9)
	LOAD(x18, 18)
	LOAD(x19, 19)
	LOAD(x20, 20)
	LOAD(x21, 21)
	LOAD(x22, 22)
	LOAD(x23, 23)
	LOAD(x24, 24)
	LOAD(x25, 25)
	LOAD(x26, 26)
	LOAD(x27, 27)
.Lrestore_caller:
	ld	t0, TF_SEPC(sp)
	ld	t1, TF_SSTATUS(sp)
	csrw	sepc, t0
	csrw	sstatus, t1
	andi	t1, t1, 0x100	/* SPP: back to S-mode? */
	bnez	t1, 1f
	csrw	sscratch, tp	/* to U-mode: park the hart pointer, load the user's tp */
	LOAD(x4, 4)
1:
	/*
	 * Back to S-mode, tp stays: it is this hart's, and the thread may have
	 * been preempted in the handler and resumed on another hart since it
	 * saved the frame.
	 */
	LOAD(x1, 1)
	LOAD(x5, 5)
	LOAD(x6, 6)
	LOAD(x7, 7)
	LOAD(x10, 10)
	LOAD(x11, 11)
	LOAD(x12, 12)
	LOAD(x13, 13)
	LOAD(x14, 14)
	LOAD(x15, 15)
	LOAD(x16, 16)
	LOAD(x17, 17)
	LOAD(x28, 28)
	LOAD(x29, 29)
	LOAD(x30, 30)
	LOAD(x31, 31)
	LOAD(x2, 2)
	sret

.Lstack_overflow:		/* sp: the frame that does not fit; t0 in sscratch */
	addi	t0, sp, TRAP_FRAME_SIZE
	ld	sp, HART_ESTACK_TOP(tp)
	addi	sp, sp, -TRAP_FRAME_SIZE
	SAVE(t0, 2)
	csrrw	t0, sscratch, zero
	SAVE(t0, 5)
	SAVE(x4, 4)
	SAVE(x8, 8)
	SAVE_CALLER_SAVED
	SAVE_CALLEE_SAVED
	SAVE_TRAP_CSRS
	mv	a0, sp
	call	trap_stack_overflow	/* does not return */
