/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared-memory ring: the byte layout of a region (docs/shmring.md is the
 * normative description; the static assertions below pin this header to
 * it) and the geometry checks both sides use. Private to lib/shmring and
 * its unit test.
 */
#ifndef SL_SHMRING_PVT_H
#define SL_SHMRING_PVT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "sl_shmring.h"

/* "SLSHMRNG" in memory on a little-endian host. */
#define SHM_MAGIC 0x474e524d48534c53ull
#define SHM_HDR_SIZE 4096u
#define SHM_DESC_SIZE 32u
/* Hot fields written by different sides sit 128 bytes apart (the adjacent
 * cache line prefetcher pairs 64-byte lines). */
#define SHM_LINE 128u
/* A ring starts with its two index lines, then the entries. */
#define SHM_RING_HDR (2 * SHM_LINE)
#define SHM_ALIGN 64u
#define SHM_FRAMES_ALIGN 4096u
/* Slots in the header for published producer counters. */
#define SHM_PROD_STATS_SLOTS 16u

/* Header: producer_state */
#define SHM_STATE_ACTIVE 1u
#define SHM_STATE_CLOSED 2u

/* Ring indexes are free-running uint32_t; they start here, close to the
 * wrap, so a reader that mishandles wrap-around fails at once (the idea of
 * Linux's INITIAL_JIFFIES). */
#define SHM_INDEX_START ((uint32_t)-4096)

/* A producer rebuilds the rings at most once per this many ns. */
#define SHM_REBUILD_MIN_NS 1000000ull

struct shm_hdr {
	/* 0: geometry, written once before the file appears at its path */
	uint64_t magic;
	uint32_t version;
	uint32_t hdr_size;
	uint32_t frame_size;
	uint32_t n_frames;
	uint32_t rx_size;
	uint32_t free_size;
	uint64_t rx_off;
	uint64_t free_off;
	uint64_t frames_off;
	uint64_t region_size;
	/* 64: identity */
	uint64_t generation;
	uint32_t producer_pid;
	uint32_t desc_size;
	_Atomic uint32_t producer_state;
	uint32_t reserved0;
	uint8_t pad0[256 - 88];
	/* 256: written by the producer */
	_Atomic uint64_t attach_ack;
	uint8_t pad1[SHM_LINE - 8];
	/* 384: written by the consumer */
	_Atomic uint64_t attach_req;
	uint8_t pad2[SHM_LINE - 8];
	/* 512: written by the consumer */
	_Atomic uint64_t heartbeat_ns;
	uint8_t pad3[SHM_LINE - 8];
	/* 640: written by the producer, SL_SHMRING_PROD_STATS order */
	_Atomic uint64_t prod_stats[SHM_PROD_STATS_SLOTS];
	uint8_t pad4[SHM_HDR_SIZE - 768];
};

/* At the start of each ring. */
struct shm_ring_idx {
	_Atomic uint32_t prod; /* next entry the ring's producer writes */
	uint8_t pad0[SHM_LINE - 4];
	_Atomic uint32_t cons; /* next entry the ring's consumer reads */
	uint8_t pad1[SHM_LINE - 4];
};

/* Receive-ring entry. */
struct shm_desc {
	uint64_t offset; /* of the frame in the frame area */
	uint32_t len;    /* wire length */
	uint32_t caplen; /* bytes in the frame */
	uint64_t ts_ns;
	uint32_t hash;
	uint16_t tenant;
	uint16_t flags;
};

_Static_assert(sizeof(struct shm_hdr) == SHM_HDR_SIZE, "header page");
_Static_assert(offsetof(struct shm_hdr, region_size) == 56, "layout");
_Static_assert(offsetof(struct shm_hdr, generation) == 64, "layout");
_Static_assert(offsetof(struct shm_hdr, producer_state) == 80, "layout");
_Static_assert(offsetof(struct shm_hdr, attach_ack) == 256, "layout");
_Static_assert(offsetof(struct shm_hdr, attach_req) == 384, "layout");
_Static_assert(offsetof(struct shm_hdr, heartbeat_ns) == 512, "layout");
_Static_assert(offsetof(struct shm_hdr, prod_stats) == 640, "layout");
_Static_assert(sizeof(struct shm_ring_idx) == SHM_RING_HDR, "ring header");
_Static_assert(offsetof(struct shm_ring_idx, cons) == SHM_LINE, "ring header");
_Static_assert(sizeof(struct shm_desc) == SHM_DESC_SIZE, "descriptor");
_Static_assert(SL_SHMRING_PROD_STAT_MAX <= SHM_PROD_STATS_SLOTS, "header counter slots");
_Static_assert(sizeof(_Atomic uint32_t) == 4 && sizeof(_Atomic uint64_t) == 8, "atomics");

/* Geometry of a region: from the arguments of create, or from a validated
 * header. */
struct shm_geom {
	uint32_t frame_size;
	uint32_t frame_shift;
	uint32_t n_frames;
	uint32_t rx_size;
	uint32_t free_size;
	uint64_t rx_off;
	uint64_t free_off;
	uint64_t frames_off;
	uint64_t frames_len;
	uint64_t region_size;
};

/* Layout for create: -EINVAL when a size is not a power of two in range. */
int sl_shmring_geom_make(uint32_t frame_size, uint32_t n_frames, struct shm_geom *g);

/*
 * Validate a private copy of a header against the file size: -EBADMSG
 * (magic, version), -EINVAL (any size, offset or bound). Overflow-safe.
 */
int sl_shmring_geom_check(const struct shm_hdr *h, uint64_t file_size, struct shm_geom *g);

static inline int
shm_is_pow2(uint64_t v)
{
	return v != 0 && (v & (v - 1)) == 0;
}

#endif /* SL_SHMRING_PVT_H */
