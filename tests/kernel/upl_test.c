/*
 * upl_test.c: universal page lists (vm/vm_upl.h) and the default pager's
 * pagein windows.  Each upl_request flag is checked against what a UPL
 * without it would do; commits and aborts by range against the moment the
 * UPL reports itself empty; bad arguments against a UPL, object and pool
 * left exactly as they were.  Test objects are made with the object API,
 * their pages filled through the direct map and moved to and from the
 * store through UPLs and the default pager's own entry points, so nothing
 * depends on the pageout daemon (the machine has memory to spare, and the
 * daemon leaves it alone).  The last case pages an anonymous region out
 * and faults it back in once per behavior, counting the read requests.
 *
 * Every case ends with UPLs, objects, free pages and swap slots back where
 * they started, and default_pager_check clean.
 */
#include <stdio.h>
#include <string.h>

#include "kern/thread.h"
#include "tests/kernel/ktest.h"
#include "tests/kernel/map_fixture.h"
#include "vm/default_pager.h"
#include "vm/pmap.h"
#include "vm/vm.h"
#include "vm/vm_object.h"
#include "vm/vm_pager.h"
#include "vm/vm_upl.h"
#include "vm/vm_zone.h"

KTEST_RUN(upl, "test=upl swap=swap", "-m 64M -smp 1 --blk swap:64M");

#define UBASE		0x10000000ul	/* where a case maps its object or region */
#define WORDS		(PAGE_SIZE / 8)
#define WAIT_STEP_NS	(1000 * 1000ull)
#define WAIT_LONG_MS	10000		/* a request that must not block: far more than it needs */
#define WAIT_SHORT_MS	50		/* a request that must block: still blocked by then */
#define REGION_PAGES	64		/* the behavior case: four pager clusters */

/* ---- accounting ------------------------------------------------------------------------ */

/* What a case must give back. */
struct upl_accounts {
	uint64_t upls, objects, free_pages, used_slots;
};

static uint64_t dp_used_slots(void)
{
	struct default_pager_stats st;

	default_pager_stats(&st);
	return st.used_pages;
}

static struct upl_accounts accounts_now(void)
{
	thread_stack_cache_trim(0);	/* finished threads' stacks hold objects and pages */
	return (struct upl_accounts){ upl_live_count(), vm_object_count(), zone_free_pages(),
				      dp_used_slots() };
}

/* accounts_expect_same: everything back as it was in `before`, the pager's records sane. */
static void accounts_expect_same(const struct upl_accounts *before)
{
	struct upl_accounts now = accounts_now();

	EXPECT_EQ(now.upls, before->upls);
	EXPECT_EQ(now.objects, before->objects);
	EXPECT_EQ(now.free_pages, before->free_pages);
	EXPECT_EQ(now.used_slots, before->used_slots);
	EXPECT_EQ(default_pager_check(ktest_report), 0);
}

/* ---- test objects ---------------------------------------------------------------------- */

/* pattern: word i of the page at offset off, as written with seed. */
static uint64_t pattern(uint64_t seed, vm_object_offset_t off, uint64_t i)
{
	return (seed << 32 ^ atop(off)) * 0x9e3779b97f4a7c15ull ^ i;
}

static void page_fill(vm_page_t m, uint64_t seed)
{
	uint64_t *p = pmap_direct_map(m->phys_addr);

	for (uint64_t i = 0; i < WORDS; i++)
		p[i] = pattern(seed, m->offset, i);
}

/* page_holds: m is a page (not NULL) holding seed's pattern for its offset. */
static bool page_holds(vm_page_t m, uint64_t seed)
{
	const uint64_t *p;

	if (!m)
		return false;
	p = pmap_direct_map(m->phys_addr);
	for (uint64_t i = 0; i < WORDS; i++)
		if (p[i] != pattern(seed, m->offset, i))
			return false;
	return true;
}

/*
 * obj_fill: resident pages for the pages of obj in mask, written with seed,
 * not busy and not modified (the direct map leaves no trace).
 * => false if memory ran out (the pages made so far stay)
 */
static bool obj_fill(vm_object_t obj, uint64_t mask, uint64_t seed)
{
	bool ok = true;

	mutex_lock(&obj->lock);
	for (uint32_t i = 0; i < 64 && ok; i++) {
		vm_page_t m;

		if (!(mask >> i & 1))
			continue;
		m = vm_page_alloc_object(obj, ptoa(i));
		ok = m != NULL;
		if (m) {
			page_fill(m, seed);
			vm_page_release(m);
		}
	}
	mutex_unlock(&obj->lock);
	return ok;
}

/* obj_page: the resident page of obj at page i, or NULL. */
static vm_page_t obj_page(vm_object_t obj, uint64_t i)
{
	vm_page_t m;

	mutex_lock(&obj->lock);
	m = vm_page_lookup(obj, ptoa(i));
	mutex_unlock(&obj->lock);
	return m;
}

/* obj_stored: the store holds a copy of page i of obj. */
static bool obj_stored(vm_object_t obj, uint64_t i)
{
	bool stored;

	mutex_lock(&obj->lock);
	stored = vm_pager_has_page(obj, ptoa(i));
	mutex_unlock(&obj->lock);
	return stored;
}

/* obj_discard: the store forgets its copy of page i of obj. */
static void obj_discard(vm_object_t obj, uint64_t i)
{
	mutex_lock(&obj->lock);
	vm_pager_discard(obj, ptoa(i));
	mutex_unlock(&obj->lock);
}

/*
 * obj_page_out: write pages [first, first + n) of obj (inside one pager
 * cluster) through a pageout UPL made with flags and the pager's
 * data_return, which commits it (or aborts it, and returns why).
 */
static kern_return_t obj_page_out(vm_object_t obj, uint64_t first, uint64_t n, int flags)
{
	upl_t upl;
	kern_return_t kr = upl_request(obj, ptoa(first), ptoa(n), flags, &upl);

	return kr == KERN_SUCCESS ? vm_pager_data_return(obj, upl) : kr;
}

/*
 * obj_evict: pages [0, n) of obj leave memory without being written (a
 * pageout UPL committed at once: the store is taken to hold them).
 */
static kern_return_t obj_evict(vm_object_t obj, uint64_t n)
{
	upl_t upl;
	kern_return_t kr = upl_request(obj, 0, ptoa(n), 0, &upl);

	return kr == KERN_SUCCESS ? upl_commit(upl) : kr;
}

/*
 * obj_map: a user map showing obj at UBASE, made the thread's map; the
 * map holds a reference of its own.  NULL if memory ran out.
 */
static vm_map_t obj_map(vm_object_t obj)
{
	vm_map_t map = map_fixture_user();
	vm_offset_t addr = UBASE;

	if (!map)
		return NULL;
	vm_object_reference(obj);
	if (vm_map_enter(map, &addr, obj->size, 0, VM_FLAGS_FIXED, obj, 0, FALSE, VM_PROT_DEFAULT,
			 VM_PROT_ALL, VM_INHERIT_COPY) != KERN_SUCCESS) {
		vm_object_deallocate(obj);
		vm_map_deallocate(map);
		return NULL;
	}
	thread_set_map(map);
	return map;
}

/* map_drop: the thread leaves map, which goes with its reference on the object. */
static void map_drop(vm_map_t map)
{
	thread_set_map(NULL);
	vm_map_deallocate(map);
}

/* page_dirty: store word 0 of page i through the map again: same data, modified page. */
static void page_dirty(uint64_t i, uint64_t seed)
{
	ktest_uwrite(UBASE + ptoa(i), pattern(seed, ptoa(i), 0));
}

/* ---- a case's fixture ----------------------------------------------------------------- */

/* A case's test object, its map if it has one, and what the case must give back. */
struct upl_case {
	struct upl_accounts before;
	vm_object_t obj;
	vm_map_t map;		/* NULL unless the case maps obj (obj_map) */
};

/*
 * case_begin: note the accounts, then make an object of npages pages
 * whose pages in fill are resident, written with seed (obj_fill).
 * => false if memory ran out
 */
static bool case_begin(struct upl_case *c, uint64_t npages, uint64_t fill, uint64_t seed)
{
	*c = (struct upl_case){ .before = accounts_now(), .obj = vm_object_allocate(ptoa(npages)) };
	return c->obj && obj_fill(c->obj, fill, seed);
}

/* case_end: drop the map and the object; everything must be back where it was. */
static void case_end(struct upl_case *c)
{
	if (c->map)
		map_drop(c->map);
	vm_object_deallocate(c->obj);
	accounts_expect_same(&c->before);
}

/* ---- UPL contents ---------------------------------------------------------------------- */

/*
 * expect_slots: upl holds a page in exactly the slots of mask, each the
 * busy page its object has at that offset, and counts them.
 */
static void expect_slots(upl_t upl, uint64_t mask, int line)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < upl->npages; i++) {
		vm_page_t m = upl_page(upl, i);
		bool want = mask >> i & 1;

		if ((m != NULL) != want) {
			ktest_fail(__FILE__, line, "slot %u holds %s", i, m ? "a page" : "none");
			continue;
		}
		if (!m)
			continue;
		n++;
		if (!m->busy || m != obj_page(upl->object, atop(upl->offset) + i))
			ktest_fail(__FILE__, line, "slot %u: not the object's busy page", i);
	}
	if (upl->count != n)
		ktest_fail(__FILE__, line, "count %u, slots holding pages %u", upl->count, n);
}
#define EXPECT_SLOTS(upl, mask) expect_slots((upl), (mask), __LINE__)

/* busy_pages: how many of obj's pages [0, n) are busy. */
static uint32_t busy_pages(vm_object_t obj, uint64_t n)
{
	uint32_t busy = 0;

	for (uint64_t i = 0; i < n; i++) {
		vm_page_t m = obj_page(obj, i);

		busy += m && m->busy;
	}
	return busy;
}

/* upl_fill: a pager's part of a pagein: write seed's pattern into every page of upl. */
static void upl_fill(upl_t upl, uint64_t seed)
{
	for (uint32_t i = 0; i < upl->npages; i++)
		if (upl_page(upl, i))
			page_fill(upl_page(upl, i), seed);
}

/* ---- a request made by another thread -------------------------------------------------- */

struct upl_waiter {
	vm_object_t obj;
	vm_size_t size;
	int flags;
	upl_t upl;
	kern_return_t kr;
	bool done;		/* atomic: upl_request came back */
};

static void upl_waiter_body(void *arg)
{
	struct upl_waiter *w = arg;

	w->kr = upl_request(w->obj, 0, w->size, w->flags, &w->upl);
	__atomic_store_n(&w->done, true, __ATOMIC_RELEASE);
}

/* waiter_start: upl_request(obj, 0, size, flags) in a thread of its own; NULL if none. */
static struct thread *waiter_start(struct upl_waiter *w, vm_object_t obj, vm_size_t size, int flags)
{
	*w = (struct upl_waiter){ .obj = obj, .size = size, .flags = flags };
	return thread_create("upl_waiter", upl_waiter_body, w, THREAD_ANY_HART);
}

/* waiter_done_within: whether w's request has come back, waiting up to ms for it. */
static bool waiter_done_within(struct upl_waiter *w, uint64_t ms)
{
	for (uint64_t t = 0; t < ms && !__atomic_load_n(&w->done, __ATOMIC_ACQUIRE); t++)
		thread_sleep_ns(WAIT_STEP_NS);
	return __atomic_load_n(&w->done, __ATOMIC_ACQUIRE);
}

/* ---- upl_request flags ----------------------------------------------------------------- */

/*
 * Dirty means modified since the store last took it, or not in the store:
 * of six resident pages, one written through a mapping after a pageout,
 * one whose store copy was discarded and two never paged out are dirty;
 * the two clean ones stay out of the UPL, and stay unbusied.
 */
KTEST(upl, return_only_dirty)
{
	struct upl_case c;
	upl_t upl;

	ASSERT_TRUE(case_begin(&c, 8, 0x3f, 1));
	ASSERT_EQ(obj_page_out(c.obj, 0, 4, UPL_CLEAN_IN_PLACE), KERN_SUCCESS);
	ASSERT_TRUE((c.map = obj_map(c.obj)) != NULL);
	page_dirty(1, 1);
	obj_discard(c.obj, 2);
	ASSERT_EQ(upl_request(c.obj, 0, ptoa(8), UPL_RETURN_ONLY_DIRTY, &upl), KERN_SUCCESS);
	EXPECT_SLOTS(upl, 0x36);
	EXPECT_EQ(busy_pages(c.obj, 8), 4);
	/* A pageout UPL's pages lose their mappings while the pager writes them. */
	EXPECT_EQ(pmap_resident_count(c.map->pmap), 0);
	EXPECT_EQ(upl_abort(upl), KERN_SUCCESS);
	/* Aborted: resident and still dirty, so the same pages come back. */
	EXPECT_EQ(c.obj->resident_count, 6);
	EXPECT_EQ(busy_pages(c.obj, 8), 0);
	ASSERT_EQ(upl_request(c.obj, 0, ptoa(8), UPL_RETURN_ONLY_DIRTY, &upl), KERN_SUCCESS);
	EXPECT_SLOTS(upl, 0x36);
	EXPECT_EQ(upl_abort(upl), KERN_SUCCESS);
	/* Without the flag, every resident page. */
	ASSERT_EQ(upl_request(c.obj, 0, ptoa(8), 0, &upl), KERN_SUCCESS);
	EXPECT_SLOTS(upl, 0x3f);
	EXPECT_EQ(upl_abort(upl), KERN_SUCCESS);
	for (uint64_t i = 0; i < 6; i++)
		EXPECT_TRUE(page_holds(obj_page(c.obj, i), 1));
	case_end(&c);
}

/*
 * A pagein UPL gets a fresh busy page, inserted in the object, for every
 * offset with nothing resident, and leaves resident pages alone; aborted,
 * the fresh pages go again.
 */
KTEST(upl, return_only_absent)
{
	struct upl_case c;
	uint64_t free0;
	upl_t upl;

	ASSERT_TRUE(case_begin(&c, 8, 0x12, 2));
	free0 = zone_free_pages();
	ASSERT_EQ(upl_request(c.obj, 0, ptoa(8), UPL_RETURN_ONLY_ABSENT, &upl), KERN_SUCCESS);
	EXPECT_SLOTS(upl, 0xed);
	EXPECT_EQ(c.obj->resident_count, 8);
	EXPECT_FALSE(obj_page(c.obj, 1)->busy);
	EXPECT_FALSE(obj_page(c.obj, 4)->busy);
	EXPECT_EQ(upl_abort(upl), KERN_SUCCESS);
	EXPECT_EQ(c.obj->resident_count, 2);
	EXPECT_TRUE(obj_page(c.obj, 0) == NULL);
	EXPECT_EQ(zone_free_pages(), free0);
	EXPECT_TRUE(page_holds(obj_page(c.obj, 1), 2) && page_holds(obj_page(c.obj, 4), 2));
	/* Nothing absent: an empty UPL, still a UPL. */
	ASSERT_EQ(upl_request(c.obj, ptoa(1), PAGE_SIZE, UPL_RETURN_ONLY_ABSENT, &upl), KERN_SUCCESS);
	EXPECT_SLOTS(upl, 0);
	EXPECT_EQ(upl_live_count(), c.before.upls + 1);
	EXPECT_EQ(upl_commit(upl), KERN_SUCCESS);
	case_end(&c);
}

/*
 * A page held busy by one UPL: a second request over it with NOBLOCK
 * comes back without it, at once; without NOBLOCK it waits until the
 * first UPL lets go, then takes it.  Requests run in a helper thread so
 * that a request which blocks shows up as a failure, not a hang.
 */
KTEST(upl, noblock_skips_busy_pages)
{
	struct upl_case c;
	struct upl_waiter w;
	struct thread *t;
	upl_t hold;

	ASSERT_TRUE(case_begin(&c, 4, 0xf, 3));
	/* Pageout, NOBLOCK. */
	ASSERT_EQ(upl_request(c.obj, ptoa(1), PAGE_SIZE, 0, &hold), KERN_SUCCESS);
	ASSERT_TRUE((t = waiter_start(&w, c.obj, ptoa(4), UPL_NOBLOCK)) != NULL);
	EXPECT_TRUE(waiter_done_within(&w, WAIT_LONG_MS));
	EXPECT_EQ(upl_abort(hold), KERN_SUCCESS);
	thread_join(t);
	ASSERT_EQ(w.kr, KERN_SUCCESS);
	EXPECT_SLOTS(w.upl, 0xd);
	EXPECT_EQ(upl_abort(w.upl), KERN_SUCCESS);
	/* Pageout, blocking: it waits for the page, then has it. */
	ASSERT_EQ(upl_request(c.obj, ptoa(1), PAGE_SIZE, 0, &hold), KERN_SUCCESS);
	ASSERT_TRUE((t = waiter_start(&w, c.obj, ptoa(4), 0)) != NULL);
	EXPECT_FALSE(waiter_done_within(&w, WAIT_SHORT_MS));
	EXPECT_EQ(upl_abort(hold), KERN_SUCCESS);
	thread_join(t);
	ASSERT_EQ(w.kr, KERN_SUCCESS);
	EXPECT_SLOTS(w.upl, 0xf);
	EXPECT_EQ(upl_abort(w.upl), KERN_SUCCESS);
	/* Pagein, NOBLOCK: a page another pagein is filling is left to it. */
	ASSERT_EQ(obj_evict(c.obj, 4), KERN_SUCCESS);
	ASSERT_EQ(upl_request(c.obj, ptoa(1), PAGE_SIZE, UPL_RETURN_ONLY_ABSENT, &hold), KERN_SUCCESS);
	t = waiter_start(&w, c.obj, ptoa(4), UPL_RETURN_ONLY_ABSENT | UPL_NOBLOCK);
	ASSERT_TRUE(t != NULL);
	EXPECT_TRUE(waiter_done_within(&w, WAIT_LONG_MS));
	EXPECT_EQ(upl_abort(hold), KERN_SUCCESS);
	thread_join(t);
	ASSERT_EQ(w.kr, KERN_SUCCESS);
	EXPECT_SLOTS(w.upl, 0xd);
	EXPECT_EQ(upl_abort(w.upl), KERN_SUCCESS);
	EXPECT_EQ(c.obj->resident_count, 0);
	case_end(&c);
}

/*
 * CLEAN_IN_PLACE: the pages stay mapped (read-only) while the pager
 * writes them, and after the commit they are still resident, the same
 * pages, clean, with the store holding their data.  A later write dirties
 * them again.
 */
KTEST(upl, clean_in_place_keeps_pages)
{
	struct upl_case c;
	struct default_pager_stats s0, s1;
	vm_page_t pages[4];
	upl_t upl;

	ASSERT_TRUE(case_begin(&c, 4, 0xf, 4));
	ASSERT_TRUE((c.map = obj_map(c.obj)) != NULL);
	for (uint64_t i = 0; i < 4; i++) {
		page_dirty(i, 4);
		pages[i] = obj_page(c.obj, i);
		EXPECT_TRUE(pmap_is_modified(pages[i]));
	}
	default_pager_stats(&s0);
	ASSERT_EQ(upl_request(c.obj, 0, ptoa(4), UPL_CLEAN_IN_PLACE, &upl), KERN_SUCCESS);
	EXPECT_SLOTS(upl, 0xf);
	EXPECT_EQ(pmap_resident_count(c.map->pmap), 4);
	EXPECT_EQ(vm_pager_data_return(c.obj, upl), KERN_SUCCESS);
	default_pager_stats(&s1);
	EXPECT_EQ(s1.pageouts - s0.pageouts, 4);
	EXPECT_EQ(s1.write_requests - s0.write_requests, 1);
	EXPECT_EQ(s1.used_pages - s0.used_pages, 4);
	EXPECT_EQ(c.obj->resident_count, 4);
	EXPECT_EQ(pmap_resident_count(c.map->pmap), 4);
	for (uint64_t i = 0; i < 4; i++) {
		EXPECT_TRUE(obj_page(c.obj, i) == pages[i]);
		EXPECT_FALSE(pages[i]->busy);
		EXPECT_FALSE(pmap_is_modified(pages[i]));
		EXPECT_TRUE(obj_stored(c.obj, i));
	}
	/* Clean: nothing to write.  One write later: that page only. */
	ASSERT_EQ(upl_request(c.obj, 0, ptoa(4), UPL_RETURN_ONLY_DIRTY, &upl), KERN_SUCCESS);
	EXPECT_SLOTS(upl, 0);
	EXPECT_EQ(upl_abort(upl), KERN_SUCCESS);
	page_dirty(2, 4);
	ASSERT_EQ(upl_request(c.obj, 0, ptoa(4), UPL_RETURN_ONLY_DIRTY, &upl), KERN_SUCCESS);
	EXPECT_SLOTS(upl, 0x4);
	EXPECT_EQ(upl_abort(upl), KERN_SUCCESS);
	/* The store's copy is the data: drop the pages unwritten, read them back. */
	ASSERT_EQ(obj_evict(c.obj, 4), KERN_SUCCESS);
	EXPECT_EQ(c.obj->resident_count, 0);
	for (uint64_t i = 0; i < 4; i++) {
		EXPECT_EQ(vm_pager_data_request(c.obj, ptoa(i), VM_BEHAVIOR_RANDOM),
			  KERN_SUCCESS);
		ASSERT_TRUE(obj_page(c.obj, i) != NULL);
		EXPECT_TRUE(page_holds(obj_page(c.obj, i), 4));
	}
	case_end(&c);
}

/*
 * PRECIOUS: a pagein committed so makes the resident page the only copy:
 * the store's slot is freed (and the page is dirty from then on).  A plain
 * pagein, or an aborted PRECIOUS one, leaves the store's copy in place.
 */
KTEST(upl, precious_pagein_drops_store_copy)
{
	struct upl_case c;
	boolean_t empty;
	upl_t upl;

	ASSERT_TRUE(case_begin(&c, 4, 0xf, 5));
	ASSERT_EQ(obj_page_out(c.obj, 0, 4, 0), KERN_SUCCESS);
	EXPECT_EQ(c.obj->resident_count, 0);
	EXPECT_EQ(dp_used_slots(), c.before.used_slots + 4);
	/* The pager's own pagein (not precious): the pages and the store both hold the data. */
	EXPECT_EQ(vm_pager_data_request(c.obj, 0, VM_BEHAVIOR_SEQUENTIAL), KERN_SUCCESS);
	EXPECT_EQ(c.obj->resident_count, 4);
	for (uint64_t i = 0; i < 4; i++)
		EXPECT_TRUE(page_holds(obj_page(c.obj, i), 5) && obj_stored(c.obj, i));
	EXPECT_EQ(dp_used_slots(), c.before.used_slots + 4);
	ASSERT_EQ(obj_evict(c.obj, 4), KERN_SUCCESS);
	/* Aborted: nothing changes in the store. */
	ASSERT_EQ(upl_request(c.obj, 0, ptoa(4), UPL_RETURN_ONLY_ABSENT | UPL_PRECIOUS, &upl),
		  KERN_SUCCESS);
	EXPECT_EQ(upl_abort(upl), KERN_SUCCESS);
	EXPECT_EQ(c.obj->resident_count, 0);
	EXPECT_EQ(dp_used_slots(), c.before.used_slots + 4);
	/* Committed in two halves: each frees its own slots. */
	ASSERT_EQ(upl_request(c.obj, 0, ptoa(4), UPL_RETURN_ONLY_ABSENT | UPL_PRECIOUS, &upl),
		  KERN_SUCCESS);
	upl_fill(upl, 5);
	EXPECT_EQ(upl_commit_range(upl, 0, ptoa(2), UPL_COMMIT_FREE_ON_EMPTY, &empty),
		  KERN_SUCCESS);
	ASSERT_TRUE(!empty);
	EXPECT_EQ(dp_used_slots(), c.before.used_slots + 2);
	EXPECT_TRUE(!obj_stored(c.obj, 0) && !obj_stored(c.obj, 1));
	EXPECT_TRUE(obj_stored(c.obj, 2) && obj_stored(c.obj, 3));
	EXPECT_EQ(upl_commit_range(upl, ptoa(2), ptoa(2), UPL_COMMIT_FREE_ON_EMPTY, &empty),
		  KERN_SUCCESS);
	EXPECT_TRUE(empty);
	EXPECT_EQ(dp_used_slots(), c.before.used_slots);
	EXPECT_TRUE(!obj_stored(c.obj, 2) && !obj_stored(c.obj, 3));
	/* The only copy now: every page counts as dirty. */
	ASSERT_EQ(upl_request(c.obj, 0, ptoa(4), UPL_RETURN_ONLY_DIRTY, &upl), KERN_SUCCESS);
	EXPECT_SLOTS(upl, 0xf);
	EXPECT_EQ(upl_abort(upl), KERN_SUCCESS);
	case_end(&c);
}

/* ---- commit and abort by range --------------------------------------------------------- */

/*
 * A pagein UPL of four pages, taken apart in ranges out of order: each
 * range commits or aborts its own pages only, a range already done is a
 * no-op, and empty is reported (and, with FREE_ON_EMPTY, the UPL freed)
 * exactly when the last page leaves.
 */
KTEST(upl, commit_range_empty_on_last_page)
{
	struct upl_case c;
	boolean_t empty;
	upl_t upl;

	ASSERT_TRUE(case_begin(&c, 4, 0, 0));
	ASSERT_EQ(upl_request(c.obj, 0, ptoa(4), UPL_RETURN_ONLY_ABSENT, &upl), KERN_SUCCESS);
	EXPECT_EQ(c.obj->ref_count, 2);			/* the UPL's */
	upl_fill(upl, 6);
	EXPECT_EQ(upl_commit_range(upl, ptoa(3), PAGE_SIZE, UPL_COMMIT_FREE_ON_EMPTY, &empty),
		  KERN_SUCCESS);
	ASSERT_TRUE(!empty);
	EXPECT_SLOTS(upl, 0x7);
	EXPECT_EQ(upl_commit_range(upl, ptoa(3), PAGE_SIZE, UPL_COMMIT_FREE_ON_EMPTY, &empty),
		  KERN_SUCCESS);
	ASSERT_TRUE(!empty);
	EXPECT_EQ(upl->count, 3);
	EXPECT_EQ(upl_abort_range(upl, PAGE_SIZE, PAGE_SIZE, UPL_ABORT_FREE_ON_EMPTY, &empty),
		  KERN_SUCCESS);
	ASSERT_TRUE(!empty);
	EXPECT_SLOTS(upl, 0x5);
	EXPECT_EQ(upl_commit_range(upl, 0, PAGE_SIZE, UPL_COMMIT_FREE_ON_EMPTY, &empty), KERN_SUCCESS);
	ASSERT_TRUE(!empty);
	EXPECT_SLOTS(upl, 0x4);
	/* The last page leaves without FREE_ON_EMPTY: empty, but the UPL is still there. */
	EXPECT_EQ(upl_commit_range(upl, ptoa(2), PAGE_SIZE, 0, &empty), KERN_SUCCESS);
	EXPECT_TRUE(empty);
	ASSERT_EQ(upl_live_count(), c.before.upls + 1);
	EXPECT_EQ(upl_commit_range(upl, 0, ptoa(4), UPL_COMMIT_FREE_ON_EMPTY, NULL), KERN_SUCCESS);
	EXPECT_EQ(upl_live_count(), c.before.upls);
	EXPECT_EQ(c.obj->ref_count, 1);
	/* Committed pages are valid and idle; the aborted one is gone. */
	EXPECT_EQ(c.obj->resident_count, 3);
	EXPECT_EQ(busy_pages(c.obj, 4), 0);
	EXPECT_TRUE(obj_page(c.obj, 1) == NULL);
	EXPECT_TRUE(page_holds(obj_page(c.obj, 0), 6));
	EXPECT_TRUE(page_holds(obj_page(c.obj, 2), 6) && page_holds(obj_page(c.obj, 3), 6));
	case_end(&c);
}

/*
 * A pageout UPL with a hole (nothing resident at page 2), aborted in two
 * ranges, the later pages first: it is empty once its three pages are
 * out, the hole aside; the pages stay resident and unbusied.
 */
KTEST(upl, abort_range_empty_on_last_page)
{
	struct upl_case c;
	boolean_t empty;
	upl_t upl;

	ASSERT_TRUE(case_begin(&c, 4, 0xb, 7));
	ASSERT_EQ(upl_request(c.obj, 0, ptoa(4), 0, &upl), KERN_SUCCESS);
	EXPECT_SLOTS(upl, 0xb);
	EXPECT_EQ(upl_abort_range(upl, PAGE_SIZE, ptoa(3), UPL_ABORT_FREE_ON_EMPTY, &empty),
		  KERN_SUCCESS);
	ASSERT_TRUE(!empty);
	EXPECT_SLOTS(upl, 0x1);
	EXPECT_EQ(upl_live_count(), c.before.upls + 1);
	EXPECT_EQ(busy_pages(c.obj, 4), 1);
	EXPECT_EQ(upl_abort_range(upl, 0, PAGE_SIZE, UPL_ABORT_FREE_ON_EMPTY, &empty), KERN_SUCCESS);
	EXPECT_TRUE(empty);
	EXPECT_EQ(upl_live_count(), c.before.upls);
	EXPECT_EQ(c.obj->ref_count, 1);
	EXPECT_EQ(c.obj->resident_count, 3);
	EXPECT_EQ(busy_pages(c.obj, 4), 0);
	case_end(&c);
}

/* ---- bad arguments --------------------------------------------------------------------- */

struct bad_request {
	const char *why;
	vm_object_offset_t offset;
	vm_size_t size;
	int flags;
};

/*
 * Every malformed request fails with KERN_INVALID_ARGUMENT before it
 * touches anything: no UPL, no reference, no page taken or made busy, and
 * *upl left as it was.  The largest request allowed passes.
 */
/*
 * upl_print_all lists every UPL not yet freed, newest first, with the
 * pages it still holds; a UPL freed is gone from the list.
 */
KTEST(upl, print_all_lists_live_upls)
{
	struct upl_case c;
	upl_t older, newer;
	char want[160];
	const char *first, *second;

	ASSERT_TRUE(case_begin(&c, 4, 0xf, 7));
	ASSERT_EQ(upl_request(c.obj, 0, ptoa(2), 0, &older), KERN_SUCCESS);
	ASSERT_EQ(upl_request(c.obj, ptoa(2), ptoa(2), 0, &newer), KERN_SUCCESS);
	EXPECT_EQ(upl_abort_range(newer, PAGE_SIZE, PAGE_SIZE, 0, NULL), KERN_SUCCESS);
	ktest_capture_reset();
	upl_print_all(ktest_capture);
	snprintf(want, sizeof(want), "upl %p: object %lu offset 0x2000, 2 pages, 1 held, flags 0x0\n"
		 "  0x2000 -> page 0x%lx\nupl %p:", (void *)newer, c.obj->id,
		 newer->pages[0]->phys_addr, (void *)older);
	first = strstr(ktest_captured, want);
	EXPECT_TRUE(first != NULL);
	snprintf(want, sizeof(want), "upl %p: object %lu offset 0x0, 2 pages, 2 held, flags 0x0\n"
		 "  0x0 -> page 0x%lx\n  0x1000 -> page 0x%lx\n", (void *)older, c.obj->id,
		 older->pages[0]->phys_addr, older->pages[1]->phys_addr);
	second = strstr(ktest_captured, want);
	EXPECT_TRUE(second != NULL && first != NULL && second > first);
	if (!first || !second)
		kprintf("%s", ktest_captured);
	EXPECT_EQ(upl_abort(newer), KERN_SUCCESS);
	ktest_capture_reset();
	upl_print_all(ktest_capture);
	snprintf(want, sizeof(want), "upl %p:", (void *)newer);
	EXPECT_TRUE(strstr(ktest_captured, want) == NULL);
	snprintf(want, sizeof(want), "upl %p:", (void *)older);
	EXPECT_TRUE(strstr(ktest_captured, want) != NULL);
	EXPECT_EQ(upl_abort(older), KERN_SUCCESS);
	case_end(&c);
}

KTEST(upl, request_bad_arguments)
{
	static const struct bad_request bad[] = {
		{ "unaligned offset", 8, PAGE_SIZE, 0 },
		{ "unaligned size", 0, PAGE_SIZE + 8, 0 },
		{ "empty", 0, 0, 0 },
		{ "empty pagein", PAGE_SIZE, 0, UPL_RETURN_ONLY_ABSENT },
		{ "past the object", ptoa(127), ptoa(2), 0 },
		{ "at the object's end", ptoa(128), PAGE_SIZE, UPL_RETURN_ONLY_ABSENT },
		{ "wraps around", (vm_object_offset_t)-PAGE_SIZE, ptoa(2), 0 },
		{ "dirty and absent", 0, PAGE_SIZE, UPL_RETURN_ONLY_DIRTY | UPL_RETURN_ONLY_ABSENT },
		{ "unknown flag", 0, PAGE_SIZE, UPL_FLAGS_ALL + 1 },
		{ "high flag", 0, PAGE_SIZE, UPL_NOBLOCK | (int)0x80000000u },
	};
	struct upl_case c;
	static struct upl sentinel;
	upl_t upl = &sentinel;
	uint64_t free0;

	ASSERT_TRUE(case_begin(&c, 128, 0xf, 8));
	free0 = zone_free_pages();
	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
		kern_return_t kr = upl_request(c.obj, bad[i].offset, bad[i].size, bad[i].flags, &upl);

		if (kr != KERN_INVALID_ARGUMENT)
			ktest_fail(__FILE__, __LINE__, "%s: %s", bad[i].why, kern_return_name(kr));
		if (kr == KERN_SUCCESS)
			EXPECT_EQ(upl_abort(upl), KERN_SUCCESS);
		upl = &sentinel;
	}
	EXPECT_EQ(upl_request(NULL, 0, PAGE_SIZE, 0, &upl), KERN_INVALID_ARGUMENT);
	EXPECT_EQ(upl_request(c.obj, 0, PAGE_SIZE, 0, NULL), KERN_INVALID_ARGUMENT);
	EXPECT_TRUE(upl == &sentinel);
	EXPECT_EQ(upl_live_count(), c.before.upls);
	EXPECT_EQ(c.obj->ref_count, 1);
	EXPECT_EQ(c.obj->resident_count, 4);
	EXPECT_EQ(busy_pages(c.obj, 4), 0);
	EXPECT_EQ(zone_free_pages(), free0);
	/* The largest: the whole object, ending at its end. */
	ASSERT_EQ(upl_request(c.obj, 0, ptoa(128), 0, &upl), KERN_SUCCESS);
	EXPECT_EQ(upl->npages, 128);
	EXPECT_EQ(upl_abort(upl), KERN_SUCCESS);
	case_end(&c);
}

/*
 * The default pager writes a pageout UPL into the one cluster of its
 * block: a UPL across two blocks is refused and aborted, its pages left
 * resident, idle and unwritten.
 */
KTEST(upl, data_return_refuses_two_clusters)
{
	struct upl_case c;
	upl_t upl;

	ASSERT_TRUE(case_begin(&c, 2 * DP_CLUSTER_PAGES, 3ull << (DP_CLUSTER_PAGES - 1), 11));
	ASSERT_EQ(upl_request(c.obj, ptoa(DP_CLUSTER_PAGES - 1), ptoa(2), 0, &upl), KERN_SUCCESS);
	EXPECT_SLOTS(upl, 0x3);
	EXPECT_EQ(vm_pager_data_return(c.obj, upl), KERN_INVALID_ARGUMENT);
	EXPECT_EQ(upl_live_count(), c.before.upls);
	EXPECT_EQ(c.obj->resident_count, 2);
	EXPECT_EQ(busy_pages(c.obj, 2 * DP_CLUSTER_PAGES), 0);
	EXPECT_FALSE(obj_stored(c.obj, DP_CLUSTER_PAGES - 1));
	EXPECT_FALSE(obj_stored(c.obj, DP_CLUSTER_PAGES));
	EXPECT_EQ(dp_used_slots(), c.before.used_slots);
	case_end(&c);
}

struct bad_range {
	const char *why;
	vm_offset_t offset;
	vm_size_t size;
};

/*
 * range_expect_refused: a commit or abort of a bad range must fail; if it
 * did not, the UPL may be gone, so the case ends there.
 */
static void range_expect_refused(kern_return_t kr, const char *op, const char *why)
{
	if (kr == KERN_INVALID_ARGUMENT)
		return;
	ktest_fail(__FILE__, __LINE__, "%s of a range %s: %s", op, why, kern_return_name(kr));
	ktest_end_case();
}

/*
 * A commit or abort of a range not inside the UPL fails with
 * KERN_INVALID_ARGUMENT and changes nothing: the pages stay in the UPL,
 * busy, *empty untouched, the UPL not freed despite FREE_ON_EMPTY.
 */
KTEST(upl, range_bad_arguments)
{
	static const struct bad_range bad[] = {
		{ "unaligned offset", 8, PAGE_SIZE },
		{ "unaligned size", 0, PAGE_SIZE + 8 },
		{ "longer than the UPL", 0, ptoa(5) },
		{ "past the end", ptoa(3), ptoa(2) },
		{ "at the end", ptoa(4), PAGE_SIZE },
		{ "wraps around", (vm_offset_t)-PAGE_SIZE, ptoa(2) },
		{ "size wraps around", PAGE_SIZE, (vm_size_t)-PAGE_SIZE },
	};
	struct upl_case c;
	boolean_t empty = 7;
	upl_t upl;

	ASSERT_TRUE(case_begin(&c, 4, 0xf, 9));
	ASSERT_EQ(upl_request(c.obj, 0, ptoa(4), 0, &upl), KERN_SUCCESS);
	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
		const struct bad_range *b = &bad[i];

		range_expect_refused(upl_commit_range(upl, b->offset, b->size, UPL_COMMIT_FREE_ON_EMPTY,
						      &empty), "commit", b->why);
		range_expect_refused(upl_abort_range(upl, b->offset, b->size, UPL_ABORT_FREE_ON_EMPTY,
						     &empty), "abort", b->why);
	}
	EXPECT_EQ(upl_commit_range(NULL, 0, PAGE_SIZE, 0, &empty), KERN_INVALID_ARGUMENT);
	EXPECT_EQ(upl_abort_range(NULL, 0, PAGE_SIZE, 0, &empty), KERN_INVALID_ARGUMENT);
	EXPECT_EQ(upl_commit(NULL), KERN_INVALID_ARGUMENT);
	EXPECT_EQ(upl_abort(NULL), KERN_INVALID_ARGUMENT);
	EXPECT_EQ(empty, 7);
	EXPECT_EQ(upl_live_count(), c.before.upls + 1);
	EXPECT_SLOTS(upl, 0xf);
	EXPECT_EQ(c.obj->resident_count, 4);
	EXPECT_EQ(upl_abort(upl), KERN_SUCCESS);
	EXPECT_EQ(busy_pages(c.obj, 4), 0);
	case_end(&c);
}

/* ---- pagein windows by behavior -------------------------------------------------------- */

/* region_object: the object behind addr in map (referenced for the caller), or NULL. */
static vm_object_t region_object(vm_map_t map, vm_offset_t addr)
{
	vm_map_t found = map, real;
	vm_object_t obj;
	vm_object_offset_t off;
	vm_behavior_t behavior;
	vm_prot_t prot;
	bool wired;

	if (vm_map_lookup(&found, addr, VM_PROT_READ, &obj, &off, &prot, &wired, &behavior, &real) !=
	    KERN_SUCCESS)
		return NULL;
	if (off != 0)
		obj = NULL;		/* not the region's own object from its start */
	vm_object_reference(obj);
	vm_map_lookup_done(map, found);
	return obj;
}

/* region_page_out: every page of the region's object to the store, one UPL per pager cluster. */
static bool region_page_out(vm_object_t obj)
{
	for (uint64_t p = 0; p < REGION_PAGES; p += DP_CLUSTER_PAGES)
		if (obj_page_out(obj, p, DP_CLUSTER_PAGES, 0) != KERN_SUCCESS)
			return false;
	return obj->resident_count == 0;
}

struct pagein_count {
	uint64_t requests, pages, wrong;
};

/*
 * region_read_in: read one word of each page of the region in order (a
 * fault for each page not brought in yet), counting the pager's read
 * requests and pages read, and the words not as written.
 */
static struct pagein_count region_read_in(void)
{
	struct default_pager_stats s0, s1;
	struct pagein_count c = { 0 };

	default_pager_stats(&s0);
	for (uint64_t p = 0; p < REGION_PAGES; p++)
		c.wrong += ktest_uread(UBASE + ptoa(p)) != pattern(10, ptoa(p), 0);
	default_pager_stats(&s1);
	c.requests = s1.read_requests - s0.read_requests;
	c.pages = s1.pageins - s0.pageins;
	return c;
}

/*
 * An anonymous region, written, paged out entirely, then read in order
 * with SEQUENTIAL: the pager reads ahead, one request per cluster of
 * pages.  Paged out again and read with RANDOM: one request per page.
 */
KTEST(upl, pagein_window_follows_behavior)
{
	struct upl_case c = { .before = accounts_now(), .map = map_fixture_user() };
	vm_address_t addr = UBASE;
	struct pagein_count seq, rnd;

	ASSERT_TRUE(c.map != NULL);
	ASSERT_EQ(vm_allocate(c.map, &addr, ptoa(REGION_PAGES), VM_FLAGS_FIXED), KERN_SUCCESS);
	thread_set_map(c.map);
	for (uint64_t p = 0; p < REGION_PAGES; p++)
		ktest_uwrite(UBASE + ptoa(p), pattern(10, ptoa(p), 0));
	ASSERT_TRUE((c.obj = region_object(c.map, UBASE)) != NULL);
	ASSERT_TRUE(region_page_out(c.obj));
	EXPECT_EQ(dp_used_slots(), c.before.used_slots + REGION_PAGES);
	ASSERT_EQ(vm_behavior_set(c.map, UBASE, ptoa(REGION_PAGES), VM_BEHAVIOR_SEQUENTIAL),
		  KERN_SUCCESS);
	seq = region_read_in();
	ASSERT_TRUE(region_page_out(c.obj));
	ASSERT_EQ(vm_behavior_set(c.map, UBASE, ptoa(REGION_PAGES), VM_BEHAVIOR_RANDOM), KERN_SUCCESS);
	rnd = region_read_in();
	ktest_report("%d pages paged in: SEQUENTIAL %lu read requests (%lu pages), "
		     "RANDOM %lu read requests (%lu pages)\n",
		     REGION_PAGES, seq.requests, seq.pages, rnd.requests, rnd.pages);
	EXPECT_EQ(seq.wrong + rnd.wrong, 0);
	EXPECT_EQ(seq.pages, REGION_PAGES);
	EXPECT_EQ(rnd.pages, REGION_PAGES);
	EXPECT_EQ(rnd.requests, REGION_PAGES);
	EXPECT_LE(seq.requests, REGION_PAGES / DP_CLUSTER_PAGES);
	EXPECT_LT(seq.requests, rnd.requests);
	EXPECT_EQ(vm_map_check(c.map, ktest_report), 0);
	case_end(&c);
}

/* ---- UPLs of any size, vm_map_get_upl, SET_INTERNAL, QUERY_OBJECT_TYPE ----------------- */

/*
 * A UPL larger than UPL_INLINE_PAGES: a pagein of 200 pages fills every
 * slot, is committed in two ranges, and gives its slot array back.
 */
KTEST(upl, large_upl_pagein_commit)
{
	struct upl_case c;
	boolean_t empty = FALSE;
	upl_t upl;

	ASSERT_TRUE(case_begin(&c, 256, 0, 1));
	ASSERT_EQ(upl_request(c.obj, ptoa(16), ptoa(200), UPL_RETURN_ONLY_ABSENT, &upl), KERN_SUCCESS);
	EXPECT_EQ(upl->npages, 200);
	EXPECT_EQ(upl->count, 200);
	for (uint32_t i = 0; i < 200; i++)
		EXPECT_TRUE(upl_page(upl, i) && upl_page(upl, i)->busy);
	EXPECT_EQ(upl_commit_range(upl, 0, ptoa(150), UPL_COMMIT_FREE_ON_EMPTY, &empty), KERN_SUCCESS);
	EXPECT_FALSE(empty);
	EXPECT_EQ(upl_commit_range(upl, ptoa(150), ptoa(50), UPL_COMMIT_FREE_ON_EMPTY, &empty),
		  KERN_SUCCESS);
	EXPECT_TRUE(empty);
	EXPECT_EQ(c.obj->resident_count, 200);
	EXPECT_EQ(busy_pages(c.obj, 256), 0);
	case_end(&c);
}

/*
 * vm_map_get_upl: the first object of the range only, *size trimmed to its
 * entry; a hole and a submap are refused.
 */
KTEST(upl, vm_map_get_upl_first_object_only)
{
	struct upl_case c;
	vm_address_t next = UBASE + ptoa(8);
	vm_size_t size = ptoa(12);
	vm_map_t sub;
	upl_t upl;

	ASSERT_TRUE(case_begin(&c, 8, 0xff, 3));
	ASSERT_TRUE((sub = vm_map_create(pmap_create(), 0x40000000ul, 0x40200000ul)) != NULL);
	ASSERT_TRUE((c.map = obj_map(c.obj)) != NULL);
	ASSERT_EQ(vm_allocate(c.map, &next, ptoa(4), VM_FLAGS_FIXED), KERN_SUCCESS);
	ASSERT_EQ(vm_map_get_upl(c.map, UBASE + ptoa(2), &size, &upl, UPL_RETURN_ONLY_DIRTY),
		  KERN_SUCCESS);
	EXPECT_EQ(size, ptoa(6));		/* pages 2..7 of the object; the next entry is left */
	EXPECT_TRUE(upl->object == c.obj);
	EXPECT_EQ(upl->offset, ptoa(2));
	EXPECT_EQ(upl->count, 6);		/* never paged out: all dirty */
	EXPECT_EQ(upl_abort(upl), KERN_SUCCESS);
	/* An entry with no object yet gets one; a pagein UPL over it. */
	size = ptoa(4);
	ASSERT_EQ(vm_map_get_upl(c.map, next, &size, &upl, UPL_RETURN_ONLY_ABSENT), KERN_SUCCESS);
	EXPECT_EQ(upl->count, 4);
	EXPECT_EQ(upl_abort(upl), KERN_SUCCESS);
	size = PAGE_SIZE;
	EXPECT_EQ(vm_map_get_upl(c.map, UBASE + ptoa(64), &size, &upl, 0), KERN_INVALID_ADDRESS);
	EXPECT_EQ(vm_map_get_upl(c.map, UBASE + 8, &size, &upl, 0), KERN_INVALID_ARGUMENT);
	EXPECT_EQ(vm_map_get_upl(NULL, UBASE, &size, &upl, 0), KERN_INVALID_ARGUMENT);
	ASSERT_EQ(vm_map_submap(c.map, 0x40000000ul, 0x40200000ul, sub, 0x40000000ul, FALSE),
		  KERN_SUCCESS);
	EXPECT_EQ(vm_map_get_upl(c.map, 0x40000000ul, &size, &upl, 0), KERN_INVALID_ARGUMENT);
	vm_map_deallocate(sub);
	case_end(&c);
}

/*
 * UPL_SET_INTERNAL describes each slot as the UPL was made; with
 * UPL_QUERY_OBJECT_TYPE the UPL says whether its pages are physically
 * contiguous: pages inserted from one contiguous run in order are, the
 * same pages in reverse order are not.
 */
KTEST(upl, set_internal_and_query_object_type)
{
	struct upl_case c;
	upl_page_info_t *info;
	vm_page_t run;
	upl_t upl;

	ASSERT_TRUE(case_begin(&c, 8, 0x5, 7));	/* pages 0 and 2 resident */
	ASSERT_TRUE((run = vm_page_alloc_contig(4, 1)) != NULL);
	ASSERT_EQ(upl_request(c.obj, 0, ptoa(4), UPL_SET_INTERNAL | UPL_QUERY_OBJECT_TYPE, &upl),
		  KERN_SUCCESS);
	ASSERT_TRUE((info = upl_get_internal_page_list(upl)) != NULL);
	EXPECT_EQ(info[0].phys_addr, upl_page(upl, 0)->phys_addr);
	EXPECT_TRUE(info[0].dirty && !info[0].absent);
	EXPECT_EQ(info[1].phys_addr, 0);
	EXPECT_EQ(upl->flags & UPL_PHYS_CONTIG, 0);	/* holes */
	EXPECT_EQ(upl_abort(upl), KERN_SUCCESS);
	ASSERT_EQ(upl_request(c.obj, ptoa(4), ptoa(4), UPL_RETURN_ONLY_ABSENT | UPL_SET_INTERNAL, &upl),
		  KERN_SUCCESS);
	info = upl_get_internal_page_list(upl);
	EXPECT_TRUE(info[3].absent && !info[3].dirty && info[3].phys_addr != 0);
	EXPECT_EQ(upl_abort(upl), KERN_SUCCESS);
	EXPECT_TRUE(upl_get_internal_page_list(NULL) == NULL);
	/* An object of the contiguous run, in order and then reversed. */
	vm_object_t in_order = vm_object_allocate(ptoa(4)), reversed = vm_object_allocate(ptoa(4));

	ASSERT_TRUE(in_order && reversed);
	mutex_lock(&in_order->lock);
	mutex_lock(&reversed->lock);
	for (int i = 0; i < 2; i++) {
		vm_page_insert(&run[i], in_order, ptoa(i));
		vm_page_insert(&run[2 + i], reversed, ptoa(1 - i));
	}
	mutex_unlock(&reversed->lock);
	mutex_unlock(&in_order->lock);
	ASSERT_EQ(upl_request(in_order, 0, ptoa(2), UPL_QUERY_OBJECT_TYPE, &upl), KERN_SUCCESS);
	EXPECT_NE(upl->flags & UPL_PHYS_CONTIG, 0);
	EXPECT_TRUE(upl_get_internal_page_list(upl) == NULL);	/* not asked for */
	EXPECT_EQ(upl_abort(upl), KERN_SUCCESS);
	ASSERT_EQ(upl_request(reversed, 0, ptoa(2), UPL_QUERY_OBJECT_TYPE, &upl), KERN_SUCCESS);
	EXPECT_EQ(upl->flags & UPL_PHYS_CONTIG, 0);
	EXPECT_EQ(upl_abort(upl), KERN_SUCCESS);
	vm_object_deallocate(in_order);		/* their pages go back with them */
	vm_object_deallocate(reversed);
	case_end(&c);
}
