/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests: de-duplication (lib/dedup). Real frames from sl_frames.h,
 * parsed with sl_parse() to find their IP header as the worker does; what a
 * router rewrites (TTL, hop limit, IPv4 checksum) must not tell copies
 * apart, anything else of the first SL_DEDUP_SPAN bytes must.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include <rte_common.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_memory.h>

#include "sl_dedup.h"
#include "sl_flow.h"
#include "sl_frames.h"
#include "sl_parse.h"
#include "sl_test_eal.h"

#define SEED 0x9e3779b9u
#define WINDOW 1000u

/* IPv4 header checksum over @p hlen bytes at @p ip, written in place. */
static void
v4_cksum(uint8_t *ip)
{
	uint32_t hlen = (ip[0] & 0xf) * 4u, sum = 0;

	ip[10] = ip[11] = 0;
	for (uint32_t i = 0; i < hlen; i += 2)
		sum += (uint32_t)ip[i] << 8 | ip[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	fb_wr16(ip + 10, (uint16_t)~sum);
}

/* UDP over IPv4 with @p payload bytes; returns the IP header offset. */
static uint32_t
udp4(struct fb_frame *f, uint32_t payload)
{
	fb_eth(f, 0x0800);
	fb_ipv4(f, 17, 5, 0x4000, 0x1234, FB_V4A, FB_V4B);
	fb_udp(f, 5353, 53);
	fb_data(f, payload);
	fb_done(f);
	v4_cksum(f->b + f->l3_off);
	return f->l3_off;
}

/* TCP over IPv6 with @p payload bytes; returns the IP header offset. */
static uint32_t
tcp6(struct fb_frame *f, uint32_t payload)
{
	fb_eth(f, 0x86dd);
	fb_ipv6(f, 6, FB_V6A, FB_V6B);
	fb_tcp(f, 40000, 443, 0x18, 5);
	fb_data(f, payload);
	fb_done(f);
	return f->l3_off;
}

/* The signature of a frame's IP packet, found by the parser. */
static struct sl_dedup_sig
sig_of(const struct fb_frame *f)
{
	struct sl_pkt_info pi;
	struct sl_dedup_sig s;

	sl_parse_eth(f->b, f->len, &pi);
	assert_int_not_equal(pi.l3, SL_L3_NONE);
	assert_int_equal(sl_dedup_signature(f->b + pi.l3_off, f->len - pi.l3_off, SEED, &s), 0);
	return s;
}

static bool
sig_eq(struct sl_dedup_sig a, struct sl_dedup_sig b)
{
	return a.hash == b.hash && a.check == b.check;
}

static void
test_create_bounds(void **state)
{
	struct sl_dedup *d;

	(void)state;
	assert_null(sl_dedup_create("dd", 0, SOCKET_ID_ANY));
	assert_int_equal(rte_errno, EINVAL);
	assert_null(sl_dedup_create("dd", SL_DEDUP_MIN_ENTRIES - 1, SOCKET_ID_ANY));
	assert_null(sl_dedup_create("dd", SL_DEDUP_MAX_ENTRIES + 1, SOCKET_ID_ANY));
	d = sl_dedup_create("dd", SL_DEDUP_MIN_ENTRIES, SOCKET_ID_ANY);
	assert_non_null(d);
	assert_int_equal(sl_dedup_capacity(d), SL_DEDUP_MIN_ENTRIES);
	sl_dedup_free(d);
	d = sl_dedup_create("dd", 100, SOCKET_ID_ANY); /* 25 sets -> 32 */
	assert_non_null(d);
	assert_int_equal(sl_dedup_capacity(d), 128);
	sl_dedup_free(d);
	sl_dedup_free(NULL);
}

static void
test_identical(void **state)
{
	struct fb_frame a, b;
	struct sl_dedup *d = sl_dedup_create("dd", 1024, SOCKET_ID_ANY);

	(void)state;
	udp4(&a, 30);
	udp4(&b, 30);
	assert_true(sig_eq(sig_of(&a), sig_of(&b)));
	struct sl_dedup_sig s = sig_of(&a);
	assert_int_equal(sl_dedup_check(d, &s, 10, WINDOW), SL_DEDUP_NEW);
	assert_int_equal(sl_dedup_check(d, &s, 11, WINDOW), SL_DEDUP_DUPLICATE);
	/* the same bytes, another seed: another signature */
	struct sl_dedup_sig o;
	sl_dedup_signature(a.b + a.l3_off, a.len - a.l3_off, SEED + 1, &o);
	assert_int_not_equal(o.hash, s.hash);
	sl_dedup_free(d);
}

/* A router decremented the TTL and fixed the checksum; or only one of them
 * differs (an offloaded or broken checksum): still the same packet. */
static void
test_ttl_and_checksum(void **state)
{
	struct fb_frame a, b;
	uint32_t l3;

	(void)state;
	udp4(&a, 30);
	l3 = udp4(&b, 30);
	b.b[l3 + 8] = 63;
	v4_cksum(b.b + l3);
	assert_int_not_equal(memcmp(a.b, b.b, a.len), 0);
	assert_true(sig_eq(sig_of(&a), sig_of(&b)));
	/* the checksum alone */
	udp4(&b, 30);
	b.b[l3 + 10] ^= 0x5a;
	assert_true(sig_eq(sig_of(&a), sig_of(&b)));
	/* TTL 1 and a zero checksum */
	udp4(&b, 30);
	b.b[l3 + 8] = 1;
	b.b[l3 + 10] = b.b[l3 + 11] = 0;
	assert_true(sig_eq(sig_of(&a), sig_of(&b)));
	/* but not the IP id, the DF bit, the protocol or an address */
	static const uint32_t other[] = { 4, 6, 9, 12, 19 };
	for (unsigned int i = 0; i < RTE_DIM(other); i++) {
		udp4(&b, 30);
		b.b[l3 + other[i]] ^= 0x01;
		assert_false(sig_eq(sig_of(&a), sig_of(&b)));
	}
}

static void
test_ipv6_hop_limit(void **state)
{
	struct fb_frame a, b;
	uint32_t l3;

	(void)state;
	tcp6(&a, 40);
	l3 = tcp6(&b, 40);
	b.b[l3 + 7] = 3;
	assert_true(sig_eq(sig_of(&a), sig_of(&b)));
	/* traffic class, flow label, addresses do count */
	static const uint32_t other[] = { 1, 3, 8, 23, 24, 39 };
	for (unsigned int i = 0; i < RTE_DIM(other); i++) {
		tcp6(&b, 40);
		b.b[l3 + other[i]] ^= 0x10;
		assert_false(sig_eq(sig_of(&a), sig_of(&b)));
	}
}

/* Every byte of the L4 header and of the payload within the span counts,
 * the L4 checksum included; past the span they do not (the L4 checksum
 * covers them for TCP and UDP). */
static void
test_payload_prefix(void **state)
{
	struct fb_frame a, b;
	uint32_t l3;

	(void)state;
	l3 = udp4(&a, 400);
	for (uint32_t off = 20; off < SL_DEDUP_SPAN; off++) {
		udp4(&b, 400);
		b.b[l3 + off] ^= 0x80;
		assert_false(sig_eq(sig_of(&a), sig_of(&b)));
	}
	for (uint32_t off = SL_DEDUP_SPAN; off < 420; off += 7) {
		udp4(&b, 400);
		b.b[l3 + off] ^= 0x80;
		assert_true(sig_eq(sig_of(&a), sig_of(&b)));
	}
	/* the same payload past the span but a different length: the header
	 * tells */
	udp4(&b, 401);
	assert_false(sig_eq(sig_of(&a), sig_of(&b)));
	/* IPv6 likewise */
	l3 = tcp6(&a, 400);
	tcp6(&b, 400);
	b.b[l3 + 100] ^= 1;
	assert_false(sig_eq(sig_of(&a), sig_of(&b)));
	tcp6(&b, 400);
	b.b[l3 + 300] ^= 1;
	assert_true(sig_eq(sig_of(&a), sig_of(&b)));
}

/* Ethernet padding after a short IP packet is not part of it. */
static void
test_padding(void **state)
{
	struct fb_frame a, b;

	(void)state;
	udp4(&a, 2);
	udp4(&b, 2);
	fb_fill(&a, 16, 0x00);
	fb_fill(&b, 16, 0xee);
	assert_true(sig_eq(sig_of(&a), sig_of(&b)));
	tcp6(&a, 0);
	tcp6(&b, 0);
	fb_fill(&b, 6, 0xee);
	assert_true(sig_eq(sig_of(&a), sig_of(&b)));
}

/* Remembered for the window, from the first copy's time. */
static void
test_window(void **state)
{
	struct sl_dedup *d = sl_dedup_create("dd", 64, SOCKET_ID_ANY);
	struct sl_dedup_sig s = { .hash = 0xabcd, .check = 7 };

	(void)state;
	assert_int_equal(sl_dedup_check(d, &s, 100, WINDOW), SL_DEDUP_NEW);
	assert_int_equal(sl_dedup_check(d, &s, 100 + WINDOW, WINDOW), SL_DEDUP_DUPLICATE);
	/* a copy did not refresh it: past the first one's window it is new */
	assert_int_equal(sl_dedup_check(d, &s, 101 + WINDOW, WINDOW), SL_DEDUP_NEW);
	assert_int_equal(sl_dedup_check(d, &s, 102 + WINDOW, WINDOW), SL_DEDUP_DUPLICATE);
	/* a window of 0: only at the same time */
	assert_int_equal(sl_dedup_check(d, &s, 5000, 0), SL_DEDUP_NEW);
	assert_int_equal(sl_dedup_check(d, &s, 5000, 0), SL_DEDUP_DUPLICATE);
	assert_int_equal(sl_dedup_check(d, &s, 5001, 0), SL_DEDUP_NEW);
	/* both words must agree */
	struct sl_dedup_sig h = { .hash = 0xabcd, .check = 8 };
	struct sl_dedup_sig c = { .hash = 0xabce, .check = 7 };
	assert_int_equal(sl_dedup_check(d, &h, 5001, WINDOW), SL_DEDUP_NEW);
	assert_int_equal(sl_dedup_check(d, &c, 5001, WINDOW), SL_DEDUP_NEW);
	assert_int_equal(sl_dedup_check(d, &s, 5001, WINDOW), SL_DEDUP_DUPLICATE);
	/* time 0 is taken as 1: an entry is never mistaken for an empty one */
	struct sl_dedup *z = sl_dedup_create("dz", 64, SOCKET_ID_ANY);
	struct sl_dedup_sig zero = { 0, 0 };
	assert_int_equal(sl_dedup_check(z, &zero, 0, WINDOW), SL_DEDUP_NEW);
	assert_int_equal(sl_dedup_check(z, &zero, 1, WINDOW), SL_DEDUP_DUPLICATE);
	sl_dedup_free(z);
	sl_dedup_free(d);
}

/* One set (64 entries: 16 sets; hashes equal in their low 4 bits share a
 * set): expired entries go first, then the oldest live one, reported. */
static void
test_table_full(void **state)
{
	struct sl_dedup *d = sl_dedup_create("dd", 64, SOCKET_ID_ANY);
	struct sl_dedup_sig s[8];

	(void)state;
	for (uint32_t i = 0; i < 8; i++)
		s[i] = (struct sl_dedup_sig){ .hash = i << 8 | 5, .check = i };
	assert_int_equal(sl_dedup_check(d, &s[0], 1, WINDOW), SL_DEDUP_NEW);
	for (uint32_t i = 1; i < SL_DEDUP_WAYS; i++)
		assert_int_equal(sl_dedup_check(d, &s[i], 100 + i, WINDOW), SL_DEDUP_NEW);
	/* s[0] expired at 1002: s[4] takes its place without an eviction */
	assert_int_equal(sl_dedup_check(d, &s[4], 1002, WINDOW), SL_DEDUP_NEW);
	for (uint32_t i = 1; i <= 4; i++)
		assert_int_equal(sl_dedup_check(d, &s[i], 1002, WINDOW), SL_DEDUP_DUPLICATE);
	/* full of live entries: s[5] pushes out the oldest, s[1] */
	assert_int_equal(sl_dedup_check(d, &s[5], 1003, WINDOW), SL_DEDUP_NEW_EVICTED);
	assert_int_equal(sl_dedup_check(d, &s[2], 1003, WINDOW), SL_DEDUP_DUPLICATE);
	assert_int_equal(sl_dedup_check(d, &s[1], 1003, WINDOW), SL_DEDUP_NEW_EVICTED);
	/* other sets are untouched */
	struct sl_dedup_sig other = { .hash = 6, .check = 0 };
	assert_int_equal(sl_dedup_check(d, &other, 1003, WINDOW), SL_DEDUP_NEW);
	sl_dedup_free(d);
}

/* Every prefix of real frames and of random bytes: never a read past len
 * (ASan), a signature whenever the version is 4 or 6. */
static void
test_truncated(void **state)
{
	struct fb_frame f;
	struct sl_dedup_sig s;

	(void)state;
	assert_int_equal(sl_dedup_signature((const uint8_t *)"\x45", 0, SEED, &s), -EINVAL);
	assert_int_equal(sl_dedup_signature((const uint8_t *)"\x55", 1, SEED, &s), -EINVAL);
	for (int v = 0; v < 2; v++) {
		uint32_t l3 = v ? tcp6(&f, 200) : udp4(&f, 200);
		uint32_t n = f.len - l3;

		for (uint32_t len = 1; len <= n; len++) {
			uint8_t *cut = malloc(len);

			memcpy(cut, f.b + l3, len);
			assert_int_equal(sl_dedup_signature(cut, len, SEED, &s), 0);
			free(cut);
		}
	}
	srand(17);
	for (int k = 0; k < 2000; k++) {
		uint32_t len = 1 + (uint32_t)rand() % 200;
		uint8_t *p = malloc(len);

		for (uint32_t i = 0; i < len; i++)
			p[i] = (uint8_t)rand();
		p[0] = (uint8_t)((k & 1 ? 0x40 : 0x60) | (p[0] & 0xf));
		assert_int_equal(sl_dedup_signature(p, len, SEED, &s), 0);
		free(p);
	}
}

/* Both copies meet in one table: the worker that owns a flow is chosen from
 * its key (software distribution: the 2-tuple hash of tenant, VLANs and
 * addresses), and a hop (TTL, hop limit, checksum, MAC addresses) changes
 * nothing of the key. */
static void
test_copies_have_one_owner(void **state)
{
	(void)state;
	for (int v = 0; v < 2; v++) {
		struct fb_frame a, b;
		struct sl_pkt_info pa, pb;
		struct sl_flow_key ka, kb;
		uint32_t l3 = v ? tcp6(&a, 30) : udp4(&a, 30);

		if (v)
			tcp6(&b, 30);
		else
			udp4(&b, 30);
		b.b[l3 + (v ? 7 : 8)] -= 5;
		if (!v)
			v4_cksum(b.b + l3);
		b.b[0] ^= 0x0e; /* another router's MACs */
		b.b[6] ^= 0x0e;
		sl_parse_eth(a.b, a.len, &pa);
		sl_parse_eth(b.b, b.len, &pb);
		sl_flow_key_build(&pa, 3, &ka);
		sl_flow_key_build(&pb, 3, &kb);
		assert_memory_equal(&ka, &kb, sizeof(ka));
		assert_int_equal(sl_flow_hash_fields(&ka, SL_FIELDS_2TUPLE, SEED),
				 sl_flow_hash_fields(&kb, SL_FIELDS_2TUPLE, SEED));
		assert_true(sig_eq(sig_of(&a), sig_of(&b)));
	}
}

/* Different packets of one flow (ids, sequence numbers, payloads) within
 * the window: none taken for a copy; each of their copies is. */
static void
test_random_flows(void **state)
{
	struct sl_dedup *d = sl_dedup_create("dd", 1u << 16, SOCKET_ID_ANY);
	struct fb_frame f;
	unsigned int dup = 0, evicted = 0;

	(void)state;
	srand(23);
	for (uint32_t k = 0; k < 40000; k++) {
		uint32_t l3 = k & 1 ? tcp6(&f, 1 + k % 200) : udp4(&f, 1 + k % 200);

		for (uint32_t i = 0; i < 16; i++)
			f.b[l3 + 28 + i] = (uint8_t)rand(); /* addresses, ports, seq */
		/* IPv4 id, IPv6 flow label */
		fb_wr16(f.b + l3 + (k & 1 ? 2 : 4), (uint16_t)k);
		struct sl_dedup_sig s = sig_of(&f);
		enum sl_dedup_result r = sl_dedup_check(d, &s, 1 + k, 1u << 30);

		dup += r == SL_DEDUP_DUPLICATE;
		evicted += r == SL_DEDUP_NEW_EVICTED;
		/* its copy, a hop later */
		f.b[l3 + (k & 1 ? 7 : 8)]--;
		s = sig_of(&f);
		assert_int_equal(sl_dedup_check(d, &s, 1 + k, 1u << 30), SL_DEDUP_DUPLICATE);
	}
	assert_int_equal(dup, 0);
	assert_true(evicted < 40000 / 10); /* 40k live in 64k entries */
	sl_dedup_free(d);
}

int
main(void)
{
	char *eal[] = { "test_dedup", "--no-huge", "--no-pci", "--no-shconf", "--no-telemetry", "-m", "256",
			"--log-level=lib.eal:error", "-l", "0", "--file-prefix=sl_test_dedup" };
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_bounds),
		cmocka_unit_test(test_identical),
		cmocka_unit_test(test_ttl_and_checksum),
		cmocka_unit_test(test_ipv6_hop_limit),
		cmocka_unit_test(test_payload_prefix),
		cmocka_unit_test(test_padding),
		cmocka_unit_test(test_window),
		cmocka_unit_test(test_table_full),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_copies_have_one_owner),
		cmocka_unit_test(test_random_flows),
	};

	if (rte_eal_init((int)(sizeof(eal) / sizeof(eal[0])), eal) < 0)
		return 1;
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	sl_test_eal_done();
	return rc;
}
