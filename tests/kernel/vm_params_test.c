/*
 * vm_params_test.c: every public VM call with bad parameters, as a table:
 * each row runs against the same maps and heap and must give the result
 * written in vm_params.golden (a data file, compared line by line), must
 * not panic, and must leave them exactly as they were (the user map's
 * printout, kernel_map's entries and size, the heaps' bytes in use, and
 * the counts of objects and entries, before and after).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "tests/kernel/ktest.h"
#include "vm/vm.h"
#include "vm/vm_fault.h"
#include "vm/vm_kern.h"
#include "vm/vm_object.h"
#include "vm/xmalloc.h"

KTEST_RUN(vm_params, "test=vm_params", "-m 256M -smp 1");

#define A	0x10000000ul			/* 4 pages, read/write */
#define RO	0x10010000ul			/* 2 pages, read-only, max read-only */
#define NOREAD	0x10018000ul			/* 2 pages, no access, max all */
#define NONE	0x10020000ul			/* nothing mapped */
#define HUGE	0xfffffffffffff000ul
#define KSIZE	(PMAP_KERNEL_END - PMAP_KERNEL_START)	/* kernel_map's span */
#define VOID	((const char *)"(void)")	/* what a call that returns nothing gives */

extern const char vm_params_golden[], vm_params_golden_end[];

static vm_map_t pm;			/* the map every row runs against */
static vm_map_t sub;			/* an empty map for vm_map_submap rows */
static vm_address_t addr;
static vm_region_basic_info_data_t info;
static vm_size_t size;
static vm_map_copy_t no_copy;
static vm_map_copy_t copy16;		/* 16 bytes of RO, across its two pages */
static struct vm_object *one_page;	/* a one-page object for vm_map_enter rows */
static vm_offset_t khole;		/* a free page of kernel_map between two pages of ours */
static char heap_area[4096] __attribute__((aligned(4096)));
static char scratch[256] __attribute__((aligned(16)));	/* never a heap */
static heapaddr_t th;			/* a heap over heap_area */
static caddr_t live, freed;		/* an allocation of th, and one freed again */

/*
 * X(call, what, expression): one row of the table.  The expression gives a
 * kern_return_t or, for calls that return something else, the text the
 * golden file shows (ptr_name, int_name, bool_name, VOID).
 */
#define VM_PARAM_ROWS(X) \
	X("vm_allocate", "NULL map", vm_allocate(NULL, &addr, PAGE_SIZE, VM_FLAGS_ANYWHERE)) \
	X("vm_allocate", "NULL address", vm_allocate(pm, NULL, PAGE_SIZE, VM_FLAGS_ANYWHERE)) \
	X("vm_allocate", "size 0", vm_allocate(pm, &addr, 0, VM_FLAGS_ANYWHERE)) \
	X("vm_allocate", "size that wraps when rounded", vm_allocate(pm, &addr, HUGE + 1, VM_FLAGS_ANYWHERE)) \
	X("vm_allocate", "unknown flags", vm_allocate(pm, &addr, PAGE_SIZE, 0x100)) \
	X("vm_allocate", "fixed, unaligned", (set_addr(NONE + 8), vm_allocate(pm, &addr, PAGE_SIZE, VM_FLAGS_FIXED))) \
	X("vm_allocate", "fixed, over an allocated range", (set_addr(A + PAGE_SIZE), vm_allocate(pm, &addr, PAGE_SIZE, VM_FLAGS_FIXED))) \
	X("vm_allocate", "fixed, below the map", (set_addr(0), vm_allocate(pm, &addr, PAGE_SIZE, VM_FLAGS_FIXED))) \
	X("vm_allocate", "fixed, at the top of the lower half", (set_addr(PMAP_USER_END), vm_allocate(pm, &addr, PAGE_SIZE, VM_FLAGS_FIXED))) \
	X("vm_allocate", "fixed, in the sign-extension hole", (set_addr(0x0000800000000000ul), vm_allocate(pm, &addr, PAGE_SIZE, VM_FLAGS_FIXED))) \
	X("vm_allocate", "fixed, start + size wraps", (set_addr(HUGE), vm_allocate(pm, &addr, 2 * PAGE_SIZE, VM_FLAGS_FIXED))) \
	X("vm_allocate", "anywhere, larger than the map", vm_allocate(pm, &addr, PMAP_USER_END, VM_FLAGS_ANYWHERE)) \
	X("vm_map_enter", "NULL map", vm_map_enter(NULL, &addr, PAGE_SIZE, 0, VM_FLAGS_ANYWHERE, NULL, 0, FALSE, VM_PROT_READ, VM_PROT_ALL, VM_INHERIT_COPY)) \
	X("vm_map_enter", "NULL address", vm_map_enter(pm, NULL, PAGE_SIZE, 0, VM_FLAGS_ANYWHERE, NULL, 0, FALSE, VM_PROT_READ, VM_PROT_ALL, VM_INHERIT_COPY)) \
	X("vm_map_enter", "size 0", vm_map_enter(pm, &addr, 0, 0, VM_FLAGS_ANYWHERE, NULL, 0, FALSE, VM_PROT_READ, VM_PROT_ALL, VM_INHERIT_COPY)) \
	X("vm_map_enter", "size that wraps when rounded", vm_map_enter(pm, &addr, HUGE + 1, 0, VM_FLAGS_ANYWHERE, NULL, 0, FALSE, VM_PROT_READ, VM_PROT_ALL, VM_INHERIT_COPY)) \
	X("vm_map_enter", "unknown flags", vm_map_enter(pm, &addr, PAGE_SIZE, 0, 0x100, NULL, 0, FALSE, VM_PROT_READ, VM_PROT_ALL, VM_INHERIT_COPY)) \
	X("vm_map_enter", "protection above maximum", vm_map_enter(pm, &addr, PAGE_SIZE, 0, VM_FLAGS_ANYWHERE, NULL, 0, FALSE, VM_PROT_DEFAULT, VM_PROT_READ, VM_INHERIT_COPY)) \
	X("vm_map_enter", "unknown max_protection bits", vm_map_enter(pm, &addr, PAGE_SIZE, 0, VM_FLAGS_ANYWHERE, NULL, 0, FALSE, VM_PROT_READ, VM_PROT_ALL | 0x10, VM_INHERIT_COPY)) \
	X("vm_map_enter", "unknown inheritance", vm_map_enter(pm, &addr, PAGE_SIZE, 0, VM_FLAGS_ANYWHERE, NULL, 0, FALSE, VM_PROT_READ, VM_PROT_ALL, 99)) \
	X("vm_map_enter", "mask not a power of two less one", vm_map_enter(pm, &addr, PAGE_SIZE, 0x1234, VM_FLAGS_ANYWHERE, NULL, 0, FALSE, VM_PROT_READ, VM_PROT_ALL, VM_INHERIT_COPY)) \
	X("vm_map_enter", "fixed, unaligned", (set_addr(NONE + 8), vm_map_enter(pm, &addr, PAGE_SIZE, 0, VM_FLAGS_FIXED, NULL, 0, FALSE, VM_PROT_READ, VM_PROT_ALL, VM_INHERIT_COPY))) \
	X("vm_map_enter", "fixed, not aligned to mask + 1", (set_addr(NONE + PAGE_SIZE), vm_map_enter(pm, &addr, PAGE_SIZE, 0xffff, VM_FLAGS_FIXED, NULL, 0, FALSE, VM_PROT_READ, VM_PROT_ALL, VM_INHERIT_COPY))) \
	X("vm_map_enter", "fixed, over an allocated range", (set_addr(A), vm_map_enter(pm, &addr, PAGE_SIZE, 0, VM_FLAGS_FIXED, NULL, 0, FALSE, VM_PROT_READ, VM_PROT_ALL, VM_INHERIT_COPY))) \
	X("vm_map_enter", "fixed, outside the map", (set_addr(PMAP_USER_END), vm_map_enter(pm, &addr, PAGE_SIZE, 0, VM_FLAGS_FIXED, NULL, 0, FALSE, VM_PROT_READ, VM_PROT_ALL, VM_INHERIT_COPY))) \
	X("vm_map_enter", "object offset unaligned", vm_map_enter(pm, &addr, PAGE_SIZE, 0, VM_FLAGS_ANYWHERE, one_page, 8, FALSE, VM_PROT_READ, VM_PROT_ALL, VM_INHERIT_COPY)) \
	X("vm_map_enter", "past the object's end", vm_map_enter(pm, &addr, 2 * PAGE_SIZE, 0, VM_FLAGS_ANYWHERE, one_page, 0, FALSE, VM_PROT_READ, VM_PROT_ALL, VM_INHERIT_COPY)) \
	X("vm_map_enter", "object offset + size wraps", vm_map_enter(pm, &addr, 2 * PAGE_SIZE, 0, VM_FLAGS_ANYWHERE, one_page, HUGE, FALSE, VM_PROT_READ, VM_PROT_ALL, VM_INHERIT_COPY)) \
	X("vm_deallocate", "NULL map", vm_deallocate(NULL, A, PAGE_SIZE)) \
	X("vm_deallocate", "start + size wraps", vm_deallocate(pm, HUGE, 2 * PAGE_SIZE)) \
	X("vm_deallocate", "outside the map", vm_deallocate(pm, PMAP_USER_END, PAGE_SIZE)) \
	X("vm_deallocate", "below the map", vm_deallocate(pm, 0, PAGE_SIZE)) \
	X("vm_deallocate", "size past the map's end", vm_deallocate(pm, A, PMAP_USER_END)) \
	X("vm_deallocate", "unaligned start, end rounded past the map", vm_deallocate(pm, PMAP_USER_END - 8, 16)) \
	X("vm_deallocate", "size 0", vm_deallocate(pm, A, 0)) \
	X("vm_deallocate", "unmapped range", vm_deallocate(pm, NONE, PAGE_SIZE)) \
	X("vm_protect", "NULL map", vm_protect(NULL, A, PAGE_SIZE, FALSE, VM_PROT_READ)) \
	X("vm_protect", "unknown protection bits", vm_protect(pm, A, PAGE_SIZE, FALSE, 0x10)) \
	X("vm_protect", "above max_protection", vm_protect(pm, RO, PAGE_SIZE, FALSE, VM_PROT_DEFAULT)) \
	X("vm_protect", "set_maximum raising max", vm_protect(pm, RO, PAGE_SIZE, TRUE, VM_PROT_DEFAULT)) \
	X("vm_protect", "unaligned start, above max_protection", vm_protect(pm, RO + 8, PAGE_SIZE, FALSE, VM_PROT_DEFAULT)) \
	X("vm_protect", "range with a hole", vm_protect(pm, A, RO + PAGE_SIZE - A, FALSE, VM_PROT_READ)) \
	X("vm_protect", "unaligned start, end rounded into a hole", vm_protect(pm, RO + PAGE_SIZE + 8, PAGE_SIZE, FALSE, VM_PROT_READ)) \
	X("vm_protect", "unmapped range", vm_protect(pm, NONE, PAGE_SIZE, FALSE, VM_PROT_READ)) \
	X("vm_protect", "outside the map", vm_protect(pm, PMAP_USER_END, PAGE_SIZE, FALSE, VM_PROT_READ)) \
	X("vm_protect", "below the map", vm_protect(pm, 0, PAGE_SIZE, FALSE, VM_PROT_READ)) \
	X("vm_protect", "size past the map's end", vm_protect(pm, A, PMAP_USER_END, FALSE, VM_PROT_READ)) \
	X("vm_protect", "start + size wraps", vm_protect(pm, HUGE, 2 * PAGE_SIZE, FALSE, VM_PROT_READ)) \
	X("vm_protect", "size 0", vm_protect(pm, A, 0, FALSE, VM_PROT_READ)) \
	X("vm_inherit", "NULL map", vm_inherit(NULL, A, PAGE_SIZE, VM_INHERIT_NONE)) \
	X("vm_inherit", "unknown inheritance", vm_inherit(pm, A, PAGE_SIZE, 99)) \
	X("vm_inherit", "VM_INHERIT_DONATE_COPY", vm_inherit(pm, A, PAGE_SIZE, VM_INHERIT_DONATE_COPY)) \
	X("vm_inherit", "range with a hole", vm_inherit(pm, A, RO + PAGE_SIZE - A, VM_INHERIT_NONE)) \
	X("vm_inherit", "unaligned start, end rounded into a hole", vm_inherit(pm, RO + PAGE_SIZE + 8, PAGE_SIZE, VM_INHERIT_NONE)) \
	X("vm_inherit", "unmapped range", vm_inherit(pm, NONE, PAGE_SIZE, VM_INHERIT_NONE)) \
	X("vm_inherit", "outside the map", vm_inherit(pm, PMAP_USER_END, PAGE_SIZE, VM_INHERIT_NONE)) \
	X("vm_inherit", "size past the map's end", vm_inherit(pm, A, PMAP_USER_END, VM_INHERIT_NONE)) \
	X("vm_inherit", "start + size wraps", vm_inherit(pm, HUGE, 2 * PAGE_SIZE, VM_INHERIT_NONE)) \
	X("vm_inherit", "size 0", vm_inherit(pm, A, 0, VM_INHERIT_NONE)) \
	X("vm_behavior_set", "NULL map", vm_behavior_set(NULL, A, PAGE_SIZE, VM_BEHAVIOR_RANDOM)) \
	X("vm_behavior_set", "negative behavior", vm_behavior_set(pm, A, PAGE_SIZE, -1)) \
	X("vm_behavior_set", "unknown behavior", vm_behavior_set(pm, A, PAGE_SIZE, 9)) \
	X("vm_behavior_set", "range with a hole", vm_behavior_set(pm, A, RO + PAGE_SIZE - A, VM_BEHAVIOR_RANDOM)) \
	X("vm_behavior_set", "unaligned start, end rounded into a hole", vm_behavior_set(pm, RO + PAGE_SIZE + 8, PAGE_SIZE, VM_BEHAVIOR_RANDOM)) \
	X("vm_behavior_set", "unmapped range", vm_behavior_set(pm, NONE, PAGE_SIZE, VM_BEHAVIOR_RANDOM)) \
	X("vm_behavior_set", "outside the map", vm_behavior_set(pm, PMAP_USER_END, PAGE_SIZE, VM_BEHAVIOR_RANDOM)) \
	X("vm_behavior_set", "size past the map's end", vm_behavior_set(pm, A, PMAP_USER_END, VM_BEHAVIOR_RANDOM)) \
	X("vm_behavior_set", "start + size wraps", vm_behavior_set(pm, HUGE, 2 * PAGE_SIZE, VM_BEHAVIOR_RANDOM)) \
	X("vm_behavior_set", "size 0", vm_behavior_set(pm, A, 0, VM_BEHAVIOR_RANDOM)) \
	X("vm_map_wire", "NULL map", vm_map_wire(NULL, A, A + PAGE_SIZE, VM_PROT_READ, FALSE)) \
	X("vm_map_wire", "end before start", vm_map_wire(pm, A + PAGE_SIZE, A, VM_PROT_READ, FALSE)) \
	X("vm_map_wire", "end rounded past the top", vm_map_wire(pm, A, ~0ul, VM_PROT_READ, FALSE)) \
	X("vm_map_wire", "unknown access bits", vm_map_wire(pm, A, A + PAGE_SIZE, 0x40, FALSE)) \
	X("vm_map_wire", "range with a hole", vm_map_wire(pm, A, RO + PAGE_SIZE, VM_PROT_READ, FALSE)) \
	X("vm_map_wire", "unaligned start, end rounded into a hole", vm_map_wire(pm, RO + PAGE_SIZE + 8, RO + 2 * PAGE_SIZE + 8, VM_PROT_READ, FALSE)) \
	X("vm_map_wire", "unmapped range", vm_map_wire(pm, NONE, NONE + PAGE_SIZE, VM_PROT_READ, FALSE)) \
	X("vm_map_wire", "outside the map", vm_map_wire(pm, PMAP_USER_END, PMAP_USER_END + PAGE_SIZE, VM_PROT_READ, FALSE)) \
	X("vm_map_wire", "write on a read-only range", vm_map_wire(pm, RO, RO + PAGE_SIZE, VM_PROT_WRITE, FALSE)) \
	X("vm_map_wire", "unaligned start, write on a read-only range", vm_map_wire(pm, RO + 8, RO + PAGE_SIZE, VM_PROT_WRITE, FALSE)) \
	X("vm_map_wire", "read on a range with no access", vm_map_wire(pm, NOREAD, NOREAD + PAGE_SIZE, VM_PROT_READ, FALSE)) \
	X("vm_map_wire", "empty range", vm_map_wire(pm, A, A, VM_PROT_READ, FALSE)) \
	X("vm_map_unwire", "NULL map", vm_map_unwire(NULL, A, A + PAGE_SIZE, FALSE)) \
	X("vm_map_unwire", "not wired", vm_map_unwire(pm, A, A + PAGE_SIZE, TRUE)) \
	X("vm_map_unwire", "unaligned start, not wired", vm_map_unwire(pm, A + 8, A + PAGE_SIZE, FALSE)) \
	X("vm_map_unwire", "end before start", vm_map_unwire(pm, A + PAGE_SIZE, A, FALSE)) \
	X("vm_map_unwire", "end rounded past the top", vm_map_unwire(pm, A, ~0ul, FALSE)) \
	X("vm_map_unwire", "range with a hole", vm_map_unwire(pm, A, RO + PAGE_SIZE, FALSE)) \
	X("vm_map_unwire", "unaligned start, end rounded into a hole", vm_map_unwire(pm, RO + PAGE_SIZE + 8, RO + 2 * PAGE_SIZE + 8, FALSE)) \
	X("vm_map_unwire", "outside the map", vm_map_unwire(pm, PMAP_USER_END, PMAP_USER_END + PAGE_SIZE, FALSE)) \
	X("vm_map_unwire", "empty range", vm_map_unwire(pm, A, A, FALSE)) \
	X("vm_region", "NULL map", (set_addr(A), vm_region(NULL, &addr, &size, &info))) \
	X("vm_region", "NULL address", vm_region(pm, NULL, &size, &info)) \
	X("vm_region", "NULL size", (set_addr(A), vm_region(pm, &addr, NULL, &info))) \
	X("vm_region", "NULL info", (set_addr(A), vm_region(pm, &addr, &size, NULL))) \
	X("vm_region", "above every entry", (set_addr(NONE + 0x100000), vm_region(pm, &addr, &size, &info))) \
	X("vm_region", "outside the map", (set_addr(PMAP_USER_END), vm_region(pm, &addr, &size, &info))) \
	X("vm_region", "unaligned address in an entry", (set_addr(A + 8), vm_region(pm, &addr, &size, &info))) \
	X("vm_map_copyin", "NULL map", vm_map_copyin(NULL, A, PAGE_SIZE, FALSE, &no_copy)) \
	X("vm_map_copyin", "NULL copy_result", vm_map_copyin(pm, A, PAGE_SIZE, FALSE, NULL)) \
	X("vm_map_copyin", "length 0", vm_map_copyin(pm, A, 0, FALSE, &no_copy)) \
	X("vm_map_copyin", "range with a hole", vm_map_copyin(pm, A, RO + PAGE_SIZE - A, FALSE, &no_copy)) \
	X("vm_map_copyin", "unaligned start, end rounded into a hole", vm_map_copyin(pm, RO + PAGE_SIZE + 8, PAGE_SIZE, FALSE, &no_copy)) \
	X("vm_map_copyin", "unmapped range", vm_map_copyin(pm, NONE, PAGE_SIZE, FALSE, &no_copy)) \
	X("vm_map_copyin", "start + length wraps", vm_map_copyin(pm, HUGE, 2 * PAGE_SIZE, FALSE, &no_copy)) \
	X("vm_map_copyin", "outside the map", vm_map_copyin(pm, PMAP_USER_END, PAGE_SIZE, FALSE, &no_copy)) \
	X("vm_map_copyin", "below the map", vm_map_copyin(pm, 0, PAGE_SIZE, FALSE, &no_copy)) \
	X("vm_map_copyin", "length past the map's end", vm_map_copyin(pm, A, PMAP_USER_END, FALSE, &no_copy)) \
	X("vm_map_copyin", "not readable", vm_map_copyin(pm, NOREAD, 2 * PAGE_SIZE, FALSE, &no_copy)) \
	X("vm_map_copyin", "first page of an entry with no access", vm_map_copyin(pm, NOREAD, PAGE_SIZE, FALSE, &no_copy)) \
	X("vm_map_copyin", "src_destroy, first page of an entry with no access", vm_map_copyin(pm, NOREAD, PAGE_SIZE, TRUE, &no_copy)) \
	X("vm_map_copyout", "NULL map", vm_map_copyout(NULL, &addr, copy16)) \
	X("vm_map_copyout", "NULL address", vm_map_copyout(pm, NULL, copy16)) \
	X("vm_map_copyout", "NULL copy", vm_map_copyout(pm, &addr, NULL)) \
	X("vm_map_copy_overwrite", "NULL map", vm_map_copy_overwrite(NULL, A, copy16, FALSE, NULL)) \
	X("vm_map_copy_overwrite", "NULL copy", vm_map_copy_overwrite(pm, A, NULL, FALSE, NULL)) \
	X("vm_map_copy_overwrite", "start + size wraps", vm_map_copy_overwrite(pm, ~0ul - 8, copy16, FALSE, NULL)) \
	X("vm_map_copy_overwrite", "outside the map", vm_map_copy_overwrite(pm, PMAP_USER_END, copy16, FALSE, NULL)) \
	X("vm_map_copy_overwrite", "below the map", vm_map_copy_overwrite(pm, 0, copy16, FALSE, NULL)) \
	X("vm_map_copy_overwrite", "unmapped range", vm_map_copy_overwrite(pm, NONE, copy16, FALSE, NULL)) \
	X("vm_map_copy_overwrite", "unaligned start, range with a hole", vm_map_copy_overwrite(pm, A + 4 * PAGE_SIZE - 8, copy16, FALSE, NULL)) \
	X("vm_map_copy_overwrite", "unaligned start, read-only range", vm_map_copy_overwrite(pm, RO + 8, copy16, FALSE, NULL)) \
	X("vm_map_copy_discard", "NULL copy", (vm_map_copy_discard(NULL), VOID)) \
	X("vm_map_submap", "NULL map", vm_map_submap(NULL, NONE, NONE + PAGE_SIZE, sub, NONE, FALSE)) \
	X("vm_map_submap", "submap of itself", vm_map_submap(pm, NONE, NONE + PAGE_SIZE, pm, NONE, FALSE)) \
	X("vm_map_submap", "NULL submap", vm_map_submap(pm, NONE, NONE + PAGE_SIZE, NULL, 0, FALSE)) \
	X("vm_map_submap", "unaligned start", vm_map_submap(pm, NONE + 8, NONE + PAGE_SIZE, sub, NONE, FALSE)) \
	X("vm_map_submap", "end before start", vm_map_submap(pm, NONE + PAGE_SIZE, NONE, sub, NONE, FALSE)) \
	X("vm_map_submap", "offset outside the submap", vm_map_submap(pm, NONE, NONE + PAGE_SIZE, sub, PMAP_USER_END, FALSE)) \
	X("vm_map_submap", "over an allocated range", vm_map_submap(pm, A, A + PAGE_SIZE, sub, A, FALSE)) \
	X("vm_map_submap", "outside the map", vm_map_submap(pm, PMAP_USER_END - PAGE_SIZE, PMAP_USER_END + PAGE_SIZE, sub, NONE, FALSE)) \
	X("vm_map_submap", "use_pmap at another address", vm_map_submap(pm, 0x40000000, 0x40200000, kernel_map, PMAP_KERNEL_START, TRUE)) \
	X("vm_map_fork", "NULL map", ptr_name(vm_map_fork(NULL))) \
	X("vm_fault", "NULL map", vm_fault(NULL, A, VM_PROT_READ)) \
	X("vm_fault", "unknown fault type bits", vm_fault(pm, A, 0x10)) \
	X("vm_fault", "unmapped address", vm_fault(pm, NONE, VM_PROT_READ)) \
	X("vm_fault", "outside the map", vm_fault(pm, PMAP_USER_END, VM_PROT_READ)) \
	X("vm_fault", "below the map", vm_fault(pm, 0, VM_PROT_READ)) \
	X("vm_fault", "in the sign-extension hole", vm_fault(pm, 0x0000800000000000ul, VM_PROT_READ)) \
	X("vm_fault", "write on a read-only range", vm_fault(pm, RO, VM_PROT_WRITE)) \
	X("vm_fault", "read on a range with no access", vm_fault(pm, NOREAD, VM_PROT_READ)) \
	X("vm_fault_quick", "NULL map", bool_name(vm_fault_quick(NULL, A, VM_PROT_READ))) \
	X("vm_fault_quick", "unmapped address", bool_name(vm_fault_quick(pm, NONE, VM_PROT_READ))) \
	X("vm_map_lookup", "NULL map", lookup(NULL, A, VM_PROT_READ)) \
	X("vm_map_lookup", "unknown fault type bits", lookup(pm, A, 0x10)) \
	X("vm_map_lookup", "unmapped address", lookup(pm, NONE, VM_PROT_READ)) \
	X("vm_map_lookup", "outside the map", lookup(pm, PMAP_USER_END, VM_PROT_READ)) \
	X("vm_map_lookup", "write on a read-only range", lookup(pm, RO, VM_PROT_WRITE)) \
	X("vm_map_lookup", "read on a range with no access", lookup(pm, NOREAD, VM_PROT_READ)) \
	X("kmem_alloc", "NULL map", kmem_alloc(NULL, &addr, PAGE_SIZE)) \
	X("kmem_alloc", "NULL address", kmem_alloc(kernel_map, NULL, PAGE_SIZE)) \
	X("kmem_alloc", "size 0", kmem_alloc(kernel_map, &addr, 0)) \
	X("kmem_alloc", "size that wraps when rounded", kmem_alloc(kernel_map, &addr, HUGE + 1)) \
	X("kmem_alloc", "larger than the map", kmem_alloc(kernel_map, &addr, KSIZE + PAGE_SIZE)) \
	X("kmem_alloc_wired", "NULL map", kmem_alloc_wired(NULL, &addr, PAGE_SIZE)) \
	X("kmem_alloc_wired", "NULL address", kmem_alloc_wired(kernel_map, NULL, PAGE_SIZE)) \
	X("kmem_alloc_wired", "size 0", kmem_alloc_wired(kernel_map, &addr, 0)) \
	X("kmem_alloc_wired", "size that wraps when rounded", kmem_alloc_wired(kernel_map, &addr, HUGE + 1)) \
	X("kmem_alloc_wired", "larger than the map", kmem_alloc_wired(kernel_map, &addr, KSIZE + PAGE_SIZE)) \
	X("kmem_alloc_pageable", "NULL map", kmem_alloc_pageable(NULL, &addr, PAGE_SIZE)) \
	X("kmem_alloc_pageable", "NULL address", kmem_alloc_pageable(kernel_map, NULL, PAGE_SIZE)) \
	X("kmem_alloc_pageable", "size 0", kmem_alloc_pageable(kernel_map, &addr, 0)) \
	X("kmem_alloc_pageable", "size that wraps when rounded", kmem_alloc_pageable(kernel_map, &addr, HUGE + 1)) \
	X("kmem_alloc_pageable", "larger than the map", kmem_alloc_pageable(kernel_map, &addr, KSIZE + PAGE_SIZE)) \
	X("kmem_alloc_aligned", "NULL map", kmem_alloc_aligned(NULL, &addr, PAGE_SIZE)) \
	X("kmem_alloc_aligned", "NULL address", kmem_alloc_aligned(kernel_map, NULL, PAGE_SIZE)) \
	X("kmem_alloc_aligned", "size 0", kmem_alloc_aligned(kernel_map, &addr, 0)) \
	X("kmem_alloc_aligned", "size not a power of two", kmem_alloc_aligned(kernel_map, &addr, 3 * PAGE_SIZE)) \
	X("kmem_alloc_aligned", "larger than the map", kmem_alloc_aligned(kernel_map, &addr, 1ul << 40)) \
	X("kmem_alloc_contig", "NULL map", kmem_alloc_contig(NULL, &addr, PAGE_SIZE, 0, KMA_NONE)) \
	X("kmem_alloc_contig", "NULL address", kmem_alloc_contig(kernel_map, NULL, PAGE_SIZE, 0, KMA_NONE)) \
	X("kmem_alloc_contig", "size 0", kmem_alloc_contig(kernel_map, &addr, 0, 0, KMA_NONE)) \
	X("kmem_alloc_contig", "size that wraps when rounded", kmem_alloc_contig(kernel_map, &addr, HUGE + 1, 0, KMA_NONE)) \
	X("kmem_alloc_contig", "mask not a power of two less one", kmem_alloc_contig(kernel_map, &addr, PAGE_SIZE, 0x1234, KMA_NONE)) \
	X("kmem_alloc_contig", "unknown flags", kmem_alloc_contig(kernel_map, &addr, PAGE_SIZE, 0, 0x40)) \
	X("kmem_alloc_contig", "larger than any free run", kmem_alloc_contig(kernel_map, &addr, 64ul << 20, 0, KMA_NONE)) \
	X("kmem_free", "NULL map", (kmem_free(NULL, khole, PAGE_SIZE), VOID)) \
	X("kmem_free", "outside the map", (kmem_free(kernel_map, A, PAGE_SIZE), VOID)) \
	X("kmem_free", "start + size wraps", (kmem_free(kernel_map, HUGE, 2 * PAGE_SIZE), VOID)) \
	X("kmem_free", "size 0 at an allocation", (kmem_free(kernel_map, khole - PAGE_SIZE, 0), VOID)) \
	X("kmem_free", "unallocated, unaligned", (kmem_free(kernel_map, khole + 8, 16), VOID)) \
	X("init_heap", "NULL area", init_heap_row(NULL, sizeof(scratch))) \
	X("init_heap", "area not 16-byte aligned", init_heap_row(scratch + 8, sizeof(scratch) - 8)) \
	X("init_heap", "size too small", init_heap_row(scratch, 16)) \
	X("init_heap", "negative size", init_heap_row(scratch, -4096)) \
	X("xmalloc", "NULL heap", ptr_name(xmalloc(16, 0, NULL))) \
	X("xmalloc", "not a heap", ptr_name(xmalloc(16, 0, scratch))) \
	X("xmalloc", "size 0", ptr_name(xmalloc(0, 0, th))) \
	X("xmalloc", "negative size", ptr_name(xmalloc(-16, 0, th))) \
	X("xmalloc", "negative alignment", ptr_name(xmalloc(16, -1, th))) \
	X("xmalloc", "alignment above 2^12", ptr_name(xmalloc(16, 13, th))) \
	X("xmalloc", "larger than the heap", ptr_name(xmalloc(sizeof(heap_area), 0, th))) \
	X("xmalloc", "alignment the heap cannot place", ptr_name(xmalloc(16, 12, th))) \
	X("xmalloc", "larger than kernel_heap", ptr_name(xmalloc(INT_MAX, 0, kernel_heap))) \
	X("xmfree", "NULL pointer", int_name(xmfree(NULL, th))) \
	X("xmfree", "NULL heap", int_name(xmfree(live, NULL))) \
	X("xmfree", "not a heap", int_name(xmfree(live, scratch))) \
	X("xmfree", "another heap's allocation", int_name(xmfree(live, kernel_heap))) \
	X("xmfree", "outside the heap", int_name(xmfree((caddr_t)&info, th))) \
	X("xmfree", "not 16-byte aligned", int_name(xmfree(live + 8, th))) \
	X("xmfree", "inside an allocation", int_name(xmfree(live + 16, th))) \
	X("xmfree", "inside an allocation, at data shaped like a header", int_name(xmfree(live + 32, th))) \
	X("xmfree", "already freed", int_name(xmfree(freed, th)))

static kern_return_t set_addr(vm_address_t a)
{
	addr = a;
	return KERN_SUCCESS;
}

static const char *ptr_name(const void *p)
{
	return p ? "an address" : "NULL";
}

static const char *int_name(int n)
{
	return n == 0 ? "0" : n == -1 ? "-1" : "another int";
}

static const char *bool_name(bool b)
{
	return b ? "true" : "false";
}

/* init_heap_row: init_heap's result and errno, as "NULL, EINVAL". */
static const char *init_heap_row(caddr_t area, int sz)
{
	int err = -1;

	if (init_heap(area, sz, &err))
		return "a heap";
	return err == EINVAL ? "NULL, EINVAL" : err == 0 ? "NULL, 0" : "NULL, another errno";
}

/* lookup: vm_map_lookup of vaddr in map (unlocked again if it succeeds). */
static kern_return_t lookup(vm_map_t map, vm_offset_t vaddr, vm_prot_t fault_type)
{
	vm_map_t found = map, real;
	struct vm_object *object;
	vm_object_offset_t offset;
	vm_prot_t prot;
	bool wired;
	vm_behavior_t behavior;
	kern_return_t kr = vm_map_lookup(&found, vaddr, fault_type, &object, &offset, &prot, &wired,
					 &behavior, &real);

	if (kr == KERN_SUCCESS)
		vm_map_lookup_done(map, found);
	return kr;
}

static const char *as_text(const char *s)
{
	return s;
}

/* ROW_RESULT: a row's result as the golden file shows it. */
#define ROW_RESULT(e) _Generic((e), kern_return_t: kern_return_name, const char *: as_text)(e)

/* param_row: run row i; false past the last row. */
static bool param_row(unsigned i, const char **call, const char **what, const char **result)
{
	unsigned n = 0;

#define X(c, w, e)				\
	if (i == n++) {				\
		*call = (c);			\
		*what = (w);			\
		*result = ROW_RESULT(e);	\
		return true;			\
	}
	VM_PARAM_ROWS(X)
#undef X
	return false;
}

static char fp_buf[2][1024];
static size_t fp_len;
static int fp_which;

static int fp_print(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(fp_buf[fp_which] + fp_len, sizeof(fp_buf[0]) - fp_len, fmt, ap);
	va_end(ap);
	if (n > 0)
		fp_len = MIN(fp_len + (size_t)n, sizeof(fp_buf[0]) - 1);
	return n;
}

/* fingerprint: what no row may change, printed into fp_buf[which]. */
static void fingerprint(int which)
{
	fp_which = which;
	fp_len = 0;
	fp_buf[which][0] = '\0';
	vm_map_print(pm, false, fp_print);
	fp_print("kernel_map: %d entries, 0x%lx bytes\n", kernel_map->nentries, kernel_map->size);
	fp_print("heaps: %zu, kernel %zu bytes used\n", heap_bytes_used(th),
		 heap_bytes_used(kernel_heap));
	fp_print("%lu objects, %lu entries\n", vm_object_count(), vm_map_entry_count());
}

KTEST(vm_params, table_matches_golden_file)
{
	const char *golden = vm_params_golden;
	vm_address_t a = A, ro = RO, noread = NOREAD;
	vm_offset_t k;
	int err;

	ASSERT_TRUE((pm = vm_map_create(pmap_create(), PAGE_SIZE, PMAP_USER_END)) != NULL);
	ASSERT_TRUE((sub = vm_map_create(pmap_create(), PAGE_SIZE, PMAP_USER_END)) != NULL);
	ASSERT_EQ(vm_allocate(pm, &a, 4 * PAGE_SIZE, VM_FLAGS_FIXED), KERN_SUCCESS);
	ASSERT_EQ(vm_allocate(pm, &ro, 2 * PAGE_SIZE, VM_FLAGS_FIXED), KERN_SUCCESS);
	ASSERT_EQ(vm_protect(pm, ro, 2 * PAGE_SIZE, TRUE, VM_PROT_READ), KERN_SUCCESS);
	ASSERT_EQ(vm_allocate(pm, &noread, 2 * PAGE_SIZE, VM_FLAGS_FIXED), KERN_SUCCESS);
	ASSERT_EQ(vm_protect(pm, noread, 2 * PAGE_SIZE, FALSE, VM_PROT_NONE), KERN_SUCCESS);
	ASSERT_EQ(vm_map_copyin(pm, RO + PAGE_SIZE - 8, 16, FALSE, &copy16), KERN_SUCCESS);
	ASSERT_TRUE((one_page = vm_object_allocate(PAGE_SIZE)) != NULL);
	ASSERT_EQ(kmem_alloc_pageable(kernel_map, &k, 3 * PAGE_SIZE), KERN_SUCCESS);
	khole = k + PAGE_SIZE;
	kmem_free(kernel_map, khole, PAGE_SIZE);
	ASSERT_TRUE((th = init_heap(heap_area, sizeof(heap_area), &err)) != NULL);
	ASSERT_TRUE((live = xmalloc(64, 0, th)) != NULL);
	memset(live, 0, 64);
	/* At live + 16, a used block's size and tag, but not its check word. */
	((uint64_t *)live)[2] = 32;
	((uint32_t *)live)[6] = 0x55534544u;
	ASSERT_TRUE((freed = xmalloc(64, 0, th)) != NULL);
	ASSERT_EQ(xmfree(freed, th), 0);
	fingerprint(0);
	const char *call, *what, *result;

	for (unsigned i = 0; param_row(i, &call, &what, &result); i++) {
		char line[160];
		size_t len = strcspn(golden, "\n");

		snprintf(line, sizeof(line), "%s: %s -> %s", call, what, result);
		if (golden >= vm_params_golden_end || strlen(line) != len || strncmp(line, golden, len))
			ktest_fail(__FILE__, __LINE__, "row %u gave \"%s\", golden file says \"%.*s\"", i,
				   line, (int)len, golden);
		golden += len + (golden[len] == '\n');
		fingerprint(1);
		if (strcmp(fp_buf[0], fp_buf[1])) {
			ktest_fail(__FILE__, __LINE__, "row %u (%s) changed the maps or heaps", i, line);
			kprintf("before:\n%safter:\n%s", fp_buf[0], fp_buf[1]);
		}
	}
	EXPECT_TRUE(golden >= vm_params_golden_end);	/* no golden line left over */
	EXPECT_EQ(vm_map_check(pm, ktest_report), 0);
	EXPECT_EQ(heap_check(th, ktest_report), 0);
	EXPECT_EQ(xmfree(live, th), 0);
	kmem_free(kernel_map, k, PAGE_SIZE);
	kmem_free(kernel_map, k + 2 * PAGE_SIZE, PAGE_SIZE);
	vm_map_copy_discard(copy16);
	vm_object_deallocate(one_page);
	vm_map_deallocate(sub);
	vm_map_deallocate(pm);
}
