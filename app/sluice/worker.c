/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The worker lcore's loop: answer the control loop's snapshot requests and
 * the control-socket mailbox, take packets off its ring and its RX queues
 * (rx.c), flush TX buffers on their deadline (tx.c), age a few flows and
 * fragments per loop, and at shutdown drain everything and end every flow.
 */
#include <string.h>

#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "datapath.h"
#include "sl_verdict.h"

static void
publish(struct sl_worker *w, uint64_t now)
{
	const struct sl_frag_stats *fs = sl_frag_get_stats(w->frag);
	const struct sl_stats_layout *l = &w->app->layout;

	w->c[SL_WC_FLOWS_ACTIVE] = sl_flow_count(w->ft);
	for (uint16_t t = 0; t < w->app->n_tenant_slots; t++)
		w->c[sl_ix_tenant(l, t, SL_TC_FLOWS_ACTIVE)] = sl_flow_tenant_count(w->ft, t);
	for (unsigned int f = 0; f < w->app->layout.n_frag; f++)
		w->c[sl_ix_frag(&w->app->layout, f)] = sl_frag_stat(fs, f);
	sl_app_publish(w);
	sl_stats_block_publish(w->stats, now);
}

/* Snapshot protocol: odd sequence = stop taking packets off the ring and
 * acknowledge; even = publish counters, resume, acknowledge. While every
 * worker holds, no packet leaves a ring, so handed_off >= ring_in holds in
 * any set of snapshots the control loop reads. */
static inline void
answer_control(struct sl_worker *w, uint64_t now)
{
	uint32_t seq = __atomic_load_n(&w->app->snap_seq, __ATOMIC_ACQUIRE);

	if (likely(seq == w->seen_seq))
		return;
	w->seen_seq = seq;
	if (seq & 1) {
		w->holding = true;
	} else {
		publish(w, now);
		w->holding = false;
	}
	__atomic_store_n(&w->ctl.ack, seq, __ATOMIC_RELEASE);
}

/* Control-socket requests: find the flow, set or clear its bypass, answer. */
static void
answer_mailbox(struct sl_worker *w)
{
	const struct sl_stats_layout *l = &w->app->layout;
	struct sl_bypass_req *rq;

	while (rte_ring_sc_dequeue(w->mailbox, (void **)&rq) == 0) {
		const struct sl_flow_key *kp = &rq->key;
		struct sl_flow_entry *e = sl_flow_lookup(w->ft, kp, rq->hash);

		w->c[SL_WC_BYPASS_REQUESTS]++;
		rq->found = e != NULL;
		if (e != NULL) {
			w->c[SL_WC_BYPASS_FOUND]++;
			if (sl_verdict_request(e, kp->proto, rq->op == SL_BYPASS_OP_SET,
					       rq->until_tsc != 0,
					       sl_flow_time(rq->until_tsc, w->app->ft_shift)))
				w->c[sl_ix_tenant(l, kp->tenant, SL_TC_REQUESTED_BYPASSES)]++;
		}
		/* the reply ring is as large as the mailbox: never full */
		rte_ring_sp_enqueue(w->replies, rq);
	}
}

/* A tenant's rate meter, remade when its rate changed: this worker's share
 * (the rate over the workers that read packets). */
static void
set_meter(struct sl_worker *w, uint16_t t, const struct sl_cfg_rate *r)
{
	struct sl_meter *mt = &w->meters[t];
	uint16_t n = RTE_MAX(w->n_rx_workers, (uint16_t)1);

	if (memcmp(&mt->cfg, r, sizeof(*r)) == 0)
		return;
	memset(mt, 0, sizeof(*mt));
	mt->cfg = *r;
	if (r->pps) {
		/* a packet counts as one "byte" */
		struct rte_meter_srtcm_params p = { .cir = RTE_MAX(r->pps / n, 1ul),
						    .cbs = RTE_MAX(r->burst / n, 1ul), .ebs = 0 };

		mt->on_pps = rte_meter_srtcm_profile_config(&mt->pps_p, &p) == 0 &&
			     rte_meter_srtcm_config(&mt->pps, &mt->pps_p) == 0;
	}
	if (r->bytes_per_sec) {
		struct rte_meter_srtcm_params p = {
			.cir = RTE_MAX(r->bytes_per_sec / n, 1ul),
			.cbs = RTE_MAX(r->burst_bytes / n, (uint64_t)RTE_ETHER_MAX_LEN), .ebs = 0 };

		mt->on_bps = rte_meter_srtcm_profile_config(&mt->bps_p, &p) == 0 &&
			     rte_meter_srtcm_config(&mt->bps, &mt->bps_p) == 0;
	}
}

/* A new generation of the tables: its timeouts, flow bounds and rate
 * meters; a fast sweep of the whole flow table when a tenant was removed
 * (its flows end, reason "reload"). */
static void
new_tables(struct sl_worker *w)
{
	const struct sl_tables *tb = w->tbl;
	static const struct sl_cfg_rate none;

	w->tbl_gen = tb->generation;
	sl_flow_set_timeouts(w->ft, tb->timeout);
	/* the bounds fit (the loader checked); refused only if memory is short,
	 * and then the previous bounds stay */
	sl_flow_table_set_quotas(w->ft, tb->flow_quota, tb->n_tenant_slots);
	for (uint16_t t = 0; t < tb->n_tenant_slots; t++)
		set_meter(w, t, tb->tenants[t].present && tb->tenants[t].metered
					? &tb->tenants[t].rate : &none);
	w->age_interval = tb->age_interval;
	if (tb->removed)
		w->purge_left = sl_flow_capacity(w->ft);
}

/* Age a batch of flows: paced so the table is swept 4 times per shortest
 * timeout, faster while a removed tenant's flows are being ended. */
static void
age_flows(struct sl_worker *w, uint64_t now)
{
	unsigned int budget = SL_AGE_BUDGET;

	if (unlikely(w->purge_left > 0)) {
		budget = SL_AGE_BUDGET * 16;
		w->purge_left = w->purge_left > budget ? w->purge_left - budget : 0;
		if (w->purge_left == 0)
			__atomic_store_n(&w->ctl.purged_gen, w->tbl_gen, __ATOMIC_RELEASE);
	} else {
		w->age_next = now + w->age_interval;
	}
	w->c[SL_WC_FLOWS_EXPIRED] += sl_flow_age(w->ft, sl_flow_time(now, w->app->ft_shift), budget,
						 false, sl_flow_tenant_gone, sl_flow_ended, w);
}

/* Shutdown: every RX stage has stopped. Empty the ring, send held fragments
 * unmatched, flush, end every flow with its record, publish. */
static void
drain(struct sl_worker *w)
{
	w->holding = false;
	while (sl_rx_poll_ring(w, rte_rdtsc()) > 0)
		;
	while (w->c[SL_WC_FRAG_HELD] > 0 && sl_frags_age(w, UINT64_MAX, UINT32_MAX) > 0)
		;
	sl_tx_flush_all(w);
	w->ending = true;
	sl_flows_bulk_records_begin(w);
	w->c[SL_WC_FLOWS_EXPIRED] += sl_flow_age(w->ft, sl_flow_time(rte_rdtsc(), w->app->ft_shift),
						 UINT32_MAX, true, NULL, sl_flow_ended, w);
	sl_flows_bulk_records_end(w);
	publish(w, rte_rdtsc());
	__atomic_store_n(&w->ctl.done, 1, __ATOMIC_RELEASE);
}

int
sl_worker_main(void *arg)
{
	struct sl_worker *w = arg;
	struct sl_app *app = w->app;
	const uint64_t drain_tsc = (app->tsc_hz + 999999) / 1000000 * SL_TX_DRAIN_US;

	w->drain_tsc = drain_tsc;
	w->tx_deadline = rte_rdtsc() + drain_tsc;
	w->age_next = rte_rdtsc();
	rte_rcu_qsbr_thread_online(app->qsbr, w->idx);
	for (;;) {
		uint64_t now = rte_rdtsc();
		uint32_t busy;

		/* the tables of this iteration: the only load of app->tbl */
		w->tbl = __atomic_load_n(&app->tbl, __ATOMIC_ACQUIRE);
		if (unlikely(w->tbl->generation != w->tbl_gen))
			new_tables(w);
		answer_control(w, now);
		if (w->mailbox != NULL)
			answer_mailbox(w);
		busy = sl_rx_poll_ring(w, now);
		if (likely(!__atomic_load_n(&app->stop_rx, __ATOMIC_ACQUIRE)))
			busy += sl_rx_poll(w, now);
		else if (!w->ctl.rx_stopped)
			__atomic_store_n(&w->ctl.rx_stopped, 1, __ATOMIC_RELEASE);
		if (now >= w->tx_deadline) {
			sl_tx_flush_all(w);
			w->tx_deadline = now + drain_tsc;
		}
		if (now >= w->age_next)
			age_flows(w, now);
		if (now >= w->frag_age_next) {
			sl_frags_age(w, now, SL_AGE_BUDGET);
			w->frag_age_next = now + w->frag_age_interval;
		}
		w->c[SL_WC_LOOPS]++;
		if (busy) {
			w->c[SL_WC_BUSY_LOOPS]++;
			w->c[SL_WC_BUSY_CYCLES] += rte_rdtsc() - now;
		}
		if (unlikely(__atomic_load_n(&app->drain, __ATOMIC_ACQUIRE))) {
			drain(w);
			break;
		}
		/* nothing of this iteration's tables is held past here */
		rte_rcu_qsbr_quiescent(app->qsbr, w->idx);
	}
	rte_rcu_qsbr_thread_offline(app->qsbr, w->idx);
	return 0;
}
