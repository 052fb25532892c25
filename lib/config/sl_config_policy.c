/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The tenant keys of policy, bypass and flow records: rules, depth (per pool
 * and per rule), elephant, flow_records, control, max_rules, acl_memory.
 * Wired into the tenant and pool tables of sl_config_schema.c; a tenant's
 * pools are loaded before its rules (rules name pools) and max_rules before
 * rules (the limit is checked while reading them).
 */
#include "sl_config_pvt.h"

#include <arpa/inet.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

static const char *const action_names[] = { "forward", "mirror", "bypass", "drop",
					     "slice",   "sample", "steer",  "bypass-after-handshake" };
static const char *const elephant_names[] = { "keep", "bypass", "slice" };

const char *
sl_rule_action_name(enum sl_rule_action a)
{
	return (unsigned int)a < SL_CFG_DIM(action_names) ? action_names[a] : "?";
}

const char *
sl_elephant_action_name(enum sl_elephant_action a)
{
	return (unsigned int)a < SL_CFG_DIM(elephant_names) ? elephant_names[a] : "?";
}

/* ---- depth ---- */

static int
parse_per_direction(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj,
		    const struct sl_cfg_field *f)
{
	(void)f;
	return sl_cfg_get_bool(c, n, &((struct sl_cfg_depth *)obj)->per_direction);
}

static const struct sl_cfg_field depth_table[] = {
	UINT("bytes", struct sl_cfg_depth, bytes, 0, 1LL << 50),
	UINT("packets", struct sl_cfg_depth, packets, 0, 1LL << 50),
	FIELD("per_direction", parse_per_direction, false),
};

int
sl_cfg_parse_depth(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	struct sl_cfg_depth *d = (struct sl_cfg_depth *)((char *)obj + f->off);

	return sl_cfg_walk_map(c, n, depth_table, SL_CFG_DIM(depth_table), d);
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
	struct sl_cfg_rule *r = obj;

	(void)f;
	r->has_depth = true;
	return sl_cfg_walk_map(c, n, depth_table, SL_CFG_DIM(depth_table), &r->depth);
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

/* ---- elephant ---- */

static int
parse_rate(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	struct sl_cfg_elephant *e = obj;
	long long v;
	int rc;

	(void)f;
	if ((rc = sl_cfg_get_int(c, n, 1, 1000000, &v)))
		return rc;
	e->bytes_per_sec = (uint64_t)v * 1000000 / 8;
	return 0;
}

static int
parse_window(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	struct sl_cfg_elephant *e = obj;
	long long v;
	int rc;

	(void)f;
	if ((rc = sl_cfg_get_int(c, n, 10, 60000, &v)))
		return rc;
	e->window_ms = (uint32_t)v;
	return 0;
}

static int
parse_elephant_action(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj,
		      const struct sl_cfg_field *f)
{
	struct sl_cfg_elephant *e = obj;
	int v, rc = sl_cfg_get_enum(c, n, elephant_names, SL_CFG_DIM(elephant_names), &v);

	(void)f;
	if (rc == 0)
		e->action = (enum sl_elephant_action)v;
	return rc;
}

static const struct sl_cfg_field elephant_fields[] = {
	FIELD("rate_mbps", parse_rate, true),
	FIELD("window_ms", parse_window, false),
	FIELD("action", parse_elephant_action, false),
	UINT("slice", struct sl_cfg_elephant, slice, 14, 65535),
};

int
sl_cfg_parse_elephant(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj,
		      const struct sl_cfg_field *f)
{
	struct sl_cfg_tenant *t = obj;
	struct sl_cfg_elephant *e = &t->elephant;
	int rc;

	(void)f;
	if ((rc = sl_cfg_walk_map(c, n, elephant_fields, SL_CFG_DIM(elephant_fields), e)))
		return rc;
	if ((e->action == SL_ELEPHANT_SLICE) != (e->slice != 0))
		return sl_cfg_fail(c, sl_cfg_node_loc(n),
				   e->slice ? "'slice' needs action: slice"
					    : "action slice needs 'slice' (bytes kept)");
	return 0;
}

/* ---- isolation: max_flows, on_flow_quota, rate ---- */

int
sl_cfg_parse_max_flows(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj,
		       const struct sl_cfg_field *f)
{
	struct sl_cfg_tenant *t = obj;
	long long v;
	int rc;

	(void)f;
	if ((rc = sl_cfg_get_int(c, n, 1, 1LL << 32, &v)))
		return rc;
	t->max_flows = v > (long long)UINT32_MAX ? UINT32_MAX : (uint32_t)v;
	t->max_flows_loc = sl_cfg_node_loc(n);
	return 0;
}

int
sl_cfg_parse_on_flow_quota(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj,
			   const struct sl_cfg_field *f)
{
	static const char *const names[] = { "forward", "drop" };
	struct sl_cfg_tenant *t = obj;
	int v, rc = sl_cfg_get_enum(c, n, names, SL_CFG_DIM(names), &v);

	(void)f;
	if (rc == 0)
		t->on_flow_quota = (enum sl_quota_action)v;
	return rc;
}

static int
parse_rate_mbps(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	struct sl_cfg_rate *r = obj;
	long long v;
	int rc;

	(void)f;
	if ((rc = sl_cfg_get_int(c, n, 1, 1000000, &v)))
		return rc;
	r->bytes_per_sec = (uint64_t)v * 1000000 / 8;
	return 0;
}

static const struct sl_cfg_field rate_fields[] = {
	UINT("pps", struct sl_cfg_rate, pps, 1, 1000000000),
	FIELD("mbps", parse_rate_mbps, false),
	UINT("burst", struct sl_cfg_rate, burst, 1, 100000000),
	UINT("burst_bytes", struct sl_cfg_rate, burst_bytes, 1518, 100000000000LL),
};

int
sl_cfg_parse_rate(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	struct sl_cfg_tenant *t = obj;
	struct sl_cfg_rate *r = &t->rate;
	int rc;

	(void)f;
	r->loc = sl_cfg_node_loc(n);
	if ((rc = sl_cfg_walk_map(c, n, rate_fields, SL_CFG_DIM(rate_fields), r)))
		return rc;
	if (r->pps == 0 && r->bytes_per_sec == 0)
		return sl_cfg_fail(c, r->loc, "rate needs 'pps', 'mbps' or both");
	if (r->burst != 0 && r->pps == 0)
		return sl_cfg_fail(c, r->loc, "'burst' (packets) needs 'pps'");
	if (r->burst_bytes != 0 && r->bytes_per_sec == 0)
		return sl_cfg_fail(c, r->loc, "'burst_bytes' needs 'mbps'");
	/* 100 ms of the rate at once, at least 32 packets of 1518 bytes */
	if (r->pps && r->burst == 0)
		r->burst = r->pps / 10 > 32 ? r->pps / 10 : 32;
	if (r->bytes_per_sec && r->burst_bytes == 0)
		r->burst_bytes = r->bytes_per_sec / 10 > 32 * 1518 ? r->bytes_per_sec / 10 : 32 * 1518;
	return 0;
}

/* After the whole file: the bounds fit the flow tables (flow_table.size per
 * worker); each worker reserves its share, max_flows / workers rounded up. */
int
sl_cfg_check_flow_bounds(struct sl_cfg_ctx *c)
{
	const struct sl_cfg *cfg = c->cfg;
	uint16_t workers = cfg->n_workers ? cfg->n_workers : 1;
	uint64_t sum = 0;

	for (uint16_t i = 0; i < cfg->n_tenants; i++) {
		const struct sl_cfg_tenant *t = &cfg->tenants[i];

		if (t->max_flows == 0)
			continue;
		sum += (t->max_flows + workers - 1) / workers;
		if (sum > cfg->flow_table_size) {
			snprintf(c->key, sizeof(c->key), "tenants[%u].max_flows", i);
			return sl_cfg_fail(c, t->max_flows_loc,
					   "tenant '%s': the tenants' max_flows add up to more than "
					   "the flow tables hold (%u workers x flow_table.size %u)",
					   t->name, workers, cfg->flow_table_size);
		}
	}
	return 0;
}

/* ---- flow_records ---- */

static int
parse_records_file(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	struct sl_cfg_records *r = obj;

	(void)f;
	r->kind = SL_RECORDS_FILE;
	return sl_cfg_get_str(c, n, r->path, sizeof(r->path));
}

static int
parse_records_unix(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	struct sl_cfg_records *r = obj;
	int rc;

	(void)f;
	r->kind = SL_RECORDS_UNIX;
	if ((rc = sl_cfg_get_str(c, n, r->path, sizeof(r->path))))
		return rc;
	if (strlen(r->path) >= 108) /* sizeof(sockaddr_un.sun_path) */
		return sl_cfg_fail(c, sl_cfg_node_loc(n), "socket path longer than 107 bytes");
	return 0;
}

static int
parse_records_syslog(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj,
		     const struct sl_cfg_field *f)
{
	static const char *const names[] = { "local0", "local1", "local2", "local3", "local4",
					     "local5", "local6", "local7", "daemon", "user" };
	static const int fac[] = { LOG_LOCAL0, LOG_LOCAL1, LOG_LOCAL2, LOG_LOCAL3, LOG_LOCAL4,
				   LOG_LOCAL5, LOG_LOCAL6, LOG_LOCAL7, LOG_DAEMON, LOG_USER };
	struct sl_cfg_records *r = obj;
	int v, rc = sl_cfg_get_enum(c, n, names, SL_CFG_DIM(names), &v);

	(void)f;
	if (rc == 0) {
		r->kind = SL_RECORDS_SYSLOG;
		r->facility = fac[v];
	}
	return rc;
}

static const struct sl_cfg_field records_fields[] = {
	FIELD("file", parse_records_file, false),
	FIELD("unix", parse_records_unix, false),
	FIELD("syslog", parse_records_syslog, false),
};

int
sl_cfg_parse_records(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	struct sl_cfg_tenant *t = obj;
	int rc;

	(void)f;
	if (n->type == YAML_MAPPING_NODE && n->data.mapping.pairs.top -
						    n->data.mapping.pairs.start != 1)
		return sl_cfg_fail(c, sl_cfg_node_loc(n),
				   "expected exactly one of file, unix or syslog");
	if ((rc = sl_cfg_walk_map(c, n, records_fields, SL_CFG_DIM(records_fields),
				  &t->records)))
		return rc;
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

/* ---- control ---- */

static int
parse_control_socket(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj,
		     const struct sl_cfg_field *f)
{
	struct sl_cfg_control *ctl = obj;
	int rc;

	(void)f;
	if ((rc = sl_cfg_get_str(c, n, ctl->socket, sizeof(ctl->socket))))
		return rc;
	if (strlen(ctl->socket) >= 108)
		return sl_cfg_fail(c, sl_cfg_node_loc(n), "socket path longer than 107 bytes");
	for (uint16_t k = 0; k < c->tenant; k++)
		if (strcmp(c->cfg->tenants[k].control.socket, ctl->socket) == 0)
			return sl_cfg_fail(c, sl_cfg_node_loc(n),
					   "socket '%s' is tenant '%s''s already: each tenant has "
					   "its own", ctl->socket, c->cfg->tenants[k].name);
	return 0;
}

/* Octal permission bits: 0660, "0660" or "660". */
static int
parse_control_mode(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	struct sl_cfg_control *ctl = obj;
	const char *s;
	char *end;
	unsigned long v;

	(void)f;
	if (n->type != YAML_SCALAR_NODE)
		return sl_cfg_fail_type(c, n, "octal permission bits like 0660");
	s = sl_cfg_text(n);
	errno = 0;
	v = strtoul(s, &end, 8);
	if (*s == '\0' || *end != '\0' || errno || v > 0777)
		return sl_cfg_fail(c, sl_cfg_node_loc(n),
				   "expected octal permission bits 0..0777 like 0660, got '%s'", s);
	ctl->mode = (uint32_t)v;
	return 0;
}

/* A user or group: a name (resolved now) or a number. */
static int
parse_id(struct sl_cfg_ctx *c, yaml_node_t *n, bool group, int64_t *out)
{
	const char *s;
	char *end;
	unsigned long long v;

	if (n->type != YAML_SCALAR_NODE)
		return sl_cfg_fail_type(c, n, group ? "a group name or gid" : "a user name or uid");
	s = sl_cfg_text(n);
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*s != '\0' && *end == '\0') {
		if (errno || v >= UINT32_MAX)
			return sl_cfg_fail(c, sl_cfg_node_loc(n), "%s %s out of range",
					   group ? "gid" : "uid", s);
		*out = (int64_t)v;
		return 0;
	}
	if (group) {
		struct group *g = getgrnam(s);

		if (g == NULL)
			return sl_cfg_fail(c, sl_cfg_node_loc(n), "unknown group '%s'", s);
		*out = g->gr_gid;
	} else {
		struct passwd *p = getpwnam(s);

		if (p == NULL)
			return sl_cfg_fail(c, sl_cfg_node_loc(n), "unknown user '%s'", s);
		*out = p->pw_uid;
	}
	return 0;
}

static int
parse_control_owner(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	(void)f;
	return parse_id(c, n, false, &((struct sl_cfg_control *)obj)->uid);
}

static int
parse_control_group(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	(void)f;
	return parse_id(c, n, true, &((struct sl_cfg_control *)obj)->gid);
}

/* Seconds, fractions allowed (0.5), 1 ms .. 1 day. */
static int
parse_control_idle(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	const char *s;
	char *end;
	double v;

	(void)f;
	if (n->type != YAML_SCALAR_NODE)
		return sl_cfg_fail_type(c, n, "a number of seconds");
	s = sl_cfg_text(n);
	errno = 0;
	v = strtod(s, &end);
	if (*s == '\0' || *end != '\0' || errno || !(v >= 0.001 && v <= 86400))
		return sl_cfg_fail(c, sl_cfg_node_loc(n),
				   "expected seconds 0.001..86400 (fractions allowed), got '%s'", s);
	((struct sl_cfg_control *)obj)->idle_timeout_ms = (uint32_t)(v * 1000 + 0.5);
	return 0;
}

static const struct sl_cfg_field control_fields[] = {
	FIELD("socket", parse_control_socket, true),
	FIELD("mode", parse_control_mode, false),
	FIELD("owner", parse_control_owner, false),
	FIELD("group", parse_control_group, false),
	UINT("max_clients", struct sl_cfg_control, max_clients, 1, 1024),
	FIELD("idle_timeout", parse_control_idle, false),
	UINT("rate", struct sl_cfg_control, rate, 1, 1000000),
};

/* The admin socket's keys: one client at a time is the operator, so no
 * max_clients, idle_timeout or rate. */
static const struct sl_cfg_field admin_fields[] = {
	FIELD("socket", parse_control_socket, true),
	FIELD("mode", parse_control_mode, false),
	FIELD("owner", parse_control_owner, false),
	FIELD("group", parse_control_group, false),
};

/* admin: {socket, mode, owner, group}: the admin socket (reload, status);
 * root-only (0600) unless mode says otherwise. Parsed after the tenants. */
int
sl_cfg_parse_admin(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	struct sl_cfg *cfg = obj;
	uint16_t saved = c->tenant;
	int rc;

	(void)f;
	cfg->admin.mode = 0600;
	cfg->admin.uid = -1;
	cfg->admin.gid = -1;
	/* parse_control_socket compares with the tenants before c->tenant */
	c->tenant = cfg->n_tenants;
	rc = sl_cfg_walk_map(c, n, admin_fields, SL_CFG_DIM(admin_fields), &cfg->admin);
	c->tenant = saved;
	return rc;
}

int
sl_cfg_parse_control(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	struct sl_cfg_tenant *t = obj;

	(void)f;
	return sl_cfg_walk_map(c, n, control_fields, SL_CFG_DIM(control_fields), &t->control);
}
