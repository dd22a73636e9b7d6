/*
 * pin.h: the AIX pinning services over map wiring: pin/unpin (kernel
 * ranges), pinu/unpinu (a user or kernel range), pincode/unpincode (a
 * linked-in module), xmempin/xmemunpin (through a cross-memory
 * descriptor, aix/xmem.h).
 *
 * A pin is a wiring of the map entries over the range, counted in the
 * entries' own pin count (vm_map_pin): pins nest, a pinned page is never
 * paged out, and a pin never undoes the kernel's or a task's own wiring
 * (kmem_alloc_wired memory, vm_wire), nor they a pin.  Pins go with the
 * map: a task that ends with pages pinned releases them as its map goes.
 *
 * Returns are AIX's: 0 or an errno.  Where ours differ from AIX's:
 *   - the unpin calls change nothing when they fail: AIX decrements the
 *     pages before the first unpinned one and returns EINVAL; here a range
 *     with an unpinned page returns EINVAL with every count as it was;
 *   - where the caller cannot sleep (an interrupt handler), the unpin
 *     calls check the range at once if the map's lock is free, return,
 *     and leave the unpin itself, which may sleep, to a thread (the xmem
 *     reaper, aix/xmem.h): the pages stay pinned a moment longer.  If the
 *     lock was busy the check is the thread's, and a range not all pinned
 *     is reported on the console instead of returned; ENOMEM if
 *     pinned_heap has no room for the request.  A user range has no
 *     space there (EFAULT from unpinu); the pin calls return EINVAL;
 *   - pincode's module is the image, whose text and data are never paged
 *     (there are no loadable kernel extensions): its pages are resident
 *     whatever the count, which pincode and unpincode keep so that they
 *     pair up as on AIX.
 * Lengths are int as on AIX; a range is rounded out to whole pages.
 */
#ifndef AIX_PIN_H
#define AIX_PIN_H

#include "vm/vm_user.h"
#include "vm/xmalloc.h"

struct xmem;

/*
 * pin / unpin: [addr, addr + length) of the kernel's address space
 * (kernel_map: kmem and heap memory).
 * => 0; EINVAL (length <= 0, the range not all kernel memory, or for
 *    unpin a page not pinned); EIO (a page could not be read back);
 *    ENOMEM (no memory, or a page's pin count at its limit)
 */
int pin(caddr_t addr, int length);
int unpin(caddr_t addr, int length);
/*
 * pinu / unpinu: pin / unpin in the space segflg names: UIO_SYSSPACE the
 * kernel's, UIO_USERSPACE the calling thread's task (its map).
 * => pin's returns, and EFAULT when the range does not lie in that space
 *    (or the thread has no task); EINVAL also for another segflg
 */
int pinu(caddr_t base, int len, short segflg);
int unpinu(caddr_t base, int len, short segflg);
/*
 * pincode / unpincode: pin / unpin the code and data of the module
 * holding the function func (the image).
 * => 0; EINVAL (func not in a module's code, or unpincode of a module
 *    not pinned)
 */
int pincode(int (*func)(void));
int unpincode(int (*func)(void));
/* pincode_count: the pins of func's module, -1 when func is in none (for tests). */
int pincode_count(int (*func)(void));
/*
 * xmempin / xmemunpin: pin / unpin [base, base + len) of the space xd
 * describes (attached by xmattach).
 * => pinu's returns; EINVAL also for a descriptor not attached, EFAULT
 *    for a range outside the attached buffer
 */
int xmempin(caddr_t base, int len, struct xmem *xd);
int xmemunpin(caddr_t base, int len, struct xmem *xd);

#endif
