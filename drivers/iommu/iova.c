/*
 * iova.c: the I/O address arena (see iova.h).
 */
#include "drivers/iommu/iova.h"
#include "kern/kernel.h"
#include "vm/vm_zone.h"

static struct zone iova_seg_zone = ZONE_INIT("iova_seg", sizeof(struct iova_seg));

/* iova_class: the free list of a range of n pages (floor(log2 n)). */
static unsigned iova_class(uint64_t n)
{
	return 63u - (unsigned)__builtin_clzll(n);
}

static void iova_list_insert(struct iova_arena *a, struct iova_seg *s)
{
	unsigned c = iova_class(s->npages);

	s->free = true;
	s->lprev = NULL;
	s->lnext = a->freelist[c];
	if (s->lnext)
		s->lnext->lprev = s;
	a->freelist[c] = s;
	a->nonempty |= 1ull << c;
}

static void iova_list_remove(struct iova_arena *a, struct iova_seg *s)
{
	unsigned c = iova_class(s->npages);

	if (s->lprev)
		s->lprev->lnext = s->lnext;
	else
		a->freelist[c] = s->lnext;
	if (s->lnext)
		s->lnext->lprev = s->lprev;
	if (!a->freelist[c])
		a->nonempty &= ~(1ull << c);
	s->free = false;
}

/* iova_prio: a range's treap priority, a hash of its start (splitmix64's finalizer). */
static uint64_t iova_prio(const struct iova_seg *s)
{
	uint64_t x = s->start;

	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static struct iova_seg *iova_rotate_right(struct iova_seg *t)
{
	struct iova_seg *l = t->left;

	t->left = l->right;
	l->right = t;
	return l;
}

static struct iova_seg *iova_rotate_left(struct iova_seg *t)
{
	struct iova_seg *r = t->right;

	t->right = r->left;
	r->left = t;
	return r;
}

/* iova_treap_insert: the subtree t with s in it (by start), its root returned. */
static struct iova_seg *iova_treap_insert(struct iova_seg *t, struct iova_seg *s)
{
	if (!t)
		return s;
	if (s->start < t->start) {
		t->left = iova_treap_insert(t->left, s);
		if (iova_prio(t->left) > iova_prio(t))
			t = iova_rotate_right(t);
	} else {
		t->right = iova_treap_insert(t->right, s);
		if (iova_prio(t->right) > iova_prio(t))
			t = iova_rotate_left(t);
	}
	return t;
}

/* iova_tree_insert: an allocated range into the treap. */
static void iova_tree_insert(struct iova_arena *a, struct iova_seg *s)
{
	s->left = s->right = NULL;
	a->allocated = iova_treap_insert(a->allocated, s);
}

/* iova_tree_find: where the allocated range starting at page hangs (*link NULL if none). */
static struct iova_seg **iova_tree_find(struct iova_arena *a, uint64_t page)
{
	struct iova_seg **link = &a->allocated;

	while (*link && (*link)->start != page)
		link = page < (*link)->start ? &(*link)->left : &(*link)->right;
	return link;
}

/* iova_tree_take: the allocated range starting at page, out of the treap, or NULL. */
static struct iova_seg *iova_tree_take(struct iova_arena *a, uint64_t page)
{
	struct iova_seg **link = iova_tree_find(a, page), *s = *link;

	if (!s)
		return NULL;
	while (s->left && s->right) {	/* rotate it down below its higher child */
		if (iova_prio(s->left) > iova_prio(s->right)) {
			*link = iova_rotate_right(s);
			link = &(*link)->right;
		} else {
			*link = iova_rotate_left(s);
			link = &(*link)->left;
		}
	}
	*link = s->left ? s->left : s->right;
	return s;
}

kern_return_t iova_arena_init(struct iova_arena *a, uint64_t start, uint64_t end)
{
	struct iova_seg *s;

	if (start >= end)
		return KERN_INVALID_ARGUMENT;
	*a = (struct iova_arena){ .start = start, .end = end };
	spin_init(&a->lock, "iova_arena");
	if (!(s = zalloc_noblock(&iova_seg_zone)))
		return KERN_RESOURCE_SHORTAGE;
	*s = (struct iova_seg){ .start = start, .npages = end - start };
	a->first = s;
	a->nsegs = 1;
	iova_list_insert(a, s);
	return KERN_SUCCESS;
}

void iova_arena_destroy(struct iova_arena *a)
{
	KASSERT(a->allocated_pages == 0, "iova_arena_destroy: %lu pages still allocated",
		a->allocated_pages);
	for (struct iova_seg *s = a->first, *next; s; s = next) {
		next = s->next;
		zfree(&iova_seg_zone, s);
	}
	a->first = NULL;
}

/* iova_split_after: s keeps its first n pages; the rest becomes the free range r after it. */
static void iova_split_after(struct iova_arena *a, struct iova_seg *s, uint64_t n, struct iova_seg *r)
{
	*r = (struct iova_seg){ .start = s->start + n, .npages = s->npages - n, .prev = s,
				.next = s->next };
	if (s->next)
		s->next->prev = r;
	s->next = r;
	s->npages = n;
	a->nsegs++;
	iova_list_insert(a, r);
}

kern_return_t iova_alloc_aligned(struct iova_arena *a, uint64_t npages, uint64_t align,
				 uint64_t phase, uint64_t *page)
{
	uint64_t need = npages + align - 1, head;
	unsigned want;
	uint64_t fits;
	struct iova_seg *s, *spare[2];

	if (npages == 0 || align == 0 || (align & (align - 1)) || phase >= align)
		return KERN_INVALID_ARGUMENT;
	if (need > a->end - a->start)
		return KERN_NO_SPACE;
	want = iova_class(need) + ((need & (need - 1)) != 0);	/* ceil(log2 need) */
	spare[0] = zalloc_noblock(&iova_seg_zone);	/* before the lock: splits may need them */
	spare[1] = zalloc_noblock(&iova_seg_zone);
	spin_lock(&a->lock);
	fits = want < 64 ? a->nonempty & (~0ull << want) : 0;
	s = fits ? a->freelist[__builtin_ctzll(fits)] : NULL;
	head = s ? (phase - s->start) & (align - 1) : 0;
	if (!s || ((head || s->npages > head + npages) && !spare[0]) ||
	    (head && s->npages > head + npages && !spare[1])) {
		spin_unlock(&a->lock);
		for (int i = 0; i < 2; i++)
			if (spare[i])
				zfree(&iova_seg_zone, spare[i]);
		return s ? KERN_RESOURCE_SHORTAGE : KERN_NO_SPACE;
	}
	iova_list_remove(a, s);
	if (head) {			/* the pages before the aligned start stay free */
		struct iova_seg *h = s;

		s = spare[0];
		spare[0] = spare[1];
		spare[1] = NULL;
		iova_split_after(a, h, head, s);
		iova_list_remove(a, s);
		iova_list_insert(a, h);
	}
	if (s->npages > npages) {	/* so do the pages after it */
		iova_split_after(a, s, npages, spare[0]);
		spare[0] = NULL;
	}
	iova_tree_insert(a, s);
	a->allocated_pages += npages;
	*page = s->start;
	spin_unlock(&a->lock);
	for (int i = 0; i < 2; i++)
		if (spare[i])
			zfree(&iova_seg_zone, spare[i]);
	return KERN_SUCCESS;
}

kern_return_t iova_alloc(struct iova_arena *a, uint64_t npages, uint64_t *page)
{
	return iova_alloc_aligned(a, npages, 1, 0, page);
}

/* iova_absorb_next: s takes in its successor's pages.  => the successor is on no list */
static struct iova_seg *iova_absorb_next(struct iova_arena *a, struct iova_seg *s)
{
	struct iova_seg *n = s->next;

	s->npages += n->npages;
	s->next = n->next;
	if (n->next)
		n->next->prev = s;
	a->nsegs--;
	return n;
}

kern_return_t iova_free(struct iova_arena *a, uint64_t page, uint64_t npages)
{
	struct iova_seg *s, *gone[2] = { NULL, NULL };

	spin_lock(&a->lock);
	s = iova_tree_take(a, page);
	if (!s || s->npages != npages) {
		if (s)
			iova_tree_insert(a, s);
		spin_unlock(&a->lock);
		return KERN_INVALID_ARGUMENT;
	}
	a->allocated_pages -= npages;
	if (s->next && s->next->free) {
		iova_list_remove(a, s->next);
		gone[0] = iova_absorb_next(a, s);
	}
	if (s->prev && s->prev->free) {
		s = s->prev;
		iova_list_remove(a, s);
		gone[1] = iova_absorb_next(a, s);
	}
	iova_list_insert(a, s);
	spin_unlock(&a->lock);
	for (int i = 0; i < 2; i++)
		if (gone[i])
			zfree(&iova_seg_zone, gone[i]);
	return KERN_SUCCESS;
}

int iova_arena_check(struct iova_arena *a, void (*report)(const char *fmt, ...))
{
	uint64_t at = a->start, allocated = 0, nsegs = 0;
	int bad = 0;

	spin_lock(&a->lock);
	for (struct iova_seg *s = a->first; s; s = s->next, nsegs++) {
		/* The ranges tile the arena in address order. */
		if (s->start != at || s->npages == 0 || (s->next && s->next->prev != s)) {
			report("iova: range at page 0x%lx breaks the tiling (expected 0x%lx)\n", s->start,
			       at);
			bad++;
		}
		/* No two free ranges side by side: they would have been merged. */
		if (s->free && s->next && s->next->free) {
			report("iova: free ranges 0x%lx and 0x%lx not merged\n", s->start, s->next->start);
			bad++;
		}
		/* Each free range on its list, each allocated one in the treap. */
		if (s->free && !(a->nonempty & (1ull << iova_class(s->npages)))) {
			report("iova: free range 0x%lx on an empty list\n", s->start);
			bad++;
		}
		if (!s->free) {
			if (*iova_tree_find(a, s->start) != s) {
				report("iova: allocated range 0x%lx not in the treap\n", s->start);
				bad++;
			}
			allocated += s->npages;
		}
		at = s->start + s->npages;
	}
	if (at != a->end || allocated != a->allocated_pages || nsegs != a->nsegs) {
		report("iova: ranges end at 0x%lx (arena 0x%lx), %lu pages allocated (counted %lu), "
		       "%lu ranges (counted %lu)\n", at, a->end, allocated, a->allocated_pages, nsegs,
		       a->nsegs);
		bad++;
	}
	spin_unlock(&a->lock);
	return bad;
}

void iova_arena_walk(struct iova_arena *a, void (*fn)(void *arg, uint64_t start, uint64_t npages),
		     void *arg)
{
	spin_lock(&a->lock);
	for (struct iova_seg *s = a->first; s; s = s->next)
		if (!s->free)
			fn(arg, s->start, s->npages);
	spin_unlock(&a->lock);
}
