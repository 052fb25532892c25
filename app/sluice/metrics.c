/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * GET /metrics: sluice's counters for Prometheus, served by libmicrohttpd on
 * its own thread (internal polling) when metrics.listen is set.
 *
 * The text is built from the control loop's latest consistent aggregate
 * under agg_lock, like telemetry, so every scrape sees one snapshot in which
 * the ledger balances (and the tenant tables a reload swaps under it). A scraper that accepts application/openmetrics-text
 * (Prometheus does) gets OpenMetrics 1.0: counter families named without
 * "_total" and samples with it, UNIT lines for bytes and seconds, "# EOF".
 * Anyone else (curl, promtool) gets the Prometheus text format 0.0.4, where
 * HELP and TYPE name the sample ("..._total").
 *
 * Names are sluice_<what>_<unit>[_total] with base units (packets, bytes,
 * flows, seconds); labels are tenant, pool, member, output, input, reason,
 * encap. Rates are for PromQL's rate(): only counters are exported.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>
#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_log.h>
#include <rte_version.h>

#include "datapath.h"
#include "ops.h"
#include "sl_build.h"

RTE_LOG_REGISTER(sl_metrics_logtype, user.sluice.metrics, INFO);
#define MLOG(level, fmt, ...)                                                                  \
	rte_log(RTE_LOG_##level, sl_metrics_logtype, "sluice: metrics: " fmt, ##__VA_ARGS__)

/* Scrapers served at once; more wait in the listen backlog. */
#define SL_METRICS_CONNECTIONS 8
/* A connection idle this long is closed (seconds). */
#define SL_METRICS_TIMEOUT_S 10

struct sl_metrics {
	struct MHD_Daemon *daemon;
	struct sl_app *app;
	int fd;
};

/* ---- the text ---- */

struct text {
	char *p;
	size_t len, cap;
	bool om;       /* OpenMetrics, else Prometheus text 0.0.4 */
	bool failed;   /* out of memory: the scrape gets a 500 */
};

static void __attribute__((format(printf, 2, 3)))
put(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->failed)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(t->p + t->len, t->cap - t->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			t->failed = true;
			return;
		}
		if ((size_t)n < t->cap - t->len) {
			t->len += (size_t)n;
			return;
		}
		size_t cap = t->cap * 2 + (size_t)n;
		char *p = realloc(t->p, cap);
		if (p == NULL) {
			t->failed = true;
			return;
		}
		t->p = p;
		t->cap = cap;
	}
}

enum kind { COUNTER, GAUGE };

/*
 * Start family @p name (without "_total"). @p unit: "bytes", "seconds" or
 * NULL; the name ends with it when given.
 */
static void
family(struct text *t, const char *name, enum kind k, const char *unit, const char *help)
{
	const char *suffix = k == COUNTER && !t->om ? "_total" : "";

	put(t, "# HELP %s%s %s\n", name, suffix, help);
	put(t, "# TYPE %s%s %s\n", name, suffix, k == COUNTER ? "counter" : "gauge");
	if (unit != NULL && t->om)
		put(t, "# UNIT %s %s\n", name, unit);
}

/* Label values are names the config restricts to [A-Za-z0-9_.-]; escape
 * anyway. */
static void
put_escaped(struct text *t, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\' || *s == '"')
			put(t, "\\%c", *s);
		else if (*s == '\n')
			put(t, "\\n");
		else
			put(t, "%c", *s);
	}
}

/* One sample: @p labels is NULL or "k1", "v1", "k2", "v2", ..., NULL. */
static void
sample(struct text *t, const char *name, enum kind k, uint64_t v, const char *const *labels)
{
	put(t, "%s%s", name, k == COUNTER ? "_total" : "");
	if (labels != NULL && labels[0] != NULL) {
		put(t, "{");
		for (size_t i = 0; labels[i] != NULL; i += 2) {
			put(t, "%s%s=\"", i ? "," : "", labels[i]);
			put_escaped(t, labels[i + 1]);
			put(t, "\"");
		}
		put(t, "}");
	}
	put(t, " %" PRIu64 "\n", v);
}

/* A family with one sample and no labels. */
static void
single(struct text *t, const char *name, enum kind k, const char *unit, const char *help,
       uint64_t v)
{
	family(t, name, k, unit, help);
	sample(t, name, k, v, NULL);
}

/* A counter family over a named group (drop reasons, anomaly classes, ...):
 * one sample per name, labelled @p label. */
static void
named_group(struct text *t, const uint64_t *sum, size_t off, unsigned int n,
	    const char *(*nm)(const void *arg, unsigned int i), const void *arg, const char *name,
	    const char *label, const char *help)
{
	family(t, name, COUNTER, NULL, help);
	for (unsigned int i = 0; i < n; i++) {
		const char *v = nm(arg, i);
		const char *labels[] = { label, v, NULL };

		if (v != NULL)
			sample(t, name, COUNTER, sum[off + i], labels);
	}
}

static const char *
drop_nm(const void *arg, unsigned int i)
{
	return sl_drop_name(arg, i);
}

static const char *
filter_nm(const void *arg, unsigned int i)
{
	(void)arg;
	return sl_filter_name(i);
}

static const char *
anomaly_nm(const void *arg, unsigned int i)
{
	(void)arg;
	return i == 0 ? NULL : sl_parse_err_name((int)i);
}

static const char *
encap_nm(const void *arg, unsigned int i)
{
	(void)arg;
	return sl_encap_type_name((int)i);
}

static const char *
encap_err_nm(const void *arg, unsigned int i)
{
	(void)arg;
	return i == 0 ? NULL : sl_encap_err_name((int)i);
}

/* Per-tenant counters: metric name (after sluice_tenant_), unit, help, and
 * whether it is a gauge. A counter missing here is exported by its stats
 * name (sluice_tenant_<name>_total). */
static const struct {
	const char *name, *unit, *help;
	bool gauge;
} tenant_metrics[SL_TC_MAX] = {
	[SL_TC_PACKETS] = { "received_packets", NULL, "Packets of the tenant read from inputs." },
	[SL_TC_BYTES] = { "received_bytes", "bytes", "Bytes of the tenant read from inputs." },
	[SL_TC_FORWARDED] = { "forwarded_packets", NULL, "Packets of the tenant delivered." },
	[SL_TC_FILTERED] = { "filtered_packets", NULL, "Packets of the tenant filtered." },
	[SL_TC_DROPPED] = { "dropped_packets", NULL, "Packets of the tenant dropped." },
	[SL_TC_FLOWS] = { "flows", NULL, "Flows of the tenant created." },
	[SL_TC_NON_IP] = { "non_ip_packets", NULL, "Non-IP packets of the tenant." },
	[SL_TC_MALFORMED] = { "malformed_packets", NULL, "Malformed packets of the tenant." },
	[SL_TC_BYPASSED] = { "bypassed_packets", NULL, "Packets of the tenant bypassed." },
	[SL_TC_BYPASSED_BYTES] = { "bypassed_bytes", "bytes", "Bytes of the tenant bypassed." },
	[SL_TC_MIRROR_COPIES] = { "mirror_copied_packets", NULL,
				  "Extra copies made for the tenant's mirror rules." },
	[SL_TC_SLICED] = { "sliced_packets", NULL, "Packets of the tenant cut to a slice." },
	[SL_TC_ELEPHANTS] = { "elephant_flows", NULL, "Flows of the tenant found elephants." },
	[SL_TC_DEPTH_BYPASSES] = { "depth_bypassed_flows", NULL,
				   "Flows of the tenant bypassed at their depth." },
	[SL_TC_SAMPLED_OUT] = { "sampled_out_flows", NULL,
				"Flows of the tenant not kept by sampling." },
	[SL_TC_REQUESTED_BYPASSES] = { "requested_bypass_flows", NULL,
				       "Flows of the tenant bypassed on request." },
	[SL_TC_RECORDS] = { "flow_records", NULL, "Flow records of the tenant queued." },
	[SL_TC_RECORDS_LOST] = { "flow_records_lost", NULL,
				 "Flow records of the tenant lost (record ring full)." },
	[SL_TC_FLOWS_ACTIVE] = { "active_flows", NULL, "Flow entries the tenant holds now.",
				 true },
	[SL_TC_FLOW_QUOTA] = { "flow_quota_packets", NULL,
			       "New-flow packets refused an entry by the tenant's max_flows." },
	[SL_TC_NO_ENTRY] = { "no_entry_packets", NULL,
			     "New-flow packets refused an entry: the flow table was full." },
	[SL_TC_RATE_EXCEEDED] = { "rate_exceeded_packets", NULL,
				  "Packets dropped by the tenant's rate meter." },
	[SL_TC_DUPLICATE] = { "duplicate_packets", NULL,
			      "Copies of a packet seen in the tenant's dedup window, dropped." },
	[SL_TC_DEDUP_EVICTED] = { "dedup_evicted_packets", NULL,
				  "Packets the dedup table forgot before their window ended "
				  "(the table is small for the rate)." },
};

static const struct {
	const char *name, *unit, *help;
} member_metrics[SL_MC_MAX] = {
	[SL_MC_PACKETS] = { "forwarded_packets", NULL, "Packets delivered to the member." },
	[SL_MC_BYTES] = { "forwarded_bytes", "bytes", "Bytes delivered to the member." },
	[SL_MC_TX_REFUSED] = { "tx_refused_packets", NULL,
			       "Packets the member's queue or ring refused (full)." },
	[SL_MC_LINK_DOWN] = { "link_down_packets", NULL,
			      "Packets dropped because the member was down." },
	[SL_MC_FLOWS] = { "flows", NULL, "Flows given to the member." },
	[SL_MC_RESTEERED] = { "resteered_flows", NULL,
			      "Flows moved off the member while it was down." },
	[SL_MC_ENCAP_OVERSIZE] = { "encap_oversize_packets", NULL,
				   "Remote member: packets dropped, too long for its tunnel's MTU." },
	[SL_MC_ENCAP_TRUNCATED] = { "encap_truncated_packets", NULL,
				    "Remote member: packets sent cut to its tunnel's MTU (ERSPAN)." },
};

static void
tenants_text(struct text *t, struct sl_app *app, const uint64_t *sum)
{
	const struct sl_stats_layout *l = &app->layout;
	const struct sl_tables *tb = app->tbl;
	char name[96];

	for (unsigned int c = 0; c < SL_TC_MAX; c++) {
		enum kind k = tenant_metrics[c].gauge ? GAUGE : COUNTER;

		if (tenant_metrics[c].name != NULL)
			snprintf(name, sizeof(name), "sluice_tenant_%s", tenant_metrics[c].name);
		else
			snprintf(name, sizeof(name), "sluice_tenant_%s", sl_tenant_c_name(c));
		family(t, name, k, tenant_metrics[c].unit,
		       tenant_metrics[c].help != NULL ? tenant_metrics[c].help
						     : "A tenant counter (see the stats).");
		for (uint16_t i = 0; i < tb->cfg->n_tenants; i++) {
			const char *labels[] = { "tenant", tb->cfg->tenants[i].name, NULL };

			sample(t, name, k, sum[sl_ix_tenant(l, tb->slot_of[i], c)], labels);
		}
	}
}

/* Every member's state and counters, labelled tenant, pool, member, output. */
static void
members_text(struct text *t, struct sl_app *app, const uint64_t *sum)
{
	const struct sl_stats_layout *l = &app->layout;
	const struct sl_tables *tb = app->tbl;
	char name[96], idx[8];

	for (int c = -1; c < SL_MC_MAX; c++) {
		if (c < 0) {
			snprintf(name, sizeof(name), "sluice_member_up");
			family(t, name, GAUGE, NULL, "1 while the member's analyzer is up.");
		} else {
			snprintf(name, sizeof(name), "sluice_member_%s", member_metrics[c].name);
			family(t, name, COUNTER, member_metrics[c].unit, member_metrics[c].help);
		}
		for (uint16_t ti = 0; ti < tb->cfg->n_tenants; ti++) {
			const struct sl_cfg_tenant *ct = &tb->cfg->tenants[ti];
			const struct sl_tenant_rt *tr = &tb->tenants[tb->slot_of[ti]];

			for (uint16_t p = 0; p < ct->n_pools; p++) {
				const struct sl_pool_rt *pr = &tr->pools[p];

				for (uint16_t m = 0; m < pr->steer.n_members; m++) {
					uint32_t gm = pr->steer.slots[m];
					const char *labels[] = {
						"tenant", ct->name, "pool", ct->pools[p].name,
						"member", idx, "output", ct->pools[p].members[m].output,
						NULL,
					};

					snprintf(idx, sizeof(idx), "%u", m);
					if (c < 0)
						sample(t, name, GAUGE,
						       app->out_ports[app->members[gm].output].up,
						       labels);
					else
						sample(t, name, COUNTER, sum[sl_ix_member(l, gm, c)],
						       labels);
				}
			}
		}
	}
}

static void
ports_text(struct text *t, struct sl_app *app, const uint64_t *sum)
{
	const struct sl_stats_layout *l = &app->layout;
	const struct sl_cfg *cfg = app->cfg;
	struct rte_eth_stats *in = calloc(cfg->n_inputs + 1u, sizeof(*in));
	struct rte_eth_stats *out = calloc(cfg->n_outputs + 1u, sizeof(*out));
	uint64_t *fwd = calloc(cfg->n_outputs + 1u, sizeof(uint64_t) * 2);

	if (in == NULL || out == NULL || fwd == NULL) {
		t->failed = true;
		goto out;
	}
	for (uint16_t i = 0; i < cfg->n_inputs; i++)
		rte_eth_stats_get(app->in_ports[i].port_id, &in[i]);
	for (uint16_t o = 0; o < cfg->n_outputs; o++)
		if (app->out_ports[o].ring == NULL)
			rte_eth_stats_get(app->out_ports[o].port_id, &out[o]);
	for (uint32_t gm = 0; gm < app->n_member_slots; gm++) {
		fwd[2 * app->members[gm].output] += sum[sl_ix_member(l, gm, SL_MC_PACKETS)];
		fwd[2 * app->members[gm].output + 1] += sum[sl_ix_member(l, gm, SL_MC_BYTES)];
	}

#define PER_INPUT_KIND(nm, kind, unit, help, expr)                                            \
	do {                                                                                  \
		family(t, nm, kind, unit, help);                                              \
		for (uint16_t i = 0; i < cfg->n_inputs; i++) {                                \
			const char *labels[] = { "input", cfg->inputs[i].name, NULL };        \
			sample(t, nm, kind, (expr), labels);                                  \
		}                                                                             \
	} while (0)
#define PER_INPUT(nm, unit, help, expr) PER_INPUT_KIND(nm, COUNTER, unit, help, expr)
	PER_INPUT("sluice_input_received_packets", NULL, "Packets sluice read from the input.",
		  sum[sl_ix_input(l, i, SL_IC_PACKETS)]);
	PER_INPUT("sluice_input_received_bytes", "bytes", "Bytes sluice read from the input.",
		  sum[sl_ix_input(l, i, SL_IC_BYTES)]);
	PER_INPUT("sluice_input_port_received_packets", NULL,
		  "Packets the input port's driver received (ipackets).", in[i].ipackets);
	PER_INPUT("sluice_input_port_missed_packets", NULL,
		  "Packets the input port dropped before sluice read them (imissed).",
		  in[i].imissed);
	PER_INPUT("sluice_input_port_error_packets", NULL,
		  "Erroneous packets the input port received (ierrors).", in[i].ierrors);
	PER_INPUT("sluice_input_port_nombuf_packets", NULL,
		  "Packets the input port could not take for want of mbufs (rx_nombuf).",
		  in[i].rx_nombuf);
	PER_INPUT_KIND("sluice_input_up", GAUGE, NULL, "1 while the input's link is up.",
		       (uint64_t)app->in_ports[i].up);
	PER_INPUT("sluice_input_state_changes", NULL, "Times the input's link went up or down.",
		  app->in_ports[i].changes);
	PER_INPUT("sluice_input_reconnects", NULL,
		  "Restarts of a memif client input whose server went away.",
		  (uint64_t)app->in_ports[i].reconnects);
#undef PER_INPUT
#undef PER_INPUT_KIND

#define PER_OUTPUT(nm, kind, unit, help, expr, ethdev_only)                                   \
	do {                                                                                  \
		family(t, nm, kind, unit, help);                                              \
		for (uint16_t o = 0; o < cfg->n_outputs; o++) {                               \
			const char *labels[] = { "output", cfg->outputs[o].name, NULL };      \
			if (!(ethdev_only) || app->out_ports[o].ring == NULL)                 \
				sample(t, nm, kind, (expr), labels);                          \
		}                                                                             \
	} while (0)
	PER_OUTPUT("sluice_output_forwarded_packets", COUNTER, NULL,
		   "Packets sluice's members delivered to the output.", fwd[2 * o], false);
	PER_OUTPUT("sluice_output_forwarded_bytes", COUNTER, "bytes",
		   "Bytes sluice's members delivered to the output.", fwd[2 * o + 1], false);
	PER_OUTPUT("sluice_output_port_sent_packets", COUNTER, NULL,
		   "Packets the output port's driver sent (opackets; not for rings).",
		   out[o].opackets, true);
	PER_OUTPUT("sluice_output_port_error_packets", COUNTER, NULL,
		   "Packets the output port failed to send (oerrors; not for rings).",
		   out[o].oerrors, true);
	PER_OUTPUT("sluice_output_up", GAUGE, NULL, "1 while the output's analyzer is up.",
		   (uint64_t)app->out_ports[o].up, false);
	PER_OUTPUT("sluice_output_state_changes", COUNTER, NULL,
		   "Times the output went up or down.", app->out_ports[o].changes, false);
	PER_OUTPUT("sluice_output_reconnects", COUNTER, NULL,
		   "Restarts of a memif client output whose server (the analyzer) went away.",
		   (uint64_t)app->out_ports[o].reconnects, false);
#undef PER_OUTPUT
out:
	free(in);
	free(out);
	free(fwd);
}

/* Caller holds agg_lock and the aggregate is valid. */
static void
metrics_text(struct text *t, struct sl_app *app)
{
	const struct sl_aggregate *a = &app->agg;
	const struct sl_stats_layout *l = &app->layout;
	const struct sl_ledger *lg = &a->ledger;
	const uint64_t *s = a->sum;

	family(t, "sluice_build_info", GAUGE, NULL, "sluice and DPDK versions (value 1).");
	{
		const char *labels[] = { "version", SL_VERSION, "git", SL_VCS, "dpdk", rte_version(),
					 NULL };
		sample(t, "sluice_build_info", GAUGE, 1, labels);
	}
	single(t, "sluice_uptime_seconds", GAUGE, "seconds", "Seconds since the workers started.",
	       (rte_rdtsc() - app->start_tsc) / app->tsc_hz);
	single(t, "sluice_received_packets", COUNTER, NULL, "Packets read from all inputs.",
	       lg->received);
	single(t, "sluice_received_bytes", COUNTER, "bytes", "Bytes read from all inputs.",
	       s[SL_WC_RX_BYTES]);
	single(t, "sluice_forwarded_packets", COUNTER, NULL,
	       "Packets accepted by an output's queue or ring.", lg->forwarded);
	single(t, "sluice_forwarded_bytes", COUNTER, "bytes",
	       "Bytes accepted by an output's queue or ring.", s[SL_WC_FORWARDED_BYTES]);
	single(t, "sluice_bypassed_packets", COUNTER, NULL,
	       "Packets counted in a bypassed flow and not forwarded.", lg->bypassed);
	single(t, "sluice_bypassed_bytes", COUNTER, "bytes",
	       "Bytes counted in a bypassed flow and not forwarded.", s[SL_WC_BYPASSED_BYTES]);
	single(t, "sluice_mirror_copied_packets", COUNTER, NULL,
	       "Extra copies made for mirror rules.", lg->copies);
	named_group(t, s, l->off_drop, l->n_drop, drop_nm, l, "sluice_dropped_packets", "reason",
		    "Packets dropped, by reason.");
	named_group(t, s, l->off_filter, SL_FILTER_MAX, filter_nm, NULL, "sluice_filtered_packets",
		    "reason", "Packets not forwarded on purpose, by reason.");
	single(t, "sluice_in_flight_packets", GAUGE, NULL,
	       "Packets in TX buffers, held fragments and worker rings.", lg->in_flight);
	single(t, "sluice_ledger_balanced", GAUGE, NULL,
	       "1 while received + copies = forwarded + filtered + dropped + bypassed + in flight.",
	       lg->balanced);
	named_group(t, s, l->off_anomaly, l->n_anomaly, anomaly_nm, NULL,
		    "sluice_parse_anomaly_packets", "reason", "Malformed packets seen, by class.");
	named_group(t, s, l->off_encap, l->n_encap, encap_nm, NULL, "sluice_tunnel_packets",
		    "encap", "Packets that carried an encapsulation, by type.");
	named_group(t, s, l->off_encap_err, l->n_encap_err, encap_err_nm, NULL,
		    "sluice_tunnel_error_packets", "reason",
		    "Packets whose decapsulation stopped early, by reason.");
	single(t, "sluice_flows_created", COUNTER, NULL, "Flows created.", s[SL_WC_FLOWS_CREATED]);
	single(t, "sluice_flows_expired", COUNTER, NULL, "Flows ended.", s[SL_WC_FLOWS_EXPIRED]);
	single(t, "sluice_flows_active", GAUGE, NULL, "Flows in the flow tables.",
	       s[SL_WC_FLOWS_ACTIVE]);
	single(t, "sluice_flow_table_full_packets", COUNTER, NULL,
	       "Packets forwarded by hash because the flow table was full.",
	       s[SL_WC_FLOW_TABLE_FULL]);
	ports_text(t, app, s);
	tenants_text(t, app, s);
	members_text(t, app, s);
	if (t->om)
		put(t, "# EOF\n");
}

/* ---- HTTP ---- */

static enum MHD_Result
reply(struct MHD_Connection *conn, unsigned int status, const char *type, char *body,
      size_t len, enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body, mode);
	enum MHD_Result rc;

	if (r == NULL) {
		if (mode == MHD_RESPMEM_MUST_FREE)
			free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	rc = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result
handle(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
       const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct sl_metrics *m = cls;
	struct sl_app *app = m->app;
	const char *accept;
	struct text t = { 0 };

	(void)version;
	(void)upload_data;
	(void)upload_data_size;
	(void)con_cls;
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain",
			     (char *)"only GET /metrics\n", 18, MHD_RESPMEM_PERSISTENT);
	if (strcmp(url, "/metrics") != 0)
		return reply(conn, MHD_HTTP_NOT_FOUND, "text/plain",
			     (char *)"not found: sluice serves /metrics\n", 34,
			     MHD_RESPMEM_PERSISTENT);
	accept = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
	t.om = accept != NULL && strstr(accept, "application/openmetrics-text") != NULL;
	t.cap = 65536;
	t.p = malloc(t.cap);
	if (t.p == NULL)
		return MHD_NO;
	t.p[0] = '\0';
	pthread_mutex_lock(&app->agg_lock);
	if (app->agg.valid)
		metrics_text(&t, app);
	else
		t.failed = true;
	pthread_mutex_unlock(&app->agg_lock);
	if (t.failed) {
		free(t.p);
		return reply(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "text/plain",
			     (char *)"no snapshot yet, try again\n", 27, MHD_RESPMEM_PERSISTENT);
	}
	return reply(conn, MHD_HTTP_OK,
		     t.om ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
			  : "text/plain; version=0.0.4; charset=utf-8",
		     t.p, t.len, MHD_RESPMEM_MUST_FREE);
}

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[256];

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	MLOG(WARNING, "%s%s", msg, msg[0] && msg[strlen(msg) - 1] == '\n' ? "" : "\n");
}

int
sl_metrics_start(struct sl_app *app, struct sl_cfg_error *err)
{
	const struct sl_cfg_metrics *mc = &app->cfg->metrics;
	struct sockaddr_storage ss;
	socklen_t sl;
	struct sl_metrics *m;
	int one = 1;

	if (mc->listen[0] == '\0')
		return 0;
	memset(&ss, 0, sizeof(ss));
	if (mc->family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(mc->port);
		memcpy(&s6->sin6_addr, mc->addr, 16);
		sl = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(mc->port);
		memcpy(&s4->sin_addr, mc->addr, 4);
		sl = sizeof(*s4);
	}
	m = calloc(1, sizeof(*m));
	if (m == NULL)
		return -ENOMEM;
	m->app = app;
	/* our own socket, so that a port in use is reported as such */
	m->fd = socket(mc->family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (m->fd < 0 || setsockopt(m->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(m->fd, (struct sockaddr *)&ss, sl) != 0 || listen(m->fd, 16) != 0) {
		int e = errno;

		sl_config_error(app->cfg, err, mc->loc, "metrics.listen", "cannot listen on %s: %s",
				mc->listen, strerror(e));
		if (m->fd >= 0)
			close(m->fd);
		free(m);
		return -e;
	}
	m->daemon = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG |
			(mc->family == AF_INET6 ? MHD_USE_IPv6 : 0),
		0, NULL, NULL, handle, m, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
		MHD_OPTION_LISTEN_SOCKET, m->fd, MHD_OPTION_CONNECTION_LIMIT,
		(unsigned int)SL_METRICS_CONNECTIONS, MHD_OPTION_CONNECTION_TIMEOUT,
		(unsigned int)SL_METRICS_TIMEOUT_S, MHD_OPTION_END);
	if (m->daemon == NULL) {
		sl_config_error(app->cfg, err, mc->loc, "metrics.listen",
				"starting the HTTP server on %s failed", mc->listen);
		close(m->fd);
		free(m);
		return -EIO;
	}
	app->metrics = m;
	MLOG(INFO, "serving http://%s/metrics\n", mc->listen);
	return 0;
}

void
sl_metrics_stop(struct sl_app *app)
{
	struct sl_metrics *m = app->metrics;

	if (m == NULL)
		return;
	MHD_stop_daemon(m->daemon); /* closes the listening socket too */
	free(m);
	app->metrics = NULL;
}
