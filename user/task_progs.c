/*
 * task_progs.c: the programs of the task suite (tests/kernel/task_test.c).
 * Each returns 0 when everything it checked held, else a number saying
 * which check failed (and prints it).
 */
#include "user/ulib.h"

#define KERNEL_ADDRESS	0xffffffc000200000ul	/* the kernel's half: never a user address */
#define UNMAPPED	0x50000000ul		/* nothing is mapped here in any task */

/* exit_code: exit with arg. */
static long exit_code(long arg)
{
	return arg;
}
USER_PROGRAM(exit_code);

/* The three ranges of forktree, one per inheritance, and one whose max_protection is READ. */
struct ranges {
	vm_address_t share, copy, none, capped;
};

#define RANGE_SIZE	(4 * PAGE_SIZE)

static void range_fill(vm_address_t a, long v)
{
	for (vm_size_t off = 0; off < RANGE_SIZE; off += PAGE_SIZE)
		*(volatile long *)(a + off) = v;
}

static bool range_holds(vm_address_t a, long v)
{
	for (vm_size_t off = 0; off < RANGE_SIZE; off += PAGE_SIZE)
		if (*(volatile long *)(a + off) != v)
			return false;
	return true;
}

/* ranges_make: the four ranges, filled, inheritances and max_protection set. */
static long ranges_make(struct ranges *r)
{
	vm_address_t *all[] = { &r->share, &r->copy, &r->none, &r->capped };

	for (int i = 0; i < 4; i++) {
		*all[i] = 0;
		if (vm_allocate(all[i], RANGE_SIZE, VM_FLAGS_ANYWHERE) != KERN_SUCCESS)
			return ufail("forktree", 1);
		range_fill(*all[i], 0x1000 + i);
	}
	if (vm_inherit(r->share, RANGE_SIZE, VM_INHERIT_SHARE) != KERN_SUCCESS ||
	    vm_inherit(r->copy, RANGE_SIZE, VM_INHERIT_COPY) != KERN_SUCCESS ||
	    vm_inherit(r->none, RANGE_SIZE, VM_INHERIT_NONE) != KERN_SUCCESS ||
	    vm_protect(r->capped, RANGE_SIZE, TRUE, VM_PROT_READ) != KERN_SUCCESS)
		return ufail("forktree", 2);
	return 0;
}

/* generation_check: what a child must see: the values its parent left, no `none`, capped READ. */
static long generation_check(const struct ranges *r, long depth)
{
	vm_address_t a = r->none;
	vm_size_t size;
	vm_region_basic_info_data_t info;

	if (!range_holds(r->share, 0x2000 + depth - 1) || !range_holds(r->copy, 0x3000 + depth - 1))
		return ufail("forktree", 10);
	/* NONE: nothing at r->none in the child (vm_region finds the next range, or none). */
	if (vm_region(&a, &size, &info) == KERN_SUCCESS && a <= r->none)
		return ufail("forktree", 11);
	if (vm_protect(r->capped, RANGE_SIZE, FALSE, VM_PROT_READ | VM_PROT_WRITE) !=
	    KERN_PROTECTION_FAILURE)
		return ufail("forktree", 12);
	a = r->capped;
	if (vm_region(&a, &size, &info) != KERN_SUCCESS || info.max_protection != VM_PROT_READ ||
	    !range_holds(r->capped, 0x1003))
		return ufail("forktree", 13);
	return 0;
}

/* generation: at depth, check what was inherited, then fork the next generation below it. */
static long generation(const struct ranges *r, long depth, long generations)
{
	long child = -1, id, err;
	uint64_t status;

	if (depth > 0 && (err = generation_check(r, depth)) != 0)
		return err;
	if (depth + 1 == generations)
		return 0;
	range_fill(r->share, 0x2000 + depth);
	range_fill(r->copy, 0x3000 + depth);
	if (task_fork(&child) != KERN_SUCCESS)
		return ufail("forktree", 20);
	if (child == 0) {
		err = generation(r, depth + 1, generations);
		range_fill(r->share, 0x4000 + depth);	/* seen by the parent */
		range_fill(r->copy, 0x5000 + depth);	/* not seen by it */
		exit(err);
	}
	if (task_wait(child, &id, &status) != KERN_SUCCESS || id != child)
		return ufail("forktree", 21);
	if (status != 0)
		return (long)status;	/* the child's own failure, already reported */
	if (!range_holds(r->share, 0x4000 + depth) || !range_holds(r->copy, 0x3000 + depth))
		return ufail("forktree", 22);
	return 0;
}

/* forktree: arg generations (three: parent, child, grandchild) over SHARE, COPY, NONE ranges. */
static long forktree(long generations)
{
	struct ranges r;
	long err = ranges_make(&r);

	return err ? err : generation(&r, 0, generations);
}
USER_PROGRAM(forktree);

/* fault_write_text: a store to its own (read+execute) text: ends with a store page fault. */
static long fault_write_text(long arg)
{
	*(volatile long *)(uintptr_t)fault_write_text = arg;
	return 0;
}
USER_PROGRAM(fault_write_text);

/* fault_jump_kernel: a call into the kernel's half: ends with an instruction page fault. */
static long fault_jump_kernel(long arg)
{
	((void (*)(void))KERNEL_ADDRESS)();
	return 0;
}
USER_PROGRAM(fault_jump_kernel);

/* fault_unmapped: a load from an unmapped address: ends with a load page fault. */
static long fault_unmapped(long arg)
{
	return *(volatile long *)UNMAPPED;
}
USER_PROGRAM(fault_unmapped);

/* fault_child: a child that faults ends alone; the parent sees why and goes on. */
static long fault_child(long arg)
{
	long child, id;
	uint64_t status;

	if (task_fork(&child) != KERN_SUCCESS)
		return ufail("fault_child", 1);
	if (child == 0)
		return fault_unmapped(0);
	if (task_wait(-1, &id, &status) != KERN_SUCCESS || id != child)
		return ufail("fault_child", 2);
	if (status != (TASK_STATUS_EXCEPTION | EXC_LOAD_PAGE_FAULT))
		return ufail("fault_child", 3);
	return 0;
}
USER_PROGRAM(fault_child);

struct bad_call {
	const char *what;
	kern_return_t kr, want;
};

/* bad_args: every trap with bad pointers and values gets its documented error. */
static long bad_args(long arg)
{
	vm_address_t a = 0, k = KERNEL_ADDRESS, text = USER_TEXT_BASE;
	vm_size_t size;
	vm_region_basic_info_data_t info;
	long id;
	uint64_t status;

	if (vm_allocate(&a, 2 * PAGE_SIZE, VM_FLAGS_ANYWHERE) != KERN_SUCCESS)
		return ufail("bad_args", 100);
	const struct bad_call calls[] = {
		{ "vm_allocate: kernel pointer", vm_allocate((vm_address_t *)k, PAGE_SIZE, VM_FLAGS_ANYWHERE),
		  KERN_INVALID_ADDRESS },
		{ "vm_allocate: unmapped pointer", vm_allocate((vm_address_t *)UNMAPPED, PAGE_SIZE,
		  VM_FLAGS_ANYWHERE), KERN_INVALID_ADDRESS },
		{ "vm_allocate: read-only pointer", vm_allocate((vm_address_t *)text, PAGE_SIZE,
		  VM_FLAGS_ANYWHERE), KERN_INVALID_ADDRESS },
		{ "vm_allocate: size 0", vm_allocate(&a, 0, VM_FLAGS_ANYWHERE), KERN_INVALID_ARGUMENT },
		{ "vm_allocate: unknown flags", vm_allocate(&a, PAGE_SIZE, 0x80), KERN_INVALID_ARGUMENT },
		{ "vm_allocate: fixed in the kernel's half", vm_allocate(&k, PAGE_SIZE, VM_FLAGS_FIXED),
		  KERN_NO_SPACE },
		{ "vm_deallocate: kernel range", vm_deallocate(KERNEL_ADDRESS, PAGE_SIZE),
		  KERN_INVALID_ADDRESS },
		{ "vm_deallocate: wraps", vm_deallocate(a, ~0ul), KERN_INVALID_ARGUMENT },
		{ "vm_protect: text writable", vm_protect(text, PAGE_SIZE, FALSE, VM_PROT_DEFAULT),
		  KERN_INVALID_ARGUMENT },
		{ "vm_protect: unknown bits", vm_protect(a, PAGE_SIZE, FALSE, 0x80), KERN_INVALID_ARGUMENT },
		{ "vm_protect: kernel range", vm_protect(KERNEL_ADDRESS, PAGE_SIZE, FALSE, VM_PROT_READ),
		  KERN_INVALID_ADDRESS },
		{ "vm_inherit: unknown", vm_inherit(a, PAGE_SIZE, 9), KERN_INVALID_ARGUMENT },
		{ "vm_inherit: unmapped", vm_inherit(UNMAPPED, PAGE_SIZE, VM_INHERIT_SHARE),
		  KERN_INVALID_ADDRESS },
		{ "vm_behavior_set: unknown", vm_behavior_set(a, PAGE_SIZE, 99), KERN_INVALID_ARGUMENT },
		{ "vm_region: kernel pointer", vm_region((vm_address_t *)k, &size, &info),
		  KERN_INVALID_ADDRESS },
		{ "vm_region: kernel info pointer", vm_region(&a, &size,
		  (vm_region_basic_info_data_t *)k), KERN_INVALID_ADDRESS },
		{ "vm_wire: unknown access", vm_wire(a, PAGE_SIZE, 0x80), KERN_INVALID_ARGUMENT },
		{ "vm_wire: unmapped", vm_wire(UNMAPPED, PAGE_SIZE, VM_PROT_READ), KERN_INVALID_ADDRESS },
		{ "vm_wire: over the task's limit", vm_wire(a, 2 * TASK_USER_WIRE_MAX, VM_PROT_READ),
		  KERN_RESOURCE_SHORTAGE },
		{ "vm_wire: wraps", vm_wire(a, ~0ul, VM_PROT_READ), KERN_INVALID_ARGUMENT },
		{ "vm_unwire: not wired", vm_unwire(a, PAGE_SIZE), KERN_FAILURE },
		{ "task_write: kernel buffer", task_write((const void *)k, 8), KERN_INVALID_ADDRESS },
		{ "task_write: unmapped buffer", task_write((const void *)UNMAPPED, 8),
		  KERN_INVALID_ADDRESS },
		{ "task_write: wraps", task_write((const void *)a, ~0ul), KERN_INVALID_ADDRESS },
		{ "task_wait: kernel pointer", task_wait(-1, (long *)k, &status), KERN_INVALID_ADDRESS },
		{ "task_wait: no child", task_wait(-1, &id, &status), KERN_INVALID_ARGUMENT },
		{ "task_wait: no such id", task_wait(12345, &id, &status), KERN_INVALID_ARGUMENT },
		{ "unknown trap", task_trap(TASK_TRAP_COUNT, 0, 0, 0, 0, NULL), KERN_INVALID_ARGUMENT },
		{ "unknown trap, huge", task_trap(-1, 0, 0, 0, 0, NULL), KERN_INVALID_ARGUMENT },
	};

	for (unsigned i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
		if (calls[i].kr != calls[i].want) {
			uprintf("bad_args: %s returned %d, not %d\n", calls[i].what, calls[i].kr,
				calls[i].want);
			return (long)i + 1;
		}
	}
	return 0;
}
USER_PROGRAM(bad_args);

/* wire_quota: the whole quota wired, the range deallocated: the quota is free again. */
static long wire_quota(void)
{
	vm_address_t b = 0;

	if (vm_allocate(&b, PAGE_SIZE, VM_FLAGS_ANYWHERE) != KERN_SUCCESS)
		return ufail("wire", 10);
	for (int round = 0; round < 2; round++) {
		vm_address_t a = 0;

		if (vm_allocate(&a, TASK_USER_WIRE_MAX, VM_FLAGS_ANYWHERE) != KERN_SUCCESS ||
		    vm_wire(a, TASK_USER_WIRE_MAX, VM_PROT_READ) != KERN_SUCCESS)
			return ufail("wire", 11 + round);
		if (vm_wire(b, PAGE_SIZE, VM_PROT_READ) != KERN_RESOURCE_SHORTAGE)	/* the quota is full */
			return ufail("wire", 13);
		if (vm_deallocate(a, TASK_USER_WIRE_MAX) != KERN_SUCCESS)
			return ufail("wire", 14);
	}
	return 0;
}

/*
 * wire: user wiring; arg 0 unwires before it exits, 1 leaves the range
 * wired for exit to undo, 2 checks that a deallocate gives the quota back.
 */
static long wire(long arg)
{
	vm_address_t a = 0, r;
	vm_size_t size;
	vm_region_basic_info_data_t info;

	if (arg == 2)
		return wire_quota();
	if (vm_allocate(&a, 8 * PAGE_SIZE, VM_FLAGS_ANYWHERE) != KERN_SUCCESS ||
	    vm_wire(a, 4 * PAGE_SIZE, VM_PROT_READ | VM_PROT_WRITE) != KERN_SUCCESS)
		return ufail("wire", 1);
	r = a;
	if (vm_region(&r, &size, &info) != KERN_SUCCESS || r != a || info.user_wired_count != 1)
		return ufail("wire", 2);
	range_fill(a, 7);
	if (arg == 0 && vm_unwire(a, 4 * PAGE_SIZE) != KERN_SUCCESS)
		return ufail("wire", 3);
	return 0;
}
USER_PROGRAM(wire);

/* spin: run until terminated. */
static long spin(long arg)
{
	for (volatile long i = 0;; i++)
		;
	return 0;
}
USER_PROGRAM(spin);

/* yield_for: yield until arg timer ticks have passed. */
static void yield_for(long ticks)
{
	uint64_t start = rdtime();

	while (rdtime() - start < (uint64_t)ticks)
		task_yield();
}

/* wait_spinner: wait for a child that yields for arg timer ticks, then exits (task_terminate's target). */
static long wait_spinner(long arg)
{
	long child, id;
	uint64_t status;

	if (task_fork(&child) != KERN_SUCCESS)
		return ufail("wait_spinner", 1);
	if (child == 0) {
		yield_for(arg);
		return 0;
	}
	return task_wait(child, &id, &status);	/* KERN_ABORTED once terminated */
}
USER_PROGRAM(wait_spinner);

/* orphans: fork three children that outlive their parent (they yield for arg timer ticks first). */
static long orphans(long arg)
{
	long child;

	for (int i = 0; i < 3; i++) {
		if (task_fork(&child) != KERN_SUCCESS)
			return ufail("orphans", 1);
		if (child == 0) {
			yield_for(arg);
			return 0;
		}
	}
	return 0;
}
USER_PROGRAM(orphans);

static inline long page_value(vm_address_t page, long round)
{
	return (long)(page >> 12) * 31 + round;
}

/* pages_check: every page of [a, a + pages) holds page_value(round). */
static bool pages_check(vm_address_t a, long pages, long round)
{
	for (long i = 0; i < pages; i++)
		if (*(volatile long *)(a + i * PAGE_SIZE) != page_value(a + i * PAGE_SIZE, round))
			return false;
	return true;
}

static void pages_fill(vm_address_t a, long pages, long round)
{
	for (long i = 0; i < pages; i++)
		*(volatile long *)(a + i * PAGE_SIZE) = page_value(a + i * PAGE_SIZE, round);
}

/*
 * touch: arg MiB written page by page (demand zero; more than memory
 * pages out), read back (page-ins), then a child checks and rewrites its
 * copy (copy-on-write) while the parent's stays as it was.
 */
static long touch(long mib)
{
	long pages = mib * 256, child, id;
	vm_address_t a = 0;
	uint64_t status;

	if (vm_allocate(&a, pages * PAGE_SIZE, VM_FLAGS_ANYWHERE) != KERN_SUCCESS)
		return ufail("touch", 1);
	pages_fill(a, pages, 1);
	if (!pages_check(a, pages, 1))
		return ufail("touch", 2);
	if (task_fork(&child) != KERN_SUCCESS)
		return ufail("touch", 3);
	if (child == 0) {
		if (!pages_check(a, pages, 1))
			return ufail("touch", 4);
		pages_fill(a, pages, 2);
		return pages_check(a, pages, 2) ? 0 : ufail("touch", 5);
	}
	if (task_wait(child, &id, &status) != KERN_SUCCESS || status != 0)
		return ufail("touch", 6);
	return pages_check(a, pages, 1) ? 0 : ufail("touch", 7);
}
USER_PROGRAM(touch);
