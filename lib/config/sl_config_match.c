/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A tenant's match: keys, what claims its packets: its inputs, tunnel ids
 * (VNI, GRE key, ERSPAN session), VLANs, QinQ pairs and untagged frames,
 * with the checks that no two tenants claim the same packets on an input
 * (sl_config_check.c). Parsed in the order of match_fields below.
 */
#include "sl_config_pvt.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
parse_match_inputs(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	struct sl_cfg_tenant *t = obj;
	char name[SL_NAME_MAX];
	size_t len, mark;
	int rc;

	(void)f;
	if ((rc = sl_cfg_get_seq(c, n, 1, SL_MAX_INPUTS, &len)))
		return rc;
	t->inputs = sl_cfg_calloc(len, sizeof(*t->inputs));
	if (!t->inputs)
		return sl_cfg_fail_nomem(c);
	for (size_t i = 0; i < len; i++) {
		yaml_node_t *it = sl_cfg_seq_item(c, n, i);
		int idx;

		mark = sl_cfg_key_push(c, NULL, (long)i);
		if ((rc = sl_cfg_get_str(c, it, name, sizeof(name))))
			return rc;
		idx = sl_config_find_input(c->cfg, name);
		if (idx < 0)
			return sl_cfg_fail(c, sl_cfg_node_loc(it), "unknown input '%s'", name);
		for (uint16_t k = 0; k < t->n_inputs; k++)
			if (t->inputs[k] == idx)
				return sl_cfg_fail(c, sl_cfg_node_loc(it), "duplicate input '%s'",
						   name);
		t->inputs[t->n_inputs++] = (uint16_t)idx;
		sl_cfg_key_pop(c, mark);
	}
	return 0;
}

static int
parse_vlans(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	struct sl_cfg_tenant *t = obj;
	size_t len, mark;
	long long lo, hi;
	int rc;

	(void)f;
	if ((rc = sl_cfg_get_seq(c, n, 0, SL_VLAN_MAX, &len)))
		return rc;
	t->vlans = sl_cfg_calloc(len, sizeof(*t->vlans));
	if (!t->vlans)
		return sl_cfg_fail_nomem(c);
	for (size_t i = 0; i < len; i++) {
		yaml_node_t *it = sl_cfg_seq_item(c, n, i);
		struct sl_cfg_vlan_range r;

		mark = sl_cfg_key_push(c, NULL, (long)i);
		if ((rc = sl_cfg_get_range(c, it, SL_VLAN_MIN, SL_VLAN_MAX, &lo, &hi)))
			return rc;
		r = (struct sl_cfg_vlan_range){ (uint16_t)lo, (uint16_t)hi, sl_cfg_node_loc(it) };
		if ((rc = sl_cfg_check_vlan(c, it, &r)))
			return rc;
		t->vlans[t->n_vlans++] = r;
		sl_cfg_key_pop(c, mark);
	}
	return 0;
}

/* A list of tunnel ids of kind @p k: 1..SL_MAX_IDS_PER_TENANT ints or "lo-hi" ranges. */
static int
parse_tunnel_ids(struct sl_cfg_ctx *c, yaml_node_t *n, struct sl_cfg_tenant *t,
		 enum sl_cfg_id_kind k)
{
	static const long long id_max[SL_CFG_ID_KINDS] = {
		[SL_CFG_ID_VNI] = SL_VNI_MAX,
		[SL_CFG_ID_GRE_KEY] = SL_GRE_KEY_MAX,
		[SL_CFG_ID_ERSPAN] = SL_ERSPAN_ID_MAX,
	};
	struct sl_cfg_id_range **list = k == SL_CFG_ID_VNI ? &t->vni
				      : k == SL_CFG_ID_GRE_KEY ? &t->gre_key : &t->erspan_id;
	uint16_t *count = k == SL_CFG_ID_VNI ? &t->n_vni
			: k == SL_CFG_ID_GRE_KEY ? &t->n_gre_key : &t->n_erspan_id;
	struct sl_cfg_loc depth = c->max_depth_loc;
	size_t len, mark;
	long long lo, hi;
	int rc;

	if ((rc = sl_cfg_get_seq(c, n, 1, SL_MAX_IDS_PER_TENANT, &len)))
		return rc;
	if (c->cfg->tunnels.max_depth == 0) /* never the default, so its place is known */
		return sl_cfg_fail(c, sl_cfg_node_loc(n),
				   "tunnel ids need tunnels.max_depth >= 1 (it is 0 at %s:%d:%d)",
				   c->path, depth.line, depth.col);
	*list = sl_cfg_calloc(len, sizeof(**list));
	if (!*list)
		return sl_cfg_fail_nomem(c);
	for (size_t i = 0; i < len; i++) {
		yaml_node_t *it = sl_cfg_seq_item(c, n, i);
		struct sl_cfg_id_range r;

		mark = sl_cfg_key_push(c, NULL, (long)i);
		if ((rc = sl_cfg_get_range(c, it, 0, id_max[k], &lo, &hi)))
			return rc;
		r = (struct sl_cfg_id_range){ (uint32_t)lo, (uint32_t)hi, sl_cfg_node_loc(it) };
		if ((rc = sl_cfg_check_tunnel_id(c, it, k, &r)))
			return rc;
		(*list)[(*count)++] = r;
		sl_cfg_key_pop(c, mark);
	}
	return 0;
}

static int
parse_vni(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	(void)f;
	return parse_tunnel_ids(c, n, obj, SL_CFG_ID_VNI);
}

static int
parse_gre_key(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	(void)f;
	return parse_tunnel_ids(c, n, obj, SL_CFG_ID_GRE_KEY);
}

static int
parse_erspan_id(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	(void)f;
	return parse_tunnel_ids(c, n, obj, SL_CFG_ID_ERSPAN);
}

/* qinq and untagged claim tags; a tunnel tenant only filters on the outer VLAN. */
static int
check_not_tunnel(struct sl_cfg_ctx *c, const yaml_node_t *n, const struct sl_cfg_tenant *t)
{
	if (sl_config_tenant_is_tunnel(t))
		return sl_cfg_fail(c, sl_cfg_node_loc(n),
				   "qinq/untagged cannot be combined with tunnel ids; use vlan");
	return 0;
}

static const struct sl_cfg_field qinq_fields[] = {
	UINT_FIELD("outer", struct sl_cfg_qinq, outer, SL_VLAN_MIN, SL_VLAN_MAX, true),
	UINT_FIELD("inner", struct sl_cfg_qinq, inner, SL_VLAN_MIN, SL_VLAN_MAX, true),
};

static int
parse_qinq(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	struct sl_cfg_tenant *t = obj;
	size_t len, mark;
	int rc;

	(void)f;
	if ((rc = check_not_tunnel(c, n, t)) ||
	    (rc = sl_cfg_get_seq(c, n, 0, SL_MAX_QINQ_PER_TENANT, &len)))
		return rc;
	t->qinq = sl_cfg_calloc(len, sizeof(*t->qinq));
	if (!t->qinq)
		return sl_cfg_fail_nomem(c);
	for (size_t i = 0; i < len; i++) {
		yaml_node_t *it = sl_cfg_seq_item(c, n, i);
		struct sl_cfg_qinq q = { .loc = sl_cfg_node_loc(it) };

		mark = sl_cfg_key_push(c, NULL, (long)i);
		if ((rc = sl_cfg_walk_map(c, it, qinq_fields, SL_CFG_DIM(qinq_fields), &q)) ||
		    (rc = sl_cfg_check_qinq(c, it, &q)))
			return rc;
		t->qinq[t->n_qinq++] = q;
		sl_cfg_key_pop(c, mark);
	}
	return 0;
}

static int
parse_untagged(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	struct sl_cfg_tenant *t = obj;
	bool v;
	int rc;

	(void)f;
	if ((rc = check_not_tunnel(c, n, t)) || (rc = sl_cfg_get_bool(c, n, &v)) ||
	    (v && (rc = sl_cfg_check_untagged(c, n))))
		return rc;
	t->untagged = v;
	c->untagged_loc[c->tenant] = sl_cfg_node_loc(n);
	return 0;
}

/*
 * inputs first: the overlap checks need this tenant's input set. Then the
 * tunnel ids: they decide whether vlan is a claim or a filter, and forbid
 * qinq and untagged.
 */
static const struct sl_cfg_field match_fields[] = {
	FIELD("inputs", parse_match_inputs, false),
	FIELD("vni", parse_vni, false),
	FIELD("gre_key", parse_gre_key, false),
	FIELD("erspan_id", parse_erspan_id, false),
	FIELD("vlan", parse_vlans, false),
	FIELD("qinq", parse_qinq, false),
	FIELD("untagged", parse_untagged, false),
};

int
sl_cfg_parse_match(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	(void)f;
	return sl_cfg_walk_map(c, n, match_fields, SL_CFG_DIM(match_fields), obj);
}
