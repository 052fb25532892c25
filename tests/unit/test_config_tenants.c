/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for the tenant isolation keys of lib/config: max_flows (and
 * that the bounds fit the flow tables), on_flow_quota and rate; and
 * de-duplication (dedup).
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

/* two workers, tables of 4096 entries: 8192 flows in all; the tenants'
 * keys follow on lines 8 (a) and 15 (b) */
#define HEAD                                                                   \
	"eal: {worker_lcores: [1, 2]}\n"                                       \
	"inputs: [{name: in0, vdev: net_null0}]\n"                             \
	"outputs: [{name: out0, vdev: net_null1}]\n"                           \
	"flow_table: {size: 4096}\n"                                           \
	"tenants:\n"                                                           \
	"  - name: a\n"                                                        \
	"    id: 1\n"

#define A_REST "    match: {vlan: [100]}\n    pools: [{name: p, members: [out0]}]\n"
#define B(keys)                                                                \
	"  - name: b\n    id: 2\n    match: {vlan: [200]}\n"                   \
	"    pools: [{name: p, members: [out0]}]\n" keys

static int
load(const char *yaml, struct sl_cfg **cfg, struct sl_cfg_error *err)
{
	return sl_test_load_yaml(yaml, cfg, err, NULL, 0);
}

static void
test_valid(void **state)
{
	struct sl_cfg *cfg;
	struct sl_cfg_error err;

	(void)state;
	assert_int_equal(load(HEAD "    max_flows: 3000\n    on_flow_quota: drop\n"
			      "    rate: {pps: 50000, mbps: 200}\n" A_REST
			      B("    max_flows: 5000\n    rate: {pps: 100, burst: 10}\n"),
			      &cfg, &err), 0);
	const struct sl_cfg_tenant *a = &cfg->tenants[0], *b = &cfg->tenants[1];
	assert_int_equal(a->max_flows, 3000);
	assert_int_equal(a->on_flow_quota, SL_QUOTA_DROP);
	assert_int_equal(a->rate.pps, 50000);
	assert_int_equal(a->rate.bytes_per_sec, 200 * 1000000 / 8);
	assert_int_equal(a->rate.burst, 5000);            /* 100 ms of pps */
	assert_int_equal(a->rate.burst_bytes, 2500000);   /* 100 ms of mbps */
	assert_int_equal(b->on_flow_quota, SL_QUOTA_FORWARD);
	assert_int_equal(b->rate.burst, 10);
	assert_int_equal(b->rate.bytes_per_sec, 0);
	sl_config_free(cfg);
	/* no keys: no bound, no meter */
	assert_int_equal(load(HEAD A_REST, &cfg, &err), 0);
	assert_int_equal(cfg->tenants[0].max_flows, 0);
	assert_int_equal(cfg->tenants[0].rate.pps + cfg->tenants[0].rate.bytes_per_sec, 0);
	sl_config_free(cfg);
}

static void
test_dedup_valid(void **state)
{
	struct sl_cfg *cfg;
	struct sl_cfg_error err;

	(void)state;
	assert_int_equal(load(HEAD "    dedup: {window_us: 250, table: 1024}\n" A_REST
			      B("    dedup: {}\n"), &cfg, &err), 0);
	assert_int_equal(cfg->tenants[0].dedup.window_us, 250);
	assert_int_equal(cfg->tenants[0].dedup.table, 1024);
	assert_int_equal(cfg->tenants[0].dedup.loc.line, 8);
	/* an empty section: the defaults */
	assert_int_equal(cfg->tenants[1].dedup.window_us, SL_CFG_DEDUP_WINDOW_US);
	assert_int_equal(cfg->tenants[1].dedup.table, SL_CFG_DEDUP_TABLE);
	sl_config_free(cfg);
	/* the limits themselves */
	assert_int_equal(load(HEAD "    dedup: {window_us: 1000000, table: 4194304}\n" A_REST
			      B("    dedup: {window_us: 1, table: 64}\n"), &cfg, &err), 0);
	sl_config_free(cfg);
	/* no section: off */
	assert_int_equal(load(HEAD A_REST, &cfg, &err), 0);
	assert_int_equal(cfg->tenants[0].dedup.window_us, 0);
	assert_int_equal(cfg->tenants[0].dedup.table, 0);
	sl_config_free(cfg);
}

static void
test_errors(void **state)
{
	static const struct {
		const char *yaml, *want;
	} rows[] = {
		/* 3000/2 + 7000/2 = 5000 > 4096 per worker */
		{ HEAD "    max_flows: 3000\n" A_REST B("    max_flows: 7000\n"),
		  ":15:16: tenants[1].max_flows: tenant 'b': the tenants' max_flows add up to "
		  "more than the flow tables hold (2 workers x flow_table.size 4096)" },
		{ HEAD "    max_flows: 0\n" A_REST, ":8:16: tenants[0].max_flows:" },
		{ HEAD "    on_flow_quota: maybe\n" A_REST, ":8:20: tenants[0].on_flow_quota:" },
		{ HEAD "    rate: {}\n" A_REST, ":8:11: tenants[0].rate: rate needs 'pps', 'mbps'" },
		{ HEAD "    rate: {mbps: 10, burst: 5}\n" A_REST,
		  ":8:11: tenants[0].rate: 'burst' (packets) needs 'pps'" },
		{ HEAD "    rate: {pps: 10, burst_bytes: 5000}\n" A_REST,
		  ":8:11: tenants[0].rate: 'burst_bytes' needs 'mbps'" },
		{ HEAD "    rate: {pps: 0}\n" A_REST, ":8:17: tenants[0].rate.pps:" },
		{ HEAD "    rate: {mbps: 10, colour: red}\n" A_REST,
		  ":8:22: tenants[0].rate.colour: unknown key 'colour'" },
		{ HEAD "    dedup: {window_us: 0}\n" A_REST, ":8:24: tenants[0].dedup.window_us:" },
		{ HEAD "    dedup: {window_us: 1000001}\n" A_REST,
		  ":8:24: tenants[0].dedup.window_us:" },
		{ HEAD "    dedup: {table: 63}\n" A_REST, ":8:20: tenants[0].dedup.table:" },
		{ HEAD "    dedup: {table: 4194305}\n" A_REST, ":8:20: tenants[0].dedup.table:" },
		{ HEAD "    dedup: {window: 5}\n" A_REST,
		  ":8:13: tenants[0].dedup.window: unknown key 'window'" },
		{ HEAD "    dedup: yes\n" A_REST, ":8:12: tenants[0].dedup:" },
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_dedup_valid),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
