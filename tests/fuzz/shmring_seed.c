/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Writes seed inputs for fuzz_shmring: real regions made by the producer
 * (lib/shmring) with a consumer attached and packets queued, each followed
 * by a harmless fuzz trailer (SL_FUZZ_STEPS steps writing the region's last
 * word with its own value).
 *
 *   shmring_seed OUTDIR      (tests/fuzz/corpus/fuzz_shmring/ was made so)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sl_shmring.h"

#define SL_FUZZ_STEPS 4

static int
seed(const char *dir, const char *name, uint32_t frame_size, uint32_t frames, unsigned int pkts)
{
	char tmp[] = "/tmp/sl_shmring_seed_XXXXXX", out[512];
	struct sl_shmring_prod *p;
	struct sl_shmring_cons *c;
	uint8_t frame[256];
	uint64_t now = sl_shmring_now_ns();
	int fd = mkstemp(tmp);

	if (fd < 0)
		return -1;
	close(fd);
	unlink(tmp);
	if (sl_shmring_create(tmp, frame_size, frames, &p) != 0 || sl_shmring_open(tmp, &c) != 0)
		return -1;
	sl_shmring_poll(p, now, 1000000000ull); /* answers the attach */
	for (unsigned int i = 0; i < pkts; i++) {
		memset(frame, (int)i, sizeof(frame));
		sl_shmring_produce(p, frame, 60 + i * 50, now, i, (uint16_t)i);
	}
	sl_shmring_poll(p, now, 1000000000ull);
	sl_shmring_close(c);
	/* the region as it is now, then the trailer */
	FILE *in = fopen(tmp, "rb");
	snprintf(out, sizeof(out), "%s/%s", dir, name);
	FILE *o = fopen(out, "wb");
	if (in == NULL || o == NULL)
		return -1;
	uint8_t buf[4096];
	size_t n, total = 0;
	uint32_t last = 0;
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0) {
		fwrite(buf, 1, n, o);
		total += n;
		if (n >= 4)
			memcpy(&last, buf + n - 4, 4);
	}
	for (int s = 0; s < SL_FUZZ_STEPS; s++) {
		uint32_t off = (uint32_t)total - 4;

		fwrite(&off, 4, 1, o);
		fwrite(&last, 4, 1, o);
	}
	fclose(in);
	fclose(o);
	sl_shmring_destroy(p, true);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: shmring_seed OUTDIR\n");
		return 2;
	}
	if (seed(argv[1], "region-64x4-2pkts", 64, 4, 2) != 0 ||
	    seed(argv[1], "region-128x8-5pkts", 128, 8, 5) != 0 ||
	    seed(argv[1], "region-256x2-0pkts", 256, 2, 0) != 0) {
		fprintf(stderr, "shmring_seed: failed\n");
		return 1;
	}
	return 0;
}
