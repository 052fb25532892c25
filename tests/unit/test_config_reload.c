/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for what a live reload asks of lib/config: which keys may not
 * change in a running sluice (sl_config_reload_check names the first, at its
 * place in the new file), whether a tenant's rules or policy changed, the
 * admin socket key and the slot capacities.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sl_config.h"
#include "sl_test_cfg.h"

#define NOCPU SL_CFG_NO_LCORE_CPU_CHECK

/* Lines 1-9 of the base file; the tenants start on line 10. */
static const char base[] = "eal:\n"                                        /* 1 */
			   "  worker_lcores: [1]\n"                        /* 2 */
			   "inputs:\n"                                     /* 3 */
			   "  - {name: in0, vdev: net_null0}\n"            /* 4 */
			   "outputs:\n"                                    /* 5 */
			   "  - {name: out0, vdev: net_null1}\n"           /* 6 */
			   "  - {name: out1, vdev: net_null2}\n"           /* 7 */
			   "flow_table: {size: 65536}\n"                   /* 8 */
			   "tenants:\n"                                    /* 9 */
			   "  - name: a\n"                                 /* 10 */
			   "    id: 1\n"                                   /* 11 */
			   "    match: {vlan: [100]}\n"                    /* 12 */
			   "    pools: [{name: p, members: [out0]}]\n"     /* 13 */
			   "    rules: [{match: {proto: udp}, action: drop}]\n" /* 14 */
			   "  - name: b\n"                                 /* 15 */
			   "    id: 2\n"                                   /* 16 */
			   "    match: {vlan: [200]}\n"                    /* 17 */
			   "    pools: [{name: p, members: [out1]}]\n";    /* 18 */

static struct sl_cfg *
load(const char *yaml)
{
	struct sl_cfg *cfg = NULL;
	struct sl_cfg_error err;
	char *path = sl_test_write_tmp(yaml);
	int rc = sl_config_load(path, NOCPU, &cfg, &err);

	if (rc != 0)
		print_error("unexpected error %d: %s\n", rc, err.msg);
	assert_int_equal(rc, 0);
	unlink(path);
	free(path);
	return cfg;
}

/* base with @p from replaced by @p to (once; it must occur) */
/* @p text with @p from replaced by @p to (once; it must occur) */
static char *
edit_in(const char *text, const char *from, const char *to)
{
	const char *at = strstr(text, from);
	char *out;

	assert_non_null(at);
	out = malloc(strlen(text) + strlen(to) + 1);
	assert_non_null(out);
	memcpy(out, text, (size_t)(at - text));
	strcpy(out + (at - text), to);
	strcat(out, at + strlen(from));
	return out;
}

static char *
edit(const char *from, const char *to)
{
	return edit_in(base, from, to);
}

struct change_row {
	const char *name;
	const char *from, *to;
	const char *key;   /* expected key in the error, NULL: accepted */
	int line;          /* expected line of the error */
};

static const struct change_row rows[] = {
	{ "a tenant's rules", "action: drop", "action: bypass", NULL, 0 },
	{ "a pool's members", "members: [out1]", "members: [out1, out0]", NULL, 0 },
	{ "a tenant added",
	  "    pools: [{name: p, members: [out1]}]\n",
	  "    pools: [{name: p, members: [out1]}]\n  - {name: c, id: 3, match: {vlan: [300]}, "
	  "pools: [{name: p, members: [out0]}]}\n", NULL, 0 },
	{ "timeouts", "flow_table: {size: 65536}", "flow_table: {size: 65536, timeouts: {udp: 5}}",
	  NULL, 0 },
	{ "worker lcores", "worker_lcores: [1]", "worker_lcores: [1, 2]", "eal", 2 },
	{ "an input's device", "vdev: net_null0}", "vdev: net_null9}", "inputs[0]", 4 },
	{ "an output added", "  - {name: out1, vdev: net_null2}\n",
	  "  - {name: out1, vdev: net_null2}\n  - {name: out2, vdev: net_null3}\n", "outputs", 6 },
	{ "the flow table size", "size: 65536", "size: 131072", "flow_table.size", 8 },
	{ "tuning", "flow_table: {size: 65536}\n", "flow_table: {size: 65536}\ntuning: {mbufs: 4095}\n",
	  "tuning", 9 },
	{ "fragments", "flow_table: {size: 65536}\n",
	  "flow_table: {size: 65536}\nfragments: {hold_ms: 7}\n", "fragments", 9 },
	{ "the metrics address", "flow_table: {size: 65536}\n",
	  "flow_table: {size: 65536}\nmetrics: {listen: \"127.0.0.1:9280\"}\n", "metrics.listen", 9 },
};

/* Each row's edit of @p text checked against the running @p cur: accepted,
 * or refused naming its key and line and saying it needs a restart. */
static void
check_rows(const struct sl_cfg *cur, const char *text, const struct change_row *rows, size_t n)
{
	for (size_t r = 0; r < n; r++) {
		char *edited = edit_in(text, rows[r].from, rows[r].to);
		struct sl_cfg *next = load(edited);
		struct sl_cfg_error err;
		char want[128];

		memset(&err, 0, sizeof(err));
		int rc = sl_config_reload_check(cur, next, &err);
		if (rows[r].key == NULL) {
			if (rc != 0)
				fail_msg("row '%s': refused: %s", rows[r].name, err.msg);
		} else {
			snprintf(want, sizeof(want), ":%d:", rows[r].line);
			if (rc != -EINVAL || strstr(err.msg, rows[r].key) == NULL ||
			    strstr(err.msg, "needs a restart") == NULL ||
			    strstr(err.msg, want) == NULL || err.loc.line != rows[r].line)
				fail_msg("row '%s': rc %d, '%s'", rows[r].name, rc, err.msg);
		}
		sl_config_free(next);
		free(edited);
	}
}

static void
test_reload_check_table(void **state)
{
	struct sl_cfg *cur = load(base);

	(void)state;
	check_rows(cur, base, rows, sizeof(rows) / sizeof(rows[0]));
	/* the same file is accepted */
	struct sl_cfg *same = load(base);
	struct sl_cfg_error err;
	assert_int_equal(sl_config_reload_check(cur, same, &err), 0);
	sl_config_free(same);
	sl_config_free(cur);
}

/* Dedup tables are made at start: the window changes live, dedup may be
 * turned off; turning it on or resizing a table is refused, named. */
static void
test_reload_dedup(void **state)
{
	static const char a_pools[] = "    pools: [{name: p, members: [out0]}]\n";
	static const char a_dedup[] = "    pools: [{name: p, members: [out0]}]\n"
				      "    dedup: {window_us: 500}\n"; /* line 14 */
	static const struct change_row rows[] = {
		{ "the window", "window_us: 500}", "window_us: 2000}", NULL, 0 },
		{ "the table size given as its default", "window_us: 500}",
		  "window_us: 500, table: 65536}", NULL, 0 },
		{ "dedup off", "    dedup: {window_us: 500}\n", "", NULL, 0 },
		{ "a table resized", "window_us: 500}", "window_us: 500, table: 1024}",
		  "tenants[0].dedup", 14 },
		{ "dedup on for another tenant", "members: [out1]}]\n",
		  "members: [out1]}]\n    dedup: {}\n", "tenants[1].dedup", 20 },
		{ "a new tenant with dedup", "members: [out1]}]\n",
		  "members: [out1]}]\n  - {name: c, id: 3, match: {vlan: [300]}, "
		  "pools: [{name: p, members: [out0]}], dedup: {}}\n", "tenants[2].dedup", 20 },
	};
	char *start = edit(a_pools, a_dedup);
	struct sl_cfg *cur = load(start);

	(void)state;
	assert_int_equal(cur->tenants[0].dedup.window_us, 500);
	check_rows(cur, start, rows, sizeof(rows) / sizeof(rows[0]));
	/* a running tenant without dedup cannot have it turned on either */
	struct sl_cfg *off = load(base);
	struct sl_cfg *on = load(start);
	struct sl_cfg_error err;
	assert_int_equal(sl_config_reload_check(off, on, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "tenants[0].dedup"));
	assert_int_equal(sl_config_reload_check(on, off, &err), 0);
	sl_config_free(off);
	sl_config_free(on);
	sl_config_free(cur);
	free(start);
}

static void
test_tenant_equality(void **state)
{
	struct sl_cfg *a = load(base);
	char *t;
	struct sl_cfg *b;

	(void)state;
	/* identical */
	b = load(base);
	assert_true(sl_config_tenant_rules_equal(&a->tenants[0], &b->tenants[0]));
	assert_true(sl_config_tenant_policy_equal(&a->tenants[0], &b->tenants[0]));
	assert_true(sl_config_tenant_policy_equal(&a->tenants[1], &b->tenants[1]));
	sl_config_free(b);
	/* another action: same matches (the classifier is reused), not the
	 * same policy */
	t = edit("action: drop", "action: bypass");
	b = load(t);
	assert_true(sl_config_tenant_rules_equal(&a->tenants[0], &b->tenants[0]));
	assert_false(sl_config_tenant_policy_equal(&a->tenants[0], &b->tenants[0]));
	assert_true(sl_config_tenant_policy_equal(&a->tenants[1], &b->tenants[1]));
	sl_config_free(b);
	free(t);
	/* another match */
	t = edit("proto: udp", "proto: tcp");
	b = load(t);
	assert_false(sl_config_tenant_rules_equal(&a->tenants[0], &b->tenants[0]));
	assert_false(sl_config_tenant_policy_equal(&a->tenants[0], &b->tenants[0]));
	sl_config_free(b);
	free(t);
	/* a rule's name is not its policy */
	t = edit("rules: [{match:", "rules: [{name: renamed, match:");
	b = load(t);
	assert_true(sl_config_tenant_policy_equal(&a->tenants[0], &b->tenants[0]));
	sl_config_free(b);
	free(t);
	/* a member more in b's pool */
	t = edit("members: [out1]", "members: [out1, out0]");
	b = load(t);
	assert_false(sl_config_tenant_policy_equal(&a->tenants[1], &b->tenants[1]));
	assert_true(sl_config_tenant_policy_equal(&a->tenants[0], &b->tenants[0]));
	sl_config_free(b);
	free(t);
	sl_config_free(a);
}

static void
test_admin_and_capacities(void **state)
{
	char *t;
	struct sl_cfg *c;

	(void)state;
	c = load(base);
	assert_string_equal(c->admin.socket, "");
	assert_int_equal(c->max_tenants, 0);
	assert_int_equal(c->max_members, 0);
	sl_config_free(c);
	t = edit("flow_table: {size: 65536}\n", "flow_table: {size: 65536}\nadmin: {socket: "
		 "/tmp/x.sock}\ntuning: {max_tenants: 40, max_members: 500}\n");
	c = load(t);
	assert_string_equal(c->admin.socket, "/tmp/x.sock");
	assert_int_equal(c->admin.mode, 0600); /* root only by default */
	assert_int_equal(c->max_tenants, 40);
	assert_int_equal(c->max_members, 500);
	assert_int_equal(c->section_loc[SL_SECT_ADMIN].line, 9);
	assert_int_equal(c->section_loc[SL_SECT_TENANTS].line, 12);
	sl_config_free(c);
	free(t);
	/* the admin socket is nobody's tenant socket */
	t = edit("    pools: [{name: p, members: [out1]}]\n",
		 "    pools: [{name: p, members: [out1]}]\n    control: {socket: /tmp/y.sock}\n"
		 "admin: {socket: /tmp/y.sock, mode: 0660}\n");
	struct sl_cfg_error err;
	char *path = sl_test_write_tmp(t);
	c = NULL;
	assert_int_equal(sl_config_load(path, NOCPU, &c, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "admin.socket"));
	assert_non_null(strstr(err.msg, "tenant 'b'"));
	unlink(path);
	free(path);
	free(t);
}

/* write @p text at @p path */
static void
put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* A tenant's rules in their own file: loaded with the main file, re-read
 * alone by sl_config_reload_rules(), and kept to rules of that tenant. */
static void
test_rules_file(void **state)
{
	char dir[] = "/tmp/sl_test_rulesXXXXXX";
	char main_path[128], rules_path[128];
	struct sl_cfg *cfg = NULL;
	struct sl_cfg_error err;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(main_path, sizeof(main_path), "%s/sluice.yaml", dir);
	snprintf(rules_path, sizeof(rules_path), "%s/b.rules.yaml", dir);
	char *text = edit("    pools: [{name: p, members: [out1]}]\n",
			  "    pools: [{name: p, members: [out1]}, {name: q, members: [out0]}]\n"
			  "    rules_file: b.rules.yaml\n");
	put(main_path, text);
	put(rules_path, "rules:\n"
			"  - {name: web, match: {dport: 80}, action: forward, pools: q}\n"
			"  - {match: {proto: udp}, action: drop}\n");
	assert_int_equal(sl_config_load(main_path, NOCPU, &cfg, &err), 0);
	struct sl_cfg_tenant *b = &cfg->tenants[1];
	assert_string_equal(b->rules_file, rules_path); /* relative to the main file */
	assert_int_equal(b->n_rules, 2);
	assert_string_equal(b->rules[0].name, "web");
	assert_int_equal(b->rules[0].pools[0], 1);
	assert_int_equal(b->rules[1].action, SL_ACT_DROP);

	/* a copy is equal and independent */
	struct sl_cfg *copy = sl_config_dup(cfg);
	assert_non_null(copy);
	assert_int_equal(sl_config_reload_check(cfg, copy, &err), 0);
	for (uint16_t t = 0; t < cfg->n_tenants; t++)
		assert_true(sl_config_tenant_policy_equal(&cfg->tenants[t], &copy->tenants[t]));
	assert_ptr_not_equal(copy->tenants, cfg->tenants);
	assert_ptr_not_equal(copy->tenants[1].rules, cfg->tenants[1].rules);

	/* the file changes: only tenant b's rules change in the copy */
	put(rules_path, "rules:\n  - {match: {proto: tcp}, action: bypass}\n");
	assert_int_equal(sl_config_reload_rules(copy, 1, &err), 0);
	assert_int_equal(copy->tenants[1].n_rules, 1);
	assert_int_equal(copy->tenants[1].rules[0].action, SL_ACT_BYPASS);
	assert_false(sl_config_tenant_policy_equal(&cfg->tenants[1], &copy->tenants[1]));
	assert_true(sl_config_tenant_policy_equal(&cfg->tenants[0], &copy->tenants[0]));
	assert_int_equal(cfg->tenants[1].n_rules, 2); /* the original is untouched */

	/* refusals name the rules file, its line and column */
	static const struct {
		const char *text, *want;
	} bad[] = {
		{ "rules:\n  - {match: {proto: tcp}, action: forward, pools: p}\npools: []\n",
		  ":3:1: pools: a tenant's rules file holds only 'rules'" },
		{ "rules:\n  - {match: {proto: tcp}, action: forward, pools: other}\n",
		  ":2:51: rules[0].pools: unknown pool 'other'" },
		{ "rules:\n  - {match: {proto: tcp}, action: forward, output: out0}\n",
		  ":2:44: rules[0].output: unknown key 'output'" },
		{ "rules: [\n", ":2:1: syntax" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char want[256];

		put(rules_path, bad[i].text);
		assert_int_not_equal(sl_config_reload_rules(copy, 1, &err), 0);
		snprintf(want, sizeof(want), "%s%s", rules_path, bad[i].want);
		if (strncmp(err.msg, want, strlen(want)) != 0)
			fail_msg("rules file %zu: got '%s', want '%s...'", i, err.msg, want);
	}
	/* a tenant without a rules file */
	assert_int_equal(sl_config_reload_rules(copy, 0, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "has no rules_file"));
	sl_config_free(copy);
	sl_config_free(cfg);

	/* rules and rules_file together */
	free(text);
	text = edit("    pools: [{name: p, members: [out0]}]\n",
		    "    pools: [{name: p, members: [out0]}]\n    rules_file: b.rules.yaml\n");
	put(main_path, text);
	cfg = NULL;
	assert_int_equal(sl_config_load(main_path, NOCPU, &cfg, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "give 'rules' or 'rules_file', not both"));
	free(text);
	unlink(rules_path);
	unlink(main_path);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reload_check_table),
		cmocka_unit_test(test_reload_dedup),
		cmocka_unit_test(test_tenant_equality),
		cmocka_unit_test(test_admin_and_capacities),
		cmocka_unit_test(test_rules_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
