/*
 * paging_chains_test.c: shadow chains built under paging stay short.  A
 * map is forked, half written, paged out and its child let go, round
 * after round: each round's copy-on-write adds a shadow, and the collapse
 * that follows the child's exit absorbs the object below, paged-out pages
 * and all (their swap slots change hands; vm_pager_absorb).
 */
#include "kern/thread.h"
#include "tests/kernel/ktest.h"
#include "tests/kernel/map_fixture.h"
#include "vm/default_pager.h"
#include "vm/vm_map.h"
#include "vm/vm_object.h"
#include "vm/vm_pager.h"
#include "vm/vm_upl.h"
#include "vm/vm_user.h"

KTEST_RUN(paging_chains, "test=paging_chains swap=swap", "-m 64M -smp 1 --blk swap:64M");
KTEST_RUN(paging_chains.smp4, "test=paging_chains swap=swap", "-m 32M -smp 4 --blk swap:64M");

#define BASE	0x10000000ul
#define PAGES	(2 * DP_CLUSTER_PAGES)
#define ROUNDS	8
#define CHAIN_MAX 3

/*
 * fill / check: page i holds round * 1000 + i; fill writes the first half
 * only after round 0, so that no shadow ever holds every page (a bypass
 * would shorten the chain without a collapse), and the second half keeps
 * round 0's values.
 */
static uint64_t value(uint64_t round, uint64_t i)
{
	return (i < PAGES / 2 ? round : 0) * 1000 + i;
}

static bool fill(vm_map_t map, uint64_t round)
{
	bool ok = true;

	thread_set_map(map);
	for (uint64_t i = 0; i < (round ? PAGES / 2 : PAGES) && ok; i++) {
		uint64_t v = value(round, i);

		ok = copyout(&v, (void *)(BASE + ptoa(i)), sizeof(v)) == 0;
	}
	thread_set_map(NULL);
	return ok;
}

static bool check(vm_map_t map, uint64_t round)
{
	bool ok = true;

	thread_set_map(map);
	for (uint64_t i = 0; i < PAGES && ok; i++) {
		uint64_t v = ~0ull;

		ok = copyin((const void *)(BASE + ptoa(i)), &v, sizeof(v)) == 0 && v == value(round, i);
	}
	thread_set_map(NULL);
	return ok;
}

/* top_object: the object of the entry at BASE, referenced. */
static vm_object_t top_object(vm_map_t map)
{
	vm_map_entry_t e;
	vm_object_t obj = NULL;

	rw_lock_read(&map->lock);
	if ((e = vm_map_lookup_entry_locked(map, BASE)) && !e->is_submap && (obj = e->object))
		vm_object_reference(obj);
	rw_unlock_read(&map->lock);
	return obj;
}

/* page_out: the top object's dirty pages go to the store, a cluster per UPL; returns how many. */
static uint32_t page_out(vm_map_t map)
{
	vm_object_t obj = top_object(map);
	uint32_t n = 0;

	for (uint64_t c = 0; obj && c < PAGES; c += DP_CLUSTER_PAGES) {
		upl_t upl;

		if (upl_request(obj, ptoa(c), ptoa(DP_CLUSTER_PAGES), UPL_RETURN_ONLY_DIRTY,
				&upl) != KERN_SUCCESS)
			break;
		n += upl->count;
		EXPECT_EQ(vm_pager_data_return(obj, upl), KERN_SUCCESS);
	}
	if (obj)
		vm_object_deallocate(obj);
	return n;
}

static int chain_length(vm_map_t map)
{
	vm_object_t obj = top_object(map);
	int n = obj ? vm_object_chain_length(obj) : 0;

	if (obj)
		vm_object_deallocate(obj);
	return n;
}

KTEST(paging_chains, fork_write_page_out_repeat_stays_short)
{
	vm_map_t map = map_fixture_user();
	vm_address_t a = BASE;
	struct default_pager_stats st0, st;
	int longest = 0;

	ASSERT_TRUE(map && vm_pager_default);
	default_pager_stats(&st0);
	ASSERT_EQ(vm_allocate(map, &a, ptoa(PAGES), VM_FLAGS_FIXED), KERN_SUCCESS);
	ASSERT_TRUE(fill(map, 0));
	for (uint64_t round = 1; round <= ROUNDS; round++) {
		vm_map_t child = vm_map_fork(map);

		ASSERT_TRUE(child != NULL);
		EXPECT_TRUE(fill(map, round));		/* copy-on-write: a new shadow */
		EXPECT_EQ(page_out(map), PAGES / 2);
		EXPECT_TRUE(check(child, round - 1));	/* the child's view, paged in */
		vm_map_deallocate(child);
		EXPECT_TRUE(check(map, round));		/* paged back in */
		longest = MAX(longest, chain_length(map));
	}
	EXPECT_LE(longest, CHAIN_MAX);
	kprintf("    longest chain over %d rounds: %d objects\n", ROUNDS, longest);
	EXPECT_EQ(vm_map_check(map, NULL), 0);
	vm_map_deallocate(map);
	default_pager_stats(&st);
	EXPECT_EQ(st.used_pages, st0.used_pages);	/* every slot given back */
}
