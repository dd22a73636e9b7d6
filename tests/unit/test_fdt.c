/*
 * test_fdt.c: host tests of the device-tree reader (platform/dtb/fdt.c).
 *
 * Usage: test_fdt DATADIR [--filter TEXT]
 *
 * DATADIR holds blobs made at build time:
 *   virt-256m-smp1.dtb    qemu-system-riscv64 -M virt,dumpdtb=... -m 256M -smp 1
 *   virt-8g-smp4-pci.dtb  ... -m 8G -smp 4, a virtio-blk-pci disk, and
 *                         -kernel <any file> -append "test=boot quiet"
 *                         (QEMU accepts -append only with -kernel)
 *   resv.dtb              dtc -I dts -O dtb tests/unit/data/resv.dts
 *
 * The QEMU values checked here are those of QEMU 7.2's virt machine.
 * Corrupted copies live in exactly-sized malloc buffers, so ASan reports
 * any read past the bytes the parser was given.
 */
#include "platform/dtb/fdt.h"
#include "tests/unit/utest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Header fields and tokens, Devicetree Specification v0.4 5.2 and 5.4.1. */
#define HDR_TOTALSIZE		4
#define HDR_OFF_STRUCT		8
#define HDR_OFF_STRINGS		12
#define HDR_OFF_RSVMAP		16
#define HDR_VERSION		20
#define HDR_LAST_COMP		24
#define HDR_SIZE_STRINGS	32
#define HDR_SIZE_STRUCT		36
#define HDR_SIZE		40
#define TOKEN_END_NODE		2u
#define TOKEN_NOP		4u
#define TOKEN_END		9u

#define DTB_256M	"virt-256m-smp1.dtb"
#define DTB_8G		"virt-8g-smp4-pci.dtb"
#define DTB_RESV	"resv.dtb"

#define MiB		(1024ull * 1024)
#define GiB		(1024 * MiB)

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void
put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
}

/* A file from the data directory, loaded once and kept for the run. */
struct dtb {
	const char *name;
	uint8_t *data;
	size_t len;			/* file length (QEMU pads dumps to 1 MiB) */
};

static struct dtb dtb_cache[4];

/* dtb_read: read DATADIR/name whole into d; false if it cannot. */
static int
dtb_read(struct dtb *d, const char *dir, const char *name)
{
	char path[1024];
	FILE *f;
	long len;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "rb");
	if (f == NULL)
		return 0;
	if (fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0) {
		d->data = malloc((size_t)len);
		d->len = (size_t)len;
		if (d->data != NULL && fread(d->data, 1, d->len, f) != d->len)
			d->data = NULL;
	}
	fclose(f);
	d->name = name;
	return d->data != NULL;
}

/* dtb_get: the named data file; ends the test if it cannot be read. */
static const struct dtb *
dtb_get(const char *name)
{
	const char *dir = utest_arg(0);
	size_t i;

	for (i = 0; i < sizeof(dtb_cache) / sizeof(dtb_cache[0]) && dtb_cache[i].name; i++)
		if (strcmp(dtb_cache[i].name, name) == 0)
			return &dtb_cache[i];
	if (dir == NULL)
		printf("test_fdt: usage: test_fdt DATADIR\n");
	UT_ASSERT(dir != NULL);
	UT_ASSERT(i < sizeof(dtb_cache) / sizeof(dtb_cache[0]));
	if (!dtb_read(&dtb_cache[i], dir, name))
		printf("test_fdt: cannot read %s/%s\n", dir, name);
	UT_ASSERT(dtb_cache[i].data != NULL);
	return &dtb_cache[i];
}

/* dtb_copy: a malloc copy of exactly the blob's totalsize bytes. */
static uint8_t *
dtb_copy(const struct dtb *d, size_t *len)
{
	uint8_t *copy;

	*len = fdt_totalsize(d->data);
	UT_ASSERT(*len >= HDR_SIZE && *len <= d->len);
	copy = malloc(*len);
	UT_ASSERT(copy != NULL);
	memcpy(copy, d->data, *len);
	return copy;
}

/* parse: fdt_parse into a static info, which tests then inspect. */
static struct platform_info parsed;

static enum fdt_error
parse(const void *blob, size_t len, const char **why)
{
	*why = NULL;
	return fdt_parse(blob, len, &parsed, why);
}

/* parse_ok: parse a data file, which must succeed. */
static const struct platform_info *
parse_ok(const char *name)
{
	const struct dtb *d = dtb_get(name);
	const char *why;
	enum fdt_error err = parse(d->data, d->len, &why);

	if (err != FDT_OK)
		printf("%s: %s: %s\n", name, fdt_error_name(err), why);
	UT_ASSERT(err == FDT_OK);
	return &parsed;
}

/*
 * prop_at: writable pointer to the value of `path`'s property `name` in
 * the copy `blob`; its length field is 8 bytes before, nameoff 4 before.
 */
static uint8_t *
prop_at(uint8_t *blob, const char *path, const char *name)
{
	int node = fdt_node_by_path(blob, path);
	const uint8_t *val;
	uint32_t len;

	UT_ASSERT(node >= 0);
	val = fdt_prop(blob, node, name, &len);
	UT_ASSERT(val != NULL);
	return blob + (val - blob);
}

/* last_token: writable pointer to the final token of the structure block. */
static uint8_t *
last_token(uint8_t *blob)
{
	return blob + get32(blob + HDR_OFF_STRUCT) + get32(blob + HDR_SIZE_STRUCT) - 4;
}

/* expect_parse_error: parse a corrupted copy; return the code and *why. */
static enum fdt_error
expect_parse_error(const uint8_t *blob, size_t len, const char **why)
{
	enum fdt_error err = parse(blob, len, why);

	UT_EXPECT(err != FDT_OK);
	UT_EXPECT(*why != NULL && (*why)[0] != '\0');
	return err;
}

/* contains: why mentions text. */
static int
contains(const char *why, const char *text)
{
	if (why == NULL || strstr(why, text) == NULL) {
		printf("    message \"%s\" does not mention \"%s\"\n", why ? why : "(null)", text);
		return 0;
	}
	return 1;
}

/*
 * relayout: rebuild a blob as header | reservation map (rsv[n] and the
 * terminator) | blocks, with the structure block last if struct_last.
 */
static uint8_t *
relayout(const uint8_t *src, const uint64_t (*rsv)[2], int nrsv, int struct_last, size_t *lenp)
{
	uint32_t st_size = get32(src + HDR_SIZE_STRUCT), str_size = get32(src + HDR_SIZE_STRINGS);
	size_t rsv_end = HDR_SIZE + 16 * ((size_t)nrsv + 1);
	size_t first = struct_last ? (str_size + 3u) & ~3u : st_size;
	size_t st_off = struct_last ? rsv_end + first : rsv_end;
	size_t str_off = struct_last ? rsv_end : rsv_end + first;
	size_t len = rsv_end + first + (struct_last ? st_size : str_size);
	uint8_t *b = calloc(1, len);

	UT_ASSERT(b != NULL);
	memcpy(b, src, HDR_SIZE);
	for (int i = 0; i < nrsv; i++) {
		put64(b + HDR_SIZE + 16 * i, rsv[i][0]);
		put64(b + HDR_SIZE + 16 * i + 8, rsv[i][1]);
	}
	memcpy(b + st_off, src + get32(src + HDR_OFF_STRUCT), st_size);
	memcpy(b + str_off, src + get32(src + HDR_OFF_STRINGS), str_size);
	put32(b + HDR_TOTALSIZE, (uint32_t)len);
	put32(b + HDR_OFF_STRUCT, (uint32_t)st_off);
	put32(b + HDR_OFF_STRINGS, (uint32_t)str_off);
	put32(b + HDR_OFF_RSVMAP, HDR_SIZE);
	*lenp = len;
	return b;
}

/* ------------------------------------------------------------------ */
/* QEMU virt                                                          */
/* ------------------------------------------------------------------ */

/* QEMU 7.2 virt's PCI interrupt-map: INTx swizzled over PLIC 0x20..0x23. */
static const struct fdt_pci_irqmap qemu_irqmap[16] = {
	{ 0x0000, 1, 0x20 }, { 0x0000, 2, 0x21 }, { 0x0000, 3, 0x22 }, { 0x0000, 4, 0x23 },
	{ 0x0800, 1, 0x21 }, { 0x0800, 2, 0x22 }, { 0x0800, 3, 0x23 }, { 0x0800, 4, 0x20 },
	{ 0x1000, 1, 0x22 }, { 0x1000, 2, 0x23 }, { 0x1000, 3, 0x20 }, { 0x1000, 4, 0x21 },
	{ 0x1800, 1, 0x23 }, { 0x1800, 2, 0x20 }, { 0x1800, 3, 0x21 }, { 0x1800, 4, 0x22 },
};

/* check_qemu_pci: the generic ECAM bridge every QEMU virt machine has. */
static void
check_qemu_pci(const struct platform_info *info)
{
	UT_EXPECT_EQ(info->pci.ecam.base, 0x30000000);
	UT_EXPECT_EQ(info->pci.ecam.size, 0x10000000);
	UT_EXPECT_EQ(info->pci.bus_start, 0);
	UT_EXPECT_EQ(info->pci.bus_end, 255);
	UT_ASSERT(info->pci.nranges == 3);

	UT_EXPECT_EQ(info->pci.ranges[0].space, FDT_PCI_SPACE_IO);
	UT_EXPECT_EQ(info->pci.ranges[0].prefetchable, false);
	UT_EXPECT_EQ(info->pci.ranges[0].pci_addr, 0);
	UT_EXPECT_EQ(info->pci.ranges[0].cpu_addr, 0x3000000);
	UT_EXPECT_EQ(info->pci.ranges[0].size, 0x10000);

	UT_EXPECT_EQ(info->pci.ranges[1].space, FDT_PCI_SPACE_MEM32);
	UT_EXPECT_EQ(info->pci.ranges[1].prefetchable, false);
	UT_EXPECT_EQ(info->pci.ranges[1].pci_addr, 0x40000000);
	UT_EXPECT_EQ(info->pci.ranges[1].cpu_addr, 0x40000000);
	UT_EXPECT_EQ(info->pci.ranges[1].size, 0x40000000);

	UT_EXPECT_EQ(info->pci.ranges[2].space, FDT_PCI_SPACE_MEM64);
	UT_EXPECT_EQ(info->pci.ranges[2].prefetchable, false);
	UT_EXPECT_EQ(info->pci.ranges[2].pci_addr, 0x400000000);
	UT_EXPECT_EQ(info->pci.ranges[2].cpu_addr, 0x400000000);
	UT_EXPECT_EQ(info->pci.ranges[2].size, 0x400000000);

	UT_EXPECT_EQ(info->pci.irqmap_mask_hi, 0x1800);
	UT_EXPECT_EQ(info->pci.irqmap_mask_pin, 7);
	UT_ASSERT(info->pci.nirqmap == 16);
	for (int i = 0; i < 16; i++) {
		UT_EXPECT_EQ(info->pci.irqmap[i].child_hi, qemu_irqmap[i].child_hi);
		UT_EXPECT_EQ(info->pci.irqmap[i].pin, qemu_irqmap[i].pin);
		UT_EXPECT_EQ(info->pci.irqmap[i].parent_irq, qemu_irqmap[i].parent_irq);
	}
}

/* check_qemu_board: what does not depend on -m and -smp. */
static void
check_qemu_board(const struct platform_info *info)
{
	UT_EXPECT_EQ(info->nmem, 1);
	UT_EXPECT_EQ(info->mem[0].base, 0x80000000);
	UT_EXPECT_EQ(info->nresv, 0);
	UT_EXPECT_EQ(info->timebase_freq, 10000000);
	UT_EXPECT_STREQ(info->isa, "rv64imafdch_zicsr_zifencei_zihintpause_zba_zbb_zbc_zbs_sstc");
	UT_EXPECT_STREQ(info->mmu_type, "riscv,sv48");

	UT_EXPECT_EQ(info->plic.base, 0xc000000);
	UT_EXPECT_EQ(info->plic.size, 0x600000);
	UT_EXPECT_EQ(info->plic_ndev, 0x60);
	UT_EXPECT_EQ(info->clint.base, 0x2000000);
	UT_EXPECT_EQ(info->clint.size, 0x10000);

	UT_EXPECT_EQ(info->uart.base, 0x10000000);
	UT_EXPECT_EQ(info->uart.size, 0x100);
	UT_EXPECT_EQ(info->uart_irq, 10);
	UT_EXPECT_EQ(info->uart_clock, 0x384000);
	UT_EXPECT_EQ(info->syscon.base, 0x100000);
	UT_EXPECT_EQ(info->syscon.size, 0x1000);
	check_qemu_pci(info);
}

UTEST(fdt_qemu, virt_256m_smp1)
{
	const struct platform_info *info = parse_ok(DTB_256M);

	check_qemu_board(info);
	UT_EXPECT_EQ(info->mem[0].size, 256 * MiB);
	UT_ASSERT(info->nharts == 1);
	UT_EXPECT_EQ(info->harts[0].hartid, 0);
	UT_EXPECT_EQ(info->harts[0].okay, true);
	UT_EXPECT_EQ(info->harts[0].intc_phandle, 2);
	UT_EXPECT_EQ(info->harts[0].plic_s_context, 1);
	UT_EXPECT_EQ(info->plic_phandle, 3);
	UT_EXPECT_STREQ(info->bootargs, "");
}

UTEST(fdt_qemu, virt_8g_smp4_pci)
{
	static const uint32_t intc[4] = { 8, 6, 4, 2 };	/* QEMU numbers phandles backwards */
	const struct platform_info *info = parse_ok(DTB_8G);

	check_qemu_board(info);
	UT_EXPECT_EQ(info->mem[0].size, 8 * GiB);
	UT_ASSERT(info->nharts == 4);
	for (int i = 0; i < 4; i++) {
		UT_EXPECT_EQ(info->harts[i].hartid, i);
		UT_EXPECT_EQ(info->harts[i].okay, true);
		UT_EXPECT_EQ(info->harts[i].intc_phandle, intc[i]);
		UT_EXPECT_EQ(info->harts[i].plic_s_context, 2 * i + 1);
	}
	UT_EXPECT_EQ(info->plic_phandle, 9);
	UT_EXPECT_STREQ(info->bootargs, "test=boot quiet");
	UT_EXPECT_EQ(info->bootargs_len, sizeof("test=boot quiet") - 1);
}

UTEST(fdt_qemu, maxlen_beyond_totalsize_and_null_why)
{
	const struct dtb *d = dtb_get(DTB_256M);
	struct platform_info info;

	UT_EXPECT(d->len > fdt_totalsize(d->data));
	UT_EXPECT_EQ(fdt_parse(d->data, fdt_totalsize(d->data), &info, NULL), FDT_OK);
	UT_EXPECT_EQ(fdt_parse(d->data, SIZE_MAX, &info, NULL), FDT_OK);
	UT_EXPECT_EQ(fdt_parse(d->data, 3, &info, NULL), FDT_ERR_TRUNCATED);
	UT_EXPECT_EQ(fdt_parse(NULL, 100, &info, NULL), FDT_ERR_TRUNCATED);
}

/* ------------------------------------------------------------------ */
/* Hand-written board                                                 */
/* ------------------------------------------------------------------ */

UTEST(fdt_resv, memory_and_reservations)
{
	const struct platform_info *info = parse_ok(DTB_RESV);

	UT_ASSERT(info->nmem == 2);
	UT_EXPECT_EQ(info->mem[0].base, 0x80000000);
	UT_EXPECT_EQ(info->mem[0].size, 64 * MiB);
	UT_EXPECT_EQ(info->mem[1].base, 0x100000000);
	UT_EXPECT_EQ(info->mem[1].size, 128 * MiB);

	UT_ASSERT(info->nresv == 3);
	UT_EXPECT_EQ(info->resv[0].base, 0x87000000);	/* /memreserve/ */
	UT_EXPECT_EQ(info->resv[0].size, 0x10000);
	UT_EXPECT_EQ(info->resv[0].no_map, false);
	UT_EXPECT_EQ(info->resv[1].base, 0x80000000);	/* firmware, no-map */
	UT_EXPECT_EQ(info->resv[1].size, 0x40000);
	UT_EXPECT_EQ(info->resv[1].no_map, true);
	UT_EXPECT_EQ(info->resv[2].base, 0x83000000);	/* buffer */
	UT_EXPECT_EQ(info->resv[2].size, 0x100000);
	UT_EXPECT_EQ(info->resv[2].no_map, false);
}

UTEST(fdt_resv, harts_and_plic)
{
	const struct platform_info *info = parse_ok(DTB_RESV);
	static const char isa[] =
		"rv64imafdch_zicbom_zicboz_zicntr_zicond_zicsr_zifencei_zihintntl_zihintpause_"
		"zihpm_zawrs_zfa_zfh_zfhmin_zca_zcb_zcd_zba_zbb_zbc_zbs_zkt_sscofpmf_sstc_svinval_"
		"svnapot_svpbmt";

	UT_ASSERT(info->nharts == 2);
	UT_EXPECT_EQ(info->harts[0].hartid, 0);
	UT_EXPECT_EQ(info->harts[0].okay, true);
	UT_EXPECT_EQ(info->harts[0].intc_phandle, 0x10);
	UT_EXPECT_EQ(info->harts[0].plic_s_context, 1);
	UT_EXPECT_EQ(info->harts[1].hartid, 1);
	UT_EXPECT_EQ(info->harts[1].okay, false);
	UT_EXPECT_EQ(info->harts[1].intc_phandle, 0x11);
	UT_EXPECT_EQ(info->harts[1].plic_s_context, 3);
	UT_EXPECT_EQ(info->timebase_freq, 4000000);	/* from cpu@0, two cells */

	UT_EXPECT(sizeof(isa) > FDT_ISA_MAX);
	UT_EXPECT_EQ(strlen(info->isa), FDT_ISA_MAX - 1);
	UT_EXPECT(strncmp(info->isa, isa, FDT_ISA_MAX - 1) == 0);
	UT_EXPECT_STREQ(info->mmu_type, "riscv,sv39");

	UT_EXPECT_EQ(info->plic.base, 0xc000000);
	UT_EXPECT_EQ(info->plic.size, 0x4000000);
	UT_EXPECT_EQ(info->plic_ndev, 31);
	UT_EXPECT_EQ(info->plic_phandle, 0x20);
}

UTEST(fdt_resv, console_chosen_and_absent_devices)
{
	const struct platform_info *info = parse_ok(DTB_RESV);

	/* stdout-path "serial0:115200n8" beats the earlier uart@10001000 */
	UT_EXPECT_EQ(info->uart.base, 0x10000000);
	UT_EXPECT_EQ(info->uart.size, 0x100);
	UT_EXPECT_EQ(info->uart_irq, 10);
	UT_EXPECT_EQ(info->uart_clock, 1843200);
	UT_EXPECT_STREQ(info->bootargs, "console=ttyS0 root=/dev/vda rw");

	UT_EXPECT_EQ(info->clint.base, 0);
	UT_EXPECT_EQ(info->syscon.base, 0);
	UT_EXPECT_EQ(info->pci.ecam.base, 0);
	UT_EXPECT_EQ(info->pci.nranges, 0);
	UT_EXPECT_EQ(info->pci.nirqmap, 0);
}

/* ------------------------------------------------------------------ */
/* Generic lookups                                                    */
/* ------------------------------------------------------------------ */

UTEST(fdt_lookup, by_path)
{
	const uint8_t *b = dtb_get(DTB_8G)->data;
	int pci = fdt_node_by_path(b, "/soc/pci@30000000");
	int cpu2 = fdt_node_by_path(b, "/cpus/cpu@2");
	uint32_t len;
	const uint8_t *reg;

	UT_EXPECT_EQ(fdt_node_by_path(b, "/"), 0);
	UT_ASSERT(pci > 0);
	UT_EXPECT_EQ(fdt_node_by_path(b, "/soc/pci"), pci);	/* unique without unit */
	UT_EXPECT_EQ(fdt_node_by_path(b, "/soc/pci@30000000/"), pci);
	UT_EXPECT(fdt_node_by_path(b, "/chosen") > 0);
	UT_ASSERT(cpu2 > 0);
	reg = fdt_prop(b, cpu2, "reg", &len);
	UT_ASSERT(reg != NULL && len == 4);
	UT_EXPECT_EQ(get32(reg), 2);

	UT_EXPECT_EQ(fdt_node_by_path(b, "/cpus/cpu"), -FDT_ERR_MISSING);	/* ambiguous */
	UT_EXPECT_EQ(fdt_node_by_path(b, "/soc/serial@10000001"), -FDT_ERR_MISSING);
	UT_EXPECT_EQ(fdt_node_by_path(b, "/nonexistent"), -FDT_ERR_MISSING);
	UT_EXPECT_EQ(fdt_node_by_path(b, "/cpus/cpu@2/nonexistent"), -FDT_ERR_MISSING);
	UT_EXPECT_EQ(fdt_node_by_path(b, ""), -FDT_ERR_MISSING);
	UT_EXPECT_EQ(fdt_node_by_path(b, NULL), -FDT_ERR_MISSING);
	UT_EXPECT_EQ(fdt_node_by_path(b, "serial0"), -FDT_ERR_MISSING);	/* no /aliases */
}

UTEST(fdt_lookup, by_alias)
{
	const uint8_t *b = dtb_get(DTB_RESV)->data;
	int uart = fdt_node_by_path(b, "/soc/uart@10000000");

	UT_ASSERT(uart > 0);
	UT_EXPECT_EQ(fdt_node_by_path(b, "serial0"), uart);
	UT_EXPECT_EQ(fdt_node_by_path(b, "serial1"), -FDT_ERR_MISSING);
	UT_EXPECT_EQ(fdt_node_by_path(b, "/soc/uart"), -FDT_ERR_MISSING);	/* two uarts */
}

UTEST(fdt_lookup, by_compatible)
{
	const uint8_t *b = dtb_get(DTB_8G)->data;
	int node = -1, count = 0, first = -1;
	const uint8_t *reg;
	uint32_t len;

	while ((node = fdt_node_by_compatible(b, node, "virtio,mmio")) >= 0 && count < 100) {
		if (first < 0)
			first = node;
		count++;
	}
	UT_EXPECT_EQ(count, 8);
	UT_EXPECT_EQ(node, -FDT_ERR_MISSING);
	reg = fdt_prop(b, first, "reg", &len);		/* document order */
	UT_ASSERT(reg != NULL && len == 16);
	UT_EXPECT_EQ(get32(reg + 4), 0x10008000);

	/* any entry of the string list matches */
	UT_EXPECT_EQ(fdt_node_by_compatible(b, -1, "riscv,plic0"),
		     fdt_node_by_path(b, "/soc/plic@c000000"));
	UT_EXPECT_EQ(fdt_node_by_compatible(b, -1, "sifive,plic-1.0.0"),
		     fdt_node_by_path(b, "/soc/plic@c000000"));
	UT_EXPECT_EQ(fdt_node_by_compatible(b, -1, "riscv,plic"), -FDT_ERR_MISSING);
	UT_EXPECT_EQ(fdt_node_by_compatible(b, -1, "nonexistent"), -FDT_ERR_MISSING);
	UT_EXPECT_EQ(fdt_node_by_compatible(b, -1, NULL), -FDT_ERR_MISSING);
}

UTEST(fdt_lookup, prop)
{
	const uint8_t *b = dtb_get(DTB_8G)->data;
	int pci = fdt_node_by_path(b, "/soc/pci@30000000");
	int chosen = fdt_node_by_path(b, "/chosen");
	const uint8_t *val;
	uint32_t len = 99;

	UT_ASSERT(pci > 0 && chosen > 0);
	val = fdt_prop(b, pci, "bus-range", &len);
	UT_ASSERT(val != NULL && len == 8);
	UT_EXPECT_EQ(get32(val), 0);
	UT_EXPECT_EQ(get32(val + 4), 0xff);
	val = fdt_prop(b, chosen, "bootargs", &len);
	UT_ASSERT(val != NULL);
	UT_EXPECT_EQ(len, sizeof("test=boot quiet"));
	UT_EXPECT_STREQ((const char *)val, "test=boot quiet");
	UT_EXPECT(fdt_prop(b, pci, "dma-coherent", &len) != NULL);
	UT_EXPECT_EQ(len, 0);

	len = 99;
	UT_EXPECT(fdt_prop(b, pci, "nonexistent", &len) == NULL);
	UT_EXPECT_EQ(len, 0);
	UT_EXPECT(fdt_prop(b, pci, "bus-rang", &len) == NULL);	/* no prefix match */
	UT_EXPECT(fdt_prop(b, pci + 4, "reg", &len) == NULL);	/* not a node */
	UT_EXPECT(fdt_prop(b, pci + 1, "reg", &len) == NULL);	/* misaligned */
	UT_EXPECT(fdt_prop(b, -4, "reg", &len) == NULL);
	UT_EXPECT(fdt_prop(b, 1 << 30, "reg", &len) == NULL);
	UT_EXPECT(fdt_prop(b, pci, NULL, NULL) == NULL);
}

UTEST(fdt_lookup, rejects_bad_header)
{
	size_t len;
	uint8_t *b = dtb_copy(dtb_get(DTB_256M), &len);

	b[0] ^= 0xff;
	UT_EXPECT_EQ(fdt_totalsize(b), 0);
	UT_EXPECT_EQ(fdt_node_by_path(b, "/chosen"), -FDT_ERR_BADMAGIC);
	UT_EXPECT_EQ(fdt_node_by_compatible(b, -1, "ns16550a"), -FDT_ERR_BADMAGIC);
	UT_EXPECT(fdt_prop(b, 0, "compatible", NULL) == NULL);
	b[0] ^= 0xff;
	put32(b + HDR_VERSION, 3);
	UT_EXPECT_EQ(fdt_node_by_path(b, "/chosen"), -FDT_ERR_BADVERSION);
	UT_EXPECT_EQ(fdt_totalsize(NULL), 0);
	free(b);
}

UTEST(fdt_lookup, totalsize_and_error_names)
{
	const struct dtb *d = dtb_get(DTB_256M);

	UT_EXPECT_EQ(fdt_totalsize(d->data), get32(d->data + HDR_TOTALSIZE));
	UT_EXPECT_STREQ(fdt_error_name(FDT_OK), "FDT_OK");
	UT_EXPECT_STREQ(fdt_error_name(FDT_ERR_TRUNCATED), "FDT_ERR_TRUNCATED");
	UT_EXPECT_STREQ(fdt_error_name(FDT_ERR_BADMAGIC), "FDT_ERR_BADMAGIC");
	UT_EXPECT_STREQ(fdt_error_name(FDT_ERR_BADVERSION), "FDT_ERR_BADVERSION");
	UT_EXPECT_STREQ(fdt_error_name(FDT_ERR_BADSTRUCTURE), "FDT_ERR_BADSTRUCTURE");
	UT_EXPECT_STREQ(fdt_error_name(FDT_ERR_BADPROP), "FDT_ERR_BADPROP");
	UT_EXPECT_STREQ(fdt_error_name(FDT_ERR_MISSING), "FDT_ERR_MISSING");
	UT_EXPECT_STREQ(fdt_error_name(FDT_ERR_TOOMANY), "FDT_ERR_TOOMANY");
	UT_EXPECT_STREQ(fdt_error_name((enum fdt_error)99), "FDT_ERR_UNKNOWN");
}

/* ------------------------------------------------------------------ */
/* Truncation                                                         */
/* ------------------------------------------------------------------ */

UTEST(fdt_corrupt, every_truncated_length)
{
	const struct dtb *d = dtb_get(DTB_256M);
	size_t total = fdt_totalsize(d->data);
	const char *why;

	for (size_t n = 0; n < total; n++) {
		uint8_t *buf = malloc(n);

		UT_ASSERT(buf != NULL || n == 0);
		if (n > 0)
			memcpy(buf, d->data, n);
		UT_EXPECT_EQ(expect_parse_error(buf, n, &why), FDT_ERR_TRUNCATED);
		free(buf);
	}
}

/* Cut the structure block (placed last) at every length, totalsize to match. */
UTEST(fdt_corrupt, every_structure_block_cut)
{
	size_t len;
	uint8_t *base = relayout(dtb_get(DTB_256M)->data, NULL, 0, 1, &len);
	uint32_t st_off = get32(base + HDR_OFF_STRUCT), st_size = get32(base + HDR_SIZE_STRUCT);
	const char *why;

	UT_ASSERT(st_off + st_size == len);
	UT_ASSERT(parse(base, len, &why) == FDT_OK);
	UT_EXPECT_EQ(parsed.mem[0].size, 256 * MiB);
	for (uint32_t k = 0; k < st_size; k++) {
		uint8_t *buf = malloc(st_off + k);
		enum fdt_error err;

		UT_ASSERT(buf != NULL);
		memcpy(buf, base, st_off + k);
		put32(buf + HDR_SIZE_STRUCT, k);
		put32(buf + HDR_TOTALSIZE, st_off + k);
		err = expect_parse_error(buf, st_off + k, &why);
		UT_EXPECT(err == FDT_ERR_TRUNCATED || err == FDT_ERR_BADSTRUCTURE);
		free(buf);
	}
	free(base);
}

/* Cut the strings block (last in QEMU's layout) at every length. */
UTEST(fdt_corrupt, every_strings_block_cut)
{
	const struct dtb *d = dtb_get(DTB_256M);
	uint32_t str_off = get32(d->data + HDR_OFF_STRINGS);
	uint32_t str_size = get32(d->data + HDR_SIZE_STRINGS);
	const char *why;

	UT_ASSERT(str_off + str_size == fdt_totalsize(d->data));
	for (uint32_t k = 0; k < str_size; k++) {
		uint8_t *buf = malloc(str_off + k);

		UT_ASSERT(buf != NULL);
		memcpy(buf, d->data, str_off + k);
		put32(buf + HDR_SIZE_STRINGS, k);
		put32(buf + HDR_TOTALSIZE, str_off + k);
		UT_EXPECT_EQ(expect_parse_error(buf, str_off + k, &why), FDT_ERR_TRUNCATED);
		free(buf);
	}
}

/* ------------------------------------------------------------------ */
/* Header                                                             */
/* ------------------------------------------------------------------ */

UTEST(fdt_corrupt, bad_magic)
{
	size_t len;
	uint8_t *b = dtb_copy(dtb_get(DTB_256M), &len);
	const char *why;

	b[3] ^= 0x01;
	UT_EXPECT_EQ(expect_parse_error(b, len, &why), FDT_ERR_BADMAGIC);
	UT_EXPECT(contains(why, "magic"));
	free(b);
}

UTEST(fdt_corrupt, bad_version)
{
	size_t len;
	uint8_t *b = dtb_copy(dtb_get(DTB_256M), &len);
	const char *why;

	put32(b + HDR_VERSION, 15);
	UT_EXPECT_EQ(expect_parse_error(b, len, &why), FDT_ERR_BADVERSION);
	UT_EXPECT(contains(why, "version"));
	put32(b + HDR_VERSION, 17);
	put32(b + HDR_LAST_COMP, 18);
	UT_EXPECT_EQ(expect_parse_error(b, len, &why), FDT_ERR_BADVERSION);
	UT_EXPECT(contains(why, "last_comp_version"));
	free(b);
}

/* Version 16 has no size_dt_struct: the block runs to the end of the blob. */
UTEST(fdt_corrupt, version_16_accepted)
{
	size_t len;
	uint8_t *b = dtb_copy(dtb_get(DTB_8G), &len);
	const char *why;

	put32(b + HDR_VERSION, 16);
	put32(b + HDR_LAST_COMP, 16);
	put32(b + HDR_SIZE_STRUCT, 0xffffffff);	/* must be ignored */
	UT_ASSERT(parse(b, len, &why) == FDT_OK);
	UT_EXPECT_EQ(parsed.nharts, 4);
	UT_EXPECT_EQ(parsed.mem[0].size, 8 * GiB);
	free(b);
}

UTEST(fdt_corrupt, blocks_past_totalsize)
{
	size_t len;
	uint8_t *b = dtb_copy(dtb_get(DTB_256M), &len);
	const char *why;

	put32(b + HDR_OFF_STRUCT, (uint32_t)len);
	UT_EXPECT_EQ(expect_parse_error(b, len, &why), FDT_ERR_TRUNCATED);
	UT_EXPECT(contains(why, "structure block"));
	memcpy(b, dtb_get(DTB_256M)->data, HDR_SIZE);
	put32(b + HDR_SIZE_STRINGS, get32(b + HDR_SIZE_STRINGS) + 1);
	UT_EXPECT_EQ(expect_parse_error(b, len, &why), FDT_ERR_TRUNCATED);
	UT_EXPECT(contains(why, "strings block"));
	memcpy(b, dtb_get(DTB_256M)->data, HDR_SIZE);
	put32(b + HDR_OFF_RSVMAP, (uint32_t)len - 8);
	UT_EXPECT_EQ(expect_parse_error(b, len, &why), FDT_ERR_TRUNCATED);
	UT_EXPECT(contains(why, "memory reservation"));
	memcpy(b, dtb_get(DTB_256M)->data, HDR_SIZE);
	put32(b + HDR_OFF_STRUCT, 8);
	UT_EXPECT_EQ(expect_parse_error(b, len, &why), FDT_ERR_BADSTRUCTURE);
	free(b);
}

/* ------------------------------------------------------------------ */
/* Structure block                                                    */
/* ------------------------------------------------------------------ */

UTEST(fdt_corrupt, prop_length_past_structure_block)
{
	size_t len;
	uint8_t *b = dtb_copy(dtb_get(DTB_256M), &len);
	uint8_t *reg = prop_at(b, "/memory@80000000", "reg");
	const char *why;

	put32(reg - 8, 0x10000);
	UT_EXPECT_EQ(expect_parse_error(b, len, &why), FDT_ERR_TRUNCATED);
	UT_EXPECT(contains(why, "/memory@80000000: reg:"));
	UT_EXPECT(contains(why, "structure block"));
	put32(reg - 8, 0xfffffff8);		/* must not wrap around */
	UT_EXPECT_EQ(expect_parse_error(b, len, &why), FDT_ERR_TRUNCATED);
	free(b);
}

UTEST(fdt_corrupt, name_offset_past_strings_block)
{
	size_t len;
	uint8_t *b = dtb_copy(dtb_get(DTB_256M), &len);
	uint8_t *reg = prop_at(b, "/memory@80000000", "reg");
	const char *why;

	put32(reg - 4, get32(b + HDR_SIZE_STRINGS));
	UT_EXPECT_EQ(expect_parse_error(b, len, &why), FDT_ERR_TRUNCATED);
	UT_EXPECT(contains(why, "/memory@80000000"));
	UT_EXPECT(contains(why, "strings block"));
	put32(reg - 4, 0xfffffffc);
	UT_EXPECT_EQ(expect_parse_error(b, len, &why), FDT_ERR_TRUNCATED);
	free(b);
}

UTEST(fdt_corrupt, unbalanced_end_node)
{
	size_t len;
	uint8_t *b = dtb_copy(dtb_get(DTB_256M), &len);
	uint8_t *end = last_token(b);
	const char *why;

	UT_ASSERT(get32(end) == TOKEN_END && get32(end - 4) == TOKEN_END_NODE);
	put32(end, TOKEN_END_NODE);		/* one END_NODE too many */
	UT_EXPECT_EQ(expect_parse_error(b, len, &why), FDT_ERR_BADSTRUCTURE);
	UT_EXPECT(contains(why, "FDT_END_NODE"));
	put32(end, TOKEN_END);
	put32(end - 4, TOKEN_NOP);		/* root never closed */
	UT_EXPECT_EQ(expect_parse_error(b, len, &why), FDT_ERR_BADSTRUCTURE);
	UT_EXPECT(contains(why, "open node"));
	free(b);
}

UTEST(fdt_corrupt, missing_fdt_end)
{
	size_t len;
	uint8_t *b = dtb_copy(dtb_get(DTB_256M), &len);
	uint8_t *end = last_token(b);
	const char *why;

	UT_ASSERT(get32(end) == TOKEN_END);
	put32(end, TOKEN_NOP);
	UT_EXPECT_EQ(expect_parse_error(b, len, &why), FDT_ERR_BADSTRUCTURE);
	UT_EXPECT(contains(why, "FDT_END"));
	put32(end, 0x77);
	UT_EXPECT_EQ(expect_parse_error(b, len, &why), FDT_ERR_BADSTRUCTURE);
	UT_EXPECT(contains(why, "unknown token"));
	free(b);
}

UTEST(fdt_corrupt, tokens_outside_root)
{
	size_t len;
	uint8_t *b = dtb_copy(dtb_get(DTB_256M), &len);
	uint8_t *root = b + get32(b + HDR_OFF_STRUCT);
	const char *why;

	put32(root, TOKEN_END);			/* empty tree */
	UT_EXPECT_EQ(expect_parse_error(b, len, &why), FDT_ERR_BADSTRUCTURE);
	UT_EXPECT(contains(why, "FDT_END before any node"));
	put32(root, TOKEN_NOP);			/* root's BEGIN_NODE and "" name */
	put32(root + 4, TOKEN_NOP);
	UT_EXPECT_EQ(expect_parse_error(b, len, &why), FDT_ERR_BADSTRUCTURE);
	UT_EXPECT(contains(why, "property outside the root node"));
	UT_EXPECT_EQ(fdt_node_by_path(b, "/"), -FDT_ERR_BADSTRUCTURE);
	free(b);
}

/* ------------------------------------------------------------------ */
/* Meaning                                                            */
/* ------------------------------------------------------------------ */

/* reg shrunk to 12 bytes, the freed cell turned into FDT_NOP. */
UTEST(fdt_corrupt, memory_reg_wrong_length)
{
	size_t len;
	uint8_t *b = dtb_copy(dtb_get(DTB_256M), &len);
	uint8_t *reg = prop_at(b, "/memory@80000000", "reg");
	const char *why;

	put32(reg - 8, 12);
	put32(reg + 12, TOKEN_NOP);
	UT_EXPECT_EQ(expect_parse_error(b, len, &why), FDT_ERR_BADPROP);
	UT_EXPECT(contains(why, "/memory@80000000: reg length 12 is not a multiple of 16"));
	free(b);
}

UTEST(fdt_corrupt, no_memory_node)
{
	size_t len;
	uint8_t *b = dtb_copy(dtb_get(DTB_256M), &len);
	const char *why;

	prop_at(b, "/memory@80000000", "device_type")[0] = 'M';
	UT_EXPECT_EQ(expect_parse_error(b, len, &why), FDT_ERR_MISSING);
	UT_EXPECT(contains(why, "memory"));
	free(b);
}

UTEST(fdt_corrupt, no_cpu_node)
{
	size_t len;
	uint8_t *b = dtb_copy(dtb_get(DTB_256M), &len);
	const char *why;

	prop_at(b, "/cpus/cpu@0", "device_type")[0] = 'C';
	UT_EXPECT_EQ(expect_parse_error(b, len, &why), FDT_ERR_MISSING);
	UT_EXPECT(contains(why, "/cpus: no cpu node"));
	free(b);
}

UTEST(fdt_corrupt, interrupt_map_unknown_parent)
{
	size_t len;
	uint8_t *b = dtb_copy(dtb_get(DTB_8G), &len);
	uint8_t *map = prop_at(b, "/soc/pci@30000000", "interrupt-map");
	const char *why;

	put32(map + 4 * 4, 0x777);		/* row 0: <0 0 0 1 phandle irq> */
	UT_EXPECT_EQ(expect_parse_error(b, len, &why), FDT_ERR_BADPROP);
	UT_EXPECT(contains(why, "/soc/pci@30000000: interrupt-map: phandle 0x777"));
	free(b);
}

UTEST(fdt_corrupt, plic_contexts_cut_short)
{
	size_t len;
	uint8_t *b = dtb_copy(dtb_get(DTB_256M), &len);
	uint8_t *ext = prop_at(b, "/soc/plic@c000000", "interrupts-extended");
	const char *why;

	/* <intc 11 intc 9> -> <intc 11 intc> NOP */
	put32(ext - 8, 12);
	put32(ext + 12, TOKEN_NOP);
	UT_EXPECT_EQ(expect_parse_error(b, len, &why), FDT_ERR_BADPROP);
	UT_EXPECT(contains(why, "interrupts-extended: entry 1 is cut short"));
	free(b);
}

UTEST(fdt_corrupt, too_many_reservations)
{
	static uint64_t rsv[FDT_MAX_RESV + 1][2];
	const uint8_t *src = dtb_get(DTB_RESV)->data;
	uint8_t *b;
	size_t len;
	const char *why;

	for (int i = 0; i <= FDT_MAX_RESV; i++) {
		rsv[i][0] = 0x90000000 + 0x10000 * (uint64_t)i;
		rsv[i][1] = 0x1000;
	}
	/* resv.dts adds two /reserved-memory ranges to the block's entries */
	b = relayout(src, (const uint64_t (*)[2])rsv, FDT_MAX_RESV - 2, 0, &len);
	UT_ASSERT(parse(b, len, &why) == FDT_OK);
	UT_EXPECT_EQ(parsed.nresv, FDT_MAX_RESV);
	UT_EXPECT_EQ(parsed.resv[FDT_MAX_RESV - 3].base, 0x90000000 + 0x10000 * (FDT_MAX_RESV - 3));
	free(b);

	b = relayout(src, (const uint64_t (*)[2])rsv, FDT_MAX_RESV - 1, 0, &len);
	UT_EXPECT_EQ(expect_parse_error(b, len, &why), FDT_ERR_TOOMANY);
	UT_EXPECT(contains(why, "/reserved-memory/buffer@83000000: more than 16"));
	free(b);
}

/* ------------------------------------------------------------------ */
/* Random damage                                                      */
/* ------------------------------------------------------------------ */

static uint64_t
xorshift64(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* poke_generic: run the generic API over a damaged blob it can trust. */
static void
poke_generic(const uint8_t *b, size_t len)
{
	int node = -1;
	unsigned sum = 0;

	if (fdt_totalsize(b) > len)	/* generic calls trust totalsize */
		return;
	(void)fdt_node_by_path(b, "/soc/pci@30000000");
	(void)fdt_node_by_path(b, "serial0");
	for (int i = 0; i < 64 && (node = fdt_node_by_compatible(b, node, "virtio,mmio")) >= 0; i++) {
		uint32_t plen = 0;
		const uint8_t *val = fdt_prop(b, node, "reg", &plen);

		for (uint32_t j = 0; val != NULL && j < plen; j++)
			sum += val[j];		/* ASan checks the value is in bounds */
	}
	(void)sum;
}

UTEST(fdt_corrupt, random_byte_flips)
{
	size_t len;
	uint8_t *pristine = dtb_copy(dtb_get(DTB_8G), &len);
	uint8_t *b = malloc(len);
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	int ok = 0, failed = 0;

	UT_ASSERT(b != NULL);
	for (int iter = 0; iter < 20000; iter++) {
		int flips = 1 + (int)(xorshift64(&seed) % 4);
		const char *why;
		enum fdt_error err;

		memcpy(b, pristine, len);
		for (int f = 0; f < flips; f++)
			b[xorshift64(&seed) % len] ^= (uint8_t)(1 + xorshift64(&seed) % 255);
		err = parse(b, len, &why);
		UT_ASSERT(err >= FDT_OK && err <= FDT_ERR_TOOMANY);
		if (err != FDT_OK)
			UT_ASSERT(why != NULL && why[0] != '\0');
		if (err == FDT_OK)
			ok++;
		else
			failed++;
		poke_generic(b, len);
	}
	UT_EXPECT(ok > 0 && failed > 0);	/* the loop explored both sides */
	free(b);
	free(pristine);
}

int
main(int argc, char **argv)
{
	return utest_main(argc, argv);
}
