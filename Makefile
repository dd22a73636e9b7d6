# Front end: each target does its own set-up (packages, CMake configure),
# then builds and runs.  Everything lands in $(BUILD).
#   make run     boot the demo in QEMU; its vm_stat series in $(BUILD)/run/vm_stat.csv
#   make test    host unit tests + every QEMU suite through ctest
#   make bench   instruction-count benchmarks -> $(BUILD)/bench/results.json,
#                kept in $(BUILD)/bench/history and compared with the run before
#   make bench-scale  how each cost grows with the work (map entries, RAM, harts,
#                swap segments, live I/O mappings) -> $(BUILD)/bench-scale/scale.json
#   make plots   PNG charts of the last make bench (against the run before)
#                and of the last make run's vm_stat series -> $(BUILD)/plots
#   make debug   boot QEMU halted, waiting for gdb
#   make fuzz    the map fuzzer for SECONDS (default 60): operations, coverage
#   make soak    the soak suite for MINUTES (default 30): every VM call from 4
#                harts under memory pressure, swap files growing and draining
# Variables: EXTRA_TESTS=dir[:dir] (extra kernel suites), TEST=regex (ctest -R),
# ARGS="kernel command line" (run/debug; the default pages to the swap disk
# and to swap files in the share, which the demo shows), QEMU_OPTS="..." (run/debug),
# DEVICES="..." (run/debug: qemu-run.sh device shorthands; the disk image and
# the shared directory live in $(BUILD)/run).
BUILD ?= build
EXTRA_TESTS ?=
TEST ?=
ARGS ?= swap=swap swapfile=share swapfile.size=16M swapfile.hiwat=8M swapfile.lowat=24M swapfile.hold=500
QEMU_OPTS ?= -m 512M -smp 4
DEVICES ?= --blk disk:32M --9p share --blk swap:32M
JOBS ?= $(shell nproc)
IMAGE := $(BUILD)/image/kernel.elf
BENCH_IMAGE := $(BUILD)/image-bench/kernel.elf
# Absolute, so that the image's own CMake build (run elsewhere) finds them.
empty :=
space := $(empty) $(empty)
EXTRA_DIRS := $(subst $(space),:,$(abspath $(subst :, ,$(EXTRA_TESTS))))

SECONDS ?= 60
MINUTES ?= 30
SOAK_ARGS := swap=swap swapfile=swap swapfile.size=16M swapfile.max=12 swapfile.hiwat=8M \
	swapfile.lowat=24M swapfile.hold=500

.PHONY: all setup configure build run test bench bench-scale plots debug fuzz soak clean

all: build

setup:
	@tools/setup.sh

configure: setup
	@mkdir -p $(BUILD)
	@cmake -S . -B $(BUILD) -G Ninja -DEXTRA_TESTS="$(EXTRA_DIRS)" > $(BUILD)/configure.log 2>&1 \
		|| { cat $(BUILD)/configure.log; exit 1; }

build: configure
	@cmake --build $(BUILD)

# The console is also kept in $(BUILD)/run.log; its vm_stat lines become
# $(BUILD)/run/vm_stat.csv, beside the share, once the machine has stopped.
run: build
	@{ tools/qemu-run.sh --work $(BUILD)/run $(IMAGE) "$(ARGS)" $(DEVICES) $(QEMU_OPTS); \
	   echo $$? > $(BUILD)/run.status; } | tee $(BUILD)/run.log
	@tools/vmstat-csv $(BUILD)/run.log $(BUILD)/run/vm_stat.csv || true
	@exit $$(cat $(BUILD)/run.status)

test: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS) $(if $(TEST),-R '$(TEST)')

bench: build
	tools/bench.sh $(BENCH_IMAGE) $(BUILD)/bench

bench-scale: build
	tools/bench-scale $(BENCH_IMAGE) $(BUILD)/bench-scale

# The last make bench against the run before it (build/bench/history), and
# the last make run's vm_stat series, as PNG files in $(BUILD)/plots.
plots: setup
	@args=""; \
	if [ -f $(BUILD)/bench/results.json ]; then \
		args="--bench $(BUILD)/bench/results.json"; \
		prev=$$(ls $(BUILD)/bench/history/*.json 2>/dev/null | sort | tail -n 2 | sed -n '2{x;p};h'); \
		[ -z "$$prev" ] || args="$$args --previous $$prev"; \
	fi; \
	[ ! -f $(BUILD)/run/vm_stat.csv ] || args="$$args --vmstat $(BUILD)/run/vm_stat.csv"; \
	[ -n "$$args" ] || { echo "plots: nothing yet: make bench and/or make run first"; exit 1; }; \
	tools/plots $(BUILD)/plots $$args

fuzz: build
	FUZZ_SECONDS=$(SECONDS) cmake --build $(BUILD) --target fuzz_run

soak: build
	tools/qemu-run.sh --work $(BUILD)/soak $(IMAGE) \
		"test=soak soak.seconds=$$(( $(MINUTES) * 60 )) ktest.stall=$$(( $(MINUTES) * 60 + 300 )) $(SOAK_ARGS)" \
		-m 48M -smp 4 --blk swap:64M --9p swap

debug: build
	@echo "QEMU is waiting for gdb.  In another terminal:"
	@echo "  gdb-multiarch $(IMAGE) -x tools/gdbinit"
	tools/qemu-run.sh --gdb --work $(BUILD)/run $(IMAGE) "$(ARGS)" $(DEVICES) $(QEMU_OPTS)

clean:
	rm -rf $(BUILD)
