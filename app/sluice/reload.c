/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Live reload: a new configuration replaces the running one without a
 * restart and without a worker ever waiting.
 *
 *   1. load and validate it in full (lib/config: everything --check checks);
 *   2. refuse a change of what was set up once at start (inputs, outputs,
 *      lcores, sizes: sl_config_reload_check() names the key);
 *   3. build the new tables on the control thread (tables.c: maps, pools,
 *      member slots, rule classifiers within their bounds), and the new
 *      flow-record sinks and control sockets (records.c, bypass.c);
 *   4. publish the tables with one pointer swap; workers pick them up at
 *      their next loop iteration;
 *   5. free the old tables once every worker has passed a quiescent state
 *      (rte_rcu_qsbr, checked without blocking by the control loop).
 *
 * If any step before 4 fails nothing changes: the running configuration
 * keeps running, the error (file:line:column) is logged, answered and kept
 * as the last error, and reloads.failed counts it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "app.h"
#include "datapath.h"
#include "tables.h"

RTE_LOG_REGISTER(sl_reload_logtype, user.sluice.reload, INFO);
#define RLOG(level, ...) rte_log(RTE_LOG_##level, sl_reload_logtype, "sluice: " __VA_ARGS__)

/* Tables waiting for the workers to pass a quiescent state. */
struct retired {
	struct sl_tables *tb;
	uint64_t token;
	struct retired *next;
};

struct sl_reload {
	uint64_t ok, failed;
	char last_error[1024];
	char last_error_time[40];
	char last_ok_time[40];
	struct retired *retired;
};

static void
now_iso(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%S%z", &tm);
}

int
sl_reload_init(struct sl_app *app)
{
	size_t sz = rte_rcu_qsbr_get_memsize(app->n_workers);

	app->reload = calloc(1, sizeof(*app->reload));
	app->qsbr = rte_zmalloc("sl_qsbr", sz, RTE_CACHE_LINE_SIZE);
	if (app->reload == NULL || app->qsbr == NULL ||
	    rte_rcu_qsbr_init(app->qsbr, app->n_workers) != 0)
		return -ENOMEM;
	for (uint16_t w = 0; w < app->n_workers; w++)
		if (rte_rcu_qsbr_thread_register(app->qsbr, w) != 0)
			return -EINVAL;
	return 0;
}

/* Free the retired tables every worker has moved past. Never waits. */
void
sl_reload_poll(struct sl_app *app)
{
	struct sl_reload *r = app->reload;
	struct retired **pp = r != NULL ? &r->retired : NULL;

	while (pp != NULL && *pp != NULL) {
		struct retired *x = *pp;

		if (rte_rcu_qsbr_check(app->qsbr, x->token, false) != 1) {
			pp = &x->next;
			continue;
		}
		*pp = x->next;
		sl_tables_free(x->tb);
		free(x);
	}
}

unsigned int
sl_reload_retired(const struct sl_app *app)
{
	unsigned int n = 0;

	for (const struct retired *x = app->reload->retired; x != NULL; x = x->next)
		n++;
	return n;
}

void
sl_reload_free(struct sl_app *app)
{
	struct sl_reload *r = app->reload;

	if (r != NULL) {
		/* the workers are gone: nothing can see these any more */
		while (r->retired != NULL) {
			struct retired *x = r->retired;

			r->retired = x->next;
			sl_tables_free(x->tb);
			free(x);
		}
		free(r);
	}
	app->reload = NULL;
	rte_free(app->qsbr);
	app->qsbr = NULL;
}

/* Swap in @p tb; the old tables retire until the workers have left them. */
static int
publish(struct sl_app *app, struct sl_tables *tb)
{
	struct retired *x = calloc(1, sizeof(*x));
	struct sl_tables *old;

	if (x == NULL)
		return -ENOMEM;
	pthread_mutex_lock(&app->agg_lock); /* telemetry reads the tables under it */
	old = app->tbl;
	__atomic_store_n(&app->tbl, tb, __ATOMIC_RELEASE);
	for (uint16_t t = 0; t < tb->cfg->n_tenants; t++)
		app->tenant_records[tb->slot_of[t]] =
			tb->cfg->tenants[t].records.kind != SL_RECORDS_NONE;
	pthread_mutex_unlock(&app->agg_lock);
	sl_health_sync(app); /* new member slots take their output's state */
	x->tb = old;
	x->token = rte_rcu_qsbr_start(app->qsbr);
	x->next = app->reload->retired;
	app->reload->retired = x;
	return 0;
}

static void
fail(struct sl_app *app, const char *msg)
{
	struct sl_reload *r = app->reload;

	pthread_mutex_lock(&app->agg_lock); /* telemetry shows them */
	r->failed++;
	snprintf(r->last_error, sizeof(r->last_error), "%s", msg);
	now_iso(r->last_error_time, sizeof(r->last_error_time));
	pthread_mutex_unlock(&app->agg_lock);
	RLOG(ERR, "reload refused, the running configuration stays: %s\n", msg);
}

int
sl_reload_cfg(struct sl_app *app, struct sl_cfg *cfg, struct sl_cfg_error *err)
{
	struct sl_tables *tb = NULL;
	int rc;

	if ((rc = sl_config_reload_check(app->cfg, cfg, err)) != 0)
		goto out;
	tb = sl_tables_build(app, cfg, app->tbl, err);
	if (tb == NULL) {
		rc = -EINVAL;
		goto out;
	}
	cfg = NULL; /* the tables own it now */
	if ((rc = sl_records_prepare(app, tb, err)) != 0 ||
	    (rc = sl_bypass_prepare(app, tb, err)) != 0)
		goto out;
	if ((rc = publish(app, tb)) != 0) {
		snprintf(err->msg, sizeof(err->msg), "%s: out of memory", tb->cfg->path);
		goto out;
	}
	sl_records_commit(app, tb);
	sl_bypass_commit(app, tb);
	pthread_mutex_lock(&app->agg_lock);
	app->reload->ok++;
	now_iso(app->reload->last_ok_time, sizeof(app->reload->last_ok_time));
	pthread_mutex_unlock(&app->agg_lock);
	RLOG(NOTICE, "configuration generation %u: %u tenants, %u member slots in use\n",
	     tb->generation, tb->cfg->n_tenants, app->n_member_slots);
	return 0;
out:
	if (tb != NULL) {
		sl_records_abort(app, tb);
		sl_bypass_abort(app, tb);
		sl_tables_free(tb);
	}
	sl_config_free(cfg);
	fail(app, err->msg);
	return rc;
}

int
sl_reload(struct sl_app *app, struct sl_cfg_error *err)
{
	struct sl_cfg *cfg = NULL;
	int rc;

	memset(err, 0, sizeof(*err));
	rc = sl_config_load(app->cfg->path, app->cfg_flags, &cfg, err);
	if (rc != 0) {
		fail(app, err->msg);
		return rc;
	}
	return sl_reload_cfg(app, cfg, err);
}

json_t *
sl_reload_json(struct sl_app *app)
{
	struct sl_reload *r = app->reload;
	json_t *o = json_object();

	json_object_set_new(o, "generation", json_integer(app->tbl->generation));
	json_object_set_new(o, "ok", json_integer((json_int_t)r->ok));
	json_object_set_new(o, "failed", json_integer((json_int_t)r->failed));
	if (r->last_ok_time[0])
		json_object_set_new(o, "last_ok_time", json_string(r->last_ok_time));
	if (r->last_error[0]) {
		json_object_set_new(o, "last_error", json_string(r->last_error));
		json_object_set_new(o, "last_error_time", json_string(r->last_error_time));
	}
	return o;
}
