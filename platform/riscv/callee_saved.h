/*
 * callee_saved.h: save and load the psABI callee-saved registers (ra, sp,
 * s0-s11) at a base register, in the layout of struct thread_context and
 * kjmp_buf.  Assembly only.
 */
#ifndef PLATFORM_RISCV_CALLEE_SAVED_H
#define PLATFORM_RISCV_CALLEE_SAVED_H

.macro CALLEE_SAVE base
	sd	ra, 0(\base)
	sd	sp, 8(\base)
	sd	s0, 16(\base)
	sd	s1, 24(\base)
	sd	s2, 32(\base)
	sd	s3, 40(\base)
	sd	s4, 48(\base)
	sd	s5, 56(\base)
	sd	s6, 64(\base)
	sd	s7, 72(\base)
	sd	s8, 80(\base)
	sd	s9, 88(\base)
	sd	s10, 96(\base)
	sd	s11, 104(\base)
.endm

.macro CALLEE_LOAD base
	ld	ra, 0(\base)
	ld	sp, 8(\base)
	ld	s0, 16(\base)
	ld	s1, 24(\base)
	ld	s2, 32(\base)
	ld	s3, 40(\base)
	ld	s4, 48(\base)
	ld	s5, 56(\base)
	ld	s6, 64(\base)
	ld	s7, 72(\base)
	ld	s8, 80(\base)
	ld	s9, 88(\base)
	ld	s10, 96(\base)
	ld	s11, 104(\base)
.endm

#endif
