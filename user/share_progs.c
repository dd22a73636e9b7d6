/*
 * share_progs.c: programs of the submap_share suite
 * (tests/kernel/submap_share_test.c): the image's data submap as the
 * reference's shared-library DATA, and changes in a submap reaching every
 * task that maps it.
 */
#include "user/ulib.h"

/* Initialised data of the image: in its data submap, each task's writes its own copy. */
static volatile long lib_counter = 1000;

/* yield_ticks: yield for ticks of the timer (10 MHz). */
static void yield_ticks(uint64_t ticks)
{
	for (uint64_t start = rdtime(); rdtime() - start < ticks;)
		task_yield();
}

/*
 * lib_data: lib_counter starts at 1000 in every task; this task writes
 * 1000 + arg and, while the others write theirs, keeps reading its own.
 */
static long lib_data(long arg)
{
	if (lib_counter != 1000)
		return ufail("lib_data", 1);
	lib_counter = 1000 + arg;
	yield_ticks(500000);	/* 50 ms */
	return lib_counter == 1000 + arg ? 0 : ufail("lib_data", 2);
}
USER_PROGRAM(lib_data);

/*
 * lib_fork: the image's data after a fork: the child starts with a copy
 * of what its parent wrote, and what each writes next is its own.
 */
static long lib_fork(long arg)
{
	long child, id;
	uint64_t status;

	lib_counter = 1;
	if (task_fork(&child) != KERN_SUCCESS)
		return ufail("lib_fork", 1);
	if (child == 0) {
		if (lib_counter != 1)
			return ufail("lib_fork", 2);
		lib_counter = 2;
		return 0;
	}
	if (task_wait(child, &id, &status) != KERN_SUCCESS || status != 0)
		return ufail("lib_fork", 3);
	return lib_counter == 1 ? 0 : ufail("lib_fork", 4);
}
USER_PROGRAM(lib_fork);

/*
 * lib_probe: after 200 ms, read the word at arg (the kernel maps it into
 * the data submap meanwhile): it must be 0x5ba5e; then go on reading it
 * until the kernel takes it out of the submap again: that read ends the
 * task with a load page fault.
 */
static long lib_probe(long arg)
{
	volatile long *p = (volatile long *)arg;

	yield_ticks(2000000);
	if (*p != 0x5ba5e)
		return ufail("lib_probe", 1);
	for (;;) {
		(void)*p;
		task_yield();
	}
}
USER_PROGRAM(lib_probe);

/*
 * lib_poke: after 200 ms, read the word at arg (0x5ba5e, mapped into the
 * data submap by the kernel meanwhile); wait until the kernel sets the
 * word of the next page to 1 (it lowered the first page's protection to
 * read-only in the submap just before); then write the first word: the
 * lowered protection must stop it (a store page fault ends the task).
 */
static long lib_poke(long arg)
{
	volatile long *p = (volatile long *)arg, *flag = p + PAGE_SIZE / sizeof(long);

	yield_ticks(2000000);
	if (*p != 0x5ba5e)
		return ufail("lib_poke", 1);
	while (*flag != 1)
		task_yield();
	*p = 2;
	return ufail("lib_poke", 2);
}
USER_PROGRAM(lib_poke);
