/*
 * vm_machdep.c: page faults into the VM (vm_machdep.h says which map):
 * one handler for the three causes, vm_machdep_page_fault: the A/D-bit
 * fixup first (hardware may fault instead of setting them: privileged
 * spec, Sv39), then vm_fault.
 */
#include "kern/thread.h"
#include "kern/kernel.h"
#include "platform/riscv/kjmp.h"
#include "platform/riscv/pmap_md.h"
#include "platform/riscv/riscv.h"
#include "platform/riscv/trap.h"
#include "platform/riscv/vm_machdep.h"
#include "vm/vm_fault.h"
#include "vm/vm_kern.h"

/* vm_page_fault_recovers: a kernel access to user memory (copyin...) that takes a failure as an error. */
static bool vm_page_fault_recovers(const struct trap_frame *tf)
{
	struct thread *t = thread_current();

	return t && t->uaccess && !trap_from_user(tf) && tf->stval < PMAP_USER_END;
}

/*
 * vm_page_fault_unresolved: a kernel access to user memory inside
 * pmap_user_access ends there (does not return: pmap_user_access returns
 * false); any other fault is left to the next handler (false).
 */
static bool vm_page_fault_unresolved(const struct trap_frame *tf)
{
	struct thread *t = thread_current();

	if (vm_page_fault_recovers(tf))
		kjmp_jump(t->uaccess, 1);
	return false;
}

/*
 * vm_machdep_page_fault_failed: vm_fault did not resolve tf's fault (kr):
 * say why if nothing else will (copyin and the like return the error,
 * and a bad address or access is reported by the trap), and leave it to
 * the next handler.
 */
static __attribute__((noinline)) bool vm_machdep_page_fault_failed(struct trap_frame *tf,
								   kern_return_t kr)
{
	if (kr != KERN_INVALID_ADDRESS && kr != KERN_PROTECTION_FAILURE && !vm_page_fault_recovers(tf))
		kprintf("vm_fault at 0x%lx: %s\n", tf->stval, kern_return_name(kr));
	return vm_page_fault_unresolved(tf);
}

/*
 * vm_machdep_page_fault: the page faults' handler (trap.h): the A/D-bit
 * fixup, then vm_fault (which tries its quick path first).  Unresolved:
 * left to the next handler (false).
 */
static bool vm_machdep_page_fault(struct trap_frame *tf)
{
	vm_map_t map = vm_machdep_fault_map(tf, thread_current());
	vm_prot_t access = vm_machdep_fault_access(tf->scause);
	kern_return_t kr;

	if (!map)
		return vm_page_fault_unresolved(tf);	/* e.g. a thread with no user map */
	if (!pmap_hw_ad() && pmap_fault_fixup(map->pmap, tf->stval, access))
		return true;
	kr = vm_fault(map, tf->stval, access);
	return kr == KERN_SUCCESS || vm_machdep_page_fault_failed(tf, kr);
}

bool pmap_user_access(void (*fn)(void *), void *arg)
{
	struct thread *t = thread_current();
	void *outer = t->uaccess;
	int depth = t->trap_depth;
	kjmp_buf jb;

	KASSERT(intr_enabled(), "pmap_user_access: interrupts off (a spinlock held?): a fault may sleep");
	if (kjmp_set(jb) != 0) {	/* a fault vm_fault could not resolve */
		csr_clear(sstatus, SSTATUS_SUM);
		t->trap_depth = depth;	/* the fault's trap never returned */
		t->uaccess = outer;
		return false;
	}
	t->uaccess = jb;
	csr_set(sstatus, SSTATUS_SUM);	/* S-mode may touch U pages: only in here */
	fn(arg);
	csr_clear(sstatus, SSTATUS_SUM);
	t->uaccess = outer;
	return true;
}

void vm_machdep_fault_print(const struct trap_frame *tf)
{
	vm_map_t map;

	if (tf->scause != EXC_LOAD_PAGE_FAULT && tf->scause != EXC_STORE_PAGE_FAULT &&
	    tf->scause != EXC_INST_PAGE_FAULT)
		return;
	if ((map = vm_machdep_fault_map(tf, thread_current())))
		vm_map_print_near(map, tf->stval, kprintf);
}

void vm_machdep_init(void)
{
	static const unsigned causes[] = { EXC_LOAD_PAGE_FAULT, EXC_STORE_PAGE_FAULT,
					   EXC_INST_PAGE_FAULT };

	for (unsigned i = 0; i < sizeof(causes) / sizeof(causes[0]); i++)
		trap_set_handler(causes[i], vm_machdep_page_fault);
}
