/*
 * fake_pmap.c: the pmap contract (vm/pmap.h) without page tables, for the
 * host unit tests of the machine-independent VM: "physical memory" is one
 * host buffer reached through pmap_direct_map, and a pmap is a list of
 * {va -> page, protection, wired} records that the tests can inspect,
 * like an MMU would, through pmap_extract and fake_pmap_prot.
 */
#include <stdlib.h>
#include <string.h>

#include "kern/kernel.h"
#include "tests/unit/fake_pmap.h"
#include "vm/pmap.h"

static char *fake_ram;
static vm_paddr_t fake_base;
static vm_size_t fake_size;

struct fake_mapping {
	struct fake_mapping *next;
	pmap_t pmap;
	vm_offset_t va;
	vm_page_t page;
	vm_prot_t prot;
	bool wired;
};

struct pmap {
	int refs;
	bool kernel;
	uint64_t resident, wired;
};

static struct fake_mapping *mappings;
static struct pmap kernel_pmap_store = { .refs = 1, .kernel = true };
pmap_t kernel_pmap = &kernel_pmap_store;

void fake_pmap_ram(vm_paddr_t base, vm_size_t size)
{
	free(fake_ram);
	fake_ram = aligned_alloc(PAGE_SIZE, size);
	if (!fake_ram)
		abort();
	fake_base = base;
	fake_size = size;
}

void *pmap_direct_map(vm_paddr_t pa)
{
	if (pa < fake_base || pa >= fake_base + fake_size)
		panic("fake pmap_direct_map: 0x%lx is not fake RAM", (unsigned long)pa);
	return fake_ram + (pa - fake_base);
}

void pmap_zero_page(vm_page_t m)
{
	memset(pmap_direct_map(m->phys_addr), 0, PAGE_SIZE);
}

void pmap_copy_page(vm_page_t src, vm_page_t dst)
{
	memcpy(pmap_direct_map(dst->phys_addr), pmap_direct_map(src->phys_addr), PAGE_SIZE);
}

pmap_t pmap_create(void)
{
	pmap_t p = calloc(1, sizeof(*p));

	if (p)
		p->refs = 1;
	return p;
}

void pmap_reference(pmap_t p)
{
	p->refs++;
}

static void fake_unlink(struct fake_mapping **pp)
{
	struct fake_mapping *f = *pp;

	*pp = f->next;
	f->pmap->resident--;
	if (f->wired)
		f->pmap->wired--;
	free(f);
}

kern_return_t pmap_remove(pmap_t p, vm_offset_t start, vm_offset_t end)
{
	if (!p || !page_aligned(start) || !page_aligned(end) || start > end)
		return KERN_INVALID_ARGUMENT;
	for (struct fake_mapping **pp = &mappings; *pp;) {
		if ((*pp)->pmap == p && (*pp)->va >= start && (*pp)->va < end)
			fake_unlink(pp);
		else
			pp = &(*pp)->next;
	}
	return KERN_SUCCESS;
}

void pmap_destroy(pmap_t p)
{
	if (--p->refs > 0)
		return;
	pmap_remove(p, 0, ~0ul & ~PAGE_MASK);
	if (p != kernel_pmap)
		free(p);
}

kern_return_t pmap_enter(pmap_t p, vm_offset_t va, vm_page_t m, vm_prot_t prot, unsigned flags)
{
	struct fake_mapping *f;

	if (!p || !m || !page_aligned(va) || (flags & ~PMAP_WIRED) || (prot & ~VM_PROT_ALL) ||
	    ((prot & VM_PROT_WRITE) && !(prot & VM_PROT_READ)))
		return KERN_INVALID_ARGUMENT;
	pmap_remove(p, va, va + PAGE_SIZE);
	if (prot == VM_PROT_NONE)
		return KERN_SUCCESS;
	if (!(f = calloc(1, sizeof(*f))))
		return KERN_RESOURCE_SHORTAGE;
	*f = (struct fake_mapping){ mappings, p, va, m, prot, (flags & PMAP_WIRED) != 0 };
	mappings = f;
	p->resident++;
	if (f->wired)
		p->wired++;
	return KERN_SUCCESS;
}

kern_return_t pmap_protect(pmap_t p, vm_offset_t start, vm_offset_t end, vm_prot_t prot)
{
	if (!p || !page_aligned(start) || !page_aligned(end) || start > end)
		return KERN_INVALID_ARGUMENT;
	for (struct fake_mapping **pp = &mappings; *pp;) {
		struct fake_mapping *f = *pp;

		if (f->pmap == p && f->va >= start && f->va < end && !(f->prot &= prot)) {
			fake_unlink(pp);
			continue;
		}
		pp = &f->next;
	}
	return KERN_SUCCESS;
}

void pmap_page_protect(vm_page_t m, vm_prot_t prot)
{
	if (prot & VM_PROT_WRITE)
		return;
	for (struct fake_mapping **pp = &mappings; *pp;) {
		struct fake_mapping *f = *pp;

		if (f->page == m && !(prot & (VM_PROT_READ | VM_PROT_EXECUTE))) {
			fake_unlink(pp);
			continue;
		}
		if (f->page == m)
			f->prot &= ~VM_PROT_WRITE;
		pp = &f->next;
	}
}

void pmap_page_protect_many(vm_page_t *pages, uint32_t npages, vm_prot_t prot)
{
	for (uint32_t i = 0; i < npages; i++)
		if (pages[i])
			pmap_page_protect(pages[i], prot);
}

static struct fake_mapping *fake_find(pmap_t p, vm_offset_t va)
{
	for (struct fake_mapping *f = mappings; f; f = f->next)
		if (f->pmap == p && f->va == trunc_page(va))
			return f;
	return NULL;
}

kern_return_t pmap_extract(pmap_t p, vm_offset_t va, vm_paddr_t *pa)
{
	struct fake_mapping *f = fake_find(p, va);

	if (!f)
		return KERN_INVALID_ADDRESS;
	*pa = f->page->phys_addr + (va & PAGE_MASK);
	return KERN_SUCCESS;
}

bool pmap_enter_quick(pmap_t p, vm_offset_t va, vm_page_t m, vm_prot_t prot)
{
	struct fake_mapping *f;

	/* As the real one: bad input, or an update of the page's own mapping, is left to pmap_enter. */
	if (!p || !m || !page_aligned(va) || prot == VM_PROT_NONE ||
	    ((f = fake_find(p, va)) && f->page == m))
		return false;
	return pmap_enter(p, va, m, prot, 0) == KERN_SUCCESS;
}

vm_prot_t fake_pmap_prot(pmap_t p, vm_offset_t va)
{
	struct fake_mapping *f = fake_find(p, va);

	return f ? f->prot : VM_PROT_NONE;
}

kern_return_t pmap_change_wiring(pmap_t p, vm_offset_t va, boolean_t wired)
{
	struct fake_mapping *f = fake_find(p, va);

	if (!f)
		return KERN_INVALID_ADDRESS;
	if (f->wired != !!wired)
		p->wired += wired ? 1 : -1;
	f->wired = wired;
	return KERN_SUCCESS;
}

boolean_t pmap_is_modified(vm_page_t m) { (void)m; return FALSE; }
boolean_t pmap_is_referenced(vm_page_t m) { (void)m; return FALSE; }
void pmap_clear_modify(vm_page_t m) { (void)m; }
void pmap_set_modify(vm_page_t m) { (void)m; }
void pmap_clear_reference(vm_page_t m) { (void)m; }
void pmap_clear_reference_many(vm_page_t *pages, uint32_t npages) { (void)pages; (void)npages; }
void pmap_activate(pmap_t p) { (void)p; }
bool pmap_fault_fixup(pmap_t p, vm_offset_t va, vm_prot_t a) { (void)p; (void)va; (void)a; return false; }

kern_return_t pmap_nest(pmap_t g, pmap_t s, vm_offset_t va, vm_size_t size)
{
	(void)g; (void)s; (void)va; (void)size;
	return KERN_SUCCESS;
}

kern_return_t pmap_unnest(pmap_t s, vm_offset_t va, vm_size_t size)
{
	(void)s; (void)va; (void)size;
	return KERN_SUCCESS;
}

uint64_t pmap_resident_count(pmap_t p) { return p->resident; }
uint64_t pmap_wired_count(pmap_t p) { return p->wired; }

int pmap_check(pmap_t p, void (*report)(const char *fmt, ...))
{
	uint64_t n = 0;

	for (struct fake_mapping *f = mappings; f; f = f->next)
		n += f->pmap == p;
	if (n != p->resident)
		report("fake pmap_check: %lu mappings, count says %lu\n", (unsigned long)n,
		       (unsigned long)p->resident);
	return n != p->resident;
}

void pmap_print(pmap_t p, int (*print)(const char *fmt, ...))
{
	for (struct fake_mapping *f = mappings; f; f = f->next)
		if (f->pmap == p)
			print("  0x%lx -> 0x%lx prot %d%s\n", (unsigned long)f->va,
			      (unsigned long)f->page->phys_addr, f->prot, f->wired ? " wired" : "");
}
