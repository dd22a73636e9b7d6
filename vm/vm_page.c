/*
 * vm_page.c: page records and the buddy allocator (see vm_page.h).
 *
 * A free block of order k is 2^k pages whose first page number is a
 * multiple of 2^k; only its head page is on a free list, flagged FREE with
 * its order.  A block's buddy is the block whose page number differs in
 * bit k; blocks never span two segments.
 */
#include <string.h>

#include "kern/kernel.h"
#include "kern/spinlock.h"
#include "kern/thread.h"
#include "vm/pmap.h"
#include "vm/vm_page.h"

static struct spinlock vm_page_free_lock = SPINLOCK_INIT("vm_page_free");
static struct vm_page *vm_page_free_lists[VM_PAGE_MAX_ORDER];	/* [f] */
static uint64_t vm_page_nfree;					/* [f] */
static uint64_t vm_page_ntotal;					/* [c] */
static uint64_t vm_page_nreserved;				/* [c] the records themselves */
static uint64_t vm_page_nwired;					/* [a] */
static struct vm_phys_seg vm_phys_segs[VM_PAGE_MAX_SEGS];	/* [c] */
static uint64_t vm_page_nreserve;				/* [f] pages only the privileged take */
static uint32_t vm_page_nwaiters;				/* [f] threads in vm_page_wait */
struct spinlock vm_page_queue_lock = SPINLOCK_INIT("vm_page_queue");
struct vm_page_queue vm_page_queues[VM_PAGE_Q_COUNT];		/* [q] */
void (*vm_page_low_hook)(void);					/* [c] the pageout daemon's kick */
static bool vm_page_queueing;					/* [c] set once paging starts */
static int vm_phys_nsegs;					/* [c] */

static uint64_t vm_page_pfn(const struct vm_page *m)
{
	return atop(m->phys_addr);
}

static const struct vm_phys_seg *vm_page_seg(const struct vm_page *m)
{
	return &vm_phys_segs[m->seg];
}

vm_page_t vm_page_lookup_phys(vm_paddr_t pa)
{
	for (int i = 0; i < vm_phys_nsegs; i++) {
		const struct vm_phys_seg *s = &vm_phys_segs[i];

		if (pa >= s->start && pa < s->end)
			return &s->pages[atop(pa - s->start)];
	}
	return NULL;
}

vm_page_t vm_page_nth(vm_page_t m, uint64_t n)
{
	const struct vm_phys_seg *s = vm_page_seg(m);

	KASSERT(m->phys_addr + ptoa(n) < s->end, "vm_page_nth: past its segment");
	return m + n;
}

static void free_list_insert_locked(struct vm_page *m, unsigned order)
{
	LOCK_ASSERT(spin_held(&vm_page_free_lock),
		"free_list_insert_locked: vm_page_free_lock not held");

	m->flags |= VM_PAGE_FREE;
	m->order = (uint8_t)order;
	m->prev = NULL;
	m->next = vm_page_free_lists[order];
	if (m->next)
		m->next->prev = m;
	vm_page_free_lists[order] = m;
}

static void free_list_remove_locked(struct vm_page *m)
{
	LOCK_ASSERT(spin_held(&vm_page_free_lock),
		"free_list_remove_locked: vm_page_free_lock not held");

	if (m->prev)
		m->prev->next = m->next;
	else
		vm_page_free_lists[m->order] = m->next;
	if (m->next)
		m->next->prev = m->prev;
	m->next = m->prev = NULL;
	m->flags &= ~VM_PAGE_FREE;
}

/* buddy_of: the free head of m's buddy at `order`, or NULL if it is not free whole. */
static struct vm_page *buddy_of(struct vm_page *m, unsigned order)
{
	const struct vm_phys_seg *s = vm_page_seg(m);
	vm_paddr_t pa = ptoa(vm_page_pfn(m) ^ (1ul << order));
	struct vm_page *b;

	if (pa < s->start || pa + ptoa(1ul << order) > s->end)
		return NULL;
	b = &s->pages[atop(pa - s->start)];
	return ((b->flags & VM_PAGE_FREE) && b->order == order) ? b : NULL;
}

/* free_block_locked: free a whole aligned block, merging with free buddies. */
static void free_block_locked(struct vm_page *m, unsigned order)
{
	LOCK_ASSERT(spin_held(&vm_page_free_lock), "free_block_locked: vm_page_free_lock not held");

	if (m->flags & VM_PAGE_FREE)
		panic("vm_page_free: page 0x%lx is already free", m->phys_addr);
	vm_page_nfree += 1ul << order;
	while (order + 1 < VM_PAGE_MAX_ORDER) {
		struct vm_page *b = buddy_of(m, order);

		if (!b)
			break;
		free_list_remove_locked(b);
		if (b < m)
			m = b;
		order++;
	}
	free_list_insert_locked(m, order);
}

/* free_run_locked: free [m, m+n) as the largest aligned blocks it contains. */
static void free_run_locked(struct vm_page *m, uint64_t n)
{
	LOCK_ASSERT(spin_held(&vm_page_free_lock), "free_run_locked: vm_page_free_lock not held");

	while (n) {
		unsigned order = 0;

		while (order + 1 < VM_PAGE_MAX_ORDER &&
		       (vm_page_pfn(m) & ((2ul << order) - 1)) == 0 && (2ul << order) <= n)
			order++;
		free_block_locked(m, order);
		m += 1ul << order;
		n -= 1ul << order;
	}
}

/* alloc_block_locked: a block of exactly `order`, split from a larger one if need be. */
static struct vm_page *alloc_block_locked(unsigned order)
{
	unsigned o = order;
	struct vm_page *m;

	LOCK_ASSERT(spin_held(&vm_page_free_lock),
		"alloc_block_locked: vm_page_free_lock not held");
	while (o < VM_PAGE_MAX_ORDER && !vm_page_free_lists[o])
		o++;
	if (o == VM_PAGE_MAX_ORDER)
		return NULL;
	m = vm_page_free_lists[o];
	free_list_remove_locked(m);
	while (o > order) {		/* give back the upper halves */
		o--;
		free_list_insert_locked(m + (1ul << o), o);
	}
	vm_page_nfree -= 1ul << order;
	return m;
}

/* vm_page_may_take_locked: npages may go to the caller without eating the reserve. */
static bool vm_page_may_take_locked(uint64_t npages)
{
	struct thread *t;

	LOCK_ASSERT(spin_held(&vm_page_free_lock),
		"vm_page_may_take_locked: vm_page_free_lock not held");
	if (vm_page_nfree >= vm_page_nreserve + npages)
		return true;
	t = thread_current();
	return t && t->vm_privileged;
}

static unsigned order_for(uint64_t npages)
{
	unsigned order = 0;

	while ((1ul << order) < npages)
		order++;
	return order;
}

/* vm_page_fresh: a page just allocated keeps nothing of a past life. */
static void vm_page_fresh(struct vm_page *m)
{
	KASSERT(!m->md.pv_list, "vm_page_alloc: page 0x%lx still mapped", m->phys_addr);
	m->md.attrs = 0;
}

vm_page_t vm_page_alloc_contig(uint64_t npages, uint64_t align_pages)
{
	unsigned order;
	struct vm_page *m;

	if (npages == 0 || align_pages == 0 || (align_pages & (align_pages - 1)))
		return NULL;
	order = MAX(order_for(npages), order_for(align_pages));
	if (order >= VM_PAGE_MAX_ORDER)
		return NULL;
	spin_lock(&vm_page_free_lock);
	m = vm_page_may_take_locked(npages) ? alloc_block_locked(order) : NULL;
	if (m && npages < (1ul << order))	/* give back the tail past npages */
		free_run_locked(m + npages, (1ul << order) - npages);
	spin_unlock(&vm_page_free_lock);
	for (uint64_t i = 0; m && i < npages; i++)
		vm_page_fresh(&m[i]);
	return m;
}

/* take_range_locked: an aligned block of `order` inside [lo, hi) (page numbers), carved out of a free block. */
static struct vm_page *take_range_locked(unsigned order, uint64_t lo, uint64_t hi)
{
	uint64_t n = 1ul << order;

	LOCK_ASSERT(spin_held(&vm_page_free_lock), "take_range_locked: vm_page_free_lock not held");
	for (unsigned o = order; o < VM_PAGE_MAX_ORDER; o++)
		for (struct vm_page *b = vm_page_free_lists[o]; b; b = b->next) {
			uint64_t first = vm_page_pfn(b), last = first + (1ul << o);
			uint64_t s = ROUND_UP(MAX(first, lo), n);

			if (s + n > MIN(last, hi))
				continue;
			free_list_remove_locked(b);
			vm_page_nfree -= 1ul << o;
			free_run_locked(b, s - first);		/* give back both sides */
			free_run_locked(b + (s - first) + n, last - s - n);
			return b + (s - first);
		}
	return NULL;
}

vm_page_t vm_page_alloc_contig_range(uint64_t npages, uint64_t align_pages, vm_paddr_t low,
				     vm_paddr_t high)
{
	unsigned order;
	struct vm_page *m;

	if (npages == 0 || align_pages == 0 || (align_pages & (align_pages - 1)) || low >= high)
		return NULL;
	order = MAX(order_for(npages), order_for(align_pages));
	if (order >= VM_PAGE_MAX_ORDER)
		return NULL;
	spin_lock(&vm_page_free_lock);
	m = take_range_locked(order, atop(round_page(low)), atop(trunc_page(high)));
	if (m && npages < (1ul << order))
		free_run_locked(m + npages, (1ul << order) - npages);
	spin_unlock(&vm_page_free_lock);
	for (uint64_t i = 0; m && i < npages; i++)
		m[i].md.attrs = 0;
	return m;
}

void vm_page_free_contig(vm_page_t m, uint64_t npages)
{
	bool wake;

	KASSERT(npages && m->phys_addr + ptoa(npages) <= vm_page_seg(m)->end,
		"vm_page_free_contig: run past its segment");
	KASSERT(m->queue == VM_PAGE_Q_NONE, "vm_page_free: page 0x%lx still queued", m->phys_addr);
	spin_lock(&vm_page_free_lock);
	free_run_locked(m, npages);
	wake = vm_page_nwaiters && vm_page_nfree > vm_page_nreserve;
	spin_unlock(&vm_page_free_lock);
	if (wake)
		thread_wakeup(&vm_page_nwaiters);
}

void vm_page_free_many(vm_page_t *pages, uint32_t n)
{
	bool wake;

	for (uint32_t i = 0; i < n; i++)
		KASSERT(pages[i]->queue == VM_PAGE_Q_NONE, "vm_page_free: page 0x%lx still queued",
			pages[i]->phys_addr);
	spin_lock(&vm_page_free_lock);
	for (uint32_t i = 0, run; i < n; i += run) {
		/* Pages that follow each other physically go back as the blocks they form. */
		for (run = 1; i + run < n && pages[i + run] == pages[i] + run &&
			      pages[i + run]->seg == pages[i]->seg; run++)
			if (pages[i + run]->flags & VM_PAGE_FREE)
				panic("vm_page_free: page 0x%lx is already free",
				      pages[i + run]->phys_addr);
		free_run_locked(pages[i], run);
	}
	wake = vm_page_nwaiters && vm_page_nfree > vm_page_nreserve;
	spin_unlock(&vm_page_free_lock);
	if (wake)
		thread_wakeup(&vm_page_nwaiters);
}

void vm_page_set_reserve(uint64_t pages)
{
	spin_lock(&vm_page_free_lock);
	vm_page_nreserve = pages;
	spin_unlock(&vm_page_free_lock);
}

uint64_t vm_page_reserve(void)
{
	return __atomic_load_n(&vm_page_nreserve, __ATOMIC_RELAXED);
}

bool vm_page_privileged(bool on)
{
	bool was = thread_current()->vm_privileged;

	thread_current()->vm_privileged = on;
	return was;
}

bool vm_page_wait(uint64_t ns)
{
	uint64_t deadline = thread_deadline_after(ns);
	bool ok;

	if (vm_page_low_hook)
		vm_page_low_hook();
	spin_lock(&vm_page_free_lock);
	while (!(ok = vm_page_nfree > vm_page_nreserve)) {
		vm_page_nwaiters++;
		bool timed_out = thread_sleep_deadline(&vm_page_nwaiters, &vm_page_free_lock, deadline);
		vm_page_nwaiters--;
		if (timed_out)
			break;
	}
	ok = vm_page_nfree > vm_page_nreserve;
	spin_unlock(&vm_page_free_lock);
	return ok;
}

/* ---- paging queues ---------------------------------------------------------- */

void vm_page_dequeue_locked(vm_page_t m)
{
	struct vm_page_queue *q;

	LOCK_ASSERT(spin_held(&vm_page_queue_lock),
		"vm_page_dequeue_locked: vm_page_queue_lock not held");
	if (m->queue == VM_PAGE_Q_NONE)
		return;
	q = &vm_page_queues[m->queue];
	if (m->prev)
		m->prev->next = m->next;
	else
		q->head = m->next;
	if (m->next)
		m->next->prev = m->prev;
	else
		q->tail = m->prev;
	m->next = m->prev = NULL;
	m->queue = VM_PAGE_Q_NONE;
	q->count--;
}

void vm_page_enqueue_locked(vm_page_t m, enum vm_page_queue_id id)
{
	struct vm_page_queue *q = &vm_page_queues[id];

	LOCK_ASSERT(spin_held(&vm_page_queue_lock),
		"vm_page_enqueue_locked: vm_page_queue_lock not held");
	vm_page_dequeue_locked(m);
	m->queue = (uint8_t)id;
	m->next = NULL;
	m->prev = q->tail;
	if (q->tail)
		q->tail->next = m;
	else
		q->head = m;
	q->tail = m;
	q->count++;
}

void vm_page_queues_enable(void)
{
	vm_page_queueing = true;
}

void vm_page_activate(vm_page_t m)
{
	uint64_t sie;

	if (!vm_page_queueing || m->wire_count)
		return;			/* no daemon to look at them, or it may not take this one */
	sie = spin_lock_irqsave(&vm_page_queue_lock);
	vm_page_enqueue_locked(m, VM_PAGE_Q_ACTIVE);
	spin_unlock_irqrestore(&vm_page_queue_lock, sie);
}

void vm_page_deactivate(vm_page_t m)
{
	spin_lock(&vm_page_queue_lock);
	vm_page_enqueue_locked(m, VM_PAGE_Q_INACTIVE);
	spin_unlock(&vm_page_queue_lock);
}

void vm_page_dequeue(vm_page_t m)
{
	if (__atomic_load_n(&m->queue, __ATOMIC_RELAXED) == VM_PAGE_Q_NONE)
		return;			/* never queued: it has stayed so, under its object's lock */
	spin_lock(&vm_page_queue_lock);
	vm_page_dequeue_locked(m);
	spin_unlock(&vm_page_queue_lock);
}

uint64_t vm_page_queue_count(enum vm_page_queue_id q)
{
	return __atomic_load_n(&vm_page_queues[q].count, __ATOMIC_RELAXED);
}

/* vm_page_alloc: vm_page_alloc_contig(1, 1) without the run arithmetic (every fault allocates). */
vm_page_t vm_page_alloc(void)
{
	struct vm_page *m;
	uint64_t sie = spin_lock_irqsave(&vm_page_free_lock);

	m = vm_page_may_take_locked(1) ? alloc_block_locked(0) : NULL;
	spin_unlock_irqrestore(&vm_page_free_lock, sie);
	if (m)
		vm_page_fresh(m);
	return m;
}

void vm_page_free(vm_page_t m)
{
	vm_page_free_contig(m, 1);
}

/* vm_page_array_place: the range that holds the records, and how many pages they take. */
static int vm_page_array_place(const struct vm_phys_seg *r, int n, uint64_t *array_pages)
{
	uint64_t total = 0;

	for (int i = 0; i < n; i++)
		total += atop(r[i].end - r[i].start);
	*array_pages = atop(round_page(total * sizeof(struct vm_page)));
	for (int i = 0; i < n; i++)
		if (atop(r[i].end - r[i].start) > *array_pages)
			return i;
	panic("vm_page_startup: no range holds %lu pages of page records", *array_pages);
}

void vm_page_startup(const struct vm_phys_seg *ranges, int nranges)
{
	uint64_t array_pages;
	int home = vm_page_array_place(ranges, nranges, &array_pages);
	struct vm_page *array = pmap_direct_map(ranges[home].start);

	KASSERT(vm_phys_nsegs == 0 && nranges <= VM_PAGE_MAX_SEGS, "vm_page_startup");
	for (int i = 0; i < nranges; i++) {
		struct vm_phys_seg *s = &vm_phys_segs[vm_phys_nsegs];
		uint64_t npages = atop(ranges[i].end - ranges[i].start);

		KASSERT(page_aligned(ranges[i].start) && page_aligned(ranges[i].end),
			"vm_page_startup: unaligned range %d [0x%lx, 0x%lx) of %d", i, ranges[i].start,
			ranges[i].end, nranges);
		s->start = ranges[i].start;
		s->end = ranges[i].end;
		s->pages = array;
		array += npages;
		for (uint64_t p = 0; p < npages; p++)
			s->pages[p] = (struct vm_page){ .phys_addr = s->start + ptoa(p),
							 .seg = (uint8_t)vm_phys_nsegs };
		vm_page_ntotal += npages;
		vm_phys_nsegs++;
	}
	for (int i = 0; i < nranges; i++) {
		struct vm_phys_seg *s = &vm_phys_segs[i];
		uint64_t skip = i == home ? array_pages : 0;

		for (uint64_t p = 0; p < skip; p++)
			s->pages[p].flags |= VM_PAGE_RESERVED;
		vm_page_nreserved += skip;
		spin_lock(&vm_page_free_lock);
		free_run_locked(s->pages + skip, atop(s->end - s->start) - skip);
		spin_unlock(&vm_page_free_lock);
	}
}

uint64_t vm_page_free_count(void)
{
	return __atomic_load_n(&vm_page_nfree, __ATOMIC_RELAXED);
}

uint64_t vm_page_total_count(void)
{
	return vm_page_ntotal;
}

uint64_t vm_page_inuse_count(void)
{
	return vm_page_ntotal - vm_page_nreserved - vm_page_free_count();
}

uint64_t vm_page_wired_count(void)
{
	return __atomic_load_n(&vm_page_nwired, __ATOMIC_RELAXED);
}

/*
 * vm_page_wire / vm_page_unwire: a wired page leaves the paging queues (the
 * daemon could do nothing with it); unwired, it is active again.
 * => the caller serialises wirings of m
 */
void vm_page_wire(vm_page_t m)
{
	if (m->wire_count++ == 0) {
		__atomic_fetch_add(&vm_page_nwired, 1, __ATOMIC_RELAXED);
		vm_page_dequeue(m);
	}
}

void vm_page_unwire(vm_page_t m)
{
	KASSERT(m->wire_count > 0, "vm_page_unwire: page 0x%lx not wired", m->phys_addr);
	if (--m->wire_count == 0) {
		__atomic_fetch_sub(&vm_page_nwired, 1, __ATOMIC_RELAXED);
		if (m->object)
			vm_page_activate(m);
	}
}

void vm_page_free_blocks(uint64_t counts[VM_PAGE_MAX_ORDER])
{
	spin_lock(&vm_page_free_lock);
	for (int o = 0; o < VM_PAGE_MAX_ORDER; o++) {
		counts[o] = 0;
		for (struct vm_page *m = vm_page_free_lists[o]; m; m = m->next)
			counts[o]++;
	}
	spin_unlock(&vm_page_free_lock);
}

int vm_page_segs(const struct vm_phys_seg **segs)
{
	*segs = vm_phys_segs;
	return vm_phys_nsegs;
}

/*
 * vm_page_check: every free head is aligned to its order, inside its
 * segment, flagged FREE, with no free buddy of the same order left
 * unmerged; list links agree; the free pages add up to vm_page_nfree.
 */
int vm_page_check(void (*report)(const char *fmt, ...))
{
	uint64_t pages = 0;
	int bad = 0;

	spin_lock(&vm_page_free_lock);
	for (unsigned o = 0; o < VM_PAGE_MAX_ORDER; o++) {
		for (struct vm_page *m = vm_page_free_lists[o]; m; m = m->next) {
			const struct vm_phys_seg *s = vm_page_seg(m);

			if (!(m->flags & VM_PAGE_FREE) || m->order != o) {
				report("vm_page_check: 0x%lx on list %u: flags 0x%x order %u\n",
				       m->phys_addr, o, m->flags, m->order);
				bad++;
			}
			if (vm_page_pfn(m) & ((1ul << o) - 1) ||
			    m->phys_addr + ptoa(1ul << o) > s->end) {
				report("vm_page_check: block 0x%lx order %u misaligned or past its segment\n",
				       m->phys_addr, o);
				bad++;
			}
			if (o + 1 < VM_PAGE_MAX_ORDER && buddy_of(m, o)) {
				report("vm_page_check: block 0x%lx order %u has a free buddy\n",
				       m->phys_addr, o);
				bad++;
			}
			if (m->next && m->next->prev != m) {
				report("vm_page_check: broken link after 0x%lx\n", m->phys_addr);
				bad++;
			}
			pages += 1ul << o;
		}
	}
	if (pages != vm_page_nfree) {
		report("vm_page_check: lists hold %lu pages, count says %lu\n", pages, vm_page_nfree);
		bad++;
	}
	spin_unlock(&vm_page_free_lock);
	return bad;
}
