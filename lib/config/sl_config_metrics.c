/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The metrics: key: where sluice serves Prometheus/OpenMetrics text.
 *
 *   metrics: {listen: "127.0.0.1:9280"}     # "[::1]:9280", "0.0.0.0:9280"
 *
 * Absent or "" = no endpoint. The address must be a numeric IPv4 or
 * bracketed IPv6 address: sluice does no name lookups at start-up.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "sl_config_pvt.h"

/* "A.B.C.D:PORT" or "[V6]:PORT" into @p m; false when it is neither. */
static bool
split_listen(const char *s, struct sl_cfg_metrics *m)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon = strrchr(s, ':');
	char *end;
	unsigned long port;
	size_t hl;

	if (colon == NULL || colon == s)
		return false;
	hl = (size_t)(colon - s);
	if (hl >= sizeof(host))
		return false;
	memcpy(host, s, hl);
	host[hl] = '\0';
	if (colon[1] < '0' || colon[1] > '9')
		return false;
	port = strtoul(colon + 1, &end, 10);
	if (*end != '\0' || port == 0 || port > 65535)
		return false;
	if (host[0] == '[') {
		if (hl < 3 || host[hl - 1] != ']')
			return false;
		host[hl - 1] = '\0';
		if (inet_pton(AF_INET6, host + 1, m->addr) != 1)
			return false;
		m->family = AF_INET6;
	} else {
		if (inet_pton(AF_INET, host, m->addr) != 1)
			return false;
		m->family = AF_INET;
	}
	m->port = (uint16_t)port;
	return true;
}

static int
parse_listen(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	struct sl_cfg_metrics *m = obj;
	int rc = sl_cfg_get_str(c, n, m->listen, sizeof(m->listen));

	(void)f;
	if (rc != 0)
		return rc;
	m->loc = sl_cfg_node_loc(n);
	if (m->listen[0] == '\0')
		return 0;
	if (!split_listen(m->listen, m))
		return sl_cfg_fail(c, m->loc,
				   "'%s' is not ADDRESS:PORT with a numeric address (e.g. "
				   "127.0.0.1:9280 or [::1]:9280)", m->listen);
	return 0;
}

static const struct sl_cfg_field metrics_fields[] = {
	FIELD("listen", parse_listen, false),
};

int
sl_cfg_parse_metrics(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj,
		     const struct sl_cfg_field *f)
{
	struct sl_cfg *cfg = obj;

	(void)f;
	return sl_cfg_walk_map(c, n, metrics_fields, SL_CFG_DIM(metrics_fields), &cfg->metrics);
}
