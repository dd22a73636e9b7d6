/*
 * pci.h: PCI Express through the ECAM window of a generic host bridge
 * (pci-host-ecam-generic), as the DTB describes it.
 *
 * Nothing assigns resources before the image runs, so pci_init does what
 * firmware would: it walks the bus tree depth-first from the DTB's first bus,
 * numbers the buses behind PCI-to-PCI bridges, sizes every BAR and places it
 * in the DTB's I/O, 32-bit or 64-bit memory window (bridge windows cover
 * what lies behind them), turns on decoding and bus mastering, and routes
 * INTx through the DTB's interrupt-map (swizzled across bridges) to a PLIC
 * source.
 *
 * Specifications: PCI Local Bus 3.0 (configuration header, BARs, capability
 * list), PCI-to-PCI Bridge Architecture 1.2 (bus numbers, windows, INTx
 * swizzle), PCI Express Base (ECAM: bus << 20 | dev << 15 | fn << 12).
 *
 * Lock tags: kern/lock.h.
 */
#ifndef DRIVERS_PCI_PCI_H
#define DRIVERS_PCI_PCI_H

#include <stdbool.h>
#include <stdint.h>

#include "platform/dtb/fdt.h"
#include "vm/kern_return.h"

/* Configuration header (type 0 and 1 where they agree). */
#define PCI_VENDOR_ID		0x00	/* 16 */
#define PCI_DEVICE_ID		0x02	/* 16 */
#define PCI_COMMAND		0x04	/* 16 */
#define  PCI_COMMAND_IO		0x0001
#define  PCI_COMMAND_MEMORY	0x0002
#define  PCI_COMMAND_MASTER	0x0004
#define  PCI_COMMAND_INTX_OFF	0x0400
#define PCI_STATUS		0x06	/* 16 */
#define  PCI_STATUS_CAP_LIST	0x0010
#define PCI_REVISION		0x08	/* 8; class code in the three bytes above it */
#define PCI_HEADER_TYPE		0x0e	/* 8 */
#define  PCI_HEADER_MULTIFN	0x80
#define  PCI_HEADER_BRIDGE	0x01
#define PCI_BAR0		0x10	/* 32 each; type 0 has six, type 1 two */
#define  PCI_BAR_IO		0x1
#define  PCI_BAR_MEM_TYPE	0x6
#define  PCI_BAR_MEM_64		0x4
#define  PCI_BAR_PREFETCH	0x8
#define PCI_CAP_PTR		0x34	/* 8 */
#define PCI_INTERRUPT_LINE	0x3c	/* 8 */
#define PCI_INTERRUPT_PIN	0x3d	/* 8: 0 none, 1 INTA .. 4 INTD */
/* Type 1 (bridge) header. */
#define PCI_PRIMARY_BUS		0x18
#define PCI_SECONDARY_BUS	0x19
#define PCI_SUBORDINATE_BUS	0x1a
#define PCI_IO_BASE		0x1c	/* 8: bits 15:12 of the address */
#define PCI_IO_LIMIT		0x1d
#define PCI_MEMORY_BASE		0x20	/* 16: bits 31:20 of the address */
#define PCI_MEMORY_LIMIT	0x22
#define PCI_PREF_MEMORY_BASE	0x24	/* 16: bits 31:20, low nibble 1 = 64-bit */
#define PCI_PREF_MEMORY_LIMIT	0x26
#define PCI_PREF_BASE_UPPER32	0x28
#define PCI_PREF_LIMIT_UPPER32	0x2c
#define PCI_BRIDGE_CONTROL	0x3e
/* Capability IDs. */
#define PCI_CAP_ID_VNDR		0x09

#define PCI_MAX_DEVICES		64
#define PCI_NUM_BARS		6
#define PCI_CFG_SIZE		4096	/* per function, in ECAM */

enum pci_bar_kind {
	PCI_BAR_NONE = 0,
	PCI_BAR_KIND_IO,
	PCI_BAR_KIND_MEM32,
	PCI_BAR_KIND_MEM64,
};

struct pci_bar {
	enum pci_bar_kind kind;		/* [c] */
	bool prefetchable;		/* [c] */
	uint64_t size;			/* [c] 0 = the function has no such BAR */
	uint64_t pci_addr;		/* [c] address on the bus (what the BAR holds) */
	uint64_t cpu_addr;		/* [c] where the CPU reaches it */
	volatile void *kva;		/* [c] kernel mapping, made on first pci_bar_map */
};

struct pci_device {
	uint8_t bus, dev, fn;		/* [c] */
	uint16_t vendor, device;	/* [c] */
	uint32_t class_code;		/* [c] class << 16 | subclass << 8 | prog-if */
	uint8_t revision;		/* [c] */
	bool is_bridge;			/* [c] type 1 header */
	uint8_t secondary, subordinate;	/* [c] bridges: the buses behind it */
	uint8_t irq_pin;		/* [c] 0 = none, 1 = INTA .. */
	uint32_t irq;			/* [c] PLIC source, 0 = none routed */
	struct pci_bar bar[PCI_NUM_BARS];	/* [c] */
	struct pci_device *parent;	/* [c] bridge it sits behind, NULL on the root bus */
	volatile uint8_t *cfg;		/* [c] its 4 KiB of ECAM */
};

/* pci_requester_id: the ID the function's transactions carry (bus << 8 | device << 3 | function). */
static inline uint32_t pci_requester_id(const struct pci_device *pd)
{
	return (uint32_t)pd->bus << 8 | (uint32_t)pd->dev << 3 | pd->fn;
}

typedef void (*pci_intx_handler_t)(void *arg);

/*
 * pci_init: enumerate, assign and route everything below the DTB's host
 * bridge.  => 0 functions (and KERN_SUCCESS) when the board has no PCIe
 * => KERN_RESOURCE_SHORTAGE if a BAR does not fit its window or more than
 *    PCI_MAX_DEVICES functions exist (the rest are left disabled)
 */
kern_return_t pci_init(const struct platform_info *info);

/* pci_count / pci_get: the functions found, in enumeration order. */
int pci_count(void);
struct pci_device *pci_get(int i);
/* pci_find: the nth function (0-based) with this vendor and device ID, or NULL. */
struct pci_device *pci_find(uint16_t vendor, uint16_t device, int nth);

uint8_t pci_cfg_read8(const struct pci_device *d, uint32_t off);
uint16_t pci_cfg_read16(const struct pci_device *d, uint32_t off);
uint32_t pci_cfg_read32(const struct pci_device *d, uint32_t off);
void pci_cfg_write8(const struct pci_device *d, uint32_t off, uint8_t v);
void pci_cfg_write16(const struct pci_device *d, uint32_t off, uint16_t v);
void pci_cfg_write32(const struct pci_device *d, uint32_t off, uint32_t v);

/*
 * pci_cap_find: config offset of the first capability with this ID after
 * `after` (0 = from the start of the list), or 0 if none.  A looping or
 * out-of-range list ends the walk.
 */
uint32_t pci_cap_find(const struct pci_device *d, uint8_t cap_id, uint32_t after);

/* pci_bar_map: kernel address of a memory BAR (mapped once), NULL if it is not one. */
volatile void *pci_bar_map(struct pci_device *d, int bar);

/*
 * pci_intx_register: call fn(arg) on every interrupt of the device's INTx
 * source (shared lines call every handler registered on them), on
 * whichever hart claims it first: every hart takes device interrupts.
 * => KERN_INVALID_ARGUMENT if the device has no routed INTx
 * => KERN_RESOURCE_SHORTAGE if the line already has PCI_INTX_MAX handlers
 */
#define PCI_INTX_MAX	8
kern_return_t pci_intx_register(struct pci_device *d, pci_intx_handler_t fn, void *arg);
void pci_intx_unregister(struct pci_device *d, pci_intx_handler_t fn, void *arg);

/* pci_print: the table of functions (BDF, IDs, class, BARs, IRQ), one line each. */
void pci_print(int (*print)(const char *fmt, ...));

#endif
