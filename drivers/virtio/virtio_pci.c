/*
 * virtio_pci.c: the virtio 1.x modern PCI transport (see virtio.h).
 */
#include <stdio.h>
#include <string.h>

#include "drivers/virtio/virtio.h"
#include "drivers/virtio/virtq_bus.h"
#include "drivers/virtio/virtqueue.h"
#include "kern/cmdline.h"
#include "kern/kernel.h"

/* Transitional device IDs (4.1.2.3) for the devices this image drives. */
static const struct {
	uint16_t pci_id;
	uint32_t virtio_id;
} virtio_transitional[] = {
	{ 0x1001, VIRTIO_ID_BLOCK },
	{ 0x1009, VIRTIO_ID_9P },
};

uint32_t virtio_device_id(const struct pci_device *pd)
{
	if (pd->vendor != VIRTIO_PCI_VENDOR)
		return 0;
	if (pd->device >= 0x1041 && pd->device <= 0x107f)
		return pd->device - 0x1040u;
	for (size_t i = 0; i < sizeof(virtio_transitional) / sizeof(virtio_transitional[0]); i++)
		if (virtio_transitional[i].pci_id == pd->device)
			return virtio_transitional[i].virtio_id;
	return 0;
}

int virtio_pci_probe(uint32_t id, kern_return_t (*attach)(struct pci_device *pd))
{
	int n = 0;

	for (int i = 0; i < pci_count(); i++)
		if (virtio_device_id(pci_get(i)) == id && attach(pci_get(i)) == KERN_SUCCESS)
			n++;
	return n;
}

static volatile uint8_t *vreg8(struct virtio_device *vd, uint32_t off)
{
	return vd->common + off;
}

static volatile uint16_t *vreg16(struct virtio_device *vd, uint32_t off)
{
	return (volatile uint16_t *)(vd->common + off);
}

static volatile uint32_t *vreg32(struct virtio_device *vd, uint32_t off)
{
	return (volatile uint32_t *)(vd->common + off);
}

static void vwrite64(struct virtio_device *vd, uint32_t off, uint64_t v)
{
	*vreg32(vd, off) = (uint32_t)v;
	*vreg32(vd, off + 4) = (uint32_t)(v >> 32);
}

static void virtio_status_set(struct virtio_device *vd, uint8_t bits)
{
	*vreg8(vd, VIRTIO_COMMON_STATUS) = (uint8_t)(*vreg8(vd, VIRTIO_COMMON_STATUS) | bits);
}

/* virtio_reset: write 0 and wait for the device to read back 0 (4.1.4.3.2). */
static void virtio_reset(struct virtio_device *vd)
{
	*vreg8(vd, VIRTIO_COMMON_STATUS) = 0;
	for (int i = 0; i < 1000000 && *vreg8(vd, VIRTIO_COMMON_STATUS) != 0; i++)
		;
}

/*
 * virtio_find_caps: map the structure of each cfg_type the device offers
 * (the first capability of each type, as 4.1.4 recommends).
 */
static kern_return_t virtio_find_caps(struct virtio_device *vd)
{
	struct pci_device *pd = vd->pci;

	for (uint32_t cap = pci_cap_find(pd, PCI_CAP_ID_VNDR, 0); cap;
	     cap = pci_cap_find(pd, PCI_CAP_ID_VNDR, cap)) {
		uint8_t type = pci_cfg_read8(pd, cap + VIRTIO_PCI_CAP_CFG_TYPE);
		uint8_t bar = pci_cfg_read8(pd, cap + VIRTIO_PCI_CAP_BAR);
		uint32_t off = pci_cfg_read32(pd, cap + VIRTIO_PCI_CAP_OFFSET);
		uint32_t len = pci_cfg_read32(pd, cap + VIRTIO_PCI_CAP_LENGTH);
		volatile uint8_t *base;

		if (bar >= PCI_NUM_BARS || !(base = pci_bar_map(pd, bar)) ||
		    (uint64_t)off + len > pd->bar[bar].size)
			continue;
		base += off;
		if (type == VIRTIO_PCI_CAP_COMMON_CFG && !vd->common && len >= 0x38)
			vd->common = base;
		else if (type == VIRTIO_PCI_CAP_NOTIFY_CFG && !vd->notify) {
			vd->notify = base;
			vd->notify_mult = pci_cfg_read32(pd, cap + VIRTIO_PCI_NOTIFY_MULTIPLIER);
		} else if (type == VIRTIO_PCI_CAP_ISR_CFG && !vd->isr)
			vd->isr = base;
		else if (type == VIRTIO_PCI_CAP_DEVICE_CFG && !vd->devcfg) {
			vd->devcfg = base;
			vd->devcfg_len = len;
		}
	}
	if (!vd->common || !vd->notify || !vd->isr) {
		kprintf("%s: no modern virtio capabilities (common %s, notify %s, isr %s)\n", vd->name,
			vd->common ? "yes" : "no", vd->notify ? "yes" : "no", vd->isr ? "yes" : "no");
		return KERN_NOT_SUPPORTED;
	}
	return KERN_SUCCESS;
}

static uint64_t virtio_device_features(struct virtio_device *vd)
{
	uint64_t f;

	*vreg32(vd, VIRTIO_COMMON_DFSELECT) = 0;
	f = *vreg32(vd, VIRTIO_COMMON_DF);
	*vreg32(vd, VIRTIO_COMMON_DFSELECT) = 1;
	return f | (uint64_t)*vreg32(vd, VIRTIO_COMMON_DF) << 32;
}

/* virtio_negotiate: 3.1.1 steps 4-6. */
static kern_return_t virtio_negotiate(struct virtio_device *vd, uint64_t wanted)
{
	uint64_t offered = virtio_device_features(vd);

	if (!(offered & VIRTIO_BIT(VIRTIO_F_VERSION_1))) {
		kprintf("%s: device does not offer VIRTIO_F_VERSION_1 (features 0x%lx)\n", vd->name,
			offered);
		virtio_status_set(vd, VIRTIO_STATUS_FAILED);
		return KERN_NOT_SUPPORTED;
	}
	vd->features = (offered & wanted) | VIRTIO_BIT(VIRTIO_F_VERSION_1) |
		       (offered & VIRTIO_BIT(VIRTIO_F_ACCESS_PLATFORM));
	*vreg32(vd, VIRTIO_COMMON_GFSELECT) = 0;
	*vreg32(vd, VIRTIO_COMMON_GF) = (uint32_t)vd->features;
	*vreg32(vd, VIRTIO_COMMON_GFSELECT) = 1;
	*vreg32(vd, VIRTIO_COMMON_GF) = (uint32_t)(vd->features >> 32);
	virtio_status_set(vd, VIRTIO_STATUS_FEATURES_OK);
	if (!(*vreg8(vd, VIRTIO_COMMON_STATUS) & VIRTIO_STATUS_FEATURES_OK)) {
		kprintf("%s: device refused features 0x%lx (offered 0x%lx)\n", vd->name, vd->features,
			offered);
		virtio_status_set(vd, VIRTIO_STATUS_FAILED);
		return KERN_FAILURE;
	}
	return KERN_SUCCESS;
}

kern_return_t virtio_pci_attach(struct virtio_device *vd, struct pci_device *pd, const char *driver,
				uint64_t wanted, enum dma_backend_kind dma, uint64_t dma_limit)
{
	kern_return_t kr;

	memset(vd, 0, sizeof(*vd));
	vd->pci = pd;
	vd->device_id = virtio_device_id(pd);
	vd->timeout_ns = VIRTIO_DEFAULT_TIMEOUT_NS;
	snprintf(vd->name, sizeof(vd->name), "%s %02x:%02x.%x", driver, pd->bus, pd->dev, pd->fn);
	if ((kr = virtio_find_caps(vd)) != KERN_SUCCESS)
		return kr;
	virtio_reset(vd);
	virtio_status_set(vd, VIRTIO_STATUS_ACKNOWLEDGE);
	virtio_status_set(vd, VIRTIO_STATUS_DRIVER);
	if ((kr = virtio_negotiate(vd, wanted)) != KERN_SUCCESS)
		return kr;
	kr = dma_engine_init(&vd->dma, vd->name, dma, dma_limit,
			     dma == DMA_BACKEND_BOUNCE ? 2048 : 0, pci_requester_id(pd));
	if (kr != KERN_SUCCESS) {
		virtio_status_set(vd, VIRTIO_STATUS_FAILED);
		kprintf("%s: no DMA engine (%s)\n", vd->name, kern_return_name(kr));
	}
	return kr;
}

bool virtio_has_feature(const struct virtio_device *vd, unsigned bit)
{
	return (vd->features >> bit) & 1;
}

/* virtio_doorbell: the notify register of q (4.1.4.4: offset queue_notify_off x multiplier). */
static volatile uint16_t *virtio_doorbell(struct virtio_device *vd, const struct virtq *q)
{
	return (volatile uint16_t *)(vd->notify + (uint32_t)q->notify_off * vd->notify_mult);
}

/* virtio_dma_kind: a backend by name, false if there is no such one here. */
static bool virtio_dma_kind(const char *name, size_t len, enum dma_backend_kind *kind)
{
	static const struct { const char *name; enum dma_backend_kind kind; bool iommu; } kinds[] = {
		{ "passthrough", DMA_BACKEND_PASSTHROUGH, false },
		{ "bounce", DMA_BACKEND_BOUNCE, false },
		{ "iommu", DMA_BACKEND_IOMMU, true },
		{ "iommu-strict", DMA_BACKEND_IOMMU_STRICT, true },
		{ "iommu-deferred", DMA_BACKEND_IOMMU_DEFERRED, true },
	};

	for (unsigned i = 0; i < ARRAY_SIZE(kinds); i++)
		if (strlen(kinds[i].name) == len && strncmp(kinds[i].name, name, len) == 0 &&
		    (!kinds[i].iommu || iommu_unit)) {
			*kind = kinds[i].kind;
			return true;
		}
	return false;
}

void virtio_dma_choice(const struct tunable *dma, const struct tunable *bits, int index,
		       enum dma_backend_kind *kind, uint64_t *limit)
{
	char val[96];
	const char *item = val, *comma;
	unsigned long width;

	*kind = iommu_unit ? DMA_BACKEND_IOMMU : DMA_BACKEND_PASSTHROUGH;
	if (tunable_text(dma, val, sizeof(val))) {
		/* The index-th item of the list, or its last. */
		for (int i = 0; i < index && (comma = strchr(item, ',')) != NULL; i++)
			item = comma + 1;
		comma = strchr(item, ',');
		if (!virtio_dma_kind(item, comma ? (size_t)(comma - item) : strlen(item), kind))
			kprintf("%s=%s: device %d: not available, dma %s\n", dma->name, val, index,
				dma_backend_name(*kind));
	}
	width = tunable_number(bits);
	if (!width)
		width = *kind == DMA_BACKEND_BOUNCE ? 32 : 64;
	*limit = width >= 64 ? UINT64_MAX : 1ull << width;
}

kern_return_t virtio_queue_create(struct virtio_device *vd, uint16_t index, uint16_t max_size,
				  struct virtq **out)
{
	uint16_t size;
	uint64_t desc, avail, used;
	struct virtq *q;
	kern_return_t kr;

	if (index >= VIRTIO_MAX_QUEUES || index >= *vreg16(vd, VIRTIO_COMMON_NUMQ))
		return KERN_INVALID_ARGUMENT;
	*vreg16(vd, VIRTIO_COMMON_Q_SELECT) = index;
	size = *vreg16(vd, VIRTIO_COMMON_Q_SIZE);
	size = MIN(size, max_size);
	while (size & (size - 1))		/* the largest power of two not above it */
		size &= (uint16_t)(size - 1);
	if (size == 0)
		return KERN_INVALID_ARGUMENT;
	kr = virtq_alloc(vd, index, size, virtio_has_feature(vd, VIRTIO_F_EVENT_IDX),
			 virtio_has_feature(vd, VIRTIO_F_INDIRECT_DESC), &q);
	if (kr != KERN_SUCCESS)
		return kr;
	q->notify_off = *vreg16(vd, VIRTIO_COMMON_Q_NOFF);
	virtq_ring_addrs(q, &desc, &avail, &used);
	if (vd->dma.domain) {		/* behind the IOMMU: the device gets the bus's rings */
		kr = virtq_bus_create(q, &iommu_unit->hw, vd->dma.device_id, virtio_doorbell(vd, q),
				      &q->bus);
		if (kr != KERN_SUCCESS) {
			virtq_free(q);
			return kr;
		}
		virtq_bus_addrs(q->bus, &desc, &avail, &used);
	}
	*vreg16(vd, VIRTIO_COMMON_Q_SIZE) = size;
	vwrite64(vd, VIRTIO_COMMON_Q_DESC, desc);
	vwrite64(vd, VIRTIO_COMMON_Q_DRIVER, avail);
	vwrite64(vd, VIRTIO_COMMON_Q_DEVICE, used);
	*vreg16(vd, VIRTIO_COMMON_Q_ENABLE) = 1;
	vd->queues[index] = q;
	if (index >= vd->nqueues)
		vd->nqueues = index + 1;
	*out = q;
	return KERN_SUCCESS;
}

void virtio_notify(struct virtio_device *vd, uint16_t index, uint16_t notify_off)
{
	struct virtq *q = vd->queues[index];

	if (q && q->bus) {		/* the bus takes the ring to the device */
		if (virtq_bus_forward(q->bus))
			virtq_interrupt(q);
		return;
	}
	/* Ring writes must reach memory before the doorbell reaches the device. */
	__asm__ volatile("fence w,o" ::: "memory");
	*(volatile uint16_t *)(vd->notify + (uint32_t)notify_off * vd->notify_mult) = index;
}

/* virtio_intx: read (and so clear) the ISR, then service every queue. */
static void virtio_intx(void *arg)
{
	struct virtio_device *vd = arg;
	uint8_t isr = *vd->isr;

	if (!isr)
		return;				/* another device on the shared line */
	__atomic_fetch_add(&vd->interrupts, 1, __ATOMIC_RELAXED);
	if (isr & VIRTIO_ISR_QUEUE)
		for (int i = 0; i < vd->nqueues; i++)
			if (vd->queues[i])
				virtq_interrupt(vd->queues[i]);
}

kern_return_t virtio_device_ready(struct virtio_device *vd)
{
	kern_return_t kr = pci_intx_register(vd->pci, virtio_intx, vd);

	if (kr != KERN_SUCCESS) {
		kprintf("%s: no interrupt (%s)\n", vd->name, kern_return_name(kr));
		virtio_status_set(vd, VIRTIO_STATUS_FAILED);
		return kr;
	}
	virtio_status_set(vd, VIRTIO_STATUS_DRIVER_OK);
	return KERN_SUCCESS;
}

void virtio_device_fail(struct virtio_device *vd, const char *why)
{
	if (__atomic_exchange_n(&vd->failed, 1u, __ATOMIC_ACQ_REL))
		return;
	kprintf("%s: %s: resetting the device and failing its requests\n", vd->name, why);
	virtio_reset(vd);	/* after this the device no longer touches the rings (2.4) */
	for (int i = 0; i < vd->nqueues; i++)
		if (vd->queues[i])
			virtq_fail_all(vd->queues[i]);
}

void virtio_device_detach(struct virtio_device *vd)
{
	virtio_reset(vd);
	pci_intx_unregister(vd->pci, virtio_intx, vd);
	for (int i = 0; i < vd->nqueues; i++)
		if (vd->queues[i]) {
			virtq_free(vd->queues[i]);
			vd->queues[i] = NULL;
		}
	vd->nqueues = 0;
	dma_engine_destroy(&vd->dma);
}

/* Config reads: repeat until config_generation is the same before and after. */
uint32_t virtio_config_read32(struct virtio_device *vd, uint32_t off)
{
	return *(volatile uint32_t *)(vd->devcfg + off);
}

uint16_t virtio_config_read16(struct virtio_device *vd, uint32_t off)
{
	return *(volatile uint16_t *)(vd->devcfg + off);
}

uint64_t virtio_config_read64(struct virtio_device *vd, uint32_t off)
{
	uint8_t gen;
	uint64_t v;

	do {
		gen = *vreg8(vd, VIRTIO_COMMON_CFGGEN);
		v = *(volatile uint32_t *)(vd->devcfg + off) |
		    (uint64_t)*(volatile uint32_t *)(vd->devcfg + off + 4) << 32;
	} while (gen != *vreg8(vd, VIRTIO_COMMON_CFGGEN));
	return v;
}
