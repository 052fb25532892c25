/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Outer header templates and the per-packet fields (sl_encap.h).
 *
 * Choices, each the one the receivers here (the Linux kernel's vxlan,
 * geneve, gretap and erspan devices, Wireshark) expect:
 *   - IPv4: DF set and id 0 (an atomic datagram, RFC 6864): the MTU is
 *     enforced here, nothing is fragmented on the way;
 *   - UDP checksum 0, over IPv6 too (RFC 6935/6936 allow it for tunnels;
 *     a Linux receiver needs udp6zerocsumrx): computing it would read the
 *     whole frame of every packet;
 *   - GRE: version 0, protocol 0x6558 (transparent Ethernet bridging),
 *     the key when configured; ERSPAN: the sequence number (S bit), which
 *     type II requires, counted per worker by the caller;
 *   - ERSPAN II: version 1, En 3 (the frame's own VLAN tags are carried in
 *     it), index 0. ERSPAN III: version 2, no timestamp (0), frame type
 *     Ethernet, no platform subheader.
 */
#include "sl_encap.h"

#include <errno.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_geneve.h>
#include <rte_gre.h>
#include <rte_ip.h>
#include <rte_udp.h>
#include <rte_vxlan.h>

#define ETH_P_TEB 0x6558     /* transparent Ethernet bridging */
#define ETH_P_ERSPAN2 0x88be /* ERSPAN type II (and I) */
#define ETH_P_ERSPAN3 0x22eb
#define ERSPAN2_HLEN 8
#define ERSPAN3_HLEN 12
#define ERSPAN_T_BIT 0x0400u /* in the first 16-bit word after the VLAN */
#define VXLAN_FLAG_I 0x08000000u

static const char *const tun_names[] = {
	"none",
#define SL_X_NAME(e, s) s,
	SL_TUN_TYPES(SL_X_NAME)
#undef SL_X_NAME
};

const char *
sl_tun_name(int tun)
{
	if (tun < 0 || tun >= SL_TUN_MAX)
		return "unknown";
	return tun_names[tun];
}

static int
check_params(const struct sl_encap_params *p)
{
	if (p->tun <= SL_TUN_NONE || p->tun >= SL_TUN_MAX)
		return -EINVAL;
	if (p->family != 4 && p->family != 6)
		return -EINVAL;
	if (p->ttl == 0 || p->dscp > 63)
		return -EINVAL;
	if (p->mtu < (p->family == 4 ? SL_ENCAP_MTU_MIN4 : SL_ENCAP_MTU_MIN6) ||
	    p->mtu > SL_ENCAP_MTU_MAX)
		return -EINVAL;
	switch (p->tun) {
	case SL_TUN_VXLAN:
	case SL_TUN_GENEVE:
		if (p->id > SL_TUN_VNI_MAX || p->udp_port == 0)
			return -EINVAL;
		break;
	case SL_TUN_ERSPAN2:
	case SL_TUN_ERSPAN3:
		if (p->id > SL_TUN_SESSION_MAX)
			return -EINVAL;
		break;
	default:
		break;
	}
	/* only ERSPAN can flag a frame as cut */
	if (p->truncate && p->tun != SL_TUN_ERSPAN2 && p->tun != SL_TUN_ERSPAN3)
		return -EINVAL;
	return 0;
}

/* The tunnel header after the outer IP header; returns its length. */
static uint16_t
write_tunnel(struct sl_encap *e, const struct sl_encap_params *p, uint8_t *h)
{
	uint16_t off = 0;

	if (p->tun == SL_TUN_VXLAN || p->tun == SL_TUN_GENEVE) {
		struct rte_udp_hdr *u = (struct rte_udp_hdr *)h;

		u->dst_port = rte_cpu_to_be_16(p->udp_port);
		off = sizeof(*u);
		if (p->tun == SL_TUN_VXLAN) {
			struct rte_vxlan_hdr *v = (struct rte_vxlan_hdr *)(h + off);

			v->vx_flags = rte_cpu_to_be_32(VXLAN_FLAG_I);
			v->vx_vni = rte_cpu_to_be_32(p->id << 8);
			return off + sizeof(*v);
		}
		struct rte_geneve_hdr *g = (struct rte_geneve_hdr *)(h + off);

		g->proto = rte_cpu_to_be_16(ETH_P_TEB);
		g->vni[0] = (uint8_t)(p->id >> 16);
		g->vni[1] = (uint8_t)(p->id >> 8);
		g->vni[2] = (uint8_t)p->id;
		return off + sizeof(*g);
	}

	/* GRE, with ERSPAN behind it */
	struct rte_gre_hdr *g = (struct rte_gre_hdr *)h;

	off = sizeof(*g);
	if (p->tun == SL_TUN_GRE) {
		g->proto = rte_cpu_to_be_16(ETH_P_TEB);
		if (p->has_key) {
			struct rte_gre_hdr_opt_key *k = (struct rte_gre_hdr_opt_key *)(h + off);

			g->k = 1;
			k->key = rte_cpu_to_be_32(p->id);
			off += sizeof(*k);
		}
		return off;
	}
	bool type3 = p->tun == SL_TUN_ERSPAN3;

	g->proto = rte_cpu_to_be_16(type3 ? ETH_P_ERSPAN3 : ETH_P_ERSPAN2);
	g->s = 1;
	e->seq_off = (uint16_t)(h - e->hdr + off);
	off += sizeof(struct rte_gre_hdr_opt_sequence);
	e->erspan_off = (uint16_t)(h - e->hdr + off);

	/* version (4) | VLAN (12) | COS (3) | En or BSO (2) | T (1) | session (10) */
	uint32_t w0 = ((type3 ? 2u : 1u) << 28) | p->id;
	if (!type3)
		w0 |= 3u << 11; /* En: the frame's VLAN tags are in the frame */
	uint32_t be = rte_cpu_to_be_32(w0);

	memcpy(h + off, &be, sizeof(be));
	/* type II: reserved | index 0. Type III: timestamp 0, then SGT 0,
	 * P 0, FT 0 (Ethernet), hardware id 0, D 0, Gra 0, O 0. */
	return off + (type3 ? ERSPAN3_HLEN : ERSPAN2_HLEN);
}

int
sl_encap_init(struct sl_encap *e, const struct sl_encap_params *p)
{
	int rc = check_params(p);

	if (rc != 0)
		return rc;
	memset(e, 0, sizeof(*e));
	e->tun = (uint8_t)p->tun;
	e->family = p->family;
	e->truncate = p->truncate;

	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)e->hdr;

	memcpy(&eh->dst_addr, p->dst_mac, RTE_ETHER_ADDR_LEN);
	memcpy(&eh->src_addr, p->src_mac, RTE_ETHER_ADDR_LEN);
	e->ip_off = sizeof(*eh);
	uint8_t *ip = e->hdr + e->ip_off;
	uint8_t proto = p->tun == SL_TUN_VXLAN || p->tun == SL_TUN_GENEVE ? IPPROTO_UDP
									 : IPPROTO_GRE;

	if (p->family == 4) {
		struct rte_ipv4_hdr *h = (struct rte_ipv4_hdr *)ip;

		eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
		h->version_ihl = RTE_IPV4_VHL_DEF;
		h->type_of_service = (uint8_t)(p->dscp << 2);
		h->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
		h->time_to_live = p->ttl;
		h->next_proto_id = proto;
		memcpy(&h->src_addr, p->src, 4);
		memcpy(&h->dst_addr, p->dst, 4);
		e->l4_off = (uint16_t)(e->ip_off + sizeof(*h));
	} else {
		struct rte_ipv6_hdr *h = (struct rte_ipv6_hdr *)ip;

		eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);
		h->vtc_flow = rte_cpu_to_be_32(6u << 28 | (uint32_t)p->dscp << 22);
		h->proto = proto;
		h->hop_limits = p->ttl;
		memcpy(h->src_addr, p->src, 16);
		memcpy(h->dst_addr, p->dst, 16);
		e->l4_off = (uint16_t)(e->ip_off + sizeof(*h));
	}
	e->len = (uint16_t)(e->l4_off + write_tunnel(e, p, e->hdr + e->l4_off));
	/* the MTU counts the outer IP packet: everything but the Ethernet header */
	e->max_inner = (uint16_t)(p->mtu - (e->len - e->ip_off));
	return 0;
}

void
sl_encap_write(const struct sl_encap *e, void *out, uint32_t inner_len, bool cut,
	       uint32_t hash, uint32_t seq)
{
	uint8_t *h = out;
	uint16_t ip_len = (uint16_t)(e->len - e->ip_off + inner_len);

	memcpy(h, e->hdr, e->len);
	if (e->family == 4) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(h + e->ip_off);

		ip->total_length = rte_cpu_to_be_16(ip_len);
		ip->hdr_checksum = rte_ipv4_cksum(ip);
	} else {
		struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)(h + e->ip_off);

		ip->payload_len = rte_cpu_to_be_16((uint16_t)(ip_len - sizeof(*ip)));
	}
	if (e->tun == SL_TUN_VXLAN || e->tun == SL_TUN_GENEVE) {
		struct rte_udp_hdr *u = (struct rte_udp_hdr *)(h + e->l4_off);

		u->src_port = rte_cpu_to_be_16(sl_encap_sport(hash));
		u->dgram_len = rte_cpu_to_be_16((uint16_t)(e->len - e->l4_off + inner_len));
		return;
	}
	if (e->seq_off != 0) {
		rte_be32_t s = rte_cpu_to_be_32(seq);

		memcpy(h + e->seq_off, &s, sizeof(s));
	}
	if (cut && e->erspan_off != 0)
		h[e->erspan_off + 2] |= (uint8_t)(ERSPAN_T_BIT >> 8);
}
