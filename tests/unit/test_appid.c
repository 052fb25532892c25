/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for lib/appid: nDPI's names, the DNS check, the handshake
 * tracker (on frames built with sl_frames.h, parsed by lib/parse as the
 * worker does), the detector's bounds (slots, states, memory, keys) and
 * detection on real captures of the shared corpus, read with libpcap (those
 * cases skip, saying so, when the corpus is absent: set SL_CORPUS, else
 * ../shared/corpus/suricata-verify beside the checkout).
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <setjmp.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>
#include <pcap/pcap.h>

#include "sl_appid.h"
#include "sl_frames.h"
#include "sl_parse.h"

#define MB (1024ull * 1024)

/* ---- helpers ------------------------------------------------------------ */

static struct sl_appid *
detector(uint32_t keys, uint32_t flows, uint32_t detecting, uint32_t max_packets,
	 uint32_t hs_packets)
{
	struct sl_appid_params p = { .keys = keys, .flows = flows, .detecting = detecting,
				     .max_packets = max_packets, .hs_packets = hs_packets,
				     .memory = 256 * MB };
	struct sl_appid *a = NULL;

	assert_int_equal(sl_appid_create(&p, &a), 0);
	assert_non_null(a);
	return a;
}

/* The packet the worker would give: from the parse of frame @p b. */
static void
pkt_of(const uint8_t *b, uint32_t len, uint8_t dir, uint64_t ms, struct sl_parse_cfg *cfg,
       struct sl_pkt_info *pi, struct sl_appid_pkt *p)
{
	sl_parse(cfg, b, len, pi);
	memset(p, 0, sizeof(*p));
	p->l3 = b + pi->l3_off;
	p->len = pi->l4_off ? (uint32_t)pi->l4_off + pi->l4_len - pi->l3_off : len - pi->l3_off;
	p->l4_off = pi->l4_off ? (uint16_t)(pi->l4_off - pi->l3_off) : 0;
	p->l4_len = pi->l4_len;
	p->proto = pi->proto;
	p->dir = dir;
	p->ms = ms;
}

static struct sl_parse_cfg parse_cfg;

/* A TCP segment of direction @p dir (0: client 192.0.2.1:40000 -> server
 * 198.51.100.2:443) with sequence number @p seq, flags, payload. */
static unsigned int
tcp_seg(struct sl_appid *a, uint32_t key, uint8_t dir, uint32_t seq, uint8_t flags,
	const uint8_t *data, uint32_t n)
{
	struct fb_frame f;
	struct sl_pkt_info pi;
	struct sl_appid_pkt p;

	fb_eth(&f, 0x0800);
	fb_ipv4(&f, 6, 5, 0x4000, 1, dir ? FB_V4B : FB_V4A, dir ? FB_V4A : FB_V4B);
	fb_tcp(&f, dir ? 443 : 40000, dir ? 40000 : 443, flags, 5);
	uint32_t at = f.len - 20 + 4;

	f.b[at] = (uint8_t)(seq >> 24);
	f.b[at + 1] = (uint8_t)(seq >> 16);
	f.b[at + 2] = (uint8_t)(seq >> 8);
	f.b[at + 3] = (uint8_t)seq;
	fb_put(&f, data, n);
	fb_done(&f);
	pkt_of(f.b, f.len, dir, 1000, &parse_cfg, &pi, &p);
	assert_int_equal(pi.err, SL_PARSE_OK);
	return sl_appid_flow_packet(a, key, &p);
}

/* A UDP datagram of direction @p dir on port 443. */
static unsigned int
udp_dgram(struct sl_appid *a, uint32_t key, uint8_t dir, uint16_t port, const uint8_t *data,
	  uint32_t n)
{
	struct fb_frame f;
	struct sl_pkt_info pi;
	struct sl_appid_pkt p;

	fb_eth(&f, 0x0800);
	fb_ipv4(&f, 17, 5, 0x4000, 1, dir ? FB_V4B : FB_V4A, dir ? FB_V4A : FB_V4B);
	fb_udp(&f, dir ? port : 40000, dir ? 40000 : port);
	fb_put(&f, data, n);
	fb_done(&f);
	pkt_of(f.b, f.len, dir, 1000, &parse_cfg, &pi, &p);
	assert_int_equal(pi.err, SL_PARSE_OK);
	return sl_appid_flow_packet(a, key, &p);
}

/* ---- names -------------------------------------------------------------- */

static void
test_names(void **state)
{
	static const struct { const char *name; const char *canon; } protos[] = {
		{ "dns", "DNS" }, { "DNS", "DNS" }, { "tls", "TLS" }, { "Http", "HTTP" },
		{ "quic", "QUIC" }, { "ssh", "SSH" }, { "youtube", "YouTube" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++) {
		int id = sl_appid_proto_id(protos[i].name);

		assert_true(id > 0);
		assert_string_equal(sl_appid_proto_name((uint16_t)id), protos[i].canon);
	}
	assert_int_equal(sl_appid_proto_id("dns"), SL_APPID_PROTO_DNS);
	assert_int_equal(sl_appid_proto_id("tls"), SL_APPID_PROTO_TLS);
	assert_int_equal(sl_appid_proto_id("quic"), SL_APPID_PROTO_QUIC);
	assert_int_equal(sl_appid_proto_id("no-such-protocol"), -ENOENT);
	assert_int_equal(sl_appid_proto_id("unknown"), -ENOENT);
	assert_int_equal(sl_appid_proto_id(""), -ENOENT);
	assert_int_equal(sl_appid_proto_id(NULL), -ENOENT);
	assert_string_equal(sl_appid_proto_name(0), "Unknown");
	assert_null(sl_appid_proto_name(UINT16_MAX));

	int v = sl_appid_category_id("video"), w = sl_appid_category_id("WEB");

	assert_true(v > 0 && w > 0 && v != w);
	assert_string_equal(sl_appid_category_name((uint16_t)v), "Video");
	assert_string_equal(sl_appid_category_name((uint16_t)w), "Web");
	assert_int_equal(sl_appid_category_id("no-such-category"), -ENOENT);
	assert_null(sl_appid_category_name(UINT16_MAX));

	/* names as ndpiReader prints them */
	struct sl_appid_result r = { .master = SL_APPID_PROTO_TLS,
				     .app = (uint16_t)sl_appid_proto_id("google") };
	char buf[64];

	assert_int_equal(sl_appid_result_name(&r, buf, sizeof(buf)), 10);
	assert_string_equal(buf, "TLS.Google");
	r.app = 0;
	sl_appid_result_name(&r, buf, sizeof(buf));
	assert_string_equal(buf, "TLS");
	r = (struct sl_appid_result){ .app = SL_APPID_PROTO_DNS };
	sl_appid_result_name(&r, buf, sizeof(buf));
	assert_string_equal(buf, "DNS");
	r.master = SL_APPID_PROTO_DNS; /* master == app: one name */
	sl_appid_result_name(&r, buf, sizeof(buf));
	assert_string_equal(buf, "DNS");
	r = (struct sl_appid_result){ 0 };
	sl_appid_result_name(&r, buf, sizeof(buf));
	assert_string_equal(buf, "Unknown");
	assert_int_equal(sl_appid_result_name(&r, buf, 4), -ENOSPC);
	assert_true(strlen(sl_appid_version()) > 0);
}

/* ---- the DNS check ------------------------------------------------------ */

/* A query for www.example.com (type A, class IN), optionally with an EDNS
 * OPT record and a TCP length prefix. */
static uint32_t
dns_query(uint8_t *b, bool opt, bool tcp)
{
	static const uint8_t hdr[] = { 0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0 };
	static const uint8_t q[] = { 3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l',
				     'e', 3, 'c', 'o', 'm', 0, 0, 1, 0, 1 };
	static const uint8_t o[] = { 0, 0, 41, 0x10, 0, 0, 0, 0, 0, 0, 4, 0, 10, 0, 0 };
	uint32_t n = tcp ? 2 : 0;

	memcpy(b + n, hdr, sizeof(hdr));
	n += sizeof(hdr);
	memcpy(b + n, q, sizeof(q));
	n += sizeof(q);
	if (opt) {
		b[(tcp ? 2 : 0) + 11] = 1; /* arcount */
		memcpy(b + n, o, sizeof(o));
		n += sizeof(o);
	}
	if (tcp) {
		b[0] = (uint8_t)((n - 2) >> 8);
		b[1] = (uint8_t)(n - 2);
	}
	return n;
}

static void
test_dns_check(void **state)
{
	uint8_t b[256], c[256];
	uint32_t n;

	(void)state;
	for (int v = 0; v < 4; v++) {
		bool opt = v & 1, tcp = v & 2;

		n = dns_query(b, opt, tcp);
		assert_true(sl_appid_dns_query(b, n, tcp));
		assert_false(sl_appid_dns_query(b, n, !tcp));
		/* every shorter length: not a complete message */
		for (uint32_t k = 0; k < n; k++)
			assert_false(sl_appid_dns_query(b, k, tcp));
		/* a byte after its end */
		b[n] = 0;
		assert_false(sl_appid_dns_query(b, n + 1, tcp));
	}
	/* one field at a time out of a query's range */
	static const struct { uint32_t at; uint8_t v; } bad[] = {
		{ 2, 0x81 },  /* QR: a response */
		{ 2, 0x29 },  /* opcode 5 (update) */
		{ 3, 0x40 },  /* Z bit */
		{ 3, 0x03 },  /* rcode 3 */
		{ 5, 2 },     /* two questions */
		{ 5, 0 },     /* none */
		{ 7, 1 },     /* an answer */
		{ 9, 1 },     /* an authority record */
		{ 11, 2 },    /* two additional records */
		{ 12, 0xc0 }, /* a compression pointer */
		{ 12, 64 },   /* label too long */
		{ 13, '*' },  /* not a hostname character */
		{ 13, 0 },    /* NUL in a label */
		{ 29, 0 },    /* qtype 0 */
		{ 32, 2 },    /* qclass 2 (CSNET) */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = dns_query(b, false, false);
		memcpy(c, b, n);
		c[bad[i].at] = bad[i].v;
		if (bad[i].at == 29)
			c[30] = 0;
		assert_false(sl_appid_dns_query(c, n, false));
	}
	/* the OPT record: wrong type, cut options */
	n = dns_query(b, true, false);
	memcpy(c, b, n);
	c[n - 15 + 2] = 42;
	assert_false(sl_appid_dns_query(c, n, false));
	memcpy(c, b, n);
	c[n - 15 + 10] = 5;
	assert_false(sl_appid_dns_query(c, n, false));
	/* the root name alone is not taken for DNS */
	static const uint8_t root[] = { 1, 2, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 1 };
	assert_false(sl_appid_dns_query(root, sizeof(root), false));
	assert_false(sl_appid_dns_query(NULL, 0, false));
	/* HTTP is not DNS */
	static const char get[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
	assert_false(sl_appid_dns_query((const uint8_t *)get, sizeof(get) - 1, false));
	assert_false(sl_appid_dns_query((const uint8_t *)get, sizeof(get) - 1, true));
}

/* DNS on a port nDPI does not read DNS on: found by the check, and only
 * there (on 53, nDPI judges alone). */
static void
test_dns_other_port(void **state)
{
	struct sl_appid *a = detector(16, 8, 8, 8, 32);
	uint8_t b[256];
	uint32_t n = dns_query(b, true, false);
	unsigned int ev;

	(void)state;
	assert_int_equal(sl_appid_flow_start(a, 1), 0);
	ev = udp_dgram(a, 1, 0, 5300, b, n);
	assert_true(ev & SL_APPID_EV_KNOWN);
	assert_true(ev & SL_APPID_EV_ENDED);
	const struct sl_appid_result *r = sl_appid_flow_result(a, 1);
	assert_int_equal(r->app, SL_APPID_PROTO_DNS);
	assert_int_equal(r->status, SL_APPID_DONE);
	assert_true(r->flags & SL_APPID_F_DNS_CHECK);
	assert_string_equal(sl_appid_category_name(r->category), "Network");
	/* the same query on port 53: nDPI's own answer */
	assert_int_equal(sl_appid_flow_start(a, 2), 0);
	ev = udp_dgram(a, 2, 0, 53, b, n);
	r = sl_appid_flow_result(a, 2);
	assert_true(ev & SL_APPID_EV_KNOWN);
	assert_int_equal(r->app, SL_APPID_PROTO_DNS);
	assert_false(r->flags & SL_APPID_F_DNS_CHECK);
	/* not DNS on 5300: nothing found by the first payload */
	assert_int_equal(sl_appid_flow_start(a, 3), 0);
	static const char junk[] = "hello, this is not a DNS message at all";
	ev = udp_dgram(a, 3, 0, 5300, (const uint8_t *)junk, sizeof(junk) - 1);
	assert_false(ev & SL_APPID_EV_KNOWN);
	/* a query that is not the first payload is not taken either */
	ev = udp_dgram(a, 3, 1, 5300, b, n);
	assert_int_equal(sl_appid_flow_result(a, 3)->app, 0);
	sl_appid_free(a);
}

/* ---- the handshake tracker ---------------------------------------------- */

/* A TLS record header of @p type and @p len body bytes (0x5a), into @p b. */
static uint32_t
rec(uint8_t *b, uint8_t type, uint16_t len)
{
	b[0] = type;
	b[1] = 3;
	b[2] = 3;
	b[3] = (uint8_t)(len >> 8);
	b[4] = (uint8_t)len;
	memset(b + 5, 0x5a, len);
	return 5u + len;
}

/* One flight: records of one direction, cut into segments at @p cuts. */
struct flight {
	uint8_t dir;
	uint8_t n_rec;
	struct { uint8_t type; uint16_t len; } r[4];
	uint8_t n_cut;            /* segments = n_cut + 1 */
	uint16_t cut[8];          /* byte offsets within the flight */
	uint8_t resend;           /* send the flight's first segment twice */
	uint8_t skip;             /* 1 + index of a segment never sent */
};

struct hs_case {
	const char *name;
	struct flight f[6];
	uint8_t n;
	int want_done;            /* flight (index) after whose last segment it ends, -1 none */
	uint8_t end_state;        /* enum sl_appid_hs at the end */
	uint32_t limit;           /* hs_packets (0: 64) */
};

static const struct hs_case hs_cases[] = {
	{ "tls 1.2 full, certificate over 3 segments, a header split",
	  { { 0, 1, { { 22, 200 } } },
	    { 1, 3, { { 22, 80 }, { 22, 1500 }, { 22, 4 } }, 2, { 700, 1592 } },
	    { 0, 3, { { 22, 70 }, { 20, 1 }, { 22, 40 } } },
	    { 1, 2, { { 20, 1 }, { 22, 40 } } },
	    { 0, 1, { { 23, 300 } } } },
	  5, 3, SL_APPID_HS_DONE, 0 },
	{ "tls 1.2 resumed: the server finishes first",
	  { { 0, 1, { { 22, 200 } } },
	    { 1, 3, { { 22, 80 }, { 20, 1 }, { 22, 40 } } },
	    { 0, 2, { { 20, 1 }, { 22, 40 } } },
	    { 1, 1, { { 23, 300 } } } },
	  4, 2, SL_APPID_HS_DONE, 0 },
	{ "tls 1.3: the client's first application_data is its Finished",
	  { { 0, 1, { { 22, 300 } } },
	    { 1, 3, { { 22, 90 }, { 20, 1 }, { 23, 2500 } }, 3, { 1, 96, 2000 } },
	    { 0, 2, { { 20, 1 }, { 23, 53 } } },
	    { 1, 1, { { 23, 200 } } } },
	  4, 2, SL_APPID_HS_DONE, 0 },
	{ "one header byte per segment",
	  { { 0, 1, { { 22, 20 } }, 4, { 1, 2, 3, 4 } },
	    { 1, 2, { { 20, 1 }, { 22, 40 } }, 5, { 1, 2, 3, 4, 5 } },
	    { 0, 2, { { 20, 1 }, { 22, 40 } }, 3, { 2, 5, 8 } } },
	  3, 2, SL_APPID_HS_DONE, 0 },
	{ "a retransmitted segment is read once",
	  { { 0, 1, { { 22, 200 } }, 1, { 100 }, 1 },
	    { 1, 3, { { 22, 80 }, { 20, 1 }, { 22, 40 } }, 0, { 0 }, 1 },
	    { 0, 2, { { 20, 1 }, { 22, 40 } }, 0, { 0 }, 1 } },
	  3, 2, SL_APPID_HS_DONE, 0 },
	{ "a missed segment loses the records",
	  { { 0, 1, { { 22, 200 } } },
	    { 1, 2, { { 22, 80 }, { 22, 1500 } }, 2, { 500, 1000 }, 0, 2 },
	    { 0, 2, { { 20, 1 }, { 22, 40 } } },
	    { 1, 2, { { 20, 1 }, { 22, 40 } } } },
	  4, -1, SL_APPID_HS_LOST, 0 },
	{ "not ended within the packet limit",
	  { { 0, 1, { { 22, 200 } } },
	    { 1, 2, { { 22, 80 }, { 22, 1500 } }, 3, { 100, 200, 300 } },
	    { 0, 2, { { 20, 1 }, { 22, 40 } } },
	    { 1, 2, { { 20, 1 }, { 22, 40 } } } },
	  4, -1, SL_APPID_HS_LIMIT, 5 },
};

static void
test_handshake_tls(void **state)
{
	(void)state;
	for (size_t c = 0; c < sizeof(hs_cases) / sizeof(hs_cases[0]); c++) {
		const struct hs_case *hc = &hs_cases[c];
		struct sl_appid *a = detector(4, 4, 4, 64, hc->limit ? hc->limit : 64);
		uint32_t seq[2] = { 1000, 50000 };
		int done_at = -1;

		print_message("case: %s\n", hc->name);
		assert_int_equal(sl_appid_flow_start(a, 0), 0);
		sl_appid_flow_handshake(a, 0, true);
		tcp_seg(a, 0, 0, seq[0] - 1, 0x02, NULL, 0);
		tcp_seg(a, 0, 1, seq[1] - 1, 0x12, NULL, 0);
		for (uint8_t i = 0; i < hc->n; i++) {
			const struct flight *fl = &hc->f[i];
			uint8_t b[8192];
			uint32_t len = 0;

			for (uint8_t k = 0; k < fl->n_rec; k++)
				len += rec(b + len, fl->r[k].type, fl->r[k].len);
			for (uint8_t k = 0; k <= fl->n_cut; k++) {
				uint32_t from = k ? fl->cut[k - 1] : 0;
				uint32_t to = k < fl->n_cut ? fl->cut[k] : len;
				unsigned int ev = 0;

				if (fl->skip != k + 1)
					ev = tcp_seg(a, 0, fl->dir, seq[fl->dir] + from, 0x18,
						     b + from, to - from);
				if (k == 0 && fl->resend)
					ev |= tcp_seg(a, 0, fl->dir, seq[fl->dir] + from, 0x18,
						      b + from, to - from);
				if (ev & SL_APPID_EV_HS_DONE) {
					assert_int_equal(done_at, -1);
					assert_int_equal(k, fl->n_cut); /* the flight's end */
					done_at = i;
				}
			}
			seq[fl->dir] += len;
		}
		assert_int_equal(done_at, hc->want_done);
		assert_int_equal(sl_appid_flow_result(a, 0)->hs, hc->end_state);
		sl_appid_free(a);
	}
}

static void
test_handshake_not_tls(void **state)
{
	static const char get[] = "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n";
	struct sl_appid *a = detector(4, 4, 4, 64, 64);
	unsigned int ev;

	(void)state;
	assert_int_equal(sl_appid_flow_start(a, 0), 0);
	sl_appid_flow_handshake(a, 0, true);
	ev = tcp_seg(a, 0, 0, 1, 0x18, (const uint8_t *)get, sizeof(get) - 1);
	assert_true(ev & SL_APPID_EV_HS_FAILED);
	assert_int_equal(sl_appid_flow_result(a, 0)->hs, SL_APPID_HS_NONE);
	/* the tracker is done with it: a later packet changes nothing */
	ev = tcp_seg(a, 0, 1, 1, 0x18, (const uint8_t *)get, sizeof(get) - 1);
	assert_false(ev & (SL_APPID_EV_HS_DONE | SL_APPID_EV_HS_FAILED));
	sl_appid_free(a);
}

static void
test_handshake_quic(void **state)
{
	uint8_t lng[64] = { 0xc3, 0, 0, 0, 1, 8 }, sht[64] = { 0x43 };
	uint8_t vneg[64] = { 0x80, 0, 0, 0, 0 };
	struct sl_appid *a = detector(4, 4, 4, 64, 64);

	(void)state;
	memset(lng + 6, 0x11, 8);   /* DCID */
	lng[14] = 8;               /* SCID length */
	memset(lng + 15, 0x22, sizeof(lng) - 15);
	memset(sht + 1, 0x22, sizeof(sht) - 1);
	/* Initial both ways, Handshake, then 1-RTT: the server's short header
	 * first (0.5-RTT), the client's ends it */
	assert_int_equal(sl_appid_flow_start(a, 0), 0);
	sl_appid_flow_handshake(a, 0, true);
	assert_false(udp_dgram(a, 0, 0, 443, lng, sizeof(lng)) & SL_APPID_EV_HS_DONE);
	assert_false(udp_dgram(a, 0, 1, 443, lng, sizeof(lng)) & SL_APPID_EV_HS_DONE);
	assert_false(udp_dgram(a, 0, 1, 443, sht, sizeof(sht)) & SL_APPID_EV_HS_DONE);
	assert_false(udp_dgram(a, 0, 0, 443, lng, sizeof(lng)) & SL_APPID_EV_HS_DONE);
	assert_true(udp_dgram(a, 0, 0, 443, sht, sizeof(sht)) & SL_APPID_EV_HS_DONE);
	assert_int_equal(sl_appid_flow_result(a, 0)->hs, SL_APPID_HS_DONE);
	/* a flow that starts with a short header, or version negotiation: not QUIC */
	assert_int_equal(sl_appid_flow_start(a, 1), 0);
	sl_appid_flow_handshake(a, 1, true);
	assert_true(udp_dgram(a, 1, 0, 443, sht, sizeof(sht)) & SL_APPID_EV_HS_FAILED);
	assert_int_equal(sl_appid_flow_result(a, 1)->hs, SL_APPID_HS_NONE);
	assert_int_equal(sl_appid_flow_start(a, 2), 0);
	sl_appid_flow_handshake(a, 2, true);
	assert_true(udp_dgram(a, 2, 0, 443, vneg, sizeof(vneg)) & SL_APPID_EV_HS_FAILED);
	sl_appid_free(a);
}

/* ---- bounds ------------------------------------------------------------- */

/* A TLS 1.2 ClientHello record with SNI @p host, ALPN h2/http/1.1 and
 * supported_versions; returns its length. */
static uint32_t
client_hello(uint8_t *b, const char *host)
{
	uint8_t e[256];
	uint32_t n = 0, h = (uint32_t)strlen(host), hs, x = 0;

	/* server_name */
	e[x++] = 0; e[x++] = 0; e[x++] = 0; e[x++] = (uint8_t)(h + 5);
	e[x++] = 0; e[x++] = (uint8_t)(h + 3); e[x++] = 0; e[x++] = 0; e[x++] = (uint8_t)h;
	memcpy(e + x, host, h);
	x += h;
	/* ALPN */
	static const uint8_t alpn[] = { 0, 16, 0, 14, 0, 12, 2, 'h', '2', 8, 'h', 't', 't', 'p',
					'/', '1', '.', '1' };
	memcpy(e + x, alpn, sizeof(alpn));
	x += sizeof(alpn);
	/* supported_versions */
	static const uint8_t sv[] = { 0, 43, 0, 5, 4, 3, 4, 3, 3 };
	memcpy(e + x, sv, sizeof(sv));
	x += sizeof(sv);
	hs = 2 + 32 + 1 + 4 + 2 + 2 + x;
	b[n++] = 22; b[n++] = 3; b[n++] = 1;
	b[n++] = (uint8_t)((hs + 4) >> 8); b[n++] = (uint8_t)(hs + 4);
	b[n++] = 1; b[n++] = 0; b[n++] = (uint8_t)(hs >> 8); b[n++] = (uint8_t)hs;
	b[n++] = 3; b[n++] = 3;
	memset(b + n, 0x42, 32);
	n += 32;
	b[n++] = 0;                                     /* session id */
	b[n++] = 0; b[n++] = 2; b[n++] = 0xc0; b[n++] = 0x2f; /* cipher suites */
	b[n++] = 1; b[n++] = 0;                         /* compression */
	b[n++] = (uint8_t)(x >> 8); b[n++] = (uint8_t)x;
	memcpy(b + n, e, x);
	return n + x;
}

static void
test_bounds(void **state)
{
	struct sl_appid_params p = { .keys = 100, .flows = 4, .detecting = 2, .max_packets = 4,
				     .hs_packets = 8, .memory = 256 * MB };
	struct sl_appid *a = NULL;
	struct sl_appid_usage u;
	struct sl_appid_result r;

	(void)state;
	/* parameters */
	struct sl_appid_params q = p;
	q.flows = 101;
	assert_int_equal(sl_appid_create(&q, &a), -EINVAL);
	q = p;
	q.detecting = 5;
	assert_int_equal(sl_appid_create(&q, &a), -EINVAL);
	q = p;
	q.max_packets = 0;
	assert_int_equal(sl_appid_create(&q, &a), -EINVAL);
	assert_int_equal(sl_appid_create(NULL, &a), -EINVAL);
	/* a bound below what the detector itself needs */
	q = p;
	q.memory = 1 * MB;
	assert_int_equal(sl_appid_create(&q, &a), -E2BIG);
	assert_null(a);

	assert_int_equal(sl_appid_create(&p, &a), 0);
	sl_appid_usage(a, &u);
	assert_int_equal(u.flows, 0);
	assert_int_equal(u.detecting, 0);
	assert_true(u.fixed > 1 * MB && u.memory >= u.fixed);
	assert_int_equal(sl_appid_flow_start(a, 100), -EINVAL);
	assert_int_equal(sl_appid_flow_start(a, 10), 0);
	assert_int_equal(sl_appid_flow_start(a, 10), -EEXIST);
	assert_int_equal(sl_appid_flow_start(a, 11), 0);
	/* two nDPI states: a third flow waits for none, it is refused */
	assert_int_equal(sl_appid_flow_start(a, 12), -EBUSY);
	assert_null(sl_appid_flow_result(a, 12));
	sl_appid_usage(a, &u);
	assert_int_equal(u.flows, 2);
	assert_int_equal(u.detecting, 2);
	/* detection gives up after max_packets: the state is free again, the
	 * slot is kept for the flow's result (TCP without payload: nothing
	 * for nDPI to find) */
	static const uint8_t junk[] = { 0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7 };
	unsigned int ev = 0;
	for (uint32_t i = 0; i < p.max_packets; i++) {
		assert_false(ev & SL_APPID_EV_ENDED);
		ev = tcp_seg(a, 10, i & 1, 1, 0x10, NULL, 0);
	}
	assert_true(ev & SL_APPID_EV_KNOWN);
	assert_true(ev & SL_APPID_EV_ENDED);
	assert_int_equal(sl_appid_flow_result(a, 10)->status, SL_APPID_GAVE_UP);
	/* its handshake was not asked for: nothing more to do */
	assert_true(sl_appid_flow_handshake(a, 10, false) & SL_APPID_EV_IDLE);
	assert_int_equal(sl_appid_flow_result(a, 10)->hs, SL_APPID_HS_STOPPED);
	sl_appid_usage(a, &u);
	assert_int_equal(u.flows, 2);
	assert_int_equal(u.detecting, 1);
	assert_int_equal(sl_appid_flow_start(a, 12), 0);
	assert_int_equal(sl_appid_flow_start(a, 13), -EBUSY);
	/* ending a flow in detection: nDPI's give-up, the slot and state free */
	assert_true(sl_appid_flow_end(a, 11, &r));
	assert_int_equal(r.status, SL_APPID_GAVE_UP);
	assert_false(sl_appid_flow_end(a, 11, &r));
	assert_int_equal(sl_appid_flow_start(a, 13), 0);
	/* four slots: a fifth flow is refused even with a state free */
	assert_true(sl_appid_flow_end(a, 12, NULL));
	assert_int_equal(sl_appid_flow_start(a, 14), 0);
	for (uint32_t i = 0; i < p.max_packets; i++)
		tcp_seg(a, 14, 0, 1, 0x10, NULL, 0);
	assert_int_equal(sl_appid_flow_start(a, 15), 0);
	assert_int_equal(sl_appid_flow_start(a, 16), -ENOSPC);
	sl_appid_usage(a, &u);
	assert_int_equal(u.flows, 4);
	/* a packet of a key without a slot is ignored */
	assert_int_equal(udp_dgram(a, 50, 0, 9999, junk, sizeof(junk)), 0);
	assert_int_equal(udp_dgram(a, 99999, 0, 9999, junk, sizeof(junk)), 0);
	sl_appid_free(a);

	/* the memory bound: room for the detector and 4 KiB more (what the
	 * detector itself takes varies by a few hundred bytes with the heap);
	 * nDPI's allocations for TLS flows (ALPN, versions...) are charged to
	 * it, until a flow is refused; ending flows gives the memory back */
	q = p;
	q.keys = q.flows = q.detecting = 64;
	assert_int_equal(sl_appid_create(&q, &a), 0);
	sl_appid_usage(a, &u);
	sl_appid_free(a);
	q.memory = u.memory + 4096;
	assert_int_equal(sl_appid_create(&q, &a), 0);
	uint8_t ch[512];
	uint32_t chn = client_hello(ch, "www.example.com");
	uint32_t k;
	int rc = 0;

	for (k = 0; k < q.flows; k++) {
		sl_appid_usage(a, &u);
		rc = sl_appid_flow_start(a, k);
		if (rc != 0)
			break;
		assert_true(u.memory < q.memory);
		tcp_seg(a, k, 0, 1, 0x18, ch, chn);
		assert_string_equal(sl_appid_flow_result(a, k)->sni, "www.example.com");
	}
	assert_int_equal(rc, -ENOMEM);
	assert_true(k > 1 && k < q.flows);
	sl_appid_usage(a, &u);
	assert_true(u.memory >= q.memory && u.memory > u.fixed);
	for (uint32_t i = 0; i < k; i++)
		assert_true(sl_appid_flow_end(a, i, NULL));
	sl_appid_usage(a, &u);
	assert_true(u.memory == u.fixed);
	assert_int_equal(sl_appid_flow_start(a, 0), 0);
	sl_appid_free(a);
	sl_appid_free(NULL);
}

/* A server name is kept as printable lowercase ASCII, whatever the
 * ClientHello carried. */
static void
test_sni_sanitized(void **state)
{
	struct sl_appid *a = detector(4, 4, 4, 8, 8);
	uint8_t ch[512];
	uint32_t n = client_hello(ch, "WWW.Ex\x01mpl\xc3\xa9.COM");
	const char *sni;

	(void)state;
	assert_int_equal(sl_appid_flow_start(a, 0), 0);
	tcp_seg(a, 0, 0, 1, 0x18, ch, n);
	sni = sl_appid_flow_result(a, 0)->sni;
	assert_true(strlen(sni) > 0);
	for (const char *p = sni; *p; p++)
		assert_true(*p > ' ' && *p <= '~' && !(*p >= 'A' && *p <= 'Z'));
	assert_int_equal(strncmp(sni, "www.ex", 6), 0);
	sl_appid_free(a);
}

/* Every truncation of real packets: nDPI and the trackers read only what
 * is there (the ASan build runs this too). */
static void
test_truncated(void **state)
{
	uint8_t b[256];
	uint32_t n = dns_query(b, true, true);
	struct sl_appid *a = detector(2048, 2048, 2048, 8, 8);
	uint32_t key = 0;

	(void)state;
	for (int proto = 0; proto < 2; proto++) {
		struct fb_frame f;

		fb_eth(&f, 0x0800);
		fb_ipv4(&f, proto ? 17 : 6, 5, 0x4000, 1, FB_V4A, FB_V4B);
		if (proto)
			fb_udp(&f, 40000, 5300);
		else
			fb_tcp(&f, 40000, 5300, 0x18, 5);
		fb_put(&f, b, n);
		fb_done(&f);
		for (uint32_t cut = 0; cut <= f.len; cut++) {
			struct sl_pkt_info pi;
			struct sl_appid_pkt p;

			pkt_of(f.b, cut, 0, 1, &parse_cfg, &pi, &p);
			if (pi.l3 == SL_L3_NONE)
				continue;
			assert_int_equal(sl_appid_flow_start(a, key), 0);
			sl_appid_flow_handshake(a, key, true);
			sl_appid_flow_packet(a, key, &p);
			sl_appid_flow_packet(a, key, &p);
			sl_appid_flow_end(a, key, NULL);
			key++;
		}
	}
	assert_true(key > 0);
	sl_appid_free(a);
}

/* ---- real captures ------------------------------------------------------ */

static char corpus[1024];

static bool
corpus_dir(void)
{
	const char *env = getenv("SL_CORPUS");
	struct stat st;

	/* the unit tests run in tests/unit: the checkout's parent is ../../.. */
	snprintf(corpus, sizeof(corpus), "%s",
		 env && env[0] ? env : "../../../shared/corpus/suricata-verify");
	return stat(corpus, &st) == 0 && S_ISDIR(st.st_mode);
}

#define MAX_FLOWS 64

/* The flows of a capture, by their endpoints in either order. */
struct cap_flow {
	uint8_t a[16], b[16];
	uint16_t pa, pb;
	uint8_t proto;
	uint32_t packets;
	int hs_done_at;            /* packet number (1-based, in the capture) */
	struct sl_appid_result r;
};

struct capture {
	uint32_t n;
	struct cap_flow f[MAX_FLOWS];
};

static int
flow_of(struct capture *c, const struct sl_pkt_info *pi, uint8_t *dir)
{
	for (uint32_t i = 0; i < c->n; i++) {
		struct cap_flow *f = &c->f[i];

		if (f->proto != pi->proto)
			continue;
		if (!memcmp(f->a, pi->src, 16) && !memcmp(f->b, pi->dst, 16) &&
		    f->pa == pi->sport && f->pb == pi->dport) {
			*dir = 0;
			return (int)i;
		}
		if (!memcmp(f->b, pi->src, 16) && !memcmp(f->a, pi->dst, 16) &&
		    f->pb == pi->sport && f->pa == pi->dport) {
			*dir = 1;
			return (int)i;
		}
	}
	if (c->n == MAX_FLOWS)
		return -1;
	struct cap_flow *f = &c->f[c->n];

	memcpy(f->a, pi->src, 16);
	memcpy(f->b, pi->dst, 16);
	f->pa = pi->sport;
	f->pb = pi->dport;
	f->proto = pi->proto;
	f->hs_done_at = -1;
	*dir = 0;
	return (int)c->n++;
}

/* Run capture @p name through a detector that follows every handshake;
 * false (the test skips) when the corpus is not there. */
static bool
run_capture(const char *name, uint32_t max_packets, struct capture *c)
{
	char path[2048], err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	uint32_t no = 0;

	memset(c, 0, sizeof(*c));
	if (!corpus_dir())
		return false;
	snprintf(path, sizeof(path), "%s/%s", corpus, name);
	pcap_t *pc = pcap_open_offline(path, err);
	if (pc == NULL) {
		print_message("%s: %s\n", path, err);
		return false;
	}
	struct sl_appid *a = detector(MAX_FLOWS, MAX_FLOWS, MAX_FLOWS, max_packets, 64);

	while (pcap_next_ex(pc, &h, &data) == 1) {
		struct sl_pkt_info pi;
		struct sl_appid_pkt p;
		uint8_t dir;
		int i;

		no++;
		sl_parse(&parse_cfg, data, h->caplen, &pi);
		if (pi.l3 == SL_L3_NONE || (i = flow_of(c, &pi, &dir)) < 0)
			continue;
		if (c->f[i].packets++ == 0) {
			assert_int_equal(sl_appid_flow_start(a, (uint32_t)i), 0);
			sl_appid_flow_handshake(a, (uint32_t)i, true);
		}
		pkt_of(data, h->caplen, dir,
		       (uint64_t)h->ts.tv_sec * 1000 + (uint64_t)h->ts.tv_usec / 1000, &parse_cfg,
		       &pi, &p);
		if (sl_appid_flow_packet(a, (uint32_t)i, &p) & SL_APPID_EV_HS_DONE)
			c->f[i].hs_done_at = (int)no;
	}
	pcap_close(pc);
	for (uint32_t i = 0; i < c->n; i++)
		assert_true(sl_appid_flow_end(a, i, &c->f[i].r));
	sl_appid_free(a);
	return true;
}

static const struct cap_flow *
first_of_proto(const struct capture *c, uint8_t proto, uint16_t port)
{
	for (uint32_t i = 0; i < c->n; i++)
		if (c->f[i].proto == proto && (c->f[i].pa == port || c->f[i].pb == port))
			return &c->f[i];
	return NULL;
}

/* One row: a capture, one of its flows (protocol, a port), what nDPI finds
 * and where its handshake ends (-1: not a TLS/QUIC handshake, or never). */
struct cap_case {
	const char *file;
	uint8_t proto;
	uint16_t port;
	const char *name;      /* sl_appid_result_name() */
	const char *category;
	const char *sni;
	uint8_t status;
	uint8_t hs;
	int hs_done_at;
};

/* What the rows say about the captures was read off them with tshark
 * (packet numbers of the handshake ends: the packet with the last
 * Finished, or for QUIC the first datagram of the second direction that
 * starts with a short header) and Debian's ndpiReader -d (protocol,
 * category, server name). tests/e2e/test_appid.py compares every flow of
 * more captures with ndpiReader at run time. */
static const struct cap_case cap_cases[] = {
	{ "dns_dns-single-request_input.pcap", 17, 53, "DNS", "Network", "", SL_APPID_DONE,
	  SL_APPID_HS_NONE, -1 },
	{ "tls_tls-certs-alert_input.pcap", 6, 443, "TLS", "Web", NULL, SL_APPID_DONE,
	  SL_APPID_HS_DONE, 13 },
	{ "ja4-sv-handshake_input.pcap", 6, 4433, "TLS", "Web", "dogfish", SL_APPID_DONE,
	  SL_APPID_HS_DONE, 9 },
	{ "tls_tls13-draft22_tls13_draft22.pcap", 6, 4433, "TLS", "Web", "localhost",
	  SL_APPID_DONE, SL_APPID_HS_DONE, 10 },
	{ "tls_tls-random_input.pcap", 6, 443, "TLS", "Web", "", SL_APPID_DONE, SL_APPID_HS_DONE,
	  9 },
	{ "quic-ietf_input.pcap", 17, 443, "QUIC.Azure", "Cloud", "msquic.net", SL_APPID_DONE,
	  SL_APPID_HS_DONE, 6 },
	{ "ssh-hassh-only_input.pcap", 6, 22, "SSH", "RemoteAccess", "", SL_APPID_DONE,
	  SL_APPID_HS_NONE, -1 },
};

static void
test_captures(void **state)
{
	static struct capture c;

	(void)state;
	if (!corpus_dir())
		skip(); /* the corpus is absent: set SL_CORPUS */
	for (size_t k = 0; k < sizeof(cap_cases) / sizeof(cap_cases[0]); k++) {
		const struct cap_case *cc = &cap_cases[k];
		char name[64];

		print_message("capture: %s\n", cc->file);
		assert_true(run_capture(cc->file, 32, &c));
		const struct cap_flow *f = first_of_proto(&c, cc->proto, cc->port);
		assert_non_null(f);
		sl_appid_result_name(&f->r, name, sizeof(name));
		print_message("  %s %s sni '%s' status %u hs %u at %d\n", name,
			      sl_appid_category_name(f->r.category), f->r.sni, f->r.status, f->r.hs,
			      f->hs_done_at);
		assert_string_equal(name, cc->name);
		assert_string_equal(sl_appid_category_name(f->r.category), cc->category);
		if (cc->sni != NULL)
			assert_string_equal(f->r.sni, cc->sni);
		assert_int_equal(f->r.sni_len, strlen(f->r.sni));
		assert_int_equal(f->r.status, cc->status);
		assert_int_equal(f->r.hs, cc->hs);
		assert_int_equal(f->hs_done_at, cc->hs_done_at);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_dns_check),
		cmocka_unit_test(test_dns_other_port),
		cmocka_unit_test(test_handshake_tls),
		cmocka_unit_test(test_handshake_not_tls),
		cmocka_unit_test(test_handshake_quic),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_sni_sanitized),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_captures),
	};

	sl_parse_cfg_default(&parse_cfg);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
