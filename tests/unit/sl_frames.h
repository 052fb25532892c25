/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Frame builders shared by the unit tests (code in sl_frames.c).
 *
 * A test assembles a real Ethernet frame header by header. Every builder
 * appends one header to a struct fb_frame and records where it starts and
 * ends and what a parser must find in it: one struct fb_ipdesc per IP
 * header (the flow it gives when complete) and, once a tunnel header was
 * written, one struct fb_ckpt per step of the encapsulation walk (the bytes
 * the step needs and what a cut before them gives). test_parse.c derives
 * from this layout what every truncated length of a frame must parse to;
 * other tests just use f.b and f.len.
 *
 * Two ways to build a frame:
 *
 *   - call the builders in order, fb_eth() first, fb_done() last:
 *
 *         struct fb_frame f;
 *
 *         fb_eth(&f, 0x0800);
 *         fb_ipv4(&f, 6, 5, 0, 1, FB_V4A, FB_V4B);
 *         fb_tcp(&f, 1234, 80, 0x02, 5);
 *         fb_data(&f, 10);
 *         fb_done(&f);
 *
 *   - or write the same as a recipe, a list of steps (one FB_<NAME>() macro
 *     per fb_<name>() builder, same arguments without the frame) ended by
 *     FB_END, and run it with fb_build(). Recipes are plain data, so a table
 *     of test cases can hold one per row:
 *
 *         static const struct fb_step syn[] = {
 *                 FB_ETH(0x0800), FB_IPV4(6, 5, 0, 1, V4A, V4B),
 *                 FB_TCP(1234, 80, 0x02, 5), FB_DATA(10), FB_DONE, FB_END,
 *         };
 *
 *         fb_build(&f, syn);
 *
 * Headers have fixed, recognisable contents (MAC addresses 02:00:00:00:00:01
 * -> :02, TTL 64, sequence numbers, ...); only what a test passes varies.
 * Length fields (IPv4 total length, IPv6 payload length, PPPoE length) are
 * written by fb_done() to cover everything built so far; write bytes after
 * fb_done() for padding or a trailer that is not part of the datagram.
 *
 * The builders are for cmocka tests: a frame that would grow past
 * FB_FRAME_MAX or a builder used out of order fails the running test.
 * Not thread-safe (plain structs, no shared state besides the constants).
 */
#ifndef SL_FRAMES_H
#define SL_FRAMES_H

#include <stdint.h>

#include "sl_parse.h"

/** Largest frame a struct fb_frame holds. */
#define FB_FRAME_MAX 2048
/** Most IPv6 extension headers recorded (outer IP header only). */
#define FB_MAX_EXT 16
/** Most IP headers recorded (outer and inner). */
#define FB_MAX_IP 8
/** Most encapsulation checkpoints recorded. */
#define FB_MAX_CK 32

/* ---- addresses ---------------------------------------------------------- */

/*
 * The addresses the tests use, as brace lists (for initialisers of a
 * struct sl_pkt_info, whose arrays are 16 bytes: the rest is zero) and as
 * arrays (for the builders). FB_V4A/FB_V4B and FB_V6A/FB_V6B are the outer
 * packet; I, J, K, L are inner layers of tunnelled frames.
 */
#define FB_ADDR_V4A { 192, 0, 2, 1 }
#define FB_ADDR_V4B { 198, 51, 100, 2 }
#define FB_ADDR_V6A                                                           \
	{ 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01 }
#define FB_ADDR_V6B                                                           \
	{ 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02 }
#define FB_ADDR_I4A { 10, 0, 0, 1 }
#define FB_ADDR_I4B { 10, 0, 0, 2 }
#define FB_ADDR_J4A { 172, 16, 0, 1 }
#define FB_ADDR_J4B { 172, 16, 0, 2 }
#define FB_ADDR_K4A { 100, 64, 0, 1 }
#define FB_ADDR_K4B { 100, 64, 0, 2 }
#define FB_ADDR_L4A { 203, 0, 113, 1 }
#define FB_ADDR_L4B { 203, 0, 113, 2 }
#define FB_ADDR_I6A { 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01 }
#define FB_ADDR_I6B { 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02 }

extern const uint8_t FB_V4A[4], FB_V4B[4], FB_V6A[16], FB_V6B[16];
extern const uint8_t FB_I4A[4], FB_I4B[4], FB_J4A[4], FB_J4B[4];
extern const uint8_t FB_K4A[4], FB_K4B[4], FB_L4A[4], FB_L4B[4];
extern const uint8_t FB_I6A[16], FB_I6B[16];

/* ---- the frame and its layout ------------------------------------------- */

/** One IP header of a frame and the flow it gives when complete. */
struct fb_ipdesc {
	uint32_t off;       /**< where the header starts */
	uint32_t hlen;      /**< IPv4 IHL * 4, IPv6 40 */
	uint32_t len_field; /**< offset of total_len / payload_len */
	uint32_t l4_off;    /**< L4 start, 0 when the parser stops before */
	uint32_t l4_need;   /**< L4 bytes needed for the ports (0: no ports) */
	uint32_t l4_full;   /**< bytes of the complete L4 header */
	/** What sl_parse() gives for this layer: flow and layer fields (not
	 * vlan[]); l4_off/l4_len are set by fb_done(). */
	struct sl_pkt_info flow;
};

/**
 * One step of the encapsulation walk: a tunnel header, an inner Ethernet
 * header or tag, an inner IP header. Recorded once a tunnel builder ran.
 */
struct fb_ckpt {
	uint32_t need;       /**< frame bytes the step needs */
	uint8_t err;         /**< encap_err when fewer are there */
	uint8_t stop;        /**< once passed, the walk stops ... */
	uint8_t stop_err;    /**< ... with this encap_err (0: none) */
	uint16_t mask_reach; /**< encap_mask bits once the step is reached */
	uint16_t mask_pass;  /**< encap_mask bits once passed */
	uint8_t tid_type;    /**< tunnel id known once passed */
	uint32_t tid;
	int ip;              /**< ipl[] index of an inner IP header, or -1 */
};

/** A frame under construction plus the layout a parser test needs. */
struct fb_frame {
	uint8_t b[FB_FRAME_MAX]; /**< the frame */
	uint32_t len;            /**< bytes built */
	/* Outer Ethernet. */
	uint32_t n_tags;
	uint16_t tpid[4];        /**< ethertype field that announced tag i */
	uint32_t tag_end[4];     /**< where outer tag i ends */
	uint16_t tag_vid[4];     /**< its VLAN id */
	uint8_t tag_vntag[4];    /**< 1: a VNTag, no VLAN id */
	uint16_t l2_type;        /**< outer ethertype after the tags */
	/* Outer IP header (the first one, before any tunnel). */
	uint8_t l3;              /**< SL_L3_* of the IP header built, 0 none */
	uint32_t l3_off;
	uint32_t l3_hlen;        /**< IPv4 IHL*4, IPv6 40 */
	uint32_t len_field;      /**< offset of total_len / payload_len */
	uint32_t n_ext;
	uint32_t ext_end[FB_MAX_EXT];
	uint32_t frag_end;       /**< end of the header carrying frag info */
	uint32_t l4_off;         /**< L4 start when the parser looks at L4 */
	uint32_t l4_need;        /**< bytes needed for the ports (0: none) */
	uint32_t l4_full;        /**< bytes of the complete L4 header */
	/* Tunnels. */
	int tun;                 /**< a tunnel builder ran: the rest is inner */
	uint32_t n_ipl;          /**< IP headers built, outer first */
	struct fb_ipdesc ipl[FB_MAX_IP];
	int cur;                 /**< ipl[] entry L4 builders describe, or -1 */
	uint32_t n_ck;
	struct fb_ckpt ck[FB_MAX_CK];
	uint16_t pend_reach;     /**< encap_mask bits for the next checkpoint */
	uint8_t pend_depth;      /**< layers entered so far */
	uint16_t pend_inner_off; /**< payload start of the last layer entered */
	uint16_t pend_vlan[SL_MAX_VLANS]; /**< tags of the last inner Eth */
	uint8_t pend_nv;
	uint32_t pppoe_at[4];    /**< PPPoE headers, length set by fb_done() */
	uint32_t n_pppoe;
};

/* ---- builders ----------------------------------------------------------- */

/** Raw bytes, big-endian, appended at f->len. */
void fb_u8(struct fb_frame *f, uint8_t v);
void fb_u16(struct fb_frame *f, uint16_t v);
void fb_u32(struct fb_frame *f, uint32_t v);
void fb_put(struct fb_frame *f, const uint8_t *p, uint32_t n);
/** n bytes of value v (padding, trailers). */
void fb_fill(struct fb_frame *f, uint32_t n, uint8_t v);
/** n bytes of payload (0x5a). */
void fb_data(struct fb_frame *f, uint32_t n);
/** Write v big-endian at p (patch a field after the fact). */
void fb_wr16(uint8_t *p, uint16_t v);

/** Start a frame: clears @p f, writes both MACs and ethertype @p type. */
void fb_eth(struct fb_frame *f, uint16_t type);
/** An 802.1Q/802.1ad tag after the ethertype just written (a TPID):
 * TCI @p tci, then ethertype @p next. Inside a tunnel: an inner tag. */
void fb_vlan(struct fb_frame *f, uint16_t tci, uint16_t next);
/** A VNTag (after ethertype 0x8926), then ethertype @p next. */
void fb_vntag(struct fb_frame *f, uint16_t next);

/**
 * IPv4 header: protocol @p proto, @p ihl 32-bit words (options are NOPs),
 * flags and fragment offset word @p fw (0x2000 MF, 0x4000 DF, low 13 bits
 * the offset in 8-byte units), identification @p id. Total length is set by
 * fb_done().
 */
void fb_ipv4(struct fb_frame *f, uint8_t proto, unsigned int ihl, uint16_t fw,
	     uint16_t id, const uint8_t *src, const uint8_t *dst);
/** IPv6 header with next header @p nh. Payload length set by fb_done(). */
void fb_ipv6(struct fb_frame *f, uint8_t nh, const uint8_t *src,
	     const uint8_t *dst);
/** IPv6 extension header @p type of @p hlen bytes (AH: multiple of 4,
 * others of 8), then @p next. Outer IPv6 only. */
void fb_ext(struct fb_frame *f, uint8_t type, uint8_t next, uint32_t hlen);
/** IPv6 fragment header: offset @p off bytes (multiple of 8), M flag
 * @p more, id @p id; off 0 and !more is an atomic fragment. */
void fb_frag6(struct fb_frame *f, uint8_t next, uint16_t off, int more,
	      uint32_t id);

/** TCP header with flags @p flags and data offset @p doff words. */
void fb_tcp(struct fb_frame *f, uint16_t sport, uint16_t dport, uint8_t flags,
	    unsigned int doff);
/** UDP (or UDP-Lite, same layout) header. */
void fb_udp(struct fb_frame *f, uint16_t sport, uint16_t dport);
/** SCTP common header. */
void fb_sctp(struct fb_frame *f, uint16_t sport, uint16_t dport);
/** ICMP or ICMPv6 header (by the IP layer it follows), id 1 seq 2. */
void fb_icmp(struct fb_frame *f, uint8_t type, uint8_t code);
/** n bytes of an L4 without ports (ESP, GRE junk, ...). */
void fb_other(struct fb_frame *f, uint32_t n);

/** Set the IP and PPPoE length fields to cover everything built so far and
 * record the L4 extent each IP layer will show. Call once, after the last
 * header and payload. */
void fb_done(struct fb_frame *f);

/* Tunnels. Each returns the checkpoint it recorded (test_parse.c adjusts
 * some to describe malformed variants). */

/** VXLAN header after a UDP header (flags 0x08 = I, VNI @p vni). */
struct fb_ckpt *fb_vxlan(struct fb_frame *f, uint8_t flags, uint32_t vni);
/** GENEVE header after a UDP header: version @p ver, @p opt_words 4-byte
 * words of options, protocol type @p ptype, VNI @p vni. */
struct fb_ckpt *fb_geneve(struct fb_frame *f, uint8_t ver, uint8_t opt_words,
			  uint16_t ptype, uint32_t vni);

#define FB_GRE_C 0x80 /**< checksum present */
#define FB_GRE_R 0x40 /**< routing present */
#define FB_GRE_K 0x20 /**< key present */
#define FB_GRE_S 0x10 /**< sequence number present */

/** GRE header (version 0) as the L4 of the current IP layer: C/K/S from
 * @p flags (FB_GRE_*), protocol @p ptype, key @p key when K. */
struct fb_ckpt *fb_gre(struct fb_frame *f, uint8_t flags, uint16_t ptype,
		       uint32_t key);
/** ERSPAN type II header (after GRE 0x88be with S), version @p ver (1 is
 * valid), session id @p sid. */
struct fb_ckpt *fb_erspan2(struct fb_frame *f, uint8_t ver, uint16_t sid);
/** ERSPAN type III header (after GRE 0x22eb), version @p ver (2 is valid),
 * with the 8-byte platform subheader when @p o. */
struct fb_ckpt *fb_erspan3(struct fb_frame *f, uint8_t ver, uint16_t sid,
			   int o);
/** Inner Ethernet header (after VXLAN, GENEVE/GRE TEB, ERSPAN, MPLS PW). */
struct fb_ckpt *fb_ieth(struct fb_frame *f, uint16_t type);

#define FB_MPLS_IP 0 /**< IPv4/IPv6 follows the label stack */
#define FB_MPLS_PW 1 /**< a control word and Ethernet follow */

/** An MPLS label stack of @p n labels (labels 100.., bottom of stack on the
 * last), then @p payload (FB_MPLS_IP or FB_MPLS_PW with its control word). */
struct fb_ckpt *fb_mpls(struct fb_frame *f, unsigned int n, int payload);
/** PPPoE session header and PPP protocol @p ppp_proto. */
struct fb_ckpt *fb_pppoe(struct fb_frame *f, uint16_t ppp_proto);
/** IP-in-IP: the next IP header is the payload of the current one. */
void fb_ipip(struct fb_frame *f);

/* Layout helpers for hand-made malformed frames. */

/** Record one more checkpoint: @p need bytes, else encap_err @p err. */
struct fb_ckpt *fb_ck_add(struct fb_frame *f, uint32_t need, uint8_t err);
/** Turn @p c into "needs @p need bytes, then the walk stops with @p err". */
void fb_ck_stop(struct fb_ckpt *c, uint32_t need, uint8_t err);
/** After fb_other() following IP protocol 47: its bytes read as a GRE
 * header of a version the parser refuses. */
void fb_ck_junk_gre(struct fb_frame *f);

/**
 * ICMP/ICMPv6 type that pairs with @p type (echo request <-> reply, ...) as
 * in Community ID v1, else @p code: what sl_parse() puts in dport.
 */
int fb_icmp_peer(int v6, uint8_t type, uint8_t code);

/* ---- recipes ------------------------------------------------------------ */

/** Step kinds of a recipe (see fb_build()). */
enum fb_op {
	FB_OP_END = 0,
	FB_OP_ETH, FB_OP_VLAN, FB_OP_VNTAG,
	FB_OP_IPV4, FB_OP_IPV6, FB_OP_EXT, FB_OP_FRAG6,
	FB_OP_TCP, FB_OP_UDP, FB_OP_SCTP, FB_OP_ICMP, FB_OP_OTHER,
	FB_OP_DATA, FB_OP_FILL, FB_OP_PAD_TO, FB_OP_U8, FB_OP_U16, FB_OP_U32,
	FB_OP_DONE,
	FB_OP_VXLAN, FB_OP_GENEVE, FB_OP_GRE, FB_OP_ERSPAN2, FB_OP_ERSPAN3,
	FB_OP_IETH, FB_OP_MPLS, FB_OP_PPPOE, FB_OP_IPIP,
	FB_OP_POKE8, FB_OP_POKE16, FB_OP_SET_IPLEN,
	FB_OP_TUN_ON, FB_OP_CK_ADD, FB_OP_CK_STOP, FB_OP_CK_HALT,
	FB_OP_CK_ERR, FB_OP_CK_NEED, FB_OP_CK_JUNK_GRE,
};

/** One step of a recipe: a builder and its arguments. */
struct fb_step {
	uint8_t op;                /**< enum fb_op */
	uint32_t a, b, c, d;       /**< arguments, in the builder's order */
	const uint8_t *src, *dst;  /**< addresses of FB_OP_IPV4 / FB_OP_IPV6 */
};

/* One macro per builder, same arguments in the same order. The IP steps
 * take an address name (V4A, I6B, ...) for FB_<name>; FB_IPV4_AT() and
 * FB_IPV6_AT() take pointers. */
#define FB_END { .op = FB_OP_END }
#define FB_ETH(type) { .op = FB_OP_ETH, .a = (type) }
#define FB_VLAN(tci, next) { .op = FB_OP_VLAN, .a = (tci), .b = (next) }
#define FB_VNTAG(next) { .op = FB_OP_VNTAG, .a = (next) }
#define FB_IPV4_AT(proto, ihl, fw, id, sa, da)                                \
	{ .op = FB_OP_IPV4, .a = (proto), .b = (ihl), .c = (fw), .d = (id),   \
	  .src = (sa), .dst = (da) }
#define FB_IPV4(proto, ihl, fw, id, sa, da)                                   \
	FB_IPV4_AT(proto, ihl, fw, id, FB_##sa, FB_##da)
#define FB_IPV6_AT(nh, sa, da)                                                \
	{ .op = FB_OP_IPV6, .a = (nh), .src = (sa), .dst = (da) }
#define FB_IPV6(nh, sa, da) FB_IPV6_AT(nh, FB_##sa, FB_##da)
#define FB_EXT(type, next, hlen)                                              \
	{ .op = FB_OP_EXT, .a = (type), .b = (next), .c = (hlen) }
#define FB_FRAG6(next, off, more, id)                                         \
	{ .op = FB_OP_FRAG6, .a = (next), .b = (off), .c = (more), .d = (id) }
#define FB_TCP(sport, dport, flags, doff)                                     \
	{ .op = FB_OP_TCP, .a = (sport), .b = (dport), .c = (flags),          \
	  .d = (doff) }
#define FB_UDP(sport, dport) { .op = FB_OP_UDP, .a = (sport), .b = (dport) }
#define FB_SCTP(sport, dport) { .op = FB_OP_SCTP, .a = (sport), .b = (dport) }
#define FB_ICMP(type, code) { .op = FB_OP_ICMP, .a = (type), .b = (code) }
#define FB_OTHER(n) { .op = FB_OP_OTHER, .a = (n) }
#define FB_DATA(n) { .op = FB_OP_DATA, .a = (n) }
#define FB_FILL(n, v) { .op = FB_OP_FILL, .a = (n), .b = (v) }
/** Fill with @p v until the frame is @p n bytes long (minimum-size pad). */
#define FB_PAD_TO(n, v) { .op = FB_OP_PAD_TO, .a = (n), .b = (v) }
#define FB_U8(v) { .op = FB_OP_U8, .a = (v) }
#define FB_U16(v) { .op = FB_OP_U16, .a = (v) }
#define FB_U32(v) { .op = FB_OP_U32, .a = (v) }
#define FB_DONE { .op = FB_OP_DONE }
#define FB_VXLAN(flags, vni) { .op = FB_OP_VXLAN, .a = (flags), .b = (vni) }
#define FB_GENEVE(ver, opt_words, ptype, vni)                                 \
	{ .op = FB_OP_GENEVE, .a = (ver), .b = (opt_words), .c = (ptype),     \
	  .d = (vni) }
#define FB_GRE(flags, ptype, key)                                             \
	{ .op = FB_OP_GRE, .a = (flags), .b = (ptype), .c = (key) }
#define FB_ERSPAN2(ver, sid) { .op = FB_OP_ERSPAN2, .a = (ver), .b = (sid) }
#define FB_ERSPAN3(ver, sid, o)                                               \
	{ .op = FB_OP_ERSPAN3, .a = (ver), .b = (sid), .c = (o) }
#define FB_IETH(type) { .op = FB_OP_IETH, .a = (type) }
#define FB_MPLS(n, payload) { .op = FB_OP_MPLS, .a = (n), .b = (payload) }
#define FB_PPPOE(proto) { .op = FB_OP_PPPOE, .a = (proto) }
#define FB_IPIP { .op = FB_OP_IPIP }
/* Patches: overwrite bytes already built (malformed variants). */
/** Byte @p v at offset @p off. */
#define FB_POKE8(off, v) { .op = FB_OP_POKE8, .a = (off), .b = (v) }
/** Big-endian 16 bits @p v at offset @p off. */
#define FB_POKE16(off, v) { .op = FB_OP_POKE16, .a = (off), .b = (v) }
/** The outer IP header's length field (total_len / payload_len) := @p v. */
#define FB_SET_IPLEN(v) { .op = FB_OP_SET_IPLEN, .a = (v) }
/* Layout edits for hand-made malformed frames; the FB_CK_* steps change
 * the last checkpoint recorded so far (the one of the step just before). */
/** Later headers are inner; @p mask joins encap_mask at the next step. */
#define FB_TUN_ON(mask) { .op = FB_OP_TUN_ON, .a = (mask) }
#define FB_CK_ADD(need, err) { .op = FB_OP_CK_ADD, .a = (need), .b = (err) }
/** fb_ck_stop() on the last checkpoint. */
#define FB_CK_STOP(need, err) { .op = FB_OP_CK_STOP, .a = (need), .b = (err) }
/** The walk stops after the last checkpoint, without an error. */
#define FB_CK_HALT { .op = FB_OP_CK_HALT }
/** The last checkpoint's encap_err when cut := @p err. */
#define FB_CK_ERR(err) { .op = FB_OP_CK_ERR, .a = (err) }
/** The last checkpoint needs @p need bytes. */
#define FB_CK_NEED(need) { .op = FB_OP_CK_NEED, .a = (need) }
#define FB_CK_JUNK_GRE { .op = FB_OP_CK_JUNK_GRE }

/**
 * A recipe as an expression (for a table row): the steps, then FB_END. A
 * compound literal: static at file scope; inside a function it lives in
 * the enclosing block, so a table there must not be static.
 */
#define FB_RECIPE(...) ((const struct fb_step[]){ __VA_ARGS__, FB_END })

/**
 * Build the frame a recipe describes into @p f: run @p steps up to FB_END.
 * The first step must be FB_ETH (it clears the frame).
 */
void fb_build(struct fb_frame *f, const struct fb_step *steps);

#endif /* SL_FRAMES_H */
