/*
 * demo.c: what `make run` shows: the machine as the DTB describes it, what
 * the kernel made of it (direct map, free memory), the harts at work.
 */
#include <string.h>

#include "drivers/iommu/iommu.h"
#include "drivers/virtio/virtio_9p.h"
#include "drivers/virtio/virtio_blk.h"
#include "drivers/virtio/virtio_blk_swap.h"
#include "kern/boot.h"
#include "kern/kernel.h"
#include "kern/spinlock.h"
#include "kern/thread.h"
#include "platform/riscv/hart.h"
#include "platform/riscv/kmap.h"
#include "platform/riscv/riscv.h"
#include "platform/riscv/timer.h"
#include "platform/riscv/vmlayout.h"
#include "task/task.h"
#include "vm/default_pager.h"
#include "vm/dynamic_pager.h"
#include "vm/vm.h"
#include "vm/vm_fault.h"
#include "vm/vm_kern.h"
#include "vm/vm_page.h"
#include "vm/vm_pager.h"
#include "vm/vm_stat.h"
#include "vm/vm_user.h"

#define DEMO_PAGEABLE	(32ul << 20)	/* memory left to the working set */

static void demo_memory(void)
{
	const struct kmap_stats *ks = kmap_stats();

	for (int i = 0; i < platform.nmem; i++)
		kprintf("  RAM        0x%09lx - 0x%09lx  %lu MiB\n", platform.mem[i].base,
			platform.mem[i].base + platform.mem[i].size, platform.mem[i].size / MiB);
	for (int i = 0; i < platform.nresv; i++)
		kprintf("  reserved   0x%09lx - 0x%09lx  %s\n", platform.resv[i].base,
			platform.resv[i].base + platform.resv[i].size,
			platform.resv[i].no_map ? "no-map" : "");
	kprintf("  direct map at 0x%lx: %lu x 1 GiB, %lu x 2 MiB, %lu x 4 KiB pages\n",
		(unsigned long)DMAP_BASE, ks->dmap_pages[2], ks->dmap_pages[1], ks->dmap_pages[0]);
	kprintf("  image %lu pages (text RX, rodata R, data RW), %lu page-table pages\n",
		ks->image_pages, ks->pt_pages);
	kprintf("  free       %lu of %lu pages (%lu MiB)\n", vm_page_free_count(),
		vm_page_total_count(), vm_page_free_count() * PAGE_SIZE / MiB);
}

static void demo_devices(void)
{
	kprintf("  harts      %d described, %d online, timebase %lu Hz, %s timer\n",
		platform.nharts, boot.harts_online, platform.timebase_freq,
		timer_uses_sstc() ? "Sstc" : "SBI");
	kprintf("  isa        %s (%s)\n", platform.isa, platform.mmu_type);
	kprintf("  uart       0x%lx irq %u\n", platform.uart.base, platform.uart_irq);
	kprintf("  plic       0x%lx, %u sources\n", platform.plic.base, platform.plic_ndev);
	if (platform.pci.ecam.base)
		kprintf("  pcie ecam  0x%lx (%lu MiB), buses %u-%u, %d windows\n",
			platform.pci.ecam.base, platform.pci.ecam.size / MiB,
			platform.pci.bus_start, platform.pci.bus_end, platform.pci.nranges);
	for (int i = 0; i < platform.pci.nranges; i++)
		kprintf("    window   %s 0x%lx size 0x%lx\n",
			(const char *[]){ "cfg", "io", "mem32", "mem64" }[platform.pci.ranges[i].space],
			platform.pci.ranges[i].cpu_addr, platform.pci.ranges[i].size);
	kprintf("  bootargs   \"%s\"\n", platform.bootargs);
}

struct demo_worker {
	int hart;
	uint64_t ran_on;
};

static void demo_worker(void *arg)
{
	struct demo_worker *w = arg;

	thread_sleep_ns(1000 * 1000);
	w->ran_on = hart_self()->hartid;
}

/* demo_threads: one thread pinned to each hart, each reports where it ran. */
static void demo_threads(void)
{
	struct demo_worker w[HART_MAX];
	struct thread *t[HART_MAX];

	for (int i = 0; i < hart_count; i++) {
		w[i] = (struct demo_worker){ .hart = i };
		t[i] = thread_create("demo", demo_worker, &w[i], i);
	}
	for (int i = 0; i < hart_count; i++) {
		if (!t[i])
			continue;
		thread_join(t[i]);
		kprintf("  thread pinned to hart index %d ran on hart %lu\n", i, w[i].ran_on);
	}
}

/* demo_vm: a map built, protected, forked copy-on-write, written on both sides, printed. */
static void demo_vm(void)
{
	vm_map_t map = vm_map_create(pmap_create(), PAGE_SIZE, PMAP_USER_END), child;
	vm_address_t data = 0x10000000, text = 0x400000;
	struct vm_fault_stats st;

	if (!map || vm_allocate(map, &text, 2 * PAGE_SIZE, VM_FLAGS_FIXED) ||
	    vm_allocate(map, &data, 4 * PAGE_SIZE, VM_FLAGS_FIXED)) {
		kprintf("  (no memory for the demo map)\n");
		return;
	}
	vm_protect(map, text, 2 * PAGE_SIZE, TRUE, VM_PROT_READ | VM_PROT_EXECUTE);	/* max first */
	vm_protect(map, text, 2 * PAGE_SIZE, FALSE, VM_PROT_READ | VM_PROT_EXECUTE);
	vm_inherit(map, data + 3 * PAGE_SIZE, PAGE_SIZE, VM_INHERIT_SHARE);
	for (int i = 0; i < 4; i++)
		vm_fault(map, data + ptoa(i), VM_PROT_WRITE);	/* zero-fill faults */
	child = vm_map_fork(map);
	if (child) {
		vm_fault(child, data, VM_PROT_WRITE);		/* copy-on-write in the child */
		vm_fault(map, data + PAGE_SIZE, VM_PROT_WRITE);	/* and in the parent */
		kprintf("  parent after fork and writes:\n");
		vm_map_print(map, true, kprintf);
		kprintf("  child:\n");
		vm_map_print(child, true, kprintf);
		vm_map_deallocate(child);
	}
	vm_fault_stats_get(&st);
	kprintf("  faults so far: %lu zero-fill, %lu copy-on-write (%lu on the quick path), "
		"%lu soft (%lu on the quick path)\n", st.zero_fill, st.cow, st.cow_quick, st.soft,
		st.soft_quick);
	vm_map_deallocate(map);
}

/*
 * demo_tasks: a tree of three tasks in U-mode forked from one another, and
 * the maps of those alive while the leaf runs: the image's text is one
 * submap nested in each (use_pmap), their data copy-on-write.
 */
static void demo_tasks(void)
{
	task_t root;
	uint64_t status;

	kprintf("  three tasks, each forked from the one before; every map holds the image as the\n"
		"  reference's shared library: its text nested (use_pmap), its data copied on write\n");
	if (task_spawn("demo_tree", 3, &root) != KERN_SUCCESS) {
		kprintf("  (no task could start)\n");
		return;
	}
	for (int i = 0; i < 100 && task_count() < 3; i++)
		thread_sleep_ns(1000 * 1000);
	task_print_all(true, kprintf);
	task_wait(root, &status);
	kprintf("  the tree's root ended with %lu; %d tasks left\n", status, task_count());
}

/* demo_page_fill / demo_page_check: a pattern only page p can have, through the user map (SUM). */
static void demo_page_fill(vm_offset_t va, uint64_t p)
{
	csr_set(sstatus, SSTATUS_SUM);
	for (uint64_t i = 0; i < PAGE_SIZE / 8; i++)
		((volatile uint64_t *)va)[i] = p * 0x9e3779b97f4a7c15ull ^ i;
	csr_clear(sstatus, SSTATUS_SUM);
}

/* demo_page_check: through copyin, so that a page the pager cannot give back is a mismatch too. */
static bool demo_page_check(vm_offset_t va, uint64_t p)
{
	static uint64_t words[PAGE_SIZE / 8];	/* the demo runs on one thread */
	bool ok = copyin((const void *)va, words, PAGE_SIZE) == 0;

	for (uint64_t i = 0; i < PAGE_SIZE / 8 && ok; i++)
		ok = words[i] == (p * 0x9e3779b97f4a7c15ull ^ i);
	return ok;
}

/* demo_swap_drain_wait: wait (up to a minute) until every swap file is gone. */
static void demo_swap_drain_wait(void)
{
	struct swapfile_stats sf;

	for (int i = 0; i < 600; i++) {
		swapfile_stats(&sf);
		if (sf.files == 0)
			return;
		thread_sleep_ns(100 * 1000 * 1000);
	}
}

/* demo_progress: as a long loop passes each quarter, how far it has come (done of total pages). */
static void demo_progress(const char *what, uint64_t done, uint64_t total)
{
	if (done * 4 / total > (done - 1) * 4 / total)
		kprintf("  %s: %lu of %lu pages (%lu%%)\n", what, done, total, done * 100 / total);
}

/*
 * demo_pressure: write a working set two and a half times the memory left
 * pageable, then read it back, while vm_stat reports; then free it and
 * watch the swap files go.  => map is the caller's; pageable pages;
 * false if a page read back differs
 */
static bool demo_pressure(vm_map_t map, uint64_t pageable)
{
	vm_offset_t base = 0x10000000;
	uint64_t npages = 5 * pageable / 2, bad = 0;
	struct default_pager_stats dp;
	struct swapfile_stats sf;

	if (vm_allocate(map, &base, ptoa(npages), VM_FLAGS_FIXED) != KERN_SUCCESS) {
		kprintf("  (no room for the working set)\n");
		return true;
	}
	kprintf("  %lu MiB pageable, working set %lu MiB: writing it, then reading it back\n",
		ptoa(pageable) >> 20, ptoa(npages) >> 20);
	thread_set_map(map);
	vm_stat_start(1000);
	for (uint64_t p = 0; p < npages; p++) {
		demo_page_fill(base + ptoa(p), p);
		demo_progress("written", p + 1, npages);
	}
	for (uint64_t p = 0; p < npages; p++) {
		bad += !demo_page_check(base + ptoa(p), p);
		demo_progress("read back", p + 1, npages);
	}
	thread_set_map(NULL);
	default_pager_stats(&dp);
	swapfile_stats(&sf);
	kprintf("  read back %lu pages: %s; %lu paged out, %lu paged in, %lu swap files made\n", npages,
		bad ? "MISMATCHES" : "identical", dp.pageouts, dp.pageins, sf.created);
	vm_deallocate(map, base, ptoa(npages));
	kprintf("  working set freed: the swap files drain away\n");
	demo_swap_drain_wait();
	vm_stat_stop();
	vm_stat_print();
	swapfile_stats(&sf);
	kprintf("  swap files: %lu made, %lu deleted, %lu left\n", sf.created, sf.deleted, sf.files);
	return bad == 0;
}

/*
 * demo_paging: with swap on, most of RAM is wired away so that a modest
 * working set puts the rest under pressure (demo_pressure).  => false if
 * what it read back differs
 */
static bool demo_paging(void)
{
	uint64_t pageable = atop(DEMO_PAGEABLE), wired;
	vm_offset_t hold = 0;
	bool ok = true;
	vm_map_t map;

	if (!vm_pager_default) {
		kprintf("  swap is off (make run's ARGS turn it on: swap=swap swapfile=share)\n");
		return true;
	}
	wired = vm_page_free_count() > 2 * pageable ? vm_page_free_count() - pageable : 0;
	if (wired && kmem_alloc_wired(kernel_map, &hold, ptoa(wired)) != KERN_SUCCESS)
		wired = 0;
	kprintf("  %lu MiB wired to leave the working set little room\n", ptoa(wired) >> 20);
	map = vm_map_create(pmap_create(), PAGE_SIZE, PMAP_USER_END);
	if (map) {
		ok = demo_pressure(map, MIN(pageable, vm_page_free_count()));
		vm_map_deallocate(map);
	}
	if (wired)
		kmem_free(kernel_map, hold, ptoa(wired));
	return ok;
}

/* demo_disk: write 64 KiB to the start of a disk, read it back, compare.  => false if they differ */
static bool demo_disk(struct virtio_blk *b)
{
	const vm_size_t len = 64 * 1024;
	vm_offset_t w = 0, r = 0;
	uint64_t irqs = b->vd.interrupts;
	kern_return_t kr;

	bool same;

	if (kmem_alloc(kernel_map, &w, len) || kmem_alloc(kernel_map, &r, len)) {
		kprintf("  disk \"%s\": no memory for the demo\n", b->serial);
		return true;
	}
	for (vm_size_t i = 0; i < len; i++)
		((uint8_t *)w)[i] = (uint8_t)(i * 7 + i / 4096);
	kr = virtio_blk_write(b, 0, kernel_map, w, len);
	if (kr == KERN_SUCCESS)
		kr = virtio_blk_flush(b);
	if (kr == KERN_SUCCESS)
		kr = virtio_blk_read(b, 0, kernel_map, r, len);
	same = kr == KERN_SUCCESS && memcmp((void *)w, (void *)r, len) == 0;
	kprintf("  disk \"%s\" (%lu MiB, dma %s): wrote, flushed and read back 64 KiB: %s, %lu interrupts\n",
		b->serial, b->capacity >> 11, b->vd.dma.backend->name,
		kr != KERN_SUCCESS ? kern_return_name(kr) : same ? "identical" : "MISMATCH",
		b->vd.interrupts - irqs);
	kmem_free(kernel_map, w, len);
	kmem_free(kernel_map, r, len);
	return same;
}

static int demo_list_entry(void *arg, const struct p9_dirent *d)
{
	(void)arg;
	kprintf("    %s%s\n", d->name, d->type == P9_DT_DIR ? "/" : "");
	return 0;
}

/* demo_share: leave a file in a 9p share (the host sees it) and list the share. */
static void demo_share(struct virtio_9p *v)
{
	static const char text[] = "written by the riscv-mach-vm demo over virtio-9p\n";
	struct p9_file f;
	size_t done = 0;
	int err = p9_file_open(&v->client, "hello.txt", P9_FILE_WRITE | P9_FILE_CREATE | P9_FILE_TRUNC,
			       0644, &f);

	if (!err) {
		err = p9_file_write(&f, 0, text, sizeof(text) - 1, &done);
		p9_file_close(&f);
	}
	kprintf("  share \"%s\" (msize %u): wrote hello.txt (%zu bytes): %s; it holds:\n", v->tag,
		v->client.msize, done, err ? p9_strerror(err) : "ok");
	p9_dir_list(&v->client, "", demo_list_entry, NULL);
}

/* demo_io: the disks and the share.  => false if a disk read back something else */
static bool demo_io(void)
{
	bool ok = true;

	for (int i = 0; i < virtio_blk_count(); i++)
		if (virtio_blk_swap_in_use(virtio_blk_get(i)))
			kprintf("  disk \"%s\" holds swap: left alone\n", virtio_blk_get(i)->serial);
		else
			ok = demo_disk(virtio_blk_get(i)) && ok;
	if (virtio_9p_find("share"))
		demo_share(virtio_9p_find("share"));
	if (!virtio_blk_count() && !virtio_9p_find("share"))
		kprintf("  no disk or share attached (make run attaches both)\n");
	return ok;
}

/* demo_main: the tour; EXIT_STATUS_FAILED if data read back (a disk, paged memory) differed. */
int demo_main(void)
{
	bool ok;

	kprintf("\nriscv-mach-vm: a Mach-style VM on RISC-V Sv39\n");
	kprintf("memory:\n");
	demo_memory();
	kprintf("machine:\n");
	demo_devices();
	kprintf("devices:\n");
	ok = demo_io();
	if (iommu_unit)		/* the disk and share traffic above went through it */
		iommu_print(iommu_unit, kprintf);
	kprintf("threads:\n");
	demo_threads();
	kprintf("virtual memory:\n");
	demo_vm();
	kprintf("tasks:\n");
	demo_tasks();
	kprintf("paging:\n");
	ok = demo_paging() && ok;
	kprintf("demo done%s\n", ok ? "" : ": DATA READ BACK DIFFERED");
	return ok ? EXIT_STATUS_OK : EXIT_STATUS_FAILED;
}
