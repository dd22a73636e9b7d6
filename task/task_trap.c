/*
 * task_trap.c: the trap interface (task_trap.h).  Each trap takes its
 * arguments from the frame and returns a kern_return_t.  User pointers
 * are read and written only with copyin/copyout (vm/vm_user.h): a bad one
 * is KERN_INVALID_ADDRESS.  Outputs are checked writable (the map's
 * protection, nothing written) before anything changes, so that a trap
 * that fails on a bad pointer has done nothing; should the copy of a
 * result fail anyway (no memory left to fault its page in), the trap is
 * undone (an allocation or mapping removed, a handle released, a waited
 * child given back) and returns KERN_INVALID_ADDRESS.
 */
#include <errno.h>
#include <string.h>

#include "kern/kernel.h"
#include "kern/spinlock.h"
#include "kern/thread.h"
#include "platform/riscv/trap.h"
#include "task/task.h"
#include "task/task_trap.h"
#include "vm/vm_named_entry.h"
#include "vm/vm_user.h"

typedef kern_return_t (*task_trap_t)(task_t task, struct trap_frame *tf);

/* writable: the task's map lets it write [uaddr, uaddr + len) (checked, not written). */
static bool writable(task_t task, uint64_t uaddr, size_t len)
{
	return vm_map_check_protection(task->map, uaddr, uaddr + len, VM_PROT_READ | VM_PROT_WRITE);
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

/* trap_wait: (id or -1, id_out, status_out); a child whose status cannot be delivered stays. */
static kern_return_t trap_wait(task_t task, struct trap_frame *tf)
{
	task_t child;
	long id;
	uint64_t status;
	kern_return_t kr;

	if (!writable(task, tf->a1, sizeof(id)) || !writable(task, tf->a2, sizeof(status)))
		return KERN_INVALID_ADDRESS;
	if ((kr = task_wait_child((long)tf->a0, &child)) != KERN_SUCCESS)
		return kr;
	id = child->id;
	status = child->status;
	if (copyout(&id, (void *)tf->a1, sizeof(id)) != 0 ||
	    copyout(&status, (void *)tf->a2, sizeof(status)) != 0) {
		task_wait_end(child, false);	/* a later wait finds it again */
		return KERN_INVALID_ADDRESS;
	}
	task_wait_end(child, true);
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

	if (!writable(task, tf->a0, sizeof(addr)) || copyin((const void *)tf->a0, &addr, sizeof(addr)))
		return KERN_INVALID_ADDRESS;
	if ((kr = vm_allocate(task->map, &addr, tf->a1, (int)tf->a2)) != KERN_SUCCESS)
		return kr;
	if (copyout(&addr, (void *)tf->a0, sizeof(addr)) != 0) {
		vm_deallocate(task->map, addr, tf->a1);	/* undone: the caller cannot know it */
		return KERN_INVALID_ADDRESS;
	}
	return KERN_SUCCESS;
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
	if (!writable(task, tf->a0, sizeof(addr)) || !writable(task, tf->a1, sizeof(size)) ||
	    !writable(task, tf->a2, sizeof(info)) || copyin((const void *)tf->a0, &addr, sizeof(addr)))
		return KERN_INVALID_ADDRESS;	/* nothing written */
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

	if (!wire_range(tf->a0, tf->a1, &start, &end) || (tf->a2 & ~(uint64_t)VM_PROT_ALL))
		return KERN_INVALID_ARGUMENT;
	/* What the map holds user-wired now: an unwire or a deallocate gives it back. */
	if (end - start > TASK_USER_WIRE_MAX - MIN(TASK_USER_WIRE_MAX,
						   vm_map_user_wired_size(task->map)))
		return KERN_RESOURCE_SHORTAGE;
	return vm_map_wire(task->map, start, end, (vm_prot_t)tf->a2, TRUE);
}

static kern_return_t trap_vm_unwire(task_t task, struct trap_frame *tf)
{
	vm_offset_t start, end;

	if (!wire_range(tf->a0, tf->a1, &start, &end))
		return KERN_INVALID_ARGUMENT;
	return vm_map_unwire(task->map, start, end, TRUE);
}

/* ---- handles ------------------------------------------------------------------------------ */

/* handle_of: the handle task names name, NULL if none. */
static vm_named_entry_t handle_of(task_t task, uint64_t name)
{
	return name < TASK_HANDLES_MAX ? task->handles[name] : NULL;
}

/* handle_free_name: a name task has not given out, -1 if it holds TASK_HANDLES_MAX. */
static int handle_free_name(task_t task)
{
	for (int i = 0; i < TASK_HANDLES_MAX; i++)
		if (!task->handles[i])
			return i;
	return -1;
}

/* trap_make_memory_entry: (size_inout, addr, permission, handle_out, parent or -1). */
static kern_return_t trap_make_memory_entry(task_t task, struct trap_frame *tf)
{
	vm_named_entry_t parent = handle_of(task, tf->a4), ne;
	int name = handle_free_name(task);
	vm_size_t size;
	kern_return_t kr;

	if (!writable(task, tf->a0, sizeof(size)) || !writable(task, tf->a3, sizeof(uint64_t)))
		return KERN_INVALID_ADDRESS;
	if ((int64_t)tf->a4 != -1 && !parent)
		return KERN_INVALID_ARGUMENT;
	if (name < 0)
		return KERN_RESOURCE_SHORTAGE;
	if (copyin((const void *)tf->a0, &size, sizeof(size)) != 0)
		return KERN_INVALID_ADDRESS;
	kr = mach_make_memory_entry_64(task->map, &size, tf->a1, (vm_prot_t)tf->a2, &ne, parent);
	if (kr != KERN_SUCCESS)
		return kr;
	if (copyout(&size, (void *)tf->a0, sizeof(size)) != 0 || suword64((void *)tf->a3, name) != 0) {
		vm_named_entry_release(ne);	/* undone: the task could not learn its name */
		return KERN_INVALID_ADDRESS;
	}
	task->handles[name] = ne;
	return KERN_SUCCESS;
}

/* trap_vm_map: (struct task_vm_map_args *), the address written back. */
static kern_return_t trap_vm_map(task_t task, struct trap_frame *tf)
{
	struct task_vm_map_args a;
	vm_named_entry_t ne;
	vm_address_t addr;
	kern_return_t kr;

	if (!writable(task, tf->a0, sizeof(a.address)) || copyin((const void *)tf->a0, &a, sizeof(a)) != 0)
		return KERN_INVALID_ADDRESS;
	if (!(ne = handle_of(task, (uint64_t)(int64_t)a.handle)))
		return KERN_INVALID_ARGUMENT;
	addr = a.address;
	kr = vm_map(task->map, &addr, a.size, a.mask, a.flags, ne, a.offset, a.copy != 0,
		    a.cur_protection, a.max_protection, a.inheritance);
	if (kr == KERN_SUCCESS && suword64((void *)tf->a0, (int64_t)addr) != 0) {
		vm_deallocate(task->map, addr, a.size);	/* undone: the task could not learn where */
		return KERN_INVALID_ADDRESS;
	}
	return kr;
}

/* The names published for other tasks: Mach's bootstrap server in small. */
#define TASK_REGISTRY_MAX	16

struct task_registry_slot {
	char name[TASK_HANDLE_NAME_MAX];	/* "" when free */
	vm_named_entry_t entry;			/* one reference */
};

static struct spinlock task_registry_lock = SPINLOCK_INIT("task_registry");
static struct task_registry_slot task_registry[TASK_REGISTRY_MAX];	/* [N] */

/* registry_name: the name at user address uname. => KERN_INVALID_ADDRESS, _ARGUMENT (empty, too long) */
static kern_return_t registry_name(uint64_t uname, char name[TASK_HANDLE_NAME_MAX])
{
	size_t len;
	int err = copyinstr((const void *)uname, name, TASK_HANDLE_NAME_MAX, &len);

	if (err == EFAULT)
		return KERN_INVALID_ADDRESS;
	return err || len < 2 ? KERN_INVALID_ARGUMENT : KERN_SUCCESS;
}

/* registry_slot_locked: the slot of name, else (free_ok) a free one, else NULL. */
static struct task_registry_slot *registry_slot_locked(const char *name, bool free_ok)
{
	struct task_registry_slot *free_slot = NULL;

	LOCK_ASSERT(spin_held(&task_registry_lock),
		"registry_slot_locked: task_registry_lock not held");
	for (int i = 0; i < TASK_REGISTRY_MAX; i++) {
		if (strcmp(task_registry[i].name, name) == 0)
			return &task_registry[i];
		if (!task_registry[i].name[0] && !free_slot)
			free_slot = &task_registry[i];
	}
	return free_ok ? free_slot : NULL;
}

/* trap_handle_register: (name, handle): publish it under name (replacing); handle -1 takes it away. */
static kern_return_t trap_handle_register(task_t task, struct trap_frame *tf)
{
	char name[TASK_HANDLE_NAME_MAX];
	vm_named_entry_t ne = handle_of(task, tf->a1), old = NULL;
	bool remove = (int64_t)tf->a1 == -1;
	struct task_registry_slot *slot;
	kern_return_t kr = registry_name(tf->a0, name);

	if (kr != KERN_SUCCESS)
		return kr;
	if (!ne && !remove)
		return KERN_INVALID_ARGUMENT;
	spin_lock(&task_registry_lock);
	if (!(slot = registry_slot_locked(name, !remove))) {
		kr = remove ? KERN_FAILURE : KERN_RESOURCE_SHORTAGE;
	} else {
		old = slot->entry;
		if (remove) {
			*slot = (struct task_registry_slot){ .entry = NULL };
		} else {
			vm_named_entry_reference(ne);
			memcpy(slot->name, name, sizeof(name));
			slot->entry = ne;
		}
	}
	spin_unlock(&task_registry_lock);
	vm_named_entry_release(old);
	return kr;
}

/* trap_handle_lookup: (name, handle_out): a handle to what name was registered with. */
static kern_return_t trap_handle_lookup(task_t task, struct trap_frame *tf)
{
	char name[TASK_HANDLE_NAME_MAX];
	int hname = handle_free_name(task);
	struct task_registry_slot *slot;
	vm_named_entry_t ne = NULL;
	kern_return_t kr = registry_name(tf->a0, name);

	if (kr != KERN_SUCCESS)
		return kr;
	if (!writable(task, tf->a1, sizeof(uint64_t)))
		return KERN_INVALID_ADDRESS;
	if (hname < 0)
		return KERN_RESOURCE_SHORTAGE;
	spin_lock(&task_registry_lock);
	if ((slot = registry_slot_locked(name, false)))
		vm_named_entry_reference(ne = slot->entry);
	spin_unlock(&task_registry_lock);
	if (!ne)
		return KERN_FAILURE;	/* nothing registered under that name (yet) */
	if (suword64((void *)tf->a1, hname) != 0) {
		vm_named_entry_release(ne);
		return KERN_INVALID_ADDRESS;
	}
	task->handles[hname] = ne;
	return KERN_SUCCESS;
}

static kern_return_t trap_handle_release(task_t task, struct trap_frame *tf)
{
	vm_named_entry_t ne = handle_of(task, tf->a0);

	if (!ne)
		return KERN_INVALID_ARGUMENT;
	task->handles[tf->a0] = NULL;
	vm_named_entry_release(ne);
	return KERN_SUCCESS;
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
	[TASK_TRAP_MAKE_MEMORY_ENTRY] = trap_make_memory_entry,
	[TASK_TRAP_VM_MAP] = trap_vm_map,
	[TASK_TRAP_HANDLE_REGISTER] = trap_handle_register,
	[TASK_TRAP_HANDLE_LOOKUP] = trap_handle_lookup,
	[TASK_TRAP_HANDLE_RELEASE] = trap_handle_release,
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
