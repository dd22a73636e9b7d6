/*
 * vm_test.c: the machine-independent VM in the kernel: map calls, faults,
 * wiring and kernel memory, with vm_map_check after each step and the
 * ktest accounting (pages, wired pages, objects, entries) after each case.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "kern/thread.h"
#include "platform/riscv/hart.h"
#include "platform/riscv/riscv.h"
#include "platform/riscv/trap.h"
#include "tests/kernel/ktest.h"
#include "tests/kernel/map_fixture.h"
#include "vm/vm.h"
#include "vm/vm_fault.h"
#include "vm/vm_kern.h"
#include "vm/vm_map_internal.h"
#include "vm/vm_object.h"
#include "vm/vm_user.h"
#include "vm/xmalloc.h"

KTEST_RUN(vm_smp1, "test=vm", "-m 256M -smp 1");
KTEST_RUN(vm_smp4, "test=vm", "-m 256M -smp 4");

#define UBASE 0x10000000ul

#define EXPECT_MAP_OK(m) EXPECT_EQ(vm_map_check((m), ktest_report), 0)

KTEST(vm, allocate_anywhere_and_fixed)
{
	vm_map_t map = map_fixture_user();
	vm_address_t a = 0, b = UBASE;
	vm_region_basic_info_data_t info;
	vm_address_t addr;
	vm_size_t size;

	ASSERT_TRUE(map != NULL);
	EXPECT_EQ(vm_allocate(map, &a, 3 * PAGE_SIZE, VM_FLAGS_ANYWHERE), KERN_SUCCESS);
	EXPECT_EQ(a, PAGE_SIZE);		/* the lowest free address */
	EXPECT_EQ(vm_allocate(map, &b, PAGE_SIZE + 1, VM_FLAGS_FIXED), KERN_SUCCESS);
	EXPECT_EQ(vm_allocate(map, &b, PAGE_SIZE, VM_FLAGS_FIXED), KERN_NO_SPACE);
	EXPECT_MAP_OK(map);
	addr = UBASE;
	ASSERT_EQ(vm_region(map, &addr, &size, &info), KERN_SUCCESS);
	EXPECT_EQ(addr, UBASE);
	EXPECT_EQ(size, 2 * PAGE_SIZE);
	EXPECT_EQ(info.protection, VM_PROT_DEFAULT);
	EXPECT_EQ(info.max_protection, VM_PROT_ALL);
	EXPECT_EQ(info.inheritance, VM_INHERIT_COPY);
	EXPECT_EQ(info.share_mode, SM_EMPTY);
	EXPECT_EQ(vm_deallocate(map, a, 3 * PAGE_SIZE), KERN_SUCCESS);
	EXPECT_EQ(vm_deallocate(map, a, 3 * PAGE_SIZE), KERN_SUCCESS);	/* a hole is fine */
	addr = 0;
	EXPECT_EQ(vm_region(map, &addr, &size, &info), KERN_SUCCESS);
	EXPECT_EQ(addr, UBASE);
	EXPECT_MAP_OK(map);
	vm_map_deallocate(map);
}

KTEST(vm, protect_never_exceeds_max)
{
	vm_map_t map = map_fixture_user();
	vm_address_t a = UBASE;
	vm_region_basic_info_data_t info;
	vm_size_t size;

	ASSERT_TRUE(map != NULL);
	ASSERT_EQ(vm_allocate(map, &a, 4 * PAGE_SIZE, VM_FLAGS_FIXED), KERN_SUCCESS);
	EXPECT_EQ(vm_protect(map, a, PAGE_SIZE, TRUE, VM_PROT_READ), KERN_SUCCESS);
	EXPECT_EQ(vm_protect(map, a, PAGE_SIZE, FALSE, VM_PROT_DEFAULT), KERN_PROTECTION_FAILURE);
	EXPECT_EQ(vm_protect(map, a, PAGE_SIZE, TRUE, VM_PROT_DEFAULT), KERN_PROTECTION_FAILURE);
	EXPECT_EQ(vm_protect(map, a + PAGE_SIZE, PAGE_SIZE, FALSE, VM_PROT_ALL), KERN_SUCCESS);
	EXPECT_EQ(vm_protect(map, a, 8 * PAGE_SIZE, FALSE, VM_PROT_READ), KERN_INVALID_ADDRESS);
	EXPECT_MAP_OK(map);
	ASSERT_EQ(vm_region(map, &a, &size, &info), KERN_SUCCESS);
	EXPECT_EQ(info.protection, VM_PROT_READ);	/* set_maximum lowered both */
	EXPECT_EQ(info.max_protection, VM_PROT_READ);
	EXPECT_EQ(size, PAGE_SIZE);
	vm_map_deallocate(map);
}

KTEST(vm, inherit_and_behavior_read_back)
{
	vm_map_t map = map_fixture_user();
	vm_address_t a = UBASE;
	vm_region_basic_info_data_t info;
	vm_size_t size;

	ASSERT_TRUE(map != NULL);
	ASSERT_EQ(vm_allocate(map, &a, 2 * PAGE_SIZE, VM_FLAGS_FIXED), KERN_SUCCESS);
	EXPECT_EQ(vm_inherit(map, a, PAGE_SIZE, VM_INHERIT_SHARE), KERN_SUCCESS);
	EXPECT_EQ(vm_behavior_set(map, a + PAGE_SIZE, PAGE_SIZE, VM_BEHAVIOR_SEQUENTIAL), KERN_SUCCESS);
	EXPECT_EQ(vm_inherit(map, a, PAGE_SIZE, 7), KERN_INVALID_ARGUMENT);
	EXPECT_EQ(vm_behavior_set(map, a, PAGE_SIZE, 9), KERN_INVALID_ARGUMENT);
	ASSERT_EQ(vm_region(map, &a, &size, &info), KERN_SUCCESS);
	EXPECT_EQ(info.inheritance, VM_INHERIT_SHARE);
	EXPECT_EQ(info.behavior, VM_BEHAVIOR_DEFAULT);
	a += PAGE_SIZE;
	ASSERT_EQ(vm_region(map, &a, &size, &info), KERN_SUCCESS);
	EXPECT_EQ(info.inheritance, VM_INHERIT_COPY);
	EXPECT_EQ(info.behavior, VM_BEHAVIOR_SEQUENTIAL);
	EXPECT_MAP_OK(map);
	vm_map_deallocate(map);
}

KTEST(vm, clipping_and_coalescing)
{
	vm_map_t map = map_fixture_user();
	vm_address_t a = UBASE, b = UBASE + PAGE_SIZE, c = UBASE + 2 * PAGE_SIZE;

	ASSERT_TRUE(map != NULL);
	ASSERT_EQ(vm_allocate(map, &a, PAGE_SIZE, VM_FLAGS_FIXED), KERN_SUCCESS);
	ASSERT_EQ(vm_allocate(map, &c, PAGE_SIZE, VM_FLAGS_FIXED), KERN_SUCCESS);
	EXPECT_EQ(map->nentries, 2);
	ASSERT_EQ(vm_allocate(map, &b, PAGE_SIZE, VM_FLAGS_FIXED), KERN_SUCCESS);
	EXPECT_EQ(map->nentries, 1);		/* three neighbours alike: one entry */
	EXPECT_EQ(vm_protect(map, b, PAGE_SIZE, FALSE, VM_PROT_READ), KERN_SUCCESS);
	EXPECT_EQ(map->nentries, 3);		/* the middle clipped out */
	EXPECT_MAP_OK(map);
	EXPECT_EQ(vm_protect(map, b, PAGE_SIZE, FALSE, VM_PROT_DEFAULT), KERN_SUCCESS);
	EXPECT_EQ(map->nentries, 1);		/* and merged back */
	EXPECT_EQ(vm_deallocate(map, b, PAGE_SIZE), KERN_SUCCESS);
	EXPECT_EQ(map->nentries, 2);
	EXPECT_EQ(map->size, 2 * PAGE_SIZE);
	EXPECT_MAP_OK(map);
	vm_map_deallocate(map);
}

KTEST(vm, zero_fill_and_soft_faults)
{
	vm_map_t map = map_fixture_user();
	vm_address_t a = UBASE;
	struct vm_fault_stats s0, s1;

	ASSERT_TRUE(map != NULL);
	ASSERT_EQ(vm_allocate(map, &a, 4 * PAGE_SIZE, VM_FLAGS_FIXED), KERN_SUCCESS);
	thread_set_map(map);
	vm_fault_stats_get(&s0);
	EXPECT_EQ(ktest_uread(a + 8), 0);			/* zero fill */
	ktest_uwrite(a + PAGE_SIZE, 0x1234);			/* zero fill for a write */
	EXPECT_EQ(ktest_uread(a + PAGE_SIZE), 0x1234);	/* mapped already: no fault */
	pmap_remove(map->pmap, a, a + 4 * PAGE_SIZE);	/* the pages stay in the object */
	EXPECT_EQ(ktest_uread(a + PAGE_SIZE), 0x1234);	/* soft fault: nothing copied or zeroed */
	vm_fault_stats_get(&s1);
	EXPECT_EQ(s1.zero_fill - s0.zero_fill, 2);
	EXPECT_EQ(s1.soft - s0.soft, 1);
	/* Protection is the entry's: a read-only page faults for a write. */
	EXPECT_EQ(vm_protect(map, a, PAGE_SIZE, FALSE, VM_PROT_READ), KERN_SUCCESS);
	EXPECT_FAULT(EXC_STORE_PAGE_FAULT, ktest_uwrite(a, 1));
	EXPECT_FAULT(EXC_LOAD_PAGE_FAULT, (void)ktest_uread(a + 8 * PAGE_SIZE));	/* no entry */
	EXPECT_EQ(vm_fault(map, a, VM_PROT_WRITE), KERN_PROTECTION_FAILURE);
	EXPECT_EQ(vm_fault(map, a + 8 * PAGE_SIZE, VM_PROT_READ), KERN_INVALID_ADDRESS);
	thread_set_map(NULL);
	EXPECT_MAP_OK(map);
	vm_map_deallocate(map);
}

/*
 * vm_fault tries its quick path first: soft faults, read or write, end
 * there, except where a page table is missing (the removal freed the
 * emptied one): the long way makes it.
 */
KTEST(vm, soft_faults_take_the_quick_path)
{
	vm_map_t map = map_fixture_user();
	vm_address_t a = UBASE;
	struct vm_fault_stats s0, s1;

	ASSERT_TRUE(map != NULL);
	ASSERT_EQ(vm_allocate(map, &a, 16 * PAGE_SIZE, VM_FLAGS_FIXED), KERN_SUCCESS);
	thread_set_map(map);
	for (int i = 0; i < 16; i++)
		ktest_uwrite(a + ptoa(i), 0x100 + i);
	pmap_remove(map->pmap, a, a + 16 * PAGE_SIZE);
	vm_fault_stats_get(&s0);
	for (int i = 0; i < 16; i++)
		EXPECT_EQ(ktest_uread(a + ptoa(i)), 0x100 + i);	/* the first makes the table */
	pmap_remove(map->pmap, a + PAGE_SIZE, a + 2 * PAGE_SIZE);
	ktest_uwrite(a + PAGE_SIZE, 0x200);			/* a soft fault for a write */
	EXPECT_EQ(ktest_uread(a + PAGE_SIZE), 0x200);
	vm_fault_stats_get(&s1);
	EXPECT_EQ(s1.soft_quick - s0.soft_quick, 16);
	EXPECT_EQ(s1.soft - s0.soft, 17);
	EXPECT_EQ(s1.zero_fill + s1.cow + s1.shadow_read, s0.zero_fill + s0.cow + s0.shadow_read);
	thread_set_map(NULL);
	EXPECT_MAP_OK(map);
	vm_map_deallocate(map);
}

static uint64_t load_in(vm_map_t map, vm_offset_t va);

/*
 * A write to a page a fork shares takes the quick path once the entry
 * has its own object over the shared one (the first write made it): the
 * page is copied from the shadow just below and replaces its read-only
 * mapping.  Where the copy may let vm_fault shorten the chain, it goes
 * the long way: the shadow shared no more, or the object about to hold
 * every page of its range.
 */
KTEST(vm, cow_faults_take_the_quick_path)
{
	vm_map_t map = map_fixture_user(), child;
	vm_address_t a = UBASE;
	struct vm_fault_stats s0, s1;

	ASSERT_TRUE(map != NULL);
	ASSERT_EQ(vm_allocate(map, &a, 16 * PAGE_SIZE, VM_FLAGS_FIXED), KERN_SUCCESS);
	thread_set_map(map);
	for (int i = 0; i < 16; i++)
		ktest_uwrite(a + ptoa(i), 0x100 + i);
	child = vm_map_fork(map);
	ASSERT_TRUE(child != NULL);
	vm_fault_stats_get(&s0);
	for (int i = 0; i < 16; i++)
		ktest_uwrite(a + ptoa(i), 0x200 + i);
	vm_fault_stats_get(&s1);
	/* Not the first (it gives the entry its object) nor the last (the object is full: a bypass). */
	EXPECT_EQ(s1.cow - s0.cow, 16);
	EXPECT_EQ(s1.cow_quick - s0.cow_quick, 14);
	for (int i = 0; i < 16; i++)
		EXPECT_EQ(ktest_uread(a + ptoa(i)), 0x200 + i);
	for (int i = 0; i < 16; i++)
		EXPECT_EQ(load_in(child, a + ptoa(i)), 0x100 + i);
	thread_set_map(map);
	EXPECT_MAP_OK(map);
	EXPECT_MAP_OK(child);
	EXPECT_EQ(pmap_check(map->pmap, ktest_report), 0);
	vm_map_deallocate(child);
	/* Now the shadow is the parent's alone: copies go to vm_fault, which collapses. */
	pmap_remove(map->pmap, a, a + 16 * PAGE_SIZE);
	vm_fault_stats_get(&s0);
	EXPECT_EQ(ktest_uread(a), 0x200);
	vm_fault_stats_get(&s1);
	EXPECT_EQ(s1.cow_quick, s0.cow_quick);
	thread_set_map(NULL);
	EXPECT_MAP_OK(map);
	vm_map_deallocate(map);
}

/* Functions named _locked check their lock: called without it, each fails its assertion. */
KTEST(vm, locked_functions_called_without_their_lock_fail)
{
	vm_map_t map = map_fixture_user();
	vm_address_t a = UBASE;
	kern_return_t kr;

	ASSERT_TRUE(map != NULL);
	ASSERT_EQ(vm_allocate(map, &a, 4 * PAGE_SIZE, VM_FLAGS_FIXED), KERN_SUCCESS);
	EXPECT_ASSERT((void)vm_map_lookup_entry_locked(map, a));
	EXPECT_TRUE(strstr(kassert_last, "vm_map_lookup_entry_locked") != NULL);
	EXPECT_ASSERT((void)vm_map_entry_at_or_after_locked(map, a));
	rw_lock_read(&map->lock);		/* read-locked is not enough to clip */
	EXPECT_ASSERT((void)vm_map_clip_locked(map, a + PAGE_SIZE, a + 2 * PAGE_SIZE, &kr));
	EXPECT_TRUE(strstr(kassert_last, "not write-locked") != NULL);
	EXPECT_TRUE(vm_map_lookup_entry_locked(map, a) != NULL);	/* and with it, no complaint */
	rw_unlock_read(&map->lock);
	EXPECT_MAP_OK(map);
	vm_map_deallocate(map);
}

/*
 * In test runs a map is checked whenever its write lock is let go: a
 * change that leaves it broken fails there, at the change, not later.
 */
KTEST(vm, unlock_catches_a_broken_map)
{
	vm_map_t map = map_fixture_user();
	vm_address_t a = UBASE;
	struct vm_map_entry bogus = { 0 };

	ASSERT_TRUE(map != NULL);
	EXPECT_TRUE(kinvariants);
	ASSERT_EQ(vm_allocate(map, &a, 4 * PAGE_SIZE, VM_FLAGS_FIXED), KERN_SUCCESS);
	vm_map_lock(map);
	map->nentries++;
	EXPECT_ASSERT(vm_map_unlock(map));		/* still locked: the assertion came first */
	EXPECT_TRUE(strstr(kassert_last, "inconsistent") != NULL);
	map->nentries--;
	vm_map_hint_set(map, &bogus);		/* a hint that is no entry of the map */
	EXPECT_ASSERT(vm_map_lock_downgrade(map));
	vm_map_hint_set(map, map->first);
	vm_map_unlock(map);
	EXPECT_MAP_OK(map);
	vm_map_deallocate(map);
}

struct held_object {
	vm_object_t object;
	int held;		/* atomic: 1 while the helper holds the lock */
};

static void hold_object(void *arg)
{
	struct held_object *h = arg;

	mutex_lock(&h->object->lock);
	__atomic_store_n(&h->held, 1, __ATOMIC_RELEASE);
	thread_sleep_ns(20 * 1000 * 1000);
	__atomic_store_n(&h->held, 0, __ATOMIC_RELEASE);
	mutex_unlock(&h->object->lock);
}

/* The quick path never waits: with the object's lock taken, the fault goes to vm_fault, which does. */
KTEST(vm, a_held_object_sends_the_fault_the_long_way)
{
	vm_map_t map = map_fixture_user(), found;
	vm_address_t a = UBASE;
	struct vm_fault_stats s0, s1;
	struct held_object h = { 0 };
	vm_object_offset_t offset;
	vm_behavior_t behavior;
	struct thread *t;
	vm_prot_t prot;
	bool wired;

	ASSERT_TRUE(map != NULL);
	ASSERT_EQ(vm_allocate(map, &a, PAGE_SIZE, VM_FLAGS_FIXED), KERN_SUCCESS);
	thread_set_map(map);
	ktest_uwrite(a, 0x77);
	found = map;
	ASSERT_EQ(vm_map_lookup(&found, a, VM_PROT_READ, &h.object, &offset, &prot, &wired, &behavior,
				&found), KERN_SUCCESS);
	vm_map_lookup_done(map, found);
	pmap_remove(map->pmap, a, a + PAGE_SIZE);
	t = thread_create("hold_object", hold_object, &h, THREAD_ANY_HART);
	ASSERT_TRUE(t != NULL);
	while (!__atomic_load_n(&h.held, __ATOMIC_ACQUIRE))
		thread_yield();
	vm_fault_stats_get(&s0);
	EXPECT_EQ(ktest_uread(a), 0x77);
	EXPECT_EQ(__atomic_load_n(&h.held, __ATOMIC_ACQUIRE), 0);	/* the fault waited for it */
	vm_fault_stats_get(&s1);
	EXPECT_EQ(s1.soft - s0.soft, 1);
	EXPECT_EQ(s1.soft_quick, s0.soft_quick);
	thread_join(t);
	thread_set_map(NULL);
	EXPECT_MAP_OK(map);
	vm_map_deallocate(map);
}

static int replaced_handler_calls;

static bool count_then_fault(struct trap_frame *tf)
{
	replaced_handler_calls++;
	return vm_fault(thread_current()->map, tf->stval, VM_PROT_READ) == KERN_SUCCESS;
}

/* A handler installed in place of the VM's sees every fault: no quick path runs ahead of it. */
KTEST(vm, a_replaced_fault_handler_sees_soft_faults)
{
	vm_map_t map = map_fixture_user();
	vm_address_t a = UBASE;
	struct vm_fault_stats s0, s1;
	trap_handler_t old;

	ASSERT_TRUE(map != NULL);
	ASSERT_EQ(vm_allocate(map, &a, 2 * PAGE_SIZE, VM_FLAGS_FIXED), KERN_SUCCESS);
	thread_set_map(map);
	ktest_uwrite(a, 0x99);
	ktest_uwrite(a + PAGE_SIZE, 1);		/* stays mapped: its table stays */
	pmap_remove(map->pmap, a, a + PAGE_SIZE);
	replaced_handler_calls = 0;
	old = trap_set_handler(EXC_LOAD_PAGE_FAULT, count_then_fault);
	EXPECT_EQ(ktest_uread(a), 0x99);
	EXPECT_EQ(replaced_handler_calls, 1);
	trap_set_handler(EXC_LOAD_PAGE_FAULT, old);
	pmap_remove(map->pmap, a, a + PAGE_SIZE);
	vm_fault_stats_get(&s0);
	EXPECT_EQ(ktest_uread(a), 0x99);			/* the VM's again, quick path and all */
	vm_fault_stats_get(&s1);
	EXPECT_EQ(replaced_handler_calls, 1);
	EXPECT_EQ(s1.soft_quick - s0.soft_quick, 1);
	thread_set_map(NULL);
	EXPECT_MAP_OK(map);
	vm_map_deallocate(map);
}

KTEST(vm, copy_on_write_through_a_shadow)
{
	vm_map_t map = map_fixture_user();
	vm_object_t object = vm_object_allocate(PAGE_SIZE);
	vm_offset_t shared = UBASE, private = UBASE + 16 * PAGE_SIZE;
	struct vm_fault_stats s0, s1;

	ASSERT_TRUE(map && object);
	vm_object_reference(object);		/* one for each entry */
	ASSERT_EQ(vm_map_enter(map, &shared, PAGE_SIZE, 0, VM_FLAGS_FIXED, object, 0, FALSE,
			       VM_PROT_DEFAULT, VM_PROT_ALL, VM_INHERIT_SHARE), KERN_SUCCESS);
	ASSERT_EQ(vm_map_enter(map, &private, PAGE_SIZE, 0, VM_FLAGS_FIXED, object, 0, TRUE,
			       VM_PROT_DEFAULT, VM_PROT_ALL, VM_INHERIT_COPY), KERN_SUCCESS);
	thread_set_map(map);
	ktest_uwrite(shared, 0xaaaa);			/* into the object itself */
	vm_fault_stats_get(&s0);
	EXPECT_EQ(ktest_uread(private), 0xaaaa);	/* read through: no copy */
	ktest_uwrite(private, 0xbbbb);		/* the write makes the copy */
	vm_fault_stats_get(&s1);
	EXPECT_EQ(s1.cow - s0.cow, 1);
	EXPECT_EQ(ktest_uread(shared), 0xaaaa);	/* the original is untouched */
	EXPECT_EQ(ktest_uread(private), 0xbbbb);
	ktest_uwrite(shared, 0xcccc);			/* and later writes there do not leak across */
	EXPECT_EQ(ktest_uread(private), 0xbbbb);
	thread_set_map(NULL);
	EXPECT_MAP_OK(map);
	vm_map_deallocate(map);
}

KTEST(vm, wire_and_unwire_counts)
{
	vm_map_t map = map_fixture_user();
	vm_address_t a = UBASE;
	uint64_t wired0 = vm_page_wired_count();
	vm_paddr_t pa;

	ASSERT_TRUE(map != NULL);
	ASSERT_EQ(vm_allocate(map, &a, 4 * PAGE_SIZE, VM_FLAGS_FIXED), KERN_SUCCESS);
	EXPECT_EQ(vm_map_wire(map, a, a + 4 * PAGE_SIZE, VM_PROT_DEFAULT, TRUE), KERN_SUCCESS);
	EXPECT_EQ(vm_page_wired_count(), wired0 + 4);
	EXPECT_EQ(pmap_wired_count(map->pmap), 4);
	EXPECT_EQ(pmap_extract(map->pmap, a + 3 * PAGE_SIZE, &pa), KERN_SUCCESS);	/* brought in */
	EXPECT_EQ(vm_map_wire(map, a, a + 2 * PAGE_SIZE, VM_PROT_READ, FALSE), KERN_SUCCESS);
	EXPECT_EQ(vm_map_unwire(map, a, a + 4 * PAGE_SIZE, TRUE), KERN_SUCCESS);
	EXPECT_EQ(vm_page_wired_count(), wired0 + 2);	/* the kernel wiring still holds two */
	EXPECT_EQ(vm_map_unwire(map, a, a + 4 * PAGE_SIZE, TRUE), KERN_FAILURE);
	EXPECT_EQ(vm_map_unwire(map, a, a + 2 * PAGE_SIZE, FALSE), KERN_SUCCESS);
	EXPECT_EQ(vm_page_wired_count(), wired0);
	EXPECT_EQ(pmap_wired_count(map->pmap), 0);
	EXPECT_EQ(vm_protect(map, a, PAGE_SIZE, TRUE, VM_PROT_NONE), KERN_SUCCESS);
	EXPECT_EQ(vm_map_wire(map, a, a + PAGE_SIZE, VM_PROT_READ, FALSE), KERN_PROTECTION_FAILURE);
	EXPECT_MAP_OK(map);
	vm_map_deallocate(map);
}

KTEST(vm, kmem_variants)
{
	vm_offset_t w, ww, p, al, c;
	vm_paddr_t pa0, pa;
	uint64_t wired0 = vm_page_wired_count();

	ASSERT_EQ(kmem_alloc_wired(kernel_map, &ww, 2 * PAGE_SIZE), KERN_SUCCESS);
	EXPECT_EQ(vm_page_wired_count(), wired0 + 2);		/* backed and wired at once */
	EXPECT_EQ(pmap_extract(kernel_pmap, ww + PAGE_SIZE, &pa), KERN_SUCCESS);
	EXPECT_EQ(*(volatile uint64_t *)(ww + PAGE_SIZE), 0);
	kmem_free(kernel_map, ww, 2 * PAGE_SIZE);
	EXPECT_EQ(vm_page_wired_count(), wired0);
	ASSERT_EQ(kmem_alloc(kernel_map, &w, 3 * PAGE_SIZE), KERN_SUCCESS);
	EXPECT_EQ(*(volatile uint64_t *)(w + 2 * PAGE_SIZE), 0);	/* zeroed, wired: no fault */
	*(volatile uint64_t *)w = 5;
	EXPECT_EQ(pmap_extract(kernel_pmap, w + 2 * PAGE_SIZE, &pa), KERN_SUCCESS);
	ASSERT_EQ(kmem_alloc_pageable(kernel_map, &p, 2 * PAGE_SIZE), KERN_SUCCESS);
	EXPECT_EQ(pmap_extract(kernel_pmap, p, &pa), KERN_INVALID_ADDRESS);	/* not backed yet */
	*(volatile uint64_t *)(p + PAGE_SIZE) = 7;				/* faults in */
	EXPECT_EQ(pmap_extract(kernel_pmap, p + PAGE_SIZE, &pa), KERN_SUCCESS);
	EXPECT_EQ(pmap_extract(kernel_pmap, p, &pa), KERN_INVALID_ADDRESS);
	ASSERT_EQ(kmem_alloc_aligned(kernel_map, &al, 64 * 1024), KERN_SUCCESS);
	EXPECT_EQ(al % (64 * 1024), 0);
	EXPECT_EQ(kmem_alloc_aligned(kernel_map, &al, 3 * PAGE_SIZE), KERN_INVALID_ARGUMENT);
	ASSERT_EQ(kmem_alloc_contig(kernel_map, &c, 16 * PAGE_SIZE, 0xffff, KMA_NONE), KERN_SUCCESS);
	ASSERT_EQ(pmap_extract(kernel_pmap, c, &pa0), KERN_SUCCESS);
	EXPECT_EQ(pa0 & 0xffff, 0);
	for (int i = 1; i < 16; i++) {
		EXPECT_EQ(pmap_extract(kernel_pmap, c + ptoa(i), &pa), KERN_SUCCESS);
		EXPECT_EQ(pa, pa0 + ptoa(i));
	}
	EXPECT_MAP_OK(kernel_map);
	kmem_free(kernel_map, w, 3 * PAGE_SIZE);
	kmem_free(kernel_map, p, 2 * PAGE_SIZE);
	kmem_free(kernel_map, al, 64 * 1024);
	kmem_free(kernel_map, c, 16 * PAGE_SIZE);
	kmem_free(kernel_map, 0x1000, PAGE_SIZE);	/* not kernel_map's: reported, ignored */
	EXPECT_FAULT(EXC_STORE_PAGE_FAULT, *(volatile uint64_t *)w = 1);	/* gone */
	EXPECT_MAP_OK(kernel_map);
}

/* ---- fork and map copies ------------------------------------------------------------- */

/* in_map: run f with the thread in map (faults there resolve through vm_fault). */
/* object_at: the object of map's entry at va (looked up under the map's lock). */
static vm_object_t object_at(vm_map_t map, vm_offset_t va)
{
	vm_object_t object;

	rw_lock_read(&map->lock);
	object = vm_map_lookup_entry_locked(map, va)->object;
	rw_unlock_read(&map->lock);
	return object;
}

static uint64_t load_in(vm_map_t map, vm_offset_t va)
{
	uint64_t v;

	thread_set_map(map);
	v = ktest_uread(va);
	thread_set_map(NULL);
	return v;
}

static void store_in(vm_map_t map, vm_offset_t va, uint64_t v)
{
	thread_set_map(map);
	ktest_uwrite(va, v);
	thread_set_map(NULL);
}

KTEST(vm, fork_honours_each_inheritance)
{
	vm_map_t parent = map_fixture_user(), child;
	vm_address_t share = UBASE, copy = UBASE + 0x100000, none = UBASE + 0x200000;
	vm_address_t addr;
	vm_size_t size;
	vm_region_basic_info_data_t info;

	ASSERT_TRUE(parent != NULL);
	ASSERT_EQ(vm_allocate(parent, &share, 4 * PAGE_SIZE, VM_FLAGS_FIXED), KERN_SUCCESS);
	ASSERT_EQ(vm_allocate(parent, &copy, 4 * PAGE_SIZE, VM_FLAGS_FIXED), KERN_SUCCESS);
	ASSERT_EQ(vm_allocate(parent, &none, PAGE_SIZE, VM_FLAGS_FIXED), KERN_SUCCESS);
	ASSERT_EQ(vm_inherit(parent, share, 4 * PAGE_SIZE, VM_INHERIT_SHARE), KERN_SUCCESS);
	ASSERT_EQ(vm_inherit(parent, none, PAGE_SIZE, VM_INHERIT_NONE), KERN_SUCCESS);
	store_in(parent, share, 1);
	store_in(parent, copy, 2);
	store_in(parent, copy + 3 * PAGE_SIZE, 3);
	store_in(parent, none, 4);
	ASSERT_TRUE((child = vm_map_fork(parent)) != NULL);
	EXPECT_MAP_OK(parent);
	EXPECT_MAP_OK(child);
	/* NONE: nothing there in the child. */
	addr = none;
	EXPECT_EQ(vm_region(child, &addr, &size, &info), KERN_NO_SPACE);
	EXPECT_EQ(vm_fault(child, none, VM_PROT_READ), KERN_INVALID_ADDRESS);
	/* COPY: the same data, then writes on either side stay on that side. */
	EXPECT_EQ(load_in(child, copy), 2);
	store_in(child, copy, 20);
	store_in(parent, copy + 3 * PAGE_SIZE, 30);
	EXPECT_EQ(load_in(parent, copy), 2);
	EXPECT_EQ(load_in(child, copy + 3 * PAGE_SIZE), 3);
	/* SHARE: writes on either side are seen on both. */
	store_in(child, share, 10);
	EXPECT_EQ(load_in(parent, share), 10);
	store_in(parent, share + PAGE_SIZE, 11);
	EXPECT_EQ(load_in(child, share + PAGE_SIZE), 11);
	addr = share;
	ASSERT_EQ(vm_region(child, &addr, &size, &info), KERN_SUCCESS);
	EXPECT_EQ(info.share_mode, SM_SHARED);
	EXPECT_MAP_OK(parent);
	EXPECT_MAP_OK(child);
	vm_map_deallocate(child);
	EXPECT_EQ(load_in(parent, share), 10);	/* still there after the child went */
	vm_map_deallocate(parent);
}

KTEST(vm, three_generations_then_collapse)
{
	vm_map_t g[3];
	vm_address_t s = UBASE, c = UBASE + 0x100000;

	ASSERT_TRUE((g[0] = map_fixture_user()) != NULL);
	ASSERT_EQ(vm_allocate(g[0], &s, 2 * PAGE_SIZE, VM_FLAGS_FIXED), KERN_SUCCESS);
	ASSERT_EQ(vm_allocate(g[0], &c, 2 * PAGE_SIZE, VM_FLAGS_FIXED), KERN_SUCCESS);
	ASSERT_EQ(vm_inherit(g[0], s, 2 * PAGE_SIZE, VM_INHERIT_SHARE), KERN_SUCCESS);
	store_in(g[0], c, 100);
	for (int i = 1; i < 3; i++) {
		ASSERT_TRUE((g[i] = vm_map_fork(g[i - 1])) != NULL);
		store_in(g[i], c, 100 + i);		/* each generation its own copy */
		store_in(g[i], s + PAGE_SIZE * (i - 1), 200 + i);	/* into the shared memory */
	}
	for (int i = 0; i < 3; i++) {
		EXPECT_EQ(load_in(g[i], c), 100 + i);
		EXPECT_EQ(load_in(g[i], s), 201);
		EXPECT_EQ(load_in(g[i], s + PAGE_SIZE), 202);
		EXPECT_MAP_OK(g[i]);
	}
	/* The middle generation goes; the others keep their data, and writes collapse chains. */
	vm_map_deallocate(g[1]);
	store_in(g[2], c + PAGE_SIZE, 7);
	store_in(g[0], c + PAGE_SIZE, 8);
	EXPECT_EQ(load_in(g[2], c), 102);
	EXPECT_EQ(load_in(g[0], c), 100);
	EXPECT_EQ(load_in(g[2], c + PAGE_SIZE), 7);
	EXPECT_EQ(load_in(g[0], c + PAGE_SIZE), 8);
	EXPECT_LE(vm_object_chain_length(object_at(g[2], c)), 2);
	EXPECT_MAP_OK(g[0]);
	EXPECT_MAP_OK(g[2]);
	vm_map_deallocate(g[2]);
	vm_map_deallocate(g[0]);
}

KTEST(vm, a_thousand_forks_keep_the_chain_short)
{
	vm_map_t parent = map_fixture_user();
	vm_address_t a = UBASE;
	int longest = 0;

	ASSERT_TRUE(parent != NULL);
	ASSERT_EQ(vm_allocate(parent, &a, 4 * PAGE_SIZE, VM_FLAGS_FIXED), KERN_SUCCESS);
	for (int i = 0; i < 1000; i++) {
		vm_map_t child = vm_map_fork(parent);

		ASSERT_TRUE(child != NULL);
		store_in(child, a, i);		/* both sides write: copy-on-write each time */
		store_in(parent, a + PAGE_SIZE * (i % 4), i);
		ASSERT_EQ(load_in(child, a), i);
		vm_map_deallocate(child);
		longest = MAX(longest, vm_object_chain_length(object_at(parent, a)));
	}
	EXPECT_LE(longest, 3);
	EXPECT_EQ(load_in(parent, a + 3 * PAGE_SIZE), 999);
	EXPECT_MAP_OK(parent);
	vm_map_deallocate(parent);
}

KTEST(vm, copyin_copyout_overwrite_discard)
{
	vm_map_t src = map_fixture_user(), dst = map_fixture_user();
	vm_address_t a = UBASE, b = UBASE + 0x100000, out;
	vm_map_copy_t copy;

	ASSERT_TRUE(src && dst);
	ASSERT_EQ(vm_allocate(src, &a, 8 * PAGE_SIZE, VM_FLAGS_FIXED), KERN_SUCCESS);
	for (int i = 0; i < 8; i++)
		store_in(src, a + ptoa(i) + 8, 0x100 + i);
	/* Large: copy-on-write.  The copy keeps the data as it was at copyin. */
	ASSERT_EQ(vm_map_copyin(src, a, 8 * PAGE_SIZE, FALSE, &copy), KERN_SUCCESS);
	store_in(src, a + 8, 0xdead);
	ASSERT_EQ(vm_map_copyout(dst, &out, copy), KERN_SUCCESS);
	EXPECT_EQ(load_in(dst, out + 8), 0x100);
	EXPECT_EQ(load_in(dst, out + ptoa(7) + 8), 0x107);
	store_in(dst, out + ptoa(7) + 8, 0xbeef);	/* and the other way round */
	EXPECT_EQ(load_in(src, a + ptoa(7) + 8), 0x107);
	/* Partial pages: bytes 12 .. 12+5000 of page 1 onward, over an unaligned target. */
	ASSERT_EQ(vm_allocate(dst, &b, 4 * PAGE_SIZE, VM_FLAGS_FIXED), KERN_SUCCESS);
	ASSERT_EQ(vm_map_copyin(src, a + PAGE_SIZE + 8, 5000, FALSE, &copy), KERN_SUCCESS);
	EXPECT_EQ(vm_map_copy_size(copy), 5000);
	ASSERT_EQ(vm_map_copy_overwrite(dst, b + 100, copy, FALSE, NULL), KERN_SUCCESS);
	EXPECT_EQ(load_in(dst, b + 100), 0x101);
	EXPECT_EQ(load_in(dst, b + 100 + PAGE_SIZE), 0x102);
	EXPECT_EQ(load_in(dst, b + 92), 0);	/* just before: untouched */
	/* Overwrite refuses read-only and unmapped targets; discard frees a copy unused. */
	ASSERT_EQ(vm_map_copyin(src, a, PAGE_SIZE, FALSE, &copy), KERN_SUCCESS);
	EXPECT_EQ(vm_protect(dst, b, PAGE_SIZE, FALSE, VM_PROT_READ), KERN_SUCCESS);
	EXPECT_EQ(vm_map_copy_overwrite(dst, b, copy, FALSE, NULL), KERN_PROTECTION_FAILURE);
	EXPECT_EQ(vm_map_copy_overwrite(dst, UBASE + 0x800000, copy, FALSE, NULL), KERN_INVALID_ADDRESS);
	vm_map_copy_discard(copy);
	/* src_destroy: the range leaves the source. */
	ASSERT_EQ(vm_map_copyin(src, a, 2 * PAGE_SIZE, TRUE, &copy), KERN_SUCCESS);
	EXPECT_EQ(vm_fault(src, a, VM_PROT_READ), KERN_INVALID_ADDRESS);
	ASSERT_EQ(vm_map_copyout(dst, &out, copy), KERN_SUCCESS);
	EXPECT_EQ(load_in(dst, out + 8), 0xdead);
	EXPECT_EQ(vm_map_copyin(src, a, 2 * PAGE_SIZE, FALSE, &copy), KERN_INVALID_ADDRESS);
	EXPECT_EQ(vm_map_copyin(src, a, 0, FALSE, &copy), KERN_INVALID_ARGUMENT);
	EXPECT_MAP_OK(src);
	EXPECT_MAP_OK(dst);
	vm_map_deallocate(src);
	vm_map_deallocate(dst);
}

/* ---- the AIX heap --------------------------------------------------------------------- */

#define XM_SLOTS 200

KTEST(vm, xmalloc_random_pattern)
{
	static struct { caddr_t p; int size; uint8_t fill; } slot[XM_SLOTS];
	static char area[64 * 1024] __attribute__((aligned(16)));
	uint64_t rng = 0x1234567;
	int err = -1;
	heapaddr_t heap = init_heap(area, sizeof(area), &err);

	ASSERT_TRUE(heap != NULL);
	EXPECT_EQ(err, 0);
	for (int step = 0; step < 5000; step++) {
		int i = (int)((rng = rng * 6364136223846793005ul + 1442695040888963407ul) >> 33) % XM_SLOTS;

		if (slot[i].p) {		/* the bytes are still ours: free */
			for (int k = 0; k < slot[i].size; k++)
				ASSERT_EQ((uint8_t)slot[i].p[k], slot[i].fill);
			ASSERT_EQ(xmfree(slot[i].p, heap), 0);
			slot[i].p = NULL;
		} else {
			int size = 1 + (int)(rng >> 50) % 700, align = (int)(rng >> 40) % 9;

			slot[i].p = xmalloc(size, align, heap);
			if (!slot[i].p)
				continue;	/* full for now */
			ASSERT_EQ((uintptr_t)slot[i].p % (1u << align), 0);
			slot[i].size = size;
			slot[i].fill = (uint8_t)step;
			memset(slot[i].p, slot[i].fill, (size_t)size);
		}
		if (step % 500 == 0)
			ASSERT_EQ(heap_check(heap, ktest_report), 0);
	}
	for (int i = 0; i < XM_SLOTS; i++)
		if (slot[i].p)
			EXPECT_EQ(xmfree(slot[i].p, heap), 0);
	EXPECT_EQ(heap_bytes_used(heap), 0);
	EXPECT_EQ(heap_check(heap, ktest_report), 0);
	/* Bad input: errors, never a crash. */
	EXPECT_EQ(xmfree(area + 7, heap), -1);
	EXPECT_EQ(xmfree(NULL, heap), -1);
	EXPECT_TRUE(xmalloc(0, 0, heap) == NULL);
	EXPECT_TRUE(xmalloc(16, 13, heap) == NULL);
	EXPECT_TRUE(xmalloc(16, 0, NULL) == NULL);
	EXPECT_TRUE(init_heap(area + 1, 4096, &err) == NULL);
	EXPECT_EQ(err, EINVAL);
}

KTEST(vm, kernel_heaps_exist)
{
	caddr_t a = xmalloc(100, 3, kernel_heap), b = xmalloc(5000, 12, pinned_heap);

	ASSERT_TRUE(a && b);
	EXPECT_EQ((uintptr_t)b % 4096, 0);
	memset(a, 1, 100);
	memset(b, 2, 5000);
	EXPECT_EQ(xmfree(a, kernel_heap), 0);
	EXPECT_EQ(xmfree(a, kernel_heap), -1);	/* twice: refused */
	EXPECT_EQ(xmfree(b, pinned_heap), 0);
}

/* ---- concurrency ----------------------------------------------------------------------- */

#define CC_PAGES	32
#define CC_WORKERS	HART_MAX
#define CC_WRITES	150
#define CC_R		UBASE			/* workers write here (RW, never protected) */
#define CC_R2		(UBASE + 0x100000)	/* protected and unprotected */
#define CC_R3		(UBASE + 0x200000)	/* deallocated and allocated again */

/* A copy of CC_R made while the workers ran, and what each page's owner slot held then. */
struct cc_copy {
	vm_map_t map;
	vm_offset_t base;
	uint64_t seen[CC_PAGES];
};

struct cc {
	vm_map_t map;
	int nworkers;
	volatile int running;
	uint64_t last[CC_PAGES];	/* the last value each page's owner wrote */
	volatile int failures;
	struct ktest_ctx *ctx;
	struct cc_copy snapshot;	/* vm_map_copyin + copyout in the first round */
	struct cc_copy child;		/* vm_map_fork in the second */
};

static uint64_t cc_value(int w, uint64_t seq)
{
	return ((uint64_t)w << 40) | seq;
}

/* cc_copy_take: remember what copy (CC_R of c->map at some moment) holds in each owner's slot. */
static void cc_copy_take(struct cc *c, struct cc_copy *copy, vm_map_t map, vm_offset_t base)
{
	copy->map = map;
	copy->base = base;
	for (int p = 0; p < CC_PAGES; p++)
		copy->seen[p] = load_in(map, base + ptoa(p) + 8 * (p % c->nworkers));
}

/*
 * cc_copy_ok: each slot of the copy held a value its owner wrote (or the
 * zero before its first write), and still holds it: the workers' later
 * writes went to their own map only.
 */
static void cc_copy_ok(struct cc *c, struct cc_copy *copy, const char *what)
{
	int older = 0;

	if (!copy->map)
		return;
	for (int p = 0; p < CC_PAGES; p++) {
		int w = p % c->nworkers;
		uint64_t v = copy->seen[p], seq = v & ((1ul << 40) - 1);

		EXPECT_TRUE(v == 0 || (v >> 40 == (uint64_t)w && seq >= 1 && seq <= CC_WRITES));
		EXPECT_EQ(load_in(copy->map, copy->base + ptoa(p) + 8 * w), v);
		older += seq < CC_WRITES;
	}
	ktest_report("%s: %d of %d pages hold a value older than the last write\n", what, older,
		     CC_PAGES);
	EXPECT_MAP_OK(copy->map);
	vm_map_deallocate(copy->map);
}

/* cc_worker: owns pages w, w+n, ...: writes them and reads them back; reads the others too. */
static void cc_worker(void *arg)
{
	struct cc *c = ((void **)arg)[0];
	int w = (int)(uintptr_t)((void **)arg)[1];

	thread_set_map(c->map);
	for (uint64_t seq = 1; seq <= CC_WRITES; seq++) {
		for (int p = w; p < CC_PAGES; p += c->nworkers) {
			uint64_t v = cc_value(w, seq);

			ktest_uwrite(CC_R + ptoa(p) + 8 * w, v);
			c->last[p] = v;
			if (ktest_uread(CC_R + ptoa(p) + 8 * w) != v)
				__atomic_fetch_add(&c->failures, 1, __ATOMIC_RELAXED);
		}
		(void)ktest_uread(CC_R + ptoa(seq % CC_PAGES));	/* someone else's page: any value */
		vm_fault(c->map, CC_R2 + ptoa(seq % 4), VM_PROT_READ);	/* may be refused: fine */
		vm_fault(c->map, CC_R3 + ptoa(seq % 4), VM_PROT_WRITE);	/* may be a hole: fine */
	}
	thread_set_map(NULL);
	__atomic_fetch_sub(&c->running, 1, __ATOMIC_RELEASE);
}

/* cc_mutator: protect, wire, copy, fork and deallocate while the workers run. */
static int cc_mutator(struct cc *c)
{
	int round;

	for (round = 0; __atomic_load_n(&c->running, __ATOMIC_ACQUIRE) > 0; round++) {
		vm_map_copy_t copy;
		vm_map_t child;
		vm_address_t a = CC_R3;

		EXPECT_EQ(vm_protect(c->map, CC_R2, 4 * PAGE_SIZE, FALSE, round & 1 ? VM_PROT_DEFAULT : VM_PROT_NONE),
			  KERN_SUCCESS);
		EXPECT_EQ(vm_map_wire(c->map, CC_R, CC_R + 8 * PAGE_SIZE, VM_PROT_DEFAULT, FALSE), KERN_SUCCESS);
		/* Copy-on-write under the workers' feet: the first copy and fork are kept. */
		if (vm_map_copyin(c->map, CC_R, ptoa(CC_PAGES), FALSE, &copy) == KERN_SUCCESS) {
			vm_map_t snap = round == 0 ? map_fixture_user() : NULL;
			vm_address_t at = 0;

			if (snap && vm_map_copyout(snap, &at, copy) == KERN_SUCCESS)
				cc_copy_take(c, &c->snapshot, snap, at);
			else
				vm_map_copy_discard(copy);
			if (snap && !c->snapshot.map)
				vm_map_deallocate(snap);
		}
		EXPECT_EQ(vm_map_unwire(c->map, CC_R, CC_R + 8 * PAGE_SIZE, FALSE), KERN_SUCCESS);
		if ((child = vm_map_fork(c->map)) != NULL) {
			if (round == 1)
				cc_copy_take(c, &c->child, child, CC_R);
			else
				vm_map_deallocate(child);
		}
		EXPECT_EQ(vm_deallocate(c->map, CC_R3, 4 * PAGE_SIZE), KERN_SUCCESS);
		EXPECT_EQ(vm_allocate(c->map, &a, 4 * PAGE_SIZE, VM_FLAGS_FIXED), KERN_SUCCESS);
		if (round % 8 == 0)
			EXPECT_MAP_OK(c->map);
		thread_yield();
	}
	return round;
}

KTEST(vm, concurrent_faults_and_map_changes)
{
	static struct cc c;
	void *args[CC_WORKERS][2];
	struct thread *t[CC_WORKERS];
	vm_address_t r = CC_R, r2 = CC_R2, r3 = CC_R3;
	int rounds;

	c = (struct cc){ .map = map_fixture_user(), .nworkers = MIN(hart_count, 4) };
	ASSERT_TRUE(c.map != NULL);
	ASSERT_EQ(vm_allocate(c.map, &r, ptoa(CC_PAGES), VM_FLAGS_FIXED), KERN_SUCCESS);
	ASSERT_EQ(vm_allocate(c.map, &r2, 4 * PAGE_SIZE, VM_FLAGS_FIXED), KERN_SUCCESS);
	ASSERT_EQ(vm_allocate(c.map, &r3, 4 * PAGE_SIZE, VM_FLAGS_FIXED), KERN_SUCCESS);
	c.running = c.nworkers;
	for (int w = 0; w < c.nworkers; w++) {
		args[w][0] = &c;
		args[w][1] = (void *)(uintptr_t)w;
		t[w] = thread_create("cc_worker", cc_worker, args[w], w % hart_count);
		ASSERT_TRUE(t[w] != NULL);
	}
	rounds = cc_mutator(&c);
	for (int w = 0; w < c.nworkers; w++)
		thread_join(t[w]);
	kprintf("    %d mutator rounds while %d workers ran\n", rounds, c.nworkers);
	EXPECT_GT(rounds, 0);
	EXPECT_EQ(c.failures, 0);
	/* Every page holds exactly what its owner wrote last. */
	thread_set_map(c.map);
	for (int p = 0; p < CC_PAGES; p++) {
		int w = p % c.nworkers;

		EXPECT_EQ(ktest_uread(CC_R + ptoa(p) + 8 * w), c.last[p]);
		EXPECT_EQ(c.last[p], cc_value(w, CC_WRITES));
	}
	thread_set_map(NULL);
	EXPECT_TRUE(c.snapshot.map != NULL);
	cc_copy_ok(&c, &c.snapshot, "copy");
	cc_copy_ok(&c, &c.child, "fork");
	EXPECT_MAP_OK(c.map);
	vm_map_deallocate(c.map);
}

/* ---- submaps ------------------------------------------------------------------------------ */

#define SUB_BASE	0x40000000ul		/* 2 MiB aligned: nestable */
#define SUB_SIZE	(2ul * 1024 * 1024)

KTEST(vm, submaps_shared_and_nested)
{
	vm_map_t sub = vm_map_create(pmap_create(), SUB_BASE, SUB_BASE + SUB_SIZE);
	vm_map_t a = map_fixture_user(), b = map_fixture_user(), c = map_fixture_user();
	vm_address_t s = SUB_BASE, other = 0x50000000;
	struct vm_fault_stats f0, f1;

	ASSERT_TRUE(sub && a && b && c);
	ASSERT_EQ(vm_allocate(sub, &s, 4 * PAGE_SIZE, VM_FLAGS_FIXED), KERN_SUCCESS);
	/* a and b share the submap's page tables; c maps it elsewhere, with its own. */
	ASSERT_EQ(vm_map_submap(a, SUB_BASE, SUB_BASE + SUB_SIZE, sub, SUB_BASE, TRUE), KERN_SUCCESS);
	ASSERT_EQ(vm_map_submap(b, SUB_BASE, SUB_BASE + SUB_SIZE, sub, SUB_BASE, TRUE), KERN_SUCCESS);
	ASSERT_EQ(vm_map_submap(c, other, other + SUB_SIZE, sub, SUB_BASE, FALSE), KERN_SUCCESS);
	EXPECT_EQ(vm_map_submap(c, other, other + SUB_SIZE, sub, SUB_BASE, FALSE), KERN_NO_SPACE);
	EXPECT_EQ(vm_map_submap(c, other + SUB_SIZE, other + 2 * SUB_SIZE, sub, SUB_BASE, TRUE),
		  KERN_INVALID_ARGUMENT);	/* nesting needs the same addresses */
	store_in(a, SUB_BASE + 8, 0x5ab);	/* faults through a into the submap */
	vm_fault_stats_get(&f0);
	EXPECT_EQ(load_in(b, SUB_BASE + 8), 0x5ab);	/* b sees a's mapping with no fault */
	vm_fault_stats_get(&f1);
	EXPECT_EQ(f1.zero_fill + f1.soft + f1.cow + f1.shadow_read,
		  f0.zero_fill + f0.soft + f0.cow + f0.shadow_read);
	/* c, without use_pmap, reads the submap's pages; what it writes is its own copy. */
	EXPECT_EQ(load_in(c, other + 8), 0x5ab);
	store_in(b, SUB_BASE + PAGE_SIZE, 0xb0);
	store_in(c, other + PAGE_SIZE, 0xc0);
	EXPECT_EQ(load_in(b, SUB_BASE + PAGE_SIZE), 0xb0);
	EXPECT_EQ(load_in(c, other + PAGE_SIZE), 0xc0);
	EXPECT_EQ(vm_fault(a, SUB_BASE + 5 * PAGE_SIZE, VM_PROT_READ), KERN_INVALID_ADDRESS);
	/* A fork shares the submap, nested again in the child. */
	vm_map_t child = vm_map_fork(a);

	ASSERT_TRUE(child != NULL);
	EXPECT_EQ(load_in(child, SUB_BASE + 8), 0x5ab);
	vm_map_deallocate(child);
	EXPECT_MAP_OK(a);
	EXPECT_MAP_OK(sub);
	EXPECT_EQ(vm_deallocate(a, SUB_BASE, SUB_SIZE), KERN_SUCCESS);	/* unnests a only */
	EXPECT_EQ(load_in(b, SUB_BASE + 8), 0x5ab);
	vm_map_deallocate(a);
	vm_map_deallocate(b);
	vm_map_deallocate(c);
	vm_map_deallocate(sub);
}

/* can_write / can_read: an access through map's own pmap and faults succeeds (copyout / copyin). */
static bool can_write(vm_map_t map, vm_offset_t va, uint64_t v)
{
	int err;

	thread_set_map(map);
	err = copyout(&v, (void *)va, sizeof(v));
	thread_set_map(NULL);
	return err == 0;
}

static bool can_read(vm_map_t map, vm_offset_t va, uint64_t *v)
{
	int err;

	thread_set_map(map);
	err = copyin((const void *)va, v, sizeof(*v));
	thread_set_map(NULL);
	return err == 0;
}

/* Two parents of one submap: in[0] nests it (use_pmap) at at[0], in[1] maps it plainly at at[1]. */
struct submap_pair {
	vm_map_t sub, in[2];
	vm_offset_t at[2];
};

static bool submap_pair_make(struct submap_pair *p)
{
	*p = (struct submap_pair){ vm_map_create(pmap_create(), SUB_BASE, SUB_BASE + SUB_SIZE),
				   { map_fixture_user(), map_fixture_user() }, { SUB_BASE, 0x50000000 } };
	return p->sub && p->in[0] && p->in[1] &&
	       vm_map_submap(p->in[0], SUB_BASE, SUB_BASE + SUB_SIZE, p->sub, SUB_BASE, TRUE) ==
		       KERN_SUCCESS &&
	       vm_map_submap(p->in[1], p->at[1], p->at[1] + SUB_SIZE, p->sub, SUB_BASE, FALSE) ==
		       KERN_SUCCESS;
}

static void submap_pair_drop(struct submap_pair *p)
{
	EXPECT_MAP_OK(p->sub);
	for (int i = 0; i < 2; i++) {
		EXPECT_MAP_OK(p->in[i]);
		vm_map_deallocate(p->in[i]);
	}
	vm_map_deallocate(p->sub);
}

/*
 * Changes in a submap reach every map that holds it, nested (the
 * submap's own page tables) or plain (the submap's pages in the parent's
 * own pmap).  Memory added appears in both; protection lowered or memory
 * removed leaves both.  The object is shared with a copy-on-write copy,
 * so its pages outlive the deallocate: only stale mappings could show them.
 * (The plain parent only reads: a write would give it its own copy.)
 */
KTEST(vm, submap_changes_reach_every_parent)
{
	struct submap_pair p;
	vm_address_t s = SUB_BASE;
	vm_map_copy_t copy;
	uint64_t v = 0;

	ASSERT_TRUE(submap_pair_make(&p));
	EXPECT_FALSE(can_read(p.in[1], p.at[1], &v));
	/* Added after both parents mapped the submap: both see it. */
	ASSERT_EQ(vm_allocate(p.sub, &s, 4 * PAGE_SIZE, VM_FLAGS_FIXED), KERN_SUCCESS);
	for (int pg = 0; pg < 4; pg++)
		EXPECT_TRUE(can_write(p.in[0], p.at[0] + ptoa(pg), 10 + (uint64_t)pg));
	for (int i = 0; i < 2; i++) {
		EXPECT_TRUE(can_read(p.in[i], p.at[i] + 3 * PAGE_SIZE, &v));
		EXPECT_EQ(v, 13);
	}
	/* Read-only in the submap: both read, neither writes. */
	EXPECT_EQ(vm_protect(p.sub, SUB_BASE, PAGE_SIZE, FALSE, VM_PROT_READ), KERN_SUCCESS);
	for (int i = 0; i < 2; i++) {
		EXPECT_FALSE(can_write(p.in[i], p.at[i], 99));
		EXPECT_TRUE(can_read(p.in[i], p.at[i], &v));
		EXPECT_EQ(v, 10);
	}
	/* No access in the submap: neither reads. */
	EXPECT_EQ(vm_protect(p.sub, SUB_BASE, PAGE_SIZE, FALSE, VM_PROT_NONE), KERN_SUCCESS);
	for (int i = 0; i < 2; i++)
		EXPECT_FALSE(can_read(p.in[i], p.at[i], &v));
	/* Deallocated in the submap while a copy-on-write copy keeps the pages: gone from both. */
	ASSERT_TRUE(3 * PAGE_SIZE > VM_MAP_COPY_SMALL);	/* not copied at once */
	ASSERT_EQ(vm_map_copyin(p.sub, SUB_BASE + PAGE_SIZE, 3 * PAGE_SIZE, FALSE, &copy), KERN_SUCCESS);
	EXPECT_EQ(vm_deallocate(p.sub, SUB_BASE + PAGE_SIZE, 2 * PAGE_SIZE), KERN_SUCCESS);
	for (int i = 0; i < 2; i++) {
		EXPECT_FALSE(can_read(p.in[i], p.at[i] + PAGE_SIZE, &v));
		EXPECT_FALSE(can_read(p.in[i], p.at[i] + 2 * PAGE_SIZE, &v));
		EXPECT_TRUE(can_read(p.in[i], p.at[i] + 3 * PAGE_SIZE, &v));	/* the rest stays */
		EXPECT_EQ(v, 13);
	}
	vm_map_copy_discard(copy);
	submap_pair_drop(&p);
}

/*
 * A copy-on-write fault in a submap, taken through the parent that nests
 * it, replaces the page for every parent: none goes on reading the old one.
 */
KTEST(vm, submap_cow_fault_reaches_every_parent)
{
	struct submap_pair p;
	vm_address_t s = SUB_BASE;
	vm_map_copy_t copy;
	uint64_t v = 0;

	ASSERT_TRUE(submap_pair_make(&p));
	ASSERT_EQ(vm_allocate(p.sub, &s, 4 * PAGE_SIZE, VM_FLAGS_FIXED), KERN_SUCCESS);
	ASSERT_TRUE(4 * PAGE_SIZE > VM_MAP_COPY_SMALL);	/* copy-on-write, not copied at once */
	EXPECT_TRUE(can_write(p.in[0], p.at[0], 1));
	ASSERT_EQ(vm_map_copyin(p.sub, SUB_BASE, 4 * PAGE_SIZE, FALSE, &copy), KERN_SUCCESS);
	for (int i = 0; i < 2; i++) {	/* both map the shared page read-only */
		EXPECT_TRUE(can_read(p.in[i], p.at[i], &v));
		EXPECT_EQ(v, 1);
	}
	EXPECT_TRUE(can_write(p.in[0], p.at[0], 2));	/* copy-on-write */
	for (int i = 0; i < 2; i++) {
		EXPECT_TRUE(can_read(p.in[i], p.at[i], &v));
		EXPECT_EQ(v, 2);
	}
	vm_map_copy_discard(copy);
	submap_pair_drop(&p);
}

/*
 * use_pmap = FALSE: the structure of the map is shared, the contents of
 * the pages are not.  A plain parent's write gives it its own copy of the
 * submap entry's range (copy on write): neither the submap nor another
 * parent sees it, and that range now follows the parent's own entry.
 * The rest of the submap still reaches it.
 */
KTEST(vm, submap_plain_parent_writes_its_own_copy)
{
	struct submap_pair p;
	vm_map_t c = map_fixture_user();
	vm_address_t s = SUB_BASE, t = SUB_BASE + 4 * PAGE_SIZE, at_c = 0x60000000;
	uint64_t v = 0;

	ASSERT_TRUE(c && submap_pair_make(&p));
	ASSERT_EQ(vm_map_submap(c, at_c, at_c + SUB_SIZE, p.sub, SUB_BASE, FALSE), KERN_SUCCESS);
	ASSERT_EQ(vm_allocate(p.sub, &s, 4 * PAGE_SIZE, VM_FLAGS_FIXED), KERN_SUCCESS);
	ASSERT_EQ(vm_allocate(p.sub, &t, PAGE_SIZE, VM_FLAGS_FIXED), KERN_SUCCESS);
	ASSERT_EQ(vm_protect(p.sub, t, PAGE_SIZE, FALSE, VM_PROT_READ), KERN_SUCCESS);
	EXPECT_TRUE(can_write(p.in[0], SUB_BASE, 1));		/* into the submap itself */
	EXPECT_TRUE(can_write(p.in[0], SUB_BASE + PAGE_SIZE, 11));
	EXPECT_TRUE(can_read(p.in[1], p.at[1], &v));		/* both plain parents read it */
	EXPECT_EQ(v, 1);
	EXPECT_TRUE(can_read(c, at_c, &v));
	EXPECT_EQ(v, 1);
	EXPECT_TRUE(can_write(p.in[1], p.at[1], 2));		/* in[1]'s own copy */
	EXPECT_TRUE(can_write(c, at_c, 3));			/* c's own copy */
	EXPECT_TRUE(can_read(p.in[0], SUB_BASE, &v));
	EXPECT_EQ(v, 1);
	EXPECT_TRUE(can_read(p.in[1], p.at[1], &v));
	EXPECT_EQ(v, 2);
	EXPECT_TRUE(can_read(c, at_c, &v));
	EXPECT_EQ(v, 3);
	EXPECT_TRUE(can_read(p.in[1], p.at[1] + PAGE_SIZE, &v));	/* unwritten: the original */
	EXPECT_EQ(v, 11);
	/* The submap's read-only entry stays read-only for them. */
	EXPECT_FALSE(can_write(p.in[1], p.at[1] + 4 * PAGE_SIZE, 4));
	/* The copied range follows in[1]'s entry; the rest still follows the submap. */
	EXPECT_EQ(vm_deallocate(p.sub, t, PAGE_SIZE), KERN_SUCCESS);
	EXPECT_FALSE(can_read(p.in[1], p.at[1] + 4 * PAGE_SIZE, &v));
	EXPECT_TRUE(can_read(p.in[1], p.at[1], &v));
	EXPECT_EQ(v, 2);
	EXPECT_MAP_OK(c);
	vm_map_deallocate(c);
	submap_pair_drop(&p);
}

/* printed: the text vm_map_print(full) / vm_map_print_near gives for map. */
static const char *printed(vm_map_t map, bool near, vm_offset_t addr)
{
	ktest_capture_reset();
	if (near)
		vm_map_print_near(map, addr, ktest_capture);
	else
		vm_map_print(map, true, ktest_capture);
	return ktest_captured;
}

/*
 * vm_map_print goes into submaps, indented under their entry; the fault
 * report's vm_map_print_near shows only the entries near the address and
 * never waits for the map's lock.
 */
KTEST(vm, printers_show_submaps_and_the_fault_neighbourhood)
{
	vm_map_t sub = vm_map_create(pmap_create(), SUB_BASE, SUB_BASE + SUB_SIZE), a = map_fixture_user();
	vm_address_t s = SUB_BASE, near1 = UBASE, near2 = UBASE + 8 * PAGE_SIZE;
	vm_address_t far = UBASE + 64 * PAGE_SIZE, r = SUB_BASE;
	vm_region_basic_info_data_t info;
	vm_size_t size;
	char want[96];

	ASSERT_TRUE(sub && a);
	ASSERT_EQ(vm_allocate(sub, &s, 4 * PAGE_SIZE, VM_FLAGS_FIXED), KERN_SUCCESS);
	ASSERT_EQ(vm_map_submap(a, SUB_BASE, SUB_BASE + SUB_SIZE, sub, SUB_BASE, FALSE), KERN_SUCCESS);
	EXPECT_EQ(load_in(a, SUB_BASE + PAGE_SIZE), 0);	/* a read: the submap's page, made */
	ASSERT_EQ(vm_region(sub, &r, &size, &info), KERN_SUCCESS);
	snprintf(want, sizeof(want), "\n    map %p: 0x%lx-0x%lx, 1 entries", (void *)sub, SUB_BASE,
		 SUB_BASE + SUB_SIZE);
	EXPECT_TRUE(strstr(printed(a, false, 0), want) != NULL);
	snprintf(want, sizeof(want), "\n        object %lu: size 0x4000, 1 refs, 1 resident",
		 info.object_id);
	EXPECT_TRUE(strstr(ktest_captured, want) != NULL);
	if (!strstr(ktest_captured, want))
		kprintf("%s", ktest_captured);
	ASSERT_EQ(vm_allocate(a, &near1, PAGE_SIZE, VM_FLAGS_FIXED), KERN_SUCCESS);
	ASSERT_EQ(vm_allocate(a, &near2, PAGE_SIZE, VM_FLAGS_FIXED), KERN_SUCCESS);
	ASSERT_EQ(vm_allocate(a, &far, PAGE_SIZE, VM_FLAGS_FIXED), KERN_SUCCESS);
	printed(a, true, UBASE + 4 * PAGE_SIZE);
	snprintf(want, sizeof(want), "  0x%016lx-", near1);
	EXPECT_TRUE(strstr(ktest_captured, want) != NULL);
	snprintf(want, sizeof(want), "  0x%016lx-", near2);
	EXPECT_TRUE(strstr(ktest_captured, want) != NULL);
	snprintf(want, sizeof(want), "  0x%016lx-", far);
	EXPECT_TRUE(strstr(ktest_captured, want) == NULL);
	snprintf(want, sizeof(want), "  0x%016lx-", SUB_BASE);
	EXPECT_TRUE(strstr(ktest_captured, want) == NULL);
	rw_lock_write(&a->lock);
	snprintf(want, sizeof(want), "map %p: locked, not printed\n", (void *)a);
	EXPECT_EQ(strcmp(printed(a, true, UBASE), want), 0);
	rw_unlock_write(&a->lock);
	EXPECT_MAP_OK(a);
	vm_map_deallocate(a);
	vm_map_deallocate(sub);
}

/* ---- found in review: each was a panic, a leak or a wrong answer -------------------------- */

KTEST(vm, wired_then_protected_none_then_deallocated)
{
	vm_map_t map = map_fixture_user();
	vm_address_t a = UBASE;
	uint64_t wired0 = vm_page_wired_count();

	ASSERT_TRUE(map != NULL);
	ASSERT_EQ(vm_allocate(map, &a, 2 * PAGE_SIZE, VM_FLAGS_FIXED), KERN_SUCCESS);
	ASSERT_EQ(vm_map_wire(map, a, a + 2 * PAGE_SIZE, VM_PROT_READ, TRUE), KERN_SUCCESS);
	EXPECT_EQ(vm_protect(map, a, 2 * PAGE_SIZE, FALSE, VM_PROT_NONE), KERN_SUCCESS);	/* mappings go */
	EXPECT_EQ(vm_map_wire(map, a, a + PAGE_SIZE, VM_PROT_NONE, FALSE), KERN_PROTECTION_FAILURE);
	EXPECT_EQ(vm_map_unwire(map, a, a + 2 * PAGE_SIZE, TRUE), KERN_SUCCESS);	/* pages found anyway */
	EXPECT_EQ(vm_page_wired_count(), wired0);
	EXPECT_EQ(vm_map_wire(map, a, a + PAGE_SIZE, VM_PROT_NONE, TRUE), KERN_PROTECTION_FAILURE);
	EXPECT_EQ(vm_deallocate(map, a, 2 * PAGE_SIZE), KERN_SUCCESS);
	vm_map_deallocate(map);
}

KTEST(vm, wire_count_does_not_wrap)
{
	vm_map_t map = map_fixture_user();
	vm_address_t a = UBASE;
	int n = 0;

	ASSERT_TRUE(map != NULL);
	ASSERT_EQ(vm_allocate(map, &a, PAGE_SIZE, VM_FLAGS_FIXED), KERN_SUCCESS);
	while (vm_map_wire(map, a, a + PAGE_SIZE, VM_PROT_READ, TRUE) == KERN_SUCCESS && n < 70000)
		n++;
	EXPECT_EQ(n, 65535);
	while (n-- > 0)
		ASSERT_EQ(vm_map_unwire(map, a, a + PAGE_SIZE, TRUE), KERN_SUCCESS);
	EXPECT_EQ(vm_map_unwire(map, a, a + PAGE_SIZE, TRUE), KERN_FAILURE);
	vm_map_deallocate(map);
}

KTEST(vm, submap_entries_are_whole_and_protected_from_outside)
{
	vm_map_t sub = vm_map_create(pmap_create(), SUB_BASE, SUB_BASE + SUB_SIZE);
	vm_map_t a = map_fixture_user(), c = map_fixture_user(), dst = map_fixture_user();
	vm_address_t s = SUB_BASE, other = 0x50000000, out;
	vm_map_copy_t copy;

	ASSERT_TRUE(sub && a && c && dst);
	ASSERT_EQ(vm_allocate(sub, &s, 2 * PAGE_SIZE, VM_FLAGS_FIXED), KERN_SUCCESS);
	ASSERT_EQ(vm_map_submap(a, SUB_BASE, SUB_BASE + SUB_SIZE, sub, SUB_BASE, TRUE), KERN_SUCCESS);
	ASSERT_EQ(vm_map_submap(c, other, other + SUB_SIZE, sub, SUB_BASE, FALSE), KERN_SUCCESS);
	/* Nested tables are shared whole: no partial unmap or protect through the parent. */
	EXPECT_EQ(vm_deallocate(a, SUB_BASE, PAGE_SIZE), KERN_INVALID_ARGUMENT);
	EXPECT_EQ(vm_protect(a, SUB_BASE, SUB_SIZE, FALSE, VM_PROT_READ), KERN_INVALID_ARGUMENT);
	/* The outer entry's protection limits access through a plain submap. */
	EXPECT_EQ(vm_protect(c, other, SUB_SIZE, FALSE, VM_PROT_READ), KERN_SUCCESS);
	EXPECT_EQ(vm_fault(c, other, VM_PROT_WRITE), KERN_PROTECTION_FAILURE);
	EXPECT_EQ(vm_protect(c, other, SUB_SIZE, FALSE, VM_PROT_DEFAULT), KERN_SUCCESS);
	/* A copy of the submap's memory is a snapshot even though a's (nested) pmap maps it writable. */
	store_in(a, SUB_BASE, 1);
	ASSERT_EQ(vm_map_copyin(sub, SUB_BASE, 3 * PAGE_SIZE - PAGE_SIZE, FALSE, &copy), KERN_SUCCESS);
	store_in(a, SUB_BASE, 2);
	ASSERT_EQ(vm_map_copyout(dst, &out, copy), KERN_SUCCESS);
	EXPECT_EQ(load_in(dst, out), 1);
	/* One level only: a map holding a submap cannot become one (no cycles). */
	EXPECT_EQ(vm_map_submap(sub, SUB_BASE + PAGE_SIZE * 16, SUB_BASE + PAGE_SIZE * 17, c, other, FALSE),
		  KERN_INVALID_ARGUMENT);
	vm_map_deallocate(a);
	vm_map_deallocate(c);
	vm_map_deallocate(dst);
	vm_map_deallocate(sub);
}
