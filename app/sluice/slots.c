/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tenant and member slots: the stable numbers by which counters, TX
 * buffers, member health, flow keys and flow entries know a tenant or a
 * pool member across configuration reloads. A tenant's slot is fixed by its
 * name, a member's by (tenant, pool name, output, queue, and for a remote
 * member its tunnel: remote.c); a slot is made the
 * first time a configuration names it and is never reused, so a counter
 * never changes owner. Capacities are fixed at start: a reload that needs
 * more is refused (it needs a restart).
 */
#include <errno.h>
#include <string.h>

#include <rte_common.h>
#include <rte_malloc.h>

#include "app.h"
#include "tables.h"

/* Room for tenants and members a reload may add: twice what the starting
 * configuration has, and at least 16 tenants and 64 members more, unless
 * the configuration sets it (tuning.max_tenants, tuning.max_members). */
static uint32_t
capacity(uint32_t configured, uint32_t have, uint32_t extra, uint32_t max)
{
	uint32_t c = configured ? configured : RTE_MAX(2 * have, have + extra);

	return RTE_MIN(RTE_MAX(c, have), max);
}

static uint32_t
count_members(const struct sl_cfg *cfg)
{
	uint32_t n = 0;

	for (uint16_t t = 0; t < cfg->n_tenants; t++)
		for (uint16_t p = 0; p < cfg->tenants[t].n_pools; p++)
			n += cfg->tenants[t].pools[p].n_members;
	return n;
}

int
sl_slots_init(struct sl_app *app, const struct sl_cfg *cfg, struct sl_cfg_error *err)
{
	app->tenant_cap = (uint16_t)capacity(cfg->max_tenants, cfg->n_tenants, 16,
					     SL_MAX_TENANTS);
	app->member_cap = capacity(cfg->max_members, count_members(cfg), 64, SL_SLOT_NONE);
	app->tenant_names = rte_zmalloc("sl_tenant_names",
					(size_t)app->tenant_cap * sizeof(*app->tenant_names), 0);
	app->tenant_gens = rte_zmalloc("sl_tenant_gens",
				       (size_t)app->tenant_cap * sizeof(*app->tenant_gens), 0);
	app->tenant_records = rte_zmalloc("sl_tenant_records", app->tenant_cap, 0);
	app->members = rte_zmalloc("sl_members", (size_t)app->member_cap * sizeof(*app->members),
				   RTE_CACHE_LINE_SIZE);
	app->member_down = rte_zmalloc("sl_member_down", app->member_cap, RTE_CACHE_LINE_SIZE);
	if (app->tenant_names == NULL || app->tenant_gens == NULL ||
	    app->tenant_records == NULL || app->members == NULL ||
	    app->member_down == NULL) {
		snprintf(err->msg, sizeof(err->msg), "%s: out of memory for %u tenant and %u member "
			 "slots", cfg->path, app->tenant_cap, app->member_cap);
		return -ENOMEM;
	}
	return 0;
}

void
sl_slots_free(struct sl_app *app)
{
	for (uint32_t s = 0; app->members != NULL && s < app->n_member_slots; s++)
		sl_remote_free(&app->members[s]);
	rte_free(app->tenant_names);
	rte_free(app->tenant_gens);
	rte_free(app->tenant_records);
	rte_free(app->members);
	rte_free(app->member_down);
	app->tenant_names = NULL;
	app->tenant_gens = NULL;
	app->tenant_records = NULL;
	app->members = NULL;
	app->member_down = NULL;
}

uint16_t
sl_slot_tenant(struct sl_app *app, const char *name)
{
	for (uint16_t s = 0; s < app->n_tenant_slots; s++)
		if (strcmp(app->tenant_names[s], name) == 0)
			return s;
	if (app->n_tenant_slots >= app->tenant_cap)
		return SL_NO_TENANT;
	snprintf(app->tenant_names[app->n_tenant_slots], SL_NAME_MAX, "%s", name);
	return app->n_tenant_slots++;
}

/* A remote member is also known by its tunnel: a new tunnel is a new slot. */
static bool
same_remote(const struct sl_member_rt *mr, const struct sl_cfg_member *m)
{
	if (mr->remote == NULL)
		return m->remote.encap == SL_REMOTE_NONE;
	return sl_config_remote_equal(&mr->remote->cfg, &m->remote);
}

int
sl_slot_member(struct sl_app *app, const struct sl_cfg *cfg, uint16_t t, const char *pool,
	       const struct sl_cfg_member *m, struct sl_cfg_error *err)
{
	for (uint32_t s = 0; s < app->n_member_slots; s++) {
		const struct sl_member_rt *mr = &app->members[s];

		if (mr->tenant == t && mr->output == m->output_idx && mr->cfg_queue == m->queue &&
		    strcmp(mr->pool, pool) == 0 && same_remote(mr, m))
			return (int)s;
	}
	if (app->n_member_slots >= app->member_cap) {
		sl_config_error(cfg, err, m->loc, "members",
				"more than %u pool members since start (tuning.max_members); "
				"this needs a restart", app->member_cap);
		return -ENOSPC;
	}
	struct sl_member_rt *mr = &app->members[app->n_member_slots];
	struct sl_member_rt tmp;

	memset(&tmp, 0, sizeof(tmp));
	tmp.tenant = t;
	tmp.cfg_queue = m->queue;
	snprintf(tmp.pool, sizeof(tmp.pool), "%s", pool);
	int rc = sl_ports_member_resolve(app, cfg, m, &tmp, err);
	if (rc == 0)
		rc = sl_remote_setup(app, cfg, m, &tmp, err);
	if (rc != 0)
		return rc;
	/* written whole before any table names the slot */
	*mr = tmp;
	return (int)app->n_member_slots++;
}
