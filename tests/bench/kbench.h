/*
 * kbench.h: instruction-count benchmarks.
 *
 *   KBENCH(trap_roundtrip, "trap.roundtrip", "instructions/op") { ... return per_op; }
 *
 * The body gets the iteration count and returns the cost of one operation
 * in its unit (usually guest instructions counted with rdinstret, which is
 * exact under QEMU -icount shift=0).  Each benchmark runs KBENCH_RUNS
 * times; the line printed is the JSON object that tools/bench.sh collects:
 *   BENCH {"name":"trap.roundtrip","unit":"instructions/op","value":N,"runs":K}
 * and, if the runs disagree, a "spread" field with max - min.
 */
#ifndef TESTS_BENCH_KBENCH_H
#define TESTS_BENCH_KBENCH_H

#include <stdbool.h>
#include <stdint.h>

#define KBENCH_RUNS 5

struct kbench_case {
	const char *name;
	const char *unit;
	uint64_t (*fn)(uint64_t iters);
	uint64_t iters;
};

#define KBENCH(id, name, unit, niters)						\
	static uint64_t kbench_fn_##id(uint64_t);				\
	static const struct kbench_case kbench_case_##id			\
		__attribute__((used, section("kbench_cases"), aligned(8))) =	\
		{ name, unit, kbench_fn_##id, niters };				\
	static uint64_t kbench_fn_##id(uint64_t iters)

/*
 * KBENCH_RUN(group, "kernel command line", "qemu options"): read by the
 * build (like KTEST_RUN); tools/bench.sh boots one QEMU per line.
 */
#define KBENCH_RUN(group, cmdline, qemu_args) \
	_Static_assert(sizeof(cmdline) > 1 && sizeof(qemu_args) > 0, #group)

/*
 * kbench_ticks: stop (false) or restart (true) the timer tick on every
 * hart.  Under -icount an idle machine's clock follows the host's, so a
 * tick landing inside a measurement would make it depend on host load.
 */
void kbench_ticks(bool on);

/*
 * kbench_note: extra JSON fields for the running benchmark's line (e.g. the
 * raw figures behind a ratio: "\"bytes\":N,\"host_ns\":M").  A line with a
 * "host_ns" field is measured against host time and varies from boot to
 * boot; tools/bench.sh leaves it out of its repeatability check.
 */
void kbench_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * kbench_boot_instret: the machine's instruction count (every hart, every
 * mode, OpenSBI included: rdinstret under -icount) when kbench_main began,
 * that is the boot from reset to the first benchmark.
 */
uint64_t kbench_boot_instret(void);

/* kbench_main: run the benchmarks whose name starts with a listed prefix ("all" = every one). */
int kbench_main(const char *names);

#endif
