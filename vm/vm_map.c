/*
 * vm_map.c: address maps (see vm_map.h).
 *
 * The entries of a map are both a list in address order and an AVL tree
 * keyed by start.  Every entry records the free gap before it
 * (gap_before) and every tree node the largest gap_before below it
 * (max_gap), so vm_map_find_space descends only into subtrees that have a
 * gap big enough.
 */
#include <stdarg.h>
#include <string.h>

#include "kern/kernel.h"
#include "vm/vm_fault.h"
#include "vm/vm_map.h"
#include "vm/vm_map_internal.h"
#include "vm/vm_pageout.h"
#include "vm/vm_object.h"
#include "vm/vm_ws.h"
#include "vm/vm_zone.h"

static struct zone vm_map_zone = ZONE_INIT("vm_map", sizeof(struct vm_map));
static struct zone vm_map_entry_zone = ZONE_INIT("vm_map_entry", sizeof(struct vm_map_entry));

vm_map_t kernel_map;

/* ---- the tree ------------------------------------------------------------------ */

static int tree_height(const struct vm_map_entry *e)
{
	return e ? e->height : 0;
}

static vm_size_t tree_max_gap(const struct vm_map_entry *e)
{
	return e ? e->max_gap : 0;
}

static void tree_update(struct vm_map_entry *e)
{
	e->height = 1 + MAX(tree_height(e->left), tree_height(e->right));
	e->max_gap = MAX(e->gap_before, MAX(tree_max_gap(e->left), tree_max_gap(e->right)));
}

static void tree_replace_child(vm_map_t map, struct vm_map_entry *old, struct vm_map_entry *new)
{
	struct vm_map_entry *p = old->parent;

	if (new)
		new->parent = p;
	if (!p)
		map->root = new;
	else if (p->left == old)
		p->left = new;
	else
		p->right = new;
}

static void tree_rotate_left(vm_map_t map, struct vm_map_entry *x)
{
	struct vm_map_entry *y = x->right;

	x->right = y->left;
	if (y->left)
		y->left->parent = x;
	tree_replace_child(map, x, y);
	y->left = x;
	x->parent = y;
	tree_update(x);
	tree_update(y);
}

static void tree_rotate_right(vm_map_t map, struct vm_map_entry *x)
{
	struct vm_map_entry *y = x->left;

	x->left = y->right;
	if (y->right)
		y->right->parent = x;
	tree_replace_child(map, x, y);
	y->right = x;
	x->parent = y;
	tree_update(x);
	tree_update(y);
}

static int tree_balance(const struct vm_map_entry *e)
{
	return tree_height(e->left) - tree_height(e->right);
}

/* tree_fix: restore heights, gaps and balance from e up to the root. */
static void tree_fix(vm_map_t map, struct vm_map_entry *e)
{
	for (; e; e = e->parent) {
		tree_update(e);
		if (tree_balance(e) > 1) {
			if (tree_balance(e->left) < 0)
				tree_rotate_left(map, e->left);
			tree_rotate_right(map, e);
			e = e->parent;
		} else if (tree_balance(e) < -1) {
			if (tree_balance(e->right) > 0)
				tree_rotate_right(map, e->right);
			tree_rotate_left(map, e);
			e = e->parent;
		}
	}
}

/*
 * tree_insert: e, already linked into the list, becomes a leaf of the tree
 * next to its neighbour, with no descent: the left child of its successor
 * if that has none, else the right child of its predecessor (the largest
 * node of the successor's left subtree, so it has no right child).
 */
static void tree_insert(vm_map_t map, struct vm_map_entry *e)
{
	struct vm_map_entry **link = &map->root, *parent = NULL;

	if (e->next && !e->next->left)
		link = &(parent = e->next)->left;
	else if (e->prev)
		link = &(parent = e->prev)->right;
	KASSERT(!*link, "tree_insert: 0x%lx: the place is taken", e->start);
	e->left = e->right = NULL;
	e->parent = parent;
	e->height = 1;
	*link = e;
	tree_fix(map, e);
}

static void tree_remove(vm_map_t map, struct vm_map_entry *e)
{
	struct vm_map_entry *fix;

	if (e->left && e->right) {
		struct vm_map_entry *s = e->right;	/* the successor takes e's place */

		while (s->left)
			s = s->left;
		fix = s->parent == e ? s : s->parent;
		if (s->parent != e) {
			s->parent->left = s->right;
			if (s->right)
				s->right->parent = s->parent;
			s->right = e->right;
			e->right->parent = s;
		}
		s->left = e->left;
		e->left->parent = s;
		tree_replace_child(map, e, s);
	} else {
		struct vm_map_entry *child = e->left ? e->left : e->right;

		/* From the child: it may be e's successor, whose gap changed. */
		fix = child ? child : e->parent;
		tree_replace_child(map, e, child);
	}
	tree_fix(map, fix);
}

/* tree_set_gap: recompute e's gap_before and carry it up the tree. */
static void tree_set_gap(vm_map_t map, struct vm_map_entry *e)
{
	if (!e)
		return;
	e->gap_before = e->start - (e->prev ? e->prev->end : map->min_offset);
	tree_fix(map, e);
}

/* ---- entries ------------------------------------------------------------------- */

uint64_t vm_map_entry_count(void)
{
	return zone_items_used(&vm_map_entry_zone);
}

static void entry_reference_target(struct vm_map_entry *e)
{
	if (e->is_submap) {
		__atomic_fetch_add(&e->submap->submap_users, 1, __ATOMIC_RELAXED);
		vm_map_reference(e->submap);
	}
	else if (e->object)
		vm_object_reference(e->object);
}

static void entry_release_target(struct vm_map_entry *e)
{
	if (e->is_submap) {
		__atomic_fetch_sub(&e->submap->submap_users, 1, __ATOMIC_RELAXED);
		vm_map_deallocate(e->submap);
	}
	else if (e->object)
		vm_object_deallocate(e->object);
}

/* entry_link: put e (fields set) into map after prev (NULL: first). */
static void entry_link(vm_map_t map, struct vm_map_entry *prev, struct vm_map_entry *e)
{
	e->prev = prev;
	e->next = prev ? prev->next : map->first;
	if (e->next)
		e->next->prev = e;
	else
		map->last = e;
	if (prev)
		prev->next = e;
	else
		map->first = e;
	map->nentries++;
	map->size += e->end - e->start;
	e->gap_before = e->start - (prev ? prev->end : map->min_offset);
	/*
	 * The successor of a new leaf is one of its ancestors, so the pass
	 * tree_insert makes up from e carries the successor's new gap too.
	 */
	if (e->next)
		e->next->gap_before = e->next->start - e->end;
	tree_insert(map, e);
}

static void entry_unlink(vm_map_t map, struct vm_map_entry *e)
{
	struct vm_map_entry *next = e->next;

	/* The successor is on the path tree_remove fixes (see there): one pass carries its gap. */
	if (next)
		next->gap_before = next->start - (e->prev ? e->prev->end : map->min_offset);
	tree_remove(map, e);
	if (e->prev)
		e->prev->next = next;
	else
		map->first = next;
	if (next)
		next->prev = e->prev;
	else
		map->last = e->prev;
	map->nentries--;
	map->size -= e->end - e->start;
	if (vm_map_hint(map) == e)
		vm_map_hint_set(map, e->prev);
}

/*
 * entry_clip_start: split e at addr (inside it); e keeps [addr, end).  e's
 * tree position stays right: nothing lies between its old and new start.
 */
static bool entry_clip_start(vm_map_t map, struct vm_map_entry *e, vm_offset_t addr)
{
	struct vm_map_entry *front;

	if (addr <= e->start)
		return true;
	if (!(front = zalloc(&vm_map_entry_zone)))
		return false;
	*front = *e;
	front->end = addr;
	entry_reference_target(front);
	map->size -= addr - e->start;		/* entry_link counts the front again */
	e->offset += addr - e->start;
	e->start = addr;
	entry_link(map, e->prev, front);
	return true;
}

/* entry_clip_end: split e at addr (inside it); e keeps [start, addr). */
static bool entry_clip_end(vm_map_t map, struct vm_map_entry *e, vm_offset_t addr)
{
	struct vm_map_entry *back;

	if (addr >= e->end)
		return true;
	if (!(back = zalloc(&vm_map_entry_zone)))
		return false;
	*back = *e;
	back->start = addr;
	back->offset += addr - e->start;
	entry_reference_target(back);
	map->size -= e->end - addr;
	e->end = addr;
	entry_link(map, e, back);
	return true;
}

/* entry_mergeable: b could extend a (a just before b, same everything). */
static bool entry_mergeable(const struct vm_map_entry *a, const struct vm_map_entry *b)
{
	return a && b && a->end == b->start && !a->is_submap && !b->is_submap &&
	       a->object == b->object &&
	       (a->object == NULL || a->offset + (a->end - a->start) == b->offset) &&
	       a->protection == b->protection && a->max_protection == b->max_protection &&
	       a->inheritance == b->inheritance && a->behavior == b->behavior &&
	       a->wired_count == b->wired_count && a->user_wired_count == b->user_wired_count &&
	       a->pin_count == b->pin_count &&
	       a->needs_copy == b->needs_copy && a->is_shared == b->is_shared;
}

/* entry_coalesce: merge e into its predecessor when nothing tells them apart. */
static struct vm_map_entry *entry_coalesce(vm_map_t map, struct vm_map_entry *e)
{
	struct vm_map_entry *prev = e ? e->prev : NULL;

	if (!entry_mergeable(prev, e))
		return e;
	entry_unlink(map, e);
	map->size -= prev->end - prev->start;
	prev->end = e->end;
	map->size += prev->end - prev->start;
	tree_set_gap(map, prev->next);
	entry_release_target(e);		/* prev holds its own reference */
	zfree(&vm_map_entry_zone, e);
	return prev;
}

static void entry_dispose(struct vm_map_entry *e)
{
	entry_release_target(e);
	zfree(&vm_map_entry_zone, e);
}

/* ---- lookup and space ------------------------------------------------------------ */

/* vm_map_lookup_entry_locked: the entry containing addr, else NULL. */
vm_map_entry_t vm_map_lookup_entry_locked(vm_map_t map, vm_offset_t addr)
{
	struct vm_map_entry *e = vm_map_hint(map);

	LOCK_ASSERT(rw_held(&map->lock), "vm_map_lookup_entry_locked: map %p not locked", (void *)map);
	if (e && addr >= e->start && addr < e->end)
		return e;
	for (e = map->root; e;) {
		if (addr < e->start) {
			e = e->left;
		} else if (addr >= e->end) {
			e = e->right;
		} else {
			vm_map_hint_set(map, e);
			return e;
		}
	}
	return NULL;
}

struct vm_map_entry *vm_map_entry_at_or_after_locked(vm_map_t map, vm_offset_t addr)
{
	struct vm_map_entry *e = vm_map_hint(map), *best = NULL;

	LOCK_ASSERT(rw_held(&map->lock),
		"vm_map_entry_at_or_after_locked: map %p not locked", (void *)map);
	if (e && addr < e->end && (!e->prev || addr >= e->prev->end))
		return e;		/* in the hint or in the gap before it */
	for (e = map->root; e;) {
		if (addr < e->end) {
			best = e;
			e = e->left;
		} else {
			e = e->right;
		}
	}
	return best;
}

static bool gap_fits(vm_offset_t lo, vm_offset_t hi, vm_size_t size, vm_size_t align, vm_offset_t *out)
{
	vm_offset_t a = ROUND_UP(lo, align);

	if (a < lo || a > hi || hi - a < size)
		return false;
	*out = a;
	return true;
}

/*
 * find_gap_page: find_gap for page alignment, where any gap of size bytes
 * fits (every bound is page aligned): one descent, no backtracking.
 */
static bool find_gap_page(vm_map_t map, vm_size_t size, vm_offset_t *out,
			  struct vm_map_entry **after)
{
	struct vm_map_entry *e = map->root;

	if (!e || e->max_gap < size)
		return false;
	for (;;) {
		if (e->left && e->left->max_gap >= size)
			e = e->left;
		else if (e->gap_before >= size)
			break;
		else
			e = e->right;	/* the subtree's max_gap is here, then */
	}
	*out = e->prev ? e->prev->end : map->min_offset;
	*after = e;
	return true;
}

/* find_gap: leftmost entry (*after) whose gap before it holds size at align. */
static bool find_gap(vm_map_t map, struct vm_map_entry *e, vm_size_t size, vm_size_t align,
		     vm_offset_t *out, struct vm_map_entry **after)
{
	if (!e || e->max_gap < size)
		return false;
	if (find_gap(map, e->left, size, align, out, after))
		return true;
	if (e->gap_before >= size &&
	    gap_fits(e->prev ? e->prev->end : map->min_offset, e->start, size, align, out)) {
		*after = e;
		return true;
	}
	return find_gap(map, e->right, size, align, out, after);
}

/*
 * vm_map_find_space_locked: the lowest free [a, a+size) with a aligned to
 * align; *after is the entry after it (NULL: none).
 */
static bool vm_map_find_space_locked(vm_map_t map, vm_size_t size, vm_size_t align, vm_offset_t *out,
				     struct vm_map_entry **after)
{
	LOCK_ASSERT(rw_held(&map->lock), "vm_map_find_space_locked: map %p not locked", (void *)map);

	if (align == PAGE_SIZE ? find_gap_page(map, size, out, after)
			       : find_gap(map, map->root, size, align, out, after))
		return true;
	*after = NULL;
	return gap_fits(map->last ? map->last->end : map->min_offset, map->max_offset, size, align, out);
}

/* vm_map_range_free_locked: nothing mapped in [start, end); *after is the entry after it. */
static bool vm_map_range_free_locked(vm_map_t map, vm_offset_t start, vm_offset_t end,
				     struct vm_map_entry **after)
{
	struct vm_map_entry *e = vm_map_entry_at_or_after_locked(map, start);

	LOCK_ASSERT(rw_held(&map->lock), "vm_map_range_free_locked: map %p not locked", (void *)map);

	*after = e;
	return !e || e->start >= end;
}

/* ---- maps -------------------------------------------------------------------------- */

vm_map_t vm_map_create(pmap_t pmap, vm_offset_t min, vm_offset_t max)
{
	vm_map_t map;

	if (min >= max || !page_aligned(min) || !page_aligned(max) || !(map = zalloc(&vm_map_zone)))
		return NULL;
	rw_init(&map->lock, "vm_map");
	map->min_offset = min;
	map->max_offset = max;
	map->pmap = pmap;
	map->ref_count = 1;
	return map;
}

void vm_map_reference(vm_map_t map)
{
	__atomic_fetch_add(&map->ref_count, 1, __ATOMIC_RELAXED);
}

/* range_args: page-rounded [start, end) of (addr, size); false if it wraps. */
static bool range_args(vm_address_t addr, vm_size_t size, vm_offset_t *start, vm_offset_t *end)
{
	*start = trunc_page(addr);
	*end = round_page(addr + size);
	return addr + size >= addr && (*end >= *start) && !(size && *end == 0);
}

/* range_mapped_locked: [start, end) is covered by entries without a hole. */
static bool range_mapped_locked(vm_map_t map, vm_offset_t start, vm_offset_t end)
{
	struct vm_map_entry *e = vm_map_lookup_entry_locked(map, start);

	LOCK_ASSERT(rw_held(&map->lock), "range_mapped_locked: map %p not locked", (void *)map);

	for (; e && e->start < end; e = e->next) {
		if (e->end >= end)
			return true;
		if (!e->next || e->next->start != e->end)
			return false;
	}
	return start == end;
}

/* clip_range_locked: entries split so that none straddles start or end; returns the first inside. */
static struct vm_map_entry *clip_range_locked(vm_map_t map, vm_offset_t start, vm_offset_t end,
					      kern_return_t *kr)
{
	struct vm_map_entry *first = vm_map_entry_at_or_after_locked(map, start), *last;

	LOCK_ASSERT(rw_write_held(&map->lock),
		"clip_range_locked: map %p not write-locked", (void *)map);

	*kr = KERN_SUCCESS;
	if (!first || first->start >= end)
		return NULL;
	last = first->end >= end ? first : vm_map_entry_at_or_after_locked(map, end - 1);
	if ((first->use_pmap && first->start < start) ||
	    (last && last->use_pmap && last->start < end && last->end > end)) {
		*kr = KERN_INVALID_ARGUMENT;	/* nested page tables are shared whole */
		return NULL;
	}
	if (!entry_clip_start(map, first, start) ||
	    (last && last->start < end && !entry_clip_end(map, last, end))) {
		*kr = KERN_RESOURCE_SHORTAGE;	/* a split or none: nothing visible changed */
		return NULL;
	}
	return first;	/* the clips kept it in place: it now starts at start or above */
}


/*
 * entry_unwire_pages: drop the wiring of every page the entry wired.  The
 * pages are found in the entry's object (wiring always puts them there),
 * not through the pmap: a mapping may be gone (protection NONE) while the
 * page is still wired.
 */
static void entry_unwire_pages(vm_map_t map, struct vm_map_entry *e)
{
	if (!e->object)
		return;
	mutex_lock(&e->object->lock);
	for (vm_offset_t va = e->start; va < e->end; va += PAGE_SIZE) {
		vm_page_t m = vm_page_lookup(e->object, e->offset + (va - e->start));

		if (!m || !m->wire_count)
			continue;
		pmap_change_wiring(map->pmap, va, FALSE);
		vm_page_unwire(m);
	}
	mutex_unlock(&e->object->lock);
}

/*
 * entry_unmap_in_parents: when map is a submap, the maps that hold it
 * without use_pmap map its pages in their own pmaps: lower those mappings
 * of e's pages too (prot as vm_object_pmap_protect takes it: NONE removes,
 * READ write-protects).  Nested parents share map's pmap and need nothing.
 * => map write-locked
 */
static inline void entry_unmap_in_parents(vm_map_t map, struct vm_map_entry *e, vm_prot_t prot)
{
	if (__builtin_expect(__atomic_load_n(&map->submap_users, __ATOMIC_RELAXED) != 0, 0) &&
	    !e->is_submap && e->object)
		vm_object_pmap_protect(e->object, e->offset, e->end - e->start, prot);
}

/*
 * entry_drop_private_pages: an entry going away whose object no other
 * entry maps at the same offsets (one_mapping: the other references are
 * the other pieces of a clipped entry, or transient) takes the object's
 * pages and paged-out copies in its range with it, rather than leave
 * them until the object dies.  => map write-locked
 */
static void entry_drop_private_pages(struct vm_map_entry *e)
{
	if (e->is_submap || !e->object || !__atomic_load_n(&e->object->one_mapping, __ATOMIC_ACQUIRE))
		return;
	if (e->offset == 0 && e->end - e->start >= e->object->size)
		return;				/* the last deallocate frees it all at once */
	vm_object_page_remove(e->object, e->offset, e->offset + (e->end - e->start));
}

/* vm_map_delete_locked: remove every entry in [start, end), wired or not. */
static kern_return_t vm_map_delete_locked(vm_map_t map, vm_offset_t start, vm_offset_t end)
{
	kern_return_t kr;
	struct vm_map_entry *e = clip_range_locked(map, start, end, &kr);

	LOCK_ASSERT(rw_write_held(&map->lock),
		"vm_map_delete_locked: map %p not write-locked", (void *)map);

	while (e && e->start < end) {
		struct vm_map_entry *next = e->next;

		if (vm_map_entry_wired(e))
			entry_unwire_pages(map, e);
		if (e->is_submap && e->use_pmap)
			pmap_unnest(map->pmap, e->start, e->end - e->start);
		else
			pmap_remove(map->pmap, e->start, e->end);
		entry_unmap_in_parents(map, e, VM_PROT_NONE);
		entry_drop_private_pages(e);
		entry_unlink(map, e);
		entry_dispose(e);
		e = next;
	}
	return kr;
}

void vm_map_deallocate(vm_map_t map)
{
	if (!map || __atomic_sub_fetch(&map->ref_count, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	vm_map_lock(map);
	vm_map_delete_locked(map, map->min_offset, map->max_offset);
	vm_map_unlock(map);
	if (map->pmap && map->pmap != kernel_pmap)
		pmap_destroy(map->pmap);
	vm_ws_destroy(map->ws);
	zfree(&vm_map_zone, map);
}

kern_return_t vm_map_ws_start(vm_map_t map, struct vm_ws **ws)
{
	vm_ws_t fresh, none = NULL;

	if (!map || !ws)
		return KERN_INVALID_ARGUMENT;
	if (!__atomic_load_n(&map->ws, __ATOMIC_ACQUIRE)) {
		if (!(fresh = vm_ws_create()))
			return KERN_RESOURCE_SHORTAGE;
		if (!__atomic_compare_exchange_n(&map->ws, &none, fresh, false, __ATOMIC_ACQ_REL,
						 __ATOMIC_ACQUIRE))
			vm_ws_destroy(fresh);	/* another thread's came first */
	}
	*ws = __atomic_load_n(&map->ws, __ATOMIC_ACQUIRE);
	return KERN_SUCCESS;
}

/* ---- the calls ------------------------------------------------------------------------- */

/*
 * vm_map_enter_locked: a new entry for [start, start+size) (free, just
 * before `after`, NULL: at the end) with these attributes; it becomes the
 * lookup hint.
 */
static kern_return_t vm_map_enter_locked(vm_map_t map, struct vm_map_entry *after, vm_offset_t start,
					 vm_size_t size, struct vm_object *object,
					 vm_object_offset_t offset, vm_prot_t prot, vm_prot_t max,
					 vm_inherit_t inherit, struct vm_map_entry **out)
{
	struct vm_map_entry *e = zalloc(&vm_map_entry_zone);

	LOCK_ASSERT(rw_write_held(&map->lock),
		"vm_map_enter_locked: map %p not write-locked", (void *)map);

	if (!e)
		return KERN_RESOURCE_SHORTAGE;
	*e = (struct vm_map_entry){ .start = start, .end = start + size, .object = object,
				    .offset = offset, .protection = prot, .max_protection = max,
				    .inheritance = inherit, .behavior = VM_BEHAVIOR_DEFAULT };
	entry_link(map, after ? after->prev : map->last, e);
	vm_map_hint_set(map, e);
	if (out)
		*out = e;
	else
		entry_coalesce(map, e);
	return KERN_SUCCESS;
}

/*
 * map_place_locked: where the size bytes go: at *address as given
 * (VM_FLAGS_FIXED) or the first free range aligned to mask + 1
 * (VM_FLAGS_ANYWHERE, *address set); *after: the entry that will follow it.
 * => map write-locked; KERN_NO_SPACE
 */
static inline __attribute__((always_inline)) kern_return_t
map_place_locked(vm_map_t map, vm_offset_t *address, vm_size_t size, vm_offset_t mask, int flags,
		 struct vm_map_entry **after)
{
	vm_offset_t start = *address;

	LOCK_ASSERT(rw_held(&map->lock), "map_place_locked: map %p not locked", (void *)map);

	if (flags & VM_FLAGS_ANYWHERE)
		return vm_map_find_space_locked(map, size, MAX(PAGE_SIZE, mask + 1), address, after) ?
		       KERN_SUCCESS : KERN_NO_SPACE;
	if (start < map->min_offset || start + size < start || start + size > map->max_offset ||
	    !vm_map_range_free_locked(map, start, start + size, after))
		return KERN_NO_SPACE;
	return KERN_SUCCESS;
}

/* enter_args_ok: what vm_map_enter and vm_map_enter_submap refuse as KERN_INVALID_ARGUMENT. */
static bool enter_args_ok(vm_map_t map, vm_offset_t *address, vm_size_t size, vm_offset_t mask,
			  int flags, vm_prot_t cur, vm_prot_t max, vm_inherit_t inheritance)
{
	return map && address && size && !(flags & ~VM_FLAGS_ALL) && round_page(size) >= size &&
	       !((mask + 1) & mask) && !(cur & ~max) && !(max & ~VM_PROT_ALL) &&
	       inheritance <= VM_INHERIT_LAST_VALID &&
	       ((flags & VM_FLAGS_ANYWHERE) || (page_aligned(*address) && !(*address & mask)));
}

/* map_enter: vm_map_enter, the entry also marked shared (reached through another map) if shared. */
static inline __attribute__((always_inline)) kern_return_t
map_enter(vm_map_t map, vm_offset_t *address, vm_size_t size, vm_offset_t mask, int flags,
	  struct vm_object *object, vm_object_offset_t offset, boolean_t needs_copy, bool shared,
	  vm_prot_t cur_protection, vm_prot_t max_protection, vm_inherit_t inheritance)
{
	struct vm_map_entry *e, *after;
	vm_offset_t start = address ? *address : 0;
	kern_return_t kr;

	if (!enter_args_ok(map, address, size, mask, flags, cur_protection, max_protection,
			   inheritance) || !page_aligned(offset))
		return KERN_INVALID_ARGUMENT;
	size = round_page(size);
	if (object && (offset + size < offset || offset + size > object->size))
		return KERN_INVALID_ARGUMENT;
	vm_map_lock(map);
	kr = map_place_locked(map, &start, size, mask, flags, &after);
	if (kr == KERN_SUCCESS)
		kr = vm_map_enter_locked(map, after, start, size, object, offset, cur_protection,
					 max_protection, inheritance, &e);
	if (kr == KERN_SUCCESS) {
		e->needs_copy = needs_copy;
		e->is_shared = shared;
		e = entry_coalesce(map, e);
		if (e->next)
			entry_coalesce(map, e->next);
		*address = start;
	}
	vm_map_unlock(map);
	return kr;
}

kern_return_t vm_map_enter(vm_map_t map, vm_offset_t *address, vm_size_t size, vm_offset_t mask,
			   int flags, struct vm_object *object, vm_object_offset_t offset,
			   boolean_t needs_copy, vm_prot_t cur_protection, vm_prot_t max_protection,
			   vm_inherit_t inheritance)
{
	return map_enter(map, address, size, mask, flags, object, offset, needs_copy, false,
			 cur_protection, max_protection, inheritance);
}

kern_return_t vm_map_enter_shared(vm_map_t map, vm_offset_t *address, vm_size_t size,
				  vm_offset_t mask, int flags, struct vm_object *object,
				  vm_object_offset_t offset, vm_prot_t cur_protection,
				  vm_prot_t max_protection, vm_inherit_t inheritance)
{
	return map_enter(map, address, size, mask, flags, object, offset, FALSE, true,
			 cur_protection, max_protection, inheritance);
}

kern_return_t vm_allocate(vm_map_t map, vm_address_t *addr, vm_size_t size, int flags)
{
	return vm_map_enter(map, addr, size, 0, flags, NULL, 0, FALSE, VM_PROT_DEFAULT, VM_PROT_ALL,
			    VM_INHERIT_DEFAULT);
}

kern_return_t vm_deallocate(vm_map_t map, vm_address_t addr, vm_size_t size)
{
	vm_offset_t start, end;
	kern_return_t kr;

	if (!map || !range_args(addr, size, &start, &end))
		return KERN_INVALID_ARGUMENT;
	if (start == end)
		return KERN_SUCCESS;
	if (start < map->min_offset || end > map->max_offset)
		return KERN_INVALID_ADDRESS;
	vm_map_lock(map);
	kr = vm_map_delete_locked(map, start, end);
	vm_map_unlock(map);
	return kr;
}

/*
 * range_op_begin: the common opening of protect/inherit/behavior_set:
 * arguments checked, map write-locked, range mapped without holes and
 * clipped.  On success returns the first entry (map locked); on failure
 * NULL with *kr set and the map unlocked.  An empty range: NULL, success.
 */
static struct vm_map_entry *range_op_begin(vm_map_t map, vm_address_t addr, vm_size_t size,
					   vm_offset_t *start, vm_offset_t *end, kern_return_t *kr)
{
	struct vm_map_entry *e;

	*kr = KERN_SUCCESS;
	if (!map || !range_args(addr, size, start, end)) {
		*kr = KERN_INVALID_ARGUMENT;
		return NULL;
	}
	if (*start == *end)
		return NULL;
	if (*start < map->min_offset || *end > map->max_offset) {
		*kr = KERN_INVALID_ADDRESS;
		return NULL;
	}
	vm_map_lock(map);
	if (!range_mapped_locked(map, *start, *end))
		*kr = KERN_INVALID_ADDRESS;
	else if ((e = clip_range_locked(map, *start, *end, kr)) != NULL)
		return e;
	vm_map_unlock(map);
	return NULL;
}

/* range_op_end: coalesce what the operation may have made alike again; unlock. */
static void range_op_end(vm_map_t map, vm_offset_t start, vm_offset_t end)
{
	struct vm_map_entry *e = vm_map_entry_at_or_after_locked(map, start);

	while (e && e->start <= end) {
		struct vm_map_entry *next = e->next;

		entry_coalesce(map, e);
		e = next;
	}
	vm_map_unlock(map);
}

kern_return_t vm_protect(vm_map_t map, vm_address_t addr, vm_size_t size, boolean_t set_maximum,
			 vm_prot_t new_prot)
{
	vm_offset_t start, end;
	struct vm_map_entry *e, *first;
	kern_return_t kr;

	if (new_prot & ~VM_PROT_ALL)
		return KERN_INVALID_ARGUMENT;
	if (!(first = range_op_begin(map, addr, size, &start, &end, &kr)))
		return kr;
	for (e = first; e && e->start < end; e = e->next) {	/* check every entry first */
		if ((new_prot & ~e->max_protection) || e->use_pmap) {
			range_op_end(map, start, end);
			/* A nested submap's protection is its own entries': change them there. */
			return e->use_pmap ? KERN_INVALID_ARGUMENT : KERN_PROTECTION_FAILURE;
		}
	}
	for (e = first; e && e->start < end; e = e->next) {
		vm_prot_t old = e->protection;

		if (set_maximum) {
			e->max_protection = new_prot;
			e->protection &= new_prot;
		} else {
			e->protection = new_prot;
		}
		if (old & ~e->protection) {	/* only lowering touches the pmap */
			pmap_protect(map->pmap, e->start, e->end, vm_map_entry_pmap_prot(e));
			entry_unmap_in_parents(map, e, (old & ~e->protection) == VM_PROT_WRITE ?
					       VM_PROT_READ : VM_PROT_NONE);
		}
	}
	range_op_end(map, start, end);
	return KERN_SUCCESS;
}

kern_return_t vm_inherit(vm_map_t map, vm_address_t addr, vm_size_t size, vm_inherit_t inheritance)
{
	vm_offset_t start, end;
	struct vm_map_entry *e;
	kern_return_t kr;

	if (inheritance > VM_INHERIT_LAST_VALID)
		return KERN_INVALID_ARGUMENT;
	if (!(e = range_op_begin(map, addr, size, &start, &end, &kr)))
		return kr;
	for (; e && e->start < end; e = e->next)
		e->inheritance = inheritance;
	range_op_end(map, start, end);
	return KERN_SUCCESS;
}

kern_return_t vm_behavior_set(vm_map_t map, vm_address_t addr, vm_size_t size,
			      vm_behavior_t behavior)
{
	vm_offset_t start, end;
	struct vm_map_entry *e;
	kern_return_t kr;

	if (behavior < VM_BEHAVIOR_DEFAULT || behavior > VM_BEHAVIOR_LAST_VALID)
		return KERN_INVALID_ARGUMENT;
	if (!(e = range_op_begin(map, addr, size, &start, &end, &kr)))
		return kr;
	for (; e && e->start < end; e = e->next)
		e->behavior = behavior;
	range_op_end(map, start, end);
	return KERN_SUCCESS;
}

static int entry_share_mode(const struct vm_map_entry *e)
{
	if (e->is_submap)
		return SM_PRIVATE;
	if (!e->object)
		return SM_EMPTY;
	if (e->needs_copy)
		return SM_COW;
	return (e->is_shared || e->object->ref_count > 1) ? SM_SHARED : SM_PRIVATE;
}

vm_size_t vm_map_user_wired_size(vm_map_t map)
{
	vm_size_t n = 0;

	rw_lock_read(&map->lock);
	for (struct vm_map_entry *e = map->first; e; e = e->next)
		if (e->user_wired_count)
			n += e->end - e->start;
	rw_unlock_read(&map->lock);
	return n;
}

boolean_t vm_map_check_protection(vm_map_t map, vm_offset_t start, vm_offset_t end,
				  vm_prot_t protection)
{
	struct vm_map_entry *e;
	vm_offset_t a = trunc_page(start);
	boolean_t ok = map && start <= end;

	if (!ok)
		return FALSE;
	rw_lock_read(&map->lock);
	while (ok && a < end) {
		e = vm_map_lookup_entry_locked(map, a);
		ok = e && !(protection & ~e->protection);
		if (ok && e->is_submap) {	/* one level: the submap's entry limits it too */
			vm_map_t sub = e->submap;
			struct vm_map_entry *se;

			rw_lock_read(&sub->lock);
			se = vm_map_lookup_entry_locked(sub, a - e->start + e->offset);
			ok = se && !(protection & ~se->protection);
			rw_unlock_read(&sub->lock);
			a += PAGE_SIZE;	/* the submap's entries need not line up with e */
			continue;
		}
		if (ok)
			a = e->end;
	}
	rw_unlock_read(&map->lock);
	return ok;
}

kern_return_t vm_region(vm_map_t map, vm_address_t *address, vm_size_t *size,
			vm_region_basic_info_data_t *info)
{
	struct vm_map_entry *e;

	if (!map || !address || !size || !info)
		return KERN_INVALID_ARGUMENT;
	rw_lock_read(&map->lock);
	e = vm_map_entry_at_or_after_locked(map, *address);
	if (!e) {
		rw_unlock_read(&map->lock);
		return KERN_NO_SPACE;
	}
	*info = (vm_region_basic_info_data_t){
		.protection = e->protection, .max_protection = e->max_protection,
		.inheritance = e->inheritance, .behavior = e->behavior,
		.shared = entry_share_mode(e) == SM_SHARED, .offset = e->offset,
		.user_wired_count = e->user_wired_count, .share_mode = entry_share_mode(e),
		.object_id = (!e->is_submap && e->object) ? e->object->id : 0,
	};
	*address = e->start;
	*size = e->end - e->start;
	rw_unlock_read(&map->lock);
	return KERN_SUCCESS;
}

/* map_has_submaps: an entry of map is a submap.  => another map's lock may be held (parent first) */
static bool map_has_submaps(vm_map_t map)
{
	bool found = false;

	rw_lock_read(&map->lock);
	for (struct vm_map_entry *e = map->first; e && !found; e = e->next)
		found = e->is_submap;
	rw_unlock_read(&map->lock);
	return found;
}

kern_return_t vm_map_enter_submap(vm_map_t map, vm_offset_t *address, vm_size_t size,
				  vm_offset_t mask, int flags, vm_map_t submap, vm_offset_t offset,
				  boolean_t use_pmap, vm_prot_t cur_protection, vm_prot_t max_protection,
				  vm_inherit_t inheritance)
{
	struct vm_map_entry *e, *after;
	vm_offset_t start = address ? *address : 0;
	kern_return_t kr = KERN_SUCCESS;

	if (!enter_args_ok(map, address, size, mask, flags, cur_protection, max_protection,
			   inheritance) || !submap || map == submap || !page_aligned(size) ||
	    !page_aligned(offset) || offset < submap->min_offset || offset + size < offset ||
	    offset + size > submap->max_offset)
		return KERN_INVALID_ARGUMENT;
	if (use_pmap && ((flags & VM_FLAGS_ANYWHERE) || offset != start ||
			 !IS_ALIGNED(start | size, 2 * MiB)))
		return KERN_INVALID_ARGUMENT;	/* nested tables: the same addresses, whole tables */
	vm_map_lock(map);
	if (__atomic_load_n(&map->submap_users, __ATOMIC_RELAXED) || map_has_submaps(submap))
		kr = KERN_INVALID_ARGUMENT;	/* one level of submaps (no cycles either) */
	else
		kr = map_place_locked(map, &start, size, mask, flags, &after);
	if (kr == KERN_SUCCESS && use_pmap)
		kr = pmap_nest(submap->pmap, map->pmap, start, size);
	if (kr == KERN_SUCCESS &&
	    (kr = vm_map_enter_locked(map, after, start, size, NULL, offset, cur_protection,
				      max_protection, inheritance, &e)) == KERN_SUCCESS) {
		e->is_submap = true;
		e->use_pmap = use_pmap;
		e->submap = submap;
		entry_reference_target(e);
		*address = start;
	} else if (kr != KERN_NO_SPACE && kr != KERN_INVALID_ARGUMENT && use_pmap) {
		pmap_unnest(map->pmap, start, size);
	}
	vm_map_unlock(map);
	return kr;
}

kern_return_t vm_map_submap(vm_map_t map, vm_offset_t start, vm_offset_t end, vm_map_t submap,
			    vm_offset_t offset, boolean_t use_pmap)
{
	if (start >= end)
		return KERN_INVALID_ARGUMENT;
	return vm_map_enter_submap(map, &start, end - start, 0, VM_FLAGS_FIXED, submap, offset,
				   use_pmap, VM_PROT_ALL, VM_PROT_ALL, VM_INHERIT_SHARE);
}

/* ---- the fault path's view ------------------------------------------------------------- */

/*
 * vm_map_lookup_prepare_locked: give e an object, and its own copy when a
 * write must not reach a shared one.  => map write-locked
 */
static kern_return_t vm_map_lookup_prepare_locked(struct vm_map_entry *e, vm_prot_t fault_type)
{
	if (!e->object) {
		if (!(e->object = vm_object_allocate(e->end - e->start)))
			return KERN_RESOURCE_SHORTAGE;
		e->offset = 0;
		e->object->one_mapping = true;
	}
	if ((fault_type & VM_PROT_WRITE) && e->needs_copy) {
		if (!vm_object_shadow(&e->object, &e->offset, e->end - e->start))
			return KERN_RESOURCE_SHORTAGE;
		e->object->one_mapping = true;	/* the entry's own copy */
		e->needs_copy = false;
	}
	return KERN_SUCCESS;
}

/*
 * submap_entry_privatize_locked: a write through a submap that map holds
 * without use_pmap.  The reference's rule: the structure of such a map is
 * shared, the contents of its pages are not.  The part of map's entry over
 * the submap entry at vaddr becomes map's own copy-on-write mapping of
 * that entry's object (XNU does the same for a shared region's data):
 * pages map holds no copy of go on showing the submap's, written ones are
 * map's alone, and that part follows map's entry from now on (later
 * changes in the submap reach the rest of the range, not it).
 * => map write-locked; KERN_SUCCESS also when the entry changed meanwhile
 *    (the caller looks again); KERN_PROTECTION_FAILURE if the submap's
 *    entry does not allow writing, KERN_INVALID_ADDRESS if it has none
 */
static kern_return_t submap_entry_privatize_locked(vm_map_t map, vm_offset_t vaddr)
{
	struct vm_map_entry *e = vm_map_lookup_entry_locked(map, vaddr), *se;
	vm_offset_t lo, hi;
	vm_map_t sub;
	kern_return_t kr;

	LOCK_ASSERT(rw_write_held(&map->lock),
		"submap_entry_privatize_locked: map %p not write-locked", (void *)map);

	if (!e || !e->is_submap || e->use_pmap)
		return KERN_SUCCESS;
	sub = e->submap;
	vm_map_reference(sub);		/* held across e's release below */
	vm_map_lock(sub);
	se = vm_map_lookup_entry_locked(sub, vaddr - e->start + e->offset);
	if (!se || se->is_submap)
		kr = KERN_INVALID_ADDRESS;
	else if (!(se->protection & e->protection & VM_PROT_WRITE))
		kr = KERN_PROTECTION_FAILURE;
	else	/* the object the copies come from: the submap entry's own */
		kr = vm_map_lookup_prepare_locked(se, se->needs_copy ? VM_PROT_WRITE : VM_PROT_READ);
	lo = e->start + (MAX(se ? se->start : 0, e->offset) - e->offset);
	hi = e->start + (MIN(se ? se->end : 0, e->offset + (e->end - e->start)) - e->offset);
	if (kr == KERN_SUCCESS && !(e = clip_range_locked(map, lo, hi, &kr)) && kr == KERN_SUCCESS)
		kr = KERN_RESOURCE_SHORTAGE;
	if (kr == KERN_SUCCESS) {
		entry_release_target(e);	/* the submap: not its last reference (held above) */
		e->is_submap = false;
		e->object = se->object;
		vm_object_share(e->object);
		e->offset = se->offset + (e->offset - se->start);
		e->needs_copy = true;
		e->protection &= se->protection;
		e->max_protection &= se->max_protection;
		e->behavior = se->behavior;
	}
	vm_map_unlock(sub);
	vm_map_deallocate(sub);
	return kr;
}

/*
 * vm_map_lookup_slow: vm_map_lookup through a submap, or with the entry
 * to prepare first, or to report an error.  Through a submap held without
 * use_pmap, pages are mapped read-only in the parent's pmap and a write
 * gives the parent its own copy (submap_entry_privatize_locked).
 * => nothing locked on entry
 */
static __attribute__((noinline)) kern_return_t
vm_map_lookup_slow(struct vm_map_lookup_info *info, vm_offset_t vaddr, vm_prot_t fault_type)
{
	vm_map_t top = info->map, map = top;
	vm_prot_t limit = VM_PROT_ALL;		/* the outer entry's protection, through a submap */
	struct vm_map_entry *e;
	kern_return_t kr = KERN_SUCCESS;

	info->real_map = map;
	rw_lock_read(&map->lock);
	for (;;) {
		if (!(e = vm_map_lookup_entry_locked(map, vaddr)))
			kr = KERN_INVALID_ADDRESS;
		else if (fault_type & ~(e->protection & limit))
			kr = KERN_PROTECTION_FAILURE;
		if (kr != KERN_SUCCESS)
			break;
		if (e->is_submap && !e->use_pmap && (fault_type & VM_PROT_WRITE)) {
			rw_unlock_read(&map->lock);	/* the parent's own copy: map changes */
			vm_map_lock(map);
			kr = submap_entry_privatize_locked(map, vaddr);
			vm_map_lock_downgrade(map);
			if (kr != KERN_SUCCESS)
				break;
			continue;			/* look again: a plain entry now */
		}
		if (e->is_submap) {		/* one level: the first map stays locked */
			vm_map_t sub = e->submap;

			vaddr = vaddr - e->start + e->offset;
			limit &= e->protection;
			if (e->use_pmap)
				info->real_map = sub;	/* shared tables: map it there */
			else
				limit &= ~VM_PROT_WRITE;	/* the contents are shared until written */
			rw_lock_read(&sub->lock);
			info->map = map = sub;
			continue;
		}
		if (!vm_map_entry_needs_prepare(e, fault_type))
			break;
		rw_unlock_read(&map->lock);	/* the entry changes: take the lock for writing */
		vm_map_lock(map);
		e = vm_map_lookup_entry_locked(map, vaddr);
		if (e && !e->is_submap && !(fault_type & ~(e->protection & limit)))
			kr = vm_map_lookup_prepare_locked(e, fault_type);
		vm_map_lock_downgrade(map);
		if (kr != KERN_SUCCESS)
			break;
	}
	if (kr != KERN_SUCCESS) {
		vm_map_lookup_done(top, map);
		return kr;
	}
	vm_map_lookup_result(e, vaddr, limit, info);
	return KERN_SUCCESS;
}

kern_return_t vm_map_lookup_info(struct vm_map_lookup_info *info, vm_offset_t vaddr,
				 vm_prot_t fault_type)
{
	vm_map_t map = info->map;
	struct vm_map_entry *e;

	if (!map)
		return KERN_INVALID_ARGUMENT;
	/* The common case: the hint's entry, allowed, ready (anything else: start over). */
	rw_lock_read(&map->lock);
	e = vm_map_hint(map);
	if (!e || vaddr < e->start || vaddr >= e->end)
		e = vm_map_lookup_entry_locked(map, vaddr);
	if (!e || !vm_map_entry_fault_ready(e, fault_type)) {
		rw_unlock_read(&map->lock);
		return vm_map_lookup_slow(info, vaddr, fault_type);
	}
	info->real_map = map;
	vm_map_lookup_result(e, vaddr, VM_PROT_ALL, info);
	return KERN_SUCCESS;
}

kern_return_t vm_map_lookup(vm_map_t *mapp, vm_offset_t vaddr, vm_prot_t fault_type,
			    struct vm_object **object, vm_object_offset_t *offset, vm_prot_t *prot,
			    bool *wired, vm_behavior_t *behavior, vm_map_t *real_map)
{
	struct vm_map_lookup_info info = { .map = *mapp };
	kern_return_t kr = vm_map_lookup_info(&info, vaddr, fault_type);

	*mapp = info.map;
	if (kr != KERN_SUCCESS)
		return kr;
	*object = info.object;
	*offset = info.offset;
	*prot = info.prot;
	*wired = info.wired;
	*behavior = info.behavior;
	*real_map = info.real_map;
	return KERN_SUCCESS;
}

/* ---- wiring ---------------------------------------------------------------------------- */

/* The three counts a wiring of an entry is kept in: one wiring never undoes another kind. */
enum wire_kind {
	WIRE_KERNEL,		/* vm_map_wire(..., FALSE): kmem, the kernel's own */
	WIRE_USER,		/* vm_map_wire(..., TRUE): a task's vm_wire */
	WIRE_PIN,		/* vm_map_pin: the AIX pins */
};

static uint16_t *entry_wire_counter(struct vm_map_entry *e, enum wire_kind kind)
{
	return kind == WIRE_USER ? &e->user_wired_count
	       : kind == WIRE_PIN ? &e->pin_count : &e->wired_count;
}

/*
 * entry_fault_wire: bring in the page at va, map it (wired in the pmap with
 * PMAP_WIRED) and wire the page.  A wired page must be the entry's own (a
 * later write must not move the mapping to a copy), so the object-level
 * fault is always a write: it copies a page up from the chain; the mapping
 * keeps the entry's protection.  A page table that cannot be had waits
 * for the pageout daemon, as the fault path does.
 * => map write-locked (so the entry is prepared here, not by vm_map_lookup)
 * => *mp: the page, in e->object
 */
static kern_return_t entry_fault_wire(vm_map_t map, struct vm_map_entry *e, vm_offset_t va,
				      vm_prot_t access, int pmap_flags, vm_page_t *mp)
{
	kern_return_t kr = vm_map_lookup_prepare_locked(e, access | VM_PROT_WRITE);
	bool readonly;
	vm_prot_t prot;
	vm_page_t m;

	if (kr != KERN_SUCCESS)
		return kr;
	vm_object_reference(e->object);
	do {
		kr = vm_fault_page(e->object, e->offset + (va - e->start), access | VM_PROT_WRITE,
				   e->behavior, &m, &readonly,
				   __atomic_load_n(&map->submap_users, __ATOMIC_RELAXED) != 0);
		if (kr != KERN_SUCCESS)
			break;
		prot = vm_map_entry_pmap_prot(e) & ~(readonly ? VM_PROT_WRITE : 0);
		kr = pmap_enter(map->pmap, va, m, prot, pmap_flags);
		if (kr == KERN_SUCCESS) {
			mutex_lock(&m->object->lock);
			vm_page_wire(m);
			mutex_unlock(&m->object->lock);
			*mp = m;
		}
		vm_fault_page_done(m);
	} while (kr == KERN_RESOURCE_SHORTAGE && vm_pageout_wait_memory());
	vm_object_deallocate(e->object);
	return kr;
}

/* entry_wire_pages: fault in and wire each page of e (its first wiring). */
static kern_return_t entry_wire_pages(vm_map_t map, struct vm_map_entry *e, vm_prot_t access)
{
	for (vm_offset_t va = e->start; va < e->end; va += PAGE_SIZE) {
		vm_page_t m;
		kern_return_t kr = entry_fault_wire(map, e, va, access, PMAP_WIRED, &m);

		if (kr != KERN_SUCCESS) {
			struct vm_map_entry part = *e;

			part.end = va;		/* undo the pages done so far */
			entry_unwire_pages(map, &part);
			return kr;
		}
	}
	return KERN_SUCCESS;
}

/* map_wire: vm_map_wire with the count kind. */
static kern_return_t map_wire(vm_map_t map, vm_offset_t start, vm_offset_t end, vm_prot_t access_type,
			      enum wire_kind kind)
{
	struct vm_map_entry *e, *first;
	kern_return_t kr;

	if (access_type & ~VM_PROT_ALL || end < start)
		return KERN_INVALID_ARGUMENT;
	if (!(first = range_op_begin(map, start, end - start, &start, &end, &kr)))
		return kr;
	for (e = first; e && e->start < end; e = e->next) {
		if ((access_type & ~e->protection) || e->protection == VM_PROT_NONE || e->is_submap ||
		    *entry_wire_counter(e, kind) == UINT16_MAX) {
			kr = e->is_submap ? KERN_INVALID_ARGUMENT
			     : *entry_wire_counter(e, kind) == UINT16_MAX ? KERN_FAILURE
										: KERN_PROTECTION_FAILURE;
			range_op_end(map, start, end);
			return kr;
		}
	}
	for (e = first; e && e->start < end; e = e->next) {
		if (!vm_map_entry_wired(e) &&
		    (kr = entry_wire_pages(map, e, access_type)) != KERN_SUCCESS) {
			for (struct vm_map_entry *u = first; u != e; u = u->next)	/* undo */
				if (--*entry_wire_counter(u, kind) == 0 && !vm_map_entry_wired(u))
					entry_unwire_pages(map, u);
			range_op_end(map, start, end);
			return kr;
		}
		(*entry_wire_counter(e, kind))++;
	}
	range_op_end(map, start, end);
	return KERN_SUCCESS;
}

/* map_unwire: vm_map_unwire with the count kind. */
static kern_return_t map_unwire(vm_map_t map, vm_offset_t start, vm_offset_t end, enum wire_kind kind)
{
	struct vm_map_entry *e, *first;
	kern_return_t kr;

	if (end < start)
		return KERN_INVALID_ARGUMENT;
	if (!(first = range_op_begin(map, start, end - start, &start, &end, &kr)))
		return kr;
	for (e = first; e && e->start < end; e = e->next) {
		if (*entry_wire_counter(e, kind) == 0) {
			range_op_end(map, start, end);
			return KERN_FAILURE;
		}
	}
	for (e = first; e && e->start < end; e = e->next)
		if (--*entry_wire_counter(e, kind) == 0 && !vm_map_entry_wired(e))
			entry_unwire_pages(map, e);
	range_op_end(map, start, end);
	return KERN_SUCCESS;
}

kern_return_t vm_map_wire(vm_map_t map, vm_offset_t start, vm_offset_t end, vm_prot_t access_type,
			  boolean_t user_wire)
{
	return map_wire(map, start, end, access_type, user_wire ? WIRE_USER : WIRE_KERNEL);
}

kern_return_t vm_map_unwire(vm_map_t map, vm_offset_t start, vm_offset_t end, boolean_t user_wire)
{
	return map_unwire(map, start, end, user_wire ? WIRE_USER : WIRE_KERNEL);
}

kern_return_t vm_map_pin(vm_map_t map, vm_offset_t start, vm_offset_t end, vm_prot_t access_type)
{
	return map_wire(map, start, end, access_type, WIRE_PIN);
}

kern_return_t vm_map_unpin(vm_map_t map, vm_offset_t start, vm_offset_t end)
{
	return map_unwire(map, start, end, WIRE_PIN);
}

bool vm_map_pinned_try(vm_map_t map, vm_offset_t start, vm_offset_t end, bool *pinned)
{
	struct vm_map_entry *e;
	vm_offset_t covered = start;

	if (!rw_trylock_read(&map->lock))
		return false;
	for (e = vm_map_lookup_entry_locked(map, start); e && covered < end; e = e->next) {
		if (e->start > covered || e->is_submap || !e->pin_count)
			break;
		covered = e->end;
	}
	rw_unlock_read(&map->lock);
	*pinned = start < end && covered >= end;
	return true;
}


/*
 * The I/O hold (Apple's IOPL, AIX's xmattach): the pages themselves are
 * wired and their objects referenced by the holder, not the map entries.
 * The range may be deallocated while held (the entries go at once, as in
 * Mach); the pages stay in their objects, wired, until released, so a
 * device never writes a page that was freed and reused.
 */

/*
 * entry_hold_pages: hold e's pages in [start, end) into pages[]; on error
 * none stays held.  Pages resident and wired in e's own object (a wired
 * entry's, or memory wired without its entry: pinned_heap's) are held as
 * they are, without a fault.
 */
static kern_return_t entry_hold_pages(vm_map_t map, struct vm_map_entry *e, vm_offset_t start,
				      vm_offset_t end, vm_prot_t access, vm_page_t *pages)
{
	if (e->object && (vm_map_entry_wired(e) || !e->needs_copy) &&
	    vm_object_pages_hold(e->object, e->offset + (start - e->start),
				 (uint32_t)atop(end - start), pages))
		return KERN_SUCCESS;
	for (vm_offset_t va = start; va < end; va += PAGE_SIZE) {
		vm_page_t m;
		kern_return_t kr = entry_fault_wire(map, e, va, access, 0, &m);

		if (kr != KERN_SUCCESS) {
			vm_object_pages_unhold(pages, (uint32_t)atop(va - start), false);
			return kr;
		}
		vm_object_page_hold(m);
		pages[atop(va - start)] = m;
	}
	return KERN_SUCCESS;
}

kern_return_t vm_map_hold_pages(vm_map_t map, vm_offset_t start, vm_offset_t end, vm_prot_t access,
				vm_page_t *pages)
{
	struct vm_map_entry *e, *first;
	kern_return_t kr;
	vm_page_t *out = pages;

	if (!pages || access == VM_PROT_NONE || (access & ~VM_PROT_ALL) || end < start)
		return KERN_INVALID_ARGUMENT;
	if (!(first = range_op_begin(map, start, end - start, &start, &end, &kr)))
		return kr;
	for (e = first; e && e->start < end; e = e->next)
		if ((access & ~e->protection) || e->is_submap) {
			range_op_end(map, start, end);
			return e->is_submap ? KERN_INVALID_ARGUMENT : KERN_PROTECTION_FAILURE;
		}
	for (e = first; e && e->start < end; e = e->next) {
		kr = entry_hold_pages(map, e, e->start, MIN(e->end, end), access, out);
		if (kr != KERN_SUCCESS) {
			vm_object_pages_unhold(pages, (uint32_t)(out - pages), false);
			break;
		}
		out += atop(MIN(e->end, end) - e->start);
	}
	range_op_end(map, start, end);
	return kr;
}

kern_return_t vm_map_attach_objects(vm_map_t map, vm_offset_t start, vm_offset_t end,
				    struct vm_map_object_run *runs, int max, int *n)
{
	struct vm_map_entry *e, *first;
	kern_return_t kr = KERN_SUCCESS;
	int count = 0;

	if (!n || end <= start || max < 0 || (max && !runs))
		return KERN_INVALID_ARGUMENT;
	*n = 0;
	if (!(first = range_op_begin(map, start, end - start, &start, &end, &kr)))
		return kr;
	for (e = first; e && e->start < end && kr == KERN_SUCCESS; e = e->next, count++)
		kr = e->is_submap ? KERN_INVALID_ARGUMENT
		     : !(e->protection & VM_PROT_READ) ? KERN_PROTECTION_FAILURE : KERN_SUCCESS;
	if (kr == KERN_SUCCESS && count > max) {
		*n = count;
		kr = KERN_NO_SPACE;
	}
	/* Ready for the entry's own access: a writable one gets its private copy now. */
	for (e = first; kr == KERN_SUCCESS && e && e->start < end; e = e->next)
		kr = vm_map_entry_prepare_locked(e, e->protection & (VM_PROT_READ | VM_PROT_WRITE));
	for (e = first; kr == KERN_SUCCESS && e && e->start < end; e = e->next, (*n)++) {
		vm_object_attach(e->object);
		runs[*n] = (struct vm_map_object_run){ e->start, e->end, e->object, e->offset,
						       e->protection };
	}
	range_op_end(map, start, end);
	return kr;
}

/* ---- checking and printing -------------------------------------------------------------- */

struct map_check {
	vm_map_t map;
	void (*report)(const char *fmt, ...);
	int bad;
	const void *run_target;		/* object or submap of the entries just checked */
	int run;			/* how many adjacent entries name it */
};

#define MCHECK(mc, cond, ...)				\
	do {						\
		if (!(cond)) {				\
			(mc)->report(__VA_ARGS__);	\
			(mc)->bad++;			\
		}					\
	} while (0)

/* check_tree: heights, balance, parents, order and gap summaries of a subtree; returns its height. */
static int check_tree(struct map_check *mc, struct vm_map_entry *e, struct vm_map_entry *parent,
		      vm_offset_t lo, vm_offset_t hi)
{
	int hl, hr;

	if (!e)
		return 0;
	MCHECK(mc, e->parent == parent, "vm_map_check: 0x%lx has the wrong parent\n", e->start);
	MCHECK(mc, e->start >= lo && e->end <= hi, "vm_map_check: 0x%lx out of tree order\n", e->start);
	hl = check_tree(mc, e->left, e, lo, e->start);
	hr = check_tree(mc, e->right, e, e->end, hi);
	MCHECK(mc, e->height == 1 + MAX(hl, hr), "vm_map_check: 0x%lx height %d, should be %d\n",
	       e->start, e->height, 1 + MAX(hl, hr));
	MCHECK(mc, hl - hr <= 1 && hr - hl <= 1, "vm_map_check: 0x%lx unbalanced (%d/%d)\n", e->start,
	       hl, hr);
	MCHECK(mc, e->max_gap == MAX(e->gap_before, MAX(tree_max_gap(e->left), tree_max_gap(e->right))),
	       "vm_map_check: 0x%lx max_gap 0x%lx wrong\n", e->start, e->max_gap);
	return 1 + MAX(hl, hr);
}

/*
 * check_entry_refs: each entry holds a reference to its object or submap,
 * so a run of adjacent entries naming one (a range clipped into pieces)
 * needs at least that many.  Other holders only add to the count.
 */
static void check_entry_refs(struct map_check *mc, struct vm_map_entry *e)
{
	const void *target = e->is_submap ? (const void *)e->submap : (const void *)e->object;
	int refs;

	if (!target) {
		mc->run_target = NULL;
		return;
	}
	mc->run = target == mc->run_target ? mc->run + 1 : 1;
	mc->run_target = target;
	refs = __atomic_load_n(e->is_submap ? &e->submap->ref_count : &e->object->ref_count,
			       __ATOMIC_RELAXED);
	MCHECK(mc, refs >= mc->run, "vm_map_check: 0x%lx: %d entries in a row name %s %p, %d refs\n",
	       e->start, mc->run, e->is_submap ? "submap" : "object", target, refs);
}

/* check_entry: one entry's own invariants; deep: its object's too. */
static void check_entry(struct map_check *mc, struct vm_map_entry *e, bool deep)
{
	vm_map_t map = mc->map;
	vm_offset_t prev_end = e->prev ? e->prev->end : map->min_offset;

	MCHECK(mc, e->start < e->end && page_aligned(e->start) && page_aligned(e->end),
	       "vm_map_check: bad range 0x%lx-0x%lx\n", e->start, e->end);
	MCHECK(mc, e->start >= prev_end, "vm_map_check: 0x%lx overlaps the entry before\n", e->start);
	MCHECK(mc, e->gap_before == e->start - prev_end, "vm_map_check: 0x%lx gap_before wrong\n",
	       e->start);
	MCHECK(mc, !(e->protection & ~e->max_protection),
	       "vm_map_check: 0x%lx protection 0x%x exceeds max 0x%x\n", e->start, e->protection,
	       e->max_protection);
	MCHECK(mc, e->inheritance <= VM_INHERIT_LAST_VALID && e->behavior >= 0 &&
			   e->behavior <= VM_BEHAVIOR_LAST_VALID,
	       "vm_map_check: 0x%lx bad inheritance/behavior\n", e->start);
	MCHECK(mc, !e->next || e->next->prev == e, "vm_map_check: broken list after 0x%lx\n", e->start);
	if (!e->is_submap && e->object) {
		MCHECK(mc, e->offset + (e->end - e->start) <= e->object->size,
		       "vm_map_check: 0x%lx runs past its object's end\n", e->start);
		if (deep)
			mc->bad += vm_object_check(e->object, mc->report);
	}
	check_entry_refs(mc, e);
}

/*
 * map_check_locked: vm_map_check's work; deep: the entries' objects and
 * submaps too (the submaps locked after map, as lookups do), else the
 * map's own structure only.  => map locked
 */
static int map_check_locked(vm_map_t map, void (*report)(const char *fmt, ...), bool deep)
{
	struct map_check mc = { .map = map, .report = report };
	struct vm_map_entry *hint = vm_map_hint(map);
	bool hint_found = hint == NULL;
	vm_size_t size = 0;
	int n = 0;

	for (struct vm_map_entry *e = map->first; e; e = e->next, n++) {
		check_entry(&mc, e, deep);
		size += e->end - e->start;
		hint_found |= e == hint;
		MCHECK(&mc, e->next || map->last == e, "vm_map_check: last entry is not map->last\n");
		if (deep && e->is_submap &&
		    (!e->next || !e->next->is_submap || e->next->submap != e->submap))
			mc.bad += vm_map_check(e->submap, report);
	}
	MCHECK(&mc, !map->last || map->last->end <= map->max_offset, "vm_map_check: entry past the end\n");
	MCHECK(&mc, n == map->nentries, "vm_map_check: %d entries listed, count says %d\n", n,
	       map->nentries);
	MCHECK(&mc, size == map->size, "vm_map_check: 0x%lx bytes listed, count says 0x%lx\n", size,
	       map->size);
	MCHECK(&mc, hint_found, "vm_map_check: the hint %p is not an entry of the map\n", (void *)hint);
	check_tree(&mc, map->root, NULL, map->min_offset, map->max_offset);
	return mc.bad;
}

int vm_map_check(vm_map_t map, void (*report)(const char *fmt, ...))
{
	int bad;

	rw_lock_read(&map->lock);
	bad = map_check_locked(map, report, true);
	rw_unlock_read(&map->lock);
	return bad;
}

/* map_check_report: vm_map_unlock's reports go to the console. */
static void map_check_report(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kvprintf(fmt, ap);
	va_end(ap);
}

/* map_assert_consistent: in KINVARIANTS builds, map's structure is sound.  => map write-locked */
static void map_assert_consistent(vm_map_t map)
{
	if (kinvariants)
		KASSERT(map_check_locked(map, map_check_report, false) == 0,
			"vm_map_unlock: map %p is inconsistent (see above)", (void *)map);
}

void vm_map_unlock(vm_map_t map)
{
	map_assert_consistent(map);
	rw_unlock_write(&map->lock);
}

void vm_map_lock_downgrade(vm_map_t map)
{
	map_assert_consistent(map);
	rw_downgrade(&map->lock);
}

/*
 * The printers' words for an entry's fields, indexed by value (prot:
 * a letter per bit), and vm_map_print_near's reach.  tools/gdb/vm.py reads
 * these by name, so that its showmap says what vm_map_print says.
 */
static const struct {
	vm_prot_t bit;
	char letter;
} vm_prot_letters[] KDEBUG_VISIBLE = {
	{ VM_PROT_READ, 'r' }, { VM_PROT_WRITE, 'w' }, { VM_PROT_EXECUTE, 'x' },
};
static const char *const vm_inherit_names[] KDEBUG_VISIBLE = { "share", "copy", "none" };
static const char *const vm_behavior_names[] KDEBUG_VISIBLE = {
	"default", "random", "sequential", "rseqntl",
};
static const vm_size_t vm_map_print_near_span KDEBUG_VISIBLE = VM_MAP_PRINT_NEAR;

static const char *prot_str(vm_prot_t p, char buf[4])
{
	for (unsigned i = 0; i < ARRAY_SIZE(vm_prot_letters); i++)
		buf[i] = (p & vm_prot_letters[i].bit) ? vm_prot_letters[i].letter : '-';
	buf[3] = '\0';
	return buf;
}

/* map_print_lock: read-lock map for printing; with try, only if that needs no wait. */
static bool map_print_lock(vm_map_t map, bool try, int indent, int (*print)(const char *fmt, ...))
{
	if (!try) {
		rw_lock_read(&map->lock);
		return true;
	}
	if (rw_trylock_read(&map->lock))
		return true;
	print("%*smap %p: locked, not printed\n", indent, "", (void *)map);
	return false;
}

/*
 * map_print_locked: the header line and the entries of map that meet
 * [lo, hi), indented by indent; with full, the object chains behind them
 * and the entries of submaps (locked after map, as lookups do; skipped if
 * try and the lock is taken).  => map read-locked
 */
static void map_print_locked(vm_map_t map, vm_offset_t lo, vm_offset_t hi, bool full, bool try,
			     int indent, int (*print)(const char *fmt, ...))
{
	LOCK_ASSERT(rw_held(&map->lock), "map_print_locked: map %p not locked", (void *)map);

	print("%*smap %p: 0x%lx-0x%lx, %d entries, 0x%lx bytes\n", indent, "", (void *)map,
	      map->min_offset, map->max_offset, map->nentries, map->size);
	for (struct vm_map_entry *e = map->first; e; e = e->next) {
		char p[4], m[4];

		if (e->end <= lo || e->start >= hi)
			continue;
		print("%*s  0x%016lx-0x%016lx %s/%s %s %s wired %u/%u", indent, "", e->start, e->end,
		      prot_str(e->protection, p), prot_str(e->max_protection, m),
		      vm_inherit_names[e->inheritance], vm_behavior_names[e->behavior], e->wired_count,
		      e->user_wired_count);
		if (e->pin_count)
			print(" pinned %u", e->pin_count);
		if (e->is_submap)
			print(" submap %p+0x%lx%s\n", (void *)e->submap, e->offset,
			      e->use_pmap ? " use_pmap" : "");
		else if (e->object)
			print(" object %lu+0x%lx%s%s\n", e->object->id, e->offset,
			      e->needs_copy ? " needs_copy" : "", e->is_shared ? " shared" : "");
		else
			print(" zero-fill\n");
		if (!full)
			continue;
		if (!e->is_submap && e->object) {
			vm_object_print_at(e->object, false, indent + 4, print);
		} else if (e->is_submap && map_print_lock(e->submap, try, indent + 4, print)) {
			map_print_locked(e->submap, e->offset, e->offset + (e->end - e->start), full,
					 try, indent + 4, print);
			rw_unlock_read(&e->submap->lock);
		}
	}
}

void vm_map_print(vm_map_t map, bool full, int (*print)(const char *fmt, ...))
{
	rw_lock_read(&map->lock);
	map_print_locked(map, 0, ~0ul, full, false, 0, print);
	rw_unlock_read(&map->lock);
}

void vm_map_print_near(vm_map_t map, vm_offset_t addr, int (*print)(const char *fmt, ...))
{
	vm_offset_t lo = addr > vm_map_print_near_span ? addr - vm_map_print_near_span : 0;
	vm_offset_t hi = addr < ~0ul - vm_map_print_near_span ? addr + vm_map_print_near_span : ~0ul;

	if (!map_print_lock(map, true, 0, print))
		return;
	map_print_locked(map, lo, hi, true, true, 0, print);
	rw_unlock_read(&map->lock);
}

/* ---- for vm_map_copy.c (vm_map_internal.h) ------------------------------------------------ */

struct vm_map_entry *vm_map_entry_alloc(void)
{
	return zalloc(&vm_map_entry_zone);
}

void vm_map_entry_free(struct vm_map_entry *e)
{
	entry_dispose(e);
}

void vm_map_entry_insert_locked(vm_map_t map, struct vm_map_entry *e)
{
	struct vm_map_entry *after = vm_map_entry_at_or_after_locked(map, e->start);

	LOCK_ASSERT(rw_write_held(&map->lock),
		"vm_map_entry_insert_locked: map %p not write-locked", (void *)map);

	entry_link(map, after ? after->prev : map->last, e);
}

struct vm_map_entry *vm_map_clip_locked(vm_map_t map, vm_offset_t start, vm_offset_t end,
					kern_return_t *kr)
{
	LOCK_ASSERT(rw_write_held(&map->lock),
		"vm_map_clip_locked: map %p not write-locked", (void *)map);

	return clip_range_locked(map, start, end, kr);
}

bool vm_map_range_mapped_locked(vm_map_t map, vm_offset_t start, vm_offset_t end)
{
	LOCK_ASSERT(rw_held(&map->lock), "vm_map_range_mapped_locked: map %p not locked", (void *)map);

	return range_mapped_locked(map, start, end);
}

bool vm_map_space_locked(vm_map_t map, vm_size_t size, vm_offset_t *out)
{
	struct vm_map_entry *after;

	LOCK_ASSERT(rw_held(&map->lock), "vm_map_space_locked: map %p not locked", (void *)map);

	return vm_map_find_space_locked(map, size, PAGE_SIZE, out, &after);
}

kern_return_t vm_map_remove_locked(vm_map_t map, vm_offset_t start, vm_offset_t end)
{
	LOCK_ASSERT(rw_write_held(&map->lock),
		"vm_map_remove_locked: map %p not write-locked", (void *)map);

	return vm_map_delete_locked(map, start, end);
}

kern_return_t vm_map_entry_prepare_locked(struct vm_map_entry *e, vm_prot_t fault_type)
{
	return vm_map_lookup_prepare_locked(e, fault_type);
}
