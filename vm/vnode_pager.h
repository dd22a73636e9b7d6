/*
 * vnode_pager.h: the file pager (the reference's vnode pager): one VM
 * object per open file, whose pages are the file's bytes.
 *
 * A file system gives the pager an open file (its "vnode") and the
 * operations below; vnode_pager_setup returns a handle (a named entry)
 * that vm_map maps like any other:
 *   shared (copy = FALSE): stores reach the file.  Dirty pages are written
 *     back when the pageout daemon takes them, on vm_msync, and when the
 *     object goes away (its last mapping and handle gone).
 *   private (copy = TRUE): copy-on-write; the mapping's stores stay in its
 *     own pages and the file never changes.  Pages it has not written show
 *     the file as it is now (POSIX's MAP_PRIVATE).
 * The same file set up again, while its object lives, gets the same
 * object (found by the file's identity, its inode number).
 *
 * End of file: the handle may be larger than the file.  The last page's
 * bytes past the end read as zeros, and stores to them never reach the
 * file, which keeps its size (they last while the page stays resident);
 * a page wholly past
 * the end has no data: touching it fails with KERN_MEMORY_ERROR (the
 * documented error for a store, or a load, beyond the end of file).  The
 * file's size is looked up again when a fault falls past the size last
 * seen (the file may have grown).
 *
 * A file removed (on the host) while mapped: pages keep coming from, and
 * going to, the open file as POSIX has it, but vm_msync reports
 * KERN_MEMORY_ERROR (what it wrote is in a file nobody can open again),
 * and a fault past the last size seen fails with KERN_MEMORY_ERROR.
 *
 * Lock tags: kern/lock.h.
 */
#ifndef VM_VNODE_PAGER_H
#define VM_VNODE_PAGER_H

#include <stdint.h>

#include "vm/kern_return.h"
#include "vm/vm_named_entry.h"
#include "vm/vm_page.h"

/*
 * A file system's I/O on one open file.  Each may sleep; none is called
 * with a lock held, except write and release when the object goes (with
 * its lock, and the lock of the map whose unmap dropped it): they must not
 * take VM locks.
 */
struct vnode_ops {
	const char *name;
	/*
	 * read: fill pages[0, n) with the file's bytes from off (page aligned);
	 * bytes past the end of file read as zeros.
	 * => KERN_SUCCESS, KERN_MEMORY_ERROR (I/O error)
	 */
	kern_return_t (*read)(void *vnode, uint64_t off, vm_page_t *pages, uint32_t n);
	/*
	 * write: pages[0, n) to the file at off, only the bytes before eof.
	 * => KERN_SUCCESS, KERN_MEMORY_ERROR
	 */
	kern_return_t (*write)(void *vnode, uint64_t off, vm_page_t *pages, uint32_t n, uint64_t eof);
	/* getsize: the file's size now.  => KERN_MEMORY_ERROR if it is gone (removed) or unreadable */
	kern_return_t (*getsize)(void *vnode, uint64_t *size);
	/* fsync: the file's data to stable storage.  => KERN_MEMORY_ERROR on failure */
	kern_return_t (*fsync)(void *vnode);
	/* release: the object is gone: close the file. */
	void (*release)(void *vnode);
};

/* The largest file the pager maps: the objects' size. */
#define VNODE_PAGER_MAX_SIZE	(1ull << 40)

/*
 * vnode_pager_setup: a handle (*handle, one reference) to [0, size) of
 * the file `vnode` (size rounded up to pages; 0: the file's size, at
 * least a page), with the given permission (the most a mapping of it may
 * allow; VM_PROT_WRITE only if the file was opened for writing).  fs and
 * file_id identify the file (its file system and inode number): if an
 * object for it lives, the handle is to that object and vnode is
 * released at once.  The first setup's permission says whether the
 * object can write the file: a later one asking for write permission
 * when it cannot gets KERN_PROTECTION_FAILURE.
 * => the pager takes over vnode in every case (released on error)
 * => KERN_INVALID_ARGUMENT (NULL, size above VNODE_PAGER_MAX_SIZE, unknown
 *    permission bits), KERN_MEMORY_ERROR (its size unreadable),
 *    KERN_RESOURCE_SHORTAGE
 */
kern_return_t vnode_pager_setup(const struct vnode_ops *ops, const void *fs, uint64_t file_id,
				void *vnode, vm_size_t size, vm_prot_t permission,
				vm_named_entry_t *handle);

/* vnode_pager_count: files the pager holds objects for, for accounting checks. */
uint64_t vnode_pager_count(void);

#endif
