/*
 * vnode_pager.c: the file pager (see vnode_pager.h).
 *
 * Each file with a live object has a record on vnode_list; the object's
 * pager_data points at it.  The record goes when the object does (the
 * pager's terminate), after the object's dirty pages were written back;
 * a setup that finds the record of a dying object waits for that.
 */
#include "kern/kernel.h"
#include "kern/spinlock.h"
#include "kern/thread.h"
#include "vm/pmap.h"
#include "vm/vm_pager.h"
#include "vm/vm_upl.h"
#include "vm/vm_zone.h"
#include "vm/vnode_pager.h"

#define VNODE_WINDOW_PAGES	16	/* pages per data_request, unless behavior says random */

struct vnode_pager {
	const struct vnode_ops *ops;	/* [c] */
	const void *fs;			/* [c] */
	void *vnode;			/* [c] */
	uint64_t file_id;		/* [c] */
	bool writable;			/* [c] the file was opened for writing */
	vm_object_t object;		/* [c] no reference: the object owns the record */
	uint64_t size;			/* [a] the file's size, as last seen */
	struct vnode_pager *next;	/* [n] */
};

static struct spinlock vnode_pager_lock = SPINLOCK_INIT("vnode_pager");
static struct vnode_pager *vnode_list;		/* [n] */
static uint64_t vnode_records;			/* [n] */
static struct zone vnode_zone = ZONE_INIT("vnode_pager", sizeof(struct vnode_pager));

uint64_t vnode_pager_count(void)
{
	return __atomic_load_n(&vnode_records, __ATOMIC_RELAXED);
}

static uint64_t vnode_size(struct vnode_pager *vp)
{
	return __atomic_load_n(&vp->size, __ATOMIC_RELAXED);
}

/* vnode_eof_page: object offset of the first page holding no byte of the file. */
static vm_object_offset_t vnode_eof_page(struct vnode_pager *vp)
{
	return round_page(vnode_size(vp));
}

/* Every offset has its data in the file, or none anywhere: data_request decides which. */
static bool vnode_has_page(vm_object_t object, vm_object_offset_t offset)
{
	return true;
}

/*
 * vnode_refresh_size: a fault past the size last seen: the file may have
 * grown.  => KERN_MEMORY_ERROR if the file is gone or offset is still past
 * its end
 */
static kern_return_t vnode_refresh_size(struct vnode_pager *vp, vm_object_offset_t offset)
{
	uint64_t size;
	kern_return_t kr = vp->ops->getsize(vp->vnode, &size);

	if (kr != KERN_SUCCESS)
		return KERN_MEMORY_ERROR;
	__atomic_store_n(&vp->size, size, __ATOMIC_RELAXED);
	return offset < round_page(size) ? KERN_SUCCESS : KERN_MEMORY_ERROR;
}

/*
 * vnode_data_request: the window from offset (one page for random
 * behavior), up to the end of file, read in runs of absent pages.
 */
static kern_return_t vnode_data_request(vm_object_t object, vm_object_offset_t offset,
					vm_behavior_t behavior)
{
	struct vnode_pager *vp = object->pager_data;
	vm_object_offset_t hi;
	kern_return_t kr = KERN_SUCCESS;
	upl_t upl;

	if (offset >= vnode_eof_page(vp) && (kr = vnode_refresh_size(vp, offset)) != KERN_SUCCESS)
		return kr;
	hi = MIN(offset + ptoa(behavior == VM_BEHAVIOR_RANDOM ? 1 : VNODE_WINDOW_PAGES),
		 vnode_eof_page(vp));
	kr = upl_request(object, offset, hi - offset, UPL_RETURN_ONLY_ABSENT | UPL_NOBLOCK, &upl);
	if (kr != KERN_SUCCESS)
		return kr;
	for (uint32_t i = 0, n; kr == KERN_SUCCESS && i < upl->npages; i += n) {
		for (n = 0; i + n < upl->npages && upl_page(upl, i + n); n++)
			;
		if (n)
			kr = vp->ops->read(vp->vnode, offset + ptoa(i), upl->pages + i, n);
		else
			n = 1;
	}
	if (kr != KERN_SUCCESS) {
		upl_abort(upl);
		return KERN_MEMORY_ERROR;
	}
	return upl_commit(upl);
}

/* vnode_data_return: the UPL's pages to the file, in runs; committed, or aborted on an error. */
static kern_return_t vnode_data_return(vm_object_t object, upl_t upl)
{
	struct vnode_pager *vp = object->pager_data;
	kern_return_t kr = vp->writable ? KERN_SUCCESS : KERN_PROTECTION_FAILURE;

	for (uint32_t i = 0, n; kr == KERN_SUCCESS && i < upl->npages; i += n) {
		for (n = 0; i + n < upl->npages && upl_page(upl, i + n); n++)
			;
		if (n)
			kr = vp->ops->write(vp->vnode, upl->offset + ptoa(i), upl->pages + i, n,
					    vnode_size(vp));
		else
			n = 1;
	}
	if (kr != KERN_SUCCESS) {
		upl_abort(upl);	/* the pages stay, dirty */
		return kr;
	}
	return upl_commit(upl);
}

/* Nothing is left in flight: every write is done before data_return returns. */
static void vnode_sync(void)
{
}

/* vnode_synchronize: the file's data to stable storage; a removed file is an error. */
static kern_return_t vnode_synchronize(vm_object_t object)
{
	struct vnode_pager *vp = object->pager_data;
	uint64_t size;

	if (vp->writable && vp->ops->fsync(vp->vnode) != KERN_SUCCESS)
		return KERN_MEMORY_ERROR;
	return vp->ops->getsize(vp->vnode, &size) == KERN_SUCCESS ? KERN_SUCCESS : KERN_MEMORY_ERROR;
}

/* The file's copy cannot be dropped; a page whose copy went stale is marked modified instead. */
static void vnode_discard(vm_object_t object, vm_object_offset_t offset)
{
	vm_page_t m = vm_page_lookup(object, offset);

	if (m)
		pmap_set_modify(m);
}

/*
 * vnode_terminate: write back the dirty pages (nobody else can reach
 * them: the object has no reference left), then let the file go.  A write
 * that fails is reported; its data is lost with the object.  Runs with the
 * object locked (and, when an unmap drops the last reference, the map):
 * the one place the file's operations are called with locks held.
 */
static void vnode_terminate(vm_object_t object)
{
	struct vnode_pager *vp = object->pager_data;
	uint64_t lost = 0;

	LOCK_ASSERT(mutex_owned(&object->lock),
		"vnode_terminate: object %lu not locked", object->id);
	for (vm_page_t m = object->pages; m; m = m->onext)
		if (pmap_is_modified(m) && (!vp->writable ||
		    vp->ops->write(vp->vnode, m->offset, &m, 1, vnode_size(vp)) != KERN_SUCCESS))
			lost++;
	if (lost)
		kprintf("vnode_pager: file %lu: %lu dirty pages could not be written back\n",
			vp->file_id, lost);
	spin_lock(&vnode_pager_lock);
	for (struct vnode_pager **pp = &vnode_list; *pp; pp = &(*pp)->next)
		if (*pp == vp) {
			*pp = vp->next;
			break;
		}
	vnode_records--;
	spin_unlock(&vnode_pager_lock);
	thread_wakeup(&vnode_list);
	vp->ops->release(vp->vnode);
	object->pager_data = NULL;
	zfree(&vnode_zone, vp);
}

static const struct vm_pager_ops vnode_pager_ops = {
	.name = "vnode",
	.has_page = vnode_has_page,
	.data_request = vnode_data_request,
	.data_return = vnode_data_return,
	.data_return_async = vnode_data_return,
	.sync = vnode_sync,
	.synchronize = vnode_synchronize,
	.discard = vnode_discard,
	.terminate = vnode_terminate,
};

/*
 * vnode_find: the live object of (ops, file_id), referenced; a dying one
 * is waited for.  None: with vp, vp is entered as the file's record and
 * its object returned (its reference is the caller's); without, NULL.
 * *found: the record of the object returned.
 */
static vm_object_t vnode_find(const struct vnode_ops *ops, const void *fs, uint64_t file_id,
			      struct vnode_pager *vp, struct vnode_pager **found)
{
	struct vnode_pager *p;

	spin_lock(&vnode_pager_lock);
again:
	for (p = vnode_list; p; p = p->next) {
		if (p->ops != ops || p->fs != fs || p->file_id != file_id)
			continue;
		if (!vm_object_reference_live(p->object)) {
			thread_sleep(&vnode_list, &vnode_pager_lock);	/* its terminate wakes us */
			goto again;
		}
		break;
	}
	if (!p && vp) {
		vp->next = vnode_list;
		vnode_list = p = vp;
		vnode_records++;
	}
	spin_unlock(&vnode_pager_lock);
	*found = p;
	return p ? p->object : NULL;
}

/*
 * vnode_create: the file's object, made with its record unless a racing
 * setup of the same file entered one first (then that one, and vnode is
 * released).  => referenced; NULL on shortage (vnode released)
 */
static vm_object_t vnode_create(const struct vnode_ops *ops, const void *fs, uint64_t file_id,
				void *vnode, uint64_t size, bool writable, struct vnode_pager **found)
{
	struct vnode_pager *vp = zalloc(&vnode_zone);
	vm_object_t object = vp ? vm_object_allocate(VNODE_PAGER_MAX_SIZE) : NULL, other;

	if (!object) {
		if (vp)
			zfree(&vnode_zone, vp);
		ops->release(vnode);
		return NULL;
	}
	*vp = (struct vnode_pager){ .ops = ops, .fs = fs, .vnode = vnode, .file_id = file_id,
				    .writable = writable, .object = object, .size = size };
	object->pager_data = vp;
	__atomic_store_n(&object->pager, &vnode_pager_ops, __ATOMIC_RELEASE);
	other = vnode_find(ops, fs, file_id, vp, found);
	if (other != object) {
		object->pager = NULL;
		object->pager_data = NULL;
		vm_object_deallocate(object);
		zfree(&vnode_zone, vp);
		ops->release(vnode);
	}
	return other;
}

kern_return_t vnode_pager_setup(const struct vnode_ops *ops, const void *fs, uint64_t file_id,
				void *vnode, vm_size_t size, vm_prot_t permission,
				vm_named_entry_t *handle)
{
	struct vnode_pager *vp;
	vm_object_t object;
	uint64_t file_size;
	kern_return_t kr;

	if (!ops || !handle || size > VNODE_PAGER_MAX_SIZE || (permission & ~VM_PROT_ALL)) {
		if (ops)
			ops->release(vnode);
		return KERN_INVALID_ARGUMENT;
	}
	if (ops->getsize(vnode, &file_size) != KERN_SUCCESS) {
		ops->release(vnode);
		return KERN_MEMORY_ERROR;
	}
	if ((object = vnode_find(ops, fs, file_id, NULL, &vp)) != NULL) {
		ops->release(vnode);
		__atomic_store_n(&vp->size, file_size, __ATOMIC_RELAXED);	/* it may have grown */
	} else if (!(object = vnode_create(ops, fs, file_id, vnode, file_size,
					   permission & VM_PROT_WRITE, &vp))) {
		return KERN_RESOURCE_SHORTAGE;
	}
	if ((permission & VM_PROT_WRITE) && !vp->writable) {
		vm_object_deallocate(object);
		return KERN_PROTECTION_FAILURE;	/* the file is open read-only while this object lives */
	}
	if (!size)
		size = MAX(round_page(file_size), PAGE_SIZE);
	kr = mach_memory_object_memory_entry_64(object, size, permission, handle);
	if (kr != KERN_SUCCESS)
		vm_object_deallocate(object);
	return kr;
}
