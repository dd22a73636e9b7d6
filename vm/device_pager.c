/*
 * device_pager.c: the device pager (see device_pager.h).  Each object's
 * pager_data is a record holding one fictitious vm_page per page of the
 * range, made when the object is, inserted into the object by the first
 * fault on it and taken out again when the object goes.  The record lives
 * in pages of its own reached through the direct map (not kernel_map: the
 * object may go while a map, the kernel's too, is locked).
 */
#include "kern/kernel.h"
#include "vm/pmap.h"
#include "vm/vm_pager.h"
#include "vm/vm_upl.h"
#include "vm/device_pager.h"

struct device_pager {
	vm_paddr_t paddr;		/* [c] */
	uint64_t npages;		/* [c] */
	struct vm_page *pages;		/* [c] npages records, after this one */
	vm_page_t store;		/* [c] the first of the run this record lives in */
	uint64_t store_pages;		/* [c] its length */
};

static uint64_t device_objects;		/* atomic */

uint64_t device_pager_count(void)
{
	return __atomic_load_n(&device_objects, __ATOMIC_RELAXED);
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

/* Device pages are never queued, so never handed back; refuse anyway. */
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

/* device_terminate: the records leave the object (not freed: they are the record's), then go. */
static void device_terminate(vm_object_t object)
{
	struct device_pager *dev = object->pager_data;

	while (object->pages)
		vm_page_remove(object->pages);
	object->pager_data = NULL;
	vm_page_free_contig(dev->store, dev->store_pages);
	__atomic_fetch_sub(&device_objects, 1, __ATOMIC_RELAXED);
}

static const struct vm_pager_ops device_pager_ops = {
	.name = "device",
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

/* device_record_make: the record and its fictitious pages; NULL on shortage. */
static struct device_pager *device_record_make(vm_paddr_t paddr, vm_size_t size, vm_memattr_t memattr)
{
	uint64_t npages = atop(size);
	uint64_t store_pages = atop(round_page(sizeof(struct device_pager) + npages * sizeof(struct vm_page)));
	vm_page_t store = vm_page_alloc_contig(store_pages, 1);
	struct device_pager *dev;

	if (!store)
		return NULL;
	dev = pmap_direct_map(store->phys_addr);
	*dev = (struct device_pager){ .paddr = paddr, .npages = npages,
				      .pages = (struct vm_page *)(dev + 1), .store = store,
				      .store_pages = store_pages };
	for (uint64_t i = 0; i < npages; i++)
		dev->pages[i] = (struct vm_page){ .phys_addr = paddr + ptoa(i),
						  .flags = VM_PAGE_FICTITIOUS,
						  .md = { .memattr = (uint8_t)memattr } };
	return dev;
}

kern_return_t device_pager_setup(vm_paddr_t paddr, vm_size_t size, vm_memattr_t memattr,
				 vm_prot_t permission, vm_named_entry_t *handle)
{
	struct device_pager *dev;
	vm_object_t object;
	kern_return_t kr;

	if (!handle || !size || !page_aligned(paddr) || !page_aligned(size) || paddr + size < paddr ||
	    (unsigned)memattr >= VM_MEMATTR_COUNT || (permission & ~VM_PROT_ALL))
		return KERN_INVALID_ARGUMENT;
	if (device_range_is_ram(paddr, size))
		return KERN_INVALID_ADDRESS;
	if (!(dev = device_record_make(paddr, size, memattr)))
		return KERN_RESOURCE_SHORTAGE;
	if (!(object = vm_object_allocate(size))) {
		vm_page_free_contig(dev->store, dev->store_pages);
		return KERN_RESOURCE_SHORTAGE;
	}
	object->pager_data = dev;
	__atomic_store_n(&object->pager, &device_pager_ops, __ATOMIC_RELEASE);
	__atomic_fetch_add(&device_objects, 1, __ATOMIC_RELAXED);
	kr = mach_memory_object_memory_entry_64(object, size, permission, handle);
	if (kr != KERN_SUCCESS)
		vm_object_deallocate(object);
	return kr;
}
