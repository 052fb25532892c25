/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A tenant's rules: inline (rules:) or from a file of their own
 * (rules_file:, also re-read alone by sl_config_reload_rules()). Wired into
 * the tenant table of sl_config_schema.c: a tenant's pools are loaded
 * before its rules (rules name pools) and max_rules before rules (the limit
 * is checked while reading them).
 */
#include "sl_config_pvt.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const action_names[] = { "forward", "mirror", "bypass", "drop",
					     "slice",   "sample", "steer",  "bypass-after-handshake" };

const char *
sl_rule_action_name(enum sl_rule_action a)
{
	return (unsigned int)a < SL_CFG_DIM(action_names) ? action_names[a] : "?";
}


/* ---- rules ---- */

/* "any", "10.0.0.0/8", "2001:db8::/32" or a host address. */
static int
get_cidr(struct sl_cfg_ctx *c, yaml_node_t *n, struct sl_cfg_cidr *out)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash;
	long long prefix = -1;
	int rc;

	if ((rc = sl_cfg_get_str(c, n, buf, sizeof(buf))))
		return rc;
	memset(out, 0, sizeof(*out));
	if (strcmp(buf, "any") == 0)
		return 0;
	slash = strchr(buf, '/');
	if (slash != NULL) {
		*slash = '\0';
		if (!sl_cfg_parse_ll(slash + 1, &prefix) || prefix < 0)
			goto bad;
	}
	if (inet_pton(AF_INET, buf, out->addr) == 1) {
		out->family = 4;
		if (prefix > 32)
			goto bad;
		out->prefix = (uint8_t)(prefix < 0 ? 32 : prefix);
	} else if (inet_pton(AF_INET6, buf, out->addr) == 1) {
		out->family = 6;
		if (prefix > 128)
			goto bad;
		out->prefix = (uint8_t)(prefix < 0 ? 128 : prefix);
	} else {
		goto bad;
	}
	/* host bits set beyond the prefix are an operator's typo more often
	 * than not ("10.1.2.3/8"): refuse rather than guess */
	for (unsigned int b = out->prefix; b < (out->family == 4 ? 32u : 128u); b++)
		if (out->addr[b / 8] & (0x80 >> (b % 8)))
			return sl_cfg_fail(c, sl_cfg_node_loc(n),
					   "'%s' has host bits set beyond /%u", sl_cfg_text(n),
					   out->prefix);
	return 0;
bad:
	return sl_cfg_fail(c, sl_cfg_node_loc(n),
			   "expected 'any', an IPv4/IPv6 address or a CIDR prefix, got '%s'",
			   sl_cfg_text(n));
}

static int
parse_src(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	(void)f;
	return get_cidr(c, n, &((struct sl_cfg_rule *)obj)->src);
}

static int
parse_dst(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	(void)f;
	return get_cidr(c, n, &((struct sl_cfg_rule *)obj)->dst);
}

static int
get_port_range(struct sl_cfg_ctx *c, yaml_node_t *n, uint16_t *lo, uint16_t *hi)
{
	long long l, h;
	int rc = sl_cfg_get_range(c, n, 0, 65535, &l, &h);

	if (rc == 0) {
		*lo = (uint16_t)l;
		*hi = (uint16_t)h;
	}
	return rc;
}

static int
parse_sport(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	struct sl_cfg_rule *r = obj;

	(void)f;
	return get_port_range(c, n, &r->sport_lo, &r->sport_hi);
}

static int
parse_dport(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	struct sl_cfg_rule *r = obj;

	(void)f;
	return get_port_range(c, n, &r->dport_lo, &r->dport_hi);
}

static int
parse_proto(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	static const struct { const char *name; int16_t proto; } names[] = {
		{ "any", -1 }, { "icmp", 1 }, { "tcp", 6 }, { "udp", 17 },
		{ "icmp6", 58 }, { "sctp", 132 }, { "gre", 47 }, { "esp", 50 },
	};
	struct sl_cfg_rule *r = obj;
	long long v;

	(void)f;
	if (n->type != YAML_SCALAR_NODE)
		return sl_cfg_fail_type(c, n, "a protocol name or number");
	for (size_t i = 0; i < SL_CFG_DIM(names); i++) {
		if (strcmp(sl_cfg_text(n), names[i].name) == 0) {
			r->proto = names[i].proto;
			return 0;
		}
	}
	if (!sl_cfg_parse_ll(sl_cfg_text(n), &v) || v < 0 || v > 255)
		return sl_cfg_fail(c, sl_cfg_node_loc(n),
				   "expected any, icmp, tcp, udp, icmp6, sctp, gre, esp or 0..255, "
				   "got '%s'", sl_cfg_text(n));
	r->proto = (int16_t)v;
	return 0;
}

static int
parse_rule_vlan(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	struct sl_cfg_rule *r = obj;
	long long lo, hi;
	int rc;

	(void)f;
	if (n->type == YAML_SCALAR_NODE && strcmp(sl_cfg_text(n), "untagged") == 0) {
		r->vlan_lo = r->vlan_hi = SL_UNTAGGED_VLAN;
		return 0;
	}
	if ((rc = sl_cfg_get_range(c, n, SL_VLAN_MIN, SL_VLAN_MAX, &lo, &hi)))
		return rc;
	r->vlan_lo = (uint16_t)lo;
	r->vlan_hi = (uint16_t)hi;
	return 0;
}

static int
parse_rule_input(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	struct sl_cfg_rule *r = obj;
	char name[SL_NAME_MAX];
	int rc, idx;

	(void)f;
	if ((rc = sl_cfg_get_str(c, n, name, sizeof(name))))
		return rc;
	idx = sl_config_find_input(c->cfg, name);
	if (idx < 0)
		return sl_cfg_fail(c, sl_cfg_node_loc(n), "unknown input '%s'", name);
	r->input_lo = r->input_hi = (uint16_t)idx;
	return 0;
}

static const struct sl_cfg_field rule_match_fields[] = {
	FIELD("src", parse_src, false),
	FIELD("dst", parse_dst, false),
	FIELD("sport", parse_sport, false),
	FIELD("dport", parse_dport, false),
	FIELD("proto", parse_proto, false),
	FIELD("vlan", parse_rule_vlan, false),
	FIELD("input", parse_rule_input, false),
	FIELD("app", sl_cfg_parse_app, false),
	FIELD("category", sl_cfg_parse_category, false),
	FIELD("sni", sl_cfg_parse_sni, false),
};

static int
parse_rule_name(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	(void)f;
	return sl_cfg_get_name(c, n, ((struct sl_cfg_rule *)obj)->name);
}

static int
parse_rule_match(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	struct sl_cfg_rule *r = obj;

	(void)f;
	memset(&c->app, 0, sizeof(c->app));
	c->app_seen = false;
	if (sl_cfg_walk_map(c, n, rule_match_fields, SL_CFG_DIM(rule_match_fields), r))
		return -EINVAL;
	if (r->src.family && r->dst.family && r->src.family != r->dst.family)
		return sl_cfg_fail(c, sl_cfg_node_loc(n),
				   "src is IPv%u and dst is IPv%u: a flow has one family",
				   r->src.family, r->dst.family);
	return sl_cfg_app_rule_done(c, r);
}

static int
parse_action(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	struct sl_cfg_rule *r = obj;
	int v, rc = sl_cfg_get_enum(c, n, action_names, SL_CFG_DIM(action_names), &v);

	(void)f;
	if (rc == 0)
		r->action = (enum sl_rule_action)v;
	return rc;
}

static int
find_pool(struct sl_cfg_ctx *c, yaml_node_t *n, uint8_t *out)
{
	const struct sl_cfg_tenant *t = sl_cfg_cur_tenant(c);
	char name[SL_NAME_MAX];
	int rc;

	if ((rc = sl_cfg_get_str(c, n, name, sizeof(name))))
		return rc;
	for (uint16_t k = 0; k < t->n_pools; k++) {
		if (strcmp(t->pools[k].name, name) == 0) {
			*out = (uint8_t)k;
			return 0;
		}
	}
	return sl_cfg_fail(c, sl_cfg_node_loc(n), "unknown pool '%s' in tenant '%s'", name,
			   t->name);
}

static int
parse_rule_pools(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	struct sl_cfg_rule *r = obj;
	size_t len, mark;
	int rc;

	(void)f;
	if (n->type == YAML_SCALAR_NODE) { /* shorthand: "pools: zeek" */
		r->n_pools = 1;
		return find_pool(c, n, &r->pools[0]);
	}
	if ((rc = sl_cfg_get_seq(c, n, 1, SL_MAX_RULE_POOLS, &len)))
		return rc;
	for (size_t i = 0; i < len; i++) {
		yaml_node_t *it = sl_cfg_seq_item(c, n, i);

		mark = sl_cfg_key_push(c, NULL, (long)i);
		if ((rc = find_pool(c, it, &r->pools[i])))
			return rc;
		for (size_t k = 0; k < i; k++)
			if (r->pools[k] == r->pools[i])
				return sl_cfg_fail(c, sl_cfg_node_loc(it), "pool '%s' listed twice",
						   sl_cfg_text(it));
		sl_cfg_key_pop(c, mark);
	}
	r->n_pools = (uint8_t)len;
	return 0;
}

static int
parse_rule_depth(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	static const struct sl_cfg_field depth = { .off = offsetof(struct sl_cfg_rule, depth) };
	struct sl_cfg_rule *r = obj;

	(void)f;
	r->has_depth = true;
	return sl_cfg_parse_depth(c, n, r, &depth);
}

static const struct sl_cfg_field rule_fields[] = {
	FIELD("name", parse_rule_name, false),
	FIELD("match", parse_rule_match, false),
	FIELD("action", parse_action, false),
	FIELD("pools", parse_rule_pools, false),
	UINT("slice", struct sl_cfg_rule, slice, 14, 65535),
	UINT("sample", struct sl_cfg_rule, sample, 2, 1000000),
	FIELD("depth", parse_rule_depth, false),
};

/* What an action needs, checked once the whole rule is read. */
static int
check_rule(struct sl_cfg_ctx *c, struct sl_cfg_rule *r, const struct sl_cfg_tenant *t)
{
	const char *act = sl_rule_action_name(r->action);

	if (r->action == SL_ACT_MIRROR && r->n_pools < 2)
		return sl_cfg_fail(c, r->loc, "action mirror needs 'pools' with 2 or more pools");
	if ((r->action == SL_ACT_BYPASS || r->action == SL_ACT_DROP) && r->n_pools)
		return sl_cfg_fail(c, r->loc, "action %s forwards nothing: remove 'pools'", act);
	if (r->action != SL_ACT_MIRROR && r->n_pools > 1)
		return sl_cfg_fail(c, r->loc, "action %s takes one pool, %u given", act,
				   r->n_pools);
	if ((r->action == SL_ACT_SLICE) != (r->slice != 0))
		return sl_cfg_fail(c, r->loc, r->slice ? "'slice' needs action: slice"
						       : "action slice needs 'slice' (bytes kept)");
	if ((r->action == SL_ACT_SAMPLE) != (r->sample != 0))
		return sl_cfg_fail(c, r->loc, r->sample ? "'sample' needs action: sample"
							: "action sample needs 'sample' (1 flow in N)");
	if (r->has_depth && (r->action == SL_ACT_BYPASS || r->action == SL_ACT_DROP))
		return sl_cfg_fail(c, r->loc, "action %s forwards nothing: 'depth' has no effect",
				   act);
	if (sl_cfg_check_app_rule(c, r))
		return -EINVAL;
	/* bypass-after-handshake without a pool keeps the flow where it is */
	if (r->n_pools == 0 && r->action != SL_ACT_BYPASS && r->action != SL_ACT_DROP &&
	    r->action != SL_ACT_BYPASS_HS) {
		r->n_pools = 1;
		r->pools[0] = (uint8_t)t->default_pool;
	}
	return 0;
}

int
sl_cfg_parse_rules(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	struct sl_cfg_tenant *t = obj;
	size_t len, mark;
	int rc;

	(void)f;
	t->rules_loc = sl_cfg_node_loc(n);
	if ((rc = sl_cfg_get_seq(c, n, 0, SL_MAX_RULES_PER_TENANT, &len)))
		return rc;
	if (len > t->max_rules)
		return sl_cfg_fail(c, sl_cfg_node_loc(n),
				   "%zu rules exceed the tenant's max_rules %" PRIu32, len,
				   t->max_rules);
	t->rules = sl_cfg_calloc(len, sizeof(*t->rules));
	if (!t->rules)
		return sl_cfg_fail_nomem(c);
	t->n_rules = (uint32_t)len;
	for (size_t i = 0; i < len; i++) {
		yaml_node_t *it = sl_cfg_seq_item(c, n, i);
		struct sl_cfg_rule *r = &t->rules[i];

		mark = sl_cfg_key_push(c, NULL, (long)i);
		*r = (struct sl_cfg_rule){ .sport_hi = 65535, .dport_hi = 65535, .proto = -1,
					   .vlan_lo = 0, .vlan_hi = SL_UNTAGGED_VLAN,
					   .input_hi = UINT16_MAX, .loc = sl_cfg_node_loc(it) };
		if ((rc = sl_cfg_walk_map(c, it, rule_fields, SL_CFG_DIM(rule_fields), r)))
			return rc;
		if ((rc = check_rule(c, r, t)))
			return rc;
		if (r->name[0] == '\0')
			snprintf(r->name, sizeof(r->name), "rule%zu", i);
		for (size_t k = 0; k < i; k++)
			if (strcmp(t->rules[k].name, r->name) == 0)
				return sl_cfg_fail(c, r->loc,
						   "duplicate rule name '%s' (first at %s:%d:%d)",
						   r->name, c->path, t->rules[k].loc.line,
						   t->rules[k].loc.col);
		sl_cfg_key_pop(c, mark);
	}
	return 0;
}

/* ---- rules_file ---- */

/* A tenant's rules file holds its rules and nothing else: no key of the
 * main configuration (pools, outputs, another tenant) can be set there. */
static int
walk_rules_file(struct sl_cfg_ctx *c, yaml_node_t *root, void *arg)
{
	static const struct sl_cfg_field fields[] = {
		FIELD("rules", sl_cfg_parse_rules, true),
	};

	if (root->type == YAML_MAPPING_NODE)
		for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
		     p < root->data.mapping.pairs.top; p++) {
			yaml_node_t *k = yaml_document_get_node(&c->doc, p->key);

			if (k == NULL || k->type != YAML_SCALAR_NODE ||
			    strcmp(sl_cfg_text(k), "rules") == 0)
				continue;
			sl_cfg_key_push(c, sl_cfg_text(k), 0);
			return sl_cfg_fail(c, sl_cfg_node_loc(k),
					   "a tenant's rules file holds only 'rules', not "
					   "'%s' (that belongs to the main configuration)",
					   sl_cfg_text(k));
		}
	return sl_cfg_walk_map(c, root, fields, SL_CFG_DIM(fields), arg);
}

/* (Re-)read tenant @p ti's rules file into it, within its max_rules and
 * against its own pools; errors name the rules file. */
static int
load_rules_file(struct sl_cfg *cfg, uint16_t ti, unsigned int flags, struct sl_cfg_error *err)
{
	struct sl_cfg_tenant *t = &cfg->tenants[ti];
	struct sl_cfg_ctx *sub = calloc(1, sizeof(*sub));
	int rc;

	if (sub == NULL) {
		snprintf(err->msg, sizeof(err->msg), "%s: out of memory", t->rules_file);
		return -ENOMEM;
	}
	sub->flags = flags;
	sub->cfg = cfg;
	sub->err = err;
	sub->tenant = ti;
	free(t->rules);
	t->rules = NULL;
	t->n_rules = 0;
	free(t->app_matches);
	t->app_matches = NULL;
	t->n_app_rules = 0;
	rc = sl_cfg_load_file(sub, t->rules_file, walk_rules_file, t);
	free(sub);
	return rc;
}

int
sl_cfg_parse_rules_file(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj,
			const struct sl_cfg_field *f)
{
	struct sl_cfg_tenant *t = obj;
	char path[SL_PATH_MAX];
	int rc;

	(void)f;
	if ((rc = sl_cfg_get_str(c, n, path, sizeof(path))))
		return rc;
	if (t->rules_loc.line != 0)
		return sl_cfg_fail(c, sl_cfg_node_loc(n),
				   "give 'rules' or 'rules_file', not both (rules at %d:%d)",
				   t->rules_loc.line, t->rules_loc.col);
	if (path[0] == '/') {
		snprintf(t->rules_file, sizeof(t->rules_file), "%s", path);
	} else {
		/* relative to the main configuration's directory */
		const char *slash = strrchr(c->path, '/');
		int dir = slash != NULL ? (int)(slash - c->path) : 0;

		if (snprintf(t->rules_file, sizeof(t->rules_file), "%.*s%s%s", dir, c->path,
			     dir ? "/" : "", path) >= (int)sizeof(t->rules_file))
			return sl_cfg_fail(c, sl_cfg_node_loc(n), "path too long");
	}
	t->rules_file_loc = sl_cfg_node_loc(n);
	return load_rules_file(c->cfg, c->tenant, c->flags, c->err);
}

int
sl_config_reload_rules(struct sl_cfg *cfg, uint16_t t, struct sl_cfg_error *err)
{
	memset(err, 0, sizeof(*err));
	if (t >= cfg->n_tenants || cfg->tenants[t].rules_file[0] == '\0') {
		snprintf(err->msg, sizeof(err->msg), "%s: tenant '%s' has no rules_file: its rules "
			 "are in the main configuration", cfg->path,
			 t < cfg->n_tenants ? cfg->tenants[t].name : "?");
		return -ENOENT;
	}
	return load_rules_file(cfg, t, SL_CFG_NO_LCORE_CPU_CHECK, err);
}
