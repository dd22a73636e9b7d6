# Cross toolchain for the bootable image: bare-metal RV64GC, picolibc (release
# build type: its memset/memcpy move 8 bytes per instruction), no host libraries.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR riscv64)
set(CMAKE_C_COMPILER riscv64-unknown-elf-gcc)
set(CMAKE_ASM_COMPILER riscv64-unknown-elf-gcc)
set(CMAKE_OBJCOPY riscv64-unknown-elf-objcopy CACHE FILEPATH "")
set(CMAKE_NM riscv64-unknown-elf-nm CACHE FILEPATH "")
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

set(IMAGE_ARCH_FLAGS "-march=rv64gc -mabi=lp64d -mcmodel=medany")
# Integer-only printf: the kernel runs with the FPU off (sstatus.FS = Off).
set(IMAGE_LIBC_FLAGS "--specs=picolibc.specs --picolibc-buildtype=release -DPICOLIBC_INTEGER_PRINTF_SCANF")

# The C library is the kernel's only (tools/cmake/image.cmake): the U-mode programs have none.
set(CMAKE_C_FLAGS_INIT "${IMAGE_ARCH_FLAGS} -ffreestanding -fno-common -fno-omit-frame-pointer -fno-stack-protector -fno-pie")
set(CMAKE_ASM_FLAGS_INIT "${IMAGE_ARCH_FLAGS}")
# CMake passes the C flags (arch, specs) to the link too.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-nostartfiles -static")
