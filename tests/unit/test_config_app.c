/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for the application-aware keys of lib/config (issue 18): a
 * rule's app, category and sni, the actions steer and
 * bypass-after-handshake, the appid: section, and what a reload may not
 * change. Names are checked against nDPI's (lib/appid).
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

#include "sl_appid.h"
#include "sl_config.h"

/* one worker, a table of 4096 entries; the tenant's rules start on line 9 */
#define HEAD                                                                   \
	"eal: {worker_lcores: [1]}\n"                                          \
	"inputs: [{name: in0, vdev: net_null0}]\n"                             \
	"outputs: [{name: out0, vdev: net_null1}, {name: out1, vdev: net_null2}]\n" \
	"flow_table: {size: 4096}\n"                                           \
	"tenants:\n"                                                           \
	"  - name: a\n"                                                        \
	"    id: 1\n"                                                          \
	"    pools: [{name: zeek, members: [out0]}, {name: dns, members: [out1]}]\n" \
	"    rules:\n"

static int
load_path(const char *path, const char *yaml, struct sl_cfg **cfg, struct sl_cfg_error *err)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(yaml, 1, strlen(yaml), f), strlen(yaml));
	fclose(f);
	*cfg = NULL;
	return sl_config_load(path, SL_CFG_NO_LCORE_CPU_CHECK, cfg, err);
}

static int
load(const char *yaml, struct sl_cfg **cfg, struct sl_cfg_error *err)
{
	char path[] = "/tmp/sl_test_cfg_appXXXXXX";
	int fd = mkstemp(path);
	int rc;

	assert_true(fd >= 0);
	close(fd);
	rc = load_path(path, yaml, cfg, err);
	unlink(path);
	return rc;
}

/* @p in with its first @p from replaced by @p to, into @p out. */
static void
subst(char *out, size_t n, const char *in, const char *from, const char *to)
{
	const char *at = strstr(in, from);

	assert_non_null(at);
	snprintf(out, n, "%.*s%s%s", (int)(at - in), in, to, at + strlen(from));
}

static void
test_valid(void **state)
{
	struct sl_cfg *cfg;
	struct sl_cfg_error err;

	(void)state;
	assert_int_equal(load(HEAD
			      "      - {name: dns, match: {app: dns}, action: steer, pools: dns}\n"
			      "      - {name: web, match: {dport: 80}}\n"
			      "      - {name: enc, match: {app: [TLS, quic], sni: ['*.Example.COM', "
			      "www.example.org]}, action: bypass-after-handshake}\n"
			      "      - {name: vid, match: {category: video, proto: udp}, action: drop}\n"
			      "      - {name: hs2, match: {sni: a.b}, action: bypass-after-handshake, "
			      "pools: zeek}\n",
			      &cfg, &err), 0);
	const struct sl_cfg_tenant *t = &cfg->tenants[0];
	assert_int_equal(t->n_rules, 5);
	assert_int_equal(t->n_app_rules, 4);
	assert_int_equal(t->rules[0].app, 1);
	assert_int_equal(t->rules[1].app, 0);
	assert_int_equal(t->rules[2].app, 2);
	assert_int_equal(t->rules[3].app, 3);
	assert_int_equal(t->rules[4].app, 4);
	assert_int_equal(t->rules[0].action, SL_ACT_STEER);
	assert_int_equal(t->rules[0].n_pools, 1);
	assert_int_equal(t->rules[0].pools[0], 1);
	/* bypass-after-handshake without pools keeps the flow where it is */
	assert_int_equal(t->rules[2].action, SL_ACT_BYPASS_HS);
	assert_int_equal(t->rules[2].n_pools, 0);
	assert_int_equal(t->rules[4].n_pools, 1);
	assert_string_equal(sl_rule_action_name(SL_ACT_STEER), "steer");
	assert_string_equal(sl_rule_action_name(SL_ACT_BYPASS_HS), "bypass-after-handshake");

	const struct sl_cfg_app_match *m = &t->app_matches[0];
	assert_int_equal(m->n_apps, 1);
	assert_int_equal(m->apps[0], sl_appid_proto_id("dns"));
	assert_int_equal(m->n_cats + m->n_sni, 0);
	assert_int_equal(m->loc.line, 10);
	m = &t->app_matches[1];
	assert_int_equal(m->n_apps, 2);
	assert_int_equal(m->apps[0], SL_APPID_PROTO_TLS);
	assert_int_equal(m->apps[1], SL_APPID_PROTO_QUIC);
	assert_int_equal(m->n_sni, 2);
	assert_string_equal(m->sni[0], "*.example.com"); /* lowercased */
	assert_string_equal(m->sni[1], "www.example.org");
	m = &t->app_matches[2];
	assert_int_equal(m->n_cats, 1);
	assert_int_equal(m->cats[0], sl_appid_category_id("video"));
	assert_int_equal(t->rules[3].proto, 17);
	/* a tenant with app rules switches detection on, with the defaults */
	assert_true(cfg->appid.enabled);
	assert_int_equal(cfg->appid.flows, 65536 > 4096 ? 4096 : 65536);
	sl_config_free(cfg);
}

static void
test_enabled_and_sizes(void **state)
{
	struct sl_cfg *cfg;
	struct sl_cfg_error err;

	(void)state;
	/* no app rule, no section: off */
	assert_int_equal(load(HEAD "      - {match: {dport: 80}}\n", &cfg, &err), 0);
	assert_false(cfg->appid.enabled);
	assert_int_equal(cfg->tenants[0].n_app_rules, 0);
	assert_null(cfg->tenants[0].app_matches);
	sl_config_free(cfg);
	/* the section alone: on (a reload may then add app rules) */
	assert_int_equal(load(HEAD "      - {match: {dport: 80}}\n"
			      "appid: {flows: 2048, detecting: 512, max_packets: 10, "
			      "handshake_packets: 40, memory_mb: 32}\n", &cfg, &err), 0);
	assert_true(cfg->appid.enabled);
	assert_int_equal(cfg->appid.flows, 2048);
	assert_int_equal(cfg->appid.detecting, 512);
	assert_int_equal(cfg->appid.max_packets, 10);
	assert_int_equal(cfg->appid.handshake_packets, 40);
	assert_int_equal(cfg->appid.memory, 32ull << 20);
	assert_int_equal(cfg->appid.loc.line, 11);
	sl_config_free(cfg);
}

/* The defaults, with a large table and with a small one. */
static void
test_defaults(void **state)
{
	struct sl_cfg *cfg;
	struct sl_cfg_error err;
	char yaml[2048];

	(void)state;
	subst(yaml, sizeof(yaml), HEAD "      - {match: {app: ssh}, action: bypass}\n", "4096",
	      "65537");
	assert_int_equal(load(yaml, &cfg, &err), 0);
	assert_true(cfg->appid.enabled);
	assert_false(cfg->appid.section);
	assert_int_equal(cfg->appid.flows, 65536);
	assert_int_equal(cfg->appid.detecting, 8192);
	assert_int_equal(cfg->appid.max_packets, 32);
	assert_int_equal(cfg->appid.handshake_packets, 64);
	assert_int_equal(cfg->appid.memory, 64ull << 20);
	assert_int_equal(cfg->appid.loc.line, 10);
	assert_int_equal(cfg->tenants[0].rules[0].action, SL_ACT_BYPASS);
	sl_config_free(cfg);
	/* a table smaller than the default: as many as it holds */
	subst(yaml, sizeof(yaml), HEAD "      - {match: {app: ssh}, action: bypass}\n"
	      "appid: {detecting: 16}\n", "4096", "2048");
	assert_int_equal(load(yaml, &cfg, &err), 0);
	assert_int_equal(cfg->appid.flows, 2048);
	assert_int_equal(cfg->appid.detecting, 16);
	sl_config_free(cfg);
}

static void
test_errors(void **state)
{
	static const struct {
		const char *yaml, *want;
	} rows[] = {
		{ HEAD "      - {match: {app: dnz}, action: bypass}\n",
		  ":10:23: tenants[0].rules[0].match.app: unknown application 'dnz': not a "
		  "protocol name of nDPI" },
		{ HEAD "      - {match: {app: [dns, tls, bogus]}, action: bypass}\n",
		  ":10:34: tenants[0].rules[0].match.app[2]: unknown application 'bogus'" },
		{ HEAD "      - {match: {app: unknown}, action: bypass}\n",
		  ":10:23: tenants[0].rules[0].match.app: unknown application 'unknown'" },
		{ HEAD "      - {match: {app: []}, action: bypass}\n",
		  ":10:23: tenants[0].rules[0].match.app: must not be empty" },
		{ HEAD "      - {match: {app: [a, b, c, d, e, f, g, h, i]}, action: bypass}\n",
		  ":10:23: tenants[0].rules[0].match.app: too many entries (9, max 8)" },
		{ HEAD "      - {match: {category: moviez}, action: bypass}\n",
		  ":10:28: tenants[0].rules[0].match.category: unknown category 'moviez' "
		  "(nDPI's: Media, VPN, " },
		{ HEAD "      - {match: {sni: '*foo.com'}, action: bypass}\n",
		  ":10:23: tenants[0].rules[0].match.sni: expected a server name" },
		{ HEAD "      - {match: {sni: 'a..b'}, action: bypass}\n",
		  ":10:23: tenants[0].rules[0].match.sni: expected a server name" },
		{ HEAD "      - {match: {sni: '*.'}, action: bypass}\n",
		  ":10:23: tenants[0].rules[0].match.sni: expected a server name" },
		{ HEAD "      - {match: {sni: '*.*.x'}, action: bypass}\n",
		  ":10:23: tenants[0].rules[0].match.sni: expected a server name" },
		{ HEAD "      - {match: {sni: [ok.com, 'bad name']}, action: bypass}\n",
		  ":10:32: tenants[0].rules[0].match.sni[1]: expected a server name" },
		{ HEAD "      - {match: {sni: .lead}, action: bypass}\n",
		  ":10:23: tenants[0].rules[0].match.sni: expected a server name" },
		{ HEAD "      - {match: {dport: 53}, action: steer, pools: dns}\n",
		  ":10:9: tenants[0].rules[0]: action steer needs 'app', 'category' or 'sni'" },
		{ HEAD "      - {match: {app: dns}, action: steer}\n",
		  ":10:9: tenants[0].rules[0]: action steer needs 'pools'" },
		{ HEAD "      - {match: {app: dns}, action: steer, pools: [zeek, dns]}\n",
		  ":10:9: tenants[0].rules[0]: action steer takes one pool, 2 given" },
		{ HEAD "      - {match: {dport: 443}, action: bypass-after-handshake}\n",
		  ":10:9: tenants[0].rules[0]: action bypass-after-handshake needs 'app'" },
		{ HEAD "      - {match: {app: tls}, action: bypass-after-handshake, "
		       "pools: [zeek, dns]}\n",
		  ":10:9: tenants[0].rules[0]: action bypass-after-handshake takes one pool" },
		{ HEAD "      - {match: {app: tls}, action: bypass-later}\n",
		  ":10:37: tenants[0].rules[0].action: invalid value 'bypass-later' (expected one "
		  "of: forward, mirror, bypass, drop, slice, sample, steer, bypass-after-handshake)" },
		{ HEAD "      - {match: {app: tls}}\nappid: {flows: 8192}\n",
		  ":11:8: appid.flows: 8192 flows with detection state per worker, more than "
		  "the flow table holds (flow_table.size 4096)" },
		{ HEAD "      - {match: {app: tls}}\nappid: {flows: 1024, detecting: 2048}\n",
		  ":11:8: appid: detecting (2048) is more than flows (1024)" },
		{ HEAD "      - {match: {app: tls}}\nappid: {memory_mb: 8}\n",
		  ":11:20: appid.memory_mb:" },
		{ HEAD "      - {match: {app: tls}}\nappid: {max_packets: 0}\n",
		  ":11:22: appid.max_packets:" },
		{ HEAD "      - {match: {app: tls}}\nappid: {detect: 3}\n",
		  ":11:9: appid.detect: unknown key 'detect'" },
		{ HEAD "      - {match: {app: tls}}\nappid: [1]\n",
		  ":11:8: appid: expected a mapping, got a list" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct sl_cfg *cfg;
		struct sl_cfg_error err;
		int rc = load(rows[i].yaml, &cfg, &err);
		const char *colon = strchr(err.msg, ':');

		if (rc != -EINVAL || colon == NULL ||
		    strncmp(colon, rows[i].want, strlen(rows[i].want)) != 0)
			fail_msg("row %zu: rc %d '%s', want '...%s'", i, rc, err.msg, rows[i].want);
		assert_null(cfg);
	}
}

/* The most app rules a tenant may have. */
static void
test_app_rule_bound(void **state)
{
	size_t cap = 64 * 1024, n;
	char *yaml = malloc(cap);
	struct sl_cfg *cfg;
	struct sl_cfg_error err;

	(void)state;
	for (int over = 0; over < 2; over++) {
		n = (size_t)snprintf(yaml, cap, "%s", HEAD);
		for (int i = 0; i < SL_MAX_APP_RULES_PER_TENANT + over; i++)
			n += (size_t)snprintf(yaml + n, cap - n,
					      "      - {match: {app: dns, dport: %d}, action: drop}\n",
					      i);
		int rc = load(yaml, &cfg, &err);
		if (!over) {
			assert_int_equal(rc, 0);
			assert_int_equal(cfg->tenants[0].n_app_rules, SL_MAX_APP_RULES_PER_TENANT);
			sl_config_free(cfg);
		} else {
			assert_int_equal(rc, -EINVAL);
			assert_non_null(strstr(err.msg, "more than 256 rules with app, category "
						       "or sni in tenant 'a'"));
		}
	}
	free(yaml);
}

/* A rules file: app rules there too, re-read alone; a copy of the
 * configuration copies them; rule and policy comparisons see them. */
static void
test_rules_file_dup_and_equal(void **state)
{
	char dir[] = "/tmp/sl_test_cfg_appXXXXXX";
	char main_path[256], rules_path[256];
	struct sl_cfg *cfg, *dup, *other;
	struct sl_cfg_error err;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(main_path, sizeof(main_path), "%s/sluice.yaml", dir);
	snprintf(rules_path, sizeof(rules_path), "%s/rules.yaml", dir);
	f = fopen(rules_path, "w");
	fputs("rules:\n  - {match: {dport: 80}}\n  - {match: {app: tls}, action: bypass}\n", f);
	fclose(f);
	char yaml[2048];
	snprintf(yaml, sizeof(yaml), "%s", HEAD);
	strcpy(strstr(yaml, "    rules:\n"), "    rules_file: rules.yaml\n");
	assert_int_equal(load_path(main_path, yaml, &cfg, &err), 0);
	assert_int_equal(cfg->tenants[0].n_app_rules, 1);
	assert_int_equal(cfg->tenants[0].rules[1].app, 1);
	assert_true(cfg->appid.enabled);

	dup = sl_config_dup(cfg);
	assert_non_null(dup);
	assert_ptr_not_equal(dup->tenants[0].app_matches, cfg->tenants[0].app_matches);
	assert_true(sl_config_tenant_rules_equal(&cfg->tenants[0], &dup->tenants[0]));
	assert_true(sl_config_tenant_policy_equal(&cfg->tenants[0], &dup->tenants[0]));
	assert_int_equal(sl_config_reload_check(cfg, dup, &err), 0);

	/* the rules file changes its app rule's application: re-read alone */
	f = fopen(rules_path, "w");
	fputs("rules:\n  - {match: {dport: 80}}\n  - {match: {app: quic}, action: bypass}\n", f);
	fclose(f);
	assert_int_equal(sl_config_reload_rules(dup, 0, &err), 0);
	assert_int_equal(dup->tenants[0].n_app_rules, 1);
	assert_int_equal(dup->tenants[0].app_matches[0].apps[0], SL_APPID_PROTO_QUIC);
	assert_int_equal(cfg->tenants[0].app_matches[0].apps[0], SL_APPID_PROTO_TLS);
	assert_false(sl_config_tenant_rules_equal(&cfg->tenants[0], &dup->tenants[0]));
	assert_false(sl_config_tenant_policy_equal(&cfg->tenants[0], &dup->tenants[0]));
	/* an app rule becoming a port rule of the same 5-tuple: not equal either */
	f = fopen(rules_path, "w");
	fputs("rules:\n  - {match: {dport: 80}}\n  - {action: bypass}\n", f);
	fclose(f);
	assert_int_equal(sl_config_reload_rules(dup, 0, &err), 0);
	assert_int_equal(dup->tenants[0].n_app_rules, 0);
	assert_false(sl_config_tenant_rules_equal(&cfg->tenants[0], &dup->tenants[0]));
	/* bad app names in a rules file name the rules file */
	f = fopen(rules_path, "w");
	fputs("rules:\n  - {match: {app: nosuch}, action: bypass}\n", f);
	fclose(f);
	assert_int_equal(sl_config_reload_rules(dup, 0, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "rules.yaml:2:19: rules[0].match.app: unknown application"));
	sl_config_free(dup);

	/* detection cannot be switched on by a reload */
	strcpy(strstr(yaml, "    rules_file: rules.yaml\n"),
	       "    rules: [{match: {dport: 80}}]\n");
	assert_int_equal(load_path(main_path, yaml, &other, &err), 0);
	assert_false(other->appid.enabled);
	assert_int_equal(sl_config_reload_check(other, cfg, &err), -EINVAL);
	/* at the tenant's rules_file key: this file's line */
	assert_non_null(strstr(err.msg, "sluice.yaml:9:17: appid: application detection was "
				       "off at start"));
	/* the other way round: detection stays on at start, idle */
	assert_int_equal(sl_config_reload_check(cfg, other, &err), 0);
	/* nor resized */
	strcat(yaml, "appid: {max_packets: 8}\n");
	sl_config_free(other);
	assert_int_equal(load_path(main_path, yaml, &other, &err), 0);
	dup = sl_config_dup(other);
	dup->appid.max_packets = 9;
	assert_int_equal(sl_config_reload_check(other, dup, &err), -EINVAL);
	assert_non_null(strstr(err.msg, ":10:8: appid: changed; this needs a restart"));
	sl_config_free(dup);
	sl_config_free(other);
	sl_config_free(cfg);
	unlink(rules_path);
	unlink(main_path);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_enabled_and_sizes),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_app_rule_bound),
		cmocka_unit_test(test_rules_file_dup_and_equal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
