/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Stripping for pools with `strip`: the member gets the innermost Ethernet
 * frame, or, when the innermost packet was carried without Ethernet
 * (IP-in-IP, GRE/GENEVE IP, MPLS, PPPoE), that packet behind an Ethernet
 * header built from the outer frame's MAC addresses. outer-retag then
 * inserts an 802.1Q tag with the pool's retag_vlan; outer-keep-vlan one with
 * the outer frame's (the tenant's) VLAN id.
 */
#include <string.h>

#include <rte_ether.h>
#include <rte_mbuf.h>

#include "datapath.h"

/* Returns false when the frame could not be rewritten (counted by caller). */
bool
sl_strip_outer(struct rte_mbuf *m, const struct sl_meta *md, const struct sl_pool_rt *p)
{
	uint8_t macs[2 * RTE_ETHER_ADDR_LEN];
	uint16_t off = md->pi.inner_off;

	if (off == 0 || off >= rte_pktmbuf_data_len(m))
		return true; /* nothing was decapsulated: delivered unchanged */
	memcpy(macs, rte_pktmbuf_mtod(m, const uint8_t *), sizeof(macs));
	if (off == md->pi.l3_off) {
		/* innermost is bare IP: keep 14 bytes in front of it for a new
		 * Ethernet header */
		if (off < RTE_ETHER_HDR_LEN)
			return false;
		rte_pktmbuf_adj(m, off - RTE_ETHER_HDR_LEN);
		struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
		memcpy(eh, macs, sizeof(macs));
		eh->ether_type = rte_cpu_to_be_16(
			(rte_pktmbuf_mtod_offset(m, const uint8_t *, RTE_ETHER_HDR_LEN)[0] >> 4) == 6
				? RTE_ETHER_TYPE_IPV6 : RTE_ETHER_TYPE_IPV4);
	} else {
		rte_pktmbuf_adj(m, off);
	}
	uint16_t tag = p->strip == SL_STRIP_OUTER_RETAG      ? p->retag_vlan
		       : p->strip == SL_STRIP_OUTER_KEEP_VLAN ? md->key.vlan[0]
							      : 0;
	if (tag != 0) {
		m->vlan_tci = tag;
		if (rte_vlan_insert(&m) != 0)
			return false;
	}
	return true;
}
