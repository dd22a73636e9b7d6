/*
 * ksyms.c: symbol lookup and frame-pointer backtraces.
 *
 * Table layout (tools/gen-ksyms.sh): ksyms_table_count, then that many
 * {addr, name offset} pairs sorted by addr, then the NUL-terminated names.
 *
 * Frame layout with -fno-omit-frame-pointer (RISC-V psABI): s0 points just
 * above the frame; the return address is at s0-8 and the caller's s0 at
 * s0-16.  A leaf function saves only s0, at s0-8, which the walk detects on
 * the first frame (the saved word is then a stack address, not code).
 */
#include <stdio.h>

#include "kern/kernel.h"
#include "kern/ksyms.h"

#define BACKTRACE_MAX_FRAMES	32
#define BACKTRACE_MAX_FRAME	(64 * KiB)
#define KSYMS_DESCRIBE_BUFS	16	/* ksyms_describe results alive at once */

struct ksym {
	uint64_t addr;
	uint64_t name;
};

extern const uint64_t ksyms_table_count;
extern const struct ksym ksyms_table[];
extern const char ksyms_names[];
extern char _text_start[], _text_end[];

uint64_t ksyms_count(void)
{
	return ksyms_table_count;
}

const char *ksyms_lookup(uint64_t pc, uint64_t *offset)
{
	uint64_t lo = 0, hi = ksyms_table_count;

	if (hi == 0 || pc < ksyms_table[0].addr || pc >= (uint64_t)_text_end)
		return NULL;
	while (hi - lo > 1) {		/* last entry with addr <= pc */
		uint64_t mid = lo + (hi - lo) / 2;

		if (ksyms_table[mid].addr <= pc)
			lo = mid;
		else
			hi = mid;
	}
	*offset = pc - ksyms_table[lo].addr;
	return ksyms_names + ksyms_table[lo].name;
}

/* ksyms_format: "name+0xoff" for the function containing `within`, offset from pc. */
static const char *ksyms_format(uint64_t pc, uint64_t within)
{
	static char buf[KSYMS_DESCRIBE_BUFS][96];
	static unsigned next;
	char *b = buf[__atomic_fetch_add(&next, 1, __ATOMIC_RELAXED) % KSYMS_DESCRIBE_BUFS];
	uint64_t off;
	const char *name = ksyms_lookup(within, &off);

	if (!name)
		return "?";
	snprintf(b, sizeof(buf[0]), "%s+0x%lx", name, off + (pc - within));
	return b;
}

const char *ksyms_describe(uint64_t pc)
{
	return ksyms_format(pc, pc);
}

/*
 * ksyms_describe_return: a return address belongs to the call before it;
 * after a call to a noreturn function it is already the next function.
 */
static const char *ksyms_describe_return(uint64_t ra)
{
	return ksyms_format(ra, ra - 1);
}

static bool ksyms_is_text(uint64_t pc)
{
	return pc >= (uint64_t)_text_start && pc < (uint64_t)_text_end;
}

static bool ksyms_fp_ok(uint64_t fp, uint64_t floor)
{
	return (fp & 7) == 0 && fp > floor && fp - floor <= BACKTRACE_MAX_FRAME;
}

static void ksyms_frame_print(int n, uint64_t pc)
{
	kprintf("    #%-2d 0x%016lx  %s\n", n, pc, n ? ksyms_describe_return(pc) : ksyms_describe(pc));
}

static bool ksyms_same_function(uint64_t a, uint64_t b)
{
	uint64_t oa, ob;
	const char *na = ksyms_lookup(a, &oa), *nb = ksyms_lookup(b, &ob);

	return na && na == nb;
}

/*
 * ksyms_backtrace: #0 is pc.  When the walk starts at a trap, the function
 * at pc may not have saved ra yet (leaf, tail call, prologue): then ra is
 * the caller, and a leaf's saved word at fp-8 is the caller's fp.
 */
void ksyms_backtrace(uint64_t pc, uint64_t ra, uint64_t fp, uint64_t sp)
{
	int n = 0;

	kprintf("  backtrace:\n");
	ksyms_frame_print(n++, pc);
	if (ksyms_is_text(ra) && !ksyms_same_function(ra, pc) && ksyms_fp_ok(fp, sp - 1)) {
		uint64_t saved = ((const uint64_t *)fp)[-1];

		if (!ksyms_is_text(saved) && ksyms_fp_ok(saved, fp - 1)) {
			ksyms_frame_print(n++, ra);	/* leaf: only s0 saved */
			fp = saved;
		} else if (saved != ra) {
			ksyms_frame_print(n++, ra);	/* ra not saved yet */
		}
	}
	while (n < BACKTRACE_MAX_FRAMES && ksyms_fp_ok(fp, sp - 1)) {
		uint64_t ret = ((const uint64_t *)fp)[-1];
		uint64_t next = ((const uint64_t *)fp)[-2];

		if (!ksyms_is_text(ret))
			break;
		ksyms_frame_print(n++, ret);
		sp = fp;
		fp = next;
	}
}

void ksyms_backtrace_here(void)
{
	uint64_t fp = (uint64_t)__builtin_frame_address(0);
	uint64_t sp;

	__asm__ volatile("mv %0, sp" : "=r"(sp));
	ksyms_backtrace((uint64_t)ksyms_backtrace_here, 0, fp, sp);
}
