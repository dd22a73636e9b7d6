/*
 * page_vector.S: zero and copy a 4 KiB page with the V extension, VLEN
 * bits per register times 8 (LMUL=8) per instruction: 32 stores for a page
 * at VLEN=128.  The kernel keeps sstatus.VS off; these turn it on, and
 * interrupts off (so nothing else can run and use or need the vector
 * registers), for the length of the loop only.  Callers check that the
 * harts have V (pmap.c).
 */
	.option push
	.option arch, +v

#define SSTATUS_SIE	0x2
#define SSTATUS_VS_INIT	0x200		/* VS = Initial */
#define SSTATUS_VS	0x600

	.section .text
	.balign 4

/* void page_zero_vector(void *page): t2 keeps the caller's SIE. */
	.globl page_zero_vector
page_zero_vector:
	csrrci	t2, sstatus, SSTATUS_SIE
	li	t1, SSTATUS_VS_INIT
	csrs	sstatus, t1
	li	t1, 4096
	vsetvli	t0, t1, e8, m8, ta, ma	/* t0 = bytes per store */
	vmv.v.i	v0, 0
	add	a1, a0, t1
1:	vse8.v	v0, (a0)
	add	a0, a0, t0
	bltu	a0, a1, 1b
	li	t1, SSTATUS_VS
	csrc	sstatus, t1
	andi	t2, t2, SSTATUS_SIE
	csrs	sstatus, t2
	ret

/* void page_copy_vector(void *dst, const void *src) */
	.globl page_copy_vector
page_copy_vector:
	csrrci	t2, sstatus, SSTATUS_SIE
	li	t1, SSTATUS_VS_INIT
	csrs	sstatus, t1
	li	t1, 4096
	vsetvli	t0, t1, e8, m8, ta, ma
	add	a2, a1, t1
1:	vle8.v	v0, (a1)
	vse8.v	v0, (a0)
	add	a1, a1, t0
	add	a0, a0, t0
	bltu	a1, a2, 1b
	li	t1, SSTATUS_VS
	csrc	sstatus, t1
	andi	t2, t2, SSTATUS_SIE
	csrs	sstatus, t2
	ret

	.option pop
