/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Frame builders shared by the unit tests: see sl_frames.h. Each builder
 * appends one header and records the layout (struct fb_ipdesc per IP
 * header, struct fb_ckpt per encapsulation step) that test_parse.c turns
 * into the expected result of every truncated length.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "sl_frames.h"

#define BIT(t) SL_ENCAP_BIT(SL_ENCAP_##t)

const uint8_t FB_V4A[4] = FB_ADDR_V4A;
const uint8_t FB_V4B[4] = FB_ADDR_V4B;
const uint8_t FB_V6A[16] = FB_ADDR_V6A;
const uint8_t FB_V6B[16] = FB_ADDR_V6B;
const uint8_t FB_I4A[4] = FB_ADDR_I4A;
const uint8_t FB_I4B[4] = FB_ADDR_I4B;
const uint8_t FB_J4A[4] = FB_ADDR_J4A;
const uint8_t FB_J4B[4] = FB_ADDR_J4B;
const uint8_t FB_K4A[4] = FB_ADDR_K4A;
const uint8_t FB_K4B[4] = FB_ADDR_K4B;
const uint8_t FB_L4A[4] = FB_ADDR_L4A;
const uint8_t FB_L4B[4] = FB_ADDR_L4B;
const uint8_t FB_I6A[16] = FB_ADDR_I6A;
const uint8_t FB_I6B[16] = FB_ADDR_I6B;

/* ---- frame builders ----------------------------------------------------- */

void
fb_u8(struct fb_frame *f, uint8_t v)
{
	assert_true(f->len < FB_FRAME_MAX);
	f->b[f->len++] = v;
}

void
fb_u16(struct fb_frame *f, uint16_t v)
{
	fb_u8(f, (uint8_t)(v >> 8));
	fb_u8(f, (uint8_t)v);
}

void
fb_u32(struct fb_frame *f, uint32_t v)
{
	fb_u16(f, (uint16_t)(v >> 16));
	fb_u16(f, (uint16_t)v);
}

void
fb_put(struct fb_frame *f, const uint8_t *p, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		fb_u8(f, p[i]);
}

void
fb_fill(struct fb_frame *f, uint32_t n, uint8_t v)
{
	for (uint32_t i = 0; i < n; i++)
		fb_u8(f, v);
}

void
fb_wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

void
fb_eth(struct fb_frame *f, uint16_t type)
{
	static const uint8_t macs[12] = { 0x02, 0, 0, 0, 0, 0x01,
					  0x02, 0, 0, 0, 0, 0x02 };

	memset(f, 0, sizeof(*f));
	f->cur = -1;
	fb_put(f, macs, sizeof(macs));
	fb_u16(f, type);
	f->l2_type = type;
}

struct fb_ckpt *
fb_ck_add(struct fb_frame *f, uint32_t need, uint8_t err)
{
	struct fb_ckpt *c;

	assert_true(f->n_ck < FB_MAX_CK);
	c = &f->ck[f->n_ck++];
	memset(c, 0, sizeof(*c));
	c->need = need;
	c->err = err;
	c->ip = -1;
	c->mask_reach = f->pend_reach;
	f->pend_reach = 0;
	return c;
}

/* A tag after the ethertype already written (which must be a TPID). */
void
fb_vlan(struct fb_frame *f, uint16_t tci, uint16_t next)
{
	if (f->tun) {
		fb_ck_add(f, f->len + 4, SL_ENCAP_ERR_INNER_L2_TRUNCATED);
		assert_true(f->pend_nv < SL_MAX_VLANS);
		f->pend_vlan[f->pend_nv++] = tci & 0x0fff;
	} else {
		f->tpid[f->n_tags] =
			(uint16_t)(f->b[f->len - 2] << 8 | f->b[f->len - 1]);
		f->tag_end[f->n_tags] = f->len + 4;
		f->tag_vid[f->n_tags++] = tci & 0x0fff;
		f->l2_type = next;
	}
	fb_u16(f, tci);
	fb_u16(f, next);
}

/* A VNTag (6 bytes with its 0x8926 type) after the type already written. */
void
fb_vntag(struct fb_frame *f, uint16_t next)
{
	if (f->tun) {
		f->pend_reach |= SL_ENCAP_BIT(SL_ENCAP_VNTAG);
		fb_ck_add(f, f->len + 6, SL_ENCAP_ERR_INNER_L2_TRUNCATED);
	} else {
		f->tpid[f->n_tags] = 0x8926;
		f->tag_end[f->n_tags] = f->len + 6;
		f->tag_vntag[f->n_tags++] = 1;
		f->l2_type = next;
	}
	fb_u32(f, 0x80011234); /* d, p, dvif, l, r, ver, svif */
	fb_u16(f, next);
}

/* Bookkeeping for an IP header about to be written at f->len. */
static struct fb_ipdesc *
fb_ip_desc(struct fb_frame *f, uint8_t l3, uint32_t hlen, uint8_t proto,
	   const uint8_t *src, const uint8_t *dst)
{
	struct fb_ipdesc *d;
	struct fb_ckpt *c;

	assert_true(f->n_ipl < FB_MAX_IP);
	f->cur = (int)f->n_ipl;
	d = &f->ipl[f->n_ipl++];
	memset(d, 0, sizeof(*d));
	d->off = f->len;
	d->hlen = hlen;
	d->len_field = f->len + (l3 == SL_L3_IPV4 ? 2 : 4);
	d->flow.l3 = l3;
	d->flow.l3_off = (uint16_t)f->len;
	d->flow.ethertype = l3 == SL_L3_IPV4 ? 0x0800 : 0x86dd;
	d->flow.proto = proto;
	memcpy(d->flow.src, src, l3 == SL_L3_IPV4 ? 4 : 16);
	memcpy(d->flow.dst, dst, l3 == SL_L3_IPV4 ? 4 : 16);
	if (f->tun) {
		d->flow.n_encap = f->pend_depth;
		d->flow.inner_off = f->pend_inner_off;
		memcpy(d->flow.inner_vlan, f->pend_vlan, sizeof(f->pend_vlan));
		d->flow.inner_n_vlans = f->pend_nv;
		c = fb_ck_add(f, f->len + hlen,
			      SL_ENCAP_ERR_INNER_L3_TRUNCATED);
		c->ip = f->cur;
	}
	return d;
}

void
fb_ipv4(struct fb_frame *f, uint8_t proto, unsigned int ihl, uint16_t fw,
	uint16_t id, const uint8_t *src, const uint8_t *dst)
{
	int outer = !f->tun;

	fb_ip_desc(f, SL_L3_IPV4, ihl * 4, proto, src, dst);
	if (outer) {
		f->l3 = SL_L3_IPV4;
		f->l3_off = f->len;
		f->l3_hlen = ihl * 4;
		f->len_field = f->len + 2;
	}
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
	if (fw & 0x3fff) {
		struct sl_pkt_info *x = &f->ipl[f->cur].flow;

		x->frag = (uint8_t)(SL_FRAG_IS_FRAGMENT |
				    ((fw & 0x2000) ? SL_FRAG_MORE : 0) |
				    ((fw & 0x1fff) ? 0 : SL_FRAG_FIRST));
		x->frag_off = (uint16_t)((fw & 0x1fff) * 8);
		x->frag_id = id;
		if (outer)
			f->frag_end = f->len;
	}
}

void
fb_ipv6(struct fb_frame *f, uint8_t nh, const uint8_t *src, const uint8_t *dst)
{
	fb_ip_desc(f, SL_L3_IPV6, 40, nh, src, dst);
	if (!f->tun) {
		f->l3 = SL_L3_IPV6;
		f->l3_off = f->len;
		f->l3_hlen = 40;
		f->len_field = f->len + 4;
	}
	fb_u32(f, 0x60abcdefu); /* version 6, traffic class, flow label */
	fb_u16(f, 0);           /* payload length, set by fb_done() */
	fb_u8(f, nh);
	fb_u8(f, 64);
	fb_put(f, src, 16);
	fb_put(f, dst, 16);
}

/* Extension header of hlen bytes: AH counts 4-byte units minus 2, the
 * others 8-byte units minus 1. */
void
fb_ext(struct fb_frame *f, uint8_t type, uint8_t next, uint32_t hlen)
{
	uint32_t code;

	if (type == 51) {
		assert_true(hlen >= 8 && hlen % 4 == 0);
		code = hlen / 4 - 2;
	} else {
		assert_true(hlen >= 8 && hlen % 8 == 0);
		code = hlen / 8 - 1;
	}
	assert_true(code <= 255 && f->n_ext < FB_MAX_EXT && !f->tun);
	fb_u8(f, next);
	fb_u8(f, (uint8_t)code);
	fb_fill(f, hlen - 2, 0);
	f->ext_end[f->n_ext++] = f->len;
	f->ipl[f->cur].flow.proto = next;
	f->ipl[f->cur].flow.n_ext++;
}

void
fb_frag6(struct fb_frame *f, uint8_t next, uint16_t off, int more, uint32_t id)
{
	assert_true(off % 8 == 0 && f->n_ext < FB_MAX_EXT && !f->tun);
	fb_u8(f, next);
	fb_u8(f, 0);
	fb_u16(f, (uint16_t)(off | (more ? 1 : 0)));
	fb_u32(f, id);
	f->ext_end[f->n_ext++] = f->len;
	f->ipl[f->cur].flow.proto = next;
	f->ipl[f->cur].flow.n_ext++;
	if (off != 0 || more) {
		f->frag_end = f->len;
		f->ipl[f->cur].flow.frag = (uint8_t)(SL_FRAG_IS_FRAGMENT |
			(more ? SL_FRAG_MORE : 0) | (off ? 0 : SL_FRAG_FIRST));
		f->ipl[f->cur].flow.frag_off = off;
		f->ipl[f->cur].flow.frag_id = id;
	}
}

static void
fb_l4_mark(struct fb_frame *f, uint32_t need, uint32_t full)
{
	struct fb_ipdesc *d;

	if (f->cur < 0)
		return;
	d = &f->ipl[f->cur];
	d->l4_off = f->len;
	d->l4_need = need;
	d->l4_full = full;
	if (f->cur == 0 && !f->tun) {
		f->l4_off = f->len;
		f->l4_need = need;
		f->l4_full = full;
	}
}

/* Ports (and TCP flags) the current IP layer will show. */
static void
fb_l4_ports(struct fb_frame *f, uint16_t sport, uint16_t dport, uint8_t flags)
{
	struct sl_pkt_info *x;

	if (f->cur < 0)
		return;
	x = &f->ipl[f->cur].flow;
	x->sport = sport;
	x->dport = dport;
	x->tcp_flags = flags;
	x->has_ports = 1;
}


void
fb_tcp(struct fb_frame *f, uint16_t sport, uint16_t dport, uint8_t flags,
       unsigned int doff)
{
	fb_l4_mark(f, 20, doff * 4);
	fb_l4_ports(f, sport, dport, flags);
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
void
fb_udp(struct fb_frame *f, uint16_t sport, uint16_t dport)
{
	fb_l4_mark(f, 8, 8);
	fb_l4_ports(f, sport, dport, 0);
	fb_u16(f, sport);
	fb_u16(f, dport);
	fb_u32(f, 0);
}

void
fb_sctp(struct fb_frame *f, uint16_t sport, uint16_t dport)
{
	fb_l4_mark(f, 12, 12);
	fb_l4_ports(f, sport, dport, 0);
	fb_u16(f, sport);
	fb_u16(f, dport);
	fb_u32(f, 0xcafef00d);
	fb_u32(f, 0);
}

void
fb_icmp(struct fb_frame *f, uint8_t type, uint8_t code)
{
	fb_l4_mark(f, 4, 4);
	if (f->cur >= 0)
		fb_l4_ports(f, type,
			    (uint16_t)fb_icmp_peer(f->ipl[f->cur].flow.l3 ==
							SL_L3_IPV6,
						type, code),
			    0);
	fb_u8(f, type);
	fb_u8(f, code);
	fb_u16(f, 0);
	fb_u32(f, 0x00010002); /* id, seq */
}

/* L4 without ports (GRE, ESP, ...). */
void
fb_other(struct fb_frame *f, uint32_t n)
{
	fb_l4_mark(f, 0, 0);
	fb_fill(f, n, 0xab);
}

void
fb_data(struct fb_frame *f, uint32_t n)
{
	fb_fill(f, n, 0x5a);
}

/* Set the IP (and PPPoE) length fields to cover everything built so far;
 * record the L4 extent each IP layer will show. */
void
fb_done(struct fb_frame *f)
{
	for (uint32_t i = 0; i < f->n_ipl; i++) {
		struct fb_ipdesc *d = &f->ipl[i];

		if (d->flow.l3 == SL_L3_IPV4)
			fb_wr16(f->b + d->len_field,
				(uint16_t)(f->len - d->off));
		else
			fb_wr16(f->b + d->len_field,
			     (uint16_t)(f->len - d->off - 40));
		if (d->l4_off && d->l4_off < f->len) {
			d->flow.l4_off = (uint16_t)d->l4_off;
			d->flow.l4_len = (uint16_t)(f->len - d->l4_off);
		}
	}
	for (uint32_t i = 0; i < f->n_pppoe; i++)
		fb_wr16(f->b + f->pppoe_at[i] + 4,
		     (uint16_t)(f->len - f->pppoe_at[i] - 6));
}

/* ---- tunnel builders ---------------------------------------------------- */


/* One more encapsulation layer; its payload starts at payload_off. */
static void
fb_layer(struct fb_frame *f, uint32_t payload_off)
{
	f->pend_depth++;
	f->pend_inner_off = (uint16_t)payload_off;
}

/* VXLAN header after a UDP header (flags 0x08 = I). */
struct fb_ckpt *
fb_vxlan(struct fb_frame *f, uint8_t flags, uint32_t vni)
{
	struct fb_ckpt *c;

	f->tun = 1;
	f->pend_reach |= BIT(VXLAN);
	c = fb_ck_add(f, f->len + 8, SL_ENCAP_ERR_VXLAN_TRUNCATED);
	if (flags & 0x08) {
		c->tid_type = SL_TUNID_VXLAN_VNI;
		c->tid = vni;
	} else {
		c->stop = 1;
		c->stop_err = SL_ENCAP_ERR_VXLAN_BAD_FLAGS;
	}
	fb_u8(f, flags);
	fb_fill(f, 3, 0);
	fb_u32(f, vni << 8);
	fb_layer(f, f->len);
	return c;
}

/* GENEVE header after a UDP header, opt_words 4-byte words of options. */
struct fb_ckpt *
fb_geneve(struct fb_frame *f, uint8_t ver, uint8_t opt_words, uint16_t ptype,
	  uint32_t vni)
{
	struct fb_ckpt *c;

	f->tun = 1;
	f->pend_reach |= BIT(GENEVE);
	if (ver != 0) {
		c = fb_ck_add(f, f->len + 8, SL_ENCAP_ERR_GENEVE_TRUNCATED);
		c->stop = 1;
		c->stop_err = SL_ENCAP_ERR_GENEVE_BAD_VERSION;
	} else {
		c = fb_ck_add(f, f->len + 8 + 4u * opt_words,
			   SL_ENCAP_ERR_GENEVE_TRUNCATED);
		c->tid_type = SL_TUNID_GENEVE_VNI;
		c->tid = vni;
		if (ptype != 0x6558 && ptype != 0x0800 && ptype != 0x86dd)
			c->stop = 1; /* not walked, no error */
	}
	fb_u8(f, (uint8_t)(ver << 6 | opt_words));
	fb_u8(f, 0);
	fb_u16(f, ptype);
	fb_u32(f, vni << 8);
	for (unsigned int i = 0; i < opt_words; i++) {
		if (i == 0) { /* class, type, length of the whole option */
			fb_u16(f, 0x0102);
			fb_u8(f, 0x80);
			fb_u8(f, (uint8_t)(opt_words - 1));
		} else {
			fb_u32(f, 0xc0ffee00u | i);
		}
	}
	fb_layer(f, f->len);
	return c;
}


/* GRE header as the L4 of the current IP layer. Version 0, C/K/S from
 * flags. */
struct fb_ckpt *
fb_gre(struct fb_frame *f, uint8_t flags, uint16_t ptype, uint32_t key)
{
	uint32_t hl = 4 + ((flags & FB_GRE_C) ? 4 : 0) +
		      ((flags & FB_GRE_K) ? 4 : 0) +
		      ((flags & FB_GRE_S) ? 4 : 0);
	struct fb_ckpt *c;

	fb_l4_mark(f, 0, 0);
	f->tun = 1;
	f->pend_reach |= BIT(GRE);
	c = fb_ck_add(f, f->len + hl, SL_ENCAP_ERR_GRE_TRUNCATED);
	if (flags & FB_GRE_K) {
		c->tid_type = SL_TUNID_GRE_KEY;
		c->tid = key;
	}
	if (ptype == 0x88be && !(flags & FB_GRE_S))
		c->mask_pass = BIT(ERSPAN1);
	fb_u8(f, flags);
	fb_u8(f, 0);
	fb_u16(f, ptype);
	if (flags & FB_GRE_C)
		fb_u32(f, 0xbeef0000u); /* checksum, reserved1 */
	if (flags & FB_GRE_K)
		fb_u32(f, key);
	if (flags & FB_GRE_S)
		fb_u32(f, 7);
	fb_layer(f, f->len);
	return c;
}

/* ERSPAN type II header (after GRE 0x88be with S). */
struct fb_ckpt *
fb_erspan2(struct fb_frame *f, uint8_t ver, uint16_t sid)
{
	struct fb_ckpt *c;

	f->pend_reach |= BIT(ERSPAN2);
	c = fb_ck_add(f, f->len + 8, SL_ENCAP_ERR_ERSPAN_TRUNCATED);
	if (ver == 1) {
		c->tid_type = SL_TUNID_ERSPAN_ID;
		c->tid = sid & 0x3ff;
	} else {
		c->stop = 1;
		c->stop_err = SL_ENCAP_ERR_ERSPAN_BAD_VERSION;
	}
	fb_u16(f, (uint16_t)(ver << 12 | 0x123)); /* version, VLAN */
	fb_u16(f, (uint16_t)(0xa400 | (sid & 0x3ff))); /* COS, En, T, id */
	fb_u32(f, 0x000fffff); /* reserved, index */
	f->pend_inner_off = (uint16_t)f->len;
	return c;
}

/* ERSPAN type III header (after GRE 0x22eb), with the 8-byte platform
 * subheader when o is set. */
struct fb_ckpt *
fb_erspan3(struct fb_frame *f, uint8_t ver, uint16_t sid, int o)
{
	struct fb_ckpt *c;

	f->pend_reach |= BIT(ERSPAN3);
	c = fb_ck_add(f, f->len + 12, SL_ENCAP_ERR_ERSPAN_TRUNCATED);
	if (ver != 2) {
		c->stop = 1;
		c->stop_err = SL_ENCAP_ERR_ERSPAN_BAD_VERSION;
	} else if (o) {
		c = fb_ck_add(f, f->len + 20, SL_ENCAP_ERR_ERSPAN_TRUNCATED);
	}
	if (ver == 2) {
		c->tid_type = SL_TUNID_ERSPAN_ID;
		c->tid = sid & 0x3ff;
	}
	fb_u16(f, (uint16_t)(ver << 12 | 0x456)); /* version, VLAN */
	fb_u16(f, (uint16_t)(0xe000 | (sid & 0x3ff))); /* COS, BSO, T, id */
	fb_u32(f, 0x12345678); /* timestamp */
	fb_u16(f, 0xabcd);     /* SGT */
	fb_u8(f, 0x83);        /* P, FT 0 (Ethernet), HW id high bits */
	fb_u8(f, (uint8_t)(0xf0 | (o ? 1 : 0))); /* HW id, D, Gra, O */
	if (o)
		fb_fill(f, 8, 0x11);
	f->pend_inner_off = (uint16_t)f->len;
	return c;
}

/* Inner Ethernet header. */
struct fb_ckpt *
fb_ieth(struct fb_frame *f, uint16_t type)
{
	static const uint8_t macs[12] = { 0x02, 0, 0, 0, 0, 0x03,
					  0x02, 0, 0, 0, 0, 0x04 };
	struct fb_ckpt *c = fb_ck_add(f, f->len + 14,
				SL_ENCAP_ERR_INNER_L2_TRUNCATED);

	assert_true(f->tun);
	f->pend_nv = 0;
	memset(f->pend_vlan, 0, sizeof(f->pend_vlan));
	fb_put(f, macs, sizeof(macs));
	fb_u16(f, type);
	if (type == 0x0806)
		c->stop = 1; /* ARP: not walked, no error */
	return c;
}


/* A label stack of n labels (bottom of stack on the last). */
struct fb_ckpt *
fb_mpls(struct fb_frame *f, unsigned int n, int payload)
{
	uint32_t end = f->len + 4 * n;
	struct fb_ckpt *c;

	f->tun = 1;
	f->pend_reach |= BIT(MPLS);
	c = fb_ck_add(f, end + (payload == FB_MPLS_PW ? 4 : 1),
		   SL_ENCAP_ERR_MPLS_TRUNCATED);
	for (unsigned int i = 0; i < n; i++)
		fb_u32(f, (100 + i) << 12 | (i + 1 == n ? 0x100u : 0) | 64);
	if (payload == FB_MPLS_PW) {
		fb_u32(f, 0x00000123); /* control word, sequence 0x123 */
		fb_layer(f, f->len);
	} else {
		fb_layer(f, end);
	}
	return c;
}

/* PPPoE session header and PPP protocol. */
struct fb_ckpt *
fb_pppoe(struct fb_frame *f, uint16_t ppp_proto)
{
	struct fb_ckpt *c;

	f->tun = 1;
	f->pend_reach |= BIT(PPPOE);
	c = fb_ck_add(f, f->len + 8, SL_ENCAP_ERR_PPPOE_TRUNCATED);
	if (ppp_proto != 0x0021 && ppp_proto != 0x0057)
		c->stop = 1;
	assert_true(f->n_pppoe < 4);
	f->pppoe_at[f->n_pppoe++] = f->len;
	fb_u8(f, 0x11);
	fb_u8(f, 0);
	fb_u16(f, 0x1234); /* session id */
	fb_u16(f, 0);      /* length, set by fb_done() */
	fb_u16(f, ppp_proto);
	fb_layer(f, f->len);
	return c;
}

/* IP-in-IP: the next IP header is the payload of the current one. */
void
fb_ipip(struct fb_frame *f)
{
	fb_l4_mark(f, 0, 0);
	f->tun = 1;
	f->pend_reach |= BIT(IPIP);
	fb_layer(f, f->len);
}

/* ---- layout helpers ----------------------------------------------------- */

/* Community ID v1 pairs (pycommunityid icmp.py / icmp6.py). */
int
fb_icmp_peer(int v6, uint8_t type, uint8_t code)
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

/* Turn checkpoint c into "needs need bytes, then stops with err". */
void
fb_ck_stop(struct fb_ckpt *c, uint32_t need, uint8_t err)
{
	c->need = need;
	c->stop = 1;
	c->stop_err = err;
	c->tid_type = 0;
	c->tid = 0;
	c->mask_pass = 0;
	c->ip = -1;
}

/* fb_other() bytes after protocol 47: a GRE header of version 3. */
void
fb_ck_junk_gre(struct fb_frame *f)
{
	struct fb_ckpt *c;

	f->pend_reach |= BIT(GRE);
	c = fb_ck_add(f, f->l4_off + 4, SL_ENCAP_ERR_GRE_TRUNCATED);
	c->stop = 1;
	c->stop_err = SL_ENCAP_ERR_GRE_BAD_VERSION;
}

/* ---- recipes ------------------------------------------------------------ */

static struct fb_ckpt *
last_ck(struct fb_frame *f)
{
	assert_true(f->n_ck > 0);
	return &f->ck[f->n_ck - 1];
}

void
fb_build(struct fb_frame *f, const struct fb_step *s)
{
	assert_int_equal(s->op, FB_OP_ETH);
	for (; s->op != FB_OP_END; s++) {
		switch (s->op) {
		case FB_OP_ETH:
			fb_eth(f, (uint16_t)s->a);
			break;
		case FB_OP_VLAN:
			fb_vlan(f, (uint16_t)s->a, (uint16_t)s->b);
			break;
		case FB_OP_VNTAG:
			fb_vntag(f, (uint16_t)s->a);
			break;
		case FB_OP_IPV4:
			fb_ipv4(f, (uint8_t)s->a, s->b, (uint16_t)s->c,
				(uint16_t)s->d, s->src, s->dst);
			break;
		case FB_OP_IPV6:
			fb_ipv6(f, (uint8_t)s->a, s->src, s->dst);
			break;
		case FB_OP_EXT:
			fb_ext(f, (uint8_t)s->a, (uint8_t)s->b, s->c);
			break;
		case FB_OP_FRAG6:
			fb_frag6(f, (uint8_t)s->a, (uint16_t)s->b, (int)s->c,
				 s->d);
			break;
		case FB_OP_TCP:
			fb_tcp(f, (uint16_t)s->a, (uint16_t)s->b, (uint8_t)s->c,
			       s->d);
			break;
		case FB_OP_UDP:
			fb_udp(f, (uint16_t)s->a, (uint16_t)s->b);
			break;
		case FB_OP_SCTP:
			fb_sctp(f, (uint16_t)s->a, (uint16_t)s->b);
			break;
		case FB_OP_ICMP:
			fb_icmp(f, (uint8_t)s->a, (uint8_t)s->b);
			break;
		case FB_OP_OTHER:
			fb_other(f, s->a);
			break;
		case FB_OP_DATA:
			fb_data(f, s->a);
			break;
		case FB_OP_FILL:
			fb_fill(f, s->a, (uint8_t)s->b);
			break;
		case FB_OP_PAD_TO:
			assert_true(f->len <= s->a);
			fb_fill(f, s->a - f->len, (uint8_t)s->b);
			break;
		case FB_OP_U8:
			fb_u8(f, (uint8_t)s->a);
			break;
		case FB_OP_U16:
			fb_u16(f, (uint16_t)s->a);
			break;
		case FB_OP_U32:
			fb_u32(f, s->a);
			break;
		case FB_OP_DONE:
			fb_done(f);
			break;
		case FB_OP_VXLAN:
			fb_vxlan(f, (uint8_t)s->a, s->b);
			break;
		case FB_OP_GENEVE:
			fb_geneve(f, (uint8_t)s->a, (uint8_t)s->b,
				  (uint16_t)s->c, s->d);
			break;
		case FB_OP_GRE:
			fb_gre(f, (uint8_t)s->a, (uint16_t)s->b, s->c);
			break;
		case FB_OP_ERSPAN2:
			fb_erspan2(f, (uint8_t)s->a, (uint16_t)s->b);
			break;
		case FB_OP_ERSPAN3:
			fb_erspan3(f, (uint8_t)s->a, (uint16_t)s->b, (int)s->c);
			break;
		case FB_OP_IETH:
			fb_ieth(f, (uint16_t)s->a);
			break;
		case FB_OP_MPLS:
			fb_mpls(f, s->a, (int)s->b);
			break;
		case FB_OP_PPPOE:
			fb_pppoe(f, (uint16_t)s->a);
			break;
		case FB_OP_IPIP:
			fb_ipip(f);
			break;
		case FB_OP_POKE8:
			assert_true(s->a < f->len);
			f->b[s->a] = (uint8_t)s->b;
			break;
		case FB_OP_POKE16:
			assert_true(s->a + 1 < f->len);
			fb_wr16(f->b + s->a, (uint16_t)s->b);
			break;
		case FB_OP_SET_IPLEN:
			assert_int_not_equal(f->l3, SL_L3_NONE);
			fb_wr16(f->b + f->len_field, (uint16_t)s->a);
			break;
		case FB_OP_TUN_ON:
			f->tun = 1;
			f->pend_reach |= (uint16_t)s->a;
			break;
		case FB_OP_CK_ADD:
			fb_ck_add(f, s->a, (uint8_t)s->b);
			break;
		case FB_OP_CK_STOP:
			fb_ck_stop(last_ck(f), s->a, (uint8_t)s->b);
			break;
		case FB_OP_CK_HALT:
			last_ck(f)->stop = 1;
			break;
		case FB_OP_CK_ERR:
			last_ck(f)->err = (uint8_t)s->a;
			break;
		case FB_OP_CK_NEED:
			last_ck(f)->need = s->a;
			break;
		case FB_OP_CK_JUNK_GRE:
			fb_ck_junk_gre(f);
			break;
		default:
			fail_msg("fb_build: unknown step %u", s->op);
		}
	}
}
