/*
 * vnode_pager_test.c: host files of a virtio-9p share mapped through the
 * file pager (vm/vnode_pager.h, drivers/virtio/virtio_9p_file.h): shared
 * mappings whose stores reach the file (on vm_msync, on the pageout
 * daemon's writes, when the object goes), private ones that leave it
 * alone, one object per file, the end of file, a file removed while
 * mapped, and bad arguments.  tests/kernel/vnode_host.sh checks the files
 * from the host side.  Every case leaves no file open and no object.
 */
#include <stdio.h>
#include <string.h>

#include "drivers/virtio/virtio_9p.h"
#include "drivers/virtio/virtio_9p_file.h"
#include "kern/thread.h"
#include "tests/kernel/ktest.h"
#include "tests/kernel/map_fixture.h"
#include "vm/default_pager.h"
#include "vm/vm_fault.h"
#include "vm/vm_map.h"
#include "vm/vm_named_entry.h"
#include "vm/vm_object.h"
#include "vm/vm_pageout.h"
#include "vm/vm_pager.h"
#include "vm/vm_user.h"
#include "vm/vnode_pager.h"

KTEST_RUN(vnode_pager, "test=vnode_pager pageout", "-m 64M -smp 1 --9p share --host-check tests/kernel/vnode_host.sh");
KTEST_RUN(vnode_pager.smp4, "test=vnode_pager swap=swap", "-m 32M -smp 4 --blk swap:64M --9p share --host-check tests/kernel/vnode_host.sh");

#define BASE		0x10000000ul
#define TAIL		100		/* bytes of the file in its last page */

static struct p9_client *share(void)
{
	struct virtio_9p *v = virtio_9p_find("share");

	return v ? &v->client : NULL;
}

/* word: what the file made by file_make holds at byte offset off (8-aligned). */
static uint64_t word(uint64_t seed, uint64_t off)
{
	return (seed << 40) ^ (off * 0x9e3779b97f4a7c15ull >> 8);
}

/*
 * file_make: the file at path, pages whole pages plus TAIL bytes (no tail
 * with tail false), every word given by word(seed, offset).
 */
static bool file_make(const char *path, uint64_t pages, bool tail, uint64_t seed)
{
	static uint64_t buf[PAGE_SIZE / 8];
	uint64_t size = ptoa(pages) + (tail ? TAIL : 0);
	struct p9_file f;
	bool ok;

	if (p9_file_open(share(), path, P9_FILE_WRITE | P9_FILE_CREATE | P9_FILE_TRUNC, 0644, &f))
		return false;
	ok = true;
	for (uint64_t off = 0; ok && off < size; off += PAGE_SIZE) {
		size_t len = MIN(PAGE_SIZE, size - off), done = 0;

		for (uint64_t i = 0; i < PAGE_SIZE / 8; i++)
			buf[i] = word(seed, off + 8 * i);
		ok = p9_file_write(&f, off, buf, len, &done) == 0 && done == len;
	}
	p9_file_close(&f);
	return ok;
}

/* file_word: the word at off of the file at path as 9P reads it now; ~0 if it cannot. */
static uint64_t file_word(const char *path, uint64_t off)
{
	struct p9_file f;
	uint64_t v = ~0ull;
	size_t done = 0;

	if (p9_file_open(share(), path, P9_FILE_READ, 0, &f))
		return v;
	if (p9_file_read(&f, off, &v, sizeof(v), &done) || done != sizeof(v))
		v = ~0ull;
	p9_file_close(&f);
	return v;
}

/* file_put_word: store v at off of the file at path through 9P. */
static bool file_put_word(const char *path, uint64_t off, uint64_t v)
{
	struct p9_file f;
	size_t done = 0;
	bool ok;

	if (p9_file_open(share(), path, P9_FILE_WRITE, 0, &f))
		return false;
	ok = p9_file_write(&f, off, &v, sizeof(v), &done) == 0 && done == sizeof(v);
	p9_file_close(&f);
	return ok;
}

static uint64_t file_size(const char *path)
{
	struct p9_attr attr;

	return p9_stat(share(), path, &attr) == 0 ? attr.size : ~0ull;
}

/* map_file: path mapped at BASE of map (shared, or a private copy), size 0: the whole file. */
static kern_return_t map_file(vm_map_t map, const char *path, vm_prot_t prot, vm_size_t size,
			      boolean_t copy, vm_address_t at)
{
	vm_named_entry_t h;
	vm_address_t a = at;
	kern_return_t kr = virtio_9p_file_entry("share", path, copy ? VM_PROT_READ : prot, size, &h);

	if (kr != KERN_SUCCESS)
		return kr;
	kr = vm_map(map, &a, h->size, 0, VM_FLAGS_FIXED, h, 0, copy, prot, prot, VM_INHERIT_SHARE);
	vm_named_entry_release(h);
	return kr;
}

KTEST(vnode_pager, a_shared_mapping_reads_the_file_and_zeros_past_its_end)
{
	vm_map_t map = map_fixture_user();

	ASSERT_TRUE(map && share());
	ASSERT_TRUE(file_make("vn-read", 5, true, 1));
	ASSERT_EQ(map_file(map, "vn-read", VM_PROT_READ, 0, FALSE, BASE), KERN_SUCCESS);
	for (uint64_t off = 0; off < ptoa(5); off += 512)
		EXPECT_EQ(map_fixture_get(map, BASE + off), word(1, off));
	EXPECT_EQ(map_fixture_get(map, BASE + ptoa(5)), word(1, ptoa(5)));	/* the tail's first bytes */
	EXPECT_EQ(map_fixture_get(map, BASE + ptoa(5) + 96) & 0xffffffffull, word(1, ptoa(5) + 96) & 0xffffffffull);
	EXPECT_EQ(map_fixture_get(map, BASE + ptoa(5) + 96) >> 32, 0u);	/* bytes 100..103: past the end */
	EXPECT_EQ(map_fixture_get(map, BASE + ptoa(5) + 104), 0u);
	EXPECT_EQ(map_fixture_get(map, BASE + ptoa(6) - 8), 0u);
	EXPECT_EQ(vnode_pager_count(), 1u);
	vm_map_deallocate(map);
	EXPECT_EQ(vnode_pager_count(), 0u);
	EXPECT_EQ(virtio_9p_file_count(), 0u);
	EXPECT_EQ(p9_unlink(share(), "vn-read"), 0);
}

KTEST(vnode_pager, a_page_past_the_end_of_file_is_a_memory_error)
{
	vm_map_t map = map_fixture_user();

	ASSERT_TRUE(map && share());
	ASSERT_TRUE(file_make("vn-eof", 2, true, 2));
	/* The handle covers 8 pages; the file 2 and a bit. */
	ASSERT_EQ(map_file(map, "vn-eof", VM_PROT_DEFAULT, ptoa(8), FALSE, BASE), KERN_SUCCESS);
	EXPECT_EQ(map_fixture_get(map, BASE + ptoa(2) + 8), word(2, ptoa(2) + 8));
	EXPECT_TRUE(map_fixture_put(map, BASE + ptoa(2) + 2048, 77));	/* past the end, in its last page */
	EXPECT_EQ(map_fixture_get(map, BASE + ptoa(3)), ~0ull);		/* wholly past: a fault that fails */
	EXPECT_FALSE(map_fixture_put(map, BASE + ptoa(7), 1));
	EXPECT_EQ(vm_fault(map, BASE + ptoa(4), VM_PROT_WRITE), KERN_MEMORY_ERROR);
	EXPECT_EQ(vm_fault(map, BASE + ptoa(4), VM_PROT_READ), KERN_MEMORY_ERROR);
	EXPECT_EQ(vm_msync(map, BASE, ptoa(8), VM_SYNC_SYNCHRONOUS), KERN_SUCCESS);
	EXPECT_EQ(file_size("vn-eof"), ptoa(2) + TAIL);	/* the store past the end stayed in memory */
	/* The file grows: the page that failed now reads, and a new handle covers it all. */
	ASSERT_TRUE(file_make("vn-eof", 4, false, 2));
	EXPECT_EQ(map_fixture_get(map, BASE + ptoa(3) + 16), word(2, ptoa(3) + 16));
	{
		vm_named_entry_t h;

		ASSERT_EQ(virtio_9p_file_entry("share", "vn-eof", VM_PROT_READ, 0, &h), KERN_SUCCESS);
		EXPECT_EQ(h->size, ptoa(4));
		vm_named_entry_release(h);
	}
	vm_map_deallocate(map);
	EXPECT_EQ(p9_unlink(share(), "vn-eof"), 0);
}

KTEST(vnode_pager, stores_reach_the_file_on_msync_and_the_host_sees_them)
{
	vm_map_t map = map_fixture_user();

	ASSERT_TRUE(map && share());
	ASSERT_TRUE(file_make("vn-sync", 8, true, 3));
	ASSERT_TRUE(file_make("vn-sync.expected", 8, true, 3));
	ASSERT_EQ(map_file(map, "vn-sync", VM_PROT_DEFAULT, 0, FALSE, BASE), KERN_SUCCESS);
	for (uint64_t p = 0; p < 8; p += 2) {
		EXPECT_TRUE(map_fixture_put(map, BASE + ptoa(p) + 8 * p, 0xabcd0000 + p));
		EXPECT_TRUE(file_put_word("vn-sync.expected", ptoa(p) + 8 * p, 0xabcd0000 + p));
	}
	EXPECT_TRUE(map_fixture_put(map, BASE + ptoa(8) + 16, 0x5555));	/* in the tail, before the end */
	EXPECT_TRUE(file_put_word("vn-sync.expected", ptoa(8) + 16, 0x5555));
	EXPECT_EQ(file_word("vn-sync", 8 * 2 + ptoa(2)), word(3, 8 * 2 + ptoa(2)));	/* not yet */
	EXPECT_EQ(vm_msync(map, BASE, ptoa(9), VM_SYNC_SYNCHRONOUS), KERN_SUCCESS);
	for (uint64_t p = 0; p < 8; p += 2)
		EXPECT_EQ(file_word("vn-sync", ptoa(p) + 8 * p), 0xabcd0000 + p);
	EXPECT_EQ(file_word("vn-sync", ptoa(8) + 16), 0x5555u);
	EXPECT_EQ(file_size("vn-sync"), ptoa(8) + TAIL);
	/* The host: vn-sync is vn-sync.expected with those words changed. */
	EXPECT_TRUE(ktest_host_check(share(), "vnode_synced"));
	/* The pages stayed, clean: a second msync writes nothing, the words stay. */
	EXPECT_EQ(map_fixture_get(map, BASE + ptoa(4) + 32), 0xabcd0004u);
	EXPECT_EQ(vm_msync(map, BASE, ptoa(9), VM_SYNC_ASYNCHRONOUS), KERN_SUCCESS);
	vm_map_deallocate(map);
	EXPECT_EQ(p9_unlink(share(), "vn-sync"), 0);
	EXPECT_EQ(p9_unlink(share(), "vn-sync.expected"), 0);
}

KTEST(vnode_pager, stores_reach_the_file_when_the_object_goes)
{
	vm_map_t map = map_fixture_user();

	ASSERT_TRUE(map && share());
	ASSERT_TRUE(file_make("vn-close", 4, false, 4));
	ASSERT_EQ(map_file(map, "vn-close", VM_PROT_DEFAULT, 0, FALSE, BASE), KERN_SUCCESS);
	EXPECT_TRUE(map_fixture_put(map, BASE + ptoa(1), 0x1111));
	EXPECT_TRUE(map_fixture_put(map, BASE + ptoa(3) + 8, 0x3333));
	EXPECT_EQ(vm_deallocate(map, BASE, ptoa(4)), KERN_SUCCESS);	/* the last reference */
	EXPECT_EQ(vnode_pager_count(), 0u);
	EXPECT_EQ(file_word("vn-close", ptoa(1)), 0x1111u);
	EXPECT_EQ(file_word("vn-close", ptoa(3) + 8), 0x3333u);
	EXPECT_EQ(file_word("vn-close", ptoa(2)), word(4, ptoa(2)));
	vm_map_deallocate(map);
	EXPECT_EQ(p9_unlink(share(), "vn-close"), 0);
}

KTEST(vnode_pager, a_private_mapping_never_changes_the_file)
{
	vm_map_t map = map_fixture_user();
	vm_address_t other = BASE + 0x1000000;

	ASSERT_TRUE(map && share());
	ASSERT_TRUE(file_make("vn-private", 4, false, 5));
	ASSERT_TRUE(file_make("vn-private.expected", 4, false, 5));
	/* The object can write the file (a shared writable view first)... */
	ASSERT_EQ(map_file(map, "vn-private", VM_PROT_DEFAULT, 0, FALSE, other), KERN_SUCCESS);
	/* ...and a read-only handle is enough for a private writable copy. */
	ASSERT_EQ(map_file(map, "vn-private", VM_PROT_DEFAULT, 0, TRUE, BASE), KERN_SUCCESS);
	EXPECT_EQ(map_fixture_get(map, BASE + ptoa(1)), word(5, ptoa(1)));
	EXPECT_TRUE(map_fixture_put(map, BASE + ptoa(1), 0xdead));
	EXPECT_TRUE(map_fixture_put(map, BASE + ptoa(2) + 8, 0xbeef));
	EXPECT_EQ(map_fixture_get(map, BASE + ptoa(1)), 0xdeadu);
	EXPECT_EQ(map_fixture_get(map, other + ptoa(1)), word(5, ptoa(1)));	/* the shared view: the file */
	EXPECT_EQ(vm_msync(map, BASE, ptoa(4), VM_SYNC_SYNCHRONOUS), KERN_SUCCESS);
	EXPECT_EQ(vnode_pager_count(), 1u);			/* both views: one object */
	vm_map_deallocate(map);
	EXPECT_EQ(file_word("vn-private", ptoa(1)), word(5, ptoa(1)));
	EXPECT_EQ(file_word("vn-private", ptoa(2) + 8), word(5, ptoa(2) + 8));
	EXPECT_TRUE(ktest_host_check(share(), "vnode_private"));
	EXPECT_EQ(p9_unlink(share(), "vn-private"), 0);
	EXPECT_EQ(p9_unlink(share(), "vn-private.expected"), 0);
}

KTEST(vnode_pager, two_mappings_of_one_file_share_one_object)
{
	vm_map_t a = map_fixture_user(), b = map_fixture_user();
	vm_region_basic_info_data_t ia, ib;
	vm_address_t ra = BASE, rb = BASE + 0x200000;
	vm_size_t size;

	ASSERT_TRUE(a && b && share());
	ASSERT_TRUE(file_make("vn-twice", 3, false, 6));
	ASSERT_EQ(map_file(a, "vn-twice", VM_PROT_DEFAULT, 0, FALSE, ra), KERN_SUCCESS);
	ASSERT_EQ(map_file(b, "vn-twice", VM_PROT_DEFAULT, 0, FALSE, rb), KERN_SUCCESS);
	EXPECT_EQ(vnode_pager_count(), 1u);
	EXPECT_EQ(virtio_9p_file_count(), 1u);	/* the second open was given back */
	ASSERT_EQ(vm_region(a, &ra, &size, &ia), KERN_SUCCESS);
	ASSERT_EQ(vm_region(b, &rb, &size, &ib), KERN_SUCCESS);
	EXPECT_EQ(ia.object_id, ib.object_id);
	EXPECT_TRUE(map_fixture_put(a, ra + 64, 0x4242));
	EXPECT_EQ(map_fixture_get(b, rb + 64), 0x4242u);
	/* The object can write the file: a read-only setup now gets it too. */
	ASSERT_EQ(map_file(b, "vn-twice", VM_PROT_READ, 0, FALSE, BASE + 0x400000), KERN_SUCCESS);
	EXPECT_EQ(map_fixture_get(b, BASE + 0x400000 + 64), 0x4242u);
	vm_map_deallocate(a);
	vm_map_deallocate(b);
	EXPECT_EQ(file_word("vn-twice", 64), 0x4242u);	/* written when the object went */
	EXPECT_EQ(p9_unlink(share(), "vn-twice"), 0);
}

KTEST(vnode_pager, a_file_removed_while_mapped_is_a_clean_error)
{
	vm_map_t map = map_fixture_user();

	ASSERT_TRUE(map && share());
	ASSERT_TRUE(file_make("vn-removed", 6, false, 7));
	ASSERT_EQ(map_file(map, "vn-removed", VM_PROT_DEFAULT, ptoa(8), FALSE, BASE), KERN_SUCCESS);
	EXPECT_EQ(map_fixture_get(map, BASE), word(7, 0));
	EXPECT_TRUE(map_fixture_put(map, BASE + 8, 0x77));
	ASSERT_TRUE(ktest_host_check(share(), "vnode_remove"));	/* the host removes it */
	/* The open file still reads (POSIX); syncing says the data has nowhere to go. */
	EXPECT_EQ(map_fixture_get(map, BASE + ptoa(5)), word(7, ptoa(5)));
	EXPECT_EQ(map_fixture_get(map, BASE + 8), 0x77u);
	EXPECT_EQ(vm_msync(map, BASE, ptoa(6), VM_SYNC_SYNCHRONOUS), KERN_MEMORY_ERROR);
	EXPECT_EQ(vm_fault(map, BASE + ptoa(7), VM_PROT_READ), KERN_MEMORY_ERROR);	/* no size to find */
	vm_map_deallocate(map);
	EXPECT_EQ(vnode_pager_count(), 0u);
	EXPECT_EQ(p9_client_fids_in_use(share()), 1u);	/* the root only */
}

KTEST(vnode_pager, bad_arguments_are_errors)
{
	vm_map_t map = map_fixture_user();
	vm_named_entry_t h = NULL, w = NULL;

	ASSERT_TRUE(map && share());
	ASSERT_TRUE(file_make("vn-args", 1, false, 8));
	EXPECT_EQ(virtio_9p_file_entry(NULL, "vn-args", VM_PROT_READ, 0, &h), KERN_INVALID_ARGUMENT);
	EXPECT_EQ(virtio_9p_file_entry("nosuch", "vn-args", VM_PROT_READ, 0, &h),
		  KERN_INVALID_ARGUMENT);
	EXPECT_EQ(virtio_9p_file_entry("share", NULL, VM_PROT_READ, 0, &h), KERN_INVALID_ARGUMENT);
	EXPECT_EQ(virtio_9p_file_entry("share", "vn-args", 0x80, 0, &h), KERN_INVALID_ARGUMENT);
	EXPECT_EQ(virtio_9p_file_entry("share", "vn-missing", VM_PROT_READ, 0, &h), KERN_NOT_FOUND);
	EXPECT_EQ(virtio_9p_file_entry("share", "", VM_PROT_READ, 0, &h), KERN_INVALID_ARGUMENT);
	EXPECT_EQ(virtio_9p_file_entry("share", "vn-args", VM_PROT_READ, VNODE_PAGER_MAX_SIZE + 1, &h),
		  KERN_INVALID_ARGUMENT);
	EXPECT_EQ(virtio_9p_file_count(), 0u);
	/* A read-only object cannot later be shared writable. */
	ASSERT_EQ(virtio_9p_file_entry("share", "vn-args", VM_PROT_READ, 0, &h), KERN_SUCCESS);
	EXPECT_EQ(h->size, PAGE_SIZE);
	EXPECT_EQ(virtio_9p_file_entry("share", "vn-args", VM_PROT_DEFAULT, 0, &w),
		  KERN_PROTECTION_FAILURE);
	{
		vm_address_t a = BASE;

		EXPECT_EQ(vm_map(map, &a, PAGE_SIZE, 0, VM_FLAGS_FIXED, h, 0, FALSE, VM_PROT_DEFAULT,
				 VM_PROT_DEFAULT, VM_INHERIT_SHARE), KERN_PROTECTION_FAILURE);
		EXPECT_EQ(vm_map(map, &a, 2 * PAGE_SIZE, 0, VM_FLAGS_FIXED, h, 0, FALSE,
				 VM_PROT_READ, VM_PROT_READ, VM_INHERIT_SHARE), KERN_INVALID_ARGUMENT);
		ASSERT_EQ(vm_map(map, &a, PAGE_SIZE, 0, VM_FLAGS_FIXED, h, 0, FALSE, VM_PROT_READ,
				 VM_PROT_READ, VM_INHERIT_SHARE), KERN_SUCCESS);
	}
	EXPECT_EQ(vm_msync(NULL, BASE, PAGE_SIZE, VM_SYNC_SYNCHRONOUS), KERN_INVALID_ARGUMENT);
	EXPECT_EQ(vm_msync(map, BASE, PAGE_SIZE, 0x4), KERN_INVALID_ARGUMENT);
	EXPECT_EQ(vm_msync(map, ~0ul - 10, 100, VM_SYNC_SYNCHRONOUS), KERN_INVALID_ARGUMENT);
	EXPECT_EQ(vm_msync(map, BASE, 3 * PAGE_SIZE, VM_SYNC_SYNCHRONOUS), KERN_INVALID_ADDRESS);
	EXPECT_EQ(vm_msync(map, BASE, PAGE_SIZE, VM_SYNC_SYNCHRONOUS), KERN_SUCCESS);
	vm_named_entry_release(h);
	vm_map_deallocate(map);
	EXPECT_EQ(virtio_9p_file_count(), 0u);
	EXPECT_EQ(p9_unlink(share(), "vn-args"), 0);
}

/*
 * A shared mapping larger than memory: every page written once, so the
 * pageout daemon must write the file's pages back to make room (to the
 * file: the swap disk, where there is one, gets none of them), and every
 * page reads back what was stored once it came back from the file.
 */
KTEST(vnode_pager, the_pageout_daemon_writes_dirty_file_pages_back)
{
	uint64_t pages = vm_page_total_count() * 5 / 4;
	struct vm_pageout_stats before, after;
	struct default_pager_stats swap_before = { 0 }, swap_after = { 0 };
	vm_map_t map = map_fixture_user();
	uint64_t bad = 0, objects0 = vm_object_count();
	struct p9_file f;

	ASSERT_TRUE(map && share());
	ASSERT_EQ(p9_file_open(share(), "vn-big", P9_FILE_WRITE | P9_FILE_CREATE | P9_FILE_TRUNC,
			       0644, &f), 0);
	ASSERT_EQ(p9_file_truncate(&f, ptoa(pages)), 0);	/* sparse: reads as zeros */
	p9_file_close(&f);
	ASSERT_EQ(map_file(map, "vn-big", VM_PROT_DEFAULT, 0, FALSE, BASE), KERN_SUCCESS);
	vm_pageout_stats(&before);
	if (vm_pager_default)
		default_pager_stats(&swap_before);
	for (uint64_t p = 0; p < pages; p++)
		if (!map_fixture_put(map, BASE + ptoa(p) + 8 * (p % 512), word(9, p)))
			bad++;
	for (uint64_t p = 0; p < pages; p++)
		if (map_fixture_get(map, BASE + ptoa(p) + 8 * (p % 512)) != word(9, p))
			bad++;
	vm_pageout_stats(&after);
	if (vm_pager_default)
		default_pager_stats(&swap_after);
	EXPECT_EQ(bad, 0u);
	EXPECT_GE(after.paged_out - before.paged_out, pages / 3);
	EXPECT_EQ(swap_after.pageouts - swap_before.pageouts, 0u);
	vm_map_deallocate(map);
	/* The daemon may still hold the object for a write: it goes (and writes back) after. */
	for (int i = 0; i < 500 && vm_object_count() > objects0; i++)
		thread_sleep_ns(10ul * 1000 * 1000);
	EXPECT_EQ(vm_object_count(), objects0);
	for (uint64_t p = 0; p < pages; p += pages / 7)
		EXPECT_EQ(file_word("vn-big", ptoa(p) + 8 * (p % 512)), word(9, p));
	EXPECT_EQ(p9_unlink(share(), "vn-big"), 0);
}
