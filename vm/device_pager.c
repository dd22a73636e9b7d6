/*
 * device_pager.c: the device pager (see device_pager.h).  Each object's
 * pager_data is a record naming a run of fictitious vm_page records, one
 * per page of the range, inserted into the object by the first fault on
 * each and taken out again when the object goes.
 *
 * The page records come from a pool in the image and are never freed:
 * the page hash is walked without locks (vm_object.h), so a record a
 * walker may stand on must stay a vm_page record for good, as RAM's do.
 * A run goes back to the pool when its object goes; the pool bounds the
 * device memory mapped at once.
 *
 * Lock tags: kern/lock.h.
 */
#include "kern/kernel.h"
#include "kern/spinlock.h"
#include "vm/device_pager.h"
#include "vm/pmap.h"
#include "vm/vm_pager.h"
#include "vm/vm_upl.h"
#include "vm/vm_zone.h"

#define DEVICE_POOL_PAGES	1024	/* 4 MiB of device memory mapped at once, at most */
#define DEVICE_POOL_WORDS	(DEVICE_POOL_PAGES / 64)

struct device_pager {
	vm_paddr_t paddr;		/* [c] */
	uint64_t npages;		/* [c] */
	struct vm_page *pages;		/* [c] npages records of device_pool */
};

static struct vm_page device_pool[DEVICE_POOL_PAGES];
static uint64_t device_pool_used[DEVICE_POOL_WORDS];	/* [P] bit i: device_pool[i] taken */
static struct spinlock device_pool_lock = SPINLOCK_INIT("device_pool");
static struct zone device_zone = ZONE_INIT("device_pager", sizeof(struct device_pager));

uint64_t device_pager_count(void)
{
	return zone_items_used(&device_zone);
}

static bool pool_taken(uint64_t i)
{
	return device_pool_used[i / 64] & (1ull << (i % 64));
}

static void pool_mark(uint64_t first, uint64_t n, bool taken)
{
	for (uint64_t i = first; i < first + n; i++)
		if (taken)
			device_pool_used[i / 64] |= 1ull << (i % 64);
		else
			device_pool_used[i / 64] &= ~(1ull << (i % 64));
}

/* device_pool_take: the first free run of n records, NULL if none. */
static struct vm_page *device_pool_take(uint64_t n)
{
	struct vm_page *run = NULL;
	uint64_t start = 0, len = 0;

	spin_lock(&device_pool_lock);
	for (uint64_t i = 0; i < DEVICE_POOL_PAGES && len < n; i++) {
		if (pool_taken(i)) {
			len = 0;
			continue;
		}
		if (len++ == 0)
			start = i;
	}
	if (len == n) {
		pool_mark(start, n, true);
		run = &device_pool[start];
	}
	spin_unlock(&device_pool_lock);
	return run;
}

/* device_pool_give: a run from device_pool_take back; its records are in no object. */
static void device_pool_give(struct vm_page *run, uint64_t n)
{
	spin_lock(&device_pool_lock);
	pool_mark((uint64_t)(run - device_pool), n, false);
	spin_unlock(&device_pool_lock);
}

static bool device_has_page(vm_object_t object, vm_object_offset_t offset)
{
	const struct device_pager *dev = object->pager_data;

	return atop(offset) < dev->npages;
}

/* device_data_request: the page's record into the object (one page: nothing to read). */
static kern_return_t device_data_request(vm_object_t object, vm_object_offset_t offset,
					 vm_behavior_t behavior)
{
	struct device_pager *dev = object->pager_data;
	vm_page_t m;

	(void)behavior;
	if (atop(offset) >= dev->npages)
		return KERN_MEMORY_ERROR;
	m = &dev->pages[atop(offset)];
	mutex_lock(&object->lock);
	if (!vm_page_lookup(object, offset))
		vm_page_insert(m, object, offset);
	mutex_unlock(&object->lock);
	return KERN_SUCCESS;
}

/* Device pages are never queued and no UPL takes them: nothing is handed back. */
static kern_return_t device_data_return(vm_object_t object, upl_t upl)
{
	upl_abort(upl);
	return KERN_FAILURE;
}

static void device_sync(void)
{
}

static void device_discard(vm_object_t object, vm_object_offset_t offset)
{
}

/* device_terminate: the records leave the object and go back to the pool, then the record. */
static void device_terminate(vm_object_t object)
{
	struct device_pager *dev = object->pager_data;

	while (object->pages)
		vm_page_remove(object->pages);
	object->pager_data = NULL;
	device_pool_give(dev->pages, dev->npages);
	zfree(&device_zone, dev);
}

static const struct vm_pager_ops device_pager_ops = {
	.name = "device",
	.fictitious = true,
	.has_page = device_has_page,
	.data_request = device_data_request,
	.data_return = device_data_return,
	.data_return_async = device_data_return,
	.sync = device_sync,
	.discard = device_discard,
	.terminate = device_terminate,
};

/* device_range_is_ram: a page of [paddr, paddr + size) is managed RAM. */
static bool device_range_is_ram(vm_paddr_t paddr, vm_size_t size)
{
	for (vm_size_t off = 0; off < size; off += PAGE_SIZE)
		if (vm_page_lookup_phys(paddr + off))
			return true;
	return false;
}

/* device_record_make: the record and its page records; NULL if either ran out. */
static struct device_pager *device_record_make(vm_paddr_t paddr, vm_size_t size, vm_memattr_t memattr)
{
	struct device_pager *dev = zalloc(&device_zone);
	uint64_t npages = atop(size);

	if (!dev)
		return NULL;
	if (!(dev->pages = device_pool_take(npages))) {
		zfree(&device_zone, dev);
		return NULL;
	}
	dev->paddr = paddr;
	dev->npages = npages;
	for (uint64_t i = 0; i < npages; i++) {	/* in no object: no walker reads these */
		vm_page_t m = &dev->pages[i];

		m->phys_addr = paddr + ptoa(i);
		m->flags = VM_PAGE_FICTITIOUS;
		m->wire_count = 1;	/* a wiring of its own: never queued, taken or freed */
		m->discarded = false;
		pmap_page_init_fictitious(m, memattr);
	}
	return dev;
}

kern_return_t device_pager_setup(vm_paddr_t paddr, vm_size_t size, vm_memattr_t memattr,
				 vm_prot_t permission, vm_named_entry_t *handle)
{
	struct device_pager *dev;
	vm_object_t object;
	kern_return_t kr;

	if (!handle || !size || !page_aligned(paddr) || !page_aligned(size) ||
	    paddr >= PMAP_PADDR_END || size > PMAP_PADDR_END - paddr ||
	    (unsigned)memattr >= VM_MEMATTR_COUNT || (permission & ~VM_PROT_ALL))
		return KERN_INVALID_ARGUMENT;
	if (atop(size) > DEVICE_POOL_PAGES)
		return KERN_RESOURCE_SHORTAGE;
	if (device_range_is_ram(paddr, size))
		return KERN_INVALID_ADDRESS;
	if (!(dev = device_record_make(paddr, size, memattr)))
		return KERN_RESOURCE_SHORTAGE;
	if (!(object = vm_object_allocate(size))) {
		device_pool_give(dev->pages, dev->npages);
		zfree(&device_zone, dev);
		return KERN_RESOURCE_SHORTAGE;
	}
	object->pager_data = dev;
	__atomic_store_n(&object->pager, &device_pager_ops, __ATOMIC_RELEASE);
	kr = mach_memory_object_memory_entry_64(object, size, permission, handle);
	if (kr != KERN_SUCCESS)
		vm_object_deallocate(object);
	return kr;
}
