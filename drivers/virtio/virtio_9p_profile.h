/*
 * virtio_9p_profile.h: working-set profiles (vm/vm_ws.h) kept as files of
 * a virtio-9p share, so that a profile taken in one run seeds the next
 * (the reference's app-profile idea).  File format: the magic
 * VIRTIO_9P_PROFILE_MAGIC, the line count (both 64-bit, little-endian),
 * then each line's address and page bits (64 bits each).
 */
#ifndef DRIVERS_VIRTIO_VIRTIO_9P_PROFILE_H
#define DRIVERS_VIRTIO_VIRTIO_9P_PROFILE_H

#include "vm/vm_ws.h"

struct virtio_9p;

#define VIRTIO_9P_PROFILE_MAGIC	0x656c69666f727077ull	/* "wprofile" */

/* virtio_9p_profile_save: ws's lines into file path of share.  => 0 or a P9_E* error */
int virtio_9p_profile_save(struct virtio_9p *share, const char *path, vm_ws_t ws);
/*
 * virtio_9p_profile_load: merge the lines of file path of share into ws.
 * => 0, a P9_E* error, or P9_EINVAL if the file is not a profile
 */
int virtio_9p_profile_load(struct virtio_9p *share, const char *path, vm_ws_t ws);

#endif
