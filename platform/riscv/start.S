/*
 * start.S: first instructions of every hart.
 *
 * The image begins with the RISC-V Linux Image header (version 0.2, Linux's
 * Documentation/riscv/boot-image-header.rst), whose first word jumps over
 * it: the ELF and the flat Image (objcopy -O binary) start the same way, so
 * fw_dynamic, fw_jump and U-Boot's booti all load one of them.  The header
 * asks to be loaded KERNEL_LOAD_OFFSET into RAM, which is where the image
 * is linked to run.
 *
 * OpenSBI enters here in S-mode with a0 = hart id, a1 = DTB physical address
 * (boot hart) or the HSM opaque value (secondaries), satp = 0, running at the
 * physical load address.  Code here is PC-relative only until paging is on.
 *
 * Paging is turned on without an identity mapping: stvec is pointed at the
 * virtual address of the continuation, so the instruction fetch that faults
 * right after the satp write traps straight into the upper half.
 */
#include "platform/riscv/hart.h"
#include "platform/riscv/vmlayout.h"

#define PTE_FLAGS_RWX	0xef	/* V R W X G A D */
#define PTE_FLAGS_RW	0xe7	/* V R W G A D */
#define SATP_SV39	(8 << 60)

	.section .text.boot, "ax"
	.option norvc
	.globl _start
_start:
	j	boot_entry		/* code0; code1 is never run */
	.word	0
	.dword	KERNEL_LOAD_OFFSET	/* text_offset */
	.dword	_kernel_size		/* image_size: the loaded bytes and .bss */
	.dword	0			/* flags: little-endian */
	.word	0x2			/* version 0.2 */
	.word	0			/* res1 */
	.dword	0			/* res2 */
	.ascii	"RISCV\0\0\0"		/* magic */
	.ascii	"RSC\x05"		/* magic2 */
	.word	0			/* res3 */

boot_entry:
	/*
	 * Only the first hart to arrive boots.  A hart that OpenSBI 1.1
	 * releases before hart_start has stored its start address comes
	 * here too (see secondary_start); it would share the boot stack.
	 * It waits instead for the boot hart to hand it its struct hart
	 * through boot_mailbox[hartid].
	 */
	lla	t0, boot_lottery
	li	t1, 1
	amoswap.w.aqrl t1, t1, (t0)
	bnez	t1, boot_loser

	/* Boot hart: stack at its physical address, build the early table. */
	mv	s0, a0
	mv	s1, a1

	lla	t0, early_root		/* physical: still PC-relative */
	li	t1, 0
1:	slli	t2, t1, 3
	add	t2, t2, t0
	sd	zero, 0(t2)
	addi	t1, t1, 1
	li	t2, 512
	bltu	t1, t2, 1b

	/* The image's GiB at its link address (VPN[2] of KERNEL_VIRT_BASE). */
	lla	t1, _start
	srli	t1, t1, 30
	slli	t1, t1, 28
	ori	t1, t1, PTE_FLAGS_RWX
	li	t2, ((KERNEL_VIRT_BASE >> 30) & 511) * 8
	add	t2, t2, t0
	sd	t1, 0(t2)

	/* The DTB's GiB in the direct map, so C can read it before kmap runs. */
	srli	t1, s1, 30
	addi	t2, t1, ((DMAP_BASE >> 30) & 511)
	slli	t2, t2, 3
	add	t2, t2, t0
	slli	t1, t1, 28
	ori	t1, t1, PTE_FLAGS_RW
	sd	t1, 0(t2)

	srli	t0, t0, 12
	li	t1, SATP_SV39
	or	a2, t0, t1
	ld	a3, boot_high_addr
	mv	a0, s0
	mv	a1, s1
	j	paging_enable

boot_loser:
	csrw	sie, zero
	li	t1, BOOT_MAILBOXES
	bgeu	a0, t1, 2f		/* no mailbox: stay out of the way */
	lla	t0, boot_mailbox
	slli	t1, a0, 3
	add	t0, t0, t1
1:	ld	t1, 0(t0)
	bnez	t1, secondary_start
	.4byte	0x0100000f		/* pause */
	j	1b
2:	wfi
	j	2b

/*
 * Secondary harts: a0 = hart id, a1 = kernel virtual address of their struct
 * hart, which holds the stack top; the final kernel satp is in
 * kernel_satp (written by the boot hart before hart_start).
 *
 * A hart with a mailbox takes its struct hart from there, not from a1:
 * OpenSBI 1.1's hart_start marks the hart START_PENDING before it stores
 * the start address and opaque value, so a hart released in between can
 * arrive here with the new address but the old a1 (the DTB's address).
 */
	.globl secondary_start
	.balign 4
secondary_start:
	li	t1, BOOT_MAILBOXES
	bgeu	a0, t1, 1f
	lla	t0, boot_mailbox
	slli	t1, a0, 3
	add	t0, t0, t1
	ld	a1, 0(t0)
	fence	r, r			/* kernel_satp was written before the mailbox */
1:	ld	a2, kernel_satp
	ld	a3, secondary_high_addr
	j	paging_enable

/* a2 = satp, a3 = virtual continuation. */
	.balign 4
paging_enable:
	csrw	sie, zero
	csrw	stvec, a3
	sfence.vma
	csrw	satp, a2
	sfence.vma
	jr	a3		/* reached only if this address is also mapped */

	.balign 4
boot_high:
	lla	sp, boot_stack_top
	mv	tp, zero
	csrw	sscratch, zero
	call	kmain_boot	/* (hartid, dtb_pa), never returns */
	j	.

	.balign 4
secondary_high:
	ld	sp, HART_KSTACK_TOP(a1)
	mv	tp, a1
	csrw	sscratch, zero
	call	kmain_secondary	/* (hartid, struct hart *), never returns */
	j	.

	.section .rodata
	.balign 8
boot_high_addr:		.dword boot_high
secondary_high_addr:	.dword secondary_high

	.section .data
	.balign 8
	.globl kernel_satp
kernel_satp:		.dword 0
boot_lottery:		.word 0		/* 1 once a hart has taken the boot path */
	.balign 8
	.globl boot_mailbox
boot_mailbox:		.space 8 * BOOT_MAILBOXES	/* struct hart * for a stray hart */

	/* Outside [_bss_start, _bss_end): in use while C clears .bss. */
	.section .boot_bss, "aw", @nobits
	.balign 4096
early_root:		.space 4096
	.balign 16
boot_stack:		.space 16384
	.globl boot_stack_top
boot_stack_top:
