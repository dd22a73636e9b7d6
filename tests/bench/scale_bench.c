/*
 * scale_bench.c: the benchmarks `make bench-scale` runs at many sizes.
 * tools/bench-scale boots one QEMU per size point; the size is bench.n on
 * the command line (map entries, resident pages, live I/O mappings) or the
 * machine itself (RAM, harts).  There is no KBENCH_RUN line here: `make
 * bench` leaves these out, and bench-scale names them itself.
 *
 * scale.map.*: one call against a map of bench.n one-page entries, two
 *   pages apart (none coalesce), built once per boot and kept for the
 *   boot's other map cases (the machine stops after them); the addresses
 *   are scattered, so the hint never helps.
 * scale.boot.instructions: what every hart retired from reset (OpenSBI
 *   included) to the first benchmark: the page array, the free lists,
 *   the direct map grow with RAM.
 * scale.tlb.shootdown.*, scale.fork1000.*: counted on every hart together
 *   (rdinstret under -icount is the machine's count, and a hart waiting
 *   for another sleeps in wfi, so nothing spins): `ran_all` after the
 *   address space ran on every hart, `ran_one` after it ran on hart 0
 *   only, the measuring hart.
 * scale.fork.per_resident_page: vm_map_fork of bench.n resident pages.
 * scale.iommu.prepare_complete: dma_desc_prepare + dma_desc_complete of
 *   a 4 KiB page through a strict IOMMU domain holding bench.n other live
 *   mappings (iommu.magazines=off takes the per-hart caches away): the
 *   range that goes back is the one just taken.
 * scale.iommu.map_unmap_oldest: in a strict domain holding bench.n live
 *   one-page mappings, iommu_map of one more and iommu_unmap of the oldest
 *   (DMA completing in the order it was started): the range that goes
 *   back is the one held longest.
 */
#include "drivers/dma/dma.h"
#include "drivers/iommu/iommu.h"
#include "kern/cmdline.h"
#include "kern/kernel.h"
#include "kern/thread.h"
#include "platform/riscv/hart.h"
#include "platform/riscv/riscv.h"
#include "platform/riscv/smp.h"
#include "tests/bench/kbench.h"
#include "vm/pmap.h"
#include "vm/vm.h"
#include "vm/vm_kern.h"
#include "vm/vm_page.h"

TUNABLE_NUMBER(tunable_bench_n, "bench.n", 1000, 1, 10000000, "N", NULL,
	       "(bench) the size scale.* benchmarks take: map entries, resident pages, live I/O "
	       "mappings");

#define SCALE_BASE	0x10000000ul
#define SCALE_CALLS	1000		/* map calls measured per case */
#define SCALE_COPIES	100		/* copyin + copyout pairs measured */
#define SHOOT_PAGES	1000		/* the fork of the hart series */
#define SHOOT_ITERS	200

/* scale_n: bench.n from the command line. */
static uint64_t scale_n(void)
{
	return tunable_number(&tunable_bench_n);
}

/* scale_next: the next of a fixed xorshift sequence in [0, n). */
static uint64_t scale_next(uint64_t *state, uint64_t n)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return *state % n;
}

/* scale_entry_addr: the address of entry i of the sparse map. */
static vm_address_t scale_entry_addr(uint64_t i)
{
	return SCALE_BASE + ptoa(2 * i);
}

/* scale_user_map: an empty map over a new user pmap, NULL if memory ran out. */
static vm_map_t scale_user_map(void)
{
	pmap_t p = pmap_create();

	return p ? vm_map_create(p, PAGE_SIZE, PMAP_USER_END) : NULL;
}

/*
 * scale_sparse_map: the boot's map of bench.n one-page entries, made on
 * first use.  => NULL if an allocation failed
 */
static vm_map_t scale_sparse_map(void)
{
	static vm_map_t map;
	static bool failed;
	uint64_t n = scale_n();

	if (map || failed)
		return map;
	map = scale_user_map();
	for (uint64_t i = 0; map && i < n; i++) {
		vm_address_t a = scale_entry_addr(i);

		if (vm_allocate(map, &a, PAGE_SIZE, VM_FLAGS_FIXED) != KERN_SUCCESS) {
			vm_map_deallocate(map);
			map = NULL;
		}
	}
	failed = map == NULL;
	return map;
}

/* scale.map.allocate_deallocate: vm_allocate (anywhere, 1 to 3 pages) + vm_deallocate. */
KBENCH(scale_map_ad, "scale.map.allocate_deallocate", "instructions/pair", SCALE_CALLS)
{
	vm_map_t map = scale_sparse_map();
	uint64_t t0, failures = 0;

	if (!map)
		return 0;
	t0 = rdinstret();
	for (uint64_t i = 0; i < iters; i++) {
		vm_address_t a = 0;
		vm_size_t size = ptoa(1 + i % 3);

		failures += vm_allocate(map, &a, size, VM_FLAGS_ANYWHERE) != KERN_SUCCESS;
		failures += vm_deallocate(map, a, size) != KERN_SUCCESS;
	}
	return failures ? 0 : (rdinstret() - t0) / iters;
}

/* scale.map.lookup: the entry of a scattered address, map read-locked. */
KBENCH(scale_map_lookup, "scale.map.lookup", "instructions/lookup", SCALE_CALLS)
{
	vm_map_t map = scale_sparse_map();
	uint64_t rng = 88172645463325252ul, n = scale_n(), found = 0, t0, cost;

	if (!map)
		return 0;
	rw_lock_read(&map->lock);
	t0 = rdinstret();
	for (uint64_t i = 0; i < iters; i++)
		found += vm_map_lookup_entry_locked(map, scale_entry_addr(scale_next(&rng, n))) != NULL;
	cost = (rdinstret() - t0) / iters;
	rw_unlock_read(&map->lock);
	return found == iters ? cost : 0;
}

/* scale.map.protect: vm_protect of one scattered entry (read-only, then back: two calls). */
KBENCH(scale_map_protect, "scale.map.protect", "instructions/call", SCALE_CALLS)
{
	vm_map_t map = scale_sparse_map();
	uint64_t rng = 0x2545f4914f6cdd1dul, n = scale_n(), failures = 0, t0;

	if (!map)
		return 0;
	t0 = rdinstret();
	for (uint64_t i = 0; i < iters; i++) {
		vm_address_t a = scale_entry_addr(scale_next(&rng, n));

		failures += vm_protect(map, a, PAGE_SIZE, FALSE, VM_PROT_READ) != KERN_SUCCESS;
		failures += vm_protect(map, a, PAGE_SIZE, FALSE, VM_PROT_DEFAULT) != KERN_SUCCESS;
	}
	return failures ? 0 : (rdinstret() - t0) / (2 * iters);
}

/* scale_touch: write one word of the page at va of the running thread's map (a fault if absent). */
static void scale_touch(vm_address_t va, uint64_t value)
{
	csr_set(sstatus, SSTATUS_SUM);
	*(volatile uint64_t *)va = value;
	csr_clear(sstatus, SSTATUS_SUM);
}

/*
 * scale.map.copyin_copyout: vm_map_copyin of one resident page of a
 * scattered entry and vm_map_copyout of it into free space of the same
 * map (the copy's vm_deallocate is not counted).
 */
KBENCH(scale_map_copy, "scale.map.copyin_copyout", "instructions/page", SCALE_COPIES)
{
	vm_map_t map = scale_sparse_map();
	uint64_t rng = 0x9e3779b97f4a7c15ul, n = scale_n(), failures = 0, cost = 0;

	if (!map)
		return 0;
	thread_set_map(map);
	for (uint64_t i = 0; i < iters; i++) {
		vm_address_t a = scale_entry_addr(scale_next(&rng, n)), out = 0;
		vm_map_copy_t copy;
		uint64_t t0;

		scale_touch(a, i);		/* resident before it is copied */
		t0 = rdinstret();
		if (vm_map_copyin(map, a, PAGE_SIZE, FALSE, &copy) != KERN_SUCCESS) {
			failures++;
			continue;
		}
		if (vm_map_copyout(map, &out, copy) != KERN_SUCCESS) {
			vm_map_copy_discard(copy);
			failures++;
			continue;
		}
		cost += rdinstret() - t0;
		failures += vm_deallocate(map, out, PAGE_SIZE) != KERN_SUCCESS;
	}
	thread_set_map(NULL);
	return failures ? 0 : cost / iters;
}

/* scale.boot.instructions: every hart's instructions from reset to the first benchmark. */
KBENCH(scale_boot, "scale.boot.instructions", "instructions", 1)
{
	(void)iters;
	return kbench_boot_instret();
}

/* ---- harts ----------------------------------------------------------------------------------- */

/* scale_activate_here: the running hart runs in pmap for a moment (so it may cache its entries). */
static void scale_activate_here(void *pmap)
{
	pmap_t was = hart_self()->pmap_active;

	pmap_activate(pmap);
	pmap_activate(was ? was : kernel_pmap);
}

/* scale_spread: p has run on every other hart too.  => on hart 0 */
static void scale_spread(pmap_t p)
{
	for (int h = 1; h < hart_count; h++)
		smp_call(h, scale_activate_here, p);
}

struct scale_hart_job {
	bool all;		/* the address space runs on every hart first */
	uint64_t iters;
	uint64_t cost;		/* instructions per operation, 0 on a failure */
};

/* scale_on_hart0: fn(job) in a thread of its own on hart 0 (the measuring hart); job->cost. */
static uint64_t scale_on_hart0(void (*fn)(void *), struct scale_hart_job *job)
{
	struct thread *t = thread_create("scale_hart0", fn, job, 0);

	if (!t)
		return 0;
	thread_join(t);
	return job->cost;
}

/* scale_shootdown_job: pmap_remove of one mapped page, its shootdown to the harts that used p. */
static void scale_shootdown_job(void *arg)
{
	struct scale_hart_job *job = arg;
	vm_map_t map = scale_user_map();
	vm_page_t m = vm_page_alloc();
	uint64_t total = 0;
	bool ok = map && m;

	if (ok) {
		thread_set_map(map);		/* it runs on hart 0 */
		if (job->all)
			scale_spread(map->pmap);
	}
	for (uint64_t i = 0; ok && i < job->iters; i++) {
		uint64_t t0;

		ok = pmap_enter(map->pmap, SCALE_BASE, m, VM_PROT_DEFAULT, 0) == KERN_SUCCESS;
		t0 = rdinstret();
		ok = ok && pmap_remove(map->pmap, SCALE_BASE, SCALE_BASE + PAGE_SIZE) == KERN_SUCCESS;
		total += rdinstret() - t0;
	}
	thread_set_map(NULL);
	if (map)
		vm_map_deallocate(map);
	if (m)
		vm_page_free(m);
	job->cost = ok ? total / job->iters : 0;
}

KBENCH(scale_shootdown_all, "scale.tlb.shootdown.ran_all", "instructions/shootdown", SHOOT_ITERS)
{
	struct scale_hart_job job = { .all = true, .iters = iters };

	return scale_on_hart0(scale_shootdown_job, &job);
}

KBENCH(scale_shootdown_one, "scale.tlb.shootdown.ran_one", "instructions/shootdown", SHOOT_ITERS)
{
	struct scale_hart_job job = { .all = false, .iters = iters };

	return scale_on_hart0(scale_shootdown_job, &job);
}

/*
 * scale_resident_map: a map with npages written at SCALE_BASE, the
 * calling thread running in it.  => NULL if memory ran out
 */
static vm_map_t scale_resident_map(uint64_t npages)
{
	vm_map_t map = scale_user_map();
	vm_address_t a = SCALE_BASE;

	if (!map)
		return NULL;
	if (vm_allocate(map, &a, ptoa(npages), VM_FLAGS_FIXED) != KERN_SUCCESS) {
		vm_map_deallocate(map);
		return NULL;
	}
	thread_set_map(map);
	for (uint64_t i = 0; i < npages; i++)
		scale_touch(SCALE_BASE + ptoa(i), i);
	return map;
}

/* scale_fork_cost: instructions of vm_map_fork of map (the child's teardown not counted). */
static uint64_t scale_fork_cost(vm_map_t map)
{
	uint64_t t0 = rdinstret(), n;
	vm_map_t child = vm_map_fork(map);

	n = rdinstret() - t0;
	if (!child)
		return 0;
	vm_map_deallocate(child);
	return n;
}

/* scale_fork_job: one fork of SHOOT_PAGES resident pages, on hart 0. */
static void scale_fork_job(void *arg)
{
	struct scale_hart_job *job = arg;
	vm_map_t map = scale_resident_map(SHOOT_PAGES);

	job->cost = 0;
	if (!map)
		return;
	if (job->all)
		scale_spread(map->pmap);
	job->cost = scale_fork_cost(map);
	thread_set_map(NULL);
	vm_map_deallocate(map);
}

KBENCH(scale_fork_all, "scale.fork1000.ran_all", "instructions/fork", 1)
{
	struct scale_hart_job job = { .all = true, .iters = iters };

	return scale_on_hart0(scale_fork_job, &job);
}

KBENCH(scale_fork_one, "scale.fork1000.ran_one", "instructions/fork", 1)
{
	struct scale_hart_job job = { .all = false, .iters = iters };

	return scale_on_hart0(scale_fork_job, &job);
}

/* scale_fork_resident: scale_fork_cost of a map of npages resident pages, 0 if it failed. */
static uint64_t scale_fork_resident(uint64_t npages)
{
	vm_map_t map = scale_resident_map(npages);
	uint64_t cost;

	if (!map)
		return 0;
	cost = scale_fork_cost(map);
	thread_set_map(NULL);
	vm_map_deallocate(map);
	return cost;
}

/*
 * scale.fork.per_resident_page: what each resident page adds to
 * vm_map_fork: the fork of bench.n resident pages less the fork of one,
 * over bench.n - 1 (the fork's fixed cost is noted as "fork_one").
 */
KBENCH(scale_fork_pages, "scale.fork.per_resident_page", "instructions/page", 1)
{
	uint64_t n = scale_n(), one = scale_fork_resident(1), many;

	(void)iters;
	if (n < 2 || !one)
		return 0;
	many = scale_fork_resident(n);
	kbench_note("\"fork_one\":%lu", one);
	return many > one ? (many - one) / (n - 1) : 0;
}

/* ---- IOMMU ------------------------------------------------------------------------------------ */

struct scale_live {
	uint64_t *iova;		/* bench.n live mappings of one page */
	uint64_t n;
	vm_size_t bytes;	/* of the iova array (kernel_map) */
};

/* scale_live_make: n mappings of page in dom, kept live.  => false if one failed (none kept) */
static bool scale_live_make(struct scale_live *l, struct iommu_domain *dom, vm_page_t page,
			    uint64_t n)
{
	struct iommu_run run = { page->phys_addr, PAGE_SIZE };
	vm_offset_t buf = 0;
	uint64_t np;

	l->n = 0;
	l->bytes = round_page(n * sizeof(uint64_t));
	if (kmem_alloc(kernel_map, &buf, l->bytes) != KERN_SUCCESS)
		return false;
	l->iova = (uint64_t *)buf;
	for (; l->n < n; l->n++)
		if (iommu_map(dom, &run, 1, IOMMU_PROT_READ, &l->iova[l->n], &np) != KERN_SUCCESS)
			break;
	return l->n == n;
}

/* scale_live_drop: unmap what scale_live_make mapped in dom and free the array. */
static void scale_live_drop(struct scale_live *l, struct iommu_domain *dom)
{
	if (!l->iova)
		return;
	for (uint64_t i = 0; i < l->n; i++)
		iommu_unmap(dom, l->iova[i], 1);
	kmem_free(kernel_map, (vm_offset_t)l->iova, l->bytes);
}

/* scale_prepare_complete: instructions per prepare + complete of d on eng (the second round). */
static uint64_t scale_prepare_complete(struct dma_desc *d, struct dma_engine *eng, uint64_t iters)
{
	uint64_t cost = 0;
	bool ok = true;

	for (int round = 0; round < 2 && ok; round++) {	/* the first warms the caches */
		uint64_t t0 = rdinstret();

		for (uint64_t i = 0; i < iters && ok; i++)
			ok = dma_desc_prepare(d, eng) == KERN_SUCCESS &&
			     dma_desc_complete(d) == KERN_SUCCESS;
		cost = ok ? (rdinstret() - t0) / iters : 0;
	}
	return cost;
}

KBENCH(scale_iommu, "scale.iommu.prepare_complete", "instructions/op", 256)
{
	vm_page_t page = vm_page_alloc();
	struct scale_live live = { 0 };
	struct dma_engine eng;
	struct dma_desc *d;
	uint64_t cost = 0;

	if (!page || !iommu_unit ||
	    dma_engine_init(&eng, "scale", DMA_BACKEND_IOMMU_STRICT, UINT64_MAX, 0, 0xff02) !=
	    KERN_SUCCESS)
		goto out;
	vm_page_wire(page);
	if (scale_live_make(&live, eng.domain, page, scale_n()) &&
	    dma_desc_create_physical(page->phys_addr, PAGE_SIZE, DMA_TO_DEVICE, &d) == KERN_SUCCESS) {
		cost = scale_prepare_complete(d, &eng, iters);
		dma_desc_destroy(d);
	}
	scale_live_drop(&live, eng.domain);
	dma_engine_destroy(&eng);
	vm_page_unwire(page);
out:
	if (page)
		vm_page_free(page);
	return cost;
}

/* scale_map_oldest: iters times, map one more page into the ring l and unmap its oldest.  => per op */
static uint64_t scale_map_oldest(struct scale_live *l, struct iommu_domain *dom, vm_page_t page,
				 uint64_t iters)
{
	struct iommu_run run = { page->phys_addr, PAGE_SIZE };
	uint64_t cost = 0, at = 0, np;
	bool ok = true;

	for (int round = 0; round < 2 && ok; round++) {	/* the first warms the caches */
		uint64_t t0 = rdinstret();

		for (uint64_t i = 0; i < iters && ok; i++, at = (at + 1) % l->n) {
			uint64_t oldest = l->iova[at];

			ok = iommu_map(dom, &run, 1, IOMMU_PROT_READ, &l->iova[at], &np) == KERN_SUCCESS;
			iommu_unmap(dom, oldest, 1);
		}
		cost = ok ? (rdinstret() - t0) / iters : 0;
	}
	return cost;
}

KBENCH(scale_iommu_oldest, "scale.iommu.map_unmap_oldest", "instructions/op", 256)
{
	vm_page_t page = vm_page_alloc();
	struct scale_live live = { 0 };
	struct iommu_domain *dom = NULL;
	uint64_t cost = 0;

	if (!page || !iommu_unit ||
	    iommu_domain_create(iommu_unit, IOMMU_STRICT, UINT64_MAX, &dom) != KERN_SUCCESS)
		goto out;
	vm_page_wire(page);
	if (scale_live_make(&live, dom, page, scale_n()))
		cost = scale_map_oldest(&live, dom, page, iters);
	scale_live_drop(&live, dom);
	iommu_domain_destroy(dom);
	vm_page_unwire(page);
out:
	if (page)
		vm_page_free(page);
	return cost;
}
