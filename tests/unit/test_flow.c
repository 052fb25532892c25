/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests: canonical keys (symmetry as a property), hashing, flow table. */
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <rte_eal.h>
#include <rte_hash.h>

#include "sl_flow.h"
#include "sl_frames.h"
#include "sl_test_rng.h"
#include "sl_test_eal.h"

static uint64_t rng_state = 0x1234567887654321ull;

static uint64_t
rnd(void)
{
	return sl_test_rnd(&rng_state);
}

static void
random_pkt(struct sl_pkt_info *pi)
{
	static const uint8_t protos[] = { 6, 17, 132, 1, 58, 47 };

	memset(pi, 0, sizeof(*pi));
	pi->l3 = (rnd() & 1) ? SL_L3_IPV4 : SL_L3_IPV6;
	for (int i = 0; i < (pi->l3 == SL_L3_IPV4 ? 4 : 16); i++) {
		pi->src[i] = (uint8_t)rnd();
		/* sometimes share a prefix, sometimes be equal */
		pi->dst[i] = (rnd() % 8 == 0) ? pi->src[i] : (uint8_t)rnd();
	}
	pi->proto = protos[rnd() % sizeof(protos)];
	pi->has_ports = pi->proto != 47;
	pi->sport = (uint16_t)rnd();
	pi->dport = (rnd() % 8 == 0) ? pi->sport : (uint16_t)rnd();
	pi->n_vlans = (uint8_t)(rnd() % 3);
	for (int i = 0; i < pi->n_vlans; i++)
		pi->vlan[i] = (uint16_t)(rnd() % 4095);
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

static void
test_key_symmetry_property(void **state)
{
	(void)state;
	for (int i = 0; i < 200000; i++) {
		struct sl_pkt_info a, b;
		struct sl_flow_key ka, kb;
		uint16_t tenant = (uint16_t)(rnd() % 1024);

		random_pkt(&a);
		reverse(&a, &b);
		int da = sl_flow_key_build(&a, tenant, &ka);
		int db = sl_flow_key_build(&b, tenant, &kb);
		assert_memory_equal(&ka, &kb, sizeof(ka));
		assert_int_equal(sl_flow_hash(&ka, 7), sl_flow_hash(&kb, 7));
		for (int f = SL_FIELDS_5TUPLE; f <= SL_FIELDS_2TUPLE; f++)
			assert_int_equal(sl_flow_hash_fields(&ka, f, 99),
					 sl_flow_hash_fields(&kb, f, 99));
		bool same_ep = memcmp(a.src, a.dst, 16) == 0 &&
			       (!a.has_ports || a.sport == a.dport);
		if (!same_ep)
			assert_int_equal(da, 1 - db);
		else
			assert_int_equal(da, db);
	}
}

/* sl_flow_tenant_xor() turns the hashes of a key with one tenant field
 * into those of the key with another, for every field set. */
static void
test_tenant_xor_property(void **state)
{
	(void)state;
	for (int i = 0; i < 50000; i++) {
		struct sl_pkt_info a;
		struct sl_flow_key ks, ki;
		uint16_t slot = (uint16_t)(rnd() % 1024), id = (uint16_t)rnd();
		uint32_t seed = (uint32_t)rnd();

		random_pkt(&a);
		if (i % 7 == 0)
			a.l3 = SL_L3_NONE; /* non-IP keys too */
		a.tunnel_id = (uint32_t)rnd();
		sl_flow_key_build(&a, slot, &ks);
		sl_flow_key_build(&a, id, &ki);
		assert_int_equal(sl_flow_hash(&ks, seed) ^
					 sl_flow_tenant_xor(slot, id, SL_FIELDS_5TUPLE, seed),
				 sl_flow_hash(&ki, seed));
		for (int f = SL_FIELDS_5TUPLE; f <= SL_FIELDS_2TUPLE; f++)
			assert_int_equal(sl_flow_hash_fields(&ks, f, seed) ^
						 sl_flow_tenant_xor(slot, id, f, seed),
					 sl_flow_hash_fields(&ki, f, seed));
		/* the same tenant: nothing to change */
		assert_int_equal(sl_flow_tenant_xor(slot, slot, (enum sl_flow_fields)(i % 3), seed),
				 0);
	}
}

static void
test_key_fields(void **state)
{
	struct sl_pkt_info a;
	struct sl_flow_key k1, k2, k3;

	(void)state;
	random_pkt(&a);
	a.l3 = SL_L3_IPV4;
	a.proto = 6;
	a.has_ports = 1;
	a.sport = 1000;
	a.dport = 80;
	sl_flow_key_build(&a, 3, &k1);
	sl_flow_key_build(&a, 4, &k2);
	/* same 5-tuple in another tenant is another flow */
	assert_memory_not_equal(&k1, &k2, sizeof(k1));
	assert_int_not_equal(sl_flow_hash(&k1, 0), sl_flow_hash(&k2, 0));
	/* 3-tuple ignores ports, 2-tuple also the protocol */
	a.sport = 2000;
	sl_flow_key_build(&a, 3, &k3);
	assert_int_not_equal(sl_flow_hash(&k1, 0), sl_flow_hash(&k3, 0));
	assert_int_equal(sl_flow_hash_fields(&k1, SL_FIELDS_3TUPLE, 0),
			 sl_flow_hash_fields(&k3, SL_FIELDS_3TUPLE, 0));
	a.proto = 17;
	sl_flow_key_build(&a, 3, &k3);
	assert_int_not_equal(sl_flow_hash_fields(&k1, SL_FIELDS_3TUPLE, 0),
			     sl_flow_hash_fields(&k3, SL_FIELDS_3TUPLE, 0));
	assert_int_equal(sl_flow_hash_fields(&k1, SL_FIELDS_2TUPLE, 0),
			 sl_flow_hash_fields(&k3, SL_FIELDS_2TUPLE, 0));
	/* the seed matters */
	assert_int_not_equal(sl_flow_hash(&k1, 1), sl_flow_hash(&k1, 2));
	/* VLANs are part of the key */
	a.n_vlans = 1;
	a.vlan[0] = 10;
	sl_flow_key_build(&a, 3, &k2);
	a.vlan[0] = 11;
	sl_flow_key_build(&a, 3, &k3);
	assert_memory_not_equal(&k2, &k3, sizeof(k2));
}

static void
test_key_non_ip_and_portless(void **state)
{
	struct sl_pkt_info a;
	struct sl_flow_key k;

	(void)state;
	memset(&a, 0, sizeof(a));
	a.n_vlans = 1;
	a.vlan[0] = 42;
	assert_int_equal(sl_flow_key_build(&a, 9, &k), 0);
	assert_int_equal(k.family, 0);
	assert_int_equal(k.tenant, 9);
	assert_int_equal(k.vlan[0], 42);
	/* a non-first fragment: ports are not valid and must not leak */
	random_pkt(&a);
	a.has_ports = 0;
	a.sport = 1234;
	a.dport = 80;
	sl_flow_key_build(&a, 1, &k);
	assert_int_equal(k.port_lo, 0);
	assert_int_equal(k.port_hi, 0);
}

/* The key of a real frame, through the parser; returns its direction. */
static int
frame_key(const struct fb_step *steps, struct sl_flow_key *k)
{
	struct sl_pkt_info pi;
	struct fb_frame f;

	fb_build(&f, steps);
	assert_int_equal(sl_parse_eth(f.b, f.len, &pi), SL_PARSE_OK);
	return sl_flow_key_build(&pi, 5, k);
}

/* VXLAN (VNI vni, outer UDP source port sport) carrying TCP from a:ap to
 * b:bp, as a mirror sends both directions: same outer addresses. */
#define VXLAN_TCP(vni, sport, a, ap, b, bp)                                   \
	FB_RECIPE(FB_ETH(0x0800), FB_IPV4(17, 5, 0, 1, V4A, V4B),             \
		  FB_UDP(sport, 4789), FB_VXLAN(0x08, vni), FB_IETH(0x0800),  \
		  FB_IPV4(6, 5, 0, 2, a, b), FB_TCP(ap, bp, 0x10, 5),         \
		  FB_DATA(10), FB_DONE)

/* Real frames: a packet and its reply, built with swapped addresses and
 * ports, get one key and opposite directions; a tunnelled packet's key is
 * its inner flow's whatever the outer UDP source port, and the VNI tells
 * two mirror sessions apart. */
static void
test_key_from_frames(void **state)
{
	const struct {
		const char *name;
		const struct fb_step *fwd, *rev;
	} pairs[] = {
		{ "ipv4_tcp",
		  FB_RECIPE(FB_ETH(0x0800), FB_IPV4(6, 5, 0, 1, V4A, V4B),
			    FB_TCP(40000, 443, 0x02, 5), FB_DONE),
		  FB_RECIPE(FB_ETH(0x0800), FB_IPV4(6, 5, 0, 2, V4B, V4A),
			    FB_TCP(443, 40000, 0x12, 5), FB_DONE) },
		{ "qinq_ipv6_hbh_udp",
		  FB_RECIPE(FB_ETH(0x88a8), FB_VLAN(100, 0x8100),
			    FB_VLAN(200, 0x86dd), FB_IPV6(0, V6A, V6B),
			    FB_EXT(0, 17, 8), FB_UDP(5353, 53), FB_DATA(20),
			    FB_DONE),
		  FB_RECIPE(FB_ETH(0x88a8), FB_VLAN(100, 0x8100),
			    FB_VLAN(200, 0x86dd), FB_IPV6(17, V6B, V6A),
			    FB_UDP(53, 5353), FB_DATA(60), FB_DONE) },
		{ "vlan_ipv4_sctp",
		  FB_RECIPE(FB_ETH(0x8100), FB_VLAN(7, 0x0800),
			    FB_IPV4(132, 5, 0, 1, V4A, V4B),
			    FB_SCTP(2905, 3868), FB_DONE),
		  FB_RECIPE(FB_ETH(0x8100), FB_VLAN(7, 0x0800),
			    FB_IPV4(132, 5, 0, 1, V4B, V4A),
			    FB_SCTP(3868, 2905), FB_DONE) },
		{ "icmp_echo",
		  FB_RECIPE(FB_ETH(0x0800), FB_IPV4(1, 5, 0, 1, V4A, V4B),
			    FB_ICMP(8, 0), FB_DONE),
		  FB_RECIPE(FB_ETH(0x0800), FB_IPV4(1, 5, 0, 2, V4B, V4A),
			    FB_ICMP(0, 0), FB_DONE) },
		{ "icmpv6_echo",
		  FB_RECIPE(FB_ETH(0x86dd), FB_IPV6(58, V6A, V6B),
			    FB_ICMP(128, 0), FB_DONE),
		  FB_RECIPE(FB_ETH(0x86dd), FB_IPV6(58, V6B, V6A),
			    FB_ICMP(129, 0), FB_DONE) },
		{ "vxlan_tcp",
		  VXLAN_TCP(9, 1111, I4A, 1000, I4B, 80),
		  VXLAN_TCP(9, 2222, I4B, 80, I4A, 1000) },
	};
	struct sl_flow_key kf, kr;

	(void)state;
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		int df = frame_key(pairs[i].fwd, &kf);
		int dr = frame_key(pairs[i].rev, &kr);

		if (memcmp(&kf, &kr, sizeof(kf)) != 0)
			fail_msg("%s: a packet and its reply differ", pairs[i].name);
		if (df != 1 - dr)
			fail_msg("%s: directions %d and %d", pairs[i].name, df, dr);
		assert_int_equal(kf.tenant, 5);
	}
	/* The same inner flow in another mirror session is another flow. */
	frame_key(VXLAN_TCP(9, 1111, I4A, 1000, I4B, 80), &kf);
	frame_key(VXLAN_TCP(10, 1111, I4A, 1000, I4B, 80), &kr);
	assert_memory_not_equal(&kf, &kr, sizeof(kf));
}

static void
test_hash_scale(void **state)
{
	unsigned int hist[7] = { 0 };

	(void)state;
	assert_int_equal(sl_hash_scale(0, 5), 0);
	assert_int_equal(sl_hash_scale(UINT32_MAX, 5), 4);
	for (int i = 0; i < 70000; i++)
		hist[sl_hash_scale((uint32_t)rnd(), 7)]++;
	for (int i = 0; i < 7; i++)
		assert_true(hist[i] > 9000 && hist[i] < 11000);
}

static void
test_tclass(void **state)
{
	(void)state;
	assert_int_equal(sl_flow_tclass_of(6), SL_TCLASS_TCP);
	assert_int_equal(sl_flow_tclass_of(17), SL_TCLASS_UDP);
	assert_int_equal(sl_flow_tclass_of(1), SL_TCLASS_ICMP);
	assert_int_equal(sl_flow_tclass_of(58), SL_TCLASS_ICMP);
	assert_int_equal(sl_flow_tclass_of(47), SL_TCLASS_OTHER);
}

static const uint32_t tmo[SL_TCLASS_MAX] = { 100, 50, 20, 10, 5, 30 };

static void
make_key(struct sl_flow_key *k, uint32_t i, uint8_t proto)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->addr_lo, &i, sizeof(i));
	k->addr_hi[0] = 0xff;
	k->port_lo = (uint16_t)i;
	k->port_hi = 80;
	k->proto = proto;
	k->family = 4;
}

static void
test_table_insert_lookup(void **state)
{
	struct sl_flow_table *t = sl_flow_table_create("t_ins", 4096, 0, 17, 0, tmo);
	struct sl_flow_key keys[64];
	const struct sl_flow_key *kp[64];
	uint32_t h[64];
	struct sl_flow_entry *e[64];
	bool created;

	(void)state;
	assert_non_null(t);
	assert_int_equal(sl_flow_capacity(t), 4096);
	assert_true(sl_flow_table_memory(t) >= 4096 * sizeof(struct sl_flow_entry));
	for (uint32_t i = 0; i < 64; i++) {
		make_key(&keys[i], i, 6);
		kp[i] = &keys[i];
		h[i] = sl_flow_hash(&keys[i], 17);
	}
	sl_flow_lookup_bulk(t, kp, h, 64, e);
	for (int i = 0; i < 64; i++)
		assert_null(e[i]);
	for (uint32_t i = 0; i < 32; i++) {
		struct sl_flow_entry *x = sl_flow_add(t, &keys[i], h[i], 5, &created);
		assert_non_null(x);
		assert_true(created);
		assert_int_equal(x->first, 5);
		assert_memory_equal(&x->key, &keys[i], sizeof(keys[i]));
		assert_int_equal(x->tclass, SL_TCLASS_TCP);
		x->slot = (uint16_t)i;
	}
	assert_int_equal(sl_flow_count(t), 32);
	sl_flow_lookup_bulk(t, kp, h, 64, e);
	for (uint32_t i = 0; i < 64; i++) {
		if (i < 32) {
			assert_non_null(e[i]);
			assert_int_equal(e[i]->slot, i);
		} else {
			assert_null(e[i]);
		}
	}
	/* every entry has its own index, which later inserts do not move */
	uint32_t idx[32];
	for (uint32_t i = 0; i < 32; i++) {
		idx[i] = sl_flow_entry_index(t, e[i]);
		assert_true(idx[i] < sl_flow_capacity(t));
		for (uint32_t j = 0; j < i; j++)
			assert_int_not_equal(idx[i], idx[j]);
	}
	for (uint32_t i = 32; i < 64; i++)
		assert_non_null(sl_flow_add(t, &keys[i], h[i], 6, &created));
	sl_flow_lookup_bulk(t, kp, h, 32, e);
	for (uint32_t i = 0; i < 32; i++)
		assert_int_equal(sl_flow_entry_index(t, e[i]), idx[i]);
	/* adding a key twice returns the existing entry untouched */
	struct sl_flow_entry *again = sl_flow_add(t, &keys[3], h[3], 99, &created);
	assert_false(created);
	assert_ptr_equal(again, e[3]);
	assert_int_equal(again->slot, 3);
	assert_int_equal(again->first, 5);
	assert_int_equal(sl_flow_count(t), 64);
	sl_flow_table_free(t);
}

/* Keys that differ from one another in a byte or two, anywhere in the 48,
 * inserted eight at a time under one hash: one bucket, one tag, so only the
 * key compare keeps them apart. (Eight to a bucket of twelve: no key is
 * moved, which would rehash it from its key.) Each is its own entry, found
 * by its own key. */
static void
test_table_key_every_byte(void **state)
{
	struct sl_flow_table *t = sl_flow_table_create("t_bytes", 4096, 0, 17, 0, tmo);
	struct sl_flow_key base, keys[sizeof(base)];
	struct sl_flow_entry *e[sizeof(base)];
	bool created;

	(void)state;
	assert_non_null(t);
	make_key(&base, 7, 6);
	for (size_t i = 0; i < sizeof(base); i++) {
		uint32_t h = 0x12345678u + (uint32_t)(i / 8) * 0x2545f491u;

		keys[i] = base;
		((uint8_t *)&keys[i])[i] ^= (uint8_t)(1u << (i % 8));
		e[i] = sl_flow_add(t, &keys[i], h, 2, &created);
		assert_non_null(e[i]);
		assert_true(created);
		assert_memory_equal(&e[i]->key, &keys[i], sizeof(keys[i]));
	}
	assert_int_equal(sl_flow_count(t), sizeof(base));
	for (size_t i = 0; i < sizeof(base); i++) {
		uint32_t h = 0x12345678u + (uint32_t)(i / 8) * 0x2545f491u;

		assert_ptr_equal(sl_flow_lookup(t, &keys[i], h), e[i]);
	}
	sl_flow_table_free(t);
}

struct expired {
	unsigned int n;
	uint32_t seen[4096];
};

static void
on_expire(const struct sl_flow_entry *e, void *arg)
{
	const struct sl_flow_key *k = &e->key;
	struct expired *x = arg;
	uint32_t id;

	memcpy(&id, k->addr_lo, sizeof(id));
	assert_true(e->flags & SL_FLOW_F_USED);
	x->seen[x->n++] = id;
}

static void
test_table_expiry(void **state)
{
	struct sl_flow_table *t = sl_flow_table_create("t_exp", 1024, 0, 3, 0, tmo);
	struct sl_flow_key k;
	static struct expired x;
	bool created;

	(void)state;
	assert_non_null(t);
	for (uint32_t i = 0; i < 100; i++) {
		make_key(&k, i, i % 2 ? 17 : 6); /* udp times out at 50, tcp at 100 */
		assert_non_null(sl_flow_add(t, &k, sl_flow_hash(&k, 3), 0, &created));
	}
	/* nothing is idle long enough yet */
	x.n = 0;
	assert_int_equal(sl_flow_age(t, 40, 1024, false, NULL, on_expire, &x), 0);
	assert_int_equal(x.n, 0);
	uint32_t before = sl_flow_count(t);
	/* at 75 only UDP flows (timeout 50) go */
	x.n = 0;
	unsigned int r = sl_flow_age(t, 75, 1024, false, NULL, on_expire, &x);
	assert_int_equal(r, x.n);
	for (unsigned int i = 0; i < x.n; i++)
		assert_int_equal(x.seen[i] % 2, 1);
	assert_int_equal(sl_flow_count(t), before - r);
	/* an expired key is gone; a live one is found */
	make_key(&k, 1, 17);
	const struct sl_flow_key *kp = &k;
	uint32_t h = sl_flow_hash(&k, 3);
	struct sl_flow_entry *e;
	sl_flow_lookup_bulk(t, &kp, &h, 1, &e);
	assert_null(e);
	make_key(&k, 2, 6);
	h = sl_flow_hash(&k, 3);
	sl_flow_lookup_bulk(t, &kp, &h, 1, &e);
	assert_non_null(e);
	/* force removes everything regardless of age */
	x.n = 0;
	sl_flow_age(t, 0, 1024, true, NULL, on_expire, &x);
	assert_int_equal(sl_flow_count(t), 0);
	sl_flow_table_free(t);
}

/* An entry the caller says is gone ends at once, whatever its age; the
 * timeouts can be replaced. */
static bool
odd_gone(const struct sl_flow_key *k, void *arg)
{
	uint32_t id;

	(void)arg;
	memcpy(&id, k->addr_lo, sizeof(id));
	return id % 2 == 1;
}

static void
test_table_gone_and_timeouts(void **state)
{
	struct sl_flow_table *t = sl_flow_table_create("t_gone", 1024, 0, 3, 0, tmo);
	struct sl_flow_key k;
	static struct expired x;
	bool created;

	(void)state;
	assert_non_null(t);
	for (uint32_t i = 0; i < 100; i++) {
		make_key(&k, i, 6);
		assert_non_null(sl_flow_add(t, &k, sl_flow_hash(&k, 3), 0, &created));
	}
	x.n = 0;
	assert_int_equal(sl_flow_age(t, 1, 1024, false, odd_gone, on_expire, &x), 50);
	for (unsigned int i = 0; i < x.n; i++)
		assert_int_equal(x.seen[i] % 2, 1);
	assert_int_equal(sl_flow_count(t), 50);
	/* tcp times out at 100; shortened to 10, the rest go at 20 */
	uint32_t short_tmo[SL_TCLASS_MAX];
	memcpy(short_tmo, tmo, sizeof(short_tmo));
	short_tmo[SL_TCLASS_TCP] = 10;
	assert_int_equal(sl_flow_age(t, 20, 1024, false, NULL, NULL, NULL), 0);
	sl_flow_set_timeouts(t, short_tmo);
	assert_int_equal(sl_flow_age(t, 20, 1024, false, NULL, NULL, NULL), 50);
	assert_int_equal(sl_flow_count(t), 0);
	sl_flow_table_free(t);
}

/* Bounds per tenant: a tenant under its bound always gets an entry, however
 * hard the others flood; a tenant at its bound gets none; a tenant without
 * a bound gets only what the bounded ones do not hold in reserve. */
static void
test_table_quotas(void **state)
{
	struct sl_flow_table *t = sl_flow_table_create("t_quota", 1000, 0, 7, 0, tmo);
	const uint32_t quota[3] = { 300, 200, 0 }; /* tenant 2 unbounded */
	const uint32_t too_much[3] = { 800, 300, 0 };
	struct sl_flow_key k;
	uint32_t got[3] = { 0 }, n = 0;
	bool created;

	(void)state;
	assert_non_null(t);
	assert_int_equal(sl_flow_table_set_quotas(t, too_much, 3), -EINVAL);
	assert_int_equal(sl_flow_table_set_quotas(t, quota, 3), 0);
	/* tenant 2 floods: it gets the 500 nobody holds in reserve */
	for (uint32_t i = 0; i < 5000; i++, n++) {
		make_key(&k, n, 17);
		k.tenant = 2;
		got[2] += sl_flow_add(t, &k, sl_flow_hash(&k, 7), 0, &created) != NULL;
	}
	assert_int_equal(got[2], 500);
	assert_false(sl_flow_over_quota(t, 2));
	/* tenants 0 and 1 still get every entry up to their bounds */
	for (uint16_t tn = 0; tn < 2; tn++) {
		for (uint32_t i = 0; i < 400; i++, n++) {
			make_key(&k, n, 6);
			k.tenant = tn;
			struct sl_flow_entry *e = sl_flow_add(t, &k, sl_flow_hash(&k, 7), 0, &created);
			if (i < quota[tn]) {
				assert_non_null(e);
				assert_true(created);
			} else {
				assert_null(e);
				assert_true(sl_flow_over_quota(t, tn));
			}
		}
		assert_int_equal(sl_flow_tenant_count(t, tn), quota[tn]);
	}
	assert_int_equal(sl_flow_count(t), 1000);
	/* a key already present is found, not refused, even at the bound */
	make_key(&k, 5000, 6);
	k.tenant = 0;
	assert_non_null(sl_flow_add(t, &k, sl_flow_hash(&k, 7), 0, &created));
	assert_false(created);
	/* tenant 2's entries expire: the room is the unbounded tenants' again,
	 * and tenant 0's reserve stays its own */
	sl_flow_age(t, 1000, 1000, true, NULL, NULL, NULL);
	assert_int_equal(sl_flow_count(t), 0);
	assert_int_equal(sl_flow_tenant_count(t, 0), 0);
	for (uint32_t i = 0; i < 2000; i++, n++) {
		make_key(&k, n, 17);
		k.tenant = 2;
		sl_flow_add(t, &k, sl_flow_hash(&k, 7), 0, &created);
	}
	assert_int_equal(sl_flow_tenant_count(t, 2), 500);
	/* new bounds (a reload): tenant 2, holding 500, is over its new 100
	 * and gets nothing more */
	const uint32_t moved[3] = { 300, 0, 100 };
	assert_int_equal(sl_flow_table_set_quotas(t, moved, 3), 0);
	assert_true(sl_flow_over_quota(t, 2));
	make_key(&k, n++, 17);
	k.tenant = 2;
	assert_null(sl_flow_add(t, &k, sl_flow_hash(&k, 7), 0, &created));
	/* tenant 1, now unbounded, gets what is not in reserve: 1000 - 500
	 * held - 300 reserved for tenant 0 */
	uint32_t t1 = 0;
	for (uint32_t i = 0; i < 1000; i++, n++) {
		make_key(&k, n, 6);
		k.tenant = 1;
		t1 += sl_flow_add(t, &k, sl_flow_hash(&k, 7), 0, &created) != NULL;
	}
	assert_int_equal(t1, 200);
	/* the number of tenants is fixed by the first call */
	assert_int_equal(sl_flow_table_set_quotas(t, moved, 2), -EINVAL);
	sl_flow_table_free(t);
}

struct tenant_arg {
	bool *in;
	int tenant;
};

/* sl_flow_age() predicate: the key's tenant is arg's */
static bool
tenant_is(const struct sl_flow_key *k, void *arg)
{
	const struct tenant_arg *a = arg;

	return k->tenant == a->tenant;
}

/* A random key of flow i (tenant i % 3): addresses and ports from a PRNG. */
static void
rand_key(struct sl_flow_key *k, uint32_t i)
{
	struct sl_pkt_info pi;

	memset(&pi, 0, sizeof(pi));
	pi.l3 = (rnd() & 3) ? SL_L3_IPV4 : SL_L3_IPV6;
	for (int b = 0; b < (pi.l3 == SL_L3_IPV4 ? 4 : 16); b++) {
		pi.src[b] = (uint8_t)rnd();
		pi.dst[b] = (uint8_t)rnd();
	}
	pi.proto = (rnd() & 1) ? 6 : 17;
	pi.has_ports = 1;
	pi.sport = (uint16_t)rnd();
	pi.dport = (uint16_t)rnd();
	sl_flow_key_build(&pi, (uint16_t)(i % 3), k);
}

/* Property, at several sizes: a table takes exactly its capacity of random
 * keys (never refusing one before), finds every key it holds by bulk and by
 * single lookup, finds none it does not hold, and keeps all that through
 * churn (random removals and inserts) checked against a plain list. */
static void
test_table_property(void **state)
{
	static const uint32_t sizes[] = { 8, 100, 4096, 65536 };

	(void)state;
	for (size_t z = 0; z < sizeof(sizes) / sizeof(sizes[0]); z++) {
		uint32_t cap = sizes[z], n = cap + cap / 2;
		struct sl_flow_key *keys = calloc(n, sizeof(*keys));
		uint32_t *h = calloc(n, sizeof(*h));
		bool *in = calloc(n, sizeof(*in));
		struct sl_flow_table *t = sl_flow_table_create("t_prop", cap, 0, 11, 0, tmo);
		bool created;

		assert_non_null(t);
		assert_non_null(keys);
		for (uint32_t i = 0; i < n; i++) {
			rand_key(&keys[i], i);
			h[i] = sl_flow_hash(&keys[i], 11);
		}
		/* fill: the first cap keys all go in, the rest are refused */
		for (uint32_t i = 0; i < n; i++) {
			struct sl_flow_entry *e = sl_flow_add(t, &keys[i], h[i], 0, &created);

			if (i < cap) {
				if (e == NULL)
					fail_msg("size %u: key %u refused before the table was full "
						 "(%u in, %u stashed)", cap, i, sl_flow_count(t),
						 sl_flow_stashed(t));
				assert_true(created);
				in[i] = true;
			} else {
				assert_null(e);
			}
		}
		assert_int_equal(sl_flow_count(t), cap);
		/* memory: at most 128 bytes a flow of capacity, buckets,
		 * entries and free list included */
		if (cap >= 4096)
			assert_true(sl_flow_table_memory(t) <= (size_t)cap * 128);
		for (int round = 0; round < 4; round++) {
			/* lookups, by bulk of 32, agree with the list */
			for (uint32_t i = 0; i < n; i += 32) {
				const struct sl_flow_key *kp[32];
				struct sl_flow_entry *out[32];
				uint32_t m = RTE_MIN(32u, n - i);

				for (uint32_t j = 0; j < m; j++) {
					kp[j] = &keys[i + j];
					/* the RX stage's hint, on keys in and out:
					 * it changes nothing a lookup finds */
					sl_flow_prefetch_bucket(t, h[i + j]);
				}
				sl_flow_lookup_bulk(t, kp, &h[i], m, out);
				for (uint32_t j = 0; j < m; j++) {
					if ((out[j] != NULL) != in[i + j])
						fail_msg("size %u round %d: key %u %s", cap, round,
							 i + j, in[i + j] ? "lost" : "found but absent");
					if (out[j] != NULL)
						assert_memory_equal(&out[j]->key, &keys[i + j],
								    sizeof(keys[0]));
					/* one by one, entries prefetched four keys
					 * ahead (flows.c): the same answers */
					if (j + 4 < m)
						sl_flow_prefetch_entry(t, h[i + j + 4]);
					if (sl_flow_lookup(t, &keys[i + j], h[i + j]) != out[j])
						fail_msg("size %u round %d: key %u: one lookup and "
							 "the bulk disagree", cap, round, i + j);
				}
			}
			/* churn: remove about a third (the ones whose tenant is the
			 * round's), then insert absent keys until full again */
			struct tenant_arg arg = { in, round % 3 };
			uint32_t before = sl_flow_count(t);
			uint32_t removed = sl_flow_age(t, 0, cap, false, tenant_is, NULL, &arg);

			assert_int_equal(sl_flow_count(t), before - removed);
			for (uint32_t i = 0; i < n; i++)
				if (in[i] && keys[i].tenant == arg.tenant)
					in[i] = false;
			for (uint32_t i = 0; i < n && sl_flow_count(t) < cap; i++) {
				if (in[i])
					continue;
				/* a hint taken before the insert (which may move
				 * other keys between buckets) misleads no lookup */
				if (i + 1 < n)
					sl_flow_prefetch_entry(t, h[i + 1]);
				struct sl_flow_entry *x = sl_flow_add(t, &keys[i], h[i], 0, &created);
				if (x == NULL)
					fail_msg("size %u round %d: refused with %u of %u in", cap,
						 round, sl_flow_count(t), cap);
				in[i] = true;
				if (sl_flow_lookup(t, &keys[i], h[i]) != x)
					fail_msg("size %u round %d: key %u not found just after "
						 "its insert", cap, round, i);
				if (i + 1 < n && (sl_flow_lookup(t, &keys[i + 1], h[i + 1]) != NULL) !=
				    in[i + 1])
					fail_msg("size %u round %d: key %u moved out of reach", cap,
						 round, i + 1);
			}
		}
		sl_flow_table_free(t);
		free(keys);
		free(h);
		free(in);
	}
}

/* Byte counters are kept in two 32-bit halves: counting carries into the
 * high half exactly as a 64-bit counter would, per direction, and the
 * fields every packet touches stay within the entry's first 80 bytes. */
static void
test_byte_counters(void **state)
{
	struct sl_flow_entry e;
	uint64_t ref[2] = { 0, 0 };
	unsigned int carries[2] = { 0, 0 };

	(void)state;
	assert_true(SL_FLOW_ENTRY_HOT <= 80);
	assert_true(offsetof(struct sl_flow_entry, tcp_flags) + 2 <= SL_FLOW_ENTRY_HOT);
	memset(&e, 0, sizeof(e));
	for (uint32_t i = 0; i < 300000; i++) {
		unsigned int d = rnd() & 1;
		uint32_t len = 1 + rnd() % 65535;

		/* now and then a jump close to the next 4 GiB */
		if (i % 20000 == 7) {
			uint64_t near = ((ref[d] >> 32) + 1) << 32;

			ref[d] = near - rnd() % 100000;
			sl_flow_set_bytes(&e, d, ref[d]);
		}
		sl_flow_count_bytes(&e, d, len);
		carries[d] += (uint32_t)ref[d] + len < len;
		ref[d] += len;
		if (sl_flow_bytes(&e, d) != ref[d])
			fail_msg("after %u: dir %u %" PRIu64 " != %" PRIu64, i, d,
				 sl_flow_bytes(&e, d), ref[d]);
	}
	/* the carry was exercised in both directions */
	assert_true(carries[0] >= 3 && carries[1] >= 3);
	assert_true(sl_flow_total_bytes(&e) == ref[0] + ref[1]);
	sl_flow_set_bytes(&e, 1, UINT64_MAX - 3);
	assert_true(sl_flow_bytes(&e, 1) == UINT64_MAX - 3);
	assert_true(sl_flow_bytes(&e, 0) == ref[0]);
}

/* A table sized for a million flows takes at most 128 MiB. */
static void
test_table_memory(void **state)
{
	struct sl_flow_table *t = sl_flow_table_create("t_mem", 1000000, 0, 1, 0, tmo);

	(void)state;
	assert_non_null(t);
	assert_true(sl_flow_table_memory(t) <= 128u << 20);
	sl_flow_table_free(t);
}

static void
test_table_full(void **state)
{
	struct sl_flow_table *t = sl_flow_table_create("t_full", 64, 0, 5, 0, tmo);
	struct sl_flow_key k;
	bool created;
	uint32_t added = 0, refused = 0;

	(void)state;
	assert_non_null(t);
	for (uint32_t i = 0; i < 1000; i++) {
		make_key(&k, i, 6);
		if (sl_flow_add(t, &k, sl_flow_hash(&k, 5), 0, &created) != NULL)
			added++;
		else
			refused++;
	}
	assert_true(added <= 64);
	assert_true(added >= 32); /* cuckoo hashing fills most of the table */
	assert_int_equal(added + refused, 1000);
	assert_int_equal(sl_flow_count(t), added);
	/* budget bounds the work: one slot examined per call */
	unsigned int one = sl_flow_age(t, 1000, 1, false, NULL, NULL, NULL);
	assert_true(one <= 1);
	assert_int_equal(sl_flow_count(t), added - one);
	/* once entries expire, there is room again */
	assert_int_equal(sl_flow_age(t, 1000, 64, false, NULL, NULL, NULL) + one, added);
	make_key(&k, 5000, 6);
	assert_non_null(sl_flow_add(t, &k, sl_flow_hash(&k, 5), 1000, &created));
	sl_flow_table_free(t);
}

static void
test_table_bad_args(void **state)
{
	(void)state;
	assert_null(sl_flow_table_create(NULL, 1024, 0, 0, 0, tmo));
	assert_null(sl_flow_table_create("t_small", 4, 0, 0, 0, tmo));
	sl_flow_table_free(NULL);
}

int
main(void)
{
	char *eal[] = { "test_flow", "--no-huge", "--no-pci", "--no-shconf", "--no-telemetry", "-m", "512",
			"--log-level=lib.eal:error", "-l", "0", "--file-prefix=sl_test_flow" };
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_symmetry_property),
		cmocka_unit_test(test_tenant_xor_property),
		cmocka_unit_test(test_key_fields),
		cmocka_unit_test(test_key_non_ip_and_portless),
		cmocka_unit_test(test_key_from_frames),
		cmocka_unit_test(test_hash_scale),
		cmocka_unit_test(test_tclass),
		cmocka_unit_test(test_table_insert_lookup),
		cmocka_unit_test(test_table_key_every_byte),
		cmocka_unit_test(test_table_expiry),
		cmocka_unit_test(test_table_gone_and_timeouts),
		cmocka_unit_test(test_table_quotas),
		cmocka_unit_test(test_table_property),
		cmocka_unit_test(test_table_memory),
		cmocka_unit_test(test_table_full),
		cmocka_unit_test(test_table_bad_args),
		cmocka_unit_test(test_byte_counters),
	};

	if (rte_eal_init((int)(sizeof(eal) / sizeof(eal[0])), eal) < 0)
		return 1;
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	sl_test_eal_done();
	return rc;
}
