/*
 * fuzz_vm_map.c: libFuzzer over the map model (tests/unit/vm_model.h):
 * each input is a stream of choices for allocate, deallocate, protect,
 * inherit, write, read, fork, copyin/copyout/copy_overwrite/discard and
 * wire/unwire on a fresh map, checked against the model and the map's
 * checker after every operation; when the map goes, no object, entry or
 * page may be left.  A disagreement aborts with the operation and the map.
 * At exit it prints the operations run (tools/fuzz.sh reads the line).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "tests/unit/vm_model.h"
#include "vm/vm_map.h"
#include "vm/vm_page.h"
#include "vm/vm_zone.h"

static uint64_t inputs, operations;

static void fuzz_report(void)
{
	fprintf(stderr, "fuzz_vm_map: %lu operations in %lu inputs, no divergence\n",
		(unsigned long)operations, (unsigned long)inputs);
}

/* fuzz_print: vm_map_print's printer. */
static int fuzz_print(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vfprintf(stderr, fmt, ap);
	va_end(ap);
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vm_model m;
	static uint64_t free0;

	if (!free0) {
		free0 = vm_model_setup();
		atexit(fuzz_report);
	}
	if (!vm_model_start(&m, data, size))
		abort();
	while (vm_model_step(&m))
		continue;
	if (m.failure[0]) {
		fprintf(stderr, "fuzz_vm_map: %s\n", m.failure);
		vm_map_print(m.map, true, fuzz_print);
		abort();
	}
	if (!vm_model_finish(&m) || zone_free_pages() != free0) {
		fprintf(stderr, "fuzz_vm_map: %s; %lu pages not freed\n", m.failure,
			(unsigned long)(free0 - zone_free_pages()));
		abort();
	}
	inputs++;
	operations += m.ops;
	return 0;
}
