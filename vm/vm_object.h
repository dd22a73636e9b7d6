/*
 * vm_object.h: VM objects: the memory behind map entries.  An object holds
 * resident pages by offset; an object made for copy-on-write shadows
 * another (its "shadow") at an offset, and pages it lacks are read
 * through the shadow chain.  Chains are kept short by collapse (an object
 * absorbs a shadow only it references) and bypass (an object that holds
 * every page of its range no longer needs its shadow).
 *
 * Lock tags: kern/lock.h.  Lock order: a map's lock, then an object, then
 * its shadow (top of a chain before bottom), then vm_page_hash_lock and
 * the pmap.
 */
#ifndef VM_VM_OBJECT_H
#define VM_VM_OBJECT_H

#include <stdbool.h>
#include <stdint.h>

#include "kern/kernel.h"
#include "kern/lock.h"
#include "vm/kern_return.h"
#include "vm/vm_behavior.h"
#include "vm/vm_page.h"
#include "vm/vm_types.h"

#define VM_OBJECT_CANARY 0x4f424a21u	/* "OBJ!" */

struct vm_pager_ops;

struct vm_object {
	uint32_t canary;		/* [c] VM_OBJECT_CANARY while alive */
	struct mutex lock;
	int ref_count;			/* [a] 0 only once, by the last deallocate */
	uint64_t id;			/* [c] for printing */
	vm_object_offset_t size;	/* [c] bytes, page multiple */
	struct vm_object *shadow;	/* [o] where absent pages come from ([a] for collapse's peek) */
	vm_object_offset_t shadow_offset; /* [o] our offset 0 is the shadow's shadow_offset */
	struct vm_page *pages;		/* [o] resident pages (list) */
	uint64_t resident_count;	/* [o] */
	/*
	 * Its memory object: the pager holding its paged-out pages and that
	 * pager's record of them (NULL, NULL: none yet; the first pageout
	 * gives an anonymous object the default pager).  Reached only through
	 * vm/vm_pager.h.
	 */
	const struct vm_pager_ops *pager;	/* [o] ([a] for peeks without the lock) */
	void *pager_data;		/* [o] owned by the pager */
	bool one_mapping;		/* [a] each page is mapped by at most one map entry, so a
					   range no entry maps any more is garbage (set when an entry
					   makes the object for itself, cleared when it is shared) */
	uint32_t io_held_count;		/* [o] pages held for I/O (vm_map_hold_pages): a fork copies
					   the entries over this object at once */
	uint32_t attach_count;		/* [o] cross-memory attachments (aix/xmem.h): the same */
	uint64_t pages_written;		/* [o] pages a pageout wrote to the store ([a] to read) */
	struct vm_object *gnext, *gprev;/* [g] all objects, for accounting and checks */
};
typedef struct vm_object *vm_object_t;

/*
 * vm_object_io_bound: data moves into object behind its mappings (pages
 * held for I/O, or a cross-memory attachment): a fork copies the entries
 * over it at once, so that the parent keeps what arrives.  => a peek
 */
static inline bool vm_object_io_bound(vm_object_t object)
{
	return object && (__atomic_load_n(&object->io_held_count, __ATOMIC_RELAXED) ||
			  __atomic_load_n(&object->attach_count, __ATOMIC_RELAXED));
}

/* vm_object_bootstrap: the page hash; => after vm_page_startup */
void vm_object_bootstrap(void);

/*
 * vm_page_dirty: m's contents changed behind the pmap's back (a device
 * wrote it): its store copy, stale now, is dropped, so that the pageout
 * daemon writes the page rather than free it as clean.
 * => m wired (it stays in its object), nothing locked
 */
void vm_page_dirty(vm_page_t m);
/*
 * vm_object_page_hold: m, wired in its object (the hold's own wiring), is
 * held for I/O: its object gets a reference and counts the hold
 * (vm_map_hold_pages).  vm_object_pages_hold holds the n resident, wired
 * pages of object from offset on the same way, wiring each once more
 * (false, and nothing held, if one is absent, unwired or busy).
 * vm_object_pages_unhold ends holds: dirty says a device wrote the pages
 * (their store copies go); each wiring is dropped, a page is freed if its
 * range was discarded meanwhile, and the references go.
 * => objects unlocked
 */
void vm_object_page_hold(vm_page_t m);
/*
 * vm_object_attach / vm_object_detach: a cross-memory attachment of
 * object (aix/xmem.h) begins / ends: a reference, and attach_count, which
 * makes a fork copy the entries over object at once (vm_object_io_bound).
 * => object unlocked
 */
void vm_object_attach(vm_object_t object);
void vm_object_detach(vm_object_t object);
bool vm_object_pages_hold(vm_object_t object, vm_object_offset_t offset, uint32_t n,
			  vm_page_t *pages);
void vm_object_pages_unhold(vm_page_t *pages, uint32_t n, bool dirty);
/*
 * vm_object_pmap_protect: lower, in every pmap, the mappings of the pages
 * that [offset, offset + size) of object shows.  prot VM_PROT_NONE removes
 * them, down the shadow chain too (its pages are mapped read-only); any
 * other prot write-protects the object's own pages.  For a map whose pages
 * other pmaps map (a plain submap's parents).  => object unlocked
 */
void vm_object_pmap_protect(vm_object_t object, vm_object_offset_t offset, vm_size_t size,
			    vm_prot_t prot);
/*
 * vm_object_page_remove: throw away object's pages and their paged-out
 * copies in [start, end): their only user let go of them.  Busy pages are
 * waited for; wired ones are left, marked discarded: freed when their last
 * I/O hold ends (vm_object_pages_unhold).  => object referenced, unlocked
 */
void vm_object_page_remove(vm_object_t object, vm_object_offset_t start, vm_object_offset_t end);
/*
 * vm_object_page_discard: the contents of [start, end) (page aligned) are
 * no longer wanted, but the range stays in use (a heap's free blocks):
 * its pages are freed and their paged-out copies dropped, so that the next
 * touch finds a zero-filled page.  A wired page (pinned, held for I/O)
 * keeps its contents and its copy: its holder still counts on them.  Busy
 * pages are waited for.  => object referenced, unlocked
 */
void vm_object_page_discard(vm_object_t object, vm_object_offset_t start, vm_object_offset_t end);
/* vm_object_allocate: an empty anonymous (zero-fill) object of `size` bytes, one reference. */
vm_object_t vm_object_allocate(vm_object_offset_t size);
void vm_object_reference(vm_object_t object);
/* vm_object_share: a reference for a second view of the same pages (a shared or copied entry). */
void vm_object_share(vm_object_t object);
/*
 * vm_object_reference_live: take a reference unless the count is already
 * 0 (for holders of a bare pointer, like the pageout daemon: the last
 * deallocate drops the count before it takes the object lock, so holding
 * that lock does not keep the count from reaching 0).  => false if dying
 */
bool vm_object_reference_live(vm_object_t object);
/*
 * vm_object_deallocate: drop a reference; the last one frees the pages
 * (removing their mappings) and drops the reference on the shadow.
 * => object unlocked
 */
void vm_object_deallocate(vm_object_t object);

/*
 * vm_object_shadow: replace *object (one reference, consumed) by a new
 * object of `length` bytes shadowing it at *offset; *offset becomes 0.
 * => false if memory ran out (nothing changed)
 */
bool vm_object_shadow(vm_object_t *object, vm_object_offset_t *offset, vm_object_offset_t length);

/*
 * vm_object_collapse: shorten object's shadow chain: absorb shadows that
 * only it references, skip shadows all of whose pages it already hides.
 * => object locked
 */
void vm_object_collapse(vm_object_t object);

/*
 * The page hash, keyed by (object, offset) (vm_object.c says how lookups
 * go without its lock); here so that a lookup that finds its page is
 * inline.
 */
struct vm_page_bucket {
	struct vm_page *head;		/* [a] written under [H], read without */
	uint64_t seq;			/* [a] odd while [H] changes the chain */
};

extern struct vm_page_bucket *vm_page_hash;
extern uint64_t vm_page_hash_mask;

/* Longest chain a lock-free lookup walks before it suspects a cycle made by concurrent moves. */
#define VM_PAGE_HASH_WALK_MAX	64

static inline struct vm_page_bucket *vm_page_bucket(vm_object_t object, vm_object_offset_t offset)
{
	uint64_t h = ((uintptr_t)object >> 6) ^ (atop(offset) * 0x9e3779b97f4a7c15ul >> 20);

	return &vm_page_hash[h & vm_page_hash_mask];
}

/*
 * vm_page_lookup_missed: the end of vm_page_lookup when its walk found
 * nothing: the miss counts if the walk was complete and the bucket did
 * not change meanwhile (seq as read before it), else the walk is redone
 * under the hash's lock.
 */
vm_page_t vm_page_lookup_missed(struct vm_page_bucket *b, vm_object_t object,
				vm_object_offset_t offset, uint64_t seq, bool complete);

/*
 * vm_page_bucket_walk: the page (object, offset) on b's chain as it reads
 * now, walking at most `limit` pages; *complete says whether the walk
 * reached the chain's end (a miss is only a miss then).
 */
static inline vm_page_t vm_page_bucket_walk(struct vm_page_bucket *b, vm_object_t object,
					    vm_object_offset_t offset, uint64_t limit,
					    bool *complete)
{
	for (vm_page_t m = __atomic_load_n(&b->head, __ATOMIC_RELAXED); m;
	     m = __atomic_load_n(&m->hnext, __ATOMIC_RELAXED)) {
		if (limit-- == 0) {
			*complete = false;
			return NULL;
		}
		if (__atomic_load_n(&m->object, __ATOMIC_RELAXED) == object &&
		    __atomic_load_n(&m->offset, __ATOMIC_RELAXED) == offset)
			return m;
	}
	*complete = true;
	return NULL;
}

/* vm_page_lookup: object's resident page at offset, or NULL.  => object locked */
static inline vm_page_t vm_page_lookup(vm_object_t object, vm_object_offset_t offset)
{
	struct vm_page_bucket *b;
	uint64_t seq;
	bool complete;
	vm_page_t m;

	LOCK_ASSERT(mutex_owned(&object->lock),
		"vm_page_lookup: object %lu not locked", object->id);
	b = vm_page_bucket(object, offset);
	seq = __atomic_load_n(&b->seq, __ATOMIC_ACQUIRE);
	m = vm_page_bucket_walk(b, object, offset, VM_PAGE_HASH_WALK_MAX, &complete);
	return m ? m : vm_page_lookup_missed(b, object, offset, seq, complete);
}

/*
 * vm_page_lookup_unlocked: a look for object's page at offset without its
 * lock, which calls nothing: NULL may be wrong (a concurrent change), and
 * a page found may leave before the lock is taken (check its object and
 * offset again under it).
 */
static inline vm_page_t vm_page_lookup_unlocked(vm_object_t object, vm_object_offset_t offset)
{
	bool complete;

	return vm_page_bucket_walk(vm_page_bucket(object, offset), object, offset,
				   VM_PAGE_HASH_WALK_MAX, &complete);
}

/* Resident pages.  => object locked */
/* vm_page_alloc_object: a fresh (not zeroed) busy page at offset, NULL if none free. */
vm_page_t vm_page_alloc_object(vm_object_t object, vm_object_offset_t offset);
void vm_page_insert(vm_page_t m, vm_object_t object, vm_object_offset_t offset);
void vm_page_remove(vm_page_t m);
/* vm_page_remove_many: vm_page_remove on pages[0, n) of one object, each lock taken once. */
void vm_page_remove_many(vm_page_t *pages, uint32_t n);
/*
 * vm_page_release: end a page's busy state and wake whoever waits for it;
 * the one call here that needs no lock (a busy page is its holder's).
 */
void vm_page_release(vm_page_t m);
/* vm_page_wait_busy: sleep until m is not busy; the object lock is dropped meanwhile. */
void vm_page_wait_busy(vm_page_t m);

/*
 * vm_object_chain_page: the page (object, offset) shows, from object or
 * down its chain (paged in if need be, waiting for memory as the fault
 * path does), made busy; NULL if no object of the chain has one (the page
 * reads as zeros) or, with *kr set, if paging in failed.
 * => object referenced, unlocked
 */
vm_page_t vm_object_chain_page(vm_object_t object, vm_object_offset_t offset, kern_return_t *kr);
/*
 * vm_object_read / vm_object_write: move len bytes between buf and what
 * [offset, offset + len) of object shows, a page at a time, each brought
 * in as a fault would bring it (AIX's cross-memory copies, aix/xmem.h).
 * A write lands in object's own pages, copied up from its chain as a
 * write fault copies them (the source's mappings removed), and marks
 * them modified: it went behind the pmap's back.
 * => object referenced by the caller, unlocked; may sleep
 * => KERN_INVALID_ARGUMENT (NULL, or the range not inside object), a
 *    fault's error (KERN_MEMORY_ERROR, also for device memory); on an
 *    error the pages before the failing one have moved
 */
kern_return_t vm_object_read(vm_object_t object, vm_object_offset_t offset, void *buf, vm_size_t len);
kern_return_t vm_object_write(vm_object_t object, vm_object_offset_t offset, const void *buf,
			      vm_size_t len);
/*
 * vm_object_read_resident / vm_object_write_resident: the same for a
 * caller that cannot sleep (an interrupt handler): never sleep nor wait
 * for a lock, and move only what is resident: a read takes object's page
 * or its chain's (zeros where no object of the chain has a page or could
 * have one paged out); a write takes object's own page.
 * => KERN_FAILURE, nothing of that page moved, when a page would need
 *    I/O, a copy, or a wait (a busy page or a lock held), or a write meets
 *    a page vm_object_protect_resident made read-only
 */
kern_return_t vm_object_read_resident(vm_object_t object, vm_object_offset_t offset, void *buf,
				      vm_size_t len);
kern_return_t vm_object_write_resident(vm_object_t object, vm_object_offset_t offset,
				       const void *buf, vm_size_t len);

/*
 * vm_object_make_page: object's page at offset made resident without
 * reading it (AIX vm_makep): one already resident is left as it is; a new
 * one is zeroed and its store's copy dropped (the caller is about to write
 * all of it), waiting for memory as a fault does.
 * => object referenced, unlocked; KERN_INVALID_ARGUMENT (offset past the
 *    object), KERN_RESOURCE_SHORTAGE (no page and nobody can free one)
 */
kern_return_t vm_object_make_page(vm_object_t object, vm_object_offset_t offset);
/*
 * vm_object_protect_resident: the pages of [offset, offset + size) of
 * object resident now are made read-only (their mappings write-protected,
 * and a write fault or a wiring for write refused with
 * KERN_PROTECTION_FAILURE, until they leave the object), or writable again
 * (AIX vm_protectp: a page not in memory keeps no such state).
 * => object referenced, unlocked
 */
void vm_object_protect_resident(vm_object_t object, vm_object_offset_t offset, vm_size_t size,
				bool readonly);
/*
 * vm_object_modified: a resident page of object holds data its store has
 * not: modified since written, or never written (AIX vm_qmodify).
 * => object unlocked
 */
bool vm_object_modified(vm_object_t object);
/* vm_object_pages_written: how many pages pageouts have written to object's store so far. */
uint64_t vm_object_pages_written(vm_object_t object);
/*
 * vm_object_wait_io: until no page of object is busy (a pageout or pagein
 * in flight, or another holder).  => object referenced, unlocked
 */
void vm_object_wait_io(vm_object_t object);

/* vm_object_copy_range: a new object holding a copy of what [offset, +size) shows. */
vm_object_t vm_object_copy_range(vm_object_t object, vm_object_offset_t offset, vm_size_t size);

/* vm_object_chain_length: objects in the chain starting at object. */
int vm_object_chain_length(vm_object_t object);
/* vm_object_count: live objects, for accounting checks. */
uint64_t vm_object_count(void);

/* vm_object_check: invariants of object and its chain; returns violations reported. */
int vm_object_check(vm_object_t object, void (*report)(const char *fmt, ...));
/* vm_object_print: one line per object of the chain (and, with full, per page). */
void vm_object_print(vm_object_t object, bool full, int (*print)(const char *fmt, ...));
/* vm_object_print_at: vm_object_print indented by indent columns (vm_map_print's nesting). */
void vm_object_print_at(vm_object_t object, bool full, int indent,
			int (*print)(const char *fmt, ...));

#endif
