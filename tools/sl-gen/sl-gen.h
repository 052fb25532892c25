/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sl-gen private interface between the command line (sl-gen.c), the flow and
 * packet generator (sl-gen-traffic.c) and the output stage (sl-gen-emit.c:
 * IP fragmentation, tunnel envelopes, pcap records).
 */
#ifndef SL_GEN_H
#define SL_GEN_H

#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define SL_GEN_MAX_FLOWS 10000000ULL
#define SL_GEN_MAX_PACKETS 1000000ULL
#define SL_GEN_MIN_FRAME 64
#define SL_GEN_MAX_FRAME 9000
#define SL_GEN_MAX_VLAN 4094
#define SL_GEN_PCT_SCALE 10000 /* percentages are kept in basis points */
#define SL_GEN_FRAME_IMIX 0
#define SL_GEN_MAX_ATTEMPTS 255 /* regenerations of one colliding flow */
#define SL_GEN_MAX_VNI 0xffffffu /* 24-bit VXLAN network identifier */
#define SL_GEN_MIN_FRAG_MTU 576
#define SL_GEN_MAX_FRAG_MTU 9000
/* With --fragment, per flow direction: IPv4 identifications are 16 bits and
 * must not repeat within a flow direction. */
#define SL_GEN_MAX_FRAG_PACKETS 131072ULL

/* Largest frame the generator builds: Ethernet + 2 tags + IPv6 + TCP, raised
 * to SL_GEN_MAX_FRAME with payload. */
#define SL_GEN_BUF_SIZE (SL_GEN_MAX_FRAME + 128)

enum sl_gen_tunnel {
	SL_GEN_TUNNEL_NONE,
	SL_GEN_TUNNEL_VXLAN,
	SL_GEN_TUNNEL_GRE,
};

enum sl_gen_frag_order {
	SL_GEN_FRAG_IN,         /* offset order */
	SL_GEN_FRAG_REVERSE,    /* last fragment first */
	SL_GEN_FRAG_INTERLEAVE, /* round-robin over trains of up to 4 flows */
	SL_GEN_FRAG_DROP_FIRST, /* offset order without the offset-0 fragment */
};

/* Validated options; see usage() in sl-gen.c. */
struct sl_gen_opts {
	const char *out_path;
	const char *flow_list_path; /* NULL: no flow list */
	uint64_t flows;
	uint32_t tenants;
	uint32_t vlan_base;   /* 0 with one tenant, or a tunnel: untagged */
	uint32_t qinq_outer;  /* 0: no outer tag */
	uint32_t ipv6_bp;     /* basis points of flows that are IPv6 */
	uint32_t udp_bp;
	uint32_t icmp_bp;
	uint32_t frame_size;  /* SL_GEN_FRAME_IMIX or 64..9000 */
	uint64_t packets;     /* per flow */
	bool order_seq;
	uint64_t seed;
	uint64_t start_time;
	uint32_t snaplen;
	enum sl_gen_tunnel tunnel;
	uint32_t tunnel_base; /* VNI or GRE key of tenant 0 */
	bool inner_vlan;      /* tunnel: keep the tags of the inner frame */
	uint32_t frag_mtu;    /* 0: no fragmentation */
	enum sl_gen_frag_order frag_order;
	bool frag_overlap;
};

/* ---- byte helpers shared by the generator and the output stage ---- */

static inline uint8_t *
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return p + 2;
}

static inline uint8_t *
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
	return p + 4;
}

/* One's complement sum of big-endian 16-bit words; an odd byte is padded. */
static inline uint32_t
csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
	for (; n > 1; p += 2, n -= 2)
		sum += (uint32_t)p[0] << 8 | p[1];
	if (n)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

static inline uint16_t
csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* ---- generator (sl-gen-traffic.c) ---- */

/**
 * Derive every flow, regenerating tuples until they are unique per tenant,
 * and write the flow list (header and one TSV line per flow) to @list unless
 * it is NULL.
 *
 * @param attempts  caller-owned array of o->flows bytes, filled with each
 *                  flow's attempt counter for sl_gen_packets_generate().
 * @return 0, -ENOMEM, -EIO (flow list write) or -EEXIST (no unique tuple).
 */
int sl_gen_flows_generate(const struct sl_gen_opts *o, uint8_t *attempts, FILE *list);

/**
 * Stream all packets to @d in the order o->order_seq asks for, through the
 * output stage (fragments, tunnel envelope).
 *
 * @return 0 or -ENOMEM; write errors are left for the caller to detect on
 *         the dumper's stream.
 */
int sl_gen_packets_generate(const struct sl_gen_opts *o, const uint8_t *attempts,
			    pcap_dumper_t *d);

/* ---- output stage (sl-gen-emit.c) ---- */

/* One frame built by the generator: Ethernet, tags, one IP header without
 * options or extension headers, L4 header and payload, no padding. */
struct sl_gen_frame {
	const uint8_t *data;
	size_t len;
	size_t l3_off;      /* length of Ethernet and tags */
	uint8_t family;     /* 4 or 6 */
	uint32_t flow_id;   /* --frag-order interleave mixes trains of different flows */
	uint32_t tunnel_id; /* VNI or GRE key; unused without a tunnel */
	uint32_t frag_id;   /* IPv6 fragment identification; IPv4 keeps its header's */
};

struct sl_gen_emitter;

/**
 * Create the output stage writing records to @d. @o must outlive it.
 *
 * @return the emitter, or NULL if out of memory.
 */
struct sl_gen_emitter *sl_gen_emitter_create(const struct sl_gen_opts *o, pcap_dumper_t *d);

/**
 * Write @fr, fragmented when its IP datagram exceeds o->frag_mtu, wrapped in
 * the tunnel envelope if any; each record gets the next timestamp. With
 * --frag-order interleave the frame is copied and its fragments may be held
 * until a later call or sl_gen_emitter_flush().
 */
void sl_gen_emitter_put(struct sl_gen_emitter *e, const struct sl_gen_frame *fr);

/** Write every held fragment. */
void sl_gen_emitter_flush(struct sl_gen_emitter *e);

/** Free @e (NULL is allowed) without writing what it holds. */
void sl_gen_emitter_destroy(struct sl_gen_emitter *e);

/**
 * Records written for one IP datagram of @dgram_len bytes (IP header
 * included): 0 if it is not fragmented, else its fragments after
 * --frag-overlap and --frag-order drop-first.
 */
unsigned int sl_gen_frag_count(const struct sl_gen_opts *o, uint8_t family, size_t dgram_len);

#endif /* SL_GEN_H */
