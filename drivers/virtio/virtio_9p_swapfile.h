/*
 * virtio_9p_swapfile.h: the store of the dynamic pager's swap files
 * (vm/dynamic_pager.h): files swapfile0, swapfile1, ... in a directory of
 * a virtio-9p share, so that they are real host files.
 */
#ifndef DRIVERS_VIRTIO_VIRTIO_9P_SWAPFILE_H
#define DRIVERS_VIRTIO_VIRTIO_9P_SWAPFILE_H

#include <stdbool.h>

/*
 * virtio_9p_swapfile_init: the share and directory spec names ("TAG[:DIR]",
 * as in `swapfile=`; files left there by an earlier boot are deleted), then
 * the dynamic pager over them.  => false (reported) if swap files are off
 */
bool virtio_9p_swapfile_init(const char *spec);

#endif
