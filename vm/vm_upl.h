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
 *   NOBLOCK skips busy pages instead of waiting for them.
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
#define UPL_FLAGS_ALL		0x1f

/* upl_commit_range / upl_abort_range flags */
#define UPL_COMMIT_FREE_ON_EMPTY	0x1
#define UPL_ABORT_FREE_ON_EMPTY		0x1

#define UPL_MAX_PAGES		64

struct upl {
	vm_object_t object;		/* referenced */
	vm_object_offset_t offset;	/* of slot 0, page aligned */
	uint32_t npages;		/* slots */
	uint32_t count;			/* slots still holding a page */
	int flags;
	vm_page_t pages[UPL_MAX_PAGES];	/* NULL: nothing at that offset */
};
typedef struct upl *upl_t;

/*
 * upl_request: a UPL over [offset, offset + size) of object.
 * => object referenced by the caller, unlocked
 * => KERN_INVALID_ARGUMENT: unaligned, empty, past the object, more than
 *    UPL_MAX_PAGES pages, unknown flags, or ONLY_DIRTY with ONLY_ABSENT
 * => KERN_RESOURCE_SHORTAGE: a pagein found no free page for its first
 *    absent offset (later ones are left out of the UPL instead)
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
/* upl_page: the page in slot i, NULL if none. */
static inline vm_page_t upl_page(const struct upl *upl, uint32_t i)
{
	return i < upl->npages ? upl->pages[i] : NULL;
}
/* upl_live_count: UPLs not yet freed, for accounting checks. */
uint64_t upl_live_count(void);

#endif
