/*
 * vm.h: the public VM interface, the one header a user of the VM includes.
 * Names, signatures and values follow Mach (mach/vm_map.h, mach/vm_prot.h,
 * mach/vm_inherit.h, mach/vm_behavior.h, mach/kern_return.h).
 */
#ifndef VM_VM_H
#define VM_VM_H

#include "vm/kern_return.h"
#include "vm/vm_behavior.h"
#include "vm/vm_inherit.h"
#include "vm/vm_map.h"
#include "vm/vm_types.h"

#endif
