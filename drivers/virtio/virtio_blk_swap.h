/*
 * virtio_blk_swap.h: virtio-blk disks as swap: segments of the default
 * pager's pool (vm/default_pager.h), named by serial on the command line.
 */
#ifndef DRIVERS_VIRTIO_VIRTIO_BLK_SWAP_H
#define DRIVERS_VIRTIO_VIRTIO_BLK_SWAP_H

#include <stdbool.h>

struct swap_segment_ops;
struct virtio_blk;

/*
 * virtio_blk_swap_init: the disks serials names ("SERIAL[,SERIAL...]", as
 * in `swap=`) join the pool (after the drivers have probed, the default
 * pager set up).  Returns the disks added.
 */
int virtio_blk_swap_init(const char *serials);
/*
 * virtio_blk_swap_ops: a disk's slots for the default pager, its device
 * handle the struct virtio_blk (for a disk added later: AIX's vm_mount).
 */
extern const struct swap_segment_ops virtio_blk_swap_ops;
/* virtio_blk_swap_in_use: b is a swap segment (nobody else may write it). */
bool virtio_blk_swap_in_use(const struct virtio_blk *b);

#endif
