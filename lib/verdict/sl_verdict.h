/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Per-flow decisions: which pool member a packet goes to, what a tenant's
 * policy makes of a new flow, and what it does with each of its packets.
 *
 * Each decision is a function of a flow entry (lib/flow), a few facts about
 * the packet and the tenant's settings, and returns what to do; it may move
 * the flow entry's own state along (its bypass flags, its elephant window),
 * but it never touches a packet, a counter or a queue. The worker applies
 * what it is told: frees, trims, copies, counts and enqueues. So every
 * decision is table-tested here (tests/unit/test_verdict.c), and the worker
 * holds no policy of its own.
 *
 * No DPDK state and no I/O: the functions are reentrant, and each call
 * touches only the entry it is given (an entry belongs to one worker lcore).
 * The member states (down[]) are written by another thread and read with
 * relaxed atomic loads.
 */
#ifndef SL_VERDICT_H
#define SL_VERDICT_H

#include <stdbool.h>
#include <stdint.h>

#include "sl_flow.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Most pools one rule may name (mirror). */
#define SL_VERDICT_MAX_RULE_POOLS 4
/** Most pools of one tenant. */
#define SL_VERDICT_MAX_POOLS 16

/* ---- member choice ------------------------------------------------------ */

/**
 * Rendezvous (highest random weight) score of member @p i for flow hash
 * @p h: the splitmix64 finalizer of both. Hand-written: DPDK has no HRW
 * helper, and this is a few multiplies.
 */
static inline uint64_t
sl_hrw_score(uint32_t h, uint32_t i)
{
	uint64_t x = ((uint64_t)h << 32 | i) + 0x9e3779b97f4a7c15ull;

	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}


/** No current member: sl_member_pick() chooses one by hash. */
#define SL_SLOT_NONE UINT16_MAX

/**
 * How a pool spreads flows over its members. Members are named by their
 * slot: a number that stays the same for a (tenant, pool, output, queue) for
 * the life of the process, across configuration reloads, so a flow that
 * remembers its member's slot keeps it while that member stays in its pool.
 */
struct sl_pool_steer {
	uint16_t n_members;      /**< >= 1 */
	uint8_t fields;          /**< enum sl_flow_fields the member hash covers */
	bool resteer;            /**< on_member_down: resteer (else drop) */
	/** By enum sl_flow_fields: XORed into the hashes a member is chosen
	 * by, so that the choice depends on the tenant's configured id and
	 * not on its slot (sl_pool_steer_place()). All zero: by the slot. */
	uint32_t place_xor[3];
	const uint16_t *slots;   /**< n_members member slots, in pool order */
};

/**
 * Make a pool's member choice the same on every sluice with the same
 * configuration and hash seed, whatever the tenant's slot (the order
 * tenants appeared in since start, reloads included): fills
 * @p p->place_xor with sl_flow_tenant_xor() of @p slot and @p id.
 * Workers, queues and the order of loading play no part in the choice
 * anyway: it is the pool's hash of the flow (its fields, the tenant's id,
 * the VLAN ids and tunnel id of the key) scaled onto the members in their
 * configured order.
 *
 * @param slot  the tenant's slot (the tenant field of its flow keys)
 * @param id    the tenant's configured id
 * @param seed  the hash seed (tuning.hash_seed)
 */
void sl_pool_steer_place(struct sl_pool_steer *p, uint16_t slot, uint16_t id, uint32_t seed);

/** What sl_member_pick() is choosing for. */
enum sl_pick_kind {
	/** A flow: its current member (cur) while that member is up. When it
	 * is down and the pool resteers, the member the pool's hash gives among
	 * those up. Without a current member (a new flow, a flow the table had
	 * no room for, a mirror copy, a flow whose member left its pool): the
	 * pool's hash over its fields. */
	SL_PICK_FLOW = 0,
	/** A non-first fragment whose datagram's first fragment was not seen:
	 * by tenant, VLANs, addresses and protocol (what every fragment carries),
	 * so every unmatched fragment of a datagram goes to one member. */
	SL_PICK_FRAGMENT,
	/** A frame without IP: member 0, or by the packet's hash among the
	 * members up when member 0 is down. */
	SL_PICK_NON_IP,
};

/** Where a packet goes within its pool. */
struct sl_member_choice {
	uint16_t slot;    /**< the member's slot */
	bool down;        /**< that member is down: the packet is dropped (member_down) */
	bool moved;       /**< SL_PICK_FLOW: the flow leaves its current member (down) for
			       this one; the caller stores it in the entry and counts it */
};

/**
 * Out-of-line part of sl_member_pick(): every case but a flow whose current
 * member is up.
 */
struct sl_member_choice sl_member_pick_slow(const struct sl_pool_steer *p, const uint8_t *down,
					    enum sl_pick_kind kind, uint16_t cur,
					    const struct sl_flow_key *k, uint32_t hash,
					    uint32_t seed);

/**
 * The member of a pool a packet goes to, for every case (see enum
 * sl_pick_kind). Within a pool the hash's own member (sl_hash_scale()) is
 * taken while it is up, else the member up with the highest rendezvous
 * score (sl_hrw_score()), so no flow of a member that is up ever moves and a
 * down member's flows spread evenly over the others.
 *
 * @param p     the pool
 * @param down  indexed by member slot: non-zero for a member that is down
 *              (written by another thread, read with relaxed loads)
 * @param kind  what is being chosen for
 * @param cur   SL_PICK_FLOW: the flow's current member slot, which must be
 *              one of the pool's, or SL_SLOT_NONE
 * @param k     the packet's flow key
 * @param hash  sl_flow_hash(k, seed)
 * @param seed  the hash seed (tuning.hash_seed)
 */
static inline struct sl_member_choice
sl_member_pick(const struct sl_pool_steer *p, const uint8_t *down, enum sl_pick_kind kind,
	       uint16_t cur, const struct sl_flow_key *k, uint32_t hash, uint32_t seed)
{
	/* the common case: a known flow whose member is up */
	if (__builtin_expect(kind == SL_PICK_FLOW && cur != SL_SLOT_NONE &&
				     __atomic_load_n(&down[cur], __ATOMIC_RELAXED) == 0,
			     1))
		return (struct sl_member_choice){ .slot = cur };
	return sl_member_pick_slow(p, down, kind, cur, k, hash, seed);
}

/** Index of member slot @p slot in pool @p p, or -1 when it is not one of its members. */
int sl_pool_index_of(const struct sl_pool_steer *p, uint16_t slot);

/* ---- policy ------------------------------------------------------------- */

/** Rule actions; the same values as enum sl_rule_action (lib/config). */
enum sl_action {
	SL_ACTION_FORWARD = 0, /**< to one pool */
	SL_ACTION_MIRROR,      /**< to every listed pool */
	SL_ACTION_BYPASS,      /**< counted, not forwarded */
	SL_ACTION_DROP,        /**< filtered (policy_drop) */
	SL_ACTION_SLICE,       /**< forwarded cut to a length */
	SL_ACTION_SAMPLE,      /**< 1 flow in N forwarded, the others bypassed */
	/** App rules only: to the rule's pool once the application is known
	 * (kept in an entry as SL_ACTION_FORWARD: it forwards from then on) */
	SL_ACTION_STEER,
	/** App rules only: forwarded (to the rule's pool, if it names one)
	 * until the TLS/QUIC handshake ended in both directions, then bypassed
	 * (kept in an entry as SL_ACTION_FORWARD until then) */
	SL_ACTION_BYPASS_HS,
	SL_ACTION_MAX          /**< fits struct sl_flow_entry::action (3 bits) */
};

/** What happens to a flow found to be an elephant (enum sl_elephant_action). */
enum sl_elephant_do {
	SL_ELEPHANT_DO_KEEP = 0,
	SL_ELEPHANT_DO_BYPASS,
	SL_ELEPHANT_DO_SLICE,
};

/** Depth limit: 0 = none. */
struct sl_depth {
	uint64_t bytes;
	uint64_t packets;
	bool per_direction;
};

/** One rule's action, as the data path applies it. */
struct sl_rule_act {
	uint8_t action;          /**< enum sl_action */
	uint8_t n_pools;
	uint8_t pools[SL_VERDICT_MAX_RULE_POOLS]; /**< pool indexes; [0] carries the flow */
	bool strips;             /**< mirror: one of the pools strips tunnels */
	uint16_t slice;          /**< SL_ACTION_SLICE: bytes kept */
	uint32_t sample;         /**< SL_ACTION_SAMPLE: 1 flow in sample kept */
	bool has_depth;          /**< depth overrides the pool's */
	struct sl_depth depth;
};

/** A tenant's policy settings. */
struct sl_tenant_policy {
	const struct sl_rule_act *rules; /**< n_rules, in configuration order */
	uint32_t n_rules;
	uint16_t default_pool;
	uint16_t n_pools;
	struct sl_depth pool_depth[SL_VERDICT_MAX_POOLS]; /**< depth of flows a pool gets */
	/** Some depth or elephant setting exists: every packet is checked. */
	bool slow;
	uint8_t elephant_action;         /**< enum sl_elephant_do */
	uint16_t elephant_slice;
	uint64_t elephant_bytes_per_sec; /**< 0 = off */
	uint32_t elephant_window;        /**< in flow-time units (sl_flow_time()) */
	uint64_t ft_hz;                  /**< flow-time units per second */
	/** XORed into the flow hash a flow is sampled by: the 5-tuple
	 * place_xor of the tenant's pools (sl_pool_steer_place()), so that a
	 * fleet samples the same flows. */
	uint32_t place_xor;
};

/** Events a decision reports for the caller to count. */
#define SL_VERDICT_EV_SAMPLED_OUT 0x01 /**< a new flow not kept by sampling */
#define SL_VERDICT_EV_ELEPHANT 0x02    /**< the flow was just found to be an elephant */
#define SL_VERDICT_EV_DEPTH 0x04       /**< the whole flow was just bypassed at its depth */
#define SL_VERDICT_EV_EXPIRED 0x08     /**< a requested bypass ran out */
#define SL_VERDICT_EV_APP_RULE 0x10    /**< an app rule decided the flow's verdict */
#define SL_VERDICT_EV_STEERED 0x20     /**< ... and moved it to another pool */
#define SL_VERDICT_EV_HANDSHAKE 0x40   /**< ... bypass-after-handshake: follow the handshake */

/**
 * Cache a new flow's verdict in its entry: the pool it goes to, the action,
 * the rule (index + 1), slice and bypass state.
 *
 * @param tp    the tenant's policy
 * @param e     a new entry (as sl_flow_add() returns it)
 * @param rule  index of the first matching rule, or -1 (none: default pool, forward)
 * @param dir   the first packet's direction (sl_flow_key_build())
 * @param hash  the flow's symmetric hash: sampling keeps a flow by it, so both
 *              directions and every worker agree
 * @return SL_VERDICT_EV_SAMPLED_OUT or 0.
 */
unsigned int sl_verdict_new_flow(const struct sl_tenant_policy *tp, struct sl_flow_entry *e,
				 int32_t rule, uint8_t dir, uint32_t hash);

/**
 * Re-classify a known flow whose tenant's policy changed (a reload): the
 * verdict of rule @p rule replaces the old one at the flow's next packet.
 * What the old rule decided goes (its pool, action, slice, a bypass or a
 * sampling decision of its own); what the flow itself earned stays: its
 * counters, its direction, a depth, elephant or requested bypass. The caller
 * then checks that the flow's member is still in its (maybe new) pool.
 *
 * @param proto  the flow's IP protocol (a rule bypass that ends restores
 *               its idle-timeout class)
 * @return SL_VERDICT_EV_SAMPLED_OUT or 0.
 */
unsigned int sl_verdict_reclassify(const struct sl_tenant_policy *tp, struct sl_flow_entry *e,
				   int32_t rule, uint8_t proto, uint32_t hash);

/**
 * Whether a packet of flow @p e needs sl_verdict_packet(): a plain forward
 * with no bypass, slice, depth or elephant setting does not.
 */
static inline bool
sl_verdict_needed(const struct sl_tenant_policy *tp, const struct sl_flow_entry *e)
{
	return e->action != SL_ACTION_FORWARD || (e->flags & (SL_FLOW_F_BYPASS | SL_FLOW_F_SLICE)) ||
	       tp->slow;
}

/** What to do with one packet of a flow. */
enum sl_pkt_do {
	SL_DO_FORWARD = 0, /**< to the flow's member (see slice, mirror) */
	SL_DO_BYPASS,      /**< counted in the flow, not forwarded */
	SL_DO_DROP,        /**< filtered by policy (policy_drop) */
};

/** sl_verdict_packet()'s answer. */
struct sl_pkt_verdict {
	uint8_t what;    /**< enum sl_pkt_do */
	uint8_t events;  /**< SL_VERDICT_EV_* to count */
	bool mirror;     /**< forward: copies also go to the rule's other pools */
	uint16_t slice;  /**< forward: cut to this many bytes; 0 = whole */
};

/**
 * One packet of a known flow whose entry already counts it (pkts, bytes):
 * bypass (rule, sampling, depth, request, elephant), policy drop, slice and
 * mirror, in that order. A requested bypass past its end is cleared first;
 * the elephant rate is measured over the tenant's window; depth counts what
 * the flow (or its direction) carried before this packet.
 *
 * @param dir    the packet's direction (sl_flow_key_build())
 * @param proto  the flow's IP protocol (its idle-timeout class is restored
 *               when a bypass ends)
 * @param len    the packet's length, already in e->bytes
 * @param now    flow time (sl_flow_time())
 */
struct sl_pkt_verdict sl_verdict_packet(const struct sl_tenant_policy *tp,
					struct sl_flow_entry *e, uint8_t dir, uint8_t proto,
					uint32_t len, uint32_t now);

/**
 * A control-socket request on a flow: set (until flow time @p until when
 * @p timed, else until the flow ends) or clear a requested bypass. Clearing
 * leaves a bypass of any other origin alone. While a timed bypass runs, the
 * flow's elephant window waits (the entry keeps the end there).
 *
 * @return true when @p set bypassed a flow that was not bypassed (counted as
 *         requested_bypasses).
 */
bool sl_verdict_request(struct sl_flow_entry *e, uint8_t proto, bool set, bool timed,
			uint32_t until);

/* ---- application rules ------------------------------------------------- */

/*
 * A rule may match on what application detection (lib/appid) finds: the
 * application protocol, its category, the TLS/QUIC server name. Such an
 * "app rule" cannot be decided on a flow's first packet; the others ("port
 * rules") are (lib/policy). Rules keep one order: a flow's verdict is the
 * first rule, in configuration order, that matches it. At the first packet
 * that is the first matching port rule; once detection has an answer, an
 * app rule that comes before it and matches takes over
 * (sl_verdict_app_rule(), then sl_verdict_app_apply()).
 */

/** Most names one app rule lists per key (app, category, sni). */
#define SL_VERDICT_APP_NAMES 8
/** Bytes of a server name pattern, its NUL included. */
#define SL_VERDICT_SNI_MAX 80
/** The VLAN a rule sees for an untagged flow (lib/policy's too). */
#define SL_VERDICT_UNTAGGED_VLAN 4096

/** An address prefix: family 0 is any address. */
struct sl_verdict_cidr {
	uint8_t family;   /**< 0, 4 or 6 */
	uint8_t prefix;   /**< bits */
	uint8_t addr[16]; /**< network order, IPv4 in addr[0..3] */
};

/** A rule's 5-tuple, matched as lib/policy matches it: either direction. */
struct sl_tuple_match {
	struct sl_verdict_cidr src, dst;
	uint16_t sport_lo, sport_hi;
	uint16_t dport_lo, dport_hi;
	int16_t proto;               /**< -1: any */
	uint16_t vlan_lo, vlan_hi;   /**< outer VLAN, SL_VERDICT_UNTAGGED_VLAN untagged */
	uint16_t input_lo, input_hi;
};

/** A server name pattern: a name, or with suffix a "*.name" (any name
 * that ends with ".name"; not "name" itself). Lowercase. */
struct sl_sni_pattern {
	char name[SL_VERDICT_SNI_MAX]; /**< "example.com"; for "*.example.com": ".example.com" */
	uint8_t len;
	bool suffix;
};

/** One app rule: its 5-tuple and what it asks of detection (each list
 * matches when any of its entries does; an empty list matches anything;
 * the lists are ANDed). */
struct sl_app_rule {
	uint32_t rule;               /**< its index in the tenant's rules */
	struct sl_tuple_match tuple;
	uint8_t n_apps, n_cats, n_sni;
	uint16_t apps[SL_VERDICT_APP_NAMES];  /**< nDPI protocol ids: master or app */
	uint16_t cats[SL_VERDICT_APP_NAMES];  /**< nDPI category ids */
	struct sl_sni_pattern sni[SL_VERDICT_APP_NAMES];
};

/** A tenant's app rules, in configuration order. */
struct sl_app_policy {
	const struct sl_app_rule *rules;
	uint32_t n_rules;            /**< >= 1 */
	uint32_t first;              /**< the smallest rule index among them */
};

/** What detection found about a flow, as the rules read it. */
struct sl_app_facts {
	uint16_t master;             /**< nDPI master protocol, 0: none */
	uint16_t app;                /**< nDPI application protocol, 0: unknown */
	uint16_t category;           /**< nDPI category */
	uint8_t sni_len;
	const char *sni;             /**< lowercase; "" when none */
};

/** Whether a flow whose first matching port rule is @p port_rule (-1:
 * none) may still be claimed by an app rule: one comes before it. When
 * not, detection would change nothing and is not run. */
static inline bool
sl_verdict_app_needed(const struct sl_app_policy *ap, int32_t port_rule)
{
	return port_rule < 0 || (uint32_t)port_rule > ap->first;
}

/** Whether flow @p k, read on input @p input, matches the 5-tuple @p m
 * (either direction, as sl_policy_classify()). */
bool sl_tuple_match(const struct sl_tuple_match *m, const struct sl_flow_key *k,
		    uint16_t input);

/** Whether detection's facts @p f satisfy app rule @p r (its 5-tuple aside). */
bool sl_app_match(const struct sl_app_rule *r, const struct sl_app_facts *f);

/**
 * The flow's rule once detection has an answer: the first app rule (in
 * configuration order) that comes before @p port_rule and matches both
 * the flow's 5-tuple and the facts; else @p port_rule.
 *
 * @param port_rule  index of the first port rule matching the flow, -1: none
 * @param k, input   the flow (for the app rules' 5-tuples)
 * @param f          detection's answer
 * @return a rule index, or -1 (no rule: the default pool).
 */
int32_t sl_verdict_app_rule(const struct sl_app_policy *ap, int32_t port_rule,
			    const struct sl_flow_key *k, uint16_t input,
			    const struct sl_app_facts *f);

/**
 * Apply rule @p rule, chosen by sl_verdict_app_rule(), to flow @p e, whose
 * verdict is its port rule's (or was, before a reload, an app rule's). A
 * rule that is already the flow's changes nothing (0). Otherwise the
 * rule's verdict replaces the old one as in sl_verdict_reclassify() (what
 * the flow earned stays: depth, elephant, requested bypass), with the app
 * actions: steer forwards to the rule's pool; bypass-after-handshake
 * forwards, to the rule's pool if it names one, else where the flow went,
 * until sl_verdict_handshake_done().
 *
 * @return SL_VERDICT_EV_APP_RULE when the verdict changed, with
 *         SL_VERDICT_EV_STEERED when the flow's pool changed (the caller
 *         picks a member of the new pool), SL_VERDICT_EV_HANDSHAKE for
 *         bypass-after-handshake, SL_VERDICT_EV_SAMPLED_OUT as
 *         sl_verdict_new_flow().
 */
unsigned int sl_verdict_app_apply(const struct sl_tenant_policy *tp, struct sl_flow_entry *e,
				  int32_t rule, uint8_t proto, uint32_t hash);

/**
 * The handshake of a bypass-after-handshake flow ended in both directions:
 * the rest of the flow is bypassed (SL_BYPASS_HANDSHAKE), unless a bypass
 * or a drop already keeps it from its analyzer.
 * @return true when this bypassed it (the caller counts it).
 */
bool sl_verdict_handshake_done(struct sl_flow_entry *e);

#ifdef __cplusplus
}
#endif
#endif /* SL_VERDICT_H */
