/*
 * named_progs.c: programs of the named_entry suite
 * (tests/kernel/named_entry_test.c): two unrelated tasks share memory
 * through a handle one makes and registers and the other looks up.
 */
#include "user/ulib.h"

#define PAGES		4
#define SIZE		(PAGES * PAGE_SIZE)
#define SIGNAL		0xc1	/* the client's write the server waits for */
#define WAIT_TICKS	50000000ul	/* 5 s of the 10 MHz timer */

static long word(vm_address_t a, long page)
{
	return *(volatile long *)(a + page * PAGE_SIZE);
}

static void set_word(vm_address_t a, long page, long v)
{
	*(volatile long *)(a + page * PAGE_SIZE) = v;
}

/*
 * ne_server: PAGES pages, page i holding 0x100 + i, published read-write
 * as "ne.rw" and, through a child handle, read-only as "ne.ro"; waits for
 * the client's write to page 0 through its shared mapping, checks that
 * the client's private copy changed nothing here, takes the names away.
 */
static long ne_server(long arg)
{
	vm_address_t a = 0;
	vm_size_t size = SIZE, rosize = SIZE;
	long rw, ro;
	uint64_t start;

	if (vm_allocate(&a, SIZE, VM_FLAGS_ANYWHERE) != KERN_SUCCESS)
		return ufail("ne_server", 1);
	for (long i = 0; i < PAGES; i++)
		set_word(a, i, 0x100 + i);
	if (mach_make_memory_entry_64(&size, a, VM_PROT_DEFAULT, &rw, -1) != KERN_SUCCESS ||
	    size != SIZE ||
	    mach_make_memory_entry_64(&rosize, 0, VM_PROT_READ, &ro, rw) != KERN_SUCCESS)
		return ufail("ne_server", 2);
	if (handle_register("ne.rw", rw) != KERN_SUCCESS || handle_register("ne.ro", ro) != KERN_SUCCESS)
		return ufail("ne_server", 3);
	for (start = rdtime(); word(a, 0) != SIGNAL && rdtime() - start < WAIT_TICKS;)
		task_yield();
	if (word(a, 0) != SIGNAL)
		return ufail("ne_server", 4);
	if (word(a, 1) != 0x101 || word(a, 2) != 0x5e2)
		return ufail("ne_server", 5);
	if (handle_register("ne.rw", -1) != KERN_SUCCESS || handle_register("ne.ro", -1) != KERN_SUCCESS)
		return ufail("ne_server", 6);
	return 0;	/* its handles go with it */
}
USER_PROGRAM(ne_server);

/* lookup: the handle registered under name, waited for. */
static long lookup(const char *name)
{
	uint64_t start = rdtime();
	long h = -1;

	while (handle_lookup(name, &h) == KERN_FAILURE && rdtime() - start < WAIT_TICKS)
		task_yield();
	return h;
}

/* ne_client: maps "ne.rw" shared and as a copy, "ne.ro" within its permission, then signals. */
static long ne_client(long arg)
{
	long rw = lookup("ne.rw"), ro = lookup("ne.ro");
	vm_address_t shared = 0, copy = 0, rdonly = 0, r;
	vm_region_basic_info_data_t info;
	vm_size_t size;
	long h;

	if (rw < 0 || ro < 0)
		return ufail("ne_client", 1);
	if (vm_map(&shared, SIZE, 0, VM_FLAGS_ANYWHERE, rw, 0, FALSE, VM_PROT_DEFAULT,
		   VM_PROT_DEFAULT, VM_INHERIT_SHARE) != KERN_SUCCESS ||
	    vm_map(&copy, SIZE, 0, VM_FLAGS_ANYWHERE, rw, 0, TRUE, VM_PROT_DEFAULT,
		   VM_PROT_DEFAULT, VM_INHERIT_COPY) != KERN_SUCCESS)
		return ufail("ne_client", 2);
	for (long i = 0; i < PAGES; i++)
		if (word(shared, i) != 0x100 + i || word(copy, i) != 0x100 + i)
			return ufail("ne_client", 3);
	set_word(copy, 1, 0xc2);		/* private: the server's page 1 stays */
	set_word(shared, 2, 0x5e2);		/* shared: the server sees it */
	if (word(shared, 1) != 0x101 || word(copy, 2) != 0x102)
		return ufail("ne_client", 4);
	/* The read-only handle caps both protections. */
	if (vm_map(&rdonly, SIZE, 0, VM_FLAGS_ANYWHERE, ro, 0, FALSE, VM_PROT_DEFAULT,
		   VM_PROT_DEFAULT, VM_INHERIT_SHARE) != KERN_PROTECTION_FAILURE ||
	    vm_map(&rdonly, SIZE, 0, VM_FLAGS_ANYWHERE, ro, 0, FALSE, VM_PROT_READ,
		   VM_PROT_DEFAULT, VM_INHERIT_SHARE) != KERN_PROTECTION_FAILURE ||
	    vm_map(&rdonly, SIZE, 0, VM_FLAGS_ANYWHERE, ro, 0, FALSE, VM_PROT_READ, VM_PROT_READ,
		   VM_INHERIT_SHARE) != KERN_SUCCESS)
		return ufail("ne_client", 5);
	r = rdonly;
	if (word(rdonly, 2) != 0x5e2 || vm_region(&r, &size, &info) != KERN_SUCCESS ||
	    info.max_protection != VM_PROT_READ ||
	    vm_protect(rdonly, SIZE, FALSE, VM_PROT_DEFAULT) != KERN_PROTECTION_FAILURE)
		return ufail("ne_client", 6);
	/* Bad handles and names. */
	if (vm_map(&r, SIZE, 0, VM_FLAGS_ANYWHERE, 99, 0, FALSE, VM_PROT_READ, VM_PROT_READ,
		   VM_INHERIT_SHARE) != KERN_INVALID_ARGUMENT ||
	    vm_map(&r, 2 * SIZE, 0, VM_FLAGS_ANYWHERE, rw, 0, FALSE, VM_PROT_READ, VM_PROT_READ,
		   VM_INHERIT_SHARE) != KERN_INVALID_ARGUMENT ||
	    handle_lookup("no such name", &h) != KERN_FAILURE ||
	    handle_lookup("a name that is longer than thirty-one bytes", &h) !=
		    KERN_INVALID_ARGUMENT ||
	    handle_lookup((const char *)0xffffffc000200000ul, &h) != KERN_INVALID_ADDRESS ||
	    handle_release(99) != KERN_INVALID_ARGUMENT)
		return ufail("ne_client", 7);
	if (handle_release(ro) != KERN_SUCCESS)
		return ufail("ne_client", 8);
	set_word(shared, 0, SIGNAL);
	return 0;	/* rw goes with it */
}
USER_PROGRAM(ne_client);
