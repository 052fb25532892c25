/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Canonical flow keys and the per-worker flow table (rte_hash + entry array).
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include <rte_common.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_log.h>
#include <rte_malloc.h>

#include "sl_flow.h"

RTE_LOG_REGISTER(sl_flow_logtype, user.sluice.flow, INFO);

struct sl_flow_table {
	struct rte_hash *h;
	struct sl_flow_entry *entries; /* indexed by rte_hash key position */
	uint32_t capacity;
	uint32_t count;
	uint32_t cursor;               /* next slot sl_flow_age() examines */
	uint64_t timeout_tsc[SL_TCLASS_MAX];
	size_t memory;
	/* per tenant (sl_flow_table_set_quotas): entries held, bound (0: none) */
	uint32_t n_tenants;
	uint32_t *used;
	uint32_t *quota;
	uint64_t reserved;  /* sum over bounded tenants of (bound - held), >= 0 */
};

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

static size_t
heap_allocated(int socket)
{
	struct rte_malloc_socket_stats st;

	if (rte_malloc_get_socket_stats(socket < 0 ? 0 : socket, &st) != 0)
		return 0;
	return st.heap_allocsz_bytes;
}

struct sl_flow_table *
sl_flow_table_create(const char *name, uint32_t entries, int socket, uint32_t seed,
		     const uint64_t timeout_tsc[SL_TCLASS_MAX])
{
	struct sl_flow_table *t;
	size_t before = heap_allocated(socket);

	RTE_BUILD_BUG_ON(sizeof(struct sl_flow_entry) != 128);
	RTE_BUILD_BUG_ON(offsetof(struct sl_flow_entry, bypass_pkts) != 64);
	RTE_BUILD_BUG_ON(sizeof(struct sl_flow_entry) > 128);
	if (name == NULL || entries < 8) {
		rte_errno = EINVAL;
		return NULL;
	}
	t = rte_zmalloc_socket("sl_flow_table", sizeof(*t), RTE_CACHE_LINE_SIZE, socket);
	if (t == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	struct rte_hash_parameters p = {
		.name = name,
		.entries = entries,
		.key_len = sizeof(struct sl_flow_key),
		.hash_func = rte_hash_crc,
		.hash_func_init_val = seed,
		.socket_id = socket,
		/* single writer, the owning lcore; extendable buckets: an insert
		 * fails only once every key slot is taken, so a tenant's
		 * reserved entries are always there (cuckoo alone can refuse
		 * before the table is full) */
		.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};
	t->h = rte_hash_create(&p);
	if (t->h == NULL)
		goto fail;
	t->capacity = entries;
	t->entries = rte_zmalloc_socket("sl_flow_entries",
					(size_t)entries * sizeof(struct sl_flow_entry),
					RTE_CACHE_LINE_SIZE, socket);
	if (t->entries == NULL) {
		rte_errno = ENOMEM;
		goto fail;
	}
	memcpy(t->timeout_tsc, timeout_tsc, sizeof(t->timeout_tsc));
	t->memory = heap_allocated(socket) - before;
	return t;
fail:
	rte_hash_free(t->h);
	rte_free(t);
	return NULL;
}

void
sl_flow_table_free(struct sl_flow_table *t)
{
	if (t == NULL)
		return;
	rte_hash_free(t->h);
	rte_free(t->entries);
	rte_free(t->used);
	rte_free(t->quota);
	rte_free(t);
}

/* What bounded tenant i holds in reserve: room up to its bound. */
static inline uint64_t
reserve_of(const struct sl_flow_table *t, uint32_t i)
{
	return t->quota[i] > t->used[i] ? t->quota[i] - t->used[i] : 0;
}

int
sl_flow_table_set_quotas(struct sl_flow_table *t, const uint32_t *quota, uint32_t n)
{
	uint64_t sum = 0;

	for (uint32_t i = 0; i < n; i++)
		sum += quota[i];
	if (sum > t->capacity || (t->used != NULL && n != t->n_tenants))
		return -EINVAL;
	if (t->used == NULL) {
		if (t->count != 0)
			return -EINVAL;
		t->used = rte_zmalloc("sl_flow_used", (size_t)(n ? n : 1) * sizeof(uint32_t), 0);
		t->quota = rte_zmalloc("sl_flow_quota", (size_t)(n ? n : 1) * sizeof(uint32_t), 0);
		if (t->used == NULL || t->quota == NULL) {
			rte_free(t->used);
			rte_free(t->quota);
			t->used = t->quota = NULL;
			return -ENOMEM;
		}
		t->n_tenants = n;
	}
	t->reserved = 0;
	for (uint32_t i = 0; i < n; i++) {
		t->quota[i] = quota[i];
		t->reserved += reserve_of(t, i);
	}
	return 0;
}

uint32_t
sl_flow_tenant_count(const struct sl_flow_table *t, uint16_t tenant)
{
	return t->used != NULL && tenant < t->n_tenants ? t->used[tenant] : 0;
}

bool
sl_flow_over_quota(const struct sl_flow_table *t, uint16_t tenant)
{
	return t->used != NULL && tenant < t->n_tenants && t->quota[tenant] != 0 &&
	       t->used[tenant] >= t->quota[tenant];
}

/* Admission of a new entry for tenant @p i (the table counts tenants). */
static inline bool
admit(const struct sl_flow_table *t, uint32_t i)
{
	if (i >= t->n_tenants)
		return false;
	if (t->quota[i] != 0)
		return t->used[i] < t->quota[i]; /* its reserve is there */
	/* without a bound: only what nobody holds in reserve */
	return (uint64_t)(t->capacity - t->count) > t->reserved;
}

/* One entry more (+1) or less (-1) for tenant @p i. */
static inline void
account(struct sl_flow_table *t, uint32_t i, int d)
{
	if (t->used == NULL || i >= t->n_tenants)
		return;
	uint64_t before = t->quota[i] ? reserve_of(t, i) : 0;

	t->used[i] = (uint32_t)((int64_t)t->used[i] + d);
	if (t->quota[i])
		t->reserved = t->reserved - before + reserve_of(t, i);
}

void
sl_flow_lookup_bulk(struct sl_flow_table *t, const struct sl_flow_key **keys,
		    const uint32_t *hashes, unsigned int n, struct sl_flow_entry **out)
{
	int32_t pos[RTE_HASH_LOOKUP_BULK_MAX];

	if (n == 0)
		return;
	if (n > RTE_HASH_LOOKUP_BULK_MAX)
		n = RTE_HASH_LOOKUP_BULK_MAX;
	rte_hash_lookup_with_hash_bulk(t->h, (const void **)keys, (hash_sig_t *)(uintptr_t)hashes, n,
				       pos);
	for (unsigned int i = 0; i < n; i++)
		out[i] = (pos[i] >= 0 && (uint32_t)pos[i] < t->capacity) ? &t->entries[pos[i]] : NULL;
}

struct sl_flow_entry *
sl_flow_add(struct sl_flow_table *t, const struct sl_flow_key *k, uint32_t hash, uint64_t now,
	    bool *created)
{
	struct sl_flow_entry *e;
	int32_t pos;

	*created = false;
	if (t->used != NULL) {
		/* a key already there (two packets of a new flow in one burst)
		 * is not a new entry: look before admitting */
		pos = rte_hash_lookup_with_hash(t->h, k, hash);
		if (pos >= 0 && (uint32_t)pos < t->capacity)
			return &t->entries[pos];
		if (!admit(t, k->tenant))
			return NULL;
	}
	pos = rte_hash_add_key_with_hash(t->h, k, hash);
	if (pos < 0 || (uint32_t)pos >= t->capacity)
		return NULL;
	e = &t->entries[pos];
	if (e->flags & SL_FLOW_F_USED)
		return e;
	t->count++;
	account(t, k->tenant, +1);
	*created = true;
	memset(e, 0, sizeof(*e));
	e->first_tsc = now;
	e->last_tsc = now;
	e->flags = SL_FLOW_F_USED;
	e->tclass = sl_flow_tclass_of(k->proto);
	return e;
}

void
sl_flow_set_timeouts(struct sl_flow_table *t, const uint64_t timeout_tsc[SL_TCLASS_MAX])
{
	memcpy(t->timeout_tsc, timeout_tsc, sizeof(t->timeout_tsc));
}

unsigned int
sl_flow_age(struct sl_flow_table *t, uint64_t now, unsigned int budget, bool force,
	    sl_flow_gone_cb gone, sl_flow_expire_cb cb, void *arg)
{
	unsigned int removed = 0;

	if (budget > t->capacity)
		budget = t->capacity;
	for (unsigned int i = 0; i < budget && t->count > 0; i++) {
		uint32_t pos = t->cursor;
		struct sl_flow_entry *e = &t->entries[pos];

		t->cursor = (pos + 1 == t->capacity) ? 0 : pos + 1;
		if (!(e->flags & SL_FLOW_F_USED))
			continue;
		void *key;
		if (!force && now - e->last_tsc <=
				      t->timeout_tsc[e->tclass < SL_TCLASS_MAX ? e->tclass : SL_TCLASS_OTHER]) {
			if (gone == NULL ||
			    rte_hash_get_key_with_position(t->h, (int32_t)pos, &key) != 0 ||
			    !gone(key, arg))
				continue;
		}
		if (rte_hash_get_key_with_position(t->h, (int32_t)pos, &key) != 0) {
			/* entry without a key: cannot happen unless memory is corrupt */
			rte_log(RTE_LOG_ERR, sl_flow_logtype, "flow slot %u used without key\n", pos);
			e->flags = 0;
			t->count--;
			continue;
		}
		if (cb != NULL)
			cb(key, e, arg);
		account(t, ((const struct sl_flow_key *)key)->tenant, -1);
		rte_hash_del_key(t->h, key);
		e->flags = 0;
		t->count--;
		removed++;
	}
	return removed;
}

uint32_t
sl_flow_count(const struct sl_flow_table *t)
{
	return t->count;
}

uint32_t
sl_flow_capacity(const struct sl_flow_table *t)
{
	return t->capacity;
}

size_t
sl_flow_table_memory(const struct sl_flow_table *t)
{
	return t->memory;
}
