/* vm_behavior.h: expected reference pattern of a range (mach/vm_behavior.h values). */
#ifndef VM_VM_BEHAVIOR_H
#define VM_VM_BEHAVIOR_H

typedef int vm_behavior_t;

#define VM_BEHAVIOR_DEFAULT	0	/* read ahead and behind a little */
#define VM_BEHAVIOR_RANDOM	1	/* only the page asked for */
#define VM_BEHAVIOR_SEQUENTIAL	2	/* read ahead */
#define VM_BEHAVIOR_RSEQNTL	3	/* read behind */
#define VM_BEHAVIOR_LAST_VALID	VM_BEHAVIOR_RSEQNTL

#endif
