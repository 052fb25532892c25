/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tenant and pool tables: what the data path reads about tenants (how a
 * packet finds its tenant, its policy), pools (how flows spread) and members
 * (where a packet goes). Built from the configuration on the main lcore
 * before the workers run (tenant.c, policy.c); read-only afterwards, except
 * the member states health.c writes (struct sl_app::member_down).
 */
#ifndef SLUICE_TABLES_H
#define SLUICE_TABLES_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_spinlock.h>

#include "sl_config.h"
#include "sl_parse.h"
#include "sl_verdict.h"

/** Tenant index of a packet that has none. */
#define SL_NO_TENANT UINT16_MAX
/** A member that is a whole output: each worker has its own TX queue. */
#define SL_QUEUE_PER_WORKER UINT16_MAX

struct sl_shmring_prod;
struct sl_policy;
struct sl_app;

/** A pool member: where its packets are sent. */
struct sl_member_rt {
	uint16_t port;       /**< DPDK port id (not for a ring) */
	uint16_t queue;      /**< TX queue, or SL_QUEUE_PER_WORKER */
	rte_spinlock_t *lock; /**< non-NULL when several workers share the queue */
	struct sl_shmring_prod *ring; /**< ring output: its producer (under lock) */
	uint16_t output;     /**< index into cfg->outputs */
	uint16_t tenant;
	uint16_t tenant_id;  /**< the operator's tenant id (ring descriptors) */
	uint8_t pool;
};

/** A pool: its members are app->members[first_member .. + steer.n_members). */
struct sl_pool_rt {
	uint32_t first_member; /**< global member index of member 0 */
	struct sl_pool_steer steer; /**< how flows spread (lib/verdict) */
	enum sl_strip_mode strip;
	uint16_t retag_vlan;
};

struct sl_tenant_rt {
	uint64_t *vlan_filter;   /**< tunnel tenants with a vlan list: bitmap of
				      outer VLAN ids that may match; NULL = any */
	uint16_t n_pools;
	uint16_t default_pool;
	enum sl_non_ip_action non_ip;
	enum sl_malformed_action malformed;
	bool records;                 /**< flow records wanted */
	struct sl_policy *policy;     /**< rte_acl rules; NULL: every flow to default_pool */
	struct sl_rule_act *rules;    /**< owned; cfg rules, same order (pol.rules) */
	struct sl_tenant_policy pol;  /**< what lib/verdict decides with */
	struct sl_pool_rt pools[SL_MAX_POOLS_PER_TENANT];
};

/** Tunnel id ranges of one kind on one input: sorted, non-overlapping. */
struct sl_id_map {
	uint32_t n;
	uint32_t *lo, *hi;
	uint16_t *tenant;
};

enum sl_id_kind { SL_ID_VNI = 0, SL_ID_GRE_KEY, SL_ID_ERSPAN, SL_ID_KINDS };

/** Tenant lookup for one input port: VLAN id -> tenant index + 1 (0 = none),
 * slot SL_UNTAGGED_VLAN for untagged frames, QinQ pairs and tunnel ids. */
struct sl_tenant_map {
	struct sl_id_map ids[SL_ID_KINDS];
	uint16_t vlan[SL_UNTAGGED_VLAN + 1];
	uint32_t n_qinq;
	uint32_t *qinq_key;    /**< sorted (outer << 16 | inner) */
	uint16_t *qinq_tenant; /**< tenant index for qinq_key[i] */
};

struct sl_cfg_error;

/* tenant.c */
int sl_tenants_build(struct sl_app *app, struct sl_cfg_error *err);
void sl_tenants_free(struct sl_app *app);
/** The packet's tenant on input @p input, or SL_NO_TENANT (per packet). */
uint16_t sl_tenant_lookup(const struct sl_app *app, uint16_t input, const struct sl_pkt_info *pi);

/* policy.c */
int sl_policy_build(struct sl_app *app, struct sl_cfg_error *err);
void sl_policy_destroy(struct sl_app *app);

#endif /* SLUICE_TABLES_H */
