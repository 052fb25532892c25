/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Counter layout, seqlock-published snapshots and the ledger.
 */
#include <errno.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_malloc.h>

#include "sl_stats.h"

#define SL_X_NAME(e, s) s,
static const char *const wc_names[] = { SL_WORKER_COUNTERS(SL_X_NAME) };
static const char *const drop_names[] = { SL_DROP_REASONS(SL_X_NAME) };
static const char *const filter_names[] = { SL_FILTER_REASONS(SL_X_NAME) };
static const char *const input_names[] = { SL_INPUT_COUNTERS(SL_X_NAME) };
static const char *const tenant_names[] = { SL_TENANT_COUNTERS(SL_X_NAME) };
static const char *const member_names[] = { SL_MEMBER_COUNTERS(SL_X_NAME) };
#undef SL_X_NAME

const char *
sl_wc_name(unsigned int c)
{
	return c < RTE_DIM(wc_names) ? wc_names[c] : NULL;
}

const char *
sl_drop_name(const struct sl_stats_layout *l, unsigned int d)
{
	if (d < RTE_DIM(drop_names))
		return drop_names[d];
	if (d >= l->n_drop || l->parse_drop_name == NULL)
		return NULL;
	return l->parse_drop_name((int)(d - SL_DROP_PARSE_BASE + 1));
}

const char *
sl_filter_name(unsigned int f)
{
	return f < RTE_DIM(filter_names) ? filter_names[f] : NULL;
}

const char *
sl_input_c_name(unsigned int c)
{
	return c < RTE_DIM(input_names) ? input_names[c] : NULL;
}

const char *
sl_tenant_c_name(unsigned int c)
{
	return c < RTE_DIM(tenant_names) ? tenant_names[c] : NULL;
}

const char *
sl_member_c_name(unsigned int c)
{
	return c < RTE_DIM(member_names) ? member_names[c] : NULL;
}

void
sl_stats_layout_init(struct sl_stats_layout *l, const struct sl_stats_groups *g)
{
	RTE_BUILD_BUG_ON(RTE_DIM(drop_names) != SL_DROP_PARSE_BASE);
	memset(l, 0, sizeof(*l));
	l->n_inputs = g->n_inputs;
	l->n_tenants = g->n_tenants;
	l->n_members = g->n_members;
	l->n_drop = SL_DROP_PARSE_BASE + (g->n_parse_errs > 0 ? g->n_parse_errs - 1 : 0);
	l->n_anomaly = g->n_parse_errs;
	l->n_encap = g->n_encap_types;
	l->n_encap_err = g->n_encap_errs;
	l->n_frag = g->n_frag_stats;
	l->parse_drop_name = g->parse_drop_name;
	l->off_drop = SL_WC_MAX;
	l->off_filter = l->off_drop + l->n_drop;
	l->off_anomaly = l->off_filter + SL_FILTER_MAX;
	l->off_encap = l->off_anomaly + l->n_anomaly;
	l->off_encap_err = l->off_encap + l->n_encap;
	l->off_frag = l->off_encap_err + l->n_encap_err;
	l->off_input = l->off_frag + l->n_frag;
	l->off_tenant = l->off_input + (size_t)l->n_inputs * SL_IC_MAX;
	l->off_member = l->off_tenant + (size_t)l->n_tenants * SL_TC_MAX;
	l->total = l->off_member + (size_t)l->n_members * SL_MC_MAX;
}

struct sl_stats_block *
sl_stats_block_create(size_t n, int socket)
{
	struct sl_stats_block *b;

	b = rte_zmalloc_socket("sl_stats", sizeof(*b), RTE_CACHE_LINE_SIZE, socket);
	if (b == NULL)
		goto nomem;
	rte_seqlock_init(&b->lock);
	b->n = n;
	b->live = rte_zmalloc_socket("sl_stats_live", n * sizeof(uint64_t), RTE_CACHE_LINE_SIZE,
				     socket);
	b->snap = rte_zmalloc_socket("sl_stats_snap", n * sizeof(uint64_t), RTE_CACHE_LINE_SIZE,
				     socket);
	if (b->live == NULL || b->snap == NULL)
		goto nomem;
	return b;
nomem:
	sl_stats_block_free(b);
	rte_errno = ENOMEM;
	return NULL;
}

void
sl_stats_block_free(struct sl_stats_block *b)
{
	if (b == NULL)
		return;
	rte_free(b->live);
	rte_free(b->snap);
	rte_free(b);
}

void
sl_stats_block_publish(struct sl_stats_block *b, uint64_t now)
{
	rte_seqlock_write_lock(&b->lock);
	memcpy(b->snap, b->live, b->n * sizeof(uint64_t));
	b->published_tsc = now;
	rte_seqlock_write_unlock(&b->lock);
}

uint64_t
sl_stats_block_read(const struct sl_stats_block *b, uint64_t *out)
{
	uint32_t sn;
	uint64_t tsc;

	do {
		sn = rte_seqlock_read_begin(&b->lock);
		memcpy(out, b->snap, b->n * sizeof(uint64_t));
		tsc = b->published_tsc;
	} while (rte_seqlock_read_retry(&b->lock, sn));
	return tsc;
}

void
sl_ledger_compute(const struct sl_stats_layout *l, const uint64_t *const *snaps,
		  unsigned int n_workers, struct sl_ledger *out, uint64_t *sum)
{
	uint64_t handed = 0, ring_in = 0;

	memset(out, 0, sizeof(*out));
	out->workers_balanced = true;
	if (sum != NULL)
		memset(sum, 0, l->total * sizeof(uint64_t));
	for (unsigned int w = 0; w < n_workers; w++) {
		const uint64_t *c = snaps[w];
		uint64_t in = c[SL_WC_RX_PACKETS] + c[SL_WC_RING_IN] + c[SL_WC_COPIES];
		uint64_t outc = c[SL_WC_FORWARDED] + c[SL_WC_FILTERED] + c[SL_WC_DROPPED] +
				c[SL_WC_BYPASSED] +
				c[SL_WC_HANDED_OFF] + c[SL_WC_TX_BUFFERED] + c[SL_WC_FRAG_HELD];

		if (in != outc)
			out->workers_balanced = false;
		out->received += c[SL_WC_RX_PACKETS];
		out->forwarded += c[SL_WC_FORWARDED];
		out->filtered += c[SL_WC_FILTERED];
		out->dropped += c[SL_WC_DROPPED];
		out->bypassed += c[SL_WC_BYPASSED];
		out->copies += c[SL_WC_COPIES];
		out->tx_buffered += c[SL_WC_TX_BUFFERED];
		out->frag_held += c[SL_WC_FRAG_HELD];
		handed += c[SL_WC_HANDED_OFF];
		ring_in += c[SL_WC_RING_IN];
		if (sum != NULL)
			for (size_t i = 0; i < l->total; i++)
				sum[i] += c[i];
	}
	/* Packets another worker took off a ring must have been put there:
	 * with consumption held while snapshots are taken, handed >= ring_in. */
	bool rings_ok = handed >= ring_in;
	out->in_rings = rings_ok ? handed - ring_in : 0;
	out->in_flight = out->tx_buffered + out->frag_held + out->in_rings;

	uint64_t members = 0, drops = 0, filters = 0;
	for (unsigned int w = 0; w < n_workers; w++) {
		const uint64_t *c = snaps[w];
		for (uint32_t m = 0; m < l->n_members; m++)
			members += c[sl_ix_member(l, m, SL_MC_PACKETS)];
		for (unsigned int d = 0; d < l->n_drop; d++)
			drops += c[sl_ix_drop(l, d)];
		for (unsigned int f = 0; f < SL_FILTER_MAX; f++)
			filters += c[sl_ix_filter(l, f)];
	}
	out->members_match = members == out->forwarded;
	out->drops_match = drops == out->dropped && filters == out->filtered;
	out->balanced = rings_ok && out->workers_balanced && out->members_match &&
			out->drops_match &&
			out->received + out->copies == out->forwarded + out->filtered +
								out->dropped + out->bypassed +
								out->in_flight;
}
