/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of lib/config: every error class with its exact
 * "FILE:LINE:COL: KEY: REASON" message, a full valid file with every key,
 * the defaults, and the shipped reference configuration.
 *
 * Expected messages are written with '@' standing for the temporary file's
 * path. Runs with cwd = tests/unit (meson sets workdir).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <syslog.h>
#include <unistd.h>

#include <cmocka.h>

#include "sl_config.h"
#include "sl_test_cfg.h"

#define REFERENCE_CONFIG "../../config/sluice.reference.yaml"
#define NOCPU SL_CFG_NO_LCORE_CPU_CHECK

/* Lines 1-9; the first tenant starts on line 10. */
#define HEAD                                                                   \
	"eal:\n"                                                               \
	"  worker_lcores: [1]\n"                                               \
	"inputs:\n"                                                            \
	"  - {name: in0, vdev: net_null0}\n"                                   \
	"  - {name: in1, vdev: net_null1}\n"                                   \
	"outputs:\n"                                                           \
	"  - {name: out0, vdev: net_null2, queues: 4}\n"                       \
	"  - {name: out1, vdev: net_null3}\n"                                  \
	"tenants:\n"

/* A tenant on 3 lines with name N and id I. */
#define TENANT(n, i)                                                           \
	"  - name: " n "\n"                                                    \
	"    id: " i "\n"                                                      \
	"    pools: [{name: p, members: [out0]}]\n"

/* Lines 1-8 of a file whose ports and tenant are fine: only eal varies. */
#define PORTS_AND_TENANT                                                       \
	"inputs: [{name: in0, vdev: net_null0}]\n"                             \
	"outputs: [{name: out0, vdev: net_null1}]\n"                           \
	"tenants:\n" TENANT("a", "1")

/* @p pattern with every '@' replaced by @p path. */
static void
expand(const char *pattern, const char *path, char *out, size_t size)
{
	size_t len = 0, plen = strlen(path);

	for (const char *p = pattern; *p; p++) {
		if (*p == '@' && len + plen < size) {
			memcpy(out + len, path, plen);
			len += plen;
		} else if (*p != '@' && len + 1 < size) {
			out[len++] = *p;
		}
	}
	out[len] = '\0';
}

/* Load @p yaml and expect -EINVAL with exactly @p expected ("@:L:C: KEY: REASON"). */
static void
expect_error_flags(const char *yaml, unsigned int flags, const char *expected, bool prefix)
{
	struct sl_cfg *cfg = (struct sl_cfg *)&cfg;
	struct sl_cfg_error err;
	char *path = sl_test_write_tmp(yaml);
	char want[2048];
	int line = 0, col = 0, rc;

	rc = sl_config_load(path, flags, &cfg, &err);
	expand(expected, path, want, sizeof(want));
	if (rc != -EINVAL || strncmp(err.msg, want, prefix ? strlen(want) : sizeof(want)) != 0)
		print_error("rc %d\n got: %s\nwant: %s%s\n", rc, err.msg, want, prefix ? "..." : "");
	assert_int_equal(rc, -EINVAL);
	assert_null(cfg);
	if (prefix)
		assert_memory_equal(err.msg, want, strlen(want));
	else
		assert_string_equal(err.msg, want);
	assert_int_equal(sscanf(expected, "@:%d:%d:", &line, &col), 2);
	assert_int_equal(err.loc.line, line);
	assert_int_equal(err.loc.col, col);
	unlink(path);
	free(path);
}

static void
expect_error(const char *yaml, const char *expected)
{
	expect_error_flags(yaml, NOCPU, expected, false);
}

static struct sl_cfg *
load_ok(const char *yaml, unsigned int flags)
{
	struct sl_cfg *cfg = NULL;
	struct sl_cfg_error err;
	char *path = sl_test_write_tmp(yaml);
	int rc = sl_config_load(path, flags, &cfg, &err);

	if (rc != 0)
		print_error("unexpected error %d: %s\n", rc, err.msg);
	assert_int_equal(rc, 0);
	assert_non_null(cfg);
	assert_string_equal(cfg->path, path);
	unlink(path);
	free(path);
	return cfg;
}

/* ---- valid files ---- */

static const char full_yaml[] =
	"eal:\n"                                          /* 1 */
	"  main_lcore: 0\n"                               /* 2 */
	"  worker_lcores: [1, \"2-3\"]\n"                 /* 3 */
	"  args: [\"--no-pci\", \"--file-prefix=t\"]\n"   /* 4 */
	"inputs:\n"                                       /* 5 */
	"  - name: mirror0\n"                             /* 6 */
	"    vdev: \"net_pcap0,rx_pcap=in.pcap\"\n"       /* 7 */
	"    queues: 2\n"                                 /* 8 */
	"    distribution: software\n"                    /* 9 */
	"  - name: mirror1\n"                             /* 10 */
	"    vdev: net_ring0\n"                           /* 11 */
	"    distribution: rss\n"                         /* 12 */
	"outputs:\n"                                      /* 13 */
	"  - name: zeek0\n"                               /* 14 */
	"    vdev: \"net_pcap1,tx_pcap=out0.pcap\"\n"     /* 15 */
	"    queues: 4\n"                                 /* 16 */
	"  - name: zeek1\n"                               /* 17 */
	"    vdev: net_null0\n"                           /* 18 */
	"tenants:\n"                                      /* 19 */
	"  - name: acme\n"                                /* 20 */
	"    id: 1\n"                                     /* 21 */
	"    match:\n"                                    /* 22 */
	"      vlan: [100, \"200-210\"]\n"                /* 23 */
	"      qinq: [{outer: 300, inner: 10}]\n"         /* 24 */
	"      untagged: true\n"                          /* 25 */
	"      inputs: [mirror0]\n"                       /* 26 */
	"    non_ip: drop\n"                              /* 27 */
	"    malformed: drop\n"                           /* 28 */
	"    default_pool: suri\n"                        /* 29 */
	"    pools:\n"                                    /* 30 */
	"      - name: zeek\n"                            /* 31 */
	"        hash: 3-tuple\n"                         /* 32 */
	"        members:\n"                              /* 33 */
	"          - output: zeek0\n"                     /* 34 */
	"            queue: 3\n"                          /* 35 */
	"          - zeek1\n"                             /* 36 */
	"      - name: suri\n"                            /* 37 */
	"        hash: 2-tuple\n"                         /* 38 */
	"        members: [{output: zeek0}]\n"            /* 39 */
	"  - name: globex\n"                              /* 40 */
	"    id: 65535\n"                                 /* 41 */
	"    match: {vlan: [100, 205], untagged: yes, inputs: [mirror1]}\n" /* 42 */
	"    pools: [{name: p, members: [zeek1]}]\n"      /* 43 */
	"default_tenant: globex\n"                        /* 44 */
	"flow_table:\n"                                   /* 45 */
	"  size: 2048\n"                                  /* 46 */
	"  timeouts: {tcp: 600, udp: 30, icmp: 10, other: 20}\n"
	"stats:\n"
	"  interval: 2.5\n"
	"  path: /tmp/stats.json\n"
	"tuning:\n"
	"  mbufs: 8191\n"
	"  mbuf_size: 9216\n"
	"  sw_ring_size: 1024\n"
	"  record_ring: 65536\n"
	"  rx_desc: 512\n"
	"  tx_desc: 256\n"
	"  hash_seed: 0xDEADbeef\n";

static void
test_valid_full(void **state)
{
	struct sl_cfg *cfg = load_ok(full_yaml, NOCPU);
	const struct sl_cfg_tenant *t;
	const struct sl_cfg_pool *p;

	(void)state;
	assert_int_equal(cfg->main_lcore, 0);
	assert_int_equal(cfg->n_workers, 3);
	assert_int_equal(cfg->worker_lcores[0], 1);
	assert_int_equal(cfg->worker_lcores[1], 2);
	assert_int_equal(cfg->worker_lcores[2], 3);
	assert_int_equal(cfg->lcores_loc.line, 3);
	assert_int_equal(cfg->lcores_loc.col, 18);
	assert_int_equal(cfg->n_eal_args, 2);
	assert_string_equal(cfg->eal_args[0], "--no-pci");
	assert_string_equal(cfg->eal_args[1], "--file-prefix=t");

	assert_int_equal(cfg->n_inputs, 2);
	assert_string_equal(cfg->inputs[0].name, "mirror0");
	assert_string_equal(cfg->inputs[0].vdev, "net_pcap0,rx_pcap=in.pcap");
	assert_string_equal(cfg->inputs[0].pci, "");
	assert_int_equal(cfg->inputs[0].queues, 2);
	assert_int_equal(cfg->inputs[0].dist, SL_DIST_SOFTWARE);
	assert_int_equal(cfg->inputs[0].loc.line, 6);
	assert_int_equal(cfg->inputs[0].loc.col, 5);
	assert_int_equal(cfg->inputs[1].queues, 0);
	assert_int_equal(cfg->inputs[1].dist, SL_DIST_RSS);
	assert_int_equal(cfg->n_outputs, 2);
	assert_int_equal(cfg->outputs[0].queues, 4);
	assert_int_equal(cfg->outputs[1].queues, 1);
	assert_int_equal(sl_config_find_output(cfg, "zeek1"), 1);
	assert_int_equal(sl_config_find_output(cfg, "mirror0"), -1);
	assert_int_equal(sl_config_find_input(cfg, "mirror1"), 1);
	assert_int_equal(sl_config_find_input(cfg, "nope"), -1);

	assert_int_equal(cfg->n_tenants, 2);
	t = &cfg->tenants[0];
	assert_string_equal(t->name, "acme");
	assert_int_equal(t->id, 1);
	assert_int_equal(t->loc.line, 20);
	assert_int_equal(t->n_vlans, 2);
	assert_int_equal(t->vlans[0].lo, 100);
	assert_int_equal(t->vlans[0].hi, 100);
	assert_int_equal(t->vlans[1].lo, 200);
	assert_int_equal(t->vlans[1].hi, 210);
	assert_int_equal(t->vlans[1].loc.line, 23);
	assert_int_equal(t->vlans[1].loc.col, 19);
	assert_int_equal(t->n_qinq, 1);
	assert_int_equal(t->qinq[0].outer, 300);
	assert_int_equal(t->qinq[0].inner, 10);
	assert_true(t->untagged);
	assert_int_equal(t->n_inputs, 1);
	assert_int_equal(t->inputs[0], 0);
	assert_int_equal(t->non_ip, SL_NON_IP_DROP);
	assert_int_equal(t->malformed, SL_MALFORMED_DROP);
	assert_int_equal(t->n_pools, 2);
	assert_int_equal(t->default_pool, 1);
	p = &t->pools[0];
	assert_string_equal(p->name, "zeek");
	assert_int_equal(p->hash, SL_HASH_3TUPLE);
	assert_int_equal(p->n_members, 2);
	assert_string_equal(p->members[0].output, "zeek0");
	assert_int_equal(p->members[0].output_idx, 0);
	assert_int_equal(p->members[0].queue, 3);
	assert_int_equal(p->members[0].loc.line, 34);
	assert_int_equal(p->members[0].loc.col, 13);
	assert_string_equal(p->members[1].output, "zeek1");
	assert_int_equal(p->members[1].output_idx, 1);
	assert_int_equal(p->members[1].queue, -1);
	assert_int_equal(t->pools[1].hash, SL_HASH_2TUPLE);
	assert_int_equal(t->pools[1].members[0].queue, -1);

	t = &cfg->tenants[1];
	assert_string_equal(t->name, "globex");
	assert_int_equal(t->id, 65535);
	assert_true(t->untagged);
	assert_int_equal(t->n_inputs, 1);
	assert_int_equal(t->inputs[0], 1);
	assert_int_equal(t->default_pool, 0);
	assert_int_equal(cfg->default_tenant, 1);

	assert_int_equal(cfg->flow_table_size, 2048);
	assert_int_equal(cfg->timeouts.tcp, 600);
	assert_int_equal(cfg->timeouts.udp, 30);
	assert_int_equal(cfg->timeouts.icmp, 10);
	assert_int_equal(cfg->timeouts.other, 20);
	assert_int_equal(cfg->stats_interval_ms, 2500);
	assert_string_equal(cfg->stats_path, "/tmp/stats.json");
	assert_int_equal(cfg->mbufs, 8191);
	assert_int_equal(cfg->mbuf_size, 9216);
	assert_int_equal(cfg->sw_ring_size, 1024);
	assert_int_equal(cfg->record_ring, 65536);
	assert_int_equal(cfg->rx_desc, 512);
	assert_int_equal(cfg->tx_desc, 256);
	assert_int_equal(cfg->hash_seed, 0xdeadbeefu);
	sl_config_free(cfg);
}

static void
test_defaults(void **state)
{
	struct sl_cfg *cfg = load_ok(HEAD TENANT("a", "0"), NOCPU);
	const struct sl_cfg_tenant *t = &cfg->tenants[0];

	(void)state;
	assert_int_equal(cfg->main_lcore, 0);
	assert_int_equal(cfg->n_workers, 1);
	assert_int_equal(cfg->n_eal_args, 0);
	assert_int_equal(cfg->inputs[0].queues, 0);
	assert_int_equal(cfg->inputs[0].dist, SL_DIST_AUTO);
	assert_int_equal(cfg->outputs[1].queues, 1);
	assert_int_equal(t->id, 0);
	assert_int_equal(t->n_vlans, 0);
	assert_int_equal(t->n_qinq, 0);
	assert_false(t->untagged);
	assert_int_equal(t->n_inputs, 0);
	assert_int_equal(t->non_ip, SL_NON_IP_MEMBER0);
	assert_int_equal(t->malformed, SL_MALFORMED_FORWARD);
	assert_int_equal(t->default_pool, 0);
	assert_int_equal(t->pools[0].hash, SL_HASH_5TUPLE);
	assert_int_equal(t->pools[0].members[0].queue, -1);
	assert_int_equal(cfg->default_tenant, -1);
	assert_int_equal(cfg->flow_table_size, 1048576);
	assert_int_equal(cfg->timeouts.tcp, 300);
	assert_int_equal(cfg->timeouts.udp, 60);
	assert_int_equal(cfg->timeouts.icmp, 30);
	assert_int_equal(cfg->timeouts.other, 60);
	assert_int_equal(cfg->stats_interval_ms, 10000);
	assert_string_equal(cfg->stats_path, "");
	assert_int_equal(cfg->mbufs, 65535);
	assert_int_equal(cfg->mbuf_size, 2176);
	assert_int_equal(cfg->sw_ring_size, 4096);
	assert_int_equal(cfg->record_ring, 16384);
	assert_int_equal(cfg->rx_desc, 1024);
	assert_int_equal(cfg->tx_desc, 1024);
	assert_int_equal(cfg->hash_seed, 0x9e3779b9u);
	sl_config_free(cfg);
}

static void
test_member_shorthand(void **state)
{
	struct sl_cfg *cfg = load_ok(HEAD
				     "  - name: a\n"
				     "    id: 1\n"
				     "    pools:\n"
				     "      - name: p\n"
				     "        members: [out1, {output: out0, queue: 2}, out0]\n",
				     NOCPU);
	const struct sl_cfg_pool *p = &cfg->tenants[0].pools[0];

	(void)state;
	assert_int_equal(p->n_members, 3);
	assert_string_equal(p->members[0].output, "out1");
	assert_int_equal(p->members[0].output_idx, 1);
	assert_int_equal(p->members[0].queue, -1);
	assert_int_equal(p->members[0].loc.line, 14);
	assert_int_equal(p->members[0].loc.col, 19);
	assert_int_equal(p->members[1].output_idx, 0);
	assert_int_equal(p->members[1].queue, 2);
	assert_int_equal(p->members[2].output_idx, 0);
	assert_int_equal(p->members[2].queue, -1);
	sl_config_free(cfg);
}

/* metrics: off by default; numeric ADDRESS:PORT, IPv4 or [IPv6]. */
static void
test_metrics(void **state)
{
	struct sl_cfg *cfg;
	static const uint8_t v4[4] = { 127, 0, 0, 1 };
	static const uint8_t v6[16] = { [15] = 1 };

	(void)state;
	cfg = load_ok(HEAD TENANT("a", "1"), NOCPU);
	assert_string_equal(cfg->metrics.listen, "");
	sl_config_free(cfg);
	cfg = load_ok(HEAD TENANT("a", "1") "metrics: {listen: \"\"}\n", NOCPU);
	assert_string_equal(cfg->metrics.listen, "");
	sl_config_free(cfg);
	cfg = load_ok(HEAD TENANT("a", "1") "metrics: {listen: \"127.0.0.1:9280\"}\n", NOCPU);
	assert_string_equal(cfg->metrics.listen, "127.0.0.1:9280");
	assert_int_equal(cfg->metrics.family, AF_INET);
	assert_memory_equal(cfg->metrics.addr, v4, 4);
	assert_int_equal(cfg->metrics.port, 9280);
	assert_int_equal(cfg->metrics.loc.line, 13);
	sl_config_free(cfg);
	cfg = load_ok(HEAD TENANT("a", "1") "metrics:\n  listen: \"[::1]:65535\"\n", NOCPU);
	assert_int_equal(cfg->metrics.family, AF_INET6);
	assert_memory_equal(cfg->metrics.addr, v6, 16);
	assert_int_equal(cfg->metrics.port, 65535);
	sl_config_free(cfg);

	static const char *const bad[] = { "localhost:9280", "127.0.0.1", "127.0.0.1:0",
					   "127.0.0.1:65536", "127.0.0.1:92a", "[::1:9280",
					   "::1:9280", ":9280", "127.0.0.1:-1", "[]:1",
					   "1.2.3.4.5:80" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char yaml[1024], want[256];

		snprintf(yaml, sizeof(yaml), HEAD TENANT("a", "1") "metrics: {listen: \"%s\"}\n",
			 bad[i]);
		snprintf(want, sizeof(want),
			 "@:13:19: metrics.listen: '%s' is not ADDRESS:PORT with a numeric address "
			 "(e.g. 127.0.0.1:9280 or [::1]:9280)", bad[i]);
		expect_error(yaml, want);
	}
	expect_error(HEAD TENANT("a", "1") "metrics: {port: 9280}\n",
		     "@:13:11: metrics.port: unknown key 'port'");
	expect_error(HEAD TENANT("a", "1") "metrics: 9280\n",
		     "@:13:10: metrics: expected a mapping, got '9280'");
	expect_error(HEAD TENANT("a", "1") "metrics: {listen: [1]}\n",
		     "@:13:19: metrics.listen: expected a string, got a list");
}

static void
test_stats_interval(void **state)
{
	static const struct {
		const char *text;
		uint32_t ms;
	} ok[] = { { "0.5", 500 }, { "0.1", 100 }, { "2", 2000 }, { "1.25", 1250 },
		   { "86400", 86400000 }, { ".75", 750 }, { "0.1004", 100 }, { "0.1005", 101 } };
	char yaml[1024];

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct sl_cfg *cfg;

		snprintf(yaml, sizeof(yaml), HEAD TENANT("a", "1") "stats: {interval: %s, path: \"-\"}\n",
			 ok[i].text);
		cfg = load_ok(yaml, NOCPU);
		assert_int_equal(cfg->stats_interval_ms, ok[i].ms);
		assert_string_equal(cfg->stats_path, "");
		sl_config_free(cfg);
	}
	expect_error(HEAD TENANT("a", "1") "stats: {interval: 0.05}\n",
		     "@:13:19: stats.interval: 0.05 out of range 0.1..86400");
	expect_error(HEAD TENANT("a", "1") "stats: {interval: 86400.5}\n",
		     "@:13:19: stats.interval: 86400.5 out of range 0.1..86400");
	expect_error(HEAD TENANT("a", "1") "stats: {interval: 1s}\n",
		     "@:13:19: stats.interval: expected a number of seconds, got '1s'");
	expect_error(HEAD TENANT("a", "1") "stats: {interval: -1}\n",
		     "@:13:19: stats.interval: expected a number of seconds, got '-1'");
}

static void
test_hash_seed(void **state)
{
	struct sl_cfg *cfg;

	(void)state;
	cfg = load_ok(HEAD TENANT("a", "1") "tuning: {hash_seed: 0xffffffff}\n", NOCPU);
	assert_int_equal(cfg->hash_seed, 0xffffffffu);
	sl_config_free(cfg);
	cfg = load_ok(HEAD TENANT("a", "1") "tuning: {hash_seed: 12345}\n", NOCPU);
	assert_int_equal(cfg->hash_seed, 12345);
	sl_config_free(cfg);
	expect_error(HEAD TENANT("a", "1") "tuning: {hash_seed: 0x100000000}\n",
		     "@:13:21: tuning.hash_seed: 0x100000000 out of range 0..4294967295");
	expect_error(HEAD TENANT("a", "1") "tuning: {hash_seed: 0xg}\n",
		     "@:13:21: tuning.hash_seed: expected an integer, got '0xg'");
}

static void
test_reference_config(void **state)
{
	struct sl_cfg *cfg = NULL;
	struct sl_cfg_error err;
	int rc, n_tunnel = 0;

	(void)state;
	rc = sl_config_load(REFERENCE_CONFIG, NOCPU, &cfg, &err);
	if (rc != 0)
		print_error("%s\n", err.msg);
	assert_int_equal(rc, 0);
	assert_true(cfg->n_inputs >= 1);
	for (uint16_t i = 0; i < cfg->n_inputs; i++)
		assert_string_equal(cfg->inputs[i].pci, "");
	for (uint16_t i = 0; i < cfg->n_outputs; i++)
		assert_string_equal(cfg->outputs[i].pci, "");
	/* the tunnels section shows the defaults; the tunnel tenant example validates */
	assert_true(cfg->tunnels.loc.line > 0);
	assert_int_equal(cfg->tunnels.max_depth, 3);
	assert_int_equal(cfg->tunnels.vxlan_ports[0], 4789);
	assert_int_equal(cfg->tunnels.geneve_ports[0], 6081);
	for (uint16_t i = 0; i < cfg->n_tenants; i++)
		n_tunnel += sl_config_tenant_is_tunnel(&cfg->tenants[i]);
	assert_true(n_tunnel >= 1);
	/* the fragments section shows the defaults */
	assert_true(cfg->fragments.loc.line > 0);
	assert_int_equal(cfg->fragments.hold_ms, 100);
	assert_int_equal(cfg->fragments.remember_ms, 30000);
	assert_int_equal(cfg->fragments.max_held, 4096);
	assert_int_equal(cfg->fragments.max_held_bytes, 8388608);
	assert_int_equal(cfg->fragments.tenant_max_held, 1024);
	assert_int_equal(cfg->fragments.datagram_max_held, 64);
	assert_int_equal(cfg->fragments.table_size, 65536);
	assert_int_equal(cfg->tenants[0].pools[0].strip, SL_STRIP_NONE);
	sl_config_free(cfg);
}

/* Every prefix of the reference file loads or fails cleanly with a located message. */
static void
test_truncated_reference(void **state)
{
	static char buf[64 * 1024];
	FILE *f = fopen(REFERENCE_CONFIG, "rb");
	size_t len;
	int failed = 0;

	(void)state;
	assert_non_null(f);
	len = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	assert_true(len > 0 && len < sizeof(buf) - 1);
	for (size_t cut = 0; cut <= len; cut++) {
		struct sl_cfg *cfg = NULL;
		struct sl_cfg_error err;
		char saved = buf[cut], *path, prefix[64];
		int rc;

		buf[cut] = '\0';
		path = sl_test_write_tmp(buf);
		buf[cut] = saved;
		rc = sl_config_load(path, NOCPU, &cfg, &err);
		snprintf(prefix, sizeof(prefix), "%s:", path);
		if (rc == 0) {
			assert_non_null(cfg);
			sl_config_free(cfg);
		} else {
			assert_int_equal(rc, -EINVAL);
			assert_null(cfg);
			assert_memory_equal(err.msg, prefix, strlen(prefix));
			assert_true(err.loc.line >= 1 && err.loc.col >= 1);
			failed++;
		}
		unlink(path);
		free(path);
	}
	assert_true(failed > 0);
}

static void
test_lcore_ranges(void **state)
{
	struct sl_cfg *cfg;

	(void)state;
	cfg = load_ok("eal: {main_lcore: 4, worker_lcores: [\"0-2\", 5, \"7-7\"]}\n" PORTS_AND_TENANT,
		      NOCPU);
	assert_int_equal(cfg->main_lcore, 4);
	assert_int_equal(cfg->n_workers, 5);
	assert_int_equal(cfg->worker_lcores[2], 2);
	assert_int_equal(cfg->worker_lcores[3], 5);
	assert_int_equal(cfg->worker_lcores[4], 7);
	sl_config_free(cfg);
}

/* With the check on, lcores this process may run on pass. Needs two
 * usable CPUs (main and worker): skipped, and reported so, on one. */
static void
test_lcore_cpu_check_positive(void **state)
{
	struct sl_cfg *cfg;
	cpu_set_t set;
	int cpus[2], n = 0;
	char yaml[1024];

	(void)state;
	assert_int_equal(sched_getaffinity(0, sizeof(set), &set), 0);
	for (int cpu = 0; cpu < CPU_SETSIZE && n < 2; cpu++)
		if (CPU_ISSET(cpu, &set) && cpu < SL_MAX_LCORES)
			cpus[n++] = cpu;
	if (n < 2) {
		print_message("only one usable CPU: skipping the positive CPU check\n");
		skip();
	}
	snprintf(yaml, sizeof(yaml), "eal: {main_lcore: %d, worker_lcores: [%d]}\n" PORTS_AND_TENANT,
		 cpus[0], cpus[1]);
	cfg = load_ok(yaml, 0);
	assert_int_equal(cfg->worker_lcores[0], cpus[1]);
	sl_config_free(cfg);
}

/* ---- YAML-level errors ---- */

static void
test_cannot_open(void **state)
{
	struct sl_cfg *cfg = (struct sl_cfg *)&cfg;
	struct sl_cfg_error err;

	(void)state;
	assert_int_equal(sl_config_load("/nonexistent/sluice.yaml", 0, &cfg, &err), -ENOENT);
	assert_null(cfg);
	assert_string_equal(err.msg, "/nonexistent/sluice.yaml: cannot open: No such file or directory");
	assert_int_equal(sl_config_load("/tmp", 0, &cfg, &err), -EISDIR);
	assert_null(cfg);
	assert_string_equal(err.msg, "/tmp: cannot open: Is a directory");
}

static void
test_syntax_error(void **state)
{
	(void)state;
	expect_error("eal:\n  worker_lcores: [1\ninputs: x\n",
		     "@:3:7: syntax: did not find expected ',' or ']' "
		     "(while parsing a flow sequence at @:2:18)");
	expect_error("eal: {worker_lcores: [1]}\nfoo: bar: baz\n",
		     "@:2:9: syntax: mapping values are not allowed in this context");
	expect_error("eal: *nope\n",
		     "@:1:6: syntax: found undefined alias");
	expect_error("eal:\n\tworker_lcores: [1]\n",
		     "@:2:1: syntax: found character that cannot start any token");
	/* encoding errors: libyaml gives a byte offset, turned into line:col */
	expect_error("eal: {worker_lcores: [1]}\ninputs: \"ab\xc3\"\n",
		     "@:2:13: syntax: invalid trailing UTF-8 octet");
}

static void
test_empty_and_not_mapping(void **state)
{
	(void)state;
	expect_error("", "@:1:1: (root): empty file");
	expect_error("# only a comment\n", "@:1:1: (root): empty file");
	expect_error("- a\n- b\n", "@:1:1: (root): expected a mapping, got a list");
	expect_error("just text\n", "@:1:1: (root): expected a mapping, got 'just text'");
	expect_error("eal: {}\n---\nx: 1\n", "@:3:1: (root): more than one YAML document");
}

static void
test_unknown_key(void **state)
{
	(void)state;
	expect_error(HEAD TENANT("a", "1") "bogus: 1\n", "@:13:1: bogus: unknown key 'bogus'");
	expect_error(HEAD
		     "  - name: a\n"
		     "    id: 1\n"
		     "    match: {vlan: [5], vlans: [6]}\n"
		     "    pools: [{name: p, members: [out0]}]\n",
		     "@:12:24: tenants[0].match.vlans: unknown key 'vlans'");
	expect_error(HEAD TENANT("a", "1") "flow_table: {timeouts: {tcp: 1, sctp: 5}}\n",
		     "@:13:33: flow_table.timeouts.sctp: unknown key 'sctp'");
	/* outputs have no distribution */
	expect_error("eal: {worker_lcores: [1]}\n"
		     "inputs: [{name: in0, vdev: net_null0}]\n"
		     "outputs: [{name: out0, vdev: net_null1, distribution: rss}]\n",
		     "@:3:41: outputs[0].distribution: unknown key 'distribution'");
}

static void
test_wrong_type(void **state)
{
	(void)state;
	expect_error("eal: {worker_lcores: [1]}\ninputs: {name: in0}\n",
		     "@:2:9: inputs: expected a list, got a mapping");
	expect_error("eal: [1]\n", "@:1:6: eal: expected a mapping, got a list");
	expect_error("eal: {worker_lcores: [1]}\ninputs: [{name: [a], vdev: net_null0}]\n",
		     "@:2:17: inputs[0].name: expected a string, got a list");
	expect_error(HEAD TENANT("a", "1") "stats: {path: {a: b}}\n",
		     "@:13:15: stats.path: expected a string, got a mapping");
	expect_error(HEAD
		     "  - name: a\n"
		     "    id: 1\n"
		     "    match: {untagged: maybe}\n"
		     "    pools: [{name: p, members: [out0]}]\n",
		     "@:12:23: tenants[0].match.untagged: expected a boolean (true or false), got 'maybe'");
	expect_error(HEAD
		     "  - name: a\n"
		     "    id: 1\n"
		     "    pools: [{name: p, members: [[out0]]}]\n",
		     "@:12:33: tenants[0].pools[0].members[0]: expected a mapping, got a list");
	expect_error("? [a, b]\n: 1\n", "@:1:3: (root): expected a string key, got a list");
}

static void
test_bad_int(void **state)
{
	(void)state;
	expect_error(HEAD TENANT("a", "x1"), "@:11:9: tenants[0].id: expected an integer, got 'x1'");
	expect_error(HEAD TENANT("a", "1.5"), "@:11:9: tenants[0].id: expected an integer, got '1.5'");
	expect_error(HEAD TENANT("a", "1") "flow_table: {size: [1]}\n",
		     "@:13:20: flow_table.size: expected an integer, got a list");
	expect_error("eal: {worker_lcores: [one]}\n",
		     "@:1:23: eal.worker_lcores[0]: expected an integer or a 'lo-hi' range, got 'one'");
}

static void
test_bad_enum(void **state)
{
	(void)state;
	expect_error("eal: {worker_lcores: [1]}\n"
		     "inputs: [{name: in0, vdev: net_null0, distribution: fast}]\n",
		     "@:2:53: inputs[0].distribution: invalid value 'fast' "
		     "(expected one of: auto, rss, software)");
	expect_error(HEAD
		     "  - name: a\n"
		     "    id: 1\n"
		     "    non_ip: flood\n"
		     "    pools: [{name: p, members: [out0]}]\n",
		     "@:12:13: tenants[0].non_ip: invalid value 'flood' (expected one of: member0, drop)");
	expect_error(HEAD
		     "  - name: a\n"
		     "    id: 1\n"
		     "    malformed: keep\n"
		     "    pools: [{name: p, members: [out0]}]\n",
		     "@:12:16: tenants[0].malformed: invalid value 'keep' (expected one of: forward, drop)");
	expect_error(HEAD
		     "  - name: a\n"
		     "    id: 1\n"
		     "    pools: [{name: p, hash: 4-tuple, members: [out0]}]\n",
		     "@:12:29: tenants[0].pools[0].hash: invalid value '4-tuple' "
		     "(expected one of: 5-tuple, 3-tuple, 2-tuple)");
}

static void
test_range(void **state)
{
	(void)state;
	expect_error(HEAD TENANT("a", "65536"),
		     "@:11:9: tenants[0].id: 65536 out of range 0..65535");
	expect_error(HEAD TENANT("a", "-1"), "@:11:9: tenants[0].id: -1 out of range 0..65535");
	expect_error(HEAD TENANT("a", "1") "flow_table: {size: 1000}\n",
		     "@:13:20: flow_table.size: 1000 out of range 1024..33554432");
	expect_error(HEAD TENANT("a", "1") "flow_table: {timeouts: {udp: 0}}\n",
		     "@:13:30: flow_table.timeouts.udp: 0 out of range 1..86400");
	expect_error(HEAD TENANT("a", "1") "tuning: {mbufs: 99999999999999999999999}\n",
		     "@:13:17: tuning.mbufs: 99999999999999999999999 out of range 1023..16777215");
	expect_error(HEAD TENANT("a", "1") "tuning: {mbuf_size: 128}\n",
		     "@:13:21: tuning.mbuf_size: 128 out of range 256..65535");
	expect_error(HEAD TENANT("a", "1") "tuning: {rx_desc: 32768}\n",
		     "@:13:19: tuning.rx_desc: 32768 out of range 64..16384");
	expect_error(HEAD TENANT("a", "1") "tuning: {sw_ring_size: 3000}\n",
		     "@:13:24: tuning.sw_ring_size: 3000 is not a power of two");
	expect_error(HEAD TENANT("a", "1") "tuning: {record_ring: 128}\n",
		     "@:13:23: tuning.record_ring: 128 out of range 256..1048576");
	expect_error("eal: {worker_lcores: [1]}\n"
		     "inputs: [{name: in0, vdev: net_null0, queues: 129}]\n",
		     "@:2:47: inputs[0].queues: 129 out of range 0..128");
	expect_error("eal: {worker_lcores: [1]}\n"
		     "inputs: [{name: in0, vdev: net_null0}]\n"
		     "outputs: [{name: out0, vdev: net_null1, queues: 0}]\n",
		     "@:3:49: outputs[0].queues: 0 out of range 1..128");
	expect_error(HEAD
		     "  - name: a\n"
		     "    id: 1\n"
		     "    match: {vlan: [\"4000-4095\"]}\n"
		     "    pools: [{name: p, members: [out0]}]\n",
		     "@:12:20: tenants[0].match.vlan[0]: 4000-4095 out of range 1..4094");
	expect_error(HEAD
		     "  - name: a\n"
		     "    id: 1\n"
		     "    match: {vlan: [0]}\n"
		     "    pools: [{name: p, members: [out0]}]\n",
		     "@:12:20: tenants[0].match.vlan[0]: 0 out of range 1..4094");
	expect_error(HEAD
		     "  - name: a\n"
		     "    id: 1\n"
		     "    match: {vlan: [\"210-200\"]}\n"
		     "    pools: [{name: p, members: [out0]}]\n",
		     "@:12:20: tenants[0].match.vlan[0]: empty range '210-200' (lo > hi)");
	expect_error(HEAD
		     "  - name: a\n"
		     "    id: 1\n"
		     "    match: {qinq: [{outer: 1, inner: 4095}]}\n"
		     "    pools: [{name: p, members: [out0]}]\n",
		     "@:12:38: tenants[0].match.qinq[0].inner: 4095 out of range 1..4094");
	expect_error("eal: {worker_lcores: [1, 128]}\n",
		     "@:1:26: eal.worker_lcores[1]: 128 out of range 0..127");
}

static void
test_missing_required(void **state)
{
	(void)state;
	expect_error("eal: {worker_lcores: [1]}\n"
		     "inputs: [{name: in0, vdev: net_null0}]\n"
		     "outputs: [{name: out0, vdev: net_null1}]\n",
		     "@:1:1: (root): missing required key 'tenants'");
	expect_error("eal: {main_lcore: 0}\n", "@:1:6: eal: missing required key 'worker_lcores'");
	expect_error("eal: {worker_lcores: [1]}\ninputs:\n  - vdev: net_null0\n",
		     "@:3:5: inputs[0]: missing required key 'name'");
	expect_error(HEAD
		     "  - name: a\n"
		     "    id: 1\n"
		     "    pools: [{name: p, members: [{queue: 1}]}]\n",
		     "@:12:33: tenants[0].pools[0].members[0]: missing required key 'output'");
	expect_error(HEAD
		     "  - name: a\n"
		     "    id: 1\n"
		     "    match: {qinq: [{outer: 5}]}\n"
		     "    pools: [{name: p, members: [out0]}]\n",
		     "@:12:20: tenants[0].match.qinq[0]: missing required key 'inner'");
	/* a key with no value is missing */
	expect_error(HEAD "  - name:\n    id: 1\n    pools: [{name: p, members: [out0]}]\n",
		     "@:10:5: tenants[0]: missing required key 'name'");
	expect_error("eal: {worker_lcores: [1]}\ninputs: [{name: in0}]\n",
		     "@:2:10: inputs[0]: exactly one of 'pci' or 'vdev' is required");
	expect_error("eal: {worker_lcores: [1]}\n"
		     "inputs: [{name: in0, vdev: net_null0, pci: \"00:00.0\"}]\n",
		     "@:2:10: inputs[0]: exactly one of 'pci' or 'vdev' is required");
	expect_error("eal: {worker_lcores: []}\n", "@:1:22: eal.worker_lcores: must not be empty");
}

static void
test_tenant_without_pools(void **state)
{
	(void)state;
	expect_error(HEAD "  - name: a\n    id: 1\n",
		     "@:10:5: tenants[0]: missing required key 'pools'");
	expect_error(HEAD "  - name: a\n    id: 1\n    pools: []\n",
		     "@:12:12: tenants[0].pools: must not be empty");
	expect_error(HEAD "  - name: a\n    id: 1\n    pools: [{name: p, members: []}]\n",
		     "@:12:32: tenants[0].pools[0].members: must not be empty");
}

static void
test_duplicate_key(void **state)
{
	(void)state;
	expect_error(HEAD
		     "  - name: a\n"
		     "    id: 1\n"
		     "    name: b\n"
		     "    pools: [{name: p, members: [out0]}]\n",
		     "@:12:5: tenants[0].name: duplicate key 'name' (first at @:10:5)");
	expect_error("eal: {worker_lcores: [1]}\neal: {worker_lcores: [2]}\n",
		     "@:2:1: eal: duplicate key 'eal' (first at @:1:1)");
}

static void
test_bad_names(void **state)
{
	(void)state;
	expect_error("eal: {worker_lcores: [1]}\ninputs: [{name: \"in 0\", vdev: net_null0}]\n",
		     "@:2:17: inputs[0].name: invalid name 'in 0' (use 1-63 of A-Z a-z 0-9 _ . -)");
	expect_error("eal: {worker_lcores: [1]}\ninputs: [{name: \"\", vdev: net_null0}]\n",
		     "@:2:17: inputs[0].name: invalid name '' (use 1-63 of A-Z a-z 0-9 _ . -)");
	expect_error("eal: {worker_lcores: [1]}\n"
		     "inputs: [{name: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa,"
		     " vdev: net_null0}]\n",
		     "@:2:17: inputs[0].name: too long (64 characters, max 63)");
	expect_error(HEAD TENANT("drop", "1"),
		     "@:10:11: tenants[0].name: name 'drop' is reserved (default_tenant: drop)");
}

/* ---- duplicates and references ---- */

static void
test_duplicate_port_names(void **state)
{
	(void)state;
	expect_error("eal: {worker_lcores: [1]}\n"
		     "inputs: [{name: x, vdev: net_null0}]\n"
		     "outputs: [{name: x, vdev: net_null1}]\n",
		     "@:3:18: outputs[0].name: duplicate name 'x' (first at @:2:10)");
	expect_error("eal: {worker_lcores: [1]}\n"
		     "inputs:\n"
		     "  - {name: x, vdev: net_null0}\n"
		     "  - {name: x, vdev: net_null1}\n",
		     "@:4:12: inputs[1].name: duplicate name 'x' (first at @:3:5)");
}

static void
test_duplicate_tenants(void **state)
{
	(void)state;
	expect_error(HEAD TENANT("a", "7") TENANT("b", "7"),
		     "@:14:9: tenants[1].id: duplicate tenant id 7 (tenant 'a' at @:10:5)");
	expect_error(HEAD TENANT("a", "7") TENANT("a", "8"),
		     "@:13:11: tenants[1].name: duplicate tenant name 'a' (first at @:10:5)");
	expect_error(HEAD
		     "  - name: a\n"
		     "    id: 1\n"
		     "    pools:\n"
		     "      - {name: p, members: [out0]}\n"
		     "      - {name: p, members: [out1]}\n",
		     "@:14:16: tenants[0].pools[1].name: duplicate pool name 'p' (first at @:13:9)");
}

static void
test_vlan_overlap(void **state)
{
	(void)state;
	/* a range against a single VLAN of an earlier tenant */
	expect_error(HEAD
		     "  - name: acme\n"
		     "    id: 1\n"
		     "    match: {vlan: [100, 120]}\n"
		     "    pools: [{name: p, members: [out0]}]\n"
		     "  - name: globex\n"
		     "    id: 2\n"
		     "    match: {vlan: [\"110-130\"]}\n"
		     "    pools: [{name: p, members: [out1]}]\n",
		     "@:16:20: tenants[1].match.vlan[0]: VLAN 120 overlaps tenant 'acme' (@:12:25)");
	/* a single VLAN inside an earlier range */
	expect_error(HEAD
		     "  - name: acme\n"
		     "    id: 1\n"
		     "    match: {vlan: [\"200-210\"]}\n"
		     "    pools: [{name: p, members: [out0]}]\n"
		     "  - name: globex\n"
		     "    id: 2\n"
		     "    match: {vlan: [5, 205], inputs: [in1]}\n"
		     "    pools: [{name: p, members: [out1]}]\n",
		     "@:16:23: tenants[1].match.vlan[1]: VLAN 205 overlaps tenant 'acme' (@:12:20)");
	/* within one tenant */
	expect_error(HEAD
		     "  - name: acme\n"
		     "    id: 1\n"
		     "    match: {vlan: [\"1-10\", 10]}\n"
		     "    pools: [{name: p, members: [out0]}]\n",
		     "@:12:28: tenants[0].match.vlan[1]: duplicate VLAN 10 (also at @:12:20)");
}

static void
test_vlan_overlap_other_inputs(void **state)
{
	struct sl_cfg *cfg;

	(void)state;
	cfg = load_ok(HEAD
		      "  - name: acme\n"
		      "    id: 1\n"
		      "    match: {vlan: [100], qinq: [{outer: 1, inner: 2}], untagged: true,\n"
		      "            inputs: [in0]}\n"
		      "    pools: [{name: p, members: [out0]}]\n"
		      "  - name: globex\n"
		      "    id: 2\n"
		      "    match: {vlan: [\"1-4094\"], qinq: [{outer: 1, inner: 2}], untagged: true,\n"
		      "            inputs: [in1]}\n"
		      "    pools: [{name: p, members: [out1]}]\n",
		      NOCPU);
	assert_int_equal(cfg->tenants[1].vlans[0].lo, 1);
	assert_int_equal(cfg->tenants[1].vlans[0].hi, 4094);
	sl_config_free(cfg);
	/* ...but a tenant on every input meets both */
	expect_error(HEAD
		     "  - name: acme\n"
		     "    id: 1\n"
		     "    match: {vlan: [100], inputs: [in0]}\n"
		     "    pools: [{name: p, members: [out0]}]\n"
		     "  - name: globex\n"
		     "    id: 2\n"
		     "    match: {vlan: [\"90-100\"]}\n"
		     "    pools: [{name: p, members: [out1]}]\n",
		     "@:16:20: tenants[1].match.vlan[0]: VLAN 100 overlaps tenant 'acme' (@:12:20)");
}

static void
test_qinq_dup(void **state)
{
	(void)state;
	expect_error(HEAD
		     "  - name: acme\n"
		     "    id: 1\n"
		     "    match: {qinq: [{outer: 300, inner: 10}]}\n"
		     "    pools: [{name: p, members: [out0]}]\n"
		     "  - name: globex\n"
		     "    id: 2\n"
		     "    match: {qinq: [{outer: 300, inner: 11}, {outer: 300, inner: 10}]}\n"
		     "    pools: [{name: p, members: [out1]}]\n",
		     "@:16:45: tenants[1].match.qinq[1]: QinQ 300/10 overlaps tenant 'acme' (@:12:20)");
	expect_error(HEAD
		     "  - name: acme\n"
		     "    id: 1\n"
		     "    match: {qinq: [{outer: 3, inner: 4}, {inner: 4, outer: 3}]}\n"
		     "    pools: [{name: p, members: [out0]}]\n",
		     "@:12:42: tenants[0].match.qinq[1]: duplicate QinQ 3/4 (also at @:12:20)");
}

static void
test_untagged_twice(void **state)
{
	(void)state;
	expect_error(HEAD
		     "  - name: acme\n"
		     "    id: 1\n"
		     "    match: {untagged: true}\n"
		     "    pools: [{name: p, members: [out0]}]\n"
		     "  - name: globex\n"
		     "    id: 2\n"
		     "    match: {untagged: false}\n"
		     "    pools: [{name: p, members: [out1]}]\n"
		     "  - name: initech\n"
		     "    id: 3\n"
		     "    match: {untagged: true, inputs: [in1]}\n"
		     "    pools: [{name: p, members: [out1]}]\n",
		     "@:20:23: tenants[2].match.untagged: untagged overlaps tenant 'acme' (@:12:23)");
}

static void
test_unknown_output(void **state)
{
	(void)state;
	expect_error(HEAD
		     "  - name: a\n"
		     "    id: 1\n"
		     "    pools: [{name: p, members: [out0, zeek9]}]\n",
		     "@:12:39: tenants[0].pools[0].members[1]: unknown output 'zeek9'");
	expect_error(HEAD
		     "  - name: a\n"
		     "    id: 1\n"
		     "    pools: [{name: p, members: [{output: in0}]}]\n",
		     "@:12:42: tenants[0].pools[0].members[0].output: unknown output 'in0'");
}

static void
test_queue_out_of_range(void **state)
{
	(void)state;
	expect_error(HEAD
		     "  - name: a\n"
		     "    id: 1\n"
		     "    pools: [{name: p, members: [{output: out1, queue: 1}]}]\n",
		     "@:12:55: tenants[0].pools[0].members[0].queue: 1 out of range 0..0 "
		     "(output 'out1' has 1 queue)");
	expect_error(HEAD
		     "  - name: a\n"
		     "    id: 1\n"
		     "    pools: [{name: p, members: [{queue: 4, output: out0}]}]\n",
		     "@:12:41: tenants[0].pools[0].members[0].queue: 4 out of range 0..3 "
		     "(output 'out0' has 4 queues)");
	expect_error(HEAD
		     "  - name: a\n"
		     "    id: 1\n"
		     "    pools: [{name: p, members: [{queue: -1, output: out0}]}]\n",
		     "@:12:41: tenants[0].pools[0].members[0].queue: -1 out of range 0..3 "
		     "(output 'out0' has 4 queues)");
}

static void
test_unknown_input_ref(void **state)
{
	(void)state;
	expect_error(HEAD
		     "  - name: a\n"
		     "    id: 1\n"
		     "    match: {inputs: [in0, mirror7]}\n"
		     "    pools: [{name: p, members: [out0]}]\n",
		     "@:12:27: tenants[0].match.inputs[1]: unknown input 'mirror7'");
	expect_error(HEAD
		     "  - name: a\n"
		     "    id: 1\n"
		     "    match: {inputs: [in0, in0]}\n"
		     "    pools: [{name: p, members: [out0]}]\n",
		     "@:12:27: tenants[0].match.inputs[1]: duplicate input 'in0'");
}

static void
test_bad_default_pool(void **state)
{
	(void)state;
	expect_error(HEAD
		     "  - name: a\n"
		     "    id: 1\n"
		     "    default_pool: suri\n"
		     "    pools: [{name: p, members: [out0]}]\n",
		     "@:12:19: tenants[0].default_pool: unknown pool 'suri' in tenant 'a'");
}

static void
test_bad_default_tenant(void **state)
{
	struct sl_cfg *cfg;

	(void)state;
	expect_error(HEAD TENANT("a", "1") "default_tenant: b\n",
		     "@:13:17: default_tenant: unknown tenant 'b' (expected a tenant name or 'drop')");
	cfg = load_ok(HEAD TENANT("a", "1") "default_tenant: drop\n", NOCPU);
	assert_int_equal(cfg->default_tenant, -1);
	sl_config_free(cfg);
	cfg = load_ok(HEAD TENANT("a", "1") TENANT("b", "2") "default_tenant: b\n", NOCPU);
	assert_int_equal(cfg->default_tenant, 1);
	sl_config_free(cfg);
}

/* ---- tunnels ---- */

static void
test_tunnels_defaults(void **state)
{
	struct sl_cfg *cfg = load_ok(HEAD TENANT("a", "0"), NOCPU);
	const struct sl_cfg_tenant *t = &cfg->tenants[0];

	(void)state;
	assert_int_equal(cfg->tunnels.max_depth, 3);
	assert_int_equal(cfg->tunnels.n_vxlan_ports, 1);
	assert_int_equal(cfg->tunnels.vxlan_ports[0], 4789);
	assert_int_equal(cfg->tunnels.n_geneve_ports, 1);
	assert_int_equal(cfg->tunnels.geneve_ports[0], 6081);
	assert_false(cfg->tunnels.mpls_pw);
	assert_int_equal(cfg->tunnels.loc.line, 0);
	assert_int_equal(t->n_vni, 0);
	assert_int_equal(t->n_gre_key, 0);
	assert_int_equal(t->n_erspan_id, 0);
	assert_false(sl_config_tenant_is_tunnel(t));
	sl_config_free(cfg);
	/* an empty section keeps every default */
	cfg = load_ok(HEAD TENANT("a", "0") "tunnels: {}\n", NOCPU);
	assert_int_equal(cfg->tunnels.max_depth, 3);
	assert_int_equal(cfg->tunnels.n_vxlan_ports, 1);
	assert_int_equal(cfg->tunnels.n_geneve_ports, 1);
	assert_int_equal(cfg->tunnels.loc.line, 13);
	assert_int_equal(cfg->tunnels.loc.col, 10);
	sl_config_free(cfg);
}

static void
test_tunnels_full(void **state)
{
	struct sl_cfg *cfg;

	(void)state;
	/* before the tenants in the file, though parsed before them anyway */
	cfg = load_ok("eal: {worker_lcores: [1]}\n"
		      "tunnels:\n"
		      "  max_depth: 8\n"
		      "  vxlan_ports: [4789, 8472, 0x1000]\n"
		      "  geneve_ports: [6081, \"6082\"]\n"
		      "  mpls_pw: true\n"
		      "inputs: [{name: in0, vdev: net_null0}]\n"
		      "outputs: [{name: out0, vdev: net_null1}]\n"
		      "tenants:\n" TENANT("a", "1"),
		      NOCPU);
	assert_int_equal(cfg->tunnels.max_depth, 8);
	assert_int_equal(cfg->tunnels.n_vxlan_ports, 3);
	assert_int_equal(cfg->tunnels.vxlan_ports[0], 4789);
	assert_int_equal(cfg->tunnels.vxlan_ports[1], 8472);
	assert_int_equal(cfg->tunnels.vxlan_ports[2], 4096);
	assert_int_equal(cfg->tunnels.n_geneve_ports, 2);
	assert_int_equal(cfg->tunnels.geneve_ports[0], 6081);
	assert_int_equal(cfg->tunnels.geneve_ports[1], 6082);
	assert_true(cfg->tunnels.mpls_pw);
	assert_int_equal(cfg->tunnels.loc.line, 3);
	assert_int_equal(cfg->tunnels.loc.col, 3);
	sl_config_free(cfg);
	/* swapping the two default ports is no conflict; 8 and 4 ports fit */
	cfg = load_ok(HEAD TENANT("a", "1")
		      "tunnels: {max_depth: 0, vxlan_ports: [6081, 2, 3, 4, 5, 6, 7, 8],\n"
		      "          geneve_ports: [4789, 10, 11, 12], mpls_pw: off}\n",
		      NOCPU);
	assert_int_equal(cfg->tunnels.max_depth, 0);
	assert_int_equal(cfg->tunnels.n_vxlan_ports, 8);
	assert_int_equal(cfg->tunnels.vxlan_ports[0], 6081);
	assert_int_equal(cfg->tunnels.vxlan_ports[7], 8);
	assert_int_equal(cfg->tunnels.n_geneve_ports, 4);
	assert_int_equal(cfg->tunnels.geneve_ports[0], 4789);
	assert_false(cfg->tunnels.mpls_pw);
	sl_config_free(cfg);
}

static void
test_tunnels_errors(void **state)
{
	(void)state;
	expect_error(HEAD TENANT("a", "1") "tunnels: {max_depth: 9}\n",
		     "@:13:22: tunnels.max_depth: 9 out of range 0..8");
	expect_error(HEAD TENANT("a", "1") "tunnels: {max_depth: -1}\n",
		     "@:13:22: tunnels.max_depth: -1 out of range 0..8");
	expect_error(HEAD TENANT("a", "1") "tunnels: {vxlan_ports: [4789, 0]}\n",
		     "@:13:31: tunnels.vxlan_ports[1]: 0 out of range 1..65535");
	expect_error(HEAD TENANT("a", "1") "tunnels: {geneve_ports: [65536]}\n",
		     "@:13:26: tunnels.geneve_ports[0]: 65536 out of range 1..65535");
	expect_error(HEAD TENANT("a", "1") "tunnels: {vxlan_ports: [\"4789-4790\"]}\n",
		     "@:13:25: tunnels.vxlan_ports[0]: expected an integer, got '4789-4790'");
	expect_error(HEAD TENANT("a", "1") "tunnels: {vxlan_ports: [4789, 8472, 4789]}\n",
		     "@:13:37: tunnels.vxlan_ports[2]: duplicate port 4789 (also at @:13:25)");
	expect_error(HEAD TENANT("a", "1") "tunnels: {geneve_ports: [6081, 0x17c1]}\n",
		     "@:13:32: tunnels.geneve_ports[1]: duplicate port 6081 (also at @:13:26)");
	expect_error(HEAD TENANT("a", "1") "tunnels: {vxlan_ports: []}\n",
		     "@:13:24: tunnels.vxlan_ports: must not be empty");
	expect_error(HEAD TENANT("a", "1") "tunnels: {geneve_ports: [1, 2, 3, 4, 5]}\n",
		     "@:13:25: tunnels.geneve_ports: too many entries (5, max 4)");
	expect_error(HEAD TENANT("a", "1") "tunnels: {vxlan_ports: [1, 2, 3, 4, 5, 6, 7, 8, 9]}\n",
		     "@:13:24: tunnels.vxlan_ports: too many entries (9, max 8)");
	expect_error(HEAD TENANT("a", "1") "tunnels: {mpls_pw: 1}\n",
		     "@:13:20: tunnels.mpls_pw: expected a boolean (true or false), got '1'");
	expect_error(HEAD TENANT("a", "1") "tunnels: {nvgre: true}\n",
		     "@:13:11: tunnels.nvgre: unknown key 'nvgre'");
	expect_error(HEAD TENANT("a", "1") "tunnels: [4789]\n",
		     "@:13:10: tunnels: expected a mapping, got a list");
}

/* A UDP port cannot carry both VXLAN and GENEVE, defaults included. */
static void
test_tunnels_port_in_both(void **state)
{
	(void)state;
	/* reported at the geneve_ports entry, wherever vxlan_ports is */
	expect_error(HEAD TENANT("a", "1")
		     "tunnels:\n"
		     "  geneve_ports: [6081, 8472]\n"
		     "  vxlan_ports: [4789, 8472]\n",
		     "@:14:24: tunnels.geneve_ports[1]: port 8472 is also a VXLAN port (@:15:23)");
	expect_error(HEAD TENANT("a", "1") "tunnels: {geneve_ports: [4789]}\n",
		     "@:13:26: tunnels.geneve_ports[0]: port 4789 is also a VXLAN port "
		     "(the default of tunnels.vxlan_ports)");
	expect_error(HEAD TENANT("a", "1") "tunnels: {vxlan_ports: [4789, 6081]}\n",
		     "@:13:31: tunnels.vxlan_ports[1]: port 6081 is also a GENEVE port "
		     "(the default of tunnels.geneve_ports)");
}

static void
test_tunnel_id_range(void **state)
{
	(void)state;
	expect_error(HEAD
		     "  - name: a\n"
		     "    id: 1\n"
		     "    match: {vni: [16777215, 16777216]}\n"
		     "    pools: [{name: p, members: [out0]}]\n",
		     "@:12:29: tenants[0].match.vni[1]: 16777216 out of range 0..16777215");
	expect_error(HEAD
		     "  - name: a\n"
		     "    id: 1\n"
		     "    match: {vni: [\"16777200-0x1000000\"]}\n"
		     "    pools: [{name: p, members: [out0]}]\n",
		     "@:12:19: tenants[0].match.vni[0]: 16777200-0x1000000 out of range 0..16777215");
	expect_error(HEAD
		     "  - name: a\n"
		     "    id: 1\n"
		     "    match: {erspan_id: [1023, 1024]}\n"
		     "    pools: [{name: p, members: [out0]}]\n",
		     "@:12:31: tenants[0].match.erspan_id[1]: 1024 out of range 0..1023");
	expect_error(HEAD
		     "  - name: a\n"
		     "    id: 1\n"
		     "    match: {gre_key: [4294967295, 4294967296]}\n"
		     "    pools: [{name: p, members: [out0]}]\n",
		     "@:12:35: tenants[0].match.gre_key[1]: 4294967296 out of range 0..4294967295");
	expect_error(HEAD
		     "  - name: a\n"
		     "    id: 1\n"
		     "    match: {gre_key: [-1]}\n"
		     "    pools: [{name: p, members: [out0]}]\n",
		     "@:12:23: tenants[0].match.gre_key[0]: -1 out of range 0..4294967295");
	expect_error(HEAD
		     "  - name: a\n"
		     "    id: 1\n"
		     "    match: {vni: [\"10-x\"]}\n"
		     "    pools: [{name: p, members: [out0]}]\n",
		     "@:12:19: tenants[0].match.vni[0]: expected an integer or a 'lo-hi' range, "
		     "got '10-x'");
	expect_error(HEAD
		     "  - name: a\n"
		     "    id: 1\n"
		     "    match: {vni: [\"300-200\"]}\n"
		     "    pools: [{name: p, members: [out0]}]\n",
		     "@:12:19: tenants[0].match.vni[0]: empty range '300-200' (lo > hi)");
	expect_error(HEAD
		     "  - name: a\n"
		     "    id: 1\n"
		     "    match: {vni: [[1, 2]]}\n"
		     "    pools: [{name: p, members: [out0]}]\n",
		     "@:12:19: tenants[0].match.vni[0]: expected an integer or a 'lo-hi' range, "
		     "got a list");
	expect_error(HEAD
		     "  - name: a\n"
		     "    id: 1\n"
		     "    match: {erspan_id: []}\n"
		     "    pools: [{name: p, members: [out0]}]\n",
		     "@:12:24: tenants[0].match.erspan_id: must not be empty");
	expect_error(HEAD
		     "  - name: a\n"
		     "    id: 1\n"
		     "    match: {gre_key: 7}\n"
		     "    pools: [{name: p, members: [out0]}]\n",
		     "@:12:22: tenants[0].match.gre_key: expected a list, got '7'");
}

static void
test_tunnel_id_overlap(void **state)
{
	(void)state;
	/* VNIs overlap although the vlan filters are disjoint */
	expect_error(HEAD
		     "  - name: acme\n"
		     "    id: 1\n"
		     "    match: {vni: [100, \"200-300\"], vlan: [10]}\n"
		     "    pools: [{name: p, members: [out0]}]\n"
		     "  - name: globex\n"
		     "    id: 2\n"
		     "    match: {vni: [\"250-260\"], vlan: [20]}\n"
		     "    pools: [{name: p, members: [out1]}]\n",
		     "@:16:19: tenants[1].match.vni[0]: VNI 250 overlaps tenant 'acme' (@:12:24)");
	/* a tenant on every input meets one restricted to in1 */
	expect_error(HEAD
		     "  - name: acme\n"
		     "    id: 1\n"
		     "    match: {gre_key: [7, \"10-20\"], inputs: [in1]}\n"
		     "    pools: [{name: p, members: [out0]}]\n"
		     "  - name: globex\n"
		     "    id: 2\n"
		     "    match:\n"
		     "      gre_key: [1, 5, 6, 7]\n"
		     "    pools: [{name: p, members: [out1]}]\n",
		     "@:17:26: tenants[1].match.gre_key[3]: GRE key 7 overlaps tenant 'acme' (@:12:23)");
	expect_error(HEAD
		     "  - name: acme\n"
		     "    id: 1\n"
		     "    match: {erspan_id: [\"0-1023\"], inputs: [in0, in1]}\n"
		     "    pools: [{name: p, members: [out0]}]\n"
		     "  - name: globex\n"
		     "    id: 2\n"
		     "    match: {erspan_id: [3], inputs: [in1]}\n"
		     "    pools: [{name: p, members: [out1]}]\n",
		     "@:16:25: tenants[1].match.erspan_id[0]: ERSPAN id 3 overlaps tenant 'acme' "
		     "(@:12:25)");
}

/* Overlaps are allowed across inputs and across kinds; tunnel vlans claim nothing. */
static void
test_tunnel_id_no_overlap(void **state)
{
	struct sl_cfg *cfg;

	(void)state;
	cfg = load_ok(HEAD
		      "  - name: acme\n"
		      "    id: 1\n"
		      "    match: {vni: [\"200-300\"], gre_key: [5], inputs: [in0]}\n"
		      "    pools: [{name: p, members: [out0]}]\n"
		      "  - name: globex\n"
		      "    id: 2\n"
		      "    match: {vni: [250], erspan_id: [5], inputs: [in1]}\n"
		      "    pools: [{name: p, members: [out1]}]\n"
		      /* same VNI on another input; GRE key 5 is another kind than ERSPAN 5 */
		      "  - name: initech\n"
		      "    id: 3\n"
		      "    match: {vni: [100], gre_key: [250], inputs: [in1], vlan: [\"1-4094\"]}\n"
		      "    pools: [{name: p, members: [out1]}]\n"
		      /* a VLAN tenant may claim VLANs that tunnel tenants filter on */
		      "  - name: vlans\n"
		      "    id: 4\n"
		      "    match: {vlan: [7, 100], qinq: [{outer: 7, inner: 8}], untagged: true}\n"
		      "    pools: [{name: p, members: [out1]}]\n"
		      /* and tunnel tenants may filter on VLANs a VLAN tenant claims */
		      "  - name: tunnel7\n"
		      "    id: 5\n"
		      "    match: {erspan_id: [6], vlan: [7]}\n"
		      "    pools: [{name: p, members: [out1]}]\n",
		      NOCPU);
	assert_true(sl_config_tenant_is_tunnel(&cfg->tenants[0]));
	assert_true(sl_config_tenant_is_tunnel(&cfg->tenants[2]));
	assert_false(sl_config_tenant_is_tunnel(&cfg->tenants[3]));
	assert_int_equal(cfg->tenants[2].vlans[0].hi, 4094);
	assert_int_equal(cfg->tenants[3].n_vlans, 2);
	assert_int_equal(cfg->tenants[4].vlans[0].lo, 7);
	sl_config_free(cfg);
	/* VLAN tenants still may not overlap each other around a tunnel tenant */
	expect_error(HEAD
		     "  - name: acme\n"
		     "    id: 1\n"
		     "    match: {vlan: [100]}\n"
		     "    pools: [{name: p, members: [out0]}]\n"
		     "  - name: tun\n"
		     "    id: 2\n"
		     "    match: {vni: [1], vlan: [100]}\n"
		     "    pools: [{name: p, members: [out1]}]\n"
		     "  - name: globex\n"
		     "    id: 3\n"
		     "    match: {vlan: [\"99-101\"]}\n"
		     "    pools: [{name: p, members: [out1]}]\n",
		     "@:20:20: tenants[2].match.vlan[0]: VLAN 100 overlaps tenant 'acme' (@:12:20)");
}

static void
test_tunnel_id_duplicate(void **state)
{
	(void)state;
	expect_error(HEAD
		     "  - name: acme\n"
		     "    id: 1\n"
		     "    match: {vni: [\"200-300\", 400, 250]}\n"
		     "    pools: [{name: p, members: [out0]}]\n",
		     "@:12:35: tenants[0].match.vni[2]: duplicate VNI 250 (also at @:12:19)");
	expect_error(HEAD
		     "  - name: acme\n"
		     "    id: 1\n"
		     "    match: {gre_key: [\"10-20\", \"15-30\"]}\n"
		     "    pools: [{name: p, members: [out0]}]\n",
		     "@:12:32: tenants[0].match.gre_key[1]: duplicate GRE key 15 (also at @:12:23)");
	expect_error(HEAD
		     "  - name: acme\n"
		     "    id: 1\n"
		     "    match: {erspan_id: [3, 3]}\n"
		     "    pools: [{name: p, members: [out0]}]\n",
		     "@:12:28: tenants[0].match.erspan_id[1]: duplicate ERSPAN id 3 (also at @:12:25)");
	/* the vlan filter of a tunnel tenant still has no duplicates */
	expect_error(HEAD
		     "  - name: acme\n"
		     "    id: 1\n"
		     "    match: {vni: [1], vlan: [\"1-10\", 10]}\n"
		     "    pools: [{name: p, members: [out0]}]\n",
		     "@:12:38: tenants[0].match.vlan[1]: duplicate VLAN 10 (also at @:12:30)");
}

static void
test_tunnel_id_with_qinq_untagged(void **state)
{
	(void)state;
	/* whatever the order in the file: tunnel ids are parsed first */
	expect_error(HEAD
		     "  - name: acme\n"
		     "    id: 1\n"
		     "    match: {qinq: [{outer: 300, inner: 10}], vni: [100]}\n"
		     "    pools: [{name: p, members: [out0]}]\n",
		     "@:12:19: tenants[0].match.qinq: qinq/untagged cannot be combined with tunnel "
		     "ids; use vlan");
	expect_error(HEAD
		     "  - name: acme\n"
		     "    id: 1\n"
		     "    match: {vni: [100], untagged: true}\n"
		     "    pools: [{name: p, members: [out0]}]\n",
		     "@:12:35: tenants[0].match.untagged: qinq/untagged cannot be combined with "
		     "tunnel ids; use vlan");
	expect_error(HEAD
		     "  - name: acme\n"
		     "    id: 1\n"
		     "    match: {erspan_id: [1], untagged: false}\n"
		     "    pools: [{name: p, members: [out0]}]\n",
		     "@:12:39: tenants[0].match.untagged: qinq/untagged cannot be combined with "
		     "tunnel ids; use vlan");
}

/* With max_depth 0 no tunnel header is read, so no tunnel tenant could match. */
static void
test_tunnel_id_needs_depth(void **state)
{
	(void)state;
	expect_error(HEAD
		     "  - name: acme\n"
		     "    id: 1\n"
		     "    match: {gre_key: [1]}\n"
		     "    pools: [{name: p, members: [out0]}]\n"
		     "tunnels:\n"
		     "  max_depth: 0\n",
		     "@:12:22: tenants[0].match.gre_key: tunnel ids need tunnels.max_depth >= 1 "
		     "(it is 0 at @:15:14)");
}

static void
test_tunnel_ids_parsed(void **state)
{
	struct sl_cfg *cfg;
	const struct sl_cfg_tenant *t;

	(void)state;
	cfg = load_ok(HEAD
		      "  - name: aws\n"
		      "    id: 1\n"
		      "    match:\n"
		      "      vni: [100, \"200-300\", 0xffffff]\n"
		      "      gre_key: [0, \"10-20\", 4294967295]\n"
		      "      erspan_id: [3, \"1000-1023\"]\n"
		      "      vlan: [5, \"40-41\"]\n"
		      "      inputs: [in1]\n"
		      "    pools: [{name: p, members: [out0]}]\n"
		      "default_tenant: aws\n",
		      NOCPU);
	t = &cfg->tenants[0];
	assert_true(sl_config_tenant_is_tunnel(t));
	assert_int_equal(t->n_vni, 3);
	assert_int_equal(t->vni[0].lo, 100);
	assert_int_equal(t->vni[0].hi, 100);
	assert_int_equal(t->vni[1].lo, 200);
	assert_int_equal(t->vni[1].hi, 300);
	assert_int_equal(t->vni[1].loc.line, 13);
	assert_int_equal(t->vni[1].loc.col, 18);
	assert_int_equal(t->vni[2].lo, 16777215);
	assert_int_equal(t->vni[2].hi, 16777215);
	assert_int_equal(t->n_gre_key, 3);
	assert_int_equal(t->gre_key[0].lo, 0);
	assert_int_equal(t->gre_key[0].hi, 0);
	assert_int_equal(t->gre_key[1].lo, 10);
	assert_int_equal(t->gre_key[1].hi, 20);
	assert_int_equal(t->gre_key[2].lo, 4294967295u);
	assert_int_equal(t->gre_key[2].hi, 4294967295u);
	assert_int_equal(t->gre_key[2].loc.line, 14);
	assert_int_equal(t->gre_key[2].loc.col, 29);
	assert_int_equal(t->n_erspan_id, 2);
	assert_int_equal(t->erspan_id[0].lo, 3);
	assert_int_equal(t->erspan_id[1].lo, 1000);
	assert_int_equal(t->erspan_id[1].hi, 1023);
	assert_int_equal(t->n_vlans, 2);
	assert_int_equal(t->vlans[0].lo, 5);
	assert_int_equal(t->vlans[1].lo, 40);
	assert_int_equal(t->vlans[1].hi, 41);
	assert_int_equal(t->n_qinq, 0);
	assert_false(t->untagged);
	assert_int_equal(t->n_inputs, 1);
	assert_int_equal(t->inputs[0], 1);
	assert_int_equal(cfg->default_tenant, 0);
	sl_config_free(cfg);
}

/* ---- fragments ---- */

static void
test_fragments_defaults(void **state)
{
	struct sl_cfg *cfg = load_ok(HEAD TENANT("a", "0"), NOCPU);

	(void)state;
	assert_int_equal(cfg->fragments.hold_ms, 100);
	assert_int_equal(cfg->fragments.remember_ms, 30000);
	assert_int_equal(cfg->fragments.max_held, 4096);
	assert_int_equal(cfg->fragments.max_held_bytes, 8388608);
	assert_int_equal(cfg->fragments.tenant_max_held, 1024);
	assert_int_equal(cfg->fragments.datagram_max_held, 64);
	assert_int_equal(cfg->fragments.table_size, 65536);
	assert_int_equal(cfg->fragments.loc.line, 0);
	assert_int_equal(cfg->fragments.loc.col, 0);
	sl_config_free(cfg);
	/* an empty section keeps every default */
	cfg = load_ok(HEAD TENANT("a", "0") "fragments: {}\n", NOCPU);
	assert_int_equal(cfg->fragments.hold_ms, 100);
	assert_int_equal(cfg->fragments.remember_ms, 30000);
	assert_int_equal(cfg->fragments.max_held, 4096);
	assert_int_equal(cfg->fragments.max_held_bytes, 8388608);
	assert_int_equal(cfg->fragments.tenant_max_held, 1024);
	assert_int_equal(cfg->fragments.datagram_max_held, 64);
	assert_int_equal(cfg->fragments.table_size, 65536);
	assert_int_equal(cfg->fragments.loc.line, 13);
	assert_int_equal(cfg->fragments.loc.col, 12);
	sl_config_free(cfg);
	/* keys with no value are left out */
	cfg = load_ok(HEAD TENANT("a", "0") "fragments:\n  hold_ms:\n  max_held: ~\n", NOCPU);
	assert_int_equal(cfg->fragments.hold_ms, 100);
	assert_int_equal(cfg->fragments.max_held, 4096);
	assert_int_equal(cfg->fragments.loc.line, 14);
	assert_int_equal(cfg->fragments.loc.col, 3);
	sl_config_free(cfg);
}

static void
test_fragments_valid(void **state)
{
	struct sl_cfg *cfg;

	(void)state;
	/* every key at its upper limit; tenant_max_held before max_held in the file */
	cfg = load_ok(HEAD TENANT("a", "1")
		      "fragments:\n"
		      "  tenant_max_held: 1048576\n"
		      "  hold_ms: 10000\n"
		      "  remember_ms: 600000\n"
		      "  max_held: 0x100000\n"
		      "  max_held_bytes: 1073741824\n"
		      "  datagram_max_held: 8192\n"
		      "  table_size: 4194304\n",
		      NOCPU);
	assert_int_equal(cfg->fragments.hold_ms, 10000);
	assert_int_equal(cfg->fragments.remember_ms, 600000);
	assert_int_equal(cfg->fragments.max_held, 1048576);
	assert_int_equal(cfg->fragments.max_held_bytes, 1073741824);
	assert_int_equal(cfg->fragments.tenant_max_held, 1048576);
	assert_int_equal(cfg->fragments.datagram_max_held, 8192);
	assert_int_equal(cfg->fragments.table_size, 4194304);
	sl_config_free(cfg);
	/* every key at its lower limit: max_held 0 never holds */
	cfg = load_ok(HEAD TENANT("a", "1")
		      "fragments: {hold_ms: 1, remember_ms: 10, max_held: 0, max_held_bytes: 0,\n"
		      "            tenant_max_held: 0, datagram_max_held: 1, table_size: 1024}\n",
		      NOCPU);
	assert_int_equal(cfg->fragments.hold_ms, 1);
	assert_int_equal(cfg->fragments.remember_ms, 10);
	assert_int_equal(cfg->fragments.max_held, 0);
	assert_int_equal(cfg->fragments.max_held_bytes, 0);
	assert_int_equal(cfg->fragments.tenant_max_held, 0);
	assert_int_equal(cfg->fragments.datagram_max_held, 1);
	assert_int_equal(cfg->fragments.table_size, 1024);
	sl_config_free(cfg);
	/* tenant_max_held may equal max_held */
	cfg = load_ok(HEAD TENANT("a", "1") "fragments: {max_held: 2000, tenant_max_held: 2000}\n",
		      NOCPU);
	assert_int_equal(cfg->fragments.max_held, 2000);
	assert_int_equal(cfg->fragments.tenant_max_held, 2000);
	sl_config_free(cfg);
	/* the default tenant_max_held (1024) follows a smaller max_held */
	cfg = load_ok(HEAD TENANT("a", "1") "fragments: {max_held: 512}\n", NOCPU);
	assert_int_equal(cfg->fragments.max_held, 512);
	assert_int_equal(cfg->fragments.tenant_max_held, 512);
	sl_config_free(cfg);
	cfg = load_ok(HEAD TENANT("a", "1") "fragments: {max_held: 0}\n", NOCPU);
	assert_int_equal(cfg->fragments.max_held, 0);
	assert_int_equal(cfg->fragments.tenant_max_held, 0);
	sl_config_free(cfg);
	/* ...and stays 1024 under a larger one */
	cfg = load_ok(HEAD TENANT("a", "1") "fragments: {max_held: 1025}\n", NOCPU);
	assert_int_equal(cfg->fragments.tenant_max_held, 1024);
	sl_config_free(cfg);
}

static void
test_fragments_range(void **state)
{
	(void)state;
	expect_error(HEAD TENANT("a", "1") "fragments:\n  hold_ms: 0\n",
		     "@:14:12: fragments.hold_ms: 0 out of range 1..10000");
	expect_error(HEAD TENANT("a", "1") "fragments:\n  hold_ms: 10001\n",
		     "@:14:12: fragments.hold_ms: 10001 out of range 1..10000");
	expect_error(HEAD TENANT("a", "1") "fragments:\n  remember_ms: 9\n",
		     "@:14:16: fragments.remember_ms: 9 out of range 10..600000");
	expect_error(HEAD TENANT("a", "1") "fragments:\n  remember_ms: 600001\n",
		     "@:14:16: fragments.remember_ms: 600001 out of range 10..600000");
	expect_error(HEAD TENANT("a", "1") "fragments:\n  max_held: -1\n",
		     "@:14:13: fragments.max_held: -1 out of range 0..1048576");
	expect_error(HEAD TENANT("a", "1") "fragments:\n  max_held: 1048577\n",
		     "@:14:13: fragments.max_held: 1048577 out of range 0..1048576");
	expect_error(HEAD TENANT("a", "1") "fragments:\n  max_held_bytes: -1\n",
		     "@:14:19: fragments.max_held_bytes: -1 out of range 0..1073741824");
	expect_error(HEAD TENANT("a", "1") "fragments:\n  max_held_bytes: 1073741825\n",
		     "@:14:19: fragments.max_held_bytes: 1073741825 out of range 0..1073741824");
	/* no truncation to 32 bits on the way */
	expect_error(HEAD TENANT("a", "1") "fragments:\n  max_held_bytes: 4294967296\n",
		     "@:14:19: fragments.max_held_bytes: 4294967296 out of range 0..1073741824");
	expect_error(HEAD TENANT("a", "1") "fragments:\n  tenant_max_held: -1\n",
		     "@:14:20: fragments.tenant_max_held: -1 out of range 0..1048576");
	expect_error(HEAD TENANT("a", "1")
		     "fragments:\n  max_held: 1048576\n  tenant_max_held: 1048577\n",
		     "@:15:20: fragments.tenant_max_held: 1048577 out of range 0..1048576");
	expect_error(HEAD TENANT("a", "1") "fragments:\n  datagram_max_held: 0\n",
		     "@:14:22: fragments.datagram_max_held: 0 out of range 1..8192");
	expect_error(HEAD TENANT("a", "1") "fragments:\n  datagram_max_held: 8193\n",
		     "@:14:22: fragments.datagram_max_held: 8193 out of range 1..8192");
	expect_error(HEAD TENANT("a", "1") "fragments:\n  table_size: 1023\n",
		     "@:14:15: fragments.table_size: 1023 out of range 1024..4194304");
	expect_error(HEAD TENANT("a", "1") "fragments:\n  table_size: 4194305\n",
		     "@:14:15: fragments.table_size: 4194305 out of range 1024..4194304");
	/* flow style: the column of the value */
	expect_error(HEAD TENANT("a", "1") "fragments: {hold_ms: 100, table_size: 0x400000000}\n",
		     "@:13:39: fragments.table_size: 0x400000000 out of range 1024..4194304");
}

static void
test_fragments_errors(void **state)
{
	(void)state;
	expect_error(HEAD TENANT("a", "1") "fragments:\n  hold_ms: 0.5\n",
		     "@:14:12: fragments.hold_ms: expected an integer, got '0.5'");
	expect_error(HEAD TENANT("a", "1") "fragments:\n  max_held_bytes: 8MiB\n",
		     "@:14:19: fragments.max_held_bytes: expected an integer, got '8MiB'");
	expect_error(HEAD TENANT("a", "1") "fragments:\n  table_size: [65536]\n",
		     "@:14:15: fragments.table_size: expected an integer, got a list");
	expect_error(HEAD TENANT("a", "1") "fragments:\n  reassemble: true\n",
		     "@:14:3: fragments.reassemble: unknown key 'reassemble'");
	expect_error(HEAD TENANT("a", "1") "fragments: [100]\n",
		     "@:13:12: fragments: expected a mapping, got a list");
	expect_error(HEAD TENANT("a", "1") "fragments: 100\n",
		     "@:13:12: fragments: expected a mapping, got '100'");
}

/* tenant_max_held must not exceed max_held; reported at tenant_max_held. */
static void
test_fragments_tenant_above_max(void **state)
{
	(void)state;
	expect_error(HEAD TENANT("a", "1")
		     "fragments:\n"
		     "  max_held: 1024\n"
		     "  tenant_max_held: 1025\n",
		     "@:15:20: fragments.tenant_max_held: 1025 is above fragments.max_held 1024 "
		     "(@:14:13)");
	/* whatever the order in the file */
	expect_error(HEAD TENANT("a", "1")
		     "fragments:\n"
		     "  tenant_max_held: 0x800\n"
		     "  hold_ms: 50\n"
		     "  max_held: 2000\n",
		     "@:14:20: fragments.tenant_max_held: 0x800 is above fragments.max_held 2000 "
		     "(@:16:13)");
	expect_error(HEAD TENANT("a", "1") "fragments: {tenant_max_held: 1, max_held: 0}\n",
		     "@:13:30: fragments.tenant_max_held: 1 is above fragments.max_held 0 "
		     "(@:13:43)");
	/* against the default max_held */
	expect_error(HEAD TENANT("a", "1") "fragments:\n  tenant_max_held: 4097\n",
		     "@:14:20: fragments.tenant_max_held: 4097 is above fragments.max_held 4096 "
		     "(the default)");
}

/* ---- pools: strip ---- */

static void
test_strip(void **state)
{
	struct sl_cfg *cfg;
	const struct sl_cfg_pool *p;

	(void)state;
	cfg = load_ok(HEAD TENANT("a", "0"), NOCPU);
	assert_int_equal(cfg->tenants[0].pools[0].strip, SL_STRIP_NONE);
	assert_int_equal(cfg->tenants[0].pools[0].retag_vlan, 0);
	sl_config_free(cfg);
	cfg = load_ok(HEAD
		      "  - name: a\n"
		      "    id: 1\n"
		      "    pools:\n"
		      "      - {name: p0, strip: none, members: [out0]}\n"
		      "      - {name: p1, strip: outer, members: [out0]}\n"
		      "      - name: p2\n"
		      "        retag_vlan: 4094\n"
		      "        strip: outer-retag\n"
		      "        members: [out1]\n"
		      "      - {name: p3, strip: outer-retag, retag_vlan: 1, members: [out1]}\n"
		      "      - {name: p4, strip: outer-retag, retag_vlan: \"0x64\", members: [out1]}\n"
		      "      - {name: p5, members: [out1]}\n",
		      NOCPU);
	p = cfg->tenants[0].pools;
	assert_int_equal(cfg->tenants[0].n_pools, 6);
	assert_int_equal(p[0].strip, SL_STRIP_NONE);
	assert_int_equal(p[0].retag_vlan, 0);
	assert_int_equal(p[1].strip, SL_STRIP_OUTER);
	assert_int_equal(p[1].retag_vlan, 0);
	assert_int_equal(p[2].strip, SL_STRIP_OUTER_RETAG);
	assert_int_equal(p[2].retag_vlan, 4094);
	assert_int_equal(p[3].strip, SL_STRIP_OUTER_RETAG);
	assert_int_equal(p[3].retag_vlan, 1);
	assert_int_equal(p[4].retag_vlan, 100);
	assert_int_equal(p[5].strip, SL_STRIP_NONE);
	assert_int_equal(p[5].retag_vlan, 0);
	sl_config_free(cfg);
}

static void
test_strip_errors(void **state)
{
	(void)state;
	expect_error(HEAD
		     "  - name: a\n"
		     "    id: 1\n"
		     "    pools: [{name: p, strip: inner, members: [out0]}]\n",
		     "@:12:30: tenants[0].pools[0].strip: invalid value 'inner' "
		     "(expected one of: none, outer, outer-retag, outer-keep-vlan)");
	expect_error(HEAD
		     "  - name: a\n"
		     "    id: 1\n"
		     "    pools: [{name: p, strip: Outer, members: [out0]}]\n",
		     "@:12:30: tenants[0].pools[0].strip: invalid value 'Outer' "
		     "(expected one of: none, outer, outer-retag, outer-keep-vlan)");
	expect_error(HEAD
		     "  - name: a\n"
		     "    id: 1\n"
		     "    pools: [{name: p, strip: [outer], members: [out0]}]\n",
		     "@:12:30: tenants[0].pools[0].strip: expected one of: none, outer, "
		     "outer-retag, outer-keep-vlan, got a list");
	expect_error(HEAD
		     "  - name: a\n"
		     "    id: 1\n"
		     "    pools: [{name: p, strip: true, members: [out0]}]\n",
		     "@:12:30: tenants[0].pools[0].strip: invalid value 'true' "
		     "(expected one of: none, outer, outer-retag, outer-keep-vlan)");
}

static void
test_retag_vlan(void **state)
{
	(void)state;
	/* only with strip: outer-retag, whatever the value */
	expect_error(HEAD
		     "  - name: a\n"
		     "    id: 1\n"
		     "    pools:\n"
		     "      - name: p\n"
		     "        retag_vlan: 100\n"
		     "        members: [out0]\n",
		     "@:14:21: tenants[0].pools[0].retag_vlan: retag_vlan needs strip: outer-retag");
	expect_error(HEAD
		     "  - name: a\n"
		     "    id: 1\n"
		     "    pools:\n"
		     "      - name: p\n"
		     "        retag_vlan: 100\n"
		     "        strip: outer\n"
		     "        members: [out0]\n",
		     "@:14:21: tenants[0].pools[0].retag_vlan: retag_vlan needs strip: outer-retag");
	expect_error(HEAD
		     "  - name: a\n"
		     "    id: 1\n"
		     "    pools: [{name: p, strip: none, retag_vlan: 5000, members: [out0]}]\n",
		     "@:12:48: tenants[0].pools[0].retag_vlan: retag_vlan needs strip: outer-retag");
	/* required with it; reported at the pool */
	expect_error(HEAD
		     "  - name: a\n"
		     "    id: 1\n"
		     "    pools:\n"
		     "      - {name: p0, members: [out0]}\n"
		     "      - name: p1\n"
		     "        strip: outer-retag\n"
		     "        members: [out0]\n",
		     "@:14:9: tenants[0].pools[1]: missing required key 'retag_vlan' "
		     "(strip is outer-retag)");
	expect_error(HEAD
		     "  - name: a\n"
		     "    id: 1\n"
		     "    pools: [{name: p, strip: outer-retag, retag_vlan: ~, members: [out0]}]\n",
		     "@:12:13: tenants[0].pools[0]: missing required key 'retag_vlan' "
		     "(strip is outer-retag)");
	/* 1..4094 */
	expect_error(HEAD
		     "  - name: a\n"
		     "    id: 1\n"
		     "    pools: [{name: p, strip: outer-retag, retag_vlan: 0, members: [out0]}]\n",
		     "@:12:55: tenants[0].pools[0].retag_vlan: 0 out of range 1..4094");
	expect_error(HEAD
		     "  - name: a\n"
		     "    id: 1\n"
		     "    pools: [{name: p, strip: outer-retag, retag_vlan: 4095, members: [out0]}]\n",
		     "@:12:55: tenants[0].pools[0].retag_vlan: 4095 out of range 1..4094");
	expect_error(HEAD
		     "  - name: a\n"
		     "    id: 1\n"
		     "    pools: [{name: p, strip: outer-retag, retag_vlan: \"100-200\", "
		     "members: [out0]}]\n",
		     "@:12:55: tenants[0].pools[0].retag_vlan: expected an integer, got '100-200'");
}

/* ---- devices and lcores ---- */

static void
test_bad_pci_format(void **state)
{
	(void)state;
	expect_error("eal: {worker_lcores: [1]}\ninputs: [{name: in0, pci: \"03:00\"}]\n",
		     "@:2:27: inputs[0].pci: invalid PCI address '03:00' "
		     "(expected DDDD:BB:DD.F or BB:DD.F)");
	expect_error("eal: {worker_lcores: [1]}\ninputs: [{name: in0, pci: \"0000:03:00.8\"}]\n",
		     "@:2:27: inputs[0].pci: invalid PCI address '0000:03:00.8' "
		     "(expected DDDD:BB:DD.F or BB:DD.F)");
	expect_error("eal: {worker_lcores: [1]}\ninputs: [{name: in0, pci: \"0000:03:20.0\"}]\n",
		     "@:2:27: inputs[0].pci: invalid PCI address '0000:03:20.0' "
		     "(expected DDDD:BB:DD.F or BB:DD.F)");
	expect_error("eal: {worker_lcores: [1]}\ninputs: [{name: in0, pci: \"000:03:00.0\"}]\n",
		     "@:2:27: inputs[0].pci: invalid PCI address '000:03:00.0' "
		     "(expected DDDD:BB:DD.F or BB:DD.F)");
}

static void
test_missing_pci_device(void **state)
{
	(void)state;
	/* bus ff, device 1f, function 7 of domain ffff: not on any real machine */
	expect_error("eal: {worker_lcores: [1]}\ninputs: [{name: in0, pci: \"FFFF:ff:1f.7\"}]\n",
		     "@:2:27: inputs[0].pci: no such PCI device 'ffff:ff:1f.7'");
}

/* A present PCI device is accepted, normalized, and not usable twice. */
static void
test_pci_present(void **state)
{
	struct sl_cfg *cfg;
	char addr[256] = "", yaml[1024];
	struct dirent *de;
	DIR *d = opendir("/sys/bus/pci/devices");

	(void)state;
	while (d && (de = readdir(d)) != NULL)
		if (strlen(de->d_name) == 12 && strncmp(de->d_name, "0000:", 5) == 0)
			snprintf(addr, sizeof(addr), "%s", de->d_name);
	if (d)
		closedir(d);
	if (!addr[0]) {
		print_message("no PCI device in domain 0000: skipping\n");
		skip();
	}
	snprintf(yaml, sizeof(yaml),
		 "eal: {worker_lcores: [1]}\n"
		 "inputs: [{name: in0, pci: \"%s\"}]\n"
		 "outputs: [{name: out0, vdev: net_null0}]\n"
		 "tenants:\n" TENANT("a", "1"),
		 addr + 5);
	cfg = load_ok(yaml, NOCPU);
	assert_string_equal(cfg->inputs[0].pci, addr);
	assert_string_equal(cfg->inputs[0].vdev, "");
	sl_config_free(cfg);
	snprintf(yaml, sizeof(yaml),
		 "eal: {worker_lcores: [1]}\n"
		 "inputs: [{name: in0, pci: \"%s\"}]\n"
		 "outputs: [{name: out0, pci: \"%s\"}]\n",
		 addr, addr + 5);
	{
		char want[512];

		snprintf(want, sizeof(want),
			 "@:3:29: outputs[0].pci: duplicate PCI device '%s' (first at @:2:10)", addr);
		expect_error(yaml, want);
	}
}

static void
test_unknown_vdev_driver(void **state)
{
	(void)state;
	expect_error("eal: {worker_lcores: [1]}\ninputs: [{name: in0, vdev: \"net_foo0,x=1\"}]\n",
		     "@:2:28: inputs[0].vdev: unknown vdev driver 'net_foo'");
	expect_error("eal: {worker_lcores: [1]}\ninputs: [{name: in0, vdev: \"eth_pcap0\"}]\n",
		     "@:2:28: inputs[0].vdev: unknown vdev driver 'eth_pcap'");
	expect_error("eal: {worker_lcores: [1]}\ninputs: [{name: in0, vdev: \",iface=x\"}]\n",
		     "@:2:28: inputs[0].vdev: empty vdev name");
}

static void
test_duplicate_vdev_instance(void **state)
{
	(void)state;
	expect_error("eal: {worker_lcores: [1]}\n"
		     "inputs: [{name: in0, vdev: \"net_pcap0,rx_pcap=a.pcap\"}]\n"
		     "outputs: [{name: out0, vdev: \"net_pcap0,tx_pcap=b.pcap\"}]\n",
		     "@:3:30: outputs[0].vdev: duplicate vdev instance 'net_pcap0' (first at @:2:10)");
}

static void
test_lcore_dup(void **state)
{
	(void)state;
	expect_error("eal: {worker_lcores: [1, \"2-4\", 3]}\n" PORTS_AND_TENANT,
		     "@:1:33: eal.worker_lcores[2]: duplicate lcore 3 (also at @:1:26)");
}

static void
test_main_in_workers(void **state)
{
	(void)state;
	expect_error("eal: {worker_lcores: [\"0-2\"]}\n" PORTS_AND_TENANT,
		     "@:1:23: eal.worker_lcores[0]: lcore 0 is the main lcore (eal.main_lcore)");
	expect_error("eal:\n  worker_lcores: [1, 2]\n  main_lcore: 2\n" PORTS_AND_TENANT,
		     "@:2:22: eal.worker_lcores[1]: lcore 2 is the main lcore (eal.main_lcore)");
}

#define LCORE_127_YAML "eal:\n  worker_lcores: [127]\n" PORTS_AND_TENANT

/* Without the CPU check, any lcore below SL_MAX_LCORES loads. */
static void
test_lcore_127_unchecked(void **state)
{
	struct sl_cfg *cfg;

	(void)state;
	cfg = load_ok(LCORE_127_YAML, NOCPU);
	assert_int_equal(cfg->worker_lcores[0], 127);
	sl_config_free(cfg);
}

/* With the check on, lcores that do not exist are refused. Needs a
 * machine without CPUs 126/127: skipped, and reported so, on one with. */
static void
test_lcore_not_existing(void **state)
{
	const char *yaml = LCORE_127_YAML;
	cpu_set_t set;

	(void)state;
	if (sched_getaffinity(0, sizeof(set), &set) == 0 &&
	    (CPU_ISSET(127, &set) || CPU_ISSET(126, &set))) {
		print_message("CPUs 126/127 exist here: skipping the negative CPU check\n");
		skip();
	}
	expect_error_flags(yaml, 0,
			   "@:2:19: eal.worker_lcores[0]: lcore 127 does not exist "
			   "(this machine has CPUs ",
			   true);
	expect_error_flags("eal: {main_lcore: 126, worker_lcores: [1]}\n" PORTS_AND_TENANT, 0,
			   "@:1:19: eal.main_lcore: lcore 126 does not exist (this machine has CPUs ",
			   true);
}

/* ---- the public helpers ---- */

static void
test_helpers(void **state)
{
	struct sl_cfg cfg = { .path = "x.yaml" };
	struct sl_cfg_error err;

	(void)state;
	sl_config_error(&cfg, &err, (struct sl_cfg_loc){ 7, 3 }, "inputs[0]",
			"port has %d RX queues, need %d", 2, 4);
	assert_string_equal(err.msg, "x.yaml:7:3: inputs[0]: port has 2 RX queues, need 4");
	assert_int_equal(err.loc.line, 7);
	assert_int_equal(err.loc.col, 3);
	assert_string_equal(sl_dist_mode_name(SL_DIST_AUTO), "auto");
	assert_string_equal(sl_dist_mode_name(SL_DIST_RSS), "rss");
	assert_string_equal(sl_dist_mode_name(SL_DIST_SOFTWARE), "software");
	assert_string_equal(sl_hash_fields_name(SL_HASH_5TUPLE), "5-tuple");
	assert_string_equal(sl_hash_fields_name(SL_HASH_3TUPLE), "3-tuple");
	assert_string_equal(sl_hash_fields_name(SL_HASH_2TUPLE), "2-tuple");
	assert_string_equal(sl_strip_mode_name(SL_STRIP_NONE), "none");
	assert_string_equal(sl_strip_mode_name(SL_STRIP_OUTER), "outer");
	assert_string_equal(sl_strip_mode_name(SL_STRIP_OUTER_RETAG), "outer-retag");
	assert_string_equal(sl_strip_mode_name(SL_STRIP_OUTER_KEEP_VLAN), "outer-keep-vlan");
	assert_string_equal(sl_strip_mode_name((enum sl_strip_mode)4), "?");
	sl_config_free(NULL);
}

/* ---- policy, bypass, records (sl_config_policy.c) ---- */

static void
test_policy_valid(void **state)
{
	(void)state;
	struct sl_cfg *cfg = load_ok(HEAD
		"  - name: a\n"                                                          /* 10 */
		"    id: 1\n"
		"    pools: [{name: z, members: [out0], depth: {bytes: 1000}},"
		" {name: s, members: [out1]}]\n"
		"    max_rules: 10\n"
		"    rules:\n"
		"      - {name: web, match: {src: 10.0.0.0/8, dport: 80-90, proto: tcp, vlan: 5,"
		" input: in1}, action: mirror, pools: [z, s]}\n"
		"      - {match: {dst: '2001:db8::/32'}, action: slice, slice: 64,"
		" depth: {packets: 5, per_direction: true}}\n"
		"      - {match: {vlan: untagged}, action: sample, sample: 10, pools: s}\n"
		"      - {action: bypass}\n"
		"    elephant: {rate_mbps: 100, window_ms: 500, action: slice, slice: 128}\n"
		"    flow_records: {syslog: local3}\n"
		"    control: {socket: /run/a.sock, mode: '0640'}\n"
		"  - name: b\n"
		"    id: 2\n"
		"    pools: [{name: p, members: [out0]}]\n"
		"    flow_records: {unix: /run/b.rec}\n"
		"flow_table: {timeouts: {tcp_closed: 3, bypassed: 30}}\n", NOCPU);
	const struct sl_cfg_tenant *t = &cfg->tenants[0];
	assert_int_equal(t->n_rules, 4);
	assert_int_equal(t->max_rules, 10);
	assert_int_equal(t->pools[0].depth.bytes, 1000);
	const struct sl_cfg_rule *r = &t->rules[0];
	assert_string_equal(r->name, "web");
	assert_int_equal(r->src.family, 4);
	assert_int_equal(r->src.prefix, 8);
	assert_int_equal(r->src.addr[0], 10);
	assert_int_equal(r->dst.family, 0);
	assert_int_equal(r->dport_lo, 80);
	assert_int_equal(r->dport_hi, 90);
	assert_int_equal(r->sport_lo, 0);
	assert_int_equal(r->sport_hi, 65535);
	assert_int_equal(r->proto, 6);
	assert_int_equal(r->vlan_lo, 5);
	assert_int_equal(r->vlan_hi, 5);
	assert_int_equal(r->input_lo, 1);
	assert_int_equal(r->action, SL_ACT_MIRROR);
	assert_int_equal(r->n_pools, 2);
	assert_int_equal(r->pools[1], 1);
	r = &t->rules[1];
	assert_string_equal(r->name, "rule1");
	assert_int_equal(r->dst.family, 6);
	assert_int_equal(r->dst.prefix, 32);
	assert_int_equal(r->proto, -1);
	assert_int_equal(r->action, SL_ACT_SLICE);
	assert_int_equal(r->slice, 64);
	assert_true(r->has_depth);
	assert_true(r->depth.per_direction);
	assert_int_equal(r->depth.packets, 5);
	assert_int_equal(r->n_pools, 1); /* the default pool */
	assert_int_equal(r->pools[0], 0);
	r = &t->rules[2];
	assert_int_equal(r->vlan_lo, SL_UNTAGGED_VLAN);
	assert_int_equal(r->sample, 10);
	assert_int_equal(r->pools[0], 1);
	assert_int_equal(t->rules[3].action, SL_ACT_BYPASS);
	assert_int_equal(t->rules[3].n_pools, 0);
	assert_int_equal(t->elephant.bytes_per_sec, 12500000);
	assert_int_equal(t->elephant.window_ms, 500);
	assert_int_equal(t->elephant.action, SL_ELEPHANT_SLICE);
	assert_int_equal(t->records.kind, SL_RECORDS_SYSLOG);
	assert_int_equal(t->records.facility, LOG_LOCAL3);
	assert_string_equal(t->control.socket, "/run/a.sock");
	assert_int_equal(t->control.mode, 0640);
	assert_int_equal(cfg->tenants[1].records.kind, SL_RECORDS_UNIX);
	assert_int_equal(cfg->tenants[1].control.mode, 0660);
	assert_int_equal(cfg->tenants[1].max_rules, 4096);
	assert_int_equal(cfg->timeouts.tcp_closed, 3);
	assert_int_equal(cfg->timeouts.bypassed, 30);
	sl_config_free(cfg);
}

/* Line 13 is the tenant's policy line; TENANT("a", "1") has one pool, p. */
static void
test_policy_errors(void **state)
{
	(void)state;
	expect_error(HEAD TENANT("a", "1") "    rules: [{match: {src: 10.1.2.3/8}}]\n",
		     "@:13:27: tenants[0].rules[0].match.src: '10.1.2.3/8' has host bits set beyond /8");
	expect_error(HEAD TENANT("a", "1") "    rules: [{match: {src: 300.1.2.3}}]\n",
		     "@:13:27: tenants[0].rules[0].match.src: expected 'any', an IPv4/IPv6 address "
		     "or a CIDR prefix, got '300.1.2.3'");
	expect_error(HEAD TENANT("a", "1") "    rules: [{match: {src: 10.0.0.0/33}}]\n",
		     "@:13:27: tenants[0].rules[0].match.src: expected 'any', an IPv4/IPv6 address "
		     "or a CIDR prefix, got '10.0.0.0/33'");
	expect_error(HEAD TENANT("a", "1") "    rules: [{match: {src: 10.0.0.0/8, dst: '::/0'}}]\n",
		     "@:13:21: tenants[0].rules[0].match: src is IPv4 and dst is IPv6: a flow has one family");
	expect_error(HEAD TENANT("a", "1") "    rules: [{match: {dport: 70000}}]\n",
		     "@:13:29: tenants[0].rules[0].match.dport: 70000 out of range 0..65535");
	expect_error(HEAD TENANT("a", "1") "    rules: [{match: {proto: tcpx}}]\n",
		     "@:13:29: tenants[0].rules[0].match.proto: expected any, icmp, tcp, udp, icmp6, "
		     "sctp, gre, esp or 0..255, got 'tcpx'");
	expect_error(HEAD TENANT("a", "1") "    rules: [{match: {input: nope}}]\n",
		     "@:13:29: tenants[0].rules[0].match.input: unknown input 'nope'");
	expect_error(HEAD TENANT("a", "1") "    rules: [{action: mirror, pools: [p]}]\n",
		     "@:13:13: tenants[0].rules[0]: action mirror needs 'pools' with 2 or more pools");
	expect_error(HEAD TENANT("a", "1") "    rules: [{action: drop, pools: [p]}]\n",
		     "@:13:13: tenants[0].rules[0]: action drop forwards nothing: remove 'pools'");
	expect_error(HEAD TENANT("a", "1") "    rules: [{action: slice}]\n",
		     "@:13:13: tenants[0].rules[0]: action slice needs 'slice' (bytes kept)");
	expect_error(HEAD TENANT("a", "1") "    rules: [{slice: 100}]\n",
		     "@:13:13: tenants[0].rules[0]: 'slice' needs action: slice");
	expect_error(HEAD TENANT("a", "1") "    rules: [{action: sample, sample: 1}]\n",
		     "@:13:38: tenants[0].rules[0].sample: 1 out of range 2..1000000");
	expect_error(HEAD TENANT("a", "1") "    rules: [{action: bypass, depth: {bytes: 1}}]\n",
		     "@:13:13: tenants[0].rules[0]: action bypass forwards nothing: 'depth' has no effect");
	expect_error(HEAD TENANT("a", "1") "    rules: [{action: forward, pools: [q]}]\n",
		     "@:13:39: tenants[0].rules[0].pools[0]: unknown pool 'q' in tenant 'a'");
	expect_error(HEAD TENANT("a", "1") "    rules: [{action: fly}]\n",
		     "@:13:22: tenants[0].rules[0].action: invalid value 'fly' (expected one of: "
		     "forward, mirror, bypass, drop, slice, sample, steer, bypass-after-handshake)");
	expect_error(HEAD TENANT("a", "1") "    rules: [{name: x}, {name: x}]\n",
		     "@:13:24: tenants[0].rules[1]: duplicate rule name 'x' (first at @:13:13)");
	expect_error(HEAD TENANT("a", "1") "    max_rules: 1\n    rules: [{}, {}]\n",
		     "@:14:12: tenants[0].rules: 2 rules exceed the tenant's max_rules 1");
	expect_error(HEAD TENANT("a", "1") "    elephant: {window_ms: 100}\n",
		     "@:13:15: tenants[0].elephant: missing required key 'rate_mbps'");
	expect_error(HEAD TENANT("a", "1") "    elephant: {rate_mbps: 1, action: slice}\n",
		     "@:13:15: tenants[0].elephant: action slice needs 'slice' (bytes kept)");
	expect_error(HEAD TENANT("a", "1") "    flow_records: {file: a, syslog: local0}\n",
		     "@:13:19: tenants[0].flow_records: expected exactly one of file, unix or syslog");
	expect_error(HEAD TENANT("a", "1") "    flow_records: {syslog: kern}\n",
		     "@:13:28: tenants[0].flow_records.syslog: invalid value 'kern' (expected one of: "
		     "local0, local1, local2, local3, local4, local5, local6, local7, daemon, user)");
	expect_error(HEAD TENANT("a", "1") "    control: {socket: /a, mode: 999}\n",
		     "@:13:33: tenants[0].control.mode: expected octal permission bits 0..0777 like "
		     "0660, got '999'");
	expect_error(HEAD TENANT("a", "1") "    control: {socket: /a}\n" TENANT("b", "2")
		     "    control: {socket: /a}\n",
		     "@:17:23: tenants[1].control.socket: socket '/a' is tenant 'a''s already: each "
		     "tenant has its own");
}

/* control: owner, group, max_clients, idle_timeout, rate (issue 13) */
static void
test_control_keys(void **state)
{
	(void)state;
	struct sl_cfg *cfg = load_ok(HEAD TENANT("a", "1")
		"    control: {socket: /run/a.sock, owner: root, group: daemon, max_clients: 2,"
		" idle_timeout: 0.25, rate: 50}\n" TENANT("b", "2")
		"    control: {socket: /run/b.sock, owner: 1234, group: '4321'}\n" TENANT("c", "3"),
		NOCPU);
	const struct sl_cfg_control *a = &cfg->tenants[0].control, *b = &cfg->tenants[1].control,
				    *d = &cfg->tenants[2].control;
	struct group *daemon_grp = getgrnam("daemon");

	assert_int_equal(a->uid, 0);
	assert_non_null(daemon_grp);
	assert_int_equal(a->gid, daemon_grp->gr_gid);
	assert_int_equal(a->max_clients, 2);
	assert_int_equal(a->idle_timeout_ms, 250);
	assert_int_equal(a->rate, 50);
	assert_int_equal(b->uid, 1234);
	assert_int_equal(b->gid, 4321);
	/* defaults, also for a tenant without a socket */
	assert_int_equal(b->mode, 0660);
	assert_int_equal(b->max_clients, 16);
	assert_int_equal(b->idle_timeout_ms, 300000);
	assert_int_equal(b->rate, 10000);
	assert_int_equal(d->uid, -1);
	assert_int_equal(d->gid, -1);
	sl_config_free(cfg);

	expect_error(HEAD TENANT("a", "1") "    control: {socket: /a, owner: sl-no-such-user}\n",
		     "@:13:34: tenants[0].control.owner: unknown user 'sl-no-such-user'");
	expect_error(HEAD TENANT("a", "1") "    control: {socket: /a, group: sl-no-such-group}\n",
		     "@:13:34: tenants[0].control.group: unknown group 'sl-no-such-group'");
	expect_error(HEAD TENANT("a", "1") "    control: {socket: /a, owner: 4294967295}\n",
		     "@:13:34: tenants[0].control.owner: uid 4294967295 out of range");
	expect_error(HEAD TENANT("a", "1") "    control: {socket: /a, owner: [root]}\n",
		     "@:13:34: tenants[0].control.owner: expected a user name or uid, got a list");
	expect_error(HEAD TENANT("a", "1") "    control: {socket: /a, max_clients: 0}\n",
		     "@:13:40: tenants[0].control.max_clients: 0 out of range 1..1024");
	expect_error(HEAD TENANT("a", "1") "    control: {socket: /a, max_clients: 1025}\n",
		     "@:13:40: tenants[0].control.max_clients: 1025 out of range 1..1024");
	expect_error(HEAD TENANT("a", "1") "    control: {socket: /a, idle_timeout: 0}\n",
		     "@:13:41: tenants[0].control.idle_timeout: expected seconds 0.001..86400 "
		     "(fractions allowed), got '0'");
	expect_error(HEAD TENANT("a", "1") "    control: {socket: /a, idle_timeout: 1d}\n",
		     "@:13:41: tenants[0].control.idle_timeout: expected seconds 0.001..86400 "
		     "(fractions allowed), got '1d'");
	expect_error(HEAD TENANT("a", "1") "    control: {socket: /a, rate: 0}\n",
		     "@:13:33: tenants[0].control.rate: 0 out of range 1..1000000");
	expect_error(HEAD TENANT("a", "1") "    control: {mode: '0600'}\n",
		     "@:13:14: tenants[0].control: missing required key 'socket'");
}

#define RING_HEAD                                                              \
	"eal: {worker_lcores: [1]}\n"                                           \
	"inputs: [{name: in0, vdev: net_null0}]\n"                              \
	"outputs:\n"

#define RING_TENANT(pool_extra)                                                \
	"tenants:\n"                                                            \
	"  - name: a\n"                                                         \
	"    id: 1\n"                                                           \
	"    pools: [{name: p, " pool_extra "members: [r0]}]\n"

static void
test_ring_output(void **state)
{
	struct sl_cfg *cfg;

	(void)state;
	/* defaults */
	cfg = load_ok(RING_HEAD "  - {name: r0, ring: {path: /dev/shm/x}}\n" RING_TENANT(""), NOCPU);
	assert_string_equal(cfg->outputs[0].ring.path, "/dev/shm/x");
	assert_int_equal(cfg->outputs[0].ring.frame_size, 2048);
	assert_int_equal(cfg->outputs[0].ring.frames, 4096);
	assert_int_equal(cfg->outputs[0].ring.heartbeat_ms, 1000);
	assert_int_equal(cfg->outputs[0].queues, 1);
	assert_int_equal(cfg->outputs[0].vdev[0], 0);
	assert_int_equal(cfg->tenants[0].pools[0].on_member_down, SL_DOWN_RESTEER);
	sl_config_free(cfg);
	cfg = load_ok(RING_HEAD
		      "  - name: r0\n"
		      "    ring: {path: /dev/hugepages/r0, frame_size: 65536, frames: 64,"
		      " heartbeat_ms: 50}\n" RING_TENANT("on_member_down: drop, "),
		      NOCPU);
	assert_int_equal(cfg->outputs[0].ring.frame_size, 65536);
	assert_int_equal(cfg->outputs[0].ring.frames, 64);
	assert_int_equal(cfg->outputs[0].ring.heartbeat_ms, 50);
	assert_int_equal(cfg->tenants[0].pools[0].on_member_down, SL_DOWN_DROP);
	sl_config_free(cfg);

	expect_error(RING_HEAD "  - {name: r0, ring: {path: /x, frame_size: 1000}}\n"
			       RING_TENANT(""),
		     "@:4:45: outputs[0].ring.frame_size: 1000 is not a power of two");
	expect_error(RING_HEAD "  - {name: r0, ring: {path: /x, frame_size: 32}}\n"
			       RING_TENANT(""),
		     "@:4:45: outputs[0].ring.frame_size: 32 out of range 64..1048576");
	expect_error(RING_HEAD "  - {name: r0, ring: {path: /x, frames: 1}}\n" RING_TENANT(""),
		     "@:4:41: outputs[0].ring.frames: 1 out of range 2..16777216");
	expect_error(RING_HEAD "  - {name: r0, ring: {path: /x, heartbeat_ms: 5}}\n"
			       RING_TENANT(""),
		     "@:4:47: outputs[0].ring.heartbeat_ms: 5 out of range 10..600000");
	expect_error(RING_HEAD "  - {name: r0, ring: {path: rel/x}}\n" RING_TENANT(""),
		     "@:4:29: outputs[0].ring.path: ring path 'rel/x' must be absolute");
	expect_error(RING_HEAD "  - {name: r0, ring: {frames: 8}}\n" RING_TENANT(""),
		     "@:4:22: outputs[0].ring: missing required key 'path'");
	expect_error(RING_HEAD "  - {name: r0, ring: {path: /x}, vdev: net_null1}\n"
			       RING_TENANT(""),
		     "@:4:5: outputs[0]: exactly one of 'pci', 'vdev' or 'ring' is required");
	expect_error(RING_HEAD "  - {name: r0}\n" RING_TENANT(""),
		     "@:4:5: outputs[0]: exactly one of 'pci', 'vdev' or 'ring' is required");
	expect_error(RING_HEAD "  - {name: r0, ring: {path: /x}, queues: 2}\n" RING_TENANT(""),
		     "@:4:5: outputs[0]: a ring output has one queue");
	expect_error(RING_HEAD "  - {name: r0, ring: {path: /x}}\n"
			       "  - {name: r1, ring: {path: /x}}\n" RING_TENANT(""),
		     "@:5:29: outputs[1].ring.path: ring path '/x' is output 'r0''s already");
	/* a ring is not an input */
	expect_error("eal: {worker_lcores: [1]}\n"
		     "inputs: [{name: in0, ring: {path: /x}}]\n",
		     "@:2:22: inputs[0].ring: unknown key 'ring'");
	expect_error(RING_HEAD "  - {name: r0, ring: {path: /x}}\n"
			       RING_TENANT("on_member_down: wait, "),
		     "@:8:39: tenants[0].pools[0].on_member_down: invalid value 'wait' "
		     "(expected one of: resteer, drop)");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_full),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_member_shorthand),
		cmocka_unit_test(test_ring_output),
		cmocka_unit_test(test_stats_interval),
		cmocka_unit_test(test_metrics),
		cmocka_unit_test(test_hash_seed),
		cmocka_unit_test(test_reference_config),
		cmocka_unit_test(test_truncated_reference),
		cmocka_unit_test(test_lcore_ranges),
		cmocka_unit_test(test_lcore_cpu_check_positive),
		cmocka_unit_test(test_cannot_open),
		cmocka_unit_test(test_syntax_error),
		cmocka_unit_test(test_empty_and_not_mapping),
		cmocka_unit_test(test_unknown_key),
		cmocka_unit_test(test_wrong_type),
		cmocka_unit_test(test_bad_int),
		cmocka_unit_test(test_bad_enum),
		cmocka_unit_test(test_range),
		cmocka_unit_test(test_missing_required),
		cmocka_unit_test(test_tenant_without_pools),
		cmocka_unit_test(test_duplicate_key),
		cmocka_unit_test(test_bad_names),
		cmocka_unit_test(test_duplicate_port_names),
		cmocka_unit_test(test_duplicate_tenants),
		cmocka_unit_test(test_vlan_overlap),
		cmocka_unit_test(test_vlan_overlap_other_inputs),
		cmocka_unit_test(test_qinq_dup),
		cmocka_unit_test(test_untagged_twice),
		cmocka_unit_test(test_unknown_output),
		cmocka_unit_test(test_queue_out_of_range),
		cmocka_unit_test(test_unknown_input_ref),
		cmocka_unit_test(test_bad_default_pool),
		cmocka_unit_test(test_bad_default_tenant),
		cmocka_unit_test(test_tunnels_defaults),
		cmocka_unit_test(test_tunnels_full),
		cmocka_unit_test(test_tunnels_errors),
		cmocka_unit_test(test_tunnels_port_in_both),
		cmocka_unit_test(test_tunnel_id_range),
		cmocka_unit_test(test_tunnel_id_overlap),
		cmocka_unit_test(test_tunnel_id_no_overlap),
		cmocka_unit_test(test_tunnel_id_duplicate),
		cmocka_unit_test(test_tunnel_id_with_qinq_untagged),
		cmocka_unit_test(test_tunnel_id_needs_depth),
		cmocka_unit_test(test_tunnel_ids_parsed),
		cmocka_unit_test(test_fragments_defaults),
		cmocka_unit_test(test_fragments_valid),
		cmocka_unit_test(test_fragments_range),
		cmocka_unit_test(test_fragments_errors),
		cmocka_unit_test(test_fragments_tenant_above_max),
		cmocka_unit_test(test_strip),
		cmocka_unit_test(test_strip_errors),
		cmocka_unit_test(test_retag_vlan),
		cmocka_unit_test(test_bad_pci_format),
		cmocka_unit_test(test_missing_pci_device),
		cmocka_unit_test(test_pci_present),
		cmocka_unit_test(test_unknown_vdev_driver),
		cmocka_unit_test(test_duplicate_vdev_instance),
		cmocka_unit_test(test_lcore_dup),
		cmocka_unit_test(test_main_in_workers),
		cmocka_unit_test(test_lcore_127_unchecked),
		cmocka_unit_test(test_lcore_not_existing),
		cmocka_unit_test(test_helpers),
		cmocka_unit_test(test_policy_valid),
		cmocka_unit_test(test_policy_errors),
		cmocka_unit_test(test_control_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
