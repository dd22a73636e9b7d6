/*
 * vm_types.h: the machine-independent VM types and constants, with the
 * names and values of Mach (mach/vm_types.h, mach/vm_prot.h).
 */
#ifndef VM_VM_TYPES_H
#define VM_VM_TYPES_H

#include <stdbool.h>
#include <stdint.h>

#include "vm/kern_return.h"

typedef uint64_t vm_offset_t;		/* a virtual address or an offset */
typedef uint64_t vm_address_t;
typedef uint64_t vm_size_t;
typedef uint64_t vm_map_offset_t;
typedef uint64_t vm_map_size_t;
typedef uint64_t vm_object_offset_t;
typedef uint64_t vm_paddr_t;		/* a physical address */
typedef int boolean_t;

#ifndef TRUE
#define TRUE	1
#define FALSE	0
#endif

typedef int vm_prot_t;
#define VM_PROT_NONE	0x0
#define VM_PROT_READ	0x1
#define VM_PROT_WRITE	0x2
#define VM_PROT_EXECUTE	0x4
#define VM_PROT_DEFAULT	(VM_PROT_READ | VM_PROT_WRITE)
#define VM_PROT_ALL	(VM_PROT_READ | VM_PROT_WRITE | VM_PROT_EXECUTE)

/* Where vm_allocate and vm_map_enter place memory. */
#define VM_FLAGS_FIXED		0x0
#define VM_FLAGS_ANYWHERE	0x1
#define VM_FLAGS_ALL		(VM_FLAGS_FIXED | VM_FLAGS_ANYWHERE)

#define PAGE_SHIFT	12
#define PAGE_SIZE	(1ul << PAGE_SHIFT)
#define PAGE_MASK	(PAGE_SIZE - 1)
#define trunc_page(x)	((x) & ~PAGE_MASK)
#define round_page(x)	(((x) + PAGE_MASK) & ~PAGE_MASK)
#define page_aligned(x)	(((x) & PAGE_MASK) == 0)
#define atop(x)		((x) >> PAGE_SHIFT)	/* address to page number */
#define ptoa(x)		((x) << PAGE_SHIFT)	/* page number to address */

#endif
