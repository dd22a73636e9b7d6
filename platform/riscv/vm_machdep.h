/*
 * vm_machdep.h: what a page-fault trap is about: the access and the map
 * (for vm_machdep.c's handler and the reports).  A fault in the
 * kernel_map window goes to kernel_map; one in the lower half to the map
 * of the thread that took it (from U-mode, or from S-mode touching user
 * memory with SUM).
 */
#ifndef PLATFORM_RISCV_VM_MACHDEP_H
#define PLATFORM_RISCV_VM_MACHDEP_H

#include "kern/thread.h"
#include "platform/riscv/trap.h"
#include "vm/vm_kern.h"

static inline vm_prot_t vm_machdep_fault_access(uint64_t scause)
{
	switch (scause) {
	case EXC_STORE_PAGE_FAULT:
		return VM_PROT_WRITE;
	case EXC_INST_PAGE_FAULT:
		return VM_PROT_EXECUTE;
	default:
		return VM_PROT_READ;
	}
}

/* vm_machdep_fault_map: the map tf's fault is in, for thread t (NULL before the first thread). */
static inline vm_map_t vm_machdep_fault_map(const struct trap_frame *tf, const struct thread *t)
{
	uint64_t va = tf->stval;

	if (va < PMAP_USER_END)
		return t ? t->map : NULL;
	if (va - PMAP_KERNEL_START < PMAP_KERNEL_END - PMAP_KERNEL_START)
		return trap_from_user(tf) ? NULL : kernel_map;
	return NULL;
}

/* vm_machdep_fault_print: for a report of an unresolved page fault: the map around its address. */
void vm_machdep_fault_print(const struct trap_frame *tf);

#endif
