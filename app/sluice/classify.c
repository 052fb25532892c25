/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Classification of one packet in two steps: the parser writes its result
 * in place into the packet's metadata (struct sl_meta::pi) and the tenant is
 * found (sl_classify); then, for a packet its tenant's rate meter let
 * through, the canonical flow key and its hash (sl_classify_key). A packet
 * dropped by the meter costs no key and no hash.
 */
#include <rte_common.h>
#include <rte_mbuf.h>

#include "datapath.h"
#include "sl_flow.h"
#include "sl_parse.h"

void
sl_classify(const struct sl_app *app, const struct sl_tables *tb, const struct rte_mbuf *m,
	    uint16_t input, struct sl_meta *md)
{
	struct sl_pkt_info *pi = &md->pi;

	/* the metadata's layout: line 0 is what the flow stage reads */
	RTE_BUILD_BUG_ON(sizeof(struct sl_meta) != SL_META_SIZE);
	RTE_BUILD_BUG_ON(SL_META_SIZE % 8 != 0);
	RTE_BUILD_BUG_ON(offsetof(struct sl_meta, pi) != RTE_CACHE_LINE_SIZE);
	sl_parse(&app->parse_cfg, rte_pktmbuf_mtod(m, const uint8_t *), rte_pktmbuf_data_len(m),
		 pi);
	md->input = input;
	md->tenant = sl_l2_fatal(pi->err) ? SL_NO_TENANT : sl_tenant_lookup(tb, input, pi);
}

void
sl_classify_key(const struct sl_app *app, struct sl_meta *md)
{
	md->dir = (uint8_t)sl_flow_key_build(&md->pi, md->tenant, &md->key);
	md->hash = sl_flow_hash(&md->key, app->cfg->hash_seed);
}
