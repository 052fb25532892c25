/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The tenant keys of bypass, isolation, flow records and control: depth
 * (per pool and per rule), elephant, max_flows, on_flow_quota, rate,
 * flow_records, control (and the top-level admin). The rules are in
 * sl_config_rules.c. Wired into the tenant and pool tables of
 * sl_config_schema.c.
 */
#include "sl_config_pvt.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

static const char *const elephant_names[] = { "keep", "bypass", "slice" };

const char *
sl_elephant_action_name(enum sl_elephant_action a)
{
	return (unsigned int)a < SL_CFG_DIM(elephant_names) ? elephant_names[a] : "?";
}

/* ---- depth ---- */

static int
parse_per_direction(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj,
		    const struct sl_cfg_field *f)
{
	(void)f;
	return sl_cfg_get_bool(c, n, &((struct sl_cfg_depth *)obj)->per_direction);
}

static const struct sl_cfg_field depth_table[] = {
	UINT("bytes", struct sl_cfg_depth, bytes, 0, 1LL << 50),
	UINT("packets", struct sl_cfg_depth, packets, 0, 1LL << 50),
	FIELD("per_direction", parse_per_direction, false),
};

int
sl_cfg_parse_depth(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	struct sl_cfg_depth *d = (struct sl_cfg_depth *)((char *)obj + f->off);

	return sl_cfg_walk_map(c, n, depth_table, SL_CFG_DIM(depth_table), d);
}

/* ---- elephant ---- */

static int
parse_rate(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	struct sl_cfg_elephant *e = obj;
	long long v;
	int rc;

	(void)f;
	if ((rc = sl_cfg_get_int(c, n, 1, 1000000, &v)))
		return rc;
	e->bytes_per_sec = (uint64_t)v * 1000000 / 8;
	return 0;
}

static int
parse_window(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	struct sl_cfg_elephant *e = obj;
	long long v;
	int rc;

	(void)f;
	if ((rc = sl_cfg_get_int(c, n, 10, 60000, &v)))
		return rc;
	e->window_ms = (uint32_t)v;
	return 0;
}

static int
parse_elephant_action(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj,
		      const struct sl_cfg_field *f)
{
	struct sl_cfg_elephant *e = obj;
	int v, rc = sl_cfg_get_enum(c, n, elephant_names, SL_CFG_DIM(elephant_names), &v);

	(void)f;
	if (rc == 0)
		e->action = (enum sl_elephant_action)v;
	return rc;
}

static const struct sl_cfg_field elephant_fields[] = {
	FIELD("rate_mbps", parse_rate, true),
	FIELD("window_ms", parse_window, false),
	FIELD("action", parse_elephant_action, false),
	UINT("slice", struct sl_cfg_elephant, slice, 14, 65535),
};

int
sl_cfg_parse_elephant(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj,
		      const struct sl_cfg_field *f)
{
	struct sl_cfg_tenant *t = obj;
	struct sl_cfg_elephant *e = &t->elephant;
	int rc;

	(void)f;
	if ((rc = sl_cfg_walk_map(c, n, elephant_fields, SL_CFG_DIM(elephant_fields), e)))
		return rc;
	if ((e->action == SL_ELEPHANT_SLICE) != (e->slice != 0))
		return sl_cfg_fail(c, sl_cfg_node_loc(n),
				   e->slice ? "'slice' needs action: slice"
					    : "action slice needs 'slice' (bytes kept)");
	return 0;
}

/* ---- isolation: max_flows, on_flow_quota, rate ---- */

int
sl_cfg_parse_max_flows(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj,
		       const struct sl_cfg_field *f)
{
	struct sl_cfg_tenant *t = obj;
	long long v;
	int rc;

	(void)f;
	if ((rc = sl_cfg_get_int(c, n, 1, 1LL << 32, &v)))
		return rc;
	t->max_flows = v > (long long)UINT32_MAX ? UINT32_MAX : (uint32_t)v;
	t->max_flows_loc = sl_cfg_node_loc(n);
	return 0;
}

int
sl_cfg_parse_on_flow_quota(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj,
			   const struct sl_cfg_field *f)
{
	static const char *const names[] = { "forward", "drop" };
	struct sl_cfg_tenant *t = obj;
	int v, rc = sl_cfg_get_enum(c, n, names, SL_CFG_DIM(names), &v);

	(void)f;
	if (rc == 0)
		t->on_flow_quota = (enum sl_quota_action)v;
	return rc;
}

static int
parse_rate_mbps(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	struct sl_cfg_rate *r = obj;
	long long v;
	int rc;

	(void)f;
	if ((rc = sl_cfg_get_int(c, n, 1, 1000000, &v)))
		return rc;
	r->bytes_per_sec = (uint64_t)v * 1000000 / 8;
	return 0;
}

static const struct sl_cfg_field rate_fields[] = {
	UINT("pps", struct sl_cfg_rate, pps, 1, 1000000000),
	FIELD("mbps", parse_rate_mbps, false),
	UINT("burst", struct sl_cfg_rate, burst, 1, 100000000),
	UINT("burst_bytes", struct sl_cfg_rate, burst_bytes, 1518, 100000000000LL),
};

int
sl_cfg_parse_rate(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	struct sl_cfg_tenant *t = obj;
	struct sl_cfg_rate *r = &t->rate;
	int rc;

	(void)f;
	r->loc = sl_cfg_node_loc(n);
	if ((rc = sl_cfg_walk_map(c, n, rate_fields, SL_CFG_DIM(rate_fields), r)))
		return rc;
	if (r->pps == 0 && r->bytes_per_sec == 0)
		return sl_cfg_fail(c, r->loc, "rate needs 'pps', 'mbps' or both");
	if (r->burst != 0 && r->pps == 0)
		return sl_cfg_fail(c, r->loc, "'burst' (packets) needs 'pps'");
	if (r->burst_bytes != 0 && r->bytes_per_sec == 0)
		return sl_cfg_fail(c, r->loc, "'burst_bytes' needs 'mbps'");
	/* 100 ms of the rate at once, at least 32 packets of 1518 bytes */
	if (r->pps && r->burst == 0)
		r->burst = r->pps / 10 > 32 ? r->pps / 10 : 32;
	if (r->bytes_per_sec && r->burst_bytes == 0)
		r->burst_bytes = r->bytes_per_sec / 10 > 32 * 1518 ? r->bytes_per_sec / 10 : 32 * 1518;
	return 0;
}

/* After the whole file: the bounds fit the flow tables (flow_table.size per
 * worker); each worker reserves its share, max_flows / workers rounded up. */
int
sl_cfg_check_flow_bounds(struct sl_cfg_ctx *c)
{
	const struct sl_cfg *cfg = c->cfg;
	uint16_t workers = cfg->n_workers ? cfg->n_workers : 1;
	uint64_t sum = 0;

	for (uint16_t i = 0; i < cfg->n_tenants; i++) {
		const struct sl_cfg_tenant *t = &cfg->tenants[i];

		if (t->max_flows == 0)
			continue;
		sum += (t->max_flows + workers - 1) / workers;
		if (sum > cfg->flow_table_size) {
			snprintf(c->key, sizeof(c->key), "tenants[%u].max_flows", i);
			return sl_cfg_fail(c, t->max_flows_loc,
					   "tenant '%s': the tenants' max_flows add up to more than "
					   "the flow tables hold (%u workers x flow_table.size %u)",
					   t->name, workers, cfg->flow_table_size);
		}
	}
	return 0;
}

/* ---- flow_records ---- */

static int
parse_records_file(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	struct sl_cfg_records *r = obj;

	(void)f;
	r->kind = SL_RECORDS_FILE;
	return sl_cfg_get_str(c, n, r->path, sizeof(r->path));
}

static int
parse_records_unix(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	struct sl_cfg_records *r = obj;
	int rc;

	(void)f;
	r->kind = SL_RECORDS_UNIX;
	if ((rc = sl_cfg_get_str(c, n, r->path, sizeof(r->path))))
		return rc;
	if (strlen(r->path) >= 108) /* sizeof(sockaddr_un.sun_path) */
		return sl_cfg_fail(c, sl_cfg_node_loc(n), "socket path longer than 107 bytes");
	return 0;
}

static int
parse_records_syslog(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj,
		     const struct sl_cfg_field *f)
{
	static const char *const names[] = { "local0", "local1", "local2", "local3", "local4",
					     "local5", "local6", "local7", "daemon", "user" };
	static const int fac[] = { LOG_LOCAL0, LOG_LOCAL1, LOG_LOCAL2, LOG_LOCAL3, LOG_LOCAL4,
				   LOG_LOCAL5, LOG_LOCAL6, LOG_LOCAL7, LOG_DAEMON, LOG_USER };
	struct sl_cfg_records *r = obj;
	int v, rc = sl_cfg_get_enum(c, n, names, SL_CFG_DIM(names), &v);

	(void)f;
	if (rc == 0) {
		r->kind = SL_RECORDS_SYSLOG;
		r->facility = fac[v];
	}
	return rc;
}

static const struct sl_cfg_field records_fields[] = {
	FIELD("file", parse_records_file, false),
	FIELD("unix", parse_records_unix, false),
	FIELD("syslog", parse_records_syslog, false),
};

int
sl_cfg_parse_records(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	struct sl_cfg_tenant *t = obj;
	int rc;

	(void)f;
	if (n->type == YAML_MAPPING_NODE && n->data.mapping.pairs.top -
						    n->data.mapping.pairs.start != 1)
		return sl_cfg_fail(c, sl_cfg_node_loc(n),
				   "expected exactly one of file, unix or syslog");
	if ((rc = sl_cfg_walk_map(c, n, records_fields, SL_CFG_DIM(records_fields),
				  &t->records)))
		return rc;
	return 0;
}

/* ---- control ---- */

static int
parse_control_socket(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj,
		     const struct sl_cfg_field *f)
{
	struct sl_cfg_control *ctl = obj;
	int rc;

	(void)f;
	if ((rc = sl_cfg_get_str(c, n, ctl->socket, sizeof(ctl->socket))))
		return rc;
	if (strlen(ctl->socket) >= 108)
		return sl_cfg_fail(c, sl_cfg_node_loc(n), "socket path longer than 107 bytes");
	for (uint16_t k = 0; k < c->tenant; k++)
		if (strcmp(c->cfg->tenants[k].control.socket, ctl->socket) == 0)
			return sl_cfg_fail(c, sl_cfg_node_loc(n),
					   "socket '%s' is tenant '%s''s already: each tenant has "
					   "its own", ctl->socket, c->cfg->tenants[k].name);
	return 0;
}

/* Octal permission bits: 0660, "0660" or "660". */
static int
parse_control_mode(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	struct sl_cfg_control *ctl = obj;
	const char *s;
	char *end;
	unsigned long v;

	(void)f;
	if (n->type != YAML_SCALAR_NODE)
		return sl_cfg_fail_type(c, n, "octal permission bits like 0660");
	s = sl_cfg_text(n);
	errno = 0;
	v = strtoul(s, &end, 8);
	if (*s == '\0' || *end != '\0' || errno || v > 0777)
		return sl_cfg_fail(c, sl_cfg_node_loc(n),
				   "expected octal permission bits 0..0777 like 0660, got '%s'", s);
	ctl->mode = (uint32_t)v;
	return 0;
}

/* A user or group: a name (resolved now) or a number. */
static int
parse_id(struct sl_cfg_ctx *c, yaml_node_t *n, bool group, int64_t *out)
{
	const char *s;
	char *end;
	unsigned long long v;

	if (n->type != YAML_SCALAR_NODE)
		return sl_cfg_fail_type(c, n, group ? "a group name or gid" : "a user name or uid");
	s = sl_cfg_text(n);
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*s != '\0' && *end == '\0') {
		if (errno || v >= UINT32_MAX)
			return sl_cfg_fail(c, sl_cfg_node_loc(n), "%s %s out of range",
					   group ? "gid" : "uid", s);
		*out = (int64_t)v;
		return 0;
	}
	if (group) {
		struct group *g = getgrnam(s);

		if (g == NULL)
			return sl_cfg_fail(c, sl_cfg_node_loc(n), "unknown group '%s'", s);
		*out = g->gr_gid;
	} else {
		struct passwd *p = getpwnam(s);

		if (p == NULL)
			return sl_cfg_fail(c, sl_cfg_node_loc(n), "unknown user '%s'", s);
		*out = p->pw_uid;
	}
	return 0;
}

static int
parse_control_owner(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	(void)f;
	return parse_id(c, n, false, &((struct sl_cfg_control *)obj)->uid);
}

static int
parse_control_group(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	(void)f;
	return parse_id(c, n, true, &((struct sl_cfg_control *)obj)->gid);
}

/* Seconds, fractions allowed (0.5), 1 ms .. 1 day. */
static int
parse_control_idle(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	const char *s;
	char *end;
	double v;

	(void)f;
	if (n->type != YAML_SCALAR_NODE)
		return sl_cfg_fail_type(c, n, "a number of seconds");
	s = sl_cfg_text(n);
	errno = 0;
	v = strtod(s, &end);
	if (*s == '\0' || *end != '\0' || errno || !(v >= 0.001 && v <= 86400))
		return sl_cfg_fail(c, sl_cfg_node_loc(n),
				   "expected seconds 0.001..86400 (fractions allowed), got '%s'", s);
	((struct sl_cfg_control *)obj)->idle_timeout_ms = (uint32_t)(v * 1000 + 0.5);
	return 0;
}

static const struct sl_cfg_field control_fields[] = {
	FIELD("socket", parse_control_socket, true),
	FIELD("mode", parse_control_mode, false),
	FIELD("owner", parse_control_owner, false),
	FIELD("group", parse_control_group, false),
	UINT("max_clients", struct sl_cfg_control, max_clients, 1, 1024),
	FIELD("idle_timeout", parse_control_idle, false),
	UINT("rate", struct sl_cfg_control, rate, 1, 1000000),
};

/* The admin socket's keys: one client at a time is the operator, so no
 * max_clients, idle_timeout or rate. */
static const struct sl_cfg_field admin_fields[] = {
	FIELD("socket", parse_control_socket, true),
	FIELD("mode", parse_control_mode, false),
	FIELD("owner", parse_control_owner, false),
	FIELD("group", parse_control_group, false),
};

/* admin: {socket, mode, owner, group}: the admin socket (reload, status);
 * root-only (0600) unless mode says otherwise. Parsed after the tenants. */
int
sl_cfg_parse_admin(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	struct sl_cfg *cfg = obj;
	uint16_t saved = c->tenant;
	int rc;

	(void)f;
	cfg->admin.mode = 0600;
	cfg->admin.uid = -1;
	cfg->admin.gid = -1;
	/* parse_control_socket compares with the tenants before c->tenant */
	c->tenant = cfg->n_tenants;
	rc = sl_cfg_walk_map(c, n, admin_fields, SL_CFG_DIM(admin_fields), &cfg->admin);
	c->tenant = saved;
	return rc;
}

int
sl_cfg_parse_control(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	struct sl_cfg_tenant *t = obj;

	(void)f;
	return sl_cfg_walk_map(c, n, control_fields, SL_CFG_DIM(control_fields), &t->control);
}
