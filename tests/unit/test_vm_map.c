/*
 * test_vm_map.c: maps, objects, faults and fork on the host (fake pmap,
 * ASan/UBSan), driven by random operations against a reference model: a
 * page-by-page picture of what the map must hold.  vm_map_check runs after
 * every operation; the fake pmap stands in for the MMU (a write needs a
 * mapping with write permission).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kern/kernel.h"
#include "tests/unit/fake_pmap.h"
#include "tests/unit/utest.h"
#include "tests/unit/vm_model.h"
#include "vm/vm.h"
#include "vm/vm_fault.h"
#include "vm/vm_object.h"
#include "vm/vm_zone.h"

#define WIN		VM_MODEL_BASE

static int reports;

static void count_report(const char *fmt, ...)
{
	(void)fmt;
	reports++;
}

static void setup_once(void)
{
	vm_model_setup();
}

static vm_map_t new_map(void)
{
	return vm_map_create(pmap_create(), PAGE_SIZE, PMAP_USER_END);
}

#define map_write	vm_model_map_write
#define map_read	vm_model_map_read

UTEST(vm_map, basic_calls)
{
	vm_map_t map;
	vm_address_t a = 0, b = WIN;
	vm_region_basic_info_data_t info;
	vm_size_t size;
	uint64_t v = 1;

	setup_once();
	map = new_map();
	UT_ASSERT(map != NULL);
	UT_EXPECT_EQ(vm_allocate(map, &a, 3 * PAGE_SIZE, VM_FLAGS_ANYWHERE), KERN_SUCCESS);
	UT_EXPECT_EQ(a, PAGE_SIZE);
	UT_EXPECT_EQ(vm_allocate(map, &b, PAGE_SIZE, VM_FLAGS_FIXED), KERN_SUCCESS);
	UT_EXPECT_EQ(vm_allocate(map, &b, PAGE_SIZE, VM_FLAGS_FIXED), KERN_NO_SPACE);
	UT_EXPECT_EQ(map_read(map, b, &v), KERN_SUCCESS);
	UT_EXPECT_EQ(v, 0);
	UT_EXPECT_EQ(vm_protect(map, b, PAGE_SIZE, TRUE, VM_PROT_READ), KERN_SUCCESS);
	UT_EXPECT_EQ(map_write(map, b, 2), KERN_PROTECTION_FAILURE);
	UT_EXPECT_EQ(vm_region(map, &b, &size, &info), KERN_SUCCESS);
	UT_EXPECT_EQ(info.max_protection, VM_PROT_READ);
	UT_EXPECT_EQ(vm_map_check(map, count_report), 0);
	vm_map_deallocate(map);
	UT_EXPECT_EQ(vm_object_count(), 0);
}

/* object_at: the object of map's entry at va (looked up under the map's lock). */
static vm_object_t object_at(vm_map_t map, vm_offset_t va)
{
	vm_object_t object;

	rw_lock_read(&map->lock);
	object = vm_map_lookup_entry_locked(map, va)->object;
	rw_unlock_read(&map->lock);
	return object;
}

/* quick_declines: vm_fault_quick turns the fault down and maps nothing. */
static bool quick_declines(vm_map_t map, vm_offset_t va, vm_prot_t type)
{
	return !vm_fault_quick(map, va, type) && fake_pmap_prot(map->pmap, va) == VM_PROT_NONE;
}

UTEST(vm_map, quick_fault_takes_only_what_it_can)
{
	struct vm_fault_stats s0, s1;
	vm_map_t map, child;
	vm_address_t a = WIN;
	vm_object_t object;
	vm_paddr_t pa, pa2;
	vm_page_t m;
	uint64_t v = 0;

	setup_once();
	map = new_map();
	UT_ASSERT(map && vm_allocate(map, &a, 4 * PAGE_SIZE, VM_FLAGS_FIXED) == KERN_SUCCESS);
	UT_EXPECT(quick_declines(map, a, VM_PROT_WRITE));	/* no object yet: vm_fault makes it */
	UT_EXPECT_EQ(vm_fault(map, a, VM_PROT_WRITE), KERN_SUCCESS);
	vm_fault_stats_get(&s0);
	UT_EXPECT(vm_fault_quick(map, a + PAGE_SIZE, VM_PROT_WRITE));	/* a zero fill */
	UT_EXPECT_EQ(fake_pmap_prot(map->pmap, a + PAGE_SIZE), VM_PROT_DEFAULT);
	UT_ASSERT(pmap_extract(map->pmap, a + PAGE_SIZE, &pa) == KERN_SUCCESS);
	*(uint64_t *)pmap_direct_map(pa) = 0x55;
	pmap_remove(map->pmap, a, a + 4 * PAGE_SIZE);
	UT_EXPECT(vm_fault_quick(map, a + PAGE_SIZE, VM_PROT_READ));	/* a soft fault */
	UT_EXPECT_EQ(fake_pmap_prot(map->pmap, a + PAGE_SIZE), VM_PROT_DEFAULT);
	UT_EXPECT_EQ(pmap_extract(map->pmap, a + PAGE_SIZE, &pa2), KERN_SUCCESS);
	UT_EXPECT_EQ(pa2, pa);
	vm_fault_stats_get(&s1);
	UT_EXPECT_EQ(s1.zero_fill - s0.zero_fill, 1);
	UT_EXPECT_EQ(s1.soft - s0.soft, 1);
	UT_EXPECT_EQ(s1.soft_quick - s0.soft_quick, 1);
	pmap_remove(map->pmap, a, a + 4 * PAGE_SIZE);

	/* What it leaves to vm_fault, changing nothing. */
	UT_EXPECT(!vm_fault_quick(NULL, a, VM_PROT_READ));
	UT_EXPECT(quick_declines(map, a + 8 * PAGE_SIZE, VM_PROT_READ));	/* no entry */
	rw_lock_write(&map->lock);
	UT_EXPECT(quick_declines(map, a, VM_PROT_READ));
	rw_unlock_write(&map->lock);
	object = object_at(map, a);
	mutex_lock(&object->lock);
	UT_EXPECT(quick_declines(map, a, VM_PROT_READ));
	m = vm_page_lookup(object, 0);
	UT_ASSERT(m != NULL);
	mutex_unlock(&object->lock);
	m->busy = true;
	UT_EXPECT(quick_declines(map, a, VM_PROT_READ));
	m->busy = false;
	UT_EXPECT_EQ(vm_protect(map, a, PAGE_SIZE, FALSE, VM_PROT_READ), KERN_SUCCESS);
	UT_EXPECT(quick_declines(map, a, VM_PROT_WRITE));
	UT_EXPECT_EQ(vm_protect(map, a, PAGE_SIZE, FALSE, VM_PROT_DEFAULT), KERN_SUCCESS);

	/* After a fork: a read maps the shared page read-only; a write is a copy. */
	child = vm_map_fork(map);
	UT_ASSERT(child != NULL);
	UT_EXPECT(quick_declines(map, a + PAGE_SIZE, VM_PROT_WRITE));	/* needs_copy */
	UT_EXPECT(vm_fault_quick(map, a + PAGE_SIZE, VM_PROT_READ));
	UT_EXPECT_EQ(fake_pmap_prot(map->pmap, a + PAGE_SIZE), VM_PROT_READ);
	UT_EXPECT_EQ(map_write(map, a, 7), KERN_SUCCESS);		/* the shadow comes */
	pmap_remove(map->pmap, a + PAGE_SIZE, a + 2 * PAGE_SIZE);
	UT_EXPECT(quick_declines(map, a + PAGE_SIZE, VM_PROT_READ));	/* below the shadow */
	UT_EXPECT_EQ(map_read(map, a + PAGE_SIZE, &v), KERN_SUCCESS);
	UT_EXPECT_EQ(v, 0x55);
	UT_EXPECT_EQ(map_read(child, a, &v), KERN_SUCCESS);
	UT_EXPECT_EQ(v, 0);
	UT_EXPECT_EQ(vm_map_check(map, count_report), 0);
	vm_map_deallocate(child);
	vm_map_deallocate(map);
	UT_EXPECT_EQ(vm_object_count(), 0);
}

/* Random bytes choose 4,000 operations on the model (tests/unit/vm_model.h). */
UTEST(vm_map, random_operations_match_the_model)
{
	static struct vm_model m;
	static uint8_t in[4000 * 8];
	uint64_t free0 = vm_model_setup(), x = 0x2545f4914f6cdd1dul;

	for (size_t i = 0; i < sizeof(in); i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		in[i] = (uint8_t)x;
	}
	UT_ASSERT(vm_model_start(&m, in, sizeof(in)));
	while (vm_model_step(&m))
		continue;
	if (m.failure[0]) {
		printf("  %s\n", m.failure);
		vm_map_print(m.map, true, printf);
	}
	UT_EXPECT_STREQ(m.failure, "");
	UT_EXPECT(m.ops >= 3000);
	UT_EXPECT(vm_model_finish(&m));
	UT_EXPECT_EQ(zone_free_pages(), free0);
}

UTEST(vm_map, fork_chain_stays_short)
{
	vm_map_t map;
	vm_address_t a = WIN;
	int longest = 0;

	setup_once();
	map = new_map();
	UT_ASSERT(map && vm_allocate(map, &a, 4 * PAGE_SIZE, VM_FLAGS_FIXED) == KERN_SUCCESS);
	for (int i = 0; i < 1000; i++) {
		vm_map_t child = vm_map_fork(map);

		UT_ASSERT(child != NULL);
		UT_ASSERT(map_write(child, a, (uint64_t)i) == KERN_SUCCESS);
		UT_ASSERT(map_write(map, a + ptoa(i % 4), (uint64_t)i) == KERN_SUCCESS);
		vm_map_deallocate(child);
		longest = MAX(longest, vm_object_chain_length(object_at(map, a)));
	}
	UT_EXPECT(longest <= 3);
	vm_map_deallocate(map);
	UT_EXPECT_EQ(vm_object_count(), 0);
}

/*
 * corrupt: set field to bad, expect vm_map_check to report it, put it
 * back and expect a clean check: each invariant the checkers promise is
 * one a broken map fails.
 */
#define CORRUPT(map, field, bad)						\
	do {									\
		__typeof__(field) saved_ = (field);				\
		(field) = (bad);						\
		reports = 0;							\
		UT_EXPECT(vm_map_check((map), count_report) > 0);		\
		UT_EXPECT(reports > 0);						\
		(field) = saved_;						\
		UT_EXPECT_EQ(vm_map_check((map), count_report), 0);		\
	} while (0)

UTEST(vm_map, checkers_catch_each_corruption)
{
	vm_map_t map;
	vm_address_t a = WIN, b = WIN + 8 * PAGE_SIZE;
	struct vm_map_entry *first, *mid, stray = { 0 };
	vm_object_t object;

	setup_once();
	map = new_map();
	UT_ASSERT(map && vm_allocate(map, &a, 4 * PAGE_SIZE, VM_FLAGS_FIXED) == KERN_SUCCESS);
	UT_ASSERT(vm_allocate(map, &b, PAGE_SIZE, VM_FLAGS_FIXED) == KERN_SUCCESS);
	for (int i = 0; i < 4; i++)
		UT_ASSERT(map_write(map, a + ptoa(i), (uint64_t)i) == KERN_SUCCESS);
	/* Three entries over one object: its references are counted in a run. */
	UT_ASSERT(vm_protect(map, a + PAGE_SIZE, PAGE_SIZE, TRUE, VM_PROT_READ) == KERN_SUCCESS);
	UT_ASSERT(map->nentries == 4);
	UT_EXPECT_EQ(vm_map_check(map, count_report), 0);
	first = map->first;
	mid = first->next;
	object = mid->object;
	UT_ASSERT(object && first->object == object && mid->next->object == object);
	CORRUPT(map, mid->protection, VM_PROT_ALL);		/* above max_protection */
	CORRUPT(map, mid->inheritance, 7);
	CORRUPT(map, mid->behavior, 9);
	CORRUPT(map, mid->start, first->start);			/* overlaps the entry before */
	CORRUPT(map, mid->end, mid->start);			/* empty */
	CORRUPT(map, mid->gap_before, PAGE_SIZE);
	CORRUPT(map, map->root->max_gap, map->root->max_gap + PAGE_SIZE);
	CORRUPT(map, map->root->height, map->root->height + 1);
	UT_ASSERT(map->root->left != NULL);
	CORRUPT(map, map->root->left->parent, map->root->left);
	CORRUPT(map, map->last, mid);
	CORRUPT(map, map->nentries, 5);
	CORRUPT(map, map->size, map->size + PAGE_SIZE);
	CORRUPT(map, mid->offset, object->size);		/* past the object's end */
	CORRUPT(map, object->ref_count, 2);			/* three entries hold it */
	CORRUPT(map, object->resident_count, 3);
	CORRUPT(map, mid->next->prev, first);
	CORRUPT(map, map->hint, &stray);			/* the hint names no entry of the map */
	reports = 0;
	vm_map_deallocate(map);
	UT_EXPECT_EQ(vm_object_count(), 0);
}

int main(int argc, char **argv)
{
	return utest_main(argc, argv);
}
