/*
 * pmap_bench.c: the pmap's per-page costs and the TLB shootdown, in guest
 * instructions (rdinstret under -icount shift=0).
 */
#include "kern/thread.h"
#include "platform/riscv/hart.h"
#include "platform/riscv/pmap_md.h"
#include "platform/riscv/riscv.h"
#include "platform/riscv/smp.h"
#include "platform/riscv/tlb.h"
#include "tests/bench/kbench.h"
#include "vm/pmap.h"

KBENCH_RUN(pmap, "bench=pmap,tlb", "-m 256M -smp 4");

#define BENCH_VA	0x20000000ul
#define BENCH_PAGES	512		/* one level-0 table's worth */

struct pmap_fixture {
	pmap_t p;
	vm_page_t pages;
};

static bool fixture_make(struct pmap_fixture *f)
{
	f->p = pmap_create();
	f->pages = vm_page_alloc_contig(BENCH_PAGES, 1);
	return f->p && f->pages;
}

static void fixture_enter_all(struct pmap_fixture *f)
{
	for (uint64_t i = 0; i < BENCH_PAGES; i++)
		pmap_enter(f->p, BENCH_VA + ptoa(i), f->pages + i, VM_PROT_DEFAULT, 0);
}

static void fixture_drop(struct pmap_fixture *f)
{
	if (f->p)
		pmap_destroy(f->p);
	if (f->pages)
		vm_page_free_contig(f->pages, BENCH_PAGES);
}

/* pmap.enter: 512 new 4 KiB mappings into an empty pmap (its two tables included). */
KBENCH(pmap_enter, "pmap.enter", "instructions/page", 1)
{
	struct pmap_fixture f;
	uint64_t t0, t1;

	(void)iters;
	if (!fixture_make(&f))
		return 0;
	t0 = rdinstret();
	fixture_enter_all(&f);
	t1 = rdinstret();
	fixture_drop(&f);
	return (t1 - t0) / BENCH_PAGES;
}

/* pmap_bench_range: instructions per page of one call of op over 512 mappings. */
static uint64_t pmap_bench_range(void (*op)(pmap_t p, vm_offset_t start, vm_offset_t end))
{
	struct pmap_fixture f;
	uint64_t t0, t1;

	if (!fixture_make(&f))
		return 0;
	fixture_enter_all(&f);
	t0 = rdinstret();
	op(f.p, BENCH_VA, BENCH_VA + ptoa(BENCH_PAGES));
	t1 = rdinstret();
	fixture_drop(&f);
	return (t1 - t0) / BENCH_PAGES;
}

static void op_remove(pmap_t p, vm_offset_t start, vm_offset_t end)
{
	pmap_remove(p, start, end);
}

static void op_protect(pmap_t p, vm_offset_t start, vm_offset_t end)
{
	pmap_protect(p, start, end, VM_PROT_READ);
}

/* pmap.remove: one pmap_remove over 512 mappings (tables freed, one shootdown). */
KBENCH(pmap_remove, "pmap.remove", "instructions/page", 1)
{
	(void)iters;
	return pmap_bench_range(op_remove);
}

/* pmap.protect: one pmap_protect taking write away from 512 mappings. */
KBENCH(pmap_protect, "pmap.protect", "instructions/page", 1)
{
	(void)iters;
	return pmap_bench_range(op_protect);
}

/* zero_page_cost / copy_page_cost: instructions per page, the way pmap_page_vector says. */
static uint64_t zero_page_cost(uint64_t iters)
{
	vm_page_t m = vm_page_alloc();
	uint64_t t0, t1;

	if (!m)
		return 0;
	t0 = rdinstret();
	for (uint64_t i = 0; i < iters; i++)
		pmap_zero_page(m);
	t1 = rdinstret();
	vm_page_free(m);
	return (t1 - t0) / iters;
}

static uint64_t copy_page_cost(uint64_t iters)
{
	vm_page_t m = vm_page_alloc_contig(2, 1);
	uint64_t t0, t1;

	if (!m)
		return 0;
	t0 = rdinstret();
	for (uint64_t i = 0; i < iters; i++)
		pmap_copy_page(m, m + 1);
	t1 = rdinstret();
	vm_page_free_contig(m, 2);
	return (t1 - t0) / iters;
}

/* scalar: run cost with the V extension's loops turned off. */
static uint64_t scalar(uint64_t (*cost)(uint64_t), uint64_t iters)
{
	bool was = pmap_page_vector_set(false);
	uint64_t n = cost(iters);

	pmap_page_vector_set(was);
	return n;
}

/* With V (the default where the harts have it: VLEN=128 under QEMU), then without. */
KBENCH(pmap_zero_page, "pmap.zero_page", "instructions/page", 256)
{
	return zero_page_cost(iters);
}

KBENCH(pmap_copy_page, "pmap.copy_page", "instructions/page", 256)
{
	return copy_page_cost(iters);
}

KBENCH(pmap_zero_page_scalar, "pmap.zero_page.scalar", "instructions/page", 256)
{
	return scalar(zero_page_cost, iters);
}

KBENCH(pmap_copy_page_scalar, "pmap.copy_page.scalar", "instructions/page", 256)
{
	return scalar(copy_page_cost, iters);
}

struct shootdown_bench {
	uint64_t iters;
	uint64_t total;				/* instructions of every hart */
};

static void shootdown_measurer(void *arg)
{
	struct shootdown_bench *b = arg;
	uint64_t targets = tlb_all_harts(), t0 = rdinstret();

	for (uint64_t i = 0; i < b->iters; i++)
		tlb_shootdown(targets, BENCH_VA, BENCH_VA + PAGE_SIZE);
	b->total = rdinstret() - t0;
}

/*
 * tlb.shootdown.smp4: one page invalidated on all four harts, the caller
 * waiting for every acknowledgement: instructions on all harts together
 * (the idle targets wake, flush, acknowledge and sleep again; under
 * -icount rdinstret is the machine's count, every hart's at once).
 */
KBENCH(tlb_shootdown, "tlb.shootdown.smp4", "instructions/shootdown", 200)
{
	struct shootdown_bench b = { .iters = iters };
	struct thread *t;

	if (hart_count != 4 || !(t = thread_create("shootdown", shootdown_measurer, &b, 0)))
		return 0;
	thread_join(t);
	return b.total / iters;
}
