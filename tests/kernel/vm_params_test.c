/*
 * vm_params_test.c: every public VM call with bad parameters, as a table:
 * each row runs against the same map and must give the result written in
 * vm_params.golden (a data file, compared line by line), must not panic,
 * and must leave the map exactly as it was (its printout before and after).
 */
#include <stdio.h>
#include <string.h>

#include "tests/kernel/ktest.h"
#include "vm/vm.h"
#include "vm/vm_kern.h"
#include "vm/vm_object.h"

KTEST_RUN(vm_params, "test=vm_params", "-m 256M -smp 1");

#define A	0x10000000ul			/* 4 pages, read/write */
#define RO	0x10010000ul			/* 2 pages, read-only, max read-only */
#define NONE	0x10020000ul			/* nothing mapped */
#define HUGE	0xfffffffffffff000ul

extern const char vm_params_golden[], vm_params_golden_end[];

static vm_map_t pm;			/* the map every row runs against */
static vm_address_t addr;
static vm_region_basic_info_data_t info;
static vm_size_t size;
static vm_map_copy_t no_copy;
static struct vm_object *one_page;	/* a one-page object for vm_map_enter rows */

/* X(call, what, expression): one row of the table. */
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
	X("vm_deallocate", "NULL map", vm_deallocate(NULL, A, PAGE_SIZE)) \
	X("vm_deallocate", "start + size wraps", vm_deallocate(pm, HUGE, 2 * PAGE_SIZE)) \
	X("vm_deallocate", "outside the map", vm_deallocate(pm, PMAP_USER_END, PAGE_SIZE)) \
	X("vm_deallocate", "size 0", vm_deallocate(pm, A, 0)) \
	X("vm_protect", "NULL map", vm_protect(NULL, A, PAGE_SIZE, FALSE, VM_PROT_READ)) \
	X("vm_protect", "unknown protection bits", vm_protect(pm, A, PAGE_SIZE, FALSE, 0x10)) \
	X("vm_protect", "above max_protection", vm_protect(pm, RO, PAGE_SIZE, FALSE, VM_PROT_DEFAULT)) \
	X("vm_protect", "set_maximum raising max", vm_protect(pm, RO, PAGE_SIZE, TRUE, VM_PROT_DEFAULT)) \
	X("vm_protect", "range with a hole", vm_protect(pm, A, RO + PAGE_SIZE - A, FALSE, VM_PROT_READ)) \
	X("vm_protect", "unmapped range", vm_protect(pm, NONE, PAGE_SIZE, FALSE, VM_PROT_READ)) \
	X("vm_protect", "outside the map", vm_protect(pm, PMAP_USER_END, PAGE_SIZE, FALSE, VM_PROT_READ)) \
	X("vm_protect", "start + size wraps", vm_protect(pm, HUGE, 2 * PAGE_SIZE, FALSE, VM_PROT_READ)) \
	X("vm_inherit", "unknown inheritance", vm_inherit(pm, A, PAGE_SIZE, 99)) \
	X("vm_inherit", "VM_INHERIT_DONATE_COPY", vm_inherit(pm, A, PAGE_SIZE, VM_INHERIT_DONATE_COPY)) \
	X("vm_inherit", "range with a hole", vm_inherit(pm, A, RO + PAGE_SIZE - A, VM_INHERIT_NONE)) \
	X("vm_inherit", "NULL map", vm_inherit(NULL, A, PAGE_SIZE, VM_INHERIT_NONE)) \
	X("vm_behavior_set", "negative behavior", vm_behavior_set(pm, A, PAGE_SIZE, -1)) \
	X("vm_behavior_set", "unknown behavior", vm_behavior_set(pm, A, PAGE_SIZE, 9)) \
	X("vm_behavior_set", "unmapped range", vm_behavior_set(pm, NONE, PAGE_SIZE, VM_BEHAVIOR_RANDOM)) \
	X("vm_map_wire", "end before start", vm_map_wire(pm, A + PAGE_SIZE, A, VM_PROT_READ, FALSE)) \
	X("vm_map_wire", "unknown access bits", vm_map_wire(pm, A, A + PAGE_SIZE, 0x40, FALSE)) \
	X("vm_map_wire", "range with a hole", vm_map_wire(pm, A, RO + PAGE_SIZE, VM_PROT_READ, FALSE)) \
	X("vm_map_wire", "write on a read-only range", vm_map_wire(pm, RO, RO + PAGE_SIZE, VM_PROT_WRITE, FALSE)) \
	X("vm_map_unwire", "not wired", vm_map_unwire(pm, A, A + PAGE_SIZE, TRUE)) \
	X("vm_map_unwire", "end before start", vm_map_unwire(pm, A + PAGE_SIZE, A, FALSE)) \
	X("vm_region", "NULL info", (set_addr(A), vm_region(pm, &addr, &size, NULL))) \
	X("vm_region", "above every entry", (set_addr(NONE + 0x100000), vm_region(pm, &addr, &size, &info))) \
	X("vm_map_enter", "protection above maximum", vm_map_enter(pm, &addr, PAGE_SIZE, 0, VM_FLAGS_ANYWHERE, NULL, 0, FALSE, VM_PROT_DEFAULT, VM_PROT_READ, VM_INHERIT_COPY)) \
	X("vm_map_enter", "mask not a power of two less one", vm_map_enter(pm, &addr, PAGE_SIZE, 0x1234, VM_FLAGS_ANYWHERE, NULL, 0, FALSE, VM_PROT_READ, VM_PROT_ALL, VM_INHERIT_COPY)) \
	X("vm_map_copyin", "length 0", vm_map_copyin(pm, A, 0, FALSE, &no_copy)) \
	X("vm_map_copyin", "range with a hole", vm_map_copyin(pm, A, RO + PAGE_SIZE - A, FALSE, &no_copy)) \
	X("vm_map_copyin", "start + length wraps", vm_map_copyin(pm, HUGE, 2 * PAGE_SIZE, FALSE, &no_copy)) \
	X("vm_map_copyin", "outside the map", vm_map_copyin(pm, PMAP_USER_END, PAGE_SIZE, FALSE, &no_copy)) \
	X("vm_map_copyout", "NULL copy", vm_map_copyout(pm, &addr, NULL)) \
	X("vm_map_copy_overwrite", "NULL copy", vm_map_copy_overwrite(pm, A, NULL, FALSE, NULL)) \
	X("kmem_alloc", "size 0", kmem_alloc(kernel_map, &addr, 0)) \
	X("kmem_alloc", "NULL address", kmem_alloc(kernel_map, NULL, PAGE_SIZE)) \
	X("kmem_alloc_aligned", "size not a power of two", kmem_alloc_aligned(kernel_map, &addr, 3 * PAGE_SIZE)) \
	X("kmem_alloc_contig", "mask not a power of two less one", kmem_alloc_contig(kernel_map, &addr, PAGE_SIZE, 0x1234, KMA_NONE)) \
	X("kmem_alloc_contig", "unknown flags", kmem_alloc_contig(kernel_map, &addr, PAGE_SIZE, 0, 0x40)) \
	X("kmem_alloc_contig", "larger than any free run", kmem_alloc_contig(kernel_map, &addr, 64ul << 20, 0, KMA_NONE)) \
	X("kmem_alloc_contig", "NULL address", kmem_alloc_contig(kernel_map, NULL, PAGE_SIZE, 0, KMA_NONE)) \
	X("vm_map_enter", "object offset unaligned", vm_map_enter(pm, &addr, PAGE_SIZE, 0, VM_FLAGS_ANYWHERE, one_page, 8, FALSE, VM_PROT_READ, VM_PROT_ALL, VM_INHERIT_COPY)) \
	X("vm_map_enter", "past the object's end", vm_map_enter(pm, &addr, 2 * PAGE_SIZE, 0, VM_FLAGS_ANYWHERE, one_page, 0, FALSE, VM_PROT_READ, VM_PROT_ALL, VM_INHERIT_COPY)) \
	X("vm_map_submap", "submap of itself", vm_map_submap(pm, NONE, NONE + PAGE_SIZE, pm, NONE, FALSE)) \
	X("vm_map_submap", "NULL submap", vm_map_submap(pm, NONE, NONE + PAGE_SIZE, NULL, 0, FALSE)) \
	X("vm_map_submap", "use_pmap at another address", vm_map_submap(pm, 0x40000000, 0x40200000, kernel_map, PMAP_KERNEL_START, TRUE)) \
	X("vm_map_fork", "NULL map", vm_map_fork(NULL) ? KERN_FAILURE : KERN_INVALID_ARGUMENT)

static kern_return_t set_addr(vm_address_t a)
{
	addr = a;
	return KERN_SUCCESS;
}

/* param_row: run row i; false past the last row. */
static bool param_row(unsigned i, const char **call, const char **what, kern_return_t *kr)
{
	unsigned n = 0;

#define X(c, w, e)				\
	if (i == n++) {				\
		*call = (c);			\
		*what = (w);			\
		*kr = (e);			\
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

/* fingerprint: the map's printout into fp_buf[which]. */
static void fingerprint(int which)
{
	fp_which = which;
	fp_len = 0;
	fp_buf[which][0] = '\0';
	vm_map_print(pm, false, fp_print);
}

KTEST(vm_params, table_matches_golden_file)
{
	const char *golden = vm_params_golden;
	vm_address_t a = A, ro = RO;
	uint64_t kernel_entries;

	ASSERT_TRUE((pm = vm_map_create(pmap_create(), PAGE_SIZE, PMAP_USER_END)) != NULL);
	ASSERT_EQ(vm_allocate(pm, &a, 4 * PAGE_SIZE, VM_FLAGS_FIXED), KERN_SUCCESS);
	ASSERT_EQ(vm_allocate(pm, &ro, 2 * PAGE_SIZE, VM_FLAGS_FIXED), KERN_SUCCESS);
	ASSERT_EQ(vm_protect(pm, ro, 2 * PAGE_SIZE, TRUE, VM_PROT_READ), KERN_SUCCESS);
	ASSERT_TRUE((one_page = vm_object_allocate(PAGE_SIZE)) != NULL);
	kernel_entries = kernel_map->nentries;
	fingerprint(0);
	const char *call, *what;
	kern_return_t kr;

	for (unsigned i = 0; param_row(i, &call, &what, &kr); i++) {
		char line[160];
		size_t len = strcspn(golden, "\n");

		snprintf(line, sizeof(line), "%s: %s -> %s", call, what, kern_return_name(kr));
		if (golden >= vm_params_golden_end || strlen(line) != len || strncmp(line, golden, len))
			ktest_fail(__FILE__, __LINE__, "row %u gave \"%s\", golden file says \"%.*s\"", i,
				   line, (int)len, golden);
		golden += len + (golden[len] == '\n');
		fingerprint(1);
		if (strcmp(fp_buf[0], fp_buf[1]))
			ktest_fail(__FILE__, __LINE__, "row %u (%s) changed the map", i, line);
		EXPECT_EQ(kernel_map->nentries, kernel_entries);
	}
	EXPECT_TRUE(golden >= vm_params_golden_end);	/* no golden line left over */
	EXPECT_EQ(vm_map_check(pm, ktest_report), 0);
	vm_object_deallocate(one_page);
	vm_map_deallocate(pm);
}
