/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Each worker's state, built before the workers run: its flow and fragment
 * tables, TX buffers, counters, and the rings between it and the others
 * (hand-off, flow records, control-socket mailbox). Freed after they stop.
 */
#include <string.h>

#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "datapath.h"

/* Control requests between the control lcore and a worker. */
#define SL_MAILBOX_RING 64

int
sl_workers_create(struct sl_app *app, struct sl_cfg_error *err)
{
	const struct sl_cfg *cfg = app->cfg;
	const struct sl_tables *tb = app->tbl;
	unsigned int lcore;
	uint16_t i = 0;
	int rc;
	char name[RTE_RING_NAMESIZE];
	const uint64_t ms = app->tsc_hz / 1000;
	struct sl_frag_limits fl = {
		.entries = cfg->fragments.table_size,
		.max_held_pkts = cfg->fragments.max_held,
		.max_held_bytes = cfg->fragments.max_held_bytes,
		.tenant_max_held_pkts = cfg->fragments.tenant_max_held,
		.hold_tsc = cfg->fragments.hold_ms * ms,
		.entry_tsc = cfg->fragments.remember_ms * ms,
		.n_tenants = app->tenant_cap,
		.max_held_per_datagram = (uint16_t)RTE_MIN(cfg->fragments.datagram_max_held, (uint32_t)UINT16_MAX),
	};
	/* sweep the fragment table twice per hold time: a fragment waits at
	 * most 1.5 x hold_ms */
	uint64_t frag_age_interval = fl.hold_tsc / 2 /
				     ((fl.entries + SL_AGE_BUDGET - 1) / SL_AGE_BUDGET);
	RTE_LCORE_FOREACH_WORKER(lcore) {
		int socket = (int)rte_lcore_to_socket_id(lcore);
		struct sl_worker *w;

		if (i >= SL_MAX_WORKERS) {
			sl_config_error(cfg, err, cfg->lcores_loc, "eal.worker_lcores",
					"at most %d workers", SL_MAX_WORKERS);
			return -E2BIG;
		}
		w = rte_zmalloc_socket("sl_worker", sizeof(*w), RTE_CACHE_LINE_SIZE, socket);
		if (w == NULL)
			goto nomem;
		app->workers[i] = w;
		w->app = app;
		w->lcore = lcore;
		w->idx = i;
		w->tx = rte_zmalloc_socket("sl_txbuf", app->member_cap * sizeof(*w->tx),
					   RTE_CACHE_LINE_SIZE, socket);
		w->dirty = rte_zmalloc_socket("sl_dirty", app->member_cap * sizeof(*w->dirty), 0,
					      socket);
		w->stats = sl_stats_block_create(app->layout.total, socket);
		w->meters = rte_zmalloc_socket("sl_meters", app->tenant_cap * sizeof(*w->meters),
					       RTE_CACHE_LINE_SIZE, socket);
		w->rec = rte_zmalloc_socket("sl_rec_count", app->tenant_cap * sizeof(*w->rec), 0,
					    socket);
		w->rec_written = rte_zmalloc_socket("sl_rec_written",
						    app->tenant_cap * sizeof(uint64_t),
						    RTE_CACHE_LINE_SIZE, socket);
		if (w->tx == NULL || w->dirty == NULL || w->stats == NULL || w->meters == NULL ||
		    w->rec == NULL || w->rec_written == NULL)
			goto nomem;
		if (app->n_workers > 1) {
			size_t n = (size_t)app->n_workers * app->tenant_cap * sizeof(uint32_t);

			w->handed = rte_zmalloc_socket("sl_handed", n, RTE_CACHE_LINE_SIZE, socket);
			w->taken = rte_zmalloc_socket("sl_taken", n, RTE_CACHE_LINE_SIZE, socket);
			if (w->handed == NULL || w->taken == NULL)
				goto nomem;
		}
		/* a multi-segment packet for a ring output is read in here */
		for (uint16_t o = 0; o < cfg->n_outputs; o++)
			if (cfg->outputs[o].ring.path[0] != '\0')
				w->scratch_len = RTE_MAX(w->scratch_len,
							 cfg->outputs[o].ring.frame_size);
		if (w->scratch_len > 0) {
			w->scratch = rte_malloc_socket("sl_scratch", w->scratch_len, 0, socket);
			if (w->scratch == NULL)
				goto nomem;
		}
		w->c = w->stats->live;
		/* the first loop iteration applies the tables' timeouts */
		w->age_interval = tb->age_interval;
		snprintf(name, sizeof(name), "sl_ft_%u", i);
		w->ft = sl_flow_table_create(name, cfg->flow_table_size, socket, cfg->hash_seed,
					     app->ft_shift, tb->timeout);
		if (w->ft == NULL) {
			sl_config_error(cfg, err, (struct sl_cfg_loc){ 0, 0 }, "flow_table.size",
					"cannot allocate a flow table of %u entries for worker %u: %s",
					cfg->flow_table_size, i, rte_strerror(rte_errno));
			return -ENOMEM;
		}
		if ((rc = sl_app_worker_create(app, w, err)) != 0)
			return rc;
		if ((rc = sl_dedup_worker_create(app, w, socket, err)) != 0)
			return rc;
		snprintf(name, sizeof(name), "sl_frag_%u", i);
		w->frag = sl_frag_create(name, &fl, socket);
		if (w->frag == NULL) {
			sl_config_error(cfg, err, cfg->fragments.loc, "fragments",
					"cannot create the fragment table of worker %u: %s", i,
					rte_strerror(rte_errno));
			return -ENOMEM;
		}
		w->frag_age_interval = frag_age_interval;
		/* records and control sockets may come with any reload */
		snprintf(name, sizeof(name), "sl_rec_%u", i);
		w->records = rte_ring_create_elem(name, sizeof(struct sl_rec_msg), cfg->record_ring,
						  socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(name, sizeof(name), "sl_chunk_%u", i);
		w->rec_chunks = rte_ring_create(name, SL_REC_CHUNK_RING, socket,
						RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(name, sizeof(name), "sl_mbox_%u", i);
		w->mailbox = rte_ring_create(name, SL_MAILBOX_RING, socket,
					     RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(name, sizeof(name), "sl_reply_%u", i);
		w->replies = rte_ring_create(name, SL_MAILBOX_RING, socket,
					     RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (w->records == NULL || w->rec_chunks == NULL || w->mailbox == NULL ||
		    w->replies == NULL)
			goto nomem;
		if (app->n_workers > 1) {
			snprintf(name, sizeof(name), "sl_ring_%u", i);
			w->ring = rte_ring_create(name, cfg->sw_ring_size, socket, RING_F_SC_DEQ);
			if (w->ring == NULL)
				goto nomem;
		}
		i++;
	}
	return 0;
nomem:
	snprintf(err->msg, sizeof(err->msg), "%s: out of memory creating worker %u", cfg->path, i);
	return -ENOMEM;
}

static void
free_held(void *pkt, void *arg __rte_unused)
{
	rte_pktmbuf_free(pkt);
}

void
sl_workers_free(struct sl_app *app)
{
	for (uint16_t i = 0; i < SL_MAX_WORKERS; i++) {
		struct sl_worker *w = app->workers[i];

		if (w == NULL)
			continue;
		if (w->ring != NULL) {
			struct rte_mbuf *m;
			while (rte_ring_dequeue(w->ring, (void **)&m) == 0)
				rte_pktmbuf_free(m);
			rte_ring_free(w->ring);
		}
		rte_ring_free(w->records);
		if (w->rec_chunks != NULL) {
			void *c;
			while (rte_ring_dequeue(w->rec_chunks, &c) == 0)
				free(c);
			rte_ring_free(w->rec_chunks);
		}
		rte_ring_free(w->mailbox);
		rte_ring_free(w->replies);
		sl_app_worker_free(w);
		sl_dedup_worker_free(app, w);
		sl_flow_table_free(w->ft);
		sl_frag_free(w->frag, free_held, NULL);
		sl_stats_block_free(w->stats);
		rte_free(w->tx);
		rte_free(w->dirty);
		rte_free(w->meters);
		rte_free(w->rec);
		rte_free((void *)(uintptr_t)w->rec_written);
		rte_free(w->handed);
		rte_free((void *)(uintptr_t)w->taken);
		rte_free(w->scratch);
		rte_free(w);
		app->workers[i] = NULL;
	}
}
