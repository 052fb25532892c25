/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tenant packet capture, the data path's side: where a packet of a tenant
 * is received, dropped, filtered or bypassed, one call asks whether that
 * tenant is being captured: while no tenant is, one load of a count
 * (app->cap_live) and nothing else; then a byte per tenant slot, read
 * relaxed. When it is, capture.c copies the
 * packet (bounded pool, snaplen) onto the worker's capture ring for the
 * control thread; a copy that does not fit is counted lost, never waited
 * for.
 */
#ifndef SLUICE_CAPTURE_H
#define SLUICE_CAPTURE_H

#include <stdint.h>

#include <rte_branch_prediction.h>
#include <rte_mbuf.h>

#include "app.h"

/** What a capture may ask for: one bit each in app->cap_on[tenant]. */
enum sl_cap_kind {
	SL_CAP_ALL = 0,    /**< every packet of the tenant, as received */
	SL_CAP_DROPPED,    /**< dropped (reason: enum sl_drop) */
	SL_CAP_FILTERED,   /**< filtered (reason: enum sl_filter) */
	SL_CAP_BYPASSED,   /**< bypassed (counted in its flow, not forwarded) */
	SL_CAP_KINDS
};

/** Copy @p m for the capture of tenant slot @p tenant (capture.c). */
void sl_cap_copy(struct sl_app *app, uint16_t worker, const struct rte_mbuf *m,
		 uint16_t tenant, enum sl_cap_kind kind, uint16_t reason);

/**
 * The hook: before packet @p m of tenant slot @p tenant ends as @p kind
 * (with @p reason for drops and filters), copy it if that is being captured.
 */
static inline void
sl_cap(struct sl_app *app, uint16_t worker, const struct rte_mbuf *m, uint16_t tenant,
       enum sl_cap_kind kind, uint16_t reason)
{
	/* one call a received packet: the per-tenant test below was 7
	 * instructions a packet (docs/performance.md "One test for several") */
	if (likely(__atomic_load_n(&app->cap_live, __ATOMIC_RELAXED) == 0))
		return;
	const uint8_t *on = app->cap_on;

	if (on == NULL || tenant >= app->tenant_cap ||
	    (__atomic_load_n(&on[tenant], __ATOMIC_RELAXED) & (1u << kind)) == 0)
		return;
	if (m != NULL)
		sl_cap_copy(app, worker, m, tenant, kind, reason);
}

#endif /* SLUICE_CAPTURE_H */
