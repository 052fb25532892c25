/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control-socket requests and answers (JSON lines, jansson).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <jansson.h>

#include "sl_ctlproto.h"

#define VLAN_MSG "vlan must be 1..4094 or a list of up to two"

static const char *
get_addr(json_t *req, const char *name, uint8_t *addr, uint8_t *family)
{
	const char *s = json_string_value(json_object_get(req, name));

	if (s == NULL)
		return "missing or non-string address";
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, s, addr) == 1) {
		*family = 4;
		return NULL;
	}
	if (inet_pton(AF_INET6, s, addr) == 1) {
		*family = 6;
		return NULL;
	}
	return "not an IPv4 or IPv6 address";
}

static const char *
get_port(json_t *req, const char *name, uint16_t *port)
{
	json_t *v = json_object_get(req, name);

	*port = 0;
	if (v == NULL)
		return NULL;
	if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 65535)
		return "port must be an integer 0..65535";
	*port = (uint16_t)json_integer_value(v);
	return NULL;
}

static const char *
get_proto(json_t *req, uint8_t *proto)
{
	static const struct {
		const char *n;
		uint8_t p;
	} names[] = {
		{ "tcp", 6 }, { "udp", 17 }, { "sctp", 132 }, { "icmp", 1 }, { "icmp6", 58 },
		{ "ipv6-icmp", 58 },
	};
	json_t *v = json_object_get(req, "proto");

	if (json_is_integer(v) && json_integer_value(v) >= 0 && json_integer_value(v) <= 255) {
		*proto = (uint8_t)json_integer_value(v);
		return NULL;
	}
	if (json_is_string(v))
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (strcasecmp(json_string_value(v), names[i].n) == 0) {
				*proto = names[i].p;
				return NULL;
			}
	return "proto must be tcp, udp, sctp, icmp, icmp6 or 0..255";
}

static bool
vlan_ok(json_t *x)
{
	return json_is_integer(x) && json_integer_value(x) >= 1 && json_integer_value(x) <= 4094;
}

static const char *
get_vlan(json_t *req, struct sl_ctl_request *rq)
{
	json_t *v = json_object_get(req, "vlan");

	if (v == NULL)
		return NULL;
	rq->has_vlan = true;
	if (json_is_integer(v)) {
		if (!vlan_ok(v))
			return VLAN_MSG;
		rq->vlan[rq->n_vlan++] = (uint16_t)json_integer_value(v);
		return NULL;
	}
	if (!json_is_array(v) || json_array_size(v) > 2)
		return VLAN_MSG;
	for (size_t i = 0; i < json_array_size(v); i++) {
		json_t *x = json_array_get(v, i);

		if (!vlan_ok(x))
			return VLAN_MSG;
		rq->vlan[rq->n_vlan++] = (uint16_t)json_integer_value(x);
	}
	return NULL;
}

static const char *
get_flow(json_t *req, struct sl_ctl_request *rq)
{
	const char *e;
	uint8_t f2 = 0;
	json_t *v;

	if ((e = get_addr(req, "src_ip", rq->src, &rq->family)) ||
	    (e = get_addr(req, "dest_ip", rq->dst, &f2)))
		return e;
	if (f2 != rq->family)
		return "src_ip and dest_ip are of different families";
	if ((e = get_proto(req, &rq->proto)) || (e = get_port(req, "src_port", &rq->sport)) ||
	    (e = get_port(req, "dest_port", &rq->dport)) || (e = get_vlan(req, rq)))
		return e;
	v = json_object_get(req, "tunnel_id");
	if (v != NULL) {
		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) > (json_int_t)UINT32_MAX)
			return "tunnel_id must be an integer 0..4294967295";
		rq->has_tunnel_id = true;
		rq->tunnel_id = (uint32_t)json_integer_value(v);
	}
	v = json_object_get(req, "ttl");
	if (v != NULL) {
		/* NaN fails both comparisons */
		if (!json_is_number(v) || !(json_number_value(v) > 0) ||
		    !(json_number_value(v) <= SL_CTL_TTL_MAX))
			return "ttl must be a number of seconds > 0";
		rq->has_ttl = true;
		rq->ttl = json_number_value(v);
	}
	return NULL;
}

int
sl_ctlproto_parse(const char *line, size_t len, struct sl_ctl_request *rq, const char **err)
{
	json_error_t jerr;
	json_t *req;
	const char *cmd, *e = NULL;

	if (rq == NULL || err == NULL || (line == NULL && len > 0))
		return -EINVAL;
	memset(rq, 0, sizeof(*rq));
	*err = NULL;
	if (len > SL_CTL_LINE_MAX) {
		*err = "line too long";
		return -EMSGSIZE;
	}
	req = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (req == NULL || !json_is_object(req)) {
		json_decref(req);
		*err = "request is not a JSON object";
		return -EINVAL;
	}
	cmd = json_string_value(json_object_get(req, "cmd"));
	if (cmd != NULL && strcmp(cmd, "ping") == 0)
		rq->cmd = SL_CTL_PING;
	else if (cmd != NULL && strcmp(cmd, "bypass") == 0)
		rq->cmd = SL_CTL_BYPASS;
	else if (cmd != NULL && strcmp(cmd, "unbypass") == 0)
		rq->cmd = SL_CTL_UNBYPASS;
	else if (cmd != NULL && strcmp(cmd, "reload-rules") == 0)
		rq->cmd = SL_CTL_RELOAD_RULES;
	else
		e = "cmd must be bypass, unbypass, reload-rules or ping";
	if (e == NULL && (rq->cmd == SL_CTL_BYPASS || rq->cmd == SL_CTL_UNBYPASS))
		e = get_flow(req, rq);
	json_decref(req);
	if (e != NULL) {
		*err = e;
		return -EINVAL;
	}
	return 0;
}

int
sl_ctlproto_format_reply(const struct sl_ctl_reply *r, char *buf, size_t size)
{
	json_t *o;
	size_t n;
	int rc = 0;

	if (r == NULL || buf == NULL)
		return -EINVAL;
	o = json_object();
	if (o == NULL)
		return -ENOMEM;
	rc |= json_object_set_new(o, "ok", json_boolean(r->ok));
	if (!r->ok) {
		json_t *s = json_string(r->error != NULL ? r->error : "");

		if (s == NULL) {
			json_decref(o);
			return -EINVAL; /* not UTF-8 */
		}
		rc |= json_object_set_new(o, "error", s);
	} else {
		if (r->tenant != NULL) {
			json_t *s = json_string(r->tenant);

			if (s == NULL) {
				json_decref(o);
				return -EINVAL;
			}
			rc |= json_object_set_new(o, "tenant", s);
		}
		if (r->found == 0 || r->found == 1)
			rc |= json_object_set_new(o, "found", json_boolean(r->found));
		if (r->reloaded) {
			rc |= json_object_set_new(o, "rules", json_integer(r->rules));
			rc |= json_object_set_new(o, "generation", json_integer(r->generation));
		}
	}
	if (rc != 0) {
		json_decref(o);
		return -ENOMEM;
	}
	n = json_dumpb(o, buf, size, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (n == 0)
		return -ENOMEM;
	if (n + 2 > size) /* newline and NUL */
		return -ENOSPC;
	buf[n] = '\n';
	buf[n + 1] = '\0';
	return (int)(n + 1);
}
