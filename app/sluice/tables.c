/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Run-time tenant tables: per-input VLAN maps, QinQ pairs, pools and members.
 *
 * The config loader has already rejected overlaps, so building the maps here
 * cannot meet a conflict. QinQ pairs are few per input and looked up per
 * packet only for double-tagged frames: a sorted array and binary search
 * keep them in one cache-friendly block (an rte_hash would need one table
 * per input for a handful of keys).
 */
#include <stdlib.h>
#include <string.h>

#include <rte_malloc.h>

#include "app.h"
#include "tables.h"

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static bool
tenant_on_input(const struct sl_cfg_tenant *t, uint16_t input)
{
	if (t->n_inputs == 0)
		return true;
	for (uint16_t i = 0; i < t->n_inputs; i++)
		if (t->inputs[i] == input)
			return true;
	return false;
}

static int
build_map(struct sl_app *app, uint16_t input)
{
	const struct sl_cfg *cfg = app->cfg;
	struct sl_tenant_map *m = &app->maps[input];
	uint32_t n = 0;

	for (uint16_t t = 0; t < cfg->n_tenants; t++) {
		const struct sl_cfg_tenant *ct = &cfg->tenants[t];

		/* a tunnel tenant's vlan list filters its tunnel match; it does
		 * not claim those VLANs */
		if (!tenant_on_input(ct, input) || sl_config_tenant_is_tunnel(ct))
			continue;
		for (uint16_t r = 0; r < ct->n_vlans; r++)
			for (uint32_t v = ct->vlans[r].lo; v <= ct->vlans[r].hi; v++)
				m->vlan[v] = t + 1;
		if (ct->untagged)
			m->vlan[SL_UNTAGGED_VLAN] = t + 1;
		n += ct->n_qinq;
	}
	m->n_qinq = n;
	if (n == 0)
		return 0;
	/* key and tenant packed in one u64 so a single sort orders both */
	uint64_t *kv = calloc(n, sizeof(*kv));
	m->qinq_key = rte_zmalloc("sl_qinq_key", n * sizeof(uint32_t), 0);
	m->qinq_tenant = rte_zmalloc("sl_qinq_tenant", n * sizeof(uint16_t), 0);
	if (kv == NULL || m->qinq_key == NULL || m->qinq_tenant == NULL) {
		free(kv);
		return -ENOMEM;
	}
	n = 0;
	for (uint16_t t = 0; t < cfg->n_tenants; t++) {
		const struct sl_cfg_tenant *ct = &cfg->tenants[t];

		if (!tenant_on_input(ct, input))
			continue;
		for (uint16_t q = 0; q < ct->n_qinq; q++)
			kv[n++] = ((uint64_t)((uint32_t)ct->qinq[q].outer << 16 | ct->qinq[q].inner)
				   << 16) | t;
	}
	qsort(kv, n, sizeof(*kv), cmp_u64);
	for (uint32_t i = 0; i < n; i++) {
		m->qinq_key[i] = (uint32_t)(kv[i] >> 16);
		m->qinq_tenant[i] = (uint16_t)(kv[i] & 0xffff);
	}
	free(kv);
	return 0;
}

struct id_ent {
	uint32_t lo, hi;
	uint16_t tenant;
};

static int
cmp_id(const void *a, const void *b)
{
	const struct id_ent *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static void
tenant_ids(const struct sl_cfg_tenant *ct, enum sl_id_kind k, uint16_t *n,
	   const struct sl_cfg_id_range **r)
{
	switch (k) {
	case SL_ID_VNI:
		*n = ct->n_vni;
		*r = ct->vni;
		break;
	case SL_ID_GRE_KEY:
		*n = ct->n_gre_key;
		*r = ct->gre_key;
		break;
	default:
		*n = ct->n_erspan_id;
		*r = ct->erspan_id;
		break;
	}
}

/* Sorted tunnel-id ranges of one kind for one input. The loader rejected
 * overlaps between tenants sharing an input, so a binary search on lo finds
 * the one candidate. */
static int
build_ids(struct sl_app *app, uint16_t input, enum sl_id_kind k)
{
	const struct sl_cfg *cfg = app->cfg;
	struct sl_id_map *im = &app->maps[input].ids[k];
	const struct sl_cfg_id_range *r;
	uint32_t n = 0;
	uint16_t nr;

	for (uint16_t t = 0; t < cfg->n_tenants; t++) {
		if (!tenant_on_input(&cfg->tenants[t], input))
			continue;
		tenant_ids(&cfg->tenants[t], k, &nr, &r);
		n += nr;
	}
	if (n == 0)
		return 0;
	struct id_ent *e = calloc(n, sizeof(*e));
	im->lo = rte_zmalloc("sl_id_lo", n * sizeof(uint32_t), 0);
	im->hi = rte_zmalloc("sl_id_hi", n * sizeof(uint32_t), 0);
	im->tenant = rte_zmalloc("sl_id_t", n * sizeof(uint16_t), 0);
	if (e == NULL || im->lo == NULL || im->hi == NULL || im->tenant == NULL) {
		free(e);
		return -ENOMEM;
	}
	n = 0;
	for (uint16_t t = 0; t < cfg->n_tenants; t++) {
		if (!tenant_on_input(&cfg->tenants[t], input))
			continue;
		tenant_ids(&cfg->tenants[t], k, &nr, &r);
		for (uint16_t i = 0; i < nr; i++)
			e[n++] = (struct id_ent){ .lo = r[i].lo, .hi = r[i].hi, .tenant = t };
	}
	qsort(e, n, sizeof(*e), cmp_id);
	for (uint32_t i = 0; i < n; i++) {
		im->lo[i] = e[i].lo;
		im->hi[i] = e[i].hi;
		im->tenant[i] = e[i].tenant;
	}
	im->n = n;
	free(e);
	return 0;
}

static int
id_find(const struct sl_id_map *im, uint32_t id)
{
	uint32_t lo = 0, hi = im->n;

	/* last range whose lo <= id */
	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;

		if (im->lo[mid] <= id)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || id > im->hi[lo - 1])
		return -1;
	return im->tenant[lo - 1];
}

int
sl_tenants_build(struct sl_app *app, struct sl_cfg_error *err)
{
	const struct sl_cfg *cfg = app->cfg;
	uint32_t n_members = 0;

	app->tenants = rte_zmalloc("sl_tenants", cfg->n_tenants * sizeof(*app->tenants), 0);
	app->maps = rte_zmalloc("sl_maps", cfg->n_inputs * sizeof(*app->maps), 0);
	if (app->tenants == NULL || app->maps == NULL)
		goto nomem;
	for (uint16_t t = 0; t < cfg->n_tenants; t++)
		for (uint16_t p = 0; p < cfg->tenants[t].n_pools; p++)
			n_members += cfg->tenants[t].pools[p].n_members;
	app->n_members = n_members;
	app->members = rte_zmalloc("sl_members", n_members * sizeof(*app->members), 0);
	if (app->members == NULL)
		goto nomem;

	uint32_t gm = 0;
	for (uint16_t t = 0; t < cfg->n_tenants; t++) {
		const struct sl_cfg_tenant *ct = &cfg->tenants[t];
		struct sl_tenant_rt *rt = &app->tenants[t];

		if (sl_config_tenant_is_tunnel(ct) && ct->n_vlans > 0) {
			rt->vlan_filter = rte_zmalloc("sl_vlan_filter",
						      (SL_UNTAGGED_VLAN / 64) * sizeof(uint64_t), 0);
			if (rt->vlan_filter == NULL)
				goto nomem;
			for (uint16_t r = 0; r < ct->n_vlans; r++)
				for (uint32_t v = ct->vlans[r].lo; v <= ct->vlans[r].hi; v++)
					rt->vlan_filter[v / 64] |= 1ull << (v % 64);
		}
		rt->n_pools = ct->n_pools;
		rt->default_pool = ct->default_pool;
		rt->pol.n_pools = ct->n_pools;
		rt->pol.default_pool = ct->default_pool;
		rt->non_ip = ct->non_ip;
		rt->malformed = ct->malformed;
		for (uint16_t p = 0; p < ct->n_pools; p++) {
			const struct sl_cfg_pool *cp = &ct->pools[p];

			rt->pools[p].first_member = gm;
			rt->pools[p].steer = (struct sl_pool_steer){
				.n_members = cp->n_members,
				.fields = (uint8_t)cp->hash,
				.resteer = cp->on_member_down == SL_DOWN_RESTEER,
			};
			rt->pools[p].strip = cp->strip;
			rt->pools[p].retag_vlan = cp->retag_vlan;
			rt->pol.pool_depth[p] = (struct sl_depth){
				.bytes = cp->depth.bytes,
				.packets = cp->depth.packets,
				.per_direction = cp->depth.per_direction,
			};
			for (uint16_t i = 0; i < cp->n_members; i++, gm++) {
				struct sl_member_rt *m = &app->members[gm];

				m->output = cp->members[i].output_idx;
				m->tenant = t;
				m->tenant_id = ct->id;
				m->pool = (uint8_t)p;
				/* port, queue and lock are resolved by sl_ports_setup() */
				m->queue = cp->members[i].queue < 0 ? SL_QUEUE_PER_WORKER
								    : (uint16_t)cp->members[i].queue;
			}
		}
	}
	for (uint16_t i = 0; i < cfg->n_inputs; i++) {
		if (build_map(app, i) != 0)
			goto nomem;
		for (int k = 0; k < SL_ID_KINDS; k++)
			if (build_ids(app, i, (enum sl_id_kind)k) != 0)
				goto nomem;
	}
	app->default_tenant = cfg->default_tenant;
	return 0;
nomem:
	snprintf(err->msg, sizeof(err->msg), "%s: out of memory building tenant tables",
		 cfg->path);
	return -ENOMEM;
}

void
sl_tenants_free(struct sl_app *app)
{
	if (app->maps != NULL)
		for (uint16_t i = 0; i < app->cfg->n_inputs; i++) {
			rte_free(app->maps[i].qinq_key);
			rte_free(app->maps[i].qinq_tenant);
			for (int k = 0; k < SL_ID_KINDS; k++) {
				rte_free(app->maps[i].ids[k].lo);
				rte_free(app->maps[i].ids[k].hi);
				rte_free(app->maps[i].ids[k].tenant);
			}
		}
	if (app->tenants != NULL)
		for (uint16_t t = 0; t < app->cfg->n_tenants; t++)
			rte_free(app->tenants[t].vlan_filter);
	rte_free(app->maps);
	rte_free(app->members);
	rte_free(app->tenants);
	app->maps = NULL;
	app->members = NULL;
	app->tenants = NULL;
}

static int
qinq_find(const struct sl_tenant_map *m, uint32_t key)
{
	uint32_t lo = 0, hi = m->n_qinq;

	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;

		if (m->qinq_key[mid] < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (lo < m->n_qinq && m->qinq_key[lo] == key) ? (int)m->qinq_tenant[lo] : -1;
}

/*
 * Matching order for the packet's input: the outermost tunnel id (VNI, GRE
 * key, ERSPAN session) against tunnel tenants, whose optional vlan list must
 * also hold the outer VLAN; then exact QinQ (outer, inner); then the outer
 * VLAN id; untagged frames the untagged tenant; else the default tenant,
 * else SL_NO_TENANT.
 */
uint16_t
sl_tenant_lookup(const struct sl_app *app, uint16_t input, const struct sl_pkt_info *pi)
{
	const struct sl_tenant_map *m = &app->maps[input];
	uint16_t t;

	if (pi->tunnel_id_type != SL_TUNID_NONE) {
		enum sl_id_kind k = pi->tunnel_id_type == SL_TUNID_GRE_KEY     ? SL_ID_GRE_KEY
				    : pi->tunnel_id_type == SL_TUNID_ERSPAN_ID ? SL_ID_ERSPAN
									       : SL_ID_VNI;
		int id_t = m->ids[k].n ? id_find(&m->ids[k], pi->tunnel_id) : -1;

		if (id_t >= 0) {
			const uint64_t *f = app->tenants[id_t].vlan_filter;
			uint16_t v = pi->vlan[0] & 0xfff;

			if (f == NULL || (pi->n_vlans > 0 && (f[v / 64] >> (v % 64)) & 1))
				return (uint16_t)id_t;
		}
	}

	if (pi->n_vlans >= 2 && m->n_qinq > 0) {
		int q = qinq_find(m, (uint32_t)pi->vlan[0] << 16 | pi->vlan[1]);
		if (q >= 0)
			return (uint16_t)q;
	}
	t = m->vlan[pi->n_vlans > 0 ? (pi->vlan[0] & 0xfff) : SL_UNTAGGED_VLAN];
	if (t != 0)
		return t - 1;
	return app->default_tenant >= 0 ? (uint16_t)app->default_tenant : SL_NO_TENANT;
}
