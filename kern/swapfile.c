/*
 * swapfile.c: the dynamic pager (see swapfile.h).
 *
 *   swapfile=TAG[:DIR]    keep swap files in DIR (default "swap", made if
 *                         missing) of the virtio-9p share with mount tag TAG
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
 *   swapfile.retry=MS     wait after a failed create (default 1000)
 *
 * Files are named swapfile0, swapfile1, ... (the lowest free number);
 * ones left by an earlier boot are deleted at start.  A file is created
 * sparse at its full size.  The file drained is the one holding fewest
 * pages; a drain is cancelled if the pool falls below hiwat meanwhile.
 *
 * The thread polls the pool every SWAPFILE_POLL_MS (and works without
 * pause while draining).  File I/O goes through one staging buffer: a
 * cluster is gathered there and written in one Twrite (read likewise).
 *
 * Locking legend: [t] the dynamic pager thread only, [i] sf_io_lock,
 * [s] sf_lock, [c] constant after swapfile_init.
 */
#include <stdio.h>
#include <string.h>

#include "drivers/virtio/virtio_9p.h"
#include "kern/cmdline.h"
#include "kern/kernel.h"
#include "kern/spinlock.h"
#include "kern/swap.h"
#include "kern/swapfile.h"
#include "kern/thread.h"
#include "platform/riscv/timer.h"
#include "platform/riscv/vmlayout.h"
#include "vm/default_pager.h"
#include "vm/vm_kern.h"
#include "vm/vm_pageout.h"

#define SWAPFILE_MAX		DP_MAX_SEGMENTS
#define SWAPFILE_POLL_MS	20
#define SWAPFILE_DRAIN_BLOCKS	16
#define SWAPFILE_STAGE_PAGES	DP_CLUSTER_PAGES
#define SWAPFILE_PATH_MAX	96
#define MS			(1000ul * 1000)

struct swapfile {
	bool in_use;				/* [t] */
	unsigned index;				/* [t] swapfile<index> */
	char path[SWAPFILE_PATH_MAX];		/* [t] */
	struct p9_file file;			/* [t] open while in the pool */
	struct swap_segment *seg;		/* [t] */
};

static struct {
	struct p9_client *client;		/* [c] */
	char dir[SWAPFILE_PATH_MAX / 2];	/* [c] */
	uint64_t size, max, hiwat, lowat;	/* [c] bytes, files */
	uint64_t hold_ns, retry_ns;		/* [c] */
} sf;

static struct swapfile sf_files[SWAPFILE_MAX];		/* [t] */
static struct swapfile_stats sf_stats;			/* [s] */
static struct spinlock sf_lock = SPINLOCK_INIT("swapfile");
static struct mutex sf_io_lock = MUTEX_INIT("swapfile_io");
static uint8_t *sf_stage;				/* [i] */

static uint64_t sf_now_ns(void)
{
	return timer_ticks_to_ns(timer_now());
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

/* ---- the segment's I/O ----------------------------------------------------- */

/* sf_io_chunk: up to SWAPFILE_STAGE_PAGES pages through the staging buffer.  => sf_io_lock held */
static bool sf_io_chunk(struct swapfile *f, bool write, uint64_t slot, vm_page_t *pages, uint32_t n)
{
	size_t len = ptoa(n), done = 0;
	int err;

	if (write) {
		for (uint32_t i = 0; i < n; i++)
			memcpy(sf_stage + ptoa(i), PHYS_TO_DMAP(pages[i]->phys_addr), PAGE_SIZE);
		err = p9_file_write(&f->file, ptoa(slot), sf_stage, len, &done);
	} else {
		err = p9_file_read(&f->file, ptoa(slot), sf_stage, len, &done);
		if (!err && done == len)
			for (uint32_t i = 0; i < n; i++)
				memcpy(PHYS_TO_DMAP(pages[i]->phys_addr), sf_stage + ptoa(i), PAGE_SIZE);
	}
	if (err || done != len)
		kprintf("swapfile: %s of %s at page %lu: %s\n", write ? "write" : "read", f->path, slot,
			err ? p9_strerror(err) : "short");
	return !err && done == len;
}

/* sf_start: the swap_segment_ops start of a swap file: the move is done at once (*io = NULL). */
static kern_return_t sf_start(void *dev, bool write, uint64_t slot, vm_page_t *pages,
			      uint32_t npages, void **io)
{
	bool ok = true;

	*io = NULL;
	mutex_lock(&sf_io_lock);
	for (uint32_t i = 0; ok && i < npages; i += SWAPFILE_STAGE_PAGES)
		ok = sf_io_chunk(dev, write, slot + i, pages + i, MIN(npages - i, SWAPFILE_STAGE_PAGES));
	mutex_unlock(&sf_io_lock);
	return ok ? KERN_SUCCESS : KERN_MEMORY_ERROR;
}

/* sf_release: the pool let go of the file (drained): close and delete it. */
static void sf_release(void *dev)
{
	struct swapfile *f = dev;
	int err;

	p9_file_close(&f->file);
	err = p9_unlink(sf.client, f->path);
	kprintf("swapfile: removed %s%s%s\n", f->path, err ? ": unlink: " : "",
		err ? p9_strerror(err) : "");
	f->in_use = false;
	spin_lock(&sf_lock);
	sf_stats.files--;
	sf_stats.deleted++;
	spin_unlock(&sf_lock);
}

/* sf_finish: nothing is ever left in flight. */
static kern_return_t sf_finish(void *dev, void *io)
{
	(void)dev;
	(void)io;
	return KERN_SUCCESS;
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

/* sf_create: make the next file and add it to the pool; false (reported) if the share refused. */
static bool sf_create(void)
{
	struct swapfile *f = sf_file_free();
	char name[DP_NAME_MAX];
	kern_return_t kr;
	int err;

	if (!f)
		return false;
	f->index = (unsigned)(f - sf_files);
	snprintf(f->path, sizeof(f->path), "%s/swapfile%u", sf.dir, f->index);
	err = p9_file_open(sf.client, f->path,
			   P9_FILE_READ | P9_FILE_WRITE | P9_FILE_CREATE | P9_FILE_TRUNC, 0600, &f->file);
	if (!err && (err = p9_file_truncate(&f->file, sf.size)) != 0) {
		p9_file_close(&f->file);
		p9_unlink(sf.client, f->path);
	}
	if (err) {
		kprintf("swapfile: cannot create %s: %s; trying again in %lu ms\n", f->path,
			p9_strerror(err), sf.retry_ns / MS);
		sf_count(&sf_stats.create_failures, 1);
		return false;
	}
	snprintf(name, sizeof(name), "file:swapfile%u", f->index);
	kr = default_pager_add_segment(name, &sf_ops, f, atop(sf.size), &f->seg);
	if (kr != KERN_SUCCESS) {
		kprintf("swapfile: cannot add %s to the pool: %s\n", f->path, kern_return_name(kr));
		p9_file_close(&f->file);
		p9_unlink(sf.client, f->path);
		sf_count(&sf_stats.create_failures, 1);
		return false;
	}
	f->in_use = true;
	spin_lock(&sf_lock);
	sf_stats.files++;
	sf_stats.created++;
	spin_unlock(&sf_lock);
	kprintf("swapfile: added %s, %lu MiB\n", f->path, sf.size >> 20);
	vm_pageout_kick();		/* its writes may have been refused for want of space */
	return true;
}

/* sf_pick_drain: the file holding the fewest pages (NULL if there is none). */
static struct swapfile *sf_pick_drain(void)
{
	struct swapfile *best = NULL;

	for (unsigned i = 0; i < sf.max; i++)
		if (sf_files[i].in_use && (!best || sf_files[i].seg->used_pages < best->seg->used_pages))
			best = &sf_files[i];
	return best;
}

/*
 * sf_drain_step: move part of f's pages elsewhere; remove f once it is
 * empty.  Returns whether the drain goes on.
 */
static bool sf_drain_step(struct swapfile *f)
{
	bool empty = false;
	kern_return_t kr = default_pager_drain_step(f->seg, SWAPFILE_DRAIN_BLOCKS, &empty);

	if (kr != KERN_SUCCESS) {
		kprintf("swapfile: draining %s: %s; keeping it for now\n", f->path, kern_return_name(kr));
		default_pager_drain_cancel(f->seg);
		sf_count(&sf_stats.drain_errors, 1);
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
 * sf_thread: below hiwat, add a file (cancelling a drain first, if one is
 * running); above lowat for hold_ns on end, drain the emptiest file.
 */
static void sf_thread(void *arg)
{
	struct swapfile *draining = NULL;
	uint64_t above_since = 0, retry_at = 0;

	(void)arg;
	for (;;) {
		uint64_t free = sf_free_bytes(), now = sf_now_ns();
		uint64_t files = sf_stats.files;

		if (free < sf.hiwat) {
			above_since = 0;
			if (draining) {
				kprintf("swapfile: the pool is filling again: keeping %s\n", draining->path);
				default_pager_drain_cancel(draining->seg);
				sf_count(&sf_stats.drains_cancelled, 1);
				draining = NULL;
			} else if (files < sf.max && now >= retry_at && !sf_create()) {
				retry_at = now + sf.retry_ns;
			}
		} else if (free > sf.lowat && files && !draining) {
			if (!above_since) {
				above_since = now;
			} else if (now - above_since >= sf.hold_ns) {
				above_since = 0;
				draining = sf_pick_drain();
				if (default_pager_drain_start(draining->seg) == KERN_SUCCESS)
					kprintf("swapfile: draining %s (%lu pages)\n", draining->path,
						draining->seg->used_pages);
				else
					draining = NULL;
			}
		} else if (free <= sf.lowat) {
			above_since = 0;
		}
		if (draining && !sf_drain_step(draining))
			draining = NULL;
		sf_set_draining(draining != NULL);
		if (draining)
			thread_yield();
		else
			thread_sleep_ns(SWAPFILE_POLL_MS * MS);
	}
}

/* ---- set-up ------------------------------------------------------------------ */

/* sf_remove_stale: a swapfile<N> left in the directory by an earlier boot goes. */
static int sf_remove_stale(void *arg, const struct p9_dirent *d)
{
	char path[SWAPFILE_PATH_MAX + P9_NAME_MAX];

	(void)arg;
	if (strncmp(d->name, "swapfile", 8) != 0)
		return 0;
	snprintf(path, sizeof(path), "%s/%s", sf.dir, d->name);
	kprintf("swapfile: removing %s, left from an earlier boot\n", path);
	p9_unlink(sf.client, path);
	return 0;
}

/* sf_params: the command line's sizes and marks, made consistent (reported if changed). */
static void sf_params(void)
{
	uint64_t cluster = ptoa(DP_CLUSTER_PAGES);
	struct default_pager_stats st;

	sf.size = cmdline_get_u64("swapfile.size", 32ul << 20) / cluster * cluster;
	if (sf.size == 0)
		sf.size = cluster;
	default_pager_stats(&st);	/* the disks already in the pool take slots too */
	sf.max = MIN(cmdline_get_u64("swapfile.max", 8), SWAPFILE_MAX - st.segments);
	sf.hiwat = cmdline_get_u64("swapfile.hiwat", 16ul << 20);
	sf.lowat = cmdline_get_u64("swapfile.lowat", sf.hiwat + 2 * sf.size);
	if (sf.lowat < sf.hiwat + sf.size) {
		kprintf("swapfile: lowat %lu below hiwat + size: using %lu\n", sf.lowat,
			sf.hiwat + sf.size);
		sf.lowat = sf.hiwat + sf.size;
	}
	sf.hold_ns = cmdline_get_u64("swapfile.hold", 2000) * MS;
	sf.retry_ns = cmdline_get_u64("swapfile.retry", 1000) * MS;
	sf_stats.file_bytes = sf.size;
}

/* sf_share: the share and directory swapfile= names; false (reported) if unusable. */
static bool sf_share(void)
{
	char arg[SWAPFILE_PATH_MAX], *colon;
	struct virtio_9p *share;
	int err;

	if (!cmdline_get("swapfile", arg, sizeof(arg)))
		return false;
	colon = strchr(arg, ':');
	if (colon)
		*colon = '\0';
	snprintf(sf.dir, sizeof(sf.dir), "%s", colon && colon[1] ? colon + 1 : "swap");
	share = virtio_9p_find(arg);
	if (!share) {
		kprintf("swapfile: no 9p share \"%s\": swap files off\n", arg);
		return false;
	}
	sf.client = &share->client;
	__atomic_store_n(&share->vd.timeout_ns, SWAP_IO_TIMEOUT_NS, __ATOMIC_RELAXED);
	err = p9_dir_create(sf.client, sf.dir, 0700);
	if (err && err != P9_EEXIST) {
		kprintf("swapfile: cannot make %s: %s: swap files off\n", sf.dir, p9_strerror(err));
		return false;
	}
	p9_dir_list(sf.client, sf.dir, sf_remove_stale, NULL);
	return true;
}

bool swapfile_init(void)
{
	vm_offset_t stage = 0;

	if (!sf_share())
		return false;
	sf_params();
	if (kmem_alloc_wired(kernel_map, &stage, ptoa(SWAPFILE_STAGE_PAGES)) != KERN_SUCCESS) {
		kprintf("swapfile: no memory for the staging buffer: swap files off\n");
		return false;
	}
	sf_stage = (uint8_t *)stage;
	if (!thread_create("dynamic_pager", sf_thread, NULL, THREAD_ANY_HART)) {
		kmem_free(kernel_map, stage, ptoa(SWAPFILE_STAGE_PAGES));
		return false;
	}
	kprintf("swapfile: %s, files of %lu MiB, at most %lu; add below %lu MiB free, remove above"
		" %lu MiB for %lu ms\n", sf.dir, sf.size >> 20, sf.max, sf.hiwat >> 20, sf.lowat >> 20,
		sf.hold_ns / MS);
	return true;
}

void swapfile_stats(struct swapfile_stats *st)
{
	spin_lock(&sf_lock);
	*st = sf_stats;
	spin_unlock(&sf_lock);
}
