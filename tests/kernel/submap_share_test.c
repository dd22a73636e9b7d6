/*
 * submap_share_test.c: submaps shared by tasks, as the Mach VM reference
 * describes them.  The user image is its shared-library example: text in a
 * submap every task nests (use_pmap: one copy of the pages and of their
 * page tables), data in a submap every task maps without use_pmap (the
 * structure shared, each task's written pages its own).  Changes made in
 * a submap reach every task that maps it.  (The kernel-level cases of
 * both kinds of parent are in vm_test.c.)
 */
#include "kern/thread.h"
#include "platform/riscv/riscv.h"
#include "task/task.h"
#include "task/user_image.h"
#include "tests/kernel/ktest.h"
#include "tests/kernel/task_fixture.h"
#include "vm/vm_map.h"
#include "vm/vm_user.h"

KTEST_RUN(submap_share, "test=submap_share", "-m 64M -smp 1");
KTEST_RUN(submap_share.smp4, "test=submap_share swap=swap", "-m 32M -smp 4 --blk swap:64M");

#define TASKS	3

KTEST(submap_share, shared_library_text_and_private_data_in_three_tasks)
{
	vm_map_t text = user_image_text_map();
	uint64_t text_pages, status;
	task_t t[TASKS];

	ASSERT_TRUE(text && user_image_data_map());
	text_pages = pmap_resident_count(text->pmap);
	for (int i = 0; i < TASKS; i++)
		ASSERT_EQ(task_spawn("lib_data", i + 1, &t[i]), KERN_SUCCESS);
	for (int i = 0; i < TASKS; i++) {
		EXPECT_EQ(task_wait(t[i], &status), KERN_SUCCESS);
		EXPECT_EQ(status, 0);	/* each saw the initial value, then only its own */
	}
	/* The data submap still holds the initial value: a task started now sees it. */
	EXPECT_EQ(task_fixture_run("lib_data", 4), 0);
	/* One copy of the text's pages and page tables served them all. */
	EXPECT_EQ(pmap_resident_count(text->pmap), text_pages);
}

/* A fork copies the data a task wrote: parent and child go on with their own. */
KTEST(submap_share, fork_copies_the_data_a_task_wrote)
{
	EXPECT_EQ(task_fixture_run("lib_fork", 0), 0);
	EXPECT_EQ(task_fixture_run("lib_data", 5), 0);	/* the image's data as it was */
}

/* maps_in: task's pmap maps va (its map looked up through a reference). */
static bool maps_in(task_t task, vm_offset_t va)
{
	vm_map_t map = task_map_reference(task);
	vm_paddr_t pa;
	bool mapped = map && pmap_extract(map->pmap, va, &pa) == KERN_SUCCESS;

	if (map)
		vm_map_deallocate(map);
	return mapped;
}

/* all_map: every task's pmap maps va, waited for up to ~10 s. */
static bool all_map(task_t *t, int n, vm_offset_t va)
{
	for (int tries = 0; tries < 1000; tries++) {
		int mapped = 0;

		for (int i = 0; i < n; i++)
			mapped += maps_in(t[i], va);
		if (mapped == n)
			return true;
		thread_sleep_ns(10 * 1000 * 1000);
	}
	return false;
}

/* submap_write: store v at va of submap (the calling thread runs in it meanwhile). */
static int submap_write(vm_map_t submap, vm_offset_t va, uint64_t v)
{
	int err;

	thread_set_map(submap);
	err = copyout(&v, (void *)va, sizeof(v));
	thread_set_map(NULL);
	return err;
}

/*
 * probes_start: TASKS tasks run program with the address va, then npages
 * are mapped at va of the data submap, the first word 0x5ba5e; it returns
 * once each task's pmap maps va (the tasks have read it).
 */
static void probes_start(const char *program, vm_address_t va, vm_size_t npages, task_t *t)
{
	vm_map_t data = user_image_data_map();

	ASSERT_TRUE(data != NULL);
	for (int i = 0; i < TASKS; i++)
		ASSERT_EQ(task_spawn(program, (long)va, &t[i]), KERN_SUCCESS);
	/* Added now, while they wait (200 ms) before their first read. */
	ASSERT_EQ(vm_allocate(data, &va, ptoa(npages), VM_FLAGS_FIXED), KERN_SUCCESS);
	EXPECT_EQ(submap_write(data, va, 0x5ba5e), 0);
	EXPECT_TRUE(all_map(t, TASKS, va));
}

/* probes_end: every task ended with status. */
static void probes_end(task_t *t, uint64_t status)
{
	for (int i = 0; i < TASKS; i++) {
		uint64_t s = ~0ull;

		EXPECT_EQ(task_wait(t[i], &s), KERN_SUCCESS);
		EXPECT_EQ(s, status);
	}
}

/*
 * An object mapped into the data submap after three tasks started appears
 * in all three; taken out, it is gone from all three at once (their next
 * read of it is a fault that ends them).
 */
KTEST(submap_share, object_added_and_removed_in_the_submap_reaches_every_task)
{
	vm_address_t va = USER_DATA_BASE + USER_DATA_SIZE / 2;
	task_t t[TASKS];

	probes_start("lib_probe", va, 1, t);
	EXPECT_EQ(vm_deallocate(user_image_data_map(), va, PAGE_SIZE), KERN_SUCCESS);
	for (int i = 0; i < TASKS; i++)
		EXPECT_FALSE(maps_in(t[i], va));
	probes_end(t, TASK_STATUS_EXCEPTION | EXC_LOAD_PAGE_FAULT);
}

/*
 * Protection lowered in the data submap reaches every task that maps it:
 * after it, their write to the page faults (rather than give them their
 * own copy, as a write to a writable page of the submap would).
 */
KTEST(submap_share, protection_lowered_in_the_submap_reaches_every_task)
{
	vm_map_t data = user_image_data_map();
	vm_address_t va = USER_DATA_BASE + USER_DATA_SIZE / 2;
	task_t t[TASKS];

	probes_start("lib_poke", va, 2, t);
	EXPECT_EQ(vm_protect(data, va, PAGE_SIZE, FALSE, VM_PROT_READ), KERN_SUCCESS);
	EXPECT_EQ(submap_write(data, va + PAGE_SIZE, 1), 0);	/* go */
	probes_end(t, TASK_STATUS_EXCEPTION | EXC_STORE_PAGE_FAULT);
	EXPECT_EQ(vm_deallocate(data, va, 2 * PAGE_SIZE), KERN_SUCCESS);
}
