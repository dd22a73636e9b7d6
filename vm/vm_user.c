/*
 * vm_user.c: the kernel's access to user memory (see vm_user.h).
 */
#include <errno.h>
#include <string.h>

#include "kern/kernel.h"
#include "vm/pmap.h"
#include "vm/vm_user.h"

/* user_range_ok: [uaddr, uaddr + n) lies in the user half and does not wrap. */
static bool user_range_ok(const void *uaddr, size_t n)
{
	uint64_t a = (uint64_t)uaddr;

	return a + n >= a && a + n <= PMAP_USER_END;
}

struct user_copy {
	void *dst;
	const void *src;
	size_t len;
};

static void user_copy_fn(void *arg)
{
	struct user_copy *c = arg;

	memcpy(c->dst, c->src, c->len);
}

/* user_copy: len bytes src -> dst, one side user memory checked by the caller.  => 0, EFAULT */
static int user_copy(void *dst, const void *src, size_t len)
{
	struct user_copy c = { dst, src, len };

	return len == 0 || pmap_user_access(user_copy_fn, &c) ? 0 : EFAULT;
}

int copyin(const void *uaddr, void *kaddr, size_t count)
{
	if (!user_range_ok(uaddr, count) || !kaddr)
		return EFAULT;
	return user_copy(kaddr, uaddr, count);
}

int copyout(const void *kaddr, void *uaddr, size_t count)
{
	if (!user_range_ok(uaddr, count) || !kaddr)
		return EFAULT;
	return user_copy(uaddr, kaddr, count);
}

struct user_str {
	const char *src;
	char *dst;
	size_t max, done;
	bool terminated;
};

/*
 * user_str_fn: byte by byte up to the NUL or max, a page of the source at
 * a time; done counts what was copied before a fault.  Only the first byte
 * of a page can fault, so done is brought up to date before each page and
 * the bytes are copied with locals (a char store may alias s's fields: the
 * compiler would reload them for every byte).
 */
static void user_str_fn(void *arg)
{
	struct user_str *s = arg;
	const char *src = s->src;
	char *dst = s->dst;
	size_t done = s->done, max = s->max;

	while (done < max) {
		size_t end = MIN(max, done + (PAGE_SIZE - (((uintptr_t)src + done) & PAGE_MASK)));
		char ch = 1;

		while (done < end && ch != '\0') {
			ch = src[done];
			dst[done++] = ch;
		}
		s->done = done;
		if (ch == '\0') {
			s->terminated = true;
			return;
		}
	}
}

int copyinstr(const void *uaddr, char *kaddr, size_t max, size_t *actual)
{
	struct user_str s = { uaddr, kaddr, max, 0, false };
	uint64_t room = PMAP_USER_END - (uint64_t)uaddr;
	bool ok;

	if (!kaddr || (uint64_t)uaddr >= PMAP_USER_END)
		return EFAULT;
	if (s.max > room)
		s.max = room;		/* never past the user half */
	ok = s.max == 0 || pmap_user_access(user_str_fn, &s);
	if (actual)
		*actual = s.done;
	if (!ok)
		return EFAULT;
	if (!s.terminated)
		return s.max < max ? EFAULT : ENAMETOOLONG;
	return 0;
}

int fubyte(const void *uaddr)
{
	uint8_t v;

	return copyin(uaddr, &v, sizeof(v)) ? -1 : v;
}

int fuword(const void *uaddr)
{
	int32_t v;

	return copyin(uaddr, &v, sizeof(v)) ? -1 : v;
}

int64_t fuword64(const void *uaddr)
{
	int64_t v;

	return copyin(uaddr, &v, sizeof(v)) ? -1 : v;
}

int subyte(void *uaddr, int c)
{
	uint8_t v = (uint8_t)c;

	return copyout(&v, uaddr, sizeof(v)) ? -1 : 0;
}

int suword(void *uaddr, int w)
{
	int32_t v = w;

	return copyout(&v, uaddr, sizeof(v)) ? -1 : 0;
}

int suword64(void *uaddr, int64_t w)
{
	return copyout(&w, uaddr, sizeof(w)) ? -1 : 0;
}

/* uio_step: move up to n bytes with the uio's current iovec.  => bytes moved, or -EFAULT */
static long uio_step(char *cp, long n, enum uio_rw rw, struct uio *uio)
{
	struct iovec *iov = uio->uio_iov;
	size_t k = (size_t)n < iov->iov_len ? (size_t)n : iov->iov_len;
	int err = 0;

	if (uio->uio_segflg == UIO_SYSSPACE)
		memcpy(rw == UIO_READ ? iov->iov_base : cp, rw == UIO_READ ? cp : iov->iov_base, k);
	else
		err = rw == UIO_READ ? copyout(cp, iov->iov_base, k) : copyin(iov->iov_base, cp, k);
	if (err)
		return -err;
	iov->iov_base = (char *)iov->iov_base + k;
	iov->iov_len -= k;
	uio->uio_offset += (int64_t)k;
	uio->uio_resid -= (long)k;
	return (long)k;
}

int uiomove(void *cp, long n, enum uio_rw rw, struct uio *uio)
{
	char *p = cp;

	if (!uio || n < 0 || (n && !cp) || (rw != UIO_READ && rw != UIO_WRITE) ||
	    (uio->uio_segflg != UIO_USERSPACE && uio->uio_segflg != UIO_SYSSPACE) ||
	    uio->uio_iovcnt < 0 || (uio->uio_iovcnt && !uio->uio_iov))
		return EINVAL;
	while (n > 0 && uio->uio_resid > 0 && uio->uio_iovcnt > 0) {
		long k;

		if (uio->uio_iov->iov_len == 0) {
			uio->uio_iov++;
			uio->uio_iovcnt--;
			continue;
		}
		if ((k = uio_step(p, n < uio->uio_resid ? n : uio->uio_resid, rw, uio)) < 0)
			return (int)-k;
		p += k;
		n -= k;
	}
	return 0;
}

int ureadc(int c, struct uio *uio)
{
	char ch = (char)c;

	return uiomove(&ch, 1, UIO_READ, uio);
}

int uwritec(struct uio *uio)
{
	unsigned char ch;
	long resid = uio ? uio->uio_resid : 0;

	if (resid <= 0 || uiomove(&ch, 1, UIO_WRITE, uio) || uio->uio_resid == resid)
		return -1;
	return ch;
}
