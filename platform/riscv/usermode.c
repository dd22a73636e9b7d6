/*
 * usermode.c: see usermode.h.
 */
#include "kern/kernel.h"
#include "kern/thread.h"
#include "platform/riscv/hart.h"
#include "platform/riscv/kjmp.h"
#include "platform/riscv/riscv.h"
#include "platform/riscv/trap.h"
#include "platform/riscv/usermode.h"

struct user_run_state {
	kjmp_buf resume;	/* back into user_run */
	uint64_t value;
	int trap_depth;		/* the thread's depth when the run began */
};

/* usermode.S: resume the frame (on this thread's kernel stack) in U-mode; never returns. */
void user_enter(struct trap_frame *tf) __attribute__((noreturn));

/*
 * user_run_enter: user_run's way in: park the kernel stack, put the frame
 * where a trap from U-mode would have saved it, and resume it.
 */
static __attribute__((noinline, noreturn)) void
user_run_enter(struct user_run_state *run, const struct trap_frame *start)
{
	struct thread *t = thread_current();
	struct trap_frame *tf;
	uint64_t sp;

	__asm__ volatile("mv %0, sp" : "=r"(sp));
	intr_disable();		/* from here to sret: no switch while kstack_top is set */
	t->user_state = run;
	/* Traps from U-mode go below this frame, here and after any migration. */
	t->utrap_sp = ROUND_DOWN(sp - 64, 16);
	hart_self()->kstack_top = t->utrap_sp;
	tf = (struct trap_frame *)(t->utrap_sp - TRAP_FRAME_SIZE);
	*tf = *start;
	tf->sstatus = (csr_read(sstatus) & ~(SSTATUS_SPP | SSTATUS_SUM)) | SSTATUS_SPIE;
	user_enter(tf);
}

/* user_run_left: user_run's way out, back from user_run_exit (on whichever hart). */
static __attribute__((noinline)) void user_run_left(void)
{
	struct thread *t = thread_current();

	t->utrap_sp = 0;
	t->user_state = NULL;
	intr_push_off();
	hart_self()->kstack_top = t->stack_top;
	intr_pop_off();
}

uint64_t user_run_frame(const struct trap_frame *start)
{
	struct user_run_state run = { .trap_depth = thread_current()->trap_depth };

	if (kjmp_set(run.resume) == 0)
		user_run_enter(&run, start);
	user_run_left();
	return run.value;
}

uint64_t user_run(uint64_t entry, uint64_t usp, uint64_t arg)
{
	struct trap_frame start = { .sepc = entry, .sp = usp, .a0 = arg };

	return user_run_frame(&start);
}

void user_run_exit(uint64_t value)
{
	struct thread *t = thread_current();
	struct user_run_state *run = t->user_state;

	KASSERT(run, "user_run_exit: %s is not in user_run", t->name);
	run->value = value;
	t->trap_depth = run->trap_depth;	/* the trap we leave never returns */
	kjmp_jump(run->resume, 1);
}
