/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluice packet parser.
 *
 * Why hand-written: DPDK's rte_net_get_ptype() works on an mbuf, returns
 * only a packet-type bitmask and header lengths (no VLAN ids, addresses or
 * ports), and stops at some IPv6 extension headers. The broker needs all of
 * these for its flow key, and it needs a parser without any DPDK dependency
 * so that the unit tests and the libFuzzer harness can run it on plain byte
 * buffers.
 *
 * Rules kept throughout:
 * - Every read is preceded by a bounds check against the captured length
 *   (len) or the tighter L3 extent (end <= len). Multi-byte fields are read
 *   byte by byte (big-endian), so there are no alignment assumptions.
 * - The first failure is returned; fields of the layers that were complete
 *   before it are kept, the rest stay zero (pi is cleared on entry).
 * - "*_TRUNCATED" means the captured bytes ran out (snaplen, short frame).
 *   "*_BAD_*" means a header field is inconsistent with itself or with the
 *   declared length, even though the bytes are there.
 * - The L3 extent is min(declared length, captured bytes): a snaplen-cut
 *   packet is fine, and Ethernet padding after the IP datagram is never
 *   counted as L4 bytes.
 * - No allocation; the only loops are over L2 tags (at most 4 steps) and
 *   over the IPv6 extension-header chain (at most SL_MAX_IPV6_EXT + 1).
 * - Tunnels stay off the untunnelled path: parse_l4 flags a candidate
 *   (IP protocol 4/41/47 in its default arm; for UDP a branch-free port
 *   prefilter) and parse_eth takes one predictable branch on it to
 *   sl_parse_encap.c. One 802.1Q tag before IP is taken in parse_eth;
 *   other tags, PPPoE, MPLS and non-IP frames leave the bare IPv4/IPv6
 *   path through parse_l2.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sl_parse.h"
#include "sl_parse_pvt.h"

/* IP protocol / IPv6 next-header numbers. */
#define SL_IPPROTO_HOPOPTS 0
#define SL_IPPROTO_ICMP 1
#define SL_IPPROTO_IPIP 4
#define SL_IPPROTO_TCP 6
#define SL_IPPROTO_UDP 17
#define SL_IPPROTO_IPV6 41
#define SL_IPPROTO_ROUTING 43
#define SL_IPPROTO_FRAGMENT 44
#define SL_IPPROTO_GRE 47
#define SL_IPPROTO_AH 51
#define SL_IPPROTO_ICMPV6 58
#define SL_IPPROTO_NONE 59
#define SL_IPPROTO_DSTOPTS 60
#define SL_IPPROTO_SCTP 132
#define SL_IPPROTO_MOBILITY 135
#define SL_IPPROTO_UDPLITE 136
#define SL_IPPROTO_HIP 139
#define SL_IPPROTO_SHIM6 140

/* Header sizes. */
#define SL_IPV4_MIN_HLEN 20
#define SL_IPV6_HLEN 40
#define SL_IPV6_FRAG_HLEN 8
#define SL_TCP_MIN_HLEN 20
#define SL_UDP_HLEN 8
#define SL_SCTP_HLEN 12
#define SL_ICMP_MIN_HLEN 4

/* IPv4 flags/fragment-offset word. */
#define SL_IPV4_MF 0x2000
#define SL_IPV4_OFF_MASK 0x1fff
/* IPv6 fragment header offset word: offset in 8-byte units << 3, M bit. */
#define SL_IPV6_FRAG_OFF_MASK 0xfff8
#define SL_IPV6_FRAG_M 0x0001

static inline uint32_t
min_u32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

static const struct sl_parse_cfg sl_parse_defaults = {
	.vxlan_ports = { SL_VXLAN_PORT },
	.n_vxlan_ports = 1,
	.geneve_ports = { SL_GENEVE_PORT },
	.n_geneve_ports = 1,
	.max_depth = SL_PARSE_DEFAULT_DEPTH,
	.mpls_pw = 0,
};

void
sl_parse_cfg_default(struct sl_parse_cfg *c)
{
	*c = sl_parse_defaults;
}

/*
 * UDP destination port that may be VXLAN or GENEVE, without a branch of
 * its own: entry 0 of each list, or any UDP port when more entries are
 * configured. The walk checks the lists exactly (a list of 0 entries, or
 * a port not in them, ends it at once with nothing changed).
 */
static inline int
maybe_tunnel_port(const struct sl_parse_cfg *cfg, uint16_t port)
{
	return (port == cfg->vxlan_ports[0]) | (port == cfg->geneve_ports[0]) |
	       ((cfg->n_vxlan_ports | cfg->n_geneve_ports) > 1);
}

/*
 * ICMP type -> port-equivalents as in Community ID v1 (pycommunityid,
 * after Zeek's ICMP4_counterpart/ICMP6_counterpart): the counterpart type
 * when the message belongs to a request/reply pair, else the code.
 */
static uint16_t
icmp4_counterpart(uint8_t type, uint8_t code)
{
	switch (type) {
	case 8: return 0;   /* echo request -> echo reply */
	case 0: return 8;
	case 13: return 14; /* timestamp */
	case 14: return 13;
	case 15: return 16; /* information */
	case 16: return 15;
	case 10: return 9;  /* router solicitation -> advertisement */
	case 9: return 10;
	case 17: return 18; /* address mask */
	case 18: return 17;
	default: return code;
	}
}

static uint16_t
icmp6_counterpart(uint8_t type, uint8_t code)
{
	switch (type) {
	case 128: return 129; /* echo request -> reply */
	case 129: return 128;
	case 130: return 131; /* MLD query -> report */
	case 131: return 130;
	case 133: return 134; /* router solicitation -> advertisement */
	case 134: return 133;
	case 135: return 136; /* neighbor solicitation -> advertisement */
	case 136: return 135;
	case 139: return 140; /* node information (who-are-you) */
	case 140: return 139;
	case 144: return 145; /* home agent address discovery */
	case 145: return 144;
	default: return code;
	}
}

static inline int is_ipv6_ext(uint8_t nh);

/* ICMP and ICMPv6 errors: they embed the packet they report on. */
static inline bool
is_icmp_error(uint8_t proto, uint8_t type)
{
	if (proto == SL_IPPROTO_ICMP)
		/* unreachable, source quench, redirect, time exceeded, parameter */
		return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
	/* unreachable, packet too big, time exceeded, parameter problem */
	return type >= 1 && type <= 4;
}

/*
 * The packet an ICMP error embeds starts at off (its IP header, of the
 * error's own family), within end. When its addresses, protocol and, for a
 * protocol with ports, its first 4 L4 bytes are there, the flow fields of
 * pi become that packet's, reversed (the error travels back to the
 * packet's sender), and pi->icmp_err is set. Otherwise nothing changes:
 * the error keeps its own type pair. Only 8 L4 bytes are guaranteed by
 * RFC 792, so a TCP header is not required whole.
 */
static void
icmp_inner(const uint8_t *pkt, uint32_t off, uint32_t end, struct sl_pkt_info *pi)
{
	const uint8_t *h = pkt + off;
	uint8_t src[16] = { 0 }, dst[16] = { 0 }, proto;
	uint32_t l4;
	bool no_ports = false;

	if (pi->l3 == SL_L3_IPV4) {
		uint32_t ihl;

		if (end - off < SL_IPV4_MIN_HLEN || h[0] >> 4 != 4)
			return;
		ihl = (uint32_t)(h[0] & 0x0f) * 4;
		if (ihl < SL_IPV4_MIN_HLEN || ihl > end - off)
			return;
		memcpy(src, h + 12, 4);
		memcpy(dst, h + 16, 4);
		proto = h[9];
		no_ports = (sl_rd16(h + 6) & SL_IPV4_OFF_MASK) != 0; /* a later fragment */
		l4 = off + ihl;
	} else {
		unsigned int n = 0;

		if (end - off < SL_IPV6_HLEN || h[0] >> 4 != 6)
			return;
		memcpy(src, h + 8, 16);
		memcpy(dst, h + 24, 16);
		proto = h[6];
		l4 = off + SL_IPV6_HLEN;
		while (is_ipv6_ext(proto)) {
			uint32_t elen;

			if (++n > SL_MAX_IPV6_EXT || end - l4 < 8)
				return;
			elen = proto == SL_IPPROTO_AH ? ((uint32_t)pkt[l4 + 1] + 2) * 4
			       : proto == SL_IPPROTO_FRAGMENT ? 8
							       : ((uint32_t)pkt[l4 + 1] + 1) * 8;
			if (proto == SL_IPPROTO_FRAGMENT && (sl_rd16(pkt + l4 + 2) & 0xfff8))
				no_ports = true;
			if (elen > end - l4)
				return;
			proto = pkt[l4];
			l4 += elen;
		}
	}
	uint16_t sport = 0, dport = 0;
	uint8_t has_ports = 0;

	if (!no_ports) {
		switch (proto) {
		case SL_IPPROTO_TCP:
		case SL_IPPROTO_UDP:
		case SL_IPPROTO_UDPLITE:
		case SL_IPPROTO_SCTP:
			if (end - l4 < 4)
				return; /* cut too short: steered as any ICMP */
			sport = sl_rd16(pkt + l4);
			dport = sl_rd16(pkt + l4 + 2);
			has_ports = 1;
			break;
		case SL_IPPROTO_ICMP:
		case SL_IPPROTO_ICMPV6:
			if (end - l4 < 2)
				return;
			sport = pkt[l4];
			dport = proto == SL_IPPROTO_ICMP ? icmp4_counterpart(pkt[l4], pkt[l4 + 1])
							 : icmp6_counterpart(pkt[l4], pkt[l4 + 1]);
			has_ports = 1;
			break;
		default:
			break;
		}
	}
	/* reversed: the error goes from the embedded packet's destination
	 * (or a router on the way) back to its source */
	memcpy(pi->src, dst, 16);
	memcpy(pi->dst, src, 16);
	pi->sport = dport;
	pi->dport = sport;
	pi->has_ports = has_ports;
	pi->proto = proto;
	pi->tcp_flags = 0;
	pi->icmp_err = 1;
}

/*
 * L4 header at off; end is the L3 extent (<= len). pi->proto is set.
 * l4_off/l4_len are recorded whenever at least one L4 byte is present,
 * also for protocols without ports (GRE, ESP, ...). Returns an enum
 * sl_parse_err or SL_PARSE_PVT_TUNNEL.
 */
static __attribute__((noinline)) int
parse_l4_any(const struct sl_parse_cfg *cfg, const uint8_t *pkt, uint32_t off,
	     uint32_t end, struct sl_pkt_info *pi)
{
	const uint8_t *h = pkt + off;
	uint32_t avail = end - off;
	uint32_t doff;

	if (avail > 0) {
		pi->l4_off = (uint16_t)off;
		pi->l4_len = (uint16_t)min_u32(avail, UINT16_MAX);
	}

	switch (pi->proto) {
	case SL_IPPROTO_TCP:
		if (avail < SL_TCP_MIN_HLEN)
			return SL_PARSE_ERR_L4_TRUNCATED;
		doff = (uint32_t)(h[12] >> 4) * 4;
		if (doff < SL_TCP_MIN_HLEN)
			return SL_PARSE_ERR_TCP_BAD_DATA_OFFSET;
		pi->sport = sl_rd16(h);
		pi->dport = sl_rd16(h + 2);
		pi->tcp_flags = h[13];
		pi->has_ports = 1;
		/* Options cut by the snaplen: ports are good, header is not. */
		if (doff > avail)
			return SL_PARSE_ERR_L4_TRUNCATED;
		return SL_PARSE_OK;
	case SL_IPPROTO_UDP:
		if (avail < SL_UDP_HLEN)
			return SL_PARSE_ERR_L4_TRUNCATED;
		pi->sport = sl_rd16(h);
		pi->dport = sl_rd16(h + 2);
		pi->has_ports = 1;
		return maybe_tunnel_port(cfg, pi->dport) ? SL_PARSE_PVT_TUNNEL :
							   SL_PARSE_OK;
	case SL_IPPROTO_UDPLITE:
		if (avail < SL_UDP_HLEN)
			return SL_PARSE_ERR_L4_TRUNCATED;
		break;
	case SL_IPPROTO_SCTP:
		if (avail < SL_SCTP_HLEN)
			return SL_PARSE_ERR_L4_TRUNCATED;
		break;
	case SL_IPPROTO_ICMP:
	case SL_IPPROTO_ICMPV6:
		if (avail < SL_ICMP_MIN_HLEN)
			return SL_PARSE_ERR_L4_TRUNCATED;
		pi->sport = h[0];
		pi->dport = pi->proto == SL_IPPROTO_ICMP ?
				    icmp4_counterpart(h[0], h[1]) :
				    icmp6_counterpart(h[0], h[1]);
		pi->has_ports = 1;
		/* an error belongs to the flow it reports on: the packet it
		 * embeds after its 8-byte header */
		if (is_icmp_error(pi->proto, h[0]) && avail > 8)
			icmp_inner(pkt, off + 8, end, pi);
		return SL_PARSE_OK;
	default:
		/* IP-in-IP and GRE, off the TCP/UDP path. */
		return pi->proto == SL_IPPROTO_GRE ||
				       pi->proto == SL_IPPROTO_IPIP ||
				       pi->proto == SL_IPPROTO_IPV6 ?
			       SL_PARSE_PVT_TUNNEL :
			       SL_PARSE_OK;
	}
	/* UDP-Lite, SCTP: ports are the first 4 bytes. */
	pi->sport = sl_rd16(h);
	pi->dport = sl_rd16(h + 2);
	pi->has_ports = 1;
	return SL_PARSE_OK;
}

/*
 * parse_l4_any()'s own result for a whole TCP or UDP header, small enough
 * to be inlined into the IP parsers (parse_l4_any() is kept out of line for
 * that); anything else (other protocols, cut or bad headers) goes to
 * parse_l4_any(). Out of line for every packet, its call and saved
 * registers were 15 of its 57 instructions (docs/performance.md "Fewer
 * instructions a packet").
 */
static inline int
parse_l4(const struct sl_parse_cfg *cfg, const uint8_t *pkt, uint32_t off,
	 uint32_t end, struct sl_pkt_info *pi)
{
	const uint8_t *h = pkt + off;
	uint32_t avail = end - off;

	if (pi->proto == SL_IPPROTO_TCP && avail >= SL_TCP_MIN_HLEN) {
		uint32_t doff = (uint32_t)(h[12] >> 4) * 4;

		if (doff >= SL_TCP_MIN_HLEN && doff <= avail) {
			pi->l4_off = (uint16_t)off;
			pi->l4_len = (uint16_t)min_u32(avail, UINT16_MAX);
			pi->sport = sl_rd16(h);
			pi->dport = sl_rd16(h + 2);
			pi->tcp_flags = h[13];
			pi->has_ports = 1;
			return SL_PARSE_OK;
		}
	} else if (pi->proto == SL_IPPROTO_UDP && avail >= SL_UDP_HLEN) {
		pi->l4_off = (uint16_t)off;
		pi->l4_len = (uint16_t)min_u32(avail, UINT16_MAX);
		pi->sport = sl_rd16(h);
		pi->dport = sl_rd16(h + 2);
		pi->has_ports = 1;
		return maybe_tunnel_port(cfg, pi->dport) ? SL_PARSE_PVT_TUNNEL : SL_PARSE_OK;
	}
	return parse_l4_any(cfg, pkt, off, end, pi);
}

static inline int
parse_ipv4(const struct sl_parse_cfg *cfg, const uint8_t *pkt, uint32_t off,
	   uint32_t len, struct sl_pkt_info *pi)
{
	const uint8_t *h = pkt + off;
	uint32_t avail = len - off;
	uint32_t hlen, tot_len, end;
	uint16_t fw, frag_off;

	if (avail < SL_IPV4_MIN_HLEN)
		return SL_PARSE_ERR_IPV4_TRUNCATED;
	if (h[0] >> 4 != 4)
		return SL_PARSE_ERR_IPV4_BAD_VERSION;
	hlen = (uint32_t)(h[0] & 0x0f) * 4;
	if (hlen < SL_IPV4_MIN_HLEN)
		return SL_PARSE_ERR_IPV4_BAD_IHL;
	if (hlen > avail)
		return SL_PARSE_ERR_IPV4_TRUNCATED;
	tot_len = sl_rd16(h + 2);
	if (tot_len < hlen)
		return SL_PARSE_ERR_IPV4_BAD_TOTAL_LEN;
	end = off + min_u32(tot_len, avail);

	pi->l3 = SL_L3_IPV4;
	pi->l3_off = (uint16_t)off;
	/* One 8-byte store per address (bytes 4..7 zero) so that readers
	 * loading 8-byte words (the flow key) get them by store forwarding
	 * instead of stalling on a 4-byte store inside the memset. */
	uint64_t a = 0, b = 0;
	memcpy(&a, h + 12, 4);
	memcpy(&b, h + 16, 4);
	memcpy(pi->src, &a, 8);
	memcpy(pi->dst, &b, 8);
	pi->proto = h[9];

	fw = sl_rd16(h + 6);
	frag_off = (uint16_t)((fw & SL_IPV4_OFF_MASK) * 8);
	if ((fw & SL_IPV4_MF) || frag_off != 0) {
		pi->frag = SL_FRAG_IS_FRAGMENT;
		if (fw & SL_IPV4_MF)
			pi->frag |= SL_FRAG_MORE;
		if (frag_off == 0)
			pi->frag |= SL_FRAG_FIRST;
		pi->frag_off = frag_off;
		pi->frag_id = sl_rd16(h + 4);
		pi->frag_len = (uint16_t)(tot_len - hlen);
		if (frag_off != 0)
			return SL_PARSE_OK; /* no L4 header in this piece */
	}
	return parse_l4(cfg, pkt, off + hlen, end, pi);
}

static inline int
is_ipv6_ext(uint8_t nh)
{
	switch (nh) {
	case SL_IPPROTO_HOPOPTS:
	case SL_IPPROTO_ROUTING:
	case SL_IPPROTO_FRAGMENT:
	case SL_IPPROTO_AH:
	case SL_IPPROTO_DSTOPTS:
	case SL_IPPROTO_MOBILITY:
	case SL_IPPROTO_HIP:
	case SL_IPPROTO_SHIM6:
		return 1;
	default:
		return 0;
	}
}

/*
 * An extension header ending at hdr_end does not fit in the L3 extent. Past
 * the declared end it is a length error; within it, the capture ran out.
 */
static inline enum sl_parse_err
ipv6_ext_cut(uint32_t hdr_end, uint32_t decl_end)
{
	return hdr_end > decl_end ? SL_PARSE_ERR_IPV6_BAD_PAYLOAD_LEN :
				    SL_PARSE_ERR_IPV6_EXT_TRUNCATED;
}

static inline int
parse_ipv6(const struct sl_parse_cfg *cfg, const uint8_t *pkt, uint32_t off,
	   uint32_t len, struct sl_pkt_info *pi)
{
	const uint8_t *h = pkt + off;
	uint32_t plen, decl_end, end, cur, hlen;
	uint16_t fw, frag_off;
	uint8_t nh;

	if (len - off < SL_IPV6_HLEN)
		return SL_PARSE_ERR_IPV6_TRUNCATED;
	if (h[0] >> 4 != 6)
		return SL_PARSE_ERR_IPV6_BAD_VERSION;

	pi->l3 = SL_L3_IPV6;
	pi->l3_off = (uint16_t)off;
	memcpy(pi->src, h + 8, 16);
	memcpy(pi->dst, h + 24, 16);

	plen = sl_rd16(h + 4);
	nh = h[6];
	cur = off + SL_IPV6_HLEN;
	/* Payload length 0 before a hop-by-hop header: jumbogram (RFC 2675),
	 * the real length is in an option; use what was captured. */
	if (plen == 0 && nh == SL_IPPROTO_HOPOPTS)
		decl_end = UINT32_MAX;
	else
		decl_end = cur + plen;
	end = min_u32(decl_end, len);

	while (is_ipv6_ext(nh)) {
		const uint8_t *e = pkt + cur;

		if (pi->n_ext == SL_MAX_IPV6_EXT)
			return SL_PARSE_ERR_IPV6_EXT_TOO_MANY;
		if (nh == SL_IPPROTO_FRAGMENT) {
			hlen = SL_IPV6_FRAG_HLEN;
		} else {
			if (end - cur < 2)
				return ipv6_ext_cut(cur + 2, decl_end);
			if (nh == SL_IPPROTO_AH)
				hlen = ((uint32_t)e[1] + 2) * 4;
			else
				hlen = ((uint32_t)e[1] + 1) * 8;
		}
		if (end - cur < hlen)
			return ipv6_ext_cut(cur + hlen, decl_end);
		pi->n_ext++;

		if (nh == SL_IPPROTO_FRAGMENT) {
			fw = sl_rd16(e + 2);
			frag_off = (uint16_t)(fw & SL_IPV6_FRAG_OFF_MASK);
			/* Offset 0 and M=0 is an atomic fragment (RFC 6946):
			 * a whole datagram, parsed as unfragmented. */
			if (frag_off != 0 || (fw & SL_IPV6_FRAG_M)) {
				pi->frag = SL_FRAG_IS_FRAGMENT;
				if (fw & SL_IPV6_FRAG_M)
					pi->frag |= SL_FRAG_MORE;
				if (frag_off == 0)
					pi->frag |= SL_FRAG_FIRST;
				pi->frag_off = frag_off;
				pi->frag_id = sl_rd32(e + 4);
				{
					uint32_t dend = decl_end == UINT32_MAX ? end : decl_end;
					uint32_t dstart = cur + SL_IPV6_FRAG_HLEN;

					pi->frag_len = (uint16_t)(dend > dstart
								  ? min_u32(dend - dstart, 65535u)
								  : 0);
				}
				if (frag_off != 0) {
					/* Rest of the chain and L4 are in
					 * the first fragment. */
					pi->proto = e[0];
					return SL_PARSE_OK;
				}
			}
		}
		nh = e[0];
		cur += hlen;
	}

	pi->proto = nh;
	if (nh == SL_IPPROTO_NONE)
		return SL_PARSE_OK;
	return parse_l4(cfg, pkt, cur, end, pi);
}

/* Out-of-line entries for the encapsulation walk; the hot path below
 * inlines parse_ipv4/parse_ipv6 itself. */
int
sl_parse_pvt_ipv4(const struct sl_parse_cfg *cfg, const uint8_t *pkt,
		  uint32_t off, uint32_t len, struct sl_pkt_info *pi)
{
	return parse_ipv4(cfg, pkt, off, len, pi);
}

int
sl_parse_pvt_ipv6(const struct sl_parse_cfg *cfg, const uint8_t *pkt,
		  uint32_t off, uint32_t len, struct sl_pkt_info *pi)
{
	return parse_ipv6(cfg, pkt, off, len, pi);
}

/* parse_l2() result: IPv4/IPv6 at *off, parse it. */
#define SL_PARSE_PVT_IP (-2)

/*
 * Ethernet types other than a bare IPv4/IPv6: tags, then IP (returns
 * SL_PARSE_PVT_IP with *off and *type past the tags), PPPoE or MPLS (the
 * walk's result), or not IP.
 */
static int
parse_l2(const struct sl_parse_cfg *cfg, const uint8_t *pkt, uint32_t len,
	 struct sl_pkt_info *pi, uint32_t *off, uint16_t *type)
{
	/* On a tag error, ethertype holds the TPID that could not be
	 * handled. */
	int err = sl_parse_pvt_l2_tags(pkt, len, off, type, pi->vlan,
				       &pi->n_vlans, &pi->encap_mask);

	pi->ethertype = *type;
	if (err != SL_PARSE_OK)
		return err;
	switch (*type) {
	case SL_ETH_P_IPV4:
	case SL_ETH_P_IPV6:
		return SL_PARSE_PVT_IP;
	case SL_ETH_P_PPPOE_SES:
	case SL_ETH_P_MPLS_UC:
	case SL_ETH_P_MPLS_MC:
		if (cfg->max_depth == 0)
			return SL_PARSE_OK;
		return sl_parse_pvt_decap(cfg, pkt, len, pi, *off, *type);
	default:
		return SL_PARSE_OK; /* ARP, LLDP, ...: not IP */
	}
}

static int
parse_eth(const struct sl_parse_cfg *cfg, const uint8_t *pkt, uint32_t len,
	  struct sl_pkt_info *pi)
{
	uint32_t off = SL_ETH_HLEN;
	uint16_t type;
	int err;

	if (len < SL_ETH_HLEN)
		return SL_PARSE_ERR_L2_TRUNCATED;
	type = sl_rd16(pkt + 12);
	pi->ethertype = type;
	if (type != SL_ETH_P_IPV4 && type != SL_ETH_P_IPV6) {
		/*
		 * One 802.1Q tag before IP, the tenant VLAN of most mirrors:
		 * what sl_parse_pvt_l2_tags() and parse_l2() do for it, without
		 * their loop over tag types and the switch after it (about 20
		 * instructions a packet, docs/performance.md "One tag, then IP").
		 */
		uint16_t inner = len >= SL_ETH_HLEN + SL_VLAN_HLEN ? sl_rd16(pkt + 16) : 0;

		if (type == SL_ETH_P_8021Q && (inner == SL_ETH_P_IPV4 || inner == SL_ETH_P_IPV6)) {
			pi->vlan[0] = sl_rd16(pkt + 14) & SL_VLAN_VID_MASK;
			pi->n_vlans = 1;
			pi->ethertype = type = inner;
			off = SL_ETH_HLEN + SL_VLAN_HLEN;
		} else {
			err = parse_l2(cfg, pkt, len, pi, &off, &type);
			if (err != SL_PARSE_PVT_IP)
				return err;
		}
	}
	if (type == SL_ETH_P_IPV4)
		err = parse_ipv4(cfg, pkt, off, len, pi);
	else
		err = parse_ipv6(cfg, pkt, off, len, pi);
	/* The one branch tunnels add to the untunnelled path. */
	if (sl_unlikely(err == SL_PARSE_PVT_TUNNEL))
		err = cfg->max_depth == 0 ?
			      SL_PARSE_OK :
			      sl_parse_pvt_decap(cfg, pkt, len, pi, 0, 0);
	return err;
}

int
sl_parse(const struct sl_parse_cfg *cfg, const uint8_t *pkt, uint32_t len,
	 struct sl_pkt_info *pi)
{
	int err;

	/*
	 * Zeroed in two parts of under 64 bytes each: the build's memset
	 * strategy (meson.build, docs/performance.md "String operations")
	 * makes 64 bytes and more a loop of 64-byte steps, which for the 84
	 * bytes here was one pass with its test and jump, then the tail; two
	 * short ones are straight stores (5 instructions a packet fewer).
	 */
	_Static_assert(offsetof(struct sl_pkt_info, frag_off) < 64 &&
			       sizeof(struct sl_pkt_info) - offsetof(struct sl_pkt_info, frag_off) < 64,
		       "two parts of under 64 bytes");
	memset(pi, 0, offsetof(struct sl_pkt_info, frag_off));
	memset(&pi->frag_off, 0, sizeof(*pi) - offsetof(struct sl_pkt_info, frag_off));
	err = parse_eth(cfg, pkt, len, pi);
	pi->err = (uint8_t)err;
	return err;
}

void
sl_parse_pvt_replay(const struct sl_parse_cfg *cfg, const uint8_t *pkt,
		    uint32_t len, struct sl_pkt_info *pi, uint8_t depth)
{
	struct sl_parse_cfg c = *cfg;

	c.max_depth = depth;
	memset(pi, 0, sizeof(*pi));
	(void)parse_eth(&c, pkt, len, pi);
}

/* The worker keeps this struct per packet (its metadata embeds it, written
 * in place): a change of size is a change of the data path's layout. */
_Static_assert(sizeof(struct sl_pkt_info) == 84, "struct sl_pkt_info is 84 bytes");

int
sl_parse_eth(const uint8_t *pkt, uint32_t len, struct sl_pkt_info *pi)
{
	return sl_parse(&sl_parse_defaults, pkt, len, pi);
}

static const char *const sl_parse_err_names[SL_PARSE_ERR_MAX] = {
	[SL_PARSE_OK] = "ok",
#define SL_X_NAME(e, s) [SL_PARSE_ERR_##e] = s,
	SL_PARSE_ERRORS(SL_X_NAME)
#undef SL_X_NAME
};

const char *
sl_parse_err_name(int err)
{
	if (err < 0 || err >= SL_PARSE_ERR_MAX)
		return "unknown";
	return sl_parse_err_names[err];
}

static const char *const sl_parse_drop_names[SL_PARSE_ERR_MAX] = {
#define SL_X_NAME(e, s) [SL_PARSE_ERR_##e] = "parse_" s,
	SL_PARSE_ERRORS(SL_X_NAME)
#undef SL_X_NAME
};

const char *
sl_parse_drop_name(int err)
{
	if (err <= SL_PARSE_OK || err >= SL_PARSE_ERR_MAX)
		return NULL;
	return sl_parse_drop_names[err];
}

static const char *const sl_encap_err_names[SL_ENCAP_ERR_MAX] = {
	[SL_ENCAP_OK] = "ok",
#define SL_X_NAME(e, s) [SL_ENCAP_ERR_##e] = s,
	SL_ENCAP_ERRORS(SL_X_NAME)
#undef SL_X_NAME
};

const char *
sl_encap_err_name(int err)
{
	if (err < 0 || err >= SL_ENCAP_ERR_MAX)
		return "unknown";
	return sl_encap_err_names[err];
}

static const char *const sl_encap_type_names[SL_ENCAP_TYPE_MAX] = {
#define SL_X_NAME(e, s) [SL_ENCAP_##e] = s,
	SL_ENCAP_TYPES(SL_X_NAME)
#undef SL_X_NAME
};

_Static_assert(SL_ENCAP_TYPE_MAX <= 16, "encap_mask is 16 bits");
_Static_assert(SL_ENCAP_ERR_MAX <= 256, "encap_err is 8 bits");

const char *
sl_encap_type_name(int bit)
{
	if (bit < 0 || bit >= SL_ENCAP_TYPE_MAX)
		return "unknown";
	return sl_encap_type_names[bit];
}
