/*
 * default_pager.h: the default (anonymous-memory) pager and its pool of
 * swap segments.
 *
 * A segment is a place pages can be kept: a raw disk or a swap file; its
 * driver supplies the I/O (struct swap_segment_ops): requests are started
 * and finished apart, so that the pageout daemon may keep a few writes in
 * flight (data_return_async) while it gathers the next cluster.  Space is handed out
 * in clusters of DP_CLUSTER_PAGES pages, one per cluster-aligned block of
 * an object that has been paged out (page i of the block lives in slot i
 * of its cluster, rewritten in place): a pageout writes a block's dirty
 * pages in one request per contiguous run, and a
 * pagein reads the run of neighbours the entry's behavior asks for
 * (SEQUENTIAL ahead, RSEQNTL behind, DEFAULT the surrounding cluster,
 * RANDOM only the page).  Each object records where each of its paged-out
 * pages lives; a slot is released when its page is written elsewhere, its
 * object dies, or it is paged in PRECIOUS.
 *
 * Lock tags: kern/lock.h; dp_lock [d] is a spinlock (the fault path asks
 * has_page under an object lock).  Lock order: object lock, then dp_lock.
 */
#ifndef VM_DEFAULT_PAGER_H
#define VM_DEFAULT_PAGER_H

#include <stdbool.h>
#include <stdint.h>

#include "vm/kern_return.h"
#include "vm/vm_page.h"

#define DP_CLUSTER_PAGES	16
#define DP_MAX_SEGMENTS		32	/* the pool's segments at most: swap disks and swap files */
#define DP_NAME_MAX		32

/*
 * How long a request to a swap device (disk or swap-file share) may take
 * before the device is failed.  Failing it loses every page it holds, and
 * a busy host can hold a write back for tens of seconds (its own
 * dirty-page throttling), so swap devices wait far longer than virtio's
 * default.  The I/O adapters set it on their devices.
 */
#define SWAP_IO_TIMEOUT_NS	(300ull * 1000 * 1000 * 1000)

struct swap_segment_ops {
	/*
	 * start: begin moving npages pages between memory and slots [slot,
	 * slot + npages) of the segment, in one request; *io: the driver's
	 * handle for finish, or NULL if the move is already done.  May sleep.
	 * => KERN_SUCCESS, or KERN_MEMORY_ERROR if nothing could be started
	 *    (or, done at once, the device failed it)
	 */
	kern_return_t (*start)(void *dev, bool write, uint64_t slot, vm_page_t *pages,
			       uint32_t npages, void **io);
	/* finish: wait for the request io and release it.  => KERN_SUCCESS or KERN_MEMORY_ERROR */
	kern_return_t (*finish)(void *dev, void *io);
	/* release: the segment has left the pool (drained): give its device or file back. May sleep. */
	void (*release)(void *dev);
};

struct swap_segment {
	char name[DP_NAME_MAX];			/* [c] */
	const struct swap_segment_ops *ops;	/* [c] */
	void *dev;				/* [c] */
	uint64_t nclusters;			/* [c] */
	uint8_t *used;				/* [d] pages held per cluster */
	uint8_t *state;				/* [d] per cluster: free, owned by a block, bad */
	uint64_t free_clusters;			/* [d] */
	uint64_t bad_clusters;			/* [d] */
	uint64_t used_pages;			/* [d] slots holding a page */
	uint64_t refs;				/* [d] blocks writing to one of its clusters */
	uint64_t io_busy;			/* [d] pages being read or written */
	uint64_t cursor;			/* [d] where to look for a free cluster next */
	bool draining;				/* [d] no new clusters; being emptied */
	bool in_use;				/* [d] the slot of the pool is taken */
	uint64_t read_requests, write_requests;	/* [d] */
	uint64_t pages_in, pages_out;		/* [d] */
	uint8_t reported;			/* [d] DP_REPORTED_* kinds of error printed once */
};

/* Errors a segment reports on the console the first time only (swap_segment.reported). */
#define DP_REPORTED_READ	0x1
#define DP_REPORTED_WRITE	0x2
#define DP_REPORTED_CHECKSUM	0x4

/* Tries of a read that fails before its pages fail (the first error may be transient). */
#define DP_READ_TRIES		3

struct default_pager_stats {
	uint64_t segments;
	uint64_t total_pages, free_pages;	/* pool space (free: in free clusters) */
	uint64_t used_pages;			/* slots holding a page */
	uint64_t pageouts, pageins;		/* pages moved */
	uint64_t write_requests, read_requests;
	uint64_t write_errors, read_errors;	/* failed requests (a retried read counts each try) */
	uint64_t read_retries;			/* reads tried again after an error */
	uint64_t checksum_errors;		/* pages read whose checksum did not match: lost */
	uint64_t full;				/* pageouts refused: no free cluster */
	uint64_t moved;				/* pages moved out of draining segments */
	uint64_t segments_removed;
};

/* default_pager_init: become vm_pager_default (once). */
void default_pager_init(void);

/*
 * default_pager_add_segment: put npages of a device into the pool.
 * => KERN_INVALID_ARGUMENT without ops or with less than one cluster
 * => KERN_RESOURCE_SHORTAGE if the pool is full or memory is short
 */
kern_return_t default_pager_add_segment(const char *name, const struct swap_segment_ops *ops,
					void *dev, uint64_t npages, struct swap_segment **out);
void default_pager_stats(struct default_pager_stats *st);

/*
 * Draining takes a segment out of the pool without losing a page:
 * default_pager_drain_start stops new clusters there; each
 * default_pager_drain_step moves the pages of up to max_blocks object
 * blocks into the rest of the pool (absent pages are read, written to a
 * new cluster and recorded there; resident ones lose their copy there and
 * go out again with the next pageout); once a step reports the segment
 * empty, default_pager_remove_segment takes it out and releases it.
 * default_pager_drain_cancel puts it back in service instead.
 * => KERN_INVALID_ARGUMENT: seg not in the pool (start: or already draining;
 *    step, cancel: or not draining; step: empty NULL)
 * => start, KERN_RESOURCE_SHORTAGE: the rest of the pool has too few free
 *    clusters for the blocks seg holds pages of (unless force: a segment
 *    that refuses writes takes no new cluster whatever room the rest has)
 * => step, KERN_RESOURCE_SHORTAGE: no free cluster elsewhere or no page to
 *    move through; KERN_MEMORY_ERROR: a read or write failed (the pages
 *    stay where they were); either way a later step may succeed
 * => remove: KERN_FAILURE if seg still holds pages or I/O
 */
kern_return_t default_pager_drain_start(struct swap_segment *seg, bool force);
kern_return_t default_pager_drain_step(struct swap_segment *seg, unsigned max_blocks, bool *empty);
kern_return_t default_pager_drain_cancel(struct swap_segment *seg);
kern_return_t default_pager_remove_segment(struct swap_segment *seg);
/* default_pager_segment: segment i of the pool (NULL if that slot is empty). */
const struct swap_segment *default_pager_segment(int i);

/*
 * default_pager_print: the pool's totals, then one line per segment:
 * clusters by state, pages held, blocks writing to it, I/O in flight.
 */
void default_pager_print(int (*print)(const char *fmt, ...));

/* default_pager_check: every object record agrees with the clusters' counts; returns problems. */
int default_pager_check(void (*report)(const char *fmt, ...));

#endif
