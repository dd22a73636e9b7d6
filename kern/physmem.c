/*
 * physmem.c: the RAM the VM may manage: the DTB's memory ranges minus its
 * reserved ranges and whatever else the boot names (the image, the DTB).
 */
#include "kern/kernel.h"
#include "kern/physmem.h"

/* physmem_subtract: remove [base, end) from the range list (split as needed). */
static void physmem_subtract(struct vm_phys_seg *rs, int *n, uint64_t base, uint64_t end)
{
	for (int i = 0; i < *n; i++) {
		uint64_t rb = rs[i].start, re = rs[i].end;

		if (end <= rb || base >= re)
			continue;
		if (base > rb && end < re) {		/* hole in the middle: split */
			if (*n == VM_PAGE_MAX_SEGS)
				panic("physmem: more than %d RAM ranges", VM_PAGE_MAX_SEGS);
			rs[(*n)++] = (struct vm_phys_seg){ .start = end, .end = re };
			rs[i].end = base;
		} else if (base <= rb) {
			rs[i].start = MIN(end, re);
		} else {
			rs[i].end = base;
		}
	}
}

int physmem_ranges(const struct platform_info *info, const struct vm_phys_seg *exclude,
		   int nexclude, struct vm_phys_seg out[VM_PAGE_MAX_SEGS])
{
	int n = 0, kept = 0;

	for (int i = 0; i < info->nmem && n < VM_PAGE_MAX_SEGS; i++) {
		uint64_t b = round_page(info->mem[i].base);
		uint64_t e = trunc_page(info->mem[i].base + info->mem[i].size);

		if (e > b)
			out[n++] = (struct vm_phys_seg){ .start = b, .end = e };
	}
	for (int i = 0; i < info->nresv; i++)
		physmem_subtract(out, &n, trunc_page(info->resv[i].base),
				 round_page(info->resv[i].base + info->resv[i].size));
	for (int i = 0; i < nexclude; i++)
		physmem_subtract(out, &n, trunc_page(exclude[i].start), round_page(exclude[i].end));
	for (int i = 0; i < n; i++)		/* drop ranges the subtractions emptied */
		if (out[i].end - out[i].start >= 2 * PAGE_SIZE)
			out[kept++] = out[i];
	if (kept == 0)
		panic("physmem: no usable RAM");
	return kept;
}
