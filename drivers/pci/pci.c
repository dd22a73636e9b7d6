/*
 * pci.c: enumeration, resource assignment and INTx routing (see pci.h).
 */
#include <string.h>

#include "drivers/pci/pci.h"
#include "kern/kernel.h"
#include "kern/spinlock.h"
#include "platform/riscv/kmap.h"
#include "platform/riscv/plic.h"

#define PCI_MAX_BUS		256
#define PCI_BRIDGE_MEM_ALIGN	(1ul << 20)	/* bridge memory windows: 1 MiB units */
#define PCI_BRIDGE_IO_ALIGN	(1ul << 12)	/* bridge I/O windows: 4 KiB units */
#define PCI_INTX_LINES		8

/* A window of bus addresses handed out by bumping `next`. */
struct pci_window {
	uint64_t pci_base, cpu_base, size;	/* size 0 = the DTB has none */
	uint64_t next;				/* first free bus address */
};

static struct {
	const struct platform_info *info;
	uint64_t ecam_base;
	uint32_t bus_start, bus_end;
	volatile uint8_t *bus_cfg[PCI_MAX_BUS];	/* ECAM of each bus, mapped on first use */
	struct pci_window io, mem32, mem64;
	struct pci_device devs[PCI_MAX_DEVICES];
	int ndevs;
	bool overflow;				/* a function or BAR did not fit */
} pci;

/* Handlers of one shared INTx line. */
struct pci_intx_line {
	uint32_t irq;				/* [I] 0 = unused slot */
	int nhandlers;				/* [I] */
	struct {
		pci_intx_handler_t fn;
		void *arg;
	} h[PCI_INTX_MAX];			/* [I] */
};
static struct pci_intx_line pci_intx_lines[PCI_INTX_LINES];
static struct spinlock pci_irq_lock = SPINLOCK_INIT("pci_irq");

/* --- configuration space ---------------------------------------------------- */

uint8_t pci_cfg_read8(const struct pci_device *d, uint32_t off)
{
	return *(volatile uint8_t *)(d->cfg + off);
}

uint16_t pci_cfg_read16(const struct pci_device *d, uint32_t off)
{
	return *(volatile uint16_t *)(d->cfg + off);
}

uint32_t pci_cfg_read32(const struct pci_device *d, uint32_t off)
{
	return *(volatile uint32_t *)(d->cfg + off);
}

void pci_cfg_write8(const struct pci_device *d, uint32_t off, uint8_t v)
{
	*(volatile uint8_t *)(d->cfg + off) = v;
}

void pci_cfg_write16(const struct pci_device *d, uint32_t off, uint16_t v)
{
	*(volatile uint16_t *)(d->cfg + off) = v;
}

void pci_cfg_write32(const struct pci_device *d, uint32_t off, uint32_t v)
{
	*(volatile uint32_t *)(d->cfg + off) = v;
}

/* pci_bus_cfg: ECAM of `bus`, mapping its 1 MiB on first use; NULL outside bus-range. */
static volatile uint8_t *pci_bus_cfg(uint32_t bus)
{
	if (bus < pci.bus_start || bus > pci.bus_end)
		return NULL;
	if (!pci.bus_cfg[bus])
		pci.bus_cfg[bus] = kmap_mmio(pci.ecam_base + ((uint64_t)(bus - pci.bus_start) << 20),
					     1ul << 20);
	return pci.bus_cfg[bus];
}

uint32_t pci_cap_find(const struct pci_device *d, uint8_t cap_id, uint32_t after)
{
	uint32_t off;

	if (!(pci_cfg_read16(d, PCI_STATUS) & PCI_STATUS_CAP_LIST))
		return 0;
	off = after ? pci_cfg_read8(d, after + 1) : pci_cfg_read8(d, PCI_CAP_PTR);
	for (int hops = 0; hops < 48 && off >= 0x40 && off < 0x100; hops++) {
		off &= ~3u;
		if (pci_cfg_read8(d, off) == cap_id)
			return off;
		off = pci_cfg_read8(d, off + 1);
	}
	return 0;
}

/* --- resource assignment ---------------------------------------------------- */

/* pci_window_alloc: a naturally aligned range of `size` (a power of two); false if full. */
static bool pci_window_alloc(struct pci_window *w, uint64_t size, uint64_t *pci_addr)
{
	uint64_t a = ROUND_UP(w->next, size);

	if (w->size == 0 || a < w->next || a + size > w->pci_base + w->size)
		return false;
	w->next = a + size;
	*pci_addr = a;
	return true;
}

static void pci_window_align(struct pci_window *w, uint64_t align)
{
	if (w->size)
		w->next = MIN(ROUND_UP(w->next, align), w->pci_base + w->size);
}

/*
 * pci_bar_probe: size BAR i (decoding is off); returns how many BAR
 * registers it uses.  The size is the lowest address bit the BAR lets
 * software set (PCI 3.0, 6.2.5.1).
 */
static int pci_bar_probe(struct pci_device *d, int i)
{
	uint32_t reg = PCI_BAR0 + 4 * i, orig = pci_cfg_read32(d, reg), lo;
	struct pci_bar *b = &d->bar[i];
	uint64_t bits;
	int used;

	pci_cfg_write32(d, reg, 0xffffffff);
	lo = pci_cfg_read32(d, reg);
	pci_cfg_write32(d, reg, orig);
	if (orig & PCI_BAR_IO) {
		b->kind = PCI_BAR_KIND_IO;
		bits = lo & ~3u;
	} else if ((orig & PCI_BAR_MEM_TYPE) == PCI_BAR_MEM_64 && i + 1 < PCI_NUM_BARS) {
		uint32_t orig_hi = pci_cfg_read32(d, reg + 4);

		pci_cfg_write32(d, reg + 4, 0xffffffff);
		bits = (uint64_t)pci_cfg_read32(d, reg + 4) << 32 | (lo & ~0xfu);
		pci_cfg_write32(d, reg + 4, orig_hi);
		b->kind = PCI_BAR_KIND_MEM64;
	} else {
		b->kind = PCI_BAR_KIND_MEM32;
		bits = lo & ~0xfu;
	}
	b->prefetchable = !(orig & PCI_BAR_IO) && (orig & PCI_BAR_PREFETCH);
	b->size = bits & -bits;
	used = b->kind == PCI_BAR_KIND_MEM64 ? 2 : 1;
	if (bits == 0)
		b->kind = PCI_BAR_NONE;
	return used;
}

/*
 * pci_bar_window: where a BAR goes.  Behind a bridge only the prefetchable
 * window can be 64-bit, so a non-prefetchable 64-bit BAR there takes a 32-bit
 * address.
 */
static struct pci_window *pci_bar_window(const struct pci_device *d, const struct pci_bar *b)
{
	if (b->kind == PCI_BAR_KIND_IO)
		return &pci.io;
	if (b->kind == PCI_BAR_KIND_MEM64 && pci.mem64.size && (b->prefetchable || !d->parent))
		return &pci.mem64;
	return &pci.mem32;
}

/* pci_bar_assign: place BAR i in its window and program it; false if no room. */
static bool pci_bar_assign(struct pci_device *d, int i)
{
	struct pci_bar *b = &d->bar[i];
	struct pci_window *w = pci_bar_window(d, b);
	uint32_t reg = PCI_BAR0 + 4 * i;

	if (!pci_window_alloc(w, b->size, &b->pci_addr))
		return false;
	b->cpu_addr = b->pci_addr - w->pci_base + w->cpu_base;
	pci_cfg_write32(d, reg, (uint32_t)b->pci_addr | (pci_cfg_read32(d, reg) & 0xf));
	if (b->kind == PCI_BAR_KIND_MEM64)
		pci_cfg_write32(d, reg + 4, (uint32_t)(b->pci_addr >> 32));
	return true;
}

/* pci_function_resources: size and place every BAR, then enable decoding and mastering. */
static void pci_function_resources(struct pci_device *d)
{
	int nbars = d->is_bridge ? 2 : PCI_NUM_BARS;
	uint16_t cmd = pci_cfg_read16(d, PCI_COMMAND) & ~(PCI_COMMAND_IO | PCI_COMMAND_MEMORY);

	pci_cfg_write16(d, PCI_COMMAND, cmd);
	for (int i = 0; i < nbars; i += pci_bar_probe(d, i))
		;
	for (int i = 0; i < nbars; i++) {
		if (d->bar[i].kind == PCI_BAR_NONE)
			continue;
		if (!pci_bar_assign(d, i)) {
			kprintf("pci: %02x:%02x.%x BAR%d (0x%lx bytes) does not fit its window\n",
				d->bus, d->dev, d->fn, i, d->bar[i].size);
			d->bar[i].kind = PCI_BAR_NONE;
			pci.overflow = true;
			continue;
		}
		cmd |= d->bar[i].kind == PCI_BAR_KIND_IO ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY;
	}
	if (d->is_bridge)
		cmd |= PCI_COMMAND_IO | PCI_COMMAND_MEMORY;
	pci_cfg_write16(d, PCI_COMMAND, cmd | PCI_COMMAND_MASTER);
}

/* --- interrupts ------------------------------------------------------------- */

/*
 * pci_intx_route: the PLIC source of a function's INTx pin.  Each bridge
 * rotates the pin by its child's device number (PCI-to-PCI Bridge spec,
 * table 9-1); the function on the root bus is then looked up in the DTB's
 * interrupt-map under interrupt-map-mask.
 */
static uint32_t pci_intx_route(const struct pci_device *d)
{
	const struct platform_info *info = pci.info;
	uint32_t pin = d->irq_pin, hi;

	if (pin < 1 || pin > 4)
		return 0;
	for (; d->parent; d = d->parent)
		pin = (pin - 1 + d->dev) % 4 + 1;
	hi = (uint32_t)d->bus << 16 | (uint32_t)d->dev << 11 | (uint32_t)d->fn << 8;
	for (int i = 0; i < info->pci.nirqmap; i++) {
		const struct fdt_pci_irqmap *r = &info->pci.irqmap[i];

		if ((hi & info->pci.irqmap_mask_hi) == (r->child_hi & info->pci.irqmap_mask_hi) &&
		    (pin & info->pci.irqmap_mask_pin) == (r->pin & info->pci.irqmap_mask_pin))
			return r->parent_irq;
	}
	return 0;
}

/* pci_intx_dispatch: the PLIC handler of a line: every handler on it runs. */
static void pci_intx_dispatch(uint32_t irq, void *arg)
{
	struct pci_intx_line *line = arg;

	for (int i = 0; i < line->nhandlers; i++)
		line->h[i].fn(line->h[i].arg);
}

kern_return_t pci_intx_register(struct pci_device *d, pci_intx_handler_t fn, void *arg)
{
	struct pci_intx_line *line = NULL;
	kern_return_t kr = KERN_SUCCESS;
	bool first = false;

	if (!d || !fn || d->irq == 0)
		return KERN_INVALID_ARGUMENT;
	spin_lock(&pci_irq_lock);
	for (int i = 0; i < PCI_INTX_LINES && !line; i++)
		if (pci_intx_lines[i].irq == d->irq)
			line = &pci_intx_lines[i];
	for (int i = 0; i < PCI_INTX_LINES && !line; i++)
		if (pci_intx_lines[i].irq == 0) {
			line = &pci_intx_lines[i];
			*line = (struct pci_intx_line){ .irq = d->irq };
			first = true;
		}
	if (!line || line->nhandlers == PCI_INTX_MAX) {
		kr = KERN_RESOURCE_SHORTAGE;
	} else {
		line->h[line->nhandlers].fn = fn;
		line->h[line->nhandlers].arg = arg;
		/* The dispatcher may run on another hart: publish the entry before the count. */
		__atomic_store_n(&line->nhandlers, line->nhandlers + 1, __ATOMIC_RELEASE);
	}
	spin_unlock(&pci_irq_lock);
	if (kr == KERN_SUCCESS && first && plic_register(d->irq, pci_intx_dispatch, line, PLIC_EVERY_HART) != 0)
		kr = KERN_FAILURE;
	return kr;
}

void pci_intx_unregister(struct pci_device *d, pci_intx_handler_t fn, void *arg)
{
	spin_lock(&pci_irq_lock);
	for (int i = 0; i < PCI_INTX_LINES; i++) {
		struct pci_intx_line *line = &pci_intx_lines[i];

		if (line->irq != d->irq)
			continue;
		for (int j = 0; j < line->nhandlers; j++)
			if (line->h[j].fn == fn && line->h[j].arg == arg) {
				line->h[j] = line->h[line->nhandlers - 1];
				line->nhandlers--;
				break;
			}
	}
	spin_unlock(&pci_irq_lock);
}

/* --- enumeration ------------------------------------------------------------ */

static void pci_bus_scan(uint32_t bus, struct pci_device *parent, uint32_t *last_bus);

/* pci_bridge_windows: program a bridge's windows to [start, next) of each allocator. */
static void pci_bridge_windows(struct pci_device *d, uint64_t io0, uint64_t m0, uint64_t p0)
{
	uint64_t io1 = pci.io.next, m1 = pci.mem32.next, p1 = pci.mem64.next;

	if (io1 > io0) {
		pci_cfg_write8(d, PCI_IO_BASE, (uint8_t)((io0 >> 8) & 0xf0));
		pci_cfg_write8(d, PCI_IO_LIMIT, (uint8_t)(((io1 - 1) >> 8) & 0xf0));
	} else {
		pci_cfg_write8(d, PCI_IO_BASE, 0xf0);	/* base above limit: closed */
		pci_cfg_write8(d, PCI_IO_LIMIT, 0);
	}
	if (m1 > m0) {
		pci_cfg_write16(d, PCI_MEMORY_BASE, (uint16_t)((m0 >> 16) & 0xfff0));
		pci_cfg_write16(d, PCI_MEMORY_LIMIT, (uint16_t)(((m1 - 1) >> 16) & 0xfff0));
	} else {
		pci_cfg_write16(d, PCI_MEMORY_BASE, 0xfff0);
		pci_cfg_write16(d, PCI_MEMORY_LIMIT, 0);
	}
	if (p1 > p0) {
		pci_cfg_write16(d, PCI_PREF_MEMORY_BASE, (uint16_t)((p0 >> 16) & 0xfff0));
		pci_cfg_write16(d, PCI_PREF_MEMORY_LIMIT, (uint16_t)(((p1 - 1) >> 16) & 0xfff0));
		pci_cfg_write32(d, PCI_PREF_BASE_UPPER32, (uint32_t)(p0 >> 32));
		pci_cfg_write32(d, PCI_PREF_LIMIT_UPPER32, (uint32_t)((p1 - 1) >> 32));
	} else {
		pci_cfg_write16(d, PCI_PREF_MEMORY_BASE, 0xfff0);
		pci_cfg_write16(d, PCI_PREF_MEMORY_LIMIT, 0);
		pci_cfg_write32(d, PCI_PREF_BASE_UPPER32, 0xffffffff);
		pci_cfg_write32(d, PCI_PREF_LIMIT_UPPER32, 0);
	}
}

/*
 * pci_bridge_setup: number the bus behind a bridge, place everything below
 * it inside windows that start and end on the bridge's granularity.
 */
static void pci_bridge_setup(struct pci_device *d, uint32_t *last_bus)
{
	uint64_t io0, m0, p0;

	if (*last_bus >= pci.bus_end) {
		kprintf("pci: %02x:%02x.%x: no bus number left for the bridge\n", d->bus, d->dev, d->fn);
		return;
	}
	d->secondary = (uint8_t)++*last_bus;
	pci_cfg_write8(d, PCI_PRIMARY_BUS, d->bus);
	pci_cfg_write8(d, PCI_SECONDARY_BUS, d->secondary);
	pci_cfg_write8(d, PCI_SUBORDINATE_BUS, (uint8_t)pci.bus_end);
	pci_window_align(&pci.io, PCI_BRIDGE_IO_ALIGN);
	pci_window_align(&pci.mem32, PCI_BRIDGE_MEM_ALIGN);
	pci_window_align(&pci.mem64, PCI_BRIDGE_MEM_ALIGN);
	io0 = pci.io.next, m0 = pci.mem32.next, p0 = pci.mem64.next;
	pci_bus_scan(d->secondary, d, last_bus);
	pci_window_align(&pci.io, PCI_BRIDGE_IO_ALIGN);
	pci_window_align(&pci.mem32, PCI_BRIDGE_MEM_ALIGN);
	pci_window_align(&pci.mem64, PCI_BRIDGE_MEM_ALIGN);
	pci_bridge_windows(d, io0, m0, p0);
	d->subordinate = (uint8_t)*last_bus;
	pci_cfg_write8(d, PCI_SUBORDINATE_BUS, d->subordinate);
}

/* pci_function_add: record the function at cfg, assign it, recurse below bridges. */
static void pci_function_add(volatile uint8_t *cfg, uint32_t bus, uint32_t dev, uint32_t fn,
			     struct pci_device *parent, uint32_t *last_bus)
{
	struct pci_device *d;
	uint32_t rev_class;

	if (pci.ndevs == PCI_MAX_DEVICES) {
		pci.overflow = true;
		return;
	}
	d = &pci.devs[pci.ndevs++];
	*d = (struct pci_device){ .bus = (uint8_t)bus, .dev = (uint8_t)dev, .fn = (uint8_t)fn,
				  .parent = parent, .cfg = cfg };
	d->vendor = pci_cfg_read16(d, PCI_VENDOR_ID);
	d->device = pci_cfg_read16(d, PCI_DEVICE_ID);
	rev_class = pci_cfg_read32(d, PCI_REVISION);
	d->revision = (uint8_t)rev_class;
	d->class_code = rev_class >> 8;
	d->is_bridge = (pci_cfg_read8(d, PCI_HEADER_TYPE) & 0x7f) == PCI_HEADER_BRIDGE;
	d->irq_pin = pci_cfg_read8(d, PCI_INTERRUPT_PIN);
	d->irq = pci_intx_route(d);
	pci_cfg_write8(d, PCI_INTERRUPT_LINE, (uint8_t)d->irq);
	pci_function_resources(d);
	if (d->is_bridge)
		pci_bridge_setup(d, last_bus);
}

static void pci_bus_scan(uint32_t bus, struct pci_device *parent, uint32_t *last_bus)
{
	volatile uint8_t *base = pci_bus_cfg(bus);

	for (uint32_t dev = 0; base && dev < 32; dev++) {
		for (uint32_t fn = 0; fn < 8; fn++) {
			volatile uint8_t *cfg = base + (dev << 15 | fn << 12);
			uint8_t hdr;

			if (*(volatile uint16_t *)(cfg + PCI_VENDOR_ID) == 0xffff) {
				if (fn == 0)
					break;
				continue;
			}
			hdr = cfg[PCI_HEADER_TYPE];
			pci_function_add(cfg, bus, dev, fn, parent, last_bus);
			if (fn == 0 && !(hdr & PCI_HEADER_MULTIFN))
				break;
		}
	}
}

static void pci_window_from_dtb(const struct fdt_pci_range *r)
{
	struct pci_window *w = r->space == FDT_PCI_SPACE_IO ? &pci.io
			     : r->space == FDT_PCI_SPACE_MEM32 ? &pci.mem32
			     : r->space == FDT_PCI_SPACE_MEM64 ? &pci.mem64 : NULL;

	if (!w || w->size)		/* the first range of each kind wins */
		return;
	*w = (struct pci_window){ .pci_base = r->pci_addr, .cpu_base = r->cpu_addr,
				  .size = r->size, .next = r->pci_addr };
	/* Bus address 0 reads as "unassigned" to some devices; keep I/O above it. */
	if (w == &pci.io && w->next == 0)
		w->next = PCI_BRIDGE_IO_ALIGN;
}

kern_return_t pci_init(const struct platform_info *info)
{
	uint32_t last_bus;

	memset(&pci, 0, sizeof(pci));
	pci.info = info;
	if (info->pci.ecam.base == 0)
		return KERN_SUCCESS;
	pci.ecam_base = info->pci.ecam.base;
	pci.bus_start = info->pci.bus_start;
	pci.bus_end = MIN(info->pci.bus_end, pci.bus_start + (uint32_t)(info->pci.ecam.size >> 20) - 1);
	pci.bus_end = MIN(pci.bus_end, PCI_MAX_BUS - 1u);
	for (int i = 0; i < info->pci.nranges; i++)
		pci_window_from_dtb(&info->pci.ranges[i]);
	last_bus = pci.bus_start;
	pci_bus_scan(pci.bus_start, NULL, &last_bus);
	return pci.overflow ? KERN_RESOURCE_SHORTAGE : KERN_SUCCESS;
}

int pci_count(void)
{
	return pci.ndevs;
}

struct pci_device *pci_get(int i)
{
	return i >= 0 && i < pci.ndevs ? &pci.devs[i] : NULL;
}

struct pci_device *pci_find(uint16_t vendor, uint16_t device, int nth)
{
	for (int i = 0; i < pci.ndevs; i++)
		if (pci.devs[i].vendor == vendor && pci.devs[i].device == device && nth-- == 0)
			return &pci.devs[i];
	return NULL;
}

volatile void *pci_bar_map(struct pci_device *d, int bar)
{
	struct pci_bar *b;

	if (!d || bar < 0 || bar >= PCI_NUM_BARS)
		return NULL;
	b = &d->bar[bar];
	if (b->kind != PCI_BAR_KIND_MEM32 && b->kind != PCI_BAR_KIND_MEM64)
		return NULL;
	if (!b->kva)
		b->kva = kmap_mmio(b->cpu_addr, b->size);
	return b->kva;
}

static const char *pci_bar_kind_name(const struct pci_bar *b)
{
	switch (b->kind) {
	case PCI_BAR_KIND_IO:
		return "io";
	case PCI_BAR_KIND_MEM32:
		return b->prefetchable ? "mem32 pref" : "mem32";
	case PCI_BAR_KIND_MEM64:
		return b->prefetchable ? "mem64 pref" : "mem64";
	default:
		return "none";
	}
}

void pci_print(int (*print)(const char *fmt, ...))
{
	print("pci: %d function%s on buses %u-%u\n", pci.ndevs, pci.ndevs == 1 ? "" : "s",
	      pci.bus_start, pci.bus_end);
	for (int i = 0; i < pci.ndevs; i++) {
		const struct pci_device *d = &pci.devs[i];

		print("pci: %02x:%02x.%x %04x:%04x class %06x", d->bus, d->dev, d->fn, d->vendor,
		      d->device, d->class_code);
		if (d->is_bridge)
			print(" bridge to %02x-%02x", d->secondary, d->subordinate);
		if (d->irq)
			print(" INT%c irq %u", 'A' + d->irq_pin - 1, d->irq);
		for (int b = 0; b < PCI_NUM_BARS; b++)
			if (d->bar[b].kind != PCI_BAR_NONE)
				print(" BAR%d %s 0x%lx+0x%lx", b, pci_bar_kind_name(&d->bar[b]),
				      d->bar[b].cpu_addr, d->bar[b].size);
		print("\n");
	}
}
