/*
 * aix_heap_test.c: the AIX kernel heaps (vm/xmalloc.h) in the aix suite
 * (its KTEST_RUN lines, at 32 MiB with swap, are in aix_test.c):
 * kernel_heap grows past its old 2 MiB under load and gives it all back;
 * its pages page out under pressure and read back intact, and a pinned
 * part stays where it was; pinned_heap grows past its 1 MiB, wired page
 * by page, and shrinks back; both grow and trim from several threads at
 * once under heap_check; bad arguments return their codes and change
 * nothing; heap_check finds what breaks its invariants.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "aix/pin.h"
#include "kern/spinlock.h"
#include "kern/thread.h"
#include "tests/kernel/ktest.h"
#include "tests/kernel/region_fixture.h"
#include "vm/default_pager.h"
#include "vm/pmap.h"
#include "vm/vm.h"
#include "vm/vm_kern.h"
#include "vm/vm_page.h"
#include "vm/vm_pager.h"
#include "vm/vm_user.h"
#include "vm/xmalloc.h"

#define HEAP_UBASE	0x10000000ul	/* the pressure region's first page */
#define OLD_KERNEL_HEAP	(2 * MiB)	/* kernel_heap's size when it was fixed and wired */

/* rng_next: a 64-bit LCG (MMIX constants); the high bits are the good ones. */
static uint64_t rng_next(uint64_t *s)
{
	return *s = *s * 6364136223846793005ull + 1442695040888963407ull;
}

/* word_at: the pattern word for address a of a fill with seed. */
static uint64_t word_at(const void *a, uint64_t seed)
{
	return ((uintptr_t)a ^ seed) * 0x9e3779b97f4a7c15ull;
}

static void fill_words(char *p, size_t len, uint64_t seed)
{
	for (size_t i = 0; i + 8 <= len; i += 8)
		*(uint64_t *)(p + i) = word_at(p + i, seed);
}

/* words_wrong: how many words of a fill_words range differ from it. */
static uint64_t words_wrong(const char *p, size_t len, uint64_t seed)
{
	uint64_t bad = 0;

	for (size_t i = 0; i + 8 <= len; i += 8)
		bad += *(const uint64_t *)(p + i) != word_at(p + i, seed);
	return bad;
}

/*
 * pressure: write one word into each of `pages` fresh user pages (a few
 * times RAM makes the pageout daemon take whatever has not been touched
 * since); 0, or the writes that failed.  The region goes afterwards.
 */
static uint64_t pressure(uint64_t pages)
{
	struct region_fixture r;
	uint64_t bad = 0;

	if (!region_fixture_make(&r, HEAP_UBASE, pages)) {
		region_fixture_drop(&r);
		return pages;
	}
	thread_set_map(r.map);
	for (uint64_t p = 0; p < pages && !bad; p++) {
		uint64_t v = p * 2654435761u;

		bad += copyout(&v, (void *)(HEAP_UBASE + ptoa(p)), sizeof(v)) != 0;
	}
	thread_set_map(NULL);
	region_fixture_drop(&r);
	vm_pager_sync();		/* the last writes land: their pages are held until then */
	return bad;
}

/* wired_at: the kernel page at va is resident and wired. */
static bool wired_at(vm_offset_t va)
{
	vm_paddr_t pa;
	vm_page_t m;

	if (pmap_extract(kernel_pmap, va, &pa) != KERN_SUCCESS || !(m = vm_page_lookup_phys(pa)))
		return false;
	return m->wire_count > 0;
}

/* ---- kernel_heap under load ------------------------------------------------------------- */

#define LOAD_SLOTS	512
#define LOAD_BYTES	(6 * MiB)

static struct { caddr_t p; int size; } load[LOAD_SLOTS];

/* load_size: mostly small requests, one in four from 4 KiB to 128 KiB. */
static int load_size(uint64_t *rng)
{
	uint64_t r = rng_next(rng) >> 33;

	return r % 4 ? 1 + (int)(r >> 2) % 512 : 4096 + (int)(r >> 2) % (124 * 1024);
}

KTEST(aix, kernel_heap_grows_past_2_mib_under_load)
{
	struct heap_stats st0, st;
	uint64_t rng = 0x5eed, bad = 0;
	size_t total = 0;
	int n = 0;

	ASSERT_EQ(heap_stats(kernel_heap, &st0), 0);
	EXPECT_TRUE(st0.pageable);
	for (; n < LOAD_SLOTS && total < LOAD_BYTES; n++) {
		int align = (int)(rng_next(&rng) >> 40) % 13;

		load[n].size = load_size(&rng);
		load[n].p = xmalloc(load[n].size, align, kernel_heap);
		ASSERT_TRUE(load[n].p != NULL);
		ASSERT_EQ((uintptr_t)load[n].p % (1ul << align), 0);
		fill_words(load[n].p, (size_t)load[n].size, (uint64_t)n);
		total += (size_t)load[n].size;
	}
	ASSERT_GE(total, LOAD_BYTES);
	ASSERT_EQ(heap_stats(kernel_heap, &st), 0);
	EXPECT_GT(st.extent, OLD_KERNEL_HEAP);
	EXPECT_GT(st.grows, st0.grows);
	EXPECT_GE(st.used - st0.used, total);
	EXPECT_EQ(heap_check(kernel_heap, ktest_report), 0);
	for (int i = 0; i < n; i++)
		bad += words_wrong(load[i].p, (size_t)load[i].size, (uint64_t)i);
	EXPECT_EQ(bad, 0);
	/* Every other block first (holes everywhere), then the rest. */
	for (int i = 1; i < n; i += 2)
		EXPECT_EQ(xmfree(load[i].p, kernel_heap), 0);
	EXPECT_EQ(heap_check(kernel_heap, ktest_report), 0);
	for (int i = 0; i < n; i += 2)
		EXPECT_EQ(xmfree(load[i].p, kernel_heap), 0);
	EXPECT_EQ(heap_check(kernel_heap, ktest_report), 0);
	ASSERT_EQ(heap_stats(kernel_heap, &st), 0);
	EXPECT_EQ(st.used, st0.used);
	EXPECT_EQ(st.extent, st0.extent);	/* the growth given back */
	EXPECT_GT(st.trims, st0.trims);
	EXPECT_GE(st.peak_extent, total);
}

/* ---- kernel_heap under memory pressure --------------------------------------------------- */

#define PAGED_BLOCKS	24
#define PAGED_BLOCK	(256 * 1024)

KTEST(aix, kernel_heap_pages_page_out_and_read_back_intact)
{
	static caddr_t b[PAGED_BLOCKS];
	struct default_pager_stats d0, d1, d2;
	uint64_t heap_pages = PAGED_BLOCKS * (PAGED_BLOCK / PAGE_SIZE), out = 0, bad = 0;
	size_t used0 = heap_bytes_used(kernel_heap);

	default_pager_stats(&d0);
	for (int i = 0; i < PAGED_BLOCKS; i++) {
		ASSERT_TRUE((b[i] = xmalloc(PAGED_BLOCK, 12, kernel_heap)) != NULL);
		fill_words(b[i], PAGED_BLOCK, (uint64_t)i);
	}
	ASSERT_EQ(pressure(3 * vm_page_total_count()), 0);
	default_pager_stats(&d1);
	for (int i = 0; i < PAGED_BLOCKS; i++)
		for (size_t off = 0; off < PAGED_BLOCK; off += PAGE_SIZE) {
			vm_paddr_t pa;

			out += pmap_extract(kernel_pmap, (vm_offset_t)b[i] + off, &pa) !=
			       KERN_SUCCESS;
		}
	/* Untouched since they were filled: the daemon took most of them. */
	EXPECT_GT(out, heap_pages / 2);
	EXPECT_GE(d1.pageouts - d0.pageouts, out);
	for (int i = 0; i < PAGED_BLOCKS; i++)
		bad += words_wrong(b[i], PAGED_BLOCK, (uint64_t)i);
	EXPECT_EQ(bad, 0);
	default_pager_stats(&d2);
	EXPECT_GT(d2.pageins, d1.pageins);		/* they came back from swap */
	EXPECT_EQ(heap_check(kernel_heap, ktest_report), 0);
	for (int i = 0; i < PAGED_BLOCKS; i++)
		EXPECT_EQ(xmfree(b[i], kernel_heap), 0);
	EXPECT_EQ(heap_check(kernel_heap, ktest_report), 0);
	EXPECT_EQ(heap_bytes_used(kernel_heap), used0);
	default_pager_stats(&d2);
	EXPECT_LE(d2.used_pages, d0.used_pages);	/* their swap copies went with them */
}

KTEST(aix, pinned_kernel_heap_memory_stays_put_under_pressure)
{
	enum { PAGES = 16 };
	vm_paddr_t pa[PAGES];
	uint64_t wired0 = vm_page_wired_count(), bad = 0;
	caddr_t p = xmalloc((int)ptoa(PAGES), 12, kernel_heap);

	ASSERT_TRUE(p != NULL);
	fill_words(p, ptoa(PAGES), 7);
	ASSERT_EQ(pin(p, (int)ptoa(PAGES)), 0);
	EXPECT_EQ(vm_page_wired_count(), wired0 + PAGES);
	for (int i = 0; i < PAGES; i++)
		ASSERT_EQ(pmap_extract(kernel_pmap, (vm_offset_t)p + ptoa(i), &pa[i]),
			  KERN_SUCCESS);
	ASSERT_EQ(pressure(3 * vm_page_total_count()), 0);
	for (int i = 0; i < PAGES; i++) {
		vm_paddr_t now = 0;

		EXPECT_EQ(pmap_extract(kernel_pmap, (vm_offset_t)p + ptoa(i), &now), KERN_SUCCESS);
		EXPECT_EQ(now, pa[i]);				/* never moved */
		bad += words_wrong(p + ptoa(i), PAGE_SIZE, 7);
	}
	EXPECT_EQ(bad, 0);
	EXPECT_EQ(unpin(p, (int)ptoa(PAGES)), 0);
	/* Its pages, that is: the count moves with the pageout writes still going on. */
	for (int i = 0; i < PAGES; i++)
		EXPECT_FALSE(wired_at((vm_offset_t)p + ptoa(i)));
	EXPECT_EQ(xmfree(p, kernel_heap), 0);
	EXPECT_EQ(heap_check(kernel_heap, ktest_report), 0);
}

/* ---- pinned_heap -------------------------------------------------------------------------- */

#define PINNED_BLOCKS	48
#define PINNED_BLOCK	(64 * 1024)

KTEST(aix, pinned_heap_grows_past_1_mib_wired_and_shrinks_back)
{
	static caddr_t b[PINNED_BLOCKS];
	struct heap_stats st0, st;
	uint64_t wired0 = vm_page_wired_count(), unwired = 0, bad = 0;

	ASSERT_EQ(heap_stats(pinned_heap, &st0), 0);
	EXPECT_FALSE(st0.pageable);
	EXPECT_GE(st0.extent, HEAP_PINNED_INITIAL);
	for (int i = 0; i < PINNED_BLOCKS; i++) {
		ASSERT_TRUE((b[i] = xmalloc(PINNED_BLOCK - 64, 6, pinned_heap)) != NULL);
		fill_words(b[i], PINNED_BLOCK - 64, (uint64_t)i);
	}
	ASSERT_EQ(heap_stats(pinned_heap, &st), 0);
	EXPECT_GT(st.extent, HEAP_PINNED_INITIAL + 2 * MiB);
	EXPECT_GT(st.grows, st0.grows);
	/* The growth is wired memory, page by page, and heap_check agrees. */
	EXPECT_GE(vm_page_wired_count() - wired0, atop(st.extent - st0.extent));
	for (int i = 0; i < PINNED_BLOCKS; i++) {
		vm_offset_t end = (vm_offset_t)b[i] + PINNED_BLOCK - 64;

		for (vm_offset_t va = trunc_page((vm_offset_t)b[i]); va < end; va += PAGE_SIZE)
			unwired += !wired_at(va);
		bad += words_wrong(b[i], PINNED_BLOCK - 64, (uint64_t)i);
	}
	EXPECT_EQ(unwired, 0);
	EXPECT_EQ(bad, 0);
	EXPECT_EQ(heap_check(pinned_heap, ktest_report), 0);
	for (int i = PINNED_BLOCKS - 1; i >= 0; i--)
		EXPECT_EQ(xmfree(b[i], pinned_heap), 0);
	EXPECT_EQ(heap_check(pinned_heap, ktest_report), 0);
	ASSERT_EQ(heap_stats(pinned_heap, &st), 0);
	EXPECT_EQ(st.used, st0.used);
	EXPECT_EQ(st.extent, st0.extent);
	EXPECT_GT(st.trims, st0.trims);
	EXPECT_EQ(vm_page_wired_count(), wired0);
}

/* ---- both heaps from several threads ------------------------------------------------------- */

#define CHURN_THREADS	4
#define CHURN_LIVE	32
#define CHURN_STEPS	800

struct churn {
	uint64_t seed;
	uint64_t wrong;			/* bytes found changed, frees refused */
	uint64_t refused;		/* allocations refused */
	struct { caddr_t p; int size; heapaddr_t heap; } live[CHURN_LIVE];
};

/* churn_free: check slot i's bytes and free it. */
static void churn_free(struct churn *c, int i)
{
	uint8_t fill = (uint8_t)(uintptr_t)c->live[i].p;

	c->wrong += (uint8_t)c->live[i].p[0] != fill ||
		    (uint8_t)c->live[i].p[c->live[i].size - 1] != fill;
	c->wrong += xmfree(c->live[i].p, c->live[i].heap) != 0;
	c->live[i].p = NULL;
}

static void churn_main(void *arg)
{
	struct churn *c = arg;

	for (int step = 0; step < CHURN_STEPS; step++) {
		uint64_t r = rng_next(&c->seed) >> 20;
		int i = (int)(r % CHURN_LIVE);

		if (c->live[i].p) {
			churn_free(c, i);
			continue;
		}
		c->live[i].heap = (r >> 8) & 1 ? kernel_heap : pinned_heap;
		c->live[i].size = 1 + (int)((r >> 10) % ((r >> 9) & 1 ? 1024 : 128 * 1024));
		c->live[i].p = xmalloc(c->live[i].size, (int)((r >> 30) % 13), c->live[i].heap);
		if (!c->live[i].p) {
			c->refused++;
			continue;
		}
		memset(c->live[i].p, (uint8_t)(uintptr_t)c->live[i].p, (size_t)c->live[i].size);
	}
	for (int i = 0; i < CHURN_LIVE; i++)
		if (c->live[i].p)
			churn_free(c, i);
}

KTEST(aix, both_heaps_grow_and_trim_from_several_threads)
{
	static struct churn c[CHURN_THREADS];
	struct thread *t[CHURN_THREADS];
	struct heap_stats k0, p0, k, p;
	int problems = 0, checks = 0;

	ASSERT_EQ(heap_stats(kernel_heap, &k0), 0);
	ASSERT_EQ(heap_stats(pinned_heap, &p0), 0);
	for (int i = 0; i < CHURN_THREADS; i++) {
		c[i] = (struct churn){ .seed = 0xc0ffee + (uint64_t)i };
		t[i] = thread_create("heap_churn", churn_main, &c[i], THREAD_ANY_HART);
		ASSERT_TRUE(t[i] != NULL);
	}
	/* Check both heaps while they change: the checker holds each extent still meanwhile. */
	for (int live = CHURN_THREADS; live > 0; checks++) {
		problems += heap_check(kernel_heap, ktest_report);
		problems += heap_check(pinned_heap, ktest_report);
		thread_sleep_ns(5 * 1000 * 1000);
		live = 0;
		for (int i = 0; i < CHURN_THREADS; i++)
			live += t[i]->state != THREAD_ZOMBIE;
	}
	for (int i = 0; i < CHURN_THREADS; i++) {
		EXPECT_EQ(thread_join(t[i]), 0);
		EXPECT_EQ(c[i].wrong, 0);
		EXPECT_EQ(c[i].refused, 0);
	}
	EXPECT_EQ(problems, 0);
	EXPECT_GT(checks, 0);
	EXPECT_EQ(heap_check(kernel_heap, ktest_report), 0);
	EXPECT_EQ(heap_check(pinned_heap, ktest_report), 0);
	ASSERT_EQ(heap_stats(kernel_heap, &k), 0);
	ASSERT_EQ(heap_stats(pinned_heap, &p), 0);
	EXPECT_GT(p.grows, p0.grows);			/* past its 1 MiB, from several threads */
	EXPECT_EQ(k.used, k0.used);
	EXPECT_EQ(p.used, p0.used);
	EXPECT_EQ(k.extent, k0.extent);
	EXPECT_EQ(p.extent, p0.extent);
}

/* ---- bad arguments -------------------------------------------------------------------------- */

static char not_a_heap[256] __attribute__((aligned(16)));

/* heap_same: what a refused call must leave as it was. */
static bool heap_same(heapaddr_t h, const struct heap_stats *before)
{
	struct heap_stats now;

	return heap_stats(h, &now) == 0 && now.used == before->used &&
	       now.extent == before->extent && now.grows == before->grows &&
	       now.trims == before->trims;
}

/* refusals: every bad call on heap h, whose live block is `live` (freed: `freed`). */
static void refusals(heapaddr_t h, heapaddr_t other, caddr_t live, caddr_t freed,
		     caddr_t other_live)
{
	struct heap_stats st;

	ASSERT_EQ(heap_stats(h, &st), 0);
	EXPECT_TRUE(xmalloc(0, 0, h) == NULL);
	EXPECT_TRUE(xmalloc(-16, 0, h) == NULL);
	EXPECT_TRUE(xmalloc(INT_MIN, 3, h) == NULL);
	EXPECT_TRUE(xmalloc(16, -1, h) == NULL);
	EXPECT_TRUE(xmalloc(16, 13, h) == NULL);
	EXPECT_TRUE(xmalloc(INT_MAX, 0, h) == NULL);	/* more than any reservation */
	EXPECT_EQ(xmfree(NULL, h), -1);
	EXPECT_EQ(xmfree(live + 8, h), -1);		/* not 16-byte aligned */
	EXPECT_EQ(xmfree(live + 16, h), -1);		/* inside the block */
	EXPECT_EQ(xmfree(live + 4096, h), -1);		/* further inside */
	EXPECT_EQ(xmfree(freed, h), -1);		/* freed already */
	EXPECT_EQ(xmfree(other_live, h), -1);		/* the other heap's */
	EXPECT_EQ(xmfree(live, other), -1);
	EXPECT_EQ(xmfree(not_a_heap + 16, h), -1);	/* nobody's */
	EXPECT_EQ(xmfree((caddr_t)&st, h), -1);		/* a stack address */
	EXPECT_TRUE(heap_same(h, &st));
	EXPECT_EQ(heap_check(h, ktest_report), 0);
}

KTEST(aix, heap_bad_arguments_return_their_code_and_change_nothing)
{
	static char area[16 * 1024] __attribute__((aligned(16)));
	static struct spinlock lk = SPINLOCK_INIT("aix_heap_test");
	heapaddr_t ah;
	caddr_t kl, kf, pl, pf, al, af;
	struct heap_stats st;
	int err = -1;

	ASSERT_TRUE((ah = init_heap(area, sizeof(area), &err)) != NULL);
	EXPECT_EQ(err, 0);
	/* 8 KiB blocks: a pointer 4 KiB in stays inside.  Of each pair, the second is freed. */
	ASSERT_TRUE((kl = xmalloc(8192, 4, kernel_heap)) && (kf = xmalloc(8192, 4, kernel_heap)));
	ASSERT_TRUE((pl = xmalloc(8192, 4, pinned_heap)) && (pf = xmalloc(8192, 4, pinned_heap)));
	ASSERT_TRUE((al = xmalloc(8192, 4, ah)) && (af = xmalloc(1024, 4, ah)));
	ASSERT_EQ(xmfree(kf, kernel_heap), 0);
	ASSERT_EQ(xmfree(pf, pinned_heap), 0);
	ASSERT_EQ(xmfree(af, ah), 0);
	memset(kl, 0, 8192);
	refusals(kernel_heap, pinned_heap, kl, kf, pl);
	refusals(pinned_heap, kernel_heap, pl, pf, kl);
	refusals(ah, kernel_heap, al, af, kl);

	/* No heap at all. */
	EXPECT_TRUE(xmalloc(16, 0, NULL) == NULL);
	EXPECT_TRUE(xmalloc(16, 0, not_a_heap) == NULL);
	EXPECT_EQ(xmfree(kl, NULL), -1);
	EXPECT_EQ(xmfree(kl, not_a_heap), -1);
	EXPECT_EQ(heap_stats(NULL, &st), -1);
	EXPECT_EQ(heap_stats(kernel_heap, NULL), -1);
	EXPECT_EQ(heap_bytes_used(not_a_heap), 0);
	EXPECT_TRUE(init_heap(area, 16, &err) == NULL);
	EXPECT_EQ(err, EINVAL);

	/* kernel_heap where the caller cannot sleep: a lock rule broken, refused. */
	ASSERT_EQ(heap_stats(kernel_heap, &st), 0);
	spin_lock(&lk);
	EXPECT_ASSERT(xmalloc(64, 0, kernel_heap));
	EXPECT_ASSERT(xmfree(kl, kernel_heap));
	spin_unlock(&lk);
	EXPECT_TRUE(heap_same(kernel_heap, &st));
	/* pinned_heap with a spinlock held: it serves what it has, and does not grow. */
	spin_lock(&lk);
	pf = xmalloc(64, 0, pinned_heap);
	kf = xmalloc(HEAP_PINNED_RESERVE / 2, 0, pinned_heap);
	spin_unlock(&lk);
	EXPECT_TRUE(pf != NULL);
	EXPECT_TRUE(kf == NULL);
	EXPECT_EQ(xmfree(pf, pinned_heap), 0);

	EXPECT_EQ(xmfree(kl, kernel_heap), 0);
	EXPECT_EQ(xmfree(pl, pinned_heap), 0);
	EXPECT_EQ(xmfree(al, ah), 0);
	EXPECT_EQ(heap_bytes_used(ah), 0);
	EXPECT_EQ(heap_check(kernel_heap, ktest_report), 0);
	EXPECT_EQ(heap_check(pinned_heap, ktest_report), 0);
}

/* ---- the checker ---------------------------------------------------------------------------- */

KTEST(aix, heap_check_finds_broken_invariants)
{
	static char area[4096] __attribute__((aligned(16)));
	heapaddr_t ah = init_heap(area, sizeof(area), NULL);
	caddr_t a, b, guard;
	uint32_t tag;

	ASSERT_TRUE(ah != NULL);
	ASSERT_TRUE((a = xmalloc(100, 0, ah)) && (b = xmalloc(100, 0, ah)));
	ASSERT_EQ(xmfree(a, ah), 0);
	EXPECT_EQ(heap_check(ah, ktest_report), 0);
	/* A free block's tag overwritten: it is neither free nor used any more. */
	tag = ((uint32_t *)(a - 16))[2];
	((uint32_t *)(a - 16))[2] = 0xdeadbeef;
	EXPECT_GT(heap_check(ah, ktest_report), 0);
	((uint32_t *)(a - 16))[2] = tag;
	/* A used block's check word overwritten (a write just before the data). */
	((uint32_t *)(b - 16))[3] ^= 1;
	EXPECT_GT(heap_check(ah, ktest_report), 0);
	EXPECT_EQ(xmfree(b, ah), -1);			/* not taken for a block either */
	((uint32_t *)(b - 16))[3] ^= 1;
	EXPECT_EQ(heap_check(ah, ktest_report), 0);
	EXPECT_EQ(xmfree(b, ah), 0);

	/* kernel_heap: a write into a freed block brings a page back where none may be. */
	a = xmalloc(64 * 1024, 12, kernel_heap);
	guard = xmalloc(64, 0, kernel_heap);		/* keeps a's block from being trimmed */
	ASSERT_TRUE(a && guard);
	ASSERT_EQ(xmfree(a, kernel_heap), 0);
	EXPECT_EQ(heap_check(kernel_heap, ktest_report), 0);
	a[8 * PAGE_SIZE] = 1;
	EXPECT_GT(heap_check(kernel_heap, ktest_report), 0);
	/* The same block again, and freed properly: its pages go, the check is clean. */
	EXPECT_TRUE(xmalloc(64 * 1024, 12, kernel_heap) == a);
	EXPECT_EQ(xmfree(a, kernel_heap), 0);
	EXPECT_EQ(xmfree(guard, kernel_heap), 0);
	EXPECT_EQ(heap_check(kernel_heap, ktest_report), 0);
}
