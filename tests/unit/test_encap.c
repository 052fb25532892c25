/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for lib/encap (sl_encap_init, sl_encap_fit, sl_encap_write,
 * sl_encap_sport).
 *
 * The main check is a round trip: a frame encapsulated by lib/encap is
 * given to sluice's own parser (lib/parse), which must find exactly one
 * layer of the right type, the configured tunnel id, and the original frame
 * byte for byte at inner_off, with the same flow as the frame parsed alone.
 * Every tunnel type, IPv4 and IPv6 outer, IPv4 and IPv6 inner frames, with
 * and without VLAN tags. Then the outer headers field by field (lengths,
 * checksum, TTL, DSCP, UDP source port range), frames at and beyond the
 * MTU (dropped, or cut and flagged for ERSPAN), and parameters refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ip.h>

#include "sl_encap.h"
#include "sl_frames.h"
#include "sl_parse.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static const uint8_t V4S[4] = { 192, 0, 2, 1 }, V4D[4] = { 192, 0, 2, 10 };
static const uint8_t V6S[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x01 };
static const uint8_t V6D[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x10 };
static const uint8_t I4A[4] = FB_ADDR_I4A, I4B[4] = FB_ADDR_I4B;
static const uint8_t I6A[16] = FB_ADDR_I6A, I6B[16] = FB_ADDR_I6B;

static struct sl_encap_params
params(enum sl_tun tun, int family, uint32_t id)
{
	struct sl_encap_params p = {
		.tun = tun, .family = (uint8_t)family, .id = id, .ttl = 64, .mtu = 1500,
		.src_mac = { 0x02, 0, 0, 0, 0, 0x01 }, .dst_mac = { 0x02, 0, 0, 0, 0, 0x10 },
	};

	if (family == 4) {
		memcpy(p.src, V4S, 4);
		memcpy(p.dst, V4D, 4);
	} else {
		memcpy(p.src, V6S, 16);
		memcpy(p.dst, V6D, 16);
	}
	p.udp_port = tun == SL_TUN_GENEVE ? SL_TUN_GENEVE_PORT : SL_TUN_VXLAN_PORT;
	p.has_key = tun == SL_TUN_GRE;
	return p;
}

/* The inner frames: IPv4 TCP, IPv6 UDP with a VLAN tag, ARP-like non-IP. */
static void
inner_frame(struct fb_frame *f, int kind, uint32_t payload)
{
	switch (kind) {
	case 0:
		fb_eth(f, 0x0800);
		fb_ipv4(f, 6, 5, 0, 7, I4A, I4B);
		fb_tcp(f, 40000, 80, 0x18, 5);
		break;
	case 1:
		fb_eth(f, 0x8100);
		fb_vlan(f, 42, 0x86dd);
		fb_ipv6(f, 17, I6A, I6B);
		fb_udp(f, 5353, 53);
		break;
	default:
		fb_eth(f, 0x0806);
		break;
	}
	fb_data(f, payload);
	fb_done(f);
}

/* Encapsulate @p in into @p out (e->len + in_len bytes); returns the length. */
static uint32_t
encap(const struct sl_encap *e, const uint8_t *in, uint32_t in_len, uint8_t *out,
      uint32_t hash, uint32_t seq)
{
	enum sl_encap_size fit = sl_encap_fit(e, in_len);
	uint32_t n = fit == SL_ENCAP_CUT ? e->max_inner : in_len;

	assert_int_not_equal(fit, SL_ENCAP_TOO_BIG);
	memcpy(out + e->len, in, n);
	sl_encap_write(e, out, n, fit == SL_ENCAP_CUT, hash, seq);
	return e->len + n;
}

static const struct {
	enum sl_tun tun;
	int encap_bit;
	uint8_t tid_type;
	uint32_t id;
	uint16_t hlen4; /* Ethernet + IPv4 + tunnel headers */
} tuns[] = {
	{ SL_TUN_VXLAN, SL_ENCAP_VXLAN, SL_TUNID_VXLAN_VNI, 5001, 14 + 20 + 8 + 8 },
	{ SL_TUN_GENEVE, SL_ENCAP_GENEVE, SL_TUNID_GENEVE_VNI, 0xabcdef, 14 + 20 + 8 + 8 },
	{ SL_TUN_GRE, SL_ENCAP_GRE, SL_TUNID_GRE_KEY, 0xdeadbeef, 14 + 20 + 4 + 4 },
	{ SL_TUN_ERSPAN2, SL_ENCAP_ERSPAN2, SL_TUNID_ERSPAN_ID, 1023, 14 + 20 + 8 + 8 },
	{ SL_TUN_ERSPAN3, SL_ENCAP_ERSPAN3, SL_TUNID_ERSPAN_ID, 77, 14 + 20 + 8 + 12 },
};

/* Every tunnel x outer family x inner frame: the parser finds the frame. */
static void
test_round_trip(void **state)
{
	(void)state;
	struct sl_parse_cfg pc;

	sl_parse_cfg_default(&pc);
	for (size_t t = 0; t < ARRAY_LEN(tuns); t++) {
		for (int family = 4; family <= 6; family += 2) {
			for (int kind = 0; kind < 3; kind++) {
				struct sl_encap_params p = params(tuns[t].tun, family, tuns[t].id);
				struct sl_encap e;
				struct fb_frame f;
				struct sl_pkt_info alone, pi;
				uint8_t out[SL_ENCAP_HDR_MAX + FB_FRAME_MAX];

				assert_int_equal(sl_encap_init(&e, &p), 0);
				assert_int_equal(e.len, tuns[t].hlen4 + (family == 6 ? 20 : 0));
				inner_frame(&f, kind, 100);
				uint32_t n = encap(&e, f.b, f.len, out, 0x12345678, 9);

				assert_int_equal(n, e.len + f.len);
				sl_parse(&pc, f.b, f.len, &alone);
				sl_parse(&pc, out, n, &pi);
				assert_int_equal(pi.encap_err, SL_ENCAP_OK);
				assert_true(pi.encap_mask & SL_ENCAP_BIT(tuns[t].encap_bit));
				assert_int_equal(pi.tunnel_id_type, tuns[t].tid_type);
				assert_int_equal(pi.tunnel_id, tuns[t].id);
				assert_memory_equal(out + e.len, f.b, f.len);
				if (kind == 2) {
					/* not IP inside: the parser keys it on the
					 * outer packet (lib/parse) */
					assert_int_equal(pi.n_encap, 0);
					continue;
				}
				assert_int_equal(pi.n_encap, 1);
				/* the original frame, whole, where the parser says */
				assert_int_equal(pi.inner_off, e.len);
				assert_memory_equal(out + pi.inner_off, f.b, f.len);
				/* the same flow as the frame alone */
				assert_int_equal(pi.l3, alone.l3);
				assert_int_equal(pi.proto, alone.proto);
				assert_int_equal(pi.sport, alone.sport);
				assert_int_equal(pi.dport, alone.dport);
				assert_memory_equal(pi.src, alone.src, 16);
				assert_memory_equal(pi.dst, alone.dst, 16);
				assert_int_equal(pi.err, alone.err);
			}
		}
	}
}

/* GRE without a key carries no tunnel id; the frame is still found. */
static void
test_gre_without_key(void **state)
{
	(void)state;
	struct sl_encap_params p = params(SL_TUN_GRE, 4, 99);
	struct sl_encap e;
	struct fb_frame f;
	struct sl_pkt_info pi;
	uint8_t out[SL_ENCAP_HDR_MAX + FB_FRAME_MAX];

	p.has_key = false;
	assert_int_equal(sl_encap_init(&e, &p), 0);
	assert_int_equal(e.len, 14 + 20 + 4);
	inner_frame(&f, 0, 10);
	uint32_t n = encap(&e, f.b, f.len, out, 1, 0);

	sl_parse_eth(out, n, &pi);
	assert_int_equal(pi.n_encap, 1);
	assert_int_equal(pi.tunnel_id_type, SL_TUNID_NONE);
	assert_int_equal(pi.inner_off, e.len);
	assert_memory_equal(out + e.len, f.b, f.len);
}

static uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The outer headers, field by field. */
static void
test_outer_fields(void **state)
{
	(void)state;
	struct sl_encap e;
	uint8_t out[SL_ENCAP_HDR_MAX + 200];
	uint8_t inner[200];

	memset(inner, 0xa5, sizeof(inner));
	/* IPv4 VXLAN, DSCP 46, TTL 9 */
	struct sl_encap_params p = params(SL_TUN_VXLAN, 4, 5001);

	p.dscp = 46;
	p.ttl = 9;
	p.udp_port = 8472;
	assert_int_equal(sl_encap_init(&e, &p), 0);
	sl_encap_write(&e, out, sizeof(inner), false, 0, 0);
	assert_memory_equal(out, p.dst_mac, 6);
	assert_memory_equal(out + 6, p.src_mac, 6);
	assert_int_equal(rd16(out + 12), 0x0800);
	const uint8_t *ip = out + 14;
	assert_int_equal(ip[0], 0x45);
	assert_int_equal(ip[1], 46 << 2);
	assert_int_equal(rd16(ip + 2), 20 + 8 + 8 + sizeof(inner));
	assert_int_equal(rd16(ip + 6), 0x4000); /* DF, offset 0 */
	assert_int_equal(ip[8], 9);
	assert_int_equal(ip[9], 17);
	assert_memory_equal(ip + 12, V4S, 4);
	assert_memory_equal(ip + 16, V4D, 4);
	/* a valid checksum sums to 0xffff */
	assert_int_equal(rte_raw_cksum(ip, 20), 0xffff);
	const uint8_t *udp = ip + 20;
	assert_int_equal(rd16(udp), SL_TUN_SPORT_MIN);
	assert_int_equal(rd16(udp + 2), 8472);
	assert_int_equal(rd16(udp + 4), 8 + 8 + sizeof(inner));
	assert_int_equal(rd16(udp + 6), 0);
	assert_int_equal(rd32(udp + 8), 0x08000000);
	assert_int_equal(rd32(udp + 12), 5001u << 8);

	/* IPv6 GENEVE: traffic class, payload length, hop limit */
	p = params(SL_TUN_GENEVE, 6, 7);
	p.dscp = 10;
	assert_int_equal(sl_encap_init(&e, &p), 0);
	sl_encap_write(&e, out, sizeof(inner), false, 0xffffffffu, 0);
	ip = out + 14;
	assert_int_equal(rd16(out + 12), 0x86dd);
	assert_int_equal(rd32(ip) >> 20, 0x600u | (10 << 2));
	assert_int_equal(rd16(ip + 4), 8 + 8 + sizeof(inner));
	assert_int_equal(ip[6], 17);
	assert_int_equal(ip[7], 64);
	assert_int_equal(rd16(ip + 40), SL_TUN_SPORT_MAX);
	assert_int_equal(rd16(ip + 42), 6081);
	assert_int_equal(rd16(ip + 48 + 2), 0x6558);

	/* ERSPAN II: sequence number, version 1, session id, En 3 */
	p = params(SL_TUN_ERSPAN2, 4, 300);
	assert_int_equal(sl_encap_init(&e, &p), 0);
	sl_encap_write(&e, out, sizeof(inner), false, 0, 0x01020304);
	const uint8_t *gre = out + 14 + 20;
	assert_int_equal(out[14 + 9], 47);
	assert_int_equal(rd16(gre), 0x1000); /* S */
	assert_int_equal(rd16(gre + 2), 0x88be);
	assert_int_equal(rd32(gre + 4), 0x01020304);
	assert_int_equal(rd32(gre + 8), 1u << 28 | 3u << 11 | 300);
	assert_int_equal(rd32(gre + 12), 0);

	/* ERSPAN III: version 2 */
	p = params(SL_TUN_ERSPAN3, 6, 5);
	assert_int_equal(sl_encap_init(&e, &p), 0);
	sl_encap_write(&e, out, sizeof(inner), false, 0, 7);
	gre = out + 14 + 40;
	assert_int_equal(rd16(gre + 2), 0x22eb);
	assert_int_equal(rd32(gre + 4), 7);
	assert_int_equal(rd32(gre + 8), 2u << 28 | 5);
}

/* The UDP source port: in range, a function of the hash, spread. */
static void
test_sport(void **state)
{
	(void)state;
	unsigned int seen[4] = { 0 };

	assert_int_equal(sl_encap_sport(0), SL_TUN_SPORT_MIN);
	assert_int_equal(sl_encap_sport(UINT32_MAX), SL_TUN_SPORT_MAX);
	for (uint32_t i = 0; i < 100000; i++) {
		uint32_t h = i * 2654435761u;
		uint16_t s = sl_encap_sport(h);

		assert_true(s >= SL_TUN_SPORT_MIN);
		assert_int_equal(s, sl_encap_sport(h));
		seen[(s - SL_TUN_SPORT_MIN) / 4096]++;
	}
	/* each quarter of the range gets about a quarter */
	for (int q = 0; q < 4; q++)
		assert_true(seen[q] > 20000 && seen[q] < 30000);
}

/* Frames at the MTU fit; one byte more is dropped, or cut for ERSPAN. */
static void
test_mtu(void **state)
{
	(void)state;
	struct sl_encap e;
	struct sl_pkt_info pi;
	static uint8_t out[SL_ENCAP_HDR_MAX + 9216], inner[9216];

	for (size_t t = 0; t < ARRAY_LEN(tuns); t++) {
		for (int family = 4; family <= 6; family += 2) {
			struct sl_encap_params p = params(tuns[t].tun, family, tuns[t].id);

			p.mtu = 1400;
			assert_int_equal(sl_encap_init(&e, &p), 0);
			/* the outer IP packet is at most mtu bytes */
			assert_int_equal(e.max_inner, 1400 - (e.len - 14));
			assert_int_equal(sl_encap_fit(&e, e.max_inner), SL_ENCAP_FITS);
			assert_int_equal(sl_encap_fit(&e, e.max_inner + 1), SL_ENCAP_TOO_BIG);
			assert_int_equal(sl_encap_fit(&e, 9000), SL_ENCAP_TOO_BIG);
		}
	}
	for (enum sl_tun tun = SL_TUN_ERSPAN2; tun <= SL_TUN_ERSPAN3; tun++) {
		for (int family = 4; family <= 6; family += 2) {
			struct sl_encap_params p = params(tun, family, 12);
			struct fb_frame f;

			p.mtu = family == 4 ? 576 : 1280;
			p.truncate = true;
			assert_int_equal(sl_encap_init(&e, &p), 0);
			inner_frame(&f, 0, 1400);
			memcpy(inner, f.b, f.len);
			assert_int_equal(sl_encap_fit(&e, f.len), SL_ENCAP_CUT);
			assert_int_equal(sl_encap_fit(&e, e.max_inner), SL_ENCAP_FITS);
			uint32_t n = encap(&e, inner, f.len, out, 0, 1);

			assert_int_equal(n - 14, p.mtu);
			uint16_t iplen = family == 4 ? rd16(out + 16) : rd16(out + 18) + 40;
			assert_int_equal(iplen, p.mtu);
			/* T bit set, session id kept */
			const uint8_t *er = out + e.len - (tun == SL_TUN_ERSPAN2 ? 8 : 12);
			assert_int_equal(rd16(er + 2), 0x0400 | 12 | (tun == SL_TUN_ERSPAN2 ? 3 << 11 : 0));
			/* the parser still finds the session and the frame's start */
			sl_parse_eth(out, n, &pi);
			assert_true(pi.encap_mask & SL_ENCAP_BIT(tun == SL_TUN_ERSPAN2
								 ? SL_ENCAP_ERSPAN2
								 : SL_ENCAP_ERSPAN3));
			assert_int_equal(pi.tunnel_id, 12);
			assert_memory_equal(out + e.len, inner, e.max_inner);
			/* whole frames are not flagged */
			encap(&e, inner, 100, out, 0, 2);
			assert_int_equal(out[e.len - (tun == SL_TUN_ERSPAN2 ? 8 : 12) + 2] & 0x04, 0);
		}
	}
}

/* Parameters sl_encap_init() refuses. */
static void
test_bad_params(void **state)
{
	(void)state;
	struct sl_encap e;
	struct sl_encap_params p;

#define REFUSED(tun, fam, id, field, value)                                   \
	do {                                                                  \
		p = params(tun, fam, id);                                     \
		p.field = value;                                              \
		assert_int_equal(sl_encap_init(&e, &p), -EINVAL);             \
	} while (0)
	REFUSED(SL_TUN_VXLAN, 4, 1, tun, SL_TUN_NONE);
	REFUSED(SL_TUN_VXLAN, 4, 1, tun, SL_TUN_MAX);
	REFUSED(SL_TUN_VXLAN, 4, 1, family, 5);
	REFUSED(SL_TUN_VXLAN, 4, 1, id, SL_TUN_VNI_MAX + 1);
	REFUSED(SL_TUN_GENEVE, 6, 1, id, SL_TUN_VNI_MAX + 1);
	REFUSED(SL_TUN_VXLAN, 4, 1, udp_port, 0);
	REFUSED(SL_TUN_ERSPAN2, 4, 1, id, SL_TUN_SESSION_MAX + 1);
	REFUSED(SL_TUN_ERSPAN3, 4, 1, id, SL_TUN_SESSION_MAX + 1);
	REFUSED(SL_TUN_VXLAN, 4, 1, truncate, true);
	REFUSED(SL_TUN_GENEVE, 4, 1, truncate, true);
	REFUSED(SL_TUN_GRE, 4, 1, truncate, true);
	REFUSED(SL_TUN_GRE, 4, 1, ttl, 0);
	REFUSED(SL_TUN_GRE, 4, 1, dscp, 64);
	REFUSED(SL_TUN_GRE, 4, 1, mtu, SL_ENCAP_MTU_MIN4 - 1);
	REFUSED(SL_TUN_GRE, 6, 1, mtu, SL_ENCAP_MTU_MIN6 - 1);
	REFUSED(SL_TUN_GRE, 6, 1, mtu, SL_ENCAP_MTU_MAX + 1);
#undef REFUSED
	/* the edges are accepted */
	p = params(SL_TUN_ERSPAN3, 6, SL_TUN_SESSION_MAX);
	p.truncate = true;
	p.mtu = SL_ENCAP_MTU_MIN6;
	assert_int_equal(sl_encap_init(&e, &p), 0);
	p = params(SL_TUN_VXLAN, 4, SL_TUN_VNI_MAX);
	p.mtu = SL_ENCAP_MTU_MAX;
	p.dscp = 63;
	p.ttl = 255;
	assert_int_equal(sl_encap_init(&e, &p), 0);
	assert_int_equal(e.max_inner, SL_ENCAP_MTU_MAX - (20 + 8 + 8));
}

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(sl_tun_name(SL_TUN_NONE), "none");
	assert_string_equal(sl_tun_name(SL_TUN_VXLAN), "vxlan");
	assert_string_equal(sl_tun_name(SL_TUN_GENEVE), "geneve");
	assert_string_equal(sl_tun_name(SL_TUN_GRE), "gre");
	assert_string_equal(sl_tun_name(SL_TUN_ERSPAN2), "erspan2");
	assert_string_equal(sl_tun_name(SL_TUN_ERSPAN3), "erspan3");
	assert_string_equal(sl_tun_name(SL_TUN_MAX), "unknown");
	assert_string_equal(sl_tun_name(-1), "unknown");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_gre_without_key),
		cmocka_unit_test(test_outer_fields),
		cmocka_unit_test(test_sport),
		cmocka_unit_test(test_mtu),
		cmocka_unit_test(test_bad_params),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
