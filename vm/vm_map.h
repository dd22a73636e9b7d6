/*
 * vm_map.h: address maps (Mach's vm_map).  A map is a set of entries
 * sorted by address, kept in an AVL tree whose nodes also record the
 * largest free gap in their subtree (finding space is O(log n)), threaded
 * in address order, with a lookup hint.  Each entry maps [start, end) to
 * an object at an offset (or to a submap) with its protection,
 * max_protection, inheritance, behavior and wiring.
 *
 * Lock tags: kern/lock.h.  The map's lock is a sleeping reader/writer
 * lock (faults and lookups read, changes write) and comes before any
 * object lock.
 */
#ifndef VM_VM_MAP_H
#define VM_VM_MAP_H

#include <stdbool.h>
#include <stdint.h>

#include "kern/lock.h"
#include "vm/kern_return.h"
#include "vm/pmap.h"
#include "vm/vm_behavior.h"
#include "vm/vm_inherit.h"
#include "vm/vm_region.h"
#include "vm/vm_types.h"

struct vm_object;
struct vm_ws;

struct vm_map_entry {
	struct vm_map_entry *prev, *next;	/* [m] address order */
	struct vm_map_entry *left, *right, *parent; /* [m] AVL tree */
	int height;				/* [m] */
	vm_offset_t start, end;			/* [m] */
	vm_size_t gap_before;			/* [m] free space between prev (or map start) and start */
	vm_size_t max_gap;			/* [m] largest gap_before in this subtree */
	union {
		struct vm_object *object;	/* [m] NULL: zero-fill, object made on first fault */
		struct vm_map *submap;		/* [m] when is_submap */
	};
	vm_object_offset_t offset;		/* [m] */
	vm_prot_t protection;			/* [m] never more than max_protection */
	vm_prot_t max_protection;		/* [m] only ever lowered */
	vm_inherit_t inheritance;		/* [m] */
	vm_behavior_t behavior;			/* [m] */
	uint16_t wired_count;			/* [m] kernel wirings */
	uint16_t user_wired_count;		/* [m] vm_map_wire(..., user_wire = TRUE) */
	uint16_t pin_count;			/* [m] vm_map_pin: the AIX pins (aix/pin.h) */
	bool needs_copy;			/* [m] object shared copy-on-write: shadow before writing */
	bool is_shared;				/* [m] object reached through another map too */
	bool is_submap;				/* [m] */
	bool use_pmap;				/* [m] submap's page tables nested into ours */
};
typedef struct vm_map_entry *vm_map_entry_t;

/* vm_map_entry_wired: some wiring (kernel, user or pin) holds e's pages resident.  => [m] */
static inline bool vm_map_entry_wired(const struct vm_map_entry *e)
{
	return e->wired_count || e->user_wired_count || e->pin_count;
}

struct vm_map {
	struct rwlock lock;
	struct vm_map_entry *root;		/* [m] AVL root */
	struct vm_map_entry *first, *last;	/* [m] address order ends */
	/*
	 * [a] the entry last looked up (NULL: none): read and written with
	 * relaxed atomics under the lock held either way (a reader sets it
	 * beside other readers; the quick fault path reads it), so it is
	 * always an entry of the map or NULL, as vm_map_check checks; entry
	 * removal, under the write lock, moves it off a departing entry.
	 */
	struct vm_map_entry *hint;
	int nentries;				/* [m] */
	vm_offset_t min_offset, max_offset;	/* [c] */
	pmap_t pmap;				/* [c] */
	int ref_count;				/* [a] */
	vm_size_t size;				/* [m] bytes mapped */
	int submap_users;			/* [a] entries of other maps that map this one */
	struct vm_ws *ws;			/* [a] set once: working-set profile, NULL: none */
};
typedef struct vm_map *vm_map_t;

extern vm_map_t kernel_map;


/* vm_map_create: an empty map over [min, max) of pmap (one reference to each taken). */
vm_map_t vm_map_create(pmap_t pmap, vm_offset_t min, vm_offset_t max);
void vm_map_reference(vm_map_t map);
/*
 * vm_map_ws_start: profile map's faults from now on (working-set
 * detection, vm/vm_ws.h); *ws: the profile (to export or seed).
 * => KERN_SUCCESS (also if it has one already), KERN_RESOURCE_SHORTAGE
 */
kern_return_t vm_map_ws_start(vm_map_t map, struct vm_ws **ws);
/* vm_map_deallocate: drop a reference; the last one removes every entry and the map. */
void vm_map_deallocate(vm_map_t map);

/*
 * vm_allocate: zero-filled memory: at *addr (VM_FLAGS_FIXED, page aligned)
 * or anywhere (VM_FLAGS_ANYWHERE: *addr gets the address).
 * => KERN_INVALID_ARGUMENT (NULL map/addr, size 0, unknown flags, unaligned
 *    fixed address), KERN_NO_SPACE (no room / fixed range in use or outside
 *    the map), KERN_RESOURCE_SHORTAGE
 */
kern_return_t vm_allocate(vm_map_t map, vm_address_t *addr, vm_size_t size, int flags);
/*
 * vm_map_enter: map object (NULL: zero-fill, made on first fault) at
 * offset into [*address, +size), placed as vm_allocate does, the address
 * also aligned to mask + 1.  The map takes over one object reference on
 * success.  Same errors as vm_allocate; KERN_INVALID_ARGUMENT also when
 * cur_protection exceeds max_protection.
 */
kern_return_t vm_map_enter(vm_map_t map, vm_offset_t *address, vm_size_t size, vm_offset_t mask,
			   int flags, struct vm_object *object, vm_object_offset_t offset,
			   boolean_t needs_copy, vm_prot_t cur_protection, vm_prot_t max_protection,
			   vm_inherit_t inheritance);
/* vm_deallocate: unmap [addr, addr+size) (rounded to pages); holes are fine. */
kern_return_t vm_deallocate(vm_map_t map, vm_address_t addr, vm_size_t size);
/*
 * vm_protect: set protection (or, with set_maximum, max_protection, which
 * may only be lowered and also lowers protection) on [addr, addr+size).
 * => KERN_PROTECTION_FAILURE if new_prot exceeds an entry's max_protection
 *    or set_maximum would raise it; KERN_INVALID_ADDRESS on a hole
 */
kern_return_t vm_protect(vm_map_t map, vm_address_t addr, vm_size_t size, boolean_t set_maximum,
			 vm_prot_t new_prot);
kern_return_t vm_inherit(vm_map_t map, vm_address_t addr, vm_size_t size, vm_inherit_t inheritance);
kern_return_t vm_behavior_set(vm_map_t map, vm_address_t addr, vm_size_t size,
			      vm_behavior_t behavior);
/*
 * vm_map_wire: fault in and wire [start, end) for access_type; counted per
 * entry, separately for user wirings.  vm_map_unwire undoes one wiring.
 * => KERN_INVALID_ADDRESS on a hole, KERN_PROTECTION_FAILURE if the
 *    protection does not allow access_type, KERN_FAILURE if unwiring
 *    something not wired so
 */
kern_return_t vm_map_wire(vm_map_t map, vm_offset_t start, vm_offset_t end, vm_prot_t access_type,
			  boolean_t user_wire);
kern_return_t vm_map_unwire(vm_map_t map, vm_offset_t start, vm_offset_t end, boolean_t user_wire);
/*
 * vm_map_pin / vm_map_unpin: vm_map_wire / vm_map_unwire with a count of
 * their own (pin_count), for the AIX pins (aix/pin.h): a pin never
 * undoes a kernel or user wiring, nor they a pin.  Same returns;
 * KERN_FAILURE from vm_map_unpin when a page of the range is not pinned
 * (nothing changed).
 */
kern_return_t vm_map_pin(vm_map_t map, vm_offset_t start, vm_offset_t end, vm_prot_t access_type);
kern_return_t vm_map_unpin(vm_map_t map, vm_offset_t start, vm_offset_t end);
/*
 * vm_map_pinned_try: *pinned = every page of [start, end) is pinned
 * (vm_map_pin), read without waiting: from any level.
 * => false, *pinned untouched, if the map's lock was not free to read
 */
bool vm_map_pinned_try(vm_map_t map, vm_offset_t start, vm_offset_t end, bool *pinned);
/*
 * vm_map_hold_pages: the I/O wiring of [start, end) (Apple's IOPL): fault
 * each page in for access (always its entry's own page, as vm_map_wire
 * makes it), wire the page and reference its object for the caller, and
 * store it in pages[] (one per page of the range, in order).  The entries
 * are not wired: vm_deallocate of a held range succeeds and removes the
 * entries at once, while the held pages stay wired in their objects (their
 * memory is neither freed nor reused) until vm_object_pages_unhold; a fork
 * copies an entry whose object has held pages at once, so that the parent
 * keeps the pages a device writes.
 * => map unlocked; KERN_INVALID_ARGUMENT on bad arguments or a submap in
 *    the range, KERN_INVALID_ADDRESS on a hole, KERN_PROTECTION_FAILURE if
 *    an entry's protection lacks access, a fault's error; nothing held on error
 */
kern_return_t vm_map_hold_pages(vm_map_t map, vm_offset_t start, vm_offset_t end, vm_prot_t access,
				vm_page_t *pages);

/* One entry's part of a range, as vm_map_attach_objects gives it. */
struct vm_map_object_run {
	vm_offset_t start, end;
	struct vm_object *object;	/* attached (vm_object_attach) */
	vm_object_offset_t offset;	/* object offset of start */
	vm_prot_t protection;		/* the entry's, at the time */
};
/*
 * vm_map_attach_objects: the objects behind [start, end) of map (page
 * aligned), each attached (vm_object_attach) for a cross-memory
 * attachment (aix/xmem.h), one run per entry into runs[0, *n).  Each
 * entry is first made ready for its own access: zero-fill memory gets its
 * object, a writable copy-on-write entry its private copy, so that what
 * moves through the objects is what the map shows (and a fork after that
 * copies the entries at once: vm_object_io_bound).
 * => map unlocked; KERN_INVALID_ARGUMENT (bad arguments, a submap in the
 *    range), KERN_INVALID_ADDRESS (a hole, or outside the map),
 *    KERN_PROTECTION_FAILURE (an entry without read access),
 *    KERN_NO_SPACE (runs[] too small: *n says how many entries there are),
 *    KERN_RESOURCE_SHORTAGE; nothing attached on error
 */
kern_return_t vm_map_attach_objects(vm_map_t map, vm_offset_t start, vm_offset_t end,
				    struct vm_map_object_run *runs, int max, int *n);
/*
 * vm_map_enter_shared: vm_map_enter of an object that other maps reach
 * too (a named entry's): the entry is marked shared, so that a copy of it
 * is made at once rather than copy-on-write.
 */
kern_return_t vm_map_enter_shared(vm_map_t map, vm_offset_t *address, vm_size_t size,
				  vm_offset_t mask, int flags, struct vm_object *object,
				  vm_object_offset_t offset, vm_prot_t cur_protection,
				  vm_prot_t max_protection, vm_inherit_t inheritance);

/*
 * vm_map_enter_submap: map submap's [offset, offset + size) into map,
 * placed as vm_map_enter places memory.  What the submap holds, and
 * every change made in it, appears in every map that maps it.
 *   use_pmap: the submap's page tables are shared (pmap_nest): a mapping
 *     made once is seen by every map that nests it; that needs
 *     VM_FLAGS_FIXED at *address == offset and 2 MiB alignment.
 *   without: each map maps the submap's pages in its own pmap, read-only:
 *     the structure of the map is shared, the contents of the pages are
 *     not.  A map's first write to a submap entry's range gives it its own
 *     copy-on-write mapping of that entry's object, which it keeps (later
 *     changes in the submap reach the rest of the range, not that part).
 * One level only: a map that holds submaps cannot become one, nor can a
 * submap hold submaps.
 * => KERN_INVALID_ARGUMENT, KERN_NO_SPACE (range in use or outside the map)
 */
kern_return_t vm_map_enter_submap(vm_map_t map, vm_offset_t *address, vm_size_t size,
				  vm_offset_t mask, int flags, vm_map_t submap, vm_offset_t offset,
				  boolean_t use_pmap, vm_prot_t cur_protection, vm_prot_t max_protection,
				  vm_inherit_t inheritance);
/* vm_map_submap: vm_map_enter_submap at [start, end), all access, VM_INHERIT_SHARE. */
kern_return_t vm_map_submap(vm_map_t map, vm_offset_t start, vm_offset_t end, vm_map_t submap,
			    vm_offset_t offset, boolean_t use_pmap);

/*
 * vm_map_check_protection: every page of [start, end) is mapped with at
 * least protection (through a submap, by the submap's entry too).
 * => map unlocked
 */
boolean_t vm_map_check_protection(vm_map_t map, vm_offset_t start, vm_offset_t end,
				  vm_prot_t protection);
/* vm_map_user_wired_size: bytes of map's entries wired by vm_map_wire(..., user_wire). */
vm_size_t vm_map_user_wired_size(vm_map_t map);

/* vm_msync flags (Mach's vm_sync_t values). */
#define VM_SYNC_ASYNCHRONOUS	0x01
#define VM_SYNC_SYNCHRONOUS	0x02
typedef unsigned vm_sync_t;

/*
 * vm_msync: write the modified pages of [address, address + size) back to
 * their store, for the entries whose object's store is its data (a
 * file's: vm/vnode_pager.h); the pages stay resident, clean, and the store
 * is then flushed.  Anonymous memory and private copies are left alone.
 * Every write is done before it returns (VM_SYNC_ASYNCHRONOUS is taken as
 * synchronous); wired pages are not written.
 * => map unlocked; KERN_INVALID_ARGUMENT (NULL, a range that wraps, flags
 *    other than the two above), KERN_INVALID_ADDRESS (part of the range
 *    unmapped: the rest is written anyway), KERN_MEMORY_ERROR (a write or
 *    the flush failed, or the file is gone)
 */
kern_return_t vm_msync(vm_map_t map, vm_address_t address, vm_size_t size, vm_sync_t sync_flags);

/* vm_region: what maps *address, or the next entry above it (vm/vm_region.h). */
/* => KERN_NO_SPACE if nothing is mapped at or above *address */
kern_return_t vm_region(vm_map_t map, vm_address_t *address, vm_size_t *size,
			vm_region_basic_info_data_t *info);

/*
 * vm_map_lookup: for the fault path: the object, offset and protection
 * behind vaddr for an access of fault_type (through a submap: *map ends as
 * the map holding the entry, and the protection is the lesser of both
 * entries'), making the entry's private copy first when a write needs one.
 * *real_map is the map whose pmap takes the mapping (a use_pmap submap's,
 * else the first map's).  Returns with the first map and *map read-locked;
 * *object is the entry's, kept alive by the entry until vm_map_lookup_done
 * (no reference is taken).
 * => KERN_INVALID_ADDRESS (no entry), KERN_PROTECTION_FAILURE,
 *    KERN_INVALID_ARGUMENT (NULL map; nothing locked)
 */
kern_return_t vm_map_lookup(vm_map_t *map, vm_offset_t vaddr, vm_prot_t fault_type,
			    struct vm_object **object, vm_object_offset_t *offset, vm_prot_t *prot,
			    bool *wired, vm_behavior_t *behavior, vm_map_t *real_map);
/* vm_map_lookup_done: unlock what vm_map_lookup locked (the first map and, below it, *map). */
static inline void vm_map_lookup_done(vm_map_t top, vm_map_t found)
{
	if (found != top)
		rw_unlock_read(&found->lock);
	rw_unlock_read(&top->lock);
}

/* vm_map_lookup's answers in one place, for the fault path (its out-parameters, named alike). */
struct vm_map_lookup_info {
	vm_map_t map;			/* in: the map faulted in; out: the map holding the entry */
	vm_map_t real_map;
	struct vm_object *object;
	vm_object_offset_t offset;
	vm_prot_t prot;
	vm_behavior_t behavior;
	bool wired;
};

/* vm_map_lookup_info: vm_map_lookup with its answers in *info (info->map set by the caller). */
kern_return_t vm_map_lookup_info(struct vm_map_lookup_info *info, vm_offset_t vaddr,
				 vm_prot_t fault_type);

/*
 * Map copies (Mach's vm_map_copy_t): a detached snapshot of a range that
 * can be mapped into another map (copyout) or written over a mapped range
 * (copy_overwrite).  Large ranges are copied on write (the objects shared,
 * pages copied on first write by either side); small ones (up to
 * VM_MAP_COPY_SMALL bytes) and wired or shared ones are copied at once.
 */
typedef struct vm_map_copy *vm_map_copy_t;
#define VM_MAP_COPY_SMALL	(2 * PAGE_SIZE)

/*
 * vm_map_copyin: snapshot [src_addr, src_addr+len) of src_map (removing
 * it from src_map with src_destroy).
 * => KERN_INVALID_ARGUMENT (NULL, len 0, wraps), KERN_INVALID_ADDRESS
 *    (a hole, or outside the map), KERN_PROTECTION_FAILURE (not readable),
 *    KERN_RESOURCE_SHORTAGE
 */
kern_return_t vm_map_copyin(vm_map_t src_map, vm_address_t src_addr, vm_size_t len,
			    boolean_t src_destroy, vm_map_copy_t *copy_result);
/* vm_map_copyout: map the copy into free space of dst_map; consumes it on success. */
kern_return_t vm_map_copyout(vm_map_t dst_map, vm_address_t *dst_addr, vm_map_copy_t copy);
/*
 * vm_map_copy_overwrite: write the copy's bytes over [dst_addr, +size) of
 * dst_map, which must be mapped and writable (KERN_INVALID_ADDRESS,
 * KERN_PROTECTION_FAILURE otherwise); consumes the copy on success.
 * interruptible and pmap are accepted for compatibility and unused.
 */
kern_return_t vm_map_copy_overwrite(vm_map_t dst_map, vm_address_t dst_addr, vm_map_copy_t copy,
				    boolean_t interruptible, pmap_t pmap);
void vm_map_copy_discard(vm_map_copy_t copy);
/* vm_map_copy_size: bytes in the copy. */
vm_size_t vm_map_copy_size(vm_map_copy_t copy);

/*
 * vm_map_fork: a new map (with a new pmap) built from map by each entry's
 * inheritance: SHARE maps the same memory in both, COPY gives the child a
 * copy-on-write copy, NONE leaves the range unallocated.  NULL on shortage.
 */
vm_map_t vm_map_fork(vm_map_t map);

/* Low-level calls (the map locked by the caller, as the _locked suffix says). */
vm_map_entry_t vm_map_lookup_entry_locked(vm_map_t map, vm_offset_t addr);

/* vm_map_check: every invariant; returns the violations reported. */
int vm_map_check(vm_map_t map, void (*report)(const char *fmt, ...));
/*
 * vm_map_print: one line per entry; with full, the objects and chains
 * behind them and the entries of submaps, indented under their entry.
 */
void vm_map_print(vm_map_t map, bool full, int (*print)(const char *fmt, ...));

/*
 * vm_map_print_near: vm_map_print (full) of the entries within
 * VM_MAP_PRINT_NEAR of addr, for fault reports and panics: it never
 * waits for a lock (a locked map or submap is left out, and said so).
 */
#define VM_MAP_PRINT_NEAR	(64ul * 1024)
void vm_map_print_near(vm_map_t map, vm_offset_t addr, int (*print)(const char *fmt, ...));
/* vm_map_entry_count: live entries in all maps, for accounting checks. */
uint64_t vm_map_entry_count(void);

#endif
