/*
 * trap.h: the register frame every trap saves, and the dispatch hooks that
 * other layers own (vm/ takes the page faults, the task layer the U-mode
 * ecall, the test framework the faults a test expects).
 */
#ifndef PLATFORM_RISCV_TRAP_H
#define PLATFORM_RISCV_TRAP_H

/* Offsets are used by trap.S: keep TRAP_FRAME_* in step with the struct. */
#define TF_X(n)			(((n) - 1) * 8)	/* x1 .. x31 */
#define TF_SEPC			248
#define TF_SSTATUS		256
#define TF_SCAUSE		264
#define TF_STVAL		272
#define TF_FPREC		280	/* {saved s0, sepc}: lets backtraces cross traps */
#define TRAP_FRAME_SIZE		304

#ifndef __ASSEMBLER__
#include <stdbool.h>
#include <stdint.h>

#include "platform/riscv/riscv.h"

struct trap_frame {
	uint64_t ra, sp, gp, tp;			/* x1 .. x4 */
	uint64_t t0, t1, t2;				/* x5 .. x7 */
	uint64_t s0, s1;				/* x8, x9 */
	uint64_t a0, a1, a2, a3, a4, a5, a6, a7;	/* x10 .. x17 */
	uint64_t s2, s3, s4, s5, s6, s7, s8, s9, s10, s11; /* x18 .. x27 */
	uint64_t t3, t4, t5, t6;			/* x28 .. x31 */
	uint64_t sepc, sstatus, scause, stval;
	uint64_t fprec[2];
	uint64_t pad;
};
_Static_assert(sizeof(struct trap_frame) == TRAP_FRAME_SIZE, "trap frame layout");
_Static_assert(__builtin_offsetof(struct trap_frame, sepc) == TF_SEPC, "trap frame sepc");

/*
 * An exception handler returns true if it resolved the trap (the frame may
 * have been changed to resume elsewhere), false to fall through to the
 * expected-fault hook and then to the unexpected-trap report.  A page
 * fault's handler (causes 12..15) runs on trap.S's short path: of the
 * frame it may read and change only ra, sp, tp, t0-t6, a0-a7 and the CSRs
 * (the callee-saved registers are still in the hart, not in the frame).
 * Every handler runs with interrupts as the trapped code had them.
 */
typedef bool (*trap_handler_t)(struct trap_frame *tf);

void trap_init_hart(void);
/* trap_set_handler: install the handler for synchronous exception `cause` (< 16); returns the old one. */
trap_handler_t trap_set_handler(unsigned cause, trap_handler_t fn);
/* trap_set_fault_hook: called for any exception no handler resolved. */
void trap_set_fault_hook(trap_handler_t fn);
/*
 * trap_set_user_hooks: the task layer's hooks.  exception: an exception
 * from U-mode that neither its handler nor the fault hook resolved (before
 * the report and panic; it ends the task rather than return).  leave:
 * called by trap_handler last, interrupts off, before every return to
 * U-mode it makes (a task told to end ends there).
 */
void trap_set_user_hooks(trap_handler_t exception, void (*leave)(struct trap_frame *tf));

/* Called by trap.S (see there and trap.c). */
void trap_handler(struct trap_frame *tf, bool handler_tried);
int trap_page_fault(struct trap_frame *tf);

/* trap_from_user: the trap came from U-mode (sstatus.SPP clear). */
static inline bool trap_from_user(const struct trap_frame *tf)
{
	return (tf->sstatus & SSTATUS_SPP) == 0;
}
const char *trap_cause_name(uint64_t scause);
/* trap_report: decoded report: cause, sepc, stval, registers, backtrace. */
void trap_report(const struct trap_frame *tf);
/* trap_report_count: reports printed so far (tests check that one was). */
uint64_t trap_report_count(void);
/* trap_instr_len: length of the instruction at sepc (2 or 4) for stepping over it. */
unsigned trap_instr_len(uint64_t sepc);

/* Set by the interrupt layers. */
void timer_interrupt(struct trap_frame *tf);
void ipi_interrupt(void);
void plic_interrupt(void);
#endif

#endif
