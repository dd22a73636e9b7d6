# The bootable image.  Linked twice: the first link's text symbols become
# the .ksyms table of the second (kern/ksyms.c), which is placed last so
# that no other address moves; tools/ksyms-check.sh proves it did not.
file(GLOB_RECURSE platform_sources CONFIGURE_DEPENDS
  ${CMAKE_SOURCE_DIR}/platform/*.c ${CMAKE_SOURCE_DIR}/platform/*.S)
file(GLOB_RECURSE kern_sources CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/kern/*.c)
file(GLOB_RECURSE vm_sources CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/vm/*.c)
file(GLOB_RECURSE driver_sources CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/drivers/*.c)
file(GLOB_RECURSE aix_sources CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/aix/*.c)
file(GLOB_RECURSE task_sources CONFIGURE_DEPENDS
  ${CMAKE_SOURCE_DIR}/task/*.c ${CMAKE_SOURCE_DIR}/task/*.S)
file(GLOB ktest_asm CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/kernel/*.S)

# The U-mode programs (user/): their own link at the task addresses of
# task/task_abi.h, integer-only (tasks run with the FPU off), no C library.
# The kernel carries the result (task/user_image.S) and loads it.
file(GLOB user_sources CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/user/*.c ${CMAKE_SOURCE_DIR}/user/*.S)
add_executable(user.elf ${user_sources})
target_include_directories(user.elf PRIVATE ${CMAKE_SOURCE_DIR})
target_compile_options(user.elf PRIVATE -march=rv64imac -mabi=lp64 -mno-relax
  $<$<COMPILE_LANGUAGE:C>:-std=gnu11 -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter
    -fno-builtin -fno-tree-loop-distribute-patterns>)
target_link_options(user.elf PRIVATE -march=rv64imac -mabi=lp64 -nostdlib
  -T ${CMAKE_SOURCE_DIR}/user/user.ld -Wl,--no-relax)
target_link_libraries(user.elf PRIVATE gcc)
set_target_properties(user.elf PROPERTIES LINK_DEPENDS ${CMAKE_SOURCE_DIR}/user/user.ld)
set_source_files_properties(${CMAKE_SOURCE_DIR}/task/user_image.S PROPERTIES
  OBJECT_DEPENDS ${CMAKE_BINARY_DIR}/user.elf
  COMPILE_DEFINITIONS USER_ELF_PATH="${CMAKE_BINARY_DIR}/user.elf")

set(linker_script ${CMAKE_SOURCE_DIR}/platform/riscv/kernel.ld)

add_library(kernel_objs OBJECT
  ${platform_sources} ${kern_sources} ${vm_sources} ${driver_sources} ${task_sources}
  ${aix_sources}
  ${ktest_sources} ${ktest_asm} ${kbench_sources} ${extra_sources})
separate_arguments(image_libc_flags UNIX_COMMAND "${IMAGE_LIBC_FLAGS}")
# A build directory configured before the flags moved here still has them cached.
string(REPLACE "${IMAGE_LIBC_FLAGS}" "" CMAKE_C_FLAGS "${CMAKE_C_FLAGS}")
string(REPLACE "${IMAGE_LIBC_FLAGS}" "" CMAKE_ASM_FLAGS "${CMAKE_ASM_FLAGS}")
target_include_directories(kernel_objs PRIVATE ${CMAKE_SOURCE_DIR})
option(KINVARIANTS "Lock rules and map checks (kern/kernel.h): the test image" ON)
if(KINVARIANTS)
  target_compile_definitions(kernel_objs PRIVATE KINVARIANTS)
endif()
target_compile_options(kernel_objs PRIVATE ${image_libc_flags})
add_dependencies(kernel_objs user.elf)
target_compile_options(kernel_objs PRIVATE
  $<$<COMPILE_LANGUAGE:C>:-std=gnu11 -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter -Wno-format-zero-length>
  $<$<COMPILE_LANGUAGE:ASM>:-g -I${CMAKE_SOURCE_DIR}/tests/kernel>)
# Golden files built in with .incbin: a change to one rebuilds its object.
set_source_files_properties(${CMAKE_SOURCE_DIR}/tests/kernel/vm_params_golden.S PROPERTIES
  OBJECT_DEPENDS ${CMAKE_SOURCE_DIR}/tests/kernel/vm_params.golden)

function(kernel_link name ksyms)
  add_executable(${name} $<TARGET_OBJECTS:kernel_objs> ${ksyms})
  target_link_options(${name} PRIVATE ${image_libc_flags} -T ${linker_script} -Wl,--gc-sections -Wl,-Map=${name}.map)
  set_target_properties(${name} PROPERTIES LINK_DEPENDS ${linker_script})
endfunction()

kernel_link(kernel.pass1.elf ${CMAKE_SOURCE_DIR}/kern/ksyms_empty.S)

add_custom_command(OUTPUT ${CMAKE_BINARY_DIR}/ksyms.S
  COMMAND ${CMAKE_SOURCE_DIR}/tools/gen-ksyms.sh ${CMAKE_NM}
          $<TARGET_FILE:kernel.pass1.elf> ${CMAKE_BINARY_DIR}/ksyms.S
  DEPENDS kernel.pass1.elf ${CMAKE_SOURCE_DIR}/tools/gen-ksyms.sh
  COMMENT "Generating the image's symbol table")

kernel_link(kernel.elf ${CMAKE_BINARY_DIR}/ksyms.S)
# Image: the same bytes as a flat binary from the load address, with the
# RISC-V Linux Image header start.S begins with (U-Boot booti, fw_jump).
add_custom_command(TARGET kernel.elf POST_BUILD
  COMMAND ${CMAKE_SOURCE_DIR}/tools/ksyms-check.sh ${CMAKE_NM}
          $<TARGET_FILE:kernel.pass1.elf> $<TARGET_FILE:kernel.elf>
  COMMAND ${CMAKE_OBJCOPY} -O binary $<TARGET_FILE:kernel.elf> ${CMAKE_BINARY_DIR}/Image)
