/*
 * p9.h: a 9P2000.L client over any request/reply transport (virtio-9p in
 * the kernel, an in-memory server in the host tests).
 *
 * Three layers, each built on the one before:
 *  - the wire: message types and layouts, declared once below;
 *  - one function per RPC, on fids: p9_walk, p9_lopen, p9_lcreate,
 *    p9_read, p9_write, p9_fsync, p9_getattr, p9_setattr, p9_readdir,
 *    p9_unlinkat, p9_statfs, p9_mkdir, p9_clunk (p9_client_init does
 *    Tversion and Tattach);
 *  - a small file API on '/'-separated paths from the attached root, for
 *    the swap-file pager: p9_file_open, p9_file_read, ..., p9_stat,
 *    p9_unlink, p9_dir_create, p9_dir_list, p9_fs_statfs.
 *
 * Errors: every call returns 0 or a positive errno in Linux numbering
 * (P9_E* below), which is what Rlerror carries.  A reply that is short,
 * malformed, of the wrong type or with the wrong tag is P9_EPROTO; a name
 * that is empty, ".", "..", holds '/' or is longer than P9_NAME_MAX is
 * refused before anything is sent.
 *
 * Locking: the client lock (a mutex) guards the tag and fid maps only.  It
 * is never held across a transport call, so any number of threads may
 * have calls in flight on one client.
 *
 * Lock tags: kern/lock.h; a p9_file's [c] fields are set by p9_file_open
 * and constant until p9_file_close.
 */
#ifndef DRIVERS_9P_P9_H
#define DRIVERS_9P_P9_H

#include <stddef.h>
#include <stdint.h>

#include "kern/lock.h"

/* --- errors: Linux errno numbers, as 9P2000.L carries them ---------------- */
#define P9_EPERM		1
#define P9_ENOENT		2
#define P9_EINTR		4
#define P9_EIO			5
#define P9_EBADF		9
#define P9_EAGAIN		11
#define P9_ENOMEM		12
#define P9_EACCES		13
#define P9_EBUSY		16
#define P9_EEXIST		17
#define P9_EXDEV		18
#define P9_ENOTDIR		20
#define P9_EISDIR		21
#define P9_EINVAL		22
#define P9_EMFILE		24
#define P9_EFBIG		27
#define P9_ENOSPC		28
#define P9_EROFS		30
#define P9_ENAMETOOLONG		36
#define P9_ENOSYS		38
#define P9_ENOTEMPTY		39
#define P9_EPROTO		71
#define P9_EMSGSIZE		90
#define P9_EPROTONOSUPPORT	93
#define P9_EOPNOTSUPP		95
#define P9_ETIMEDOUT		110
#define P9_ESTALE		116
#define P9_EDQUOT		122
#define P9_ERRNO_MAX		4095	/* an Rlerror ecode above this is P9_EPROTO */

/* p9_strerror: a short description of err (never NULL). */
const char *p9_strerror(int err);

/* --- the wire --------------------------------------------------------------
 *
 * 9P2000.L (diod protocol.md; Linux Documentation/filesystems/9p.rst).  All
 * integers little-endian.  Every message is
 *
 *	size[4] type[1] tag[2] body
 *
 * where size counts the whole message, itself included.  A string s is
 * len[2] bytes[len] without a NUL; a qid is type[1] version[4] path[8].
 *
 *   Tversion  tag=NOTAG msize[4] version[s]
 *   Rversion  msize[4] version[s]
 *   Tattach   fid[4] afid[4] uname[s] aname[s] n_uname[4]
 *   Rattach   qid[13]
 *   Rlerror   ecode[4]                     (replaces any R-message)
 *   Twalk     fid[4] newfid[4] nwname[2] nwname*(wname[s])   nwname <= 16
 *   Rwalk     nwqid[2] nwqid*(qid[13])     nwqid < nwname: partial walk,
 *                                          newfid not affected
 *   Tlopen    fid[4] flags[4]              flags: Linux open(2) bits
 *   Rlopen    qid[13] iounit[4]
 *   Tlcreate  fid[4] name[s] flags[4] mode[4] gid[4]   (fid: dir -> new file)
 *   Rlcreate  qid[13] iounit[4]
 *   Tread     fid[4] offset[8] count[4]
 *   Rread     count[4] data[count]
 *   Twrite    fid[4] offset[8] count[4] data[count]
 *   Rwrite    count[4]
 *   Tfsync    fid[4] datasync[4]
 *   Rfsync
 *   Tgetattr  fid[4] request_mask[8]
 *   Rgetattr  valid[8] qid[13] mode[4] uid[4] gid[4] nlink[8] rdev[8]
 *             size[8] blksize[8] blocks[8] atime_sec[8] atime_nsec[8]
 *             mtime_sec[8] mtime_nsec[8] ctime_sec[8] ctime_nsec[8]
 *             btime_sec[8] btime_nsec[8] gen[8] data_version[8]
 *   Tsetattr  fid[4] valid[4] mode[4] uid[4] gid[4] size[8]
 *             atime_sec[8] atime_nsec[8] mtime_sec[8] mtime_nsec[8]
 *   Rsetattr
 *   Treaddir  fid[4] offset[8] count[4]
 *   Rreaddir  count[4] data[count], data = entries of
 *             qid[13] offset[8] type[1] name[s]
 *             (offset: where the next Treaddir resumes after this entry)
 *   Tunlinkat dirfid[4] name[s] flags[4]
 *   Runlinkat
 *   Tstatfs   fid[4]
 *   Rstatfs   type[4] bsize[4] blocks[8] bfree[8] bavail[8] files[8]
 *             ffree[8] fsid[8] namelen[4]
 *   Tclunk    fid[4]                       (the fid is gone, even on Rlerror)
 *   Rclunk
 *   Tmkdir    dfid[4] name[s] mode[4] gid[4]
 *   Rmkdir    qid[13]
 */
enum p9_msg_type {
	P9_RLERROR = 7,
	P9_TSTATFS = 8,
	P9_RSTATFS = 9,
	P9_TLOPEN = 12,
	P9_RLOPEN = 13,
	P9_TLCREATE = 14,
	P9_RLCREATE = 15,
	P9_TGETATTR = 24,
	P9_RGETATTR = 25,
	P9_TSETATTR = 26,
	P9_RSETATTR = 27,
	P9_TREADDIR = 40,
	P9_RREADDIR = 41,
	P9_TFSYNC = 50,
	P9_RFSYNC = 51,
	P9_TMKDIR = 72,
	P9_RMKDIR = 73,
	P9_TUNLINKAT = 76,
	P9_RUNLINKAT = 77,
	P9_TVERSION = 100,
	P9_RVERSION = 101,
	P9_TATTACH = 104,
	P9_RATTACH = 105,
	P9_TWALK = 110,
	P9_RWALK = 111,
	P9_TREAD = 116,
	P9_RREAD = 117,
	P9_TWRITE = 118,
	P9_RWRITE = 119,
	P9_TCLUNK = 120,
	P9_RCLUNK = 121,
};

/* Sizes on the wire, in bytes. */
#define P9_HDR_SIZE		7	/* size[4] type[1] tag[2] */
#define P9_QID_SIZE		13	/* type[1] version[4] path[8] */
#define P9_IOHDR_SIZE		24	/* room for a Twrite/Rread header: 23, rounded as Plan 9 does */
#define P9_RLERROR_SIZE		4	/* body: ecode[4] */
#define P9_RLOPEN_SIZE		17	/* body: qid[13] iounit[4] */
#define P9_RGETATTR_SIZE	153	/* body: valid..data_version as above */
#define P9_TSETATTR_SIZE	60	/* body: fid..mtime_nsec as above */
#define P9_RSTATFS_SIZE		60	/* body: type..namelen as above */
#define P9_DIRENT_FIXED		24	/* qid[13] offset[8] type[1] + the name's len[2] */

#define P9_VERSION		"9P2000.L"
#define P9_NOTAG		0xffffu
#define P9_NOFID		0xffffffffu
#define P9_NONUNAME		0xffffffffu	/* Tattach n_uname: use uname instead */
#define P9_WALK_MAX		16		/* names per Twalk */
#define P9_NAME_MAX		255		/* bytes in one path element */
#define P9_PATH_MAX		4096		/* bytes in a path given to the file API */

/* msize: what the client asks for and the least it accepts. */
#define P9_MSIZE_MIN		4096u
#define P9_MSIZE_CAP		(128u * 1024u + P9_IOHDR_SIZE)

/* qid.type bits. */
#define P9_QTDIR		0x80
#define P9_QTAPPEND		0x40
#define P9_QTEXCL		0x20
#define P9_QTMOUNT		0x10
#define P9_QTAUTH		0x08
#define P9_QTTMP		0x04
#define P9_QTSYMLINK		0x02
#define P9_QTFILE		0x00

/* Tlopen/Tlcreate flags: Linux open(2) bits (generic numbering). */
#define P9_DOTL_RDONLY		00000000
#define P9_DOTL_WRONLY		00000001
#define P9_DOTL_RDWR		00000002
#define P9_DOTL_ACCMODE		00000003
#define P9_DOTL_CREATE		00000100
#define P9_DOTL_EXCL		00000200
#define P9_DOTL_TRUNC		00001000
#define P9_DOTL_APPEND		00002000
#define P9_DOTL_DIRECTORY	00200000

/* Mode bits (st_mode) as Rgetattr, Tlcreate and Tmkdir carry them. */
#define P9_S_IFMT		0170000
#define P9_S_IFDIR		0040000
#define P9_S_IFREG		0100000
#define P9_S_IFLNK		0120000
#define P9_S_PERM		07777

/* Treaddir entry type: Linux d_type. */
#define P9_DT_UNKNOWN		0
#define P9_DT_DIR		4
#define P9_DT_REG		8
#define P9_DT_LNK		10

/* Tgetattr request_mask / Rgetattr valid. */
#define P9_GETATTR_MODE		0x00000001ull
#define P9_GETATTR_NLINK	0x00000002ull
#define P9_GETATTR_UID		0x00000004ull
#define P9_GETATTR_GID		0x00000008ull
#define P9_GETATTR_RDEV		0x00000010ull
#define P9_GETATTR_ATIME	0x00000020ull
#define P9_GETATTR_MTIME	0x00000040ull
#define P9_GETATTR_CTIME	0x00000080ull
#define P9_GETATTR_INO		0x00000100ull
#define P9_GETATTR_SIZE		0x00000200ull
#define P9_GETATTR_BLOCKS	0x00000400ull
#define P9_GETATTR_BASIC	0x000007ffull	/* MODE..BLOCKS */
#define P9_GETATTR_ALL		0x00003fffull

/* Tsetattr valid. */
#define P9_SETATTR_MODE		0x00000001u
#define P9_SETATTR_UID		0x00000002u
#define P9_SETATTR_GID		0x00000004u
#define P9_SETATTR_SIZE		0x00000008u
#define P9_SETATTR_ATIME	0x00000010u
#define P9_SETATTR_MTIME	0x00000020u
#define P9_SETATTR_CTIME	0x00000040u
#define P9_SETATTR_ATIME_SET	0x00000080u
#define P9_SETATTR_MTIME_SET	0x00000100u

/* Tunlinkat flags. */
#define P9_AT_REMOVEDIR		0x200

/* --- decoded structures --------------------------------------------------- */

struct p9_qid {
	uint8_t type;		/* P9_QT* */
	uint32_t version;
	uint64_t path;		/* unique per file on the server (the inode) */
};

/* Rgetattr; a field is meaningful if its P9_GETATTR_* bit is in valid. */
struct p9_attr {
	uint64_t valid;
	struct p9_qid qid;
	uint32_t mode;		/* P9_S_IF* | permissions */
	uint32_t uid, gid;
	uint64_t nlink, rdev, size, blksize, blocks;
	uint64_t atime_sec, atime_nsec, mtime_sec, mtime_nsec;
	uint64_t ctime_sec, ctime_nsec, btime_sec, btime_nsec;
	uint64_t gen, data_version;
};

/* Tsetattr; only the fields named by valid (P9_SETATTR_*) are applied. */
struct p9_setattr {
	uint32_t valid;
	uint32_t mode, uid, gid;
	uint64_t size;
	uint64_t atime_sec, atime_nsec, mtime_sec, mtime_nsec;
};

struct p9_statfs {
	uint32_t type, bsize;
	uint64_t blocks, bfree, bavail, files, ffree, fsid;
	uint32_t namelen;
};

/* One Rreaddir entry; name is NUL-terminated. */
struct p9_dirent {
	struct p9_qid qid;
	uint64_t offset;	/* resume the listing here for the entries after this one */
	uint8_t type;		/* P9_DT_* */
	char name[P9_NAME_MAX + 1];
};

/* --- the transport -------------------------------------------------------
 *
 * rpc must not return while the device may still write rbuf: a request
 * given up on (a timeout) is the transport's to reclaim, not the client's.
 */
struct p9_transport {
	/*
	 * rpc: send the T-message tbuf[0, tlen) and receive its reply into rbuf
	 * (capacity rcap bytes).  => 0 and *rlen set, or an errno (P9_EIO,
	 * P9_ETIMEDOUT, ...) if the transport failed.  Called by several threads at once.
	 */
	int (*rpc)(void *ctx, const void *tbuf, size_t tlen, void *rbuf, size_t rcap, size_t *rlen);
	void *ctx;
	uint32_t max_msize;	/* largest message the transport can carry */
};

/* --- the client ------------------------------------------------------------ */

/* Tags and fids in use: a bitmap, allocation rotating from hint. */
#define P9_IDMAP_BITS		1024
#define P9_IDMAP_WORDS		(P9_IDMAP_BITS / 32)

struct p9_idmap {
	uint32_t bits[P9_IDMAP_WORDS];	/* [L] bit i set: id i in use */
	uint32_t hint;			/* [L] where the next search starts */
	uint32_t used;			/* [L] bits set */
};

struct p9_client {
	struct p9_transport trans;	/* [c] */
	uint32_t msize;			/* [c] negotiated by Tversion */
	uint32_t iounit;		/* [c] msize - P9_IOHDR_SIZE: data per Tread/Twrite */
	uint32_t root_fid;		/* [c] the Tattach fid */
	struct p9_qid root_qid;		/* [c] */
	uint32_t gid;			/* [c] gid for Tlcreate and Tmkdir */
	struct mutex lock;
	struct p9_idmap tags;		/* [L] tags of calls in flight (P9_NOTAG aside) */
	struct p9_idmap fids;		/* [L] fids the server knows, root included */
};

/*
 * p9_client_init: negotiate the version and msize over t, then attach the
 * root fid as n_uname (or uname if n_uname is P9_NONUNAME) to aname.
 *
 * => asks for msize = min(t->max_msize, P9_MSIZE_CAP); accepts a smaller
 *    answer down to P9_MSIZE_MIN
 * => P9_EINVAL if t, t->rpc, uname or aname is NULL or t->max_msize <
 *    P9_MSIZE_MIN; P9_ENAMETOOLONG if uname or aname exceeds P9_PATH_MAX
 * => P9_EPROTONOSUPPORT if the server does not speak 9P2000.L; P9_EPROTO if
 *    its msize is below P9_MSIZE_MIN or above the one asked for
 * => on any error no fid is left on the server and nothing needs destroying
 */
int p9_client_init(struct p9_client *c, const struct p9_transport *t, const char *uname,
		   const char *aname, uint32_t n_uname);

/*
 * p9_client_destroy: clunk the root fid.
 *
 * => P9_EBUSY (and nothing changes) while another fid is in use: files
 *    left open are the caller's to close first
 * => otherwise the client is finished whatever the Tclunk answered; its
 *    error, if any, is returned
 */
int p9_client_destroy(struct p9_client *c);

/* p9_client_fids_in_use: fids the server holds for c, the root included. */
uint32_t p9_client_fids_in_use(struct p9_client *c);

/*
 * p9_client_check: verify c's invariants, calling report (if not NULL) for
 * each problem; returns the number of problems.  => lock not held
 */
int p9_client_check(struct p9_client *c, void (*report)(const char *fmt, ...));

/* --- RPCs on fids -----------------------------------------------------------
 *
 * Each is one round trip (p9_read/p9_write move at most c->iounit bytes).
 * Output arguments marked "may be NULL" are optional; outputs are only
 * written on success.  A fid a call hands out is the caller's to p9_clunk.
 */

/*
 * p9_walk: walk nwname names (0..P9_WALK_MAX) from fid to a new fid.
 *
 * => 0: *newfid is at the last name, *qid (may be NULL) its qid (fid's own
 *    qid is not known for nwname == 0: *qid untouched)
 * => P9_ENOENT if the walk stopped early (no new fid), P9_EINVAL /
 *    P9_ENAMETOOLONG for a bad name, P9_EMSGSIZE if the Twalk exceeds msize,
 *    P9_EMFILE if no fid is free
 */
int p9_walk(struct p9_client *c, uint32_t fid, unsigned nwname, const char *const *wnames,
	    uint32_t *newfid, struct p9_qid *qid);

/* p9_lopen: open fid for I/O with P9_DOTL_* flags.  qid, iounit may be NULL. */
int p9_lopen(struct p9_client *c, uint32_t fid, uint32_t flags, struct p9_qid *qid,
	     uint32_t *iounit);

/*
 * p9_lcreate: create regular file name in directory fid and open it with
 * flags; fid then stands for the new file.  mode: permissions (P9_S_PERM).
 * => P9_EINVAL / P9_ENAMETOOLONG for a bad name, nothing sent
 * => qid, iounit may be NULL
 */
int p9_lcreate(struct p9_client *c, uint32_t fid, const char *name, uint32_t flags,
	       uint32_t mode, struct p9_qid *qid, uint32_t *iounit);

/*
 * p9_read: read up to count bytes (clamped to c->iounit) at offset.
 * => *nread: bytes read, 0 at end of file; P9_EPROTO if the server
 *    answers more than asked
 */
int p9_read(struct p9_client *c, uint32_t fid, uint64_t offset, void *buf, uint32_t count,
	    uint32_t *nread);

/* p9_write: write up to count bytes (clamped to c->iounit); *nwritten as p9_read. */
int p9_write(struct p9_client *c, uint32_t fid, uint64_t offset, const void *buf,
	     uint32_t count, uint32_t *nwritten);

enum p9_fsync_kind {
	P9_FSYNC_ALL = 0,	/* data and metadata (fsync) */
	P9_FSYNC_DATA = 1,	/* data only (fdatasync) */
};

/* p9_fsync: flush fid's file to stable storage on the server. */
int p9_fsync(struct p9_client *c, uint32_t fid, enum p9_fsync_kind kind);

/* p9_getattr: the attributes in mask (P9_GETATTR_*) of fid's file. */
int p9_getattr(struct p9_client *c, uint32_t fid, uint64_t mask, struct p9_attr *attr);

/* p9_setattr: change the attributes sa->valid names (P9_SETATTR_SIZE: truncate). */
int p9_setattr(struct p9_client *c, uint32_t fid, const struct p9_setattr *sa);

/*
 * p9_readdir: raw directory entries of opened directory fid from offset
 * (0 to start, then the last entry's offset) into buf, up to count bytes
 * (clamped to c->iounit).  => *nbytes: bytes of entries, 0 at the end
 */
int p9_readdir(struct p9_client *c, uint32_t fid, uint64_t offset, void *buf, uint32_t count,
	       uint32_t *nbytes);

/*
 * p9_dirent_decode: the entry at buf[*pos, len) into *d, advancing *pos.
 * => P9_EPROTO if the entry is cut short or its name is empty, longer
 *    than P9_NAME_MAX or holds '/' or a NUL
 */
int p9_dirent_decode(const void *buf, size_t len, size_t *pos, struct p9_dirent *d);

/* p9_unlinkat: remove name from directory fid; flags 0 or P9_AT_REMOVEDIR. */
int p9_unlinkat(struct p9_client *c, uint32_t dirfid, const char *name, uint32_t flags);

/* p9_statfs: the file system holding fid's file. */
int p9_statfs(struct p9_client *c, uint32_t fid, struct p9_statfs *sfs);

/* p9_mkdir: make directory name (permissions mode) in directory dfid; qid may be NULL. */
int p9_mkdir(struct p9_client *c, uint32_t dfid, const char *name, uint32_t mode,
	     struct p9_qid *qid);

/*
 * p9_clunk: forget fid.  The fid is released whatever the outcome (9P: a
 * clunk frees the fid on the server even when it answers Rlerror); a
 * Tclunk the transport failed to answer is sent once more.
 * => P9_EBADF (nothing sent) if fid is not in use; P9_EINVAL for the root
 *    fid, which p9_client_destroy clunks
 */
int p9_clunk(struct p9_client *c, uint32_t fid);

/* --- the file API -----------------------------------------------------------
 *
 * Paths are '/'-separated from the attached root: "swap/0", "/swap/0" and
 * "swap//0" name the same file; "" and "/" are the root.  Each element is
 * checked as a name, and the whole path against P9_PATH_MAX, before
 * anything is sent.  Every fid a call takes is clunked again before it
 * returns, on every path, except the one an open p9_file holds.
 */

/* p9_file_open flags. */
#define P9_FILE_READ		0x01
#define P9_FILE_WRITE		0x02
#define P9_FILE_CREATE		0x04	/* create a regular file if missing */
#define P9_FILE_TRUNC		0x08	/* cut to size 0 (needs P9_FILE_WRITE) */
#define P9_FILE_EXCL		0x10	/* with P9_FILE_CREATE: P9_EEXIST if it exists */

/* An open file; the caller owns the storage. */
struct p9_file {
	struct p9_client *client;	/* [c] */
	uint32_t fid;			/* [c] P9_NOFID once closed */
	uint32_t iounit;		/* [c] data per Tread/Twrite */
	unsigned flags;			/* [c] P9_FILE_READ | P9_FILE_WRITE */
	struct p9_qid qid;		/* [c] */
};

/*
 * p9_file_open: open path into *f (left closed on error).
 *
 * => flags: P9_FILE_READ and/or P9_FILE_WRITE, plus P9_FILE_CREATE,
 *    P9_FILE_TRUNC, P9_FILE_EXCL; mode: permissions of a created file
 * => P9_EINVAL for bad flags (no access mode, unknown bits, TRUNC without
 *    WRITE, EXCL without CREATE), a bad path, or creating the root
 * => server errors as they come: P9_ENOENT, P9_EEXIST (EXCL), P9_EISDIR, ...
 */
int p9_file_open(struct p9_client *c, const char *path, unsigned flags, uint32_t mode,
		 struct p9_file *f);

/*
 * p9_file_read: read len bytes at off, looping over iounit-sized Treads.
 * => *done (may be NULL): bytes read, < len only at end of file or on error
 * => P9_EBADF if f is closed or not open for reading; P9_EINVAL if off +
 *    len wraps
 */
int p9_file_read(struct p9_file *f, uint64_t off, void *buf, size_t len, size_t *done);

/*
 * p9_file_write: write len bytes at off, looping over iounit-sized Twrites.
 * => *done (may be NULL): bytes written, < len only on error
 * => P9_EIO if the server accepts no byte of a Twrite; otherwise as
 *    p9_file_read
 */
int p9_file_write(struct p9_file *f, uint64_t off, const void *buf, size_t len, size_t *done);

/* p9_file_truncate: set the file's size (Tsetattr size).  => P9_EBADF if closed */
int p9_file_truncate(struct p9_file *f, uint64_t size);

/* p9_file_fsync: flush data and metadata.  => P9_EBADF if closed */
int p9_file_fsync(struct p9_file *f);

/* p9_file_stat: P9_GETATTR_BASIC attributes.  => P9_EBADF if closed */
int p9_file_stat(struct p9_file *f, struct p9_attr *attr);

/*
 * p9_file_close: clunk f's fid; f is closed whatever the outcome.
 * => P9_EBADF if f was already closed
 */
int p9_file_close(struct p9_file *f);

/* p9_stat: P9_GETATTR_BASIC attributes of path (size, mode, qid, ...). */
int p9_stat(struct p9_client *c, const char *path, struct p9_attr *attr);

/* p9_unlink: remove the file (not a directory) at path.  => P9_EINVAL for the root */
int p9_unlink(struct p9_client *c, const char *path);

/* p9_dir_remove: remove the empty directory at path.  => P9_EINVAL for the root */
int p9_dir_remove(struct p9_client *c, const char *path);

/* p9_dir_create: make directory path with permissions mode.  => P9_EEXIST if present */
int p9_dir_create(struct p9_client *c, const char *path, uint32_t mode);

/*
 * p9_dir_fn: called once per entry of a listing ("." and ".." left out);
 * 0 to go on, anything else stops the listing and is returned by it.
 */
typedef int (*p9_dir_fn)(void *arg, const struct p9_dirent *d);

/* p9_dir_list: call fn for each entry of directory path, in server order. */
int p9_dir_list(struct p9_client *c, const char *path, p9_dir_fn fn, void *arg);

/* p9_fs_statfs: the file system holding path. */
int p9_fs_statfs(struct p9_client *c, const char *path, struct p9_statfs *sfs);

#endif
