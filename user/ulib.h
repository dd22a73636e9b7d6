/*
 * ulib.h: the library of U-mode programs: the traps of task/task_abi.h
 * under the kernel's names (each acts on the calling task), a console
 * printer, and the few string routines the compiler may call.
 */
#ifndef USER_ULIB_H
#define USER_ULIB_H

#include <stddef.h>
#include <stdint.h>

#include "platform/riscv/riscv.h"	/* rdinstret, rdtime (opened to U-mode), EXC_* */
#include "task/task_abi.h"
#include "vm/kern_return.h"
#include "vm/vm_region.h"

/* USER_PROGRAM(fn): list `long fn(long arg)` in the image's program table under its name. */
#define USER_PROGRAM(fn)							\
	static const struct user_program user_program_##fn			\
		__attribute__((used, section(".user_programs"), aligned(8))) =	\
		{ (uint64_t)(uintptr_t)#fn, (uint64_t)(uintptr_t)fn }

/* task_trap5: trap n with arguments a..e; *value (if not NULL) gets a1. */
static inline kern_return_t task_trap5(long n, long a, long b, long c, long d, long e, long *value)
{
	register long a0 __asm__("a0") = a, a1 __asm__("a1") = b, a2 __asm__("a2") = c;
	register long a3 __asm__("a3") = d, a4 __asm__("a4") = e, a7 __asm__("a7") = n;

	__asm__ volatile("ecall" : "+r"(a0), "+r"(a1) : "r"(a2), "r"(a3), "r"(a4), "r"(a7) : "memory");
	if (value)
		*value = a1;
	return (kern_return_t)a0;
}

/* task_trap: task_trap5 with four arguments. */
static inline kern_return_t task_trap(long n, long a, long b, long c, long d, long *value)
{
	return task_trap5(n, a, b, c, d, 0, value);
}

void exit(long code) __attribute__((noreturn));
kern_return_t task_write(const void *buf, size_t len);
void task_yield(void);
/* task_fork: *child = the child's id in the parent, 0 in the child. */
kern_return_t task_fork(long *child);
/* task_wait: for child `id` (-1: any) to end; its id and status word (TASK_STATUS_*). */
kern_return_t task_wait(long id, long *id_out, uint64_t *status);
long task_self(void);

kern_return_t vm_allocate(vm_address_t *addr, vm_size_t size, int flags);
kern_return_t vm_deallocate(vm_address_t addr, vm_size_t size);
kern_return_t vm_protect(vm_address_t addr, vm_size_t size, boolean_t set_maximum, vm_prot_t prot);
kern_return_t vm_inherit(vm_address_t addr, vm_size_t size, vm_inherit_t inheritance);
kern_return_t vm_behavior_set(vm_address_t addr, vm_size_t size, vm_behavior_t behavior);
kern_return_t vm_region(vm_address_t *addr, vm_size_t *size, vm_region_basic_info_data_t *info);
/* vm_wire: the user side of wiring (vm_map_wire with user_wire); vm_unwire undoes it. */
kern_return_t vm_wire(vm_address_t addr, vm_size_t size, vm_prot_t access);
kern_return_t vm_unwire(vm_address_t addr, vm_size_t size);

/*
 * Named entries, named by the task's handle numbers.  parent: a handle or
 * -1.  handle_register publishes a handle under a name for unrelated
 * tasks (handle -1 takes the name away); handle_lookup gives the caller
 * its own handle to it (KERN_FAILURE: nothing under that name yet).
 */
kern_return_t mach_make_memory_entry_64(vm_size_t *size, vm_address_t addr, vm_prot_t permission,
					long *handle, long parent);
kern_return_t vm_map(vm_address_t *addr, vm_size_t size, vm_offset_t mask, int flags, long handle,
		     vm_offset_t offset, boolean_t copy, vm_prot_t cur_protection,
		     vm_prot_t max_protection, vm_inherit_t inheritance);
kern_return_t handle_register(const char *name, long handle);
kern_return_t handle_lookup(const char *name, long *handle);
kern_return_t handle_release(long handle);

/* ufail: report that check n of program `what` failed; returns n (its exit code). */
long ufail(const char *what, long n);

/* uprintf: %s %d %ld %lu %lx %p %c %%, to the console in one write. */
void uprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

void *memset(void *dst, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
size_t strlen(const char *s);

#endif
