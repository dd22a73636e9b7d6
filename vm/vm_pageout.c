/*
 * vm_pageout.c: the pageout daemon (see vm_pageout.h).
 *
 * The queues are walked under vm_page_queue_lock; a page cannot leave its
 * object (vm_page_remove dequeues it) while that lock is held, so the
 * daemon may read m->object there and try its lock.  It only ever tries:
 * the usual order is object first, queue second.
 */
#include "kern/kernel.h"
#include "kern/spinlock.h"
#include "kern/thread.h"
#include "vm/pmap.h"
#include "vm/vm_object.h"
#include "vm/vm_pageout.h"
#include "vm/vm_pager.h"
#include "vm/vm_upl.h"

#define PAGEOUT_MEMORY_WAIT_NS	(2ull * 1000000000ull)	/* the daemon freed nothing for this long: give up */

#define PAGEOUT_BATCH		64			/* inactive pages per pass */
#define PAGEOUT_IDLE_NS		(20ull * 1000000)	/* look again this often */
#define PAGEOUT_CLUSTER		16			/* pages per pageout UPL */

static struct spinlock pageout_lock = SPINLOCK_INIT("pageout");
static bool pageout_kicked;			/* [k] */
static uint64_t pageout_target;			/* [c] */
static struct vm_pageout_stats pageout_st;	/* [t] the daemon's; others read it racily */

void vm_pageout_kick(void)
{
	spin_lock(&pageout_lock);
	pageout_kicked = true;
	spin_unlock(&pageout_lock);
	thread_wakeup(&pageout_kicked);
}

uint64_t vm_pageout_free_target(void)
{
	return pageout_target;
}

uint64_t vm_pageout_progress(void)
{
	return __atomic_load_n(&pageout_st.freed_clean, __ATOMIC_RELAXED) +
	       __atomic_load_n(&pageout_st.paged_out, __ATOMIC_RELAXED);
}

uint64_t vm_pageout_gave_up(void)
{
	return __atomic_load_n(&pageout_st.gave_up, __ATOMIC_RELAXED);
}

void vm_pageout_stats(struct vm_pageout_stats *st)
{
	*st = pageout_st;
}

/*
 * pageout_balance: move the active queue's oldest pages to the inactive
 * queue, their accessed bits cleared, until a third of the queued pages are
 * inactive.  A page used again before it reaches the inactive head is
 * found referenced there and goes back (its second chance).
 */
static void pageout_balance(void)
{
	vm_page_t aged[2 * PAGEOUT_BATCH];
	uint32_t naged = 0;

	spin_lock(&vm_page_queue_lock);
	for (int n = 0; n < 2 * PAGEOUT_BATCH; n++) {
		uint64_t act = vm_page_queues[VM_PAGE_Q_ACTIVE].count;
		uint64_t inact = vm_page_queues[VM_PAGE_Q_INACTIVE].count;
		vm_page_t m = vm_page_queues[VM_PAGE_Q_ACTIVE].head;

		if (!m || 3 * inact >= act + inact)
			break;
		if (pmap_is_referenced(m))
			aged[naged++] = m;
		vm_page_enqueue_locked(m, VM_PAGE_Q_INACTIVE);
		pageout_st.deactivated++;
	}
	/* Still queued (so still in their objects): their bits go in one shootdown. */
	pmap_clear_reference_many(aged, naged);
	spin_unlock(&vm_page_queue_lock);
}

/*
 * pageout_grab: the inactive queue's head with its object locked and
 * referenced, or NULL (*more false when the queue is empty).  Pages whose
 * object is busy elsewhere go to the tail.
 */
static vm_page_t pageout_grab(vm_object_t *objp, bool *more)
{
	vm_page_t m;
	vm_object_t obj;

	spin_lock(&vm_page_queue_lock);
	m = vm_page_queues[VM_PAGE_Q_INACTIVE].head;
	*more = m != NULL;
	if (!m) {
		spin_unlock(&vm_page_queue_lock);
		return NULL;
	}
	obj = m->object;
	if (!obj || !mutex_trylock(&obj->lock)) {
		vm_page_enqueue_locked(m, VM_PAGE_Q_INACTIVE);
		spin_unlock(&vm_page_queue_lock);
		return NULL;
	}
	spin_unlock(&vm_page_queue_lock);
	if (!vm_object_reference_live(obj)) {	/* its last reference is going: leave it */
		mutex_unlock(&obj->lock);
		return NULL;
	}
	*objp = obj;
	return m;
}

/*
 * pageout_cluster: start writing m and its dirty neighbours in the
 * cluster-aligned window around it; a few such writes stay in flight while
 * the scan goes on (the pager finishes them, at the latest when the scan
 * ends).  => obj locked on entry, unlocked on return; false if nothing
 * was written (the pager refused, or every page was busy)
 */
static bool pageout_cluster(vm_object_t obj, vm_page_t m)
{
	vm_object_offset_t win = m->offset & ~(ptoa(PAGEOUT_CLUSTER) - 1);
	vm_size_t size = MIN(ptoa(PAGEOUT_CLUSTER), obj->size - win);
	kern_return_t kr;
	upl_t upl;

	LOCK_ASSERT(mutex_owned(&obj->lock), "pageout_cluster: object %lu not locked", obj->id);
	mutex_unlock(&obj->lock);
	kr = upl_request(obj, win, size, UPL_RETURN_ONLY_DIRTY | UPL_NOBLOCK, &upl);
	if (kr == KERN_SUCCESS && upl->count == 0) {
		upl_abort(upl);
		return false;
	}
	if (kr == KERN_SUCCESS) {
		uint32_t n = upl->count;

		pageout_st.clusters++;
		kr = vm_pager_data_return_async(obj, upl);
		if (kr == KERN_SUCCESS)
			pageout_st.paged_out += n;
	}
	if (kr != KERN_SUCCESS) {
		pageout_st.failures++;
		mutex_lock(&obj->lock);
		if (m->object == obj)
			vm_page_activate(m);		/* stays resident: look at others first */
		mutex_unlock(&obj->lock);
	}
	return kr == KERN_SUCCESS;
}

/*
 * Clean pages chosen for freeing wait here, busy, their objects referenced,
 * so that a batch loses its mappings in one TLB shootdown rather than one
 * each (on several harts a shootdown waits for every other hart).
 */
#define PAGEOUT_FREE_BATCH	16

struct pageout_frees {
	vm_object_t obj[PAGEOUT_FREE_BATCH];	/* referenced */
	vm_page_t m[PAGEOUT_FREE_BATCH];	/* busy, at the inactive tail */
	uint32_t n;
};

/*
 * pageout_frees_flush: unmap the batch's pages in one shootdown, then free
 * each one still clean (one written meanwhile stays, dirty, for a later
 * pass).  => nothing locked
 */
static void pageout_frees_flush(struct pageout_frees *f)
{
	if (f->n == 0)
		return;
	pmap_page_protect_many(f->m, f->n, VM_PROT_NONE);
	for (uint32_t i = 0; i < f->n; i++) {
		vm_object_t obj = f->obj[i];
		vm_page_t m = f->m[i];

		mutex_lock(&obj->lock);
		vm_page_release(m);		/* waiters run once the lock is free: m is gone then */
		if (!pmap_is_modified(m) && vm_pager_has_page(obj, m->offset)) {
			vm_page_remove(m);
			vm_page_free(m);
			pageout_st.freed_clean++;
		}
		mutex_unlock(&obj->lock);
		vm_object_deallocate(obj);
	}
	f->n = 0;
}

/*
 * pageout_one: decide the fate of an inactive page: back to the active
 * queue, freed (clean: through f), or written with its cluster.  => obj
 * locked and referenced on entry; unlocked on return.  Returns whether
 * memory was (or is about to be) freed or written.
 */
static bool pageout_one(vm_object_t obj, vm_page_t m, struct pageout_frees *f)
{
	LOCK_ASSERT(mutex_owned(&obj->lock), "pageout_one: object %lu not locked", obj->id);

	pageout_st.scans++;
	if (m->busy || m->wire_count) {
		vm_page_activate(m);
		mutex_unlock(&obj->lock);
		return false;
	}
	if (pmap_is_referenced(m)) {
		/* Its bit is cleared when pageout_balance ages it again. */
		vm_page_activate(m);
		pageout_st.reactivated++;
		mutex_unlock(&obj->lock);
		return false;
	}
	if (vm_pager_has_page(obj, m->offset) && !pmap_is_modified(m)) {
		m->busy = true;
		vm_page_deactivate(m);		/* to the tail: the scan goes on past it */
		vm_object_reference(obj);
		f->obj[f->n] = obj;
		f->m[f->n++] = m;
		mutex_unlock(&obj->lock);
		if (f->n == PAGEOUT_FREE_BATCH)
			pageout_frees_flush(f);
		return true;
	}
	if (!vm_pager_of(obj)) {	/* anonymous, and no swap */
		vm_page_activate(m);
		mutex_unlock(&obj->lock);
		return false;
	}
	return pageout_cluster(obj, m);
}

/*
 * pageout_scan: work until free pages reach the target or nothing more can
 * be done.  => false in the second case
 */
static bool pageout_scan(void)
{
	struct pageout_frees frees = { .n = 0 };
	int fruitless = 0;

	while (vm_page_free_count() < pageout_target && fruitless < 3) {
		bool progress = false, more = true;

		pageout_balance();
		for (int n = 0; n < PAGEOUT_BATCH && more && vm_page_free_count() < pageout_target; n++) {
			vm_object_t obj;
			vm_page_t m = pageout_grab(&obj, &more);

			if (!m)
				continue;
			progress |= pageout_one(obj, m, &frees);
			vm_object_deallocate(obj);
		}
		pageout_frees_flush(&frees);
		fruitless = progress ? 0 : fruitless + 1;
	}
	vm_pager_sync();	/* nothing may stay busy while the daemon sleeps */
	if (fruitless < 3)
		return true;
	__atomic_fetch_add(&pageout_st.gave_up, 1, __ATOMIC_RELAXED);
	return false;
}

/*
 * pageout_thread: scan whenever free pages are short or someone kicks; after
 * a scan that found nothing to do, wait for a kick or PAGEOUT_IDLE_NS
 * rather than spin (the store may be full until a swap file comes).
 */
static void pageout_thread(void *unused)
{
	bool stuck = false;

	(void)unused;
	vm_page_privileged(true);
	for (;;) {
		spin_lock(&pageout_lock);
		while (!pageout_kicked && (stuck || vm_page_free_count() >= pageout_target))
			if (thread_sleep_deadline(&pageout_kicked, &pageout_lock,
						  thread_deadline_after(PAGEOUT_IDLE_NS)))
				stuck = false;
		pageout_kicked = false;
		spin_unlock(&pageout_lock);
		pageout_st.wakeups++;
		stuck = !pageout_scan();
	}
}

/*
 * pageout_clamp: v (0: def) held to max, reported if it was above: a free
 * target or a reserve larger than that leaves nothing to run with.
 */
static uint64_t pageout_clamp(const char *name, uint64_t v, uint64_t def, uint64_t max)
{
	if (!v)
		return MIN(def, max);
	if (v > max)
		kprintf("pageout: %s=%lu is more than %lu pages, %s: using %lu\n", name, v, max,
			"the most it may be", max);
	return MIN(v, max);
}

void vm_pageout_start(uint64_t free_target, uint64_t reserve)
{
	uint64_t total = vm_page_total_count();

	KASSERT(!pageout_target, "vm_pageout_start: started twice");
	pageout_target = pageout_clamp("pageout.free_target", free_target, MAX(total / 32, 256ul),
				       total / 4);
	vm_page_queues_enable();
	vm_page_set_reserve(pageout_clamp("pageout.reserve", reserve, MAX(total / 128, 64ul),
					  pageout_target / 2));
	if (!thread_create("pageout", pageout_thread, NULL, THREAD_ANY_HART))
		panic("vm_pageout_start: no thread");
	vm_page_low_hook = vm_pageout_kick;
}

bool vm_pageout_wait_memory(void)
{
	uint64_t before, gave_up;

	if (!vm_page_low_hook)
		return false;
	do {
		before = vm_pageout_progress();
		gave_up = vm_pageout_gave_up();
		if (vm_page_wait(PAGEOUT_MEMORY_WAIT_NS))
			return true;
	} while (vm_pageout_progress() != before || vm_pageout_gave_up() == gave_up);
	return false;
}
