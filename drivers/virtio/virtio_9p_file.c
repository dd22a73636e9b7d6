/*
 * virtio_9p_file.c: the vnode pager's I/O on 9P files (see
 * virtio_9p_file.h).  Pages move through one staging buffer, a run of up
 * to P9FILE_STAGE_PAGES pages per Tread or Twrite (a 9P message carries
 * at most 128 KiB of data).
 *
 * Lock tags: kern/lock.h.
 */
#include <string.h>

#include "drivers/virtio/virtio_9p.h"
#include "drivers/virtio/virtio_9p_file.h"
#include "kern/kernel.h"
#include "vm/pmap.h"
#include "vm/vm_zone.h"
#include "vm/vnode_pager.h"

#define P9FILE_STAGE_PAGES	16

struct p9_vnode {
	struct p9_file file;		/* [c] */
};

static struct zone p9file_zone = ZONE_INIT("p9_vnode", sizeof(struct p9_vnode));
static struct mutex p9file_io_lock = MUTEX_INIT("p9file_io");
static uint8_t p9file_stage[P9FILE_STAGE_PAGES * PAGE_SIZE];	/* [F] */

uint64_t virtio_9p_file_count(void)
{
	return zone_items_used(&p9file_zone);
}

/* p9file_read_run: up to P9FILE_STAGE_PAGES pages from off; past the end of file, zeros. */
static bool p9file_read_run(struct p9_vnode *v, uint64_t off, vm_page_t *pages, uint32_t n)
{
	size_t done = 0;
	int err = p9_file_read(&v->file, off, p9file_stage, ptoa(n), &done);

	if (err) {
		kprintf("p9file: read at 0x%lx: %s\n", off, p9_strerror(err));
		return false;
	}
	memset(p9file_stage + done, 0, ptoa(n) - done);
	for (uint32_t i = 0; i < n; i++)
		memcpy(pmap_direct_map(pages[i]->phys_addr), p9file_stage + ptoa(i), PAGE_SIZE);
	return true;
}

static kern_return_t p9file_read(void *vnode, uint64_t off, vm_page_t *pages, uint32_t n)
{
	bool ok = true;

	mutex_lock(&p9file_io_lock);
	for (uint32_t i = 0; ok && i < n; i += P9FILE_STAGE_PAGES)
		ok = p9file_read_run(vnode, off + ptoa(i), pages + i, MIN(n - i, P9FILE_STAGE_PAGES));
	mutex_unlock(&p9file_io_lock);
	return ok ? KERN_SUCCESS : KERN_MEMORY_ERROR;
}

/* p9file_write_run: up to P9FILE_STAGE_PAGES pages at off, the bytes before eof. */
static bool p9file_write_run(struct p9_vnode *v, uint64_t off, vm_page_t *pages, uint32_t n,
			     uint64_t eof)
{
	size_t len = off < eof ? MIN(ptoa(n), eof - off) : 0, done = 0;
	int err;

	if (!len)
		return true;
	for (uint32_t i = 0; ptoa(i) < len; i++)
		memcpy(p9file_stage + ptoa(i), pmap_direct_map(pages[i]->phys_addr), PAGE_SIZE);
	err = p9_file_write(&v->file, off, p9file_stage, len, &done);
	if (err || done != len) {
		kprintf("p9file: write at 0x%lx: %s\n", off, err ? p9_strerror(err) : "short");
		return false;
	}
	return true;
}

static kern_return_t p9file_write(void *vnode, uint64_t off, vm_page_t *pages, uint32_t n,
				  uint64_t eof)
{
	bool ok = true;

	mutex_lock(&p9file_io_lock);
	for (uint32_t i = 0; ok && i < n; i += P9FILE_STAGE_PAGES)
		ok = p9file_write_run(vnode, off + ptoa(i), pages + i, MIN(n - i, P9FILE_STAGE_PAGES),
				      eof);
	mutex_unlock(&p9file_io_lock);
	return ok ? KERN_SUCCESS : KERN_MEMORY_ERROR;
}

static kern_return_t p9file_getsize(void *vnode, uint64_t *size)
{
	struct p9_vnode *v = vnode;
	struct p9_attr attr;

	/* An open file removed on the host still answers, with no link left. */
	if (p9_file_stat(&v->file, &attr) != 0 || !(attr.valid & P9_GETATTR_SIZE) ||
	    ((attr.valid & P9_GETATTR_NLINK) && attr.nlink == 0))
		return KERN_MEMORY_ERROR;
	*size = attr.size;
	return KERN_SUCCESS;
}

static kern_return_t p9file_fsync(void *vnode)
{
	struct p9_vnode *v = vnode;

	return p9_file_fsync(&v->file) == 0 ? KERN_SUCCESS : KERN_MEMORY_ERROR;
}

static void p9file_release(void *vnode)
{
	struct p9_vnode *v = vnode;

	p9_file_close(&v->file);
	zfree(&p9file_zone, v);
}

static const struct vnode_ops p9file_ops = {
	.name = "9p",
	.read = p9file_read,
	.write = p9file_write,
	.getsize = p9file_getsize,
	.fsync = p9file_fsync,
	.release = p9file_release,
};

/* p9file_open_error: a server's answer to the open, as a kern_return_t. */
static kern_return_t p9file_open_error(int err)
{
	switch (err) {
	case P9_EINVAL:
	case P9_ENAMETOOLONG:
	case P9_EISDIR:
		return KERN_INVALID_ARGUMENT;
	case P9_ENOENT:
	case P9_ENOTDIR:
		return KERN_NOT_FOUND;
	case P9_EACCES:
	case P9_EPERM:
	case P9_EROFS:
		return KERN_PROTECTION_FAILURE;
	case P9_ENOMEM:
	case P9_EMFILE:
		return KERN_RESOURCE_SHORTAGE;
	default:
		return KERN_MEMORY_ERROR;
	}
}

kern_return_t virtio_9p_file_entry(const char *tag, const char *path, vm_prot_t permission,
				   vm_size_t size, vm_named_entry_t *handle)
{
	struct virtio_9p *share = tag ? virtio_9p_find(tag) : NULL;
	struct p9_vnode *v;
	int err;

	if (!share || !path || !handle || (permission & ~VM_PROT_ALL))
		return KERN_INVALID_ARGUMENT;
	if (!(v = zalloc(&p9file_zone)))
		return KERN_RESOURCE_SHORTAGE;
	err = p9_file_open(&share->client, path,
			   P9_FILE_READ | ((permission & VM_PROT_WRITE) ? P9_FILE_WRITE : 0), 0, &v->file);
	if (!err && (v->file.qid.type & P9_QTDIR)) {
		p9_file_close(&v->file);
		err = P9_EISDIR;
	}
	if (err) {
		zfree(&p9file_zone, v);
		return p9file_open_error(err);
	}
	return vnode_pager_setup(&p9file_ops, share, v->file.qid.path, v, size, permission, handle);
}
