/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Building one generation of tenant tables from a configuration: per-input
 * VLAN maps, QinQ pairs and tunnel ids (values are tenant slots), each
 * tenant's pools (member slots) and policy (policy.c), and where each member
 * slot sits. Runs on the control thread, at start and on reload, off the
 * data path; the result is published by reload.c.
 *
 * The config loader has already rejected overlaps, so building the maps here
 * cannot meet a conflict. QinQ pairs are few per input and looked up per
 * packet only for double-tagged frames: a sorted array and binary search
 * keep them in one cache-friendly block (an rte_hash would need one table
 * per input for a handful of keys).
 */
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_malloc.h>

#include "app.h"
#include "datapath.h"
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
build_map(struct sl_tables *tb, uint16_t input)
{
	const struct sl_cfg *cfg = tb->cfg;
	struct sl_tenant_map *m = &tb->maps[input];
	uint32_t n = 0;

	for (uint16_t t = 0; t < cfg->n_tenants; t++) {
		const struct sl_cfg_tenant *ct = &cfg->tenants[t];
		uint16_t slot = tb->slot_of[t];

		/* a tunnel tenant's vlan list filters its tunnel match; it does
		 * not claim those VLANs */
		if (!tenant_on_input(ct, input) || sl_config_tenant_is_tunnel(ct))
			continue;
		for (uint16_t r = 0; r < ct->n_vlans; r++)
			for (uint32_t v = ct->vlans[r].lo; v <= ct->vlans[r].hi; v++)
				m->vlan[v] = slot + 1;
		if (ct->untagged)
			m->vlan[SL_UNTAGGED_VLAN] = slot + 1;
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
				   << 16) | tb->slot_of[t];
	}
	qsort(kv, n, sizeof(*kv), cmp_u64);
	for (uint32_t i = 0; i < n; i++) {
		m->qinq_key[i] = (uint32_t)(kv[i] >> 16);
		m->qinq_tenant[i] = (uint16_t)(kv[i] & 0xffff);
	}
	free(kv);
	return 0;
}

static int
cmp_id(const void *a, const void *b)
{
	const struct sl_id_range *x = a, *y = b;

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
build_ids(struct sl_tables *tb, uint16_t input, enum sl_id_kind k)
{
	const struct sl_cfg *cfg = tb->cfg;
	struct sl_id_map *im = &tb->maps[input].ids[k];
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
	im->r = rte_zmalloc("sl_id_ranges", n * sizeof(*im->r), 0);
	if (im->r == NULL)
		return -ENOMEM;
	n = 0;
	for (uint16_t t = 0; t < cfg->n_tenants; t++) {
		if (!tenant_on_input(&cfg->tenants[t], input))
			continue;
		tenant_ids(&cfg->tenants[t], k, &nr, &r);
		for (uint16_t i = 0; i < nr; i++)
			im->r[n++] = (struct sl_id_range){
				.lo = r[i].lo, .hi = r[i].hi,
				.vlan_filter = tb->tenants[tb->slot_of[t]].vlan_filter,
				.tenant = tb->slot_of[t] };
	}
	qsort(im->r, n, sizeof(*im->r), cmp_id);
	im->n = n;
	return 0;
}

/* A tenant's pools: member slots (made if new), how flows spread. */
static int
build_pools(struct sl_app *app, struct sl_tables *tb, uint16_t slot, struct sl_cfg_error *err)
{
	const struct sl_cfg_tenant *ct = tb->tenants[slot].cfg;
	struct sl_tenant_rt *rt = &tb->tenants[slot];

	for (uint16_t p = 0; p < ct->n_pools; p++) {
		const struct sl_cfg_pool *cp = &ct->pools[p];
		uint16_t *slots = rte_zmalloc("sl_pool_slots", cp->n_members * sizeof(uint16_t), 0);

		if (slots == NULL)
			return -ENOMEM;
		rt->pools[p].steer = (struct sl_pool_steer){
			.n_members = cp->n_members,
			.fields = (uint8_t)cp->hash,
			.resteer = cp->on_member_down == SL_DOWN_RESTEER,
			.slots = slots,
		};
		/* the member is chosen by the tenant's id, not its slot: the
		 * same on every sluice with this configuration */
		sl_pool_steer_place(&rt->pools[p].steer, slot, ct->id, tb->cfg->hash_seed);
		rt->pools[p].strip = cp->strip;
		rt->pools[p].retag_vlan = cp->retag_vlan;
		rt->pol.pool_depth[p] = (struct sl_depth){
			.bytes = cp->depth.bytes,
			.packets = cp->depth.packets,
			.per_direction = cp->depth.per_direction,
		};
		for (uint16_t i = 0; i < cp->n_members; i++) {
			int s = sl_slot_member(app, tb->cfg, slot, cp->name, &cp->members[i], err);

			if (s < 0)
				return s;
			slots[i] = (uint16_t)s;
			app->members[s].tenant_id = ct->id;
			app->members[s].index = i;
			tb->pos[s] = (struct sl_slot_pos){ .present = true, .pool = (uint8_t)p,
							   .index = i,
							   .strip = (uint8_t)cp->strip };
		}
	}
	return 0;
}

static uint64_t
min_timeout(const uint32_t tmo[SL_TCLASS_MAX])
{
	uint64_t m = tmo[0];

	for (int c = 1; c < SL_TCLASS_MAX; c++)
		m = RTE_MIN(m, tmo[c]);
	return m;
}

static void
timeouts(struct sl_app *app, struct sl_tables *tb)
{
	const struct sl_cfg *cfg = tb->cfg;
	uint32_t *tmo = tb->timeout;

	/* flow-time units (lib/flow): at most 86400 s, far below 2^32 units */
	tmo[SL_TCLASS_TCP] = (uint32_t)(cfg->timeouts.tcp * app->ft_hz);
	tmo[SL_TCLASS_UDP] = (uint32_t)(cfg->timeouts.udp * app->ft_hz);
	tmo[SL_TCLASS_ICMP] = (uint32_t)(cfg->timeouts.icmp * app->ft_hz);
	tmo[SL_TCLASS_OTHER] = (uint32_t)(cfg->timeouts.other * app->ft_hz);
	tmo[SL_TCLASS_CLOSED] = (uint32_t)(cfg->timeouts.tcp_closed * app->ft_hz);
	tmo[SL_TCLASS_BYPASSED] = (uint32_t)(cfg->timeouts.bypassed * app->ft_hz);
	/* a sweep of the table per SL_AGE_SWEEP_DIV-th of the shortest timeout:
	 * a flow is removed at most 1/4 late (TSC between batches) */
	uint64_t batches = (cfg->flow_table_size + SL_AGE_BUDGET - 1) / SL_AGE_BUDGET;
	tb->age_interval = (min_timeout(tmo) << app->ft_shift) / SL_AGE_SWEEP_DIV / batches;
}

struct sl_tables *
sl_tables_build(struct sl_app *app, struct sl_cfg *cfg, const struct sl_tables *old,
		struct sl_cfg_error *err)
{
	struct sl_tables *tb = rte_zmalloc("sl_tables", sizeof(*tb), 0);
	/* slots made by a build that fails are given back: no table names them */
	uint16_t tenant_slots = app->n_tenant_slots;
	uint32_t member_slots = app->n_member_slots;
	int rc = -ENOMEM;

	if (tb == NULL)
		goto nomem;
	tb->cfg = cfg;
	tb->generation = old != NULL ? old->generation + 1 : 1;
	/* tenant slots first: a reload past the capacity changes nothing */
	tb->slot_of = rte_zmalloc("sl_slot_of", (cfg->n_tenants + 1) * sizeof(uint16_t), 0);
	if (tb->slot_of == NULL)
		goto nomem;
	for (uint16_t t = 0; t < cfg->n_tenants; t++) {
		tb->slot_of[t] = sl_slot_tenant(app, cfg->tenants[t].name);
		if (tb->slot_of[t] == SL_NO_TENANT) {
			sl_config_error(cfg, err, cfg->tenants[t].loc, "tenants",
					"tenant '%s': more than %u tenants since start "
					"(tuning.max_tenants); this needs a restart",
					cfg->tenants[t].name, app->tenant_cap);
			rc = -ENOSPC;
			goto fail;
		}
	}
	tb->n_tenant_slots = app->tenant_cap;
	tb->n_member_slots = app->member_cap;
	tb->tenants = rte_zmalloc("sl_tenants", tb->n_tenant_slots * sizeof(*tb->tenants),
				  RTE_CACHE_LINE_SIZE);
	tb->n_inputs = cfg->n_inputs;
	tb->maps = rte_zmalloc("sl_maps", cfg->n_inputs * sizeof(*tb->maps), 0);
	tb->pos = rte_zmalloc("sl_pos", tb->n_member_slots * sizeof(*tb->pos), 0);
	tb->flow_quota = rte_zmalloc("sl_quota", tb->n_tenant_slots * sizeof(uint32_t), 0);
	if (tb->tenants == NULL || tb->maps == NULL || tb->pos == NULL || tb->flow_quota == NULL)
		goto nomem;
	uint32_t n_rec = 0;
	for (uint16_t t = 0; t < cfg->n_tenants; t++) {
		const struct sl_cfg_tenant *ct = &cfg->tenants[t];
		uint16_t slot = tb->slot_of[t];
		struct sl_tenant_rt *rt = &tb->tenants[slot];
		const struct sl_tenant_rt *prev = old != NULL ? sl_tenant_of(old, slot) : NULL;

		rt->present = true;
		rt->cfg = ct;
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
		rt->non_ip = ct->non_ip;
		rt->malformed = ct->malformed;
		rt->pol.n_pools = ct->n_pools;
		rt->pol.default_pool = ct->default_pool;
		rt->pol.place_xor = sl_flow_tenant_xor(slot, ct->id, SL_FIELDS_5TUPLE, cfg->hash_seed);
		/* each worker reserves its share of the tenant's bound */
		tb->flow_quota[slot] = (uint32_t)(((uint64_t)ct->max_flows + app->n_workers - 1) /
						  app->n_workers);
		rt->quota_drop = ct->on_flow_quota == SL_QUOTA_DROP;
		rt->rate = ct->rate;
		rt->metered = ct->rate.pps != 0 || ct->rate.bytes_per_sec != 0;
		/* the tables were made at start (dedup.c; a reload cannot turn
		 * dedup on, sl_config_reload_check()) */
		if (ct->dedup.window_us != 0) {
			rt->dedup_tsc = RTE_MAX(ct->dedup.window_us * app->tsc_hz / 1000000,
						(uint64_t)1);
			tb->any_dedup = true;
		}
		n_rec += ct->records.kind != SL_RECORDS_NONE;
		if ((rc = build_pools(app, tb, slot, err)) != 0)
			goto fail;
		if ((rc = sl_policy_tenant_build(app, tb, slot, prev, err)) != 0)
			goto fail;
	}
	if (old != NULL)
		for (uint16_t s = 0; s < old->n_tenant_slots; s++)
			if (old->tenants[s].present && !tb->tenants[s].present)
				tb->removed = true;
	for (uint16_t i = 0; i < cfg->n_inputs; i++) {
		if (build_map(tb, i) != 0)
			goto nomem;
		for (int k = 0; k < SL_ID_KINDS; k++)
			if (build_ids(tb, i, (enum sl_id_kind)k) != 0)
				goto nomem;
	}
	tb->default_tenant = cfg->default_tenant >= 0 ? tb->slot_of[cfg->default_tenant] : -1;
	/* the record ring is shared by equal parts: one tenant's churn cannot
	 * take another's room */
	tb->rec_share = (tb->cfg->record_ring - 1) / RTE_MAX(n_rec, 1u);
	timeouts(app, tb);
	return tb;
nomem:
	rc = -ENOMEM;
	snprintf(err->msg, sizeof(err->msg), "%s: out of memory building tenant tables",
		 cfg->path);
fail:
	if (tb != NULL) {
		tb->cfg = NULL; /* the caller keeps it on failure */
		sl_tables_free(tb);
	}
	app->n_tenant_slots = tenant_slots;
	app->n_member_slots = member_slots;
	rte_errno = -rc;
	return NULL;
}

void
sl_tables_free(struct sl_tables *tb)
{
	if (tb == NULL)
		return;
	if (tb->maps != NULL)
		for (uint16_t i = 0; i < tb->n_inputs; i++) {
			rte_free(tb->maps[i].qinq_key);
			rte_free(tb->maps[i].qinq_tenant);
			for (int k = 0; k < SL_ID_KINDS; k++) {
				rte_free(tb->maps[i].ids[k].r);
			}
		}
	if (tb->tenants != NULL)
		for (uint16_t s = 0; s < tb->n_tenant_slots; s++) {
			struct sl_tenant_rt *rt = &tb->tenants[s];

			rte_free(rt->vlan_filter);
			for (uint16_t p = 0; p < SL_MAX_POOLS_PER_TENANT; p++)
				rte_free((void *)(uintptr_t)rt->pools[p].steer.slots);
			sl_policy_tenant_free(rt);
		}
	rte_free(tb->maps);
	rte_free(tb->tenants);
	rte_free(tb->pos);
	rte_free(tb->flow_quota);
	rte_free(tb->slot_of);
	sl_config_free(tb->cfg);
	rte_free(tb);
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
 * The range holding id, or NULL; im->n > 0. The last range whose lo <= id,
 * found by halving without a branch on the comparison (a conditional move
 * each step), then checked: with one range, as most inputs have per kind,
 * no step at all.
 */
static const struct sl_id_range *
id_find(const struct sl_id_map *im, uint32_t id)
{
	const struct sl_id_range *base = im->r;
	uint32_t n = im->n;

	while (n > 1) {
		uint32_t half = n / 2;

		base = base[half].lo <= id ? base + half : base;
		n -= half;
	}
	if (id < base->lo || id > base->hi)
		return NULL;
	return base;
}

/*
 * The tunnel tenant of a packet that carries a tunnel id, or -1. Out of
 * line on purpose: inlined, gcc loads the outer VLAN id for both paths up
 * front, spills it as 16 bits and reloads it as 32, a store-forwarding
 * stall on every packet (the tenant lookup was a third of sl_rx_poll's
 * samples at 1k-64; docs/performance.md).
 */
static __rte_noinline int
tunnel_tenant(const struct sl_tenant_map *m, const struct sl_pkt_info *pi)
{
	static const uint8_t kind_of[] = {
		[SL_TUNID_VXLAN_VNI] = SL_ID_VNI,     [SL_TUNID_GENEVE_VNI] = SL_ID_VNI,
		[SL_TUNID_GRE_KEY] = SL_ID_GRE_KEY,   [SL_TUNID_ERSPAN_ID] = SL_ID_ERSPAN,
	};
	/* the parser sets no other type; anything else would be a VNI */
	enum sl_id_kind k = pi->tunnel_id_type < RTE_DIM(kind_of) ?
				    (enum sl_id_kind)kind_of[pi->tunnel_id_type] :
				    SL_ID_VNI;
	const struct sl_id_range *r = m->ids[k].n ? id_find(&m->ids[k], pi->tunnel_id) : NULL;

	if (r != NULL) {
		const uint64_t *f = r->vlan_filter;
		uint16_t v = pi->vlan[0] & 0xfff;

		if (f == NULL || (pi->n_vlans > 0 && (f[v / 64] >> (v % 64)) & 1))
			return r->tenant;
	}
	return -1;
}

/*
 * Matching order for the packet's input: the outermost tunnel id (VNI, GRE
 * key, ERSPAN session) against tunnel tenants, whose optional vlan list must
 * also hold the outer VLAN; then exact QinQ (outer, inner); then the outer
 * VLAN id; untagged frames the untagged tenant; else the default tenant,
 * else SL_NO_TENANT.
 */
uint16_t
sl_tenant_lookup(const struct sl_tables *tb, uint16_t input, const struct sl_pkt_info *pi)
{
	const struct sl_tenant_map *m = &tb->maps[input];
	uint16_t t;

	if (pi->tunnel_id_type != SL_TUNID_NONE) {
		int id_t = tunnel_tenant(m, pi);

		if (id_t >= 0)
			return (uint16_t)id_t;
	}

	if (pi->n_vlans >= 2 && m->n_qinq > 0) {
		int q = qinq_find(m, (uint32_t)pi->vlan[0] << 16 | pi->vlan[1]);
		if (q >= 0)
			return (uint16_t)q;
	}
	t = m->vlan[pi->n_vlans > 0 ? (pi->vlan[0] & 0xfff) : SL_UNTAGGED_VLAN];
	if (t != 0)
		return t - 1;
	return tb->default_tenant >= 0 ? (uint16_t)tb->default_tenant : SL_NO_TENANT;
}
