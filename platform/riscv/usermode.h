/*
 * usermode.h: run code in U-mode on the calling thread until a trap
 * handler ends the run.  The thread's kernel context waits, suspended, at
 * the call; traps from U-mode land on the same kernel stack just below it,
 * on whichever hart the thread runs by then.  This is the primitive tasks
 * are built on (and what the tests use to reach the U-mode trap path).
 */
#ifndef PLATFORM_RISCV_USERMODE_H
#define PLATFORM_RISCV_USERMODE_H

#include <stdint.h>

#include "platform/riscv/trap.h"

/*
 * user_run: enter U-mode at `entry` with sp = usp and a0 = arg, interrupts
 * on, in the address space of the thread's pmap (thread_set_pmap).
 * Returns the value a handler passed to user_run_exit.
 */
uint64_t user_run(uint64_t entry, uint64_t usp, uint64_t arg);
/*
 * user_run_frame: as user_run, resuming every register of *start (pc =
 * sepc; its sstatus is ignored: U-mode, interrupts on).  A fork's child
 * starts so, from a copy of its parent's trap frame.
 */
uint64_t user_run_frame(const struct trap_frame *start);

/* user_run_exit: from a handler of a trap taken in U-mode: end user_run with `value`. */
void user_run_exit(uint64_t value) __attribute__((noreturn));

#endif
