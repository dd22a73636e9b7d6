/*
 * physmem.h: the usable RAM ranges handed to vm_page_startup.
 */
#ifndef KERN_PHYSMEM_H
#define KERN_PHYSMEM_H

#include "platform/dtb/fdt.h"
#include "vm/vm_page.h"

/*
 * physmem_ranges: RAM from info, minus its reserved ranges and the
 * `exclude` ranges (rounded out to pages); returns the count written to out.
 */
int physmem_ranges(const struct platform_info *info, const struct vm_phys_seg *exclude,
		   int nexclude, struct vm_phys_seg out[VM_PAGE_MAX_SEGS]);

#endif
