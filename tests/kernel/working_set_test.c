/*
 * working_set_test.c: working-set detection (vm/vm_ws.h).  A region paged
 * out to swap is read in a sparse pattern with VM_BEHAVIOR_RANDOM (one
 * page per pager request): the first run takes a request per line to
 * learn the line, then one for the rest of it; the second run, with the
 * profile of the first, takes one request per line; a new map seeded
 * with the exported profile does as well on its first run, also when the
 * profile went through a file of the 9P share in between.  The counts are
 * the fault path's pageins (pager requests).
 */
#include "drivers/9p/p9.h"
#include "drivers/virtio/virtio_9p.h"
#include "drivers/virtio/virtio_9p_profile.h"
#include "kern/thread.h"
#include "tests/kernel/ktest.h"
#include "vm/default_pager.h"
#include "vm/vm_fault.h"
#include "vm/vm_map.h"
#include "vm/vm_object.h"
#include "vm/vm_pager.h"
#include "vm/vm_upl.h"
#include "vm/vm_user.h"
#include "vm/vm_ws.h"

KTEST_RUN(working_set, "test=working_set swap=swap", "-m 64M -smp 1 --blk swap:64M --9p share");
KTEST_RUN(working_set.smp4, "test=working_set swap=swap", "-m 32M -smp 4 --blk swap:64M --9p share");

#define BASE	0x10000000ul			/* line-aligned */
#define LINES	4
#define PAGES	(LINES * VM_WS_LINE_PAGES)

/* The pattern: these pages of every line. */
static const int pattern[] = { 0, 5, 9, 13 };

static vm_map_t region_make(void)
{
	pmap_t p = pmap_create();
	vm_map_t map = p ? vm_map_create(p, PAGE_SIZE, PMAP_USER_END) : NULL;
	vm_address_t a = BASE;
	bool ok = map && vm_allocate(map, &a, ptoa(PAGES), VM_FLAGS_FIXED) == KERN_SUCCESS &&
		  vm_behavior_set(map, BASE, ptoa(PAGES), VM_BEHAVIOR_RANDOM) == KERN_SUCCESS;

	thread_set_map(map);
	for (uint64_t i = 0; ok && i < PAGES; i++)
		ok = copyout(&i, (void *)(BASE + ptoa(i)), sizeof(i)) == 0;
	thread_set_map(NULL);
	if (!ok && map) {
		vm_map_deallocate(map);
		map = NULL;
	}
	return map;
}

/* region_page_out: every page of the region's object goes to the store and is freed. */
static bool region_page_out(vm_map_t map)
{
	vm_map_entry_t e;
	vm_object_t obj = NULL;
	bool ok = true;

	rw_lock_read(&map->lock);
	if ((e = vm_map_lookup_entry_locked(map, BASE)) && e->object)
		vm_object_reference(obj = e->object);
	rw_unlock_read(&map->lock);
	for (uint64_t c = 0; obj && ok && c < PAGES; c += DP_CLUSTER_PAGES) {
		upl_t upl;

		ok = upl_request(obj, ptoa(c), ptoa(DP_CLUSTER_PAGES), 0, &upl) == KERN_SUCCESS &&
		     vm_pager_data_return(obj, upl) == KERN_SUCCESS;
	}
	if (obj)
		vm_object_deallocate(obj);
	return obj && ok;
}

/* run: read the pattern through map; returns the pager requests it took (-1 if data was wrong). */
static int64_t run(vm_map_t map)
{
	struct vm_fault_stats f0, f1;
	bool ok = true;

	vm_fault_stats_get(&f0);
	thread_set_map(map);
	for (uint64_t l = 0; l < LINES; l++) {
		for (unsigned i = 0; i < sizeof(pattern) / sizeof(pattern[0]); i++) {
			uint64_t page = l * VM_WS_LINE_PAGES + (uint64_t)pattern[i], v = ~0ull;

			ok = ok && copyin((const void *)(BASE + ptoa(page)), &v, sizeof(v)) == 0 && v == page;
		}
	}
	thread_set_map(NULL);
	vm_fault_stats_get(&f1);
	return ok ? (int64_t)(f1.pagein - f0.pagein) : -1;
}

KTEST(working_set, second_run_takes_fewer_requests)
{
	vm_map_t map = region_make(), fresh;
	struct vm_ws_line saved[VM_WS_LINES];
	int64_t without, first, second, seeded;
	vm_ws_t ws;
	int n;

	ASSERT_TRUE(map && vm_pager_default);
	/* No profile: a request per page of the pattern. */
	ASSERT_TRUE(region_page_out(map));
	without = run(map);
	EXPECT_EQ(without, LINES * 4);
	ASSERT_EQ(vm_map_ws_start(map, &ws), KERN_SUCCESS);
	ASSERT_TRUE(region_page_out(map));
	first = run(map);		/* learns each line on its first fault */
	ASSERT_TRUE(region_page_out(map));
	second = run(map);		/* knows them all */
	EXPECT_EQ(first, LINES * 2);
	EXPECT_EQ(second, LINES);
	EXPECT_LT(second, first);
	/* The profile seeds another map's first run. */
	n = vm_ws_export(ws, saved, VM_WS_LINES);
	EXPECT_EQ(n, LINES);
	ASSERT_TRUE((fresh = region_make()) != NULL);
	ASSERT_EQ(vm_map_ws_start(fresh, &ws), KERN_SUCCESS);
	vm_ws_import(ws, saved, n);
	ASSERT_TRUE(region_page_out(fresh));
	seeded = run(fresh);
	EXPECT_EQ(seeded, LINES);
	kprintf("    pager requests: %ld without a profile, %ld learning, %ld profiled, %ld seeded\n",
		without, first, second, seeded);
	vm_map_deallocate(fresh);
	vm_map_deallocate(map);
}

/* The profile of a run, saved to a file of the share, seeds a new map's first run. */
KTEST(working_set, profile_saved_to_the_share_seeds_a_new_map)
{
	struct virtio_9p *share = virtio_9p_find("share");
	vm_map_t map = region_make(), fresh = NULL;
	static const char junk[] = "not a profile";
	struct p9_file f;
	size_t done;
	vm_ws_t ws;

	ASSERT_TRUE(share && map);
	ASSERT_EQ(vm_map_ws_start(map, &ws), KERN_SUCCESS);
	ASSERT_TRUE(region_page_out(map));
	EXPECT_EQ(run(map), LINES * 2);		/* learning */
	EXPECT_EQ(virtio_9p_profile_save(share, "ws.profile", ws), 0);
	vm_map_deallocate(map);
	ASSERT_TRUE((fresh = region_make()) != NULL);
	ASSERT_EQ(vm_map_ws_start(fresh, &ws), KERN_SUCCESS);
	EXPECT_EQ(virtio_9p_profile_load(share, "ws.profile", ws), 0);
	ASSERT_TRUE(region_page_out(fresh));
	EXPECT_EQ(run(fresh), LINES);
	/* A missing file and one that is not a profile are errors, and change nothing. */
	EXPECT_EQ(virtio_9p_profile_load(share, "no such profile", ws), P9_ENOENT);
	ASSERT_EQ(p9_file_open(&share->client, "junk.profile", P9_FILE_WRITE | P9_FILE_CREATE, 0644, &f),
		  0);
	EXPECT_EQ(p9_file_write(&f, 0, junk, sizeof(junk), &done), 0);
	p9_file_close(&f);
	EXPECT_EQ(virtio_9p_profile_load(share, "junk.profile", ws), P9_EINVAL);
	EXPECT_EQ(p9_unlink(&share->client, "junk.profile"), 0);
	EXPECT_EQ(p9_unlink(&share->client, "ws.profile"), 0);
	vm_map_deallocate(fresh);
}
