/*
 * vm_zone.h: zones of fixed-size structures (pmaps, mapping records, map
 * entries, objects...), carved from whole pages.  A page goes back to the
 * page allocator as soon as none of its items is in use, unless it is the
 * zone's only page with room (an item freed and allocated again at a
 * page's edge would otherwise free and allocate the page each time); the
 * pages zone_prime gave a zone at boot stay too (they are part of the
 * baseline).  zone_slack_pages counts what zones hold beyond what their
 * items fill, so that the accounting checks see no leak in them.
 *
 * Each zone has its own spinlock, [z] (lock tags: kern/lock.h); zalloc may
 * take vm_page_free_lock inside it, never the other way round.  Zones
 * never allocate from themselves, so a zone cannot recurse when memory is
 * short.
 *
 * Allocations have a context.  zalloc waits, where the caller can sleep,
 * for the pageout daemon, as the fault path does, so that memory pressure
 * is never mistaken for exhaustion.  zalloc_noblock never waits: for the
 * pager I/O path, which the daemon itself waits on (and which has the
 * page reserve instead), and for callers that would rather fail at once.
 */
#ifndef VM_VM_ZONE_H
#define VM_VM_ZONE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kern/spinlock.h"

struct zone_page;

struct zone {
	const char *name;		/* [c] */
	size_t size;			/* [c] item size, rounded to 16 */
	struct spinlock lock;
	struct zone_page *partial;	/* [z] pages with a free item */
	uint64_t items_used;		/* [z] */
	uint64_t pages;			/* [z] */
	uint64_t min_pages;		/* [z] kept even when empty (zone_prime) */
	struct zone *next_zone;		/* [Z] on the list of zones */
	bool listed;			/* [z] on it (from the zone's first page on) */
};

#define ZONE_INIT(zname, zsize) \
	{ .name = (zname), .size = (zsize), .lock = SPINLOCK_INIT(zname) }

/*
 * zalloc: one zeroed item.  With no page free it waits for the pageout
 * daemon for as long as that gets anywhere (vm_pageout_wait_memory),
 * unless the caller cannot sleep (boot code, a trap handler, a spinlock
 * or interrupts held off: thread_may_sleep) or is the pageout path
 * itself (vm_page_privileged): those get NULL at once, as from
 * zalloc_noblock.
 * => for a caller that may wait, NULL only when no memory can be had: no
 *    daemon, or nothing left that it could free (the store is full)
 */
void *zalloc(struct zone *z);
/* zalloc_noblock: one zeroed item, or NULL at once if no page is free. */
void *zalloc_noblock(struct zone *z);
/* zfree: give back an item from zalloc(z). */
void zfree(struct zone *z, void *item);
uint64_t zone_items_used(struct zone *z);
/*
 * zone_slack_pages: pages the zones hold beyond what their items need
 * (the one empty page a zone keeps, and pages its long-lived items are
 * spread over when items were freed and allocated again elsewhere).  The
 * accounting checks count them as free: fragmentation, not a leak.
 */
uint64_t zone_slack_pages(void);
/* zone_free_pages: vm_page_free_count() with zone_slack_pages(): what the accounting checks compare. */
uint64_t zone_free_pages(void);
/*
 * zone_prime: give z `pages` pages now and keep that many from then on, so
 * that the first items allocated later need no page.  => at boot, before
 * the accounting baseline; false if the pages cannot be had
 */
bool zone_prime(struct zone *z, uint64_t pages);

#endif
