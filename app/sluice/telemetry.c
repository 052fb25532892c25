/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DPDK telemetry commands under /sluice/, readable with dpdk-telemetry.py:
 *
 *   /sluice/stats          ledger, drops by reason, filters, anomalies, flows
 *   /sluice/workers        per-worker counters
 *   /sluice/tenants        tenant ids and names
 *   /sluice/tenant,<id>    one tenant: counters, pools and members
 *
 * Handlers run on the telemetry thread and read the control loop's latest
 * consistent aggregate under agg_lock. The reply is built from the same
 * jansson objects as the stats JSON lines, so both always agree. rte_tel_data
 * allows one level of nested containers; deeper levels are flattened into
 * keys joined by "_" ("pools" container, key "0_members_1_forwarded"; rte_tel_data refuses "." in names).
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <rte_telemetry.h>

#include "datapath.h"

/* rte_telemetry callbacks carry no user pointer: the one app is kept here,
 * set once before the commands are registered and never changed. */
static struct sl_app *tel_app;

static void tel_add(struct rte_tel_data *d, const char *key, json_t *v, int depth);

static void
tel_add_children(struct rte_tel_data *d, const char *prefix, json_t *v, int depth)
{
	char key[RTE_TEL_MAX_STRING_LEN];
	const char *k;
	json_t *child;
	size_t i;

	if (json_is_object(v)) {
		json_object_foreach(v, k, child) {
			snprintf(key, sizeof(key), "%s%s%s", prefix, prefix[0] ? "_" : "", k);
			tel_add(d, key, child, depth);
		}
	} else {
		json_array_foreach(v, i, child) {
			snprintf(key, sizeof(key), "%s%s%zu", prefix, prefix[0] ? "_" : "", i);
			tel_add(d, key, child, depth);
		}
	}
}

static void
tel_add(struct rte_tel_data *d, const char *key, json_t *v, int depth)
{
	switch (json_typeof(v)) {
	case JSON_INTEGER:
		rte_tel_data_add_dict_u64(d, key, (uint64_t)json_integer_value(v));
		break;
	case JSON_REAL:
		rte_tel_data_add_dict_u64(d, key, (uint64_t)json_real_value(v));
		break;
	case JSON_TRUE:
	case JSON_FALSE:
		rte_tel_data_add_dict_int(d, key, json_is_true(v));
		break;
	case JSON_STRING:
		rte_tel_data_add_dict_string(d, key, json_string_value(v));
		break;
	case JSON_OBJECT:
	case JSON_ARRAY:
		if (depth == 0) {
			struct rte_tel_data *c = rte_tel_data_alloc();
			if (c == NULL)
				return;
			rte_tel_data_start_dict(c);
			tel_add_children(c, "", v, 1);
			if (rte_tel_data_add_dict_container(d, key, c, 0) != 0)
				rte_tel_data_free(c);
		} else {
			tel_add_children(d, key, v, depth);
		}
		break;
	default:
		break;
	}
}

/* Build the stats JSON under the lock and hand back the member @p part. */
static json_t *
snapshot_part(const char *part)
{
	json_t *j, *stats, *p;

	pthread_mutex_lock(&tel_app->agg_lock);
	j = tel_app->agg.valid ? sl_stats_json(tel_app, false) : NULL;
	pthread_mutex_unlock(&tel_app->agg_lock);
	if (j == NULL)
		return NULL;
	stats = json_object_get(j, "stats");
	p = part != NULL ? json_object_get(stats, part) : stats;
	json_incref(p);
	json_decref(j);
	return p;
}

static int
handle_stats(const char *cmd __rte_unused, const char *params __rte_unused,
	     struct rte_tel_data *d)
{
	json_t *s = snapshot_part(NULL);
	const char *k;
	json_t *v;

	if (s == NULL)
		return -EAGAIN;
	rte_tel_data_start_dict(d);
	json_object_foreach(s, k, v) {
		if (strcmp(k, "workers") == 0 || strcmp(k, "tenants") == 0)
			continue; /* their own commands */
		tel_add(d, k, v, 0);
	}
	json_decref(s);
	return 0;
}

static int
handle_workers(const char *cmd __rte_unused, const char *params __rte_unused,
	       struct rte_tel_data *d)
{
	json_t *ws = snapshot_part("workers");
	json_t *v;
	size_t i;
	char key[32];

	if (ws == NULL)
		return -EAGAIN;
	rte_tel_data_start_dict(d);
	json_array_foreach(ws, i, v) {
		snprintf(key, sizeof(key), "%zu", i);
		tel_add(d, key, v, 0);
	}
	json_decref(ws);
	return 0;
}

static int
handle_tenants(const char *cmd __rte_unused, const char *params __rte_unused,
	       struct rte_tel_data *d)
{
	char key[16];

	rte_tel_data_start_dict(d);
	/* the tables are swapped and freed by a reload under agg_lock */
	pthread_mutex_lock(&tel_app->agg_lock);
	const struct sl_cfg *cfg = tel_app->tbl->cfg;

	for (uint16_t t = 0; t < cfg->n_tenants; t++) {
		snprintf(key, sizeof(key), "%u", cfg->tenants[t].id);
		rte_tel_data_add_dict_string(d, key, cfg->tenants[t].name);
	}
	pthread_mutex_unlock(&tel_app->agg_lock);
	return 0;
}

static int
handle_tenant(const char *cmd __rte_unused, const char *params, struct rte_tel_data *d)
{
	char *end;
	unsigned long id;
	int idx = -1;
	const char *k;
	json_t *v;

	if (params == NULL || params[0] == '\0')
		return -EINVAL;
	id = strtoul(params, &end, 10);
	if (*end != '\0' || id > UINT16_MAX)
		return -EINVAL;
	pthread_mutex_lock(&tel_app->agg_lock);
	for (uint16_t t = 0; t < tel_app->tbl->cfg->n_tenants; t++)
		if (tel_app->tbl->cfg->tenants[t].id == id)
			idx = tel_app->tbl->slot_of[t];
	json_t *tj = idx >= 0 && tel_app->agg.valid
			     ? sl_tenant_json(tel_app, tel_app->agg.sum, (uint16_t)idx)
			     : NULL;
	pthread_mutex_unlock(&tel_app->agg_lock);
	if (idx < 0)
		return -EINVAL;
	if (tj == NULL)
		return -EAGAIN;
	rte_tel_data_start_dict(d);
	json_object_foreach(tj, k, v)
		tel_add(d, k, v, 0);
	json_decref(tj);
	return 0;
}

int
sl_telemetry_register(struct sl_app *app)
{
	int rc = 0;

	tel_app = app;
	rc |= rte_telemetry_register_cmd("/sluice/stats", handle_stats,
					 "Ledger, drops by reason, filters, anomalies, flows. No parameters");
	rc |= rte_telemetry_register_cmd("/sluice/workers", handle_workers,
					 "Per-worker counters. No parameters");
	rc |= rte_telemetry_register_cmd("/sluice/tenants", handle_tenants,
					 "Tenant ids and names. No parameters");
	rc |= rte_telemetry_register_cmd("/sluice/tenant", handle_tenant,
					 "One tenant's counters, pools and members. Parameter: tenant id");
	return rc;
}
