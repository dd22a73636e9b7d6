/*
 * vm_stat.h: a one-line summary of the VM, in the manner of vm_stat(1):
 *
 *   vm_stat: free 1234 active 5678 inactive 910 wired 1112 (pages)
 *            pageouts 1314 pageins 1516 swap used 17 MiB swap files 2
 *
 * (on one line).  `vm_stat=MS` on the command line prints it every MS
 * milliseconds from boot on; vm_stat_start/stop do the same on demand.
 */
#ifndef VM_VM_STAT_H
#define VM_VM_STAT_H

#include <stdbool.h>
#include <stdint.h>

/* vm_stat_print: print the line now. */
void vm_stat_print(void);
/* vm_stat_start: print it every period_ms until vm_stat_stop (one printer at a time). */
bool vm_stat_start(uint64_t period_ms);
/* vm_stat_stop: stop the printer, and wait until it has. */
void vm_stat_stop(void);
/* vm_stat_init: start the printer if the command line asks for it. */
void vm_stat_init(void);

#endif
