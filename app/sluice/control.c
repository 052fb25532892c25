/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control loop helpers: consistent snapshots of all workers' counters, the
 * aggregate telemetry reads, and the EVE-like stats JSON lines.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include <jansson.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_pause.h>

#include "sl_flowrec.h"
#include "datapath.h"
#include "kstats.h"
#include "ops.h"

uint64_t
sl_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void
sl_sleep_until(uint64_t ns)
{
	struct timespec ts = { .tv_sec = (time_t)(ns / 1000000000ull),
			       .tv_nsec = (long)(ns % 1000000000ull) };

	/* absolute: a signal (EINTR) returns early, never pushes the end back */
	clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}

int
sl_control_init(struct sl_app *app)
{
	struct sl_aggregate *a = &app->agg;

	pthread_mutex_init(&app->agg_lock, NULL);
	a->sum = calloc(app->layout.total, sizeof(uint64_t));
	a->per_worker = calloc(app->n_workers, sizeof(uint64_t *));
	if (a->sum == NULL || a->per_worker == NULL)
		return -ENOMEM;
	for (uint16_t w = 0; w < app->n_workers; w++) {
		a->per_worker[w] = calloc(app->layout.total, sizeof(uint64_t));
		if (a->per_worker[w] == NULL)
			return -ENOMEM;
	}
	a->live = sl_rates_create(app->layout.total);
	a->line = sl_rates_create(app->layout.total);
	if (a->live == NULL || a->line == NULL)
		return -ENOMEM;
	return sl_kstats_init(app);
}

void
sl_control_free(struct sl_app *app)
{
	struct sl_aggregate *a = &app->agg;

	if (a->per_worker != NULL)
		for (uint16_t w = 0; w < app->n_workers; w++)
			free(a->per_worker[w]);
	free(a->per_worker);
	free(a->sum);
	sl_rates_free(a->live);
	sl_rates_free(a->line);
	a->per_worker = NULL;
	a->sum = NULL;
	a->live = NULL;
	a->line = NULL;
	sl_kstats_free(app);
}

/* Spins before a snapshot's wait for a worker turns into naps. */
#define SL_SNAPSHOT_SPINS 2000
#define SL_SNAPSHOT_NAP_NS 50000

static void
wait_acks(struct sl_app *app, uint32_t seq)
{
	for (uint16_t w = 0; w < app->n_workers; w++) {
		const struct sl_worker *wk = app->workers[w];

		/* A worker answers within one loop iteration; done workers
		 * no longer answer and have published their final counters.
		 * A worker that does not answer at once is not running (its
		 * CPU is shared): sleep instead of spinning, so that if it
		 * shares this thread's CPU it gets it. */
		for (unsigned int spins = 0;
		     __atomic_load_n(&wk->ctl.ack, __ATOMIC_ACQUIRE) != seq &&
		     !__atomic_load_n(&wk->ctl.done, __ATOMIC_ACQUIRE);
		     spins++) {
			if (spins < SL_SNAPSHOT_SPINS)
				rte_pause();
			else
				sl_sleep_until(sl_mono_ns() + SL_SNAPSHOT_NAP_NS);
		}
	}
}

static void
aggregate(struct sl_app *app)
{
	struct sl_aggregate *a = &app->agg;
	uint64_t tsc = 0;

	pthread_mutex_lock(&app->agg_lock);
	for (uint16_t w = 0; w < app->n_workers; w++) {
		uint64_t t = sl_stats_block_read(app->workers[w]->stats, a->per_worker[w]);
		if (t > tsc)
			tsc = t;
	}
	sl_ledger_compute(&app->layout, (const uint64_t *const *)a->per_worker, app->n_workers,
			  &a->ledger, a->sum);
	if (!a->valid) {
		/* every counter was 0 when the workers were launched */
		sl_rates_start(a->live, app->start_tsc);
		sl_rates_start(a->line, app->start_tsc);
	}
	sl_rates_roll(a->live, a->sum, tsc, app->tsc_hz, app->tsc_hz / 1000 * SL_RATE_LIVE_MS);
	a->tsc = tsc;
	a->valid = true;
	pthread_mutex_unlock(&app->agg_lock);
}

void
sl_control_snapshot(struct sl_app *app)
{
	uint32_t seq = app->snap_seq;

	if (!__atomic_load_n(&app->drain, __ATOMIC_ACQUIRE)) {
		/* phase 1: every worker stops consuming its ring */
		__atomic_store_n(&app->snap_seq, seq + 1, __ATOMIC_RELEASE);
		wait_acks(app, seq + 1);
		/* phase 2: every worker publishes and resumes */
		__atomic_store_n(&app->snap_seq, seq + 2, __ATOMIC_RELEASE);
		wait_acks(app, seq + 2);
	}
	aggregate(app);
}

static json_t *
counters_obj(const uint64_t *c, size_t base, unsigned int n, const char *(*name)(unsigned int),
	     bool skip_zero)
{
	json_t *o = json_object();

	for (unsigned int i = 0; i < n; i++) {
		const char *nm = name(i);
		if (nm == NULL || (skip_zero && c[base + i] == 0))
			continue;
		json_object_set_new(o, nm, json_integer((json_int_t)c[base + i]));
	}
	return o;
}

/* Drop reasons: their names depend on the layout (parse classes). */
static json_t *
drops_obj(const struct sl_stats_layout *l, const uint64_t *c)
{
	json_t *o = json_object();

	for (unsigned int d = 0; d < l->n_drop; d++) {
		const char *nm = sl_drop_name(l, d);

		if (nm != NULL)
			json_object_set_new(o, nm, json_integer((json_int_t)c[sl_ix_drop(l, d)]));
	}
	return o;
}

static const char *
anomaly_name(unsigned int e)
{
	return e == 0 ? NULL : sl_parse_err_name((int)e);
}

static const char *
encap_err_name(unsigned int e)
{
	return e == 0 ? NULL : sl_encap_err_name((int)e);
}

static const char *
encap_type_name(unsigned int t)
{
	return sl_encap_type_name((int)t);
}

static json_t *
ledger_json(const struct sl_ledger *lg, const struct sl_app *app)
{
	json_t *o = json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:b,s:b,s:b,s:b}",
			      "received", (json_int_t)lg->received,
			      "mirror_copies", (json_int_t)lg->copies,
			      "forwarded", (json_int_t)lg->forwarded,
			      "filtered", (json_int_t)lg->filtered,
			      "dropped", (json_int_t)lg->dropped,
			      "bypassed", (json_int_t)lg->bypassed,
			      "in_flight", (json_int_t)lg->in_flight,
			      "tx_buffered", (json_int_t)lg->tx_buffered,
			      "frag_held", (json_int_t)lg->frag_held,
			      "in_rings", (json_int_t)lg->in_rings,
			      "workers_balanced", lg->workers_balanced,
			      "members_match", lg->members_match,
			      "drops_match", lg->drops_match,
			      "balanced", lg->balanced);
	/* The ports' own view, shown beside sluice's (not part of the sum:
	 * a NIC counts frames still in its RX ring that sluice has not read). */
	uint64_t ipackets = 0;
	for (uint16_t i = 0; i < app->cfg->n_inputs; i++) {
		struct rte_eth_stats st;
		if (rte_eth_stats_get(app->in_ports[i].port_id, &st) == 0)
			ipackets += st.ipackets;
	}
	json_object_set_new(o, "ports_ipackets", json_integer((json_int_t)ipackets));
	return o;
}

/* pps and bps of a packets and a bytes counter */
static void
set_rates(json_t *o, const struct sl_rates *r, size_t packets, size_t bytes)
{
	json_object_set_new(o, "pps", sl_rate_json(sl_rate(r, packets)));
	json_object_set_new(o, "bps", sl_rate_json(sl_rate(r, bytes) * 8.0));
}

json_t *
sl_input_json(struct sl_app *app, const uint64_t *sum, uint16_t i, const struct sl_rates *r)
{
	const struct sl_stats_layout *l = &app->layout;
	const struct sl_port_rt *p = &app->in_ports[i];
	struct rte_eth_stats st;
	json_t *io;

	memset(&st, 0, sizeof(st));
	rte_eth_stats_get(p->port_id, &st);
	io = json_pack("{s:s,s:i,s:s,s:i,s:I,s:I,s:I,s:I,s:I,s:I}", "name",
		       app->cfg->inputs[i].name, "port", p->port_id, "distribution",
		       sl_dist_mode_name(p->mode), "queues", p->nb_rxq, "received",
		       (json_int_t)sum[sl_ix_input(l, i, SL_IC_PACKETS)], "bytes",
		       (json_int_t)sum[sl_ix_input(l, i, SL_IC_BYTES)], "ipackets",
		       (json_int_t)st.ipackets, "imissed", (json_int_t)st.imissed, "ierrors",
		       (json_int_t)st.ierrors, "rx_nombuf", (json_int_t)st.rx_nombuf);
	/* capture files: their link type (frames converted to Ethernet) */
	const char *lt = sl_pcap_input_linktypes(app->pcap_in, i);
	if (lt != NULL)
		json_object_set_new(io, "linktype", json_string(lt));
	sl_health_input_json(app, i, io);
	set_rates(io, r, sl_ix_input(l, i, SL_IC_PACKETS), sl_ix_input(l, i, SL_IC_BYTES));
	return io;
}

static json_t *
inputs_json(struct sl_app *app, const uint64_t *sum, const struct sl_rates *r)
{
	json_t *arr = json_array();

	for (uint16_t i = 0; i < app->cfg->n_inputs; i++)
		json_array_append_new(arr, sl_input_json(app, sum, i, r));
	return arr;
}

json_t *
sl_output_json(struct sl_app *app, const uint64_t *sum, uint16_t o, const struct sl_rates *r)
{
	const struct sl_stats_layout *l = &app->layout;
	const struct sl_port_rt *p = &app->out_ports[o];
	double pps = 0, bytes_ps = 0;
	uint64_t fwd = 0, bytes = 0;
	struct rte_eth_stats st;
	json_t *oo;

	memset(&st, 0, sizeof(st));
	if (p->ring == NULL) {
		rte_eth_stats_get(p->port_id, &st);
		oo = json_pack("{s:s,s:i,s:i,s:b,s:I,s:I}", "name", app->cfg->outputs[o].name,
			       "port", p->port_id, "tx_queues", p->nb_txq, "tx_shared",
			       p->tx_shared, "opackets", (json_int_t)st.opackets, "oerrors",
			       (json_int_t)st.oerrors);
	} else {
		oo = json_pack("{s:s}", "name", app->cfg->outputs[o].name);
	}
	/* what sluice's members (present or removed by a reload) handed to
	 * this output, and how fast */
	for (uint32_t gm = 0; gm < app->n_member_slots; gm++) {
		if (app->members[gm].output != o)
			continue;
		fwd += sum[sl_ix_member(l, gm, SL_MC_PACKETS)];
		bytes += sum[sl_ix_member(l, gm, SL_MC_BYTES)];
		pps += sl_rate(r, sl_ix_member(l, gm, SL_MC_PACKETS));
		bytes_ps += sl_rate(r, sl_ix_member(l, gm, SL_MC_BYTES));
	}
	json_object_set_new(oo, "forwarded", json_integer((json_int_t)fwd));
	json_object_set_new(oo, "forwarded_bytes", json_integer((json_int_t)bytes));
	json_object_set_new(oo, "pps", sl_rate_json(pps));
	json_object_set_new(oo, "bps", sl_rate_json(bytes_ps * 8.0));
	sl_health_output_json(app, o, oo);
	return oo;
}

static json_t *
outputs_json(struct sl_app *app, const uint64_t *sum, const struct sl_rates *r)
{
	json_t *arr = json_array();

	for (uint16_t o = 0; o < app->cfg->n_outputs; o++)
		json_array_append_new(arr, sl_output_json(app, sum, o, r));
	return arr;
}

json_t *
sl_member_json(struct sl_app *app, const uint64_t *sum, uint32_t gm, const struct sl_rates *r)
{
	const struct sl_stats_layout *l = &app->layout;
	const struct sl_member_rt *mr = &app->members[gm];
	json_t *mo = counters_obj(sum, sl_ix_member(l, gm, 0), SL_MC_MAX, sl_member_c_name, false);

	json_object_set_new(mo, "output", json_string(app->cfg->outputs[mr->output].name));
	sl_health_member_json(app, gm, mo);
	if (mr->cfg_queue >= 0)
		json_object_set_new(mo, "queue", json_integer(mr->cfg_queue));
	if (mr->remote != NULL)
		sl_remote_json(mr, mo);
	set_rates(mo, r, sl_ix_member(l, gm, SL_MC_PACKETS), sl_ix_member(l, gm, SL_MC_BYTES));
	return mo;
}

json_t *
sl_pool_json(struct sl_app *app, const uint64_t *sum, uint16_t t, uint16_t p,
	     const struct sl_rates *r, bool members)
{
	const struct sl_stats_layout *l = &app->layout;
	const struct sl_tenant_rt *tr = &app->tbl->tenants[t];
	const struct sl_cfg_pool *cp = &tr->cfg->pools[p];
	const struct sl_pool_rt *pr = &tr->pools[p];
	uint64_t fwd = 0, bytes = 0;
	double pps = 0, bytes_ps = 0;
	uint16_t up = 0;
	json_t *arr = members ? json_array() : NULL;

	for (uint16_t m = 0; m < pr->steer.n_members; m++) {
		uint32_t gm = pr->steer.slots[m];

		fwd += sum[sl_ix_member(l, gm, SL_MC_PACKETS)];
		bytes += sum[sl_ix_member(l, gm, SL_MC_BYTES)];
		pps += sl_rate(r, sl_ix_member(l, gm, SL_MC_PACKETS));
		bytes_ps += sl_rate(r, sl_ix_member(l, gm, SL_MC_BYTES));
		up += app->out_ports[app->members[gm].output].up;
		if (arr != NULL)
			json_array_append_new(arr, sl_member_json(app, sum, gm, r));
	}
	json_t *o = json_pack("{s:s,s:s,s:i,s:i,s:I,s:I}", "name", cp->name, "hash",
			      sl_hash_fields_name(cp->hash), "n_members", pr->steer.n_members,
			      "members_up", up, "forwarded", (json_int_t)fwd, "bytes",
			      (json_int_t)bytes);
	json_object_set_new(o, "pps", sl_rate_json(pps));
	json_object_set_new(o, "bps", sl_rate_json(bytes_ps * 8.0));
	if (arr != NULL)
		json_object_set_new(o, "members", arr);
	return o;
}

json_t *
sl_tenant_json_rates(struct sl_app *app, const uint64_t *sum, uint16_t t,
		     const struct sl_rates *r, bool members)
{
	const struct sl_stats_layout *l = &app->layout;
	const struct sl_tenant_rt *tr = &app->tbl->tenants[t];
	const struct sl_cfg_tenant *ct = tr->cfg;
	json_t *o = counters_obj(sum, sl_ix_tenant(l, t, 0), SL_TC_MAX, sl_tenant_c_name, false);
	json_t *pools = json_array();

	json_object_set_new(o, "name", json_string(ct->name));
	json_object_set_new(o, "id", json_integer(ct->id));
	json_object_set_new(o, "policy_generation", json_integer(tr->gen));
	/* its bounds; their use and refusals are among the counters
	 * (flows_active, flow_quota, no_entry, rate_exceeded, flow_records_lost) */
	json_t *bounds = json_object();
	if (ct->max_flows)
		json_object_set_new(bounds, "max_flows", json_integer(ct->max_flows));
	json_object_set_new(bounds, "on_flow_quota",
			    json_string(ct->on_flow_quota == SL_QUOTA_DROP ? "drop" : "forward"));
	if (ct->rate.pps)
		json_object_set_new(bounds, "rate_pps", json_integer((json_int_t)ct->rate.pps));
	if (ct->rate.bytes_per_sec)
		json_object_set_new(bounds, "rate_mbps",
				    json_real((double)ct->rate.bytes_per_sec * 8 / 1e6));
	json_object_set_new(bounds, "max_rules", json_integer(ct->max_rules));
	json_object_set_new(o, "bounds", bounds);
	set_rates(o, r, sl_ix_tenant(l, t, SL_TC_PACKETS), sl_ix_tenant(l, t, SL_TC_BYTES));
	json_object_set_new(o, "forwarded_pps",
			    sl_rate_json(sl_rate(r, sl_ix_tenant(l, t, SL_TC_FORWARDED))));
	json_object_set_new(o, "dropped_pps",
			    sl_rate_json(sl_rate(r, sl_ix_tenant(l, t, SL_TC_DROPPED))));
	for (uint16_t p = 0; p < ct->n_pools; p++)
		json_array_append_new(pools, sl_pool_json(app, sum, t, p, r, members));
	json_object_set_new(o, "pools", pools);
	json_object_set_new(o, "rules", json_integer(ct->n_rules));
	json_t *x = sl_records_json(app, t);
	if (x != NULL)
		json_object_set_new(o, "flow_records_out", x);
	x = sl_bypass_json(app, t);
	if (x != NULL)
		json_object_set_new(o, "control", x);
	x = sl_capture_json(app, t);
	if (x != NULL)
		json_object_set_new(o, "capture", x);
	return o;
}

json_t *
sl_tenant_json(struct sl_app *app, const uint64_t *sum, uint16_t t)
{
	return sl_tenant_json_rates(app, sum, t, app->agg.line, true);
}

json_t *
sl_worker_json(struct sl_app *app, uint16_t w, const uint64_t *c)
{
	json_t *o = counters_obj(c, 0, SL_WC_MAX, sl_wc_name, false);

	json_object_set_new(o, "worker", json_integer(w));
	json_object_set_new(o, "lcore", json_integer(app->workers[w]->lcore));
	json_object_set_new(o, "flow_table_capacity",
			    json_integer(sl_flow_capacity(app->workers[w]->ft)));
	json_object_set_new(o, "flow_table_memory",
			    json_integer((json_int_t)sl_flow_table_memory(app->workers[w]->ft)));
	return o;
}

/* Rates of the ledger's terms and of each drop reason that grew. */
static json_t *
rates_json(struct sl_app *app, const struct sl_rates *r)
{
	const struct sl_stats_layout *l = &app->layout;
	json_t *o = json_object();
	json_t *drops = json_object();

	json_object_set_new(o, "interval", json_real(sl_rates_interval(r)));
	json_object_set_new(o, "interval_ms",
			    json_integer((json_int_t)(sl_rates_interval(r) * 1000.0 + 0.5)));
	json_object_set_new(o, "received_pps", sl_rate_json(sl_rate(r, SL_WC_RX_PACKETS)));
	json_object_set_new(o, "received_bps", sl_rate_json(sl_rate(r, SL_WC_RX_BYTES) * 8.0));
	json_object_set_new(o, "forwarded_pps", sl_rate_json(sl_rate(r, SL_WC_FORWARDED)));
	json_object_set_new(o, "forwarded_bps",
			    sl_rate_json(sl_rate(r, SL_WC_FORWARDED_BYTES) * 8.0));
	json_object_set_new(o, "filtered_pps", sl_rate_json(sl_rate(r, SL_WC_FILTERED)));
	json_object_set_new(o, "dropped_pps", sl_rate_json(sl_rate(r, SL_WC_DROPPED)));
	json_object_set_new(o, "bypassed_pps", sl_rate_json(sl_rate(r, SL_WC_BYPASSED)));
	for (unsigned int d = 0; d < l->n_drop; d++) {
		double v = sl_rate(r, sl_ix_drop(l, d));
		const char *nm = sl_drop_name(l, d);

		if (v > 0 && nm != NULL)
			json_object_set_new(drops, nm, sl_rate_json(v));
	}
	json_object_set_new(o, "drops_pps", drops);
	return o;
}

/* Caller holds agg_lock, or is the control thread (the only writer). */
json_t *
sl_stats_json(struct sl_app *app, bool final)
{
	return sl_stats_json_rates(app, final, app->agg.line, true);
}

json_t *
sl_stats_json_rates(struct sl_app *app, bool final, const struct sl_rates *r, bool members)
{
	const struct sl_aggregate *a = &app->agg;
	const struct sl_stats_layout *l = &app->layout;
	const uint64_t *s = a->sum;
	char ts[64], tz[8];
	struct timeval tv;
	struct tm tm;

	gettimeofday(&tv, NULL);
	localtime_r(&tv.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	strftime(tz, sizeof(tz), "%z", &tm);
	snprintf(ts + strlen(ts), sizeof(ts) - strlen(ts), ".%06ld%s", (long)tv.tv_usec, tz);

	json_t *workers = json_array();
	for (uint16_t w = 0; w < app->n_workers; w++)
		json_array_append_new(workers, sl_worker_json(app, w, a->per_worker[w]));
	json_t *tenants = json_array();
	for (uint16_t t = 0; t < app->tbl->cfg->n_tenants; t++)
		json_array_append_new(tenants, sl_tenant_json_rates(app, s, app->tbl->slot_of[t], r,
								     members));

	json_t *flows = json_pack("{s:I,s:I,s:I,s:I}", "created",
				  (json_int_t)s[SL_WC_FLOWS_CREATED], "expired",
				  (json_int_t)s[SL_WC_FLOWS_EXPIRED], "active",
				  (json_int_t)s[SL_WC_FLOWS_ACTIVE], "table_full",
				  (json_int_t)s[SL_WC_FLOW_TABLE_FULL]);
	double uptime = (double)(rte_rdtsc() - app->start_tsc) / (double)app->tsc_hz;
	json_t *stats = json_object();
	json_object_set_new(stats, "uptime", json_real(uptime));
	json_object_set_new(stats, "final", json_boolean(final));
	json_object_set_new(stats, "config", sl_reload_json(app));
	json_object_set_new(stats, "ledger", ledger_json(&a->ledger, app));
	json_object_set_new(stats, "drops", drops_obj(l, s));
	json_object_set_new(stats, "filtered",
			    counters_obj(s, l->off_filter, SL_FILTER_MAX, sl_filter_name, false));
	json_object_set_new(stats, "anomalies",
			    counters_obj(s, l->off_anomaly, l->n_anomaly, anomaly_name, false));
	json_object_set_new(stats, "tunnels",
			    counters_obj(s, l->off_encap, l->n_encap, encap_type_name, false));
	json_object_set_new(stats, "tunnel_errors",
			    counters_obj(s, l->off_encap_err, l->n_encap_err, encap_err_name, false));
	json_object_set_new(stats, "fragments",
			    counters_obj(s, l->off_frag, l->n_frag, sl_frag_stat_name, false));
	json_object_set_new(stats, "flows", flows);
	json_object_set_new(stats, "rates", rates_json(app, r));
	json_object_set_new(stats, "inputs", inputs_json(app, s, r));
	sl_kstats_json(app, stats); /* the kernel's view beside the inputs' */
	json_object_set_new(stats, "outputs", outputs_json(app, s, r));
	json_object_set_new(stats, "workers", workers);
	json_object_set_new(stats, "tenants", tenants);

	return json_pack("{s:s,s:s,s:o}", "timestamp", ts, "event_type", "stats", "stats", stats);
}

int
sl_control_write_stats(struct sl_app *app, int fd, bool final)
{
	json_t *j;
	char *s;
	size_t n;
	int rc;

	/* the line's rates cover the time since the previous line */
	sl_rates_roll(app->agg.line, app->agg.sum, app->agg.tsc, app->tsc_hz, 0);
	j = sl_stats_json(app, final);
	if (j == NULL)
		return -ENOMEM;
	s = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(12));
	json_decref(j);
	if (s == NULL)
		return -ENOMEM;
	n = strlen(s);
	s[n] = '\n'; /* replaces the NUL: one whole line, one write */
	rc = sl_write_lines_fd(fd, s, n + 1, NULL);
	free(s);
	return rc;
}
