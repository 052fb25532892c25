/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DPDK telemetry commands under /sluice/, readable with dpdk-telemetry.py:
 *
 *   /sluice/stats                       ledger, drops, filters, anomalies,
 *                                       tunnels, fragments, flows, rates
 *   /sluice/inputs[,OFFSET]             per input, paged
 *   /sluice/outputs[,OFFSET]            per output, paged
 *   /sluice/workers[,OFFSET]            per worker, paged
 *   /sluice/tenants[,OFFSET]            tenant ids and names, paged
 *   /sluice/tenant,ID                   one tenant: counters, rates, pools
 *   /sluice/members,ID,POOL[,OFFSET]    one pool's members, paged
 *
 * DPDK's telemetry answers at most 16 KiB per command and 256 entries per
 * dictionary, and cuts (or drops) whatever does not fit without a word. So
 * every list is paged: a reply holds whole items up to a byte and an entry
 * budget, each item a dictionary under its index (or the tenant's id), and
 * "next" gives the OFFSET of the following page while there is one.
 *
 * A bad or unknown parameter gets {"error": "..."}: DPDK turns a negative
 * return into a bare null, which tells the client nothing.
 *
 * Handlers run on the telemetry thread under agg_lock (the control loop's
 * latest consistent aggregate, and the tables a reload swaps under it), with
 * the live (last second) rates.
 * The reply is built from the same jansson objects as the stats JSON lines.
 * rte_tel_data allows one level of nested dictionaries; deeper levels are
 * flattened into keys joined by "_" (an output's "ring" -> "ring_delivered";
 * rte_tel_data refuses "." in names). Reals (rates) become integers.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <rte_telemetry.h>

#include "datapath.h"
#include "kstats.h"
#include "ops.h"

/* What one reply may hold: DPDK's MAX_OUTPUT_LEN is 16384 bytes; keep room
 * for the command name, the page keys and estimation slack. */
#define SL_TEL_PAGE_BYTES 12000
/* Items per page: RTE_TEL_MAX_DICT_ENTRIES (256) less the page keys. */
#define SL_TEL_PAGE_ITEMS 240

/* rte_telemetry callbacks carry no user pointer: the one app is kept here,
 * set before the commands are registered and cleared (under tel_gate) by
 * sl_telemetry_close() before sluice frees what the handlers read. DPDK
 * cannot unregister a command and its thread outlives sluice's teardown, so
 * every handler runs under tel_gate and answers an error once it is NULL. */
static pthread_mutex_t tel_gate = PTHREAD_MUTEX_INITIALIZER;
static struct sl_app *tel_app;

static size_t tel_add(struct rte_tel_data *d, const char *key, json_t *v, int depth);

static size_t
tel_add_children(struct rte_tel_data *d, const char *prefix, json_t *v, int depth)
{
	char key[RTE_TEL_MAX_STRING_LEN];
	const char *k;
	json_t *child;
	size_t i, n = 0;

	if (json_is_object(v)) {
		json_object_foreach(v, k, child) {
			snprintf(key, sizeof(key), "%s%s%s", prefix, prefix[0] ? "_" : "", k);
			n += tel_add(d, key, child, depth);
		}
	} else {
		json_array_foreach(v, i, child) {
			snprintf(key, sizeof(key), "%s%s%zu", prefix, prefix[0] ? "_" : "", i);
			n += tel_add(d, key, child, depth);
		}
	}
	return n;
}

/*
 * Add @p v under @p key to dictionary @p d (NULL: only measure). Returns
 * about how many bytes of DPDK's JSON reply it takes.
 */
static size_t
tel_add(struct rte_tel_data *d, const char *key, json_t *v, int depth)
{
	size_t n = strlen(key) + 4; /* "key":  and a comma */
	uint64_t u;

	switch (json_typeof(v)) {
	case JSON_INTEGER:
	case JSON_REAL:
		u = json_is_integer(v) ? (uint64_t)json_integer_value(v)
				       : (uint64_t)(json_real_value(v) + 0.5);
		if (d != NULL)
			rte_tel_data_add_dict_u64(d, key, u);
		return n + (size_t)snprintf(NULL, 0, "%" PRIu64, u);
	case JSON_TRUE:
	case JSON_FALSE:
		if (d != NULL)
			rte_tel_data_add_dict_int(d, key, json_is_true(v));
		return n + 1;
	case JSON_STRING:
		if (d != NULL)
			rte_tel_data_add_dict_string(d, key, json_string_value(v));
		return n + json_string_length(v) + 2;
	case JSON_OBJECT:
	case JSON_ARRAY:
		if (depth == 0) {
			struct rte_tel_data *c = d != NULL ? rte_tel_data_alloc() : NULL;

			if (c != NULL)
				rte_tel_data_start_dict(c);
			n += 2 + tel_add_children(c, "", v, 1);
			if (c != NULL && rte_tel_data_add_dict_container(d, key, c, 0) != 0)
				rte_tel_data_free(c);
			return n;
		}
		return tel_add_children(d, key, v, depth);
	default:
		return 0;
	}
}

static int
tel_error(struct rte_tel_data *d, const char *fmt, ...)
{
	char msg[RTE_TEL_MAX_STRING_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "error", msg);
	return 0;
}

/* A decimal number 0..max, digits only. */
static bool
parse_uint(const char *s, size_t len, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;

	if (len == 0 || len > 10)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return false;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > max)
		return false;
	*out = v;
	return true;
}

/*
 * Split @p params at commas into at most @p max fields (pointers into a copy
 * in @p buf). @return the number of fields, -1 when there are more.
 */
static int
split_params(const char *params, char *buf, size_t size, char **f, int max)
{
	int n = 0;
	char *p, *save = NULL;

	if (params == NULL || params[0] == '\0')
		return 0;
	snprintf(buf, size, "%s", params);
	for (p = strtok_r(buf, ",", &save); p != NULL; p = strtok_r(NULL, ",", &save)) {
		if (n == max)
			return -1;
		f[n++] = p;
	}
	return n;
}

/* The OFFSET of a list command: absent = 0. */
static int
page_offset(const char *params, struct rte_tel_data *d, const char *cmd, unsigned long *off)
{
	char buf[64], *f[1];
	int n = split_params(params, buf, sizeof(buf), f, 1);

	*off = 0;
	if (n < 0 || (n == 1 && !parse_uint(f[0], strlen(f[0]), UINT32_MAX, off))) {
		tel_error(d, "%s takes one parameter, a page offset (0, or the previous page's next)",
			  cmd);
		return -1;
	}
	return 0;
}

/* Builds the JSON of list item @p i (under agg_lock). */
typedef json_t *(*item_fn)(struct sl_app *app, uint32_t i, void *arg);

/*
 * One page of a list of @p total items from @p off: whole items, each a
 * dictionary under its index, within the byte and entry budgets, then
 * "total", and "next" when items remain. Caller holds agg_lock.
 */
static int
tel_page(struct rte_tel_data *d, uint32_t total, unsigned long off, item_fn fn, void *arg)
{
	size_t bytes = 0;
	uint32_t i, n = 0;
	char key[16];

	rte_tel_data_start_dict(d);
	if (!tel_app->agg.valid)
		return tel_error(d, "no snapshot yet, try again");
	for (i = (uint32_t)RTE_MIN(off, (unsigned long)total); i < total; i++) {
		json_t *item = fn(tel_app, i, arg);
		size_t sz;

		if (item == NULL)
			break;
		snprintf(key, sizeof(key), "%" PRIu32, i);
		sz = tel_add(NULL, key, item, 0);
		if (n > 0 && (bytes + sz > SL_TEL_PAGE_BYTES || n == SL_TEL_PAGE_ITEMS)) {
			json_decref(item);
			break;
		}
		bytes += tel_add(d, key, item, 0);
		json_decref(item);
		n++;
	}
	rte_tel_data_add_dict_u64(d, "total", total);
	if (i < total)
		rte_tel_data_add_dict_u64(d, "next", i);
	return 0;
}

static int
handle_stats(const char *cmd __rte_unused, const char *params, struct rte_tel_data *d)
{
	json_t *j = NULL, *s;
	const char *k;
	json_t *v;

	if (params != NULL && params[0] != '\0')
		return tel_error(d, "/sluice/stats takes no parameter");
	if (tel_app->agg.valid)
		j = sl_stats_json_rates(tel_app, false, tel_app->agg.live, false);
	if (j == NULL)
		return tel_error(d, "no snapshot yet, try again");
	s = json_object_get(j, "stats");
	rte_tel_data_start_dict(d);
	json_object_foreach(s, k, v) {
		/* lists have their own paged commands */
		if (json_is_array(v))
			continue;
		tel_add(d, k, v, 0);
	}
	rte_tel_data_add_dict_u64(d, "n_inputs", tel_app->cfg->n_inputs);
	rte_tel_data_add_dict_u64(d, "n_outputs", tel_app->cfg->n_outputs);
	rte_tel_data_add_dict_u64(d, "n_workers", tel_app->n_workers);
	rte_tel_data_add_dict_u64(d, "n_tenants", tel_app->tbl->cfg->n_tenants);
	json_decref(j);
	return 0;
}

static json_t *
input_item(struct sl_app *app, uint32_t i, void *arg)
{
	json_t *o = sl_input_json(app, app->agg.sum, (uint16_t)i, app->agg.live);
	json_t *k;

	(void)arg;
	/* what the kernel counted for a kernel-backed input, as in the stats */
	if (o != NULL && (k = sl_kstats_input_json(app, (uint16_t)i)) != NULL)
		json_object_set_new(o, "kernel", k);
	return o;
}

static json_t *
output_item(struct sl_app *app, uint32_t i, void *arg)
{
	(void)arg;
	return sl_output_json(app, app->agg.sum, (uint16_t)i, app->agg.live);
}

static json_t *
worker_item(struct sl_app *app, uint32_t i, void *arg)
{
	(void)arg;
	return sl_worker_json(app, (uint16_t)i, app->agg.per_worker[i]);
}

/* A list command: its page at the OFFSET parameter. */
static int
list_page(const char *cmd, const char *params, struct rte_tel_data *d, uint32_t total,
	  item_fn fn)
{
	unsigned long off;

	if (page_offset(params, d, cmd, &off) != 0)
		return 0;
	return tel_page(d, total, off, fn, NULL);
}

static int
handle_inputs(const char *cmd, const char *params, struct rte_tel_data *d)
{
	return list_page(cmd, params, d, tel_app->cfg->n_inputs, input_item);
}

static int
handle_outputs(const char *cmd, const char *params, struct rte_tel_data *d)
{
	return list_page(cmd, params, d, tel_app->cfg->n_outputs, output_item);
}

static int
handle_workers(const char *cmd, const char *params, struct rte_tel_data *d)
{
	return list_page(cmd, params, d, tel_app->n_workers, worker_item);
}

/* Tenant ids and names: "ID": "NAME", paged like the lists. */
static int
handle_tenants(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct sl_cfg *cfg = tel_app->tbl->cfg;
	unsigned long off;
	size_t bytes = 0;
	uint32_t t, n = 0;
	char key[16];

	if (page_offset(params, d, cmd, &off) != 0)
		return 0;
	rte_tel_data_start_dict(d);
	for (t = (uint32_t)RTE_MIN(off, (unsigned long)cfg->n_tenants); t < cfg->n_tenants; t++) {
		size_t sz;

		snprintf(key, sizeof(key), "%u", cfg->tenants[t].id);
		sz = strlen(key) + strlen(cfg->tenants[t].name) + 6;
		if (n > 0 && (bytes + sz > SL_TEL_PAGE_BYTES || n == SL_TEL_PAGE_ITEMS))
			break;
		rte_tel_data_add_dict_string(d, key, cfg->tenants[t].name);
		bytes += sz;
		n++;
	}
	if (t < cfg->n_tenants)
		rte_tel_data_add_dict_u64(d, "next", t);
	return 0;
}

/* The tenant slot of id text @p s, or -1 after answering with an error. */
static int
tenant_of(const char *s, struct rte_tel_data *d)
{
	const struct sl_cfg *cfg = tel_app->tbl->cfg;
	unsigned long id;

	if (!parse_uint(s, strlen(s), UINT32_MAX, &id)) {
		for (uint16_t t = 0; t < cfg->n_tenants; t++)
			if (strcmp(cfg->tenants[t].name, s) == 0) {
				tel_error(d, "'%.40s' is not a tenant id: tenant '%.40s' has id %u", s,
					  s, cfg->tenants[t].id);
				return -1;
			}
		tel_error(d, "'%.40s' is not a tenant id (a number, see /sluice/tenants)", s);
		return -1;
	}
	for (uint16_t t = 0; t < cfg->n_tenants; t++)
		if (cfg->tenants[t].id == id)
			return tel_app->tbl->slot_of[t];
	tel_error(d, "no tenant has id %lu (see /sluice/tenants)", id);
	return -1;
}

static int
handle_tenant(const char *cmd __rte_unused, const char *params, struct rte_tel_data *d)
{
	char buf[64], *f[1];
	int n = split_params(params, buf, sizeof(buf), f, 1);
	int t;
	const char *k;
	json_t *v, *tj = NULL;

	if (n != 1)
		return tel_error(d, "usage: /sluice/tenant,ID (ids: /sluice/tenants)");
	t = tenant_of(f[0], d);
	if (t < 0)
		return 0;
	if (tel_app->agg.valid)
		tj = sl_tenant_json_rates(tel_app, tel_app->agg.sum, (uint16_t)t, tel_app->agg.live,
					  false);
	if (tj == NULL)
		return tel_error(d, "no snapshot yet, try again");
	rte_tel_data_start_dict(d);
	json_object_foreach(tj, k, v)
		tel_add(d, k, v, 0);
	json_decref(tj);
	return 0;
}

struct members_arg {
	uint16_t tenant, pool;
};

static json_t *
member_item(struct sl_app *app, uint32_t i, void *arg)
{
	const struct members_arg *a = arg;

	return sl_member_json(app, app->agg.sum,
			      app->tbl->tenants[a->tenant].pools[a->pool].steer.slots[i],
			      app->agg.live);
}

static int
handle_members(const char *cmd __rte_unused, const char *params, struct rte_tel_data *d)
{
	char buf[160], *f[3];
	int n = split_params(params, buf, sizeof(buf), f, 3);
	struct members_arg a;
	unsigned long p, off = 0;
	int t;

	if (n < 2)
		return tel_error(d, "usage: /sluice/members,TENANT_ID,POOL[,OFFSET] (POOL: name or "
				 "index)");
	t = tenant_of(f[0], d);
	if (t < 0)
		return 0;
	const struct sl_cfg_tenant *ct = tel_app->tbl->tenants[t].cfg;
	int pi = -1;

	for (uint16_t q = 0; q < ct->n_pools; q++)
		if (strcmp(ct->pools[q].name, f[1]) == 0)
			pi = q;
	if (pi < 0) {
		if (!parse_uint(f[1], strlen(f[1]), UINT16_MAX, &p) || p >= ct->n_pools)
			return tel_error(d, "tenant %u has no pool '%.40s' (pools: 0..%u or their "
					 "names, see /sluice/tenant,%u)", ct->id, f[1],
					 ct->n_pools - 1, ct->id);
		pi = (int)p;
	}
	if (n == 3 && !parse_uint(f[2], strlen(f[2]), UINT32_MAX, &off))
		return tel_error(d, "'%.40s' is not a page offset (0, or the previous page's next)",
				 f[2]);
	a.tenant = (uint16_t)t;
	a.pool = (uint16_t)pi;
	tel_page(d, ct->pools[pi].n_members, off, member_item, &a);
	rte_tel_data_add_dict_u64(d, "tenant", ct->id);
	rte_tel_data_add_dict_string(d, "pool", ct->pools[pi].name);
	return 0;
}

/* The handler @p fn, while sluice is up (under tel_gate), and under
 * agg_lock: the aggregate, and the tables a reload swaps, stay put while it
 * reads them. */
#define GUARDED(fn)                                                                       \
	static int fn##_guarded(const char *cmd, const char *params, struct rte_tel_data *d) \
	{                                                                                  \
		int rc;                                                                    \
                                                                                           \
		pthread_mutex_lock(&tel_gate);                                             \
		if (tel_app == NULL) {                                                     \
			rc = tel_error(d, "sluice is stopping");                           \
		} else {                                                                   \
			pthread_mutex_lock(&tel_app->agg_lock);                            \
			rc = fn(cmd, params, d);                                           \
			pthread_mutex_unlock(&tel_app->agg_lock);                          \
		}                                                                          \
		pthread_mutex_unlock(&tel_gate);                                           \
		return rc;                                                                 \
	}
GUARDED(handle_stats)
GUARDED(handle_inputs)
GUARDED(handle_outputs)
GUARDED(handle_workers)
GUARDED(handle_tenants)
GUARDED(handle_tenant)
GUARDED(handle_members)

void
sl_telemetry_close(void)
{
	pthread_mutex_lock(&tel_gate);
	tel_app = NULL;
	pthread_mutex_unlock(&tel_gate);
}

int
sl_telemetry_register(struct sl_app *app)
{
	int rc = 0;

	pthread_mutex_lock(&tel_gate);
	tel_app = app;
	pthread_mutex_unlock(&tel_gate);
	rc |= rte_telemetry_register_cmd("/sluice/stats", handle_stats_guarded,
					 "Ledger, drops by reason, filters, anomalies, flows, rates. "
					 "No parameters");
	rc |= rte_telemetry_register_cmd("/sluice/inputs", handle_inputs_guarded,
					 "Per-input counters and rates. Parameter: page offset");
	rc |= rte_telemetry_register_cmd("/sluice/outputs", handle_outputs_guarded,
					 "Per-output counters, rates, state. Parameter: page offset");
	rc |= rte_telemetry_register_cmd("/sluice/workers", handle_workers_guarded,
					 "Per-worker counters. Parameter: page offset");
	rc |= rte_telemetry_register_cmd("/sluice/tenants", handle_tenants_guarded,
					 "Tenant ids and names. Parameter: page offset");
	rc |= rte_telemetry_register_cmd("/sluice/tenant", handle_tenant_guarded,
					 "One tenant's counters, rates and pools. Parameter: tenant id");
	rc |= rte_telemetry_register_cmd("/sluice/members", handle_members_guarded,
					 "A pool's members, paged. Parameters: tenant id, pool name "
					 "or index, page offset");
	return rc;
}
