/*
 * user_image.c: the U-mode programs linked into the image (user/, carried
 * as an ELF file by user_image.S), laid out as the reference's shared
 * library: the text segment in a submap every task nests with use_pmap
 * (one copy of the pages and of their page tables for all), the data
 * segment in a submap every task maps without it (the structure shared,
 * each task's written pages its own, copied on write).  Its header lists
 * the programs a task may run.
 */
#include <string.h>

#include "kern/kernel.h"
#include "kern/thread.h"
#include "platform/riscv/smp.h"
#include "task/elf.h"
#include "task/task_abi.h"
#include "task/user_image.h"
#include "vm/vm_map.h"
#include "vm/vm_user.h"

extern const char user_image_elf[], user_image_elf_end[];

struct user_segment {
	uint64_t vaddr, memsz, filesz, offset;
};

struct user_image_program {
	char name[USER_PROGRAM_NAME_MAX];
	uint64_t main;
};

/* Written once by user_image_bootstrap (before any task exists), read-only after. */
static struct {
	vm_map_t text_map, data_map;
	struct user_segment text, data;
	uint64_t entry;
	struct user_image_program programs[USER_PROGRAMS_MAX];
	int nprograms;
} user_image;

/* image_bytes: the image's bytes [offset, offset + len), or NULL if they are not all in it. */
static const void *image_bytes(uint64_t offset, uint64_t len)
{
	uint64_t size = (uint64_t)(user_image_elf_end - user_image_elf);

	if (offset > size || len > size - offset)
		return NULL;
	return user_image_elf + offset;
}

/* image_text: the bytes of the text segment at user address va, NULL if outside it. */
static const void *image_text(uint64_t va, uint64_t len)
{
	const struct user_segment *s = &user_image.text;

	if (va < s->vaddr || va - s->vaddr > s->filesz || len > s->filesz - (va - s->vaddr))
		return NULL;
	return image_bytes(s->offset + (va - s->vaddr), len);
}

/* segment_in: the segment lies in [base, base + size) and its bytes in the image. */
static bool segment_in(const struct user_segment *s, uint64_t base, uint64_t size)
{
	return s->memsz && s->filesz <= s->memsz && s->vaddr >= base &&
	       s->vaddr - base <= size && s->memsz <= size - (s->vaddr - base) &&
	       image_bytes(s->offset, s->filesz);
}

/* image_parse_segments: the text (R+X) and data (R+W) segments. => false if malformed */
static bool image_parse_segments(const struct elf64_ehdr *eh)
{
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		const struct elf64_phdr *ph = image_bytes(eh->e_phoff + i * sizeof(*ph), sizeof(*ph));
		struct user_segment s;

		if (!ph)
			return false;
		if (ph->p_type != PT_LOAD)
			continue;
		s = (struct user_segment){ ph->p_vaddr, ph->p_memsz, ph->p_filesz, ph->p_offset };
		if (ph->p_flags == (PF_R | PF_X))
			user_image.text = s;
		else if (ph->p_flags == (PF_R | PF_W))
			user_image.data = s;
		else
			return false;
	}
	return segment_in(&user_image.text, USER_TEXT_BASE, USER_TEXT_SIZE) &&
	       (!user_image.data.memsz ||	/* an image may have no data */
		segment_in(&user_image.data, USER_DATA_BASE, USER_DATA_SIZE)) &&
	       image_text(eh->e_entry, 4);
}

/* image_parse_programs: the program table of the header at USER_TEXT_BASE. */
static bool image_parse_programs(void)
{
	const struct user_image_header *h = image_text(USER_TEXT_BASE, sizeof(*h));
	const struct user_program *p;
	uint64_t n;

	if (!h || h->magic != USER_IMAGE_MAGIC || h->programs_end < h->programs)
		return false;
	n = (h->programs_end - h->programs) / sizeof(*p);
	if (n > USER_PROGRAMS_MAX || !(p = image_text(h->programs, n * sizeof(*p))))
		return false;
	for (uint64_t i = 0; i < n; i++) {
		struct user_image_program *ip = &user_image.programs[i];
		const char *name = image_text(p[i].name, 1);
		size_t len = name ? strnlen(name, sizeof(ip->name)) : sizeof(ip->name);

		if (len == sizeof(ip->name) || !image_text(p[i].name, len + 1) ||
		    !image_text(p[i].main, 4))
			return false;
		memcpy(ip->name, name, len + 1);
		ip->main = p[i].main;
	}
	user_image.nprograms = (int)n;
	return true;
}

/* image_parse: the ELF header, segments and program table. => false if malformed */
static bool image_parse(void)
{
	const struct elf64_ehdr *eh = image_bytes(0, sizeof(*eh));

	if (!eh || memcmp(eh->e_ident, ELF_MAGIC, 4) != 0 || eh->e_ident[4] != ELFCLASS64 ||
	    eh->e_ident[5] != ELFDATA2LSB || eh->e_type != ET_EXEC || eh->e_machine != EM_RISCV ||
	    eh->e_phentsize != sizeof(struct elf64_phdr))
		return false;
	user_image.entry = eh->e_entry;
	return image_parse_segments(eh) && image_parse_programs();
}

/*
 * copyout_in: copy the segment's file bytes to its address in map, with
 * the calling thread running in map meanwhile.  => 0 or EFAULT
 */
static int copyout_in(vm_map_t map, const struct user_segment *s)
{
	vm_map_t was = thread_current()->map;
	int err;

	thread_set_map(map);
	err = copyout(image_bytes(s->offset, s->filesz), (void *)s->vaddr, s->filesz);
	thread_set_map(was);
	return err;
}

static void icache_sync_here(void *unused)
{
	__asm__ volatile("fence.i" ::: "memory");
}

/* icache_sync_all: text written as data is run as code: every hart's fetches must see it (Zifencei). */
static void icache_sync_all(void)
{
	uint64_t online = smp_online_mask();

	for (int i = 0; i < 64; i++)
		if (online & (1ull << i))
			smp_call(i, icache_sync_here, NULL);
}

/*
 * segment_map_make: a submap over [base, base + size) holding segment s,
 * loaded, at most max_prot, and wired: paged out, it would go to swap
 * (its object is anonymous) although the image holds it already; a pager
 * reading it back from the image would let it page for free.
 * => *out; KERN_RESOURCE_SHORTAGE, a VM error
 */
static kern_return_t segment_map_make(const struct user_segment *s, vm_offset_t base, vm_size_t size,
				      vm_prot_t max_prot, vm_map_t *out)
{
	vm_address_t start = trunc_page(s->vaddr);
	vm_size_t len = round_page(s->vaddr + s->memsz) - start;
	pmap_t pmap = pmap_create();
	vm_map_t map = pmap ? vm_map_create(pmap, base, base + size) : NULL;
	kern_return_t kr;

	if (!map) {
		if (pmap)
			pmap_destroy(pmap);
		return KERN_RESOURCE_SHORTAGE;
	}
	kr = vm_allocate(map, &start, len, VM_FLAGS_FIXED);
	if (kr == KERN_SUCCESS && copyout_in(map, s) != 0)
		kr = KERN_MEMORY_FAILURE;
	if (kr == KERN_SUCCESS)
		kr = vm_protect(map, start, len, TRUE, max_prot);
	if (kr == KERN_SUCCESS)
		kr = vm_protect(map, start, len, FALSE, max_prot);
	if (kr == KERN_SUCCESS)
		kr = vm_map_wire(map, start, start + len, max_prot, FALSE);
	if (kr != KERN_SUCCESS) {
		vm_map_deallocate(map);
		return kr;
	}
	*out = map;
	return KERN_SUCCESS;
}

kern_return_t user_image_bootstrap(void)
{
	kern_return_t kr;

	if (user_image.text_map)
		return KERN_SUCCESS;
	if (!image_parse()) {
		kprintf("user image: malformed\n");
		return KERN_INVALID_ARGUMENT;
	}
	if (user_image.data.memsz &&
	    (kr = segment_map_make(&user_image.data, USER_DATA_BASE, USER_DATA_SIZE, VM_PROT_DEFAULT,
				   &user_image.data_map)) != KERN_SUCCESS)
		return kr;
	kr = segment_map_make(&user_image.text, USER_TEXT_BASE, USER_TEXT_SIZE,
			      VM_PROT_READ | VM_PROT_EXECUTE, &user_image.text_map);
	if (kr != KERN_SUCCESS)
		return kr;
	icache_sync_all();
	return KERN_SUCCESS;
}

kern_return_t user_image_map(vm_map_t map)
{
	vm_address_t text = USER_TEXT_BASE, data = USER_DATA_BASE;
	vm_address_t stack = USER_STACK_TOP - USER_STACK_SIZE;
	kern_return_t kr;

	kr = vm_map_enter_submap(map, &text, USER_TEXT_SIZE, 0, VM_FLAGS_FIXED, user_image.text_map,
				 USER_TEXT_BASE, TRUE, VM_PROT_READ | VM_PROT_EXECUTE,
				 VM_PROT_READ | VM_PROT_EXECUTE, VM_INHERIT_SHARE);
	if (kr == KERN_SUCCESS && user_image.data_map)
		kr = vm_map_enter_submap(map, &data, USER_DATA_SIZE, 0, VM_FLAGS_FIXED,
					 user_image.data_map, USER_DATA_BASE, FALSE, VM_PROT_DEFAULT,
					 VM_PROT_DEFAULT, VM_INHERIT_COPY);	/* a fork copies what it wrote */
	if (kr == KERN_SUCCESS)
		kr = vm_allocate(map, &stack, USER_STACK_SIZE, VM_FLAGS_FIXED);
	return kr;
}

bool user_image_program(const char *name, uint64_t *main)
{
	for (int i = 0; i < user_image.nprograms; i++) {
		if (strcmp(user_image.programs[i].name, name) == 0) {
			*main = user_image.programs[i].main;
			return true;
		}
	}
	return false;
}

uint64_t user_image_entry(void)
{
	return user_image.entry;
}

vm_map_t user_image_text_map(void)
{
	return user_image.text_map;
}

vm_map_t user_image_data_map(void)
{
	return user_image.data_map;
}
