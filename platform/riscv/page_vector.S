/*
 * page_vector.S: zero, copy and sum a 4 KiB page with the V extension, VLEN
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

/*
 * int page_sum_vector(const void *page, uint64_t *sum): the page's sum for
 * pmap_page_checksum: 16 lanes of 64-bit words, each lane l keeping
 * Fletcher's pair (a[l] += word, then b[l] += a[l], row by row), then
 * *sum = the sum over l of a[l] * (2l + 1) + b[l] * PAGE_SUM_B.  Returns
 * 0, computing nothing, if a register group holds fewer than 16 lanes.
 */
#define PAGE_SUM_B	0x9e3779b97f4a7c15

	.globl page_sum_vector
page_sum_vector:
	csrrci	t2, sstatus, SSTATUS_SIE
	li	t1, SSTATUS_VS_INIT
	csrs	sstatus, t1
	vsetivli t0, 16, e64, m8, ta, ma
	li	t1, 16
	li	a3, 0
	bne	t0, t1, 2f
	vmv.v.i	v8, 0
	vmv.v.i	v16, 0
	li	t1, 4096
	add	a2, a0, t1
1:	vle64.v	v0, (a0)
	vadd.vv	v8, v8, v0
	vadd.vv	v16, v16, v8
	addi	a0, a0, 128
	bltu	a0, a2, 1b
	vid.v	v0
	vadd.vv	v0, v0, v0
	vadd.vi	v0, v0, 1
	vmul.vv	v8, v8, v0
	li	t1, PAGE_SUM_B
	vmul.vx	v16, v16, t1
	vadd.vv	v8, v8, v16
	vmv.s.x	v24, zero
	vredsum.vs v24, v8, v24
	vmv.x.s	t1, v24
	sd	t1, 0(a1)
	li	a3, 1
2:	li	t1, SSTATUS_VS
	csrc	sstatus, t1
	andi	t2, t2, SSTATUS_SIE
	csrs	sstatus, t2
	mv	a0, a3
	ret

	.option pop
