/*
 * task_trap.c: the trap interface (task_trap.h).  Each trap takes its
 * arguments from the frame and returns a kern_return_t.  User pointers
 * are read and written only with copyin/copyout (vm/vm_user.h): a bad one
 * is KERN_INVALID_ADDRESS.  Outputs are checked writable before anything
 * changes, so that a trap that fails on a bad pointer has done nothing.
 */
#include <string.h>

#include "kern/kernel.h"
#include "kern/thread.h"
#include "platform/riscv/trap.h"
#include "task/task.h"
#include "task/task_trap.h"
#include "vm/vm_user.h"

typedef kern_return_t (*task_trap_t)(task_t task, struct trap_frame *tf);

/* writable: *uaddr can be written (it is written with its own value, so nothing changes). */
static bool writable(uint64_t uaddr, size_t len)
{
	uint64_t buf[8];

	KASSERT(len <= sizeof(buf));
	return copyin((const void *)uaddr, buf, len) == 0 && copyout(buf, (void *)uaddr, len) == 0;
}

static kern_return_t trap_null(task_t task, struct trap_frame *tf)
{
	return KERN_SUCCESS;
}

static kern_return_t trap_exit(task_t task, struct trap_frame *tf)
{
	task_exit(TASK_STATUS_CODE(tf->a0));
}

/* trap_write: (buf, len) to the console, in pieces through a kernel buffer. */
static kern_return_t trap_write(task_t task, struct trap_frame *tf)
{
	char buf[128];
	uint64_t u = tf->a0, len = tf->a1;

	if (u + len < u)
		return KERN_INVALID_ADDRESS;
	while (len) {
		size_t n = len < sizeof(buf) ? len : sizeof(buf);

		if (copyin((const void *)u, buf, n) != 0)
			return KERN_INVALID_ADDRESS;
		console_write(buf, n);
		u += n;
		len -= n;
	}
	return KERN_SUCCESS;
}

static kern_return_t trap_yield(task_t task, struct trap_frame *tf)
{
	thread_yield();
	return KERN_SUCCESS;
}

static kern_return_t trap_fork(task_t task, struct trap_frame *tf)
{
	long id = 0;
	kern_return_t kr = task_fork(tf, &id);

	tf->a1 = (uint64_t)id;
	return kr;
}

/* trap_wait: (id or -1, id_out, status_out). */
static kern_return_t trap_wait(task_t task, struct trap_frame *tf)
{
	long id;
	uint64_t status;
	kern_return_t kr;

	if (!writable(tf->a1, sizeof(id)) || !writable(tf->a2, sizeof(status)))
		return KERN_INVALID_ADDRESS;
	if ((kr = task_wait_child((long)tf->a0, &id, &status)) != KERN_SUCCESS)
		return kr;
	/* Checked writable above, and nothing else runs in this map to change that. */
	copyout(&id, (void *)tf->a1, sizeof(id));
	copyout(&status, (void *)tf->a2, sizeof(status));
	return KERN_SUCCESS;
}

static kern_return_t trap_self(task_t task, struct trap_frame *tf)
{
	tf->a1 = (uint64_t)task->id;
	return KERN_SUCCESS;
}

/* trap_vm_allocate: (addr_inout, size, flags). */
static kern_return_t trap_vm_allocate(task_t task, struct trap_frame *tf)
{
	vm_address_t addr;
	kern_return_t kr;

	if (!writable(tf->a0, sizeof(addr)))
		return KERN_INVALID_ADDRESS;
	copyin((const void *)tf->a0, &addr, sizeof(addr));
	if ((kr = vm_allocate(task->map, &addr, tf->a1, (int)tf->a2)) == KERN_SUCCESS)
		copyout(&addr, (void *)tf->a0, sizeof(addr));
	return kr;
}

static kern_return_t trap_vm_deallocate(task_t task, struct trap_frame *tf)
{
	return vm_deallocate(task->map, tf->a0, tf->a1);
}

static kern_return_t trap_vm_protect(task_t task, struct trap_frame *tf)
{
	return vm_protect(task->map, tf->a0, tf->a1, tf->a2 != 0, (vm_prot_t)tf->a3);
}

static kern_return_t trap_vm_inherit(task_t task, struct trap_frame *tf)
{
	return vm_inherit(task->map, tf->a0, tf->a1, (vm_inherit_t)tf->a2);
}

static kern_return_t trap_vm_behavior_set(task_t task, struct trap_frame *tf)
{
	return vm_behavior_set(task->map, tf->a0, tf->a1, (vm_behavior_t)tf->a2);
}

/* trap_vm_region: (addr_inout, size_out, info_out). */
static kern_return_t trap_vm_region(task_t task, struct trap_frame *tf)
{
	vm_address_t addr;
	vm_size_t size;
	vm_region_basic_info_data_t info;
	kern_return_t kr;

	memset(&info, 0, sizeof(info));	/* padding too: no kernel bytes reach the task */
	if (copyin((const void *)tf->a0, &addr, sizeof(addr)) != 0)
		return KERN_INVALID_ADDRESS;
	if ((kr = vm_region(task->map, &addr, &size, &info)) != KERN_SUCCESS)
		return kr;
	if (copyout(&addr, (void *)tf->a0, sizeof(addr)) != 0 ||
	    copyout(&size, (void *)tf->a1, sizeof(size)) != 0 ||
	    copyout(&info, (void *)tf->a2, sizeof(info)) != 0)
		return KERN_INVALID_ADDRESS;
	return KERN_SUCCESS;
}

/* wire_range: page-rounded [start, end) of (addr, size). => false if it wraps */
static bool wire_range(uint64_t addr, uint64_t size, vm_offset_t *start, vm_offset_t *end)
{
	*start = trunc_page(addr);
	*end = round_page(addr + size);
	return addr + size >= addr && *end >= *start;
}

/* trap_vm_wire: (addr, size, access); at most TASK_USER_WIRE_MAX bytes per task. */
static kern_return_t trap_vm_wire(task_t task, struct trap_frame *tf)
{
	vm_offset_t start, end;
	kern_return_t kr;

	if (!wire_range(tf->a0, tf->a1, &start, &end) || (tf->a2 & ~(uint64_t)VM_PROT_ALL))
		return KERN_INVALID_ARGUMENT;
	if (end - start > TASK_USER_WIRE_MAX - task->user_wired)
		return KERN_RESOURCE_SHORTAGE;
	kr = vm_map_wire(task->map, start, end, (vm_prot_t)tf->a2, TRUE);
	if (kr == KERN_SUCCESS)
		task->user_wired += end - start;
	return kr;
}

static kern_return_t trap_vm_unwire(task_t task, struct trap_frame *tf)
{
	vm_offset_t start, end;
	kern_return_t kr;

	if (!wire_range(tf->a0, tf->a1, &start, &end))
		return KERN_INVALID_ARGUMENT;
	kr = vm_map_unwire(task->map, start, end, TRUE);
	if (kr == KERN_SUCCESS)
		task->user_wired -= MIN(end - start, task->user_wired);
	return kr;
}

static const task_trap_t task_traps[TASK_TRAP_COUNT] = {
	[TASK_TRAP_NULL] = trap_null,
	[TASK_TRAP_EXIT] = trap_exit,
	[TASK_TRAP_WRITE] = trap_write,
	[TASK_TRAP_YIELD] = trap_yield,
	[TASK_TRAP_FORK] = trap_fork,
	[TASK_TRAP_WAIT] = trap_wait,
	[TASK_TRAP_SELF] = trap_self,
	[TASK_TRAP_VM_ALLOCATE] = trap_vm_allocate,
	[TASK_TRAP_VM_DEALLOCATE] = trap_vm_deallocate,
	[TASK_TRAP_VM_PROTECT] = trap_vm_protect,
	[TASK_TRAP_VM_INHERIT] = trap_vm_inherit,
	[TASK_TRAP_VM_BEHAVIOR_SET] = trap_vm_behavior_set,
	[TASK_TRAP_VM_REGION] = trap_vm_region,
	[TASK_TRAP_VM_WIRE] = trap_vm_wire,
	[TASK_TRAP_VM_UNWIRE] = trap_vm_unwire,
};

bool task_trap_ecall(struct trap_frame *tf)
{
	task_t task = task_current();

	if (!task)
		return false;
	tf->sepc += 4;		/* past the ecall: a fork's child resumes there too */
	tf->a0 = tf->a7 < TASK_TRAP_COUNT ? task_traps[tf->a7](task, tf) : KERN_INVALID_ARGUMENT;
	return true;
}
