/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests: consistent placement across a fleet. Two sluices with the
 * same configuration and hash seed must send a flow to the same member
 * (the same tenant, pool, output and queue), so that sensors behind an
 * upstream hash behave as one. Each "sluice" here is built on its own from
 * its own load of the configuration: tenants listed in another order,
 * another worker count, and the tenant and member slots another process
 * would have after a history of reloads (slots are given in the order
 * names appear since start). The member choice (lib/verdict) and the
 * sampling decision are then compared over many random flows, both
 * directions.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_common.h>

#include "sl_config.h"
#include "sl_verdict.h"
#include "sl_test_rng.h"
#include "sl_test_cfg.h"

#define SEED 0x5eed1234u
#define MAX_T 4
#define MAX_P 4
#define MAX_SLOTS 512

static uint64_t rng_state = 0xfee1deadbeefull;

static uint64_t
rnd(void)
{
	return sl_test_rnd(&rng_state);
}

#define OUTPUTS                                                                \
	"inputs: [{name: in0, vdev: net_null0}]\n"                             \
	"outputs:\n"                                                           \
	"  - {name: o0, vdev: net_null1, queues: 4}\n"                         \
	"  - {name: o1, vdev: net_null2, queues: 4}\n"                         \
	"  - {name: o2, vdev: net_null3}\n"                                    \
	"  - {name: o3, vdev: net_null4}\n"                                    \
	"flow_table: {size: 65536}\n"                                          \
	"tenants:\n"

#define T_RED                                                                  \
	"  - name: red\n    id: 7\n    match: {vlan: [100]}\n"                 \
	"    pools:\n"                                                         \
	"      - {name: ids, members: [o0, o1, o2], hash: 5-tuple}\n"          \
	"      - {name: pcap, members: [o3, {output: o0, queue: 1}], hash: 3-tuple}\n" \
	"    rules: [{match: {proto: udp}, action: sample, sample: 3}]\n"
#define T_GREEN                                                                \
	"  - name: green\n    id: 300\n    match: {vlan: [200]}\n"             \
	"    pools: [{name: p, members: [o1, o2, o3, o0, {output: o1, queue: 2}], " \
	"hash: 2-tuple}]\n"
#define T_BLUE                                                                 \
	"  - name: blue\n    id: 12\n    match: {vlan: [300]}\n"               \
	"    pools: [{name: p, members: [o2, o3], hash: 5-tuple}]\n"

/* One sluice: its configuration and what its tables would hold. */
struct node {
	struct sl_cfg *cfg;
	uint16_t slot[MAX_T];                 /* by configuration index */
	struct sl_pool_steer steer[MAX_T][MAX_P];
	uint16_t mslots[MAX_T][MAX_P][16];
	struct sl_tenant_policy pol[MAX_T];
	struct sl_rule_act sample_rule;
	char who[MAX_SLOTS][256];             /* member slot -> its identity */
	uint8_t down[MAX_SLOTS];
};

static struct sl_cfg *
load(const char *yaml)
{
	struct sl_cfg *cfg;
	struct sl_cfg_error err;

	if (sl_test_load_yaml(yaml, &cfg, &err, NULL, 0) != 0)
		fail_msg("load: %s", err.msg);
	return cfg;
}

/* Build a node's member choice as tables.c does: tenant slots from
 * @p tslot (by tenant name), member slots numbered from @p mbase up, in the
 * order given by @p mstep (+1 or -1), so that no slot number means the same
 * in both nodes. @p placed: sl_pool_steer_place() (false: the choice by
 * slot, as before it existed). */
static void
build(struct node *n, const char *yaml, uint16_t (*tslot)(const char *), int mbase, int mstep,
      bool placed)
{
	int next = mbase;

	memset(n, 0, sizeof(*n));
	n->cfg = load(yaml);
	n->sample_rule = (struct sl_rule_act){ .action = SL_ACTION_SAMPLE, .n_pools = 1,
					       .sample = 3 };
	assert_true(n->cfg->n_tenants <= MAX_T);
	for (uint16_t t = 0; t < n->cfg->n_tenants; t++) {
		const struct sl_cfg_tenant *ct = &n->cfg->tenants[t];

		n->slot[t] = tslot(ct->name);
		for (uint16_t p = 0; p < ct->n_pools; p++) {
			const struct sl_cfg_pool *cp = &ct->pools[p];
			struct sl_pool_steer *s = &n->steer[t][p];

			*s = (struct sl_pool_steer){ .n_members = cp->n_members,
						     .fields = (uint8_t)cp->hash,
						     .resteer = true,
						     .slots = n->mslots[t][p] };
			if (placed)
				sl_pool_steer_place(s, n->slot[t], ct->id, n->cfg->hash_seed);
			for (uint16_t i = 0; i < cp->n_members; i++) {
				assert_true(next >= 0 && next < MAX_SLOTS);
				n->mslots[t][p][i] = (uint16_t)next;
				snprintf(n->who[next], sizeof(n->who[next]), "%s/%s/%s/%d", ct->name,
					 cp->name, cp->members[i].output, cp->members[i].queue);
				next += mstep;
			}
		}
		struct sl_tenant_policy *tp = &n->pol[t];
		tp->rules = &n->sample_rule;
		tp->n_rules = 1;
		tp->n_pools = ct->n_pools;
		if (placed)
			tp->place_xor = sl_flow_tenant_xor(n->slot[t], ct->id, SL_FIELDS_5TUPLE,
							   n->cfg->hash_seed);
	}
}

static int
tenant_index(const struct node *n, const char *name)
{
	for (uint16_t t = 0; t < n->cfg->n_tenants; t++)
		if (strcmp(n->cfg->tenants[t].name, name) == 0)
			return t;
	fail_msg("no tenant %s", name);
	return -1;
}

static void
random_flow(struct sl_pkt_info *pi, uint16_t vlan)
{
	static const uint8_t protos[] = { 6, 17, 132, 1, 58, 47 };

	memset(pi, 0, sizeof(*pi));
	pi->l3 = (rnd() & 1) ? SL_L3_IPV4 : SL_L3_IPV6;
	for (int i = 0; i < (pi->l3 == SL_L3_IPV4 ? 4 : 16); i++) {
		pi->src[i] = (uint8_t)rnd();
		pi->dst[i] = (uint8_t)rnd();
	}
	pi->proto = protos[rnd() % sizeof(protos)];
	pi->has_ports = pi->proto != 47;
	pi->sport = (uint16_t)rnd();
	pi->dport = (uint16_t)rnd();
	pi->n_vlans = 1;
	pi->vlan[0] = vlan;
	pi->tunnel_id = rnd() % 4 == 0 ? (uint32_t)rnd() % 4096 : 0;
}

static void
reverse(const struct sl_pkt_info *a, struct sl_pkt_info *b)
{
	*b = *a;
	memcpy(b->src, a->dst, 16);
	memcpy(b->dst, a->src, 16);
	b->sport = a->dport;
	b->dport = a->sport;
}

/* What a node does with one packet of tenant @p name: its member in each
 * pool (kind @p kind), and whether the flow is sampled out. */
struct outcome {
	const char *member[MAX_P];
	bool sampled_out;
};

static struct outcome
decide(struct node *n, const char *name, const struct sl_pkt_info *pi, enum sl_pick_kind kind)
{
	int t = tenant_index(n, name);
	const struct sl_cfg_tenant *ct = &n->cfg->tenants[t];
	struct sl_flow_key k;
	struct outcome o;
	uint8_t dir = (uint8_t)sl_flow_key_build(pi, n->slot[t], &k);
	uint32_t h = sl_flow_hash(&k, n->cfg->hash_seed);

	memset(&o, 0, sizeof(o));
	for (uint16_t p = 0; p < ct->n_pools; p++) {
		struct sl_member_choice c = sl_member_pick(&n->steer[t][p], n->down, kind,
							   SL_SLOT_NONE, &k, h, n->cfg->hash_seed);
		o.member[p] = n->who[c.slot];
	}
	struct sl_flow_entry e;
	memset(&e, 0, sizeof(e));
	o.sampled_out = sl_verdict_new_flow(&n->pol[t], &e, 0, dir, h) & SL_VERDICT_EV_SAMPLED_OUT;
	return o;
}

/* Node A: a fresh start (slots in configuration order). */
static uint16_t
slots_fresh(const char *name)
{
	return strcmp(name, "red") == 0 ? 0 : strcmp(name, "green") == 0 ? 1 : 2;
}

/* Node B: slots after reloads that added, removed and re-added tenants. */
static uint16_t
slots_reloaded(const char *name)
{
	return strcmp(name, "red") == 0 ? 9 : strcmp(name, "green") == 0 ? 4 : 17;
}

static const char cfg_a[] = "eal: {worker_lcores: [1]}\n" OUTPUTS T_RED T_GREEN T_BLUE;
static const char cfg_b[] = "eal: {worker_lcores: [1, 2, 3, 4]}\n" OUTPUTS T_BLUE T_RED T_GREEN;

/* Compare nodes a and b on @p flows random flows per tenant, both
 * directions, each kind of choice; returns the flows that differed. */
static unsigned int
compare(struct node *a, struct node *b, unsigned int flows, bool must_agree)
{
	static const struct {
		const char *name;
		uint16_t vlan;
	} tenants[] = { { "red", 100 }, { "green", 200 }, { "blue", 300 } };
	static const enum sl_pick_kind kinds[] = { SL_PICK_FLOW, SL_PICK_FRAGMENT,
						   SL_PICK_NON_IP };
	unsigned int differ = 0;

	for (unsigned int i = 0; i < flows; i++) {
		for (size_t t = 0; t < RTE_DIM(tenants); t++) {
			struct sl_pkt_info fwd, rev;

			random_flow(&fwd, tenants[t].vlan);
			reverse(&fwd, &rev);
			for (size_t k = 0; k < RTE_DIM(kinds); k++) {
				struct outcome oa = decide(a, tenants[t].name, &fwd, kinds[k]);
				struct outcome ob = decide(b, tenants[t].name, &fwd, kinds[k]);
				struct outcome orv = decide(b, tenants[t].name, &rev, kinds[k]);
				bool same = oa.sampled_out == ob.sampled_out &&
					    ob.sampled_out == orv.sampled_out;

				for (int p = 0; p < MAX_P && oa.member[p] != NULL; p++)
					same = same && ob.member[p] != NULL && orv.member[p] != NULL &&
					       strcmp(oa.member[p], ob.member[p]) == 0 &&
					       strcmp(ob.member[p], orv.member[p]) == 0;
				if (!same && must_agree)
					fail_msg("tenant %s kind %d flow %u: %s vs %s (reverse %s)",
						 tenants[t].name, (int)kinds[k], i,
						 oa.member[0], ob.member[0], orv.member[0]);
				differ += !same;
			}
		}
	}
	return differ;
}

static void
test_same_member_across_sluices(void **state)
{
	static struct node a, b;

	(void)state;
	build(&a, cfg_a, slots_fresh, 0, 1, true);
	build(&b, cfg_b, slots_reloaded, 300, -1, true);
	assert_int_equal(a.cfg->n_workers, 1);
	assert_int_equal(b.cfg->n_workers, 4);
	assert_int_equal(compare(&a, &b, 20000, true), 0);
	/* with members down (the same ones on both), non-IP frames and flows
	 * move to the same others */
	a.down[a.mslots[1][0][0]] = b.down[b.mslots[2][0][0]] = 1; /* green o1 */
	a.down[a.mslots[0][0][2]] = b.down[b.mslots[1][0][2]] = 1; /* red ids o2 */
	assert_string_equal(a.who[a.mslots[1][0][0]], b.who[b.mslots[2][0][0]]);
	assert_string_equal(a.who[a.mslots[0][0][2]], b.who[b.mslots[1][0][2]]);
	assert_int_equal(compare(&a, &b, 5000, true), 0);
	sl_config_free(a.cfg);
	sl_config_free(b.cfg);
}

/* The test can tell: chosen by slot (as before sl_pool_steer_place()),
 * the same two sluices disagree on many flows. */
static void
test_by_slot_would_differ(void **state)
{
	static struct node a, b;

	(void)state;
	build(&a, cfg_a, slots_fresh, 0, 1, false);
	build(&b, cfg_b, slots_reloaded, 300, -1, false);
	assert_true(compare(&a, &b, 2000, false) > 1000);
	/* and by slot, one node agrees with itself rebuilt */
	static struct node c;
	build(&c, cfg_a, slots_fresh, 100, 1, false);
	assert_int_equal(compare(&a, &c, 2000, true), 0);
	sl_config_free(a.cfg);
	sl_config_free(b.cfg);
	sl_config_free(c.cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_member_across_sluices),
		cmocka_unit_test(test_by_slot_would_differ),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
