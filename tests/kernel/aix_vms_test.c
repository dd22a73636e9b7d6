/*
 * aix_vms_test.c: the AIX virtual memory object services (aix/vms.h),
 * in the aix suite: segments attached to the kernel and to a task's
 * address space, moved through a uio, written to paging space, released,
 * made without a read; a file's pages as a client segment, written back
 * and asked whether modified; deletion refused while attached; device registers
 * as an I/O segment; a paging device added and removed, its pages moved
 * first; tables of bad arguments, each with its documented return and no
 * change of state.
 */
#include <errno.h>
#include <string.h>

#include "aix/vms.h"
#include "aix/xmem.h"
#include "drivers/pci/pci.h"
#include "drivers/virtio/virtio_blk.h"
#include "drivers/virtio/virtio_9p.h"
#include "drivers/virtio/virtio_9p_file.h"
#include "drivers/virtio/virtio_blk_swap.h"
#include "kern/thread.h"
#include "tests/kernel/ktest.h"
#include "tests/kernel/map_fixture.h"
#include "vm/default_pager.h"
#include "vm/pmap.h"
#include "vm/vm.h"
#include "vm/vm_kern.h"
#include "vm/vm_named_entry.h"
#include "vm/vm_object.h"

#define SEG_BYTES	(3 * 4096 + 100)	/* three pages and a bit: four pages */
#define TASK_ADDR	0x20000000ul

/* uio_kernel: a one-iovec kernel uio over buf. */
static struct uio uio_kernel(struct iovec *iov, void *buf, long len)
{
	*iov = (struct iovec){ buf, (size_t)len };
	return (struct uio){ iov, 1, 0, len, UIO_SYSSPACE };
}

KTEST(aix, segments_attach_to_the_kernel_and_move_through_a_uio)
{
	vmid_t id = -1;
	struct iovec iov;
	struct uio uio;
	char buf[64];
	caddr_t p;
	int segs0 = vms_count();

	ASSERT_EQ(vms_create(&id, V_WORKING, NULL, SEG_BYTES, 0, 0), 0);
	EXPECT_EQ(vms_count(), segs0 + 1);
	p = vm_att(vm_handle(id, 0), (caddr_t)100);
	ASSERT_TRUE(p != NULL);
	strcpy(p, "written through vm_att");
	uio = uio_kernel(&iov, buf, 23);
	EXPECT_EQ(vm_move(id, (caddr_t)100, SEG_BYTES, UIO_READ, &uio), 0);
	EXPECT_STREQ(buf, "written through vm_att");
	EXPECT_EQ(uio.uio_resid, 0);
	/* A write across a page boundary, seen through the mapping. */
	memset(buf, 'w', sizeof(buf));
	uio = uio_kernel(&iov, buf, sizeof(buf));
	EXPECT_EQ(vm_move(id, (caddr_t)(2 * PAGE_SIZE - 32), SEG_BYTES, UIO_WRITE, &uio), 0);
	EXPECT_EQ(p[2 * PAGE_SIZE - 100 - 32], 'w');
	EXPECT_EQ(p[2 * PAGE_SIZE - 100 + 31], 'w');
	EXPECT_EQ(p[2 * PAGE_SIZE - 100 + 32], 0);
	/* limit stops a move short. */
	uio = uio_kernel(&iov, buf, sizeof(buf));
	EXPECT_EQ(vm_move(id, (caddr_t)0, 10, UIO_READ, &uio), 0);
	EXPECT_EQ(uio.uio_resid, (long)sizeof(buf) - 10);
	vm_cflush(p, 64);
	EXPECT_EQ(vm_det(p + 5), 0);
	EXPECT_EQ(vm_det(p + 5), EINVAL);
	EXPECT_EQ(vms_delete(id), 0);
	EXPECT_EQ(vm_handle(id, 0), 0);
	EXPECT_EQ(vms_count(), segs0);
}

/* attach_in: xmattach of [addr, addr + len) of map, from a thread running in it. */
static int attach_in(vm_map_t map, vm_offset_t addr, int len, struct xmem *dp)
{
	int r;

	thread_set_map(map);
	r = xmattach((char *)addr, len, dp, USER_ADSPACE);
	thread_set_map(NULL);
	return r;
}

KTEST(aix, a_segment_is_shared_by_the_kernel_and_a_task)
{
	vm_map_t map = map_fixture_user();
	vmid_t id = -1;
	vmhandle_t h, held;
	struct xmem dp = { .aspace_id = XMEM_INVAL };
	caddr_t k, u;

	ASSERT_TRUE(map != NULL);
	ASSERT_EQ(vms_create(&id, V_WORKING, NULL, SEG_BYTES, 0, 0), 0);
	h = vm_handle(id, 0);
	k = vm_att(h, 0);
	ASSERT_TRUE(k != NULL);
	EXPECT_TRUE(getadsp() == NULL);			/* a kernel thread has none */
	thread_set_map(map);
	EXPECT_TRUE(getadsp() == map);
	thread_set_map(NULL);
	u = as_att(map, vm_handle(id, 1), (caddr_t)8);	/* read-only for the task */
	ASSERT_TRUE(u != NULL);
	*(uint64_t *)(k + 8) = 0x5e9;
	EXPECT_EQ(map_fixture_get(map, (vm_offset_t)u), 0x5e9);
	EXPECT_FALSE(map_fixture_put(map, (vm_offset_t)u, 1));	/* key 1: no write */
	EXPECT_EQ(as_seth(map, h, (caddr_t)TASK_ADDR), 0);	/* at a fixed address, writable */
	EXPECT_TRUE(map_fixture_put(map, TASK_ADDR + PAGE_SIZE, 0xfeed));
	EXPECT_EQ(*(uint64_t *)(k + PAGE_SIZE), 0xfeed);
	EXPECT_EQ(as_getsrval(map, (caddr_t)TASK_ADDR + 3), h);
	/* Held by as_geth, or attached by xmattach: it cannot be deleted. */
	held = as_geth(map, (caddr_t)TASK_ADDR);
	EXPECT_EQ(held, h);
	EXPECT_EQ(vms_delete(id), EBUSY);
	EXPECT_EQ(as_puth(map, held), 0);
	EXPECT_EQ(as_puth(map, held), EINVAL);		/* once too often */
	ASSERT_EQ(attach_in(map, TASK_ADDR, 2 * PAGE_SIZE, &dp), XMEM_SUCC);
	EXPECT_EQ(vms_delete(id), EBUSY);
	EXPECT_EQ(xmdetach(&dp), XMEM_SUCC);
	EXPECT_EQ(as_det(map, u), 0);
	EXPECT_EQ(as_det(map, (caddr_t)TASK_ADDR + PAGE_SIZE), 0);
	EXPECT_EQ(as_det(map, (caddr_t)TASK_ADDR), EINVAL);
	EXPECT_EQ(vms_delete(id), 0);
	/* The kernel's mapping keeps the object: its data is still there. */
	EXPECT_EQ(*(uint64_t *)(k + PAGE_SIZE), 0xfeed);
	EXPECT_EQ(vm_det(k), EINVAL);			/* the segment's name is gone */
	vm_deallocate(kernel_map, (vm_offset_t)k, round_page(SEG_BYTES));
	vm_map_deallocate(map);
}

KTEST(aix, a_segments_pages_are_written_released_and_made)
{
	struct default_pager_stats st0, st1;
	vmid_t id = -1;
	caddr_t p;
	uint64_t z = 1;

	ASSERT_EQ(vms_create(&id, V_WORKING, NULL, SEG_BYTES, 0, 0), 0);
	ASSERT_TRUE((p = vm_att(vm_handle(id, 0), 0)) != NULL);
	for (int i = 0; i < 4; i++)
		memset(p + ptoa(i), 'a' + i, PAGE_SIZE);
	default_pager_stats(&st0);
	EXPECT_EQ(vm_qmodify(id), TRUE);			/* modified frames */
	EXPECT_EQ(vm_writep(id, 0, 3), 0);
	EXPECT_EQ(vm_write(p + 3 * PAGE_SIZE, 10, 0), 0);
	EXPECT_EQ(vms_iowait(id), 0);
	EXPECT_EQ(vm_qmodify(id), TRUE);			/* written out: the object's bit */
	EXPECT_EQ(vm_qmodify(id), FALSE);			/* reset; the frames are clean */
	default_pager_stats(&st1);
	EXPECT_EQ(st1.pageouts - st0.pageouts, 4);		/* every page, to paging space */
	EXPECT_EQ(st1.used_pages - st0.used_pages, 4);
	EXPECT_EQ(p[PAGE_SIZE], 'b');				/* and still resident */
	EXPECT_EQ(vm_releasep(id, 1, 1), 0);
	EXPECT_EQ(vm_release(p + 2 * PAGE_SIZE + 5, 10), 0);	/* the whole page */
	default_pager_stats(&st1);
	EXPECT_EQ(st1.used_pages - st0.used_pages, 2);		/* their copies went too */
	EXPECT_EQ(p[PAGE_SIZE], 0);
	EXPECT_EQ(p[2 * PAGE_SIZE + 100], 0);
	EXPECT_EQ(p[0], 'a');
	EXPECT_EQ(vm_makep(id, 0), 0);				/* resident: left as it is */
	EXPECT_EQ(p[0], 'a');
	EXPECT_EQ(vm_releasep(id, 0, 1), 0);
	EXPECT_EQ(vm_makep(id, 0), 0);
	EXPECT_EQ(memcmp(p, &(uint64_t){ 0 }, 8), 0);
	EXPECT_EQ(vm_move(id, 0, 8, UIO_READ,
			  &(struct uio){ &(struct iovec){ &z, 8 }, 1, 0, 8, UIO_SYSSPACE }), 0);
	EXPECT_EQ(z, 0);
	EXPECT_EQ(vm_det(p), 0);
	EXPECT_EQ(vms_delete(id), 0);
}

KTEST(aix, bad_vms_arguments_return_their_code_and_change_nothing)
{
	vm_map_t map = map_fixture_user();
	vmid_t id = -1, unused = -1;
	struct iovec iov;
	struct uio uio;
	char buf[16];
	caddr_t p;
	uint64_t objects0;
	int segs0;

	ASSERT_TRUE(map != NULL);
	ASSERT_EQ(vms_create(&id, V_WORKING, NULL, SEG_BYTES, 0, 0), 0);
	ASSERT_TRUE((p = vm_att(vm_handle(id, 0), 0)) != NULL);
	objects0 = vm_object_count();
	segs0 = vms_count();

	EXPECT_EQ(vms_create(NULL, V_WORKING, NULL, 4096, 0, 0), EINVAL);
	EXPECT_EQ(vms_create(&unused, 0x40, NULL, 4096, 0, 0), EINVAL);	/* not working storage */
	EXPECT_EQ(vms_create(&unused, V_WORKING, NULL, 0, 0, 0), EINVAL);
	EXPECT_EQ(vms_create(&unused, V_WORKING, NULL, -4096, 0, 0), EINVAL);
	EXPECT_EQ(unused, -1);
	EXPECT_EQ(vms_delete(-1), EINVAL);
	EXPECT_EQ(vms_delete(VMS_MAX), EINVAL);
	EXPECT_EQ(vms_delete(id + 1), EINVAL);
	EXPECT_EQ(vms_iowait(VMS_MAX + 3), EINVAL);
	EXPECT_EQ(vm_handle(-1, 0), 0);
	EXPECT_EQ(vm_handle(id, 2), 0);				/* unknown key */
	EXPECT_TRUE(vm_att(0, 0) == NULL);
	EXPECT_TRUE(vm_att(0x12345, 0) == NULL);
	EXPECT_TRUE(vm_att(vm_handle(id, 0), (caddr_t)(4 * PAGE_SIZE)) == NULL);	/* past it */
	EXPECT_EQ(vm_det(NULL), EINVAL);
	EXPECT_EQ(vm_det((caddr_t)buf), EINVAL);		/* no segment there */
	EXPECT_TRUE(as_att(NULL, vm_handle(id, 0), 0) == NULL);
	EXPECT_TRUE(as_att(kernel_map, vm_handle(id, 0), 0) == NULL);
	EXPECT_EQ(as_det(map, (caddr_t)TASK_ADDR), EINVAL);
	EXPECT_EQ(as_seth(map, vm_handle(id, 0), (caddr_t)TASK_ADDR + 1), EINVAL);	/* unaligned */
	EXPECT_EQ(as_seth(map, 0, (caddr_t)TASK_ADDR), EINVAL);
	EXPECT_EQ(as_seth(map, vm_handle(id, 0), (caddr_t)(PMAP_USER_END - PAGE_SIZE)), EINVAL);
	EXPECT_EQ(as_geth(map, (caddr_t)TASK_ADDR), 0);		/* nothing mapped */
	EXPECT_EQ(as_getsrval(map, (caddr_t)TASK_ADDR), 0);
	EXPECT_EQ(as_puth(map, vm_handle(id, 0)), EINVAL);	/* no hold */
	EXPECT_EQ(as_puth(map, 0), EINVAL);
	EXPECT_EQ(as_geth(kernel_map, p), 0);			/* a task's space only */
	/* The task's own memory, held: the kernel may attach it, as_att and as_det may not. */
	{
		vm_address_t own = TASK_ADDR + 0x100000;
		vmhandle_t held;
		caddr_t k;

		ASSERT_EQ(vm_allocate(map, &own, PAGE_SIZE, VM_FLAGS_FIXED), KERN_SUCCESS);
		ASSERT_TRUE(map_fixture_put(map, own, 0x0abc));
		held = as_geth(map, (caddr_t)own);
		ASSERT_NE(held, 0);
		EXPECT_TRUE(as_att(map, held, 0) == NULL);
		EXPECT_EQ(as_seth(map, held, (caddr_t)TASK_ADDR), EINVAL);
		EXPECT_EQ(as_det(map, (caddr_t)own), EINVAL);
		EXPECT_EQ(map_fixture_get(map, own), 0x0abc);		/* still the task's */
		ASSERT_TRUE((k = vm_att(held, 0)) != NULL);
		EXPECT_EQ(*(uint64_t *)k, 0x0abc);
		EXPECT_EQ(vm_det(k), 0);
		EXPECT_EQ(as_puth(map, held), 0);
		EXPECT_EQ(vm_deallocate(map, own, PAGE_SIZE), KERN_SUCCESS);
	}
	uio = uio_kernel(&iov, buf, 8);
	EXPECT_EQ(vm_move(id, 0, 8, (enum uio_rw)7, &uio), EINVAL);
	EXPECT_EQ(vm_move(id, 0, 8, UIO_READ, NULL), EINVAL);
	EXPECT_EQ(vm_move(id, (caddr_t)16, 8, UIO_READ, &uio), EINVAL);	/* limit below offset */
	EXPECT_EQ(vm_move(id, 0, 5 * PAGE_SIZE, UIO_READ, &uio), EINVAL);	/* limit past it */
	EXPECT_EQ(vm_move(id + 1, 0, 8, UIO_READ, &uio), EINVAL);
	EXPECT_EQ(uio.uio_resid, 8);
	EXPECT_EQ(vm_makep(id, 4), EINVAL);
	EXPECT_EQ(vm_makep(id, -1), EINVAL);
	EXPECT_EQ(vm_releasep(id, 3, 2), EINVAL);		/* past the end */
	EXPECT_EQ(vm_releasep(id, 0, 0), EINVAL);
	EXPECT_EQ(vm_writep(id, -1, 1), EINVAL);
	EXPECT_EQ(vm_release(p, 0), EINVAL);
	EXPECT_EQ(vm_release(p + 3 * PAGE_SIZE, 2 * PAGE_SIZE), EINVAL);	/* past the mapping */
	EXPECT_EQ(vm_write((caddr_t)buf, 8, 0), EINVAL);	/* not a segment's mapping */
	vm_cflush(p, 0);

	EXPECT_EQ(vm_object_count(), objects0);
	EXPECT_EQ(vms_count(), segs0);
	EXPECT_EQ(vm_det(p), 0);
	EXPECT_EQ(vms_delete(id), 0);
	vm_map_deallocate(map);
}

#define EDU_VENDOR	0x1234
#define EDU_DEVICE	0x11e8
#define EDU_ID		0x00		/* reads 0x010000ed */
#define EDU_LIVENESS	0x04		/* reads back the complement of what was written */

KTEST(aix, device_memory_attaches_as_an_io_segment)
{
	struct pci_device *d = pci_find(EDU_VENDOR, EDU_DEVICE, 0);
	vmid_t io = -1, work = -1, unused = -1;
	struct iovec iov;
	struct uio uio;
	char buf[8];
	vm_page_t ram;
	caddr_t p;

	ASSERT_TRUE(d != NULL && d->bar[0].size != 0);
	ASSERT_EQ(vms_create_io(&io, d->bar[0].cpu_addr, d->bar[0].size, VM_MEMATTR_DEVICE), 0);
	ASSERT_EQ(vms_create(&work, V_WORKING, NULL, PAGE_SIZE, 0, 0), 0);
	p = io_att(vm_handle(io, 0), (caddr_t)0);
	ASSERT_TRUE(p != NULL);
	EXPECT_EQ(*(volatile uint32_t *)(p + EDU_ID), 0x010000edu);
	*(volatile uint32_t *)(p + EDU_LIVENESS) = 0x1234;
	EXPECT_EQ(*(volatile uint32_t *)(p + EDU_LIVENESS), ~0x1234u);
	/* Each kind attaches its own way only; device memory has no pages to move. */
	EXPECT_TRUE(vm_att(vm_handle(io, 0), 0) == NULL);
	EXPECT_TRUE(io_att(vm_handle(work, 0), 0) == NULL);
	uio = uio_kernel(&iov, buf, sizeof(buf));
	EXPECT_EQ(vm_move(io, 0, 8, UIO_READ, &uio), EINVAL);
	EXPECT_EQ(vm_releasep(io, 0, 1), EINVAL);
	EXPECT_EQ(vm_makep(io, 0), EINVAL);
	/* Bad ranges: RAM, unaligned, empty, an unknown memory type. */
	ram = vm_page_alloc();
	ASSERT_TRUE(ram != NULL);
	EXPECT_EQ(vms_create_io(&unused, ram->phys_addr, PAGE_SIZE, VM_MEMATTR_DEVICE), EINVAL);
	vm_page_free(ram);
	EXPECT_EQ(vms_create_io(&unused, d->bar[0].cpu_addr + 8, PAGE_SIZE, VM_MEMATTR_DEVICE), EINVAL);
	EXPECT_EQ(vms_create_io(&unused, d->bar[0].cpu_addr, 0, VM_MEMATTR_DEVICE), EINVAL);
	EXPECT_EQ(vms_create_io(&unused, d->bar[0].cpu_addr, PAGE_SIZE, 9), EINVAL);
	EXPECT_EQ(vms_create_io(NULL, d->bar[0].cpu_addr, PAGE_SIZE, VM_MEMATTR_DEVICE), EINVAL);
	EXPECT_EQ(unused, -1);
	EXPECT_EQ(io_det(p + 8), 0);
	EXPECT_EQ(io_det(p), EINVAL);
	EXPECT_EQ(vms_delete(io), 0);
	EXPECT_EQ(vms_delete(work), 0);
}

/* disk_pages_in_pool: the pages disk b holds for the pool, -1 if it is not in the pool. */
static int64_t disk_pages_in_pool(const struct virtio_blk *b)
{
	for (int i = 0; i < DP_MAX_SEGMENTS; i++) {
		const struct swap_segment *seg = default_pager_segment(i);

		if (seg && seg->dev == b)
			return (int64_t)seg->used_pages;
	}
	return -1;
}

KTEST(aix, vm_umount_moves_a_paging_devices_pages_first)
{
	struct virtio_blk *b = virtio_blk_find("swap2");
	struct default_pager_stats st0, st1;
	vm_map_t map = map_fixture_user();
	uint64_t pages = 3 * vm_page_total_count(), bad = 0;
	vm_address_t a = TASK_ADDR;
	int npages;

	ASSERT_TRUE(b != NULL && map != NULL);
	npages = (int)(b->capacity / (PAGE_SIZE / VIRTIO_BLK_SECTOR));
	EXPECT_EQ(vm_mount(D_PAGING, &virtio_blk_swap_ops, b, npages), 0);
	EXPECT_EQ(disk_pages_in_pool(b), 0);
	/* Three times RAM, paged out across both disks (new clusters go round robin). */
	ASSERT_EQ(vm_allocate(map, &a, ptoa(pages), VM_FLAGS_FIXED), KERN_SUCCESS);
	thread_set_map(map);
	for (uint64_t p = 0; p < pages && !bad; p++) {
		uint64_t v = p * 0x9e3779b97f4a7c15ull;

		bad += copyout(&v, (void *)(a + ptoa(p)), sizeof(v)) != 0;
	}
	thread_set_map(NULL);
	EXPECT_EQ(bad, 0);
	EXPECT_GT(disk_pages_in_pool(b), 0);
	default_pager_stats(&st0);
	EXPECT_EQ(vm_umount(D_PAGING, b), 0);
	default_pager_stats(&st1);
	EXPECT_EQ(disk_pages_in_pool(b), -1);			/* out of the table */
	EXPECT_GT(st1.moved, st0.moved);			/* its pages went elsewhere first */
	EXPECT_EQ(st1.segments_removed, st0.segments_removed + 1);
	EXPECT_EQ(vm_umount(D_PAGING, b), EINVAL);
	thread_set_map(map);
	for (uint64_t p = 0; p < pages; p++) {
		uint64_t v = 0;

		bad += copyin((void *)(a + ptoa(p)), &v, sizeof(v)) != 0 ||
		       v != p * 0x9e3779b97f4a7c15ull;
	}
	thread_set_map(NULL);
	EXPECT_EQ(bad, 0);					/* every page came back intact */
	vm_map_deallocate(map);
}

KTEST(aix, bad_paging_device_arguments_change_nothing)
{
	struct virtio_blk *swap = virtio_blk_find("swap"), *b = virtio_blk_find("swap2");
	struct default_pager_stats st0, st1;

	ASSERT_TRUE(swap != NULL && b != NULL);
	default_pager_stats(&st0);
	EXPECT_EQ(vm_mount(7, &virtio_blk_swap_ops, b, 100), EINVAL);
	EXPECT_EQ(vm_mount(D_PAGING, NULL, b, 100), EINVAL);
	EXPECT_EQ(vm_mount(D_PAGING, &virtio_blk_swap_ops, NULL, 100), EINVAL);
	EXPECT_EQ(vm_mount(D_PAGING, &virtio_blk_swap_ops, b, 0), EINVAL);
	EXPECT_EQ(vm_mount(D_PAGING, &virtio_blk_swap_ops, swap, 100), EINVAL);	/* in already */
	EXPECT_EQ(vm_umount(D_PAGING, b), EINVAL);				/* not in */
	EXPECT_EQ(vm_umount(7, swap), EINVAL);
	EXPECT_EQ(vm_umount(D_PAGING, NULL), EINVAL);
	default_pager_stats(&st1);
	EXPECT_EQ(st1.segments, st0.segments);
	EXPECT_EQ(st1.total_pages, st0.total_pages);
}

/* share_client: the 9P client of the aix suite's share. */
static struct p9_client *share_client(void)
{
	struct virtio_9p *v = virtio_9p_find("share");

	return v ? &v->client : NULL;
}

/* file_word_at: the word at off of the share's file path as 9P reads it now; ~0 if it cannot. */
static uint64_t file_word_at(const char *path, uint64_t off)
{
	struct p9_file f;
	uint64_t v = ~0ull;
	size_t done = 0;

	if (p9_file_open(share_client(), path, P9_FILE_READ, 0, &f))
		return v;
	if (p9_file_read(&f, off, &v, sizeof(v), &done) || done != sizeof(v))
		v = ~0ull;
	p9_file_close(&f);
	return v;
}

/* file_make_pages: the share's file path, pages pages of the byte fill. */
static bool file_make_pages(const char *path, int pages, int fill)
{
	static char page[4096];
	struct p9_file f;
	size_t done;
	bool ok = true;

	if (p9_file_open(share_client(), path, P9_FILE_WRITE | P9_FILE_CREATE | P9_FILE_TRUNC, 0644,
			 &f))
		return false;
	memset(page, fill, sizeof(page));
	for (int i = 0; i < pages && ok; i++)
		ok = p9_file_write(&f, ptoa(i), page, sizeof(page), &done) == 0 && done == sizeof(page);
	p9_file_close(&f);
	return ok;
}

KTEST(aix, a_client_segment_is_a_files_pages)
{
	vm_map_t map = map_fixture_user();
	vm_named_entry_t file = NULL;
	vmid_t id = -1, unused = -1;
	struct iovec iov;
	struct uio uio;
	uint64_t v = 0x1111111111111111ull;
	vm_offset_t u;

	ASSERT_TRUE(map != NULL && share_client() != NULL);
	ASSERT_TRUE(file_make_pages("aix-client", 3, 'f'));
	ASSERT_EQ(virtio_9p_file_entry("share", "aix-client", VM_PROT_READ | VM_PROT_WRITE, 0, &file),
		  KERN_SUCCESS);
	EXPECT_EQ(vms_create(&unused, V_CLIENT, file, 4 * PAGE_SIZE, 0, 0), EINVAL);	/* past it */
	ASSERT_EQ(vms_create(&id, V_CLIENT, file, 3 * PAGE_SIZE, 0, 0), 0);
	vm_named_entry_release(file);
	EXPECT_EQ(vm_qmodify(id), FALSE);			/* nothing read, nothing changed */
	EXPECT_TRUE(vm_att(vm_handle(id, 0), 0) == NULL);	/* the kernel uses vm_move */
	u = (vm_offset_t)as_att(map, vm_handle(id, 0), 0);
	ASSERT_TRUE(u != 0);
	EXPECT_EQ(map_fixture_get(map, u + PAGE_SIZE), 0x6666666666666666ull);	/* the file's */
	EXPECT_EQ(vm_qmodify(id), FALSE);
	EXPECT_TRUE(map_fixture_put(map, u + PAGE_SIZE, 0x600d));
	EXPECT_EQ(vm_qmodify(id), TRUE);
	EXPECT_EQ(file_word_at("aix-client", PAGE_SIZE), 0x6666666666666666ull);	/* not yet */
	EXPECT_EQ(vm_writep(id, 0, 3), 0);
	EXPECT_EQ(file_word_at("aix-client", PAGE_SIZE), 0x600d);
	EXPECT_EQ(vm_qmodify(id), TRUE);	/* written out since: the object's bit, now reset */
	EXPECT_EQ(vm_qmodify(id), FALSE);
	/* vm_move writes behind the mappings; the task sees it, the file once written. */
	uio = uio_kernel(&iov, &v, sizeof(v));
	EXPECT_EQ(vm_move(id, (caddr_t)(2 * PAGE_SIZE + 8), 3 * PAGE_SIZE, UIO_WRITE, &uio), 0);
	EXPECT_EQ(vm_qmodify(id), TRUE);
	EXPECT_EQ(map_fixture_get(map, u + 2 * PAGE_SIZE + 8), 0x1111111111111111ull);
	EXPECT_EQ(vm_writep(id, 2, 1), 0);
	EXPECT_EQ(file_word_at("aix-client", 2 * PAGE_SIZE + 8), 0x1111111111111111ull);
	EXPECT_EQ(vm_qmodify(id), TRUE);
	EXPECT_EQ(vm_qmodify(id), FALSE);
	/* A file's pages are its data: they are not released. */
	EXPECT_EQ(vm_releasep(id, 0, 1), EINVAL);
	EXPECT_EQ(map_fixture_get(map, u), 0x6666666666666666ull);
	EXPECT_EQ(as_det(map, (caddr_t)u), 0);
	EXPECT_EQ(vms_delete(id), 0);
	EXPECT_EQ(p9_unlink(share_client(), "aix-client"), 0);
	vm_map_deallocate(map);
}

KTEST(aix, a_client_segment_needs_a_files_handle)
{
	vm_map_t map = map_fixture_user();
	vm_named_entry_t anon = NULL;
	vm_address_t a = TASK_ADDR;
	vm_size_t size = PAGE_SIZE;
	vmid_t unused = -1;

	ASSERT_TRUE(map != NULL);
	ASSERT_EQ(vm_allocate(map, &a, PAGE_SIZE, VM_FLAGS_FIXED), KERN_SUCCESS);
	ASSERT_EQ(mach_make_memory_entry_64(map, &size, a, VM_PROT_READ | VM_PROT_WRITE, &anon, NULL),
		  KERN_SUCCESS);
	EXPECT_EQ(vms_create(&unused, V_CLIENT, NULL, PAGE_SIZE, 0, 0), ENODEV);
	EXPECT_EQ(vms_create(&unused, V_CLIENT, anon, PAGE_SIZE, 0, 0), ENODEV);	/* not a file */
	EXPECT_EQ(unused, -1);
	EXPECT_EQ(vm_qmodify(-1), FALSE);
	vm_named_entry_release(anon);
	vm_map_deallocate(map);
}

KTEST(aix, vm_protectp_makes_resident_pages_read_only)
{
	vm_map_t map = map_fixture_user();
	vmid_t id = -1;
	vm_offset_t u;
	caddr_t k;

	ASSERT_TRUE(map != NULL);
	ASSERT_EQ(vms_create(&id, V_WORKING, NULL, 3 * PAGE_SIZE, 0, 0), 0);
	ASSERT_TRUE((k = vm_att(vm_handle(id, 0), 0)) != NULL);
	u = (vm_offset_t)as_att(map, vm_handle(id, 0), 0);
	ASSERT_TRUE(u != 0);
	ASSERT_TRUE(map_fixture_put(map, u, 5));		/* page 0 resident and mapped */
	EXPECT_EQ(vm_protectp(id, 0, 3, 1), 0);			/* page 1 and 2: not resident */
	EXPECT_FALSE(map_fixture_put(map, u + 8, 6));		/* key 1: the store fails */
	EXPECT_EQ(map_fixture_get(map, u), 5);			/* reads still work */
	EXPECT_EQ(vm_makep(id, 0), 0);
	EXPECT_TRUE(map_fixture_put(map, u + PAGE_SIZE, 7));	/* no state for absent pages */
	EXPECT_EQ(vm_protectp(id, 0, 1, 0), 0);			/* key 0: writable again */
	EXPECT_TRUE(map_fixture_put(map, u + 8, 6));
	EXPECT_EQ(*(uint64_t *)(k + 8), 6);
	/* Bad arguments. */
	EXPECT_EQ(vm_protectp(id, 0, 1, 2), EINVAL);
	EXPECT_EQ(vm_protectp(id, 2, 2, 1), EINVAL);		/* past the end */
	EXPECT_EQ(vm_protectp(id, 0, 0, 1), EINVAL);
	EXPECT_EQ(vm_protectp(-1, 0, 1, 1), EINVAL);
	EXPECT_TRUE(map_fixture_put(map, u + 16, 8));		/* none of them protected it */
	EXPECT_EQ(as_det(map, (caddr_t)u), 0);
	EXPECT_EQ(vm_det(k), 0);
	EXPECT_EQ(vms_delete(id), 0);
	vm_map_deallocate(map);
}
