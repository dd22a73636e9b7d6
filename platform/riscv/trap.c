/*
 * trap.c: trap dispatch.  Interrupts go to the timer, IPI and PLIC layers;
 * synchronous exceptions go to the handler installed for their cause, then
 * to the fault hook (the test framework's expected faults), and otherwise
 * are reported decoded and end in panic.
 */
#include <stdio.h>

#include "kern/kernel.h"
#include "kern/ksyms.h"
#include "kern/thread.h"
#include "platform/riscv/hart.h"
#include "platform/riscv/riscv.h"
#include "platform/riscv/semihost.h"
#include "platform/riscv/trap.h"
#include "platform/riscv/vm_machdep.h"

#define TRAP_DEPTH_MAX 4

extern char trap_vector[];

static trap_handler_t trap_handlers[EXC_COUNT];
static trap_handler_t trap_fault_hook;
static trap_handler_t trap_user_exception;	/* the task layer's */
static void (*trap_user_leave)(struct trap_frame *tf);
static uint64_t trap_reports;

static const char *const trap_exception_names[EXC_COUNT] = {
	[EXC_INST_MISALIGNED] = "instruction address misaligned",
	[EXC_INST_ACCESS] = "instruction access fault",
	[EXC_ILLEGAL_INST] = "illegal instruction",
	[EXC_BREAKPOINT] = "breakpoint",
	[EXC_LOAD_MISALIGNED] = "load address misaligned",
	[EXC_LOAD_ACCESS] = "load access fault",
	[EXC_STORE_MISALIGNED] = "store/AMO address misaligned",
	[EXC_STORE_ACCESS] = "store/AMO access fault",
	[EXC_ECALL_U] = "environment call from U-mode",
	[EXC_ECALL_S] = "environment call from S-mode",
	[EXC_INST_PAGE_FAULT] = "instruction page fault",
	[EXC_LOAD_PAGE_FAULT] = "load page fault",
	[EXC_STORE_PAGE_FAULT] = "store/AMO page fault",
};

const char *trap_cause_name(uint64_t scause)
{
	uint64_t code = scause & ~SCAUSE_INTERRUPT;

	if (scause & SCAUSE_INTERRUPT) {
		switch (code) {
		case IRQ_S_SOFT: return "supervisor software interrupt";
		case IRQ_S_TIMER: return "supervisor timer interrupt";
		case IRQ_S_EXT: return "supervisor external interrupt";
		default: return "unknown interrupt";
		}
	}
	if (code < EXC_COUNT && trap_exception_names[code])
		return trap_exception_names[code];
	return "reserved exception";
}

#define TRAP_ESTACK_SIZE	8192	/* enough for a report and a panic */

static uint8_t trap_estacks[HART_MAX][TRAP_ESTACK_SIZE] __attribute__((aligned(16)));

/* trap_init_hart: point this hart's stvec at the vector; FPU off in the kernel. */
void trap_init_hart(void)
{
	struct hart *h = hart_self();

	h->estack_top = (uint64_t)&trap_estacks[h->index][TRAP_ESTACK_SIZE];
	csr_write(stvec, (uint64_t)trap_vector);
	csr_write(sscratch, 0);
	/* U-mode may read the cycle, time and instret counters (the benchmarks count from there). */
	csr_write(scounteren, SCOUNTEREN_CY | SCOUNTEREN_TM | SCOUNTEREN_IR);
	csr_clear(sstatus, SSTATUS_FS_MASK | SSTATUS_SUM);
}

trap_handler_t trap_set_handler(unsigned cause, trap_handler_t fn)
{
	trap_handler_t old;

	KASSERT(cause < EXC_COUNT);
	old = trap_handlers[cause];
	trap_handlers[cause] = fn;
	return old;
}

void trap_set_fault_hook(trap_handler_t fn)
{
	trap_fault_hook = fn;
}

void trap_set_user_hooks(trap_handler_t exception, void (*leave)(struct trap_frame *tf))
{
	trap_user_exception = exception;
	trap_user_leave = leave;
}

unsigned trap_instr_len(uint64_t sepc)
{
	/* Low two bits 11 mean a 32-bit instruction (unprivileged spec, 1.5). */
	return (*(const uint16_t *)sepc & 3) == 3 ? 4 : 2;
}

static const char *const trap_reg_names[31] = {
	"ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1",
	"a2", "a3", "a4", "a5", "a6", "a7", "s2", "s3", "s4", "s5", "s6",
	"s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6",
};

void trap_report(const struct trap_frame *tf)
{
	const uint64_t *x = &tf->ra;
	struct hart *h = hart_self();

	__atomic_fetch_add(&trap_reports, 1, __ATOMIC_RELAXED);
	kprintf("TRAP: %s (scause 0x%lx) in %s mode on hart %u, thread %s\n",
		trap_cause_name(tf->scause), tf->scause, trap_from_user(tf) ? "U" : "S",
		h ? h->hartid : 0, thread_current_name());
	kprintf("  sepc  0x%016lx  %s\n", tf->sepc, ksyms_describe(tf->sepc));
	kprintf("  stval 0x%016lx  sstatus 0x%016lx\n", tf->stval, tf->sstatus);
	for (int i = 0; i < 31; i += 3) {
		char line[128];
		int n = 0;

		for (int j = i; j < i + 3 && j < 31; j++)
			n += snprintf(line + n, sizeof(line) - n, "  %-3s 0x%016lx",
				      trap_reg_names[j], x[j]);
		kprintf("%s\n", line);
	}
	if (!trap_from_user(tf))
		ksyms_backtrace(tf->sepc, tf->ra, tf->s0, tf->sp);
}

/*
 * trap_stack_overflow: trap.S found a trap frame that does not fit on the
 * running thread's stack (it has run into its guard page); tf is on the
 * hart's emergency stack.  Reports and panics.
 */
void trap_stack_overflow(struct trap_frame *tf) __attribute__((noreturn));

void trap_stack_overflow(struct trap_frame *tf)
{
	uint64_t bottom = hart_self()->kstack_bottom;

	trap_report(tf);
	panic("kernel stack overflow: thread %s, sp 0x%lx below its stack's bottom 0x%lx "
	      "(guard page 0x%lx) at %s", thread_current_name(), tf->sp, bottom,
	      bottom - PAGE_SIZE, ksyms_describe(tf->sepc));
}

uint64_t trap_report_count(void)
{
	return __atomic_load_n(&trap_reports, __ATOMIC_RELAXED);
}

/* The semihosting probe's ebreak when the host does not answer: skip it. */
static bool trap_semihost_absent(struct trap_frame *tf)
{
	if (trap_from_user(tf) || tf->sepc != semihost_ebreak_pc())
		return false;
	tf->a0 = (uint64_t)-2;
	tf->sepc += 4;
	return true;
}

/* trap_exception: handler_tried: trap_page_fault ran the cause's handler already, to no avail. */
static void trap_exception(struct trap_frame *tf, bool handler_tried)
{
	uint64_t cause = tf->scause;

	if (cause == EXC_BREAKPOINT && trap_semihost_absent(tf))
		return;
	if (!handler_tried && cause < EXC_COUNT && trap_handlers[cause] && trap_handlers[cause](tf))
		return;
	if (trap_fault_hook && trap_fault_hook(tf))
		return;
	if (trap_from_user(tf) && trap_user_exception && trap_user_exception(tf))
		return;
	trap_report(tf);
	vm_machdep_fault_print(tf);
	panic("unexpected trap: %s at 0x%lx", trap_cause_name(cause), tf->sepc);
}

static void trap_interrupt(struct trap_frame *tf)
{
	switch (tf->scause & ~SCAUSE_INTERRUPT) {
	case IRQ_S_TIMER:
		timer_interrupt(tf);
		break;
	case IRQ_S_SOFT:
		ipi_interrupt();
		break;
	case IRQ_S_EXT:
		plic_interrupt();
		break;
	default:
		trap_report(tf);
		panic("trap: unknown interrupt 0x%lx", tf->scause);
	}
}

/* trap_intr_restore: interrupts back on if the trapped code had them on. */
static inline void trap_intr_restore(const struct trap_frame *tf)
{
	if (tf->sstatus & SSTATUS_SPIE)
		intr_enable();
}

/* trap_preempt_check: on the way out of a trap, preempt if the tick asked and tf's code allows. */
static void trap_preempt_check(const struct trap_frame *tf)
{
	struct hart *h = hart_self();

	if (h->need_resched && (tf->sstatus & SSTATUS_SPIE) && h->noff == 0)
		thread_preempt();
}

/*
 * trap_handler: called by trap.S with interrupts off and the whole frame
 * saved.  Exceptions run their handler with interrupts as they were
 * before the trap (a page fault may sleep); interrupts run with them off.
 * Preemption happens on the way out when the tick asked for it and the
 * interrupted code could be preempted.  handler_tried: trap_page_fault ran
 * the handler already and it did not resolve the trap.
 */
void trap_handler(struct trap_frame *tf, bool handler_tried)
{
	/* Interrupts are off: this thread cannot move to another hart while it reads cur. */
	struct hart *h = hart_self();
	struct thread *t = h ? h->cur : NULL;
	static int trap_depth_early;	/* before the first thread exists */
	int *depth = t ? &t->trap_depth : &trap_depth_early;

	if (++*depth > TRAP_DEPTH_MAX) {
		console_panic_mode();
		trap_report(tf);
		panic("trap: nested %d deep", *depth);
	}
	if (tf->scause & SCAUSE_INTERRUPT) {
		trap_interrupt(tf);
	} else {
		trap_intr_restore(tf);
		trap_exception(tf, handler_tried);
		intr_disable();
	}
	--*depth;
	trap_preempt_check(tf);
	if (trap_from_user(tf) && trap_user_leave)
		trap_user_leave(tf);
}

/*
 * trap_page_fault: trap.S's path for the page faults: the frame holds only
 * the caller-saved registers and the CSRs (the handler may read and
 * change those, not the callee-saved ones).  Runs the cause's handler as
 * trap_handler would.  Returns 0 when it resolved the fault; nonzero
 * sends trap.S on to save the rest and call trap_handler (no handler, no
 * thread yet, too deep, or not resolved).  => interrupts off
 */
int trap_page_fault(struct trap_frame *tf)
{
	struct hart *h = hart_self();
	struct thread *t = h ? h->cur : NULL;
	trap_handler_t fn = trap_handlers[tf->scause];
	bool ok;

	if (!fn || !t || t->trap_depth >= TRAP_DEPTH_MAX)
		return 1;
	t->trap_depth++;
	trap_intr_restore(tf);
	ok = fn(tf);
	intr_disable();
	t->trap_depth--;
	if (!ok)
		return 1;
	trap_preempt_check(tf);
	return 0;
}
