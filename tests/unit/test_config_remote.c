/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for a pool member's remote: key (lib/config,
 * sl_config_remote.c): every key parsed, the defaults, "tenant" as an id,
 * every error with its exact "FILE:LINE:COL: KEY: REASON", and whether a
 * changed remote makes a different policy (reloads).
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

/* Lines 1-14; the remote's keys follow from line 15, column 15. */
#define HEAD_ID(id)                                                            \
	"eal: {worker_lcores: [1]}\n"                                          \
	"inputs: [{name: in0, vdev: net_null0}]\n"                             \
	"outputs:\n"                                                           \
	"  - {name: up, vdev: net_null1}\n"                                    \
	"  - name: rg\n"                                                       \
	"    ring: {path: /dev/shm/sl_test_remote_ring}\n"                     \
	"tenants:\n"                                                           \
	"  - name: a\n"                                                        \
	"    id: " id "\n"                                                     \
	"    pools:\n"                                                         \
	"      - name: p\n"                                                    \
	"        members:\n"                                                   \
	"          - output: up\n"                                             \
	"            remote:\n"
#define HEAD HEAD_ID("7")
#define K(line) "              " line "\n"
/* the addresses every valid remote needs */
#define ADDRS K("src: 192.0.2.1") K("dst: 192.0.2.10") K("dst_mac: \"02:00:00:00:00:10\"")
#define KEY "tenants[0].pools[0].members[0].remote"

static int
load(const char *yaml, struct sl_cfg **cfg, struct sl_cfg_error *err, char *path)
{
	return sl_test_load_yaml(yaml, cfg, err, path, 64);
}

static struct sl_cfg *
load_ok(const char *yaml)
{
	struct sl_cfg *cfg;
	struct sl_cfg_error err;
	char path[64];

	if (load(yaml, &cfg, &err, path) != 0)
		print_error("unexpected error: %s\n", err.msg);
	assert_non_null(cfg);
	return cfg;
}

/* @p want is the message after "PATH:" */
static void
expect_error(const char *yaml, const char *want)
{
	struct sl_cfg *cfg;
	struct sl_cfg_error err;
	char path[64], full[1200];
	int rc = load(yaml, &cfg, &err, path);

	snprintf(full, sizeof(full), "%s:%s", path, want);
	if (rc != -EINVAL || strcmp(err.msg, full) != 0)
		print_error("rc %d\n got: %s\nwant: %s\n", rc, err.msg, full);
	assert_int_equal(rc, -EINVAL);
	assert_null(cfg);
	assert_string_equal(err.msg, full);
}

static const struct sl_cfg_remote *
remote0(const struct sl_cfg *cfg)
{
	return &cfg->tenants[0].pools[0].members[0].remote;
}

static void
test_vxlan_full(void **state)
{
	(void)state;
	struct sl_cfg *cfg = load_ok(HEAD K("encap: vxlan") K("vni: 5001") K("port: 8472")
				     ADDRS K("src_mac: \"02:00:00:00:00:01\"") K("dscp: 46")
				     K("ttl: 9") K("mtu: 9000") K("oversize: drop"));
	const struct sl_cfg_remote *r = remote0(cfg);
	static const uint8_t src[4] = { 192, 0, 2, 1 }, dst[4] = { 192, 0, 2, 10 };
	static const uint8_t smac[6] = { 2, 0, 0, 0, 0, 1 }, dmac[6] = { 2, 0, 0, 0, 0, 0x10 };

	assert_int_equal(r->encap, SL_REMOTE_VXLAN);
	assert_string_equal(sl_remote_encap_name(r->encap), "vxlan");
	assert_true(r->has_id);
	assert_false(r->id_is_tenant);
	assert_int_equal(r->id, 5001);
	assert_int_equal(r->port, 8472);
	assert_int_equal(r->family, 4);
	assert_memory_equal(r->src, src, 4);
	assert_memory_equal(r->dst, dst, 4);
	assert_true(r->has_src_mac);
	assert_memory_equal(r->src_mac, smac, 6);
	assert_memory_equal(r->dst_mac, dmac, 6);
	assert_int_equal(r->dscp, 46);
	assert_int_equal(r->ttl, 9);
	assert_int_equal(r->mtu, 9000);
	assert_false(r->truncate);
	assert_string_equal(cfg->tenants[0].pools[0].members[0].output, "up");
	sl_config_free(cfg);
}

static void
test_defaults_and_kinds(void **state)
{
	(void)state;
	struct sl_cfg *cfg = load_ok(HEAD K("encap: geneve") K("vni: 0") ADDRS);
	const struct sl_cfg_remote *r = remote0(cfg);

	assert_int_equal(r->encap, SL_REMOTE_GENEVE);
	assert_int_equal(r->port, 6081);
	assert_int_equal(r->ttl, 64);
	assert_int_equal(r->dscp, 0);
	assert_int_equal(r->mtu, 1500);
	assert_false(r->has_src_mac);
	assert_false(r->truncate);
	sl_config_free(cfg);

	cfg = load_ok(HEAD K("encap: vxlan") K("vni: tenant") ADDRS);
	assert_int_equal(remote0(cfg)->port, 4789);
	assert_int_equal(remote0(cfg)->id, 7);
	assert_true(remote0(cfg)->id_is_tenant);
	sl_config_free(cfg);

	/* GRE: the key is optional */
	cfg = load_ok(HEAD K("encap: gre") ADDRS);
	assert_int_equal(remote0(cfg)->encap, SL_REMOTE_GRE);
	assert_false(remote0(cfg)->has_id);
	sl_config_free(cfg);
	cfg = load_ok(HEAD K("encap: gre") K("key: 0xffffffff") ADDRS);
	assert_true(remote0(cfg)->has_id);
	assert_int_equal(remote0(cfg)->id, 0xffffffffu);
	sl_config_free(cfg);

	/* ERSPAN III over IPv6, truncating */
	cfg = load_ok(HEAD K("encap: erspan3") K("session: tenant") K("src: \"2001:db8::1\"")
		      K("dst: \"2001:db8::10\"") K("dst_mac: \"02:00:00:00:00:10\"")
		      K("mtu: 1280") K("oversize: truncate"));
	const struct sl_cfg_remote *r6 = remote0(cfg);
	static const uint8_t dst6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x10 };

	assert_int_equal(r6->encap, SL_REMOTE_ERSPAN3);
	assert_int_equal(r6->family, 6);
	assert_memory_equal(r6->dst, dst6, 16);
	assert_int_equal(r6->id, 7);
	assert_true(r6->truncate);
	assert_int_equal(r6->mtu, 1280);
	sl_config_free(cfg);

	cfg = load_ok(HEAD K("encap: erspan2") K("session: 1023") ADDRS K("oversize: truncate"));
	assert_int_equal(remote0(cfg)->encap, SL_REMOTE_ERSPAN2);
	assert_int_equal(remote0(cfg)->id, 1023);
	sl_config_free(cfg);

	/* a member without remote is local; the shorthand too */
	cfg = load_ok("eal: {worker_lcores: [1]}\n"
		      "inputs: [{name: in0, vdev: net_null0}]\n"
		      "outputs: [{name: up, vdev: net_null1}]\n"
		      "tenants: [{name: a, id: 1, pools: [{name: p, members: [up, {output: up}]}]}]\n");
	assert_int_equal(remote0(cfg)->encap, SL_REMOTE_NONE);
	assert_int_equal(cfg->tenants[0].pools[0].members[1].remote.encap, SL_REMOTE_NONE);
	sl_config_free(cfg);
}

static void
test_errors(void **state)
{
	(void)state;
	expect_error(HEAD ADDRS, "15:15: " KEY ": missing required key 'encap'");
	expect_error(HEAD K("encap: vxlan2") K("vni: 1") ADDRS,
		     "15:22: " KEY ".encap: invalid value 'vxlan2' (expected one of: vxlan, "
		     "geneve, gre, erspan2, erspan3)");
	expect_error(HEAD K("encap: vxlan") ADDRS,
		     "15:15: " KEY ": missing required key 'vni' (encap is vxlan)");
	expect_error(HEAD K("encap: erspan2") ADDRS,
		     "15:15: " KEY ": missing required key 'session' (encap is erspan2)");
	expect_error(HEAD K("encap: gre") K("vni: 1") ADDRS,
		     "16:20: " KEY ".vni: needs encap: vxlan or geneve (encap is gre)");
	expect_error(HEAD K("encap: vxlan") K("key: 1") ADDRS,
		     "16:20: " KEY ".key: needs encap: gre (encap is vxlan)");
	expect_error(HEAD K("encap: geneve") K("session: 1") ADDRS,
		     "16:24: " KEY ".session: needs encap: erspan2 or erspan3 (encap is geneve)");
	expect_error(HEAD K("encap: gre") K("port: 1") ADDRS,
		     "16:21: " KEY ".port: needs encap: vxlan or geneve (encap is gre)");
	expect_error(HEAD K("encap: vxlan") K("vni: 16777216") ADDRS,
		     "16:20: " KEY ".vni: 16777216 out of range 0..16777215");
	expect_error(HEAD K("encap: vxlan") K("vni: x") ADDRS,
		     "16:20: " KEY ".vni: expected an integer or 'tenant', got 'x'");
	expect_error(HEAD K("encap: erspan3") K("session: 1024") ADDRS,
		     "16:24: " KEY ".session: 1024 out of range 0..1023");
	expect_error(HEAD_ID("2000") K("encap: erspan3") K("session: tenant") ADDRS,
		     "16:24: " KEY ".session: tenant id 2000 does not fit an ERSPAN session id "
		     "(0..1023)");
	expect_error(HEAD K("encap: vxlan") K("vni: 1") K("port: 0") ADDRS,
		     "17:21: " KEY ".port: 0 out of range 1..65535");
	expect_error(HEAD K("encap: vxlan") K("vni: 1") K("src: 192.0.2.300")
		     K("dst: 192.0.2.10") K("dst_mac: \"02:00:00:00:00:10\""),
		     "17:20: " KEY ".src: '192.0.2.300' is not a numeric IPv4 or IPv6 address");
	expect_error(HEAD K("encap: vxlan") K("vni: 1") K("src: 192.0.2.1")
		     K("dst: \"2001:db8::1\"") K("dst_mac: \"02:00:00:00:00:10\""),
		     "18:20: " KEY ".dst: dst is IPv6 but src is IPv4");
	expect_error(HEAD K("encap: vxlan") K("vni: 1") K("src: 192.0.2.1") K("dst: 192.0.2.10")
		     K("dst_mac: \"02:00:00:00:10\""),
		     "19:24: " KEY ".dst_mac: '02:00:00:00:10' is not a MAC address "
		     "(xx:xx:xx:xx:xx:xx; quote it)");
	expect_error(HEAD K("encap: vxlan") K("vni: 1") ADDRS K("src_mac: \"01:00:5e:00:00:01\""),
		     "20:24: " KEY ".src_mac: 01:00:5e:00:00:01 is a multicast address");
	expect_error(HEAD K("encap: vxlan") K("vni: 1") K("src: 192.0.2.1") K("dst: 192.0.2.10"),
		     "15:15: " KEY ": missing required key 'dst_mac'");
	expect_error(HEAD K("encap: vxlan") K("vni: 1") ADDRS K("dscp: 64"),
		     "20:21: " KEY ".dscp: 64 out of range 0..63");
	expect_error(HEAD K("encap: vxlan") K("vni: 1") ADDRS K("ttl: 0"),
		     "20:20: " KEY ".ttl: 0 out of range 1..255");
	expect_error(HEAD K("encap: vxlan") K("vni: 1") ADDRS K("mtu: 575"),
		     "20:20: " KEY ".mtu: 575 out of range 576..9216");
	expect_error(HEAD K("encap: gre") K("src: \"2001:db8::1\"") K("dst: \"2001:db8::10\"")
		     K("dst_mac: \"02:00:00:00:00:10\"") K("mtu: 1000"),
		     "19:20: " KEY ".mtu: 1000 out of range 1280..9216");
	expect_error(HEAD K("encap: vxlan") K("vni: 1") ADDRS K("oversize: truncate"),
		     "20:25: " KEY ".oversize: truncate needs encap: erspan2 or erspan3, the "
		     "tunnels that can flag a cut frame (encap is vxlan); use drop");
	expect_error(HEAD K("encap: gre") ADDRS K("oversize: cut"),
		     "19:25: " KEY ".oversize: invalid value 'cut' (expected one of: drop, "
		     "truncate)");
	expect_error(HEAD K("encap: gre") ADDRS K("bogus: 1"),
		     "19:15: " KEY ".bogus: unknown key 'bogus'");
	expect_error("eal: {worker_lcores: [1]}\n"
		     "inputs: [{name: in0, vdev: net_null0}]\n"
		     "outputs: [{name: up, vdev: net_null1}]\n"
		     "tenants: [{name: a, id: 1, pools: [{name: p, members: "
		     "[{output: up, remote: vxlan}]}]}]\n",
		     "4:77: " KEY ": expected a mapping, got 'vxlan'");
}

/* A ring output has no MAC address: src_mac is needed. */
static void
test_ring_needs_src_mac(void **state)
{
	(void)state;
	const char *ring =
		"eal: {worker_lcores: [1]}\n"
		"inputs: [{name: in0, vdev: net_null0}]\n"
		"outputs: [{name: rg, ring: {path: /dev/shm/sl_test_remote_ring}}]\n"
		"tenants:\n"
		"  - name: a\n"
		"    id: 1\n"
		"    pools:\n"
		"      - name: p\n"
		"        members:\n"
		"          - output: rg\n"
		"            remote:\n";
	char yaml[2048];

	snprintf(yaml, sizeof(yaml), "%s%s", ring, K("encap: gre") ADDRS);
	expect_error(yaml, "12:15: " KEY ": missing required key 'src_mac' (output 'rg' is a "
			   "ring, it has no MAC address)");
	snprintf(yaml, sizeof(yaml), "%s%s", ring,
		 K("encap: gre") ADDRS K("src_mac: \"02:00:00:00:00:01\""));
	sl_config_free(load_ok(yaml));
}

/* A remote that changes is another policy (reloads re-steer); one that
 * does not is the same. */
static void
test_policy_equal(void **state)
{
	(void)state;
	struct sl_cfg *a = load_ok(HEAD K("encap: vxlan") K("vni: 1") ADDRS);
	struct sl_cfg *b = load_ok(HEAD K("encap: vxlan") K("vni: 1") ADDRS);
	struct sl_cfg *c = load_ok(HEAD K("encap: vxlan") K("vni: 2") ADDRS);
	struct sl_cfg *d = load_ok(HEAD K("encap: vxlan") K("vni: 1") K("src: 192.0.2.1")
				   K("dst: 192.0.2.11") K("dst_mac: \"02:00:00:00:00:10\""));

	assert_true(sl_config_tenant_policy_equal(&a->tenants[0], &b->tenants[0]));
	assert_true(sl_config_remote_equal(remote0(a), remote0(b)));
	assert_false(sl_config_tenant_policy_equal(&a->tenants[0], &c->tenants[0]));
	assert_false(sl_config_remote_equal(remote0(a), remote0(c)));
	assert_false(sl_config_tenant_policy_equal(&a->tenants[0], &d->tenants[0]));
	/* a copy is equal */
	struct sl_cfg *e = sl_config_dup(a);

	assert_non_null(e);
	assert_true(sl_config_remote_equal(remote0(a), remote0(e)));
	/* and the change may be reloaded */
	struct sl_cfg_error err;

	assert_int_equal(sl_config_reload_check(a, c, &err), 0);
	sl_config_free(a);
	sl_config_free(b);
	sl_config_free(c);
	sl_config_free(d);
	sl_config_free(e);
}

/* The reference configuration shows a remote member, and it loads. */
static void
test_reference(void **state)
{
	(void)state;
	struct sl_cfg *cfg = NULL;
	struct sl_cfg_error err;
	int remote = 0;

	if (sl_config_load("../../config/sluice.reference.yaml", SL_CFG_NO_LCORE_CPU_CHECK, &cfg,
			   &err) != 0)
		print_error("%s\n", err.msg);
	assert_non_null(cfg);
	for (uint16_t t = 0; t < cfg->n_tenants; t++)
		for (uint16_t p = 0; p < cfg->tenants[t].n_pools; p++)
			for (uint16_t m = 0; m < cfg->tenants[t].pools[p].n_members; m++) {
				const struct sl_cfg_remote *r =
					&cfg->tenants[t].pools[p].members[m].remote;

				if (r->encap == SL_REMOTE_NONE)
					continue;
				remote++;
				assert_int_equal(r->encap, SL_REMOTE_VXLAN);
				assert_true(r->id_is_tenant);
				assert_int_equal(r->id, cfg->tenants[t].id);
			}
	assert_int_equal(remote, 1);
	sl_config_free(cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vxlan_full),
		cmocka_unit_test(test_defaults_and_kinds),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_ring_needs_src_mac),
		cmocka_unit_test(test_policy_equal),
		cmocka_unit_test(test_reference),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
