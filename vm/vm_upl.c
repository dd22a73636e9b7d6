/*
 * vm_upl.c: universal page lists (see vm_upl.h).
 *
 * Lock tags: kern/lock.h.  upl_live_lock, [U], covers the list of UPLs
 * not yet freed; nothing else is taken inside it but the printer's.
 */
#include <string.h>

#include "kern/kernel.h"
#include "kern/spinlock.h"
#include "vm/pmap.h"
#include "vm/vm_map_internal.h"
#include "vm/vm_pager.h"
#include "vm/vm_upl.h"
#include "vm/vm_zone.h"

static struct zone upl_zone = ZONE_INIT("upl", sizeof(struct upl));
static struct spinlock upl_live_lock = SPINLOCK_INIT("upl_live");
static struct upl *upl_live;			/* [U] newest first */

uint64_t upl_live_count(void)
{
	return zone_items_used(&upl_zone);
}

void upl_print_all(int (*print)(const char *fmt, ...))
{
	spin_lock(&upl_live_lock);
	for (upl_t upl = upl_live; upl; upl = upl->live_next) {
		print("upl %p: object %lu offset 0x%lx, %u pages, %u held, flags 0x%x\n", (void *)upl,
		      upl->object ? upl->object->id : 0, upl->offset, upl->npages, upl->count,
		      upl->flags);
		for (uint32_t i = 0; i < upl->npages; i++)
			if (upl->pages[i])
				print("  0x%lx -> page 0x%lx\n", upl->offset + ptoa(i),
				      upl->pages[i]->phys_addr);
	}
	spin_unlock(&upl_live_lock);
}

/* vm_page_is_dirty: the store lacks m's data or m was written since.  => object locked */
static bool vm_page_is_dirty(vm_object_t object, vm_page_t m)
{
	LOCK_ASSERT(mutex_owned(&object->lock),
		"vm_page_is_dirty: object %lu not locked", object->id);

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

	LOCK_ASSERT(mutex_owned(&object->lock),
		"upl_take_locked: object %lu not locked", object->id);
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

	LOCK_ASSERT(mutex_owned(&object->lock),
		"upl_absent_locked: object %lu not locked", object->id);
	while ((m = vm_page_lookup(object, off)) && m->busy && !(flags & UPL_NOBLOCK))
		vm_page_wait_busy(m);
	if (m)
		return NULL;
	m = vm_page_alloc_object(object, off);
	*short_of_memory = m == NULL;
	return m;
}

/* upl_array_pages: the pages an array of n items of size bytes takes. */
static uint64_t upl_array_pages(uint64_t n, size_t size)
{
	return atop(round_page(n * size));
}

/* upl_array_alloc: an array of n items of size bytes in a run of pages of its own (*run). */
static void *upl_array_alloc(uint64_t n, size_t size, vm_page_t *run)
{
	*run = vm_page_alloc_contig(upl_array_pages(n, size), 1);
	return *run ? pmap_direct_map((*run)->phys_addr) : NULL;
}

/* upl_live_insert: upl joins the list of UPLs not yet freed. */
static void upl_live_insert(upl_t upl)
{
	spin_lock(&upl_live_lock);
	upl->live_next = upl_live;
	if (upl_live)
		upl_live->live_pprev = &upl->live_next;
	upl_live = upl;
	upl->live_pprev = &upl_live;
	spin_unlock(&upl_live_lock);
}

/* upl_live_remove: upl leaves that list (if upl_alloc got as far as putting it there). */
static void upl_live_remove(upl_t upl)
{
	spin_lock(&upl_live_lock);
	if (upl->live_pprev) {
		*upl->live_pprev = upl->live_next;
		if (upl->live_next)
			upl->live_next->live_pprev = upl->live_pprev;
		upl->live_next = NULL;
		upl->live_pprev = NULL;
	}
	spin_unlock(&upl_live_lock);
}

/* upl_free: the UPL and its arrays go; its object loses the UPL's reference. */
static void upl_free(upl_t upl)
{
	upl_live_remove(upl);
	if (upl->pages_run)
		vm_page_free_contig(upl->pages_run, upl_array_pages(upl->npages, sizeof(*upl->pages)));
	if (upl->info_run)
		vm_page_free_contig(upl->info_run, upl_array_pages(upl->npages, sizeof(*upl->info)));
	if (upl->object)
		vm_object_deallocate(upl->object);
	zfree(&upl_zone, upl);
}

/*
 * upl_alloc: a UPL of npages empty slots (and descriptions, with
 * UPL_SET_INTERNAL); NULL on shortage.  With UPL_NOBLOCK it does not wait
 * for memory either: a drain of a swap file asks so, and waiting there
 * for the pageout daemon, which waited for the file to be added that the
 * draining thread would add next, stopped both.
 */
static upl_t upl_alloc(uint32_t npages, int flags)
{
	upl_t upl = (flags & UPL_NOBLOCK) ? zalloc_noblock(&upl_zone) : zalloc(&upl_zone);

	if (!upl)
		return NULL;
	upl->npages = npages;		/* zalloc zeroed the rest (inline slots empty) */
	upl->flags = flags;
	upl->pages = upl->inline_pages;
	if ((npages > UPL_INLINE_PAGES &&
	     !(upl->pages = upl_array_alloc(npages, sizeof(*upl->pages), &upl->pages_run))) ||
	    ((flags & UPL_SET_INTERNAL) &&
	     !(upl->info = upl_array_alloc(npages, sizeof(*upl->info), &upl->info_run)))) {
		upl_free(upl);
		return NULL;
	}
	if (upl->pages_run)
		memset(upl->pages, 0, npages * sizeof(*upl->pages));
	upl_live_insert(upl);		/* complete: the printers may look at it */
	return upl;
}

/* upl_describe_locked: what UPL_SET_INTERNAL and UPL_QUERY_OBJECT_TYPE report.  => object locked */
static void upl_describe_locked(upl_t upl)
{
	bool absent = upl->flags & UPL_RETURN_ONLY_ABSENT, contiguous = true;

	LOCK_ASSERT(mutex_owned(&upl->object->lock),
		"upl_describe_locked: object %lu not locked", upl->object->id);
	for (uint32_t i = 0; i < upl->npages; i++) {
		vm_page_t m = upl->pages[i];

		contiguous = contiguous && m && m->phys_addr == upl->pages[0]->phys_addr + ptoa(i);
		if (upl->info)
			upl->info[i] = (upl_page_info_t){
				.phys_addr = m ? m->phys_addr : 0,
				.dirty = m && !absent && vm_page_is_dirty(upl->object, m),
				.absent = m && absent,
				.precious = m && (upl->flags & UPL_PRECIOUS),
			};
	}
	if ((upl->flags & UPL_QUERY_OBJECT_TYPE) && contiguous)
		upl->flags |= UPL_PHYS_CONTIG;
}

kern_return_t upl_request(vm_object_t object, vm_object_offset_t offset, vm_size_t size, int flags,
			  upl_t *out)
{
	bool absent = flags & UPL_RETURN_ONLY_ABSENT, short_of_memory = false;
	uint32_t count = 0;
	vm_page_t *pages;
	upl_t upl;

	if (!object || !out || !page_aligned(offset) || !page_aligned(size) || size == 0 ||
	    atop(size) > UINT32_MAX || offset + size < offset || offset + size > object->size ||
	    (flags & ~UPL_FLAGS_ALL) || (absent && (flags & UPL_RETURN_ONLY_DIRTY)))
		return KERN_INVALID_ARGUMENT;
	if (object->pager && object->pager->fictitious)
		return KERN_NOT_SUPPORTED;
	if (!(upl = upl_alloc((uint32_t)atop(size), flags)))
		return KERN_RESOURCE_SHORTAGE;
	upl->object = object;
	upl->offset = offset;
	vm_object_reference(object);
	mutex_lock(&object->lock);
	pages = upl->pages;
	for (uint32_t i = 0; i < upl->npages && !short_of_memory; i++) {
		vm_object_offset_t off = offset + ptoa(i);
		vm_page_t m = absent ? upl_absent_locked(object, off, flags, &short_of_memory)
				     : upl_take_locked(object, off, flags);

		pages[i] = m;
		count += m != NULL;
	}
	upl->count = count;
	/*
	 * Pageout: the pages hold still while the pager copies them (writes, or
	 * every access, fault and wait on the busy page); one TLB shootdown for all.
	 */
	if (!absent)
		pmap_page_protect_many(upl->pages, upl->npages,
				       (flags & UPL_CLEAN_IN_PLACE) ? VM_PROT_READ : VM_PROT_NONE);
	if (flags & (UPL_SET_INTERNAL | UPL_QUERY_OBJECT_TYPE))
		upl_describe_locked(upl);	/* after: no write can come in between */
	mutex_unlock(&object->lock);
	if (short_of_memory && upl->count == 0) {
		upl_free(upl);
		return KERN_RESOURCE_SHORTAGE;
	}
	*out = upl;
	return KERN_SUCCESS;
}

kern_return_t vm_map_get_upl(vm_map_t map, vm_offset_t offset, vm_size_t *size, upl_t *upl, int flags)
{
	struct vm_map_entry *e;
	vm_object_t object = NULL;
	vm_object_offset_t off = 0;
	vm_size_t len = 0;
	kern_return_t kr = KERN_SUCCESS;

	if (!map || !size || !upl || !*size || !page_aligned(offset) || !page_aligned(*size))
		return KERN_INVALID_ARGUMENT;
	vm_map_lock(map);
	if (!(e = vm_map_lookup_entry_locked(map, offset)))
		kr = KERN_INVALID_ADDRESS;
	else if (e->is_submap)
		kr = KERN_INVALID_ARGUMENT;
	/* A pagein fills pages: into the entry's own object, never one a copy shares. */
	else if ((kr = vm_map_entry_prepare_locked(e, (flags & UPL_RETURN_ONLY_ABSENT) ?
						   VM_PROT_WRITE : 0)) == KERN_SUCCESS) {
		vm_object_reference(object = e->object);
		off = vm_map_entry_object_offset(e, offset);
		len = MIN(*size, e->end - offset);
	}
	vm_map_unlock(map);
	if (kr != KERN_SUCCESS)
		return kr;
	kr = upl_request(object, off, len, flags, upl);	/* the UPL takes its own reference */
	vm_object_deallocate(object);
	if (kr == KERN_SUCCESS)
		*size = len;
	return kr;
}

/* Pages per UPL while vm_msync walks a range. */
#define MSYNC_CHUNK_PAGES	256

kern_return_t vm_object_sync(vm_object_t object, vm_object_offset_t off, vm_size_t len)
{
	kern_return_t kr = KERN_SUCCESS, wkr;

	for (vm_size_t done = 0; done < len; done += ptoa(MSYNC_CHUNK_PAGES)) {
		vm_size_t n = MIN(len - done, ptoa(MSYNC_CHUNK_PAGES));
		upl_t upl;

		wkr = upl_request(object, off + done, n, UPL_RETURN_ONLY_DIRTY | UPL_CLEAN_IN_PLACE, &upl);
		if (wkr == KERN_SUCCESS && upl->count == 0)
			upl_abort(upl);
		else if (wkr == KERN_SUCCESS)
			wkr = vm_pager_data_return(object, upl);
		if (wkr != KERN_SUCCESS)
			kr = KERN_MEMORY_ERROR;
	}
	wkr = vm_pager_synchronize(object);
	return kr != KERN_SUCCESS ? kr : wkr;
}

kern_return_t vm_msync(vm_map_t map, vm_address_t address, vm_size_t size, vm_sync_t sync_flags)
{
	vm_offset_t a = trunc_page(address), end = round_page(address + size);
	kern_return_t kr = KERN_SUCCESS;

	if (!map || address + size < address || end < a ||
	    (sync_flags & ~(VM_SYNC_ASYNCHRONOUS | VM_SYNC_SYNCHRONOUS)))
		return KERN_INVALID_ARGUMENT;
	while (a < end) {
		struct vm_map_entry *e;
		vm_object_t object = NULL;
		vm_object_offset_t off = 0;
		vm_size_t len = 0;

		rw_lock_read(&map->lock);
		e = vm_map_lookup_entry_locked(map, a);
		if (!e) {
			e = vm_map_entry_at_or_after_locked(map, a);
			if (kr == KERN_SUCCESS)
				kr = KERN_INVALID_ADDRESS;	/* a hole (a write error says more) */
		} else if (!e->is_submap && !e->needs_copy && e->object && vm_object_is_persistent(e->object)) {
			vm_object_reference(object = e->object);
			off = vm_map_entry_object_offset(e, a);
			len = MIN(end, e->end) - a;
		}
		a = !e ? end : e->start > a ? e->start : e->end;
		rw_unlock_read(&map->lock);
		if (object) {
			kern_return_t okr = vm_object_sync(object, off, len);

			if (okr != KERN_SUCCESS)
				kr = okr;
			vm_object_deallocate(object);
		}
	}
	return kr;
}

/*
 * upl_pages_free_locked: take busy pages out of their object (waking
 * waiters, who find them gone once the lock is free) and free them, each
 * lock once for all.  A pageout page lost its mappings when the UPL was
 * made and, busy since, has gained none; a pagein page never had any.
 */
static void upl_pages_free_locked(vm_page_t *pages, uint32_t n)
{
	LOCK_ASSERT(n == 0 || mutex_owned(&pages[0]->object->lock),
		"upl_pages_free_locked: object %lu not locked", pages[0]->object->id);

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

	LOCK_ASSERT(mutex_owned(&upl->object->lock),
		"upl_page_done_locked: object %lu not locked", upl->object->id);
	if (!commit)
		return !absent;
	if (absent && (upl->flags & UPL_PRECIOUS) && upl->object->pager)
		vm_pager_discard(upl->object, m->offset);	/* now the only copy */
	if (!absent)
		__atomic_store_n(&upl->object->pages_written, upl->object->pages_written + 1,
				 __ATOMIC_RELAXED);
	if (!absent && (upl->flags & UPL_CLEAN_IN_PLACE))
		pmap_clear_modify(m);		/* the store holds this data now */
	return absent || (upl->flags & UPL_CLEAN_IN_PLACE);
}

/* upl_range_done: commit or abort [offset, offset + size) of upl. */
static kern_return_t upl_range_done(upl_t upl, vm_offset_t offset, vm_size_t size, int flags,
				    boolean_t *empty, bool commit)
{
	vm_page_t freed[UPL_INLINE_PAGES], *pages = upl ? upl->pages : NULL;
	uint32_t first, end, nfreed = 0, done = 0;

	if (!upl_range(upl, offset, size, &first, &end))
		return KERN_INVALID_ARGUMENT;
	mutex_lock(&upl->object->lock);
	for (uint32_t i = first; i < end; i++) {
		vm_page_t m = pages[i];

		if (!m)
			continue;
		pages[i] = NULL;
		done++;
		if (upl_page_done_locked(upl, m, commit)) {
			vm_page_release(m);
			continue;
		}
		freed[nfreed++] = m;
		if (nfreed == UPL_INLINE_PAGES) {	/* a large UPL: a batch at a time */
			upl_pages_free_locked(freed, nfreed);
			nfreed = 0;
		}
	}
	upl_pages_free_locked(freed, nfreed);
	upl->count -= done;
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
