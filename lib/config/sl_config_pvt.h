/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Private to lib/config: the loader context and the functions shared by the
 * YAML walker (sl_config.c), the schema tables and key parsers
 * (sl_config_schema.c) and the cross-checks (sl_config_check.c).
 */
#ifndef SL_CONFIG_PVT_H
#define SL_CONFIG_PVT_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* cpu_set_t, sched_getaffinity() */
#endif
#include <sched.h>
#include <stdarg.h>
#include <stddef.h>

#include <yaml.h>

#include "sl_config.h"

#define SL_VLAN_MIN 1
#define SL_VLAN_MAX 4094
/** Most QinQ pairs one tenant may list. */
#define SL_MAX_QINQ_PER_TENANT 4096
/** Most entries of one tunnel id list (vni, gre_key, erspan_id) of a tenant. */
#define SL_MAX_IDS_PER_TENANT 4096

/** The kinds of tunnel id a tenant can match on. */
enum sl_cfg_id_kind {
	SL_CFG_ID_VNI = 0,
	SL_CFG_ID_GRE_KEY,
	SL_CFG_ID_ERSPAN,
	SL_CFG_ID_KINDS,
};

/** The list of kind @p k of tenant @p t, its length in *n. */
static inline const struct sl_cfg_id_range *
sl_cfg_tenant_ids(const struct sl_cfg_tenant *t, enum sl_cfg_id_kind k, uint16_t *n)
{
	switch (k) {
	case SL_CFG_ID_VNI:
		*n = t->n_vni;
		return t->vni;
	case SL_CFG_ID_GRE_KEY:
		*n = t->n_gre_key;
		return t->gre_key;
	default:
		*n = t->n_erspan_id;
		return t->erspan_id;
	}
}
/** Longest dotted key path kept for messages ("tenants[3].pools[1]..."). */
#define SL_CFG_KEY_MAX 256

/** State of one sl_config_load() call. */
struct sl_cfg_ctx {
	const char *path;
	unsigned int flags;
	struct sl_cfg *cfg;
	struct sl_cfg_error *err;
	yaml_document_t doc;
	char key[SL_CFG_KEY_MAX]; /**< dotted path of the node being walked */
	size_t key_len;
	uint16_t tenant;          /**< index of the tenant being walked */
	uint16_t pool;            /**< index of the pool being walked */
	struct sl_cfg_loc *untagged_loc;            /**< per tenant */
	struct sl_cfg_loc worker_loc[SL_MAX_LCORES]; /**< per worker lcore */
	struct sl_cfg_loc max_depth_loc;            /**< 0:0 = default */
	struct sl_cfg_loc vxlan_loc[SL_MAX_VXLAN_PORTS];   /**< 0:0 = default */
	struct sl_cfg_loc geneve_loc[SL_MAX_GENEVE_PORTS]; /**< 0:0 = default */
	struct sl_cfg_loc max_held_loc;             /**< fragments.max_held, 0:0 = default */
	struct sl_cfg_app_match app; /**< the rule being walked: its app keys */
	bool app_seen;            /**< ... it has one */
	bool cpus_loaded;         /**< cpus holds sched_getaffinity() */
	bool cpus_known;          /**< sched_getaffinity() succeeded */
	cpu_set_t cpus;
};

/** 1-based location of a node. */
struct sl_cfg_loc sl_cfg_node_loc(const yaml_node_t *n);

/**
 * Record an error at @p loc under the current key path; first error wins.
 * @return -EINVAL, to be returned by the caller.
 */
int sl_cfg_fail(struct sl_cfg_ctx *c, struct sl_cfg_loc loc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/** Format "PATH:LINE:COL: KEY: REASON" into @p err. */
void sl_cfg_verror(struct sl_cfg_error *err, const char *path, struct sl_cfg_loc loc,
		   const char *key, const char *fmt, va_list ap)
	__attribute__((format(printf, 5, 0)));

/* ---- walker (sl_config.c) ---- */

#define SL_CFG_DIM(a) (sizeof(a) / sizeof((a)[0]))
/** Most keys one mapping of the schema has. */
#define SL_CFG_MAX_FIELDS 32

struct sl_cfg_field;
/** Parse value node @p n of key @p f into @p obj; 0 or -errno with the error set. */
typedef int (*sl_cfg_parse_fn)(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj,
			       const struct sl_cfg_field *f);

/** One key of a mapping: how to parse its value into obj. */
struct sl_cfg_field {
	const char *name;
	sl_cfg_parse_fn parse;
	bool required;
	size_t off, size;               /**< member of obj (parse_uint, parse_map) */
	long long lo, hi;               /**< range (parse_uint) */
	const struct sl_cfg_field *sub; /**< nested table (parse_map) */
	size_t n_sub;
};

/** Text of a scalar node (NUL-terminated by libyaml). */
static inline const char *
sl_cfg_text(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

/** -ENOMEM, with "PATH: out of memory" as the error. */
int sl_cfg_fail_nomem(struct sl_cfg_ctx *c);
/** "expected WANT, got 'text'" (or "got a list", ...) at @p n. */
int sl_cfg_fail_type(struct sl_cfg_ctx *c, const yaml_node_t *n, const char *want);
/** Append ".name" (name != NULL) or "[idx]" to the key path; returns the length to pop to. */
size_t sl_cfg_key_push(struct sl_cfg_ctx *c, const char *name, long idx);
void sl_cfg_key_pop(struct sl_cfg_ctx *c, size_t len);

/** Decimal or 0x-hexadecimal integer with optional sign; saturates. */
bool sl_cfg_parse_ll(const char *s, long long *out);

/*
 * Value getters: check the node's type and range, store the value, and
 * return 0, or -EINVAL with the error set at the node.
 */
int sl_cfg_get_str(struct sl_cfg_ctx *c, yaml_node_t *n, char *buf, size_t size);
/** 1..SL_NAME_MAX-1 characters of [A-Za-z0-9_.-]; buf holds SL_NAME_MAX. */
int sl_cfg_get_name(struct sl_cfg_ctx *c, yaml_node_t *n, char *buf);
int sl_cfg_get_int(struct sl_cfg_ctx *c, yaml_node_t *n, long long lo, long long hi,
		   long long *out);
/** An integer or a "lo-hi" string, both ends within [min, max], lo <= hi. */
int sl_cfg_get_range(struct sl_cfg_ctx *c, yaml_node_t *n, long long min, long long max,
		     long long *lo, long long *hi);
int sl_cfg_get_bool(struct sl_cfg_ctx *c, yaml_node_t *n, bool *out);
/** Index of the scalar in @p names; the error lists them. */
int sl_cfg_get_enum(struct sl_cfg_ctx *c, yaml_node_t *n, const char *const *names,
		    size_t count, int *out);
/** A list of min..max entries; its length in *len. */
int sl_cfg_get_seq(struct sl_cfg_ctx *c, yaml_node_t *n, size_t min, size_t max, size_t *len);
/** Item @p i of a list node. */
yaml_node_t *sl_cfg_seq_item(struct sl_cfg_ctx *c, yaml_node_t *seq, size_t i);
/** calloc() that never returns NULL for 0 elements, so NULL means ENOMEM. */
void *sl_cfg_calloc(size_t n, size_t size);

/** Walk mapping @p map with the key table @p f (see sl_config.c). */
int sl_cfg_walk_map(struct sl_cfg_ctx *c, yaml_node_t *map, const struct sl_cfg_field *f,
		    size_t nf, void *obj);
/** sl_cfg_parse_fn for a nested mapping: f->sub into obj + f->off. */
int sl_cfg_parse_map(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj,
		     const struct sl_cfg_field *f);
/** sl_cfg_parse_fn for a uint8_t/16_t/32_t/64_t member (f->off, f->size) in f->lo..f->hi. */
int sl_cfg_parse_uint(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj,
		      const struct sl_cfg_field *f);

/* ---- schema (sl_config_schema.c) ---- */

/** The defaults of every optional key. */
void sl_cfg_set_defaults(struct sl_cfg *cfg, const char *path);
/** Walk the top-level mapping of the document into c->cfg. */
int sl_cfg_walk_top(struct sl_cfg_ctx *c, yaml_node_t *root);

/*
 * Cross-checks (sl_config_check.c). Each runs while the walker stands on
 * node @p n (the error location) and returns 0 or -EINVAL with the error set.
 * Ports and tenants after the current one are still zeroed, so comparing
 * against "every other entry" only meets the ones already walked.
 */

/** @p name is not used by another input or output. */
int sl_cfg_check_port_name(struct sl_cfg_ctx *c, const yaml_node_t *n,
			   const struct sl_cfg_port *self, const char *name);
/** Validate, normalize into self->pci, and look up @p text in sysfs. */
int sl_cfg_check_pci(struct sl_cfg_ctx *c, const yaml_node_t *n,
		     struct sl_cfg_port *self, const char *text);
/** Known vdev driver, instance name unique; copies @p text into self->vdev. */
int sl_cfg_check_vdev(struct sl_cfg_ctx *c, const yaml_node_t *n,
		      struct sl_cfg_port *self, const char *text);
/** @p lcore is a CPU this process may run on (unless the flag says not). */
int sl_cfg_check_lcore(struct sl_cfg_ctx *c, const yaml_node_t *n, unsigned int lcore);
/**
 * VLAN range @p r of the current tenant is not listed twice in it and, for a
 * VLAN tenant, overlaps no earlier VLAN tenant. The tunnel id lists come
 * before vlan in the schema, so whether the tenant is a tunnel tenant is known.
 */
int sl_cfg_check_vlan(struct sl_cfg_ctx *c, const yaml_node_t *n,
		      const struct sl_cfg_vlan_range *r);
/** QinQ pair @p q of the current tenant is not taken yet. */
int sl_cfg_check_qinq(struct sl_cfg_ctx *c, const yaml_node_t *n, const struct sl_cfg_qinq *q);
/** No earlier tenant on a shared input claims untagged frames. */
int sl_cfg_check_untagged(struct sl_cfg_ctx *c, const yaml_node_t *n);
/**
 * Tunnel id range @p r of kind @p k of the current tenant is not listed
 * twice in it and overlaps no range of that kind of an earlier tenant that
 * shares an input.
 */
int sl_cfg_check_tunnel_id(struct sl_cfg_ctx *c, const yaml_node_t *n, enum sl_cfg_id_kind k,
			   const struct sl_cfg_id_range *r);
/** No UDP port is both in tunnels.vxlan_ports and in tunnels.geneve_ports. */
int sl_cfg_check_tunnel_ports(struct sl_cfg_ctx *c);

/* Schema table entries (sl_config_schema.c, sl_config_policy.c). */
#define FIELD(nm, fn, req) { .name = nm, .parse = fn, .required = req }
#define UINT_FIELD(nm, st, mem, l, h, req)                                                \
	{ .name = nm, .parse = sl_cfg_parse_uint, .required = req,                            \
	  .off = offsetof(st, mem), .size = sizeof(((st *)0)->mem), .lo = l, .hi = h }
#define UINT(nm, st, mem, l, h) UINT_FIELD(nm, st, mem, l, h, false)
/* An optional uint member whose parser fn calls sl_cfg_parse_uint() and checks more. */
#define UINT_FN(nm, st, mem, l, h, fn)                                                    \
	{ .name = nm, .parse = fn, .off = offsetof(st, mem), .size = sizeof(((st *)0)->mem),  \
	  .lo = l, .hi = h }
/* A nested mapping whose keys fill a member of obj (off) or obj itself (off 0). */
#define SUBMAP(nm, fn, req, offset, tbl)                                                  \
	{ .name = nm, .parse = fn, .required = req, .off = offset, .sub = tbl,                \
	  .n_sub = SL_CFG_DIM(tbl) }

/** The tenant being parsed. */
static inline struct sl_cfg_tenant *
sl_cfg_cur_tenant(struct sl_cfg_ctx *c)
{
	return &c->cfg->tenants[c->tenant];
}

/** A tenant's match: mapping (sl_config_match.c); obj is the struct
 * sl_cfg_tenant. */
int sl_cfg_parse_match(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj,
		       const struct sl_cfg_field *f);

/** A tenant's pools: list (sl_config_pools.c); obj is the struct
 * sl_cfg_tenant. */
int sl_cfg_parse_pools(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj,
		       const struct sl_cfg_field *f);

/** metrics: (sl_config_metrics.c); obj is the struct sl_cfg. */
int sl_cfg_parse_metrics(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj,
			 const struct sl_cfg_field *f);

/** A member's remote: mapping (sl_config_remote.c); obj is the struct
 * sl_cfg_member, its output already resolved. */
int sl_cfg_parse_remote(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj,
			const struct sl_cfg_field *f);

/* ---- policy keys (sl_config_policy.c) ---- */

/** A depth: mapping into the struct sl_cfg_depth at obj + f->off. */
int sl_cfg_parse_depth(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj,
		       const struct sl_cfg_field *f);
/** Tenant keys; obj is the struct sl_cfg_tenant. */
int sl_cfg_parse_rules(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj,
		       const struct sl_cfg_field *f);
int sl_cfg_parse_elephant(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj,
			  const struct sl_cfg_field *f);
int sl_cfg_parse_records(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj,
			 const struct sl_cfg_field *f);
/** Open @p path, parse it as one YAML document and walk its root with
 * @p walk (c->path is @p path meanwhile; syntax errors are reported). */
int sl_cfg_load_file(struct sl_cfg_ctx *c, const char *path,
		     int (*walk)(struct sl_cfg_ctx *c, yaml_node_t *root, void *arg), void *arg);
int sl_cfg_parse_rules_file(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj,
			    const struct sl_cfg_field *f);
int sl_cfg_parse_max_flows(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj,
			   const struct sl_cfg_field *f);
int sl_cfg_parse_on_flow_quota(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj,
			       const struct sl_cfg_field *f);
int sl_cfg_parse_rate(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj,
		      const struct sl_cfg_field *f);
int sl_cfg_check_flow_bounds(struct sl_cfg_ctx *c);
/** A tenant's dedup: (sl_config_dedup.c); obj is the tenant. */
int sl_cfg_parse_dedup(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj,
		       const struct sl_cfg_field *f);
int sl_cfg_parse_admin(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj,
		       const struct sl_cfg_field *f);
int sl_cfg_parse_control(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj,
			 const struct sl_cfg_field *f);

/* ---- application detection (sl_config_app.c) ---- */

/** A rule's match keys app, category, sni (obj: the rule; into c->app). */
int sl_cfg_parse_app(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj,
		     const struct sl_cfg_field *f);
int sl_cfg_parse_category(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj,
			  const struct sl_cfg_field *f);
int sl_cfg_parse_sni(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj,
		     const struct sl_cfg_field *f);
/** After a rule's match: c->app, if it was given, becomes the tenant's
 * next app match and @p r an app rule. */
int sl_cfg_app_rule_done(struct sl_cfg_ctx *c, struct sl_cfg_rule *r);
/** What the new actions need (steer, bypass-after-handshake), checked
 * once the whole rule is read. */
int sl_cfg_check_app_rule(struct sl_cfg_ctx *c, const struct sl_cfg_rule *r);
/** The appid: section (obj: the struct sl_cfg). */
int sl_cfg_parse_appid(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj,
		       const struct sl_cfg_field *f);
/** After the whole file: detection is on when a tenant has app rules; its
 * sizes fit the flow tables. */
int sl_cfg_check_appid(struct sl_cfg_ctx *c);
/** The defaults of the appid: section. */
void sl_cfg_appid_defaults(struct sl_cfg_appid *a);

#endif /* SL_CONFIG_PVT_H */
