/*
 * kmap.c: see kmap.h.
 *
 * Page-table pages come from a static pool in .bss until the pool is used
 * up, then from the page allocator.  Pool pages are reached through the
 * image mapping (valid both before and after the switch), others through
 * the direct map.
 */
#include <string.h>

#include "kern/kernel.h"
#include "vm/vm_page.h"
#include "kern/spinlock.h"
#include "platform/riscv/kmap.h"
#include "platform/riscv/tlb.h"
#include "platform/riscv/riscv.h"
#include "platform/riscv/smp.h"
#include "platform/riscv/vmlayout.h"

#define KMAP_POOL_PAGES 32

static pt_entry_t kmap_pool[KMAP_POOL_PAGES][PT_ENTRIES] __attribute__((aligned(4096)));
static int kmap_pool_used;
static uint64_t kmap_root_pa;
static uint64_t kmap_mmio_next = KMAP_MMIO_BASE;
static struct spinlock kmap_lock = SPINLOCK_INIT("kmap");
static struct kmap_stats kmap_stat;
extern uint64_t kernel_satp;	/* start.S: secondary harts load it */

extern char _kernel_start[], _text_end[], _rodata_end[], _bss_end[];

static pt_entry_t *kmap_pt_va(uint64_t pa)
{
	uint64_t pool_pa = KIMG_TO_PHYS(kmap_pool);

	if (pa >= pool_pa && pa < pool_pa + sizeof(kmap_pool))
		return (pt_entry_t *)((uint64_t)kmap_pool + (pa - pool_pa));
	return PHYS_TO_DMAP(pa);
}

static uint64_t kmap_pt_alloc(void)
{
	vm_page_t m;
	uint64_t pa;

	kmap_stat.pt_pages++;
	if (kmap_pool_used < KMAP_POOL_PAGES)
		return KIMG_TO_PHYS(kmap_pool[kmap_pool_used++]);
	m = vm_page_alloc();
	if (!m)
		panic("kmap: out of page-table pages");
	pa = m->phys_addr;
	memset(PHYS_TO_DMAP(pa), 0, PAGE_SIZE);
	return pa;
}

/* kmap_walk: the PTE for va at `level`, creating tables above it. */
static pt_entry_t *kmap_walk(uint64_t va, int level)
{
	pt_entry_t *table = kmap_pt_va(kmap_root_pa);

	for (int l = PT_LEVELS - 1; l > level; l--) {
		pt_entry_t *pte = &table[PT_INDEX(va, l)];

		if (!(*pte & PTE_V))
			*pte = PA_TO_PTE(kmap_pt_alloc()) | PTE_V;
		else if (PTE_IS_LEAF(*pte))
			panic("kmap_walk: 0x%lx already mapped by a level-%d leaf", va, l);
		table = kmap_pt_va(PTE_TO_PA(*pte));
	}
	return &table[PT_INDEX(va, level)];
}

/* kmap_enter_range: map [va, va+size) -> pa with the largest pages alignment allows. */
static void kmap_enter_range(uint64_t va, uint64_t pa, uint64_t size, pt_entry_t flags,
			     int max_level, uint64_t *count)
{
	while (size) {
		int l = max_level;

		while (l > 0 && (!IS_ALIGNED(va | pa, PT_LEVEL_SIZE(l)) || size < PT_LEVEL_SIZE(l)))
			l--;
		pt_entry_t *pte = kmap_walk(va, l);

		if (*pte & PTE_V)
			panic("kmap: 0x%lx mapped twice", va);
		*pte = PA_TO_PTE(pa) | flags | PTE_V | PTE_A | PTE_D | PTE_G;
		if (count)
			count[l]++;
		va += PT_LEVEL_SIZE(l);
		pa += PT_LEVEL_SIZE(l);
		size -= PT_LEVEL_SIZE(l);
	}
}

static void kmap_dmap_range(uint64_t base, uint64_t end)
{
	if (end <= base)
		return;
	if (end > DMAP_SIZE)
		panic("kmap: RAM at 0x%lx is beyond the %lu GiB direct map", end, DMAP_SIZE / GiB);
	kmap_enter_range(DMAP_BASE + base, base, end - base, PTE_R | PTE_W, 2, kmap_stat.dmap_pages);
}

/*
 * kmap_dmap_ram: one RAM range minus every no-map reservation inside it
 * (reservations may overlap each other or the range's ends).
 */
static void kmap_dmap_ram(const struct platform_info *info, uint64_t base, uint64_t end)
{
	for (int i = 0; i < info->nresv && base < end; i++) {
		const struct fdt_resv *r = &info->resv[i];
		uint64_t rb = ROUND_DOWN(r->base, PAGE_SIZE);
		uint64_t re = ROUND_UP(r->base + r->size, PAGE_SIZE);

		if (!r->no_map || re <= base || rb >= end)
			continue;
		if (rb > base)
			kmap_dmap_ram(info, base, rb);	/* the part below this reservation */
		base = MIN(end, re);
	}
	kmap_dmap_range(base, end);
}

static void kmap_image(void)
{
	static const struct {
		char *start, *end;
		pt_entry_t flags;
	} parts[] = {
		{ _kernel_start, _text_end, PTE_R | PTE_X },
		{ _text_end, _rodata_end, PTE_R },
		{ _rodata_end, _bss_end, PTE_R | PTE_W },
	};
	uint64_t pages[PT_LEVELS] = { 0 };

	for (unsigned i = 0; i < ARRAY_SIZE(parts); i++) {
		uint64_t va = (uint64_t)parts[i].start;

		kmap_enter_range(va, KIMG_TO_PHYS(va), (uint64_t)(parts[i].end - parts[i].start),
				 parts[i].flags, 0, pages);
	}
	kmap_stat.image_pages = pages[0];
}

void kmap_bootstrap(const struct platform_info *info)
{
	kmap_root_pa = kmap_pt_alloc();
	for (int i = 0; i < info->nmem; i++)
		kmap_dmap_ram(info, ROUND_UP(info->mem[i].base, PAGE_SIZE),
			      ROUND_DOWN(info->mem[i].base + info->mem[i].size, PAGE_SIZE));
	kmap_image();
	kernel_satp = SATP_MAKE(kmap_root_pa, 0);
	kmap_activate();
}

void kmap_activate(void)
{
	sfence_vma_all();
	csr_write(satp, kernel_satp);
	sfence_vma_all();
}

volatile void *kmap_mmio(uint64_t pa, uint64_t size)
{
	uint64_t off = pa & (PAGE_SIZE - 1);
	uint64_t len = ROUND_UP(size + off, PAGE_SIZE);
	uint64_t va;

	spin_lock(&kmap_lock);
	va = kmap_mmio_next;
	if (len == 0 || len > KMAP_MMIO_END - va)
		panic("kmap_mmio: no room for 0x%lx bytes at 0x%lx", size, pa);
	kmap_enter_range(va, pa - off, len, PTE_R | PTE_W, 0, NULL);
	kmap_mmio_next += len;
	kmap_stat.mmio_bytes += len;
	spin_unlock(&kmap_lock);
	/*
	 * The window was never mapped before, but a hart may cache invalid
	 * entries (priv spec 4.2.1).  The kernel's own shootdown, not SBI's
	 * remote fence: OpenSBI's waits stall other harts under -icount.
	 */
	tlb_shootdown(tlb_all_harts(), va, va + len);
	return (volatile void *)(va + off);
}

pt_entry_t kmap_lookup(uint64_t va, int *level)
{
	pt_entry_t *table = kmap_pt_va(kmap_root_pa);

	for (int l = PT_LEVELS - 1; l >= 0; l--) {
		pt_entry_t pte = table[PT_INDEX(va, l)];

		if (!(pte & PTE_V))
			return 0;
		if (PTE_IS_LEAF(pte)) {
			*level = l;
			return pte;
		}
		table = kmap_pt_va(PTE_TO_PA(pte));
	}
	return 0;
}

uint64_t kmap_satp(void)
{
	return kernel_satp;
}

const struct kmap_stats *kmap_stats(void)
{
	return &kmap_stat;
}
