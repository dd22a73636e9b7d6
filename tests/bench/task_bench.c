/*
 * task_bench.c: the costs of the user boundary.  The trap and fault
 * figures are counted from U-mode by the programs of user/bench_progs.c
 * (the trap or fault included, kernel side and all); the copy figures
 * are the kernel's copyin and copyinstr over a task's resident pages.
 */
#include <string.h>

#include "kern/thread.h"
#include "platform/riscv/riscv.h"
#include "task/task.h"
#include "tests/bench/kbench.h"
#include "tests/kernel/task_fixture.h"
#include "vm/vm_map.h"
#include "vm/vm_user.h"

KBENCH_RUN(task, "bench=syscall,user.fault,task,copyin", "-m 256M -smp 1");

/* task_figure: run program with arg; its exit code (the figure), 0 if it failed. */
static uint64_t task_figure(const char *program, long arg)
{
	uint64_t status = task_fixture_run(program, arg);

	if (status == ~0ull || (status & (TASK_STATUS_EXCEPTION | TASK_STATUS_TERMINATED)) ||
	    TASK_STATUS_CODE(status) == 0xffffffff)
		return 0;
	return TASK_STATUS_CODE(status);
}

/* syscall.roundtrip: a null trap from U-mode and back. */
KBENCH(syscall_roundtrip, "syscall.roundtrip", "instructions/op", 1000)
{
	return task_figure("bench_null_trap", (long)iters);
}

/* user.fault.zero_fill: a U-mode write to a fresh page of a vm_allocate'd range. */
KBENCH(user_fault_zero_fill, "user.fault.zero_fill", "instructions/fault", 256)
{
	return task_figure("bench_zero_fill", (long)iters);
}

/* user.fault.cow: a U-mode write to a page shared with the parent since fork. */
KBENCH(user_fault_cow, "user.fault.cow", "instructions/fault", 256)
{
	return task_figure("bench_cow", (long)iters);
}

/* user.fault.soft: a U-mode read of a resident page that is not mapped. */
KBENCH(user_fault_soft, "user.fault.soft", "instructions/fault", 256)
{
	return task_figure("bench_soft", (long)iters);
}

/*
 * task.fork.per_resident_page: fork + exit + wait, per resident page of
 * the parent: the difference between a parent with iters more resident
 * pages and one without, over iters.
 */
KBENCH(task_fork_per_page, "task.fork.per_resident_page", "instructions/page", 1024)
{
	uint64_t base = task_figure("bench_fork", 0), big = task_figure("bench_fork", (long)iters);

	kbench_note("\"fork_exit_wait\":%lu", base);
	return base && big > base ? (big - base) / iters : 0;
}

/* A task-like map with `pages` resident pages at COPY_BASE; the calling thread runs in it. */
#define COPY_BASE	0x10000000ul
#define COPY_PAGES	16

static vm_map_t copy_map_make(void)
{
	pmap_t pmap = pmap_create();
	vm_map_t map = pmap ? vm_map_create(pmap, PAGE_SIZE, PMAP_USER_END) : NULL;
	vm_address_t a = COPY_BASE;
	static char page[4096];

	if (!map || vm_allocate(map, &a, ptoa(COPY_PAGES), VM_FLAGS_FIXED) != KERN_SUCCESS)
		return NULL;
	thread_set_map(map);
	memset(page, 'x', sizeof(page));
	for (int i = 0; i < COPY_PAGES; i++)
		copyout(page, (char *)COPY_BASE + ptoa(i), sizeof(page));
	subyte((char *)COPY_BASE + ptoa(COPY_PAGES) - 1, 0);	/* a string ending at the end */
	return map;
}

static void copy_map_drop(vm_map_t map)
{
	thread_set_map(NULL);
	vm_map_deallocate(map);
}

/* copyin.per_kib: copyin of 64 KiB of a task's resident pages into the kernel, per KiB. */
KBENCH(copyin_per_kib, "copyin.per_kib", "instructions/KiB", 64)
{
	static char buf[COPY_PAGES * 4096];
	vm_map_t map = copy_map_make();
	uint64_t t0, t1;

	if (!map)
		return 0;
	t0 = rdinstret();
	for (uint64_t i = 0; i < iters; i++)
		copyin((const void *)COPY_BASE, buf, sizeof(buf));
	t1 = rdinstret();
	copy_map_drop(map);
	return (t1 - t0) / (iters * (sizeof(buf) / 1024));
}

/* copyinstr.per_byte: copyinstr of a 4095-byte string (and its NUL) from a task, per byte. */
KBENCH(copyinstr_per_byte, "copyinstr.per_byte", "instructions/byte", 64)
{
	static char buf[4096];
	vm_map_t map = copy_map_make();
	const char *s = (const char *)COPY_BASE + ptoa(COPY_PAGES) - sizeof(buf);
	size_t got = 0;
	uint64_t t0, t1;

	if (!map)
		return 0;
	t0 = rdinstret();
	for (uint64_t i = 0; i < iters; i++)
		copyinstr(s, buf, sizeof(buf), &got);
	t1 = rdinstret();
	copy_map_drop(map);
	return got == sizeof(buf) ? (t1 - t0) / (iters * got) : 0;
}
