/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Flow records on the control lcore: workers put each ended flow of a
 * tenant that wants records on their record ring (never waiting: a full
 * ring loses the record, counted flow_records_lost); this drains the rings,
 * formats EVE-flow-like JSON (lib/flowrec) and writes it to the tenant's
 * sink, which never blocks either: a destination that does not keep up
 * loses records, counted per tenant as sink_errors. No worker ever writes a
 * file or a socket.
 *
 * In bulk (millions of flows end at shutdown): records are formatted with
 * one lib/flowrec context (no allocation per record) into a per-tenant
 * buffer of whole lines, written with one write() (files) or sendmmsg()
 * (sockets) when it is full and at the end of every drain, so a record
 * waits no longer than the drain that took it. A sink failure is logged
 * once per kind (errno) and then at most every 10 s with the count, and its
 * recovery once (faillog.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <jansson.h>
#include <rte_log.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "faillog.h"
#include "sl_flowrec.h"
#include "datapath.h"

RTE_LOG_REGISTER(sl_rec_logtype, user.sluice.records, INFO);
#define RLOG(level, ...) rte_log(RTE_LOG_##level, sl_rec_logtype, "sluice: " __VA_ARGS__)

#define SL_REC_BURST 64
/* chunks (shutdown) taken from a worker's ring per burst */
#define SL_REC_CHUNK_BURST 16
/* A tenant's lines waiting for one write (at most a drain's worth). */
#define SL_REC_BATCH_BYTES (256 * 1024)

struct rec_tenant {
	struct sl_sink *sink;
	struct sl_cfg_records dest;   /* where sink writes */
	struct sl_sink *staged;       /* a reload's new sink, until commit */
	struct sl_cfg_records staged_dest;
	bool staged_set;              /* the reload changes this tenant's sink */
	uint32_t retire_gen;          /* removed: closed once flows of generations
					 before it have ended (0: not retiring) */
	char *batch;                  /* whole lines not written yet */
	size_t used;
	unsigned int lines;
	bool dirty;                   /* listed in sl_records::dirty */
	struct sl_faillog fail;
	bool format_logged;
	uint64_t written, sink_errors, format_errors;
};

struct sl_records {
	uint16_t n;                   /* tenant slots */
	uint16_t rr;                  /* worker drained first in the next call */
	struct rec_tenant *t;
	struct sl_flowrec_ctx *fmt;
	uint16_t *dirty;         /* tenants with lines in their batch */
	uint16_t n_dirty;
};

static const char *const reason_names[] = { "timeout", "tcp-closed", "shutdown", "reload" };

/* Where a tenant's records go, for messages. */
static const char *
dest_of(const struct sl_app *app, uint16_t t)
{
	const struct sl_cfg_records *cr = &app->rec->t[t].dest;

	return cr->kind == SL_RECORDS_SYSLOG ? "syslog" : cr->path;
}

static const char *
errname(int e)
{
	const char *n = strerrorname_np(e);

	return n != NULL ? n : "?";
}

/* Write whole lines to a tenant's sink; count and log what was lost. */
static void
write_lines(struct sl_app *app, uint16_t t, const char *data, size_t used, unsigned int lines)
{
	struct rec_tenant *rt = &app->rec->t[t];
	unsigned int written = 0;
	uint64_t n;
	int rc;

	if (rt->sink == NULL) { /* cannot be: a tenant with records has a sink */
		rt->sink_errors += lines;
		return;
	}
	rc = sl_sink_write_lines(rt->sink, data, used, &written);
	rt->written += written;
	if (rc == 0) {
		if (sl_faillog_ok(&rt->fail, &n))
			RLOG(NOTICE, "tenant '%s': flow records to '%s' written again (%" PRIu64
			     " lost before)\n", app->tenant_names[t], dest_of(app, t), n);
	} else {
		rt->sink_errors += lines - written;
		if (sl_faillog_failed(&rt->fail, -rc, lines - written, sl_mono_ns(), &n))
			RLOG(WARNING, "tenant '%s': flow records to '%s': %" PRIu64 " lost "
			     "(sink_errors): %s (%s)\n", app->tenant_names[t], dest_of(app, t),
			     n, strerror(-rc), errname(-rc));
	}
}

/* Write a tenant's batch. */
static void
flush(struct sl_app *app, uint16_t t)
{
	struct rec_tenant *rt = &app->rec->t[t];

	if (rt->lines == 0)
		return;
	write_lines(app, t, rt->batch, rt->used, rt->lines);
	rt->used = 0;
	rt->lines = 0;
}

/* A chunk of lines a worker formatted at shutdown: after what the tenant's
 * batch holds. Returns its records. */
static unsigned int
write_chunk(struct sl_app *app, struct sl_rec_chunk *c)
{
	unsigned int lines = c->lines + c->format_errors;

	if (c->tenant < app->rec->n) {
		struct rec_tenant *rt = &app->rec->t[c->tenant];

		rt->format_errors += c->format_errors;
		if (c->format_errors > 0 && !rt->format_logged) {
			rt->format_logged = true;
			RLOG(ERR, "tenant '%s': a flow record could not be formatted "
			     "(format_errors; logged once)\n", app->tenant_names[c->tenant]);
		}
		if (c->lines > 0) {
			flush(app, c->tenant);
			write_lines(app, c->tenant, c->data, c->used, c->lines);
		}
	}
	free(c);
	return lines;
}

static void
flush_all(struct sl_app *app)
{
	struct sl_records *r = app->rec;

	for (uint16_t i = 0; i < r->n_dirty; i++) {
		flush(app, r->dirty[i]);
		r->t[r->dirty[i]].dirty = false;
	}
	r->n_dirty = 0;
}

static bool
dest_eq(const struct sl_cfg_records *a, const struct sl_cfg_records *b)
{
	return a->kind == b->kind && strcmp(a->path, b->path) == 0 && a->facility == b->facility;
}

/* A sink for @p cr (NULL for none). */
static int
open_sink(const struct sl_cfg *cfg, const struct sl_cfg_tenant *ct, struct sl_sink **out,
	  struct sl_cfg_error *err)
{
	const struct sl_cfg_records *cr = &ct->records;
	enum sl_sink_kind kind;
	char msg[512];
	int rc;

	*out = NULL;
	switch (cr->kind) {
	case SL_RECORDS_FILE:
		kind = SL_SINK_FILE;
		break;
	case SL_RECORDS_UNIX:
		kind = SL_SINK_UNIX_DGRAM;
		break;
	case SL_RECORDS_SYSLOG:
		kind = SL_SINK_SYSLOG;
		break;
	default:
		return 0;
	}
	msg[0] = '\0';
	rc = sl_sink_open(kind, cr->kind == SL_RECORDS_SYSLOG ? NULL : cr->path, cr->facility,
			  out, msg, sizeof(msg));
	if (rc != 0)
		sl_config_error(cfg, err, ct->loc, "flow_records", "tenant '%s': %s", ct->name,
				msg[0] ? msg : strerror(-rc));
	return rc;
}

int
sl_records_prepare(struct sl_app *app, const struct sl_tables *tb, struct sl_cfg_error *err)
{
	struct sl_records *r = app->rec;

	for (uint16_t i = 0; i < tb->cfg->n_tenants; i++) {
		const struct sl_cfg_tenant *ct = &tb->cfg->tenants[i];
		struct rec_tenant *rt = &r->t[tb->slot_of[i]];
		int rc;

		if (rt->sink != NULL && dest_eq(&rt->dest, &ct->records))
			continue;
		if (rt->sink == NULL && ct->records.kind == SL_RECORDS_NONE)
			continue;
		if (rt->batch == NULL && (rt->batch = malloc(SL_REC_BATCH_BYTES)) == NULL) {
			snprintf(err->msg, sizeof(err->msg), "%s: out of memory", tb->cfg->path);
			sl_records_abort(app, tb);
			return -ENOMEM;
		}
		if ((rc = open_sink(tb->cfg, ct, &rt->staged, err)) != 0) {
			sl_records_abort(app, tb);
			return rc;
		}
		rt->staged_dest = ct->records;
		rt->staged_set = true;
	}
	return 0;
}

void
sl_records_abort(struct sl_app *app, const struct sl_tables *tb)
{
	struct sl_records *r = app->rec;

	(void)tb;
	for (uint16_t s = 0; r != NULL && s < r->n; s++) {
		sl_sink_close(r->t[s].staged);
		r->t[s].staged = NULL;
		r->t[s].staged_set = false;
	}
}

void
sl_records_commit(struct sl_app *app, const struct sl_tables *tb)
{
	struct sl_records *r = app->rec;

	for (uint16_t s = 0; s < r->n; s++) {
		struct rec_tenant *rt = &r->t[s];

		if (rt->staged_set) {
			/* what the old sink still had to write goes out
			 * now; from now on the new one takes them */
			flush(app, s);
			sl_sink_close(rt->sink);
			rt->sink = rt->staged;
			rt->dest = rt->staged_dest;
			rt->staged = NULL;
			rt->staged_set = false;
			rt->retire_gen = 0;
		} else if (rt->sink != NULL && sl_tenant_of(tb, s) == NULL && rt->retire_gen == 0) {
			/* removed: its flows end with reason "reload" and
			 * their records still go here */
			rt->retire_gen = tb->generation;
		}
	}
}

int
sl_records_init(struct sl_app *app, struct sl_cfg_error *err)
{
	struct sl_records *r = calloc(1, sizeof(*r));
	struct timeval tv;
	int rc;

	gettimeofday(&tv, NULL);
	app->start_unix_us = (uint64_t)tv.tv_sec * 1000000 + (uint64_t)tv.tv_usec;
	if (r == NULL || (r->t = calloc(app->tenant_cap, sizeof(*r->t))) == NULL ||
	    (r->dirty = calloc(app->tenant_cap, sizeof(*r->dirty))) == NULL ||
	    sl_flowrec_ctx_new(&r->fmt) != 0) {
		if (r != NULL) {
			free(r->t);
			free(r->dirty);
		}
		free(r);
		snprintf(err->msg, sizeof(err->msg), "%s: out of memory", app->cfg->path);
		return -ENOMEM;
	}
	r->n = app->tenant_cap;
	app->rec = r;
	if ((rc = sl_records_prepare(app, app->tbl, err)) != 0)
		return rc;
	sl_records_commit(app, app->tbl);
	return 0;
}

void
sl_records_free(struct sl_app *app)
{
	struct sl_records *r = app->rec;

	if (r == NULL)
		return;
	flush_all(app);
	for (uint16_t i = 0; i < r->n; i++) {
		sl_sink_close(r->t[i].sink);
		sl_sink_close(r->t[i].staged);
		free(r->t[i].batch);
	}
	sl_flowrec_ctx_free(r->fmt);
	free(r->dirty);
	free(r->t);
	free(r);
	app->rec = NULL;
}

void
sl_records_reopen(struct sl_app *app)
{
	struct sl_records *r = app->rec;

	for (uint16_t i = 0; r != NULL && i < r->n; i++) {
		int rc;

		if (r->t[i].sink != NULL && (rc = sl_sink_reopen(r->t[i].sink)) != 0)
			RLOG(WARNING, "tenant '%s': reopening flow records '%s' failed: %s (%s); "
			     "writing on to the old file\n", app->tenant_names[i], dest_of(app, i),
			     strerror(-rc), errname(-rc));
	}
}

/* Close the sinks of removed tenants once every worker has ended their
 * flows (and their records were drained). */
void
sl_records_poll(struct sl_app *app)
{
	struct sl_records *r = app->rec;

	for (uint16_t s = 0; r != NULL && s < r->n; s++) {
		struct rec_tenant *rt = &r->t[s];
		bool done = rt->retire_gen != 0;

		for (uint16_t w = 0; done && w < app->n_workers; w++)
			done = __atomic_load_n(&app->workers[w]->ctl.purged_gen, __ATOMIC_ACQUIRE) >=
			       rt->retire_gen;
		if (!done)
			continue;
		sl_records_drain(app, UINT_MAX);
		flush(app, s);
		sl_sink_close(rt->sink);
		rt->sink = NULL;
		memset(&rt->dest, 0, sizeof(rt->dest));
		rt->retire_gen = 0;
	}
}

/* TSC of a flow's 32-bit flow time @p ft, knowing that it is at most 2^32
 * units before TSC @p ref (when the flow ended). */
static uint64_t
tsc_of(const struct sl_app *app, uint32_t ft, uint64_t ref)
{
	uint32_t back = sl_flow_time(ref, app->ft_shift) - ft;

	return ref - ((uint64_t)back << app->ft_shift);
}

int
sl_records_format(const struct sl_app *app, const struct sl_tables *tb,
		  struct sl_flowrec_ctx *fmt, const struct sl_rec_msg *m, char *buf)
{
	const struct sl_flow_entry *e = &m->e;
	const struct sl_flow_key *k = &e->key;
	const uint64_t now_tsc = m->now_tsc;
	const uint8_t reason = m->reason;
	const struct sl_member_rt *mr = e->slot < app->n_member_slots ? &app->members[e->slot]
								       : NULL;
	/* the verdict's rule and pool are named by the configuration it was
	 * made with: the current one, unless the tenant's policy changed since */
	const struct sl_tenant_rt *tr = sl_tenant_of(tb, k->tenant);
	const struct sl_cfg_tenant *ct = tr != NULL && tr->gen == e->gen ? tr->cfg : NULL;
	bool rev = (e->flags & SL_FLOW_F_INIT_REV) != 0;
	uint64_t pkts = e->pkts[0] + e->pkts[1], bytes = sl_flow_total_bytes(e);
	struct sl_flowrec r;
	char app_name[64];

	/* rte_ring elements are multiples of 4 bytes */
	RTE_BUILD_BUG_ON(sizeof(struct sl_rec_msg) % 4 != 0);
	memset(&r, 0, sizeof(r));
	r.start_us = sl_unix_ns(app, tsc_of(app, e->first, now_tsc)) / 1000;
	r.end_us = sl_unix_ns(app, tsc_of(app, e->last, now_tsc)) / 1000;
	r.tenant_id = mr != NULL ? mr->tenant_id : 0;
	r.tenant = app->tenant_names[k->tenant];
	r.n_vlan = k->vlan[1] ? 2 : k->vlan[0] ? 1 : 0;
	r.vlan[0] = k->vlan[0];
	r.vlan[1] = k->vlan[1];
	r.tunnel_id = k->reserved;
	r.family = k->family == SL_L3_IPV4 ? 4 : k->family == SL_L3_IPV6 ? 6 : 0;
	r.proto = k->proto;
	/* src is the side that sent the first packet sluice saw */
	memcpy(r.src, rev ? k->addr_hi : k->addr_lo, 16);
	memcpy(r.dst, rev ? k->addr_lo : k->addr_hi, 16);
	r.sport = rev ? k->port_hi : k->port_lo;
	r.dport = rev ? k->port_lo : k->port_hi;
	r.pkts_toserver = e->pkts[rev];
	r.pkts_toclient = e->pkts[!rev];
	r.bytes_toserver = sl_flow_bytes(e, rev);
	r.bytes_toclient = sl_flow_bytes(e, !rev);
	/* not forwarded: dropped when the flow's verdict is drop, else
	 * bypassed (a flow whose verdict changed in a reload counts all its
	 * unforwarded packets under its last verdict) */
	bool dropped = e->action == SL_ACT_DROP;
	r.bypass_pkts = dropped ? 0 : e->nf_pkts;
	r.bypass_bytes = dropped ? 0 : e->nf_bytes;
	r.drop_pkts = dropped ? e->nf_pkts : 0;
	r.drop_bytes = dropped ? e->nf_bytes : 0;
	r.fwd_pkts = pkts - e->nf_pkts;
	r.fwd_bytes = bytes - e->nf_bytes;
	bool forwards = e->action != SL_ACT_BYPASS && e->action != SL_ACT_DROP;
	r.pool = forwards && mr != NULL ? mr->pool : NULL;
	r.member = forwards && mr != NULL ? mr->index : -1;
	r.action = (e->action == SL_ACT_SAMPLE && e->bypass_why == SL_BYPASS_RULE) ?
			   "sample-out" : sl_rule_action_name((enum sl_rule_action)e->action);
	/* an app rule's steer and bypass-after-handshake forward in the
	 * entry: the record names the rule's action */
	if (e->rule && ct != NULL && e->rule <= ct->n_rules &&
	    (ct->rules[e->rule - 1].action == SL_ACT_STEER ||
	     ct->rules[e->rule - 1].action == SL_ACT_BYPASS_HS))
		r.action = sl_rule_action_name(ct->rules[e->rule - 1].action);
	if (m->has_app) {
		/* what application detection found (lib/appid) */
		if (sl_appid_result_name(&m->app, app_name, sizeof(app_name)) >= 0)
			r.app_proto = app_name;
		r.app_category = m->app.category ? sl_appid_category_name(m->app.category) : NULL;
		r.sni = m->app.sni_len ? m->app.sni : NULL;
	}
	r.rule = e->rule && ct != NULL && e->rule <= ct->n_rules ? ct->rules[e->rule - 1].name
							       : NULL;
	r.reason = reason < RTE_DIM(reason_names) ? reason_names[reason] : "?";
	r.elephant = (e->flags & SL_FLOW_F_ELEPHANT) != 0;
	r.bypassed = (!dropped && e->nf_pkts > 0) || (e->flags & SL_FLOW_F_BYPASS);
	r.tcp_flags_ts = e->tcp_flags[rev];
	r.tcp_flags_tc = e->tcp_flags[!rev];
	return sl_flowrec_format(fmt, &r, buf, SL_REC_LINE_MAX);
}

static void
write_record(struct sl_app *app, const struct sl_rec_msg *m)
{
	const struct sl_flow_key *k = &m->e.key;
	struct rec_tenant *rt = &app->rec->t[k->tenant];
	int n;

	if (SL_REC_BATCH_BYTES - rt->used < SL_REC_LINE_MAX + 1)
		flush(app, k->tenant);
	n = sl_records_format(app, app->tbl, app->rec->fmt, m, rt->batch + rt->used);
	if (n < 0) {
		rt->format_errors++;
		if (!rt->format_logged) {
			rt->format_logged = true;
			RLOG(ERR, "tenant '%s': a flow record could not be formatted: %s "
			     "(format_errors; logged once)\n", app->tenant_names[k->tenant],
			     strerror(-n));
		}
		return;
	}
	rt->used += (size_t)n;
	rt->batch[rt->used++] = '\n';
	rt->lines++;
	if (!rt->dirty) {
		rt->dirty = true;
		app->rec->dirty[app->rec->n_dirty++] = k->tenant;
	}
}

unsigned int
sl_records_drain(struct sl_app *app, unsigned int budget)
{
	struct sl_records *r = app->rec;
	struct sl_rec_msg msgs[SL_REC_BURST];
	unsigned int total = 0;
	bool full = true;

	if (r == NULL)
		return 0;
	/* bursts from each worker in turn, starting one further each call,
	 * until the budget is spent or every ring is empty */
	while (full && total < budget) {
		full = false;
		for (uint16_t k = 0; k < app->n_workers && total < budget; k++) {
			uint16_t w = (uint16_t)((r->rr + k) % app->n_workers);
			struct rte_ring *ring = app->workers[w]->records;
			unsigned int n;

			if (ring == NULL)
				continue;
			n = rte_ring_sc_dequeue_burst_elem(ring, msgs, sizeof(msgs[0]),
							   RTE_MIN((unsigned int)SL_REC_BURST,
								   budget - total), NULL);
			for (unsigned int i = 0; i < n; i++) {
				uint16_t t = msgs[i].e.key.tenant;

				if (t < r->n && r->t[t].sink != NULL)
					write_record(app, &msgs[i]);
				/* the tenant's share of this worker's ring is free
				 * again (written or not) */
				if (t < app->tenant_cap)
					__atomic_store_n(&app->workers[w]->rec_written[t],
							 app->workers[w]->rec_written[t] + 1,
							 __ATOMIC_RELEASE);
			}
			total += n;
			full |= n == SL_REC_BURST;
			/* shutdown: chunks the worker formatted */
			struct sl_rec_chunk *chunks[SL_REC_CHUNK_BURST];
			if (app->workers[w]->rec_chunks == NULL)
				continue;
			n = rte_ring_sc_dequeue_burst(app->workers[w]->rec_chunks, (void **)chunks,
						      SL_REC_CHUNK_BURST, NULL);
			for (unsigned int i = 0; i < n; i++)
				total += write_chunk(app, chunks[i]);
			full |= n == SL_REC_CHUNK_BURST;
		}
	}
	r->rr = app->n_workers ? (uint16_t)((r->rr + 1) % app->n_workers) : 0;
	flush_all(app);
	return total;
}

json_t *
sl_records_json(struct sl_app *app, uint16_t t)
{
	struct sl_records *r = app->rec;

	if (r == NULL || t >= r->n || r->t[t].sink == NULL)
		return NULL;
	return json_pack("{s:s,s:I,s:I,s:I}", "destination",
			 r->t[t].dest.kind == SL_RECORDS_SYSLOG ? "syslog" : r->t[t].dest.path,
			 "written", (json_int_t)r->t[t].written,
			 "sink_errors", (json_int_t)r->t[t].sink_errors,
			 "format_errors", (json_int_t)r->t[t].format_errors);
}
