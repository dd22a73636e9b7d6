/*
 * iommu_hw.c: the IOMMU model, the hardware half (see iommu_hw.h).
 * Section numbers are those of the RISC-V IOMMU specification v1.0.
 */
#include <string.h>

#include "drivers/iommu/iommu_hw.h"
#include "kern/kernel.h"
#include "platform/riscv/pte.h"
#include "platform/riscv/vmlayout.h"
#include "vm/pmap.h"
#include "vm/vm_page.h"

/* hw_load: the doubleword at physical pa, false if pa is not memory (an access fault). */
static bool hw_load(uint64_t pa, uint64_t *val)
{
	if ((pa & 7) || !vm_page_lookup_phys(pa))
		return false;
	*val = __atomic_load_n((uint64_t *)pmap_direct_map(pa), __ATOMIC_ACQUIRE);
	return true;
}

static bool hw_store(uint64_t pa, const void *src, size_t len)
{
	if (!vm_page_lookup_phys(pa) || !vm_page_lookup_phys(pa + len - 1))
		return false;
	memcpy(pmap_direct_map(pa), src, len);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	return true;
}

void iommu_hw_reset(struct iommu_hw *hw)
{
	*hw = (struct iommu_hw){
		.capabilities = RIO_CAP_VERSION_1_0 | RIO_CAP_SV39 | RIO_CAP_IGS_WSI |
				(56ull << RIO_CAP_PAS_SHIFT),
		.ddtp = RIO_DDTP_MODE_OFF,
	};
	for (int i = 0; i < IOMMU_HW_GEN_SLOTS; i++)
		hw->iotlb_gen[i] = 1;
	spin_init(&hw->lock, "iommu_hw");
}

/* hw_gen_slot: the generation a PSCID's IOTLB entries live by. */
static uint32_t *hw_gen_slot(struct iommu_hw *hw, uint32_t pscid)
{
	return &hw->iotlb_gen[pscid % IOMMU_HW_GEN_SLOTS];
}

/* hw_gen_step: every entry of the slot's PSCIDs is dead.  (0 stays "empty".) */
static void hw_gen_step(uint32_t *gen)
{
	if (++*gen == 0)
		*gen = 1;
}

/* ---- faults (3.2) ------------------------------------------------------------------ */

static uint32_t hw_queue_entries(uint64_t qb)
{
	return 2u << (qb & RIO_QB_LOG2SZ_MASK);
}

/*
 * hw_fault: queue a record, unless the queue is off, overflowed or full
 * (then the record is lost and fqof says so until software clears it).
 * => [M] held
 */
static __attribute__((noinline, cold)) void hw_fault(struct iommu_hw *hw, uint32_t cause,
						      uint32_t ttyp, uint32_t did, uint64_t iova)
{
	uint32_t n = hw_queue_entries(hw->fqb);
	struct rio_fault_record rec = { .dw0 = RIO_FAULT_DW0(cause, ttyp, did), .iotval = iova };

	LOCK_ASSERT(spin_held(&hw->lock), "hw_fault: the model is not locked");
	if (!(hw->fqcsr & RIO_FQCSR_FQON) || (hw->fqcsr & (RIO_FQCSR_FQOF | RIO_FQCSR_FQMF))) {
		hw->stats.faults_lost++;
		return;
	}
	if ((hw->fqt + 1) % n == hw->fqh) {
		hw->fqcsr |= RIO_FQCSR_FQOF;
		hw->stats.faults_lost++;
	} else if (!hw_store(RIO_PPN_TO_PA(hw->fqb) + (uint64_t)hw->fqt * sizeof(rec), &rec,
			     sizeof(rec))) {
		hw->fqcsr |= RIO_FQCSR_FQMF;
		hw->stats.faults_lost++;
	} else {
		hw->fqt = (hw->fqt + 1) % n;
		hw->stats.faults++;
	}
	if (hw->fqcsr & RIO_FQCSR_FIE)
		hw->ipsr |= RIO_IPSR_FIP;
}

/* ---- the device directory (2.3, steps 1-7) --------------------------------------------- */

static int hw_ddt_levels(uint64_t ddtp)
{
	switch (ddtp & RIO_DDTP_MODE_MASK) {
	case RIO_DDTP_MODE_1LVL: return 1;
	case RIO_DDTP_MODE_2LVL: return 2;
	case RIO_DDTP_MODE_3LVL: return 3;
	default: return 0;
	}
}

/* hw_dc_misconfigured: the checks of 2.1.4 that apply to this IOMMU's capabilities. */
static bool hw_dc_misconfigured(const struct iommu_hw *hw, const struct rio_device_context *dc)
{
	uint64_t smode = dc->fsc >> RIO_ATP_MODE_SHIFT;

	return (dc->tc & (RIO_TC_RESERVED | RIO_TC_EN_ATS | RIO_TC_EN_PRI | RIO_TC_PRPR | RIO_TC_T2GPA |
			  RIO_TC_PDTV | RIO_TC_DPE | RIO_TC_SADE | RIO_TC_GADE | RIO_TC_SBE |
			  RIO_TC_SXL)) ||	/* no ATS, no PDT, no A/D updates, little-endian, Sv39 */
	       (dc->ta & RIO_TA_RESERVED) || (dc->fsc & RIO_IOSATP_RESERVED) ||
	       (smode != RIO_ATP_MODE_BARE && smode != RIO_ATP_MODE_SV39) ||
	       (dc->iohgatp >> RIO_ATP_MODE_SHIFT) != RIO_ATP_MODE_BARE;	/* no second stage */
}

/* hw_dc_walk: read device_id's context from the directory.  => 0 or a fault cause */
static uint32_t hw_dc_walk(struct iommu_hw *hw, uint32_t did, struct rio_device_context *dc)
{
	int levels = hw_ddt_levels(hw->ddtp);
	uint64_t table = RIO_PPN_TO_PA(hw->ddtp), e;

	if ((levels == 1 && did >> RIO_DDI0_BITS) ||
	    (levels == 2 && did >> (RIO_DDI0_BITS + RIO_DDI1_BITS)))
		return RIO_CAUSE_TTYPE_DISALLOWED;	/* wider than the directory */
	for (int lvl = levels - 1; lvl > 0; lvl--) {
		if (!hw_load(table + 8ull * RIO_DDI(did, lvl), &e))
			return RIO_CAUSE_DDT_LOAD_ACCESS;
		if (!(e & RIO_DDTE_V))
			return RIO_CAUSE_DDT_INVALID;
		if (e & ~(RIO_PPN_MASK | RIO_DDTE_V))
			return RIO_CAUSE_DDT_MISCONFIGURED;
		table = RIO_PPN_TO_PA(e);
	}
	table += (uint64_t)RIO_DC_BYTES * RIO_DDI(did, 0);
	if (!hw_load(table, &dc->tc) || !hw_load(table + 8, &dc->iohgatp) ||
	    !hw_load(table + 16, &dc->ta) || !hw_load(table + 24, &dc->fsc))
		return RIO_CAUSE_DDT_LOAD_ACCESS;
	if (!(dc->tc & RIO_TC_V))
		return RIO_CAUSE_DDT_INVALID;
	return hw_dc_misconfigured(hw, dc) ? RIO_CAUSE_DDT_MISCONFIGURED : 0;
}

/* hw_dc_find: device_id's context, from the cache or the directory.  => 0 or a cause */
/* hw_dc_load: a context the cache lacks, from the directory, cached.  => 0 or a cause */
static __attribute__((noinline)) uint32_t hw_dc_load(struct iommu_hw *hw, uint32_t did,
						     struct rio_device_context *dc)
{
	uint32_t cause;

	hw->stats.dc_misses++;
	if ((cause = hw_dc_walk(hw, did, dc)) != 0)
		return cause;		/* faults are not cached */
	hw->dc_cache[hw->dc_victim++ % IOMMU_HW_DC_ENTRIES] =
		(struct iommu_hw_dce){ .valid = true, .device_id = did, .dc = *dc };
	return 0;
}

static uint32_t hw_dc_find(struct iommu_hw *hw, uint32_t did, struct rio_device_context *dc)
{
	struct iommu_hw_dce *e = &hw->dc_cache[hw->dc_last % IOMMU_HW_DC_ENTRIES];

	if (e->device_id != did || !e->valid) {		/* the last one used, or a search */
		for (e = hw->dc_cache; e < hw->dc_cache + IOMMU_HW_DC_ENTRIES; e++)
			if (e->device_id == did && e->valid)
				break;
		if (e == hw->dc_cache + IOMMU_HW_DC_ENTRIES)
			return hw_dc_load(hw, did, dc);
		hw->dc_last = (uint32_t)(e - hw->dc_cache);
	}
	hw->stats.dc_hits++;
	*dc = e->dc;
	return 0;
}

/* ---- first-stage translation (2.3 step 17: the privileged spec's Sv39 walk) ------------ */

/* What the translations of one request need from its device context, read once. */
struct hw_space {
	uint32_t pscid;
	uint32_t gen;		/* its IOTLB generation */
	uint64_t root;		/* first-stage root, 0: iosatp Bare */
	uint64_t need;		/* leaf bits the access needs: a device request is user mode,
				   and nothing sets A or D for it */
	uint32_t page_fault;	/* the cause when they are missing */
};

/* hw_iotlb_fill: cache a leaf that allows the access: in its set, or as a 64 KiB entry. */
static void hw_iotlb_fill(struct iommu_hw *hw, const struct hw_space *sp, uint64_t vpn,
			  uint64_t pte)
{
	struct iommu_hw_tlbe *e;

	if (pte & PTE_N) {
		uint32_t set = (vpn / NAPOT_64K_PAGES) % IOMMU_HW_IOTLB64_SETS;

		e = &hw->iotlb64[set][hw->iotlb64_victim[set]++ % IOMMU_HW_IOTLB_WAYS];
		vpn &= ~(uint64_t)(NAPOT_64K_PAGES - 1);
	} else {
		uint32_t set = vpn % IOMMU_HW_IOTLB_SETS;

		e = &hw->iotlb[set][hw->iotlb_victim[set]++ % IOMMU_HW_IOTLB_WAYS];
	}
	*e = (struct iommu_hw_tlbe){ .gen = sp->gen, .pscid = sp->pscid, .vpn = vpn, .pte = pte };
}

/* hw_iotlb_probe: the cached leaf for vpn in sp (4 KiB set first, then 64 KiB entries), 0 if none. */
static inline __attribute__((always_inline)) uint64_t hw_iotlb_probe(struct iommu_hw *hw,
								      const struct hw_space *sp,
								      uint64_t vpn)
{
	struct iommu_hw_tlbe *set = hw->iotlb[vpn % IOMMU_HW_IOTLB_SETS];
	uint64_t base = vpn & ~(uint64_t)(NAPOT_64K_PAGES - 1);

	for (int w = 0; w < IOMMU_HW_IOTLB_WAYS; w++)
		if (set[w].vpn == vpn && set[w].pscid == sp->pscid && set[w].gen == sp->gen)
			return set[w].pte;
	set = hw->iotlb64[(vpn / NAPOT_64K_PAGES) % IOMMU_HW_IOTLB64_SETS];
	for (int w = 0; w < IOMMU_HW_IOTLB_WAYS; w++)
		if (set[w].vpn == base && set[w].pscid == sp->pscid && set[w].gen == sp->gen)
			return set[w].pte;
	return 0;
}

/*
 * hw_walk: the leaf for iova in the Sv39 table at root, turned into a 4 KiB
 * leaf for iova's page (a superpage's PPN advanced to the page), or a
 * Svnapot leaf as read (PTE_LEAF_PA gives the page).  A walk
 * that reaches a level-0 table through a pointer remembers it (the walk
 * cache: non-leaf entries, which only IOTINVAL.VMA without AV, IODIR and
 * ddtp forget), and the next walk in the same 2 MiB starts there.
 * => 0 or the fault cause for `access`
 */
static __attribute__((noinline)) uint32_t hw_walk(struct iommu_hw *hw, uint32_t pscid,
						  uint64_t root, uint64_t iova,
						  enum iommu_access access, uint64_t *leaf)
{
	uint32_t page_fault = access == IOMMU_WRITE ? RIO_CAUSE_WRITE_PAGE : RIO_CAUSE_READ_PAGE;
	uint64_t table = root, pte, region = iova >> PT_LEVEL_SHIFT(1);
	int lvl = PT_LEVELS - 1;

	if (!SV39_CANONICAL(iova))
		return page_fault;
	if (hw->ptw.valid && hw->ptw.pscid == pscid && hw->ptw.root == root &&
	    hw->ptw.region == region) {
		table = hw->ptw.table;
		lvl = 0;
	}
	for (; lvl >= 0; lvl--) {
		uint64_t at = table + 8 * PT_INDEX(iova, lvl);

		if (table == hw->ptw.table && hw->ptw.valid)	/* checked when it was cached */
			pte = __atomic_load_n((uint64_t *)PHYS_TO_DMAP(at), __ATOMIC_ACQUIRE);
		else if (!hw_load(at, &pte))
			return access == IOMMU_WRITE ? RIO_CAUSE_WRITE_ACCESS : RIO_CAUSE_READ_ACCESS;
		if (!(pte & PTE_V) || ((pte & PTE_W) && !(pte & PTE_R)) || ((pte >> 54) & 0x1ff))
			return page_fault;	/* invalid, a reserved encoding or bit, PBMT not offered */
		if ((pte & PTE_N) && (lvl || !PTE_IS_LEAF(pte) || !PTE_NAPOT_OK(pte)))
			return page_fault;	/* Svnapot: 64 KiB leaves only */
		if (!PTE_IS_LEAF(pte)) {
			table = PTE_TO_PA(pte);
			if (lvl == 1 && vm_page_lookup_phys(table))	/* memory: it may be cached */
				hw->ptw = (struct iommu_hw_ptw){ true, pscid, root, region, table };
			continue;
		}
		if (PTE_TO_PA(pte) & (PT_LEVEL_SIZE(lvl) - 1))
			return page_fault;	/* misaligned superpage */
		/* A superpage gives iova's page; a level-0 leaf is kept as it is (Svnapot). */
		*leaf = pte + PA_TO_PTE(iova & (PT_LEVEL_SIZE(lvl) - 1) & ~(uint64_t)PAGE_MASK);
		return 0;
	}
	return page_fault;			/* a pointer at level 0 */
}


static struct hw_space hw_space_of(struct iommu_hw *hw, const struct rio_device_context *dc,
				   enum iommu_access access)
{
	bool bare = (dc->fsc >> RIO_ATP_MODE_SHIFT) == RIO_ATP_MODE_BARE;
	uint32_t pscid = (uint32_t)((dc->ta >> RIO_TA_PSCID_SHIFT) & RIO_TA_PSCID_MASK);

	return (struct hw_space){
		.pscid = pscid,
		.gen = *hw_gen_slot(hw, pscid),
		.root = bare ? 0 : (dc->fsc & RIO_ATP_PPN_MASK) << PAGE_SHIFT,
		.need = PTE_U | PTE_A | (access == IOMMU_WRITE ? PTE_W | PTE_D : PTE_R),
		.page_fault = access == IOMMU_WRITE ? RIO_CAUSE_WRITE_PAGE : RIO_CAUSE_READ_PAGE };
}

/* hw_add_run: append [pa, pa + len) to runs, merging with the last.  => false if full */
static bool hw_add_run(struct iommu_run *runs, uint32_t max, uint32_t *n, uint64_t pa, uint64_t len)
{
	if (*n && runs[*n - 1].pa + runs[*n - 1].len == pa) {
		runs[*n - 1].len += len;
		return true;
	}
	if (*n == max)
		return false;
	runs[(*n)++] = (struct iommu_run){ pa, len };
	return true;
}

/*
 * hw_translate_pages: translate [*va, end) in sp page by page into runs:
 * the IOTLB, else the level-0 table the walk cache holds for the page's
 * 2 MiB (found once per 2 MiB), else a whole walk, which also says why a
 * page does not translate.  A leaf that allows the access is cached.
 * => 0 or a fault cause (*va: the page that faulted); *kr = KERN_NO_SPACE
 *    if more than max runs would be needed
 */
static __attribute__((noinline)) uint32_t hw_translate_pages(struct iommu_hw *hw,
							     const struct hw_space *sp, uint64_t *va,
							     uint64_t end, enum iommu_access access,
							     struct iommu_run *runs, uint32_t max,
							     uint32_t *nruns, kern_return_t *kr)
{
	const volatile uint64_t *table = NULL;
	uint64_t region = ~0ull, pages = 0, misses = 0, at = *va;
	uint32_t cause = 0;

	while (at < end) {
		uint64_t vpn = at >> PAGE_SHIFT, leaf = hw_iotlb_probe(hw, sp, vpn), next;

		if (!leaf) {
			misses++;
			if (vpn >> 9 != region) {
				region = vpn >> 9;
				table = hw->ptw.valid && hw->ptw.region == region &&
					hw->ptw.pscid == sp->pscid && hw->ptw.root == sp->root
					? (const volatile uint64_t *)PHYS_TO_DMAP(hw->ptw.table) : NULL;
			}
			if (table)
				leaf = table[vpn & (PT_ENTRIES - 1)];
			/* Anything but a readable leaf (Svnapot in its 64 KiB form) takes the whole
			   walk, which says why. */
			if (!(leaf & PTE_V) || !(leaf & PTE_R) || ((leaf >> 54) & 0x1ff) ||
			    ((leaf & PTE_N) && !PTE_NAPOT_OK(leaf))) {
				if ((cause = hw_walk(hw, sp->pscid, sp->root, at, access, &leaf)) != 0)
					break;
				region = ~0ull;		/* the walk cache may have moved */
			}
			if ((leaf & sp->need) == sp->need)
				hw_iotlb_fill(hw, sp, vpn, leaf);
		}
		if ((leaf & sp->need) != sp->need) {
			cause = sp->page_fault;
			break;
		}
		/* A Svnapot leaf serves the rest of its 64 KiB block in one go. */
		next = MIN(end, (leaf & PTE_N) ? ROUND_UP(at + 1, ptoa(NAPOT_64K_PAGES))
					       : trunc_page(at) + PAGE_SIZE);
		if (!hw_add_run(runs, max, nruns, PTE_LEAF_PA(leaf, at) + (at & PAGE_MASK), next - at)) {
			*kr = KERN_NO_SPACE;
			break;
		}
		pages += atop(round_page(next) - trunc_page(at));
		at = next;
	}
	hw->stats.translations += pages;
	hw->stats.iotlb_misses += misses;
	*va = at;
	return cause;
}

kern_return_t iommu_hw_translate(struct iommu_hw *hw, uint32_t device_id, uint64_t iova,
				 uint64_t len, enum iommu_access access, struct iommu_run *runs,
				 uint32_t max, uint32_t *nruns)
{
	uint32_t ttyp = access == IOMMU_WRITE ? RIO_TTYP_UNTRANSLATED_WRITE
					      : RIO_TTYP_UNTRANSLATED_READ, cause = 0;
	struct rio_device_context dc = { 0 };
	uint64_t mode, va = iova;
	kern_return_t kr = KERN_SUCCESS;

	*nruns = 0;
	if (len == 0 || iova + len < iova)
		return KERN_INVALID_ARGUMENT;
	spin_lock(&hw->lock);
	mode = hw->ddtp & RIO_DDTP_MODE_MASK;
	if (mode == RIO_DDTP_MODE_OFF)
		cause = RIO_CAUSE_ALL_DISALLOWED;
	else if (mode == RIO_DDTP_MODE_BARE)
		kr = hw_add_run(runs, max, nruns, iova, len) ? KERN_SUCCESS : KERN_NO_SPACE;
	else if ((cause = hw_dc_find(hw, device_id, &dc)) == 0) {
		struct hw_space sp = hw_space_of(hw, &dc, access);
		uint64_t leaf;

		if (!sp.root) {		/* iosatp Bare: the address is the physical one */
			kr = hw_add_run(runs, max, nruns, iova, len) ? KERN_SUCCESS : KERN_NO_SPACE;
		} else if (trunc_page(iova) == trunc_page(iova + len - 1) &&
			   ((leaf = hw_iotlb_probe(hw, &sp, iova >> PAGE_SHIFT)) & sp.need) == sp.need) {
			/* One page the IOTLB holds (ring fields, mostly): the short way. */
			runs[0] = (struct iommu_run){ PTE_LEAF_PA(leaf, iova) + (iova & PAGE_MASK), len };
			*nruns = 1;
			hw->stats.translations++;
		} else {
			cause = hw_translate_pages(hw, &sp, &va, iova + len, access, runs, max, nruns,
						   &kr);
		}
	}
	if (cause) {
		/* DTF keeps translation faults, never directory faults, from the queue (Table 11). */
		if (cause < RIO_CAUSE_ALL_DISALLOWED && (dc.tc & RIO_TC_DTF))
			hw->stats.faults_silent++;
		else
			hw_fault(hw, cause, ttyp, device_id, va);
		kr = KERN_PROTECTION_FAILURE;
	}
	spin_unlock(&hw->lock);
	return kr;
}

/* hw_tlbe_live: e holds a translation of pscid (any with UINT32_MAX). */
static bool hw_tlbe_live(struct iommu_hw *hw, const struct iommu_hw_tlbe *e, uint32_t pscid)
{
	return e->gen && e->gen == *hw_gen_slot(hw, e->pscid) &&
	       (pscid == UINT32_MAX || e->pscid == pscid);
}

uint32_t iommu_hw_iotlb_count(struct iommu_hw *hw, uint32_t pscid)
{
	uint32_t n = 0;

	spin_lock(&hw->lock);
	for (int s = 0; s < IOMMU_HW_IOTLB_SETS; s++)
		for (int w = 0; w < IOMMU_HW_IOTLB_WAYS; w++)
			n += hw_tlbe_live(hw, &hw->iotlb[s][w], pscid);
	for (int s = 0; s < IOMMU_HW_IOTLB64_SETS; s++)
		for (int w = 0; w < IOMMU_HW_IOTLB_WAYS; w++)
			n += hw_tlbe_live(hw, &hw->iotlb64[s][w], pscid);
	spin_unlock(&hw->lock);
	return n;
}

/* ---- commands (3.1) -------------------------------------------------------------------- */

/*
 * hw_iotinval_vma: drop the IOTLB entries the command selects: one address
 * (AV) lives in one set, searched; a whole PSCID, or everything, is a
 * generation step.
 */
static void hw_iotinval_vma(struct iommu_hw *hw, const struct rio_command *c)
{
	bool av = c->dw0 & RIO_IOTINVAL_AV, pscv = c->dw0 & RIO_IOTINVAL_PSCV;
	uint32_t pscid = (c->dw0 >> RIO_IOTINVAL_PSCID_SHIFT) & RIO_TA_PSCID_MASK;
	uint64_t vpn = RIO_IOTINVAL_ADDR_OF(c->dw1) >> PAGE_SHIFT;

	if (av) {
		struct iommu_hw_tlbe *set = hw->iotlb[vpn % IOMMU_HW_IOTLB_SETS];

		for (int w = 0; w < IOMMU_HW_IOTLB_WAYS; w++)
			if (set[w].vpn == vpn && (!pscv || set[w].pscid == pscid))
				set[w].gen = 0;
		set = hw->iotlb64[(vpn / NAPOT_64K_PAGES) % IOMMU_HW_IOTLB64_SETS];
		for (int w = 0; w < IOMMU_HW_IOTLB_WAYS; w++)	/* a block holding it */
			if (set[w].vpn == (vpn & ~(uint64_t)(NAPOT_64K_PAGES - 1)) &&
			    (!pscv || set[w].pscid == pscid))
				set[w].gen = 0;
		return;
	}
	if (!pscv || hw->ptw.pscid == pscid)
		hw->ptw.valid = false;		/* without AV, non-leaf entries go too */
	if (pscv)
		hw_gen_step(hw_gen_slot(hw, pscid));
	else
		for (int i = 0; i < IOMMU_HW_GEN_SLOTS; i++)
			hw_gen_step(&hw->iotlb_gen[i]);
}

static void hw_iodir_inval_ddt(struct iommu_hw *hw, const struct rio_command *c)
{
	uint32_t did = (uint32_t)(c->dw0 >> RIO_IODIR_DID_SHIFT);

	hw->ptw.valid = false;		/* the context may name another table */

	for (int i = 0; i < IOMMU_HW_DC_ENTRIES; i++)
		if (!(c->dw0 & RIO_IODIR_DV) || hw->dc_cache[i].device_id == did)
			hw->dc_cache[i].valid = false;
}

/*
 * hw_command: run one command.  => false if it is illegal (a reserved
 * encoding or bit: GV is refused, there being no second stage).
 */
static bool hw_command(struct iommu_hw *hw, const struct rio_command *c)
{
	uint32_t op = (uint32_t)RIO_CMD_OPCODE(c), func = (uint32_t)RIO_CMD_FUNC3(c), data;

	if (op == RIO_OP_IOTINVAL && func == RIO_FUNC_VMA) {
		if (c->dw0 & ~(0x3ffull | RIO_IOTINVAL_AV | (RIO_TA_PSCID_MASK << 12) | RIO_IOTINVAL_PSCV) ||
		    (c->dw1 & ~RIO_IOTINVAL_ADDR(~0ull)))
			return false;
		hw_iotinval_vma(hw, c);
	} else if (op == RIO_OP_IODIR && func == RIO_FUNC_INVAL_DDT) {
		if ((c->dw0 & ~(0x3ffull | RIO_IODIR_DV | (~0ull << RIO_IODIR_DID_SHIFT))) || c->dw1)
			return false;
		hw_iodir_inval_ddt(hw, c);
	} else if (op == RIO_OP_IOFENCE && func == RIO_FUNC_IOFENCE_C) {
		if (c->dw0 & (0x3ffffull << 14) || (c->dw0 & RIO_IOFENCE_WSI) || (c->dw1 >> 62))
			return false;		/* WSI: fctl.WSI is clear */
		data = (uint32_t)(c->dw0 >> RIO_IOFENCE_DATA_SHIFT);
		/* Translations in flight are done when this runs: the pipeline is the lock. */
		if ((c->dw0 & RIO_IOFENCE_AV) && !hw_store(RIO_IOFENCE_ADDR_OF(c->dw1), &data, 4)) {
			hw->cqcsr |= RIO_CQCSR_CQMF;
			return true;
		}
	} else {
		return false;
	}
	hw->stats.commands++;
	return true;
}

/* hw_run_commands: execute from cqh up to cqt; stop at an illegal one.  => [M] held */
static void hw_run_commands(struct iommu_hw *hw)
{
	uint32_t n = hw_queue_entries(hw->cqb);
	struct rio_command c;

	LOCK_ASSERT(spin_held(&hw->lock), "hw_run_commands: the model is not locked");
	while ((hw->cqcsr & RIO_CQCSR_CQON) && !(hw->cqcsr & (RIO_CQCSR_CMD_ILL | RIO_CQCSR_CQMF)) &&
	       hw->cqh != hw->cqt) {
		uint64_t at = RIO_PPN_TO_PA(hw->cqb) + (uint64_t)hw->cqh * sizeof(c);

		if (!hw_load(at, &c.dw0) || !hw_load(at + 8, &c.dw1)) {
			hw->cqcsr |= RIO_CQCSR_CQMF;
			break;
		}
		if (!hw_command(hw, &c)) {
			hw->cqcsr |= RIO_CQCSR_CMD_ILL;
			break;
		}
		if (hw->cqcsr & RIO_CQCSR_CQMF)
			break;		/* the fence's store faulted: cqh stays on it */
		hw->cqh = (hw->cqh + 1) % n;
	}
	if ((hw->cqcsr & RIO_CQCSR_CIE) && (hw->cqcsr & RIO_CQCSR_RW1C))
		hw->ipsr |= RIO_IPSR_CIP;
}

/* ---- registers (ch. 5) ---------------------------------------------------------------- */

uint64_t iommu_hw_read(struct iommu_hw *hw, uint32_t off)
{
	uint64_t v;

	spin_lock(&hw->lock);
	switch (off) {
	case RIO_REG_CAPABILITIES: v = hw->capabilities; break;
	case RIO_REG_FCTL: v = hw->fctl; break;
	case RIO_REG_DDTP: v = hw->ddtp; break;
	case RIO_REG_CQB: v = hw->cqb; break;
	case RIO_REG_CQH: v = hw->cqh; break;
	case RIO_REG_CQT: v = hw->cqt; break;
	case RIO_REG_FQB: v = hw->fqb; break;
	case RIO_REG_FQH: v = hw->fqh; break;
	case RIO_REG_FQT: v = hw->fqt; break;
	case RIO_REG_CQCSR: v = hw->cqcsr; break;
	case RIO_REG_FQCSR: v = hw->fqcsr; break;
	case RIO_REG_IPSR: v = hw->ipsr; break;
	default: v = 0; break;
	}
	spin_unlock(&hw->lock);
	return v;
}

/* hw_write_ddtp: a mode the IOMMU has (WARL: others leave the register as it was). */
static void hw_write_ddtp(struct iommu_hw *hw, uint64_t val)
{
	uint64_t mode = val & RIO_DDTP_MODE_MASK;

	if (mode > RIO_DDTP_MODE_3LVL)
		return;
	hw->ddtp = mode | (val & RIO_PPN_MASK);
	hw->ptw.valid = false;
}

_Static_assert(RIO_CQCSR_CQEN == RIO_FQCSR_FQEN && RIO_CQCSR_CIE == RIO_FQCSR_FIE &&
	       RIO_CQCSR_CQON == RIO_FQCSR_FQON, "the queue csrs share their enable, ie and on bits");

/*
 * hw_write_queue_csr: a write of val to a queue's csr (the command and
 * fault queues lay out enable, interrupt enable and on alike): enable
 * 0 -> 1 resets the index the IOMMU owns (*index) and turns the queue on,
 * enable 0 turns it off and clears the csr; the bits in rw1c are
 * write-1-to-clear; the interrupt enable is as written.
 */
static void hw_write_queue_csr(uint32_t *csr, uint32_t *index, uint32_t val, uint32_t rw1c)
{
	if ((val & RIO_CQCSR_CQEN) && !(*csr & RIO_CQCSR_CQEN)) {
		*index = 0;
		*csr = RIO_CQCSR_CQEN | RIO_CQCSR_CQON;
	} else if (!(val & RIO_CQCSR_CQEN)) {
		*csr = 0;
	}
	*csr &= ~(val & rw1c);
	*csr = (*csr & ~RIO_CQCSR_CIE) | (val & RIO_CQCSR_CIE);
}

void iommu_hw_write(struct iommu_hw *hw, uint32_t off, uint64_t val)
{
	spin_lock(&hw->lock);
	switch (off) {
	case RIO_REG_DDTP: hw_write_ddtp(hw, val); break;
	case RIO_REG_CQB:
		hw->cqb = val & (RIO_PPN_MASK | RIO_QB_LOG2SZ_MASK);
		hw->cqt = 0;
		break;
	case RIO_REG_CQT:
		hw->cqt = (uint32_t)val & (hw_queue_entries(hw->cqb) - 1);
		hw_run_commands(hw);
		break;
	case RIO_REG_FQB:
		hw->fqb = val & (RIO_PPN_MASK | RIO_QB_LOG2SZ_MASK);
		hw->fqh = 0;
		break;
	case RIO_REG_FQH: hw->fqh = (uint32_t)val & (hw_queue_entries(hw->fqb) - 1); break;
	case RIO_REG_CQCSR:
		hw_write_queue_csr(&hw->cqcsr, &hw->cqh, (uint32_t)val, RIO_CQCSR_RW1C);
		hw_run_commands(hw);	/* clearing cmd_ill resumes the queue */
		break;
	case RIO_REG_FQCSR:
		hw_write_queue_csr(&hw->fqcsr, &hw->fqt, (uint32_t)val, RIO_FQCSR_RW1C);
		break;
	case RIO_REG_IPSR: hw->ipsr &= ~((uint32_t)val & (RIO_IPSR_CIP | RIO_IPSR_FIP)); break;
	default: break;		/* read-only or absent */
	}
	spin_unlock(&hw->lock);
}
