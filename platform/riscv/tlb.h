/*
 * tlb.h: TLB invalidation on this hart and on others (shootdown by IPI).
 *
 * A shootdown posts one request per initiating hart and interrupts the
 * targets; each target invalidates and acknowledges.  Targets also serve
 * requests while spinning on a spinlock or waiting for their own
 * shootdown, so an initiator holding a lock never deadlocks with a hart
 * that waits for it with interrupts off.
 */
#ifndef PLATFORM_RISCV_TLB_H
#define PLATFORM_RISCV_TLB_H

#include <stdint.h>

#define TLB_FLUSH_ALL		0, UINT64_MAX	/* start, end meaning "everything" */
/*
 * Ranges of more than this many pages get one sfence.vma for everything.
 * QEMU 7.2, the machine this image targets, empties its whole software TLB
 * (and jump cache) on every sfence.vma whatever its operands, so a loop of
 * per-page fences only repeats that work (a pageout cluster's 16 fences
 * cost about 10% of pageout throughput).  Hardware whose per-page fence
 * is cheap wants tens of pages here.
 */
#define TLB_RANGE_MAX_PAGES	1

/* tlb_flush_local: sfence.vma [start, end) (all address spaces) on this hart. */
void tlb_flush_local(uint64_t start, uint64_t end);
/*
 * tlb_shootdown: invalidate [start, end) on every hart in `harts` (bit i =
 * hart index i; offline harts ignored) and wait until all have.
 * => may be called with spinlocks held and interrupts off
 */
void tlb_shootdown(uint64_t harts, uint64_t start, uint64_t end);
/* tlb_process_requests: serve the shootdown requests aimed at this hart. */
void tlb_process_requests(void);
/* tlb_shootdowns: shootdowns that interrupted another hart, for tests. */
uint64_t tlb_shootdowns(void);
uint64_t tlb_all_harts(void);

#endif
