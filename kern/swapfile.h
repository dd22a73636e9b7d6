/*
 * swapfile.h: the dynamic pager: swap files on a virtio-9p share that
 * join the default pager's pool as it fills and leave it (drained, then
 * deleted) once it has stayed empty enough for a while (swapfile.c lists
 * the command-line parameters and their defaults).
 */
#ifndef KERN_SWAPFILE_H
#define KERN_SWAPFILE_H

#include <stdbool.h>
#include <stdint.h>

struct swapfile_stats {
	uint64_t files;			/* in the pool now (draining included) */
	uint64_t created, deleted;
	uint64_t create_failures;	/* refused by the share: retried later */
	uint64_t drains_cancelled;	/* the pool filled up again during a drain */
	uint64_t drain_errors;		/* a drain step failed: retried later */
	uint64_t draining;		/* 1 while a file is being drained */
	uint64_t file_bytes;		/* size of each file */
};

/*
 * swapfile_init: start the dynamic pager if the command line asks for it
 * (swapfile=TAG[:DIR]) and the share is there.  => after the default
 * pager is set up; true if it runs
 */
bool swapfile_init(void);
/* swapfile_stats: a snapshot (all zero if the dynamic pager does not run). */
void swapfile_stats(struct swapfile_stats *st);

#endif
