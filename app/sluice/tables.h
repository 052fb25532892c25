/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tenant and pool tables: what the data path reads about tenants (how a
 * packet finds its tenant, its policy), pools (how flows spread) and members
 * (where a packet goes).
 *
 * Tenants and pool members are known by slots that never change for the
 * life of the process: a tenant's slot is fixed by its name, a member's by
 * (tenant, pool name, output, queue). Flow keys, flow entries, counters, TX
 * buffers and member health are indexed by slot, so they survive a reload.
 *
 * What a configuration makes of the slots is a struct sl_tables, built from
 * it on the control thread (tables.c) and published with one pointer swap
 * (app->tbl, reload.c); a worker loads the pointer once per loop iteration
 * and reports a quiescent state after it (rte_rcu_qsbr), so old tables are
 * freed only when no worker can still see them. A worker never waits.
 */
#ifndef SLUICE_TABLES_H
#define SLUICE_TABLES_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_spinlock.h>

#include "sl_config.h"
#include "sl_encap.h"
#include "sl_flow.h"
#include "sl_parse.h"
#include "sl_verdict.h"

/** Tenant slot of a packet that has none. */
#define SL_NO_TENANT UINT16_MAX
/** A member that is a whole output: each worker has its own TX queue. */
#define SL_QUEUE_PER_WORKER UINT16_MAX

struct sl_shmring_prod;
struct sl_policy;
struct sl_app;
struct sl_cfg_error;

/**
 * A remote member's tunnel (remote.c): the outer header template, and the
 * configuration it was made from, which is part of the slot's identity (a
 * reload that changes it makes a new slot).
 */
struct sl_member_remote {
	struct sl_encap encap;
	struct sl_cfg_remote cfg;
};

/**
 * A member slot: where its packets go, resolved once when the slot is made
 * and never changed (control thread writes it before any table names it).
 */
struct sl_member_rt {
	uint16_t port;       /**< DPDK port id (not for a ring) */
	uint16_t queue;      /**< TX queue, or SL_QUEUE_PER_WORKER */
	rte_spinlock_t *lock; /**< non-NULL when several workers share the queue */
	struct sl_shmring_prod *ring; /**< ring output: its producer (under lock) */
	/** A remote member: its frames are encapsulated before they are
	 * buffered (remote.c); NULL for a local member */
	const struct sl_member_remote *remote;
	uint16_t output;     /**< index into cfg->outputs (outputs never change) */
	uint16_t tenant;     /**< tenant slot */
	uint16_t tenant_id;  /**< the operator's tenant id (ring descriptors) */
	int32_t cfg_queue;   /**< the member's queue in the configuration, -1: whole */
	char pool[SL_NAME_MAX]; /**< its pool's name (part of its identity) */
	uint16_t index;      /**< its index in the pool, as last configured */
};

/** An rte_acl rule set, shared by consecutive tables while a tenant's rules
 * do not change (refs counted by the control thread only). */
struct sl_acl {
	struct sl_policy *p;
	/** Its rules are the tenant's port rules only (app rules are decided
	 * later, appid.c): classifier index -> rule index; NULL when every
	 * rule is a port rule (the same index). */
	uint32_t *rule_of;
	uint32_t refs;
};

/** A pool in one generation of the tables. */
struct sl_pool_rt {
	struct sl_pool_steer steer; /**< members (slots) and how flows spread */
	enum sl_strip_mode strip;
	uint16_t retag_vlan;
};

/** A tenant in one generation of the tables (indexed by tenant slot). */
struct sl_tenant_rt {
	bool present;                 /**< configured in this generation */
	bool records;                 /**< flow records wanted */
	uint16_t gen;                 /**< policy generation: +1 when its rules,
					   pools or settings change (flows re-classify) */
	const struct sl_cfg_tenant *cfg; /**< in the tables' configuration */
	uint64_t *vlan_filter;        /**< tunnel tenants with a vlan list: bitmap of
					   outer VLAN ids that may match; NULL = any */
	uint16_t n_pools;
	uint16_t default_pool;
	enum sl_non_ip_action non_ip;
	enum sl_malformed_action malformed;
	/** dedup window in TSC cycles; 0: off */
	uint64_t dedup_tsc;
	struct sl_acl *acl;           /**< rte_acl rules; NULL: every flow to default_pool */
	/** The tenant's app rules (appid.c); NULL: it has none and pays
	 * nothing for application detection */
	const struct sl_app_policy *app;
	/* isolation (docs/architecture.md "Tenant isolation") */
	bool quota_drop;              /**< on_flow_quota: drop (else forward by hash) */
	bool metered;                 /**< a rate meter applies */
	struct sl_cfg_rate rate;      /**< the tenant's rate, shared by the RX workers */
	struct sl_rule_act *rules;    /**< cfg rules, same order (pol.rules) */
	struct sl_tenant_policy pol;  /**< what lib/verdict decides with */
	struct sl_pool_rt pools[SL_MAX_POOLS_PER_TENANT];
};

/** One tunnel id range and what a packet in it needs: one cache line read
 * per step of the search, no other table on the way to the tenant. */
struct sl_id_range {
	uint32_t lo, hi;
	const uint64_t *vlan_filter; /**< the tenant's (NULL: any VLAN) */
	uint16_t tenant;             /**< tenant slot */
};

/** Tunnel id ranges of one kind on one input: sorted, non-overlapping. */
struct sl_id_map {
	uint32_t n;
	struct sl_id_range *r;
};

enum sl_id_kind { SL_ID_VNI = 0, SL_ID_GRE_KEY, SL_ID_ERSPAN, SL_ID_KINDS };

/** Tenant lookup for one input port: VLAN id -> tenant slot + 1 (0 = none),
 * slot SL_UNTAGGED_VLAN for untagged frames, QinQ pairs and tunnel ids. */
struct sl_tenant_map {
	struct sl_id_map ids[SL_ID_KINDS];
	uint16_t vlan[SL_UNTAGGED_VLAN + 1];
	uint32_t n_qinq;
	uint32_t *qinq_key;    /**< sorted (outer << 16 | inner) */
	uint16_t *qinq_tenant; /**< tenant slot for qinq_key[i] */
};

/** Where a member slot sits in one generation. */
struct sl_slot_pos {
	bool present;
	uint8_t pool;
	uint16_t index;
	uint8_t strip; /**< its pool's strip (enum sl_strip), SL_STRIP_NONE when
			    not present: read by the TX buffer's inline front */
};

/** One generation of tenant and pool tables. */
struct sl_tables {
	struct sl_cfg *cfg;            /**< owned: what these were built from */
	uint32_t generation;           /**< 1 at start, +1 per reload */
	uint16_t n_tenant_slots;       /**< entries of tenants[] */
	struct sl_tenant_rt *tenants;  /**< by tenant slot */
	uint16_t *slot_of;             /**< cfg->n_tenants: configuration order -> slot */
	uint16_t n_inputs;             /**< entries of maps[] */
	struct sl_tenant_map *maps;    /**< by input */
	int32_t default_tenant;        /**< tenant slot, or -1: drop */
	uint32_t n_member_slots;       /**< entries of pos[] */
	struct sl_slot_pos *pos;       /**< by member slot */
	bool removed;                  /**< a tenant of the previous generation is gone */
	bool any_dedup;                /**< some tenant has dedup on (dedup.c) */
	uint32_t *flow_quota;          /**< by tenant slot: entries per worker (0: no bound) */
	uint32_t rec_share;            /**< records a tenant may have waiting in one
					    worker's record ring */
	uint32_t timeout[SL_TCLASS_MAX]; /**< idle timeouts, flow-time units */
	uint64_t age_interval;         /**< TSC between aging batches (a sweep per
					    SL_AGE_SWEEP_DIV-th of the shortest timeout) */
};

/** The tenant slot's entry, or NULL when @p t is not a tenant of @p tb. */
static inline const struct sl_tenant_rt *
sl_tenant_of(const struct sl_tables *tb, uint16_t t)
{
	return t < tb->n_tenant_slots && tb->tenants[t].present ? &tb->tenants[t] : NULL;
}

/* tables.c */
/**
 * Build the tables of @p cfg, reusing @p old's slots (and rule sets of
 * tenants whose rules did not change). Takes ownership of @p cfg on
 * success. Slots are made for new tenants and members (their TX resolved
 * through ports.c); failures name the configuration line.
 */
struct sl_tables *sl_tables_build(struct sl_app *app, struct sl_cfg *cfg,
				  const struct sl_tables *old, struct sl_cfg_error *err);
/** Free tables no worker can see any more (and their configuration). */
void sl_tables_free(struct sl_tables *tb);
/** The packet's tenant slot on input @p input, or SL_NO_TENANT (per packet). */
uint16_t sl_tenant_lookup(const struct sl_tables *tb, uint16_t input,
			  const struct sl_pkt_info *pi);

/* policy.c: a tenant's rules and verdict settings */
int sl_policy_tenant_build(struct sl_app *app, struct sl_tables *tb, uint16_t slot,
			   const struct sl_tenant_rt *prev, struct sl_cfg_error *err);
void sl_policy_tenant_free(struct sl_tenant_rt *tr);

/* appid.c: a tenant's app rules for lib/verdict (tr->app) */
int sl_app_tenant_build(struct sl_app *app, struct sl_tables *tb, uint16_t slot,
			struct sl_cfg_error *err);
void sl_app_tenant_free(struct sl_tenant_rt *tr);

#endif /* SLUICE_TABLES_H */
