/*
 * task_trap.h: the trap interface of tasks (numbers and registers in
 * task/task_abi.h).  Every argument is checked: a bad pointer or value is
 * an error return, never a fault in the kernel.
 */
#ifndef TASK_TASK_TRAP_H
#define TASK_TASK_TRAP_H

#include <stdbool.h>

struct trap_frame;

/*
 * task_trap_ecall: the handler of `ecall` from U-mode: run the trap a7
 * names for the calling task, result in a0 (and a1).  => false if the
 * thread runs no task (not a trap of ours)
 */
bool task_trap_ecall(struct trap_frame *tf);

#endif
