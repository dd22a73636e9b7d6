/*
 * test_p9.c: the 9P2000.L client on the host (ASan/UBSan) against an
 * in-memory 9P2000.L server reached through a plain function call.
 *
 * The fake server decodes every T-message with its own bounds-checked
 * reader and serves it over a tree of directories and files, the way a
 * real server would: fids, open modes, partial walks, readdir cookies,
 * Rlerror errnos.  It also polices the client: a malformed T-message, a
 * message over msize, a tag already in flight, a reused live fid or a bad
 * name on the wire counts as a bad request, and every test ends with none,
 * no fid left on the server and no message buffer left on the heap.
 *
 * Knobs inject faults into the next message of one type: an Rlerror, a
 * reply cut short, garbled, with the wrong tag or type, too long for its
 * buffer, or a transport error before or after the server acted.
 *
 * Threads: fake_kern.c's mutex is for one host thread (it panics if the
 * lock is ever found held), so several pthreads cannot share a client
 * here.  Interleaving is tested instead by running whole client operations
 * from inside the transport while another call is in flight, which also
 * proves the client lock is never held across a transport call.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/9p/p9.h"
#include "kern/kernel.h"
#include "tests/unit/utest.h"
#include "vm/xmalloc.h"

/* --- the kernel heaps over malloc ------------------------------------------- */

static int kernel_heap_token, pinned_heap_token;
heapaddr_t kernel_heap = &kernel_heap_token;
heapaddr_t pinned_heap = &pinned_heap_token;
static long heap_live;		/* allocations not yet freed */
static int heap_fail_in;	/* > 0: the heap_fail_in-th xmalloc from now fails */

/*
 * xmalloc: the two words before the data hold what malloc gave and the
 * heap, so that freeing into the other heap (a client moved half-way from
 * one heap to the other) is refused.
 */
caddr_t xmalloc(int size, int align, heapaddr_t heap)
{
	size_t a = (size_t)1 << (align < 0 ? 0 : align), pad = a < 16 ? 16 : a;
	char *p;

	if ((heap != kernel_heap && heap != pinned_heap) || size <= 0 || align < 0 || align > 12)
		return NULL;
	if (heap_fail_in > 0 && --heap_fail_in == 0)
		return NULL;
	p = aligned_alloc(pad, pad + ((size_t)size + pad - 1) / pad * pad);
	if (p == NULL)
		return NULL;
	heap_live++;
	((void **)(p + pad))[-2] = p;
	((heapaddr_t *)(p + pad))[-1] = heap;
	return p + pad;
}

int xmfree(caddr_t ptr, heapaddr_t heap)
{
	heapaddr_t *owner = (heapaddr_t *)ptr - 1;

	if (ptr == NULL || *owner != heap)
		return -1;
	*owner = NULL;
	free(((void **)ptr)[-2]);
	heap_live--;
	return 0;
}

/* --- the fake server ---------------------------------------------------------- */

#define FS_NODES	2048
#define FS_FIDS		1100
#define FS_QID_BASE	0x5000u
#define FS_BUF		(P9_MSIZE_CAP + 1024)	/* room for any reply the fake builds */
#define FS_INFLIGHT	16

struct fs_node {
	bool used, linked, dir;
	int parent;
	char name[P9_NAME_MAX + 1];
	uint32_t perm;
	uint32_t version;
	uint8_t *data;
	size_t size, cap;
};

struct fs_fid {
	bool used;
	uint32_t fid;
	int node;
	bool open;
	uint32_t oflags;
};

enum fault {
	FAULT_NONE,
	FAULT_LERROR,		/* Rlerror ecode instead of serving (Tclunk: after) */
	FAULT_LERROR_ZERO,	/* Rlerror carrying ecode 0 */
	FAULT_LERROR_BIG,	/* Rlerror carrying an ecode above P9_ERRNO_MAX */
	FAULT_SHORT,		/* 5 bytes: less than a header */
	FAULT_TRUNCATE,		/* the last byte cut off, the size field agreeing */
	FAULT_SIZE_FIELD,	/* the size field one more than the bytes sent */
	FAULT_TAG,		/* another tag */
	FAULT_TYPE,		/* another R-message type */
	FAULT_TRAILING,		/* one byte too many, the size field agreeing */
	FAULT_OVERSIZE,		/* *rlen beyond the client's buffer */
	FAULT_GARBLE,		/* nonsense in the body, per type (fk_garble) */
	FAULT_LONG,		/* longer, header agreeing: Rread/Rreaddir one byte over the count asked */
	FAULT_LOSE_REQUEST,	/* transport error; the server never sees the request */
	FAULT_LOSE_REPLY,	/* the server acts, then the transport fails */
};

static struct fake {
	struct fs_node nodes[FS_NODES];
	int nnodes;
	struct fs_fid fids[FS_FIDS];
	uint32_t max_msize;		/* the server's own limit */
	uint32_t msize;			/* negotiated; 0 before Tversion */
	uint32_t reply_msize;		/* nonzero: Rversion answers this */
	const char *reply_version;	/* non-NULL: Rversion answers this */
	uint32_t asked_msize;		/* the last Tversion's msize */
	char uname[64], aname[64];
	uint32_t n_uname;
	uint32_t lopen_iounit;		/* Rlopen/Rlcreate iounit */
	uint32_t read_max, write_max;	/* nonzero: short reads/writes */
	uint32_t readdir_max;		/* nonzero: bytes of entries per Rreaddir */
	bool bad_dirent;		/* the next Rreaddir's first name holds a '/' */
	bool readdir_stuck;		/* Rreaddir offsets never advance */
	unsigned nmsgs;			/* T-messages seen */
	unsigned count[256];		/* ... by type */
	unsigned bad_requests;		/* client misbehaviour seen */
	uint16_t inflight[FS_INFLIGHT];
	int ninflight;
	int depth;			/* nested transport calls (hook) */
	uint8_t hook_type;
	void (*hook)(void);		/* run before serving hook_type, at depth 0 */
	uint8_t fault_type;
	enum fault fault;
	uint32_t fault_ecode;
	uint32_t last_count;		/* count of the last Tread/Twrite/Treaddir */
	uint32_t fsyncs;
} fk;

static void bad(const char *why)
{
	fprintf(stderr, "fake 9p server: bad request: %s\n", why);
	fk.bad_requests++;
}

static void fk_reset(uint32_t max_msize)
{
	for (int i = 0; i < fk.nnodes; i++)
		free(fk.nodes[i].data);
	memset(&fk, 0, sizeof(fk));
	fk.max_msize = max_msize;
	fk.nodes[0] = (struct fs_node){ .used = true, .linked = true, .dir = true, .perm = 0755 };
	fk.nnodes = 1;
	heap_live = 0;
	heap_fail_in = 0;
}

static void fk_arm(uint8_t ttype, enum fault f, uint32_t ecode)
{
	fk.fault_type = ttype;
	fk.fault = f;
	fk.fault_ecode = ecode;
}

/* tree */

static int fk_child(int dir, const char *name)
{
	for (int i = 1; i < fk.nnodes; i++) {
		struct fs_node *n = &fk.nodes[i];

		if (n->used && n->linked && n->parent == dir && strcmp(n->name, name) == 0)
			return i;
	}
	return -1;
}

static bool fk_has_children(int dir)
{
	for (int i = 1; i < fk.nnodes; i++)
		if (fk.nodes[i].used && fk.nodes[i].linked && fk.nodes[i].parent == dir)
			return true;
	return false;
}

static int fk_node_new(int parent, const char *name, bool dir, uint32_t perm)
{
	struct fs_node *n;

	if (fk.nnodes == FS_NODES)
		return -1;
	n = &fk.nodes[fk.nnodes];
	*n = (struct fs_node){ .used = true, .linked = true, .dir = dir, .parent = parent,
			       .perm = perm & 07777 };
	snprintf(n->name, sizeof(n->name), "%s", name);
	return fk.nnodes++;
}

static void fk_resize(struct fs_node *n, size_t size)
{
	if (size > n->cap) {
		size_t cap = size * 2 + 64;

		n->data = realloc(n->data, cap);
		memset(n->data + n->cap, 0, cap - n->cap);
		n->cap = cap;
	}
	if (size < n->size)
		memset(n->data + size, 0, n->size - size);
	n->size = size;
	n->version++;
}

/* fk_file: a file made directly in the tree (test preparation, no messages). */
static int fk_file(int parent, const char *name, const void *data, size_t len)
{
	int i = fk_node_new(parent, name, false, 0644);

	fk_resize(&fk.nodes[i], len);
	if (len > 0)
		memcpy(fk.nodes[i].data, data, len);
	return i;
}

/* fids */

static struct fs_fid *fk_fid(uint32_t fid)
{
	for (int i = 0; i < FS_FIDS; i++)
		if (fk.fids[i].used && fk.fids[i].fid == fid)
			return &fk.fids[i];
	return NULL;
}

static struct fs_fid *fk_fid_new(uint32_t fid, int node)
{
	if (fk_fid(fid) != NULL)
		return NULL;
	for (int i = 0; i < FS_FIDS; i++) {
		if (!fk.fids[i].used) {
			fk.fids[i] = (struct fs_fid){ .used = true, .fid = fid, .node = node };
			return &fk.fids[i];
		}
	}
	return NULL;
}

static int fk_fids_used(void)
{
	int n = 0;

	for (int i = 0; i < FS_FIDS; i++)
		n += fk.fids[i].used;
	return n;
}

/* wire */

struct fk_rd {
	const uint8_t *p;
	size_t len, pos;
	bool bad;
};

struct fk_wr {
	uint8_t *p;
	size_t len;
};

static const uint8_t *fk_get(struct fk_rd *r, size_t n)
{
	if (r->bad || n > r->len - r->pos) {
		r->bad = true;
		return NULL;
	}
	r->pos += n;
	return r->p + r->pos - n;
}

static uint64_t fk_getn(struct fk_rd *r, size_t n)
{
	const uint8_t *p = fk_get(r, n);
	uint64_t v = 0;

	for (size_t i = 0; p != NULL && i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* fk_get_str: a string into buf (cap bytes, NUL-terminated); its wire length. */
static size_t fk_get_str(struct fk_rd *r, char *buf, size_t cap)
{
	size_t n = (size_t)fk_getn(r, 2);
	const uint8_t *p = fk_get(r, n);

	buf[0] = '\0';
	if (p != NULL && n < cap) {
		memcpy(buf, p, n);
		buf[n] = '\0';
	} else if (p != NULL) {
		r->bad = true;
	}
	return n;
}

/* fk_req_done: was the request body consumed exactly? */
static bool fk_req_done(struct fk_rd *r)
{
	if (r->bad || r->pos != r->len) {
		bad("T-message body malformed");
		return false;
	}
	return true;
}

static void fk_putn(struct fk_wr *w, uint64_t v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		w->p[w->len++] = (uint8_t)(v >> (8 * i));
}

static void fk_put_bytes(struct fk_wr *w, const void *p, size_t n)
{
	if (n > 0)
		memcpy(w->p + w->len, p, n);
	w->len += n;
}

static void fk_put_str(struct fk_wr *w, const char *s)
{
	fk_putn(w, strlen(s), 2);
	fk_put_bytes(w, s, strlen(s));
}

static void fk_put_qid(struct fk_wr *w, int node)
{
	fk_putn(w, fk.nodes[node].dir ? P9_QTDIR : P9_QTFILE, 1);
	fk_putn(w, fk.nodes[node].version, 4);
	fk_putn(w, FS_QID_BASE + (uint64_t)node, 8);
}

/* fk_name_ok: a name the client may send; anything else is its bug. */
static bool fk_name_ok(const char *s, size_t wire_len)
{
	if (wire_len == 0 || wire_len > P9_NAME_MAX || strlen(s) != wire_len ||
	    strchr(s, '/') != NULL || strcmp(s, ".") == 0 || strcmp(s, "..") == 0) {
		bad("invalid name on the wire");
		return false;
	}
	return true;
}

/* handlers: decode the request body, act, encode the reply body; errno for Rlerror */

static int fk_tversion(struct fk_rd *q, struct fk_wr *w)
{
	char v[64];
	uint32_t ask = (uint32_t)fk_getn(q, 4), msize;

	fk_get_str(q, v, sizeof(v));
	if (!fk_req_done(q))
		return P9_EINVAL;
	fk.asked_msize = ask;
	msize = fk.reply_msize ? fk.reply_msize : (ask < fk.max_msize ? ask : fk.max_msize);
	fk.msize = msize;
	memset(fk.fids, 0, sizeof(fk.fids));	/* a new session */
	fk_putn(w, msize, 4);
	fk_put_str(w, fk.reply_version ? fk.reply_version :
		      strcmp(v, P9_VERSION) == 0 ? P9_VERSION : "unknown");
	return 0;
}

static int fk_tattach(struct fk_rd *q, struct fk_wr *w)
{
	uint32_t fid = (uint32_t)fk_getn(q, 4), afid = (uint32_t)fk_getn(q, 4);

	fk_get_str(q, fk.uname, sizeof(fk.uname));
	fk_get_str(q, fk.aname, sizeof(fk.aname));
	fk.n_uname = (uint32_t)fk_getn(q, 4);
	if (!fk_req_done(q))
		return P9_EINVAL;
	if (afid != P9_NOFID)
		bad("Tattach with an afid");
	if (fk_fid_new(fid, 0) == NULL) {
		bad("Tattach of a live fid");
		return P9_EBADF;
	}
	fk_put_qid(w, 0);
	return 0;
}

static int fk_twalk(struct fk_rd *q, struct fk_wr *w)
{
	char names[P9_WALK_MAX][P9_NAME_MAX + 1];
	uint32_t fid = (uint32_t)fk_getn(q, 4), newfid = (uint32_t)fk_getn(q, 4);
	unsigned n = (unsigned)fk_getn(q, 2), nq = 0;
	int path[P9_WALK_MAX], cur;
	struct fs_fid *f;

	if (n > P9_WALK_MAX) {
		bad("Twalk of more than 16 names");
		return P9_EINVAL;
	}
	for (unsigned i = 0; i < n; i++)
		if (!fk_name_ok(names[i], fk_get_str(q, names[i], sizeof(names[i]))))
			return P9_EINVAL;
	if (!fk_req_done(q))
		return P9_EINVAL;
	f = fk_fid(fid);
	if (f == NULL || f->open)
		return P9_EBADF;
	if (newfid != fid && fk_fid(newfid) != NULL) {
		bad("Twalk to a live newfid");
		return P9_EBADF;
	}
	for (cur = f->node; nq < n && fk.nodes[cur].dir; nq++) {
		int ch = fk_child(cur, names[nq]);

		if (ch < 0)
			break;
		path[nq] = cur = ch;
	}
	if (n > 0 && nq == 0)
		return fk.nodes[f->node].dir ? P9_ENOENT : P9_ENOTDIR;
	if (nq == n && newfid == fid)
		f->node = cur;
	else if (nq == n)
		fk_fid_new(newfid, cur);
	fk_putn(w, nq, 2);
	for (unsigned i = 0; i < nq; i++)
		fk_put_qid(w, path[i]);
	return 0;
}

static int fk_open_fid(struct fs_fid *f, uint32_t flags, struct fk_wr *w)
{
	struct fs_node *n = &fk.nodes[f->node];

	if (n->dir && (flags & P9_DOTL_ACCMODE) != P9_DOTL_RDONLY)
		return P9_EISDIR;
	if (!n->dir && (flags & P9_DOTL_TRUNC) && (flags & P9_DOTL_ACCMODE) != P9_DOTL_RDONLY)
		fk_resize(n, 0);
	f->open = true;
	f->oflags = flags;
	fk_put_qid(w, f->node);
	fk_putn(w, fk.lopen_iounit, 4);
	return 0;
}

static int fk_tlopen(struct fk_rd *q, struct fk_wr *w)
{
	uint32_t fid = (uint32_t)fk_getn(q, 4), flags = (uint32_t)fk_getn(q, 4);
	struct fs_fid *f;

	if (!fk_req_done(q))
		return P9_EINVAL;
	f = fk_fid(fid);
	if (f == NULL || f->open)
		return P9_EBADF;
	return fk_open_fid(f, flags, w);
}

static int fk_tlcreate(struct fk_rd *q, struct fk_wr *w)
{
	char name[P9_NAME_MAX + 1];
	uint32_t fid = (uint32_t)fk_getn(q, 4);
	size_t len = fk_get_str(q, name, sizeof(name));
	uint32_t flags = (uint32_t)fk_getn(q, 4), mode = (uint32_t)fk_getn(q, 4);
	struct fs_fid *f;
	int n;

	fk_getn(q, 4);	/* gid */
	if (!fk_req_done(q) || !fk_name_ok(name, len))
		return P9_EINVAL;
	if ((mode & P9_S_IFMT) != P9_S_IFREG)
		bad("Tlcreate mode without S_IFREG");
	f = fk_fid(fid);
	if (f == NULL || f->open)
		return P9_EBADF;
	if (!fk.nodes[f->node].dir)
		return P9_ENOTDIR;
	if (fk_child(f->node, name) >= 0)
		return P9_EEXIST;
	n = fk_node_new(f->node, name, false, mode);
	if (n < 0)
		return P9_ENOSPC;
	f->node = n;
	return fk_open_fid(f, flags, w);
}

/* fk_io_fid: the open fid of a Tread/Twrite, checked for access acc_bad. */
static int fk_io_fid(uint32_t fid, uint32_t acc_bad, struct fs_fid **fp)
{
	struct fs_fid *f = fk_fid(fid);

	if (f == NULL || !f->open || (f->oflags & P9_DOTL_ACCMODE) == acc_bad)
		return P9_EBADF;
	if (fk.nodes[f->node].dir)
		return P9_EISDIR;
	*fp = f;
	return 0;
}

static int fk_tread(struct fk_rd *q, struct fk_wr *w)
{
	uint32_t fid = (uint32_t)fk_getn(q, 4);
	uint64_t off = fk_getn(q, 8);
	uint32_t count = (uint32_t)fk_getn(q, 4), n = 0;
	struct fs_fid *f = NULL;
	struct fs_node *node;
	int err;

	if (!fk_req_done(q))
		return P9_EINVAL;
	fk.last_count = count;
	if ((uint64_t)P9_HDR_SIZE + 4 + count > fk.msize)
		bad("Tread whose reply would exceed msize");
	err = fk_io_fid(fid, P9_DOTL_WRONLY, &f);
	if (err)
		return err;
	node = &fk.nodes[f->node];
	if (off < node->size)
		n = (uint32_t)(node->size - off < count ? node->size - off : count);
	if (fk.read_max && n > fk.read_max)
		n = fk.read_max;
	if (n > FS_BUF - 64)
		n = FS_BUF - 64;
	fk_putn(w, n, 4);
	fk_put_bytes(w, n ? node->data + off : NULL, n);
	return 0;
}

static int fk_twrite(struct fk_rd *q, struct fk_wr *w)
{
	uint32_t fid = (uint32_t)fk_getn(q, 4);
	uint64_t off = fk_getn(q, 8);
	uint32_t count = (uint32_t)fk_getn(q, 4);
	const uint8_t *data = fk_get(q, count);
	struct fs_fid *f = NULL;
	struct fs_node *node;
	int err;

	if (!fk_req_done(q))
		return P9_EINVAL;
	fk.last_count = count;
	err = fk_io_fid(fid, P9_DOTL_RDONLY, &f);
	if (err)
		return err;
	if (fk.write_max && count > fk.write_max)
		count = fk.write_max;
	node = &fk.nodes[f->node];
	if (off + count > node->size)
		fk_resize(node, off + count);
	if (count > 0)
		memcpy(node->data + off, data, count);
	node->version++;
	fk_putn(w, count, 4);
	return 0;
}

static int fk_tfsync(struct fk_rd *q, struct fk_wr *w)
{
	uint32_t fid = (uint32_t)fk_getn(q, 4);

	(void)w;
	fk_getn(q, 4);	/* datasync */
	if (!fk_req_done(q))
		return P9_EINVAL;
	if (fk_fid(fid) == NULL || !fk_fid(fid)->open)
		return P9_EBADF;
	fk.fsyncs++;
	return 0;
}

static int fk_tgetattr(struct fk_rd *q, struct fk_wr *w)
{
	uint32_t fid = (uint32_t)fk_getn(q, 4);
	struct fs_node *n;
	struct fs_fid *f;

	fk_getn(q, 8);	/* request_mask */
	if (!fk_req_done(q))
		return P9_EINVAL;
	f = fk_fid(fid);
	if (f == NULL)
		return P9_EBADF;
	n = &fk.nodes[f->node];
	fk_putn(w, P9_GETATTR_BASIC, 8);
	fk_put_qid(w, f->node);
	fk_putn(w, (n->dir ? P9_S_IFDIR : P9_S_IFREG) | n->perm, 4);
	fk_putn(w, 1000, 4);			/* uid */
	fk_putn(w, 1001, 4);			/* gid */
	fk_putn(w, n->dir ? 2 : 1, 8);		/* nlink */
	fk_putn(w, 0, 8);			/* rdev */
	fk_putn(w, n->size, 8);
	fk_putn(w, 4096, 8);			/* blksize */
	fk_putn(w, (n->size + 511) / 512, 8);	/* blocks */
	for (int i = 0; i < 8; i++)		/* a/m/c/btime sec and nsec */
		fk_putn(w, 1700000000u + (uint64_t)i, 8);
	fk_putn(w, 0, 8);			/* gen */
	fk_putn(w, n->version, 8);		/* data_version */
	return 0;
}

static int fk_tsetattr(struct fk_rd *q, struct fk_wr *w)
{
	uint32_t fid = (uint32_t)fk_getn(q, 4), valid = (uint32_t)fk_getn(q, 4);
	uint32_t mode = (uint32_t)fk_getn(q, 4);
	uint64_t size;
	struct fs_fid *f;

	(void)w;
	fk_getn(q, 8);	/* uid, gid */
	size = fk_getn(q, 8);
	fk_get(q, 32);	/* times */
	if (!fk_req_done(q))
		return P9_EINVAL;
	f = fk_fid(fid);
	if (f == NULL)
		return P9_EBADF;
	if ((valid & P9_SETATTR_SIZE) && fk.nodes[f->node].dir)
		return P9_EISDIR;
	if (valid & P9_SETATTR_SIZE)
		fk_resize(&fk.nodes[f->node], size);
	if (valid & P9_SETATTR_MODE)
		fk.nodes[f->node].perm = mode & 07777;
	return 0;
}

/* fk_dirent: the k-th entry of dir: ".", "..", then the children in node order. */
static int fk_dirent(int dir, uint64_t k, const char **name)
{
	if (k == 0 || k == 1) {
		*name = k == 0 ? "." : "..";
		return k == 0 ? dir : fk.nodes[dir].parent;
	}
	k -= 2;
	for (int i = 1; i < fk.nnodes; i++) {
		struct fs_node *n = &fk.nodes[i];

		if (n->used && n->linked && n->parent == dir && k-- == 0) {
			*name = n->name;
			return i;
		}
	}
	return -1;
}

static int fk_treaddir(struct fk_rd *q, struct fk_wr *w)
{
	uint32_t fid = (uint32_t)fk_getn(q, 4);
	uint64_t off = fk_getn(q, 8);
	uint32_t count = (uint32_t)fk_getn(q, 4);
	size_t at, limit;
	struct fs_fid *f;
	const char *name;
	int node;

	if (!fk_req_done(q))
		return P9_EINVAL;
	fk.last_count = count;
	if ((uint64_t)P9_HDR_SIZE + 4 + count > fk.msize)
		bad("Treaddir whose reply would exceed msize");
	f = fk_fid(fid);
	if (f == NULL || !f->open)
		return P9_EBADF;
	if (!fk.nodes[f->node].dir)
		return P9_ENOTDIR;
	limit = fk.readdir_max && fk.readdir_max < count ? fk.readdir_max : count;
	at = w->len;
	fk_putn(w, 0, 4);
	for (; (node = fk_dirent(f->node, off, &name)) >= 0; off++) {
		if (w->len - at - 4 + P9_DIRENT_FIXED + strlen(name) > limit)
			break;
		fk_put_qid(w, node);
		fk_putn(w, fk.readdir_stuck ? 0 : off + 1, 8);
		fk_putn(w, fk.nodes[node].dir ? P9_DT_DIR : P9_DT_REG, 1);
		fk_put_str(w, fk.bad_dirent ? "a/b" : name);
		fk.bad_dirent = false;
	}
	for (int i = 0; i < 4; i++)
		w->p[at + i] = (uint8_t)((w->len - at - 4) >> (8 * i));
	return 0;
}

static int fk_tunlinkat(struct fk_rd *q, struct fk_wr *w)
{
	char name[P9_NAME_MAX + 1];
	uint32_t fid = (uint32_t)fk_getn(q, 4);
	size_t len = fk_get_str(q, name, sizeof(name));
	uint32_t flags = (uint32_t)fk_getn(q, 4);
	struct fs_fid *f;
	int ch;

	(void)w;
	if (!fk_req_done(q) || !fk_name_ok(name, len))
		return P9_EINVAL;
	f = fk_fid(fid);
	if (f == NULL)
		return P9_EBADF;
	if (!fk.nodes[f->node].dir)
		return P9_ENOTDIR;
	ch = fk_child(f->node, name);
	if (ch < 0)
		return P9_ENOENT;
	if ((flags & P9_AT_REMOVEDIR) && !fk.nodes[ch].dir)
		return P9_ENOTDIR;
	if ((flags & P9_AT_REMOVEDIR) && fk_has_children(ch))
		return P9_ENOTEMPTY;
	if (!(flags & P9_AT_REMOVEDIR) && fk.nodes[ch].dir)
		return P9_EISDIR;
	fk.nodes[ch].linked = false;
	return 0;
}

static int fk_tstatfs(struct fk_rd *q, struct fk_wr *w)
{
	uint32_t fid = (uint32_t)fk_getn(q, 4);

	if (!fk_req_done(q))
		return P9_EINVAL;
	if (fk_fid(fid) == NULL)
		return P9_EBADF;
	fk_putn(w, 0x01021997, 4);		/* type: V9FS_MAGIC */
	fk_putn(w, 4096, 4);			/* bsize */
	fk_putn(w, 1000000, 8);			/* blocks */
	fk_putn(w, 600000, 8);			/* bfree */
	fk_putn(w, 500000, 8);			/* bavail */
	fk_putn(w, 70000, 8);			/* files */
	fk_putn(w, 60000, 8);			/* ffree */
	fk_putn(w, 0x1122334455667788ull, 8);	/* fsid */
	fk_putn(w, 255, 4);			/* namelen */
	return 0;
}

static int fk_tclunk(struct fk_rd *q, struct fk_wr *w)
{
	uint32_t fid = (uint32_t)fk_getn(q, 4);
	struct fs_fid *f;

	(void)w;
	if (!fk_req_done(q))
		return P9_EINVAL;
	f = fk_fid(fid);
	if (f == NULL)
		return P9_EBADF;
	f->used = false;
	return 0;
}

static int fk_tmkdir(struct fk_rd *q, struct fk_wr *w)
{
	char name[P9_NAME_MAX + 1];
	uint32_t fid = (uint32_t)fk_getn(q, 4);
	size_t len = fk_get_str(q, name, sizeof(name));
	uint32_t mode = (uint32_t)fk_getn(q, 4);
	struct fs_fid *f;
	int n;

	fk_getn(q, 4);	/* gid */
	if (!fk_req_done(q) || !fk_name_ok(name, len))
		return P9_EINVAL;
	if ((mode & P9_S_IFMT) != P9_S_IFDIR)
		bad("Tmkdir mode without S_IFDIR");
	f = fk_fid(fid);
	if (f == NULL)
		return P9_EBADF;
	if (!fk.nodes[f->node].dir)
		return P9_ENOTDIR;
	if (fk_child(f->node, name) >= 0)
		return P9_EEXIST;
	n = fk_node_new(f->node, name, true, mode);
	if (n < 0)
		return P9_ENOSPC;
	fk_put_qid(w, n);
	return 0;
}

static int fk_serve(uint8_t type, struct fk_rd *q, struct fk_wr *w)
{
	switch (type) {
	case P9_TVERSION:	return fk_tversion(q, w);
	case P9_TATTACH:	return fk_tattach(q, w);
	case P9_TWALK:		return fk_twalk(q, w);
	case P9_TLOPEN:		return fk_tlopen(q, w);
	case P9_TLCREATE:	return fk_tlcreate(q, w);
	case P9_TREAD:		return fk_tread(q, w);
	case P9_TWRITE:		return fk_twrite(q, w);
	case P9_TFSYNC:		return fk_tfsync(q, w);
	case P9_TGETATTR:	return fk_tgetattr(q, w);
	case P9_TSETATTR:	return fk_tsetattr(q, w);
	case P9_TREADDIR:	return fk_treaddir(q, w);
	case P9_TUNLINKAT:	return fk_tunlinkat(q, w);
	case P9_TSTATFS:	return fk_tstatfs(q, w);
	case P9_TCLUNK:		return fk_tclunk(q, w);
	case P9_TMKDIR:		return fk_tmkdir(q, w);
	default:
		bad("unknown T-message type");
		return P9_EOPNOTSUPP;
	}
}

static void fk_set_size(uint8_t *r, size_t len)
{
	for (int i = 0; i < 4; i++)
		r[i] = (uint8_t)(len >> (8 * i));
}

/* fk_garble: type-specific nonsense in a well-formed reply r[0, *len). */
static void fk_garble(uint8_t *r, size_t *len)
{
	switch (r[4]) {
	case P9_RVERSION:	/* version string running past the message */
		r[P9_HDR_SIZE + 4] = 0xff;
		r[P9_HDR_SIZE + 5] = 0xff;
		break;
	case P9_RWALK:		/* one qid more than names walked */
	case P9_RREAD:		/* one byte more than asked or sent */
	case P9_RREADDIR:
	case P9_RWRITE:
		r[P9_HDR_SIZE]++;
		break;
	default:		/* no field to garble: cut the body short */
		(*len)--;
		fk_set_size(r, *len);
		break;
	}
}

/*
 * fk_lengthen: a longer reply whose header agrees: Rread and Rreaddir carry
 * one byte more than the count asked, anything else 100 bytes more.
 */
static void fk_lengthen(uint8_t *r, size_t *len)
{
	struct fk_wr w = { .p = r, .len = P9_HDR_SIZE };
	size_t more = 100;

	if (r[4] == P9_RREAD || r[4] == P9_RREADDIR) {
		more = P9_HDR_SIZE + 4 + (size_t)fk.last_count + 1 - *len;
		fk_putn(&w, fk.last_count + 1, 4);
	}
	memset(r + *len, 'L', more);
	*len += more;
	fk_set_size(r, *len);
}

/* fk_lerror: r becomes Rlerror ecode; its length. */
static size_t fk_lerror(uint8_t *r, uint32_t ecode)
{
	struct fk_wr w = { .p = r, .len = 4 };

	fk_putn(&w, P9_RLERROR, 1);
	w.len += 2;		/* the tag stays */
	fk_putn(&w, ecode, 4);
	fk_set_size(r, w.len);
	return w.len;
}

/* fk_deform: apply the armed malformation f to reply r[0, *len). */
static void fk_deform(enum fault f, uint8_t *r, size_t *len)
{
	switch (f) {
	case FAULT_LERROR_ZERO:	*len = fk_lerror(r, 0); break;
	case FAULT_LERROR_BIG:	*len = fk_lerror(r, P9_ERRNO_MAX + 1); break;
	case FAULT_SHORT:	*len = 5; break;
	case FAULT_TRUNCATE:	(*len)--; fk_set_size(r, *len); break;
	case FAULT_SIZE_FIELD:	fk_set_size(r, *len + 1); break;
	case FAULT_TAG:		r[5] ^= 1; break;
	case FAULT_TYPE:	r[4] = (uint8_t)(r[4] + 2); break;
	case FAULT_TRAILING:	r[(*len)++] = 0; fk_set_size(r, *len); break;
	case FAULT_GARBLE:	fk_garble(r, len); break;
	case FAULT_LONG:	fk_lengthen(r, len); break;
	default:		break;
	}
}

static void fk_tag_enter(uint8_t type, uint16_t tag)
{
	if ((type == P9_TVERSION) != (tag == P9_NOTAG))
		bad("P9_NOTAG on a message other than Tversion, or Tversion without it");
	for (int i = 0; i < fk.ninflight; i++)
		if (fk.inflight[i] == tag)
			bad("tag already in flight");
	if (fk.ninflight < FS_INFLIGHT)
		fk.inflight[fk.ninflight++] = tag;
}

static void fk_tag_leave(uint16_t tag)
{
	for (int i = 0; i < fk.ninflight; i++) {
		if (fk.inflight[i] == tag) {
			fk.inflight[i] = fk.inflight[--fk.ninflight];
			return;
		}
	}
}

/* fk_answer: serve T-message t into reply buffer r; the reply's length. */
static size_t fk_answer(const uint8_t *t, size_t tlen, enum fault f, uint8_t *r)
{
	struct fk_rd q = { .p = t, .len = tlen, .pos = P9_HDR_SIZE };
	struct fk_wr w = { .p = r, .len = P9_HDR_SIZE };
	int err = 0;

	memcpy(r + 4, t + 4, 3);	/* type, tag */
	r[4] = (uint8_t)(t[4] + 1);
	if (f != FAULT_LERROR || t[4] == P9_TCLUNK)
		err = fk_serve(t[4], &q, &w);
	if (f == FAULT_LERROR)
		err = (int)fk.fault_ecode;
	if (err)
		return fk_lerror(r, (uint32_t)err);
	fk_set_size(r, w.len);
	return w.len;
}

static int fk_rpc(void *ctx, const void *tbuf, size_t tlen, void *rbuf, size_t rcap,
		  size_t *rlen)
{
	const uint8_t *t = tbuf;
	enum fault f = FAULT_NONE;
	uint16_t tag;
	uint8_t *r;
	size_t len;

	(void)ctx;
	if (tlen < P9_HDR_SIZE || (t[0] | t[1] << 8 | t[2] << 16 | (uint32_t)t[3] << 24) != tlen) {
		bad("T-message size field");
		return P9_EIO;
	}
	if (fk.msize != 0 && tlen > fk.msize)
		bad("T-message over msize");
	tag = (uint16_t)(t[5] | t[6] << 8);
	fk.nmsgs++;
	fk.count[t[4]]++;
	fk_tag_enter(t[4], tag);
	if (fk.hook != NULL && fk.depth == 0 && t[4] == fk.hook_type) {
		fk.depth++;
		fk.hook();
		fk.depth--;
	}
	if (fk.fault != FAULT_NONE && fk.fault_type == t[4]) {
		f = fk.fault;
		fk.fault = FAULT_NONE;
	}
	if (f == FAULT_LOSE_REQUEST) {
		fk_tag_leave(tag);
		return P9_EIO;
	}
	r = malloc(FS_BUF);
	len = fk_answer(t, tlen, f, r);
	fk_deform(f, r, &len);
	fk_tag_leave(tag);
	if (f == FAULT_LOSE_REPLY) {
		free(r);
		return P9_ETIMEDOUT;
	}
	if (f == FAULT_OVERSIZE)
		len = rcap + 1;
	else if (len > rcap && f == FAULT_NONE)
		bad("reply buffer too small for a legal reply");
	/* As a device would: never write past rcap, report the length it had. */
	memcpy(rbuf, r, len < rcap ? len : rcap);
	*rlen = len;
	free(r);
	return 0;
}

static struct p9_transport fk_transport(uint32_t max_msize)
{
	return (struct p9_transport){ .rpc = fk_rpc, .ctx = &fk, .max_msize = max_msize };
}

/* --- fixtures ------------------------------------------------------------------ */

static struct p9_client cl;

static void report(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

/* setup: a fresh server allowing server_msize, and cl attached to it. */
static void setup(uint32_t server_msize)
{
	struct p9_transport t = fk_transport(1u << 20);

	fk_reset(server_msize);
	UT_ASSERT(p9_client_init(&cl, &t, "root", "/srv", 0) == 0);
	UT_EXPECT_EQ(p9_client_check(&cl, report), 0);
}

/* fk_end: the server holds no fid, the client left no buffer, nothing was illegal. */
static void fk_end(void)
{
	UT_EXPECT_EQ(fk_fids_used(), 0);
	UT_EXPECT_EQ(fk.ninflight, 0);
	UT_EXPECT_EQ(heap_live, 0);
	UT_EXPECT_EQ(fk.bad_requests, 0);
}

/* finish: only the root fid is left on both sides, then destroy and check. */
static void finish(void)
{
	UT_EXPECT_EQ(p9_client_check(&cl, report), 0);
	UT_EXPECT_EQ(p9_client_fids_in_use(&cl), 1);
	UT_EXPECT_EQ(fk_fids_used(), 1);
	UT_EXPECT_EQ(p9_client_destroy(&cl), 0);
	fk_end();
}

static uint8_t pattern(uint64_t i)
{
	return (uint8_t)(i * 131 + (i >> 8) * 7 + (i >> 16) + 1);
}

static bool pattern_ok(const uint8_t *p, uint64_t off, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != pattern(off + i))
			return false;
	return true;
}

/* --- version and attach -------------------------------------------------------- */

UTEST(p9_version, asks_cap_and_attaches)
{
	setup(1u << 20);
	UT_EXPECT_EQ(fk.asked_msize, P9_MSIZE_CAP);
	UT_EXPECT_EQ(cl.msize, P9_MSIZE_CAP);
	UT_EXPECT_EQ(cl.iounit, P9_MSIZE_CAP - P9_IOHDR_SIZE);
	UT_EXPECT_STREQ(fk.uname, "root");
	UT_EXPECT_STREQ(fk.aname, "/srv");
	UT_EXPECT_EQ(fk.n_uname, 0);
	UT_EXPECT_EQ(cl.root_qid.type, P9_QTDIR);
	UT_EXPECT_EQ(cl.root_qid.path, FS_QID_BASE);
	UT_EXPECT_EQ(fk.count[P9_TVERSION], 1);
	UT_EXPECT_EQ(fk.count[P9_TATTACH], 1);
	finish();
}

UTEST(p9_version, transport_limit_asked)
{
	struct p9_transport t = fk_transport(16384);

	fk_reset(1u << 20);
	UT_ASSERT(p9_client_init(&cl, &t, "root", "", P9_NONUNAME) == 0);
	UT_EXPECT_EQ(fk.asked_msize, 16384);
	UT_EXPECT_EQ(cl.msize, 16384);
	UT_EXPECT_EQ(fk.n_uname, P9_NONUNAME);
	finish();
}

UTEST(p9_version, smaller_server_msize_honoured)
{
	static uint8_t buf[100000];
	struct p9_file f;
	size_t done;

	setup(8192);
	UT_EXPECT_EQ(cl.msize, 8192);
	UT_EXPECT_EQ(cl.iounit, 8192 - P9_IOHDR_SIZE);
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = pattern(i);
	UT_ASSERT(p9_file_open(&cl, "f", P9_FILE_WRITE | P9_FILE_CREATE, 0600, &f) == 0);
	UT_EXPECT_EQ(f.iounit, 8192 - P9_IOHDR_SIZE);
	UT_EXPECT_EQ(p9_file_write(&f, 0, buf, sizeof(buf), &done), 0);
	UT_EXPECT_EQ(done, sizeof(buf));
	/* The fake counts any message over 8192 bytes as a bad request. */
	UT_EXPECT_EQ(fk.count[P9_TWRITE], (sizeof(buf) + cl.iounit - 1) / cl.iounit);
	UT_EXPECT_EQ(p9_file_close(&f), 0);
	finish();
}

UTEST(p9_version, bad_answers_refused)
{
	static const struct {
		uint32_t reply_msize;
		const char *reply_version;
		int err;
	} cases[] = {
		{ 2048, NULL, P9_EPROTO },		/* below P9_MSIZE_MIN */
		{ P9_MSIZE_MIN - 1, NULL, P9_EPROTO },
		{ 65536 + 1, NULL, P9_EPROTO },		/* above what was asked */
		{ 0, "unknown", P9_EPROTONOSUPPORT },
		{ 0, "9P2000", P9_EPROTONOSUPPORT },
		{ 0, "9P2000.L.x", P9_EPROTONOSUPPORT },
	};
	struct p9_transport t = fk_transport(65536);

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		fk_reset(1u << 20);
		fk.reply_msize = cases[i].reply_msize;
		fk.reply_version = cases[i].reply_version;
		UT_EXPECT_EQ(p9_client_init(&cl, &t, "root", "", 0), cases[i].err);
		UT_EXPECT_EQ(fk.count[P9_TATTACH], 0);
		fk_end();
	}
	/* The smallest legal answer is taken. */
	fk_reset(1u << 20);
	fk.reply_msize = P9_MSIZE_MIN;
	UT_ASSERT(p9_client_init(&cl, &t, "root", "", 0) == 0);
	UT_EXPECT_EQ(cl.msize, P9_MSIZE_MIN);
	finish();
}

UTEST(p9_version, bad_init_arguments_send_nothing)
{
	static char longname[P9_PATH_MAX + 2];
	struct p9_transport t = fk_transport(P9_MSIZE_MIN - 1);
	struct p9_transport none = { .rpc = NULL, .max_msize = 65536 };

	fk_reset(1u << 20);
	memset(longname, 'u', sizeof(longname) - 1);
	UT_EXPECT_EQ(p9_client_init(&cl, &t, "root", "", 0), P9_EINVAL);
	UT_EXPECT_EQ(p9_client_init(&cl, &none, "root", "", 0), P9_EINVAL);
	UT_EXPECT_EQ(p9_client_init(&cl, NULL, "root", "", 0), P9_EINVAL);
	t = fk_transport(65536);
	UT_EXPECT_EQ(p9_client_init(&cl, &t, NULL, "", 0), P9_EINVAL);
	UT_EXPECT_EQ(p9_client_init(&cl, &t, "root", NULL, 0), P9_EINVAL);
	UT_EXPECT_EQ(p9_client_init(&cl, &t, longname, "", 0), P9_ENAMETOOLONG);
	UT_EXPECT_EQ(fk.nmsgs, 0);
	fk_end();
}

/* --- data ---------------------------------------------------------------------- */

UTEST(p9_file, one_mib_across_8k_msize)
{
	const size_t len = 1u << 20;
	uint8_t *buf = malloc(len), *back = malloc(len);
	unsigned writes, reads;
	struct p9_attr a;
	struct p9_file f;
	size_t done;

	UT_ASSERT(buf != NULL && back != NULL);
	setup(8192);
	for (size_t i = 0; i < len; i++)
		buf[i] = pattern(i);
	UT_ASSERT(p9_file_open(&cl, "/big", P9_FILE_READ | P9_FILE_WRITE | P9_FILE_CREATE |
			       P9_FILE_EXCL, 0600, &f) == 0);
	UT_EXPECT_EQ(p9_file_write(&f, 0, buf, len, &done), 0);
	UT_EXPECT_EQ(done, len);
	writes = fk.count[P9_TWRITE];
	UT_EXPECT_EQ(writes, (len + cl.iounit - 1) / cl.iounit);
	UT_EXPECT_EQ(memcmp(fk.nodes[fk_child(0, "big")].data, buf, len), 0);

	memset(back, 0, len);
	UT_EXPECT_EQ(p9_file_read(&f, 0, back, len, &done), 0);
	UT_EXPECT_EQ(done, len);
	UT_EXPECT(pattern_ok(back, 0, len));
	reads = fk.count[P9_TREAD];
	UT_EXPECT_EQ(reads, (len + cl.iounit - 1) / cl.iounit);

	/* Across the end: a short read, reported through done. */
	UT_EXPECT_EQ(p9_file_read(&f, len - 1000, back, 20000, &done), 0);
	UT_EXPECT_EQ(done, 1000);
	UT_EXPECT(pattern_ok(back, len - 1000, 1000));
	UT_EXPECT_EQ(p9_file_read(&f, len + 5, back, 10, &done), 0);
	UT_EXPECT_EQ(done, 0);
	/* An unaligned window in the middle. */
	UT_EXPECT_EQ(p9_file_read(&f, 123457, back, 54321, &done), 0);
	UT_EXPECT_EQ(done, 54321);
	UT_EXPECT(pattern_ok(back, 123457, 54321));

	UT_EXPECT_EQ(p9_file_stat(&f, &a), 0);
	UT_EXPECT_EQ(a.size, len);
	UT_EXPECT_EQ(a.mode, P9_S_IFREG | 0600);
	UT_EXPECT_EQ(p9_file_close(&f), 0);
	UT_EXPECT_EQ(p9_stat(&cl, "big", &a), 0);
	UT_EXPECT_EQ(a.size, len);
	free(buf);
	free(back);
	finish();
}

UTEST(p9_file, short_server_io_and_iounit)
{
	uint8_t buf[10000], back[10000];
	struct p9_file f;
	size_t done;

	setup(65536);
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = pattern(i + 7);
	/* The server's iounit bounds the chunk; short answers are continued. */
	fk.lopen_iounit = 1000;
	fk.write_max = 300;
	fk.read_max = 700;
	UT_ASSERT(p9_file_open(&cl, "s", P9_FILE_READ | P9_FILE_WRITE | P9_FILE_CREATE, 0644,
			       &f) == 0);
	UT_EXPECT_EQ(f.iounit, 1000);
	UT_EXPECT_EQ(p9_file_write(&f, 0, buf, sizeof(buf), &done), 0);
	UT_EXPECT_EQ(done, sizeof(buf));
	UT_EXPECT_EQ(fk.count[P9_TWRITE], (sizeof(buf) + 299) / 300);
	UT_EXPECT_EQ(p9_file_read(&f, 0, back, sizeof(back), &done), 0);
	UT_EXPECT_EQ(done, sizeof(back));
	UT_EXPECT_EQ(memcmp(buf, back, sizeof(buf)), 0);
	UT_EXPECT_EQ(fk.count[P9_TREAD], (sizeof(back) + 699) / 700);
	UT_EXPECT_EQ(fk.last_count, sizeof(back) % 700);	/* what was left for the last */
	UT_EXPECT_EQ(p9_file_close(&f), 0);
	finish();
}

UTEST(p9_file, truncate_and_stat)
{
	uint8_t buf[6000];
	struct p9_attr a;
	struct p9_file f;
	size_t done;

	setup(65536);
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = pattern(i);
	UT_ASSERT(p9_file_open(&cl, "t", P9_FILE_READ | P9_FILE_WRITE | P9_FILE_CREATE, 0640,
			       &f) == 0);
	UT_EXPECT_EQ(p9_file_write(&f, 0, buf, sizeof(buf), &done), 0);
	UT_EXPECT_EQ(p9_file_truncate(&f, 1000), 0);
	UT_EXPECT_EQ(p9_stat(&cl, "t", &a), 0);
	UT_EXPECT_EQ(a.size, 1000);
	UT_EXPECT_EQ(a.mode & P9_S_IFMT, P9_S_IFREG);
	UT_EXPECT_EQ(a.mode & P9_S_PERM, 0640);
	UT_EXPECT_EQ(a.qid.type, P9_QTFILE);
	UT_EXPECT_EQ(a.qid.path, f.qid.path);
	UT_EXPECT_EQ(a.valid, P9_GETATTR_BASIC);
	UT_EXPECT_EQ(a.blksize, 4096);
	UT_EXPECT_EQ(a.uid, 1000);
	UT_EXPECT_EQ(a.gid, 1001);
	UT_EXPECT_EQ(a.btime_nsec, 1700000007u);
	memset(buf, 0xee, sizeof(buf));
	UT_EXPECT_EQ(p9_file_read(&f, 0, buf, sizeof(buf), &done), 0);
	UT_EXPECT_EQ(done, 1000);
	UT_EXPECT(pattern_ok(buf, 0, 1000));
	/* Growing fills with zeros. */
	UT_EXPECT_EQ(p9_file_truncate(&f, 5000), 0);
	UT_EXPECT_EQ(p9_file_stat(&f, &a), 0);
	UT_EXPECT_EQ(a.size, 5000);
	UT_EXPECT_EQ(p9_file_read(&f, 1000, buf, 4000, &done), 0);
	UT_EXPECT_EQ(done, 4000);
	UT_EXPECT_EQ(buf[0] | buf[1999] | buf[3999], 0);
	UT_EXPECT_EQ(p9_file_fsync(&f), 0);
	UT_EXPECT_EQ(fk.fsyncs, 1);
	UT_EXPECT_EQ(p9_file_truncate(&f, 0), 0);
	UT_EXPECT_EQ(p9_file_stat(&f, &a), 0);
	UT_EXPECT_EQ(a.size, 0);
	UT_EXPECT_EQ(p9_file_close(&f), 0);
	finish();
}

UTEST(p9_file, open_flags)
{
	struct p9_file f, g;
	struct p9_attr a;
	uint8_t b[16];
	size_t done;
	unsigned n;

	setup(65536);
	fk_file(0, "data", "0123456789", 10);
	fk_node_new(0, "dir", true, 0755);
	/* Refused without a message. */
	n = fk.nmsgs;
	UT_EXPECT_EQ(p9_file_open(&cl, "data", 0, 0, &f), P9_EINVAL);
	UT_EXPECT_EQ(f.fid, P9_NOFID);
	UT_EXPECT_EQ(p9_file_open(&cl, "data", P9_FILE_READ | 0x100, 0, &f), P9_EINVAL);
	UT_EXPECT_EQ(p9_file_open(&cl, "data", P9_FILE_READ | P9_FILE_TRUNC, 0, &f), P9_EINVAL);
	UT_EXPECT_EQ(p9_file_open(&cl, "data", P9_FILE_WRITE | P9_FILE_EXCL, 0, &f), P9_EINVAL);
	UT_EXPECT_EQ(p9_file_open(&cl, "/", P9_FILE_WRITE | P9_FILE_CREATE, 0, &f), P9_EINVAL);
	UT_EXPECT_EQ(p9_file_open(&cl, "data", P9_FILE_READ, 0, NULL), P9_EINVAL);
	UT_EXPECT_EQ(fk.nmsgs, n);
	/* Server answers. */
	UT_EXPECT_EQ(p9_file_open(&cl, "nope", P9_FILE_READ, 0, &f), P9_ENOENT);
	UT_EXPECT_EQ(p9_file_open(&cl, "nope/x", P9_FILE_READ | P9_FILE_CREATE, 0644, &f),
		     P9_ENOENT);
	UT_EXPECT_EQ(p9_file_open(&cl, "data", P9_FILE_WRITE | P9_FILE_CREATE | P9_FILE_EXCL,
				  0644, &f), P9_EEXIST);
	UT_EXPECT_EQ(p9_file_open(&cl, "dir", P9_FILE_WRITE, 0, &f), P9_EISDIR);
	UT_EXPECT_EQ(p9_file_open(&cl, "data/x", P9_FILE_READ, 0, &f), P9_ENOENT);
	/* CREATE without EXCL opens what is there, keeping its contents. */
	n = fk.count[P9_TLCREATE];
	UT_ASSERT(p9_file_open(&cl, "data", P9_FILE_READ | P9_FILE_CREATE, 0644, &f) == 0);
	UT_EXPECT_EQ(fk.count[P9_TLCREATE], n);
	UT_EXPECT_EQ(p9_file_read(&f, 0, b, sizeof(b), &done), 0);
	UT_EXPECT_EQ(done, 10);
	/* Access modes are enforced before anything is sent. */
	n = fk.nmsgs;
	UT_EXPECT_EQ(p9_file_write(&f, 0, b, 1, &done), P9_EBADF);
	UT_EXPECT_EQ(done, 0);
	UT_EXPECT_EQ(fk.nmsgs, n);
	/* TRUNC empties it. */
	UT_ASSERT(p9_file_open(&cl, "data", P9_FILE_WRITE | P9_FILE_TRUNC, 0, &g) == 0);
	UT_EXPECT_EQ(p9_file_read(&g, 0, b, 1, &done), P9_EBADF);
	UT_EXPECT_EQ(p9_stat(&cl, "data", &a), 0);
	UT_EXPECT_EQ(a.size, 0);
	UT_EXPECT_EQ(p9_file_close(&g), 0);
	UT_EXPECT_EQ(p9_file_close(&f), 0);
	/* Closed files refuse everything, without a message. */
	n = fk.nmsgs;
	UT_EXPECT_EQ(p9_file_close(&f), P9_EBADF);
	UT_EXPECT_EQ(p9_file_read(&f, 0, b, 1, &done), P9_EBADF);
	UT_EXPECT_EQ(p9_file_truncate(&f, 0), P9_EBADF);
	UT_EXPECT_EQ(p9_file_fsync(&f), P9_EBADF);
	UT_EXPECT_EQ(p9_file_stat(&f, &a), P9_EBADF);
	UT_EXPECT_EQ(fk.nmsgs, n);
	/* Paths: "a//b", leading and trailing '/' name the same file. */
	fk_file(fk_child(0, "dir"), "in", "x", 1);
	UT_EXPECT_EQ(p9_stat(&cl, "//dir//in/", &a), 0);
	UT_EXPECT_EQ(a.size, 1);
	UT_EXPECT_EQ(p9_stat(&cl, "", &a), 0);
	UT_EXPECT_EQ(a.qid.path, FS_QID_BASE);
	/* Wrapping offsets are refused. */
	UT_ASSERT(p9_file_open(&cl, "dir/in", P9_FILE_READ, 0, &f) == 0);
	UT_EXPECT_EQ(p9_file_read(&f, UINT64_MAX - 1, b, 4, &done), P9_EINVAL);
	UT_EXPECT_EQ(p9_file_read(&f, 0, NULL, 4, &done), P9_EINVAL);
	UT_EXPECT_EQ(p9_file_close(&f), 0);
	finish();
}

/* --- directories --------------------------------------------------------------- */

struct listing {
	int n, dirs, stop_after;
	bool seen[400];
	bool bad_name;
};

static int collect(void *arg, const struct p9_dirent *d)
{
	struct listing *l = arg;
	int i;

	if (d->type == P9_DT_DIR) {
		l->dirs++;
	} else if (sscanf(d->name, "entry-with-a-longish-name-%d", &i) == 1 && i >= 0 &&
		   i < 400 && !l->seen[i] && d->type == P9_DT_REG) {
		l->seen[i] = true;
	} else {
		l->bad_name = true;
	}
	l->n++;
	return l->stop_after && l->n == l->stop_after ? 42 : 0;
}

UTEST(p9_dir, readdir_many_entries)
{
	struct listing l = { 0 };
	char name[64];
	int many;

	setup(P9_MSIZE_MIN);
	UT_ASSERT(p9_dir_create(&cl, "many", 0755) == 0);
	many = fk_child(0, "many");
	for (int i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "entry-with-a-longish-name-%d", i);
		fk_file(many, name, NULL, 0);
	}
	fk_node_new(many, "sub", true, 0755);
	UT_EXPECT_EQ(p9_dir_list(&cl, "many", collect, &l), 0);
	UT_EXPECT_EQ(l.n, 301);
	UT_EXPECT_EQ(l.dirs, 1);
	UT_EXPECT(!l.bad_name);
	for (int i = 0; i < 300; i++)
		UT_EXPECT(l.seen[i]);
	/* ~56 bytes an entry against ~4 KiB per Rreaddir, and the empty one ending it. */
	UT_EXPECT(fk.count[P9_TREADDIR] >= 5);

	/* Smaller server answers: more rounds, same listing. */
	memset(&l, 0, sizeof(l));
	fk.count[P9_TREADDIR] = 0;
	fk.readdir_max = 200;
	UT_EXPECT_EQ(p9_dir_list(&cl, "/many/", collect, &l), 0);
	UT_EXPECT_EQ(l.n, 301);
	UT_EXPECT(fk.count[P9_TREADDIR] > 100);

	/* The callback stops the listing; its value comes back and the fid is clunked. */
	memset(&l, 0, sizeof(l));
	l.stop_after = 7;
	UT_EXPECT_EQ(p9_dir_list(&cl, "many", collect, &l), 42);
	UT_EXPECT_EQ(l.n, 7);
	UT_EXPECT_EQ(p9_client_fids_in_use(&cl), 1);

	UT_EXPECT_EQ(p9_dir_list(&cl, "many/entry-with-a-longish-name-3", collect, &l),
		     P9_ENOTDIR);
	/* A name no server may send ends the listing with P9_EPROTO, fid clunked. */
	fk.bad_dirent = true;
	UT_EXPECT_EQ(p9_dir_list(&cl, "many", collect, &l), P9_EPROTO);
	/* So does a server whose offsets never advance, instead of looping for ever. */
	fk.readdir_stuck = true;
	UT_EXPECT_EQ(p9_dir_list(&cl, "many", collect, &l), P9_EPROTO);
	fk.readdir_stuck = false;
	UT_EXPECT_EQ(p9_dir_list(&cl, "many", NULL, &l), P9_EINVAL);
	finish();
}

UTEST(p9_dir, mkdir_unlink_stat)
{
	struct listing l = { 0 };
	struct p9_file f;
	struct p9_attr a;

	setup(65536);
	UT_EXPECT_EQ(p9_dir_create(&cl, "swap", 0700), 0);
	UT_EXPECT_EQ(p9_dir_create(&cl, "swap", 0700), P9_EEXIST);
	UT_EXPECT_EQ(p9_dir_create(&cl, "no/such/dir", 0700), P9_ENOENT);
	UT_EXPECT_EQ(p9_stat(&cl, "swap", &a), 0);
	UT_EXPECT_EQ(a.mode, P9_S_IFDIR | 0700);
	UT_EXPECT_EQ(a.qid.type, P9_QTDIR);
	UT_ASSERT(p9_file_open(&cl, "swap/0", P9_FILE_WRITE | P9_FILE_CREATE, 0600, &f) == 0);
	UT_EXPECT_EQ(p9_file_close(&f), 0);
	UT_EXPECT_EQ(p9_dir_list(&cl, "swap", collect, &l), 0);
	UT_EXPECT_EQ(l.n, 1);
	UT_EXPECT_EQ(p9_dir_remove(&cl, "swap"), P9_ENOTEMPTY);
	UT_EXPECT_EQ(p9_unlink(&cl, "swap"), P9_EISDIR);
	UT_EXPECT_EQ(p9_dir_remove(&cl, "swap/0"), P9_ENOTDIR);
	UT_EXPECT_EQ(p9_unlink(&cl, "swap/0"), 0);
	UT_EXPECT_EQ(p9_stat(&cl, "swap/0", &a), P9_ENOENT);
	UT_EXPECT_EQ(p9_unlink(&cl, "swap/0"), P9_ENOENT);
	UT_EXPECT_EQ(p9_file_open(&cl, "swap/0", P9_FILE_READ, 0, &f), P9_ENOENT);
	UT_EXPECT_EQ(p9_dir_remove(&cl, "swap"), 0);
	UT_EXPECT_EQ(p9_stat(&cl, "swap", &a), P9_ENOENT);
	UT_EXPECT_EQ(p9_unlink(&cl, "/"), P9_EINVAL);
	UT_EXPECT_EQ(p9_dir_remove(&cl, ""), P9_EINVAL);
	UT_EXPECT_EQ(p9_dir_create(&cl, "//", 0700), P9_EINVAL);
	finish();
}

UTEST(p9_dir, statfs)
{
	struct p9_statfs s;

	setup(65536);
	fk_node_new(0, "d", true, 0755);
	UT_EXPECT_EQ(p9_fs_statfs(&cl, "d", &s), 0);
	UT_EXPECT_EQ(s.type, 0x01021997);
	UT_EXPECT_EQ(s.bsize, 4096);
	UT_EXPECT_EQ(s.blocks, 1000000);
	UT_EXPECT_EQ(s.bfree, 600000);
	UT_EXPECT_EQ(s.bavail, 500000);
	UT_EXPECT_EQ(s.files, 70000);
	UT_EXPECT_EQ(s.ffree, 60000);
	UT_EXPECT_EQ(s.fsid, 0x1122334455667788ull);
	UT_EXPECT_EQ(s.namelen, 255);
	UT_EXPECT_EQ(p9_fs_statfs(&cl, "", &s), 0);
	UT_EXPECT_EQ(p9_fs_statfs(&cl, "missing", &s), P9_ENOENT);
	UT_EXPECT_EQ(p9_fs_statfs(&cl, "", NULL), P9_EINVAL);
	UT_EXPECT_EQ(p9_statfs(&cl, cl.root_fid, &s), 0);
	finish();
}

UTEST(p9_dir, deep_paths_split_walks)
{
	char path[P9_PATH_MAX + 16] = "";
	char name[P9_NAME_MAX + 1];
	struct p9_attr a;
	unsigned clunks;
	size_t len = 0;

	setup(65536);
	/* 40 levels: Twalks of 16 + 16 + 8 names. */
	for (int i = 0; i < 40; i++) {
		len += (size_t)snprintf(path + len, sizeof(path) - len, "%sd%d", i ? "/" : "", i);
		UT_ASSERT(p9_dir_create(&cl, path, 0755) == 0);
	}
	fk.count[P9_TWALK] = 0;
	clunks = fk.count[P9_TCLUNK];
	UT_EXPECT_EQ(p9_stat(&cl, path, &a), 0);
	UT_EXPECT_EQ(a.qid.type, P9_QTDIR);
	UT_EXPECT_EQ(fk.count[P9_TWALK], 3);
	UT_EXPECT_EQ(fk.count[P9_TCLUNK], clunks + 1);
	finish();

	/* 16 names of 255 bytes do not fit a 4096-byte Twalk: 15, then 1. */
	setup(P9_MSIZE_MIN);
	len = 0;
	for (int i = 0; i < 16; i++) {
		memset(name, 'a' + i, P9_NAME_MAX);
		name[P9_NAME_MAX] = '\0';
		len += (size_t)snprintf(path + len, sizeof(path) - len, "%s%s", i ? "/" : "", name);
		UT_ASSERT(p9_dir_create(&cl, path, 0755) == 0);
	}
	UT_EXPECT_EQ(len, 16 * P9_NAME_MAX + 15);
	fk.count[P9_TWALK] = 0;
	UT_EXPECT_EQ(p9_stat(&cl, path, &a), 0);
	UT_EXPECT_EQ(fk.count[P9_TWALK], 2);
	/* One byte more than P9_PATH_MAX is refused up front. */
	strcat(path, "/b");
	UT_EXPECT_EQ(strlen(path), P9_PATH_MAX + 1);
	fk.nmsgs = 0;
	UT_EXPECT_EQ(p9_stat(&cl, path, &a), P9_ENAMETOOLONG);
	UT_EXPECT_EQ(fk.nmsgs, 0);
	/* A partial walk deep down: no fid left behind. */
	path[(P9_NAME_MAX + 1) * 3] = '\0';
	strcat(path, "/missing");
	UT_EXPECT_EQ(p9_stat(&cl, path, &a), P9_ENOENT);
	finish();
}

/* --- bad names ------------------------------------------------------------------- */

UTEST(p9_names, refused_before_sending)
{
	static char long_name[P9_NAME_MAX + 2], long_path[P9_NAME_MAX + 8];
	static const char *const bad_paths[] = {
		".", "..", "a/.", "a/../b", "./a", "x/./y", "/..", NULL,
	};
	static const char *const bad_names[] = { "", ".", "..", "a/b", "/", "a/", NULL };
	const char *walk_names[P9_WALK_MAX + 1];
	struct p9_file f;
	struct p9_attr a;
	struct p9_qid q;
	uint32_t fid = 0;
	unsigned n;

	setup(65536);
	memset(long_name, 'n', P9_NAME_MAX + 1);
	snprintf(long_path, sizeof(long_path), "dir/%s", long_name);
	n = fk.nmsgs;
	for (int i = 0; i < (int)ARRAY_SIZE(bad_paths); i++) {
		const char *p = bad_paths[i];

		UT_EXPECT_EQ(p9_stat(&cl, p, &a), P9_EINVAL);
		UT_EXPECT_EQ(p9_file_open(&cl, p, P9_FILE_READ | P9_FILE_WRITE | P9_FILE_CREATE,
					  0600, &f), P9_EINVAL);
		UT_EXPECT_EQ(p9_unlink(&cl, p), P9_EINVAL);
		UT_EXPECT_EQ(p9_dir_create(&cl, p, 0700), P9_EINVAL);
		UT_EXPECT_EQ(p9_dir_remove(&cl, p), P9_EINVAL);
		UT_EXPECT_EQ(p9_dir_list(&cl, p, collect, NULL), P9_EINVAL);
		UT_EXPECT_EQ(p9_fs_statfs(&cl, p, NULL), P9_EINVAL);
	}
	UT_EXPECT_EQ(p9_stat(&cl, long_path, &a), P9_ENAMETOOLONG);
	UT_EXPECT_EQ(p9_file_open(&cl, long_name, P9_FILE_WRITE | P9_FILE_CREATE, 0600, &f),
		     P9_ENAMETOOLONG);
	UT_EXPECT_EQ(p9_dir_create(&cl, long_path, 0700), P9_ENAMETOOLONG);
	UT_EXPECT_EQ(p9_unlink(&cl, long_name), P9_ENAMETOOLONG);

	/* The calls on one name. */
	for (int i = 0; i < (int)ARRAY_SIZE(bad_names); i++) {
		const char *nm = bad_names[i];

		UT_EXPECT_EQ(p9_lcreate(&cl, cl.root_fid, nm, 0, 0600, NULL, NULL), P9_EINVAL);
		UT_EXPECT_EQ(p9_mkdir(&cl, cl.root_fid, nm, 0700, NULL), P9_EINVAL);
		UT_EXPECT_EQ(p9_unlinkat(&cl, cl.root_fid, nm, 0), P9_EINVAL);
		UT_EXPECT_EQ(p9_walk(&cl, cl.root_fid, 1, &nm, &fid, &q), P9_EINVAL);
	}
	UT_EXPECT_EQ(p9_lcreate(&cl, cl.root_fid, long_name, 0, 0600, NULL, NULL),
		     P9_ENAMETOOLONG);
	UT_EXPECT_EQ(p9_mkdir(&cl, cl.root_fid, long_name, 0700, NULL), P9_ENAMETOOLONG);
	UT_EXPECT_EQ(p9_unlinkat(&cl, cl.root_fid, long_name, 0), P9_ENAMETOOLONG);
	walk_names[0] = "ok";
	walk_names[1] = long_name;
	UT_EXPECT_EQ(p9_walk(&cl, cl.root_fid, 2, walk_names, &fid, &q), P9_ENAMETOOLONG);
	for (int i = 0; i <= P9_WALK_MAX; i++)
		walk_names[i] = "d";
	UT_EXPECT_EQ(p9_walk(&cl, cl.root_fid, P9_WALK_MAX + 1, walk_names, &fid, &q), P9_EINVAL);
	UT_EXPECT_EQ(fk.nmsgs, n);
	UT_EXPECT_EQ(heap_live, 0);
	finish();
}

/* --- the RPC layer directly ------------------------------------------------------------ */

UTEST(p9_rpc, walk_clone_partial_and_clunk)
{
	const char *names[3] = { "a", "b", "c" };
	struct p9_qid q = { .path = 99 };
	uint32_t fid, iounit = 7, n, used;
	uint8_t buf[64];
	int a;

	setup(65536);
	a = fk_node_new(0, "a", true, 0755);
	fk_file(fk_node_new(a, "b", true, 0755), "c", "hello", 5);

	/* nwname 0 clones; the qid is left alone. */
	UT_ASSERT(p9_walk(&cl, cl.root_fid, 0, NULL, &fid, &q) == 0);
	UT_EXPECT_EQ(q.path, 99);
	UT_EXPECT_EQ(p9_client_fids_in_use(&cl), 2);
	UT_EXPECT_EQ(p9_clunk(&cl, fid), 0);
	/* A full walk. */
	UT_ASSERT(p9_walk(&cl, cl.root_fid, 3, names, &fid, &q) == 0);
	UT_EXPECT_EQ(q.type, P9_QTFILE);
	UT_EXPECT_EQ(p9_lopen(&cl, fid, P9_DOTL_RDONLY, &q, &iounit), 0);
	UT_EXPECT_EQ(iounit, 0);
	UT_EXPECT_EQ(p9_read(&cl, fid, 0, buf, 3, &n), 0);
	UT_EXPECT_EQ(n, 3);
	UT_EXPECT_EQ(memcmp(buf, "hel", 3), 0);
	UT_EXPECT_EQ(p9_write(&cl, fid, 0, buf, 1, &n), P9_EBADF);	/* opened read-only */
	UT_EXPECT_EQ(p9_clunk(&cl, fid), 0);
	/* A partial walk: ENOENT and no new fid. */
	names[1] = "zz";
	used = p9_client_fids_in_use(&cl);
	UT_EXPECT_EQ(p9_walk(&cl, cl.root_fid, 3, names, &fid, &q), P9_ENOENT);
	UT_EXPECT_EQ(p9_client_fids_in_use(&cl), used);
	/* Walking through a file. */
	names[0] = "a";
	names[1] = "b";
	names[2] = "c";
	UT_ASSERT(p9_walk(&cl, cl.root_fid, 3, names, &fid, &q) == 0);
	UT_EXPECT_EQ(p9_walk(&cl, fid, 1, names, &n, &q), P9_ENOTDIR);
	UT_EXPECT_EQ(p9_clunk(&cl, fid), 0);
	/* Clunks the client refuses: unknown fid, the root. */
	n = fk.nmsgs;
	UT_EXPECT_EQ(p9_clunk(&cl, fid), P9_EBADF);
	UT_EXPECT_EQ(p9_clunk(&cl, 5000), P9_EBADF);
	UT_EXPECT_EQ(p9_clunk(&cl, cl.root_fid), P9_EINVAL);
	UT_EXPECT_EQ(fk.nmsgs, n);
	finish();
}

UTEST(p9_rpc, dirent_decode_bounds)
{
	uint8_t e[P9_DIRENT_FIXED + 8];
	struct p9_dirent d;
	size_t pos;

	memset(e, 0, sizeof(e));
	e[0] = P9_QTDIR;
	e[13] = 9;			/* offset */
	e[21] = P9_DT_DIR;		/* type */
	e[22] = 3;			/* name length */
	memcpy(e + 24, "abc", 3);
	pos = 0;
	UT_EXPECT_EQ(p9_dirent_decode(e, 27, &pos, &d), 0);
	UT_EXPECT_EQ(pos, 27);
	UT_EXPECT_STREQ(d.name, "abc");
	UT_EXPECT_EQ(d.offset, 9);
	UT_EXPECT_EQ(d.type, P9_DT_DIR);
	UT_EXPECT_EQ(d.qid.type, P9_QTDIR);
	/* Every cut short of the whole entry fails, and pos stays. */
	for (size_t len = 0; len < 27; len++) {
		pos = 0;
		UT_EXPECT_EQ(p9_dirent_decode(e, len, &pos, &d), P9_EPROTO);
		UT_EXPECT_EQ(pos, 0);
	}
	e[25] = '\0';
	pos = 0;
	UT_EXPECT_EQ(p9_dirent_decode(e, 27, &pos, &d), P9_EPROTO);
	e[25] = '/';
	pos = 0;
	UT_EXPECT_EQ(p9_dirent_decode(e, 27, &pos, &d), P9_EPROTO);
	e[22] = 0;
	pos = 0;
	UT_EXPECT_EQ(p9_dirent_decode(e, 24, &pos, &d), P9_EPROTO);
	e[22] = 0;
	e[23] = 1;			/* 256 bytes: longer than P9_NAME_MAX */
	pos = 0;
	UT_EXPECT_EQ(p9_dirent_decode(e, sizeof(e), &pos, &d), P9_EPROTO);
	pos = 30;
	UT_EXPECT_EQ(p9_dirent_decode(e, 27, &pos, &d), P9_EINVAL);
	UT_EXPECT_EQ(p9_dirent_decode(NULL, 27, &pos, &d), P9_EINVAL);
}

UTEST(p9_rpc, destroy_busy_and_fid_exhaustion)
{
	static struct p9_file files[P9_IDMAP_BITS];
	struct p9_file extra;
	int opened = 0, err = 0;

	setup(65536);
	fk_file(0, "f", "x", 1);
	while (opened < P9_IDMAP_BITS) {
		err = p9_file_open(&cl, "f", P9_FILE_READ, 0, &files[opened]);
		if (err)
			break;
		opened++;
	}
	/* Every fid but the root's. */
	UT_EXPECT_EQ(err, P9_EMFILE);
	UT_EXPECT_EQ(opened, P9_IDMAP_BITS - 1);
	UT_EXPECT_EQ(p9_client_fids_in_use(&cl), P9_IDMAP_BITS);
	UT_EXPECT_EQ(fk_fids_used(), P9_IDMAP_BITS);
	UT_EXPECT_EQ(p9_client_destroy(&cl), P9_EBUSY);
	UT_EXPECT_EQ(p9_file_close(&files[10]), 0);
	UT_EXPECT_EQ(files[10].fid, P9_NOFID);
	UT_EXPECT_EQ(p9_file_open(&cl, "f", P9_FILE_READ, 0, &extra), 0);
	UT_EXPECT_EQ(p9_file_open(&cl, "f", P9_FILE_READ, 0, &files[10]), P9_EMFILE);
	UT_EXPECT_EQ(p9_file_close(&extra), 0);
	for (int i = 0; i < opened; i++)
		if (i != 10)
			UT_EXPECT_EQ(p9_file_close(&files[i]), 0);
	UT_EXPECT_EQ(p9_client_check(&cl, report), 0);
	finish();
}

UTEST(p9_rpc, out_of_memory)
{
	struct listing l = { 0 };
	struct p9_file f;
	struct p9_attr a;
	unsigned n;

	setup(65536);
	fk_file(0, "f", "abc", 3);
	n = fk.nmsgs;
	heap_fail_in = 1;
	UT_EXPECT_EQ(p9_stat(&cl, "f", &a), P9_ENOMEM);
	UT_EXPECT_EQ(fk.nmsgs, n);
	/* Failing at each allocation of an open in turn leaves nothing behind. */
	for (int i = 1; i <= 4; i++) {
		heap_fail_in = i;
		UT_EXPECT_EQ(p9_file_open(&cl, "f", P9_FILE_READ, 0, &f), i <= 2 ? P9_ENOMEM : 0);
		if (i > 2)
			UT_EXPECT_EQ(p9_file_close(&f), 0);
		heap_fail_in = 0;
		UT_EXPECT_EQ(p9_client_fids_in_use(&cl), 1);
		UT_EXPECT_EQ(fk_fids_used(), 1);
	}
	/* The listing's own buffer (after the walk and the open). */
	heap_fail_in = 3;
	UT_EXPECT_EQ(p9_dir_list(&cl, "", collect, &l), P9_ENOMEM);
	heap_fail_in = 0;
	finish();
}

UTEST(p9_misc, strerror)
{
	UT_EXPECT_STREQ(p9_strerror(0), "success");
	UT_EXPECT_STREQ(p9_strerror(P9_ENOENT), "no such file or directory");
	UT_EXPECT_STREQ(p9_strerror(P9_EPROTO), "protocol error");
	UT_EXPECT_STREQ(p9_strerror(P9_ETIMEDOUT), "timed out");
	UT_EXPECT_STREQ(p9_strerror(-3), "unknown error");
	UT_EXPECT_STREQ(p9_strerror(4000), "unknown error");
}

/* --- fault matrix: every call type under every fault ---------------------------------
 *
 * Each op prepares what it needs ("file" with contents, "dir" with an
 * entry), makes the one call of its type the fault is armed on, cleans up
 * every fid whatever happened, and returns that call's result.
 */

static int op_walk(struct p9_client *c)
{
	const char *n = "dir";
	uint32_t fid;
	int err = p9_walk(c, c->root_fid, 1, &n, &fid, NULL);

	if (!err)
		p9_clunk(c, fid);
	return err;
}

/* open_file: walk to "file" and lopen it read-write (no message of the armed type). */
static uint32_t open_file(struct p9_client *c)
{
	const char *n = "file";
	uint32_t fid = P9_NOFID;

	UT_ASSERT(p9_walk(c, c->root_fid, 1, &n, &fid, NULL) == 0);
	UT_ASSERT(p9_lopen(c, fid, P9_DOTL_RDWR, NULL, NULL) == 0);
	return fid;
}

static int op_lopen(struct p9_client *c)
{
	const char *n = "file";
	uint32_t fid;
	int err;

	UT_ASSERT(p9_walk(c, c->root_fid, 1, &n, &fid, NULL) == 0);
	err = p9_lopen(c, fid, P9_DOTL_RDWR, NULL, NULL);
	p9_clunk(c, fid);
	return err;
}

static int op_lcreate(struct p9_client *c)
{
	uint32_t fid;
	int err;

	UT_ASSERT(p9_walk(c, c->root_fid, 0, NULL, &fid, NULL) == 0);
	err = p9_lcreate(c, fid, "new", P9_DOTL_RDWR, 0600, NULL, NULL);
	p9_clunk(c, fid);
	return err;
}

static int op_read(struct p9_client *c)
{
	uint32_t fid = open_file(c), n;
	uint8_t buf[16];
	int err = p9_read(c, fid, 0, buf, 16, &n);

	p9_clunk(c, fid);
	return err;
}

static int op_write(struct p9_client *c)
{
	uint32_t fid = open_file(c), n;
	int err = p9_write(c, fid, 4, "abcd", 4, &n);

	p9_clunk(c, fid);
	return err;
}

static int op_fsync(struct p9_client *c)
{
	uint32_t fid = open_file(c);
	int err = p9_fsync(c, fid, P9_FSYNC_DATA);

	p9_clunk(c, fid);
	return err;
}

static int op_getattr(struct p9_client *c)
{
	uint32_t fid = open_file(c);
	struct p9_attr a;
	int err = p9_getattr(c, fid, P9_GETATTR_ALL, &a);

	p9_clunk(c, fid);
	return err;
}

static int op_setattr(struct p9_client *c)
{
	struct p9_setattr sa = { .valid = P9_SETATTR_SIZE, .size = 3 };
	uint32_t fid = open_file(c);
	int err = p9_setattr(c, fid, &sa);

	p9_clunk(c, fid);
	return err;
}

static int op_readdir(struct p9_client *c)
{
	const char *n = "dir";
	uint8_t buf[512];
	uint32_t fid, got;
	int err;

	UT_ASSERT(p9_walk(c, c->root_fid, 1, &n, &fid, NULL) == 0);
	UT_ASSERT(p9_lopen(c, fid, P9_DOTL_RDONLY, NULL, NULL) == 0);
	err = p9_readdir(c, fid, 0, buf, sizeof(buf), &got);
	p9_clunk(c, fid);
	return err;
}

static int op_unlinkat(struct p9_client *c)
{
	return p9_unlinkat(c, c->root_fid, "file", 0);
}

static int op_statfs(struct p9_client *c)
{
	struct p9_statfs s;

	return p9_statfs(c, c->root_fid, &s);
}

static int op_mkdir(struct p9_client *c)
{
	return p9_mkdir(c, c->root_fid, "newdir", 0700, NULL);
}

static int op_clunk(struct p9_client *c)
{
	const char *n = "file";
	uint32_t fid;

	UT_ASSERT(p9_walk(c, c->root_fid, 1, &n, &fid, NULL) == 0);
	return p9_clunk(c, fid);
}

/* op_init: Tversion and Tattach are p9_client_init's; on success detach again. */
static int op_init(struct p9_client *c)
{
	struct p9_transport t = fk_transport(65536);
	int err = p9_client_init(c, &t, "root", "", 0);

	if (!err)
		UT_EXPECT_EQ(p9_client_destroy(c), 0);
	return err;
}

static const struct op {
	const char *name;
	uint8_t type;
	int (*run)(struct p9_client *c);
	uint32_t ecode;		/* for FAULT_LERROR */
} ops[] = {
	{ "version", P9_TVERSION, op_init, P9_EINVAL },
	{ "attach", P9_TATTACH, op_init, P9_EACCES },
	{ "walk", P9_TWALK, op_walk, P9_ENOENT },
	{ "lopen", P9_TLOPEN, op_lopen, P9_EROFS },
	{ "lcreate", P9_TLCREATE, op_lcreate, P9_EDQUOT },
	{ "read", P9_TREAD, op_read, P9_EIO },
	{ "write", P9_TWRITE, op_write, P9_ENOSPC },
	{ "fsync", P9_TFSYNC, op_fsync, P9_EINTR },
	{ "getattr", P9_TGETATTR, op_getattr, P9_ESTALE },
	{ "setattr", P9_TSETATTR, op_setattr, P9_EFBIG },
	{ "readdir", P9_TREADDIR, op_readdir, P9_ENOTDIR },
	{ "unlinkat", P9_TUNLINKAT, op_unlinkat, P9_EPERM },
	{ "statfs", P9_TSTATFS, op_statfs, P9_ENOSYS },
	{ "mkdir", P9_TMKDIR, op_mkdir, P9_EEXIST },
	{ "clunk", P9_TCLUNK, op_clunk, P9_EBADF },
};

static const char *const fault_names[] = {
	"none", "lerror", "lerror-zero", "lerror-big", "short", "truncate", "size-field",
	"tag", "type", "trailing", "oversize", "garble", "long", "lose-request", "lose-reply",
};

/* run_op: op under fault f in a fresh session; its result, all fids accounted for. */
static int run_op(const struct op *op, enum fault f)
{
	bool session = op->run != op_init;
	int err;

	if (session) {
		setup(65536);
	} else {
		fk_reset(1u << 20);
	}
	fk_file(0, "file", "0123456789", 10);
	fk_file(fk_node_new(0, "dir", true, 0755), "entry", NULL, 0);
	fk_arm(op->type, f, op->ecode);
	err = op->run(&cl);
	if (fk.fault != FAULT_NONE)
		fprintf(stderr, "%s/%s: fault never fired\n", op->name, fault_names[f]);
	UT_EXPECT_EQ(fk.fault, FAULT_NONE);
	if (session)
		finish();
	else
		fk_end();
	return err;
}

UTEST(p9_faults, no_fault_baseline)
{
	for (size_t i = 0; i < ARRAY_SIZE(ops); i++) {
		fk_arm(0, FAULT_NONE, 0);
		UT_EXPECT_EQ(run_op(&ops[i], FAULT_NONE), 0);
	}
}

UTEST(p9_faults, rlerror_surfaces_errno)
{
	for (size_t i = 0; i < ARRAY_SIZE(ops); i++) {
		int err = run_op(&ops[i], FAULT_LERROR);

		if (err != (int)ops[i].ecode)
			fprintf(stderr, "%s: Rlerror %u gave %d\n", ops[i].name, ops[i].ecode, err);
		UT_EXPECT_EQ(err, ops[i].ecode);
	}
}

UTEST(p9_faults, malformed_replies_are_eproto)
{
	static const enum fault kinds[] = {
		FAULT_LERROR_ZERO, FAULT_LERROR_BIG, FAULT_SHORT, FAULT_TRUNCATE,
		FAULT_SIZE_FIELD, FAULT_TAG, FAULT_TYPE, FAULT_TRAILING, FAULT_OVERSIZE,
		FAULT_GARBLE, FAULT_LONG,
	};

	for (size_t i = 0; i < ARRAY_SIZE(ops); i++) {
		for (size_t k = 0; k < ARRAY_SIZE(kinds); k++) {
			int err = run_op(&ops[i], kinds[k]);

			if (err != P9_EPROTO)
				fprintf(stderr, "%s/%s: %d, not P9_EPROTO\n", ops[i].name,
					fault_names[kinds[k]], err);
			UT_EXPECT_EQ(err, P9_EPROTO);
		}
	}
}

UTEST(p9_faults, transport_errors)
{
	for (size_t i = 0; i < ARRAY_SIZE(ops); i++) {
		bool clunk = ops[i].type == P9_TCLUNK;

		/* A lost Tclunk is sent again, so that one recovers. */
		UT_EXPECT_EQ(run_op(&ops[i], FAULT_LOSE_REQUEST), clunk ? 0 : P9_EIO);
		UT_EXPECT_EQ(run_op(&ops[i], FAULT_LOSE_REPLY), P9_ETIMEDOUT);
	}
}

UTEST(p9_faults, file_api_cleans_up)
{
	static const uint8_t types[] = { P9_TWALK, P9_TLOPEN, P9_TLCREATE, P9_TCLUNK };
	static const enum fault kinds[] = { FAULT_LERROR, FAULT_TRUNCATE, FAULT_LOSE_REPLY };
	struct p9_file f;
	struct p9_attr a;
	struct listing l;

	for (size_t t = 0; t < ARRAY_SIZE(types); t++) {
		for (size_t k = 0; k < ARRAY_SIZE(kinds); k++) {
			setup(65536);
			fk_node_new(0, "d", true, 0755);
			fk_arm(types[t], kinds[k], P9_EACCES);
			if (p9_file_open(&cl, "d/new", P9_FILE_WRITE | P9_FILE_CREATE, 0600, &f) == 0)
				p9_file_close(&f);
			fk_arm(types[t], kinds[k], P9_EACCES);
			p9_stat(&cl, "d/new", &a);
			fk_arm(types[t], kinds[k], P9_EACCES);
			memset(&l, 0, sizeof(l));
			p9_dir_list(&cl, "d", collect, &l);
			fk_arm(0, FAULT_NONE, 0);
			finish();
		}
	}
}

/* --- interleaved calls ------------------------------------------------------------------ */

/* rival_create: another client makes the file between our Twalk and our Tlcreate. */
static void rival_create(void)
{
	fk_file(0, "raced", "theirs", 6);
}

UTEST(p9_concurrency, create_race_opens_the_winner)
{
	struct p9_file f;
	uint8_t b[8];
	size_t done;

	setup(65536);
	fk.hook_type = P9_TLCREATE;
	fk.hook = rival_create;
	UT_ASSERT(p9_file_open(&cl, "raced", P9_FILE_READ | P9_FILE_WRITE | P9_FILE_CREATE, 0600,
			       &f) == 0);
	fk.hook = NULL;
	UT_EXPECT_EQ(fk.count[P9_TLCREATE], 1);
	UT_EXPECT_EQ(p9_file_read(&f, 0, b, sizeof(b), &done), 0);
	UT_EXPECT_EQ(done, 6);
	UT_EXPECT_EQ(memcmp(b, "theirs", 6), 0);
	UT_EXPECT_EQ(p9_file_close(&f), 0);
	/* With EXCL the race is the caller's to see. */
	fk.hook = rival_create;
	fk.nodes[fk_child(0, "raced")].linked = false;	/* gone again, so the walk misses */
	UT_EXPECT_EQ(p9_file_open(&cl, "raced", P9_FILE_WRITE | P9_FILE_CREATE | P9_FILE_EXCL,
				  0600, &f), P9_EEXIST);
	fk.hook = NULL;
	finish();
}

static int inner_runs;

/* inner_ops: a whole file life cycle while the outer Twrite is in flight. */
static void inner_ops(void)
{
	char name[32], back[32];
	struct p9_file f;
	struct p9_attr a;
	size_t done;

	snprintf(name, sizeof(name), "inner/%d", inner_runs);
	UT_EXPECT_EQ(p9_file_open(&cl, name, P9_FILE_READ | P9_FILE_WRITE | P9_FILE_CREATE |
				  P9_FILE_EXCL, 0600, &f), 0);
	UT_EXPECT_EQ(p9_file_write(&f, 0, name, strlen(name), &done), 0);
	UT_EXPECT_EQ(p9_file_read(&f, 0, back, sizeof(back), &done), 0);
	UT_EXPECT_EQ(done, strlen(name));
	UT_EXPECT_EQ(memcmp(back, name, done), 0);
	UT_EXPECT_EQ(p9_file_close(&f), 0);
	UT_EXPECT_EQ(p9_stat(&cl, name, &a), 0);
	UT_EXPECT_EQ(a.size, strlen(name));
	inner_runs++;
}

UTEST(p9_concurrency, calls_interleave_in_flight)
{
	static uint8_t buf[64 * 1024], back[64 * 1024];
	struct listing l = { 0 };
	struct p9_file f;
	size_t done;

	setup(8192);
	inner_runs = 0;
	UT_ASSERT(p9_dir_create(&cl, "inner", 0755) == 0);
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = pattern(i);
	UT_ASSERT(p9_file_open(&cl, "outer", P9_FILE_READ | P9_FILE_WRITE | P9_FILE_CREATE, 0600,
			       &f) == 0);
	fk.hook_type = P9_TWRITE;
	fk.hook = inner_ops;
	UT_EXPECT_EQ(p9_file_write(&f, 0, buf, sizeof(buf), &done), 0);
	fk.hook = NULL;
	UT_EXPECT_EQ(done, sizeof(buf));
	UT_EXPECT_EQ(inner_runs, (int)((sizeof(buf) + cl.iounit - 1) / cl.iounit));
	UT_EXPECT_EQ(p9_file_read(&f, 0, back, sizeof(back), &done), 0);
	UT_EXPECT_EQ(memcmp(buf, back, sizeof(buf)), 0);
	UT_EXPECT_EQ(p9_file_close(&f), 0);
	UT_EXPECT_EQ(p9_dir_list(&cl, "inner", collect, &l), 0);
	UT_EXPECT_EQ(l.n, inner_runs);
	finish();
}

int main(int argc, char **argv)
{
	return utest_main(argc, argv);
}
