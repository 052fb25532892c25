/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests: fragment steering. Fake packets are small malloc'd structs with
 * an id; callbacks record and free them, so ASan reports any packet the
 * table loses.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include <rte_eal.h>
#include <rte_errno.h>

#include "sl_frag.h"
#include "sl_test_rng.h"
#include "sl_test_eal.h"

#define SINK_MAX 4096

struct fpkt {
	int id;
};

/* What the callbacks saw, in order. */
struct sink {
	unsigned int n_rel, n_unm, n_freed;
	int rel_id[SINK_MAX];
	uint32_t rel_member[SINK_MAX];
	int unm_id[SINK_MAX];
	int freed_id[SINK_MAX];
};

static struct sink sink;

static void
sink_reset(void)
{
	memset(&sink, 0, sizeof(sink));
}

static void *
new_pkt(int id)
{
	struct fpkt *p = malloc(sizeof(*p));

	assert_non_null(p);
	p->id = id;
	return p;
}

static void
on_release(void *pkt, uint32_t member, void *arg)
{
	struct sink *s = arg;

	assert_true(s->n_rel < SINK_MAX);
	s->rel_id[s->n_rel] = ((struct fpkt *)pkt)->id;
	s->rel_member[s->n_rel++] = member;
	free(pkt);
}

static void
on_unmatched(void *pkt, void *arg)
{
	struct sink *s = arg;

	assert_true(s->n_unm < SINK_MAX);
	s->unm_id[s->n_unm++] = ((struct fpkt *)pkt)->id;
	free(pkt);
}

static void
on_free(void *pkt, void *arg)
{
	struct sink *s = arg;

	assert_true(s->n_freed < SINK_MAX);
	s->freed_id[s->n_freed++] = ((struct fpkt *)pkt)->id;
	free(pkt);
}

static struct sl_frag_limits
default_limits(void)
{
	struct sl_frag_limits l = {
		.entries = 1024,
		.max_held_pkts = 256,
		.max_held_bytes = 1u << 20,
		.tenant_max_held_pkts = 256,
		.hold_tsc = 100,
		.entry_tsc = 1000,
		.n_tenants = 4,
		.max_held_per_datagram = 64,
	};
	return l;
}

static struct sl_frag_table *
make_table(const struct sl_frag_limits *l)
{
	static unsigned int n;
	char name[32];

	snprintf(name, sizeof(name), "frag_t%u", n++);
	struct sl_frag_table *t = sl_frag_create(name, l, 0);
	assert_non_null(t);
	sink_reset();
	return t;
}

static void
make_key(struct sl_frag_key *k, uint16_t tenant, uint32_t id, uint8_t proto)
{
	memset(k, 0, sizeof(*k));
	k->src[0] = 10;
	k->src[3] = 1;
	k->dst[0] = 10;
	k->dst[3] = 2;
	k->id = id;
	k->tenant = tenant;
	k->vlan[0] = 100;
	k->proto = proto;
	k->family = 4;
}

static enum sl_frag_verdict
first(struct sl_frag_table *t, const struct sl_frag_key *k, uint32_t member, uint32_t len,
      bool more, uint64_t now)
{
	return sl_frag_first(t, k, sl_frag_hash(t, k), member, 0, len, more, now, on_release,
			     &sink);
}

/* A non-first fragment; the test owns the packet again unless it is held. */
static enum sl_frag_verdict
other(struct sl_frag_table *t, const struct sl_frag_key *k, int id, uint32_t off, uint32_t len,
      bool more, uint64_t now, uint32_t *member)
{
	uint32_t m = UINT32_MAX;
	void *pkt = new_pkt(id);
	enum sl_frag_verdict v = sl_frag_other(t, k, sl_frag_hash(t, k), pkt, off, len, more,
					       now, &m);

	if (v != SL_FRAG_HELD)
		free(pkt);
	if (member != NULL)
		*member = m;
	return v;
}

static void
free_table(struct sl_frag_table *t)
{
	sl_frag_free(t, on_free, &sink);
}

/* The ledger of struct sl_frag_stats holds at any time. */
static void
check_ledger(const struct sl_frag_table *t, uint64_t other_calls)
{
	const struct sl_frag_stats *s = sl_frag_get_stats(t);

	assert_int_equal(s->sent + s->held + s->unmatched_limit, other_calls);
	assert_int_equal(s->held, s->released_matched + s->released_unmatched + s->held_now_pkts);
	assert_int_equal(s->unmatched_limit, s->limit_worker_pkts + s->limit_worker_bytes +
						     s->limit_tenant + s->limit_datagram +
						     s->table_full);
}

static void
test_key_layout(void **state)
{
	struct sl_frag_limits l = default_limits();
	struct sl_frag_table *t = make_table(&l), *t2 = make_table(&l);
	struct sl_frag_key a, b;

	(void)state;
	assert_int_equal(sizeof(struct sl_frag_key), 48);
	make_key(&a, 1, 77, 17);
	b = a;
	assert_int_equal(sl_frag_hash(t, &a), sl_frag_hash(t, &b));
	b.tenant = 2;
	assert_int_not_equal(sl_frag_hash(t, &a), sl_frag_hash(t, &b));
	/* each table has its own seed */
	assert_int_not_equal(sl_frag_hash(t, &a), sl_frag_hash(t2, &a));
	free_table(t);
	free_table(t2);
}

static void
test_stat_names(void **state)
{
	struct sl_frag_stats s;

	(void)state;
	memset(&s, 0, sizeof(s));
	s.held = 5;
	s.overlap = 9;
	s.held_now_bytes = 11;
	assert_string_equal(sl_frag_stat_name(SL_FRAG_STAT_datagrams), "datagrams");
	assert_string_equal(sl_frag_stat_name(SL_FRAG_STAT_overlap), "overlap");
	assert_string_equal(sl_frag_stat_name(SL_FRAG_STAT_MAX - 1), "held_now_bytes");
	assert_null(sl_frag_stat_name(SL_FRAG_STAT_MAX));
	assert_int_equal(sl_frag_stat(&s, SL_FRAG_STAT_held), 5);
	assert_int_equal(sl_frag_stat(&s, SL_FRAG_STAT_overlap), 9);
	assert_int_equal(sl_frag_stat(&s, SL_FRAG_STAT_held_now_bytes), 11);
	assert_int_equal(sl_frag_stat(&s, SL_FRAG_STAT_MAX), 0);
	for (unsigned int c = 0; c < SL_FRAG_STAT_MAX; c++) {
		assert_non_null(sl_frag_stat_name(c));
		for (unsigned int d = 0; d < c; d++)
			assert_string_not_equal(sl_frag_stat_name(c), sl_frag_stat_name(d));
	}
}

static void
test_bad_args(void **state)
{
	struct sl_frag_limits l = default_limits();

	(void)state;
	assert_null(sl_frag_create(NULL, &l, 0));
	assert_int_equal(rte_errno, EINVAL);
	assert_null(sl_frag_create("frag_bad", NULL, 0));
	assert_int_equal(rte_errno, EINVAL);
	l.entries = 4;
	assert_null(sl_frag_create("frag_bad", &l, 0));
	assert_int_equal(rte_errno, EINVAL);
	l = default_limits();
	l.n_tenants = 0;
	assert_null(sl_frag_create("frag_bad", &l, 0));
	assert_int_equal(rte_errno, EINVAL);
	/* names are unique */
	l = default_limits();
	struct sl_frag_table *t = sl_frag_create("frag_dup", &l, 0);
	assert_non_null(t);
	assert_null(sl_frag_create("frag_dup", &l, 0));
	sl_frag_free(t, NULL, NULL);
	sl_frag_free(NULL, on_free, &sink);
}

/* First, then the others: every fragment goes straight to the member. */
static void
test_in_order(void **state)
{
	struct sl_frag_limits l = default_limits();
	struct sl_frag_table *t = make_table(&l);
	struct sl_frag_key k;
	uint32_t m;

	(void)state;
	make_key(&k, 1, 4242, 17);
	assert_int_equal(first(t, &k, 7, 1480, true, 10), SL_FRAG_SEND);
	assert_int_equal(sink.n_rel, 0);
	for (int i = 1; i < 5; i++) {
		assert_int_equal(other(t, &k, i, 1480u * i, 1480, i < 4, 10 + i, &m), SL_FRAG_SEND);
		assert_int_equal(m, 7);
	}
	const struct sl_frag_stats *s = sl_frag_get_stats(t);
	assert_int_equal(s->datagrams, 1);
	assert_int_equal(s->sent, 4);
	assert_int_equal(s->held, 0);
	assert_int_equal(s->overlap + s->tiny + s->oversized + s->bad_length, 0);
	assert_int_equal(sl_frag_count(t), 1);
	check_ledger(t, 4);
	free_table(t);
	assert_int_equal(sink.n_freed, 0);
}

/* Others first: held, released in arrival order before the first is sent. */
static void
test_reversed(void **state)
{
	struct sl_frag_limits l = default_limits();
	struct sl_frag_table *t = make_table(&l);
	struct sl_frag_key k;
	uint32_t m;

	(void)state;
	make_key(&k, 2, 9, 6);
	for (int i = 4; i >= 1; i--)
		assert_int_equal(other(t, &k, i, 1480u * i, 1480, i < 4, 100 - i, NULL),
				 SL_FRAG_HELD);
	const struct sl_frag_stats *s = sl_frag_get_stats(t);
	assert_int_equal(s->held, 4);
	assert_int_equal(s->held_now_pkts, 4);
	assert_int_equal(s->held_now_bytes, 4 * 1480);
	assert_int_equal(sl_frag_tenant_held(t, 2), 4);
	assert_int_equal(sl_frag_tenant_held(t, 1), 0);
	assert_int_equal(sink.n_rel, 0);

	assert_int_equal(first(t, &k, 3, 1480, true, 100), SL_FRAG_SEND);
	assert_int_equal(sink.n_rel, 4);
	for (unsigned int i = 0; i < 4; i++) {
		assert_int_equal(sink.rel_id[i], 4 - (int)i); /* arrival order */
		assert_int_equal(sink.rel_member[i], 3);
	}
	assert_int_equal(s->released_matched, 4);
	assert_int_equal(s->held_now_pkts, 0);
	assert_int_equal(s->held_now_bytes, 0);
	assert_int_equal(sl_frag_tenant_held(t, 2), 0);
	assert_int_equal(s->overlap, 0);
	/* a late duplicate of the last fragment now goes straight out, as an overlap */
	assert_int_equal(other(t, &k, 5, 1480 * 4, 1480, false, 101, &m), SL_FRAG_SEND);
	assert_int_equal(m, 3);
	assert_int_equal(s->overlap, 1);
	assert_int_equal(s->datagrams, 1);
	check_ledger(t, 5);
	free_table(t);
	assert_int_equal(sink.n_freed, 0);
}

/* Several datagrams, fragments interleaved, firsts at different times. */
static void
test_interleaved(void **state)
{
	struct sl_frag_limits l = default_limits();
	struct sl_frag_table *t = make_table(&l);
	struct sl_frag_key k[4];
	uint32_t m;
	uint64_t now = 0, calls = 0;

	(void)state;
	for (uint32_t d = 0; d < 4; d++)
		make_key(&k[d], 0, 1000 + d, 17);
	/* datagram 0's first arrives at once; the others' firsts come late */
	first(t, &k[0], 10, 1480, true, now++);
	for (uint32_t f = 1; f <= 3; f++) {
		for (uint32_t d = 0; d < 4; d++) {
			enum sl_frag_verdict v = other(t, &k[d], (int)(d * 10 + f), 1480 * f, 1480,
						       f < 3, now++, &m);
			calls++;
			if (d == 0 || (d == 2 && f == 3)) {
				assert_int_equal(v, SL_FRAG_SEND);
				assert_int_equal(m, 10 + d);
			} else {
				assert_int_equal(v, SL_FRAG_HELD);
			}
		}
		if (f == 2) {
			first(t, &k[2], 12, 1480, true, now++);
			assert_int_equal(sink.n_rel, 2);
			assert_int_equal(sink.rel_id[0], 21);
			assert_int_equal(sink.rel_id[1], 22);
			assert_int_equal(sink.rel_member[0], 12);
		}
	}
	/* datagram 2 was matched after fragment 2: fragment 3 was sent */
	assert_int_equal(sl_frag_get_stats(t)->sent, 3 + 1);
	assert_int_equal(sl_frag_get_stats(t)->held_now_pkts, 6);
	sink_reset();
	first(t, &k[3], 13, 1480, true, now++);
	first(t, &k[1], 11, 1480, true, now++);
	int want[] = { 31, 32, 33, 11, 12, 13 };
	assert_int_equal(sink.n_rel, 6);
	for (unsigned int i = 0; i < 6; i++) {
		assert_int_equal(sink.rel_id[i], want[i]);
		assert_int_equal(sink.rel_member[i], (uint32_t)(10 + want[i] / 10));
	}
	assert_int_equal(sl_frag_get_stats(t)->datagrams, 4);
	assert_int_equal(sl_frag_count(t), 4);
	check_ledger(t, calls);
	free_table(t);
	assert_int_equal(sink.n_freed, 0);
}

/* First fragment lost: the others go out unmatched after hold_tsc. */
static void
test_first_lost(void **state)
{
	struct sl_frag_limits l = default_limits();
	struct sl_frag_table *t = make_table(&l);
	struct sl_frag_key k, k2;
	const struct sl_frag_stats *s = sl_frag_get_stats(t);

	(void)state;
	make_key(&k, 0, 5, 17);
	make_key(&k2, 0, 6, 17);
	assert_int_equal(other(t, &k, 1, 1480, 1480, true, 1000, NULL), SL_FRAG_HELD);
	assert_int_equal(other(t, &k, 3, 4440, 100, false, 1010, NULL), SL_FRAG_HELD);
	assert_int_equal(other(t, &k, 2, 2960, 1480, true, 1020, NULL), SL_FRAG_HELD);
	/* a second datagram that arrives later */
	assert_int_equal(other(t, &k2, 9, 1480, 1480, true, 1050, NULL), SL_FRAG_HELD);
	/* the oldest has waited exactly hold_tsc: not yet */
	assert_int_equal(sl_frag_age(t, 1100, 1024, on_unmatched, &sink), 0);
	assert_int_equal(sink.n_unm, 0);
	/* one tick later datagram k goes, k2 (oldest at 1050) stays */
	assert_int_equal(sl_frag_age(t, 1101, 1024, on_unmatched, &sink), 1);
	assert_int_equal(sink.n_unm, 3);
	assert_int_equal(sink.unm_id[0], 1);
	assert_int_equal(sink.unm_id[1], 3);
	assert_int_equal(sink.unm_id[2], 2);
	assert_int_equal(s->released_unmatched, 3);
	assert_int_equal(s->held_now_pkts, 1);
	assert_int_equal(s->held_now_bytes, 1480);
	assert_int_equal(sl_frag_tenant_held(t, 0), 1);
	assert_int_equal(sl_frag_count(t), 1);
	assert_int_equal(s->expired, 0);
	/* the entry is gone: a late fragment is held again, a late first finds no one */
	assert_int_equal(other(t, &k, 4, 5920, 8, false, 1102, NULL), SL_FRAG_HELD);
	assert_int_equal(first(t, &k, 1, 1480, true, 1103), SL_FRAG_SEND);
	assert_int_equal(sink.n_rel, 1);
	assert_int_equal(sink.rel_id[0], 4);
	assert_int_equal(sl_frag_age(t, 1151, 1024, on_unmatched, &sink), 1);
	assert_int_equal(sink.unm_id[3], 9);
	assert_int_equal(s->held_now_pkts, 0);
	check_ledger(t, 5);
	free_table(t);
	assert_int_equal(sink.n_freed, 0);
}

static void
test_limit_worker_pkts(void **state)
{
	struct sl_frag_limits l = default_limits();
	struct sl_frag_table *t;
	struct sl_frag_key k;
	const struct sl_frag_stats *s;

	(void)state;
	l.max_held_pkts = 4;
	t = make_table(&l);
	s = sl_frag_get_stats(t);
	for (uint32_t i = 0; i < 4; i++) {
		make_key(&k, 0, i, 17);
		assert_int_equal(other(t, &k, (int)i, 8, 8, true, 0, NULL), SL_FRAG_HELD);
	}
	make_key(&k, 0, 99, 17);
	assert_int_equal(other(t, &k, 99, 8, 8, true, 0, NULL), SL_FRAG_UNMATCHED);
	assert_int_equal(s->limit_worker_pkts, 1);
	assert_int_equal(s->unmatched_limit, 1);
	assert_int_equal(sl_frag_count(t), 4); /* no entry for a refused datagram */
	/* a first frees slots: holding works again */
	make_key(&k, 0, 2, 17);
	first(t, &k, 1, 8, true, 1);
	assert_int_equal(sink.n_rel, 1);
	make_key(&k, 0, 99, 17);
	assert_int_equal(other(t, &k, 99, 8, 8, true, 2, NULL), SL_FRAG_HELD);
	check_ledger(t, 6);
	free_table(t);
	assert_int_equal(sink.n_freed, 4);

	/* max_held_pkts 0: never hold */
	l.max_held_pkts = 0;
	t = make_table(&l);
	assert_int_equal(other(t, &k, 1, 8, 8, true, 0, NULL), SL_FRAG_UNMATCHED);
	assert_int_equal(sl_frag_get_stats(t)->limit_worker_pkts, 1);
	first(t, &k, 4, 8, true, 1);
	uint32_t m;
	assert_int_equal(other(t, &k, 2, 16, 8, false, 2, &m), SL_FRAG_SEND);
	assert_int_equal(m, 4);
	free_table(t);
}

static void
test_limit_worker_bytes(void **state)
{
	struct sl_frag_limits l = default_limits();
	struct sl_frag_table *t;
	struct sl_frag_key k;
	const struct sl_frag_stats *s;

	(void)state;
	l.max_held_bytes = 3000;
	t = make_table(&l);
	s = sl_frag_get_stats(t);
	make_key(&k, 0, 1, 17);
	assert_int_equal(other(t, &k, 1, 1480, 1480, true, 0, NULL), SL_FRAG_HELD);
	make_key(&k, 0, 2, 17);
	assert_int_equal(other(t, &k, 2, 1480, 1480, true, 0, NULL), SL_FRAG_HELD);
	assert_int_equal(other(t, &k, 3, 2960, 1480, true, 0, NULL), SL_FRAG_UNMATCHED);
	assert_int_equal(s->limit_worker_bytes, 1);
	assert_int_equal(s->held_now_bytes, 2960);
	/* a smaller one still fits (exactly up to the cap) */
	assert_int_equal(other(t, &k, 4, 4440, 40, false, 0, NULL), SL_FRAG_HELD);
	assert_int_equal(s->held_now_bytes, 3000);
	assert_int_equal(other(t, &k, 5, 2960, 8, true, 0, NULL), SL_FRAG_UNMATCHED);
	assert_int_equal(s->limit_worker_bytes, 2);
	assert_int_equal(s->unmatched_limit, 2);
	check_ledger(t, 5);
	free_table(t);
	assert_int_equal(sink.n_freed, 3);
}

static void
test_limit_tenant(void **state)
{
	struct sl_frag_limits l = default_limits();
	struct sl_frag_table *t;
	struct sl_frag_key k;
	const struct sl_frag_stats *s;

	(void)state;
	l.tenant_max_held_pkts = 2;
	t = make_table(&l);
	s = sl_frag_get_stats(t);
	make_key(&k, 1, 1, 17);
	assert_int_equal(other(t, &k, 1, 8, 8, true, 0, NULL), SL_FRAG_HELD);
	make_key(&k, 1, 2, 17);
	assert_int_equal(other(t, &k, 2, 8, 8, true, 0, NULL), SL_FRAG_HELD);
	assert_int_equal(other(t, &k, 3, 16, 8, true, 0, NULL), SL_FRAG_UNMATCHED);
	assert_int_equal(s->limit_tenant, 1);
	/* another tenant is not affected */
	make_key(&k, 3, 2, 17);
	assert_int_equal(other(t, &k, 4, 8, 8, true, 0, NULL), SL_FRAG_HELD);
	assert_int_equal(sl_frag_tenant_held(t, 1), 2);
	assert_int_equal(sl_frag_tenant_held(t, 3), 1);
	/* a tenant out of range is never held */
	make_key(&k, 4, 2, 17);
	assert_int_equal(other(t, &k, 5, 8, 8, true, 0, NULL), SL_FRAG_UNMATCHED);
	assert_int_equal(s->limit_tenant, 2);
	assert_int_equal(sl_frag_tenant_held(t, 4), 0);
	/* once released, tenant 1 may hold again */
	make_key(&k, 1, 1, 17);
	first(t, &k, 0, 8, true, 1);
	make_key(&k, 1, 2, 17);
	assert_int_equal(other(t, &k, 6, 16, 8, true, 0, NULL), SL_FRAG_HELD);
	check_ledger(t, 6);
	free_table(t);
	assert_int_equal(sink.n_freed, 3);
}

static void
test_limit_datagram(void **state)
{
	struct sl_frag_limits l = default_limits();
	struct sl_frag_table *t;
	struct sl_frag_key k;
	const struct sl_frag_stats *s;

	(void)state;
	l.max_held_per_datagram = 3;
	t = make_table(&l);
	s = sl_frag_get_stats(t);
	make_key(&k, 0, 1, 17);
	for (int i = 1; i <= 3; i++)
		assert_int_equal(other(t, &k, i, 8u * i, 8, true, 0, NULL), SL_FRAG_HELD);
	assert_int_equal(other(t, &k, 4, 32, 8, true, 0, NULL), SL_FRAG_UNMATCHED);
	assert_int_equal(s->limit_datagram, 1);
	make_key(&k, 0, 2, 17);
	assert_int_equal(other(t, &k, 5, 8, 8, true, 0, NULL), SL_FRAG_HELD);
	check_ledger(t, 5);
	free_table(t);
	assert_int_equal(sink.n_freed, 4);

	l.max_held_per_datagram = 0;
	t = make_table(&l);
	assert_int_equal(other(t, &k, 1, 8, 8, true, 0, NULL), SL_FRAG_UNMATCHED);
	assert_int_equal(sl_frag_get_stats(t)->limit_datagram, 1);
	assert_int_equal(sl_frag_count(t), 0);
	free_table(t);
}

static void
test_table_full(void **state)
{
	struct sl_frag_limits l = default_limits();
	struct sl_frag_table *t;
	struct sl_frag_key k;
	const struct sl_frag_stats *s;
	unsigned int held = 0, refused = 0;

	(void)state;
	l.entries = 8;
	l.max_held_pkts = 1000;
	l.tenant_max_held_pkts = 1000;
	t = make_table(&l);
	s = sl_frag_get_stats(t);
	for (uint32_t i = 0; i < 100; i++) {
		make_key(&k, 0, i, 17);
		if (other(t, &k, (int)i, 8, 8, true, 0, NULL) == SL_FRAG_HELD)
			held++;
		else
			refused++;
	}
	assert_true(held <= 8);
	assert_true(held >= 4);
	assert_int_equal(s->table_full, refused);
	assert_int_equal(s->unmatched_limit, refused);
	assert_int_equal(sl_frag_count(t), held);
	/* a first fragment of an unknown datagram is sent untracked */
	make_key(&k, 0, 5000, 17);
	assert_int_equal(first(t, &k, 1, 8, true, 0), SL_FRAG_SEND);
	assert_int_equal(s->first_untracked, 1);
	/* aging makes room */
	assert_int_equal(sl_frag_age(t, 1000, 8, on_unmatched, &sink), held);
	assert_int_equal(sink.n_unm, held);
	assert_int_equal(first(t, &k, 1, 8, true, 1000), SL_FRAG_SEND);
	assert_int_equal(s->first_untracked, 1);
	assert_int_equal(sl_frag_count(t), 1);
	check_ledger(t, 100);
	free_table(t);
	assert_int_equal(sink.n_freed, 0);
}

static void
test_overlap(void **state)
{
	struct sl_frag_limits l = default_limits();
	struct sl_frag_table *t = make_table(&l);
	struct sl_frag_key k;
	const struct sl_frag_stats *s = sl_frag_get_stats(t);
	uint32_t m;

	(void)state;
	make_key(&k, 0, 1, 17);
	first(t, &k, 2, 1480, true, 0);
	assert_int_equal(other(t, &k, 1, 1480, 1480, true, 0, &m), SL_FRAG_SEND);
	assert_int_equal(s->overlap, 0);
	/* inside an earlier fragment: counted, still sent */
	assert_int_equal(other(t, &k, 2, 2000, 400, true, 0, &m), SL_FRAG_SEND);
	assert_int_equal(s->overlap, 1);
	/* straddling the end of the known range */
	assert_int_equal(other(t, &k, 3, 2952, 16, true, 0, &m), SL_FRAG_SEND);
	assert_int_equal(s->overlap, 2);
	/* exact duplicate */
	assert_int_equal(other(t, &k, 4, 1480, 1480, true, 0, &m), SL_FRAG_SEND);
	assert_int_equal(s->overlap, 3);
	/* adjacent is fine */
	assert_int_equal(other(t, &k, 5, 2960, 1480, false, 0, &m), SL_FRAG_SEND);
	assert_int_equal(s->overlap, 3);

	/* a long in-order train coalesces into one range: a late overlap is still seen */
	make_key(&k, 0, 2, 17);
	first(t, &k, 2, 1480, true, 0);
	for (uint32_t f = 1; f < 40; f++)
		other(t, &k, (int)f, 1480 * f, 1480, true, 0, NULL);
	assert_int_equal(s->overlap, 3);
	other(t, &k, 99, 1480 * 30 + 8, 8, true, 0, NULL);
	assert_int_equal(s->overlap, 4);

	/* held fragments are checked too, and against the first when it comes */
	make_key(&k, 0, 3, 6);
	assert_int_equal(other(t, &k, 1, 8, 1472, true, 0, NULL), SL_FRAG_HELD);
	assert_int_equal(s->overlap, 4);
	first(t, &k, 2, 1480, true, 0); /* TCP header overwrite: offset 8 < 1480 */
	assert_int_equal(s->overlap, 5);

	/* gaps: two ranges filled by the piece between them merge */
	make_key(&k, 0, 4, 17);
	first(t, &k, 2, 8, true, 0);
	other(t, &k, 1, 16, 8, true, 0, NULL);
	other(t, &k, 2, 8, 8, true, 0, NULL); /* [0,24) is one range now */
	assert_int_equal(s->overlap, 5);
	other(t, &k, 3, 4, 16, true, 0, NULL);
	assert_int_equal(s->overlap, 6);

	/* beyond 8 disjoint ranges, new ranges are no longer recorded */
	make_key(&k, 0, 5, 17);
	for (uint32_t r = 0; r < 9; r++)
		other(t, &k, (int)r, 1 + 16 * r * 8, 8, true, 0, NULL);
	assert_int_equal(s->overlap, 6);
	other(t, &k, 10, 1 + 16 * 3 * 8, 8, true, 0, NULL); /* the 4th: recorded */
	assert_int_equal(s->overlap, 7);
	other(t, &k, 11, 1 + 16 * 8 * 8, 8, true, 0, NULL); /* the 9th: not recorded */
	assert_int_equal(s->overlap, 7);
	free_table(t);
}

static void
test_tiny_oversized_bad_length(void **state)
{
	struct sl_frag_limits l = default_limits();
	struct sl_frag_table *t = make_table(&l);
	struct sl_frag_key k;
	const struct sl_frag_stats *s = sl_frag_get_stats(t);
	uint32_t m;

	(void)state;
	make_key(&k, 0, 1, 6);
	/* RFC 1858: a TCP first fragment too short for the flags */
	first(t, &k, 1, 8, true, 0);
	assert_int_equal(s->tiny, 1);
	assert_int_equal(s->bad_length, 0);
	/* a non-last fragment under 8 bytes: tiny and badly sized, still sent */
	assert_int_equal(other(t, &k, 1, 8, 4, true, 0, &m), SL_FRAG_SEND);
	assert_int_equal(m, 1);
	assert_int_equal(s->tiny, 2);
	assert_int_equal(s->bad_length, 1);
	/* a short last fragment is normal */
	other(t, &k, 2, 16, 3, false, 0, NULL);
	assert_int_equal(s->tiny, 2);
	assert_int_equal(s->bad_length, 1);
	/* a 16-byte TCP first, a short UDP first are not tiny */
	make_key(&k, 0, 2, 6);
	first(t, &k, 1, 16, true, 0);
	make_key(&k, 0, 3, 17);
	first(t, &k, 1, 8, true, 0);
	assert_int_equal(s->tiny, 2);
	/* bad length: non-last not a multiple of 8 */
	other(t, &k, 3, 8, 1001, true, 0, NULL);
	assert_int_equal(s->bad_length, 2);
	other(t, &k, 4, 1016, 1001, false, 0, NULL);
	assert_int_equal(s->bad_length, 2);
	/* oversized: past 65535 bytes */
	make_key(&k, 0, 4, 17);
	assert_int_equal(other(t, &k, 5, 65520, 15, false, 0, NULL), SL_FRAG_HELD);
	assert_int_equal(s->oversized, 0);
	assert_int_equal(other(t, &k, 6, 65528, 16, false, 0, NULL), SL_FRAG_HELD);
	assert_int_equal(s->oversized, 1);
	/* counted even when refused (more bytes than max_held_bytes) */
	assert_int_equal(other(t, &k, 7, 65528, UINT32_MAX, false, 0, NULL), SL_FRAG_UNMATCHED);
	assert_int_equal(s->oversized, 2);
	assert_int_equal(s->limit_worker_bytes, 1);
	first(t, &k, 1, 65536, true, 0);
	assert_int_equal(s->oversized, 3);
	assert_int_equal(sink.n_rel, 2);
	/* [0, 65535] does overlap the held [65520, 65535) */
	assert_int_equal(s->overlap, 1);
	free_table(t);
}

static void
test_duplicate_first(void **state)
{
	struct sl_frag_limits l = default_limits();
	struct sl_frag_table *t = make_table(&l);
	struct sl_frag_key k;
	const struct sl_frag_stats *s = sl_frag_get_stats(t);
	uint32_t m;

	(void)state;
	make_key(&k, 0, 1, 17);
	first(t, &k, 1, 1480, true, 0);
	assert_int_equal(s->duplicate_first, 0);
	assert_int_equal(first(t, &k, 1, 1480, true, 1), SL_FRAG_SEND);
	assert_int_equal(s->duplicate_first, 1);
	assert_int_equal(s->overlap, 1);
	/* a first naming another member moves the datagram */
	first(t, &k, 6, 1480, true, 2);
	assert_int_equal(s->duplicate_first, 2);
	assert_int_equal(other(t, &k, 1, 1480, 1480, false, 3, &m), SL_FRAG_SEND);
	assert_int_equal(m, 6);
	assert_int_equal(s->datagrams, 1);
	free_table(t);
}

/* A member is remembered entry_tsc after the datagram's last fragment. */
static void
test_entry_expiry(void **state)
{
	struct sl_frag_limits l = default_limits();
	struct sl_frag_table *t = make_table(&l);
	struct sl_frag_key k;
	const struct sl_frag_stats *s = sl_frag_get_stats(t);
	uint32_t m;

	(void)state;
	make_key(&k, 0, 1, 17);
	first(t, &k, 5, 1480, true, 0);
	assert_int_equal(other(t, &k, 1, 1480, 1480, true, 500, &m), SL_FRAG_SEND);
	assert_int_equal(sl_frag_age(t, 1500, 1024, on_unmatched, &sink), 0);
	assert_int_equal(other(t, &k, 2, 2960, 1480, true, 1500, &m), SL_FRAG_SEND);
	assert_int_equal(m, 5);
	assert_int_equal(sl_frag_age(t, 2500, 1024, on_unmatched, &sink), 0);
	assert_int_equal(sl_frag_age(t, 2501, 1024, on_unmatched, &sink), 1);
	assert_int_equal(s->expired, 1);
	assert_int_equal(sl_frag_count(t), 0);
	assert_int_equal(sink.n_unm, 0);
	/* forgotten: the next fragment waits for a first again */
	assert_int_equal(other(t, &k, 3, 4440, 1480, false, 2600, &m), SL_FRAG_HELD);

	/* the budget bounds the work; the cursor goes round */
	for (uint32_t i = 100; i < 200; i++) {
		make_key(&k, 0, i, 17);
		first(t, &k, 1, 8, true, 3000);
	}
	unsigned int one = sl_frag_age(t, 5000, 1, on_unmatched, &sink);
	assert_true(one <= 1);
	unsigned int total = one;
	for (int i = 0; i < 1024 && sl_frag_count(t) > 0; i++)
		total += sl_frag_age(t, 5000, 1, on_unmatched, &sink);
	assert_int_equal(total, 101);
	assert_int_equal(s->expired, 101);
	assert_int_equal(s->released_unmatched, 1);
	assert_int_equal(sink.n_unm, 1);
	assert_int_equal(sink.unm_id[0], 3);
	free_table(t);
}

/* sl_frag_free hands back every held packet. */
static void
test_free_releases(void **state)
{
	struct sl_frag_limits l = default_limits();
	struct sl_frag_table *t = make_table(&l);
	struct sl_frag_key k;
	int id = 0;

	(void)state;
	for (uint32_t d = 0; d < 3; d++) {
		make_key(&k, (uint16_t)d, d, 17);
		for (uint32_t f = 1; f <= 4; f++)
			assert_int_equal(other(t, &k, id++, 8 * f, 8, true, 0, NULL), SL_FRAG_HELD);
	}
	/* one datagram matched: its fragments leave before the free */
	make_key(&k, 1, 1, 17);
	first(t, &k, 0, 8, true, 0);
	assert_int_equal(sink.n_rel, 4);
	free_table(t);
	assert_int_equal(sink.n_freed, 8);
	/* in arrival order per datagram */
	assert_true((sink.freed_id[0] < sink.freed_id[1]) && (sink.freed_id[1] < sink.freed_id[2]));
}

/* Same addresses and id in two tenants, or reversed, are separate datagrams. */
static void
test_separate_datagrams(void **state)
{
	struct sl_frag_limits l = default_limits();
	struct sl_frag_table *t = make_table(&l);
	struct sl_frag_key k0, k1, kr;
	uint32_t m;

	(void)state;
	make_key(&k0, 0, 77, 17);
	make_key(&k1, 1, 77, 17);
	kr = k0;
	memcpy(kr.src, k0.dst, 16);
	memcpy(kr.dst, k0.src, 16);
	first(t, &k0, 3, 1480, true, 0);
	assert_int_equal(other(t, &k1, 1, 1480, 1480, false, 1, NULL), SL_FRAG_HELD);
	assert_int_equal(other(t, &kr, 2, 1480, 1480, false, 1, NULL), SL_FRAG_HELD);
	assert_int_equal(sink.n_rel, 0);
	first(t, &k1, 5, 1480, true, 2);
	assert_int_equal(sink.n_rel, 1);
	assert_int_equal(sink.rel_id[0], 1);
	assert_int_equal(sink.rel_member[0], 5);
	assert_int_equal(other(t, &k0, 3, 1480, 1480, false, 3, &m), SL_FRAG_SEND);
	assert_int_equal(m, 3);
	/* no overlap across datagrams */
	assert_int_equal(sl_frag_get_stats(t)->overlap, 0);
	assert_int_equal(sl_frag_get_stats(t)->datagrams, 3);
	free_table(t);
	assert_int_equal(sink.n_freed, 1);
	assert_int_equal(sink.freed_id[0], 2);
}

static uint64_t rng_state = 0x9876543210fedcbaull;

static uint64_t
rnd(void)
{
	return sl_test_rnd(&rng_state);
}

/*
 * Property: random trains in random order, some firsts lost, tight limits,
 * aging as the worker would do it. Every packet comes back exactly once; one
 * that reaches a member reaches its datagram's; the packets of a datagram
 * that reach its member keep their arrival order, and so do those released
 * unmatched after hold_tsc (a fragment refused by a limit may overtake held
 * ones: it goes back to the caller at once); the ledger holds throughout.
 */
#define P_DGRAMS 600
#define P_FRAGS 6

enum { BACK_MATCHED, BACK_TIMEOUT, BACK_REFUSED };

struct ptrack {
	int dgram[P_DGRAMS * P_FRAGS]; /* datagram of packet id */
	uint8_t seen[P_DGRAMS * P_FRAGS];
	int last[P_DGRAMS][2];         /* last id back, matched / timed out */
};

static struct ptrack pt;

static void
p_back(int id, int how)
{
	int d = pt.dgram[id];

	assert_int_equal(pt.seen[id], 0);
	pt.seen[id] = 1;
	if (how == BACK_REFUSED)
		return;
	/* ids are assigned in arrival order */
	assert_true(id > pt.last[d][how]);
	pt.last[d][how] = id;
}

static void
p_release(void *pkt, uint32_t member, void *arg)
{
	int id = ((struct fpkt *)pkt)->id;

	(void)arg;
	assert_int_equal(member, (uint32_t)pt.dgram[id] * 7 % 13);
	p_back(id, BACK_MATCHED);
	free(pkt);
}

static void
p_unmatched(void *pkt, void *arg)
{
	(void)arg;
	p_back(((struct fpkt *)pkt)->id, BACK_TIMEOUT);
	free(pkt);
}

static void
test_random_property(void **state)
{
	struct sl_frag_limits l = default_limits();
	struct sl_frag_table *t;
	struct sl_frag_key keys[P_DGRAMS];
	int order[P_DGRAMS * P_FRAGS];
	int n = 0, next_id = 0;
	uint64_t now = 0, other_calls = 0;

	(void)state;
	l.entries = 256;
	l.max_held_pkts = 200;
	l.max_held_bytes = 200 * 1000;
	l.tenant_max_held_pkts = 120;
	l.max_held_per_datagram = 4;
	l.hold_tsc = 300;
	l.entry_tsc = 600;
	t = make_table(&l);
	memset(&pt, 0, sizeof(pt));
	for (int d = 0; d < P_DGRAMS; d++) {
		make_key(&keys[d], (uint16_t)(d % 3), (uint32_t)d, (d & 1) ? 17 : 6);
		pt.last[d][BACK_MATCHED] = pt.last[d][BACK_TIMEOUT] = -1;
		for (int f = 0; f < P_FRAGS; f++)
			order[n++] = d * P_FRAGS + f; /* (datagram, fragment) */
	}
	/* shuffle within a sliding window: trains overlap in time, locally reordered */
	for (int i = 0; i < n; i++) {
		int j = i + (int)(rnd() % 40);
		if (j >= n)
			j = n - 1;
		int x = order[i];
		order[i] = order[j];
		order[j] = x;
	}
	for (int i = 0; i < n; i++) {
		int d = order[i] / P_FRAGS, f = order[i] % P_FRAGS;
		uint32_t member = (uint32_t)d * 7 % 13, m;
		uint32_t hash = sl_frag_hash(t, &keys[d]);
		bool more = f < P_FRAGS - 1;

		now += 1 + rnd() % 3;
		if (f == 0) {
			if (d % 5 == 0)
				continue; /* first fragment lost */
			sl_frag_first(t, &keys[d], hash, member, 0, 1000, true, now, p_release,
				      NULL);
			continue;
		}
		int id = next_id++;
		pt.dgram[id] = d;
		struct fpkt *p = new_pkt(id);
		enum sl_frag_verdict v =
			sl_frag_other(t, &keys[d], hash, p, 1000u * (uint32_t)f,
				      more ? 1000 : 200, more, now, &m);
		other_calls++;
		if (v == SL_FRAG_SEND) {
			assert_int_equal(m, member);
			p_back(id, BACK_MATCHED);
			free(p);
		} else if (v == SL_FRAG_UNMATCHED) {
			p_back(id, BACK_REFUSED);
			free(p);
		}
		sl_frag_age(t, now, 8, p_unmatched, NULL);
		check_ledger(t, other_calls);
		assert_true(sl_frag_get_stats(t)->held_now_pkts <= l.max_held_pkts);
	}
	for (int i = 0; i < 1000; i++)
		sl_frag_age(t, now + 10000, 64, p_unmatched, NULL);
	const struct sl_frag_stats *s = sl_frag_get_stats(t);
	assert_int_equal(s->held_now_pkts, 0);
	assert_int_equal(s->held_now_bytes, 0);
	assert_int_equal(sl_frag_count(t), 0);
	assert_true(s->held > 0);
	assert_true(s->released_matched > 0);
	assert_true(s->released_unmatched > 0);
	assert_true(s->sent > 0);
	assert_true(s->limit_datagram > 0);
	assert_int_equal(s->overlap + s->tiny + s->oversized + s->bad_length +
				 s->duplicate_first, 0);
	for (int id = 0; id < next_id; id++)
		assert_int_equal(pt.seen[id], 1);
	for (unsigned int tn = 0; tn < l.n_tenants; tn++)
		assert_int_equal(sl_frag_tenant_held(t, (uint16_t)tn), 0);
	sl_frag_free(t, on_free, &sink);
	assert_int_equal(sink.n_freed, 0);
}

int
main(void)
{
	char *eal[] = { "test_frag", "--no-huge", "--no-pci", "--no-shconf", "--no-telemetry", "-m", "512",
			"--log-level=lib.eal:error", "-l", "0", "--file-prefix=sl_test_frag" };
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_layout),
		cmocka_unit_test(test_stat_names),
		cmocka_unit_test(test_bad_args),
		cmocka_unit_test(test_in_order),
		cmocka_unit_test(test_reversed),
		cmocka_unit_test(test_interleaved),
		cmocka_unit_test(test_first_lost),
		cmocka_unit_test(test_limit_worker_pkts),
		cmocka_unit_test(test_limit_worker_bytes),
		cmocka_unit_test(test_limit_tenant),
		cmocka_unit_test(test_limit_datagram),
		cmocka_unit_test(test_table_full),
		cmocka_unit_test(test_overlap),
		cmocka_unit_test(test_tiny_oversized_bad_length),
		cmocka_unit_test(test_duplicate_first),
		cmocka_unit_test(test_entry_expiry),
		cmocka_unit_test(test_free_releases),
		cmocka_unit_test(test_separate_datagrams),
		cmocka_unit_test(test_random_property),
	};

	if (rte_eal_init((int)(sizeof(eal) / sizeof(eal[0])), eal) < 0)
		return 1;
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	sl_test_eal_done();
	return rc;
}
