/*
 * virtio_9p_swapfile.c: swap files on a virtio-9p share (see
 * virtio_9p_swapfile.h).
 *
 *   swapfile=TAG[:DIR]    keep swap files in DIR (default "swap", made if
 *                         missing) of the virtio-9p share with mount tag TAG
 *                         (the dynamic pager's parameters: vm/dynamic_pager.c)
 *
 * A file is created sparse at its full size.  File I/O goes through one
 * staging buffer: a cluster is gathered there and written in one Twrite
 * (read likewise).
 *
 * Lock tags: kern/lock.h; a swap file's [t] fields are the dynamic pager
 * thread's, which creates and deletes the file; I/O reads them in between.
 */
#include <stdio.h>
#include <string.h>

#include "drivers/virtio/virtio_9p.h"
#include "drivers/virtio/virtio_9p_swapfile.h"
#include "kern/kernel.h"
#include "vm/default_pager.h"
#include "vm/dynamic_pager.h"
#include "vm/pmap.h"
#include "vm/vm_kern.h"

#define SWAPFILE_STAGE_PAGES	DP_CLUSTER_PAGES
#define SWAPFILE_PATH_MAX	96

struct p9_swapfile {
	char path[SWAPFILE_PATH_MAX];		/* [t] */
	struct p9_file file;			/* [t] open while it exists */
	bool reported;				/* [Y] an I/O error was printed */
};

static struct p9_client *sf_client;			/* [c] */
static char sf_dir[SWAPFILE_PATH_MAX / 2];		/* [c] */
static struct p9_swapfile sf_files[DP_MAX_SEGMENTS];	/* [t] by index */
static struct mutex sf_io_lock = MUTEX_INIT("swapfile_io");
static uint8_t *sf_stage;				/* [Y] */

/* sf_io_chunk: up to SWAPFILE_STAGE_PAGES pages through the staging buffer.  => sf_io_lock held */
static bool sf_io_chunk(struct p9_swapfile *f, bool write, uint64_t slot, vm_page_t *pages,
			uint32_t n)
{
	size_t len = ptoa(n), done = 0;
	int err;

	LOCK_ASSERT(mutex_owned(&sf_io_lock), "sf_io_chunk: sf_io_lock not held");
	if (write) {
		for (uint32_t i = 0; i < n; i++)
			memcpy(sf_stage + ptoa(i), pmap_direct_map(pages[i]->phys_addr), PAGE_SIZE);
		err = p9_file_write(&f->file, ptoa(slot), sf_stage, len, &done);
	} else {
		err = p9_file_read(&f->file, ptoa(slot), sf_stage, len, &done);
		if (!err && done == len)
			for (uint32_t i = 0; i < n; i++)
				memcpy(pmap_direct_map(pages[i]->phys_addr), sf_stage + ptoa(i), PAGE_SIZE);
	}
	if ((err || done != len) && !f->reported) {	/* the pool counts the rest */
		f->reported = true;
		kprintf("swapfile: %s of %s at page %lu: %s (the first error of this file)\n",
			write ? "write" : "read", f->path, slot, err ? p9_strerror(err) : "short");
	}
	return !err && done == len;
}

/* sf_start: the move is done at once (*io = NULL). */
static kern_return_t sf_start(void *file, bool write, uint64_t slot, vm_page_t *pages,
			      uint32_t npages, void **io)
{
	bool ok = true;

	*io = NULL;
	mutex_lock(&sf_io_lock);
	for (uint32_t i = 0; ok && i < npages; i += SWAPFILE_STAGE_PAGES)
		ok = sf_io_chunk(file, write, slot + i, pages + i, MIN(npages - i, SWAPFILE_STAGE_PAGES));
	mutex_unlock(&sf_io_lock);
	return ok ? KERN_SUCCESS : KERN_MEMORY_ERROR;
}

/* sf_finish: nothing is ever left in flight. */
static kern_return_t sf_finish(void *file, void *io)
{
	(void)file;
	(void)io;
	return KERN_SUCCESS;
}

static void *sf_create(unsigned index, uint64_t size, char *name, size_t name_len)
{
	struct p9_swapfile *f = &sf_files[index];
	int err;

	snprintf(f->path, sizeof(f->path), "%s/swapfile%u", sf_dir, index);
	f->reported = false;
	snprintf(name, name_len, "%s", f->path);
	err = p9_file_open(sf_client, f->path,
			   P9_FILE_READ | P9_FILE_WRITE | P9_FILE_CREATE | P9_FILE_TRUNC, 0600, &f->file);
	if (!err && (err = p9_file_truncate(&f->file, size)) != 0) {
		p9_file_close(&f->file);
		p9_unlink(sf_client, f->path);
	}
	if (err) {
		kprintf("swapfile: cannot create %s: %s\n", f->path, p9_strerror(err));
		return NULL;
	}
	return f;
}

static void sf_destroy(void *file)
{
	struct p9_swapfile *f = file;
	int err;

	p9_file_close(&f->file);
	err = p9_unlink(sf_client, f->path);
	kprintf("swapfile: removed %s%s%s\n", f->path, err ? ": unlink: " : "",
		err ? p9_strerror(err) : "");
}

static const struct swapfile_store_ops sf_store = {
	.create = sf_create, .destroy = sf_destroy, .start = sf_start, .finish = sf_finish,
};

/* sf_remove_stale: a swapfile<N> left in the directory by an earlier boot goes. */
static int sf_remove_stale(void *arg, const struct p9_dirent *d)
{
	char path[SWAPFILE_PATH_MAX + P9_NAME_MAX];

	(void)arg;
	if (strncmp(d->name, "swapfile", 8) != 0)
		return 0;
	snprintf(path, sizeof(path), "%s/%s", sf_dir, d->name);
	kprintf("swapfile: removing %s, left from an earlier boot\n", path);
	p9_unlink(sf_client, path);
	return 0;
}

/* sf_share: the share and directory spec names; false (reported) if unusable. */
static bool sf_share(const char *spec)
{
	char arg[SWAPFILE_PATH_MAX], *colon;
	struct virtio_9p *share;
	int err;

	if (strlen(spec) >= sizeof(arg)) {
		kprintf("swapfile: \"%s\" is longer than %zu bytes: swap files off\n", spec,
			sizeof(arg) - 1);
		return false;
	}
	snprintf(arg, sizeof(arg), "%s", spec);
	colon = strchr(arg, ':');
	if (colon)
		*colon = '\0';
	snprintf(sf_dir, sizeof(sf_dir), "%s", colon && colon[1] ? colon + 1 : "swap");
	share = virtio_9p_find(arg);
	if (!share) {
		kprintf("swapfile: no 9p share \"%s\": swap files off\n", arg);
		return false;
	}
	sf_client = &share->client;
	__atomic_store_n(&share->vd.timeout_ns, SWAP_IO_TIMEOUT_NS, __ATOMIC_RELAXED);
	err = p9_dir_create(sf_client, sf_dir, 0700);
	if (err && err != P9_EEXIST) {
		kprintf("swapfile: cannot make %s: %s: swap files off\n", sf_dir, p9_strerror(err));
		return false;
	}
	p9_dir_list(sf_client, sf_dir, sf_remove_stale, NULL);
	return true;
}

bool virtio_9p_swapfile_init(const char *spec)
{
	vm_offset_t stage = 0;

	if (!sf_share(spec))
		return false;
	if (kmem_alloc_wired(kernel_map, &stage, ptoa(SWAPFILE_STAGE_PAGES)) != KERN_SUCCESS) {
		kprintf("swapfile: no memory for the staging buffer: swap files off\n");
		return false;
	}
	sf_stage = (uint8_t *)stage;
	kprintf("swapfile: in %s\n", sf_dir);
	if (!dynamic_pager_start(&sf_store)) {
		kmem_free(kernel_map, stage, ptoa(SWAPFILE_STAGE_PAGES));
		return false;
	}
	return true;
}
