/*
 * panic.c: the end of the machine, orderly (machine_exit) or not (panic).
 */
#include <stdio.h>

#include "kern/kernel.h"
#include "kern/ksyms.h"
#include "kern/thread.h"
#include "platform/riscv/hart.h"
#include "platform/riscv/kjmp.h"
#include "platform/riscv/riscv.h"
#include "platform/riscv/sbi.h"
#include "platform/riscv/semihost.h"
#include "platform/riscv/smp.h"

static int panic_entered;

void machine_exit(int status)
{
	intr_disable();
	smp_stop_others();
	semihost_exit(status);
	sbi_system_reset(SBI_SRST_SHUTDOWN, status ? SBI_SRST_REASON_FAILURE : SBI_SRST_REASON_NONE);
	for (;;)
		wfi();
}

void panic(const char *fmt, ...)
{
	struct hart *h = hart_self();
	va_list ap;

	intr_disable();
	if (__atomic_exchange_n(&panic_entered, 1, __ATOMIC_ACQ_REL)) {
		for (;;)	/* another hart is already panicking: let it report */
			wfi();
	}
	smp_stop_others();
	console_panic_mode();
	kprintf("\npanic on hart %u (thread %s): ", h ? h->hartid : 0, thread_current_name());
	va_start(ap, fmt);
	kvprintf(fmt, ap);
	va_end(ap);
	kprintf("\n");
	ksyms_backtrace_here();
	machine_exit(EXIT_STATUS_PANIC);
}

char kassert_last[200];

void kassert_fail(const char *cond, const char *file, int line, const char *fmt, ...)
{
	struct hart *h = hart_self();
	struct thread *t = h ? h->cur : NULL;
	char msg[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (t && t->kassert_recover) {		/* a test expects this one */
		kjmp_buf *jb = t->kassert_recover;

		t->kassert_recover = NULL;
		snprintf(kassert_last, sizeof(kassert_last), "%s%s%s", cond, msg[0] ? ": " : "", msg);
		kjmp_jump(*jb, 1);
	}
	panic("assertion \"%s\" failed at %s:%d%s%s", cond, file, line, msg[0] ? ": " : "", msg);
}
