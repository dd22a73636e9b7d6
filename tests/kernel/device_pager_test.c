/*
 * device_pager_test.c: PCI BARs mapped through the device pager
 * (vm/device_pager.h): QEMU's "edu" device's registers read and written
 * through a task's map and the kernel's, the memory type in the PTE's PBMT
 * field (IO or NC with Svpbmt, none without), the pages out of the
 * pageout daemon's reach under memory pressure, and bad arguments.
 * Every case leaves no device object behind.
 */
#include "drivers/pci/pci.h"
#include "kern/cmdline.h"
#include "kern/thread.h"
#include "platform/riscv/pmap_md.h"
#include "platform/riscv/riscv.h"
#include "tests/kernel/ktest.h"
#include "tests/kernel/map_fixture.h"
#include "vm/device_pager.h"
#include "vm/vm_fault.h"
#include "vm/vm_kern.h"
#include "vm/vm_map.h"
#include "vm/vm_named_entry.h"
#include "vm/vm_pager.h"
#include "vm/vm_upl.h"

KTEST_RUN(device_pager, "test=device_pager expect_svpbmt pageout", "-m 64M -smp 1 -cpu rv64,svpbmt=on -device edu");
KTEST_RUN(device_pager.smp4, "test=device_pager swap=swap", "-m 32M -smp 4 --blk swap:64M -device edu");

#define EDU_VENDOR	0x1234
#define EDU_DEVICE	0x11e8
#define EDU_ID		0x00		/* reads 0x010000ed (version 1.0, "ed") */
#define EDU_ID_VALUE	0x010000edu
#define EDU_LIVENESS	0x04		/* reads back the complement of what was written */
#define BASE		0x10000000ul

/* edu_bar: the edu device's BAR 0 (its registers), NULL if there is none. */
static const struct pci_bar *edu_bar(void)
{
	struct pci_device *d = pci_find(EDU_VENDOR, EDU_DEVICE, 0);

	return d && d->bar[0].size ? &d->bar[0] : NULL;
}

/* uread32 / uwrite32: a 32-bit access to va of map (registers take no other width). */
static uint32_t uread32(vm_map_t map, vm_offset_t va)
{
	uint32_t v;

	thread_set_map(map);
	csr_set(sstatus, SSTATUS_SUM);
	v = *(volatile uint32_t *)va;
	csr_clear(sstatus, SSTATUS_SUM);
	thread_set_map(NULL);
	return v;
}

static void uwrite32(vm_map_t map, vm_offset_t va, uint32_t v)
{
	thread_set_map(map);
	csr_set(sstatus, SSTATUS_SUM);
	*(volatile uint32_t *)va = v;
	csr_clear(sstatus, SSTATUS_SUM);
	thread_set_map(NULL);
}

/* map_bar: the edu BAR mapped shared at *at of map with memory type memattr. */
static kern_return_t map_bar(vm_map_t map, vm_address_t *at, int flags, vm_memattr_t memattr)
{
	const struct pci_bar *bar = edu_bar();
	vm_named_entry_t h;
	kern_return_t kr = device_pager_setup(bar->cpu_addr, bar->size, memattr, VM_PROT_DEFAULT, &h);

	if (kr != KERN_SUCCESS)
		return kr;
	kr = vm_map(map, at, bar->size, 0, flags, h, 0, FALSE, VM_PROT_DEFAULT, VM_PROT_DEFAULT,
		    VM_INHERIT_SHARE);
	vm_named_entry_release(h);
	return kr;
}

/* pbmt_expected: the PBMT bits a mapping of memattr gets on these harts. */
static pt_entry_t pbmt_expected(vm_memattr_t memattr)
{
	if (!pmap_has_svpbmt())
		return PTE_PBMT_PMA;
	return memattr == VM_MEMATTR_DEVICE ? PTE_PBMT_IO : memattr == VM_MEMATTR_UNCACHED ?
	       PTE_PBMT_NC : PTE_PBMT_PMA;
}

TUNABLE_FLAG(tunable_expect_svpbmt, "expect_svpbmt", "(tests) the harts have Svpbmt");

KTEST(device_pager, the_harts_svpbmt_is_found_as_the_machine_has_it)
{
	EXPECT_EQ(pmap_has_svpbmt(), tunable_set(&tunable_expect_svpbmt));
	ASSERT_TRUE(edu_bar() != NULL);
}

KTEST(device_pager, a_task_map_reads_and_writes_registers_through_its_mapping)
{
	vm_map_t map = map_fixture_user();
	vm_address_t a = BASE;
	pt_entry_t pte;

	ASSERT_TRUE(map && edu_bar());
	ASSERT_EQ(map_bar(map, &a, VM_FLAGS_FIXED, VM_MEMATTR_DEVICE), KERN_SUCCESS);
	EXPECT_EQ(device_pager_count(), 1u);
	EXPECT_EQ(uread32(map, a + EDU_ID), EDU_ID_VALUE);
	uwrite32(map, a + EDU_LIVENESS, 0x12345678);
	EXPECT_EQ(uread32(map, a + EDU_LIVENESS), ~0x12345678u);
	pte = pmap_pte_get(map->pmap, a);
	ASSERT_NE(pte, 0u);
	EXPECT_EQ(PTE_TO_PA(pte), edu_bar()->cpu_addr);
	EXPECT_EQ(pte & PTE_PBMT_MASK, pbmt_expected(VM_MEMATTR_DEVICE));
	EXPECT_EQ(pte & PTE_SW_MANAGED, 0u);	/* no pv entry: device pages are not RAM */
	EXPECT_EQ(pmap_check(map->pmap, ktest_report), 0);
	EXPECT_EQ(vm_map_check(map, ktest_report), 0);
	vm_map_deallocate(map);
	EXPECT_EQ(device_pager_count(), 0u);
}

KTEST(device_pager, the_kernel_map_reads_a_register_and_nc_is_its_own_type)
{
	vm_address_t a = 0, b = BASE;
	vm_map_t map = map_fixture_user();

	ASSERT_TRUE(map && edu_bar());
	ASSERT_EQ(map_bar(kernel_map, &a, VM_FLAGS_ANYWHERE, VM_MEMATTR_DEVICE), KERN_SUCCESS);
	EXPECT_EQ(*(volatile uint32_t *)(a + EDU_ID), EDU_ID_VALUE);
	EXPECT_EQ(pmap_pte_get(kernel_pmap, a) & PTE_PBMT_MASK, pbmt_expected(VM_MEMATTR_DEVICE));
	EXPECT_EQ(vm_deallocate(kernel_map, a, edu_bar()->size), KERN_SUCCESS);
	ASSERT_EQ(map_bar(map, &b, VM_FLAGS_FIXED, VM_MEMATTR_UNCACHED), KERN_SUCCESS);
	EXPECT_EQ(uread32(map, b + EDU_ID), EDU_ID_VALUE);
	EXPECT_EQ(pmap_pte_get(map->pmap, b) & PTE_PBMT_MASK, pbmt_expected(VM_MEMATTR_UNCACHED));
	vm_map_deallocate(map);
}

/*
 * Memory pressure (anonymous memory twice what remains, where there is
 * swap) pages out other pages around the mapped registers: theirs stay
 * resident, unqueued and mapped.
 */
KTEST(device_pager, the_pageout_daemon_never_touches_device_pages)
{
	vm_map_t map = map_fixture_user(), anon = map_fixture_user();
	vm_address_t a = BASE, big = BASE;
	vm_size_t pages = 2 * vm_page_free_count();
	vm_object_t object;
	pt_entry_t pte;

	ASSERT_TRUE(map && anon && edu_bar());
	ASSERT_EQ(map_bar(map, &a, VM_FLAGS_FIXED, VM_MEMATTR_DEVICE), KERN_SUCCESS);
	for (uint64_t off = 0; off < 16 * PAGE_SIZE; off += PAGE_SIZE)
		EXPECT_EQ(vm_fault(map, a + off, VM_PROT_READ), KERN_SUCCESS);
	pte = pmap_pte_get(map->pmap, a);
	if (vm_pager_default) {		/* swap: anonymous memory can be paged out around it */
		ASSERT_EQ(vm_allocate(anon, &big, ptoa(pages), VM_FLAGS_FIXED), KERN_SUCCESS);
		for (uint64_t p = 0; p < pages; p++)
			EXPECT_EQ(vm_fault(anon, big + ptoa(p), VM_PROT_WRITE), KERN_SUCCESS);
	}
	rw_lock_read(&map->lock);
	object = vm_map_lookup_entry_locked(map, a)->object;
	rw_unlock_read(&map->lock);
	mutex_lock(&object->lock);
	EXPECT_EQ(object->resident_count, 16u);
	for (vm_page_t m = object->pages; m; m = m->onext) {
		EXPECT_TRUE(vm_page_fictitious(m));
		EXPECT_EQ(m->queue, VM_PAGE_Q_NONE);
	}
	mutex_unlock(&object->lock);
	EXPECT_EQ(pmap_pte_get(map->pmap, a), pte);	/* still mapped, as it was */
	EXPECT_EQ(uread32(map, a + EDU_ID), EDU_ID_VALUE);
	vm_map_deallocate(anon);
	vm_map_deallocate(map);
}

/* Shared into a fork it reads the same registers; a copy of it fails, and so does a UPL. */
KTEST(device_pager, a_fork_shares_device_memory_and_never_copies_it)
{
	vm_map_t map = map_fixture_user(), child;
	vm_address_t a = BASE;
	vm_size_t size = PAGE_SIZE;
	upl_t upl;

	ASSERT_TRUE(map && edu_bar());
	ASSERT_EQ(map_bar(map, &a, VM_FLAGS_FIXED, VM_MEMATTR_DEVICE), KERN_SUCCESS);
	EXPECT_EQ(uread32(map, a + EDU_ID), EDU_ID_VALUE);
	ASSERT_TRUE((child = vm_map_fork(map)) != NULL);	/* VM_INHERIT_SHARE */
	uwrite32(child, a + EDU_LIVENESS, 0xa5a5);
	EXPECT_EQ(uread32(map, a + EDU_LIVENESS), ~0xa5a5u);
	vm_map_deallocate(child);
	EXPECT_EQ(vm_map_get_upl(map, a, &size, &upl, UPL_RETURN_ONLY_DIRTY), KERN_NOT_SUPPORTED);
	EXPECT_EQ(vm_inherit(map, a, edu_bar()->size, VM_INHERIT_COPY), KERN_SUCCESS);
	EXPECT_TRUE(vm_map_fork(map) == NULL);
	vm_map_deallocate(map);
}

KTEST(device_pager, device_memory_is_never_copied)
{
	const struct pci_bar *bar = edu_bar();
	vm_map_t map = map_fixture_user();
	vm_address_t a = BASE;
	vm_named_entry_t h;

	ASSERT_TRUE(map && bar);
	ASSERT_EQ(device_pager_setup(bar->cpu_addr, bar->size, VM_MEMATTR_DEVICE, VM_PROT_DEFAULT, &h),
		  KERN_SUCCESS);
	ASSERT_EQ(vm_map(map, &a, bar->size, 0, VM_FLAGS_FIXED, h, 0, TRUE, VM_PROT_DEFAULT,
			 VM_PROT_DEFAULT, VM_INHERIT_COPY), KERN_SUCCESS);
	EXPECT_EQ(vm_fault(map, a, VM_PROT_READ), KERN_SUCCESS);	/* reads the registers */
	EXPECT_EQ(uread32(map, a + EDU_ID), EDU_ID_VALUE);
	EXPECT_EQ(vm_fault(map, a + PAGE_SIZE, VM_PROT_WRITE), KERN_PROTECTION_FAILURE);
	vm_named_entry_release(h);
	vm_map_deallocate(map);
}

KTEST(device_pager, bad_arguments_are_errors)
{
	const struct pci_bar *bar = edu_bar();
	vm_named_entry_t h = NULL;
	vm_offset_t page = 0;
	vm_paddr_t ram = 0;

	ASSERT_TRUE(bar != NULL);
	ASSERT_EQ(kmem_alloc_wired(kernel_map, &page, PAGE_SIZE), KERN_SUCCESS);
	ASSERT_EQ(pmap_extract(kernel_pmap, page, &ram), KERN_SUCCESS);
	EXPECT_EQ(device_pager_setup(bar->cpu_addr, bar->size, VM_MEMATTR_DEVICE, VM_PROT_DEFAULT, NULL),
		  KERN_INVALID_ARGUMENT);
	EXPECT_EQ(device_pager_setup(bar->cpu_addr, 0, VM_MEMATTR_DEVICE, VM_PROT_DEFAULT, &h),
		  KERN_INVALID_ARGUMENT);
	EXPECT_EQ(device_pager_setup(bar->cpu_addr + 8, PAGE_SIZE, VM_MEMATTR_DEVICE, VM_PROT_DEFAULT, &h),
		  KERN_INVALID_ARGUMENT);
	EXPECT_EQ(device_pager_setup(bar->cpu_addr, PAGE_SIZE + 1, VM_MEMATTR_DEVICE, VM_PROT_DEFAULT, &h),
		  KERN_INVALID_ARGUMENT);
	EXPECT_EQ(device_pager_setup(bar->cpu_addr, bar->size, VM_MEMATTR_COUNT, VM_PROT_DEFAULT, &h),
		  KERN_INVALID_ARGUMENT);
	EXPECT_EQ(device_pager_setup(bar->cpu_addr, bar->size, VM_MEMATTR_DEVICE, 0x40, &h),
		  KERN_INVALID_ARGUMENT);
	EXPECT_EQ(device_pager_setup(~0ul & ~PAGE_MASK, 2 * PAGE_SIZE, VM_MEMATTR_DEVICE, VM_PROT_DEFAULT, &h),
		  KERN_INVALID_ARGUMENT);
	EXPECT_EQ(device_pager_setup(ram, PAGE_SIZE, VM_MEMATTR_DEVICE, VM_PROT_DEFAULT, &h),
		  KERN_INVALID_ADDRESS);	/* a page of RAM */
	kmem_free(kernel_map, page, PAGE_SIZE);
	EXPECT_EQ(device_pager_count(), 0u);
}
