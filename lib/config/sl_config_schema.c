/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The schema: one table of keys per YAML mapping, and the parser of each
 * key's value. Table order is the order values are parsed in, chosen so that
 * what a value refers to is already loaded: inputs, outputs and tunnels before
 * tenants, a tenant's match (sl_config_match.c) and pools
 * (sl_config_pools.c) before default_pool, eal.main_lcore before
 * eal.worker_lcores, fragments.max_held before fragments.tenant_max_held, a
 * tenant's pools and max_rules before its rules.
 */
#include "sl_config_pvt.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Seconds with up to 3 decimals, e.g. "0.5", into milliseconds. */
static bool
parse_ms(const char *s, long long *ms)
{
	long long ip = 0, frac = 0;
	int digits = 0, fdigits = 0;

	for (; *s >= '0' && *s <= '9'; s++, digits++)
		ip = ip < LLONG_MAX / 100000 ? ip * 10 + (*s - '0') : ip;
	if (*s == '.') {
		for (s++; *s >= '0' && *s <= '9'; s++, fdigits++) {
			if (fdigits < 3)
				frac = frac * 10 + (*s - '0');
			else if (fdigits == 3 && *s >= '5')
				frac++; /* rounds 0.0005 up to 1 ms */
		}
	}
	if (*s != '\0' || digits + fdigits == 0)
		return false;
	for (int i = fdigits; i < 3; i++)
		frac *= 10;
	*ms = ip * 1000 + frac;
	return true;
}

static int
parse_pow2(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	uint32_t v;
	int rc = sl_cfg_parse_uint(c, n, obj, f);

	if (rc)
		return rc;
	memcpy(&v, (char *)obj + f->off, sizeof(v));
	if (v & (v - 1))
		return sl_cfg_fail(c, sl_cfg_node_loc(n), "%s is not a power of two",
				   sl_cfg_text(n));
	return 0;
}

/* ---- eal ---- */

static int
parse_main_lcore(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	struct sl_cfg *cfg = obj;
	long long v;
	int rc = sl_cfg_get_int(c, n, 0, SL_MAX_LCORES - 1, &v);

	(void)f;
	if (rc || (rc = sl_cfg_check_lcore(c, n, (unsigned int)v)))
		return rc;
	cfg->main_lcore = (uint16_t)v;
	return 0;
}

static int
add_worker(struct sl_cfg_ctx *c, yaml_node_t *n, unsigned int lcore)
{
	struct sl_cfg *cfg = c->cfg;
	struct sl_cfg_loc loc = sl_cfg_node_loc(n);

	for (uint16_t k = 0; k < cfg->n_workers; k++)
		if (cfg->worker_lcores[k] == lcore)
			return sl_cfg_fail(c, loc, "duplicate lcore %u (also at %s:%d:%d)", lcore,
					   c->path, c->worker_loc[k].line, c->worker_loc[k].col);
	if (lcore == cfg->main_lcore)
		return sl_cfg_fail(c, loc, "lcore %u is the main lcore (eal.main_lcore)", lcore);
	if (sl_cfg_check_lcore(c, n, lcore))
		return -EINVAL;
	c->worker_loc[cfg->n_workers] = loc;
	cfg->worker_lcores[cfg->n_workers++] = (uint16_t)lcore;
	return 0;
}

static int
parse_workers(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	struct sl_cfg *cfg = obj;
	size_t len, mark;
	long long lo, hi;
	int rc;

	(void)f;
	if ((rc = sl_cfg_get_seq(c, n, 1, SL_MAX_LCORES, &len)))
		return rc;
	cfg->lcores_loc = sl_cfg_node_loc(n);
	for (size_t i = 0; i < len; i++) {
		yaml_node_t *it = sl_cfg_seq_item(c, n, i);

		mark = sl_cfg_key_push(c, NULL, (long)i);
		if ((rc = sl_cfg_get_range(c, it, 0, SL_MAX_LCORES - 1, &lo, &hi)))
			return rc;
		for (long long v = lo; v <= hi; v++)
			if ((rc = add_worker(c, it, (unsigned int)v)))
				return rc;
		sl_cfg_key_pop(c, mark);
	}
	return 0;
}

static int
parse_eal_args(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	struct sl_cfg *cfg = obj;
	size_t len, mark;
	int rc;

	(void)f;
	if ((rc = sl_cfg_get_seq(c, n, 0, SL_MAX_EAL_ARGS, &len)))
		return rc;
	for (size_t i = 0; i < len; i++) {
		yaml_node_t *it = sl_cfg_seq_item(c, n, i);

		mark = sl_cfg_key_push(c, NULL, (long)i);
		if (it->type != YAML_SCALAR_NODE)
			return sl_cfg_fail_type(c, it, "a string");
		cfg->eal_args[i] = strdup(sl_cfg_text(it));
		if (!cfg->eal_args[i])
			return sl_cfg_fail_nomem(c);
		cfg->n_eal_args++;
		sl_cfg_key_pop(c, mark);
	}
	return 0;
}

static const struct sl_cfg_field eal_fields[] = {
	FIELD("main_lcore", parse_main_lcore, false),
	FIELD("worker_lcores", parse_workers, true),
	FIELD("args", parse_eal_args, false),
};

static int
parse_eal(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	int rc = sl_cfg_parse_map(c, n, obj, f);

	/* the default main lcore 0 must exist too; reported at "eal" */
	return rc ? rc : sl_cfg_check_lcore(c, n, c->cfg->main_lcore);
}

/* ---- inputs, outputs ---- */

static int
parse_port_name(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	struct sl_cfg_port *p = obj;
	char name[SL_NAME_MAX];
	int rc;

	(void)f;
	if ((rc = sl_cfg_get_name(c, n, name)) || (rc = sl_cfg_check_port_name(c, n, p, name)))
		return rc;
	memcpy(p->name, name, sizeof(name));
	return 0;
}

static int
parse_pci(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	char buf[SL_NAME_MAX];
	int rc = sl_cfg_get_str(c, n, buf, sizeof(buf));

	(void)f;
	return rc ? rc : sl_cfg_check_pci(c, n, obj, buf);
}

static int
parse_vdev(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	char buf[SL_PATH_MAX];
	int rc = sl_cfg_get_str(c, n, buf, sizeof(buf));

	(void)f;
	return rc ? rc : sl_cfg_check_vdev(c, n, obj, buf);
}

static const char *const dist_names[] = { "auto", "rss", "software" };

static int
parse_dist(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	struct sl_cfg_port *p = obj;
	int v, rc = sl_cfg_get_enum(c, n, dist_names, SL_CFG_DIM(dist_names), &v);

	(void)f;
	if (rc == 0)
		p->dist = (enum sl_dist_mode)v;
	return rc;
}

static const struct sl_cfg_field input_fields[] = {
	FIELD("name", parse_port_name, true),
	FIELD("pci", parse_pci, false),
	FIELD("vdev", parse_vdev, false),
	UINT("queues", struct sl_cfg_port, queues, 0, 128),
	FIELD("distribution", parse_dist, false),
};

static int
parse_ring_path(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	struct sl_cfg_ring *r = obj;
	const struct sl_cfg *cfg = c->cfg;
	int rc;

	(void)f;
	if ((rc = sl_cfg_get_str(c, n, r->path, sizeof(r->path))))
		return rc;
	if (r->path[0] != '/')
		return sl_cfg_fail(c, sl_cfg_node_loc(n), "ring path '%s' must be absolute",
				   r->path);
	for (uint16_t o = 0; o < cfg->n_outputs; o++) {
		const struct sl_cfg_port *p = &cfg->outputs[o];

		if (&p->ring != r && strcmp(p->ring.path, r->path) == 0)
			return sl_cfg_fail(c, sl_cfg_node_loc(n),
					   "ring path '%s' is output '%s''s already", r->path,
					   p->name);
	}
	return 0;
}

/* Limits of lib/shmring (SL_SHMRING_FRAME_*, SL_SHMRING_FRAMES_*); the
 * config library does not link it. */
static const struct sl_cfg_field ring_fields[] = {
	FIELD("path", parse_ring_path, true),
	UINT_FN("frame_size", struct sl_cfg_ring, frame_size, 64, 1u << 20, parse_pow2),
	UINT_FN("frames", struct sl_cfg_ring, frames, 2, 1u << 24, parse_pow2),
	UINT("heartbeat_ms", struct sl_cfg_ring, heartbeat_ms, 10, 600000),
};

static int
parse_ring(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	struct sl_cfg_port *p = obj;

	(void)f;
	p->ring.frame_size = 2048;
	p->ring.frames = 4096;
	p->ring.heartbeat_ms = 1000;
	return sl_cfg_walk_map(c, n, ring_fields, SL_CFG_DIM(ring_fields), &p->ring);
}

static const struct sl_cfg_field output_fields[] = {
	FIELD("name", parse_port_name, true),
	FIELD("pci", parse_pci, false),
	FIELD("vdev", parse_vdev, false),
	FIELD("ring", parse_ring, false),
	UINT("queues", struct sl_cfg_port, queues, 1, 128),
};

static int
parse_ports(struct sl_cfg_ctx *c, yaml_node_t *n, bool output)
{
	struct sl_cfg *cfg = c->cfg;
	struct sl_cfg_port *ports;
	size_t len, mark;
	int rc;

	if ((rc = sl_cfg_get_seq(c, n, 1, output ? SL_MAX_OUTPUTS : SL_MAX_INPUTS, &len)))
		return rc;
	ports = sl_cfg_calloc(len, sizeof(*ports));
	if (!ports)
		return sl_cfg_fail_nomem(c);
	if (output) {
		cfg->outputs = ports;
		cfg->n_outputs = (uint16_t)len;
	} else {
		cfg->inputs = ports;
		cfg->n_inputs = (uint16_t)len;
	}
	for (size_t i = 0; i < len; i++) {
		yaml_node_t *it = sl_cfg_seq_item(c, n, i);
		struct sl_cfg_port *p = &ports[i];

		mark = sl_cfg_key_push(c, NULL, (long)i);
		p->loc = sl_cfg_node_loc(it);
		p->queues = output ? 1 : 0;
		p->dist = SL_DIST_AUTO;
		rc = output ? sl_cfg_walk_map(c, it, output_fields, SL_CFG_DIM(output_fields), p)
			    : sl_cfg_walk_map(c, it, input_fields, SL_CFG_DIM(input_fields), p);
		if (rc)
			return rc;
		if ((p->pci[0] != 0) + (p->vdev[0] != 0) + (p->ring.path[0] != 0) != 1)
			return sl_cfg_fail(c, p->loc, output
						  ? "exactly one of 'pci', 'vdev' or 'ring' is required"
						  : "exactly one of 'pci' or 'vdev' is required");
		if (p->ring.path[0] && p->queues != 1)
			return sl_cfg_fail(c, p->loc, "a ring output has one queue");
		sl_cfg_key_pop(c, mark);
	}
	return 0;
}

static int
parse_inputs(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	(void)obj, (void)f;
	return parse_ports(c, n, false);
}

static int
parse_outputs(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	(void)obj, (void)f;
	return parse_ports(c, n, true);
}

/* ---- tunnels ---- */

static int
parse_max_depth(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	struct sl_cfg_tunnels *tu = obj;
	long long v;
	int rc = sl_cfg_get_int(c, n, 0, SL_MAX_TUNNEL_DEPTH, &v);

	(void)f;
	if (rc)
		return rc;
	tu->max_depth = (uint8_t)v;
	c->max_depth_loc = sl_cfg_node_loc(n);
	return 0;
}

/* A list of 1..@p max distinct UDP ports, replacing the default list. */
static int
parse_udp_ports(struct sl_cfg_ctx *c, yaml_node_t *n, size_t max, uint16_t *ports,
		uint8_t *count, struct sl_cfg_loc *locs)
{
	size_t len, mark;
	long long v;
	int rc;

	if ((rc = sl_cfg_get_seq(c, n, 1, max, &len)))
		return rc;
	*count = 0;
	for (size_t i = 0; i < len; i++) {
		yaml_node_t *it = sl_cfg_seq_item(c, n, i);

		mark = sl_cfg_key_push(c, NULL, (long)i);
		if ((rc = sl_cfg_get_int(c, it, 1, UINT16_MAX, &v)))
			return rc;
		for (uint8_t k = 0; k < *count; k++)
			if (ports[k] == v)
				return sl_cfg_fail(c, sl_cfg_node_loc(it),
						   "duplicate port %lld (also at %s:%d:%d)", v,
						   c->path, locs[k].line, locs[k].col);
		locs[*count] = sl_cfg_node_loc(it);
		ports[(*count)++] = (uint16_t)v;
		sl_cfg_key_pop(c, mark);
	}
	return 0;
}

static int
parse_vxlan_ports(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	struct sl_cfg_tunnels *tu = obj;

	(void)f;
	return parse_udp_ports(c, n, SL_MAX_VXLAN_PORTS, tu->vxlan_ports, &tu->n_vxlan_ports,
			       c->vxlan_loc);
}

static int
parse_geneve_ports(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	struct sl_cfg_tunnels *tu = obj;

	(void)f;
	return parse_udp_ports(c, n, SL_MAX_GENEVE_PORTS, tu->geneve_ports, &tu->n_geneve_ports,
			       c->geneve_loc);
}

static int
parse_mpls_pw(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	struct sl_cfg_tunnels *tu = obj;

	(void)f;
	return sl_cfg_get_bool(c, n, &tu->mpls_pw);
}

static const struct sl_cfg_field tunnel_fields[] = {
	FIELD("max_depth", parse_max_depth, false),
	FIELD("vxlan_ports", parse_vxlan_ports, false),
	FIELD("geneve_ports", parse_geneve_ports, false),
	FIELD("mpls_pw", parse_mpls_pw, false),
};

static int
parse_tunnels(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	int rc;

	c->cfg->tunnels.loc = sl_cfg_node_loc(n);
	if ((rc = sl_cfg_parse_map(c, n, obj, f)))
		return rc;
	/* both lists are final here, defaults included */
	return sl_cfg_check_tunnel_ports(c);
}

/* ---- tenants ---- */

static int
parse_tenant_name(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	struct sl_cfg_tenant *t = obj;
	int rc;

	(void)f;
	if ((rc = sl_cfg_get_name(c, n, t->name)))
		return rc;
	if (strcmp(t->name, "drop") == 0)
		return sl_cfg_fail(c, sl_cfg_node_loc(n),
				   "name 'drop' is reserved (default_tenant: drop)");
	for (uint16_t k = 0; k < c->tenant; k++) {
		const struct sl_cfg_tenant *o = &c->cfg->tenants[k];

		if (strcmp(o->name, t->name) == 0)
			return sl_cfg_fail(c, sl_cfg_node_loc(n),
					   "duplicate tenant name '%s' (first at %s:%d:%d)",
					   t->name, c->path, o->loc.line, o->loc.col);
	}
	return 0;
}

static int
parse_tenant_id(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	struct sl_cfg_tenant *t = obj;
	long long v;
	int rc;

	(void)f;
	if ((rc = sl_cfg_get_int(c, n, 0, UINT16_MAX, &v)))
		return rc;
	for (uint16_t k = 0; k < c->tenant; k++) {
		const struct sl_cfg_tenant *o = &c->cfg->tenants[k];

		if (o->id == v)
			return sl_cfg_fail(c, sl_cfg_node_loc(n),
					   "duplicate tenant id %lld (tenant '%s' at %s:%d:%d)", v,
					   o->name, c->path, o->loc.line, o->loc.col);
	}
	t->id = (uint16_t)v;
	return 0;
}

static int
parse_non_ip(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	static const char *const names[] = { "member0", "drop" };
	struct sl_cfg_tenant *t = obj;
	int v, rc = sl_cfg_get_enum(c, n, names, SL_CFG_DIM(names), &v);

	(void)f;
	if (rc == 0)
		t->non_ip = (enum sl_non_ip_action)v;
	return rc;
}

static int
parse_malformed(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	static const char *const names[] = { "forward", "drop" };
	struct sl_cfg_tenant *t = obj;
	int v, rc = sl_cfg_get_enum(c, n, names, SL_CFG_DIM(names), &v);

	(void)f;
	if (rc == 0)
		t->malformed = (enum sl_malformed_action)v;
	return rc;
}

static int
parse_default_pool(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	struct sl_cfg_tenant *t = obj;
	char name[SL_NAME_MAX];
	int rc;

	(void)f;
	if ((rc = sl_cfg_get_str(c, n, name, sizeof(name))))
		return rc;
	for (uint16_t k = 0; k < t->n_pools; k++) {
		if (strcmp(t->pools[k].name, name) == 0) {
			t->default_pool = k;
			return 0;
		}
	}
	return sl_cfg_fail(c, sl_cfg_node_loc(n), "unknown pool '%s' in tenant '%s'", name,
			   t->name);
}

static const struct sl_cfg_field tenant_fields[] = {
	FIELD("name", parse_tenant_name, true),
	FIELD("id", parse_tenant_id, true),
	FIELD("match", sl_cfg_parse_match, false),
	FIELD("non_ip", parse_non_ip, false),
	FIELD("malformed", parse_malformed, false),
	FIELD("pools", sl_cfg_parse_pools, true),
	FIELD("default_pool", parse_default_pool, false),
	UINT("max_rules", struct sl_cfg_tenant, max_rules, 0, SL_MAX_RULES_PER_TENANT),
	UINT("acl_memory", struct sl_cfg_tenant, acl_memory, 65536, 4294967296LL),
	FIELD("rules", sl_cfg_parse_rules, false),
	FIELD("rules_file", sl_cfg_parse_rules_file, false),
	FIELD("elephant", sl_cfg_parse_elephant, false),
	FIELD("max_flows", sl_cfg_parse_max_flows, false),
	FIELD("on_flow_quota", sl_cfg_parse_on_flow_quota, false),
	FIELD("rate", sl_cfg_parse_rate, false),
	FIELD("dedup", sl_cfg_parse_dedup, false),
	FIELD("flow_records", sl_cfg_parse_records, false),
	FIELD("control", sl_cfg_parse_control, false),
};

static int
parse_tenants(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	struct sl_cfg *cfg = obj;
	size_t len, mark;
	int rc;

	(void)f;
	if ((rc = sl_cfg_get_seq(c, n, 1, SL_MAX_TENANTS, &len)))
		return rc;
	cfg->tenants = sl_cfg_calloc(len, sizeof(*cfg->tenants));
	c->untagged_loc = sl_cfg_calloc(len, sizeof(*c->untagged_loc));
	if (!cfg->tenants || !c->untagged_loc)
		return sl_cfg_fail_nomem(c);
	cfg->n_tenants = (uint16_t)len;
	for (size_t i = 0; i < len; i++) {
		yaml_node_t *it = sl_cfg_seq_item(c, n, i);

		mark = sl_cfg_key_push(c, NULL, (long)i);
		c->tenant = (uint16_t)i;
		cfg->tenants[i].loc = sl_cfg_node_loc(it);
		cfg->tenants[i].max_rules = 4096;
		cfg->tenants[i].acl_memory = 256ULL << 20;
		cfg->tenants[i].elephant.window_ms = 1000;
		cfg->tenants[i].control = (struct sl_cfg_control){
			.mode = 0660, .uid = -1, .gid = -1, .max_clients = 16,
			.idle_timeout_ms = 300000, .rate = 10000 };
		if ((rc = sl_cfg_walk_map(c, it, tenant_fields, SL_CFG_DIM(tenant_fields),
					  &cfg->tenants[i])))
			return rc;
		sl_cfg_key_pop(c, mark);
	}
	return 0;
}

static int
parse_default_tenant(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	struct sl_cfg *cfg = obj;
	char name[SL_NAME_MAX];
	int rc;

	(void)f;
	if ((rc = sl_cfg_get_str(c, n, name, sizeof(name))))
		return rc;
	if (strcmp(name, "drop") == 0) {
		cfg->default_tenant = -1;
		return 0;
	}
	for (uint16_t k = 0; k < cfg->n_tenants; k++) {
		if (strcmp(cfg->tenants[k].name, name) == 0) {
			cfg->default_tenant = k;
			return 0;
		}
	}
	return sl_cfg_fail(c, sl_cfg_node_loc(n),
			   "unknown tenant '%s' (expected a tenant name or 'drop')", name);
}

/* ---- flow_table ---- */

static const struct sl_cfg_field timeout_fields[] = {
	UINT("tcp", struct sl_cfg_timeouts, tcp, 1, 86400),
	UINT("udp", struct sl_cfg_timeouts, udp, 1, 86400),
	UINT("icmp", struct sl_cfg_timeouts, icmp, 1, 86400),
	UINT("other", struct sl_cfg_timeouts, other, 1, 86400),
	UINT("tcp_closed", struct sl_cfg_timeouts, tcp_closed, 1, 86400),
	UINT("bypassed", struct sl_cfg_timeouts, bypassed, 1, 86400),
};

static const struct sl_cfg_field flow_table_fields[] = {
	UINT("size", struct sl_cfg, flow_table_size, 1024, 33554432),
	SUBMAP("timeouts", sl_cfg_parse_map, false, offsetof(struct sl_cfg, timeouts),
	       timeout_fields),
};

/* ---- fragments ---- */

static int
parse_frag_max_held(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj,
		    const struct sl_cfg_field *f)
{
	int rc = sl_cfg_parse_uint(c, n, obj, f);

	if (rc == 0)
		c->max_held_loc = sl_cfg_node_loc(n);
	return rc;
}

/* After max_held (table order), so that max_held is final, default included. */
static int
parse_frag_tenant_max_held(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj,
			   const struct sl_cfg_field *f)
{
	const struct sl_cfg_fragments *fr = obj;
	struct sl_cfg_loc ml = c->max_held_loc;
	int rc = sl_cfg_parse_uint(c, n, obj, f);

	if (rc || fr->tenant_max_held <= fr->max_held)
		return rc;
	if (ml.line == 0)
		return sl_cfg_fail(c, sl_cfg_node_loc(n),
				   "%s is above fragments.max_held %" PRIu32 " (the default)",
				   sl_cfg_text(n), fr->max_held);
	return sl_cfg_fail(c, sl_cfg_node_loc(n),
			   "%s is above fragments.max_held %" PRIu32 " (%s:%d:%d)", sl_cfg_text(n),
			   fr->max_held, c->path, ml.line, ml.col);
}

static const struct sl_cfg_field fragment_fields[] = {
	UINT("hold_ms", struct sl_cfg_fragments, hold_ms, 1, 10000),
	UINT("remember_ms", struct sl_cfg_fragments, remember_ms, 10, 600000),
	UINT_FN("max_held", struct sl_cfg_fragments, max_held, 0, 1048576, parse_frag_max_held),
	UINT("max_held_bytes", struct sl_cfg_fragments, max_held_bytes, 0, 1073741824),
	UINT_FN("tenant_max_held", struct sl_cfg_fragments, tenant_max_held, 0, 1048576,
		parse_frag_tenant_max_held),
	UINT("datagram_max_held", struct sl_cfg_fragments, datagram_max_held, 1, 8192),
	UINT("table_size", struct sl_cfg_fragments, table_size, 1024, 4194304),
};

static int
parse_fragments(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	struct sl_cfg_fragments *fr = &c->cfg->fragments;
	int rc;

	fr->loc = sl_cfg_node_loc(n);
	if ((rc = sl_cfg_parse_map(c, n, obj, f)))
		return rc;
	/*
	 * An explicit tenant_max_held above max_held failed above; only the
	 * default can be left above it (max_held below 1024): it follows max_held.
	 */
	if (fr->tenant_max_held > fr->max_held)
		fr->tenant_max_held = fr->max_held;
	return 0;
}

/* ---- stats, tuning ---- */

static int
parse_interval(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	struct sl_cfg *cfg = obj;
	long long ms;

	(void)f;
	if (n->type != YAML_SCALAR_NODE || !parse_ms(sl_cfg_text(n), &ms))
		return sl_cfg_fail_type(c, n, "a number of seconds");
	if (ms < 100 || ms > 86400 * 1000LL)
		return sl_cfg_fail(c, sl_cfg_node_loc(n), "%s out of range 0.1..86400",
				   sl_cfg_text(n));
	cfg->stats_interval_ms = (uint32_t)ms;
	return 0;
}

static int
parse_stats_path(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	struct sl_cfg *cfg = obj;
	int rc = sl_cfg_get_str(c, n, cfg->stats_path, sizeof(cfg->stats_path));

	(void)f;
	if (rc == 0 && strcmp(cfg->stats_path, "-") == 0)
		cfg->stats_path[0] = '\0';
	return rc;
}

static const struct sl_cfg_field stats_fields[] = {
	FIELD("interval", parse_interval, false),
	FIELD("path", parse_stats_path, false),
};

static const struct sl_cfg_field tuning_fields[] = {
	UINT("mbufs", struct sl_cfg, mbufs, 1023, 16777215),
	UINT("mbuf_size", struct sl_cfg, mbuf_size, 256, 65535),
	{ .name = "sw_ring_size", .parse = parse_pow2, .off = offsetof(struct sl_cfg, sw_ring_size),
	  .size = sizeof(uint32_t), .lo = 256, .hi = 1048576 },
	{ .name = "record_ring", .parse = parse_pow2, .off = offsetof(struct sl_cfg, record_ring),
	  .size = sizeof(uint32_t), .lo = 256, .hi = 1048576 },
	UINT("rx_desc", struct sl_cfg, rx_desc, 64, 16384),
	UINT("tx_desc", struct sl_cfg, tx_desc, 64, 16384),
	UINT("hash_seed", struct sl_cfg, hash_seed, 0, UINT32_MAX),
	UINT("max_tenants", struct sl_cfg, max_tenants, 0, SL_MAX_TENANTS),
	UINT("max_members", struct sl_cfg, max_members, 0, 65534),
};

/* Order matters: see the comment at the top of the file. */
static const struct sl_cfg_field top_fields[] = {
	SUBMAP("eal", parse_eal, true, 0, eal_fields),
	FIELD("inputs", parse_inputs, true),
	FIELD("outputs", parse_outputs, true),
	SUBMAP("tunnels", parse_tunnels, false, offsetof(struct sl_cfg, tunnels), tunnel_fields),
	FIELD("tenants", parse_tenants, true),
	FIELD("default_tenant", parse_default_tenant, false),
	FIELD("admin", sl_cfg_parse_admin, false),
	SUBMAP("flow_table", sl_cfg_parse_map, false, 0, flow_table_fields),
	SUBMAP("fragments", parse_fragments, false, offsetof(struct sl_cfg, fragments),
	       fragment_fields),
	SUBMAP("stats", sl_cfg_parse_map, false, 0, stats_fields),
	FIELD("metrics", sl_cfg_parse_metrics, false),
	SUBMAP("tuning", sl_cfg_parse_map, false, 0, tuning_fields),
	FIELD("appid", sl_cfg_parse_appid, false),
};

/* Where each top-level key's value starts, for messages about a section
 * as a whole (a reload that changes one). */
static void
section_locs(struct sl_cfg_ctx *c, yaml_node_t *root)
{
	static const char *const names[SL_SECT_MAX] = {
		[SL_SECT_EAL] = "eal",           [SL_SECT_INPUTS] = "inputs",
		[SL_SECT_OUTPUTS] = "outputs",   [SL_SECT_TUNNELS] = "tunnels",
		[SL_SECT_TENANTS] = "tenants",   [SL_SECT_FLOW_TABLE] = "flow_table",
		[SL_SECT_FRAGMENTS] = "fragments", [SL_SECT_STATS] = "stats",
		[SL_SECT_TUNING] = "tuning",     [SL_SECT_ADMIN] = "admin",
		[SL_SECT_METRICS] = "metrics",
		[SL_SECT_APPID] = "appid",
	};

	if (root->type != YAML_MAPPING_NODE)
		return;
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = yaml_document_get_node(&c->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(&c->doc, p->value);

		if (k == NULL || v == NULL || k->type != YAML_SCALAR_NODE)
			continue;
		for (int s = 0; s < SL_SECT_MAX; s++)
			if (strcmp(sl_cfg_text(k), names[s]) == 0)
				c->cfg->section_loc[s] = sl_cfg_node_loc(v);
	}
}

int
sl_cfg_walk_top(struct sl_cfg_ctx *c, yaml_node_t *root)
{
	int rc;

	section_locs(c, root);
	if ((rc = sl_cfg_walk_map(c, root, top_fields, SL_CFG_DIM(top_fields), c->cfg)))
		return rc;
	if ((rc = sl_cfg_check_flow_bounds(c)))
		return rc;
	return sl_cfg_check_appid(c);
}

void
sl_cfg_set_defaults(struct sl_cfg *cfg, const char *path)
{
	snprintf(cfg->path, sizeof(cfg->path), "%s", path);
	cfg->main_lcore = 0;
	cfg->default_tenant = -1;
	cfg->tunnels = (struct sl_cfg_tunnels){ .max_depth = 3,
						.n_vxlan_ports = 1, .vxlan_ports = { 4789 },
						.n_geneve_ports = 1, .geneve_ports = { 6081 } };
	cfg->flow_table_size = 1048576;
	cfg->timeouts = (struct sl_cfg_timeouts){ .tcp = 300, .udp = 60, .icmp = 30, .other = 60,
						  .tcp_closed = 10, .bypassed = 120 };
	cfg->fragments = (struct sl_cfg_fragments){ .hold_ms = 100, .remember_ms = 30000,
						    .max_held = 4096, .tenant_max_held = 1024,
						    .datagram_max_held = 64, .table_size = 65536,
						    .max_held_bytes = 8388608 };
	cfg->stats_interval_ms = 10000;
	cfg->stats_path[0] = '\0';
	cfg->mbufs = 65535;
	cfg->mbuf_size = 2176;
	cfg->sw_ring_size = 4096;
	cfg->record_ring = 16384;
	cfg->rx_desc = 1024;
	cfg->tx_desc = 1024;
	cfg->hash_seed = 0x9e3779b9;
	sl_cfg_appid_defaults(&cfg->appid);
}

const char *
sl_dist_mode_name(enum sl_dist_mode m)
{
	return (unsigned int)m < SL_CFG_DIM(dist_names) ? dist_names[m] : "?";
}

