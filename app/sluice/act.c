/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Policy on the data path: the worker classifies a new flow with its
 * tenant's rules (rte_acl, lib/policy) and caches the verdict in the entry
 * (lib/verdict); for each later packet that needs it, lib/verdict says
 * forward, bypass or drop, and whether to cut or copy it. This file only
 * applies those answers: frees, counts, trims and mirror copies.
 */
#include <string.h>

#include <rte_mbuf.h>

#include "datapath.h"
#include "sl_policy.h"
#include "sl_verdict.h"

/* The first of the tenant's rules that matches the flow, or -1. */
static int32_t
classify(const struct sl_meta *md, const struct sl_tenant_rt *tr)
{
	const struct sl_flow_key *k = &md->key;
	int32_t r = -1;

	if (tr->acl != NULL) {
		/* either direction matches: the key's order is as good as any */
		struct sl_policy_flow f = {
			.family = k->family, .proto = k->proto,
			.sport = k->port_lo, .dport = k->port_hi,
			.vlan = k->vlan[0] ? k->vlan[0] : SL_UNTAGGED_VLAN, .input = md->input,
		};

		memcpy(f.src, k->addr_lo, sizeof(f.src));
		memcpy(f.dst, k->addr_hi, sizeof(f.dst));
		r = sl_policy_classify(tr->acl->p, &f);
		/* the classifier holds the port rules only (policy.c) */
		if (r >= 0 && tr->acl->rule_of != NULL)
			r = (int32_t)tr->acl->rule_of[r];
	}
	return r;
}

void
sl_act_new_flow(struct sl_worker *w, struct sl_flow_entry *e, const struct sl_meta *md,
		const struct sl_tenant_rt *tr)
{
	if (sl_verdict_new_flow(&tr->pol, e, classify(md, tr), md->dir, md->hash) &
	    SL_VERDICT_EV_SAMPLED_OUT)
		w->c[sl_ix_tenant(&w->app->layout, md->tenant, SL_TC_SAMPLED_OUT)]++;
}

/*
 * The tenant's policy changed in a reload since the flow's verdict: the
 * current rules decide again. The flow keeps its member while that member
 * is still in its (maybe new) pool; otherwise it moves by the pool's hash,
 * as when a member goes down (counted flows_resteered on the old one).
 */
void
sl_act_reclassify(struct sl_worker *w, struct sl_flow_entry *e, const struct sl_meta *md,
		  const struct sl_tenant_rt *tr)
{
	const struct sl_app *app = w->app;
	const struct sl_stats_layout *l = &app->layout;

	if (sl_verdict_reclassify(&tr->pol, e, classify(md, tr), md->key.proto, md->hash) &
	    SL_VERDICT_EV_SAMPLED_OUT)
		w->c[sl_ix_tenant(l, md->tenant, SL_TC_SAMPLED_OUT)]++;
	const struct sl_pool_rt *pool = &tr->pools[e->pool];

	if (sl_pool_index_of(&pool->steer, e->slot) < 0) {
		struct sl_member_choice c = sl_member_pick(&pool->steer, app->member_down,
							   SL_PICK_FLOW, SL_SLOT_NONE, &md->key,
							   md->hash, app->cfg->hash_seed);

		w->c[sl_ix_member(l, e->slot, SL_MC_RESTEERED)]++;
		w->c[sl_ix_member(l, c.slot, SL_MC_FLOWS)]++;
		e->slot = c.slot;
	}
	e->gen = tr->gen;
	/* the app rules decide again on what detection found (appid.c) */
	if (unlikely(tr->app != NULL))
		sl_app_reclassify(w, e, md, tr);
}

static inline void
bypass_pkt(struct sl_worker *w, struct rte_mbuf *m, struct sl_flow_entry *e, uint16_t t,
	   uint32_t len)
{
	const struct sl_stats_layout *l = &w->app->layout;

	e->nf_pkts++;
	e->nf_bytes += len;
	w->c[SL_WC_BYPASSED]++;
	w->c[SL_WC_BYPASSED_BYTES] += len;
	w->c[sl_ix_tenant(l, t, SL_TC_BYPASSED)]++;
	w->c[sl_ix_tenant(l, t, SL_TC_BYPASSED_BYTES)] += len;
	sl_cap(w->app, w->idx, m, t, SL_CAP_BYPASSED, 0);
	rte_pktmbuf_free(m);
}

/* Extra copies of a mirrored packet, one per pool after the first, each to
 * the member that pool's hash gives. */
static void
mirror_copies(struct sl_worker *w, const struct sl_flow_entry *e, const struct sl_meta *md,
	      struct rte_mbuf *m, const struct sl_tenant_rt *tr)
{
	const struct sl_app *app = w->app;
	const struct sl_stats_layout *l = &app->layout;
	const struct sl_rule_act *ra = &tr->rules[e->rule - 1];
	/* stripping rewrites the frame: then every pool gets its own */
	bool copy = md->pi.n_encap && ra->strips;

	for (uint8_t i = 1; i < ra->n_pools; i++) {
		const struct sl_pool_rt *p = &tr->pools[ra->pools[i]];
		struct rte_mbuf *c = m;

		w->c[SL_WC_COPIES]++;
		w->c[sl_ix_tenant(l, md->tenant, SL_TC_MIRROR_COPIES)]++;
		if (copy) {
			c = rte_pktmbuf_copy(m, app->pool, 0, UINT32_MAX);
			if (c == NULL) {
				sl_drop_pkt(w, NULL, SL_DROP_MIRROR_NOMBUF, md->tenant);
				continue;
			}
			*sl_meta_of(c) = *md;
		} else {
			/* every segment: a chained packet is freed segment by segment */
			rte_pktmbuf_refcnt_update(m, 1);
		}
		struct sl_member_choice mc = sl_member_pick(&p->steer, app->member_down,
							    SL_PICK_FLOW, SL_SLOT_NONE, &md->key,
							    md->hash, app->cfg->hash_seed);
		sl_deliver(w, mc.slot, c, md);
	}
}

/*
 * A packet of a flow that needs a verdict (sl_verdict_needed()). Returns
 * true when the packet was consumed (bypassed or dropped); false when it
 * goes to the flow's member, maybe cut, maybe with mirror copies already
 * sent.
 */
bool
sl_act_packet(struct sl_worker *w, struct sl_flow_entry *e, const struct sl_meta *md,
	      struct rte_mbuf *m, const struct sl_tenant_rt *tr, uint64_t now)
{
	const struct sl_stats_layout *l = &w->app->layout;
	uint16_t t = md->tenant;
	uint32_t len = rte_pktmbuf_pkt_len(m);
	struct sl_pkt_verdict v = sl_verdict_packet(&tr->pol, e, md->dir, md->key.proto, len,
						    sl_flow_time(now, w->app->ft_shift));

	if (unlikely(v.events & SL_VERDICT_EV_ELEPHANT)) {
		w->c[SL_WC_ELEPHANTS]++;
		w->c[sl_ix_tenant(l, t, SL_TC_ELEPHANTS)]++;
	}
	if (unlikely(v.events & SL_VERDICT_EV_DEPTH))
		w->c[sl_ix_tenant(l, t, SL_TC_DEPTH_BYPASSES)]++;
	switch (v.what) {
	case SL_DO_BYPASS:
		bypass_pkt(w, m, e, t, len);
		return true;
	case SL_DO_DROP:
		e->nf_pkts++;
		e->nf_bytes += len;
		sl_filter_pkt(w, m, SL_FILTER_POLICY_DROP, t);
		return true;
	default:
		break;
	}
	if (v.slice != 0 && rte_pktmbuf_trim(m, (uint16_t)(len - v.slice)) == 0) {
		w->c[SL_WC_SLICED]++;
		w->c[sl_ix_tenant(l, t, SL_TC_SLICED)]++;
	}
	if (v.mirror)
		mirror_copies(w, e, md, m, tr);
	return false;
}
