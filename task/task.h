/*
 * task.h: tasks.  A task is a vm_map (with its own pmap and ASID) and the
 * thread that runs one of the image's U-mode programs in it (user/).  It
 * reaches the VM through the traps of task_trap.c; a fault the VM cannot
 * resolve, or any other exception, ends it with a decoded report.  A task
 * forks (vm_map_fork: each range by its inheritance), exits and waits for
 * its children; everything it held (map, pmap, thread, objects, wired
 * pages) comes back when it ends.  A task started by the kernel
 * (task_spawn) is waited for by the kernel (task_wait); a task whose
 * parent ended first is freed when it ends.
 *
 * Lock tags: kern/lock.h; the owner of a task's [t] fields is the task's thread.
 */
#ifndef TASK_TASK_H
#define TASK_TASK_H

#include <stdbool.h>
#include <stdint.h>

#include "task/task_abi.h"
#include "vm/vm_map.h"

#define TASK_MAX	64
#define TASK_NAME_MAX	32

enum task_state {
	TASK_FREE,
	TASK_ALIVE,
	TASK_ZOMBIE,		/* ended, its status not yet collected */
};

struct trap_frame;

struct task {
	enum task_state state;		/* [T] */
	int id;				/* [c] */
	char name[TASK_NAME_MAX];	/* [c] */
	vm_map_t map;			/* [t] NULL once ended; read by others only under [T] while ALIVE */
	struct thread *thread;		/* [c] */
	struct task *parent;		/* [T] NULL: started by the kernel, or orphaned */
	bool detached;			/* [T] nobody will wait: freed when it ends */
	bool terminating;		/* [T] task_terminate asked it to end (read unlocked by [t]) */
	uint64_t status;		/* [T] once ZOMBIE: TASK_STATUS_* word */
	bool waited;			/* [T] a wait has it, delivering its status (task_wait_end) */
	struct vm_named_entry *handles[TASK_HANDLES_MAX];	/* [t] its handles, by name */
};
typedef struct task *task_t;

/* task_bootstrap: load the user image and install the trap handlers (once). */
kern_return_t task_bootstrap(void);

/*
 * task_spawn: a new task, started by the kernel, running program `name`
 * with arg (its main's argument).  The kernel collects it with task_wait.
 * => KERN_INVALID_ARGUMENT (no such program), KERN_RESOURCE_SHORTAGE
 *    (TASK_MAX tasks, no thread, no memory)
 */
kern_return_t task_spawn(const char *name, long arg, task_t *task);
/*
 * task_wait: wait for a task task_spawn started to end, free it and give
 * its status word (TASK_STATUS_*).  => KERN_INVALID_ARGUMENT if it is not
 * one the kernel may wait for
 */
kern_return_t task_wait(task_t task, uint64_t *status);
/*
 * task_terminate: make task end (status TASK_STATUS_TERMINATED) at its
 * next return to U-mode, or at once if it is waiting for a child.
 * => KERN_INVALID_ARGUMENT (NULL or not alive), KERN_SUCCESS
 */
kern_return_t task_terminate(task_t task);

/* task_current: the task the calling thread runs, NULL for a kernel thread. */
task_t task_current(void);
/*
 * task_fork: from the trap frame of the calling task's fork trap: a child
 * with a copy of the map by inheritance and of the registers (returning
 * KERN_SUCCESS and 0 to it).  *child_id: its id.
 * => KERN_RESOURCE_SHORTAGE
 */
kern_return_t task_fork(const struct trap_frame *tf, long *child_id);
/*
 * task_wait_child: wait for a child of the calling task (id, or any with
 * -1) to end; *child: it, set aside (no other wait finds it) until
 * task_wait_end, with its id and status readable.
 * => KERN_INVALID_ARGUMENT (no such child), KERN_ABORTED (the caller was
 *    told to terminate meanwhile)
 */
kern_return_t task_wait_child(long id, task_t *child);
/* task_wait_end: free the child task_wait_child gave (collect), or put it back for a later wait. */
void task_wait_end(task_t child, bool collect);
/* task_exit: end the calling task with the status word; does not return. */
void task_exit(uint64_t status) __attribute__((noreturn));

/* task_map_reference: the task's map, referenced (vm_map_deallocate), while it is alive; else NULL. */
vm_map_t task_map_reference(task_t task);
/* task_count: tasks that exist (alive or zombie), for accounting checks. */
int task_count(void);
/* task_print: one line about the task; with its map's entries when full. */
void task_print(task_t task, bool full, int (*print)(const char *fmt, ...));
/* task_print_all: task_print of every task that exists. */
void task_print_all(bool full, int (*print)(const char *fmt, ...));

#endif
