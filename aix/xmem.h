/*
 * xmem.h: the AIX cross-memory services: xmattach / xmattach64 describe
 * a buffer of an address space (a task's, or the kernel's) in a
 * descriptor; xmemin / xmemout copy between it and kernel memory from any
 * thread, the task's or not, and from an interrupt handler while the
 * pages are resident; xmemdma prepares one of its pages for DMA (hide)
 * and ends that (unhide); xmdetach ends the attachment.
 *
 * Over the Mach machinery: an attachment holds a reference to the map and
 * attaches every object behind the buffer (vm_map_attach_objects): the
 * objects cannot go away while the descriptor lives, whatever the task
 * does with its map meanwhile (it may unmap the buffer, or end), and the
 * copies go through the objects, paging in as a fault would.  A fork of
 * the task copies the attached ranges at once, so the task keeps what the
 * copies write.  Cross-memory descriptors are not inherited.
 *
 * xmemdma hides a page as AIX does on a cache-inconsistent machine: every
 * mapping of it is removed and the page is made busy, so that any CPU
 * access faults and the thread waits in vm_fault until the last unhide.
 * The page must be pinned.  Hides nest per page: the first hide and the
 * last unhide act.  On RISC-V the cache flush AIX does first is not needed
 * for coherent DMA (QEMU's virt: every device is coherent); a hart with
 * Zicbom and a non-coherent device would write back and invalidate the
 * page (cbo.flush) there.  The address returned is the page's physical
 * address, unless the descriptor names the device (xmem_dma_bind, ours):
 * then the first hide prepares the page for it through its DMA engine
 * (drivers/dma/dma.h) and returns the device's address for it, the I/O
 * address when the engine is the IOMMU's, and the last unhide completes
 * it (the IOMMU mapping goes, invalidated).
 *
 * Returns are AIX's: XMEM_SUCC or XMEM_FAIL; xmemdma the real address or
 * XMEM_FAIL.  Where ours differ: xmattach of kernel memory takes only
 * kernel_map's (kmem and the heaps; the image and the direct map are
 * resident always and reached directly); xmdetach refuses a descriptor
 * with pages still hidden; xmemdma returns int64_t (AIX's int cannot hold
 * a 64-bit real address); a hide that would wait for a busy page fails
 * where the caller cannot sleep.  xmdetach at interrupt level ends the
 * descriptor at once and leaves the release of the objects and the map,
 * which may sleep, to a thread (xmem_reaper).
 *
 * Lock tags: kern/lock.h.  The hidden-page table is [X] (xmem_lock).
 */
#ifndef AIX_XMEM_H
#define AIX_XMEM_H

#include <stdint.h>

#include "vm/xmalloc.h"

/* Address spaces (aspace_id) and the attach segflag values (AIX's). */
#define XMEM_PROC	0		/* a process's (a task's) address space */
#define XMEM_GLOBAL	(-1)		/* the kernel's */
#define XMEM_INVAL	(-2)		/* no attachment: set before xmattach and by xmdetach */

#define USER_ADSPACE	0		/* xmattach: the calling task's space */
#define SYS_ADSPACE	1		/* xmattach: the kernel's */

#define XMEM_SUCC	0
#define XMEM_FAIL	(-1)

/* xmemdma flags (AIX's values: a hide is a call without XMEM_UNHIDE). */
#define XMEM_HIDE	0x0
#define XMEM_UNHIDE	0x1
#define XMEM_ACC_CHK	0x2		/* check the page's protection */
#define XMEM_WRITE_ONLY	0x4		/* with ACC_CHK: the device only reads the page */

struct xm_attach;

/* A cross-memory descriptor (AIX struct xmem; the fields AIX names, and ours). */
struct xmem {
	int aspace_id;			/* XMEM_PROC, XMEM_GLOBAL, or XMEM_INVAL */
	caddr_t uaddr;			/* the attached buffer */
	struct xm_attach *subspace;	/* what is attached (private) */
};

/*
 * xmattach: describe [addr, addr + count) of the calling thread's task
 * (segflag USER_ADSPACE) or of the kernel (SYS_ADSPACE) in *dp, whose
 * aspace_id must be XMEM_INVAL.
 * => XMEM_SUCC; XMEM_FAIL (count <= 0, dp in use, another segflag, no
 *    task, a range not all mapped and readable, no memory, a caller that
 *    cannot sleep)
 */
int xmattach(char *addr, int count, struct xmem *dp, int segflag);
/* xmattach64: xmattach of a 64-bit address. */
int xmattach64(unsigned long long addr64, int count, struct xmem *dp, int segflag);
/* xmem_init: start the thread that finishes detaches made at interrupt level.  => at boot */
void xmem_init(void);
/*
 * Work an interrupt handler leaves to that thread (xmem_reaper), which
 * may sleep: the release of a detached attachment, an unpin (aix/pin.c).
 */
struct xmem_work {
	struct xmem_work *next;			/* [X] on the reaper's list */
	void (*run)(struct xmem_work *w);	/* [c] on the reaper thread; may free w */
};
/* xmem_defer_ready: the reaper runs, so xmem_defer may be called (never false again once true). */
bool xmem_defer_ready(void);
/* xmem_defer: the reaper runs w->run(w) soon.  => any level; xmem_defer_ready() was true */
void xmem_defer(struct xmem_work *w);
/*
 * xmdetach: end dp's attachment; dp->aspace_id becomes XMEM_INVAL.  From
 * a thread or an interrupt handler.
 * => XMEM_SUCC; XMEM_FAIL (dp not attached, or pages of it still hidden)
 */
int xmdetach(struct xmem *dp);
/*
 * xmemin / xmemout: count bytes from the attached space at uaddr to kaddr
 * / from kaddr to uaddr.  Where the caller cannot sleep (interrupts off)
 * only resident pages move.
 * => XMEM_SUCC; XMEM_FAIL (dp not attached, uaddr's range outside the
 *    buffer, count < 0, no write access for xmemout, a paging error, or a
 *    page not resident when the caller cannot sleep); on an error the
 *    pages before the failing one have moved
 */
int xmemin(caddr_t uaddr, caddr_t kaddr, int count, struct xmem *dp);
int xmemout(caddr_t kaddr, caddr_t uaddr, int count, struct xmem *dp);
/*
 * xmemdma / xmemdma64: the page at xaddr (an address in the attached
 * buffer) before a DMA (flags without XMEM_UNHIDE: hide it) or after it
 * (XMEM_UNHIDE: reveal it, mark it modified, wake whoever waits).  With
 * XMEM_ACC_CHK a read-only page needs XMEM_WRITE_ONLY.
 * => the page's real address for xaddr (its device's, once bound);
 *    XMEM_FAIL (dp not attached, xaddr outside it, the page not resident
 *    and pinned, access refused, an unhide of a page not hidden, too many
 *    pages hidden at once, the page hidden for another device, the DMA
 *    engine refused it)
 */
int64_t xmemdma(struct xmem *xp, caddr_t xaddr, int flags);
unsigned long long xmemdma64(struct xmem *dp, caddr_t xaddr, int flags);
/*
 * xmem_space_of: the map dp's attachment holds, for [base, base + len)
 * inside its buffer (xmempin, aix/pin.h).
 * => 0; EINVAL (dp not attached), EFAULT (the range outside the buffer)
 */
struct vm_map;
int xmem_space_of(const struct xmem *dp, caddr_t base, int len, struct vm_map **map);
struct dma_engine;
/*
 * xmem_dma_bind: the device dp's pages are hidden for from now on (its
 * DMA engine; the caller keeps it until dp is detached).  AIX's xmemdma
 * names no device; here a bound descriptor gives that device's addresses.
 * => XMEM_SUCC; XMEM_FAIL (dp not attached, NULL eng, pages of dp hidden)
 */
int xmem_dma_bind(struct xmem *dp, struct dma_engine *eng);
/* xmem_hidden_count: pages hidden now, for tests and accounting. */
int xmem_hidden_count(void);

#endif
