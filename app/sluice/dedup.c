/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * De-duplication (lib/dedup): each worker has one table per tenant that
 * had dedup at start, made before the workers run. The flow stage asks it
 * about every IP packet of such a tenant on the worker that owns the
 * packet's flow, after any hand-off, so the copies of a packet meet in one
 * table: the owner is chosen from tenant, VLANs and addresses (rx.c), and
 * with RSS the NIC hashes addresses and ports, neither of which a TTL or
 * hop limit changes. A copy is dropped, counted duplicate.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <rte_errno.h>
#include <rte_mbuf.h>

#include "datapath.h"

/* lib/config bounds the table to what lib/dedup takes */
_Static_assert(SL_CFG_DEDUP_TABLE_MIN == SL_DEDUP_MIN_ENTRIES &&
		       SL_CFG_DEDUP_TABLE_MAX == SL_DEDUP_MAX_ENTRIES,
	       "dedup table bounds of lib/config and lib/dedup");

int
sl_dedup_worker_create(struct sl_app *app, struct sl_worker *w, int socket,
		       struct sl_cfg_error *err)
{
	const struct sl_tables *tb = app->tbl;
	const struct sl_cfg *cfg = tb->cfg;
	char name[32];

	for (uint16_t t = 0; t < cfg->n_tenants; t++) {
		const struct sl_cfg_tenant *ct = &cfg->tenants[t];
		uint16_t slot = tb->slot_of[t];

		if (ct->dedup.window_us == 0)
			continue;
		if (w->dedup == NULL) {
			w->dedup = calloc(app->tenant_cap, sizeof(*w->dedup));
			if (w->dedup == NULL)
				goto nomem;
		}
		snprintf(name, sizeof(name), "sl_dedup_%u_%u", w->idx, slot);
		w->dedup[slot] = sl_dedup_create(name, ct->dedup.table, socket);
		if (w->dedup[slot] == NULL) {
			char key[64];

			snprintf(key, sizeof(key), "tenants[%u].dedup", t);
			sl_config_error(cfg, err, ct->dedup.loc, key,
					"cannot allocate a dedup table of %u entries for worker %u: "
					"%s", ct->dedup.table, w->idx, rte_strerror(rte_errno));
			return -ENOMEM;
		}
	}
	return 0;
nomem:
	snprintf(err->msg, sizeof(err->msg), "%s: out of memory creating worker %u", cfg->path,
		 w->idx);
	return -ENOMEM;
}

void
sl_dedup_worker_free(struct sl_app *app, struct sl_worker *w)
{
	if (w->dedup == NULL)
		return;
	for (uint16_t t = 0; t < app->tenant_cap; t++)
		sl_dedup_free(w->dedup[t]);
	free(w->dedup);
	w->dedup = NULL;
}

void
sl_dedup_burst(struct sl_worker *w, struct rte_mbuf **pkts, struct sl_meta **mds, uint16_t n,
	       struct sl_dedup_burst *db)
{
	const struct sl_tables *tb = w->tbl;
	const uint32_t seed = w->app->cfg->hash_seed;

	for (uint16_t i = 0; i < n; i++) {
		const struct sl_meta *md = mds[i];
		const struct sl_tenant_rt *tr = sl_tenant_of(tb, md->tenant); /* NULL: none */
		const struct sl_dedup *d = w->dedup != NULL && tr != NULL ? w->dedup[md->tenant]
									   : NULL;
		uint16_t l3 = md->pi.l3_off;

		/* the first segment holds the headers the parser read */
		db->on[i] = d != NULL && tr->dedup_tsc != 0 && md->pi.l3 != SL_L3_NONE &&
			    l3 < rte_pktmbuf_data_len(pkts[i]) &&
			    sl_dedup_signature(rte_pktmbuf_mtod_offset(pkts[i], const uint8_t *, l3),
					       rte_pktmbuf_data_len(pkts[i]) - l3, seed,
					       &db->sig[i]) == 0;
		if (db->on[i])
			sl_dedup_prefetch(d, &db->sig[i]);
	}
}

bool
sl_dedup_drop(struct sl_worker *w, struct rte_mbuf *m, const struct sl_meta *md,
	      const struct sl_tenant_rt *tr, const struct sl_dedup_sig *sig, uint64_t now)
{
	const struct sl_stats_layout *l = &w->app->layout;
	uint16_t t = md->tenant;

	switch (sl_dedup_check(w->dedup[t], sig, now, tr->dedup_tsc)) {
	case SL_DEDUP_DUPLICATE:
		w->c[sl_ix_tenant(l, t, SL_TC_DUPLICATE)]++;
		sl_drop_pkt(w, m, SL_DROP_DUPLICATE, t);
		return true;
	case SL_DEDUP_NEW_EVICTED:
		w->c[sl_ix_tenant(l, t, SL_TC_DEDUP_EVICTED)]++;
		return false;
	default:
		return false;
	}
}
