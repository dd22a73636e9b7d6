/*
 * paging_bench.c: pageout and pagein through the default pager on a
 * virtio-blk swap disk (swap=SERIAL on the command line), or on the swap
 * disks and swap files make bench-scale gives it (swapfile=TAG: the
 * benchmarks first wait for every file the dynamic pager may make).
 *
 * A region is one anonymous object mapped at REGION_BASE in a map of its
 * own; it is filled by zero-fill write faults (page i holds i in its first
 * word), then paged out as the daemon pages out an inactive page: one
 * cluster-aligned UPL of PAGEOUT_PAGES at a time, upl_request with
 * RETURN_ONLY_DIRTY, then the default pager's data_return, which writes
 * the cluster in one request and commits the UPL (the pages are freed).
 * The daemon uses data_return_async instead (the same work, with up to
 * four writes in flight); the throughput ratio below pages out that way.
 *
 * pageout.per_page: the guest instructions of that, per page.
 * pagein.per_page: per page, reading the paged-out region back in order
 * with the default behavior: one fault per page, trap included; the first
 * fault of each cluster pages the whole cluster in with one request, the
 * others find their page resident.
 *
 * Device time is left out as blk_bench.c leaves it out: the measured loop
 * runs with interrupts off, so every wait for the disk polls the used ring
 * instead of sleeping (virtq_wait does so when the caller has interrupts
 * off), and the instructions spent spinning there, which the queue counts
 * in stats.poll_instret, are subtracted.  Nothing else runs on the single
 * hart meanwhile and what remains does not depend on how long the disk
 * took, so the figures repeat from boot to boot.
 *
 * pageout.throughput_ratio (host time, per mille): pageout MiB/s, paged
 * out as the daemon does (data_return_async: up to four 64 KiB cluster
 * writes in flight while the next UPL is gathered), over raw sequential
 * write MiB/s: the raw side writes from one kernel buffer with
 * virtio_blk_write, one 64 KiB request at a time; both land on space of
 * their disk never written before (the swap disk is large enough that the
 * pager's cluster cursor never wraps).  Both run with interrupts on (waits
 * sleep) in the kernel's map, as the daemon does.  ROUNDS rounds alternate
 * 256 KiB of each (16 MiB in all) and the fastest round of each side
 * counts: a busy host only ever slows a round down.  The note gives both
 * figures and, to show what bigger requests get from the disk, raw MiB/s
 * in 1 MiB pieces with 8 in flight (as blk.write.throughput writes).
 *
 * pagein.sequential.requests_per_mib: read requests (the default pager's
 * read_requests) per MiB paged in by faulting in order over a paged-out
 * region whose entry is VM_BEHAVIOR_SEQUENTIAL.
 */
#include "drivers/virtio/virtio_9p.h"
#include "drivers/virtio/virtio_blk.h"
#include "kern/kernel.h"
#include "kern/thread.h"
#include "platform/riscv/hart.h"
#include "platform/riscv/riscv.h"
#include "platform/riscv/semihost.h"
#include "tests/bench/kbench.h"
#include "tests/kernel/region_fixture.h"
#include "vm/default_pager.h"
#include "vm/dynamic_pager.h"
#include "vm/vm.h"
#include "vm/vm_kern.h"
#include "vm/vm_pager.h"
#include "vm/vm_upl.h"

KBENCH_RUN(paging, "bench=pageout,pagein swap=swap virtio_blk.dma=passthrough", "-m 64M -smp 1 --blk swap:256M --blk raw:128M");

#define RAW_DISK		"raw"
#define REGION_BASE		0x10000000ul
#define PAGEOUT_PAGES		DP_CLUSTER_PAGES	/* one UPL, as the daemon sends */
#define COST_PAGES		1024ul			/* 4 MiB */
#define ROUND_PAGES		64ul			/* 256 KiB */
#define ROUNDS			64
#define RAW_BIG_BYTES		(8ul << 20)		/* one virtio_blk_write call */
#define MIB			(1ul << 20)
#define SWAP_FILES_POLL_NS	(20ul * 1000 * 1000)		/* the dynamic pager's poll */
#define SWAP_FILES_WAIT_NS	(120ul * 1000 * 1000 * 1000)	/* for all of them */

/*
 * region_create: a region of npages at REGION_BASE, whose map the calling
 * thread runs in from now on.
 * => false if memory ran out (region_destroy still cleans up)
 */
static bool region_create(struct region_fixture *r, uint64_t npages)
{
	if (!region_fixture_make(r, REGION_BASE, npages))
		return false;
	thread_set_map(r->map);
	return true;
}

/* region_destroy: leave the map; map and object go, and their swap slots with them. */
static void region_destroy(struct region_fixture *r)
{
	thread_set_map(NULL);
	region_fixture_drop(r);
}

/* region_fill: write i into the first word of page i (a zero-fill fault each).  => in r's map */
static void region_fill(const struct region_fixture *r)
{
	csr_set(sstatus, SSTATUS_SUM);
	for (uint64_t i = 0; i < r->npages; i++)
		*(volatile uint64_t *)(REGION_BASE + ptoa(i)) = i;
	csr_clear(sstatus, SSTATUS_SUM);
}

/*
 * region_read: read every page in order (a fault each where it is not
 * mapped).  => in r's map; false if a page does not hold its number
 */
static bool region_read(const struct region_fixture *r)
{
	bool ok = true;

	csr_set(sstatus, SSTATUS_SUM);
	for (uint64_t i = 0; i < r->npages; i++)
		ok &= *(volatile uint64_t *)(REGION_BASE + ptoa(i)) == i;
	csr_clear(sstatus, SSTATUS_SUM);
	return ok;
}

/*
 * region_pageout_range: page out pages [first, first + n) of r, one
 * cluster-aligned UPL of PAGEOUT_PAGES at a time, as the daemon's scan
 * does: data_return_async for each (or, with `wait`, data_return, which
 * waits for each write: the instructions then do not depend on when the
 * disk answers), then the pager's sync.  => false if a UPL could not be
 * had or the pager refused one
 */
static bool region_pageout_range(const struct region_fixture *r, uint64_t first, uint64_t n,
				 bool wait)
{
	kern_return_t (*put)(vm_object_t, upl_t) =
		wait ? vm_pager_data_return : vm_pager_data_return_async;
	bool ok = true;

	for (uint64_t p = first; ok && p < first + n; p += PAGEOUT_PAGES) {
		upl_t upl;

		ok = upl_request(r->object, ptoa(p), ptoa(MIN(PAGEOUT_PAGES, first + n - p)),
				 UPL_RETURN_ONLY_DIRTY | UPL_NOBLOCK, &upl) == KERN_SUCCESS;
		if (ok && upl->count == 0)
			upl_abort(upl);
		else if (ok)
			ok = put(r->object, upl) == KERN_SUCCESS;
	}
	vm_pager_sync();
	return ok;
}

/* region_pageout: all of r, each write waited for. */
static bool region_pageout(const struct region_fixture *r)
{
	return region_pageout_range(r, 0, r->npages, true);
}

/* region_create_paged_out: region_create, filled, then paged out.  => false on an error */
static bool region_create_paged_out(struct region_fixture *r, uint64_t npages)
{
	if (!region_create(r, npages))
		return false;
	region_fill(r);
	return region_pageout(r);
}

/*
 * swap_poll_instret: instructions spent so far spinning for the devices
 * (virtq_wait polled): the swap disks, one or (make bench-scale) many,
 * and the 9p share of the swap files.
 */
static uint64_t swap_poll_instret(void)
{
	uint64_t n = 0;

	for (int i = 0; i < virtio_blk_count(); i++)
		n += virtio_blk_get(i)->q->stats.poll_instret;
	for (int i = 0; i < virtio_9p_count(); i++)
		n += virtio_9p_get(i)->q->stats.poll_instret;
	return n;
}

/*
 * polled_cost: the instructions of fn(r), run with interrupts off, less
 * those spent spinning for the swap disk.  => 0 if fn failed
 */
static uint64_t polled_cost(bool (*fn)(const struct region_fixture *), const struct region_fixture *r)
{
	uint64_t t0, t1, p0, p1;
	bool ok;

	intr_push_off();
	p0 = swap_poll_instret();
	t0 = rdinstret();
	ok = fn(r);
	t1 = rdinstret();
	p1 = swap_poll_instret();
	intr_pop_off();
	return ok ? (t1 - t0) - (p1 - p0) : 0;
}

/*
 * swap_files_all_in: every swap file the dynamic pager may make is in the
 * pool (none if it does not run).
 */
static bool swap_files_all_in(void)
{
	struct swapfile_stats st;

	swapfile_stats(&st);
	return st.files == st.files_max;
}

/*
 * swap_files_wait: wait until every swap file is in the pool (make
 * bench-scale sets swapfile.hiwat above what they hold: the dynamic pager
 * adds one per poll up to swapfile.max), so that the pool is the same
 * whenever a measurement starts.  The tick runs meanwhile (kbench stops
 * it, and sleeps end on it).  => false if they were not all in within
 * SWAP_FILES_WAIT_NS
 */
static bool swap_files_wait(void)
{
	uint64_t deadline;

	if (swap_files_all_in())
		return true;
	deadline = thread_deadline_after(SWAP_FILES_WAIT_NS);
	kbench_ticks(true);
	while (!swap_files_all_in() && thread_deadline_after(0) < deadline)
		thread_sleep_ns(SWAP_FILES_POLL_NS);
	kbench_ticks(false);
	return swap_files_all_in();
}

/* paging_ready: the command line gave the pager swap (the disk "swap", or others), all of it in. */
static bool paging_ready(void)
{
	return vm_pager_default != NULL && swap_files_wait();
}

/*
 * paged_cost: polled_cost of fn over r per page, noting the pages the
 * pager moved (out: written, else read), its requests and the pool's
 * segments (disks and files).  => 0 unless it moved exactly COST_PAGES
 */
static uint64_t paged_cost(bool (*fn)(const struct region_fixture *), const struct region_fixture *r,
			   bool out)
{
	struct default_pager_stats s0, s1;
	uint64_t cost, pages, requests;

	default_pager_stats(&s0);
	cost = polled_cost(fn, r);
	default_pager_stats(&s1);
	pages = out ? s1.pageouts - s0.pageouts : s1.pageins - s0.pageins;
	requests = out ? s1.write_requests - s0.write_requests : s1.read_requests - s0.read_requests;
	kbench_note("\"pages\":%lu,\"%s_requests\":%lu,\"segments\":%lu", pages,
		    out ? "write" : "read", requests, s1.segments);
	return pages == COST_PAGES ? cost / COST_PAGES : 0;
}

KBENCH(pageout_per_page, "pageout.per_page", "instructions/page", 1)
{
	struct region_fixture r;
	uint64_t cost = 0;

	(void)iters;
	if (!paging_ready())
		return 0;
	if (region_create(&r, COST_PAGES)) {
		region_fill(&r);
		cost = paged_cost(region_pageout, &r, true);
	}
	region_destroy(&r);
	return cost;
}

KBENCH(pagein_per_page, "pagein.per_page", "instructions/page", 1)
{
	struct region_fixture r;
	uint64_t cost = 0;

	(void)iters;
	if (!paging_ready())
		return 0;
	if (region_create_paged_out(&r, COST_PAGES))
		cost = paged_cost(region_read, &r, false);
	region_destroy(&r);
	return cost;
}

#define DRAIN_PAGES_PER_SEGMENT	256ul	/* 16 clusters on each segment of the pool */
#define DRAIN_BLOCKS		16	/* blocks per step, as the dynamic pager drains */

/*
 * pool_drain_first: drain the pool's first segment into the others as the
 * dynamic pager drains a swap file (default_pager_drain_start, then steps
 * until it is empty), then put it back in service.  r is not used: its
 * pages are the ones that move.  => false on an error
 */
static bool pool_drain_first(const struct region_fixture *r)
{
	/* The pool's own record: default_pager_segment hands it out read-only, the drain takes it. */
	struct swap_segment *seg = (struct swap_segment *)default_pager_segment(0);
	bool empty = false, ok;

	(void)r;
	if (!seg || default_pager_drain_start(seg, false) != KERN_SUCCESS)
		return false;
	ok = true;
	while (ok && !empty)
		ok = default_pager_drain_step(seg, DRAIN_BLOCKS, &empty) == KERN_SUCCESS;
	return default_pager_drain_cancel(seg) == KERN_SUCCESS && ok;
}

/*
 * scale.swap.drain.per_page: a region of DRAIN_PAGES_PER_SEGMENT pages per
 * segment of the pool, paged out (spread over the segments cluster by
 * cluster), then the first segment drained: instructions per page moved,
 * polled as above.  make bench-scale runs it with 2 to 16 swap disks.
 */
KBENCH(swap_drain_per_page, "scale.swap.drain.per_page", "instructions/page", 1)
{
	struct default_pager_stats before, after;
	struct region_fixture r;
	uint64_t cost = 0;

	(void)iters;
	default_pager_stats(&before);
	/* With one segment there is nowhere to move the pages to. */
	if (!paging_ready() || before.segments < 2)
		return 0;
	if (region_create_paged_out(&r, DRAIN_PAGES_PER_SEGMENT * before.segments)) {
		cost = polled_cost(pool_drain_first, &r);
		default_pager_stats(&after);
		kbench_note("\"moved\":%lu,\"segments\":%lu", after.moved - before.moved,
			    before.segments);
		cost = after.moved > before.moved ? cost / (after.moved - before.moved) : 0;
	}
	region_destroy(&r);
	return cost;
}

KBENCH(pagein_seq_requests, "pagein.sequential.requests_per_mib", "requests/MiB", 1)
{
	struct default_pager_stats s0, s1;
	struct region_fixture r;
	uint64_t per_mib = 0;

	(void)iters;
	if (!paging_ready())
		return 0;
	if (region_create_paged_out(&r, COST_PAGES) &&
	    vm_behavior_set(r.map, REGION_BASE, ptoa(r.npages), VM_BEHAVIOR_SEQUENTIAL) == KERN_SUCCESS) {
		default_pager_stats(&s0);
		if (region_read(&r)) {
			default_pager_stats(&s1);
			if (s1.pageins - s0.pageins == COST_PAGES)
				per_mib = (s1.read_requests - s0.read_requests) * MIB / ptoa(COST_PAGES);
			kbench_note("\"pages\":%lu,\"read_requests\":%lu", s1.pageins - s0.pageins,
				    s1.read_requests - s0.read_requests);
		}
	}
	region_destroy(&r);
	return per_mib;
}

/* mib_per_s: bytes in ns as MiB/s (0 if no time passed). */
static uint64_t mib_per_s(uint64_t bytes, uint64_t ns)
{
	return ns ? bytes * 1000000000ull / ns / MIB : 0;
}

/*
 * raw_write_ns: host ns to write `bytes` from buf to disk b at byte offset
 * `at`, `piece` bytes per virtio_blk_write call.  => 0 on an error
 */
static uint64_t raw_write_ns(struct virtio_blk *b, uint64_t at, vm_offset_t buf, uint64_t bytes,
			     uint64_t piece)
{
	uint64_t t0 = semihost_elapsed_ns();

	for (uint64_t off = 0; off < bytes; off += piece)
		if (virtio_blk_write(b, (at + off) / VIRTIO_BLK_SECTOR, kernel_map, buf, piece) !=
		    KERN_SUCCESS)
			return 0;
	return semihost_elapsed_ns() - t0;
}

/* pageout_round_ns: host ns to page out round i of r (ROUND_PAGES).  => 0 on an error */
static uint64_t pageout_round_ns(const struct region_fixture *r, uint64_t i)
{
	uint64_t t0 = semihost_elapsed_ns();

	if (!region_pageout_range(r, i * ROUND_PAGES, ROUND_PAGES, false))
		return 0;
	return semihost_elapsed_ns() - t0;
}

/*
 * throughput_rounds: ROUNDS rounds of ROUND_PAGES paged out of r, each
 * followed by as much written raw to b at *raw_at (advanced), one
 * PAGEOUT_PAGES request at a time; the fastest round of each in *po_ns
 * and *raw_ns.
 * => false on an error
 */
static bool throughput_rounds(const struct region_fixture *r, struct virtio_blk *b, uint64_t *raw_at,
			      vm_offset_t buf, uint64_t *po_ns, uint64_t *raw_ns)
{
	*po_ns = *raw_ns = UINT64_MAX;
	for (uint64_t i = 0; i < ROUNDS; i++, *raw_at += ptoa(ROUND_PAGES)) {
		uint64_t po = pageout_round_ns(r, i);
		uint64_t raw = raw_write_ns(b, *raw_at, buf, ptoa(ROUND_PAGES), ptoa(PAGEOUT_PAGES));

		if (!po || !raw)
			return false;
		*po_ns = MIN(*po_ns, po);
		*raw_ns = MIN(*raw_ns, raw);
	}
	return true;
}

KBENCH(pageout_throughput, "pageout.throughput_ratio", "permille", 1)
{
	static uint64_t raw_at;		/* next fresh byte of the raw disk */
	struct virtio_blk *raw = virtio_blk_find(RAW_DISK);
	uint64_t po_ns = 0, raw_ns = 0, big_ns = 0, big_at;
	vm_offset_t buf = 0;
	struct region_fixture r;
	bool ok;

	(void)iters;
	if (!paging_ready() || !raw || kmem_alloc(kernel_map, &buf, RAW_BIG_BYTES) != KERN_SUCCESS)
		return 0;
	big_at = raw->capacity * VIRTIO_BLK_SECTOR - RAW_BIG_BYTES;
	if (raw_at + ROUNDS * ptoa(ROUND_PAGES) > big_at)
		raw_at = 0;			/* more runs than fresh space: write it again */
	ok = region_create(&r, ROUNDS * ROUND_PAGES);
	if (ok) {
		region_fill(&r);
		thread_set_map(NULL);		/* the daemon runs in the kernel's map */
		ok = throughput_rounds(&r, raw, &raw_at, buf, &po_ns, &raw_ns);
	}
	region_destroy(&r);
	if (ok)
		big_ns = raw_write_ns(raw, big_at, buf, RAW_BIG_BYTES, RAW_BIG_BYTES);
	kmem_free(kernel_map, buf, RAW_BIG_BYTES);
	if (!ok || !big_ns)
		return 0;
	kbench_note("\"pageout_mibs\":%lu,\"raw_64k_mibs\":%lu,\"raw_1m_x8_mibs\":%lu,\"host_ns\":%lu",
		    mib_per_s(ptoa(ROUND_PAGES), po_ns), mib_per_s(ptoa(ROUND_PAGES), raw_ns),
		    mib_per_s(RAW_BIG_BYTES, big_ns), po_ns);
	return raw_ns * 1000 / po_ns;
}
