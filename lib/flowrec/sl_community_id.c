/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Community ID v1 (https://github.com/corelight/community-id-spec), as the
 * spec's reference implementation, pycommunityid, computes it.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <openssl/evp.h>

#include "sl_flowrec.h"
#include "sl_flowrec_pvt.h"

#define PROTO_ICMP 1
#define PROTO_TCP 6
#define PROTO_UDP 17
#define PROTO_ICMP6 58
#define PROTO_SCTP 132

#define SHA1_LEN 20
#define B64_SHA1_LEN 28 /* 4 * ceil(20 / 3) */


/*
 * ICMP types that have a counterpart (pycommunityid icmp.py TYPE_MAPPER,
 * from Zeek's ICMP4_counterpart). Returns the counterpart, or -1: one-way.
 */
static int
icmp4_counterpart(uint16_t type)
{
	switch (type) {
	case 8: return 0;   /* echo -> echo reply */
	case 0: return 8;
	case 13: return 14; /* timestamp -> timestamp reply */
	case 14: return 13;
	case 15: return 16; /* information request -> reply */
	case 16: return 15;
	case 10: return 9;  /* router solicitation -> advertisement */
	case 9: return 10;
	case 17: return 18; /* address mask request -> reply */
	case 18: return 17;
	default: return -1;
	}
}

/* Same for ICMPv6 (pycommunityid icmp6.py, Zeek's ICMP6_counterpart). */
static int
icmp6_counterpart(uint16_t type)
{
	switch (type) {
	case 128: return 129; /* echo request -> reply */
	case 129: return 128;
	case 130: return 131; /* MLD listener query -> report */
	case 131: return 130;
	case 133: return 134; /* router solicitation -> advertisement */
	case 134: return 133;
	case 135: return 136; /* neighbor solicitation -> advertisement */
	case 136: return 135;
	case 139: return 140; /* who-are-you request -> reply */
	case 140: return 139;
	case 144: return 145; /* home agent address discovery request -> reply */
	case 145: return 144;
	default: return -1;
	}
}

static bool
proto_has_ports(uint8_t proto)
{
	return proto == PROTO_TCP || proto == PROTO_UDP || proto == PROTO_SCTP ||
	       proto == PROTO_ICMP || proto == PROTO_ICMP6;
}

static size_t
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return 2;
}

size_t
sl_cid_input(uint16_t seed, uint8_t family, const uint8_t *saddr, const uint8_t *daddr,
	     uint16_t sport, uint16_t dport, uint8_t proto, uint8_t in[SL_CID_IN_MAX])
{
	bool ports = proto_has_ports(proto);
	bool one_way = false;
	size_t alen = family == 4 ? 4 : 16, n = 0;

	if (proto == PROTO_ICMP || proto == PROTO_ICMP6) {
		int peer = proto == PROTO_ICMP ? icmp4_counterpart(sport) : icmp6_counterpart(sport);

		/* sport = type, dport = code, unless the type has a counterpart */
		if (peer < 0)
			one_way = true;
		else
			dport = (uint16_t)peer;
	}
	if (!ports)
		sport = dport = 0;

	/* Order the endpoints, smaller (address, port) first; one-way ICMP is
	 * never flipped. Ports compare as numbers, which is how their
	 * big-endian bytes compare. */
	int c = memcmp(saddr, daddr, alen);

	if (!one_way && (c > 0 || (c == 0 && ports && sport > dport))) {
		const uint8_t *ta = saddr;
		uint16_t tp = sport;

		saddr = daddr;
		daddr = ta;
		sport = dport;
		dport = tp;
	}

	n += put16(in + n, seed);
	memcpy(in + n, saddr, alen);
	n += alen;
	memcpy(in + n, daddr, alen);
	n += alen;
	in[n++] = proto;
	in[n++] = 0;
	if (ports) {
		n += put16(in + n, sport);
		n += put16(in + n, dport);
	}
	return n;
}

int
sl_cid_encode(const unsigned char *md, char *out)
{
	unsigned char b64[B64_SHA1_LEN + 1];

	if (EVP_EncodeBlock(b64, md, SHA1_LEN) != B64_SHA1_LEN)
		return -ENOMEM;
	out[0] = '1';
	out[1] = ':';
	memcpy(out + 2, b64, B64_SHA1_LEN + 1);
	return 0;
}

int
sl_community_id_v1(uint16_t seed, uint8_t family, const uint8_t *saddr,
		   const uint8_t *daddr, uint16_t sport, uint16_t dport, uint8_t proto,
		   char *out, size_t outlen)
{
	uint8_t in[SL_CID_IN_MAX];
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	size_t n;

	if (saddr == NULL || daddr == NULL || out == NULL || (family != 4 && family != 6))
		return -EINVAL;
	if (outlen < SL_COMMUNITY_ID_LEN) {
		if (outlen > 0)
			out[0] = '\0';
		return -ENOSPC;
	}
	n = sl_cid_input(seed, family, saddr, daddr, sport, dport, proto, in);
	if (EVP_Digest(in, n, md, &mdlen, EVP_sha1(), NULL) != 1 || mdlen != SHA1_LEN)
		return -ENOMEM;
	return sl_cid_encode(md, out);
}
