/*
 * swapfile_full_test.c: swap files on a share whose host disk fills up
 * (a 20 MiB tmpfs: two 8 MiB files and half of a third).  Writes past the
 * end of the disk are refused; the dynamic pager must back off (each wait
 * twice the last) and drain the file that refused them, not go on adding
 * files to a store that just failed.  When nothing more can be paged the
 * writer's stores fail cleanly (copyout returns an error); once the last
 * quarter of what it wrote is given back (so that pages can come in
 * again), every page before it reads back intact, and once all the memory
 * is given back every file goes but the one lowat keeps.
 */
#include "kern/thread.h"
#include "tests/kernel/ktest.h"
#include "tests/kernel/map_fixture.h"
#include "vm/default_pager.h"
#include "vm/dynamic_pager.h"
#include "vm/vm_map.h"
#include "vm/vm_page.h"
#include "vm/vm_user.h"

KTEST_RUN(swapfile_full, "test=swapfile_full swapfile=swap swapfile.size=8M swapfile.hiwat=4M swapfile.lowat=12M swapfile.hold=500 swapfile.retry=100", "-m 32M -smp 1 --9p swap:20M");

#define FULL_BASE	0x10000000ul
#define FULL_FILES_MAX	4	/* at once: two full files, the half one, one probe */

static uint64_t full_word(uint64_t page)
{
	return page * 0x9e3779b97f4a7c15ull | 1;
}

/* full_wait_files: poll (up to secs) until at most n swap files are left; returns how many are. */
static uint64_t full_wait_files(uint64_t n, int secs)
{
	struct swapfile_stats st;

	for (int i = 0; i < secs * 10; i++) {
		swapfile_stats(&st);
		if (st.files <= n)
			break;
		thread_sleep_ns(100ul * 1000 * 1000);
	}
	return st.files;
}

KTEST(swapfile_full, a_full_store_backs_off_and_nothing_is_lost)
{
	uint64_t npages = atop(3 * ptoa(vm_page_total_count())), written = 0, kept, bad = 0;
	vm_map_t map = map_fixture_user();
	vm_address_t addr = FULL_BASE;
	struct swapfile_stats st;

	ASSERT_TRUE(map != NULL);
	ASSERT_EQ(vm_allocate(map, &addr, ptoa(npages), VM_FLAGS_FIXED), KERN_SUCCESS);
	thread_set_map(map);
	for (; written < npages; written++) {
		uint64_t v = full_word(written);

		if (copyout(&v, (void *)(FULL_BASE + ptoa(written)), sizeof(v)) != 0)
			break;		/* memory and swap both full: a clean error */
	}
	kept = written - written / 4;
	EXPECT_EQ(vm_deallocate(map, FULL_BASE + ptoa(kept), ptoa(npages - kept)), KERN_SUCCESS);
	for (uint64_t p = 0; p < kept; p++) {
		uint64_t v = 0;

		bad += copyin((const void *)(FULL_BASE + ptoa(p)), &v, sizeof(v)) != 0 || v != full_word(p);
	}
	thread_set_map(NULL);
	swapfile_stats(&st);
	ktest_report("%lu of %lu pages written before memory ran out, %lu of the first %lu read back "
		     "wrong; swap files: "
		     "%lu created, %lu deleted, %lu at most at once, %lu create and %lu write failures, "
		     "longest back-off %lu ms\n", written, npages, bad, kept, st.created, st.deleted, st.peak,
		     st.create_failures, st.write_failures, st.backoff_longest_ms);
	EXPECT_LT(written, npages);		/* the disk is too small for it all */
	EXPECT_GT(written, npages / 3);		/* but RAM and two files went into it */
	EXPECT_EQ(bad, 0);
	EXPECT_GE(st.write_failures, 1);
	EXPECT_GE(st.backoff_longest_ms, 4 * 100);	/* doubled at least twice */
	EXPECT_LE(st.peak, FULL_FILES_MAX);
	vm_map_deallocate(map);
	/* The pool empties: one 8 MiB file stays (lowat 12 MiB: hiwat 4 MiB + one file). */
	EXPECT_LE(full_wait_files(1, 30), 1);
}
