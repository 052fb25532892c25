/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fragment steering: per-worker datagram table (rte_hash + entry array) and
 * the hold slots of fragments waiting for their first fragment.
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
#include <rte_random.h>

#include "sl_frag.h"

RTE_LOG_REGISTER(sl_frag_logtype, user.sluice.frag, INFO);

/* No slot: end of a list, empty free list. */
#define SL_FRAG_NIL UINT32_MAX
/* Byte ranges tracked per datagram for overlap detection. */
#define SL_FRAG_RANGES 8
/* Largest end (exclusive) of a fragment inside a 65535-byte datagram. */
#define SL_FRAG_MAX_END 65535u
#define SL_IPPROTO_TCP 6
/* RFC 1858: a TCP first fragment must reach past the flags (byte 13). */
#define SL_FRAG_TCP_MIN_FIRST 16u
/* Every fragment but the last carries a multiple of 8 bytes, at least 8. */
#define SL_FRAG_UNIT 8u

/* struct frag_entry::flags */
#define F_USED 0x01   /* slot holds a datagram */
#define F_MEMBER 0x02 /* member known: the first fragment was seen */

/* A datagram. Indexed by its rte_hash key position. */
struct frag_entry {
	uint64_t last_tsc; /* last fragment seen */
	uint32_t hash;     /* of the key, to delete without rehashing */
	uint32_t member;   /* valid with F_MEMBER */
	uint32_t head;     /* oldest held fragment (slot index), or NIL */
	uint32_t tail;     /* newest held fragment */
	uint16_t n_held;
	uint8_t flags;
	uint8_t n_ranges;
	struct {
		uint16_t first, last; /* inclusive; disjoint, not adjacent */
	} range[SL_FRAG_RANGES];
	uint16_t tenant;   /* key's, for the per-tenant gauge */
	uint16_t reserved;
};

/* A held fragment. Free slots are chained through next. */
struct frag_slot {
	void *pkt;
	uint64_t tsc;  /* arrival */
	uint32_t len;  /* payload bytes, as counted in held_now_bytes */
	uint32_t next; /* next held fragment of the datagram, or next free slot */
};

struct sl_frag_table {
	struct rte_hash *h;
	struct frag_entry *entries; /* [capacity], by rte_hash key position */
	struct frag_slot *slots;    /* [lim.max_held_pkts] */
	uint32_t *tenant_held;      /* [lim.n_tenants] */
	uint32_t capacity;
	uint32_t count;
	uint32_t cursor;            /* next entry sl_frag_age() examines */
	uint32_t free_slot;         /* free list head */
	uint32_t seed;              /* of the key hash */
	struct sl_frag_limits lim;
	struct sl_frag_stats st;
};

#define SL_FRAG_X_NAME(f) #f,
static const char *const stat_names[] = { SL_FRAG_STATS(SL_FRAG_X_NAME) };
#undef SL_FRAG_X_NAME
#define SL_FRAG_X_OFF(f) offsetof(struct sl_frag_stats, f),
static const size_t stat_offs[] = { SL_FRAG_STATS(SL_FRAG_X_OFF) };
#undef SL_FRAG_X_OFF

const char *
sl_frag_stat_name(unsigned int c)
{
	return c < RTE_DIM(stat_names) ? stat_names[c] : NULL;
}

uint64_t
sl_frag_stat(const struct sl_frag_stats *s, unsigned int c)
{
	uint64_t v;

	if (c >= RTE_DIM(stat_offs))
		return 0;
	memcpy(&v, (const char *)s + stat_offs[c], sizeof(v));
	return v;
}

uint32_t
sl_frag_hash(const struct sl_frag_table *t, const struct sl_frag_key *k)
{
	return rte_hash_crc(k, sizeof(*k), t->seed);
}

struct sl_frag_table *
sl_frag_create(const char *name, const struct sl_frag_limits *l, int socket)
{
	struct sl_frag_table *t;

	RTE_BUILD_BUG_ON(sizeof(struct sl_frag_key) != 48);
	RTE_BUILD_BUG_ON(offsetof(struct sl_frag_key, reserved) != 44);
	RTE_BUILD_BUG_ON(sizeof(struct frag_entry) > 64);
	RTE_BUILD_BUG_ON(RTE_DIM(stat_names) != SL_FRAG_STAT_MAX);
	RTE_BUILD_BUG_ON(sizeof(struct sl_frag_stats) != SL_FRAG_STAT_MAX * sizeof(uint64_t));
	if (name == NULL || l == NULL || l->entries < 8 || l->n_tenants == 0 ||
	    l->max_held_pkts == SL_FRAG_NIL) {
		rte_errno = EINVAL;
		return NULL;
	}
	t = rte_zmalloc_socket("sl_frag_table", sizeof(*t), RTE_CACHE_LINE_SIZE, socket);
	if (t == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	/* A random seed: remote hosts choose IP ids and addresses, so they
	 * must not be able to aim at one bucket. rte_hash rehashes keys with
	 * the same function (rte_hash_get_key_with_position), so callers'
	 * hashes must come from sl_frag_hash(). */
	t->seed = (uint32_t)rte_rand();
	struct rte_hash_parameters p = {
		.name = name,
		.entries = l->entries,
		.key_len = sizeof(struct sl_frag_key),
		.hash_func = rte_hash_crc,
		.hash_func_init_val = t->seed,
		.socket_id = socket,
		.extra_flag = 0, /* single writer, the owning lcore */
	};
	t->h = rte_hash_create(&p);
	if (t->h == NULL)
		goto fail; /* rte_errno set */
	t->capacity = l->entries;
	t->lim = *l;
	t->entries = rte_zmalloc_socket("sl_frag_entries",
					(size_t)l->entries * sizeof(struct frag_entry),
					RTE_CACHE_LINE_SIZE, socket);
	t->tenant_held = rte_zmalloc_socket("sl_frag_tenant_held",
					    (size_t)l->n_tenants * sizeof(uint32_t),
					    RTE_CACHE_LINE_SIZE, socket);
	if (t->entries == NULL || t->tenant_held == NULL)
		goto nomem;
	t->free_slot = SL_FRAG_NIL;
	if (l->max_held_pkts > 0) {
		t->slots = rte_zmalloc_socket("sl_frag_slots",
					      (size_t)l->max_held_pkts * sizeof(struct frag_slot),
					      RTE_CACHE_LINE_SIZE, socket);
		if (t->slots == NULL)
			goto nomem;
		for (uint32_t i = 0; i < l->max_held_pkts; i++)
			t->slots[i].next = i + 1 < l->max_held_pkts ? i + 1 : SL_FRAG_NIL;
		t->free_slot = 0;
	}
	return t;
nomem:
	rte_errno = ENOMEM;
fail:
	rte_hash_free(t->h);
	rte_free(t->entries);
	rte_free(t->tenant_held);
	rte_free(t->slots);
	rte_free(t);
	return NULL;
}

void
sl_frag_free(struct sl_frag_table *t, sl_frag_pkt_cb free_pkt, void *arg)
{
	if (t == NULL)
		return;
	for (uint32_t pos = 0; pos < t->capacity; pos++) {
		const struct frag_entry *e = &t->entries[pos];

		if (!(e->flags & F_USED) || free_pkt == NULL)
			continue;
		for (uint32_t s = e->head; s != SL_FRAG_NIL; s = t->slots[s].next)
			free_pkt(t->slots[s].pkt, arg);
	}
	rte_hash_free(t->h);
	rte_free(t->entries);
	rte_free(t->tenant_held);
	rte_free(t->slots);
	rte_free(t);
}

/*
 * Record [off, off + len) in the datagram's ranges, or count an overlap with
 * one of them. Adjacent ranges coalesce, so an in-order (or reverse-order)
 * train stays one range however long it is; beyond SL_FRAG_RANGES disjoint
 * ranges, new ones are still checked but no longer recorded.
 */
static void
ranges_check(struct sl_frag_table *t, struct frag_entry *e, uint32_t off, uint32_t len)
{
	uint64_t end = (uint64_t)off + len;
	int lo = -1, hi = -1;

	if (len == 0 || end > SL_FRAG_MAX_END + 1)
		return; /* empty, or oversized (counted as such): not representable */
	uint32_t first = off, last = (uint32_t)end - 1;

	for (unsigned int i = 0; i < e->n_ranges; i++) {
		if (first <= e->range[i].last && last >= e->range[i].first) {
			t->st.overlap++;
			return;
		}
		if ((uint32_t)e->range[i].last + 1 == first)
			lo = (int)i;
		if (e->range[i].first == last + 1)
			hi = (int)i;
	}
	if (lo >= 0 && hi >= 0) {
		/* fills the gap between two ranges: merge them */
		e->range[lo].last = e->range[hi].last;
		e->range[hi] = e->range[--e->n_ranges];
	} else if (lo >= 0) {
		e->range[lo].last = (uint16_t)last;
	} else if (hi >= 0) {
		e->range[hi].first = (uint16_t)first;
	} else if (e->n_ranges < SL_FRAG_RANGES) {
		e->range[e->n_ranges].first = (uint16_t)first;
		e->range[e->n_ranges].last = (uint16_t)last;
		e->n_ranges++;
	}
}

/* Count the anomalies of one fragment; @p e may be NULL (no entry). */
static void
classify(struct sl_frag_table *t, struct frag_entry *e, const struct sl_frag_key *k,
	 uint32_t off, uint32_t len, bool more)
{
	if ((uint64_t)off + len > SL_FRAG_MAX_END)
		t->st.oversized++;
	if (more && len % SL_FRAG_UNIT != 0)
		t->st.bad_length++;
	if ((more && len < SL_FRAG_UNIT) ||
	    (off == 0 && k->proto == SL_IPPROTO_TCP && len < SL_FRAG_TCP_MIN_FIRST))
		t->st.tiny++;
	if (e != NULL)
		ranges_check(t, e, off, len);
}

/*
 * Hand every fragment held by @p e, oldest first, to @p release (matched, to
 * @p member) or to @p unmatched, and return its slot to the free list.
 */
static void
release_all(struct sl_frag_table *t, struct frag_entry *e, bool matched,
	    sl_frag_release_cb release, uint32_t member, sl_frag_pkt_cb unmatched, void *arg)
{
	uint32_t s = e->head;

	while (s != SL_FRAG_NIL) {
		struct frag_slot *sl = &t->slots[s];
		uint32_t next = sl->next;

		t->st.held_now_pkts--;
		t->st.held_now_bytes -= sl->len;
		t->tenant_held[e->tenant]--;
		if (matched) {
			t->st.released_matched++;
			release(sl->pkt, member, arg);
		} else {
			t->st.released_unmatched++;
			unmatched(sl->pkt, arg);
		}
		sl->pkt = NULL;
		sl->next = t->free_slot;
		t->free_slot = s;
		s = next;
	}
	e->head = e->tail = SL_FRAG_NIL;
	e->n_held = 0;
}

/* Entry at rte_hash position @p pos, initialised when new. */
static struct frag_entry *
entry_at(struct sl_frag_table *t, int32_t pos, uint32_t hash, uint16_t tenant, uint64_t now)
{
	struct frag_entry *e;

	if (pos < 0 || (uint32_t)pos >= t->capacity)
		return NULL;
	e = &t->entries[pos];
	if (!(e->flags & F_USED)) {
		memset(e, 0, sizeof(*e));
		e->flags = F_USED;
		e->hash = hash;
		e->tenant = tenant;
		e->head = e->tail = SL_FRAG_NIL;
		e->last_tsc = now;
		t->count++;
		t->st.datagrams++;
	}
	return e;
}

enum sl_frag_verdict
sl_frag_first(struct sl_frag_table *t, const struct sl_frag_key *k, uint32_t hash,
	      uint32_t member, uint32_t frag_off, uint32_t frag_len, bool more, uint64_t now,
	      sl_frag_release_cb release, void *arg)
{
	struct frag_entry *e = entry_at(t, rte_hash_add_key_with_hash(t->h, k, hash), hash,
					k->tenant, now);

	if (e == NULL) {
		t->st.first_untracked++;
		classify(t, NULL, k, frag_off, frag_len, more);
		return SL_FRAG_SEND;
	}
	if (e->flags & F_MEMBER)
		t->st.duplicate_first++;
	classify(t, e, k, frag_off, frag_len, more);
	e->member = member;
	e->flags |= F_MEMBER;
	e->last_tsc = now;
	if (e->n_held > 0)
		release_all(t, e, true, release, member, NULL, arg);
	return SL_FRAG_SEND;
}

/* Why a fragment cannot be held now, as a counter; NULL when it can. */
static uint64_t *
hold_refusal(struct sl_frag_table *t, const struct frag_entry *e, uint16_t tenant,
	     uint32_t len)
{
	const struct sl_frag_limits *l = &t->lim;

	if (t->st.held_now_pkts >= l->max_held_pkts || t->free_slot == SL_FRAG_NIL)
		return &t->st.limit_worker_pkts;
	if (t->st.held_now_bytes + len > l->max_held_bytes)
		return &t->st.limit_worker_bytes;
	if (tenant >= l->n_tenants || t->tenant_held[tenant] >= l->tenant_max_held_pkts)
		return &t->st.limit_tenant;
	if ((e != NULL ? e->n_held : 0) >= l->max_held_per_datagram)
		return &t->st.limit_datagram;
	return NULL;
}

enum sl_frag_verdict
sl_frag_other(struct sl_frag_table *t, const struct sl_frag_key *k, uint32_t hash, void *pkt,
	      uint32_t frag_off, uint32_t frag_len, bool more, uint64_t now, uint32_t *member)
{
	int32_t pos = rte_hash_lookup_with_hash(t->h, k, hash);
	struct frag_entry *e = NULL;
	uint64_t *refused;

	if (pos >= 0 && (uint32_t)pos < t->capacity && (t->entries[pos].flags & F_USED))
		e = &t->entries[pos];
	if (e != NULL) {
		classify(t, e, k, frag_off, frag_len, more);
		e->last_tsc = now;
		if (e->flags & F_MEMBER) {
			*member = e->member;
			t->st.sent++;
			return SL_FRAG_SEND;
		}
	}
	refused = hold_refusal(t, e, k->tenant, frag_len);
	if (refused == NULL && e == NULL) {
		e = entry_at(t, rte_hash_add_key_with_hash(t->h, k, hash), hash, k->tenant,
			     now);
		if (e == NULL)
			refused = &t->st.table_full;
		else
			classify(t, e, k, frag_off, frag_len, more);
	}
	if (refused != NULL) {
		if (e == NULL)
			classify(t, NULL, k, frag_off, frag_len, more);
		(*refused)++;
		t->st.unmatched_limit++;
		return SL_FRAG_UNMATCHED;
	}

	uint32_t s = t->free_slot;
	struct frag_slot *sl = &t->slots[s];

	t->free_slot = sl->next;
	sl->pkt = pkt;
	sl->tsc = now;
	sl->len = frag_len;
	sl->next = SL_FRAG_NIL;
	if (e->tail == SL_FRAG_NIL)
		e->head = s;
	else
		t->slots[e->tail].next = s;
	e->tail = s;
	e->n_held++;
	t->tenant_held[k->tenant]++;
	t->st.held++;
	t->st.held_now_pkts++;
	t->st.held_now_bytes += frag_len;
	return SL_FRAG_HELD;
}

unsigned int
sl_frag_age(struct sl_frag_table *t, uint64_t now, unsigned int budget,
	    sl_frag_pkt_cb unmatched, void *arg)
{
	unsigned int removed = 0;

	if (budget > t->capacity)
		budget = t->capacity;
	for (unsigned int i = 0; i < budget && t->count > 0; i++) {
		uint32_t pos = t->cursor;
		struct frag_entry *e = &t->entries[pos];

		t->cursor = (pos + 1 == t->capacity) ? 0 : pos + 1;
		if (!(e->flags & F_USED))
			continue;
		bool timed_out = e->n_held > 0 && now - t->slots[e->head].tsc > t->lim.hold_tsc;
		bool idle = e->n_held == 0 && now - e->last_tsc > t->lim.entry_tsc;
		if (!timed_out && !idle)
			continue;
		void *key;
		int rc = rte_hash_get_key_with_position(t->h, (int32_t)pos, &key);
		if (timed_out)
			release_all(t, e, false, NULL, 0, unmatched, arg);
		else
			t->st.expired++;
		if (rc == 0)
			rte_hash_del_key_with_hash(t->h, key, e->hash);
		else /* entry without a key: cannot happen unless memory is corrupt */
			rte_log(RTE_LOG_ERR, sl_frag_logtype, "frag slot %u used without key\n",
				pos);
		e->flags = 0;
		t->count--;
		removed++;
	}
	return removed;
}

const struct sl_frag_stats *
sl_frag_get_stats(const struct sl_frag_table *t)
{
	return &t->st;
}

uint32_t
sl_frag_count(const struct sl_frag_table *t)
{
	return t->count;
}

uint32_t
sl_frag_tenant_held(const struct sl_frag_table *t, uint16_t tenant)
{
	return tenant < t->lim.n_tenants ? t->tenant_held[tenant] : 0;
}
