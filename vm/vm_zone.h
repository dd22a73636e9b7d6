/*
 * vm_zone.h: zones of fixed-size structures (pmaps, mapping records, and
 * later map entries and objects), carved from whole pages.  A page goes
 * back to the page allocator as soon as none of its items is in use, so
 * that zones do not hide pages from the accounting checks.
 *
 * Each zone has its own spinlock; zalloc may take vm_page_free_lock inside
 * it, never the other way round.  Zones never allocate from themselves, so
 * a zone cannot recurse when memory is short: zalloc returns NULL.
 */
#ifndef VM_VM_ZONE_H
#define VM_VM_ZONE_H

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
};

#define ZONE_INIT(zname, zsize) \
	{ .name = (zname), .size = (zsize), .lock = SPINLOCK_INIT(zname) }

/* zalloc: one zeroed item, NULL if no page is free. */
void *zalloc(struct zone *z);
/* zfree: give back an item from zalloc(z). */
void zfree(struct zone *z, void *item);
uint64_t zone_items_used(struct zone *z);

#endif
