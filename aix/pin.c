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

/*
 * pin_range: pin (or unpin) [addr, addr + len) of map, rounded to pages.
 * => 0, EINVAL (len <= 0, the range outside map or not mapped, a caller
 *    that cannot sleep), pin_errno
 */
static int pin_range(vm_map_t map, vm_offset_t addr, int len, bool unpin)
{
	vm_offset_t start = trunc_page(addr), end;
	kern_return_t kr;

	if (len <= 0 || addr + (vm_offset_t)len < addr || !thread_may_sleep())
		return EINVAL;		/* the map's lock, and the faults, need a thread */
	end = round_page(addr + (vm_offset_t)len);
	if (start < map->min_offset || end > map->max_offset)
		return EINVAL;
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

/* pinu_space: the map segflg names, NULL if none (no task, or another segflg). */
static vm_map_t pinu_space(short segflg)
{
	vm_map_t map = thread_current()->map;

	if (segflg == UIO_SYSSPACE)
		return kernel_map;
	return segflg == UIO_USERSPACE && map != kernel_map ? map : NULL;
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
