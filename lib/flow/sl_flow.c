/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Canonical flow keys, their hashes, timeout classes. The table is in
 * sl_flow_table.c.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include <rte_common.h>
#include <rte_hash_crc.h>

#include "sl_flow.h"

/*
 * Should the endpoints be swapped so that the lower one comes first? Any total
 * order works as long as both directions agree. Which side is lower is a coin
 * toss per packet, so this is computed without branches (a mispredicted
 * branch here cost ~15 cycles a packet) from native 64-bit words.
 */
static inline unsigned int
endpoints_swap(const uint8_t *a, uint16_t pa, const uint8_t *b, uint16_t pb)
{
	uint64_t a0, a1, b0, b1;

	memcpy(&a0, a, 8);
	memcpy(&a1, a + 8, 8);
	memcpy(&b0, b, 8);
	memcpy(&b1, b + 8, 8);
	unsigned int ne0 = a0 != b0, ne1 = a1 != b1;
	unsigned int gt = (ne0 & (a0 > b0)) |
			  ((ne0 ^ 1) & ((ne1 & (a1 > b1)) | ((ne1 ^ 1) & (pa > pb))));
	return gt;
}

int
sl_flow_key_build(const struct sl_pkt_info *pi, uint16_t tenant, struct sl_flow_key *k)
{
	uint16_t sport = 0, dport = 0;
	unsigned int swap = 0;
	uint64_t w4, w5;

	RTE_BUILD_BUG_ON(sizeof(struct sl_flow_key) != 48);
	RTE_BUILD_BUG_ON(offsetof(struct sl_flow_key, port_lo) != 32);
	RTE_BUILD_BUG_ON(offsetof(struct sl_flow_key, reserved) != 44);
	if (pi->l3 == SL_L3_NONE) {
		memset(k->addr_lo, 0, sizeof(k->addr_lo) + sizeof(k->addr_hi));
	} else {
		sport = pi->has_ports ? pi->sport : 0;
		dport = pi->has_ports ? pi->dport : 0;
		swap = endpoints_swap(pi->src, sport, pi->dst, dport);
		memcpy(k->addr_lo, swap ? pi->dst : pi->src, 16);
		memcpy(k->addr_hi, swap ? pi->src : pi->dst, 16);
	}
	/*
	 * The last 16 bytes (ports, tenant, VLANs, protocol, family, tunnel id)
	 * are assembled in registers and stored as two 8-byte words: the CRC
	 * right after reads the key 8 bytes at a time, and an 8-byte load
	 * spanning several just-stored 2-byte fields cannot be forwarded from
	 * the store buffer (a stall of ~15 cycles per load, seen in perf).
	 * Little-endian layout of struct sl_flow_key, checked above.
	 */
	uint16_t plo = swap ? dport : sport, phi = swap ? sport : dport;
	uint8_t proto = pi->l3 == SL_L3_NONE ? 0 : pi->proto;
	uint8_t family = pi->l3 == SL_L3_NONE ? 0 : pi->l3;

	w4 = (uint64_t)plo | (uint64_t)phi << 16 | (uint64_t)tenant << 32 |
	     (uint64_t)pi->vlan[0] << 48;
	w5 = (uint64_t)pi->vlan[1] | (uint64_t)proto << 16 | (uint64_t)family << 24 |
	     (uint64_t)pi->tunnel_id << 32;
	memcpy(&k->port_lo, &w4, 8);
	memcpy((uint8_t *)k + 40, &w5, 8);
	return (int)swap;
}

uint32_t
sl_flow_hash(const struct sl_flow_key *k, uint32_t seed)
{
	return rte_hash_crc(k, sizeof(*k), seed);
}

uint32_t
sl_flow_hash_fields(const struct sl_flow_key *k, enum sl_flow_fields f, uint32_t seed)
{
	uint64_t tail;
	uint32_t h;

	if (f == SL_FIELDS_5TUPLE)
		return sl_flow_hash(k, seed);
	/* Hash the fields in place rather than a masked copy of the key: GCC
	 * does not see rte_hash_crc's reads through uintptr_t and may drop
	 * the stores that build such a copy. */
	h = rte_hash_crc(k->addr_lo, sizeof(k->addr_lo) + sizeof(k->addr_hi), seed);
	tail = (uint64_t)k->tenant | (uint64_t)k->vlan[0] << 16 | (uint64_t)k->vlan[1] << 32 |
	       (uint64_t)(f == SL_FIELDS_3TUPLE ? k->proto : 0) << 48 | (uint64_t)k->family << 56;
	return rte_hash_crc_8byte(tail, h);
}

/* The hash of a key whose only non-zero field is its tenant, @p t: the
 * same words, in the same order, as sl_flow_hash() (the tenant is in the
 * fifth 8-byte word, bits 32-47) and sl_flow_hash_fields() (the tail word,
 * bits 0-15), kept in registers. */
static uint32_t
tenant_only_hash(uint16_t t, enum sl_flow_fields f, uint32_t seed)
{
	uint32_t h = seed;

	for (int i = 0; i < 4; i++) /* the addresses: 32 zero bytes */
		h = rte_hash_crc_8byte(0, h);
	if (f != SL_FIELDS_5TUPLE)
		return rte_hash_crc_8byte((uint64_t)t, h);
	h = rte_hash_crc_8byte((uint64_t)t << 32, h);
	return rte_hash_crc_8byte(0, h);
}

uint32_t
sl_flow_tenant_xor(uint16_t slot, uint16_t id, enum sl_flow_fields f, uint32_t seed)
{
	return tenant_only_hash((uint16_t)(slot ^ id), f, seed) ^ tenant_only_hash(0, f, seed);
}

enum sl_flow_tclass
sl_flow_tclass_of(uint8_t proto)
{
	switch (proto) {
	case 6:
		return SL_TCLASS_TCP;
	case 17:
	case 136:
		return SL_TCLASS_UDP;
	case 1:
	case 58:
		return SL_TCLASS_ICMP;
	default:
		return SL_TCLASS_OTHER;
	}
}

