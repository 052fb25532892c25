/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * De-duplication: recognise a packet identical to one seen a moment ago,
 * as a SPAN session that mirrors both ingress and egress, or two mirrored
 * cloud interfaces, deliver it twice.
 *
 * Two packets are copies of one another when their IP packets (innermost,
 * after any tunnel) agree on their first SL_DEDUP_SPAN bytes, apart from
 * what a router on the way rewrites: the IPv4 TTL and header checksum, the
 * IPv6 hop limit. That covers the L3 header (options and extension headers
 * included), the L4 header (its checksum included, which covers the rest of
 * the payload for TCP and UDP) and a prefix of the payload. Bytes past the
 * IP packet's own length (Ethernet padding) are not part of it.
 *
 * A packet's signature (sl_dedup_signature()) is two 32-bit words of those
 * bytes: rte_hash_crc (CRC32C) with a seed, and an add-rotate sum of their
 * 8-byte words and length. Two different packets are taken for copies only
 * when both words agree (docs/architecture.md, "De-duplication", gives the
 * probability).
 *
 * The table (sl_dedup_check()) remembers the signatures seen in the last
 * window: fixed-size sets of SL_DEDUP_WAYS entries (one cache line), a
 * set chosen by the CRC; a new signature replaces an empty or expired
 * entry of its set, else the oldest one (reported, so the caller can count
 * a table too small for its rate and window). It is allocated once and
 * never grows: no allocation on the data path. One table belongs to one
 * lcore: no function is safe to call concurrently on the same table.
 *
 * Times are the caller's (TSC cycles in sluice), in any unit as long as
 * @p now and @p window share it; 0 is not a time.
 */
#ifndef SL_DEDUP_H
#define SL_DEDUP_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Bytes of the IP packet, from its first byte, that the signature covers. */
#define SL_DEDUP_SPAN 128
/** Entries of a set (one 64-byte cache line of 16-byte entries). */
#define SL_DEDUP_WAYS 4
/** Smallest and largest table (entries; a request is rounded up to a
 * power of two sets of SL_DEDUP_WAYS). */
#define SL_DEDUP_MIN_ENTRIES 64
#define SL_DEDUP_MAX_ENTRIES (1u << 22)

/** What identifies a packet. */
struct sl_dedup_sig {
	uint32_t hash;  /**< CRC32C of the normalised bytes, with the seed */
	uint32_t check; /**< add-rotate sum of the same bytes and their length */
};

/** What sl_dedup_check() found. */
enum sl_dedup_result {
	SL_DEDUP_NEW = 0,     /**< not seen in the window: remembered now */
	SL_DEDUP_DUPLICATE,   /**< seen in the window: a copy */
	SL_DEDUP_NEW_EVICTED, /**< new, and remembering it pushed out an entry
				   still inside its window (the table is small
				   for the rate times the window) */
};

/**
 * Signature of an IP packet.
 *
 * @param l3    first byte of the IP header (IPv4 or IPv6, told by its
 *              version nibble)
 * @param len   bytes readable at @p l3; the IP packet's own length (IPv4
 *              total length, IPv6 payload length + 40) bounds it further
 *              when it is smaller
 * @param seed  hash seed (tuning.hash_seed)
 * @param sig   result
 * @return 0; -EINVAL when @p len is 0 or the version is neither 4 nor 6
 *         (@p sig is then untouched). A truncated or malformed header is
 *         not an error: whatever bytes are there are the packet.
 *
 * Thread-safety: pure function, reentrant. Reads at most
 * min(@p len, SL_DEDUP_SPAN) bytes.
 */
int sl_dedup_signature(const uint8_t *l3, uint32_t len, uint32_t seed, struct sl_dedup_sig *sig);

struct sl_dedup;

/**
 * Create a table.
 *
 * @param name     name of its memory (rte_malloc)
 * @param entries  SL_DEDUP_MIN_ENTRIES..SL_DEDUP_MAX_ENTRIES; rounded up to
 *                 a power of two number of sets
 * @param socket   NUMA socket of its memory (SOCKET_ID_ANY accepted)
 * @return the table, empty, or NULL with rte_errno set (EINVAL: entries out
 *         of range; ENOMEM).
 */
struct sl_dedup *sl_dedup_create(const char *name, uint32_t entries, int socket);

/** Free a table (NULL accepted). */
void sl_dedup_free(struct sl_dedup *d);

/** Entries the table holds (after rounding). */
uint32_t sl_dedup_capacity(const struct sl_dedup *d);

/**
 * Prefetch the set sl_dedup_check() will read for @p sig: a burst's
 * signatures are computed and prefetched first, then checked, so that the
 * table's cache misses overlap.
 *
 * Thread-safety: only the table's owning lcore may call it.
 */
void sl_dedup_prefetch(const struct sl_dedup *d, const struct sl_dedup_sig *sig);

/**
 * Has a packet with signature @p sig been seen within @p window before
 * @p now? If not, remember it (with time @p now).
 *
 * An entry matches when both words of its signature are equal and it was
 * remembered no more than @p window before @p now. A copy does not refresh
 * the entry: copies are counted against the first one's time. An entry past
 * its window is replaced before any live one.
 *
 * @param now     current time (> 0, never decreasing between calls)
 * @param window  how long a packet is remembered, same unit
 * @return enum sl_dedup_result
 *
 * Thread-safety: only the table's owning lcore may call it.
 */
enum sl_dedup_result sl_dedup_check(struct sl_dedup *d, const struct sl_dedup_sig *sig,
				    uint64_t now, uint64_t window);

#ifdef __cplusplus
}
#endif
#endif /* SL_DEDUP_H */
