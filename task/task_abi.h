/*
 * task_abi.h: what a U-mode program and the kernel agree on: the trap
 * numbers and their registers, the exit status word, the address-space
 * layout of a task, and the header of the user image.  Included by both
 * sides (and by assembly): nothing here needs a kernel header.
 *
 * A trap is `ecall` with its number in a7 and its arguments in a0..a5.
 * It returns a kern_return_t in a0; the traps that answer with one number
 * (task_fork, task_self) put it in a1.  Results that are more than one
 * number are written through user pointers, which the kernel checks: a
 * bad pointer is KERN_INVALID_ADDRESS, never a fault.
 */
#ifndef TASK_TASK_ABI_H
#define TASK_TASK_ABI_H

/* Trap numbers (a7).  Arguments in the order of the user library's prototypes (user/ulib.h). */
#define TASK_TRAP_NULL			0	/* nothing: the cost of a trap */
#define TASK_TRAP_EXIT			1	/* (code): does not return; 32 bits kept */
#define TASK_TRAP_WRITE			2	/* (buf, len): to the console */
#define TASK_TRAP_YIELD			3
#define TASK_TRAP_FORK			4	/* a1: the child's id, 0 in the child */
#define TASK_TRAP_WAIT			5	/* (id or -1, id_out, status_out) */
#define TASK_TRAP_SELF			6	/* a1: the task's id */
#define TASK_TRAP_VM_ALLOCATE		7	/* (addr_inout, size, flags) */
#define TASK_TRAP_VM_DEALLOCATE		8	/* (addr, size) */
#define TASK_TRAP_VM_PROTECT		9	/* (addr, size, set_maximum, prot) */
#define TASK_TRAP_VM_INHERIT		10	/* (addr, size, inheritance) */
#define TASK_TRAP_VM_BEHAVIOR_SET	11	/* (addr, size, behavior) */
#define TASK_TRAP_VM_REGION		12	/* (addr_inout, size_out, info_out) */
#define TASK_TRAP_VM_WIRE		13	/* (addr, size, access) */
#define TASK_TRAP_VM_UNWIRE		14	/* (addr, size) */
#define TASK_TRAP_MAKE_MEMORY_ENTRY	15	/* (size_inout, addr, permission, handle_out, parent) */
#define TASK_TRAP_VM_MAP		16	/* (struct task_vm_map_args *) */
#define TASK_TRAP_HANDLE_REGISTER	17	/* (name, handle; -1: take the name away) */
#define TASK_TRAP_HANDLE_LOOKUP		18	/* (name, handle_out) */
#define TASK_TRAP_HANDLE_RELEASE	19	/* (handle) */
#define TASK_TRAP_COUNT			20

/*
 * Handles: a task names the named entries it holds (vm/vm_named_entry.h)
 * by small numbers, as Mach names port rights, at most TASK_HANDLES_MAX at
 * once; a parent of -1 is none.  A task hands one to an unrelated task by
 * registering it under a name (at most TASK_HANDLE_NAME_MAX bytes, NUL
 * included) that the other looks up: Mach's bootstrap server in small.
 */
#define TASK_HANDLES_MAX		16
#define TASK_HANDLE_NAME_MAX		32

/* Bytes a task may hold wired with vm_wire at once (more: KERN_RESOURCE_SHORTAGE). */
#define TASK_USER_WIRE_MAX		0x40000

/*
 * The exit status word task_wait reports (64 bits): bits 0-31 the code
 * passed to exit (or the exception's scause), bit 32 set when an
 * exception ended the task, bit 33 when task_terminate did.
 */
#define TASK_STATUS_CODE(s)		((s) & 0xffffffffull)
#define TASK_STATUS_EXCEPTION		(1ull << 32)
#define TASK_STATUS_TERMINATED		(1ull << 33)

/*
 * A task's address space (Sv39 lower half).  Text and read-only data are
 * one 2 MiB submap shared by every task with its page tables (use_pmap);
 * data and bss follow in the next 2 MiB, each task's own; the stack ends
 * below the top of the lower half.  Everything else is free for
 * vm_allocate.
 */
#define USER_TEXT_BASE			0x10000000
#define USER_TEXT_SIZE			0x200000
#define USER_DATA_BASE			0x10200000
#define USER_DATA_SIZE			0x200000
#define USER_STACK_TOP			0x3fff000000
#define USER_STACK_SIZE			0x40000

/*
 * The user image (user/) starts at USER_TEXT_BASE with this header: a
 * magic number and the table of its programs, each a NUL-terminated name
 * and the address of `long main(long arg)`.  The image's entry point
 * (user/start.S) runs a0 = main with a1 = arg and exits with its result.
 */
#define USER_IMAGE_MAGIC		0x4b534154	/* "TASK" */

#ifndef __ASSEMBLER__
#include <stdint.h>

/* TASK_TRAP_VM_MAP's arguments (vm_map's, the target being the calling task). */
struct task_vm_map_args {
	uint64_t address;		/* in: where (VM_FLAGS_FIXED); out: where it went */
	uint64_t size, mask;
	int32_t flags, handle;
	uint64_t offset;
	int32_t copy, cur_protection, max_protection;
	uint32_t inheritance;
};

struct user_image_header {
	uint32_t magic;
	uint32_t reserved;
	uint64_t programs, programs_end;	/* [programs, programs_end): struct user_program */
};

struct user_program {
	uint64_t name;		/* user address of the name */
	uint64_t main;		/* user address of long main(long) */
};
#endif

#endif
