/*
 * vm_model.c: see vm_model.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "kern/kernel.h"
#include "tests/unit/fake_pmap.h"
#include "tests/unit/vm_model.h"
#include "vm/vm_fault.h"
#include "vm/vm_object.h"
#include "vm/vm_zone.h"

#define RAM_BASE	0x80000000ul
#define RAM_SIZE	(32ul << 20)
#define RUN_MAX		8		/* pages one operation works on at most */

static int reports;

static void count_report(const char *fmt, ...)
{
	(void)fmt;
	reports++;
}

uint64_t vm_model_setup(void)
{
	static const struct vm_phys_seg seg[] = {
		{ .start = RAM_BASE, .end = RAM_BASE + RAM_SIZE },
	};
	static int done;

	if (!done++) {
		fake_pmap_ram(RAM_BASE, RAM_SIZE);
		vm_page_startup(seg, 1);
		vm_object_bootstrap();
	}
	return zone_free_pages();
}

/* The trap's order: the quick path first, vm_fault when it declines. */
static kern_return_t fault_like_the_trap(vm_map_t map, vm_offset_t va, vm_prot_t type)
{
	return vm_fault_quick(map, va, type) ? KERN_SUCCESS : vm_fault(map, va, type);
}

kern_return_t vm_model_map_write(vm_map_t map, vm_offset_t va, uint64_t v)
{
	kern_return_t kr = fault_like_the_trap(map, va, VM_PROT_WRITE);
	vm_paddr_t pa;

	if (kr != KERN_SUCCESS)
		return kr;
	if (!(fake_pmap_prot(map->pmap, va) & VM_PROT_WRITE) || pmap_extract(map->pmap, va, &pa))
		return KERN_FAILURE;	/* the fault did not leave a writable mapping */
	*(uint64_t *)pmap_direct_map(pa) = v;
	return KERN_SUCCESS;
}

kern_return_t vm_model_map_read(vm_map_t map, vm_offset_t va, uint64_t *v)
{
	kern_return_t kr = fault_like_the_trap(map, va, VM_PROT_READ);
	vm_paddr_t pa;

	if (kr == KERN_SUCCESS && !(kr = pmap_extract(map->pmap, va, &pa)))
		*v = *(uint64_t *)pmap_direct_map(pa);
	return kr;
}

/* ---- choices from the input ------------------------------------------------ */

/* take: a number in [0, n) from the next input byte (0 once it is used up). */
static uint64_t take(struct vm_model *m, uint64_t n)
{
	uint8_t b;

	if (!m->left)
		return 0;
	b = *m->in++;
	m->left--;
	return b % n;
}

/* take_run: a run of pages [*first, *first + *n) inside the model. */
static void take_run(struct vm_model *m, uint64_t *first, uint64_t *n)
{
	*first = take(m, VM_MODEL_PAGES);
	*n = 1 + take(m, MIN(RUN_MAX, VM_MODEL_PAGES - *first));
}

static vm_offset_t va_of(uint64_t page)
{
	return VM_MODEL_BASE + ptoa(page);
}

/* disagree: record why map and model differ.  => false */
static bool disagree(struct vm_model *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m->failure, sizeof(m->failure), fmt, ap);
	va_end(ap);
	return false;
}

/* expect_kr: kr against what the model expects (KERN_SUCCESS or a given error). */
static bool expect_kr(struct vm_model *m, const char *call, kern_return_t kr, kern_return_t want)
{
	if (kr == want)
		return true;
	return disagree(m, "%s returned %s, the model expects %s", call, kern_return_name(kr),
			kern_return_name(want));
}

/* run_check: what a call needing `need` on every page of the run must return. */
static kern_return_t run_check(const struct vm_model *m, uint64_t first, uint64_t n, vm_prot_t need)
{
	kern_return_t want = KERN_SUCCESS;

	for (uint64_t i = first; i < first + n; i++) {
		if (!m->page[i].mapped)
			return KERN_INVALID_ADDRESS;
		if ((m->page[i].prot & need) != need)
			want = KERN_PROTECTION_FAILURE;
	}
	return want;
}

/* verify_at: the words at va.. (in map) are those of the model's pages first.. */
static bool verify_at(struct vm_model *m, vm_map_t map, vm_offset_t va, uint64_t first, uint64_t n,
		      const char *what)
{
	for (uint64_t i = 0; i < n; i++) {
		uint64_t v = 0;
		kern_return_t kr = vm_model_map_read(map, va + ptoa(i), &v);

		if (kr != KERN_SUCCESS || v != m->page[first + i].value)
			return disagree(m, "%s: page %lu reads %#lx (%s), the model holds %#lx", what,
					first + i, v, kern_return_name(kr), m->page[first + i].value);
	}
	return true;
}

/* ---- the operations ---------------------------------------------------------- */

static bool op_allocate(struct vm_model *m)
{
	uint64_t first, n;
	vm_address_t a;
	bool free_range = true;

	take_run(m, &first, &n);
	a = va_of(first);
	for (uint64_t i = first; i < first + n; i++)
		free_range &= !m->page[i].mapped;
	if (!expect_kr(m, "vm_allocate", vm_allocate(m->map, &a, ptoa(n), VM_FLAGS_FIXED),
		       free_range ? KERN_SUCCESS : KERN_NO_SPACE))
		return false;
	for (uint64_t i = first; free_range && i < first + n; i++)
		m->page[i] = (struct vm_model_page){ true, VM_PROT_DEFAULT, VM_PROT_ALL,
						     VM_INHERIT_DEFAULT, 0 };
	return true;
}

static bool op_deallocate(struct vm_model *m)
{
	uint64_t first = take(m, VM_MODEL_PAGES), n = 1 + take(m, VM_MODEL_PAGES - first);

	if (!expect_kr(m, "vm_deallocate", vm_deallocate(m->map, va_of(first), ptoa(n)), KERN_SUCCESS))
		return false;
	for (uint64_t i = first; i < first + n; i++)
		m->page[i].mapped = false;
	return true;
}

static bool op_protect(struct vm_model *m)
{
	uint64_t first, n;
	vm_prot_t prot = (vm_prot_t)take(m, 8);
	bool set_max = take(m, 4) == 0, hole = false, over = false;
	kern_return_t want;

	take_run(m, &first, &n);
	for (uint64_t i = first; i < first + n; i++) {
		hole |= !m->page[i].mapped;
		over |= m->page[i].mapped && (prot & ~m->page[i].max);
	}
	want = hole ? KERN_INVALID_ADDRESS : over ? KERN_PROTECTION_FAILURE : KERN_SUCCESS;
	if (!expect_kr(m, "vm_protect", vm_protect(m->map, va_of(first), ptoa(n), set_max, prot), want))
		return false;
	for (uint64_t i = first; want == KERN_SUCCESS && i < first + n; i++) {
		if (set_max) {
			m->page[i].max = prot;
			m->page[i].prot &= prot;
		} else {
			m->page[i].prot = prot;
		}
	}
	return true;
}

static bool op_inherit(struct vm_model *m)
{
	static const vm_inherit_t kinds[] = { VM_INHERIT_SHARE, VM_INHERIT_COPY, VM_INHERIT_NONE };
	vm_inherit_t inh = kinds[take(m, 3)];
	uint64_t first, n;
	kern_return_t want;

	take_run(m, &first, &n);
	want = run_check(m, first, n, VM_PROT_NONE);
	if (!expect_kr(m, "vm_inherit", vm_inherit(m->map, va_of(first), ptoa(n), inh), want))
		return false;
	for (uint64_t i = first; want == KERN_SUCCESS && i < first + n; i++)
		m->page[i].inheritance = inh;
	return true;
}

static bool op_write(struct vm_model *m)
{
	uint64_t i = take(m, VM_MODEL_PAGES), v = ++m->rng * 0x9e3779b97f4a7c15ull;
	kern_return_t want = !m->page[i].mapped ? KERN_INVALID_ADDRESS
			     : !(m->page[i].prot & VM_PROT_WRITE) ? KERN_PROTECTION_FAILURE
								  : KERN_SUCCESS;

	if (!expect_kr(m, "write", vm_model_map_write(m->map, va_of(i), v), want))
		return false;
	if (want == KERN_SUCCESS)
		m->page[i].value = v;
	return true;
}

static bool op_read(struct vm_model *m)
{
	uint64_t i = take(m, VM_MODEL_PAGES), v = 0;
	kern_return_t want = !m->page[i].mapped ? KERN_INVALID_ADDRESS
			     : !(m->page[i].prot & VM_PROT_READ) ? KERN_PROTECTION_FAILURE
								 : KERN_SUCCESS;

	if (!expect_kr(m, "read", vm_model_map_read(m->map, va_of(i), &v), want))
		return false;
	if (want == KERN_SUCCESS && v != m->page[i].value)
		return disagree(m, "read: page %lu holds %#lx, the model %#lx", i, v, m->page[i].value);
	return true;
}

/*
 * fork_page: page i as the child sees it: absent (NONE), or the parent's
 * word; a write there reaches the parent with SHARE only.
 */
static bool fork_page(struct vm_model *m, vm_map_t child, uint64_t i)
{
	const struct vm_model_page *p = &m->page[i];
	uint64_t v = 0, back = 0, poke = ~p->value;

	if (p->inheritance == VM_INHERIT_NONE)
		return expect_kr(m, "fork: the child's read of a NONE page",
				 vm_model_map_read(child, va_of(i), &v), KERN_INVALID_ADDRESS);
	if (!(p->prot & VM_PROT_READ))
		return true;
	if (!verify_at(m, child, va_of(i), i, 1, "fork: the child"))
		return false;
	if (!(p->prot & VM_PROT_WRITE))
		return true;
	if (!expect_kr(m, "fork: the child's write", vm_model_map_write(child, va_of(i), poke),
		       KERN_SUCCESS) ||
	    !expect_kr(m, "fork: the parent's read", vm_model_map_read(m->map, va_of(i), &back),
		       KERN_SUCCESS))
		return false;
	if (back != (p->inheritance == VM_INHERIT_SHARE ? poke : p->value))
		return disagree(m, "fork: page %lu (%s) reads %#lx in the parent after the child's write",
				i, p->inheritance == VM_INHERIT_SHARE ? "SHARE" : "COPY", back);
	m->page[i].value = back;
	return true;
}

static bool op_fork(struct vm_model *m)
{
	vm_map_t child = vm_map_fork(m->map);
	bool ok = child != NULL || disagree(m, "vm_map_fork failed");

	for (uint64_t i = 0; ok && i < VM_MODEL_PAGES; i++)
		ok = !m->page[i].mapped || fork_page(m, child, i);
	if (ok && vm_map_check(child, count_report) != 0)
		ok = disagree(m, "fork: the child's map fails its checker");
	if (child)
		vm_map_deallocate(child);
	return ok;
}

/* copyin_run: vm_map_copyin of a run, checked against the model; *copy NULL unless it succeeded. */
static bool copyin_run(struct vm_model *m, uint64_t first, uint64_t n, vm_map_copy_t *copy)
{
	kern_return_t want = run_check(m, first, n, VM_PROT_READ);

	*copy = NULL;
	return expect_kr(m, "vm_map_copyin", vm_map_copyin(m->map, va_of(first), ptoa(n), FALSE, copy),
			 want);
}

static bool op_copy(struct vm_model *m)
{
	uint64_t first, n;
	vm_map_copy_t copy;
	vm_address_t dst = 0;

	take_run(m, &first, &n);
	if (!copyin_run(m, first, n, &copy) || !copy)
		return !m->failure[0];
	if (take(m, 4) == 0) {		/* sometimes thrown away */
		vm_map_copy_discard(copy);
		return true;
	}
	if (!expect_kr(m, "vm_map_copyout", vm_map_copyout(m->map, &dst, copy), KERN_SUCCESS))
		return false;
	if (dst + ptoa(n) > VM_MODEL_BASE)
		return disagree(m, "vm_map_copyout placed the copy at %#lx, in the model's range", dst);
	if (!verify_at(m, m->map, dst, first, n, "the copied-out range"))
		return false;
	return expect_kr(m, "vm_deallocate", vm_deallocate(m->map, dst, ptoa(n)), KERN_SUCCESS);
}

static bool op_overwrite(struct vm_model *m)
{
	uint64_t first, n, to = take(m, VM_MODEL_PAGES), values[RUN_MAX];
	vm_map_copy_t copy;
	kern_return_t want;

	take_run(m, &first, &n);
	if (to + n > VM_MODEL_PAGES)
		to = VM_MODEL_PAGES - n;
	if (!copyin_run(m, first, n, &copy) || !copy)
		return !m->failure[0];
	for (uint64_t i = 0; i < n; i++)
		values[i] = m->page[first + i].value;	/* the copy is of this moment */
	want = run_check(m, to, n, VM_PROT_WRITE);
	if (!expect_kr(m, "vm_map_copy_overwrite",
		       vm_map_copy_overwrite(m->map, va_of(to), copy, FALSE, NULL), want)) {
		vm_map_copy_discard(copy);
		return false;
	}
	if (want != KERN_SUCCESS) {
		vm_map_copy_discard(copy);
		return true;
	}
	for (uint64_t i = 0; i < n; i++)
		m->page[to + i].value = values[i];
	return (m->page[to].prot & VM_PROT_READ) == 0 || verify_at(m, m->map, va_of(to), to, 1,
								   "the overwritten range");
}

static bool op_wire(struct vm_model *m)
{
	uint64_t first, n;
	kern_return_t want, kr;

	take_run(m, &first, &n);
	want = run_check(m, first, n, VM_PROT_READ);
	kr = vm_map_wire(m->map, va_of(first), va_of(first + n), VM_PROT_READ, FALSE);
	if ((kr == KERN_SUCCESS) != (want == KERN_SUCCESS))
		return disagree(m, "vm_map_wire returned %s, the model expects %s",
				kern_return_name(kr), kern_return_name(want));
	if (kr != KERN_SUCCESS)
		return true;
	if (!verify_at(m, m->map, va_of(first), first, n, "the wired range"))
		return false;
	return expect_kr(m, "vm_map_unwire", vm_map_unwire(m->map, va_of(first), va_of(first + n), FALSE),
			 KERN_SUCCESS);
}

/* ---- driving ------------------------------------------------------------------ */

bool vm_model_start(struct vm_model *m, const uint8_t *in, size_t len)
{
	memset(m, 0, sizeof(*m));
	m->in = in;
	m->left = len;
	m->map = vm_map_create(pmap_create(), PAGE_SIZE, PMAP_USER_END);
	return m->map != NULL;
}

bool vm_model_step(struct vm_model *m)
{
	static bool (*const ops[])(struct vm_model *) = {
		op_allocate, op_allocate, op_deallocate, op_protect, op_inherit, op_write, op_write,
		op_read, op_read, op_fork, op_copy, op_overwrite, op_wire,
	};
	static const char *const names[] = {
		"allocate", "allocate", "deallocate", "protect", "inherit", "write", "write",
		"read", "read", "fork", "copy", "overwrite", "wire",
	};
	unsigned op;

	if (!m->left)
		return false;
	op = (unsigned)take(m, sizeof(ops) / sizeof(ops[0]));
	m->ops++;
	reports = 0;
	if (!ops[op](m)) {
		char why[sizeof(m->failure)];

		memcpy(why, m->failure, sizeof(why));
		return disagree(m, "operation %lu (%s): %.140s", m->ops, names[op],
				why[0] ? why : "failed");
	}
	if (vm_map_check(m->map, count_report) != 0 || reports)
		return disagree(m, "operation %lu (%s): the map fails its checker", m->ops, names[op]);
	return true;
}

bool vm_model_finish(struct vm_model *m)
{
	vm_map_deallocate(m->map);
	m->map = NULL;
	if (vm_object_count() != 0 || vm_map_entry_count() != 0)
		return disagree(m, "after the map went: %lu objects and %lu map entries left",
				vm_object_count(), vm_map_entry_count());
	return true;
}
