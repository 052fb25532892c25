/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Link layers other than Ethernet: how a frame of a capture whose link type
 * is raw IP, BSD loopback (NULL/LOOP) or Linux "cooked" (SLL, SLL2) becomes
 * the Ethernet frame the parser reads.
 *
 * sl_l2_to_eth() is a pure function of the link type and the frame's bytes:
 * it returns how many leading bytes to remove and the Ethernet header to put
 * in their place. The caller (app/sluice/linktype.c) rewrites the packet;
 * nothing here modifies a frame, allocates, prints or depends on DPDK.
 *
 * What sluice builds (docs/operations.md, "Captures that are not Ethernet"):
 *
 * | link type | removed | ethertype | source MAC | destination MAC |
 * |---|---|---|---|---|
 * | RAW (101, DLT 12/14) | nothing | 0x86dd when the version nibble is 6, else 0x0800 | SL_L2_MAC_SRC | SL_L2_MAC_DST |
 * | IPV4 (228) / IPV6 (229) | nothing | 0x0800 / 0x86dd | SL_L2_MAC_SRC | SL_L2_MAC_DST |
 * | NULL (0) / LOOP (108) | 4-byte address family | 0x0800 for AF_INET (2), 0x86dd for AF_INET6 (10, 24, 28, 30) | SL_L2_MAC_SRC | SL_L2_MAC_DST |
 * | LINUX_SLL (113) | 16-byte header | the header's protocol | the header's address when it is 6 bytes long, else SL_L2_MAC_SRC | ff:ff:ff:ff:ff:ff for a broadcast, 01:00:00:00:00:00 for a multicast, else SL_L2_MAC_DST |
 * | LINUX_SLL2 (276) | 20-byte header | as LINUX_SLL | as LINUX_SLL | as LINUX_SLL |
 *
 * NULL stores the family in the capturing host's byte order: a value with
 * any of its upper 16 bits set is read byte-swapped (libpcap does the
 * same); LOOP stores it in network order. A raw frame whose version nibble
 * is neither 4 nor 6 is given 0x0800, so the parser reports it as
 * ipv4_bad_version (it is a damaged IP packet, not a non-IP frame). An SLL
 * protocol of 0x0600 or more is an ethertype and is kept (VLAN tags that
 * libpcap re-inserted after the SLL header then read as 802.1Q); 0x0001
 * (802.3) and 0x0004 (802.2 LLC) become an 802.3 frame whose type field is
 * the payload length (at most 1500 bytes).
 */
#ifndef SL_L2_H
#define SL_L2_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Ethernet header length. */
#define SL_L2_ETH_HLEN 14
/** Longest link-layer header sl_l2_to_eth() reads (LINUX_SLL2). */
#define SL_L2_HDR_MAX 20
/** Source MAC of a synthetic header when the capture has none: 02:00:00:00:00:01. */
#define SL_L2_MAC_SRC { 0x02, 0, 0, 0, 0, 0x01 }
/** Destination MAC of a synthetic header when the capture has none: 02:00:00:00:00:02. */
#define SL_L2_MAC_DST { 0x02, 0, 0, 0, 0, 0x02 }

/** Link layers sluice reads. */
enum sl_l2_kind {
	SL_L2_ETHERNET = 0, /**< LINKTYPE_ETHERNET (1): nothing to convert */
	SL_L2_NULL,         /**< LINKTYPE_NULL (0): BSD loopback, host-order family */
	SL_L2_LOOP,         /**< LINKTYPE_LOOP (108): OpenBSD loopback, network order */
	SL_L2_RAW,          /**< LINKTYPE_RAW (101; libpcap's DLT_RAW 12 or 14) */
	SL_L2_IPV4,         /**< LINKTYPE_IPV4 (228) */
	SL_L2_IPV6,         /**< LINKTYPE_IPV6 (229) */
	SL_L2_SLL,          /**< LINKTYPE_LINUX_SLL (113) */
	SL_L2_SLL2,         /**< LINKTYPE_LINUX_SLL2 (276) */
	SL_L2_KIND_MAX
};

/** What to do to a frame to make it Ethernet. */
struct sl_l2_conv {
	uint32_t strip;     /**< leading bytes to remove */
	uint16_t ethertype; /**< host order; below 0x0600 an 802.3 length */
	uint8_t dst[6];     /**< destination MAC of the new header */
	uint8_t src[6];     /**< source MAC of the new header */
};

/**
 * The kind of a link type.
 *
 * @param linktype  a LINKTYPE_* value as stored in a pcap file, or the
 *                  DLT_* value libpcap's pcap_datalink() returns for it
 *                  (DLT_RAW is 12 on Linux, 14 on OpenBSD)
 * @return an enum sl_l2_kind, or -ENOTSUP for a link type sluice does not
 *         read (PPP, C-HDLC, 802.11, ...).
 *
 * Thread-safe, no state.
 */
int sl_l2_kind_of(int linktype);

/**
 * Short name of a kind ("EN10MB", "NULL", "LOOP", "RAW", "IPV4", "IPV6",
 * "LINUX_SLL", "LINUX_SLL2", as libpcap names the link types); NULL when
 * @p kind is out of range. The string is static.
 */
const char *sl_l2_kind_name(int kind);

/**
 * How to turn one frame of link layer @p kind into an Ethernet frame:
 * remove out->strip leading bytes, then put a 14-byte header (out->dst,
 * out->src, out->ethertype; see sl_l2_eth_header()) in front of what is
 * left. Reads only the link-layer header (at most SL_L2_HDR_MAX bytes)
 * and, for raw IP, the first byte: a caller holding a frame in pieces
 * passes a copy of its first min(@p len, SL_L2_HDR_MAX) bytes and the
 * frame's whole length.
 *
 * @param kind   an enum sl_l2_kind other than SL_L2_ETHERNET
 * @param frame  the frame as captured, at least its first
 *               min(@p len, SL_L2_HDR_MAX) bytes (NULL when @p len is 0)
 * @param len    the frame's length in bytes
 * @param out    receives the conversion; unspecified on error
 * @return 0;
 *         -EINVAL for NULL @p out (or @p frame with @p len > 0), or a kind
 *         out of range or SL_L2_ETHERNET;
 *         -EMSGSIZE when the frame is shorter than its link-layer header
 *         (NULL/LOOP: 4 bytes, SLL: 16, SLL2: 20);
 *         -EPROTONOSUPPORT when what the frame carries has no Ethernet
 *         equivalent (a NULL/LOOP family other than IPv4 and IPv6, an SLL
 *         protocol below 0x0600 other than 802.2/802.3, an 802.2/802.3
 *         payload longer than 1500 bytes, a Netlink SLL frame).
 *
 * Thread-safe, no state.
 */
int sl_l2_to_eth(int kind, const uint8_t *frame, uint32_t len, struct sl_l2_conv *out);

/**
 * Write the 14-byte Ethernet header of @p c into @p hdr (destination,
 * source, ethertype in network order). Thread-safe.
 */
void sl_l2_eth_header(const struct sl_l2_conv *c, uint8_t hdr[SL_L2_ETH_HLEN]);

#ifdef __cplusplus
}
#endif
#endif /* SL_L2_H */
