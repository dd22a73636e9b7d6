/*
 * iommu.c: the IOMMU driver (see iommu.h).  It programs the model only
 * through its registers and the structures the specification defines.
 */
#include <string.h>

#include "drivers/iommu/iommu.h"
#include "kern/cmdline.h"
#include "kern/kernel.h"
#include "platform/riscv/hart.h"
#include "platform/riscv/pte.h"
#include "platform/riscv/smp.h"
#include "platform/riscv/vmlayout.h"
#include "vm/pmap.h"
#include "vm/vm_kern.h"
#include "vm/vm_page.h"
#include "vm/xmalloc.h"

struct iommu *iommu_unit;

/* ---- memory the IOMMU reads -------------------------------------------------------------- */

/* iommu_page_alloc: a zeroed, wired page for a table or queue.  => its address, 0 if none */
static uint64_t iommu_page_alloc(void)
{
	vm_page_t m = vm_page_alloc();

	if (!m)
		return 0;
	vm_page_wire(m);
	memset(pmap_direct_map(m->phys_addr), 0, PAGE_SIZE);
	return m->phys_addr;
}

static void iommu_page_free(uint64_t pa)
{
	vm_page_t m = vm_page_lookup_phys(pa);

	vm_page_unwire(m);
	vm_page_free(m);
}

static uint64_t *iommu_word(uint64_t pa)
{
	return (uint64_t *)pmap_direct_map(pa);
}

/* ---- commands ---------------------------------------------------------------------------- */

/*
 * iommu_commands: queue c[0..n) and an IOFENCE.C that writes a new
 * sequence number, and wait for it: when the word changes, every command
 * before the fence is done (3.1.4).
 * => [u] not held; n + 1 < the queue's size
 */
static void iommu_commands(struct iommu *u, const struct rio_command *c, int n)
{
	uint32_t entries = 2u << (IOMMU_CQ_LOG2 - 1), seq;
	struct rio_command *cq = (struct rio_command *)pmap_direct_map(u->cq_pa);
	volatile uint32_t *fence = (volatile uint32_t *)pmap_direct_map(u->fence_pa);

	spin_lock(&u->lock);
	seq = ++u->fence_seq;
	for (int i = 0; i < n; i++) {
		cq[u->cq_tail] = c[i];
		u->cq_tail = (u->cq_tail + 1) % entries;
	}
	cq[u->cq_tail] = (struct rio_command){
		.dw0 = RIO_OP_IOFENCE | RIO_FUNC_IOFENCE_C << 7 | RIO_IOFENCE_AV | RIO_IOFENCE_PW |
		       RIO_IOFENCE_PR | (uint64_t)seq << RIO_IOFENCE_DATA_SHIFT,
		.dw1 = RIO_IOFENCE_ADDR(u->fence_pa) };
	u->cq_tail = (u->cq_tail + 1) % entries;
	__atomic_thread_fence(__ATOMIC_RELEASE);	/* commands in memory before the tail moves */
	iommu_hw_write(&u->hw, RIO_REG_CQT, u->cq_tail);
	while (__atomic_load_n(fence, __ATOMIC_ACQUIRE) != seq) {
		uint64_t csr = iommu_hw_read(&u->hw, RIO_REG_CQCSR);

		if (csr & (RIO_CQCSR_CMD_ILL | RIO_CQCSR_CQMF))
			panic("iommu: command queue stopped (cqcsr 0x%lx, cqh %lu)", csr,
			      iommu_hw_read(&u->hw, RIO_REG_CQH));
	}
	spin_unlock(&u->lock);
}

static struct rio_command iommu_cmd_iotinval(uint32_t pscid, bool one_page, uint64_t iova)
{
	return (struct rio_command){
		.dw0 = RIO_OP_IOTINVAL | RIO_FUNC_VMA << 7 | RIO_IOTINVAL_PSCV |
		       (uint64_t)pscid << RIO_IOTINVAL_PSCID_SHIFT | (one_page ? RIO_IOTINVAL_AV : 0),
		.dw1 = one_page ? RIO_IOTINVAL_ADDR(iova) : 0 };
}

void iommu_ddt_invalidate(struct iommu *u, uint32_t device_id)
{
	struct rio_command c = {
		.dw0 = RIO_OP_IODIR | RIO_FUNC_INVAL_DDT << 7 | RIO_IODIR_DV |
		       (uint64_t)device_id << RIO_IODIR_DID_SHIFT };

	iommu_commands(u, &c, 1);
}

/* ---- faults ------------------------------------------------------------------------------ */

/* The fault causes the driver names (tools/gdb/vm.py's showiommu reads this table too). */
static const struct {
	uint32_t cause;
	const char *name;
} iommu_cause_names[] KDEBUG_VISIBLE = {
	{ RIO_CAUSE_READ_ACCESS, "read access fault" },
	{ RIO_CAUSE_WRITE_ACCESS, "write access fault" },
	{ RIO_CAUSE_READ_PAGE, "read page fault" },
	{ RIO_CAUSE_WRITE_PAGE, "write page fault" },
	{ RIO_CAUSE_ALL_DISALLOWED, "all inbound transactions disallowed" },
	{ RIO_CAUSE_DDT_LOAD_ACCESS, "DDT entry load access fault" },
	{ RIO_CAUSE_DDT_INVALID, "DDT entry not valid" },
	{ RIO_CAUSE_DDT_MISCONFIGURED, "DDT entry misconfigured" },
	{ RIO_CAUSE_TTYPE_DISALLOWED, "transaction type disallowed" },
};

const char *iommu_cause_name(uint32_t cause)
{
	for (unsigned i = 0; i < ARRAY_SIZE(iommu_cause_names); i++)
		if (iommu_cause_names[i].cause == cause)
			return iommu_cause_names[i].name;
	return "?";
}

uint32_t iommu_faults_drain(struct iommu *u)
{
	uint32_t entries = 2u << (IOMMU_FQ_LOG2 - 1), n = 0, tail;
	const struct rio_fault_record *fq = pmap_direct_map(u->fq_pa);

	spin_lock(&u->lock);
	tail = (uint32_t)iommu_hw_read(&u->hw, RIO_REG_FQT);
	__atomic_thread_fence(__ATOMIC_ACQUIRE);	/* records before the tail that covers them */
	for (; u->fq_head != tail; u->fq_head = (u->fq_head + 1) % entries, n++) {
		const struct rio_fault_record *r = &fq[u->fq_head];
		struct iommu_fault *f = &u->faults[u->faults_seen++ % IOMMU_FAULT_LOG];

		*f = (struct iommu_fault){ RIO_FAULT_CAUSE(r), RIO_FAULT_TTYP(r), RIO_FAULT_DID(r),
					   r->iotval };
		kprintf("iommu: device %02x:%02x.%u: %s (cause %u, ttyp %u) at i/o address 0x%lx\n",
			f->device_id >> 8, (f->device_id >> 3) & 0x1f, f->device_id & 7,
			iommu_cause_name(f->cause), f->cause, f->ttyp, f->iova);
	}
	iommu_hw_write(&u->hw, RIO_REG_FQH, u->fq_head);
	if (iommu_hw_read(&u->hw, RIO_REG_FQCSR) & (RIO_FQCSR_FQOF | RIO_FQCSR_FQMF)) {
		u->overflows++;
		kprintf("iommu: fault queue overflowed: later records were lost\n");
		iommu_hw_write(&u->hw, RIO_REG_FQCSR, RIO_FQCSR_FQEN | RIO_FQCSR_FQOF | RIO_FQCSR_FQMF);
	}
	spin_unlock(&u->lock);
	return n;
}

bool iommu_fault_last(struct iommu *u, struct iommu_fault *f)
{
	bool any;

	spin_lock(&u->lock);
	any = u->faults_seen != 0;
	if (any)
		*f = u->faults[(u->faults_seen - 1) % IOMMU_FAULT_LOG];
	spin_unlock(&u->lock);
	return any;
}

/* ---- the unit ---------------------------------------------------------------------------- */

kern_return_t iommu_create(int ddt_levels, enum iommu_policy policy, struct iommu **out)
{
	static const uint64_t modes[] = { 0, RIO_DDTP_MODE_1LVL, RIO_DDTP_MODE_2LVL,
					  RIO_DDTP_MODE_3LVL };
	struct iommu *u;

	if (ddt_levels < 1 || ddt_levels > 3 || (policy != IOMMU_STRICT && policy != IOMMU_DEFERRED))
		return KERN_INVALID_ARGUMENT;
	u = (struct iommu *)xmalloc(sizeof(*u), 6, pinned_heap);
	if (!u)
		return KERN_RESOURCE_SHORTAGE;
	*u = (struct iommu){ .ddt_levels = ddt_levels, .default_policy = policy, .next_pscid = 1,
			     .magazines = true };
	spin_init(&u->lock, "iommu");
	iommu_hw_reset(&u->hw);
	u->ddt_root = iommu_page_alloc();
	u->cq_pa = iommu_page_alloc();
	u->fq_pa = iommu_page_alloc();
	if (!u->ddt_root || !u->cq_pa || !u->fq_pa) {
		iommu_destroy(u);
		return KERN_RESOURCE_SHORTAGE;
	}
	u->fence_pa = u->cq_pa + PAGE_SIZE - 8;	/* past the 64 commands (1 KiB) */
	u->ddt_pages = 1;
	/* Queues first, then the directory: the order of the specification's 6.2. */
	iommu_hw_write(&u->hw, RIO_REG_CQB, RIO_PPN(u->cq_pa) | (IOMMU_CQ_LOG2 - 1));
	iommu_hw_write(&u->hw, RIO_REG_CQCSR, RIO_CQCSR_CQEN);
	iommu_hw_write(&u->hw, RIO_REG_FQB, RIO_PPN(u->fq_pa) | (IOMMU_FQ_LOG2 - 1));
	iommu_hw_write(&u->hw, RIO_REG_FQCSR, RIO_FQCSR_FQEN);
	iommu_hw_write(&u->hw, RIO_REG_DDTP, RIO_PPN(u->ddt_root) | modes[ddt_levels]);
	if (!(iommu_hw_read(&u->hw, RIO_REG_CQCSR) & RIO_CQCSR_CQON) ||
	    !(iommu_hw_read(&u->hw, RIO_REG_FQCSR) & RIO_FQCSR_FQON) ||
	    (iommu_hw_read(&u->hw, RIO_REG_DDTP) & RIO_DDTP_MODE_MASK) != modes[ddt_levels])
		panic("iommu: the model refused its set-up");
	*out = u;
	return KERN_SUCCESS;
}

/*
 * tables_free: the table at pa (level lvl) and the tables below it.  A
 * directory and an I/O page table both point down with [0] V and [53:10]
 * PPN; entries of level 0 are not pointers.
 */
_Static_assert(RIO_DDTE_V == PTE_V && RIO_PPN_MASK == PTE_PPN_MASK, "one pointer layout");

static void tables_free(uint64_t pa, int lvl)
{
	for (int i = 0; lvl > 0 && i < PT_ENTRIES; i++) {
		uint64_t e = iommu_word(pa)[i];

		if ((e & RIO_DDTE_V) && !PTE_IS_LEAF(e))
			tables_free(RIO_PPN_TO_PA(e), lvl - 1);
	}
	iommu_page_free(pa);
}

void iommu_destroy(struct iommu *u)
{
	KASSERT(!u->devices && !u->domains, "iommu_destroy: devices or domains remain");
	iommu_hw_write(&u->hw, RIO_REG_DDTP, RIO_DDTP_MODE_OFF);
	iommu_hw_write(&u->hw, RIO_REG_CQCSR, 0);
	iommu_hw_write(&u->hw, RIO_REG_FQCSR, 0);
	if (u->ddt_root)
		tables_free(u->ddt_root, u->ddt_levels - 1);
	if (u->cq_pa)
		iommu_page_free(u->cq_pa);
	if (u->fq_pa)
		iommu_page_free(u->fq_pa);
	xmfree((caddr_t)u, pinned_heap);
}

TUNABLE_TEXT(tunable_iommu, "iommu", "on|off", "on|off", "on",
	     "off: devices reach memory untranslated (passthrough)");
TUNABLE_TEXT(tunable_iommu_policy, "iommu.policy", "strict|deferred", "strict|deferred", "strict",
	     "invalidation policy of the devices' domains");
TUNABLE_TEXT(tunable_iommu_magazines, "iommu.magazines", "on|off", "on|off", "on",
	     "off: no cache of freed I/O addresses, each map and unmap goes to the arena (to measure it)");
TUNABLE_NUMBER(tunable_iommu_ddt, "iommu.ddt", 3, 1, 3, "1|2|3", NULL,
	       "device-directory levels (7-, 16-, 24-bit device IDs)");

kern_return_t iommu_init(void)
{
	char buf[16];
	enum iommu_policy policy = IOMMU_STRICT;
	unsigned long levels = tunable_number(&tunable_iommu_ddt);
	kern_return_t kr;

	if (tunable_text(&tunable_iommu, buf, sizeof(buf)) && strcmp(buf, "off") == 0)
		return KERN_SUCCESS;
	if (tunable_text(&tunable_iommu_policy, buf, sizeof(buf)))
		policy = strcmp(buf, "deferred") == 0 ? IOMMU_DEFERRED : IOMMU_STRICT;
	kr = iommu_create((int)levels, policy, &iommu_unit);
	if (kr != KERN_SUCCESS) {
		kprintf("iommu: not started (%s): devices reach memory untranslated\n",
			kern_return_name(kr));
		return kr;
	}
	if (tunable_text(&tunable_iommu_magazines, buf, sizeof(buf)) && strcmp(buf, "off") == 0)
		iommu_unit->magazines = false;
	kprintf("iommu: RISC-V IOMMU model, %d-level device directory, %s invalidation, IOTLB %u "
		"entries\n", iommu_unit->ddt_levels, policy == IOMMU_STRICT ? "strict" : "deferred",
		IOMMU_HW_IOTLB_SETS * IOMMU_HW_IOTLB_WAYS);
	return KERN_SUCCESS;
}

/* ---- the device directory ----------------------------------------------------------------- */

/*
 * ddt_leaf: the address of device_id's context, making the directory pages
 * on the way (alloc) or not.  => 0 if absent or no page could be had.
 * => [u] held
 */
static uint64_t ddt_leaf(struct iommu *u, uint32_t did, bool alloc)
{
	uint64_t table = u->ddt_root;

	LOCK_ASSERT(spin_held(&u->lock), "ddt_leaf: the unit is not locked");
	for (int lvl = u->ddt_levels - 1; lvl > 0; lvl--) {
		uint64_t *e = &iommu_word(table)[RIO_DDI(did, lvl)];

		if (!(*e & RIO_DDTE_V)) {
			uint64_t pa = alloc ? iommu_page_alloc() : 0;

			if (!pa)
				return 0;
			u->ddt_pages++;
			__atomic_store_n(e, RIO_PPN(pa) | RIO_DDTE_V, __ATOMIC_RELEASE);
		}
		table = RIO_PPN_TO_PA(*e);
	}
	return table + (uint64_t)RIO_DC_BYTES * RIO_DDI(did, 0);
}

static bool ddt_fits(const struct iommu *u, uint32_t did)
{
	static const unsigned bits[] = { 0, RIO_DDI0_BITS, RIO_DDI0_BITS + RIO_DDI1_BITS, 24 };

	return (did >> bits[u->ddt_levels]) == 0;
}

struct rio_device_context *iommu_device_context(struct iommu *u, uint32_t device_id)
{
	uint64_t pa;

	if (!ddt_fits(u, device_id))
		return NULL;
	spin_lock(&u->lock);
	pa = ddt_leaf(u, device_id, false);
	spin_unlock(&u->lock);
	return pa ? (struct rio_device_context *)pmap_direct_map(pa) : NULL;
}

static struct iommu_device *iommu_device_find_locked(struct iommu *u, uint32_t did)
{
	LOCK_ASSERT(spin_held(&u->lock), "iommu_device_find_locked: the unit is not locked");

	for (struct iommu_device *d = u->devices; d; d = d->next)
		if (d->device_id == did)
			return d;
	return NULL;
}

/* dc_write: fill a device context, V last, so that the IOMMU never reads half of one. */
static void dc_write(struct rio_device_context *dc, const struct iommu_domain *dom)
{
	dc->tc = 0;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	dc->iohgatp = RIO_ATP_MODE_BARE << RIO_ATP_MODE_SHIFT;
	dc->ta = (uint64_t)dom->pscid << RIO_TA_PSCID_SHIFT;
	dc->fsc = RIO_ATP_MODE_SV39 << RIO_ATP_MODE_SHIFT | dom->root_pa >> PAGE_SHIFT;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	__atomic_store_n(&dc->tc, RIO_TC_V, __ATOMIC_RELAXED);
}

kern_return_t iommu_device_attach(struct iommu *u, uint32_t device_id, const char *name,
				  struct iommu_domain *dom)
{
	struct iommu_device *d, *fresh;
	uint64_t pa;

	if (!u || !dom || dom->unit != u || !ddt_fits(u, device_id))
		return KERN_INVALID_ARGUMENT;
	fresh = (struct iommu_device *)xmalloc(sizeof(*fresh), 3, pinned_heap);
	if (!fresh)
		return KERN_RESOURCE_SHORTAGE;
	spin_lock(&u->lock);
	if (!(pa = ddt_leaf(u, device_id, true))) {
		spin_unlock(&u->lock);
		xmfree((caddr_t)fresh, pinned_heap);
		return KERN_RESOURCE_SHORTAGE;
	}
	if ((d = iommu_device_find_locked(u, device_id)) != NULL) {
		d->domain->ndevices--;
	} else {
		d = fresh;
		fresh = NULL;
		*d = (struct iommu_device){ .device_id = device_id, .next = u->devices };
		u->devices = d;
	}
	strncpy(d->name, name ? name : "?", sizeof(d->name) - 1);
	d->domain = dom;
	dom->ndevices++;
	dc_write((struct rio_device_context *)pmap_direct_map(pa), dom);
	spin_unlock(&u->lock);
	if (fresh)
		xmfree((caddr_t)fresh, pinned_heap);
	iommu_ddt_invalidate(u, device_id);
	return KERN_SUCCESS;
}

void iommu_device_detach(struct iommu *u, uint32_t device_id)
{
	struct iommu_device **p, *d = NULL;
	uint64_t pa;

	spin_lock(&u->lock);
	for (p = &u->devices; *p; p = &(*p)->next)
		if ((*p)->device_id == device_id) {
			d = *p;
			*p = d->next;
			d->domain->ndevices--;
			break;
		}
	if (d && (pa = ddt_leaf(u, device_id, false)) != 0)
		__atomic_store_n(&((struct rio_device_context *)pmap_direct_map(pa))->tc, 0,
				 __ATOMIC_RELEASE);
	spin_unlock(&u->lock);
	if (!d)
		return;
	iommu_ddt_invalidate(u, device_id);
	xmfree((caddr_t)d, pinned_heap);
}

static void iommu_invalidate_pscid(struct iommu_domain *dom);

/* ---- I/O page tables ----------------------------------------------------------------------- */

/*
 * Tables that empty stay linked, ready for the next mappings there: the
 * usual map/unmap pair never allocates or frees one, nor counts entries.
 * iommu_domain_trim (from iommu_quiesce) finds the empty ones, unlinks
 * them and, after an invalidation (the IOMMU may hold walks through
 * them), frees them.
 */

/* pt_table_alloc: a table page (from the reserve if need be: see iommu_iova_alloc). */
static uint64_t pt_table_alloc(void)
{
	bool privileged = vm_page_privileged(true);
	uint64_t pa = iommu_page_alloc();

	vm_page_privileged(privileged);
	return pa;
}

/* pt_table: a table's entries, through the direct map (inline: the map and unmap paths walk). */
static pt_entry_t *pt_table(uint64_t pa)
{
	return (pt_entry_t *)PHYS_TO_DMAP(pa);
}

static pt_entry_t *pt_slot(uint64_t table, uint64_t iova, int lvl)
{
	return &pt_table(table)[PT_INDEX(iova, lvl)];
}

/*
 * pt_leaf_walk: the walk of pt_leaf, which remembers the level-0 table it
 * reaches (the domain's walk cache).  Out of line: the page allocation
 * would otherwise burden every caller's frame.
 */
static __attribute__((noinline)) pt_entry_t *pt_leaf_walk(struct iommu_domain *dom, uint64_t iova,
							  bool alloc, uint64_t *table)
{
	uint64_t t = dom->root_pa;

	for (int lvl = PT_LEVELS - 1; lvl > 0; lvl--) {
		pt_entry_t *e = pt_slot(t, iova, lvl);

		if (!(*e & PTE_V)) {
			uint64_t pa = alloc ? pt_table_alloc() : 0;

			if (!pa)
				return NULL;
			dom->stats.table_pages++;
			__atomic_store_n(e, PA_TO_PTE(pa) | PTE_V, __ATOMIC_RELEASE);
		}
		t = PTE_TO_PA(*e);
	}
	dom->walk_region = iova >> PT_LEVEL_SHIFT(1);
	dom->walk_table = t;
	*table = t;
	return pt_slot(t, iova, 0);
}

/*
 * pt_leaf: the level-0 PTE slot for iova (its table's address in *table),
 * making tables on the way (alloc).  => NULL if absent or no page could be
 * had.  => [D] held
 */
static pt_entry_t *pt_leaf(struct iommu_domain *dom, uint64_t iova, bool alloc, uint64_t *table)
{
	uint64_t region = iova >> PT_LEVEL_SHIFT(1);

	LOCK_ASSERT(spin_held(&dom->lock), "pt_leaf: domain %u not locked", dom->pscid);
	if (dom->walk_table && dom->walk_region == region) {	/* the last table walked to */
		*table = dom->walk_table;
		return pt_slot(*table, iova, 0);
	}
	return pt_leaf_walk(dom, iova, alloc, table);
}

/* pt_bits: a device leaf's bits: user (devices make user requests), A and D preset (no AMO_HWAD). */
static pt_entry_t pt_bits(int prot)
{
	return PTE_V | PTE_U | PTE_A | PTE_R | ((prot & IOMMU_PROT_WRITE) ? PTE_W | PTE_D : 0);
}

/* pt_enter_locked: map [iova, iova + len) -> pa, page by page.  => [D] held; false: no table */
/*
 * pt_enter_locked: map [iova, iova + len) -> pa, page by page; where a
 * whole 64 KiB block is aligned on both sides, its 16 leaves are Svnapot
 * leaves (one IOTLB entry serves the block).  => [D] held; false: no table
 */
static inline __attribute__((always_inline)) bool pt_enter_locked(struct iommu_domain *dom,
								   uint64_t iova, uint64_t pa,
								   uint64_t len, int prot)
{
	const uint64_t napot = ptoa(NAPOT_64K_PAGES);
	pt_entry_t bits = pt_bits(prot), *pte = NULL, leaf;
	uint64_t table, n;
	bool big = len >= napot;

	LOCK_ASSERT(spin_held(&dom->lock), "pt_enter_locked: domain %u not locked", dom->pscid);
	for (uint64_t off = 0; off < len; off += ptoa(n), pte += n) {
		if (!pte || PT_INDEX(iova + off, 0) == 0)
			if (!(pte = pt_leaf(dom, iova + off, true, &table)))
				return false;
		leaf = PA_TO_PTE(pa + off) | bits;
		n = 1;
		if (big && !((iova + off) & (napot - 1)) && !((pa + off) & (napot - 1)) &&
		    len - off >= napot) {	/* a block in one table: its 16 leaves alike */
			leaf = PTE_NAPOT_64K(pa + off) | bits;
			n = NAPOT_64K_PAGES;
		}
		for (uint64_t j = 0; j < n; j++) {
			KASSERT(!(pte[j] & PTE_V), "iommu: i/o address 0x%lx mapped twice",
				iova + off + ptoa(j));
			__atomic_store_n(&pte[j], leaf, __ATOMIC_RELAXED);
		}
	}
	dom->stats.mapped_pages += atop(len);
	return true;
}

/*
 * pt_clear_locked: unmap [iova, iova + len).  => [D] held; the IOMMU sees
 * the clears before any command that follows (iommu_commands orders them)
 */
static inline __attribute__((always_inline)) void pt_clear_locked(struct iommu_domain *dom,
								   uint64_t iova, uint64_t len)
{
	pt_entry_t *pte = NULL;
	uint64_t table, cleared = 0;

	LOCK_ASSERT(spin_held(&dom->lock), "pt_clear_locked: domain %u not locked", dom->pscid);
	for (uint64_t off = 0; off < len; off += PAGE_SIZE) {
		if (!pte || PT_INDEX(iova + off, 0) == 0) {
			if (!(pte = pt_leaf(dom, iova + off, false, &table))) {
				off = ROUND_UP(iova + off + 1, PT_LEVEL_SIZE(1)) - iova - PAGE_SIZE;
				continue;	/* no table for this 2 MiB */
			}
		} else {
			pte++;
		}
		if (*pte & PTE_V) {
			__atomic_store_n(pte, 0, __ATOMIC_RELAXED);
			cleared++;
		}
	}
	dom->stats.mapped_pages -= cleared;
}

/* The IOTLB entries an unmap must invalidate: addresses, or (n = IOMMU_INVAL_ALL) the PSCID. */
struct iommu_inval {
	uint32_t n;
	uint64_t addr[IOMMU_INVAL_ADDRS];
};
#define IOMMU_INVAL_ALL	UINT32_MAX

/*
 * pt_clear_blocks_locked: pt_clear_locked of a range of 64 KiB or more,
 * whose whole Svnapot blocks go 16 leaves at a time; the address of each
 * block and loose page is noted in iv, for strict invalidation (a range
 * of more than IOMMU_INVAL_ADDRS of them: the whole PSCID).  => [D] held
 */
static __attribute__((noinline)) void pt_clear_blocks_locked(struct iommu_domain *dom,
							     uint64_t iova, uint64_t len,
							     struct iommu_inval *iv)
{
	const uint64_t napot = ptoa(NAPOT_64K_PAGES);
	uint64_t off = 0, table;

	LOCK_ASSERT(spin_held(&dom->lock),
		"pt_clear_blocks_locked: domain %u not locked", dom->pscid);
	while (off < len) {
		pt_entry_t *pte = pt_leaf(dom, iova + off, false, &table);
		uint64_t step = PAGE_SIZE;

		if (pte && (*pte & PTE_N) && !((iova + off) & (napot - 1)) && len - off >= napot) {
			for (int j = 0; j < NAPOT_64K_PAGES; j++)
				__atomic_store_n(&pte[j], 0, __ATOMIC_RELAXED);
			dom->stats.mapped_pages -= NAPOT_64K_PAGES;
			step = napot;
		} else {
			pt_clear_locked(dom, iova + off, PAGE_SIZE);
		}
		/* One IOTLB entry held the block or page: one address invalidates it. */
		if (iv->n < IOMMU_INVAL_ADDRS)
			iv->addr[iv->n++] = iova + off;
		else
			iv->n = IOMMU_INVAL_ALL;
		off += step;
	}
}

/* pt_empty: no entry of the table at pa is valid. */
static bool pt_empty(uint64_t pa)
{
	for (int i = 0; i < PT_ENTRIES; i++)
		if (pt_table(pa)[i] & PTE_V)
			return false;
	return true;
}

/*
 * pt_prune_locked: unlink the empty tables below the level-lvl table at pa
 * (one of dom's) into dead[*n..max); true if pa itself is then empty.
 * => [D] held; the pages are freed only after an invalidation
 */
static bool pt_prune_locked(struct iommu_domain *dom, uint64_t pa, int lvl, uint64_t *dead,
			    uint32_t *n, uint32_t max)
{
	pt_entry_t *t = pt_table(pa);

	LOCK_ASSERT(spin_held(&dom->lock), "pt_prune_locked: domain %u not locked", dom->pscid);
	for (int i = 0; i < PT_ENTRIES && *n < max; i++) {
		uint64_t child = PTE_TO_PA(t[i]);

		if (!(t[i] & PTE_V) || PTE_IS_LEAF(t[i]) ||
		    !(lvl > 1 ? pt_prune_locked(dom, child, lvl - 1, dead, n, max)
			      : pt_empty(child)))
			continue;
		__atomic_store_n(&t[i], 0, __ATOMIC_RELAXED);
		dead[(*n)++] = child;
	}
	return pt_empty(pa);
}

void iommu_domain_trim(struct iommu_domain *dom)
{
	uint64_t dead[IOMMU_PRUNE_MAX];
	uint32_t n = 0;

	spin_lock(&dom->lock);
	pt_prune_locked(dom, dom->root_pa, PT_LEVELS - 1, dead, &n, IOMMU_PRUNE_MAX);
	dom->walk_table = 0;			/* it may be one of them */
	dom->stats.table_pages -= n;
	spin_unlock(&dom->lock);
	if (!n)
		return;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	iommu_invalidate_pscid(dom);	/* no walk through them survives */
	while (n)
		iommu_page_free(dead[--n]);
}

kern_return_t iommu_domain_enter(struct iommu_domain *dom, uint64_t iova, uint64_t pa, uint64_t len,
				 int prot)
{
	bool ok;

	if ((iova | pa | len) & PAGE_MASK || iova + len > dom->limit || iova + len < iova)
		return KERN_INVALID_ARGUMENT;
	spin_lock(&dom->lock);
	ok = pt_enter_locked(dom, iova, pa, len, prot);
	spin_unlock(&dom->lock);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	return ok ? KERN_SUCCESS : KERN_RESOURCE_SHORTAGE;
}

void iommu_domain_clear(struct iommu_domain *dom, uint64_t iova, uint64_t len)
{
	spin_lock(&dom->lock);
	pt_clear_locked(dom, trunc_page(iova), round_page(len));
	spin_unlock(&dom->lock);
}

/* iommu_invalidate_pscid: every translation of the domain (IOTINVAL.VMA, PSCV only). */
static void iommu_invalidate_pscid(struct iommu_domain *dom)
{
	struct rio_command c = iommu_cmd_iotinval(dom->pscid, false, 0);

	__atomic_add_fetch(&dom->stats.invalidations, 1, __ATOMIC_RELAXED);
	iommu_commands(dom->unit, &c, 1);
}

void iommu_domain_invalidate(struct iommu_domain *dom, uint64_t iova, uint64_t len)
{
	struct rio_command c[4];
	uint64_t n = atop(round_page(iova + len) - trunc_page(iova));
	int nc = 0;

	if (n > ARRAY_SIZE(c))
		c[nc++] = iommu_cmd_iotinval(dom->pscid, false, 0);
	else
		for (uint64_t i = 0; i < n; i++)
			c[nc++] = iommu_cmd_iotinval(dom->pscid, true, trunc_page(iova) + ptoa(i));
	__atomic_add_fetch(&dom->stats.invalidations, (uint64_t)nc, __ATOMIC_RELAXED);
	iommu_commands(dom->unit, c, nc);
}

/* iommu_invalidate_addrs: IOTINVAL.VMA for each address of iv (or the PSCID), then IOFENCE.C. */
static void iommu_invalidate_addrs(struct iommu_domain *dom, const struct iommu_inval *iv)
{
	struct rio_command c[IOMMU_INVAL_ADDRS];

	if (iv->n == IOMMU_INVAL_ALL) {
		iommu_invalidate_pscid(dom);
		return;
	}
	for (uint32_t i = 0; i < iv->n; i++)
		c[i] = iommu_cmd_iotinval(dom->pscid, true, iv->addr[i]);
	__atomic_add_fetch(&dom->stats.invalidations, iv->n, __ATOMIC_RELAXED);
	iommu_commands(dom->unit, c, (int)iv->n);
}

bool iommu_domain_lookup(struct iommu_domain *dom, uint64_t iova, uint64_t *pa, int *prot)
{
	pt_entry_t *pte, e = 0;
	uint64_t table;

	spin_lock(&dom->lock);
	if ((pte = pt_leaf(dom, iova, false, &table)) != NULL)
		e = *pte;
	spin_unlock(&dom->lock);
	if (!(e & PTE_V))
		return false;
	*pa = PTE_LEAF_PA(e, iova) + (iova & PAGE_MASK);
	*prot = IOMMU_PROT_READ | ((e & PTE_W) ? IOMMU_PROT_WRITE : 0);
	return true;
}

/* ---- domains ------------------------------------------------------------------------------- */

kern_return_t iommu_domain_create(struct iommu *u, enum iommu_policy policy, uint64_t limit,
				  struct iommu_domain **out)
{
	struct iommu_domain *dom;
	size_t cache_bytes = (size_t)hart_count * sizeof(*dom->cache);
	vm_offset_t cache;

	limit = MIN(limit, IOMMU_IOVA_TOP);
	if (!u || !out || limit <= IOMMU_IOVA_BASE + PAGE_SIZE ||
	    (policy != IOMMU_STRICT && policy != IOMMU_DEFERRED))
		return KERN_INVALID_ARGUMENT;
	dom = (struct iommu_domain *)xmalloc(sizeof(*dom), 3, pinned_heap);
	if (!dom)
		return KERN_RESOURCE_SHORTAGE;
	*dom = (struct iommu_domain){ .unit = u, .policy = policy, .limit = trunc_page(limit) };
	spin_init(&dom->lock, "iommu_domain");
	if (kmem_alloc_wired(kernel_map, &cache, cache_bytes) == KERN_SUCCESS)
		dom->cache = (struct iommu_hart_cache *)cache;
	dom->root_pa = iommu_page_alloc();
	if (!dom->cache || !dom->root_pa ||
	    iova_arena_init(&dom->arena, atop(IOMMU_IOVA_BASE), atop(dom->limit)) != KERN_SUCCESS) {
		if (dom->cache)
			kmem_free(kernel_map, (vm_offset_t)dom->cache, cache_bytes);
		if (dom->root_pa)
			iommu_page_free(dom->root_pa);
		xmfree((caddr_t)dom, pinned_heap);
		return KERN_RESOURCE_SHORTAGE;
	}
	spin_lock(&u->lock);
	dom->pscid = u->next_pscid++;
	dom->next = u->domains;
	u->domains = dom;
	spin_unlock(&u->lock);
	*out = dom;
	return KERN_SUCCESS;
}

/* iommu_mags_drain_here: the running hart's cached ranges of the domain back to the arena. */
static void iommu_mags_drain_here(void *arg)
{
	struct iommu_domain *dom = arg;
	struct iommu_magazine *mag = dom->cache[hart_self()->index].mag;

	for (int c = 0; c < IOMMU_MAG_PAGES; c++)
		while (mag[c].n)
			iova_free(&dom->arena, mag[c].page[--mag[c].n], (uint64_t)c + 1);
}

/* iommu_mags_drain: every cached range back to the arena, each hart emptying its own. */
static void iommu_mags_drain(struct iommu_domain *dom)
{
	struct iommu_flush_entry big[IOMMU_BIG_CACHE];
	uint32_t nbig;

	spin_lock(&dom->lock);
	nbig = dom->nbig;
	memcpy(big, dom->big, nbig * sizeof(big[0]));
	dom->nbig = 0;
	spin_unlock(&dom->lock);
	for (uint32_t i = 0; i < nbig; i++)
		iova_free(&dom->arena, big[i].page, big[i].npages);
	for (int h = 0; h < hart_count; h++)
		if (smp_online_mask() & (1ull << h))
			smp_call(h, iommu_mags_drain_here, dom);
}

kern_return_t iommu_domain_destroy(struct iommu_domain *dom)
{
	struct iommu *u = dom->unit;

	spin_lock(&u->lock);
	if (dom->ndevices) {
		spin_unlock(&u->lock);
		return KERN_FAILURE;
	}
	for (struct iommu_domain **p = &u->domains; *p; p = &(*p)->next)
		if (*p == dom) {
			*p = dom->next;
			break;
		}
	spin_unlock(&u->lock);
	iommu_flush(dom);
	iommu_mags_drain(dom);
	KASSERT(dom->stats.mapped_pages == 0, "iommu_domain_destroy: %lu pages still mapped",
		dom->stats.mapped_pages);
	/* No device uses the PSCID any more, but the IOTLB may still hold its walks. */
	iommu_invalidate_pscid(dom);
	iova_arena_destroy(&dom->arena);
	tables_free(dom->root_pa, PT_LEVELS - 1);
	kmem_free(kernel_map, (vm_offset_t)dom->cache, (size_t)hart_count * sizeof(*dom->cache));
	xmfree((caddr_t)dom, pinned_heap);
	return KERN_SUCCESS;
}

/* ---- I/O addresses: per-hart magazines over the arena ---------------------------------------- */

/*
 * The few pages a mapping may need (a range record, page tables) come from
 * the reserve if need be: pageins and pageouts map through here, and
 * without them no page could be read back or written out.
 */
static kern_return_t iommu_iova_alloc(struct iommu_domain *dom, uint64_t npages, uint64_t align,
				      uint64_t phase, uint64_t *page)
{
	bool privileged = vm_page_privileged(true);
	kern_return_t kr = iova_alloc_aligned(&dom->arena, npages, align, align > 1 ? phase : 0, page);

	vm_page_privileged(privileged);
	return kr;
}

/* iommu_hart_mag: the running hart's magazine for ranges of npages.  => interrupts off */
static struct iommu_magazine *iommu_hart_mag(struct iommu_domain *dom, uint64_t npages)
{
	return &dom->cache[hart_self()->index].mag[npages - 1];
}

/* iommu_iova_put: a range no translation can reach any more goes back for reuse. */
static void iommu_iova_put(struct iommu_domain *dom, uint64_t page, uint64_t npages)
{
	uint64_t spill[IOMMU_MAG_SIZE / 2];
	uint32_t nspill = 0;

	if (!dom->unit->magazines) {
		iova_free(&dom->arena, page, npages);
		return;
	}
	if (npages <= IOMMU_MAG_PAGES) {
		struct iommu_magazine *m;

		intr_push_off();
		m = iommu_hart_mag(dom, npages);
		if (m->n == IOMMU_MAG_SIZE)	/* full: half goes to the arena */
			for (; nspill < IOMMU_MAG_SIZE / 2; nspill++)
				spill[nspill] = m->page[--m->n];
		m->page[m->n++] = page;
		intr_pop_off();
		for (uint32_t i = 0; i < nspill; i++)
			iova_free(&dom->arena, spill[i], npages);
		return;
	}
	spin_lock(&dom->lock);
	if (dom->nbig < IOMMU_BIG_CACHE) {	/* a large range: kept for a map of its size */
		dom->big[dom->nbig++] = (struct iommu_flush_entry){ page, npages };
		npages = 0;
	}
	spin_unlock(&dom->lock);
	if (npages)
		iova_free(&dom->arena, page, npages);
}

/* iommu_iova_put_many: iommu_iova_put of each entry, staying on one hart throughout. */
static void iommu_iova_put_many(struct iommu_domain *dom, const struct iommu_flush_entry *e,
				uint32_t n)
{
	uint32_t i = 0;

	if (!dom->unit->magazines) {
		for (; i < n; i++)
			iova_free(&dom->arena, e[i].page, e[i].npages);
		return;
	}
	while (i < n) {
		intr_push_off();
		for (; i < n; i++) {
			struct iommu_magazine *m;

			if (e[i].npages > IOMMU_MAG_PAGES ||
			    (m = iommu_hart_mag(dom, e[i].npages))->n == IOMMU_MAG_SIZE)
				break;
			m->page[m->n++] = e[i].page;
		}
		intr_pop_off();
		if (i < n) {		/* a large or spilling one: the usual way */
			iommu_iova_put(dom, e[i].page, e[i].npages);
			i++;
		}
	}
}

/* ---- map and unmap -------------------------------------------------------------------------- */

static uint64_t run_pages(const struct iommu_run *r)
{
	return atop(round_page(r->pa + r->len) - trunc_page(r->pa));
}

/*
 * iommu_cache_take_locked: a cached range of npages, false if none: from
 * this hart's magazine, or a large one of the domain's (in phase, modulo
 * 64 KiB, with the first physical page: Svnapot).  => [D] held
 */
static bool iommu_cache_take_locked(struct iommu_domain *dom, uint64_t npages, uint64_t first_pa,
				    uint64_t *page)
{
	struct iommu_magazine *m;
	uint64_t phase;

	LOCK_ASSERT(spin_held(&dom->lock),
		"iommu_cache_take_locked: domain %u not locked", dom->pscid);
	if (!dom->unit->magazines)
		return false;
	if (npages <= IOMMU_MAG_PAGES) {
		if (!(m = iommu_hart_mag(dom, npages))->n)
			return false;
		*page = m->page[--m->n];
		return true;
	}
	phase = atop(first_pa) % NAPOT_64K_PAGES;
	for (uint32_t i = 0; i < dom->nbig; i++)
		if (dom->big[i].npages == npages && dom->big[i].page % NAPOT_64K_PAGES == phase) {
			*page = dom->big[i].page;
			dom->big[i] = dom->big[--dom->nbig];
			return true;
		}
	return false;
}

/* pt_enter_runs_locked: pt_enter_locked of each run, from the I/O address at on.  => [D] held */
static __attribute__((noinline)) bool pt_enter_runs_locked(struct iommu_domain *dom, uint64_t at,
							   const struct iommu_run *runs,
							   uint32_t nruns, int prot)
{
	bool ok = true;

	for (uint32_t i = 0; i < nruns && ok; i++) {
		uint64_t len = ptoa(run_pages(&runs[i]));

		ok = pt_enter_locked(dom, at, trunc_page(runs[i].pa), len, prot);
		at += len;
	}
	return ok;
}

/* pt_enter_page_locked: pt_enter_locked of one page, kept small for the usual DMA of a page. */
static inline bool pt_enter_page_locked(struct iommu_domain *dom, uint64_t iova, uint64_t pa,
					int prot)
{
	uint64_t table;
	pt_entry_t *pte = pt_leaf(dom, iova, true, &table);

	if (!pte)
		return false;
	KASSERT(!(*pte & PTE_V), "iommu: i/o address 0x%lx mapped twice", iova);
	__atomic_store_n(pte, PA_TO_PTE(pa) | pt_bits(prot), __ATOMIC_RELAXED);
	dom->stats.mapped_pages++;
	return true;
}

/*
 * iommu_map_fresh: I/O addresses from the arena for a map this hart's
 * cache could not serve.  => [D] held on entry; KERN_SUCCESS with it held
 * again, or the arena's error with it dropped
 */
static __attribute__((noinline)) kern_return_t iommu_map_fresh(struct iommu_domain *dom,
							       uint64_t total, uint64_t first_pa,
							       uint64_t *page)
{
	kern_return_t kr;

	spin_unlock(&dom->lock);
	/* A range of 64 KiB or more shares its first page's phase in 64 KiB (Svnapot). */
	kr = iommu_iova_alloc(dom, total, total >= NAPOT_64K_PAGES ? NAPOT_64K_PAGES : 1,
			      atop(first_pa) % NAPOT_64K_PAGES, page);
	if (kr == KERN_SUCCESS)
		spin_lock(&dom->lock);
	return kr;
}

kern_return_t iommu_map(struct iommu_domain *dom, const struct iommu_run *runs, uint32_t nruns,
			int prot, uint64_t *iova, uint64_t *npages)
{
	uint64_t total = 0, page;
	kern_return_t kr;
	bool ok;

	for (uint32_t i = 0; i < nruns; i++)
		total += run_pages(&runs[i]);
	if (total == 0)
		return KERN_INVALID_ARGUMENT;
	spin_lock(&dom->lock);		/* interrupts off: this hart's magazine is ours */
	if (!iommu_cache_take_locked(dom, total, runs[0].pa, &page) &&
	    (kr = iommu_map_fresh(dom, total, runs[0].pa, &page)) != KERN_SUCCESS)
		return kr;
	if (total == 1)
		ok = pt_enter_page_locked(dom, ptoa(page), trunc_page(runs[0].pa), prot);
	else if (nruns == 1)
		ok = pt_enter_locked(dom, ptoa(page), trunc_page(runs[0].pa), ptoa(total), prot);
	else
		ok = pt_enter_runs_locked(dom, ptoa(page), runs, nruns, prot);
	if (!ok)	/* what was entered before a table could not be had (the rest is clear) */
		pt_clear_locked(dom, ptoa(page), ptoa(total));
	spin_unlock(&dom->lock);
	if (!ok) {
		iommu_iova_put(dom, page, total);	/* never reachable: no invalidation needed */
		return KERN_RESOURCE_SHORTAGE;
	}
	*iova = ptoa(page) + (runs[0].pa & PAGE_MASK);
	*npages = total;
	return KERN_SUCCESS;
}

/*
 * iommu_flush_locked: invalidate the domain's whole PSCID for the queued
 * ranges, then release them.  => [D] held on entry, dropped (the release
 * happens after the fence, unlocked)
 */
static void iommu_flush_locked(struct iommu_domain *dom)
{
	struct iommu_flush_entry batch[IOMMU_FLUSH_BATCH];
	uint32_t n = dom->nflush;

	KASSERT(spin_held(&dom->lock), "iommu_flush_locked: domain %u not locked", dom->pscid);
	memcpy(batch, dom->flushq, n * sizeof(batch[0]));
	dom->nflush = 0;
	if (n)
		dom->stats.flushes++;
	spin_unlock(&dom->lock);
	if (!n)
		return;
	iommu_invalidate_pscid(dom);
	iommu_iova_put_many(dom, batch, n);
}

void iommu_flush(struct iommu_domain *dom)
{
	spin_lock(&dom->lock);
	iommu_flush_locked(dom);
}

void iommu_quiesce(struct iommu *u)
{
	spin_lock(&u->lock);
	for (struct iommu_domain *dom = u->domains; dom; dom = dom->next) {
		spin_unlock(&u->lock);		/* domains are not freed while their device lives */
		iommu_flush(dom);
		iommu_mags_drain(dom);
		iommu_domain_trim(dom);
		spin_lock(&u->lock);
	}
	spin_unlock(&u->lock);
}

void iommu_unmap(struct iommu_domain *dom, uint64_t iova, uint64_t npages)
{
	uint64_t start = trunc_page(iova);

	struct iommu_inval iv;

	spin_lock(&dom->lock);
	iv.n = 0;
	if (npages >= NAPOT_64K_PAGES)
		pt_clear_blocks_locked(dom, start, ptoa(npages), &iv);
	else
		pt_clear_locked(dom, start, ptoa(npages));
	if (dom->policy == IOMMU_DEFERRED) {
		dom->flushq[dom->nflush++] = (struct iommu_flush_entry){ atop(start), npages };
		if (dom->nflush == IOMMU_FLUSH_BATCH)
			iommu_flush_locked(dom);
		else
			spin_unlock(&dom->lock);
		return;
	}
	spin_unlock(&dom->lock);
	if (npages >= NAPOT_64K_PAGES)
		iommu_invalidate_addrs(dom, &iv);
	else
		iommu_domain_invalidate(dom, start, ptoa(npages));
	iommu_iova_put(dom, atop(start), npages);
}

/* ---- checking and printing ------------------------------------------------------------------- */

struct iommu_check_state {
	struct iommu_domain *dom;
	void (*report)(const char *fmt, ...);
	int bad;
	uint64_t covered;	/* leaves inside allocated ranges */
	uint64_t idle;		/* allocated ranges with no leaf: cached or waiting for a flush */
};

/* check_leaf: one leaf PTE points at a live, wired page. */
static void check_leaf(struct iommu_check_state *st, uint64_t iova, pt_entry_t e)
{
	vm_page_t m = vm_page_lookup_phys(PTE_LEAF_PA(e, iova));

	if (!m || (m->flags & VM_PAGE_FREE) || m->wire_count == 0) {
		st->report("iommu: domain %u i/o address 0x%lx -> 0x%lx: %s\n", st->dom->pscid, iova,
			   PTE_LEAF_PA(e, iova), !m ? "not RAM"
			   : (m->flags & VM_PAGE_FREE) ? "a free page" : "an unwired page");
		st->bad++;
	}
	/* A device leaf: user, accessed, readable, dirty if writable, never executable;
	   Svnapot only in the 64 KiB encoding. */
	if ((e & (PTE_V | PTE_U | PTE_A | PTE_R)) != (PTE_V | PTE_U | PTE_A | PTE_R) ||
	    ((e & PTE_W) && !(e & PTE_D)) || (e & PTE_X) || ((e & PTE_N) && !PTE_NAPOT_OK(e))) {
		st->report("iommu: domain %u i/o address 0x%lx: leaf bits 0x%lx\n", st->dom->pscid,
			   iova, e & 0x3ff);
		st->bad++;
	}
}

/* check_range: an allocated range is mapped whole or not at all (cached, or queued). */
static void check_range(void *arg, uint64_t start, uint64_t npages)
{
	struct iommu_check_state *st = arg;
	uint64_t mapped = 0, table;

	for (uint64_t p = start; p < start + npages; p++) {
		pt_entry_t *pte = pt_leaf(st->dom, ptoa(p), false, &table);

		mapped += pte && (*pte & PTE_V);
	}
	if (mapped && mapped != npages) {
		st->report("iommu: domain %u range 0x%lx+%lu pages: %lu mapped\n", st->dom->pscid,
			   ptoa(start), npages, mapped);
		st->bad++;
	}
	st->covered += mapped;
	st->idle += mapped == 0;
}

/* check_table: the table at pa (level lvl, mapping from base) and below.  => its leaves */
static uint64_t check_table(struct iommu_check_state *st, uint64_t pa, int lvl, uint64_t base)
{
	uint64_t leaves = 0;

	for (int i = 0; i < PT_ENTRIES; i++) {
		pt_entry_t e = pt_table(pa)[i];
		uint64_t va = base + ((uint64_t)i << PT_LEVEL_SHIFT(lvl));

		if (!(e & PTE_V))
			continue;
		if (lvl == 0) {
			check_leaf(st, va, e);
			leaves++;
			/* The 16 leaves of a Svnapot block are one and the same. */
			if ((e & PTE_N) && e != pt_table(pa)[i & ~(NAPOT_64K_PAGES - 1)]) {
				st->report("iommu: domain %u i/o address 0x%lx: its 64 KiB block "
					   "disagrees\n", st->dom->pscid, va);
				st->bad++;
			}
		} else if (PTE_IS_LEAF(e)) {	/* the driver maps 4 KiB pages only */
			st->report("iommu: domain %u: a level-%d leaf at 0x%lx\n", st->dom->pscid, lvl,
				   va);
			st->bad++;
		} else {
			leaves += check_table(st, PTE_TO_PA(e), lvl - 1, va);
		}
	}
	return leaves;
}

/* mags_count: ranges in the domain's magazines (quiescent domains: no hart uses them now). */
static uint32_t mags_count(struct iommu_domain *dom)
{
	uint32_t n = 0;

	for (int h = 0; h < hart_count; h++)
		for (int c = 0; c < IOMMU_MAG_PAGES; c++)
			n += __atomic_load_n(&dom->cache[h].mag[c].n, __ATOMIC_RELAXED);
	return n;
}

static int iommu_domain_check(struct iommu_domain *dom, void (*report)(const char *fmt, ...))
{
	struct iommu_check_state st = { .dom = dom, .report = report };
	uint64_t leaves;
	uint32_t waiting;

	st.bad = iova_arena_check(&dom->arena, report);
	spin_lock(&dom->lock);
	leaves = check_table(&st, dom->root_pa, PT_LEVELS - 1, 0);
	iova_arena_walk(&dom->arena, check_range, &st);
	waiting = dom->nflush;
	/* Every leaf lies in an allocated range: the leaves counted in ranges are all of them. */
	if (st.covered != leaves || leaves != dom->stats.mapped_pages) {
		report("iommu: domain %u has %lu leaves (counted %lu), %lu of them in allocated "
		       "ranges\n", dom->pscid, leaves, dom->stats.mapped_pages, st.covered);
		st.bad++;
	}
	spin_unlock(&dom->lock);
	/* Unmapped ranges are exactly the cached and the queued ones (quiescent domains only). */
	waiting += mags_count(dom) + dom->nbig;
	if (st.idle != waiting) {
		report("iommu: domain %u: %lu unmapped ranges, %u cached or queued\n", dom->pscid,
		       st.idle, waiting);
		st.bad++;
	}
	return st.bad;
}

int iommu_check(struct iommu *u, void (*report)(const char *fmt, ...))
{
	int bad = 0;

	for (struct iommu_domain *dom = u->domains; dom; dom = dom->next)
		bad += iommu_domain_check(dom, report);
	for (struct iommu_device *d = u->devices; d; d = d->next) {
		struct rio_device_context *dc = iommu_device_context(u, d->device_id);

		/* Each attached device's context is valid and names its domain's table and PSCID. */
		if (!dc || !(dc->tc & RIO_TC_V) ||
		    ((dc->ta >> RIO_TA_PSCID_SHIFT) & RIO_TA_PSCID_MASK) != d->domain->pscid ||
		    (dc->fsc & RIO_ATP_PPN_MASK) != d->domain->root_pa >> PAGE_SHIFT) {
			report("iommu: device %s (0x%x): context does not name domain %u\n", d->name,
			       d->device_id, d->domain->pscid);
			bad++;
		}
	}
	return bad;
}

void iommu_print(struct iommu *u, int (*print)(const char *fmt, ...))
{
	const struct iommu_hw_stats *hs = &u->hw.stats;

	iommu_faults_drain(u);
	print("iommu: %d-level directory (%lu pages), IOTLB %u/%u entries, %lu translations "
	      "(%lu IOTLB misses), %lu commands, %lu faults (%lu lost, %lu overflows)\n",
	      u->ddt_levels, u->ddt_pages, iommu_hw_iotlb_count(&u->hw, UINT32_MAX),
	      IOMMU_HW_IOTLB_SETS * IOMMU_HW_IOTLB_WAYS, hs->translations, hs->iotlb_misses,
	      hs->commands, hs->faults, hs->faults_lost, u->overflows);
	for (struct iommu_device *d = u->devices; d; d = d->next) {
		struct iommu_domain *dom = d->domain;

		print("  %-20s id %02x:%02x.%u  domain %u %s, below 0x%lx: %lu pages mapped, "
		      "%lu table pages, IOTLB %u, %lu invalidations, %u awaiting flush\n",
		      d->name, d->device_id >> 8, (d->device_id >> 3) & 0x1f, d->device_id & 7,
		      dom->pscid, dom->policy == IOMMU_STRICT ? "strict" : "deferred", dom->limit,
		      dom->stats.mapped_pages, dom->stats.table_pages,
		      iommu_hw_iotlb_count(&u->hw, dom->pscid),
		      dom->stats.invalidations, dom->nflush);
	}
	for (uint64_t i = u->faults_seen > IOMMU_FAULT_LOG ? u->faults_seen - IOMMU_FAULT_LOG : 0;
	     i < u->faults_seen; i++) {
		const struct iommu_fault *f = &u->faults[i % IOMMU_FAULT_LOG];

		print("  fault %lu: device 0x%x %s at 0x%lx\n", i, f->device_id,
		      iommu_cause_name(f->cause), f->iova);
	}
}
