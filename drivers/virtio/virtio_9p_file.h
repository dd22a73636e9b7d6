/*
 * virtio_9p_file.h: files of a virtio-9p share mapped as VM objects: the
 * file I/O adapter of the vnode pager (vm/vnode_pager.h).
 */
#ifndef DRIVERS_VIRTIO_VIRTIO_9P_FILE_H
#define DRIVERS_VIRTIO_VIRTIO_9P_FILE_H

#include "vm/vm_named_entry.h"

/*
 * virtio_9p_file_entry: a handle (*handle, one reference) to [0, size) of
 * the file at path in the share with mount tag `tag` (size 0: the whole
 * file; vnode_pager_setup says the rest), for vm_map.  The file is opened
 * for writing too if permission holds VM_PROT_WRITE.
 * => KERN_INVALID_ARGUMENT (NULL, no such share, a bad path),
 *    KERN_NOT_FOUND (no such file), KERN_PROTECTION_FAILURE (the server
 *    refused the access), KERN_MEMORY_ERROR (another server error),
 *    vnode_pager_setup's errors
 */
kern_return_t virtio_9p_file_entry(const char *tag, const char *path, vm_prot_t permission,
				   vm_size_t size, vm_named_entry_t *handle);

/* virtio_9p_file_count: files the adapter holds open, for accounting checks. */
uint64_t virtio_9p_file_count(void);

#endif
