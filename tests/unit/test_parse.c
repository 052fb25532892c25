/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for lib/parse (sl_parse_eth, sl_parse_err_name).
 *
 * Frames are assembled by hand with the fb_* builders, which also record
 * where each header starts and ends. Every valid frame is checked field by
 * field against an expected struct written out in the test, then parsed
 * again at every truncated length 0..len-1 from an exactly-sized heap
 * buffer (so ASan flags any over-read); the expected result for a cut is
 * derived from the recorded layout (expect_cut), not from the parser.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sl_parse.h"

#define FRAME_MAX 2048
#define FRAME_MAX_EXT 16

/* A frame under construction plus the layout the truncation checks need. */
struct frame {
	uint8_t b[FRAME_MAX];
	uint32_t len;
	uint32_t n_tags;
	uint16_t tpid[4];      /* ethertype field that announced tag i */
	uint8_t l3;            /* SL_L3_* of the IP header built, 0 if none */
	uint32_t l3_off;
	uint32_t l3_hlen;      /* IPv4 IHL*4, IPv6 40 */
	uint32_t len_field;    /* offset of total_len / payload_len */
	uint32_t n_ext;
	uint32_t ext_end[FRAME_MAX_EXT];
	uint32_t frag_end;     /* end of the header carrying frag info, 0 none */
	uint32_t l4_off;       /* L4 start when the parser must look at L4 */
	uint32_t l4_need;      /* bytes needed for the ports (0: no ports) */
	uint32_t l4_full;      /* bytes of the complete L4 header */
};

static const uint8_t V4A[4] = { 192, 0, 2, 1 };
static const uint8_t V4B[4] = { 198, 51, 100, 2 };
static const uint8_t V6A[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
				 0, 0, 0, 0, 0, 0, 0, 0x01 };
static const uint8_t V6B[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
				 0, 0, 0, 0, 0, 0, 0, 0x02 };

/* ---- frame builders ----------------------------------------------------- */

static void
fb_u8(struct frame *f, uint8_t v)
{
	assert_true(f->len < FRAME_MAX);
	f->b[f->len++] = v;
}

static void
fb_u16(struct frame *f, uint16_t v)
{
	fb_u8(f, (uint8_t)(v >> 8));
	fb_u8(f, (uint8_t)v);
}

static void
fb_u32(struct frame *f, uint32_t v)
{
	fb_u16(f, (uint16_t)(v >> 16));
	fb_u16(f, (uint16_t)v);
}

static void
fb_put(struct frame *f, const uint8_t *p, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		fb_u8(f, p[i]);
}

static void
fb_fill(struct frame *f, uint32_t n, uint8_t v)
{
	for (uint32_t i = 0; i < n; i++)
		fb_u8(f, v);
}

static void
wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
fb_eth(struct frame *f, uint16_t type)
{
	static const uint8_t macs[12] = { 0x02, 0, 0, 0, 0, 0x01,
					  0x02, 0, 0, 0, 0, 0x02 };

	memset(f, 0, sizeof(*f));
	fb_put(f, macs, sizeof(macs));
	fb_u16(f, type);
}

/* A tag after the ethertype already written (which must be a TPID). */
static void
fb_vlan(struct frame *f, uint16_t tci, uint16_t next)
{
	f->tpid[f->n_tags++] =
		(uint16_t)(f->b[f->len - 2] << 8 | f->b[f->len - 1]);
	fb_u16(f, tci);
	fb_u16(f, next);
}

static void
fb_ipv4(struct frame *f, uint8_t proto, unsigned int ihl, uint16_t fw,
	uint16_t id, const uint8_t *src, const uint8_t *dst)
{
	f->l3 = SL_L3_IPV4;
	f->l3_off = f->len;
	f->l3_hlen = ihl * 4;
	f->len_field = f->len + 2;
	fb_u8(f, (uint8_t)(0x40 | ihl));
	fb_u8(f, 0);
	fb_u16(f, 0); /* total length, set by fb_done() */
	fb_u16(f, id);
	fb_u16(f, fw);
	fb_u8(f, 64);
	fb_u8(f, proto);
	fb_u16(f, 0);
	fb_put(f, src, 4);
	fb_put(f, dst, 4);
	fb_fill(f, ihl * 4 - 20, 0x01); /* NOP options */
	if (fw & 0x3fff)
		f->frag_end = f->len;
}

static void
fb_ipv6(struct frame *f, uint8_t nh, const uint8_t *src, const uint8_t *dst)
{
	f->l3 = SL_L3_IPV6;
	f->l3_off = f->len;
	f->l3_hlen = 40;
	f->len_field = f->len + 4;
	fb_u32(f, 0x60abcdefu); /* version 6, traffic class, flow label */
	fb_u16(f, 0);           /* payload length, set by fb_done() */
	fb_u8(f, nh);
	fb_u8(f, 64);
	fb_put(f, src, 16);
	fb_put(f, dst, 16);
}

/* Extension header of hlen bytes: AH counts 4-byte units minus 2, the
 * others 8-byte units minus 1. */
static void
fb_ext(struct frame *f, uint8_t type, uint8_t next, uint32_t hlen)
{
	uint32_t code;

	if (type == 51) {
		assert_true(hlen >= 8 && hlen % 4 == 0);
		code = hlen / 4 - 2;
	} else {
		assert_true(hlen >= 8 && hlen % 8 == 0);
		code = hlen / 8 - 1;
	}
	assert_true(code <= 255 && f->n_ext < FRAME_MAX_EXT);
	fb_u8(f, next);
	fb_u8(f, (uint8_t)code);
	fb_fill(f, hlen - 2, 0);
	f->ext_end[f->n_ext++] = f->len;
}

static void
fb_frag6(struct frame *f, uint8_t next, uint16_t off, int more, uint32_t id)
{
	assert_true(off % 8 == 0 && f->n_ext < FRAME_MAX_EXT);
	fb_u8(f, next);
	fb_u8(f, 0);
	fb_u16(f, (uint16_t)(off | (more ? 1 : 0)));
	fb_u32(f, id);
	f->ext_end[f->n_ext++] = f->len;
	if (off != 0 || more)
		f->frag_end = f->len;
}

static void
fb_l4_mark(struct frame *f, uint32_t need, uint32_t full)
{
	f->l4_off = f->len;
	f->l4_need = need;
	f->l4_full = full;
}

static void
fb_tcp(struct frame *f, uint16_t sport, uint16_t dport, uint8_t flags,
       unsigned int doff)
{
	fb_l4_mark(f, 20, doff * 4);
	fb_u16(f, sport);
	fb_u16(f, dport);
	fb_u32(f, 0x01020304);
	fb_u32(f, 0x05060708);
	fb_u8(f, (uint8_t)(doff << 4));
	fb_u8(f, flags);
	fb_u16(f, 65535);
	fb_u32(f, 0);
	fb_fill(f, doff * 4 - 20, 0x01);
}

/* UDP and UDP-Lite share the 8-byte layout. */
static void
fb_udp(struct frame *f, uint16_t sport, uint16_t dport)
{
	fb_l4_mark(f, 8, 8);
	fb_u16(f, sport);
	fb_u16(f, dport);
	fb_u32(f, 0);
}

static void
fb_sctp(struct frame *f, uint16_t sport, uint16_t dport)
{
	fb_l4_mark(f, 12, 12);
	fb_u16(f, sport);
	fb_u16(f, dport);
	fb_u32(f, 0xcafef00d);
	fb_u32(f, 0);
}

static void
fb_icmp(struct frame *f, uint8_t type, uint8_t code)
{
	fb_l4_mark(f, 4, 4);
	fb_u8(f, type);
	fb_u8(f, code);
	fb_u16(f, 0);
	fb_u32(f, 0x00010002); /* id, seq */
}

/* L4 without ports (GRE, ESP, ...). */
static void
fb_other(struct frame *f, uint32_t n)
{
	fb_l4_mark(f, 0, 0);
	fb_fill(f, n, 0xab);
}

static void
fb_data(struct frame *f, uint32_t n)
{
	fb_fill(f, n, 0x5a);
}

/* Set the IP length field to cover everything built so far. */
static void
fb_done(struct frame *f)
{
	if (f->l3 == SL_L3_IPV4)
		wr16(f->b + f->len_field, (uint16_t)(f->len - f->l3_off));
	else if (f->l3 == SL_L3_IPV6)
		wr16(f->b + f->len_field,
		     (uint16_t)(f->len - f->l3_off - 40));
}

/* ---- expected results --------------------------------------------------- */

static void
xe_init(struct sl_pkt_info *x, uint16_t ethertype)
{
	memset(x, 0, sizeof(*x));
	x->ethertype = ethertype;
}

static void
xe_vlan(struct sl_pkt_info *x, uint16_t vid)
{
	x->vlan[x->n_vlans++] = vid;
}

static void
xe_ipv4(struct sl_pkt_info *x, uint16_t l3_off, uint8_t proto)
{
	x->l3 = SL_L3_IPV4;
	x->l3_off = l3_off;
	memcpy(x->src, V4A, 4);
	memcpy(x->dst, V4B, 4);
	x->proto = proto;
}

static void
xe_ipv6(struct sl_pkt_info *x, uint16_t l3_off, uint8_t proto, uint8_t n_ext)
{
	x->l3 = SL_L3_IPV6;
	x->l3_off = l3_off;
	memcpy(x->src, V6A, 16);
	memcpy(x->dst, V6B, 16);
	x->proto = proto;
	x->n_ext = n_ext;
}

static void
xe_l4(struct sl_pkt_info *x, uint16_t off, uint16_t len)
{
	x->l4_off = off;
	x->l4_len = len;
}

static void
xe_ports(struct sl_pkt_info *x, uint16_t sport, uint16_t dport)
{
	x->sport = sport;
	x->dport = dport;
	x->has_ports = 1;
}

static void
xe_frag(struct sl_pkt_info *x, uint8_t flags, uint16_t off, uint32_t id)
{
	x->frag = flags;
	x->frag_off = off;
	x->frag_id = id;
}

/* Compare every field; on mismatch name the field and the buffer length. */
static void
check_pi(const struct sl_pkt_info *got, const struct sl_pkt_info *want,
	 const char *what, uint32_t len)
{
	int bad = 0;

#define CMP(fld)                                                              \
	do {                                                                  \
		if (got->fld != want->fld) {                                  \
			print_error("%s len=%u: " #fld " got %lu want %lu\n", \
				    what, len, (unsigned long)got->fld,       \
				    (unsigned long)want->fld);                \
			bad++;                                                \
		}                                                             \
	} while (0)
	CMP(err);
	CMP(n_vlans);
	CMP(vlan[0]);
	CMP(vlan[1]);
	CMP(ethertype);
	CMP(l3);
	CMP(l3_off);
	CMP(proto);
	CMP(n_ext);
	CMP(l4_off);
	CMP(l4_len);
	CMP(has_ports);
	CMP(sport);
	CMP(dport);
	CMP(tcp_flags);
	CMP(frag);
	CMP(frag_off);
	CMP(frag_id);
#undef CMP
	if (memcmp(got->src, want->src, 16) != 0) {
		print_error("%s len=%u: src differs\n", what, len);
		bad++;
	}
	if (memcmp(got->dst, want->dst, 16) != 0) {
		print_error("%s len=%u: dst differs\n", what, len);
		bad++;
	}
	if (bad)
		print_error("%s len=%u: err is %s\n", what, len,
			    sl_parse_err_name(got->err));
	assert_int_equal(bad, 0);
}

/* Parse n bytes of p from an exactly-sized heap copy (ASan catches reads
 * past the end; len 0 passes NULL). */
static int
parse_copy(const uint8_t *p, uint32_t n, struct sl_pkt_info *pi)
{
	uint8_t *buf = NULL;
	int rc;

	if (n) {
		buf = malloc(n);
		assert_non_null(buf);
		memcpy(buf, p, n);
	}
	rc = sl_parse_eth(buf, n, pi);
	free(buf);
	assert_int_equal(rc, pi->err);
	return rc;
}

static uint32_t
min_u32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

/*
 * What parsing the first n bytes of a valid frame f (full result ref)
 * must give: the layers complete within n are as in ref, the first cut
 * header gives its *_TRUNCATED class, everything after it is zero.
 */
static void
expect_cut(const struct frame *f, const struct sl_pkt_info *ref, uint32_t n,
	   struct sl_pkt_info *e)
{
	uint32_t i, l4_avail;

	memset(e, 0, sizeof(*e));
	if (n < 14) {
		e->err = SL_PARSE_ERR_L2_TRUNCATED;
		return;
	}
	for (i = 0; i < f->n_tags; i++) {
		if (n < 14 + 4 * (i + 1)) {
			e->ethertype = f->tpid[i];
			e->err = SL_PARSE_ERR_VLAN_TRUNCATED;
			return;
		}
		e->vlan[i] = ref->vlan[i];
		e->n_vlans = (uint8_t)(i + 1);
	}
	e->ethertype = ref->ethertype;
	if (f->l3 == SL_L3_NONE) {
		*e = *ref;
		return;
	}
	if (n < f->l3_off + f->l3_hlen) {
		e->err = f->l3 == SL_L3_IPV4 ? SL_PARSE_ERR_IPV4_TRUNCATED :
					       SL_PARSE_ERR_IPV6_TRUNCATED;
		return;
	}
	e->l3 = ref->l3;
	e->l3_off = ref->l3_off;
	memcpy(e->src, ref->src, 16);
	memcpy(e->dst, ref->dst, 16);
	if (f->frag_end && n >= f->frag_end) {
		e->frag = ref->frag;
		e->frag_off = ref->frag_off;
		e->frag_id = ref->frag_id;
	}
	for (i = 0; i < f->n_ext; i++) {
		if (n < f->ext_end[i]) {
			e->err = SL_PARSE_ERR_IPV6_EXT_TRUNCATED;
			return;
		}
		e->n_ext = (uint8_t)(i + 1);
	}
	e->proto = ref->proto;
	if (f->l4_off == 0)
		return; /* no L4 to look at: non-first fragment, No Next */
	l4_avail = min_u32(n - f->l4_off, ref->l4_len);
	if (l4_avail > 0) {
		e->l4_off = ref->l4_off;
		e->l4_len = (uint16_t)l4_avail;
	}
	if (l4_avail < f->l4_need) {
		e->err = SL_PARSE_ERR_L4_TRUNCATED;
		return;
	}
	if (f->l4_need) {
		e->has_ports = ref->has_ports;
		e->sport = ref->sport;
		e->dport = ref->dport;
		e->tcp_flags = ref->tcp_flags;
	}
	if (l4_avail < f->l4_full)
		e->err = SL_PARSE_ERR_L4_TRUNCATED;
}

static void
check_all_lengths(const struct frame *f, const struct sl_pkt_info *ref,
		  const char *what)
{
	struct sl_pkt_info pi, e;

	for (uint32_t n = 0; n <= f->len; n++) {
		parse_copy(f->b, n, &pi);
		expect_cut(f, ref, n, &e);
		check_pi(&pi, &e, what, n);
	}
}

/* ---- valid frames ------------------------------------------------------- */

static void
case_ipv4_tcp(struct frame *f, struct sl_pkt_info *x)
{
	fb_eth(f, 0x0800);
	fb_ipv4(f, 6, 5, 0x4000 /* DF only: not a fragment */, 0x1111, V4A,
		V4B);
	fb_tcp(f, 1234, 80, 0x02, 5);
	fb_data(f, 10);
	fb_done(f);

	xe_init(x, 0x0800);
	xe_ipv4(x, 14, 6);
	xe_l4(x, 34, 30);
	xe_ports(x, 1234, 80);
	x->tcp_flags = 0x02;
}

static void
case_ipv4_opts_tcp_opts(struct frame *f, struct sl_pkt_info *x)
{
	fb_eth(f, 0x0800);
	fb_ipv4(f, 6, 15, 0, 1, V4A, V4B);
	fb_tcp(f, 40000, 443, 0x18, 15);
	fb_data(f, 5);
	fb_done(f);

	xe_init(x, 0x0800);
	xe_ipv4(x, 14, 6);
	xe_l4(x, 74, 65);
	xe_ports(x, 40000, 443);
	x->tcp_flags = 0x18;
}

static void
case_vlan_ipv4_udp(struct frame *f, struct sl_pkt_info *x)
{
	fb_eth(f, 0x8100);
	fb_vlan(f, 0xa064, 0x0800); /* PCP 5, VID 100 */
	fb_ipv4(f, 17, 5, 0, 2, V4A, V4B);
	fb_udp(f, 5353, 53);
	fb_data(f, 20);
	fb_done(f);

	xe_init(x, 0x0800);
	xe_vlan(x, 100);
	xe_ipv4(x, 18, 17);
	xe_l4(x, 38, 28);
	xe_ports(x, 5353, 53);
}

static void
case_qinq_ipv4_sctp(struct frame *f, struct sl_pkt_info *x)
{
	fb_eth(f, 0x88a8);
	fb_vlan(f, 0x00c8, 0x8100);  /* S-tag VID 200 */
	fb_vlan(f, 0xfffe, 0x0800);  /* C-tag PCP 7, DEI, VID 4094 */
	fb_ipv4(f, 132, 5, 0, 3, V4A, V4B);
	fb_sctp(f, 2905, 3868);
	fb_data(f, 16);
	fb_done(f);

	xe_init(x, 0x0800);
	xe_vlan(x, 200);
	xe_vlan(x, 4094);
	xe_ipv4(x, 22, 132);
	xe_l4(x, 42, 28);
	xe_ports(x, 2905, 3868);
}

static void
case_qinq9100_ipv6_tcp(struct frame *f, struct sl_pkt_info *x)
{
	fb_eth(f, 0x9100);
	fb_vlan(f, 0x0001, 0x8100);
	fb_vlan(f, 0x2002, 0x86dd);
	fb_ipv6(f, 6, V6A, V6B);
	fb_tcp(f, 22, 50000, 0x10, 8);
	fb_data(f, 3);
	fb_done(f);

	xe_init(x, 0x86dd);
	xe_vlan(x, 1);
	xe_vlan(x, 2);
	xe_ipv6(x, 22, 6, 0);
	xe_l4(x, 62, 35);
	xe_ports(x, 22, 50000);
	x->tcp_flags = 0x10;
}

static void
case_tag9100_ipv4_icmp_echo(struct frame *f, struct sl_pkt_info *x)
{
	fb_eth(f, 0x9100);
	fb_vlan(f, 7, 0x0800);
	fb_ipv4(f, 1, 5, 0, 4, V4A, V4B);
	fb_icmp(f, 8, 0);
	fb_data(f, 4);
	fb_done(f);

	xe_init(x, 0x0800);
	xe_vlan(x, 7);
	xe_ipv4(x, 18, 1);
	xe_l4(x, 38, 12);
	xe_ports(x, 8, 0);
}

static void
case_tag88a8_ipv6_udp(struct frame *f, struct sl_pkt_info *x)
{
	fb_eth(f, 0x88a8);
	fb_vlan(f, 0x0fff, 0x86dd);
	fb_ipv6(f, 17, V6A, V6B);
	fb_udp(f, 123, 123);
	fb_data(f, 48);
	fb_done(f);

	xe_init(x, 0x86dd);
	xe_vlan(x, 4095);
	xe_ipv6(x, 18, 17, 0);
	xe_l4(x, 58, 56);
	xe_ports(x, 123, 123);
}

static void
case_ipv4_icmp_echo_reply(struct frame *f, struct sl_pkt_info *x)
{
	fb_eth(f, 0x0800);
	fb_ipv4(f, 1, 5, 0, 5, V4A, V4B);
	fb_icmp(f, 0, 0);
	fb_done(f);

	xe_init(x, 0x0800);
	xe_ipv4(x, 14, 1);
	xe_l4(x, 34, 8);
	xe_ports(x, 0, 8);
}

static void
case_ipv4_icmp_unreach(struct frame *f, struct sl_pkt_info *x)
{
	fb_eth(f, 0x0800);
	fb_ipv4(f, 1, 5, 0, 6, V4A, V4B);
	fb_icmp(f, 3, 3); /* port unreachable: one-way, dport = code */
	fb_data(f, 28);
	fb_done(f);

	xe_init(x, 0x0800);
	xe_ipv4(x, 14, 1);
	xe_l4(x, 34, 36);
	xe_ports(x, 3, 3);
}

static void
case_ipv6_udp(struct frame *f, struct sl_pkt_info *x)
{
	fb_eth(f, 0x86dd);
	fb_ipv6(f, 17, V6A, V6B);
	fb_udp(f, 1000, 2000);
	fb_data(f, 7);
	fb_done(f);

	xe_init(x, 0x86dd);
	xe_ipv6(x, 14, 17, 0);
	xe_l4(x, 54, 15);
	xe_ports(x, 1000, 2000);
}

static void
case_ipv6_hbh_udp(struct frame *f, struct sl_pkt_info *x)
{
	fb_eth(f, 0x86dd);
	fb_ipv6(f, 0, V6A, V6B);
	fb_ext(f, 0, 17, 8);
	fb_udp(f, 546, 547);
	fb_data(f, 9);
	fb_done(f);

	xe_init(x, 0x86dd);
	xe_ipv6(x, 14, 17, 1);
	xe_l4(x, 62, 17);
	xe_ports(x, 546, 547);
}

static void
case_ipv6_rt_tcp(struct frame *f, struct sl_pkt_info *x)
{
	fb_eth(f, 0x86dd);
	fb_ipv6(f, 43, V6A, V6B);
	fb_ext(f, 43, 6, 24);
	fb_tcp(f, 5, 6, 0x01, 5);
	fb_done(f);

	xe_init(x, 0x86dd);
	xe_ipv6(x, 14, 6, 1);
	xe_l4(x, 78, 20);
	xe_ports(x, 5, 6);
	x->tcp_flags = 0x01;
}

static void
case_ipv6_dst_sctp(struct frame *f, struct sl_pkt_info *x)
{
	fb_eth(f, 0x86dd);
	fb_ipv6(f, 60, V6A, V6B);
	fb_ext(f, 60, 132, 16);
	fb_sctp(f, 9899, 9900);
	fb_done(f);

	xe_init(x, 0x86dd);
	xe_ipv6(x, 14, 132, 1);
	xe_l4(x, 70, 12);
	xe_ports(x, 9899, 9900);
}

static void
case_ipv6_ah_tcp(struct frame *f, struct sl_pkt_info *x)
{
	fb_eth(f, 0x86dd);
	fb_ipv6(f, 51, V6A, V6B);
	fb_ext(f, 51, 6, 24); /* length field 4: (4 + 2) * 4 */
	fb_tcp(f, 179, 33000, 0x11, 5);
	fb_done(f);

	xe_init(x, 0x86dd);
	xe_ipv6(x, 14, 6, 1);
	xe_l4(x, 78, 20);
	xe_ports(x, 179, 33000);
	x->tcp_flags = 0x11;
}

static void
case_ipv6_mobility_nonext(struct frame *f, struct sl_pkt_info *x)
{
	fb_eth(f, 0x86dd);
	fb_ipv6(f, 135, V6A, V6B);
	fb_ext(f, 135, 59, 16);
	fb_data(f, 8); /* ignored after No Next Header */
	fb_done(f);

	xe_init(x, 0x86dd);
	xe_ipv6(x, 14, 59, 1);
}

static void
case_ipv6_hip_tcp(struct frame *f, struct sl_pkt_info *x)
{
	fb_eth(f, 0x86dd);
	fb_ipv6(f, 139, V6A, V6B);
	fb_ext(f, 139, 6, 40);
	fb_tcp(f, 1, 2, 0x04, 6);
	fb_done(f);

	xe_init(x, 0x86dd);
	xe_ipv6(x, 14, 6, 1);
	xe_l4(x, 94, 24);
	xe_ports(x, 1, 2);
	x->tcp_flags = 0x04;
}

static void
case_ipv6_shim6_udp(struct frame *f, struct sl_pkt_info *x)
{
	fb_eth(f, 0x86dd);
	fb_ipv6(f, 140, V6A, V6B);
	fb_ext(f, 140, 17, 8);
	fb_udp(f, 3, 4);
	fb_done(f);

	xe_init(x, 0x86dd);
	xe_ipv6(x, 14, 17, 1);
	xe_l4(x, 62, 8);
	xe_ports(x, 3, 4);
}

static void
case_ipv6_chain_tcp(struct frame *f, struct sl_pkt_info *x)
{
	fb_eth(f, 0x86dd);
	fb_ipv6(f, 0, V6A, V6B);
	fb_ext(f, 0, 60, 8);                  /* 54..62 */
	fb_ext(f, 60, 43, 16);                /* ..78 */
	fb_ext(f, 43, 44, 24);                /* ..102 */
	fb_frag6(f, 51, 0, 0, 0xabcdef01);    /* atomic, ..110 */
	fb_ext(f, 51, 60, 16);                /* ..126 */
	fb_ext(f, 60, 6, 8);                  /* ..134 */
	fb_tcp(f, 8080, 61000, 0x12, 5);
	fb_data(f, 1);
	fb_done(f);

	xe_init(x, 0x86dd);
	xe_ipv6(x, 14, 6, 6);
	xe_l4(x, 134, 21);
	xe_ports(x, 8080, 61000);
	x->tcp_flags = 0x12;
}

static void
case_ipv6_max_ext_udp(struct frame *f, struct sl_pkt_info *x)
{
	fb_eth(f, 0x86dd);
	fb_ipv6(f, 60, V6A, V6B);
	for (int i = 0; i < SL_MAX_IPV6_EXT - 1; i++)
		fb_ext(f, 60, 60, 8);
	fb_ext(f, 60, 17, 8);
	fb_udp(f, 7, 9);
	fb_done(f);

	xe_init(x, 0x86dd);
	xe_ipv6(x, 14, 17, SL_MAX_IPV6_EXT);
	xe_l4(x, 54 + 8 * SL_MAX_IPV6_EXT, 8);
	xe_ports(x, 7, 9);
}

static void
case_ipv6_esp(struct frame *f, struct sl_pkt_info *x)
{
	fb_eth(f, 0x86dd);
	fb_ipv6(f, 50, V6A, V6B);
	fb_other(f, 32);
	fb_done(f);

	xe_init(x, 0x86dd);
	xe_ipv6(x, 14, 50, 0);
	xe_l4(x, 54, 32);
}

static void
case_ipv6_icmpv6_echo(struct frame *f, struct sl_pkt_info *x)
{
	fb_eth(f, 0x86dd);
	fb_ipv6(f, 58, V6A, V6B);
	fb_icmp(f, 128, 0);
	fb_done(f);

	xe_init(x, 0x86dd);
	xe_ipv6(x, 14, 58, 0);
	xe_l4(x, 54, 8);
	xe_ports(x, 128, 129);
}

static void
case_ipv6_icmpv6_ns(struct frame *f, struct sl_pkt_info *x)
{
	fb_eth(f, 0x86dd);
	fb_ipv6(f, 58, V6A, V6B);
	fb_icmp(f, 135, 0);
	fb_data(f, 16);
	fb_done(f);

	xe_init(x, 0x86dd);
	xe_ipv6(x, 14, 58, 0);
	xe_l4(x, 54, 24);
	xe_ports(x, 135, 136);
}

static void
case_ipv6_frag_first_udp(struct frame *f, struct sl_pkt_info *x)
{
	fb_eth(f, 0x86dd);
	fb_ipv6(f, 44, V6A, V6B);
	fb_frag6(f, 17, 0, 1, 0xdeadbeef);
	fb_udp(f, 4000, 4001);
	fb_data(f, 100);
	fb_done(f);

	xe_init(x, 0x86dd);
	xe_ipv6(x, 14, 17, 1);
	xe_frag(x, SL_FRAG_IS_FRAGMENT | SL_FRAG_FIRST | SL_FRAG_MORE, 0,
		0xdeadbeef);
	xe_l4(x, 62, 108);
	xe_ports(x, 4000, 4001);
}

static void
case_ipv6_frag_middle(struct frame *f, struct sl_pkt_info *x)
{
	fb_eth(f, 0x86dd);
	fb_ipv6(f, 44, V6A, V6B);
	fb_frag6(f, 17, 1232, 1, 0xdeadbeef);
	fb_data(f, 64);
	fb_done(f);

	xe_init(x, 0x86dd);
	xe_ipv6(x, 14, 17, 1);
	xe_frag(x, SL_FRAG_IS_FRAGMENT | SL_FRAG_MORE, 1232, 0xdeadbeef);
}

static void
case_ipv6_frag_last(struct frame *f, struct sl_pkt_info *x)
{
	fb_eth(f, 0x86dd);
	fb_ipv6(f, 60, V6A, V6B);
	fb_ext(f, 60, 44, 8); /* unfragmentable part before the frag hdr */
	fb_frag6(f, 6, 2464, 0, 7);
	fb_data(f, 40);
	fb_done(f);

	xe_init(x, 0x86dd);
	xe_ipv6(x, 14, 6, 2);
	xe_frag(x, SL_FRAG_IS_FRAGMENT, 2464, 7);
}

static void
case_ipv6_atomic_frag_tcp(struct frame *f, struct sl_pkt_info *x)
{
	fb_eth(f, 0x86dd);
	fb_ipv6(f, 44, V6A, V6B);
	fb_frag6(f, 6, 0, 0, 0x55);
	fb_tcp(f, 80, 1024, 0x11, 5);
	fb_done(f);

	xe_init(x, 0x86dd);
	xe_ipv6(x, 14, 6, 1); /* frag fields stay 0 */
	xe_l4(x, 62, 20);
	xe_ports(x, 80, 1024);
	x->tcp_flags = 0x11;
}

static void
case_ipv4_frag_first_udp(struct frame *f, struct sl_pkt_info *x)
{
	fb_eth(f, 0x0800);
	fb_ipv4(f, 17, 5, 0x2000, 0x1234, V4A, V4B);
	fb_udp(f, 500, 4500);
	fb_data(f, 50);
	fb_done(f);

	xe_init(x, 0x0800);
	xe_ipv4(x, 14, 17);
	xe_frag(x, SL_FRAG_IS_FRAGMENT | SL_FRAG_FIRST | SL_FRAG_MORE, 0,
		0x1234);
	xe_l4(x, 34, 58);
	xe_ports(x, 500, 4500);
}

static void
case_ipv4_frag_middle(struct frame *f, struct sl_pkt_info *x)
{
	fb_eth(f, 0x0800);
	fb_ipv4(f, 17, 5, 0x2000 | 185, 0x1234, V4A, V4B);
	fb_data(f, 80);
	fb_done(f);

	xe_init(x, 0x0800);
	xe_ipv4(x, 14, 17);
	xe_frag(x, SL_FRAG_IS_FRAGMENT | SL_FRAG_MORE, 1480, 0x1234);
}

static void
case_ipv4_frag_last(struct frame *f, struct sl_pkt_info *x)
{
	fb_eth(f, 0x8100);
	fb_vlan(f, 42, 0x0800);
	fb_ipv4(f, 6, 6, 370, 0xffff, V4A, V4B);
	fb_data(f, 30);
	fb_done(f);

	xe_init(x, 0x0800);
	xe_vlan(x, 42);
	xe_ipv4(x, 18, 6);
	xe_frag(x, SL_FRAG_IS_FRAGMENT, 2960, 0xffff);
}

static void
case_ipv4_gre(struct frame *f, struct sl_pkt_info *x)
{
	fb_eth(f, 0x0800);
	fb_ipv4(f, 47, 5, 0, 9, V4A, V4B);
	fb_other(f, 8);
	fb_done(f);

	xe_init(x, 0x0800);
	xe_ipv4(x, 14, 47);
	xe_l4(x, 34, 8);
}

static void
case_ipv4_udplite(struct frame *f, struct sl_pkt_info *x)
{
	fb_eth(f, 0x0800);
	fb_ipv4(f, 136, 5, 0, 10, V4A, V4B);
	fb_udp(f, 1111, 2222);
	fb_data(f, 2);
	fb_done(f);

	xe_init(x, 0x0800);
	xe_ipv4(x, 14, 136);
	xe_l4(x, 34, 10);
	xe_ports(x, 1111, 2222);
}

/* Minimum-size frame: 14 bytes of Ethernet padding after the datagram. */
static void
case_ipv4_udp_padded(struct frame *f, struct sl_pkt_info *x)
{
	fb_eth(f, 0x0800);
	fb_ipv4(f, 17, 5, 0, 11, V4A, V4B);
	fb_udp(f, 67, 68);
	fb_data(f, 6);
	fb_done(f);
	fb_fill(f, 60 - f->len, 0); /* total_len 34, frame 60 */

	xe_init(x, 0x0800);
	xe_ipv4(x, 14, 17);
	xe_l4(x, 34, 14);
	xe_ports(x, 67, 68);
}

static void
case_ipv6_udp_trailer(struct frame *f, struct sl_pkt_info *x)
{
	fb_eth(f, 0x86dd);
	fb_ipv6(f, 17, V6A, V6B);
	fb_udp(f, 9, 10);
	fb_data(f, 4);
	fb_done(f);
	fb_fill(f, 10, 0xee); /* trailer after payload_len: not L4 */

	xe_init(x, 0x86dd);
	xe_ipv6(x, 14, 17, 0);
	xe_l4(x, 54, 12);
	xe_ports(x, 9, 10);
}

/* Payload length 0 with hop-by-hop first: jumbogram, use captured bytes. */
static void
case_ipv6_jumbo_udp(struct frame *f, struct sl_pkt_info *x)
{
	uint32_t hbh;

	fb_eth(f, 0x86dd);
	fb_ipv6(f, 0, V6A, V6B);
	hbh = f->len;
	fb_ext(f, 0, 17, 8);
	f->b[hbh + 2] = 0xc2; /* Jumbo Payload option, 4 bytes */
	f->b[hbh + 3] = 4;
	f->b[hbh + 7] = 36;
	fb_udp(f, 5000, 5001);
	fb_data(f, 20);
	fb_done(f);
	wr16(f->b + f->len_field, 0);

	xe_init(x, 0x86dd);
	xe_ipv6(x, 14, 17, 1);
	xe_l4(x, 62, 28);
	xe_ports(x, 5000, 5001);
}

static void
case_arp(struct frame *f, struct sl_pkt_info *x)
{
	fb_eth(f, 0x0806);
	fb_data(f, 28);
	xe_init(x, 0x0806);
}

static void
case_vlan_arp(struct frame *f, struct sl_pkt_info *x)
{
	fb_eth(f, 0x8100);
	fb_vlan(f, 10, 0x0806);
	fb_data(f, 28);
	xe_init(x, 0x0806);
	xe_vlan(x, 10);
}

static void
case_lldp(struct frame *f, struct sl_pkt_info *x)
{
	fb_eth(f, 0x88cc);
	fb_data(f, 32);
	xe_init(x, 0x88cc);
}

static void
case_mpls(struct frame *f, struct sl_pkt_info *x)
{
	fb_eth(f, 0x8847);
	fb_u32(f, 0x00064140); /* label 100, bottom of stack */
	fb_data(f, 40);
	xe_init(x, 0x8847);
}

static void
case_8023_llc(struct frame *f, struct sl_pkt_info *x)
{
	fb_eth(f, 0x0026); /* 802.3 length field */
	fb_data(f, 38);
	xe_init(x, 0x0026);
}

#define VALID_CASES(X)                                                        \
	X(ipv4_tcp)                                                           \
	X(ipv4_opts_tcp_opts)                                                 \
	X(vlan_ipv4_udp)                                                      \
	X(qinq_ipv4_sctp)                                                     \
	X(qinq9100_ipv6_tcp)                                                  \
	X(tag9100_ipv4_icmp_echo)                                             \
	X(tag88a8_ipv6_udp)                                                   \
	X(ipv4_icmp_echo_reply)                                               \
	X(ipv4_icmp_unreach)                                                  \
	X(ipv6_udp)                                                           \
	X(ipv6_hbh_udp)                                                       \
	X(ipv6_rt_tcp)                                                        \
	X(ipv6_dst_sctp)                                                      \
	X(ipv6_ah_tcp)                                                        \
	X(ipv6_mobility_nonext)                                               \
	X(ipv6_hip_tcp)                                                       \
	X(ipv6_shim6_udp)                                                     \
	X(ipv6_chain_tcp)                                                     \
	X(ipv6_max_ext_udp)                                                   \
	X(ipv6_esp)                                                           \
	X(ipv6_icmpv6_echo)                                                   \
	X(ipv6_icmpv6_ns)                                                     \
	X(ipv6_frag_first_udp)                                                \
	X(ipv6_frag_middle)                                                   \
	X(ipv6_frag_last)                                                     \
	X(ipv6_atomic_frag_tcp)                                               \
	X(ipv4_frag_first_udp)                                                \
	X(ipv4_frag_middle)                                                   \
	X(ipv4_frag_last)                                                     \
	X(ipv4_gre)                                                           \
	X(ipv4_udplite)                                                       \
	X(ipv4_udp_padded)                                                    \
	X(ipv6_udp_trailer)                                                   \
	X(ipv6_jumbo_udp)                                                     \
	X(arp)                                                                \
	X(vlan_arp)                                                           \
	X(lldp)                                                               \
	X(mpls)                                                               \
	X(8023_llc)

struct valid_case {
	const char *name;
	void (*build)(struct frame *f, struct sl_pkt_info *x);
};

#define CASE_DEF(n) static struct valid_case vc_##n = { #n, case_##n };
VALID_CASES(CASE_DEF)
#undef CASE_DEF

#define CASE_PTR(n) &vc_##n,
static struct valid_case *const all_cases[] = { VALID_CASES(CASE_PTR) };
#undef CASE_PTR
#define N_CASES (sizeof(all_cases) / sizeof(all_cases[0]))

/* Full frame equals the hand-written result; every prefix is consistent. */
static void
test_valid_case(void **state)
{
	const struct valid_case *vc = *state;
	struct sl_pkt_info x, pi;
	struct frame f;

	vc->build(&f, &x);
	assert_int_equal(parse_copy(f.b, f.len, &pi), SL_PARSE_OK);
	check_pi(&pi, &x, vc->name, f.len);
	check_all_lengths(&f, &x, vc->name);
}

/* ---- malformed frames --------------------------------------------------- */

/* Every prefix of a frame that is bad in full must fail too. */
static void
check_prefixes_fail(const struct frame *f)
{
	struct sl_pkt_info pi;

	for (uint32_t n = 0; n <= f->len; n++)
		assert_int_not_equal(parse_copy(f->b, n, &pi), SL_PARSE_OK);
}

static void
test_vlan_too_deep(void **state)
{
	static const uint16_t tpids[3] = { 0x8100, 0x88a8, 0x9100 };
	struct sl_pkt_info pi, x;
	struct frame f;

	(void)state;
	for (int t = 0; t < 3; t++) {
		fb_eth(&f, 0x88a8);
		fb_vlan(&f, 100, 0x8100);
		fb_vlan(&f, 200, tpids[t]);
		fb_vlan(&f, 300, 0x0800);
		fb_ipv4(&f, 17, 5, 0, 0, V4A, V4B);
		fb_udp(&f, 1, 2);
		fb_done(&f);

		xe_init(&x, tpids[t]);
		xe_vlan(&x, 100);
		xe_vlan(&x, 200);
		x.err = SL_PARSE_ERR_VLAN_TOO_DEEP;
		parse_copy(f.b, f.len, &pi);
		check_pi(&pi, &x, "vlan_too_deep", f.len);
		/* Decided by the third TPID alone, its tag need not be there. */
		parse_copy(f.b, 22, &pi);
		check_pi(&pi, &x, "vlan_too_deep", 22);
		check_prefixes_fail(&f);
	}
}

static void
build_v4_udp(struct frame *f)
{
	fb_eth(f, 0x8100);
	fb_vlan(f, 300, 0x0800);
	fb_ipv4(f, 17, 5, 0, 0, V4A, V4B);
	fb_udp(f, 1, 2);
	fb_data(f, 4);
	fb_done(f);
}

/* IPv4 header errors: VLANs and ethertype survive, no L3 fields. */
static void
check_v4_error(const struct frame *f, int err, const char *what)
{
	struct sl_pkt_info pi, x;

	xe_init(&x, 0x0800);
	xe_vlan(&x, 300);
	x.err = (uint8_t)err;
	parse_copy(f->b, f->len, &pi);
	check_pi(&pi, &x, what, f->len);
	check_prefixes_fail(f);
}

static void
test_ipv4_malformed(void **state)
{
	struct frame f;

	(void)state;
	for (unsigned int v = 0; v < 16; v++) {
		if (v == 4)
			continue;
		build_v4_udp(&f);
		f.b[18] = (uint8_t)(v << 4 | 5);
		check_v4_error(&f, SL_PARSE_ERR_IPV4_BAD_VERSION, "bad_ver");
	}
	for (unsigned int ihl = 0; ihl < 5; ihl++) {
		build_v4_udp(&f);
		f.b[18] = (uint8_t)(0x40 | ihl);
		check_v4_error(&f, SL_PARSE_ERR_IPV4_BAD_IHL, "ihl_lt5");
	}
	/* IHL 15 (60 bytes) but only 20 + 12 bytes follow. */
	build_v4_udp(&f);
	f.b[18] = 0x4f;
	check_v4_error(&f, SL_PARSE_ERR_IPV4_TRUNCATED, "ihl_beyond");
	/* total_len below the header length. */
	build_v4_udp(&f);
	wr16(f.b + 20, 19);
	check_v4_error(&f, SL_PARSE_ERR_IPV4_BAD_TOTAL_LEN, "tot_lt_20");
	build_v4_udp(&f);
	wr16(f.b + 20, 0);
	check_v4_error(&f, SL_PARSE_ERR_IPV4_BAD_TOTAL_LEN, "tot_0");
	fb_eth(&f, 0x8100);
	fb_vlan(&f, 300, 0x0800);
	fb_ipv4(&f, 17, 6, 0, 0, V4A, V4B);
	fb_udp(&f, 1, 2);
	fb_done(&f);
	wr16(f.b + 20, 20); /* IHL 6 = 24 bytes > 20 */
	check_v4_error(&f, SL_PARSE_ERR_IPV4_BAD_TOTAL_LEN, "tot_lt_ihl");
}

/* total_len says the datagram ends inside the TCP header; the padding
 * after it must not be taken as the rest of the header. */
static void
test_ipv4_total_len_cuts_l4(void **state)
{
	struct sl_pkt_info pi, x;
	struct frame f;

	(void)state;
	fb_eth(&f, 0x0800);
	fb_ipv4(&f, 6, 5, 0, 0, V4A, V4B);
	fb_tcp(&f, 1, 2, 0x02, 5);
	fb_fill(&f, 10, 0);
	wr16(f.b + f.len_field, 24);

	xe_init(&x, 0x0800);
	xe_ipv4(&x, 14, 6);
	xe_l4(&x, 34, 4);
	x.err = SL_PARSE_ERR_L4_TRUNCATED;
	parse_copy(f.b, f.len, &pi);
	check_pi(&pi, &x, "tot_cuts_l4", f.len);
}

/* total_len larger than the capture (snaplen) is fine. */
static void
test_ipv4_snaplen(void **state)
{
	struct sl_pkt_info pi, x;
	struct frame f;

	(void)state;
	fb_eth(&f, 0x0800);
	fb_ipv4(&f, 17, 5, 0, 0, V4A, V4B);
	fb_udp(&f, 53, 1024);
	fb_data(&f, 30);
	wr16(f.b + f.len_field, 1500);

	xe_init(&x, 0x0800);
	xe_ipv4(&x, 14, 17);
	xe_l4(&x, 34, 38);
	xe_ports(&x, 53, 1024);
	parse_copy(f.b, f.len, &pi);
	check_pi(&pi, &x, "v4_snaplen", f.len);
}

static void
test_ipv6_bad_version(void **state)
{
	struct sl_pkt_info pi, x;
	struct frame f;

	(void)state;
	for (unsigned int v = 0; v < 16; v++) {
		if (v == 6)
			continue;
		fb_eth(&f, 0x86dd);
		fb_ipv6(&f, 17, V6A, V6B);
		fb_udp(&f, 1, 2);
		fb_done(&f);
		f.b[14] = (uint8_t)(v << 4);

		xe_init(&x, 0x86dd);
		x.err = SL_PARSE_ERR_IPV6_BAD_VERSION;
		parse_copy(f.b, f.len, &pi);
		check_pi(&pi, &x, "v6_bad_version", f.len);
		check_prefixes_fail(&f);
	}
}

static void
test_ipv6_ext_too_many(void **state)
{
	struct sl_pkt_info pi, x;
	struct frame f;

	(void)state;
	fb_eth(&f, 0x86dd);
	fb_ipv6(&f, 60, V6A, V6B);
	for (int i = 0; i < SL_MAX_IPV6_EXT; i++)
		fb_ext(&f, 60, 60, 8);
	fb_ext(&f, 60, 17, 8);
	fb_udp(&f, 1, 2);
	fb_done(&f);

	xe_init(&x, 0x86dd);
	xe_ipv6(&x, 14, 0, SL_MAX_IPV6_EXT);
	x.err = SL_PARSE_ERR_IPV6_EXT_TOO_MANY;
	parse_copy(f.b, f.len, &pi);
	check_pi(&pi, &x, "ext_too_many", f.len);
	check_prefixes_fail(&f);
}

/* Extension headers that do not fit in the declared or captured length. */
static void
test_ipv6_ext_cut(void **state)
{
	struct sl_pkt_info pi, x;
	struct frame f;

	(void)state;
	/* Hop-by-hop of 16 bytes, payload_len 8: bytes there, length bad. */
	fb_eth(&f, 0x86dd);
	fb_ipv6(&f, 0, V6A, V6B);
	fb_ext(&f, 0, 59, 16);
	wr16(f.b + f.len_field, 8);
	xe_init(&x, 0x86dd);
	xe_ipv6(&x, 14, 0, 0);
	x.err = SL_PARSE_ERR_IPV6_BAD_PAYLOAD_LEN;
	parse_copy(f.b, f.len, &pi);
	check_pi(&pi, &x, "ext_beyond_plen", f.len);
	/* payload_len 1: not even the length byte is inside. */
	wr16(f.b + f.len_field, 1);
	parse_copy(f.b, f.len, &pi);
	check_pi(&pi, &x, "ext_plen_1", f.len);

	/* AH claiming (255 + 2) * 4 bytes in a short frame. */
	fb_eth(&f, 0x86dd);
	fb_ipv6(&f, 51, V6A, V6B);
	fb_ext(&f, 51, 6, 24);
	fb_tcp(&f, 1, 2, 0, 5);
	fb_done(&f);
	f.b[55] = 255;
	xe_init(&x, 0x86dd);
	xe_ipv6(&x, 14, 0, 0);
	x.err = SL_PARSE_ERR_IPV6_BAD_PAYLOAD_LEN; /* whole datagram there */
	parse_copy(f.b, f.len, &pi);
	check_pi(&pi, &x, "ah_too_long", f.len);
	wr16(f.b + f.len_field, 2000); /* snaplen: AH may fit the datagram */
	x.err = SL_PARSE_ERR_IPV6_EXT_TRUNCATED;
	parse_copy(f.b, f.len, &pi);
	check_pi(&pi, &x, "ah_snaplen", f.len);

	/* Fragment header cut after 4 of its 8 bytes, after one dst-opts. */
	fb_eth(&f, 0x86dd);
	fb_ipv6(&f, 60, V6A, V6B);
	fb_ext(&f, 60, 44, 8);
	fb_frag6(&f, 17, 8, 0, 1);
	fb_done(&f);
	xe_init(&x, 0x86dd);
	xe_ipv6(&x, 14, 0, 1);
	x.err = SL_PARSE_ERR_IPV6_EXT_TRUNCATED;
	parse_copy(f.b, f.len - 4, &pi);
	check_pi(&pi, &x, "frag_hdr_cut", f.len - 4);
}

/* payload_len 0 without hop-by-hop: no L4 bytes inside the datagram. */
static void
test_ipv6_payload_len_zero(void **state)
{
	struct sl_pkt_info pi, x;
	struct frame f;

	(void)state;
	fb_eth(&f, 0x86dd);
	fb_ipv6(&f, 6, V6A, V6B);
	fb_tcp(&f, 1, 2, 0x02, 5);
	/* payload_len stays 0 */
	xe_init(&x, 0x86dd);
	xe_ipv6(&x, 14, 6, 0);
	x.err = SL_PARSE_ERR_L4_TRUNCATED;
	parse_copy(f.b, f.len, &pi);
	check_pi(&pi, &x, "v6_plen0_tcp", f.len);

	/* payload_len 1000 over a short capture: snaplen, fine. */
	wr16(f.b + f.len_field, 1000);
	xe_l4(&x, 54, 20);
	xe_ports(&x, 1, 2);
	x.tcp_flags = 0x02;
	x.err = SL_PARSE_OK;
	parse_copy(f.b, f.len, &pi);
	check_pi(&pi, &x, "v6_snaplen", f.len);
}

static void
test_ipv6_frag_nonfirst_stops(void **state)
{
	struct sl_pkt_info pi, x;
	struct frame f;

	(void)state;
	/* The header after a non-first fragment header is not walked, even if
	 * it looks like another extension header. */
	fb_eth(&f, 0x86dd);
	fb_ipv6(&f, 44, V6A, V6B);
	fb_frag6(&f, 60, 16, 1, 99);
	fb_u8(&f, 6);
	fb_u8(&f, 255); /* would be 2048 bytes */
	fb_done(&f);

	xe_init(&x, 0x86dd);
	xe_ipv6(&x, 14, 60, 1);
	xe_frag(&x, SL_FRAG_IS_FRAGMENT | SL_FRAG_MORE, 16, 99);
	parse_copy(f.b, f.len, &pi);
	check_pi(&pi, &x, "frag_nonfirst", f.len);
}

static void
test_tcp_bad_doff(void **state)
{
	struct sl_pkt_info pi, x;
	struct frame f;

	(void)state;
	for (unsigned int doff = 0; doff < 5; doff++) {
		fb_eth(&f, 0x0800);
		fb_ipv4(&f, 6, 5, 0, 0, V4A, V4B);
		fb_tcp(&f, 1, 2, 0x02, 5);
		fb_data(&f, 8);
		fb_done(&f);
		f.b[46] = (uint8_t)(doff << 4);

		xe_init(&x, 0x0800);
		xe_ipv4(&x, 14, 6);
		xe_l4(&x, 34, 28);
		x.err = SL_PARSE_ERR_TCP_BAD_DATA_OFFSET;
		parse_copy(f.b, f.len, &pi);
		check_pi(&pi, &x, "tcp_doff_lt5", f.len);
		check_prefixes_fail(&f);
	}
}

/* TCP options cut by the capture: ports and flags are kept. */
static void
test_tcp_options_truncated(void **state)
{
	struct sl_pkt_info pi, x;
	struct frame f;

	(void)state;
	fb_eth(&f, 0x0800);
	fb_ipv4(&f, 6, 5, 0, 0, V4A, V4B);
	fb_tcp(&f, 1, 2, 0x02, 5);
	fb_done(&f);
	f.b[46] = 0xf0; /* 60-byte header, 20 present */

	xe_init(&x, 0x0800);
	xe_ipv4(&x, 14, 6);
	xe_l4(&x, 34, 20);
	xe_ports(&x, 1, 2);
	x.tcp_flags = 0x02;
	x.err = SL_PARSE_ERR_L4_TRUNCATED;
	parse_copy(f.b, f.len, &pi);
	check_pi(&pi, &x, "tcp_opts_cut", f.len);
}

/* ---- ICMP port equivalents ---------------------------------------------- */

/* Community ID v1 pairs (pycommunityid icmp.py / icmp6.py). */
static int
icmp_peer(int v6, uint8_t type, uint8_t code)
{
	static const uint8_t p4[][2] = {
		{ 8, 0 }, { 13, 14 }, { 15, 16 }, { 10, 9 }, { 17, 18 },
	};
	static const uint8_t p6[][2] = {
		{ 128, 129 }, { 130, 131 }, { 133, 134 },
		{ 135, 136 }, { 139, 140 }, { 144, 145 },
	};
	const uint8_t(*p)[2] = v6 ? p6 : p4;
	size_t n = v6 ? sizeof(p6) / sizeof(p6[0]) : sizeof(p4) / sizeof(p4[0]);

	for (size_t i = 0; i < n; i++) {
		if (p[i][0] == type)
			return p[i][1];
		if (p[i][1] == type)
			return p[i][0];
	}
	return code;
}

static void
build_icmp(struct frame *f, int v6, uint8_t type, uint8_t code, int reverse)
{
	fb_eth(f, v6 ? 0x86dd : 0x0800);
	if (v6)
		fb_ipv6(f, 58, reverse ? V6B : V6A, reverse ? V6A : V6B);
	else
		fb_ipv4(f, 1, 5, 0, 0, reverse ? V4B : V4A,
			reverse ? V4A : V4B);
	fb_icmp(f, type, code);
	fb_done(f);
}

static void
test_icmp_counterparts(void **state)
{
	struct sl_pkt_info pi;
	struct frame f;

	(void)state;
	for (int v6 = 0; v6 < 2; v6++) {
		for (int t = 0; t < 256; t++) {
			build_icmp(&f, v6, (uint8_t)t, 0x2a, 0);
			assert_int_equal(parse_copy(f.b, f.len, &pi),
					 SL_PARSE_OK);
			assert_int_equal(pi.proto, v6 ? 58 : 1);
			assert_int_equal(pi.has_ports, 1);
			assert_int_equal(pi.sport, t);
			assert_int_equal(pi.dport,
					 icmp_peer(v6, (uint8_t)t, 0x2a));
		}
	}
	/* Spot checks against the table itself. */
	assert_int_equal(icmp_peer(0, 10, 7), 9);
	assert_int_equal(icmp_peer(0, 9, 7), 10);
	assert_int_equal(icmp_peer(0, 3, 7), 7);
	assert_int_equal(icmp_peer(1, 145, 7), 144);
	assert_int_equal(icmp_peer(1, 1, 4), 4);
}

/* A request and its reply give swapped sport/dport. */
static void
test_icmp_request_reply_swap(void **state)
{
	static const uint8_t req[2][2] = { { 8, 0 }, { 128, 129 } };
	struct sl_pkt_info a, b;
	struct frame f;

	(void)state;
	for (int v6 = 0; v6 < 2; v6++) {
		build_icmp(&f, v6, req[v6][0], 0, 0);
		parse_copy(f.b, f.len, &a);
		build_icmp(&f, v6, req[v6][1], 0, 1);
		parse_copy(f.b, f.len, &b);
		assert_int_equal(a.sport, req[v6][0]);
		assert_int_equal(a.sport, b.dport);
		assert_int_equal(a.dport, b.sport);
		assert_memory_equal(a.src, b.dst, 16);
		assert_memory_equal(a.dst, b.src, 16);
	}
}

/* ---- misc API ----------------------------------------------------------- */

static void
test_err_names(void **state)
{
	(void)state;
	assert_string_equal(sl_parse_err_name(SL_PARSE_OK), "ok");
#define X_NAME(e, s) assert_string_equal(sl_parse_err_name(SL_PARSE_ERR_##e), s);
	SL_PARSE_ERRORS(X_NAME)
#undef X_NAME
	assert_string_equal(sl_parse_err_name(-1), "unknown");
	assert_string_equal(sl_parse_err_name(SL_PARSE_ERR_MAX), "unknown");
	assert_string_equal(sl_parse_err_name(INT_MAX), "unknown");
	assert_string_equal(sl_parse_err_name(INT_MIN), "unknown");
	for (int i = 0; i < SL_PARSE_ERR_MAX; i++)
		for (int j = i + 1; j < SL_PARSE_ERR_MAX; j++)
			assert_string_not_equal(sl_parse_err_name(i),
						sl_parse_err_name(j));
}

static void
test_result_overwritten(void **state)
{
	struct sl_pkt_info pi, x;
	struct frame f;

	(void)state;
	case_arp(&f, &x);
	memset(&pi, 0xa5, sizeof(pi));
	sl_parse_eth(f.b, f.len, &pi);
	check_pi(&pi, &x, "overwrite", f.len);

	memset(&pi, 0xa5, sizeof(pi));
	assert_int_equal(sl_parse_eth(NULL, 0, &pi),
			 SL_PARSE_ERR_L2_TRUNCATED);
	xe_init(&x, 0);
	x.err = SL_PARSE_ERR_L2_TRUNCATED;
	check_pi(&pi, &x, "null_empty", 0);
}

/* A jumbogram larger than 64 KiB: l4_len saturates at UINT16_MAX. */
static void
test_jumbo_large(void **state)
{
	const uint32_t len = 70000;
	struct sl_pkt_info pi, x;
	struct frame f;
	uint8_t *buf;

	(void)state;
	case_ipv6_jumbo_udp(&f, &x);
	buf = calloc(1, len);
	assert_non_null(buf);
	memcpy(buf, f.b, f.len);
	assert_int_equal(sl_parse_eth(buf, len, &pi), SL_PARSE_OK);
	x.l4_len = UINT16_MAX;
	check_pi(&pi, &x, "jumbo_large", len);
	free(buf);
}

/* ---- random frames ------------------------------------------------------ */

static uint64_t
rnd(uint64_t *s)
{
	/* xorshift64*: same sequence on every libc. */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

static void
rnd_bytes(uint64_t *s, uint8_t *p, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		p[i] = (uint8_t)rnd(s);
}

/*
 * A random valid frame and its expected result, computed from the choices
 * made here (not by the parser): 0-2 tags of any TPID, IPv4 with random
 * IHL or IPv6 with 0-8 extension headers of every kind, any L4.
 */
static void
gen_valid(uint64_t *s, struct frame *f, struct sl_pkt_info *x)
{
	static const uint16_t tpids[] = { 0x8100, 0x88a8, 0x9100 };
	static const uint8_t exts[] = { 0, 43, 44, 51, 60, 135, 139, 140 };
	static const uint8_t l4s[] = { 6, 17, 136, 132, 1, 47, 50 };
	uint32_t ntags = (uint32_t)(rnd(s) % 3), n_ext = 0, i;
	int v6 = (int)(rnd(s) & 1);
	uint16_t ipt = v6 ? 0x86dd : 0x0800;
	uint8_t src[16] = { 0 }, dst[16] = { 0 }, ext_t[SL_MAX_IPV6_EXT];
	uint8_t proto = l4s[rnd(s) % sizeof(l4s)];
	uint16_t sport = (uint16_t)rnd(s), dport = (uint16_t)rnd(s);
	uint8_t type = (uint8_t)rnd(s), code = (uint8_t)rnd(s);

	if (proto == 1 && v6)
		proto = 58;
	fb_eth(f, ntags ? tpids[rnd(s) % 3] : ipt);
	xe_init(x, ipt);
	for (i = 0; i < ntags; i++) {
		uint16_t tci = (uint16_t)rnd(s);

		fb_vlan(f, tci, i + 1 < ntags ? tpids[rnd(s) % 3] : ipt);
		xe_vlan(x, tci & 0x0fff);
	}
	rnd_bytes(s, src, v6 ? 16 : 4);
	rnd_bytes(s, dst, v6 ? 16 : 4);
	if (!v6) {
		fb_ipv4(f, proto, 5 + (unsigned int)(rnd(s) % 11),
			(rnd(s) & 1) ? 0x4000 : 0, (uint16_t)rnd(s), src, dst);
		x->l3 = SL_L3_IPV4;
	} else {
		n_ext = (uint32_t)(rnd(s) % (SL_MAX_IPV6_EXT + 1));
		for (i = 0; i < n_ext; i++)
			ext_t[i] = exts[rnd(s) % sizeof(exts)];
		fb_ipv6(f, n_ext ? ext_t[0] : proto, src, dst);
		for (i = 0; i < n_ext; i++) {
			uint8_t next = i + 1 < n_ext ? ext_t[i + 1] : proto;

			if (ext_t[i] == 44)
				fb_frag6(f, next, 0, 0, (uint32_t)rnd(s));
			else if (ext_t[i] == 51)
				fb_ext(f, 51, next,
				       4 * (3 + (uint32_t)(rnd(s) % 14)));
			else
				fb_ext(f, ext_t[i], next,
				       8 * (1 + (uint32_t)(rnd(s) % 8)));
		}
		x->l3 = SL_L3_IPV6;
		x->n_ext = (uint8_t)n_ext;
	}
	x->l3_off = (uint16_t)f->l3_off;
	memcpy(x->src, src, 16);
	memcpy(x->dst, dst, 16);
	x->proto = proto;
	x->l4_off = (uint16_t)f->len;
	switch (proto) {
	case 6:
		x->tcp_flags = (uint8_t)rnd(s);
		xe_ports(x, sport, dport);
		fb_tcp(f, sport, dport, x->tcp_flags,
		       5 + (unsigned int)(rnd(s) % 11));
		break;
	case 17:
	case 136:
		xe_ports(x, sport, dport);
		fb_udp(f, sport, dport);
		break;
	case 132:
		xe_ports(x, sport, dport);
		fb_sctp(f, sport, dport);
		break;
	case 1:
	case 58:
		fb_icmp(f, type, code);
		xe_ports(x, type, (uint16_t)icmp_peer(proto == 58, type, code));
		break;
	default:
		fb_other(f, 4 + (uint32_t)(rnd(s) % 16));
		break;
	}
	fb_data(f, (uint32_t)(rnd(s) % 64));
	fb_done(f);
	x->l4_len = (uint16_t)(f->len - x->l4_off);
	if (rnd(s) % 4 == 0)
		fb_fill(f, (uint32_t)(rnd(s) % 16), 0); /* padding/trailer */
}

/* Property: random valid frames parse to exactly what was built, and
 * their prefixes follow the truncation rules. */
static void
test_random_valid_roundtrip(void **state)
{
	uint64_t s = 0x5eed5eed12345678ull;
	struct sl_pkt_info pi, x;
	struct frame f;

	(void)state;
	for (int it = 0; it < 20000; it++) {
		gen_valid(&s, &f, &x);
		assert_int_equal(parse_copy(f.b, f.len, &pi), SL_PARSE_OK);
		check_pi(&pi, &x, "roundtrip", f.len);
		if (it % 16 == 0)
			check_all_lengths(&f, &x, "roundtrip_cut");
	}
}

/* Invariants that hold for any input. */
static void
check_invariants(const struct sl_pkt_info *pi, int rc, uint32_t len)
{
	static const uint8_t zero[12];

	assert_true(rc >= 0 && rc < SL_PARSE_ERR_MAX);
	assert_int_equal(rc, pi->err);
	assert_string_not_equal(sl_parse_err_name(rc), "unknown");
	assert_true(pi->n_vlans <= SL_MAX_VLANS);
	assert_true(pi->n_ext <= SL_MAX_IPV6_EXT);
	assert_true(pi->vlan[0] <= 0x0fff && pi->vlan[1] <= 0x0fff);
	assert_true(pi->l3 == SL_L3_NONE || pi->l3 == SL_L3_IPV4 ||
		    pi->l3 == SL_L3_IPV6);
	if (pi->l3 == SL_L3_IPV4) {
		assert_true(pi->l3_off >= 14 && pi->l3_off + 20u <= len);
		assert_memory_equal(pi->src + 4, zero, 12);
		assert_memory_equal(pi->dst + 4, zero, 12);
		assert_int_equal(pi->n_ext, 0);
	} else if (pi->l3 == SL_L3_IPV6) {
		assert_true(pi->l3_off >= 14 && pi->l3_off + 40u <= len);
	} else {
		assert_int_equal(pi->l3_off, 0);
		assert_int_equal(pi->has_ports, 0);
		assert_int_equal(pi->l4_off, 0);
	}
	if (pi->l4_off) {
		assert_true(pi->l4_len > 0);
		assert_true((uint32_t)pi->l4_off + pi->l4_len <= len);
		assert_true(pi->l4_off > pi->l3_off);
	} else {
		assert_int_equal(pi->l4_len, 0);
	}
	if (pi->frag & SL_FRAG_FIRST)
		assert_int_equal(pi->frag_off, 0);
	if (pi->frag)
		assert_true(pi->frag & SL_FRAG_IS_FRAGMENT);
	if (rc == SL_PARSE_OK &&
	    (pi->ethertype == 0x0800 || pi->ethertype == 0x86dd))
		assert_int_not_equal(pi->l3, SL_L3_NONE);
}

/*
 * Robustness: random bytes, valid frames cut and followed by random bytes,
 * and valid frames with random byte flips, each from an exactly-sized heap
 * buffer. Only the return class and the invariants are checked; ASan and
 * UBSan do the rest.
 */
static void
test_random_robustness(void **state)
{
	uint64_t s = 0x0123456789abcdefull;
	struct sl_pkt_info pi, x;
	struct frame f;
	uint32_t len, keep, i;
	uint8_t *buf;
	int rc;

	(void)state;
	for (int it = 0; it < 200000; it++) {
		switch (rnd(&s) % 4) {
		case 0: /* random bytes */
			len = (uint32_t)(rnd(&s) % 160);
			rnd_bytes(&s, f.b, len);
			break;
		case 1: /* valid case prefix + random tail */
			all_cases[rnd(&s) % N_CASES]->build(&f, &x);
			keep = (uint32_t)(rnd(&s) % (f.len + 1));
			len = keep + (uint32_t)(rnd(&s) % 96);
			rnd_bytes(&s, f.b + keep, len - keep);
			break;
		case 2: /* random valid frame, random flips, random cut */
			gen_valid(&s, &f, &x);
			for (i = (uint32_t)(rnd(&s) % 6); i > 0; i--)
				f.b[rnd(&s) % f.len] = (uint8_t)rnd(&s);
			len = (uint32_t)(rnd(&s) % (f.len + 1));
			break;
		default: /* valid case, flips in the first 128 bytes */
			all_cases[rnd(&s) % N_CASES]->build(&f, &x);
			for (i = 1 + (uint32_t)(rnd(&s) % 4); i > 0; i--) {
				uint32_t at = (uint32_t)(rnd(&s) %
							 min_u32(f.len, 128));
				f.b[at] = (uint8_t)rnd(&s);
			}
			len = f.len;
			break;
		}
		buf = len ? malloc(len) : NULL;
		if (len) {
			assert_non_null(buf);
			memcpy(buf, f.b, len);
		}
		rc = sl_parse_eth(buf, len, &pi);
		free(buf);
		check_invariants(&pi, rc, len);
	}
}

int
main(void)
{
#define CASE_TEST(n) { "valid_" #n, test_valid_case, NULL, NULL, &vc_##n },
	const struct CMUnitTest tests[] = {
		VALID_CASES(CASE_TEST)
		cmocka_unit_test(test_vlan_too_deep),
		cmocka_unit_test(test_ipv4_malformed),
		cmocka_unit_test(test_ipv4_total_len_cuts_l4),
		cmocka_unit_test(test_ipv4_snaplen),
		cmocka_unit_test(test_ipv6_bad_version),
		cmocka_unit_test(test_ipv6_ext_too_many),
		cmocka_unit_test(test_ipv6_ext_cut),
		cmocka_unit_test(test_ipv6_payload_len_zero),
		cmocka_unit_test(test_ipv6_frag_nonfirst_stops),
		cmocka_unit_test(test_tcp_bad_doff),
		cmocka_unit_test(test_tcp_options_truncated),
		cmocka_unit_test(test_icmp_counterparts),
		cmocka_unit_test(test_icmp_request_reply_swap),
		cmocka_unit_test(test_err_names),
		cmocka_unit_test(test_result_overwritten),
		cmocka_unit_test(test_jumbo_large),
		cmocka_unit_test(test_random_valid_roundtrip),
		cmocka_unit_test(test_random_robustness),
	};
#undef CASE_TEST

	return cmocka_run_group_tests(tests, NULL, NULL);
}
