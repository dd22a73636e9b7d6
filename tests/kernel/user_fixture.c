/*
 * user_fixture.c: see user_fixture.h.  The ecall handler implements the
 * three calls of user_progs.S.
 */
#include <string.h>

#include "kern/thread.h"
#include "platform/riscv/riscv.h"
#include "platform/riscv/usermode.h"
#include "tests/kernel/user_fixture.h"

static struct user_fixture *user_fixture_current;	/* one run at a time */

static bool user_fixture_ecall(struct trap_frame *tf)
{
	switch (tf->a7) {
	case 1:
		user_run_exit(tf->a0);
	case 2:
		user_fixture_current->ecalls++;
		tf->sepc += 4;
		return true;
	case 7:
		user_run_exit(tf->a0 * 10);
	default:
		return false;
	}
}

bool user_fixture_make(struct user_fixture *f)
{
	*f = (struct user_fixture){ .pmap = pmap_create() };
	f->code = vm_page_alloc();
	f->stack = vm_page_alloc();
	if (!f->pmap || !f->code || !f->stack)
		return false;
	memcpy(pmap_direct_map(f->code->phys_addr), user_progs_start,
	       (size_t)(user_progs_end - user_progs_start));
	__asm__ volatile("fence.i" ::: "memory");	/* written as data, run as code */
	if (pmap_enter(f->pmap, USER_CODE_VA, f->code, VM_PROT_READ | VM_PROT_EXECUTE, 0) ||
	    pmap_enter(f->pmap, USER_STACK_VA, f->stack, VM_PROT_DEFAULT, 0))
		return false;
	f->ecall_was = trap_set_handler(EXC_ECALL_U, user_fixture_ecall);
	f->ecall_set = true;
	thread_set_pmap(f->pmap);
	return true;
}

void user_fixture_drop(struct user_fixture *f)
{
	if (f->ecall_set)
		trap_set_handler(EXC_ECALL_U, f->ecall_was);
	thread_set_pmap(NULL);
	if (f->pmap)
		pmap_destroy(f->pmap);
	if (f->code)
		vm_page_free(f->code);
	if (f->stack)
		vm_page_free(f->stack);
}

uint64_t user_fixture_run(struct user_fixture *f, const char *prog, uint64_t arg)
{
	user_fixture_current = f;
	return user_run(USER_CODE_VA + (uint64_t)(prog - user_progs_start),
			USER_STACK_VA + PAGE_SIZE, arg);
}
