/*
 * vm_stat.c: see vm_stat.h.
 *
 * Lock tags: kern/lock.h.
 */
#include "kern/cmdline.h"
#include "kern/kernel.h"
#include "kern/spinlock.h"
#include "kern/thread.h"
#include "vm/vm_stat.h"
#include "vm/default_pager.h"
#include "vm/dynamic_pager.h"
#include "vm/vm_page.h"
#include "vm/vm_pager.h"

#define VM_STAT_MS	(1000ul * 1000)

static struct spinlock vm_stat_lock = SPINLOCK_INIT("vm_stat");
static struct thread *vm_stat_thread;	/* [V] the printer, NULL if none */
static bool vm_stat_stopping;		/* [V] */

void vm_stat_print(void)
{
	struct default_pager_stats dp = { 0 };
	struct swapfile_stats sf;

	if (vm_pager_default)
		default_pager_stats(&dp);
	swapfile_stats(&sf);
	kprintf("vm_stat: free %lu active %lu inactive %lu wired %lu pageouts %lu pageins %lu"
		" swap used %lu MiB swap files %lu swap errors %lu\n", vm_page_free_count(),
		vm_page_queue_count(VM_PAGE_Q_ACTIVE), vm_page_queue_count(VM_PAGE_Q_INACTIVE),
		vm_page_wired_count(), dp.pageouts, dp.pageins, ptoa(dp.used_pages) >> 20, sf.files,
		dp.read_errors + dp.write_errors + dp.checksum_errors);
}

/* vm_stat_loop: the printer: a line every period until told to stop. */
static void vm_stat_loop(void *arg)
{
	uint64_t period_ns = (uint64_t)(uintptr_t)arg * VM_STAT_MS;
	bool stop = false;

	while (!stop) {
		vm_stat_print();
		spin_lock(&vm_stat_lock);
		if (!vm_stat_stopping)
			thread_sleep_deadline(&vm_stat_stopping, &vm_stat_lock,
					      thread_deadline_after(period_ns));
		stop = vm_stat_stopping;
		spin_unlock(&vm_stat_lock);
	}
}

bool vm_stat_start(uint64_t period_ms)
{
	struct thread *t;

	spin_lock(&vm_stat_lock);
	t = vm_stat_thread;
	spin_unlock(&vm_stat_lock);
	if (t || period_ms == 0)
		return false;
	t = thread_create("vm_stat", vm_stat_loop, (void *)(uintptr_t)period_ms, THREAD_ANY_HART);
	spin_lock(&vm_stat_lock);
	vm_stat_thread = t;
	vm_stat_stopping = false;
	spin_unlock(&vm_stat_lock);
	return t != NULL;
}

void vm_stat_stop(void)
{
	struct thread *t;

	spin_lock(&vm_stat_lock);
	t = vm_stat_thread;
	vm_stat_stopping = true;
	spin_unlock(&vm_stat_lock);
	if (!t)
		return;
	thread_wakeup(&vm_stat_stopping);
	thread_join(t);
	spin_lock(&vm_stat_lock);
	vm_stat_thread = NULL;
	spin_unlock(&vm_stat_lock);
}

TUNABLE_NUMBER(tunable_vm_stat, "vm_stat", 0, 0, 3600000, "MS", "never",
	       "print the vm_stat line every MS milliseconds");

void vm_stat_init(void)
{
	vm_stat_start(tunable_number(&tunable_vm_stat));
}
