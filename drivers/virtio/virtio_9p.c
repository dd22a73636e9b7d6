/*
 * virtio_9p.c: the virtio 9P transport (see virtio_9p.h).
 */
#include <string.h>

#include "drivers/virtio/virtio_9p.h"
#include "kern/kernel.h"
#include "vm/vm_map.h"
#include "vm/vm_page.h"
#include "vm/xmalloc.h"

static struct virtio_9p *ninep_devs[VIRTIO_9P_MAX_DEVICES];
static int ninep_ndevs;
VIRTIO_DMA_TUNABLES(virtio_9p, "virtio_9p");

struct virtio_9p *virtio_9p_find(const char *tag)
{
	for (int i = 0; i < ninep_ndevs; i++)
		if (strcmp(ninep_devs[i]->tag, tag) == 0)
			return ninep_devs[i];
	return NULL;
}

int virtio_9p_count(void)
{
	return ninep_ndevs;
}

struct virtio_9p *virtio_9p_get(int i)
{
	return i >= 0 && i < ninep_ndevs ? ninep_devs[i] : NULL;
}

static int virtio_9p_errno(kern_return_t kr)
{
	return kr == KERN_OPERATION_TIMED_OUT ? P9_ETIMEDOUT : P9_EIO;
}

/* virtio_9p_prepare: a prepared descriptor over a kernel_map buffer. */
static kern_return_t virtio_9p_prepare(struct virtio_9p *v, const void *buf, size_t len,
				       enum dma_direction dir, struct dma_desc **d)
{
	kern_return_t kr = dma_desc_create_virtual(kernel_map, (vm_offset_t)buf, len, dir, d);

	if (kr != KERN_SUCCESS)
		return kr;
	kr = dma_desc_prepare(*d, &v->vd.dma);
	if (kr != KERN_SUCCESS)
		dma_desc_destroy(*d);
	return kr;
}

static void virtio_9p_release(struct dma_desc *d)
{
	dma_desc_complete(d);
	dma_desc_destroy(d);
}

/* virtio_9p_rpc_io: virtio_9p_rpc's work. */
static int virtio_9p_rpc_io(void *ctx, const void *tbuf, size_t tlen, void *rbuf, size_t rcap,
			    size_t *rlen)
{
	struct virtio_9p *v = ctx;
	struct dma_desc *td, *rd;
	const struct dma_segment *ts, *rs;
	uint32_t nt, nr;
	struct virtq_req req;
	struct virtq_sg sg[2];
	kern_return_t kr;

	__atomic_fetch_add(&v->rpcs, 1, __ATOMIC_RELAXED);
	kr = virtio_9p_prepare(v, tbuf, tlen, DMA_TO_DEVICE, &td);
	if (kr == KERN_SUCCESS) {
		kr = virtio_9p_prepare(v, rbuf, rcap, DMA_FROM_DEVICE, &rd);
		if (kr != KERN_SUCCESS)
			virtio_9p_release(td);
	}
	if (kr != KERN_SUCCESS) {
		__atomic_fetch_add(&v->transport_errors, 1, __ATOMIC_RELAXED);
		return kr == KERN_RESOURCE_SHORTAGE ? P9_ENOMEM : P9_EIO;
	}
	dma_desc_segments(td, &ts, &nt);
	dma_desc_segments(rd, &rs, &nr);
	sg[0] = (struct virtq_sg){ ts, nt, false };
	sg[1] = (struct virtq_sg){ rs, nr, true };
	kr = virtq_submit(v->q, &req, sg, 2);
	if (kr == KERN_SUCCESS)
		kr = virtq_wait(v->q, &req);
	virtio_9p_release(td);
	virtio_9p_release(rd);
	if (kr == KERN_SUCCESS && (req.used_len > rcap || req.used_len == 0))
		kr = KERN_FAILURE;	/* too long, or refused by the IOMMU: nothing written */
	if (kr != KERN_SUCCESS) {
		__atomic_fetch_add(&v->transport_errors, 1, __ATOMIC_RELAXED);
		return virtio_9p_errno(kr);
	}
	*rlen = req.used_len;
	return 0;
}

/*
 * virtio_9p_rpc: the p9_transport call.  Both buffers are kernel_map
 * memory (the client's message buffers, from pinned_heap).  The calling
 * thread is the pager I/O path for the call (swap files and mapped files
 * go through here): holding the buffers may split kernel_map's entries with the map
 * locked, and waiting for memory there would wait for a daemon whose own
 * writes need the map, so the call takes from the page reserve and never
 * waits (vm_page_privileged).
 * => P9_EIO if the device fails the request or writes more than rcap,
 *    P9_ETIMEDOUT if it does not answer
 */
static int virtio_9p_rpc(void *ctx, const void *tbuf, size_t tlen, void *rbuf, size_t rcap,
			 size_t *rlen)
{
	bool was = vm_page_privileged(true);
	int err = virtio_9p_rpc_io(ctx, tbuf, tlen, rbuf, rcap, rlen);

	vm_page_privileged(was);
	return err;
}

/* virtio_9p_read_tag: the mount tag from the device configuration. */
static void virtio_9p_read_tag(struct virtio_9p *v)
{
	uint16_t len = 0;

	if (virtio_has_feature(&v->vd, VIRTIO_9P_F_MOUNT_TAG) && v->vd.devcfg)
		len = virtio_config_read16(&v->vd, VIRTIO_9P_CFG_TAG_LEN);
	len = MIN(len, VIRTIO_9P_TAG_MAX);
	if (v->vd.devcfg_len < VIRTIO_9P_CFG_TAG + (uint32_t)len)
		len = 0;
	for (uint16_t i = 0; i < len; i++)
		v->tag[i] = (char)v->vd.devcfg[VIRTIO_9P_CFG_TAG + i];
	v->tag[len] = '\0';
}

static void virtio_9p_free(struct virtio_9p *v, bool attached)
{
	if (attached)
		virtio_device_detach(&v->vd);
	xmfree((caddr_t)v, pinned_heap);
}

static kern_return_t virtio_9p_attach(struct pci_device *pd)
{
	const uint64_t wanted = VIRTIO_BIT(VIRTIO_9P_F_MOUNT_TAG) | VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC) |
				VIRTIO_BIT(VIRTIO_F_EVENT_IDX);
	struct p9_transport t = { .rpc = virtio_9p_rpc, .max_msize = VIRTIO_9P_MAX_MSIZE };
	struct virtio_9p *v;
	enum dma_backend_kind dma;
	uint64_t dma_limit;
	kern_return_t kr;
	int err;

	if (ninep_ndevs == VIRTIO_9P_MAX_DEVICES)
		return KERN_RESOURCE_SHORTAGE;
	v = (struct virtio_9p *)xmalloc(sizeof(*v), 3, pinned_heap);
	if (!v)
		return KERN_RESOURCE_SHORTAGE;
	memset(v, 0, sizeof(*v));
	virtio_dma_choice(&virtio_9p_dma, &virtio_9p_dma_bits, ninep_ndevs, &dma, &dma_limit);
	kr = virtio_pci_attach(&v->vd, pd, "virtio-9p", wanted, dma, dma_limit);
	if (kr != KERN_SUCCESS) {
		virtio_9p_free(v, false);
		return kr;
	}
	virtio_9p_read_tag(v);
	kr = virtio_queue_create(&v->vd, 0, VIRTIO_9P_QUEUE_MAX, &v->q);
	if (kr == KERN_SUCCESS)
		kr = virtio_device_ready(&v->vd);
	if (kr != KERN_SUCCESS) {
		kprintf("%s: not attached (%s)\n", v->vd.name, kern_return_name(kr));
		virtio_9p_free(v, true);
		return kr;
	}
	t.ctx = v;
	err = p9_client_init(&v->client, &t, "root", "", 0);
	if (err) {
		kprintf("%s: \"%s\": attach refused: %s\n", v->vd.name, v->tag, p9_strerror(err));
		virtio_9p_free(v, true);
		return KERN_FAILURE;
	}
	kprintf("%s: \"%s\" mounted, msize %u, queue %u%s%s\n", v->vd.name, v->tag, v->client.msize,
		v->q->size, v->q->indirect ? ", indirect" : "", v->q->event_idx ? ", event_idx" : "");
	ninep_devs[ninep_ndevs++] = v;
	return KERN_SUCCESS;
}

int virtio_9p_probe(void)
{
	virtio_pci_probe(VIRTIO_ID_9P, virtio_9p_attach);
	return ninep_ndevs;
}
