/*
 * p9.c: the 9P2000.L client (see p9.h for the wire layouts and contracts).
 *
 * A call is one message buffer from the kernel heap holding the T-message
 * and, after it, room for the reply: p9_call_begin allocates it and a tag,
 * the caller encodes the body, p9_call_rpc sends it and checks the reply's
 * header, the caller decodes the body, and p9_call_end checks that the
 * body was consumed exactly and frees the tag and the buffer.  Decoding
 * never reads outside the reply: a read past its end marks the reader bad
 * and yields zeros, and a bad reader makes the call P9_EPROTO.
 */
#include "drivers/9p/p9.h"

#include <string.h>

#include "kern/kernel.h"
#include "vm/xmalloc.h"

#define P9_BUF_ALIGN		3	/* log2 of the message buffers' alignment */
#define P9_VERSION_REPLY_MAX	32	/* longest Rversion version string taken */
#define P9_DIRBUF_MAX		8192u	/* bytes of entries asked per Treaddir */

/* --- errors --------------------------------------------------------------- */

const char *p9_strerror(int err)
{
	switch (err) {
	case 0:				return "success";
	case P9_EPERM:			return "operation not permitted";
	case P9_ENOENT:			return "no such file or directory";
	case P9_EINTR:			return "interrupted";
	case P9_EIO:			return "I/O error";
	case P9_EBADF:			return "bad file descriptor";
	case P9_EAGAIN:			return "resource temporarily unavailable";
	case P9_ENOMEM:			return "out of memory";
	case P9_EACCES:			return "permission denied";
	case P9_EBUSY:			return "busy";
	case P9_EEXIST:			return "file exists";
	case P9_EXDEV:			return "cross-device link";
	case P9_ENOTDIR:		return "not a directory";
	case P9_EISDIR:			return "is a directory";
	case P9_EINVAL:			return "invalid argument";
	case P9_EMFILE:			return "too many open files";
	case P9_EFBIG:			return "file too large";
	case P9_ENOSPC:			return "no space left on device";
	case P9_EROFS:			return "read-only file system";
	case P9_ENAMETOOLONG:		return "file name too long";
	case P9_ENOSYS:			return "operation unknown to the server";
	case P9_ENOTEMPTY:		return "directory not empty";
	case P9_EPROTO:			return "protocol error";
	case P9_EMSGSIZE:		return "message too long";
	case P9_EPROTONOSUPPORT:	return "protocol not supported";
	case P9_EOPNOTSUPP:		return "operation not supported";
	case P9_ETIMEDOUT:		return "timed out";
	case P9_ESTALE:			return "stale file handle";
	case P9_EDQUOT:			return "disk quota exceeded";
	default:			return "unknown error";
	}
}

/* --- encoding ---------------------------------------------------------------
 *
 * Byte by byte, little-endian: no alignment or host byte order assumed.
 */

struct p9_wbuf {
	uint8_t *p;
	size_t cap, len;
};

struct p9_rbuf {
	const uint8_t *p;
	size_t len, pos;
	bool bad;		/* a read went past len */
};

/* A name inside a longer string: a path element, not NUL-terminated. */
struct p9_name {
	const char *s;
	size_t len;
};

static void p9_put(struct p9_wbuf *w, const void *src, size_t n)
{
	/* Every caller sized its message before encoding it. */
	KASSERT(n <= w->cap - w->len, "p9_put: %zu bytes overflow the message", n);
	memcpy(w->p + w->len, src, n);
	w->len += n;
}

static void p9_put_le(struct p9_wbuf *w, uint64_t v, size_t n)
{
	uint8_t b[8];

	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	p9_put(w, b, n);
}

static void p9_put_u8(struct p9_wbuf *w, uint8_t v)	{ p9_put_le(w, v, 1); }
static void p9_put_u16(struct p9_wbuf *w, uint16_t v)	{ p9_put_le(w, v, 2); }
static void p9_put_u32(struct p9_wbuf *w, uint32_t v)	{ p9_put_le(w, v, 4); }
static void p9_put_u64(struct p9_wbuf *w, uint64_t v)	{ p9_put_le(w, v, 8); }

static void p9_put_str(struct p9_wbuf *w, const char *s, size_t n)
{
	KASSERT(n <= UINT16_MAX, "p9_put_str: %zu-byte string", n);
	p9_put_u16(w, (uint16_t)n);
	p9_put(w, s, n);
}

/* p9_get: the next n bytes, or NULL (and the reader bad) if there are fewer. */
static const uint8_t *p9_get(struct p9_rbuf *r, size_t n)
{
	const uint8_t *p;

	if (r->bad || n > r->len - r->pos) {
		r->bad = true;
		return NULL;
	}
	p = r->p + r->pos;
	r->pos += n;
	return p;
}

static uint64_t p9_get_le(struct p9_rbuf *r, size_t n)
{
	const uint8_t *p = p9_get(r, n);
	uint64_t v = 0;

	for (size_t i = 0; p != NULL && i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static uint8_t p9_get_u8(struct p9_rbuf *r)	{ return (uint8_t)p9_get_le(r, 1); }
static uint16_t p9_get_u16(struct p9_rbuf *r)	{ return (uint16_t)p9_get_le(r, 2); }
static uint32_t p9_get_u32(struct p9_rbuf *r)	{ return (uint32_t)p9_get_le(r, 4); }
static uint64_t p9_get_u64(struct p9_rbuf *r)	{ return p9_get_le(r, 8); }

static void p9_get_qid(struct p9_rbuf *r, struct p9_qid *qid)
{
	qid->type = p9_get_u8(r);
	qid->version = p9_get_u32(r);
	qid->path = p9_get_u64(r);
}

/* p9_get_str: a string in place; {NULL, 0} if the reader went bad. */
static struct p9_name p9_get_str(struct p9_rbuf *r)
{
	size_t n = p9_get_u16(r);
	const uint8_t *p = p9_get(r, n);

	return (struct p9_name){ .s = p != NULL ? (const char *)p : NULL, .len = p != NULL ? n : 0 };
}

/* --- names and paths --------------------------------------------------------- */

/*
 * p9_name_check: may s[0, len) be sent as one path element?
 * => P9_EINVAL if empty, ".", "..", or holding '/' or a NUL;
 *    P9_ENAMETOOLONG past P9_NAME_MAX
 */
static int p9_name_check(struct p9_name n)
{
	if (n.s == NULL || n.len == 0)
		return P9_EINVAL;
	if (n.len > P9_NAME_MAX)
		return P9_ENAMETOOLONG;
	if ((n.len == 1 && n.s[0] == '.') || (n.len == 2 && n.s[0] == '.' && n.s[1] == '.'))
		return P9_EINVAL;
	if (memchr(n.s, '/', n.len) != NULL || memchr(n.s, '\0', n.len) != NULL)
		return P9_EINVAL;
	return 0;
}

/* p9_cname: a NUL-terminated name as a p9_name; its length bounded so it stays cheap. */
static struct p9_name p9_cname(const char *s)
{
	return (struct p9_name){ .s = s, .len = s != NULL ? strnlen(s, P9_NAME_MAX + 1) : 0 };
}

/* p9_path_next: the next element of [*s, end), skipping '/'s; false when none is left. */
static bool p9_path_next(const char **s, const char *end, struct p9_name *n)
{
	const char *p = *s;

	while (p < end && *p == '/')
		p++;
	if (p == end) {
		*s = p;
		return false;
	}
	n->s = p;
	while (p < end && *p != '/')
		p++;
	n->len = (size_t)(p - n->s);
	*s = p;
	return true;
}

/*
 * p9_path_check: validate every element of path; *end gets its end.
 * => P9_EINVAL (NULL or a bad element), P9_ENAMETOOLONG
 */
static int p9_path_check(const char *path, const char **end)
{
	struct p9_name n;
	const char *s;
	size_t len;
	int err;

	if (path == NULL)
		return P9_EINVAL;
	len = strnlen(path, P9_PATH_MAX + 1);
	if (len > P9_PATH_MAX)
		return P9_ENAMETOOLONG;
	*end = path + len;
	for (s = path; p9_path_next(&s, *end, &n);) {
		err = p9_name_check(n);
		if (err)
			return err;
	}
	return 0;
}

/*
 * p9_path_split: the last element of checked path [path, end) into *last,
 * and the end of its parent's path into *parent_end.
 * => P9_EINVAL if path is the root
 */
static int p9_path_split(const char *path, const char *end, const char **parent_end,
			 struct p9_name *last)
{
	const char *s = path;
	struct p9_name n;
	bool any = false;

	while (p9_path_next(&s, end, &n)) {
		*last = n;
		any = true;
	}
	if (!any)
		return P9_EINVAL;
	*parent_end = last->s;
	return 0;
}

/* --- tags and fids --------------------------------------------------------- */

static int p9_clunk_fid(struct p9_client *c, uint32_t fid);

static bool p9_idmap_test(const struct p9_idmap *m, uint32_t id)
{
	return id < P9_IDMAP_BITS && (m->bits[id / 32] & (1u << (id % 32))) != 0;
}

/*
 * p9_idmap_get: the first free id from m->hint on, round the map (m is
 * one of c's).  => caller holds c's lock; false if every id is in use
 */
static bool p9_idmap_get(struct p9_client *c, struct p9_idmap *m, uint32_t *id)
{
	LOCK_ASSERT(mutex_owned(&c->lock), "p9_idmap_get: client lock not held");
	for (uint32_t i = 0; i < P9_IDMAP_BITS; i++) {
		uint32_t b = (m->hint + i) % P9_IDMAP_BITS;

		if (p9_idmap_test(m, b))
			continue;
		m->bits[b / 32] |= 1u << (b % 32);
		m->used++;
		/* Rotate, so a freed id is not handed out again at once. */
		m->hint = (b + 1) % P9_IDMAP_BITS;
		*id = b;
		return true;
	}
	return false;
}

/* p9_idmap_put: free id of m, one of c's maps.  => caller holds c's lock; id in use */
static void p9_idmap_put(struct p9_client *c, struct p9_idmap *m, uint32_t id)
{
	LOCK_ASSERT(mutex_owned(&c->lock), "p9_idmap_put: client lock not held");
	KASSERT(p9_idmap_test(m, id), "p9_idmap_put: id %u not in use", id);
	m->bits[id / 32] &= ~(1u << (id % 32));
	m->used--;
}

/* p9_fid_alloc: a fid for a new server object.  => P9_EMFILE if none is free */
static int p9_fid_alloc(struct p9_client *c, uint32_t *fid)
{
	bool ok;

	mutex_lock(&c->lock);
	ok = p9_idmap_get(c, &c->fids, fid);
	mutex_unlock(&c->lock);
	return ok ? 0 : P9_EMFILE;
}

/* p9_fid_free: forget fid locally; the server no longer knows it. */
static void p9_fid_free(struct p9_client *c, uint32_t fid)
{
	mutex_lock(&c->lock);
	p9_idmap_put(c, &c->fids, fid);
	mutex_unlock(&c->lock);
}

/* p9_fid_in_use: is fid allocated (a snapshot: the caller must own fid for it to hold)? */
static bool p9_fid_in_use(struct p9_client *c, uint32_t fid)
{
	bool used;

	mutex_lock(&c->lock);
	used = p9_idmap_test(&c->fids, fid);
	mutex_unlock(&c->lock);
	return used;
}

/*
 * What a failed Twalk or Tattach left behind on the server for its new
 * fid: nothing (it answered Rlerror, or a well-formed partial Rwalk), or
 * perhaps a live fid (the reply was lost or malformed after the server
 * may have acted on the request).
 */
enum p9_fid_fate {
	P9_FID_NOT_MADE,
	P9_FID_MAYBE_MADE,
};

/* p9_fid_discard: release fid after a failed call that should have established it. */
static void p9_fid_discard(struct p9_client *c, uint32_t fid, enum p9_fid_fate fate)
{
	if (fate == P9_FID_NOT_MADE)
		p9_fid_free(c, fid);
	else
		(void)p9_clunk_fid(c, fid);	/* frees it locally whatever the server says */
}

/* --- calls ------------------------------------------------------------------ */

struct p9_call {
	uint8_t *buf;		/* pinned_heap: T-message, then the reply */
	struct p9_wbuf t;	/* the T-message */
	uint8_t *rbuf;
	size_t rcap;
	struct p9_rbuf r;	/* the reply, positioned at its body after p9_call_rpc */
	uint16_t tag;
	bool replied;		/* the transport delivered a reply, well-formed or not */
	bool lerror;		/* the server answered Rlerror */
};

/*
 * Bulk data is placed 8-byte aligned in the message buffer, as the
 * caller's buffer usually is (a copy between misaligned addresses goes a
 * byte at a time): Twrite's data follows a 23-byte header (size type tag
 * fid[4] offset[8] count[4]), Rread's and Rreaddir's an 11-byte one (size
 * type tag count[4]).  p9_data_pad: bytes before a message whose data
 * starts data_off bytes in.
 */
#define P9_TWRITE_DATA_OFF	23
#define P9_RDATA_OFF		11

static size_t p9_data_pad(size_t data_off)
{
	return (8 - data_off % 8) % 8;
}

/*
 * p9_call_begin: a message of type with room for tbody bytes of body, and
 * for a reply body of up to rbody bytes.
 * => P9_EMSGSIZE if either exceeds msize; P9_EAGAIN if no tag is free;
 *    P9_ENOMEM; on error there is nothing to end
 */
static int p9_call_begin(struct p9_client *c, struct p9_call *call, uint8_t type, size_t tbody,
			 size_t rbody)
{
	size_t tcap = P9_HDR_SIZE + tbody;
	size_t rcap = P9_HDR_SIZE + MAX(rbody, (size_t)P9_RLERROR_SIZE);
	size_t tpad = type == P9_TWRITE ? p9_data_pad(P9_TWRITE_DATA_OFF) : 0;
	size_t rpad = type == P9_TREAD || type == P9_TREADDIR ? p9_data_pad(P9_RDATA_OFF) : 0;
	uint32_t tag = P9_NOTAG;
	bool ok = true;

	if (tcap > c->msize || rcap > c->msize)
		return P9_EMSGSIZE;
	*call = (struct p9_call){ .rcap = rcap };
	/*
	 * pinned_heap: the device reads and writes the buffer, and swap files
	 * and mapped files page through here, where kernel_heap's faults
	 * could wait for the very pageout this call is.
	 */
	call->buf = (uint8_t *)xmalloc((int)(ROUND_UP(tpad + tcap, 8) + rpad + rcap), P9_BUF_ALIGN,
				       pinned_heap);
	if (call->buf == NULL)
		return P9_ENOMEM;
	if (type != P9_TVERSION) {	/* Tversion alone goes out with P9_NOTAG */
		mutex_lock(&c->lock);
		ok = p9_idmap_get(c, &c->tags, &tag);
		mutex_unlock(&c->lock);
	}
	if (!ok) {
		xmfree((caddr_t)call->buf, pinned_heap);
		return P9_EAGAIN;
	}
	call->tag = (uint16_t)tag;
	call->t = (struct p9_wbuf){ .p = call->buf + tpad, .cap = tcap };
	call->rbuf = call->buf + ROUND_UP(tpad + tcap, 8) + rpad;
	p9_put_u32(&call->t, 0);	/* size, set by p9_call_rpc */
	p9_put_u8(&call->t, type);
	p9_put_u16(&call->t, call->tag);
	return 0;
}

/*
 * p9_reply_check: is rbuf[0, rlen) a well-formed reply of type rtype (or
 * Rlerror) to this call?  On success call->r is at the body.
 * => the Rlerror ecode (call->lerror set); P9_EPROTO for a reply too short,
 *    too long for its buffer, whose size field disagrees with its length,
 *    with another tag or type, or an Rlerror ecode out of range
 */
static int p9_reply_check(struct p9_call *call, size_t rlen, uint8_t rtype)
{
	struct p9_rbuf *r = &call->r;
	uint32_t size, ecode;
	uint8_t type;

	if (rlen > call->rcap || rlen < P9_HDR_SIZE)
		return P9_EPROTO;
	*r = (struct p9_rbuf){ .p = call->rbuf, .len = rlen };
	size = p9_get_u32(r);
	type = p9_get_u8(r);
	if (size != rlen || p9_get_u16(r) != call->tag)
		return P9_EPROTO;
	if (type == P9_RLERROR) {
		ecode = p9_get_u32(r);
		if (r->bad || r->pos != r->len || ecode == 0 || ecode > P9_ERRNO_MAX)
			return P9_EPROTO;
		call->lerror = true;
		return (int)ecode;
	}
	return type == rtype ? 0 : P9_EPROTO;
}

/*
 * p9_call_rpc: send the encoded T-message and check the reply's header.
 * => the transport's error, or as p9_reply_check
 */
static int p9_call_rpc(struct p9_client *c, struct p9_call *call, uint8_t rtype)
{
	size_t rlen = 0;
	int err;

	for (int i = 0; i < 4; i++)
		call->t.p[i] = (uint8_t)(call->t.len >> (8 * i));
	err = c->trans.rpc(c->trans.ctx, call->t.p, call->t.len, call->rbuf, call->rcap, &rlen);
	if (err)
		return err > 0 && err <= P9_ERRNO_MAX ? err : P9_EIO;
	call->replied = true;
	return p9_reply_check(call, rlen, rtype);
}

/*
 * p9_call_end: finish a call begun with p9_call_begin; err is its outcome
 * so far.  => err, else P9_EPROTO if the body was not decoded exactly
 */
static int p9_call_end(struct p9_client *c, struct p9_call *call, int err)
{
	if (!err && (call->r.bad || call->r.pos != call->r.len))
		err = P9_EPROTO;
	if (call->tag != P9_NOTAG) {
		mutex_lock(&c->lock);
		p9_idmap_put(c, &c->tags, call->tag);
		mutex_unlock(&c->lock);
	}
	xmfree((caddr_t)call->buf, pinned_heap);
	call->buf = NULL;
	return err;
}

/* --- session ---------------------------------------------------------------- */

/*
 * p9_version: Tversion asking for msize ask; c->msize and c->iounit get
 * the answer.  => as p9_client_init
 */
static int p9_version(struct p9_client *c, uint32_t ask)
{
	const size_t vlen = sizeof(P9_VERSION) - 1;
	struct p9_call call;
	struct p9_name v;
	uint32_t msize = 0;
	int err;

	c->msize = ask;		/* the bound for the Tversion exchange itself */
	err = p9_call_begin(c, &call, P9_TVERSION, 4 + 2 + vlen, 4 + 2 + P9_VERSION_REPLY_MAX);
	if (err)
		return err;
	p9_put_u32(&call.t, ask);
	p9_put_str(&call.t, P9_VERSION, vlen);
	err = p9_call_rpc(c, &call, P9_RVERSION);
	if (!err) {
		msize = p9_get_u32(&call.r);
		v = p9_get_str(&call.r);
		if (!call.r.bad && (v.len != vlen || memcmp(v.s, P9_VERSION, vlen) != 0))
			err = P9_EPROTONOSUPPORT;	/* "unknown", or another dialect */
		else if (!call.r.bad && (msize < P9_MSIZE_MIN || msize > ask))
			err = P9_EPROTO;
	}
	err = p9_call_end(c, &call, err);
	if (!err) {
		c->msize = msize;
		c->iounit = msize - P9_IOHDR_SIZE;
	}
	return err;
}

/*
 * p9_attach: Tattach of c->root_fid (allocated); c->root_qid gets the
 * root's qid.  => on error the root fid is released
 */
static int p9_attach(struct p9_client *c, struct p9_name uname, struct p9_name aname,
		     uint32_t n_uname)
{
	struct p9_call call;
	int err;

	err = p9_call_begin(c, &call, P9_TATTACH, 4 + 4 + 2 + uname.len + 2 + aname.len + 4,
			    P9_QID_SIZE);
	if (err) {
		p9_fid_free(c, c->root_fid);
		return err;
	}
	p9_put_u32(&call.t, c->root_fid);
	p9_put_u32(&call.t, P9_NOFID);		/* afid: no authentication */
	p9_put_str(&call.t, uname.s, uname.len);
	p9_put_str(&call.t, aname.s, aname.len);
	p9_put_u32(&call.t, n_uname);
	err = p9_call_rpc(c, &call, P9_RATTACH);
	if (!err)
		p9_get_qid(&call.r, &c->root_qid);
	err = p9_call_end(c, &call, err);
	if (err)
		p9_fid_discard(c, c->root_fid, call.lerror ? P9_FID_NOT_MADE : P9_FID_MAYBE_MADE);
	return err;
}

int p9_client_init(struct p9_client *c, const struct p9_transport *t, const char *uname,
		   const char *aname, uint32_t n_uname)
{
	struct p9_name un, an;
	int err;

	if (c == NULL || t == NULL || t->rpc == NULL || uname == NULL || aname == NULL ||
	    t->max_msize < P9_MSIZE_MIN)
		return P9_EINVAL;
	un = (struct p9_name){ uname, strnlen(uname, P9_PATH_MAX + 1) };
	an = (struct p9_name){ aname, strnlen(aname, P9_PATH_MAX + 1) };
	if (un.len > P9_PATH_MAX || an.len > P9_PATH_MAX)
		return P9_ENAMETOOLONG;
	*c = (struct p9_client){ .trans = *t, .root_fid = P9_NOFID };
	mutex_init(&c->lock, "p9_client");
	err = p9_version(c, MIN(t->max_msize, P9_MSIZE_CAP));
	if (err)
		return err;
	err = p9_fid_alloc(c, &c->root_fid);
	if (err)
		return err;
	return p9_attach(c, un, an, n_uname);
}

int p9_client_destroy(struct p9_client *c)
{
	uint32_t used;

	mutex_lock(&c->lock);
	used = c->fids.used;
	mutex_unlock(&c->lock);
	if (used != 1)
		return P9_EBUSY;
	return p9_clunk_fid(c, c->root_fid);
}

uint32_t p9_client_fids_in_use(struct p9_client *c)
{
	uint32_t used;

	mutex_lock(&c->lock);
	used = c->fids.used;
	mutex_unlock(&c->lock);
	return used;
}

/* p9_idmap_check: problems in m: its count against its bits. */
static int p9_idmap_check(const struct p9_idmap *m, const char *what,
			  void (*report)(const char *fmt, ...))
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < P9_IDMAP_WORDS; i++)
		n += (uint32_t)__builtin_popcount(m->bits[i]);
	if (n == m->used && m->hint < P9_IDMAP_BITS)
		return 0;
	if (report != NULL)
		report("p9: %s map: %u bits set, count %u, hint %u\n", what, n, m->used, m->hint);
	return 1;
}

int p9_client_check(struct p9_client *c, void (*report)(const char *fmt, ...))
{
	int problems = 0;

	mutex_lock(&c->lock);
	/* The counts match the bitmaps. */
	problems += p9_idmap_check(&c->tags, "tag", report);
	problems += p9_idmap_check(&c->fids, "fid", report);
	/* The root fid is held as long as the client lives. */
	if (!p9_idmap_test(&c->fids, c->root_fid)) {
		problems++;
		if (report != NULL)
			report("p9: root fid %u not in use\n", c->root_fid);
	}
	/* msize was negotiated inside the bounds, and iounit follows from it. */
	if (c->msize < P9_MSIZE_MIN || c->msize > P9_MSIZE_CAP ||
	    c->iounit != c->msize - P9_IOHDR_SIZE) {
		problems++;
		if (report != NULL)
			report("p9: msize %u iounit %u\n", c->msize, c->iounit);
	}
	mutex_unlock(&c->lock);
	return problems;
}

/* --- RPCs ------------------------------------------------------------------- */

/* p9_twalk_size: the body of a Twalk of names[0, n). */
static size_t p9_twalk_size(const struct p9_name *names, unsigned n)
{
	size_t size = 4 + 4 + 2;

	for (unsigned i = 0; i < n; i++)
		size += 2 + names[i].len;
	return size;
}

/*
 * p9_walk_once: Twalk of checked names[0, n) from fid to newfid (which may
 * be fid itself, moving it).  *qid gets the last element's qid (unchanged
 * for n == 0).
 * => P9_ENOENT for a partial walk; *fate says what became of newfid on
 *    any error
 */
static int p9_walk_once(struct p9_client *c, uint32_t fid, uint32_t newfid,
			const struct p9_name *names, unsigned n, struct p9_qid *qid,
			enum p9_fid_fate *fate)
{
	struct p9_call call;
	struct p9_qid q = *qid;
	uint16_t nwqid = 0;
	int err;

	*fate = P9_FID_NOT_MADE;
	err = p9_call_begin(c, &call, P9_TWALK, p9_twalk_size(names, n), 2 + n * P9_QID_SIZE);
	if (err)
		return err;
	p9_put_u32(&call.t, fid);
	p9_put_u32(&call.t, newfid);
	p9_put_u16(&call.t, (uint16_t)n);
	for (unsigned i = 0; i < n; i++)
		p9_put_str(&call.t, names[i].s, names[i].len);
	err = p9_call_rpc(c, &call, P9_RWALK);
	if (!err) {
		nwqid = p9_get_u16(&call.r);
		if (nwqid > n)
			call.r.bad = true;
		for (unsigned i = 0; i < nwqid && !call.r.bad; i++)
			p9_get_qid(&call.r, &q);
	}
	err = p9_call_end(c, &call, err);
	if (!err && nwqid < n)
		return P9_ENOENT;	/* a partial walk leaves newfid alone */
	if (err && !call.lerror)
		*fate = P9_FID_MAYBE_MADE;
	if (!err)
		*qid = q;
	return err;
}

/* p9_walk_names: p9_walk_once to a fresh fid; on failure none is left. */
static int p9_walk_names(struct p9_client *c, uint32_t fid, const struct p9_name *names,
			 unsigned n, uint32_t *newfid, struct p9_qid *qid)
{
	enum p9_fid_fate fate;
	uint32_t nfid;
	int err;

	err = p9_fid_alloc(c, &nfid);
	if (err)
		return err;
	err = p9_walk_once(c, fid, nfid, names, n, qid, &fate);
	if (err) {
		p9_fid_discard(c, nfid, fate);
		return err;
	}
	*newfid = nfid;
	return 0;
}

int p9_walk(struct p9_client *c, uint32_t fid, unsigned nwname, const char *const *wnames,
	    uint32_t *newfid, struct p9_qid *qid)
{
	struct p9_name names[P9_WALK_MAX] = { { NULL, 0 } };
	struct p9_qid q = { 0 };
	int err;

	if (nwname > P9_WALK_MAX || (nwname > 0 && wnames == NULL) || newfid == NULL)
		return P9_EINVAL;
	for (unsigned i = 0; i < nwname; i++) {
		names[i] = p9_cname(wnames[i]);
		err = p9_name_check(names[i]);
		if (err)
			return err;
	}
	err = p9_walk_names(c, fid, names, nwname, newfid, &q);
	if (!err && qid != NULL && nwname > 0)
		*qid = q;
	return err;
}

/*
 * p9_walk_gather: the next names of [*s, end) for one Twalk: at most
 * P9_WALK_MAX, and no more than fit in msize.  => the number gathered
 */
static unsigned p9_walk_gather(struct p9_client *c, const char **s, const char *end,
			       struct p9_name *names)
{
	size_t size = P9_HDR_SIZE + p9_twalk_size(NULL, 0);
	const char *p = *s;
	unsigned n = 0;

	while (n < P9_WALK_MAX && p9_path_next(&p, end, &names[n])) {
		size += 2 + names[n].len;
		if (size > c->msize)
			break;
		n++;
		*s = p;
	}
	return n;
}

/*
 * p9_walk_path: a new fid for checked path [path, end) from the root.
 * => on error no fid is left
 */
static int p9_walk_path(struct p9_client *c, const char *path, const char *end,
			uint32_t *fidp, struct p9_qid *qid)
{
	struct p9_name names[P9_WALK_MAX], probe;
	enum p9_fid_fate fate;
	const char *s = path, *rest;
	uint32_t fid;
	unsigned n;
	int err;

	*qid = c->root_qid;
	n = p9_walk_gather(c, &s, end, names);
	err = p9_walk_names(c, c->root_fid, names, n, &fid, qid);
	if (err)
		return err;
	/* Longer paths: move the new fid along, Twalk by Twalk. */
	for (rest = s; p9_path_next(&rest, end, &probe); rest = s) {
		n = p9_walk_gather(c, &s, end, names);
		/* One name always fits: 7 + 10 + 2 + P9_NAME_MAX < P9_MSIZE_MIN. */
		KASSERT(n > 0, "p9_walk_path: no name fits in msize %u", c->msize);
		err = p9_walk_once(c, fid, fid, names, n, qid, &fate);
		if (err) {
			(void)p9_clunk(c, fid);	/* fid, moved or not, is still live */
			return err;
		}
	}
	*fidp = fid;
	return 0;
}

/* p9_get_qid_iounit: decode qid[13] iounit[4] (Rlopen, Rlcreate) into the optional outputs. */
static void p9_get_qid_iounit(struct p9_rbuf *r, struct p9_qid *qid, uint32_t *iounit)
{
	struct p9_qid q;
	uint32_t io;

	p9_get_qid(r, &q);
	io = p9_get_u32(r);
	if (r->bad)
		return;
	if (qid != NULL)
		*qid = q;
	if (iounit != NULL)
		*iounit = io;
}

int p9_lopen(struct p9_client *c, uint32_t fid, uint32_t flags, struct p9_qid *qid,
	     uint32_t *iounit)
{
	struct p9_call call;
	int err;

	err = p9_call_begin(c, &call, P9_TLOPEN, 4 + 4, P9_RLOPEN_SIZE);
	if (err)
		return err;
	p9_put_u32(&call.t, fid);
	p9_put_u32(&call.t, flags);
	err = p9_call_rpc(c, &call, P9_RLOPEN);
	if (!err)
		p9_get_qid_iounit(&call.r, qid, iounit);
	return p9_call_end(c, &call, err);
}

/* p9_lcreate_name: p9_lcreate of a checked name. */
static int p9_lcreate_name(struct p9_client *c, uint32_t fid, struct p9_name name,
			   uint32_t flags, uint32_t mode, struct p9_qid *qid, uint32_t *iounit)
{
	struct p9_call call;
	int err;

	err = p9_call_begin(c, &call, P9_TLCREATE, 4 + 2 + name.len + 4 + 4 + 4, P9_RLOPEN_SIZE);
	if (err)
		return err;
	p9_put_u32(&call.t, fid);
	p9_put_str(&call.t, name.s, name.len);
	p9_put_u32(&call.t, flags);
	p9_put_u32(&call.t, P9_S_IFREG | (mode & P9_S_PERM));
	p9_put_u32(&call.t, c->gid);
	err = p9_call_rpc(c, &call, P9_RLCREATE);
	if (!err)
		p9_get_qid_iounit(&call.r, qid, iounit);
	return p9_call_end(c, &call, err);
}

int p9_lcreate(struct p9_client *c, uint32_t fid, const char *name, uint32_t flags,
	       uint32_t mode, struct p9_qid *qid, uint32_t *iounit)
{
	struct p9_name n = p9_cname(name);
	int err = p9_name_check(n);

	if (err)
		return err;
	return p9_lcreate_name(c, fid, n, flags, mode, qid, iounit);
}

/*
 * p9_data_call: Tread or Treaddir (same layout) of up to count bytes into
 * buf.  => *nread; P9_EPROTO if the server answers more than asked
 */
static int p9_data_call(struct p9_client *c, uint8_t type, uint32_t fid, uint64_t offset,
			void *buf, uint32_t count, uint32_t *nread)
{
	struct p9_call call;
	const uint8_t *data;
	uint32_t got = 0;
	int err;

	if (buf == NULL && count > 0)
		return P9_EINVAL;
	count = MIN(count, c->iounit);
	err = p9_call_begin(c, &call, type, 4 + 8 + 4, 4 + (size_t)count);
	if (err)
		return err;
	p9_put_u32(&call.t, fid);
	p9_put_u64(&call.t, offset);
	p9_put_u32(&call.t, count);
	err = p9_call_rpc(c, &call, (uint8_t)(type + 1));
	if (!err) {
		got = p9_get_u32(&call.r);
		data = got <= count ? p9_get(&call.r, got) : NULL;
		if (data == NULL)
			call.r.bad = true;
		else if (got > 0)
			memcpy(buf, data, got);
	}
	err = p9_call_end(c, &call, err);
	if (!err && nread != NULL)
		*nread = got;
	return err;
}

int p9_read(struct p9_client *c, uint32_t fid, uint64_t offset, void *buf, uint32_t count,
	    uint32_t *nread)
{
	return p9_data_call(c, P9_TREAD, fid, offset, buf, count, nread);
}

int p9_readdir(struct p9_client *c, uint32_t fid, uint64_t offset, void *buf, uint32_t count,
	       uint32_t *nbytes)
{
	return p9_data_call(c, P9_TREADDIR, fid, offset, buf, count, nbytes);
}

int p9_write(struct p9_client *c, uint32_t fid, uint64_t offset, const void *buf,
	     uint32_t count, uint32_t *nwritten)
{
	struct p9_call call;
	uint32_t got = 0;
	int err;

	if (buf == NULL && count > 0)
		return P9_EINVAL;
	count = MIN(count, c->iounit);
	err = p9_call_begin(c, &call, P9_TWRITE, 4 + 8 + 4 + (size_t)count, 4);
	if (err)
		return err;
	p9_put_u32(&call.t, fid);
	p9_put_u64(&call.t, offset);
	p9_put_u32(&call.t, count);
	p9_put(&call.t, buf, count);
	err = p9_call_rpc(c, &call, P9_RWRITE);
	if (!err) {
		got = p9_get_u32(&call.r);
		if (got > count)
			call.r.bad = true;
	}
	err = p9_call_end(c, &call, err);
	if (!err && nwritten != NULL)
		*nwritten = got;
	return err;
}

int p9_fsync(struct p9_client *c, uint32_t fid, enum p9_fsync_kind kind)
{
	struct p9_call call;
	int err;

	err = p9_call_begin(c, &call, P9_TFSYNC, 4 + 4, 0);
	if (err)
		return err;
	p9_put_u32(&call.t, fid);
	p9_put_u32(&call.t, (uint32_t)kind);
	err = p9_call_rpc(c, &call, P9_RFSYNC);
	return p9_call_end(c, &call, err);
}

/* p9_get_attr: decode an Rgetattr body. */
static void p9_get_attr(struct p9_rbuf *r, struct p9_attr *a)
{
	a->valid = p9_get_u64(r);
	p9_get_qid(r, &a->qid);
	a->mode = p9_get_u32(r);
	a->uid = p9_get_u32(r);
	a->gid = p9_get_u32(r);
	a->nlink = p9_get_u64(r);
	a->rdev = p9_get_u64(r);
	a->size = p9_get_u64(r);
	a->blksize = p9_get_u64(r);
	a->blocks = p9_get_u64(r);
	a->atime_sec = p9_get_u64(r);
	a->atime_nsec = p9_get_u64(r);
	a->mtime_sec = p9_get_u64(r);
	a->mtime_nsec = p9_get_u64(r);
	a->ctime_sec = p9_get_u64(r);
	a->ctime_nsec = p9_get_u64(r);
	a->btime_sec = p9_get_u64(r);
	a->btime_nsec = p9_get_u64(r);
	a->gen = p9_get_u64(r);
	a->data_version = p9_get_u64(r);
}

int p9_getattr(struct p9_client *c, uint32_t fid, uint64_t mask, struct p9_attr *attr)
{
	struct p9_call call;
	struct p9_attr a;
	int err;

	if (attr == NULL)
		return P9_EINVAL;
	err = p9_call_begin(c, &call, P9_TGETATTR, 4 + 8, P9_RGETATTR_SIZE);
	if (err)
		return err;
	p9_put_u32(&call.t, fid);
	p9_put_u64(&call.t, mask);
	err = p9_call_rpc(c, &call, P9_RGETATTR);
	if (!err)
		p9_get_attr(&call.r, &a);
	err = p9_call_end(c, &call, err);
	if (!err)
		*attr = a;
	return err;
}

int p9_setattr(struct p9_client *c, uint32_t fid, const struct p9_setattr *sa)
{
	struct p9_call call;
	int err;

	if (sa == NULL)
		return P9_EINVAL;
	err = p9_call_begin(c, &call, P9_TSETATTR, P9_TSETATTR_SIZE, 0);
	if (err)
		return err;
	p9_put_u32(&call.t, fid);
	p9_put_u32(&call.t, sa->valid);
	p9_put_u32(&call.t, sa->mode);
	p9_put_u32(&call.t, sa->uid);
	p9_put_u32(&call.t, sa->gid);
	p9_put_u64(&call.t, sa->size);
	p9_put_u64(&call.t, sa->atime_sec);
	p9_put_u64(&call.t, sa->atime_nsec);
	p9_put_u64(&call.t, sa->mtime_sec);
	p9_put_u64(&call.t, sa->mtime_nsec);
	err = p9_call_rpc(c, &call, P9_RSETATTR);
	return p9_call_end(c, &call, err);
}

int p9_dirent_decode(const void *buf, size_t len, size_t *pos, struct p9_dirent *d)
{
	struct p9_rbuf r = { .p = buf, .len = len, .pos = *pos };
	struct p9_name name;

	if (buf == NULL || pos == NULL || d == NULL || *pos > len)
		return P9_EINVAL;
	p9_get_qid(&r, &d->qid);
	d->offset = p9_get_u64(&r);
	d->type = p9_get_u8(&r);
	name = p9_get_str(&r);
	if (r.bad || name.len == 0 || name.len > P9_NAME_MAX ||
	    memchr(name.s, '/', name.len) != NULL || memchr(name.s, '\0', name.len) != NULL)
		return P9_EPROTO;
	memcpy(d->name, name.s, name.len);
	d->name[name.len] = '\0';
	*pos = r.pos;
	return 0;
}

/* p9_unlinkat_name: p9_unlinkat of a checked name. */
static int p9_unlinkat_name(struct p9_client *c, uint32_t dirfid, struct p9_name name,
			    uint32_t flags)
{
	struct p9_call call;
	int err;

	err = p9_call_begin(c, &call, P9_TUNLINKAT, 4 + 2 + name.len + 4, 0);
	if (err)
		return err;
	p9_put_u32(&call.t, dirfid);
	p9_put_str(&call.t, name.s, name.len);
	p9_put_u32(&call.t, flags);
	err = p9_call_rpc(c, &call, P9_RUNLINKAT);
	return p9_call_end(c, &call, err);
}

int p9_unlinkat(struct p9_client *c, uint32_t dirfid, const char *name, uint32_t flags)
{
	struct p9_name n = p9_cname(name);
	int err = p9_name_check(n);

	if (err)
		return err;
	return p9_unlinkat_name(c, dirfid, n, flags);
}

int p9_statfs(struct p9_client *c, uint32_t fid, struct p9_statfs *sfs)
{
	struct p9_call call;
	struct p9_statfs s;
	int err;

	if (sfs == NULL)
		return P9_EINVAL;
	err = p9_call_begin(c, &call, P9_TSTATFS, 4, P9_RSTATFS_SIZE);
	if (err)
		return err;
	p9_put_u32(&call.t, fid);
	err = p9_call_rpc(c, &call, P9_RSTATFS);
	if (!err) {
		s.type = p9_get_u32(&call.r);
		s.bsize = p9_get_u32(&call.r);
		s.blocks = p9_get_u64(&call.r);
		s.bfree = p9_get_u64(&call.r);
		s.bavail = p9_get_u64(&call.r);
		s.files = p9_get_u64(&call.r);
		s.ffree = p9_get_u64(&call.r);
		s.fsid = p9_get_u64(&call.r);
		s.namelen = p9_get_u32(&call.r);
	}
	err = p9_call_end(c, &call, err);
	if (!err)
		*sfs = s;
	return err;
}

/* p9_mkdir_name: p9_mkdir of a checked name. */
static int p9_mkdir_name(struct p9_client *c, uint32_t dfid, struct p9_name name,
			 uint32_t mode, struct p9_qid *qid)
{
	struct p9_call call;
	struct p9_qid q;
	int err;

	err = p9_call_begin(c, &call, P9_TMKDIR, 4 + 2 + name.len + 4 + 4, P9_QID_SIZE);
	if (err)
		return err;
	p9_put_u32(&call.t, dfid);
	p9_put_str(&call.t, name.s, name.len);
	p9_put_u32(&call.t, P9_S_IFDIR | (mode & P9_S_PERM));
	p9_put_u32(&call.t, c->gid);
	err = p9_call_rpc(c, &call, P9_RMKDIR);
	if (!err)
		p9_get_qid(&call.r, &q);
	err = p9_call_end(c, &call, err);
	if (!err && qid != NULL)
		*qid = q;
	return err;
}

int p9_mkdir(struct p9_client *c, uint32_t dfid, const char *name, uint32_t mode,
	     struct p9_qid *qid)
{
	struct p9_name n = p9_cname(name);
	int err = p9_name_check(n);

	if (err)
		return err;
	return p9_mkdir_name(c, dfid, n, mode, qid);
}

/* p9_clunk_once: one Tclunk of fid.  => *replied: a reply came back */
static int p9_clunk_once(struct p9_client *c, uint32_t fid, bool *replied)
{
	struct p9_call call;
	int err;

	*replied = false;
	err = p9_call_begin(c, &call, P9_TCLUNK, 4, 0);
	if (err)
		return err;
	p9_put_u32(&call.t, fid);
	err = p9_call_rpc(c, &call, P9_RCLUNK);
	*replied = call.replied;
	return p9_call_end(c, &call, err);
}

/*
 * p9_clunk_fid: p9_clunk, the root fid included.  Without a reply the
 * request may never have arrived and the server would keep fid for good,
 * so it is sent once more; fid is still ours, so no other call can have
 * reused it meanwhile.  => the first error unless the second try succeeds
 */
static int p9_clunk_fid(struct p9_client *c, uint32_t fid)
{
	bool replied;
	int err;

	if (!p9_fid_in_use(c, fid))
		return P9_EBADF;
	err = p9_clunk_once(c, fid, &replied);
	if (err && !replied && p9_clunk_once(c, fid, &replied) == 0)
		err = 0;
	p9_fid_free(c, fid);
	return err;
}

int p9_clunk(struct p9_client *c, uint32_t fid)
{
	if (fid == c->root_fid)
		return P9_EINVAL;	/* p9_client_destroy's to clunk */
	return p9_clunk_fid(c, fid);
}

/* --- the file API ----------------------------------------------------------- */

/* p9_clunk_after: clunk fid once its work is done; the work's error wins. */
static int p9_clunk_after(struct p9_client *c, uint32_t fid, int err)
{
	int cerr = p9_clunk(c, fid);

	return err ? err : cerr;
}

/*
 * p9_file_flags: the Tlopen flags for P9_FILE_* flags.
 * => P9_EINVAL for a combination p9_file_open refuses
 */
static int p9_file_flags(unsigned flags, uint32_t *lflags)
{
	const unsigned known = P9_FILE_READ | P9_FILE_WRITE | P9_FILE_CREATE | P9_FILE_TRUNC |
			       P9_FILE_EXCL;
	unsigned rw = flags & (P9_FILE_READ | P9_FILE_WRITE);

	if ((flags & ~known) || rw == 0)
		return P9_EINVAL;
	if ((flags & P9_FILE_TRUNC) && !(flags & P9_FILE_WRITE))
		return P9_EINVAL;
	if ((flags & P9_FILE_EXCL) && !(flags & P9_FILE_CREATE))
		return P9_EINVAL;
	*lflags = rw == P9_FILE_READ ? P9_DOTL_RDONLY :
		  rw == P9_FILE_WRITE ? P9_DOTL_WRONLY : P9_DOTL_RDWR;
	if (flags & P9_FILE_TRUNC)
		*lflags |= P9_DOTL_TRUNC;
	return 0;
}

/* p9_file_fill: *f for fid, opened with flags; the server's iounit bounds ours. */
static void p9_file_fill(struct p9_client *c, struct p9_file *f, uint32_t fid, unsigned flags,
			 const struct p9_qid *qid, uint32_t iounit)
{
	*f = (struct p9_file){
		.client = c,
		.fid = fid,
		.iounit = iounit != 0 && iounit < c->iounit ? iounit : c->iounit,
		.flags = flags & (P9_FILE_READ | P9_FILE_WRITE),
		.qid = *qid,
	};
}

/* p9_file_open_existing: walk to checked path and Tlopen it. */
static int p9_file_open_existing(struct p9_client *c, const char *path, const char *end,
				 unsigned flags, uint32_t lflags, struct p9_file *f)
{
	struct p9_qid qid;
	uint32_t fid, iounit = 0;
	int err;

	err = p9_walk_path(c, path, end, &fid, &qid);
	if (err)
		return err;
	err = p9_lopen(c, fid, lflags, &qid, &iounit);
	if (err)
		return p9_clunk_after(c, fid, err);
	p9_file_fill(c, f, fid, flags, &qid, iounit);
	return 0;
}

/* p9_file_create: walk to checked path's parent and Tlcreate its last element. */
static int p9_file_create(struct p9_client *c, const char *path, const char *end,
			  unsigned flags, uint32_t lflags, uint32_t mode, struct p9_file *f)
{
	const char *parent_end;
	struct p9_name last;
	struct p9_qid qid;
	uint32_t fid, iounit = 0;
	int err;

	err = p9_path_split(path, end, &parent_end, &last);
	if (err)
		return err;
	err = p9_walk_path(c, path, parent_end, &fid, &qid);
	if (err)
		return err;
	lflags |= P9_DOTL_CREATE | ((flags & P9_FILE_EXCL) ? P9_DOTL_EXCL : 0);
	err = p9_lcreate_name(c, fid, last, lflags, mode, &qid, &iounit);
	if (err)
		return p9_clunk_after(c, fid, err);
	p9_file_fill(c, f, fid, flags, &qid, iounit);
	return 0;
}

int p9_file_open(struct p9_client *c, const char *path, unsigned flags, uint32_t mode,
		 struct p9_file *f)
{
	const char *end = NULL, *parent_end;
	struct p9_name last;
	uint32_t lflags = 0;
	int err;

	if (f == NULL)
		return P9_EINVAL;
	*f = (struct p9_file){ .fid = P9_NOFID };	/* closed unless the open succeeds */
	err = p9_file_flags(flags, &lflags);
	if (!err)
		err = p9_path_check(path, &end);
	if (!err && (flags & P9_FILE_CREATE))
		err = p9_path_split(path, end, &parent_end, &last);
	if (err)
		return err;
	if (!(flags & P9_FILE_CREATE))
		return p9_file_open_existing(c, path, end, flags, lflags, f);
	if (flags & P9_FILE_EXCL)
		return p9_file_create(c, path, end, flags, lflags, mode, f);
	err = p9_file_open_existing(c, path, end, flags, lflags, f);
	if (err != P9_ENOENT)
		return err;
	err = p9_file_create(c, path, end, flags, lflags, mode, f);
	if (err == P9_EEXIST)	/* another creator came in between: open theirs */
		err = p9_file_open_existing(c, path, end, flags, lflags, f);
	return err;
}

/* p9_file_io_check: may f move len bytes at off in direction need (P9_FILE_READ/WRITE)? */
static int p9_file_io_check(const struct p9_file *f, unsigned need, uint64_t off,
			    const void *buf, size_t len)
{
	if (f == NULL || f->fid == P9_NOFID || !(f->flags & need))
		return P9_EBADF;
	if ((buf == NULL && len > 0) || off + len < off)
		return P9_EINVAL;
	return 0;
}

int p9_file_read(struct p9_file *f, uint64_t off, void *buf, size_t len, size_t *done)
{
	size_t n = 0;
	uint32_t got;
	int err;

	err = p9_file_io_check(f, P9_FILE_READ, off, buf, len);
	while (!err && n < len) {
		err = p9_read(f->client, f->fid, off + n, (uint8_t *)buf + n,
			      (uint32_t)MIN(len - n, (size_t)f->iounit), &got);
		if (!err && got == 0)
			break;		/* end of file */
		if (!err)
			n += got;
	}
	if (done != NULL)
		*done = n;
	return err;
}

int p9_file_write(struct p9_file *f, uint64_t off, const void *buf, size_t len, size_t *done)
{
	size_t n = 0;
	uint32_t got;
	int err;

	err = p9_file_io_check(f, P9_FILE_WRITE, off, buf, len);
	while (!err && n < len) {
		err = p9_write(f->client, f->fid, off + n, (const uint8_t *)buf + n,
			       (uint32_t)MIN(len - n, (size_t)f->iounit), &got);
		if (!err && got == 0)
			err = P9_EIO;	/* no progress: looping would never end */
		if (!err)
			n += got;
	}
	if (done != NULL)
		*done = n;
	return err;
}

/* p9_file_live: is f open? */
static bool p9_file_live(const struct p9_file *f)
{
	return f != NULL && f->client != NULL && f->fid != P9_NOFID;
}

int p9_file_truncate(struct p9_file *f, uint64_t size)
{
	struct p9_setattr sa = { .valid = P9_SETATTR_SIZE, .size = size };

	if (!p9_file_live(f))
		return P9_EBADF;
	return p9_setattr(f->client, f->fid, &sa);
}

int p9_file_fsync(struct p9_file *f)
{
	if (!p9_file_live(f))
		return P9_EBADF;
	return p9_fsync(f->client, f->fid, P9_FSYNC_ALL);
}

int p9_file_stat(struct p9_file *f, struct p9_attr *attr)
{
	if (!p9_file_live(f))
		return P9_EBADF;
	return p9_getattr(f->client, f->fid, P9_GETATTR_BASIC, attr);
}

int p9_file_close(struct p9_file *f)
{
	uint32_t fid;

	if (!p9_file_live(f))
		return P9_EBADF;
	fid = f->fid;
	f->fid = P9_NOFID;	/* closed from here on, whatever the server says */
	return p9_clunk(f->client, fid);
}

int p9_stat(struct p9_client *c, const char *path, struct p9_attr *attr)
{
	const char *end = NULL;
	struct p9_qid qid;
	uint32_t fid;
	int err;

	err = p9_path_check(path, &end);
	if (!err && attr == NULL)
		err = P9_EINVAL;
	if (!err)
		err = p9_walk_path(c, path, end, &fid, &qid);
	if (err)
		return err;
	return p9_clunk_after(c, fid, p9_getattr(c, fid, P9_GETATTR_BASIC, attr));
}

/* The operations done on a path's parent directory, by name. */
enum p9_parent_op {
	P9_PARENT_UNLINK,
	P9_PARENT_RMDIR,
	P9_PARENT_MKDIR,
};

/*
 * p9_parent_do: walk to path's parent and do op on its last element.
 * => P9_EINVAL for the root or a bad path
 */
static int p9_parent_do(struct p9_client *c, const char *path, enum p9_parent_op op,
			uint32_t mode)
{
	const char *end = NULL, *parent_end;
	struct p9_name last;
	struct p9_qid qid;
	uint32_t dfid;
	int err;

	err = p9_path_check(path, &end);
	if (!err)
		err = p9_path_split(path, end, &parent_end, &last);
	if (!err)
		err = p9_walk_path(c, path, parent_end, &dfid, &qid);
	if (err)
		return err;
	if (op == P9_PARENT_MKDIR)
		err = p9_mkdir_name(c, dfid, last, mode, NULL);
	else
		err = p9_unlinkat_name(c, dfid, last, op == P9_PARENT_RMDIR ? P9_AT_REMOVEDIR : 0);
	return p9_clunk_after(c, dfid, err);
}

int p9_unlink(struct p9_client *c, const char *path)
{
	return p9_parent_do(c, path, P9_PARENT_UNLINK, 0);
}

int p9_dir_remove(struct p9_client *c, const char *path)
{
	return p9_parent_do(c, path, P9_PARENT_RMDIR, 0);
}

int p9_dir_create(struct p9_client *c, const char *path, uint32_t mode)
{
	return p9_parent_do(c, path, P9_PARENT_MKDIR, mode);
}

/* p9_dirent_is_dot: "." or ".."? */
static bool p9_dirent_is_dot(const struct p9_dirent *d)
{
	return strcmp(d->name, ".") == 0 || strcmp(d->name, "..") == 0;
}

/*
 * p9_dir_emit: call fn for each entry of buf[0, len) (one Rreaddir); *off
 * gets the offset to resume from.
 * => fn's nonzero return; P9_EPROTO for a bad entry or an offset that
 *    would make the next Treaddir repeat this one
 */
static int p9_dir_emit(const uint8_t *buf, size_t len, uint64_t *off, p9_dir_fn fn, void *arg)
{
	struct p9_dirent d;
	uint64_t start = *off;
	size_t pos = 0;
	int err;

	while (pos < len) {
		err = p9_dirent_decode(buf, len, &pos, &d);
		if (err)
			return err;
		*off = d.offset;
		if (!p9_dirent_is_dot(&d)) {
			err = fn(arg, &d);
			if (err)
				return err;
		}
	}
	return *off == start ? P9_EPROTO : 0;
}

/* p9_dir_scan: Treaddir rounds over opened directory fid until one comes back empty. */
static int p9_dir_scan(struct p9_client *c, uint32_t fid, p9_dir_fn fn, void *arg)
{
	uint32_t count = MIN(c->iounit, P9_DIRBUF_MAX), got = 0;
	uint64_t off = 0;
	uint8_t *buf;
	int err;

	/* kernel_heap: only this thread copies into it, from the call's own buffer. */
	buf = (uint8_t *)xmalloc((int)count, P9_BUF_ALIGN, kernel_heap);
	if (buf == NULL)
		return P9_ENOMEM;
	do {
		err = p9_readdir(c, fid, off, buf, count, &got);
		if (!err && got > 0)
			err = p9_dir_emit(buf, got, &off, fn, arg);
	} while (!err && got > 0);
	xmfree((caddr_t)buf, kernel_heap);
	return err;
}

int p9_dir_list(struct p9_client *c, const char *path, p9_dir_fn fn, void *arg)
{
	const char *end = NULL;
	struct p9_qid qid;
	uint32_t fid;
	int err;

	err = p9_path_check(path, &end);
	if (!err && fn == NULL)
		err = P9_EINVAL;
	if (!err)
		err = p9_walk_path(c, path, end, &fid, &qid);
	if (err)
		return err;
	err = p9_lopen(c, fid, P9_DOTL_RDONLY | P9_DOTL_DIRECTORY, NULL, NULL);
	if (!err)
		err = p9_dir_scan(c, fid, fn, arg);
	return p9_clunk_after(c, fid, err);
}

int p9_fs_statfs(struct p9_client *c, const char *path, struct p9_statfs *sfs)
{
	const char *end = NULL;
	struct p9_qid qid;
	uint32_t fid;
	int err;

	err = p9_path_check(path, &end);
	if (!err && sfs == NULL)
		err = P9_EINVAL;
	if (!err)
		err = p9_walk_path(c, path, end, &fid, &qid);
	if (err)
		return err;
	return p9_clunk_after(c, fid, p9_statfs(c, fid, sfs));
}
