/*
 * vm_model.h: a reference model of a user map for the host tests and the
 * fuzzer: a page-by-page picture of what the map must hold (mapped,
 * protection, maximum protection, inheritance, the word each page holds)
 * and the operations that change it, each done on the real map (fake
 * pmap) and on the model, then compared; vm_map_check runs after each.
 *
 * The operations are chosen and shaped by a stream of bytes: random bytes
 * in the unit test, the fuzzer's input in tests/fuzz.  Operations:
 * allocate, deallocate, protect (and set_maximum), inherit, write, read,
 * fork (the child checked against each page's inheritance), copyin +
 * copyout, copyin + copy_overwrite, copyin + discard, wire + unwire.
 */
#ifndef TESTS_UNIT_VM_MODEL_H
#define TESTS_UNIT_VM_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vm/vm.h"

#define VM_MODEL_BASE	0x10000000ul	/* the model covers [BASE, BASE + PAGES pages) */
#define VM_MODEL_PAGES	96

struct vm_model_page {
	bool mapped;
	vm_prot_t prot, max;
	vm_inherit_t inheritance;
	uint64_t value;
};

struct vm_model {
	vm_map_t map;
	struct vm_model_page page[VM_MODEL_PAGES];
	const uint8_t *in;		/* the bytes that choose */
	size_t left;
	uint64_t ops;			/* operations done */
	uint64_t rng;			/* values written */
	char failure[192];		/* why map and model disagree ("" while they agree) */
};

/* vm_model_map_write / _read: a word at va, as the MMU would (the fault first, as the trap takes it). */
kern_return_t vm_model_map_write(vm_map_t map, vm_offset_t va, uint64_t v);
kern_return_t vm_model_map_read(vm_map_t map, vm_offset_t va, uint64_t *v);
/* vm_model_setup: the fake machine (once per process); its free pages (zone_free_pages). */
uint64_t vm_model_setup(void);
/* vm_model_start: a new empty map and model, operations chosen by in[0, len). */
bool vm_model_start(struct vm_model *m, const uint8_t *in, size_t len);
/*
 * vm_model_step: one operation, on map and model, then the map's checker.
 * => false when the input is used up or they disagree (m->failure says how)
 */
bool vm_model_step(struct vm_model *m);
/* vm_model_finish: the map goes; false (m->failure) if objects or entries are left. */
bool vm_model_finish(struct vm_model *m);

#endif
