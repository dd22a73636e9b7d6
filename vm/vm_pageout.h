/*
 * vm_pageout.h: the pageout daemon.
 *
 * A kernel thread keeps free pages at or above free_target.  It ages
 * pages with the accessed bit: the active queue's oldest pages move to the
 * inactive queue with the bit cleared by pmap_clear_reference; one found
 * referenced again at the inactive head gets a second chance on the
 * active queue.  Of the inactive queue's oldest, a clean page (the store has its data) is freed, a dirty
 * one is written through its object's pager in a cluster-sized UPL
 * together with its dirty neighbours (data_return_async: a few clusters in
 * flight while the next is gathered; the pager's sync ends each scan).  Wired and busy pages are passed
 * over.  The daemon may use the page reserve (vm_page_set_reserve), so it
 * never waits for the memory it is freeing; a fault that finds no free
 * page sleeps in vm_page_wait until the daemon has freed some.
 */
#ifndef VM_VM_PAGEOUT_H
#define VM_VM_PAGEOUT_H

#include <stdint.h>

struct vm_pageout_stats {
	uint64_t scans;			/* inactive pages looked at */
	uint64_t reactivated;		/* found referenced: second chance */
	uint64_t deactivated;		/* active -> inactive */
	uint64_t freed_clean;		/* freed without I/O */
	uint64_t clusters;		/* UPLs handed to a pager */
	uint64_t paged_out;		/* pages those wrote */
	uint64_t failures;		/* pager refusals (store full); write errors the pager counts */
	uint64_t wakeups;		/* times the daemon ran */
	uint64_t gave_up;		/* scans that ended short of the target, nothing left to do */
};

/*
 * vm_pageout_start: start the daemon with free_target pages as its goal
 * and `reserve` pages kept for it (0, 0: defaults from RAM size).  A
 * target above a quarter of memory, or a reserve above half the target,
 * is held there, with a console report.
 * => once; the default pager should be set up first
 */
void vm_pageout_start(uint64_t free_target, uint64_t reserve);
void vm_pageout_stats(struct vm_pageout_stats *st);
uint64_t vm_pageout_free_target(void);
/* vm_pageout_progress: pages the daemon has freed or written so far (0 without a daemon). */
uint64_t vm_pageout_progress(void);
/* vm_pageout_gave_up: scans so far that ended with nothing more to free or write. */
uint64_t vm_pageout_gave_up(void);
/* vm_pageout_kick: wake the daemon (the allocator calls it when memory runs low). */
void vm_pageout_kick(void);

/*
 * vm_pageout_wait_memory: no free page: wait for the pageout daemon, if
 * there is one, to free some, for as long as it is getting anywhere or
 * still trying (a slow disk, a busy host or a swap file being added only
 * slow it down); give up once a whole wait went by with nothing freed or
 * written and the daemon found nothing more it could do (the store is
 * full, or nothing can be paged).
 * => no object lock held (the daemon takes them); true to try again
 */
bool vm_pageout_wait_memory(void);

#endif
