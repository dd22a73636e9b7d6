/*
 * blk_fixture.h: what the disk suites share: finding a disk by serial,
 * patterned data to write and check, and kernel_map buffers.
 */
#ifndef TESTS_KERNEL_BLK_FIXTURE_H
#define TESTS_KERNEL_BLK_FIXTURE_H

#include <stdint.h>

#include "drivers/dma/dma.h"
#include "drivers/virtio/virtio_blk.h"
#include "tests/kernel/ktest.h"
#include "vm/vm_kern.h"

#define FOUR_GIB	(1ull << 32)

/* disk: the device with this serial; the case ends if the run has none. */
static inline struct virtio_blk *disk(const char *serial)
{
	struct virtio_blk *b = virtio_blk_find(serial);

	if (!b)
		ktest_report("no disk \"%s\" in this run: case skipped\n", serial);
	return b;
}

/* pattern: the byte at `off` of a block written with `seed`. */
static inline uint8_t pattern(uint32_t seed, uint64_t off)
{
	uint64_t x = (off / 8 + 1) * 0x9e3779b97f4a7c15ull ^ ((uint64_t)seed << 32 | seed);

	x ^= x >> 29;
	return (uint8_t)(x >> (8 * (off % 8)));
}

static inline void fill(uint8_t *p, uint64_t len, uint32_t seed)
{
	for (uint64_t i = 0; i < len; i++)
		p[i] = pattern(seed, i);
}

/* mismatches: bytes of p that differ from the pattern. */
static inline uint64_t mismatches(const uint8_t *p, uint64_t len, uint32_t seed)
{
	uint64_t bad = 0;

	for (uint64_t i = 0; i < len; i++)
		bad += p[i] != pattern(seed, i);
	return bad;
}

/* mismatch_at: offset of the first byte of p unlike the pattern at base + offset, len if none. */
static inline uint64_t mismatch_at(const uint8_t *p, uint64_t len, uint32_t seed, uint64_t base)
{
	for (uint64_t i = 0; i < len; i++)
		if (p[i] != pattern(seed, base + i))
			return i;
	return len;
}

/* kbuf: size bytes of kernel_map (kmem_alloc), NULL if short. */
static inline uint8_t *kbuf(vm_size_t size)
{
	vm_offset_t a = 0;

	if (kmem_alloc(kernel_map, &a, size) != KERN_SUCCESS)
		return NULL;
	return (uint8_t *)a;
}

/*
 * write_then_read: write the prepared descriptor dw at sector, then read it
 * back through dr (prepared here); both are completed.  Each step is an
 * expectation of the calling case.
 */
static inline void write_then_read(struct virtio_blk *b, struct dma_desc *dw, struct dma_desc *dr,
				   uint64_t sector)
{
	struct virtio_blk_req req;

	EXPECT_EQ(virtio_blk_submit(b, VIRTIO_BLK_WRITE, sector, dw, &req), KERN_SUCCESS);
	EXPECT_EQ(virtio_blk_wait(&req), KERN_SUCCESS);
	EXPECT_EQ(dma_desc_complete(dw), KERN_SUCCESS);
	ASSERT_EQ(dma_desc_prepare(dr, &b->vd.dma), KERN_SUCCESS);
	EXPECT_EQ(virtio_blk_submit(b, VIRTIO_BLK_READ, sector, dr, &req), KERN_SUCCESS);
	EXPECT_EQ(virtio_blk_wait(&req), KERN_SUCCESS);
	EXPECT_EQ(dma_desc_complete(dr), KERN_SUCCESS);
}

#endif
