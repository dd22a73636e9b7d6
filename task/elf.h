/*
 * elf.h: the parts of the ELF-64 format the user image loader reads
 * (System V gABI, "ELF Header" and "Program Header"; RISC-V psABI for
 * the machine number).
 */
#ifndef TASK_ELF_H
#define TASK_ELF_H

#include <stdint.h>

#define ELF_MAGIC	"\177ELF"
#define ELFCLASS64	2
#define ELFDATA2LSB	1
#define ET_EXEC		2
#define EM_RISCV	243

#define PT_LOAD		1
#define PF_X		0x1
#define PF_W		0x2
#define PF_R		0x4

struct elf64_ehdr {
	unsigned char e_ident[16];	/* magic, class, data, version, ... */
	uint16_t e_type, e_machine;
	uint32_t e_version;
	uint64_t e_entry, e_phoff, e_shoff;
	uint32_t e_flags;
	uint16_t e_ehsize, e_phentsize, e_phnum, e_shentsize, e_shnum, e_shstrndx;
};

struct elf64_phdr {
	uint32_t p_type, p_flags;
	uint64_t p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, p_align;
};

_Static_assert(sizeof(struct elf64_ehdr) == 64, "ELF-64 header");
_Static_assert(sizeof(struct elf64_phdr) == 56, "ELF-64 program header");

#endif
