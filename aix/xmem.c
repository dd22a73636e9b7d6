/*
 * xmem.c: the AIX cross-memory services (see xmem.h).
 */
#include "aix/xmem.h"

#include <errno.h>

#include "drivers/dma/dma.h"
#include "kern/kernel.h"
#include "kern/spinlock.h"
#include "kern/thread.h"
#include "vm/pmap.h"
#include "vm/vm_kern.h"
#include "vm/vm_map.h"
#include "vm/vm_object.h"

#define XM_MAGIC	0x584d454du	/* "XMEM" while the attachment lives */
#define XM_HIDE_MAX	256		/* pages hidden at once */

/* What xmattach attached: the map (referenced) and one run per entry. */
struct xm_attach {
	struct xmem_work reap;		/* first: the reaper's release of it (xmem_release_work) */
	uint32_t magic;			/* [c] XM_MAGIC */
	vm_map_t map;			/* [c] */
	vm_offset_t base, end;		/* [c] the buffer */
	int hidden;			/* [X] hides through this descriptor not yet undone */
	struct dma_engine *eng;		/* [X] xmem_dma_bind's device, NULL: real addresses */
	int nrun;			/* [c] */
	struct vm_map_object_run run[];	/* [c] covering the buffer's pages, in order */
};

/* A hidden page: the first hide made it busy; the last unhide releases it. */
struct xm_hide {
	vm_object_t object;		/* [X] NULL: a free slot */
	vm_object_offset_t offset;	/* [X] */
	vm_page_t m;			/* [X] */
	uint32_t count;			/* [X] hides not yet undone */
	struct dma_engine *eng;		/* [X] the device it is hidden for, NULL: none named */
	struct dma_desc *desc;		/* [X] the page prepared through eng, NULL: none */
	uint64_t ioaddr;		/* [X] the page's address for the device */
};

static struct spinlock xmem_lock = SPINLOCK_INIT("xmem");
static struct mutex xmem_hide_mutex = MUTEX_INIT("xmem_hide");	/* first hides, one at a time */
static struct xm_hide xm_hidden[XM_HIDE_MAX];	/* [X] */
static int xm_nhidden;				/* [X] pages hidden */
static struct xmem_work *xm_work_list;		/* [X] for xmem_reaper to run */
static bool xm_reaper_running;			/* [a] set once by xmem_init */

/* xmem_attachment: dp's attachment, NULL if dp describes none. */
static struct xm_attach *xmem_attachment(const struct xmem *dp)
{
	if (!dp || dp->aspace_id == XMEM_INVAL || !dp->subspace || dp->subspace->magic != XM_MAGIC)
		return NULL;
	return dp->subspace;
}

/* xmem_space: the map segflag names for [base, base + count), referenced; NULL if none. */
static vm_map_t xmem_space(int segflag, vm_offset_t base, int count)
{
	vm_map_t map = segflag == USER_ADSPACE ? thread_current()->map
		       : segflag == SYS_ADSPACE ? kernel_map : NULL;

	if (!map || (segflag == USER_ADSPACE && map == kernel_map) || base < map->min_offset ||
	    base + (vm_offset_t)count > map->max_offset)
		return NULL;
	vm_map_reference(map);
	return map;
}

/*
 * xmem_attach_runs: the attachment of [start, end) of map, its runs
 * attached; NULL on any failure (nothing attached).
 */
static struct xm_attach *xmem_attach_runs(vm_map_t map, vm_offset_t start, vm_offset_t end)
{
	int want = 4, n = 0;

	for (;;) {
		struct xm_attach *a = (struct xm_attach *)xmalloc(
			(int)(sizeof(*a) + (size_t)want * sizeof(a->run[0])), 3, pinned_heap);
		kern_return_t kr;

		if (!a)
			return NULL;
		kr = vm_map_attach_objects(map, start, end, a->run, want, &n);
		if (kr == KERN_SUCCESS) {
			a->nrun = n;
			return a;
		}
		xmfree((caddr_t)a, pinned_heap);
		if (kr != KERN_NO_SPACE)
			return NULL;
		want = n;		/* the entries counted: try again with room for them */
	}
}

int xmattach(char *addr, int count, struct xmem *dp, int segflag)
{
	vm_offset_t base = (vm_offset_t)addr;
	struct xm_attach *a;
	vm_map_t map;

	if (!dp || dp->aspace_id != XMEM_INVAL || count <= 0 || base + (vm_offset_t)count < base ||
	    !thread_may_sleep())
		return XMEM_FAIL;	/* AIX's process environment: the map's lock needs a thread */
	if (!(map = xmem_space(segflag, base, count)))
		return XMEM_FAIL;
	if (!(a = xmem_attach_runs(map, trunc_page(base), round_page(base + (vm_offset_t)count)))) {
		vm_map_deallocate(map);
		return XMEM_FAIL;
	}
	a->map = map;
	a->base = base;
	a->end = base + (vm_offset_t)count;
	a->hidden = 0;
	a->eng = NULL;
	a->magic = XM_MAGIC;
	dp->uaddr = addr;
	dp->subspace = a;
	dp->aspace_id = segflag == SYS_ADSPACE ? XMEM_GLOBAL : XMEM_PROC;
	return XMEM_SUCC;
}

int xmattach64(unsigned long long addr64, int count, struct xmem *dp, int segflag)
{
	return xmattach((char *)(uintptr_t)addr64, count, dp, segflag);
}

/* xmem_release: what a detached attachment held goes.  => a thread: may sleep */
static void xmem_release(struct xm_attach *a)
{
	for (int i = 0; i < a->nrun; i++)
		vm_object_detach(a->run[i].object);
	vm_map_deallocate(a->map);
	xmfree((caddr_t)a, pinned_heap);
}

/* xmem_release_work: the reaper's xmem_release of an attachment detached at interrupt level. */
static void xmem_release_work(struct xmem_work *w)
{
	xmem_release((struct xm_attach *)w);	/* reap is its first member */
}

/* xmem_reaper: runs the work left where nothing may sleep (interrupt level). */
static void xmem_reaper(void *arg)
{
	for (;;) {
		struct xmem_work *w;

		spin_lock(&xmem_lock);
		while (!xm_work_list)
			thread_sleep(&xm_work_list, &xmem_lock);
		w = xm_work_list;
		xm_work_list = NULL;
		spin_unlock(&xmem_lock);
		while (w) {
			struct xmem_work *next = w->next;

			w->run(w);
			w = next;
		}
	}
}

bool xmem_defer_ready(void)
{
	return __atomic_load_n(&xm_reaper_running, __ATOMIC_ACQUIRE);
}

/* xmem_defer_locked: xmem_defer with xmem_lock held. */
static void xmem_defer_locked(struct xmem_work *w)
{
	LOCK_ASSERT(spin_held(&xmem_lock), "xmem_defer_locked: xmem_lock not held");
	w->next = xm_work_list;
	xm_work_list = w;
	thread_wakeup(&xm_work_list);
}

void xmem_defer(struct xmem_work *w)
{
	KASSERT(xmem_defer_ready(), "xmem_defer: no reaper thread");
	spin_lock(&xmem_lock);
	xmem_defer_locked(w);
	spin_unlock(&xmem_lock);
}

void xmem_init(void)
{
	struct thread *t = thread_create("xmem_reaper", xmem_reaper, NULL, THREAD_ANY_HART);

	if (t)
		thread_detach(t);
	else
		kprintf("xmem: no reaper thread: xmdetach at interrupt level will fail\n");
	__atomic_store_n(&xm_reaper_running, t != NULL, __ATOMIC_RELEASE);
}

int xmdetach(struct xmem *dp)
{
	struct xm_attach *a = xmem_attachment(dp);
	bool now = thread_may_sleep(), ok;

	if (!a)
		return XMEM_FAIL;
	spin_lock(&xmem_lock);
	ok = !a->hidden && (now || xmem_defer_ready());
	if (ok)
		a->magic = 0;		/* no new hide or copy finds it from now on */
	if (ok && !now) {
		a->reap.run = xmem_release_work;	/* the reaper releases it: that may sleep */
		xmem_defer_locked(&a->reap);
	}
	spin_unlock(&xmem_lock);
	if (!ok)
		return XMEM_FAIL;
	if (now)
		xmem_release(a);
	dp->aspace_id = XMEM_INVAL;
	dp->subspace = NULL;
	return XMEM_SUCC;
}

/* xmem_run_at: the run holding va (inside the attachment). */
static const struct vm_map_object_run *xmem_run_at(const struct xm_attach *a, vm_offset_t va)
{
	int i = 0;

	while (va >= a->run[i].end)
		i++;
	return &a->run[i];
}

/* xmem_range_ok: [va, va + count) lies in a's buffer. */
static bool xmem_range_ok(const struct xm_attach *a, vm_offset_t va, int count)
{
	return count >= 0 && va >= a->base && va + (vm_offset_t)count >= va &&
	       va + (vm_offset_t)count <= a->end;
}

int xmem_space_of(const struct xmem *dp, caddr_t base, int len, struct vm_map **map)
{
	struct xm_attach *a = xmem_attachment(dp);

	if (!a)
		return EINVAL;
	if (!xmem_range_ok(a, (vm_offset_t)base, len))
		return EFAULT;
	*map = a->map;
	return 0;
}

/* xmem_copy: xmemin (out false) or xmemout, a run at a time. */
static int xmem_copy(struct xmem *dp, vm_offset_t va, char *kaddr, int count, bool out)
{
	struct xm_attach *a = xmem_attachment(dp);
	bool can_sleep = thread_may_sleep();

	if (!a || !xmem_range_ok(a, va, count) || (count && !kaddr))
		return XMEM_FAIL;
	while (count > 0) {
		const struct vm_map_object_run *r = xmem_run_at(a, va);
		vm_size_t n = MIN((vm_size_t)count, r->end - va);
		vm_object_offset_t off = r->offset + (va - r->start);
		kern_return_t kr;

		if (out && !(r->protection & VM_PROT_WRITE))
			return XMEM_FAIL;
		if (out)
			kr = can_sleep ? vm_object_write(r->object, off, kaddr, n)
				       : vm_object_write_resident(r->object, off, kaddr, n);
		else
			kr = can_sleep ? vm_object_read(r->object, off, kaddr, n)
				       : vm_object_read_resident(r->object, off, kaddr, n);
		if (kr != KERN_SUCCESS)
			return XMEM_FAIL;
		va += n, kaddr += n, count -= (int)n;
	}
	return XMEM_SUCC;
}

int xmemin(caddr_t uaddr, caddr_t kaddr, int count, struct xmem *dp)
{
	return xmem_copy(dp, (vm_offset_t)uaddr, kaddr, count, false);
}

int xmemout(caddr_t kaddr, caddr_t uaddr, int count, struct xmem *dp)
{
	return xmem_copy(dp, (vm_offset_t)uaddr, kaddr, count, true);
}

/* ---- xmemdma ---------------------------------------------------------------------------- */

/* hide_slot_locked: the slot of (object, offset), or NULL.  => xmem_lock held */
static struct xm_hide *hide_slot_locked(vm_object_t object, vm_object_offset_t offset)
{
	LOCK_ASSERT(spin_held(&xmem_lock), "hide_slot_locked: xmem_lock not held");
	for (int i = 0; i < XM_HIDE_MAX; i++)
		if (xm_hidden[i].object == object && xm_hidden[i].offset == offset)
			return &xm_hidden[i];
	return NULL;
}

/*
 * hide_again: a hide of a page hidden already (for the same device): one
 * more count.  => true, *io the page's address for the device
 */
static bool hide_again(struct xm_attach *a, vm_object_t object, vm_object_offset_t offset,
		       uint64_t *io)
{
	struct xm_hide *h;
	bool found = false;

	spin_lock(&xmem_lock);
	if (a->magic == XM_MAGIC && (h = hide_slot_locked(object, offset)) && h->eng == a->eng) {
		h->count++;
		a->hidden++;
		*io = h->ioaddr;
		found = true;
	}
	spin_unlock(&xmem_lock);
	return found;
}

/*
 * hide_busy: make the resident, wired page of (object, offset) busy,
 * waiting for another holder when the caller can sleep.  => it, or NULL
 */
static vm_page_t hide_busy(vm_object_t object, vm_object_offset_t offset, bool can_sleep)
{
	vm_page_t m;

	if (can_sleep)
		mutex_lock(&object->lock);
	else if (!mutex_trylock(&object->lock))
		return NULL;
	while ((m = vm_page_lookup(object, offset)) && m->wire_count && m->busy && can_sleep)
		vm_page_wait_busy(m);
	if (m && (!m->wire_count || m->busy || vm_page_fictitious(m)))
		m = NULL;		/* not pinned, or held by someone else */
	if (m)
		m->busy = true;
	mutex_unlock(&object->lock);
	return m;
}

/*
 * hide_prepare: the page's address for a's device: its own (no engine
 * bound), or what preparing it through the engine gives (*d: the
 * descriptor, to complete at the last unhide).  => false if that failed
 */
static bool hide_prepare(struct xm_attach *a, vm_page_t m, enum dma_direction dir,
			 struct dma_desc **d, uint64_t *io)
{
	const struct dma_segment *segs;
	uint32_t nsegs;

	*d = NULL;
	*io = m->phys_addr;
	if (!a->eng)
		return true;
	if (dma_desc_create_physical(m->phys_addr, PAGE_SIZE, dir, d) != KERN_SUCCESS)
		return false;
	if (dma_desc_prepare(*d, a->eng) == KERN_SUCCESS &&
	    dma_desc_segments(*d, &segs, &nsegs) == KERN_SUCCESS && nsegs == 1) {
		*io = segs[0].ioaddr;
		return true;
	}
	if ((*d)->state == DMA_DESC_PREPARED)
		dma_desc_complete(*d);
	dma_desc_destroy(*d);
	return false;
}

/* hide_done: undo hide_prepare's descriptor, if any. */
static void hide_done(struct dma_desc *d)
{
	if (d) {
		dma_desc_complete(d);
		dma_desc_destroy(d);
	}
}

/*
 * hide_first: the first hide of the page: busy, prepared for the device,
 * every CPU mapping gone, recorded.  => true, *io its address for the device
 */
static bool hide_first(struct xm_attach *a, vm_object_t object, vm_object_offset_t offset,
		       enum dma_direction dir, bool can_sleep, uint64_t *io)
{
	struct xm_hide *h = NULL;
	vm_page_t m = hide_busy(object, offset, can_sleep);
	struct dma_desc *d;

	if (!m)
		return false;
	if (!hide_prepare(a, m, dir, &d, io)) {
		vm_page_release(m);
		return false;
	}
	spin_lock(&xmem_lock);
	for (int i = 0; i < XM_HIDE_MAX && !h && a->magic == XM_MAGIC; i++)
		if (!xm_hidden[i].object)
			h = &xm_hidden[i];
	if (h) {
		*h = (struct xm_hide){ object, offset, m, 1, a->eng, d, *io };
		a->hidden++;
		xm_nhidden++;
	}
	spin_unlock(&xmem_lock);
	if (!h) {
		hide_done(d);		/* the table is full */
		vm_page_release(m);
		return false;
	}
	pmap_page_protect(m, VM_PROT_NONE);	/* every CPU access faults, and waits for release */
	return true;
}

/* xmem_hide: a hide of r's page at va.  => true, *io the page's address for the device */
static bool xmem_hide(struct xm_attach *a, const struct vm_map_object_run *r, vm_offset_t va,
		      enum dma_direction dir, uint64_t *io)
{
	vm_object_offset_t off = r->offset + (trunc_page(va) - r->start);
	bool can_sleep = thread_may_sleep(), done;

	if (can_sleep)
		mutex_lock(&xmem_hide_mutex);
	else if (!mutex_trylock(&xmem_hide_mutex))
		return false;
	done = hide_again(a, r->object, off, io) || hide_first(a, r->object, off, dir, can_sleep, io);
	mutex_unlock(&xmem_hide_mutex);
	return done;
}

/* xmem_unhide: an unhide of r's page at va; the last one reveals it.  => true, *io as hidden */
static bool xmem_unhide(struct xm_attach *a, const struct vm_map_object_run *r, vm_offset_t va,
			uint64_t *io)
{
	vm_object_offset_t off = r->offset + (trunc_page(va) - r->start);
	struct xm_hide *h, gone = { 0 };
	bool found = false;

	spin_lock(&xmem_lock);
	if (a->hidden > 0 && (h = hide_slot_locked(r->object, off)) && h->eng == a->eng) {
		found = true;
		*io = h->ioaddr;
		a->hidden--;
		if (--h->count == 0) {
			gone = *h;
			*h = (struct xm_hide){ 0 };
			xm_nhidden--;
		}
	}
	spin_unlock(&xmem_lock);
	if (gone.m) {
		hide_done(gone.desc);		/* the device is done with it */
		if (r->protection & VM_PROT_WRITE)
			pmap_set_modify(gone.m);	/* the device may have written it */
		vm_page_release(gone.m);	/* wakes the threads that touched it meanwhile */
	}
	return found;
}

int xmem_dma_bind(struct xmem *dp, struct dma_engine *eng)
{
	struct xm_attach *a = xmem_attachment(dp);
	bool ok;

	if (!a || !eng)
		return XMEM_FAIL;
	spin_lock(&xmem_lock);
	ok = a->hidden == 0;
	if (ok)
		a->eng = eng;
	spin_unlock(&xmem_lock);
	return ok ? XMEM_SUCC : XMEM_FAIL;
}

unsigned long long xmemdma64(struct xmem *dp, caddr_t xaddr, int flags)
{
	struct xm_attach *a = xmem_attachment(dp);
	vm_offset_t va = (vm_offset_t)xaddr;
	const struct vm_map_object_run *r;
	enum dma_direction dir = flags & XMEM_WRITE_ONLY ? DMA_TO_DEVICE : DMA_BIDIRECTIONAL;
	uint64_t io = 0;
	bool ok;

	if (!a || (flags & ~(XMEM_UNHIDE | XMEM_ACC_CHK | XMEM_WRITE_ONLY)) || va < a->base ||
	    va >= a->end)
		return (unsigned long long)XMEM_FAIL;
	r = xmem_run_at(a, va);
	if ((flags & XMEM_ACC_CHK) && !(r->protection & VM_PROT_WRITE) && !(flags & XMEM_WRITE_ONLY))
		return (unsigned long long)XMEM_FAIL;
	ok = flags & XMEM_UNHIDE ? xmem_unhide(a, r, va, &io) : xmem_hide(a, r, va, dir, &io);
	return ok ? io + (va & PAGE_MASK) : (unsigned long long)XMEM_FAIL;
}

int64_t xmemdma(struct xmem *xp, caddr_t xaddr, int flags)
{
	return (int64_t)xmemdma64(xp, xaddr, flags);
}

int xmem_hidden_count(void)
{
	int n;

	spin_lock(&xmem_lock);
	n = xm_nhidden;
	spin_unlock(&xmem_lock);
	return n;
}
