/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Fragment steering: every IP fragment of a datagram goes to the analyzer
 * member that receives the rest of its flow. sluice never reassembles or
 * modifies packets; this module only remembers where a datagram goes.
 *
 * The first fragment (offset 0) carries the L4 ports, so the worker finds
 * its member in the flow table and reports it with sl_frag_first(). Later
 * fragments carry no ports: sl_frag_other() finds the datagram's member from
 * the (tenant, VLANs, family, protocol, source, destination, IP id) key
 * recorded by the first fragment. A non-first fragment that arrives before
 * the first is held (the table owns it) until the first arrives, when
 * sl_frag_first() releases it to the member, in arrival order, before the
 * first fragment itself is sent. When a bound is hit, or a held fragment
 * waits longer than its hold time, the fragment is "unmatched": the caller
 * steers it by addresses and protocol (consistently, so all unmatched
 * fragments of one datagram reach the same member).
 *
 * Each worker lcore owns one table: one rte_hash of datagram keys, a
 * parallel array of struct entries indexed by rte_hash key position, and a
 * fixed array of hold slots (one per packet that may be held) with a free
 * list. No function here is safe to call concurrently on one table; there
 * are no locks. Entries age a bounded number of slots per sl_frag_age()
 * call, never a whole-table sweep.
 *
 * Packets are opaque (void *) here, so the module does not depend on mbufs.
 *
 * Anomalies (overlapping ranges, tiny, oversized and badly sized fragments,
 * duplicated first fragments) are counted as they are seen; they never
 * change a verdict.
 */
#ifndef SL_FRAG_H
#define SL_FRAG_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Datagram key. 48 bytes, no holes: write every field, reserved included.
 *
 * A datagram travels in one direction and IP ids are allocated per
 * direction, so the addresses are NOT put in canonical order (unlike the
 * flow key): src is the packet's source.
 */
struct sl_frag_key {
	uint8_t src[16];    /**< source address, network order; IPv4 in bytes 0-3, rest 0 */
	uint8_t dst[16];    /**< destination address */
	uint32_t id;        /**< IPv4 identification (16 bits) or IPv6 fragment id */
	uint16_t tenant;    /**< tenant index (< sl_frag_limits::n_tenants) */
	uint16_t vlan[2];   /**< VLAN ids, outermost first, 0 when absent */
	uint8_t proto;      /**< IPv4 protocol / IPv6 upper-layer next header */
	uint8_t family;     /**< 4 or 6 */
	uint32_t reserved;  /**< zero */
};

/** Bounds of one table. All packet and byte counts are hard caps. */
struct sl_frag_limits {
	uint32_t entries;              /**< datagrams tracked (>= 8) */
	uint32_t max_held_pkts;        /**< fragments held per worker (0: never hold) */
	uint64_t max_held_bytes;       /**< held fragment payload bytes per worker */
	uint32_t tenant_max_held_pkts; /**< fragments held per tenant per worker */
	uint64_t hold_tsc;             /**< how long a non-first fragment may wait, TSC */
	uint64_t entry_tsc;            /**< how long a datagram's member is remembered
					    after its last fragment, TSC */
	uint16_t n_tenants;            /**< tenants (>= 1); keys must have tenant < n_tenants */
	uint16_t max_held_per_datagram; /**< fragments held per datagram */
};

/** What the caller does with a fragment. */
enum sl_frag_verdict {
	SL_FRAG_SEND = 0,  /**< send to the datagram's member (the caller keeps the packet) */
	SL_FRAG_HELD,      /**< the table owns the packet until it releases it */
	SL_FRAG_UNMATCHED, /**< member unknown: the caller keeps the packet and
			        steers it by addresses and protocol */
};

/**
 * Counters of one table. X(field): a uint64_t field of struct sl_frag_stats
 * whose name is also the counter's name in JSON and telemetry. Monotonic and
 * never reset, except the gauges (*_now_*).
 *
 * Ledger: every sl_frag_other() call counts once in sent, held or
 * unmatched_limit; held = released_matched + released_unmatched +
 * held_now_pkts (until sl_frag_free()); unmatched_limit is the sum of
 * limit_worker_pkts, limit_worker_bytes, limit_tenant, limit_datagram and
 * table_full.
 */
#define SL_FRAG_STATS(X)                                                                  \
	X(datagrams)          /* entries created */                                      \
	X(expired)            /* entries forgotten after entry_tsc without activity */   \
	X(sent)               /* non-first fragments sent: member known on arrival */    \
	X(held)               /* non-first fragments held until their first */           \
	X(released_matched)   /* held, then released to the member by their first */     \
	X(released_unmatched) /* held, then released unmatched after hold_tsc */         \
	X(unmatched_limit)    /* refused to hold: sum of the five classes below */       \
	X(limit_worker_pkts)  /* max_held_pkts reached */                                \
	X(limit_worker_bytes) /* max_held_bytes would be exceeded */                     \
	X(limit_tenant)       /* tenant_max_held_pkts reached (or tenant out of range) */ \
	X(limit_datagram)     /* max_held_per_datagram reached */                        \
	X(table_full)         /* no entry free for a fragment that needed holding */     \
	X(first_untracked)    /* first fragment sent without an entry: table full */     \
	X(overlap)            /* byte range overlaps one already seen */                 \
	X(tiny)               /* non-last < 8 bytes, or TCP first fragment < 16 bytes */ \
	X(oversized)          /* offset + length > 65535 */                              \
	X(bad_length)         /* non-last fragment length not a multiple of 8 */         \
	X(duplicate_first)    /* offset-0 fragment of a datagram whose first was seen */ \
	X(held_now_pkts)      /* gauge: fragments held now */                            \
	X(held_now_bytes)     /* gauge: payload bytes held now */

#define SL_FRAG_X_FIELD(f) uint64_t f;
/** Counters of one table (see SL_FRAG_STATS). */
struct sl_frag_stats {
	SL_FRAG_STATS(SL_FRAG_X_FIELD)
};
#undef SL_FRAG_X_FIELD

#define SL_FRAG_X_ENUM(f) SL_FRAG_STAT_##f,
/** Counter indices, in SL_FRAG_STATS order (SL_FRAG_STAT_overlap, ...). */
enum sl_frag_stat {
	SL_FRAG_STATS(SL_FRAG_X_ENUM)
	SL_FRAG_STAT_MAX
};
#undef SL_FRAG_X_ENUM

/** Name of counter @p c ("datagrams", ...), NULL when out of range. */
const char *sl_frag_stat_name(unsigned int c);

/** Value of counter @p c in @p s, 0 when out of range. */
uint64_t sl_frag_stat(const struct sl_frag_stats *s, unsigned int c);

struct sl_frag_table;

/** Release callback: @p pkt goes to analyzer member @p member; the caller owns it again. */
typedef void (*sl_frag_release_cb)(void *pkt, uint32_t member, void *arg);

/** Callback for a packet the table gives back without a member. */
typedef void (*sl_frag_pkt_cb)(void *pkt, void *arg);

/**
 * Hash of a key in table @p t: rte_hash_crc over the 48 bytes with the
 * table's seed (random, chosen at creation, so remote hosts cannot aim IP
 * ids at one bucket). The @p hash argument of sl_frag_first() and
 * sl_frag_other() must be this value: rte_hash recomputes it internally.
 */
uint32_t sl_frag_hash(const struct sl_frag_table *t, const struct sl_frag_key *k);

/**
 * Create a table.
 *
 * @param name    unique name (rte_hash name, <= 26 characters)
 * @param l       bounds (copied); entries >= 8 and n_tenants >= 1
 * @param socket  NUMA socket for the memory
 * @return table, or NULL with rte_errno set (EINVAL, ENOMEM, EEXIST).
 */
struct sl_frag_table *sl_frag_create(const char *name, const struct sl_frag_limits *l,
				     int socket);

/**
 * Free a table (NULL accepted). Every packet still held is handed to
 * @p free_pkt first (in arrival order per datagram); with a NULL callback
 * they are forgotten, which leaks them unless the caller owns them
 * elsewhere. Held fragments are not counted as released.
 */
void sl_frag_free(struct sl_frag_table *t, sl_frag_pkt_cb free_pkt, void *arg);

/**
 * A first fragment (offset 0) whose member the caller found in its flow
 * table.
 *
 * Records @p member for the datagram (creating the entry, or updating the
 * member of an existing one) and, before returning, hands every fragment
 * held for the datagram to @p release in arrival order, so that the caller,
 * sending the first fragment afterwards, preserves arrival order. When no
 * entry can be created (table full) the fragment is still sent and
 * first_untracked counts; later fragments will then be held or unmatched.
 *
 * @param k, hash  datagram key and sl_frag_hash(t, k)
 * @param member   the flow's member
 * @param frag_off fragment offset in bytes (0 here; checked like any other)
 * @param frag_len fragment payload bytes (after the IP and fragment headers)
 * @param more     more-fragments flag
 * @param now      TSC
 * @param release  called for each released fragment (non-NULL)
 * @return SL_FRAG_SEND (the first fragment is always sent).
 */
enum sl_frag_verdict sl_frag_first(struct sl_frag_table *t, const struct sl_frag_key *k,
				   uint32_t hash, uint32_t member, uint32_t frag_off,
				   uint32_t frag_len, bool more, uint64_t now,
				   sl_frag_release_cb release, void *arg);

/**
 * A non-first fragment.
 *
 * @param k, hash  datagram key and sl_frag_hash(t, k)
 * @param pkt      the packet, opaque; kept by the table only on SL_FRAG_HELD
 * @param frag_off fragment offset in bytes
 * @param frag_len fragment payload bytes; held bytes are counted in these
 * @param member   set on SL_FRAG_SEND
 * @return SL_FRAG_SEND when the datagram's member is known (*member set);
 *         SL_FRAG_HELD when it is not and every bound allows holding: the
 *         table owns @p pkt and will give it to the release callback of
 *         sl_frag_first(), to the unmatched callback of sl_frag_age(), or to
 *         the callback of sl_frag_free(); SL_FRAG_UNMATCHED when a bound
 *         refused (per-worker packets or bytes, per-tenant packets,
 *         per-datagram packets, no free entry): the caller keeps @p pkt,
 *         and the first refusing bound, in that order, is counted.
 *
 * A fragment refused while earlier fragments of its datagram are held goes
 * back to the caller at once, ahead of them; every other path keeps a
 * datagram's arrival order.
 */
enum sl_frag_verdict sl_frag_other(struct sl_frag_table *t, const struct sl_frag_key *k,
				   uint32_t hash, void *pkt, uint32_t frag_off,
				   uint32_t frag_len, bool more, uint64_t now, uint32_t *member);

/**
 * Examine up to @p budget entry slots from the table's cursor. A datagram
 * whose oldest held fragment has waited longer than hold_tsc gives all its
 * held fragments to @p unmatched, in arrival order, and is removed. A
 * datagram without held fragments and idle longer than entry_tsc is
 * removed (its member is forgotten). A fragment of a removed datagram
 * arriving later starts over (held again, or sent after a new first).
 * Call once per loop iteration.
 *
 * @param unmatched  called for each timed-out fragment (non-NULL)
 * @return entries removed.
 */
unsigned int sl_frag_age(struct sl_frag_table *t, uint64_t now, unsigned int budget,
			 sl_frag_pkt_cb unmatched, void *arg);

/** Counters of the table; valid until sl_frag_free(). Read on the owning lcore. */
const struct sl_frag_stats *sl_frag_get_stats(const struct sl_frag_table *t);

/** Datagrams tracked now. */
uint32_t sl_frag_count(const struct sl_frag_table *t);

/** Fragments held now for @p tenant (0 when out of range). */
uint32_t sl_frag_tenant_held(const struct sl_frag_table *t, uint16_t tenant);

#ifdef __cplusplus
}
#endif
#endif /* SL_FRAG_H */
