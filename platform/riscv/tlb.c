/*
 * tlb.c: see tlb.h.  sfence.vma with rs1 = va, rs2 = x0 invalidates every
 * leaf entry, of any size and any ASID, that maps va (privileged spec,
 * "Supervisor Memory-Management Fence Instruction").
 */
#include "kern/kernel.h"
#include "platform/riscv/hart.h"
#include "platform/riscv/riscv.h"
#include "platform/riscv/smp.h"
#include "platform/riscv/tlb.h"
#include "vm/vm_types.h"

struct tlb_request {
	uint64_t start, end;	/* written before pending, read after it */
	uint64_t pending;	/* [a] target harts that have not acknowledged */
};

static struct tlb_request tlb_requests[HART_MAX];	/* one per initiating hart */
static uint64_t tlb_shootdown_total;

void tlb_flush_local(uint64_t start, uint64_t end)
{
	if (end - start > TLB_RANGE_MAX_PAGES * PAGE_SIZE) {
		sfence_vma_all();
		return;
	}
	for (uint64_t va = start; va < end; va += PAGE_SIZE)
		__asm__ volatile("sfence.vma %0, zero" :: "r"(va) : "memory");
}

uint64_t tlb_all_harts(void)
{
	return hart_count == 64 ? ~0ul : (1ul << hart_count) - 1;
}

void tlb_process_requests(void)
{
	struct hart *h = hart_self();
	uint64_t me = 1ul << h->index;

	for (int i = 0; i < hart_count; i++) {
		struct tlb_request *r = &tlb_requests[i];

		if (!(__atomic_load_n(&r->pending, __ATOMIC_ACQUIRE) & me))
			continue;
		tlb_flush_local(r->start, r->end);
		/* The last target to acknowledge ends the initiator's wfi. */
		if ((__atomic_fetch_and(&r->pending, ~me, __ATOMIC_ACQ_REL) & ~me) == 0)
			smp_ipi_send(i, IPI_PING);
	}
}

/* tlb_wait: sleep in wfi until every target acknowledged, serving requests meanwhile. */
static void tlb_wait(struct tlb_request *r)
{
	struct hart *h = hart_self();

	for (;;) {
		csr_clear(sip, SIE_SSIE);	/* the next IPI ends wfi; reasons stay in ipi_pending */
		tlb_process_requests();
		if (!__atomic_load_n(&r->pending, __ATOMIC_ACQUIRE))
			break;
		wfi();
	}
	if (__atomic_load_n(&h->ipi_pending, __ATOMIC_ACQUIRE))
		csr_set(sip, SIE_SSIE);		/* let the handler see what arrived */
}

void tlb_shootdown(uint64_t harts, uint64_t start, uint64_t end)
{
	/* Interrupts off (SIE kept here, not in the hart's nesting): no move to another hart. */
	uint64_t sie = csr_read_clear(sstatus, SSTATUS_SIE) & SSTATUS_SIE;
	struct hart *h = hart_self();
	uint64_t me = 1ul << h->index, targets = harts & ~me;

	if (harts & me)
		tlb_flush_local(start, end);
	if (targets)
		targets &= smp_online_mask();
	if (targets) {
		struct tlb_request *r = &tlb_requests[h->index];

		r->start = start;
		r->end = end;
		__atomic_store_n(&r->pending, targets, __ATOMIC_RELEASE);
		smp_ipi_send_mask(targets, IPI_TLB);
		tlb_wait(r);
		__atomic_fetch_add(&tlb_shootdown_total, 1, __ATOMIC_RELAXED);
	}
	csr_set(sstatus, sie);
}

uint64_t tlb_shootdowns(void)
{
	return __atomic_load_n(&tlb_shootdown_total, __ATOMIC_RELAXED);
}
