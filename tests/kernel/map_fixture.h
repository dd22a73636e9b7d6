/*
 * map_fixture.h: an empty user address space for suites, and a word read
 * or written in one the way the kernel reaches a task's memory (copyin /
 * copyout with the map as the thread's).
 */
#ifndef TESTS_KERNEL_MAP_FIXTURE_H
#define TESTS_KERNEL_MAP_FIXTURE_H

#include <stdbool.h>
#include <stdint.h>

#include "vm/vm_map.h"

/* map_fixture_user: a new map over the user half with a pmap of its own; NULL on shortage. */
vm_map_t map_fixture_user(void);
/* map_fixture_put: store v at va of map; false if the store faults. */
bool map_fixture_put(vm_map_t map, vm_offset_t va, uint64_t v);
/* map_fixture_get: the word at va of map; ~0 if the load faults. */
uint64_t map_fixture_get(vm_map_t map, vm_offset_t va);

#endif
