/*
 * pmap.c: the Sv39 pmap (contract in vm/pmap.h).
 *
 * Locking (tags: kern/lock.h): one spinlock, pmap_lock, covers every
 * pmap's page tables and statistics, every page's mapping records (pv
 * lists) and page-table counts; asid_lock covers ASID assignment.  Order: pmap_lock, asid_lock,
 * then the zone and page-allocator locks.  TLB shootdowns are sent with
 * pmap_lock held: a hart spinning on it still serves them (tlb.h).
 *
 * Page tables are ordinary vm_pages flagged VM_PAGE_PT; md.pt_valid counts
 * their valid entries, and a table whose count drops to zero is freed
 * (after the TLB shootdown), except the root, the kernel's level-1 tables
 * (shared by every pmap's root) and tables another pmap nests (md.pt_nest).
 *
 * Every mapping of a vm_page has a pv entry {pmap, va, level} on the page
 * that starts it; a large mapping's entry sits on its first page.
 */
#include <string.h>

#include "kern/boot.h"
#include "kern/kernel.h"
#include "kern/spinlock.h"
#include "platform/riscv/hart.h"
#include "platform/riscv/pte.h"
#include "platform/riscv/riscv.h"
#include "platform/riscv/tlb.h"
#include "platform/riscv/trap.h"
#include "platform/riscv/vmlayout.h"
#include "vm/pmap.h"
#include "platform/riscv/pmap_md.h"
#include "vm/vm_pageout.h"
#include "vm/vm_zone.h"

#define PMAP_MAX_NESTS	8
#define LEVEL_PAGES(l)	(1ul << (9 * (l)))	/* 4 KiB pages a level-l leaf maps */

struct pmap_nest {
	vm_offset_t start, end;
	pmap_t grand;
};

struct pmap {
	vm_paddr_t root_pa;		/* [c] */
	pt_entry_t *root;		/* [c] through the direct map */
	bool is_kernel;			/* [c] */
	int refcount;			/* [a] */
	uint16_t asid;			/* [A], read unlocked by the hart that assigned it */
	uint64_t asid_gen;		/* [A] generation asid belongs to */
	uint64_t harts_used;		/* [a] harts that may cache its entries */
	uint64_t harts_active;		/* [a] harts running it now */
	uint64_t resident;		/* [p] mapped 4 KiB pages */
	uint64_t wired;			/* [p] wired 4 KiB pages */
	uint64_t pv_count;		/* [p] pv entries naming this pmap */
	uint64_t pv_large;		/* [p] of which for 2 MiB / 1 GiB mappings */
	int nest_users;			/* [p] tables of ours other pmaps share */
	struct pmap_nest nests[PMAP_MAX_NESTS];	/* [p] ranges we share from others */
	int nnests;			/* [p] */
	/*
	 * The level-0 table pmap_enter_quick last walked to, so that the next
	 * page of the same 2 MiB needs no walk: walk_tag is that 2 MiB's
	 * address | 1 (0: none).  Forgotten whenever an entry that points to
	 * a table is cleared or set (pmap_walk_forget).
	 */
	vm_offset_t walk_tag;		/* [p] */
	pt_entry_t *walk_table;		/* [p] through the direct map */
	vm_page_t walk_table_m;		/* [p] its page record */
};

/* Where a walk ended: the entry, the table holding it, and its level. */
struct pte_loc {
	pt_entry_t *e;
	vm_paddr_t table_pa;
	int level;
};

/* Work one operation defers until its TLB shootdown is done. */
struct pmap_batch {
	vm_offset_t start, end;		/* range to invalidate; start == end: none */
	uint64_t harts;			/* where (pmap_harts of every pmap touched) */
	vm_page_t free_tables;		/* page tables to free, linked through next */
	struct pv_entry *free_pvs;
};

static struct spinlock pmap_lock = SPINLOCK_INIT("pmap");
static struct spinlock asid_lock = SPINLOCK_INIT("asid");
static struct zone pmap_zone = ZONE_INIT("pmap", sizeof(struct pmap));
static struct zone pv_zone = ZONE_INIT("pv_entry", sizeof(struct pv_entry));
static struct pmap kernel_pmap_store;
pmap_t kernel_pmap = &kernel_pmap_store;

static uint16_t asid_max;		/* [A] largest usable ASID (0: no ASIDs), read unlocked */
static uint16_t asid_hw_max;		/* [c] what satp holds */
static uint16_t asid_next = 1;		/* [A] */
static uint64_t asid_generation = 1;	/* [A] */
static uint64_t asid_flushes;		/* [a] full flushes for a new generation */

const struct pmap_layout pmap_layout KDEBUG_VISIBLE = {
	.page_shift = PAGE_SHIFT,
	.levels = PT_LEVELS,
	.entries = PT_ENTRIES,
	.level_bits = PT_LEVEL_SHIFT(1) - PT_LEVEL_SHIFT(0),
	.va_bits = SV39_VA_BITS,
	.pte_v = PTE_V, .pte_r = PTE_R, .pte_w = PTE_W, .pte_x = PTE_X,
	.pte_u = PTE_U, .pte_g = PTE_G, .pte_a = PTE_A, .pte_d = PTE_D,
	.pte_sw_wired = PTE_SW_WIRED, .pte_sw_managed = PTE_SW_MANAGED,
	.pte_pbmt_mask = PTE_PBMT_MASK, .pte_pbmt_nc = PTE_PBMT_NC, .pte_pbmt_io = PTE_PBMT_IO,
	.pte_n = PTE_N,
	.pte_ppn_shift = PTE_PPN_SHIFT, .pte_ppn_mask = PTE_PPN_MASK,
	.napot_64k_pages = NAPOT_64K_PAGES, .napot_64k_ppn_low = NAPOT_64K_PPN_LOW,
	.dmap_base = DMAP_BASE,
	.user_end = PMAP_USER_END,
	.kernel_start = PMAP_KERNEL_START, .kernel_end = PMAP_KERNEL_END,
};

/* ---- page-table pages ----------------------------------------------------- */

static pt_entry_t *pt_va(vm_paddr_t pa)
{
	return PHYS_TO_DMAP(pa);
}

/*
 * pt_page: the record of a page-table page, NULL for the kernel's boot
 * tables.  A physical address always has the same record, so the answers
 * are remembered (a small direct-mapped cache; it can never be stale):
 * the tables a pmap works on come back again and again, and finding the
 * segment each time costs more than the rest of a table update.
 * => pmap_lock held (it covers the cache)
 */
#define PT_PAGE_CACHE	64

struct pt_page_slot {
	vm_paddr_t pa;
	vm_page_t m;
};

static struct pt_page_slot pt_page_cache[PT_PAGE_CACHE];	/* [p] */

/* pt_page_fill: the cache's miss, out of line so that a hit needs no stack frame. */
static __attribute__((noinline)) vm_page_t pt_page_fill(struct pt_page_slot *c, vm_paddr_t table_pa)
{
	LOCK_ASSERT(spin_held(&pmap_lock), "pt_page_fill: pmap_lock not held");

	c->m = vm_page_lookup_phys(table_pa);
	c->pa = table_pa;
	return c->m;
}

static inline vm_offset_t trunc_2m(vm_offset_t va)
{
	return va & ~(PT_LEVEL_SIZE(1) - 1);
}

/* pmap_walk_forget: p's tables change shape: pmap_enter_quick walks again. */
static inline void pmap_walk_forget(pmap_t p)
{
	p->walk_tag = 0;
}

/* pt_page_cached: pt_page if the cache has it, else NULL. */
static inline vm_page_t pt_page_cached(vm_paddr_t table_pa)
{
	struct pt_page_slot *c = &pt_page_cache[atop(table_pa) % PT_PAGE_CACHE];

	return c->pa == table_pa ? c->m : NULL;
}

static inline vm_page_t pt_page(vm_paddr_t table_pa)
{
	struct pt_page_slot *c = &pt_page_cache[atop(table_pa) % PT_PAGE_CACHE];

	return c->pa == table_pa ? c->m : pt_page_fill(c, table_pa);
}

static vm_paddr_t pt_alloc(void)
{
	vm_page_t m = vm_page_alloc();

	if (!m)
		return 0;
	pmap_zero_page(m);
	m->flags |= VM_PAGE_PT;
	m->md.pt_valid = 0;
	m->md.pt_nest = 0;
	return m->phys_addr;
}

static inline void pt_count(vm_paddr_t table_pa, int delta)
{
	vm_page_t m = pt_page(table_pa);

	if (m)
		m->md.pt_valid = (uint16_t)(m->md.pt_valid + delta);
}

static void batch_free_table(struct pmap_batch *b, vm_paddr_t pa)
{
	vm_page_t m = pt_page(pa);

	m->flags &= ~VM_PAGE_PT;
	m->next = b->free_tables;
	b->free_tables = m;
}

static uint64_t pmap_harts(pmap_t p);

static void batch_flush(struct pmap_batch *b, pmap_t p, vm_offset_t start, vm_offset_t end)
{
	b->harts |= pmap_harts(p);
	if (b->start == b->end) {
		b->start = start;
		b->end = end;
	} else {
		b->start = MIN(b->start, start);
		b->end = MAX(b->end, end);
	}
}

/* ---- validation ------------------------------------------------------------ */

static bool pmap_in_range(pmap_t p, vm_offset_t start, vm_offset_t end)
{
	if (p->is_kernel)
		return start >= PMAP_KERNEL_START && end <= PMAP_KERNEL_END && start <= end;
	return start <= end && end <= PMAP_USER_END;
}

static bool pmap_nested(pmap_t p, vm_offset_t start, vm_offset_t end)
{
	for (int i = 0; i < p->nnests; i++)
		if (start < p->nests[i].end && end > p->nests[i].start)
			return true;
	return false;
}

/* pmap_nested_page: the page at va is in a range p nests (a task's nested text, say). */
static inline bool pmap_nested_page(pmap_t p, vm_offset_t va)
{
	return __builtin_expect(p->nnests != 0, 0) && pmap_nested(p, va, va + PAGE_SIZE);
}

/* pmap_range_check: the common argument checks of the range calls. */
static kern_return_t pmap_range_check(pmap_t p, vm_offset_t start, vm_offset_t end)
{
	if (!p || !page_aligned(start) || !page_aligned(end) || start > end)
		return KERN_INVALID_ARGUMENT;
	if (!pmap_in_range(p, start, end))
		return KERN_INVALID_ADDRESS;
	return KERN_SUCCESS;
}

static bool prot_valid(vm_prot_t prot)
{
	if (prot & ~VM_PROT_ALL)
		return false;
	return !((prot & VM_PROT_WRITE) && !(prot & VM_PROT_READ));	/* W without R is reserved */
}

static pt_entry_t prot_bits(vm_prot_t prot)
{
	return ((prot & VM_PROT_READ) ? PTE_R : 0) | ((prot & VM_PROT_WRITE) ? PTE_W : 0) |
	       ((prot & VM_PROT_EXECUTE) ? PTE_X : 0);
}

/* pmap_harts: harts whose TLB may hold this pmap's translations. */
static uint64_t pmap_harts(pmap_t p)
{
	if (p->is_kernel || p->nest_users)
		return tlb_all_harts();
	return __atomic_load_n(&p->harts_used, __ATOMIC_ACQUIRE);
}

/* ---- walking ----------------------------------------------------------------- */

/* pmap_lookup: the leaf mapping va, or the invalid entry that ends the walk. */
static struct pte_loc pmap_lookup(pmap_t p, vm_offset_t va)
{
	struct pte_loc loc = { .table_pa = p->root_pa };

	/* Unrolled: each level's index shift becomes a constant (every fault walks here). */
#pragma GCC unroll 3
	for (int l = PT_LEVELS - 1; l >= 0; l--) {
		loc.e = &pt_va(loc.table_pa)[PT_INDEX(va, l)];
		loc.level = l;
		if (l == 0 || !(*loc.e & PTE_V) || PTE_IS_LEAF(*loc.e))
			break;
		loc.table_pa = PTE_TO_PA(*loc.e);
	}
	return loc;
}

/* pmap_lookup_table: the table holding va's level-`level` entry (the path must exist). */
static vm_paddr_t pmap_lookup_table(pmap_t p, vm_offset_t va, int level)
{
	vm_paddr_t table = p->root_pa;

	for (int l = PT_LEVELS - 1; l > level; l--) {
		pt_entry_t e = pt_va(table)[PT_INDEX(va, l)];

		KASSERT((e & PTE_V) && !PTE_IS_LEAF(e), "pmap_lookup_table: no table for 0x%lx", va);
		table = PTE_TO_PA(e);
	}
	return table;
}

/* ---- pv entries ---------------------------------------------------------- */

/*
 * pv entries of large (2 MiB / 1 GiB) mappings of managed pages, in all
 * pmaps: while there are none, a page's mappings are all on its own list
 * and nobody need look for large ones at the heads of its blocks.
 * [p] pmap_lock
 */
static uint64_t pv_large_count;

static void pv_insert(vm_page_t m, struct pv_entry *pv, pmap_t p, vm_offset_t va, int level)
{
	if (level > 0) {
		pv_large_count++;
		p->pv_large++;
	}
	*pv = (struct pv_entry){ .next = m->md.pv_list, .pmap = p, .va = va, .level = level };
	m->md.pv_list = pv;
	m->md.pv_count++;
	p->pv_count++;
}

/*
 * pv_alloc_locked: an entry for a new mapping of m: its embedded one if
 * free, else one from the zone (the zone lock comes after pmap_lock).
 * => pmap_lock held; NULL if the zone is out of memory
 */
static struct pv_entry *pv_alloc_locked(vm_page_t m)
{
	LOCK_ASSERT(spin_held(&pmap_lock), "pv_alloc_locked: pmap_lock not held");

	if (!m->md.pv_embedded.pmap)
		return &m->md.pv_embedded;
	return zalloc_noblock(&pv_zone);
}

/*
 * pv_unlink: take the entry for (p, va) off m's list.  Returns it for the
 * caller to free, or NULL if it was m's embedded entry (free again now).
 */
static struct pv_entry *pv_unlink(vm_page_t m, pmap_t p, vm_offset_t va)
{
	for (struct pv_entry **pp = &m->md.pv_list; *pp; pp = &(*pp)->next) {
		struct pv_entry *pv = *pp;

		if (pv->pmap == p && pv->va == va) {
			*pp = pv->next;
			if (pv->level > 0) {
				pv_large_count--;
				p->pv_large--;
			}
			m->md.pv_count--;
			p->pv_count--;
			if (pv != &m->md.pv_embedded)
				return pv;
			pv->pmap = NULL;
			return NULL;
		}
	}
	panic("pmap: no pv entry for 0x%lx in pmap %p (page 0x%lx)", va, (void *)p, m->phys_addr);
}

static struct pv_entry *pv_find(vm_page_t m, pmap_t p, vm_offset_t va)
{
	for (struct pv_entry *pv = m->md.pv_list; pv; pv = pv->next)
		if (pv->pmap == p && pv->va == va)
			return pv;
	return NULL;
}

static uint8_t pte_attrs(pt_entry_t e)
{
	return ((e & PTE_A) ? PMAP_ATTR_REFERENCED : 0) | ((e & PTE_D) ? PMAP_ATTR_MODIFIED : 0);
}

/* ---- leaves ------------------------------------------------------------------ */

/*
 * pmap_leaf_forget: the bookkeeping of removing leaf `old` (mapping va at
 * loc->level): statistics, its pv entry (to the batch), the page's
 * gathered A/D bits, the shootdown.  The entry itself is the caller's.
 */
static inline __attribute__((always_inline)) void
pmap_leaf_forget(pmap_t p, struct pte_loc *loc, pt_entry_t old, vm_offset_t va, struct pmap_batch *b)
{
	uint64_t n = LEVEL_PAGES(loc->level);

	p->resident -= n;
	if (old & PTE_SW_WIRED)
		p->wired -= n;
	if (old & PTE_SW_MANAGED) {
		vm_page_t m = vm_page_lookup_phys(PTE_TO_PA(old));
		struct pv_entry *pv = pv_unlink(m, p, va);

		m->md.attrs |= pte_attrs(old);
		if (pv) {
			pv->next = b->free_pvs;
			b->free_pvs = pv;
		}
	}
	batch_flush(b, p, va, va + PT_LEVEL_SIZE(loc->level));
}

/* pmap_leaf_clear: remove the leaf at loc (mapping va at loc->level), with its bookkeeping. */
static void pmap_leaf_clear(pmap_t p, struct pte_loc *loc, vm_offset_t va, struct pmap_batch *b)
{
	pt_entry_t old = *loc->e;

	*loc->e = 0;
	pt_count(loc->table_pa, -1);
	pmap_leaf_forget(p, loc, old, va, b);
}

/*
 * pmap_demote: replace the level-L leaf at loc (L >= 1, mapping the aligned
 * block containing va) by a table of 512 level L-1 leaves with the same
 * translation.  Invisible to the mappings, so a failure changes nothing.
 * => KERN_RESOURCE_SHORTAGE if the table or the 511 pv entries cannot be had
 */
static kern_return_t pmap_demote(pmap_t p, struct pte_loc *loc, vm_offset_t va)
{
	int level = loc->level;
	uint64_t step = PT_LEVEL_SIZE(level - 1);
	vm_offset_t base = va & ~(PT_LEVEL_SIZE(level) - 1);
	pt_entry_t old = *loc->e;
	vm_page_t head = vm_page_lookup_phys(PTE_TO_PA(old));
	struct pv_entry *chain = NULL;
	vm_paddr_t table = pt_alloc();
	pt_entry_t *t;

	if (!table)
		return KERN_RESOURCE_SHORTAGE;
	for (int i = 1; i < PT_ENTRIES; i++) {	/* reserve first: nothing changes on failure */
		struct pv_entry *pv = zalloc_noblock(&pv_zone);

		if (!pv) {
			for (; chain; chain = pv) {
				pv = chain->next;
				zfree(&pv_zone, chain);
			}
			vm_page_free(pt_page(table));
			return KERN_RESOURCE_SHORTAGE;
		}
		pv->next = chain;
		chain = pv;
	}
	t = pt_va(table);
	for (int i = 0; i < PT_ENTRIES; i++)
		t[i] = (old & ~PTE_PPN_MASK) | PA_TO_PTE(PTE_TO_PA(old) + i * step);
	pt_page(table)->md.pt_valid = PT_ENTRIES;
	pv_find(head, p, base)->level = level - 1;
	pv_large_count -= level == 1;		/* the head's entry is a 4 KiB one now */
	p->pv_large -= level == 1;
	for (int i = 1; i < PT_ENTRIES; i++) {
		struct pv_entry *pv = chain;

		chain = pv->next;
		pv_insert(vm_page_nth(head, i * LEVEL_PAGES(level - 1)), pv, p, base + i * step,
			  level - 1);
	}
	*loc->e = PA_TO_PTE(table) | PTE_V;	/* same translations: no flush needed */
	loc->table_pa = table;
	loc->e = &t[PT_INDEX(va, level - 1)];
	loc->level = level - 1;
	return KERN_SUCCESS;
}

/* pmap_split_at: make va the start of a leaf (demoting large leaves that straddle it). */
static kern_return_t pmap_split_at(pmap_t p, vm_offset_t va)
{
	for (;;) {
		struct pte_loc loc = pmap_lookup(p, va);
		kern_return_t kr;

		if (!(*loc.e & PTE_V) || loc.level == 0 || IS_ALIGNED(va, PT_LEVEL_SIZE(loc.level)))
			return KERN_SUCCESS;
		if ((kr = pmap_demote(p, &loc, va)) != KERN_SUCCESS)
			return kr;
	}
}

/* pmap_prune: free the tables on va's path that hold no entry, bottom up. */
static void pmap_prune(pmap_t p, vm_offset_t va, struct pmap_batch *b)
{
	vm_paddr_t tables[PT_LEVELS];		/* tables[l] holds va's level-l entry */
	pt_entry_t *entries[PT_LEVELS];
	int l = PT_LEVELS - 1;

	tables[l] = p->root_pa;
	for (;;) {
		entries[l] = &pt_va(tables[l])[PT_INDEX(va, l)];
		if (l == 0 || !(*entries[l] & PTE_V) || PTE_IS_LEAF(*entries[l]))
			break;
		tables[l - 1] = PTE_TO_PA(*entries[l]);
		l--;
	}
	for (; l < PT_LEVELS - 1; l++) {
		vm_page_t m = pt_page(tables[l]);

		if (!m || m->md.pt_valid || m->md.pt_nest || (p->is_kernel && l == 1))
			return;
		*entries[l + 1] = 0;
		pmap_walk_forget(p);
		pt_count(tables[l + 1], -1);
		batch_free_table(b, tables[l]);
	}
}

static bool pmap_batch_empty(const struct pmap_batch *b)
{
	return b->start == b->end && !b->free_tables && !b->free_pvs;
}

/* pmap_batch_finish: shoot down what the batch changed, then free what it released. */
/* pmap_batch_free: give back the tables and pv entries b collected.  => after the flush */
static __attribute__((noinline)) void pmap_batch_free(struct pmap_batch *b)
{
	while (b->free_tables) {
		vm_page_t m = b->free_tables;

		b->free_tables = m->next;
		m->next = NULL;
		vm_page_free(m);
	}
	while (b->free_pvs) {
		struct pv_entry *pv = b->free_pvs;

		b->free_pvs = pv->next;
		zfree(&pv_zone, pv);
	}
}

static inline void pmap_batch_finish(struct pmap_batch *b)
{
	if (b->start != b->end)
		tlb_shootdown(b->harts, b->start, b->end);
	if (b->free_tables || b->free_pvs)
		pmap_batch_free(b);
	*b = (struct pmap_batch){ 0 };
}

/*
 * pmap_remove_range: clear every leaf inside [start, end) (whose ends are
 * already split), walking each level-0 table in place, and free the
 * tables that leaves empty.
 */
static void pmap_remove_range(pmap_t p, vm_offset_t start, vm_offset_t end, struct pmap_batch *b)
{
	vm_offset_t va = start;

	while (va < end) {
		struct pte_loc loc = pmap_lookup(p, va);
		vm_offset_t first = va, next;

		if (loc.level == 0) {		/* this level-0 table, entry by entry */
			pt_entry_t *t = pt_va(loc.table_pa);

			for (unsigned i = PT_INDEX(va, 0); i < PT_ENTRIES && va < end; i++, va += PAGE_SIZE) {
				loc.e = &t[i];
				if (*loc.e & PTE_V)
					pmap_leaf_clear(p, &loc, va, b);
			}
			pmap_prune(p, first, b);
			continue;
		}
		next = (va & ~(PT_LEVEL_SIZE(loc.level) - 1)) + PT_LEVEL_SIZE(loc.level);
		if (*loc.e & PTE_V) {
			pmap_leaf_clear(p, &loc, va, b);
			if (loc.level < PT_LEVELS - 1)
				pmap_prune(p, va, b);
		}
		va = next;
	}
}

/*
 * leaf_protect: take away from the leaf at loc what keep (the bits
 * allowed | ~PTE_RWX) does not allow; never add (a copy-on-write page
 * stays read-only).  A leaf left with no access goes.  True if it changed.
 */
static bool leaf_protect(pmap_t p, struct pte_loc *loc, vm_offset_t va, pt_entry_t keep,
			 struct pmap_batch *b)
{
	if ((*loc->e & keep) == *loc->e)
		return false;
	*loc->e &= keep;
	if (!(*loc->e & PTE_RWX))	/* nothing left: the mapping goes */
		pmap_leaf_clear(p, loc, va, b);
	return true;
}

/*
 * pmap_protect_table: leaf_protect on entries [i, end_i) of the level-0
 * table at loc (i mapping va), in one pass over the table, and one range
 * for the shootdown.
 */
static void pmap_protect_table(pmap_t p, struct pte_loc loc, unsigned i, unsigned end_i,
			       vm_offset_t va, pt_entry_t keep, struct pmap_batch *b)
{
	pt_entry_t *t = pt_va(loc.table_pa);
	vm_offset_t lo = 0, hi = 0;

	for (; i < end_i; i++, va += PAGE_SIZE) {
		if (!(t[i] & PTE_V) || (t[i] & keep) == t[i])
			continue;
		loc.e = &t[i];
		leaf_protect(p, &loc, va, keep, b);
		if (!hi)
			lo = va;
		hi = va + PAGE_SIZE;
	}
	if (hi)
		batch_flush(b, p, lo, hi);
}

/*
 * pmap_protect_range: leaf_protect on every leaf inside [start, end)
 * (whose ends are already split), a level-0 table at a time.
 */
static void pmap_protect_range(pmap_t p, vm_offset_t start, vm_offset_t end, pt_entry_t keep,
			       struct pmap_batch *b)
{
	for (vm_offset_t va = start; va < end;) {
		struct pte_loc loc = pmap_lookup(p, va);
		vm_offset_t size = PT_LEVEL_SIZE(loc.level), next = (va & ~(size - 1)) + size;

		if (loc.level == 0) {
			unsigned i = PT_INDEX(va, 0), n = MIN(PT_ENTRIES - i, atop(end - va));

			pmap_protect_table(p, loc, i, i + n, va, keep, b);
			va += ptoa(n);
			continue;
		}
		if ((*loc.e & PTE_V) && leaf_protect(p, &loc, va, keep, b))
			batch_flush(b, p, va, next);
		va = next;
	}
}

/* pmap_remove_locked: remove [start, end) after splitting its ends. */
static kern_return_t pmap_remove_locked(pmap_t p, vm_offset_t start, vm_offset_t end,
					struct pmap_batch *b)
{
	kern_return_t kr;

	LOCK_ASSERT(spin_held(&pmap_lock), "pmap_remove_locked: pmap_lock not held");

	if ((kr = pmap_split_at(p, start)) != KERN_SUCCESS ||
	    (end < (p->is_kernel ? PMAP_KERNEL_END : PMAP_USER_END) &&
	     (kr = pmap_split_at(p, end)) != KERN_SUCCESS))
		return kr;
	pmap_remove_range(p, start, end, b);
	return KERN_SUCCESS;
}

kern_return_t pmap_remove(pmap_t p, vm_offset_t start, vm_offset_t end)
{
	struct pmap_batch b = { 0 };
	kern_return_t kr = pmap_range_check(p, start, end);

	if (kr != KERN_SUCCESS)
		return kr;
	spin_lock(&pmap_lock);
	if (pmap_nested(p, start, end))
		kr = KERN_INVALID_ADDRESS;
	else
		kr = pmap_remove_locked(p, start, end, &b);
	pmap_batch_finish(&b);
	spin_unlock(&pmap_lock);
	return kr;
}

kern_return_t pmap_protect(pmap_t p, vm_offset_t start, vm_offset_t end, vm_prot_t prot)
{
	struct pmap_batch b = { 0 };
	pt_entry_t bits = prot_bits(prot);
	kern_return_t kr = pmap_range_check(p, start, end);

	if (kr != KERN_SUCCESS)
		return kr;
	if (!prot_valid(prot))
		return KERN_INVALID_ARGUMENT;
	if (prot == VM_PROT_NONE)
		return pmap_remove(p, start, end);
	spin_lock(&pmap_lock);
	if (pmap_nested(p, start, end))
		kr = KERN_INVALID_ADDRESS;
	else if ((kr = pmap_split_at(p, start)) == KERN_SUCCESS &&
		 (end == (p->is_kernel ? PMAP_KERNEL_END : PMAP_USER_END) ||
		  (kr = pmap_split_at(p, end)) == KERN_SUCCESS))
		pmap_protect_range(p, start, end, bits | ~PTE_RWX, &b);
	pmap_batch_finish(&b);
	spin_unlock(&pmap_lock);
	return kr;
}

/* ---- entering --------------------------------------------------------------- */

/* Page-table pages reserved before a change, so that the change cannot fail. */
struct pt_reserve {
	vm_paddr_t pages[PT_LEVELS - 1];
	int n;
};

static bool pt_reserve_fill(struct pt_reserve *r, int needed)
{
	while (r->n < needed) {
		if (!(r->pages[r->n] = pt_alloc()))
			return false;
		r->n++;
	}
	return true;
}

static void pt_reserve_release(struct pt_reserve *r)
{
	while (r->n > 0)
		vm_page_free(pt_page(r->pages[--r->n]));
}

/*
 * pmap_path_state: how many tables are missing on va's path above `level`,
 * and whether anything (a leaf at any level, or a table below) already
 * maps part of [va, va + size of level).
 */
static int pmap_path_state(pmap_t p, vm_offset_t va, int level, bool *occupied)
{
	vm_paddr_t table = p->root_pa;

	*occupied = false;
	for (int l = PT_LEVELS - 1;; l--) {
		pt_entry_t e = pt_va(table)[PT_INDEX(va, l)];

		if (!(e & PTE_V))
			return l - level;
		if (l == level || PTE_IS_LEAF(e)) {
			*occupied = true;
			return 0;
		}
		table = PTE_TO_PA(e);
	}
}

/* pt_lent: the table at pa is shared with other pmaps (pmap_nest). */
static bool pt_lent(vm_paddr_t pa)
{
	vm_page_t m = pt_page(pa);

	return m && m->md.pt_nest;
}

/*
 * pmap_range_lent: a level-0 table under [va, va + size of level) is
 * shared with other pmaps, so a large leaf there would cut them off.
 */
static bool pmap_range_lent(pmap_t p, vm_offset_t va, int level)
{
	vm_paddr_t table = p->root_pa;
	pt_entry_t e;

	if (!p->nest_users || level == 0)
		return false;
	for (int l = PT_LEVELS - 1;; l--) {
		e = pt_va(table)[PT_INDEX(va, l)];
		if (!(e & PTE_V) || PTE_IS_LEAF(e))
			return false;
		if (l == level)
			break;
		table = PTE_TO_PA(e);
	}
	if (level == 1)
		return pt_lent(PTE_TO_PA(e));
	for (int i = 0; i < PT_ENTRIES; i++) {
		pt_entry_t s = pt_va(PTE_TO_PA(e))[i];

		if ((s & PTE_V) && !PTE_IS_LEAF(s) && pt_lent(PTE_TO_PA(s)))
			return true;
	}
	return false;
}

/* pmap_entry_alloc: va's entry at `level`, linking reserved tables where missing. */
static struct pte_loc pmap_entry_alloc(pmap_t p, vm_offset_t va, int level, struct pt_reserve *r)
{
	struct pte_loc loc = { .table_pa = p->root_pa };

	for (int l = PT_LEVELS - 1;; l--) {
		loc.e = &pt_va(loc.table_pa)[PT_INDEX(va, l)];
		loc.level = l;
		if (l == level)
			return loc;
		if (!(*loc.e & PTE_V)) {
			KASSERT(r->n > 0, "pmap_entry_alloc: reserve short at level %d", l);
			*loc.e = PA_TO_PTE(r->pages[--r->n]) | PTE_V;
			pt_count(loc.table_pa, +1);
		}
		KASSERT(!PTE_IS_LEAF(*loc.e), "pmap_entry_alloc: leaf above level %d", level);
		loc.table_pa = PTE_TO_PA(*loc.e);
	}
}

static pt_entry_t pmap_pte_make(pmap_t p, vm_page_t m, vm_prot_t prot, unsigned flags)
{
	return PA_TO_PTE(m->phys_addr) | prot_bits(prot) | PTE_V | PTE_A | PTE_SW_MANAGED |
	       (p->is_kernel ? PTE_G : PTE_U) | ((flags & PMAP_WIRED) ? PTE_SW_WIRED : 0);
}

static bool pmap_svpbmt;		/* [c] the harts have Svpbmt (riscv,isa) */

/*
 * A device page (vm_page_fictitious) is mapped unmanaged: no pv entry
 * (nothing looks its mappings up by page; they go with their range).  Its
 * embedded pv entry points at pmap_no_pv for good, so that no fast install
 * takes it: they all end in pmap_enter_slow_locked, which makes its leaf
 * with pmap_pte_device.
 */
static struct pmap pmap_no_pv;

void pmap_page_init_fictitious(vm_page_t m, vm_memattr_t memattr)
{
	m->md.pv_embedded.pmap = &pmap_no_pv;
	m->md.memattr = (uint8_t)memattr;
}

/* pmap_pte_device: npte (pmap_pte_make's) for device page m: unmanaged, its memory type in PBMT. */
static pt_entry_t pmap_pte_device(pt_entry_t npte, vm_page_t m)
{
	static const pt_entry_t pbmt[VM_MEMATTR_COUNT] = {
		[VM_MEMATTR_DEFAULT] = PTE_PBMT_PMA,
		[VM_MEMATTR_UNCACHED] = PTE_PBMT_NC,
		[VM_MEMATTR_DEVICE] = PTE_PBMT_IO,
	};

	return (npte & ~PTE_SW_MANAGED) |
	       (pmap_svpbmt && m->md.memattr < VM_MEMATTR_COUNT ? pbmt[m->md.memattr] : 0);
}

/* pmap_enter_update: va already maps m at this size: change protection and wiring in place. */
static void pmap_enter_update(pmap_t p, struct pte_loc *loc, vm_offset_t va, pt_entry_t npte,
			      struct pmap_batch *b)
{
	pt_entry_t old = *loc->e;
	uint64_t n = LEVEL_PAGES(loc->level);

	if ((old ^ npte) & PTE_SW_WIRED) {
		if (npte & PTE_SW_WIRED)
			p->wired += n;
		else
			p->wired -= n;
	}
	*loc->e = npte | (old & (PTE_A | PTE_D));
	if ((old & PTE_RWX) & ~(npte & PTE_RWX))	/* a permission went away */
		batch_flush(b, p, va, va + PT_LEVEL_SIZE(loc->level));
}

/*
 * pmap_flush_new_local: after an invalid entry became valid.  The hart may
 * have cached the invalid entry (priv spec 4.2.1, "Supervisor
 * Memory-Management Fence Instruction"); other harts refault and see the
 * new one, so no shootdown.  One 4 KiB page is a single fence.
 */
static void pmap_flush_new_local(vm_offset_t va, int level)
{
	if (level == 0)
		__asm__ volatile("sfence.vma %0, zero" :: "r"(va) : "memory");
	else
		tlb_flush_local(va, va + PT_LEVEL_SIZE(level));
}

/* pv_discard: give back an entry from pv_alloc_locked that was not used. */
static void pv_discard(vm_page_t m, struct pv_entry *pv)
{
	if (pv != &m->md.pv_embedded)
		zfree(&pv_zone, pv);
}

/*
 * pmap_install_at: the new leaf npte at loc for m at va, and its pv
 * entry.  The slot was free (counted now in table, the record of loc's
 * table, unless NULL) or held a leaf the caller forgot (the table's count
 * stays).
 */
static inline __attribute__((always_inline)) void
pmap_install_at(pmap_t p, struct pte_loc *loc, vm_offset_t va, vm_page_t m, pt_entry_t npte,
		struct pv_entry *pv, vm_page_t table)
{
	uint64_t n = LEVEL_PAGES(loc->level);

	if (!(*loc->e & PTE_V) && table)
		table->md.pt_valid++;
	*loc->e = npte;
	p->resident += n;
	if (npte & PTE_SW_WIRED)
		p->wired += n;
	if (pv)			/* NULL: a device page, unmanaged */
		pv_insert(m, pv, p, va, loc->level);
	pmap_flush_new_local(va, loc->level);
}

/* pmap_install_locked: pmap_install_at, with the table's record looked up. */
static inline __attribute__((always_inline)) void
pmap_install_locked(pmap_t p, struct pte_loc *loc, vm_offset_t va, vm_page_t m, pt_entry_t npte,
		    struct pv_entry *pv)
{
	LOCK_ASSERT(spin_held(&pmap_lock), "pmap_install_locked: pmap_lock not held");

	pmap_install_at(p, loc, va, m, npte, pv, (*loc->e & PTE_V) ? NULL : pt_page(loc->table_pa));
}

/*
 * pmap_enter_slow_locked: pmap_enter's cases other than a free or swapped
 * slot under existing tables with m's embedded pv entry free: an update in
 * place, m mapped elsewhere too, missing tables, a large mapping in the
 * way; loc is where the walk for va ended.
 */
static __attribute__((noinline)) kern_return_t
pmap_enter_slow_locked(pmap_t p, vm_offset_t va, vm_page_t m, pt_entry_t npte, int level,
		       struct pte_loc loc, struct pmap_batch *b)
{
	struct pt_reserve r = { .n = 0 };
	struct pv_entry *pv;
	bool occupied;
	int needed;

	LOCK_ASSERT(spin_held(&pmap_lock), "pmap_enter_slow_locked: pmap_lock not held");

	if (vm_page_fictitious(m))
		npte = pmap_pte_device(npte, m);
	if ((*loc.e & PTE_V) && loc.level == level && PTE_TO_PA(*loc.e) == m->phys_addr) {
		pmap_enter_update(p, &loc, va, npte, b);
		return KERN_SUCCESS;
	}
	if (pmap_range_lent(p, va, level))
		return KERN_NO_SPACE;
	pv = NULL;
	if ((npte & PTE_SW_MANAGED) && !(pv = pv_alloc_locked(m)))
		return KERN_RESOURCE_SHORTAGE;
	if (loc.level == level && !(*loc.e & PTE_V))	/* tables there, slot free */
		goto install;
	if (loc.level == level && PTE_IS_LEAF(*loc.e)) {	/* another page of the same size: swap */
		pmap_leaf_forget(p, &loc, *loc.e, va, b);
		goto install;
	}
	needed = pmap_path_state(p, va, level, &occupied);
	if (occupied)		/* the removal may free tables on our path */
		needed = PT_LEVELS - 1 - level;
	if (!pt_reserve_fill(&r, needed) ||
	    (occupied && pmap_remove_locked(p, va, va + PT_LEVEL_SIZE(level), b) != KERN_SUCCESS)) {
		pt_reserve_release(&r);
		if (pv)
			pv_discard(m, pv);
		return KERN_RESOURCE_SHORTAGE;
	}
	loc = pmap_entry_alloc(p, va, level, &r);
	pt_reserve_release(&r);
	KASSERT(!(*loc.e & PTE_V), "pmap_enter: a table stayed at 0x%lx", va);
install:
	pmap_install_locked(p, &loc, va, m, npte, pv);
	return KERN_SUCCESS;
}

/* pmap_run_managed: the n pages from m are managed RAM of one segment. */
static bool pmap_run_managed(vm_page_t m, uint64_t n)
{
	vm_page_t last = vm_page_lookup_phys(m->phys_addr + ptoa(n - 1));

	return last && last->seg == m->seg && last == m + (n - 1);
}

/* The protections a leaf can have, as a set of vm_prot_t values: not NONE, no W without R. */
#define PROT_LEAF_SET	((1u << VM_PROT_READ) | (1u << (VM_PROT_READ | VM_PROT_WRITE)) |	\
			 (1u << VM_PROT_EXECUTE) | (1u << (VM_PROT_READ | VM_PROT_EXECUTE)) |	\
			 (1u << VM_PROT_ALL))

/*
 * pmap_enter_page_args: the arguments name one 4 KiB page to map at va,
 * with flags at most PMAP_WIRED: pmap_enter_check's answer for them, and
 * prot not NONE, in a few instructions.
 */
static inline bool pmap_enter_page_args(pmap_t p, vm_offset_t va, vm_page_t m, vm_prot_t prot,
					unsigned flags)
{
	if (!p || !m || (flags & ~PMAP_WIRED) || (unsigned)prot > VM_PROT_ALL ||
	    !((PROT_LEAF_SET >> prot) & 1) || !page_aligned(va))
		return false;
	if (p->is_kernel)
		return va - PMAP_KERNEL_START < PMAP_KERNEL_END - PMAP_KERNEL_START;
	return va < PMAP_USER_END;
}

/* pmap_enter_check: the argument checks of pmap_enter; the level it maps at in *level. */
static kern_return_t pmap_enter_check(pmap_t p, vm_offset_t va, vm_page_t m, vm_prot_t prot,
				      unsigned flags, int *level)
{
	uint64_t size;

	if (!p || !m || (flags & ~(PMAP_WIRED | PMAP_LARGE_2M | PMAP_LARGE_1G)) ||
	    (flags & PMAP_LARGE_2M && flags & PMAP_LARGE_1G) || !prot_valid(prot))
		return KERN_INVALID_ARGUMENT;
	*level = (flags & PMAP_LARGE_1G) ? 2 : (flags & PMAP_LARGE_2M) ? 1 : 0;
	size = PT_LEVEL_SIZE(*level);
	if (!IS_ALIGNED(va, size) || !IS_ALIGNED(m->phys_addr, size))
		return KERN_INVALID_ARGUMENT;
	if (*level && (!(flags & PMAP_WIRED) || (p->is_kernel && *level == 2) ||
		       !pmap_run_managed(m, LEVEL_PAGES(*level))))
		return KERN_INVALID_ARGUMENT;
	if (va + size < va || !pmap_in_range(p, va, va + size))
		return KERN_INVALID_ADDRESS;
	return KERN_SUCCESS;
}

/*
 * pmap_enter_locked: m at va in p at `level` (the arguments checked), loc
 * where the walk for va ended.  => pmap_lock held
 */
static __attribute__((noinline)) kern_return_t
pmap_enter_locked(pmap_t p, vm_offset_t va, vm_page_t m, pt_entry_t npte, int level,
		  struct pte_loc loc)
{
	struct pmap_batch b = { 0 };
	kern_return_t kr = KERN_SUCCESS;

	LOCK_ASSERT(spin_held(&pmap_lock), "pmap_enter_locked: pmap_lock not held");

	if (pmap_nested(p, va, va + PT_LEVEL_SIZE(level)))
		return KERN_INVALID_ADDRESS;
	/*
	 * The common cases: the tables are there, the slot is free or holds
	 * another page of the same size (a copy-on-write fault swaps it),
	 * and m is mapped nowhere else.
	 */
	if (loc.level == level && !m->md.pv_embedded.pmap &&
	    !((*loc.e & PTE_V) && PTE_TO_PA(*loc.e) == m->phys_addr)) {
		if (*loc.e & PTE_V)		/* a leaf: pmap_lookup stops at those */
			pmap_leaf_forget(p, &loc, *loc.e, va, &b);
		pmap_install_locked(p, &loc, va, m, npte, &m->md.pv_embedded);
	} else {
		kr = pmap_enter_slow_locked(p, va, m, npte, level, loc, &b);
	}
	if (!pmap_batch_empty(&b))
		pmap_batch_finish(&b);
	return kr;
}

/* pmap_enter_general: pmap_enter with every argument checked (large pages, bad input). */
static __attribute__((noinline)) kern_return_t
pmap_enter_general(pmap_t p, vm_offset_t va, vm_page_t m, vm_prot_t prot, unsigned flags)
{
	kern_return_t kr;
	int level;

	if ((kr = pmap_enter_check(p, va, m, prot, flags, &level)) != KERN_SUCCESS)
		return kr;
	if (prot == VM_PROT_NONE)
		return pmap_remove(p, va, va + PT_LEVEL_SIZE(level));
	if (vm_page_fictitious(m) && level)
		return KERN_INVALID_ARGUMENT;	/* device pages are mapped one by one */
	spin_lock(&pmap_lock);
	kr = pmap_enter_locked(p, va, m, pmap_pte_make(p, m, prot, flags), level, pmap_lookup(p, va));
	spin_unlock(&pmap_lock);
	return kr;
}

kern_return_t pmap_enter(pmap_t p, vm_offset_t va, vm_page_t m, vm_prot_t prot, unsigned flags)
{
	pt_entry_t npte;
	struct pte_loc loc;
	kern_return_t kr = KERN_SUCCESS;
	uint64_t sie;

	/*
	 * Every fault comes here with one 4 KiB page: check it in a few
	 * instructions and map it into a free slot of existing tables of a
	 * pmap, outside what it nests; anything else takes the general path.
	 */
	if (!pmap_enter_page_args(p, va, m, prot, flags))
		return pmap_enter_general(p, va, m, prot, flags);
	npte = pmap_pte_make(p, m, prot, flags);
	sie = spin_lock_irqsave(&pmap_lock);
	loc = pmap_lookup(p, va);
	if (loc.level == 0 && !(*loc.e & PTE_V) && !m->md.pv_embedded.pmap &&
	    !pmap_nested_page(p, va))
		pmap_install_locked(p, &loc, va, m, npte, &m->md.pv_embedded);
	else
		kr = pmap_enter_locked(p, va, m, npte, 0, loc);
	spin_unlock_irqrestore(&pmap_lock, sie);
	return kr;
}

/*
 * pmap_enter_quick_slow: pmap_enter_quick when p's walk cache does not
 * have va's table (a walk, remembered) or the slot holds another page's
 * leaf (forgotten and shot down: a copy replaces its source).  Out of
 * line, so that the commonest case saves no registers.
 */
static __attribute__((noinline)) bool pmap_enter_quick_slow(pmap_t p, vm_offset_t va, vm_page_t m,
							    pt_entry_t npte)
{
	struct pmap_batch b = { 0 };
	struct pte_loc loc;
	vm_page_t table;
	uint64_t sie = csr_read_clear(sstatus, SSTATUS_SIE) & SSTATUS_SIE;
	bool done = false;

	if (!spin_try_acquire(&pmap_lock))
		goto out;
	loc = pmap_lookup(p, va);
	if (loc.level != 0 || !(table = pt_page_cached(loc.table_pa)) || m->md.pv_embedded.pmap ||
	    pmap_nested_page(p, va) || ((*loc.e & PTE_V) && PTE_TO_PA(*loc.e) == m->phys_addr)) {
		spin_release(&pmap_lock);
		goto out;
	}
	p->walk_tag = trunc_2m(va) | 1;
	p->walk_table = pt_va(loc.table_pa);
	p->walk_table_m = table;
	if (*loc.e & PTE_V)
		pmap_leaf_forget(p, &loc, *loc.e, va, &b);
	pmap_install_at(p, &loc, va, m, npte, &m->md.pv_embedded, (*loc.e & PTE_V) ? NULL : table);
	pmap_batch_finish(&b);
	spin_release(&pmap_lock);
	done = true;
out:
	csr_set(sstatus, sie);
	return done;
}

/*
 * pmap_enter_quick_replace: pmap_enter_quick's copy case: the slot e,
 * found through the walk cache, holds a leaf.  Without a shootdown (an
 * unwired 4 KiB leaf of another managed page, and no hart but this one
 * may have cached p's entries) it is forgotten here (its pv entry, its
 * A/D bits kept on its page), npte for m takes its place, and one local
 * fence drops the old translation; else pmap_enter_quick_slow decides.
 * => pmap_lock held (released on return), interrupts off (sie: restored
 *    on return)
 */
static __attribute__((noinline)) bool
pmap_enter_quick_replace(pmap_t p, pt_entry_t *e, vm_offset_t va, vm_page_t m, pt_entry_t npte,
			 uint64_t sie)
{
	pt_entry_t old = *e;
	vm_page_t om;
	struct pv_entry *pv;

	LOCK_ASSERT(spin_held(&pmap_lock), "pmap_enter_quick_replace: pmap_lock not held");

	if ((pmap_harts(p) & ~(1ul << hart_self()->index)) || (old & PTE_SW_WIRED) ||
	    !(old & PTE_SW_MANAGED) || PTE_TO_PA(old) == m->phys_addr) {
		spin_release(&pmap_lock);
		csr_set(sstatus, sie);
		return pmap_enter_quick_slow(p, va, m, npte);
	}
	om = vm_page_lookup_phys(PTE_TO_PA(old));
	pv = pv_unlink(om, p, va);
	om->md.attrs |= pte_attrs(old);
	*e = npte;
	pv_insert(m, &m->md.pv_embedded, p, va, 0);
	__asm__ volatile("sfence.vma %0, zero" :: "r"(va) : "memory");
	if (pv)
		zfree(&pv_zone, pv);
	spin_release(&pmap_lock);
	csr_set(sstatus, sie);
	return true;
}

/*
 * pmap_enter_quick: the commonest case here, a free slot of the level-0
 * table p's walk cache holds (that of the 2 MiB last entered); a leaf in
 * that slot goes to pmap_enter_quick_replace, anything else to
 * pmap_enter_quick_slow.
 */
bool pmap_enter_quick(pmap_t p, vm_offset_t va, vm_page_t m, vm_prot_t prot)
{
	struct pte_loc loc;
	pt_entry_t npte;
	uint64_t sie;

	if (!pmap_enter_page_args(p, va, m, prot, 0))
		return false;
	npte = pmap_pte_make(p, m, prot, 0);
	sie = csr_read_clear(sstatus, SSTATUS_SIE) & SSTATUS_SIE;
	if (!spin_try_acquire(&pmap_lock)) {
		csr_set(sstatus, sie);
		return false;
	}
	if (m->md.pv_embedded.pmap) {		/* mapped elsewhere: a pv entry to allocate */
		spin_release(&pmap_lock);
		csr_set(sstatus, sie);
		return false;
	}
	loc = (struct pte_loc){ &p->walk_table[PT_INDEX(va, 0)], 0, 0 };
	if (p->walk_tag != (trunc_2m(va) | 1) || pmap_nested_page(p, va)) {
		spin_release(&pmap_lock);
		csr_set(sstatus, sie);
		return pmap_enter_quick_slow(p, va, m, npte);
	}
	if (*loc.e & PTE_V)
		return pmap_enter_quick_replace(p, loc.e, va, m, npte, sie);
	pmap_install_at(p, &loc, va, m, npte, &m->md.pv_embedded, p->walk_table_m);
	spin_release(&pmap_lock);
	csr_set(sstatus, sie);
	return true;
}

/* ---- per-page operations ----------------------------------------------------- */

/*
 * pmap_page_next_mapping: the first mapping of m (a 4 KiB mapping of m or a
 * large one that covers it) accepted by want(); its pmap, the va that maps
 * m, and where its leaf is.
 */
typedef bool (*pmap_want_fn)(pt_entry_t e, vm_prot_t prot);

static struct pv_entry *pmap_page_next_mapping(vm_page_t m, pmap_want_fn want, vm_prot_t prot,
					       vm_offset_t *va, struct pte_loc *loc)
{
	vm_page_t heads[PT_LEVELS] = { m };

	for (int l = 1; l < PT_LEVELS && pv_large_count; l++)
		heads[l] = vm_page_lookup_phys(m->phys_addr & ~(PT_LEVEL_SIZE(l) - 1));
	for (int l = 0; l < PT_LEVELS; l++) {
		if (!heads[l] || (l > 0 && heads[l] == heads[l - 1]))
			continue;
		for (struct pv_entry *pv = heads[l]->md.pv_list; pv; pv = pv->next) {
			if ((l == 0) != (pv->level == 0) || (l > 0 && pv->level != l))
				continue;
			*va = pv->va + (m->phys_addr - heads[l]->phys_addr);
			*loc = pmap_lookup(pv->pmap, *va);
			if (want(*loc->e, prot))
				return pv;
		}
	}
	return NULL;
}

static bool want_any(pt_entry_t e, vm_prot_t prot)
{
	(void)e;
	(void)prot;
	return true;
}

static bool want_writable(pt_entry_t e, vm_prot_t prot)
{
	(void)prot;
	return (e & PTE_W) != 0;
}

/*
 * pmap_page_isolate: demote the large mapping at loc down to the 4 KiB leaf
 * of va; false (loc unchanged but possibly smaller) if memory ran out.
 */
static bool pmap_page_isolate(pmap_t p, struct pte_loc *loc, vm_offset_t va)
{
	while (loc->level > 0)
		if (pmap_demote(p, loc, va) != KERN_SUCCESS)
			return false;
	return true;
}

/* pmap_page_unmap_at: pmap_page_protect's removal of the leaf at loc (mapping va in p). */
static void pmap_page_unmap_at(pmap_t p, struct pte_loc *loc, vm_offset_t va, struct pmap_batch *b)
{
	vm_page_t table = pt_page(loc->table_pa);

	pmap_leaf_clear(p, loc, va, b);
	if (table && !table->md.pt_valid)	/* its table emptied: free it and above */
		pmap_prune(p, va, b);
}

/*
 * pmap_page_protect_small: pmap_page_protect_locked while no large managed
 * mapping exists anywhere: then every mapping of m is a 4 KiB leaf on m's
 * own list, found without looking at block heads and never split.
 * => pmap_lock held
 */
static void pmap_page_protect_small(vm_page_t m, bool remove, struct pmap_batch *b)
{
	struct pv_entry *pv;

	LOCK_ASSERT(spin_held(&pmap_lock), "pmap_page_protect_small: pmap_lock not held");

	while (remove && (pv = m->md.pv_list)) {	/* each removal takes the head off */
		struct pte_loc loc = pmap_lookup(pv->pmap, pv->va);

		pmap_page_unmap_at(pv->pmap, &loc, pv->va, b);
	}
	for (pv = m->md.pv_list; pv; pv = pv->next) {	/* left: write-protect */
		pt_entry_t *e = pmap_lookup(pv->pmap, pv->va).e;

		if (*e & PTE_W) {
			*e &= ~PTE_W;
			batch_flush(b, pv->pmap, pv->va, pv->va + PAGE_SIZE);
		}
	}
}

/*
 * pmap_page_protect_locked: pmap_page_protect's work on m, the TLB
 * invalidations gathered in b.  => pmap_lock held; prot lacks WRITE
 */
static void pmap_page_protect_locked(vm_page_t m, vm_prot_t prot, struct pmap_batch *b)
{
	bool remove = !(prot & (VM_PROT_READ | VM_PROT_EXECUTE));
	struct pv_entry *pv;
	struct pte_loc loc;
	vm_offset_t va;

	LOCK_ASSERT(spin_held(&pmap_lock), "pmap_page_protect_locked: pmap_lock not held");

	if (!pv_large_count) {
		pmap_page_protect_small(m, remove, b);
		return;
	}
	while ((pv = pmap_page_next_mapping(m, remove ? want_any : want_writable, prot, &va, &loc))) {
		pmap_t p = pv->pmap;

		/* Only m's page loses access; if a split is impossible the whole large leaf does. */
		if (!pmap_page_isolate(p, &loc, va))
			va &= ~(PT_LEVEL_SIZE(loc.level) - 1);
		if (remove) {
			pmap_page_unmap_at(p, &loc, va, b);
		} else {
			*loc.e &= ~PTE_W;
			batch_flush(b, p, va, va + PT_LEVEL_SIZE(loc.level));
		}
	}
}

void pmap_page_protect(vm_page_t m, vm_prot_t prot)
{
	pmap_page_protect_many(&m, 1, prot);
}

/*
 * One batch for all the pages: one shootdown (one IPI round) instead of
 * one per page.  On QEMU, where every sfence.vma empties the whole soft
 * TLB, it also saves the refill of everything touched between them.
 */
void pmap_page_protect_many(vm_page_t *pages, uint32_t npages, vm_prot_t prot)
{
	struct pmap_batch b = { 0 };

	if (prot & VM_PROT_WRITE)
		return;		/* nothing to lower */
	spin_lock(&pmap_lock);
	for (uint32_t i = 0; i < npages; i++)
		if (pages[i])
			pmap_page_protect_locked(pages[i], prot, &b);
	pmap_batch_finish(&b);
	spin_unlock(&pmap_lock);
}

/* pmap_page_bits: OR of the A/D bits of every mapping of m and what removed ones left. */
static uint8_t pmap_page_bits(vm_page_t m)
{
	uint8_t attrs;
	struct pv_entry *pv;

	spin_lock(&pmap_lock);
	attrs = m->md.attrs;
	for (pv = m->md.pv_list; pv; pv = pv->next)
		attrs |= pte_attrs(*pmap_lookup(pv->pmap, pv->va).e);
	/* Large mappings covering m from their first page: */
	for (int l = 1; l < PT_LEVELS && pv_large_count; l++) {
		vm_page_t head = vm_page_lookup_phys(m->phys_addr & ~(PT_LEVEL_SIZE(l) - 1));

		for (pv = head && head != m ? head->md.pv_list : NULL; pv; pv = pv->next)
			if (pv->level == l)
				attrs |= pte_attrs(*pmap_lookup(pv->pmap, pv->va).e);
	}
	spin_unlock(&pmap_lock);
	return attrs;
}

boolean_t pmap_is_modified(vm_page_t m)
{
	return (pmap_page_bits(m) & PMAP_ATTR_MODIFIED) != 0;
}

boolean_t pmap_is_referenced(vm_page_t m)
{
	return (pmap_page_bits(m) & PMAP_ATTR_REFERENCED) != 0;
}

static bool want_bit(pt_entry_t e, vm_prot_t bit)
{
	return (e & (pt_entry_t)bit) != 0;
}

/*
 * pmap_page_clear_bit_locked: clear PTE bit (A or D) in every mapping of m
 * and the gathered attribute; the flushes go to b: a cached translation
 * would otherwise go on using the old bits (PLATFORM.md, "A and D bits").
 * Large mappings covering m lose the bit for all their pages.
 * => pmap_lock held
 */
static void pmap_page_clear_bit_locked(vm_page_t m, pt_entry_t bit, uint8_t attr,
				       struct pmap_batch *b)
{
	struct pv_entry *pv;
	struct pte_loc loc;
	vm_offset_t va;

	LOCK_ASSERT(spin_held(&pmap_lock), "pmap_page_clear_bit_locked: pmap_lock not held");

	m->md.attrs &= (uint8_t)~attr;
	while ((pv = pmap_page_next_mapping(m, (pmap_want_fn)want_bit, (vm_prot_t)bit, &va, &loc))) {
		*loc.e &= ~bit;
		batch_flush(b, pv->pmap, va, va + PAGE_SIZE);
	}
}

/* pmap_pages_clear_bit: the above for each page of pages (NULL skipped), one flush for all. */
static void pmap_pages_clear_bit(vm_page_t *pages, uint32_t npages, pt_entry_t bit, uint8_t attr)
{
	struct pmap_batch b = { 0 };

	spin_lock(&pmap_lock);
	for (uint32_t i = 0; i < npages; i++)
		if (pages[i])
			pmap_page_clear_bit_locked(pages[i], bit, attr, &b);
	pmap_batch_finish(&b);
	spin_unlock(&pmap_lock);
}

void pmap_clear_modify(vm_page_t m)
{
	pmap_pages_clear_bit(&m, 1, PTE_D, PMAP_ATTR_MODIFIED);
}

void pmap_set_modify(vm_page_t m)
{
	spin_lock(&pmap_lock);
	m->md.attrs |= PMAP_ATTR_MODIFIED;
	spin_unlock(&pmap_lock);
}

void pmap_clear_reference(vm_page_t m)
{
	pmap_pages_clear_bit(&m, 1, PTE_A, PMAP_ATTR_REFERENCED);
}

void pmap_clear_reference_many(vm_page_t *pages, uint32_t npages)
{
	pmap_pages_clear_bit(pages, npages, PTE_A, PMAP_ATTR_REFERENCED);
}

/* ---- single-address queries ---------------------------------------------------- */

kern_return_t pmap_extract(pmap_t p, vm_offset_t va, vm_paddr_t *pa)
{
	struct pte_loc loc;
	kern_return_t kr = KERN_INVALID_ADDRESS;

	if (!p || !pa || !pmap_in_range(p, va, va))
		return p && pa ? KERN_INVALID_ADDRESS : KERN_INVALID_ARGUMENT;
	spin_lock(&pmap_lock);
	loc = pmap_lookup(p, va);
	if (*loc.e & PTE_V) {
		*pa = PTE_TO_PA(*loc.e) + (va & (PT_LEVEL_SIZE(loc.level) - 1));
		kr = KERN_SUCCESS;
	}
	spin_unlock(&pmap_lock);
	return kr;
}

kern_return_t pmap_change_wiring(pmap_t p, vm_offset_t va, boolean_t wired)
{
	kern_return_t kr = pmap_range_check(p, trunc_page(va), trunc_page(va) + PAGE_SIZE);
	struct pte_loc loc;

	if (kr != KERN_SUCCESS)
		return kr;
	spin_lock(&pmap_lock);
	loc = pmap_lookup(p, va);
	if (!(*loc.e & PTE_V) || pmap_nested(p, va, va + 1)) {
		kr = KERN_INVALID_ADDRESS;
	} else if (!(*loc.e & PTE_SW_WIRED) != !wired) {
		*loc.e ^= PTE_SW_WIRED;
		if (wired)
			p->wired += LEVEL_PAGES(loc.level);
		else
			p->wired -= LEVEL_PAGES(loc.level);
	}
	spin_unlock(&pmap_lock);
	return kr;
}

bool pmap_fault_fixup(pmap_t p, vm_offset_t va, vm_prot_t access)
{
	pt_entry_t need = prot_bits(access), set = PTE_A | ((access & VM_PROT_WRITE) ? PTE_D : 0);
	struct pte_loc loc;
	bool fixed = false;

	if (!p || !pmap_in_range(p, trunc_page(va), trunc_page(va)))
		return false;
	spin_lock(&pmap_lock);
	loc = pmap_lookup(p, va);
	if ((*loc.e & PTE_V) && (*loc.e & need) == need && (*loc.e & set) != set) {
		*loc.e |= set;
		tlb_flush_local(trunc_page(va), trunc_page(va) + PAGE_SIZE);
		fixed = true;
	}
	spin_unlock(&pmap_lock);
	return fixed;
}

uint64_t pmap_resident_count(pmap_t p)
{
	return __atomic_load_n(&p->resident, __ATOMIC_RELAXED);
}

uint64_t pmap_wired_count(pmap_t p)
{
	return __atomic_load_n(&p->wired, __ATOMIC_RELAXED);
}

/* ---- pages through the direct map ---------------------------------------------- */

void *pmap_direct_map(vm_paddr_t pa)
{
	return PHYS_TO_DMAP(pa);
}

/*
 * pmap_zero_page / pmap_copy_page: with the V extension, page_vector.S
 * (VLEN * 8 bits per instruction).  Without it, 8-byte accesses, 32 per
 * loop trip, so that the loop adds 2 instructions per 256 bytes to the
 * floor (512 stores; 512 loads + 512 stores).
 */
void page_zero_vector(void *page);
void page_copy_vector(void *dst, const void *src);
int page_sum_vector(const void *page, uint64_t *sum);

static bool pmap_vector_hw;		/* [c] the harts have V (riscv,isa) */
static bool pmap_vector;		/* [c] zero and copy with it (tests and benchmarks toggle) */

/* isa_has_v: a riscv,isa string ("rv64imafdcv_zicsr...") names the single-letter V extension. */
static bool isa_has_v(const char *isa)
{
	if (strncmp(isa, "rv64", 4) != 0)
		return false;
	for (const char *c = isa + 4; *c && *c != '_'; c++)
		if (*c == 'v')
			return true;
	return false;
}

/* isa_has_ext: a riscv,isa string names the multi-letter extension ext ("_ext" up to '_' or the end). */
static bool isa_has_ext(const char *isa, const char *ext)
{
	size_t n = strlen(ext);

	for (const char *c = strchr(isa, '_'); c; c = strchr(c + 1, '_'))
		if (strncmp(c + 1, ext, n) == 0 && (c[1 + n] == '_' || c[1 + n] == '\0'))
			return true;
	return false;
}

bool pmap_page_vector_set(bool on)
{
	bool was = pmap_vector;

	pmap_vector = on && pmap_vector_hw;
	return was;
}

bool pmap_page_vector(void)
{
	return pmap_vector;
}

#define SUM_LANES	16
#define SUM_B		0x9e3779b97f4a7c15ull	/* page_vector.S's PAGE_SUM_B */

/* page_sum: page_sum_vector's sum without the vector unit. */
static uint64_t page_sum(const uint64_t *w)
{
	uint64_t a[SUM_LANES] = { 0 }, b[SUM_LANES] = { 0 }, sum = 0;

	for (uint64_t row = 0; row < PAGE_SIZE / 8; row += SUM_LANES)
		for (int l = 0; l < SUM_LANES; l++) {
			a[l] += w[row + l];
			b[l] += a[l];
		}
	for (int l = 0; l < SUM_LANES; l++)
		sum += a[l] * (2 * (uint64_t)l + 1) + b[l] * SUM_B;
	return sum;
}

uint32_t pmap_page_checksum(vm_page_t m)
{
	const uint64_t *w = pmap_direct_map(m->phys_addr);
	uint64_t sum;

	if (!pmap_vector || !page_sum_vector(w, &sum))
		sum = page_sum(w);
	return (uint32_t)(sum ^ (sum >> 32));
}

void pmap_zero_page(vm_page_t m)
{
	uint64_t *p = pmap_direct_map(m->phys_addr);
	uint64_t *end = p + PAGE_SIZE / 8;

	if (pmap_vector) {
		page_zero_vector(p);
		return;
	}

	for (; p < end; p += 32) {
		p[0] = 0; p[1] = 0; p[2] = 0; p[3] = 0; p[4] = 0; p[5] = 0; p[6] = 0; p[7] = 0;
		p[8] = 0; p[9] = 0; p[10] = 0; p[11] = 0; p[12] = 0; p[13] = 0; p[14] = 0; p[15] = 0;
		p[16] = 0; p[17] = 0; p[18] = 0; p[19] = 0; p[20] = 0; p[21] = 0; p[22] = 0; p[23] = 0;
		p[24] = 0; p[25] = 0; p[26] = 0; p[27] = 0; p[28] = 0; p[29] = 0; p[30] = 0; p[31] = 0;
	}
}

/* copy_16: 16 words, all loaded before any is stored (s and d never overlap). */
static inline __attribute__((always_inline)) void copy_16(uint64_t *__restrict d,
							   const uint64_t *__restrict s)
{
	uint64_t w0 = s[0], w1 = s[1], w2 = s[2], w3 = s[3], w4 = s[4], w5 = s[5];
	uint64_t w6 = s[6], w7 = s[7], w8 = s[8], w9 = s[9], w10 = s[10], w11 = s[11];
	uint64_t w12 = s[12], w13 = s[13], w14 = s[14], w15 = s[15];

	d[0] = w0; d[1] = w1; d[2] = w2; d[3] = w3; d[4] = w4; d[5] = w5; d[6] = w6;
	d[7] = w7; d[8] = w8; d[9] = w9; d[10] = w10; d[11] = w11; d[12] = w12;
	d[13] = w13; d[14] = w14; d[15] = w15;
}

void pmap_copy_page(vm_page_t src, vm_page_t dst)
{
	const uint64_t *__restrict s = pmap_direct_map(src->phys_addr);
	uint64_t *__restrict d = pmap_direct_map(dst->phys_addr);
	const uint64_t *end = s + PAGE_SIZE / 8;

	if (pmap_vector) {
		page_copy_vector(d, s);
		return;
	}
	for (; s < end; s += 32, d += 32) {
		copy_16(d, s);
		copy_16(d + 16, s + 16);
	}
}

/* ---- address spaces and ASIDs -------------------------------------------------- */

/*
 * pmap_asid_assign: give p an ASID of the current generation.  When they
 * run out, a new generation starts: every hart flushes its whole TLB the
 * next time it activates a pmap (pmap_activate), before any ASID of the
 * new generation can meet a stale entry there.
 */
static uint64_t pmap_asid_assign(pmap_t p)
{
	uint64_t gen;

	spin_lock(&asid_lock);
	if (asid_max && p->asid_gen != asid_generation) {
		if (asid_next > asid_max) {
			asid_generation++;
			asid_next = 1;		/* ASID 0 is the kernel's */
		}
		p->asid = asid_next++;
		p->asid_gen = asid_generation;
	}
	gen = asid_generation;
	spin_unlock(&asid_lock);
	return gen;
}

void pmap_activate(pmap_t p)
{
	struct hart *h;
	uint64_t me, gen, satp;

	intr_push_off();
	h = hart_self();
	me = 1ul << h->index;
	if (h->pmap_active == p) {
		intr_pop_off();
		return;
	}
	if (h->pmap_active)
		__atomic_fetch_and(&h->pmap_active->harts_active, ~me, __ATOMIC_RELEASE);
	gen = p->is_kernel ? h->asid_gen : pmap_asid_assign(p);
	__atomic_fetch_or(&p->harts_used, me, __ATOMIC_ACQ_REL);
	__atomic_fetch_or(&p->harts_active, me, __ATOMIC_ACQ_REL);
	satp = SATP_MAKE(p->root_pa, p->is_kernel || !asid_max ? 0 : p->asid);
	csr_write(satp, satp);
	if ((!asid_max && !p->is_kernel) || h->asid_gen != gen) {
		sfence_vma_all();
		if (h->asid_gen != gen)
			__atomic_fetch_add(&asid_flushes, 1, __ATOMIC_RELAXED);
		h->asid_gen = gen;
	}
	h->pmap_active = p;
	intr_pop_off();
}

uint16_t pmap_asid_limit(uint16_t max)
{
	uint16_t old;

	spin_lock(&asid_lock);
	old = asid_max;
	asid_max = MIN(max, asid_hw_max);
	asid_next = asid_max + 1;	/* the next assignment starts a generation */
	spin_unlock(&asid_lock);
	return old;
}

uint64_t pmap_asid_flushes(void)
{
	return __atomic_load_n(&asid_flushes, __ATOMIC_RELAXED);
}

uint64_t pmap_asid_generation(void)
{
	return __atomic_load_n(&asid_generation, __ATOMIC_RELAXED);
}

/* ---- nesting -------------------------------------------------------------------- */

/*
 * pmap_nest_chunk: share grand's level-0 table for the 2 MiB at va with
 * subord.  Reserves before changing; a failure leaves both as they were
 * (apart from invisible splits in grand).
 */
static kern_return_t pmap_nest_chunk(pmap_t grand, pmap_t subord, vm_offset_t va)
{
	struct pt_reserve rg = { .n = 0 }, rs = { .n = 0 };
	struct pte_loc gl = pmap_lookup(grand, va), sl;
	bool grand_has, used;
	int sneed = pmap_path_state(subord, va, 1, &used);

	if (used)
		return KERN_NO_SPACE;
	/* A large leaf in grand becomes a level-0 table that can be shared. */
	if (((*gl.e & PTE_V) && !pmap_page_isolate(grand, &gl, va)) ||
	    !pt_reserve_fill(&rg, pmap_path_state(grand, va, 0, &grand_has)) ||
	    !pt_reserve_fill(&rs, sneed)) {
		pt_reserve_release(&rg);
		pt_reserve_release(&rs);
		return KERN_RESOURCE_SHORTAGE;
	}
	gl = pmap_entry_alloc(grand, va, 0, &rg);
	sl = pmap_entry_alloc(subord, va, 1, &rs);
	pt_reserve_release(&rg);
	pt_reserve_release(&rs);
	*sl.e = PA_TO_PTE(gl.table_pa) | PTE_V;
	pmap_walk_forget(subord);
	pt_count(sl.table_pa, +1);
	pt_page(gl.table_pa)->md.pt_nest++;
	grand->nest_users++;
	return KERN_SUCCESS;
}

/* pmap_unnest_chunk: stop sharing the table at va; prune what that emptied. */
static void pmap_unnest_chunk(pmap_t grand, pmap_t subord, vm_offset_t va, struct pmap_batch *b)
{
	vm_paddr_t l1 = pmap_lookup_table(subord, va, 1);
	pt_entry_t *e = &pt_va(l1)[PT_INDEX(va, 1)];
	vm_paddr_t table = PTE_TO_PA(*e);

	*e = 0;
	pmap_walk_forget(subord);
	pt_count(l1, -1);
	pt_page(table)->md.pt_nest--;
	grand->nest_users--;
	pmap_prune(subord, va, b);
	pmap_prune(grand, va, b);
	batch_flush(b, subord, va, va + PT_LEVEL_SIZE(1));
}

static struct pmap_nest *pmap_nest_find(pmap_t subord, vm_offset_t va, vm_size_t size)
{
	for (int i = 0; i < subord->nnests; i++)
		if (subord->nests[i].start == va && subord->nests[i].end == va + size)
			return &subord->nests[i];
	return NULL;
}

static void pmap_unnest_locked(pmap_t subord, struct pmap_nest *n, struct pmap_batch *b)
{
	LOCK_ASSERT(spin_held(&pmap_lock), "pmap_unnest_locked: pmap_lock not held");

	for (vm_offset_t va = n->start; va < n->end; va += PT_LEVEL_SIZE(1))
		pmap_unnest_chunk(n->grand, subord, va, b);
	*n = subord->nests[--subord->nnests];
}

static kern_return_t pmap_nest_check(pmap_t grand, pmap_t subord, vm_offset_t va, vm_size_t size)
{
	if (!grand || !subord || grand == subord || grand->is_kernel || subord->is_kernel ||
	    !IS_ALIGNED(va, PT_LEVEL_SIZE(1)) || !IS_ALIGNED(size, PT_LEVEL_SIZE(1)) || size == 0)
		return KERN_INVALID_ARGUMENT;
	if (va + size < va || va + size > PMAP_USER_END)
		return KERN_INVALID_ADDRESS;
	return KERN_SUCCESS;
}

kern_return_t pmap_nest(pmap_t grand, pmap_t subord, vm_offset_t va, vm_size_t size)
{
	struct pmap_batch b = { 0 };
	kern_return_t kr = pmap_nest_check(grand, subord, va, size);
	vm_offset_t done;

	if (kr != KERN_SUCCESS)
		return kr;
	spin_lock(&pmap_lock);
	if (subord->nnests == PMAP_MAX_NESTS || pmap_nested(subord, va, va + size) ||
	    pmap_nested(grand, va, va + size))
		kr = KERN_NO_SPACE;
	for (done = va; kr == KERN_SUCCESS && done < va + size;) {
		kr = pmap_nest_chunk(grand, subord, done);
		if (kr == KERN_SUCCESS)
			done += PT_LEVEL_SIZE(1);
	}
	if (kr == KERN_SUCCESS)
		subord->nests[subord->nnests++] = (struct pmap_nest){ va, va + size, grand };
	else			/* back out the chunks already shared */
		for (vm_offset_t undo = va; undo < done; undo += PT_LEVEL_SIZE(1))
			pmap_unnest_chunk(grand, subord, undo, &b);
	pmap_batch_finish(&b);
	spin_unlock(&pmap_lock);
	return kr;
}

kern_return_t pmap_unnest(pmap_t subord, vm_offset_t va, vm_size_t size)
{
	struct pmap_batch b = { 0 };
	struct pmap_nest *n;
	kern_return_t kr = KERN_SUCCESS;

	if (!subord)
		return KERN_INVALID_ARGUMENT;
	spin_lock(&pmap_lock);
	if ((n = pmap_nest_find(subord, va, size)) != NULL)
		pmap_unnest_locked(subord, n, &b);
	else
		kr = KERN_INVALID_ARGUMENT;
	pmap_batch_finish(&b);
	spin_unlock(&pmap_lock);
	return kr;
}

/* ---- lifecycle ---------------------------------------------------------------- */

pmap_t pmap_create(void)
{
	pmap_t p = zalloc(&pmap_zone);
	vm_paddr_t root;

	if (!p)
		return NULL;
	while (!(root = pt_alloc()) && vm_pageout_wait_memory())
		continue;
	if (!root) {
		zfree(&pmap_zone, p);
		return NULL;
	}
	p->root_pa = root;
	p->root = pt_va(root);
	p->refcount = 1;
	/* The kernel half: the same level-1 tables in every root (fixed after boot). */
	memcpy(&p->root[PT_ENTRIES / 2], &kernel_pmap->root[PT_ENTRIES / 2],
	       PT_ENTRIES / 2 * sizeof(pt_entry_t));
	return p;
}

void pmap_reference(pmap_t p)
{
	__atomic_fetch_add(&p->refcount, 1, __ATOMIC_RELAXED);
}

void pmap_destroy(pmap_t p)
{
	struct pmap_batch b = { 0 };
	vm_page_t root;

	if (__atomic_sub_fetch(&p->refcount, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	KASSERT(!p->is_kernel, "pmap_destroy: kernel_pmap");
	KASSERT(!__atomic_load_n(&p->harts_active, __ATOMIC_ACQUIRE),
		"pmap_destroy: pmap active on harts 0x%lx", p->harts_active);
	spin_lock(&pmap_lock);
	KASSERT(p->nest_users == 0, "pmap_destroy: %d tables still nested by others", p->nest_users);
	while (p->nnests)
		pmap_unnest_locked(p, &p->nests[0], &b);
	pmap_remove_locked(p, 0, PMAP_USER_END, &b);
	KASSERT(p->resident == 0 && p->pv_count == 0, "pmap_destroy: %lu pages left", p->resident);
	b.harts |= __atomic_load_n(&p->harts_used, __ATOMIC_ACQUIRE);
	pmap_batch_finish(&b);
	spin_unlock(&pmap_lock);
	root = vm_page_lookup_phys(p->root_pa);	/* pmap_lock is not held: not pt_page */
	root->flags &= ~VM_PAGE_PT;
	vm_page_free(root);
	zfree(&pmap_zone, p);
}

bool pmap_hw_ad_bits;			/* [c] the hart sets PTE A and D itself */
static volatile int pmap_ad_probe_faults;

static bool pmap_ad_probe_fault(struct trap_frame *tf)
{
	pmap_ad_probe_faults++;
	return pmap_fault_fixup(kernel_pmap, tf->stval, VM_PROT_WRITE);
}

/*
 * pmap_ad_probe: does this hart set A and D in hardware or fault instead
 * (the privileged spec allows both)?  Write through a mapping whose A and
 * D are clear and look.  => kernel window usable, traps set up
 */
static void pmap_ad_probe(void)
{
	vm_offset_t va = PMAP_KERNEL_END - PAGE_SIZE;
	vm_page_t m = vm_page_alloc();

	if (!m || pmap_enter(kernel_pmap, va, m, VM_PROT_DEFAULT, PMAP_WIRED) != KERN_SUCCESS)
		panic("pmap_ad_probe: no page to probe with");
	pmap_clear_reference(m);
	pmap_clear_modify(m);
	trap_set_handler(EXC_STORE_PAGE_FAULT, pmap_ad_probe_fault);
	*(volatile uint64_t *)va = 1;
	trap_set_handler(EXC_STORE_PAGE_FAULT, NULL);
	pmap_hw_ad_bits = pmap_ad_probe_faults == 0 && pmap_is_modified(m) && pmap_is_referenced(m);
	pmap_remove(kernel_pmap, va, va + PAGE_SIZE);
	vm_page_free(m);
}

/* pmap_asid_probe: how many ASID bits satp keeps (write all ones, read back). */
static uint16_t pmap_asid_probe(void)
{
	uint64_t satp = csr_read(satp);
	uint64_t probe;

	csr_write(satp, satp | (SATP_ASID_MASK << SATP_ASID_SHIFT));
	probe = csr_read(satp);
	csr_write(satp, satp);
	sfence_vma_all();
	return (uint16_t)((probe >> SATP_ASID_SHIFT) & SATP_ASID_MASK);
}

/*
 * pmap_bootstrap: kernel_pmap takes over the table kmap built, with a
 * level-1 table for every GiB of the kernel_map window, made now so that
 * every user root can share them.  => after vm_page_startup, before any
 * pmap_create, on the boot hart
 */
void pmap_bootstrap(vm_paddr_t kernel_root_pa)
{
	pmap_t k = kernel_pmap;
	struct hart *h = hart_self();

	k->root_pa = kernel_root_pa;
	k->root = pt_va(kernel_root_pa);
	k->is_kernel = true;
	k->refcount = 1;
	for (vm_offset_t va = PMAP_KERNEL_START; va < PMAP_KERNEL_END; va += PT_LEVEL_SIZE(2)) {
		pt_entry_t *e = &k->root[PT_INDEX(va, 2)];
		vm_paddr_t l1;

		if (*e & PTE_V)
			continue;
		if (!(l1 = pt_alloc()))
			panic("pmap_bootstrap: no page for a kernel level-1 table");
		*e = PA_TO_PTE(l1) | PTE_V;
	}
	/* A page's first mapping uses its embedded pv entry; a second one rarely grows the zone. */
	if (!zone_prime(&pv_zone, 1))
		panic("pmap_bootstrap: no page for pv entries");
	asid_hw_max = pmap_asid_probe();
	asid_max = asid_hw_max;
	h->pmap_active = k;
	k->harts_used = tlb_all_harts();
	pmap_ad_probe();
	pmap_vector_hw = pmap_vector = isa_has_v(platform.isa);
	pmap_svpbmt = isa_has_ext(platform.isa, "svpbmt");
}

bool pmap_has_svpbmt(void)
{
	return pmap_svpbmt;
}

pt_entry_t pmap_pte_get(pmap_t p, vm_offset_t va)
{
	struct pte_loc loc;
	pt_entry_t e;

	if (!p || !pmap_in_range(p, va, va + PAGE_SIZE))
		return 0;
	spin_lock(&pmap_lock);
	loc = pmap_lookup(p, va);
	e = (*loc.e & PTE_V) && PTE_IS_LEAF(*loc.e) ? *loc.e : 0;
	spin_unlock(&pmap_lock);
	return e;
}

/* ---- checking and printing ------------------------------------------------------ */

struct pmap_check_state {
	pmap_t p;
	void (*report)(const char *fmt, ...);
	int bad;
	uint64_t resident, wired, managed, managed_large;
};

#define CHECK(st, cond, ...)				\
	do {						\
		if (!(cond)) {				\
			(st)->report(__VA_ARGS__);	\
			(st)->bad++;			\
		}					\
	} while (0)

/* pmap_check_leaf: one leaf's invariants. */
static void pmap_check_leaf(struct pmap_check_state *st, pt_entry_t e, vm_offset_t va, int level)
{
	pmap_t p = st->p;
	vm_paddr_t pa = PTE_TO_PA(e);

	CHECK(st, IS_ALIGNED(pa, PT_LEVEL_SIZE(level)),
	      "pmap_check: leaf 0x%lx -> 0x%lx not aligned to level %d\n", va, pa, level);
	CHECK(st, !((e & PTE_W) && !(e & PTE_R)), "pmap_check: 0x%lx is W without R\n", va);
	CHECK(st, p->is_kernel ? !(e & PTE_U) : ((e & PTE_U) && !(e & PTE_G)),
	      "pmap_check: 0x%lx has the wrong U/G bits (pte 0x%lx)\n", va, e);
	st->resident += LEVEL_PAGES(level);
	if (e & PTE_SW_WIRED)
		st->wired += LEVEL_PAGES(level);
	if (e & PTE_SW_MANAGED) {
		vm_page_t m = vm_page_lookup_phys(pa);
		struct pv_entry *pv = m ? pv_find(m, p, va) : NULL;

		st->managed++;
		st->managed_large += level > 0;
		CHECK(st, pv && pv->level == level,
		      "pmap_check: 0x%lx -> 0x%lx has no matching pv entry\n", va, pa);
	}
}

/* pmap_check_table: a table's entries, recursively; returns its valid-entry count. */
static void pmap_check_table(struct pmap_check_state *st, vm_paddr_t table, int level,
			     vm_offset_t base, vm_offset_t lo, vm_offset_t hi)
{
	const pt_entry_t *t = pt_va(table);
	vm_page_t m = pt_page(table);
	unsigned valid = 0;

	for (unsigned i = 0; i < PT_ENTRIES; i++) {
		vm_offset_t va = base + i * PT_LEVEL_SIZE(level);
		pt_entry_t e = t[i];

		if (level == PT_LEVELS - 1 && i >= PT_ENTRIES / 2)
			va |= 0xffffff8000000000ul;	/* sign-extend the upper half */
		if (!(e & PTE_V))
			continue;
		valid++;
		if (va + PT_LEVEL_SIZE(level) - 1 < lo || va > hi - 1)
			continue;	/* outside this pmap's own range (kernel half of a user root) */
		if (PTE_IS_LEAF(e)) {
			pmap_check_leaf(st, e, va, level);
			continue;
		}
		CHECK(st, level > 0, "pmap_check: level-0 entry at 0x%lx is not a leaf\n", va);
		CHECK(st, !(e & (PTE_A | PTE_D | PTE_U)),
		      "pmap_check: non-leaf 0x%lx has A/D/U set (pte 0x%lx)\n", va, e);
		if (level > 0 && !pmap_nested(st->p, va, va + PT_LEVEL_SIZE(level)))
			pmap_check_table(st, PTE_TO_PA(e), level - 1, va, lo, hi);
	}
	if (m && level < PT_LEVELS - 1)
		CHECK(st, m->md.pt_valid == valid,
		      "pmap_check: table 0x%lx counts %u entries, holds %u\n", table, m->md.pt_valid, valid);
}

int pmap_check(pmap_t p, void (*report)(const char *fmt, ...))
{
	struct pmap_check_state st = { .p = p, .report = report };
	vm_offset_t lo = p->is_kernel ? PMAP_KERNEL_START : 0;
	vm_offset_t hi = p->is_kernel ? PMAP_KERNEL_END : PMAP_USER_END;

	spin_lock(&pmap_lock);
	pmap_check_table(&st, p->root_pa, PT_LEVELS - 1, 0, lo, hi);
	CHECK(&st, st.resident == p->resident, "pmap_check: %lu pages mapped, count says %lu\n",
	      st.resident, p->resident);
	CHECK(&st, st.wired == p->wired, "pmap_check: %lu pages wired, count says %lu\n",
	      st.wired, p->wired);
	CHECK(&st, st.managed == p->pv_count, "pmap_check: %lu managed leaves, %lu pv entries\n",
	      st.managed, p->pv_count);
	CHECK(&st, st.managed_large == p->pv_large && p->pv_large <= pv_large_count,
	      "pmap_check: %lu large managed leaves, %lu large pv entries (%lu in all pmaps)\n",
	      st.managed_large, p->pv_large, pv_large_count);
	CHECK(&st, (p->harts_active & ~p->harts_used) == 0,
	      "pmap_check: active on harts it never used (0x%lx, 0x%lx)\n", p->harts_active,
	      p->harts_used);
	if (!p->is_kernel)
		CHECK(&st, memcmp(&p->root[PT_ENTRIES / 2], &kernel_pmap->root[PT_ENTRIES / 2],
				  PT_ENTRIES / 2 * sizeof(pt_entry_t)) == 0,
		      "pmap_check: kernel half of the root differs from kernel_pmap's\n");
	spin_unlock(&pmap_lock);
	return st.bad;
}

static void pmap_print_table(vm_paddr_t table, int level, vm_offset_t base, vm_offset_t lo,
			     vm_offset_t hi, int (*print)(const char *fmt, ...))
{
	const pt_entry_t *t = pt_va(table);

	for (unsigned i = 0; i < PT_ENTRIES; i++) {
		vm_offset_t va = base + i * PT_LEVEL_SIZE(level);
		pt_entry_t e = t[i];

		if (level == PT_LEVELS - 1 && i >= PT_ENTRIES / 2)
			va |= 0xffffff8000000000ul;
		if (!(e & PTE_V) || va + PT_LEVEL_SIZE(level) - 1 < lo || va > hi - 1)
			continue;
		if (!PTE_IS_LEAF(e)) {
			pmap_print_table(PTE_TO_PA(e), level - 1, va, lo, hi, print);
			continue;
		}
		print("  0x%016lx-0x%016lx -> 0x%010lx %c%c%c%c%c%c %s%s\n", va,
		      va + PT_LEVEL_SIZE(level), PTE_TO_PA(e), (e & PTE_R) ? 'r' : '-',
		      (e & PTE_W) ? 'w' : '-', (e & PTE_X) ? 'x' : '-', (e & PTE_U) ? 'u' : '-',
		      (e & PTE_A) ? 'a' : '-', (e & PTE_D) ? 'd' : '-',
		      level == 2 ? "1G" : level == 1 ? "2M" : "4K", (e & PTE_SW_WIRED) ? " wired" : "");
	}
}

void pmap_print(pmap_t p, int (*print)(const char *fmt, ...))
{
	print("pmap %p%s: asid %u (gen %lu), %lu resident, %lu wired, harts used 0x%lx active 0x%lx, %d nests\n",
	      (void *)p, p->is_kernel ? " (kernel)" : "", p->asid, p->asid_gen, p->resident, p->wired,
	      p->harts_used, p->harts_active, p->nnests);
	spin_lock(&pmap_lock);
	pmap_print_table(p->root_pa, PT_LEVELS - 1, 0, p->is_kernel ? PMAP_KERNEL_START : 0,
			 p->is_kernel ? PMAP_KERNEL_END : PMAP_USER_END, print);
	spin_unlock(&pmap_lock);
}
