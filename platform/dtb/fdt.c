/*
 * fdt.c: flattened-device-tree reader (Devicetree Specification v0.4, ch. 5).
 *
 * Three layers, each calling only the ones above it in this file:
 *
 *   1. blob:       header checks, big-endian loads and token decoding; every
 *                  read is checked against the blocks the header declares,
 *                  which themselves lie inside min(maxlen, totalsize).
 *   2. navigation: a depth-first walk, child iteration, property lookup and
 *                  search by path, compatible or phandle.  fdt.h exports
 *                  these for drivers; they are safe on garbage too.
 *   3. fdt_parse:  checks the whole token stream once, then fills struct
 *                  platform_info one subsystem at a time, naming the node
 *                  and property in every error.
 *
 * A node offset is the byte offset of its FDT_BEGIN_NODE token in the
 * structure block.  Navigation returns -enum fdt_error for offsets, with
 * -FDT_ERR_MISSING meaning "no such node".
 *
 * Bad input is always an error return: nothing here may trap on a blob.
 */
#include "platform/dtb/fdt.h"

#include <stdarg.h>
#include <string.h>

/*
 * Header, spec section 5.2: big-endian u32 fields at these byte offsets.
 * Version 16 headers stop before size_dt_struct.
 */
#define FDT_MAGIC		0xd00dfeedu
#define FDT_HDR_MAGIC		0
#define FDT_HDR_TOTALSIZE	4
#define FDT_HDR_OFF_STRUCT	8
#define FDT_HDR_OFF_STRINGS	12
#define FDT_HDR_OFF_RSVMAP	16
#define FDT_HDR_VERSION		20
#define FDT_HDR_LAST_COMP	24
#define FDT_HDR_SIZE_STRINGS	32
#define FDT_HDR_SIZE_STRUCT	36
#define FDT_HDR_V16_SIZE	36
#define FDT_HDR_V17_SIZE	40
#define FDT_VERSION_MIN		16	/* oldest layout we read */
#define FDT_VERSION_COMPAT	17	/* newest layout we understand */

/* Largest totalsize accepted, so every offset and sum below fits in an int. */
#define FDT_SIZE_LIMIT		0x40000000u

/* Structure block tokens, spec section 5.4.1; each is 4-byte aligned. */
#define FDT_BEGIN_NODE		1u
#define FDT_END_NODE		2u
#define FDT_PROP		3u
#define FDT_NOP			4u
#define FDT_END			9u

#define FDT_RSV_ENTRY_SIZE	16	/* spec 5.3: u64 address, u64 size */
#define FDT_MAX_DEPTH		32	/* deepest node nesting accepted */
#define FDT_WHY_MAX		192	/* longest error message, truncated beyond */

/* RISC-V privileged spec, mcause/scause table: supervisor external interrupt. */
#define FDT_IRQ_S_EXTERNAL	9

/*
 * PCI bus binding (IEEE 1275 PCI, section 2.2.1.1): a PCI address is three
 * cells, phys.hi then the 64-bit phys.mid:phys.lo.
 *
 *   phys.hi  npt000ss bbbbbbbb dddddfff rrrrrrrr
 *            p = prefetchable, ss = space code, b/d/f/r = bus/dev/fn/reg
 */
#define FDT_PCI_ADDR_CELLS	3
#define FDT_PCI_HI_SPACE(hi)	(((hi) >> 24) & 3u)
#define FDT_PCI_HI_PREFETCH	(1u << 30)

#define FDT_ARRAY_LEN(a)	(sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------------ */
/* 1. The blob                                                        */
/* ------------------------------------------------------------------ */

/* Where the blocks are; every offset and size here is within `size`. */
struct fdt_blob {
	const uint8_t *base;
	uint32_t size;			/* readable bytes: min(maxlen, totalsize) */
	uint32_t rsvmap_off;		/* memory reservation block, unchecked */
	uint32_t struct_off;
	uint32_t struct_size;
	uint32_t strings_off;
	uint32_t strings_size;
};

/* One decoded token of the structure block. */
struct fdt_token {
	uint32_t tag;			/* FDT_BEGIN_NODE ... FDT_END */
	int next;			/* offset of the token after this one */
	const char *name;		/* BEGIN_NODE: unit name; PROP: property name */
	const uint8_t *val;		/* PROP: value */
	uint32_t len;			/* PROP: value length in bytes */
};

static uint32_t
fdt_load32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t
fdt_load64(const uint8_t *p)
{
	return (uint64_t)fdt_load32(p) << 32 | fdt_load32(p + 4);
}

/* fdt_span_ok: [off, off + len) lies within [0, limit). */
static bool
fdt_span_ok(uint64_t off, uint64_t len, uint64_t limit)
{
	return off <= limit && len <= limit - off;
}

/* fdt_align4: round a structure offset up to the next token boundary. */
static int
fdt_align4(uint64_t off)
{
	return (int)((off + 3) & ~(uint64_t)3);
}

/* fdt_fault: record why a low-level check failed and return err. */
static enum fdt_error
fdt_fault(const char **fault, enum fdt_error err, const char *what)
{
	*fault = what;
	return err;
}

/*
 * fdt_blob_blocks: read the version and block offsets of a header whose
 * totalsize has been checked, and check the blocks lie inside it.
 *
 * => FDT_ERR_BADVERSION if version < 16 or last_comp_version > 17
 * => FDT_ERR_TRUNCATED if the header or a block runs past totalsize
 * => FDT_ERR_BADSTRUCTURE if a block starts inside the header
 */
static enum fdt_error
fdt_blob_blocks(struct fdt_blob *b, const char **fault)
{
	const uint8_t *h = b->base;
	uint32_t version = fdt_load32(h + FDT_HDR_VERSION);
	uint32_t hdr_size = version >= 17 ? FDT_HDR_V17_SIZE : FDT_HDR_V16_SIZE;

	if (version < FDT_VERSION_MIN)
		return fdt_fault(fault, FDT_ERR_BADVERSION, "header: version is below 16");
	if (fdt_load32(h + FDT_HDR_LAST_COMP) > FDT_VERSION_COMPAT)
		return fdt_fault(fault, FDT_ERR_BADVERSION, "header: last_comp_version is above 17");
	if (b->size < hdr_size)
		return fdt_fault(fault, FDT_ERR_TRUNCATED, "header: totalsize is smaller than the header");

	b->rsvmap_off = fdt_load32(h + FDT_HDR_OFF_RSVMAP);
	b->struct_off = fdt_load32(h + FDT_HDR_OFF_STRUCT);
	b->strings_off = fdt_load32(h + FDT_HDR_OFF_STRINGS);
	b->strings_size = fdt_load32(h + FDT_HDR_SIZE_STRINGS);
	if (version >= 17)
		b->struct_size = fdt_load32(h + FDT_HDR_SIZE_STRUCT);
	else	/* no size field: the block may extend to the end of the blob */
		b->struct_size = b->struct_off <= b->size ? b->size - b->struct_off : 0;

	if (!fdt_span_ok(b->struct_off, b->struct_size, b->size))
		return fdt_fault(fault, FDT_ERR_TRUNCATED, "header: structure block runs past totalsize");
	if (!fdt_span_ok(b->strings_off, b->strings_size, b->size))
		return fdt_fault(fault, FDT_ERR_TRUNCATED, "header: strings block runs past totalsize");
	if (b->struct_off < hdr_size || b->strings_off < hdr_size || b->rsvmap_off < hdr_size)
		return fdt_fault(fault, FDT_ERR_BADSTRUCTURE, "header: a block starts inside the header");
	return FDT_OK;
}

/*
 * fdt_blob_open: check the header of `blob` and locate its blocks.
 *
 * => reads only [blob, blob + min(maxlen, totalsize))
 * => FDT_ERR_TRUNCATED if the blob is shorter than its header or totalsize
 * => FDT_ERR_BADMAGIC if the magic is wrong
 * => otherwise as fdt_blob_blocks; *fault says what was wrong
 */
static enum fdt_error
fdt_blob_open(struct fdt_blob *b, const void *blob, size_t maxlen, const char **fault)
{
	const uint8_t *h = blob;
	uint32_t total;

	if (h == NULL || maxlen < FDT_HDR_MAGIC + 4)
		return fdt_fault(fault, FDT_ERR_TRUNCATED, "header: blob ends before the magic");
	if (fdt_load32(h + FDT_HDR_MAGIC) != FDT_MAGIC)
		return fdt_fault(fault, FDT_ERR_BADMAGIC, "header: magic is not 0xd00dfeed");
	if (maxlen < FDT_HDR_TOTALSIZE + 4)
		return fdt_fault(fault, FDT_ERR_TRUNCATED, "header: blob ends before totalsize");

	total = fdt_load32(h + FDT_HDR_TOTALSIZE);
	if (total > maxlen)
		return fdt_fault(fault, FDT_ERR_TRUNCATED, "header: totalsize exceeds the readable length");
	if (total < FDT_HDR_V16_SIZE)
		return fdt_fault(fault, FDT_ERR_TRUNCATED, "header: totalsize is smaller than the header");
	if (total > FDT_SIZE_LIMIT)
		return fdt_fault(fault, FDT_ERR_BADSTRUCTURE, "header: totalsize is above 1 GiB");

	b->base = h;
	b->size = total;
	return fdt_blob_blocks(b, fault);
}

/*
 * fdt_blob_trusted: open a blob for the generic API, which has no maxlen.
 *
 * => trusts totalsize bytes to be readable; checks everything else
 */
static enum fdt_error
fdt_blob_trusted(struct fdt_blob *b, const void *blob)
{
	const char *fault;

	return fdt_blob_open(b, blob, SIZE_MAX, &fault);
}

/*
 * fdt_string_at: the property name at `nameoff` in the strings block.
 *
 * => NULL with *fault set if it starts or ends outside the block
 */
static const char *
fdt_string_at(const struct fdt_blob *b, uint32_t nameoff, const char **fault)
{
	const char *s;

	if (nameoff >= b->strings_size) {
		*fault = "property name offset is past the strings block";
		return NULL;
	}
	s = (const char *)b->base + b->strings_off + nameoff;
	if (memchr(s, '\0', b->strings_size - nameoff) == NULL) {
		*fault = "property name runs past the strings block";
		return NULL;
	}
	return s;
}

/*
 * fdt_token_node: decode the name of the FDT_BEGIN_NODE token at `off`.
 *
 * => FDT_ERR_TRUNCATED if the name is not NUL-terminated within the block
 */
static enum fdt_error
fdt_token_node(const struct fdt_blob *b, int off, struct fdt_token *t, const char **fault)
{
	const char *name = (const char *)b->base + b->struct_off + off + 4;
	const char *nul = memchr(name, '\0', b->struct_size - (uint32_t)off - 4);

	if (nul == NULL)
		return fdt_fault(fault, FDT_ERR_TRUNCATED, "node name runs past the structure block");
	t->name = name;
	t->next = fdt_align4((uint64_t)off + 4 + (uint64_t)(nul - name) + 1);
	return FDT_OK;
}

/*
 * fdt_token_prop: decode the FDT_PROP token at `off`:
 * u32 len, u32 nameoff, then len bytes of value padded to 4.
 *
 * => FDT_ERR_TRUNCATED if the header, name or value lies outside its block
 * => t->name is set as soon as it is known, so errors can name it
 */
static enum fdt_error
fdt_token_prop(const struct fdt_blob *b, int off, struct fdt_token *t, const char **fault)
{
	const uint8_t *p = b->base + b->struct_off + off;
	uint32_t room = b->struct_size - (uint32_t)off - 4;	/* bytes after the tag */

	if (room < 8)
		return fdt_fault(fault, FDT_ERR_TRUNCATED, "property header runs past the structure block");
	t->len = fdt_load32(p + 4);
	t->name = fdt_string_at(b, fdt_load32(p + 8), fault);
	if (t->name == NULL)
		return FDT_ERR_TRUNCATED;
	if (t->len > room - 8)
		return fdt_fault(fault, FDT_ERR_TRUNCATED, "property value runs past the structure block");
	t->val = p + 12;
	t->next = fdt_align4((uint64_t)off + 12 + t->len);
	return FDT_OK;
}

/*
 * fdt_token_read: decode the token at structure offset `off`.
 *
 * => FDT_ERR_BADSTRUCTURE if off is misaligned, the block ends before a
 *    tag (so FDT_END is missing), or the tag is unknown
 * => FDT_ERR_TRUNCATED if the token's payload runs out of its block
 * => on success t->next > off: loops over tokens always terminate
 */
static enum fdt_error
fdt_token_read(const struct fdt_blob *b, int off, struct fdt_token *t, const char **fault)
{
	t->tag = 0;
	t->next = off;
	t->name = NULL;
	t->val = NULL;
	t->len = 0;
	if (off < 0 || (off & 3) != 0)
		return fdt_fault(fault, FDT_ERR_BADSTRUCTURE, "token offset is not 4-byte aligned");
	if ((uint64_t)off + 4 > b->struct_size)
		return fdt_fault(fault, FDT_ERR_BADSTRUCTURE, "structure block ends without FDT_END");

	t->tag = fdt_load32(b->base + b->struct_off + off);
	t->next = off + 4;
	switch (t->tag) {
	case FDT_BEGIN_NODE:
		return fdt_token_node(b, off, t, fault);
	case FDT_PROP:
		return fdt_token_prop(b, off, t, fault);
	case FDT_END_NODE:
	case FDT_NOP:
	case FDT_END:
		return FDT_OK;
	default:
		return fdt_fault(fault, FDT_ERR_BADSTRUCTURE, "unknown token");
	}
}

/* ------------------------------------------------------------------ */
/* 2. Navigation                                                      */
/* ------------------------------------------------------------------ */

/* A depth-first walk over every token, keeping the path of open nodes. */
struct fdt_walk {
	const struct fdt_blob *b;
	int next;			/* offset of the next token to read */
	int depth;			/* nodes currently open */
	int open[FDT_MAX_DEPTH];	/* their offsets, root first */
	bool root_done;			/* the root node has been closed */
	int fault_at;			/* offset of the token that failed */
	const char *fault;		/* what was wrong with it */
	const char *fault_prop;		/* its property name, if it got that far */
};

static void
fdt_walk_init(struct fdt_walk *w, const struct fdt_blob *b)
{
	memset(w, 0, sizeof(*w));
	w->b = b;
}

/* fdt_walk_fail: record a nesting error at the current token. */
static enum fdt_error
fdt_walk_fail(struct fdt_walk *w, const char *what)
{
	w->fault = what;
	return FDT_ERR_BADSTRUCTURE;
}

/*
 * fdt_walk_nest: account for a tag that opens or closes a node, or that is
 * only legal inside one.
 *
 * => FDT_ERR_BADSTRUCTURE for an END_NODE with nothing open, a property
 *    or second root outside the root, FDT_END inside a node or before any,
 *    or nesting deeper than FDT_MAX_DEPTH
 */
static enum fdt_error
fdt_walk_nest(struct fdt_walk *w, uint32_t tag, int off)
{
	switch (tag) {
	case FDT_BEGIN_NODE:
		if (w->depth == 0 && w->root_done)
			return fdt_walk_fail(w, "second root node");
		if (w->depth == FDT_MAX_DEPTH)
			return fdt_walk_fail(w, "nodes nested too deeply");
		w->open[w->depth++] = off;
		return FDT_OK;
	case FDT_END_NODE:
		if (w->depth == 0)
			return fdt_walk_fail(w, "FDT_END_NODE without a matching FDT_BEGIN_NODE");
		w->root_done = --w->depth == 0;
		return FDT_OK;
	case FDT_PROP:
		return w->depth > 0 ? FDT_OK : fdt_walk_fail(w, "property outside the root node");
	case FDT_END:
		if (w->depth > 0)
			return fdt_walk_fail(w, "FDT_END inside an open node");
		return w->root_done ? FDT_OK : fdt_walk_fail(w, "FDT_END before any node");
	default:
		return FDT_OK;
	}
}

/*
 * fdt_walk_node: advance to the next node in document order.
 *
 * => FDT_OK and *node = its offset, now open[depth - 1]
 * => FDT_OK and *node = -1 at a well-placed FDT_END
 * => an error from fdt_token_read or fdt_walk_nest otherwise, with
 *    w->fault, w->fault_at and w->fault_prop describing it
 */
static enum fdt_error
fdt_walk_node(struct fdt_walk *w, int *node)
{
	struct fdt_token t;
	enum fdt_error err;

	for (;;) {
		int off = w->next;

		w->fault_at = off;
		err = fdt_token_read(w->b, off, &t, &w->fault);
		w->fault_prop = t.tag == FDT_PROP ? t.name : NULL;
		if (err == FDT_OK)
			err = fdt_walk_nest(w, t.tag, off);
		if (err != FDT_OK)
			return err;
		w->next = t.next;
		if (t.tag == FDT_BEGIN_NODE || t.tag == FDT_END) {
			*node = t.tag == FDT_END ? -1 : off;
			return FDT_OK;
		}
	}
}

/*
 * fdt_walk_to: walk until `node` is the innermost open node.
 *
 * => true if found; the walk's open[] is then the node's path
 */
static bool
fdt_walk_to(struct fdt_walk *w, const struct fdt_blob *b, int node)
{
	int cur = -1;

	fdt_walk_init(w, b);
	while (fdt_walk_node(w, &cur) == FDT_OK && cur >= 0)
		if (cur == node)
			return true;
	return false;
}

/*
 * fdt_node_body: offset of the first token inside `node`.
 *
 * => -FDT_ERR_BADSTRUCTURE (or a token error) if node is not a BEGIN_NODE
 */
static int
fdt_node_body(const struct fdt_blob *b, int node)
{
	struct fdt_token t;
	const char *fault;
	enum fdt_error err = fdt_token_read(b, node, &t, &fault);

	if (err != FDT_OK)
		return -(int)err;
	return t.tag == FDT_BEGIN_NODE ? t.next : -FDT_ERR_BADSTRUCTURE;
}

/* fdt_node_name: the unit name of `node` ("" for the root or a non-node). */
static const char *
fdt_node_name(const struct fdt_blob *b, int node)
{
	struct fdt_token t;
	const char *fault;

	if (fdt_token_read(b, node, &t, &fault) != FDT_OK || t.tag != FDT_BEGIN_NODE)
		return "";
	return t.name;
}

/*
 * fdt_node_skip: offset of the token after `node`'s matching FDT_END_NODE.
 *
 * => -enum fdt_error if the subtree is malformed or node is not a node
 */
static int
fdt_node_skip(const struct fdt_blob *b, int node)
{
	struct fdt_token t;
	const char *fault;
	int depth = 0;
	int off = node;

	do {
		enum fdt_error err = fdt_token_read(b, off, &t, &fault);

		if (err != FDT_OK)
			return -(int)err;
		if (t.tag == FDT_BEGIN_NODE)
			depth++;
		else if (t.tag == FDT_END_NODE)
			depth--;
		if (t.tag == FDT_END || depth < 0 || (off == node && depth == 0))
			return -FDT_ERR_BADSTRUCTURE;
		off = t.next;
	} while (depth > 0);
	return off;
}

/*
 * fdt_child_next: the child of `parent` after child `prev` (-1: the first).
 *
 * => -FDT_ERR_MISSING when there are no more children
 * => other negative values if the structure is malformed
 */
static int
fdt_child_next(const struct fdt_blob *b, int parent, int prev)
{
	int off = prev < 0 ? fdt_node_body(b, parent) : fdt_node_skip(b, prev);
	struct fdt_token t;
	const char *fault;

	while (off >= 0) {
		enum fdt_error err = fdt_token_read(b, off, &t, &fault);

		if (err != FDT_OK)
			return -(int)err;
		if (t.tag == FDT_BEGIN_NODE)
			return off;
		if (t.tag != FDT_PROP && t.tag != FDT_NOP)
			return -FDT_ERR_MISSING;
		off = t.next;
	}
	return off;
}

/* fdt_name_eq: NUL-terminated s equals the n bytes at name. */
static bool
fdt_name_eq(const char *s, const char *name, size_t n)
{
	return strlen(s) == n && memcmp(s, name, n) == 0;
}

/*
 * fdt_prop_get: the value of property `name` (namelen bytes) of `node`.
 *
 * => NULL if absent or node is not a node; *len = value length otherwise
 * => only properties before the first child count (spec 5.4.2 ordering)
 */
static const uint8_t *
fdt_prop_get(const struct fdt_blob *b, int node, const char *name, size_t namelen,
	     uint32_t *len)
{
	int off = fdt_node_body(b, node);
	struct fdt_token t;
	const char *fault;

	while (off >= 0 && fdt_token_read(b, off, &t, &fault) == FDT_OK) {
		if (t.tag == FDT_PROP && fdt_name_eq(t.name, name, namelen)) {
			*len = t.len;
			return t.val;
		}
		if (t.tag != FDT_PROP && t.tag != FDT_NOP)
			break;
		off = t.next;
	}
	return NULL;
}

/* fdt_prop_named: fdt_prop_get for a NUL-terminated name. */
static const uint8_t *
fdt_prop_named(const struct fdt_blob *b, int node, const char *name, uint32_t *len)
{
	return fdt_prop_get(b, node, name, strlen(name), len);
}

/* fdt_value_string: a property value as a C string, NULL if not terminated. */
static const char *
fdt_value_string(const uint8_t *val, uint32_t len)
{
	if (val == NULL || len == 0 || val[len - 1] != '\0')
		return NULL;
	return (const char *)val;
}

/*
 * fdt_prop_has_string: property `name` of `node` is a string list that
 * contains `s` (so a plain string property equal to `s` matches too).
 *
 * => a last entry that is not NUL-terminated is ignored, never read past
 */
static bool
fdt_prop_has_string(const struct fdt_blob *b, int node, const char *name, const char *s)
{
	uint32_t len = 0;
	const char *val = (const char *)fdt_prop_named(b, node, name, &len);
	const char *end;

	if (val == NULL)
		return false;
	for (end = val + len; val < end;) {
		const char *nul = memchr(val, '\0', (size_t)(end - val));

		if (nul == NULL)
			break;
		if (strcmp(val, s) == 0)
			return true;
		val = nul + 1;
	}
	return false;
}

/* fdt_node_available: status is absent, "okay" or "ok" (spec 2.3.4). */
static bool
fdt_node_available(const struct fdt_blob *b, int node)
{
	uint32_t len = 0;
	const uint8_t *val = fdt_prop_named(b, node, "status", &len);
	const char *status = fdt_value_string(val, len);

	if (val == NULL)
		return true;
	return status != NULL && (strcmp(status, "okay") == 0 || strcmp(status, "ok") == 0);
}

/*
 * fdt_node_next_with: the first node after offset `after` (-1: from the
 * start) whose string-list property `prop` contains `value`.
 *
 * => -FDT_ERR_MISSING if none; another -enum fdt_error if the walk fails
 */
static int
fdt_node_next_with(const struct fdt_blob *b, int after, const char *prop, const char *value)
{
	struct fdt_walk w;
	enum fdt_error err;
	int node;

	fdt_walk_init(&w, b);
	while ((err = fdt_walk_node(&w, &node)) == FDT_OK && node >= 0)
		if (node > after && fdt_prop_has_string(b, node, prop, value))
			return node;
	return err != FDT_OK ? -(int)err : -FDT_ERR_MISSING;
}

/* fdt_node_parent: the parent of `node`; -FDT_ERR_MISSING for the root. */
static int
fdt_node_parent(const struct fdt_blob *b, int node)
{
	struct fdt_walk w;

	if (!fdt_walk_to(&w, b, node) || w.depth < 2)
		return -FDT_ERR_MISSING;
	return w.open[w.depth - 2];
}

/*
 * fdt_node_by_phandle: the node whose phandle (or legacy linux,phandle)
 * is `phandle`.
 *
 * => -FDT_ERR_MISSING if none, or phandle is one of the invalid 0 / ~0
 */
static int
fdt_node_by_phandle(const struct fdt_blob *b, uint32_t phandle)
{
	static const char *const names[] = { "phandle", "linux,phandle" };
	struct fdt_walk w;
	int node;

	if (phandle == 0 || phandle == UINT32_MAX)
		return -FDT_ERR_MISSING;
	fdt_walk_init(&w, b);
	while (fdt_walk_node(&w, &node) == FDT_OK && node >= 0) {
		for (size_t i = 0; i < FDT_ARRAY_LEN(names); i++) {
			uint32_t len = 0;
			const uint8_t *val = fdt_prop_named(b, node, names[i], &len);

			if (val != NULL && len == 4 && fdt_load32(val) == phandle)
				return node;
		}
	}
	return -FDT_ERR_MISSING;
}

/*
 * fdt_name_matches: node name `name` is path component `comp` (n bytes),
 * exactly or, when comp has no unit address, as comp@<anything>.
 *
 * => *exact says which
 */
static bool
fdt_name_matches(const char *name, const char *comp, size_t n, bool *exact)
{
	if (strlen(name) < n || memcmp(name, comp, n) != 0)
		return false;
	*exact = name[n] == '\0';
	return *exact || (name[n] == '@' && memchr(comp, '@', n) == NULL);
}

/*
 * fdt_subnode: the child of `parent` named by path component `comp`.
 *
 * => an exact name wins; a name without unit address must match only one
 *    child, else -FDT_ERR_MISSING (ambiguous counts as not found)
 */
static int
fdt_subnode(const struct fdt_blob *b, int parent, const char *comp, size_t n)
{
	int found = -FDT_ERR_MISSING;
	int nfound = 0;
	int child = -1;

	while ((child = fdt_child_next(b, parent, child)) >= 0) {
		bool exact;

		if (!fdt_name_matches(fdt_node_name(b, child), comp, n, &exact))
			continue;
		if (exact)
			return child;
		found = child;
		nfound++;
	}
	return nfound == 1 ? found : -FDT_ERR_MISSING;
}

/* fdt_root: offset of the root node, or -enum fdt_error. */
static int
fdt_root(const struct fdt_blob *b)
{
	struct fdt_walk w;
	enum fdt_error err;
	int node;

	fdt_walk_init(&w, b);
	err = fdt_walk_node(&w, &node);
	if (err != FDT_OK)
		return -(int)err;
	return node >= 0 ? node : -FDT_ERR_MISSING;
}

static int fdt_path_lookup(const struct fdt_blob *b, const char *path, size_t len);

/*
 * fdt_alias_lookup: the node that /aliases property `name` (len bytes) names.
 *
 * => -FDT_ERR_MISSING if there is no such alias or it is not an absolute
 *    path (so aliases never recurse)
 */
static int
fdt_alias_lookup(const struct fdt_blob *b, const char *name, size_t len)
{
	int aliases = fdt_path_lookup(b, "/aliases", strlen("/aliases"));
	uint32_t vlen = 0;
	const uint8_t *val;
	const char *target;

	if (aliases < 0)
		return aliases;
	val = fdt_prop_get(b, aliases, name, len, &vlen);
	target = fdt_value_string(val, vlen);
	if (target == NULL || target[0] != '/')
		return -FDT_ERR_MISSING;
	return fdt_path_lookup(b, target, strlen(target));
}

/*
 * fdt_path_lookup: the node at `path` (len bytes, need not be terminated).
 *
 * => "/a/b@1/c"; unit addresses may be omitted where unique (fdt_subnode)
 * => a path not starting with '/' is an alias name
 * => -FDT_ERR_MISSING if no such node
 */
static int
fdt_path_lookup(const struct fdt_blob *b, const char *path, size_t len)
{
	const char *end = path + len;
	int node;

	if (len == 0)
		return -FDT_ERR_MISSING;
	if (path[0] != '/')
		return fdt_alias_lookup(b, path, len);

	node = fdt_root(b);
	while (node >= 0 && path < end) {
		const char *slash;

		if (*path == '/') {
			path++;
			continue;
		}
		slash = memchr(path, '/', (size_t)(end - path));
		if (slash == NULL)
			slash = end;
		node = fdt_subnode(b, node, path, (size_t)(slash - path));
		path = slash;
	}
	return node;
}

/* ------------------------------------------------------------------ */
/* 3. fdt_parse: messages                                             */
/* ------------------------------------------------------------------ */

/* A bounded, always NUL-terminated message under construction. */
struct fdt_msg {
	char *buf;
	size_t size;
	size_t len;
};

/* The one buffer *why points into; fdt_parse runs once, at boot. */
static char fdt_why_buf[FDT_WHY_MAX];

static void
fdt_msg_putc(struct fdt_msg *m, char c)
{
	if (m->len + 1 >= m->size)
		return;
	m->buf[m->len++] = c;
	m->buf[m->len] = '\0';
}

static void
fdt_msg_puts(struct fdt_msg *m, const char *s)
{
	while (*s != '\0')
		fdt_msg_putc(m, *s++);
}

static void
fdt_msg_putnum(struct fdt_msg *m, unsigned long long v, unsigned base)
{
	char digits[24];
	int n = 0;

	do {
		digits[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v != 0);
	while (n > 0)
		fdt_msg_putc(m, digits[--n]);
}

/*
 * fdt_msg_vformat: append fmt, a printf subset: %s %u %x %llu %llx.
 *
 * => anything else prints as '?'; the format attribute on callers keeps
 *    argument types honest
 */
static void
fdt_msg_vformat(struct fdt_msg *m, const char *fmt, va_list ap)
{
	for (; *fmt != '\0'; fmt++) {
		bool wide = false;

		if (*fmt != '%') {
			fdt_msg_putc(m, *fmt);
			continue;
		}
		if (fmt[1] == 'l' && fmt[2] == 'l') {
			wide = true;
			fmt += 2;
		}
		switch (*++fmt) {
		case 's':
			fdt_msg_puts(m, va_arg(ap, const char *));
			break;
		case 'u':
		case 'x':
			fdt_msg_putnum(m, wide ? va_arg(ap, unsigned long long) : va_arg(ap, unsigned),
				       *fmt == 'u' ? 10 : 16);
			break;
		case '\0':
			return;
		default:
			fdt_msg_putc(m, '?');
		}
	}
}

/* fdt_msg_path: append the path of the walk's innermost open node. */
static void
fdt_msg_path(struct fdt_msg *m, const struct fdt_walk *w)
{
	if (w->depth <= 1) {
		fdt_msg_puts(m, w->depth == 1 ? "/" : "structure block");
		return;
	}
	for (int i = 1; i < w->depth; i++) {	/* the root's own name is "" */
		fdt_msg_putc(m, '/');
		fdt_msg_puts(m, fdt_node_name(w->b, w->open[i]));
	}
}

/* ------------------------------------------------------------------ */
/* 3. fdt_parse: helpers                                              */
/* ------------------------------------------------------------------ */

struct fdt_parser {
	struct fdt_blob b;
	struct platform_info *info;
	const char **why;
};

/*
 * fdt_fail: format "<path of node>: <fmt ...>" into the static buffer,
 * point *why at it and return err.  node < 0 leaves the path out.
 */
__attribute__((format(printf, 4, 5)))
static enum fdt_error
fdt_fail(struct fdt_parser *p, enum fdt_error err, int node, const char *fmt, ...)
{
	struct fdt_msg m = { fdt_why_buf, sizeof(fdt_why_buf), 0 };
	struct fdt_walk w;
	va_list ap;

	fdt_why_buf[0] = '\0';
	if (node >= 0 && fdt_walk_to(&w, &p->b, node)) {
		fdt_msg_path(&m, &w);
		fdt_msg_puts(&m, ": ");
	}
	va_start(ap, fmt);
	fdt_msg_vformat(&m, fmt, ap);
	va_end(ap);
	*p->why = fdt_why_buf;
	return err;
}

/* fdt_fail_walk: report the structure error a walk stopped at. */
static enum fdt_error
fdt_fail_walk(struct fdt_parser *p, enum fdt_error err, const struct fdt_walk *w)
{
	struct fdt_msg m = { fdt_why_buf, sizeof(fdt_why_buf), 0 };

	fdt_why_buf[0] = '\0';
	fdt_msg_path(&m, w);
	fdt_msg_puts(&m, ": ");
	if (w->fault_prop != NULL) {
		fdt_msg_puts(&m, w->fault_prop);
		fdt_msg_puts(&m, ": ");
	}
	fdt_msg_puts(&m, w->fault);
	fdt_msg_puts(&m, " (structure offset 0x");
	fdt_msg_putnum(&m, (unsigned)w->fault_at, 16);
	fdt_msg_putc(&m, ')');
	*p->why = fdt_why_buf;
	return err;
}

/* fdt_path: fdt_path_lookup for a NUL-terminated path. */
static int
fdt_path(const struct fdt_parser *p, const char *path)
{
	return fdt_path_lookup(&p->b, path, strlen(path));
}

/*
 * fdt_parse_uint: read an integer property of 4 bytes, or 4 or 8 bytes
 * when maxbytes is 8; dflt when absent.
 *
 * => FDT_ERR_BADPROP for any other length
 */
static enum fdt_error
fdt_parse_uint(struct fdt_parser *p, int node, const char *name, uint32_t maxbytes,
	       uint64_t dflt, uint64_t *out)
{
	uint32_t len = 0;
	const uint8_t *val = fdt_prop_named(&p->b, node, name, &len);

	if (val == NULL)
		*out = dflt;
	else if (len == 4)
		*out = fdt_load32(val);
	else if (len == 8 && maxbytes == 8)
		*out = fdt_load64(val);
	else
		return fdt_fail(p, FDT_ERR_BADPROP, node, "%s length %u, expected 4%s", name, len,
				maxbytes == 8 ? " or 8" : "");
	return FDT_OK;
}

/* fdt_parse_u32: a one-cell property, dflt when absent. */
static enum fdt_error
fdt_parse_u32(struct fdt_parser *p, int node, const char *name, uint32_t dflt, uint32_t *out)
{
	uint64_t v = 0;
	enum fdt_error err = fdt_parse_uint(p, node, name, 4, dflt, &v);

	*out = (uint32_t)v;
	return err;
}

/* fdt_parse_phandle: the node's phandle (or linux,phandle), 0 if none. */
static enum fdt_error
fdt_parse_phandle(struct fdt_parser *p, int node, uint32_t *phandle)
{
	enum fdt_error err = fdt_parse_u32(p, node, "phandle", 0, phandle);

	if (err == FDT_OK && *phandle == 0)
		err = fdt_parse_u32(p, node, "linux,phandle", 0, phandle);
	return err;
}

/*
 * fdt_parse_string: copy string property `name` into dst[size],
 * truncating; dst is "" when the property is absent.
 *
 * => FDT_ERR_BADPROP if the value is not NUL-terminated
 */
static enum fdt_error
fdt_parse_string(struct fdt_parser *p, int node, const char *name, char *dst, size_t size)
{
	uint32_t len = 0;
	const uint8_t *val = fdt_prop_named(&p->b, node, name, &len);
	const char *s = fdt_value_string(val, len);
	size_t n;

	dst[0] = '\0';
	if (val == NULL)
		return FDT_OK;
	if (s == NULL)
		return fdt_fail(p, FDT_ERR_BADPROP, node, "%s is not a NUL-terminated string", name);
	n = strlen(s);
	if (n >= size)
		n = size - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
	return FDT_OK;
}

/* A cursor over the 32-bit cells of a property value. */
struct fdt_cells {
	const uint8_t *p;		/* NULL if the property is absent */
	uint32_t left;			/* cells not yet consumed */
};

/*
 * fdt_parse_cells: open property `name` as cells, to be read in rows of
 * `row` cells; an absent property gives an empty cursor with p == NULL.
 *
 * => FDT_ERR_BADPROP if the length is not a multiple of the row size
 */
static enum fdt_error
fdt_parse_cells(struct fdt_parser *p, int node, const char *name, uint32_t row,
		struct fdt_cells *c)
{
	uint32_t len = 0;

	c->p = fdt_prop_named(&p->b, node, name, &len);
	c->left = len / 4;
	if (c->p != NULL && (row == 0 || len % (row * 4) != 0))
		return fdt_fail(p, FDT_ERR_BADPROP, node, "%s length %u is not a multiple of %u",
				name, len, row * 4);
	return FDT_OK;
}

/* fdt_cells_take: consume n <= 2 cells as one number; false if too few. */
static bool
fdt_cells_take(struct fdt_cells *c, uint32_t n, uint64_t *v)
{
	if (n > 2 || n > c->left)
		return false;
	*v = 0;
	for (; n > 0; n--, c->left--, c->p += 4)
		*v = *v << 32 | fdt_load32(c->p);
	return true;
}

/* fdt_cells_skip: consume n cells unread; false if too few. */
static bool
fdt_cells_skip(struct fdt_cells *c, uint32_t n)
{
	if (n > c->left)
		return false;
	c->p += (size_t)n * 4;
	c->left -= n;
	return true;
}

/*
 * fdt_parse_addr_cells: the #address-cells and #size-cells (spec defaults
 * 2 and 1) of the parent of `node`, whose property `prop` they lay out.
 *
 * => the root has no parent and gets the defaults
 * => FDT_ERR_BADPROP if they do not fit 64-bit numbers: 1..2 and 0..2
 */
static enum fdt_error
fdt_parse_addr_cells(struct fdt_parser *p, int node, const char *prop, uint32_t *ac,
		     uint32_t *sc)
{
	int parent = fdt_node_parent(&p->b, node);
	enum fdt_error err = FDT_OK;

	*ac = 2;
	*sc = 1;
	if (parent >= 0)
		err = fdt_parse_u32(p, parent, "#address-cells", 2, ac);
	if (parent >= 0 && err == FDT_OK)
		err = fdt_parse_u32(p, parent, "#size-cells", 1, sc);
	if (err == FDT_OK && (*ac < 1 || *ac > 2 || *sc > 2))
		return fdt_fail(p, FDT_ERR_BADPROP, node,
				"%s: parent's #address-cells %u / #size-cells %u unsupported",
				prop, *ac, *sc);
	return err;
}

/* A node's reg, decoded with its parent's cell counts. */
struct fdt_reg {
	struct fdt_cells cells;
	uint32_t ac, sc;
	uint32_t count;			/* entries */
};

/*
 * fdt_parse_reg: open `node`'s reg; count is 0 when it is absent.
 *
 * => FDT_ERR_BADPROP if the parent's cells are unusable or the length is
 *    not a multiple of one entry
 */
static enum fdt_error
fdt_parse_reg(struct fdt_parser *p, int node, struct fdt_reg *reg)
{
	enum fdt_error err;

	err = fdt_parse_addr_cells(p, node, "reg", &reg->ac, &reg->sc);
	if (err == FDT_OK)
		err = fdt_parse_cells(p, node, "reg", reg->ac + reg->sc, &reg->cells);
	reg->count = err == FDT_OK ? reg->cells.left / (reg->ac + reg->sc) : 0;
	return err;
}

/* fdt_reg_next: the next entry of an opened reg; count says how many. */
static struct fdt_range
fdt_reg_next(struct fdt_reg *reg)
{
	struct fdt_range r = { 0, 0 };

	(void)(fdt_cells_take(&reg->cells, reg->ac, &r.base) &&
	       fdt_cells_take(&reg->cells, reg->sc, &r.size));
	return r;
}

/*
 * fdt_parse_device_reg: the first reg entry of a device node.
 *
 * => FDT_ERR_MISSING if reg is absent or empty; as fdt_parse_reg otherwise
 */
static enum fdt_error
fdt_parse_device_reg(struct fdt_parser *p, int node, struct fdt_range *range)
{
	struct fdt_reg reg;
	enum fdt_error err = fdt_parse_reg(p, node, &reg);

	if (err != FDT_OK)
		return err;
	if (reg.count == 0)
		return fdt_fail(p, FDT_ERR_MISSING, node, "reg is absent or empty");
	*range = fdt_reg_next(&reg);
	return FDT_OK;
}

/*
 * fdt_find_device: the first available node compatible with compats[0],
 * else compats[1], ... (priority order, not document order).
 *
 * => -FDT_ERR_MISSING if none
 */
static int
fdt_find_device(const struct fdt_parser *p, const char *const *compats, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int node = -1;

		while ((node = fdt_node_next_with(&p->b, node, "compatible", compats[i])) >= 0)
			if (fdt_node_available(&p->b, node))
				return node;
	}
	return -FDT_ERR_MISSING;
}

/* An interrupt parent's specifier layout (spec 2.4). */
struct fdt_irq_parent {
	uint32_t phandle;		/* 0 until the first lookup */
	uint32_t addr_cells;		/* #address-cells, 0 if absent */
	uint32_t irq_cells;		/* #interrupt-cells, >= 1 */
};

/*
 * fdt_parse_irq_parent: look up interrupt parent `phandle`, referenced
 * from `prop` of `node`; a repeat of the previous phandle is not looked up
 * again.
 *
 * => FDT_ERR_BADPROP if no node has that phandle or its #interrupt-cells
 *    is absent or 0
 */
static enum fdt_error
fdt_parse_irq_parent(struct fdt_parser *p, int node, const char *prop, uint32_t phandle,
		     struct fdt_irq_parent *ip)
{
	int parent;
	enum fdt_error err;

	if (ip->phandle == phandle && phandle != 0)
		return FDT_OK;
	parent = fdt_node_by_phandle(&p->b, phandle);
	if (parent < 0)
		return fdt_fail(p, FDT_ERR_BADPROP, node, "%s: phandle 0x%x matches no node",
				prop, phandle);
	err = fdt_parse_u32(p, parent, "#address-cells", 0, &ip->addr_cells);
	if (err == FDT_OK)
		err = fdt_parse_u32(p, parent, "#interrupt-cells", 0, &ip->irq_cells);
	if (err == FDT_OK && ip->irq_cells == 0)
		return fdt_fail(p, FDT_ERR_BADPROP, node, "%s: interrupt parent 0x%x has no #interrupt-cells",
				prop, phandle);
	ip->phandle = phandle;
	return err;
}

/* ------------------------------------------------------------------ */
/* 3. fdt_parse: one step per part of struct platform_info            */
/* ------------------------------------------------------------------ */

/*
 * fdt_check_structure: walk every token once.
 *
 * => FDT_OK if tokens, lengths, names, nesting and FDT_END are sound, so
 *    the navigation below cannot fail on this blob except by not finding
 * => the first error otherwise, with the node path and structure offset
 */
static enum fdt_error
fdt_check_structure(struct fdt_parser *p)
{
	struct fdt_walk w;
	enum fdt_error err;
	int node;

	fdt_walk_init(&w, &p->b);
	do
		err = fdt_walk_node(&w, &node);
	while (err == FDT_OK && node >= 0);
	return err == FDT_OK ? FDT_OK : fdt_fail_walk(p, err, &w);
}

/*
 * fdt_resv_add: append a reserved range found at `node` (-1: the memory
 * reservation block).
 *
 * => FDT_ERR_TOOMANY when resv[] is full
 */
static enum fdt_error
fdt_resv_add(struct fdt_parser *p, int node, struct fdt_range r, bool no_map)
{
	struct platform_info *info = p->info;

	if (info->nresv == FDT_MAX_RESV)
		return fdt_fail(p, FDT_ERR_TOOMANY, node, "more than %u reserved ranges",
				FDT_MAX_RESV);
	info->resv[info->nresv].base = r.base;
	info->resv[info->nresv].size = r.size;
	info->resv[info->nresv].no_map = no_map;
	info->nresv++;
	return FDT_OK;
}

/*
 * fdt_parse_memreserve: the header's memory reservation block, entries of
 * (u64 address, u64 size) up to an all-zero one (spec 5.3).
 *
 * => FDT_ERR_TRUNCATED if the terminator is not within totalsize
 */
static enum fdt_error
fdt_parse_memreserve(struct fdt_parser *p)
{
	uint64_t off = p->b.rsvmap_off;
	enum fdt_error err = FDT_OK;

	for (; err == FDT_OK; off += FDT_RSV_ENTRY_SIZE) {
		struct fdt_range r;

		if (!fdt_span_ok(off, FDT_RSV_ENTRY_SIZE, p->b.size))
			return fdt_fail(p, FDT_ERR_TRUNCATED, -1,
					"memory reservation block: no terminating entry within totalsize");
		r.base = fdt_load64(p->b.base + off);
		r.size = fdt_load64(p->b.base + off + 8);
		if (r.base == 0 && r.size == 0)
			break;
		err = fdt_resv_add(p, -1, r, false);
	}
	return err;
}

/* fdt_parse_memory_node: append every reg range of a memory node. */
static enum fdt_error
fdt_parse_memory_node(struct fdt_parser *p, int node)
{
	struct platform_info *info = p->info;
	struct fdt_reg reg;
	enum fdt_error err = fdt_parse_reg(p, node, &reg);

	for (uint32_t i = 0; err == FDT_OK && i < reg.count; i++) {
		if (info->nmem == FDT_MAX_MEM)
			return fdt_fail(p, FDT_ERR_TOOMANY, node, "reg: more than %u memory ranges",
					FDT_MAX_MEM);
		info->mem[info->nmem++] = fdt_reg_next(&reg);
	}
	return err;
}

/*
 * fdt_parse_memory: every available node with device_type "memory".
 *
 * => FDT_ERR_MISSING if that yields no range
 */
static enum fdt_error
fdt_parse_memory(struct fdt_parser *p)
{
	enum fdt_error err = FDT_OK;
	int node = -1;

	while (err == FDT_OK &&
	       (node = fdt_node_next_with(&p->b, node, "device_type", "memory")) >= 0)
		if (fdt_node_available(&p->b, node))
			err = fdt_parse_memory_node(p, node);
	if (err == FDT_OK && p->info->nmem == 0)
		return fdt_fail(p, FDT_ERR_MISSING, -1, "no memory node (device_type \"memory\") with a reg");
	return err;
}

/* fdt_parse_reserved_child: one /reserved-memory child, if it has a reg. */
static enum fdt_error
fdt_parse_reserved_child(struct fdt_parser *p, int node)
{
	uint32_t len;
	bool no_map = fdt_prop_named(&p->b, node, "no-map", &len) != NULL;
	struct fdt_reg reg;
	enum fdt_error err = fdt_parse_reg(p, node, &reg);

	for (uint32_t i = 0; err == FDT_OK && i < reg.count; i++)
		err = fdt_resv_add(p, node, fdt_reg_next(&reg), no_map);
	return err;
}

/*
 * fdt_parse_reserved_memory: the available children of /reserved-memory,
 * decoded with its own #address-cells / #size-cells.  Children with only
 * a size (allocated by the OS) reserve nothing yet and are skipped.
 */
static enum fdt_error
fdt_parse_reserved_memory(struct fdt_parser *p)
{
	int parent = fdt_path(p, "/reserved-memory");
	int child = -1;
	enum fdt_error err = FDT_OK;

	if (parent < 0)
		return FDT_OK;
	while (err == FDT_OK && (child = fdt_child_next(&p->b, parent, child)) >= 0)
		if (fdt_node_available(&p->b, child))
			err = fdt_parse_reserved_child(p, child);
	return err;
}

/*
 * fdt_parse_hartid: the hart id in a cpu node's reg.
 *
 * => FDT_ERR_BADPROP unless reg holds exactly one entry that fits 32 bits
 */
static enum fdt_error
fdt_parse_hartid(struct fdt_parser *p, int cpu, uint32_t *hartid)
{
	struct fdt_reg reg;
	struct fdt_range r;
	enum fdt_error err = fdt_parse_reg(p, cpu, &reg);

	if (err != FDT_OK)
		return err;
	if (reg.count != 1)
		return fdt_fail(p, FDT_ERR_BADPROP, cpu, "reg has %u entries, expected one hart id",
				reg.count);
	r = fdt_reg_next(&reg);
	if (r.base > UINT32_MAX)
		return fdt_fail(p, FDT_ERR_BADPROP, cpu, "reg: hart id 0x%llx does not fit 32 bits",
				(unsigned long long)r.base);
	*hartid = (uint32_t)r.base;
	return FDT_OK;
}

/* fdt_parse_hart_intc: phandle of the cpu's riscv,cpu-intc child, 0 if none. */
static enum fdt_error
fdt_parse_hart_intc(struct fdt_parser *p, int cpu, uint32_t *phandle)
{
	int child = -1;

	*phandle = 0;
	while ((child = fdt_child_next(&p->b, cpu, child)) >= 0)
		if (fdt_prop_has_string(&p->b, child, "compatible", "riscv,cpu-intc"))
			return fdt_parse_phandle(p, child, phandle);
	return FDT_OK;
}

/*
 * fdt_parse_hart: append one cpu node to harts[]; the first one also
 * gives isa and mmu_type, any one the timebase if /cpus lacked it.
 *
 * => FDT_ERR_TOOMANY when harts[] is full
 */
static enum fdt_error
fdt_parse_hart(struct fdt_parser *p, int cpu)
{
	struct platform_info *info = p->info;
	struct fdt_hart *h;
	enum fdt_error err;

	if (info->nharts == FDT_MAX_HARTS)
		return fdt_fail(p, FDT_ERR_TOOMANY, cpu, "more than %u harts", FDT_MAX_HARTS);
	h = &info->harts[info->nharts];
	h->okay = fdt_node_available(&p->b, cpu);
	h->plic_s_context = -1;
	err = fdt_parse_hartid(p, cpu, &h->hartid);
	if (err == FDT_OK)
		err = fdt_parse_hart_intc(p, cpu, &h->intc_phandle);
	if (err == FDT_OK && info->timebase_freq == 0)
		err = fdt_parse_uint(p, cpu, "timebase-frequency", 8, 0, &info->timebase_freq);
	if (err == FDT_OK && info->nharts == 0)
		err = fdt_parse_string(p, cpu, "riscv,isa", info->isa, sizeof(info->isa));
	if (err == FDT_OK && info->nharts == 0)
		err = fdt_parse_string(p, cpu, "mmu-type", info->mmu_type, sizeof(info->mmu_type));
	info->nharts++;
	return err;
}

/*
 * fdt_parse_cpus: every /cpus child with device_type "cpu", and the
 * timebase.
 *
 * => FDT_ERR_MISSING if /cpus or every cpu node is absent
 */
static enum fdt_error
fdt_parse_cpus(struct fdt_parser *p)
{
	int cpus = fdt_path(p, "/cpus");
	int cpu = -1;
	enum fdt_error err;

	if (cpus < 0)
		return fdt_fail(p, FDT_ERR_MISSING, -1, "/cpus: node is absent");
	err = fdt_parse_uint(p, cpus, "timebase-frequency", 8, 0, &p->info->timebase_freq);
	while (err == FDT_OK && (cpu = fdt_child_next(&p->b, cpus, cpu)) >= 0)
		if (fdt_prop_has_string(&p->b, cpu, "device_type", "cpu"))
			err = fdt_parse_hart(p, cpu);
	if (err == FDT_OK && p->info->nharts == 0)
		return fdt_fail(p, FDT_ERR_MISSING, cpus, "no cpu node (device_type \"cpu\")");
	return err;
}

/* fdt_hart_set_s_context: give context ctx to the hart whose intc this is. */
static void
fdt_hart_set_s_context(struct platform_info *info, uint32_t intc, int ctx)
{
	for (int i = 0; i < info->nharts; i++)
		if (info->harts[i].intc_phandle == intc && info->harts[i].plic_s_context < 0)
			info->harts[i].plic_s_context = ctx;
}

/*
 * fdt_parse_plic_contexts: walk the PLIC's interrupts-extended, one
 * <intc-phandle specifier...> entry per context, and record for each hart
 * the context wired to its S-mode external interrupt.
 *
 * => FDT_ERR_BADPROP if an entry names no interrupt parent or is cut short
 */
static enum fdt_error
fdt_parse_plic_contexts(struct fdt_parser *p, int plic)
{
	static const char prop[] = "interrupts-extended";
	struct fdt_irq_parent ip = { 0, 0, 0 };
	struct fdt_cells c;
	enum fdt_error err = fdt_parse_cells(p, plic, prop, 1, &c);

	for (int ctx = 0; err == FDT_OK && c.left > 0; ctx++) {
		uint64_t phandle = 0, irq = 0;

		(void)fdt_cells_take(&c, 1, &phandle);
		err = fdt_parse_irq_parent(p, plic, prop, (uint32_t)phandle, &ip);
		if (err != FDT_OK)
			break;
		if (!fdt_cells_take(&c, 1, &irq) || !fdt_cells_skip(&c, ip.irq_cells - 1))
			return fdt_fail(p, FDT_ERR_BADPROP, plic, "%s: entry %u is cut short", prop,
					(unsigned)ctx);
		if (irq == FDT_IRQ_S_EXTERNAL)
			fdt_hart_set_s_context(p->info, (uint32_t)phandle, ctx);
	}
	return err;
}

/* fdt_parse_plic: the first riscv,plic0 / sifive,plic-1.0.0; none is fine. */
static enum fdt_error
fdt_parse_plic(struct fdt_parser *p)
{
	static const char *const compats[] = { "riscv,plic0", "sifive,plic-1.0.0" };
	struct platform_info *info = p->info;
	int node = fdt_find_device(p, compats, FDT_ARRAY_LEN(compats));
	enum fdt_error err;

	if (node < 0)
		return FDT_OK;
	err = fdt_parse_device_reg(p, node, &info->plic);
	if (err == FDT_OK)
		err = fdt_parse_u32(p, node, "riscv,ndev", 0, &info->plic_ndev);
	if (err == FDT_OK)
		err = fdt_parse_phandle(p, node, &info->plic_phandle);
	if (err == FDT_OK)
		err = fdt_parse_plic_contexts(p, node);
	return err;
}

/* fdt_parse_clint: the first riscv,clint0 / sifive,clint0; none is fine. */
static enum fdt_error
fdt_parse_clint(struct fdt_parser *p)
{
	static const char *const compats[] = { "riscv,clint0", "sifive,clint0" };
	int node = fdt_find_device(p, compats, FDT_ARRAY_LEN(compats));

	return node < 0 ? FDT_OK : fdt_parse_device_reg(p, node, &p->info->clint);
}

/*
 * fdt_stdout_node: the node /chosen stdout-path names, without any
 * ":options" suffix; the path may be an alias.
 *
 * => negative if there is none
 */
static int
fdt_stdout_node(const struct fdt_parser *p)
{
	int chosen = fdt_path(p, "/chosen");
	uint32_t len = 0;
	const uint8_t *val;
	const char *path;

	if (chosen < 0)
		return chosen;
	val = fdt_prop_named(&p->b, chosen, "stdout-path", &len);
	path = fdt_value_string(val, len);
	if (path == NULL)
		return -FDT_ERR_MISSING;
	return fdt_path_lookup(&p->b, path, strcspn(path, ":"));
}

/*
 * fdt_parse_uart_irq: the first cell of interrupts, 0 if absent
 * (interrupts-extended is not read).
 */
static enum fdt_error
fdt_parse_uart_irq(struct fdt_parser *p, int node)
{
	struct fdt_cells c;
	uint64_t irq = 0;
	enum fdt_error err = fdt_parse_cells(p, node, "interrupts", 1, &c);

	if (err == FDT_OK && fdt_cells_take(&c, 1, &irq))
		p->info->uart_irq = (uint32_t)irq;
	return err;
}

/*
 * fdt_parse_uart: the ns16550a stdout-path names, else the first one.
 *
 * => FDT_ERR_BADPROP if clock-frequency does not fit 32 bits
 */
static enum fdt_error
fdt_parse_uart(struct fdt_parser *p)
{
	static const char *const compats[] = { "ns16550a" };
	struct platform_info *info = p->info;
	int node = fdt_stdout_node(p);
	uint64_t clock = 0;
	enum fdt_error err;

	if (node < 0 || !fdt_prop_has_string(&p->b, node, "compatible", compats[0]))
		node = fdt_find_device(p, compats, FDT_ARRAY_LEN(compats));
	if (node < 0)
		return FDT_OK;
	err = fdt_parse_device_reg(p, node, &info->uart);
	if (err == FDT_OK)
		err = fdt_parse_uart_irq(p, node);
	if (err == FDT_OK)
		err = fdt_parse_uint(p, node, "clock-frequency", 8, 0, &clock);
	if (err == FDT_OK && clock > UINT32_MAX)
		return fdt_fail(p, FDT_ERR_BADPROP, node, "clock-frequency 0x%llx does not fit 32 bits",
				(unsigned long long)clock);
	info->uart_clock = (uint32_t)clock;
	return err;
}

/* fdt_parse_syscon: the poweroff/reboot register; none is fine. */
static enum fdt_error
fdt_parse_syscon(struct fdt_parser *p)
{
	static const char *const compats[] = { "sifive,test0", "syscon" };
	int node = fdt_find_device(p, compats, FDT_ARRAY_LEN(compats));

	return node < 0 ? FDT_OK : fdt_parse_device_reg(p, node, &p->info->syscon);
}

/* Cell counts of a PCI host bridge and of the bus it sits on. */
struct fdt_pci_cells {
	uint32_t addr;			/* own #address-cells, always 3 */
	uint32_t size;			/* own #size-cells */
	uint32_t irq;			/* own #interrupt-cells */
	uint32_t parent_addr;		/* parent's #address-cells */
};

/*
 * fdt_parse_pci_cells: read the cell counts ranges and interrupt-map use.
 *
 * => FDT_ERR_BADPROP unless #address-cells is 3, #size-cells 1..2,
 *    #interrupt-cells >= 1 and the parent's cells fit 64 bits
 */
static enum fdt_error
fdt_parse_pci_cells(struct fdt_parser *p, int pci, struct fdt_pci_cells *pc)
{
	uint32_t parent_size;
	enum fdt_error err;

	err = fdt_parse_addr_cells(p, pci, "ranges", &pc->parent_addr, &parent_size);
	if (err == FDT_OK)
		err = fdt_parse_u32(p, pci, "#address-cells", 2, &pc->addr);
	if (err == FDT_OK)
		err = fdt_parse_u32(p, pci, "#size-cells", 1, &pc->size);
	if (err == FDT_OK)
		err = fdt_parse_u32(p, pci, "#interrupt-cells", 1, &pc->irq);
	if (err == FDT_OK && (pc->addr != FDT_PCI_ADDR_CELLS || pc->size < 1 || pc->size > 2 ||
			      pc->irq < 1))
		return fdt_fail(p, FDT_ERR_BADPROP, pci,
				"#address-cells %u / #size-cells %u / #interrupt-cells %u unsupported",
				pc->addr, pc->size, pc->irq);
	return err;
}

/*
 * fdt_parse_pci_bus_range: bus-range <first last>, default 0..255.
 *
 * => FDT_ERR_BADPROP if it is not two cells or first > last
 */
static enum fdt_error
fdt_parse_pci_bus_range(struct fdt_parser *p, int pci)
{
	struct fdt_cells c;
	uint64_t first = 0, last = 255;
	enum fdt_error err = fdt_parse_cells(p, pci, "bus-range", 2, &c);

	if (err == FDT_OK && c.p != NULL &&
	    (c.left != 2 || !fdt_cells_take(&c, 1, &first) || !fdt_cells_take(&c, 1, &last) ||
	     first > last))
		return fdt_fail(p, FDT_ERR_BADPROP, pci, "bus-range is not <first last> with first <= last");
	p->info->pci.bus_start = (uint32_t)first;
	p->info->pci.bus_end = (uint32_t)last;
	return err;
}

/*
 * fdt_parse_pci_ranges: each <pci-addr(3) cpu-addr(parent) size> row.
 *
 * => FDT_ERR_BADPROP if the length is not whole rows
 * => FDT_ERR_TOOMANY beyond FDT_MAX_PCI_RANGES rows
 */
static enum fdt_error
fdt_parse_pci_ranges(struct fdt_parser *p, int pci, const struct fdt_pci_cells *pc)
{
	uint32_t row = pc->addr + pc->parent_addr + pc->size;
	struct fdt_cells c;
	enum fdt_error err = fdt_parse_cells(p, pci, "ranges", row, &c);

	if (err == FDT_OK && c.left / row > FDT_MAX_PCI_RANGES)
		return fdt_fail(p, FDT_ERR_TOOMANY, pci, "ranges: more than %u rows", FDT_MAX_PCI_RANGES);
	for (; err == FDT_OK && c.left > 0; p->info->pci.nranges++) {
		struct fdt_pci_range *r = &p->info->pci.ranges[p->info->pci.nranges];
		uint64_t hi = 0;

		(void)(fdt_cells_take(&c, 1, &hi) && fdt_cells_take(&c, 2, &r->pci_addr) &&
		       fdt_cells_take(&c, pc->parent_addr, &r->cpu_addr) &&
		       fdt_cells_take(&c, pc->size, &r->size));
		r->space = (enum fdt_pci_space)FDT_PCI_HI_SPACE((uint32_t)hi);
		r->prefetchable = (hi & FDT_PCI_HI_PREFETCH) != 0;
	}
	return err;
}

/*
 * fdt_irqmap_take_child: consume the child half of an interrupt-map row,
 * <child-addr(3) child-irq(#interrupt-cells) parent-phandle>, keeping the
 * child's phys.hi and its first interrupt cell (the pin).
 *
 * => false if the row is cut short
 */
static bool
fdt_irqmap_take_child(struct fdt_cells *c, const struct fdt_pci_cells *pc,
		      struct fdt_pci_irqmap *row, uint32_t *phandle)
{
	uint64_t hi = 0, pin = 0, parent = 0;

	if (!fdt_cells_take(c, 1, &hi) || !fdt_cells_skip(c, pc->addr - 1) ||
	    !fdt_cells_take(c, 1, &pin) || !fdt_cells_skip(c, pc->irq - 1) ||
	    !fdt_cells_take(c, 1, &parent))
		return false;
	row->child_hi = (uint32_t)hi;
	row->pin = (uint32_t)pin;
	*phandle = (uint32_t)parent;
	return true;
}

/*
 * fdt_irqmap_take_parent: consume the parent half of a row,
 * <parent-addr(#address-cells) parent-irq(#interrupt-cells)> of the
 * interrupt parent (spec 2.4.3.1), keeping the specifier's first cell
 * (the source number, for a PLIC).
 *
 * => false if the row is cut short
 */
static bool
fdt_irqmap_take_parent(struct fdt_cells *c, const struct fdt_irq_parent *ip,
		       struct fdt_pci_irqmap *row)
{
	uint64_t irq = 0;

	if (!fdt_cells_skip(c, ip->addr_cells) || !fdt_cells_take(c, 1, &irq) ||
	    !fdt_cells_skip(c, ip->irq_cells - 1))
		return false;
	row->parent_irq = (uint32_t)irq;
	return true;
}

/*
 * fdt_parse_pci_irqmap_row: consume and append one interrupt-map row.
 *
 * => FDT_ERR_TOOMANY beyond FDT_MAX_PCI_IRQMAP rows
 * => FDT_ERR_BADPROP if the row is cut short or its parent is unknown
 */
static enum fdt_error
fdt_parse_pci_irqmap_row(struct fdt_parser *p, int pci, const struct fdt_pci_cells *pc,
			 struct fdt_cells *c, struct fdt_irq_parent *ip)
{
	static const char prop[] = "interrupt-map";
	int n = p->info->pci.nirqmap;
	struct fdt_pci_irqmap row;
	uint32_t phandle = 0;
	enum fdt_error err;

	if (n == FDT_MAX_PCI_IRQMAP)
		return fdt_fail(p, FDT_ERR_TOOMANY, pci, "%s: more than %u rows", prop,
				FDT_MAX_PCI_IRQMAP);
	if (!fdt_irqmap_take_child(c, pc, &row, &phandle))
		return fdt_fail(p, FDT_ERR_BADPROP, pci, "%s: row %u is cut short", prop, (unsigned)n);
	err = fdt_parse_irq_parent(p, pci, prop, phandle, ip);
	if (err != FDT_OK)
		return err;
	if (!fdt_irqmap_take_parent(c, ip, &row))
		return fdt_fail(p, FDT_ERR_BADPROP, pci, "%s: row %u is cut short", prop, (unsigned)n);
	p->info->pci.irqmap[p->info->pci.nirqmap++] = row;
	return FDT_OK;
}

/*
 * fdt_parse_pci_irqmap_mask: the first and last cell of interrupt-map-mask
 * (the devfn bits of phys.hi and the pin); all ones when it is absent.
 *
 * => FDT_ERR_BADPROP if it is not one child address plus specifier
 */
static enum fdt_error
fdt_parse_pci_irqmap_mask(struct fdt_parser *p, int pci, const struct fdt_pci_cells *pc)
{
	uint32_t width = pc->addr + pc->irq;
	uint64_t hi = UINT32_MAX, pin = UINT32_MAX;
	struct fdt_cells c;
	enum fdt_error err = fdt_parse_cells(p, pci, "interrupt-map-mask", 1, &c);

	if (err != FDT_OK)
		return err;
	if (c.p != NULL && c.left != width)
		return fdt_fail(p, FDT_ERR_BADPROP, pci, "interrupt-map-mask has %u cells, expected %u",
				c.left, width);
	if (c.p != NULL) {
		(void)fdt_cells_take(&c, 1, &hi);
		(void)(fdt_cells_skip(&c, width - 2) && fdt_cells_take(&c, 1, &pin));
	}
	p->info->pci.irqmap_mask_hi = (uint32_t)hi;
	p->info->pci.irqmap_mask_pin = (uint32_t)pin;
	return FDT_OK;
}

/* fdt_parse_pci_irqmap: the mask and every interrupt-map row. */
static enum fdt_error
fdt_parse_pci_irqmap(struct fdt_parser *p, int pci, const struct fdt_pci_cells *pc)
{
	struct fdt_irq_parent ip = { 0, 0, 0 };
	struct fdt_cells c;
	enum fdt_error err = fdt_parse_pci_irqmap_mask(p, pci, pc);

	if (err == FDT_OK)
		err = fdt_parse_cells(p, pci, "interrupt-map", 1, &c);
	while (err == FDT_OK && c.left > 0)
		err = fdt_parse_pci_irqmap_row(p, pci, pc, &c, &ip);
	return err;
}

/* fdt_parse_pci: the first pci-host-ecam-generic bridge; none is fine. */
static enum fdt_error
fdt_parse_pci(struct fdt_parser *p)
{
	static const char *const compats[] = { "pci-host-ecam-generic" };
	int node = fdt_find_device(p, compats, FDT_ARRAY_LEN(compats));
	struct fdt_pci_cells pc;
	enum fdt_error err;

	if (node < 0)
		return FDT_OK;
	err = fdt_parse_device_reg(p, node, &p->info->pci.ecam);
	if (err == FDT_OK)
		err = fdt_parse_pci_cells(p, node, &pc);
	if (err == FDT_OK)
		err = fdt_parse_pci_bus_range(p, node);
	if (err == FDT_OK)
		err = fdt_parse_pci_ranges(p, node, &pc);
	if (err == FDT_OK)
		err = fdt_parse_pci_irqmap(p, node, &pc);
	return err;
}

/* fdt_parse_bootargs: /chosen bootargs, "" if either is absent; bootargs_len its whole length. */
static enum fdt_error
fdt_parse_bootargs(struct fdt_parser *p)
{
	int chosen = fdt_path(p, "/chosen");
	enum fdt_error err;
	const uint8_t *val;
	uint32_t len = 0;
	const char *s;

	p->info->bootargs[0] = '\0';
	p->info->bootargs_len = 0;
	if (chosen < 0)
		return FDT_OK;
	err = fdt_parse_string(p, chosen, "bootargs", p->info->bootargs, sizeof(p->info->bootargs));
	val = fdt_prop_named(&p->b, chosen, "bootargs", &len);
	s = fdt_value_string(val, len);
	if (err == FDT_OK && s)
		p->info->bootargs_len = strlen(s);
	return err;
}

typedef enum fdt_error (*fdt_step_fn)(struct fdt_parser *p);

/* In order: validation first, then each part of platform_info. */
static const fdt_step_fn fdt_parse_steps[] = {
	fdt_check_structure,
	fdt_parse_memreserve,
	fdt_parse_memory,
	fdt_parse_reserved_memory,
	fdt_parse_cpus,
	fdt_parse_plic,		/* after cpus: fills harts[].plic_s_context */
	fdt_parse_clint,
	fdt_parse_uart,
	fdt_parse_syscon,
	fdt_parse_pci,
	fdt_parse_bootargs,
};

/* ------------------------------------------------------------------ */
/* Public interface                                                   */
/* ------------------------------------------------------------------ */

enum fdt_error
fdt_parse(const void *blob, size_t maxlen, struct platform_info *info, const char **why)
{
	const char *why_unused;
	struct fdt_parser p = { .info = info, .why = why != NULL ? why : &why_unused };
	const char *fault;
	enum fdt_error err;

	memset(info, 0, sizeof(*info));
	err = fdt_blob_open(&p.b, blob, maxlen, &fault);
	if (err != FDT_OK)
		return fdt_fail(&p, err, -1, "%s", fault);
	for (size_t i = 0; err == FDT_OK && i < FDT_ARRAY_LEN(fdt_parse_steps); i++)
		err = fdt_parse_steps[i](&p);
	return err;
}

uint32_t
fdt_totalsize(const void *blob)
{
	const uint8_t *h = blob;

	if (h == NULL || fdt_load32(h + FDT_HDR_MAGIC) != FDT_MAGIC)
		return 0;
	return fdt_load32(h + FDT_HDR_TOTALSIZE);
}

const char *
fdt_error_name(enum fdt_error err)
{
	static const char *const names[] = {
		[FDT_OK] = "FDT_OK",
		[FDT_ERR_TRUNCATED] = "FDT_ERR_TRUNCATED",
		[FDT_ERR_BADMAGIC] = "FDT_ERR_BADMAGIC",
		[FDT_ERR_BADVERSION] = "FDT_ERR_BADVERSION",
		[FDT_ERR_BADSTRUCTURE] = "FDT_ERR_BADSTRUCTURE",
		[FDT_ERR_BADPROP] = "FDT_ERR_BADPROP",
		[FDT_ERR_MISSING] = "FDT_ERR_MISSING",
		[FDT_ERR_TOOMANY] = "FDT_ERR_TOOMANY",
	};

	if ((unsigned)err >= FDT_ARRAY_LEN(names))
		return "FDT_ERR_UNKNOWN";
	return names[err];
}

int
fdt_node_by_compatible(const void *blob, int after, const char *compat)
{
	struct fdt_blob b;
	enum fdt_error err = fdt_blob_trusted(&b, blob);

	if (err != FDT_OK)
		return -(int)err;
	if (compat == NULL)
		return -FDT_ERR_MISSING;
	return fdt_node_next_with(&b, after, "compatible", compat);
}

int
fdt_node_by_path(const void *blob, const char *path)
{
	struct fdt_blob b;
	enum fdt_error err = fdt_blob_trusted(&b, blob);

	if (err != FDT_OK)
		return -(int)err;
	if (path == NULL)
		return -FDT_ERR_MISSING;
	return fdt_path_lookup(&b, path, strlen(path));
}

const void *
fdt_prop(const void *blob, int node, const char *name, uint32_t *len)
{
	struct fdt_blob b;
	uint32_t vlen = 0;
	const uint8_t *val = NULL;

	if (name != NULL && fdt_blob_trusted(&b, blob) == FDT_OK)
		val = fdt_prop_named(&b, node, name, &vlen);
	if (len != NULL)
		*len = val != NULL ? vlen : 0;
	return val;
}
