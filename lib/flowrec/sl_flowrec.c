/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Flow records as EVE-flow-like JSON lines, written straight into the
 * caller's buffer: no JSON tree, no allocation (the format is fixed; see
 * sl_flowrec.h). The output is byte for byte what jansson printed for the
 * same record with JSON_PRESERVE_ORDER | JSON_COMPACT (the first
 * implementation, kept in tests/unit/flowrec_ref.h as the reference).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <openssl/evp.h>

#include "sl_flowrec.h"
#include "sl_flowrec_pvt.h"

#define PROTO_ICMP 1
#define PROTO_TCP 6
#define PROTO_UDP 17
#define PROTO_ICMP6 58
#define PROTO_SCTP 132

#define US_PER_S 1000000u
/* "2023-11-14T22:13:20" */
#define ISO_SEC_LEN 19

/* Reusable state of one formatting thread. */
struct sl_flowrec_ctx {
	EVP_MD_CTX *md;       /* SHA-1 for the Community ID, reinitialised per record */
	EVP_MD *sha1;         /* fetched once */
	int64_t sec[2];       /* the last two seconds formatted ... */
	char iso[2][ISO_SEC_LEN + 1]; /* ... and their text */
	unsigned int next;    /* which of the two to replace next */
};

/*
 * Output cursor: the first failure sticks (full: -ENOSPC, bad string:
 * -EINVAL), later writes do nothing, so the formatting reads as a flat
 * list of keys.
 */
struct out {
	char *p, *end; /* end: one before the last byte (kept for the NUL) */
	int rc;
};

static inline void
put(struct out *o, const char *s, size_t n)
{
	if (o->rc != 0)
		return;
	if ((size_t)(o->end - o->p) < n) {
		o->rc = -ENOSPC;
		return;
	}
	/* a loop, not memcpy(): the pieces are a few bytes long, and GCC
	 * expands a memcpy() of unknown size inline as "rep movsb", whose
	 * start-up cost was two thirds of the whole formatting (perf) */
	char *d = o->p; /* a local: o->p itself may alias the bytes copied */

	for (size_t i = 0; i < n; i++)
		d[i] = s[i];
	o->p = d + n;
}

#define PUTS(o, lit) put((o), (lit), sizeof(lit) - 1)

static inline void
put_u64(struct out *o, uint64_t v)
{
	char tmp[20];
	int i = (int)sizeof(tmp);

	if (v > INT64_MAX) /* JSON integers are signed 64-bit (jansson) */
		v = INT64_MAX;
	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	put(o, tmp + i, sizeof(tmp) - (size_t)i);
}

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

/* A JSON string, escaped as jansson escapes: \" \\ \b \f \n \r \t, other
 * control characters as \u00XX, everything else (UTF-8) as it is. */
static void
put_str(struct out *o, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const char *run = s;

	if (o->rc != 0)
		return;
	if (!utf8_valid(s)) {
		o->rc = -EINVAL;
		return;
	}
	PUTS(o, "\"");
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		char esc[6] = { '\\', 0, '0', '0', 0, 0 };
		size_t n = 2;

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		put(o, run, (size_t)(s - run));
		run = s + 1;
		switch (c) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\b': esc[1] = 'b'; break;
		case '\f': esc[1] = 'f'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		default:
			esc[1] = 'u';
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			n = 6;
		}
		put(o, esc, n);
	}
	put(o, run, (size_t)(s - run));
	PUTS(o, "\"");
}

/* ,"key": */
static inline void
put_key(struct out *o, const char *key_lit, size_t n)
{
	put(o, key_lit, n);
}

#define KEY(o, lit) put_key((o), "\"" lit "\":", sizeof("\"" lit "\":") - 1)
#define NKEY(o, lit) put_key((o), ",\"" lit "\":", sizeof(",\"" lit "\":") - 1)

/* "YYYY-MM-DDTHH:MM:SS" of a whole second, cached in ctx; @p buf holds
 * ISO_BUF bytes. */
#define ISO_BUF 96
static const char *
iso_sec(struct sl_flowrec_ctx *ctx, int64_t sec, char *buf)
{
	struct tm tm;
	time_t t = (time_t)sec;

	if (ctx != NULL) {
		for (int i = 0; i < 2; i++)
			if (ctx->sec[i] == sec)
				return ctx->iso[i];
	}
	if (gmtime_r(&t, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	snprintf(buf, ISO_BUF, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	if (strlen(buf) != ISO_SEC_LEN || ctx == NULL)
		return buf; /* years past 9999 are longer: not cached */
	memcpy(ctx->iso[ctx->next], buf, ISO_SEC_LEN + 1);
	ctx->sec[ctx->next] = sec;
	ctx->next ^= 1;
	return buf;
}

/* EVE timestamp: UTC, microseconds, "+0000". */
static void
put_time(struct out *o, struct sl_flowrec_ctx *ctx, uint64_t us)
{
	char buf[ISO_BUF];
	const char *d = iso_sec(ctx, (int64_t)(us / US_PER_S), buf);
	unsigned int frac = (unsigned int)(us % US_PER_S);
	char f[14] = { '.', 0, 0, 0, 0, 0, 0, '+', '0', '0', '0', '0', '"' };

	for (int i = 6; i >= 1; i--) {
		f[i] = (char)('0' + frac % 10);
		frac /= 10;
	}
	PUTS(o, "\"");
	put(o, d, strlen(d));
	put(o, f, 13);
}

static void
put_hex8(struct out *o, uint8_t v)
{
	static const char hex[] = "0123456789abcdef";
	char s[4] = { '"', hex[v >> 4], hex[v & 15], '"' };

	put(o, s, 4);
}

static void
put_pkts_bytes(struct out *o, uint64_t pkts, uint64_t bytes)
{
	PUTS(o, "{\"pkts\":");
	put_u64(o, pkts);
	PUTS(o, ",\"bytes\":");
	put_u64(o, bytes);
	PUTS(o, "}");
}

static void
put_proto(struct out *o, uint8_t proto)
{
	switch (proto) {
	case PROTO_TCP: PUTS(o, "\"TCP\""); return;
	case PROTO_UDP: PUTS(o, "\"UDP\""); return;
	case PROTO_SCTP: PUTS(o, "\"SCTP\""); return;
	case PROTO_ICMP: PUTS(o, "\"ICMP\""); return;
	case PROTO_ICMP6: PUTS(o, "\"IPv6-ICMP\""); return;
	default:
		PUTS(o, "\"");
		put_u64(o, proto);
		PUTS(o, "\"");
	}
}

static int
community_id(struct sl_flowrec_ctx *ctx, const struct sl_flowrec *r, char *cid)
{
	uint8_t in[SL_CID_IN_MAX];
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	size_t n;

	if (ctx == NULL)
		return sl_community_id_v1(r->community_id_seed, r->family, r->src, r->dst, r->sport,
					  r->dport, r->proto, cid, SL_COMMUNITY_ID_LEN);
	n = sl_cid_input(r->community_id_seed, r->family, r->src, r->dst, r->sport, r->dport,
			 r->proto, in);
	if (EVP_DigestInit_ex(ctx->md, ctx->sha1, NULL) != 1 ||
	    EVP_DigestUpdate(ctx->md, in, n) != 1 || EVP_DigestFinal_ex(ctx->md, md, &mdlen) != 1 ||
	    mdlen != SL_CID_SHA1_LEN)
		return -ENOMEM;
	return sl_cid_encode(md, cid);
}

/* Dotted quad, as inet_ntop() writes it (which goes through sprintf()). */
static void
ipv4_text(const uint8_t *a, char *out)
{
	for (int i = 0; i < 4; i++) {
		unsigned int v = a[i];

		if (v >= 100)
			*out++ = (char)('0' + v / 100);
		if (v >= 10)
			*out++ = (char)('0' + v / 10 % 10);
		*out++ = (char)('0' + v % 10);
		*out++ = i < 3 ? '.' : '\0';
	}
}

/* The addresses, ports, proto and community_id of an IP flow. */
static void
put_tuple(struct out *o, struct sl_flowrec_ctx *ctx, const struct sl_flowrec *r)
{
	int af = r->family == 4 ? AF_INET : AF_INET6;
	bool icmp = r->proto == PROTO_ICMP || r->proto == PROTO_ICMP6;
	bool ports = r->proto == PROTO_TCP || r->proto == PROTO_UDP || r->proto == PROTO_SCTP;
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
	char cid[SL_COMMUNITY_ID_LEN];
	int rc;

	if (r->family == 4) {
		ipv4_text(r->src, src);
		ipv4_text(r->dst, dst);
	} else if (inet_ntop(af, r->src, src, sizeof(src)) == NULL ||
		   inet_ntop(af, r->dst, dst, sizeof(dst)) == NULL) {
		o->rc = o->rc != 0 ? o->rc : -EINVAL;
		return;
	}
	NKEY(o, "src_ip");
	put_str(o, src);
	if (ports) {
		NKEY(o, "src_port");
		put_u64(o, r->sport);
	}
	NKEY(o, "dest_ip");
	put_str(o, dst);
	if (ports) {
		NKEY(o, "dest_port");
		put_u64(o, r->dport);
	}
	NKEY(o, "proto");
	put_proto(o, r->proto);
	if (icmp) {
		NKEY(o, "icmp_type");
		put_u64(o, r->sport);
		NKEY(o, "icmp_code");
		put_u64(o, r->dport);
	}
	if (o->rc != 0)
		return;
	rc = community_id(ctx, r, cid);
	if (rc != 0) {
		o->rc = rc;
		return;
	}
	NKEY(o, "community_id");
	put_str(o, cid);
}

static void
put_flow(struct out *o, struct sl_flowrec_ctx *ctx, const struct sl_flowrec *r)
{
	uint64_t s = r->start_us / US_PER_S, e = r->end_us / US_PER_S;

	NKEY(o, "flow");
	PUTS(o, "{");
	KEY(o, "pkts_toserver");
	put_u64(o, r->pkts_toserver);
	NKEY(o, "pkts_toclient");
	put_u64(o, r->pkts_toclient);
	NKEY(o, "bytes_toserver");
	put_u64(o, r->bytes_toserver);
	NKEY(o, "bytes_toclient");
	put_u64(o, r->bytes_toclient);
	NKEY(o, "start");
	put_time(o, ctx, r->start_us);
	NKEY(o, "end");
	put_time(o, ctx, r->end_us);
	/* EVE: whole seconds of the last packet minus those of the first */
	NKEY(o, "age");
	put_u64(o, e > s ? e - s : 0);
	if (r->reason != NULL) {
		NKEY(o, "reason");
		put_str(o, r->reason);
	}
	NKEY(o, "elephant");
	if (r->elephant)
		PUTS(o, "true");
	else
		PUTS(o, "false");
	NKEY(o, "bypassed");
	if (r->bypassed)
		PUTS(o, "true}");
	else
		PUTS(o, "false}");
}

static void
put_sluice(struct out *o, const struct sl_flowrec *r)
{
	NKEY(o, "sluice");
	PUTS(o, "{");
	KEY(o, "forwarded");
	put_pkts_bytes(o, r->fwd_pkts, r->fwd_bytes);
	NKEY(o, "bypassed");
	put_pkts_bytes(o, r->bypass_pkts, r->bypass_bytes);
	NKEY(o, "dropped");
	put_pkts_bytes(o, r->drop_pkts, r->drop_bytes);
	if (r->pool != NULL) {
		NKEY(o, "pool");
		put_str(o, r->pool);
	}
	if (r->member >= 0) {
		NKEY(o, "member");
		put_u64(o, (uint64_t)r->member);
	}
	if (r->action != NULL) {
		NKEY(o, "action");
		put_str(o, r->action);
	}
	if (r->rule != NULL) {
		NKEY(o, "rule");
		put_str(o, r->rule);
	}
	PUTS(o, "}");
}

static void
put_tcp(struct out *o, const struct sl_flowrec *r)
{
	NKEY(o, "tcp");
	PUTS(o, "{");
	KEY(o, "tcp_flags");
	put_hex8(o, r->tcp_flags_ts | r->tcp_flags_tc);
	NKEY(o, "tcp_flags_ts");
	put_hex8(o, r->tcp_flags_ts);
	NKEY(o, "tcp_flags_tc");
	put_hex8(o, r->tcp_flags_tc);
	PUTS(o, "}");
}

int
sl_flowrec_format(struct sl_flowrec_ctx *ctx, const struct sl_flowrec *r, char *buf, size_t len)
{
	struct out o;

	if (r == NULL || buf == NULL || (r->family != 0 && r->family != 4 && r->family != 6) ||
	    r->n_vlan > 2)
		return -EINVAL;
	if (len == 0)
		return -ENOSPC;
	o = (struct out){ .p = buf, .end = buf + len - 1, .rc = 0 };
	PUTS(&o, "{");
	KEY(&o, "timestamp");
	put_time(&o, ctx, r->end_us);
	PUTS(&o, ",\"event_type\":\"flow\"");
	NKEY(&o, "tenant_id");
	put_u64(&o, r->tenant_id);
	if (r->tenant != NULL) {
		NKEY(&o, "tenant");
		put_str(&o, r->tenant);
	}
	if (r->n_vlan > 0) {
		NKEY(&o, "vlan");
		PUTS(&o, "[");
		for (unsigned int i = 0; i < r->n_vlan; i++) {
			if (i > 0)
				PUTS(&o, ",");
			put_u64(&o, r->vlan[i]);
		}
		PUTS(&o, "]");
	}
	if (r->tunnel_id != 0) {
		NKEY(&o, "tunnel_id");
		put_u64(&o, r->tunnel_id);
	}
	if (r->family != 0)
		put_tuple(&o, ctx, r);
	if (r->app_proto != NULL) {
		NKEY(&o, "app_proto");
		put_str(&o, r->app_proto);
	}
	if (r->app_category != NULL) {
		NKEY(&o, "app_category");
		put_str(&o, r->app_category);
	}
	if (r->sni != NULL) {
		NKEY(&o, "sni");
		put_str(&o, r->sni);
	}
	put_flow(&o, ctx, r);
	put_sluice(&o, r);
	if (r->family != 0 && r->proto == PROTO_TCP)
		put_tcp(&o, r);
	PUTS(&o, "}");
	if (o.rc != 0)
		return o.rc;
	*o.p = '\0';
	return (int)(o.p - buf);
}

int
sl_flowrec_json(const struct sl_flowrec *r, char *buf, size_t len)
{
	return sl_flowrec_format(NULL, r, buf, len);
}

int
sl_flowrec_ctx_new(struct sl_flowrec_ctx **out)
{
	struct sl_flowrec_ctx *ctx;

	if (out == NULL)
		return -EINVAL;
	*out = NULL;
	ctx = calloc(1, sizeof(*ctx));
	if (ctx == NULL)
		return -ENOMEM;
	ctx->sec[0] = ctx->sec[1] = INT64_MIN;
	ctx->md = EVP_MD_CTX_new();
	ctx->sha1 = EVP_MD_fetch(NULL, "SHA1", NULL);
	if (ctx->md == NULL || ctx->sha1 == NULL) {
		sl_flowrec_ctx_free(ctx);
		return -ENOMEM;
	}
	*out = ctx;
	return 0;
}

void
sl_flowrec_ctx_free(struct sl_flowrec_ctx *ctx)
{
	if (ctx == NULL)
		return;
	EVP_MD_CTX_free(ctx->md);
	EVP_MD_free(ctx->sha1);
	free(ctx);
}
