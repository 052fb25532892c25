/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Canonical flow keys, symmetric hashing and the per-worker flow table.
 *
 * A flow key orders the two (address, port) endpoints so that a flow and its
 * reverse build the same key; the key also holds the tenant, the VLAN ids and
 * the protocol, so equal 5-tuples in two tenants (or two VLANs) are two flows.
 * Keys are hashed with rte_hash_crc and a seed.
 *
 * The flow table (sl_flow_table.c) is one per worker lcore: a bucketized
 * cuckoo hash of 64-byte buckets (12 slots of an 8-bit tag and a 32-bit entry
 * index) over an array of 112-byte entries that hold their key, so a lookup
 * is two dependent cache-line loads (bucket, entry), staged over a burst.
 * It is owned by one lcore: no function here is safe to call concurrently
 * on one table. Entries age out on per-class idle timeouts, a bounded number
 * of entries per call to sl_flow_age() (never a whole-table sweep). Times in
 * entries are 32-bit "flow time" units (sl_flow_time()): TSC >> shift, about
 * a millisecond.
 */
#ifndef SL_FLOW_H
#define SL_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sl_parse.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Canonical, symmetric flow key. 48 bytes, no holes left uninitialised. */
struct sl_flow_key {
	uint8_t addr_lo[16]; /**< lower endpoint address (network order) */
	uint8_t addr_hi[16]; /**< higher endpoint address */
	uint16_t port_lo;    /**< port of the lower endpoint (host order) */
	uint16_t port_hi;
	uint16_t tenant;     /**< tenant index */
	uint16_t vlan[SL_MAX_VLANS];
	uint8_t proto;       /**< IP protocol, 0 for non-IP */
	uint8_t family;      /**< 4, 6, or 0 for non-IP */
	uint32_t reserved;   /**< outermost tunnel id (pi->tunnel_id), 0 if none */
};

/** Which key fields feed a member-selection hash (mirrors the config enum). */
enum sl_flow_fields {
	SL_FIELDS_5TUPLE = 0,
	SL_FIELDS_3TUPLE,
	SL_FIELDS_2TUPLE,
};

/** Idle-timeout classes. */
enum sl_flow_tclass {
	SL_TCLASS_TCP = 0,
	SL_TCLASS_UDP,
	SL_TCLASS_ICMP,
	SL_TCLASS_OTHER,
	SL_TCLASS_CLOSED,   /**< TCP: FIN seen both ways, or RST: a short grace */
	SL_TCLASS_BYPASSED, /**< a bypassed flow's own idle timeout */
	SL_TCLASS_MAX
};

/** struct sl_flow_entry::flags */
#define SL_FLOW_F_USED 0x01
#define SL_FLOW_F_BYPASS 0x02    /**< not forwarded any more (see bypass_why) */
#define SL_FLOW_F_ELEPHANT 0x04  /**< rate reached the tenant's elephant threshold */
#define SL_FLOW_F_SLICE 0x08     /**< forwarded cut (the rule's or the elephant slice) */
#define SL_FLOW_F_INIT_REV 0x10  /**< first packet seen went higher->lower endpoint */
#define SL_FLOW_F_TIMED 0x20     /**< a requested bypass that ends at win */
#define SL_FLOW_F_APP 0x40       /**< has application-detection state (lib/appid):
				      from its first packet to its end */
#define SL_FLOW_F_DETECT 0x80    /**< with SL_FLOW_F_APP: its packets are still read
				      by application detection */

/** Why a flow is bypassed (struct sl_flow_entry::bypass_why). */
enum sl_bypass_why {
	SL_BYPASS_NONE = 0,
	SL_BYPASS_RULE,     /**< rule action bypass, or a flow sampled out */
	SL_BYPASS_DEPTH,    /**< depth reached */
	SL_BYPASS_REQUEST,  /**< asked for on the control socket */
	SL_BYPASS_ELEPHANT, /**< elephant, tenant policy bypass */
	SL_BYPASS_HANDSHAKE, /**< bypass-after-handshake: its TLS/QUIC handshake ended */
};

/**
 * A flow: its key and its state, 112 bytes (pinned in sl_flow_table.c), so
 * that a million flows with their buckets fit in 128 MiB. What every packet
 * touches comes first: the key, the low halves of the byte counters, the
 * packet counters, last, slot, gen, flags, tclass, action, pool and the TCP
 * flags, SL_FLOW_ENTRY_HOT bytes. Entries start 16-byte aligned, so those
 * bytes always lie in two cache lines (the whole entry is in two or three):
 * a packet costs the table two entry lines, not two and a half on average.
 * Packet counts are 32 bits per direction (they wrap at 2^32); byte counts
 * are 64 bits, kept in two halves (sl_flow_bytes(), sl_flow_count_bytes()).
 * Times are flow-time units (sl_flow_time()).
 */
struct sl_flow_entry {
	struct sl_flow_key key;
	/* what every packet reads or writes */
	uint32_t bytes_lo[2]; /**< low 32 bits of the bytes, [0]: lower->higher
				   endpoint, [1]: reverse */
	uint32_t pkts[2];
	uint32_t last;        /**< flow time of the last packet */
	uint16_t slot;        /**< the member's slot (stable across reloads) */
	uint16_t gen;         /**< the tenant's policy generation of the verdict */
	uint8_t flags;        /**< SL_FLOW_F_* */
	uint8_t tclass;       /**< enum sl_flow_tclass */
	uint8_t action : 3;   /**< enum sl_rule_action of the verdict */
	uint8_t pool : 5;     /**< pool index within the tenant */
	uint8_t tcp_flags[2]; /**< TCP flags seen per direction */
	/* the rest: policy, bypass, elephant and record state */
	uint8_t bypass_why;   /**< enum sl_bypass_why */
	uint16_t rule;        /**< rule index + 1, 0 = no rule matched */
	uint32_t bytes_hi[2]; /**< high 32 bits of the bytes */
	uint32_t first;       /**< flow time of the first packet */
	uint32_t nf_pkts;     /**< packets counted but not forwarded */
	uint32_t win;         /**< elephant window start; with SL_FLOW_F_TIMED,
				   when a requested bypass ends */
	uint32_t win_bytes;   /**< total bytes >> 8 at the window start */
	uint64_t nf_bytes;    /**< bytes counted but not forwarded (bypassed or dropped) */
};

/** The bytes at the start of an entry that every packet touches. */
#define SL_FLOW_ENTRY_HOT (offsetof(struct sl_flow_entry, bypass_why))

/** Bytes of direction @p dir of flow @p e. */
static inline uint64_t
sl_flow_bytes(const struct sl_flow_entry *e, unsigned int dir)
{
	return (uint64_t)e->bytes_hi[dir] << 32 | e->bytes_lo[dir];
}

/** Both directions' bytes of flow @p e. */
static inline uint64_t
sl_flow_total_bytes(const struct sl_flow_entry *e)
{
	return sl_flow_bytes(e, 0) + sl_flow_bytes(e, 1);
}

/** Count @p len bytes in direction @p dir of flow @p e: the high half is
 * written only on a carry (once per 4 GiB), so a packet writes the hot
 * lines only. */
static inline void
sl_flow_count_bytes(struct sl_flow_entry *e, unsigned int dir, uint32_t len)
{
	uint32_t lo = e->bytes_lo[dir] + len;

	if (__builtin_expect(lo < len, 0))
		e->bytes_hi[dir]++;
	e->bytes_lo[dir] = lo;
}

/** Set the bytes of direction @p dir of flow @p e. */
static inline void
sl_flow_set_bytes(struct sl_flow_entry *e, unsigned int dir, uint64_t v)
{
	e->bytes_lo[dir] = (uint32_t)v;
	e->bytes_hi[dir] = (uint32_t)(v >> 32);
}

/** Flow-time shift for a TSC of @p hz: units of 2^shift cycles, the largest
 * power of two not above a millisecond (wraps after 2^32 units, >= 24 days). */
static inline unsigned int
sl_flow_time_shift(uint64_t hz)
{
	unsigned int s = 0;

	while ((2ull << s) <= hz / 1000)
		s++;
	return s;
}

/** Flow time of TSC @p tsc. */
static inline uint32_t
sl_flow_time(uint64_t tsc, unsigned int shift)
{
	return (uint32_t)(tsc >> shift);
}

/** Flow-time units per second. */
static inline uint64_t
sl_flow_time_hz(uint64_t hz, unsigned int shift)
{
	return hz >> shift;
}

/* The key is built inline, in the header (out of line it was 64
 * instructions a packet, 9 of them its call and saved registers:
 * docs/performance.md "Fewer instructions a packet"). */
_Static_assert(sizeof(struct sl_flow_key) == 48, "key layout");
_Static_assert(offsetof(struct sl_flow_key, port_lo) == 32, "key layout");
_Static_assert(offsetof(struct sl_flow_key, reserved) == 44, "key layout");

/*
 * Should the endpoints be swapped so that the lower one comes first? Any total
 * order works as long as both directions agree. Which side is lower is a coin
 * toss per packet, so this is computed without branches (a mispredicted
 * branch here cost ~15 cycles a packet) from native 64-bit words.
 */
static inline unsigned int
sl_flow_pvt_endpoints_swap(const uint8_t *a, uint16_t pa, const uint8_t *b, uint16_t pb)
{
	uint64_t a0, a1, b0, b1;

	memcpy(&a0, a, 8);
	memcpy(&a1, a + 8, 8);
	memcpy(&b0, b, 8);
	memcpy(&b1, b + 8, 8);
	unsigned int ne0 = a0 != b0, ne1 = a1 != b1;
	unsigned int gt = (ne0 & (a0 > b0)) |
			  ((ne0 ^ 1) & ((ne1 & (a1 > b1)) | ((ne1 ^ 1) & (pa > pb))));
	return gt;
}

/**
 * Build the canonical key of a parsed packet.
 *
 * @param pi      parser output
 * @param tenant  tenant index
 * @param k       key, fully written (padding zeroed)
 * @return        direction: 0 when the packet's source is the lower endpoint,
 *                1 when the endpoints were swapped.
 *
 * Packets without ports (non-first fragments, protocols other than
 * TCP/UDP/SCTP/ICMP) get port 0 on both sides. Non-IP frames get a key of
 * tenant, VLANs and tunnel id only. The outermost tunnel id (VNI, GRE key,
 * ERSPAN session) goes in `reserved`: the same inner 5-tuple in two mirror
 * sessions is two flows.
 */
static inline int
sl_flow_key_build(const struct sl_pkt_info *pi, uint16_t tenant, struct sl_flow_key *k)
{
	uint16_t sport = 0, dport = 0;
	unsigned int swap = 0;
	uint64_t w4, w5, m = 0;

	if (pi->l3 == SL_L3_NONE) {
		memset(k->addr_lo, 0, sizeof(k->addr_lo) + sizeof(k->addr_hi));
	} else {
		uint64_t a[2], b[2];

		sport = pi->has_ports ? pi->sport : 0;
		dport = pi->has_ports ? pi->dport : 0;
		swap = sl_flow_pvt_endpoints_swap(pi->src, sport, pi->dst, dport);
		/*
		 * The swap itself without a branch too: `swap ? dst : src`
		 * compiled to a conditional jump around six register moves (GCC
		 * 12, -O3), taken or not by the same coin toss. An all-ones or
		 * all-zeros mask, hidden from the compiler so that it cannot
		 * turn the selects back into a jump, picks each word.
		 */
		m = -(uint64_t)swap;
		__asm__("" : "+r"(m));
		memcpy(a, pi->src, 16);
		memcpy(b, pi->dst, 16);
		uint64_t x0 = (a[0] ^ b[0]) & m, x1 = (a[1] ^ b[1]) & m;
		uint64_t lo[2] = { a[0] ^ x0, a[1] ^ x1 }, hi[2] = { b[0] ^ x0, b[1] ^ x1 };

		memcpy(k->addr_lo, lo, 16);
		memcpy(k->addr_hi, hi, 16);
	}
	/*
	 * The last 16 bytes (ports, tenant, VLANs, protocol, family, tunnel id)
	 * are assembled in registers and stored as two 8-byte words: the CRC
	 * right after reads the key 8 bytes at a time, and an 8-byte load
	 * spanning several just-stored 2-byte fields cannot be forwarded from
	 * the store buffer (a stall of ~15 cycles per load, seen in perf).
	 * Little-endian layout of struct sl_flow_key, checked above.
	 */
	uint16_t px = (uint16_t)((sport ^ dport) & m);
	uint16_t plo = (uint16_t)(sport ^ px), phi = (uint16_t)(dport ^ px);
	uint8_t proto = pi->l3 == SL_L3_NONE ? 0 : pi->proto;
	uint8_t family = pi->l3 == SL_L3_NONE ? 0 : pi->l3;

	w4 = (uint64_t)plo | (uint64_t)phi << 16 | (uint64_t)tenant << 32 |
	     (uint64_t)pi->vlan[0] << 48;
	w5 = (uint64_t)pi->vlan[1] | (uint64_t)proto << 16 | (uint64_t)family << 24 |
	     (uint64_t)pi->tunnel_id << 32;
	memcpy(&k->port_lo, &w4, 8);
	memcpy((uint8_t *)k + 40, &w5, 8);
	return (int)swap;
}

/** Hash of the whole key: rte_hash_crc over the 48 bytes with @p seed. */
uint32_t sl_flow_hash(const struct sl_flow_key *k, uint32_t seed);

/**
 * Hash of a subset of the key, for member selection: 5-tuple is the whole
 * key; 3-tuple drops the ports; 2-tuple drops ports and protocol. Tenant and
 * VLANs always take part. Symmetric because the key is.
 */
uint32_t sl_flow_hash_fields(const struct sl_flow_key *k, enum sl_flow_fields f, uint32_t seed);

/**
 * What takes a tenant's slot out of the hashes of its keys. A key holds its
 * tenant's slot, a number fixed by the order in which tenants appeared
 * since start (reloads included); a member choice that a fleet of sluices
 * must agree on has to depend on the tenant's configured id instead. For
 * any key k whose tenant field is @p slot:
 *
 *     sl_flow_hash_fields(k, f, seed) ^ sl_flow_tenant_xor(slot, id, f, seed)
 *         == sl_flow_hash_fields(k', f, seed)
 *
 * where k' is k with @p id in its tenant field (and so for sl_flow_hash()
 * with SL_FIELDS_5TUPLE). CRC32C without a final inversion is affine over
 * GF(2): crc(a ^ b) = crc(a) ^ crc(b) ^ crc(0) for messages of one length,
 * so the difference is the hash of a key holding only slot ^ id, minus that
 * of the zero key. Computed once per tenant; free on the data path.
 */
uint32_t sl_flow_tenant_xor(uint16_t slot, uint16_t id, enum sl_flow_fields f, uint32_t seed);

/** Map a 32-bit hash onto [0, n) without a division (multiply-shift). */
static inline uint32_t
sl_hash_scale(uint32_t hash, uint32_t n)
{
	return (uint32_t)(((uint64_t)hash * n) >> 32);
}

/** Timeout class of a protocol number. */
enum sl_flow_tclass sl_flow_tclass_of(uint8_t proto);

struct sl_flow_table;

/**
 * Create a flow table.
 *
 * @param name      name of its memory (rte_malloc)
 * @param entries   capacity in flows (>= 8, <= 2^30)
 * @param socket    NUMA socket for the memory
 * @param seed      hash seed used for keys (must match sl_flow_hash())
 * @param shift     flow-time shift (sl_flow_time_shift())
 * @param timeout   idle timeout per class, in flow-time units
 * @return table, or NULL with rte_errno set.
 */
struct sl_flow_table *sl_flow_table_create(const char *name, uint32_t entries, int socket,
					   uint32_t seed, unsigned int shift,
					   const uint32_t timeout[SL_TCLASS_MAX]);

/** Free a table (NULL accepted). */
void sl_flow_table_free(struct sl_flow_table *t);

/**
 * Per-tenant bounds on entries: tenant i (the key's tenant) may hold at
 * most quota[i] entries, 0 meaning no bound of its own. A bound is also a
 * reservation: a tenant under its bound always gets an entry, whatever the
 * others do, because tenants without a bound (and the table's headroom)
 * may only use what the bounded tenants do not hold in reserve. The sum of
 * the bounds must not exceed the capacity.
 *
 * The first call fixes the number of tenants @p n and starts counting each
 * tenant's entries (the table must be empty then); later calls (a reload)
 * change the bounds: a tenant over a lowered bound keeps its entries and
 * gets no new one until it is under it again.
 *
 * @return 0; -EINVAL when the bounds exceed the capacity or @p n differs
 *         from the first call's; -ENOMEM.
 */
int sl_flow_table_set_quotas(struct sl_flow_table *t, const uint32_t *quota, uint32_t n);

/** Entries tenant @p tenant holds (0 before sl_flow_table_set_quotas()). */
uint32_t sl_flow_tenant_count(const struct sl_flow_table *t, uint16_t tenant);

/** Whether tenant @p tenant holds as many entries as its bound allows: why
 * sl_flow_add() refused it (otherwise the table was full for it). */
bool sl_flow_over_quota(const struct sl_flow_table *t, uint16_t tenant);

/**
 * Prefetch the first bucket of a key with hash @p hash: a hint to the cache
 * that a lookup of that key follows, with no effect on the table. Called as
 * soon as the hash is known (the RX stage, a burst before the lookup), it
 * hides the bucket's memory latency behind the parsing of the packets after
 * it. Owning lcore only (like every reader of the table).
 */
void sl_flow_prefetch_bucket(const struct sl_flow_table *t, uint32_t hash);

/**
 * Prefetch the entries a lookup of a key with hash @p hash will compare:
 * reads the key's first bucket (best prefetched before, with
 * sl_flow_prefetch_bucket()) and prefetches the two lines of each entry
 * whose tag matched (the second bucket instead when none did and keys of
 * this bucket were displaced). No effect on the table. A caller that
 * handles its packets one by one calls it a few packets ahead of
 * sl_flow_lookup(), so that the entries' memory latency overlaps the work
 * on the packets in between: the software pipeline that a bulk lookup's
 * stages cannot give, since they issue every miss of a burst at once and
 * wait for the last. Owning lcore only.
 */
void sl_flow_prefetch_entry(const struct sl_flow_table *t, uint32_t hash);

/**
 * Look up one key with its precomputed hash: its entry, or NULL. Sees every
 * change made to the table before it (a flow that an earlier packet of the
 * same burst created is found).
 */
struct sl_flow_entry *sl_flow_lookup(struct sl_flow_table *t, const struct sl_flow_key *k,
				     uint32_t hash);

/** Most keys sl_flow_lookup_bulk() takes at once. */
#define SL_FLOW_LOOKUP_MAX 64

/**
 * Look up to SL_FLOW_LOOKUP_MAX keys with precomputed hashes, staged: every
 * bucket is prefetched first, then every candidate entry (its tag matched),
 * then the keys are compared, so the cache misses of a burst overlap.
 * out[i] is the entry, or NULL on a miss.
 */
void sl_flow_lookup_bulk(struct sl_flow_table *t, const struct sl_flow_key **keys,
			 const uint32_t *hashes, unsigned int n, struct sl_flow_entry **out);

/**
 * Insert a key that a lookup just missed.
 *
 * A key already present (two packets of a new flow in one bulk lookup both
 * miss) returns its existing entry untouched with *created false.
 *
 * @param now  flow time (sl_flow_time())
 * @return the entry: a new one has its key, first = last = @p now, flags
 *         USED, the rest zero, and *created true; NULL when the table is
 *         full, or the key's tenant is at its bound (sl_flow_over_quota()
 *         tells which), or an unbounded tenant would take room the bounded
 *         ones hold in reserve.
 */
struct sl_flow_entry *sl_flow_add(struct sl_flow_table *t, const struct sl_flow_key *k,
				  uint32_t hash, uint32_t now, bool *created);

/** Called for each entry about to expire (before it is removed). */
typedef void (*sl_flow_expire_cb)(const struct sl_flow_entry *e, void *arg);

/** Whether an entry must end now whatever its age (e.g. its tenant is gone). */
typedef bool (*sl_flow_gone_cb)(const struct sl_flow_key *k, void *arg);

/**
 * Examine up to @p budget entries from the table's cursor and remove those
 * idle longer than their class timeout. Call once per loop iteration.
 *
 * @param now    flow time
 * @param force  remove every used entry met, regardless of age (shutdown)
 * @param gone   optional: an entry for which it returns true is removed too
 * @return entries removed.
 */
unsigned int sl_flow_age(struct sl_flow_table *t, uint32_t now, unsigned int budget, bool force,
			 sl_flow_gone_cb gone, sl_flow_expire_cb cb, void *arg);

/** Replace the idle timeouts (flow-time units per class); owning lcore only. */
void sl_flow_set_timeouts(struct sl_flow_table *t, const uint32_t timeout[SL_TCLASS_MAX]);

/** Live entries. */
uint32_t sl_flow_count(const struct sl_flow_table *t);

/** Capacity (flows). */
uint32_t sl_flow_capacity(const struct sl_flow_table *t);

/** Bytes of memory the table holds (buckets, entries, free list, per-tenant
 * counts): what rte_malloc gave it. */
size_t sl_flow_table_memory(const struct sl_flow_table *t);

/** Entries the overflow stash holds now (keys no bucket could take). */
uint32_t sl_flow_stashed(const struct sl_flow_table *t);

/**
 * Index of entry @p e of table @p t, in [0, sl_flow_capacity()): the same
 * for the whole life of the flow (entries never move; only bucket slots
 * do), so state kept beside the table (application detection) can be
 * found from it without a field in the entry. @p e must be an entry of
 * @p t (as sl_flow_add() or sl_flow_lookup_bulk() returned it).
 */
uint32_t sl_flow_entry_index(const struct sl_flow_table *t, const struct sl_flow_entry *e);

#ifdef __cplusplus
}
#endif
#endif /* SL_FLOW_H */
