/*
 * pressure_test.c: every public VM call, in a loop, against a working set
 * of three times RAM, while the pageout daemon pages.  Memory pressure
 * must not look like failure: with swap still free, no call may return
 * KERN_RESOURCE_SHORTAGE (they wait for the daemon instead), and every
 * word read back, through copies, forks and handles, is the one written.
 * One worker per hart (at most four), each on a map of its own.  Handles
 * are made on a small region apart (a shared object is copied whole by a
 * fork, which would otherwise copy the whole working set each time).
 *
 * The soak suite runs the same calls for soak.seconds (`make soak
 * MINUTES=N`): each worker makes and drops working sets of random size in
 * turn, so that swap grows and drains and swap files come and go, and
 * every page's word names its worker, page and working set.
 */
#include <string.h>

#include "drivers/virtio/virtqueue.h"
#include "kern/cmdline.h"
#include "kern/thread.h"
#include "platform/riscv/hart.h"
#include "platform/riscv/timer.h"
#include "tests/kernel/ktest.h"
#include "tests/kernel/map_fixture.h"
#include "vm/default_pager.h"
#include "vm/dynamic_pager.h"
#include "vm/vm_map.h"
#include "vm/vm_named_entry.h"
#include "vm/vm_object.h"
#include "vm/vm_page.h"
#include "vm/vm_pageout.h"
#include "vm/vm_pager.h"
#include "vm/vm_user.h"

KTEST_RUN(pressure, "test=pressure swap=swap", "-m 32M -smp 1 --blk swap:256M");
KTEST_RUN(pressure.smp4, "test=pressure swap=swap", "-m 48M -smp 4 --blk swap:384M");
KTEST_RUN(pressure.smp4_32m, "test=pressure swap=swap", "-m 32M -smp 4 --blk swap:256M");
KTEST_RUN(soak, "test=soak soak.seconds=20 swap=swap swapfile=swap swapfile.size=16M swapfile.max=12 swapfile.hiwat=8M swapfile.lowat=24M swapfile.hold=500", "-m 48M -smp 4 --blk swap:64M --9p swap");

#define PR_BASE		0x10000000ul
#define PR_PIECE	(256ul << 10)		/* what one call works on */
#define PR_ROUNDS	160			/* calls per worker */
#define PR_WORKERS	4
#define PR_SHARED	(4 * PR_PIECE)		/* the region handles are made on */
#define PR_SCRATCH	(PR_BASE - 2 * PR_PIECE)	/* copies are written over it */

struct pr_worker {
	vm_map_t map;
	uint64_t npages;		/* of the working set at PR_BASE */
	vm_offset_t shared;		/* PR_SHARED bytes apart, for handles */
	uint32_t id;
	uint32_t set;			/* working sets made so far (soak) */
	uint64_t x;			/* xorshift state */
	uint64_t calls, verified, mismatches, shortages, failures;
	uint64_t unreadable;		/* of the mismatches: words copyin/copyout could not reach */
	kern_return_t first_failure;
	const char *failed_call;
};

/* pr_word: what page p of worker w's working set holds (each page's first word). */
static uint64_t pr_word(const struct pr_worker *w, uint64_t p)
{
	return (uint64_t)w->id << 56 | (uint64_t)(w->set & 0xff) << 48 | p << 8 | 0x5a;
}

static uint64_t pr_rand(struct pr_worker *w)
{
	w->x ^= w->x << 13, w->x ^= w->x >> 7, w->x ^= w->x << 17;
	return w->x;
}

/*
 * pr_kr: count a call's result; a shortage while the swap pool still has
 * free slots is the failure this suite is for.
 */
static bool pr_kr(struct pr_worker *w, const char *call, kern_return_t kr)
{
	w->calls++;
	if (kr == KERN_SUCCESS)
		return true;
	if (kr == KERN_RESOURCE_SHORTAGE)
		w->shortages++;
	else
		w->failures++;
	if (!w->failed_call) {
		w->failed_call = call;
		w->first_failure = kr;
	}
	return false;
}

/* pr_check: the first word of npages pages at va (the thread's map) against those of page p0. */
/*
 * pr_word_check: the word at va is want; a mismatch counts, the first one
 * reported (an unreachable word, a failed fault, apart from a wrong one).
 */
static void pr_word_check(struct pr_worker *w, vm_offset_t va, uint64_t want)
{
	uint64_t v = 0;
	int err = copyin((const void *)va, &v, sizeof(v));

	if (!err && v == want)
		return;
	w->unreadable += err != 0;
	if (w->mismatches++ == 0)
		ktest_report("worker %u: 0x%lx: %s (0x%lx, expected 0x%lx)\n", w->id, va,
			     err ? "copyin failed" : "wrong word", v, want);
}

static void pr_check(struct pr_worker *w, vm_offset_t va, uint64_t p0, uint64_t npages)
{
	for (uint64_t i = 0; i < npages; i++) {
		w->verified++;
		pr_word_check(w, va + ptoa(i), pr_word(w, p0 + i));
	}
}

/* pr_piece_of: a random piece of [start, start + size): its address and first page. */
static vm_offset_t pr_piece_of(struct pr_worker *w, vm_offset_t start, vm_size_t size, uint64_t *p0)
{
	vm_offset_t va = start + pr_rand(w) % (size / PR_PIECE) * PR_PIECE;

	*p0 = atop(va - PR_BASE);
	return va;
}

/* pr_piece: a random piece of the working set. */
static vm_offset_t pr_piece(struct pr_worker *w, uint64_t *p0)
{
	return pr_piece_of(w, PR_BASE, ptoa(w->npages), p0);
}

/* pr_fill: write every page's word in [va, va + size) (the thread's map). */
static void pr_fill(struct pr_worker *w, vm_offset_t va, vm_size_t size)
{
	for (vm_offset_t o = 0; o < size; o += PAGE_SIZE) {
		uint64_t v = pr_word(w, atop(va + o - PR_BASE));

		if (copyout(&v, (void *)(va + o), sizeof(v)) != 0) {
			w->mismatches++;
			w->unreadable++;
		}
	}
}

static void pr_allocate(struct pr_worker *w)
{
	vm_address_t a = 0;
	uint64_t v = 0x77;

	if (!pr_kr(w, "vm_allocate", vm_allocate(w->map, &a, PR_PIECE, VM_FLAGS_ANYWHERE)))
		return;
	for (vm_offset_t o = 0; o < PR_PIECE; o += PAGE_SIZE)
		copyout(&v, (void *)(a + o), sizeof(v));
	for (vm_offset_t o = 0; o < PR_PIECE; o += PAGE_SIZE) {
		w->verified++;
		pr_word_check(w, a + o, 0x77);
	}
	pr_kr(w, "vm_deallocate", vm_deallocate(w->map, a, PR_PIECE));
}

static void pr_protect(struct pr_worker *w)
{
	uint64_t p0;
	vm_offset_t va = pr_piece(w, &p0);

	if (pr_kr(w, "vm_protect", vm_protect(w->map, va, PR_PIECE, FALSE, VM_PROT_READ)))
		pr_check(w, va, p0, 4);
	pr_kr(w, "vm_protect", vm_protect(w->map, va, PR_PIECE, FALSE, VM_PROT_READ | VM_PROT_WRITE));
}

static void pr_attributes(struct pr_worker *w)
{
	static const vm_behavior_t behaviors[] = { VM_BEHAVIOR_RANDOM, VM_BEHAVIOR_SEQUENTIAL,
						   VM_BEHAVIOR_RSEQNTL, VM_BEHAVIOR_DEFAULT };
	vm_region_basic_info_data_t info;
	vm_address_t a;
	vm_size_t size;
	uint64_t p0;
	vm_offset_t va = pr_piece(w, &p0);

	pr_kr(w, "vm_inherit", vm_inherit(w->map, va, PR_PIECE, VM_INHERIT_SHARE));
	pr_kr(w, "vm_inherit", vm_inherit(w->map, va, PR_PIECE, VM_INHERIT_COPY));
	pr_kr(w, "vm_behavior_set", vm_behavior_set(w->map, va, PR_PIECE, behaviors[pr_rand(w) % 4]));
	a = va;
	pr_kr(w, "vm_region", vm_region(w->map, &a, &size, &info));
}

static void pr_copy(struct pr_worker *w)
{
	vm_map_copy_t copy;
	vm_address_t dst = 0;
	uint64_t p0;
	vm_offset_t va = pr_piece(w, &p0);

	if (!pr_kr(w, "vm_map_copyin", vm_map_copyin(w->map, va, PR_PIECE, FALSE, &copy)))
		return;
	if (!pr_kr(w, "vm_map_copyout", vm_map_copyout(w->map, &dst, copy))) {
		vm_map_copy_discard(copy);
		return;
	}
	pr_check(w, dst, p0, atop(PR_PIECE));
	pr_kr(w, "vm_deallocate", vm_deallocate(w->map, dst, PR_PIECE));
}

/* pr_overwrite: a piece copied over another and back (both keep their words). */
static void pr_overwrite(struct pr_worker *w)
{
	vm_map_copy_t copy;
	uint64_t p0;
	vm_offset_t va = pr_piece(w, &p0);

	if (!pr_kr(w, "vm_map_copyin", vm_map_copyin(w->map, va, PR_PIECE, FALSE, &copy)))
		return;
	if (!pr_kr(w, "vm_map_copy_overwrite",
		   vm_map_copy_overwrite(w->map, PR_SCRATCH, copy, FALSE, NULL))) {
		vm_map_copy_discard(copy);
		return;
	}
	pr_check(w, PR_SCRATCH, p0, atop(PR_PIECE));
}

static void pr_fork(struct pr_worker *w)
{
	vm_map_t child = vm_map_fork(w->map);
	uint64_t p0, poke = 0xdead;
	vm_offset_t va = pr_piece(w, &p0);

	if (!pr_kr(w, "vm_map_fork", child ? KERN_SUCCESS : KERN_RESOURCE_SHORTAGE))
		return;
	thread_set_map(child);
	pr_check(w, va, p0, 8);
	copyout(&poke, (void *)va, sizeof(poke));	/* the child's own copy from here */
	thread_set_map(w->map);
	vm_map_deallocate(child);
	pr_check(w, va, p0, 1);
}

static void pr_wire(struct pr_worker *w)
{
	uint64_t p0;
	vm_offset_t va = pr_piece(w, &p0);

	if (pr_kr(w, "vm_map_wire", vm_map_wire(w->map, va, va + PR_PIECE / 4,
						VM_PROT_READ | VM_PROT_WRITE, TRUE))) {
		pr_check(w, va, p0, atop(PR_PIECE / 4));
		pr_kr(w, "vm_map_unwire", vm_map_unwire(w->map, va, va + PR_PIECE / 4, TRUE));
	}
}

static void pr_handle(struct pr_worker *w)
{
	vm_named_entry_t h;
	vm_size_t size = PR_PIECE;
	vm_address_t a = 0;
	uint64_t p0;
	vm_offset_t va = pr_piece_of(w, w->shared, PR_SHARED, &p0);

	if (!pr_kr(w, "mach_make_memory_entry_64",
		   mach_make_memory_entry_64(w->map, &size, va, VM_PROT_READ | VM_PROT_WRITE, &h, NULL)))
		return;
	if (pr_kr(w, "vm_map", vm_map(w->map, &a, size, 0, VM_FLAGS_ANYWHERE, h, 0, FALSE,
				       VM_PROT_READ, VM_PROT_READ, VM_INHERIT_COPY))) {
		pr_check(w, a, p0, atop(size));
		pr_kr(w, "vm_deallocate", vm_deallocate(w->map, a, size));
	}
	vm_named_entry_release(h);
}

/* pr_call: one call chosen at random. */
static void pr_call(struct pr_worker *w)
{
	switch (pr_rand(w) % 8) {
	case 0: pr_allocate(w); break;
	case 1: pr_protect(w); break;
	case 2: pr_attributes(w); break;
	case 3: pr_copy(w); break;
	case 4: pr_overwrite(w); break;
	case 5: pr_fork(w); break;
	case 6: pr_wire(w); break;
	default: pr_handle(w); break;
	}
}

/*
 * pr_set_make: allocate and fill the working set (w->npages at PR_BASE)
 * and the handles' region after it; false if a call failed (counted).
 */
static bool pr_set_make(struct pr_worker *w)
{
	vm_address_t base = PR_BASE;

	w->shared = PR_BASE + ptoa(w->npages) + PR_PIECE;	/* a gap: an entry of its own */
	if (!pr_kr(w, "vm_allocate", vm_allocate(w->map, &base, ptoa(w->npages), VM_FLAGS_FIXED)) ||
	    !pr_kr(w, "vm_allocate", vm_allocate(w->map, &w->shared, PR_SHARED, VM_FLAGS_FIXED)))
		return false;
	pr_fill(w, PR_BASE, ptoa(w->npages));
	pr_fill(w, w->shared, PR_SHARED);
	return true;
}

/* pr_set_check: every page of the working set and of the handles' region. */
static void pr_set_check(struct pr_worker *w)
{
	pr_check(w, PR_BASE, 0, w->npages);
	pr_check(w, w->shared, atop(w->shared - PR_BASE), atop(PR_SHARED));
}

/* pr_scratch_make: the piece copies are written over. */
static bool pr_scratch_make(struct pr_worker *w)
{
	vm_address_t scratch = PR_SCRATCH;

	return pr_kr(w, "vm_allocate", vm_allocate(w->map, &scratch, PR_PIECE, VM_FLAGS_FIXED));
}

/* pr_run: fill the working set, then PR_ROUNDS calls chosen at random. */
static void pr_run(void *arg)
{
	struct pr_worker *w = arg;

	thread_set_map(w->map);
	if (pr_scratch_make(w) && pr_set_make(w)) {
		for (int i = 0; i < PR_ROUNDS; i++)
			pr_call(w);
		pr_set_check(w);
	}
	thread_set_map(NULL);
}

KTEST(pressure, every_call_against_three_times_ram)
{
	uint64_t ram = ptoa(vm_page_total_count());
	int nworkers = MIN(hart_count, PR_WORKERS);
	uint64_t npages = atop(3 * ram) / (uint64_t)nworkers / atop(PR_PIECE) * atop(PR_PIECE);
	static struct pr_worker w[PR_WORKERS];
	struct thread *t[PR_WORKERS];
	struct default_pager_stats before, after;
	uint64_t calls = 0, verified = 0, mismatches = 0, shortages = 0, failures = 0, unreadable = 0;
	uint64_t objects0 = vm_object_count(), lost0 = virtq_interrupts_lost();
	uint64_t ticks_lost0 = timer_lost_interrupts();

	ASSERT_TRUE(vm_pager_default != NULL);
	default_pager_stats(&before);
	for (int i = 0; i < nworkers; i++) {
		w[i] = (struct pr_worker){ .map = map_fixture_user(), .npages = npages,
					   .id = (uint32_t)i + 1, .x = 0x9e3779b97f4a7c15ull + (uint64_t)i };
		ASSERT_TRUE(w[i].map != NULL);
		t[i] = thread_create("pressure", pr_run, &w[i], i);
		ASSERT_TRUE(t[i] != NULL);
	}
	for (int i = 0; i < nworkers; i++) {
		thread_join(t[i]);
		calls += w[i].calls;
		verified += w[i].verified;
		mismatches += w[i].mismatches;
		unreadable += w[i].unreadable;
		shortages += w[i].shortages;
		failures += w[i].failures;
		if (w[i].failed_call)
			ktest_report("worker %d: %s failed first: %s\n", i + 1, w[i].failed_call,
				     kern_return_name(w[i].first_failure));
		EXPECT_EQ(vm_map_check(w[i].map, ktest_report), 0);
		vm_map_deallocate(w[i].map);
	}
	default_pager_stats(&after);
	ktest_report("%d workers, %lu MiB each (RAM %lu MiB): %lu calls, %lu shortages, %lu other "
		     "failures; %lu words verified, %lu mismatches (%lu unreachable); %lu paged out, "
		     "%lu paged in; %lu lost timer interrupts raised again\n",
		     nworkers, ptoa(npages) >> 20, ram >> 20, calls, shortages, failures, verified,
		     mismatches, unreadable, after.pageouts - before.pageouts, after.pageins - before.pageins,
		     timer_lost_interrupts() - ticks_lost0);
	EXPECT_EQ(shortages, 0);
	EXPECT_EQ(failures, 0);
	EXPECT_EQ(virtq_interrupts_lost() - lost0, 0);	/* the swap disk's interrupts all came */
	EXPECT_EQ(mismatches, 0);
	EXPECT_GT(verified, (uint64_t)nworkers * npages);
	EXPECT_GT(after.pageouts - before.pageouts, npages);
	for (int i = 0; i < 500 && vm_object_count() > objects0; i++)
		thread_sleep_ns(10 * 1000 * 1000);	/* the daemon's last write lets go */
	EXPECT_EQ(default_pager_check(ktest_report), 0);
}

/* ---- soak ------------------------------------------------------------------------------------ */

TUNABLE_NUMBER(tunable_soak_seconds, "soak.seconds", 60, 1, 7 * 24 * 3600, "S", NULL,
	       "(tests) how long the soak suite runs");

#define SOAK_CALLS	40		/* calls per working set */
#define SOAK_REPORT_S	60		/* a progress line this often */

static uint64_t soak_deadline;		/* timer ticks */

/*
 * soak_run: working sets of random size (a quarter of w->npages up to all
 * of it), each filled, worked on with SOAK_CALLS calls, checked whole and
 * dropped, until soak_deadline.
 */
static void soak_run(void *arg)
{
	struct pr_worker *w = arg;
	uint64_t most = w->npages, piece = atop(PR_PIECE);

	thread_set_map(w->map);
	if (!pr_scratch_make(w))
		goto out;
	while (timer_now() < soak_deadline && !w->failed_call) {
		w->set++;
		w->npages = MAX(piece, (most / 4 + pr_rand(w) % (most - most / 4)) / piece * piece);
		if (!pr_set_make(w))
			break;
		for (int i = 0; i < SOAK_CALLS && timer_now() < soak_deadline; i++)
			pr_call(w);
		pr_set_check(w);
		pr_kr(w, "vm_deallocate", vm_deallocate(w->map, PR_BASE, ptoa(w->npages)));
		pr_kr(w, "vm_deallocate", vm_deallocate(w->map, w->shared, PR_SHARED));
	}
out:
	thread_set_map(NULL);
}

/* soak_seconds: whole seconds since start (timer ticks). */
static uint64_t soak_seconds(uint64_t start)
{
	return (timer_now() - start) / timer_ns_to_ticks(1000000000ull);
}

/* soak_report: the workers' totals so far (their counters read as they run: a snapshot). */
static void soak_report(const struct pr_worker *w, int n, uint64_t secs)
{
	uint64_t calls = 0, verified = 0, sets = 0, bad = 0, shortages = 0, failures = 0;
	struct default_pager_stats dp;
	struct swapfile_stats sf;

	for (int i = 0; i < n; i++) {
		calls += w[i].calls;
		verified += w[i].verified;
		sets += w[i].set;
		bad += w[i].mismatches;
		shortages += w[i].shortages;
		failures += w[i].failures;
	}
	default_pager_stats(&dp);
	swapfile_stats(&sf);
	kprintf("soak: %lu s: %lu calls, %lu working sets, %lu pages verified, %lu mismatches, "
		"%lu shortages, %lu other failures; %lu paged out, %lu paged in; swap files %lu made, "
		"%lu deleted, %lu now; %lu interrupts lost\n", secs, calls, sets, verified, bad,
		shortages, failures, dp.pageouts, dp.pageins, sf.created, sf.deleted, sf.files,
		virtq_interrupts_lost());
}

/*
 * As many workers as harts (at most four), each on its own map, for
 * soak.seconds: working sets that together come to 1 to 4 times RAM,
 * every call of the pressure suite on them, with the swap disk and the
 * swap files growing and draining.  A line of totals every minute.
 */
KTEST(soak, every_call_while_swap_grows_and_drains)
{
	uint64_t ram = ptoa(vm_page_total_count()), secs = tunable_number(&tunable_soak_seconds);
	int nworkers = MIN(hart_count, PR_WORKERS);
	uint64_t npages = atop(4 * ram) / (uint64_t)nworkers / atop(PR_PIECE) * atop(PR_PIECE);
	static struct pr_worker w[PR_WORKERS];
	struct thread *t[PR_WORKERS];
	uint64_t start = timer_now(), next = SOAK_REPORT_S, lost0 = virtq_interrupts_lost();
	uint64_t objects0 = vm_object_count(), sets = 0, verified = 0, elapsed;
	struct swapfile_stats sf;
	bool running = true;

	ASSERT_TRUE(vm_pager_default != NULL);
	soak_deadline = start + timer_ns_to_ticks(secs * 1000000000ull);
	for (int i = 0; i < nworkers; i++) {
		w[i] = (struct pr_worker){ .map = map_fixture_user(), .npages = npages,
					   .id = (uint32_t)i + 1, .x = 0x2545f4914f6cdd1dull + (uint64_t)i };
		ASSERT_TRUE(w[i].map != NULL);
		t[i] = thread_create("soak", soak_run, &w[i], i);
		ASSERT_TRUE(t[i] != NULL);
	}
	while (running) {
		thread_sleep_ns(1000000000ull);
		elapsed = soak_seconds(start);
		running = timer_now() < soak_deadline;
		if (elapsed >= next && running) {
			soak_report(w, nworkers, elapsed);
			next += SOAK_REPORT_S;
		}
	}
	for (int i = 0; i < nworkers; i++) {
		thread_join(t[i]);
		if (w[i].failed_call)
			ktest_report("worker %d: %s failed first: %s\n", i + 1, w[i].failed_call,
				     kern_return_name(w[i].first_failure));
		EXPECT_EQ(vm_map_check(w[i].map, ktest_report), 0);
		vm_map_deallocate(w[i].map);
		sets += w[i].set;
		verified += w[i].verified;
		EXPECT_EQ(w[i].mismatches, 0);
		EXPECT_EQ(w[i].shortages, 0);
		EXPECT_EQ(w[i].failures, 0);
	}
	soak_report(w, nworkers, soak_seconds(start));
	EXPECT_GE(sets, (uint64_t)nworkers);
	EXPECT_GT(verified, (uint64_t)nworkers * npages / 4);
	EXPECT_EQ(virtq_interrupts_lost() - lost0, 0);
	thread_stack_cache_trim(0);		/* the workers' stacks hold objects of their own */
	for (int i = 0; i < 600 && vm_object_count() > objects0; i++)
		thread_sleep_ns(100 * 1000 * 1000);	/* the daemon's last writes let go */
	EXPECT_EQ(vm_object_count(), objects0);
	EXPECT_EQ(default_pager_check(ktest_report), 0);
	swapfile_stats(&sf);
	if (sf.created) {			/* swap files came: every one drains and goes */
		for (int i = 0; i < 600 && (sf.files || sf.draining); i++) {
			thread_sleep_ns(100 * 1000 * 1000);
			swapfile_stats(&sf);
		}
		ktest_report("swap files: %lu made, %lu deleted, %lu left\n", sf.created, sf.deleted,
			     sf.files);
		EXPECT_EQ(sf.files, 0);
	}
}
