/*
 * dma.h: DMA memory descriptors and the per-device DMA engines behind them.
 *
 * Every buffer a device reads or writes is described by a dma_desc, made
 * over (map, address, length, direction) or over physical memory.
 * dma_desc_prepare wires the pages and asks the device's engine for I/O
 * addresses: the segments the driver writes into its descriptors.
 * dma_desc_complete, once the device is done, releases them (Apple's
 * IOMemoryDescriptor::prepare/complete; AIX xmattach/xmemdma/xmdetach).
 *
 * The engine's backend decides what an I/O address is:
 *   iommu        an address in the device's IOMMU domain (drivers/iommu),
 *                mapped at prepare with the direction's access (TO_DEVICE:
 *                read; FROM_DEVICE: read and write, the PTE format having
 *                no write-only page) and unmapped at complete by the
 *                domain's policy; a whole descriptor is one segment, and a
 *                device limited to 32 bits gets addresses below 4 GiB
 *                wherever its buffers lie.  The default for PCI devices.
 *   passthrough  the physical address (devices that reach all of RAM)
 *   bounce       the physical address where the device can reach it; other
 *                pages are copied through bounce pages below the device's
 *                DMA limit (a 32-bit device on a machine with RAM above 4 GiB)
 *
 * Rings and other memory the CPU and the device share for a long time come
 * from dma_alloc_coherent: wired, zeroed, and reachable by the device as is
 * (through the IOMMU: mapped for reading and writing until freed).
 *
 * Lock tags: kern/lock.h; a descriptor's [t] fields belong to the one
 * thread using it at a time.
 */
#ifndef DRIVERS_DMA_DMA_H
#define DRIVERS_DMA_DMA_H

#include <stdbool.h>
#include <stdint.h>

#include "drivers/iommu/iommu.h"
#include "kern/spinlock.h"
#include "vm/vm.h"
#include "vm/vm_page.h"

enum dma_direction {
	DMA_TO_DEVICE = 1,		/* the device reads memory */
	DMA_FROM_DEVICE = 2,		/* the device writes memory */
	DMA_BIDIRECTIONAL = 3,
};

enum dma_backend_kind {
	DMA_BACKEND_PASSTHROUGH,
	DMA_BACKEND_BOUNCE,
	DMA_BACKEND_IOMMU,		/* in a domain with the IOMMU unit's policy */
	DMA_BACKEND_IOMMU_STRICT,	/* in a domain with a policy of its own */
	DMA_BACKEND_IOMMU_DEFERRED,
};

/* One address range as the device sees it. */
struct dma_segment {
	uint64_t ioaddr;
	uint64_t len;
};

struct dma_engine;
struct dma_desc;

/* What a backend does; the engine lock is not held across these calls. */
struct dma_backend {
	const char *name;
	/* map: fill d->segs from d->runs.  => KERN_RESOURCE_SHORTAGE if I/O space ran out */
	kern_return_t (*map)(struct dma_engine *eng, struct dma_desc *d);
	/* unmap: the device is done with d->segs; release them (bounce: copy back). */
	void (*unmap)(struct dma_engine *eng, struct dma_desc *d);
};

/* Counters an engine keeps, for tests and benchmarks. */
struct dma_engine_stats {
	uint64_t bounced_pages;		/* [e] pages that went through a bounce page */
	uint64_t shortages;		/* [e] prepares refused for lack of bounce pages */
};

struct dma_engine {
	const char *name;			/* [c] */
	const struct dma_backend *backend;	/* [c] */
	uint64_t dma_limit;			/* [c] first address the device cannot reach (I/O
						   addresses behind the IOMMU, physical otherwise) */
	uint32_t device_id;			/* [c] PCI requester ID (iommu backend) */
	struct iommu_domain *domain;		/* [c] the device's domain (iommu backend) */
	struct spinlock lock;
	vm_page_t bounce_pages;			/* [c] the pool (bounce backend) */
	uint32_t bounce_npages;			/* [c] */
	uint32_t *bounce_free;			/* [e] stack of free pool indices */
	uint32_t bounce_nfree;			/* [e] */
	struct dma_engine_stats stats;		/* [e] */
};

enum dma_desc_state {
	DMA_DESC_CREATED,		/* described, not prepared */
	DMA_DESC_PREPARED,		/* wired, segments valid */
	DMA_DESC_COMPLETED,		/* released; may be prepared again */
};

#define DMA_DESC_INLINE	4		/* segments kept inside the descriptor */
#define DMA_MAX_LEN	(64ul << 20)	/* largest descriptor */

struct dma_desc {
	uint32_t magic;			/* [t] DMA_DESC_MAGIC while alive */
	enum dma_desc_state state;	/* [t] */
	enum dma_direction dir;		/* [c] */
	vm_map_t map;			/* [c] NULL: physical descriptor */
	vm_page_t *pages;		/* [c] page-list descriptor: the caller's array, or NULL */
	vm_offset_t addr;		/* [c] start (virtual or physical) */
	uint64_t len;			/* [c] */
	struct dma_engine *eng;		/* [t] engine while prepared */
	uint32_t nruns, nsegs;		/* [t] */
	uint64_t io_npages;		/* [t] iommu backend: I/O pages mapped from segs[0] */
	uint32_t cap;			/* [c] entries in runs, segs, bounce */
	struct iommu_run *runs;		/* [t] physical pieces, in order */
	struct dma_segment *segs;	/* [t] what the device gets, in order */
	struct iommu_run *seg_src;	/* [t] physical source of each segment */
	int32_t *bounce;		/* [t] pool index backing segment i, -1 = none */
	vm_page_t *held;		/* [t] virtual descriptors: the pages held while prepared */
	struct iommu_run inline_runs[DMA_DESC_INLINE];
	struct dma_segment inline_segs[DMA_DESC_INLINE];
	struct iommu_run inline_src[DMA_DESC_INLINE];
	int32_t inline_bounce[DMA_DESC_INLINE];
	vm_page_t inline_held[DMA_DESC_INLINE];
};
#define DMA_DESC_MAGIC	0x444d4131	/* "DMA1" */

/*
 * dma_engine_init: an engine for one device.
 * => dma_limit: first address the device cannot reach (UINT64_MAX: all)
 * => bounce_pages: size of the bounce pool (bounce backend; 0 otherwise)
 * => device_id: the device's PCI requester ID (iommu backend: it gets a
 *    domain of its own in iommu_unit, with the unit's policy)
 * => KERN_INVALID_ARGUMENT on a bad kind or limit, or the iommu backend
 *    without an IOMMU; KERN_RESOURCE_SHORTAGE if the pool cannot be
 *    allocated below the limit, or the domain cannot be made
 */
kern_return_t dma_engine_init(struct dma_engine *eng, const char *name, enum dma_backend_kind kind,
			      uint64_t dma_limit, uint32_t bounce_pages, uint32_t device_id);
/* dma_engine_destroy: free the pool or the domain.  => no descriptor may still be prepared on it */
void dma_engine_destroy(struct dma_engine *eng);
const char *dma_backend_name(enum dma_backend_kind kind);

/*
 * dma_desc_create_virtual: describe [addr, addr + len) of map.  Nothing is
 * wired yet.  => KERN_INVALID_ARGUMENT on a NULL map, zero or too large
 *    length, overflow or a bad direction; KERN_RESOURCE_SHORTAGE if no memory
 */
kern_return_t dma_desc_create_virtual(vm_map_t map, vm_offset_t addr, vm_size_t len,
				      enum dma_direction dir, struct dma_desc **out);
/* dma_desc_create_physical: describe [pa, pa + len) of RAM the caller keeps allocated. */
kern_return_t dma_desc_create_physical(uint64_t pa, uint64_t len, enum dma_direction dir,
				       struct dma_desc **out);
/*
 * dma_desc_create_pages: describe npages whole pages, in this order (the
 * caller keeps the array and the pages until the descriptor is destroyed;
 * a pager's UPL, for instance).  => KERN_INVALID_ARGUMENT on a NULL array
 * or entry, or npages 0
 */
kern_return_t dma_desc_create_pages(vm_page_t *pages, uint32_t npages, enum dma_direction dir,
				    struct dma_desc **out);
/*
 * dma_desc_prepare: wire the memory and give the device I/O addresses
 * through eng.  Bounced data the device reads is copied now.  A virtual
 * descriptor holds its pages (vm_map_hold_pages; for write access if the
 * device writes them, which breaks copy-on-write first): until complete
 * they stay wired and their objects alive even if the range is
 * deallocated meanwhile.  vm_deallocate of such a range succeeds and
 * removes the entries at once (Mach's choice); the memory is freed only
 * by dma_desc_complete, so a device still writing never reaches a page
 * that was given to someone else.
 * => KERN_INVALID_ARGUMENT if d is not a live descriptor or is prepared already
 * => the vm_map_hold_pages error if the range is not mapped with the access needed
 * => KERN_RESOURCE_SHORTAGE if the engine's bounce pool is short; nothing held
 */
kern_return_t dma_desc_prepare(struct dma_desc *d, struct dma_engine *eng);
/*
 * dma_desc_segments: the I/O segments of a prepared descriptor.
 * => KERN_INVALID_ARGUMENT if d is not prepared (e.g. used after complete)
 */
kern_return_t dma_desc_segments(const struct dma_desc *d, const struct dma_segment **segs,
				uint32_t *nsegs);
/*
 * dma_desc_complete: the device is done: copy bounced data it wrote back
 * to the memory, release the I/O addresses and unwire.
 * => KERN_INVALID_ARGUMENT if d is not prepared
 */
kern_return_t dma_desc_complete(struct dma_desc *d);
/* dma_desc_destroy: free d.  => KERN_INVALID_ARGUMENT if it is still prepared */
kern_return_t dma_desc_destroy(struct dma_desc *d);

/*
 * dma_alloc_coherent: size bytes (rounded to pages) of zeroed, physically
 * contiguous memory the device reaches at *ioaddr for as long as it lives.
 * => KERN_RESOURCE_SHORTAGE if no such run is free below the engine's limit
 */
kern_return_t dma_alloc_coherent(struct dma_engine *eng, size_t size, void **kva,
				 uint64_t *ioaddr);
void dma_free_coherent(struct dma_engine *eng, size_t size, void *kva, uint64_t ioaddr);

#endif
