/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Flow records as EVE-flow-like JSON lines.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <jansson.h>

#include "sl_flowrec.h"

#define PROTO_ICMP 1
#define PROTO_TCP 6
#define PROTO_UDP 17
#define PROTO_ICMP6 58
#define PROTO_SCTP 132

#define US_PER_S 1000000u

/* "2023-11-14T22:13:20.123456+0000"; room for any int field (84 bytes) */
#define ISO_LEN 96

/*
 * Builder: the first failure sticks, later calls do nothing, so the
 * formatting code reads as a flat list of keys.
 */
struct jb {
	int rc; /* 0 or the first -errno */
};

/* Strict UTF-8 (no overlongs, surrogates or code points past U+10FFFF). */
static bool
utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p != '\0') {
		unsigned char c = *p;
		uint32_t cp;
		int n;

		if (c < 0x80) {
			p++;
			continue;
		} else if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		for (int i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return false; /* also stops at the NUL */
			cp = (cp << 6) | (p[i] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		p += n + 1;
	}
	return true;
}

/* Add @p v (a new reference, may be NULL after a failed allocation) as @p key. */
static void
jb_set(struct jb *b, json_t *obj, const char *key, json_t *v)
{
	if (b->rc != 0) {
		json_decref(v);
		return;
	}
	if (v == NULL || json_object_set_new(obj, key, v) != 0)
		b->rc = -ENOMEM; /* set_new released v */
}

static void
jb_u64(struct jb *b, json_t *obj, const char *key, uint64_t v)
{
	jb_set(b, obj, key, json_integer(v > INT64_MAX ? INT64_MAX : (json_int_t)v));
}

static void
jb_str(struct jb *b, json_t *obj, const char *key, const char *s)
{
	if (b->rc != 0)
		return;
	if (!utf8_valid(s)) {
		b->rc = -EINVAL;
		return;
	}
	jb_set(b, obj, key, json_string_nocheck(s));
}

/* @p s may be NULL: key omitted. */
static void
jb_opt_str(struct jb *b, json_t *obj, const char *key, const char *s)
{
	if (s != NULL)
		jb_str(b, obj, key, s);
}

/* A new object added as @p key; NULL (and b->rc set) on failure. */
static json_t *
jb_obj(struct jb *b, json_t *parent, const char *key)
{
	json_t *o;

	if (b->rc != 0)
		return NULL;
	o = json_object();
	jb_set(b, parent, key, o);
	return b->rc == 0 ? o : NULL;
}

/* EVE timestamp: UTC, microseconds, "+0000". */
static void
iso8601(uint64_t us, char *buf, size_t len)
{
	time_t sec = (time_t)(us / US_PER_S);
	struct tm tm;

	if (gmtime_r(&sec, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%06u+0000", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (unsigned int)(us % US_PER_S));
}

static void
jb_time(struct jb *b, json_t *obj, const char *key, uint64_t us)
{
	char ts[ISO_LEN];

	iso8601(us, ts, sizeof(ts));
	jb_str(b, obj, key, ts);
}

/* EVE protocol name; others are the number, formatted into @p buf. */
static const char *
proto_name(uint8_t proto, char *buf, size_t len)
{
	switch (proto) {
	case PROTO_TCP: return "TCP";
	case PROTO_UDP: return "UDP";
	case PROTO_SCTP: return "SCTP";
	case PROTO_ICMP: return "ICMP";
	case PROTO_ICMP6: return "IPv6-ICMP";
	default:
		snprintf(buf, len, "%u", proto);
		return buf;
	}
}

static void
jb_hex8(struct jb *b, json_t *obj, const char *key, uint8_t v)
{
	char hex[3];

	snprintf(hex, sizeof(hex), "%02x", v);
	jb_str(b, obj, key, hex);
}

static void
jb_pkts_bytes(struct jb *b, json_t *parent, const char *key, uint64_t pkts, uint64_t bytes)
{
	json_t *o = jb_obj(b, parent, key);

	if (o == NULL)
		return;
	jb_u64(b, o, "pkts", pkts);
	jb_u64(b, o, "bytes", bytes);
}

/* The addresses, ports, proto and community_id of an IP flow. */
static void
add_tuple(struct jb *b, json_t *root, const struct sl_flowrec *r)
{
	int af = r->family == 4 ? AF_INET : AF_INET6;
	bool icmp = r->proto == PROTO_ICMP || r->proto == PROTO_ICMP6;
	bool ports = r->proto == PROTO_TCP || r->proto == PROTO_UDP || r->proto == PROTO_SCTP;
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
	char proto[4]; /* "255" */
	char cid[SL_COMMUNITY_ID_LEN];
	int rc;

	if (inet_ntop(af, r->src, src, sizeof(src)) == NULL ||
	    inet_ntop(af, r->dst, dst, sizeof(dst)) == NULL) {
		b->rc = b->rc != 0 ? b->rc : -EINVAL;
		return;
	}
	jb_str(b, root, "src_ip", src);
	if (ports)
		jb_u64(b, root, "src_port", r->sport);
	jb_str(b, root, "dest_ip", dst);
	if (ports)
		jb_u64(b, root, "dest_port", r->dport);
	jb_str(b, root, "proto", proto_name(r->proto, proto, sizeof(proto)));
	if (icmp) {
		jb_u64(b, root, "icmp_type", r->sport);
		jb_u64(b, root, "icmp_code", r->dport);
	}
	rc = sl_community_id_v1(r->community_id_seed, r->family, r->src, r->dst, r->sport,
				r->dport, r->proto, cid, sizeof(cid));
	if (rc != 0) {
		b->rc = b->rc != 0 ? b->rc : rc;
		return;
	}
	jb_str(b, root, "community_id", cid);
}

static void
add_flow(struct jb *b, json_t *root, const struct sl_flowrec *r)
{
	json_t *f = jb_obj(b, root, "flow");
	uint64_t s = r->start_us / US_PER_S, e = r->end_us / US_PER_S;

	if (f == NULL)
		return;
	jb_u64(b, f, "pkts_toserver", r->pkts_toserver);
	jb_u64(b, f, "pkts_toclient", r->pkts_toclient);
	jb_u64(b, f, "bytes_toserver", r->bytes_toserver);
	jb_u64(b, f, "bytes_toclient", r->bytes_toclient);
	jb_time(b, f, "start", r->start_us);
	jb_time(b, f, "end", r->end_us);
	/* EVE: whole seconds of the last packet minus those of the first */
	jb_u64(b, f, "age", e > s ? e - s : 0);
	jb_opt_str(b, f, "reason", r->reason);
	jb_set(b, f, "elephant", json_boolean(r->elephant));
	jb_set(b, f, "bypassed", json_boolean(r->bypassed));
}

static void
add_sluice(struct jb *b, json_t *root, const struct sl_flowrec *r)
{
	json_t *o = jb_obj(b, root, "sluice");

	if (o == NULL)
		return;
	jb_pkts_bytes(b, o, "forwarded", r->fwd_pkts, r->fwd_bytes);
	jb_pkts_bytes(b, o, "bypassed", r->bypass_pkts, r->bypass_bytes);
	jb_pkts_bytes(b, o, "dropped", r->drop_pkts, r->drop_bytes);
	jb_opt_str(b, o, "pool", r->pool);
	if (r->member >= 0)
		jb_u64(b, o, "member", (uint64_t)r->member);
	jb_opt_str(b, o, "action", r->action);
	jb_opt_str(b, o, "rule", r->rule);
}

static void
add_tcp(struct jb *b, json_t *root, const struct sl_flowrec *r)
{
	json_t *o = jb_obj(b, root, "tcp");

	if (o == NULL)
		return;
	jb_hex8(b, o, "tcp_flags", r->tcp_flags_ts | r->tcp_flags_tc);
	jb_hex8(b, o, "tcp_flags_ts", r->tcp_flags_ts);
	jb_hex8(b, o, "tcp_flags_tc", r->tcp_flags_tc);
}

int
sl_flowrec_json(const struct sl_flowrec *r, char *buf, size_t len)
{
	struct jb b = { 0 };
	json_t *root;
	size_t n;

	if (r == NULL || buf == NULL || (r->family != 0 && r->family != 4 && r->family != 6) ||
	    r->n_vlan > 2)
		return -EINVAL;
	root = json_object();
	if (root == NULL)
		return -ENOMEM;

	jb_time(&b, root, "timestamp", r->end_us);
	jb_str(&b, root, "event_type", "flow");
	jb_u64(&b, root, "tenant_id", r->tenant_id);
	jb_opt_str(&b, root, "tenant", r->tenant);
	if (r->n_vlan > 0) {
		json_t *v = json_array();

		for (unsigned int i = 0; v != NULL && i < r->n_vlan; i++) {
			if (json_array_append_new(v, json_integer(r->vlan[i])) != 0) {
				json_decref(v);
				v = NULL;
			}
		}
		jb_set(&b, root, "vlan", v);
	}
	if (r->tunnel_id != 0)
		jb_u64(&b, root, "tunnel_id", r->tunnel_id);
	if (r->family != 0)
		add_tuple(&b, root, r);
	add_flow(&b, root, r);
	add_sluice(&b, root, r);
	if (r->family != 0 && r->proto == PROTO_TCP)
		add_tcp(&b, root, r);

	if (b.rc != 0) {
		json_decref(root);
		return b.rc;
	}
	n = json_dumpb(root, buf, len, JSON_PRESERVE_ORDER | JSON_COMPACT);
	json_decref(root);
	if (n == 0)
		return -ENOMEM;
	if (n >= len || n > INT32_MAX)
		return -ENOSPC;
	buf[n] = '\0';
	return (int)n;
}
