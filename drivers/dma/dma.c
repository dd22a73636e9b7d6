/*
 * dma.c: memory descriptors, the passthrough and bounce backends, and
 * coherent allocations (see dma.h).
 */
#include <string.h>

#include "drivers/dma/dma.h"
#include "kern/kernel.h"
#include "vm/pmap.h"
#include "vm/vm_map.h"
#include "vm/vm_object.h"
#include "vm/xmalloc.h"

/* --- engines ---------------------------------------------------------------- */

/* passthrough: the I/O address is the physical address. */
static kern_return_t dma_passthrough_map(struct dma_engine *eng, struct dma_desc *d)
{
	for (uint32_t i = 0; i < d->nruns; i++) {
		if (d->runs[i].pa + d->runs[i].len > eng->dma_limit)
			return KERN_INVALID_ADDRESS;	/* the device cannot reach it */
		d->segs[i] = (struct dma_segment){ d->runs[i].pa, d->runs[i].len };
		d->seg_src[i] = d->runs[i];
		d->bounce[i] = -1;
	}
	d->nsegs = d->nruns;
	return KERN_SUCCESS;
}

static void dma_passthrough_unmap(struct dma_engine *eng, struct dma_desc *d)
{
	d->nsegs = 0;
}

static const struct dma_backend dma_passthrough = {
	.name = "passthrough",
	.map = dma_passthrough_map,
	.unmap = dma_passthrough_unmap,
};

static uint64_t dma_bounce_pa(const struct dma_engine *eng, int32_t idx)
{
	return eng->bounce_pages->phys_addr + ptoa((uint64_t)idx);
}

/* dma_bounce_release: give back the pool pages of segments [0, n). */
static void dma_bounce_release(struct dma_engine *eng, struct dma_desc *d, uint32_t n)
{
	spin_lock(&eng->lock);
	for (uint32_t i = 0; i < n; i++)
		if (d->bounce[i] >= 0)
			eng->bounce_free[eng->bounce_nfree++] = (uint32_t)d->bounce[i];
	spin_unlock(&eng->lock);
}

/* dma_bounce_take: one pool page, -1 if none is free. */
static int32_t dma_bounce_take(struct dma_engine *eng)
{
	int32_t idx = -1;

	spin_lock(&eng->lock);
	if (eng->bounce_nfree)
		idx = (int32_t)eng->bounce_free[--eng->bounce_nfree];
	spin_unlock(&eng->lock);
	return idx;
}

/*
 * dma_bounce_map: runs the device reaches pass through; every page of the
 * others gets a pool page, at the same offset within the page so that the
 * device sees the alignment the caller chose.
 */
static kern_return_t dma_bounce_map(struct dma_engine *eng, struct dma_desc *d)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < d->nruns; i++) {
		struct iommu_run r = d->runs[i];

		if (r.pa + r.len <= eng->dma_limit) {
			d->segs[n] = (struct dma_segment){ r.pa, r.len };
			d->seg_src[n] = r;
			d->bounce[n++] = -1;
			continue;
		}
		while (r.len) {
			uint64_t off = r.pa & PAGE_MASK, chunk = MIN(r.len, PAGE_SIZE - off);
			int32_t idx = dma_bounce_take(eng);

			if (idx < 0) {
				dma_bounce_release(eng, d, n);
				spin_lock(&eng->lock);
				eng->stats.shortages++;
				spin_unlock(&eng->lock);
				return KERN_RESOURCE_SHORTAGE;
			}
			d->segs[n] = (struct dma_segment){ dma_bounce_pa(eng, idx) + off, chunk };
			d->seg_src[n] = (struct iommu_run){ r.pa, chunk };
			d->bounce[n++] = idx;
			if (d->dir & DMA_TO_DEVICE)
				memcpy(pmap_direct_map(d->segs[n - 1].ioaddr), pmap_direct_map(r.pa), chunk);
			r.pa += chunk;
			r.len -= chunk;
		}
	}
	d->nsegs = n;
	return KERN_SUCCESS;
}

static void dma_bounce_unmap(struct dma_engine *eng, struct dma_desc *d)
{
	uint64_t bounced = 0;

	for (uint32_t i = 0; i < d->nsegs; i++) {
		if (d->bounce[i] < 0)
			continue;
		bounced++;
		if (d->dir & DMA_FROM_DEVICE)
			memcpy(pmap_direct_map(d->seg_src[i].pa), pmap_direct_map(d->segs[i].ioaddr),
			       d->seg_src[i].len);
	}
	dma_bounce_release(eng, d, d->nsegs);
	spin_lock(&eng->lock);
	eng->stats.bounced_pages += bounced;
	spin_unlock(&eng->lock);
	d->nsegs = 0;
}

static const struct dma_backend dma_bounce = {
	.name = "bounce",
	.map = dma_bounce_map,
	.unmap = dma_bounce_unmap,
};

/*
 * iommu: the runs get consecutive I/O addresses in the device's domain.
 * Inner run boundaries fall on page boundaries (a map range's pages, a
 * page list, or one physical run), so the descriptor is one segment.
 */
static kern_return_t dma_iommu_map(struct dma_engine *eng, struct dma_desc *d)
{
	int prot = IOMMU_PROT_READ | ((d->dir & DMA_FROM_DEVICE) ? IOMMU_PROT_WRITE : 0);
	uint64_t iova;
	kern_return_t kr;

	for (uint32_t i = 1; i < d->nruns; i++)
		KASSERT(!(d->runs[i].pa & PAGE_MASK) && !((d->runs[i - 1].pa + d->runs[i - 1].len) & PAGE_MASK),
			"dma_iommu_map: run %u of %s does not meet its neighbour on a page boundary",
			i, eng->name);
	kr = iommu_map(eng->domain, d->runs, d->nruns, prot, &iova, &d->io_npages);

	if (kr != KERN_SUCCESS)
		return kr;
	d->segs[0] = (struct dma_segment){ iova, d->len };
	d->bounce[0] = -1;
	d->nsegs = 1;
	return KERN_SUCCESS;
}

static void dma_iommu_unmap(struct dma_engine *eng, struct dma_desc *d)
{
	iommu_unmap(eng->domain, d->segs[0].ioaddr, d->io_npages);
	d->nsegs = 0;
}

static const struct dma_backend dma_iommu = {
	.name = "iommu",
	.map = dma_iommu_map,
	.unmap = dma_iommu_unmap,
};

static const struct dma_backend *const dma_backends[] = {
	[DMA_BACKEND_PASSTHROUGH] = &dma_passthrough,
	[DMA_BACKEND_BOUNCE] = &dma_bounce,
	[DMA_BACKEND_IOMMU] = &dma_iommu,
	[DMA_BACKEND_IOMMU_STRICT] = &dma_iommu,
	[DMA_BACKEND_IOMMU_DEFERRED] = &dma_iommu,
};

const char *dma_backend_name(enum dma_backend_kind kind)
{
	return (unsigned)kind < ARRAY_SIZE(dma_backends) ? dma_backends[kind]->name : "?";
}

/* dma_engine_iommu_init: the device's own domain, below its limit, attached. */
static kern_return_t dma_engine_iommu_init(struct dma_engine *eng, enum dma_backend_kind kind)
{
	enum iommu_policy policy = kind == DMA_BACKEND_IOMMU_STRICT ? IOMMU_STRICT
				 : kind == DMA_BACKEND_IOMMU_DEFERRED ? IOMMU_DEFERRED
				 : iommu_unit->default_policy;
	kern_return_t kr = iommu_domain_create(iommu_unit, policy, eng->dma_limit, &eng->domain);

	if (kr != KERN_SUCCESS)
		return kr;
	kr = iommu_device_attach(iommu_unit, eng->device_id, eng->name, eng->domain);
	if (kr != KERN_SUCCESS) {
		iommu_domain_destroy(eng->domain);
		eng->domain = NULL;
	}
	return kr;
}

kern_return_t dma_engine_init(struct dma_engine *eng, const char *name, enum dma_backend_kind kind,
			      uint64_t dma_limit, uint32_t bounce_pages, uint32_t device_id)
{
	if (!eng || dma_limit <= PAGE_SIZE || (unsigned)kind >= ARRAY_SIZE(dma_backends) ||
	    (kind == DMA_BACKEND_BOUNCE && bounce_pages == 0) ||
	    (dma_backends[kind] == &dma_iommu && !iommu_unit))
		return KERN_INVALID_ARGUMENT;
	*eng = (struct dma_engine){ .name = name, .dma_limit = dma_limit, .device_id = device_id,
				    .backend = dma_backends[kind] };
	spin_init(&eng->lock, "dma_engine");
	if (eng->backend == &dma_iommu)
		return dma_engine_iommu_init(eng, kind);
	if (kind != DMA_BACKEND_BOUNCE)
		return KERN_SUCCESS;
	eng->bounce_free = (uint32_t *)xmalloc((int)(bounce_pages * sizeof(uint32_t)), 3, pinned_heap);
	eng->bounce_pages = vm_page_alloc_contig_range(bounce_pages, 1, 0, dma_limit);
	if (!eng->bounce_free || !eng->bounce_pages) {
		if (eng->bounce_free)
			xmfree((caddr_t)eng->bounce_free, pinned_heap);
		if (eng->bounce_pages)
			vm_page_free_contig(eng->bounce_pages, bounce_pages);
		return KERN_RESOURCE_SHORTAGE;
	}
	eng->bounce_npages = eng->bounce_nfree = bounce_pages;
	for (uint32_t i = 0; i < bounce_pages; i++) {
		eng->bounce_free[i] = bounce_pages - 1 - i;
		vm_page_wire(&eng->bounce_pages[i]);
	}
	return KERN_SUCCESS;
}

void dma_engine_destroy(struct dma_engine *eng)
{
	if (eng->domain) {
		iommu_device_detach(iommu_unit, eng->device_id);
		iommu_domain_destroy(eng->domain);
		eng->domain = NULL;
	}
	if (!eng->bounce_npages)
		return;
	KASSERT(eng->bounce_nfree == eng->bounce_npages, "dma_engine_destroy: %s has bounce pages out",
		eng->name);
	for (uint32_t i = 0; i < eng->bounce_npages; i++)
		vm_page_unwire(&eng->bounce_pages[i]);
	vm_page_free_contig(eng->bounce_pages, eng->bounce_npages);
	xmfree((caddr_t)eng->bounce_free, pinned_heap);
	eng->bounce_npages = eng->bounce_nfree = 0;
}

/* --- descriptors ------------------------------------------------------------ */

static bool dma_direction_valid(enum dma_direction dir)
{
	return dir == DMA_TO_DEVICE || dir == DMA_FROM_DEVICE || dir == DMA_BIDIRECTIONAL;
}

/* dma_desc_alloc: a descriptor with room for every page [start, start + len) touches. */
static kern_return_t dma_desc_alloc(uint64_t start, uint64_t len, enum dma_direction dir,
				    struct dma_desc **out)
{
	uint64_t cap;
	struct dma_desc *d;

	if (!out || len == 0 || len > DMA_MAX_LEN || start + len < start || !dma_direction_valid(dir))
		return KERN_INVALID_ARGUMENT;
	cap = atop(round_page(start + len) - trunc_page(start));
	/* pinned_heap: pageins and pageouts go through descriptors, under the engine's spinlock. */
	d = (struct dma_desc *)xmalloc(sizeof(*d), 3, pinned_heap);
	if (!d)
		return KERN_RESOURCE_SHORTAGE;
	*d = (struct dma_desc){ .magic = DMA_DESC_MAGIC, .state = DMA_DESC_CREATED, .dir = dir,
				.addr = start, .len = len, .cap = (uint32_t)cap,
				.runs = d->inline_runs, .segs = d->inline_segs,
				.seg_src = d->inline_src, .bounce = d->inline_bounce,
				.held = d->inline_held };
	if (cap > DMA_DESC_INLINE) {
		size_t each = 2 * sizeof(struct iommu_run) + sizeof(struct dma_segment) +
			      sizeof(vm_page_t) + sizeof(int32_t);
		char *p = xmalloc((int)(cap * each), 3, pinned_heap);

		if (!p) {
			xmfree((caddr_t)d, pinned_heap);
			return KERN_RESOURCE_SHORTAGE;
		}
		d->runs = (struct iommu_run *)p;
		d->seg_src = d->runs + cap;
		d->segs = (struct dma_segment *)(d->seg_src + cap);
		d->held = (vm_page_t *)(d->segs + cap);
		d->bounce = (int32_t *)(d->held + cap);
	}
	*out = d;
	return KERN_SUCCESS;
}

kern_return_t dma_desc_create_virtual(vm_map_t map, vm_offset_t addr, vm_size_t len,
				      enum dma_direction dir, struct dma_desc **out)
{
	kern_return_t kr;

	if (!map)
		return KERN_INVALID_ARGUMENT;
	kr = dma_desc_alloc(addr, len, dir, out);
	if (kr == KERN_SUCCESS)
		(*out)->map = map;
	return kr;
}

kern_return_t dma_desc_create_physical(uint64_t pa, uint64_t len, enum dma_direction dir,
				       struct dma_desc **out)
{
	kern_return_t kr = dma_desc_alloc(pa, len, dir, out);

	if (kr == KERN_SUCCESS)		/* its one run, for every prepare */
		(*out)->runs[(*out)->nruns++] = (struct iommu_run){ pa, len };
	return kr;
}

kern_return_t dma_desc_create_pages(vm_page_t *pages, uint32_t npages, enum dma_direction dir,
				    struct dma_desc **out)
{
	kern_return_t kr;

	if (!pages || npages == 0)
		return KERN_INVALID_ARGUMENT;
	for (uint32_t i = 0; i < npages; i++)
		if (!pages[i])
			return KERN_INVALID_ARGUMENT;
	kr = dma_desc_alloc(0, ptoa((uint64_t)npages), dir, out);
	if (kr == KERN_SUCCESS)
		(*out)->pages = pages;
	return kr;
}

static bool dma_desc_live(const struct dma_desc *d)
{
	return d && d->magic == DMA_DESC_MAGIC;
}

/* dma_desc_add_run: append [pa, pa + len), merging with the last run if contiguous. */
static void dma_desc_add_run(struct dma_desc *d, uint64_t pa, uint64_t len)
{
	struct iommu_run *last = d->nruns ? &d->runs[d->nruns - 1] : NULL;

	if (last && last->pa + last->len == pa) {
		last->len += len;
		return;
	}
	KASSERT(d->nruns < d->cap, "dma_desc_add_run: more runs than pages");
	d->runs[d->nruns++] = (struct iommu_run){ pa, len };
}

/*
 * dma_desc_hold: hold a virtual descriptor's pages (vm_map_hold_pages: the
 * pages, not the map entries, stay wired until complete, whatever happens
 * to the range meanwhile) and collect their physical runs.
 * => on error nothing is held
 */
static kern_return_t dma_desc_hold(struct dma_desc *d)
{
	vm_offset_t start = trunc_page(d->addr), end = round_page(d->addr + d->len);
	vm_prot_t prot = (d->dir & DMA_FROM_DEVICE) ? VM_PROT_READ | VM_PROT_WRITE : VM_PROT_READ;
	kern_return_t kr = vm_map_hold_pages(d->map, start, end, prot, d->held);

	if (kr != KERN_SUCCESS)
		return kr;
	for (vm_offset_t va = d->addr; va < d->addr + d->len;) {
		uint64_t chunk = MIN(d->addr + d->len - va, PAGE_SIZE - (va & PAGE_MASK));

		dma_desc_add_run(d, d->held[atop(va - start)]->phys_addr + (va & PAGE_MASK), chunk);
		va += chunk;
	}
	return KERN_SUCCESS;
}

/*
 * dma_desc_release: end a virtual descriptor's holds.  The device may have
 * written the pages behind the pmap's back (no modified bit says so), so
 * after a device write their stale store copies go (vm_page_dirty).  Page
 * lists are left alone: a pager reading its own copy in must keep it.
 */
static void dma_desc_release(struct dma_desc *d)
{
	if (d->map)
		vm_object_pages_unhold(d->held, d->cap, d->dir & DMA_FROM_DEVICE);
}

kern_return_t dma_desc_prepare(struct dma_desc *d, struct dma_engine *eng)
{
	kern_return_t kr;

	if (!dma_desc_live(d) || !eng || d->state == DMA_DESC_PREPARED)
		return KERN_INVALID_ARGUMENT;
	if (d->map || d->pages)		/* a physical descriptor keeps the run it was made with */
		d->nruns = 0;
	if (d->map && (kr = dma_desc_hold(d)) != KERN_SUCCESS)
		return kr;
	if (d->pages)
		for (uint64_t i = 0; i < atop(d->len); i++)
			dma_desc_add_run(d, d->pages[i]->phys_addr, PAGE_SIZE);
	kr = eng->backend->map(eng, d);
	if (kr != KERN_SUCCESS) {
		dma_desc_release(d);
		return kr;
	}
	d->eng = eng;
	d->state = DMA_DESC_PREPARED;
	return KERN_SUCCESS;
}

kern_return_t dma_desc_segments(const struct dma_desc *d, const struct dma_segment **segs,
				uint32_t *nsegs)
{
	if (!dma_desc_live(d) || d->state != DMA_DESC_PREPARED || !segs || !nsegs)
		return KERN_INVALID_ARGUMENT;
	*segs = d->segs;
	*nsegs = d->nsegs;
	return KERN_SUCCESS;
}

kern_return_t dma_desc_complete(struct dma_desc *d)
{
	struct dma_engine *eng;

	if (!dma_desc_live(d) || d->state != DMA_DESC_PREPARED)
		return KERN_INVALID_ARGUMENT;
	eng = d->eng;
	eng->backend->unmap(eng, d);
	dma_desc_release(d);
	d->state = DMA_DESC_COMPLETED;
	d->eng = NULL;
	return KERN_SUCCESS;
}

kern_return_t dma_desc_destroy(struct dma_desc *d)
{
	if (!dma_desc_live(d) || d->state == DMA_DESC_PREPARED)
		return KERN_INVALID_ARGUMENT;
	if (d->runs != d->inline_runs)
		xmfree((caddr_t)d->runs, pinned_heap);
	d->magic = 0;
	xmfree((caddr_t)d, pinned_heap);
	return KERN_SUCCESS;
}

/* --- coherent memory -------------------------------------------------------- */

kern_return_t dma_alloc_coherent(struct dma_engine *eng, size_t size, void **kva, uint64_t *ioaddr)
{
	uint64_t npages = atop(round_page(size)), mapped;
	vm_page_t m;

	if (!eng || size == 0 || !kva || !ioaddr)
		return KERN_INVALID_ARGUMENT;
	/* Behind the IOMMU the device reaches any page: the limit is on I/O addresses. */
	m = vm_page_alloc_contig_range(npages, 1, 0, eng->domain ? UINT64_MAX : eng->dma_limit);
	if (!m)
		return KERN_RESOURCE_SHORTAGE;
	*ioaddr = m->phys_addr;
	if (eng->domain) {
		struct iommu_run run = { m->phys_addr, ptoa(npages) };

		if (iommu_map(eng->domain, &run, 1, IOMMU_PROT_READ | IOMMU_PROT_WRITE, ioaddr,
			      &mapped) != KERN_SUCCESS) {
			vm_page_free_contig(m, npages);
			return KERN_RESOURCE_SHORTAGE;
		}
	}
	for (uint64_t i = 0; i < npages; i++)
		vm_page_wire(&m[i]);
	*kva = pmap_direct_map(m->phys_addr);
	memset(*kva, 0, ptoa(npages));
	return KERN_SUCCESS;
}

void dma_free_coherent(struct dma_engine *eng, size_t size, void *kva, uint64_t ioaddr)
{
	uint64_t npages = atop(round_page(size)), pa = ioaddr;
	vm_page_t m;
	int prot;

	if (eng->domain) {
		if (!iommu_domain_lookup(eng->domain, ioaddr, &pa, &prot))
			panic("dma_free_coherent: 0x%lx is not mapped for %s", ioaddr, eng->name);
		iommu_unmap(eng->domain, ioaddr, npages);
		iommu_flush(eng->domain);	/* no stale translation may outlive the pages */
	}
	m = vm_page_lookup_phys(pa);
	KASSERT(m && pmap_direct_map(pa) == kva, "dma_free_coherent: 0x%lx is not coherent memory",
		ioaddr);
	for (uint64_t i = 0; i < npages; i++)
		vm_page_unwire(&m[i]);
	vm_page_free_contig(m, npages);
}
