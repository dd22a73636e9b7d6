/*
 * trap_test.c: exceptions reach their handler or the test framework with
 * the right cause; an unexpected one fails its case with a decoded report
 * and nothing else; symbols and backtraces; a PLIC external interrupt.
 */
#include <string.h>

#include "drivers/uart/ns16550.h"
#include "kern/boot.h"
#include "kern/ksyms.h"
#include "platform/riscv/plic.h"
#include "kern/thread.h"
#include "platform/riscv/trap.h"
#include "platform/riscv/usermode.h"
#include "platform/riscv/timer.h"
#include "tests/kernel/ktest.h"
#include "tests/kernel/user_fixture.h"
#include "vm/vm.h"
#include "vm/vm_fault.h"

KTEST_RUN(trap, "test=trap", "-m 256M -smp 1");
KTEST_RUN(trap_smp2, "test=trap", "-m 256M -smp 2");

#define UNMAPPED_VA 0xffffffd000000000ul	/* in the kernel half, never mapped */

KTEST(trap, expected_load_fault)
{
	EXPECT_FAULT(EXC_LOAD_PAGE_FAULT, (void)*(volatile uint64_t *)UNMAPPED_VA);
	EXPECT_EQ(ktest_ctx()->fault.stval, UNMAPPED_VA);
	EXPECT_FAULT(EXC_STORE_PAGE_FAULT, *(volatile uint8_t *)(UNMAPPED_VA + 3) = 1);
	EXPECT_EQ(ktest_ctx()->fault.stval, UNMAPPED_VA + 3);
}

KTEST(trap, expected_illegal_instruction_and_breakpoint)
{
	EXPECT_FAULT(EXC_ILLEGAL_INST, __asm__ volatile(".4byte 0"));
	EXPECT_FAULT(EXC_ILLEGAL_INST, __asm__ volatile("csrr t0, mstatus" ::: "t0"));
	EXPECT_FAULT(EXC_BREAKPOINT, __asm__ volatile("ebreak"));
}

KTEST(trap, fpu_is_off_in_the_kernel)
{
	EXPECT_FAULT(EXC_ILLEGAL_INST, __asm__ volatile(".4byte 0x00000053")); /* fadd.s f0,f0,f0 */
}

/* Inner cases for the framework's own checks: run by ktest_run_case only. */
static void inner_unexpected_fault(void)
{
	(void)*(volatile uint64_t *)UNMAPPED_VA;
	ktest_fail(__FILE__, __LINE__, "inner_unexpected_fault: execution went on after the fault");
}

static void inner_missing_fault(void)
{
	EXPECT_FAULT(EXC_LOAD_PAGE_FAULT, (void)0);
}

static void inner_wrong_cause(void)
{
	EXPECT_FAULT(EXC_STORE_PAGE_FAULT, (void)*(volatile uint64_t *)UNMAPPED_VA);
}

static void inner_assert_stops(void)
{
	ASSERT_EQ(1, 2);
	ktest_fail(__FILE__, __LINE__, "inner_assert_stops: went on after ASSERT");
	ktest_fail(__FILE__, __LINE__, "(second failure)");
}

static int run_inner(const char *name, void (*fn)(void))
{
	struct ktest_case tc = { "inner", name, fn, __FILE__, __LINE__ };

	kprintf("    inner case %s: the failure reported next is expected\n", name);
	return ktest_run_case(&tc);
}

KTEST(trap, unexpected_fault_fails_only_its_case_with_a_report)
{
	uint64_t reports = trap_report_count();

	EXPECT_EQ(run_inner("unexpected_fault", inner_unexpected_fault), 1);
	EXPECT_EQ(trap_report_count(), reports + 1);
	/* This case is still running: the fault ended the inner case only. */
	EXPECT_TRUE(true);
}

KTEST(trap, framework_catches_missing_and_wrong_faults)
{
	EXPECT_EQ(run_inner("missing_fault", inner_missing_fault), 1);
	EXPECT_EQ(run_inner("wrong_cause", inner_wrong_cause), 1);
	EXPECT_EQ(run_inner("assert_stops", inner_assert_stops), 1);
}

static int breakpoints_seen;

static bool count_breakpoint(struct trap_frame *tf)
{
	breakpoints_seen++;
	tf->sepc += trap_instr_len(tf->sepc);
	return true;
}

KTEST(trap, installed_handler_takes_its_cause)
{
	trap_set_handler(EXC_BREAKPOINT, count_breakpoint);
	__asm__ volatile("ebreak");
	__asm__ volatile("c.ebreak");
	trap_set_handler(EXC_BREAKPOINT, NULL);
	EXPECT_EQ(breakpoints_seen, 2);
}

KTEST(trap, cause_names)
{
	EXPECT_STREQ(trap_cause_name(EXC_LOAD_PAGE_FAULT), "load page fault");
	EXPECT_STREQ(trap_cause_name(SCAUSE_INTERRUPT | IRQ_S_TIMER), "supervisor timer interrupt");
	EXPECT_STREQ(trap_cause_name(14), "reserved exception");
}

__attribute__((noinline)) static int trap_test_symbol_target(int x)
{
	__asm__ volatile("" ::: "memory");
	return x + 1;
}

KTEST(trap, symbols_resolve)
{
	uint64_t off = 1;
	const char *name = ksyms_lookup((uint64_t)trap_test_symbol_target + 4, &off);

	EXPECT_GT(ksyms_count(), 100);
	ASSERT_TRUE(name != NULL);
	EXPECT_STREQ(name, "trap_test_symbol_target");
	EXPECT_EQ(off, 4);
	EXPECT_TRUE(ksyms_lookup((uint64_t)&platform, &off) == NULL);	/* data */
	EXPECT_EQ(trap_test_symbol_target(1), 2);
}

static volatile int uart_irqs;

static void uart_tx_irq(uint32_t irq, void *arg)
{
	struct ns16550 *u = arg;

	(void)irq;
	if (ns16550_irq_identify(u) == 0x2) {	/* THR empty */
		ns16550_set_tx_irq(u, false);
		uart_irqs++;
	}
}

KTEST(trap, plic_external_interrupt)
{
	struct ns16550 *u = boot.uart;
	uint64_t before;

	ASSERT_TRUE(u != NULL);
	ASSERT_EQ(plic_register(u->irq, uart_tx_irq, u, 0), 0);
	before = plic_count(u->irq);
	ns16550_set_tx_irq(u, true);	/* THR is empty: the UART raises its line at once */
	/* Time, not a count of instructions: hart 0 may be slow to run on a loaded host. */
	for (uint64_t end = thread_deadline_after(1000000000ull); !uart_irqs && timer_now() < end;)
		__asm__ volatile("nop");
	EXPECT_EQ(plic_retarget(u->irq, PLIC_EVERY_HART), 0);
	EXPECT_EQ(plic_retarget(u->irq, hart_count), -1);
	plic_unregister(u->irq);
	EXPECT_EQ(plic_retarget(u->irq, 0), -1);	/* not registered */
	EXPECT_EQ(uart_irqs, 1);
	EXPECT_EQ(plic_count(u->irq), before + 1);
	EXPECT_EQ(plic_register(0, uart_tx_irq, u, 0), -1);
	EXPECT_EQ(plic_register(100000, uart_tx_irq, u, 0), -1);
	EXPECT_EQ(plic_register(u->irq, uart_tx_irq, u, PLIC_EVERY_HART - 1), -1);
	EXPECT_EQ(plic_register(u->irq, uart_tx_irq, u, hart_count), -1);
}

/* ---- traps from U-mode ------------------------------------------------------- */

KTEST(trap, ecall_from_user_reaches_its_handler)
{
	struct user_fixture f;

	ASSERT_TRUE(user_fixture_make(&f));
	/* echo: the program adds 1, the handler multiplies by 10 and ends the run. */
	EXPECT_EQ(user_fixture_run(&f, user_prog_echo, 4), 50);
	EXPECT_EQ(user_fixture_run(&f, user_prog_loop, 25), 0);
	EXPECT_EQ(f.ecalls, 25);
	user_fixture_drop(&f);
}

static uint64_t user_fault_addr;

static bool user_load_fault(struct trap_frame *tf)
{
	if (!trap_from_user(tf))
		return false;
	user_fault_addr = tf->stval;
	user_run_exit(0xdead);
}

#define REGS_VA	0x900000ul

static struct user_fixture *regs_fixture;
static vm_page_t regs_page;
static int regs_faults;

void ktest_clobber_caller_saved(void);	/* clobber.S */

/*
 * regs_fault: map a fresh page at REGS_VA (on the short path: caller-saved
 * registers only), with every caller-saved register clobbered first.
 */
static bool regs_fault(struct trap_frame *tf)
{
	if (!trap_from_user(tf) || tf->stval != REGS_VA || regs_page)
		return false;
	ktest_clobber_caller_saved();
	regs_faults++;
	regs_page = vm_page_alloc();
	return regs_page &&
	       pmap_enter(regs_fixture->pmap, REGS_VA, regs_page, VM_PROT_DEFAULT, 0) == KERN_SUCCESS;
}

/*
 * A page fault resolved on trap.S's short path gives every register back:
 * the U-mode program sets all 29 it can, stores to an unmapped page, and
 * exits with the number of the first register that changed (0: none).
 */
KTEST(trap, page_fault_keeps_every_register)
{
	struct user_fixture f;
	trap_handler_t old;

	ASSERT_TRUE(user_fixture_make(&f));
	regs_fixture = &f;
	regs_page = NULL;
	regs_faults = 0;
	old = trap_set_handler(EXC_STORE_PAGE_FAULT, regs_fault);
	EXPECT_EQ(user_fixture_run(&f, user_prog_regs, REGS_VA), 0);
	trap_set_handler(EXC_STORE_PAGE_FAULT, old);
	EXPECT_EQ(regs_faults, 1);
	ASSERT_TRUE(regs_page != NULL);
	EXPECT_EQ(*(uint64_t *)pmap_direct_map(regs_page->phys_addr), REGS_VA);
	pmap_remove(f.pmap, REGS_VA, REGS_VA + PAGE_SIZE);
	vm_page_free(regs_page);
	user_fixture_drop(&f);
}

int ktest_store_keeping_callee_saved(uint64_t addr);	/* clobber.S */

/* The same from S-mode, through the VM (a zero-fill fault that allocates and may sleep). */
KTEST(trap, kernel_page_fault_keeps_callee_saved)
{
	pmap_t p = pmap_create();
	vm_map_t map = p ? vm_map_create(p, PAGE_SIZE, PMAP_USER_END) : NULL;
	vm_address_t a = REGS_VA;
	struct vm_fault_stats before, after;

	ASSERT_TRUE(map != NULL);
	ASSERT_EQ(vm_allocate(map, &a, PAGE_SIZE, VM_FLAGS_FIXED), KERN_SUCCESS);
	thread_set_map(map);
	vm_fault_stats_get(&before);
	csr_set(sstatus, SSTATUS_SUM);
	EXPECT_EQ(ktest_store_keeping_callee_saved(a), 0);
	csr_clear(sstatus, SSTATUS_SUM);
	vm_fault_stats_get(&after);
	thread_set_map(NULL);
	EXPECT_EQ(after.zero_fill - before.zero_fill, 1);
	vm_map_deallocate(map);
}

KTEST(trap, user_mode_cannot_touch_kernel_memory)
{
	struct user_fixture f;
	uint64_t kernel_va = (uint64_t)&platform;
	trap_handler_t old;

	ASSERT_TRUE(user_fixture_make(&f));
	old = trap_set_handler(EXC_LOAD_PAGE_FAULT, user_load_fault);
	/* A U-mode load of a kernel address and of an unmapped one: page faults, not data. */
	EXPECT_EQ(user_fixture_run(&f, user_prog_load, kernel_va), 0xdead);
	EXPECT_EQ(user_fault_addr, kernel_va);
	EXPECT_EQ(user_fixture_run(&f, user_prog_load, 0x1000), 0xdead);
	EXPECT_EQ(user_fault_addr, 0x1000);
	/* Its own stack it may read (the program exits with what it loaded... a1, not a0: 0 is fine). */
	EXPECT_EQ(user_fixture_run(&f, user_prog_load, USER_STACK_VA), USER_STACK_VA);
	trap_set_handler(EXC_LOAD_PAGE_FAULT, old);
	user_fixture_drop(&f);
}

/*
 * The U-mode program stores 1 to a flag word in its stack page and spins
 * until the word reads 2; only the kernel thread sharing its hart writes
 * 2, and only once it has seen the 1.  So the program ends only if the
 * tick preempted it mid-loop, ran the kernel thread and switched back,
 * however fast or slow the host runs either (2^32 spins bound a broken
 * preemption: the program then exits 0).
 */
struct user_preempt {
	volatile bool done;
	volatile uint64_t *flag;	/* the program's flag word, through the direct map */
	uint64_t result, switches;
	volatile uint64_t spins_during;	/* the kernel thread's loops while the flag read 1 */
	bool made;
};

#define USER_FLAG_VA	USER_STACK_VA	/* the bottom of the stack page: the program uses no stack */

static void user_preempt_runner(void *arg)
{
	struct user_preempt *u = arg;
	struct user_fixture f;
	uint64_t sw0;

	u->made = user_fixture_make(&f);
	if (u->made) {
		sw0 = thread_current()->switches;
		u->flag = (volatile uint64_t *)pmap_direct_map(f.stack->phys_addr);
		u->result = user_fixture_run(&f, user_prog_wait, USER_FLAG_VA);
		u->switches = thread_current()->switches - sw0;
		u->flag = NULL;
	}
	user_fixture_drop(&f);
	u->done = true;
}

static void kernel_spinner(void *arg)
{
	struct user_preempt *u = arg;

	while (!u->done) {
		volatile uint64_t *flag = u->flag;

		if (flag && *flag == 1) {
			u->spins_during++;
			*flag = 2;
		}
	}
}

KTEST(trap, interrupts_and_preemption_in_user_mode)
{
	struct user_preempt u = { 0 };
	/* Both on hart 0: the U-mode loop never yields, only the tick can share the hart. */
	struct thread *spin = thread_create("spinner", kernel_spinner, &u, 0);
	struct thread *run = thread_create("user", user_preempt_runner, &u, 0);

	ASSERT_TRUE(spin && run);
	thread_join(run);
	thread_join(spin);
	ASSERT_TRUE(u.made);
	EXPECT_EQ(u.result, USER_STACK_VA + PAGE_SIZE);	/* its sp survived every trap */
	EXPECT_GE(u.switches, 1);	/* switched back in after a preemption */
	EXPECT_EQ(u.spins_during, 1);	/* the kernel thread ran while U-mode code was mid-loop */
}
