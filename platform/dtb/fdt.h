/*
 * fdt.h: flattened-device-tree reader and the board description built from it.
 *
 * The image learns everything board-specific from the DTB that OpenSBI passes
 * in a1: RAM, reserved ranges, harts, interrupt controllers, the console UART,
 * the PCIe host bridge and the kernel command line.  Nothing here touches a
 * device; the parser is pure C over a byte buffer, so the host unit tests run
 * it under ASan/UBSan against real QEMU blobs and corrupted copies of them.
 *
 * Specification: Devicetree Specification v0.4, chapter 5 (flattened format)
 * and the PCI bus binding (IEEE 1275 PCI, interrupt-map).
 */
#ifndef PLATFORM_DTB_FDT_H
#define PLATFORM_DTB_FDT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FDT_MAX_MEM        8	/* /memory reg ranges */
#define FDT_MAX_RESV       16	/* memreserve block + /reserved-memory children */
#define FDT_MAX_HARTS      16
#define FDT_MAX_PCI_RANGES 8
#define FDT_MAX_PCI_IRQMAP 64
#define FDT_BOOTARGS_MAX   4096
#define FDT_ISA_MAX        128

/* A physical address range [base, base + size). */
struct fdt_range {
	uint64_t base;
	uint64_t size;
};

/* A reserved range; no_map means it must not even be in the direct map. */
struct fdt_resv {
	uint64_t base;
	uint64_t size;
	bool no_map;
};

struct fdt_hart {
	uint32_t hartid;		/* reg of /cpus/cpu@N */
	uint32_t intc_phandle;		/* phandle of its riscv,cpu-intc child */
	int plic_s_context;		/* PLIC context for S-mode external irq (9), -1 if none */
	bool okay;			/* status absent or "okay" */
};

/* PCI ranges: the space code from the high cell of the child address. */
enum fdt_pci_space {
	FDT_PCI_SPACE_CONFIG = 0,
	FDT_PCI_SPACE_IO = 1,
	FDT_PCI_SPACE_MEM32 = 2,
	FDT_PCI_SPACE_MEM64 = 3,
};

struct fdt_pci_range {
	enum fdt_pci_space space;
	bool prefetchable;
	uint64_t pci_addr;
	uint64_t cpu_addr;
	uint64_t size;
};

/* One interrupt-map row: (child unit address high cell, pin) -> PLIC source. */
struct fdt_pci_irqmap {
	uint32_t child_hi;		/* devfn bits as in the unit address (bus/dev/fn << 8) */
	uint32_t pin;			/* 1 = INTA .. 4 = INTD */
	uint32_t parent_irq;		/* PLIC source number */
};

/* The board, as the DTB describes it.  Absent devices have base == 0. */
struct platform_info {
	struct fdt_range mem[FDT_MAX_MEM];
	int nmem;
	struct fdt_resv resv[FDT_MAX_RESV];
	int nresv;

	struct fdt_hart harts[FDT_MAX_HARTS];
	int nharts;
	uint64_t timebase_freq;		/* /cpus timebase-frequency (or per-cpu) */
	char isa[FDT_ISA_MAX];		/* riscv,isa of the first hart */
	char mmu_type[16];		/* mmu-type of the first hart, e.g. "riscv,sv48" */

	struct fdt_range plic;		/* riscv,plic0 / sifive,plic-1.0.0 */
	uint32_t plic_ndev;		/* riscv,ndev */
	uint32_t plic_phandle;
	struct fdt_range clint;		/* riscv,clint0 (informational) */

	struct fdt_range uart;		/* ns16550a; the one stdout-path names if any */
	uint32_t uart_irq;
	uint32_t uart_clock;		/* clock-frequency, 0 if absent */

	struct fdt_range syscon;	/* sifive,test0 / syscon (poweroff) */

	struct {
		struct fdt_range ecam;	/* pci-host-ecam-generic reg */
		uint32_t bus_start, bus_end;	/* bus-range, default 0..255 */
		struct fdt_pci_range ranges[FDT_MAX_PCI_RANGES];
		int nranges;
		struct fdt_pci_irqmap irqmap[FDT_MAX_PCI_IRQMAP];
		int nirqmap;
		uint32_t irqmap_mask_hi;	/* interrupt-map-mask: first cell */
		uint32_t irqmap_mask_pin;	/* interrupt-map-mask: last cell */
	} pci;

	char bootargs[FDT_BOOTARGS_MAX];	/* /chosen/bootargs, "" if absent, cut if longer */
	size_t bootargs_len;			/* its length in the DTB: more than bootargs holds if cut */
};

/* Result of parsing; FDT_OK or the first problem found. */
enum fdt_error {
	FDT_OK = 0,
	FDT_ERR_TRUNCATED,	/* a length or offset points past the blob */
	FDT_ERR_BADMAGIC,
	FDT_ERR_BADVERSION,	/* last_comp_version > 17 or version < 16 */
	FDT_ERR_BADSTRUCTURE,	/* token stream malformed (nesting, unknown token, no FDT_END) */
	FDT_ERR_BADPROP,	/* a property has the wrong length or cells for its meaning */
	FDT_ERR_MISSING,	/* a required node/property (memory, cpus) is absent */
	FDT_ERR_TOOMANY,	/* more entries than the FDT_MAX_* table holds */
};

/*
 * fdt_parse: read the blob at `blob` (at most `maxlen` bytes readable) into *info.
 *
 * => never reads outside [blob, blob + min(maxlen, totalsize))
 * => on error returns the code and sets *why to a static message naming the
 *    node/property and what was wrong (e.g. "/memory: reg length 12 is not a
 *    multiple of 16"); *info is then unspecified
 */
enum fdt_error fdt_parse(const void *blob, size_t maxlen, struct platform_info *info,
			 const char **why);

/* fdt_totalsize: header totalsize of a blob, 0 if the magic is wrong. */
uint32_t fdt_totalsize(const void *blob);

/* fdt_error_name: "FDT_ERR_TRUNCATED" etc. */
const char *fdt_error_name(enum fdt_error err);

/*
 * Generic node access for drivers that need more than platform_info.
 * Offsets are byte offsets into the structure block; a negative return is
 * -enum fdt_error (or -FDT_ERR_MISSING when nothing matched).
 */
int fdt_node_by_compatible(const void *blob, int after, const char *compat);
int fdt_node_by_path(const void *blob, const char *path);
const void *fdt_prop(const void *blob, int node, const char *name, uint32_t *len);

#endif
