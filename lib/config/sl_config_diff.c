/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Comparing configurations for a live reload: which keys may not change in
 * a running sluice (they were set up once at start), and whether a tenant's
 * rules or whole policy changed (so that its classifier can be reused and
 * its flows keep their verdicts).
 */
#include <errno.h>
#include <string.h>

#include "sl_config_pvt.h"

#define RESTART "changed; this needs a restart (a reload cannot change it)"

static bool
str_eq(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

static int
changed(const struct sl_cfg *next, struct sl_cfg_error *err, struct sl_cfg_loc loc,
	const char *key)
{
	sl_config_error(next, err, loc, key, RESTART);
	return -EINVAL;
}

static bool
port_eq(const struct sl_cfg_port *a, const struct sl_cfg_port *b, bool output)
{
	if (!str_eq(a->name, b->name) || !str_eq(a->pci, b->pci) || !str_eq(a->vdev, b->vdev) ||
	    a->queues != b->queues)
		return false;
	if (!output)
		return a->dist == b->dist;
	return str_eq(a->ring.path, b->ring.path) && a->ring.frame_size == b->ring.frame_size &&
	       a->ring.frames == b->ring.frames && a->ring.heartbeat_ms == b->ring.heartbeat_ms;
}

static int
ports_check(const struct sl_cfg *next, const struct sl_cfg_port *a, uint16_t na,
	    const struct sl_cfg_port *b, uint16_t nb, bool output, struct sl_cfg_error *err)
{
	const char *key = output ? "outputs" : "inputs";
	enum sl_cfg_section s = output ? SL_SECT_OUTPUTS : SL_SECT_INPUTS;

	for (uint16_t i = 0; i < na && i < nb; i++)
		if (!port_eq(&a[i], &b[i], output)) {
			char k[64];

			snprintf(k, sizeof(k), "%s[%u]", key, i);
			return changed(next, err, b[i].loc, k);
		}
	if (na != nb)
		return changed(next, err, next->section_loc[s], key);
	return 0;
}

/*
 * De-duplication tables are made at start, one per worker for each tenant
 * with dedup: a reload may change a tenant's window or turn its dedup off,
 * not turn it on nor resize its table.
 */
static int
dedup_check(const struct sl_cfg *cur, const struct sl_cfg *next, struct sl_cfg_error *err)
{
	for (uint16_t i = 0; i < next->n_tenants; i++) {
		const struct sl_cfg_tenant *b = &next->tenants[i], *a = NULL;
		char key[64];

		if (b->dedup.window_us == 0)
			continue;
		for (uint16_t j = 0; j < cur->n_tenants && a == NULL; j++)
			if (str_eq(cur->tenants[j].name, b->name))
				a = &cur->tenants[j];
		if (a != NULL && a->dedup.window_us != 0 && a->dedup.table == b->dedup.table)
			continue;
		snprintf(key, sizeof(key), "tenants[%u].dedup", i);
		sl_config_error(next, err, b->dedup.loc, key,
				a == NULL || a->dedup.window_us == 0
					? "tenant '%s' has no dedup table (dedup was off); turning it "
					  "on needs a restart (a reload cannot)"
					: "tenant '%s': the dedup table size " RESTART,
				b->name);
		return -EINVAL;
	}
	return 0;
}

int
sl_config_reload_check(const struct sl_cfg *cur, const struct sl_cfg *next,
		       struct sl_cfg_error *err)
{
	int rc;

	/* eal: lcores and arguments */
	bool eal = cur->main_lcore == next->main_lcore && cur->n_workers == next->n_workers &&
		   cur->n_eal_args == next->n_eal_args;
	for (uint16_t i = 0; eal && i < cur->n_workers; i++)
		eal = cur->worker_lcores[i] == next->worker_lcores[i];
	for (uint16_t i = 0; eal && i < cur->n_eal_args; i++)
		eal = str_eq(cur->eal_args[i], next->eal_args[i]);
	if (!eal)
		return changed(next, err, next->section_loc[SL_SECT_EAL], "eal");
	if ((rc = ports_check(next, cur->inputs, cur->n_inputs, next->inputs, next->n_inputs, false,
			      err)) != 0 ||
	    (rc = ports_check(next, cur->outputs, cur->n_outputs, next->outputs, next->n_outputs,
			      true, err)) != 0)
		return rc;
	const struct sl_cfg_tunnels *ta = &cur->tunnels, *tb = &next->tunnels;
	if (ta->max_depth != tb->max_depth || ta->mpls_pw != tb->mpls_pw ||
	    ta->n_vxlan_ports != tb->n_vxlan_ports || ta->n_geneve_ports != tb->n_geneve_ports ||
	    memcmp(ta->vxlan_ports, tb->vxlan_ports, sizeof(ta->vxlan_ports)) != 0 ||
	    memcmp(ta->geneve_ports, tb->geneve_ports, sizeof(ta->geneve_ports)) != 0)
		return changed(next, err, next->section_loc[SL_SECT_TUNNELS], "tunnels");
	const struct sl_cfg_fragments *fa = &cur->fragments, *fb = &next->fragments;
	if (fa->hold_ms != fb->hold_ms || fa->remember_ms != fb->remember_ms ||
	    fa->max_held != fb->max_held || fa->tenant_max_held != fb->tenant_max_held ||
	    fa->datagram_max_held != fb->datagram_max_held || fa->table_size != fb->table_size ||
	    fa->max_held_bytes != fb->max_held_bytes)
		return changed(next, err, next->section_loc[SL_SECT_FRAGMENTS], "fragments");
	if (strcmp(cur->admin.socket, next->admin.socket) != 0 || cur->admin.mode != next->admin.mode ||
	    cur->admin.uid != next->admin.uid || cur->admin.gid != next->admin.gid)
		return changed(next, err, next->section_loc[SL_SECT_ADMIN], "admin");
	/* the HTTP server listens once, at start */
	if (!str_eq(cur->metrics.listen, next->metrics.listen))
		return changed(next, err, next->section_loc[SL_SECT_METRICS], "metrics.listen");
	if (cur->flow_table_size != next->flow_table_size)
		return changed(next, err, next->section_loc[SL_SECT_FLOW_TABLE], "flow_table.size");
	if (cur->stats_interval_ms != next->stats_interval_ms ||
	    !str_eq(cur->stats_path, next->stats_path))
		return changed(next, err, next->section_loc[SL_SECT_STATS], "stats");
	/* detectors are made at start: switching detection on (an app rule
	 * where there was none) or resizing them is a restart; a reload that
	 * leaves no app rule just leaves them idle */
	const struct sl_cfg_appid *aa = &cur->appid, *ab = &next->appid;
	if (!aa->enabled && ab->enabled) {
		sl_config_error(next, err, ab->loc, "appid",
				"application detection was off at start (no appid: section and "
				"no rule with app, category or sni); " RESTART);
		return -EINVAL;
	}
	if (aa->section != ab->section || aa->flows != ab->flows ||
	    aa->detecting != ab->detecting || aa->max_packets != ab->max_packets ||
	    aa->handshake_packets != ab->handshake_packets || aa->memory != ab->memory)
		return changed(next, err, ab->section ? ab->loc : next->section_loc[SL_SECT_TENANTS],
			       "appid");
	if (cur->mbufs != next->mbufs || cur->mbuf_size != next->mbuf_size ||
	    cur->sw_ring_size != next->sw_ring_size || cur->record_ring != next->record_ring ||
	    cur->rx_desc != next->rx_desc ||
	    cur->tx_desc != next->tx_desc || cur->hash_seed != next->hash_seed ||
	    cur->max_tenants != next->max_tenants || cur->max_members != next->max_members)
		return changed(next, err, next->section_loc[SL_SECT_TUNING], "tuning");
	return dedup_check(cur, next, err);
}

static bool
cidr_eq(const struct sl_cfg_cidr *a, const struct sl_cfg_cidr *b)
{
	return a->family == b->family && a->prefix == b->prefix &&
	       memcmp(a->addr, b->addr, sizeof(a->addr)) == 0;
}

static bool
match_eq(const struct sl_cfg_rule *a, const struct sl_cfg_rule *b)
{
	return cidr_eq(&a->src, &b->src) && cidr_eq(&a->dst, &b->dst) &&
	       a->sport_lo == b->sport_lo && a->sport_hi == b->sport_hi &&
	       a->dport_lo == b->dport_lo && a->dport_hi == b->dport_hi && a->proto == b->proto &&
	       a->vlan_lo == b->vlan_lo && a->vlan_hi == b->vlan_hi &&
	       a->input_lo == b->input_lo && a->input_hi == b->input_hi;
}

static bool
depth_eq(const struct sl_cfg_depth *a, const struct sl_cfg_depth *b)
{
	return a->bytes == b->bytes && a->packets == b->packets &&
	       a->per_direction == b->per_direction;
}

/* The app keys of two rules (both app rules, or both port rules). */
static bool
app_eq(const struct sl_cfg_tenant *ta, const struct sl_cfg_rule *a,
       const struct sl_cfg_tenant *tb, const struct sl_cfg_rule *b)
{
	if ((a->app == 0) != (b->app == 0))
		return false;
	if (a->app == 0)
		return true;
	const struct sl_cfg_app_match *x = &ta->app_matches[a->app - 1];
	const struct sl_cfg_app_match *y = &tb->app_matches[b->app - 1];

	if (x->n_apps != y->n_apps || x->n_cats != y->n_cats || x->n_sni != y->n_sni ||
	    memcmp(x->apps, y->apps, x->n_apps * sizeof(x->apps[0])) != 0 ||
	    memcmp(x->cats, y->cats, x->n_cats * sizeof(x->cats[0])) != 0)
		return false;
	for (uint8_t i = 0; i < x->n_sni; i++)
		if (!str_eq(x->sni[i], y->sni[i]))
			return false;
	return true;
}

bool
sl_config_tenant_rules_equal(const struct sl_cfg_tenant *a, const struct sl_cfg_tenant *b)
{
	if (a->n_rules != b->n_rules || a->max_rules != b->max_rules ||
	    a->acl_memory != b->acl_memory)
		return false;
	for (uint32_t i = 0; i < a->n_rules; i++)
		if (!match_eq(&a->rules[i], &b->rules[i]) ||
		    !app_eq(a, &a->rules[i], b, &b->rules[i]))
			return false;
	return true;
}

static bool
pool_eq(const struct sl_cfg_pool *a, const struct sl_cfg_pool *b)
{
	if (!str_eq(a->name, b->name) || !depth_eq(&a->depth, &b->depth) || a->hash != b->hash ||
	    a->on_member_down != b->on_member_down || a->strip != b->strip ||
	    a->retag_vlan != b->retag_vlan || a->n_members != b->n_members)
		return false;
	for (uint16_t m = 0; m < a->n_members; m++)
		if (!str_eq(a->members[m].output, b->members[m].output) ||
		    a->members[m].queue != b->members[m].queue ||
		    !sl_config_remote_equal(&a->members[m].remote, &b->members[m].remote))
			return false;
	return true;
}

bool
sl_config_tenant_policy_equal(const struct sl_cfg_tenant *a, const struct sl_cfg_tenant *b)
{
	if (!sl_config_tenant_rules_equal(a, b) || a->n_pools != b->n_pools ||
	    a->default_pool != b->default_pool || a->non_ip != b->non_ip ||
	    a->malformed != b->malformed || a->elephant.bytes_per_sec != b->elephant.bytes_per_sec ||
	    a->elephant.window_ms != b->elephant.window_ms ||
	    a->elephant.action != b->elephant.action || a->elephant.slice != b->elephant.slice)
		return false;
	for (uint16_t p = 0; p < a->n_pools; p++)
		if (!pool_eq(&a->pools[p], &b->pools[p]))
			return false;
	for (uint32_t i = 0; i < a->n_rules; i++) {
		const struct sl_cfg_rule *x = &a->rules[i], *y = &b->rules[i];

		if (x->action != y->action || x->n_pools != y->n_pools ||
		    memcmp(x->pools, y->pools, sizeof(x->pools)) != 0 || x->slice != y->slice ||
		    x->sample != y->sample || x->has_depth != y->has_depth ||
		    !depth_eq(&x->depth, &y->depth))
			return false;
	}
	return true;
}
