/*
 * pmap_test.c: the Sv39 pmap through its contract (vm/pmap.h), with
 * pmap_check after every operation and the page accounting of ktest
 * (free and wired pages back to their start values after every case).
 */
#include <stdio.h>
#include <string.h>

#include "kern/thread.h"
#include "platform/riscv/hart.h"
#include "platform/riscv/pmap_md.h"
#include "platform/riscv/riscv.h"
#include "platform/riscv/smp.h"
#include "platform/riscv/tlb.h"
#include "tests/kernel/ktest.h"
#include "vm/pmap.h"

KTEST_RUN(pmap_smp1, "test=pmap", "-m 4G -smp 1");
KTEST_RUN(pmap_smp4, "test=pmap", "-m 4G -smp 4");

#define UVA	0x10000000ul		/* an ordinary user address */
#define MIB2	(2ul * 1024 * 1024)
#define GIB1	(1024ul * 1024 * 1024)

#define EXPECT_PMAP_OK(p) EXPECT_EQ(pmap_check((p), ktest_report), 0)

static vm_page_t page_with(uint64_t pattern)
{
	vm_page_t m = vm_page_alloc();
	uint64_t *w;

	if (!m)
		return NULL;
	w = pmap_direct_map(m->phys_addr);
	for (unsigned i = 0; i < PAGE_SIZE / 8; i++)
		w[i] = pattern + i;
	return m;
}

static uint64_t phys_word(vm_paddr_t pa)
{
	return *(volatile uint64_t *)pmap_direct_map(pa);
}

KTEST(pmap, enter_extract_remove_one_page)
{
	pmap_t p = pmap_create();
	vm_page_t m = page_with(0x1000);
	vm_paddr_t pa = 0;

	ASSERT_TRUE(p && m);
	EXPECT_EQ(pmap_enter(p, UVA, m, VM_PROT_READ, 0), KERN_SUCCESS);
	EXPECT_PMAP_OK(p);
	EXPECT_EQ(pmap_extract(p, UVA + 8, &pa), KERN_SUCCESS);
	EXPECT_EQ(pa, m->phys_addr + 8);
	EXPECT_EQ(pmap_resident_count(p), 1);
	EXPECT_EQ(pmap_remove(p, UVA, UVA + PAGE_SIZE), KERN_SUCCESS);
	EXPECT_PMAP_OK(p);
	EXPECT_EQ(pmap_extract(p, UVA, &pa), KERN_INVALID_ADDRESS);
	EXPECT_EQ(pmap_resident_count(p), 0);
	pmap_destroy(p);
	vm_page_free(m);
}

KTEST(pmap, access_through_the_mapping)
{
	pmap_t p = pmap_create();
	vm_page_t m = page_with(0x2000);

	ASSERT_TRUE(p && m);
	ASSERT_EQ(pmap_enter(p, UVA, m, VM_PROT_DEFAULT, 0), KERN_SUCCESS);
	thread_set_pmap(p);
	EXPECT_EQ(ktest_uread(UVA), 0x2000);
	ktest_uwrite(UVA + 8, 0xfeed);
	EXPECT_EQ(phys_word(m->phys_addr + 8), 0xfeed);
	/* Read-only now: the write must fault, the read must not. */
	EXPECT_EQ(pmap_protect(p, UVA, UVA + PAGE_SIZE, VM_PROT_READ), KERN_SUCCESS);
	EXPECT_PMAP_OK(p);
	EXPECT_FAULT(EXC_STORE_PAGE_FAULT, ktest_uwrite(UVA, 1));
	EXPECT_EQ(ktest_uread(UVA + 8), 0xfeed);
	EXPECT_EQ(pmap_remove(p, UVA, UVA + PAGE_SIZE), KERN_SUCCESS);
	EXPECT_FAULT(EXC_LOAD_PAGE_FAULT, ktest_uread(UVA));
	thread_set_pmap(NULL);
	pmap_destroy(p);
	vm_page_free(m);
}

KTEST(pmap, ranges_protect_and_remove_the_middle)
{
	pmap_t p = pmap_create();
	vm_page_t run = vm_page_alloc_contig(100, 1);
	vm_paddr_t pa;

	ASSERT_TRUE(p && run);
	for (int i = 0; i < 100; i++)
		ASSERT_EQ(pmap_enter(p, UVA + ptoa(i), run + i, VM_PROT_DEFAULT, i < 10 ? PMAP_WIRED : 0),
			  KERN_SUCCESS);
	EXPECT_PMAP_OK(p);
	EXPECT_EQ(pmap_resident_count(p), 100);
	EXPECT_EQ(pmap_wired_count(p), 10);
	EXPECT_EQ(pmap_protect(p, UVA, UVA + ptoa(100), VM_PROT_READ), KERN_SUCCESS);
	EXPECT_EQ(pmap_remove(p, UVA + ptoa(20), UVA + ptoa(60)), KERN_SUCCESS);
	EXPECT_PMAP_OK(p);
	EXPECT_EQ(pmap_resident_count(p), 60);
	EXPECT_EQ(pmap_extract(p, UVA + ptoa(19), &pa), KERN_SUCCESS);
	EXPECT_EQ(pa, run[19].phys_addr);
	EXPECT_EQ(pmap_extract(p, UVA + ptoa(20), &pa), KERN_INVALID_ADDRESS);
	EXPECT_EQ(pmap_change_wiring(p, UVA, FALSE), KERN_SUCCESS);
	EXPECT_EQ(pmap_wired_count(p), 9);
	EXPECT_EQ(pmap_change_wiring(p, UVA + ptoa(30), TRUE), KERN_INVALID_ADDRESS);
	EXPECT_PMAP_OK(p);
	pmap_destroy(p);
	vm_page_free_contig(run, 100);
}

KTEST(pmap, page_tables_freed_when_empty)
{
	uint64_t free0 = vm_page_free_count();
	pmap_t p = pmap_create();
	vm_page_t m = page_with(0);
	uint64_t with_root, with_one;

	ASSERT_TRUE(p && m);
	with_root = vm_page_free_count();
	ASSERT_EQ(pmap_enter(p, UVA, m, VM_PROT_READ, 0), KERN_SUCCESS);
	with_one = vm_page_free_count();
	/* More GiBs apart: each needs a level-1 and a level-0 table of its own. */
	for (int i = 1; i < 4; i++)
		ASSERT_EQ(pmap_enter(p, UVA + i * GIB1, m, VM_PROT_READ, 0), KERN_SUCCESS);
	EXPECT_EQ(vm_page_free_count(), with_one - 6);
	for (int i = 1; i < 4; i++)
		EXPECT_EQ(pmap_remove(p, UVA + i * GIB1, UVA + i * GIB1 + PAGE_SIZE), KERN_SUCCESS);
	EXPECT_PMAP_OK(p);
	EXPECT_EQ(vm_page_free_count(), with_one);
	EXPECT_EQ(pmap_remove(p, UVA, UVA + PAGE_SIZE), KERN_SUCCESS);
	EXPECT_EQ(vm_page_free_count(), with_root);	/* tables and the pv zone page are back */
	pmap_destroy(p);
	vm_page_free(m);
	EXPECT_EQ(vm_page_free_count(), free0);
}

KTEST(pmap, large_2m_mapping_and_demotion)
{
	pmap_t p = pmap_create();
	vm_page_t run = vm_page_alloc_contig(512, 512);
	vm_offset_t va = 4 * MIB2;
	vm_paddr_t pa;

	ASSERT_TRUE(p && run);
	EXPECT_EQ(pmap_enter(p, va, run, VM_PROT_DEFAULT, PMAP_LARGE_2M), KERN_INVALID_ARGUMENT);
	EXPECT_EQ(pmap_enter(p, va + PAGE_SIZE, run, VM_PROT_DEFAULT, PMAP_LARGE_2M | PMAP_WIRED),
		  KERN_INVALID_ARGUMENT);
	ASSERT_EQ(pmap_enter(p, va, run, VM_PROT_DEFAULT, PMAP_LARGE_2M | PMAP_WIRED), KERN_SUCCESS);
	EXPECT_PMAP_OK(p);
	EXPECT_EQ(pmap_resident_count(p), 512);
	EXPECT_EQ(pmap_wired_count(p), 512);
	EXPECT_EQ(pmap_extract(p, va + MIB2 - 8, &pa), KERN_SUCCESS);
	EXPECT_EQ(pa, run->phys_addr + MIB2 - 8);
	/* Part of it changes: split into 4 KiB leaves, the rest untouched. */
	EXPECT_EQ(pmap_protect(p, va + ptoa(5), va + ptoa(6), VM_PROT_READ), KERN_SUCCESS);
	EXPECT_EQ(pmap_remove(p, va + ptoa(100), va + ptoa(101)), KERN_SUCCESS);
	EXPECT_PMAP_OK(p);
	EXPECT_EQ(pmap_resident_count(p), 511);
	EXPECT_EQ(pmap_extract(p, va + ptoa(101), &pa), KERN_SUCCESS);
	EXPECT_EQ(pa, run[101].phys_addr);
	thread_set_pmap(p);
	EXPECT_FAULT(EXC_STORE_PAGE_FAULT, ktest_uwrite(va + ptoa(5), 1));
	ktest_uwrite(va + ptoa(6), 0x66);
	EXPECT_EQ(phys_word(run[6].phys_addr), 0x66);
	thread_set_pmap(NULL);
	EXPECT_EQ(pmap_remove(p, va, va + MIB2), KERN_SUCCESS);
	EXPECT_PMAP_OK(p);
	EXPECT_EQ(pmap_wired_count(p), 0);
	pmap_destroy(p);
	vm_page_free_contig(run, 512);
}

KTEST(pmap, large_1g_mapping_splits_down_to_one_page)
{
	/* With -m 4G, [4 GiB, 5 GiB) is RAM with page records; nothing is written there. */
	vm_page_t head = vm_page_lookup_phys(4 * GIB1);
	vm_page_t inner;
	pmap_t p = pmap_create();
	vm_paddr_t pa;

	ASSERT_TRUE(p && head);
	inner = vm_page_nth(head, 3 * 512 + 7);
	ASSERT_EQ(pmap_enter(p, GIB1, head, VM_PROT_READ, PMAP_LARGE_1G | PMAP_WIRED), KERN_SUCCESS);
	EXPECT_PMAP_OK(p);
	EXPECT_EQ(pmap_resident_count(p), 512 * 512);
	/* Removing one page of it from every pmap: 1 GiB -> 2 MiB -> 4 KiB. */
	pmap_page_protect(inner, VM_PROT_NONE);
	EXPECT_PMAP_OK(p);
	EXPECT_EQ(pmap_resident_count(p), 512 * 512 - 1);
	EXPECT_EQ(pmap_extract(p, GIB1 + ptoa(3 * 512 + 7), &pa), KERN_INVALID_ADDRESS);
	EXPECT_EQ(pmap_extract(p, GIB1 + ptoa(3 * 512 + 8), &pa), KERN_SUCCESS);
	EXPECT_EQ(pa, inner->phys_addr + PAGE_SIZE);
	EXPECT_EQ(pmap_remove(p, GIB1, 2 * GIB1), KERN_SUCCESS);
	EXPECT_PMAP_OK(p);
	pmap_destroy(p);
}

KTEST(pmap, page_protect_reaches_three_pmaps)
{
	pmap_t p[3];
	vm_page_t m = page_with(0x3000);
	vm_paddr_t pa;

	ASSERT_TRUE(m != NULL);
	for (int i = 0; i < 3; i++) {
		ASSERT_TRUE((p[i] = pmap_create()) != NULL);
		ASSERT_EQ(pmap_enter(p[i], UVA + ptoa(i), m, VM_PROT_DEFAULT, 0), KERN_SUCCESS);
	}
	EXPECT_EQ(m->md.pv_count, 3);
	pmap_page_protect(m, VM_PROT_READ);	/* read-only everywhere */
	for (int i = 0; i < 3; i++) {
		thread_set_pmap(p[i]);
		EXPECT_EQ(ktest_uread(UVA + ptoa(i)), 0x3000);
		EXPECT_FAULT(EXC_STORE_PAGE_FAULT, ktest_uwrite(UVA + ptoa(i), 0));
		thread_set_pmap(NULL);
		EXPECT_PMAP_OK(p[i]);
	}
	pmap_page_protect(m, VM_PROT_NONE);	/* gone everywhere */
	EXPECT_EQ(m->md.pv_count, 0);
	for (int i = 0; i < 3; i++) {
		EXPECT_EQ(pmap_extract(p[i], UVA + ptoa(i), &pa), KERN_INVALID_ADDRESS);
		EXPECT_EQ(pmap_resident_count(p[i]), 0);
		EXPECT_PMAP_OK(p[i]);
		pmap_destroy(p[i]);
	}
	vm_page_free(m);
}

KTEST(pmap, referenced_and_modified_bits)
{
	pmap_t p = pmap_create();
	vm_page_t m = page_with(0x4000);

	ASSERT_TRUE(p && m);
	ASSERT_EQ(pmap_enter(p, UVA, m, VM_PROT_DEFAULT, 0), KERN_SUCCESS);
	thread_set_pmap(p);
	pmap_clear_reference(m);
	pmap_clear_modify(m);
	EXPECT_FALSE(pmap_is_referenced(m));
	EXPECT_FALSE(pmap_is_modified(m));
	EXPECT_EQ(ktest_uread(UVA), 0x4000);
	EXPECT_TRUE(pmap_is_referenced(m));
	EXPECT_FALSE(pmap_is_modified(m));
	ktest_uwrite(UVA, 1);
	EXPECT_TRUE(pmap_is_modified(m));
	/* Cleared D must come back on the next write: the clear flushed the TLB. */
	pmap_clear_modify(m);
	EXPECT_FALSE(pmap_is_modified(m));
	ktest_uwrite(UVA, 2);
	EXPECT_TRUE(pmap_is_modified(m));
	thread_set_pmap(NULL);
	/* Removing the mapping keeps what it knew. */
	EXPECT_EQ(pmap_remove(p, UVA, UVA + PAGE_SIZE), KERN_SUCCESS);
	EXPECT_TRUE(pmap_is_modified(m));
	EXPECT_TRUE(pmap_is_referenced(m));
	pmap_destroy(p);
	vm_page_free(m);
}

KTEST(pmap, nesting_is_seen_through_two_pmaps)
{
	pmap_t grand = pmap_create(), a = pmap_create(), b = pmap_create();
	vm_page_t m = page_with(0x5000), run = vm_page_alloc_contig(512, 512);
	vm_offset_t base = 64 * MIB2;
	vm_paddr_t pa;

	ASSERT_TRUE(grand && a && b && m);
	ASSERT_EQ(pmap_nest(grand, a, base, 2 * MIB2), KERN_SUCCESS);
	ASSERT_EQ(pmap_nest(grand, b, base, 2 * MIB2), KERN_SUCCESS);
	EXPECT_EQ(pmap_nest(grand, a, base, 2 * MIB2), KERN_NO_SPACE);
	/* One enter in grand, seen by both at once. */
	ASSERT_EQ(pmap_enter(grand, base + MIB2, m, VM_PROT_DEFAULT, 0), KERN_SUCCESS);
	EXPECT_EQ(pmap_extract(a, base + MIB2, &pa), KERN_SUCCESS);
	EXPECT_EQ(pa, m->phys_addr);
	EXPECT_EQ(pmap_extract(b, base + MIB2, &pa), KERN_SUCCESS);
	/* A large page over the shared table would cut a and b off from it. */
	ASSERT_TRUE(run != NULL);
	EXPECT_EQ(pmap_enter(grand, base + MIB2, run, VM_PROT_DEFAULT, PMAP_LARGE_2M | PMAP_WIRED),
		  KERN_NO_SPACE);
	EXPECT_EQ(pmap_extract(grand, base + MIB2, &pa), KERN_SUCCESS);
	EXPECT_EQ(pa, m->phys_addr);
	vm_page_free_contig(run, 512);
	thread_set_pmap(a);
	EXPECT_EQ(ktest_uread(base + MIB2), 0x5000);
	thread_set_pmap(b);
	ktest_uwrite(base + MIB2 + 8, 0xb);
	EXPECT_EQ(phys_word(m->phys_addr + 8), 0xb);
	/* Removed in grand: gone through b (whose TLB had it) too. */
	EXPECT_EQ(pmap_remove(grand, base + MIB2, base + MIB2 + PAGE_SIZE), KERN_SUCCESS);
	EXPECT_FAULT(EXC_LOAD_PAGE_FAULT, ktest_uread(base + MIB2));
	thread_set_pmap(NULL);
	EXPECT_EQ(pmap_enter(a, base, m, VM_PROT_READ, 0), KERN_INVALID_ADDRESS);
	EXPECT_EQ(pmap_remove(a, base, base + PAGE_SIZE), KERN_INVALID_ADDRESS);
	EXPECT_PMAP_OK(grand);
	EXPECT_PMAP_OK(a);
	EXPECT_PMAP_OK(b);
	EXPECT_EQ(pmap_unnest(a, base, MIB2), KERN_INVALID_ARGUMENT);
	EXPECT_EQ(pmap_unnest(a, base, 2 * MIB2), KERN_SUCCESS);
	EXPECT_EQ(pmap_unnest(b, base, 2 * MIB2), KERN_SUCCESS);
	EXPECT_PMAP_OK(a);
	EXPECT_PMAP_OK(grand);
	pmap_destroy(a);
	pmap_destroy(b);
	pmap_destroy(grand);
	vm_page_free(m);
}

#define ROLL_PMAPS 8

KTEST(pmap, asid_rollover_keeps_translations_apart)
{
	pmap_t p[ROLL_PMAPS];
	vm_page_t m[ROLL_PMAPS];
	uint16_t old = pmap_asid_limit(3);
	uint64_t gen0 = pmap_asid_generation();
	uint64_t flushes0 = pmap_asid_flushes();

	for (int i = 0; i < ROLL_PMAPS; i++) {
		p[i] = pmap_create();
		m[i] = page_with(0x100 * (i + 1));
		ASSERT_TRUE(p[i] && m[i]);
		/* Same address in every pmap, a different page behind it. */
		ASSERT_EQ(pmap_enter(p[i], UVA, m[i], VM_PROT_READ, 0), KERN_SUCCESS);
	}
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < ROLL_PMAPS; i++) {
			thread_set_pmap(p[i]);
			EXPECT_EQ(ktest_uread(UVA), 0x100 * (i + 1));
		}
	}
	thread_set_pmap(NULL);
	/* 8 pmaps over 3 ASIDs, three rounds: many generations, and a full flush
	 * for each on this hart (QEMU flushes on any satp write anyway, so the
	 * translations alone cannot show a missing one). */
	EXPECT_GE(pmap_asid_generation(), gen0 + 6);
	EXPECT_GE(pmap_asid_flushes() - flushes0, pmap_asid_generation() - gen0);
	pmap_asid_limit(old);
	for (int i = 0; i < ROLL_PMAPS; i++) {
		EXPECT_PMAP_OK(p[i]);
		pmap_destroy(p[i]);
		vm_page_free(m[i]);
	}
}

struct stale_reader {
	pmap_t p;
	struct ktest_ctx *ctx;
	volatile int reads;
	volatile int removed;
	volatile int read_after_remove;
	kern_return_t remove_kr;
};

/* stale_remover_body: the removal, from hart 0 (the reader is pinned elsewhere). */
static void stale_remover_body(void *arg)
{
	struct stale_reader *r = arg;

	r->remove_kr = pmap_remove(r->p, UVA, UVA + PAGE_SIZE);
	r->removed = 1;
}

static void stale_reader_body(void *arg)
{
	struct stale_reader *r = arg;

	ktest_adopt(r->ctx);
	thread_set_pmap(r->p);
	/*
	 * SUM stays set for the whole loop: QEMU flushes its TLB whenever SUM
	 * changes, which would hide a missing shootdown.
	 */
	csr_set(sstatus, SSTATUS_SUM);
	EXPECT_FAULT(EXC_LOAD_PAGE_FAULT, {
		for (;;) {
			int after = r->removed;

			(void)*(volatile uint64_t *)UVA;
			r->reads++;
			if (after) {
				r->read_after_remove = 1;
				break;
			}
		}
	});
	csr_clear(sstatus, SSTATUS_SUM);
	thread_set_pmap(NULL);
	ktest_adopt(NULL);
}

KTEST(pmap, stale_tlb_entry_on_another_hart_is_shot_down)
{
	struct stale_reader r = { .p = pmap_create(), .ctx = ktest_ctx() };
	vm_page_t m = page_with(0x6000);
	uint64_t shootdowns = tlb_shootdowns();
	struct thread *t, *rm;

	if (hart_count < 2) {
		kprintf("    (one hart: nothing to shoot down)\n");
		vm_page_free(m);
		pmap_destroy(r.p);
		return;
	}
	ASSERT_TRUE(r.p && m);
	ASSERT_EQ(pmap_enter(r.p, UVA, m, VM_PROT_READ, 0), KERN_SUCCESS);
	t = thread_create("stale_reader", stale_reader_body, &r, hart_count - 1);
	ASSERT_TRUE(t != NULL);
	while (r.reads < 1000)		/* the reader's TLB holds the translation */
		thread_yield();
	/* The removal runs on another hart than the reader's, whichever this thread is on. */
	rm = thread_create("stale_remover", stale_remover_body, &r, 0);
	ASSERT_TRUE(rm != NULL);
	thread_join(rm);
	EXPECT_EQ(r.remove_kr, KERN_SUCCESS);
	thread_join(t);
	EXPECT_EQ(r.read_after_remove, 0);
	EXPECT_GT(tlb_shootdowns(), shootdowns);
	EXPECT_PMAP_OK(r.p);
	pmap_destroy(r.p);
	vm_page_free(m);
}

KTEST(pmap, kernel_window)
{
	vm_page_t m = page_with(0x7000);
	/*
	 * Near the window's top: kernel_map fills it from the bottom (the
	 * heaps' reservations first), and a fault on an address of one of its
	 * entries would be resolved, not taken.
	 */
	vm_offset_t va = PMAP_KERNEL_END - 5 * MIB2;
	vm_paddr_t pa;

	ASSERT_TRUE(m != NULL);
	ASSERT_EQ(pmap_enter(kernel_pmap, va, m, VM_PROT_DEFAULT, PMAP_WIRED), KERN_SUCCESS);
	EXPECT_EQ(*(volatile uint64_t *)va, 0x7000);
	*(volatile uint64_t *)(va + 16) = 0x77;
	EXPECT_EQ(phys_word(m->phys_addr + 16), 0x77);
	EXPECT_PMAP_OK(kernel_pmap);
	EXPECT_EQ(pmap_remove(kernel_pmap, va, va + PAGE_SIZE), KERN_SUCCESS);
	EXPECT_FAULT(EXC_LOAD_PAGE_FAULT, (void)*(volatile uint64_t *)va);
	EXPECT_EQ(pmap_extract(kernel_pmap, va, &pa), KERN_INVALID_ADDRESS);
	EXPECT_EQ(pmap_enter(kernel_pmap, UVA, m, VM_PROT_READ, 0), KERN_INVALID_ADDRESS);
	EXPECT_EQ(pmap_enter(kernel_pmap, PMAP_KERNEL_END, m, VM_PROT_READ, 0), KERN_INVALID_ADDRESS);
	EXPECT_PMAP_OK(kernel_pmap);
	vm_page_free(m);
}

/* Bad input: each call, each bad argument, the code it must return; nothing may change. */
KTEST(pmap, bad_input_is_refused)
{
	pmap_t p = pmap_create();
	vm_page_t m = page_with(0);
	vm_paddr_t pa;

	ASSERT_TRUE(p && m);
	EXPECT_EQ(pmap_enter(NULL, UVA, m, VM_PROT_READ, 0), KERN_INVALID_ARGUMENT);
	EXPECT_EQ(pmap_enter(p, UVA, NULL, VM_PROT_READ, 0), KERN_INVALID_ARGUMENT);
	EXPECT_EQ(pmap_enter(p, UVA + 8, m, VM_PROT_READ, 0), KERN_INVALID_ARGUMENT);
	EXPECT_EQ(pmap_enter(p, UVA, m, VM_PROT_WRITE, 0), KERN_INVALID_ARGUMENT);
	EXPECT_EQ(pmap_enter(p, UVA, m, VM_PROT_WRITE | VM_PROT_EXECUTE, 0), KERN_INVALID_ARGUMENT);
	EXPECT_EQ(pmap_enter(p, UVA, m, 0x10, 0), KERN_INVALID_ARGUMENT);
	EXPECT_EQ(pmap_enter(p, UVA, m, VM_PROT_READ, 0x100), KERN_INVALID_ARGUMENT);
	EXPECT_EQ(pmap_enter(p, PMAP_USER_END, m, VM_PROT_READ, 0), KERN_INVALID_ADDRESS);
	EXPECT_EQ(pmap_enter(p, PMAP_USER_END - PAGE_SIZE, m, VM_PROT_READ, 0), KERN_SUCCESS);
	EXPECT_EQ(pmap_enter(p, 0x0000800000000000ul, m, VM_PROT_READ, 0), KERN_INVALID_ADDRESS);
	EXPECT_EQ(pmap_enter(p, PMAP_KERNEL_START, m, VM_PROT_READ, 0), KERN_INVALID_ADDRESS);
	EXPECT_EQ(pmap_enter(p, 0xfffffffffffff000ul, m, VM_PROT_READ, 0), KERN_INVALID_ADDRESS);
	EXPECT_EQ(pmap_enter(p, 0, m, VM_PROT_READ, 0), KERN_SUCCESS);	/* page 0 is a page */
	EXPECT_EQ(pmap_remove(p, UVA, UVA - PAGE_SIZE), KERN_INVALID_ARGUMENT);
	EXPECT_EQ(pmap_remove(p, UVA + 1, UVA + PAGE_SIZE), KERN_INVALID_ARGUMENT);
	EXPECT_EQ(pmap_remove(p, 0xfffffffffffff000ul, 0), KERN_INVALID_ARGUMENT);
	EXPECT_EQ(pmap_remove(p, 0, PMAP_USER_END + PAGE_SIZE), KERN_INVALID_ADDRESS);
	EXPECT_EQ(pmap_protect(p, 0, PAGE_SIZE, VM_PROT_WRITE), KERN_INVALID_ARGUMENT);
	EXPECT_EQ(pmap_protect(p, 0, PAGE_SIZE, 0x80), KERN_INVALID_ARGUMENT);
	EXPECT_EQ(pmap_extract(p, PMAP_USER_END, &pa), KERN_INVALID_ADDRESS);
	EXPECT_EQ(pmap_change_wiring(p, UVA + 3 * PAGE_SIZE, TRUE), KERN_INVALID_ADDRESS);
	EXPECT_EQ(pmap_nest(p, p, 0, MIB2), KERN_INVALID_ARGUMENT);
	EXPECT_EQ(pmap_nest(kernel_pmap, p, 0, MIB2), KERN_INVALID_ARGUMENT);
	EXPECT_EQ(pmap_unnest(p, 0, MIB2), KERN_INVALID_ARGUMENT);
	/* pmap_enter_quick turns the same down (false) and maps nothing. */
	EXPECT_FALSE(pmap_enter_quick(NULL, UVA, m, VM_PROT_READ));
	EXPECT_FALSE(pmap_enter_quick(p, UVA, NULL, VM_PROT_READ));
	EXPECT_FALSE(pmap_enter_quick(p, UVA + 8, m, VM_PROT_READ));
	EXPECT_FALSE(pmap_enter_quick(p, UVA, m, VM_PROT_WRITE));
	EXPECT_FALSE(pmap_enter_quick(p, UVA, m, VM_PROT_NONE));
	EXPECT_FALSE(pmap_enter_quick(p, UVA, m, 0x10));
	EXPECT_FALSE(pmap_enter_quick(p, PMAP_USER_END, m, VM_PROT_READ));
	EXPECT_FALSE(pmap_enter_quick(p, PMAP_KERNEL_START, m, VM_PROT_READ));
	EXPECT_FALSE(pmap_enter_quick(kernel_pmap, UVA, m, VM_PROT_READ));
	/* Only the two good enters took effect. */
	EXPECT_EQ(pmap_resident_count(p), 2);
	EXPECT_PMAP_OK(p);
	pmap_destroy(p);
	vm_page_free(m);
}

/*
 * pmap_enter_quick remembers the last level-0 table it walked to.  Once
 * that table is freed (its last mapping removed) and its page reused, the
 * next quick enter must walk again and find the new table.  On the way:
 * it declines a page mapped elsewhere and an update of a page's own
 * leaf, and replaces another page's leaf as pmap_enter does.
 */
KTEST(pmap, enter_quick_walks_again_after_a_table_goes)
{
	pmap_t p = pmap_create();
	vm_page_t a = page_with(0xa000), b = page_with(0xb000), c = page_with(0xc000), d;
	const uint64_t *w;
	vm_paddr_t pa = 0;

	ASSERT_TRUE(p && a && b && c);
	EXPECT_FALSE(pmap_enter_quick(p, UVA, a, VM_PROT_READ));	/* no tables yet */
	EXPECT_EQ(pmap_resident_count(p), 0);
	EXPECT_EQ(pmap_enter(p, UVA, a, VM_PROT_READ, 0), KERN_SUCCESS);
	EXPECT_TRUE(pmap_enter_quick(p, UVA + PAGE_SIZE, b, VM_PROT_READ | VM_PROT_WRITE));
	EXPECT_EQ(pmap_extract(p, UVA + PAGE_SIZE, &pa), KERN_SUCCESS);
	EXPECT_EQ(pa, b->phys_addr);
	EXPECT_FALSE(pmap_enter_quick(p, UVA + 2 * PAGE_SIZE, a, VM_PROT_READ));	/* a is mapped */
	EXPECT_FALSE(pmap_enter_quick(p, UVA, a, VM_PROT_READ | VM_PROT_WRITE));	/* its own leaf */
	EXPECT_EQ(pmap_pte_get(p, UVA) & PTE_W, 0);
	EXPECT_TRUE(pmap_enter_quick(p, UVA, c, VM_PROT_READ));		/* a's leaf: replaced */
	EXPECT_EQ(pmap_extract(p, UVA, &pa), KERN_SUCCESS);
	EXPECT_EQ(pa, c->phys_addr);
	EXPECT_EQ(pmap_resident_count(p), 2);
	EXPECT_PMAP_OK(p);
	EXPECT_TRUE(pmap_enter_quick(p, UVA, a, VM_PROT_READ));		/* and back: a was let go */
	EXPECT_EQ(pmap_extract(p, UVA, &pa), KERN_SUCCESS);
	EXPECT_EQ(pa, a->phys_addr);
	EXPECT_PMAP_OK(p);
	EXPECT_EQ(pmap_remove(p, UVA, UVA + 2 * PAGE_SIZE), KERN_SUCCESS);	/* the table goes */
	d = page_with(0xd000);		/* most likely on the freed table's page */
	ASSERT_TRUE(d != NULL);
	EXPECT_EQ(pmap_enter(p, UVA + 3 * PAGE_SIZE, a, VM_PROT_READ, 0), KERN_SUCCESS);
	EXPECT_TRUE(pmap_enter_quick(p, UVA, c, VM_PROT_READ));
	EXPECT_EQ(pmap_extract(p, UVA, &pa), KERN_SUCCESS);
	EXPECT_EQ(pa, c->phys_addr);
	w = pmap_direct_map(d->phys_addr);
	for (unsigned i = 0; i < PAGE_SIZE / 8; i++)
		ASSERT_EQ(w[i], 0xd000 + i);
	EXPECT_EQ(pmap_resident_count(p), 2);
	EXPECT_PMAP_OK(p);
	pmap_destroy(p);
	vm_page_free(a);
	vm_page_free(b);
	vm_page_free(c);
	vm_page_free(d);
}

/* zero_and_copy: pmap_zero_page and pmap_copy_page, in whichever way pmap_page_vector says. */
static void zero_and_copy(void)
{
	vm_page_t a = page_with(0x8000), b = vm_page_alloc();
	const uint64_t *wa, *wb;

	ASSERT_TRUE(a && b);
	memset(pmap_direct_map(b->phys_addr), 0xa5, PAGE_SIZE);
	pmap_copy_page(a, b);
	wb = pmap_direct_map(b->phys_addr);
	for (unsigned i = 0; i < PAGE_SIZE / 8; i++)
		ASSERT_EQ(wb[i], 0x8000 + i);
	pmap_zero_page(a);
	wa = pmap_direct_map(a->phys_addr);
	for (unsigned i = 0; i < PAGE_SIZE / 8; i++)
		ASSERT_EQ(wa[i], 0);
	/* The pages around were left alone (b follows a's copy, whatever their order). */
	for (unsigned i = 0; i < PAGE_SIZE / 8; i++)
		ASSERT_EQ(wb[i], 0x8000 + i);
	vm_page_free(a);
	vm_page_free(b);
}

KTEST(pmap, zero_and_copy_page)
{
	bool was = pmap_page_vector_set(false);

	/* The harts have V (qemu-run.sh asks for it), so the vector loops are the default. */
	EXPECT_TRUE(was);
	zero_and_copy();
	EXPECT_FALSE(pmap_page_vector());
	pmap_page_vector_set(true);
	EXPECT_TRUE(pmap_page_vector());
	zero_and_copy();
	/* The vector unit is off again, and interrupts are as they were, both ways. */
	EXPECT_EQ(csr_read(sstatus) & SSTATUS_VS_MASK, 0);
	EXPECT_TRUE(intr_enabled());
	intr_disable();
	zero_and_copy();
	EXPECT_FALSE(intr_enabled());
	intr_enable();
	pmap_page_vector_set(was);
}

/*
 * The page checksum (the default pager keeps one per slot): the vector
 * loop and the scalar one agree, on zeros and on data, and any one word
 * changed, or two words swapped, changes it.
 */
KTEST(pmap, page_checksum_is_the_same_both_ways_and_sees_changes)
{
	vm_page_t m = vm_page_alloc();
	bool was = pmap_page_vector_set(true);
	uint64_t *w, t;
	uint32_t zero, data;

	ASSERT_TRUE(m != NULL);
	EXPECT_TRUE(pmap_page_vector());	/* qemu-run.sh gives the harts V */
	w = pmap_direct_map(m->phys_addr);
	memset(w, 0, PAGE_SIZE);
	zero = pmap_page_checksum(m);
	EXPECT_EQ(csr_read(sstatus) & SSTATUS_VS_MASK, 0);	/* the vector unit is off again */
	EXPECT_TRUE(intr_enabled());
	pmap_page_vector_set(false);
	EXPECT_EQ(pmap_page_checksum(m), zero);
	for (unsigned i = 0; i < PAGE_SIZE / 8; i++)
		w[i] = 0x9e3779b97f4a7c15ull * (i + 1);
	data = pmap_page_checksum(m);
	pmap_page_vector_set(true);
	EXPECT_EQ(pmap_page_checksum(m), data);
	EXPECT_NE(data, zero);
	w[300] ^= 1ull << 40;
	EXPECT_NE(pmap_page_checksum(m), data);
	w[300] ^= 1ull << 40;
	t = w[17], w[17] = w[18], w[18] = t;	/* neighbours: different lanes */
	EXPECT_NE(pmap_page_checksum(m), data);
	t = w[18], w[18] = w[17], w[17] = t;
	t = w[17], w[17] = w[33], w[33] = t;	/* one lane, two rows */
	EXPECT_NE(pmap_page_checksum(m), data);
	pmap_page_vector_set(was);
	vm_page_free(m);
}

/*
 * Hardware that does not set A/D itself faults instead (priv spec, Sv39);
 * QEMU sets them, so the fixup is driven directly here.
 */
KTEST(pmap, ad_fault_fixup)
{
	pmap_t p = pmap_create();
	vm_page_t m = page_with(0);

	ASSERT_TRUE(p && m);
	ASSERT_EQ(pmap_enter(p, UVA, m, VM_PROT_READ, 0), KERN_SUCCESS);
	pmap_clear_reference(m);
	EXPECT_FALSE(pmap_is_referenced(m));
	EXPECT_TRUE(pmap_fault_fixup(p, UVA + 5, VM_PROT_READ));	/* A was clear: set */
	EXPECT_TRUE(pmap_is_referenced(m));
	EXPECT_FALSE(pmap_fault_fixup(p, UVA, VM_PROT_READ));	/* nothing left to fix */
	EXPECT_FALSE(pmap_fault_fixup(p, UVA, VM_PROT_WRITE));	/* a real protection fault */
	EXPECT_FALSE(pmap_fault_fixup(p, UVA + PAGE_SIZE, VM_PROT_READ));	/* not mapped */
	EXPECT_FALSE(pmap_is_modified(m));
	EXPECT_PMAP_OK(p);
	pmap_destroy(p);
	vm_page_free(m);
}

KTEST(pmap, print_shows_every_mapping)
{
	pmap_t p = pmap_create();
	vm_page_t m = page_with(0), run = vm_page_alloc_contig(512, 512);
	char want[128];

	ASSERT_TRUE(p && m && run);
	ASSERT_EQ(pmap_enter(p, UVA, m, VM_PROT_READ | VM_PROT_EXECUTE, 0), KERN_SUCCESS);
	ASSERT_EQ(pmap_enter(p, 8 * MIB2, run, VM_PROT_DEFAULT, PMAP_LARGE_2M | PMAP_WIRED),
		  KERN_SUCCESS);
	ktest_capture_reset();
	pmap_print(p, ktest_capture);
	EXPECT_TRUE(strstr(ktest_captured, "513 resident, 512 wired") != NULL);
	snprintf(want, sizeof(want), "  0x0000000001000000-0x0000000001200000 -> 0x%010lx rw-ua- 2M wired\n",
		 run->phys_addr);
	EXPECT_TRUE(strstr(ktest_captured, want) != NULL);
	snprintf(want, sizeof(want), "  0x0000000010000000-0x0000000010001000 -> 0x%010lx r-xua- 4K\n",
		 m->phys_addr);
	EXPECT_TRUE(strstr(ktest_captured, want) != NULL);
	if (!strstr(ktest_captured, want))
		kprintf("%s", ktest_captured);
	pmap_destroy(p);
	vm_page_free(m);
	vm_page_free_contig(run, 512);
}

KTEST(pmap, hardware_sets_accessed_and_dirty)
{
	/* QEMU 7.2 sets A and D itself (PLATFORM.md), so faults skip the A/D fixup. */
	EXPECT_TRUE(pmap_hw_ad());
}
