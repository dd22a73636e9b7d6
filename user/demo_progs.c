/*
 * demo_progs.c: the tasks `make run` shows (kern/demo.c).
 */
#include "user/ulib.h"

/* In the image's data submap: each task that writes it gets its own copy. */
static volatile long demo_data = 7;

/*
 * demo_tree: arg generations, each forked from the one before: a range
 * shared by all (VM_INHERIT_SHARE), one each gets a copy-on-write copy of
 * (the default), and the image's data.  Each generation writes all three;
 * every task reports what it sees; the parents wait for their child.
 */
static long demo_tree(long generations)
{
	vm_address_t shared = 0, own = 0;
	long gen = 0, child, id;
	uint64_t status;

	if (vm_allocate(&shared, PAGE_SIZE, VM_FLAGS_ANYWHERE) != KERN_SUCCESS ||
	    vm_allocate(&own, 4 * PAGE_SIZE, VM_FLAGS_ANYWHERE) != KERN_SUCCESS ||
	    vm_inherit(shared, PAGE_SIZE, VM_INHERIT_SHARE) != KERN_SUCCESS)
		return 1;
	for (;;) {
		*(volatile long *)shared += 1;		/* every generation counts in the shared page */
		*(volatile long *)own = 100 * gen;	/* a copy-on-write fault in all but the first */
		demo_data += gen;
		if (gen + 1 == generations || task_fork(&child) != KERN_SUCCESS)
			break;
		if (child != 0) {
			task_wait(child, &id, &status);
			uprintf("  task %ld, generation %ld: child %ld ended with %lu; shared page %ld, "
				"own page %ld, data %ld\n", task_self(), gen, id, status,
				*(volatile long *)shared, *(volatile long *)own, demo_data);
			return 0;
		}
		gen++;
	}
	/* The leaf: stay a while, so that the kernel can print the tree's maps. */
	for (uint64_t start = rdtime(); rdtime() - start < 2000000;)	/* 200 ms */
		task_yield();
	uprintf("  task %ld, generation %ld (the leaf): shared page %ld, own page %ld, data %ld\n",
		task_self(), gen, *(volatile long *)shared, *(volatile long *)own, demo_data);
	return 0;
}
USER_PROGRAM(demo_tree);
