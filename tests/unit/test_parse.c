/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for lib/parse (sl_parse, sl_parse_eth, the name functions).
 *
 * Most cases are rows of tables: a name, a frame recipe (the builder steps
 * of sl_frames.h, which also record where each header starts and ends) and
 * the expected struct sl_pkt_info, written out field by field. One driver,
 * run_row(), runs each row as its own cmocka test (one TAP line per row):
 *
 *   - ROW_CUTS (the default): the whole frame gives the expected result,
 *     the layout model below agrees with it, and the frame is parsed again
 *     at every truncated length 0..len-1 from an exactly-sized heap buffer
 *     (so ASan flags any over-read), each cut checked against what the
 *     recorded layout says it must give (expect_cut/expect_tun), not
 *     against the parser;
 *   - ROW_FULL: the frame (or its first .len bytes) gives the expected
 *     result; with .prefixes_fail every shorter prefix must fail too.
 *
 * Tunnelled frames: once a tunnel builder runs (f->tun), the builders also
 * record checkpoints (struct fb_ckpt): the bytes each encapsulation step
 * needs and what a cut before them gives (the last complete IP layer with
 * an encap_err). Each IP header gets a struct fb_ipdesc with the flow it
 * must give when complete. expect_tun() walks the checkpoints for a cut.
 *
 * Cases that are not one frame and one result stay functions after the
 * tables: properties over random frames, the name tables, the settings
 * API, and comparisons between two parses.
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
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- expected results --------------------------------------------------- */

/*
 * Expected results are designated initialisers of struct sl_pkt_info, one
 * macro per group of fields (never positional: the field order is the
 * parser's business). Fields not named are zero. Addresses are named as in
 * sl_frames.h (V4A, I6B, ...).
 */
#define XE_NARGS_(a, b, n, ...) n
#define XE_NARGS(...) XE_NARGS_(__VA_ARGS__, 2, 1, 0)
/* The outer Ethernet's VLAN ids, outermost first. */
#define XE_VLANS(...) .vlan = { __VA_ARGS__ }, .n_vlans = XE_NARGS(__VA_ARGS__)
/* The innermost inner Ethernet's VLAN ids. */
#define XE_INNER_VLANS(...)                                                   \
	.inner_vlan = { __VA_ARGS__ }, .inner_n_vlans = XE_NARGS(__VA_ARGS__)
/* The outer IP layer V4A -> V4B / V6A -> V6B (ethertype apart). */
#define XE_IPV4(off, pr)                                                      \
	.l3 = SL_L3_IPV4, .l3_off = (off), .proto = (pr), .src = FB_ADDR_V4A, \
	.dst = FB_ADDR_V4B
#define XE_IPV6(off, pr, next)                                                \
	.l3 = SL_L3_IPV6, .l3_off = (off), .proto = (pr), .n_ext = (next),    \
	.src = FB_ADDR_V6A, .dst = FB_ADDR_V6B
/* Any IP layer, with the ethertype it implies. */
#define XE_IP4(off, pr, s, d)                                                 \
	.ethertype = 0x0800, .l3 = SL_L3_IPV4, .l3_off = (off), .proto = (pr), \
	.src = FB_ADDR_##s, .dst = FB_ADDR_##d
#define XE_IP6(off, pr, s, d)                                                 \
	.ethertype = 0x86dd, .l3 = SL_L3_IPV6, .l3_off = (off), .proto = (pr), \
	.src = FB_ADDR_##s, .dst = FB_ADDR_##d
#define XE_L4(off, len) .l4_off = (off), .l4_len = (len)
#define XE_PORTS(s, d) .has_ports = 1, .sport = (s), .dport = (d)
#define XE_FRAG(fl, off, id) .frag = (fl), .frag_off = (off), .frag_id = (id)
#define XE_ENCAP(n, mask, ioff)                                               \
	.n_encap = (n), .encap_mask = (mask), .inner_off = (ioff)
#define XE_TID(type, id) .tunnel_id_type = (type), .tunnel_id = (id)

/* Expected results built at run time (gen_valid(), a few functions). */
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
xe_ports(struct sl_pkt_info *x, uint16_t sport, uint16_t dport)
{
	x->sport = sport;
	x->dport = dport;
	x->has_ports = 1;
}

/* Fragment flag sets. */
#define FRAG_FIRST_MORE (SL_FRAG_IS_FRAGMENT | SL_FRAG_FIRST | SL_FRAG_MORE)
#define FRAG_MORE (SL_FRAG_IS_FRAGMENT | SL_FRAG_MORE)
#define FRAG_LAST SL_FRAG_IS_FRAGMENT

/*
 * The fields check_pi() compares, X(name for the mask, field). A row can
 * limit its check to some of them (struct prow::fields).
 */
#define PI_FIELDS(X)                                                          \
	X(ERR, err)                                                           \
	X(N_VLANS, n_vlans)                                                   \
	X(VLAN0, vlan[0])                                                     \
	X(VLAN1, vlan[1])                                                     \
	X(ETHERTYPE, ethertype)                                               \
	X(L3, l3)                                                             \
	X(L3_OFF, l3_off)                                                     \
	X(PROTO, proto)                                                       \
	X(N_EXT, n_ext)                                                       \
	X(L4_OFF, l4_off)                                                     \
	X(L4_LEN, l4_len)                                                     \
	X(HAS_PORTS, has_ports)                                               \
	X(SPORT, sport)                                                       \
	X(DPORT, dport)                                                       \
	X(TCP_FLAGS, tcp_flags)                                               \
	X(FRAG, frag)                                                         \
	X(FRAG_OFF, frag_off)                                                 \
	X(FRAG_ID, frag_id)                                                   \
	X(N_ENCAP, n_encap)                                                   \
	X(ENCAP_MASK, encap_mask)                                             \
	X(ENCAP_ERR, encap_err)                                               \
	X(TUNNEL_ID, tunnel_id)                                               \
	X(TUNNEL_ID_TYPE, tunnel_id_type)                                     \
	X(INNER_OFF, inner_off)                                               \
	X(INNER_N_VLANS, inner_n_vlans)                                       \
	X(INNER_VLAN0, inner_vlan[0])                                         \
	X(INNER_VLAN1, inner_vlan[1])

enum pi_field {
#define PI_ENUM(e, fld) PF_##e,
	PI_FIELDS(PI_ENUM)
#undef PI_ENUM
	PF_SRC,
	PF_DST,
};
#define PF(e) (UINT64_C(1) << PF_##e)
#define PF_ALL (~UINT64_C(0))

/* Compare the fields in mask; on mismatch name the field and the length. */
static void
check_pi_fields(const struct sl_pkt_info *got, const struct sl_pkt_info *want,
		const char *what, uint32_t len, uint64_t mask)
{
	int bad = 0;

#define PI_CMP(e, fld)                                                        \
	do {                                                                  \
		if ((mask & PF(e)) && got->fld != want->fld) {                \
			print_error("%s len=%u: " #fld " got %lu want %lu\n", \
				    what, len, (unsigned long)got->fld,       \
				    (unsigned long)want->fld);                \
			bad++;                                                \
		}                                                             \
	} while (0);
	PI_FIELDS(PI_CMP)
#undef PI_CMP
	if ((mask & PF(SRC)) && memcmp(got->src, want->src, 16) != 0) {
		print_error("%s len=%u: src differs\n", what, len);
		bad++;
	}
	if ((mask & PF(DST)) && memcmp(got->dst, want->dst, 16) != 0) {
		print_error("%s len=%u: dst differs\n", what, len);
		bad++;
	}
	if (bad)
		print_error("%s len=%u: err is %s, encap_err is %s\n", what,
			    len, sl_parse_err_name(got->err),
			    sl_encap_err_name(got->encap_err));
	assert_int_equal(bad, 0);
}

/* Compare every field. */
static void
check_pi(const struct sl_pkt_info *got, const struct sl_pkt_info *want,
	 const char *what, uint32_t len)
{
	check_pi_fields(got, want, what, len, PF_ALL);
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

/* ---- the layout model: what a cut must give ---------------------------- */

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

/* ---- table rows and their driver ---------------------------------------- */

/* What run_row() checks. */
enum row_check {
	ROW_CUTS = 0, /* whole frame, layout model, every truncated length */
	ROW_FULL,     /* the whole frame (or its first .len bytes) only */
};

/* One case: a frame, how to parse it, what it must give. */
struct prow {
	const char *name;
	const struct fb_step *steps; /* the frame, an FB_RECIPE() */
	struct sl_pkt_info want;     /* the expected result */
	uint8_t check;               /* enum row_check */
	uint8_t eth;                 /* 1: sl_parse_eth(), else sl_parse() */
	uint8_t set_depth;           /* 1: sl_parse() with max_depth = depth */
	uint8_t depth;
	uint8_t mpls_pw;             /* sl_parse() with this mpls_pw */
	uint8_t prefixes_fail;       /* every shorter prefix fails too */
	uint32_t len;                /* ROW_FULL: parse this many bytes only */
	uint32_t frame_len;          /* the recipe builds this many (0: any) */
	uint64_t fields;             /* PF() of the fields compared (0: all) */
};

/* sl_parse() with max_depth n instead of the default. */
#define DEPTH(n) .set_depth = 1, .depth = (n)

/* The settings a row parses with (sl_parse(); ignored with .eth). */
static void
row_cfg(const struct prow *r, struct sl_parse_cfg *cfg)
{
	sl_parse_cfg_default(cfg);
	cfg->mpls_pw = r->mpls_pw;
	if (r->set_depth)
		cfg->max_depth = r->depth;
}

/* Every prefix of a frame that is bad in full must fail too. */
static void
check_prefixes_fail(const struct sl_parse_cfg *cfg, const struct fb_frame *f)
{
	struct sl_pkt_info pi;

	for (uint32_t n = 0; n <= f->len; n++)
		assert_int_not_equal(parse_copy_cfg(cfg, f->b, n, &pi),
				     SL_PARSE_OK);
}

/* Run one row; failures name the row (what) and the length parsed. */
static void
run_row(const struct prow *r, const char *what)
{
	const struct sl_parse_cfg *pc;
	struct sl_parse_cfg cfg;
	struct sl_pkt_info pi, m;
	struct fb_frame f;
	uint32_t len;

	assert_false(r->eth && (r->set_depth || r->mpls_pw));
	row_cfg(r, &cfg);
	pc = r->eth ? NULL : &cfg;
	fb_build(&f, r->steps);
	if (r->frame_len)
		assert_int_equal(f.len, r->frame_len);
	len = r->len ? r->len : f.len;
	assert_true(len <= f.len);
	parse_copy_cfg(pc, f.b, len, &pi);
	check_pi_fields(&pi, &r->want, what, len,
			r->fields ? r->fields : PF_ALL);
	if (r->check == ROW_CUTS) {
		assert_int_equal(r->fields, 0);
		assert_int_equal(len, f.len);
		expect_tun(&f, &r->want, f.len, &m);
		check_pi(&m, &r->want, "layout model", f.len);
		check_all_lengths_cfg(pc, &f, &r->want, what);
	}
	if (r->prefixes_fail)
		check_prefixes_fail(pc, &f);
}

/* A row's frame and expected result (for the tests that reuse rows). */
static void
row_build(const struct prow *r, struct fb_frame *f, struct sl_pkt_info *x)
{
	fb_build(f, r->steps);
	*x = r->want;
}

/* ---- valid frames ------------------------------------------------------- */

/* Untunnelled frames: each as written out, and every prefix (sl_parse_eth). */
static const struct prow valid_rows[] = {
	{
		.name = "ipv4_tcp",
		.eth = 1,
		.steps = FB_RECIPE(
			FB_ETH(0x0800),
			/* DF only: not a fragment */
			FB_IPV4(6, 5, 0x4000, 0x1111, V4A, V4B),
			FB_TCP(1234, 80, 0x02, 5),
			FB_DATA(10),
			FB_DONE),
		.want = { .ethertype = 0x0800, XE_IPV4(14, 6), XE_L4(34, 30),
			  XE_PORTS(1234, 80), .tcp_flags = 0x02 },
	},
	{
		.name = "ipv4_opts_tcp_opts",
		.eth = 1,
		.steps = FB_RECIPE(
			FB_ETH(0x0800),
			FB_IPV4(6, 15, 0, 1, V4A, V4B),
			FB_TCP(40000, 443, 0x18, 15),
			FB_DATA(5),
			FB_DONE),
		.want = { .ethertype = 0x0800, XE_IPV4(14, 6), XE_L4(74, 65),
			  XE_PORTS(40000, 443), .tcp_flags = 0x18 },
	},
	{
		.name = "vlan_ipv4_udp",
		.eth = 1,
		.steps = FB_RECIPE(
			FB_ETH(0x8100),
			FB_VLAN(0xa064, 0x0800),        /* PCP 5, VID 100 */
			FB_IPV4(17, 5, 0, 2, V4A, V4B),
			FB_UDP(5353, 53),
			FB_DATA(20),
			FB_DONE),
		.want = { .ethertype = 0x0800, XE_VLANS(100), XE_IPV4(18, 17),
			  XE_L4(38, 28), XE_PORTS(5353, 53) },
	},
	{
		.name = "qinq_ipv4_sctp",
		.eth = 1,
		.steps = FB_RECIPE(
			FB_ETH(0x88a8),
			FB_VLAN(0x00c8, 0x8100),        /* S-tag VID 200 */
			/* C-tag PCP 7, DEI, VID 4094 */
			FB_VLAN(0xfffe, 0x0800),
			FB_IPV4(132, 5, 0, 3, V4A, V4B),
			FB_SCTP(2905, 3868),
			FB_DATA(16),
			FB_DONE),
		.want = { .ethertype = 0x0800, XE_VLANS(200, 4094),
			  XE_IPV4(22, 132), XE_L4(42, 28),
			  XE_PORTS(2905, 3868) },
	},
	{
		.name = "qinq9100_ipv6_tcp",
		.eth = 1,
		.steps = FB_RECIPE(
			FB_ETH(0x9100),
			FB_VLAN(0x0001, 0x8100),
			FB_VLAN(0x2002, 0x86dd),
			FB_IPV6(6, V6A, V6B),
			FB_TCP(22, 50000, 0x10, 8),
			FB_DATA(3),
			FB_DONE),
		.want = { .ethertype = 0x86dd, XE_VLANS(1, 2),
			  XE_IPV6(22, 6, 0), XE_L4(62, 35), XE_PORTS(22, 50000),
			  .tcp_flags = 0x10 },
	},
	{
		.name = "tag9100_ipv4_icmp_echo",
		.eth = 1,
		.steps = FB_RECIPE(
			FB_ETH(0x9100),
			FB_VLAN(7, 0x0800),
			FB_IPV4(1, 5, 0, 4, V4A, V4B),
			FB_ICMP(8, 0),
			FB_DATA(4),
			FB_DONE),
		.want = { .ethertype = 0x0800, XE_VLANS(7), XE_IPV4(18, 1),
			  XE_L4(38, 12), XE_PORTS(8, 0) },
	},
	{
		.name = "tag88a8_ipv6_udp",
		.eth = 1,
		.steps = FB_RECIPE(
			FB_ETH(0x88a8),
			FB_VLAN(0x0fff, 0x86dd),
			FB_IPV6(17, V6A, V6B),
			FB_UDP(123, 123),
			FB_DATA(48),
			FB_DONE),
		.want = { .ethertype = 0x86dd, XE_VLANS(4095),
			  XE_IPV6(18, 17, 0), XE_L4(58, 56),
			  XE_PORTS(123, 123) },
	},
	{
		.name = "ipv4_icmp_echo_reply",
		.eth = 1,
		.steps = FB_RECIPE(
			FB_ETH(0x0800),
			FB_IPV4(1, 5, 0, 5, V4A, V4B),
			FB_ICMP(0, 0),
			FB_DONE),
		.want = { .ethertype = 0x0800, XE_IPV4(14, 1), XE_L4(34, 8),
			  XE_PORTS(0, 8) },
	},
	{
		.name = "ipv4_icmp_unreach",
		.eth = 1,
		.steps = FB_RECIPE(
			FB_ETH(0x0800),
			FB_IPV4(1, 5, 0, 6, V4A, V4B),
			/* port unreachable: one-way, dport = code */
			FB_ICMP(3, 3),
			FB_DATA(28),
			FB_DONE),
		.want = { .ethertype = 0x0800, XE_IPV4(14, 1), XE_L4(34, 36),
			  XE_PORTS(3, 3) },
	},
	{
		.name = "ipv6_udp",
		.eth = 1,
		.steps = FB_RECIPE(
			FB_ETH(0x86dd),
			FB_IPV6(17, V6A, V6B),
			FB_UDP(1000, 2000),
			FB_DATA(7),
			FB_DONE),
		.want = { .ethertype = 0x86dd, XE_IPV6(14, 17, 0),
			  XE_L4(54, 15), XE_PORTS(1000, 2000) },
	},
	{
		.name = "ipv6_hbh_udp",
		.eth = 1,
		.steps = FB_RECIPE(
			FB_ETH(0x86dd),
			FB_IPV6(0, V6A, V6B),
			FB_EXT(0, 17, 8),
			FB_UDP(546, 547),
			FB_DATA(9),
			FB_DONE),
		.want = { .ethertype = 0x86dd, XE_IPV6(14, 17, 1),
			  XE_L4(62, 17), XE_PORTS(546, 547) },
	},
	{
		.name = "ipv6_rt_tcp",
		.eth = 1,
		.steps = FB_RECIPE(
			FB_ETH(0x86dd),
			FB_IPV6(43, V6A, V6B),
			FB_EXT(43, 6, 24),
			FB_TCP(5, 6, 0x01, 5),
			FB_DONE),
		.want = { .ethertype = 0x86dd, XE_IPV6(14, 6, 1), XE_L4(78, 20),
			  XE_PORTS(5, 6), .tcp_flags = 0x01 },
	},
	{
		.name = "ipv6_dst_sctp",
		.eth = 1,
		.steps = FB_RECIPE(
			FB_ETH(0x86dd),
			FB_IPV6(60, V6A, V6B),
			FB_EXT(60, 132, 16),
			FB_SCTP(9899, 9900),
			FB_DONE),
		.want = { .ethertype = 0x86dd, XE_IPV6(14, 132, 1),
			  XE_L4(70, 12), XE_PORTS(9899, 9900) },
	},
	{
		.name = "ipv6_ah_tcp",
		.eth = 1,
		.steps = FB_RECIPE(
			FB_ETH(0x86dd),
			FB_IPV6(51, V6A, V6B),
			/* length field 4: (4 + 2) * 4 */
			FB_EXT(51, 6, 24),
			FB_TCP(179, 33000, 0x11, 5),
			FB_DONE),
		.want = { .ethertype = 0x86dd, XE_IPV6(14, 6, 1), XE_L4(78, 20),
			  XE_PORTS(179, 33000), .tcp_flags = 0x11 },
	},
	{
		.name = "ipv6_mobility_nonext",
		.eth = 1,
		.steps = FB_RECIPE(
			FB_ETH(0x86dd),
			FB_IPV6(135, V6A, V6B),
			FB_EXT(135, 59, 16),
			/* ignored after No Next Header */
			FB_DATA(8),
			FB_DONE),
		.want = { .ethertype = 0x86dd, XE_IPV6(14, 59, 1) },
	},
	{
		.name = "ipv6_hip_tcp",
		.eth = 1,
		.steps = FB_RECIPE(
			FB_ETH(0x86dd),
			FB_IPV6(139, V6A, V6B),
			FB_EXT(139, 6, 40),
			FB_TCP(1, 2, 0x04, 6),
			FB_DONE),
		.want = { .ethertype = 0x86dd, XE_IPV6(14, 6, 1), XE_L4(94, 24),
			  XE_PORTS(1, 2), .tcp_flags = 0x04 },
	},
	{
		.name = "ipv6_shim6_udp",
		.eth = 1,
		.steps = FB_RECIPE(
			FB_ETH(0x86dd),
			FB_IPV6(140, V6A, V6B),
			FB_EXT(140, 17, 8),
			FB_UDP(3, 4),
			FB_DONE),
		.want = { .ethertype = 0x86dd, XE_IPV6(14, 17, 1), XE_L4(62, 8),
			  XE_PORTS(3, 4) },
	},
	{
		.name = "ipv6_chain_tcp",
		.eth = 1,
		.steps = FB_RECIPE(
			FB_ETH(0x86dd),
			FB_IPV6(0, V6A, V6B),
			FB_EXT(0, 60, 8),               /* 54..62 */
			FB_EXT(60, 43, 16),             /* ..78 */
			FB_EXT(43, 44, 24),             /* ..102 */
			FB_FRAG6(51, 0, 0, 0xabcdef01), /* atomic, ..110 */
			FB_EXT(51, 60, 16),             /* ..126 */
			FB_EXT(60, 6, 8),               /* ..134 */
			FB_TCP(8080, 61000, 0x12, 5),
			FB_DATA(1),
			FB_DONE),
		.want = { .ethertype = 0x86dd, XE_IPV6(14, 6, 6),
			  XE_L4(134, 21), XE_PORTS(8080, 61000),
			  .tcp_flags = 0x12 },
	},
	/* SL_MAX_IPV6_EXT destination options headers. */
	{
		.name = "ipv6_max_ext_udp",
		.eth = 1,
		.steps = FB_RECIPE(
			FB_ETH(0x86dd),
			FB_IPV6(60, V6A, V6B),
			FB_EXT(60, 60, 8), FB_EXT(60, 60, 8), FB_EXT(60, 60, 8),
			FB_EXT(60, 60, 8), FB_EXT(60, 60, 8), FB_EXT(60, 60, 8),
			FB_EXT(60, 60, 8),
			FB_EXT(60, 17, 8),
			FB_UDP(7, 9),
			FB_DONE),
		.want = { .ethertype = 0x86dd, XE_IPV6(14, 17, SL_MAX_IPV6_EXT),
			  XE_L4(54 + 8 * SL_MAX_IPV6_EXT, 8), XE_PORTS(7, 9) },
	},
	{
		.name = "ipv6_esp",
		.eth = 1,
		.steps = FB_RECIPE(
			FB_ETH(0x86dd),
			FB_IPV6(50, V6A, V6B),
			FB_OTHER(32),
			FB_DONE),
		.want = { .ethertype = 0x86dd, XE_IPV6(14, 50, 0),
			  XE_L4(54, 32) },
	},
	{
		.name = "ipv6_icmpv6_echo",
		.eth = 1,
		.steps = FB_RECIPE(
			FB_ETH(0x86dd),
			FB_IPV6(58, V6A, V6B),
			FB_ICMP(128, 0),
			FB_DONE),
		.want = { .ethertype = 0x86dd, XE_IPV6(14, 58, 0), XE_L4(54, 8),
			  XE_PORTS(128, 129) },
	},
	{
		.name = "ipv6_icmpv6_ns",
		.eth = 1,
		.steps = FB_RECIPE(
			FB_ETH(0x86dd),
			FB_IPV6(58, V6A, V6B),
			FB_ICMP(135, 0),
			FB_DATA(16),
			FB_DONE),
		.want = { .ethertype = 0x86dd, XE_IPV6(14, 58, 0),
			  XE_L4(54, 24), XE_PORTS(135, 136) },
	},
	{
		.name = "ipv6_frag_first_udp",
		.eth = 1,
		.steps = FB_RECIPE(
			FB_ETH(0x86dd),
			FB_IPV6(44, V6A, V6B),
			FB_FRAG6(17, 0, 1, 0xdeadbeef),
			FB_UDP(4000, 4001),
			FB_DATA(100),
			FB_DONE),
		.want = { .ethertype = 0x86dd, XE_IPV6(14, 17, 1),
			  XE_FRAG(FRAG_FIRST_MORE, 0, 0xdeadbeef),
			  XE_L4(62, 108), XE_PORTS(4000, 4001) },
	},
	{
		.name = "ipv6_frag_middle",
		.eth = 1,
		.steps = FB_RECIPE(
			FB_ETH(0x86dd),
			FB_IPV6(44, V6A, V6B),
			FB_FRAG6(17, 1232, 1, 0xdeadbeef),
			FB_DATA(64),
			FB_DONE),
		.want = { .ethertype = 0x86dd, XE_IPV6(14, 17, 1),
			  XE_FRAG(FRAG_MORE, 1232, 0xdeadbeef) },
	},
	{
		.name = "ipv6_frag_last",
		.eth = 1,
		.steps = FB_RECIPE(
			FB_ETH(0x86dd),
			FB_IPV6(60, V6A, V6B),
			/* unfragmentable part before the frag hdr */
			FB_EXT(60, 44, 8),
			FB_FRAG6(6, 2464, 0, 7),
			FB_DATA(40),
			FB_DONE),
		.want = { .ethertype = 0x86dd, XE_IPV6(14, 6, 2),
			  XE_FRAG(FRAG_LAST, 2464, 7) },
	},
	{
		.name = "ipv6_atomic_frag_tcp",
		.eth = 1,
		.steps = FB_RECIPE(
			FB_ETH(0x86dd),
			FB_IPV6(44, V6A, V6B),
			FB_FRAG6(6, 0, 0, 0x55),
			FB_TCP(80, 1024, 0x11, 5),
			FB_DONE),
		.want = { .ethertype = 0x86dd, XE_IPV6(14, 6, 1), XE_L4(62, 20),
			  XE_PORTS(80, 1024), .tcp_flags = 0x11 },
	},
	{
		.name = "ipv4_frag_first_udp",
		.eth = 1,
		.steps = FB_RECIPE(
			FB_ETH(0x0800),
			FB_IPV4(17, 5, 0x2000, 0x1234, V4A, V4B),
			FB_UDP(500, 4500),
			FB_DATA(50),
			FB_DONE),
		.want = { .ethertype = 0x0800, XE_IPV4(14, 17),
			  XE_FRAG(FRAG_FIRST_MORE, 0, 0x1234),
			  XE_L4(34, 58), XE_PORTS(500, 4500) },
	},
	{
		.name = "ipv4_frag_middle",
		.eth = 1,
		.steps = FB_RECIPE(
			FB_ETH(0x0800),
			FB_IPV4(17, 5, 0x2000 | 185, 0x1234, V4A, V4B),
			FB_DATA(80),
			FB_DONE),
		.want = { .ethertype = 0x0800, XE_IPV4(14, 17),
			  XE_FRAG(FRAG_MORE, 1480, 0x1234) },
	},
	{
		.name = "ipv4_frag_last",
		.eth = 1,
		.steps = FB_RECIPE(
			FB_ETH(0x8100),
			FB_VLAN(42, 0x0800),
			FB_IPV4(6, 6, 370, 0xffff, V4A, V4B),
			FB_DATA(30),
			FB_DONE),
		.want = { .ethertype = 0x0800, XE_VLANS(42), XE_IPV4(18, 6),
			  XE_FRAG(FRAG_LAST, 2960, 0xffff) },
	},
	{
		.name = "ipv4_gre",
		.eth = 1,
		.steps = FB_RECIPE(
			FB_ETH(0x0800),
			FB_IPV4(47, 5, 0, 9, V4A, V4B),
			FB_OTHER(8),
			FB_DONE,
			FB_CK_JUNK_GRE),
		.want = { .ethertype = 0x0800, XE_IPV4(14, 47), XE_L4(34, 8),
			  .encap_mask = BIT(GRE),
			  .encap_err = SL_ENCAP_ERR_GRE_BAD_VERSION },
	},
	{
		.name = "ipv4_udplite",
		.eth = 1,
		.steps = FB_RECIPE(
			FB_ETH(0x0800),
			FB_IPV4(136, 5, 0, 10, V4A, V4B),
			FB_UDP(1111, 2222),
			FB_DATA(2),
			FB_DONE),
		.want = { .ethertype = 0x0800, XE_IPV4(14, 136), XE_L4(34, 10),
			  XE_PORTS(1111, 2222) },
	},
	/* Minimum-size frame: 14 bytes of Ethernet padding after the
	 * datagram. */
	{
		.name = "ipv4_udp_padded",
		.eth = 1,
		.steps = FB_RECIPE(
			FB_ETH(0x0800),
			FB_IPV4(17, 5, 0, 11, V4A, V4B),
			FB_UDP(67, 68),
			FB_DATA(6),
			FB_DONE,
			/* total_len 34, frame 60 */
			FB_PAD_TO(60, 0)),
		.want = { .ethertype = 0x0800, XE_IPV4(14, 17), XE_L4(34, 14),
			  XE_PORTS(67, 68) },
	},
	{
		.name = "ipv6_udp_trailer",
		.eth = 1,
		.steps = FB_RECIPE(
			FB_ETH(0x86dd),
			FB_IPV6(17, V6A, V6B),
			FB_UDP(9, 10),
			FB_DATA(4),
			FB_DONE,
			/* trailer after payload_len: not L4 */
			FB_FILL(10, 0xee)),
		.want = { .ethertype = 0x86dd, XE_IPV6(14, 17, 0),
			  XE_L4(54, 12), XE_PORTS(9, 10) },
	},
	/* Payload length 0 with hop-by-hop first: jumbogram, use captured
	 * bytes. */
	{
		.name = "ipv6_jumbo_udp",
		.eth = 1,
		.steps = FB_RECIPE(
			FB_ETH(0x86dd),
			FB_IPV6(0, V6A, V6B),
			FB_EXT(0, 17, 8),               /* 54..62 */
			/* Jumbo Payload option, 4 bytes */
			FB_POKE8(56, 0xc2),
			FB_POKE8(57, 4),
			FB_POKE8(61, 36),
			FB_UDP(5000, 5001),
			FB_DATA(20),
			FB_DONE,
			FB_SET_IPLEN(0)),
		.want = { .ethertype = 0x86dd, XE_IPV6(14, 17, 1),
			  XE_L4(62, 28), XE_PORTS(5000, 5001) },
	},
	{
		.name = "arp",
		.eth = 1,
		.steps = FB_RECIPE(
			FB_ETH(0x0806),
			FB_DATA(28)),
		.want = { .ethertype = 0x0806 },
	},
	{
		.name = "vlan_arp",
		.eth = 1,
		.steps = FB_RECIPE(
			FB_ETH(0x8100),
			FB_VLAN(10, 0x0806),
			FB_DATA(28)),
		.want = { .ethertype = 0x0806, XE_VLANS(10) },
	},
	{
		.name = "lldp",
		.eth = 1,
		.steps = FB_RECIPE(
			FB_ETH(0x88cc),
			FB_DATA(32)),
		.want = { .ethertype = 0x88cc },
	},
	{
		.name = "mpls",
		.eth = 1,
		.steps = FB_RECIPE(
			FB_ETH(0x8847),
			/* 00 06 41 40: label 100, bottom of stack */
			FB_MPLS(1, FB_MPLS_IP),
			/* first nibble 5: neither IPv4 nor IPv6 */
			FB_DATA(40)),
		.want = { .ethertype = 0x8847, .encap_mask = BIT(MPLS) },
	},
	{
		.name = "8023_llc",
		.eth = 1,
		.steps = FB_RECIPE(
			FB_ETH(0x0026),                 /* 802.3 length field */
			FB_DATA(38)),
		.want = { .ethertype = 0x0026 },
	},
};

/* ---- tunnels: valid frames ---------------------------------------------- */

/* Recipes the tunnel table shares with the malformed variants further on. */
#define GRE_IPV4_STEPS \
	FB_ETH(0x0800),                 /* 0..14 */ \
	FB_IPV4(47, 5, 0, 7, V4A, V4B), /* ..34 */ \
	FB_GRE(0, 0x0800, 0),           /* ..38 */ \
	FB_IPV4(6, 5, 0, 8, I4A, I4B),  /* ..58 */ \
	FB_TCP(5555, 22, 0x10, 5),      /* ..78 */ \
	FB_DATA(4),                     /* ..82 */ \
	FB_DONE
#define GRE_IPV4_WANT \
	XE_IP4(38, 6, I4A, I4B), XE_L4(58, 24), \
	XE_PORTS(5555, 22), .tcp_flags = 0x10, \
	XE_ENCAP(1, BIT(GRE), 38)

#define MPLS3_IPV6_STEPS \
	FB_ETH(0x8100),                 /* 0..14 */ \
	FB_VLAN(7, 0x8847),             /* ..18 */ \
	FB_MPLS(3, FB_MPLS_IP),         /* ..30 */ \
	FB_IPV6(17, I6A, I6B),          /* ..70 */ \
	FB_UDP(4, 5),                   /* ..78 */ \
	FB_DATA(3),                     /* ..81 */ \
	FB_DONE
#define MPLS3_IPV6_WANT \
	XE_VLANS(7), XE_IP6(30, 17, I6A, I6B), XE_L4(70, 11), \
	XE_PORTS(4, 5), XE_ENCAP(1, BIT(MPLS), 30)

#define PPPOE_IPV4_STEPS \
	FB_ETH(0x8864),                 /* 0..14 */ \
	FB_PPPOE(0x0021),               /* ..22 */ \
	FB_IPV4(6, 5, 0, 21, I4A, I4B), /* ..42 */ \
	FB_TCP(1, 2, 0x02, 5),          /* ..62 */ \
	FB_DONE
#define PPPOE_IPV4_WANT \
	XE_IP4(22, 6, I4A, I4B), XE_L4(42, 20), \
	XE_PORTS(1, 2), .tcp_flags = 0x02, \
	XE_ENCAP(1, BIT(PPPOE), 22)

/*
 * VXLAN in VXLAN in GRE: A/GRE/B/UDP/VXLAN 1/Eth/C/UDP/VXLAN 2/Eth/D/TCP
 * (NESTED3_TAIL, 180 bytes), or D carrying E (IP-in-IP) as NESTED4_TAIL.
 */
#define NESTED_HEAD                                                           \
	FB_ETH(0x0800),                           /* 0..14 */                 \
	FB_IPV4(47, 5, 0, 32, V4A, V4B),          /* A ..34 */                \
	FB_GRE(0, 0x0800, 0),                     /* ..38 */                  \
	FB_IPV4(17, 5, 0, 33, I4A, I4B),          /* B ..58 */                \
	FB_UDP(1111, 4789),                       /* ..66 */                  \
	FB_VXLAN(0x08, 1),                        /* ..74 */                  \
	FB_IETH(0x0800),                          /* ..88 */                  \
	FB_IPV4(17, 5, 0, 34, J4A, J4B),          /* C ..108 */               \
	FB_UDP(2222, 4789),                       /* ..116 */                 \
	FB_VXLAN(0x08, 2),                        /* ..124 */                 \
	FB_IETH(0x0800)                           /* ..138 */
#define NESTED3_TAIL                                                          \
	FB_IPV4(6, 5, 0, 35, K4A, K4B),           /* D ..158 */               \
	FB_TCP(3333, 80, 0x18, 5),                /* ..178 */                 \
	FB_DATA(2),                                                           \
	FB_DONE
#define NESTED4_TAIL                                                          \
	FB_IPV4(4, 5, 0, 35, K4A, K4B),           /* D ..158 */               \
	FB_IPIP,                                                              \
	FB_IPV4(6, 5, 0, 36, L4A, L4B),           /* E ..178 */               \
	FB_TCP(3333, 80, 0x18, 5),                /* ..198 */                 \
	FB_DATA(2),                                                           \
	FB_DONE
#define NESTED3_WANT                                                          \
	XE_IP4(138, 6, K4A, K4B), XE_L4(158, 22), XE_PORTS(3333, 80),         \
	.tcp_flags = 0x18, XE_ENCAP(3, BIT(GRE) | BIT(VXLAN), 124),           \
	XE_TID(SL_TUNID_VXLAN_VNI, 1)

/* Tunnelled frames (sl_parse() with the default settings unless a row says
 * otherwise): as written out, the layout model agrees, every prefix. */
static const struct prow tunnel_rows[] = {
	{
		.name = "vxlan_ipv4_tcp",
		.steps = FB_RECIPE(
			FB_ETH(0x8100),                 /* 0..14 */
			FB_VLAN(100, 0x0800),           /* ..18 */
			FB_IPV4(17, 5, 0x4000, 1, V4A, V4B), /* ..38 */
			FB_UDP(49152, 4789),            /* ..46 */
			FB_VXLAN(0x08, 0x123456),       /* ..54 */
			FB_IETH(0x0800),                /* ..68 */
			FB_IPV4(6, 5, 0, 2, I4A, I4B),  /* ..88 */
			FB_TCP(40000, 443, 0x18, 5),    /* ..108 */
			FB_DATA(12),                    /* ..120 */
			FB_DONE),
		.want = { XE_VLANS(100), XE_IP4(68, 6, I4A, I4B), XE_L4(88, 32),
			  XE_PORTS(40000, 443), .tcp_flags = 0x18,
			  XE_ENCAP(1, BIT(VXLAN), 54),
			  XE_TID(SL_TUNID_VXLAN_VNI, 0x123456) },
	},
	{
		.name = "geneve_teb",
		.steps = FB_RECIPE(
			FB_ETH(0x86dd),                 /* 0..14 */
			FB_IPV6(17, V6A, V6B),          /* ..54 */
			FB_UDP(5000, 6081),             /* ..62 */
			FB_GENEVE(0, 0, 0x6558, 0xabcdef), /* ..70 */
			FB_IETH(0x0800),                /* ..84 */
			FB_IPV4(17, 5, 0, 3, I4A, I4B), /* ..104 */
			FB_UDP(53, 5353),               /* ..112 */
			FB_DATA(8),                     /* ..120 */
			FB_DONE),
		.want = { XE_IP4(84, 17, I4A, I4B), XE_L4(104, 16),
			  XE_PORTS(53, 5353), XE_ENCAP(1, BIT(GENEVE), 70),
			  XE_TID(SL_TUNID_GENEVE_VNI, 0xabcdef) },
	},
	{
		.name = "geneve_opts_ipv4",
		.steps = FB_RECIPE(
			FB_ETH(0x0800),                 /* 0..14 */
			FB_IPV4(17, 5, 0, 4, V4A, V4B), /* ..34 */
			FB_UDP(1234, 6081),             /* ..42 */
			FB_GENEVE(0, 3, 0x0800, 1),     /* ..50 + 12 = 62 */
			FB_IPV4(6, 5, 0, 5, I4A, I4B),  /* ..82 */
			FB_TCP(1, 2, 0x02, 5),          /* ..102 */
			FB_DATA(5),                     /* ..107 */
			FB_DONE),
		.want = { XE_IP4(62, 6, I4A, I4B), XE_L4(82, 25),
			  XE_PORTS(1, 2), .tcp_flags = 0x02,
			  XE_ENCAP(1, BIT(GENEVE), 62),
			  XE_TID(SL_TUNID_GENEVE_VNI, 1) },
	},
	{
		.name = "geneve_opts_ipv6",
		.steps = FB_RECIPE(
			FB_ETH(0x0800),                 /* 0..14 */
			FB_IPV4(17, 5, 0, 6, V4A, V4B), /* ..34 */
			FB_UDP(7, 6081),                /* ..42 */
			FB_GENEVE(0, 1, 0x86dd, 0xfffffe), /* ..50 + 4 = 54 */
			FB_IPV6(6, I6A, I6B),           /* ..94 */
			FB_TCP(80, 1025, 0x12, 5),      /* ..114 */
			FB_DONE),
		.want = { XE_IP6(54, 6, I6A, I6B), XE_L4(94, 20),
			  XE_PORTS(80, 1025), .tcp_flags = 0x12,
			  XE_ENCAP(1, BIT(GENEVE), 54),
			  XE_TID(SL_TUNID_GENEVE_VNI, 0xfffffe) },
	},
	{
		.name = "gre_ipv4",
		.steps = FB_RECIPE(GRE_IPV4_STEPS),
		.want = { GRE_IPV4_WANT },
	},
	{
		.name = "gre_teb_vlan",
		.steps = FB_RECIPE(
			FB_ETH(0x86dd),                 /* 0..14 */
			FB_IPV6(47, V6A, V6B),          /* ..54 */
			FB_GRE(FB_GRE_K, 0x6558, 0xdeadbeef), /* ..62 */
			FB_IETH(0x8100),                /* ..76 */
			FB_VLAN(0x2005, 0x86dd),        /* ..80 */
			FB_IPV6(17, I6A, I6B),          /* ..120 */
			FB_UDP(1000, 2000),             /* ..128 */
			FB_DATA(10),                    /* ..138 */
			FB_DONE),
		.want = { XE_IP6(80, 17, I6A, I6B), XE_L4(120, 18),
			  XE_PORTS(1000, 2000), XE_ENCAP(1, BIT(GRE), 62),
			  XE_TID(SL_TUNID_GRE_KEY, 0xdeadbeef),
			  XE_INNER_VLANS(5) },
	},
	{
		.name = "erspan1",
		.steps = FB_RECIPE(
			FB_ETH(0x0800),                 /* 0..14 */
			FB_IPV4(47, 5, 0, 9, V4A, V4B), /* ..34 */
			FB_GRE(0, 0x88be, 0),           /* ..38 */
			FB_IETH(0x0800),                /* ..52 */
			FB_IPV4(6, 5, 0, 10, I4A, I4B), /* ..72 */
			FB_TCP(3, 4, 0x01, 5),          /* ..92 */
			FB_DONE),
		.want = { XE_IP4(52, 6, I4A, I4B), XE_L4(72, 20),
			  XE_PORTS(3, 4), .tcp_flags = 0x01,
			  XE_ENCAP(1, BIT(GRE) | BIT(ERSPAN1), 38) },
	},
	{
		.name = "erspan2",
		.steps = FB_RECIPE(
			FB_ETH(0x0800),                 /* 0..14 */
			FB_IPV4(47, 5, 0, 11, V4A, V4B), /* ..34 */
			FB_GRE(FB_GRE_S, 0x88be, 0),    /* ..42 */
			FB_ERSPAN2(1, 0x2a5),           /* ..50 */
			FB_IETH(0x0800),                /* ..64 */
			FB_IPV4(17, 5, 0, 12, I4A, I4B), /* ..84 */
			FB_UDP(67, 68),                 /* ..92 */
			FB_DATA(20),                    /* ..112 */
			FB_DONE),
		.want = { XE_IP4(64, 17, I4A, I4B), XE_L4(84, 28),
			  XE_PORTS(67, 68),
			  XE_ENCAP(1, BIT(GRE) | BIT(ERSPAN2), 50),
			  XE_TID(SL_TUNID_ERSPAN_ID, 0x2a5) },
	},
	{
		.name = "erspan3",
		.steps = FB_RECIPE(
			FB_ETH(0x0800),                 /* 0..14 */
			FB_IPV4(47, 5, 0, 13, V4A, V4B), /* ..34 */
			FB_GRE(FB_GRE_S, 0x22eb, 0),    /* ..42 */
			FB_ERSPAN3(2, 0x155, 0),        /* ..54 */
			FB_IETH(0x86dd),                /* ..68 */
			FB_IPV6(6, I6A, I6B),           /* ..108 */
			FB_TCP(443, 50000, 0x11, 5),    /* ..128 */
			FB_DONE),
		.want = { XE_IP6(68, 6, I6A, I6B), XE_L4(108, 20),
			  XE_PORTS(443, 50000), .tcp_flags = 0x11,
			  XE_ENCAP(1, BIT(GRE) | BIT(ERSPAN3), 54),
			  XE_TID(SL_TUNID_ERSPAN_ID, 0x155) },
	},
	{
		.name = "erspan3_subhdr",
		.steps = FB_RECIPE(
			FB_ETH(0x0800),                 /* 0..14 */
			FB_IPV4(47, 5, 0, 14, V4A, V4B), /* ..34 */
			FB_GRE(FB_GRE_S, 0x22eb, 0),    /* ..42 */
			FB_ERSPAN3(2, 0x3ff, 1),        /* ..54 + 8 = 62 */
			FB_IETH(0x0800),                /* ..76 */
			FB_IPV4(6, 5, 0, 15, I4A, I4B), /* ..96 */
			FB_TCP(9, 10, 0x04, 5),         /* ..116 */
			FB_DONE),
		.want = { XE_IP4(76, 6, I4A, I4B), XE_L4(96, 20),
			  XE_PORTS(9, 10), .tcp_flags = 0x04,
			  XE_ENCAP(1, BIT(GRE) | BIT(ERSPAN3), 62),
			  XE_TID(SL_TUNID_ERSPAN_ID, 0x3ff) },
	},
	{
		.name = "mpls1_ipv4",
		.steps = FB_RECIPE(
			FB_ETH(0x8847),                 /* 0..14 */
			FB_MPLS(1, FB_MPLS_IP),         /* ..18 */
			FB_IPV4(6, 5, 0, 16, I4A, I4B), /* ..38 */
			FB_TCP(1111, 80, 0x02, 5),      /* ..58 */
			FB_DONE),
		.want = { XE_IP4(18, 6, I4A, I4B), XE_L4(38, 20),
			  XE_PORTS(1111, 80), .tcp_flags = 0x02,
			  XE_ENCAP(1, BIT(MPLS), 18) },
	},
	{
		.name = "mpls3_ipv6",
		.steps = FB_RECIPE(MPLS3_IPV6_STEPS),
		.want = { MPLS3_IPV6_WANT },
	},
	{
		.name = "mpls_mc_ipv4",
		.steps = FB_RECIPE(
			FB_ETH(0x8848),                 /* 0..14 */
			FB_MPLS(1, FB_MPLS_IP),         /* ..18 */
			FB_IPV4(17, 5, 0, 17, I4A, I4B), /* ..38 */
			FB_UDP(5, 6),                   /* ..46 */
			FB_DONE),
		.want = { XE_IP4(18, 17, I4A, I4B), XE_L4(38, 8),
			  XE_PORTS(5, 6), XE_ENCAP(1, BIT(MPLS), 18) },
	},
	{
		.name = "mpls_pw",
		.mpls_pw = 1,
		.steps = FB_RECIPE(
			FB_ETH(0x8847),                 /* 0..14 */
			FB_MPLS(2, FB_MPLS_PW),         /* ..22, CW ..26 */
			FB_IETH(0x0800),                /* ..40 */
			FB_IPV4(6, 5, 0, 18, I4A, I4B), /* ..60 */
			FB_TCP(7, 8, 0x02, 5),          /* ..80 */
			FB_DONE),
		.want = { XE_IP4(40, 6, I4A, I4B), XE_L4(60, 20),
			  XE_PORTS(7, 8), .tcp_flags = 0x02,
			  XE_ENCAP(1, BIT(MPLS), 26) },
	},
	{
		.name = "gre_mpls",
		.steps = FB_RECIPE(
			FB_ETH(0x0800),                 /* 0..14 */
			FB_IPV4(47, 5, 0, 19, V4A, V4B), /* ..34 */
			FB_GRE(0, 0x8847, 0),           /* ..38 */
			FB_MPLS(1, FB_MPLS_IP),         /* ..42 */
			FB_IPV4(17, 5, 0, 20, I4A, I4B), /* ..62 */
			FB_UDP(10, 20),                 /* ..70 */
			FB_DONE),
		.want = { XE_IP4(42, 17, I4A, I4B), XE_L4(62, 8),
			  XE_PORTS(10, 20),
			  XE_ENCAP(2, BIT(GRE) | BIT(MPLS), 42) },
	},
	{
		.name = "pppoe_ipv4",
		.steps = FB_RECIPE(PPPOE_IPV4_STEPS),
		.want = { PPPOE_IPV4_WANT },
	},
	{
		.name = "pppoe_ipv6",
		.steps = FB_RECIPE(
			FB_ETH(0x8100),                 /* 0..14 */
			FB_VLAN(10, 0x8864),            /* ..18 */
			FB_PPPOE(0x0057),               /* ..26 */
			FB_IPV6(17, I6A, I6B),          /* ..66 */
			FB_UDP(546, 547),               /* ..74 */
			FB_DONE),
		.want = { XE_VLANS(10), XE_IP6(26, 17, I6A, I6B), XE_L4(66, 8),
			  XE_PORTS(546, 547), XE_ENCAP(1, BIT(PPPOE), 26) },
	},
	/* PPP LCP: the PPPoE layer is identified, its payload is not IP. */
	{
		.name = "pppoe_lcp",
		.steps = FB_RECIPE(
			FB_ETH(0x8864),
			FB_PPPOE(0xc021),
			FB_DATA(10),
			FB_DONE),
		.want = { .ethertype = 0x8864, .encap_mask = BIT(PPPOE) },
	},
	{
		.name = "4in4",
		.steps = FB_RECIPE(
			FB_ETH(0x0800),                 /* 0..14 */
			FB_IPV4(4, 5, 0, 22, V4A, V4B), /* ..34 */
			FB_IPIP,
			FB_IPV4(6, 5, 0, 23, I4A, I4B), /* ..54 */
			FB_TCP(1, 2, 0x02, 5),          /* ..74 */
			FB_DONE),
		.want = { XE_IP4(34, 6, I4A, I4B), XE_L4(54, 20),
			  XE_PORTS(1, 2), .tcp_flags = 0x02,
			  XE_ENCAP(1, BIT(IPIP), 34) },
	},
	{
		.name = "6in4",
		.steps = FB_RECIPE(
			FB_ETH(0x0800),                 /* 0..14 */
			FB_IPV4(41, 5, 0, 24, V4A, V4B), /* ..34 */
			FB_IPIP,
			FB_IPV6(17, I6A, I6B),          /* ..74 */
			FB_UDP(1, 2),                   /* ..82 */
			FB_DONE),
		.want = { XE_IP6(34, 17, I6A, I6B), XE_L4(74, 8),
			  XE_PORTS(1, 2), XE_ENCAP(1, BIT(IPIP), 34) },
	},
	{
		.name = "4in6",
		.steps = FB_RECIPE(
			FB_ETH(0x86dd),                 /* 0..14 */
			FB_IPV6(4, V6A, V6B),           /* ..54 */
			FB_IPIP,
			FB_IPV4(6, 5, 0, 25, I4A, I4B), /* ..74 */
			FB_TCP(3, 4, 0x02, 5),          /* ..94 */
			FB_DONE),
		.want = { XE_IP4(54, 6, I4A, I4B), XE_L4(74, 20),
			  XE_PORTS(3, 4), .tcp_flags = 0x02,
			  XE_ENCAP(1, BIT(IPIP), 54) },
	},
	{
		.name = "6in6",
		.steps = FB_RECIPE(
			FB_ETH(0x86dd),                 /* 0..14 */
			FB_IPV6(41, V6A, V6B),          /* ..54 */
			FB_IPIP,
			FB_IPV6(58, I6A, I6B),          /* ..94 */
			FB_ICMP(128, 0),                /* ..102 */
			FB_DONE),
		.want = { XE_IP6(54, 58, I6A, I6B), XE_L4(94, 8),
			  XE_PORTS(128, 129), XE_ENCAP(1, BIT(IPIP), 54) },
	},
	{
		.name = "vxlan_inner_qinq",
		.steps = FB_RECIPE(
			FB_ETH(0x0800),                 /* 0..14 */
			FB_IPV4(17, 5, 0, 26, V4A, V4B), /* ..34 */
			FB_UDP(1, 4789),                /* ..42 */
			FB_VXLAN(0x08, 7),              /* ..50 */
			FB_IETH(0x88a8),                /* ..64 */
			FB_VLAN(200, 0x8100),           /* ..68 */
			FB_VLAN(0x6000 | 300, 0x0800),  /* ..72 */
			FB_IPV4(17, 5, 0, 27, I4A, I4B), /* ..92 */
			FB_UDP(10, 11),                 /* ..100 */
			FB_DONE),
		.want = { XE_IP4(72, 17, I4A, I4B), XE_L4(92, 8),
			  XE_PORTS(10, 11), XE_ENCAP(1, BIT(VXLAN), 50),
			  XE_TID(SL_TUNID_VXLAN_VNI, 7),
			  XE_INNER_VLANS(200, 300) },
	},
	/* VNTag on the outer Ethernet: an L2 tag, not a layer. */
	{
		.name = "vntag",
		.steps = FB_RECIPE(
			FB_ETH(0x8926),                 /* 0..14 */
			FB_VNTAG(0x8100),               /* ..20 */
			FB_VLAN(33, 0x0800),            /* ..24 */
			FB_IPV4(6, 5, 0, 28, V4A, V4B), /* ..44 */
			FB_TCP(1, 2, 0x02, 5),          /* ..64 */
			FB_DONE),
		.want = { .ethertype = 0x0800, XE_VLANS(33), XE_IPV4(24, 6),
			  XE_L4(44, 20), XE_PORTS(1, 2), .tcp_flags = 0x02,
			  .encap_mask = BIT(VNTAG) },
	},
	{
		.name = "vxlan_inner_vntag",
		.steps = FB_RECIPE(
			FB_ETH(0x0800),                 /* 0..14 */
			FB_IPV4(17, 5, 0, 29, V4A, V4B), /* ..34 */
			FB_UDP(2, 4789),                /* ..42 */
			FB_VXLAN(0x08, 9),              /* ..50 */
			FB_IETH(0x8926),                /* ..64 */
			FB_VNTAG(0x0800),               /* ..70 */
			FB_IPV4(6, 5, 0, 30, I4A, I4B), /* ..90 */
			FB_TCP(5, 6, 0x02, 5),          /* ..110 */
			FB_DONE),
		.want = { XE_IP4(70, 6, I4A, I4B), XE_L4(90, 20),
			  XE_PORTS(5, 6), .tcp_flags = 0x02,
			  XE_ENCAP(1, BIT(VXLAN) | BIT(VNTAG), 50),
			  XE_TID(SL_TUNID_VXLAN_VNI, 9) },
	},
	/* ARP inside VXLAN: no inner IP, the outer flow stays, no error. */
	{
		.name = "vxlan_arp",
		.steps = FB_RECIPE(
			FB_ETH(0x0800),                 /* 0..14 */
			FB_IPV4(17, 5, 0, 31, V4A, V4B), /* ..34 */
			FB_UDP(3, 4789),                /* ..42 */
			FB_VXLAN(0x08, 5),              /* ..50 */
			FB_IETH(0x0806),                /* ..64 */
			FB_DATA(28),                    /* ..92 */
			FB_DONE),
		.want = { .ethertype = 0x0800, XE_IPV4(14, 17), XE_L4(34, 58),
			  XE_PORTS(3, 4789), .encap_mask = BIT(VXLAN),
			  XE_TID(SL_TUNID_VXLAN_VNI, 5) },
	},
	/* VXLAN in VXLAN: the first inner Ethernet is tagged, the second is
	 * not; inner_vlan[] holds the innermost one's (none). */
	{
		.name = "vxlan_vlan_vxlan",
		.steps = FB_RECIPE(
			FB_ETH(0x0800),                 /* 0..14 */
			FB_IPV4(17, 5, 0, 40, V4A, V4B), /* ..34 */
			FB_UDP(1, 4789),                /* ..42 */
			FB_VXLAN(0x08, 10),             /* ..50 */
			FB_IETH(0x8100),                /* ..64 */
			FB_VLAN(5, 0x0800),             /* ..68 */
			FB_IPV4(17, 5, 0, 41, I4A, I4B), /* ..88 */
			FB_UDP(2000, 4789),             /* ..96 */
			FB_VXLAN(0x08, 20),             /* ..104 */
			FB_IETH(0x0800),                /* ..118 */
			FB_IPV4(6, 5, 0, 42, J4A, J4B), /* ..138 */
			FB_TCP(11, 12, 0x02, 5),        /* ..158 */
			FB_DONE),
		.want = { XE_IP4(118, 6, J4A, J4B), XE_L4(138, 20),
			  XE_PORTS(11, 12), .tcp_flags = 0x02,
			  XE_ENCAP(2, BIT(VXLAN), 104),
			  XE_TID(SL_TUNID_VXLAN_VNI, 10) },
	},
	/* VXLAN in VXLAN in GRE (NESTED_HEAD). */
	{
		.name = "nested3",
		.steps = FB_RECIPE(NESTED_HEAD, NESTED3_TAIL),
		.want = { NESTED3_WANT },
	},
};

/* ---- malformed frames --------------------------------------------------- */

/* The row macros below spell out loops of the old tests, one row a value. */
_Static_assert(SL_MAX_IPV6_EXT == 8, "ipv6_ext_too_many has 8 + 1 headers");
_Static_assert(SL_MAX_MPLS_LABELS == 8, "mpls_too_deep has 8 + n labels");

/* A third tag of any TPID: decided by that TPID alone, its tag need not be
 * there (the _at22 rows); every prefix fails. */
#define VLAN_TOO_DEEP_STEPS(tpid)                                             \
	FB_ETH(0x88a8), FB_VLAN(100, 0x8100), FB_VLAN(200, tpid),             \
	FB_VLAN(300, 0x0800), FB_IPV4(17, 5, 0, 0, V4A, V4B), FB_UDP(1, 2),   \
	FB_DONE
#define VLAN_TOO_DEEP(tpid)                                                   \
	{ .name = "vlan_too_deep_" #tpid, .eth = 1, .check = ROW_FULL,        \
	  .prefixes_fail = 1, .steps = FB_RECIPE(VLAN_TOO_DEEP_STEPS(tpid)),  \
	  .want = { .ethertype = (tpid), XE_VLANS(100, 200),                  \
		    .err = SL_PARSE_ERR_VLAN_TOO_DEEP } },                    \
	{ .name = "vlan_too_deep_" #tpid "_at22", .eth = 1, .check = ROW_FULL, \
	  .len = 22, .steps = FB_RECIPE(VLAN_TOO_DEEP_STEPS(tpid)),           \
	  .want = { .ethertype = (tpid), XE_VLANS(100, 200),                  \
		    .err = SL_PARSE_ERR_VLAN_TOO_DEEP } }

/* IPv4 header errors: VLANs and ethertype survive, no L3 fields; every
 * prefix fails. V4_UDP_STEPS: eth/VLAN 300/IPv4 at 18/UDP/4 bytes. */
#define V4_UDP_STEPS                                                          \
	FB_ETH(0x8100), FB_VLAN(300, 0x0800), FB_IPV4(17, 5, 0, 0, V4A, V4B), \
	FB_UDP(1, 2), FB_DATA(4), FB_DONE
#define V4_ERROR(nm, e, ...)                                                  \
	{ .name = nm, .eth = 1, .check = ROW_FULL, .prefixes_fail = 1,        \
	  .steps = FB_RECIPE(__VA_ARGS__),                                    \
	  .want = { .ethertype = 0x0800, XE_VLANS(300), .err = (e) } }
#define V4_BAD_VERSION(v)                                                     \
	V4_ERROR("ipv4_bad_version_" #v, SL_PARSE_ERR_IPV4_BAD_VERSION,       \
		 V4_UDP_STEPS, FB_POKE8(18, (v) << 4 | 5))
#define V4_BAD_IHL(ihl)                                                       \
	V4_ERROR("ipv4_ihl_lt5_" #ihl, SL_PARSE_ERR_IPV4_BAD_IHL,             \
		 V4_UDP_STEPS, FB_POKE8(18, 0x40 | (ihl)))

#define V6_BAD_VERSION(v)                                                     \
	{ .name = "ipv6_bad_version_" #v, .eth = 1, .check = ROW_FULL,        \
	  .prefixes_fail = 1,                                                 \
	  .steps = FB_RECIPE(FB_ETH(0x86dd), FB_IPV6(17, V6A, V6B),           \
			     FB_UDP(1, 2), FB_DONE, FB_POKE8(14, (v) << 4)), \
	  .want = { .ethertype = 0x86dd,                                      \
		    .err = SL_PARSE_ERR_IPV6_BAD_VERSION } }

#define TCP_BAD_DOFF(doff)                                                    \
	{ .name = "tcp_doff_lt5_" #doff, .eth = 1, .check = ROW_FULL,         \
	  .prefixes_fail = 1,                                                 \
	  .steps = FB_RECIPE(FB_ETH(0x0800), FB_IPV4(6, 5, 0, 0, V4A, V4B),   \
			     FB_TCP(1, 2, 0x02, 5), FB_DATA(8), FB_DONE,      \
			     FB_POKE8(46, (doff) << 4)),                      \
	  .want = { .ethertype = 0x0800, XE_IPV4(14, 6), XE_L4(34, 28),       \
		    .err = SL_PARSE_ERR_TCP_BAD_DATA_OFFSET } }

/* Bad outer headers (sl_parse_eth): each gives its error class with the
 * fields of the headers before it. */
static const struct prow malformed_rows[] = {
	VLAN_TOO_DEEP(0x8100),
	VLAN_TOO_DEEP(0x88a8),
	VLAN_TOO_DEEP(0x9100),
	V4_BAD_VERSION(0), V4_BAD_VERSION(1), V4_BAD_VERSION(2),
	V4_BAD_VERSION(3), V4_BAD_VERSION(5), V4_BAD_VERSION(6),
	V4_BAD_VERSION(7), V4_BAD_VERSION(8), V4_BAD_VERSION(9),
	V4_BAD_VERSION(10), V4_BAD_VERSION(11), V4_BAD_VERSION(12),
	V4_BAD_VERSION(13), V4_BAD_VERSION(14), V4_BAD_VERSION(15),
	V4_BAD_IHL(0), V4_BAD_IHL(1), V4_BAD_IHL(2), V4_BAD_IHL(3),
	V4_BAD_IHL(4),
	/* IHL 15 (60 bytes) but only 20 + 12 bytes follow. */
	V4_ERROR("ipv4_ihl_beyond", SL_PARSE_ERR_IPV4_TRUNCATED, V4_UDP_STEPS,
		 FB_POKE8(18, 0x4f)),
	/* total_len below the header length. */
	V4_ERROR("ipv4_tot_lt_20", SL_PARSE_ERR_IPV4_BAD_TOTAL_LEN,
		 V4_UDP_STEPS, FB_SET_IPLEN(19)),
	V4_ERROR("ipv4_tot_0", SL_PARSE_ERR_IPV4_BAD_TOTAL_LEN, V4_UDP_STEPS,
		 FB_SET_IPLEN(0)),
	/* IHL 6 = 24 bytes > total_len 20. */
	V4_ERROR("ipv4_tot_lt_ihl", SL_PARSE_ERR_IPV4_BAD_TOTAL_LEN,
		 FB_ETH(0x8100), FB_VLAN(300, 0x0800),
		 FB_IPV4(17, 6, 0, 0, V4A, V4B), FB_UDP(1, 2), FB_DONE,
		 FB_SET_IPLEN(20)),
	/* total_len says the datagram ends inside the TCP header; the padding
	 * after it must not be taken as the rest of the header. */
	{
		.name = "ipv4_total_len_cuts_l4",
		.eth = 1,
		.check = ROW_FULL,
		.steps = FB_RECIPE(
			FB_ETH(0x0800),
			FB_IPV4(6, 5, 0, 0, V4A, V4B),
			FB_TCP(1, 2, 0x02, 5),
			FB_FILL(10, 0),
			FB_SET_IPLEN(24)),
		.want = { .ethertype = 0x0800, XE_IPV4(14, 6), XE_L4(34, 4),
			  .err = SL_PARSE_ERR_L4_TRUNCATED },
	},
	/* total_len larger than the capture (snaplen) is fine. */
	{
		.name = "ipv4_snaplen",
		.eth = 1,
		.check = ROW_FULL,
		.steps = FB_RECIPE(
			FB_ETH(0x0800),
			FB_IPV4(17, 5, 0, 0, V4A, V4B),
			FB_UDP(53, 1024),
			FB_DATA(30),
			FB_SET_IPLEN(1500)),
		.want = { .ethertype = 0x0800, XE_IPV4(14, 17), XE_L4(34, 38),
			  XE_PORTS(53, 1024) },
	},
	V6_BAD_VERSION(0), V6_BAD_VERSION(1), V6_BAD_VERSION(2),
	V6_BAD_VERSION(3), V6_BAD_VERSION(4), V6_BAD_VERSION(5),
	V6_BAD_VERSION(7), V6_BAD_VERSION(8), V6_BAD_VERSION(9),
	V6_BAD_VERSION(10), V6_BAD_VERSION(11), V6_BAD_VERSION(12),
	V6_BAD_VERSION(13), V6_BAD_VERSION(14), V6_BAD_VERSION(15),
	/* SL_MAX_IPV6_EXT + 1 extension headers. */
	{
		.name = "ipv6_ext_too_many",
		.eth = 1,
		.check = ROW_FULL,
		.prefixes_fail = 1,
		.steps = FB_RECIPE(
			FB_ETH(0x86dd),
			FB_IPV6(60, V6A, V6B),
			FB_EXT(60, 60, 8), FB_EXT(60, 60, 8), FB_EXT(60, 60, 8),
			FB_EXT(60, 60, 8), FB_EXT(60, 60, 8), FB_EXT(60, 60, 8),
			FB_EXT(60, 60, 8), FB_EXT(60, 60, 8),
			FB_EXT(60, 17, 8),
			FB_UDP(1, 2),
			FB_DONE),
		.want = { .ethertype = 0x86dd,
			  XE_IPV6(14, 0, SL_MAX_IPV6_EXT),
			  .err = SL_PARSE_ERR_IPV6_EXT_TOO_MANY },
	},
	/* Extension headers that do not fit in the declared or captured
	 * length. Hop-by-hop of 16 bytes, payload_len 8: bytes there, length
	 * bad. */
	{
		.name = "ipv6_ext_beyond_plen",
		.eth = 1,
		.check = ROW_FULL,
		.steps = FB_RECIPE(
			FB_ETH(0x86dd),
			FB_IPV6(0, V6A, V6B),
			FB_EXT(0, 59, 16),
			FB_SET_IPLEN(8)),
		.want = { .ethertype = 0x86dd, XE_IPV6(14, 0, 0),
			  .err = SL_PARSE_ERR_IPV6_BAD_PAYLOAD_LEN },
	},
	/* payload_len 1: not even the length byte is inside. */
	{
		.name = "ipv6_ext_plen_1",
		.eth = 1,
		.check = ROW_FULL,
		.steps = FB_RECIPE(
			FB_ETH(0x86dd),
			FB_IPV6(0, V6A, V6B),
			FB_EXT(0, 59, 16),
			FB_SET_IPLEN(1)),
		.want = { .ethertype = 0x86dd, XE_IPV6(14, 0, 0),
			  .err = SL_PARSE_ERR_IPV6_BAD_PAYLOAD_LEN },
	},
	/* AH claiming (255 + 2) * 4 bytes in a short frame: the whole
	 * datagram is there, so the length is bad ... */
	{
		.name = "ipv6_ah_too_long",
		.eth = 1,
		.check = ROW_FULL,
		.steps = FB_RECIPE(
			FB_ETH(0x86dd),
			FB_IPV6(51, V6A, V6B),
			FB_EXT(51, 6, 24),
			FB_TCP(1, 2, 0, 5),
			FB_DONE,
			FB_POKE8(55, 255)),
		.want = { .ethertype = 0x86dd, XE_IPV6(14, 0, 0),
			  .err = SL_PARSE_ERR_IPV6_BAD_PAYLOAD_LEN },
	},
	/* ... while with a snaplen the AH may fit the datagram: cut. */
	{
		.name = "ipv6_ah_snaplen",
		.eth = 1,
		.check = ROW_FULL,
		.steps = FB_RECIPE(
			FB_ETH(0x86dd),
			FB_IPV6(51, V6A, V6B),
			FB_EXT(51, 6, 24),
			FB_TCP(1, 2, 0, 5),
			FB_DONE,
			FB_POKE8(55, 255),
			FB_SET_IPLEN(2000)),
		.want = { .ethertype = 0x86dd, XE_IPV6(14, 0, 0),
			  .err = SL_PARSE_ERR_IPV6_EXT_TRUNCATED },
	},
	/* Fragment header cut after 4 of its 8 bytes, after one dst-opts. */
	{
		.name = "ipv6_frag_hdr_cut",
		.eth = 1,
		.check = ROW_FULL,
		.frame_len = 70,
		.len = 66,
		.steps = FB_RECIPE(
			FB_ETH(0x86dd),
			FB_IPV6(60, V6A, V6B),
			FB_EXT(60, 44, 8),
			FB_FRAG6(17, 8, 0, 1),
			FB_DONE),
		.want = { .ethertype = 0x86dd, XE_IPV6(14, 0, 1),
			  .err = SL_PARSE_ERR_IPV6_EXT_TRUNCATED },
	},
	/* payload_len 0 without hop-by-hop: no L4 bytes inside the
	 * datagram. */
	{
		.name = "ipv6_plen0_tcp",
		.eth = 1,
		.check = ROW_FULL,
		.steps = FB_RECIPE(
			FB_ETH(0x86dd),
			FB_IPV6(6, V6A, V6B),
			FB_TCP(1, 2, 0x02, 5)),
		.want = { .ethertype = 0x86dd, XE_IPV6(14, 6, 0),
			  .err = SL_PARSE_ERR_L4_TRUNCATED },
	},
	/* payload_len 1000 over a short capture: snaplen, fine. */
	{
		.name = "ipv6_snaplen",
		.eth = 1,
		.check = ROW_FULL,
		.steps = FB_RECIPE(
			FB_ETH(0x86dd),
			FB_IPV6(6, V6A, V6B),
			FB_TCP(1, 2, 0x02, 5),
			FB_SET_IPLEN(1000)),
		.want = { .ethertype = 0x86dd, XE_IPV6(14, 6, 0), XE_L4(54, 20),
			  XE_PORTS(1, 2), .tcp_flags = 0x02 },
	},
	/* The header after a non-first fragment header is not walked, even
	 * if it looks like another extension header. */
	{
		.name = "ipv6_frag_nonfirst_stops",
		.eth = 1,
		.check = ROW_FULL,
		.steps = FB_RECIPE(
			FB_ETH(0x86dd),
			FB_IPV6(44, V6A, V6B),
			FB_FRAG6(60, 16, 1, 99),
			FB_U8(6),
			FB_U8(255),             /* would be 2048 bytes */
			FB_DONE),
		.want = { .ethertype = 0x86dd, XE_IPV6(14, 60, 1),
			  XE_FRAG(FRAG_MORE, 16, 99) },
	},
	TCP_BAD_DOFF(0), TCP_BAD_DOFF(1), TCP_BAD_DOFF(2), TCP_BAD_DOFF(3),
	TCP_BAD_DOFF(4),
	/* TCP options cut by the capture: ports and flags are kept. */
	{
		.name = "tcp_opts_cut",
		.eth = 1,
		.check = ROW_FULL,
		.steps = FB_RECIPE(
			FB_ETH(0x0800),
			FB_IPV4(6, 5, 0, 0, V4A, V4B),
			FB_TCP(1, 2, 0x02, 5),
			FB_DONE,
			FB_POKE8(46, 0xf0)),    /* 60-byte header, 20 there */
		.want = { .ethertype = 0x0800, XE_IPV4(14, 6), XE_L4(34, 20),
			  XE_PORTS(1, 2), .tcp_flags = 0x02,
			  .err = SL_PARSE_ERR_L4_TRUNCATED },
	},
};

/* ---- tunnels: malformed, depth, fragments ------------------------------- */

/* The outer IPv4 flow of a frame of len bytes built as eth/IPv4(proto)/L4. */
#define OUTER4(proto, len)                                                    \
	.ethertype = 0x0800, XE_IPV4(14, proto), XE_L4(34, (len) - 34)

/* All eight C/K/S combinations of GRE carrying IPv6 (m: bit 0 C, 1 K,
 * 2 S); hl is the GRE header length. */
#define GRE_CKS_FLAGS(m)                                                      \
	(((m) & 1 ? FB_GRE_C : 0) | ((m) & 2 ? FB_GRE_K : 0) |                \
	 ((m) & 4 ? FB_GRE_S : 0))
#define GRE_CKS_HL(m)                                                         \
	(4 + 4 * (((m) & 1) + (((m) >> 1) & 1) + (((m) >> 2) & 1)))
#define GRE_CKS(m, hex)                                                       \
	{ .name = "gre_flags_" hex,                                           \
	  .steps = FB_RECIPE(FB_ETH(0x0800),              /* 0..14 */         \
			     FB_IPV4(47, 5, 0, 1, V4A, V4B), /* ..34 */       \
			     FB_GRE(GRE_CKS_FLAGS(m), 0x86dd,                 \
				    0x01020304u + (m)),   /* ..34+hl */       \
			     FB_IPV6(6, I6A, I6B),                            \
			     FB_TCP(100, 200, 0x02, 5), FB_DATA(6), FB_DONE), \
	  .want = { XE_IP6(34 + GRE_CKS_HL(m), 6, I6A, I6B),                  \
		    XE_L4(74 + GRE_CKS_HL(m), 26), XE_PORTS(100, 200),        \
		    .tcp_flags = 0x02,                                        \
		    XE_ENCAP(1, BIT(GRE), 34 + GRE_CKS_HL(m)),                \
		    XE_TID((m) & 2 ? SL_TUNID_GRE_KEY : SL_TUNID_NONE,        \
			   (m) & 2 ? 0x01020304u + (m) : 0) } }

/* VXLAN with flags, outer UDP source port sport: 114 bytes. */
#define VXLAN_STEPS(flags, sport)                                             \
	FB_ETH(0x0800),                           /* 0..14 */                 \
	FB_IPV4(17, 5, 0, 1, V4A, V4B),           /* ..34 */                  \
	FB_UDP(sport, 4789),                      /* ..42 */                  \
	FB_VXLAN(flags, 0x00c0de),                /* ..50 */                  \
	FB_IETH(0x0800),                          /* ..64 */                  \
	FB_IPV4(6, 5, 0, 2, I4A, I4B),            /* ..84 */                  \
	FB_TCP(1000, 80, 0x10, 5),                /* ..104 */                 \
	FB_DATA(10),                              /* ..114 */                 \
	FB_DONE
#define VXLAN_BAD_FLAGS(fl)                                                   \
	{ .name = "vxlan_bad_flags_" #fl,                                     \
	  .steps = FB_RECIPE(VXLAN_STEPS(fl, 5000)),                          \
	  .want = { OUTER4(17, 114), XE_PORTS(5000, 4789),                    \
		    .encap_mask = BIT(VXLAN),                                 \
		    .encap_err = SL_ENCAP_ERR_VXLAN_BAD_FLAGS } }

/* GENEVE version ver with 2 option words, IPv4 inside: 98 bytes. A
 * checkpoint edit for the GENEVE header goes between head and tail. */
#define GENEVE4_HEAD(ver)                                                     \
	FB_ETH(0x0800),                           /* 0..14 */                 \
	FB_IPV4(17, 5, 0, 1, V4A, V4B),           /* ..34 */                  \
	FB_UDP(999, 6081),                        /* ..42 */                  \
	FB_GENEVE(ver, 2, 0x0800, 77)             /* ..58 */
#define GENEVE4_TAIL                                                          \
	FB_IPV4(6, 5, 0, 2, I4A, I4B),            /* ..78 */                  \
	FB_TCP(1, 2, 0x02, 5),                    /* ..98 */                  \
	FB_DONE
#define GENEVE_BAD_VERSION(v)                                                 \
	{ .name = "geneve_bad_version_" #v,                                   \
	  .steps = FB_RECIPE(GENEVE4_HEAD(v), GENEVE4_TAIL),                  \
	  .want = { OUTER4(17, 98), XE_PORTS(999, 6081),                      \
		    .encap_mask = BIT(GENEVE),                                \
		    .encap_err = SL_ENCAP_ERR_GENEVE_BAD_VERSION } }

/* GRE with a key, IPv4 inside: 82 bytes. */
#define GRE_K_HEAD                                                            \
	FB_ETH(0x0800),                           /* 0..14 */                 \
	FB_IPV4(47, 5, 0, 1, V4A, V4B),           /* ..34 */                  \
	FB_GRE(FB_GRE_K, 0x0800, 0xfeedface)      /* ..42 */
#define GRE_K_TAIL                                                            \
	FB_IPV4(6, 5, 0, 2, I4A, I4B),            /* ..62 */                  \
	FB_TCP(1, 2, 0x02, 5),                    /* ..82 */                  \
	FB_DONE
/* Version 1 (PPTP): identified, not walked, no error. */
#define GRE_VERSION(v)                                                        \
	{ .name = "gre_version_" #v,                                          \
	  .steps = FB_RECIPE(                                                 \
		  GRE_K_HEAD,                                                 \
		  FB_CK_STOP(38, (v) == 1 ? 0 : SL_ENCAP_ERR_GRE_BAD_VERSION), \
		  GRE_K_TAIL, FB_POKE8(35, v)),                               \
	  .want = { OUTER4(47, 82), .encap_mask = BIT(GRE),                   \
		    .encap_err = (v) == 1 ? 0 : SL_ENCAP_ERR_GRE_BAD_VERSION } }

/* ERSPAN II (GRE 0x88be) or III (0x22eb) with a bad version. */
#define ERSPAN_BAD_VERSION(t, v, ptype, erspan, len)                          \
	{ .name = "erspan" #t "_bad_version_" #v,                             \
	  .steps = FB_RECIPE(FB_ETH(0x0800), FB_IPV4(47, 5, 0, 1, V4A, V4B),  \
			     FB_GRE(FB_GRE_S, ptype, 0), erspan,              \
			     FB_IETH(0x0800), FB_IPV4(6, 5, 0, 2, I4A, I4B),  \
			     FB_TCP(1, 2, 0x02, 5), FB_DONE),                 \
	  .want = { OUTER4(47, len), .encap_mask = BIT(GRE) | BIT(ERSPAN##t),  \
		    .encap_err = SL_ENCAP_ERR_ERSPAN_BAD_VERSION } }

/* MPLS label i of a stack with no bottom of stack among the first 8. */
#define MPLS_LABEL(i) FB_U32((200u + (i)) << 12 | 0x040)
#define MPLS_LABEL_BOS(i) FB_U32((200u + (i)) << 12 | 0x140)
#define MPLS_8_LABELS                                                         \
	MPLS_LABEL(0), MPLS_LABEL(1), MPLS_LABEL(2), MPLS_LABEL(3),           \
	MPLS_LABEL(4), MPLS_LABEL(5), MPLS_LABEL(6), MPLS_LABEL(7)
/* More labels than SL_MAX_MPLS_LABELS without bottom of stack: too deep,
 * whatever follows. */
#define MPLS_TOO_DEEP(more, ...)                                              \
	{ .name = "mpls_too_deep_" #more,                                     \
	  .steps = FB_RECIPE(FB_ETH(0x8847), FB_TUN_ON(BIT(MPLS)),            \
			     FB_CK_ADD(14 + 4 * SL_MAX_MPLS_LABELS,           \
				       SL_ENCAP_ERR_MPLS_TRUNCATED),          \
			     FB_CK_STOP(14 + 4 * SL_MAX_MPLS_LABELS,          \
					SL_ENCAP_ERR_MPLS_TOO_DEEP),          \
			     MPLS_8_LABELS, __VA_ARGS__, FB_DATA(30)),        \
	  .want = { .ethertype = 0x8847, .encap_mask = BIT(MPLS),             \
		    .encap_err = SL_ENCAP_ERR_MPLS_TOO_DEEP } }

/* PPPoE with a bad version/type byte. */
#define PPPOE_BAD_VERSION(b)                                                  \
	{ .name = "pppoe_bad_version_" #b,                                    \
	  .steps = FB_RECIPE(FB_ETH(0x8864),                                  \
			     FB_PPPOE(0x0021),            /* 14..22 */        \
			     FB_CK_STOP(20, SL_ENCAP_ERR_PPPOE_BAD_VERSION),  \
			     FB_IPV4(6, 5, 0, 1, I4A, I4B),                   \
			     FB_TCP(1, 2, 0x02, 5), FB_DONE,                  \
			     FB_POKE8(14, b)),                                \
	  .want = { .ethertype = 0x8864, .encap_mask = BIT(PPPOE),            \
		    .encap_err = SL_ENCAP_ERR_PPPOE_BAD_VERSION } }

/* Inner IPv4 after GRE, 78 bytes, refused as bad (by a patch after). */
#define GRE_INNER4_BAD_STEPS                                                  \
	FB_ETH(0x0800), FB_IPV4(47, 5, 0, 1, V4A, V4B), FB_GRE(0, 0x0800, 0), \
	FB_IPV4(6, 5, 0, 2, I4A, I4B),            /* 38..58 */                \
	FB_CK_STOP(58, SL_ENCAP_ERR_INNER_L3_BAD),                            \
	FB_CK_ERR(SL_ENCAP_ERR_INNER_L3_TRUNCATED),                           \
	FB_TCP(1, 2, 0x02, 5), FB_DONE

/* First fragment (MF) of a GRE datagram with key and sequence number. */
#define GRE_FRAG_STEPS                                                        \
	FB_ETH(0x0800),                                                       \
	FB_IPV4(47, 5, 0x2000, 0x4243, V4A, V4B), /* 14..34 */                \
	FB_GRE(FB_GRE_K | FB_GRE_S, 0x0800, 99),  /* ..46 */                  \
	FB_IPV4(17, 5, 0, 1, I4A, I4B),           /* ..66 */                  \
	FB_UDP(1, 2),                             /* ..74 */                  \
	FB_DONE

/* Malformed tunnels, depth limits and fragments carrying tunnels. */
static const struct prow encap_rows[] = {
	GRE_CKS(0, "00"), GRE_CKS(1, "80"), GRE_CKS(2, "20"),
	GRE_CKS(3, "a0"), GRE_CKS(4, "10"), GRE_CKS(5, "90"),
	GRE_CKS(6, "30"), GRE_CKS(7, "b0"),
	VXLAN_BAD_FLAGS(0x00), VXLAN_BAD_FLAGS(0x80), VXLAN_BAD_FLAGS(0xf7),
	VXLAN_BAD_FLAGS(0x04), VXLAN_BAD_FLAGS(0x01),
	/* Other flag bits do not matter when I is set. */
	{
		.name = "vxlan_other_flags",
		.eth = 1,
		.check = ROW_FULL,
		.steps = FB_RECIPE(VXLAN_STEPS(0xff, 5000)),
		.fields = PF(ERR) | PF(ENCAP_ERR) | PF(N_ENCAP) | PF(L3_OFF),
		.want = { .n_encap = 1, .l3_off = 64 },
	},
	GENEVE_BAD_VERSION(1), GENEVE_BAD_VERSION(2), GENEVE_BAD_VERSION(3),
	/* Options longer than the datagram: 63 words = 252 bytes. */
	{
		.name = "geneve_opt_len",
		.steps = FB_RECIPE(
			GENEVE4_HEAD(0),
			FB_CK_STOP(50, SL_ENCAP_ERR_GENEVE_BAD_OPT_LEN),
			GENEVE4_TAIL,
			FB_POKE8(42, 63)),
		.want = { OUTER4(17, 98), XE_PORTS(999, 6081),
			  .encap_mask = BIT(GENEVE),
			  .encap_err = SL_ENCAP_ERR_GENEVE_BAD_OPT_LEN },
	},
	/* The same options within a datagram longer than the capture
	 * (snaplen): only cut. */
	{
		.name = "geneve_opt_len_snaplen",
		.eth = 1,
		.check = ROW_FULL,
		.steps = FB_RECIPE(GENEVE4_HEAD(0), GENEVE4_TAIL,
				   FB_POKE8(42, 63), FB_POKE16(16, 1400)),
		.fields = PF(ENCAP_ERR) | PF(L3_OFF),
		.want = { .encap_err = SL_ENCAP_ERR_GENEVE_TRUNCATED,
			  .l3_off = 14 },
	},
	/* Options ending exactly at the end of the datagram ((98 - 50) / 4
	 * words): nothing left for the inner IPv4 header. */
	{
		.name = "geneve_opts_to_end",
		.eth = 1,
		.check = ROW_FULL,
		.frame_len = 98,
		.steps = FB_RECIPE(GENEVE4_HEAD(0), GENEVE4_TAIL,
				   FB_POKE8(42, (98 - 50) / 4)),
		.fields = PF(ERR) | PF(ENCAP_ERR) | PF(TUNNEL_ID) | PF(L3_OFF),
		.want = { .encap_err = SL_ENCAP_ERR_INNER_L3_TRUNCATED,
			  .tunnel_id = 77, .l3_off = 14 },
	},
	/* Unknown protocol type: identified, not walked, no error. */
	{
		.name = "geneve_unknown_type",
		.steps = FB_RECIPE(GENEVE4_HEAD(0), FB_CK_HALT, GENEVE4_TAIL,
				   FB_POKE16(44, 0x8847)),
		.want = { OUTER4(17, 98), XE_PORTS(999, 6081),
			  .encap_mask = BIT(GENEVE),
			  XE_TID(SL_TUNID_GENEVE_VNI, 77) },
	},
	GRE_VERSION(1), GRE_VERSION(2), GRE_VERSION(3), GRE_VERSION(4),
	GRE_VERSION(5), GRE_VERSION(6), GRE_VERSION(7),
	/* Routing present (RFC 1701): not walked. */
	{
		.name = "gre_routing",
		.steps = FB_RECIPE(GRE_K_HEAD,
				   FB_CK_STOP(38, SL_ENCAP_ERR_GRE_ROUTING),
				   GRE_K_TAIL,
				   FB_POKE8(34, FB_GRE_K | FB_GRE_R)),
		.want = { OUTER4(47, 82), .encap_mask = BIT(GRE),
			  .encap_err = SL_ENCAP_ERR_GRE_ROUTING },
	},
	/* Unknown protocol type (PPP): the key is still recorded. */
	{
		.name = "gre_unknown_type",
		.steps = FB_RECIPE(GRE_K_HEAD, FB_CK_HALT, GRE_K_TAIL,
				   FB_POKE16(36, 0x880b)),
		.want = { OUTER4(47, 82), .encap_mask = BIT(GRE),
			  XE_TID(SL_TUNID_GRE_KEY, 0xfeedface) },
	},
	ERSPAN_BAD_VERSION(2, 0, 0x88be, FB_ERSPAN2(0, 5), 104),
	ERSPAN_BAD_VERSION(2, 2, 0x88be, FB_ERSPAN2(2, 5), 104),
	ERSPAN_BAD_VERSION(2, 15, 0x88be, FB_ERSPAN2(15, 5), 104),
	ERSPAN_BAD_VERSION(3, 0, 0x22eb, FB_ERSPAN3(0, 5, 0), 108),
	ERSPAN_BAD_VERSION(3, 1, 0x22eb, FB_ERSPAN3(1, 5, 0), 108),
	ERSPAN_BAD_VERSION(3, 3, 0x22eb, FB_ERSPAN3(3, 5, 0), 108),
	/* Type III frame type other than Ethernet: recorded, not walked. */
	{
		.name = "erspan3_ft_ip",
		.steps = FB_RECIPE(
			FB_ETH(0x0800),
			FB_IPV4(47, 5, 0, 1, V4A, V4B),
			FB_GRE(FB_GRE_S, 0x22eb, 0),    /* 34..42 */
			FB_ERSPAN3(2, 5, 0),            /* ..54 */
			FB_CK_HALT,
			FB_DATA(40),
			FB_DONE,
			FB_POKE8(52, 0x8b)),            /* FT 2 (IP) */
		.want = { OUTER4(47, 94),
			  .encap_mask = BIT(GRE) | BIT(ERSPAN3),
			  XE_TID(SL_TUNID_ERSPAN_ID, 5) },
	},
	/* SL_MAX_MPLS_LABELS labels are fine. */
	{
		.name = "mpls_8_labels",
		.steps = FB_RECIPE(
			FB_ETH(0x8847),                 /* 0..14 */
			FB_MPLS(SL_MAX_MPLS_LABELS, FB_MPLS_IP), /* ..46 */
			FB_IPV4(17, 5, 0, 1, I4A, I4B), /* ..66 */
			FB_UDP(1, 2),                   /* ..74 */
			FB_DONE),
		.want = { XE_IP4(46, 17, I4A, I4B), XE_L4(66, 8),
			  XE_PORTS(1, 2), XE_ENCAP(1, BIT(MPLS), 46) },
	},
	MPLS_TOO_DEEP(1, MPLS_LABEL_BOS(8)),
	MPLS_TOO_DEEP(2, MPLS_LABEL(8), MPLS_LABEL_BOS(9)),
	/* Pseudowire frame without mpls_pw: nibble 0 is not walked, decided
	 * on the first payload byte. */
	{
		.name = "mpls_pw_off",
		.steps = FB_RECIPE(
			FB_ETH(0x8847),                 /* 0..14 */
			FB_MPLS(2, FB_MPLS_PW),         /* ..22, CW ..26 */
			FB_CK_HALT,
			FB_CK_NEED(23),
			FB_IETH(0x0800),                /* ..40 */
			FB_IPV4(6, 5, 0, 18, I4A, I4B), /* ..60 */
			FB_TCP(7, 8, 0x02, 5),          /* ..80 */
			FB_DONE),
		.want = { .ethertype = 0x8847, .encap_mask = BIT(MPLS) },
	},
	/* mpls_pw does not change IP payloads. */
	{
		.name = "mpls_pw_on_ip",
		.mpls_pw = 1,
		.steps = FB_RECIPE(MPLS3_IPV6_STEPS),
		.want = { MPLS3_IPV6_WANT },
	},
	PPPOE_BAD_VERSION(0x12), PPPOE_BAD_VERSION(0x21),
	PPPOE_BAD_VERSION(0x00), PPPOE_BAD_VERSION(0x22),
	PPPOE_BAD_VERSION(0xff),
	/* The PPPoE length bounds the payload: not even the PPP protocol ... */
	{
		.name = "pppoe_len_1",
		.eth = 1,
		.check = ROW_FULL,
		.steps = FB_RECIPE(PPPOE_IPV4_STEPS, FB_POKE16(18, 1)),
		.want = { .ethertype = 0x8864, .encap_mask = BIT(PPPOE),
			  .encap_err = SL_ENCAP_ERR_PPPOE_TRUNCATED },
	},
	/* ... the IPv4 header cut at 19 bytes ... */
	{
		.name = "pppoe_len_21",
		.eth = 1,
		.check = ROW_FULL,
		.steps = FB_RECIPE(PPPOE_IPV4_STEPS, FB_POKE16(18, 2 + 19)),
		.want = { .ethertype = 0x8864, .encap_mask = BIT(PPPOE),
			  .encap_err = SL_ENCAP_ERR_INNER_L3_TRUNCATED },
	},
	/* ... TCP cut at 10 bytes: an inner L4 error. */
	{
		.name = "pppoe_len_32",
		.eth = 1,
		.check = ROW_FULL,
		.steps = FB_RECIPE(PPPOE_IPV4_STEPS, FB_POKE16(18, 2 + 30)),
		.want = { XE_IP4(22, 6, I4A, I4B), XE_L4(42, 10),
			  XE_ENCAP(1, BIT(PPPOE), 22),
			  .err = SL_PARSE_ERR_L4_TRUNCATED },
	},
	/* Three inner tags. */
	{
		.name = "inner_vlan_too_deep",
		.steps = FB_RECIPE(
			FB_ETH(0x0800),
			FB_IPV4(17, 5, 0, 1, V4A, V4B), /* 14..34 */
			FB_UDP(7, 4789),                /* ..42 */
			FB_VXLAN(0x08, 3),              /* ..50 */
			FB_IETH(0x8100),                /* ..64 */
			FB_VLAN(1, 0x88a8),             /* ..68 */
			FB_VLAN(2, 0x8100),             /* ..72 */
			FB_CK_ADD(72, 0),
			FB_CK_STOP(72, SL_ENCAP_ERR_INNER_VLAN_TOO_DEEP),
			FB_U16(3),
			FB_U16(0x0800),
			FB_DATA(40),
			FB_DONE),
		.want = { OUTER4(17, 116), XE_PORTS(7, 4789),
			  .encap_mask = BIT(VXLAN),
			  XE_TID(SL_TUNID_VXLAN_VNI, 3),
			  .encap_err = SL_ENCAP_ERR_INNER_VLAN_TOO_DEEP },
	},
	/* GRE says IPv4, an IPv6 header follows. */
	{
		.name = "inner_l3_version",
		.steps = FB_RECIPE(
			FB_ETH(0x0800),
			FB_IPV4(47, 5, 0, 1, V4A, V4B), /* 14..34 */
			FB_GRE(0, 0x0800, 0),           /* ..38 */
			FB_IPV6(6, I6A, I6B),           /* ..78 */
			FB_CK_STOP(58, SL_ENCAP_ERR_INNER_L3_BAD),
			FB_CK_ERR(SL_ENCAP_ERR_INNER_L3_TRUNCATED),
			FB_TCP(1, 2, 0x02, 5),
			FB_DONE),
		.want = { OUTER4(47, 98), .encap_mask = BIT(GRE),
			  .encap_err = SL_ENCAP_ERR_INNER_L3_BAD },
	},
	/* Inner IPv4 with IHL 4, or total length below its header. */
	{
		.name = "inner_l3_bad_ihl",
		.steps = FB_RECIPE(GRE_INNER4_BAD_STEPS, FB_POKE8(38, 0x44)),
		.want = { OUTER4(47, 78), .encap_mask = BIT(GRE),
			  .encap_err = SL_ENCAP_ERR_INNER_L3_BAD },
	},
	{
		.name = "inner_l3_bad_total_len",
		.steps = FB_RECIPE(GRE_INNER4_BAD_STEPS, FB_POKE16(40, 19)),
		.want = { OUTER4(47, 78), .encap_mask = BIT(GRE),
			  .encap_err = SL_ENCAP_ERR_INNER_L3_BAD },
	},
	/* Inner TCP with a bad data offset: an inner L4 error, reported in
	 * err with the inner fields. */
	{
		.name = "inner_tcp_doff",
		.eth = 1,
		.check = ROW_FULL,
		.steps = FB_RECIPE(GRE_IPV4_STEPS, FB_POKE8(70, 0x40)),
		.want = { XE_IP4(38, 6, I4A, I4B), XE_L4(58, 24),
			  XE_ENCAP(1, BIT(GRE), 38),
			  .err = SL_PARSE_ERR_TCP_BAD_DATA_OFFSET },
	},
	/* max_depth 3 removes all three layers (also tunnel_nested3). */
	{
		.name = "nested_depth3",
		.check = ROW_FULL,
		.frame_len = 180,
		.steps = FB_RECIPE(NESTED_HEAD, NESTED3_TAIL),
		.want = { NESTED3_WANT },
	},
	/* max_depth 2: the flow of C, the VXLAN after it refused. */
	{
		.name = "nested_depth2",
		DEPTH(2),
		.check = ROW_FULL,
		.steps = FB_RECIPE(NESTED_HEAD, NESTED3_TAIL),
		.want = { XE_IP4(88, 17, J4A, J4B), XE_L4(108, 72),
			  XE_PORTS(2222, 4789),
			  XE_ENCAP(2, BIT(GRE) | BIT(VXLAN), 74),
			  XE_TID(SL_TUNID_VXLAN_VNI, 1),
			  .encap_err = SL_ENCAP_ERR_TOO_DEEP },
	},
	/* max_depth 1: the flow of B; the first VXLAN header not read. */
	{
		.name = "nested_depth1",
		DEPTH(1),
		.check = ROW_FULL,
		.steps = FB_RECIPE(NESTED_HEAD, NESTED3_TAIL),
		.want = { XE_IP4(38, 17, I4A, I4B), XE_L4(58, 122),
			  XE_PORTS(1111, 4789),
			  XE_ENCAP(1, BIT(GRE) | BIT(VXLAN), 38),
			  .encap_err = SL_ENCAP_ERR_TOO_DEEP },
	},
	/* max_depth 0: no decapsulation at all. */
	{
		.name = "nested_depth0",
		DEPTH(0),
		.check = ROW_FULL,
		.steps = FB_RECIPE(NESTED_HEAD, NESTED3_TAIL),
		.want = { OUTER4(47, 180) },
	},
	/* Four layers at max_depth 3: the flow of D, IP-in-IP refused ... */
	{
		.name = "nested4_depth3",
		DEPTH(3),
		.check = ROW_FULL,
		.steps = FB_RECIPE(NESTED_HEAD, NESTED4_TAIL),
		.want = { XE_IP4(138, 4, K4A, K4B), XE_L4(158, 42),
			  XE_ENCAP(3, BIT(GRE) | BIT(VXLAN) | BIT(IPIP), 124),
			  XE_TID(SL_TUNID_VXLAN_VNI, 1),
			  .encap_err = SL_ENCAP_ERR_TOO_DEEP },
	},
	/* ... which is the default ... */
	{
		.name = "nested4_default",
		.eth = 1,
		.check = ROW_FULL,
		.steps = FB_RECIPE(NESTED_HEAD, NESTED4_TAIL),
		.want = { XE_IP4(138, 4, K4A, K4B), XE_L4(158, 42),
			  XE_ENCAP(3, BIT(GRE) | BIT(VXLAN) | BIT(IPIP), 124),
			  XE_TID(SL_TUNID_VXLAN_VNI, 1),
			  .encap_err = SL_ENCAP_ERR_TOO_DEEP },
	},
	/* ... and max_depth 4 reaches E, */
	{
		.name = "nested4_depth4",
		DEPTH(4),
		.steps = FB_RECIPE(NESTED_HEAD, NESTED4_TAIL),
		.want = { XE_IP4(158, 6, L4A, L4B), XE_L4(178, 22),
			  XE_PORTS(3333, 80), .tcp_flags = 0x18,
			  XE_ENCAP(4, BIT(GRE) | BIT(VXLAN) | BIT(IPIP), 158),
			  XE_TID(SL_TUNID_VXLAN_VNI, 1) },
	},
	/* as does the largest max_depth. */
	{
		.name = "nested4_depth255",
		DEPTH(255),
		.check = ROW_FULL,
		.steps = FB_RECIPE(NESTED_HEAD, NESTED4_TAIL),
		.want = { XE_IP4(158, 6, L4A, L4B), XE_L4(178, 22),
			  XE_PORTS(3333, 80), .tcp_flags = 0x18,
			  XE_ENCAP(4, BIT(GRE) | BIT(VXLAN) | BIT(IPIP), 158),
			  XE_TID(SL_TUNID_VXLAN_VNI, 1) },
	},
	/* Non-first fragment of a GRE datagram: no tunnel header in it. */
	{
		.name = "frag_nonfirst_gre",
		.eth = 1,
		.check = ROW_FULL,
		.steps = FB_RECIPE(
			FB_ETH(0x0800),
			FB_IPV4(47, 5, 0x2000 | 10, 0x4242, V4A, V4B),
			FB_U8(0),
			FB_U8(0),
			FB_U16(0x0800),         /* looks like GRE, is not */
			FB_DATA(40),
			FB_DONE),
		.want = { .ethertype = 0x0800, XE_IPV4(14, 47),
			  XE_FRAG(FRAG_MORE, 80, 0x4242) },
	},
	/* First fragment holding the whole GRE header and inner packet. */
	{
		.name = "frag_first_gre",
		.eth = 1,
		.check = ROW_FULL,
		.steps = FB_RECIPE(GRE_FRAG_STEPS),
		.want = { XE_IP4(46, 17, I4A, I4B), XE_L4(66, 8),
			  XE_PORTS(1, 2), XE_ENCAP(1, BIT(GRE), 46),
			  XE_TID(SL_TUNID_GRE_KEY, 99) },
	},
	/* First fragment ending inside the GRE header: the carrier's flow,
	 * no error ... */
	{
		.name = "frag_first_gre_cut",
		.eth = 1,
		.check = ROW_FULL,
		.steps = FB_RECIPE(GRE_FRAG_STEPS, FB_POKE16(16, 20 + 6)),
		.want = { .ethertype = 0x0800, XE_IPV4(14, 47), XE_L4(34, 6),
			  XE_FRAG(FRAG_FIRST_MORE, 0, 0x4243),
			  .encap_mask = BIT(GRE) },
	},
	/* ... the same cut in a whole datagram is gre_truncated. */
	{
		.name = "whole_gre_cut",
		.eth = 1,
		.check = ROW_FULL,
		.steps = FB_RECIPE(GRE_FRAG_STEPS, FB_POKE16(16, 20 + 6),
				   FB_POKE16(20, 0)),
		.want = { .ethertype = 0x0800, XE_IPV4(14, 47), XE_L4(34, 6),
			  .encap_mask = BIT(GRE),
			  .encap_err = SL_ENCAP_ERR_GRE_TRUNCATED },
	},
	/* First fragment ending inside the VXLAN header. */
	{
		.name = "frag_first_vxlan_cut",
		.eth = 1,
		.check = ROW_FULL,
		.steps = FB_RECIPE(VXLAN_STEPS(0x08, 4000),
				   FB_POKE16(20, 0x2000),
				   FB_POKE16(16, 20 + 8 + 4)),
		.want = { .ethertype = 0x0800, XE_IPV4(14, 17), XE_L4(34, 12),
			  XE_PORTS(4000, 4789), XE_FRAG(FRAG_FIRST_MORE, 0, 1),
			  .encap_mask = BIT(VXLAN) },
	},
	/* First fragment ending inside GENEVE options: cut, not malformed
	 * ... */
	{
		.name = "frag_first_geneve_cut",
		.eth = 1,
		.check = ROW_FULL,
		.steps = FB_RECIPE(GENEVE4_HEAD(0), GENEVE4_TAIL,
				   FB_POKE16(20, 0x2000),
				   FB_POKE16(16, 20 + 8 + 8 + 4)),
		.want = { .ethertype = 0x0800, XE_IPV4(14, 17), XE_L4(34, 20),
			  XE_PORTS(999, 6081), XE_FRAG(FRAG_FIRST_MORE, 0, 1),
			  .encap_mask = BIT(GENEVE) },
	},
	/* ... while in a whole datagram the options pass its end. */
	{
		.name = "whole_geneve_opts_past_end",
		.eth = 1,
		.check = ROW_FULL,
		.steps = FB_RECIPE(GENEVE4_HEAD(0), GENEVE4_TAIL,
				   FB_POKE16(20, 0),
				   FB_POKE16(16, 20 + 8 + 8 + 4)),
		.want = { .ethertype = 0x0800, XE_IPV4(14, 17), XE_L4(34, 20),
			  XE_PORTS(999, 6081), .encap_mask = BIT(GENEVE),
			  .encap_err = SL_ENCAP_ERR_GENEVE_BAD_OPT_LEN },
	},
	/* IPv6 non-first fragment carrying IPv4-in-IPv6: not walked. */
	{
		.name = "frag6_nonfirst_ipip",
		.eth = 1,
		.check = ROW_FULL,
		.steps = FB_RECIPE(
			FB_ETH(0x86dd),
			FB_IPV6(44, V6A, V6B),
			FB_FRAG6(4, 1280, 0, 7),
			FB_DATA(40),
			FB_DONE),
		.want = { .ethertype = 0x86dd, XE_IPV6(14, 4, 1),
			  XE_FRAG(FRAG_LAST, 1280, 7) },
	},
};

/* The tables, in the order they run; a test's name is prefix_rowname. */
static const struct ptable {
	const char *prefix;
	const struct prow *rows;
	size_t n;
} tables[] = {
	{ "valid", valid_rows, ARRAY_LEN(valid_rows) },
	{ "tunnel", tunnel_rows, ARRAY_LEN(tunnel_rows) },
	{ "malformed", malformed_rows, ARRAY_LEN(malformed_rows) },
	{ "encap", encap_rows, ARRAY_LEN(encap_rows) },
};

/* A row of one of the tables, for cmocka's initial state. */
struct row_test {
	const struct prow *row;
	char name[64];
};

static void
test_row(void **state)
{
	const struct row_test *t = *state;

	run_row(t->row, t->name);
}

/* The row called name in rows[0..n-1] (a test fails if there is none). */
static const struct prow *
find_row(const struct prow *rows, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(rows[i].name, name) == 0)
			return &rows[i];
	fail_msg("no row %s", name);
	return NULL;
}

/* ---- tunnels: every row without decapsulation -------------------------- */

/* max_depth 0: every tunnel row parses as its outer layers alone, at
 * every length (only VNTag, an L2 tag, is still walked). A function over
 * the tunnel table, not rows: its expected results are the rows' own. */
static void
test_tun_depth0(void **state)
{
	struct sl_pkt_info ref0, pi, e;
	struct sl_parse_cfg cfg;
	struct fb_frame f;

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(tunnel_rows); i++) {
		row_cfg(&tunnel_rows[i], &cfg);
		fb_build(&f, tunnel_rows[i].steps);
		cfg.max_depth = 0;
		outer_ref(&f, &ref0);
		for (uint32_t n = 0; n <= f.len; n++) {
			parse_copy_cfg(&cfg, f.b, n, &pi);
			expect_cut(&f, &ref0, n, &e);
			check_pi(&pi, &e, tunnel_rows[i].name, n);
		}
	}
}

/* All eight C/K/S combinations of GRE carrying IPv6. */

/* ---- ICMP port equivalents ---------------------------------------------- */

static void
build_icmp(struct fb_frame *f, int v6, uint8_t type, uint8_t code, int reverse)
{
	fb_eth(f, v6 ? 0x86dd : 0x0800);
	if (v6)
		fb_ipv6(f, 58, reverse ? FB_V6B : FB_V6A,
			reverse ? FB_V6A : FB_V6B);
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

/* ---- ICMP errors take the flow they report on ---------------------------- */

/*
 * An ICMP error from router R to host A about A's packet to B: the outer
 * header's addresses are R and A; the embedded packet's are A and B. The
 * parse must describe the embedded packet reversed (B:dport -> A:sport), so
 * that the error falls in the flow of A's packet.
 */
static uint32_t
build_icmp_error(struct fb_frame *f, int v6, uint8_t type, uint8_t eproto, int later_frag,
		 int hbh)
{
	static const uint8_t R4[4] = { 203, 0, 113, 9 };
	static const uint8_t R6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
					0, 0, 0, 0, 0, 0, 0, 0x99 };
	uint32_t emb;

	fb_eth(f, v6 ? 0x86dd : 0x0800);
	if (v6)
		fb_ipv6(f, 58, R6, FB_V6A);
	else
		fb_ipv4(f, 1, 5, 0, 7, R4, FB_V4A);
	fb_icmp(f, type, 0);          /* 8 bytes: type, code, checksum, unused */
	emb = f->len;
	if (v6) {
		fb_u32(f, 0x60000000);   /* version 6 */
		fb_u16(f, 64);           /* payload length (as sent) */
		fb_u8(f, hbh ? 0 : (later_frag ? 44 : eproto));
		fb_u8(f, 64);
		fb_put(f, FB_V6A, 16);
		fb_put(f, FB_V6B, 16);
		if (hbh) {               /* hop-by-hop, 8 bytes */
			fb_u8(f, later_frag ? 44 : eproto);
			fb_u8(f, 0);
			fb_fill(f, 6, 0);
		}
		if (later_frag) {        /* fragment header, offset 8 */
			fb_u8(f, eproto);
			fb_u8(f, 0);
			fb_u16(f, 8 << 3);
			fb_u32(f, 77);
		}
	} else {
		fb_u8(f, 0x45);
		fb_u8(f, 0);
		fb_u16(f, 84);
		fb_u16(f, 1);
		fb_u16(f, later_frag ? 0x0001 : 0); /* fragment offset 8 bytes */
		fb_u8(f, 64);
		fb_u8(f, eproto);
		fb_u16(f, 0);
		fb_put(f, FB_V4A, 4);
		fb_put(f, FB_V4B, 4);
	}
	if (eproto == 1 || eproto == 58) {
		fb_u8(f, eproto == 1 ? 8 : 128); /* echo request */
		fb_u8(f, 0);
		fb_fill(f, 6, 0);
	} else {
		fb_u16(f, 1234);
		fb_u16(f, 80);
		fb_fill(f, 4, 0);        /* the 8 bytes RFC 792 guarantees */
	}
	/* outer lengths are not checked against the embedded packet's */
	fb_done(f);
	return emb;
}

static void
test_icmp_errors(void **state)
{
	static const uint8_t types[2][5] = { { 3, 4, 5, 11, 12 }, { 1, 2, 3, 4, 1 } };
	static const uint8_t eprotos[2][4] = { { 6, 17, 132, 1 }, { 6, 17, 132, 58 } };
	struct sl_pkt_info pi;
	struct fb_frame f;

	(void)state;
	for (int v6 = 0; v6 < 2; v6++)
		for (int t = 0; t < 5; t++)
			for (int p = 0; p < 4; p++)
				for (int hbh = 0; hbh <= v6; hbh++) {
		uint8_t ep = eprotos[v6][p];
		uint32_t emb = build_icmp_error(&f, v6, types[v6][t], ep, 0, hbh);

		assert_int_equal(parse_copy(f.b, f.len, &pi), SL_PARSE_OK);
		assert_int_equal(pi.icmp_err, 1);
		assert_int_equal(pi.proto, ep);
		assert_int_equal(pi.has_ports, 1);
		/* reversed: from B back to A */
		assert_memory_equal(pi.src, v6 ? FB_V6B : FB_V4B, v6 ? 16 : 4);
		assert_memory_equal(pi.dst, v6 ? FB_V6A : FB_V4A, v6 ? 16 : 4);
		if (ep == 1 || ep == 58) {
			/* the echo request's pair, reversed */
			assert_int_equal(pi.sport, ep == 1 ? 0 : 129);
			assert_int_equal(pi.dport, ep == 1 ? 8 : 128);
		} else {
			assert_int_equal(pi.sport, 80);
			assert_int_equal(pi.dport, 1234);
		}
		assert_int_equal(pi.tcp_flags, 0);
		/* every cut: the embedded flow when its tuple is all there,
		 * else the error's own type pair, and never more */
		uint32_t l4 = emb + (v6 ? 40 + 8 * hbh : 20);
		uint32_t need = l4 + ((ep == 1 || ep == 58) ? 2 : 4);
		for (uint32_t cut = emb; cut < f.len; cut++) {
			assert_int_equal(parse_copy(f.b, cut, &pi), SL_PARSE_OK);
			assert_int_equal(pi.icmp_err, cut >= need);
			if (cut < need) {
				assert_int_equal(pi.proto, v6 ? 58 : 1);
				assert_int_equal(pi.sport, types[v6][t]);
			}
		}
	}
	/* an embedded later fragment: no ports, the addresses still count */
	for (int v6 = 0; v6 < 2; v6++) {
		build_icmp_error(&f, v6, v6 ? 3 : 11, 17, 1, 0);
		assert_int_equal(parse_copy(f.b, f.len, &pi), SL_PARSE_OK);
		assert_int_equal(pi.icmp_err, 1);
		assert_int_equal(pi.has_ports, 0);
		assert_int_equal(pi.sport + pi.dport, 0);
		assert_int_equal(pi.proto, 17);
	}
	/* not errors: echo, and garbage after an unreachable */
	build_icmp_error(&f, 0, 8, 17, 0, 0);
	assert_int_equal(parse_copy(f.b, f.len, &pi), SL_PARSE_OK);
	assert_int_equal(pi.icmp_err, 0);
	assert_int_equal(pi.sport, 8);
	uint32_t emb = build_icmp_error(&f, 0, 3, 17, 0, 0);
	f.b[emb] = 0x65; /* not version 4 */
	assert_int_equal(parse_copy(f.b, f.len, &pi), SL_PARSE_OK);
	assert_int_equal(pi.icmp_err, 0);
	assert_int_equal(pi.sport, 3);
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
	row_build(find_row(valid_rows, ARRAY_LEN(valid_rows), "arp"), &f, &x);
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
	row_build(find_row(valid_rows, ARRAY_LEN(valid_rows), "ipv6_jumbo_udp"),
		  &f, &x);
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
		xe_ports(x, type,
			 (uint16_t)fb_icmp_peer(proto == 58, type, code));
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
			check_all_lengths_cfg(NULL, &f, &x, "roundtrip_cut");
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
			row_build(&valid_rows[rnd(&s) % ARRAY_LEN(valid_rows)],
				  &f, &x);
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
			row_build(&valid_rows[rnd(&s) % ARRAY_LEN(valid_rows)],
				  &f, &x);
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

/* ---- tunnels: properties ---------------------------------------------- */

/* AWS traffic mirroring: constant outer headers except the UDP source
 * port; the inner tuple must not depend on it. */
static void
test_vxlan_outer_sport(void **state)
{
	struct sl_pkt_info ref, pi;
	struct fb_frame f;
	uint64_t s = 0xa5a5a5a5deadbeefull;

	(void)state;
	fb_build(&f, FB_RECIPE(VXLAN_STEPS(0x08, 0)));
	assert_int_equal(parse_copy(f.b, f.len, &ref), SL_PARSE_OK);
	assert_int_equal(ref.n_encap, 1);
	assert_int_equal(ref.sport, 1000);
	assert_int_equal(ref.dport, 80);
	assert_memory_equal(ref.src, FB_I4A, 4);
	for (int i = 0; i < 2000; i++) {
		uint16_t sport = i < 3 ? (uint16_t)(i == 2 ? 65535 : i) :
					 (uint16_t)rnd(&s);

		const struct fb_step r[] = { VXLAN_STEPS(0x08, sport), FB_END };

		fb_build(&f, r);
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
	fb_build(&f, FB_RECIPE(VXLAN_STEPS(0x08, 1)));
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
	fb_build(&f, FB_RECIPE(VXLAN_STEPS(0x08, 1)));
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
	for (size_t i = 0; i < ARRAY_LEN(valid_rows); i++) {
		struct sl_pkt_info x;

		row_build(&valid_rows[i], &f, &x);
		parse_copy_cfg(&cfg, f.b, f.len, &pi);
		check_pi(&pi, &x, valid_rows[i].name, f.len);
	}
	/* GENEVE on a second port. */
	sl_parse_cfg_default(&cfg);
	fb_build(&f, FB_RECIPE(GENEVE4_HEAD(0), GENEVE4_TAIL));
	fb_wr16(f.b + 36, 6082);
	parse_copy_cfg(&cfg, f.b, f.len, &pi);
	assert_int_equal(pi.n_encap, 0);
	cfg.geneve_ports[1] = 6082;
	cfg.n_geneve_ports = 2;
	parse_copy_cfg(&cfg, f.b, f.len, &pi);
	assert_int_equal(pi.n_encap, 1);
	assert_int_equal(pi.encap_mask, BIT(GENEVE));
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
	assert_int_equal(sizeof(struct sl_pkt_info), 84);
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
		const struct prow *r =
			&tunnel_rows[rnd(&s) % ARRAY_LEN(tunnel_rows)];

		row_cfg(r, &cfg);
		row_build(r, &f, &x);
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
	/* Cases that are not one frame and one result (see the file
	 * comment): properties, name tables, settings, two-parse checks. */
	static const struct CMUnitTest funcs[] = {
		cmocka_unit_test(test_tun_depth0),
		cmocka_unit_test(test_icmp_counterparts),
		cmocka_unit_test(test_icmp_request_reply_swap),
		cmocka_unit_test(test_icmp_errors),
		cmocka_unit_test(test_err_names),
		cmocka_unit_test(test_result_overwritten),
		cmocka_unit_test(test_jumbo_large),
		cmocka_unit_test(test_random_valid_roundtrip),
		cmocka_unit_test(test_random_robustness),
		cmocka_unit_test(test_vxlan_outer_sport),
		cmocka_unit_test(test_cfg),
		cmocka_unit_test(test_encap_names),
		cmocka_unit_test(test_encap_robustness),
	};
	struct CMUnitTest *tests;
	struct row_test *rt;
	size_t n_rows = 0, k = 0;
	int rc;

	for (size_t t = 0; t < ARRAY_LEN(tables); t++)
		n_rows += tables[t].n;
	tests = calloc(n_rows + ARRAY_LEN(funcs), sizeof(*tests));
	rt = calloc(n_rows, sizeof(*rt));
	if (tests == NULL || rt == NULL)
		return 1;
	/* One cmocka test per row, named prefix_row. */
	for (size_t t = 0; t < ARRAY_LEN(tables); t++) {
		for (size_t i = 0; i < tables[t].n; i++, k++) {
			rt[k].row = &tables[t].rows[i];
			snprintf(rt[k].name, sizeof(rt[k].name), "%s_%s",
				 tables[t].prefix, tables[t].rows[i].name);
			tests[k].name = rt[k].name;
			tests[k].test_func = test_row;
			tests[k].initial_state = &rt[k];
		}
	}
	memcpy(tests + k, funcs, sizeof(funcs));
	rc = _cmocka_run_group_tests("test_parse", tests, k + ARRAY_LEN(funcs),
				     NULL, NULL);
	free(rt);
	free(tests);
	return rc;
}
