/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Frames of a capture whose link type is not Ethernet, rewritten as
 * Ethernet on receive so that everything after RX reads one format
 * (lib/parse/sl_l2.h says what is built). Called by the worker that polls
 * the RX queue, per frame, only for such queues.
 */
#include <rte_mbuf.h>

#include "sl_l2.h"
#include "app.h"
#include "datapath.h"

int
sl_rx_to_ethernet(struct rte_mbuf *m, int l2_kind)
{
	uint8_t copy[SL_L2_HDR_MAX];
	uint32_t len = rte_pktmbuf_pkt_len(m);
	const uint8_t *head = rte_pktmbuf_read(m, 0, RTE_MIN(len, (uint32_t)SL_L2_HDR_MAX), copy);
	struct sl_l2_conv c;
	char *eth;
	int rc;

	rc = sl_l2_to_eth(l2_kind, len > 0 ? head : NULL, len, &c);
	if (rc != 0)
		return rc; /* cut short, or a protocol with no Ethernet equivalent */
	/* the link-layer header sits in the first segment (net_pcap fills
	 * each segment to its tailroom, at least 128 bytes) */
	if ((c.strip > 0 && rte_pktmbuf_adj(m, (uint16_t)c.strip) == NULL) ||
	    (eth = rte_pktmbuf_prepend(m, SL_L2_ETH_HLEN)) == NULL)
		return -ENOSPC;
	sl_l2_eth_header(&c, (uint8_t *)eth);
	return 0;
}
