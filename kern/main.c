/*
 * main.c: boot sequence of the boot hart, then the program the command line
 * names: "test=SUITE[,SUITE]" runs test suites, "bench=NAME|all" runs
 * benchmarks, nothing runs the demo.  The machine's exit status is the
 * result (EXIT_STATUS_*).
 */
#include <limits.h>
#include <string.h>

#include "aix/xmem.h"
#include "drivers/iommu/iommu.h"
#include "drivers/pci/pci.h"
#include "drivers/uart/ns16550.h"
#include "drivers/virtio/virtio_9p.h"
#include "drivers/virtio/virtio_9p_swapfile.h"
#include "drivers/virtio/virtio_blk.h"
#include "drivers/virtio/virtio_blk_swap.h"
#include "kern/boot.h"
#include "kern/cmdline.h"
#include "kern/kernel.h"
#include "kern/physmem.h"
#include "kern/thread.h"
#include "platform/dtb/fdt.h"
#include "platform/riscv/hart.h"
#include "platform/riscv/kmap.h"
#include "platform/riscv/plic.h"
#include "platform/riscv/riscv.h"
#include "platform/riscv/semihost.h"
#include "platform/riscv/smp.h"
#include "platform/riscv/timer.h"
#include "platform/riscv/trap.h"
#include "platform/riscv/vmlayout.h"
#include "platform/riscv/pmap_md.h"
#include "task/task.h"
#include "vm/default_pager.h"
#include "vm/vm_kern.h"
#include "vm/vm_object.h"
#include "vm/vm_pageout.h"
#include "vm/vm_stat.h"
#include "vm/xmalloc.h"
#include "tests/kernel/ktest.h"
#include "tests/bench/kbench.h"

struct platform_info platform;
struct boot_info boot;

static struct ns16550 console_uart;

extern char _bss_start[], _bss_end[], _kernel_end[], boot_stack_top[];

/* boot_dtb_parse: parse the DTB, reachable through the boot-time direct-map GiB. */
static void boot_dtb_parse(uint64_t dtb_pa)
{
	const void *dtb = PHYS_TO_DMAP(dtb_pa);
	uint64_t room = GiB - (dtb_pa & (GiB - 1));	/* what the boot mapping covers */
	enum fdt_error err;
	const char *why = "";
	uint32_t size;

	size = fdt_totalsize(dtb);
	if (size == 0)
		panic("boot: no device tree at 0x%lx (bad magic)", dtb_pa);
	if (size > room)
		panic("boot: device tree at 0x%lx (%u bytes) crosses a GiB boundary", dtb_pa, size);
	err = fdt_parse(dtb, size, &platform, &why);
	if (err != FDT_OK)
		panic("boot: malformed device tree: %s: %s", fdt_error_name(err), why);
	boot.dtb_pa = dtb_pa;
	boot.dtb_size = size;
}

static void boot_memory(void)
{
	struct vm_phys_seg exclude[] = {
		{ .start = KERNEL_PHYS_BASE, .end = KIMG_TO_PHYS(_kernel_end) },
		{ .start = boot.dtb_pa, .end = boot.dtb_pa + boot.dtb_size },
	};
	struct vm_phys_seg ranges[VM_PAGE_MAX_SEGS];
	int n;

	kmap_bootstrap(&platform);
	n = physmem_ranges(&platform, exclude, ARRAY_SIZE(exclude), ranges);
	vm_page_startup(ranges, n);
	pmap_bootstrap((kmap_satp() & SATP_PPN_MASK) << PAGE_SHIFT);
	vm_object_bootstrap();
	vm_kern_bootstrap();
	vm_machdep_init();
	boot.free_pages_at_boot = vm_page_free_count();
}

static void boot_console(void)
{
	if (!platform.uart.base)
		return;		/* stay on the SBI console */
	ns16550_init(&console_uart, kmap_mmio(platform.uart.base, platform.uart.size),
		     platform.uart_irq);
	console_attach_uart(&console_uart);
	boot.uart = &console_uart;
}

/*
 * boot_swap: the backing store the command line names, and the pageout
 * daemon (for pages that have a store: file pages always, anonymous ones
 * with swap):
 *   swap=SERIAL[,SERIAL...]   whole virtio-blk disks (found by serial) as
 *                             segments of the default pager's pool
 *                             (drivers/virtio/virtio_blk_swap.c)
 *   swapfile=TAG[:DIR]        swap files on a virtio-9p share, added and
 *                             removed as the pool fills and empties
 *                             (drivers/virtio/virtio_9p_swapfile.c, and
 *                             vm/dynamic_pager.c for the policy)
 *   pageout.free_target=N     pages the daemon keeps free (default RAM/32)
 *   pageout.reserve=N         pages only the pageout path may take (RAM/128)
 *   pageout                   start the daemon even without swap: mapped
 *                             files' pages are paged out to their files
 * With none of swap=, swapfile= or pageout the machine runs without a
 * pageout daemon: memory is not overcommitted and an exhausted allocation
 * fails at once.
 */
TUNABLE_TEXT(tunable_swap, "swap", NULL, "SERIAL[,SERIAL...]", "none",
	     "whole virtio-blk disks (by serial) as swap");
TUNABLE_TEXT(tunable_swapfile, "swapfile", NULL, "TAG[:DIR]", "none",
	     "swap files in DIR (default `swap`) of the 9p share TAG");
TUNABLE_FLAG(tunable_pageout, "pageout",
	     "start the daemon without swap too (mapped files' pages go to their files)");
TUNABLE_NUMBER(tunable_free_target, "pageout.free_target", 0, 1, ULONG_MAX, "N", "RAM/32",
	       "pages the daemon keeps free (at most a quarter of memory)");
TUNABLE_NUMBER(tunable_reserve, "pageout.reserve", 0, 1, ULONG_MAX, "N", "RAM/128",
	       "pages only the pageout path may take (at most half the free target)");

static void boot_swap(void)
{
	char spec[256];
	bool store = false, swap = tunable_set(&tunable_swap), swapfile = tunable_set(&tunable_swapfile);

	if (swap || swapfile)
		default_pager_init();
	if (swap && tunable_text(&tunable_swap, spec, sizeof(spec)))
		store = virtio_blk_swap_init(spec) > 0;
	if (swapfile && tunable_text(&tunable_swapfile, spec, sizeof(spec)))
		store = virtio_9p_swapfile_init(spec) || store;
	if (!store && !tunable_set(&tunable_pageout))
		return;
	vm_pageout_start(tunable_number(&tunable_free_target), tunable_number(&tunable_reserve));
	kprintf("pageout: daemon started, free target %lu pages, reserve %lu pages\n",
		vm_pageout_free_target(), vm_page_reserve());
}

/* boot_devices: PCIe enumeration and the drivers of what it found (they may sleep). */
static void boot_devices(void)
{
	kern_return_t kr = pci_init(&platform);

	if (kr != KERN_SUCCESS)
		kprintf("pci: enumeration incomplete (%s)\n", kern_return_name(kr));
	if (pci_count())
		pci_print(kprintf);
	iommu_init();		/* before the drivers: their devices go behind it */
	virtio_blk_probe();
	virtio_9p_probe();
	boot_swap();
	vm_stat_init();
	xmem_init();
	if (task_bootstrap() != KERN_SUCCESS)
		kprintf("tasks: the user image did not load; no task can start\n");
}

TUNABLE_TEXT(tunable_test, "test", NULL, "SUITE[,SUITE...]", "none",
	     "run these test suites (`all`: every one) instead of the demo");
TUNABLE_TEXT(tunable_bench, "bench", NULL, "NAME[,NAME...]", "none",
	     "run these benchmarks (`all`: every one) instead of the demo");
TUNABLE_FLAG(tunable_help, "help", "print this table and stop");

/*
 * boot_demo: the demo, in a thread of its own; one that still runs
 * BOOT_DEMO_STALL_NS after it began (it takes about 15 s) gets one report
 * of every thread and where it waits, so that a hang leaves a trace.
 */
#define BOOT_DEMO_STALL_NS	(120ull * 1000000000ull)

static void boot_demo_thread(void *status)
{
	*(int *)status = demo_main();
}

static int boot_demo(void)
{
	int status = EXIT_STATUS_FAILED, code;
	struct thread *t = thread_create("demo_main", boot_demo_thread, &status, THREAD_ANY_HART);

	if (!t)
		return demo_main();
	if (!thread_join_deadline(t, thread_deadline_after(BOOT_DEMO_STALL_NS), &code)) {
		kprintf("demo: still running %llu s after it began; the threads:\n",
			BOOT_DEMO_STALL_NS / 1000000000ull);
		thread_print_all();
		thread_join(t);
	}
	return status;
}

/* boot_main_thread: the program, in a thread of its own (it may sleep; idle threads may not). */
static void boot_main_thread(void *unused)
{
	char arg[128];
	int status;

	(void)unused;
	boot_devices();
	if (tunable_text(&tunable_test, arg, sizeof(arg)))
		status = ktest_main(arg);
	else if (tunable_text(&tunable_bench, arg, sizeof(arg)))
		status = kbench_main(arg);
	else
		status = boot_demo();
	machine_exit(status);
}

/* kmain_boot: start.S calls this on the boot stack, paging on, .bss not yet cleared. */
void kmain_boot(uint64_t hartid, uint64_t dtb_pa)
{
	struct hart *h = &harts[0];

	memset(_bss_start, 0, (size_t)(_bss_end - _bss_start));
	__asm__ volatile("mv tp, %0" :: "r"(h));
	h->kstack_top = (uint64_t)boot_stack_top;
	trap_init_hart();
	semihost_probe();	/* first: even a panic on a bad DTB reports its status */
	boot_dtb_parse(dtb_pa);
	boot_memory();
	boot_console();
	cmdline_init(platform.bootargs, platform.bootargs_len);
	if (tunable_set(&tunable_help)) {
		cmdline_help();
		machine_exit(EXIT_STATUS_OK);
	}
	smp_init_boot(&platform, (uint32_t)hartid);
	timer_init(platform.timebase_freq, strstr(platform.isa, "sstc") != NULL);
	thread_init(h);
	xmalloc_bootstrap();	/* map locks need a current thread */
	plic_init(&platform);
	plic_init_hart();
	csr_set(sie, SIE_SSIE);
	timer_init_hart();
	intr_enable();
	boot.harts_online = smp_start_secondaries();
	if (!thread_create("main", boot_main_thread, NULL, THREAD_ANY_HART))
		panic("boot: cannot create the main thread");
	thread_idle_loop();
}
