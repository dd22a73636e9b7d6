/*
 * swap.h: setting up the backing store and the pageout daemon at boot
 * (see swap.c for the command-line parameters).
 */
#ifndef KERN_SWAP_H
#define KERN_SWAP_H

#include <stdbool.h>

struct virtio_blk;

/*
 * How long a request to a swap device (disk or swap-file share) may take
 * before the device is failed.  Failing it loses every page it holds, and
 * a busy host can hold a write back for tens of seconds (its own
 * dirty-page throttling), so swap devices wait far longer than virtio's
 * default.
 */
#define SWAP_IO_TIMEOUT_NS	(300ull * 1000 * 1000 * 1000)

/* swap_init: after the drivers have probed; returns the disks added. */
int swap_init(void);
/* swap_disk_in_use: b is a swap segment (nobody else may write it). */
bool swap_disk_in_use(const struct virtio_blk *b);

#endif
