/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The data path: per-packet metadata, the worker lcore's state, and the
 * stages a burst goes through, one file each:
 *
 *   rx.c         poll RX queues, count, hand packets to the owning worker
 *   classify.c   parse (in place into the metadata), tenant, key, hash
 *   flows.c      sort the burst, bulk flow lookup, new flows, member choice,
 *                flow end (records)
 *   act.c        apply a flow's policy verdict (lib/verdict): bypass, drop,
 *                slice, mirror copies
 *   appid.c      application detection on a flow's first packets (lib/appid)
 *                and the app rules' verdict (lib/verdict): steer, bypass
 *                after the handshake
 *   dedup.c      drop the copies of a packet seen a moment ago (lib/dedup)
 *   fragments.c  non-first fragments: the member their first fragment found
 *   strip.c      remove tunnel encapsulation for pools that strip
 *   remote.c     put a remote member's packets in its tunnel (lib/encap)
 *   tx.c         deliver to a member: TX buffers, flush, ring outputs
 *   worker.c     the loop: snapshots, mailbox, aging, drain at shutdown
 *
 * Every packet that enters a worker ends in exactly one counter: forwarded,
 * filtered (by reason), dropped (by reason), bypassed, handed off to another
 * worker, tx_buffered (a gauge) until its buffer is flushed, or frag_held (a
 * gauge) while a fragment waits for its datagram's first fragment.
 *
 * struct sl_worker is owned and written by its lcore only, apart from the
 * control words (struct sl_worker_ctl) and its rings.
 */
#ifndef SLUICE_DATAPATH_H
#define SLUICE_DATAPATH_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_branch_prediction.h>
#include <rte_mbuf.h>
#include <rte_meter.h>
#include <rte_ring.h>

#include "app.h"
#include "capture.h"
#include "sl_appid.h"
#include "sl_dedup.h"
#include "sl_flow.h"
#include "sl_frag.h"
#include "sl_l2.h"
#include "sl_parse.h"
#include "sl_stats.h"
#include "tables.h"

#define SL_BURST 32
#define SL_MAX_RXQ_PER_WORKER 64
/** Flows a worker's table holds before its memory latency is worth hiding
 * with prefetches (the bucket in the RX stage, rx.c; the entries a few
 * packets ahead, flows.c): below that the table is in cache, and a
 * prefetch only adds its address's dependency chain to every packet. */
#define SL_PREFETCH_MIN_FLOWS 32768
/** Slots of the flow table a worker examines for expiry per batch. Batches
 * are paced so the whole table is swept every SL_AGE_SWEEP_DIV-th of the
 * shortest idle timeout: a flow is removed at most 1/4 late, and aging
 * costs nothing per packet. */
#define SL_AGE_BUDGET 64
#define SL_AGE_SWEEP_DIV 4
/** At shutdown a worker, its data path over, formats its own flow records
 * (records.c's formatter, its own context) into chunks of one tenant's
 * whole lines, which the control lcore only writes: formatting millions
 * of records is spread over the workers instead of waiting on one
 * thread. A chunk's size, and the chunks a worker's ring holds. */
#define SL_REC_CHUNK_BYTES (32 * 1024)
#define SL_REC_CHUNK_RING 256
/** Longest record line (the formatter's bound). */
#define SL_REC_LINE_MAX 4096

struct sl_rec_chunk {
	uint16_t tenant;         /* slot */
	uint32_t lines;
	uint32_t format_errors;  /* records that could not be formatted */
	uint32_t used;           /* bytes of data: whole lines, newlines included */
	char data[SL_REC_CHUNK_BYTES];
};

/** How long a packet may wait in a TX buffer. */
#define SL_TX_DRAIN_US 100

/*
 * Per-packet metadata. sl_parse() writes its part (pi) in place, the rest
 * is computed from it: nothing is copied field by field. Kept on the stack
 * of the worker that read the packet; copied whole into the mbuf's private
 * area only when the packet is handed to another worker's ring.
 * Line 0: what the flow stage reads for every packet; line 1-2: the parse.
 */
struct sl_meta {
	struct sl_flow_key key;
	uint32_t hash;       /**< sl_flow_hash(key) */
	uint16_t tenant;     /**< tenant index or SL_NO_TENANT */
	uint16_t input;      /**< input index */
	uint8_t dir;         /**< 0/1, see sl_flow_key_build() */
	uint8_t src;         /**< the worker that read it (hand-off accounting) */
	uint8_t pad[6];
	struct sl_pkt_info pi; /**< the parser's result (innermost flow, encapsulation) */
	uint32_t tail;       /**< to a multiple of 8: in an array each key stays
				  8-byte aligned (rte_hash_crc reads 8 bytes) */
};
#define SL_META_SIZE 152

/** A packet's metadata when it travels on a ring (mbuf private area). */
static inline struct sl_meta *
sl_meta_of(struct rte_mbuf *m)
{
	return rte_mbuf_to_priv(m);
}

struct sl_rxq {
	uint16_t port;
	uint16_t queue;
	uint16_t input;      /* index into cfg->inputs */
	bool software;       /* hand packets to the owning worker */
	uint8_t l2_kind;     /* enum sl_l2_kind of its frames: SL_L2_ETHERNET
				except a capture file of another link type */
};

struct sl_txbuf {
	uint16_t n;
	uint8_t on_dirty;    /* already listed in sl_worker::dirty */
	uint8_t inline_ok;   /* on_dirty, not refusing, and a local member: what
				sl_deliver_up() tests (a member slot's remote is
				fixed for its life, slots.c) */
	uint32_t seq;        /* remote ERSPAN members: the next GRE sequence number */
	uint64_t refuse_until; /* the last flush was refused whole: until this
				  TSC, packets are dropped at once (tx_refused)
				  rather than held */
	struct rte_mbuf *pkts[SL_BURST];
};

/* One tenant's rate meter on one RX worker (its share of the rate):
 * packets (a "byte" is a packet) and bytes, srTCM colour-blind, green only. */
struct sl_meter {
	struct rte_meter_srtcm pps, bps;
	struct rte_meter_srtcm_profile pps_p, bps_p;
	struct sl_cfg_rate cfg;  /* what it was made from: remade when it changes */
	bool on_pps, on_bps;
};

/* Per tenant slot, between a worker and the control lcore: records it has
 * queued (the worker's) and records written (the control lcore's). */
struct sl_rec_count {
	uint64_t queued;
	uint64_t seen_written;   /* written, as the worker last read it */
};

/* Control words between the control loop and a worker. */
struct sl_worker_ctl {
	volatile uint32_t ack;       /* last snapshot sequence handled */
	volatile uint32_t rx_stopped; /* 1 once RX polling has stopped */
	volatile uint32_t done;      /* 1 once drained and final stats published */
	volatile uint32_t purged_gen; /* generation whose removed tenants' flows have ended */
} __rte_cache_aligned;

/* Why a flow record was written. */
enum sl_rec_reason { SL_REC_TIMEOUT = 0, SL_REC_TCP_CLOSED, SL_REC_SHUTDOWN, SL_REC_RELOAD };

/* A finished flow, from a worker to the control lcore (records.c). */
struct sl_rec_msg {
	struct sl_flow_entry e; /* its key included */
	uint64_t now_tsc;    /* when it ended: its flow times' reference */
	uint8_t reason;      /* enum sl_rec_reason */
	uint8_t has_app;     /* app holds what application detection found */
	uint8_t pad[6];
	struct sl_appid_result app;
	uint8_t pad2[6];     /* ring elements are multiples of 4 bytes */
};

/* A control-socket request to a worker's mailbox, answered on its reply
 * ring with the same pointer (bypass.c). */
struct sl_bypass_req {
	struct sl_flow_key key;
	uint32_t hash;       /* sl_flow_hash(key) */
	uint8_t op;          /* SL_BYPASS_OP_* */
	uint8_t found;       /* answer: the flow is in this worker's table */
	uint16_t pad;
	uint64_t until_tsc;  /* 0 = until the flow ends */
};
#define SL_BYPASS_OP_SET 1
#define SL_BYPASS_OP_CLEAR 2

struct sl_app_worker;
struct sl_dedup;

struct sl_worker {
	struct sl_app *app;
	/** The tables of this loop iteration (app->tbl, loaded once per
	 * iteration; a quiescent state is reported after it). */
	const struct sl_tables *tbl;
	uint32_t tbl_gen;            /* generation of tbl seen last */
	uint32_t purge_left;         /* slots to age fast: a tenant was removed */
	unsigned int lcore;
	uint16_t idx;
	uint16_t n_rxq;
	struct sl_rxq rxq[SL_MAX_RXQ_PER_WORKER];
	struct rte_ring *ring;       /* software distribution: packets this worker owns */
	struct sl_flow_table *ft;
	struct sl_frag_table *frag;
	uint64_t frag_age_next;
	uint64_t frag_age_interval;
	struct sl_stats_block *stats;
	uint64_t *c;                 /* == stats->live */
	struct sl_txbuf *tx;         /* one per member slot */
	struct sl_meter *meters;     /* by tenant slot (RX workers) */
	uint16_t n_rx_workers;       /* workers sharing each tenant's rate */
	struct sl_rec_count *rec;    /* by tenant slot */
	/* hand-off (software distribution, W > 1): packets this worker put on
	 * worker d's ring for tenant t (handed[d * tenant_cap + t]), and took
	 * off its own ring from worker s (taken[s * tenant_cap + t]) */
	uint32_t *handed;
	volatile uint32_t *taken;
	volatile uint64_t *rec_written; /* by tenant slot: written by the control lcore */
	uint32_t *dirty;             /* member slots with buffered packets */
	uint8_t *scratch;            /* ring outputs: a multi-segment packet, linearized */
	uint32_t scratch_len;        /* largest ring frame size */
	uint32_t n_dirty;
	uint64_t tx_deadline;
	uint64_t drain_tsc;          /* TSC between TX drains (SL_TX_DRAIN_US) */
	uint64_t age_next;           /* TSC of the next aging batch */
	uint64_t age_interval;       /* TSC between aging batches */
	uint32_t seen_seq;
	bool holding;                /* ring consumption paused for a snapshot */
	bool ending;                 /* shutdown: flows end with reason "shutdown" */
	struct rte_ring *records;    /* struct sl_rec_msg to the control lcore */
	struct rte_ring *rec_chunks; /* struct sl_rec_chunk * to it (shutdown) */
	struct sl_rec_chunk **chunk; /* shutdown: the chunk being filled, by tenant slot */
	struct sl_flowrec_ctx *fmt;  /* shutdown: this worker's formatter */
	struct rte_ring *mailbox;    /* struct sl_bypass_req * from the control lcore */
	struct rte_ring *replies;    /* the same requests, answered */
	struct sl_app_worker *appw;  /* application detection; NULL when off (appid.c) */
	struct sl_dedup **dedup;     /* by tenant slot: a table for each tenant with dedup
					at start, else NULL (dedup.c); NULL when none has */
	struct sl_worker_ctl ctl;
} __rte_cache_aligned;

/** L2 failures leave no VLAN to find a tenant by: the frame is dropped. */
static inline bool
sl_l2_fatal(uint8_t err)
{
	return err == SL_PARSE_ERR_L2_TRUNCATED || err == SL_PARSE_ERR_VLAN_TRUNCATED;
}

/* ---- counting a packet's end (every stage) ---- */

/** Free a packet and count it dropped for @p reason (enum sl_drop). */
static inline void
sl_drop_pkt(struct sl_worker *w, struct rte_mbuf *m, unsigned int reason, uint16_t tenant)
{
	const struct sl_stats_layout *l = &w->app->layout;

	w->c[SL_WC_DROPPED]++;
	w->c[sl_ix_drop(l, reason)]++;
	if (tenant != SL_NO_TENANT)
		w->c[sl_ix_tenant(l, tenant, SL_TC_DROPPED)]++;
	sl_cap(w->app, w->idx, m, tenant, SL_CAP_DROPPED, (uint16_t)reason);
	rte_pktmbuf_free(m);
}

/** Free a packet and count it filtered for @p reason (enum sl_filter). */
static inline void
sl_filter_pkt(struct sl_worker *w, struct rte_mbuf *m, unsigned int reason, uint16_t tenant)
{
	const struct sl_stats_layout *l = &w->app->layout;

	w->c[SL_WC_FILTERED]++;
	w->c[sl_ix_filter(l, reason)]++;
	w->c[sl_ix_tenant(l, tenant, SL_TC_FILTERED)]++;
	sl_cap(w->app, w->idx, m, tenant, SL_CAP_FILTERED, (uint16_t)reason);
	rte_pktmbuf_free(m);
}

/* ---- the stages ---- */

/* rx.c */
uint16_t sl_rx_poll(struct sl_worker *w, uint64_t now);
uint16_t sl_rx_poll_ring(struct sl_worker *w, uint64_t now);
/* linktype.c: a frame of a non-Ethernet capture rewritten as Ethernet;
 * 0, or -errno for one that has no Ethernet form (the caller drops it as
 * linktype_unconvertible) */
int sl_rx_to_ethernet(struct rte_mbuf *m, int l2_kind);

/* classify.c: parse and tenant; then key and hash */
void sl_classify(const struct sl_app *app, const struct sl_tables *tb, const struct rte_mbuf *m,
		 uint16_t input, struct sl_meta *md);
void sl_classify_key(const struct sl_app *app, struct sl_meta *md);

/* records.c: one flow record line (no newline) into buf (SL_REC_LINE_MAX
 * bytes), named by tables tb; its length or -errno. Thread-safe with its
 * own fmt (sl_flowrec_ctx_new()). */
struct sl_flowrec_ctx;
int sl_records_format(const struct sl_app *app, const struct sl_tables *tb,
		      struct sl_flowrec_ctx *fmt, const struct sl_rec_msg *m, char *buf);

/* flows.c: md[i] describes pkts[i] (stack or mbuf private area) */
void sl_flows_process(struct sl_worker *w, struct rte_mbuf **pkts, struct sl_meta **mds,
		      uint16_t n, uint64_t now);
/* a flow leaves the table (aging callback): its record, if wanted */
void sl_flow_ended(const struct sl_flow_entry *e, void *arg);
/* shutdown: start formatting records in bulk (false: out of memory, the
 * records go one by one), and send what is left */
bool sl_flows_bulk_records_begin(struct sl_worker *w);
void sl_flows_bulk_records_end(struct sl_worker *w);
/* aging predicate: the flow's tenant is no longer configured */
bool sl_flow_tenant_gone(const struct sl_flow_key *k, void *arg);

/* act.c */
void sl_act_new_flow(struct sl_worker *w, struct sl_flow_entry *e, const struct sl_meta *md,
		     const struct sl_tenant_rt *tr);
void sl_act_reclassify(struct sl_worker *w, struct sl_flow_entry *e, const struct sl_meta *md,
		       const struct sl_tenant_rt *tr);
bool sl_act_packet(struct sl_worker *w, struct sl_flow_entry *e, const struct sl_meta *md,
		   struct rte_mbuf *m, const struct sl_tenant_rt *tr, uint64_t now);

/* appid.c: application detection and the app rules' verdict */
int sl_app_worker_create(struct sl_app *app, struct sl_worker *w, struct sl_cfg_error *err);
void sl_app_worker_free(struct sl_worker *w);
void sl_app_publish(struct sl_worker *w);
/* a new flow of a tenant with app rules: detection starts (SL_FLOW_F_APP,
 * SL_FLOW_F_DETECT) */
void sl_app_new_flow(struct sl_worker *w, struct sl_flow_entry *e, const struct sl_meta *md,
		     const struct sl_tenant_rt *tr);
/* a packet of a flow with SL_FLOW_F_DETECT, before its member and verdict */
void sl_app_packet(struct sl_worker *w, struct sl_flow_entry *e, const struct sl_meta *md,
		   const struct rte_mbuf *m, const struct sl_tenant_rt *tr, uint64_t now);
/* after a reload's re-classification: the app rules decide again */
void sl_app_reclassify(struct sl_worker *w, struct sl_flow_entry *e, const struct sl_meta *md,
		       const struct sl_tenant_rt *tr);
/* a flow with SL_FLOW_F_APP ends: its state is freed, its result into @p msg */
void sl_app_flow_ended(struct sl_worker *w, const struct sl_flow_entry *e,
		       struct sl_rec_msg *msg);

/* dedup.c: a table per tenant with dedup, per worker (made at start) */
int sl_dedup_worker_create(struct sl_app *app, struct sl_worker *w, int socket,
			   struct sl_cfg_error *err);
void sl_dedup_worker_free(struct sl_app *app, struct sl_worker *w);
/* A burst's signatures: packet i is checked when on[i] (its tenant has
 * dedup and it is an IP packet), with signature sig[i]. */
struct sl_dedup_burst {
	struct sl_dedup_sig sig[SL_BURST];
	bool on[SL_BURST];
};
/* stage 0 (tables with a dedup tenant): the signatures of a burst, their
 * sets prefetched so that the table's misses overlap */
void sl_dedup_burst(struct sl_worker *w, struct rte_mbuf **pkts, struct sl_meta **mds,
		    uint16_t n, struct sl_dedup_burst *db);
/* a packet with db->on[i]: true when it is a copy, dropped and counted */
bool sl_dedup_drop(struct sl_worker *w, struct rte_mbuf *m, const struct sl_meta *md,
		   const struct sl_tenant_rt *tr, const struct sl_dedup_sig *sig, uint64_t now);

/* fragments.c */
void sl_frags_first(struct sl_worker *w, const struct sl_meta *md, uint32_t gm, uint64_t now);
void sl_frags_other(struct sl_worker *w, struct rte_mbuf *m, const struct sl_meta *md,
		    uint64_t now);
unsigned int sl_frags_age(struct sl_worker *w, uint64_t now, unsigned int budget);

/* strip.c */
bool sl_strip_outer(struct rte_mbuf *m, const struct sl_meta *md, const struct sl_pool_rt *p);

/* remote.c: put @p *mp in member @p gm's tunnel; false when it was
 * dropped instead (counted), true with *mp the packet to send (a copy when
 * the packet was shared or had no room in front) */
bool sl_remote_encap(struct sl_worker *w, uint32_t gm, struct rte_mbuf **mp);

/* tx.c */
void sl_deliver_up_any(struct sl_worker *w, uint32_t gm, struct rte_mbuf *m,
		       const struct sl_meta *md);
/* Hand member @p gm its buffered packets (or drop them, counted). */
void sl_tx_flush_member(struct sl_worker *w, uint32_t gm);

/* Append m to member gm's open buffer b, handing the buffer over once
 * full: the last step of every delivery (sl_deliver_up() and tx.c). */
static inline void
sl_txbuf_append(struct sl_worker *w, uint32_t gm, struct sl_txbuf *b, struct rte_mbuf *m)
{
	b->pkts[b->n++] = m;
	w->c[SL_WC_TX_BUFFERED]++;
	if (b->n == SL_BURST)
		sl_tx_flush_member(w, gm);
}

/*
 * Buffer a packet for a member the caller found up. Inline for the common
 * case, a packet that is not stripped (untunnelled, or its pool does not
 * strip) for a local member whose buffer is already open and not refusing:
 * what sl_deliver_up_any() (tx.c) does for it, less its call (it was 45
 * instructions a packet out of line, 65 for a tunnelled one,
 * docs/performance.md "Fewer instructions a packet"). Everything else goes
 * there. Open, not refusing and local are one flag of the buffer's
 * (inline_ok, kept by tx.c), not three tests.
 */
static inline void
sl_deliver_up(struct sl_worker *w, uint32_t gm, struct rte_mbuf *m, const struct sl_meta *md)
{
	struct sl_txbuf *b = &w->tx[gm];

	if (likely((md->pi.n_encap == 0 || w->tbl->pos[gm].strip == SL_STRIP_NONE) &&
		   b->inline_ok)) {
		m->hash.rss = md->hash; /* ring descriptors carry it */
		sl_txbuf_append(w, gm, b, m);
		return;
	}
	sl_deliver_up_any(w, gm, m, md);
}
void sl_deliver(struct sl_worker *w, uint32_t gm, struct rte_mbuf *m, const struct sl_meta *md);
void sl_drop_member_down(struct sl_worker *w, uint32_t gm, struct rte_mbuf *m);
void sl_tx_flush_all(struct sl_worker *w);

#endif /* SLUICE_DATAPATH_H */
