/*
 * vm_upl.h: universal page lists, the only way pages move between an
 * object and its pager (the reference's "Universal Page Lists" section).
 *
 * A UPL covers [offset, offset + size) of an object, one slot per page.
 * upl_request gathers the pages the flags ask for and makes them busy:
 *   pageout (no RETURN_ONLY_ABSENT): resident pages, not wired; with
 *     RETURN_ONLY_DIRTY only those the store lacks or that were modified.
 *     They lose write access (and, unless CLEAN_IN_PLACE, every mapping)
 *     so that they hold still while the pager writes them.
 *   pagein (RETURN_ONLY_ABSENT): a fresh page for every offset that has
 *     none resident, inserted busy: the pager fills them.
 *   NOBLOCK skips busy pages instead of waiting for them, and fails at
 *     once (KERN_RESOURCE_SHORTAGE) where memory would be waited for.
 *   SET_INTERNAL keeps a description of every slot inside the UPL
 *     (upl_get_internal_page_list), so that it travels as one piece.
 *   QUERY_OBJECT_TYPE reports properties of the object in upl->flags
 *     (UPL_PHYS_CONTIG: the UPL's pages are physically contiguous, in order).
 * A UPL may be of any size within its object; one of at most
 * UPL_INLINE_PAGES pages is one allocation from a zone.
 * The pager then commits what it moved and aborts what it could not:
 *   commit, pagein:  the pages become valid (PRECIOUS: the store's copy is
 *                    dropped, the page is then the only one)
 *   commit, pageout: the store holds the data: the pages are freed, or with
 *                    CLEAN_IN_PLACE kept resident and clean
 *   abort, pagein:   the pages are freed; the data stays absent
 *   abort, pageout:  the pages stay resident and dirty
 * A range committed or aborted leaves the UPL; with *_FREE_ON_EMPTY the
 * UPL is freed (and *empty says so) once no page is left in it.
 *
 * Locking: a UPL has one holder at a time: the thread that made it, then
 * the pager it is handed to (data_return_async finishes it from whichever
 * thread completes the write).  Its object is referenced while the UPL
 * lives; requests, commits and aborts take the object lock.
 */
#ifndef VM_VM_UPL_H
#define VM_VM_UPL_H

#include <stdbool.h>
#include <stdint.h>

#include "vm/vm_object.h"

/* upl_request flags */
#define UPL_RETURN_ONLY_DIRTY	0x01
#define UPL_RETURN_ONLY_ABSENT	0x02
#define UPL_NOBLOCK		0x04
#define UPL_CLEAN_IN_PLACE	0x08
#define UPL_PRECIOUS		0x10
#define UPL_SET_INTERNAL	0x20
#define UPL_QUERY_OBJECT_TYPE	0x40
#define UPL_FLAGS_ALL		0x7f
/* Reported in upl->flags with UPL_QUERY_OBJECT_TYPE. */
#define UPL_PHYS_CONTIG		0x100

/* upl_commit_range / upl_abort_range flags */
#define UPL_COMMIT_FREE_ON_EMPTY	0x1
#define UPL_ABORT_FREE_ON_EMPTY		0x1

#define UPL_INLINE_PAGES	64

/* What UPL_SET_INTERNAL keeps of a slot, as it was when the UPL was made. */
struct upl_page_info {
	vm_paddr_t phys_addr;		/* 0: no page in the slot */
	bool dirty;			/* pageout: the store lacks its data or it was written */
	bool absent;			/* pagein: a fresh page for the pager to fill */
	bool precious;			/* UPL_PRECIOUS: the only copy once committed */
};
typedef struct upl_page_info upl_page_info_t;

struct upl {
	vm_object_t object;		/* referenced */
	vm_object_offset_t offset;	/* of slot 0, page aligned */
	uint32_t npages;		/* slots */
	uint32_t count;			/* slots still holding a page */
	int flags;
	vm_page_t *pages;		/* npages slots; NULL: nothing at that offset */
	upl_page_info_t *info;		/* with UPL_SET_INTERNAL, else NULL */
	vm_page_t pages_run, info_run;	/* the page runs holding them, if not inline */
	struct upl *live_next;		/* [U] every UPL not yet freed (upl_print_all) */
	struct upl **live_pprev;	/* [U] what points at us there; NULL: not on it */
	vm_page_t inline_pages[UPL_INLINE_PAGES];	/* pages, when it fits */
};
typedef struct upl *upl_t;

/*
 * upl_request: a UPL over [offset, offset + size) of object.
 * => object referenced by the caller, unlocked
 * => KERN_INVALID_ARGUMENT: unaligned, empty, past the object, unknown
 *    flags, or ONLY_DIRTY with ONLY_ABSENT
 * => KERN_NOT_SUPPORTED: object's pages are device memory (vm/device_pager.h)
 * => KERN_RESOURCE_SHORTAGE: no memory for a large UPL's slots, or a
 *    pagein found no free page for its first absent offset (later ones
 *    are left out of the UPL instead)
 * => a UPL with no page at all is still returned (count 0)
 */
kern_return_t upl_request(vm_object_t object, vm_object_offset_t offset, vm_size_t size, int flags,
			  upl_t *upl);
/*
 * upl_commit_range / upl_abort_range: [offset, offset + size) relative to
 * the UPL's start.  => KERN_INVALID_ARGUMENT if the range is outside it
 */
kern_return_t upl_commit_range(upl_t upl, vm_offset_t offset, vm_size_t size, int flags,
			       boolean_t *empty);
kern_return_t upl_abort_range(upl_t upl, vm_offset_t offset, vm_size_t size, int flags,
			      boolean_t *empty);
/* upl_commit / upl_abort: the whole UPL, then free it. */
kern_return_t upl_commit(upl_t upl);
kern_return_t upl_abort(upl_t upl);
/*
 * vm_map_get_upl: upl_request over the object that maps map's range at
 * offset: the first object only (the reference's vm_map_get_upl), so
 * *size comes back as what the UPL covers (the entry's end at most); the
 * caller asks again for the rest.  An entry with no object yet is given
 * one; a pagein (UPL_RETURN_ONLY_ABSENT) over a copy-on-write entry gets
 * the entry's own copy first.  => map unlocked; KERN_INVALID_ADDRESS (nothing mapped at offset),
 *    KERN_INVALID_ARGUMENT (NULL, unaligned, empty, a submap: ask the
 *    submap), upl_request's errors
 */
struct vm_map;
kern_return_t vm_map_get_upl(struct vm_map *map, vm_offset_t offset, vm_size_t *size, upl_t *upl,
			     int flags);
/* upl_get_internal_page_list: the slots' descriptions (UPL_SET_INTERNAL), NULL without. */
static inline upl_page_info_t *upl_get_internal_page_list(upl_t upl)
{
	return upl ? upl->info : NULL;
}
/* upl_page: the page in slot i, NULL if none. */
static inline vm_page_t upl_page(const struct upl *upl, uint32_t i)
{
	return i < upl->npages ? upl->pages[i] : NULL;
}
/* upl_live_count: UPLs not yet freed, for accounting checks. */
uint64_t upl_live_count(void);
/*
 * upl_print_all: every UPL not yet freed, newest first: its object,
 * range, pages held and flags, then one line per page it holds (offset in
 * the object, physical address).  A snapshot: holders may move on while
 * it prints.  tools/gdb/vm.py's showupls prints the same.
 */
void upl_print_all(int (*print)(const char *fmt, ...));

/*
 * vm_object_sync: [off, off + len) of object: its dirty pages written to
 * its pager (the default pager's swap for anonymous memory, the file for a
 * file's object) and kept in place, clean; then the pager's synchronize.
 * vm_msync's work on each object, and AIX's vm_writep.
 * => object referenced, unlocked; KERN_MEMORY_ERROR if a write failed
 */
kern_return_t vm_object_sync(vm_object_t object, vm_object_offset_t off, vm_size_t len);

#endif
