/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The flow stage, for the packets a worker owns, staged over the burst
 * (Gatekeeper's process_pkts_front): sort out the packets that never reach
 * the flow table, then, in arrival order, with the entries of the packets a
 * few places on prefetched, look each up, create missing flows, count,
 * choose the member (lib/verdict) and apply the flow's verdict before
 * delivery. Flows leave the table by aging (worker.c), with their record
 * (sl_flow_ended()).
 */
#include <stdlib.h>
#include <string.h>

#include <rte_mbuf.h>
#include <rte_pause.h>
#include <rte_prefetch.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "datapath.h"
#include "sl_flowrec.h"
#include "sl_verdict.h"

/* A stage-3 list entry that is a packet index (a non-first fragment), not
 * a lookup index. */
#define STAGE3_FRAG 0x8000u
#define TCP_FIN 0x01
#define TCP_RST 0x04

/* Lookups whose entries are prefetched ahead of the packet handled. */
#define LOOKAHEAD 4

/* One burst between the stages. */
struct burst {
	const struct sl_flow_key *keys[SL_BURST];
	const struct sl_tenant_rt *tr[SL_BURST]; /* lookup j's tenant, as sort_burst found it */
	uint32_t hashes[SL_BURST];
	uint16_t idx[SL_BURST];  /* lookup j is packet idx[j] */
	/* Stage 3 works in arrival order: entries are lookup indexes, or a
	 * packet index | STAGE3_FRAG for a non-first fragment, so that a first
	 * fragment and the fragments after it in one burst keep their order. */
	uint16_t todo[SL_BURST];
	uint16_t ntodo, nk;
};

/* A frame without IP goes to member 0 of its tenant's default pool (or by
 * hash among those up), or is filtered (non_ip: drop). */
static void
non_ip(struct sl_worker *w, struct rte_mbuf *m, const struct sl_meta *md,
       const struct sl_tenant_rt *tr)
{
	const struct sl_app *app = w->app;
	const struct sl_stats_layout *l = &app->layout;
	uint16_t t = md->tenant;

	/* A frame whose IP header is broken is not "non-IP": it goes where
	 * non-IP frames go, counted as malformed. */
	if (md->pi.err == SL_PARSE_OK) {
		w->c[SL_WC_NON_IP]++;
		w->c[sl_ix_tenant(l, t, SL_TC_NON_IP)]++;
		if (tr->non_ip == SL_NON_IP_DROP) {
			sl_filter_pkt(w, m, SL_FILTER_NON_IP, t);
			return;
		}
	}
	const struct sl_pool_rt *p0 = &tr->pools[tr->default_pool];
	struct sl_member_choice c = sl_member_pick(&p0->steer, app->member_down,
						   SL_PICK_NON_IP, SL_SLOT_NONE, &md->key,
						   md->hash, app->cfg->hash_seed);
	sl_deliver(w, c.slot, m, md);
}

/* Stage 1: packets without a tenant, malformed ones the tenant drops,
 * copies its dedup drops and non-IP frames end here; the others are listed
 * for lookup (or, fragments without ports, for stage 3 directly). */
static void
sort_burst(struct sl_worker *w, struct rte_mbuf **pkts, struct sl_meta **mds, uint16_t n,
	   struct burst *b, const struct sl_dedup_burst *db, uint64_t now)
{
	const struct sl_tables *tb = w->tbl;

	b->ntodo = b->nk = 0;
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct sl_meta *md = mds[i];
		uint16_t t = md->tenant;

		if (unlikely(t == SL_NO_TENANT)) {
			sl_drop_pkt(w, m,
				    sl_l2_fatal(md->pi.err) ? sl_drop_of_parse_err(md->pi.err)
							    : SL_DROP_NO_TENANT,
				    t);
			continue;
		}
		const struct sl_tenant_rt *tr = sl_tenant_of(tb, t);
		if (unlikely(tr == NULL)) {
			/* handed over by another worker just before a reload
			 * removed its tenant */
			sl_drop_pkt(w, m, SL_DROP_NO_TENANT, SL_NO_TENANT);
			continue;
		}
		if (unlikely(md->pi.err != SL_PARSE_OK) && tr->malformed == SL_MALFORMED_DROP) {
			sl_drop_pkt(w, m, sl_drop_of_parse_err(md->pi.err), t);
			continue;
		}
		/* a copy of a packet seen a moment ago (dedup.c): here, on the
		 * worker that owns the flow, before it counts in any flow */
		if (unlikely(db != NULL) && db->on[i] &&
		    sl_dedup_drop(w, m, md, tr, &db->sig[i], now))
			continue;
		if (unlikely(md->pi.l3 == SL_L3_NONE)) {
			non_ip(w, m, md, tr);
			continue;
		}
		if (unlikely((md->pi.frag & (SL_FRAG_IS_FRAGMENT | SL_FRAG_FIRST)) ==
			     SL_FRAG_IS_FRAGMENT)) {
			b->todo[b->ntodo++] = i | STAGE3_FRAG;
			continue;
		}
		b->keys[b->nk] = &md->key;
		b->tr[b->nk] = tr;
		b->hashes[b->nk] = md->hash;
		b->todo[b->ntodo++] = b->nk;
		b->idx[b->nk++] = i;
	}
}

/*
 * A new flow that gets no entry: its tenant is at its bound (max_flows), or
 * the table is full. It is still its tenant's: classified by the tenant's
 * rules on a throw-away entry, so a drop rule drops and a bypass rule
 * bypasses; otherwise forwarded by hash to the member it would have got, or
 * dropped (on_flow_quota: drop). Counted per tenant as flow_quota or
 * no_entry, and flow_table_full for the worker.
 */
static void
no_entry(struct sl_worker *w, struct rte_mbuf *m, const struct sl_meta *md,
	 const struct sl_tenant_rt *tr, uint64_t now)
{
	const struct sl_app *app = w->app;
	const struct sl_stats_layout *l = &app->layout;
	bool quota = sl_flow_over_quota(w->ft, md->tenant);
	struct sl_flow_entry tmp;

	w->c[SL_WC_FLOW_TABLE_FULL]++;
	w->c[sl_ix_tenant(l, md->tenant, quota ? SL_TC_FLOW_QUOTA : SL_TC_NO_ENTRY)]++;
	memset(&tmp, 0, sizeof(tmp));
	tmp.key = md->key;
	tmp.first = tmp.last = tmp.win = sl_flow_time(now, app->ft_shift);
	tmp.tclass = (uint8_t)sl_flow_tclass_of(md->key.proto);
	tmp.pkts[md->dir] = 1;
	sl_flow_set_bytes(&tmp, md->dir, rte_pktmbuf_pkt_len(m));
	sl_act_new_flow(w, &tmp, md, tr);
	/* a rule that drops or bypasses still does; anything that would
	 * forward is dropped first when the tenant drops over its bound */
	if (quota && tr->quota_drop && tmp.action != SL_ACTION_DROP &&
	    !(tmp.flags & SL_FLOW_F_BYPASS)) {
		sl_drop_pkt(w, m, SL_DROP_FLOW_QUOTA, md->tenant);
		return;
	}
	const struct sl_pool_rt *pool = &tr->pools[tmp.pool];
	struct sl_member_choice c = sl_member_pick(&pool->steer, app->member_down,
						   SL_PICK_FLOW, SL_SLOT_NONE, &md->key,
						   md->hash, app->cfg->hash_seed);
	if (unlikely(md->pi.frag & SL_FRAG_FIRST))
		sl_frags_first(w, md, c.slot, now);
	if (sl_verdict_needed(&tr->pol, &tmp) && sl_act_packet(w, &tmp, md, m, tr, now))
		return;
	if (unlikely(c.down))
		sl_drop_member_down(w, c.slot, m);
	else
		sl_deliver_up(w, c.slot, m, md);
}

/* A flow's first packet: its verdict and its member. */
static void
new_flow(struct sl_worker *w, struct sl_flow_entry *e, const struct sl_meta *md,
	 const struct sl_tenant_rt *tr)
{
	const struct sl_app *app = w->app;
	const struct sl_stats_layout *l = &app->layout;

	sl_act_new_flow(w, e, md, tr);
	const struct sl_pool_rt *pool = &tr->pools[e->pool];
	struct sl_member_choice c = sl_member_pick(&pool->steer, app->member_down,
						   SL_PICK_FLOW, SL_SLOT_NONE, &md->key,
						   md->hash, app->cfg->hash_seed);
	e->slot = c.slot;
	e->gen = tr->gen;
	w->c[SL_WC_FLOWS_CREATED]++;
	w->c[sl_ix_tenant(l, md->tenant, SL_TC_FLOWS)]++;
	w->c[sl_ix_member(l, e->slot, SL_MC_FLOWS)]++;
	/* application detection: only tenants with app rules (appid.c) */
	if (unlikely(tr->app != NULL))
		sl_app_new_flow(w, e, md, tr);
}

/* Stage 3 for one packet with an entry (or none when the table is full), of
 * tenant tr (sort_burst found it); ft is now in flow time, once a burst. */
static void
flow_pkt(struct sl_worker *w, struct rte_mbuf *m, const struct sl_meta *md,
	 const struct sl_tenant_rt *tr, struct sl_flow_entry *e, uint64_t now, uint32_t ft)
{
	const struct sl_app *app = w->app;

	if (unlikely(e == NULL)) {
		bool created;

		e = sl_flow_add(w->ft, &md->key, md->hash, ft, &created);
		if (e == NULL) {
			no_entry(w, m, md, tr, now);
			return;
		}
		if (created)
			new_flow(w, e, md, tr);
	}
	/* the tenant's policy changed in a reload: the flow's verdict (and
	 * maybe its member) follow at its next packet */
	if (unlikely(e->gen != tr->gen))
		sl_act_reclassify(w, e, md, tr);
	/* in detection: read before its member and verdict, which an app
	 * rule may change from this packet on (appid.c) */
	if (unlikely(e->flags & SL_FLOW_F_DETECT))
		sl_app_packet(w, e, md, m, tr, now);
	const struct sl_pool_rt *pool = &tr->pools[e->pool];
	uint8_t flags = md->pi.tcp_flags;

	e->pkts[md->dir]++;
	sl_flow_count_bytes(e, md->dir, rte_pktmbuf_pkt_len(m));
	e->last = ft;
	e->tcp_flags[md->dir] |= flags;
	if (unlikely(flags & (TCP_FIN | TCP_RST)) &&
	    ((flags & TCP_RST) || (e->tcp_flags[0] & e->tcp_flags[1] & TCP_FIN)))
		e->tclass = SL_TCLASS_CLOSED; /* ends after the grace time */
	/* the member's state is read once per packet, here */
	struct sl_member_choice c = sl_member_pick(&pool->steer, app->member_down, SL_PICK_FLOW,
						   e->slot, &md->key, md->hash,
						   app->cfg->hash_seed);
	uint32_t gm = c.slot;

	if (unlikely(c.moved)) {
		/* on_member_down: resteer. The flow moves for good. */
		w->c[sl_ix_member(&app->layout, e->slot, SL_MC_RESTEERED)]++;
		e->slot = c.slot;
	}
	/* remember the member for the rest of the datagram and send what
	 * waited for it first (arrival order) */
	if (unlikely(md->pi.frag & SL_FRAG_FIRST))
		sl_frags_first(w, md, gm, now);
	if (unlikely(sl_verdict_needed(&tr->pol, e)) && sl_act_packet(w, e, md, m, tr, now))
		return;
	if (unlikely(c.down))
		sl_drop_member_down(w, gm, m);
	else
		sl_deliver_up(w, gm, m, md);
}

/*
 * Handle classified packets this worker owns. md[i] describes pkts[i]: on the
 * caller's stack for packets read here, in the mbuf private area for packets
 * another worker handed over (only those pay for the extra cache lines).
 */
void
sl_flows_process(struct sl_worker *w, struct rte_mbuf **pkts, struct sl_meta **mds, uint16_t n,
		 uint64_t now)
{
	struct burst b;
	struct sl_dedup_burst dbs, *db = NULL;

	/* Stage 0, only while a tenant has dedup: the burst's signatures,
	 * their table sets prefetched (dedup.c) */
	if (unlikely(w->tbl->any_dedup)) {
		sl_dedup_burst(w, pkts, mds, n, &dbs);
		db = &dbs;
	}
	sort_burst(w, pkts, mds, n, &b, db, now);
	if (b.ntodo == 0)
		return;

	/* Stages 2 and 3, software-pipelined: the entries of lookup j +
	 * LOOKAHEAD are prefetched (their bucket was, in the RX stage, on a
	 * worker that owns its flows) while packet j is looked up and
	 * handled, in arrival order. A bulk lookup that prefetched the whole
	 * burst's entries at once and then compared waited for its misses
	 * together, more than the core can have in flight (docs/performance.md
	 * "The entries a few packets ahead"). Only while the table is too
	 * large for the cache, as in rx.c. */
	uint16_t ahead = sl_flow_count(w->ft) >= SL_PREFETCH_MIN_FLOWS ? LOOKAHEAD : 0;
	uint32_t ft = sl_flow_time(now, w->app->ft_shift);

	for (uint16_t j = 0; j < RTE_MIN(b.nk, ahead); j++)
		sl_flow_prefetch_entry(w->ft, b.hashes[j]);
	for (uint16_t q = 0; q < b.ntodo; q++) {
		if (unlikely(b.todo[q] & STAGE3_FRAG)) {
			uint16_t i = b.todo[q] & ~STAGE3_FRAG;

			sl_frags_other(w, pkts[i], mds[i], now);
			continue;
		}
		uint16_t j = b.todo[q];

		if (ahead != 0 && j + ahead < b.nk)
			sl_flow_prefetch_entry(w->ft, b.hashes[j + ahead]);
		flow_pkt(w, pkts[b.idx[j]], mds[b.idx[j]], b.tr[j],
			 sl_flow_lookup(w->ft, b.keys[j], b.hashes[j]), now, ft);
	}
}

bool
sl_flow_tenant_gone(const struct sl_flow_key *k, void *arg)
{
	const struct sl_worker *w = arg;

	return sl_tenant_of(w->tbl, k->tenant) == NULL;
}

/* Hand a full (or the last) chunk to the control lcore, which is draining
 * (shutdown: waiting is fine). */
static void
send_chunk(struct sl_worker *w, struct sl_rec_chunk *c)
{
	while (rte_ring_sp_enqueue(w->rec_chunks, c) != 0)
		rte_pause();
}

/* Shutdown: the record of @p e formatted here into its tenant's chunk.
 * False when no chunk could be had (out of memory): it goes one by one. */
static bool
bulk_record(struct sl_worker *w, const struct sl_rec_msg *m)
{
	const struct sl_flow_entry *e = &m->e;
	const struct sl_stats_layout *l = &w->app->layout;
	uint16_t t = e->key.tenant;
	struct sl_rec_chunk *c = w->chunk[t];
	int n;

	if (c != NULL && SL_REC_CHUNK_BYTES - c->used < SL_REC_LINE_MAX + 1) {
		send_chunk(w, c);
		c = w->chunk[t] = NULL;
	}
	if (c == NULL) {
		if ((c = malloc(sizeof(*c))) == NULL)
			return false;
		c->tenant = t;
		c->lines = c->format_errors = c->used = 0;
		w->chunk[t] = c;
	}
	n = sl_records_format(w->app, w->tbl, w->fmt, m, c->data + c->used);
	if (n < 0) {
		c->format_errors++;
	} else {
		c->used += (uint32_t)n;
		c->data[c->used++] = '\n';
		c->lines++;
	}
	w->c[SL_WC_RECORDS]++;
	w->c[SL_WC_RECORDS_BULK]++;
	w->c[sl_ix_tenant(l, t, SL_TC_RECORDS)]++;
	return true;
}

bool
sl_flows_bulk_records_begin(struct sl_worker *w)
{
	w->chunk = calloc(w->app->tenant_cap, sizeof(*w->chunk));
	if (w->chunk != NULL && sl_flowrec_ctx_new(&w->fmt) == 0)
		return true;
	free(w->chunk);
	w->chunk = NULL;
	return false;
}

void
sl_flows_bulk_records_end(struct sl_worker *w)
{
	if (w->chunk == NULL)
		return;
	for (uint16_t t = 0; t < w->app->tenant_cap; t++)
		if (w->chunk[t] != NULL)
			send_chunk(w, w->chunk[t]);
	free(w->chunk);
	w->chunk = NULL;
	sl_flowrec_ctx_free(w->fmt);
	w->fmt = NULL;
}

/* A flow leaves the table: its record goes to the control lcore. A flow
 * whose tenant a reload removed ends with reason "reload"; its record goes
 * to where the tenant's records went (records.c keeps that sink open). */
void
sl_flow_ended(const struct sl_flow_entry *e, void *arg)
{
	const struct sl_flow_key *k = &e->key;
	struct sl_worker *w = arg;
	const struct sl_stats_layout *l = &w->app->layout;
	const struct sl_tenant_rt *tr = sl_tenant_of(w->tbl, k->tenant);
	struct sl_rec_count *rc = &w->rec[k->tenant];
	struct sl_rec_msg msg;

	/* its application detection state ends with it (records or not) */
	msg.has_app = 0;
	if (unlikely(e->flags & SL_FLOW_F_APP))
		sl_app_flow_ended(w, e, &msg);
	if (tr != NULL ? !tr->records : !w->app->tenant_records[k->tenant])
		return;
	msg.e = *e;
	msg.now_tsc = rte_rdtsc(); /* what e's 32-bit flow times are relative to */
	msg.reason = w->ending      ? SL_REC_SHUTDOWN
		     : tr == NULL   ? SL_REC_RELOAD
		     : e->tclass == SL_TCLASS_CLOSED ? SL_REC_TCP_CLOSED : SL_REC_TIMEOUT;
	memset(msg.pad, 0, sizeof(msg.pad));
	memset(msg.pad2, 0, sizeof(msg.pad2));
	if (!msg.has_app)
		memset(&msg.app, 0, sizeof(msg.app));
	if (w->chunk != NULL) {
		/* shutdown, in bulk: the control lcore formats what its ring
		 * takes, this worker formats the rest itself, so both work */
		if (rte_ring_sp_enqueue_elem(w->records, &msg, sizeof(msg)) == 0)
			goto queued;
		if (bulk_record(w, &msg))
			return;
	}
	/* the tenant's share of the record ring: another tenant's churn
	 * cannot take it (the control lcore counts what it wrote) */
	if (rc->queued - rc->seen_written >= w->tbl->rec_share) {
		rc->seen_written = __atomic_load_n(&w->rec_written[k->tenant], __ATOMIC_ACQUIRE);
		while (w->ending && rc->queued - rc->seen_written >= w->tbl->rec_share) {
			rte_pause(); /* shutdown: the control lcore is draining */
			rc->seen_written =
				__atomic_load_n(&w->rec_written[k->tenant], __ATOMIC_ACQUIRE);
		}
		if (rc->queued - rc->seen_written >= w->tbl->rec_share) {
			w->c[SL_WC_RECORDS_LOST]++;
			w->c[sl_ix_tenant(l, k->tenant, SL_TC_RECORDS_LOST)]++;
			return;
		}
	}
	while (rte_ring_sp_enqueue_elem(w->records, &msg, sizeof(msg)) != 0) {
		if (!w->ending) {
			/* the control lcore is behind: never wait on the data path */
			w->c[SL_WC_RECORDS_LOST]++;
			w->c[sl_ix_tenant(l, k->tenant, SL_TC_RECORDS_LOST)]++;
			return;
		}
		rte_pause(); /* shutdown: the control lcore is draining */
	}
queued:
	rc->queued++;
	w->c[SL_WC_RECORDS]++;
	w->c[sl_ix_tenant(l, k->tenant, SL_TC_RECORDS)]++;
}
