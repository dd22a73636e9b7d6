/*
 * vnode_bench.c: pagein and pageout through the file pager
 * (vm/vnode_pager.h) on a file of a virtio-9p share.
 *
 * A 4 MiB host file is mapped shared at REGION_BASE of a map of its own.
 *
 * vnode.pagein.per_page: per page, reading the mapping in order with the
 * default behavior: one fault per page, trap included; the first fault of
 * each 16-page window reads the window with one Tread (the pager's
 * data_request), the others find their page resident.
 * vnode.pageout.per_page: per page, writing the dirty mapping back as the
 * pageout daemon does: one 16-page UPL at a time (upl_request with
 * RETURN_ONLY_DIRTY), the pager's data_return (one Twrite), the commit
 * that frees the pages.
 *
 * Device time is left out as paging_bench.c leaves it out: the loops run
 * with interrupts off, so each wait for the 9P device polls its used ring,
 * and the instructions spent spinning there (the queue's poll_instret)
 * are subtracted.
 */
#include "drivers/virtio/virtio_9p.h"
#include "drivers/virtio/virtio_9p_file.h"
#include "kern/thread.h"
#include "platform/riscv/hart.h"
#include "platform/riscv/riscv.h"
#include "tests/bench/kbench.h"
#include "vm/pmap.h"
#include "vm/vm_map.h"
#include "vm/vm_named_entry.h"
#include "vm/vm_pager.h"
#include "vm/vm_upl.h"

KBENCH_RUN(vnode, "bench=vnode virtio_9p.dma=passthrough", "-m 64M -smp 1 --9p share");

#define SHARE		"share"
#define FILE_PATH	"vnode-bench"
#define REGION_BASE	0x10000000ul
#define COST_PAGES	1024ul			/* 4 MiB */
#define CLUSTER_PAGES	16ul			/* one UPL, as the daemon sends */

struct vnode_region {
	vm_map_t map;
	vm_named_entry_t handle;		/* its object is the file's */
};

static struct virtio_9p *share(void)
{
	return virtio_9p_find(SHARE);
}

/* region_make: the file (COST_PAGES, sparse), mapped shared in a new map the thread runs in. */
static bool region_make(struct vnode_region *r)
{
	vm_address_t a = REGION_BASE;
	pmap_t pmap = pmap_create();
	struct p9_file f;

	*r = (struct vnode_region){ .map = pmap ? vm_map_create(pmap, PAGE_SIZE, PMAP_USER_END) : NULL };
	if (!r->map || p9_file_open(&share()->client, FILE_PATH,
				    P9_FILE_READ | P9_FILE_WRITE | P9_FILE_CREATE | P9_FILE_TRUNC, 0644, &f))
		return false;
	if (p9_file_truncate(&f, ptoa(COST_PAGES))) {
		p9_file_close(&f);
		return false;
	}
	p9_file_close(&f);
	if (virtio_9p_file_entry(SHARE, FILE_PATH, VM_PROT_DEFAULT, 0, &r->handle) != KERN_SUCCESS)
		return false;
	if (vm_map(r->map, &a, ptoa(COST_PAGES), 0, VM_FLAGS_FIXED, r->handle, 0, FALSE,
		   VM_PROT_DEFAULT, VM_PROT_DEFAULT, VM_INHERIT_SHARE) != KERN_SUCCESS)
		return false;
	thread_set_map(r->map);
	return true;
}

static void region_drop(struct vnode_region *r)
{
	thread_set_map(NULL);
	if (r->handle)
		vm_named_entry_release(r->handle);
	if (r->map)
		vm_map_deallocate(r->map);
	if (share())
		p9_unlink(&share()->client, FILE_PATH);
}

/* region_read: every page in order (a fault each where not mapped).  => false if one is not 0 */
static bool region_read(struct vnode_region *r)
{
	bool ok = true;

	csr_set(sstatus, SSTATUS_SUM);
	for (uint64_t i = 0; i < COST_PAGES; i++)
		ok &= *(volatile uint64_t *)(REGION_BASE + ptoa(i)) == 0;
	csr_clear(sstatus, SSTATUS_SUM);
	return ok;
}

/* region_write: i into the first word of page i. */
static bool region_write(struct vnode_region *r)
{
	csr_set(sstatus, SSTATUS_SUM);
	for (uint64_t i = 0; i < COST_PAGES; i++)
		*(volatile uint64_t *)(REGION_BASE + ptoa(i)) = i;
	csr_clear(sstatus, SSTATUS_SUM);
	return true;
}

/* region_pageout: every dirty page back to the file, a cluster-sized UPL at a time. */
static bool region_pageout(struct vnode_region *r)
{
	vm_object_t object = r->handle->object;
	bool ok = true;

	for (uint64_t p = 0; ok && p < COST_PAGES; p += CLUSTER_PAGES) {
		upl_t upl;

		ok = upl_request(object, ptoa(p), ptoa(CLUSTER_PAGES), UPL_RETURN_ONLY_DIRTY | UPL_NOBLOCK,
				 &upl) == KERN_SUCCESS;
		if (ok && upl->count != CLUSTER_PAGES) {
			upl_abort(upl);
			ok = false;
		} else if (ok) {
			ok = vm_pager_data_return(object, upl) == KERN_SUCCESS;
		}
	}
	return ok && object->resident_count == 0;
}

/* polled_cost: instructions of fn(r) per page, interrupts off, less the 9P device's polling. */
static uint64_t polled_cost(bool (*fn)(struct vnode_region *), struct vnode_region *r)
{
	struct virtq *q = share()->q;
	uint64_t t0, t1, p0, p1;
	bool ok;

	intr_push_off();
	p0 = q->stats.poll_instret;
	t0 = rdinstret();
	ok = fn(r);
	t1 = rdinstret();
	p1 = q->stats.poll_instret;
	intr_pop_off();
	return ok ? ((t1 - t0) - (p1 - p0)) / COST_PAGES : 0;
}

KBENCH(vnode_pagein_per_page, "vnode.pagein.per_page", "instructions/page", 1)
{
	struct vnode_region r;
	uint64_t cost = 0;

	(void)iters;
	if (share() && region_make(&r))
		cost = polled_cost(region_read, &r);
	region_drop(&r);
	return cost;
}

KBENCH(vnode_pageout_per_page, "vnode.pageout.per_page", "instructions/page", 1)
{
	struct vnode_region r;
	uint64_t cost = 0;

	(void)iters;
	if (share() && region_make(&r) && region_write(&r))
		cost = polled_cost(region_pageout, &r);
	region_drop(&r);
	return cost;
}
