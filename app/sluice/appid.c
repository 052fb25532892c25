/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Application-aware steering and bypass (issue 18), on the worker that owns
 * the flow:
 *
 * - a new flow of a tenant with app rules (tr->app), whose port rule comes
 *   after one of them, starts detection (lib/appid: a slot and an nDPI
 *   state, found from the flow's entry index, never in the entry) and gets
 *   SL_FLOW_F_APP (it has a slot, until it ends) and SL_FLOW_F_DETECT;
 * - each packet of a flow with SL_FLOW_F_DETECT is read by detection before
 *   its member and verdict are chosen (flows.c), and goes on at once: no
 *   packet is held;
 * - when detection has an answer, lib/verdict chooses the flow's rule again
 *   with the app rules (sl_verdict_app_rule) and puts it in the entry
 *   (sl_verdict_app_apply): that packet and the later ones follow it. A
 *   steered flow takes a member of its new pool;
 * - bypass-after-handshake keeps the handshake tracker on; the packet after
 *   the one that ended the handshake in both directions is bypassed, and
 *   the rest of the flow (sl_verdict_handshake_done);
 * - once detection ended and no handshake is followed, SL_FLOW_F_DETECT is
 *   cleared: the flow's later packets cost nothing more. Its slot keeps the
 *   result for its record (and for a reload's re-classification) until it
 *   ends (sl_app_flow_ended).
 *
 * Tenants without app rules never reach this file: their new flows test a
 * pointer of the tenant's entry, their packets a flag of the flow's entry,
 * both on lines the flow stage reads anyway.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "datapath.h"
#include "sl_appid.h"
#include "sl_verdict.h"

/** Bytes of a multi-segment packet detection reads: an IP packet's most,
 * and what is in front of it (tunnels). */
#define APP_BUF_LEN (65535 + 512)

/* ---- the tenant's app rules (control thread, tables.c) ---- */

struct app_tenant {
	struct sl_app_policy pol;
	struct sl_app_rule rules[];
};

static struct sl_verdict_cidr
cidr_of(const struct sl_cfg_cidr *c)
{
	struct sl_verdict_cidr v = { .family = c->family, .prefix = c->prefix };

	memcpy(v.addr, c->addr, sizeof(v.addr));
	return v;
}

int
sl_app_tenant_build(struct sl_app *app, struct sl_tables *tb, uint16_t slot,
		    struct sl_cfg_error *err)
{
	struct sl_tenant_rt *tr = &tb->tenants[slot];
	const struct sl_cfg_tenant *ct = tr->cfg;
	struct app_tenant *at;
	uint32_t k = 0;

	tr->app = NULL;
	if (ct->n_app_rules == 0)
		return 0;
	if (!app->cfg->appid.enabled) {
		/* lib/config refuses it first (a reload cannot switch detection on) */
		sl_config_error(tb->cfg, err, ct->app_matches[0].loc, "appid",
				"tenant '%s' has app rules but application detection is off",
				ct->name);
		return -EINVAL;
	}
	at = calloc(1, sizeof(*at) + ct->n_app_rules * sizeof(at->rules[0]));
	if (at == NULL) {
		snprintf(err->msg, sizeof(err->msg), "%s: out of memory building app rules",
			 tb->cfg->path);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < ct->n_rules; i++) {
		const struct sl_cfg_rule *r = &ct->rules[i];
		const struct sl_cfg_app_match *m;
		struct sl_app_rule *ar;

		if (r->app == 0)
			continue;
		m = &ct->app_matches[r->app - 1];
		ar = &at->rules[k++];
		ar->rule = i;
		ar->tuple = (struct sl_tuple_match){
			.src = cidr_of(&r->src), .dst = cidr_of(&r->dst),
			.sport_lo = r->sport_lo, .sport_hi = r->sport_hi,
			.dport_lo = r->dport_lo, .dport_hi = r->dport_hi, .proto = r->proto,
			.vlan_lo = r->vlan_lo, .vlan_hi = r->vlan_hi,
			.input_lo = r->input_lo, .input_hi = r->input_hi,
		};
		ar->n_apps = m->n_apps;
		ar->n_cats = m->n_cats;
		ar->n_sni = m->n_sni;
		memcpy(ar->apps, m->apps, sizeof(ar->apps));
		memcpy(ar->cats, m->cats, sizeof(ar->cats));
		for (uint8_t s = 0; s < m->n_sni; s++) {
			const char *name = m->sni[s];

			ar->sni[s].suffix = strncmp(name, "*.", 2) == 0;
			if (ar->sni[s].suffix)
				name++; /* keep the dot: "*.example.com" -> ".example.com" */
			snprintf(ar->sni[s].name, sizeof(ar->sni[s].name), "%s", name);
			ar->sni[s].len = (uint8_t)strlen(ar->sni[s].name);
		}
		if (k == 1)
			at->pol.first = i;
	}
	at->pol.rules = at->rules;
	at->pol.n_rules = k;
	tr->app = &at->pol;
	return 0;
}

void
sl_app_tenant_free(struct sl_tenant_rt *tr)
{
	/* pol is the first member of its struct app_tenant */
	free((void *)(uintptr_t)tr->app);
	tr->app = NULL;
}

/* ---- each worker's detector (start-up) ---- */

/*
 * A worker's detector and what it holds per tenant: the flow slots and
 * detection states are shared by the tenants with app rules in equal
 * shares, so one tenant's flood of new flows cannot take another's (a
 * tenant under its share always finds one; a flow refused counts
 * app_no_state and goes by its port rule).
 */
struct sl_app_worker {
	struct sl_appid *a;
	uint8_t *buf;                /* APP_BUF_LEN: a multi-segment packet */
	uint32_t gen;                /* tables generation the shares are of */
	uint32_t flow_share, detect_share;
	uint32_t flows_cap, detect_cap;
	uint32_t *flows;             /* by tenant slot: slots held */
	uint32_t *detecting;         /* by tenant slot: detection states held */
};

int
sl_app_worker_create(struct sl_app *app, struct sl_worker *w, struct sl_cfg_error *err)
{
	const struct sl_cfg_appid *ac = &app->cfg->appid;
	uint32_t keys = sl_flow_capacity(w->ft);
	struct sl_appid_params p = {
		.keys = keys,
		.flows = ac->flows < keys ? ac->flows : keys,
		.detecting = ac->detecting < keys ? ac->detecting : keys,
		.max_packets = ac->max_packets,
		.hs_packets = ac->handshake_packets,
		.memory = ac->memory,
	};
	int socket = (int)rte_lcore_to_socket_id(w->lcore);
	struct sl_app_worker *aw;
	int rc;

	w->appw = NULL;
	if (!ac->enabled)
		return 0;
	/* nDPI's names (records) are read now, not at the first record */
	(void)sl_appid_version();
	aw = rte_zmalloc_socket("sl_app_worker", sizeof(*aw), RTE_CACHE_LINE_SIZE, socket);
	if (aw == NULL)
		goto nomem;
	w->appw = aw;
	aw->flows_cap = p.flows;
	aw->detect_cap = p.detecting;
	aw->gen = UINT32_MAX;
	aw->buf = rte_malloc_socket("sl_app_buf", APP_BUF_LEN, 0, socket);
	aw->flows = rte_zmalloc_socket("sl_app_flows", app->tenant_cap * sizeof(uint32_t), 0,
				       socket);
	aw->detecting = rte_zmalloc_socket("sl_app_detecting",
					   app->tenant_cap * sizeof(uint32_t), 0, socket);
	if (aw->buf == NULL || aw->flows == NULL || aw->detecting == NULL)
		goto nomem;
	rc = sl_appid_create(&p, &aw->a);
	if (rc == -E2BIG)
		sl_config_error(app->cfg, err, ac->loc, "appid.memory_mb",
				"%llu MiB per worker do not hold nDPI's detector with %u flows "
				"and %u in detection: raise memory_mb or lower flows and detecting",
				(unsigned long long)(ac->memory >> 20), p.flows, p.detecting);
	else if (rc != 0)
		sl_config_error(app->cfg, err, ac->loc, "appid",
				"cannot create the application detector of worker %u: %s", w->idx,
				strerror(-rc));
	return rc;
nomem:
	sl_config_error(app->cfg, err, ac->loc, "appid",
			"out of memory for worker %u's application detection", w->idx);
	return -ENOMEM;
}

void
sl_app_worker_free(struct sl_worker *w)
{
	struct sl_app_worker *aw = w->appw;

	if (aw == NULL)
		return;
	sl_appid_free(aw->a);
	rte_free(aw->buf);
	rte_free(aw->flows);
	rte_free(aw->detecting);
	rte_free(aw);
	w->appw = NULL;
}

void
sl_app_publish(struct sl_worker *w)
{
	struct sl_appid_usage u = { 0 };

	if (w->appw != NULL && w->appw->a != NULL)
		sl_appid_usage(w->appw->a, &u);
	w->c[SL_WC_APP_FLOWS] = u.flows;
	w->c[SL_WC_APP_DETECTING] = u.detecting;
	w->c[SL_WC_APP_MEMORY] = u.memory;
}

/* Each tenant's share, for the tables of this loop (new ones: again). */
static void
shares(struct sl_worker *w, struct sl_app_worker *aw)
{
	const struct sl_tables *tb = w->tbl;
	uint32_t n = 0;

	if (likely(aw->gen == tb->generation))
		return;
	for (uint16_t t = 0; t < tb->n_tenant_slots; t++)
		n += tb->tenants[t].present && tb->tenants[t].app != NULL;
	n = n ? n : 1;
	aw->flow_share = RTE_MAX(aw->flows_cap / n, 1u);
	aw->detect_share = RTE_MAX(aw->detect_cap / n, 1u);
	aw->gen = tb->generation;
}

/* ---- the data path ---- */

static inline void
count(struct sl_worker *w, uint16_t t, enum sl_tenant_c c)
{
	w->c[sl_ix_tenant(&w->app->layout, t, c)]++;
}

void
sl_app_new_flow(struct sl_worker *w, struct sl_flow_entry *e, const struct sl_meta *md,
		const struct sl_tenant_rt *tr)
{
	struct sl_app_worker *aw = w->appw;
	uint16_t t = md->tenant;
	int rc;

	/* no app rule comes before its port rule: no answer could change it */
	if (!sl_verdict_app_needed(tr->app, (int32_t)e->rule - 1) || aw == NULL)
		return;
	shares(w, aw);
	if (aw->flows[t] >= aw->flow_share || aw->detecting[t] >= aw->detect_share) {
		count(w, t, SL_TC_APP_NO_STATE);
		return;
	}
	/* -EEXIST cannot be: every flow leaves its entry through
	 * sl_app_flow_ended(), which frees its state */
	rc = sl_appid_flow_start(aw->a, sl_flow_entry_index(w->ft, e));
	if (rc != 0) {
		count(w, t, rc == -ENOMEM ? SL_TC_APP_NO_MEMORY : SL_TC_APP_NO_STATE);
		return;
	}
	e->flags |= SL_FLOW_F_APP | SL_FLOW_F_DETECT;
	aw->flows[t]++;
	aw->detecting[t]++;
}

/* Whether the flow's verdict is a bypass-after-handshake rule's. */
static inline bool
wants_handshake(const struct sl_tenant_rt *tr, const struct sl_flow_entry *e)
{
	return e->rule != 0 && e->rule <= tr->pol.n_rules &&
	       tr->pol.rules[e->rule - 1].action == SL_ACTION_BYPASS_HS;
}

/* Whether the flow's handshake ended with a packet already forwarded and
 * its bypass waits for the next one (sl_app_packet applies it). */
static inline bool
bypass_pending(const struct sl_appid_result *r, const struct sl_tenant_rt *tr,
	       const struct sl_flow_entry *e)
{
	return r->hs == SL_APPID_HS_DONE && wants_handshake(tr, e) &&
	       !(e->flags & SL_FLOW_F_BYPASS);
}

/* A steered flow takes a member of its new pool (its own, if it is one of
 * them). */
static void
steer(struct sl_worker *w, struct sl_flow_entry *e, const struct sl_meta *md,
      const struct sl_tenant_rt *tr)
{
	const struct sl_app *app = w->app;
	const struct sl_pool_rt *pool = &tr->pools[e->pool];

	if (sl_pool_index_of(&pool->steer, e->slot) >= 0)
		return;
	struct sl_member_choice c = sl_member_pick(&pool->steer, app->member_down, SL_PICK_FLOW,
						   SL_SLOT_NONE, &md->key, md->hash,
						   app->cfg->hash_seed);

	e->slot = c.slot;
	w->c[sl_ix_member(&app->layout, c.slot, SL_MC_FLOWS)]++;
}

/*
 * Detection's answer decides the flow's rule again (lib/verdict), from the
 * port rule it has now. Returns the detector's events for the flow
 * (SL_APPID_EV_IDLE when it needs no more packets).
 */
static unsigned int
decide(struct sl_worker *w, struct sl_flow_entry *e, const struct sl_meta *md,
       const struct sl_tenant_rt *tr, uint32_t key, const struct sl_appid_result *r)
{
	struct sl_app_facts f = { .master = r->master, .app = r->app, .category = r->category,
				  .sni_len = r->sni_len, .sni = r->sni };
	int32_t rule = sl_verdict_app_rule(tr->app, (int32_t)e->rule - 1, &md->key, md->input, &f);
	unsigned int ev = sl_verdict_app_apply(&tr->pol, e, rule, md->key.proto, md->hash);
	bool want = false;

	if (ev & SL_VERDICT_EV_SAMPLED_OUT)
		count(w, md->tenant, SL_TC_SAMPLED_OUT);
	if (ev & SL_VERDICT_EV_STEERED) {
		count(w, md->tenant, SL_TC_APP_STEERED);
		steer(w, e, md, tr);
	}
	if (wants_handshake(tr, e)) {
		/* the tracker has followed the flow from its first packet;
		 * one that could not is not asked again */
		want = r->hs == SL_APPID_HS_WAIT || r->hs == SL_APPID_HS_TLS ||
		       r->hs == SL_APPID_HS_QUIC || r->hs == SL_APPID_HS_DONE;
		if (!want)
			count(w, md->tenant, SL_TC_APP_HS_FAILED);
	}
	return sl_appid_flow_handshake(w->appw->a, key, want);
}

static inline uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Packet @p m linearized into the worker's buffer; *end becomes the end of
 * its innermost IP packet (its header's length), within what is there. */
static const uint8_t *
whole(struct sl_worker *w, const struct rte_mbuf *m, const struct sl_pkt_info *pi,
      uint32_t *end)
{
	uint32_t len = RTE_MIN(rte_pktmbuf_pkt_len(m), (uint32_t)APP_BUF_LEN);
	const uint8_t *b = rte_pktmbuf_read(m, 0, len, w->appw->buf);
	uint32_t ip;

	if (b == NULL || pi->l3_off + 40u > len)
		return rte_pktmbuf_mtod(m, const uint8_t *);
	ip = pi->l3 == SL_L3_IPV4 ? rd16(b + pi->l3_off + 2)
				  : 40u + rd16(b + pi->l3_off + 4);
	*end = RTE_MIN(pi->l3_off + ip, len);
	return b;
}

void
sl_app_packet(struct sl_worker *w, struct sl_flow_entry *e, const struct sl_meta *md,
	      const struct rte_mbuf *m, const struct sl_tenant_rt *tr, uint64_t now)
{
	struct sl_appid *a = w->appw->a;
	uint32_t key = sl_flow_entry_index(w->ft, e);
	const struct sl_appid_result *r = sl_appid_flow_result(a, key);
	unsigned int ev;

	if (unlikely(r == NULL || tr->app == NULL)) {
		/* no state (never), or a reload took the tenant's app rules:
		 * nothing to decide any more; the result stays for the record */
		if (r != NULL)
			sl_appid_flow_handshake(a, key, false);
		e->flags &= (uint8_t)~SL_FLOW_F_DETECT;
		return;
	}
	/* the handshake ended with the previous packet: this one and the
	 * rest are bypassed */
	if (r->hs == SL_APPID_HS_DONE && wants_handshake(tr, e)) {
		if (sl_verdict_handshake_done(e))
			count(w, md->tenant, SL_TC_APP_HS_BYPASSED);
		if (sl_appid_flow_handshake(a, key, false) & SL_APPID_EV_IDLE) {
			e->flags &= (uint8_t)~SL_FLOW_F_DETECT;
			return;
		}
	}
	const struct sl_pkt_info *pi = &md->pi;
	const uint8_t *b = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t end = pi->l4_off ? (uint32_t)pi->l4_off + pi->l4_len : rte_pktmbuf_data_len(m);

	/* the parser read the first segment: a packet longer than it (a
	 * jumbo or a TSO-merged segment in a capture) is read whole */
	if (unlikely(m->nb_segs > 1))
		b = whole(w, m, pi, &end);
	struct sl_appid_pkt p = {
		.l3 = b + pi->l3_off,
		.len = end > pi->l3_off ? end - pi->l3_off : 0,
		.l4_off = pi->l4_off ? (uint16_t)(pi->l4_off - pi->l3_off) : 0,
		.l4_len = pi->l4_off && end > pi->l4_off ? (uint16_t)RTE_MIN(end - pi->l4_off, 65535u)
							 : 0,
		.proto = pi->proto,
		.dir = md->dir,
		.ms = now / (w->app->tsc_hz / 1000),
	};

	w->c[SL_WC_APP_PACKETS]++;
	ev = sl_appid_flow_packet(a, key, &p);
	if (ev & SL_APPID_EV_ENDED)
		w->appw->detecting[md->tenant]--;
	if (ev & SL_APPID_EV_KNOWN) {
		count(w, md->tenant, r->status == SL_APPID_GAVE_UP ? SL_TC_APP_GIVEN_UP
								   : SL_TC_APP_DETECTED);
		ev = (ev & ~SL_APPID_EV_IDLE) | decide(w, e, md, tr, key, r);
	} else if ((ev & SL_APPID_EV_HS_FAILED) && wants_handshake(tr, e)) {
		count(w, md->tenant, SL_TC_APP_HS_FAILED);
	}
	/* the handshake ended with this packet, which goes on: the flow's
	 * next packet is the first one bypassed (above) */
	if (bypass_pending(r, tr, e))
		ev &= ~SL_APPID_EV_IDLE;
	if (ev & SL_APPID_EV_IDLE)
		e->flags &= (uint8_t)~SL_FLOW_F_DETECT;
}

void
sl_app_reclassify(struct sl_worker *w, struct sl_flow_entry *e, const struct sl_meta *md,
		  const struct sl_tenant_rt *tr)
{
	uint32_t key;
	const struct sl_appid_result *r;

	/* no detection state: nothing was found for the rules */
	if (w->appw == NULL || !(e->flags & SL_FLOW_F_APP))
		return;
	key = sl_flow_entry_index(w->ft, e);
	r = sl_appid_flow_result(w->appw->a, key);
	/* no answer yet: the rules decide when it comes */
	if (r == NULL || r->status == SL_APPID_DETECTING)
		return;
	if ((decide(w, e, md, tr, key, r) & SL_APPID_EV_IDLE) && !bypass_pending(r, tr, e))
		e->flags &= (uint8_t)~SL_FLOW_F_DETECT;
	else
		e->flags |= SL_FLOW_F_DETECT;
}

void
sl_app_flow_ended(struct sl_worker *w, const struct sl_flow_entry *e, struct sl_rec_msg *msg)
{
	struct sl_app_worker *aw = w->appw;
	uint16_t t = e->key.tenant;
	uint32_t key;
	const struct sl_appid_result *r;

	if (aw == NULL)
		return;
	key = sl_flow_entry_index(w->ft, e);
	r = sl_appid_flow_result(aw->a, key);
	if (r == NULL)
		return;
	/* still in detection at its end: nDPI gives up (its give-up answer
	 * is the record's, as ndpiReader's at the end of a capture) */
	if (r->status == SL_APPID_DETECTING)
		count(w, t, SL_TC_APP_GIVEN_UP);
	if (r->status == SL_APPID_DETECTING || r->status == SL_APPID_KNOWN)
		aw->detecting[t]--;
	aw->flows[t]--;
	msg->has_app = sl_appid_flow_end(aw->a, key, &msg->app);
}
