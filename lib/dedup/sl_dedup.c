/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * De-duplication: packet signatures and the table of recent ones (see
 * sl_dedup.h).
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include <rte_common.h>
#include <rte_errno.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>

#include "sl_dedup.h"

/* Where the bytes a router rewrites sit in an IP header. */
#define V4_TTL 8
#define V4_CSUM 10
#define V6_HLIM 7

struct entry {
	uint32_t hash;
	uint32_t check;
	uint64_t ts;  /* when it was remembered; 0: empty */
};

struct set {
	struct entry e[SL_DEDUP_WAYS];
} __rte_cache_aligned;

struct sl_dedup {
	struct set *sets;
	uint32_t mask;  /* sets - 1 */
};

static inline uint64_t
rotl64(uint64_t x, unsigned int r)
{
	return (x << r) | (x >> (64 - r));
}

int
sl_dedup_signature(const uint8_t *l3, uint32_t len, uint32_t seed, struct sl_dedup_sig *sig)
{
	/* the normalised bytes, zero-padded to whole 8-byte words */
	uint64_t w[SL_DEDUP_SPAN / 8];
	uint8_t *b = (uint8_t *)w;
	uint32_t n = RTE_MIN(len, (uint32_t)SL_DEDUP_SPAN), own;

	RTE_BUILD_BUG_ON(sizeof(struct set) != RTE_CACHE_LINE_SIZE);
	RTE_BUILD_BUG_ON(SL_DEDUP_SPAN % 8 != 0);
	if (len == 0)
		return -EINVAL;
	switch (l3[0] >> 4) {
	case 4:
		/* total length; 0 (a segmentation offload's) bounds nothing */
		own = n >= 4 ? (uint32_t)l3[2] << 8 | l3[3] : 0;
		if (own != 0)
			n = RTE_MIN(n, own);
		memset(w, 0, sizeof(w));
		memcpy(b, l3, n);
		b[V4_TTL] = 0;
		b[V4_CSUM] = b[V4_CSUM + 1] = 0;
		break;
	case 6:
		/* payload length; 0 is a jumbogram's, bounded by len only */
		own = n >= 6 ? (uint32_t)l3[4] << 8 | l3[5] : 0;
		if (own != 0)
			n = RTE_MIN(n, own + 40);
		memset(w, 0, sizeof(w));
		memcpy(b, l3, n);
		b[V6_HLIM] = 0;
		break;
	default:
		return -EINVAL;
	}
	/*
	 * Writing the masked bytes past n (V4_CSUM + 1 < 12 <= 16) is harmless:
	 * the buffer is zeroed there already. The second word is a different
	 * algebra from the CRC (additions with carries, not XOR), so that the
	 * two agree on two different packets only by chance: hand-written
	 * because DPDK's other hashes (jhash) cost a cycle a byte.
	 */
	uint64_t s = n;
	for (uint32_t i = 0; i < (n + 7) / 8; i++)
		s = rotl64(s, 17) + w[i] + (w[i] >> 29);
	sig->hash = rte_hash_crc(w, n, seed);
	sig->check = (uint32_t)(s ^ (s >> 32));
	return 0;
}

struct sl_dedup *
sl_dedup_create(const char *name, uint32_t entries, int socket)
{
	struct sl_dedup *d;
	uint32_t sets;

	if (entries < SL_DEDUP_MIN_ENTRIES || entries > SL_DEDUP_MAX_ENTRIES) {
		rte_errno = EINVAL;
		return NULL;
	}
	sets = rte_align32pow2((entries + SL_DEDUP_WAYS - 1) / SL_DEDUP_WAYS);
	d = rte_zmalloc_socket(name, sizeof(*d), RTE_CACHE_LINE_SIZE, socket);
	if (d == NULL)
		goto nomem;
	d->sets = rte_zmalloc_socket(name, (size_t)sets * sizeof(*d->sets), RTE_CACHE_LINE_SIZE,
				     socket);
	if (d->sets == NULL)
		goto nomem;
	d->mask = sets - 1;
	return d;
nomem:
	rte_free(d);
	rte_errno = ENOMEM;
	return NULL;
}

void
sl_dedup_free(struct sl_dedup *d)
{
	if (d == NULL)
		return;
	rte_free(d->sets);
	rte_free(d);
}

uint32_t
sl_dedup_capacity(const struct sl_dedup *d)
{
	return (d->mask + 1) * SL_DEDUP_WAYS;
}

void
sl_dedup_prefetch(const struct sl_dedup *d, const struct sl_dedup_sig *sig)
{
	rte_prefetch0(&d->sets[sig->hash & d->mask]);
}

enum sl_dedup_result
sl_dedup_check(struct sl_dedup *d, const struct sl_dedup_sig *sig, uint64_t now, uint64_t window)
{
	struct set *st = &d->sets[sig->hash & d->mask];
	unsigned int victim = 0;
	uint64_t oldest = UINT64_MAX;

	for (unsigned int i = 0; i < SL_DEDUP_WAYS; i++) {
		const struct entry *e = &st->e[i];
		bool live = e->ts != 0 && now - e->ts <= window;

		if (live && e->hash == sig->hash && e->check == sig->check)
			return SL_DEDUP_DUPLICATE;
		/* empty and expired entries go first (0), then the oldest */
		uint64_t age = live ? e->ts : 0;
		if (age < oldest) {
			oldest = age;
			victim = i;
		}
	}
	st->e[victim] = (struct entry){ .hash = sig->hash, .check = sig->check,
					.ts = now != 0 ? now : 1 };
	return oldest != 0 ? SL_DEDUP_NEW_EVICTED : SL_DEDUP_NEW;
}
