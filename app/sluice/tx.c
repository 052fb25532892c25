/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Delivery to a pool member: a member that is down gets nothing (dropped as
 * member_down), a pool that strips gets the inner frame, a remote member
 * gets it inside its tunnel (remote.c), and every packet
 * waits in its member's 32-slot TX buffer until the buffer is full or the
 * worker's drain deadline (SL_TX_DRAIN_US) passes. Whatever a TX queue or a
 * ring refuses is freed and counted (l3fwd send_burst).
 */
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_spinlock.h>

#include "datapath.h"
#include "sl_shmring.h"

/* Counters of a burst handed to a member: sent accepted, refused by a full
 * queue or ring, down refused because the member had no live peer. */
static inline void
count_sent(struct sl_worker *w, uint32_t gm, uint16_t sent, uint64_t bytes, uint16_t refused,
	   uint16_t down)
{
	const struct sl_stats_layout *l = &w->app->layout;
	const struct sl_member_rt *mr = &w->app->members[gm];

	w->c[SL_WC_TX_BUFFERED] -= sent + refused + down;
	w->c[SL_WC_FORWARDED] += sent;
	w->c[SL_WC_FORWARDED_BYTES] += bytes;
	w->c[sl_ix_member(l, gm, SL_MC_PACKETS)] += sent;
	w->c[sl_ix_member(l, gm, SL_MC_BYTES)] += bytes;
	w->c[sl_ix_tenant(l, mr->tenant, SL_TC_FORWARDED)] += sent;
	if (unlikely(refused + down > 0)) {
		w->c[SL_WC_DROPPED] += refused + down;
		w->c[sl_ix_drop(l, SL_DROP_TX_REFUSED)] += refused;
		w->c[sl_ix_member(l, gm, SL_MC_TX_REFUSED)] += refused;
		w->c[sl_ix_drop(l, SL_DROP_MEMBER_DOWN)] += down;
		w->c[sl_ix_member(l, gm, SL_MC_LINK_DOWN)] += down;
		w->c[sl_ix_tenant(l, mr->tenant, SL_TC_DROPPED)] += refused + down;
	}
}

/*
 * A burst to a shared-memory ring member: the packets are copied into the
 * region and the mbufs freed. A packet in several segments is read into the
 * worker's scratch buffer first (lib/shmring copies from one buffer), up to
 * the frame size. The producer is shared by the workers, and polled by the
 * control thread: one lock per burst.
 */
static void
flush_ring(struct sl_worker *w, uint32_t gm)
{
	const struct sl_member_rt *mr = &w->app->members[gm];
	struct sl_txbuf *b = &w->tx[gm];
	struct sl_shmring_tx tx[SL_BURST];
	bool refused[SL_BURST];
	uint64_t ts = sl_unix_ns(w->app, rte_rdtsc()), bytes = 0;
	uint16_t n = b->n, sent = 0, start = 0;
	uint64_t down0;

	rte_spinlock_lock(mr->lock);
	down0 = sl_shmring_producer_stats(mr->ring)->no_consumer;
	for (uint16_t i = 0; i <= n; i++) {
		struct rte_mbuf *m = i < n ? b->pkts[i] : NULL;

		/* a run of single-segment packets goes in one burst */
		if (m != NULL && m->nb_segs == 1) {
			tx[i] = (struct sl_shmring_tx){ .data = rte_pktmbuf_mtod(m, const void *),
							.ts_ns = ts,
							.len = rte_pktmbuf_pkt_len(m),
							.hash = m->hash.rss,
							.tenant = mr->tenant_id };
			continue;
		}
		unsigned int done = sl_shmring_produce_burst(mr->ring, &tx[start], i - start);

		for (unsigned int k = 0; k < (unsigned int)(i - start); k++) {
			refused[start + k] = k >= done;
			if (k < done)
				bytes += tx[start + k].len;
		}
		sent += done;
		if (m == NULL)
			break;
		uint32_t len = rte_pktmbuf_pkt_len(m);
		uint32_t cap = RTE_MIN(len, w->scratch_len);
		const void *d = rte_pktmbuf_read(m, 0, cap, w->scratch);

		refused[i] = true;
		if (d != NULL && sl_shmring_produce(mr->ring, d, len, ts, m->hash.rss,
						    mr->tenant_id) == 0) {
			refused[i] = false;
			sent++;
			bytes += len;
		}
		start = i + 1;
	}
	uint16_t down = (uint16_t)(sl_shmring_producer_stats(mr->ring)->no_consumer - down0);
	rte_spinlock_unlock(mr->lock);
	/* what the ring refused can be captured as dropped, like a queue's:
	 * without a consumer the whole burst is member_down */
	if (unlikely(sent < n)) {
		uint16_t reason = down > 0 ? SL_DROP_MEMBER_DOWN : SL_DROP_TX_REFUSED;

		for (uint16_t i = 0; i < n; i++)
			if (refused[i])
				sl_cap(w->app, w->idx, b->pkts[i], mr->tenant, SL_CAP_DROPPED,
				       reason);
	}
	for (uint16_t i = 0; i < n; i++)
		rte_pktmbuf_free(b->pkts[i]);
	count_sent(w, gm, sent, bytes, n - sent - down, down);
	b->n = 0;
}

void
sl_tx_flush_member(struct sl_worker *w, uint32_t gm)
{
	struct sl_app *app = w->app;
	const struct sl_member_rt *mr = &app->members[gm];
	struct sl_txbuf *b = &w->tx[gm];
	uint16_t n = b->n, sent, q;
	uint64_t bytes = 0;

	if (n == 0)
		return;
	if (mr->ring != NULL) {
		flush_ring(w, gm);
		return;
	}
	/* a memif client output being restarted (health.c): nothing may
	 * reach its queues; what was buffered for it is dropped as for a
	 * member that is down (one load per burst) */
	if (unlikely(__atomic_load_n(&app->out_ports[mr->output].paused, __ATOMIC_RELAXED))) {
		for (uint16_t i = 0; i < n; i++) {
			sl_cap(app, w->idx, b->pkts[i], mr->tenant, SL_CAP_DROPPED,
			       SL_DROP_MEMBER_DOWN);
			rte_pktmbuf_free(b->pkts[i]);
		}
		count_sent(w, gm, 0, 0, 0, n);
		b->n = 0;
		return;
	}
	for (uint16_t i = 0; i < n; i++)
		bytes += rte_pktmbuf_pkt_len(b->pkts[i]);
	q = mr->queue == SL_QUEUE_PER_WORKER ? w->idx : mr->queue;
	if (mr->lock != NULL) {
		rte_spinlock_lock(mr->lock);
		sent = rte_eth_tx_burst(mr->port, q, b->pkts, n);
		rte_spinlock_unlock(mr->lock);
	} else {
		sent = rte_eth_tx_burst(mr->port, q, b->pkts, n);
	}
	/* What the queue refused is freed and counted (l3fwd send_burst). */
	for (uint16_t i = sent; i < n; i++) {
		bytes -= rte_pktmbuf_pkt_len(b->pkts[i]);
		sl_cap(app, w->idx, b->pkts[i], mr->tenant, SL_CAP_DROPPED, SL_DROP_TX_REFUSED);
		rte_pktmbuf_free(b->pkts[i]);
	}
	count_sent(w, gm, sent, bytes, n - sent, 0);
	b->n = 0;
	/* a member that takes nothing holds no mbufs: until the next drain
	 * tick its packets are refused at once */
	if (unlikely(sent == 0)) {
		b->refuse_until = rte_rdtsc() + w->drain_tsc;
		b->inline_ok = 0;
	}
}

void
sl_tx_flush_all(struct sl_worker *w)
{
	for (uint32_t i = 0; i < w->n_dirty; i++) {
		uint32_t gm = w->dirty[i];

		sl_tx_flush_member(w, gm);
		w->tx[gm].on_dirty = 0;
		w->tx[gm].inline_ok = 0;
	}
	w->n_dirty = 0;
}

static inline void
tx_enqueue(struct sl_worker *w, uint32_t gm, struct rte_mbuf *m)
{
	struct sl_txbuf *b = &w->tx[gm];

	if (unlikely(b->refuse_until != 0)) {
		if (rte_rdtsc() < b->refuse_until) {
			const struct sl_stats_layout *l = &w->app->layout;

			w->c[sl_ix_member(l, gm, SL_MC_TX_REFUSED)]++;
			sl_drop_pkt(w, m, SL_DROP_TX_REFUSED, w->app->members[gm].tenant);
			return;
		}
		b->refuse_until = 0;
	}

	if (!b->on_dirty) {
		b->on_dirty = 1;
		w->dirty[w->n_dirty++] = gm;
	}
	b->inline_ok = w->app->members[gm].remote == NULL;
	sl_txbuf_append(w, gm, b, m);
}

/* A packet for a member that is down: counted as link_down. */
void
sl_drop_member_down(struct sl_worker *w, uint32_t gm, struct rte_mbuf *m)
{
	w->c[sl_ix_member(&w->app->layout, gm, SL_MC_LINK_DOWN)]++;
	sl_drop_pkt(w, m, SL_DROP_MEMBER_DOWN, w->app->members[gm].tenant);
}

/* Buffer a packet for a member the caller found up, stripped first when its
 * pool says so, and put in its tunnel when the member is remote: every case
 * sl_deliver_up() (datapath.h) does not take inline. */
void
sl_deliver_up_any(struct sl_worker *w, uint32_t gm, struct rte_mbuf *m, const struct sl_meta *md)
{
	m->hash.rss = md->hash; /* ring descriptors carry it */
	/* untunnelled packets (the common case) never look at the pool */
	if (unlikely(md->pi.n_encap > 0)) {
		const struct sl_member_rt *mr = &w->app->members[gm];
		const struct sl_tenant_rt *tr = sl_tenant_of(w->tbl, mr->tenant);
		const struct sl_slot_pos *pos = &w->tbl->pos[gm];
		/* a member a reload removed keeps no pool: delivered as is */
		const struct sl_pool_rt *p = tr != NULL && pos->present ? &tr->pools[pos->pool]
									: NULL;

		if (p != NULL && p->strip != SL_STRIP_NONE) {
			if (!sl_strip_outer(m, md, p)) {
				sl_drop_pkt(w, m, SL_DROP_STRIP_FAILED, mr->tenant);
				return;
			}
			w->c[SL_WC_STRIPPED]++;
		}
	}
	/* local members (the common case) pay this test only */
	if (unlikely(w->app->members[gm].remote != NULL) && !sl_remote_encap(w, gm, &m))
		return;
	tx_enqueue(w, gm, m);
}

/* Buffer a packet for a member; one that is down gets nothing, nor a packet
 * without a member (SL_SLOT_NONE: its tenant was removed by a reload). */
void
sl_deliver(struct sl_worker *w, uint32_t gm, struct rte_mbuf *m, const struct sl_meta *md)
{
	if (unlikely(gm >= w->app->member_cap)) {
		sl_drop_pkt(w, m, SL_DROP_NO_TENANT, SL_NO_TENANT);
		return;
	}
	if (unlikely(__atomic_load_n(&w->app->member_down[gm], __ATOMIC_RELAXED) != 0))
		sl_drop_member_down(w, gm, m);
	else
		sl_deliver_up(w, gm, m, md);
}
