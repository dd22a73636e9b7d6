/*
 * 9p_test.c: the 9P2000.L client over virtio-9p against a real host
 * directory.  At each checkpoint the guest prints "HOSTCHECK <name>" and
 * waits for tests/kernel/9p_host.sh to look at the files from the host
 * side and answer ok or fail.
 */
#include <stdio.h>
#include <string.h>

#include "drivers/virtio/virtio_9p.h"
#include "kern/thread.h"
#include "tests/kernel/ktest.h"
#include "vm/vm_kern.h"

KTEST_RUN(9p, "test=9p", "-m 256M -smp 2 --9p share --host-check tests/kernel/9p_host.sh");

#define LINE_BYTES	15		/* "9p line %06d\n" */

static struct p9_client *share(void)
{
	struct virtio_9p *v = virtio_9p_find("share");

	return v ? &v->client : NULL;
}

/* lines: n lines "9p line %06d\n" into buf (n * LINE_BYTES + 1 bytes). */
static void lines(char *buf, int n)
{
	for (int i = 0; i < n; i++)
		snprintf(buf + i * LINE_BYTES, LINE_BYTES + 1, "9p line %06d\n", i);
}

/* put: create path with exactly len bytes of data. */
static int put(struct p9_client *c, const char *path, const void *data, size_t len)
{
	struct p9_file f;
	size_t done = 0;
	int err = p9_file_open(c, path, P9_FILE_WRITE | P9_FILE_CREATE | P9_FILE_TRUNC, 0644, &f);

	if (err)
		return err;
	err = p9_file_write(&f, 0, data, len, &done);
	if (!err && done != len)
		err = P9_EIO;
	if (!err)
		err = p9_file_fsync(&f);
	p9_file_close(&f);
	return err;
}

struct listing {
	int n;
	char names[8][16];
};

static int collect(void *arg, const struct p9_dirent *d)
{
	struct listing *l = arg;

	if (d->name[0] != '.' && l->n < 8)
		snprintf(l->names[l->n++], sizeof(l->names[0]), "%s", d->name);
	return 0;
}

static bool listed(const struct listing *l, const char *name)
{
	for (int i = 0; i < l->n; i++)
		if (strcmp(l->names[i], name) == 0)
			return true;
	return false;
}

/* Create, write, read back, truncate, list and unlink, checked from the host at each step. */
KTEST(9p, files_seen_from_the_host)
{
	const size_t big = 20000 * LINE_BYTES;
	struct p9_client *c = share();
	vm_offset_t wbuf = 0, rbuf = 0;
	struct p9_file f;
	struct p9_attr st;
	struct listing l = { 0 };
	size_t done = 0;
	static const char hello[] = "hello from the guest\n";

	ASSERT_TRUE(c != NULL);
	ASSERT_EQ(kmem_alloc(kernel_map, &wbuf, round_page(big + 1)), KERN_SUCCESS);
	ASSERT_EQ(kmem_alloc(kernel_map, &rbuf, round_page(big + 1)), KERN_SUCCESS);
	lines((char *)wbuf, 20000);
	EXPECT_EQ(p9_dir_create(c, "dir", 0755), 0);
	/* 300,000 bytes: several Twrites at this msize. */
	EXPECT_EQ(put(c, "dir/a.txt", (void *)wbuf, big), 0);
	EXPECT_GT(big, c->iounit);
	EXPECT_EQ(put(c, "dir/b.txt", (void *)wbuf, 100 * LINE_BYTES), 0);
	EXPECT_EQ(put(c, "top.txt", hello, sizeof(hello) - 1), 0);
	ASSERT_EQ(p9_file_open(c, "dir/a.txt", P9_FILE_READ | P9_FILE_WRITE, 0, &f), 0);
	EXPECT_EQ(p9_file_read(&f, 0, (void *)rbuf, big + 1, &done), 0);
	EXPECT_EQ(done, big);
	EXPECT_EQ(memcmp((void *)rbuf, (void *)wbuf, big), 0);
	EXPECT_TRUE(ktest_host_check(c, "created"));

	EXPECT_EQ(p9_file_truncate(&f, 1000 * LINE_BYTES), 0);
	EXPECT_EQ(p9_file_stat(&f, &st), 0);
	EXPECT_EQ(st.size, 1000 * LINE_BYTES);
	EXPECT_EQ(p9_file_close(&f), 0);
	EXPECT_TRUE(ktest_host_check(c, "truncated"));

	EXPECT_EQ(p9_dir_list(c, "dir", collect, &l), 0);
	EXPECT_EQ(l.n, 2);
	EXPECT_TRUE(listed(&l, "a.txt") && listed(&l, "b.txt"));

	EXPECT_EQ(p9_unlink(c, "dir/a.txt"), 0);
	EXPECT_EQ(p9_unlink(c, "dir/b.txt"), 0);
	EXPECT_EQ(p9_unlink(c, "top.txt"), 0);
	EXPECT_EQ(p9_dir_remove(c, "dir"), 0);
	EXPECT_EQ(p9_stat(c, "top.txt", &st), P9_ENOENT);
	EXPECT_TRUE(ktest_host_check(c, "unlinked"));
	EXPECT_EQ(p9_client_fids_in_use(c), 1);	/* the root */
	kmem_free(kernel_map, wbuf, round_page(big + 1));
	kmem_free(kernel_map, rbuf, round_page(big + 1));
}

/* Server errors come back as their errno; bad names never leave the guest. */
KTEST(9p, errors_and_bad_names)
{
	struct p9_client *c = share();
	struct virtio_9p *v = virtio_9p_find("share");
	char long_name[P9_NAME_MAX + 2];
	struct p9_file f;
	struct p9_statfs sfs;
	struct p9_attr st;
	uint64_t rpcs;

	ASSERT_TRUE(c != NULL);
	EXPECT_EQ(p9_file_open(c, "missing.txt", P9_FILE_READ, 0, &f), P9_ENOENT);
	EXPECT_EQ(p9_stat(c, "no/such/dir", &st), P9_ENOENT);
	EXPECT_EQ(p9_dir_create(c, "d", 0755), 0);
	EXPECT_EQ(p9_dir_create(c, "d", 0755), P9_EEXIST);
	EXPECT_EQ(put(c, "d/x", "x", 1), 0);
	EXPECT_EQ(p9_dir_remove(c, "d"), P9_ENOTEMPTY);
	EXPECT_EQ(p9_file_open(c, "d/x", P9_FILE_WRITE | P9_FILE_CREATE | P9_FILE_EXCL, 0644, &f),
		  P9_EEXIST);
	EXPECT_EQ(p9_unlink(c, "d/x"), 0);
	EXPECT_EQ(p9_dir_remove(c, "d"), 0);
	EXPECT_EQ(p9_fs_statfs(c, "", &sfs), 0);
	EXPECT_GT(sfs.blocks, 0);

	memset(long_name, 'n', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	rpcs = v->rpcs;
	EXPECT_EQ(p9_unlinkat(c, c->root_fid, "a/b", 0), P9_EINVAL);
	EXPECT_EQ(p9_unlinkat(c, c->root_fid, "..", 0), P9_EINVAL);
	EXPECT_EQ(p9_unlinkat(c, c->root_fid, "", 0), P9_EINVAL);
	EXPECT_EQ(p9_unlinkat(c, c->root_fid, long_name, 0), P9_ENAMETOOLONG);
	EXPECT_EQ(p9_file_open(c, long_name, P9_FILE_WRITE | P9_FILE_CREATE, 0644, &f),
		  P9_ENAMETOOLONG);
	EXPECT_EQ(p9_dir_create(c, "x/../y", 0755), P9_EINVAL);
	EXPECT_EQ(v->rpcs, rpcs);		/* none of these reached the device */
	EXPECT_EQ(p9_client_fids_in_use(c), 1);
}
