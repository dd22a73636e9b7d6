/*
 * vm_user.h: the kernel's access to the memory of the thread's task (user
 * addresses, the lower half), under the AIX kernel services' names:
 * copyin, copyout, copyinstr, fubyte, fuword, subyte, suword and their
 * 64-bit forms, uiomove, ureadc, uwritec.
 *
 * User pages are reachable only inside these calls (pmap_user_access).  A
 * fault on one goes to vm_fault on the thread's map, so a page that is
 * paged out comes back; a fault vm_fault cannot resolve, an address in the
 * kernel's half, or a range that wraps ends the call with an error, never
 * a panic.  Returns are AIX's: 0 or an errno (EFAULT; ENAMETOOLONG from
 * copyinstr), -1 from the fetch and store forms.
 */
#ifndef VM_VM_USER_H
#define VM_VM_USER_H

#include <stddef.h>
#include <stdint.h>

int copyin(const void *uaddr, void *kaddr, size_t count);
int copyout(const void *kaddr, void *uaddr, size_t count);
/*
 * copyinstr: the string at uaddr, its terminating NUL included, into
 * kaddr (at most max bytes); *actual: the bytes copied.
 * => ENAMETOOLONG if no NUL within max bytes (max bytes copied), EFAULT
 */
int copyinstr(const void *uaddr, char *kaddr, size_t max, size_t *actual);

/* fubyte / fuword / fuword64: the value at uaddr, -1 if it cannot be read. */
int fubyte(const void *uaddr);
int fuword(const void *uaddr);
int64_t fuword64(const void *uaddr);
/* subyte / suword / suword64: store at uaddr.  => 0, or -1 if it cannot be written */
int subyte(void *uaddr, int c);
int suword(void *uaddr, int w);
int suword64(void *uaddr, int64_t w);

/* A scatter/gather description of memory (AIX struct uio). */
struct iovec {
	void *iov_base;
	size_t iov_len;
};

enum uio_rw {
	UIO_READ,		/* kernel -> the uio's buffers */
	UIO_WRITE,		/* the uio's buffers -> kernel */
};

enum uio_seg {
	UIO_USERSPACE,		/* the iovecs are user addresses */
	UIO_SYSSPACE,		/* the iovecs are kernel addresses */
};

struct uio {
	struct iovec *uio_iov;	/* the next iovec to use */
	long uio_iovcnt;	/* iovecs left */
	int64_t uio_offset;	/* advanced by the bytes moved */
	long uio_resid;		/* bytes left to move */
	enum uio_seg uio_segflg;
};

/*
 * uiomove: move n bytes between kernel cp and the uio's buffers (rw), in
 * order, advancing the uio past what moved.
 * => 0; EFAULT if a user buffer faults (the uio stays advanced past what
 *    moved before); EINVAL for a bad uio or rw
 */
int uiomove(void *cp, long n, enum uio_rw rw, struct uio *uio);
/* ureadc: one character into the uio (a read).  => 0 or uiomove's error */
int ureadc(int c, struct uio *uio);
/* uwritec: the next character from the uio (a write).  => the character, -1 if none or a fault */
int uwritec(struct uio *uio);

#endif
