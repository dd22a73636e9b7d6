/*
 * vm_region.h: what vm_region tells about a mapped range.  Standalone
 * (only vm_types.h and friends) so that U-mode programs read the same
 * layout the kernel writes.
 */
#ifndef VM_VM_REGION_H
#define VM_VM_REGION_H

#include "vm/vm_behavior.h"
#include "vm/vm_inherit.h"
#include "vm/vm_types.h"

#define SM_EMPTY	0
#define SM_PRIVATE	1
#define SM_COW		2
#define SM_SHARED	3

struct vm_region_basic_info {
	vm_prot_t protection, max_protection;
	vm_inherit_t inheritance;
	vm_behavior_t behavior;
	boolean_t shared;
	boolean_t reserved;
	vm_object_offset_t offset;
	unsigned short user_wired_count;
	int share_mode;			/* SM_* */
	uint64_t object_id;		/* 0: none yet */
};
typedef struct vm_region_basic_info vm_region_basic_info_data_t;

#endif
