/*
 * user_fixture.h: a user address space with user_progs.S mapped in, for
 * tests and benchmarks that run U-mode code with user_run.
 */
#ifndef TESTS_KERNEL_USER_FIXTURE_H
#define TESTS_KERNEL_USER_FIXTURE_H

#include <stdbool.h>

#include "platform/riscv/trap.h"
#include "vm/pmap.h"

#define USER_CODE_VA	0x400000ul
#define USER_STACK_VA	0x800000ul	/* one page; sp starts at its top */

extern char user_progs_start[], user_progs_end[];
extern char user_prog_echo[], user_prog_load[], user_prog_loop[], user_prog_wait[];
extern char user_prog_regs[];

struct user_fixture {
	pmap_t pmap;
	vm_page_t code, stack;
	uint64_t ecalls;		/* ecall 2 count */
	trap_handler_t ecall_was;	/* the handler it replaces while it exists */
	bool ecall_set;
};

/* user_fixture_make: map the programs (R+X) and a stack (R+W); the calling thread runs in it. */
bool user_fixture_make(struct user_fixture *f);
void user_fixture_drop(struct user_fixture *f);
/* user_fixture_run: run program `prog` with a0 = arg until it exits; returns its value. */
uint64_t user_fixture_run(struct user_fixture *f, const char *prog, uint64_t arg);

#endif
