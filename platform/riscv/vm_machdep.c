/*
 * vm_machdep.c: page faults into the VM.  A fault in the kernel_map window
 * goes to kernel_map; one in the lower half to the map of the thread that
 * took it (from U-mode, or from S-mode touching user memory with SUM).
 * The A/D-bit fixup comes first: hardware may fault instead of setting
 * them (privileged spec, Sv39).
 */
#include "kern/thread.h"
#include "kern/kernel.h"
#include "platform/riscv/pmap_md.h"
#include "platform/riscv/riscv.h"
#include "platform/riscv/trap.h"
#include "vm/vm_fault.h"
#include "vm/vm_kern.h"

static vm_prot_t fault_access(uint64_t scause)
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

/* fault_map: the map tf's fault is in, for thread t (NULL before the first thread). */
static vm_map_t fault_map(const struct trap_frame *tf, const struct thread *t)
{
	uint64_t va = tf->stval;

	if (va < PMAP_USER_END)
		return t ? t->map : NULL;
	if (va - PMAP_KERNEL_START < PMAP_KERNEL_END - PMAP_KERNEL_START)
		return trap_from_user(tf) ? NULL : kernel_map;
	return NULL;
}

/* vm_page_fault: resolve the fault or leave it to the next handler (false). */
static bool vm_page_fault(struct trap_frame *tf)
{
	vm_map_t map = fault_map(tf, thread_current());
	vm_prot_t access = fault_access(tf->scause);
	kern_return_t kr;

	if (!map)
		return false;
	if (!pmap_hw_ad() && pmap_fault_fixup(map->pmap, tf->stval, access))
		return true;
	kr = vm_fault(map, tf->stval, access);
	if (kr != KERN_SUCCESS && kr != KERN_INVALID_ADDRESS && kr != KERN_PROTECTION_FAILURE)
		kprintf("vm_fault at 0x%lx: %s\n", tf->stval, kern_return_name(kr));
	return kr == KERN_SUCCESS;
}

/*
 * vm_page_fault_quick: trap.S's first try, with interrupts still off: the
 * faults vm_fault_quick resolves, through pmap_fault_quick (an A/D-bit
 * fault finds its page mapped, which the quick path leaves alone).
 */
static bool vm_page_fault_quick(struct trap_frame *tf)
{
	struct thread *t = thread_current();

	/* No thread yet: no lock could have an owner; vm_page_fault knows that case. */
	return t && pmap_fault_quick(fault_map(tf, t), tf->stval, fault_access(tf->scause));
}

void vm_machdep_init(void)
{
	static const unsigned causes[] = { EXC_LOAD_PAGE_FAULT, EXC_STORE_PAGE_FAULT,
					   EXC_INST_PAGE_FAULT };

	for (unsigned i = 0; i < sizeof(causes) / sizeof(causes[0]); i++) {
		trap_set_handler(causes[i], vm_page_fault);
		trap_set_quick_handler(causes[i], vm_page_fault_quick, vm_page_fault);
	}
}
