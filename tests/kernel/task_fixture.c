/*
 * task_fixture.c: see task_fixture.h.
 */
#include "task/task.h"
#include "tests/kernel/task_fixture.h"

uint64_t task_fixture_run(const char *program, long arg)
{
	task_t t;
	uint64_t status;

	if (task_spawn(program, arg, &t) != KERN_SUCCESS || task_wait(t, &status) != KERN_SUCCESS)
		return ~0ull;
	return status;
}
