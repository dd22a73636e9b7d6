/*
 * vm_upl.c: universal page lists (see vm_upl.h).
 */
#include "kern/kernel.h"
#include "vm/pmap.h"
#include "vm/vm_pager.h"
#include "vm/vm_upl.h"
#include "vm/vm_zone.h"

static struct zone upl_zone = ZONE_INIT("upl", sizeof(struct upl));

uint64_t upl_live_count(void)
{
	return zone_items_used(&upl_zone);
}

/* vm_page_is_dirty: the store lacks m's data or m was written since.  => object locked */
static bool vm_page_is_dirty(vm_object_t object, vm_page_t m)
{
	return !vm_pager_has_page(object, m->offset) || pmap_is_modified(m);
}

/*
 * upl_take_locked: the page at off for a pageout UPL, made busy, or NULL
 * (upl_request then takes its mappings away).
 * => object locked; it may be dropped and retaken while waiting on a busy page
 */
static vm_page_t upl_take_locked(vm_object_t object, vm_object_offset_t off, int flags)
{
	vm_page_t m;

	while ((m = vm_page_lookup(object, off)) && m->busy) {
		if (flags & UPL_NOBLOCK)
			return NULL;
		vm_page_wait_busy(m);
	}
	if (!m || m->wire_count || ((flags & UPL_RETURN_ONLY_DIRTY) && !vm_page_is_dirty(object, m)))
		return NULL;
	m->busy = true;
	return m;
}

/* upl_absent_locked: a fresh busy page at off if none is resident, or NULL. */
static vm_page_t upl_absent_locked(vm_object_t object, vm_object_offset_t off, int flags,
				   bool *short_of_memory)
{
	vm_page_t m;

	while ((m = vm_page_lookup(object, off)) && m->busy && !(flags & UPL_NOBLOCK))
		vm_page_wait_busy(m);
	if (m)
		return NULL;
	m = vm_page_alloc_object(object, off);
	*short_of_memory = m == NULL;
	return m;
}

kern_return_t upl_request(vm_object_t object, vm_object_offset_t offset, vm_size_t size, int flags,
			  upl_t *out)
{
	bool absent = flags & UPL_RETURN_ONLY_ABSENT, short_of_memory = false;
	upl_t upl;

	if (!object || !out || !page_aligned(offset) || !page_aligned(size) || size == 0 ||
	    size > ptoa(UPL_MAX_PAGES) || offset + size < offset || offset + size > object->size ||
	    (flags & ~UPL_FLAGS_ALL) || (absent && (flags & UPL_RETURN_ONLY_DIRTY)))
		return KERN_INVALID_ARGUMENT;
	upl = zalloc(&upl_zone);
	if (!upl)
		return KERN_RESOURCE_SHORTAGE;
	*upl = (struct upl){ .object = object, .offset = offset, .npages = (uint32_t)atop(size),
			     .flags = flags };
	vm_object_reference(object);
	mutex_lock(&object->lock);
	for (uint32_t i = 0; i < upl->npages && !short_of_memory; i++) {
		vm_object_offset_t off = offset + ptoa(i);

		upl->pages[i] = absent ? upl_absent_locked(object, off, flags, &short_of_memory)
				       : upl_take_locked(object, off, flags);
		upl->count += upl->pages[i] != NULL;
	}
	/*
	 * Pageout: the pages hold still while the pager copies them (writes, or
	 * every access, fault and wait on the busy page); one TLB shootdown for all.
	 */
	if (!absent)
		pmap_page_protect_many(upl->pages, upl->npages,
				       (flags & UPL_CLEAN_IN_PLACE) ? VM_PROT_READ : VM_PROT_NONE);
	mutex_unlock(&object->lock);
	if (short_of_memory && upl->count == 0) {
		vm_object_deallocate(object);
		zfree(&upl_zone, upl);
		return KERN_RESOURCE_SHORTAGE;
	}
	*out = upl;
	return KERN_SUCCESS;
}

static void upl_free(upl_t upl)
{
	vm_object_deallocate(upl->object);
	zfree(&upl_zone, upl);
}

/*
 * upl_pages_free_locked: take busy pages out of their object (waking
 * waiters, who find them gone once the lock is free) and free them, each
 * lock once for all.  A pageout page lost its mappings when the UPL was
 * made and, busy since, has gained none; a pagein page never had any.
 */
static void upl_pages_free_locked(vm_page_t *pages, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		vm_page_release(pages[i]);
	vm_page_remove_many(pages, n);
	vm_page_free_many(pages, n);
}

/* upl_range: slots [*first, *end) of a byte range relative to the UPL; false if outside. */
static bool upl_range(upl_t upl, vm_offset_t offset, vm_size_t size, uint32_t *first, uint32_t *end)
{
	if (!upl || !page_aligned(offset) || !page_aligned(size) || offset + size < offset ||
	    offset + size > ptoa(upl->npages))
		return false;
	*first = (uint32_t)atop(offset);
	*end = (uint32_t)atop(offset + size);
	return true;
}

/* upl_finish: a range is done: free the UPL if asked and nothing is left. */
static void upl_finish(upl_t upl, int flags, boolean_t *empty)
{
	bool is_empty = upl->count == 0;

	if (empty)
		*empty = is_empty;
	if (is_empty && (flags & UPL_COMMIT_FREE_ON_EMPTY))
		upl_free(upl);
}

/*
 * upl_page_done_locked: m leaves the UPL, committed or aborted; whether it
 * stays resident (else the caller frees it):
 *   commit, pagein:  stays, valid (PRECIOUS: the store's copy is dropped)
 *   commit, pageout: freed, or with CLEAN_IN_PLACE stays, clean
 *   abort, pagein:   freed, never filled
 *   abort, pageout:  stays, still dirty
 * => object locked
 */
static bool upl_page_done_locked(upl_t upl, vm_page_t m, bool commit)
{
	bool absent = upl->flags & UPL_RETURN_ONLY_ABSENT;

	if (!commit)
		return !absent;
	if (absent && (upl->flags & UPL_PRECIOUS) && upl->object->pager)
		vm_pager_discard(upl->object, m->offset);	/* now the only copy */
	if (!absent && (upl->flags & UPL_CLEAN_IN_PLACE))
		pmap_clear_modify(m);		/* the store holds this data now */
	return absent || (upl->flags & UPL_CLEAN_IN_PLACE);
}

/* upl_range_done: commit or abort [offset, offset + size) of upl. */
static kern_return_t upl_range_done(upl_t upl, vm_offset_t offset, vm_size_t size, int flags,
				    boolean_t *empty, bool commit)
{
	vm_page_t freed[UPL_MAX_PAGES];
	uint32_t first, end, nfreed = 0;

	if (!upl_range(upl, offset, size, &first, &end))
		return KERN_INVALID_ARGUMENT;
	mutex_lock(&upl->object->lock);
	for (uint32_t i = first; i < end; i++) {
		vm_page_t m = upl->pages[i];

		if (!m)
			continue;
		upl->pages[i] = NULL;
		upl->count--;
		if (upl_page_done_locked(upl, m, commit))
			vm_page_release(m);
		else
			freed[nfreed++] = m;
	}
	upl_pages_free_locked(freed, nfreed);
	mutex_unlock(&upl->object->lock);
	upl_finish(upl, flags, empty);
	return KERN_SUCCESS;
}

kern_return_t upl_commit_range(upl_t upl, vm_offset_t offset, vm_size_t size, int flags,
			       boolean_t *empty)
{
	return upl_range_done(upl, offset, size, flags, empty, true);
}

kern_return_t upl_abort_range(upl_t upl, vm_offset_t offset, vm_size_t size, int flags,
			      boolean_t *empty)
{
	return upl_range_done(upl, offset, size, flags, empty, false);
}

/* The whole range leaves the UPL, so FREE_ON_EMPTY frees it. */
kern_return_t upl_commit(upl_t upl)
{
	return upl_commit_range(upl, 0, upl ? ptoa(upl->npages) : 0, UPL_COMMIT_FREE_ON_EMPTY, NULL);
}

kern_return_t upl_abort(upl_t upl)
{
	return upl_abort_range(upl, 0, upl ? ptoa(upl->npages) : 0, UPL_ABORT_FREE_ON_EMPTY, NULL);
}
