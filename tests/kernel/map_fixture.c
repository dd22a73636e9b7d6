/*
 * map_fixture.c: see map_fixture.h.
 */
#include "kern/thread.h"
#include "tests/kernel/map_fixture.h"
#include "vm/pmap.h"
#include "vm/vm_user.h"

vm_map_t map_fixture_user(void)
{
	pmap_t p = pmap_create();

	return p ? vm_map_create(p, PAGE_SIZE, PMAP_USER_END) : NULL;
}

bool map_fixture_put(vm_map_t map, vm_offset_t va, uint64_t v)
{
	int err;

	thread_set_map(map);
	err = copyout(&v, (void *)va, sizeof(v));
	thread_set_map(NULL);
	return err == 0;
}

uint64_t map_fixture_get(vm_map_t map, vm_offset_t va)
{
	uint64_t v = ~0ull;

	thread_set_map(map);
	if (copyin((const void *)va, &v, sizeof(v)) != 0)
		v = ~0ull;
	thread_set_map(NULL);
	return v;
}
