/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Flow records per second on one thread (the control thread's job at
 * shutdown): formatting with the jansson reference, with sl_flowrec_json(),
 * with sl_flowrec_format() and a context, the Community ID alone, and
 * formatting plus writing to a file one record per write() or many lines
 * per write (records.c). Prints one JSON line per case; asserts nothing.
 *
 *   meson test -C build --benchmark flowrec --verbose
 *   build/tests/unit/bench_flowrec [RECORDS] [DIR]
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sl_flowrec.h"
#include "flowrec_ref.h"

#define BATCH_BYTES (256 * 1024)

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
record(struct sl_flowrec *r, unsigned int i)
{
	memset(r, 0, sizeof(*r));
	r->start_us = 1700000000000000ull + (uint64_t)i * 10;
	r->end_us = r->start_us + 2500000;
	r->tenant_id = 3;
	r->tenant = "acme";
	r->n_vlan = 1;
	r->vlan[0] = 100;
	r->family = 4;
	r->proto = i % 3 ? 6 : 17;
	r->src[0] = 10;
	r->src[2] = (uint8_t)(i >> 8);
	r->src[3] = (uint8_t)i;
	r->dst[0] = 10;
	r->dst[1] = 1;
	r->dst[3] = 1;
	r->sport = (uint16_t)(1024 + i % 60000);
	r->dport = 443;
	r->pkts_toserver = 10 + i % 7;
	r->pkts_toclient = 12;
	r->bytes_toserver = 1500 * r->pkts_toserver;
	r->bytes_toclient = 9000;
	r->fwd_pkts = r->pkts_toserver + r->pkts_toclient;
	r->fwd_bytes = r->bytes_toserver + r->bytes_toclient;
	r->pool = "zeek";
	r->member = (int32_t)(i % 8);
	r->action = "forward";
	r->reason = "shutdown";
	r->tcp_flags_ts = 0x1b;
	r->tcp_flags_tc = 0x12;
}

static void
report(const char *name, unsigned int n, double secs)
{
	printf("{\"case\":\"%s\",\"records\":%u,\"seconds\":%.3f,\"records_per_s\":%.0f,"
	       "\"ns_per_record\":%.0f}\n", name, n, secs, n / secs, secs / n * 1e9);
	fflush(stdout);
}

int
main(int argc, char **argv)
{
	unsigned int n = argc > 1 ? (unsigned int)strtoul(argv[1], NULL, 10) : 500000;
	const char *dir = argc > 2 ? argv[2] : "/tmp";
	struct sl_flowrec_ctx *ctx;
	struct sl_flowrec r;
	char line[4096], cid[SL_COMMUNITY_ID_LEN], path[512];
	char *batch = malloc(BATCH_BYTES);
	double t;
	int fd;

	if (batch == NULL || sl_flowrec_ctx_new(&ctx) != 0)
		return 1;
	t = now();
	for (unsigned int i = 0; i < n; i++) {
		record(&r, i);
		if (ref_flowrec_json(&r, line, sizeof(line)) <= 0)
			return 1;
	}
	report("format_jansson_reference", n, now() - t);
	t = now();
	for (unsigned int i = 0; i < n; i++) {
		record(&r, i);
		if (sl_flowrec_json(&r, line, sizeof(line)) <= 0)
			return 1;
	}
	report("format_no_ctx", n, now() - t);
	t = now();
	for (unsigned int i = 0; i < n; i++) {
		record(&r, i);
		if (sl_flowrec_format(ctx, &r, line, sizeof(line)) <= 0)
			return 1;
	}
	report("format_ctx", n, now() - t);
	t = now();
	for (unsigned int i = 0; i < n; i++) {
		record(&r, i);
		if (sl_community_id_v1(0, 4, r.src, r.dst, r.sport, r.dport, r.proto, cid,
				       sizeof(cid)) != 0)
			return 1;
	}
	report("community_id_one_shot", n, now() - t);

	snprintf(path, sizeof(path), "%s/bench_flowrec.%d.json", dir, (int)getpid());
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0)
		return 1;
	t = now();
	for (unsigned int i = 0; i < n; i++) {
		int len;

		record(&r, i);
		len = sl_flowrec_format(ctx, &r, line, sizeof(line) - 1);
		line[len++] = '\n';
		if (sl_write_lines_fd(fd, line, (size_t)len, NULL) != 0)
			return 1;
	}
	report("format_ctx_write_per_record", n, now() - t);
	if (ftruncate(fd, 0) != 0)
		return 1;
	t = now();
	size_t used = 0;
	for (unsigned int i = 0; i < n; i++) {
		int len;

		record(&r, i);
		if (BATCH_BYTES - used < sizeof(line)) {
			if (sl_write_lines_fd(fd, batch, used, NULL) != 0)
				return 1;
			used = 0;
		}
		len = sl_flowrec_format(ctx, &r, batch + used, BATCH_BYTES - used - 1);
		used += (size_t)len;
		batch[used++] = '\n';
	}
	if (used > 0 && sl_write_lines_fd(fd, batch, used, NULL) != 0)
		return 1;
	report("format_ctx_write_batched", n, now() - t);
	close(fd);
	unlink(path);
	sl_flowrec_ctx_free(ctx);
	free(batch);
	return 0;
}
