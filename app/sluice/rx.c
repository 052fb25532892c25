/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RX and hand-off: poll this worker's RX queues 32 packets at a time,
 * classify and count each burst, and in software distribution hand each
 * packet to the worker that owns its flow through that worker's ring (a
 * full ring drops, counted sw_ring_full). Packets another worker handed
 * over are taken off this worker's own ring (unless a snapshot holds it).
 */
#include <string.h>

#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>
#include <rte_ring.h>

#include "datapath.h"
#include "sl_flow.h"

/* The tenant's rate meter on this worker: true when the packet exceeds it.
 * Each RX worker has its share of the rate (the tenant's traffic is spread
 * over them by RSS or by which queues they poll). */
static inline bool
over_rate(struct sl_worker *w, uint16_t t, uint32_t len, uint64_t now)
{
	struct sl_meter *mt = &w->meters[t];

	if (mt->on_pps && rte_meter_srtcm_color_blind_check(&mt->pps, &mt->pps_p, now, 1) !=
				  RTE_COLOR_GREEN)
		return true;
	return mt->on_bps && rte_meter_srtcm_color_blind_check(&mt->bps, &mt->bps_p, now, len) !=
				     RTE_COLOR_GREEN;
}

/*
 * Classify a freshly received burst and count it against its input and
 * tenants. Packets over their tenant's rate are dropped here, before any
 * key, hash, hand-off or flow lookup: what a flood costs is its parse.
 * Returns the packets kept, compacted at the front of pkts and meta.
 */
/*
 * Frames of a non-Ethernet capture rewritten as Ethernet; one with no
 * Ethernet form is received (counted here, as count_rx() would) and
 * dropped as linktype_unconvertible. Returns the frames kept, compacted.
 */
static uint16_t
to_ethernet(struct sl_worker *w, struct rte_mbuf **pkts, uint16_t n, const struct sl_rxq *rq)
{
	const struct sl_stats_layout *l = &w->app->layout;
	uint16_t kept = 0;

	for (uint16_t k = 0; k < n; k++) {
		uint32_t len = rte_pktmbuf_pkt_len(pkts[k]);

		if (sl_rx_to_ethernet(pkts[k], rq->l2_kind) == 0) {
			pkts[kept++] = pkts[k];
			continue;
		}
		w->c[SL_WC_RX_PACKETS]++;
		w->c[SL_WC_RX_BYTES] += len;
		w->c[sl_ix_input(l, rq->input, SL_IC_PACKETS)]++;
		w->c[sl_ix_input(l, rq->input, SL_IC_BYTES)] += len;
		sl_drop_pkt(w, pkts[k], SL_DROP_LINKTYPE, SL_NO_TENANT);
	}
	return kept;
}

/* What count_rx() counts for the few packets with a parse anomaly, an
 * encapsulation or an ICMP error: each of the four is its own test here,
 * one test together there (5 instructions a packet fewer for a packet with
 * none, docs/performance.md "One test for several"). */
static inline void
count_rare(struct sl_worker *w, const struct sl_meta *md)
{
	const struct sl_stats_layout *l = &w->app->layout;

	if (md->pi.err != SL_PARSE_OK) {
		w->c[sl_ix_anomaly(l, md->pi.err)]++;
		if (md->tenant != SL_NO_TENANT)
			w->c[sl_ix_tenant(l, md->tenant, SL_TC_MALFORMED)]++;
	}
	/* the types identified: the mask's set bits, not every type */
	for (uint32_t em = md->pi.encap_mask; em != 0; em &= em - 1) {
		unsigned int b = (unsigned int)__builtin_ctz(em);

		if (b < l->n_encap)
			w->c[sl_ix_encap(l, b)]++;
	}
	if (md->pi.encap_err != 0)
		w->c[sl_ix_encap_err(l, md->pi.encap_err)]++;
	if (md->pi.icmp_err)
		w->c[SL_WC_ICMP_ERRORS]++;
}

/*
 * The flow table's memory latency, hidden behind the parse: a packet's
 * bucket is prefetched as soon as its hash is known, a burst's parse ahead
 * of its lookup in sl_flows_process(). Only on a worker that owns every
 * flow it reads (a queue of its own, or the only worker), and only while it
 * holds at least SL_PREFETCH_MIN_FLOWS flows: below that the table is in
 * cache, and the prefetch would only add its address (the end of the hash's
 * dependency chain) to every packet's critical path.
 */
static inline uint16_t
count_rx(struct sl_worker *w, struct rte_mbuf **pkts, struct sl_meta *meta, uint16_t n,
	 uint16_t input, uint64_t now, struct sl_flow_table *own_ft)
{
	const struct sl_stats_layout *l = &w->app->layout;
	const struct sl_tables *tb = w->tbl;
	struct rte_mbuf *over[SL_BURST];
	uint64_t bytes = 0;
	uint16_t kept = 0, n_over = 0;

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct sl_meta *md = &meta[kept];
		uint32_t len = rte_pktmbuf_pkt_len(m);

		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		sl_classify(w->app, tb, m, input, md);
		bytes += len;
		/* anomalies, tunnels and ICMP errors: one test for all four */
		if (unlikely((md->pi.err | md->pi.encap_mask | md->pi.encap_err | md->pi.icmp_err) !=
			     0))
			count_rare(w, md);
		if (md->tenant != SL_NO_TENANT) {
			uint16_t t = md->tenant;

			w->c[sl_ix_tenant(l, t, SL_TC_PACKETS)]++;
			w->c[sl_ix_tenant(l, t, SL_TC_BYTES)] += len;
			sl_cap(w->app, w->idx, m, t, SL_CAP_ALL, 0);
			if (unlikely(tb->tenants[t].metered) && over_rate(w, t, len, now)) {
				w->c[sl_ix_tenant(l, t, SL_TC_RATE_EXCEEDED)]++;
				w->c[sl_ix_tenant(l, t, SL_TC_DROPPED)]++;
				sl_cap(w->app, w->idx, m, t, SL_CAP_DROPPED, SL_DROP_RATE_EXCEEDED);
				over[n_over++] = m;
				continue;
			}
		}
		sl_classify_key(w->app, md);
		if (own_ft != NULL && md->tenant != SL_NO_TENANT)
			sl_flow_prefetch_bucket(own_ft, md->hash);
		pkts[kept++] = m;
	}
	w->c[SL_WC_RX_PACKETS] += n;
	w->c[SL_WC_RX_BYTES] += bytes;
	w->c[sl_ix_input(l, input, SL_IC_PACKETS)] += n;
	w->c[sl_ix_input(l, input, SL_IC_BYTES)] += bytes;
	if (unlikely(n_over > 0)) {
		w->c[SL_WC_DROPPED] += n_over;
		w->c[sl_ix_drop(l, SL_DROP_RATE_EXCEEDED)] += n_over;
		rte_pktmbuf_free_bulk(over, n_over);
	}
	return kept;
}

/*
 * A hand-off ring more than half full is congested: each tenant of each
 * producing worker may then have at most its share of the other half in it
 * (ring size / 2 / workers), so one tenant's burst fills at most its share
 * and the others' packets still find room. Below half, nobody is held back.
 */
static inline bool
over_share(struct sl_worker *w, uint16_t d, uint16_t t, bool congested)
{
	const struct sl_app *app = w->app;
	const struct sl_worker *dw = app->workers[d];

	if (!congested)
		return false;
	uint32_t share = app->cfg->sw_ring_size / 2 / app->n_workers;
	uint32_t in_flight = w->handed[(size_t)d * app->tenant_cap + t] -
			     dw->taken[(size_t)w->idx * app->tenant_cap + t];
	return in_flight >= share;
}

/*
 * Software distribution: the flow's owner is chosen from the tenant, VLANs
 * and addresses only (2-tuple), so every fragment of a datagram, which may
 * lack ports, reaches the same worker as the rest of its flow.
 */
static void
distribute(struct sl_worker *w, struct rte_mbuf **pkts, struct sl_meta *meta, uint16_t n,
	   uint64_t now)
{
	struct sl_app *app = w->app;
	struct rte_mbuf *out[SL_MAX_WORKERS][SL_BURST];
	struct rte_mbuf *local[SL_BURST];
	struct sl_meta *local_md[SL_BURST];
	uint16_t cnt[SL_MAX_WORKERS];
	uint16_t nw = app->n_workers, nl = 0;

	memset(cnt, 0, nw * sizeof(cnt[0]));
	for (uint16_t i = 0; i < n; i++) {
		struct sl_meta *md = &meta[i];
		uint16_t t = w->idx;

		if (md->tenant != SL_NO_TENANT)
			t = (uint16_t)sl_hash_scale(
				sl_flow_hash_fields(&md->key, SL_FIELDS_2TUPLE, app->cfg->hash_seed), nw);
		if (t == w->idx) {
			local[nl] = pkts[i];
			local_md[nl++] = md;
		} else {
			md->src = (uint8_t)w->idx;
			*sl_meta_of(pkts[i]) = *md; /* travels with the packet */
			out[t][cnt[t]++] = pkts[i];
		}
	}
	if (nl > 0)
		sl_flows_process(w, local, local_md, nl, now);
	for (uint16_t d = 0; d < nw; d++) {
		struct rte_ring *ring = app->workers[d]->ring;
		uint16_t k = 0;

		if (cnt[d] == 0)
			continue;
		bool congested = rte_ring_count(ring) > app->cfg->sw_ring_size / 2;
		for (uint16_t i = 0; i < cnt[d]; i++) {
			struct rte_mbuf *m = out[d][i];
			uint16_t t = sl_meta_of(m)->tenant;

			if (t != SL_NO_TENANT && unlikely(over_share(w, d, t, congested))) {
				sl_drop_pkt(w, m, SL_DROP_SW_RING_SHARE, t);
				continue;
			}
			out[d][k++] = m;
		}
		unsigned int sent = rte_ring_enqueue_burst(ring, (void **)out[d], k, NULL);
		w->c[SL_WC_HANDED_OFF] += sent;
		for (uint16_t i = 0; i < sent; i++) {
			uint16_t t = sl_meta_of(out[d][i])->tenant;

			if (t != SL_NO_TENANT)
				w->handed[(size_t)d * app->tenant_cap + t]++;
		}
		for (uint16_t i = (uint16_t)sent; i < k; i++)
			sl_drop_pkt(w, out[d][i], SL_DROP_SW_RING_FULL, sl_meta_of(out[d][i])->tenant);
	}
}

uint16_t
sl_rx_poll(struct sl_worker *w, uint64_t now)
{
	struct rte_mbuf *pkts[SL_BURST];
	struct sl_meta meta[SL_BURST];
	struct sl_meta *mds[SL_BURST];
	uint16_t total = 0;

	for (uint16_t i = 0; i < w->n_rxq; i++) {
		const struct sl_rxq *rq = &w->rxq[i];

		/* a memif client input being restarted (health.c) */
		if (unlikely(__atomic_load_n(&w->app->in_ports[rq->input].paused,
					     __ATOMIC_RELAXED)))
			continue;
		uint16_t n = rte_eth_rx_burst(rq->port, rq->queue, pkts, SL_BURST);

		if (n == 0)
			continue;
		total += n;
		/* a capture that is not Ethernet becomes Ethernet (linktype.c) */
		if (unlikely(rq->l2_kind != SL_L2_ETHERNET))
			n = to_ethernet(w, pkts, n, rq);
		bool spread = rq->software && w->app->n_workers > 1;

		n = count_rx(w, pkts, meta, n, rq->input, now,
			     !spread && sl_flow_count(w->ft) >= SL_PREFETCH_MIN_FLOWS ? w->ft
										 : NULL);
		if (n == 0)
			continue;
		if (spread) {
			distribute(w, pkts, meta, n, now);
		} else {
			for (uint16_t k = 0; k < n; k++)
				mds[k] = &meta[k];
			sl_flows_process(w, pkts, mds, n, now);
		}
	}
	return total;
}

uint16_t
sl_rx_poll_ring(struct sl_worker *w, uint64_t now)
{
	struct rte_mbuf *pkts[SL_BURST];
	struct sl_meta *mds[SL_BURST];
	unsigned int n;

	if (w->ring == NULL || w->holding)
		return 0;
	n = rte_ring_dequeue_burst(w->ring, (void **)pkts, SL_BURST, NULL);
	if (n == 0)
		return 0;
	w->c[SL_WC_RING_IN] += n;
	for (unsigned int i = 0; i < n; i++) {
		mds[i] = sl_meta_of(pkts[i]);
		if (mds[i]->tenant != SL_NO_TENANT)
			w->taken[(size_t)mds[i]->src * w->app->tenant_cap + mds[i]->tenant]++;
	}
	sl_flows_process(w, pkts, mds, (uint16_t)n, now);
	return (uint16_t)n;
}
