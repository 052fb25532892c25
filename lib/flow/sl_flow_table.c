/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The per-worker flow table: a bucketized cuckoo hash written for this one
 * job, instead of rte_hash, because of memory and cache misses at a million
 * flows and more (docs/architecture.md "The flow table"):
 *
 * - rte_hash keeps the key in its own key store (a 64-byte slot for the
 *   48-byte key and its data pointer) and returns a position that indexes a
 *   separate entry array: a lookup touches the bucket, the key slot and the
 *   entry, three dependent cache misses, and 1M flows took 234 MiB with
 *   128-byte entries;
 * - here the key lives in its entry (112 bytes), a bucket holds 12 slots of
 *   an 8-bit tag and a 32-bit entry index in one 64-byte line, and a lookup
 *   of a burst is staged: every bucket is prefetched, then every entry whose
 *   tag matched, then the keys are compared; two dependent loads per flow,
 *   overlapping across the burst. About 123 bytes per flow of capacity.
 *
 * Each key has two buckets (the first by its hash, the second by a mix of
 * it); it sits in the first when there is room, else in the second (the
 * first counts it in "displaced", so lookups look at the second only when
 * that can help), else keys are moved along their other bucket by a bounded
 * random walk, and the rare key none of that places goes to a small stash
 * scanned only while it is not empty. Buckets are sized for 80 % load at
 * capacity, which makes the stash almost always empty; an insert fails only
 * when every entry is taken or the stash is full (counted by the caller).
 *
 * Single writer, the owning lcore; no locks.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include <rte_common.h>
#include <rte_errno.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "sl_flow.h"

#define BUCKET_SLOTS 12
#define EMPTY_IDX UINT32_MAX
/** Largest share of the bucket slots in use with the table full. */
#define LOAD_PCT 80
/** Moves a random walk may make to place a key before the stash takes it. */
#define MAX_KICKS 128

struct bucket {
	uint8_t tag[BUCKET_SLOTS];  /* 0 = empty */
	uint8_t displaced;          /* keys of this first bucket in their second
				       (saturates: then always look there) */
	uint8_t pad[3];
	uint32_t idx[BUCKET_SLOTS];
} __rte_cache_aligned;

struct sl_flow_table {
	struct bucket *bk;
	struct sl_flow_entry *e;
	uint32_t *free;             /* stack of free entry indexes */
	uint32_t *stash;            /* entry indexes no bucket took */
	uint32_t n_free, n_stash, stash_cap;
	uint32_t nb;                /* buckets */
	uint32_t capacity, count;
	uint32_t cursor;            /* next entry sl_flow_age() examines */
	uint32_t seed;
	uint32_t rnd;               /* random walk state */
	unsigned int shift;
	uint32_t timeout[SL_TCLASS_MAX];
	size_t memory;
	/* per tenant (sl_flow_table_set_quotas): entries held, bound (0: none) */
	uint32_t n_tenants;
	uint32_t *used;
	uint32_t *quota;
	uint64_t reserved;          /* sum over bounded tenants of (bound - held) */
};

static inline uint8_t
tag_of(uint32_t h)
{
	uint8_t t = (uint8_t)h;

	return t ? t : 1;
}

static inline uint32_t
first_of(const struct sl_flow_table *t, uint32_t h)
{
	return sl_hash_scale(h, t->nb);
}

static inline uint32_t
second_of(const struct sl_flow_table *t, uint32_t h)
{
	/* an independent-looking mix of the hash (Fibonacci multiply) */
	uint32_t b = sl_hash_scale(h * 0x9e3779b1u + 0x7f4a7c15u, t->nb);
	uint32_t b1 = first_of(t, h);

	return b != b1 ? b : (b1 + 1 == t->nb ? 0 : b1 + 1);
}

_Static_assert(sizeof(struct sl_flow_key) == 48, "key_eq() compares three 16-byte words");

static inline bool
key_eq(const struct sl_flow_key *a, const struct sl_flow_key *b)
{
#ifdef __SSE2__
	/* three 16-byte differences OR-ed, one compare with zero: 15
	 * instructions, against 25 for six 8-byte words (docs/performance.md
	 * "Fewer instructions a packet") */
	const __m128i *pa = (const __m128i *)(const void *)a;
	const __m128i *pb = (const __m128i *)(const void *)b;
	__m128i x = _mm_or_si128(
		_mm_or_si128(_mm_xor_si128(_mm_loadu_si128(pa), _mm_loadu_si128(pb)),
			     _mm_xor_si128(_mm_loadu_si128(pa + 1), _mm_loadu_si128(pb + 1))),
		_mm_xor_si128(_mm_loadu_si128(pa + 2), _mm_loadu_si128(pb + 2)));

	return _mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_setzero_si128())) == 0xffff;
#else
	uint64_t x = 0;

	for (unsigned int i = 0; i < sizeof(*a) / 8; i++) {
		uint64_t u, v;

		memcpy(&u, (const uint8_t *)a + 8 * i, 8);
		memcpy(&v, (const uint8_t *)b + 8 * i, 8);
		x |= u ^ v;
	}
	return x == 0;
#endif
}

/* Slots of bucket @p b whose tag is @p tag, as a bit mask: one 16-byte
 * compare where SSE2 is there (the tags, then the displaced count and the
 * pad, masked off), else slot by slot. */
_Static_assert(BUCKET_SLOTS <= 16 && offsetof(struct bucket, tag) == 0,
	       "match() reads the tags as the bucket's first 16 bytes");

static inline uint32_t
match(const struct bucket *b, uint8_t tag)
{
#ifdef __SSE2__
	__m128i v = _mm_load_si128((const __m128i *)(const void *)b->tag);
	__m128i eq = _mm_cmpeq_epi8(v, _mm_set1_epi8((char)tag));

	return (uint32_t)_mm_movemask_epi8(eq) & ((1u << BUCKET_SLOTS) - 1);
#else
	uint32_t m = 0;

	for (unsigned int i = 0; i < BUCKET_SLOTS; i++)
		m |= (uint32_t)(b->tag[i] == tag) << i;
	return m;
#endif
}

static inline void
prefetch_entry(const struct sl_flow_entry *e)
{
	/* what a packet touches: two lines (sl_flow.h); the rest of the
	 * entry is read only by policy, aging and records */
	rte_prefetch0(e);
	rte_prefetch0((const uint8_t *)e + SL_FLOW_ENTRY_HOT - 1);
}

/* The entry of @p k in bucket @p b, or NULL. */
static inline struct sl_flow_entry *
in_bucket(struct sl_flow_table *t, const struct bucket *b, const struct sl_flow_key *k,
	  uint8_t tag)
{
	for (uint32_t m = match(b, tag); m; m &= m - 1) {
		struct sl_flow_entry *e = &t->e[b->idx[__builtin_ctz(m)]];

		if (key_eq(&e->key, k))
			return e;
	}
	return NULL;
}

/* The rest of a lookup: the second bucket, then the stash. */
static __rte_noinline struct sl_flow_entry *
find_slow(struct sl_flow_table *t, const struct sl_flow_key *k, uint32_t h)
{
	struct sl_flow_entry *e = NULL;

	if (t->bk[first_of(t, h)].displaced)
		e = in_bucket(t, &t->bk[second_of(t, h)], k, tag_of(h));
	for (uint32_t i = 0; e == NULL && i < t->n_stash; i++)
		if (key_eq(&t->e[t->stash[i]].key, k))
			e = &t->e[t->stash[i]];
	return e;
}

/* Small enough to be inlined into every caller (find_slow() is kept out
 * of line for that): out of line, its call, saved registers and return
 * were 15 of the 70 instructions a lookup cost (docs/performance.md
 * "Fewer instructions a packet"). */
static inline struct sl_flow_entry *
find(struct sl_flow_table *t, const struct sl_flow_key *k, uint32_t h)
{
	struct sl_flow_entry *e = in_bucket(t, &t->bk[first_of(t, h)], k, tag_of(h));

	return e != NULL ? e : find_slow(t, k, h);
}

void
sl_flow_prefetch_bucket(const struct sl_flow_table *t, uint32_t hash)
{
	rte_prefetch0(&t->bk[first_of(t, hash)]);
}

/* always_inline: with LTO, into sl_flows_process(); GCC kept it out of
 * line for its two call sites there, and its call, saved registers and
 * return were a third of its 32 instructions a packet at 100k flows
 * (docs/performance.md "The entry prefetch inline, and a bounds test
 * that was not faster") */
__attribute__((always_inline)) inline void
sl_flow_prefetch_entry(const struct sl_flow_table *t, uint32_t hash)
{
	const struct bucket *b = &t->bk[first_of(t, hash)];
	uint32_t m = match(b, tag_of(hash));

	if (m == 0 && b->displaced)
		rte_prefetch0(&t->bk[second_of(t, hash)]);
	for (; m; m &= m - 1)
		prefetch_entry(&t->e[b->idx[__builtin_ctz(m)]]);
}

struct sl_flow_entry *
sl_flow_lookup(struct sl_flow_table *t, const struct sl_flow_key *k, uint32_t hash)
{
	return find(t, k, hash);
}

void
sl_flow_lookup_bulk(struct sl_flow_table *t, const struct sl_flow_key **keys,
		    const uint32_t *hashes, unsigned int n, struct sl_flow_entry **out)
{
	if (n > SL_FLOW_LOOKUP_MAX)
		n = SL_FLOW_LOOKUP_MAX;
	/* every first bucket, then every candidate entry, then the compares:
	 * the one-key pieces, stage by stage */
	for (unsigned int i = 0; i < n; i++)
		sl_flow_prefetch_bucket(t, hashes[i]);
	for (unsigned int i = 0; i < n; i++)
		sl_flow_prefetch_entry(t, hashes[i]);
	for (unsigned int i = 0; i < n; i++)
		out[i] = find(t, keys[i], hashes[i]);
}

/* ---- placing and removing keys ---- */

static inline uint32_t
rnd(struct sl_flow_table *t)
{
	/* xorshift32: the random walk's choices only */
	uint32_t x = t->rnd;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	t->rnd = x;
	return x;
}

static inline uint32_t
hash_of(const struct sl_flow_table *t, uint32_t idx)
{
	return sl_flow_hash(&t->e[idx].key, t->seed);
}

static inline int
empty_slot(const struct bucket *b)
{
	for (int i = 0; i < BUCKET_SLOTS; i++)
		if (b->tag[i] == 0)
			return i;
	return -1;
}

/* Put entry @p idx (hash @p h) in slot @p j of bucket @p bi; the first
 * bucket counts it when this is its second. */
static inline void
put(struct sl_flow_table *t, uint32_t bi, int j, uint32_t idx, uint32_t h)
{
	t->bk[bi].tag[j] = tag_of(h);
	t->bk[bi].idx[j] = idx;
	if (bi != first_of(t, h)) {
		struct bucket *f = &t->bk[first_of(t, h)];

		if (f->displaced < UINT8_MAX)
			f->displaced++;
	}
}

/* Take the key out of slot @p j of bucket @p bi (hash @p h). A saturated
 * count stays: lookups then look at the second bucket, which is only slower. */
static inline void
take(struct sl_flow_table *t, uint32_t bi, int j, uint32_t h)
{
	t->bk[bi].tag[j] = 0;
	t->bk[bi].idx[j] = EMPTY_IDX;
	if (bi != first_of(t, h)) {
		struct bucket *f = &t->bk[first_of(t, h)];

		if (f->displaced > 0 && f->displaced < UINT8_MAX)
			f->displaced--;
	}
}

/*
 * Place entry @p idx: its first bucket, its second, or a random walk that
 * moves keys to their other bucket (at most MAX_KICKS moves); the key left
 * over when the walk gives up goes to the stash, which the caller checked
 * has room.
 */
static void
place(struct sl_flow_table *t, uint32_t idx, uint32_t h)
{
	uint32_t b1 = first_of(t, h), b2 = second_of(t, h);
	int j;

	if ((j = empty_slot(&t->bk[b1])) >= 0) {
		put(t, b1, j, idx, h);
		return;
	}
	if ((j = empty_slot(&t->bk[b2])) >= 0) {
		put(t, b2, j, idx, h);
		return;
	}
	uint32_t cur = idx, ch = h, bi = (rnd(t) & 1) ? b1 : b2;
	for (int kick = 0; kick < MAX_KICKS; kick++) {
		/* evict a random resident of bi, put cur in its place */
		int v = (int)(rnd(t) % BUCKET_SLOTS);
		uint32_t victim = t->bk[bi].idx[v], vh = hash_of(t, victim);

		take(t, bi, v, vh);
		put(t, bi, v, cur, ch);
		/* the victim goes to its other bucket */
		cur = victim;
		ch = vh;
		bi = bi == first_of(t, vh) ? second_of(t, vh) : first_of(t, vh);
		if ((j = empty_slot(&t->bk[bi])) >= 0) {
			put(t, bi, j, cur, ch);
			return;
		}
	}
	t->stash[t->n_stash++] = cur;
}

/* Remove entry @p idx from its bucket (or the stash). */
static void
unplace(struct sl_flow_table *t, uint32_t idx, uint32_t h)
{
	uint32_t bs[2] = { first_of(t, h), second_of(t, h) };

	for (int k = 0; k < 2; k++) {
		const struct bucket *b = &t->bk[bs[k]];

		for (uint32_t m = match(b, tag_of(h)); m; m &= m - 1) {
			int j = __builtin_ctz(m);

			if (b->idx[j] == idx) {
				take(t, bs[k], j, h);
				return;
			}
		}
	}
	for (uint32_t i = 0; i < t->n_stash; i++)
		if (t->stash[i] == idx) {
			t->stash[i] = t->stash[--t->n_stash];
			return;
		}
}

/* ---- per-tenant bounds ---- */

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
		t->memory += 2 * (size_t)(n ? n : 1) * sizeof(uint32_t);
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

/* ---- the public operations ---- */

struct sl_flow_entry *
sl_flow_add(struct sl_flow_table *t, const struct sl_flow_key *k, uint32_t hash, uint32_t now,
	    bool *created)
{
	struct sl_flow_entry *e;

	*created = false;
	/* a key already there (two packets of a new flow in one burst) */
	if ((e = find(t, k, hash)) != NULL)
		return e;
	if (t->n_free == 0 || t->n_stash == t->stash_cap)
		return NULL;
	if (t->used != NULL && !admit(t, k->tenant))
		return NULL;
	uint32_t idx = t->free[--t->n_free];

	e = &t->e[idx];
	memset(e, 0, sizeof(*e));
	e->key = *k;
	e->first = now;
	e->last = now;
	e->flags = SL_FLOW_F_USED;
	e->tclass = (uint8_t)sl_flow_tclass_of(k->proto);
	place(t, idx, hash);
	t->count++;
	account(t, k->tenant, +1);
	*created = true;
	return e;
}

unsigned int
sl_flow_age(struct sl_flow_table *t, uint32_t now, unsigned int budget, bool force,
	    sl_flow_gone_cb gone, sl_flow_expire_cb cb, void *arg)
{
	unsigned int removed = 0;

	if (budget > t->capacity)
		budget = t->capacity;
	for (unsigned int i = 0; i < budget && t->count > 0; i++) {
		uint32_t idx = t->cursor;
		struct sl_flow_entry *e = &t->e[idx];

		t->cursor = (idx + 1 == t->capacity) ? 0 : idx + 1;
		if (!(e->flags & SL_FLOW_F_USED))
			continue;
		if (!force && (uint32_t)(now - e->last) <=
				      t->timeout[e->tclass < SL_TCLASS_MAX ? e->tclass
									: SL_TCLASS_OTHER] &&
		    (gone == NULL || !gone(&e->key, arg)))
			continue;
		if (cb != NULL)
			cb(e, arg);
		unplace(t, idx, sl_flow_hash(&e->key, t->seed));
		account(t, e->key.tenant, -1);
		e->flags = 0;
		t->free[t->n_free++] = idx;
		t->count--;
		removed++;
	}
	return removed;
}

void
sl_flow_set_timeouts(struct sl_flow_table *t, const uint32_t timeout[SL_TCLASS_MAX])
{
	memcpy(t->timeout, timeout, sizeof(t->timeout));
}

struct sl_flow_table *
sl_flow_table_create(const char *name, uint32_t entries, int socket, uint32_t seed,
		     unsigned int shift, const uint32_t timeout[SL_TCLASS_MAX])
{
	struct sl_flow_table *t;

	RTE_BUILD_BUG_ON(sizeof(struct bucket) != RTE_CACHE_LINE_SIZE);
	RTE_BUILD_BUG_ON(sizeof(struct sl_flow_entry) != 112);
	RTE_BUILD_BUG_ON(offsetof(struct sl_flow_entry, bytes_lo) != sizeof(struct sl_flow_key));
	/* entries start 16-byte aligned (sizeof 112, the array cache aligned):
	 * at offset 48 in a line, a hot part of 80 bytes still ends in the
	 * next line */
	RTE_BUILD_BUG_ON(sizeof(struct sl_flow_entry) % 16 != 0);
	RTE_BUILD_BUG_ON(SL_FLOW_ENTRY_HOT > 80);
	if (name == NULL || entries < 8 || entries > (1u << 30)) {
		rte_errno = EINVAL;
		return NULL;
	}
	t = rte_zmalloc_socket(name, sizeof(*t), RTE_CACHE_LINE_SIZE, socket);
	if (t == NULL)
		goto nomem;
	t->capacity = entries;
	t->nb = (uint32_t)(((uint64_t)entries * 100 + BUCKET_SLOTS * LOAD_PCT - 1) /
			   (BUCKET_SLOTS * LOAD_PCT));
	t->nb = RTE_MAX(t->nb, 2u);
	t->stash_cap = RTE_MAX(entries / 1024, 64u);
	t->bk = rte_malloc_socket(name, (size_t)t->nb * sizeof(*t->bk), RTE_CACHE_LINE_SIZE,
				  socket);
	t->e = rte_zmalloc_socket(name, (size_t)entries * sizeof(*t->e), RTE_CACHE_LINE_SIZE,
				  socket);
	t->free = rte_malloc_socket(name, (size_t)entries * sizeof(uint32_t), 0, socket);
	t->stash = rte_malloc_socket(name, (size_t)t->stash_cap * sizeof(uint32_t), 0, socket);
	if (t->bk == NULL || t->e == NULL || t->free == NULL || t->stash == NULL)
		goto nomem;
	for (uint32_t b = 0; b < t->nb; b++) {
		memset(&t->bk[b], 0, sizeof(t->bk[b]));
		for (int j = 0; j < BUCKET_SLOTS; j++)
			t->bk[b].idx[j] = EMPTY_IDX;
	}
	/* taken from the top: low indexes first, so a small population stays
	 * in few pages */
	for (uint32_t i = 0; i < entries; i++)
		t->free[i] = entries - 1 - i;
	t->n_free = entries;
	t->seed = seed;
	t->shift = shift;
	t->rnd = seed ? seed : 0x2545f491u;
	memcpy(t->timeout, timeout, sizeof(t->timeout));
	t->memory = sizeof(*t) + (size_t)t->nb * sizeof(*t->bk) + (size_t)entries * sizeof(*t->e) +
		    (size_t)entries * sizeof(uint32_t) + (size_t)t->stash_cap * sizeof(uint32_t);
	return t;
nomem:
	sl_flow_table_free(t);
	rte_errno = ENOMEM;
	return NULL;
}

void
sl_flow_table_free(struct sl_flow_table *t)
{
	if (t == NULL)
		return;
	rte_free(t->bk);
	rte_free(t->e);
	rte_free(t->free);
	rte_free(t->stash);
	rte_free(t->used);
	rte_free(t->quota);
	rte_free(t);
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

uint32_t
sl_flow_stashed(const struct sl_flow_table *t)
{
	return t->n_stash;
}

uint32_t
sl_flow_entry_index(const struct sl_flow_table *t, const struct sl_flow_entry *e)
{
	return (uint32_t)(e - t->e);
}
