/*
 * swap.h: setting up the backing store and the pageout daemon at boot
 * (see swap.c for the command-line parameters).
 */
#ifndef KERN_SWAP_H
#define KERN_SWAP_H

#include <stdbool.h>

struct virtio_blk;

/* swap_init: after the drivers have probed; returns the disks added. */
int swap_init(void);
/* swap_disk_in_use: b is a swap segment (nobody else may write it). */
bool swap_disk_in_use(const struct virtio_blk *b);

#endif
