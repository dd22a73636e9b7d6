/*
 * user_image.S: the user image (user/, linked by the build as user.elf)
 * carried in the kernel's read-only data; task/user_image.c loads it.
 */
	.section .rodata.user_image, "a"
	.balign 16
	.globl user_image_elf, user_image_elf_end
user_image_elf:
	.incbin USER_ELF_PATH
user_image_elf_end:
