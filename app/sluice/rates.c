/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Rates: how much each counter grew over the last window, per second.
 *
 * A window starts with a copy of the aggregate's sums and ends when it is
 * rolled: the deltas since the copy and the window's length (from the
 * snapshots' TSC stamps, not the wall clock) become the current rates and a
 * new window starts. The control thread owns both windows: "live" (rolled by
 * the snapshot that ends at least SL_RATE_LIVE_MS after its start, read by
 * telemetry and /metrics under agg_lock) and "line" (rolled by each stats
 * line, read by the control thread alone). Gauges have no meaningful rate:
 * callers ask only for monotonic counters.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ops.h"

struct sl_rates {
	size_t n;
	uint64_t *base;     /* sums at the start of the current window */
	uint64_t base_tsc;
	uint64_t *delta;    /* growth over the last completed window */
	double secs;        /* its length; 0 = none completed yet */
};

struct sl_rates *
sl_rates_create(size_t n)
{
	struct sl_rates *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	r->n = n;
	r->base = calloc(n ? n : 1, sizeof(uint64_t));
	r->delta = calloc(n ? n : 1, sizeof(uint64_t));
	if (r->base == NULL || r->delta == NULL) {
		sl_rates_free(r);
		return NULL;
	}
	return r;
}

void
sl_rates_free(struct sl_rates *r)
{
	if (r == NULL)
		return;
	free(r->base);
	free(r->delta);
	free(r);
}

void
sl_rates_start(struct sl_rates *r, uint64_t tsc)
{
	memset(r->base, 0, r->n * sizeof(uint64_t));
	memset(r->delta, 0, r->n * sizeof(uint64_t));
	r->base_tsc = tsc;
	r->secs = 0;
}

bool
sl_rates_roll(struct sl_rates *r, const uint64_t *sum, uint64_t tsc, uint64_t hz,
	      uint64_t min_tsc)
{
	if (tsc <= r->base_tsc || tsc - r->base_tsc < min_tsc)
		return false;
	for (size_t i = 0; i < r->n; i++) {
		/* a gauge may shrink: its rate is not used, keep it 0 */
		r->delta[i] = sum[i] >= r->base[i] ? sum[i] - r->base[i] : 0;
		r->base[i] = sum[i];
	}
	r->secs = (double)(tsc - r->base_tsc) / (double)hz;
	r->base_tsc = tsc;
	return true;
}

double
sl_rates_interval(const struct sl_rates *r)
{
	return r != NULL ? r->secs : 0;
}

double
sl_rate(const struct sl_rates *r, size_t ix)
{
	if (r == NULL || r->secs <= 0 || ix >= r->n)
		return 0;
	return (double)r->delta[ix] / r->secs;
}

json_t *
sl_rate_json(double v)
{
	/* three decimals (rates are never negative): enough below 1 pps */
	return json_real((double)(uint64_t)(v * 1000.0 + 0.5) / 1000.0);
}
