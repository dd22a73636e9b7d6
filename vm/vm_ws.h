/*
 * vm_ws.h: working-set detection (the Mach VM reference's working-set
 * detection subsystem): a map's fault profile.  Faults the map takes off
 * the quick path are recorded by line (VM_WS_LINE_PAGES pages of the
 * map's address space, a bit per page); a fault whose line shows other
 * pages used before asks the pager for the neighbourhood in the same
 * request (the object's cluster, VM_BEHAVIOR_DEFAULT) rather than for the
 * page alone.  A profile can be exported (the start of a program, say)
 * and imported into a new map to seed its next run.
 *
 * Lock tags: kern/lock.h.
 */
#ifndef VM_VM_WS_H
#define VM_VM_WS_H

#include <stdint.h>

#include "kern/spinlock.h"
#include "vm/vm_behavior.h"
#include "vm/vm_types.h"

#define VM_WS_LINE_PAGES	16
#define VM_WS_LINES		128		/* lines kept; one per hash slot, newest wins */

struct vm_ws_line {
	vm_offset_t va;			/* line-aligned; 0: empty slot */
	uint32_t pages;			/* bit n: page n of the line was faulted on */
};

struct vm_ws {
	struct spinlock lock;
	struct vm_ws_line line[VM_WS_LINES];	/* [w] */
	uint64_t widened;			/* [w] faults whose request the profile widened */
};
typedef struct vm_ws *vm_ws_t;

/* vm_ws_create / vm_ws_destroy: an empty profile (NULL if no memory) / its end. */
vm_ws_t vm_ws_create(void);
void vm_ws_destroy(vm_ws_t ws);
/*
 * vm_ws_fault: a fault at va: record it, and return the behavior its
 * pager request should use: behavior, or VM_BEHAVIOR_DEFAULT (the whole
 * neighbourhood) when the profile shows other pages of va's line in use.
 */
vm_behavior_t vm_ws_fault(vm_ws_t ws, vm_offset_t va, vm_behavior_t behavior);
/* vm_ws_export: up to max lines of the profile into out; returns how many. */
int vm_ws_export(vm_ws_t ws, struct vm_ws_line *out, int max);
/* vm_ws_import: merge n lines (from vm_ws_export, perhaps of an earlier run) into the profile. */
void vm_ws_import(vm_ws_t ws, const struct vm_ws_line *in, int n);

#endif
