/*
 * lock.h: sleeping locks for code that may block while holding them
 * (faults, map operations): a mutex and a reader/writer lock.  Waiters
 * sleep on the lock (thread_sleep); no spinlock may be held around them.
 */

/*
 * Lock tags.  The comment of a shared field starts with the tag of what
 * guards it ("[s] ..."), and every file uses this one table: a letter
 * means the same thing everywhere.  A file's legend points here and adds
 * only what is its own (lock order, which thread is the owner).  Where a
 * field is written under one rule and read under another, its comment
 * says so ("[o], read unlocked by ...").  Functions named *_locked, and
 * those whose contract says a lock is held, check it on entry with
 * LOCK_ASSERT (kern/kernel.h) and the predicates below and in spinlock.h.
 *
 * Rules rather than locks:
 *   [a]  atomic: __atomic loads and stores, no lock
 *   [c]  constant once visible: set before the structure is published (at
 *        creation, initialisation, bring-up, attach, probe, setup or open)
 *        and only read after that
 *   [h]  owning hart only, with interrupts off (per-hart data)
 *   [t]  owning thread only: written by the one thread that owns the
 *        structure (the file's legend names it); other threads read it
 *        only where the field's comment says so
 *
 * Locks (the struct's "own" lock is the one embedded in that struct):
 *   [i]  the interlock of the mutex or rwlock the field is in (this file)
 *   [s]  sched_lock (kern/thread.c)
 *   [T]  task_lock (task/task.c)
 *   [N]  task_registry_lock, the names tasks publish (task/task_trap.c)
 *   [m]  the map's own lock, vm_map.lock (vm/vm_map.h)
 *   [o]  the VM object's own lock, vm_object.lock; on a vm_page, the lock
 *        of the object that owns the page (vm/vm_object.h)
 *   [p]  pmap_lock, the pmap's global spinlock (platform/riscv/pmap.c)
 *   [A]  asid_lock (platform/riscv/pmap.c)
 *   [f]  vm_page_free_lock (vm/vm_page.c)
 *   [q]  vm_page_queue_lock (vm/vm_page.c)
 *   [H]  vm_page_hash_lock (vm/vm_object.c)
 *   [g]  vm_object_list_lock (vm/vm_object.c)
 *   [z]  the zone's own lock, zone.lock (vm/vm_zone.h)
 *   [Z]  zone_list_lock (vm/vm_zone.c)
 *   [x]  the heap's own lock (vm/xmalloc.c): heap.lock, a spinlock, for an area heap
 *        and pinned_heap; heap.mutex, a sleeping mutex, for kernel_heap
 *   [X]  xmem_lock, the cross-memory attachments and hidden pages (aix/xmem.c)
 *   [E]  pin_module_lock, pincode's counts (aix/pin.c)
 *   [G]  vms_lock, the AIX segment table (aix/vms.c)
 *   [k]  pageout_lock (vm/vm_pageout.c)
 *   [d]  dp_lock (vm/default_pager.c)
 *   [r]  dp_write_lock, the default pager's ring of writes (vm/default_pager.c)
 *   [S]  sf_lock, the dynamic pager's statistics (vm/dynamic_pager.c)
 *   [n]  vnode_pager_lock (vm/vnode_pager.c)
 *   [P]  device_pool_lock (vm/device_pager.c)
 *   [w]  the working-set profile's own lock, vm_ws.lock (vm/vm_ws.h)
 *   [V]  vm_stat_lock (vm/vm_stat.c)
 *   [U]  upl_live_lock, the UPLs not yet freed (vm/vm_upl.c)
 *   [I]  pci_irq_lock (drivers/pci/pci.c)
 *   [u]  the IOMMU unit's own lock, iommu.lock (drivers/iommu/iommu.h)
 *   [D]  the IOMMU domain's own lock, iommu_domain.lock (drivers/iommu/iommu.h)
 *   [M]  the IOMMU model's own lock, iommu_hw.lock (drivers/iommu/iommu_hw.h)
 *   [R]  the I/O address arena's own lock, iova_arena.lock (drivers/iommu/iova.h)
 *   [e]  the DMA engine's own lock, dma_engine.lock (drivers/dma/dma.h)
 *   [v]  the virtqueue's own lock, virtq.lock (drivers/virtio/virtqueue.h)
 *   [b]  the IOMMU bus's own lock, virtq_bus.lock (drivers/virtio/virtq_bus.h)
 *   [B]  the block device's slot lock, virtio_blk.slot_lock (drivers/virtio/virtio_blk.h)
 *   [L]  the 9P client's own lock, p9_client.lock (drivers/9p/p9.h)
 *   [F]  p9file_io_lock, the 9P file pager's staging buffer
 *        (drivers/virtio/virtio_9p_file.c)
 *   [Y]  sf_io_lock, the 9P swap files' staging buffer
 *        (drivers/virtio/virtio_9p_swapfile.c)
 * Letters not in the table (j, l, y, ...) are unused: take a free one for
 * a new lock and add it here.
 */
#ifndef KERN_LOCK_H
#define KERN_LOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "kern/spinlock.h"

struct thread;

/*
 * The owner word is the owning thread, or 0; bit 0 (MUTEX_WAITERS) says a
 * thread sleeps on it.  Taking a free mutex and releasing one nobody
 * waits for are single compare-and-swaps.  With MUTEX_WAITERS set the
 * owner releases under the interlock, and touches the mutex no more after
 * that, so that the thread it lets in may free the mutex at once.
 */
#define MUTEX_WAITERS	1ul

struct mutex {
	uintptr_t owner;		/* [a] thread | MUTEX_WAITERS */
	struct spinlock interlock;
	int waiters;			/* [i] */
	const char *name;
};

#define MUTEX_INIT(n) { .owner = 0, .interlock = SPINLOCK_INIT(n), .waiters = 0, .name = (n) }

void mutex_init(struct mutex *m, const char *name);
#if defined(__riscv)	/* the image inlines the fast paths (see spinlock.h) */
#include "kern/thread.h"

/* mutex_owned: the calling thread holds m (inline: every *_locked function asks). */
static inline bool mutex_owned(struct mutex *m)
{
	return (__atomic_load_n(&m->owner, __ATOMIC_RELAXED) & ~MUTEX_WAITERS) ==
	       (uintptr_t)thread_current();
}

/* The slow paths: m was not free / m's owner word is not just self. */
void mutex_lock_slow(struct mutex *m, uintptr_t self);
void mutex_unlock_slow(struct mutex *m, uintptr_t self);

static inline void mutex_lock(struct mutex *m)
{
	uintptr_t self = (uintptr_t)thread_current(), o = 0;

	if (!__atomic_compare_exchange_n(&m->owner, &o, self, false, __ATOMIC_ACQUIRE,
					 __ATOMIC_RELAXED))
		mutex_lock_slow(m, self);
}

/* mutex_trylock: take m if it is free; true on success (never sleeps). */
static inline bool mutex_trylock(struct mutex *m)
{
	uintptr_t o = 0;

	return __atomic_compare_exchange_n(&m->owner, &o, (uintptr_t)thread_current(), false,
					   __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

static inline void mutex_unlock(struct mutex *m)
{
	uintptr_t self = (uintptr_t)thread_current(), o = self;

	if (!__atomic_compare_exchange_n(&m->owner, &o, 0, false, __ATOMIC_RELEASE,
					 __ATOMIC_RELAXED))
		mutex_unlock_slow(m, self);
}
#else
bool mutex_owned(struct mutex *m);
void mutex_lock(struct mutex *m);
bool mutex_trylock(struct mutex *m);
void mutex_unlock(struct mutex *m);
#endif

/*
 * rwlock: any number of readers or one writer.  A waiting writer blocks
 * new readers, so writers are not starved.
 *
 * The state word counts readers (in units of RW_READER) and says whether
 * a writer holds the lock (RW_WRITER) and whether anyone sleeps or waits
 * on it (RW_WANTED).  While RW_WANTED is clear, taking and releasing the
 * lock are single compare-and-swaps of that word; once it is set, every
 * change goes through the interlock, so no sleeper is missed, and a
 * thread that releases touches the lock no more after the interlock, so
 * that the thread it lets in may free the lock at once.
 */
#define RW_WRITER	1ul
#define RW_WANTED	2ul
#define RW_READER	4ul

struct rwlock {
	uintptr_t state;		/* [a] readers * RW_READER | RW_WRITER | RW_WANTED */
	struct thread *writer;		/* [a] the holder while RW_WRITER, for the checks */
	struct spinlock interlock;
	int writers_waiting;		/* [i] */
	int sleepers;			/* [i] threads asleep on it */
	const char *name;
};

#define RWLOCK_INIT(n) { .state = 0, .interlock = SPINLOCK_INIT(n), .name = (n) }

void rw_init(struct rwlock *l, const char *name);
void rw_lock_write(struct rwlock *l);
void rw_unlock_write(struct rwlock *l);
#if defined(__riscv)	/* the image inlines the read fast paths (see spinlock.h) */
/* The slow paths: a writer holds or waits / a waiter to wake, or a caller's bug. */
void rw_lock_read_slow(struct rwlock *l);
void rw_unlock_read_slow(struct rwlock *l);

static inline void rw_lock_read(struct rwlock *l)
{
	uintptr_t s = __atomic_load_n(&l->state, __ATOMIC_RELAXED);

	do {
		if (s & (RW_WRITER | RW_WANTED)) {
			rw_lock_read_slow(l);
			return;
		}
	} while (!__atomic_compare_exchange_n(&l->state, &s, s + RW_READER, false, __ATOMIC_ACQUIRE,
					      __ATOMIC_RELAXED));
}

/* rw_trylock_read: rw_lock_read unless that would wait (false: not taken). */
static inline bool rw_trylock_read(struct rwlock *l)
{
	uintptr_t s = __atomic_load_n(&l->state, __ATOMIC_RELAXED);

	return !(s & (RW_WRITER | RW_WANTED)) &&
	       __atomic_compare_exchange_n(&l->state, &s, s + RW_READER, false, __ATOMIC_ACQUIRE,
					   __ATOMIC_RELAXED);
}

static inline void rw_unlock_read(struct rwlock *l)
{
	uintptr_t s = __atomic_load_n(&l->state, __ATOMIC_RELAXED);

	do {
		if ((s & (RW_WANTED | RW_WRITER)) || s < RW_READER) {
			rw_unlock_read_slow(l);
			return;
		}
	} while (!__atomic_compare_exchange_n(&l->state, &s, s - RW_READER, false, __ATOMIC_RELEASE,
					      __ATOMIC_RELAXED));
}
#else
void rw_lock_read(struct rwlock *l);
bool rw_trylock_read(struct rwlock *l);
void rw_unlock_read(struct rwlock *l);
#endif
/* rw_downgrade: the writer becomes a reader without letting another writer in. */
void rw_downgrade(struct rwlock *l);
/* rw_write_held: the calling thread holds l for writing. */
bool rw_write_held(struct rwlock *l);
/*
 * rw_held: l is held for writing by the calling thread, or for reading by
 * some thread (readers are counted, not named): what a contract saying
 * "l locked" (either way) can assert.
 */
bool rw_held(struct rwlock *l);

#endif
