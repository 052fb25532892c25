/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Application-aware rules and the appid: section (issue 18).
 *
 * A rule's match may name what application detection finds (lib/appid,
 * nDPI): app (nDPI protocol names: dns, tls, http, quic, ssh, youtube...),
 * category (nDPI category names: web, video, ...) and sni (a TLS/QUIC
 * server name, exact or "*.suffix"). Names are checked against nDPI's own
 * tables, so a typo is an error at its line and column, not a rule that
 * never matches. Such a rule is an "app rule"; the actions steer and
 * bypass-after-handshake exist for app rules only.
 */
#include "sl_config_pvt.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sl_appid.h"

/* A scalar or a list of 1..SL_MAX_APP_NAMES scalars: each through @p one. */
static int
names(struct sl_cfg_ctx *c, yaml_node_t *n, uint8_t *count,
      int (*one)(struct sl_cfg_ctx *c, yaml_node_t *it, uint8_t i))
{
	size_t len, mark;
	int rc;

	c->app_seen = true;
	if (n->type == YAML_SCALAR_NODE) {
		*count = 1;
		return one(c, n, 0);
	}
	if ((rc = sl_cfg_get_seq(c, n, 1, SL_MAX_APP_NAMES, &len)))
		return rc;
	for (size_t i = 0; i < len; i++) {
		mark = sl_cfg_key_push(c, NULL, (long)i);
		if ((rc = one(c, sl_cfg_seq_item(c, n, i), (uint8_t)i)))
			return rc;
		sl_cfg_key_pop(c, mark);
	}
	*count = (uint8_t)len;
	return 0;
}

static int
nomem_ndpi(struct sl_cfg_ctx *c, yaml_node_t *n)
{
	return sl_cfg_fail(c, sl_cfg_node_loc(n),
			   "cannot start nDPI to read its names (out of memory)");
}

static int
one_app(struct sl_cfg_ctx *c, yaml_node_t *it, uint8_t i)
{
	char name[SL_NAME_MAX];
	int rc, id;

	if ((rc = sl_cfg_get_str(c, it, name, sizeof(name))))
		return rc;
	id = sl_appid_proto_id(name);
	if (id == -ENOMEM)
		return nomem_ndpi(c, it);
	if (id < 0)
		return sl_cfg_fail(c, sl_cfg_node_loc(it),
				   "unknown application '%s': not a protocol name of nDPI %s "
				   "(e.g. dns, tls, http, quic, ssh; 'ndpiReader -H' lists them)",
				   name, sl_appid_version());
	c->app.apps[i] = (uint16_t)id;
	return 0;
}

int
sl_cfg_parse_app(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	(void)obj;
	(void)f;
	return names(c, n, &c->app.n_apps, one_app);
}

static int
one_category(struct sl_cfg_ctx *c, yaml_node_t *it, uint8_t i)
{
	char name[SL_NAME_MAX], known[700];
	size_t k = 0;
	int rc, id;

	if ((rc = sl_cfg_get_str(c, it, name, sizeof(name))))
		return rc;
	id = sl_appid_category_id(name);
	if (id == -ENOMEM)
		return nomem_ndpi(c, it);
	if (id >= 0) {
		c->app.cats[i] = (uint16_t)id;
		return 0;
	}
	known[0] = '\0';
	for (uint16_t x = 1; x < 512 && k < sizeof(known); x++) {
		const char *s = sl_appid_category_name(x);

		if (s != NULL && strncmp(s, "User custom", 11) != 0)
			k += (size_t)snprintf(known + k, sizeof(known) - k, "%s%s", k ? ", " : "", s);
	}
	return sl_cfg_fail(c, sl_cfg_node_loc(it), "unknown category '%s' (nDPI's: %s)", name,
			   known);
}

int
sl_cfg_parse_category(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj,
		      const struct sl_cfg_field *f)
{
	(void)obj;
	(void)f;
	return names(c, n, &c->app.n_cats, one_category);
}

/* A host name of labels of [a-z0-9_-] separated by dots, lowercased in
 * place; "*." in front makes it a suffix. */
static int
one_sni(struct sl_cfg_ctx *c, yaml_node_t *it, uint8_t i)
{
	char *s = c->app.sni[i];
	size_t len, start;
	int rc;

	if ((rc = sl_cfg_get_str(c, it, s, SL_APP_SNI_MAX)))
		return rc;
	len = strlen(s);
	start = strncmp(s, "*.", 2) == 0 ? 2 : 0;
	bool ok = len > start && s[len - 1] != '.' && s[start] != '.';

	for (size_t k = start; ok && k < len; k++) {
		char ch = s[k];

		if (ch >= 'A' && ch <= 'Z')
			s[k] = (char)(ch - 'A' + 'a');
		else if (ch == '.')
			ok = s[k - 1] != '.';
		else
			ok = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' ||
			     ch == '_';
	}
	if (!ok)
		return sl_cfg_fail(c, sl_cfg_node_loc(it),
				   "expected a server name ('www.example.com') or '*.' and one "
				   "('*.example.com'), got '%s'", sl_cfg_text(it));
	return 0;
}

int
sl_cfg_parse_sni(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	(void)obj;
	(void)f;
	return names(c, n, &c->app.n_sni, one_sni);
}

int
sl_cfg_app_rule_done(struct sl_cfg_ctx *c, struct sl_cfg_rule *r)
{
	struct sl_cfg_tenant *t = &c->cfg->tenants[c->tenant];
	struct sl_cfg_app_match *m;

	if (!c->app_seen)
		return 0;
	c->app_seen = false;
	if (t->n_app_rules >= SL_MAX_APP_RULES_PER_TENANT)
		return sl_cfg_fail(c, r->loc, "more than %d rules with app, category or sni in "
				   "tenant '%s'", SL_MAX_APP_RULES_PER_TENANT, t->name);
	m = realloc(t->app_matches, (t->n_app_rules + 1u) * sizeof(*m));
	if (m == NULL)
		return sl_cfg_fail_nomem(c);
	t->app_matches = m;
	m[t->n_app_rules] = c->app;
	m[t->n_app_rules].loc = r->loc;
	r->app = ++t->n_app_rules;
	memset(&c->app, 0, sizeof(c->app));
	return 0;
}

int
sl_cfg_check_app_rule(struct sl_cfg_ctx *c, const struct sl_cfg_rule *r)
{
	const char *act = sl_rule_action_name(r->action);

	if ((r->action == SL_ACT_STEER || r->action == SL_ACT_BYPASS_HS) && r->app == 0)
		return sl_cfg_fail(c, r->loc,
				   "action %s needs 'app', 'category' or 'sni' in 'match': it "
				   "acts once the application is known (a rule without them is "
				   "decided at a flow's first packet)", act);
	if (r->action == SL_ACT_STEER && r->n_pools == 0)
		return sl_cfg_fail(c, r->loc, "action steer needs 'pools' (the pool the flow "
				   "moves to)");
	return 0;
}

/* ---- appid: ---- */

void
sl_cfg_appid_defaults(struct sl_cfg_appid *a)
{
	/* flows and detecting 0: resolved against flow_table.size at the end */
	*a = (struct sl_cfg_appid){ .max_packets = 32, .handshake_packets = 64,
				    .memory = 64ull << 20 };
}

static int
parse_memory_mb(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	struct sl_cfg_appid *a = obj;
	long long v;
	int rc;

	(void)f;
	if ((rc = sl_cfg_get_int(c, n, 16, 65536, &v)))
		return rc;
	a->memory = (uint64_t)v << 20;
	return 0;
}

static const struct sl_cfg_field appid_fields[] = {
	UINT("flows", struct sl_cfg_appid, flows, 16, 16777216),
	UINT("detecting", struct sl_cfg_appid, detecting, 16, 16777216),
	UINT("max_packets", struct sl_cfg_appid, max_packets, 1, 255),
	UINT("handshake_packets", struct sl_cfg_appid, handshake_packets, 4, 1024),
	FIELD("memory_mb", parse_memory_mb, false),
};

int
sl_cfg_parse_appid(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	struct sl_cfg_appid *a = &((struct sl_cfg *)obj)->appid;
	int rc;

	(void)f;
	a->enabled = true;
	a->section = true;
	a->loc = sl_cfg_node_loc(n);
	if ((rc = sl_cfg_walk_map(c, n, appid_fields, SL_CFG_DIM(appid_fields), a)))
		return rc;
	if (a->flows != 0 && a->detecting > a->flows)
		return sl_cfg_fail(c, a->loc,
				   "detecting (%" PRIu32 ") is more than flows (%" PRIu32 "): every "
				   "flow in detection has a flow's state too", a->detecting,
				   a->flows);
	return 0;
}

int
sl_cfg_check_appid(struct sl_cfg_ctx *c)
{
	struct sl_cfg *cfg = c->cfg;
	struct sl_cfg_appid *a = &cfg->appid;

	for (uint16_t i = 0; i < cfg->n_tenants && !a->enabled; i++) {
		const struct sl_cfg_tenant *t = &cfg->tenants[i];

		if (t->n_app_rules == 0)
			continue;
		a->enabled = true;
		/* a place in this file (a rules file's lines are its own) */
		a->loc = t->rules_file[0] ? t->rules_file_loc : t->app_matches[0].loc;
	}
	if (a->flows == 0)
		a->flows = cfg->flow_table_size < 65536 ? cfg->flow_table_size : 65536;
	if (a->detecting == 0)
		a->detecting = a->flows < 8192 ? a->flows : 8192;
	if (a->flows <= cfg->flow_table_size)
		return 0;
	snprintf(c->key, sizeof(c->key), "appid.flows");
	return sl_cfg_fail(c, a->loc,
			   "%" PRIu32 " flows with detection state per worker, more than the "
			   "flow table holds (flow_table.size %" PRIu32 ")", a->flows,
			   cfg->flow_table_size);
}
