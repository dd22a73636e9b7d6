/*
 * vm_bench.c: the machine-independent VM's hot paths, in guest
 * instructions: faults (trap included), map operations against maps of
 * 100 to 100,000 entries, fork and copy per page.
 */
#include "kern/thread.h"
#include "platform/riscv/riscv.h"
#include "tests/bench/kbench.h"
#include "vm/vm.h"

KBENCH_RUN(vm, "bench=fault,map", "-m 512M -smp 1");

#define BASE	0x10000000ul
#define PAGES	256

static vm_map_t bench_map(void)
{
	pmap_t p = pmap_create();

	return p ? vm_map_create(p, PAGE_SIZE, PMAP_USER_END) : NULL;
}

/* touch: one access per page of [va, va + n pages) from S-mode with SUM: each may fault. */
static uint64_t touch(vm_offset_t va, uint64_t n, bool write)
{
	uint64_t t0 = rdinstret();

	csr_set(sstatus, SSTATUS_SUM);
	for (uint64_t i = 0; i < n; i++) {
		if (write)
			*(volatile uint64_t *)(va + ptoa(i)) = i;
		else
			(void)*(volatile uint64_t *)(va + ptoa(i));
	}
	csr_clear(sstatus, SSTATUS_SUM);
	return rdinstret() - t0;
}

static vm_map_t map_with_pages(vm_address_t *a)
{
	vm_map_t map = bench_map();

	*a = BASE;
	if (!map || vm_allocate(map, a, ptoa(PAGES), VM_FLAGS_FIXED) != KERN_SUCCESS)
		return map;
	thread_set_map(map);
	return map;
}

static void map_done(vm_map_t map)
{
	thread_set_map(NULL);
	vm_map_deallocate(map);
}

/* fault.zero_fill: the first write to each page of a fresh range. */
KBENCH(fault_zero_fill, "fault.zero_fill", "instructions/fault", 1)
{
	vm_address_t a;
	vm_map_t map = map_with_pages(&a);
	uint64_t n;

	(void)iters;
	n = touch(a, PAGES, true);
	map_done(map);
	return n / PAGES;
}

/* fault.soft: the page is in the object, only the mapping is gone. */
KBENCH(fault_soft, "fault.soft", "instructions/fault", 1)
{
	vm_address_t a;
	vm_map_t map = map_with_pages(&a);
	uint64_t n;

	(void)iters;
	touch(a, PAGES, true);
	pmap_remove(map->pmap, a, a + ptoa(PAGES));
	n = touch(a, PAGES, false);
	map_done(map);
	return n / PAGES;
}

/* fault.cow: after a fork, the parent's first write to each shared page. */
KBENCH(fault_cow, "fault.cow", "instructions/fault", 1)
{
	vm_address_t a;
	vm_map_t map = map_with_pages(&a), child;
	uint64_t n;

	(void)iters;
	touch(a, PAGES, true);
	child = vm_map_fork(map);
	n = touch(a, PAGES, true);
	vm_map_deallocate(child);
	map_done(map);
	return n / PAGES;
}

/* fork_cost: per resident page, vm_map_fork of PAGES pages, and the child's teardown if asked. */
static uint64_t fork_cost(bool teardown)
{
	vm_address_t a;
	vm_map_t map = map_with_pages(&a), child;
	uint64_t t0, n;

	touch(a, PAGES, true);
	t0 = rdinstret();
	child = vm_map_fork(map);
	if (teardown)
		vm_map_deallocate(child);
	n = rdinstret() - t0;
	if (!teardown)
		vm_map_deallocate(child);
	map_done(map);
	return n / PAGES;
}

/* map.fork.per_resident_page: vm_map_fork of a map with PAGES resident pages. */
KBENCH(map_fork, "map.fork.per_resident_page", "instructions/page", 1)
{
	(void)iters;
	return fork_cost(false);
}

/*
 * map.fork_teardown.per_resident_page: the same fork and the child's
 * vm_map_deallocate (its entries, its pmap, the parent's object left
 * unshared), as a fork that execs does.
 */
KBENCH(map_fork_teardown, "map.fork_teardown.per_resident_page", "instructions/page", 1)
{
	(void)iters;
	return fork_cost(true);
}

/* map.copyin_copyout.per_page: a copy-on-write copy of PAGES resident pages into another map. */
KBENCH(map_copy, "map.copyin_copyout.per_page", "instructions/page", 1)
{
	vm_address_t a, out;
	vm_map_t map = map_with_pages(&a), dst = bench_map();
	vm_map_copy_t copy;
	uint64_t t0, n;

	(void)iters;
	touch(a, PAGES, true);
	t0 = rdinstret();
	vm_map_copyin(map, a, ptoa(PAGES), FALSE, &copy);
	vm_map_copyout(dst, &out, copy);
	n = rdinstret() - t0;
	vm_map_deallocate(dst);
	map_done(map);
	return n / PAGES;
}

/* sparse_map: n one-page entries, a page apart (so none coalesce). */
static vm_map_t sparse_map(uint64_t n)
{
	vm_map_t map = bench_map();

	for (uint64_t i = 0; map && i < n; i++) {
		vm_address_t a = BASE + ptoa(2 * i);

		vm_allocate(map, &a, PAGE_SIZE, VM_FLAGS_FIXED);
	}
	return map;
}

/* alloc_dealloc: instructions per vm_allocate(anywhere, 1 page) + vm_deallocate pair. */
static uint64_t alloc_dealloc(uint64_t entries)
{
	vm_map_t map = sparse_map(entries);
	uint64_t t0, n;

	t0 = rdinstret();
	for (int i = 0; i < 100; i++) {
		vm_address_t a = 0;

		vm_allocate(map, &a, ptoa(1 + i % 3), VM_FLAGS_ANYWHERE);
		vm_deallocate(map, a, ptoa(1 + i % 3));
	}
	n = rdinstret() - t0;
	vm_map_deallocate(map);
	return n / 100;
}

KBENCH(map_ad_100, "map.allocate_deallocate.n100", "instructions/pair", 1)
{
	(void)iters;
	return alloc_dealloc(100);
}

KBENCH(map_ad_10000, "map.allocate_deallocate.n10000", "instructions/pair", 1)
{
	(void)iters;
	return alloc_dealloc(10000);
}

KBENCH(map_ad_100000, "map.allocate_deallocate.n100000", "instructions/pair", 1)
{
	(void)iters;
	return alloc_dealloc(100000);
}

/* map.lookup.n100000: the entry for scattered addresses (the hint never helps). */
KBENCH(map_lookup, "map.lookup.n100000", "instructions/lookup", 1)
{
	vm_map_t map = sparse_map(100000);
	uint64_t rng = 88172645463325252ul, t0, n, found = 0;

	rw_lock_read(&map->lock);
	t0 = rdinstret();
	for (int i = 0; i < 1000; i++) {
		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		found += vm_map_lookup_entry_locked(map, BASE + ptoa(2 * (rng % 100000))) != NULL;
	}
	n = rdinstret() - t0;
	rw_unlock_read(&map->lock);
	vm_map_deallocate(map);
	(void)iters;
	return found == 1000 ? n / 1000 : 0;
}
