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

/* Classify a freshly received burst and count it against its input and
 * tenants. */
static inline void
count_rx(struct sl_worker *w, struct rte_mbuf **pkts, struct sl_meta *meta, uint16_t n,
	 uint16_t input)
{
	const struct sl_stats_layout *l = &w->app->layout;
	uint64_t bytes = 0;

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct sl_meta *md = &meta[i];

		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		sl_classify(w->app, w->tbl, m, input, md);
		bytes += rte_pktmbuf_pkt_len(m);
		if (md->pi.err != SL_PARSE_OK)
			w->c[sl_ix_anomaly(l, md->pi.err)]++;
		if (unlikely(md->pi.encap_mask != 0)) {
			for (unsigned int b = 0; b < l->n_encap; b++)
				if (md->pi.encap_mask & SL_ENCAP_BIT(b))
					w->c[sl_ix_encap(l, b)]++;
		}
		if (unlikely(md->pi.encap_err != 0))
			w->c[sl_ix_encap_err(l, md->pi.encap_err)]++;
		if (md->tenant != SL_NO_TENANT) {
			w->c[sl_ix_tenant(l, md->tenant, SL_TC_PACKETS)]++;
			w->c[sl_ix_tenant(l, md->tenant, SL_TC_BYTES)] += rte_pktmbuf_pkt_len(m);
			if (md->pi.err != SL_PARSE_OK)
				w->c[sl_ix_tenant(l, md->tenant, SL_TC_MALFORMED)]++;
		}
	}
	w->c[SL_WC_RX_PACKETS] += n;
	w->c[SL_WC_RX_BYTES] += bytes;
	w->c[sl_ix_input(l, input, SL_IC_PACKETS)] += n;
	w->c[sl_ix_input(l, input, SL_IC_BYTES)] += bytes;
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
			*sl_meta_of(pkts[i]) = *md; /* travels with the packet */
			out[t][cnt[t]++] = pkts[i];
		}
	}
	if (nl > 0)
		sl_flows_process(w, local, local_md, nl, now);
	for (uint16_t t = 0; t < nw; t++) {
		if (cnt[t] == 0)
			continue;
		unsigned int sent = rte_ring_enqueue_burst(app->workers[t]->ring, (void **)out[t],
							   cnt[t], NULL);
		w->c[SL_WC_HANDED_OFF] += sent;
		for (uint16_t i = (uint16_t)sent; i < cnt[t]; i++)
			sl_drop_pkt(w, out[t][i], SL_DROP_SW_RING_FULL, sl_meta_of(out[t][i])->tenant);
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
		uint16_t n = rte_eth_rx_burst(rq->port, rq->queue, pkts, SL_BURST);

		if (n == 0)
			continue;
		total += n;
		count_rx(w, pkts, meta, n, rq->input);
		if (rq->software && w->app->n_workers > 1) {
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
	for (unsigned int i = 0; i < n; i++)
		mds[i] = sl_meta_of(pkts[i]);
	sl_flows_process(w, pkts, mds, (uint16_t)n, now);
	return (uint16_t)n;
}
