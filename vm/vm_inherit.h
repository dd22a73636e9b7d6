/* vm_inherit.h: what a child gets of a range at fork (mach/vm_inherit.h values). */
#ifndef VM_VM_INHERIT_H
#define VM_VM_INHERIT_H

typedef unsigned int vm_inherit_t;

#define VM_INHERIT_SHARE	0	/* share the memory with the child */
#define VM_INHERIT_COPY		1	/* the child gets a copy-on-write copy */
#define VM_INHERIT_NONE		2	/* the child's range is left unallocated */
#define VM_INHERIT_DONATE_COPY	3	/* not supported: KERN_INVALID_ARGUMENT */
#define VM_INHERIT_DEFAULT	VM_INHERIT_COPY
#define VM_INHERIT_LAST_VALID	VM_INHERIT_NONE

#endif
