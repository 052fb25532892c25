/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A pool member's remote: key: the member is an analyzer on another host,
 * reached through its output inside a tunnel (docs/configuration.md,
 * "Remote members").
 *
 *   - output: uplink
 *     remote: {encap: vxlan, vni: 5001, src: 192.0.2.1, dst: 192.0.2.10,
 *              dst_mac: "02:00:00:00:00:10"}
 *
 * Keys are parsed in table order: encap first (which id key and which
 * other keys it allows), src before dst (one address family), the address
 * family before mtu (IPv6's minimum). An id given as "tenant" is the
 * tenant's own id, already parsed (a tenant's id comes before its pools).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "sl_config_pvt.h"

static const char *const encap_names[] = { "vxlan", "geneve", "gre", "erspan2", "erspan3" };
static const char *const oversize_names[] = { "drop", "truncate" };

#define REMOTE_MTU_MIN4 576
#define REMOTE_MTU_MIN6 1280
#define REMOTE_MTU_MAX 9216

const char *
sl_remote_encap_name(enum sl_remote_encap e)
{
	if (e == SL_REMOTE_NONE)
		return "none";
	return (unsigned int)e - 1 < SL_CFG_DIM(encap_names) ? encap_names[e - 1] : "?";
}

static bool
is_udp(enum sl_remote_encap e)
{
	return e == SL_REMOTE_VXLAN || e == SL_REMOTE_GENEVE;
}

static bool
is_erspan(enum sl_remote_encap e)
{
	return e == SL_REMOTE_ERSPAN2 || e == SL_REMOTE_ERSPAN3;
}

static int
parse_encap(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	struct sl_cfg_member *m = obj;
	int v, rc = sl_cfg_get_enum(c, n, encap_names, SL_CFG_DIM(encap_names), &v);

	(void)f;
	if (rc)
		return rc;
	m->remote.encap = (enum sl_remote_encap)(v + 1);
	m->remote.port = m->remote.encap == SL_REMOTE_GENEVE ? 6081 : 4789;
	return 0;
}

/* An id key (vni, key, session): an integer in 0..max, or "tenant". */
static int
parse_id(struct sl_cfg_ctx *c, yaml_node_t *n, struct sl_cfg_member *m, bool ok,
	 const char *needs, uint32_t max, const char *what)
{
	const struct sl_cfg_tenant *t = &c->cfg->tenants[c->tenant];
	struct sl_cfg_loc loc = sl_cfg_node_loc(n);
	long long v;
	int rc;

	if (!ok)
		return sl_cfg_fail(c, loc, "needs encap: %s (encap is %s)", needs,
				   sl_remote_encap_name(m->remote.encap));
	if (n->type == YAML_SCALAR_NODE && strcmp(sl_cfg_text(n), "tenant") == 0) {
		if (t->id > max)
			return sl_cfg_fail(c, loc,
					   "tenant id %u does not fit %s (0..%u)", t->id, what,
					   max);
		m->remote.id = t->id;
		m->remote.id_is_tenant = true;
	} else {
		if (n->type != YAML_SCALAR_NODE || !sl_cfg_parse_ll(sl_cfg_text(n), &v))
			return sl_cfg_fail_type(c, n, "an integer or 'tenant'");
		if ((rc = sl_cfg_get_int(c, n, 0, max, &v)))
			return rc;
		m->remote.id = (uint32_t)v;
	}
	m->remote.has_id = true;
	return 0;
}

static int
parse_vni(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	struct sl_cfg_member *m = obj;

	(void)f;
	return parse_id(c, n, m, is_udp(m->remote.encap), "vxlan or geneve", SL_VNI_MAX, "a VNI");
}

static int
parse_key(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	struct sl_cfg_member *m = obj;

	(void)f;
	return parse_id(c, n, m, m->remote.encap == SL_REMOTE_GRE, "gre", SL_GRE_KEY_MAX,
			"a GRE key");
}

static int
parse_session(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	struct sl_cfg_member *m = obj;

	(void)f;
	return parse_id(c, n, m, is_erspan(m->remote.encap), "erspan2 or erspan3",
			SL_ERSPAN_ID_MAX, "an ERSPAN session id");
}

static int
parse_port(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	struct sl_cfg_member *m = obj;
	long long v;
	int rc;

	(void)f;
	if (!is_udp(m->remote.encap))
		return sl_cfg_fail(c, sl_cfg_node_loc(n), "needs encap: vxlan or geneve (encap is %s)",
				   sl_remote_encap_name(m->remote.encap));
	if ((rc = sl_cfg_get_int(c, n, 1, 65535, &v)))
		return rc;
	m->remote.port = (uint16_t)v;
	return 0;
}

/* A numeric IPv4 or IPv6 address into @p addr; its family (4, 6) in *family. */
static int
get_addr(struct sl_cfg_ctx *c, yaml_node_t *n, uint8_t *addr, uint8_t *family)
{
	char s[64];
	int rc = sl_cfg_get_str(c, n, s, sizeof(s));

	if (rc)
		return rc;
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, s, addr) == 1)
		*family = 4;
	else if (inet_pton(AF_INET6, s, addr) == 1)
		*family = 6;
	else
		return sl_cfg_fail(c, sl_cfg_node_loc(n),
				   "'%s' is not a numeric IPv4 or IPv6 address", s);
	return 0;
}

static int
parse_src(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	struct sl_cfg_member *m = obj;

	(void)f;
	return get_addr(c, n, m->remote.src, &m->remote.family);
}

static int
parse_dst(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	struct sl_cfg_member *m = obj;
	uint8_t fam = 0; /* set by get_addr() when it returns 0 */
	int rc = get_addr(c, n, m->remote.dst, &fam);

	(void)f;
	if (rc)
		return rc;
	if (fam != m->remote.family)
		return sl_cfg_fail(c, sl_cfg_node_loc(n), "dst is IPv%u but src is IPv%u", fam,
				   m->remote.family);
	return 0;
}

/* "xx:xx:xx:xx:xx:xx" (hexadecimal, either case) into @p mac. */
static int
get_mac(struct sl_cfg_ctx *c, yaml_node_t *n, uint8_t *mac)
{
	char s[32];
	unsigned int b[6];
	int end = 0;
	int rc = sl_cfg_get_str(c, n, s, sizeof(s));

	if (rc)
		return rc;
	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%n", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
		   &end) != 6 || end != 17 || s[end] != '\0')
		return sl_cfg_fail(c, sl_cfg_node_loc(n),
				   "'%s' is not a MAC address (xx:xx:xx:xx:xx:xx; quote it)", s);
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	return 0;
}

static int
parse_src_mac(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	struct sl_cfg_member *m = obj;
	int rc = get_mac(c, n, m->remote.src_mac);

	(void)f;
	if (rc)
		return rc;
	if (m->remote.src_mac[0] & 1)
		return sl_cfg_fail(c, sl_cfg_node_loc(n), "%s is a multicast address",
				   sl_cfg_text(n));
	m->remote.has_src_mac = true;
	return 0;
}

static int
parse_dst_mac(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	struct sl_cfg_member *m = obj;

	(void)f;
	return get_mac(c, n, m->remote.dst_mac);
}

static int
parse_dscp(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	struct sl_cfg_member *m = obj;
	long long v;
	int rc = sl_cfg_get_int(c, n, 0, 63, &v);

	(void)f;
	if (rc == 0)
		m->remote.dscp = (uint8_t)v;
	return rc;
}

static int
parse_ttl(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	struct sl_cfg_member *m = obj;
	long long v;
	int rc = sl_cfg_get_int(c, n, 1, 255, &v);

	(void)f;
	if (rc == 0)
		m->remote.ttl = (uint8_t)v;
	return rc;
}

static int
parse_mtu(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	struct sl_cfg_member *m = obj;
	long long lo = m->remote.family == 6 ? REMOTE_MTU_MIN6 : REMOTE_MTU_MIN4, v;
	int rc = sl_cfg_get_int(c, n, lo, REMOTE_MTU_MAX, &v);

	(void)f;
	if (rc == 0)
		m->remote.mtu = (uint16_t)v;
	return rc;
}

static int
parse_oversize(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	struct sl_cfg_member *m = obj;
	int v, rc = sl_cfg_get_enum(c, n, oversize_names, SL_CFG_DIM(oversize_names), &v);

	(void)f;
	if (rc)
		return rc;
	if (v == 1 && !is_erspan(m->remote.encap))
		return sl_cfg_fail(c, sl_cfg_node_loc(n),
				   "truncate needs encap: erspan2 or erspan3, the tunnels that can "
				   "flag a cut frame (encap is %s); use drop",
				   sl_remote_encap_name(m->remote.encap));
	m->remote.truncate = v == 1;
	return 0;
}

static const struct sl_cfg_field remote_fields[] = {
	FIELD("encap", parse_encap, true),
	FIELD("vni", parse_vni, false),
	FIELD("key", parse_key, false),
	FIELD("session", parse_session, false),
	FIELD("port", parse_port, false),
	FIELD("src", parse_src, true),
	FIELD("dst", parse_dst, true),
	FIELD("src_mac", parse_src_mac, false),
	FIELD("dst_mac", parse_dst_mac, true),
	FIELD("dscp", parse_dscp, false),
	FIELD("ttl", parse_ttl, false),
	FIELD("mtu", parse_mtu, false),
	FIELD("oversize", parse_oversize, false),
};

int
sl_cfg_parse_remote(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	struct sl_cfg_member *m = obj;
	const struct sl_cfg_port *out = &c->cfg->outputs[m->output_idx];
	struct sl_cfg_loc loc = sl_cfg_node_loc(n);
	int rc;

	(void)f;
	if (n->type != YAML_MAPPING_NODE)
		return sl_cfg_fail_type(c, n, "a mapping");
	memset(&m->remote, 0, sizeof(m->remote));
	m->remote.ttl = 64;
	m->remote.mtu = 1500;
	if ((rc = sl_cfg_walk_map(c, n, remote_fields, SL_CFG_DIM(remote_fields), m)))
		return rc;
	if ((is_udp(m->remote.encap) || is_erspan(m->remote.encap)) && !m->remote.has_id)
		return sl_cfg_fail(c, loc, "missing required key '%s' (encap is %s)",
				   is_udp(m->remote.encap) ? "vni" : "session",
				   sl_remote_encap_name(m->remote.encap));
	if (out->ring.path[0] != '\0' && !m->remote.has_src_mac)
		return sl_cfg_fail(c, loc,
				   "missing required key 'src_mac' (output '%s' is a ring, it has "
				   "no MAC address)", out->name);
	return 0;
}

bool
sl_config_remote_equal(const struct sl_cfg_remote *a, const struct sl_cfg_remote *b)
{
	if (a->encap != b->encap)
		return false;
	if (a->encap == SL_REMOTE_NONE)
		return true;
	return a->family == b->family && a->id_is_tenant == b->id_is_tenant &&
	       a->has_id == b->has_id && a->has_src_mac == b->has_src_mac &&
	       a->truncate == b->truncate && a->id == b->id && a->port == b->port &&
	       a->mtu == b->mtu && a->dscp == b->dscp && a->ttl == b->ttl &&
	       memcmp(a->src, b->src, sizeof(a->src)) == 0 &&
	       memcmp(a->dst, b->dst, sizeof(a->dst)) == 0 &&
	       (!a->has_src_mac || memcmp(a->src_mac, b->src_mac, sizeof(a->src_mac)) == 0) &&
	       memcmp(a->dst_mac, b->dst_mac, sizeof(a->dst_mac)) == 0;
}
