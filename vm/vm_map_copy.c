/*
 * vm_map_copy.c: map copies and fork (see vm_map.h).
 *
 * A copy is a detached list of map entries in source addresses.  Sharing
 * an object copy-on-write marks both entries needs_copy and takes write
 * access away in the source pmap, so the first write on either side
 * shadows the object and copies the page (vm_fault).  An entry whose
 * object is shared (SHARE inheritance), wired, or has data moving into it
 * behind its mappings (pages held for I/O, a cross-memory attachment) is
 * copied at once: a shadow on one side would otherwise keep seeing the
 * other sharers' writes, and the parent would lose what a device writes.
 */
#include <string.h>

#include "kern/kernel.h"
#include "vm/pmap.h"
#include "vm/vm_fault.h"
#include "vm/vm_map_internal.h"
#include "vm/vm_object.h"
#include "vm/vm_zone.h"

struct vm_map_copy {
	vm_offset_t start;		/* page-aligned source address of the first entry */
	vm_size_t offset;		/* the copied bytes begin at start + offset */
	vm_size_t size;			/* bytes copied */
	struct vm_map_entry *entries;	/* address order, linked through next */
};

static struct zone vm_map_copy_zone = ZONE_INIT("vm_map_copy", sizeof(struct vm_map_copy));

vm_size_t vm_map_copy_size(vm_map_copy_t copy)
{
	return copy ? copy->size : 0;
}

void vm_map_copy_discard(vm_map_copy_t copy)
{
	if (!copy)
		return;
	while (copy->entries) {
		struct vm_map_entry *e = copy->entries;

		copy->entries = e->next;
		vm_map_entry_free(e);
	}
	zfree(&vm_map_copy_zone, copy);
}

/* entry_copy_eager: e's memory copied into a new object of its own (none if never touched). */
static kern_return_t entry_copy_eager(struct vm_map_entry *e)
{
	vm_object_t copy;

	if (!e->object)
		return KERN_SUCCESS;
	copy = vm_object_copy_range(e->object, e->offset, e->end - e->start);
	if (!copy)
		return KERN_RESOURCE_SHORTAGE;
	vm_object_deallocate(e->object);
	e->object = copy;
	e->offset = 0;
	e->needs_copy = false;
	return KERN_SUCCESS;
}

/*
 * entry_copy: a detached copy of src for another map (address range and
 * attributes as src), sharing src's object copy-on-write or copied at once.
 * => src's map write-locked; NULL on shortage (src unchanged)
 */
static struct vm_map_entry *entry_copy(vm_map_t src_map, struct vm_map_entry *src, bool eager)
{
	struct vm_map_entry *e = vm_map_entry_alloc();

	if (!e)
		return NULL;
	*e = *src;
	e->prev = e->next = e->left = e->right = e->parent = NULL;
	e->wired_count = e->user_wired_count = e->pin_count = 0;
	e->is_shared = false;
	vm_object_share(e->object);
	if (eager || src->is_shared || vm_map_entry_wired(src) || vm_object_io_bound(src->object)) {
		if (entry_copy_eager(e) != KERN_SUCCESS) {
			vm_map_entry_free(e);
			return NULL;
		}
		return e;
	}
	if (src->object) {
		src->needs_copy = e->needs_copy = true;
		pmap_protect(src_map->pmap, src->start, src->end, vm_map_entry_pmap_prot(src));
		if (__atomic_load_n(&src_map->submap_users, __ATOMIC_RELAXED))	/* parents' pmaps */
			vm_object_pmap_protect(src->object, src->offset, src->end - src->start,
					       VM_PROT_READ);
	}
	return e;
}

/*
 * copy_range_check_locked: [start, end) of map is mapped without a hole
 * (else KERN_INVALID_ADDRESS), holds no submap unless submaps_ok (else
 * KERN_INVALID_ARGUMENT), and every entry allows need (else
 * KERN_PROTECTION_FAILURE).  Checked before anything is clipped, so that
 * a refused copy leaves the map as it was.  => map locked
 */
static kern_return_t copy_range_check_locked(vm_map_t map, vm_offset_t start, vm_offset_t end,
					     vm_prot_t need, bool submaps_ok)
{
	LOCK_ASSERT(rw_held(&map->lock), "copy_range_check_locked: map %p not locked", (void *)map);

	if (!vm_map_range_mapped_locked(map, start, end))
		return KERN_INVALID_ADDRESS;
	for (struct vm_map_entry *e = vm_map_lookup_entry_locked(map, start); e && e->start < end;
	     e = e->next) {
		if (e->is_submap && !submaps_ok)
			return KERN_INVALID_ARGUMENT;
		if ((e->protection & need) != need)
			return KERN_PROTECTION_FAILURE;
	}
	return KERN_SUCCESS;
}

kern_return_t vm_map_copyin(vm_map_t src_map, vm_address_t src_addr, vm_size_t len,
			    boolean_t src_destroy, vm_map_copy_t *copy_result)
{
	vm_offset_t start = trunc_page(src_addr), end = round_page(src_addr + len);
	struct vm_map_entry *e = NULL, **tail;
	vm_map_copy_t copy;
	kern_return_t kr = KERN_SUCCESS;

	if (!src_map || !copy_result || len == 0 || src_addr + len < src_addr || end < start)
		return KERN_INVALID_ARGUMENT;
	if (start < src_map->min_offset || end > src_map->max_offset)
		return KERN_INVALID_ADDRESS;
	if (!(copy = zalloc(&vm_map_copy_zone)))
		return KERN_RESOURCE_SHORTAGE;
	*copy = (struct vm_map_copy){ .start = start, .offset = src_addr - start, .size = len };
	tail = &copy->entries;
	vm_map_lock(src_map);
	if ((kr = copy_range_check_locked(src_map, start, end, VM_PROT_READ, false)) == KERN_SUCCESS)
		e = vm_map_clip_locked(src_map, start, end, &kr);
	for (; kr == KERN_SUCCESS && e && e->start < end; e = e->next) {
		struct vm_map_entry *c;

		if (!(c = entry_copy(src_map, e, end - start <= VM_MAP_COPY_SMALL))) {
			kr = KERN_RESOURCE_SHORTAGE;
			break;
		}
		*tail = c;
		tail = &c->next;
	}
	if (kr == KERN_SUCCESS && src_destroy)
		kr = vm_map_remove_locked(src_map, start, end);
	vm_map_unlock(src_map);
	if (kr != KERN_SUCCESS) {
		vm_map_copy_discard(copy);
		return kr;
	}
	*copy_result = copy;
	return KERN_SUCCESS;
}

kern_return_t vm_map_copyout(vm_map_t dst_map, vm_address_t *dst_addr, vm_map_copy_t copy)
{
	vm_size_t span;
	vm_offset_t base;

	if (!dst_map || !dst_addr || !copy)
		return KERN_INVALID_ARGUMENT;
	span = round_page(copy->offset + copy->size);
	vm_map_lock(dst_map);
	if (!vm_map_space_locked(dst_map, span, &base)) {
		vm_map_unlock(dst_map);
		return KERN_NO_SPACE;
	}
	while (copy->entries) {
		struct vm_map_entry *e = copy->entries;

		copy->entries = e->next;
		e->start = e->start - copy->start + base;
		e->end = e->end - copy->start + base;
		e->inheritance = VM_INHERIT_DEFAULT;
		vm_map_entry_insert_locked(dst_map, e);
	}
	vm_map_unlock(dst_map);
	*dst_addr = base + copy->offset;
	zfree(&vm_map_copy_zone, copy);
	return KERN_SUCCESS;
}

/*
 * copy_source_page: the page holding the copy's byte at source address sa,
 * busy, or NULL (zeros, or *kr set if it could not be paged in).
 */
static vm_page_t copy_source_page(vm_map_copy_t copy, vm_offset_t sa, kern_return_t *kr)
{
	*kr = KERN_SUCCESS;
	for (struct vm_map_entry *e = copy->entries; e; e = e->next)
		if (sa >= e->start && sa < e->end)
			return e->object ? vm_object_chain_page(e->object, e->offset + trunc_page(sa) - e->start,
								kr)
					 : NULL;
	return NULL;
}

/* overwrite_check: [start, end) of map is mapped and writable. */
static kern_return_t overwrite_check(vm_map_t map, vm_offset_t start, vm_offset_t end)
{
	kern_return_t kr = KERN_INVALID_ADDRESS;

	rw_lock_read(&map->lock);
	if (start >= map->min_offset && end <= map->max_offset)
		kr = copy_range_check_locked(map, start, end, VM_PROT_WRITE, true);
	rw_unlock_read(&map->lock);
	return kr;
}

/* What one step of an overwrite copies, for overwrite_fill. */
struct overwrite_step {
	vm_map_copy_t copy;
	vm_offset_t sa;		/* source address in the copy */
	vm_size_t in_page;	/* destination offset in its page */
	vm_size_t n;
	kern_return_t kr;	/* the source could not be paged in */
};

/* overwrite_fill: called by vm_fault_with with the destination page busy and the map locked. */
static void overwrite_fill(vm_page_t dst, void *arg)
{
	struct overwrite_step *st = arg;
	char *to = (char *)pmap_direct_map(dst->phys_addr) + st->in_page;
	vm_page_t src = copy_source_page(st->copy, st->sa, &st->kr);

	if (vm_page_fictitious(dst) || (src && vm_page_fictitious(src))) {
		st->kr = KERN_PROTECTION_FAILURE;	/* device memory is not copied */
		if (src)
			vm_page_release(src);
	} else if (src) {
		memcpy(to, (char *)pmap_direct_map(src->phys_addr) + (st->sa & PAGE_MASK), st->n);
		vm_page_release(src);
	} else {
		memset(to, 0, st->n);
	}
}

kern_return_t vm_map_copy_overwrite(vm_map_t dst_map, vm_address_t dst_addr, vm_map_copy_t copy,
				    boolean_t interruptible, pmap_t pmap)
{
	vm_size_t done = 0;
	kern_return_t kr;

	(void)interruptible;
	(void)pmap;
	if (!dst_map || !copy || dst_addr + copy->size < dst_addr)
		return KERN_INVALID_ARGUMENT;
	kr = overwrite_check(dst_map, trunc_page(dst_addr), round_page(dst_addr + copy->size));
	while (kr == KERN_SUCCESS && done < copy->size) {
		vm_offset_t sa = copy->start + copy->offset + done, da = dst_addr + done;
		struct overwrite_step st = {
			.copy = copy, .sa = sa, .in_page = da & PAGE_MASK,
			.n = MIN(copy->size - done, MIN(PAGE_SIZE - (sa & PAGE_MASK), PAGE_SIZE - (da & PAGE_MASK))),
		};

		/* A private, writable destination page, filled while no one else can touch it. */
		kr = vm_fault_with(dst_map, trunc_page(da), VM_PROT_WRITE, overwrite_fill, &st);
		if (kr == KERN_SUCCESS)
			kr = st.kr;
		done += st.n;
	}
	if (kr == KERN_SUCCESS)
		vm_map_copy_discard(copy);
	return kr;
}

/* fork_entry: the child's entry for parent entry e, or NULL when inheritance is NONE. */
static kern_return_t fork_entry(vm_map_t parent, struct vm_map_entry *e, vm_map_t child)
{
	struct vm_map_entry *c;
	kern_return_t kr;

	switch (e->is_submap && e->inheritance == VM_INHERIT_COPY ? VM_INHERIT_SHARE : e->inheritance) {
	case VM_INHERIT_NONE:
		return KERN_SUCCESS;
	case VM_INHERIT_SHARE:
		/* Both must write into one object: make it exist and be e's own first. */
		if (!e->is_submap &&
		    (kr = vm_map_entry_prepare_locked(e, e->needs_copy ? VM_PROT_WRITE : 0)) != KERN_SUCCESS)
			return kr;
		if (!(c = vm_map_entry_alloc()))
			return KERN_RESOURCE_SHORTAGE;
		*c = *e;
		c->wired_count = c->user_wired_count = c->pin_count = 0;
		if (c->is_submap) {
			__atomic_fetch_add(&c->submap->submap_users, 1, __ATOMIC_RELAXED);
			vm_map_reference(c->submap);
		} else {
			vm_object_share(c->object);
		}
		e->is_shared = c->is_shared = !e->is_submap;
		break;
	default:
		if (!(c = entry_copy(parent, e, false)))
			return KERN_RESOURCE_SHORTAGE;
		break;
	}
	c->prev = c->next = c->left = c->right = c->parent = NULL;
	if (c->is_submap && c->use_pmap &&
	    (kr = pmap_nest(c->submap->pmap, child->pmap, c->start, c->end - c->start)) != KERN_SUCCESS) {
		vm_map_entry_free(c);
		return kr;
	}
	vm_map_entry_insert_locked(child, c);
	return KERN_SUCCESS;
}

vm_map_t vm_map_fork(vm_map_t map)
{
	pmap_t pmap = map ? pmap_create() : NULL;
	vm_map_t child = pmap ? vm_map_create(pmap, map->min_offset, map->max_offset) : NULL;
	kern_return_t kr = child ? KERN_SUCCESS : KERN_RESOURCE_SHORTAGE;

	if (!child) {
		if (pmap)
			pmap_destroy(pmap);
		return NULL;
	}
	vm_map_lock(map);
	vm_map_lock(child);
	for (struct vm_map_entry *e = map->first; e && kr == KERN_SUCCESS; e = e->next)
		kr = fork_entry(map, e, child);
	vm_map_unlock(child);
	vm_map_unlock(map);
	if (kr != KERN_SUCCESS) {
		vm_map_deallocate(child);
		return NULL;
	}
	return child;
}
