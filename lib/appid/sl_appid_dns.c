/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DNS on a port nDPI does not read DNS on. nDPI 4.2 (and later releases)
 * run their DNS dissector only on ports 53, 5353 and 5355, so a resolver on
 * another port is "Unknown" to them. This is a strict check of a query's
 * message format (RFC 1035 4.1, RFC 6891 6.1.2 for the OPT record), strict
 * so that it does not take other protocols for DNS: every field a query
 * has must hold a value a query has, and the message must end exactly
 * where its last record does.
 */
#include "sl_appid.h"

#define DNS_HDR 12
#define DNS_QR 0x8000
#define DNS_OPCODE(f) (((f) >> 11) & 0xf)
#define DNS_Z 0x0040
#define DNS_RCODE(f) ((f) & 0xf)
#define DNS_NAME_MAX 255
#define DNS_LABEL_MAX 63
#define DNS_TYPE_OPT 41

static inline uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static bool
host_char(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_';
}

/* The question's name from @p off: uncompressed labels of hostname
 * characters, at least one. Returns the offset after it, or 0. */
static uint32_t
qname(const uint8_t *m, uint32_t len, uint32_t off)
{
	uint32_t total = 0, labels = 0;

	while (off < len) {
		uint8_t l = m[off++];

		if (l == 0)
			return labels > 0 ? off : 0;
		if (l > DNS_LABEL_MAX || len - off < l)
			return 0; /* a compression pointer, or cut */
		total += l + 1u;
		if (total > DNS_NAME_MAX)
			return 0;
		for (uint32_t i = 0; i < l; i++)
			if (!host_char(m[off + i]))
				return 0;
		off += l;
		labels++;
	}
	return 0;
}

static bool
qclass_ok(uint16_t c)
{
	return c == 1 || c == 3 || c == 4 || c == 254 || c == 255;
}

bool
sl_appid_dns_query(const uint8_t *payload, uint32_t len, bool tcp)
{
	const uint8_t *m = payload;
	uint32_t off;

	if (payload == NULL)
		return false;
	if (tcp) {
		if (len < 2 || rd16(payload) != len - 2)
			return false;
		m += 2;
		len -= 2;
	}
	if (len < DNS_HDR + 1 + 4)
		return false;
	uint16_t flags = rd16(m + 2);

	if ((flags & DNS_QR) || DNS_OPCODE(flags) != 0 || (flags & DNS_Z) || DNS_RCODE(flags) != 0)
		return false;
	if (rd16(m + 4) != 1 || rd16(m + 6) != 0 || rd16(m + 8) != 0 || rd16(m + 10) > 1)
		return false;
	off = qname(m, len, DNS_HDR);
	if (off == 0 || len - off < 4)
		return false;
	if (rd16(m + off) == 0 || !qclass_ok(rd16(m + off + 2)))
		return false;
	off += 4;
	if (rd16(m + 10) == 1) {
		/* OPT: root name, type 41, UDP size, extended rcode and flags,
		 * then its options */
		if (len - off < 11 || m[off] != 0 || rd16(m + off + 1) != DNS_TYPE_OPT)
			return false;
		uint16_t rdlen = rd16(m + off + 9);

		off += 11;
		if (len - off < rdlen)
			return false;
		off += rdlen;
	}
	return off == len;
}
