/*
 * iommu.h: the IOMMU driver: what the kernel builds for the IOMMU model
 * (iommu_hw.h) to read, and the I/O address spaces devices use.
 *
 * One IOMMU stands between the PCI bus and memory.  Each PCI function that
 * goes through it is an iommu_device (its requester ID is its device_id)
 * attached to a domain: one PSCID, one Sv39 I/O page table, one arena of
 * I/O addresses below the domain's limit.  A device has a domain of its own
 * unless it is attached to another's (domains can be shared).
 *
 * iommu_map gives a list of physical runs consecutive I/O addresses and
 * writes the PTEs with the access the device may make; iommu_unmap clears
 * them and makes the addresses reusable, by the domain's policy:
 *   strict    each unmap invalidates the IOTLB for its pages (IOTINVAL.VMA
 *             for each page or 64 KiB Svnapot block, IOMMU_INVAL_ADDRS at
 *             most, else for the whole PSCID; then IOFENCE.C) before the
 *             addresses go back;
 *   deferred  unmapped ranges wait in a flush queue; when IOMMU_FLUSH_BATCH
 *             have gathered (or iommu_flush is called) one IOTINVAL.VMA for
 *             the PSCID and one IOFENCE.C cover them all, and only then are
 *             they reused.  Until that flush the IOTLB may still hold their
 *             old translations: a device that kept an address it was told
 *             to forget can still reach the page behind it, which the
 *             kernel may meanwhile have freed and reused.  Strict closes
 *             that window at the price of one invalidation per unmap.
 * Recently freed ranges of up to IOMMU_MAG_PAGES pages are kept per hart
 * (magazines), larger ones per domain (IOMMU_BIG_CACHE), so that the usual
 * map/unmap pair never takes the arena's lock.  A unit made with
 * iommu.magazines=off keeps no cache: every range comes from the arena and
 * goes back to it (to measure the arena, make bench-scale).
 *
 * Lock tags: kern/lock.h.  Order: [D] before [u]; the model's [M] is innermost.
 */
#ifndef DRIVERS_IOMMU_IOMMU_H
#define DRIVERS_IOMMU_IOMMU_H

#include <stdbool.h>
#include <stdint.h>

#include "drivers/iommu/iommu_hw.h"
#include "drivers/iommu/iova.h"
#include "kern/spinlock.h"
#include "vm/kern_return.h"

enum iommu_policy {
	IOMMU_STRICT,
	IOMMU_DEFERRED,
};

#define IOMMU_IOVA_BASE		0x100000ull	/* the first I/O address handed out */
#define IOMMU_IOVA_TOP		(1ull << 38)	/* Sv39: higher addresses are not canonical */
#define IOMMU_MAG_PAGES		8		/* ranges up to this many pages are cached per hart */
#define IOMMU_MAG_SIZE		128		/* ranges per hart and size: two deferred batches */
#define IOMMU_FLUSH_BATCH	64		/* deferred: ranges per invalidation */
#define IOMMU_CQ_LOG2		6		/* 64 commands */
#define IOMMU_FQ_LOG2		6		/* 64 fault records (63 usable) */
#define IOMMU_FAULT_LOG		16		/* faults the driver keeps to show */
#define IOMMU_PRUNE_MAX		64		/* tables one trim may free */
#define IOMMU_INVAL_ADDRS	16		/* strict: per-address invalidations at most */
#define IOMMU_BIG_CACHE		128		/* larger freed ranges a domain keeps: two batches */

/* I/O page access a mapping gives (a device write implies it may read: W needs R). */
#define IOMMU_PROT_READ		1
#define IOMMU_PROT_WRITE	2

struct iommu;

struct iommu_magazine {
	uint32_t n;			/* [h] */
	uint64_t page[IOMMU_MAG_SIZE];	/* [h] first pages of free ranges */
};

/* One hart's magazines: only that hart uses them (iommu_quiesce asks it to empty them). */
struct iommu_hart_cache {
	struct iommu_magazine mag[IOMMU_MAG_PAGES];	/* [h] by npages - 1 */
} __attribute__((aligned(64)));

struct iommu_flush_entry {
	uint64_t page, npages;
};

struct iommu_domain_stats {
	uint64_t mapped_pages;		/* [D] leaf PTEs now */
	uint64_t table_pages;		/* [D] page-table pages */
	uint64_t invalidations;		/* [a] IOTINVAL.VMA commands sent */
	uint64_t flushes;		/* [D] deferred batches flushed */
};

struct iommu_domain {
	struct iommu *unit;		/* [c] */
	uint32_t pscid;			/* [c] */
	enum iommu_policy policy;	/* [c] */
	uint64_t limit;			/* [c] first I/O address past the domain */
	uint64_t root_pa;		/* [c] Sv39 root table */
	uint64_t walk_region, walk_table;	/* [D] the level-0 table of the last 2 MiB walked */
	struct spinlock lock;
	struct iova_arena arena;
	struct iommu_hart_cache *cache;	/* [c] one per hart */
	struct iommu_flush_entry flushq[IOMMU_FLUSH_BATCH];	/* [D] */
	uint32_t nflush;		/* [D] */
	struct iommu_flush_entry big[IOMMU_BIG_CACHE];	/* [D] freed ranges of more than
							   IOMMU_MAG_PAGES, for maps of their size */
	uint32_t nbig;			/* [D] */
	uint32_t ndevices;		/* [u] */
	struct iommu_domain *next;	/* [u] all domains */
	struct iommu_domain_stats stats;
};

struct iommu_device {
	uint32_t device_id;		/* [c] PCI requester ID: bus << 8 | device << 3 | function */
	char name[24];			/* [c] */
	struct iommu_domain *domain;	/* [u] */
	struct iommu_device *next;	/* [u] */
};

struct iommu_fault {
	uint32_t cause, ttyp, device_id;
	uint64_t iova;
};

struct iommu {
	struct iommu_hw hw;		/* the model, reached only through its registers */
	struct spinlock lock;
	int ddt_levels;			/* [c] 1, 2 or 3 */
	uint64_t ddt_root;		/* [c] */
	uint64_t ddt_pages;		/* [u] */
	uint64_t cq_pa, fq_pa;		/* [c] */
	uint32_t cq_tail, fq_head;	/* [u] */
	uint64_t fence_pa;		/* [c] the word IOFENCE.C writes */
	uint32_t fence_seq;		/* [u] */
	uint32_t next_pscid;		/* [u] */
	enum iommu_policy default_policy;	/* [c] */
	bool magazines;			/* [c] cache freed I/O addresses (per hart, per domain) */
	struct iommu_domain *domains;	/* [u] */
	struct iommu_device *devices;	/* [u] */
	struct iommu_fault faults[IOMMU_FAULT_LOG];	/* [u] the last ones, by faults_seen */
	uint64_t faults_seen;		/* [u] records drained */
	uint64_t overflows;		/* [u] times the queue was found overflowed */
};

/* The IOMMU in front of the PCI bus, NULL when the command line says iommu=off. */
extern struct iommu *iommu_unit;

/*
 * iommu_init: set up iommu_unit from the command line (iommu=on|off,
 * iommu.policy=strict|deferred, iommu.ddt=1|2|3): directory, queues, the
 * model switched on.  => KERN_SUCCESS (also when off), or
 * KERN_RESOURCE_SHORTAGE / KERN_INVALID_ARGUMENT with a message
 */
kern_return_t iommu_init(void);

/*
 * iommu_create: a unit with a directory of ddt_levels levels (1-3).
 * => KERN_INVALID_ARGUMENT on a bad level count, KERN_RESOURCE_SHORTAGE
 */
kern_return_t iommu_create(int ddt_levels, enum iommu_policy policy, struct iommu **out);
/* iommu_destroy: switch the model off and free everything.  => no device attached */
void iommu_destroy(struct iommu *u);

/*
 * iommu_domain_create: an empty address space whose I/O addresses stay
 * below limit (a 32-bit device: 1 << 32).
 * => KERN_INVALID_ARGUMENT if limit leaves no room; KERN_RESOURCE_SHORTAGE
 */
kern_return_t iommu_domain_create(struct iommu *u, enum iommu_policy policy, uint64_t limit,
				  struct iommu_domain **out);
/* iommu_domain_destroy: free a domain no device uses.  => KERN_FAILURE if one still does */
kern_return_t iommu_domain_destroy(struct iommu_domain *dom);

/*
 * iommu_device_attach: device_id's transactions are translated in dom:
 * its device context is written and the cached one invalidated
 * (IODIR.INVAL_DDT).  Attaching again moves it to dom.
 * => KERN_INVALID_ARGUMENT if device_id is too wide for the directory;
 *    KERN_RESOURCE_SHORTAGE if a directory page cannot be had
 */
kern_return_t iommu_device_attach(struct iommu *u, uint32_t device_id, const char *name,
				  struct iommu_domain *dom);
/* iommu_device_detach: the device's context is made invalid: every transaction of it faults. */
void iommu_device_detach(struct iommu *u, uint32_t device_id);

/*
 * iommu_map: consecutive I/O addresses for the runs (physical, any
 * alignment; each run's pages are mapped whole), the access prot.
 * => *iova: the I/O address of runs[0].pa; *npages: the pages taken (for
 *    iommu_unmap of trunc_page(*iova))
 * => KERN_NO_SPACE if the domain has no such range; KERN_RESOURCE_SHORTAGE
 *    if a page table cannot be had; nothing mapped on error
 */
kern_return_t iommu_map(struct iommu_domain *dom, const struct iommu_run *runs, uint32_t nruns,
			int prot, uint64_t *iova, uint64_t *npages);
/*
 * iommu_unmap: undo an iommu_map, by the domain's policy.  => iova and
 * npages exactly as that iommu_map returned them (the range goes back to
 * the caches unchecked: a range it did not map would be handed out twice)
 */
void iommu_unmap(struct iommu_domain *dom, uint64_t iova, uint64_t npages);
/*
 * iommu_domain_trim: free the page tables no mapping uses any more (after
 * invalidating the PSCID).  Unmaps leave them for the next maps.
 */
void iommu_domain_trim(struct iommu_domain *dom);
/* iommu_flush: deferred domains: invalidate and release the queued ranges now. */
void iommu_flush(struct iommu_domain *dom);
/*
 * iommu_quiesce: flush every domain of u, give the ranges its magazines
 * cache back to the arena and trim its tables, so that a domain between
 * transfers holds only what its lasting mappings need (for accounting
 * checks and the checker).
 * => interrupts on, no spinlock held (each hart empties its own
 *    magazines); no domain of u is destroyed meanwhile
 */
void iommu_quiesce(struct iommu *u);

/*
 * The parts of map and unmap, for tests that break the rules on purpose:
 * iommu_domain_enter writes the PTEs of [iova, iova + len) -> pa (no
 * allocation); iommu_domain_clear clears them (no invalidation);
 * iommu_domain_invalidate sends IOTINVAL.VMA for them and waits for IOFENCE.C.
 */
kern_return_t iommu_domain_enter(struct iommu_domain *dom, uint64_t iova, uint64_t pa, uint64_t len,
				 int prot);
void iommu_domain_clear(struct iommu_domain *dom, uint64_t iova, uint64_t len);
void iommu_domain_invalidate(struct iommu_domain *dom, uint64_t iova, uint64_t len);
/* iommu_domain_lookup: the PTE's physical address for iova, false if none. */
bool iommu_domain_lookup(struct iommu_domain *dom, uint64_t iova, uint64_t *pa, int *prot);

/* iommu_device_context: device_id's context in the directory, NULL if none was written. */
struct rio_device_context *iommu_device_context(struct iommu *u, uint32_t device_id);
/* iommu_ddt_invalidate: IODIR.INVAL_DDT for device_id, then IOFENCE.C. */
void iommu_ddt_invalidate(struct iommu *u, uint32_t device_id);

/*
 * iommu_faults_drain: read the fault queue into the log (printing each
 * record) and clear an overflow, counting it.  => records read
 */
uint32_t iommu_faults_drain(struct iommu *u);
/* iommu_fault_last: the newest fault drained, false if none ever was. */
bool iommu_fault_last(struct iommu *u, struct iommu_fault *f);
const char *iommu_cause_name(uint32_t cause);

/*
 * iommu_check: every I/O page table agrees with its arena (each leaf lies
 * in an allocated range; each allocated range is mapped whole, or not at
 * all while it waits in a magazine or the flush queue); no leaf points at
 * a free page or at one that is not wired; each attached device's context
 * names its domain.  => problems found, each reported
 */
int iommu_check(struct iommu *u, void (*report)(const char *fmt, ...));
/* iommu_print: per device: mode, domain, mappings, IOTLB occupancy; the fault log. */
void iommu_print(struct iommu *u, int (*print)(const char *fmt, ...));

#endif
