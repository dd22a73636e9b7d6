/*
 * region_fixture.h: one anonymous object mapped at a fixed address of a
 * map of its own, for suites and benchmarks that move its pages through
 * the object (UPLs, the pager) and fault them through the map.
 */
#ifndef TESTS_KERNEL_REGION_FIXTURE_H
#define TESTS_KERNEL_REGION_FIXTURE_H

#include <stdbool.h>
#include <stdint.h>

#include "vm/vm_map.h"
#include "vm/vm_object.h"

struct region_fixture {
	vm_map_t map;
	vm_object_t object;		/* referenced (the map holds another reference) */
	uint64_t npages;
};

/*
 * region_fixture_make: npages of a fresh object at base of a new map.
 * => false if memory ran out (region_fixture_drop still cleans up)
 */
bool region_fixture_make(struct region_fixture *r, vm_offset_t base, uint64_t npages);
/* region_fixture_drop: map and object go, and their swap slots once no one else holds them. */
void region_fixture_drop(struct region_fixture *r);

#endif
