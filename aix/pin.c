/*
 * pin.c: the AIX pinning services (see pin.h).
 */
#include "aix/pin.h"

#include <errno.h>

#include "aix/xmem.h"
#include "kern/kernel.h"
#include "kern/spinlock.h"
#include "kern/thread.h"
#include "vm/pmap.h"
#include "vm/vm_kern.h"
#include "vm/vm_map.h"

/* pin_errno: AIX's code for a vm_map_pin / vm_map_unpin result. */
static int pin_errno(kern_return_t kr)
{
	switch (kr) {
	case KERN_SUCCESS:
		return 0;
	case KERN_RESOURCE_SHORTAGE:
		return ENOMEM;
	case KERN_MEMORY_ERROR:
		return EIO;
	case KERN_FAILURE:		/* pin: a count at its limit; unpin: a page not pinned */
		return ENOMEM;
	default:			/* a hole, no access, a submap: the range is not defined */
		return EINVAL;
	}
}

/* An unpin asked for where nothing may sleep, which the xmem reaper carries out. */
struct pin_later {
	struct xmem_work work;		/* first: pin_later_run's */
	vm_map_t map;			/* referenced */
	vm_offset_t start, end;
	bool checked;			/* the range was seen pinned when asked */
};

/* pin_later_run: a deferred unpin, on the reaper thread. */
static void pin_later_run(struct xmem_work *w)
{
	struct pin_later *p = (struct pin_later *)w;

	if (vm_map_unpin(p->map, p->start, p->end) != KERN_SUCCESS)
		kprintf("unpin at interrupt level of [0x%lx, 0x%lx): %s\n", p->start, p->end,
			p->checked ? "unpinned meanwhile by another caller" : "not all pinned");
	vm_map_deallocate(p->map);
	xmfree((caddr_t)p, pinned_heap);
}

/*
 * unpin_later: unpin [start, end) of map from where nothing may sleep: the
 * range is checked now if the map's lock is free (else the reaper reports
 * a range not pinned on the console) and unpinned by the reaper soon.
 * => 0; EINVAL (not pinned, or no reaper); ENOMEM (pinned_heap had no
 *    room for the request)
 */
static int unpin_later(vm_map_t map, vm_offset_t start, vm_offset_t end)
{
	bool pinned = true, checked = vm_map_pinned_try(map, start, end, &pinned);
	struct pin_later *p;

	if (!pinned || !xmem_defer_ready())
		return EINVAL;
	if (!(p = (struct pin_later *)xmalloc(sizeof(*p), 3, pinned_heap)))
		return ENOMEM;
	vm_map_reference(map);		/* the caller's holds it now; the reaper drops ours */
	*p = (struct pin_later){ .work.run = pin_later_run, .map = map, .start = start, .end = end,
				 .checked = checked };
	xmem_defer(&p->work);
	return 0;
}

/*
 * pin_range: pin (or unpin) [addr, addr + len) of map, rounded to pages.
 * => 0, EINVAL (len <= 0, the range outside map or not mapped, a pin by a
 *    caller that cannot sleep), pin_errno; unpin_later's where the caller
 *    cannot sleep
 */
static int pin_range(vm_map_t map, vm_offset_t addr, int len, bool unpin)
{
	vm_offset_t start = trunc_page(addr), end;
	kern_return_t kr;

	if (len <= 0 || addr + (vm_offset_t)len < addr || (!unpin && !thread_may_sleep()))
		return EINVAL;		/* the faults need a thread */
	end = round_page(addr + (vm_offset_t)len);
	if (start < map->min_offset || end > map->max_offset)
		return EINVAL;
	if (unpin && !thread_may_sleep())
		return unpin_later(map, start, end);
	kr = unpin ? vm_map_unpin(map, start, end)
		   : vm_map_pin(map, start, end, VM_PROT_READ);
	return unpin && kr == KERN_FAILURE ? EINVAL : pin_errno(kr);
}

int pin(caddr_t addr, int length)
{
	return pin_range(kernel_map, (vm_offset_t)addr, length, false);
}

int unpin(caddr_t addr, int length)
{
	return pin_range(kernel_map, (vm_offset_t)addr, length, true);
}

/*
 * pinu_space: the map segflg names, NULL if none (no task, another
 * segflg, or an interrupt handler's user space: it has none).
 */
static vm_map_t pinu_space(short segflg)
{
	vm_map_t map = thread_current()->map;

	if (segflg == UIO_SYSSPACE)
		return kernel_map;
	return segflg == UIO_USERSPACE && map != kernel_map && thread_may_sleep() ? map : NULL;
}

/* pinu_range: pinu / unpinu: EINVAL for a bad segflg or length, EFAULT outside the space. */
static int pinu_range(caddr_t base, int len, short segflg, bool unpin)
{
	vm_offset_t a = (vm_offset_t)base;
	vm_map_t map;

	if (len <= 0 || (segflg != UIO_USERSPACE && segflg != UIO_SYSSPACE))
		return EINVAL;
	if (!(map = pinu_space(segflg)) || a < map->min_offset || a + (vm_offset_t)len < a ||
	    a + (vm_offset_t)len > map->max_offset)
		return EFAULT;
	return pin_range(map, a, len, unpin);
}

int pinu(caddr_t base, int len, short segflg)
{
	return pinu_range(base, len, segflg, false);
}

int unpinu(caddr_t base, int len, short segflg)
{
	return pinu_range(base, len, segflg, true);
}

/* ---- pincode ---------------------------------------------------------------------------- */

extern char _text_start[], _text_end[];

/* A module: its code and data (the image has one), and pincode's count. */
struct pin_module {
	const char *name;
	const char *text_start, *text_end;
	int pins;			/* [E] */
};

static struct spinlock pin_module_lock = SPINLOCK_INIT("pin_module");
static struct pin_module pin_modules[] = {
	{ "kernel", _text_start, _text_end, 0 },
};

/* pin_module_of: the module whose code holds func, NULL if none. */
static struct pin_module *pin_module_of(int (*func)(void))
{
	const char *p = (const char *)(uintptr_t)func;

	for (size_t i = 0; i < ARRAY_SIZE(pin_modules); i++)
		if (p >= pin_modules[i].text_start && p < pin_modules[i].text_end)
			return &pin_modules[i];
	return NULL;
}

/* pincode_step: one more pin (delta 1) or one fewer (-1).  => 0, EINVAL */
static int pincode_step(int (*func)(void), int delta)
{
	struct pin_module *m = pin_module_of(func);
	int err = 0;

	if (!m)
		return EINVAL;
	spin_lock(&pin_module_lock);
	if (m->pins + delta < 0 || m->pins + delta == INT32_MAX)
		err = EINVAL;
	else
		m->pins += delta;
	spin_unlock(&pin_module_lock);
	return err;
}

int pincode(int (*func)(void))
{
	return pincode_step(func, 1);
}

int unpincode(int (*func)(void))
{
	return pincode_step(func, -1);
}

int pincode_count(int (*func)(void))
{
	struct pin_module *m = pin_module_of(func);
	int n;

	if (!m)
		return -1;
	spin_lock(&pin_module_lock);
	n = m->pins;
	spin_unlock(&pin_module_lock);
	return n;
}

/* ---- through a cross-memory descriptor -------------------------------------------------- */

/* xmempin_range: xmempin / xmemunpin. */
static int xmempin_range(caddr_t base, int len, struct xmem *xd, bool unpin)
{
	vm_map_t map;
	int err;

	if (len <= 0)
		return EINVAL;
	if ((err = xmem_space_of(xd, base, len, &map)) != 0)
		return err;
	return pin_range(map, (vm_offset_t)base, len, unpin);
}

int xmempin(caddr_t base, int len, struct xmem *xd)
{
	return xmempin_range(base, len, xd, false);
}

int xmemunpin(caddr_t base, int len, struct xmem *xd)
{
	return xmempin_range(base, len, xd, true);
}
