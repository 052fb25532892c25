/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A tenant's pools: keys: each pool's name, hash, members (an output, a
 * queue, a remote: sl_config_remote.c), strip, retag_vlan and
 * on_member_down. Parsed in table order: a member's output before its queue
 * and its remote, a pool's strip before its retag_vlan.
 */
#include "sl_config_pvt.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const hash_names[] = { "5-tuple", "3-tuple", "2-tuple" };
static const char *const strip_names[] = { "none", "outer", "outer-retag", "outer-keep-vlan" };
static const char *const down_names[] = { "resteer", "drop" };

static int
parse_member_output(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	struct sl_cfg_member *m = obj;
	int rc, idx;

	(void)f;
	if ((rc = sl_cfg_get_str(c, n, m->output, sizeof(m->output))))
		return rc;
	idx = sl_config_find_output(c->cfg, m->output);
	if (idx < 0)
		return sl_cfg_fail(c, sl_cfg_node_loc(n), "unknown output '%s'", m->output);
	m->output_idx = (uint16_t)idx;
	return 0;
}

static int
parse_member_queue(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	struct sl_cfg_member *m = obj;
	const struct sl_cfg_port *out = &c->cfg->outputs[m->output_idx];
	long long v;

	(void)f;
	if (n->type != YAML_SCALAR_NODE || !sl_cfg_parse_ll(sl_cfg_text(n), &v))
		return sl_cfg_fail_type(c, n, "an integer");
	if (v < 0 || v >= out->queues)
		return sl_cfg_fail(c, sl_cfg_node_loc(n),
				   "%s out of range 0..%d (output '%s' has %u queue%s)",
				   sl_cfg_text(n), out->queues - 1, out->name, out->queues,
				   out->queues == 1 ? "" : "s");
	m->queue = (int32_t)v;
	return 0;
}

static const struct sl_cfg_field member_fields[] = {
	FIELD("output", parse_member_output, true),
	FIELD("queue", parse_member_queue, false),
	FIELD("remote", sl_cfg_parse_remote, false),
};

static int
parse_members(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	struct sl_cfg_pool *pool = obj;
	size_t len, mark;
	int rc;

	(void)f;
	if ((rc = sl_cfg_get_seq(c, n, 1, SL_MAX_MEMBERS_PER_POOL, &len)))
		return rc;
	pool->members = sl_cfg_calloc(len, sizeof(*pool->members));
	if (!pool->members)
		return sl_cfg_fail_nomem(c);
	pool->n_members = (uint16_t)len;
	for (size_t i = 0; i < len; i++) {
		yaml_node_t *it = sl_cfg_seq_item(c, n, i);
		struct sl_cfg_member *m = &pool->members[i];

		mark = sl_cfg_key_push(c, NULL, (long)i);
		m->loc = sl_cfg_node_loc(it);
		m->queue = -1;
		if (it->type == YAML_SCALAR_NODE) /* shorthand: "- zeek1" */
			rc = parse_member_output(c, it, m, NULL);
		else
			rc = sl_cfg_walk_map(c, it, member_fields, SL_CFG_DIM(member_fields), m);
		if (rc)
			return rc;
		sl_cfg_key_pop(c, mark);
	}
	return 0;
}

static int
parse_pool_name(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	struct sl_cfg_pool *pool = obj;
	const struct sl_cfg_tenant *t = sl_cfg_cur_tenant(c);
	int rc;

	(void)f;
	if ((rc = sl_cfg_get_name(c, n, pool->name)))
		return rc;
	for (uint16_t k = 0; k < c->pool; k++)
		if (strcmp(t->pools[k].name, pool->name) == 0)
			return sl_cfg_fail(c, sl_cfg_node_loc(n),
					   "duplicate pool name '%s' (first at %s:%d:%d)",
					   pool->name, c->path, t->pools[k].loc.line,
					   t->pools[k].loc.col);
	return 0;
}

static int
parse_hash(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	struct sl_cfg_pool *pool = obj;
	int v, rc = sl_cfg_get_enum(c, n, hash_names, SL_CFG_DIM(hash_names), &v);

	(void)f;
	if (rc == 0)
		pool->hash = (enum sl_hash_fields)v;
	return rc;
}

static int
parse_strip(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	struct sl_cfg_pool *pool = obj;
	int v, rc = sl_cfg_get_enum(c, n, strip_names, SL_CFG_DIM(strip_names), &v);

	(void)f;
	if (rc == 0)
		pool->strip = (enum sl_strip_mode)v;
	return rc;
}

/* After strip (table order): only a pool that retags may have the key, whatever its value. */
static int
parse_retag_vlan(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	struct sl_cfg_pool *pool = obj;
	long long v;
	int rc;

	(void)f;
	if (pool->strip != SL_STRIP_OUTER_RETAG)
		return sl_cfg_fail(c, sl_cfg_node_loc(n), "retag_vlan needs strip: outer-retag");
	if ((rc = sl_cfg_get_int(c, n, SL_VLAN_MIN, SL_VLAN_MAX, &v)))
		return rc;
	pool->retag_vlan = (uint16_t)v;
	return 0;
}

static int
parse_on_member_down(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj,
		     const struct sl_cfg_field *f)
{
	struct sl_cfg_pool *pool = obj;
	int v, rc = sl_cfg_get_enum(c, n, down_names, SL_CFG_DIM(down_names), &v);

	(void)f;
	if (rc == 0)
		pool->on_member_down = (enum sl_member_down_action)v;
	return rc;
}

static const struct sl_cfg_field pool_fields[] = {
	FIELD("name", parse_pool_name, true),
	FIELD("hash", parse_hash, false),
	FIELD("on_member_down", parse_on_member_down, false),
	FIELD("strip", parse_strip, false),
	FIELD("retag_vlan", parse_retag_vlan, false),
	FIELD("members", parse_members, true),
	{ .name = "depth", .parse = sl_cfg_parse_depth, .off = offsetof(struct sl_cfg_pool, depth) },
};

int
sl_cfg_parse_pools(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	struct sl_cfg_tenant *t = obj;
	size_t len, mark;
	int rc;

	(void)f;
	if ((rc = sl_cfg_get_seq(c, n, 1, SL_MAX_POOLS_PER_TENANT, &len)))
		return rc;
	t->pools = sl_cfg_calloc(len, sizeof(*t->pools));
	if (!t->pools)
		return sl_cfg_fail_nomem(c);
	t->n_pools = (uint16_t)len;
	for (size_t i = 0; i < len; i++) {
		yaml_node_t *it = sl_cfg_seq_item(c, n, i);

		mark = sl_cfg_key_push(c, NULL, (long)i);
		c->pool = (uint16_t)i;
		t->pools[i].loc = sl_cfg_node_loc(it);
		t->pools[i].hash = SL_HASH_5TUPLE;
		t->pools[i].strip = SL_STRIP_NONE;
		if ((rc = sl_cfg_walk_map(c, it, pool_fields, SL_CFG_DIM(pool_fields),
					  &t->pools[i])))
			return rc;
		if (t->pools[i].strip == SL_STRIP_OUTER_RETAG && t->pools[i].retag_vlan == 0)
			return sl_cfg_fail(c, t->pools[i].loc,
					   "missing required key 'retag_vlan' (strip is outer-retag)");
		sl_cfg_key_pop(c, mark);
	}
	return 0;
}

const char *
sl_hash_fields_name(enum sl_hash_fields h)
{
	return (unsigned int)h < SL_CFG_DIM(hash_names) ? hash_names[h] : "?";
}

const char *
sl_strip_mode_name(enum sl_strip_mode s)
{
	return (unsigned int)s < SL_CFG_DIM(strip_names) ? strip_names[s] : "?";
}
