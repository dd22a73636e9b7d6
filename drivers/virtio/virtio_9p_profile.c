/*
 * virtio_9p_profile.c: working-set profiles on a virtio-9p share (see
 * virtio_9p_profile.h).
 */
#include "drivers/virtio/virtio_9p.h"
#include "drivers/virtio/virtio_9p_profile.h"
#include "kern/kernel.h"

struct profile_file {
	uint64_t magic, count;
	struct {
		uint64_t va, pages;
	} line[VM_WS_LINES];
};

int virtio_9p_profile_save(struct virtio_9p *share, const char *path, vm_ws_t ws)
{
	static struct profile_file pf;		/* one save at a time: the callers are tests and boot */
	struct vm_ws_line lines[VM_WS_LINES];
	int n = vm_ws_export(ws, lines, VM_WS_LINES), err;
	size_t len = 2 * sizeof(uint64_t) + (size_t)n * sizeof(pf.line[0]), done = 0;
	struct p9_file f;

	pf.magic = VIRTIO_9P_PROFILE_MAGIC;
	pf.count = (uint64_t)n;
	for (int i = 0; i < n; i++) {
		pf.line[i].va = lines[i].va;
		pf.line[i].pages = lines[i].pages;
	}
	err = p9_file_open(&share->client, path, P9_FILE_WRITE | P9_FILE_CREATE | P9_FILE_TRUNC, 0644,
			   &f);
	if (err)
		return err;
	err = p9_file_write(&f, 0, &pf, len, &done);
	p9_file_close(&f);
	return err ? err : done == len ? 0 : P9_EIO;
}

int virtio_9p_profile_load(struct virtio_9p *share, const char *path, vm_ws_t ws)
{
	static struct profile_file pf;
	struct vm_ws_line lines[VM_WS_LINES];
	size_t done = 0;
	struct p9_file f;
	int err = p9_file_open(&share->client, path, P9_FILE_READ, 0, &f);

	if (err)
		return err;
	err = p9_file_read(&f, 0, &pf, sizeof(pf), &done);
	p9_file_close(&f);
	if (err)
		return err;
	if (done < 2 * sizeof(uint64_t) || pf.magic != VIRTIO_9P_PROFILE_MAGIC ||
	    pf.count > VM_WS_LINES || done < 2 * sizeof(uint64_t) + pf.count * sizeof(pf.line[0]))
		return P9_EINVAL;
	for (uint64_t i = 0; i < pf.count; i++)
		lines[i] = (struct vm_ws_line){ .va = pf.line[i].va, .pages = (uint32_t)pf.line[i].pages };
	vm_ws_import(ws, lines, (int)pf.count);
	return 0;
}
