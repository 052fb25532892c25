/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Link layers other than Ethernet (see sl_l2.h for what is built).
 *
 * Header layouts (https://www.tcpdump.org/linktypes/):
 *   NULL/LOOP   4 bytes: address family (host order / network order)
 *   LINUX_SLL  16 bytes: packet type(2) ARPHRD type(2) address length(2)
 *                        address(8) protocol(2)
 *   LINUX_SLL2 20 bytes: protocol(2) reserved(2) interface index(4)
 *                        ARPHRD type(2) packet type(1) address length(1)
 *                        address(8)
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "sl_l2.h"

#define LT_NULL 0
#define LT_ETHERNET 1
#define DLT_RAW_LINUX 12
#define DLT_RAW_OPENBSD 14
#define LT_RAW 101
#define LT_LOOP 108
#define LT_LINUX_SLL 113
#define LT_IPV4 228
#define LT_IPV6 229
#define LT_LINUX_SLL2 276

#define ETH_P_IPV4 0x0800
#define ETH_P_IPV6 0x86dd
#define ETH_MIN_TYPE 0x0600 /* below: an 802.3 length */
#define ETH_MAX_LEN 1500

#define NULL_HLEN 4
#define SLL_HLEN 16
#define SLL2_HLEN 20

/* SLL protocols below 0x0600 that have an 802.3 form */
#define SLL_P_802_3 0x0001
#define SLL_P_802_2 0x0004
/* SLL packet types */
#define SLL_BROADCAST 1
#define SLL_MULTICAST 2
#define ARPHRD_NETLINK 824

/* Address families seen in NULL/LOOP captures */
#define BSD_AF_INET 2
#define LINUX_AF_INET6 10
#define BSD_AF_INET6_BSD 24     /* NetBSD, OpenBSD, BSD/OS */
#define BSD_AF_INET6_FREEBSD 28
#define BSD_AF_INET6_DARWIN 30

static const uint8_t mac_src[6] = SL_L2_MAC_SRC;
static const uint8_t mac_dst[6] = SL_L2_MAC_DST;
static const uint8_t mac_bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t mac_mcast[6] = { 0x01, 0, 0, 0, 0, 0 };

static const char *const kind_names[SL_L2_KIND_MAX] = {
	[SL_L2_ETHERNET] = "EN10MB", [SL_L2_NULL] = "NULL",    [SL_L2_LOOP] = "LOOP",
	[SL_L2_RAW] = "RAW",         [SL_L2_IPV4] = "IPV4",    [SL_L2_IPV6] = "IPV6",
	[SL_L2_SLL] = "LINUX_SLL",   [SL_L2_SLL2] = "LINUX_SLL2",
};

int
sl_l2_kind_of(int linktype)
{
	switch (linktype) {
	case LT_ETHERNET: return SL_L2_ETHERNET;
	case LT_NULL: return SL_L2_NULL;
	case LT_LOOP: return SL_L2_LOOP;
	case LT_RAW:
	case DLT_RAW_LINUX:
	case DLT_RAW_OPENBSD: return SL_L2_RAW;
	case LT_IPV4: return SL_L2_IPV4;
	case LT_IPV6: return SL_L2_IPV6;
	case LT_LINUX_SLL: return SL_L2_SLL;
	case LT_LINUX_SLL2: return SL_L2_SLL2;
	default: return -ENOTSUP;
	}
}

const char *
sl_l2_kind_name(int kind)
{
	return kind >= 0 && kind < SL_L2_KIND_MAX ? kind_names[kind] : NULL;
}

static uint16_t
be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t
swap32(uint32_t v)
{
	return v >> 24 | (v >> 8 & 0xff00) | (v << 8 & 0xff0000) | v << 24;
}

static void
set_macs(struct sl_l2_conv *out, const uint8_t *dst, const uint8_t *src)
{
	memcpy(out->dst, dst, 6);
	memcpy(out->src, src, 6);
}

/* NULL/LOOP: the family, as it is stored, to an ethertype. */
static int
from_family(uint32_t family, struct sl_l2_conv *out)
{
	switch (family) {
	case BSD_AF_INET:
		out->ethertype = ETH_P_IPV4;
		return 0;
	case LINUX_AF_INET6:
	case BSD_AF_INET6_BSD:
	case BSD_AF_INET6_FREEBSD:
	case BSD_AF_INET6_DARWIN:
		out->ethertype = ETH_P_IPV6;
		return 0;
	default:
		return -EPROTONOSUPPORT;
	}
}

/*
 * SLL and SLL2 after their fields were read: the protocol becomes the
 * ethertype (or the 802.3 length), the address the source MAC.
 */
static int
from_sll(uint32_t len, uint32_t hlen, uint16_t proto, uint16_t hatype, uint16_t pkttype,
	 uint32_t addr_len, const uint8_t *addr, struct sl_l2_conv *out)
{
	uint32_t payload = len - hlen;

	out->strip = hlen;
	if (hatype == ARPHRD_NETLINK)
		return -EPROTONOSUPPORT;
	if (proto >= ETH_MIN_TYPE)
		out->ethertype = proto;
	else if ((proto == SLL_P_802_2 || proto == SLL_P_802_3) && payload <= ETH_MAX_LEN)
		out->ethertype = (uint16_t)payload;
	else
		return -EPROTONOSUPPORT;
	set_macs(out,
		 pkttype == SLL_BROADCAST   ? mac_bcast
		 : pkttype == SLL_MULTICAST ? mac_mcast
					    : mac_dst,
		 addr_len == 6 ? addr : mac_src);
	return 0;
}

int
sl_l2_to_eth(int kind, const uint8_t *frame, uint32_t len, struct sl_l2_conv *out)
{
	if (out == NULL || (frame == NULL && len > 0))
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	set_macs(out, mac_dst, mac_src);
	switch (kind) {
	case SL_L2_RAW:
		out->ethertype = len > 0 && frame[0] >> 4 == 6 ? ETH_P_IPV6 : ETH_P_IPV4;
		return 0;
	case SL_L2_IPV4:
		out->ethertype = ETH_P_IPV4;
		return 0;
	case SL_L2_IPV6:
		out->ethertype = ETH_P_IPV6;
		return 0;
	case SL_L2_NULL:
	case SL_L2_LOOP: {
		if (len < NULL_HLEN)
			return -EMSGSIZE;
		uint32_t family = be32(frame);

		/* NULL: the capturing host's order; a family is < 65536 */
		if (kind == SL_L2_NULL && (family & 0xffff0000u) != 0)
			family = swap32(family);
		out->strip = NULL_HLEN;
		return from_family(family, out);
	}
	case SL_L2_SLL:
		if (len < SLL_HLEN)
			return -EMSGSIZE;
		return from_sll(len, SLL_HLEN, be16(frame + 14), be16(frame + 2), be16(frame),
				be16(frame + 4), frame + 6, out);
	case SL_L2_SLL2:
		if (len < SLL2_HLEN)
			return -EMSGSIZE;
		return from_sll(len, SLL2_HLEN, be16(frame), be16(frame + 8), frame[10], frame[11],
				frame + 12, out);
	default:
		return -EINVAL;
	}
}

void
sl_l2_eth_header(const struct sl_l2_conv *c, uint8_t hdr[SL_L2_ETH_HLEN])
{
	memcpy(hdr, c->dst, 6);
	memcpy(hdr + 6, c->src, 6);
	hdr[12] = (uint8_t)(c->ethertype >> 8);
	hdr[13] = (uint8_t)c->ethertype;
}
