/*
 * named_entry_test.c: named entries (vm/vm_named_entry.h): a handle over a
 * map's range mapped shared or as a private copy into another map, the
 * handle's permission capping what a mapping gets, submap handles, bad
 * arguments, and two unrelated tasks sharing memory through a handle
 * (user/named_progs.c).  Every case leaves no handle behind.
 */
#include "kern/thread.h"
#include "task/task.h"
#include "tests/kernel/ktest.h"
#include "tests/kernel/map_fixture.h"
#include "tests/kernel/task_fixture.h"
#include "vm/vm_map.h"
#include "vm/vm_named_entry.h"
#include "vm/vm_user.h"

KTEST_RUN(named_entry, "test=named_entry", "-m 64M -smp 1");
KTEST_RUN(named_entry.smp4, "test=named_entry swap=swap", "-m 32M -smp 4 --blk swap:64M");

#define BASE	0x10000000ul
#define SIZE	(4 * PAGE_SIZE)

/* A map with SIZE at BASE, page i holding 0x100 + i, and a handle over it with permission. */
struct source {
	vm_map_t map;
	vm_named_entry_t handle;
};

static bool source_make(struct source *s, vm_prot_t permission)
{
	vm_address_t a = BASE;
	vm_size_t size = SIZE;

	*s = (struct source){ .map = map_fixture_user() };
	if (!s->map || vm_allocate(s->map, &a, SIZE, VM_FLAGS_FIXED) != KERN_SUCCESS)
		return false;
	for (int i = 0; i < 4; i++)
		if (!map_fixture_put(s->map, BASE + ptoa(i), 0x100 + (uint64_t)i))
			return false;
	return mach_make_memory_entry_64(s->map, &size, BASE, permission, &s->handle, NULL) ==
	       KERN_SUCCESS && size == SIZE;
}

static void source_drop(struct source *s)
{
	vm_named_entry_release(s->handle);
	if (s->map)
		vm_map_deallocate(s->map);
}

KTEST(named_entry, another_map_shares_the_range_or_copies_it)
{
	struct source s;
	vm_map_t other = map_fixture_user();
	vm_address_t shared = 0, copy = 0;
	uint64_t handles = vm_named_entry_count();

	ASSERT_TRUE(other && source_make(&s, VM_PROT_DEFAULT));
	EXPECT_EQ(vm_named_entry_count(), handles + 1);
	ASSERT_EQ(vm_map(other, &shared, SIZE, 0, VM_FLAGS_ANYWHERE, s.handle, 0, FALSE,
			 VM_PROT_DEFAULT, VM_PROT_DEFAULT, VM_INHERIT_SHARE), KERN_SUCCESS);
	ASSERT_EQ(vm_map(other, &copy, SIZE, 0, VM_FLAGS_ANYWHERE, s.handle, 0, TRUE,
			 VM_PROT_DEFAULT, VM_PROT_DEFAULT, VM_INHERIT_COPY), KERN_SUCCESS);
	for (int i = 0; i < 4; i++) {
		EXPECT_EQ(map_fixture_get(other, shared + ptoa(i)), 0x100 + (uint64_t)i);
		EXPECT_EQ(map_fixture_get(other, copy + ptoa(i)), 0x100 + (uint64_t)i);
	}
	/* Shared: each sees the other's writes.  The copy: neither way. */
	EXPECT_TRUE(map_fixture_put(other, shared, 0xaa));
	EXPECT_TRUE(map_fixture_put(s.map, BASE + PAGE_SIZE, 0xbb));
	EXPECT_TRUE(map_fixture_put(other, copy + 2 * PAGE_SIZE, 0xcc));
	EXPECT_EQ(map_fixture_get(s.map, BASE), 0xaa);
	EXPECT_EQ(map_fixture_get(other, shared + PAGE_SIZE), 0xbb);
	EXPECT_EQ(map_fixture_get(other, copy), 0x100);
	EXPECT_EQ(map_fixture_get(other, copy + PAGE_SIZE), 0x101);
	EXPECT_EQ(map_fixture_get(s.map, BASE + 2 * PAGE_SIZE), 0x102);
	/* The source entry is marked shared: a copy of it is made at once. */
	vm_region_basic_info_data_t info;
	vm_address_t r = BASE;
	vm_size_t size;

	ASSERT_EQ(vm_region(s.map, &r, &size, &info), KERN_SUCCESS);
	EXPECT_EQ(info.share_mode, SM_SHARED);
	/* The handle outlives the source map: the memory stays for the other. */
	vm_map_deallocate(s.map);
	s.map = NULL;
	EXPECT_EQ(map_fixture_get(other, shared + PAGE_SIZE), 0xbb);
	source_drop(&s);
	EXPECT_EQ(vm_named_entry_count(), handles);
	EXPECT_EQ(map_fixture_get(other, shared), 0xaa);
	vm_map_deallocate(other);
}

KTEST(named_entry, permission_caps_protection)
{
	struct source s;
	vm_map_t other = map_fixture_user();
	vm_named_entry_t ro = NULL, up = NULL;
	vm_address_t a = 0, r;
	vm_size_t size = SIZE;
	vm_region_basic_info_data_t info;

	ASSERT_TRUE(other && source_make(&s, VM_PROT_DEFAULT));
	ASSERT_EQ(mach_make_memory_entry_64(NULL, &size, 0, VM_PROT_READ, &ro, s.handle), KERN_SUCCESS);
	EXPECT_EQ(mach_make_memory_entry_64(NULL, &size, 0, VM_PROT_ALL, &up, s.handle),
		  KERN_PROTECTION_FAILURE);		/* more than the parent allows */
	EXPECT_EQ(vm_map(other, &a, SIZE, 0, VM_FLAGS_ANYWHERE, ro, 0, FALSE, VM_PROT_DEFAULT,
			 VM_PROT_DEFAULT, VM_INHERIT_SHARE), KERN_PROTECTION_FAILURE);
	EXPECT_EQ(vm_map(other, &a, SIZE, 0, VM_FLAGS_ANYWHERE, ro, 0, FALSE, VM_PROT_READ,
			 VM_PROT_ALL, VM_INHERIT_SHARE), KERN_PROTECTION_FAILURE);
	ASSERT_EQ(vm_map(other, &a, SIZE, 0, VM_FLAGS_ANYWHERE, ro, 0, FALSE, VM_PROT_READ,
			 VM_PROT_READ, VM_INHERIT_SHARE), KERN_SUCCESS);
	r = a;
	ASSERT_EQ(vm_region(other, &r, &size, &info), KERN_SUCCESS);
	EXPECT_EQ(info.max_protection, VM_PROT_READ);
	EXPECT_EQ(vm_protect(other, a, SIZE, FALSE, VM_PROT_DEFAULT), KERN_PROTECTION_FAILURE);
	EXPECT_FALSE(map_fixture_put(other, a, 1));
	EXPECT_EQ(map_fixture_get(other, a + 3 * PAGE_SIZE), 0x103);
	/* A range whose max_protection is READ gives no writable handle. */
	EXPECT_EQ(vm_protect(s.map, BASE, SIZE, TRUE, VM_PROT_READ), KERN_SUCCESS);
	size = SIZE;
	EXPECT_EQ(mach_make_memory_entry_64(s.map, &size, BASE, VM_PROT_DEFAULT, &up, NULL),
		  KERN_PROTECTION_FAILURE);
	vm_named_entry_release(ro);
	source_drop(&s);
	vm_map_deallocate(other);
}

KTEST(named_entry, bad_arguments_are_errors)
{
	struct source s;
	vm_map_t other = map_fixture_user();
	vm_named_entry_t h = NULL;
	vm_address_t a = 0, gap = BASE + 2 * SIZE, next = gap + PAGE_SIZE;
	vm_size_t size = SIZE, zero = 0, two = 2 * PAGE_SIZE, wraps = ~0ul;

	ASSERT_TRUE(other && source_make(&s, VM_PROT_DEFAULT));
	ASSERT_EQ(vm_allocate(s.map, &next, PAGE_SIZE, VM_FLAGS_FIXED), KERN_SUCCESS);
	ASSERT_EQ(vm_protect(s.map, next, PAGE_SIZE, FALSE, VM_PROT_READ), KERN_SUCCESS);
	EXPECT_EQ(mach_make_memory_entry_64(NULL, &size, BASE, VM_PROT_READ, &h, NULL),
		  KERN_INVALID_ARGUMENT);
	EXPECT_EQ(mach_make_memory_entry_64(s.map, NULL, BASE, VM_PROT_READ, &h, NULL),
		  KERN_INVALID_ARGUMENT);
	EXPECT_EQ(mach_make_memory_entry_64(s.map, &size, BASE, VM_PROT_READ, NULL, NULL),
		  KERN_INVALID_ARGUMENT);
	EXPECT_EQ(mach_make_memory_entry_64(s.map, &zero, BASE, VM_PROT_READ, &h, NULL),
		  KERN_INVALID_ARGUMENT);
	EXPECT_EQ(mach_make_memory_entry_64(s.map, &wraps, BASE, VM_PROT_READ, &h, NULL),
		  KERN_INVALID_ARGUMENT);
	EXPECT_EQ(mach_make_memory_entry_64(s.map, &size, BASE, 0x80, &h, NULL),
		  KERN_INVALID_ARGUMENT);
	EXPECT_EQ(mach_make_memory_entry_64(s.map, &size, gap, VM_PROT_READ, &h, NULL),
		  KERN_INVALID_ADDRESS);
	EXPECT_EQ(mach_make_memory_entry_64(s.map, &two, BASE + 3 * PAGE_SIZE, VM_PROT_READ, &h,
					    NULL), KERN_INVALID_ARGUMENT);	/* runs past the entry */
	size = 2 * SIZE;
	EXPECT_EQ(mach_make_memory_entry_64(NULL, &size, 0, VM_PROT_READ, &h, s.handle),
		  KERN_INVALID_ARGUMENT);	/* past the parent's end */
	EXPECT_EQ(vm_map(NULL, &a, SIZE, 0, VM_FLAGS_ANYWHERE, s.handle, 0, FALSE, VM_PROT_READ,
			 VM_PROT_READ, VM_INHERIT_SHARE), KERN_INVALID_ARGUMENT);
	EXPECT_EQ(vm_map(other, &a, SIZE, 0, VM_FLAGS_ANYWHERE, NULL, 0, FALSE, VM_PROT_READ,
			 VM_PROT_READ, VM_INHERIT_SHARE), KERN_INVALID_ARGUMENT);
	EXPECT_EQ(vm_map(other, &a, 0, 0, VM_FLAGS_ANYWHERE, s.handle, 0, FALSE, VM_PROT_READ,
			 VM_PROT_READ, VM_INHERIT_SHARE), KERN_INVALID_ARGUMENT);
	EXPECT_EQ(vm_map(other, &a, SIZE, 0, VM_FLAGS_ANYWHERE, s.handle, PAGE_SIZE, FALSE,
			 VM_PROT_READ, VM_PROT_READ, VM_INHERIT_SHARE), KERN_INVALID_ARGUMENT);
	EXPECT_EQ(vm_map(other, &a, PAGE_SIZE, 0, VM_FLAGS_ANYWHERE, s.handle, 1, FALSE,
			 VM_PROT_READ, VM_PROT_READ, VM_INHERIT_SHARE), KERN_INVALID_ARGUMENT);
	EXPECT_EQ(vm_map(other, &a, SIZE, 0, VM_FLAGS_ANYWHERE, s.handle, 0, FALSE, VM_PROT_ALL,
			 VM_PROT_ALL, VM_INHERIT_SHARE), KERN_PROTECTION_FAILURE);	/* above the handle */
	EXPECT_EQ(vm_map(other, &a, SIZE, 0, VM_FLAGS_ANYWHERE, s.handle, 0, FALSE, VM_PROT_DEFAULT,
			 VM_PROT_READ, VM_INHERIT_SHARE), KERN_INVALID_ARGUMENT);	/* cur above max */
	EXPECT_EQ(vm_map(other, &a, SIZE, 0, VM_FLAGS_ANYWHERE, s.handle, 0, FALSE, 0x80, 0x80,
			 VM_INHERIT_SHARE), KERN_INVALID_ARGUMENT);	/* unknown bits */
	EXPECT_EQ(vm_map(other, &a, SIZE, 0, 0x80, s.handle, 0, FALSE, VM_PROT_READ, VM_PROT_READ,
			 VM_INHERIT_SHARE), KERN_INVALID_ARGUMENT);
	EXPECT_EQ(vm_map(other, &a, SIZE, 0, VM_FLAGS_ANYWHERE, s.handle, 0, FALSE, VM_PROT_READ,
			 VM_PROT_READ, 9), KERN_INVALID_ARGUMENT);
	EXPECT_EQ(vm_region_object_create(NULL, SIZE, &h), KERN_INVALID_ARGUMENT);
	EXPECT_EQ(vm_region_object_create(other, 0, &h), KERN_INVALID_ARGUMENT);
	EXPECT_EQ(vm_region_object_create(other, SIZE, NULL), KERN_INVALID_ARGUMENT);
	vm_named_entry_release(NULL);		/* nothing */
	source_drop(&s);
	vm_map_deallocate(other);
}

/*
 * A submap handle mapped into two maps (without use_pmap): what the kernel
 * enters in the submap appears in both and goes from both; what one of
 * them writes is its own.
 */
KTEST(named_entry, submap_handle_in_two_maps)
{
	vm_map_t m[2] = { map_fixture_user(), map_fixture_user() };
	vm_address_t at[2] = { 0, 0 }, in = PAGE_SIZE;
	vm_named_entry_t h = NULL;

	ASSERT_TRUE(m[0] && m[1]);
	ASSERT_EQ(vm_region_object_create(m[0], 16 * PAGE_SIZE, &h), KERN_SUCCESS);
	for (int i = 0; i < 2; i++)
		ASSERT_EQ(vm_map(m[i], &at[i], 16 * PAGE_SIZE, 0, VM_FLAGS_ANYWHERE, h, 0, FALSE,
				 VM_PROT_DEFAULT, VM_PROT_DEFAULT, VM_INHERIT_SHARE), KERN_SUCCESS);
	EXPECT_EQ(vm_map(m[0], &at[0], 16 * PAGE_SIZE, 0, VM_FLAGS_ANYWHERE, h, 0, TRUE,
			 VM_PROT_DEFAULT, VM_PROT_DEFAULT, VM_INHERIT_SHARE), KERN_INVALID_ARGUMENT);
	EXPECT_EQ(map_fixture_get(m[0], at[0] + in), ~0ull);	/* nothing there yet */
	ASSERT_EQ(vm_allocate(h->submap, &in, 2 * PAGE_SIZE, VM_FLAGS_FIXED), KERN_SUCCESS);
	EXPECT_TRUE(map_fixture_put(h->submap, in, 0x5b));
	EXPECT_TRUE(map_fixture_put(h->submap, in + PAGE_SIZE, 0x5c));
	for (int i = 0; i < 2; i++)
		EXPECT_EQ(map_fixture_get(m[i], at[i] + in), 0x5b);
	EXPECT_TRUE(map_fixture_put(m[0], at[0] + in, 0x70));	/* m[0]'s own copy */
	EXPECT_EQ(map_fixture_get(m[0], at[0] + in), 0x70);
	EXPECT_EQ(map_fixture_get(m[1], at[1] + in), 0x5b);
	EXPECT_EQ(map_fixture_get(h->submap, in), 0x5b);
	EXPECT_EQ(vm_deallocate(h->submap, in, 2 * PAGE_SIZE), KERN_SUCCESS);
	EXPECT_EQ(map_fixture_get(m[1], at[1] + in), ~0ull);
	EXPECT_EQ(map_fixture_get(m[1], at[1] + in + PAGE_SIZE), ~0ull);
	vm_named_entry_release(h);	/* the maps keep the submap */
	EXPECT_EQ(map_fixture_get(m[0], at[0] + in), 0x70);
	for (int i = 0; i < 2; i++) {
		EXPECT_EQ(vm_map_check(m[i], NULL), 0);
		vm_map_deallocate(m[i]);
	}
}

/*
 * A private copy larger than what memory has left waits for the pageout
 * daemon rather than fail while swap has room (named_entry.smp4 runs in
 * 32 MiB: the source and its copy do not both fit).
 */
KTEST(named_entry, copy_under_memory_pressure)
{
	vm_map_t src = map_fixture_user(), dst = map_fixture_user();
	vm_address_t a = BASE, c = 0;
	vm_size_t size = 16ul << 20;
	vm_named_entry_t h = NULL;

	ASSERT_TRUE(src && dst);
	ASSERT_EQ(vm_allocate(src, &a, size, VM_FLAGS_FIXED), KERN_SUCCESS);
	for (vm_size_t off = 0; off < size; off += PAGE_SIZE)
		ASSERT_TRUE(map_fixture_put(src, BASE + off, off));
	ASSERT_EQ(mach_make_memory_entry_64(src, &size, BASE, VM_PROT_READ, &h, NULL), KERN_SUCCESS);
	EXPECT_EQ(vm_map(dst, &c, size, 0, VM_FLAGS_ANYWHERE, h, 0, TRUE, VM_PROT_READ, VM_PROT_READ,
			 VM_INHERIT_COPY), KERN_SUCCESS);
	for (vm_size_t off = 0; off < size; off += 64 * PAGE_SIZE)
		EXPECT_EQ(map_fixture_get(dst, c + off), off);
	vm_named_entry_release(h);
	vm_map_deallocate(src);
	vm_map_deallocate(dst);
}

/* Two tasks that share no ancestor share memory through a registered handle. */
KTEST(named_entry, two_unrelated_tasks_share_through_a_handle)
{
	task_t server, client;
	uint64_t ss = ~0ull, cs = ~0ull, handles = vm_named_entry_count();

	ASSERT_EQ(task_spawn("ne_server", 0, &server), KERN_SUCCESS);
	ASSERT_EQ(task_spawn("ne_client", 0, &client), KERN_SUCCESS);
	EXPECT_EQ(task_wait(client, &cs), KERN_SUCCESS);
	EXPECT_EQ(task_wait(server, &ss), KERN_SUCCESS);
	EXPECT_EQ(cs, 0);
	EXPECT_EQ(ss, 0);
	EXPECT_EQ(vm_named_entry_count(), handles);
}
