/*
 * vm_zone.h: zones of fixed-size structures (pmaps, mapping records, and
 * later map entries and objects), carved from whole pages.  A page goes
 * back to the page allocator as soon as none of its items is in use, so
 * that zones do not hide pages from the accounting checks; only the pages
 * zone_prime gave a zone at boot stay (they are part of the baseline).
 *
 * Each zone has its own spinlock; zalloc may take vm_page_free_lock inside
 * it, never the other way round.  Zones never allocate from themselves, so
 * a zone cannot recurse when memory is short: zalloc returns NULL.
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
	struct zone_page *partial;	/* [l] pages with a free item */
	uint64_t items_used;		/* [l] */
	uint64_t pages;			/* [l] */
	uint64_t min_pages;		/* [l] kept even when empty (zone_prime) */
};

#define ZONE_INIT(zname, zsize) \
	{ .name = (zname), .size = (zsize), .lock = SPINLOCK_INIT(zname) }

/* zalloc: one zeroed item, NULL if no page is free. */
void *zalloc(struct zone *z);
/* zfree: give back an item from zalloc(z). */
void zfree(struct zone *z, void *item);
uint64_t zone_items_used(struct zone *z);
/*
 * zone_prime: give z `pages` pages now and keep that many from then on, so
 * that the first items allocated later need no page.  => at boot, before
 * the accounting baseline; false if the pages cannot be had
 */
bool zone_prime(struct zone *z, uint64_t pages);

#endif
