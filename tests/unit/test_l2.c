/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for lib/parse/sl_l2 (captures that are not Ethernet).
 *
 * Each link type gets a frame written out byte by byte, the expected
 * conversion, and then the frame rebuilt as Ethernet is parsed with
 * sl_parse() to check that the flow comes out whole. Every frame is also
 * converted at every truncated length from an exactly-sized heap buffer
 * (ASan flags any over-read): shorter than the link-layer header gives
 * -EMSGSIZE, anything longer the same answer as the whole frame.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sl_l2.h"
#include "sl_parse.h"

static const uint8_t MAC_SRC[6] = SL_L2_MAC_SRC;
static const uint8_t MAC_DST[6] = SL_L2_MAC_DST;

/* IPv4 UDP 10.0.0.1:1234 -> 10.0.0.2:53, 8 bytes of payload */
static const uint8_t ipv4_udp[] = {
	0x45, 0x00, 0x00, 0x24, 0x00, 0x01, 0x00, 0x00, 0x40, 0x11, 0x00, 0x00,
	10, 0, 0, 1, 10, 0, 0, 2,
	0x04, 0xd2, 0x00, 0x35, 0x00, 0x10, 0x00, 0x00,
	1, 2, 3, 4, 5, 6, 7, 8,
};

/* IPv6 TCP 2001:db8::1:80 -> 2001:db8::2:443, SYN, no payload */
static const uint8_t ipv6_tcp[] = {
	0x60, 0x00, 0x00, 0x00, 0x00, 0x14, 0x06, 0x40,
	0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
	0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2,
	0x00, 0x50, 0x01, 0xbb, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0,
};

struct frame {
	uint8_t b[1600];
	uint32_t len;
};

static void
put(struct frame *f, const void *p, size_t n)
{
	assert_true(f->len + n <= sizeof(f->b));
	memcpy(f->b + f->len, p, n);
	f->len += (uint32_t)n;
}

static void
put_be16(struct frame *f, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	put(f, b, 2);
}

static void
put_be32(struct frame *f, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };

	put(f, b, 4);
}

/* LINUX_SLL header with a 6-byte address */
static void
sll(struct frame *f, uint16_t pkttype, uint16_t hatype, uint16_t alen, const uint8_t *addr,
    uint16_t proto)
{
	uint8_t a[8] = { 0 };

	memcpy(a, addr, alen < 8 ? alen : 8);
	put_be16(f, pkttype);
	put_be16(f, hatype);
	put_be16(f, alen);
	put(f, a, 8);
	put_be16(f, proto);
}

static void
sll2(struct frame *f, uint16_t proto, uint16_t hatype, uint8_t pkttype, uint8_t alen,
     const uint8_t *addr)
{
	uint8_t a[8] = { 0 };

	memcpy(a, addr, alen < 8 ? alen : 8);
	put_be16(f, proto);
	put_be16(f, 0);
	put_be32(f, 3); /* interface index */
	put_be16(f, hatype);
	put(f, &pkttype, 1);
	put(f, &alen, 1);
	put(f, a, 8);
}

/* Convert f->b[0..len) from an exactly-sized heap copy. */
static int
convert(int kind, const uint8_t *b, uint32_t len, struct sl_l2_conv *c)
{
	uint8_t *copy = len ? malloc(len) : NULL;
	int rc;

	if (len)
		memcpy(copy, b, len);
	rc = sl_l2_to_eth(kind, copy, len, c);
	free(copy);
	return rc;
}

/*
 * The whole frame converts to @p want (rc 0) or fails with @p want_rc; every
 * cut shorter than @p hlen gives -EMSGSIZE; longer cuts give the same
 * answer, except that an 802.3 length follows the payload.
 */
static void
check_cuts(int kind, const struct frame *f, uint32_t hlen, int want_rc,
	   const struct sl_l2_conv *want)
{
	struct sl_l2_conv c;

	assert_int_equal(convert(kind, f->b, f->len, &c), want_rc);
	if (want_rc == 0) {
		assert_int_equal(c.strip, want->strip);
		assert_int_equal(c.ethertype, want->ethertype);
		assert_memory_equal(c.dst, want->dst, 6);
		assert_memory_equal(c.src, want->src, 6);
	}
	for (uint32_t cut = 0; cut < f->len; cut++) {
		int rc = convert(kind, f->b, cut, &c);

		if (cut < hlen) {
			assert_int_equal(rc, -EMSGSIZE);
			continue;
		}
		assert_int_equal(rc, want_rc);
		if (rc != 0)
			continue;
		assert_int_equal(c.strip, want->strip);
		if (want->ethertype >= 0x0600)
			assert_int_equal(c.ethertype, want->ethertype);
		else
			assert_int_equal(c.ethertype, cut - hlen);
		assert_memory_equal(c.src, want->src, 6);
	}
}

/* Build the Ethernet frame the conversion describes and parse it. */
static void
parse_converted(int kind, const struct frame *f, struct sl_pkt_info *pi)
{
	struct sl_parse_cfg cfg;
	struct sl_l2_conv c;
	uint8_t eth[1700];

	assert_int_equal(sl_l2_to_eth(kind, f->b, f->len, &c), 0);
	assert_true(c.strip <= f->len);
	sl_l2_eth_header(&c, eth);
	memcpy(eth + SL_L2_ETH_HLEN, f->b + c.strip, f->len - c.strip);
	sl_parse_cfg_default(&cfg);
	assert_int_equal(sl_parse(&cfg, eth, SL_L2_ETH_HLEN + f->len - c.strip, pi), SL_PARSE_OK);
}

static void
assert_ipv4_udp_flow(const struct sl_pkt_info *pi)
{
	static const uint8_t src[4] = { 10, 0, 0, 1 }, dst[4] = { 10, 0, 0, 2 };

	assert_int_equal(pi->l3, SL_L3_IPV4);
	assert_int_equal(pi->proto, 17);
	assert_memory_equal(pi->src, src, 4);
	assert_memory_equal(pi->dst, dst, 4);
	assert_int_equal(pi->sport, 1234);
	assert_int_equal(pi->dport, 53);
}

static void
assert_ipv6_tcp_flow(const struct sl_pkt_info *pi)
{
	assert_int_equal(pi->l3, SL_L3_IPV6);
	assert_int_equal(pi->proto, 6);
	assert_memory_equal(pi->src, ipv6_tcp + 8, 16);
	assert_memory_equal(pi->dst, ipv6_tcp + 24, 16);
	assert_int_equal(pi->sport, 80);
	assert_int_equal(pi->dport, 443);
}

static struct sl_l2_conv
want_conv(uint32_t strip, uint16_t ethertype, const uint8_t *dst, const uint8_t *src)
{
	struct sl_l2_conv c = { .strip = strip, .ethertype = ethertype };

	memcpy(c.dst, dst, 6);
	memcpy(c.src, src, 6);
	return c;
}

static void
test_kind_of(void **state)
{
	(void)state;
	assert_int_equal(sl_l2_kind_of(1), SL_L2_ETHERNET);
	assert_int_equal(sl_l2_kind_of(0), SL_L2_NULL);
	assert_int_equal(sl_l2_kind_of(108), SL_L2_LOOP);
	assert_int_equal(sl_l2_kind_of(101), SL_L2_RAW);
	assert_int_equal(sl_l2_kind_of(12), SL_L2_RAW);
	assert_int_equal(sl_l2_kind_of(14), SL_L2_RAW);
	assert_int_equal(sl_l2_kind_of(228), SL_L2_IPV4);
	assert_int_equal(sl_l2_kind_of(229), SL_L2_IPV6);
	assert_int_equal(sl_l2_kind_of(113), SL_L2_SLL);
	assert_int_equal(sl_l2_kind_of(276), SL_L2_SLL2);
	/* PPP, C-HDLC, 802.11, radiotap, PPP-in-HDLC, Ethernet MPacket, junk */
	static const int refused[] = { 9, 104, 105, 127, 50, 274, -1, 2, 65535, 1 << 20 };
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		assert_int_equal(sl_l2_kind_of(refused[i]), -ENOTSUP);
	assert_string_equal(sl_l2_kind_name(SL_L2_SLL2), "LINUX_SLL2");
	assert_string_equal(sl_l2_kind_name(SL_L2_ETHERNET), "EN10MB");
	for (int k = 0; k < SL_L2_KIND_MAX; k++)
		assert_non_null(sl_l2_kind_name(k));
	assert_null(sl_l2_kind_name(SL_L2_KIND_MAX));
	assert_null(sl_l2_kind_name(-1));
}

static void
test_raw(void **state)
{
	struct frame f = { .len = 0 };
	struct sl_l2_conv w;
	struct sl_pkt_info pi;

	(void)state;
	put(&f, ipv4_udp, sizeof(ipv4_udp));
	w = want_conv(0, 0x0800, MAC_DST, MAC_SRC);
	check_cuts(SL_L2_RAW, &f, 0, 0, &w);
	parse_converted(SL_L2_RAW, &f, &pi);
	assert_ipv4_udp_flow(&pi);

	f.len = 0;
	put(&f, ipv6_tcp, sizeof(ipv6_tcp));
	w = want_conv(0, 0x86dd, MAC_DST, MAC_SRC);
	assert_int_equal(convert(SL_L2_RAW, f.b, f.len, &w), 0);
	assert_int_equal(w.ethertype, 0x86dd);
	parse_converted(SL_L2_RAW, &f, &pi);
	assert_ipv6_tcp_flow(&pi);
	/* IPV4 / IPV6 link types do not look at the version */
	w = want_conv(0, 0x0800, MAC_DST, MAC_SRC);
	check_cuts(SL_L2_IPV4, &f, 0, 0, &w);
	w = want_conv(0, 0x86dd, MAC_DST, MAC_SRC);
	check_cuts(SL_L2_IPV6, &f, 0, 0, &w);
	parse_converted(SL_L2_IPV6, &f, &pi);
	assert_ipv6_tcp_flow(&pi);
}

/* A raw frame that is neither v4 nor v6 is a damaged IPv4 packet to the parser. */
static void
test_raw_bad_version(void **state)
{
	struct frame f = { .len = 0 };
	struct sl_parse_cfg cfg;
	struct sl_pkt_info pi;
	struct sl_l2_conv c;
	uint8_t eth[64];

	(void)state;
	put(&f, ipv4_udp, sizeof(ipv4_udp));
	f.b[0] = 0x55;
	assert_int_equal(convert(SL_L2_RAW, f.b, f.len, &c), 0);
	assert_int_equal(c.ethertype, 0x0800);
	assert_int_equal(convert(SL_L2_RAW, NULL, 0, &c), 0);
	assert_int_equal(c.ethertype, 0x0800);
	sl_l2_eth_header(&c, eth);
	memcpy(eth + 14, f.b, f.len);
	sl_parse_cfg_default(&cfg);
	assert_int_equal(sl_parse(&cfg, eth, 14 + f.len, &pi), SL_PARSE_ERR_IPV4_BAD_VERSION);
}

static void
test_null_and_loop(void **state)
{
	struct frame f = { .len = 0 };
	struct sl_l2_conv w;
	struct sl_pkt_info pi;

	(void)state;
	/* NULL from a little-endian host: AF_INET as 02 00 00 00 */
	put_be32(&f, 0x02000000);
	put(&f, ipv4_udp, sizeof(ipv4_udp));
	w = want_conv(4, 0x0800, MAC_DST, MAC_SRC);
	check_cuts(SL_L2_NULL, &f, 4, 0, &w);
	parse_converted(SL_L2_NULL, &f, &pi);
	assert_ipv4_udp_flow(&pi);
	/* LOOP is network order: the same bytes are family 0x02000000 */
	check_cuts(SL_L2_LOOP, &f, 4, -EPROTONOSUPPORT, NULL);

	/* big-endian host, and every IPv6 family value in both orders */
	static const uint32_t v6[] = { 10, 24, 28, 30 };
	for (size_t i = 0; i < 4; i++) {
		for (int swapped = 0; swapped < 2; swapped++) {
			uint32_t fam = swapped ? v6[i] << 24 : v6[i];

			f.len = 0;
			put_be32(&f, fam);
			put(&f, ipv6_tcp, sizeof(ipv6_tcp));
			w = want_conv(4, 0x86dd, MAC_DST, MAC_SRC);
			check_cuts(SL_L2_NULL, &f, 4, 0, &w);
			parse_converted(SL_L2_NULL, &f, &pi);
			assert_ipv6_tcp_flow(&pi);
			check_cuts(SL_L2_LOOP, &f, 4, swapped ? -EPROTONOSUPPORT : 0, &w);
		}
	}
	/* families without an Ethernet equivalent: OSI (7), IPX (23), 0, junk */
	static const uint32_t other[] = { 0, 7, 23, 0xffffffff, 0x00010002 };
	for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
		f.len = 0;
		put_be32(&f, other[i]);
		put(&f, ipv4_udp, sizeof(ipv4_udp));
		check_cuts(SL_L2_NULL, &f, 4, -EPROTONOSUPPORT, NULL);
		check_cuts(SL_L2_LOOP, &f, 4, -EPROTONOSUPPORT, NULL);
	}
}

static void
test_sll(void **state)
{
	static const uint8_t mac[6] = { 0x00, 0x1b, 0x21, 0xaa, 0xbb, 0xcc };
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t mcast[6] = { 0x01, 0, 0, 0, 0, 0 };
	struct frame f = { .len = 0 };
	struct sl_l2_conv w;
	struct sl_pkt_info pi;

	(void)state;
	/* to this host (0), Ethernet (ARPHRD 1), IPv4 */
	sll(&f, 0, 1, 6, mac, 0x0800);
	put(&f, ipv4_udp, sizeof(ipv4_udp));
	w = want_conv(16, 0x0800, MAC_DST, mac);
	check_cuts(SL_L2_SLL, &f, 16, 0, &w);
	parse_converted(SL_L2_SLL, &f, &pi);
	assert_ipv4_udp_flow(&pi);

	/* outgoing (4) IPv6 */
	f.len = 0;
	sll(&f, 4, 1, 6, mac, 0x86dd);
	put(&f, ipv6_tcp, sizeof(ipv6_tcp));
	w = want_conv(16, 0x86dd, MAC_DST, mac);
	check_cuts(SL_L2_SLL, &f, 16, 0, &w);
	parse_converted(SL_L2_SLL, &f, &pi);
	assert_ipv6_tcp_flow(&pi);

	/* broadcast, multicast; an address that is not 6 bytes (loopback: 0,
	 * IP-over-InfiniBand style: 8) leaves the synthetic source */
	f.len = 0;
	sll(&f, 1, 1, 6, mac, 0x0806);
	put(&f, ipv4_udp, 28); /* an ARP-sized payload */
	w = want_conv(16, 0x0806, bcast, mac);
	check_cuts(SL_L2_SLL, &f, 16, 0, &w);
	f.len = 0;
	sll(&f, 2, 772, 0, mac, 0x0800);
	put(&f, ipv4_udp, sizeof(ipv4_udp));
	w = want_conv(16, 0x0800, mcast, MAC_SRC);
	check_cuts(SL_L2_SLL, &f, 16, 0, &w);
	f.len = 0;
	sll(&f, 0, 32, 8, (const uint8_t *)"\x11\x22\x33\x44\x55\x66\x77\x88", 0x86dd);
	put(&f, ipv6_tcp, sizeof(ipv6_tcp));
	w = want_conv(16, 0x86dd, MAC_DST, MAC_SRC);
	check_cuts(SL_L2_SLL, &f, 16, 0, &w);

	/* a VLAN tag libpcap put back after the header: an 802.1Q frame */
	f.len = 0;
	sll(&f, 0, 1, 6, mac, 0x8100);
	put_be16(&f, 0x0064);
	put_be16(&f, 0x0800);
	put(&f, ipv4_udp, sizeof(ipv4_udp));
	parse_converted(SL_L2_SLL, &f, &pi);
	assert_ipv4_udp_flow(&pi);
	assert_int_equal(pi.n_vlans, 1);
	assert_int_equal(pi.vlan[0], 100);

	/* 802.2 LLC (STP) becomes 802.3 with the payload length as type */
	f.len = 0;
	sll(&f, 2, 1, 6, mac, 0x0004);
	put(&f, "\x42\x42\x03\x00\x00\x00\x00", 7);
	w = want_conv(16, 7, mcast, mac);
	check_cuts(SL_L2_SLL, &f, 16, 0, &w);
	/* a frame in pieces: only the first SL_L2_HDR_MAX bytes are passed */
	{
		uint8_t *head = malloc(SL_L2_HDR_MAX);

		memcpy(head, f.b, SL_L2_HDR_MAX);
		assert_int_equal(sl_l2_to_eth(SL_L2_SLL, head, 1000, &w), 0);
		assert_int_equal(w.ethertype, 1000 - 16);
		free(head);
	}
	/* ... but not past 1500 bytes */
	f.len = 0;
	sll(&f, 0, 1, 6, mac, 0x0001);
	memset(f.b + f.len, 0xff, 1501);
	f.len += 1501;
	assert_int_equal(convert(SL_L2_SLL, f.b, f.len, &w), -EPROTONOSUPPORT);
	assert_int_equal(convert(SL_L2_SLL, f.b, f.len - 1, &w), 0);
	assert_int_equal(w.ethertype, 1500);

	/* CAN (0x000c), ETH_P_ALL (3) and a Netlink capture have no Ethernet form */
	f.len = 0;
	sll(&f, 0, 280, 0, mac, 0x000c);
	put(&f, ipv4_udp, 16);
	check_cuts(SL_L2_SLL, &f, 16, -EPROTONOSUPPORT, NULL);
	f.len = 0;
	sll(&f, 0, 1, 6, mac, 0x0003);
	put(&f, ipv4_udp, 16);
	check_cuts(SL_L2_SLL, &f, 16, -EPROTONOSUPPORT, NULL);
	f.len = 0;
	sll(&f, 4, 824, 0, mac, 0x0800);
	put(&f, ipv4_udp, 16);
	check_cuts(SL_L2_SLL, &f, 16, -EPROTONOSUPPORT, NULL);
}

static void
test_sll2(void **state)
{
	static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	struct frame f = { .len = 0 };
	struct sl_l2_conv w;
	struct sl_pkt_info pi;

	(void)state;
	sll2(&f, 0x0800, 1, 0, 6, mac);
	put(&f, ipv4_udp, sizeof(ipv4_udp));
	w = want_conv(20, 0x0800, MAC_DST, mac);
	check_cuts(SL_L2_SLL2, &f, 20, 0, &w);
	parse_converted(SL_L2_SLL2, &f, &pi);
	assert_ipv4_udp_flow(&pi);

	f.len = 0;
	sll2(&f, 0x86dd, 1, 1, 6, mac);
	put(&f, ipv6_tcp, sizeof(ipv6_tcp));
	w = want_conv(20, 0x86dd, bcast, mac);
	check_cuts(SL_L2_SLL2, &f, 20, 0, &w);
	parse_converted(SL_L2_SLL2, &f, &pi);
	assert_ipv6_tcp_flow(&pi);

	f.len = 0;
	sll2(&f, 0x0004, 1, 3, 6, mac);
	put(&f, "\xaa\xaa\x03", 3);
	w = want_conv(20, 3, MAC_DST, mac);
	check_cuts(SL_L2_SLL2, &f, 20, 0, &w);

	f.len = 0;
	sll2(&f, 0x0800, 824, 4, 0, mac);
	put(&f, ipv4_udp, 8);
	check_cuts(SL_L2_SLL2, &f, 20, -EPROTONOSUPPORT, NULL);
	f.len = 0;
	sll2(&f, 0x000c, 280, 0, 0, mac);
	put(&f, ipv4_udp, 8);
	check_cuts(SL_L2_SLL2, &f, 20, -EPROTONOSUPPORT, NULL);
}

static void
test_bad_arguments_and_header(void **state)
{
	struct sl_l2_conv c = { .strip = 0, .ethertype = 0x86dd,
				.dst = { 1, 2, 3, 4, 5, 6 }, .src = { 7, 8, 9, 10, 11, 12 } };
	static const uint8_t want[14] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0x86, 0xdd };
	uint8_t hdr[14];

	(void)state;
	sl_l2_eth_header(&c, hdr);
	assert_memory_equal(hdr, want, 14);
	assert_int_equal(sl_l2_to_eth(SL_L2_RAW, ipv4_udp, sizeof(ipv4_udp), NULL), -EINVAL);
	assert_int_equal(sl_l2_to_eth(SL_L2_SLL, NULL, 20, &c), -EINVAL);
	assert_int_equal(sl_l2_to_eth(SL_L2_ETHERNET, ipv4_udp, sizeof(ipv4_udp), &c), -EINVAL);
	assert_int_equal(sl_l2_to_eth(SL_L2_KIND_MAX, ipv4_udp, sizeof(ipv4_udp), &c), -EINVAL);
	assert_int_equal(sl_l2_to_eth(-1, ipv4_udp, sizeof(ipv4_udp), &c), -EINVAL);
	/* an empty frame: truncated for the kinds that have a header */
	assert_int_equal(sl_l2_to_eth(SL_L2_NULL, NULL, 0, &c), -EMSGSIZE);
	assert_int_equal(sl_l2_to_eth(SL_L2_SLL2, NULL, 0, &c), -EMSGSIZE);
	assert_int_equal(sl_l2_to_eth(SL_L2_IPV6, NULL, 0, &c), 0);
}

/* Random bytes never make a conversion strip more than the frame holds. */
static void
test_random_frames(void **state)
{
	uint32_t seed = 12345;
	uint8_t b[64];

	(void)state;
	for (int i = 0; i < 200000; i++) {
		struct sl_l2_conv c;
		uint32_t len;
		int kind, rc;

		for (size_t k = 0; k < sizeof(b); k++) {
			seed = seed * 1103515245u + 12345u;
			b[k] = (uint8_t)(seed >> 16);
		}
		len = b[0] % (sizeof(b) + 1);
		kind = 1 + b[1] % (SL_L2_KIND_MAX - 1);
		rc = convert(kind, b, len, &c);
		assert_true(rc == 0 || rc == -EMSGSIZE || rc == -EPROTONOSUPPORT);
		if (rc == 0)
			assert_true(c.strip <= len);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kind_of),
		cmocka_unit_test(test_raw),
		cmocka_unit_test(test_raw_bad_version),
		cmocka_unit_test(test_null_and_loop),
		cmocka_unit_test(test_sll),
		cmocka_unit_test(test_sll2),
		cmocka_unit_test(test_bad_arguments_and_header),
		cmocka_unit_test(test_random_frames),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
