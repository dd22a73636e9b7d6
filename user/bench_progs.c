/*
 * bench_progs.c: the U-mode halves of the task benchmarks
 * (tests/bench/task_bench.c).  Each counts instructions with rdinstret
 * from U-mode (traps and faults included, kernel side and all) and exits
 * with the figure the benchmark reports.
 */
#include "user/ulib.h"

/* bench_null_trap: instructions per null trap, over arg traps. */
static long bench_null_trap(long iters)
{
	uint64_t t0 = rdinstret();

	for (long i = 0; i < iters; i++)
		task_trap(TASK_TRAP_NULL, 0, 0, 0, 0, NULL);
	return (long)((rdinstret() - t0) / (uint64_t)iters);
}
USER_PROGRAM(bench_null_trap);

/* pages_alloc: arg pages, made resident (written once) when touch. => 0 if no memory */
static vm_address_t pages_alloc(long pages, bool touch)
{
	vm_address_t a = 0;

	if (vm_allocate(&a, pages * PAGE_SIZE, VM_FLAGS_ANYWHERE) != KERN_SUCCESS)
		return 0;
	for (long i = 0; touch && i < pages; i++)
		*(volatile long *)(a + i * PAGE_SIZE) = i;
	return a;
}

/* pages_write: instructions per page for one store to each page. */
static long pages_write(vm_address_t a, long pages)
{
	uint64_t t0 = rdinstret();

	for (long i = 0; i < pages; i++)
		*(volatile long *)(a + i * PAGE_SIZE) = -i;
	return (long)((rdinstret() - t0) / (uint64_t)pages);
}

/* pages_read: instructions per page for one load from each page. */
static long pages_read(vm_address_t a, long pages)
{
	uint64_t t0 = rdinstret();

	for (long i = 0; i < pages; i++)
		(void)*(volatile long *)(a + i * PAGE_SIZE);
	return (long)((rdinstret() - t0) / (uint64_t)pages);
}

/* bench_zero_fill: a first write to each of arg fresh pages: one demand-zero fault each. */
static long bench_zero_fill(long pages)
{
	vm_address_t a = pages_alloc(pages, false);

	return a ? pages_write(a, pages) : -1;
}
USER_PROGRAM(bench_zero_fill);

/*
 * bench_cow: after a fork, the child writes each of arg resident pages it
 * shares with its parent (waiting meanwhile): one copy-on-write fault each.
 */
static long bench_cow(long pages)
{
	vm_address_t a = pages_alloc(pages, true);
	long child, id;
	uint64_t status;

	if (!a || task_fork(&child) != KERN_SUCCESS)
		return -1;
	if (child == 0)
		return pages_write(a, pages);
	if (task_wait(child, &id, &status) != KERN_SUCCESS)
		return -1;
	return (long)status;
}
USER_PROGRAM(bench_cow);

/*
 * bench_soft: arg resident pages whose mappings vm_protect removed (to
 * none and back): a load from each maps the page again, nothing else.
 */
static long bench_soft(long pages)
{
	vm_address_t a = pages_alloc(pages, true);

	if (!a || vm_protect(a, pages * PAGE_SIZE, FALSE, VM_PROT_NONE) != KERN_SUCCESS ||
	    vm_protect(a, pages * PAGE_SIZE, FALSE, VM_PROT_DEFAULT) != KERN_SUCCESS)
		return -1;
	return pages_read(a, pages);
}
USER_PROGRAM(bench_soft);

/* bench_fork: instructions for fork + the child's exit + wait, with arg more resident pages. */
static long bench_fork(long pages)
{
	long child, id;
	uint64_t status, t0;

	if (pages && !pages_alloc(pages, true))
		return -1;
	t0 = rdinstret();
	if (task_fork(&child) != KERN_SUCCESS)
		return -1;
	if (child == 0)
		exit(0);
	if (task_wait(child, &id, &status) != KERN_SUCCESS || status != 0)
		return -1;
	return (long)(rdinstret() - t0);
}
USER_PROGRAM(bench_fork);
