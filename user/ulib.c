/*
 * ulib.c: see ulib.h.
 */
#include <stdarg.h>

#include "user/ulib.h"

void exit(long code)
{
	task_trap(TASK_TRAP_EXIT, code, 0, 0, 0, NULL);
	__builtin_unreachable();
}

kern_return_t task_write(const void *buf, size_t len)
{
	return task_trap(TASK_TRAP_WRITE, (long)buf, (long)len, 0, 0, NULL);
}

void task_yield(void)
{
	task_trap(TASK_TRAP_YIELD, 0, 0, 0, 0, NULL);
}

kern_return_t task_fork(long *child)
{
	return task_trap(TASK_TRAP_FORK, 0, 0, 0, 0, child);
}

kern_return_t task_wait(long id, long *id_out, uint64_t *status)
{
	return task_trap(TASK_TRAP_WAIT, id, (long)id_out, (long)status, 0, NULL);
}

long task_self(void)
{
	long id = -1;

	task_trap(TASK_TRAP_SELF, 0, 0, 0, 0, &id);
	return id;
}

kern_return_t vm_allocate(vm_address_t *addr, vm_size_t size, int flags)
{
	return task_trap(TASK_TRAP_VM_ALLOCATE, (long)addr, (long)size, flags, 0, NULL);
}

kern_return_t vm_deallocate(vm_address_t addr, vm_size_t size)
{
	return task_trap(TASK_TRAP_VM_DEALLOCATE, (long)addr, (long)size, 0, 0, NULL);
}

kern_return_t vm_protect(vm_address_t addr, vm_size_t size, boolean_t set_maximum, vm_prot_t prot)
{
	return task_trap(TASK_TRAP_VM_PROTECT, (long)addr, (long)size, set_maximum, prot, NULL);
}

kern_return_t vm_inherit(vm_address_t addr, vm_size_t size, vm_inherit_t inheritance)
{
	return task_trap(TASK_TRAP_VM_INHERIT, (long)addr, (long)size, (long)inheritance, 0, NULL);
}

kern_return_t vm_behavior_set(vm_address_t addr, vm_size_t size, vm_behavior_t behavior)
{
	return task_trap(TASK_TRAP_VM_BEHAVIOR_SET, (long)addr, (long)size, behavior, 0, NULL);
}

kern_return_t vm_region(vm_address_t *addr, vm_size_t *size, vm_region_basic_info_data_t *info)
{
	return task_trap(TASK_TRAP_VM_REGION, (long)addr, (long)size, (long)info, 0, NULL);
}

kern_return_t vm_wire(vm_address_t addr, vm_size_t size, vm_prot_t access)
{
	return task_trap(TASK_TRAP_VM_WIRE, (long)addr, (long)size, access, 0, NULL);
}

kern_return_t vm_unwire(vm_address_t addr, vm_size_t size)
{
	return task_trap(TASK_TRAP_VM_UNWIRE, (long)addr, (long)size, 0, 0, NULL);
}

kern_return_t mach_make_memory_entry_64(vm_size_t *size, vm_address_t addr, vm_prot_t permission,
					long *handle, long parent)
{
	return task_trap5(TASK_TRAP_MAKE_MEMORY_ENTRY, (long)size, (long)addr, permission,
			  (long)handle, parent, NULL);
}

kern_return_t vm_map(vm_address_t *addr, vm_size_t size, vm_offset_t mask, int flags, long handle,
		     vm_offset_t offset, boolean_t copy, vm_prot_t cur_protection,
		     vm_prot_t max_protection, vm_inherit_t inheritance)
{
	struct task_vm_map_args a = {
		.address = *addr, .size = size, .mask = mask, .flags = flags, .handle = (int32_t)handle,
		.offset = offset, .copy = copy, .cur_protection = cur_protection,
		.max_protection = max_protection, .inheritance = inheritance,
	};
	kern_return_t kr = task_trap(TASK_TRAP_VM_MAP, (long)&a, 0, 0, 0, NULL);

	*addr = a.address;
	return kr;
}

kern_return_t handle_register(const char *name, long handle)
{
	return task_trap(TASK_TRAP_HANDLE_REGISTER, (long)name, handle, 0, 0, NULL);
}

kern_return_t handle_lookup(const char *name, long *handle)
{
	return task_trap(TASK_TRAP_HANDLE_LOOKUP, (long)name, (long)handle, 0, 0, NULL);
}

kern_return_t handle_release(long handle)
{
	return task_trap(TASK_TRAP_HANDLE_RELEASE, handle, 0, 0, 0, NULL);
}

struct ubuf {
	char buf[256];
	size_t n;
};

static void ubuf_put(struct ubuf *b, char c)
{
	if (b->n < sizeof(b->buf))
		b->buf[b->n++] = c;
}

static void ubuf_num(struct ubuf *b, uint64_t v, unsigned base, bool negative)
{
	char digits[24];
	int n = 0;

	if (negative)
		ubuf_put(b, '-');
	do {
		digits[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	while (n)
		ubuf_put(b, digits[--n]);
}

/* uprintf_conv: one conversion at *fmt (after the '%'); returns the characters it used. */
static int uprintf_conv(struct ubuf *b, const char *fmt, va_list *ap)
{
	bool lng = fmt[0] == 'l';
	char c = fmt[lng];
	long v;

	switch (c) {
	case 's':
		for (const char *s = va_arg(*ap, const char *); *s; s++)
			ubuf_put(b, *s);
		break;
	case 'c':
		ubuf_put(b, (char)va_arg(*ap, int));
		break;
	case 'd':
		v = lng ? va_arg(*ap, long) : va_arg(*ap, int);
		ubuf_num(b, v < 0 ? -(uint64_t)v : (uint64_t)v, 10, v < 0);
		break;
	case 'u':
		ubuf_num(b, lng ? va_arg(*ap, unsigned long) : va_arg(*ap, unsigned), 10, false);
		break;
	case 'x':
		ubuf_num(b, lng ? va_arg(*ap, unsigned long) : va_arg(*ap, unsigned), 16, false);
		break;
	case 'p':
		ubuf_put(b, '0');
		ubuf_put(b, 'x');
		ubuf_num(b, (uintptr_t)va_arg(*ap, void *), 16, false);
		break;
	default:
		ubuf_put(b, c);
	}
	return lng + 1;
}

void uprintf(const char *fmt, ...)
{
	struct ubuf b = { .n = 0 };
	va_list ap;

	va_start(ap, fmt);
	while (*fmt) {
		if (*fmt != '%') {
			ubuf_put(&b, *fmt++);
			continue;
		}
		fmt++;
		fmt += uprintf_conv(&b, fmt, &ap);
	}
	va_end(ap);
	task_write(b.buf, b.n);
}

long ufail(const char *what, long n)
{
	uprintf("%s: check %ld failed (task %ld)\n", what, n, task_self());
	return n;
}

void *memset(void *dst, int c, size_t n)
{
	unsigned char *d = dst;

	while (n--)
		*d++ = (unsigned char)c;
	return dst;
}

void *memcpy(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	while (n--)
		*d++ = *s++;
	return dst;
}

size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}
