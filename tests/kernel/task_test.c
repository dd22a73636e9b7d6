/*
 * task_test.c: tasks in U-mode (task/task.h) running the programs of
 * user/task_progs.c: start, fork over three generations by inheritance,
 * exit and wait, exceptions that end a task and not the kernel, bad trap
 * arguments, user wiring, termination, orphans, and paging under
 * pressure.  The framework checks after every case that pages, wired
 * pages, objects, map entries and threads are back where they were; each
 * case also checks that no task is left.
 */
#include "kern/thread.h"
#include "platform/riscv/riscv.h"
#include "task/task.h"
#include "tests/kernel/ktest.h"
#include "tests/kernel/task_fixture.h"
#include "vm/default_pager.h"
#include "vm/vm_page.h"

KTEST_RUN(task, "test=task swap=swap", "-m 64M -smp 1 --blk swap:64M");
KTEST_RUN(task.smp4, "test=task swap=swap", "-m 32M -smp 4 --blk swap:64M");

KTEST(task, spawn_exit_wait)
{
	int tasks = task_count();

	EXPECT_EQ(task_fixture_run("exit_code", 0), 0);
	EXPECT_EQ(task_fixture_run("exit_code", 42), 42);
	EXPECT_EQ(task_fixture_run("exit_code", 0x7fffffff), 0x7fffffff);
	EXPECT_EQ(task_count(), tasks);
}

KTEST(task, spawn_bad_arguments)
{
	task_t t;
	uint64_t status;

	EXPECT_EQ(task_spawn("no such program", 0, &t), KERN_INVALID_ARGUMENT);
	EXPECT_EQ(task_spawn(NULL, 0, &t), KERN_INVALID_ARGUMENT);
	EXPECT_EQ(task_spawn("exit_code", 0, NULL), KERN_INVALID_ARGUMENT);
	EXPECT_EQ(task_wait(NULL, &status), KERN_INVALID_ARGUMENT);
	EXPECT_EQ(task_wait((task_t)&status, &status), KERN_INVALID_ARGUMENT);
	EXPECT_EQ(task_terminate(NULL), KERN_INVALID_ARGUMENT);
	ASSERT_EQ(task_spawn("exit_code", 3, &t), KERN_SUCCESS);
	EXPECT_EQ(task_wait(t, &status), KERN_SUCCESS);
	EXPECT_EQ(status, 3);
	/* Collected: its slot is free, so neither a second wait nor a terminate applies. */
	EXPECT_EQ(task_wait(t, &status), KERN_INVALID_ARGUMENT);
	EXPECT_EQ(task_terminate(t), KERN_INVALID_ARGUMENT);
}

KTEST(task, fork_three_generations_by_inheritance)
{
	EXPECT_EQ(task_fixture_run("forktree", 3), 0);
	EXPECT_EQ(task_count(), 0);
}

KTEST(task, exception_write_to_read_only_text)
{
	EXPECT_EQ(task_fixture_run("fault_write_text", 1), TASK_STATUS_EXCEPTION | EXC_STORE_PAGE_FAULT);
}

KTEST(task, exception_jump_into_the_kernel)
{
	EXPECT_EQ(task_fixture_run("fault_jump_kernel", 0), TASK_STATUS_EXCEPTION | EXC_INST_PAGE_FAULT);
}

KTEST(task, exception_unmapped_access)
{
	EXPECT_EQ(task_fixture_run("fault_unmapped", 0), TASK_STATUS_EXCEPTION | EXC_LOAD_PAGE_FAULT);
	/* The kernel went on: a task after it runs as before. */
	EXPECT_EQ(task_fixture_run("exit_code", 5), 5);
}

KTEST(task, exception_in_a_child_ends_only_the_child)
{
	EXPECT_EQ(task_fixture_run("fault_child", 0), 0);
}

KTEST(task, trap_arguments_are_checked)
{
	EXPECT_EQ(task_fixture_run("bad_args", 0), 0);
}

/* task_wired_pages: wired pages, with the finished tasks' thread stacks given back first. */
static uint64_t task_wired_pages(void)
{
	thread_stack_cache_trim(0);
	return vm_page_wired_count();
}

KTEST(task, user_wiring_comes_back)
{
	uint64_t wired = task_wired_pages();

	EXPECT_EQ(task_fixture_run("wire", 0), 0);
	EXPECT_EQ(task_wired_pages(), wired);
	/* Exit with the range still wired: the end of the map unwires it. */
	EXPECT_EQ(task_fixture_run("wire", 1), 0);
	EXPECT_EQ(task_wired_pages(), wired);
	/* The per-task quota counts what is wired now: a deallocate gives it back. */
	EXPECT_EQ(task_fixture_run("wire", 2), 0);
	EXPECT_EQ(task_wired_pages(), wired);
}

/* terminated: spawn program with arg, let it run 20 ms, terminate it; its status word. */
static uint64_t terminated(const char *program, long arg)
{
	task_t t;
	uint64_t status = 0;

	if (task_spawn(program, arg, &t) != KERN_SUCCESS)
		return 0;
	thread_sleep_ns(20 * 1000 * 1000);
	EXPECT_EQ(task_terminate(t), KERN_SUCCESS);
	EXPECT_EQ(task_wait(t, &status), KERN_SUCCESS);
	return status;
}

/* tasks_drain: wait (at most ~30 s: a loaded host) for tasks nobody waits for to end. */
static int tasks_drain(void)
{
	for (int i = 0; i < 3000 && task_count() > 0; i++)
		thread_sleep_ns(10 * 1000 * 1000);
	if (task_count() > 0)
		task_print_all(true, kprintf);
	return task_count();
}

KTEST(task, terminate_a_running_task)
{
	EXPECT_EQ(terminated("spin", 0), TASK_STATUS_TERMINATED);
}

KTEST(task, terminate_a_task_waiting_for_its_child)
{
	/* Its child yields for 200 ms (2 M ticks of 10 MHz), then ends on its own, orphaned. */
	EXPECT_EQ(terminated("wait_spinner", 2000000), TASK_STATUS_TERMINATED);
	EXPECT_EQ(tasks_drain(), 0);
}

KTEST(task, orphans_end_on_their_own)
{
	EXPECT_EQ(task_fixture_run("orphans", 500000), 0);
	EXPECT_EQ(tasks_drain(), 0);
}

KTEST(task, paging_under_pressure)
{
	struct default_pager_stats before, after;

	/* 24 MiB, twice over with the child: more than task.smp4's machine has (32 MiB). */
	default_pager_stats(&before);
	EXPECT_EQ(task_fixture_run("touch", 24), 0);
	default_pager_stats(&after);
	if (ptoa(vm_page_total_count()) < 48ul * 1024 * 1024) {
		/* The user faults paged out and back in. */
		EXPECT_GT(after.pageouts, before.pageouts);
		EXPECT_GT(after.pageins, before.pageins);
	}
}
