/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sl-gen flows and packets.
 *
 * Determinism: every value is a pure function of (seed, flow id, attempt,
 * packet index) through splitmix64, so the output is identical across libc
 * versions and a run with N flows is a prefix of a run with more flows (same
 * seed and options). "attempt" counts regenerations of a flow whose 5-tuple
 * collided with an earlier flow of the same tenant.
 *
 * Memory: one byte per flow (attempt counter) plus the uniqueness set
 * (8 bytes per slot, load <= 0.7), freed before packets are written; in
 * interleave order with more than 2 packets per flow, 8 bytes per flow of TCP
 * sequence state. Packets are streamed to the output stage (sl-gen-emit.c),
 * never held here.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "sl-gen.h"

#define ETH_P_IPV4 0x0800
#define ETH_P_IPV6 0x86dd
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88a8

#define PROTO_ICMP 1
#define PROTO_TCP 6
#define PROTO_UDP 17
#define PROTO_ICMPV6 58

#define TCP_SYN 0x02
#define TCP_PSH 0x08
#define TCP_ACK 0x10

/* One flow, fully derived from (seed, id, attempt). Direction 0 is the client
 * (forward) side, direction 1 the server. */
struct flow {
	uint32_t id;
	uint32_t tenant;
	uint16_t vlan;          /* 0: untagged */
	uint8_t family;         /* 4 or 6 */
	uint8_t proto;          /* PROTO_* */
	uint8_t src[16];        /* client; IPv4 uses the first 4 bytes */
	uint8_t dst[16];        /* server */
	uint16_t sport;         /* ICMP: echo request type */
	uint16_t dport;         /* ICMP: 0 */
	uint16_t icmp_id;
	uint16_t ip_id[2];
	uint32_t isn[2];
	uint32_t flow_label[2];
	uint32_t frag_id[2];    /* IPv6 fragment identification of datagram 0 */
};

/* TCP next sequence number per direction. */
struct tcp_state {
	uint32_t nxt[2];
};

/* Open-addressing set of flow tuples: slot = tag(32) | flow id + 1 (32);
 * 0 is empty. Equal tags are confirmed by re-deriving the stored flow. */
struct tuple_set {
	uint64_t *slots;
	uint64_t mask;
};

enum rng_domain {
	DOM_CLASS = 0x636c, /* family and protocol: independent of attempts */
	DOM_TUPLE,
	DOM_FRAME,
	DOM_PAYLOAD,
	DOM_FRAG,
};

static const uint16_t tcp_ports[] = {80, 443, 22, 25, 3306, 8080, 5432, 6379,
				     8443, 21, 110, 143, 993, 389, 445, 3389};
static const uint16_t udp_ports[] = {53, 123, 443, 161, 514, 500, 4500, 5060,
				     3478, 1812, 67, 5353};

/* ---- PRNG: splitmix64, seeded per (domain, a, b) ---- */

struct rng {
	uint64_t s;
};

static uint64_t
mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t
rng_next(struct rng *r)
{
	r->s += 0x9e3779b97f4a7c15ULL;
	return mix64(r->s);
}

static struct rng
rng_for(uint64_t seed, uint64_t domain, uint64_t a, uint64_t b)
{
	uint64_t h = mix64(seed ^ 0x736c2d67656e2121ULL);

	h = mix64(h ^ domain);
	h = mix64(h ^ a);
	h = mix64(h ^ b);
	return (struct rng){ .s = h };
}

static uint64_t
rng_below(struct rng *r, uint64_t n)
{
	return rng_next(r) % n; /* bias < n / 2^64, irrelevant here */
}

/* ---- byte helpers (put16, put32 and checksums are in sl-gen.h) ---- */

static uint64_t
get64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

/* ---- flows ---- */

static void
flow_derive(const struct sl_gen_opts *o, uint32_t id, unsigned int attempt, struct flow *f)
{
	struct rng rc = rng_for(o->seed, DOM_CLASS, id, 0);
	struct rng rt = rng_for(o->seed, DOM_TUPLE, id, attempt);
	uint64_t r;

	memset(f, 0, sizeof(*f));
	f->id = id;
	f->tenant = id % o->tenants;
	f->vlan = o->vlan_base == 0 ? 0 : (uint16_t)(o->vlan_base + f->tenant);
	f->family = rng_below(&rc, SL_GEN_PCT_SCALE) < o->ipv6_bp ? 6 : 4;
	r = rng_below(&rc, SL_GEN_PCT_SCALE);
	if (r < o->udp_bp)
		f->proto = PROTO_UDP;
	else if (r < o->udp_bp + o->icmp_bp)
		f->proto = f->family == 4 ? PROTO_ICMP : PROTO_ICMPV6;
	else
		f->proto = PROTO_TCP;

	if (f->family == 4) {
		/* client 10.0.0.0/8, server 172.16.0.0/12; host byte 1..254 */
		r = rng_next(&rt);
		put32(f->src, 10u << 24 | (uint32_t)(r >> 8 & 0xffff) << 8 |
				      (uint32_t)(1 + (r >> 32) % 254));
		r = rng_next(&rt);
		put32(f->dst, 172u << 24 | (16u + (uint32_t)(r >> 8 & 0xf)) << 16 |
				      (uint32_t)(r >> 16 & 0xff) << 8 |
				      (uint32_t)(1 + (r >> 32) % 254));
	} else {
		/* client fd00:10::/32, server fd00:172::/32, 96 random bits */
		static const uint8_t cli[4] = {0xfd, 0x00, 0x00, 0x10};
		static const uint8_t srv[4] = {0xfd, 0x00, 0x01, 0x72};

		memcpy(f->src, cli, 4);
		memcpy(f->dst, srv, 4);
		for (int i = 4; i < 16; i += 4) {
			put32(f->src + i, (uint32_t)rng_next(&rt));
			put32(f->dst + i, (uint32_t)rng_next(&rt));
		}
	}

	r = rng_next(&rt);
	if (f->proto == PROTO_ICMP || f->proto == PROTO_ICMPV6) {
		f->sport = f->proto == PROTO_ICMP ? 8 : 128;
		f->dport = 0;
	} else {
		const uint16_t *list = f->proto == PROTO_TCP ? tcp_ports : udp_ports;
		size_t n = f->proto == PROTO_TCP ? sizeof(tcp_ports) / sizeof(tcp_ports[0])
						 : sizeof(udp_ports) / sizeof(udp_ports[0]);

		f->sport = (uint16_t)(1024 + (r & 0xffff) % (65536 - 1024));
		/* 7 in 8 servers on a well-known port, the rest anywhere */
		if ((r >> 16 & 7) != 7)
			f->dport = list[(r >> 24) % n];
		else
			f->dport = (uint16_t)(1 + (r >> 24) % 65535);
	}
	/* Unique for up to 65536 flows; beyond that the (src, dst) pair of an
	 * ICMP flow is still unique within its tenant. */
	f->icmp_id = (uint16_t)id;
	r = rng_next(&rt);
	f->ip_id[0] = (uint16_t)r;
	f->ip_id[1] = (uint16_t)(r >> 16);
	f->flow_label[0] = (uint32_t)(r >> 32) & 0xfffff;
	f->flow_label[1] = (uint32_t)(r >> 12) & 0xfffff;
	r = rng_next(&rt);
	f->isn[0] = (uint32_t)r;
	f->isn[1] = (uint32_t)(r >> 32);
	if (o->frag_mtu != 0 && f->family == 6) {
		/* own domain: the values above stay those of a run without --fragment */
		struct rng rf = rng_for(o->seed, DOM_FRAG, id, attempt);

		r = rng_next(&rf);
		f->frag_id[0] = (uint32_t)r;
		f->frag_id[1] = (uint32_t)(r >> 32);
	}
}

static uint64_t
flow_key_hash(const struct flow *f)
{
	uint64_t h = mix64((uint64_t)f->tenant << 32 | (uint64_t)f->family << 8 | f->proto);

	h = mix64(h ^ get64(f->src));
	h = mix64(h ^ get64(f->src + 8));
	h = mix64(h ^ get64(f->dst));
	h = mix64(h ^ get64(f->dst + 8));
	return mix64(h ^ ((uint64_t)f->sport << 16 | f->dport));
}

static bool
flow_key_equal(const struct flow *a, const struct flow *b)
{
	return a->tenant == b->tenant && a->family == b->family && a->proto == b->proto &&
	       a->sport == b->sport && a->dport == b->dport &&
	       memcmp(a->src, b->src, sizeof(a->src)) == 0 &&
	       memcmp(a->dst, b->dst, sizeof(a->dst)) == 0;
}

static int
tuple_set_init(struct tuple_set *s, uint64_t n)
{
	uint64_t cap = 16;

	while (cap * 7 < n * 10)
		cap <<= 1;
	s->slots = calloc(cap, sizeof(*s->slots));
	if (s->slots == NULL)
		return -ENOMEM;
	s->mask = cap - 1;
	return 0;
}

/* Insert f unless an equal tuple is present; returns false on a duplicate. */
static bool
tuple_set_insert(struct tuple_set *s, const struct sl_gen_opts *o, const uint8_t *attempts,
		 const struct flow *f)
{
	uint64_t h = flow_key_hash(f);
	uint32_t tag = (uint32_t)(h >> 32);

	for (uint64_t i = h & s->mask;; i = (i + 1) & s->mask) {
		uint64_t e = s->slots[i];
		struct flow other;

		if (e == 0) {
			s->slots[i] = (uint64_t)tag << 32 | (f->id + 1u);
			return true;
		}
		if ((uint32_t)(e >> 32) != tag)
			continue;
		uint32_t oid = (uint32_t)e - 1;
		flow_derive(o, oid, attempts[oid], &other);
		if (flow_key_equal(f, &other))
			return false;
	}
}

static uint64_t flow_fragments(const struct sl_gen_opts *o, const struct flow *f);

/* Columns as in the header line of sl_gen_flows_generate(); tunnel_id and
 * fragments only with a tunnel and with --fragment. */
static int
flow_list_write(FILE *fp, const struct sl_gen_opts *o, const struct flow *f)
{
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
	int af = f->family == 4 ? AF_INET : AF_INET6;

	inet_ntop(af, f->src, src, sizeof(src));
	inet_ntop(af, f->dst, dst, sizeof(dst));
	if (fprintf(fp, "%" PRIu32 "\t%" PRIu32 "\t%u\t%u\t%u\t%s\t%u\t%s\t%u\t%" PRIu64,
		    f->id, f->tenant, f->vlan, f->family, f->proto, src, f->sport, dst,
		    f->dport, o->packets) < 0)
		return -EIO;
	if (o->tunnel != SL_GEN_TUNNEL_NONE &&
	    fprintf(fp, "\t%" PRIu32, o->tunnel_base + f->tenant) < 0)
		return -EIO;
	if (o->frag_mtu != 0 && fprintf(fp, "\t%" PRIu64, flow_fragments(o, f)) < 0)
		return -EIO;
	if (fputc('\n', fp) == EOF)
		return -EIO;
	return 0;
}

/* Attempt counters are chosen in flow id order: flow i depends on 0..i-1 only. */
int
sl_gen_flows_generate(const struct sl_gen_opts *o, uint8_t *attempts, FILE *list)
{
	struct tuple_set set;
	struct flow f;
	int ret = tuple_set_init(&set, o->flows);

	if (ret < 0)
		return ret;
	if (list != NULL &&
	    (fputs("flow_id\ttenant\tvlan\tfamily\tproto\tsrc\tsport\tdst\tdport\tpackets",
		   list) < 0 ||
	     (o->tunnel != SL_GEN_TUNNEL_NONE && fputs("\ttunnel_id", list) < 0) ||
	     (o->frag_mtu != 0 && fputs("\tfragments", list) < 0) || fputc('\n', list) == EOF)) {
		ret = -EIO;
		goto out;
	}
	for (uint64_t id = 0; id < o->flows; id++) {
		unsigned int attempt = 0;

		for (;;) {
			flow_derive(o, (uint32_t)id, attempt, &f);
			if (tuple_set_insert(&set, o, attempts, &f))
				break;
			if (++attempt > SL_GEN_MAX_ATTEMPTS) {
				ret = -EEXIST;
				goto out;
			}
		}
		attempts[id] = (uint8_t)attempt;
		if (list != NULL && flow_list_write(list, o, &f) < 0) {
			ret = -EIO;
			goto out;
		}
	}
out:
	free(set.slots);
	return ret;
}

/* ---- packets ---- */

static uint32_t
frame_size_for(const struct sl_gen_opts *o, uint32_t id, uint64_t j)
{
	static const uint32_t imix[12] = {64, 64, 64, 64, 64, 64, 64, 594, 594, 594, 594, 1518};

	if (o->frame_size != SL_GEN_FRAME_IMIX)
		return o->frame_size;
	struct rng r = rng_for(o->seed, DOM_FRAME, id, j);
	return imix[rng_below(&r, 12)];
}

/* Ethernet and tags: the offset of the IP header. */
static size_t
l2_len(const struct sl_gen_opts *o, const struct flow *f)
{
	return 14 + (o->qinq_outer != 0 ? 4 : 0) + (f->vlan != 0 ? 4 : 0);
}

static size_t
header_len(const struct sl_gen_opts *o, const struct flow *f)
{
	return l2_len(o, f) + (f->family == 4 ? 20 : 40) + (f->proto == PROTO_TCP ? 20 : 8);
}

/* Payload bytes of packet j: the frame size, or none if headers exceed it. */
static size_t
payload_len(const struct sl_gen_opts *o, const struct flow *f, uint64_t j)
{
	size_t hdr = header_len(o, f);
	size_t frame = frame_size_for(o, f->id, j);

	return frame > hdr ? frame - hdr : 0;
}

/* Records written for flow f with --fragment: its fragments, summed over its
 * datagrams. A fixed frame size gives every datagram the same count. */
static uint64_t
flow_fragments(const struct sl_gen_opts *o, const struct flow *f)
{
	size_t l2 = l2_len(o, f);

	if (o->frame_size != SL_GEN_FRAME_IMIX)
		return o->packets *
		       sl_gen_frag_count(o, f->family, header_len(o, f) - l2 + payload_len(o, f, 0));

	uint64_t n = 0;
	for (uint64_t j = 0; j < o->packets; j++)
		n += sl_gen_frag_count(o, f->family, header_len(o, f) - l2 + payload_len(o, f, j));
	return n;
}

static void
tcp_state_init(struct tcp_state *t, const struct flow *f)
{
	t->nxt[0] = f->isn[0];
	t->nxt[1] = f->isn[1];
}

/* SYN and SYN-ACK (packets 0 and 1) consume one sequence number each. */
static void
tcp_state_step(struct tcp_state *t, uint64_t j, size_t plen)
{
	t->nxt[j & 1] += (uint32_t)plen + (j < 2 ? 1u : 0u);
}

static void
fill_payload(const struct sl_gen_opts *o, uint32_t id, uint64_t j, uint8_t *p, size_t n)
{
	struct rng r = rng_for(o->seed, DOM_PAYLOAD, id, j);
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++) {
		if ((i & 7) == 0)
			v = rng_next(&r);
		p[i] = (uint8_t)(v >> ((i & 7) * 8));
	}
}

/*
 * Build packet j of flow f into buf. Direction is j & 1 (0: client to
 * server). For TCP, t holds the sequence state before this packet; the caller
 * advances it with the returned payload length. Returns the frame length.
 */
static size_t
build_packet(const struct sl_gen_opts *o, const struct flow *f, uint64_t j,
	     const struct tcp_state *t, uint8_t *buf, size_t *plen_out)
{
	unsigned int dir = (unsigned int)(j & 1);
	const uint8_t *sa = dir ? f->dst : f->src;
	const uint8_t *da = dir ? f->src : f->dst;
	bool icmp = f->proto == PROTO_ICMP || f->proto == PROTO_ICMPV6;
	size_t l3_len = f->family == 4 ? 20 : 40;
	size_t l4_len = f->proto == PROTO_TCP ? 20 : 8;
	size_t alen = f->family == 4 ? 4 : 16;
	size_t hdr, len, plen;
	uint8_t *p = buf, *l3, *l4;
	uint32_t sum;

	/* Ethernet: client 02:00:<flow id>, server 02:01:<flow id> (local unicast). */
	uint8_t cli_mac[6] = {0x02, 0x00}, srv_mac[6] = {0x02, 0x01};
	put32(cli_mac + 2, f->id);
	put32(srv_mac + 2, f->id);
	memcpy(p, dir ? cli_mac : srv_mac, 6);
	memcpy(p + 6, dir ? srv_mac : cli_mac, 6);
	p += 12;
	if (o->qinq_outer != 0) {
		p = put16(p, ETH_P_8021AD);
		p = put16(p, (uint16_t)o->qinq_outer);
	}
	if (f->vlan != 0) {
		p = put16(p, ETH_P_8021Q);
		p = put16(p, f->vlan);
	}
	p = put16(p, f->family == 4 ? ETH_P_IPV4 : ETH_P_IPV6);
	l3 = p;
	l4 = l3 + l3_len;

	hdr = header_len(o, f);
	plen = payload_len(o, f, j);
	len = hdr + plen;
	*plen_out = plen;

	if (f->family == 4) {
		p = l3;
		*p++ = 0x45;
		*p++ = 0;
		p = put16(p, (uint16_t)(l3_len + l4_len + plen));
		p = put16(p, (uint16_t)(f->ip_id[dir] + j / 2));
		p = put16(p, 0x4000); /* DF */
		*p++ = 64;
		*p++ = f->proto;
		p = put16(p, 0);
		memcpy(p, sa, 4);
		memcpy(p + 4, da, 4);
		put16(l3 + 10, csum_fold(csum_add(0, l3, 20)));
	} else {
		p = put32(l3, 6u << 28 | f->flow_label[dir]);
		p = put16(p, (uint16_t)(l4_len + plen));
		*p++ = f->proto;
		*p++ = 64;
		memcpy(p, sa, 16);
		memcpy(p + 16, da, 16);
	}

	p = l4;
	if (f->proto == PROTO_TCP) {
		uint8_t flags = j == 0 ? TCP_SYN : j == 1 ? TCP_SYN | TCP_ACK : TCP_ACK;

		if (j >= 2 && plen > 0)
			flags |= TCP_PSH;
		p = put16(p, dir ? f->dport : f->sport);
		p = put16(p, dir ? f->sport : f->dport);
		p = put32(p, t->nxt[dir]);
		p = put32(p, j == 0 ? 0 : t->nxt[!dir]);
		*p++ = 5 << 4;
		*p++ = flags;
		p = put16(p, dir ? 65160 : 64240);
		p = put32(p, 0); /* checksum, urgent pointer */
	} else if (f->proto == PROTO_UDP) {
		p = put16(p, dir ? f->dport : f->sport);
		p = put16(p, dir ? f->sport : f->dport);
		p = put16(p, (uint16_t)(l4_len + plen));
		p = put16(p, 0);
	} else {
		/* echo request forward, echo reply back; sequence = exchange */
		uint8_t type = f->proto == PROTO_ICMP ? (dir ? 0 : 8) : (dir ? 129 : 128);

		*p++ = type;
		*p++ = 0;
		p = put16(p, 0);
		p = put16(p, f->icmp_id);
		p = put16(p, (uint16_t)(j / 2));
	}
	fill_payload(o, f->id, j, p, plen);

	/* L4 checksum; ICMPv4 has no pseudo header. */
	sum = 0;
	if (f->proto != PROTO_ICMP) {
		uint8_t ph[8] = {0};

		sum = csum_add(sum, sa, alen);
		sum = csum_add(sum, da, alen);
		if (f->family == 4) {
			ph[1] = f->proto;
			put16(ph + 2, (uint16_t)(l4_len + plen));
			sum = csum_add(sum, ph, 4);
		} else {
			put32(ph, (uint32_t)(l4_len + plen));
			ph[7] = f->proto;
			sum = csum_add(sum, ph, 8);
		}
	}
	sum = csum_add(sum, l4, l4_len + plen);
	uint16_t c = csum_fold(sum);
	if (f->proto == PROTO_UDP && c == 0)
		c = 0xffff;
	put16(l4 + (f->proto == PROTO_TCP ? 16 : icmp ? 2 : 6), c);
	return len;
}

static void
emit_one(const struct sl_gen_opts *o, struct sl_gen_emitter *e, const struct flow *f,
	 uint64_t j, struct tcp_state *t, uint8_t *buf)
{
	size_t plen;
	struct sl_gen_frame fr = {
		.data = buf,
		.len = build_packet(o, f, j, t, buf, &plen),
		.l3_off = l2_len(o, f),
		.family = f->family,
		.flow_id = f->id,
		.tunnel_id = o->tunnel_base + f->tenant,
		/* datagram j / 2 of its direction, as the IPv4 identification */
		.frag_id = f->frag_id[j & 1] + (uint32_t)(j / 2),
	};

	if (f->proto == PROTO_TCP)
		tcp_state_step(t, j, plen);
	sl_gen_emitter_put(e, &fr);
}

int
sl_gen_packets_generate(const struct sl_gen_opts *o, const uint8_t *attempts, pcap_dumper_t *d)
{
	uint8_t buf[SL_GEN_BUF_SIZE];
	struct sl_gen_emitter *e;
	struct tcp_state *states = NULL;
	struct tcp_state local;
	struct flow f;

	e = sl_gen_emitter_create(o, d);
	if (e == NULL)
		return -ENOMEM;
	if (o->order_seq) {
		for (uint64_t id = 0; id < o->flows; id++) {
			flow_derive(o, (uint32_t)id, attempts[id], &f);
			tcp_state_init(&local, &f);
			for (uint64_t j = 0; j < o->packets; j++)
				emit_one(o, e, &f, j, &local, buf);
		}
		goto out;
	}

	/* Interleave: with <= 2 packets per flow the state before packet 1 is
	 * recomputed from packet 0; beyond that it is kept per flow. */
	bool keep = o->packets > 2 && o->udp_bp + o->icmp_bp < SL_GEN_PCT_SCALE;
	if (keep) {
		states = calloc(o->flows, sizeof(*states));
		if (states == NULL) {
			sl_gen_emitter_destroy(e);
			return -ENOMEM;
		}
	}
	for (uint64_t j = 0; j < o->packets; j++) {
		for (uint64_t id = 0; id < o->flows; id++) {
			struct tcp_state *t = keep ? &states[id] : &local;

			flow_derive(o, (uint32_t)id, attempts[id], &f);
			if (j == 0 || !keep)
				tcp_state_init(t, &f);
			if (j == 1 && !keep)
				tcp_state_step(t, 0, payload_len(o, &f, 0));
			emit_one(o, e, &f, j, t, buf);
		}
	}
	free(states);
out:
	sl_gen_emitter_flush(e);
	sl_gen_emitter_destroy(e);
	return 0;
}

