/*
 * hart.h: per-hart data.  tp always points at the running hart's struct hart
 * while in S-mode; sscratch holds it while the hart runs U-mode code and is 0
 * while in S-mode (trap.S relies on that to tell the two apart).
 *
 * Lock tags: kern/lock.h; [c] fields are written once, at the hart's bring-up.
 */
#ifndef PLATFORM_RISCV_HART_H
#define PLATFORM_RISCV_HART_H

/*
 * tp is also the C library's thread pointer: picolibc keeps errno in TLS at
 * tp + offset.  The first HART_TLS_SIZE bytes of struct hart are that TLS
 * block (kernel.ld asserts the library's TLS fits).
 */
#define HART_TLS_SIZE		64
#define HART_KSTACK_TOP		HART_TLS_SIZE		/* offsets used by assembly */
#define HART_USER_SP		(HART_TLS_SIZE + 8)
#define HART_KSTACK_BOTTOM	(HART_TLS_SIZE + 16)
#define HART_ESTACK_TOP		(HART_TLS_SIZE + 24)

#define HART_MAX 16
/* Hart ids below this find their struct hart in boot_mailbox[hartid] (start.S). */
#define BOOT_MAILBOXES 16

#ifndef __ASSEMBLER__
#include <stdbool.h>
#include <stdint.h>

#include "platform/riscv/riscv.h"

struct thread;
struct pmap;

struct hart {
	uint8_t tls[HART_TLS_SIZE];	/* [h] the C library's thread-local data */
	uint64_t kstack_top;		/* [h] stack for traps from U-mode (trap.S) */
	uint64_t user_sp;		/* [h] U-mode sp parked by trap.S */
	uint64_t kstack_bottom;		/* [h] the running thread's stack bottom, 0 = unknown */
	uint64_t estack_top;		/* [c] stack for reporting a kernel stack overflow */
	uint32_t index;			/* [c] logical number, 0 .. hart_count-1 */
	uint32_t hartid;		/* [c] hart id the SBI uses */
	struct thread *cur;		/* [h] running thread */
	struct thread *idle;		/* [c] this hart's idle thread */
	struct thread *reap;		/* [h] exited detached thread to free after the switch */
	int noff;			/* [h] depth of intr_push_off */
	bool intena;			/* [h] SIE before the outermost push_off */
	bool need_resched;		/* [h] set by the tick, acted on at trap exit */
	bool online;			/* [a] reached the scheduler */
	int plic_context;		/* [c] PLIC context for S external irqs, -1 none */
	struct pmap *pmap_active;	/* [h] address space in satp */
	uint64_t asid_gen;		/* [h] ASID generation this hart's TLB belongs to */
	uint64_t ipi_pending;		/* [a] IPI_* bits sent to this hart */
	uint64_t ipi_count;		/* [h] IPIs taken */
	uint64_t ticks;			/* [h] timer interrupts taken */
	uint64_t external_irqs;		/* [h] PLIC sources claimed */
	uint64_t next_tick;		/* [h] stimecmp value of the next tick ([a] to others) */
	uint64_t tick_woken;		/* [a] when another hart last woke it over a late tick */
	uint32_t start_stage;		/* [a] how far kmain_secondary got (smp_start_one reports it) */
} __attribute__((aligned(64)));

_Static_assert(__builtin_offsetof(struct hart, kstack_top) == HART_KSTACK_TOP, "hart layout");
_Static_assert(__builtin_offsetof(struct hart, user_sp) == HART_USER_SP, "hart layout");
_Static_assert(__builtin_offsetof(struct hart, kstack_bottom) == HART_KSTACK_BOTTOM, "hart layout");
_Static_assert(__builtin_offsetof(struct hart, estack_top) == HART_ESTACK_TOP, "hart layout");

extern struct hart harts[HART_MAX];
extern int hart_count;			/* harts described by the DTB and started */

static inline struct hart *hart_self(void)
{
	struct hart *h;

	__asm__ volatile("mv %0, tp" : "=r"(h));
	return h;
}

/* hart_by_hartid: the struct hart of an SBI hart id, or NULL. */
struct hart *hart_by_hartid(uint32_t hartid);

/* Interrupt enable nesting (xv6 push_off/pop_off); inline: every spinlock pair runs them. */
static inline bool intr_enabled(void)
{
	return (csr_read(sstatus) & SSTATUS_SIE) != 0;
}

static inline void intr_enable(void)
{
	csr_set(sstatus, SSTATUS_SIE);
}

static inline void intr_disable(void)
{
	csr_clear(sstatus, SSTATUS_SIE);
}

/* intr_push_off: interrupts off (read and cleared in one csrrc), one level deeper. */
static inline void intr_push_off(void)
{
	bool on = (csr_read_clear(sstatus, SSTATUS_SIE) & SSTATUS_SIE) != 0;
	struct hart *h = hart_self();

	if (h->noff++ == 0)
		h->intena = on;
}

/* intr_pop_bad: an unbalanced pop, or interrupts found on inside a push (panics). */
void intr_pop_bad(void) __attribute__((noreturn, cold));

/* intr_pop_off: one level out; interrupts back on when the outermost push found them on. */
static inline void intr_pop_off(void)
{
	struct hart *h = hart_self();

	if (intr_enabled() || h->noff < 1)
		intr_pop_bad();
	if (--h->noff == 0 && h->intena)
		intr_enable();
}

#endif /* __ASSEMBLER__ */
#endif
