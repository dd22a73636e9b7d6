/*
 * user_access_test.c: the kernel's access to user memory (vm/vm_user.h):
 * good pointers, unmapped ones, kernel addresses, ranges running into an
 * unmapped page, unterminated strings, pages paged out at the time, and a
 * table of bad arguments with their documented returns.
 */
#include <errno.h>
#include <string.h>

#include "kern/thread.h"
#include "tests/kernel/ktest.h"
#include "tests/kernel/region_fixture.h"
#include "vm/default_pager.h"
#include "vm/pmap.h"
#include "vm/vm.h"
#include "vm/vm_kern.h"
#include "vm/vm_pager.h"
#include "vm/vm_upl.h"
#include "vm/vm_user.h"

KTEST_RUN(user_access, "test=user_access swap=swap", "-m 64M -smp 1 --blk swap:64M");
KTEST_RUN(user_access.smp4, "test=user_access swap=swap", "-m 64M -smp 4 --blk swap:64M");

#define UBASE	0x10000000ul	/* the region's first page; the page after it is unmapped */
#define UPAGES	DP_CLUSTER_PAGES

/* A user map with UPAGES of an object at UBASE, the calling thread running in it. */
struct uspace {
	struct region_fixture r;
	char *u;		/* UBASE as a pointer */
	char *hole;		/* the first unmapped page after the region */
};

static bool uspace_make(struct uspace *s)
{
	if (!region_fixture_make(&s->r, UBASE, UPAGES))
		return false;
	s->u = (char *)UBASE;
	s->hole = s->u + ptoa(UPAGES);
	thread_set_map(s->r.map);
	return true;
}

static void uspace_drop(struct uspace *s)
{
	thread_set_map(NULL);
	region_fixture_drop(&s->r);
}

KTEST(user_access, copyin_copyout_round_trip)
{
	struct uspace s;
	static char out[3 * 4096], in[3 * 4096];

	ASSERT_TRUE(uspace_make(&s));
	for (size_t i = 0; i < sizeof(out); i++)
		out[i] = (char)(i * 7 + 3);
	/* Across page boundaries, the pages made on demand by vm_fault. */
	EXPECT_EQ(copyout(out, s.u + 100, sizeof(out)), 0);
	EXPECT_EQ(copyin(s.u + 100, in, sizeof(in)), 0);
	EXPECT_EQ(memcmp(in, out, sizeof(in)), 0);
	EXPECT_EQ(copyin(s.u, in, 0), 0);
	uspace_drop(&s);
}

KTEST(user_access, bad_user_pointers_are_efault)
{
	struct uspace s;
	char buf[64] = "kernel";
	vm_offset_t kpage = 0;

	ASSERT_TRUE(uspace_make(&s));
	ASSERT_EQ(kmem_alloc(kernel_map, &kpage, PAGE_SIZE), KERN_SUCCESS);
	EXPECT_EQ(copyin(s.hole, buf, 8), EFAULT);			/* unmapped */
	EXPECT_EQ(copyout(buf, s.hole + 100, 8), EFAULT);
	EXPECT_EQ(copyin((void *)kpage, buf, 8), EFAULT);		/* a kernel address */
	EXPECT_EQ(copyout(buf, (void *)kpage, 8), EFAULT);
	EXPECT_EQ(copyin((void *)(PMAP_USER_END - 4), buf, 8), EFAULT);	/* over the top */
	EXPECT_EQ(copyin((void *)UINT64_MAX, buf, 2), EFAULT);		/* wraps */
	EXPECT_EQ(copyin(NULL, buf, 8), EFAULT);			/* page 0 */
	/* A range that runs from a good page into the unmapped one. */
	EXPECT_EQ(copyout(buf, s.hole - 4, 8), EFAULT);
	EXPECT_EQ(copyin(s.hole - 4, buf, 8), EFAULT);
	EXPECT_STREQ(buf, "kernel");		/* nothing came in from the failed copies */
	/* Read-only user memory: it may be read, not written. */
	EXPECT_EQ(copyout(buf, s.u, 8), 0);
	ASSERT_EQ(vm_protect(s.r.map, UBASE, PAGE_SIZE, FALSE, VM_PROT_READ), KERN_SUCCESS);
	EXPECT_EQ(copyout(buf, s.u, 8), EFAULT);
	EXPECT_EQ(copyin(s.u, buf, 8), 0);
	kmem_free(kernel_map, kpage, PAGE_SIZE);
	uspace_drop(&s);
}

KTEST(user_access, copyinstr_lengths)
{
	struct uspace s;
	char k[32];
	size_t n = 0;

	ASSERT_TRUE(uspace_make(&s));
	ASSERT_EQ(copyout("hello", s.u, 6), 0);
	EXPECT_EQ(copyinstr(s.u, k, sizeof(k), &n), 0);
	EXPECT_STREQ(k, "hello");
	EXPECT_EQ(n, 6);
	EXPECT_EQ(copyinstr(s.u, k, 6, &n), 0);		/* exactly room for the NUL */
	EXPECT_EQ(copyinstr(s.u, k, 5, &n), ENAMETOOLONG);	/* no room for it */
	EXPECT_EQ(n, 5);
	/* Unterminated up to the unmapped page: a fault, not a long name. */
	memset(k, 'x', sizeof(k));
	ASSERT_EQ(copyout(k, s.hole - 8, 8), 0);
	EXPECT_EQ(copyinstr(s.hole - 8, k, sizeof(k), &n), EFAULT);
	EXPECT_EQ(n, 8);
	EXPECT_EQ(copyinstr(s.hole, k, sizeof(k), &n), EFAULT);
	EXPECT_EQ(copyinstr((void *)k, k, sizeof(k), &n), EFAULT);	/* a kernel address */
	uspace_drop(&s);
}

KTEST(user_access, fetch_and_store_forms)
{
	struct uspace s;

	ASSERT_TRUE(uspace_make(&s));
	EXPECT_EQ(subyte(s.u, 0xab), 0);
	EXPECT_EQ(fubyte(s.u), 0xab);
	EXPECT_EQ(suword(s.u + 8, 0x12345678), 0);
	EXPECT_EQ(fuword(s.u + 8), 0x12345678);
	EXPECT_EQ(suword64(s.u + 16, 0x0123456789abcdefll), 0);
	EXPECT_EQ(fuword64(s.u + 16), 0x0123456789abcdefll);
	EXPECT_EQ(fubyte(s.hole), -1);
	EXPECT_EQ(fuword(s.hole - 2), -1);		/* half in the hole */
	EXPECT_EQ(fuword64(s.hole), -1);
	EXPECT_EQ(subyte(s.hole, 1), -1);
	EXPECT_EQ(suword(s.hole, 1), -1);
	EXPECT_EQ(suword64(s.hole - 4, 1), -1);
	EXPECT_EQ(fubyte((void *)&s), -1);		/* kernel addresses */
	EXPECT_EQ(subyte((void *)&s, 1), -1);
	uspace_drop(&s);
}

KTEST(user_access, uiomove_over_several_iovecs)
{
	struct uspace s;
	char data[] = "abcdefghijklmnopqrstuvwxyz", back[sizeof(data)] = "";
	struct iovec iov[3];
	struct uio uio;

	ASSERT_TRUE(uspace_make(&s));
	iov[0] = (struct iovec){ s.u, 5 };
	iov[1] = (struct iovec){ s.u + PAGE_SIZE - 3, 0 };	/* empty: skipped */
	iov[2] = (struct iovec){ s.u + PAGE_SIZE - 3, 30 };	/* across a page boundary */
	uio = (struct uio){ iov, 3, 0, 35, UIO_USERSPACE };
	EXPECT_EQ(uiomove(data, 26, UIO_READ, &uio), 0);	/* kernel -> user */
	EXPECT_EQ(uio.uio_resid, 9);
	EXPECT_EQ(uio.uio_offset, 26);
	EXPECT_EQ(ureadc('!', &uio), 0);
	EXPECT_EQ(fubyte(s.u + PAGE_SIZE - 3 + 21), '!');
	EXPECT_EQ(copyin(s.u, back, 5), 0);
	EXPECT_EQ(copyin(s.u + PAGE_SIZE - 3, back + 5, 21), 0);
	EXPECT_EQ(memcmp(back, data, 26), 0);
	/* And back out: user -> kernel, a character at a time. */
	iov[0] = (struct iovec){ s.u, 5 };
	uio = (struct uio){ iov, 1, 0, 5, UIO_USERSPACE };
	for (int i = 0; i < 5; i++)
		EXPECT_EQ(uwritec(&uio), data[i]);
	EXPECT_EQ(uwritec(&uio), -1);				/* nothing left */
	/* A user buffer that faults: EFAULT, the uio advanced past what moved. */
	iov[0] = (struct iovec){ s.hole - 4, 8 };
	uio = (struct uio){ iov, 1, 0, 8, UIO_USERSPACE };
	EXPECT_EQ(uiomove(data, 8, UIO_READ, &uio), EFAULT);
	/* Kernel buffers. */
	iov[0] = (struct iovec){ back, 4 };
	uio = (struct uio){ iov, 1, 0, 4, UIO_SYSSPACE };
	EXPECT_EQ(uiomove("WXYZ", 4, UIO_READ, &uio), 0);
	EXPECT_EQ(memcmp(back, "WXYZ", 4), 0);
	uspace_drop(&s);
}

/* The user page is in swap when the kernel reads it: vm_fault brings it back. */
KTEST(user_access, paged_out_pages_come_back)
{
	struct uspace s;
	static char out[2 * 4096], in[2 * 4096];
	upl_t upl;

	ASSERT_TRUE(vm_pager_default != NULL);
	ASSERT_TRUE(uspace_make(&s));
	for (size_t i = 0; i < sizeof(out); i++)
		out[i] = (char)(i ^ 0x5a);
	ASSERT_EQ(copyout(out, s.u, sizeof(out)), 0);
	ASSERT_EQ(upl_request(s.r.object, 0, ptoa(UPAGES), UPL_RETURN_ONLY_DIRTY, &upl),
		  KERN_SUCCESS);
	EXPECT_TRUE(upl->count >= 2);
	EXPECT_EQ(vm_pager_data_return(s.r.object, upl), KERN_SUCCESS);
	EXPECT_EQ(s.r.object->resident_count, 0);		/* both pages out */
	EXPECT_EQ(copyin(s.u, in, sizeof(in)), 0);
	EXPECT_EQ(memcmp(in, out, sizeof(in)), 0);
	EXPECT_EQ(s.r.object->resident_count, 2);
	uspace_drop(&s);
}

/* The documented returns for bad arguments. */
KTEST(user_access, bad_arguments_table)
{
	struct uspace s;
	char k[8];
	size_t n;
	struct iovec iov = { NULL, 0 };
	struct uio uio = { &iov, 1, 0, 1, UIO_USERSPACE };

	ASSERT_TRUE(uspace_make(&s));
	EXPECT_EQ(copyin(s.u, NULL, 1), EFAULT);
	EXPECT_EQ(copyout(NULL, s.u, 1), EFAULT);
	EXPECT_EQ(copyinstr(s.u, NULL, 8, &n), EFAULT);
	EXPECT_EQ(copyinstr(s.u, k, 0, &n), ENAMETOOLONG);	/* no room even for the NUL */
	EXPECT_EQ(uiomove(k, 1, (enum uio_rw)7, &uio), EINVAL);
	EXPECT_EQ(uiomove(k, -1, UIO_READ, &uio), EINVAL);
	EXPECT_EQ(uiomove(k, 1, UIO_READ, NULL), EINVAL);
	uio.uio_segflg = (enum uio_seg)9;
	EXPECT_EQ(uiomove(k, 1, UIO_READ, &uio), EINVAL);
	EXPECT_EQ(uwritec(NULL), -1);
	EXPECT_EQ(ureadc('x', NULL), EINVAL);
	uspace_drop(&s);
}

/* A thread with no user map: every user address faults, and fails cleanly. */
KTEST(user_access, thread_without_a_user_map)
{
	char k[8] = "abcdefg";
	size_t n = 99;

	ASSERT_TRUE(thread_current()->map == NULL);
	EXPECT_EQ(copyin((void *)UBASE, k, sizeof(k)), EFAULT);
	EXPECT_EQ(copyout(k, (void *)UBASE, sizeof(k)), EFAULT);
	EXPECT_EQ(copyinstr((void *)UBASE, k, sizeof(k), &n), EFAULT);
	EXPECT_EQ(n, 0);
	EXPECT_EQ(fubyte((void *)UBASE), -1);
	EXPECT_EQ(suword64((void *)UBASE, 1), -1);
}
