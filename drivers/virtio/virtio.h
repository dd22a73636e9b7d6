/*
 * virtio.h: virtio 1.x devices over the modern PCI transport.
 *
 * virtio_pci_attach finds the common, notify, ISR and device-configuration
 * structures through the vendor capabilities (virtio 1.1, 4.1.4), resets
 * the device, negotiates features (VERSION_1 required; ACCESS_PLATFORM
 * accepted, since every buffer goes through drivers/dma) and leaves it
 * ready for its driver to set up queues; virtio_device_ready then sets
 * DRIVER_OK and takes the INTx interrupt.
 *
 * A device that stops answering is failed: virtio_device_fail resets it (so
 * it can no longer touch memory), completes every request in flight with
 * an error and refuses new ones.
 *
 * Lock tags: kern/lock.h.
 */
#ifndef DRIVERS_VIRTIO_VIRTIO_H
#define DRIVERS_VIRTIO_VIRTIO_H

#include <stdbool.h>
#include <stdint.h>

#include "drivers/dma/dma.h"
#include "drivers/pci/pci.h"
#include "kern/cmdline.h"

#define VIRTIO_PCI_VENDOR	0x1af4
#define VIRTIO_ID_BLOCK		2
#define VIRTIO_ID_9P		9

/* Device status (2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE	0x01
#define VIRTIO_STATUS_DRIVER		0x02
#define VIRTIO_STATUS_DRIVER_OK		0x04
#define VIRTIO_STATUS_FEATURES_OK	0x08
#define VIRTIO_STATUS_NEEDS_RESET	0x40
#define VIRTIO_STATUS_FAILED		0x80

/* Device-independent feature bits (6). */
#define VIRTIO_F_INDIRECT_DESC		28
#define VIRTIO_F_EVENT_IDX		29
#define VIRTIO_F_VERSION_1		32
#define VIRTIO_F_ACCESS_PLATFORM	33
#define VIRTIO_BIT(f)			(1ull << (f))

/* PCI vendor capability (4.1.4): cfg_type values and layout. */
#define VIRTIO_PCI_CAP_COMMON_CFG	1
#define VIRTIO_PCI_CAP_NOTIFY_CFG	2
#define VIRTIO_PCI_CAP_ISR_CFG		3
#define VIRTIO_PCI_CAP_DEVICE_CFG	4
#define VIRTIO_PCI_CAP_CFG_TYPE		3	/* u8 */
#define VIRTIO_PCI_CAP_BAR		4	/* u8 */
#define VIRTIO_PCI_CAP_OFFSET		8	/* le32 */
#define VIRTIO_PCI_CAP_LENGTH		12	/* le32 */
#define VIRTIO_PCI_NOTIFY_MULTIPLIER	16	/* le32, notify capability only */

/* Common configuration structure (4.1.4.3). */
#define VIRTIO_COMMON_DFSELECT		0x00	/* le32 device_feature_select */
#define VIRTIO_COMMON_DF		0x04	/* le32 device_feature */
#define VIRTIO_COMMON_GFSELECT		0x08	/* le32 driver_feature_select */
#define VIRTIO_COMMON_GF		0x0c	/* le32 driver_feature */
#define VIRTIO_COMMON_NUMQ		0x12	/* le16 num_queues */
#define VIRTIO_COMMON_STATUS		0x14	/* u8 device_status */
#define VIRTIO_COMMON_CFGGEN		0x15	/* u8 config_generation */
#define VIRTIO_COMMON_Q_SELECT		0x16	/* le16 */
#define VIRTIO_COMMON_Q_SIZE		0x18	/* le16 */
#define VIRTIO_COMMON_Q_MSIX		0x1a	/* le16 */
#define VIRTIO_COMMON_Q_ENABLE		0x1c	/* le16 */
#define VIRTIO_COMMON_Q_NOFF		0x1e	/* le16 queue_notify_off */
#define VIRTIO_COMMON_Q_DESC		0x20	/* le64 */
#define VIRTIO_COMMON_Q_DRIVER		0x28	/* le64 (available ring) */
#define VIRTIO_COMMON_Q_DEVICE		0x30	/* le64 (used ring) */

/* ISR status bits (4.1.4.5). */
#define VIRTIO_ISR_QUEUE		0x1
#define VIRTIO_ISR_CONFIG		0x2

#define VIRTIO_MAX_QUEUES		4
#define VIRTIO_DEFAULT_TIMEOUT_NS	(30ull * 1000000000ull)

struct virtq;

struct virtio_device {
	char name[24];				/* [c] e.g. "virtio-blk 00:02.0" */
	struct pci_device *pci;			/* [c] */
	uint32_t device_id;			/* [c] VIRTIO_ID_* */
	volatile uint8_t *common;		/* [c] */
	volatile uint8_t *isr;			/* [c] */
	volatile uint8_t *devcfg;		/* [c] */
	uint32_t devcfg_len;			/* [c] */
	volatile uint8_t *notify;		/* [c] */
	uint32_t notify_mult;			/* [c] */
	uint64_t features;			/* [c] negotiated */
	struct dma_engine dma;			/* [c] how the device reaches memory */
	struct virtq *queues[VIRTIO_MAX_QUEUES];	/* [c] */
	int nqueues;				/* [c] */
	uint64_t timeout_ns;			/* [a] how long a request may take */
	uint32_t failed;			/* [a] 1: reset and out of service */
	uint64_t interrupts;			/* [a] */
};

/* virtio_pci_probe: attach(pd) on every PCI function that is virtio device `id`; how many succeeded. */
int virtio_pci_probe(uint32_t id, kern_return_t (*attach)(struct pci_device *pd));

/* virtio_device_id: the virtio device ID of a PCI function, 0 if it is not virtio. */
uint32_t virtio_device_id(const struct pci_device *pd);

/*
 * virtio_pci_attach: reset the device and negotiate features: the result is
 * (offered & wanted) plus VERSION_1 and, if offered, ACCESS_PLATFORM.
 * => the engine is made with backend `dma` and limit `dma_limit`
 * => KERN_NOT_SUPPORTED if a capability is missing or VERSION_1 is not
 *    offered; KERN_FAILURE if the device refuses FEATURES_OK (the device is
 *    left in FAILED status); a message says which
 */
kern_return_t virtio_pci_attach(struct virtio_device *vd, struct pci_device *pd, const char *driver,
				uint64_t wanted, enum dma_backend_kind dma, uint64_t dma_limit);

/*
 * VIRTIO_DMA_TUNABLES(driver, "name") declares the command line's DMA
 * choice for a driver's devices: name.dma=KIND[,KIND...] (one per device in
 * probe order, the last for the rest) and name.dma_bits=N (the devices'
 * address width), as driver_dma and driver_dma_bits.
 */
#define VIRTIO_DMA_TUNABLES(driver, name)						TUNABLE_TEXT(driver##_dma, name ".dma", NULL, "KIND[,KIND...]",				     "iommu (no IOMMU: passthrough)",						     "per device in probe order (the last for the rest): `iommu`, "			     "`iommu-strict`, `iommu-deferred`, `passthrough`, `bounce`");		TUNABLE_NUMBER(driver##_dma_bits, name ".dma_bits", 0, 24, 64, "N",			       "64 (bounce: 32)",								       "the devices' address width: a 32-bit device's I/O addresses stay " 		       "below 4 GiB")

/*
 * virtio_dma_choice: the DMA backend and address limit for the index-th
 * device of a driver (in probe order), from its tunables dma and bits
 * (VIRTIO_DMA_TUNABLES; KIND iommu is the unit's policy; by default iommu
 * when the IOMMU is on, passthrough otherwise; bounce is 32-bit unless bits
 * says otherwise).  A KIND not available is reported.
 */
void virtio_dma_choice(const struct tunable *dma, const struct tunable *bits, int index,
		       enum dma_backend_kind *kind, uint64_t *limit);

/*
 * virtio_queue_create: set up queue `index` with at most max_size entries.
 * => KERN_INVALID_ARGUMENT if the device has no such queue
 * => KERN_RESOURCE_SHORTAGE if ring memory cannot be had
 */
kern_return_t virtio_queue_create(struct virtio_device *vd, uint16_t index, uint16_t max_size,
				  struct virtq **out);

/* virtio_device_ready: DRIVER_OK and interrupts on. */
kern_return_t virtio_device_ready(struct virtio_device *vd);

/* virtio_device_fail: reset the device, fail every request in flight, refuse new ones. */
void virtio_device_fail(struct virtio_device *vd, const char *why);

/* virtio_device_detach: reset, free queues and engine, unhook the interrupt. */
void virtio_device_detach(struct virtio_device *vd);

/* Device configuration space, read consistently (4.1.4.3.1: config_generation). */
uint32_t virtio_config_read32(struct virtio_device *vd, uint32_t off);
uint64_t virtio_config_read64(struct virtio_device *vd, uint32_t off);
uint16_t virtio_config_read16(struct virtio_device *vd, uint32_t off);

bool virtio_has_feature(const struct virtio_device *vd, unsigned bit);

/* virtio_notify: tell the device queue `index` has new buffers. */
void virtio_notify(struct virtio_device *vd, uint16_t index, uint16_t notify_off);

#endif
