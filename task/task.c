/*
 * task.c: the life of a task (task.h): start, fork, exceptions, the end
 * and the wait for it.  A task's thread starts in task_main, runs its
 * program with user_run_frame until a trap ends the run (exit, an
 * exception, task_terminate), and then gives back the map and ends.
 */
#include <stdio.h>

#include "kern/kernel.h"
#include "kern/spinlock.h"
#include "kern/thread.h"
#include "platform/riscv/trap.h"
#include "platform/riscv/usermode.h"
#include "task/task.h"
#include "task/task_trap.h"
#include "task/user_image.h"
#include "vm/vm_named_entry.h"

static struct spinlock task_lock = SPINLOCK_INIT("task");
static struct task tasks[TASK_MAX];		/* [T] */
static struct trap_frame task_starts[TASK_MAX];	/* the registers each task's thread starts with */
static int task_next_id = 1;			/* [T] */
static int tasks_live;				/* [T] */

task_t task_current(void)
{
	struct thread *t = thread_current();

	return t ? t->task : NULL;
}

int task_count(void)
{
	return __atomic_load_n(&tasks_live, __ATOMIC_RELAXED);
}

/* task_free: give the slot back.  => task_lock not held; the task's thread joined or detached */
static void task_free(task_t task)
{
	spin_lock(&task_lock);
	task->state = TASK_FREE;
	tasks_live--;
	spin_unlock(&task_lock);
}

/* task_main: the task's thread: run the program, then end. */
static void task_main(void *arg)
{
	task_t task = arg;

	thread_current()->task = task;
	thread_set_map(task->map);
	task_exit(user_run_frame(&task_starts[task - tasks]));
}

/*
 * task_start: a task for map (whose reference it takes over), child of
 * parent (NULL: the kernel's), whose thread starts with the registers of
 * *start.  => KERN_RESOURCE_SHORTAGE (the map is dropped)
 */
static kern_return_t task_start(const char *name, task_t parent, vm_map_t map,
				const struct trap_frame *start, task_t *out)
{
	task_t task = NULL;
	size_t slot;

	spin_lock(&task_lock);
	for (slot = 0; slot < TASK_MAX && !task; slot++) {
		if (tasks[slot].state == TASK_FREE) {
			task = &tasks[slot];
			*task = (struct task){ .state = TASK_ALIVE, .id = task_next_id++, .map = map,
					       .parent = parent };
			tasks_live++;
		}
	}
	spin_unlock(&task_lock);
	if (!task) {
		vm_map_deallocate(map);
		return KERN_RESOURCE_SHORTAGE;
	}
	snprintf(task->name, sizeof(task->name), "%s", name);
	task_starts[task - tasks] = *start;
	/* Only this thread reads task->thread before the task is collected, which it does after. */
	if (!(task->thread = thread_create(name, task_main, task, THREAD_ANY_HART))) {
		spin_lock(&task_lock);
		task->map = NULL;	/* task_map_reference must not find it */
		spin_unlock(&task_lock);
		vm_map_deallocate(map);
		task_free(task);
		return KERN_RESOURCE_SHORTAGE;
	}
	*out = task;
	return KERN_SUCCESS;
}

kern_return_t task_spawn(const char *name, long arg, task_t *task)
{
	struct trap_frame start = { .sepc = user_image_entry(), .sp = USER_STACK_TOP,
				    .a1 = (uint64_t)arg };
	vm_map_t map;
	pmap_t pmap;
	kern_return_t kr;

	if (!name || !task || !user_image_text_map() || !user_image_program(name, &start.a0))
		return KERN_INVALID_ARGUMENT;
	if (!(pmap = pmap_create()))
		return KERN_RESOURCE_SHORTAGE;
	if (!(map = vm_map_create(pmap, PAGE_SIZE, PMAP_USER_END))) {
		pmap_destroy(pmap);
		return KERN_RESOURCE_SHORTAGE;
	}
	if ((kr = user_image_map(map)) != KERN_SUCCESS) {
		vm_map_deallocate(map);
		return kr;
	}
	return task_start(name, NULL, map, &start, task);
}

kern_return_t task_fork(const struct trap_frame *tf, long *child_id)
{
	task_t parent = task_current(), child;
	struct trap_frame start = *tf;
	vm_map_t map = vm_map_fork(parent->map);
	kern_return_t kr;

	if (!map)
		return KERN_RESOURCE_SHORTAGE;
	start.a0 = KERN_SUCCESS;	/* what the child's fork returns */
	start.a1 = 0;
	if ((kr = task_start(parent->name, parent, map, &start, &child)) == KERN_SUCCESS)
		*child_id = child->id;
	return kr;
}

/*
 * task_orphan_children_locked: the ending task's children become nobody's;
 * those that ended already go into reap[] (their slots still taken).
 * Returns how many.  => task_lock held
 */
static int task_orphan_children_locked(task_t task, task_t reap[TASK_MAX])
{
	int n = 0;

	LOCK_ASSERT(spin_held(&task_lock), "task_orphan_children_locked: task_lock not held");
	for (int i = 0; i < TASK_MAX; i++) {
		task_t c = &tasks[i];

		if (c->state == TASK_FREE || c->parent != task)
			continue;
		c->parent = NULL;
		c->detached = true;
		if (c->state == TASK_ZOMBIE)
			reap[n++] = c;
	}
	return n;
}

/* task_collect: free a task that has ended: join its thread (it may still be switching away). */
static void task_collect(task_t task)
{
	thread_join(task->thread);
	task_free(task);
}

void task_exit(uint64_t status)
{
	task_t task = task_current(), reap[TASK_MAX];
	vm_map_t map = task->map;
	bool detached;
	int n;

	if (thread_current()->user_state)
		user_run_exit(status);	/* from a trap: back to task_main first, off the trap's stack */
	for (int i = 0; i < TASK_HANDLES_MAX; i++)
		vm_named_entry_release(task->handles[i]);
	thread_set_map(NULL);
	spin_lock(&task_lock);
	task->map = NULL;
	spin_unlock(&task_lock);
	vm_map_deallocate(map);
	spin_lock(&task_lock);
	n = task_orphan_children_locked(task, reap);
	task->state = TASK_ZOMBIE;
	task->status = status;
	detached = task->detached;
	thread_wakeup(task);		/* the kernel, waiting for this one */
	if (task->parent)
		thread_wakeup(task->parent);	/* the parent, waiting for any child */
	spin_unlock(&task_lock);
	while (n > 0)
		task_collect(reap[--n]);
	if (detached) {
		thread_detach(thread_current());
		task_free(task);
	}
	thread_exit(0);
}

/* task_kernel_waitable_locked: task is one the kernel may still wait for, and still task id. */
static bool task_kernel_waitable_locked(task_t task, int id)
{
	LOCK_ASSERT(spin_held(&task_lock), "task_kernel_waitable_locked: task_lock not held");

	return task->state != TASK_FREE && task->id == id && !task->parent && !task->detached;
}

kern_return_t task_wait(task_t task, uint64_t *status)
{
	int id;

	if (!task || task < tasks || task >= tasks + TASK_MAX || !status)
		return KERN_INVALID_ARGUMENT;
	spin_lock(&task_lock);
	id = task->id;
	while (task_kernel_waitable_locked(task, id) && task->state != TASK_ZOMBIE)
		thread_sleep(task, &task_lock);
	if (!task_kernel_waitable_locked(task, id)) {	/* another wait took it */
		spin_unlock(&task_lock);
		return KERN_INVALID_ARGUMENT;
	}
	*status = task->status;
	task->detached = true;	/* collected: nobody else may wait for it */
	spin_unlock(&task_lock);
	task_collect(task);
	return KERN_SUCCESS;
}

/* task_find_child_locked: an ended child matching id (-1: any) in *zombie; false if none matches. */
static bool task_find_child_locked(task_t self, long id, task_t *zombie)
{
	bool any = false;

	LOCK_ASSERT(spin_held(&task_lock), "task_find_child_locked: task_lock not held");
	*zombie = NULL;
	for (int i = 0; i < TASK_MAX && !*zombie; i++) {
		task_t c = &tasks[i];

		if (c->state == TASK_FREE || c->parent != self || c->waited || (id != -1 && c->id != id))
			continue;
		any = true;
		if (c->state == TASK_ZOMBIE)
			*zombie = c;
	}
	return any;
}

kern_return_t task_wait_child(long id, task_t *child)
{
	task_t self = task_current(), z;

	spin_lock(&task_lock);
	for (;;) {
		if (!task_find_child_locked(self, id, &z)) {
			spin_unlock(&task_lock);
			return KERN_INVALID_ARGUMENT;
		}
		if (z)
			break;
		if (self->terminating) {
			spin_unlock(&task_lock);
			return KERN_ABORTED;
		}
		thread_sleep(self, &task_lock);
	}
	z->waited = true;
	spin_unlock(&task_lock);
	*child = z;
	return KERN_SUCCESS;
}

void task_wait_end(task_t child, bool collect)
{
	spin_lock(&task_lock);
	child->waited = false;
	if (collect)
		child->parent = NULL;	/* collected: nothing else looks for it */
	spin_unlock(&task_lock);
	if (collect)
		task_collect(child);
}

kern_return_t task_terminate(task_t task)
{
	if (!task || task < tasks || task >= tasks + TASK_MAX)
		return KERN_INVALID_ARGUMENT;
	spin_lock(&task_lock);
	if (task->state != TASK_ALIVE) {
		spin_unlock(&task_lock);
		return KERN_INVALID_ARGUMENT;
	}
	__atomic_store_n(&task->terminating, true, __ATOMIC_RELAXED);
	thread_wakeup(task);	/* out of a wait for its children */
	spin_unlock(&task_lock);
	return KERN_SUCCESS;
}

/* task_report: the decoded report of the exception that ends the task. */
static void task_report(task_t task, const struct trap_frame *tf)
{
	bool memory = tf->scause == EXC_LOAD_PAGE_FAULT || tf->scause == EXC_STORE_PAGE_FAULT ||
		      tf->scause == EXC_INST_PAGE_FAULT || tf->scause == EXC_LOAD_ACCESS ||
		      tf->scause == EXC_STORE_ACCESS || tf->scause == EXC_INST_ACCESS;
	uint64_t near = memory ? tf->stval : tf->sepc;

	kprintf("task %d (%s): %s at pc 0x%lx, address 0x%lx: the task ends\n", task->id,
		task->name, trap_cause_name(tf->scause), tf->sepc, tf->stval);
	trap_report(tf);
	if (near < PMAP_USER_END)
		vm_map_print_near(task->map, near, kprintf);
}

/* task_exception: an exception from U-mode nothing resolved ends the task (trap_set_user_hooks). */
static bool task_exception(struct trap_frame *tf)
{
	task_t task = task_current();

	if (!task)
		return false;
	task_report(task, tf);
	task_exit(TASK_STATUS_EXCEPTION | tf->scause);
}

/* task_leave: on the way back to U-mode: a task told to terminate ends here. */
static void task_leave(struct trap_frame *tf)
{
	task_t task = task_current();

	(void)tf;
	if (task && __atomic_load_n(&task->terminating, __ATOMIC_RELAXED)) {
		intr_enable();	/* trap_handler's exit path has them off; the task's thread wants them on */
		task_exit(TASK_STATUS_TERMINATED);
	}
}

kern_return_t task_bootstrap(void)
{
	kern_return_t kr = user_image_bootstrap();

	if (kr != KERN_SUCCESS)
		return kr;
	trap_set_handler(EXC_ECALL_U, task_trap_ecall);
	trap_set_user_hooks(task_exception, task_leave);
	return KERN_SUCCESS;
}

vm_map_t task_map_reference(task_t task)
{
	vm_map_t map = NULL;

	spin_lock(&task_lock);
	if (task->state == TASK_ALIVE && task->map)
		vm_map_reference(map = task->map);
	spin_unlock(&task_lock);
	return map;
}

void task_print(task_t task, bool full, int (*print)(const char *fmt, ...))
{
	static const char *const states[] = { "free", "alive", "ended" };
	vm_map_t map = full ? task_map_reference(task) : NULL;
	struct task copy;

	spin_lock(&task_lock);
	copy = *task;
	spin_unlock(&task_lock);
	print("task %d (%s): %s, parent %d, %lu bytes user-wired\n", copy.id, copy.name,
	      states[copy.state], copy.parent ? copy.parent->id : 0,
	      map ? vm_map_user_wired_size(map) : 0);
	if (map) {
		vm_map_print(map, true, print);
		vm_map_deallocate(map);
	}
}

void task_print_all(bool full, int (*print)(const char *fmt, ...))
{
	for (int i = 0; i < TASK_MAX; i++)
		if (__atomic_load_n(&tasks[i].state, __ATOMIC_RELAXED) != TASK_FREE)
			task_print(&tasks[i], full, print);
}
