/*
 * ktest.h: the in-kernel test framework.
 *
 *   KTEST(suite, name) { EXPECT_EQ(1 + 1, 2); }
 *   KTEST_RUN(suite_variant, "test=suite more=args", "-m 256M -smp 2");
 *
 * KTEST registers a case (in the ktest_cases section).  The image runs the
 * suites its command line names ("test=a,b"); each case runs in a thread of
 * its own, so a case that faults or fails an ASSERT ends alone and the
 * suite goes on.  KTEST_RUN lines are read by the build, not the compiler:
 * each becomes one ctest entry booting QEMU with those options and that
 * command line; it is how a suite keeps its QEMU options beside itself.
 *
 * EXPECT_* record a failure and continue; ASSERT_* end the case.
 * EXPECT_FAULT(cause, stmt) passes only if stmt traps with that scause.
 * The summary line is "N passed, N failed"; the exit status is 0 only if
 * every case passed and at least one ran.
 */
#ifndef TESTS_KERNEL_KTEST_H
#define TESTS_KERNEL_KTEST_H

#include "platform/riscv/kjmp.h"
#include <stdbool.h>
#include <stdint.h>

#include "kern/kernel.h"
#include "kern/thread.h"
#include "platform/riscv/riscv.h"

struct ktest_case {
	const char *suite;
	const char *name;
	void (*fn)(void);
	const char *file;		/* cases run in source order */
	int line;
};

#define KTEST(suite, name)							\
	static void ktest_fn_##suite##_##name(void);				\
	static const struct ktest_case ktest_case_##suite##_##name		\
		__attribute__((used, section("ktest_cases"), aligned(8))) =	\
		{ #suite, #name, ktest_fn_##suite##_##name, __FILE__, __LINE__ }; \
	static void ktest_fn_##suite##_##name(void)

/* Build-time only (see above); expands to nothing the compiler keeps. */
#define KTEST_RUN(variant, cmdline, qemu_args) \
	_Static_assert(sizeof(cmdline) > 1 && sizeof(qemu_args) > 0, #variant)

/* The fault a test expected, as the trap saw it. */
struct ktest_fault {
	uint64_t scause, stval, sepc;
};

/* Per-case state, reached through the running thread. */
struct ktest_ctx {
	const struct ktest_case *tc;
	int failures;
	kjmp_buf end;			/* ASSERT failure / unexpected trap */
	kjmp_buf fault_jb;		/* EXPECT_FAULT recovery */
	bool fault_armed;
	uint64_t fault_cause;
	struct ktest_fault fault;	/* last expected fault taken */
};

struct ktest_ctx *ktest_ctx(void);
/*
 * ktest_adopt: let a helper thread of a case use EXPECT_FAULT and ASSERT
 * with the case's context (one thread at a time may be inside them).
 * EXPECT_* failures in any thread count for the running case regardless.
 */
void ktest_adopt(struct ktest_ctx *c);
void ktest_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void ktest_end_case(void) __attribute__((noreturn));
void ktest_fault_arm(uint64_t scause);
void ktest_fault_check(const char *file, int line, bool taken, const char *what);

/* Mixed-sign comparisons are intended here: tests compare counts with literals. */
#define KTEST_CMP_(a, b, op, fatal)							\
	do {										\
		__typeof__(a) ka_ = (a);						\
		__typeof__(b) kb_ = (b);						\
		_Pragma("GCC diagnostic push")						\
		_Pragma("GCC diagnostic ignored \"-Wsign-compare\"")			\
		bool ok_ = ka_ op kb_;							\
		_Pragma("GCC diagnostic pop")						\
		if (!ok_) {								\
			ktest_fail(__FILE__, __LINE__, "%s %s %s: 0x%lx vs 0x%lx",	\
				   #a, #op, #b, (unsigned long)ka_, (unsigned long)kb_);\
			if (fatal)							\
				ktest_end_case();					\
		}									\
	} while (0)

#define EXPECT_EQ(a, b)	KTEST_CMP_(a, b, ==, 0)
#define EXPECT_NE(a, b)	KTEST_CMP_(a, b, !=, 0)
#define EXPECT_LT(a, b)	KTEST_CMP_(a, b, <, 0)
#define EXPECT_LE(a, b)	KTEST_CMP_(a, b, <=, 0)
#define EXPECT_GT(a, b)	KTEST_CMP_(a, b, >, 0)
#define EXPECT_GE(a, b)	KTEST_CMP_(a, b, >=, 0)
#define ASSERT_EQ(a, b)	KTEST_CMP_(a, b, ==, 1)
#define ASSERT_NE(a, b)	KTEST_CMP_(a, b, !=, 1)
#define ASSERT_LT(a, b)	KTEST_CMP_(a, b, <, 1)
#define ASSERT_GE(a, b)	KTEST_CMP_(a, b, >=, 1)
#define ASSERT_GT(a, b)	KTEST_CMP_(a, b, >, 1)
#define EXPECT_TRUE(c)	KTEST_CMP_((bool)(c), true, ==, 0)
#define EXPECT_FALSE(c)	KTEST_CMP_((bool)(c), false, ==, 0)
#define ASSERT_TRUE(c)	KTEST_CMP_((bool)(c), true, ==, 1)
#define EXPECT_STREQ(a, b)								\
	do {										\
		const char *sa_ = (a), *sb_ = (b);					\
		if (strcmp(sa_, sb_) != 0)						\
			ktest_fail(__FILE__, __LINE__, "%s == %s: \"%s\" vs \"%s\"",	\
				   #a, #b, sa_, sb_);					\
	} while (0)

/*
 * EXPECT_FAULT(cause, stmt): stmt must trap with scause == cause; the trap
 * is then absorbed and execution resumes after the macro.  The fault seen
 * is in ktest_ctx()->fault.
 */
#define EXPECT_FAULT(cause, stmt)							\
	do {										\
		ktest_fault_arm(cause);							\
		if (kjmp_set(ktest_ctx()->fault_jb) == 0) {				\
			stmt;								\
			ktest_fault_check(__FILE__, __LINE__, false, #stmt);		\
		} else {								\
			ktest_fault_check(__FILE__, __LINE__, true, #stmt);		\
		}									\
	} while (0)

/*
 * EXPECT_ASSERT(stmt): stmt must fail a KASSERT (a lock rule, an
 * invariant); the failure is absorbed instead of ending the machine, and
 * execution resumes after the macro with whatever stmt had done before
 * the assertion (locks it held stay held).  What failed is in
 * kassert_last.
 */
#define EXPECT_ASSERT(stmt)								\
	do {										\
		kjmp_buf kassert_jb_;							\
		kassert_last[0] = '\0';						\
		if (kjmp_set(kassert_jb_) == 0) {					\
			thread_current()->kassert_recover = kassert_jb_;		\
			stmt;								\
			thread_current()->kassert_recover = NULL;			\
			ktest_fail(__FILE__, __LINE__, "`%s` failed no assertion", #stmt); \
		}									\
	} while (0)

struct p9_client;
/*
 * ktest_host_check: print "HOSTCHECK name" for the suite's --host-check
 * script and wait (30 s at most) for its verdict in the share's
 * .hostcheck-<name> file; true if it answered "ok".
 */
bool ktest_host_check(struct p9_client *c, const char *name);

/* ktest_report: a report function for the invariant checkers (pmap_check, vm_map_check...). */
void ktest_report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * ktest_capture: a print function for the printers (vm_map_print,
 * pmap_print...) that appends to ktest_captured (4 KiB, kept terminated);
 * ktest_capture_reset empties it.
 */
extern char ktest_captured[4096];
int ktest_capture(const char *fmt, ...);
void ktest_capture_reset(void);

/*
 * ktest_uread / ktest_uwrite: S-mode access to a user address of the
 * thread's address space, sstatus.SUM set only around the access (faults
 * go to the VM or to EXPECT_FAULT like any other).
 */
uint64_t ktest_uread(uint64_t va);
void ktest_uwrite(uint64_t va, uint64_t value);

/*
 * ktest_expect_harts, ktest_expect_mem: what the suite's QEMU command line
 * gave the machine, as its KTEST_RUN says (expect_harts=N, expect_mem=N);
 * 0 if not said.
 */
int ktest_expect_harts(void);
uint64_t ktest_expect_mem(void);
/* ktest_expect_hole: the hole the DTB leaves in RAM (expect_hole=ADDR expect_hole.size=N), 0 if none. */
uint64_t ktest_expect_hole(uint64_t *size);

/* ktest_main: run the comma-separated suites ("all" = every one); returns the exit status. */
int ktest_main(const char *suites);

/*
 * ktest_run_case: run one case (not counted in the summary) and return its
 * failure count; for tests of the framework itself.
 */
int ktest_run_case(const struct ktest_case *tc);

#endif
