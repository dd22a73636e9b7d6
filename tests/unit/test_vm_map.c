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
#include "vm/vm.h"
#include "vm/vm_fault.h"
#include "vm/vm_object.h"

#define RAM_BASE	0x80000000ul
#define RAM_SIZE	(32ul << 20)
#define WIN		0x10000000ul	/* the model covers [WIN, WIN + MODEL_PAGES pages) */
#define MODEL_PAGES	96

struct model_page {
	bool mapped;
	vm_prot_t prot, max;
	uint64_t value;
};

static struct model_page model[MODEL_PAGES];
static int reports;
static uint64_t rng = 0x2545f4914f6cdd1dul;

static void count_report(const char *fmt, ...)
{
	(void)fmt;
	reports++;
}

static uint64_t rnd(uint64_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng % n;
}

static void setup_once(void)
{
	static const struct vm_phys_seg seg[] = {
		{ .start = RAM_BASE, .end = RAM_BASE + RAM_SIZE },
	};
	static int done;

	if (done++)
		return;
	fake_pmap_ram(RAM_BASE, RAM_SIZE);
	vm_page_startup(seg, 1);
	vm_object_bootstrap();
}

static vm_map_t new_map(void)
{
	return vm_map_create(pmap_create(), PAGE_SIZE, PMAP_USER_END);
}

/* The trap's order: the quick path first, vm_fault when it declines. */
static kern_return_t fault_like_the_trap(vm_map_t map, vm_offset_t va, vm_prot_t type)
{
	return vm_fault_quick(map, va, type) ? KERN_SUCCESS : vm_fault(map, va, type);
}

/* The MMU's view: the fault that makes va accessible, then the access. */
static kern_return_t map_write(vm_map_t map, vm_offset_t va, uint64_t v)
{
	kern_return_t kr = fault_like_the_trap(map, va, VM_PROT_WRITE);
	vm_paddr_t pa;

	if (kr != KERN_SUCCESS)
		return kr;
	if (!(fake_pmap_prot(map->pmap, va) & VM_PROT_WRITE) || pmap_extract(map->pmap, va, &pa))
		return KERN_FAILURE;	/* the fault did not leave a writable mapping */
	*(uint64_t *)pmap_direct_map(pa) = v;
	return KERN_SUCCESS;
}

static kern_return_t map_read(vm_map_t map, vm_offset_t va, uint64_t *v)
{
	kern_return_t kr = fault_like_the_trap(map, va, VM_PROT_READ);
	vm_paddr_t pa;

	if (kr == KERN_SUCCESS && !(kr = pmap_extract(map->pmap, va, &pa)))
		*v = *(uint64_t *)pmap_direct_map(pa);
	return kr;
}

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
	object = vm_map_lookup_entry_locked(map, a)->object;
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

/* model_op_*: one random operation on map and on the model; false if they disagree. */
static bool model_allocate(vm_map_t map)
{
	uint64_t first = rnd(MODEL_PAGES), n = 1 + rnd(8);
	vm_address_t a = WIN + ptoa(first);
	bool free_range = first + n <= MODEL_PAGES;
	kern_return_t kr;

	for (uint64_t i = first; free_range && i < first + n; i++)
		free_range = !model[i].mapped;
	if (first + n > MODEL_PAGES)
		return true;
	kr = vm_allocate(map, &a, ptoa(n), VM_FLAGS_FIXED);
	if (kr != (free_range ? KERN_SUCCESS : KERN_NO_SPACE))
		return false;
	for (uint64_t i = first; free_range && i < first + n; i++)
		model[i] = (struct model_page){ true, VM_PROT_DEFAULT, VM_PROT_ALL, 0 };
	return true;
}

static bool model_deallocate(vm_map_t map)
{
	uint64_t first = rnd(MODEL_PAGES), n = 1 + rnd(MODEL_PAGES - first);

	if (vm_deallocate(map, WIN + ptoa(first), ptoa(n)) != KERN_SUCCESS)
		return false;
	for (uint64_t i = first; i < first + n; i++)
		model[i].mapped = false;
	return true;
}

static bool model_protect(vm_map_t map)
{
	uint64_t first = rnd(MODEL_PAGES), n = 1 + rnd(MIN(8, MODEL_PAGES - first));
	vm_prot_t prot = (vm_prot_t)rnd(8);
	bool set_max = rnd(4) == 0, hole = false, over = false;
	kern_return_t want, kr;

	for (uint64_t i = first; i < first + n; i++) {
		hole |= !model[i].mapped;
		over |= model[i].mapped && (prot & ~model[i].max);
	}
	want = hole ? KERN_INVALID_ADDRESS : over ? KERN_PROTECTION_FAILURE : KERN_SUCCESS;
	kr = vm_protect(map, WIN + ptoa(first), ptoa(n), set_max, prot);
	if (kr != want)
		return false;
	for (uint64_t i = first; kr == KERN_SUCCESS && i < first + n; i++) {
		if (set_max) {
			model[i].max = prot;
			model[i].prot &= prot;
		} else {
			model[i].prot = prot;
		}
	}
	return true;
}

static bool model_write(vm_map_t map)
{
	uint64_t i = rnd(MODEL_PAGES), v = rng;
	kern_return_t want = !model[i].mapped ? KERN_INVALID_ADDRESS
			     : !(model[i].prot & VM_PROT_WRITE) ? KERN_PROTECTION_FAILURE : KERN_SUCCESS;

	if (map_write(map, WIN + ptoa(i), v) != want)
		return false;
	if (want == KERN_SUCCESS)
		model[i].value = v;
	return true;
}

static bool model_read(vm_map_t map)
{
	uint64_t i = rnd(MODEL_PAGES), v = 0;
	kern_return_t want = !model[i].mapped ? KERN_INVALID_ADDRESS
			     : !(model[i].prot & VM_PROT_READ) ? KERN_PROTECTION_FAILURE : KERN_SUCCESS;

	if (map_read(map, WIN + ptoa(i), &v) != want)
		return false;
	return want != KERN_SUCCESS || v == model[i].value;
}

/* model_fork: a child sees the parent's readable data; its writes stay its own. */
static bool model_fork(vm_map_t map)
{
	vm_map_t child = vm_map_fork(map);
	bool ok = child != NULL;

	for (uint64_t i = 0; ok && i < MODEL_PAGES; i++) {
		uint64_t v = 0;

		if (!model[i].mapped || !(model[i].prot & VM_PROT_READ))
			continue;
		ok = map_read(child, WIN + ptoa(i), &v) == KERN_SUCCESS && v == model[i].value;
		if (ok && (model[i].prot & VM_PROT_WRITE))
			ok = map_write(child, WIN + ptoa(i), ~v) == KERN_SUCCESS;
	}
	ok = ok && vm_map_check(child, count_report) == 0;
	if (child)
		vm_map_deallocate(child);
	return ok;
}

UTEST(vm_map, random_operations_match_the_model)
{
	static bool (*const ops[])(vm_map_t) = {
		model_allocate, model_allocate, model_deallocate, model_protect,
		model_write, model_write, model_read, model_read, model_fork,
	};
	static const char *const names[] = { "allocate", "allocate", "deallocate", "protect",
					     "write", "write", "read", "read", "fork" };
	vm_map_t map;
	uint64_t free0;

	setup_once();
	free0 = vm_page_free_count();
	map = new_map();
	UT_ASSERT(map != NULL);
	memset(model, 0, sizeof(model));
	for (int step = 0; step < 4000; step++) {
		unsigned op = (unsigned)rnd(sizeof(ops) / sizeof(ops[0]));

		if (!ops[op](map)) {
			UT_EXPECT(!"map and model disagree");
			printf("  at step %d (%s)\n", step, names[op]);
			vm_map_print(map, true, printf);
			break;
		}
		UT_ASSERT(vm_map_check(map, count_report) == 0);
	}
	vm_map_deallocate(map);
	UT_EXPECT_EQ(vm_object_count(), 0);
	UT_EXPECT_EQ(vm_map_entry_count(), 0);
	UT_EXPECT_EQ(vm_page_free_count(), free0);
	UT_EXPECT_EQ(reports, 0);
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
		longest = MAX(longest, vm_object_chain_length(vm_map_lookup_entry_locked(map, a)->object));
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
	struct vm_map_entry *first, *mid;
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
	reports = 0;
	vm_map_deallocate(map);
	UT_EXPECT_EQ(vm_object_count(), 0);
}

int main(int argc, char **argv)
{
	return utest_main(argc, argv);
}
