/*
 * vms.c: the AIX virtual memory object services (see vms.h).
 */
#include "aix/vms.h"

#include <errno.h>
#include <stdio.h>

#include "kern/kernel.h"
#include "kern/lock.h"
#include "kern/thread.h"
#include "vm/default_pager.h"
#include "vm/device_pager.h"
#include "vm/pmap.h"
#include "vm/vm_kern.h"
#include "vm/vm_map.h"
#include "vm/vm_named_entry.h"
#include "vm/vm_object.h"
#include "vm/vm_pageout.h"
#include "vm/vm_pager.h"
#include "vm/vm_upl.h"

/* What a segment's object holds. */
enum vms_kind {
	SEG_WORKING,			/* anonymous memory, paged to swap */
	SEG_CLIENT,			/* a file's pages (the vnode pager) */
	SEG_IO,				/* device memory (the device pager) */
};

#define SEG_PAGES	((1u << SEG_WORKING) | (1u << SEG_CLIENT))	/* kinds with pages */
/*
 * With a kinds mask: a held-only segment (as_geth of a task's own memory)
 * is accepted too.  Those are attached to the kernel only (vm_att): a task
 * already maps them, and as_det must never take a task's own memory away.
 */
#define SEG_HELD_OK	(1u << 8)

/* A segment: an object the table names (made by vms_create, or held by as_geth). */
struct vms_segment {
	vm_object_t object;		/* [G] one reference; NULL: a free slot */
	vm_size_t size;			/* [G] bytes */
	int holds;			/* [G] as_geth holds not yet put back (each an attachment) */
	bool created;			/* [G] by vms_create: vms_delete ends it */
	enum vms_kind kind;		/* [G] */
	uint64_t written_seen;		/* [G] object's pages_written at the last vm_qmodify: fewer
					   than now is AIX's object modified bit */
};

static struct mutex vms_lock = MUTEX_INIT("vms");
static struct vms_segment vms_segs[VMS_MAX];	/* [G] */

#define VMS_KEY_READONLY	1

/* seg_locked: the live segment vmid names, NULL if none.  => vms_lock held */
static struct vms_segment *seg_locked(vmid_t vmid)
{
	LOCK_ASSERT(mutex_owned(&vms_lock), "seg_locked: vms_lock not held");
	return vmid >= 0 && vmid < VMS_MAX && vms_segs[vmid].object ? &vms_segs[vmid] : NULL;
}

/* seg_of_object_locked: the segment of object, NULL if the table has none.  => vms_lock held */
static struct vms_segment *seg_of_object_locked(vm_object_t object)
{
	LOCK_ASSERT(mutex_owned(&vms_lock), "seg_of_object_locked: vms_lock not held");
	for (int i = 0; i < VMS_MAX; i++)
		if (vms_segs[i].object == object)
			return &vms_segs[i];
	return NULL;
}

/* seg_free_slot_locked: an unused slot, NULL if the table is full.  => vms_lock held */
static struct vms_segment *seg_free_slot_locked(void)
{
	return seg_of_object_locked(NULL);
}

static vmhandle_t seg_handle(const struct vms_segment *s, int key)
{
	return ((uint64_t)(s - vms_segs + 1) << 1) | (uint64_t)(key & VMS_KEY_READONLY);
}

/*
 * handle_object: the object h names (referenced for the caller, shared), its size
 * and the protection the handle allows, if its kind is in kinds (a mask of 1 << kind).
 * => false if h names no such segment
 */
static bool handle_object(vmhandle_t h, unsigned kinds, vm_object_t *object, vm_size_t *size,
			  vm_prot_t *prot)
{
	struct vms_segment *s;

	mutex_lock(&vms_lock);
	s = h >= 2 && (h >> 1) <= VMS_MAX ? seg_locked((vmid_t)(h >> 1) - 1) : NULL;
	if (s && (!(kinds & (1u << s->kind)) || (!s->created && !(kinds & SEG_HELD_OK))))
		s = NULL;
	if (s) {
		vm_object_share(*object = s->object);	/* for a mapping: one view of many */
		*size = s->size;
		*prot = h & VMS_KEY_READONLY ? VM_PROT_READ : VM_PROT_READ | VM_PROT_WRITE;
	}
	mutex_unlock(&vms_lock);
	return s != NULL;
}

/*
 * seg_object: the segment's object, referenced for the caller, and its
 * size; NULL if none, or of a kind not in kinds (a mask of 1 << kind).
 */
static vm_object_t seg_object(vmid_t vmid, unsigned kinds, vm_size_t *size)
{
	struct vms_segment *s;
	vm_object_t object = NULL;

	mutex_lock(&vms_lock);
	if ((s = seg_locked(vmid)) && (kinds & (1u << s->kind))) {
		vm_object_reference(object = s->object);
		*size = s->size;
	}
	mutex_unlock(&vms_lock);
	return object;
}

/* seg_enter: a new segment of size bytes for object (its reference taken over); *vmid names it. */
static int seg_enter(vmid_t *vmid, vm_object_t object, vm_size_t size, enum vms_kind kind)
{
	struct vms_segment *s;

	mutex_lock(&vms_lock);
	if ((s = seg_free_slot_locked()))
		*s = (struct vms_segment){ object, size, 0, true, kind,
					   vm_object_pages_written(object) };
	mutex_unlock(&vms_lock);
	if (!s) {
		vm_object_deallocate(object);
		return ENOMEM;
	}
	*vmid = (vmid_t)(s - vms_segs);
	return 0;
}

/* client_create: vms_create of a client segment over the file whose handle is file. */
static int client_create(vmid_t *vmid, vm_named_entry_t file, int size)
{
	vm_size_t bytes = round_page((vm_size_t)size);

	if (!file || file->is_sub_map || !vm_object_is_persistent(file->object))
		return ENODEV;		/* not a file's pages: no paging device for it */
	if (file->offset != 0 || bytes > file->size)
		return EINVAL;
	vm_object_reference(file->object);
	return seg_enter(vmid, file->object, bytes, SEG_CLIENT);
}

int vms_create(vmid_t *vmid, int type, void *gn, int size, int uplim, int downlim)
{
	vm_object_t object;

	if (!vmid || (type != V_WORKING && type != V_CLIENT) || size <= 0)
		return EINVAL;
	if (type == V_CLIENT)
		return client_create(vmid, gn, size);
	if (!(object = vm_object_allocate(round_page((vm_size_t)size))))
		return ENOMEM;
	return seg_enter(vmid, object, object->size, SEG_WORKING);
}

int vms_create_io(vmid_t *vmid, uint64_t paddr, uint64_t size, int memattr)
{
	vm_named_entry_t entry;
	vm_object_t object;

	if (!vmid || memattr < 0 || memattr >= VM_MEMATTR_COUNT ||
	    device_pager_setup(paddr, size, (vm_memattr_t)memattr, VM_PROT_READ | VM_PROT_WRITE,
			       &entry) != KERN_SUCCESS)
		return EINVAL;
	vm_object_reference(object = entry->object);
	vm_named_entry_release(entry);
	return seg_enter(vmid, object, object->size, SEG_IO);
}

int vms_delete(vmid_t vmid)
{
	struct vms_segment *s;
	vm_object_t object = NULL;
	int err = 0;

	mutex_lock(&vms_lock);
	if (!(s = seg_locked(vmid)) || !s->created)
		err = EINVAL;
	else if (__atomic_load_n(&s->object->attach_count, __ATOMIC_ACQUIRE))
		err = EBUSY;		/* data may be moving (as_geth holds are attachments too) */
	else {
		object = s->object;
		*s = (struct vms_segment){ 0 };
	}
	mutex_unlock(&vms_lock);
	if (object)
		vm_object_deallocate(object);
	return err;
}

int vms_iowait(vmid_t vmid)
{
	vm_size_t size;
	vm_object_t object = seg_object(vmid, SEG_PAGES, &size);

	if (!object)
		return EINVAL;
	vm_object_wait_io(object);
	vm_object_deallocate(object);
	return 0;
}

vmhandle_t vm_handle(vmid_t vmid, int key)
{
	struct vms_segment *s;
	vmhandle_t h = 0;

	if (key != 0 && key != VMS_KEY_READONLY)
		return 0;
	mutex_lock(&vms_lock);
	if ((s = seg_locked(vmid)))
		h = seg_handle(s, key);
	mutex_unlock(&vms_lock);
	return h;
}

/* ---- attaching segments to address spaces ----------------------------------------------- */

/*
 * seg_map: map h's segment, whole, into map at *addr (flags: VM_FLAGS_FIXED
 * or VM_FLAGS_ANYWHERE), shared by all its mappings.
 * => KERN_INVALID_ARGUMENT (a bad handle), vm_map_enter_shared's errors
 */
static kern_return_t seg_map(vm_map_t map, vmhandle_t h, unsigned kinds, vm_offset_t *addr,
			     int flags)
{
	vm_object_t object;
	vm_size_t size;
	vm_prot_t prot;
	kern_return_t kr;

	if (!map || !handle_object(h, kinds, &object, &size, &prot))
		return KERN_INVALID_ARGUMENT;
	kr = vm_map_enter_shared(map, addr, size, 0, flags, object, 0, prot, prot, VM_INHERIT_SHARE);
	if (kr != KERN_SUCCESS)
		vm_object_deallocate(object);
	return kr;
}

/* seg_size_of_handle: the size of h's segment if its kind is in kinds, else 0. */
static vm_size_t seg_size_of_handle(vmhandle_t h, unsigned kinds)
{
	vm_object_t object;
	vm_size_t size;
	vm_prot_t prot;

	if (!handle_object(h, kinds, &object, &size, &prot))
		return 0;
	vm_object_deallocate(object);
	return size;
}

/* seg_att: vm_att / as_att / io_att into map, of a segment whose kind is in kinds. */
static caddr_t seg_att(vm_map_t map, vmhandle_t h, unsigned kinds, caddr_t offset)
{
	vm_offset_t addr = 0, off = (vm_offset_t)offset;

	if (off >= seg_size_of_handle(h, kinds) ||
	    seg_map(map, h, kinds, &addr, VM_FLAGS_ANYWHERE) != KERN_SUCCESS)
		return NULL;
	return (caddr_t)(addr + off);
}

/*
 * seg_mapping_at: the mapping of a segment holding eaddr in map (of a
 * held-only one too with held_ok): its start and size, and the segment's
 * object (referenced).  => false if none
 */
static bool seg_mapping_at(vm_map_t map, vm_offset_t eaddr, bool held_ok, vm_offset_t *start,
			   vm_size_t *size, vm_object_t *object)
{
	vm_region_basic_info_data_t info;
	vm_address_t a = eaddr;
	vm_size_t len;
	bool found = false;

	if (!map || vm_region(map, &a, &len, &info) != KERN_SUCCESS || a > eaddr || !info.object_id)
		return false;
	mutex_lock(&vms_lock);
	for (int i = 0; i < VMS_MAX && !found; i++) {
		struct vms_segment *s = &vms_segs[i];

		/* offset <= a: the mapping's start, a - offset, is an address */
		if (s->object && s->object->id == info.object_id && info.offset <= a &&
		    (s->created || held_ok)) {
			vm_object_reference(*object = s->object);
			*start = a - info.offset;	/* a mapping here is always of the whole segment */
			*size = s->size;
			found = true;
		}
	}
	mutex_unlock(&vms_lock);
	return found;
}

/* seg_det: vm_det / as_det in map. */
static int seg_det(vm_map_t map, caddr_t eaddr)
{
	vm_offset_t start;
	vm_size_t size;
	vm_object_t object;
	kern_return_t kr;

	/* A held-only object is detached from the kernel only: in a task it is the task's own. */
	if (!seg_mapping_at(map, (vm_offset_t)eaddr, map == kernel_map, &start, &size, &object))
		return EINVAL;
	kr = vm_deallocate(map, start, size);
	vm_object_deallocate(object);
	return kr == KERN_SUCCESS ? 0 : EINVAL;
}

/*
 * Not a client segment: a fault on kernel_map that reads a file would wait
 * for kernel_map itself (the 9P transport holds its buffers for DMA through
 * kernel_map while the fault holds it).
 */
caddr_t vm_att(vmhandle_t vmhandle, caddr_t offset)
{
	return seg_att(kernel_map, vmhandle, (1u << SEG_WORKING) | SEG_HELD_OK, offset);
}

int vm_det(caddr_t eaddr)
{
	return seg_det(kernel_map, eaddr);
}

caddr_t io_att(vmhandle_t iohandle, caddr_t offset)
{
	return seg_att(kernel_map, iohandle, 1u << SEG_IO, offset);
}

int io_det(caddr_t eaddr)
{
	return seg_det(kernel_map, eaddr);
}

adspace_t *getadsp(void)
{
	return thread_current()->map;
}

caddr_t as_att(adspace_t *adspacep, vmhandle_t vmhandle, caddr_t offset)
{
	return adspacep == kernel_map ? NULL : seg_att(adspacep, vmhandle, SEG_PAGES, offset);
}

int as_det(adspace_t *adspacep, caddr_t eaddr)
{
	return adspacep == kernel_map ? EINVAL : seg_det(adspacep, eaddr);
}

int as_seth(adspace_t *adspacep, vmhandle_t vmhandle, caddr_t addr)
{
	vm_offset_t a = (vm_offset_t)addr;
	vm_size_t size = seg_size_of_handle(vmhandle, SEG_PAGES);

	if (!adspacep || adspacep == kernel_map || !size || (a & PAGE_MASK) ||
	    a < adspacep->min_offset || a + size < a || a + size > adspacep->max_offset)
		return EINVAL;
	if (vm_deallocate(adspacep, a, size) != KERN_SUCCESS)	/* whatever was there goes */
		return EINVAL;
	return seg_map(adspacep, vmhandle, SEG_PAGES, &a, VM_FLAGS_FIXED) == KERN_SUCCESS ? 0 : EINVAL;
}

/*
 * seg_hold_locked: the table's segment for object (a new, held-only one
 * if none), one more hold counted; object's reference is the table's
 * if a new slot takes it.  => NULL if the table is full; vms_lock held
 */
static struct vms_segment *seg_hold_locked(vm_object_t object, bool *took_ref)
{
	struct vms_segment *s = seg_of_object_locked(object);

	*took_ref = false;
	if (!s && (s = seg_free_slot_locked())) {
		/* A file's object is client storage: vm_att refuses it, as for vms_create's. */
		*s = (struct vms_segment){ .object = object, .size = object->size,
					   .kind = vm_object_is_persistent(object) ? SEG_CLIENT
										   : SEG_WORKING,
					   .written_seen = vm_object_pages_written(object) };
		*took_ref = true;
	}
	if (s)
		s->holds++;
	return s;
}

vmhandle_t as_geth(adspace_t *adspacep, caddr_t addr)
{
	struct vm_map_object_run run;
	struct vms_segment *s;
	vm_offset_t a = trunc_page((vm_offset_t)addr);
	bool took_ref;
	vmhandle_t h = 0;
	int n;

	/* The hold is an attachment: vms_delete refuses the object until as_puth. */
	if (!adspacep || adspacep == kernel_map ||
	    vm_map_attach_objects(adspacep, a, a + PAGE_SIZE, &run, 1, &n) != KERN_SUCCESS)
		return 0;
	mutex_lock(&vms_lock);
	if ((s = seg_hold_locked(run.object, &took_ref)))
		h = seg_handle(s, run.protection & VM_PROT_WRITE ? 0 : VMS_KEY_READONLY);
	mutex_unlock(&vms_lock);
	if (took_ref)	/* the table's, beside the attachment's: its handle may map it elsewhere */
		vm_object_share(run.object);
	if (!s)
		vm_object_detach(run.object);
	return h;
}

vmhandle_t as_getsrval(adspace_t *adspacep, caddr_t addr)
{
	vm_offset_t start;
	vm_size_t size;
	vm_object_t object;
	struct vms_segment *s;
	vmhandle_t h = 0;

	if (!seg_mapping_at(adspacep, (vm_offset_t)addr, true, &start, &size, &object))
		return 0;
	mutex_lock(&vms_lock);
	if ((s = seg_of_object_locked(object)))
		h = seg_handle(s, 0);
	mutex_unlock(&vms_lock);
	vm_object_deallocate(object);
	return h;
}

int as_puth(adspace_t *adspacep, vmhandle_t vmhandle)
{
	struct vms_segment *s;
	vm_object_t object = NULL, drop = NULL;

	mutex_lock(&vms_lock);
	s = vmhandle >= 2 && (vmhandle >> 1) <= VMS_MAX ? seg_locked((vmid_t)(vmhandle >> 1) - 1)
							 : NULL;
	if (s && s->holds > 0) {
		object = s->object;
		if (--s->holds == 0 && !s->created) {
			drop = s->object;	/* held only: the slot ends with its last hold */
			*s = (struct vms_segment){ 0 };
		}
	}
	mutex_unlock(&vms_lock);
	if (!object)
		return EINVAL;
	vm_object_detach(object);
	if (drop)
		vm_object_deallocate(drop);
	return 0;
}

/* ---- the segments' pages ---------------------------------------------------------------- */

/* page_range: segment vmid's object (referenced) and the byte range of its pages [pfirst, +npages). */
static vm_object_t page_range(vmid_t vmid, int pfirst, int npages, vm_object_offset_t *off,
			      vm_size_t *len)
{
	vm_size_t size;
	vm_object_t object;

	if (pfirst < 0 || npages <= 0 || !(object = seg_object(vmid, SEG_PAGES, &size)))
		return NULL;
	*off = ptoa((uint64_t)pfirst);
	*len = ptoa((uint64_t)npages);
	if (*off + *len > size) {
		vm_object_deallocate(object);
		return NULL;
	}
	return object;
}

/* kernel_range: the segment object behind [vaddr, vaddr + nbytes) of kernel_map (one mapping). */
static vm_object_t kernel_range(caddr_t vaddr, int nbytes, vm_object_offset_t *off, vm_size_t *len)
{
	vm_offset_t a = trunc_page((vm_offset_t)vaddr), start;
	vm_size_t size;
	vm_object_t object;

	if (nbytes <= 0 || !seg_mapping_at(kernel_map, a, true, &start, &size, &object))
		return NULL;
	*off = a - start;
	*len = round_page((vm_offset_t)vaddr + (vm_offset_t)nbytes) - a;
	if (*off + *len > size) {		/* runs past the mapping */
		vm_object_deallocate(object);
		return NULL;
	}
	return object;
}

/*
 * release: discard [off, off + len) of object and its paging-space copies;
 * drops the reference.  A file's pages are not released: their data is
 * the file's.
 */
static int release(vm_object_t object, vm_object_offset_t off, vm_size_t len)
{
	if (!object)
		return EINVAL;
	if (vm_object_is_persistent(object)) {
		vm_object_deallocate(object);
		return EINVAL;
	}
	vm_object_page_remove(object, off, off + len);
	vm_object_deallocate(object);
	return 0;
}

/* write_out: write [off, off + len) of object to its pager; drops the reference. */
static int write_out(vm_object_t object, vm_object_offset_t off, vm_size_t len)
{
	kern_return_t kr;

	if (!object)
		return EINVAL;
	kr = vm_object_sync(object, off, len);
	vm_object_deallocate(object);
	return kr == KERN_SUCCESS ? 0 : EIO;
}

int vm_releasep(vmid_t vmid, int pfirst, int npages)
{
	vm_object_offset_t off = 0;
	vm_size_t len = 0;
	vm_object_t object = page_range(vmid, pfirst, npages, &off, &len);

	return release(object, off, len);
}

int vm_release(caddr_t vaddr, int nbytes)
{
	vm_object_offset_t off = 0;
	vm_size_t len = 0;
	vm_object_t object = kernel_range(vaddr, nbytes, &off, &len);

	return release(object, off, len);
}

int vm_writep(vmid_t vmid, int pfirst, int npages)
{
	vm_object_offset_t off = 0;
	vm_size_t len = 0;
	vm_object_t object = page_range(vmid, pfirst, npages, &off, &len);

	return write_out(object, off, len);
}

int vm_write(caddr_t vaddr, int nbytes, int force)
{
	vm_object_offset_t off = 0;
	vm_size_t len = 0;
	vm_object_t object = kernel_range(vaddr, nbytes, &off, &len);

	return write_out(object, off, len);
}

int vm_protectp(vmid_t vmid, int pfirst, int npages, int key)
{
	vm_object_offset_t off = 0;
	vm_size_t len = 0;
	vm_object_t object;

	if (key != 0 && key != VMS_KEY_READONLY)
		return EINVAL;
	if (!(object = page_range(vmid, pfirst, npages, &off, &len)))
		return EINVAL;
	vm_object_protect_resident(object, off, len, key == VMS_KEY_READONLY);
	vm_object_deallocate(object);
	return 0;
}

int vm_makep(vmid_t vmid, int pno)
{
	vm_object_offset_t off;
	vm_size_t len;
	vm_object_t object = page_range(vmid, pno, 1, &off, &len);
	kern_return_t kr;

	if (!object)
		return EINVAL;
	kr = vm_object_make_page(object, off);
	vm_object_deallocate(object);
	return kr == KERN_SUCCESS ? 0 : ENOMEM;
}

int vm_qmodify(vmid_t vmid)
{
	struct vms_segment *s;
	vm_object_t object = NULL;
	bool modified = false;

	mutex_lock(&vms_lock);
	if ((s = seg_locked(vmid)) && (SEG_PAGES & (1u << s->kind))) {
		uint64_t written = vm_object_pages_written(s->object);

		vm_object_reference(object = s->object);
		modified = written != s->written_seen;	/* the object's bit, read and reset */
		s->written_seen = written;
	}
	mutex_unlock(&vms_lock);
	if (!object)
		return FALSE;
	modified = modified || vm_object_modified(object);	/* the page frames' */
	vm_object_deallocate(object);
	return modified ? TRUE : FALSE;
}

#define VM_MOVE_CHUNK	512	/* bytes through the stack at a time */

/* move_chunk: n bytes between object at off and the uio, rw's way.  => 0 or an errno */
static int move_chunk(vm_object_t object, vm_object_offset_t off, long n, enum uio_rw rw,
		      struct uio *uio)
{
	char buf[VM_MOVE_CHUNK];
	int err;

	if (rw == UIO_READ) {
		if (vm_object_read(object, off, buf, (vm_size_t)n) != KERN_SUCCESS)
			return EIO;
		return uiomove(buf, n, UIO_READ, uio);
	}
	if ((err = uiomove(buf, n, UIO_WRITE, uio)) != 0)
		return err;
	return vm_object_write(object, off, buf, (vm_size_t)n) == KERN_SUCCESS ? 0 : EIO;
}

int vm_move(vmid_t vmid, caddr_t offset, int limit, enum uio_rw rw, struct uio *uio)
{
	vm_object_offset_t off = (vm_offset_t)offset;
	vm_size_t size;
	vm_object_t object;
	int err = 0;

	if (!uio || uio->uio_resid < 0 || (rw != UIO_READ && rw != UIO_WRITE) || limit < 0 ||
	    (vm_offset_t)limit < off)
		return EINVAL;
	if (!(object = seg_object(vmid, SEG_PAGES, &size)))
		return EINVAL;
	if ((vm_offset_t)limit > size) {
		vm_object_deallocate(object);
		return EINVAL;
	}
	while (!err && uio->uio_resid > 0 && off < (vm_offset_t)limit) {
		long n = MIN(MIN(uio->uio_resid, (long)VM_MOVE_CHUNK), (long)((vm_offset_t)limit - off));

		err = move_chunk(object, off, n, rw, uio);
		off += (vm_offset_t)n;
	}
	vm_object_deallocate(object);
	return err;
}

void vm_cflush(caddr_t eaddr, int nbytes)
{
	if (nbytes <= 0)
		return;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);	/* fence rw, rw: the stores before any DMA */
}

/* ---- the paging device table ------------------------------------------------------------ */

#define UMOUNT_BLOCKS	16	/* object blocks moved per drain step */
#define UMOUNT_TRIES	8	/* steps in a row that may fail before vm_umount gives up */
#define UMOUNT_IO_WAIT_MS 10000	/* for the drained device's last I/O (its timeout is longer) */

/* paging_device: the pool's segment whose device is dev, NULL if none. */
static struct swap_segment *paging_device(const void *dev)
{
	for (int i = 0; i < DP_MAX_SEGMENTS; i++) {
		const struct swap_segment *seg = default_pager_segment(i);

		if (seg && seg->dev == dev)
			return (struct swap_segment *)seg;
	}
	return NULL;
}

int vm_mount(int type, const struct swap_segment_ops *ops, void *dev, int npages)
{
	static int mounted;
	char name[DP_NAME_MAX];
	kern_return_t kr;

	if (type != D_PAGING || !ops || !dev || npages <= 0 || paging_device(dev))
		return EINVAL;
	snprintf(name, sizeof(name), "vm_mount%d", __atomic_fetch_add(&mounted, 1, __ATOMIC_RELAXED));
	kr = default_pager_add_segment(name, ops, dev, (uint64_t)npages, NULL);
	return kr == KERN_SUCCESS ? 0 : kr == KERN_RESOURCE_SHORTAGE ? ENOMEM : EINVAL;
}

/* umount_drain: move seg's pages to the rest of the pool.  => 0, or EIO after UMOUNT_TRIES failures */
static int umount_drain(struct swap_segment *seg)
{
	bool empty = false;
	int failures = 0;

	while (!empty && failures < UMOUNT_TRIES) {
		kern_return_t kr = default_pager_drain_step(seg, UMOUNT_BLOCKS, &empty);

		if (kr == KERN_SUCCESS) {
			failures = 0;
			continue;
		}
		failures++;
		if (kr == KERN_RESOURCE_SHORTAGE)
			vm_pageout_wait_memory();	/* a page to move through */
	}
	return empty ? 0 : EIO;
}

int vm_umount(int type, void *dev)
{
	struct swap_segment *seg;
	kern_return_t kr;
	int err;

	if (type != D_PAGING || !dev || !(seg = paging_device(dev)))
		return EINVAL;
	if ((kr = default_pager_drain_start(seg, false)) != KERN_SUCCESS)
		return kr == KERN_RESOURCE_SHORTAGE ? ENOSPC : EINVAL;
	if ((err = umount_drain(seg)) != 0) {
		default_pager_drain_cancel(seg);
		return err;
	}
	for (int ms = 0; default_pager_remove_segment(seg) == KERN_FAILURE; ms++) {
		if (ms == UMOUNT_IO_WAIT_MS) {
			default_pager_drain_cancel(seg);
			return EIO;		/* its I/O never finished: it stays */
		}
		thread_sleep_ns(1000 * 1000);	/* its last writes still in flight */
	}
	return 0;
}

int vms_count(void)
{
	int n = 0;

	mutex_lock(&vms_lock);
	for (int i = 0; i < VMS_MAX; i++)
		n += vms_segs[i].object != NULL;
	mutex_unlock(&vms_lock);
	return n;
}
