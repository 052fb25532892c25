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
 * Later layers (tunnels, fragments) extend struct sl_pkt_info; the fields a
 * flow key needs (addresses, ports, protocol, VLAN ids) stay where they are.
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

/** Result class of sl_parse_eth(). 0 is success. */
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
	uint32_t frag_id;     /**< IPv4 id (16 bits) or IPv6 fragment id */
	uint8_t n_vlans;      /**< tags parsed (0..SL_MAX_VLANS) */
	uint8_t l3;           /**< enum sl_l3_type */
	uint8_t proto;        /**< L4 protocol number (IPv6: after the ext chain) */
	uint8_t has_ports;    /**< 1 when sport/dport are valid */
	uint8_t tcp_flags;    /**< TCP flags byte when proto is TCP */
	uint8_t frag;         /**< SL_FRAG_* flags */
	uint8_t err;          /**< enum sl_parse_err of the first failure */
	uint8_t n_ext;        /**< IPv6 extension headers walked */
};

/**
 * Parse an Ethernet frame.
 *
 * @param pkt  first byte of the frame (Ethernet destination MAC)
 * @param len  bytes readable at @p pkt
 * @param pi   result, fully overwritten
 * @return     SL_PARSE_OK, or the enum sl_parse_err class of the first
 *             failure (also stored in pi->err). On failure, fields of layers
 *             parsed before the failure are valid; the rest are zero.
 *
 * Thread-safety: pure function, reentrant.
 */
int sl_parse_eth(const uint8_t *pkt, uint32_t len, struct sl_pkt_info *pi);

/**
 * Name of a parse error class, as used in counters ("l2_truncated", ...).
 * @return static string; "ok" for SL_PARSE_OK, "unknown" when out of range.
 */
const char *sl_parse_err_name(int err);

#ifdef __cplusplus
}
#endif
#endif /* SL_PARSE_H */
