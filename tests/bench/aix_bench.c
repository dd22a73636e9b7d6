/*
 * aix_bench.c: the costs of the AIX pinning and cross-memory services
 * (aix/pin.h, aix/xmem.h), over a task-like map of resident pages.
 *
 * pin.per_page: pinu + unpinu of 16 resident user pages, per page (the
 * first pin of each page wires it; the last unpin unwires it).
 * xmemin.per_kib: xmemin of 64 KiB attached by xmattach, per KiB, from a
 * thread running outside the map (through the objects, as a kernel
 * process or a bottom half would).
 * xmemdma.hide_unhide: one xmemdma hide and its unhide of a pinned page
 * (the first hide and the last unhide: every mapping removed, the page
 * made busy and released).
 */
#include <string.h>

#include "aix/pin.h"
#include "aix/xmem.h"
#include "kern/thread.h"
#include "platform/riscv/riscv.h"
#include "tests/bench/kbench.h"
#include "tests/kernel/region_fixture.h"
#include "vm/pmap.h"
#include "vm/vm_map.h"
#include "vm/vm_user.h"

KBENCH_RUN(aix, "bench=pin,xmemin,xmemdma", "-m 256M -smp 1");

#define AIX_BASE	0x10000000ul
#define AIX_PAGES	16

/* aix_map_make: a task-like map with AIX_PAGES resident pages at AIX_BASE, the thread in it. */
static bool aix_map_make(struct region_fixture *r)
{
	if (!region_fixture_make(r, AIX_BASE, AIX_PAGES))
		return false;
	thread_set_map(r->map);
	for (int i = 0; i < AIX_PAGES; i++)
		subyte((char *)AIX_BASE + ptoa(i), 'x');
	return true;
}

static void aix_map_drop(struct region_fixture *r)
{
	thread_set_map(NULL);
	region_fixture_drop(r);
}

KBENCH(pin_per_page, "pin.per_page", "instructions/page", 64)
{
	struct region_fixture r;
	uint64_t t0, t1;
	bool ok = true;

	if (!aix_map_make(&r)) {
		aix_map_drop(&r);
		return 0;
	}
	t0 = rdinstret();
	for (uint64_t i = 0; i < iters && ok; i++)
		ok = pinu((caddr_t)AIX_BASE, (int)ptoa(AIX_PAGES), UIO_USERSPACE) == 0 &&
		     unpinu((caddr_t)AIX_BASE, (int)ptoa(AIX_PAGES), UIO_USERSPACE) == 0;
	t1 = rdinstret();
	aix_map_drop(&r);
	return ok ? (t1 - t0) / (iters * AIX_PAGES) : 0;
}

KBENCH(xmemin_per_kib, "xmemin.per_kib", "instructions/KiB", 64)
{
	static char buf[AIX_PAGES * 4096];
	struct xmem dp = { .aspace_id = XMEM_INVAL };
	struct region_fixture r;
	uint64_t t0 = 0, t1 = 0;
	bool ok;

	if (!aix_map_make(&r)) {
		aix_map_drop(&r);
		return 0;
	}
	ok = xmattach((char *)AIX_BASE, (int)sizeof(buf), &dp, USER_ADSPACE) == XMEM_SUCC;
	thread_set_map(NULL);		/* from here on, a thread outside the task */
	t0 = rdinstret();
	for (uint64_t i = 0; i < iters && ok; i++)
		ok = xmemin((caddr_t)AIX_BASE, buf, (int)sizeof(buf), &dp) == XMEM_SUCC;
	t1 = rdinstret();
	ok = xmdetach(&dp) == XMEM_SUCC && ok;
	aix_map_drop(&r);
	return ok ? (t1 - t0) / (iters * (sizeof(buf) / 1024)) : 0;
}

KBENCH(xmemdma_hide_unhide, "xmemdma.hide_unhide", "instructions/op", 256)
{
	struct xmem dp = { .aspace_id = XMEM_INVAL };
	struct region_fixture r;
	uint64_t t0 = 0, t1 = 0;
	bool ok;

	if (!aix_map_make(&r)) {
		aix_map_drop(&r);
		return 0;
	}
	ok = pinu((caddr_t)AIX_BASE, PAGE_SIZE, UIO_USERSPACE) == 0 &&
	     xmattach((char *)AIX_BASE, PAGE_SIZE, &dp, USER_ADSPACE) == XMEM_SUCC;
	t0 = rdinstret();
	for (uint64_t i = 0; i < iters && ok; i++)
		ok = xmemdma64(&dp, (caddr_t)AIX_BASE, XMEM_HIDE) != (unsigned long long)XMEM_FAIL &&
		     xmemdma64(&dp, (caddr_t)AIX_BASE, XMEM_UNHIDE) != (unsigned long long)XMEM_FAIL;
	t1 = rdinstret();
	ok = xmdetach(&dp) == XMEM_SUCC && ok;
	aix_map_drop(&r);
	return ok ? (t1 - t0) / iters : 0;
}
