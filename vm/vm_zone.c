/*
 * vm_zone.c: see vm_zone.h.  A zone page starts with its header; items
 * follow, and an item's page is found by rounding its address down.
 */
#include <string.h>

#include "kern/kernel.h"
#include "kern/thread.h"
#include "vm/pmap.h"
#include "vm/vm_pageout.h"
#include "vm/vm_page.h"
#include "vm/vm_zone.h"

struct zone_page {
	struct zone_page *next, *prev;	/* [z] on z->partial */
	vm_page_t page;
	void *free;			/* [z] free items, linked through their first word */
	uint32_t inuse;			/* [z] */
	uint32_t capacity;
};

#define ZONE_ALIGN 16

static size_t zone_item_size(const struct zone *z)
{
	return ROUND_UP(z->size, ZONE_ALIGN);
}

static size_t zone_header_size(void)
{
	return ROUND_UP(sizeof(struct zone_page), ZONE_ALIGN);
}

static void zone_partial_insert(struct zone *z, struct zone_page *zp)
{
	zp->prev = NULL;
	zp->next = z->partial;
	if (zp->next)
		zp->next->prev = zp;
	z->partial = zp;
}

static void zone_partial_remove(struct zone *z, struct zone_page *zp)
{
	if (zp->prev)
		zp->prev->next = zp->next;
	else
		z->partial = zp->next;
	if (zp->next)
		zp->next->prev = zp->prev;
	zp->next = zp->prev = NULL;
}

static struct zone *zone_list;		/* [Z] every zone that has had a page, by next_zone */
static struct spinlock zone_list_lock = SPINLOCK_INIT("zone_list");

/* zone_capacity: items one page holds. */
static uint32_t zone_capacity(const struct zone *z)
{
	return (uint32_t)((PAGE_SIZE - zone_header_size()) / zone_item_size(z));
}

/* zone_list_add: z joins zone_list on its first page.  => z->lock held */
static void zone_list_add(struct zone *z)
{
	LOCK_ASSERT(spin_held(&z->lock), "zone_list_add: zone %s not locked", z->name);

	spin_lock(&zone_list_lock);
	z->next_zone = zone_list;
	zone_list = z;
	z->listed = true;
	spin_unlock(&zone_list_lock);
}

/* zone_page_new_locked: a fresh page, all items free, on the partial list. */
static struct zone_page *zone_page_new_locked(struct zone *z)
{
	struct zone_page *zp;
	vm_page_t m;
	char *item;

	LOCK_ASSERT(spin_held(&z->lock), "zone_page_new_locked: zone %s not locked", z->name);
	if (!(m = vm_page_alloc()))
		return NULL;
	if (!z->listed)
		zone_list_add(z);
	zp = pmap_direct_map(m->phys_addr);
	*zp = (struct zone_page){ .page = m };
	zp->capacity = zone_capacity(z);
	item = (char *)zp + zone_header_size();
	for (uint32_t i = 0; i < zp->capacity; i++, item += zone_item_size(z)) {
		*(void **)item = zp->free;
		zp->free = item;
	}
	z->pages++;
	zone_partial_insert(z, zp);
	return zp;
}

void *zalloc_noblock(struct zone *z)
{
	struct zone_page *zp;
	void *item = NULL;

	KASSERT(zone_item_size(z) <= PAGE_SIZE - zone_header_size(), "zone %s: item too big", z->name);
	spin_lock(&z->lock);
	zp = z->partial ? z->partial : zone_page_new_locked(z);
	if (zp) {
		item = zp->free;
		zp->free = *(void **)item;
		if (++zp->inuse == zp->capacity)
			zone_partial_remove(z, zp);
		z->items_used++;
	}
	spin_unlock(&z->lock);
	if (item)
		memset(item, 0, z->size);
	return item;
}

void *zalloc(struct zone *z)
{
	void *item = zalloc_noblock(z);

	/* The wait's conditions are looked at only when memory is short. */
	while (!item && thread_may_sleep() && !thread_current()->vm_privileged &&
	       vm_pageout_wait_memory())
		item = zalloc_noblock(z);
	return item;
}

void zfree(struct zone *z, void *item)
{
	struct zone_page *zp = (struct zone_page *)((uintptr_t)item & ~(uintptr_t)PAGE_MASK);
	vm_page_t release = NULL;

	spin_lock(&z->lock);
	KASSERT(zp->inuse > 0, "zfree: zone %s: page has no item in use", z->name);
	if (zp->inuse-- == zp->capacity)
		zone_partial_insert(z, zp);
	*(void **)item = zp->free;
	zp->free = item;
	z->items_used--;
	/* An empty page stays only as the zone's one page with room: no flip-flop at a page's edge. */
	if (zp->inuse == 0 && z->pages > z->min_pages && (zp->next || zp->prev)) {
		zone_partial_remove(z, zp);
		release = zp->page;
		z->pages--;
	}
	spin_unlock(&z->lock);
	if (release)
		vm_page_free(release);
}

/*
 * The counts are read without z->lock (zone_list_add takes zone_list_lock
 * inside it): each zone's figure is a snapshot, exact when nothing
 * allocates meanwhile, as at the accounting checks.
 */
uint64_t zone_slack_pages(void)
{
	uint64_t slack = 0;

	spin_lock(&zone_list_lock);
	for (struct zone *z = zone_list; z; z = z->next_zone) {
		uint64_t items = __atomic_load_n(&z->items_used, __ATOMIC_RELAXED);
		uint64_t pages = __atomic_load_n(&z->pages, __ATOMIC_RELAXED);
		uint64_t need = MAX(__atomic_load_n(&z->min_pages, __ATOMIC_RELAXED),
				    (items + zone_capacity(z) - 1) / zone_capacity(z));

		slack += pages - MIN(pages, need);
	}
	spin_unlock(&zone_list_lock);
	return slack;
}

uint64_t zone_free_pages(void)
{
	return vm_page_free_count() + zone_slack_pages();
}

uint64_t zone_items_used(struct zone *z)
{
	return __atomic_load_n(&z->items_used, __ATOMIC_RELAXED);
}

bool zone_prime(struct zone *z, uint64_t pages)
{
	bool ok = true;

	spin_lock(&z->lock);
	while (ok && z->pages < pages)
		ok = zone_page_new_locked(z) != NULL;
	if (ok)
		z->min_pages = pages;
	spin_unlock(&z->lock);
	return ok;
}
