/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sl-gen output stage: IP fragmentation, fragment order, tunnel envelope and
 * pcap records.
 *
 * A built frame whose IP datagram fits in --fragment MTU (or any frame
 * without --fragment) is written as is. A larger one becomes a train of
 * fragments, each behind a copy of the frame's Ethernet header and tags:
 * IPv4 fragments copy the IP header and set MF and the offset, with DF
 * cleared; IPv6 fragments add a fragment header (next header of the
 * original, 32-bit identification from the generator). Fragment data is a
 * multiple of 8 bytes except in the last one; frames are not padded.
 *
 * --frag-overlap adds to every train one fragment of 8 bytes at the end of
 * the second-to-last fragment, with every byte inverted: it overlaps that
 * fragment by 8 bytes with different data (first-wins reassembly gives the
 * original datagram, last-wins does not).
 *
 * Trains are written at once, in the order --frag-order asks for, except
 * with interleave: fragmented datagrams are held, up to SL_GEN_FRAG_GROUP of
 * different flows, then written fragment k of each in turn. A full group, or
 * any frame of a flow that has a held train, writes the group first, so each
 * flow's records stay in order; unfragmented frames of other flows pass.
 *
 * Every record is then wrapped in the --vxlan or --gre envelope, if any,
 * whose headers are constant but for the lengths, the outer IPv4 checksum and
 * the VNI or key, and gets the next timestamp (1 us apart).
 */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "sl-gen.h"

#define ETH_P_IPV4 0x0800
#define ETH_P_TEB 0x6558 /* transparent Ethernet bridging */
#define VXLAN_PORT 4789
#define VXLAN_SRC_PORT 49152
#define VXLAN_FLAG_I 0x08
#define GRE_FLAG_K 0x2000
#define IPV4_DF 0x4000
#define IPV4_MF 0x2000
#define IPV6_FRAG_HDR_LEN 8
#define OUTER_IPV4_SRC 0xc000020au /* 192.0.2.10 */
#define OUTER_IPV4_DST 0xc0000214u /* 192.0.2.20 */
#define OUTER_TTL 64
#define VXLAN_OUTER_LEN (14 + 20 + 8 + 8)
#define GRE_OUTER_LEN (14 + 20 + 4 + 4)
#define OVERLAP_LEN 8

/* A train holds at most 17 fragments (an 8966-byte IP payload in 528-byte
 * steps, IPv6 at MTU 576) plus the overlap. */
#define SL_GEN_MAX_TRAIN 24
#define SL_GEN_FRAG_GROUP 4
_Static_assert((SL_GEN_MAX_FRAME - 14 - 20 + 527) / ((SL_GEN_MIN_FRAG_MTU - 48) & ~7) + 1 <
		       SL_GEN_MAX_TRAIN,
	       "SL_GEN_MAX_TRAIN too small for the largest frame at the smallest MTU");

/* Outer Ethernet: a fixed pair of locally administered addresses. */
static const uint8_t outer_macs[12] = {
	0x02, 0x73, 0x6c, 0x00, 0x00, 0x14, /* destination */
	0x02, 0x73, 0x6c, 0x00, 0x00, 0x0a, /* source */
};

/* One fragment: data [off, off + len) of the IP payload. */
struct fragment {
	uint16_t off;
	uint16_t len;
	bool more;
	bool overlap; /* --frag-overlap: the data inverted */
};

/* One fragmented datagram; frags[] in write order. */
struct train {
	const uint8_t *data; /* the whole frame */
	size_t l3_off;
	uint8_t family;
	uint32_t flow_id;
	uint32_t tunnel_id;
	uint32_t frag_id;
	unsigned int n;
	struct fragment frags[SL_GEN_MAX_TRAIN];
};

struct sl_gen_emitter {
	const struct sl_gen_opts *o;
	pcap_dumper_t *d;
	uint64_t idx;        /* records written: timestamp offset in us */
	size_t outer_len;    /* 0: no tunnel */
	unsigned int held;   /* interleave: trains waiting in group[] */
	struct train group[SL_GEN_FRAG_GROUP];
	uint8_t frames[SL_GEN_FRAG_GROUP][SL_GEN_BUF_SIZE];
	uint8_t out[VXLAN_OUTER_LEN + SL_GEN_BUF_SIZE];
};

/*
 * Plan the fragments of a datagram of dgram_len bytes into t[] in write order
 * (interleave: offset order). Returns their number, 0 if the datagram fits.
 */
static unsigned int
frag_plan(const struct sl_gen_opts *o, uint8_t family, size_t dgram_len, struct fragment *t)
{
	size_t hlen = family == 4 ? 20 : 40;
	size_t step, payload;
	unsigned int n = 0;

	if (o->frag_mtu == 0 || dgram_len <= o->frag_mtu)
		return 0;
	step = (o->frag_mtu - hlen - (family == 4 ? 0 : IPV6_FRAG_HDR_LEN)) & ~(size_t)7;
	payload = dgram_len - hlen;
	/* dgram_len > mtu >= 576 makes payload > step: two fragments at least */
	for (size_t off = 0; off < payload && n < SL_GEN_MAX_TRAIN - 1; off += step) {
		size_t len = payload - off < step ? payload - off : step;

		t[n++] = (struct fragment){
			.off = (uint16_t)off,
			.len = (uint16_t)len,
			.more = off + len < payload,
		};
	}
	if (o->frag_overlap) {
		t[n] = t[n - 1];
		t[n - 1] = (struct fragment){
			.off = (uint16_t)(t[n].off - OVERLAP_LEN),
			.len = OVERLAP_LEN,
			.more = true,
			.overlap = true,
		};
		n++;
	}
	switch (o->frag_order) {
	case SL_GEN_FRAG_REVERSE:
		for (unsigned int i = 0; i < n / 2; i++) {
			struct fragment tmp = t[i];

			t[i] = t[n - 1 - i];
			t[n - 1 - i] = tmp;
		}
		break;
	case SL_GEN_FRAG_DROP_FIRST: /* t[0] is the offset-0 fragment */
		memmove(t, t + 1, (n - 1) * sizeof(*t));
		n--;
		break;
	case SL_GEN_FRAG_IN:
	case SL_GEN_FRAG_INTERLEAVE:
		break;
	}
	return n;
}

unsigned int
sl_gen_frag_count(const struct sl_gen_opts *o, uint8_t family, size_t dgram_len)
{
	struct fragment t[SL_GEN_MAX_TRAIN];

	return frag_plan(o, family, dgram_len, t);
}

/* Outer Ethernet, IPv4 and UDP/VXLAN or GRE before an inner frame of inner_len. */
static void
put_outer(const struct sl_gen_opts *o, uint8_t *p, size_t inner_len, uint32_t tunnel_id)
{
	bool vxlan = o->tunnel == SL_GEN_TUNNEL_VXLAN;
	size_t outer = vxlan ? VXLAN_OUTER_LEN : GRE_OUTER_LEN;
	uint8_t *ip;

	memcpy(p, outer_macs, sizeof(outer_macs));
	p = put16(p + sizeof(outer_macs), ETH_P_IPV4);
	ip = p;
	*p++ = 0x45;
	*p++ = 0;
	p = put16(p, (uint16_t)(outer - 14 + inner_len));
	p = put16(p, 0); /* identification: DF set, never fragmented */
	p = put16(p, IPV4_DF);
	*p++ = OUTER_TTL;
	*p++ = vxlan ? IPPROTO_UDP : IPPROTO_GRE;
	p = put16(p, 0);
	p = put32(p, OUTER_IPV4_SRC);
	p = put32(p, OUTER_IPV4_DST);
	put16(ip + 10, csum_fold(csum_add(0, ip, 20)));
	if (vxlan) {
		p = put16(p, VXLAN_SRC_PORT);
		p = put16(p, VXLAN_PORT);
		p = put16(p, (uint16_t)(8 + 8 + inner_len));
		p = put16(p, 0); /* no checksum, allowed over IPv4 */
		p = put32(p, (uint32_t)VXLAN_FLAG_I << 24);
		put32(p, tunnel_id << 8);
	} else {
		p = put16(p, GRE_FLAG_K);
		p = put16(p, ETH_P_TEB);
		put32(p, tunnel_id);
	}
}

/* Write one record: the inner frame, which may already sit at
 * e->out + e->outer_len, behind the envelope if any. */
static void
write_record(struct sl_gen_emitter *e, const uint8_t *inner, size_t len, uint32_t tunnel_id)
{
	const struct sl_gen_opts *o = e->o;
	struct pcap_pkthdr h;

	if (e->outer_len != 0) {
		if (inner != e->out + e->outer_len)
			memcpy(e->out + e->outer_len, inner, len);
		put_outer(o, e->out, len, tunnel_id);
		inner = e->out;
		len += e->outer_len;
	}
	h.ts.tv_sec = (time_t)(o->start_time + e->idx / 1000000);
	h.ts.tv_usec = (suseconds_t)(e->idx % 1000000);
	h.len = (bpf_u_int32)len;
	h.caplen = (bpf_u_int32)(len < o->snaplen ? len : o->snaplen);
	pcap_dump((u_char *)e->d, &h, inner);
	e->idx++;
}

static void
write_fragment(struct sl_gen_emitter *e, const struct train *t, const struct fragment *fg)
{
	const uint8_t *ip = t->data + t->l3_off;
	size_t hlen = t->family == 4 ? 20 : 40;
	const uint8_t *src = ip + hlen + fg->off;
	uint8_t *inner = e->out + e->outer_len;
	uint8_t *p = inner;

	memcpy(p, t->data, t->l3_off);
	p += t->l3_off;
	memcpy(p, ip, hlen);
	if (t->family == 4) {
		put16(p + 2, (uint16_t)(hlen + fg->len));
		put16(p + 6, (uint16_t)((fg->more ? IPV4_MF : 0) | fg->off >> 3));
		put16(p + 10, 0);
		put16(p + 10, csum_fold(csum_add(0, p, hlen)));
		p += hlen;
	} else {
		put16(p + 4, (uint16_t)(IPV6_FRAG_HDR_LEN + fg->len));
		p[6] = IPPROTO_FRAGMENT;
		p += hlen;
		*p++ = ip[6]; /* the original next header */
		*p++ = 0;
		p = put16(p, (uint16_t)(fg->off | (fg->more ? 1 : 0)));
		p = put32(p, t->frag_id);
	}
	if (fg->overlap) {
		for (size_t i = 0; i < fg->len; i++)
			p[i] = (uint8_t)~src[i];
	} else {
		memcpy(p, src, fg->len);
	}
	p += fg->len;
	write_record(e, inner, (size_t)(p - inner), t->tunnel_id);
}

static void
train_init(const struct sl_gen_opts *o, struct train *t, const struct sl_gen_frame *fr,
	   const uint8_t *data)
{
	t->data = data;
	t->l3_off = fr->l3_off;
	t->family = fr->family;
	t->flow_id = fr->flow_id;
	t->tunnel_id = fr->tunnel_id;
	t->frag_id = fr->frag_id;
	t->n = frag_plan(o, fr->family, fr->len - fr->l3_off, t->frags);
}

void
sl_gen_emitter_flush(struct sl_gen_emitter *e)
{
	unsigned int longest = 0;

	for (unsigned int s = 0; s < e->held; s++)
		if (e->group[s].n > longest)
			longest = e->group[s].n;
	for (unsigned int k = 0; k < longest; k++)
		for (unsigned int s = 0; s < e->held; s++)
			if (k < e->group[s].n)
				write_fragment(e, &e->group[s], &e->group[s].frags[k]);
	e->held = 0;
}

void
sl_gen_emitter_put(struct sl_gen_emitter *e, const struct sl_gen_frame *fr)
{
	const struct sl_gen_opts *o = e->o;

	for (unsigned int s = 0; s < e->held; s++) {
		if (e->group[s].flow_id == fr->flow_id) {
			sl_gen_emitter_flush(e);
			break;
		}
	}
	if (o->frag_mtu == 0 || fr->len - fr->l3_off <= o->frag_mtu) {
		write_record(e, fr->data, fr->len, fr->tunnel_id);
		return;
	}
	if (o->frag_order != SL_GEN_FRAG_INTERLEAVE) {
		struct train t;

		train_init(o, &t, fr, fr->data);
		for (unsigned int k = 0; k < t.n; k++)
			write_fragment(e, &t, &t.frags[k]);
		return;
	}
	memcpy(e->frames[e->held], fr->data, fr->len);
	train_init(o, &e->group[e->held], fr, e->frames[e->held]);
	if (++e->held == SL_GEN_FRAG_GROUP)
		sl_gen_emitter_flush(e);
}

struct sl_gen_emitter *
sl_gen_emitter_create(const struct sl_gen_opts *o, pcap_dumper_t *d)
{
	struct sl_gen_emitter *e = malloc(sizeof(*e));

	if (e == NULL)
		return NULL;
	e->o = o;
	e->d = d;
	e->idx = 0;
	e->held = 0;
	e->outer_len = o->tunnel == SL_GEN_TUNNEL_VXLAN ? VXLAN_OUTER_LEN
		       : o->tunnel == SL_GEN_TUNNEL_GRE ? GRE_OUTER_LEN
							: 0;
	return e;
}

void
sl_gen_emitter_destroy(struct sl_gen_emitter *e)
{
	free(e);
}
