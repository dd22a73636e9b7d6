# The bootable image.  Linked twice: the first link's text symbols become
# the .ksyms table of the second (kern/ksyms.c), which is placed last so
# that no other address moves; tools/ksyms-check.sh proves it did not.
file(GLOB_RECURSE platform_sources CONFIGURE_DEPENDS
  ${CMAKE_SOURCE_DIR}/platform/*.c ${CMAKE_SOURCE_DIR}/platform/*.S)
file(GLOB_RECURSE kern_sources CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/kern/*.c)
file(GLOB_RECURSE vm_sources CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/vm/*.c)
file(GLOB_RECURSE driver_sources CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/drivers/*.c)
file(GLOB ktest_asm CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/kernel/*.S)

set(linker_script ${CMAKE_SOURCE_DIR}/platform/riscv/kernel.ld)

add_library(kernel_objs OBJECT
  ${platform_sources} ${kern_sources} ${vm_sources} ${driver_sources}
  ${ktest_sources} ${ktest_asm} ${kbench_sources} ${extra_sources})
target_include_directories(kernel_objs PRIVATE ${CMAKE_SOURCE_DIR})
target_compile_options(kernel_objs PRIVATE
  $<$<COMPILE_LANGUAGE:C>:-std=gnu11 -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter -Wno-format-zero-length>
  $<$<COMPILE_LANGUAGE:ASM>:-g -I${CMAKE_SOURCE_DIR}/tests/kernel>)
# Golden files built in with .incbin: a change to one rebuilds its object.
set_source_files_properties(${CMAKE_SOURCE_DIR}/tests/kernel/vm_params_golden.S PROPERTIES
  OBJECT_DEPENDS ${CMAKE_SOURCE_DIR}/tests/kernel/vm_params.golden)

function(kernel_link name ksyms)
  add_executable(${name} $<TARGET_OBJECTS:kernel_objs> ${ksyms})
  target_link_options(${name} PRIVATE -T ${linker_script} -Wl,--gc-sections -Wl,-Map=${name}.map)
  set_target_properties(${name} PROPERTIES LINK_DEPENDS ${linker_script})
endfunction()

kernel_link(kernel.pass1.elf ${CMAKE_SOURCE_DIR}/kern/ksyms_empty.S)

add_custom_command(OUTPUT ${CMAKE_BINARY_DIR}/ksyms.S
  COMMAND ${CMAKE_SOURCE_DIR}/tools/gen-ksyms.sh ${CMAKE_NM}
          $<TARGET_FILE:kernel.pass1.elf> ${CMAKE_BINARY_DIR}/ksyms.S
  DEPENDS kernel.pass1.elf ${CMAKE_SOURCE_DIR}/tools/gen-ksyms.sh
  COMMENT "Generating the image's symbol table")

kernel_link(kernel.elf ${CMAKE_BINARY_DIR}/ksyms.S)
add_custom_command(TARGET kernel.elf POST_BUILD
  COMMAND ${CMAKE_SOURCE_DIR}/tools/ksyms-check.sh ${CMAKE_NM}
          $<TARGET_FILE:kernel.pass1.elf> $<TARGET_FILE:kernel.elf>)
