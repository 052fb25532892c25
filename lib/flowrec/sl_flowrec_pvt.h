/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Between the parts of lib/flowrec: the Community ID's hash input and
 * encoding, so that sl_flowrec_format() can hash with a reused context.
 */
#ifndef SL_FLOWREC_PVT_H
#define SL_FLOWREC_PVT_H

#include <stddef.h>
#include <stdint.h>

/* Hash input: seed, two IPv6 addresses, proto, pad, two ports. */
#define SL_CID_IN_MAX (2 + 16 + 16 + 1 + 1 + 2 + 2)
#define SL_CID_SHA1_LEN 20

/* The bytes Community ID v1 hashes (endpoints ordered, ICMP mapped);
 * family 4 or 6, addresses not NULL. Returns their number. */
size_t sl_cid_input(uint16_t seed, uint8_t family, const uint8_t *saddr, const uint8_t *daddr,
		    uint16_t sport, uint16_t dport, uint8_t proto, uint8_t in[SL_CID_IN_MAX]);

/* "1:" and the base64 of a SHA-1 digest into out (SL_COMMUNITY_ID_LEN). */
int sl_cid_encode(const unsigned char *md, char *out);

#endif /* SL_FLOWREC_PVT_H */
