/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests: flow policy classification. Hand-written cases pin each field's
 * edges; a property test compares 1000 random rules against a brute-force
 * matcher written here, independently of rte_acl.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <setjmp.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <arpa/inet.h>

#include <rte_common.h>
#include <rte_eal.h>
#include <rte_malloc.h>

#include "sl_policy.h"
#include "sl_test_eal.h"

#define ERRLEN 256
#define PROP_RULES 1000
#define PROP_FLOWS 50000
#define PROP_SEED 0x5eed5eed12345678ull
#define THREAD_FLOWS 10000
#define DIVERSE_RULES 100
#define DIVERSE_FLOWS 10000

/* ---- helpers ---------------------------------------------------------- */

static struct sl_policy_cidr
cidr(const char *s)
{
	struct sl_policy_cidr c;

	if (sl_policy_parse_cidr(s, &c) != 0)
		fail_msg("bad test cidr %s", s);
	return c;
}

/* A rule matching everything but src/dst, given as strings. */
static struct sl_policy_match
rule(const char *src, const char *dst)
{
	struct sl_policy_match m;

	sl_policy_match_any(&m);
	m.src = cidr(src);
	m.dst = cidr(dst);
	return m;
}

static struct sl_policy_flow
flow(const char *src, uint16_t sport, const char *dst, uint16_t dport, uint8_t proto)
{
	struct sl_policy_flow f;
	struct sl_policy_cidr s = cidr(src), d = cidr(dst);

	memset(&f, 0, sizeof(f));
	assert_int_equal(s.family, d.family);
	f.family = s.family;
	memcpy(f.src, s.addr, 16);
	memcpy(f.dst, d.addr, 16);
	f.sport = sport;
	f.dport = dport;
	f.proto = proto;
	f.vlan = SL_POLICY_ANY_VLAN_HI; /* untagged */
	f.input = 0;
	return f;
}

static struct sl_policy *
build(const struct sl_policy_match *rules, uint32_t n)
{
	static unsigned int seq;
	char name[24], err[ERRLEN];
	struct sl_policy *p = NULL;

	snprintf(name, sizeof(name), "ut%u", seq++);
	int rc = sl_policy_create(name, 0, rules, n, n, 0, &p, err, sizeof(err));
	if (rc != 0)
		fail_msg("sl_policy_create: %d: %s", rc, err);
	assert_non_null(p);
	assert_int_equal(sl_policy_rule_count(p), n);
	return p;
}

/* Expect create to fail with rc and a message containing want. */
static void
expect_create_fail(const struct sl_policy_match *rules, uint32_t n, uint32_t max_rules,
		   size_t max_mem, int rc, const char *want)
{
	char err[ERRLEN];
	struct sl_policy *p = (struct sl_policy *)(uintptr_t)0x1;

	memset(err, 0, sizeof(err));
	assert_int_equal(sl_policy_create("ut_fail", 0, rules, n, max_rules, max_mem, &p, err,
					  sizeof(err)), rc);
	assert_ptr_equal(p, (struct sl_policy *)(uintptr_t)0x1); /* untouched */
	if (strstr(err, want) == NULL)
		fail_msg("error message \"%s\" lacks \"%s\"", err, want);
}

/* ---- brute-force reference -------------------------------------------- */

static int
ref_cidr(const struct sl_policy_cidr *c, uint8_t family, const uint8_t *a)
{
	if (c->family == 0)
		return 1;
	if (c->family != family)
		return 0;
	for (unsigned int bit = 0; bit < c->prefix; bit++) {
		unsigned int mask = 0x80u >> (bit % 8);

		if ((c->addr[bit / 8] & mask) != (a[bit / 8] & mask))
			return 0;
	}
	return 1;
}

static int
ref_one_way(const struct sl_policy_match *m, const struct sl_policy_flow *f)
{
	if (m->src.family != 0 && m->src.family != f->family)
		return 0;
	if (m->dst.family != 0 && m->dst.family != f->family)
		return 0;
	return ref_cidr(&m->src, f->family, f->src) && ref_cidr(&m->dst, f->family, f->dst) &&
	       f->sport >= m->sport_lo && f->sport <= m->sport_hi &&
	       f->dport >= m->dport_lo && f->dport <= m->dport_hi &&
	       (m->proto < 0 || m->proto == f->proto) &&
	       f->vlan >= m->vlan_lo && f->vlan <= m->vlan_hi &&
	       f->input >= m->input_lo && f->input <= m->input_hi;
}

static struct sl_policy_flow
reverse(const struct sl_policy_flow *f)
{
	struct sl_policy_flow r = *f;

	memcpy(r.src, f->dst, 16);
	memcpy(r.dst, f->src, 16);
	r.sport = f->dport;
	r.dport = f->sport;
	return r;
}

static int32_t
ref_classify(const struct sl_policy_match *rules, uint32_t n, const struct sl_policy_flow *f)
{
	struct sl_policy_flow r = reverse(f);

	if (f->family != 4 && f->family != 6)
		return -1;
	for (uint32_t i = 0; i < n; i++)
		if (ref_one_way(&rules[i], f) || ref_one_way(&rules[i], &r))
			return (int32_t)i;
	return -1;
}

/* ---- cidr parser ------------------------------------------------------ */

static void
expect_cidr(const char *s, uint8_t family, uint8_t prefix, const char *addr)
{
	struct sl_policy_cidr c, want;

	memset(&want, 0, sizeof(want));
	want.family = family;
	want.prefix = prefix;
	if (family == 4)
		assert_int_equal(inet_pton(AF_INET, addr, want.addr), 1);
	else if (family == 6)
		assert_int_equal(inet_pton(AF_INET6, addr, want.addr), 1);
	memset(&c, 0xa5, sizeof(c));
	if (sl_policy_parse_cidr(s, &c) != 0)
		fail_msg("\"%s\" rejected", s);
	assert_int_equal(c.family, want.family);
	assert_int_equal(c.prefix, want.prefix);
	assert_memory_equal(c.addr, want.addr, 16);
}

static void
test_parse_cidr_valid(void **state)
{
	(void)state;
	expect_cidr("10.0.0.0/8", 4, 8, "10.0.0.0");
	expect_cidr("1.2.3.4", 4, 32, "1.2.3.4");
	expect_cidr("1.2.3.4/32", 4, 32, "1.2.3.4");
	expect_cidr("0.0.0.0/0", 4, 0, "0.0.0.0");
	expect_cidr("255.255.255.255/0", 4, 0, "0.0.0.0");       /* host bits cleared */
	expect_cidr("10.1.2.3/8", 4, 8, "10.0.0.0");
	expect_cidr("10.255.255.255/17", 4, 17, "10.255.128.0");
	expect_cidr("192.168.1.255/31", 4, 31, "192.168.1.254");
	expect_cidr("2001:db8::/32", 6, 32, "2001:db8::");
	expect_cidr("2001:db8::1", 6, 128, "2001:db8::1");
	expect_cidr("2001:db8::1/128", 6, 128, "2001:db8::1");
	expect_cidr("::/0", 6, 0, "::");
	expect_cidr("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff/63", 6, 63, "2001:db8:ffff:fffe::");
	expect_cidr("2001:db8:ffff:ffff::/33", 6, 33, "2001:db8:8000::");
	expect_cidr("::ffff:1.2.3.4", 6, 128, "::ffff:1.2.3.4");
	expect_cidr("any", 0, 0, NULL);
}

static void
test_parse_cidr_invalid(void **state)
{
	static const char *const bad[] = {
		"", "/8", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/08", "10.0.0.0/-1",
		"10.0.0.0/+8", "10.0.0.0/ 8", "10.0.0.0/8 ", " 10.0.0.0/8", "10.0.0.0/8/8",
		"10.0.0.0//8", "10.0.0", "10.0.0.256", "010.0.0.0/8", "1.2.3.4/32x",
		"1.2.3.4/4294967304", "2001:db8::/129", "2001:db8::/1000", "2001:db8:::/32",
		"fe80::1%eth0", "any/0", "ANY", "anything", "0x0a000000/8", "10.0.0.0/8\n",
		"1111:2222:3333:4444:5555:6666:7777:8888:9999/64",
		"1111:2222:3333:4444:5555:6666:255.255.255.255/128x",
	};
	struct sl_policy_cidr c, sentinel;
	char longs[512];

	(void)state;
	memset(&sentinel, 0x5a, sizeof(sentinel));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		c = sentinel;
		if (sl_policy_parse_cidr(bad[i], &c) != -EINVAL)
			fail_msg("\"%s\" accepted", bad[i]);
		assert_memory_equal(&c, &sentinel, sizeof(c)); /* untouched */
	}
	memset(longs, '1', sizeof(longs) - 1);
	longs[sizeof(longs) - 1] = '\0';
	assert_int_equal(sl_policy_parse_cidr(longs, &c), -EINVAL);
	/* Every truncation of a valid string is valid or rejected, never read past. */
	const char *full = "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff/63";
	for (size_t len = 0; len <= strlen(full); len++) {
		char *cut = strndup(full, len);

		assert_non_null(cut);
		int rc = sl_policy_parse_cidr(cut, &c);
		assert_true(rc == 0 || rc == -EINVAL);
		free(cut);
	}
	assert_int_equal(sl_policy_parse_cidr(NULL, &c), -EINVAL);
	assert_int_equal(sl_policy_parse_cidr("any", NULL), -EINVAL);
}

/* ---- priority and addresses ------------------------------------------- */

static void
test_priority_first_wins(void **state)
{
	struct sl_policy_match r[4];
	struct sl_policy_flow f;
	struct sl_policy *p;

	(void)state;
	/* A broad rule before a specific one still wins. */
	r[0] = rule("10.0.0.0/8", "any");
	r[1] = rule("10.1.0.0/16", "192.168.0.0/16");
	r[1].dport_lo = r[1].dport_hi = 80;
	r[1].proto = 6;
	r[2] = rule("10.1.2.3", "192.168.1.1");
	r[3] = rule("any", "any");
	p = build(r, 4);
	f = flow("10.1.2.3", 1234, "192.168.1.1", 80, 6);
	assert_int_equal(sl_policy_classify(p, &f), 0);
	f = flow("172.16.0.1", 1234, "192.168.1.1", 80, 6);
	assert_int_equal(sl_policy_classify(p, &f), 3);
	f = flow("2001:db8::1", 1, "2001:db8::2", 2, 17);
	assert_int_equal(sl_policy_classify(p, &f), 3);
	sl_policy_free(p);

	/* Most specific first: it wins where it matches, the rest fall through. */
	struct sl_policy_match s[3] = { r[2], r[1], r[0] };
	/* The caller's array is copied: changing it afterwards has no effect. */
	p = build(s, 3);
	memset(s, 0, sizeof(s));
	f = flow("10.1.2.3", 1234, "192.168.1.1", 80, 6);
	assert_int_equal(sl_policy_classify(p, &f), 0);
	f = flow("10.1.2.4", 1234, "192.168.1.1", 80, 6);
	assert_int_equal(sl_policy_classify(p, &f), 1);
	f = flow("10.1.2.4", 1234, "192.168.1.1", 81, 6);
	assert_int_equal(sl_policy_classify(p, &f), 2);
	f = flow("10.1.2.4", 1234, "192.168.1.1", 80, 17);
	assert_int_equal(sl_policy_classify(p, &f), 2);
	f = flow("11.1.2.4", 1234, "192.168.1.1", 80, 6);
	assert_int_equal(sl_policy_classify(p, &f), -1);
	sl_policy_free(p);

	/* Identical rules: the first one. */
	struct sl_policy_match d[3] = { rule("any", "any"), rule("any", "any"),
					rule("any", "any") };
	p = build(d, 3);
	f = flow("1.1.1.1", 1, "2.2.2.2", 2, 6);
	assert_int_equal(sl_policy_classify(p, &f), 0);
	sl_policy_free(p);
}

static void
test_overlapping_cidrs(void **state)
{
	struct sl_policy_match r[4] = {
		rule("10.1.2.0/24", "any"),
		rule("10.1.0.0/16", "any"),
		rule("10.0.0.0/8", "any"),
		rule("10.1.2.128/25", "any"), /* shadowed by rule 0 */
	};
	static const struct {
		const char *a;
		int32_t want;
	} c[] = {
		{ "10.1.2.0", 0 }, { "10.1.2.255", 0 }, { "10.1.2.200", 0 },
		{ "10.1.1.255", 1 }, { "10.1.3.0", 1 }, { "10.1.0.0", 1 }, { "10.1.255.255", 1 },
		{ "10.0.255.255", 2 }, { "10.2.0.0", 2 }, { "10.255.255.255", 2 },
		{ "9.255.255.255", -1 }, { "11.0.0.0", -1 },
	};
	struct sl_policy *p = build(r, 4);

	(void)state;
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		/* "1.1.1.1" is outside every rule: only c[i].a can match, as src or dst. */
		struct sl_policy_flow f = flow(c[i].a, 1000, "1.1.1.1", 2000, 6);

		if (sl_policy_classify(p, &f) != c[i].want)
			fail_msg("%s: got %d want %d", c[i].a, sl_policy_classify(p, &f),
				 c[i].want);
	}
	sl_policy_free(p);
}

struct addr_case {
	const char *a;
	int32_t want;
};

static void
check_addrs(const struct sl_policy *p, const struct addr_case *c, size_t n, const char *other)
{
	for (size_t i = 0; i < n; i++) {
		struct sl_policy_flow f = flow(c[i].a, 1000, other, 2000, 17);
		int32_t got = sl_policy_classify(p, &f);

		if (got != c[i].want)
			fail_msg("%s: got %d want %d", c[i].a, got, c[i].want);
	}
}

static void
test_v4_prefixes(void **state)
{
	/* dst pins the flow's other end so that only the src side can match. */
	struct sl_policy_match r[4] = {
		rule("192.0.2.7/32", "198.51.100.0/24"),
		rule("10.0.128.0/17", "198.51.100.0/24"),
		rule("172.16.0.0/12", "198.51.100.0/24"),
		rule("0.0.0.0/0", "203.0.113.1/32"),
	};
	static const struct addr_case c[] = {
		{ "192.0.2.7", 0 }, { "192.0.2.6", -1 }, { "192.0.2.8", -1 },
		{ "10.0.128.0", 1 }, { "10.0.255.255", 1 }, { "10.0.200.1", 1 },
		{ "10.0.127.255", -1 }, { "10.1.0.0", -1 }, { "10.0.0.0", -1 },
		{ "172.16.0.0", 2 }, { "172.31.255.255", 2 }, { "172.15.255.255", -1 },
		{ "172.32.0.0", -1 },
	};
	static const struct addr_case any[] = {
		{ "0.0.0.0", 3 }, { "255.255.255.255", 3 }, { "192.0.2.7", 3 },
	};
	struct sl_policy *p = build(r, 4);

	(void)state;
	check_addrs(p, c, sizeof(c) / sizeof(c[0]), "198.51.100.9");
	check_addrs(p, any, sizeof(any) / sizeof(any[0]), "203.0.113.1");
	struct sl_policy_flow f = flow("1.2.3.4", 1, "203.0.113.2", 2, 6);
	assert_int_equal(sl_policy_classify(p, &f), -1);
	f = flow("1.2.3.4", 1, "203.0.113.0", 2, 6);
	assert_int_equal(sl_policy_classify(p, &f), -1);
	sl_policy_free(p);
}

static void
test_v6_prefixes(void **state)
{
	struct sl_policy_match r[6] = {
		rule("2001:db8::1/128", "2001:db8:ffff::/48"),
		rule("2001:db8:0:2::/63", "2001:db8:ffff::/48"),
		rule("2001:db8:8000::/33", "2001:db8:ffff::/48"),
		rule("2001:db9::100:0:0/97", "2001:db8:ffff::/48"),
		rule("2001:dba::/32", "2001:db8:ffff::/48"),
		rule("::/0", "3fff::1/128"),
	};
	static const struct addr_case c[] = {
		{ "2001:db8::1", 0 }, { "2001:db8::", -1 }, { "2001:db8::2", -1 },
		{ "2001:db8:0:2::", 1 }, { "2001:db8:0:3:ffff:ffff:ffff:ffff", 1 },
		{ "2001:db8:0:1:ffff:ffff:ffff:ffff", -1 }, { "2001:db8:0:4::", -1 },
		{ "2001:db8:8000::", 2 }, { "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", 2 },
		{ "2001:db8:7fff:ffff:ffff:ffff:ffff:ffff", -1 },
		{ "2001:db9::100:0:0", 3 }, { "2001:db9::100:7fff:ffff", 3 },
		{ "2001:db9::100:8000:0", -1 }, { "2001:db9::ff:ffff:ffff", -1 },
		{ "2001:dba::", 4 }, { "2001:dba:ffff:ffff:ffff:ffff:ffff:ffff", 4 },
		{ "2001:db9:ffff:ffff:ffff:ffff:ffff:ffff", -1 }, { "2001:dbb::", -1 },
	};
	static const struct addr_case any[] = {
		{ "::", 5 }, { "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 5 }, { "2001:db8::1", 5 },
	};
	struct sl_policy *p = build(r, 6);

	(void)state;
	check_addrs(p, c, sizeof(c) / sizeof(c[0]), "2001:db8:ffff::9");
	check_addrs(p, any, sizeof(any) / sizeof(any[0]), "3fff::1");
	struct sl_policy_flow f = flow("1::1", 1, "3fff::2", 2, 6);
	assert_int_equal(sl_policy_classify(p, &f), -1);
	f = flow("1::1", 1, "3fff::", 2, 6);
	assert_int_equal(sl_policy_classify(p, &f), -1);
	sl_policy_free(p);
}

/* ---- ports, protocol, VLAN, input ------------------------------------- */

static void
test_port_ranges(void **state)
{
	/* src/dst pinned so the reversed flow cannot match. */
	struct sl_policy_match r[4] = {
		rule("10.0.0.0/8", "192.168.0.0/16"), rule("10.0.0.0/8", "192.168.0.0/16"),
		rule("10.0.0.0/8", "192.168.0.0/16"), rule("10.0.0.0/8", "192.168.0.0/16"),
	};
	struct sl_policy *p;

	(void)state;
	r[0].dport_lo = 1000, r[0].dport_hi = 2000;
	r[1].sport_lo = 3000, r[1].sport_hi = 3000;
	r[2].sport_lo = 0, r[2].sport_hi = 0;
	r[2].dport_lo = 65535, r[2].dport_hi = 65535;
	r[3].dport_lo = 60000; /* hi 65535 */
	p = build(r, 4);
	static const struct {
		uint16_t sport, dport;
		int32_t want;
	} c[] = {
		{ 5, 999, -1 }, { 5, 1000, 0 }, { 5, 1500, 0 }, { 5, 2000, 0 }, { 5, 2001, -1 },
		{ 2999, 5, -1 }, { 3000, 5, 1 }, { 3001, 5, -1 }, { 3000, 1000, 0 },
		{ 0, 65535, 2 }, { 1, 65535, 3 }, { 0, 65534, 3 }, { 0, 59999, -1 },
		{ 0, 60000, 3 }, { 65535, 0, -1 },
	};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct sl_policy_flow f = flow("10.1.1.1", c[i].sport, "192.168.1.1", c[i].dport, 6);
		int32_t got = sl_policy_classify(p, &f);

		if (got != c[i].want)
			fail_msg("%u->%u: got %d want %d", c[i].sport, c[i].dport, got, c[i].want);
	}
	sl_policy_free(p);
}

static void
test_proto(void **state)
{
	struct sl_policy_match r[4] = {
		rule("any", "any"), rule("any", "any"), rule("any", "any"), rule("any", "any"),
	};
	struct sl_policy *p;

	(void)state;
	r[0].proto = 6;
	r[1].proto = 0;
	r[2].proto = 255;
	r[3].proto = -1;
	p = build(r, 4);
	static const struct {
		uint8_t proto;
		int32_t want;
	} c[] = { { 6, 0 }, { 0, 1 }, { 255, 2 }, { 17, 3 }, { 7, 3 }, { 254, 3 }, { 1, 3 } };
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct sl_policy_flow f4 = flow("1.1.1.1", 1, "2.2.2.2", 2, c[i].proto);
		struct sl_policy_flow f6 = flow("1::1", 1, "2::2", 2, c[i].proto);

		assert_int_equal(sl_policy_classify(p, &f4), c[i].want);
		assert_int_equal(sl_policy_classify(p, &f6), c[i].want);
	}
	sl_policy_free(p);
	/* Without the catch-all, other protocols do not match. */
	p = build(r, 3);
	struct sl_policy_flow f = flow("1.1.1.1", 1, "2.2.2.2", 2, 17);
	assert_int_equal(sl_policy_classify(p, &f), -1);
	sl_policy_free(p);
}

static void
test_vlan(void **state)
{
	struct sl_policy_match r[3] = { rule("any", "any"), rule("any", "any"),
					rule("any", "any") };
	struct sl_policy *p;

	(void)state;
	r[0].vlan_lo = 100, r[0].vlan_hi = 200;
	r[1].vlan_lo = r[1].vlan_hi = SL_POLICY_ANY_VLAN_HI; /* untagged only */
	r[2].vlan_lo = 0, r[2].vlan_hi = 0;
	p = build(r, 3);
	static const struct {
		uint16_t vlan;
		int32_t want;
	} c[] = { { 99, -1 }, { 100, 0 }, { 150, 0 }, { 200, 0 }, { 201, -1 },
		  { 4096, 1 }, { 4095, -1 }, { 0, 2 }, { 1, -1 } };
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct sl_policy_flow f = flow("1.1.1.1", 1, "2.2.2.2", 2, 6);
		struct sl_policy_flow g = flow("1::1", 1, "2::2", 2, 6);

		f.vlan = g.vlan = c[i].vlan;
		assert_int_equal(sl_policy_classify(p, &f), c[i].want);
		assert_int_equal(sl_policy_classify(p, &g), c[i].want);
	}
	sl_policy_free(p);
	/* The default range (0..4096) includes untagged and every tag. */
	struct sl_policy_match any = rule("any", "any");
	p = build(&any, 1);
	for (uint32_t v = 0; v <= SL_POLICY_ANY_VLAN_HI; v += 1 + v / 2) {
		struct sl_policy_flow f = flow("1.1.1.1", 1, "2.2.2.2", 2, 6);

		f.vlan = (uint16_t)v;
		assert_int_equal(sl_policy_classify(p, &f), 0);
	}
	struct sl_policy_flow f = flow("1.1.1.1", 1, "2.2.2.2", 2, 6);
	f.vlan = SL_POLICY_ANY_VLAN_HI;
	assert_int_equal(sl_policy_classify(p, &f), 0);
	sl_policy_free(p);
}

static void
test_input(void **state)
{
	struct sl_policy_match r[2] = { rule("any", "any"), rule("any", "any") };
	struct sl_policy *p;

	(void)state;
	r[0].input_lo = 3, r[0].input_hi = 5;
	r[1].input_lo = r[1].input_hi = 65535;
	p = build(r, 2);
	static const struct {
		uint16_t input;
		int32_t want;
	} c[] = { { 2, -1 }, { 3, 0 }, { 4, 0 }, { 5, 0 }, { 6, -1 }, { 0, -1 },
		  { 65535, 1 }, { 65534, -1 } };
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct sl_policy_flow f = flow("1.1.1.1", 1, "2.2.2.2", 2, 6);
		struct sl_policy_flow g = flow("1::1", 1, "2::2", 2, 6);

		f.input = g.input = c[i].input;
		assert_int_equal(sl_policy_classify(p, &f), c[i].want);
		assert_int_equal(sl_policy_classify(p, &g), c[i].want);
	}
	sl_policy_free(p);
}

/* ---- direction, families ---------------------------------------------- */

static void
test_either_direction(void **state)
{
	struct sl_policy_match r[2] = { rule("10.0.0.1", "10.0.0.2"),
					rule("2001:db8::a", "2001:db8::b") };
	struct sl_policy *p;
	struct sl_policy_flow f;

	(void)state;
	r[0].dport_lo = r[0].dport_hi = 80;
	r[0].proto = 6;
	r[1].dport_lo = r[1].dport_hi = 443;
	p = build(r, 2);
	f = flow("10.0.0.1", 1234, "10.0.0.2", 80, 6); /* A:1234 -> B:80 */
	assert_int_equal(sl_policy_classify(p, &f), 0);
	f = flow("10.0.0.2", 80, "10.0.0.1", 1234, 6); /* the reply B:80 -> A:1234 */
	assert_int_equal(sl_policy_classify(p, &f), 0);
	f = flow("10.0.0.2", 1234, "10.0.0.1", 80, 6); /* B:1234 -> A:80: port on the wrong side */
	assert_int_equal(sl_policy_classify(p, &f), -1);
	f = flow("10.0.0.1", 80, "10.0.0.2", 1234, 6); /* A:80 -> B:1234 */
	assert_int_equal(sl_policy_classify(p, &f), -1);
	f = flow("10.0.0.1", 1234, "10.0.0.3", 80, 6);
	assert_int_equal(sl_policy_classify(p, &f), -1);
	f = flow("2001:db8::b", 443, "2001:db8::a", 5000, 17);
	assert_int_equal(sl_policy_classify(p, &f), 1);
	f = flow("2001:db8::a", 5000, "2001:db8::b", 443, 17);
	assert_int_equal(sl_policy_classify(p, &f), 1);
	f = flow("2001:db8::b", 5000, "2001:db8::a", 443, 17);
	assert_int_equal(sl_policy_classify(p, &f), -1);
	sl_policy_free(p);

	/* A flow matching rule 1 forwards and rule 0 reversed gets rule 0. */
	struct sl_policy_match s[2] = { rule("10.0.0.2", "10.0.0.1"), rule("10.0.0.1", "10.0.0.2") };
	p = build(s, 2);
	f = flow("10.0.0.1", 1, "10.0.0.2", 2, 6);
	assert_int_equal(sl_policy_classify(p, &f), 0);
	sl_policy_free(p);
}

static void
test_family_separation(void **state)
{
	struct sl_policy_match r[4] = {
		rule("0.0.0.0/0", "0.0.0.0/0"),
		rule("::/0", "any"),
		rule("any", "any"),
		rule("any", "10.0.0.0/8"),
	};
	struct sl_policy *p;
	struct sl_policy_flow f;

	(void)state;
	r[0].proto = 6;
	r[1].proto = 6;
	p = build(r, 4);
	f = flow("1.1.1.1", 1, "2.2.2.2", 2, 6);
	assert_int_equal(sl_policy_classify(p, &f), 0);
	f = flow("1::1", 1, "2::2", 2, 6);
	assert_int_equal(sl_policy_classify(p, &f), 1);
	f = flow("1.1.1.1", 1, "2.2.2.2", 2, 17);
	assert_int_equal(sl_policy_classify(p, &f), 2);
	f = flow("1::1", 1, "2::2", 2, 17);
	assert_int_equal(sl_policy_classify(p, &f), 2);
	f.family = 5; /* neither */
	assert_int_equal(sl_policy_classify(p, &f), -1);
	f.family = 0;
	assert_int_equal(sl_policy_classify(p, &f), -1);
	sl_policy_free(p);

	/* Only IPv4 rules: IPv6 flows never match, and the reverse. The
	 * IPv6 flow's address bytes equal the IPv4 rule's addresses. */
	p = build(&r[0], 1);
	f = flow("::", 1, "::", 2, 6);
	assert_int_equal(sl_policy_classify(p, &f), -1);
	sl_policy_free(p);
	p = build(&r[3], 1);
	f = flow("10::", 1, "10::", 2, 6);
	memset(f.src, 0, 16);
	f.dst[0] = 10, f.dst[1] = 0;
	assert_int_equal(sl_policy_classify(p, &f), -1);
	f = flow("1.1.1.1", 1, "10.2.3.4", 2, 6);
	assert_int_equal(sl_policy_classify(p, &f), 0);
	sl_policy_free(p);
	p = build(&r[1], 1);
	f = flow("1.1.1.1", 1, "2.2.2.2", 2, 6);
	assert_int_equal(sl_policy_classify(p, &f), -1);
	sl_policy_free(p);
}

/* ---- limits and errors ------------------------------------------------ */

static void
test_empty_policy(void **state)
{
	struct sl_policy *p = NULL;
	char err[ERRLEN];
	struct sl_policy_flow f4 = flow("1.1.1.1", 1, "2.2.2.2", 2, 6);
	struct sl_policy_flow f6 = flow("1::1", 1, "2::2", 2, 6);

	(void)state;
	assert_int_equal(sl_policy_create("ut_empty", 0, NULL, 0, 0, 0, &p, err, sizeof(err)), 0);
	assert_non_null(p);
	assert_int_equal(sl_policy_rule_count(p), 0);
	assert_int_equal(sl_policy_memory(p), 0);
	assert_int_equal(sl_policy_classify(p, &f4), -1);
	assert_int_equal(sl_policy_classify(p, &f6), -1);
	sl_policy_free(p);
	sl_policy_free(NULL);
	assert_int_equal(sl_policy_memory(NULL), 0);
	assert_int_equal(sl_policy_rule_count(NULL), 0);
}

static void
test_max_rules(void **state)
{
	struct sl_policy_match r[11];
	struct sl_policy *p = NULL;
	char err[ERRLEN];

	(void)state;
	for (int i = 0; i < 11; i++)
		r[i] = rule("any", "any");
	expect_create_fail(r, 11, 10, 0, -E2BIG, "limit of 10");
	expect_create_fail(r, 1, 0, 0, -E2BIG, "limit of 0");
	assert_int_equal(sl_policy_create("ut_max", 0, r, 10, 10, 0, &p, err, sizeof(err)), 0);
	assert_int_equal(sl_policy_rule_count(p), 10);
	sl_policy_free(p);
}

static uint64_t rng_state;

static uint64_t
rng(void)
{
	/* xorshift64*: reproducible, independent of DPDK's generator. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static uint32_t
rnd(uint32_t n)
{
	return (uint32_t)(rng() % n);
}

static void gen_rules(struct sl_policy_match *r, uint32_t n);
static void gen_flow_near(const struct sl_policy_match *m, struct sl_policy_flow *f);

static void
test_max_mem(void **state)
{
	struct sl_policy_match *r = calloc(200, sizeof(*r));
	struct rte_malloc_socket_stats before, after;
	struct sl_policy *p = NULL;
	char err[ERRLEN];

	(void)state;
	assert_non_null(r);
	rng_state = PROP_SEED ^ 1;
	gen_rules(r, 200);
	assert_int_equal(rte_malloc_get_socket_stats(0, &before), 0);
	expect_create_fail(r, 200, 200, 4096, -ENOMEM, "memory limit exceeded");
	/* A failed build leaves nothing behind. */
	assert_int_equal(rte_malloc_get_socket_stats(0, &after), 0);
	assert_int_equal(after.heap_allocsz_bytes, before.heap_allocsz_bytes);
	/* The same name is free again. */
	assert_int_equal(sl_policy_create("ut_fail", 0, r, 200, 200, 0, &p, err, sizeof(err)), 0);
	/* A limit above what it needs is fine. With a limit, rte_acl builds
	 * larger tries (the mode sl_policy_create() falls back to when an
	 * unlimited build needs more than 8 tries): same verdicts. */
	assert_true(sl_policy_memory(p) > 0);
	struct sl_policy *q = NULL;
	assert_int_equal(sl_policy_create("ut_mem_ok", 0, r, 200, 200,
					  64 * sl_policy_memory(p), &q, err, sizeof(err)), 0);
	for (uint32_t i = 0; i < 4000; i++) {
		struct sl_policy_flow f;

		gen_flow_near(&r[rnd(200)], &f);
		int32_t want = ref_classify(r, 200, &f);
		assert_int_equal(sl_policy_classify(p, &f), want);
		assert_int_equal(sl_policy_classify(q, &f), want);
	}
	sl_policy_free(q);
	sl_policy_free(p);
	free(r);
}

static void
test_bad_args(void **state)
{
	struct sl_policy_match r[3] = { rule("any", "any"), rule("any", "any"),
					rule("any", "any") };
	struct sl_policy *p = NULL, *q = NULL;
	char err[ERRLEN];

	(void)state;
	/* Mixed families, named by rule index. */
	r[1] = rule("10.0.0.0/8", "2001:db8::/32");
	expect_create_fail(r, 3, 3, 0, -EINVAL, "rule 1: src is IPv4 but dst is IPv6");
	r[1] = rule("any", "any");
	r[2].src.family = 5;
	expect_create_fail(r, 3, 3, 0, -EINVAL, "rule 2: src family 5");
	r[2] = rule("any", "10.0.0.0/8");
	r[2].dst.prefix = 33;
	expect_create_fail(r, 3, 3, 0, -EINVAL, "rule 2: dst prefix /33");
	r[2] = rule("2001:db8::/32", "any");
	r[2].src.prefix = 129;
	expect_create_fail(r, 3, 3, 0, -EINVAL, "rule 2: src prefix /129");
	r[2] = rule("any", "any");
	r[2].src.prefix = 8; /* family 0 with a prefix */
	expect_create_fail(r, 3, 3, 0, -EINVAL, "rule 2: src is any address");
	r[2] = rule("any", "any");
	r[0].sport_lo = 10, r[0].sport_hi = 9;
	expect_create_fail(r, 3, 3, 0, -EINVAL, "rule 0: sport range");
	r[0] = rule("any", "any");
	r[0].dport_lo = 10, r[0].dport_hi = 9;
	expect_create_fail(r, 3, 3, 0, -EINVAL, "rule 0: dport range");
	r[0] = rule("any", "any");
	r[0].input_lo = 10, r[0].input_hi = 9;
	expect_create_fail(r, 3, 3, 0, -EINVAL, "rule 0: input range");
	r[0] = rule("any", "any");
	r[0].vlan_lo = 10, r[0].vlan_hi = 9;
	expect_create_fail(r, 3, 3, 0, -EINVAL, "rule 0: vlan range");
	r[0] = rule("any", "any");
	r[0].vlan_hi = 4097;
	expect_create_fail(r, 3, 3, 0, -EINVAL, "rule 0: vlan 4097");
	r[0] = rule("any", "any");
	r[0].proto = 256;
	expect_create_fail(r, 3, 3, 0, -EINVAL, "rule 0: proto 256");
	r[0].proto = -2;
	expect_create_fail(r, 3, 3, 0, -EINVAL, "rule 0: proto -2");
	r[0] = rule("any", "any");
	/* Names, pointers. */
	assert_int_equal(sl_policy_create(NULL, 0, r, 3, 3, 0, &p, err, sizeof(err)), -EINVAL);
	assert_int_equal(sl_policy_create("", 0, r, 3, 3, 0, &p, err, sizeof(err)), -EINVAL);
	assert_int_equal(sl_policy_create("a23456789012345678901", 0, r, 3, 3, 0, &p, err,
					  sizeof(err)), -EINVAL);
	assert_int_equal(sl_policy_create("ut_args", 0, r, 3, 3, 0, NULL, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(sl_policy_create("ut_args", 0, NULL, 3, 3, 0, &p, err, sizeof(err)),
			 -EINVAL);
	assert_null(p);
	/* NULL err buffer is fine. */
	assert_int_equal(sl_policy_create("ut_args", 0, NULL, 3, 3, 0, &p, NULL, 0), -EINVAL);
	/* A 20-character name, then a duplicate. */
	assert_int_equal(sl_policy_create("a2345678901234567890", 0, r, 3, 3, 0, &p, err,
					  sizeof(err)), 0);
	assert_int_equal(sl_policy_create("a2345678901234567890", 0, r, 3, 3, 0, &q, err,
					  sizeof(err)), -EEXIST);
	assert_null(q);
	assert_non_null(strstr(err, "already exists"));
	/* Truncated message buffer. */
	char small[8];
	assert_int_equal(sl_policy_create("a2345678901234567890", 0, r, 3, 3, 0, &q, small,
					  sizeof(small)), -EEXIST);
	assert_int_equal(strlen(small), sizeof(small) - 1);
	sl_policy_free(p);
	assert_int_equal(sl_policy_create("a2345678901234567890", 0, r, 3, 3, 0, &q, err,
					  sizeof(err)), 0);
	sl_policy_free(q);
}

/* ---- property test ---------------------------------------------------- */

/* Address pools small enough that random rules and flows overlap. */
static void
rand_addr(uint8_t family, uint8_t *a)
{
	memset(a, 0, 16);
	if (family == 4) {
		a[0] = 10;
		a[1] = (uint8_t)rnd(4);
		a[2] = (uint8_t)(rnd(4) == 0 ? rnd(256) : rnd(4));
		a[3] = (uint8_t)rnd(256);
	} else {
		a[0] = 0x20, a[1] = 0x01, a[2] = 0x0d, a[3] = 0xb8;
		a[4] = (uint8_t)rnd(2);
		a[7] = (uint8_t)rnd(4);
		a[8] = (uint8_t)(rnd(4) == 0 ? rnd(256) : rnd(2));
		a[12] = (uint8_t)rnd(3);
		a[15] = (uint8_t)rnd(256);
	}
}

static void
rand_cidr(uint8_t family, struct sl_policy_cidr *c)
{
	static const uint8_t p4[] = { 8, 12, 16, 17, 23, 24, 30, 31, 32 };
	static const uint8_t p6[] = { 0, 32, 33, 48, 63, 64, 65, 96, 97, 120, 127, 128 };

	memset(c, 0, sizeof(*c));
	if (rnd(10) == 0)
		return; /* any */
	c->family = family;
	rand_addr(family, c->addr);
	if (family == 4)
		c->prefix = rnd(4) == 0 ? (uint8_t)rnd(33) : p4[rnd(sizeof(p4))];
	else
		c->prefix = rnd(4) == 0 ? (uint8_t)rnd(129) : p6[rnd(sizeof(p6))];
	/* Host bits are left set on purpose: the policy must ignore them. */
}

static const uint16_t port_pool[] = { 0, 1, 53, 79, 80, 81, 443, 1023, 1024, 8080, 65534, 65535 };

static uint16_t
rand_port(void)
{
	return rnd(4) == 0 ? (uint16_t)rnd(65536) : port_pool[rnd(RTE_DIM(port_pool))];
}

/* lo and lo + up to span - 1, capped at max. */
static void
rand_span(uint16_t *lo, uint16_t *hi, uint16_t first, uint32_t span, uint16_t max)
{
	*lo = first;
	*hi = (uint16_t)RTE_MIN((uint32_t)max, (uint32_t)first + rnd(span));
}

static void
rand_ports(uint16_t *lo, uint16_t *hi)
{
	switch (rnd(10)) {
	case 0:
		*lo = 0, *hi = UINT16_MAX;
		break;
	case 1:
		*lo = 1024, *hi = UINT16_MAX;
		break;
	case 2:
		*lo = 0, *hi = 1023;
		break;
	case 3:
	case 4:
	case 5:
		rand_span(lo, hi, rand_port(), 2000, UINT16_MAX);
		break;
	default:
		*lo = *hi = rand_port();
	}
}

static uint16_t
rand_vlan(void)
{
	return rnd(8) == 0 ? SL_POLICY_ANY_VLAN_HI : (uint16_t)(rnd(4) == 0 ? rnd(4096) : rnd(8));
}

static uint16_t
rand_input(void)
{
	return (uint16_t)(rnd(8) == 0 ? rnd(65536) : rnd(6));
}

static const uint8_t proto_pool[] = { 0, 1, 6, 17, 58, 255 };

static void
gen_rules(struct sl_policy_match *r, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		struct sl_policy_match *m = &r[i];
		uint32_t k = rnd(20);
		uint8_t family = k < 10 ? 4 : k < 19 ? 6 : 0;

		sl_policy_match_any(m);
		if (family != 0) {
			rand_cidr(family, &m->src);
			rand_cidr(family, &m->dst);
		}
		rand_ports(&m->sport_lo, &m->sport_hi);
		rand_ports(&m->dport_lo, &m->dport_hi);
		if (rnd(4) != 0)
			m->proto = proto_pool[rnd(RTE_DIM(proto_pool))];
		if (rnd(3) != 0)
			rand_span(&m->vlan_lo, &m->vlan_hi, rand_vlan(), 4, SL_POLICY_ANY_VLAN_HI);
		if (rnd(3) != 0)
			rand_span(&m->input_lo, &m->input_hi, rand_input(), 3, UINT16_MAX);
	}
}

static void
gen_flow(struct sl_policy_flow *f)
{
	memset(f, 0, sizeof(*f));
	f->family = rnd(2) == 0 ? 4 : 6;
	rand_addr(f->family, f->src);
	rand_addr(f->family, f->dst);
	f->sport = rand_port();
	f->dport = rand_port();
	f->proto = rnd(4) == 0 ? (uint8_t)rnd(256) : proto_pool[rnd(RTE_DIM(proto_pool))];
	f->vlan = rand_vlan();
	f->input = rand_input();
}

/* A value at or next to the edges of [lo, hi], or inside it; at most max. */
static uint16_t
near_range(uint16_t lo, uint16_t hi, uint16_t max)
{
	uint32_t v;

	switch (rnd(6)) {
	case 0:
		v = lo == 0 ? 0 : lo - 1u;
		break;
	case 1:
		v = lo;
		break;
	case 2:
		v = hi;
		break;
	case 3:
		v = hi == max ? hi : hi + 1u;
		break;
	default:
		v = lo + rnd((uint32_t)(hi - lo) + 1);
	}
	return (uint16_t)v;
}

/* An address inside c, or (1 time in 4) just outside: the last prefix bit flipped. */
static void
near_cidr(const struct sl_policy_cidr *c, uint8_t family, uint8_t *a)
{
	if (c->family == 0) {
		rand_addr(family, a);
		return;
	}
	rand_addr(family, a); /* random host bits */
	for (unsigned int bit = 0; bit < c->prefix; bit++) {
		uint8_t mask = (uint8_t)(0x80u >> (bit % 8));

		a[bit / 8] = (uint8_t)((a[bit / 8] & ~mask) | (c->addr[bit / 8] & mask));
	}
	if (c->prefix > 0 && rnd(4) == 0)
		a[(c->prefix - 1) / 8] ^= (uint8_t)(0x80u >> ((c->prefix - 1) % 8));
}

/* A flow aimed at rule m: each field at or near its edges, maybe reversed. */
static void
gen_flow_near(const struct sl_policy_match *m, struct sl_policy_flow *f)
{
	uint8_t fam = m->src.family | m->dst.family;

	memset(f, 0, sizeof(*f));
	f->family = fam != 0 ? fam : (rnd(2) == 0 ? 4 : 6);
	near_cidr(&m->src, f->family, f->src);
	near_cidr(&m->dst, f->family, f->dst);
	f->sport = near_range(m->sport_lo, m->sport_hi, UINT16_MAX);
	f->dport = near_range(m->dport_lo, m->dport_hi, UINT16_MAX);
	f->proto = m->proto >= 0 && rnd(4) != 0 ? (uint8_t)m->proto : (uint8_t)rnd(256);
	f->vlan = near_range(m->vlan_lo, m->vlan_hi, SL_POLICY_ANY_VLAN_HI);
	f->input = near_range(m->input_lo, m->input_hi, UINT16_MAX);
	if (rnd(2) == 0)
		*f = reverse(f);
}

static struct sl_policy_match *prop_rules;
static struct sl_policy *prop_policy;

static void
test_random_property(void **state)
{
	uint32_t hits = 0, v4 = 0, v6 = 0;
	char err[ERRLEN];

	(void)state;
	rng_state = PROP_SEED;
	prop_rules = calloc(PROP_RULES, sizeof(*prop_rules));
	assert_non_null(prop_rules);
	gen_rules(prop_rules, PROP_RULES);
	for (uint32_t i = 0; i < PROP_RULES; i++) {
		uint8_t fam = prop_rules[i].src.family | prop_rules[i].dst.family;

		v4 += fam != 6;
		v6 += fam != 4;
	}
	assert_int_equal(sl_policy_create("ut_prop", 0, prop_rules, PROP_RULES, PROP_RULES, 0,
					  &prop_policy, err, sizeof(err)), 0);
	print_message("# %u rules (%u in IPv4, %u in IPv6 context): sl_policy_memory %zu bytes\n",
		      PROP_RULES, v4, v6, sl_policy_memory(prop_policy));
	assert_true(sl_policy_memory(prop_policy) > 0);
	uint8_t *seen = calloc(PROP_RULES, 1);
	uint32_t distinct = 0;
	assert_non_null(seen);
	for (uint32_t i = 0; i < PROP_FLOWS; i++) {
		struct sl_policy_flow f, r;

		/* Half purely random, half aimed at the edges of a random rule. */
		if (i % 2 == 0)
			gen_flow(&f);
		else
			gen_flow_near(&prop_rules[rnd(PROP_RULES)], &f);
		int32_t want = ref_classify(prop_rules, PROP_RULES, &f);
		int32_t got = sl_policy_classify(prop_policy, &f);

		if (got != want)
			fail_msg("flow %u (IPv%u proto %u %u->%u vlan %u input %u): got %d want %d",
				 i, f.family, f.proto, f.sport, f.dport, f.vlan, f.input, got, want);
		/* Symmetry: a flow and its reverse agree. */
		r = reverse(&f);
		assert_int_equal(sl_policy_classify(prop_policy, &r), got);
		if (got >= 0) {
			hits += i % 2 == 0;
			distinct += !seen[got];
			seen[got] = 1;
		}
	}
	free(seen);
	print_message("# %u of %u random flows matched a rule; %u distinct rules won\n", hits,
		      PROP_FLOWS / 2, distinct);
	/* The generator must exercise both outcomes and reach deep into the list. */
	assert_true(hits > PROP_FLOWS / 20);
	assert_true(hits < PROP_FLOWS / 2 - PROP_FLOWS / 20);
	assert_true(distinct > PROP_RULES / 2);
}

/* Arbitrary, unrelated ranges on every range field: the worst case for
 * rte_acl's tries (each rule's ranges cut through the others'), so the rules
 * are spread over several tries. 100 such rules take ~15 MB; from ~180 on,
 * rte_acl's default small tries need more than its 8 tries and the policy
 * is rebuilt with large ones (>100 MB, seconds: too heavy for this suite). */
static uint16_t
any_u16(void)
{
	return (uint16_t)rnd(65536);
}

static uint16_t
any_vlan(void)
{
	return (uint16_t)rnd(SL_POLICY_ANY_VLAN_HI + 1);
}

static void
rand_pair(uint16_t *lo, uint16_t *hi, uint16_t (*gen)(void))
{
	uint16_t a = gen(), b = gen();

	*lo = RTE_MIN(a, b);
	*hi = RTE_MAX(a, b);
}

static void
test_diverse_ranges(void **state)
{
	struct sl_policy_match *r = calloc(DIVERSE_RULES, sizeof(*r));
	struct sl_policy *p;

	(void)state;
	assert_non_null(r);
	rng_state = PROP_SEED ^ 2;
	for (uint32_t i = 0; i < DIVERSE_RULES; i++) {
		sl_policy_match_any(&r[i]);
		r[i].src.family = 4;
		r[i].src.prefix = (uint8_t)rnd(33);
		rand_addr(4, r[i].src.addr);
		rand_pair(&r[i].sport_lo, &r[i].sport_hi, any_u16);
		rand_pair(&r[i].dport_lo, &r[i].dport_hi, any_u16);
		rand_pair(&r[i].vlan_lo, &r[i].vlan_hi, any_vlan);
		rand_pair(&r[i].input_lo, &r[i].input_hi, any_u16);
	}
	p = build(r, DIVERSE_RULES);
	for (uint32_t i = 0; i < DIVERSE_FLOWS; i++) {
		struct sl_policy_flow f;

		gen_flow_near(&r[rnd(DIVERSE_RULES)], &f);
		if (i % 2 == 0) {
			f.sport = any_u16();
			f.dport = any_u16();
		}
		assert_int_equal(sl_policy_classify(p, &f), ref_classify(r, DIVERSE_RULES, &f));
	}
	sl_policy_free(p);
	free(r);
}

/* Several threads classify at once with the policy of the property test. */
struct thread_arg {
	uint64_t seed;
	uint32_t mismatches;
};

static void *
classify_thread(void *arg)
{
	struct thread_arg *t = arg;
	uint64_t s = t->seed;

	for (uint32_t i = 0; i < THREAD_FLOWS; i++) {
		struct sl_policy_flow f;

		/* A private generator: rng() is not thread-safe. */
		s = s * 6364136223846793005ull + 1442695040888963407ull;
		memset(&f, 0, sizeof(f));
		f.family = (s >> 63) ? 6 : 4;
		f.src[0] = f.family == 4 ? 10 : 0x20;
		f.dst[0] = f.src[0];
		f.src[15] = (uint8_t)(s >> 8);
		f.src[3] = (uint8_t)(s >> 16);
		f.dst[1] = (uint8_t)((s >> 24) & 3);
		f.sport = port_pool[(s >> 32) % 12];
		f.dport = port_pool[(s >> 40) % 12];
		f.proto = proto_pool[(s >> 48) % 6];
		f.vlan = (uint16_t)((s >> 52) % 8);
		f.input = (uint16_t)((s >> 56) % 6);
		if (sl_policy_classify(prop_policy, &f) != ref_classify(prop_rules, PROP_RULES, &f))
			t->mismatches++;
	}
	return NULL;
}

static void
test_concurrent_classify(void **state)
{
	pthread_t th[3];
	struct thread_arg a[3];

	(void)state;
	assert_non_null(prop_policy);
	for (int i = 0; i < 3; i++) {
		a[i].seed = PROP_SEED + (uint64_t)i;
		a[i].mismatches = 0;
		assert_int_equal(pthread_create(&th[i], NULL, classify_thread, &a[i]), 0);
	}
	for (int i = 0; i < 3; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(a[i].mismatches, 0);
	}
	sl_policy_free(prop_policy);
	prop_policy = NULL;
	free(prop_rules);
	prop_rules = NULL;
}

int
main(void)
{
	char prefix[64];
	snprintf(prefix, sizeof(prefix), "--file-prefix=sl-ut-policy-%d", (int)getpid());
	char *eal[] = { "test_policy", "--no-huge", "--no-pci", "--no-shconf", "--no-telemetry", "-m", "256",
			"--log-level=lib.eal:error", "-l", "0", prefix };
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_cidr_valid),
		cmocka_unit_test(test_parse_cidr_invalid),
		cmocka_unit_test(test_priority_first_wins),
		cmocka_unit_test(test_overlapping_cidrs),
		cmocka_unit_test(test_v4_prefixes),
		cmocka_unit_test(test_v6_prefixes),
		cmocka_unit_test(test_port_ranges),
		cmocka_unit_test(test_proto),
		cmocka_unit_test(test_vlan),
		cmocka_unit_test(test_input),
		cmocka_unit_test(test_either_direction),
		cmocka_unit_test(test_family_separation),
		cmocka_unit_test(test_empty_policy),
		cmocka_unit_test(test_max_rules),
		cmocka_unit_test(test_max_mem),
		cmocka_unit_test(test_bad_args),
		cmocka_unit_test(test_diverse_ranges),
		cmocka_unit_test(test_random_property),
		cmocka_unit_test(test_concurrent_classify),
	};

	if (rte_eal_init((int)(sizeof(eal) / sizeof(eal[0])), eal) < 0)
		return 1;
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	sl_test_eal_done();
	return rc;
}
