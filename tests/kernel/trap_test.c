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
#include "platform/riscv/trap.h"
#include "tests/kernel/ktest.h"

KTEST_RUN(trap, "test=trap", "-m 256M -smp 1");

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
	for (int i = 0; i < 1000000 && !uart_irqs; i++)
		__asm__ volatile("nop");
	plic_unregister(u->irq);
	EXPECT_EQ(uart_irqs, 1);
	EXPECT_EQ(plic_count(u->irq), before + 1);
	EXPECT_EQ(plic_register(0, uart_tx_irq, u, 0), -1);
	EXPECT_EQ(plic_register(100000, uart_tx_irq, u, 0), -1);
}
