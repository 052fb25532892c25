/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for lib/parse (sl_parse, sl_parse_eth, the name functions).
 *
 * Frames are assembled with the fb_* builders of sl_frames.h, which also record
 * where each header starts and ends. Every valid frame is checked field by
 * field against an expected struct written out in the test, then parsed
 * again at every truncated length 0..len-1 from an exactly-sized heap
 * buffer (so ASan flags any over-read); the expected result for a cut is
 * derived from the recorded layout (expect_cut), not from the parser.
 *
 * Tunnelled frames: once a tunnel builder runs (f->tun), the builders also
 * record checkpoints (struct fb_ckpt): the bytes each encapsulation step needs
 * and what a cut before them gives (the last complete IP layer with an
 * encap_err). Each IP header gets a struct fb_ipdesc with the flow it must
 * give when complete. expect_tun() walks the checkpoints for a cut length.
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

#include "sl_frames.h"
#include "sl_parse.h"

#define BIT(t) SL_ENCAP_BIT(SL_ENCAP_##t)

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
	memcpy(x->src, FB_V4A, 4);
	memcpy(x->dst, FB_V4B, 4);
	x->proto = proto;
}

static void
xe_ipv6(struct sl_pkt_info *x, uint16_t l3_off, uint8_t proto, uint8_t n_ext)
{
	x->l3 = SL_L3_IPV6;
	x->l3_off = l3_off;
	memcpy(x->src, FB_V6A, 16);
	memcpy(x->dst, FB_V6B, 16);
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
	CMP(n_encap);
	CMP(encap_mask);
	CMP(encap_err);
	CMP(tunnel_id);
	CMP(tunnel_id_type);
	CMP(inner_off);
	CMP(inner_n_vlans);
	CMP(inner_vlan[0]);
	CMP(inner_vlan[1]);
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
		print_error("%s len=%u: err is %s, encap_err is %s\n", what,
			    len, sl_parse_err_name(got->err),
			    sl_encap_err_name(got->encap_err));
	assert_int_equal(bad, 0);
}

/* Parse n bytes of p from an exactly-sized heap copy (ASan catches reads
 * past the end; len 0 passes NULL). cfg NULL: sl_parse_eth(). */
static int
parse_copy_cfg(const struct sl_parse_cfg *cfg, const uint8_t *p, uint32_t n,
	       struct sl_pkt_info *pi)
{
	uint8_t *buf = NULL;
	int rc;

	if (n) {
		buf = malloc(n);
		assert_non_null(buf);
		memcpy(buf, p, n);
	}
	rc = cfg ? sl_parse(cfg, buf, n, pi) : sl_parse_eth(buf, n, pi);
	free(buf);
	assert_int_equal(rc, pi->err);
	return rc;
}

static int
parse_copy(const uint8_t *p, uint32_t n, struct sl_pkt_info *pi)
{
	return parse_copy_cfg(NULL, p, n, pi);
}

static uint32_t
min_u32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

/*
 * L4 part of a cut: the L4 header of an IP layer (from ref, complete) at
 * l4_off needs l4_need bytes for its ports and l4_full in all.
 */
static void
expect_l4(uint32_t l4_off, uint32_t l4_need, uint32_t l4_full,
	  const struct sl_pkt_info *ref, uint32_t n, struct sl_pkt_info *e)
{
	uint32_t l4_avail = min_u32(n > l4_off ? n - l4_off : 0, ref->l4_len);

	if (l4_avail > 0) {
		e->l4_off = ref->l4_off;
		e->l4_len = (uint16_t)l4_avail;
	}
	if (l4_avail < l4_need) {
		e->err = SL_PARSE_ERR_L4_TRUNCATED;
		return;
	}
	if (l4_need) {
		e->has_ports = ref->has_ports;
		e->sport = ref->sport;
		e->dport = ref->dport;
		e->tcp_flags = ref->tcp_flags;
	}
	if (l4_avail < l4_full)
		e->err = SL_PARSE_ERR_L4_TRUNCATED;
}

/*
 * What parsing the first n bytes of a valid frame f (full result ref)
 * must give: the layers complete within n are as in ref, the first cut
 * header gives its *_TRUNCATED class, everything after it is zero.
 * Outer layers only: expect_tun() adds the encapsulations.
 */
static void
expect_cut(const struct fb_frame *f, const struct sl_pkt_info *ref, uint32_t n,
	   struct sl_pkt_info *e)
{
	uint32_t i, nv = 0;

	memset(e, 0, sizeof(*e));
	if (n < 14) {
		e->err = SL_PARSE_ERR_L2_TRUNCATED;
		return;
	}
	for (i = 0; i < f->n_tags; i++) {
		if (f->tag_vntag[i])
			e->encap_mask |= SL_ENCAP_BIT(SL_ENCAP_VNTAG);
		if (n < f->tag_end[i]) {
			e->ethertype = f->tpid[i];
			e->err = SL_PARSE_ERR_VLAN_TRUNCATED;
			return;
		}
		if (!f->tag_vntag[i]) {
			e->vlan[nv] = ref->vlan[nv];
			e->n_vlans = (uint8_t)++nv;
		}
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
	expect_l4(f->l4_off, f->l4_need, f->l4_full, ref, n, e);
}

/* The full result of the outer layers alone, from the recorded layout. */
static void
outer_ref(const struct fb_frame *f, struct sl_pkt_info *x)
{
	memset(x, 0, sizeof(*x));
	for (uint32_t i = 0; i < f->n_tags; i++) {
		if (f->tag_vntag[i])
			x->encap_mask |= SL_ENCAP_BIT(SL_ENCAP_VNTAG);
		else
			x->vlan[x->n_vlans++] = f->tag_vid[i];
	}
	x->ethertype = f->l2_type;
	if (f->l3 == SL_L3_NONE)
		return; /* MPLS or PPPoE before any IP: ipl[0] is inner */
	memcpy(x->src, f->ipl[0].flow.src, 16);
	memcpy(x->dst, f->ipl[0].flow.dst, 16);
	x->l3 = f->ipl[0].flow.l3;
	x->l3_off = f->ipl[0].flow.l3_off;
	x->proto = f->ipl[0].flow.proto;
	x->n_ext = f->ipl[0].flow.n_ext;
	x->frag = f->ipl[0].flow.frag;
	x->frag_off = f->ipl[0].flow.frag_off;
	x->frag_id = f->ipl[0].flow.frag_id;
	if (x->frag && x->frag_off)
		return; /* non-first fragment: no L4 */
	x->l4_off = f->ipl[0].flow.l4_off;
	x->l4_len = f->ipl[0].flow.l4_len;
	x->has_ports = f->ipl[0].flow.has_ports;
	x->sport = f->ipl[0].flow.sport;
	x->dport = f->ipl[0].flow.dport;
	x->tcp_flags = f->ipl[0].flow.tcp_flags;
}

/*
 * A cut of a tunnelled frame: the outer layers as expect_cut(), then the
 * checkpoints in order. A checkpoint not complete within n ends the walk on
 * the last complete IP layer with its encap_err; a complete inner IP header
 * becomes that layer (its L4 cut as for an outer packet).
 */
static void
expect_tun(const struct fb_frame *f, const struct sl_pkt_info *ref, uint32_t n,
	   struct sl_pkt_info *e)
{
	struct sl_pkt_info settled, ref0;
	uint16_t mask;
	uint32_t tid = 0;
	uint8_t tid_type = 0, encap_err = 0;

	if (f->n_ck == 0) {
		expect_cut(f, ref, n, e);
		return;
	}
	outer_ref(f, &ref0);
	expect_cut(f, &ref0, n, e);
	if (e->err != SL_PARSE_OK)
		return;
	settled = *e;
	mask = e->encap_mask;
	for (uint32_t i = 0; i < f->n_ck; i++) {
		const struct fb_ckpt *c = &f->ck[i];
		const struct fb_ipdesc *d;

		mask |= c->mask_reach;
		if (n < c->need) {
			encap_err = c->err;
			break;
		}
		mask |= c->mask_pass;
		if (c->tid_type && !tid_type) {
			tid = c->tid;
			tid_type = c->tid_type;
		}
		if (c->stop) {
			encap_err = c->stop_err;
			break;
		}
		if (c->ip < 0)
			continue;
		d = &f->ipl[c->ip];
		*e = d->flow;
		memcpy(e->vlan, ref0.vlan, sizeof(e->vlan));
		e->n_vlans = ref0.n_vlans;
		e->l4_off = 0;
		e->l4_len = 0;
		e->has_ports = 0;
		e->sport = e->dport = 0;
		e->tcp_flags = 0;
		if (d->l4_off)
			expect_l4(d->l4_off, d->l4_need, d->l4_full, &d->flow,
				  n, e);
		if (e->err != SL_PARSE_OK) {
			settled = *e;
			break;
		}
		settled = *e;
	}
	*e = settled;
	e->encap_mask = mask;
	e->tunnel_id = tid;
	e->tunnel_id_type = tid_type;
	e->encap_err = encap_err;
}

static void
check_all_lengths_cfg(const struct sl_parse_cfg *cfg, const struct fb_frame *f,
		      const struct sl_pkt_info *ref, const char *what)
{
	struct sl_pkt_info pi, e;

	for (uint32_t n = 0; n <= f->len; n++) {
		parse_copy_cfg(cfg, f->b, n, &pi);
		expect_tun(f, ref, n, &e);
		check_pi(&pi, &e, what, n);
	}
}

static void
check_all_lengths(const struct fb_frame *f, const struct sl_pkt_info *ref,
		  const char *what)
{
	check_all_lengths_cfg(NULL, f, ref, what);
}

/* ---- valid frames ------------------------------------------------------- */

static void
case_ipv4_tcp(struct fb_frame *f, struct sl_pkt_info *x)
{
	fb_eth(f, 0x0800);
	fb_ipv4(f, 6, 5, 0x4000 /* DF only: not a fragment */, 0x1111, FB_V4A,
		FB_V4B);
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
case_ipv4_opts_tcp_opts(struct fb_frame *f, struct sl_pkt_info *x)
{
	fb_eth(f, 0x0800);
	fb_ipv4(f, 6, 15, 0, 1, FB_V4A, FB_V4B);
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
case_vlan_ipv4_udp(struct fb_frame *f, struct sl_pkt_info *x)
{
	fb_eth(f, 0x8100);
	fb_vlan(f, 0xa064, 0x0800); /* PCP 5, VID 100 */
	fb_ipv4(f, 17, 5, 0, 2, FB_V4A, FB_V4B);
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
case_qinq_ipv4_sctp(struct fb_frame *f, struct sl_pkt_info *x)
{
	fb_eth(f, 0x88a8);
	fb_vlan(f, 0x00c8, 0x8100);  /* S-tag VID 200 */
	fb_vlan(f, 0xfffe, 0x0800);  /* C-tag PCP 7, DEI, VID 4094 */
	fb_ipv4(f, 132, 5, 0, 3, FB_V4A, FB_V4B);
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
case_qinq9100_ipv6_tcp(struct fb_frame *f, struct sl_pkt_info *x)
{
	fb_eth(f, 0x9100);
	fb_vlan(f, 0x0001, 0x8100);
	fb_vlan(f, 0x2002, 0x86dd);
	fb_ipv6(f, 6, FB_V6A, FB_V6B);
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
case_tag9100_ipv4_icmp_echo(struct fb_frame *f, struct sl_pkt_info *x)
{
	fb_eth(f, 0x9100);
	fb_vlan(f, 7, 0x0800);
	fb_ipv4(f, 1, 5, 0, 4, FB_V4A, FB_V4B);
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
case_tag88a8_ipv6_udp(struct fb_frame *f, struct sl_pkt_info *x)
{
	fb_eth(f, 0x88a8);
	fb_vlan(f, 0x0fff, 0x86dd);
	fb_ipv6(f, 17, FB_V6A, FB_V6B);
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
case_ipv4_icmp_echo_reply(struct fb_frame *f, struct sl_pkt_info *x)
{
	fb_eth(f, 0x0800);
	fb_ipv4(f, 1, 5, 0, 5, FB_V4A, FB_V4B);
	fb_icmp(f, 0, 0);
	fb_done(f);

	xe_init(x, 0x0800);
	xe_ipv4(x, 14, 1);
	xe_l4(x, 34, 8);
	xe_ports(x, 0, 8);
}

static void
case_ipv4_icmp_unreach(struct fb_frame *f, struct sl_pkt_info *x)
{
	fb_eth(f, 0x0800);
	fb_ipv4(f, 1, 5, 0, 6, FB_V4A, FB_V4B);
	fb_icmp(f, 3, 3); /* port unreachable: one-way, dport = code */
	fb_data(f, 28);
	fb_done(f);

	xe_init(x, 0x0800);
	xe_ipv4(x, 14, 1);
	xe_l4(x, 34, 36);
	xe_ports(x, 3, 3);
}

static void
case_ipv6_udp(struct fb_frame *f, struct sl_pkt_info *x)
{
	fb_eth(f, 0x86dd);
	fb_ipv6(f, 17, FB_V6A, FB_V6B);
	fb_udp(f, 1000, 2000);
	fb_data(f, 7);
	fb_done(f);

	xe_init(x, 0x86dd);
	xe_ipv6(x, 14, 17, 0);
	xe_l4(x, 54, 15);
	xe_ports(x, 1000, 2000);
}

static void
case_ipv6_hbh_udp(struct fb_frame *f, struct sl_pkt_info *x)
{
	fb_eth(f, 0x86dd);
	fb_ipv6(f, 0, FB_V6A, FB_V6B);
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
case_ipv6_rt_tcp(struct fb_frame *f, struct sl_pkt_info *x)
{
	fb_eth(f, 0x86dd);
	fb_ipv6(f, 43, FB_V6A, FB_V6B);
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
case_ipv6_dst_sctp(struct fb_frame *f, struct sl_pkt_info *x)
{
	fb_eth(f, 0x86dd);
	fb_ipv6(f, 60, FB_V6A, FB_V6B);
	fb_ext(f, 60, 132, 16);
	fb_sctp(f, 9899, 9900);
	fb_done(f);

	xe_init(x, 0x86dd);
	xe_ipv6(x, 14, 132, 1);
	xe_l4(x, 70, 12);
	xe_ports(x, 9899, 9900);
}

static void
case_ipv6_ah_tcp(struct fb_frame *f, struct sl_pkt_info *x)
{
	fb_eth(f, 0x86dd);
	fb_ipv6(f, 51, FB_V6A, FB_V6B);
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
case_ipv6_mobility_nonext(struct fb_frame *f, struct sl_pkt_info *x)
{
	fb_eth(f, 0x86dd);
	fb_ipv6(f, 135, FB_V6A, FB_V6B);
	fb_ext(f, 135, 59, 16);
	fb_data(f, 8); /* ignored after No Next Header */
	fb_done(f);

	xe_init(x, 0x86dd);
	xe_ipv6(x, 14, 59, 1);
}

static void
case_ipv6_hip_tcp(struct fb_frame *f, struct sl_pkt_info *x)
{
	fb_eth(f, 0x86dd);
	fb_ipv6(f, 139, FB_V6A, FB_V6B);
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
case_ipv6_shim6_udp(struct fb_frame *f, struct sl_pkt_info *x)
{
	fb_eth(f, 0x86dd);
	fb_ipv6(f, 140, FB_V6A, FB_V6B);
	fb_ext(f, 140, 17, 8);
	fb_udp(f, 3, 4);
	fb_done(f);

	xe_init(x, 0x86dd);
	xe_ipv6(x, 14, 17, 1);
	xe_l4(x, 62, 8);
	xe_ports(x, 3, 4);
}

static void
case_ipv6_chain_tcp(struct fb_frame *f, struct sl_pkt_info *x)
{
	fb_eth(f, 0x86dd);
	fb_ipv6(f, 0, FB_V6A, FB_V6B);
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
case_ipv6_max_ext_udp(struct fb_frame *f, struct sl_pkt_info *x)
{
	fb_eth(f, 0x86dd);
	fb_ipv6(f, 60, FB_V6A, FB_V6B);
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
case_ipv6_esp(struct fb_frame *f, struct sl_pkt_info *x)
{
	fb_eth(f, 0x86dd);
	fb_ipv6(f, 50, FB_V6A, FB_V6B);
	fb_other(f, 32);
	fb_done(f);

	xe_init(x, 0x86dd);
	xe_ipv6(x, 14, 50, 0);
	xe_l4(x, 54, 32);
}

static void
case_ipv6_icmpv6_echo(struct fb_frame *f, struct sl_pkt_info *x)
{
	fb_eth(f, 0x86dd);
	fb_ipv6(f, 58, FB_V6A, FB_V6B);
	fb_icmp(f, 128, 0);
	fb_done(f);

	xe_init(x, 0x86dd);
	xe_ipv6(x, 14, 58, 0);
	xe_l4(x, 54, 8);
	xe_ports(x, 128, 129);
}

static void
case_ipv6_icmpv6_ns(struct fb_frame *f, struct sl_pkt_info *x)
{
	fb_eth(f, 0x86dd);
	fb_ipv6(f, 58, FB_V6A, FB_V6B);
	fb_icmp(f, 135, 0);
	fb_data(f, 16);
	fb_done(f);

	xe_init(x, 0x86dd);
	xe_ipv6(x, 14, 58, 0);
	xe_l4(x, 54, 24);
	xe_ports(x, 135, 136);
}

static void
case_ipv6_frag_first_udp(struct fb_frame *f, struct sl_pkt_info *x)
{
	fb_eth(f, 0x86dd);
	fb_ipv6(f, 44, FB_V6A, FB_V6B);
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
case_ipv6_frag_middle(struct fb_frame *f, struct sl_pkt_info *x)
{
	fb_eth(f, 0x86dd);
	fb_ipv6(f, 44, FB_V6A, FB_V6B);
	fb_frag6(f, 17, 1232, 1, 0xdeadbeef);
	fb_data(f, 64);
	fb_done(f);

	xe_init(x, 0x86dd);
	xe_ipv6(x, 14, 17, 1);
	xe_frag(x, SL_FRAG_IS_FRAGMENT | SL_FRAG_MORE, 1232, 0xdeadbeef);
}

static void
case_ipv6_frag_last(struct fb_frame *f, struct sl_pkt_info *x)
{
	fb_eth(f, 0x86dd);
	fb_ipv6(f, 60, FB_V6A, FB_V6B);
	fb_ext(f, 60, 44, 8); /* unfragmentable part before the frag hdr */
	fb_frag6(f, 6, 2464, 0, 7);
	fb_data(f, 40);
	fb_done(f);

	xe_init(x, 0x86dd);
	xe_ipv6(x, 14, 6, 2);
	xe_frag(x, SL_FRAG_IS_FRAGMENT, 2464, 7);
}

static void
case_ipv6_atomic_frag_tcp(struct fb_frame *f, struct sl_pkt_info *x)
{
	fb_eth(f, 0x86dd);
	fb_ipv6(f, 44, FB_V6A, FB_V6B);
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
case_ipv4_frag_first_udp(struct fb_frame *f, struct sl_pkt_info *x)
{
	fb_eth(f, 0x0800);
	fb_ipv4(f, 17, 5, 0x2000, 0x1234, FB_V4A, FB_V4B);
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
case_ipv4_frag_middle(struct fb_frame *f, struct sl_pkt_info *x)
{
	fb_eth(f, 0x0800);
	fb_ipv4(f, 17, 5, 0x2000 | 185, 0x1234, FB_V4A, FB_V4B);
	fb_data(f, 80);
	fb_done(f);

	xe_init(x, 0x0800);
	xe_ipv4(x, 14, 17);
	xe_frag(x, SL_FRAG_IS_FRAGMENT | SL_FRAG_MORE, 1480, 0x1234);
}

static void
case_ipv4_frag_last(struct fb_frame *f, struct sl_pkt_info *x)
{
	fb_eth(f, 0x8100);
	fb_vlan(f, 42, 0x0800);
	fb_ipv4(f, 6, 6, 370, 0xffff, FB_V4A, FB_V4B);
	fb_data(f, 30);
	fb_done(f);

	xe_init(x, 0x0800);
	xe_vlan(x, 42);
	xe_ipv4(x, 18, 6);
	xe_frag(x, SL_FRAG_IS_FRAGMENT, 2960, 0xffff);
}

static void
case_ipv4_gre(struct fb_frame *f, struct sl_pkt_info *x)
{
	fb_eth(f, 0x0800);
	fb_ipv4(f, 47, 5, 0, 9, FB_V4A, FB_V4B);
	fb_other(f, 8);
	fb_done(f);
	fb_ck_junk_gre(f);

	xe_init(x, 0x0800);
	xe_ipv4(x, 14, 47);
	xe_l4(x, 34, 8);
	x->encap_mask = BIT(GRE);
	x->encap_err = SL_ENCAP_ERR_GRE_BAD_VERSION;
}

static void
case_ipv4_udplite(struct fb_frame *f, struct sl_pkt_info *x)
{
	fb_eth(f, 0x0800);
	fb_ipv4(f, 136, 5, 0, 10, FB_V4A, FB_V4B);
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
case_ipv4_udp_padded(struct fb_frame *f, struct sl_pkt_info *x)
{
	fb_eth(f, 0x0800);
	fb_ipv4(f, 17, 5, 0, 11, FB_V4A, FB_V4B);
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
case_ipv6_udp_trailer(struct fb_frame *f, struct sl_pkt_info *x)
{
	fb_eth(f, 0x86dd);
	fb_ipv6(f, 17, FB_V6A, FB_V6B);
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
case_ipv6_jumbo_udp(struct fb_frame *f, struct sl_pkt_info *x)
{
	uint32_t hbh;

	fb_eth(f, 0x86dd);
	fb_ipv6(f, 0, FB_V6A, FB_V6B);
	hbh = f->len;
	fb_ext(f, 0, 17, 8);
	f->b[hbh + 2] = 0xc2; /* Jumbo Payload option, 4 bytes */
	f->b[hbh + 3] = 4;
	f->b[hbh + 7] = 36;
	fb_udp(f, 5000, 5001);
	fb_data(f, 20);
	fb_done(f);
	fb_wr16(f->b + f->len_field, 0);

	xe_init(x, 0x86dd);
	xe_ipv6(x, 14, 17, 1);
	xe_l4(x, 62, 28);
	xe_ports(x, 5000, 5001);
}

static void
case_arp(struct fb_frame *f, struct sl_pkt_info *x)
{
	fb_eth(f, 0x0806);
	fb_data(f, 28);
	xe_init(x, 0x0806);
}

static void
case_vlan_arp(struct fb_frame *f, struct sl_pkt_info *x)
{
	fb_eth(f, 0x8100);
	fb_vlan(f, 10, 0x0806);
	fb_data(f, 28);
	xe_init(x, 0x0806);
	xe_vlan(x, 10);
}

static void
case_lldp(struct fb_frame *f, struct sl_pkt_info *x)
{
	fb_eth(f, 0x88cc);
	fb_data(f, 32);
	xe_init(x, 0x88cc);
}

static void
case_mpls(struct fb_frame *f, struct sl_pkt_info *x)
{
	fb_eth(f, 0x8847);
	fb_mpls(f, 1, FB_MPLS_IP); /* 00 06 41 40: label 100, bottom of stack */
	fb_data(f, 40);         /* first nibble 5: neither IPv4 nor IPv6 */
	xe_init(x, 0x8847);
	x->encap_mask = BIT(MPLS);
}

static void
case_8023_llc(struct fb_frame *f, struct sl_pkt_info *x)
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
	void (*build)(struct fb_frame *f, struct sl_pkt_info *x);
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
	struct fb_frame f;

	vc->build(&f, &x);
	assert_int_equal(parse_copy(f.b, f.len, &pi), SL_PARSE_OK);
	check_pi(&pi, &x, vc->name, f.len);
	check_all_lengths(&f, &x, vc->name);
}

/* ---- malformed frames --------------------------------------------------- */

/* Every prefix of a frame that is bad in full must fail too. */
static void
check_prefixes_fail(const struct fb_frame *f)
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
	struct fb_frame f;

	(void)state;
	for (int t = 0; t < 3; t++) {
		fb_eth(&f, 0x88a8);
		fb_vlan(&f, 100, 0x8100);
		fb_vlan(&f, 200, tpids[t]);
		fb_vlan(&f, 300, 0x0800);
		fb_ipv4(&f, 17, 5, 0, 0, FB_V4A, FB_V4B);
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
build_v4_udp(struct fb_frame *f)
{
	fb_eth(f, 0x8100);
	fb_vlan(f, 300, 0x0800);
	fb_ipv4(f, 17, 5, 0, 0, FB_V4A, FB_V4B);
	fb_udp(f, 1, 2);
	fb_data(f, 4);
	fb_done(f);
}

/* IPv4 header errors: VLANs and ethertype survive, no L3 fields. */
static void
check_v4_error(const struct fb_frame *f, int err, const char *what)
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
	struct fb_frame f;

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
	fb_wr16(f.b + 20, 19);
	check_v4_error(&f, SL_PARSE_ERR_IPV4_BAD_TOTAL_LEN, "tot_lt_20");
	build_v4_udp(&f);
	fb_wr16(f.b + 20, 0);
	check_v4_error(&f, SL_PARSE_ERR_IPV4_BAD_TOTAL_LEN, "tot_0");
	fb_eth(&f, 0x8100);
	fb_vlan(&f, 300, 0x0800);
	fb_ipv4(&f, 17, 6, 0, 0, FB_V4A, FB_V4B);
	fb_udp(&f, 1, 2);
	fb_done(&f);
	fb_wr16(f.b + 20, 20); /* IHL 6 = 24 bytes > 20 */
	check_v4_error(&f, SL_PARSE_ERR_IPV4_BAD_TOTAL_LEN, "tot_lt_ihl");
}

/* total_len says the datagram ends inside the TCP header; the padding
 * after it must not be taken as the rest of the header. */
static void
test_ipv4_total_len_cuts_l4(void **state)
{
	struct sl_pkt_info pi, x;
	struct fb_frame f;

	(void)state;
	fb_eth(&f, 0x0800);
	fb_ipv4(&f, 6, 5, 0, 0, FB_V4A, FB_V4B);
	fb_tcp(&f, 1, 2, 0x02, 5);
	fb_fill(&f, 10, 0);
	fb_wr16(f.b + f.len_field, 24);

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
	struct fb_frame f;

	(void)state;
	fb_eth(&f, 0x0800);
	fb_ipv4(&f, 17, 5, 0, 0, FB_V4A, FB_V4B);
	fb_udp(&f, 53, 1024);
	fb_data(&f, 30);
	fb_wr16(f.b + f.len_field, 1500);

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
	struct fb_frame f;

	(void)state;
	for (unsigned int v = 0; v < 16; v++) {
		if (v == 6)
			continue;
		fb_eth(&f, 0x86dd);
		fb_ipv6(&f, 17, FB_V6A, FB_V6B);
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
	struct fb_frame f;

	(void)state;
	fb_eth(&f, 0x86dd);
	fb_ipv6(&f, 60, FB_V6A, FB_V6B);
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
	struct fb_frame f;

	(void)state;
	/* Hop-by-hop of 16 bytes, payload_len 8: bytes there, length bad. */
	fb_eth(&f, 0x86dd);
	fb_ipv6(&f, 0, FB_V6A, FB_V6B);
	fb_ext(&f, 0, 59, 16);
	fb_wr16(f.b + f.len_field, 8);
	xe_init(&x, 0x86dd);
	xe_ipv6(&x, 14, 0, 0);
	x.err = SL_PARSE_ERR_IPV6_BAD_PAYLOAD_LEN;
	parse_copy(f.b, f.len, &pi);
	check_pi(&pi, &x, "ext_beyond_plen", f.len);
	/* payload_len 1: not even the length byte is inside. */
	fb_wr16(f.b + f.len_field, 1);
	parse_copy(f.b, f.len, &pi);
	check_pi(&pi, &x, "ext_plen_1", f.len);

	/* AH claiming (255 + 2) * 4 bytes in a short frame. */
	fb_eth(&f, 0x86dd);
	fb_ipv6(&f, 51, FB_V6A, FB_V6B);
	fb_ext(&f, 51, 6, 24);
	fb_tcp(&f, 1, 2, 0, 5);
	fb_done(&f);
	f.b[55] = 255;
	xe_init(&x, 0x86dd);
	xe_ipv6(&x, 14, 0, 0);
	x.err = SL_PARSE_ERR_IPV6_BAD_PAYLOAD_LEN; /* whole datagram there */
	parse_copy(f.b, f.len, &pi);
	check_pi(&pi, &x, "ah_too_long", f.len);
	fb_wr16(f.b + f.len_field, 2000); /* snaplen: AH may fit the datagram */
	x.err = SL_PARSE_ERR_IPV6_EXT_TRUNCATED;
	parse_copy(f.b, f.len, &pi);
	check_pi(&pi, &x, "ah_snaplen", f.len);

	/* Fragment header cut after 4 of its 8 bytes, after one dst-opts. */
	fb_eth(&f, 0x86dd);
	fb_ipv6(&f, 60, FB_V6A, FB_V6B);
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
	struct fb_frame f;

	(void)state;
	fb_eth(&f, 0x86dd);
	fb_ipv6(&f, 6, FB_V6A, FB_V6B);
	fb_tcp(&f, 1, 2, 0x02, 5);
	/* payload_len stays 0 */
	xe_init(&x, 0x86dd);
	xe_ipv6(&x, 14, 6, 0);
	x.err = SL_PARSE_ERR_L4_TRUNCATED;
	parse_copy(f.b, f.len, &pi);
	check_pi(&pi, &x, "v6_plen0_tcp", f.len);

	/* payload_len 1000 over a short capture: snaplen, fine. */
	fb_wr16(f.b + f.len_field, 1000);
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
	struct fb_frame f;

	(void)state;
	/* The header after a non-first fragment header is not walked, even if
	 * it looks like another extension header. */
	fb_eth(&f, 0x86dd);
	fb_ipv6(&f, 44, FB_V6A, FB_V6B);
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
	struct fb_frame f;

	(void)state;
	for (unsigned int doff = 0; doff < 5; doff++) {
		fb_eth(&f, 0x0800);
		fb_ipv4(&f, 6, 5, 0, 0, FB_V4A, FB_V4B);
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
	struct fb_frame f;

	(void)state;
	fb_eth(&f, 0x0800);
	fb_ipv4(&f, 6, 5, 0, 0, FB_V4A, FB_V4B);
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

static void
build_icmp(struct fb_frame *f, int v6, uint8_t type, uint8_t code, int reverse)
{
	fb_eth(f, v6 ? 0x86dd : 0x0800);
	if (v6)
		fb_ipv6(f, 58, reverse ? FB_V6B : FB_V6A, reverse ? FB_V6A : FB_V6B);
	else
		fb_ipv4(f, 1, 5, 0, 0, reverse ? FB_V4B : FB_V4A,
			reverse ? FB_V4A : FB_V4B);
	fb_icmp(f, type, code);
	fb_done(f);
}

static void
test_icmp_counterparts(void **state)
{
	struct sl_pkt_info pi;
	struct fb_frame f;

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
					 fb_icmp_peer(v6, (uint8_t)t, 0x2a));
		}
	}
	/* Spot checks against the table itself. */
	assert_int_equal(fb_icmp_peer(0, 10, 7), 9);
	assert_int_equal(fb_icmp_peer(0, 9, 7), 10);
	assert_int_equal(fb_icmp_peer(0, 3, 7), 7);
	assert_int_equal(fb_icmp_peer(1, 145, 7), 144);
	assert_int_equal(fb_icmp_peer(1, 1, 4), 4);
}

/* A request and its reply give swapped sport/dport. */
static void
test_icmp_request_reply_swap(void **state)
{
	static const uint8_t req[2][2] = { { 8, 0 }, { 128, 129 } };
	struct sl_pkt_info a, b;
	struct fb_frame f;

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
	struct fb_frame f;

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
	struct fb_frame f;
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
gen_valid(uint64_t *s, struct fb_frame *f, struct sl_pkt_info *x)
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

	if (proto == 17 && (dport == 4789 || dport == 6081))
		dport++; /* plain UDP, not a tunnel */

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
		xe_ports(x, type, (uint16_t)fb_icmp_peer(proto == 58, type, code));
		break;
	default:
		fb_other(f, 4 + (uint32_t)(rnd(s) % 16));
		if (proto == 47) {
			fb_ck_junk_gre(f);
			x->encap_mask = BIT(GRE);
			x->encap_err = SL_ENCAP_ERR_GRE_BAD_VERSION;
		}
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
	struct fb_frame f;

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
check_invariants(const struct sl_pkt_info *pi, int rc, uint32_t len,
		 unsigned int max_depth)
{
	static const uint8_t zero[12];
	const uint16_t id_bits = BIT(VXLAN) | BIT(GENEVE) | BIT(GRE);

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

	/* Encapsulation. */
	assert_true(pi->encap_err < SL_ENCAP_ERR_MAX);
	assert_string_not_equal(sl_encap_err_name(pi->encap_err), "unknown");
	assert_true(pi->encap_mask < (1u << SL_ENCAP_TYPE_MAX));
	assert_true(pi->n_encap <= max_depth);
	assert_true(pi->inner_n_vlans <= SL_MAX_VLANS);
	for (unsigned int i = 0; i < SL_MAX_VLANS; i++) {
		assert_true(pi->inner_vlan[i] <= 0x0fff);
		if (i >= pi->inner_n_vlans)
			assert_int_equal(pi->inner_vlan[i], 0);
	}
	if (pi->n_encap == 0) {
		assert_int_equal(pi->inner_off, 0);
		assert_int_equal(pi->inner_n_vlans, 0);
	} else {
		/* Layers are only kept when their IP header parsed. */
		assert_int_not_equal(pi->l3, SL_L3_NONE);
		assert_true(pi->inner_off >= 14 && pi->inner_off <= pi->l3_off);
		assert_int_not_equal(pi->encap_mask, 0);
	}
	if (pi->encap_err != SL_ENCAP_OK)
		assert_int_not_equal(pi->encap_mask & ~BIT(VNTAG), 0);
	/* Too deep: max_depth layers entered, but the layer kept may be
	 * shallower (GRE then MPLS at max_depth 1 keeps the outer one). */
	if (pi->encap_err == SL_ENCAP_ERR_TOO_DEEP)
		assert_true(max_depth > 0);
	if (max_depth == 0) {
		assert_int_equal(pi->encap_mask & ~BIT(VNTAG), 0);
		assert_int_equal(pi->encap_err, SL_ENCAP_OK);
		assert_int_equal(pi->tunnel_id_type, SL_TUNID_NONE);
	}
	switch (pi->tunnel_id_type) {
	case SL_TUNID_NONE:
		assert_int_equal(pi->tunnel_id, 0);
		break;
	case SL_TUNID_VXLAN_VNI:
	case SL_TUNID_GENEVE_VNI:
		assert_true(pi->tunnel_id <= 0xffffff);
		assert_int_not_equal(pi->encap_mask & id_bits, 0);
		break;
	case SL_TUNID_GRE_KEY:
		assert_int_not_equal(pi->encap_mask & BIT(GRE), 0);
		break;
	case SL_TUNID_ERSPAN_ID:
		assert_true(pi->tunnel_id <= 0x3ff);
		assert_int_not_equal(pi->encap_mask &
					     (BIT(ERSPAN2) | BIT(ERSPAN3)),
				     0);
		break;
	default:
		fail_msg("tunnel_id_type %u", pi->tunnel_id_type);
	}
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
	struct fb_frame f;
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
		check_invariants(&pi, rc, len, SL_PARSE_DEFAULT_DEPTH);
	}
}

/* ---- tunnels: valid frames ---------------------------------------------- */

/* IP layer fields of an expected result (ethertype follows l3). */
static void
xe_ip(struct sl_pkt_info *x, uint8_t l3, uint16_t l3_off, uint8_t proto,
      const uint8_t *src, const uint8_t *dst)
{
	x->l3 = l3;
	x->l3_off = l3_off;
	x->proto = proto;
	x->ethertype = l3 == SL_L3_IPV4 ? 0x0800 : 0x86dd;
	memset(x->src, 0, 16);
	memset(x->dst, 0, 16);
	memcpy(x->src, src, l3 == SL_L3_IPV4 ? 4 : 16);
	memcpy(x->dst, dst, l3 == SL_L3_IPV4 ? 4 : 16);
}

static void
xe_encap(struct sl_pkt_info *x, uint8_t n_encap, uint16_t mask,
	 uint16_t inner_off)
{
	x->n_encap = n_encap;
	x->encap_mask = mask;
	x->inner_off = inner_off;
}

static void
xe_tid(struct sl_pkt_info *x, uint8_t type, uint32_t id)
{
	x->tunnel_id_type = type;
	x->tunnel_id = id;
}

static void
tc_vxlan_ipv4_tcp(struct fb_frame *f, struct sl_pkt_info *x,
		  struct sl_parse_cfg *cfg)
{
	(void)cfg;
	fb_eth(f, 0x8100);                        /* 0..14 */
	fb_vlan(f, 100, 0x0800);                  /* ..18 */
	fb_ipv4(f, 17, 5, 0x4000, 1, FB_V4A, FB_V4B);   /* ..38 */
	fb_udp(f, 49152, 4789);                   /* ..46 */
	fb_vxlan(f, 0x08, 0x123456);              /* ..54 */
	fb_ieth(f, 0x0800);                       /* ..68 */
	fb_ipv4(f, 6, 5, 0, 2, FB_I4A, FB_I4B);         /* ..88 */
	fb_tcp(f, 40000, 443, 0x18, 5);           /* ..108 */
	fb_data(f, 12);                           /* ..120 */
	fb_done(f);

	xe_init(x, 0);
	xe_vlan(x, 100);
	xe_ip(x, SL_L3_IPV4, 68, 6, FB_I4A, FB_I4B);
	xe_l4(x, 88, 32);
	xe_ports(x, 40000, 443);
	x->tcp_flags = 0x18;
	xe_encap(x, 1, BIT(VXLAN), 54);
	xe_tid(x, SL_TUNID_VXLAN_VNI, 0x123456);
}

static void
tc_geneve_teb(struct fb_frame *f, struct sl_pkt_info *x, struct sl_parse_cfg *cfg)
{
	(void)cfg;
	fb_eth(f, 0x86dd);                        /* 0..14 */
	fb_ipv6(f, 17, FB_V6A, FB_V6B);                 /* ..54 */
	fb_udp(f, 5000, 6081);                    /* ..62 */
	fb_geneve(f, 0, 0, 0x6558, 0xabcdef);     /* ..70 */
	fb_ieth(f, 0x0800);                       /* ..84 */
	fb_ipv4(f, 17, 5, 0, 3, FB_I4A, FB_I4B);        /* ..104 */
	fb_udp(f, 53, 5353);                      /* ..112 */
	fb_data(f, 8);                            /* ..120 */
	fb_done(f);

	xe_init(x, 0);
	xe_ip(x, SL_L3_IPV4, 84, 17, FB_I4A, FB_I4B);
	xe_l4(x, 104, 16);
	xe_ports(x, 53, 5353);
	xe_encap(x, 1, BIT(GENEVE), 70);
	xe_tid(x, SL_TUNID_GENEVE_VNI, 0xabcdef);
}

static void
tc_geneve_opts_ipv4(struct fb_frame *f, struct sl_pkt_info *x,
		    struct sl_parse_cfg *cfg)
{
	(void)cfg;
	fb_eth(f, 0x0800);                        /* 0..14 */
	fb_ipv4(f, 17, 5, 0, 4, FB_V4A, FB_V4B);        /* ..34 */
	fb_udp(f, 1234, 6081);                    /* ..42 */
	fb_geneve(f, 0, 3, 0x0800, 1);            /* ..50 + 12 = 62 */
	fb_ipv4(f, 6, 5, 0, 5, FB_I4A, FB_I4B);         /* ..82 */
	fb_tcp(f, 1, 2, 0x02, 5);                 /* ..102 */
	fb_data(f, 5);                            /* ..107 */
	fb_done(f);

	xe_init(x, 0);
	xe_ip(x, SL_L3_IPV4, 62, 6, FB_I4A, FB_I4B);
	xe_l4(x, 82, 25);
	xe_ports(x, 1, 2);
	x->tcp_flags = 0x02;
	xe_encap(x, 1, BIT(GENEVE), 62);
	xe_tid(x, SL_TUNID_GENEVE_VNI, 1);
}

static void
tc_geneve_opts_ipv6(struct fb_frame *f, struct sl_pkt_info *x,
		    struct sl_parse_cfg *cfg)
{
	(void)cfg;
	fb_eth(f, 0x0800);                        /* 0..14 */
	fb_ipv4(f, 17, 5, 0, 6, FB_V4A, FB_V4B);        /* ..34 */
	fb_udp(f, 7, 6081);                       /* ..42 */
	fb_geneve(f, 0, 1, 0x86dd, 0xfffffe);     /* ..50 + 4 = 54 */
	fb_ipv6(f, 6, FB_I6A, FB_I6B);                  /* ..94 */
	fb_tcp(f, 80, 1025, 0x12, 5);             /* ..114 */
	fb_done(f);

	xe_init(x, 0);
	xe_ip(x, SL_L3_IPV6, 54, 6, FB_I6A, FB_I6B);
	xe_l4(x, 94, 20);
	xe_ports(x, 80, 1025);
	x->tcp_flags = 0x12;
	xe_encap(x, 1, BIT(GENEVE), 54);
	xe_tid(x, SL_TUNID_GENEVE_VNI, 0xfffffe);
}

static void
tc_gre_ipv4(struct fb_frame *f, struct sl_pkt_info *x, struct sl_parse_cfg *cfg)
{
	(void)cfg;
	fb_eth(f, 0x0800);                        /* 0..14 */
	fb_ipv4(f, 47, 5, 0, 7, FB_V4A, FB_V4B);        /* ..34 */
	fb_gre(f, 0, 0x0800, 0);                  /* ..38 */
	fb_ipv4(f, 6, 5, 0, 8, FB_I4A, FB_I4B);         /* ..58 */
	fb_tcp(f, 5555, 22, 0x10, 5);             /* ..78 */
	fb_data(f, 4);                            /* ..82 */
	fb_done(f);

	xe_init(x, 0);
	xe_ip(x, SL_L3_IPV4, 38, 6, FB_I4A, FB_I4B);
	xe_l4(x, 58, 24);
	xe_ports(x, 5555, 22);
	x->tcp_flags = 0x10;
	xe_encap(x, 1, BIT(GRE), 38);
}

static void
tc_gre_teb_vlan(struct fb_frame *f, struct sl_pkt_info *x,
		struct sl_parse_cfg *cfg)
{
	(void)cfg;
	fb_eth(f, 0x86dd);                        /* 0..14 */
	fb_ipv6(f, 47, FB_V6A, FB_V6B);                 /* ..54 */
	fb_gre(f, FB_GRE_K, 0x6558, 0xdeadbeef);     /* ..62 */
	fb_ieth(f, 0x8100);                       /* ..76 */
	fb_vlan(f, 0x2005, 0x86dd);               /* ..80 */
	fb_ipv6(f, 17, FB_I6A, FB_I6B);                 /* ..120 */
	fb_udp(f, 1000, 2000);                    /* ..128 */
	fb_data(f, 10);                           /* ..138 */
	fb_done(f);

	xe_init(x, 0);
	xe_ip(x, SL_L3_IPV6, 80, 17, FB_I6A, FB_I6B);
	xe_l4(x, 120, 18);
	xe_ports(x, 1000, 2000);
	xe_encap(x, 1, BIT(GRE), 62);
	x->inner_vlan[0] = 5;
	x->inner_n_vlans = 1;
	xe_tid(x, SL_TUNID_GRE_KEY, 0xdeadbeef);
}

static void
tc_erspan1(struct fb_frame *f, struct sl_pkt_info *x, struct sl_parse_cfg *cfg)
{
	(void)cfg;
	fb_eth(f, 0x0800);                        /* 0..14 */
	fb_ipv4(f, 47, 5, 0, 9, FB_V4A, FB_V4B);        /* ..34 */
	fb_gre(f, 0, 0x88be, 0);                  /* ..38 */
	fb_ieth(f, 0x0800);                       /* ..52 */
	fb_ipv4(f, 6, 5, 0, 10, FB_I4A, FB_I4B);        /* ..72 */
	fb_tcp(f, 3, 4, 0x01, 5);                 /* ..92 */
	fb_done(f);

	xe_init(x, 0);
	xe_ip(x, SL_L3_IPV4, 52, 6, FB_I4A, FB_I4B);
	xe_l4(x, 72, 20);
	xe_ports(x, 3, 4);
	x->tcp_flags = 0x01;
	xe_encap(x, 1, BIT(GRE) | BIT(ERSPAN1), 38);
}

static void
tc_erspan2(struct fb_frame *f, struct sl_pkt_info *x, struct sl_parse_cfg *cfg)
{
	(void)cfg;
	fb_eth(f, 0x0800);                        /* 0..14 */
	fb_ipv4(f, 47, 5, 0, 11, FB_V4A, FB_V4B);       /* ..34 */
	fb_gre(f, FB_GRE_S, 0x88be, 0);              /* ..42 */
	fb_erspan2(f, 1, 0x2a5);                  /* ..50 */
	fb_ieth(f, 0x0800);                       /* ..64 */
	fb_ipv4(f, 17, 5, 0, 12, FB_I4A, FB_I4B);       /* ..84 */
	fb_udp(f, 67, 68);                        /* ..92 */
	fb_data(f, 20);                           /* ..112 */
	fb_done(f);

	xe_init(x, 0);
	xe_ip(x, SL_L3_IPV4, 64, 17, FB_I4A, FB_I4B);
	xe_l4(x, 84, 28);
	xe_ports(x, 67, 68);
	xe_encap(x, 1, BIT(GRE) | BIT(ERSPAN2), 50);
	xe_tid(x, SL_TUNID_ERSPAN_ID, 0x2a5);
}

static void
tc_erspan3(struct fb_frame *f, struct sl_pkt_info *x, struct sl_parse_cfg *cfg)
{
	(void)cfg;
	fb_eth(f, 0x0800);                        /* 0..14 */
	fb_ipv4(f, 47, 5, 0, 13, FB_V4A, FB_V4B);       /* ..34 */
	fb_gre(f, FB_GRE_S, 0x22eb, 0);              /* ..42 */
	fb_erspan3(f, 2, 0x155, 0);               /* ..54 */
	fb_ieth(f, 0x86dd);                       /* ..68 */
	fb_ipv6(f, 6, FB_I6A, FB_I6B);                  /* ..108 */
	fb_tcp(f, 443, 50000, 0x11, 5);           /* ..128 */
	fb_done(f);

	xe_init(x, 0);
	xe_ip(x, SL_L3_IPV6, 68, 6, FB_I6A, FB_I6B);
	xe_l4(x, 108, 20);
	xe_ports(x, 443, 50000);
	x->tcp_flags = 0x11;
	xe_encap(x, 1, BIT(GRE) | BIT(ERSPAN3), 54);
	xe_tid(x, SL_TUNID_ERSPAN_ID, 0x155);
}

static void
tc_erspan3_subhdr(struct fb_frame *f, struct sl_pkt_info *x,
		  struct sl_parse_cfg *cfg)
{
	(void)cfg;
	fb_eth(f, 0x0800);                        /* 0..14 */
	fb_ipv4(f, 47, 5, 0, 14, FB_V4A, FB_V4B);       /* ..34 */
	fb_gre(f, FB_GRE_S, 0x22eb, 0);              /* ..42 */
	fb_erspan3(f, 2, 0x3ff, 1);               /* ..54 + 8 = 62 */
	fb_ieth(f, 0x0800);                       /* ..76 */
	fb_ipv4(f, 6, 5, 0, 15, FB_I4A, FB_I4B);        /* ..96 */
	fb_tcp(f, 9, 10, 0x04, 5);                /* ..116 */
	fb_done(f);

	xe_init(x, 0);
	xe_ip(x, SL_L3_IPV4, 76, 6, FB_I4A, FB_I4B);
	xe_l4(x, 96, 20);
	xe_ports(x, 9, 10);
	x->tcp_flags = 0x04;
	xe_encap(x, 1, BIT(GRE) | BIT(ERSPAN3), 62);
	xe_tid(x, SL_TUNID_ERSPAN_ID, 0x3ff);
}

static void
tc_mpls1_ipv4(struct fb_frame *f, struct sl_pkt_info *x, struct sl_parse_cfg *cfg)
{
	(void)cfg;
	fb_eth(f, 0x8847);                        /* 0..14 */
	fb_mpls(f, 1, FB_MPLS_IP);                   /* ..18 */
	fb_ipv4(f, 6, 5, 0, 16, FB_I4A, FB_I4B);        /* ..38 */
	fb_tcp(f, 1111, 80, 0x02, 5);             /* ..58 */
	fb_done(f);

	xe_init(x, 0);
	xe_ip(x, SL_L3_IPV4, 18, 6, FB_I4A, FB_I4B);
	xe_l4(x, 38, 20);
	xe_ports(x, 1111, 80);
	x->tcp_flags = 0x02;
	xe_encap(x, 1, BIT(MPLS), 18);
}

static void
tc_mpls3_ipv6(struct fb_frame *f, struct sl_pkt_info *x, struct sl_parse_cfg *cfg)
{
	(void)cfg;
	fb_eth(f, 0x8100);                        /* 0..14 */
	fb_vlan(f, 7, 0x8847);                    /* ..18 */
	fb_mpls(f, 3, FB_MPLS_IP);                   /* ..30 */
	fb_ipv6(f, 17, FB_I6A, FB_I6B);                 /* ..70 */
	fb_udp(f, 4, 5);                          /* ..78 */
	fb_data(f, 3);                            /* ..81 */
	fb_done(f);

	xe_init(x, 0);
	xe_vlan(x, 7);
	xe_ip(x, SL_L3_IPV6, 30, 17, FB_I6A, FB_I6B);
	xe_l4(x, 70, 11);
	xe_ports(x, 4, 5);
	xe_encap(x, 1, BIT(MPLS), 30);
}

static void
tc_mpls_mc_ipv4(struct fb_frame *f, struct sl_pkt_info *x,
		struct sl_parse_cfg *cfg)
{
	(void)cfg;
	fb_eth(f, 0x8848);                        /* 0..14 */
	fb_mpls(f, 1, FB_MPLS_IP);                   /* ..18 */
	fb_ipv4(f, 17, 5, 0, 17, FB_I4A, FB_I4B);       /* ..38 */
	fb_udp(f, 5, 6);                          /* ..46 */
	fb_done(f);

	xe_init(x, 0);
	xe_ip(x, SL_L3_IPV4, 18, 17, FB_I4A, FB_I4B);
	xe_l4(x, 38, 8);
	xe_ports(x, 5, 6);
	xe_encap(x, 1, BIT(MPLS), 18);
}

static void
tc_mpls_pw(struct fb_frame *f, struct sl_pkt_info *x, struct sl_parse_cfg *cfg)
{
	cfg->mpls_pw = 1;
	fb_eth(f, 0x8847);                        /* 0..14 */
	fb_mpls(f, 2, FB_MPLS_PW);                   /* ..22, CW ..26 */
	fb_ieth(f, 0x0800);                       /* ..40 */
	fb_ipv4(f, 6, 5, 0, 18, FB_I4A, FB_I4B);        /* ..60 */
	fb_tcp(f, 7, 8, 0x02, 5);                 /* ..80 */
	fb_done(f);

	xe_init(x, 0);
	xe_ip(x, SL_L3_IPV4, 40, 6, FB_I4A, FB_I4B);
	xe_l4(x, 60, 20);
	xe_ports(x, 7, 8);
	x->tcp_flags = 0x02;
	xe_encap(x, 1, BIT(MPLS), 26);
}

static void
tc_gre_mpls(struct fb_frame *f, struct sl_pkt_info *x, struct sl_parse_cfg *cfg)
{
	(void)cfg;
	fb_eth(f, 0x0800);                        /* 0..14 */
	fb_ipv4(f, 47, 5, 0, 19, FB_V4A, FB_V4B);       /* ..34 */
	fb_gre(f, 0, 0x8847, 0);                  /* ..38 */
	fb_mpls(f, 1, FB_MPLS_IP);                   /* ..42 */
	fb_ipv4(f, 17, 5, 0, 20, FB_I4A, FB_I4B);       /* ..62 */
	fb_udp(f, 10, 20);                        /* ..70 */
	fb_done(f);

	xe_init(x, 0);
	xe_ip(x, SL_L3_IPV4, 42, 17, FB_I4A, FB_I4B);
	xe_l4(x, 62, 8);
	xe_ports(x, 10, 20);
	xe_encap(x, 2, BIT(GRE) | BIT(MPLS), 42);
}

static void
tc_pppoe_ipv4(struct fb_frame *f, struct sl_pkt_info *x, struct sl_parse_cfg *cfg)
{
	(void)cfg;
	fb_eth(f, 0x8864);                        /* 0..14 */
	fb_pppoe(f, 0x0021);                      /* ..22 */
	fb_ipv4(f, 6, 5, 0, 21, FB_I4A, FB_I4B);        /* ..42 */
	fb_tcp(f, 1, 2, 0x02, 5);                 /* ..62 */
	fb_done(f);

	xe_init(x, 0);
	xe_ip(x, SL_L3_IPV4, 22, 6, FB_I4A, FB_I4B);
	xe_l4(x, 42, 20);
	xe_ports(x, 1, 2);
	x->tcp_flags = 0x02;
	xe_encap(x, 1, BIT(PPPOE), 22);
}

static void
tc_pppoe_ipv6(struct fb_frame *f, struct sl_pkt_info *x, struct sl_parse_cfg *cfg)
{
	(void)cfg;
	fb_eth(f, 0x8100);                        /* 0..14 */
	fb_vlan(f, 10, 0x8864);                   /* ..18 */
	fb_pppoe(f, 0x0057);                      /* ..26 */
	fb_ipv6(f, 17, FB_I6A, FB_I6B);                 /* ..66 */
	fb_udp(f, 546, 547);                      /* ..74 */
	fb_done(f);

	xe_init(x, 0);
	xe_vlan(x, 10);
	xe_ip(x, SL_L3_IPV6, 26, 17, FB_I6A, FB_I6B);
	xe_l4(x, 66, 8);
	xe_ports(x, 546, 547);
	xe_encap(x, 1, BIT(PPPOE), 26);
}

/* PPP LCP: the PPPoE layer is identified, its payload is not IP. */
static void
tc_pppoe_lcp(struct fb_frame *f, struct sl_pkt_info *x, struct sl_parse_cfg *cfg)
{
	(void)cfg;
	fb_eth(f, 0x8864);
	fb_pppoe(f, 0xc021);
	fb_data(f, 10);
	fb_done(f);

	xe_init(x, 0x8864);
	x->encap_mask = BIT(PPPOE);
}

static void
tc_4in4(struct fb_frame *f, struct sl_pkt_info *x, struct sl_parse_cfg *cfg)
{
	(void)cfg;
	fb_eth(f, 0x0800);                        /* 0..14 */
	fb_ipv4(f, 4, 5, 0, 22, FB_V4A, FB_V4B);        /* ..34 */
	fb_ipip(f);
	fb_ipv4(f, 6, 5, 0, 23, FB_I4A, FB_I4B);        /* ..54 */
	fb_tcp(f, 1, 2, 0x02, 5);                 /* ..74 */
	fb_done(f);

	xe_init(x, 0);
	xe_ip(x, SL_L3_IPV4, 34, 6, FB_I4A, FB_I4B);
	xe_l4(x, 54, 20);
	xe_ports(x, 1, 2);
	x->tcp_flags = 0x02;
	xe_encap(x, 1, BIT(IPIP), 34);
}

static void
tc_6in4(struct fb_frame *f, struct sl_pkt_info *x, struct sl_parse_cfg *cfg)
{
	(void)cfg;
	fb_eth(f, 0x0800);                        /* 0..14 */
	fb_ipv4(f, 41, 5, 0, 24, FB_V4A, FB_V4B);       /* ..34 */
	fb_ipip(f);
	fb_ipv6(f, 17, FB_I6A, FB_I6B);                 /* ..74 */
	fb_udp(f, 1, 2);                          /* ..82 */
	fb_done(f);

	xe_init(x, 0);
	xe_ip(x, SL_L3_IPV6, 34, 17, FB_I6A, FB_I6B);
	xe_l4(x, 74, 8);
	xe_ports(x, 1, 2);
	xe_encap(x, 1, BIT(IPIP), 34);
}

static void
tc_4in6(struct fb_frame *f, struct sl_pkt_info *x, struct sl_parse_cfg *cfg)
{
	(void)cfg;
	fb_eth(f, 0x86dd);                        /* 0..14 */
	fb_ipv6(f, 4, FB_V6A, FB_V6B);                  /* ..54 */
	fb_ipip(f);
	fb_ipv4(f, 6, 5, 0, 25, FB_I4A, FB_I4B);        /* ..74 */
	fb_tcp(f, 3, 4, 0x02, 5);                 /* ..94 */
	fb_done(f);

	xe_init(x, 0);
	xe_ip(x, SL_L3_IPV4, 54, 6, FB_I4A, FB_I4B);
	xe_l4(x, 74, 20);
	xe_ports(x, 3, 4);
	x->tcp_flags = 0x02;
	xe_encap(x, 1, BIT(IPIP), 54);
}

static void
tc_6in6(struct fb_frame *f, struct sl_pkt_info *x, struct sl_parse_cfg *cfg)
{
	(void)cfg;
	fb_eth(f, 0x86dd);                        /* 0..14 */
	fb_ipv6(f, 41, FB_V6A, FB_V6B);                 /* ..54 */
	fb_ipip(f);
	fb_ipv6(f, 58, FB_I6A, FB_I6B);                 /* ..94 */
	fb_icmp(f, 128, 0);                       /* ..102 */
	fb_done(f);

	xe_init(x, 0);
	xe_ip(x, SL_L3_IPV6, 54, 58, FB_I6A, FB_I6B);
	xe_l4(x, 94, 8);
	xe_ports(x, 128, 129);
	xe_encap(x, 1, BIT(IPIP), 54);
}

static void
tc_vxlan_inner_qinq(struct fb_frame *f, struct sl_pkt_info *x,
		    struct sl_parse_cfg *cfg)
{
	(void)cfg;
	fb_eth(f, 0x0800);                        /* 0..14 */
	fb_ipv4(f, 17, 5, 0, 26, FB_V4A, FB_V4B);       /* ..34 */
	fb_udp(f, 1, 4789);                       /* ..42 */
	fb_vxlan(f, 0x08, 7);                     /* ..50 */
	fb_ieth(f, 0x88a8);                       /* ..64 */
	fb_vlan(f, 200, 0x8100);                  /* ..68 */
	fb_vlan(f, 0x6000 | 300, 0x0800);         /* ..72 */
	fb_ipv4(f, 17, 5, 0, 27, FB_I4A, FB_I4B);       /* ..92 */
	fb_udp(f, 10, 11);                        /* ..100 */
	fb_done(f);

	xe_init(x, 0);
	xe_ip(x, SL_L3_IPV4, 72, 17, FB_I4A, FB_I4B);
	xe_l4(x, 92, 8);
	xe_ports(x, 10, 11);
	xe_encap(x, 1, BIT(VXLAN), 50);
	x->inner_vlan[0] = 200;
	x->inner_vlan[1] = 300;
	x->inner_n_vlans = 2;
	xe_tid(x, SL_TUNID_VXLAN_VNI, 7);
}

/* VNTag on the outer Ethernet: an L2 tag, not a layer. */
static void
tc_vntag(struct fb_frame *f, struct sl_pkt_info *x, struct sl_parse_cfg *cfg)
{
	(void)cfg;
	fb_eth(f, 0x8926);                        /* 0..14 */
	fb_vntag(f, 0x8100);                      /* ..20 */
	fb_vlan(f, 33, 0x0800);                   /* ..24 */
	fb_ipv4(f, 6, 5, 0, 28, FB_V4A, FB_V4B);        /* ..44 */
	fb_tcp(f, 1, 2, 0x02, 5);                 /* ..64 */
	fb_done(f);

	xe_init(x, 0x0800);
	xe_vlan(x, 33);
	xe_ipv4(x, 24, 6);
	xe_l4(x, 44, 20);
	xe_ports(x, 1, 2);
	x->tcp_flags = 0x02;
	x->encap_mask = BIT(VNTAG);
}

static void
tc_vxlan_inner_vntag(struct fb_frame *f, struct sl_pkt_info *x,
		     struct sl_parse_cfg *cfg)
{
	(void)cfg;
	fb_eth(f, 0x0800);                        /* 0..14 */
	fb_ipv4(f, 17, 5, 0, 29, FB_V4A, FB_V4B);       /* ..34 */
	fb_udp(f, 2, 4789);                       /* ..42 */
	fb_vxlan(f, 0x08, 9);                     /* ..50 */
	fb_ieth(f, 0x8926);                       /* ..64 */
	fb_vntag(f, 0x0800);                      /* ..70 */
	fb_ipv4(f, 6, 5, 0, 30, FB_I4A, FB_I4B);        /* ..90 */
	fb_tcp(f, 5, 6, 0x02, 5);                 /* ..110 */
	fb_done(f);

	xe_init(x, 0);
	xe_ip(x, SL_L3_IPV4, 70, 6, FB_I4A, FB_I4B);
	xe_l4(x, 90, 20);
	xe_ports(x, 5, 6);
	x->tcp_flags = 0x02;
	xe_encap(x, 1, BIT(VXLAN) | BIT(VNTAG), 50);
	xe_tid(x, SL_TUNID_VXLAN_VNI, 9);
}

/* ARP inside VXLAN: no inner IP, the outer flow stays, no error. */
static void
tc_vxlan_arp(struct fb_frame *f, struct sl_pkt_info *x, struct sl_parse_cfg *cfg)
{
	(void)cfg;
	fb_eth(f, 0x0800);                        /* 0..14 */
	fb_ipv4(f, 17, 5, 0, 31, FB_V4A, FB_V4B);       /* ..34 */
	fb_udp(f, 3, 4789);                       /* ..42 */
	fb_vxlan(f, 0x08, 5);                     /* ..50 */
	fb_ieth(f, 0x0806);                       /* ..64 */
	fb_data(f, 28);                           /* ..92 */
	fb_done(f);

	xe_init(x, 0x0800);
	xe_ipv4(x, 14, 17);
	xe_l4(x, 34, 58);
	xe_ports(x, 3, 4789);
	x->encap_mask = BIT(VXLAN);
	xe_tid(x, SL_TUNID_VXLAN_VNI, 5);
}

/* VXLAN in VXLAN: the first inner Ethernet is tagged, the second is not;
 * inner_vlan[] holds the innermost one's (none). */
static void
tc_vxlan_vlan_vxlan(struct fb_frame *f, struct sl_pkt_info *x,
		    struct sl_parse_cfg *cfg)
{
	(void)cfg;
	fb_eth(f, 0x0800);                        /* 0..14 */
	fb_ipv4(f, 17, 5, 0, 40, FB_V4A, FB_V4B);       /* ..34 */
	fb_udp(f, 1, 4789);                       /* ..42 */
	fb_vxlan(f, 0x08, 10);                    /* ..50 */
	fb_ieth(f, 0x8100);                       /* ..64 */
	fb_vlan(f, 5, 0x0800);                    /* ..68 */
	fb_ipv4(f, 17, 5, 0, 41, FB_I4A, FB_I4B);       /* ..88 */
	fb_udp(f, 2000, 4789);                    /* ..96 */
	fb_vxlan(f, 0x08, 20);                    /* ..104 */
	fb_ieth(f, 0x0800);                       /* ..118 */
	fb_ipv4(f, 6, 5, 0, 42, FB_J4A, FB_J4B);        /* ..138 */
	fb_tcp(f, 11, 12, 0x02, 5);               /* ..158 */
	fb_done(f);

	xe_init(x, 0);
	xe_ip(x, SL_L3_IPV4, 118, 6, FB_J4A, FB_J4B);
	xe_l4(x, 138, 20);
	xe_ports(x, 11, 12);
	x->tcp_flags = 0x02;
	xe_encap(x, 2, BIT(VXLAN), 104);
	xe_tid(x, SL_TUNID_VXLAN_VNI, 10);
}

/*
 * VXLAN in VXLAN in GRE: A/GRE/B/UDP/VXLAN 1/Eth/C/UDP/VXLAN 2/Eth/D/TCP,
 * plus D carrying E (IP-in-IP) when extra is set.
 */
static void
build_nested(struct fb_frame *f, int extra)
{
	fb_eth(f, 0x0800);                        /* 0..14 */
	fb_ipv4(f, 47, 5, 0, 32, FB_V4A, FB_V4B);       /* A ..34 */
	fb_gre(f, 0, 0x0800, 0);                  /* ..38 */
	fb_ipv4(f, 17, 5, 0, 33, FB_I4A, FB_I4B);       /* B ..58 */
	fb_udp(f, 1111, 4789);                    /* ..66 */
	fb_vxlan(f, 0x08, 1);                     /* ..74 */
	fb_ieth(f, 0x0800);                       /* ..88 */
	fb_ipv4(f, 17, 5, 0, 34, FB_J4A, FB_J4B);       /* C ..108 */
	fb_udp(f, 2222, 4789);                    /* ..116 */
	fb_vxlan(f, 0x08, 2);                     /* ..124 */
	fb_ieth(f, 0x0800);                       /* ..138 */
	if (extra) {
		fb_ipv4(f, 4, 5, 0, 35, FB_K4A, FB_K4B); /* D ..158 */
		fb_ipip(f);
		fb_ipv4(f, 6, 5, 0, 36, FB_L4A, FB_L4B); /* E ..178 */
	} else {
		fb_ipv4(f, 6, 5, 0, 35, FB_K4A, FB_K4B); /* D ..158 */
	}
	fb_tcp(f, 3333, 80, 0x18, 5);             /* ..178 / ..198 */
	fb_data(f, 2);
	fb_done(f);
}

static void
tc_nested3(struct fb_frame *f, struct sl_pkt_info *x, struct sl_parse_cfg *cfg)
{
	(void)cfg;
	build_nested(f, 0);                       /* 180 bytes */

	xe_init(x, 0);
	xe_ip(x, SL_L3_IPV4, 138, 6, FB_K4A, FB_K4B);
	xe_l4(x, 158, 22);
	xe_ports(x, 3333, 80);
	x->tcp_flags = 0x18;
	xe_encap(x, 3, BIT(GRE) | BIT(VXLAN), 124);
	xe_tid(x, SL_TUNID_VXLAN_VNI, 1);
}

#define TUN_CASES(X)                                                          \
	X(vxlan_ipv4_tcp)                                                     \
	X(geneve_teb)                                                         \
	X(geneve_opts_ipv4)                                                   \
	X(geneve_opts_ipv6)                                                   \
	X(gre_ipv4)                                                           \
	X(gre_teb_vlan)                                                       \
	X(erspan1)                                                            \
	X(erspan2)                                                            \
	X(erspan3)                                                            \
	X(erspan3_subhdr)                                                     \
	X(mpls1_ipv4)                                                         \
	X(mpls3_ipv6)                                                         \
	X(mpls_mc_ipv4)                                                       \
	X(mpls_pw)                                                            \
	X(gre_mpls)                                                           \
	X(pppoe_ipv4)                                                         \
	X(pppoe_ipv6)                                                         \
	X(pppoe_lcp)                                                          \
	X(4in4)                                                               \
	X(6in4)                                                               \
	X(4in6)                                                               \
	X(6in6)                                                               \
	X(vxlan_inner_qinq)                                                   \
	X(vntag)                                                              \
	X(vxlan_inner_vntag)                                                  \
	X(vxlan_arp)                                                          \
	X(vxlan_vlan_vxlan)                                                   \
	X(nested3)

struct tun_case {
	const char *name;
	void (*build)(struct fb_frame *f, struct sl_pkt_info *x,
		      struct sl_parse_cfg *cfg);
};

#define TCASE_DEF(n) static struct tun_case tcv_##n = { #n, tc_##n };
TUN_CASES(TCASE_DEF)
#undef TCASE_DEF

#define TCASE_PTR(n) &tcv_##n,
static struct tun_case *const all_tun_cases[] = { TUN_CASES(TCASE_PTR) };
#undef TCASE_PTR
#define N_TUN_CASES (sizeof(all_tun_cases) / sizeof(all_tun_cases[0]))

/* Full frame as written out; the layout model agrees; every prefix. */
static void
check_tun(const struct sl_parse_cfg *cfg, const struct fb_frame *f,
	  const struct sl_pkt_info *x, const char *what)
{
	struct sl_pkt_info pi, m;

	assert_int_equal(parse_copy_cfg(cfg, f->b, f->len, &pi), x->err);
	check_pi(&pi, x, what, f->len);
	expect_tun(f, x, f->len, &m);
	check_pi(&m, x, "layout model", f->len);
	check_all_lengths_cfg(cfg, f, x, what);
}

static void
test_tun_case(void **state)
{
	const struct tun_case *tc = *state;
	struct sl_parse_cfg cfg;
	struct sl_pkt_info x;
	struct fb_frame f;

	sl_parse_cfg_default(&cfg);
	tc->build(&f, &x, &cfg);
	check_tun(&cfg, &f, &x, tc->name);
}

/* max_depth 0: every tunnel case parses as its outer layers alone, at
 * every length (only VNTag, an L2 tag, is still walked). */
static void
test_tun_depth0(void **state)
{
	struct sl_pkt_info x, ref0, pi, e;
	struct sl_parse_cfg cfg;
	struct fb_frame f;

	(void)state;
	for (size_t i = 0; i < N_TUN_CASES; i++) {
		sl_parse_cfg_default(&cfg);
		all_tun_cases[i]->build(&f, &x, &cfg);
		cfg.max_depth = 0;
		outer_ref(&f, &ref0);
		for (uint32_t n = 0; n <= f.len; n++) {
			parse_copy_cfg(&cfg, f.b, n, &pi);
			expect_cut(&f, &ref0, n, &e);
			check_pi(&pi, &e, all_tun_cases[i]->name, n);
		}
	}
}

/* All eight C/K/S combinations of GRE carrying IPv6. */
static void
test_gre_cks(void **state)
{
	struct sl_parse_cfg cfg;
	struct sl_pkt_info x;
	struct fb_frame f;
	char name[32];

	(void)state;
	sl_parse_cfg_default(&cfg);
	for (unsigned int m = 0; m < 8; m++) {
		uint8_t flags = (uint8_t)(((m & 1) ? FB_GRE_C : 0) |
					  ((m & 2) ? FB_GRE_K : 0) |
					  ((m & 4) ? FB_GRE_S : 0));
		uint16_t hl = (uint16_t)(4 + 4 * ((m & 1) + ((m >> 1) & 1) +
						  ((m >> 2) & 1)));

		fb_eth(&f, 0x0800);                  /* 0..14 */
		fb_ipv4(&f, 47, 5, 0, 1, FB_V4A, FB_V4B);  /* ..34 */
		fb_gre(&f, flags, 0x86dd, 0x01020304u + m); /* ..34+hl */
		fb_ipv6(&f, 6, FB_I6A, FB_I6B);
		fb_tcp(&f, 100, 200, 0x02, 5);
		fb_data(&f, 6);
		fb_done(&f);

		xe_init(&x, 0);
		xe_ip(&x, SL_L3_IPV6, (uint16_t)(34 + hl), 6, FB_I6A, FB_I6B);
		xe_l4(&x, (uint16_t)(74 + hl), 26);
		xe_ports(&x, 100, 200);
		x.tcp_flags = 0x02;
		xe_encap(&x, 1, BIT(GRE), (uint16_t)(34 + hl));
		if (flags & FB_GRE_K)
			xe_tid(&x, SL_TUNID_GRE_KEY, 0x01020304u + m);
		snprintf(name, sizeof(name), "gre_flags_%02x", flags);
		check_tun(&cfg, &f, &x, name);
	}
}

/* ---- tunnels: malformed ------------------------------------------------- */

/* The outer IPv4 flow of a frame built as eth/IPv4(proto)/L4... */
static void
xe_outer4(struct sl_pkt_info *x, const struct fb_frame *f, uint8_t proto)
{
	xe_init(x, 0x0800);
	xe_ipv4(x, 14, proto);
	xe_l4(x, 34, (uint16_t)(f->len - 34));
}

static void
build_vxlan(struct fb_frame *f, uint8_t flags, uint16_t sport)
{
	fb_eth(f, 0x0800);                        /* 0..14 */
	fb_ipv4(f, 17, 5, 0, 1, FB_V4A, FB_V4B);        /* ..34 */
	fb_udp(f, sport, 4789);                   /* ..42 */
	fb_vxlan(f, flags, 0x00c0de);             /* ..50 */
	fb_ieth(f, 0x0800);                       /* ..64 */
	fb_ipv4(f, 6, 5, 0, 2, FB_I4A, FB_I4B);         /* ..84 */
	fb_tcp(f, 1000, 80, 0x10, 5);             /* ..104 */
	fb_data(f, 10);                           /* ..114 */
	fb_done(f);
}

static void
test_vxlan_bad_flags(void **state)
{
	static const uint8_t bad[] = { 0x00, 0x80, 0xf7, 0x04, 0x01 };
	struct sl_parse_cfg cfg;
	struct sl_pkt_info x;
	struct fb_frame f;

	(void)state;
	sl_parse_cfg_default(&cfg);
	for (size_t i = 0; i < sizeof(bad); i++) {
		build_vxlan(&f, bad[i], 5000);
		xe_outer4(&x, &f, 17);
		xe_ports(&x, 5000, 4789);
		x.encap_mask = BIT(VXLAN);
		x.encap_err = SL_ENCAP_ERR_VXLAN_BAD_FLAGS;
		check_tun(&cfg, &f, &x, "vxlan_bad_flags");
	}
	/* Other flag bits do not matter when I is set. */
	build_vxlan(&f, 0xff, 5000);
	assert_int_equal(parse_copy(f.b, f.len, &x), SL_PARSE_OK);
	assert_int_equal(x.encap_err, SL_ENCAP_OK);
	assert_int_equal(x.n_encap, 1);
	assert_int_equal(x.l3_off, 64);
}

static void
build_geneve_ipv4(struct fb_frame *f, uint8_t ver, struct fb_ckpt **c)
{
	fb_eth(f, 0x0800);                        /* 0..14 */
	fb_ipv4(f, 17, 5, 0, 1, FB_V4A, FB_V4B);        /* ..34 */
	fb_udp(f, 999, 6081);                     /* ..42 */
	*c = fb_geneve(f, ver, 2, 0x0800, 77);    /* ..58 */
	fb_ipv4(f, 6, 5, 0, 2, FB_I4A, FB_I4B);         /* ..78 */
	fb_tcp(f, 1, 2, 0x02, 5);                 /* ..98 */
	fb_done(f);
}

static void
test_geneve_malformed(void **state)
{
	struct sl_parse_cfg cfg;
	struct sl_pkt_info x;
	struct fb_frame f;
	struct fb_ckpt *c;

	(void)state;
	sl_parse_cfg_default(&cfg);
	for (uint8_t ver = 1; ver < 4; ver++) {
		build_geneve_ipv4(&f, ver, &c);
		xe_outer4(&x, &f, 17);
		xe_ports(&x, 999, 6081);
		x.encap_mask = BIT(GENEVE);
		x.encap_err = SL_ENCAP_ERR_GENEVE_BAD_VERSION;
		check_tun(&cfg, &f, &x, "geneve_bad_version");
	}
	/* Options longer than the datagram: 63 words = 252 bytes. */
	build_geneve_ipv4(&f, 0, &c);
	f.b[42] = 63;
	fb_ck_stop(c, 50, SL_ENCAP_ERR_GENEVE_BAD_OPT_LEN);
	xe_outer4(&x, &f, 17);
	xe_ports(&x, 999, 6081);
	x.encap_mask = BIT(GENEVE);
	x.encap_err = SL_ENCAP_ERR_GENEVE_BAD_OPT_LEN;
	check_tun(&cfg, &f, &x, "geneve_opt_len");
	/* The same options within a datagram longer than the capture
	 * (snaplen): only cut. */
	fb_wr16(f.b + 16, 1400);
	x.encap_err = SL_ENCAP_ERR_GENEVE_TRUNCATED;
	parse_copy(f.b, f.len, &x);
	assert_int_equal(x.encap_err, SL_ENCAP_ERR_GENEVE_TRUNCATED);
	assert_int_equal(x.l3_off, 14);
	/* Options ending exactly at the end of the datagram: nothing left
	 * for the inner IPv4 header. */
	build_geneve_ipv4(&f, 0, &c);
	f.b[42] = (uint8_t)((f.len - 50) / 4);
	assert_int_equal(parse_copy(f.b, f.len, &x), SL_PARSE_OK);
	assert_int_equal(x.encap_err, SL_ENCAP_ERR_INNER_L3_TRUNCATED);
	assert_int_equal(x.tunnel_id, 77);
	assert_int_equal(x.l3_off, 14);
	/* Unknown protocol type: identified, not walked, no error. */
	build_geneve_ipv4(&f, 0, &c);
	fb_wr16(f.b + 44, 0x8847);
	c->stop = 1;
	xe_outer4(&x, &f, 17);
	xe_ports(&x, 999, 6081);
	x.encap_mask = BIT(GENEVE);
	xe_tid(&x, SL_TUNID_GENEVE_VNI, 77);
	check_tun(&cfg, &f, &x, "geneve_unknown_type");
}

static void
build_gre_k(struct fb_frame *f, struct fb_ckpt **c)
{
	fb_eth(f, 0x0800);                        /* 0..14 */
	fb_ipv4(f, 47, 5, 0, 1, FB_V4A, FB_V4B);        /* ..34 */
	*c = fb_gre(f, FB_GRE_K, 0x0800, 0xfeedface); /* ..42 */
	fb_ipv4(f, 6, 5, 0, 2, FB_I4A, FB_I4B);         /* ..62 */
	fb_tcp(f, 1, 2, 0x02, 5);                 /* ..82 */
	fb_done(f);
}

static void
test_gre_malformed(void **state)
{
	struct sl_parse_cfg cfg;
	struct sl_pkt_info x;
	struct fb_frame f;
	struct fb_ckpt *c;

	(void)state;
	sl_parse_cfg_default(&cfg);
	for (uint8_t ver = 1; ver < 8; ver++) {
		build_gre_k(&f, &c);
		f.b[35] = ver;
		/* Version 1 (PPTP): identified, not walked, no error. */
		fb_ck_stop(c, 38, ver == 1 ? 0 : SL_ENCAP_ERR_GRE_BAD_VERSION);
		xe_outer4(&x, &f, 47);
		x.encap_mask = BIT(GRE);
		x.encap_err = ver == 1 ? 0 : SL_ENCAP_ERR_GRE_BAD_VERSION;
		check_tun(&cfg, &f, &x, "gre_version");
	}
	/* Routing present (RFC 1701): not walked. */
	build_gre_k(&f, &c);
	f.b[34] |= FB_GRE_R;
	fb_ck_stop(c, 38, SL_ENCAP_ERR_GRE_ROUTING);
	xe_outer4(&x, &f, 47);
	x.encap_mask = BIT(GRE);
	x.encap_err = SL_ENCAP_ERR_GRE_ROUTING;
	check_tun(&cfg, &f, &x, "gre_routing");
	/* Unknown protocol type: the key is still recorded. */
	build_gre_k(&f, &c);
	fb_wr16(f.b + 36, 0x880b); /* PPP */
	c->stop = 1;
	xe_outer4(&x, &f, 47);
	x.encap_mask = BIT(GRE);
	xe_tid(&x, SL_TUNID_GRE_KEY, 0xfeedface);
	check_tun(&cfg, &f, &x, "gre_unknown_type");
}

static void
test_erspan_malformed(void **state)
{
	static const uint8_t v2[] = { 0, 2, 15 }, v3[] = { 0, 1, 3 };
	struct sl_parse_cfg cfg;
	struct sl_pkt_info x;
	struct fb_frame f;

	(void)state;
	sl_parse_cfg_default(&cfg);
	for (int t = 0; t < 2; t++) {
		for (int i = 0; i < 3; i++) {
			fb_eth(&f, 0x0800);
			fb_ipv4(&f, 47, 5, 0, 1, FB_V4A, FB_V4B);
			fb_gre(&f, FB_GRE_S, t ? 0x22eb : 0x88be, 0);
			if (t)
				fb_erspan3(&f, v3[i], 5, 0);
			else
				fb_erspan2(&f, v2[i], 5);
			fb_ieth(&f, 0x0800);
			fb_ipv4(&f, 6, 5, 0, 2, FB_I4A, FB_I4B);
			fb_tcp(&f, 1, 2, 0x02, 5);
			fb_done(&f);

			xe_outer4(&x, &f, 47);
			x.encap_mask = (uint16_t)(BIT(GRE) |
						  (t ? BIT(ERSPAN3) :
						       BIT(ERSPAN2)));
			x.encap_err = SL_ENCAP_ERR_ERSPAN_BAD_VERSION;
			check_tun(&cfg, &f, &x, "erspan_bad_version");
		}
	}
	/* Type III frame type other than Ethernet: recorded, not walked. */
	fb_eth(&f, 0x0800);
	fb_ipv4(&f, 47, 5, 0, 1, FB_V4A, FB_V4B);
	fb_gre(&f, FB_GRE_S, 0x22eb, 0);             /* 34..42 */
	fb_erspan3(&f, 2, 5, 0)->stop = 1;        /* ..54 */
	fb_data(&f, 40);
	fb_done(&f);
	f.b[52] = 0x8b; /* FT 2 (IP) */
	xe_outer4(&x, &f, 47);
	x.encap_mask = BIT(GRE) | BIT(ERSPAN3);
	xe_tid(&x, SL_TUNID_ERSPAN_ID, 5);
	check_tun(&cfg, &f, &x, "erspan3_ft_ip");
}

static void
test_mpls_labels(void **state)
{
	struct sl_parse_cfg cfg;
	struct sl_pkt_info x;
	struct fb_frame f;
	struct fb_ckpt *c;

	(void)state;
	sl_parse_cfg_default(&cfg);
	/* SL_MAX_MPLS_LABELS labels are fine. */
	fb_eth(&f, 0x8847);                       /* 0..14 */
	fb_mpls(&f, SL_MAX_MPLS_LABELS, FB_MPLS_IP); /* ..46 */
	fb_ipv4(&f, 17, 5, 0, 1, FB_I4A, FB_I4B);       /* ..66 */
	fb_udp(&f, 1, 2);                         /* ..74 */
	fb_done(&f);
	xe_init(&x, 0);
	xe_ip(&x, SL_L3_IPV4, 46, 17, FB_I4A, FB_I4B);
	xe_l4(&x, 66, 8);
	xe_ports(&x, 1, 2);
	xe_encap(&x, 1, BIT(MPLS), 46);
	check_tun(&cfg, &f, &x, "mpls_8_labels");

	/* One more without bottom of stack: too deep, whatever follows. */
	for (int more = 1; more < 3; more++) {
		fb_eth(&f, 0x8847);
		f.tun = 1;
		f.pend_reach = BIT(MPLS);
		c = fb_ck_add(&f, 14 + 4 * SL_MAX_MPLS_LABELS,
			   SL_ENCAP_ERR_MPLS_TRUNCATED);
		fb_ck_stop(c, c->need, SL_ENCAP_ERR_MPLS_TOO_DEEP);
		for (int i = 0; i < SL_MAX_MPLS_LABELS + more; i++)
			fb_u32(&f, (uint32_t)(200 + i) << 12 |
					   (i == SL_MAX_MPLS_LABELS + more - 1 ?
						    0x140 :
						    0x040));
		fb_data(&f, 30);
		xe_init(&x, 0x8847);
		x.encap_mask = BIT(MPLS);
		x.encap_err = SL_ENCAP_ERR_MPLS_TOO_DEEP;
		check_tun(&cfg, &f, &x, "mpls_too_deep");
	}

	/* Pseudowire frame without cfg->mpls_pw: nibble 0 is not walked. */
	tc_mpls_pw(&f, &x, &cfg);
	cfg.mpls_pw = 0;
	f.ck[0].stop = 1;
	f.ck[0].need = 23; /* decided on the first payload byte */
	xe_init(&x, 0x8847);
	x.encap_mask = BIT(MPLS);
	check_tun(&cfg, &f, &x, "mpls_pw_off");
	/* mpls_pw does not change IP payloads. */
	cfg.mpls_pw = 1;
	tc_mpls3_ipv6(&f, &x, &cfg);
	check_tun(&cfg, &f, &x, "mpls_pw_on_ip");
}

static void
test_pppoe_malformed(void **state)
{
	static const uint8_t bad[] = { 0x12, 0x21, 0x00, 0x22, 0xff };
	struct sl_parse_cfg cfg;
	struct sl_pkt_info x, pi;
	struct fb_frame f;
	struct fb_ckpt *c;

	(void)state;
	sl_parse_cfg_default(&cfg);
	for (size_t i = 0; i < sizeof(bad); i++) {
		fb_eth(&f, 0x8864);
		c = fb_pppoe(&f, 0x0021);                 /* 14..22 */
		fb_ipv4(&f, 6, 5, 0, 1, FB_I4A, FB_I4B);
		fb_tcp(&f, 1, 2, 0x02, 5);
		fb_done(&f);
		f.b[14] = bad[i];
		fb_ck_stop(c, 20, SL_ENCAP_ERR_PPPOE_BAD_VERSION);
		xe_init(&x, 0x8864);
		x.encap_mask = BIT(PPPOE);
		x.encap_err = SL_ENCAP_ERR_PPPOE_BAD_VERSION;
		check_tun(&cfg, &f, &x, "pppoe_bad_version");
	}
	/* The PPPoE length bounds the payload. */
	tc_pppoe_ipv4(&f, &x, &cfg);
	fb_wr16(f.b + 18, 1); /* not even the PPP protocol */
	parse_copy(f.b, f.len, &pi);
	xe_init(&x, 0x8864);
	x.encap_mask = BIT(PPPOE);
	x.encap_err = SL_ENCAP_ERR_PPPOE_TRUNCATED;
	check_pi(&pi, &x, "pppoe_len_1", f.len);
	fb_wr16(f.b + 18, 2 + 19); /* IPv4 header cut at 19 bytes */
	parse_copy(f.b, f.len, &pi);
	x.encap_err = SL_ENCAP_ERR_INNER_L3_TRUNCATED;
	check_pi(&pi, &x, "pppoe_len_21", f.len);
	fb_wr16(f.b + 18, 2 + 30); /* TCP cut at 10 bytes: inner L4 error */
	parse_copy(f.b, f.len, &pi);
	xe_init(&x, 0);
	xe_ip(&x, SL_L3_IPV4, 22, 6, FB_I4A, FB_I4B);
	xe_l4(&x, 42, 10);
	xe_encap(&x, 1, BIT(PPPOE), 22);
	x.err = SL_PARSE_ERR_L4_TRUNCATED;
	check_pi(&pi, &x, "pppoe_len_32", f.len);
}

static void
test_inner_l2_l3_malformed(void **state)
{
	struct sl_parse_cfg cfg;
	struct sl_pkt_info x;
	struct fb_frame f;
	struct fb_ckpt *c;

	(void)state;
	sl_parse_cfg_default(&cfg);
	/* Three inner tags. */
	fb_eth(&f, 0x0800);
	fb_ipv4(&f, 17, 5, 0, 1, FB_V4A, FB_V4B);       /* 14..34 */
	fb_udp(&f, 7, 4789);                      /* ..42 */
	fb_vxlan(&f, 0x08, 3);                    /* ..50 */
	fb_ieth(&f, 0x8100);                      /* ..64 */
	fb_vlan(&f, 1, 0x88a8);                   /* ..68 */
	fb_vlan(&f, 2, 0x8100);                   /* ..72 */
	c = fb_ck_add(&f, f.len, 0);
	fb_ck_stop(c, f.len, SL_ENCAP_ERR_INNER_VLAN_TOO_DEEP);
	fb_u16(&f, 3);
	fb_u16(&f, 0x0800);
	fb_data(&f, 40);
	fb_done(&f);
	xe_outer4(&x, &f, 17);
	xe_ports(&x, 7, 4789);
	x.encap_mask = BIT(VXLAN);
	xe_tid(&x, SL_TUNID_VXLAN_VNI, 3);
	x.encap_err = SL_ENCAP_ERR_INNER_VLAN_TOO_DEEP;
	check_tun(&cfg, &f, &x, "inner_vlan_too_deep");

	/* GRE says IPv4, an IPv6 header follows. */
	fb_eth(&f, 0x0800);
	fb_ipv4(&f, 47, 5, 0, 1, FB_V4A, FB_V4B);       /* 14..34 */
	fb_gre(&f, 0, 0x0800, 0);                 /* ..38 */
	fb_ipv6(&f, 6, FB_I6A, FB_I6B);                 /* ..78 */
	fb_ck_stop(&f.ck[f.n_ck - 1], 58, SL_ENCAP_ERR_INNER_L3_BAD);
	f.ck[f.n_ck - 1].err = SL_ENCAP_ERR_INNER_L3_TRUNCATED;
	fb_tcp(&f, 1, 2, 0x02, 5);
	fb_done(&f);
	xe_outer4(&x, &f, 47);
	x.encap_mask = BIT(GRE);
	x.encap_err = SL_ENCAP_ERR_INNER_L3_BAD;
	check_tun(&cfg, &f, &x, "inner_l3_version");

	/* Inner IPv4 with IHL 4, or total length below its header. */
	for (int k = 0; k < 2; k++) {
		fb_eth(&f, 0x0800);
		fb_ipv4(&f, 47, 5, 0, 1, FB_V4A, FB_V4B);
		fb_gre(&f, 0, 0x0800, 0);
		fb_ipv4(&f, 6, 5, 0, 2, FB_I4A, FB_I4B); /* 38..58 */
		fb_ck_stop(&f.ck[f.n_ck - 1], 58, SL_ENCAP_ERR_INNER_L3_BAD);
		f.ck[f.n_ck - 1].err = SL_ENCAP_ERR_INNER_L3_TRUNCATED;
		fb_tcp(&f, 1, 2, 0x02, 5);
		fb_done(&f);
		if (k == 0)
			f.b[38] = 0x44;
		else
			fb_wr16(f.b + 40, 19);
		xe_outer4(&x, &f, 47);
		x.encap_mask = BIT(GRE);
		x.encap_err = SL_ENCAP_ERR_INNER_L3_BAD;
		check_tun(&cfg, &f, &x, "inner_l3_bad");
	}

	/* Inner TCP with a bad data offset: an inner L4 error, reported in
	 * err with the inner fields. */
	tc_gre_ipv4(&f, &x, &cfg);
	f.b[70] = 0x40;
	xe_init(&x, 0);
	xe_ip(&x, SL_L3_IPV4, 38, 6, FB_I4A, FB_I4B);
	xe_l4(&x, 58, 24);
	xe_encap(&x, 1, BIT(GRE), 38);
	x.err = SL_PARSE_ERR_TCP_BAD_DATA_OFFSET;
	{
		struct sl_pkt_info pi;

		parse_copy(f.b, f.len, &pi);
		check_pi(&pi, &x, "inner_tcp_doff", f.len);
	}
}

/* ---- tunnels: depth, fragments, configuration --------------------------- */

static void
test_nesting_depth(void **state)
{
	struct sl_parse_cfg cfg;
	struct sl_pkt_info x, pi;
	struct fb_frame f;

	(void)state;
	sl_parse_cfg_default(&cfg);
	build_nested(&f, 0);
	assert_int_equal(f.len, 180);

	/* max_depth 3 removes all three layers (also tc_nested3). */
	tc_nested3(&f, &x, &cfg);
	parse_copy_cfg(&cfg, f.b, f.len, &pi);
	check_pi(&pi, &x, "nested_depth3", f.len);

	/* max_depth 2: the flow of C, the VXLAN after it refused. */
	cfg.max_depth = 2;
	xe_init(&x, 0);
	xe_ip(&x, SL_L3_IPV4, 88, 17, FB_J4A, FB_J4B);
	xe_l4(&x, 108, 72);
	xe_ports(&x, 2222, 4789);
	xe_encap(&x, 2, BIT(GRE) | BIT(VXLAN), 74);
	xe_tid(&x, SL_TUNID_VXLAN_VNI, 1);
	x.encap_err = SL_ENCAP_ERR_TOO_DEEP;
	parse_copy_cfg(&cfg, f.b, f.len, &pi);
	check_pi(&pi, &x, "nested_depth2", f.len);

	/* max_depth 1: the flow of B; the first VXLAN header not read. */
	cfg.max_depth = 1;
	xe_init(&x, 0);
	xe_ip(&x, SL_L3_IPV4, 38, 17, FB_I4A, FB_I4B);
	xe_l4(&x, 58, 122);
	xe_ports(&x, 1111, 4789);
	xe_encap(&x, 1, BIT(GRE) | BIT(VXLAN), 38);
	x.encap_err = SL_ENCAP_ERR_TOO_DEEP;
	parse_copy_cfg(&cfg, f.b, f.len, &pi);
	check_pi(&pi, &x, "nested_depth1", f.len);

	/* max_depth 0: no decapsulation at all. */
	cfg.max_depth = 0;
	xe_outer4(&x, &f, 47);
	parse_copy_cfg(&cfg, f.b, f.len, &pi);
	check_pi(&pi, &x, "nested_depth0", f.len);

	/* Four layers at max_depth 3: the flow of D, IP-in-IP refused. */
	build_nested(&f, 1);
	cfg.max_depth = 3;
	xe_init(&x, 0);
	xe_ip(&x, SL_L3_IPV4, 138, 4, FB_K4A, FB_K4B);
	xe_l4(&x, 158, 42);
	xe_encap(&x, 3, BIT(GRE) | BIT(VXLAN) | BIT(IPIP), 124);
	xe_tid(&x, SL_TUNID_VXLAN_VNI, 1);
	x.encap_err = SL_ENCAP_ERR_TOO_DEEP;
	parse_copy_cfg(&cfg, f.b, f.len, &pi);
	check_pi(&pi, &x, "nested4_depth3", f.len);
	assert_int_equal(parse_copy(f.b, f.len, &pi), SL_PARSE_OK);
	check_pi(&pi, &x, "nested4_default", f.len);

	/* ... and max_depth 4 reaches E. */
	cfg.max_depth = 4;
	xe_init(&x, 0);
	xe_ip(&x, SL_L3_IPV4, 158, 6, FB_L4A, FB_L4B);
	xe_l4(&x, 178, 22);
	xe_ports(&x, 3333, 80);
	x.tcp_flags = 0x18;
	xe_encap(&x, 4, BIT(GRE) | BIT(VXLAN) | BIT(IPIP), 158);
	xe_tid(&x, SL_TUNID_VXLAN_VNI, 1);
	check_tun(&cfg, &f, &x, "nested4_depth4");

	/* The largest max_depth is fine too. */
	cfg.max_depth = 255;
	parse_copy_cfg(&cfg, f.b, f.len, &pi);
	check_pi(&pi, &x, "nested4_depth255", f.len);
}

static void
test_encap_fragments(void **state)
{
	struct sl_parse_cfg cfg;
	struct sl_pkt_info x, pi;
	struct fb_frame f;

	(void)state;
	sl_parse_cfg_default(&cfg);
	/* Non-first fragment of a GRE datagram: no tunnel header in it. */
	fb_eth(&f, 0x0800);
	fb_ipv4(&f, 47, 5, 0x2000 | 10, 0x4242, FB_V4A, FB_V4B);
	fb_u8(&f, 0);
	fb_u8(&f, 0);
	fb_u16(&f, 0x0800); /* looks like a GRE header, is not one */
	fb_data(&f, 40);
	fb_done(&f);
	xe_init(&x, 0x0800);
	xe_ipv4(&x, 14, 47);
	xe_frag(&x, SL_FRAG_IS_FRAGMENT | SL_FRAG_MORE, 80, 0x4242);
	parse_copy(f.b, f.len, &pi);
	check_pi(&pi, &x, "frag_nonfirst_gre", f.len);

	/* First fragment holding the whole GRE header and inner packet. */
	fb_eth(&f, 0x0800);
	fb_ipv4(&f, 47, 5, 0x2000, 0x4243, FB_V4A, FB_V4B); /* 14..34 */
	fb_gre(&f, FB_GRE_K | FB_GRE_S, 0x0800, 99);        /* ..46 */
	fb_ipv4(&f, 17, 5, 0, 1, FB_I4A, FB_I4B);           /* ..66 */
	fb_udp(&f, 1, 2);                             /* ..74 */
	fb_done(&f);
	xe_init(&x, 0);
	xe_ip(&x, SL_L3_IPV4, 46, 17, FB_I4A, FB_I4B);
	xe_l4(&x, 66, 8);
	xe_ports(&x, 1, 2);
	xe_encap(&x, 1, BIT(GRE), 46);
	xe_tid(&x, SL_TUNID_GRE_KEY, 99);
	parse_copy(f.b, f.len, &pi);
	check_pi(&pi, &x, "frag_first_gre", f.len);

	/* First fragment ending inside the GRE header: the carrier's flow,
	 * no error; the same cut in a whole datagram is gre_truncated. */
	fb_wr16(f.b + 16, 20 + 6);
	xe_init(&x, 0x0800);
	xe_ipv4(&x, 14, 47);
	xe_l4(&x, 34, 6);
	xe_frag(&x, SL_FRAG_IS_FRAGMENT | SL_FRAG_FIRST | SL_FRAG_MORE, 0,
		0x4243);
	x.encap_mask = BIT(GRE);
	parse_copy(f.b, f.len, &pi);
	check_pi(&pi, &x, "frag_first_gre_cut", f.len);
	fb_wr16(f.b + 20, 0);
	xe_frag(&x, 0, 0, 0);
	x.encap_err = SL_ENCAP_ERR_GRE_TRUNCATED;
	parse_copy(f.b, f.len, &pi);
	check_pi(&pi, &x, "whole_gre_cut", f.len);

	/* First fragment ending inside the VXLAN header. */
	build_vxlan(&f, 0x08, 4000);
	fb_wr16(f.b + 20, 0x2000);
	fb_wr16(f.b + 16, 20 + 8 + 4);
	xe_init(&x, 0x0800);
	xe_ipv4(&x, 14, 17);
	xe_l4(&x, 34, 12);
	xe_ports(&x, 4000, 4789);
	xe_frag(&x, SL_FRAG_IS_FRAGMENT | SL_FRAG_FIRST | SL_FRAG_MORE, 0, 1);
	x.encap_mask = BIT(VXLAN);
	parse_copy(f.b, f.len, &pi);
	check_pi(&pi, &x, "frag_first_vxlan_cut", f.len);

	/* First fragment ending inside GENEVE options: cut, not malformed. */
	{
		struct fb_ckpt *c;

		build_geneve_ipv4(&f, 0, &c);
		fb_wr16(f.b + 20, 0x2000);
		fb_wr16(f.b + 16, 20 + 8 + 8 + 4);
		xe_init(&x, 0x0800);
		xe_ipv4(&x, 14, 17);
		xe_l4(&x, 34, 20);
		xe_ports(&x, 999, 6081);
		xe_frag(&x, SL_FRAG_IS_FRAGMENT | SL_FRAG_FIRST |
				    SL_FRAG_MORE,
			0, 1);
		x.encap_mask = BIT(GENEVE);
		parse_copy(f.b, f.len, &pi);
		check_pi(&pi, &x, "frag_first_geneve_cut", f.len);
		fb_wr16(f.b + 20, 0);
		xe_frag(&x, 0, 0, 0);
		x.encap_err = SL_ENCAP_ERR_GENEVE_BAD_OPT_LEN;
		parse_copy(f.b, f.len, &pi);
		check_pi(&pi, &x, "whole_geneve_opts_past_end", f.len);
	}

	/* IPv6 non-first fragment carrying IPv4-in-IPv6: not walked. */
	fb_eth(&f, 0x86dd);
	fb_ipv6(&f, 44, FB_V6A, FB_V6B);
	fb_frag6(&f, 4, 1280, 0, 7);
	fb_data(&f, 40);
	fb_done(&f);
	xe_init(&x, 0x86dd);
	xe_ipv6(&x, 14, 4, 1);
	xe_frag(&x, SL_FRAG_IS_FRAGMENT, 1280, 7);
	parse_copy(f.b, f.len, &pi);
	check_pi(&pi, &x, "frag6_nonfirst_ipip", f.len);
}

/* AWS traffic mirroring: constant outer headers except the UDP source
 * port; the inner tuple must not depend on it. */
static void
test_vxlan_outer_sport(void **state)
{
	struct sl_pkt_info ref, pi;
	struct fb_frame f;
	uint64_t s = 0xa5a5a5a5deadbeefull;

	(void)state;
	build_vxlan(&f, 0x08, 0);
	assert_int_equal(parse_copy(f.b, f.len, &ref), SL_PARSE_OK);
	assert_int_equal(ref.n_encap, 1);
	assert_int_equal(ref.sport, 1000);
	assert_int_equal(ref.dport, 80);
	assert_memory_equal(ref.src, FB_I4A, 4);
	for (int i = 0; i < 2000; i++) {
		uint16_t sport = i < 3 ? (uint16_t)(i == 2 ? 65535 : i) :
					 (uint16_t)rnd(&s);

		build_vxlan(&f, 0x08, sport);
		fb_wr16(f.b + 18, (uint16_t)rnd(&s)); /* outer IP id */
		parse_copy(f.b, f.len, &pi);
		check_pi(&pi, &ref, "outer_sport", sport);
	}
}

static void
test_cfg(void **state)
{
	struct sl_parse_cfg cfg;
	struct sl_pkt_info pi;
	struct fb_frame f;

	(void)state;
	memset(&cfg, 0xff, sizeof(cfg));
	sl_parse_cfg_default(&cfg);
	assert_int_equal(cfg.n_vxlan_ports, 1);
	assert_int_equal(cfg.vxlan_ports[0], 4789);
	assert_int_equal(cfg.n_geneve_ports, 1);
	assert_int_equal(cfg.geneve_ports[0], 6081);
	assert_int_equal(cfg.max_depth, 3);
	assert_int_equal(cfg.mpls_pw, 0);
	for (int i = 1; i < 8; i++)
		assert_int_equal(cfg.vxlan_ports[i], 0);
	for (int i = 1; i < 4; i++)
		assert_int_equal(cfg.geneve_ports[i], 0);

	/* VXLAN on another port (Linux 8472), last entry of the list. */
	build_vxlan(&f, 0x08, 1);
	fb_wr16(f.b + 36, 8472);
	assert_int_equal(parse_copy_cfg(&cfg, f.b, f.len, &pi), SL_PARSE_OK);
	assert_int_equal(pi.n_encap, 0);
	assert_int_equal(pi.encap_mask, 0);
	assert_int_equal(pi.dport, 8472);
	cfg.vxlan_ports[7] = 8472;
	cfg.n_vxlan_ports = 8;
	parse_copy_cfg(&cfg, f.b, f.len, &pi);
	assert_int_equal(pi.n_encap, 1);
	assert_int_equal(pi.dport, 80);
	/* Counts past the arrays are capped, not read beyond. */
	cfg.n_vxlan_ports = 255;
	cfg.n_geneve_ports = 255;
	parse_copy_cfg(&cfg, f.b, f.len, &pi);
	assert_int_equal(pi.n_encap, 1);
	/* No VXLAN port: the frame is plain UDP. */
	cfg.n_vxlan_ports = 0;
	parse_copy_cfg(&cfg, f.b, f.len, &pi);
	assert_int_equal(pi.n_encap, 0);
	assert_int_equal(pi.encap_mask, 0);
	/* A port in both lists is VXLAN. */
	sl_parse_cfg_default(&cfg);
	cfg.geneve_ports[0] = 4789;
	build_vxlan(&f, 0x08, 1);
	parse_copy_cfg(&cfg, f.b, f.len, &pi);
	assert_int_equal(pi.encap_mask, BIT(VXLAN));
	assert_int_equal(pi.n_encap, 1);
	/* More ports configured: untunnelled frames, UDP included, parse as
	 * with the defaults. */
	sl_parse_cfg_default(&cfg);
	cfg.vxlan_ports[1] = 8472;
	cfg.n_vxlan_ports = 2;
	cfg.geneve_ports[1] = 6082;
	cfg.n_geneve_ports = 2;
	for (size_t i = 0; i < N_CASES; i++) {
		struct sl_pkt_info x;

		all_cases[i]->build(&f, &x);
		parse_copy_cfg(&cfg, f.b, f.len, &pi);
		check_pi(&pi, &x, all_cases[i]->name, f.len);
	}
	/* GENEVE on a second port. */
	sl_parse_cfg_default(&cfg);
	{
		struct fb_ckpt *c;

		build_geneve_ipv4(&f, 0, &c);
		fb_wr16(f.b + 36, 6082);
		parse_copy_cfg(&cfg, f.b, f.len, &pi);
		assert_int_equal(pi.n_encap, 0);
		cfg.geneve_ports[1] = 6082;
		cfg.n_geneve_ports = 2;
		parse_copy_cfg(&cfg, f.b, f.len, &pi);
		assert_int_equal(pi.n_encap, 1);
		assert_int_equal(pi.encap_mask, BIT(GENEVE));
	}
}

static void
test_encap_names(void **state)
{
	(void)state;
	assert_string_equal(sl_encap_err_name(SL_ENCAP_OK), "ok");
#define X_NAME(e, s) assert_string_equal(sl_encap_err_name(SL_ENCAP_ERR_##e), s);
	SL_ENCAP_ERRORS(X_NAME)
#undef X_NAME
#define X_NAME(e, s) assert_string_equal(sl_encap_type_name(SL_ENCAP_##e), s);
	SL_ENCAP_TYPES(X_NAME)
#undef X_NAME
	assert_string_equal(sl_encap_err_name(SL_ENCAP_ERR_TOO_DEEP),
			    "encap_too_deep");
	assert_string_equal(sl_encap_type_name(SL_ENCAP_VXLAN), "vxlan");
	assert_string_equal(sl_encap_type_name(SL_ENCAP_VNTAG), "vntag");
	assert_string_equal(sl_encap_err_name(-1), "unknown");
	assert_string_equal(sl_encap_err_name(SL_ENCAP_ERR_MAX), "unknown");
	assert_string_equal(sl_encap_err_name(INT_MIN), "unknown");
	assert_string_equal(sl_encap_type_name(-1), "unknown");
	assert_string_equal(sl_encap_type_name(SL_ENCAP_TYPE_MAX), "unknown");
	assert_string_equal(sl_encap_type_name(INT_MAX), "unknown");
	for (int i = 0; i < SL_ENCAP_ERR_MAX; i++)
		for (int j = i + 1; j < SL_ENCAP_ERR_MAX; j++)
			assert_string_not_equal(sl_encap_err_name(i),
						sl_encap_err_name(j));
	for (int i = 0; i < SL_ENCAP_TYPE_MAX; i++)
		for (int j = i + 1; j < SL_ENCAP_TYPE_MAX; j++)
			assert_string_not_equal(sl_encap_type_name(i),
						sl_encap_type_name(j));
	assert_true(SL_ENCAP_TYPE_MAX <= 16);
	/* The result stays compact: 64 bytes of flow, 16 of encapsulation. */
	assert_int_equal(sizeof(struct sl_pkt_info), 80);
}

/* ---- tunnels: random frames --------------------------------------------- */

/* Flow and layer fields equal (everything but encap_mask, tunnel id and
 * encap_err). */
static void
check_same_layer(const struct sl_pkt_info *a, const struct sl_pkt_info *b,
		 const char *what)
{
	struct sl_pkt_info x = *b;

	x.encap_mask = a->encap_mask;
	x.tunnel_id = a->tunnel_id;
	x.tunnel_id_type = a->tunnel_id_type;
	x.encap_err = a->encap_err;
	check_pi(a, &x, what, 0);
}

/*
 * Tunnel cases with random flips, cuts and settings. Besides the
 * invariants: a walk that ends n_encap layers down gives the same layer
 * with max_depth = n_encap (max_depth 0 when nothing was removed), since
 * every failure returns to the last complete layer.
 */
static void
test_encap_robustness(void **state)
{
	uint64_t s = 0xfeedfacecafebeefull;
	struct sl_pkt_info pi, pk, x;
	struct sl_parse_cfg cfg, cfk;
	struct fb_frame f;
	uint32_t len, i;
	uint8_t *buf;
	int rc;

	(void)state;
	for (int it = 0; it < 100000; it++) {
		sl_parse_cfg_default(&cfg);
		all_tun_cases[rnd(&s) % N_TUN_CASES]->build(&f, &x, &cfg);
		cfg.max_depth = (uint8_t)(rnd(&s) % 5);
		cfg.mpls_pw = (uint8_t)(rnd(&s) & 1);
		for (i = (uint32_t)(rnd(&s) % 5); i > 0; i--)
			f.b[rnd(&s) % min_u32(f.len, 96)] = (uint8_t)rnd(&s);
		len = (rnd(&s) & 1) ? f.len : (uint32_t)(rnd(&s) % (f.len + 1));
		buf = len ? malloc(len) : NULL;
		if (len) {
			assert_non_null(buf);
			memcpy(buf, f.b, len);
		}
		rc = sl_parse(&cfg, buf, len, &pi);
		check_invariants(&pi, rc, len, cfg.max_depth);
		cfk = cfg;
		cfk.max_depth = pi.n_encap;
		assert_int_equal(sl_parse(&cfk, buf, len, &pk), rc);
		check_same_layer(&pk, &pi, "same_layer");
		free(buf);
	}
}

int
main(void)
{
#define CASE_TEST(n) { "valid_" #n, test_valid_case, NULL, NULL, &vc_##n },
#define TCASE_TEST(n) { "tunnel_" #n, test_tun_case, NULL, NULL, &tcv_##n },
	const struct CMUnitTest tests[] = {
		VALID_CASES(CASE_TEST)
		TUN_CASES(TCASE_TEST)
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
		cmocka_unit_test(test_tun_depth0),
		cmocka_unit_test(test_gre_cks),
		cmocka_unit_test(test_vxlan_bad_flags),
		cmocka_unit_test(test_geneve_malformed),
		cmocka_unit_test(test_gre_malformed),
		cmocka_unit_test(test_erspan_malformed),
		cmocka_unit_test(test_mpls_labels),
		cmocka_unit_test(test_pppoe_malformed),
		cmocka_unit_test(test_inner_l2_l3_malformed),
		cmocka_unit_test(test_nesting_depth),
		cmocka_unit_test(test_encap_fragments),
		cmocka_unit_test(test_vxlan_outer_sport),
		cmocka_unit_test(test_cfg),
		cmocka_unit_test(test_encap_names),
		cmocka_unit_test(test_encap_robustness),
	};
#undef TCASE_TEST
#undef CASE_TEST

	return cmocka_run_group_tests(tests, NULL, NULL);
}
