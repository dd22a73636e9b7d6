# Host build: unit tests of machine-independent code under ASan/UBSan, the
# image (an external project using toolchain.cmake), and the ctest registry:
# unit tests, one QEMU run per KTEST_RUN line, and the acceptance scripts.
include(ExternalProject)
enable_testing()

set(image_dir ${CMAKE_BINARY_DIR}/image)
set(image ${image_dir}/kernel.elf)
set(image_bench_dir ${CMAKE_BINARY_DIR}/image-bench)
set(image_bench ${image_bench_dir}/kernel.elf)
set(qemu_run ${CMAKE_SOURCE_DIR}/tools/qemu-run.sh)

# --- the images ------------------------------------------------------------
# One source, two images: build/image, a KINVARIANTS build (kern/kernel.h)
# that every suite boots, and build/image-bench without those checks, which
# make bench measures.
string(REPLACE ";" ":" extra_tests_arg "${EXTRA_TESTS}")
# kernel_image(TARGET DIR INVARIANTS): the image built in DIR, KINVARIANTS ON or OFF.
function(kernel_image target dir invariants)
  ExternalProject_Add(${target}
    SOURCE_DIR ${CMAKE_SOURCE_DIR}
    BINARY_DIR ${dir}
    CMAKE_GENERATOR ${CMAKE_GENERATOR}
    CMAKE_ARGS -DCMAKE_TOOLCHAIN_FILE=${CMAKE_SOURCE_DIR}/toolchain.cmake
               -DEXTRA_TESTS=${extra_tests_arg} -DKINVARIANTS=${invariants}
    BUILD_ALWAYS ON
    INSTALL_COMMAND ""
    BUILD_BYPRODUCTS ${dir}/kernel.elf
    USES_TERMINAL_BUILD ON)
endfunction()
kernel_image(image ${image_dir} ON)
kernel_image(image_bench ${image_bench_dir} OFF)

# --- the fuzzers (tests/fuzz): clang, libFuzzer --------------------------------
set(fuzz_dir ${CMAKE_BINARY_DIR}/fuzz)
ExternalProject_Add(fuzz
  SOURCE_DIR ${CMAKE_SOURCE_DIR}/tests/fuzz
  BINARY_DIR ${fuzz_dir}
  CMAKE_GENERATOR ${CMAKE_GENERATOR}
  CMAKE_ARGS -DCMAKE_C_COMPILER=clang
  BUILD_ALWAYS ON
  INSTALL_COMMAND ""
  BUILD_BYPRODUCTS ${fuzz_dir}/fuzz_vm_map
  USES_TERMINAL_BUILD ON)
# make test: a bounded run from the committed corpus (a fresh copy each time).
add_test(NAME fuzz.vm_map COMMAND ${CMAKE_SOURCE_DIR}/tools/fuzz.sh
  ${fuzz_dir}/fuzz_vm_map ${CMAKE_SOURCE_DIR}/tests/fuzz/corpus ${fuzz_dir}/test --runs 8000)
set_tests_properties(fuzz.vm_map PROPERTIES LABELS fuzz TIMEOUT 600)
add_test(NAME fuzz.vm_map.fresh COMMAND ${CMAKE_COMMAND} -E rm -rf ${fuzz_dir}/test)
set_tests_properties(fuzz.vm_map.fresh PROPERTIES FIXTURES_SETUP fuzz_fresh)
set_tests_properties(fuzz.vm_map PROPERTIES FIXTURES_REQUIRED fuzz_fresh)
# make fuzz SECONDS=N: as long as asked, growing the corpus in the build tree.
add_custom_target(fuzz_run
  COMMAND ${CMAKE_SOURCE_DIR}/tools/fuzz.sh ${fuzz_dir}/fuzz_vm_map
          ${CMAKE_SOURCE_DIR}/tests/fuzz/corpus ${fuzz_dir}/run --seconds $$FUZZ_SECONDS
  DEPENDS fuzz USES_TERMINAL)

# --- host unit tests -------------------------------------------------------
# Test builds: lock rules and maps are checked as they change (KINVARIANTS, kern/kernel.h).
set(host_flags -std=gnu11 -O1 -g -Wall -Wextra -Werror -DKINVARIANTS
  -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)

add_library(utest STATIC ${CMAKE_SOURCE_DIR}/tests/unit/utest.c)
target_include_directories(utest PUBLIC ${CMAKE_SOURCE_DIR})
target_compile_options(utest PUBLIC ${host_flags})
target_link_options(utest PUBLIC -fsanitize=address,undefined)

# unit_test(NAME SOURCES ... [ARGS ...] [DEPENDS ...]): a sanitized host test program.
function(unit_test name)
  cmake_parse_arguments(U "" "" "SOURCES;ARGS;DEPENDS" ${ARGN})
  add_executable(${name} ${U_SOURCES})
  target_link_libraries(${name} PRIVATE utest)
  if(U_DEPENDS)
    add_dependencies(${name} ${U_DEPENDS})
  endif()
  add_test(NAME unit.${name} COMMAND ${name} ${U_ARGS})
  set_tests_properties(unit.${name} PROPERTIES LABELS unit TIMEOUT 120)
endfunction()

# DTBs the FDT tests parse: exactly what QEMU hands the image.
set(dtb_dir ${CMAKE_BINARY_DIR}/dtb)
add_custom_command(OUTPUT ${dtb_dir}/virt-256m-smp1.dtb ${dtb_dir}/virt-8g-smp4-pci.dtb ${dtb_dir}/resv.dtb
  COMMAND ${CMAKE_COMMAND} -E make_directory ${dtb_dir}
  # -append needs a -kernel; four bytes that are never run will do.
  COMMAND ${CMAKE_COMMAND} -E echo_append "dtb" > ${dtb_dir}/dummy-kernel.bin
  COMMAND qemu-system-riscv64 -M virt,dumpdtb=${dtb_dir}/virt-256m-smp1.dtb -m 256M -smp 1
          -display none > /dev/null
  COMMAND qemu-system-riscv64 -M virt,dumpdtb=${dtb_dir}/virt-8g-smp4-pci.dtb -m 8G -smp 4
          -display none -device virtio-blk-pci,drive=d0
          -drive if=none,id=d0,file=/dev/null,format=raw
          -kernel ${dtb_dir}/dummy-kernel.bin -append "test=boot quiet" > /dev/null
  COMMAND dtc -q -I dts -O dtb -o ${dtb_dir}/resv.dtb ${CMAKE_SOURCE_DIR}/tests/unit/data/resv.dts
  DEPENDS ${CMAKE_SOURCE_DIR}/tests/unit/data/resv.dts
  COMMENT "Dumping QEMU virt device trees")
add_custom_target(unit_dtbs ALL DEPENDS ${dtb_dir}/virt-256m-smp1.dtb)

unit_test(test_fdt
  SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_fdt.c ${CMAKE_SOURCE_DIR}/platform/dtb/fdt.c
  ARGS ${dtb_dir}
  DEPENDS unit_dtbs)

unit_test(test_cmdline
  SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_cmdline.c ${CMAKE_SOURCE_DIR}/kern/cmdline.c
  ${CMAKE_SOURCE_DIR}/tests/unit/fake_kern.c)

# Machine-independent VM code against the fake pmap and kernel services.
set(vm_host_sources
  ${CMAKE_SOURCE_DIR}/vm/vm_page.c ${CMAKE_SOURCE_DIR}/vm/vm_zone.c
  ${CMAKE_SOURCE_DIR}/vm/kern_return.c ${CMAKE_SOURCE_DIR}/vm/vm_object.c
  ${CMAKE_SOURCE_DIR}/vm/vm_map.c ${CMAKE_SOURCE_DIR}/vm/vm_map_copy.c
  ${CMAKE_SOURCE_DIR}/vm/vm_fault.c ${CMAKE_SOURCE_DIR}/vm/vm_upl.c
  ${CMAKE_SOURCE_DIR}/vm/vm_pageout.c ${CMAKE_SOURCE_DIR}/vm/vm_ws.c
  ${CMAKE_SOURCE_DIR}/tests/unit/fake_kern.c ${CMAKE_SOURCE_DIR}/tests/unit/fake_pmap.c)
unit_test(test_vm_page SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_vm_page.c ${vm_host_sources})
unit_test(test_vm_map SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_vm_map.c
  ${CMAKE_SOURCE_DIR}/tests/unit/vm_model.c ${vm_host_sources})
unit_test(test_iova SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_iova.c
  ${CMAKE_SOURCE_DIR}/drivers/iommu/iova.c ${vm_host_sources})
unit_test(test_p9 SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_p9.c
  ${CMAKE_SOURCE_DIR}/drivers/9p/p9.c ${CMAKE_SOURCE_DIR}/tests/unit/fake_kern.c)

# --- kernel suites: one ctest entry per KTEST_RUN line ----------------------
# KTEST_RUN(variant, "kernel command line", "qemu options") in any suite file.
set(ktest_run_re "^KTEST_RUN\\(([A-Za-z0-9_.]+), *\"([^\"]*)\", *\"([^\"]*)\"\\);")
foreach(src IN LISTS ktest_sources extra_sources)
  file(STRINGS ${src} runs REGEX "^KTEST_RUN\\(")
  foreach(run IN LISTS runs)
    if(NOT run MATCHES "${ktest_run_re}")
      message(FATAL_ERROR "${src}: cannot read \"${run}\"")
    endif()
    set(variant ${CMAKE_MATCH_1})
    set(append "${CMAKE_MATCH_2}")
    separate_arguments(qemu_args UNIX_COMMAND "${CMAKE_MATCH_3}")
    add_test(NAME kernel.${variant} COMMAND ${qemu_run} --work ${CMAKE_BINARY_DIR}/work/${variant}
      ${image} "${append}" ${qemu_args})
    # QEMU killed by a signal (a hang stopped from outside) exits 0: its message fails the run.
    # 77: qemu-run could not set up what the run needs here (a tmpfs share without root).
    set_tests_properties(kernel.${variant} PROPERTIES LABELS kernel TIMEOUT 600
      FAIL_REGULAR_EXPRESSION "panic on hart|[1-9][0-9]* failed|terminating on signal"
      SKIP_RETURN_CODE 77)
  endforeach()
endforeach()

# --- acceptance scripts: tests/acceptance/*.sh, run with the build dir ------
file(GLOB acceptance CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/acceptance/*.sh)
foreach(script IN LISTS acceptance)
  get_filename_component(name ${script} NAME_WE)
  add_test(NAME acceptance.${name} COMMAND ${script} ${CMAKE_SOURCE_DIR} ${CMAKE_BINARY_DIR})
  set_tests_properties(acceptance.${name} PROPERTIES LABELS acceptance TIMEOUT 600)
endforeach()

# --- make bench / make run / make debug -------------------------------------
add_custom_target(bench
  COMMAND ${CMAKE_SOURCE_DIR}/tools/bench.sh ${image_bench} ${CMAKE_BINARY_DIR}/bench
  DEPENDS image_bench USES_TERMINAL)
