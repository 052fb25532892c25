/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * sluice packet parser: Ethernet, 802.1Q, 802.1ad/QinQ, IPv4 (with options),
 * IPv6 (extension-header chain), TCP/UDP/SCTP, ICMP/ICMPv6.
 *
 * The parser works on a flat byte buffer (the first segment of an mbuf) and
 * has no DPDK dependency, so it can be unit-tested and fuzzed on its own.
 * Every byte is untrusted: each header is bounds-checked against the buffer
 * length before it is read, and the first failure is reported as one
 * sl_parse_err class. What was parsed before the failure stays valid, so a
 * packet can still be steered by its outer layers.
 *
 * Tunnels (sl_parse() with a struct sl_parse_cfg): VXLAN, GENEVE, GRE (plain,
 * transparent Ethernet bridging, ERSPAN types I/II/III, MPLS over GRE), MPLS
 * label stacks (IP, or Ethernet pseudowire with a control word), PPPoE
 * sessions and IP-in-IP (4in4, 6in4, 4in6, 6in6) are walked up to
 * cfg->max_depth layers, so that the flow fields describe the innermost IP
 * packet and one mirror session spreads over all workers. The packet is
 * never modified. VNTag is skipped as an L2 tag.
 *
 * What one "encapsulation layer" is: one tunnel header between a packet and
 * the packet it carries. GRE with its ERSPAN header counts once, a whole MPLS
 * label stack counts once, IP-in-IP counts once; VNTag and VLAN tags do not
 * count. With max_depth N at most N layers are removed.
 */
#ifndef SL_PARSE_H
#define SL_PARSE_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Most VLAN tags kept (outer S-tag, inner C-tag). A third tag is an error. */
#define SL_MAX_VLANS 2
/** Most IPv6 extension headers walked before giving up. */
#define SL_MAX_IPV6_EXT 8

/**
 * Parse error classes. X(enum suffix, counter name). One list generates the
 * enum, the counter names in stats JSON and telemetry.
 */
#define SL_PARSE_ERRORS(X)                                                    \
	X(L2_TRUNCATED, "l2_truncated")                                       \
	X(VLAN_TRUNCATED, "vlan_truncated")                                   \
	X(VLAN_TOO_DEEP, "vlan_too_deep")                                     \
	X(IPV4_TRUNCATED, "ipv4_truncated")                                   \
	X(IPV4_BAD_VERSION, "ipv4_bad_version")                               \
	X(IPV4_BAD_IHL, "ipv4_bad_ihl")                                       \
	X(IPV4_BAD_TOTAL_LEN, "ipv4_bad_total_len")                           \
	X(IPV6_TRUNCATED, "ipv6_truncated")                                   \
	X(IPV6_BAD_VERSION, "ipv6_bad_version")                               \
	X(IPV6_BAD_PAYLOAD_LEN, "ipv6_bad_payload_len")                       \
	X(IPV6_EXT_TRUNCATED, "ipv6_ext_truncated")                           \
	X(IPV6_EXT_TOO_MANY, "ipv6_ext_too_many")                             \
	X(L4_TRUNCATED, "l4_truncated")                                       \
	X(TCP_BAD_DATA_OFFSET, "tcp_bad_data_offset")

/** Result class of sl_parse() / sl_parse_eth(). 0 is success. */
enum sl_parse_err {
	SL_PARSE_OK = 0,
#define SL_X_ENUM(e, s) SL_PARSE_ERR_##e,
	SL_PARSE_ERRORS(SL_X_ENUM)
#undef SL_X_ENUM
	SL_PARSE_ERR_MAX
};

/** Network-layer type found. */
enum sl_l3_type {
	SL_L3_NONE = 0, /**< not IP (ARP, LLDP, ...), or L2 failed */
	SL_L3_IPV4 = 4,
	SL_L3_IPV6 = 6,
};

/** Fragment flags in struct sl_pkt_info::frag. */
#define SL_FRAG_IS_FRAGMENT 0x01 /**< part of a fragmented datagram */
#define SL_FRAG_FIRST 0x02       /**< offset 0 (carries the L4 header) */
#define SL_FRAG_MORE 0x04        /**< more-fragments bit set */

/**
 * Encapsulation types. X(enum suffix, name). The enum value is a bit index
 * into struct sl_pkt_info::encap_mask (see SL_ENCAP_BIT()).
 */
#define SL_ENCAP_TYPES(X)                                                     \
	X(VXLAN, "vxlan")     /* UDP dport in cfg->vxlan_ports */             \
	X(GENEVE, "geneve")   /* UDP dport in cfg->geneve_ports */            \
	X(GRE, "gre")         /* IP protocol 47 (any GRE version) */          \
	X(ERSPAN1, "erspan1") /* GRE 0x88be without sequence number */        \
	X(ERSPAN2, "erspan2") /* GRE 0x88be with sequence number */           \
	X(ERSPAN3, "erspan3") /* GRE 0x22eb */                                \
	X(MPLS, "mpls")       /* ethertype 0x8847/0x8848, GRE 0x8847 */       \
	X(PPPOE, "pppoe")     /* PPPoE session, ethertype 0x8864 */           \
	X(IPIP, "ipip")       /* IP protocol 4 or 41 (4in4/6in4/4in6/6in6) */ \
	X(VNTAG, "vntag")     /* ethertype 0x8926, skipped as an L2 tag */

/** Bit index of an encapsulation type in sl_pkt_info::encap_mask. */
enum sl_encap_type {
#define SL_X_ENUM(e, s) SL_ENCAP_##e,
	SL_ENCAP_TYPES(SL_X_ENUM)
#undef SL_X_ENUM
	SL_ENCAP_TYPE_MAX
};

/** encap_mask bit of an enum sl_encap_type. */
#define SL_ENCAP_BIT(t) ((uint16_t)(1u << (t)))

/**
 * Decapsulation error classes. X(enum suffix, counter name). A decapsulation
 * error never changes sl_pkt_info::err: the flow fields go back to the last
 * IP layer that was parsed (see sl_parse()).
 */
#define SL_ENCAP_ERRORS(X)                                                    \
	X(TOO_DEEP, "encap_too_deep")                                         \
	X(VXLAN_TRUNCATED, "vxlan_truncated")                                 \
	X(VXLAN_BAD_FLAGS, "vxlan_bad_flags")                                 \
	X(GENEVE_TRUNCATED, "geneve_truncated")                               \
	X(GENEVE_BAD_VERSION, "geneve_bad_version")                           \
	X(GENEVE_BAD_OPT_LEN, "geneve_bad_opt_len")                           \
	X(GRE_TRUNCATED, "gre_truncated")                                     \
	X(GRE_BAD_VERSION, "gre_bad_version")                                 \
	X(GRE_ROUTING, "gre_routing")                                         \
	X(ERSPAN_TRUNCATED, "erspan_truncated")                               \
	X(ERSPAN_BAD_VERSION, "erspan_bad_version")                           \
	X(MPLS_TRUNCATED, "mpls_truncated")                                   \
	X(MPLS_TOO_DEEP, "mpls_too_deep")                                     \
	X(PPPOE_TRUNCATED, "pppoe_truncated")                                 \
	X(PPPOE_BAD_VERSION, "pppoe_bad_version")                             \
	X(INNER_L2_TRUNCATED, "inner_l2_truncated")                           \
	X(INNER_VLAN_TOO_DEEP, "inner_vlan_too_deep")                         \
	X(INNER_L3_TRUNCATED, "inner_l3_truncated")                           \
	X(INNER_L3_BAD, "inner_l3_bad")

/** Decapsulation error class in sl_pkt_info::encap_err. 0 is success. */
enum sl_encap_err {
	SL_ENCAP_OK = 0,
#define SL_X_ENUM(e, s) SL_ENCAP_ERR_##e,
	SL_ENCAP_ERRORS(SL_X_ENUM)
#undef SL_X_ENUM
	SL_ENCAP_ERR_MAX
};

/** What sl_pkt_info::tunnel_id holds. */
enum sl_tunid_type {
	SL_TUNID_NONE = 0,
	SL_TUNID_VXLAN_VNI,  /**< VXLAN VNI, 24 bits */
	SL_TUNID_GENEVE_VNI, /**< GENEVE VNI, 24 bits */
	SL_TUNID_GRE_KEY,    /**< GRE key (K bit), 32 bits */
	SL_TUNID_ERSPAN_ID,  /**< ERSPAN II/III session id, 10 bits */
};

/** Most MPLS labels walked; a deeper stack is SL_ENCAP_ERR_MPLS_TOO_DEEP. */
#define SL_MAX_MPLS_LABELS 8
/** Default UDP ports and depth of sl_parse_cfg_default(). */
#define SL_VXLAN_PORT 4789
#define SL_GENEVE_PORT 6081
#define SL_PARSE_DEFAULT_DEPTH 3

/**
 * Decapsulation settings. Fill with sl_parse_cfg_default(), then adjust.
 * Read-only for the parser; one struct may be shared by all lcores.
 */
struct sl_parse_cfg {
	uint16_t vxlan_ports[8];  /**< UDP destination ports carrying VXLAN */
	uint16_t geneve_ports[4]; /**< UDP destination ports carrying GENEVE */
	uint8_t n_vxlan_ports;    /**< entries used (more than 8 counts as 8) */
	uint8_t n_geneve_ports;   /**< entries used (more than 4 counts as 4) */
	/** Encapsulation layers removed at most (default 3). 0 turns
	 * decapsulation off: the parser then behaves as before tunnels were
	 * supported (no encap fields, no encap_too_deep; VNTag is still
	 * skipped as an L2 tag). */
	uint8_t max_depth;
	/** 0: after the MPLS bottom of stack, a first nibble of 4/6 is
	 * IPv4/IPv6, anything else ends the walk. 1: a first nibble of 0 is
	 * also a 4-byte pseudowire control word followed by Ethernet. */
	uint8_t mpls_pw;
};

/**
 * What the parser found. Addresses are kept in network byte order; IPv4
 * addresses sit in the first 4 bytes of the 16-byte arrays and the rest is
 * zero. Ports are in host byte order. For ICMP/ICMPv6, sport holds the type
 * and dport the matching reply type when one exists (echo request <-> reply,
 * ...) else the code, as in the Community ID v1 specification, so a request
 * and its reply share a canonical key.
 */
struct sl_pkt_info {
	uint8_t src[16];      /**< source address (network order) */
	uint8_t dst[16];      /**< destination address (network order) */
	uint16_t sport;       /**< source port, or ICMP type */
	uint16_t dport;       /**< destination port, or ICMP reply-type/code */
	uint16_t vlan[SL_MAX_VLANS]; /**< VLAN ids, outermost first (12 bits) */
	uint16_t ethertype;   /**< innermost ethertype, host order */
	uint16_t l3_off;      /**< offset of the IP header (0 when none) */
	uint16_t l4_off;      /**< offset of the L4 header (0 when none) */
	uint16_t l4_len;      /**< L4 bytes present in the buffer from l4_off */
	uint16_t frag_off;    /**< fragment offset in bytes */
	uint16_t frag_len;    /**< fragment payload bytes as declared by the IP
	                           header (after IP and fragment headers) */
	uint32_t frag_id;     /**< IPv4 id (16 bits) or IPv6 fragment id */
	uint8_t n_vlans;      /**< tags parsed (0..SL_MAX_VLANS) */
	uint8_t l3;           /**< enum sl_l3_type */
	uint8_t proto;        /**< L4 protocol number (IPv6: after the ext chain) */
	uint8_t has_ports;    /**< 1 when sport/dport are valid */
	uint8_t tcp_flags;    /**< TCP flags byte when proto is TCP */
	uint8_t frag;         /**< SL_FRAG_* flags */
	uint8_t err;          /**< enum sl_parse_err of the first failure */
	uint8_t n_ext;        /**< IPv6 extension headers walked */
	/* Encapsulation (sl_parse() with max_depth > 0). The fields above
	 * describe the packet that starts at inner_off, except vlan[] and
	 * n_vlans, which always hold the outer Ethernet's tags. */
	uint32_t tunnel_id;   /**< id of the outermost tunnel carrying one */
	uint16_t encap_mask;  /**< SL_ENCAP_BIT() of every type identified */
	/** Start of the payload of the innermost layer removed: its Ethernet
	 * header (VXLAN, GENEVE and GRE TEB, ERSPAN, MPLS pseudowire) or its
	 * IP header (IP-in-IP, GRE/GENEVE IP, MPLS IP, PPPoE). 0: none. */
	uint16_t inner_off;
	uint16_t inner_vlan[SL_MAX_VLANS]; /**< VLAN ids (12 bits) of the
					    * innermost inner Ethernet */
	uint8_t n_encap;      /**< encapsulation layers removed */
	uint8_t tunnel_id_type; /**< enum sl_tunid_type of tunnel_id */
	uint8_t inner_n_vlans; /**< tags in inner_vlan[] (0..SL_MAX_VLANS) */
	uint8_t encap_err;    /**< enum sl_encap_err of the walk, 0 if none */
	/** An ICMP or ICMPv6 error (destination unreachable, packet too big,
	 * time exceeded, parameter problem, source quench, redirect) whose
	 * embedded packet was complete enough: src, dst, proto, sport, dport
	 * and has_ports then describe that packet reversed (the error travels
	 * back to its sender), so the error belongs to the flow it reports on.
	 * 0: the ICMP header's own type pair, as for any ICMP message. */
	uint8_t icmp_err;
	uint8_t pad[3];
};

/**
 * Fill @p c with the defaults: VXLAN on UDP 4789, GENEVE on UDP 6081,
 * max_depth 3, mpls_pw 0.
 *
 * Thread-safety: reentrant.
 */
void sl_parse_cfg_default(struct sl_parse_cfg *c);

/**
 * Parse an Ethernet frame and walk its encapsulations.
 *
 * The walk: outer Ethernet (802.1Q/802.1ad/QinQ tags, VNTag), then PPPoE
 * session or MPLS, then IP; after an IP layer, IP-in-IP (protocol 4/41), GRE
 * (47, version 0; version 1 = PPTP is identified but not walked) or a UDP
 * destination port of cfg (VXLAN, GENEVE) start the next layer, whose inner
 * Ethernet or IP packet is parsed the same way. Non-first fragments are not
 * walked (no tunnel header in them).
 *
 * Result:
 * - The flow fields (addresses, ports, proto, l3, l3_off, l4_off, l4_len,
 *   tcp_flags, frag*, n_ext, ethertype and err) describe the innermost IP
 *   layer reached. For an IP header not preceded by an Ethernet header
 *   (IP-in-IP, GRE IP, MPLS, PPPoE), ethertype is 0x0800 or 0x86dd.
 *   n_encap, inner_off and inner_vlan[] describe the same layer.
 * - An IP/L4 error inside the innermost IP layer is reported in err as for
 *   an outer packet, with that layer's fields parsed so far.
 * - A decapsulation failure (tunnel header cut or malformed, inner Ethernet
 *   cut, inner IP header cut or malformed, more than max_depth layers) sets
 *   encap_err and puts every field back to the last IP layer that was
 *   parsed (the outer packet, or the outer Ethernet when there is no IP
 *   before the failure); err keeps that layer's value (SL_PARSE_OK).
 *   A tunnel header cut inside a first fragment is not an error: the walk
 *   just stops there.
 * - A layer whose payload is neither IP nor one more walked encapsulation
 *   (ARP inside VXLAN, PPP LCP, GRE PPTP, an unknown GRE/GENEVE protocol)
 *   ends the walk the same way, without encap_err.
 * - encap_mask and tunnel_id are kept in all cases: encap_mask has a bit for
 *   every encapsulation identified (also the one that failed); tunnel_id is
 *   the id of the outermost tunnel whose header was complete and valid.
 *
 * Every read is bounds-checked against @p len and against the extents
 * declared by the enclosing headers (IP total length, PPPoE length); offsets
 * past 65535 bytes are not walked into.
 *
 * @param cfg  decapsulation settings, not NULL (see sl_parse_cfg_default())
 * @param pkt  first byte of the frame (Ethernet destination MAC)
 * @param len  bytes readable at @p pkt
 * @param pi   result, fully overwritten
 * @return     SL_PARSE_OK, or the enum sl_parse_err class of the first
 *             failure of the layer described (also stored in pi->err).
 *             On failure, fields of headers parsed before the failure are
 *             valid; the rest are zero.
 *
 * Thread-safety: pure function, reentrant.
 */
int sl_parse(const struct sl_parse_cfg *cfg, const uint8_t *pkt, uint32_t len,
	     struct sl_pkt_info *pi);

/**
 * sl_parse() with the sl_parse_cfg_default() settings.
 *
 * Thread-safety: pure function, reentrant.
 */
int sl_parse_eth(const uint8_t *pkt, uint32_t len, struct sl_pkt_info *pi);

/**
 * Name of a parse error class, as used in counters ("l2_truncated", ...).
 * @return static string; "ok" for SL_PARSE_OK, "unknown" when out of range.
 */
const char *sl_parse_err_name(int err);

/**
 * Name of the drop reason for packets dropped on parse error class @p err:
 * "parse_" followed by sl_parse_err_name() ("parse_l2_truncated", ...).
 * @return static string; NULL for SL_PARSE_OK or out of range.
 */
const char *sl_parse_drop_name(int err);

/**
 * Name of a decapsulation error class ("vxlan_truncated", ...).
 * @return static string; "ok" for SL_ENCAP_OK, "unknown" when out of range.
 */
const char *sl_encap_err_name(int err);

/**
 * Name of an encapsulation type ("vxlan", ...).
 * @param bit  enum sl_encap_type, the bit index in encap_mask
 * @return     static string; "unknown" when out of range.
 */
const char *sl_encap_type_name(int bit);

#ifdef __cplusplus
}
#endif
#endif /* SL_PARSE_H */
