/*
 * dynamic_pager.c: the dynamic pager (see dynamic_pager.h).
 *
 *   swapfile.size=N       bytes per file (default 32M; K, M, G suffixes),
 *                         rounded down to whole clusters
 *   swapfile.max=N        files at most (default 8; no more than the pool
 *                         has room for beside the disks)
 *   swapfile.hiwat=N      free pool bytes below which a file is added
 *                         (default 16M)
 *   swapfile.lowat=N      free pool bytes above which, for swapfile.hold
 *                         ms on end, one file is drained and deleted
 *                         (default hiwat + 2 * size; at least hiwat + size,
 *                         so that a deletion never brings the pool back
 *                         below hiwat by itself: no create/delete cycles)
 *   swapfile.hold=MS      (default 2000)
 *   swapfile.retry=MS     wait after the store failed (default 1000)
 *
 * A store that fails (refuses a new file, or refuses writes to one, as a
 * full host disk does) gets no new file for a while: the wait starts at
 * swapfile.retry and doubles with each failure in a row, up to
 * SWAPFILE_BACKOFF_MAX times that; a file made since the failure that
 * takes writes brings it back.  A file whose writes were refused takes no
 * new pages and is drained and deleted (its pages moved to the rest of the
 * pool), which gives its space back.
 *
 * Files are numbered from 0 (the lowest free number).  The file drained
 * is the one holding fewest pages; a drain is cancelled if the pool falls
 * below hiwat meanwhile.  The thread polls the pool every
 * SWAPFILE_POLL_MS (and works without pause while draining).
 *
 * Lock tags: kern/lock.h; the owner of the [t] fields is the dynamic pager
 * thread.
 */
#include <stdio.h>
#include <string.h>

#include "kern/cmdline.h"
#include "kern/kernel.h"
#include "kern/spinlock.h"
#include "kern/thread.h"
#include "vm/default_pager.h"
#include "vm/dynamic_pager.h"
#include "vm/vm_pageout.h"

#define SWAPFILE_MAX		DP_MAX_SEGMENTS
#define SWAPFILE_POLL_MS	20
#define SWAPFILE_DRAIN_BLOCKS	16
#define MS			(1000ul * 1000)
#define SWAPFILE_BACKOFF_MAX	64	/* the longest wait, in swapfile.retry periods */

struct swapfile {
	bool in_use;				/* [t] */
	char name[DP_NAME_MAX];			/* [t] the store's name for it */
	void *file;				/* [t] the store's handle */
	struct swap_segment *seg;		/* [t] */
	uint64_t bad_seen;			/* [t] seg's bad clusters at the last poll */
	bool probe;				/* [t] made since the store last failed */
	bool retired;				/* [t] refused writes: draining until it goes */
	uint32_t drains_given_up;		/* [t] drains for shrinking that a step ended */
};

/*
 * sf_drain_reported: whether a drain of f starting or being given up is
 * printed: the first time, then at 2, 4, 8... (under lasting pressure a
 * drain starts and gives up again every few seconds).
 */
static bool sf_drain_reported(const struct swapfile *f)
{
	return (f->drains_given_up & (f->drains_given_up - 1)) == 0;
}

static struct {
	const struct swapfile_store_ops *store;	/* [c] */
	uint64_t size, max, hiwat, lowat;	/* [c] bytes, files */
	uint64_t hold_ns, retry_ns;		/* [c] */
	uint64_t backoff_ns;			/* [t] the wait after the next failure */
	uint64_t retry_at;			/* [t] no new file before (ticks; 0: now) */
	struct swapfile *draining;		/* [t] the file being drained, if any */
	uint64_t step_at;			/* [t] a retired file's next drain step (ticks) */
} sf;

static struct swapfile sf_files[SWAPFILE_MAX];		/* [t] */
static struct swapfile_stats sf_stats;			/* [S] */
static struct spinlock sf_lock = SPINLOCK_INIT("swapfile");

/* sf_now: the time, in the scheduler's ticks (thread_deadline_after's unit). */
static uint64_t sf_now(void)
{
	return thread_deadline_after(0);
}

/* sf_count: add delta to one counter of sf_stats. */
static void sf_count(uint64_t *counter, int64_t delta)
{
	spin_lock(&sf_lock);
	*counter += (uint64_t)delta;
	spin_unlock(&sf_lock);
}

static void sf_set_draining(bool on)
{
	spin_lock(&sf_lock);
	sf_stats.draining = on;
	spin_unlock(&sf_lock);
}

/* ---- the segment's I/O: the store's ------------------------------------------ */

static kern_return_t sf_start(void *dev, bool write, uint64_t slot, vm_page_t *pages,
			      uint32_t npages, void **io)
{
	return sf.store->start(((struct swapfile *)dev)->file, write, slot, pages, npages, io);
}

static kern_return_t sf_finish(void *dev, void *io)
{
	return sf.store->finish(((struct swapfile *)dev)->file, io);
}

/* sf_release: the pool let go of the file (drained): the store deletes it. */
static void sf_release(void *dev)
{
	struct swapfile *f = dev;

	sf.store->destroy(f->file);
	f->in_use = false;
	spin_lock(&sf_lock);
	sf_stats.files--;
	sf_stats.deleted++;
	spin_unlock(&sf_lock);
}

static const struct swap_segment_ops sf_ops = { .start = sf_start, .finish = sf_finish,
						.release = sf_release };

/* ---- growing and shrinking --------------------------------------------------- */

/* sf_file_free: the unused entry with the lowest number, NULL if max are in use. */
static struct swapfile *sf_file_free(void)
{
	for (unsigned i = 0; i < sf.max; i++)
		if (!sf_files[i].in_use)
			return &sf_files[i];
	return NULL;
}

/*
 * sf_back_off: the store just failed (why): no new file for the current
 * wait, which doubles for the next failure (to SWAPFILE_BACKOFF_MAX
 * periods).
 */
static void sf_back_off(const char *why)
{
	sf.retry_at = thread_deadline_after(sf.backoff_ns);
	kprintf("swapfile: %s: no new file for %lu ms\n", why, sf.backoff_ns / MS);
	spin_lock(&sf_lock);
	sf_stats.backoff_longest_ms = MAX(sf_stats.backoff_longest_ms, sf.backoff_ns / MS);
	spin_unlock(&sf_lock);
	sf.backoff_ns = MIN(2 * sf.backoff_ns, SWAPFILE_BACKOFF_MAX * sf.retry_ns);
}

/*
 * sf_retire: f refused writes: it takes no new cluster from now on, and is
 * drained (its pages moved, then it is deleted) as the pool has room.
 * A drain of another file for shrinking gives way.
 */
static void sf_retire(struct swapfile *f)
{
	if (sf.draining && sf.draining != f && !sf.draining->retired) {
		default_pager_drain_cancel(sf.draining->seg);
		sf_count(&sf_stats.drains_cancelled, 1);
		sf.draining = NULL;
	}
	if (sf.draining != f && default_pager_drain_start(f->seg, true) != KERN_SUCCESS)
		return;
	f->retired = true;
	kprintf("swapfile: %s refused writes: it takes no new pages, and goes once its %lu are "
		"moved\n", f->name, f->seg->used_pages);
}

/*
 * sf_check_writes: look at what each file's writes did since the last
 * poll.  A file with clusters newly gone bad refused writes: it is
 * retired, and the store backs off unless it is backing off already.  A
 * file made since the last failure that takes writes and refuses none
 * shows the store has room again: the back-off ends.  (Writes to older
 * files prove nothing: a full disk still takes writes over space a file
 * already has.)
 */
static void sf_check_writes(void)
{
	bool failed = false, room = false;

	for (unsigned i = 0; i < sf.max; i++) {
		struct swapfile *f = &sf_files[i];
		uint64_t bad, out;

		if (!f->in_use)
			continue;
		bad = __atomic_load_n(&f->seg->bad_clusters, __ATOMIC_RELAXED);
		out = __atomic_load_n(&f->seg->pages_out, __ATOMIC_RELAXED);
		if (bad != f->bad_seen && !f->retired) {
			failed = true;
			sf_retire(f);
		}
		room |= f->probe && out && !bad;
		f->bad_seen = bad;
	}
	if (failed) {
		for (unsigned i = 0; i < sf.max; i++)
			sf_files[i].probe = false;
		sf_count(&sf_stats.write_failures, 1);
		if (sf_now() >= sf.retry_at)
			sf_back_off("a file's writes were refused");
	} else if (room) {
		sf.backoff_ns = sf.retry_ns;	/* the store takes writes again */
		for (unsigned i = 0; i < sf.max; i++)
			sf_files[i].probe = false;
	}
}

/* sf_create: make the next file and add it to the pool; false (reported) if the share refused. */
static bool sf_create(void)
{
	struct swapfile *f = sf_file_free();
	char seg_name[DP_NAME_MAX];
	unsigned index;
	kern_return_t kr;

	if (!f)
		return false;
	index = (unsigned)(f - sf_files);
	if (!(f->file = sf.store->create(index, sf.size, f->name, sizeof(f->name)))) {
		sf_count(&sf_stats.create_failures, 1);
		sf_back_off("could not create a file");
		return false;
	}
	snprintf(seg_name, sizeof(seg_name), "file:swapfile%u", index);
	kr = default_pager_add_segment(seg_name, &sf_ops, f, atop(sf.size), &f->seg);
	if (kr != KERN_SUCCESS) {
		kprintf("swapfile: cannot add %s to the pool: %s\n", f->name, kern_return_name(kr));
		sf.store->destroy(f->file);
		sf_count(&sf_stats.create_failures, 1);
		sf_back_off("the pool took no file");
		return false;
	}
	f->in_use = true;
	f->bad_seen = 0;
	f->retired = false;
	f->drains_given_up = 0;
	f->probe = sf.backoff_ns != sf.retry_ns;	/* a test of the store after a failure */
	spin_lock(&sf_lock);
	sf_stats.files++;
	sf_stats.created++;
	sf_stats.peak = MAX(sf_stats.peak, sf_stats.files);
	spin_unlock(&sf_lock);
	kprintf("swapfile: added %s, %lu MiB\n", f->name, sf.size >> 20);
	vm_pageout_kick();		/* its writes may have been refused for want of space */
	return true;
}

/*
 * sf_pick_drain: the file holding the fewest pages, among the retired ones
 * only if retired (so the empty go first); NULL if there is none.
 */
static struct swapfile *sf_pick_drain(bool retired)
{
	struct swapfile *best = NULL;

	for (unsigned i = 0; i < sf.max; i++)
		if (sf_files[i].in_use && (!retired || sf_files[i].retired) &&
		    (!best || sf_files[i].seg->used_pages < best->seg->used_pages))
			best = &sf_files[i];
	return best;
}

/*
 * sf_drain_step: move part of f's pages elsewhere; remove f once it is
 * empty.  Returns whether the drain goes on.  A failed step cancels a
 * drain for shrinking; a retired file stays out of service and is tried
 * again after swapfile.retry.
 */
static bool sf_drain_step(struct swapfile *f)
{
	bool empty = false;
	kern_return_t kr = default_pager_drain_step(f->seg, SWAPFILE_DRAIN_BLOCKS, &empty);

	if (kr != KERN_SUCCESS) {
		sf_count(&sf_stats.drain_errors, 1);
		if (f->retired) {
			sf.step_at = thread_deadline_after(sf.retry_ns);
			return false;
		}
		f->drains_given_up++;
		if (sf_drain_reported(f))
			kprintf("swapfile: draining %s: %s; keeping it for now (drains given up: %u)\n",
				f->name, kern_return_name(kr), f->drains_given_up);
		default_pager_drain_cancel(f->seg);
		return false;
	}
	if (empty && default_pager_remove_segment(f->seg) == KERN_SUCCESS)
		return false;
	return true;
}

/* sf_free_bytes: free space in the pool, draining segments not counted. */
static uint64_t sf_free_bytes(void)
{
	struct default_pager_stats st;

	default_pager_stats(&st);
	return ptoa(st.free_pages);
}

/*
 * sf_thread: below hiwat, add a file (cancelling a drain for shrinking
 * first, if one is running); above lowat for hold_ns on end, drain the
 * emptiest file; drain retired files whenever the pool has room for their
 * pages.
 */
static void sf_thread(void *arg)
{
	uint64_t drain_at = 0;			/* deadline (ticks), 0: none */

	(void)arg;
	for (;;) {
		uint64_t free = sf_free_bytes(), now = sf_now();
		uint64_t files = sf_stats.files;

		sf_check_writes();
		if (!sf.draining && now >= sf.step_at)
			sf.draining = sf_pick_drain(true);
		if (free < sf.hiwat) {
			drain_at = 0;
			if (sf.draining && !sf.draining->retired) {
				kprintf("swapfile: the pool is filling again: keeping %s\n",
					sf.draining->name);
				default_pager_drain_cancel(sf.draining->seg);
				sf_count(&sf_stats.drains_cancelled, 1);
				sf.draining = NULL;
			} else if (files < sf.max && now >= sf.retry_at) {
				sf_create();
			}
		} else if (free > sf.lowat && files && !sf.draining && !sf_pick_drain(true)) {
			if (!drain_at) {
				drain_at = thread_deadline_after(sf.hold_ns);
			} else if (now >= drain_at) {
				drain_at = 0;
				sf.draining = sf_pick_drain(false);
				if (default_pager_drain_start(sf.draining->seg, false) != KERN_SUCCESS)
					sf.draining = NULL;
				else if (sf_drain_reported(sf.draining))
					kprintf("swapfile: draining %s (%lu pages)\n", sf.draining->name,
						sf.draining->seg->used_pages);
			}
		} else if (free <= sf.lowat) {
			drain_at = 0;
		}
		if (sf.draining && !sf_drain_step(sf.draining))
			sf.draining = NULL;
		sf_set_draining(sf.draining != NULL);
		if (sf.draining)
			thread_yield();
		else
			thread_sleep_ns(SWAPFILE_POLL_MS * MS);
	}
}

/* ---- set-up ------------------------------------------------------------------ */

TUNABLE_BYTES(tunable_sf_size, "swapfile.size", 32ul << 20, ptoa(DP_CLUSTER_PAGES), 1ul << 40, "N",
	      NULL, "bytes per swap file (a whole number of 64 KiB clusters)");
TUNABLE_NUMBER(tunable_sf_max, "swapfile.max", 8, 1, SWAPFILE_MAX, "N", NULL,
	       "swap files at most (one fewer per swap disk)");
TUNABLE_BYTES(tunable_sf_hiwat, "swapfile.hiwat", 16ul << 20, 0, 1ul << 40, "N", NULL,
	      "free swap below which a file is added");
TUNABLE_BYTES(tunable_sf_lowat, "swapfile.lowat", 0, 0, 1ul << 42, "N", "hiwat + 2 × size",
	      "free swap above which, for `swapfile.hold` ms, the emptiest file is drained and "
	      "deleted (at least hiwat + size, so that deleting never brings the pool below "
	      "hiwat: no create/delete cycles)");
TUNABLE_NUMBER(tunable_sf_hold, "swapfile.hold", 2000, 1, 3600000, "MS", NULL,
	       "how long free swap must stay above lowat");
TUNABLE_NUMBER(tunable_sf_retry, "swapfile.retry", 1000, 1, 3600000, "MS", NULL,
	       "wait after the swap files' store failed (doubling while it fails)");

/* sf_params: the command line's sizes and marks, made consistent (reported if changed). */
static void sf_params(void)
{
	uint64_t cluster = ptoa(DP_CLUSTER_PAGES);
	struct default_pager_stats st;

	sf.size = tunable_number(&tunable_sf_size);
	if (sf.size % cluster) {
		kprintf("swapfile: size %lu is not a whole number of clusters: using %lu\n", sf.size,
			sf.size / cluster * cluster);
		sf.size = sf.size / cluster * cluster;
	}
	default_pager_stats(&st);	/* the disks already in the pool take slots too */
	sf.max = tunable_number(&tunable_sf_max);
	if (sf.max > SWAPFILE_MAX - st.segments) {
		kprintf("swapfile: max %lu and %lu swap disks are more than %d segments: using %lu\n",
			(unsigned long)sf.max, (unsigned long)st.segments, SWAPFILE_MAX,
			(unsigned long)(SWAPFILE_MAX - st.segments));
		sf.max = SWAPFILE_MAX - st.segments;
	}
	sf.hiwat = tunable_number(&tunable_sf_hiwat);
	sf.lowat = tunable_number(&tunable_sf_lowat);
	if (!sf.lowat)
		sf.lowat = sf.hiwat + 2 * sf.size;
	if (sf.lowat < sf.hiwat + sf.size) {
		kprintf("swapfile: lowat %lu below hiwat + size: using %lu\n", sf.lowat,
			sf.hiwat + sf.size);
		sf.lowat = sf.hiwat + sf.size;
	}
	sf.hold_ns = tunable_number(&tunable_sf_hold) * MS;
	sf.retry_ns = tunable_number(&tunable_sf_retry) * MS;
	sf_stats.file_bytes = sf.size;
	sf_stats.files_max = sf.max;
	sf.backoff_ns = sf.retry_ns;
}

bool dynamic_pager_start(const struct swapfile_store_ops *store)
{
	sf.store = store;
	sf_params();
	if (!thread_create("dynamic_pager", sf_thread, NULL, THREAD_ANY_HART)) {
		kprintf("swapfile: no thread for the dynamic pager: swap files off\n");
		return false;
	}
	kprintf("swapfile: files of %lu MiB, at most %lu; add below %lu MiB free, remove above"
		" %lu MiB for %lu ms\n", sf.size >> 20, sf.max, sf.hiwat >> 20, sf.lowat >> 20,
		sf.hold_ns / MS);
	return true;
}

void swapfile_stats(struct swapfile_stats *st)
{
	spin_lock(&sf_lock);
	*st = sf_stats;
	spin_unlock(&sf_lock);
}
