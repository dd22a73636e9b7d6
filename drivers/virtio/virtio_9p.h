/*
 * virtio_9p.h: the virtio 9P transport (a request is the T-message,
 * device-readable, followed by room for the R-message, device-writable,
 * on one request queue) and the mounts made on it.
 *
 * At probe every share is attached with a 9P2000.L client (drivers/9p/p9.h)
 * and found by its mount tag, the name QEMU's mount_tag= gives it.
 *
 * Lock tags: kern/lock.h.
 */
#ifndef DRIVERS_VIRTIO_VIRTIO_9P_H
#define DRIVERS_VIRTIO_VIRTIO_9P_H

#include "drivers/9p/p9.h"
#include "drivers/virtio/virtio.h"
#include "drivers/virtio/virtqueue.h"

#define VIRTIO_9P_F_MOUNT_TAG	0
#define VIRTIO_9P_CFG_TAG_LEN	0x00	/* le16 */
#define VIRTIO_9P_CFG_TAG	0x02	/* tag_len bytes, not NUL-terminated */
#define VIRTIO_9P_TAG_MAX	64
#define VIRTIO_9P_MAX_DEVICES	4
#define VIRTIO_9P_QUEUE_MAX	128
/* Largest message: each of its two buffers must fit the ring as 4 KiB pages. */
#define VIRTIO_9P_MAX_MSIZE	(128u * 1024 + 4096)

struct virtio_9p {
	struct virtio_device vd;
	struct virtq *q;			/* [c] */
	char tag[VIRTIO_9P_TAG_MAX + 1];	/* [c] */
	struct p9_client client;		/* [c] attached to the share's root */
	uint64_t rpcs, transport_errors;	/* [a] */
};

/* virtio_9p_probe: attach and mount every virtio-9p function; returns how many. */
int virtio_9p_probe(void);
/* virtio_9p_find: the share with this mount tag, NULL if none. */
struct virtio_9p *virtio_9p_find(const char *tag);
/* virtio_9p_count / virtio_9p_get: the shares attached, in probe order (get: NULL past the end). */
int virtio_9p_count(void);
struct virtio_9p *virtio_9p_get(int i);

#endif
