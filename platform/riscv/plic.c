/*
 * plic.c: register map from the PLIC specification, chapter 3:
 *   priority    base + 4 * source
 *   pending     base + 0x1000                    (one bit per source)
 *   enable      base + 0x2000 + 0x80 * context   (one bit per source)
 *   threshold   base + 0x200000 + 0x1000 * context
 *   claim/done  base + 0x200004 + 0x1000 * context
 */
#include "kern/kernel.h"
#include "kern/spinlock.h"
#include "platform/riscv/hart.h"
#include "platform/riscv/kmap.h"
#include "platform/riscv/plic.h"
#include "platform/riscv/riscv.h"
#include "platform/riscv/trap.h"

#define PLIC_MAX_SOURCES	1024
#define PLIC_PRIORITY(s)	(4u * (s))
#define PLIC_PENDING(s)		(0x1000u + 4u * ((s) / 32))
#define PLIC_ENABLE(c, s)	(0x2000u + 0x80u * (c) + 4u * ((s) / 32))
#define PLIC_THRESHOLD(c)	(0x200000u + 0x1000u * (c))
#define PLIC_CLAIM(c)		(0x200004u + 0x1000u * (c))

struct plic_source {
	plic_handler_t fn;
	void *arg;
	uint64_t harts;			/* hart indices whose contexts take it */
	uint64_t count;
	uint32_t in_service;		/* [a] claimed by a hart, its handler not yet done */
};

static volatile uint8_t *plic_regs;
static uint32_t plic_ndev;
static struct plic_source plic_sources[PLIC_MAX_SOURCES];
static struct spinlock plic_lock = SPINLOCK_INIT("plic");

static volatile uint32_t *plic_reg(uint32_t off)
{
	return (volatile uint32_t *)(plic_regs + off);
}

void plic_init(const struct platform_info *info)
{
	if (!info->plic.base)
		panic("plic: the DTB describes no PLIC");
	plic_regs = kmap_mmio(info->plic.base, info->plic.size);
	plic_ndev = MIN(info->plic_ndev, PLIC_MAX_SOURCES - 1);
	for (uint32_t s = 1; s <= plic_ndev; s++)
		*plic_reg(PLIC_PRIORITY(s)) = 0;
}

void plic_init_hart(void)
{
	int ctx = hart_self()->plic_context;

	if (ctx < 0 || !plic_regs)
		return;
	*plic_reg(PLIC_THRESHOLD(ctx)) = 0;
	csr_set(sie, SIE_SEIE);
}

static void plic_enable(uint32_t irq, int ctx, bool on)
{
	volatile uint32_t *en = plic_reg(PLIC_ENABLE(ctx, irq));

	if (on)
		*en |= 1u << (irq % 32);
	else
		*en &= ~(1u << (irq % 32));
}

/* plic_route: enable or disable irq in the S context of every hart in mask.  => plic_lock held */
static void plic_route(uint32_t irq, uint64_t mask, bool on)
{
	LOCK_ASSERT(spin_held(&plic_lock), "plic_route: plic_lock not held");

	for (int h = 0; h < hart_count; h++)
		if ((mask >> h & 1) && harts[h].plic_context >= 0)
			plic_enable(irq, harts[h].plic_context, on);
}

/* plic_harts: the harts `hart` names (an index or PLIC_EVERY_HART) that have an S context; 0 if none. */
static uint64_t plic_harts(int hart)
{
	uint64_t mask = 0;

	if (hart < PLIC_EVERY_HART || hart >= hart_count)
		return 0;
	for (int h = 0; h < hart_count; h++)
		if ((hart == PLIC_EVERY_HART || hart == h) && harts[h].plic_context >= 0)
			mask |= 1ul << h;
	return mask;
}

int plic_register(uint32_t irq, plic_handler_t fn, void *arg, int hart)
{
	uint64_t mask = plic_harts(hart);

	if (irq == 0 || irq > plic_ndev || !mask)
		return -1;
	spin_lock(&plic_lock);
	plic_sources[irq] = (struct plic_source){ .fn = fn, .arg = arg, .harts = mask };
	*plic_reg(PLIC_PRIORITY(irq)) = 1;
	plic_route(irq, mask, true);
	spin_unlock(&plic_lock);
	return 0;
}

int plic_retarget(uint32_t irq, int hart)
{
	uint64_t mask = plic_harts(hart);
	int err = -1;

	if (irq == 0 || irq > plic_ndev || !mask)
		return -1;
	spin_lock(&plic_lock);
	if (plic_sources[irq].fn) {
		plic_route(irq, plic_sources[irq].harts & ~mask, false);
		plic_route(irq, mask, true);
		plic_sources[irq].harts = mask;
		err = 0;
	}
	spin_unlock(&plic_lock);
	return err;
}

void plic_unregister(uint32_t irq)
{
	if (irq == 0 || irq > plic_ndev)
		return;
	spin_lock(&plic_lock);
	*plic_reg(PLIC_PRIORITY(irq)) = 0;
	plic_route(irq, plic_sources[irq].harts, false);
	plic_sources[irq].fn = NULL;
	spin_unlock(&plic_lock);
}

bool plic_pending(uint32_t irq)
{
	if (!irq || irq > plic_ndev)
		return false;
	return __atomic_load_n(&plic_sources[irq].in_service, __ATOMIC_ACQUIRE) ||
	       (*plic_reg(PLIC_PENDING(irq)) & (1u << (irq % 32)));
}

uint64_t plic_count(uint32_t irq)
{
	return irq < PLIC_MAX_SOURCES ? __atomic_load_n(&plic_sources[irq].count, __ATOMIC_RELAXED) : 0;
}

void plic_interrupt(void)
{
	struct hart *h = hart_self();
	int ctx = h->plic_context;
	uint32_t irq;

	while ((irq = *plic_reg(PLIC_CLAIM(ctx))) != 0) {
		struct plic_source *s = &plic_sources[irq];

		h->external_irqs++;
		if (irq <= plic_ndev && s->fn) {
			__atomic_fetch_add(&s->in_service, 1, __ATOMIC_ACQ_REL);
			__atomic_fetch_add(&s->count, 1, __ATOMIC_RELAXED);
			s->fn(irq, s->arg);
			__atomic_fetch_sub(&s->in_service, 1, __ATOMIC_RELEASE);
		} else {
			kprintf("plic: spurious source %u\n", irq);
		}
		*plic_reg(PLIC_CLAIM(ctx)) = irq;
	}
}
