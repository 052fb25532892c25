/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The first implementation of sl_flowrec_json(), built with jansson
 * (JSON_PRESERVE_ORDER | JSON_COMPACT), kept here as the reference the
 * allocation-free formatter of lib/flowrec must match byte for byte
 * (test_format_matches_reference in test_flowrec.c). Included once by it.
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

#define REF_PROTO_ICMP 1
#define REF_PROTO_TCP 6
#define REF_PROTO_UDP 17
#define REF_PROTO_ICMP6 58
#define REF_PROTO_SCTP 132

#define REF_US_PER_S 1000000u

/* "2023-11-14T22:13:20.123456+0000"; room for any int field (84 bytes) */
#define REF_ISO_LEN 96

/*
 * Builder: the first failure sticks, later calls do nothing, so the
 * formatting code reads as a flat list of keys.
 */
struct ref_jb {
	int rc; /* 0 or the first -errno */
};

/* Strict UTF-8 (no overlongs, surrogates or code points past U+10FFFF). */
static bool
ref_utf8_valid(const char *s)
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
ref_jb_set(struct ref_jb *b, json_t *obj, const char *key, json_t *v)
{
	if (b->rc != 0) {
		json_decref(v);
		return;
	}
	if (v == NULL || json_object_set_new(obj, key, v) != 0)
		b->rc = -ENOMEM; /* set_new released v */
}

static void
ref_jb_u64(struct ref_jb *b, json_t *obj, const char *key, uint64_t v)
{
	ref_jb_set(b, obj, key, json_integer(v > INT64_MAX ? INT64_MAX : (json_int_t)v));
}

static void
ref_jb_str(struct ref_jb *b, json_t *obj, const char *key, const char *s)
{
	if (b->rc != 0)
		return;
	if (!ref_utf8_valid(s)) {
		b->rc = -EINVAL;
		return;
	}
	ref_jb_set(b, obj, key, json_string_nocheck(s));
}

/* @p s may be NULL: key omitted. */
static void
ref_jb_opt_str(struct ref_jb *b, json_t *obj, const char *key, const char *s)
{
	if (s != NULL)
		ref_jb_str(b, obj, key, s);
}

/* A new object added as @p key; NULL (and b->rc set) on failure. */
static json_t *
ref_jb_obj(struct ref_jb *b, json_t *parent, const char *key)
{
	json_t *o;

	if (b->rc != 0)
		return NULL;
	o = json_object();
	ref_jb_set(b, parent, key, o);
	return b->rc == 0 ? o : NULL;
}

/* EVE timestamp: UTC, microseconds, "+0000". */
static void
ref_iso8601(uint64_t us, char *buf, size_t len)
{
	time_t sec = (time_t)(us / REF_US_PER_S);
	struct tm tm;

	if (gmtime_r(&sec, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%06u+0000", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (unsigned int)(us % REF_US_PER_S));
}

static void
ref_jb_time(struct ref_jb *b, json_t *obj, const char *key, uint64_t us)
{
	char ts[REF_ISO_LEN];

	ref_iso8601(us, ts, sizeof(ts));
	ref_jb_str(b, obj, key, ts);
}

/* EVE protocol name; others are the number, formatted into @p buf. */
static const char *
ref_proto_name(uint8_t proto, char *buf, size_t len)
{
	switch (proto) {
	case REF_PROTO_TCP: return "TCP";
	case REF_PROTO_UDP: return "UDP";
	case REF_PROTO_SCTP: return "SCTP";
	case REF_PROTO_ICMP: return "ICMP";
	case REF_PROTO_ICMP6: return "IPv6-ICMP";
	default:
		snprintf(buf, len, "%u", proto);
		return buf;
	}
}

static void
ref_jb_hex8(struct ref_jb *b, json_t *obj, const char *key, uint8_t v)
{
	char hex[3];

	snprintf(hex, sizeof(hex), "%02x", v);
	ref_jb_str(b, obj, key, hex);
}

static void
ref_jb_pkts_bytes(struct ref_jb *b, json_t *parent, const char *key, uint64_t pkts, uint64_t bytes)
{
	json_t *o = ref_jb_obj(b, parent, key);

	if (o == NULL)
		return;
	ref_jb_u64(b, o, "pkts", pkts);
	ref_jb_u64(b, o, "bytes", bytes);
}

/* The addresses, ports, proto and community_id of an IP flow. */
static void
ref_add_tuple(struct ref_jb *b, json_t *root, const struct sl_flowrec *r)
{
	int af = r->family == 4 ? AF_INET : AF_INET6;
	bool icmp = r->proto == REF_PROTO_ICMP || r->proto == REF_PROTO_ICMP6;
	bool ports = r->proto == REF_PROTO_TCP || r->proto == REF_PROTO_UDP || r->proto == REF_PROTO_SCTP;
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
	char proto[4]; /* "255" */
	char cid[SL_COMMUNITY_ID_LEN];
	int rc;

	if (inet_ntop(af, r->src, src, sizeof(src)) == NULL ||
	    inet_ntop(af, r->dst, dst, sizeof(dst)) == NULL) {
		b->rc = b->rc != 0 ? b->rc : -EINVAL;
		return;
	}
	ref_jb_str(b, root, "src_ip", src);
	if (ports)
		ref_jb_u64(b, root, "src_port", r->sport);
	ref_jb_str(b, root, "dest_ip", dst);
	if (ports)
		ref_jb_u64(b, root, "dest_port", r->dport);
	ref_jb_str(b, root, "proto", ref_proto_name(r->proto, proto, sizeof(proto)));
	if (icmp) {
		ref_jb_u64(b, root, "icmp_type", r->sport);
		ref_jb_u64(b, root, "icmp_code", r->dport);
	}
	rc = sl_community_id_v1(r->community_id_seed, r->family, r->src, r->dst, r->sport,
				r->dport, r->proto, cid, sizeof(cid));
	if (rc != 0) {
		b->rc = b->rc != 0 ? b->rc : rc;
		return;
	}
	ref_jb_str(b, root, "community_id", cid);
}

static void
ref_add_flow(struct ref_jb *b, json_t *root, const struct sl_flowrec *r)
{
	json_t *f = ref_jb_obj(b, root, "flow");
	uint64_t s = r->start_us / REF_US_PER_S, e = r->end_us / REF_US_PER_S;

	if (f == NULL)
		return;
	ref_jb_u64(b, f, "pkts_toserver", r->pkts_toserver);
	ref_jb_u64(b, f, "pkts_toclient", r->pkts_toclient);
	ref_jb_u64(b, f, "bytes_toserver", r->bytes_toserver);
	ref_jb_u64(b, f, "bytes_toclient", r->bytes_toclient);
	ref_jb_time(b, f, "start", r->start_us);
	ref_jb_time(b, f, "end", r->end_us);
	/* EVE: whole seconds of the last packet minus those of the first */
	ref_jb_u64(b, f, "age", e > s ? e - s : 0);
	ref_jb_opt_str(b, f, "reason", r->reason);
	ref_jb_set(b, f, "elephant", json_boolean(r->elephant));
	ref_jb_set(b, f, "bypassed", json_boolean(r->bypassed));
}

static void
ref_add_sluice(struct ref_jb *b, json_t *root, const struct sl_flowrec *r)
{
	json_t *o = ref_jb_obj(b, root, "sluice");

	if (o == NULL)
		return;
	ref_jb_pkts_bytes(b, o, "forwarded", r->fwd_pkts, r->fwd_bytes);
	ref_jb_pkts_bytes(b, o, "bypassed", r->bypass_pkts, r->bypass_bytes);
	ref_jb_pkts_bytes(b, o, "dropped", r->drop_pkts, r->drop_bytes);
	ref_jb_opt_str(b, o, "pool", r->pool);
	if (r->member >= 0)
		ref_jb_u64(b, o, "member", (uint64_t)r->member);
	ref_jb_opt_str(b, o, "action", r->action);
	ref_jb_opt_str(b, o, "rule", r->rule);
}

static void
ref_add_tcp(struct ref_jb *b, json_t *root, const struct sl_flowrec *r)
{
	json_t *o = ref_jb_obj(b, root, "tcp");

	if (o == NULL)
		return;
	ref_jb_hex8(b, o, "tcp_flags", r->tcp_flags_ts | r->tcp_flags_tc);
	ref_jb_hex8(b, o, "tcp_flags_ts", r->tcp_flags_ts);
	ref_jb_hex8(b, o, "tcp_flags_tc", r->tcp_flags_tc);
}

static int
ref_flowrec_json(const struct sl_flowrec *r, char *buf, size_t len)
{
	struct ref_jb b = { 0 };
	json_t *root;
	size_t n;

	if (r == NULL || buf == NULL || (r->family != 0 && r->family != 4 && r->family != 6) ||
	    r->n_vlan > 2)
		return -EINVAL;
	root = json_object();
	if (root == NULL)
		return -ENOMEM;

	ref_jb_time(&b, root, "timestamp", r->end_us);
	ref_jb_str(&b, root, "event_type", "flow");
	ref_jb_u64(&b, root, "tenant_id", r->tenant_id);
	ref_jb_opt_str(&b, root, "tenant", r->tenant);
	if (r->n_vlan > 0) {
		json_t *v = json_array();

		for (unsigned int i = 0; v != NULL && i < r->n_vlan; i++) {
			if (json_array_append_new(v, json_integer(r->vlan[i])) != 0) {
				json_decref(v);
				v = NULL;
			}
		}
		ref_jb_set(&b, root, "vlan", v);
	}
	if (r->tunnel_id != 0)
		ref_jb_u64(&b, root, "tunnel_id", r->tunnel_id);
	if (r->family != 0)
		ref_add_tuple(&b, root, r);
	ref_jb_opt_str(&b, root, "app_proto", r->app_proto);
	ref_jb_opt_str(&b, root, "app_category", r->app_category);
	ref_jb_opt_str(&b, root, "sni", r->sni);
	ref_add_flow(&b, root, r);
	ref_add_sluice(&b, root, r);
	if (r->family != 0 && r->proto == REF_PROTO_TCP)
		ref_add_tcp(&b, root, r);

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
