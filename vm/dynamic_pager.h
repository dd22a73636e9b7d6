/*
 * dynamic_pager.h: the dynamic pager: swap files that join the default
 * pager's pool as it fills and leave it (drained, then deleted) once it
 * has stayed empty enough for a while (dynamic_pager.c lists the
 * command-line parameters and their defaults).  The policy is here; the
 * files are kept by a store that an I/O adapter provides
 * (drivers/virtio/virtio_9p_swapfile.c: a directory of a virtio-9p share).
 */
#ifndef VM_DYNAMIC_PAGER_H
#define VM_DYNAMIC_PAGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vm/vm_page.h"

/* Where swap files are kept. */
struct swapfile_store_ops {
	/*
	 * create: swap file number index (below DP_MAX_SEGMENTS), size bytes,
	 * ready for I/O; name gets its name for messages.
	 * => its handle; NULL (reported) if the store refused
	 */
	void *(*create)(unsigned index, uint64_t size, char *name, size_t name_len);
	/* destroy: close and delete the file.  May sleep. */
	void (*destroy)(void *file);
	/* start, finish: struct swap_segment_ops's (vm/default_pager.h), on the file. */
	kern_return_t (*start)(void *file, bool write, uint64_t slot, vm_page_t *pages,
			       uint32_t npages, void **io);
	kern_return_t (*finish)(void *file, void *io);
};

struct swapfile_stats {
	uint64_t files;			/* in the pool now (draining included) */
	uint64_t created, deleted;
	uint64_t create_failures;	/* refused by the store: retried later */
	uint64_t write_failures;	/* polls that found a file's writes refused */
	uint64_t backoff_longest_ms;	/* the longest wait after a failure so far */
	uint64_t peak;			/* the most files in the pool at once */
	uint64_t drains_cancelled;	/* the pool filled up again during a drain */
	uint64_t drain_errors;		/* a drain step failed: retried later */
	uint64_t draining;		/* 1 while a file is being drained */
	uint64_t file_bytes;		/* size of each file */
	uint64_t files_max;		/* files at most: swapfile.max, held to the pool's room */
};

/*
 * dynamic_pager_start: run the dynamic pager over store (once, at boot,
 * once the disks have joined the pool).  => false (reported) if it cannot
 */
bool dynamic_pager_start(const struct swapfile_store_ops *store);
/* swapfile_stats: a snapshot (all zero if the dynamic pager does not run). */
void swapfile_stats(struct swapfile_stats *st);

#endif
