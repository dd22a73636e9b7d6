/*
 * ksyms.h: the image's own symbol table (text symbols, sorted), generated
 * after a first link and placed in .ksyms by the second, for backtraces.
 */
#ifndef KERN_KSYMS_H
#define KERN_KSYMS_H

#include <stdint.h>

/* ksyms_lookup: name of the function containing pc and the offset into it, or NULL. */
const char *ksyms_lookup(uint64_t pc, uint64_t *offset);
/* ksyms_describe: "name+0x1c" in a static per-call-site buffer; "?" when unknown. */
const char *ksyms_describe(uint64_t pc);
/* ksyms_count: number of symbols (0 before the second link). */
uint64_t ksyms_count(void);
/*
 * ksyms_backtrace: print the call chain by frame pointers, starting at pc
 * with return address ra, frame pointer fp and stack pointer sp.
 */
void ksyms_backtrace(uint64_t pc, uint64_t ra, uint64_t fp, uint64_t sp);
/* ksyms_backtrace_here: the calling function's backtrace. */
void ksyms_backtrace_here(void);

#endif
