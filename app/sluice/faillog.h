/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Failures of a destination (a record sink, the stats file) logged once per
 * kind and then rate-limited: a new errno is logged at once; the same one
 * again at most every SL_FAILLOG_NS, with the count since the last message;
 * the first success after failures once. Control thread only.
 */
#ifndef SL_FAILLOG_H
#define SL_FAILLOG_H

#include <stdbool.h>
#include <stdint.h>

#define SL_FAILLOG_NS (10ull * 1000000000ull)

struct sl_faillog {
	int err;            /* errno of the last failure logged, 0 = none */
	uint64_t pending;   /* failures since the last message */
	uint64_t total;     /* failures since the last success */
	uint64_t last_ns;   /* when the last message was logged */
};

/*
 * Count @p n failures of errno @p err at CLOCK_MONOTONIC time @p now. True
 * when a message is due; *count then receives the failures it reports
 * (and they are no longer pending).
 */
static inline bool
sl_faillog_failed(struct sl_faillog *f, int err, uint64_t n, uint64_t now, uint64_t *count)
{
	f->pending += n;
	f->total += n;
	if (err == f->err && now - f->last_ns < SL_FAILLOG_NS)
		return false;
	f->err = err;
	f->last_ns = now;
	*count = f->pending;
	f->pending = 0;
	return true;
}

/* A success. True once after failures (log the recovery); *count receives
 * the failures since the last success. */
static inline bool
sl_faillog_ok(struct sl_faillog *f, uint64_t *count)
{
	if (f->err == 0)
		return false;
	*count = f->total;
	*f = (struct sl_faillog){ 0 };
	return true;
}

#endif /* SL_FAILLOG_H */
