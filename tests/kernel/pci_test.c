/*
 * pci_test.c: enumeration of exactly the devices the KTEST_RUN line gives
 * QEMU, resource assignment inside the DTB's windows (also behind a
 * PCI-to-PCI bridge), INTx routing, and the virtio transport's refusal of
 * a device without the modern interface.
 */
#include <string.h>

#include "drivers/pci/pci.h"
#include "drivers/virtio/virtio.h"
#include "drivers/virtio/virtio_blk.h"
#include "kern/boot.h"
#include "tests/kernel/ktest.h"
#include "vm/vm_kern.h"

KTEST_RUN(pci, "test=pci", "-m 256M --blk d0:16M --9p share -device pci-bridge,id=br1,chassis_nr=1,addr=0x8 -drive if=none,id=d1,driver=null-co -device virtio-blk-pci,drive=d1,serial=d1,bus=br1,addr=0x3,disable-legacy=on -drive if=none,id=d2,driver=null-co -device virtio-blk-pci,drive=d2,serial=d2,addr=0x5 -drive if=none,id=d3,driver=null-co -device virtio-blk-pci,drive=d3,addr=0x6,disable-modern=on");

/* What the line above puts on the buses. */
static const struct {
	uint8_t bus, dev, fn;
	uint16_t vendor, device;
	uint32_t class_code;
} expected[] = {
	{ 0, 0, 0, 0x1b36, 0x0008, 0x060000 },	/* QEMU's PCIe host bridge */
	{ 0, 1, 0, 0x1af4, 0x1042, 0x010000 },	/* --blk d0: modern virtio-blk */
	{ 0, 2, 0, 0x1af4, 0x1049, 0x000200 },	/* --9p share: modern virtio-9p */
	{ 0, 5, 0, 0x1af4, 0x1001, 0x010000 },	/* d2: transitional virtio-blk (I/O BAR too) */
	{ 0, 6, 0, 0x1af4, 0x1001, 0x010000 },	/* d3: legacy-only virtio-blk */
	{ 0, 8, 0, 0x1b36, 0x0001, 0x060400 },	/* pci-bridge */
	{ 1, 3, 0, 0x1af4, 0x1042, 0x010000 },	/* d1, behind the bridge */
};

static struct pci_device *at(uint8_t bus, uint8_t dev, uint8_t fn)
{
	for (int i = 0; i < pci_count(); i++) {
		struct pci_device *d = pci_get(i);

		if (d->bus == bus && d->dev == dev && d->fn == fn)
			return d;
	}
	return NULL;
}

KTEST(pci, table_matches_qemu)
{
	EXPECT_EQ(pci_count(), (int)ARRAY_SIZE(expected));
	for (unsigned i = 0; i < ARRAY_SIZE(expected); i++) {
		struct pci_device *d = at(expected[i].bus, expected[i].dev, expected[i].fn);

		ASSERT_TRUE(d != NULL);
		EXPECT_EQ(d->vendor, expected[i].vendor);
		EXPECT_EQ(d->device, expected[i].device);
		EXPECT_EQ(d->class_code, expected[i].class_code);
	}
	EXPECT_TRUE(at(0, 8, 0)->is_bridge);
	EXPECT_EQ(pci_find(0x1af4, 0x1042, 1), at(1, 3, 0));
	EXPECT_TRUE(pci_find(0x1af4, 0x1042, 2) == NULL);
}

/* window_of: the DTB range a BAR of this kind must lie in. */
static const struct fdt_pci_range *window_of(enum pci_bar_kind kind, uint64_t cpu_addr)
{
	for (int i = 0; i < platform.pci.nranges; i++) {
		const struct fdt_pci_range *r = &platform.pci.ranges[i];
		bool kind_ok = kind == PCI_BAR_KIND_IO ? r->space == FDT_PCI_SPACE_IO
			     : r->space == FDT_PCI_SPACE_MEM32 || r->space == FDT_PCI_SPACE_MEM64;

		if (kind_ok && cpu_addr >= r->cpu_addr && cpu_addr < r->cpu_addr + r->size)
			return r;
	}
	return NULL;
}

KTEST(pci, bars_assigned_inside_the_windows)
{
	struct { uint64_t base, size; bool io; } seen[64];
	int nseen = 0, nbars = 0;

	for (int i = 0; i < pci_count(); i++) {
		struct pci_device *d = pci_get(i);
		uint16_t cmd = pci_cfg_read16(d, PCI_COMMAND);

		for (int b = 0; b < PCI_NUM_BARS; b++) {
			const struct pci_bar *bar = &d->bar[b];
			const struct fdt_pci_range *w;
			uint32_t reg;

			if (bar->kind == PCI_BAR_NONE)
				continue;
			nbars++;
			EXPECT_EQ(bar->size & (bar->size - 1), 0);
			EXPECT_EQ(bar->pci_addr % bar->size, 0);
			w = window_of(bar->kind, bar->cpu_addr);
			ASSERT_TRUE(w != NULL);
			EXPECT_LE(bar->cpu_addr + bar->size, w->cpu_addr + w->size);
			reg = pci_cfg_read32(d, PCI_BAR0 + 4 * b);
			EXPECT_EQ(reg & (bar->kind == PCI_BAR_KIND_IO ? ~3u : ~0xfu), (uint32_t)bar->pci_addr);
			if (bar->kind == PCI_BAR_KIND_MEM64)
				EXPECT_EQ(pci_cfg_read32(d, PCI_BAR0 + 4 * b + 4), (uint32_t)(bar->pci_addr >> 32));
			EXPECT_TRUE(cmd & (bar->kind == PCI_BAR_KIND_IO ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY));
			for (int j = 0; j < nseen; j++)
				if (seen[j].io == (bar->kind == PCI_BAR_KIND_IO))
					EXPECT_TRUE(bar->cpu_addr + bar->size <= seen[j].base ||
						    seen[j].base + seen[j].size <= bar->cpu_addr);
			if (nseen < (int)ARRAY_SIZE(seen))
				seen[nseen++] = (typeof(seen[0])){ bar->cpu_addr, bar->size,
								   bar->kind == PCI_BAR_KIND_IO };
		}
		EXPECT_TRUE(cmd & PCI_COMMAND_MASTER);
	}
	EXPECT_GE(nbars, 12);
	/* The transitional device's legacy I/O BAR got I/O space. */
	EXPECT_EQ(at(0, 5, 0)->bar[0].kind, PCI_BAR_KIND_IO);
	/* virtio's 64-bit prefetchable BAR4 is above 4 GiB (the 64-bit window). */
	EXPECT_GE(at(0, 1, 0)->bar[4].cpu_addr, 1ull << 32);
}

KTEST(pci, bridge_numbers_its_bus_and_covers_what_is_behind)
{
	struct pci_device *br = at(0, 8, 0), *d1 = at(1, 3, 0);
	uint64_t mem_base, mem_limit, pref_base, pref_limit;

	ASSERT_TRUE(br && d1);
	EXPECT_EQ(pci_cfg_read8(br, PCI_PRIMARY_BUS), 0);
	EXPECT_EQ(pci_cfg_read8(br, PCI_SECONDARY_BUS), 1);
	EXPECT_EQ(pci_cfg_read8(br, PCI_SUBORDINATE_BUS), 1);
	EXPECT_EQ(d1->parent, br);
	mem_base = (uint64_t)(pci_cfg_read16(br, PCI_MEMORY_BASE) & 0xfff0) << 16;
	mem_limit = ((uint64_t)(pci_cfg_read16(br, PCI_MEMORY_LIMIT) & 0xfff0) << 16) | 0xfffff;
	pref_base = (uint64_t)(pci_cfg_read16(br, PCI_PREF_MEMORY_BASE) & 0xfff0) << 16 |
		    (uint64_t)pci_cfg_read32(br, PCI_PREF_BASE_UPPER32) << 32;
	pref_limit = ((uint64_t)(pci_cfg_read16(br, PCI_PREF_MEMORY_LIMIT) & 0xfff0) << 16 | 0xfffff) |
		     (uint64_t)pci_cfg_read32(br, PCI_PREF_LIMIT_UPPER32) << 32;
	for (int b = 0; b < PCI_NUM_BARS; b++) {
		const struct pci_bar *bar = &d1->bar[b];

		if (bar->kind == PCI_BAR_NONE)
			continue;
		if (bar->prefetchable && bar->kind == PCI_BAR_KIND_MEM64) {
			EXPECT_GE(bar->pci_addr, pref_base);
			EXPECT_LE(bar->pci_addr + bar->size - 1, pref_limit);
		} else {
			EXPECT_GE(bar->pci_addr, mem_base);
			EXPECT_LE(bar->pci_addr + bar->size - 1, mem_limit);
		}
	}
	/* The disk behind the bridge answers (through the bridge's windows). */
	ASSERT_TRUE(virtio_blk_find("d1") != NULL);
	EXPECT_EQ(virtio_blk_find("d1")->vd.pci, d1);
}

/*
 * QEMU virt wires INTA..INTD of slot s to PLIC 32 + (s + pin) % 4 (pin 0 =
 * INTA); behind a bridge the pin rotates by the device number first.
 */
KTEST(pci, intx_routed_and_delivered)
{
	static const char *const disks[] = { "d0", "d1", "d2" };
	struct pci_device *d1 = at(1, 3, 0);
	vm_offset_t buf = 0;

	for (int i = 0; i < pci_count(); i++) {
		struct pci_device *d = pci_get(i);

		if (!d->irq_pin || d->parent)
			continue;
		EXPECT_EQ(d->irq, 32u + (d->dev + d->irq_pin - 1u) % 4);
	}
	ASSERT_TRUE(d1 != NULL && d1->irq_pin == 1);
	EXPECT_EQ(d1->irq, 32u + (8u + (d1->irq_pin - 1u + 3u) % 4) % 4);
	/* Each disk's request completes only through its interrupt. */
	ASSERT_EQ(kmem_alloc(kernel_map, &buf, 4096), KERN_SUCCESS);
	for (unsigned i = 0; i < ARRAY_SIZE(disks); i++) {
		struct virtio_blk *b = virtio_blk_find(disks[i]);
		uint64_t before;

		ASSERT_TRUE(b != NULL);
		before = b->vd.interrupts;
		EXPECT_EQ(virtio_blk_read(b, 0, kernel_map, buf, 4096), KERN_SUCCESS);
		EXPECT_GT(b->vd.interrupts, before);
	}
	kmem_free(kernel_map, buf, 4096);
}

KTEST(pci, device_without_modern_interface_refused)
{
	struct pci_device *legacy = at(0, 6, 0);
	struct virtio_device vd;

	ASSERT_TRUE(legacy != NULL);
	EXPECT_EQ(pci_cap_find(legacy, PCI_CAP_ID_VNDR, 0), 0);
	EXPECT_EQ(virtio_pci_attach(&vd, legacy, "test", 0, DMA_BACKEND_PASSTHROUGH, UINT64_MAX),
		  KERN_NOT_SUPPORTED);
	/* d0, d1 and d2 attached; the legacy-only disk did not. */
	EXPECT_EQ(virtio_blk_count(), 3);
	EXPECT_NE(pci_cap_find(at(0, 2, 0), PCI_CAP_ID_VNDR, 0), 0);
	EXPECT_EQ(virtio_device_id(at(0, 2, 0)), VIRTIO_ID_9P);
	EXPECT_EQ(virtio_device_id(at(0, 0, 0)), 0);
}
