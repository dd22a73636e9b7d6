/*
 * boot_test.c: the DTB as parsed at boot against what QEMU was given, and
 * the kernel map the boot built from it (direct map, W^X image, no
 * identity mapping left).
 */
#include <string.h>

#include "kern/boot.h"
#include "platform/riscv/hart.h"
#include "platform/riscv/kmap.h"
#include "platform/riscv/vmlayout.h"
#include "tests/kernel/ktest.h"
#include "vm/vm_page.h"

KTEST_RUN(boot_256m, "test=boot expect_mem=256M expect_harts=1", "-m 256M -smp 1");
KTEST_RUN(boot_8g, "test=boot expect_mem=8G expect_harts=2", "-m 8G -smp 2");

extern char _kernel_start[], _text_start[], _text_end[], _rodata_end[], _bss_end[];

/* The word the host wrote at pa of an expected hole (tests/acceptance/boot_data). */
#define HOLE_PATTERN(pa)	((pa) ^ 0x6a09e667f3bcc908ul)

/*
 * boot_hole_check: RAM's DTB ranges leave out [hole, hole + size), no page
 * is there, and the words the host wrote there before the boot are intact.
 */
static void boot_hole_check(uint64_t hole, uint64_t size)
{
	const struct vm_phys_seg *r;
	const volatile uint64_t *w;
	uint64_t bad = 0;
	int n = vm_page_segs(&r);

	ASSERT_EQ(platform.nmem, 2);
	EXPECT_EQ(platform.mem[0].base + platform.mem[0].size, hole);
	EXPECT_EQ(platform.mem[1].base, hole + size);
	for (int i = 0; i < n; i++)
		EXPECT_TRUE(r[i].end <= hole || r[i].start >= hole + size);
	EXPECT_TRUE(vm_page_lookup_phys(hole) == NULL);
	EXPECT_TRUE(vm_page_lookup_phys(hole + size - PAGE_SIZE) == NULL);
	w = kmap_mmio(hole, size);
	for (uint64_t off = 0; off < size; off += 8)
		bad += w[off / 8] != HOLE_PATTERN(hole + off);
	EXPECT_EQ(bad, 0);
}

KTEST(boot, memory_matches_qemu)
{
	uint64_t expect = ktest_expect_mem(), hole_size, hole = ktest_expect_hole(&hole_size);
	uint64_t total = 0;

	ASSERT_NE(expect, 0);
	ASSERT_GE(platform.nmem, 1);
	EXPECT_EQ(platform.mem[0].base, RAM_BASE);
	for (int i = 0; i < platform.nmem; i++)
		total += platform.mem[i].size;
	EXPECT_EQ(total, expect);
	if (hole)
		boot_hole_check(hole, hole_size);
	else
		EXPECT_EQ(platform.nmem, 1);
	/* Every usable page is RAM, and together they are RAM minus what is held back. */
	EXPECT_LE(vm_page_total_count() * PAGE_SIZE, expect);
	EXPECT_GT(vm_page_total_count() * PAGE_SIZE, expect - 4 * MiB);
}

KTEST(boot, firmware_image_and_dtb_not_allocatable)
{
	const struct vm_phys_seg *r;
	uint64_t image_end = KIMG_TO_PHYS(_bss_end);
	int n = vm_page_segs(&r);

	ASSERT_GT(n, 0);
	for (int i = 0; i < n; i++) {
		uint64_t b = r[i].start, e = r[i].end;

		EXPECT_TRUE(e <= KERNEL_PHYS_BASE || b >= image_end);	/* image */
		EXPECT_TRUE(e <= boot.dtb_pa || b >= boot.dtb_pa + boot.dtb_size);
		EXPECT_GE(b, RAM_BASE + 0x80000);	/* OpenSBI's PMP region */
	}
	/* OpenSBI reports its own region as reserved memory. */
	ASSERT_GE(platform.nresv, 1);
	EXPECT_EQ(platform.resv[0].base, RAM_BASE);
}

/* The harts the DTB leaves enabled run; those it disables (status) stay with the firmware. */
KTEST(boot, harts_match_qemu)
{
	int expect = ktest_expect_harts(), okay = 0;

	EXPECT_EQ(hart_count, expect);
	EXPECT_EQ(boot.harts_online, expect);
	EXPECT_EQ(platform.timebase_freq, 10000000);
	for (int i = 0; i < platform.nharts; i++) {
		EXPECT_EQ(platform.harts[i].hartid, (uint32_t)i);
		EXPECT_GE(platform.harts[i].plic_s_context, 0);
		okay += platform.harts[i].okay;
		EXPECT_EQ(hart_by_hartid(platform.harts[i].hartid) != NULL, platform.harts[i].okay);
	}
	EXPECT_EQ(okay, expect);
}

KTEST(boot, devices_and_bootargs)
{
	EXPECT_EQ(platform.uart.base, 0x10000000);
	EXPECT_EQ(platform.uart_irq, 10);
	EXPECT_EQ(platform.plic.base, 0xc000000);
	EXPECT_EQ(platform.pci.ecam.base, 0x30000000);
	EXPECT_EQ(platform.pci.nranges, 3);
	EXPECT_EQ(platform.pci.nirqmap, 16);
	EXPECT_EQ(platform.syscon.base, 0x100000);
	EXPECT_TRUE(strstr(platform.bootargs, "test=boot") != NULL);
	EXPECT_TRUE(boot.uart != NULL);
}

KTEST(boot, direct_map_covers_ram_with_large_pages)
{
	uint64_t last = platform.mem[0].base + platform.mem[0].size - 8;
	const struct kmap_stats *ks = kmap_stats();
	int level = -1;
	pt_entry_t pte;

	/* The last word of RAM (above 4 GiB with -m 8G) is reachable. */
	*(volatile uint64_t *)PHYS_TO_DMAP(last) = 0x5a5a5a5a;
	EXPECT_EQ(*(volatile uint64_t *)PHYS_TO_DMAP(last), 0x5a5a5a5a);
	pte = kmap_lookup((uint64_t)PHYS_TO_DMAP(last), &level);
	EXPECT_TRUE((pte & (PTE_R | PTE_W | PTE_X)) == (PTE_R | PTE_W));
	EXPECT_GE(level, 1);
	EXPECT_GT(ks->dmap_pages[1] + ks->dmap_pages[2], 0);
	if (platform.mem[0].size >= 2 * GiB)
		EXPECT_GT(ks->dmap_pages[2], 0);
}

/* kmap_prot: R/W/X bits of the leaf mapping va (0 if none). */
static pt_entry_t kmap_prot(uint64_t va)
{
	int level;

	return kmap_lookup(va, &level) & PTE_RWX;
}

KTEST(boot, image_is_w_xor_x)
{
	EXPECT_EQ(kmap_prot((uint64_t)_text_start), PTE_R | PTE_X);
	EXPECT_EQ(kmap_prot((uint64_t)_text_end), PTE_R);
	EXPECT_EQ(kmap_prot((uint64_t)&platform), PTE_R | PTE_W);
	for (uint64_t va = (uint64_t)_kernel_start; va < (uint64_t)_bss_end; va += PAGE_SIZE) {
		pt_entry_t p = kmap_prot(va);

		EXPECT_NE(p, 0);
		EXPECT_NE(p & (PTE_W | PTE_X), PTE_W | PTE_X);
	}
}

KTEST(boot, image_protections_enforced)
{
	static uint32_t code_in_data[2] = { 0x00008067 };	/* ret */

	EXPECT_FAULT(EXC_STORE_PAGE_FAULT, *(volatile uint32_t *)_text_start = 0);
	EXPECT_FAULT(EXC_STORE_PAGE_FAULT, *(volatile uint64_t *)_text_end = 0);
	EXPECT_FAULT(EXC_INST_PAGE_FAULT, ((void (*)(void))code_in_data)());
	EXPECT_EQ(ktest_ctx()->fault.stval, (uint64_t)code_in_data);
}

KTEST(boot, no_identity_mapping_left)
{
	/* The image's physical address was never mapped; the boot GiBs are gone. */
	EXPECT_FAULT(EXC_LOAD_PAGE_FAULT, (void)*(volatile uint64_t *)KERNEL_PHYS_BASE);
	EXPECT_EQ(ktest_ctx()->fault.stval, KERNEL_PHYS_BASE);
	EXPECT_FAULT(EXC_LOAD_PAGE_FAULT, (void)*(volatile uint64_t *)0);
	EXPECT_FAULT(EXC_INST_PAGE_FAULT, ((void (*)(void))KERNEL_PHYS_BASE)());
}

