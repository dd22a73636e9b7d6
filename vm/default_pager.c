/*
 * default_pager.c: the default pager (see default_pager.h).
 *
 * Where an object's paged-out pages live is kept in blocks of
 * DP_CLUSTER_PAGES slots, one block per aligned run of the object's pages,
 * found through a hash on (object, block number) and listed per object so
 * that terminate can walk them.  A slot code is (segment + 1) << 40 | page
 * within the segment; 0 means "not in the store".
 */
#include <string.h>

#include "kern/kernel.h"
#include "kern/spinlock.h"
#include "vm/default_pager.h"
#include "vm/pmap.h"
#include "vm/vm_pager.h"
#include "vm/vm_upl.h"
#include "vm/vm_zone.h"
#include "vm/xmalloc.h"

#define DP_HASH_BUCKETS		1024
#define DP_SEG_SHIFT		40
/*
 * A cluster is FREE, OWNED by the one block that writes to it, ORPHANED
 * (its block moved on, but some of the block's pages still live there; it
 * is free again once they are gone) or BAD (a write failed: never again).
 * A cluster's slots only ever hold pages of the block that owned it.
 */
enum dp_cluster_state { DP_CLUSTER_FREE, DP_CLUSTER_OWNED, DP_CLUSTER_ORPHANED, DP_CLUSTER_BAD };

struct dp_block {
	struct dp_block *hnext;			/* [d] hash chain */
	struct dp_block *onext;			/* [d] the object's blocks */
	vm_object_t object;			/* [d] */
	uint64_t blkno;				/* [d] object offset / cluster bytes */
	uint64_t cluster;			/* [d] code of the cluster it writes to, 0 = none */
	uint32_t writers;			/* [d] writes to that cluster in flight */
	uint32_t segments;			/* [d] a bit per segment a write of it went to
						   (never cleared): those its slots name, and more */
	uint64_t slot[DP_CLUSTER_PAGES];	/* [d] slot codes */
	uint32_t sum[DP_CLUSTER_PAGES];		/* [d] pmap_page_checksum of what slot[i] holds */
};

/* An object's record: object->pager_data. */
struct dp_object {
	struct dp_block *blocks;		/* [d] */
	uint64_t nslots;			/* [d] slots held */
};

static struct spinlock dp_lock = SPINLOCK_INIT("default_pager");
_Static_assert(DP_MAX_SEGMENTS <= 32, "dp_block.segments: a bit per segment");

static struct dp_block *dp_hash[DP_HASH_BUCKETS];	/* [d] */
static struct swap_segment dp_segments[DP_MAX_SEGMENTS];	/* [d] */
static struct default_pager_stats dp_stats;	/* [d] */
static int dp_slots;				/* [d] one past the last slot of the pool in use */
static int dp_next_segment;			/* [d] round robin for new clusters, below dp_slots */
static struct zone dp_block_zone = ZONE_INIT("dp_block", sizeof(struct dp_block));
static struct zone dp_object_zone = ZONE_INIT("dp_object", sizeof(struct dp_object));

/* ---- slot codes and clusters ----------------------------------------------- */

static uint64_t dp_code(int seg, uint64_t page)
{
	return (uint64_t)(seg + 1) << DP_SEG_SHIFT | page;
}

static struct swap_segment *dp_code_segment(uint64_t code)
{
	return &dp_segments[(code >> DP_SEG_SHIFT) - 1];
}

static uint64_t dp_code_page(uint64_t code)
{
	return code & ((1ull << DP_SEG_SHIFT) - 1);
}

static uint64_t dp_code_cluster(uint64_t code)
{
	return dp_code_page(code) / DP_CLUSTER_PAGES;
}

/* dp_code_bit: the bit in dp_block.segments of the segment a (nonzero) code names. */
static uint32_t dp_code_bit(uint64_t code)
{
	return 1u << ((code >> DP_SEG_SHIFT) - 1);
}

/* dp_cluster_free_locked: cluster c of seg is free again. */
static void dp_cluster_free_locked(struct swap_segment *seg, uint64_t c)
{
	LOCK_ASSERT(spin_held(&dp_lock), "dp_cluster_free_locked: dp_lock not held");

	seg->state[c] = DP_CLUSTER_FREE;
	seg->free_clusters++;
}

/* dp_slot_use_locked / dp_slot_free_locked: a slot starts or stops holding a page. */
static void dp_slot_use_locked(uint64_t code)
{
	struct swap_segment *seg = dp_code_segment(code);

	LOCK_ASSERT(spin_held(&dp_lock), "dp_slot_use_locked: dp_lock not held");
	seg->used[dp_code_cluster(code)]++;
	seg->used_pages++;
	dp_stats.used_pages++;
}

static void dp_slot_free_locked(uint64_t code)
{
	struct swap_segment *seg = dp_code_segment(code);
	uint64_t c = dp_code_cluster(code);

	LOCK_ASSERT(spin_held(&dp_lock), "dp_slot_free_locked: dp_lock not held");
	KASSERT(seg->used[c], "default_pager: freeing a slot of cluster %lu of %s that holds none", c,
		seg->name);
	seg->used[c]--;
	seg->used_pages--;
	dp_stats.used_pages--;
	if (seg->used[c] == 0 && seg->state[c] == DP_CLUSTER_ORPHANED)
		dp_cluster_free_locked(seg, c);
}

/*
 * dp_block_set_cluster_locked: block b writes to cluster code (0: none)
 * from now on; its old cluster is free, or orphaned while it holds pages.
 */
static void dp_block_set_cluster_locked(struct dp_block *b, uint64_t code)
{
	LOCK_ASSERT(spin_held(&dp_lock), "dp_block_set_cluster_locked: dp_lock not held");

	if (b->cluster) {
		struct swap_segment *seg = dp_code_segment(b->cluster);
		uint64_t c = dp_code_cluster(b->cluster);

		seg->refs--;
		if (seg->state[c] == DP_CLUSTER_OWNED) {
			if (seg->used[c])
				seg->state[c] = DP_CLUSTER_ORPHANED;
			else
				dp_cluster_free_locked(seg, c);
		}
	}
	b->cluster = code;
	if (code)
		dp_code_segment(code)->refs++;
}

/*
 * dp_block_trim_locked: a block holding no page and no write in flight
 * gives its cluster back (the next pageout takes a fresh one), so that
 * freed memory frees swap space too.  One whose cluster went bad lets it go
 * at once (pages of earlier writes that sit there keep their slots, counted
 * in the cluster, until rewritten or moved): the segment must not stay
 * referenced by a cluster nothing will write again.
 */
static void dp_block_trim_locked(struct dp_block *b)
{
	LOCK_ASSERT(spin_held(&dp_lock), "dp_block_trim_locked: dp_lock not held");

	if (!b->cluster || b->writers)
		return;
	if (dp_code_segment(b->cluster)->state[dp_code_cluster(b->cluster)] == DP_CLUSTER_BAD) {
		dp_block_set_cluster_locked(b, 0);
		return;
	}
	for (int i = 0; i < DP_CLUSTER_PAGES; i++)
		if (b->slot[i])
			return;
	dp_block_set_cluster_locked(b, 0);
}

/*
 * dp_cluster_alloc_locked: a free cluster for one block, from the segments
 * in turn; its first slot code, 0 if none.  The turn goes round the slots
 * up to the last one in use (dp_slots), not the whole table: its cost
 * does not depend on DP_MAX_SEGMENTS.
 */
static uint64_t dp_cluster_alloc_locked(void)
{
	LOCK_ASSERT(spin_held(&dp_lock), "dp_cluster_alloc_locked: dp_lock not held");

	for (int tries = 0; tries < dp_slots; tries++) {
		int i = (dp_next_segment + tries) % dp_slots;
		struct swap_segment *seg = &dp_segments[i];

		if (!seg->in_use || seg->draining || !seg->free_clusters)
			continue;
		for (uint64_t n = 0; n < seg->nclusters; n++) {
			uint64_t c = (seg->cursor + n) % seg->nclusters;

			if (seg->state[c] != DP_CLUSTER_FREE)
				continue;
			seg->state[c] = DP_CLUSTER_OWNED;
			seg->free_clusters--;
			seg->cursor = c + 1;
			dp_next_segment = (i + 1) % dp_slots;
			return dp_code(i, c * DP_CLUSTER_PAGES);
		}
	}
	return 0;
}

/* dp_cluster_bad_locked: the cluster at code failed a write: never write it again. */
static void dp_cluster_bad_locked(uint64_t code)
{
	struct swap_segment *seg = dp_code_segment(code);

	LOCK_ASSERT(spin_held(&dp_lock), "dp_cluster_bad_locked: dp_lock not held");
	if (seg->state[dp_code_cluster(code)] != DP_CLUSTER_BAD) {
		seg->state[dp_code_cluster(code)] = DP_CLUSTER_BAD;
		seg->bad_clusters++;
	}
}

/* ---- object records -------------------------------------------------------- */

static struct dp_block **dp_bucket(vm_object_t object, uint64_t blkno)
{
	uint64_t h = ((uintptr_t)object >> 6) ^ (blkno * 0x9e3779b97f4a7c15ull >> 24);

	return &dp_hash[h % DP_HASH_BUCKETS];
}

static struct dp_block *dp_block_find_locked(vm_object_t object, uint64_t blkno)
{
	LOCK_ASSERT(spin_held(&dp_lock), "dp_block_find_locked: dp_lock not held");

	for (struct dp_block *b = *dp_bucket(object, blkno); b; b = b->hnext)
		if (b->object == object && b->blkno == blkno)
			return b;
	return NULL;
}

/* dp_get_locked: the slot code of (object, offset), 0 if none. */
static uint64_t dp_get_locked(vm_object_t object, vm_object_offset_t offset)
{
	uint64_t page = atop(offset);
	struct dp_block *b = dp_block_find_locked(object, page / DP_CLUSTER_PAGES);

	LOCK_ASSERT(spin_held(&dp_lock), "dp_get_locked: dp_lock not held");
	return b ? b->slot[page % DP_CLUSTER_PAGES] : 0;
}

/* dp_sum_locked: the checksum recorded with (object, offset)'s slot, 0 if none. */
static uint32_t dp_sum_locked(vm_object_t object, vm_object_offset_t offset)
{
	uint64_t page = atop(offset);
	struct dp_block *b = dp_block_find_locked(object, page / DP_CLUSTER_PAGES);

	LOCK_ASSERT(spin_held(&dp_lock), "dp_sum_locked: dp_lock not held");
	return b ? b->sum[page % DP_CLUSTER_PAGES] : 0;
}

/* dp_sum_set_locked: record sum with (object, offset)'s slot, whose block exists. */
static void dp_sum_set_locked(vm_object_t object, vm_object_offset_t offset, uint32_t sum)
{
	uint64_t page = atop(offset);
	struct dp_block *b = dp_block_find_locked(object, page / DP_CLUSTER_PAGES);

	LOCK_ASSERT(spin_held(&dp_lock), "dp_sum_set_locked: dp_lock not held");
	if (b)
		b->sum[page % DP_CLUSTER_PAGES] = sum;
}

/*
 * dp_block_get_locked: the block of (object, blkno), made from *spare
 * (consumed) if it is not there yet.  => object->pager_data set
 */
static struct dp_block *dp_block_get_locked(vm_object_t object, uint64_t blkno,
					    struct dp_block **spare)
{
	struct dp_object *dpo = object->pager_data;
	struct dp_block *b = dp_block_find_locked(object, blkno);

	LOCK_ASSERT(spin_held(&dp_lock), "dp_block_get_locked: dp_lock not held");
	if (b || !spare || !*spare)
		return b;
	b = *spare;
	*spare = NULL;
	*b = (struct dp_block){ .object = object, .blkno = blkno, .onext = dpo->blocks };
	dpo->blocks = b;
	b->hnext = *dp_bucket(object, blkno);
	*dp_bucket(object, blkno) = b;
	return b;
}

/*
 * dp_set_locked: record code for (object, offset), whose block exists
 * unless code is 0; returns the old code (the caller frees or keeps it).
 */
static uint64_t dp_set_locked(vm_object_t object, vm_object_offset_t offset, uint64_t code)
{
	struct dp_object *dpo = object->pager_data;
	uint64_t page = atop(offset), old;
	struct dp_block *b = dp_block_find_locked(object, page / DP_CLUSTER_PAGES);

	LOCK_ASSERT(spin_held(&dp_lock), "dp_set_locked: dp_lock not held");
	if (!b)
		return 0;
	old = b->slot[page % DP_CLUSTER_PAGES];
	b->slot[page % DP_CLUSTER_PAGES] = code;
	dpo->nslots += (code != 0) - (old != 0);
	return old;
}

static bool dp_has_page(vm_object_t object, vm_object_offset_t offset)
{
	uint64_t code;

	spin_lock(&dp_lock);
	code = dp_get_locked(object, offset);
	spin_unlock(&dp_lock);
	return code != 0;
}

static void dp_unhash_locked(struct dp_block *b)
{
	struct dp_block **pp = dp_bucket(b->object, b->blkno);

	LOCK_ASSERT(spin_held(&dp_lock), "dp_unhash_locked: dp_lock not held");
	while (*pp != b)
		pp = &(*pp)->hnext;
	*pp = b->hnext;
}

/* dp_block_idle_locked: b holds no page, writes to no cluster and has no write in flight. */
static bool dp_block_idle_locked(const struct dp_block *b)
{
	LOCK_ASSERT(spin_held(&dp_lock), "dp_block_idle_locked: dp_lock not held");
	if (b->cluster || b->writers)
		return false;
	for (int i = 0; i < DP_CLUSTER_PAGES; i++)
		if (b->slot[i])
			return false;
	return true;
}

/* dp_block_unlink_locked: b leaves the hash and its object's record (the caller frees it). */
static void dp_block_unlink_locked(struct dp_block *b)
{
	struct dp_object *dpo = b->object->pager_data;
	struct dp_block **pp = &dpo->blocks;

	LOCK_ASSERT(spin_held(&dp_lock), "dp_block_unlink_locked: dp_lock not held");
	dp_unhash_locked(b);
	while (*pp != b)
		pp = &(*pp)->onext;
	*pp = b->onext;
}

/*
 * dp_discard: the pager's discard.  A block left idle goes, and the
 * object's record with its last block (the object is then as if never
 * paged out; its next pageout makes a new one): a long-lived object
 * that throws pages away, kernel_heap's, would otherwise keep a record of
 * every block it ever paged out.  => object locked (so no pageout of it
 * is between making its record and starting its write)
 */
static void dp_discard(vm_object_t object, vm_object_offset_t offset)
{
	struct dp_object *dpo = object->pager_data;
	struct dp_block *b, *gone = NULL;
	uint64_t old;

	spin_lock(&dp_lock);
	old = dp_set_locked(object, offset, 0);
	if (old)
		dp_slot_free_locked(old);
	b = dp_block_find_locked(object, atop(offset) / DP_CLUSTER_PAGES);
	if (b)
		dp_block_trim_locked(b);
	if (b && dp_block_idle_locked(b)) {
		dp_block_unlink_locked(b);
		gone = b;
	}
	if (gone && !dpo->blocks) {
		object->pager_data = NULL;
		__atomic_store_n(&object->pager, NULL, __ATOMIC_RELEASE);
	} else {
		dpo = NULL;
	}
	spin_unlock(&dp_lock);
	if (gone)
		zfree(&dp_block_zone, gone);
	if (dpo)
		zfree(&dp_object_zone, dpo);
}

static void dp_terminate(vm_object_t object)
{
	struct dp_object *dpo = object->pager_data;
	struct dp_block *b, *next;

	spin_lock(&dp_lock);
	for (b = dpo->blocks; b; b = b->onext) {
		for (int i = 0; i < DP_CLUSTER_PAGES; i++)
			if (b->slot[i])
				dp_slot_free_locked(b->slot[i]);
		dp_block_set_cluster_locked(b, 0);
		dp_unhash_locked(b);
	}
	spin_unlock(&dp_lock);
	for (b = dpo->blocks; b; b = next) {
		next = b->onext;
		zfree(&dp_block_zone, b);
	}
	object->pager_data = NULL;
	__atomic_store_n(&object->pager, NULL, __ATOMIC_RELEASE);
	zfree(&dp_object_zone, dpo);
}

/* ---- I/O ------------------------------------------------------------------- */

/* A pagein's failed pages are a 64-bit mask over its UPL's slots. */
_Static_assert(UPL_INLINE_PAGES <= 64, "dp_pagein: a window of more pages than a mask holds");

/* A request started on a segment, to be finished (waited for) later. */
struct dp_run {
	struct swap_segment *seg;
	void *io;			/* the driver's handle, NULL if done at start */
	uint64_t code;			/* of its first page */
	uint32_t npages;
	bool write;
	kern_return_t kr;		/* of the start */
};

/* dp_run_start: start one request for upl slots [i, j), at slot codes code .. code + (j - i). */
static void dp_run_start(bool write, uint64_t code, upl_t upl, uint32_t i, uint32_t j,
			 struct dp_run *run)
{
	*run = (struct dp_run){ .seg = dp_code_segment(code), .code = code, .npages = j - i,
				.write = write };
	run->kr = run->seg->ops->start(run->seg->dev, write, dp_code_page(code), &upl->pages[i], j - i,
				       &run->io);
}

/*
 * dp_report_first_locked: the first error of this kind on seg: true once
 * (the caller prints it, after dropping dp_lock); later ones are only
 * counted.  => dp_lock held
 */
static bool dp_report_first_locked(struct swap_segment *seg, uint8_t kind)
{
	bool first = !(seg->reported & kind);

	LOCK_ASSERT(spin_held(&dp_lock), "dp_report_first_locked: dp_lock not held");
	seg->reported |= kind;
	return first;
}

/* dp_report: print an error a segment reports once. */
static void dp_report(const struct swap_segment *seg, const char *what, uint64_t page, const char *then)
{
	kprintf("default_pager: %s: %s at page %lu: %s (printed once per segment, all counted)\n",
		seg->name, what, page, then);
}

/* dp_run_finish: wait for run and count it.  => its outcome */
static kern_return_t dp_run_finish(struct dp_run *run)
{
	struct swap_segment *seg = run->seg;
	kern_return_t kr = run->kr;
	bool report;

	if (kr == KERN_SUCCESS && run->io)
		kr = seg->ops->finish(seg->dev, run->io);
	spin_lock(&dp_lock);
	if (run->write) {
		seg->write_requests++;
		dp_stats.write_requests++;
		seg->pages_out += run->npages;
		dp_stats.write_errors += kr != KERN_SUCCESS;
	} else {
		seg->read_requests++;
		dp_stats.read_requests++;
		seg->pages_in += run->npages;
		dp_stats.read_errors += kr != KERN_SUCCESS;
	}
	report = kr != KERN_SUCCESS &&
		 dp_report_first_locked(seg, run->write ? DP_REPORTED_WRITE : DP_REPORTED_READ);
	spin_unlock(&dp_lock);
	if (report)
		dp_report(seg, run->write ? "write error" : "read error", dp_code_page(run->code),
			  run->write ? "the pages stay in memory, the cluster is not used again"
				     : "tried up to 3 times before its pages fail");
	return kr;
}

/*
 * dp_io: one request for upl slots [i, j), at slot codes code .. code +
 * (j - i), waited for; a read that fails is tried DP_READ_TRIES times.
 */
static kern_return_t dp_io(bool write, uint64_t code, upl_t upl, uint32_t i, uint32_t j)
{
	struct dp_run run;
	kern_return_t kr;

	for (int tries = 1;; tries++) {
		dp_run_start(write, code, upl, i, j, &run);
		kr = dp_run_finish(&run);
		if (kr == KERN_SUCCESS || write || tries == DP_READ_TRIES)
			return kr;
		spin_lock(&dp_lock);
		dp_stats.read_retries++;
		spin_unlock(&dp_lock);
	}
}

/*
 * dp_io_runs: move the pages of upl to or from their slot codes (page i
 * at codes[i]), one request per run of pages whose codes follow each
 * other in one segment.  Slots without a page or a code are skipped.
 * Without failed, the first error ends it; with, every run is tried and
 * the pages of those that failed are set in *failed (bit i: slot i).
 */
static kern_return_t dp_io_runs(bool write, const uint64_t *codes, upl_t upl, uint64_t *failed)
{
	kern_return_t kr = KERN_SUCCESS;

	for (uint32_t i = 0; (kr == KERN_SUCCESS || failed) && i < upl->npages;) {
		uint32_t j = i + 1;
		kern_return_t rkr;

		if (!upl->pages[i] || !codes[i]) {
			i++;
			continue;
		}
		while (j < upl->npages && upl->pages[j] && codes[j] == codes[i] + (j - i))
			j++;
		rkr = dp_io(write, codes[i], upl, i, j);
		if (rkr != KERN_SUCCESS) {
			kr = rkr;
			for (uint32_t k = i; failed && k < j; k++)
				*failed |= 1ull << k;
		}
		i = j;
	}
	return kr;
}

/*
 * dp_codes_hold_locked / dp_codes_release: codes[i] in flight: the
 * segments they name stay in the pool until released.  => dp_lock held
 */
static void dp_codes_hold_locked(const uint64_t *codes, uint32_t n)
{
	LOCK_ASSERT(spin_held(&dp_lock), "dp_codes_hold_locked: dp_lock not held");

	for (uint32_t i = 0; i < n; i++)
		if (codes[i])
			dp_code_segment(codes[i])->io_busy++;
}

static void dp_codes_release(const uint64_t *codes, uint32_t n)
{
	spin_lock(&dp_lock);
	for (uint32_t i = 0; i < n; i++)
		if (codes[i])
			dp_code_segment(codes[i])->io_busy--;
	spin_unlock(&dp_lock);
}

/* dp_cluster_usable_locked: code names a cluster new pages may be written to. */
static bool dp_cluster_usable_locked(uint64_t code)
{
	struct swap_segment *seg = dp_code_segment(code);

	LOCK_ASSERT(spin_held(&dp_lock), "dp_cluster_usable_locked: dp_lock not held");
	return !seg->draining && seg->state[dp_code_cluster(code)] == DP_CLUSTER_OWNED;
}

static const struct vm_pager_ops dp_ops;

/*
 * dp_block_cluster: the cluster block blkno of object writes to, made on
 * first use (with the object's record), or when the old one went bad or
 * its segment is being drained; held as in flight until dp_block_written.
 * Its segment joins the block's segments: every code dp_record stores
 * comes from here, and the block lives while the write is in flight.
 * => nothing locked; 0 if memory or the pool ran out
 */
static uint64_t dp_block_cluster(vm_object_t object, uint64_t blkno)
{
	struct dp_object *dpo = zalloc_noblock(&dp_object_zone);
	struct dp_block *spare = zalloc_noblock(&dp_block_zone), *b;
	uint64_t cluster = 0;

	mutex_lock(&object->lock);
	if (!object->pager_data && dpo) {
		object->pager_data = dpo;
		__atomic_store_n(&object->pager, &dp_ops, __ATOMIC_RELEASE);	/* the object's pager now */
		dpo = NULL;
	}
	spin_lock(&dp_lock);
	b = object->pager_data ? dp_block_get_locked(object, blkno, &spare) : NULL;
	if (b && (!b->cluster || !dp_cluster_usable_locked(b->cluster))) {
		uint64_t fresh = dp_cluster_alloc_locked();

		/* Pages left in the old cluster keep their slots there until rewritten or moved. */
		if (fresh)
			dp_block_set_cluster_locked(b, fresh);
		else
			dp_stats.full++;
	}
	if (b && b->cluster && dp_cluster_usable_locked(b->cluster)) {
		cluster = b->cluster;
		dp_codes_hold_locked(&cluster, 1);
		b->writers++;
		b->segments |= dp_code_bit(cluster);	/* before any slot of b names it */
	}
	spin_unlock(&dp_lock);
	mutex_unlock(&object->lock);
	if (dpo)
		zfree(&dp_object_zone, dpo);
	if (spare)
		zfree(&dp_block_zone, spare);
	return cluster;
}

/* dp_block_written: the write dp_block_cluster handed out cluster for is over. */
static void dp_block_written(vm_object_t object, uint64_t blkno, uint64_t cluster)
{
	struct dp_block *b;

	spin_lock(&dp_lock);
	dp_code_segment(cluster)->io_busy--;
	b = dp_block_find_locked(object, blkno);
	KASSERT(b && b->writers, "default_pager: write done on a block not written to");
	b->writers--;
	dp_block_trim_locked(b);
	spin_unlock(&dp_lock);
}

/*
 * dp_record: after the write of upl's pages to codes[i]: on success record
 * the new homes, releasing older ones, and the pages' checksums sums[i]
 * (NULL: the pages moved unchanged, their checksums stay); on failure the
 * cluster is bad and the pages' old copies, which the write may have half
 * overwritten, are forgotten.
 */
static void dp_record(vm_object_t object, upl_t upl, const uint64_t *codes, const uint32_t *sums,
		      bool ok)
{
	mutex_lock(&object->lock);
	spin_lock(&dp_lock);
	for (uint32_t i = 0; i < upl->npages; i++) {
		uint64_t code = ok ? codes[i] : 0, old;

		if (!upl->pages[i] || !codes[i])
			continue;
		if (!ok)
			dp_cluster_bad_locked(codes[i]);
		old = dp_set_locked(object, upl->offset + ptoa(i), code);
		if (code && sums)
			dp_sum_set_locked(object, upl->offset + ptoa(i), sums[i]);
		if (old == code)
			continue;		/* rewritten in place */
		if (old)
			dp_slot_free_locked(old);
		if (code)
			dp_slot_use_locked(code);
	}
	spin_unlock(&dp_lock);
	mutex_unlock(&object->lock);
}

/* A pageout UPL being written: its requests, started, not yet finished. */
struct dp_write {
	vm_object_t object;		/* the UPL's reference keeps it */
	upl_t upl;
	uint64_t cluster;		/* held in flight (dp_block_cluster) */
	uint64_t codes[DP_CLUSTER_PAGES];
	struct dp_run runs[DP_CLUSTER_PAGES];
	uint32_t nruns;
};

/*
 * dp_write_start: start writing a pageout UPL (inside one cluster-aligned
 * block of the object) into that block's cluster, one request per run of
 * consecutive pages.  A UPL that cannot be written is aborted at once.
 * => KERN_SUCCESS: w is to be finished with dp_write_finish
 */
static kern_return_t dp_write_start(vm_object_t object, upl_t upl, struct dp_write *w)
{
	uint64_t first = atop(upl->offset) % DP_CLUSTER_PAGES;

	if (first + upl->npages > DP_CLUSTER_PAGES) {
		upl_abort(upl);
		return KERN_INVALID_ARGUMENT;
	}
	*w = (struct dp_write){ .object = object, .upl = upl };
	if (upl->count)
		w->cluster = dp_block_cluster(object, atop(upl->offset) / DP_CLUSTER_PAGES);
	if (upl->count && !w->cluster) {
		upl_abort(upl);
		return KERN_RESOURCE_SHORTAGE;
	}
	for (uint32_t i = 0; w->cluster && i < upl->npages;) {
		uint32_t j = i;

		while (j < upl->npages && upl->pages[j]) {
			w->codes[j] = w->cluster + first + j;
			j++;
		}
		if (j > i)
			dp_run_start(true, w->codes[i], upl, i, j, &w->runs[w->nruns++]);
		i = j + 1;
	}
	return KERN_SUCCESS;
}

/*
 * dp_write_finish: wait for w's requests, record where the pages went and
 * commit the UPL; on a write error the cluster is marked bad and the UPL
 * aborted (the pages stay resident and dirty).
 */
static kern_return_t dp_write_finish(struct dp_write *w)
{
	kern_return_t kr = KERN_SUCCESS;
	upl_t upl = w->upl;

	for (uint32_t r = 0; r < w->nruns; r++) {
		kern_return_t rkr = dp_run_finish(&w->runs[r]);

		if (kr == KERN_SUCCESS)
			kr = rkr;
	}
	if (w->cluster) {
		uint32_t sums[DP_CLUSTER_PAGES];

		for (uint32_t i = 0; kr == KERN_SUCCESS && i < upl->npages; i++)
			if (upl->pages[i] && w->codes[i])
				sums[i] = pmap_page_checksum(upl->pages[i]);
		dp_record(w->object, upl, w->codes, sums, kr == KERN_SUCCESS);
		dp_block_written(w->object, atop(upl->offset) / DP_CLUSTER_PAGES, w->cluster);
	}
	if (kr != KERN_SUCCESS) {
		upl_abort(upl);
		return kr;
	}
	spin_lock(&dp_lock);
	dp_stats.pageouts += upl->count;
	spin_unlock(&dp_lock);
	upl_commit(upl);
	return KERN_SUCCESS;
}

/* dp_data_return: write a pageout UPL and wait for it (dp_write_start, dp_write_finish). */
static kern_return_t dp_data_return(vm_object_t object, upl_t upl)
{
	struct dp_write w;
	kern_return_t kr = dp_write_start(object, upl, &w);

	return kr == KERN_SUCCESS ? dp_write_finish(&w) : kr;
}

/*
 * Writes in flight for data_return_async, oldest first: a new one waits
 * for the oldest once DP_WRITES_IN_FLIGHT are out, and sync waits for all.
 * Locking: [r] dp_write_lock, held across the waits.
 */
#define DP_WRITES_IN_FLIGHT	4

static struct mutex dp_write_lock = MUTEX_INIT("dp_write");
static struct dp_write dp_writes[DP_WRITES_IN_FLIGHT];	/* [r] a ring */
static uint32_t dp_write_head, dp_write_count;		/* [r] */

/* dp_write_finish_oldest: finish the oldest write in flight.  => dp_write_lock held, one in flight */
static void dp_write_finish_oldest(void)
{
	LOCK_ASSERT(mutex_owned(&dp_write_lock), "dp_write_finish_oldest: dp_write_lock not held");

	dp_write_finish(&dp_writes[dp_write_head]);
	dp_write_head = (dp_write_head + 1) % DP_WRITES_IN_FLIGHT;
	dp_write_count--;
}

static kern_return_t dp_data_return_async(vm_object_t object, upl_t upl)
{
	kern_return_t kr;

	mutex_lock(&dp_write_lock);
	if (dp_write_count == DP_WRITES_IN_FLIGHT)
		dp_write_finish_oldest();
	kr = dp_write_start(object, upl,
			    &dp_writes[(dp_write_head + dp_write_count) % DP_WRITES_IN_FLIGHT]);
	dp_write_count += kr == KERN_SUCCESS;
	mutex_unlock(&dp_write_lock);
	return kr;
}

static void dp_sync(void)
{
	mutex_lock(&dp_write_lock);
	while (dp_write_count)
		dp_write_finish_oldest();
	mutex_unlock(&dp_write_lock);
}

/*
 * dp_window_locked: how far before and after offset to read: pages whose
 * slots continue offset's slot inside its cluster (so one request reads
 * them all, and a read error fails the pages of that cluster only, never
 * a neighbour's whose slots happen to follow on) and that are not
 * resident, up to the behavior's reach.  => object locked
 */
static void dp_window_locked(vm_object_t object, vm_object_offset_t offset, vm_behavior_t behavior,
			     vm_object_offset_t *lo, vm_object_offset_t *hi, uint64_t *code_lo)
{
	uint64_t behind = 0, ahead = 0, code;
	uint64_t block = trunc_page(offset) & ~(ptoa(DP_CLUSTER_PAGES) - 1);

	LOCK_ASSERT(mutex_owned(&object->lock),
		"dp_window_locked: object %lu not locked", object->id);
	LOCK_ASSERT(spin_held(&dp_lock), "dp_window_locked: dp_lock not held");
	code = dp_get_locked(object, offset);
	switch (behavior) {
	case VM_BEHAVIOR_SEQUENTIAL:
		ahead = DP_CLUSTER_PAGES - 1;
		break;
	case VM_BEHAVIOR_RSEQNTL:
		behind = DP_CLUSTER_PAGES - 1;
		break;
	case VM_BEHAVIOR_RANDOM:
		break;
	default:			/* the rest of the cluster-aligned block */
		behind = atop(offset - block);
		ahead = DP_CLUSTER_PAGES - 1 - behind;
		break;
	}
	*lo = *hi = offset;
	*code_lo = code;
	for (uint64_t n = 1; n <= behind && *lo >= PAGE_SIZE; n++) {
		vm_object_offset_t o = *lo - PAGE_SIZE;

		if (dp_code_page(*code_lo) % DP_CLUSTER_PAGES == 0 ||
		    dp_get_locked(object, o) != *code_lo - 1 || vm_page_lookup(object, o))
			break;
		*lo = o;
		(*code_lo)--;
	}
	for (uint64_t n = 1; n <= ahead && *hi + PAGE_SIZE < object->size; n++) {
		vm_object_offset_t o = *hi + PAGE_SIZE;

		if ((dp_code_page(code) + n) % DP_CLUSTER_PAGES == 0 ||
		    dp_get_locked(object, o) != code + n || vm_page_lookup(object, o))
			break;
		*hi = o;
	}
	*hi += PAGE_SIZE;
}

/*
 * dp_pagein_codes: where each page of a pagein UPL lives now, held in
 * flight.  Its pages are busy, so no other pagein or move changes these
 * homes until the UPL is done.  Pages the store no longer holds (dropped
 * since the window was sized) leave the UPL.  => nothing locked
 */
static void dp_pagein_codes(vm_object_t object, upl_t upl, uint64_t *codes, uint32_t *sums)
{
	mutex_lock(&object->lock);
	spin_lock(&dp_lock);
	for (uint32_t i = 0; i < upl->npages; i++) {
		codes[i] = upl->pages[i] ? dp_get_locked(object, upl->offset + ptoa(i)) : 0;
		if (sums)
			sums[i] = codes[i] ? dp_sum_locked(object, upl->offset + ptoa(i)) : 0;
	}
	dp_codes_hold_locked(codes, upl->npages);
	spin_unlock(&dp_lock);
	mutex_unlock(&object->lock);
	for (uint32_t i = 0; i < upl->npages; i++)
		if (upl->pages[i] && !codes[i])
			upl_abort_range(upl, ptoa(i), PAGE_SIZE, 0, NULL);
}

/*
 * dp_pagein_verify: the pages read (slot i holding codes[i], not in
 * *failed) against their recorded checksums; a page that differs is set
 * in *failed: the store gave back something else than was written.
 */
static void dp_pagein_verify(upl_t upl, const uint64_t *codes, const uint32_t *sums, uint64_t *failed)
{
	bool report;

	for (uint32_t i = 0; i < upl->npages; i++) {
		if (!upl->pages[i] || !codes[i] || (*failed & (1ull << i)) ||
		    pmap_page_checksum(upl->pages[i]) == sums[i])
			continue;
		*failed |= 1ull << i;
		spin_lock(&dp_lock);
		dp_stats.checksum_errors++;
		report = dp_report_first_locked(dp_code_segment(codes[i]), DP_REPORTED_CHECKSUM);
		spin_unlock(&dp_lock);
		if (report)
			dp_report(dp_code_segment(codes[i]), "checksum mismatch", dp_code_page(codes[i]),
				  "the page fails (KERN_MEMORY_ERROR)");
	}
}

/*
 * dp_pagein: read a pagein UPL's pages from the store, each checked
 * against its checksum.  => nothing locked; the UPL is left to the
 * caller; the slots whose pages failed (a read error, a checksum
 * mismatch) in the result (bit i: slot i)
 */
static uint64_t dp_pagein(vm_object_t object, upl_t upl)
{
	uint64_t codes[UPL_INLINE_PAGES], failed = 0;
	uint32_t sums[UPL_INLINE_PAGES];

	KASSERT(upl->npages <= UPL_INLINE_PAGES, "dp_pagein: a window of %u pages", upl->npages);
	dp_pagein_codes(object, upl, codes, sums);
	dp_io_runs(false, codes, upl, &failed);
	dp_pagein_verify(upl, codes, sums, &failed);
	dp_codes_release(codes, upl->npages);
	return failed;
}

/*
 * dp_data_request: read the window around offset in one request, through
 * a pagein UPL.  Pages that fail are left out (absent, their copies kept:
 * asked again, they fail again); the others come in.
 * => KERN_MEMORY_ERROR if the page at offset failed
 */
static kern_return_t dp_data_request(vm_object_t object, vm_object_offset_t offset,
				     vm_behavior_t behavior)
{
	vm_object_offset_t lo, hi;
	uint64_t code, failed;
	kern_return_t kr;
	upl_t upl;

	mutex_lock(&object->lock);
	spin_lock(&dp_lock);
	dp_window_locked(object, offset, behavior, &lo, &hi, &code);
	spin_unlock(&dp_lock);
	mutex_unlock(&object->lock);
	if (!code)
		return KERN_SUCCESS;		/* paged in by someone else meanwhile */
	kr = upl_request(object, lo, hi - lo, UPL_RETURN_ONLY_ABSENT | UPL_NOBLOCK, &upl);
	if (kr != KERN_SUCCESS)
		return kr;
	/* Pages another pagein is filling are left out: read each run of the rest. */
	failed = dp_pagein(object, upl);
	kr = (failed >> atop(trunc_page(offset) - upl->offset)) & 1 ? KERN_MEMORY_ERROR : KERN_SUCCESS;
	for (uint32_t i = 0; i < upl->npages; i++) {
		if (failed & (1ull << i))
			upl_abort_range(upl, ptoa(i), PAGE_SIZE, 0, NULL);
		/* Neighbours read ahead wait on the inactive queue: unused, they are the first to go. */
		else if (upl->pages[i] && upl->offset + ptoa(i) != trunc_page(offset))
			vm_page_deactivate(upl->pages[i]);
	}
	spin_lock(&dp_lock);
	dp_stats.pageins += upl->count;
	spin_unlock(&dp_lock);
	upl_commit(upl);
	return kr;
}

/* dp_spares: n blocks for dp_absorb, linked through hnext; NULL if memory ran out. */
static struct dp_block *dp_spares(uint64_t n)
{
	struct dp_block *list = NULL;

	while (n--) {
		struct dp_block *b = zalloc_noblock(&dp_block_zone);

		if (!b) {
			while (list) {
				b = list;
				list = list->hnext;
				zfree(&dp_block_zone, b);
			}
			return NULL;
		}
		b->hnext = list;
		list = b;
	}
	return list;
}

/* dp_absorb_block_locked: move b's slots that show through object into object's record. */
static void dp_absorb_block_locked(vm_object_t object, struct dp_block *b, vm_object_offset_t delta,
				   struct dp_block **spares)
{
	struct dp_object *bdo = b->object->pager_data, *odo = object->pager_data;

	LOCK_ASSERT(spin_held(&dp_lock), "dp_absorb_block_locked: dp_lock not held");
	for (int i = 0; i < DP_CLUSTER_PAGES; i++) {
		vm_object_offset_t off = ptoa(b->blkno * DP_CLUSTER_PAGES + (uint64_t)i), to = off - delta;
		struct dp_block *ob;

		if (!b->slot[i] || off < delta || to >= object->size || vm_page_lookup(object, to) ||
		    dp_get_locked(object, to))
			continue;		/* hidden, or outside object: backing's terminate frees it */
		ob = dp_block_find_locked(object, atop(to) / DP_CLUSTER_PAGES);
		if (!ob) {
			struct dp_block *spare = *spares;

			*spares = spare->hnext;
			ob = dp_block_get_locked(object, atop(to) / DP_CLUSTER_PAGES, &spare);
		}
		ob->slot[atop(to) % DP_CLUSTER_PAGES] = b->slot[i];	/* the same slot, now object's */
		ob->segments |= dp_code_bit(b->slot[i]);
		ob->sum[atop(to) % DP_CLUSTER_PAGES] = b->sum[i];
		odo->nslots++;
		b->slot[i] = 0;
		bdo->nslots--;
	}
}

/*
 * dp_absorb: the pager's absorb.  The slot codes move as they are: a
 * cluster's use count does not change, only which block names the slot.
 * Every block of backing may need two of object's (delta need not be a
 * multiple of a cluster): they are allocated first.
 */
static bool dp_absorb(vm_object_t object, vm_object_t backing, vm_object_offset_t delta)
{
	struct dp_object *bdo = backing->pager_data, *dpo = NULL;
	struct dp_block *spares;
	uint64_t nblocks = 0;

	spin_lock(&dp_lock);
	for (struct dp_block *b = bdo->blocks; b; b = b->onext)
		nblocks++;
	spin_unlock(&dp_lock);
	if (!object->pager_data && !(dpo = zalloc_noblock(&dp_object_zone)))
		return false;
	spares = NULL;
	if (nblocks && !(spares = dp_spares(2 * nblocks))) {
		if (dpo)
			zfree(&dp_object_zone, dpo);
		return false;
	}
	if (dpo) {
		*dpo = (struct dp_object){ .blocks = NULL };
		object->pager_data = dpo;
		__atomic_store_n(&object->pager, &dp_ops, __ATOMIC_RELEASE);
	}
	spin_lock(&dp_lock);
	for (struct dp_block *b = bdo->blocks; b; b = b->onext)
		dp_absorb_block_locked(object, b, delta, &spares);
	spin_unlock(&dp_lock);
	while (spares) {
		struct dp_block *b = spares;

		spares = spares->hnext;
		zfree(&dp_block_zone, b);
	}
	return true;
}

static const struct vm_pager_ops dp_ops = {
	.name = "default",
	.has_page = dp_has_page,
	.data_request = dp_data_request,
	.data_return = dp_data_return,
	.data_return_async = dp_data_return_async,
	.sync = dp_sync,
	.discard = dp_discard,
	.terminate = dp_terminate,
	.absorb = dp_absorb,
};

void default_pager_init(void)
{
	vm_pager_default = &dp_ops;
}

/* ---- the pool -------------------------------------------------------------- */

kern_return_t default_pager_add_segment(const char *name, const struct swap_segment_ops *ops,
					void *dev, uint64_t npages, struct swap_segment **out)
{
	uint64_t nclusters = npages / DP_CLUSTER_PAGES;
	struct swap_segment *seg = NULL;
	uint8_t *used;

	if (!ops || !ops->start || !ops->finish || nclusters == 0 || nclusters > INT32_MAX)
		return KERN_INVALID_ARGUMENT;
	/* pinned_heap: read and written under dp_lock, on the pageout path. */
	used = (uint8_t *)xmalloc((int)(2 * nclusters), 3, pinned_heap);
	if (!used)
		return KERN_RESOURCE_SHORTAGE;
	memset(used, 0, 2 * nclusters);		/* used counts, then states (DP_CLUSTER_FREE) */
	spin_lock(&dp_lock);
	for (int i = 0; i < DP_MAX_SEGMENTS && !seg; i++)
		if (!dp_segments[i].in_use)
			seg = &dp_segments[i];
	if (seg) {
		*seg = (struct swap_segment){ .ops = ops, .dev = dev, .nclusters = nclusters, .used = used,
					      .state = used + nclusters, .free_clusters = nclusters,
					      .in_use = true };
		strncpy(seg->name, name, sizeof(seg->name) - 1);
		dp_stats.segments++;
		dp_slots = MAX(dp_slots, (int)(seg - dp_segments) + 1);
	}
	spin_unlock(&dp_lock);
	if (!seg) {
		xmfree((caddr_t)used, pinned_heap);
		return KERN_RESOURCE_SHORTAGE;
	}
	if (out)
		*out = seg;
	return KERN_SUCCESS;
}

const struct swap_segment *default_pager_segment(int i)
{
	return i >= 0 && i < DP_MAX_SEGMENTS && dp_segments[i].in_use ? &dp_segments[i] : NULL;
}

void default_pager_stats(struct default_pager_stats *st)
{
	spin_lock(&dp_lock);
	*st = dp_stats;
	st->total_pages = st->free_pages = 0;
	for (int i = 0; i < DP_MAX_SEGMENTS; i++) {
		const struct swap_segment *seg = &dp_segments[i];

		if (!seg->in_use)
			continue;
		st->total_pages += seg->nclusters * DP_CLUSTER_PAGES;
		if (!seg->draining)
			st->free_pages += seg->free_clusters * DP_CLUSTER_PAGES;
	}
	spin_unlock(&dp_lock);
}

/* ---- draining -------------------------------------------------------------- */

#define DP_DRAIN_BATCH	16		/* blocks one look through the records collects */

struct dp_move {
	vm_object_t object;		/* referenced */
	uint64_t blkno;
};

static bool dp_segment_valid_locked(const struct swap_segment *seg)
{
	LOCK_ASSERT(spin_held(&dp_lock), "dp_segment_valid_locked: dp_lock not held");

	return seg >= dp_segments && seg < dp_segments + DP_MAX_SEGMENTS && seg->in_use;
}

/*
 * dp_block_in_segment_locked: some page of b lives in seg.  Only a block
 * whose slots have ever named seg is looked through: a drain step passes
 * the blocks of the rest of the pool at the cost of one test each.
 */
static bool dp_block_in_segment_locked(const struct dp_block *b, const struct swap_segment *seg)
{
	LOCK_ASSERT(spin_held(&dp_lock), "dp_block_in_segment_locked: dp_lock not held");

	if (!(b->segments & 1u << (seg - dp_segments)))
		return false;
	for (int i = 0; i < DP_CLUSTER_PAGES; i++)
		if (b->slot[i] && dp_code_segment(b->slot[i]) == seg)
			return true;
	return false;
}

/*
 * dp_drain_collect_locked: up to max blocks with pages in seg, their
 * objects referenced (dying ones are left to terminate).  Blocks that
 * only write to seg let go of it, unless a write there is in flight.
 * => dp_lock held; returns how many were collected
 */
static unsigned dp_drain_collect_locked(struct swap_segment *seg, struct dp_move *mv, unsigned max)
{
	unsigned n = 0;

	LOCK_ASSERT(spin_held(&dp_lock), "dp_drain_collect_locked: dp_lock not held");
	for (int h = 0; h < DP_HASH_BUCKETS && n < max; h++)
		for (struct dp_block *b = dp_hash[h]; b && n < max; b = b->hnext) {
			if (dp_block_in_segment_locked(b, seg)) {
				if (vm_object_reference_live(b->object))
					mv[n++] = (struct dp_move){ b->object, b->blkno };
			} else if (b->cluster && dp_code_segment(b->cluster) == seg && !b->writers) {
				dp_block_set_cluster_locked(b, 0);
			}
		}
	return n;
}

/*
 * dp_drop_resident_copies: resident, idle pages of the block at off lose
 * their copy in seg (so they count as dirty: the next pageout writes them
 * elsewhere).  *first, *end: the pages of the block still absent with a
 * copy in seg (*first == *end if none).
 */
static void dp_drop_resident_copies(vm_object_t object, vm_object_offset_t off, uint32_t npages,
				    const struct swap_segment *seg, uint32_t *first, uint32_t *end)
{
	*first = npages;
	*end = 0;
	mutex_lock(&object->lock);
	spin_lock(&dp_lock);
	for (uint32_t i = 0; i < npages; i++) {
		uint64_t code = dp_get_locked(object, off + ptoa(i));
		vm_page_t m;

		if (!code || dp_code_segment(code) != seg)
			continue;
		m = vm_page_lookup(object, off + ptoa(i));
		if (m && !m->busy) {
			dp_set_locked(object, off + ptoa(i), 0);
			dp_slot_free_locked(code);
		} else if (!m) {
			*first = MIN(*first, i);
			*end = i + 1;
		}
	}
	spin_unlock(&dp_lock);
	mutex_unlock(&object->lock);
	*end = MAX(*end, *first);
}

/*
 * dp_move_absent: read the absent pages of [off, off + size) that live in
 * seg into the busy pages of a pagein UPL, write them to their block's
 * new cluster and record them there, then drop the pages again: the data
 * stays in the store.  Faults on those pages wait while they are busy.
 */
static kern_return_t dp_move_absent(vm_object_t object, vm_object_offset_t off, vm_size_t size,
				    const struct swap_segment *seg)
{
	uint64_t cluster, held[DP_CLUSTER_PAGES], from[DP_CLUSTER_PAGES], to[DP_CLUSTER_PAGES];
	uint64_t first = atop(off) % DP_CLUSTER_PAGES, n = 0;
	kern_return_t kr;
	upl_t upl;

	cluster = dp_block_cluster(object, atop(off) / DP_CLUSTER_PAGES);
	if (!cluster)
		return KERN_RESOURCE_SHORTAGE;
	kr = upl_request(object, off, size, UPL_RETURN_ONLY_ABSENT | UPL_NOBLOCK, &upl);
	if (kr != KERN_SUCCESS) {
		dp_block_written(object, atop(off) / DP_CLUSTER_PAGES, cluster);
		return kr;
	}
	dp_pagein_codes(object, upl, held, NULL);
	for (uint32_t i = 0; i < upl->npages; i++) {
		bool here = held[i] && dp_code_segment(held[i]) == seg;

		from[i] = here ? held[i] : 0;
		to[i] = here ? cluster + first + i : 0;
		n += here;
	}
	kr = dp_io_runs(false, from, upl, NULL);
	if (kr == KERN_SUCCESS) {
		kr = dp_io_runs(true, to, upl, NULL);
		if (kr == KERN_SUCCESS) {
			dp_record(object, upl, to, NULL, true);
		} else {
			spin_lock(&dp_lock);
			dp_cluster_bad_locked(cluster);
			spin_unlock(&dp_lock);
		}
	}
	dp_codes_release(held, upl->npages);
	dp_block_written(object, atop(off) / DP_CLUSTER_PAGES, cluster);
	upl_abort(upl);
	if (kr != KERN_SUCCESS)
		return KERN_MEMORY_ERROR;
	spin_lock(&dp_lock);
	dp_stats.moved += n;
	spin_unlock(&dp_lock);
	return KERN_SUCCESS;
}

/* dp_block_move: block blkno of object keeps nothing in seg any more (if it goes well). */
static kern_return_t dp_block_move(vm_object_t object, uint64_t blkno, const struct swap_segment *seg)
{
	vm_object_offset_t off = ptoa(blkno * DP_CLUSTER_PAGES);
	uint32_t npages, first, end;

	mutex_lock(&object->lock);
	npages = off < object->size ? (uint32_t)MIN(DP_CLUSTER_PAGES, atop(object->size - off)) : 0;
	mutex_unlock(&object->lock);
	dp_drop_resident_copies(object, off, npages, seg, &first, &end);
	if (first == end)
		return KERN_SUCCESS;
	return dp_move_absent(object, off + ptoa(first), ptoa(end - first), seg);
}

kern_return_t default_pager_drain_start(struct swap_segment *seg, bool force)
{
	kern_return_t kr = KERN_SUCCESS;
	uint64_t need = 0, room = 0;

	spin_lock(&dp_lock);
	if (!dp_segment_valid_locked(seg) || seg->draining) {
		kr = KERN_INVALID_ARGUMENT;
	} else {
		for (uint64_t c = 0; c < seg->nclusters; c++)
			need += seg->used[c] != 0;
		for (int i = 0; i < DP_MAX_SEGMENTS; i++)
			if (&dp_segments[i] != seg && dp_segments[i].in_use && !dp_segments[i].draining)
				room += dp_segments[i].free_clusters;
		if (need > room && !force)
			kr = KERN_RESOURCE_SHORTAGE;
		else
			seg->draining = true;
	}
	spin_unlock(&dp_lock);
	return kr;
}

kern_return_t default_pager_drain_step(struct swap_segment *seg, unsigned max_blocks, bool *empty)
{
	struct dp_move mv[DP_DRAIN_BATCH];
	kern_return_t kr = KERN_SUCCESS;
	unsigned n;

	if (!empty)
		return KERN_INVALID_ARGUMENT;
	*empty = false;
	spin_lock(&dp_lock);
	if (!dp_segment_valid_locked(seg) || !seg->draining) {
		spin_unlock(&dp_lock);
		return KERN_INVALID_ARGUMENT;
	}
	n = dp_drain_collect_locked(seg, mv, MIN(max_blocks, DP_DRAIN_BATCH));
	*empty = n == 0 && seg->used_pages == 0 && seg->refs == 0 && seg->io_busy == 0;
	spin_unlock(&dp_lock);
	for (unsigned i = 0; i < n; i++) {
		if (kr == KERN_SUCCESS)
			kr = dp_block_move(mv[i].object, mv[i].blkno, seg);
		vm_object_deallocate(mv[i].object);
	}
	return kr;
}

kern_return_t default_pager_drain_cancel(struct swap_segment *seg)
{
	kern_return_t kr = KERN_SUCCESS;

	spin_lock(&dp_lock);
	if (!dp_segment_valid_locked(seg) || !seg->draining)
		kr = KERN_INVALID_ARGUMENT;
	else
		seg->draining = false;		/* orphaned clusters free themselves as they empty */
	spin_unlock(&dp_lock);
	return kr;
}

/* dp_slots_trim_locked: a slot was let go: dp_slots ends at the last one still in use. */
static void dp_slots_trim_locked(void)
{
	LOCK_ASSERT(spin_held(&dp_lock), "dp_slots_trim_locked: dp_lock not held");

	while (dp_slots > 0 && !dp_segments[dp_slots - 1].in_use)
		dp_slots--;
	if (dp_next_segment >= dp_slots)
		dp_next_segment = 0;
}

kern_return_t default_pager_remove_segment(struct swap_segment *seg)
{
	const struct swap_segment_ops *ops = NULL;
	kern_return_t kr = KERN_SUCCESS;
	uint8_t *used = NULL;
	void *dev = NULL;

	spin_lock(&dp_lock);
	if (!dp_segment_valid_locked(seg) || !seg->draining) {
		kr = KERN_INVALID_ARGUMENT;
	} else if (seg->used_pages || seg->refs || seg->io_busy) {
		kr = KERN_FAILURE;
	} else {
		ops = seg->ops;
		dev = seg->dev;
		used = seg->used;
		seg->in_use = false;
		dp_slots_trim_locked();
		dp_stats.segments--;
		dp_stats.segments_removed++;
	}
	spin_unlock(&dp_lock);
	if (kr != KERN_SUCCESS)
		return kr;
	xmfree((caddr_t)used, pinned_heap);
	if (ops->release)
		ops->release(dev);
	return KERN_SUCCESS;
}

/* A segment's figures, gathered under dp_lock for default_pager_print. */
struct dp_seg_view {
	char name[DP_NAME_MAX];
	uint64_t clusters[4];		/* by enum dp_cluster_state */
	uint64_t used_pages, refs, io_busy;
	bool draining;
};

void default_pager_print(int (*print)(const char *fmt, ...))
{
	struct dp_seg_view v[DP_MAX_SEGMENTS];
	struct default_pager_stats st;
	int n = 0;

	spin_lock(&dp_lock);
	for (int i = 0; i < DP_MAX_SEGMENTS; i++) {
		const struct swap_segment *seg = &dp_segments[i];

		if (!seg->in_use)
			continue;
		v[n] = (struct dp_seg_view){ .used_pages = seg->used_pages, .refs = seg->refs,
					     .io_busy = seg->io_busy, .draining = seg->draining };
		memcpy(v[n].name, seg->name, DP_NAME_MAX);
		for (uint64_t c = 0; c < seg->nclusters; c++)
			v[n].clusters[seg->state[c]]++;
		n++;
	}
	spin_unlock(&dp_lock);
	default_pager_stats(&st);
	print("default pager: %lu segments, %lu of %lu pages free, %lu held; %lu out, %lu in, %lu moved\n",
	      st.segments, st.free_pages, st.total_pages, st.used_pages, st.pageouts, st.pageins,
	      st.moved);
	print("  errors: %lu read (%lu tried again), %lu write, %lu checksum\n", st.read_errors,
	      st.read_retries, st.write_errors, st.checksum_errors);
	for (int i = 0; i < n; i++)
		print("  %-20s clusters %lu free %lu owned %lu orphaned %lu bad; %lu pages, %lu blocks"
		      " writing, %lu in flight%s\n", v[i].name, v[i].clusters[DP_CLUSTER_FREE],
		      v[i].clusters[DP_CLUSTER_OWNED], v[i].clusters[DP_CLUSTER_ORPHANED],
		      v[i].clusters[DP_CLUSTER_BAD], v[i].used_pages, v[i].refs, v[i].io_busy,
		      v[i].draining ? ", draining" : "");
}

/* dp_check_segment_locked: seg's cluster states and counts agree; returns problems. */
static int dp_check_segment_locked(const struct swap_segment *seg, uint64_t refs,
				   void (*report)(const char *fmt, ...))
{
	uint64_t free_seen = 0, used = 0;
	int bad = 0;

	LOCK_ASSERT(spin_held(&dp_lock), "dp_check_segment_locked: dp_lock not held");
	for (uint64_t c = 0; c < seg->nclusters; c++) {
		used += seg->used[c];
		free_seen += seg->state[c] == DP_CLUSTER_FREE;
		if ((seg->state[c] == DP_CLUSTER_FREE && seg->used[c]) ||
		    (seg->state[c] == DP_CLUSTER_ORPHANED && !seg->used[c])) {
			report("default_pager_check: %s: cluster %lu in state %d holds %u pages\n",
			       seg->name, c, seg->state[c], seg->used[c]);
			bad++;
		}
	}
	if (free_seen != seg->free_clusters || used != seg->used_pages || refs != seg->refs) {
		report("default_pager_check: %s: %lu free clusters, %lu used pages, %lu owning blocks;"
		       " counts say %lu, %lu, %lu\n", seg->name, free_seen, used, refs,
		       seg->free_clusters, seg->used_pages, seg->refs);
		bad++;
	}
	return bad;
}

/* dp_check_block_segments_locked: every segment b's slots name has its bit in b->segments. */
static int dp_check_block_segments_locked(const struct dp_block *b,
					  void (*report)(const char *fmt, ...))
{
	LOCK_ASSERT(spin_held(&dp_lock), "dp_check_block_segments_locked: dp_lock not held");

	for (int i = 0; i < DP_CLUSTER_PAGES; i++)
		if (b->slot[i] && !(b->segments & dp_code_bit(b->slot[i]))) {
			report("default_pager_check: a block of object %lu holds a page in %s, not in its"
			       " segments %#x\n", b->object->id, dp_code_segment(b->slot[i])->name,
			       b->segments);
			return 1;
		}
	return 0;
}

/*
 * default_pager_check: the slots the object records hold are exactly the
 * pages the clusters count as used; each block's cluster is owned (or
 * bad), its segments cover its slots, and each segment's counts match
 * its clusters.
 */
int default_pager_check(void (*report)(const char *fmt, ...))
{
	uint64_t recorded = 0, refs[DP_MAX_SEGMENTS] = { 0 };
	int bad = 0, state;

	spin_lock(&dp_lock);
	for (int h = 0; h < DP_HASH_BUCKETS; h++)
		for (struct dp_block *b = dp_hash[h]; b; b = b->hnext) {
			for (int i = 0; i < DP_CLUSTER_PAGES; i++)
				recorded += b->slot[i] != 0;
			bad += dp_check_block_segments_locked(b, report);
			if (!b->cluster)
				continue;
			refs[(b->cluster >> DP_SEG_SHIFT) - 1]++;
			state = dp_code_segment(b->cluster)->state[dp_code_cluster(b->cluster)];
			if (state == DP_CLUSTER_FREE || state == DP_CLUSTER_ORPHANED) {
				report("default_pager_check: a block writes to a free or orphaned cluster\n");
				bad++;
			}
		}
	for (int i = 0; i < DP_MAX_SEGMENTS; i++)
		if (dp_segments[i].in_use)
			bad += dp_check_segment_locked(&dp_segments[i], refs[i], report);
	if (recorded != dp_stats.used_pages) {
		report("default_pager_check: objects record %lu slots, stats say %lu\n", recorded,
		       dp_stats.used_pages);
		bad++;
	}
	spin_unlock(&dp_lock);
	return bad;
}
