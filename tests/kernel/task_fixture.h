/*
 * task_fixture.h: run one of the image's programs as a task, for the task
 * suites and benchmarks.
 */
#ifndef TESTS_KERNEL_TASK_FIXTURE_H
#define TESTS_KERNEL_TASK_FIXTURE_H

#include <stdint.h>

/* task_fixture_run: spawn program with arg and wait for it: its status word; ~0 if it never ran. */
uint64_t task_fixture_run(const char *program, long arg);

#endif
