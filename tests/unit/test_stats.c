/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests: counter layout, names, seqlock snapshots, the ledger. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include <rte_eal.h>

#include "sl_frag.h"
#include "sl_parse.h"
#include "sl_stats.h"
#include "sl_test_eal.h"

/* lib/stats knows no other module: this test, like the app, passes the
 * sizes and names of the groups lib/parse and lib/frag own. */
#define SL_DROP_MAX (SL_DROP_PARSE_BASE + SL_PARSE_ERR_MAX - 1)

static void
layout_init(struct sl_stats_layout *l, uint32_t n_inputs, uint32_t n_tenants,
	    uint32_t n_members)
{
	const struct sl_stats_groups g = {
		.n_inputs = n_inputs,
		.n_tenants = n_tenants,
		.n_members = n_members,
		.n_parse_errs = SL_PARSE_ERR_MAX,
		.n_encap_types = SL_ENCAP_TYPE_MAX,
		.n_encap_errs = SL_ENCAP_ERR_MAX,
		.n_frag_stats = SL_FRAG_STAT_MAX,
		.parse_drop_name = sl_parse_drop_name,
	};

	sl_stats_layout_init(l, &g);
}

static void
test_layout(void **state)
{
	struct sl_stats_layout l;

	(void)state;
	layout_init(&l, 2, 3, 5);
	assert_int_equal(l.off_drop, SL_WC_MAX);
	assert_true(l.off_filter == l.off_drop + SL_DROP_MAX);
	assert_true(l.off_anomaly == l.off_filter + SL_FILTER_MAX);
	assert_true(l.off_encap == l.off_anomaly + SL_PARSE_ERR_MAX);
	assert_true(l.off_encap_err == l.off_encap + SL_ENCAP_TYPE_MAX);
	assert_true(l.off_frag == l.off_encap_err + SL_ENCAP_ERR_MAX);
	assert_true(l.off_input == l.off_frag + SL_FRAG_STAT_MAX);
	assert_true(l.off_tenant == l.off_input + 2 * SL_IC_MAX);
	assert_true(l.off_member == l.off_tenant + 3 * SL_TC_MAX);
	assert_true(l.total == l.off_member + 5 * SL_MC_MAX);
	/* the last counter of each block is inside the array */
	assert_true(sl_ix_member(&l, 4, SL_MC_MAX - 1) == l.total - 1);
	assert_true(sl_ix_tenant(&l, 2, SL_TC_MAX - 1) < l.off_member);
	assert_true(sl_ix_input(&l, 1, SL_IC_MAX - 1) < l.off_tenant);
}

static void
test_names(void **state)
{
	struct sl_stats_layout lay, *l = &lay;

	(void)state;
	layout_init(l, 1, 1, 1);
	assert_int_equal(l->n_drop, SL_DROP_MAX);
	assert_string_equal(sl_wc_name(SL_WC_RX_PACKETS), "rx_packets");
	assert_null(sl_wc_name(SL_WC_MAX));
	assert_string_equal(sl_drop_name(l, SL_DROP_NO_TENANT), "no_tenant");
	assert_string_equal(sl_drop_name(l, SL_DROP_TX_REFUSED), "tx_refused");
	assert_string_equal(sl_drop_name(l, sl_drop_of_parse_err(SL_PARSE_ERR_L2_TRUNCATED)),
			    "parse_l2_truncated");
	assert_string_equal(sl_drop_name(l, sl_drop_of_parse_err(SL_PARSE_ERR_MAX - 1)),
			    "parse_tcp_bad_data_offset");
	assert_null(sl_drop_name(l, SL_DROP_MAX));
	assert_string_equal(sl_filter_name(SL_FILTER_NON_IP), "non_ip");
	assert_string_equal(sl_tenant_c_name(SL_TC_FORWARDED), "forwarded");
	assert_string_equal(sl_member_c_name(SL_MC_TX_REFUSED), "tx_refused");
	assert_string_equal(sl_input_c_name(SL_IC_PACKETS), "received");
	/* every drop reason has a distinct name */
	for (unsigned int a = 0; a < SL_DROP_MAX; a++)
		for (unsigned int b = a + 1; b < SL_DROP_MAX; b++)
			assert_string_not_equal(sl_drop_name(l, a), sl_drop_name(l, b));
}

static void
test_block_publish_read(void **state)
{
	struct sl_stats_block *b = sl_stats_block_create(100, 0);
	uint64_t out[100];

	(void)state;
	assert_non_null(b);
	b->live[3] = 42;
	/* nothing published yet: readers see zeros, not the live value */
	sl_stats_block_read(b, out);
	assert_int_equal(out[3], 0);
	sl_stats_block_publish(b, 777);
	assert_int_equal(sl_stats_block_read(b, out), 777);
	assert_int_equal(out[3], 42);
	b->live[3] = 43;
	sl_stats_block_read(b, out);
	assert_int_equal(out[3], 42);
	sl_stats_block_free(b);
	sl_stats_block_free(NULL);
}

/* One worker's consistent counters for a given traffic outcome. */
static void
fill(const struct sl_stats_layout *l, uint64_t *c, uint64_t rx, uint64_t ring_in, uint64_t fwd,
     uint64_t filt, uint64_t drop_no_tenant, uint64_t handed, uint64_t buffered)
{
	memset(c, 0, l->total * sizeof(*c));
	c[SL_WC_RX_PACKETS] = rx;
	c[SL_WC_RING_IN] = ring_in;
	c[SL_WC_FORWARDED] = fwd;
	c[SL_WC_FILTERED] = filt;
	c[sl_ix_filter(l, SL_FILTER_NON_IP)] = filt;
	c[SL_WC_DROPPED] = drop_no_tenant;
	c[sl_ix_drop(l, SL_DROP_NO_TENANT)] = drop_no_tenant;
	c[SL_WC_HANDED_OFF] = handed;
	c[SL_WC_TX_BUFFERED] = buffered;
	c[sl_ix_member(l, 0, SL_MC_PACKETS)] = fwd;
}

static void
test_ledger(void **state)
{
	struct sl_stats_layout l;
	static uint64_t w0[4096], w1[4096], sum[4096];
	const uint64_t *snaps[2] = { w0, w1 };
	struct sl_ledger lg;

	(void)state;
	layout_init(&l, 1, 1, 1);
	assert_true(l.total < 4096);
	/* w0 reads 100: forwards 50, filters 5, drops 5, hands 40 to w1, of
	 * which w1 has taken 30 (10 still in its ring); w1 buffers 2. */
	fill(&l, w0, 100, 0, 50, 5, 5, 40, 0);
	fill(&l, w1, 0, 30, 28, 0, 0, 0, 2);
	sl_ledger_compute(&l, snaps, 2, &lg, sum);
	assert_true(lg.workers_balanced);
	assert_true(lg.members_match);
	assert_true(lg.drops_match);
	assert_int_equal(lg.received, 100);
	assert_int_equal(lg.forwarded, 78);
	assert_int_equal(lg.in_rings, 10);
	assert_int_equal(lg.tx_buffered, 2);
	assert_int_equal(lg.in_flight, 12);
	assert_true(lg.balanced);
	assert_int_equal(sum[SL_WC_FORWARDED], 78);

	/* a packet counted nowhere breaks the worker's own equation */
	w1[SL_WC_FORWARDED] = 27;
	w1[sl_ix_member(&l, 0, SL_MC_PACKETS)] = 27;
	sl_ledger_compute(&l, snaps, 2, &lg, NULL);
	assert_false(lg.workers_balanced);
	assert_false(lg.balanced);
	w1[SL_WC_FORWARDED] = 28;

	/* member counts that disagree with the total are caught */
	w1[sl_ix_member(&l, 0, SL_MC_PACKETS)] = 29;
	sl_ledger_compute(&l, snaps, 2, &lg, NULL);
	assert_true(lg.workers_balanced);
	assert_false(lg.members_match);
	assert_false(lg.balanced);
	w1[sl_ix_member(&l, 0, SL_MC_PACKETS)] = 28;

	/* a drop without a reason is caught */
	w0[sl_ix_drop(&l, SL_DROP_NO_TENANT)] = 4;
	sl_ledger_compute(&l, snaps, 2, &lg, NULL);
	assert_false(lg.drops_match);
	assert_false(lg.balanced);
	w0[sl_ix_drop(&l, SL_DROP_NO_TENANT)] = 5;

	/* more taken off rings than put on them cannot balance */
	fill(&l, w0, 100, 0, 60, 0, 0, 40, 0);
	fill(&l, w1, 0, 45, 45, 0, 0, 0, 0);
	sl_ledger_compute(&l, snaps, 2, &lg, NULL);
	assert_false(lg.balanced);

	/* fragments held for their first are in flight, not lost */
	fill(&l, w0, 100, 0, 60, 0, 0, 37, 0);
	w0[SL_WC_FRAG_HELD] = 3;
	fill(&l, w1, 0, 37, 37, 0, 0, 0, 0);
	sl_ledger_compute(&l, snaps, 2, &lg, NULL);
	assert_true(lg.balanced);
	assert_int_equal(lg.frag_held, 3);
	assert_int_equal(lg.in_flight, 3);
	w0[SL_WC_FRAG_HELD] = 0;
	sl_ledger_compute(&l, snaps, 2, &lg, NULL);
	assert_false(lg.balanced);

	/* at exit nothing is in flight */
	fill(&l, w0, 100, 0, 60, 0, 0, 40, 0);
	fill(&l, w1, 0, 40, 40, 0, 0, 0, 0);
	sl_ledger_compute(&l, snaps, 2, &lg, NULL);
	assert_true(lg.balanced);
	assert_int_equal(lg.in_flight, 0);
}

int
main(void)
{
	char *eal[] = { "test_stats", "--no-huge", "--no-pci", "--no-shconf", "--no-telemetry", "-m", "64",
			"--log-level=lib.eal:error", "-l", "0", "--file-prefix=sl_test_stats" };
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_block_publish_read),
		cmocka_unit_test(test_ledger),
	};

	if (rte_eal_init((int)(sizeof(eal) / sizeof(eal[0])), eal) < 0)
		return 1;
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	sl_test_eal_done();
	return rc;
}
