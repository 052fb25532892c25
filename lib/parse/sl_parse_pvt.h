/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared between sl_parse.c (Ethernet, IP, L4: the untunnelled hot path)
 * and sl_parse_encap.c (the encapsulation walk). Not installed, not part of
 * the API.
 */
#ifndef SL_PARSE_PVT_H
#define SL_PARSE_PVT_H

#include <stdint.h>

#include "sl_parse.h"

/* Ethertypes (also GRE protocol types). */
#define SL_ETH_P_IPV4 0x0800
#define SL_ETH_P_IPV6 0x86dd
#define SL_ETH_P_8021Q 0x8100
#define SL_ETH_P_8021AD 0x88a8
#define SL_ETH_P_QINQ_9100 0x9100 /* pre-802.1ad vendor S-tag */
#define SL_ETH_P_VNTAG 0x8926
#define SL_ETH_P_PPPOE_SES 0x8864
#define SL_ETH_P_MPLS_UC 0x8847
#define SL_ETH_P_MPLS_MC 0x8848
#define SL_ETH_P_TEB 0x6558       /* transparent Ethernet bridging */
#define SL_ETH_P_ERSPAN12 0x88be  /* ERSPAN type I (no seq) / II */
#define SL_ETH_P_ERSPAN3 0x22eb

#define SL_ETH_HLEN 14
#define SL_VLAN_HLEN 4  /* TCI + next type */
#define SL_VNTAG_HLEN 6 /* 4-byte tag + next type */
#define SL_VLAN_VID_MASK 0x0fff

/*
 * Internal result of the IP parsers: the IP layer parsed without error and
 * its payload is a tunnel candidate (IP protocol 4/41/47, or UDP to a port
 * of cfg). Never returned by the public functions.
 */
#define SL_PARSE_PVT_TUNNEL (-1)

#define sl_unlikely(x) __builtin_expect(!!(x), 0)

static inline uint16_t
sl_rd16(const uint8_t *p)
{
	return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}

static inline uint32_t
sl_rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/*
 * Walk the L2 tags after an ethertype: 802.1Q/802.1ad/0x9100 (at most
 * SL_MAX_VLANS, a further one is SL_PARSE_ERR_VLAN_TOO_DEEP) and one VNTag.
 * *off is the offset after the ethertype field, *type the ethertype read;
 * on return they are past the tags. On a tag error *type holds the tag's
 * TPID. Reads stay below lim.
 */
static inline int
sl_parse_pvt_l2_tags(const uint8_t *pkt, uint32_t lim, uint32_t *off,
		     uint16_t *type, uint16_t *vlan, uint8_t *n_vlans,
		     uint16_t *encap_mask)
{
	uint32_t o = *off;
	uint16_t t = *type;
	int vntag = 0;

	/* Each pass consumes one tag; at most SL_MAX_VLANS VLAN tags and one
	 * VNTag fit, the pass after that returns. */
	for (unsigned int i = 0; i < SL_MAX_VLANS + 2; i++) {
		switch (t) {
		case SL_ETH_P_8021Q:
		case SL_ETH_P_8021AD:
		case SL_ETH_P_QINQ_9100:
			if (*n_vlans == SL_MAX_VLANS)
				return SL_PARSE_ERR_VLAN_TOO_DEEP;
			if (o > lim || lim - o < SL_VLAN_HLEN)
				return SL_PARSE_ERR_VLAN_TRUNCATED;
			vlan[(*n_vlans)++] = sl_rd16(pkt + o) & SL_VLAN_VID_MASK;
			t = sl_rd16(pkt + o + 2);
			o += SL_VLAN_HLEN;
			break;
		case SL_ETH_P_VNTAG:
			if (vntag)
				goto done; /* a second one: not walked */
			*encap_mask |= SL_ENCAP_BIT(SL_ENCAP_VNTAG);
			if (o > lim || lim - o < SL_VNTAG_HLEN)
				return SL_PARSE_ERR_VLAN_TRUNCATED;
			vntag = 1;
			t = sl_rd16(pkt + o + 4);
			o += SL_VNTAG_HLEN;
			break;
		default:
			goto done;
		}
		*type = t;
	}
done:
	*off = o;
	return SL_PARSE_OK;
}

/*
 * IPv4 / IPv6 header at off, then extension headers and L4. len bounds
 * every read (the caller's extent). Returns an enum sl_parse_err, or
 * SL_PARSE_PVT_TUNNEL. pi's flow fields must be zero on entry.
 */
int sl_parse_pvt_ipv4(const struct sl_parse_cfg *cfg, const uint8_t *pkt,
		      uint32_t off, uint32_t len, struct sl_pkt_info *pi);
int sl_parse_pvt_ipv6(const struct sl_parse_cfg *cfg, const uint8_t *pkt,
		      uint32_t off, uint32_t len, struct sl_pkt_info *pi);

/*
 * The encapsulation walk (sl_parse_encap.c), called with pi holding a
 * settled layer (cfg->max_depth > 0 checked by the caller):
 * - type 0: the IP layer in pi returned SL_PARSE_PVT_TUNNEL;
 * - type PPPoE/MPLS: the outer Ethernet announced it, payload at off.
 * Returns the enum sl_parse_err of the layer described at the end.
 */
int sl_parse_pvt_decap(const struct sl_parse_cfg *cfg, const uint8_t *pkt,
		       uint32_t len, struct sl_pkt_info *pi, uint32_t off,
		       uint16_t type);

/*
 * Parse the frame again as sl_parse() does, with at most @p depth layers
 * removed: the walk's way back to the layer settled at that depth after an
 * inner IP header wrote over it and failed (sl_parse_encap.c stop()). The
 * same walk stops there again: it enters the same layers, parses the same
 * settled IP layer, and refuses the next layer before writing a flow field.
 * What it writes of the encapsulation fields the caller puts back.
 */
void sl_parse_pvt_replay(const struct sl_parse_cfg *cfg, const uint8_t *pkt,
			 uint32_t len, struct sl_pkt_info *pi, uint8_t depth);

#endif /* SL_PARSE_PVT_H */
