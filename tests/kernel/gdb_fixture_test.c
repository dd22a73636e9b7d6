/*
 * gdb_fixture_test.c: structures with known contents for the gdb commands
 * of tools/gdb (tests/acceptance/gdb_commands.sh).  No KTEST_RUN line:
 * the suites run only when that script boots them, halted under gdb
 * (names starting "selftest_" are left out of test=all).
 *
 * The fixture is a user map with entries of different protections,
 * inheritance and behavior, a copy-on-write copy that gives one entry a
 * shadow chain, wired pages, a submap, pages in the default pager's
 * store, a UPL in flight, and an IOMMU domain of its own with two
 * mappings and one fault.  Each in-kernel printer prints it between "gdb-fixture: begin
 * NAME" and "gdb-fixture: end NAME" lines, NAME being the gdb command that
 * must print the same; then the case stops in gdb_checkpoint, where the
 * script's breakpoint is.  selftest_gdb_panic prints the map and panics
 * instead: the script stops in machine_exit.
 *
 * The pool is to hold a swap disk and a swap file, made while the case
 * runs and gone before it ends (so that the case leaves memory as it
 * found it): the script boots with an 8 MiB disk (swap=swap) and
 * swapfile=TAG with the high-water mark one cluster below 8 MiB; the
 * fixture's two pageouts take two clusters, the dynamic pager adds a
 * file, and once the fixture is gone the pool is above the low-water mark
 * and the file goes.
 */
#include "drivers/iommu/iommu.h"
#include "kern/thread.h"
#include "platform/riscv/pmap_md.h"
#include "tests/kernel/ktest.h"
#include "tests/kernel/map_fixture.h"
#include "vm/default_pager.h"
#include "vm/dynamic_pager.h"
#include "vm/vm.h"
#include "vm/vm_object.h"
#include "vm/vm_pager.h"
#include "vm/vm_stat.h"
#include "vm/vm_upl.h"

#define GDB_UBASE	0x10000000ul	/* entry A: 4 pages, copied copy-on-write */
#define GDB_B		(GDB_UBASE + 0x10000)	/* 2 pages, read-only, shared; paged out */
#define GDB_C		(GDB_UBASE + 0x20000)	/* 3 pages, wired, not inherited */
#define GDB_D		(GDB_UBASE + 0x30000)	/* 1 page, r-x, never touched */
#define GDB_E		(GDB_UBASE + 0x40000)	/* 4 pages of a submap, its first page read */
#define GDB_DEVICE_ID	0x78	/* 00:0f.0: no PCI function there; on the directory page
				   of the real ones (a page made for it would stay) */
#define GDB_SWAPFILE_WAIT_MS	10000

/* What the script names in its gdb commands (gdb_fixture.map...). */
struct gdb_fixture {
	vm_map_t map;
	vm_map_t submap;		/* mapped at E */
	vm_offset_t copy;		/* where A's copy went */
	vm_object_t object;		/* A's object: a shadow over the original */
	vm_object_t original;		/* the original: pages shared with the copy */
	upl_t upl;			/* over pages 1 and 2 of the original */
	struct iommu_domain *domain;
	uint64_t iova[2], npages[2];
};

struct gdb_fixture gdb_fixture;

/*
 * gdb_checkpoint: the script's breakpoint.  Not inlined, and with an
 * effect the compiler keeps, so that the call and its symbol stay.
 */
__attribute__((noinline)) void gdb_checkpoint(void)
{
	__asm__ volatile("" ::: "memory");
}

/* gdb_object_at: the object behind the entry at va (no reference taken). */
static vm_object_t gdb_object_at(vm_map_t map, vm_offset_t va)
{
	vm_map_entry_t e;
	vm_object_t object;

	rw_lock_read(&map->lock);
	e = vm_map_lookup_entry_locked(map, va);
	object = e && !e->is_submap ? e->object : NULL;
	rw_unlock_read(&map->lock);
	return object;
}

/* gdb_swapfiles_wait: the dynamic pager has `files` swap files (10 s at most). */
static bool gdb_swapfiles_wait(uint64_t files)
{
	struct swapfile_stats st;

	for (int ms = 0; ms < GDB_SWAPFILE_WAIT_MS; ms += 10) {
		swapfile_stats(&st);
		if (st.files == files && !st.draining)
			return true;
		thread_sleep_ns(10 * 1000 * 1000);
	}
	return false;
}

/* gdb_submap_build: E, a submap with one entry of 2 pages, the first read through the map. */
static bool gdb_submap_build(struct gdb_fixture *f)
{
	vm_address_t e = GDB_E;
	pmap_t p = pmap_create();

	if (!p || !(f->submap = vm_map_create(p, GDB_E, GDB_E + 4 * PAGE_SIZE)))
		return false;
	return vm_allocate(f->submap, &e, 2 * PAGE_SIZE, VM_FLAGS_FIXED) == KERN_SUCCESS &&
	       vm_map_submap(f->map, GDB_E, GDB_E + 4 * PAGE_SIZE, f->submap, GDB_E, FALSE) ==
		       KERN_SUCCESS &&
	       map_fixture_get(f->map, GDB_E) == 0;
}

/* gdb_map_build: the map's entries (A and its copy, B, C, D, E); false if a step failed. */
static bool gdb_map_build(struct gdb_fixture *f)
{
	vm_address_t a = GDB_UBASE, b = GDB_B, c = GDB_C, d = GDB_D;
	vm_map_copy_t copy;
	vm_map_t map = f->map;

	if (vm_allocate(map, &a, 4 * PAGE_SIZE, VM_FLAGS_FIXED) != KERN_SUCCESS ||
	    vm_allocate(map, &b, 2 * PAGE_SIZE, VM_FLAGS_FIXED) != KERN_SUCCESS ||
	    vm_allocate(map, &c, 3 * PAGE_SIZE, VM_FLAGS_FIXED) != KERN_SUCCESS ||
	    vm_allocate(map, &d, PAGE_SIZE, VM_FLAGS_FIXED) != KERN_SUCCESS)
		return false;
	for (int i = 0; i < 4; i++)
		if (!map_fixture_put(map, a + ptoa(i), 0xa0 + i))
			return false;
	/* Copied copy-on-write; A's first write then shadows the original. */
	if (vm_map_copyin(map, a, 4 * PAGE_SIZE, FALSE, &copy) != KERN_SUCCESS)
		return false;
	if (vm_map_copyout(map, &f->copy, copy) != KERN_SUCCESS) {
		vm_map_copy_discard(copy);
		return false;
	}
	if (!map_fixture_put(map, a, 0xa5) || !map_fixture_put(map, b, 0xb0))
		return false;
	return vm_protect(map, b, 2 * PAGE_SIZE, TRUE, VM_PROT_READ) == KERN_SUCCESS &&
	       vm_inherit(map, b, 2 * PAGE_SIZE, VM_INHERIT_SHARE) == KERN_SUCCESS &&
	       vm_inherit(map, c, 3 * PAGE_SIZE, VM_INHERIT_NONE) == KERN_SUCCESS &&
	       vm_behavior_set(map, c, 3 * PAGE_SIZE, VM_BEHAVIOR_RANDOM) == KERN_SUCCESS &&
	       vm_map_wire(map, c, c + 3 * PAGE_SIZE, VM_PROT_DEFAULT, FALSE) == KERN_SUCCESS &&
	       vm_protect(map, d, PAGE_SIZE, FALSE, VM_PROT_READ | VM_PROT_EXECUTE) == KERN_SUCCESS &&
	       vm_behavior_set(map, d, PAGE_SIZE, VM_BEHAVIOR_SEQUENTIAL) == KERN_SUCCESS &&
	       gdb_submap_build(f);
}

/* gdb_page_out: page i of object goes to the store (a cluster of its own). */
static bool gdb_page_out(vm_object_t object, uint64_t i)
{
	upl_t upl;

	return object &&
	       upl_request(object, ptoa(i), PAGE_SIZE, UPL_RETURN_ONLY_DIRTY, &upl) == KERN_SUCCESS &&
	       vm_pager_data_return(object, upl) == KERN_SUCCESS;
}

/*
 * gdb_pager_build: page 3 of the original and B's page go to the store,
 * which makes the dynamic pager add a swap file; a pageout UPL holds
 * pages 1 and 2 of the original (busy, unmapped) until gdb_fixture_drop.
 */
static bool gdb_pager_build(struct gdb_fixture *f)
{
	if (!gdb_page_out(f->original, 3) || !gdb_page_out(gdb_object_at(f->map, GDB_B), 0) ||
	    !gdb_swapfiles_wait(1))
		return false;
	return upl_request(f->original, ptoa(1), 2 * PAGE_SIZE, 0, &f->upl) == KERN_SUCCESS &&
	       f->upl->count == 2;
}

/*
 * gdb_iommu_build: a domain for a device that is not there, C's first page
 * mapped read-write and its second read-only, and one write fault past
 * them (drained by iommu_print).
 */
static bool gdb_iommu_build(struct gdb_fixture *f)
{
	vm_paddr_t pa[2];
	struct iommu_run run;
	uint32_t n;

	if (!iommu_unit || pmap_extract(f->map->pmap, GDB_C, &pa[0]) != KERN_SUCCESS ||
	    pmap_extract(f->map->pmap, GDB_C + PAGE_SIZE, &pa[1]) != KERN_SUCCESS ||
	    iommu_domain_create(iommu_unit, IOMMU_STRICT, 1ull << 32, &f->domain) != KERN_SUCCESS)
		return false;
	if (iommu_device_attach(iommu_unit, GDB_DEVICE_ID, "gdb-fixture", f->domain) != KERN_SUCCESS ||
	    iommu_map(f->domain, &(struct iommu_run){ pa[0], PAGE_SIZE }, 1,
		      IOMMU_PROT_READ | IOMMU_PROT_WRITE, &f->iova[0], &f->npages[0]) != KERN_SUCCESS ||
	    iommu_map(f->domain, &(struct iommu_run){ pa[1], PAGE_SIZE }, 1, IOMMU_PROT_READ,
		      &f->iova[1], &f->npages[1]) != KERN_SUCCESS)
		return false;
	kprintf("gdb-fixture: iommu 0x%lx -> 0x%lx rw\n", f->iova[0], pa[0]);
	kprintf("gdb-fixture: iommu 0x%lx -> 0x%lx r-\n", f->iova[1], pa[1]);
	return iommu_hw_translate(&iommu_unit->hw, GDB_DEVICE_ID, f->iova[1], PAGE_SIZE, IOMMU_WRITE,
				  &run, 1, &n) == KERN_PROTECTION_FAILURE;
}

/*
 * gdb_fixture_build: the whole fixture in gdb_fixture.  => false if a
 * step failed (what was made is still there for gdb_fixture_drop)
 */
static bool gdb_fixture_build(struct gdb_fixture *f)
{
	*f = (struct gdb_fixture){ 0 };
	if (!vm_pager_default || !(f->map = map_fixture_user()) || !gdb_map_build(f))
		return false;
	f->object = gdb_object_at(f->map, GDB_UBASE);
	f->original = f->object ? f->object->shadow : NULL;
	return f->original && gdb_pager_build(f) && gdb_iommu_build(f);
}

/* gdb_fixture_drop: undo gdb_fixture_build, as far as it got. */
static void gdb_fixture_drop(struct gdb_fixture *f)
{
	if (f->upl)
		upl_abort(f->upl);
	if (f->domain) {
		for (int i = 0; i < 2; i++)
			if (f->npages[i])
				iommu_unmap(f->domain, f->iova[i], f->npages[i]);
		iommu_device_detach(iommu_unit, GDB_DEVICE_ID);
		EXPECT_EQ(iommu_domain_destroy(f->domain), KERN_SUCCESS);
	}
	if (f->map)
		vm_map_deallocate(f->map);
	if (f->submap)
		vm_map_deallocate(f->submap);
	*f = (struct gdb_fixture){ 0 };
	EXPECT_TRUE(gdb_swapfiles_wait(0));	/* the pool is back above its low-water mark */
}

/* gdb_walk_print: what showpte must find for va: the leaf and the address it maps (0: none). */
static void gdb_walk_print(vm_map_t map, vm_offset_t va)
{
	vm_paddr_t pa = 0;

	pmap_extract(map->pmap, va, &pa);
	kprintf("gdb-fixture: walk 0x%lx pte 0x%016lx -> 0x%010lx\n", va, pmap_pte_get(map->pmap, va),
		pa);
}

/* gdb_begin, gdb_end: the lines around what a printer prints for gdb command `name`. */
static void gdb_begin(const char *name)
{
	kprintf("gdb-fixture: begin %s\n", name);
}

static void gdb_end(const char *name)
{
	kprintf("gdb-fixture: end %s\n", name);
}

/* gdb_fixture_print: every printer over the fixture but the threads', each between its markers. */
static void gdb_fixture_print(const struct gdb_fixture *f)
{
	gdb_begin("showmap");
	vm_map_print(f->map, true, kprintf);
	gdb_end("showmap");
	gdb_begin("showmap-near");
	vm_map_print_near(f->map, GDB_C, kprintf);
	gdb_end("showmap-near");
	gdb_begin("showobject");
	vm_object_print(f->object, true, kprintf);
	gdb_end("showobject");
	gdb_begin("showpmap");
	pmap_print(f->map->pmap, kprintf);
	gdb_end("showpmap");
	gdb_walk_print(f->map, GDB_UBASE);
	gdb_walk_print(f->map, GDB_B);		/* paged out: not mapped */
	gdb_walk_print(f->map, GDB_C);
	gdb_begin("showvmstat");
	vm_stat_print();
	gdb_end("showvmstat");
	gdb_begin("showpagers");
	default_pager_print(kprintf);
	gdb_end("showpagers");
	gdb_begin("showupls");
	upl_print_all(kprintf);
	gdb_end("showupls");
	gdb_begin("showiommu");
	iommu_print(iommu_unit, kprintf);
	gdb_end("showiommu");
}

/*
 * gdb_threads_print_then_checkpoint: the threads, then the checkpoint,
 * interrupts off between them: this thread stays running on this hart
 * until gdb has looked (the other threads may move on meanwhile).
 */
static void gdb_threads_print_then_checkpoint(void)
{
	intr_push_off();
	gdb_begin("showthreads");
	thread_print_all();
	gdb_end("showthreads");
	gdb_checkpoint();
	intr_pop_off();
}

KTEST(selftest_gdb, fixture_printed_then_checkpoint)
{
	bool built = gdb_fixture_build(&gdb_fixture);

	EXPECT_TRUE(built);
	if (built) {
		kprintf("gdb-fixture: built\n");
		gdb_fixture_print(&gdb_fixture);
		gdb_threads_print_then_checkpoint();
	}
	gdb_fixture_drop(&gdb_fixture);
}

KTEST(selftest_gdb_panic, fixture_printed_then_panic)
{
	if (!gdb_fixture_build(&gdb_fixture))
		panic("gdb-fixture: not built");
	kprintf("gdb-fixture: built\n");
	gdb_begin("showmap");
	vm_map_print(gdb_fixture.map, true, kprintf);
	gdb_end("showmap");
	gdb_begin("showvmstat");
	vm_stat_print();
	gdb_end("showvmstat");
	panic("selftest: deliberate panic with the gdb fixture built");
}
