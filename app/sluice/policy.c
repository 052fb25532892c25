/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A tenant's rules into an rte_acl classifier (lib/policy), the per-rule
 * actions and the verdict settings the workers apply (lib/verdict), built
 * on the control thread for one generation of the tables (tables.c). A
 * tenant whose rules match the same flows as in the previous generation
 * shares its classifier; one whose whole policy is unchanged keeps its
 * policy generation, so its flows keep their verdicts.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_lcore.h>
#include <rte_malloc.h>

#include "sl_policy.h"
#include "app.h"
#include "tables.h"

static void
to_policy_cidr(const struct sl_cfg_cidr *c, struct sl_policy_cidr *p)
{
	memset(p, 0, sizeof(*p));
	p->family = c->family;
	p->prefix = c->prefix;
	memcpy(p->addr, c->addr, sizeof(p->addr));
}

static bool
depth_set(const struct sl_depth *d)
{
	return d->bytes != 0 || d->packets != 0;
}

static struct sl_depth
depth_of(const struct sl_cfg_depth *d)
{
	return (struct sl_depth){ .bytes = d->bytes, .packets = d->packets,
				  .per_direction = d->per_direction };
}

/* lib/verdict's enums mirror the configuration's */
_Static_assert((int)SL_ACTION_FORWARD == (int)SL_ACT_FORWARD &&
		       (int)SL_ACTION_MIRROR == (int)SL_ACT_MIRROR &&
		       (int)SL_ACTION_BYPASS == (int)SL_ACT_BYPASS &&
		       (int)SL_ACTION_DROP == (int)SL_ACT_DROP &&
		       (int)SL_ACTION_SLICE == (int)SL_ACT_SLICE &&
		       (int)SL_ACTION_SAMPLE == (int)SL_ACT_SAMPLE &&
		       (int)SL_ACTION_STEER == (int)SL_ACT_STEER &&
		       (int)SL_ACTION_BYPASS_HS == (int)SL_ACT_BYPASS_HS &&
		       (int)SL_ACTION_MAX == (int)SL_ACT_MAX,
	       "enum sl_action follows enum sl_rule_action");
_Static_assert((int)SL_ELEPHANT_DO_KEEP == (int)SL_ELEPHANT_KEEP &&
		       (int)SL_ELEPHANT_DO_BYPASS == (int)SL_ELEPHANT_BYPASS &&
		       (int)SL_ELEPHANT_DO_SLICE == (int)SL_ELEPHANT_SLICE,
	       "enum sl_elephant_do follows enum sl_elephant_action");
_Static_assert(SL_VERDICT_MAX_RULE_POOLS == SL_MAX_RULE_POOLS &&
		       SL_VERDICT_MAX_POOLS == SL_MAX_POOLS_PER_TENANT,
	       "lib/verdict's bounds are the configuration's");

/* The classifier of @p ct's rules (a new one: lib/policy). */
static int
build_acl(uint16_t slot, const struct sl_cfg *cfg,
	  const struct sl_cfg_tenant *ct, uint32_t gen, struct sl_acl **out,
	  struct sl_cfg_error *err)
{
	struct sl_policy_match *m = calloc(ct->n_rules, sizeof(*m));
	struct sl_acl *acl = calloc(1, sizeof(*acl));
	uint32_t n = 0;
	char name[32], msg[512];
	int rc;

	/* app rules are decided once detection has an answer (appid.c): the
	 * classifier holds the port rules, and maps its indexes back */
	if (acl != NULL && ct->n_app_rules > 0)
		acl->rule_of = calloc(ct->n_rules, sizeof(*acl->rule_of));
	if (m == NULL || acl == NULL || (ct->n_app_rules > 0 && acl->rule_of == NULL)) {
		free(m);
		if (acl != NULL)
			free(acl->rule_of);
		free(acl);
		snprintf(err->msg, sizeof(err->msg), "%s: out of memory building rules", cfg->path);
		return -ENOMEM;
	}
	for (uint32_t j = 0; j < ct->n_rules; j++) {
		const struct sl_cfg_rule *r = &ct->rules[j];
		uint32_t i;

		if (r->app != 0)
			continue;
		i = n++;
		if (acl->rule_of != NULL)
			acl->rule_of[i] = j;
		to_policy_cidr(&r->src, &m[i].src);
		to_policy_cidr(&r->dst, &m[i].dst);
		m[i].sport_lo = r->sport_lo;
		m[i].sport_hi = r->sport_hi;
		m[i].dport_lo = r->dport_lo;
		m[i].dport_hi = r->dport_hi;
		m[i].proto = r->proto;
		m[i].vlan_lo = r->vlan_lo;
		m[i].vlan_hi = r->vlan_hi;
		m[i].input_lo = r->input_lo;
		m[i].input_hi = r->input_hi;
	}
	/* rte_acl names are global: slot and generation make them unique */
	snprintf(name, sizeof(name), "slp%u_%u", slot, gen);
	msg[0] = '\0';
	rc = sl_policy_create(name, (int)rte_socket_id(), m, n, ct->max_rules,
			      (size_t)ct->acl_memory, &acl->p, msg, sizeof(msg));
	free(m);
	if (rc != 0) {
		free(acl->rule_of);
		free(acl);
		if (ct->rules_file[0] != '\0') /* the rules and their lines are there */
			snprintf(err->msg, sizeof(err->msg), "%s:%d:%d: rules: tenant '%s': %s",
				 ct->rules_file, ct->rules_loc.line, ct->rules_loc.col, ct->name,
				 msg[0] ? msg : strerror(-rc));
		else
			sl_config_error(cfg, err, ct->rules_loc, "rules", "tenant '%s': %s",
					ct->name, msg[0] ? msg : strerror(-rc));
		return rc;
	}
	acl->refs = 1;
	*out = acl;
	return 0;
}

int
sl_policy_tenant_build(struct sl_app *app, struct sl_tables *tb, uint16_t slot,
		       const struct sl_tenant_rt *prev, struct sl_cfg_error *err)
{
	struct sl_tenant_rt *tr = &tb->tenants[slot];
	const struct sl_cfg_tenant *ct = tr->cfg;
	struct sl_tenant_policy *tp = &tr->pol;
	int rc;

	/* the policy generation moves when any verdict may differ */
	if (prev != NULL && sl_config_tenant_policy_equal(prev->cfg, ct))
		tr->gen = prev->gen;
	else
		tr->gen = ++app->tenant_gens[slot];
	tr->records = ct->records.kind != SL_RECORDS_NONE;
	tp->ft_hz = app->ft_hz;
	tp->elephant_bytes_per_sec = ct->elephant.bytes_per_sec;
	tp->elephant_window = (uint32_t)RTE_MAX(app->ft_hz * ct->elephant.window_ms / 1000, 1ul);
	tp->elephant_action = (uint8_t)ct->elephant.action;
	tp->elephant_slice = (uint16_t)ct->elephant.slice;
	tp->slow = tp->elephant_bytes_per_sec != 0;
	for (uint16_t p = 0; p < tr->n_pools; p++)
		tp->slow |= depth_set(&tp->pool_depth[p]);
	if (ct->n_rules == 0)
		return 0;

	tr->rules = rte_zmalloc("sl_rules", ct->n_rules * sizeof(*tr->rules), 0);
	if (tr->rules == NULL) {
		snprintf(err->msg, sizeof(err->msg), "%s: out of memory building rules",
			 tb->cfg->path);
		return -ENOMEM;
	}
	tp->rules = tr->rules;
	tp->n_rules = ct->n_rules;
	for (uint32_t i = 0; i < ct->n_rules; i++) {
		const struct sl_cfg_rule *r = &ct->rules[i];
		struct sl_rule_act *rr = &tr->rules[i];

		rr->action = (uint8_t)r->action;
		rr->n_pools = r->n_pools;
		memcpy(rr->pools, r->pools, sizeof(rr->pools));
		for (uint8_t k = 0; k < r->n_pools; k++)
			rr->strips |= tr->pools[r->pools[k]].strip != SL_STRIP_NONE;
		rr->slice = (uint16_t)r->slice;
		rr->sample = r->sample;
		rr->has_depth = r->has_depth;
		rr->depth = depth_of(&r->depth);
		tp->slow |= r->has_depth && depth_set(&rr->depth);
	}
	if ((rc = sl_app_tenant_build(app, tb, slot, err)) != 0)
		return rc;
	/* the classifier: shared while the rules match the same flows */
	if (prev != NULL && prev->acl != NULL && sl_config_tenant_rules_equal(prev->cfg, ct)) {
		tr->acl = prev->acl;
		tr->acl->refs++;
		return 0;
	}
	rc = build_acl(slot, tb->cfg, ct, tb->generation, &tr->acl, err);
	return rc;
}

void
sl_policy_tenant_free(struct sl_tenant_rt *tr)
{
	if (tr->acl != NULL && --tr->acl->refs == 0) {
		sl_policy_free(tr->acl->p);
		free(tr->acl->rule_of);
		free(tr->acl);
	}
	sl_app_tenant_free(tr);
	tr->acl = NULL;
	rte_free(tr->rules);
	tr->rules = NULL;
	tr->pol.rules = NULL;
	tr->pol.n_rules = 0;
}
