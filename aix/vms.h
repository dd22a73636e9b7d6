/*
 * vms.h: the AIX virtual memory object services over Mach VM objects:
 * segments (vms_create, vms_delete, vms_iowait), their handles
 * (vm_handle), attaching them to the kernel (vm_att, vm_det) or to a
 * task's address space (getadsp, as_att, as_det, as_seth, as_geth,
 * as_getsrval, as_puth), and work on their pages (vm_move, vm_makep,
 * vm_protectp, vm_qmodify, vm_release, vm_releasep, vm_write, vm_writep,
 * vm_cflush); device
 * memory as I/O segments (vms_create_io, io_att, io_det), through the
 * device pager (vm/device_pager.h).
 *
 * A segment is an object in a table of VMS_MAX: its vmid_t is the index.
 * A handle names a segment and an access: key 0 unlimited (read and
 * write), key 1 limited (read-only), as AIX's vm_handle has it.  A
 * mapping made from a handle holds its own reference to the object (Mach
 * semantics): vms_delete ends the segment's name, and the object goes
 * with its last mapping.  A segment that is attached (xmattach, as_geth)
 * cannot be deleted until it is detached: vms_delete says EBUSY.
 *
 * Returns are AIX's (0 or an errno; handles and addresses as AIX gives
 * them).  Where ours differ, and why:
 *   - working storage (V_WORKING: anonymous memory paged to swap) and
 *     client storage (V_CLIENT: a file's pages, whose vms_create takes the
 *     handle virtio_9p_file_entry gives, where AIX takes a gnode); the
 *     size is the limit of what can be mapped or moved;
 *   - AIX cannot fail vm_handle, vm_att, as_att, as_geth and halts on a
 *     bad vm_det: here a bad argument gives 0 / NULL / EINVAL, and vm_det,
 *     as_seth and as_puth return int (0 or EINVAL) instead of void;
 *   - AIX's io_att takes a handle built from a bus id; here an I/O
 *     segment made by vms_create_io over a device range gives it
 *     (vm_handle), and only I/O segments attach with io_att;
 *   - as_getsrval gives a handle only for objects the table holds (made by
 *     vms_create, or held by as_geth): it takes no reference of its own;
 *   - everything here runs in a thread: vm_att and vm_det change
 *     kernel_map, which takes its lock (AIX allows them at interrupt level).
 *
 * Lock tags: kern/lock.h.  The segment and attachment tables are [G].
 */
#ifndef AIX_VMS_H
#define AIX_VMS_H

#include <stdint.h>

#include "vm/vm_user.h"
#include "vm/xmalloc.h"

#define VMS_MAX		64		/* segments at once */
#define VMS_ATT_MAX	128		/* vm_att / as_att mappings at once */

/* vms_create types (AIX's V_* flags). */
#define V_WORKING	0x1		/* anonymous memory, paged to swap */
#define V_CLIENT	0x2		/* a file's pages: gn is the file's handle */

typedef int vmid_t;
typedef uint64_t vmhandle_t;		/* 0: no handle */
struct vm_map;
typedef struct vm_map adspace_t;	/* a task's address space: its map */

/*
 * vms_create: a segment of size bytes (rounded to pages); *vmid names it.
 * V_WORKING: new anonymous memory; V_CLIENT: the first size bytes of the
 * file whose handle (vm_named_entry_t) gn is.  uplim and downlim are
 * AIX's and unused here.
 * => 0; EINVAL (NULL vmid, another type, size <= 0 or past the file);
 *    ENODEV (V_CLIENT with gn no file's handle); ENOMEM (the table is
 *    full, or no memory)
 */
int vms_create(vmid_t *vmid, int type, void *gn, int size, int uplim, int downlim);
/*
 * vms_delete: the segment's name goes (its mappings keep the object).
 * => 0; EINVAL (no such segment), EBUSY (attached: xmattach or as_geth)
 */
int vms_delete(vmid_t vmid);
/*
 * vms_create_io: an I/O segment over device memory [paddr, paddr + size)
 * (page aligned: a PCI BAR), whose mappings get memory type memattr
 * (vm_memattr_t: VM_MEMATTR_DEVICE for registers).
 * => 0; EINVAL (NULL vmid, a range device_pager_setup refuses: RAM,
 *    unaligned, empty, a bad memattr); ENOMEM (the table is full)
 */
int vms_create_io(vmid_t *vmid, uint64_t paddr, uint64_t size, int memattr);
/* vms_iowait: wait for the segment's page I/O in flight.  => 0, EINVAL */
int vms_iowait(vmid_t vmid);

/* vm_handle: a handle to the segment, key 0 read-write, 1 read-only.  => 0 if vmid is bad */
vmhandle_t vm_handle(vmid_t vmid, int key);
/*
 * vm_att: map the handle's working segment into the kernel's address
 * space (a client segment is mapped by tasks, as_att, and reached by the
 * kernel with vm_move: a kernel fault that reads a file would wait for
 * kernel_map, which the 9P transport's DMA holds its buffers through).
 * => the address of its byte at offset; NULL (a bad handle, a client or
 *    I/O segment's, offset past the segment, no room)
 */
caddr_t vm_att(vmhandle_t vmhandle, caddr_t offset);
/* vm_det: unmap the vm_att mapping holding eaddr.  => 0, EINVAL (none does) */
int vm_det(caddr_t eaddr);

/*
 * io_att / io_det: vm_att / vm_det of an I/O segment (device memory).
 * => io_att NULL also for a handle to a working segment (and vm_att NULL
 *    for an I/O segment's)
 */
caddr_t io_att(vmhandle_t iohandle, caddr_t offset);
int io_det(caddr_t eaddr);

/* getadsp: the calling thread's task's address space, NULL for a kernel thread. */
adspace_t *getadsp(void);
/* as_att: vm_att into adspace (anywhere).  => the address of offset, NULL */
caddr_t as_att(adspace_t *adspacep, vmhandle_t vmhandle, caddr_t offset);
/* as_det: unmap the as_att / as_seth mapping holding eaddr.  => 0, EINVAL */
int as_det(adspace_t *adspacep, caddr_t eaddr);
/*
 * as_seth: map the segment at addr (page aligned) of adspace, unmapping
 * whatever was there.  => 0, EINVAL (bad arguments or handle, no room)
 */
int as_seth(adspace_t *adspacep, vmhandle_t vmhandle, caddr_t addr);
/*
 * as_geth: the handle of the object mapped at addr of a task's address
 * space (key 1 if the mapping is read-only), which cannot be deleted until
 * as_puth.  The handle of an object the task made itself (not a segment)
 * attaches to the kernel only (vm_att; as_att and as_seth refuse it, and
 * as_det never takes the task's own mapping away).
 * => 0 if nothing is mapped there, adspacep is kernel_map, or the table is full
 */
vmhandle_t as_geth(adspace_t *adspacep, caddr_t addr);
/* as_getsrval: as_geth without the hold, for objects the table holds.  => 0 otherwise */
vmhandle_t as_getsrval(adspace_t *adspacep, caddr_t addr);
/* as_puth: end an as_geth hold.  => 0, EINVAL (no hold on that handle) */
int as_puth(adspace_t *adspacep, vmhandle_t vmhandle);

/*
 * The page services below take working segments only (EINVAL for an I/O
 * segment: device memory has no pages to move, make or release).
 *
 * vm_move: move bytes between the segment, from offset up to limit (a
 * byte offset in it), and the uio's buffers: rw UIO_READ to them,
 * UIO_WRITE from them; the uio advances by what moved.
 * => 0; EINVAL (bad segment, offsets, rw or uio), EFAULT (a user buffer
 *    faulted), EIO (a page could not be read back)
 */
int vm_move(vmid_t vmid, caddr_t offset, int limit, enum uio_rw rw, struct uio *uio);
/*
 * vm_protectp: the pages [pfirst, pfirst + npages) of the segment that are
 * in memory now get key 1 (read-only: a store through any mapping faults
 * and fails, as does a write the kernel would make through the object) or
 * key 0 (read-write again).  As on AIX, a page not in memory keeps no
 * such state: it comes back read-write.  (AIX takes client segments only;
 * here working ones too.)
 * => 0; EINVAL (bad segment, range past it, npages <= 0, another key)
 */
int vm_protectp(vmid_t vmid, int pfirst, int npages, int key);
/* vm_makep: page pno made resident without being read (zeroed if new).  => 0, EINVAL, ENOMEM */
int vm_makep(vmid_t vmid, int pno);
/*
 * vm_qmodify: TRUE if a page of the segment was written out (to its file,
 * or to paging space) since the last call (AIX's object modified bit,
 * which the call resets), or if a page is modified and not written back
 * yet (the page frames', which it leaves); else FALSE (also for a bad
 * vmid).
 */
int vm_qmodify(vmid_t vmid);
/*
 * vm_releasep / vm_release: discard the pages and their paging-space
 * copies: the range reads zeros from then on.  vm_release takes a range of
 * the kernel's address space that one mapping covers.  Working storage
 * only: a file's pages hold the file's data.
 * => 0; EINVAL (bad segment or range, a range over two mappings, a client
 *    segment)
 */
int vm_releasep(vmid_t vmid, int pfirst, int npages);
int vm_release(caddr_t vaddr, int nbytes);
/*
 * vm_writep / vm_write: write the modified pages of the range to paging
 * space, or to the file for a client segment (they stay resident, clean).
 * force is AIX's and unused.
 * => 0; EINVAL (as vm_releasep / vm_release), EIO (a write failed)
 */
int vm_writep(vmid_t vmid, int pfirst, int npages);
int vm_write(caddr_t vaddr, int nbytes, int force);
/*
 * vm_cflush: make the data caches' copies of [eaddr, eaddr + nbytes)
 * visible to devices.  RISC-V harts on QEMU's virt are coherent with
 * DMA: a fence orders the stores, and nothing needs writing back.  A hart
 * with Zicbom driving a non-coherent device would clean each cache block
 * (cbo.clean) here.  nbytes <= 0 does nothing.
 */
void vm_cflush(caddr_t eaddr, int nbytes);

/*
 * The paging device table is the default pager's pool of swap segments
 * (vm/default_pager.h).  AIX's vm_mount takes a device's strategy routine
 * and a count of buffers; here the device gives its swap operations, its
 * handle and its size in pages (a virtio disk: drivers/virtio/
 * virtio_blk_swap.h), and type D_PAGING says so.
 */
#define D_PAGING	1

struct swap_segment_ops;
/*
 * vm_mount: add a paging device of npages pages.
 * => 0; EINVAL (another type, NULL ops or dev, npages <= 0, dev already
 *    in the table); ENOMEM (the table is full, or no memory)
 */
int vm_mount(int type, const struct swap_segment_ops *ops, void *dev, int npages);
/*
 * vm_umount: remove the paging device dev, once the pages it holds have
 * moved to the rest of the pool (waiting for its I/O).
 * => 0; EINVAL (another type, dev not in the table); ENOSPC (the rest
 *    of the pool cannot hold its pages: nothing moved); EIO (a page could
 *    not be moved, or its I/O did not end: the device stays, in service)
 */
int vm_umount(int type, void *dev);

/* vms_count: segments in the table (made or held), for accounting checks. */
int vms_count(void);

#endif
