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

