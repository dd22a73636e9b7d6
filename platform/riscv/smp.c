/*
 * smp.c: see smp.h.
 */
#include <string.h>

#include "kern/kernel.h"
#include "kern/boot.h"
#include "kern/cmdline.h"
#include "vm/pmap.h"
#include "kern/spinlock.h"
#include "kern/thread.h"
#include "platform/riscv/hart.h"
#include "platform/riscv/kmap.h"
#include "platform/riscv/plic.h"
#include "platform/riscv/riscv.h"
#include "platform/riscv/sbi.h"
#include "platform/riscv/smp.h"
#include "platform/riscv/timer.h"
#include "platform/riscv/tlb.h"
#include "platform/riscv/trap.h"
#include "platform/riscv/vmlayout.h"

/* Generous: with one host thread for every hart (-accel tcg,thread=single) on a
   busy host, a started hart has been seen to wait over 2 s for its first turn. */
#define SMP_START_TIMEOUT_NS	(10ul * 1000 * 1000 * 1000)

struct hart harts[HART_MAX];
int hart_count;

/* One outstanding cross-hart call per target hart. */
struct smp_call_slot {
	int busy;			/* [a] claimed by a caller */
	void (*fn)(void *);
	void *arg;
	int caller;			/* hart index to wake when done */
	int done;			/* [a] set by the target */
};
static struct smp_call_slot smp_calls[HART_MAX];

extern char _start[], secondary_start[];
extern uint64_t boot_mailbox[BOOT_MAILBOXES];
extern char boot_stack_top[];

struct hart *hart_by_hartid(uint32_t hartid)
{
	for (int i = 0; i < hart_count; i++)
		if (harts[i].hartid == hartid)
			return &harts[i];
	return NULL;
}

void smp_init_boot(const struct platform_info *info, uint32_t boot_hartid)
{
	bool found = false;
	int n = 1;

	harts[0].hartid = boot_hartid;
	for (int i = 0; i < info->nharts; i++) {
		const struct fdt_hart *fh = &info->harts[i];
		struct hart *h;

		if (fh->hartid == boot_hartid) {
			harts[0].plic_context = fh->plic_s_context;
			found = fh->okay;
			continue;
		}
		if (!fh->okay || n == HART_MAX)
			continue;
		h = &harts[n];
		h->index = n++;
		h->hartid = fh->hartid;
		h->plic_context = fh->plic_s_context;
	}
	/* The firmware started a hart the DTB does not give us: the DTB is not this machine's. */
	if (!found)
		panic("boot: hart %u, which the firmware started, is not an enabled cpu of the "
		      "device tree", boot_hartid);
	hart_count = n;
}

/* kmain_secondary: a started hart's first C code, on its own stack, paging on. */
void kmain_secondary(uint64_t hartid, struct hart *h)
{
	(void)hartid;
	__atomic_store_n(&h->start_stage, 1, __ATOMIC_RELEASE);
	trap_init_hart();
	thread_init_hart(h);
	__atomic_store_n(&h->start_stage, 2, __ATOMIC_RELEASE);
	plic_init_hart();
	csr_set(sie, SIE_SSIE);
	timer_init_hart();
	__atomic_store_n(&h->start_stage, 3, __ATOMIC_RELEASE);
	thread_idle_loop();
}

TUNABLE_TEXT(tunable_stale_start, "smp.stale_start", "entry|opaque", "entry|opaque", "none",
	     "(tests) start the harts as OpenSBI 1.1 may when they wake early: at the boot "
	     "entry, or at the secondary entry with the DTB's address as their opaque value");

/* smp_start_entry: where hart_start sends a hart, and with what (*opaque). */
static uint64_t smp_start_entry(struct hart *h, uint64_t *opaque)
{
	char stale[8];

	*opaque = (uint64_t)h;
	if (!tunable_text(&tunable_stale_start, stale, sizeof(stale)))
		return KIMG_TO_PHYS(secondary_start);
	*opaque = boot.dtb_pa;
	return strcmp(stale, "entry") == 0 ? KIMG_TO_PHYS(_start) : KIMG_TO_PHYS(secondary_start);
}

static bool smp_start_one(struct hart *h)
{
	vm_page_t stack = vm_page_alloc_contig(THREAD_STACK_SIZE / PAGE_SIZE, 1);
	uint64_t deadline, entry, opaque;
	struct sbiret r;

	if (!stack)
		return false;
	h->kstack_top = (uint64_t)pmap_direct_map(stack->phys_addr) + THREAD_STACK_SIZE;
	h->pmap_active = kernel_pmap;
	/*
	 * OpenSBI 1.1's hart_start marks the hart START_PENDING before it
	 * stores the start address and opaque value; a hart that wakes in
	 * between jumps with stale ones, to the boot entry (where it waits
	 * for its mailbox, start.S) or to secondary_start with the DTB's
	 * address as its opaque value.  The mailbox, written first, hands
	 * it its struct hart either way.  If its books still say "running"
	 * SBI refuses the start, which the mailbox has already done.
	 */
	if (h->hartid < BOOT_MAILBOXES)
		__atomic_store_n(&boot_mailbox[h->hartid], (uint64_t)h, __ATOMIC_RELEASE);
	entry = smp_start_entry(h, &opaque);
	r = sbi_hart_start(h->hartid, entry, opaque);
	if (r.error == SBI_ERR_ALREADY_AVAILABLE && h->hartid < BOOT_MAILBOXES)
		r.error = 0;
	if (r.error) {
		kprintf("smp: hart %u did not start (SBI error %ld)\n", h->hartid, r.error);
		vm_page_free_contig(stack, THREAD_STACK_SIZE / PAGE_SIZE);
		return false;
	}
	deadline = timer_now() + timer_ns_to_ticks(SMP_START_TIMEOUT_NS);
	while (!__atomic_load_n(&h->online, __ATOMIC_ACQUIRE) && timer_now() < deadline)
		;
	if (!h->online) {
		/* HSM status 2 (start pending): the firmware never let it go. */
		r = sbi_hart_get_status(h->hartid);
		kprintf("smp: hart %u started but never came online (HSM status %ld, kmain_secondary "
			"stage %u of 3)\n", h->hartid, r.error ? r.error : (long)r.value,
			__atomic_load_n(&h->start_stage, __ATOMIC_ACQUIRE));
	}
	return h->online;
}

int smp_start_secondaries(void)
{
	int online = 1;

	harts[0].online = true;
	for (int i = 1; i < hart_count; i++)
		online += smp_start_one(&harts[i]);
	return online;
}

int smp_online_count(void)
{
	int n = 0;

	for (int i = 0; i < hart_count; i++)
		n += __atomic_load_n(&harts[i].online, __ATOMIC_ACQUIRE);
	return n;
}

void smp_ipi_send(int target, uint64_t reasons)
{
	struct hart *h = &harts[target];

	KASSERT(target >= 0 && target < hart_count, "smp_ipi_send: hart %d", target);
	__atomic_fetch_or(&h->ipi_pending, reasons, __ATOMIC_RELEASE);
	sbi_send_ipi(1, h->hartid);
}

/*
 * smp_ipi_send_mask: hart ids are usually small and dense; one SBI call
 * covers all targets whose id is within 64 of the lowest.
 */
void smp_ipi_send_mask(uint64_t targets, uint64_t reasons)
{
	unsigned long base = ~0ul, mask = 0;

	for (int i = 0; i < hart_count; i++) {
		if (!(targets & (1ul << i)))
			continue;
		__atomic_fetch_or(&harts[i].ipi_pending, reasons, __ATOMIC_RELEASE);
		base = MIN(base, harts[i].hartid);
	}
	for (int i = 0; i < hart_count; i++) {
		if (!(targets & (1ul << i)))
			continue;
		if (harts[i].hartid - base >= 64) {
			sbi_send_ipi(1, harts[i].hartid);
			continue;
		}
		mask |= 1ul << (harts[i].hartid - base);
	}
	if (mask)
		sbi_send_ipi(mask, base);
}

uint64_t smp_online_mask(void)
{
	uint64_t m = 0;

	for (int i = 0; i < hart_count; i++)
		if (__atomic_load_n(&harts[i].online, __ATOMIC_ACQUIRE))
			m |= 1ul << i;
	return m;
}

void smp_spin_poll(void)
{
	struct hart *h = hart_self();

	if (__atomic_load_n(&h->ipi_pending, __ATOMIC_RELAXED) & IPI_TLB) {
		__atomic_fetch_and(&h->ipi_pending, ~IPI_TLB, __ATOMIC_ACQUIRE);
		tlb_process_requests();
	}
}

static void smp_call_run(struct hart *h)
{
	struct smp_call_slot *c = &smp_calls[h->index];

	int caller = c->caller;

	c->fn(c->arg);
	__atomic_store_n(&c->done, 1, __ATOMIC_RELEASE);
	smp_ipi_send(caller, IPI_PING);		/* wake the caller's wfi */
}

static void smp_park(void)
{
	intr_disable();
	for (;;)
		wfi();
}

void ipi_interrupt(void)
{
	struct hart *h = hart_self();
	uint64_t reasons;

	csr_clear(sip, SIE_SSIE);
	reasons = __atomic_exchange_n(&h->ipi_pending, 0, __ATOMIC_ACQUIRE);
	h->ipi_count++;
	if (reasons & IPI_STOP)
		smp_park();
	if (reasons & IPI_TLB)
		tlb_process_requests();
	if (reasons & IPI_CALL)
		smp_call_run(h);
	if (reasons & IPI_RESCHED)
		h->need_resched = true;
	if (reasons & IPI_PING)
		timer_check();		/* a ticking hart may have woken us over a late tick */
}

void smp_call(int target, void (*fn)(void *), void *arg)
{
	struct smp_call_slot *c = &smp_calls[target];

	intr_push_off();	/* decide "is it us" where we cannot migrate */
	if (target == (int)hart_self()->index) {
		fn(arg);
		intr_pop_off();
		return;
	}
	intr_pop_off();
	KASSERT(intr_enabled(), "smp_call: interrupts off (a spinlock held?)");
	/* Wait with interrupts on: the target may be calling us at the same time. */
	while (__atomic_exchange_n(&c->busy, 1, __ATOMIC_ACQUIRE))
		;
	c->fn = fn;
	c->arg = arg;
	c->done = 0;
	intr_push_off();	/* the IPI back goes to the hart that sleeps in wfi below */
	c->caller = (int)hart_self()->index;
	smp_ipi_send(target, IPI_CALL);
	/*
	 * Sleep in wfi until the target's IPI says done.  The check runs with
	 * interrupts off so the IPI cannot slip in between it and the wfi (a
	 * pending interrupt ends wfi even then, priv spec 3.3.3); turning them
	 * back on takes it, and any call aimed at this hart meanwhile.
	 */
	while (!__atomic_load_n(&c->done, __ATOMIC_ACQUIRE)) {
		wfi();
		/* Take pending interrupts (the ack, calls aimed at us) without migrating. */
		intr_enable();
		intr_disable();
	}
	intr_pop_off();
	__atomic_store_n(&c->busy, 0, __ATOMIC_RELEASE);
}

void smp_stop_others(void)
{
	struct hart *self = hart_self();

	for (int i = 0; i < hart_count; i++)
		if (&harts[i] != self && harts[i].online)
			smp_ipi_send(i, IPI_STOP);
}

void intr_pop_bad(void)
{
	if (intr_enabled())
		panic("intr_pop_off: interrupts on");
	panic("intr_pop_off: unbalanced");
}
