/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer harness for the shared-ring consumer (lib/shmring) on a forged
 * region: the producer's side of shared memory is untrusted.
 *
 * Input: the region file, then a trailer of SL_FUZZ_STEPS steps of 8 bytes
 * (offset, value; little-endian u32 each). The region goes into a memfd and
 * is opened with sl_shmring_open() through /proc/self/fd/N. Then, for each
 * step, a hostile producer writes the value at the offset (mod the file
 * size, 4-byte aligned) of the shared mapping, and the consumer receives a
 * burst and releases what it got. Every packet handed out must lie inside
 * the region's frame area; ASan/UBSan catch the rest.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "sl_shmring.h"

#define SL_FUZZ_STEPS 4
#define SL_FUZZ_BURST 32

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint32_t
le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sl_shmring_pkt pkts[SL_FUZZ_BURST];
	struct sl_shmring_cons *c = NULL;
	struct sl_shmring_info info;
	const size_t trailer = 8 * SL_FUZZ_STEPS;
	size_t rlen;
	char path[64];
	int fd, rc;

	if (size < trailer + 1)
		return 0;
	rlen = size - trailer;
	fd = memfd_create("sl_fuzz_shmring", MFD_CLOEXEC);
	if (fd < 0)
		return 0;
	if (write(fd, data, rlen) != (ssize_t)rlen) {
		close(fd);
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	rc = sl_shmring_open(path, &c);
	if (rc != 0) {
		if (c != NULL || rc > 0)
			abort();
		close(fd);
		return 0;
	}
	sl_shmring_consumer_info(c, &info);
	for (int step = 0; step < SL_FUZZ_STEPS; step++) {
		const uint8_t *t = data + rlen + (size_t)step * 8;
		uint32_t off = (uint32_t)((le32(t) % rlen) & ~3u), val = le32(t + 4);

		/* the hostile producer writes into the shared mapping */
		if (off + 4 <= rlen && pwrite(fd, &val, 4, off) != 4)
			break;
		unsigned int n = sl_shmring_recv_burst(c, pkts, SL_FUZZ_BURST);

		if (n > SL_FUZZ_BURST)
			abort();
		for (unsigned int i = 0; i < n; i++) {
			if (pkts[i].caplen > info.frame_size || pkts[i].caplen > pkts[i].len ||
			    pkts[i].data == NULL)
				abort();
			/* every byte handed out is readable (ASan on the mapping) */
			volatile uint8_t sum = 0;
			for (uint32_t k = 0; k < pkts[i].caplen; k++)
				sum ^= ((const uint8_t *)pkts[i].data)[k];
			(void)sum;
		}
		sl_shmring_release(c, pkts, n);
		(void)sl_shmring_attached(c);
		(void)sl_shmring_stale(c);
	}
	sl_shmring_close(c);
	close(fd);
	return 0;
}
