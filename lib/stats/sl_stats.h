/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * sluice counters and the ledger.
 *
 * Every worker lcore owns one flat array of uint64_t counters ("live"),
 * written only by that lcore with plain increments. The layout of the array
 * is described by struct sl_stats_layout: global worker counters, drop
 * reasons, filter reasons, parse anomalies, then per input, per tenant and
 * per member blocks. At a loop boundary the worker publishes a copy
 * ("snapshot") under a seqlock; readers (control thread, telemetry) only ever
 * read snapshots, so each worker's snapshot is internally consistent: its own
 * ledger equation holds exactly in every snapshot.
 *
 * Counters are monotonic and never reset, except the gauges marked as such.
 * One X-macro list per group generates the enum and the names used in JSON
 * and telemetry. Groups whose lists belong to other modules (parse anomalies,
 * encapsulation types and errors, fragment counters, the drop reasons that
 * mirror parse error classes) are sized and named by the caller through
 * struct sl_stats_groups: this module includes no other sluice module.
 */
#ifndef SL_STATS_H
#define SL_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_seqlock.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Per-worker counters. X(enum suffix, json name). */
#define SL_WORKER_COUNTERS(X)                                                 \
	X(RX_PACKETS, "rx_packets")   /* read from this lcore's RX queues */  \
	X(RX_BYTES, "rx_bytes")                                               \
	X(RING_IN, "ring_in")         /* taken from this worker's sw ring */   \
	X(HANDED_OFF, "handed_off")   /* put on another worker's sw ring */    \
	X(FORWARDED, "forwarded")     /* accepted by an output's TX queue */   \
	X(FORWARDED_BYTES, "forwarded_bytes")                                 \
	X(FILTERED, "filtered")       /* not forwarded on purpose */           \
	X(BYPASSED, "bypassed")       /* counted in a flow, not forwarded */   \
	X(BYPASSED_BYTES, "bypassed_bytes")                                   \
	X(COPIES, "mirror_copies")    /* extra copies made for mirror pools */ \
	X(DROPPED, "dropped")         /* sum of the drop reasons */            \
	X(TX_BUFFERED, "tx_buffered") /* gauge: waiting in TX buffers */       \
	X(FRAG_HELD, "frag_held")     /* gauge: fragments held for their first */ \
	X(FLOWS_CREATED, "flows_created")                                     \
	X(FLOWS_EXPIRED, "flows_expired")                                     \
	X(FLOWS_ACTIVE, "flows_active") /* gauge */                            \
	X(FLOW_TABLE_FULL, "flow_table_full") /* forwarded without an entry */ \
	X(NON_IP, "non_ip")                                                   \
	X(ICMP_ERRORS, "icmp_errors_in_flow") /* ICMP errors in the flow they embed */ \
	X(STRIPPED, "stripped")       /* outer encapsulation removed (strip) */ \
	X(SLICED, "sliced")           /* forwarded cut to a slice length */    \
	X(ELEPHANTS, "elephants")     /* flows found to be elephants */        \
	X(RECORDS, "flow_records")    /* flow records queued to the control lcore */ \
	X(RECORDS_LOST, "flow_records_lost") /* record ring full */            \
	X(RECORDS_BULK, "flow_records_formatted") /* shutdown: of flow_records, formatted by the worker */ \
	X(BYPASS_REQUESTS, "bypass_requests") /* control socket requests handled */ \
	X(BYPASS_FOUND, "bypass_found")                                       \
	X(LOOPS, "loops")                                                     \
	X(BUSY_LOOPS, "busy_loops")   /* loops that handled a packet */        \
	X(BUSY_CYCLES, "busy_cycles") /* TSC cycles spent in busy loops */      \
	X(APP_PACKETS, "app_packets") /* packets application detection read */ \
	X(APP_FLOWS, "app_flows")     /* gauge: flows with detection state */  \
	X(APP_DETECTING, "app_detecting") /* gauge: flows in detection (nDPI) */ \
	X(APP_MEMORY, "app_memory")   /* gauge: bytes its detector holds */ \
	X(ENCAPSULATED, "encapsulated") /* put in a tunnel for a remote member */ \
	X(ENCAP_TRUNCATED, "encap_truncated") /* of those, cut to the tunnel's MTU (ERSPAN) */

/** Drop reasons besides parse errors (those follow, one per class). */
#define SL_DROP_REASONS(X)                                                    \
	X(NO_TENANT, "no_tenant")                                             \
	X(SW_RING_FULL, "sw_ring_full")                                       \
	X(TX_REFUSED, "tx_refused")                                           \
	X(STRIP_FAILED, "strip_failed")                                       \
	X(MIRROR_NOMBUF, "mirror_nombuf") /* no mbuf for a mirror copy */     \
	X(MEMBER_DOWN, "member_down") /* its pool member was down (link_down) */ \
	X(DUPLICATE, "duplicate")     /* a copy of a packet seen in its tenant's dedup window */ \
	X(RATE_EXCEEDED, "rate_exceeded") /* over its tenant's rate meter */  \
	X(FLOW_QUOTA, "flow_quota")   /* new flow over max_flows, on_flow_quota: drop */ \
	X(SW_RING_SHARE, "sw_ring_share") /* its tenant's share of a congested hand-off ring used up */ \
	X(LINKTYPE, "linktype_unconvertible") /* a non-Ethernet capture's frame with no Ethernet form */ \
	X(ENCAP_OVERSIZE, "encap_oversize") /* too long for a remote member's tunnel MTU */ \
	X(ENCAP_NOMBUF, "encap_nombuf") /* no mbuf for a copy to encapsulate */

/** Filter reasons (packets not forwarded on purpose). */
#define SL_FILTER_REASONS(X) X(NON_IP, "non_ip") X(POLICY_DROP, "policy_drop")

/** Per-input counters (this lcore's share). */
#define SL_INPUT_COUNTERS(X) X(PACKETS, "received") X(BYTES, "bytes")

/** Per-tenant counters. */
#define SL_TENANT_COUNTERS(X)                                                 \
	X(PACKETS, "packets")                                                 \
	X(BYTES, "bytes")                                                     \
	X(FORWARDED, "forwarded")                                             \
	X(FILTERED, "filtered")                                               \
	X(DROPPED, "dropped")                                                 \
	X(FLOWS, "flows")                                                     \
	X(NON_IP, "non_ip")                                                   \
	X(MALFORMED, "malformed")                                             \
	X(BYPASSED, "bypassed")                                               \
	X(BYPASSED_BYTES, "bypassed_bytes")                                   \
	X(MIRROR_COPIES, "mirror_copies")                                     \
	X(SLICED, "sliced")                                                   \
	X(ELEPHANTS, "elephants")                                             \
	X(DEPTH_BYPASSES, "depth_bypasses")  /* flows that reached their depth */ \
	X(SAMPLED_OUT, "sampled_out")        /* flows not kept by sampling */  \
	X(REQUESTED_BYPASSES, "requested_bypasses") /* flows bypassed on request */ \
	X(RECORDS, "flow_records")                                            \
	X(RECORDS_LOST, "flow_records_lost")                                  \
	X(FLOWS_ACTIVE, "flows_active")   /* gauge: flow entries held now */  \
	X(FLOW_QUOTA, "flow_quota")       /* new-flow packets refused an entry: max_flows */ \
	X(NO_ENTRY, "no_entry")           /* new-flow packets refused an entry: table full */ \
	X(RATE_EXCEEDED, "rate_exceeded") /* dropped by the tenant's rate meter */ \
	X(DUPLICATE, "duplicate")         /* dropped: a copy within the dedup window */ \
	X(DEDUP_EVICTED, "dedup_evicted") /* dedup entries pushed out inside their window */ \
	X(APP_DETECTED, "app_detected")   /* flows whose application was found */ \
	X(APP_GIVEN_UP, "app_given_up")   /* flows detection gave up on */     \
	X(APP_NO_STATE, "app_no_state")   /* flows not detected: no state free */ \
	X(APP_NO_MEMORY, "app_no_memory") /* flows not detected: memory bound */ \
	X(APP_STEERED, "app_steered")     /* flows an app rule moved to another pool */ \
	X(APP_HS_BYPASSED, "app_handshake_bypassed") /* flows bypassed after their handshake */ \
	X(APP_HS_FAILED, "app_handshake_failed") /* handshake not followed: forwarded whole */

/** Per-member counters. */
#define SL_MEMBER_COUNTERS(X)                                                 \
	X(PACKETS, "forwarded")                                               \
	X(BYTES, "bytes")                                                     \
	X(TX_REFUSED, "tx_refused")   /* queue or ring full */                 \
	X(LINK_DOWN, "link_down")     /* dropped: the member was down */      \
	X(FLOWS, "flows")                                                     \
	X(RESTEERED, "flows_resteered") /* flows moved off it while it was down */ \
	X(ENCAP_OVERSIZE, "encap_oversize") /* remote: dropped, too long for its tunnel MTU */ \
	X(ENCAP_TRUNCATED, "encap_truncated") /* remote: sent cut to its tunnel MTU (ERSPAN) */

#define SL_X_ENUM(e, s) SL_WC_##e,
enum sl_wc { SL_WORKER_COUNTERS(SL_X_ENUM) SL_WC_MAX };
#undef SL_X_ENUM
#define SL_X_ENUM(e, s) SL_IC_##e,
enum sl_input_c { SL_INPUT_COUNTERS(SL_X_ENUM) SL_IC_MAX };
#undef SL_X_ENUM
#define SL_X_ENUM(e, s) SL_TC_##e,
enum sl_tenant_c { SL_TENANT_COUNTERS(SL_X_ENUM) SL_TC_MAX };
#undef SL_X_ENUM
#define SL_X_ENUM(e, s) SL_MC_##e,
enum sl_member_c { SL_MEMBER_COUNTERS(SL_X_ENUM) SL_MC_MAX };
#undef SL_X_ENUM

#define SL_X_ENUM(e, s) SL_DROP_##e,
/**
 * Drop reasons: the named ones, then one per parse error class (class c,
 * 1-based as enum sl_parse_err, is reason SL_DROP_PARSE_BASE + c - 1). How
 * many classes there are is the caller's (struct sl_stats_groups).
 */
enum sl_drop {
	SL_DROP_REASONS(SL_X_ENUM)
	SL_DROP_PARSE_BASE /**< first parse-class drop reason; also the named count */
};
#undef SL_X_ENUM
#define SL_X_ENUM(e, s) SL_FILTER_##e,
enum sl_filter { SL_FILTER_REASONS(SL_X_ENUM) SL_FILTER_MAX };
#undef SL_X_ENUM

/** Drop reason of a parse error class (err != 0). */
static inline enum sl_drop
sl_drop_of_parse_err(int err)
{
	return (enum sl_drop)(SL_DROP_PARSE_BASE + err - 1);
}

/** Names for JSON/telemetry; NULL when out of range. */
const char *sl_wc_name(unsigned int c);
const char *sl_filter_name(unsigned int f);
const char *sl_input_c_name(unsigned int c);
const char *sl_tenant_c_name(unsigned int c);
const char *sl_member_c_name(unsigned int c);

/**
 * The sizes of the groups the caller knows: its inputs, tenants and members,
 * and the lists other modules own (the app passes SL_PARSE_ERR_MAX,
 * SL_ENCAP_TYPE_MAX, SL_ENCAP_ERR_MAX and SL_FRAG_STAT_MAX).
 */
struct sl_stats_groups {
	uint32_t n_inputs, n_tenants, n_members;
	uint32_t n_parse_errs;  /**< parse error classes, 0 (ok) included: the
				     anomaly group, and n_parse_errs - 1 drop reasons */
	uint32_t n_encap_types; /**< encapsulation types seen */
	uint32_t n_encap_errs;  /**< decapsulation error classes, 0 (ok) included */
	uint32_t n_frag_stats;  /**< fragment table counters */
	/** Name of the drop reason of parse class @p c (1-based), e.g.
	 * "parse_l2_truncated"; NULL when out of range. */
	const char *(*parse_drop_name)(int c);
};

/** Where each counter group sits in a worker's flat counter array. */
struct sl_stats_layout {
	uint32_t n_inputs, n_tenants, n_members;
	uint32_t n_drop;      /**< drop reasons: named + parse classes */
	uint32_t n_anomaly, n_encap, n_encap_err, n_frag;
	size_t off_drop, off_filter, off_anomaly, off_encap, off_encap_err, off_frag;
	size_t off_input, off_tenant, off_member;
	size_t total; /**< counters per worker */
	const char *(*parse_drop_name)(int c);
};

/** Compute a layout from the caller's group sizes. */
void sl_stats_layout_init(struct sl_stats_layout *l, const struct sl_stats_groups *g);

/** Name of drop reason @p d in layout @p l ("no_tenant", "parse_<class>");
 * NULL when out of range. */
const char *sl_drop_name(const struct sl_stats_layout *l, unsigned int d);

/* Index helpers into a flat counter array laid out by @p l. */
static inline size_t sl_ix_wc(const struct sl_stats_layout *l, enum sl_wc c) { (void)l; return c; }
static inline size_t sl_ix_drop(const struct sl_stats_layout *l, unsigned int d) { return l->off_drop + d; }
static inline size_t sl_ix_filter(const struct sl_stats_layout *l, unsigned int f) { return l->off_filter + f; }
/** Parse anomalies seen (forwarded or not), by enum sl_parse_err. */
static inline size_t sl_ix_anomaly(const struct sl_stats_layout *l, unsigned int e) { return l->off_anomaly + e; }
/** Packets that carried an encapsulation of enum sl_encap_type. */
static inline size_t sl_ix_encap(const struct sl_stats_layout *l, unsigned int t) { return l->off_encap + t; }
/** Packets whose decapsulation stopped on enum sl_encap_err. */
static inline size_t sl_ix_encap_err(const struct sl_stats_layout *l, unsigned int e) { return l->off_encap_err + e; }
/** The worker's fragment table counters, enum sl_frag_stat (copied at publish). */
static inline size_t sl_ix_frag(const struct sl_stats_layout *l, unsigned int f) { return l->off_frag + f; }
static inline size_t sl_ix_input(const struct sl_stats_layout *l, uint32_t i, enum sl_input_c c) { return l->off_input + (size_t)i * SL_IC_MAX + c; }
static inline size_t sl_ix_tenant(const struct sl_stats_layout *l, uint32_t t, enum sl_tenant_c c) { return l->off_tenant + (size_t)t * SL_TC_MAX + c; }
static inline size_t sl_ix_member(const struct sl_stats_layout *l, uint32_t m, enum sl_member_c c) { return l->off_member + (size_t)m * SL_MC_MAX + c; }

/**
 * One worker's counters: the live array it writes and the published snapshot
 * others read. Allocate one per worker with sl_stats_block_create().
 */
struct sl_stats_block {
	rte_seqlock_t lock;
	uint64_t published_tsc; /**< when the snapshot was taken */
	size_t n;
	uint64_t *live;         /**< written by the owning lcore only */
	uint64_t *snap;         /**< written under lock by the owning lcore */
} __rte_cache_aligned;

/**
 * Allocate a block of @p n zeroed counters on @p socket (rte_zmalloc).
 * @return block or NULL (rte_errno = ENOMEM).
 */
struct sl_stats_block *sl_stats_block_create(size_t n, int socket);

/** Free a block (NULL accepted). */
void sl_stats_block_free(struct sl_stats_block *b);

/**
 * Publish the live counters as the snapshot. Owning lcore only.
 * @param now TSC timestamp stored with the snapshot.
 */
void sl_stats_block_publish(struct sl_stats_block *b, uint64_t now);

/**
 * Copy the latest snapshot into @p out (b->n counters). Any thread.
 * @return the snapshot's TSC timestamp.
 */
uint64_t sl_stats_block_read(const struct sl_stats_block *b, uint64_t *out);

/** The accounting identity over all workers. */
struct sl_ledger {
	uint64_t received;   /**< sum of rx_packets */
	uint64_t forwarded;
	uint64_t filtered;
	uint64_t dropped;
	uint64_t bypassed;   /**< counted in a flow, not forwarded, on purpose */
	uint64_t copies;     /**< extra mirror copies: each is one more packet to account for */
	uint64_t in_flight;  /**< tx_buffered + frag_held + (handed_off - ring_in) */
	uint64_t tx_buffered;
	uint64_t frag_held;
	uint64_t in_rings;
	bool workers_balanced; /**< every worker's own equation holds */
	bool members_match;    /**< sum of member forwarded == forwarded */
	bool drops_match;      /**< sum of drop reasons == dropped */
	bool balanced;         /**< all of the above, and received + copies ==
	                            forwarded + filtered + dropped + bypassed + in_flight */
};

/**
 * Compute the ledger from per-worker snapshots.
 *
 * Per worker: rx_packets + ring_in == forwarded + filtered + dropped +
 * handed_off + tx_buffered + frag_held. Globally the rings hold handed_off - ring_in
 * packets, which must not be negative.
 *
 * @param snaps  n_workers arrays laid out by @p l
 * @param sum    optional: receives the element-wise sum (l->total counters)
 */
void sl_ledger_compute(const struct sl_stats_layout *l, const uint64_t *const *snaps,
		       unsigned int n_workers, struct sl_ledger *out, uint64_t *sum);

#ifdef __cplusplus
}
#endif
#endif /* SL_STATS_H */
