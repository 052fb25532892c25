/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests: shared-memory rings. Regions live in /dev/shm (one file per
 * test, removed at the end). Besides the round trips, the tests play a
 * malicious peer by writing the shared memory directly: forged headers,
 * descriptors and free-ring entries must be refused or skipped and counted,
 * never used (run under ASan/UBSan too). One test forks a consumer process.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <setjmp.h>
#include <string.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "sl_shmring.h"
#include "sl_shmring_pvt.h"

#define SEC 1000000000ull
#define TIMEOUT (10 * SEC)

static char path_buf[256];

/* A fresh path on tmpfs (/dev/shm, else /tmp). */
static const char *
new_path(void)
{
	static unsigned int n;
	struct stat st;
	const char *dir = stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) ? "/dev/shm" : "/tmp";

	snprintf(path_buf, sizeof(path_buf), "%s/sl_test_shmring.%ld.%u", dir, (long)getpid(),
		 n++);
	return path_buf;
}

/* Deterministic packet bytes: the sequence number, then a pattern. */
static void
fill(uint8_t *buf, uint32_t len, uint32_t seq)
{
	for (uint32_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(seq * 31u + i * 7u);
	if (len >= 4)
		memcpy(buf, &seq, 4);
}

static bool
check_bytes(const uint8_t *data, uint32_t caplen, uint32_t seq)
{
	uint8_t want[4096];

	if (caplen > sizeof(want))
		return false;
	fill(want, caplen, seq);
	return memcmp(data, want, caplen) == 0;
}

static uint32_t
pkt_len(uint32_t seq, uint32_t max)
{
	return 60 + (seq * 37u) % (max - 59);
}

struct fx {
	char path[256];
	struct sl_shmring_prod *p;
	struct sl_shmring_cons *c;
};

/* A region with an attached consumer. */
static void
fx_up(struct fx *f, uint32_t frame_size, uint32_t n_frames)
{
	snprintf(f->path, sizeof(f->path), "%s", new_path());
	assert_int_equal(sl_shmring_create(f->path, frame_size, n_frames, &f->p), 0);
	assert_int_equal(sl_shmring_open(f->path, &f->c), 0);
	assert_int_equal(sl_shmring_poll(f->p, sl_shmring_now_ns(), TIMEOUT), 1);
	assert_true(sl_shmring_attached(f->c));
}

static void
fx_down(struct fx *f)
{
	sl_shmring_close(f->c);
	sl_shmring_destroy(f->p, true);
	assert_int_equal(access(f->path, F_OK), -1);
}

static int
produce_seq(struct sl_shmring_prod *p, uint32_t seq, uint32_t len)
{
	uint8_t buf[4096];

	fill(buf, len, seq);
	return sl_shmring_produce(p, buf, len, 1000ull * seq, seq * 7u, (uint16_t)seq);
}

static void
check_pkt(const struct sl_shmring_pkt *k, uint32_t seq, uint32_t len, uint32_t frame_size)
{
	uint32_t cap = len < frame_size ? len : frame_size;

	assert_int_equal(k->len, len);
	assert_int_equal(k->caplen, cap);
	assert_int_equal(k->ts_ns, 1000ull * seq);
	assert_int_equal(k->hash, seq * 7u);
	assert_int_equal(k->tenant, (uint16_t)seq);
	assert_int_equal(k->flags, cap < len ? SL_SHMRING_F_TRUNCATED : 0);
	assert_true(check_bytes(k->data, cap, seq));
}

static void
test_stat_names(void **state)
{
	struct sl_shmring_prod_stats ps;
	struct sl_shmring_cons_stats cs;

	(void)state;
	memset(&ps, 0, sizeof(ps));
	memset(&cs, 0, sizeof(cs));
	ps.bad_free = 3;
	cs.bad_desc = 4;
	assert_string_equal(sl_shmring_prod_stat_name(SL_SHMRING_PROD_STAT_delivered), "delivered");
	assert_string_equal(sl_shmring_prod_stat_name(SL_SHMRING_PROD_STAT_bad_free), "bad_free");
	assert_null(sl_shmring_prod_stat_name(SL_SHMRING_PROD_STAT_MAX));
	assert_int_equal(sl_shmring_prod_stat(&ps, SL_SHMRING_PROD_STAT_bad_free), 3);
	assert_int_equal(sl_shmring_prod_stat(&ps, SL_SHMRING_PROD_STAT_MAX), 0);
	assert_string_equal(sl_shmring_cons_stat_name(SL_SHMRING_CONS_STAT_bad_desc), "bad_desc");
	assert_null(sl_shmring_cons_stat_name(SL_SHMRING_CONS_STAT_MAX));
	assert_int_equal(sl_shmring_cons_stat(&cs, SL_SHMRING_CONS_STAT_bad_desc), 4);
	for (unsigned int a = 0; a < SL_SHMRING_PROD_STAT_MAX; a++)
		for (unsigned int b = 0; b < a; b++)
			assert_string_not_equal(sl_shmring_prod_stat_name(a),
						sl_shmring_prod_stat_name(b));
	for (unsigned int a = 0; a < SL_SHMRING_CONS_STAT_MAX; a++)
		for (unsigned int b = 0; b < a; b++)
			assert_string_not_equal(sl_shmring_cons_stat_name(a),
						sl_shmring_cons_stat_name(b));
}

static void
test_bad_args(void **state)
{
	struct sl_shmring_prod *p = NULL;
	struct sl_shmring_cons *c = NULL;
	const char *path = new_path();
	char small[300];
	int fd;

	(void)state;
	assert_int_equal(sl_shmring_create(NULL, 2048, 64, &p), -EINVAL);
	assert_int_equal(sl_shmring_create(path, 2048, 64, NULL), -EINVAL);
	assert_int_equal(sl_shmring_create(path, 63, 64, &p), -EINVAL);
	assert_int_equal(sl_shmring_create(path, 100, 64, &p), -EINVAL);
	assert_int_equal(sl_shmring_create(path, 32, 64, &p), -EINVAL);
	assert_int_equal(sl_shmring_create(path, SL_SHMRING_FRAME_MAX * 2, 64, &p), -EINVAL);
	assert_int_equal(sl_shmring_create(path, 2048, 1, &p), -EINVAL);
	assert_int_equal(sl_shmring_create(path, 2048, 48, &p), -EINVAL);
	assert_int_equal(sl_shmring_create(path, 2048, SL_SHMRING_FRAMES_MAX * 2, &p), -EINVAL);
	assert_int_equal(sl_shmring_create("/nonexistent-dir/x", 2048, 64, &p), -ENOENT);
	assert_null(p);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(sl_shmring_open(NULL, &c), -EINVAL);
	assert_int_equal(sl_shmring_open(path, NULL), -EINVAL);
	assert_int_equal(sl_shmring_open(path, &c), -ENOENT);
	assert_int_equal(sl_shmring_open("/tmp", &c), -EISDIR);
	/* a file shorter than the header */
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	memset(small, 0, sizeof(small));
	assert_int_equal(write(fd, small, sizeof(small)), sizeof(small));
	close(fd);
	assert_int_equal(sl_shmring_open(path, &c), -EINVAL);
	unlink(path);
	assert_null(c);
	assert_int_equal(sl_shmring_produce(NULL, small, 10, 0, 0, 0), -EINVAL);
	assert_int_equal(sl_shmring_produce_burst(NULL, NULL, 4), 0);
	assert_int_equal(sl_shmring_poll(NULL, 0, 0), -EINVAL);
	assert_false(sl_shmring_consumer_alive(NULL, 0, 0));
	assert_int_equal(sl_shmring_recv_burst(NULL, NULL, 4), 0);
	assert_int_equal(sl_shmring_release(NULL, NULL, 4), 0);
	assert_int_equal(sl_shmring_stale(NULL), -EINVAL);
	assert_false(sl_shmring_attached(NULL));
	sl_shmring_destroy(NULL, true);
	sl_shmring_close(NULL);
}

/* One packet each way, metadata included; no consumer means refused. */
static void
test_round_trip(void **state)
{
	struct sl_shmring_prod *p;
	struct sl_shmring_cons *c;
	struct sl_shmring_pkt k[8];
	struct sl_shmring_info info;
	struct sl_shmring_prod_stats peer;
	char path[256];

	(void)state;
	snprintf(path, sizeof(path), "%s", new_path());
	assert_int_equal(sl_shmring_create(path, 2048, 64, &p), 0);
	/* no consumer yet */
	assert_int_equal(produce_seq(p, 0, 100), -ENOTCONN);
	assert_int_equal(sl_shmring_poll(p, sl_shmring_now_ns(), TIMEOUT), 0);
	assert_int_equal(produce_seq(p, 0, 100), -ENOTCONN);
	assert_int_equal(sl_shmring_open(path, &c), 0);
	assert_false(sl_shmring_attached(c));
	assert_int_equal(sl_shmring_recv_burst(c, k, 8), 0);
	assert_false(sl_shmring_consumer_alive(p, sl_shmring_now_ns(), TIMEOUT));
	assert_int_equal(sl_shmring_poll(p, sl_shmring_now_ns(), TIMEOUT), 1);
	assert_true(sl_shmring_consumer_alive(p, sl_shmring_now_ns(), TIMEOUT));
	assert_int_equal(sl_shmring_stale(c), 0);

	assert_int_equal(produce_seq(p, 1, 60), 0);
	assert_int_equal(produce_seq(p, 2, 1514), 0);
	assert_int_equal(produce_seq(p, 3, 2048), 0);
	assert_int_equal(sl_shmring_produce(p, NULL, 0, 5, 6, 7), 0);
	assert_int_equal(sl_shmring_produce(p, NULL, 10, 5, 6, 7), -EINVAL);
	assert_int_equal(sl_shmring_recv_burst(c, k, 8), 4);
	check_pkt(&k[0], 1, 60, 2048);
	check_pkt(&k[1], 2, 1514, 2048);
	check_pkt(&k[2], 3, 2048, 2048);
	assert_int_equal(k[3].len, 0);
	assert_int_equal(k[3].caplen, 0);
	assert_int_equal(k[3].ts_ns, 5);
	assert_int_equal(k[3].hash, 6);
	assert_int_equal(k[3].tenant, 7);
	/* frames are distinct and inside one mapping */
	assert_true(k[0].frame != k[1].frame && k[1].frame != k[2].frame);
	assert_int_equal(k[0].frame % 2048, 0);
	assert_int_equal(sl_shmring_release(c, k, 4), 4);
	assert_int_equal(sl_shmring_recv_burst(c, k, 8), 0);

	const struct sl_shmring_prod_stats *ps = sl_shmring_producer_stats(p);
	assert_int_equal(ps->delivered, 4);
	assert_int_equal(ps->no_consumer, 2);
	assert_int_equal(ps->refused_full + ps->truncated + ps->bad_free + ps->bad_index, 0);
	assert_int_equal(ps->attaches, 1);
	assert_int_equal(ps->reclaimed, 0);
	const struct sl_shmring_cons_stats *cs = sl_shmring_consumer_stats(c);
	assert_int_equal(cs->received, 4);
	assert_int_equal(cs->released, 4);
	assert_int_equal(cs->bad_desc + cs->bad_index + cs->release_refused, 0);

	sl_shmring_poll(p, sl_shmring_now_ns(), TIMEOUT);
	sl_shmring_peer_stats(c, &peer);
	assert_int_equal(peer.delivered, 4);
	assert_int_equal(peer.no_consumer, 2);
	sl_shmring_consumer_info(c, &info);
	assert_int_equal(info.frame_size, 2048);
	assert_int_equal(info.n_frames, 64);
	assert_int_equal(info.rx_size, 64);
	assert_int_equal(info.free_size, 64);
	assert_int_equal(info.producer_pid, (uint32_t)getpid());
	assert_true(info.generation != 0);

	/* producer gone: the consumer sees it, a new open is refused */
	sl_shmring_destroy(p, true);
	assert_int_equal(sl_shmring_stale(c), 1);
	sl_shmring_close(c);
	assert_int_equal(access(path, F_OK), -1);
}

/* Bursts in both directions, partial bursts, order kept. */
static void
test_burst(void **state)
{
	struct fx f;
	struct sl_shmring_tx tx[40];
	struct sl_shmring_pkt k[40];
	static uint8_t bufs[40][1600];
	uint32_t next = 0;

	(void)state;
	fx_up(&f, 2048, 64);
	for (uint32_t i = 0; i < 40; i++) {
		uint32_t len = pkt_len(i, 1600);

		fill(bufs[i], len, i);
		tx[i] = (struct sl_shmring_tx){ .data = bufs[i], .len = len, .ts_ns = 1000ull * i,
						.hash = i * 7u, .tenant = (uint16_t)i };
	}
	assert_int_equal(sl_shmring_produce_burst(f.p, tx, 40), 40);
	assert_int_equal(sl_shmring_produce_burst(f.p, tx, 0), 0);
	for (;;) {
		unsigned int n = sl_shmring_recv_burst(f.c, k, 7);

		if (n == 0)
			break;
		for (unsigned int i = 0; i < n; i++, next++)
			check_pkt(&k[i], next, pkt_len(next, 1600), 2048);
		assert_int_equal(sl_shmring_release(f.c, k, n), n);
	}
	assert_int_equal(next, 40);
	fx_down(&f);

	/* a burst larger than the free frames: a prefix goes, the rest is counted */
	fx_up(&f, 2048, 16);
	assert_int_equal(sl_shmring_produce_burst(f.p, tx, 20), 16);
	assert_int_equal(sl_shmring_producer_stats(f.p)->refused_full, 4);
	assert_int_equal(sl_shmring_producer_stats(f.p)->delivered, 16);
	assert_int_equal(sl_shmring_recv_burst(f.c, k, 40), 16);
	for (uint32_t i = 0; i < 16; i++)
		check_pkt(&k[i], i, pkt_len(i, 1600), 2048);
	/* release out of order, in two groups */
	assert_int_equal(sl_shmring_release(f.c, k + 8, 8), 8);
	assert_int_equal(sl_shmring_release(f.c, k, 8), 8);
	assert_int_equal(sl_shmring_produce_burst(f.p, tx + 20, 20), 16);
	assert_int_equal(sl_shmring_recv_burst(f.c, k, 40), 16);
	for (uint32_t i = 0; i < 16; i++)
		check_pkt(&k[i], 20 + i, pkt_len(20 + i, 1600), 2048);
	assert_int_equal(sl_shmring_release(f.c, k, 16), 16);
	fx_down(&f);
}

/* No free frame: -ENOBUFS, counted; one release makes room for one. */
static void
test_full(void **state)
{
	struct fx f;
	struct sl_shmring_pkt k[16];

	(void)state;
	fx_up(&f, 128, 8);
	for (uint32_t i = 0; i < 8; i++)
		assert_int_equal(produce_seq(f.p, i, 100), 0);
	assert_int_equal(produce_seq(f.p, 8, 100), -ENOBUFS);
	assert_int_equal(sl_shmring_recv_burst(f.c, k, 16), 8);
	/* frames held by the consumer are not free */
	assert_int_equal(produce_seq(f.p, 8, 100), -ENOBUFS);
	assert_int_equal(sl_shmring_release(f.c, &k[3], 1), 1);
	assert_int_equal(produce_seq(f.p, 8, 100), 0);
	assert_int_equal(produce_seq(f.p, 9, 100), -ENOBUFS);
	const struct sl_shmring_prod_stats *ps = sl_shmring_producer_stats(f.p);
	assert_int_equal(ps->delivered, 9);
	assert_int_equal(ps->refused_full, 3);
	assert_int_equal(sl_shmring_recv_burst(f.c, &k[8], 8), 1);
	assert_int_equal(k[8].frame, k[3].frame);
	check_pkt(&k[8], 8, 100, 128);
	/* a bogus frame handed to release is refused, not published */
	struct sl_shmring_pkt bogus = k[0];
	bogus.frame = 8 * 128;
	assert_int_equal(sl_shmring_release(f.c, &bogus, 1), 0);
	bogus.frame = 3;
	assert_int_equal(sl_shmring_release(f.c, &bogus, 1), 0);
	assert_int_equal(sl_shmring_consumer_stats(f.c)->release_refused, 2);
	fx_down(&f);
}

static void
test_truncation(void **state)
{
	struct fx f;
	struct sl_shmring_pkt k[4];

	(void)state;
	fx_up(&f, 64, 4);
	assert_int_equal(produce_seq(f.p, 1, 1514), 0);
	assert_int_equal(produce_seq(f.p, 2, 64), 0);
	assert_int_equal(produce_seq(f.p, 3, 65), 0);
	assert_int_equal(sl_shmring_recv_burst(f.c, k, 4), 3);
	check_pkt(&k[0], 1, 1514, 64);
	assert_int_equal(k[0].caplen, 64);
	assert_int_equal(k[0].flags, SL_SHMRING_F_TRUNCATED);
	check_pkt(&k[1], 2, 64, 64);
	assert_int_equal(k[1].flags, 0);
	check_pkt(&k[2], 3, 65, 64);
	assert_int_equal(sl_shmring_producer_stats(f.p)->truncated, 2);
	/* the neighbour frame was not written past the frame size */
	sl_shmring_release(f.c, k, 3);
	fx_down(&f);
}

static uint64_t rng_state = 88172645463325252ull;

static uint32_t
rnd(uint32_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state % n);
}

/*
 * Many cycles on a small ring, random burst sizes and release delays: the
 * indexes wrap the ring thousands of times and the uint32_t space once
 * (they start 4096 short of the wrap).
 */
static void
test_wrap(void **state)
{
	struct fx f;
	struct sl_shmring_tx tx[8];
	struct sl_shmring_pkt held[8], k[8];
	static uint8_t bufs[8][200];
	unsigned int n_held = 0;
	uint32_t sent = 0, got = 0;

	(void)state;
	fx_up(&f, 256, 8);
	for (int iter = 0; iter < 60000; iter++) {
		unsigned int want = 1 + rnd(8), n;

		for (unsigned int i = 0; i < want; i++) {
			uint32_t seq = sent + i, len = pkt_len(seq, 200);

			fill(bufs[i], len, seq);
			tx[i] = (struct sl_shmring_tx){ .data = bufs[i], .len = len,
							.ts_ns = 1000ull * seq, .hash = seq * 7u,
							.tenant = (uint16_t)seq };
		}
		sent += sl_shmring_produce_burst(f.p, tx, want);
		n = sl_shmring_recv_burst(f.c, k, 1 + rnd(8));
		for (unsigned int i = 0; i < n; i++, got++) {
			check_pkt(&k[i], got, pkt_len(got, 200), 256);
			held[n_held++] = k[i];
		}
		/* sometimes keep frames for a while */
		if (n_held > 0 && (rnd(3) != 0 || n_held == 8)) {
			unsigned int r = 1 + rnd(n_held);

			assert_int_equal(sl_shmring_release(f.c, held, r), r);
			memmove(held, held + r, (n_held - r) * sizeof(held[0]));
			n_held -= r;
		}
	}
	assert_true(sent > 100000);
	assert_true(got + 8 >= sent);
	assert_int_equal(sl_shmring_producer_stats(f.p)->delivered, sent);
	assert_int_equal(sl_shmring_producer_stats(f.p)->bad_index +
				 sl_shmring_producer_stats(f.p)->bad_free, 0);
	assert_int_equal(sl_shmring_consumer_stats(f.c)->bad_desc +
				 sl_shmring_consumer_stats(f.c)->bad_index, 0);
	fx_down(&f);
}

static void
test_heartbeat(void **state)
{
	struct fx f;
	struct sl_shmring_pkt k[4];
	uint64_t now;

	(void)state;
	fx_up(&f, 128, 4);
	now = sl_shmring_now_ns();
	assert_true(sl_shmring_consumer_alive(f.p, now, SEC));
	assert_false(sl_shmring_consumer_alive(f.p, now + 2 * SEC, SEC));
	/* a heartbeat "in the future" within the timeout is fine, beyond it is not */
	assert_true(sl_shmring_consumer_alive(f.p, now - SEC / 2, SEC));
	assert_false(sl_shmring_consumer_alive(f.p, now - 2 * SEC, SEC));
	/* poll's verdict gates produce until the next poll */
	assert_int_equal(sl_shmring_poll(f.p, now + 2 * SEC, SEC), 0);
	assert_int_equal(produce_seq(f.p, 0, 60), -ENOTCONN);
	assert_int_equal(sl_shmring_recv_burst(f.c, k, 4), 0); /* heartbeat */
	now = sl_shmring_now_ns();
	assert_int_equal(sl_shmring_poll(f.p, now, SEC), 1);
	assert_int_equal(produce_seq(f.p, 0, 60), 0);
	assert_int_equal(sl_shmring_producer_stats(f.p)->no_consumer, 1);
	/* a closed consumer is dead at once */
	sl_shmring_close(f.c);
	f.c = NULL;
	assert_false(sl_shmring_consumer_alive(f.p, now, 100 * SEC));
	assert_int_equal(sl_shmring_poll(f.p, now, 100 * SEC), 0);
	/* a pending consumer (request not answered) is not alive either */
	assert_int_equal(sl_shmring_open(f.path, &f.c), 0);
	assert_false(sl_shmring_consumer_alive(f.p, sl_shmring_now_ns(), 100 * SEC));
	fx_down(&f);
}

/* One consumer at a time. */
static void
test_exclusive(void **state)
{
	struct fx f;
	struct sl_shmring_cons *c2 = NULL;

	(void)state;
	fx_up(&f, 128, 4);
	assert_int_equal(sl_shmring_open(f.path, &c2), -EBUSY);
	assert_null(c2);
	sl_shmring_close(f.c);
	assert_int_equal(sl_shmring_open(f.path, &f.c), 0);
	fx_down(&f);
}

/*
 * A consumer holding frames goes away (closing, then crashing) while the
 * producer keeps producing; the next consumer resumes at the queued packets
 * and, once they are released, the producer can fill every frame again.
 */
static void
test_reattach(void **state)
{
	struct fx f;
	struct sl_shmring_pkt k[64];
	uint32_t seq = 0, next_rx;
	unsigned int n;
	pid_t pid;
	int status;

	(void)state;
	fx_up(&f, 256, 64);
	for (; seq < 64; seq++)
		assert_int_equal(produce_seq(f.p, seq, 100), 0);
	assert_int_equal(produce_seq(f.p, seq, 100), -ENOBUFS);
	assert_int_equal(sl_shmring_recv_burst(f.c, k, 20), 20);
	assert_int_equal(sl_shmring_release(f.c, k, 5), 5);
	/* 15 held, 44 queued, 5 free */
	sl_shmring_close(f.c);
	f.c = NULL;
	assert_int_equal(sl_shmring_poll(f.p, sl_shmring_now_ns(), TIMEOUT), 0);
	for (int i = 0; i < 10; i++)
		assert_int_equal(produce_seq(f.p, seq, 100), -ENOTCONN);

	assert_int_equal(sl_shmring_open(f.path, &f.c), 0);
	assert_int_equal(sl_shmring_recv_burst(f.c, k, 64), 0); /* not answered yet */
	usleep(1500); /* rebuilds are at most one per ms */
	assert_int_equal(sl_shmring_poll(f.p, sl_shmring_now_ns(), TIMEOUT), 1);
	const struct sl_shmring_prod_stats *ps = sl_shmring_producer_stats(f.p);
	assert_int_equal(ps->attaches, 2);
	assert_int_equal(ps->reclaimed, 15);
	assert_int_equal(ps->requeued, 44);
	/* the 20 free frames are usable at once */
	for (int i = 0; i < 20; i++, seq++)
		assert_int_equal(produce_seq(f.p, seq, 100), 0);
	assert_int_equal(produce_seq(f.p, seq, 100), -ENOBUFS);
	/* resumed where the first consumer stopped */
	next_rx = 20;
	assert_int_equal(sl_shmring_recv_burst(f.c, k, 64), 64);
	for (unsigned int i = 0; i < 64; i++, next_rx++)
		check_pkt(&k[i], next_rx, 100, 256);
	assert_int_equal(sl_shmring_release(f.c, k, 64), 64);
	/* nothing leaked: all 64 frames again */
	for (int i = 0; i < 64; i++, seq++)
		assert_int_equal(produce_seq(f.p, seq, 100), 0);
	assert_int_equal(produce_seq(f.p, seq, 100), -ENOBUFS);

	/* A consumer that dies holding frames, without closing. */
	sl_shmring_close(f.c);
	f.c = NULL;
	usleep(1500);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct sl_shmring_cons *c;
		struct sl_shmring_pkt kk[64];

		if (sl_shmring_open(f.path, &c) != 0)
			_exit(2);
		for (int i = 0; i < 10000 && !sl_shmring_attached(c); i++)
			usleep(100);
		if (sl_shmring_recv_burst(c, kk, 30) != 30)
			_exit(3);
		_exit(0); /* holding 30 frames, no close */
	}
	for (int i = 0; i < 2000; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
		sl_shmring_poll(f.p, sl_shmring_now_ns(), TIMEOUT);
		usleep(1000);
	}
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	/* its heartbeat stays, stale */
	assert_false(sl_shmring_consumer_alive(f.p, sl_shmring_now_ns() + 2 * SEC, SEC));
	assert_int_equal(sl_shmring_poll(f.p, sl_shmring_now_ns() + 2 * SEC, SEC), 0);
	assert_int_equal(sl_shmring_open(f.path, &f.c), 0); /* its flock went with it */
	usleep(1500);
	assert_int_equal(sl_shmring_poll(f.p, sl_shmring_now_ns(), TIMEOUT), 1);
	assert_int_equal(ps->attaches, 4);
	assert_int_equal(ps->reclaimed, 15 + 30);
	n = sl_shmring_recv_burst(f.c, k, 64);
	assert_int_equal(n, 34);
	for (unsigned int i = 0; i < n; i++)
		check_pkt(&k[i], seq - 34 + i, 100, 256);
	assert_int_equal(sl_shmring_release(f.c, k, n), n);
	for (int i = 0; i < 64; i++, seq++)
		assert_int_equal(produce_seq(f.p, seq, 100), 0);
	assert_int_equal(produce_seq(f.p, seq, 100), -ENOBUFS);
	fx_down(&f);
}

/* A consumer bumping the attach counter cannot make the worker rebuild more
 * than once per millisecond. */
static void
test_rebuild_rate(void **state)
{
	struct sl_shmring_prod *p;
	struct sl_shmring_cons *c;
	const char *path = new_path();
	uint64_t t0 = sl_shmring_now_ns();

	(void)state;
	assert_int_equal(sl_shmring_create(path, 128, 4, &p), 0);
	assert_int_equal(sl_shmring_open(path, &c), 0);
	assert_int_equal(sl_shmring_poll(p, t0, TIMEOUT), 1);
	sl_shmring_close(c);
	assert_int_equal(sl_shmring_open(path, &c), 0);
	assert_int_equal(sl_shmring_poll(p, t0 + 1000, TIMEOUT), 0);
	assert_false(sl_shmring_attached(c));
	assert_int_equal(sl_shmring_poll(p, t0 + 999999, TIMEOUT), 0);
	assert_false(sl_shmring_attached(c));
	assert_int_equal(sl_shmring_poll(p, t0 + 1000000, TIMEOUT), 1);
	assert_true(sl_shmring_attached(c));
	assert_int_equal(sl_shmring_producer_stats(p)->attaches, 2);
	sl_shmring_close(c);
	sl_shmring_destroy(p, true);
}

/*
 * A region written by hand from the documented layout, with a geometry the
 * library would not choose (rings of different sizes, gaps, frames not
 * page-aligned). The test is the producer.
 */
struct forged {
	char path[256];
	int fd;
	uint8_t *base;
	size_t len;
	struct shm_hdr *h;
	struct shm_ring_idx *rx_idx;
	struct shm_desc *rx;
	struct shm_ring_idx *free_idx;
	uint64_t *free_ring;
	uint8_t *frames;
	uint32_t fs, nf, rxs, frs;
};

static void
forge(struct forged *f, uint32_t fs, uint32_t nf, uint32_t rxs, uint32_t frs)
{
	uint64_t rx_off = 4096 + 192, free_off, frames_off, end;

	snprintf(f->path, sizeof(f->path), "%s", new_path());
	free_off = rx_off + 256 + (uint64_t)rxs * 32 + 64;
	frames_off = free_off + 256 + (uint64_t)frs * 8 + 128;
	end = frames_off + (uint64_t)nf * fs;
	f->len = end + 4096;
	f->fs = fs;
	f->nf = nf;
	f->rxs = rxs;
	f->frs = frs;
	f->fd = open(f->path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(f->fd >= 0);
	assert_int_equal(ftruncate(f->fd, (off_t)f->len), 0);
	f->base = mmap(NULL, f->len, PROT_READ | PROT_WRITE, MAP_SHARED, f->fd, 0);
	assert_true(f->base != MAP_FAILED);
	f->h = (struct shm_hdr *)f->base;
	f->h->version = 1;
	f->h->hdr_size = 4096;
	f->h->frame_size = fs;
	f->h->n_frames = nf;
	f->h->rx_size = rxs;
	f->h->free_size = frs;
	f->h->rx_off = rx_off;
	f->h->free_off = free_off;
	f->h->frames_off = frames_off;
	f->h->region_size = end;
	f->h->generation = 42;
	f->h->producer_pid = 1;
	f->h->desc_size = 32;
	atomic_store(&f->h->producer_state, 1);
	f->h->magic = SHM_MAGIC;
	f->rx_idx = (struct shm_ring_idx *)(f->base + rx_off);
	f->rx = (struct shm_desc *)(f->base + rx_off + 256);
	f->free_idx = (struct shm_ring_idx *)(f->base + free_off);
	f->free_ring = (uint64_t *)(f->base + free_off + 256);
	f->frames = f->base + frames_off;
	/* indexes may start anywhere */
	atomic_store(&f->rx_idx->prod, 1000);
	atomic_store(&f->rx_idx->cons, 1000);
	atomic_store(&f->free_idx->prod, 77);
	atomic_store(&f->free_idx->cons, 77);
}

static void
unforge(struct forged *f)
{
	munmap(f->base, f->len);
	close(f->fd);
	unlink(f->path);
}

static struct sl_shmring_cons *
forged_attach(struct forged *f)
{
	struct sl_shmring_cons *c = NULL;

	assert_int_equal(sl_shmring_open(f->path, &c), 0);
	uint64_t req = atomic_load(&f->h->attach_req);
	assert_true(req != 0);
	assert_true(atomic_load(&f->h->heartbeat_ns) != 0);
	assert_false(sl_shmring_attached(c));
	atomic_store(&f->h->attach_ack, req);
	assert_true(sl_shmring_attached(c));
	return c;
}

static void
put_desc(struct forged *f, uint32_t idx, uint64_t off, uint32_t len, uint32_t caplen, uint32_t seq)
{
	struct shm_desc *d = &f->rx[idx & (f->rxs - 1)];

	d->offset = off;
	d->len = len;
	d->caplen = caplen;
	d->ts_ns = 1000ull * seq;
	d->hash = seq * 7u;
	d->tenant = (uint16_t)seq;
	d->flags = caplen < len ? SL_SHMRING_F_TRUNCATED : 0;
	if (off < (uint64_t)f->nf * f->fs && caplen <= f->fs)
		fill(f->frames + off, caplen, seq);
}

/* Every header field that matters, corrupted one at a time. */
static void
test_forged_header(void **state)
{
	struct forged f;
	struct shm_hdr good;
	struct sl_shmring_cons *c = NULL;
	int rc;

	(void)state;
	forge(&f, 256, 16, 32, 64);
	memcpy(&good, f.h, sizeof(good));
	c = forged_attach(&f);
	sl_shmring_close(c);
	c = NULL;

	enum { N_CASES = 33 };
	for (int i = 0; i < N_CASES; i++) {
		int want = -EINVAL;

		memcpy(f.h, &good, sizeof(good));
		switch (i) {
		case 0: f.h->magic ^= 1; want = -EBADMSG; break;
		case 1: f.h->magic = 0; want = -EBADMSG; break;
		case 2: f.h->version = 2; want = -EBADMSG; break;
		case 3: f.h->version = 0; want = -EBADMSG; break;
		case 4: f.h->hdr_size = 2048; break;
		case 5: f.h->desc_size = 16; break;
		case 6: f.h->frame_size = 100; break;
		case 7: f.h->frame_size = 32; break;
		case 8: f.h->frame_size = 0; break;
		case 9: f.h->frame_size = 1u << 31; break;
		case 10: f.h->n_frames = 0; break;
		case 11: f.h->n_frames = 3; break;
		case 12: f.h->n_frames = 1u << 31; break;
		case 13: f.h->n_frames = 128; break; /* more frames than free-ring entries */
		case 14: f.h->rx_size = 0; break;
		case 15: f.h->free_size = 48; break;
		case 16: f.h->rx_off = 0; break; /* ring over the header */
		case 17: f.h->rx_off = 4032; break;
		case 18: f.h->rx_off = 4096 + 200; break; /* misaligned */
		case 19: f.h->rx_off = UINT64_MAX & ~63ull; break; /* overflows */
		case 20: f.h->free_off = good.rx_off + 256; break; /* over the rx ring */
		case 21: f.h->free_off = UINT64_MAX - 63; break;
		case 22: f.h->frames_off = good.free_off + 64; break; /* over the free ring */
		case 23: f.h->frames_off = UINT64_MAX & ~63ull; break;
		case 24: f.h->frames_off = good.frames_off + f.len; break; /* past the file */
		case 25: f.h->frames_off = 0; break;
		case 26: f.h->region_size = good.region_size + 64; break;
		case 27: f.h->region_size = f.len + 4096; break;
		case 28: /* a large geometry whose frames end past the file */
			f.h->n_frames = 1u << 24;
			f.h->frame_size = 1u << 20;
			f.h->free_size = 1u << 24;
			f.h->region_size = good.frames_off + (1ull << 44);
			break;
		case 29: /* sizes whose product overflows 64 bits are out of range anyway */
			f.h->n_frames = 1u << 31;
			f.h->frame_size = 1u << 31;
			break;
		case 30: f.h->rx_size = 1u << 25; break;
		case 31: atomic_store(&f.h->producer_state, SHM_STATE_CLOSED); want = -ENOTCONN;
			break;
		case 32: f.h->frames_off = good.frames_off + 1; break;
		}
		rc = sl_shmring_open(f.path, &c);
		if (rc != want)
			print_error("case %d: rc %d, want %d\n", i, rc, want);
		assert_int_equal(rc, want);
		assert_null(c);
	}
	/* the file shrinks under the header's feet */
	memcpy(f.h, &good, sizeof(good));
	assert_int_equal(ftruncate(f.fd, (off_t)good.region_size - 1), 0);
	assert_int_equal(sl_shmring_open(f.path, &c), -EINVAL);
	assert_int_equal(ftruncate(f.fd, 4095), 0);
	assert_int_equal(sl_shmring_open(f.path, &c), -EINVAL);
	assert_int_equal(ftruncate(f.fd, 0), 0);
	assert_int_equal(sl_shmring_open(f.path, &c), -EINVAL);
	assert_int_equal(ftruncate(f.fd, (off_t)f.len), 0);
	memcpy(f.h, &good, sizeof(good));
	assert_int_equal(sl_shmring_open(f.path, &c), 0);
	sl_shmring_close(c);
	unforge(&f);
}

/* Descriptors from a faulty producer: skipped, counted, frames never touched. */
static void
test_forged_desc(void **state)
{
	struct forged f;
	struct sl_shmring_cons *c;
	struct sl_shmring_pkt k[16];
	const struct sl_shmring_cons_stats *cs;
	uint32_t fs = 256, idx = 1000;

	(void)state;
	forge(&f, fs, 16, 32, 16);
	c = forged_attach(&f);
	cs = sl_shmring_consumer_stats(c);
	put_desc(&f, idx + 0, 16ull * fs, 60, 60, 0);         /* past the frame area */
	put_desc(&f, idx + 1, fs / 2, 60, 60, 1);             /* misaligned */
	put_desc(&f, idx + 2, 2ull * fs, fs + 1, fs + 1, 2);  /* caplen > frame size */
	put_desc(&f, idx + 3, 3ull * fs, 5, 10, 3);           /* caplen > len */
	put_desc(&f, idx + 4, UINT64_MAX - fs + 1, 60, 60, 4); /* aligned, huge */
	put_desc(&f, idx + 5, 5ull * fs, 60, 60, 5);          /* fine */
	put_desc(&f, idx + 6, 6ull * fs, 9000, fs, 6);        /* fine, truncated */
	atomic_store(&f.rx_idx->prod, idx + 7);
	assert_int_equal(sl_shmring_recv_burst(c, k, 16), 2);
	assert_int_equal(k[0].frame, 5ull * fs); /* (another mapping of the same bytes) */
	check_pkt(&k[0], 5, 60, fs);
	check_pkt(&k[1], 6, 9000, fs);
	assert_int_equal(cs->bad_desc, 5);
	assert_int_equal(atomic_load(&f.rx_idx->cons), idx + 7);
	/* the two frames with a valid offset went back on the free ring */
	assert_int_equal(atomic_load(&f.free_idx->prod), 77 + 2);
	assert_int_equal(f.free_ring[77 & 15], 2ull * fs);
	assert_int_equal(f.free_ring[78 & 15], 3ull * fs);
	assert_int_equal(sl_shmring_release(c, k, 2), 2);
	assert_int_equal(atomic_load(&f.free_idx->prod), 77 + 4);
	idx += 7;

	/* the producer index far ahead: nothing read, consumer resyncs */
	put_desc(&f, idx, UINT64_MAX, 60, 60, 0);
	atomic_store(&f.rx_idx->prod, idx + 32 + 5);
	assert_int_equal(sl_shmring_recv_burst(c, k, 16), 0);
	assert_int_equal(cs->bad_index, 1);
	assert_int_equal(cs->bad_desc, 5);
	idx += 37;
	assert_int_equal(atomic_load(&f.rx_idx->cons), idx);
	/* ... or behind the consumer */
	atomic_store(&f.rx_idx->prod, idx - 1);
	assert_int_equal(sl_shmring_recv_burst(c, k, 16), 0);
	assert_int_equal(cs->bad_index, 2);
	idx -= 1;
	/* and a sane descriptor afterwards is received */
	put_desc(&f, idx, 7ull * fs, 100, 100, 9);
	atomic_store(&f.rx_idx->prod, idx + 1);
	assert_int_equal(sl_shmring_recv_burst(c, k, 16), 1);
	check_pkt(&k[0], 9, 100, fs);

	/*
	 * The free ring as the producer left it: 4 entries not yet taken
	 * (77..80), room for 12. Releasing 16 frames returns 12.
	 */
	struct sl_shmring_pkt many[16];
	uint32_t fp = atomic_load(&f.free_idx->prod);

	assert_int_equal(fp, 81);
	for (uint32_t i = 0; i < 16; i++) {
		many[i] = k[0];
		many[i].frame = (uint64_t)i * fs;
	}
	assert_int_equal(sl_shmring_release(c, many, 16), 12);
	assert_int_equal(cs->release_refused, 4);
	assert_int_equal(cs->bad_index, 2);
	/* a producer index ahead of ours: refused, counted */
	atomic_store(&f.free_idx->cons, fp + 12 + 5);
	assert_int_equal(sl_shmring_release(c, many, 1), 0);
	assert_int_equal(cs->bad_index, 3);
	assert_int_equal(cs->release_refused, 5);
	/* the producer took everything: room again */
	atomic_store(&f.free_idx->cons, fp + 12);
	assert_int_equal(sl_shmring_release(c, many, 1), 1);
	assert_int_equal(atomic_load(&f.free_idx->prod), fp + 13);
	sl_shmring_close(c);
	assert_int_equal(atomic_load(&f.h->heartbeat_ns), 0);
	unforge(&f);
}

/* Free-ring entries and indexes from a faulty consumer: dropped, counted;
 * the next attach repairs everything. */
static void
test_forged_free(void **state)
{
	struct fx f;
	struct sl_shmring_pkt k[8];
	struct shm_hdr *h;
	struct shm_ring_idx *rx_idx, *free_idx;
	uint64_t *free_ring;
	uint32_t fs = 128, fp, seq = 0;
	int fd;
	void *base;
	struct stat st;

	(void)state;
	fx_up(&f, fs, 8);
	fd = open(f.path, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	base = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(base != MAP_FAILED);
	h = base;
	rx_idx = (struct shm_ring_idx *)((uint8_t *)base + h->rx_off);
	free_idx = (struct shm_ring_idx *)((uint8_t *)base + h->free_off);
	free_ring = (uint64_t *)((uint8_t *)free_idx + 256);

	for (; seq < 8; seq++)
		assert_int_equal(produce_seq(f.p, seq, 100), 0);
	/* receive consumer index ahead of the producer: counted, the ring is full */
	uint32_t rc0 = atomic_load(&rx_idx->cons);
	atomic_store(&rx_idx->cons, atomic_load(&rx_idx->prod) + 3);
	assert_int_equal(produce_seq(f.p, seq, 100), -ENOBUFS);
	const struct sl_shmring_prod_stats *ps = sl_shmring_producer_stats(f.p);
	assert_int_equal(ps->bad_index, 1);
	atomic_store(&rx_idx->cons, rc0);
	assert_int_equal(sl_shmring_recv_burst(f.c, k, 8), 8);
	/* the test, as the consumer, writes garbage and one good frame */
	fp = atomic_load(&free_idx->prod);
	free_ring[(fp + 0) & 7] = 8ull * fs;           /* past the area */
	free_ring[(fp + 1) & 7] = fs / 2;              /* misaligned */
	free_ring[(fp + 2) & 7] = UINT64_MAX;
	free_ring[(fp + 3) & 7] = 3ull * fs;           /* fine */
	free_ring[(fp + 4) & 7] = (uint64_t)1 << 40;
	atomic_store(&free_idx->prod, fp + 5);
	assert_int_equal(produce_seq(f.p, seq, 100), 0);
	assert_int_equal(produce_seq(f.p, seq + 1, 100), -ENOBUFS);
	assert_int_equal(ps->bad_free, 4);
	assert_int_equal(ps->delivered, 9);
	assert_int_equal(atomic_load(&free_idx->cons), fp + 5);
	/* the packet went into the one good frame */
	assert_int_equal(sl_shmring_recv_burst(f.c, k, 8), 1);
	assert_int_equal(k[0].frame, 3ull * fs);
	check_pkt(&k[0], seq, 100, fs);
	seq++;
	/* free producer index far ahead, or behind: refused, counted */
	atomic_store(&free_idx->prod, fp + 5 + 8 + 3);
	assert_int_equal(produce_seq(f.p, seq, 100), -ENOBUFS);
	assert_int_equal(ps->bad_index, 2);
	atomic_store(&free_idx->prod, fp + 4);
	assert_int_equal(produce_seq(f.p, seq, 100), -ENOBUFS);
	assert_int_equal(ps->bad_index, 3);
	/* a storm of bad entries costs at most one free ring's worth per call */
	for (int i = 0; i < 8; i++)
		free_ring[(fp + 5 + i) & 7] = 1;
	atomic_store(&free_idx->prod, fp + 5 + 8);
	assert_int_equal(produce_seq(f.p, seq, 100), -ENOBUFS);
	assert_int_equal(ps->bad_free, 4 + 8);

	/* a new consumer: the rebuild puts every frame back */
	sl_shmring_close(f.c);
	assert_int_equal(sl_shmring_open(f.path, &f.c), 0);
	usleep(1500);
	assert_int_equal(sl_shmring_poll(f.p, sl_shmring_now_ns(), TIMEOUT), 1);
	for (int i = 0; i < 8; i++, seq++)
		assert_int_equal(produce_seq(f.p, seq, 100), 0);
	assert_int_equal(produce_seq(f.p, seq, 100), -ENOBUFS);
	assert_int_equal(sl_shmring_recv_burst(f.c, k, 8), 8);
	for (int i = 0; i < 8; i++)
		check_pkt(&k[i], seq - 8 + (uint32_t)i, 100, fs);
	munmap(base, (size_t)st.st_size);
	close(fd);
	fx_down(&f);
}

/* The producer replaces the file: the old consumer learns it is stale. */
static void
test_replace(void **state)
{
	struct fx f;
	struct sl_shmring_prod *p2;
	struct sl_shmring_cons *c2;
	struct sl_shmring_info i1, i2;

	(void)state;
	fx_up(&f, 128, 4);
	assert_int_equal(produce_seq(f.p, 0, 60), 0);
	assert_int_equal(sl_shmring_create(f.path, 256, 8, &p2), 0);
	assert_int_equal(sl_shmring_stale(f.c), 1);
	/* the old mapping still works */
	struct sl_shmring_pkt k[4];
	assert_int_equal(sl_shmring_recv_burst(f.c, k, 4), 1);
	check_pkt(&k[0], 0, 60, 128);
	assert_int_equal(sl_shmring_open(f.path, &c2), 0);
	sl_shmring_consumer_info(f.c, &i1);
	sl_shmring_consumer_info(c2, &i2);
	assert_true(i1.generation != i2.generation);
	assert_int_equal(i2.frame_size, 256);
	/* the old producer does not unlink the new file */
	sl_shmring_destroy(f.p, true);
	assert_int_equal(access(f.path, F_OK), 0);
	assert_int_equal(sl_shmring_stale(c2), 0);
	sl_shmring_close(f.c);
	sl_shmring_close(c2);
	sl_shmring_destroy(p2, true);
	assert_int_equal(access(f.path, F_OK), -1);
}

#define XPROC_PKTS 50000u

/* Child: consume XPROC_PKTS packets, check content and order. */
static int
xproc_child(const char *path)
{
	struct sl_shmring_cons *c;
	struct sl_shmring_pkt k[32];
	uint32_t next = 0;
	uint64_t idle_since = sl_shmring_now_ns();

	if (sl_shmring_open(path, &c) != 0)
		return 2;
	while (next < XPROC_PKTS) {
		unsigned int n = sl_shmring_recv_burst(c, k, 32);

		if (n == 0) {
			if (sl_shmring_now_ns() - idle_since > 20 * SEC)
				return 3;
			sched_yield();
			continue;
		}
		idle_since = sl_shmring_now_ns();
		for (unsigned int i = 0; i < n; i++, next++) {
			uint32_t len = pkt_len(next, 1500);

			if (k[i].len != len || k[i].caplen != len || k[i].ts_ns != 1000ull * next ||
			    k[i].hash != next * 7u || k[i].tenant != (uint16_t)next ||
			    !check_bytes(k[i].data, len, next))
				return 4;
		}
		if (sl_shmring_release(c, k, n) != n)
			return 5;
	}
	if (sl_shmring_consumer_stats(c)->bad_desc != 0)
		return 6;
	sl_shmring_close(c);
	return 0;
}

static void
test_two_process(void **state)
{
	struct sl_shmring_prod *p;
	char path[256];
	pid_t pid;
	int status = -1, rc;
	uint32_t seq = 0;
	uint64_t start;

	(void)state;
	snprintf(path, sizeof(path), "%s", new_path());
	assert_int_equal(sl_shmring_create(path, 2048, 256, &p), 0);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(xproc_child(path));
	start = sl_shmring_now_ns();
	while (seq < XPROC_PKTS && sl_shmring_now_ns() - start < 60 * SEC) {
		sl_shmring_poll(p, sl_shmring_now_ns(), TIMEOUT);
		for (int i = 0; i < 64 && seq < XPROC_PKTS; i++) {
			rc = produce_seq(p, seq, pkt_len(seq, 1500));
			if (rc != 0) {
				sched_yield();
				break;
			}
			seq++;
		}
		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
	}
	if (status == -1)
		assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(seq, XPROC_PKTS);
	assert_int_equal(sl_shmring_producer_stats(p)->delivered, XPROC_PKTS);
	assert_int_equal(sl_shmring_producer_stats(p)->bad_free, 0);
	sl_shmring_destroy(p, true);
}

#define RACE_PKTS 2000000u

struct race {
	const char *path;
	atomic_bool attached;
	atomic_bool done;
	uint64_t received, refused;
	int err;
};

/* A consumer thread that releases every packet as soon as it has it. */
static void *
race_consumer(void *arg)
{
	struct race *r = arg;
	struct sl_shmring_cons *c;
	struct sl_shmring_pkt k[32];

	if (sl_shmring_open(r->path, &c) != 0) {
		r->err = 1;
		atomic_store(&r->attached, true);
		return NULL;
	}
	while (!sl_shmring_attached(c))
		sl_shmring_recv_burst(c, k, 32); /* heartbeat until answered */
	atomic_store(&r->attached, true);
	while (r->received < RACE_PKTS && !atomic_load(&r->done)) {
		unsigned int n = sl_shmring_recv_burst(c, k, 32);

		r->refused += n - sl_shmring_release(c, k, n);
		__atomic_store_n(&r->received, r->received + n, __ATOMIC_RELAXED);
	}
	sl_shmring_close(c);
	return NULL;
}

/*
 * A frame the consumer holds can always be given back. The producer takes a
 * frame off the free ring and publishes a descriptor for it; a consumer that
 * saw the descriptor before the producer's free-ring index moved would find
 * the free ring full (all its slots still counted as the producer's) and its
 * release refused, the frame lost to the ring until the next attach. Only
 * threads on two CPUs can see that interleaving: a tiny ring, millions of
 * packets.
 */
static void
test_release_never_refused(void **state)
{
	struct sl_shmring_prod *p;
	struct race r = { 0 };
	pthread_t th;
	uint32_t seq = 0;
	uint64_t start;
	uint8_t buf[64];

	(void)state;
	r.path = new_path();
	assert_int_equal(sl_shmring_create(r.path, 64, 4, &p), 0);
	assert_int_equal(pthread_create(&th, NULL, race_consumer, &r), 0);
	start = sl_shmring_now_ns();
	while (!atomic_load(&r.attached) && sl_shmring_now_ns() - start < 20 * SEC)
		sl_shmring_poll(p, sl_shmring_now_ns(), TIMEOUT);
	memset(buf, 0xab, sizeof(buf));
	while (seq < RACE_PKTS && r.err == 0 && sl_shmring_now_ns() - start < 60 * SEC) {
		if (sl_shmring_produce(p, buf, sizeof(buf), seq, seq, 0) == 0)
			seq++;
		if ((seq & 1023) == 0)
			sl_shmring_poll(p, sl_shmring_now_ns(), TIMEOUT);
	}
	start = sl_shmring_now_ns();
	while (__atomic_load_n(&r.received, __ATOMIC_RELAXED) < seq &&
	       sl_shmring_now_ns() - start < 20 * SEC)
		sched_yield();
	atomic_store(&r.done, true);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(r.err, 0);
	assert_int_equal(seq, RACE_PKTS);
	assert_int_equal(r.received, RACE_PKTS);
	assert_int_equal(r.refused, 0);
	sl_shmring_destroy(p, true);
}

/* hugetlbfs, when there is a page to spare: file sized to the page. */
static void
test_hugetlbfs(void **state)
{
	struct sl_shmring_prod *p;
	struct sl_shmring_cons *c;
	struct sl_shmring_pkt k[4];
	struct stat st;
	char path[256];
	int rc;

	(void)state;
	snprintf(path, sizeof(path), "/dev/hugepages/sl_test_shmring.%ld", (long)getpid());
	rc = sl_shmring_create(path, 2048, 512, &p);
	if (rc != 0) {
		print_message("hugetlbfs unavailable (%s): skipped\n", strerror(-rc));
		skip();
	}
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size % (2 << 20), 0);
	assert_int_equal(sl_shmring_open(path, &c), 0);
	assert_int_equal(sl_shmring_poll(p, sl_shmring_now_ns(), TIMEOUT), 1);
	assert_int_equal(produce_seq(p, 1, 1000), 0);
	assert_int_equal(sl_shmring_recv_burst(c, k, 4), 1);
	check_pkt(&k[0], 1, 1000, 2048);
	sl_shmring_release(c, k, 1);
	sl_shmring_close(c);
	sl_shmring_destroy(p, true);
	assert_int_equal(access(path, F_OK), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stat_names),
		cmocka_unit_test(test_bad_args),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_burst),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_wrap),
		cmocka_unit_test(test_heartbeat),
		cmocka_unit_test(test_exclusive),
		cmocka_unit_test(test_reattach),
		cmocka_unit_test(test_rebuild_rate),
		cmocka_unit_test(test_forged_header),
		cmocka_unit_test(test_forged_desc),
		cmocka_unit_test(test_forged_free),
		cmocka_unit_test(test_replace),
		cmocka_unit_test(test_two_process),
		cmocka_unit_test(test_release_never_refused),
		cmocka_unit_test(test_hugetlbfs),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
