/*
 * user_image.c: the U-mode programs linked into the image (user/, carried
 * as an ELF file by user_image.S), laid out as the reference's shared
 * library: the text segment in a submap every task nests with use_pmap
 * (one copy of the pages and of their page tables for all), the data
 * segment in a submap every task maps without it (the structure shared,
 * each task's written pages its own, copied on write).  Both segments'
 * objects are backed by the image pager below: pageable, read back from
 * the image.  Its header lists the programs a task may run.
 */
#include <string.h>

#include "kern/kernel.h"
#include "platform/riscv/smp.h"
#include "task/elf.h"
#include "task/task_abi.h"
#include "task/user_image.h"
#include "vm/vm_map.h"
#include "vm/vm_pager.h"
#include "vm/vm_upl.h"

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
 * The image pager: the memory object of each segment's object
 * (object->pager_data: the segment).  A page of the segment's file bytes
 * is read from the image when it is first touched, or again after the
 * pageout daemon freed it; the bss part has no copy and reads as zeros.
 * The pages are never written (the text is read+execute, and tasks write
 * their own copies of the data), so a clean one is simply freed and there
 * is nothing to write back: a data_return is refused and the pages stay.
 */
#define IMAGE_WINDOW_PAGES	16

/* image_file_end: the object offset where the segment's file bytes end (rounded to a page). */
static vm_object_offset_t image_file_end(const struct user_segment *s)
{
	return round_page((s->vaddr & PAGE_MASK) + s->filesz);
}

static bool image_has_page(vm_object_t object, vm_object_offset_t offset)
{
	return offset < image_file_end(object->pager_data);
}

/* image_fill: page m (at object offset o) from the segment's file bytes, zeros past them. */
static void image_fill(const struct user_segment *s, vm_page_t m, vm_object_offset_t o)
{
	char *to = pmap_direct_map(m->phys_addr);
	uint64_t lead = s->vaddr & PAGE_MASK;	/* object offset of the file's first byte */
	uint64_t from = o > lead ? o - lead : 0, skip = o < lead ? lead - o : 0;
	uint64_t n = from < s->filesz ? MIN(PAGE_SIZE - skip, s->filesz - from) : 0;

	memset(to, 0, PAGE_SIZE);
	if (n)
		memcpy(to + skip, image_bytes(s->offset + from, n), n);
}

static kern_return_t image_data_request(vm_object_t object, vm_object_offset_t offset,
					vm_behavior_t behavior)
{
	const struct user_segment *s = object->pager_data;
	vm_object_offset_t hi = MIN(offset + ptoa(behavior == VM_BEHAVIOR_RANDOM ? 1 : IMAGE_WINDOW_PAGES),
				    image_file_end(s));
	kern_return_t kr;
	upl_t upl;

	if (offset >= hi)
		return KERN_MEMORY_ERROR;
	kr = upl_request(object, offset, hi - offset, UPL_RETURN_ONLY_ABSENT | UPL_NOBLOCK, &upl);
	if (kr != KERN_SUCCESS)
		return kr;
	for (uint32_t i = 0; i < upl->npages; i++)
		if (upl_page(upl, i))
			image_fill(s, upl_page(upl, i), offset + ptoa(i));
	if (s == &user_image.text)
		icache_sync_all();	/* before anyone can run it: the pages are still busy */
	return upl_commit(upl);
}

/* image_data_return: nothing to write a page to: the UPL is aborted (its pages stay, dirty). */
static kern_return_t image_data_return(vm_object_t object, upl_t upl)
{
	upl_abort(upl);
	return KERN_FAILURE;
}

static void image_sync(void)
{
}

static void image_discard(vm_object_t object, vm_object_offset_t offset)
{
}

static void image_terminate(vm_object_t object)
{
}

static const struct vm_pager_ops image_pager_ops = {
	.name = "image",
	.has_page = image_has_page,
	.data_request = image_data_request,
	.data_return = image_data_return,
	.data_return_async = image_data_return,
	.sync = image_sync,
	.discard = image_discard,
	.terminate = image_terminate,
};

/*
 * segment_map_make: a submap over [base, base + size) mapping segment s
 * at its address, at most max_prot, through an object the image pager
 * backs, wired (the pager loads it now).  Wired because the suites check
 * that every case gives back the free pages it found: a segment the
 * pageout daemon could free and a task fault back in at any time would
 * make that count drift.
 * => *out; KERN_RESOURCE_SHORTAGE, a VM error
 */
static kern_return_t segment_map_make(const struct user_segment *s, vm_offset_t base, vm_size_t size,
				      vm_prot_t max_prot, vm_map_t *out)
{
	vm_address_t start = trunc_page(s->vaddr);
	vm_size_t len = round_page(s->vaddr + s->memsz) - start;
	pmap_t pmap = pmap_create();
	vm_map_t map = pmap ? vm_map_create(pmap, base, base + size) : NULL;
	vm_object_t object = map ? vm_object_allocate(len) : NULL;
	kern_return_t kr;

	if (!object) {
		if (map)
			vm_map_deallocate(map);
		else if (pmap)
			pmap_destroy(pmap);
		return KERN_RESOURCE_SHORTAGE;
	}
	object->pager_data = (void *)s;
	object->pager = &image_pager_ops;
	kr = vm_map_enter(map, &start, len, 0, VM_FLAGS_FIXED, object, 0, FALSE, max_prot, max_prot,
			  VM_INHERIT_DEFAULT);
	if (kr != KERN_SUCCESS)
		vm_object_deallocate(object);
	else
		kr = vm_map_wire(map, start, start + len, VM_PROT_READ, FALSE);
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
	return segment_map_make(&user_image.text, USER_TEXT_BASE, USER_TEXT_SIZE,
				VM_PROT_READ | VM_PROT_EXECUTE, &user_image.text_map);
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
