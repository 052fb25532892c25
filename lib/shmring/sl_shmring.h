/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Shared-memory packet rings for analyzers that do not link DPDK, in the
 * spirit of AF_XDP: one region (a file on hugetlbfs or tmpfs) per analyzer
 * member, mapped MAP_SHARED by sluice (the producer) and by the analyzer
 * (the consumer). The region holds a header page, a receive ring of packet
 * descriptors (producer -> consumer), a free ring of frame offsets
 * (consumer -> producer) and the frame area. Single producer, single
 * consumer, lock-free: C11 release stores publish ring indexes, acquire
 * loads read them. The byte layout and the protocol are in docs/shmring.md;
 * a consumer need not use this library.
 *
 * Trust: each side treats everything the other side writes as untrusted.
 * The producer validates every frame offset that comes back on the free
 * ring and every index the consumer writes; the consumer validates the
 * header against the file size at open (overflow-safe) and every
 * descriptor before it looks at a frame. Invalid entries are skipped and
 * counted, never dereferenced. Geometry is read once, into private memory;
 * the shared copy is never read again.
 *
 * Threads: a producer handle is used by one thread at a time (the worker
 * lcore that owns the member); a consumer handle likewise. The two sides
 * run concurrently in different threads or processes. Nothing here blocks,
 * prints or exits; errors are negative errno values. Nothing here needs
 * DPDK.
 *
 * Consumer reattach: the consumer attaches with a handshake (the consumer
 * bumps an attach counter, the producer answers from sl_shmring_poll() after
 * rebuilding the free ring), so frames a dead consumer held are reclaimed;
 * see sl_shmring_poll() and docs/shmring.md.
 */
#ifndef SL_SHMRING_H
#define SL_SHMRING_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Region format version this library writes and accepts. */
#define SL_SHMRING_VERSION 1

/** Smallest and largest frame size (bytes; a power of two). */
#define SL_SHMRING_FRAME_MIN 64u
#define SL_SHMRING_FRAME_MAX (1u << 20)
/** Smallest and largest number of frames (a power of two). */
#define SL_SHMRING_FRAMES_MIN 2u
#define SL_SHMRING_FRAMES_MAX (1u << 24)

/** Descriptor flag: the frame holds only the first caplen of len bytes. */
#define SL_SHMRING_F_TRUNCATED 0x0001u

/**
 * Producer counters. X(field): a uint64_t field of struct
 * sl_shmring_prod_stats, named the same in JSON and telemetry. Monotonic,
 * never reset. The producer also publishes them in the region header (see
 * sl_shmring_poll()), where a consumer reads them with
 * sl_shmring_peer_stats().
 *
 * Ledger: every packet offered to sl_shmring_produce() or
 * sl_shmring_produce_burst() counts once in delivered, refused_full or
 * no_consumer.
 */
#define SL_SHMRING_PROD_STATS(X)                                                           \
	X(delivered)    /* packets written and published on the receive ring */           \
	X(refused_full) /* refused: no free frame or receive ring full (-ENOBUFS) */      \
	X(no_consumer)  /* refused: no live, attached consumer (-ENOTCONN) */             \
	X(truncated)    /* delivered packets longer than the frame size */                \
	X(bad_free)     /* free-ring entries dropped: offset out of range or misaligned */ \
	X(bad_index)    /* consumer-written ring index out of range (event count) */      \
	X(attaches)     /* attach handshakes completed (ring rebuilds) */                 \
	X(reclaimed)    /* frames a departed consumer held, returned by a rebuild */      \
	X(requeued)     /* queued descriptors kept for the next consumer by a rebuild */

#define SL_SHMRING_X_FIELD(f) uint64_t f;
/** Producer counters (see SL_SHMRING_PROD_STATS). */
struct sl_shmring_prod_stats {
	SL_SHMRING_PROD_STATS(SL_SHMRING_X_FIELD)
};

/**
 * Consumer counters, kept in the consumer's private memory. Monotonic,
 * never reset; a new sl_shmring_open() starts from zero.
 */
#define SL_SHMRING_CONS_STATS(X)                                                           \
	X(received)        /* packets returned by sl_shmring_recv_burst() */             \
	X(released)        /* frames returned to the producer */                         \
	X(bad_desc)        /* descriptors skipped: offset, alignment or lengths invalid */ \
	X(bad_index)       /* producer-written ring index out of range (event count) */  \
	X(release_refused) /* frames sl_shmring_release() could not return */

/** Consumer counters (see SL_SHMRING_CONS_STATS). */
struct sl_shmring_cons_stats {
	SL_SHMRING_CONS_STATS(SL_SHMRING_X_FIELD)
};
#undef SL_SHMRING_X_FIELD

#define SL_SHMRING_X_ENUM(f) SL_SHMRING_PROD_STAT_##f,
/** Producer counter indices, in SL_SHMRING_PROD_STATS order. */
enum sl_shmring_prod_stat {
	SL_SHMRING_PROD_STATS(SL_SHMRING_X_ENUM)
	SL_SHMRING_PROD_STAT_MAX
};
#undef SL_SHMRING_X_ENUM
#define SL_SHMRING_X_ENUM(f) SL_SHMRING_CONS_STAT_##f,
/** Consumer counter indices, in SL_SHMRING_CONS_STATS order. */
enum sl_shmring_cons_stat {
	SL_SHMRING_CONS_STATS(SL_SHMRING_X_ENUM)
	SL_SHMRING_CONS_STAT_MAX
};
#undef SL_SHMRING_X_ENUM

/** Name of producer counter @p c ("delivered", ...), NULL when out of range. */
const char *sl_shmring_prod_stat_name(unsigned int c);

/** Value of producer counter @p c in @p s, 0 when out of range. */
uint64_t sl_shmring_prod_stat(const struct sl_shmring_prod_stats *s, unsigned int c);

/** Name of consumer counter @p c ("received", ...), NULL when out of range. */
const char *sl_shmring_cons_stat_name(unsigned int c);

/** Value of consumer counter @p c in @p s, 0 when out of range. */
uint64_t sl_shmring_cons_stat(const struct sl_shmring_cons_stats *s, unsigned int c);

/**
 * CLOCK_MONOTONIC in nanoseconds: the clock of the heartbeat. The @p now_ns
 * arguments of the producer functions must come from this clock (any
 * thread; one vDSO call).
 */
uint64_t sl_shmring_now_ns(void);

/* ------------------------------------------------------------------ */
/* Producer (sluice worker lcore)                                       */
/* ------------------------------------------------------------------ */

struct sl_shmring_prod;

/** One packet for sl_shmring_produce_burst(). */
struct sl_shmring_tx {
	const void *data; /**< contiguous packet bytes (NULL only when len is 0) */
	uint64_t ts_ns;   /**< timestamp, ns since the Unix epoch (pcap time) */
	uint32_t len;     /**< wire length; bytes past the frame size are cut */
	uint32_t hash;    /**< flow hash, passed through */
	uint16_t tenant;  /**< tenant id, passed through */
};

/**
 * Create a region at @p path and become its producer.
 *
 * The region is initialised in a temporary file next to @p path
 * (@p path ".tmp.<pid>") which is then renamed over @p path, so a consumer
 * never sees a half-written header and an existing file is replaced, never
 * truncated: a consumer still mapping the old file keeps a valid mapping
 * (sl_shmring_stale() tells it so). The file gets mode 0660 (minus umask)
 * and is sized to a multiple of the file system's block size (the huge page
 * size on hugetlbfs) and allocated up front, so running out of memory fails
 * here (-ENOMEM, -ENOSPC) instead of raising SIGBUS later. All frames start
 * on the free ring. No consumer is live until one attaches and
 * sl_shmring_poll() answers it; until then packets are refused
 * (-ENOTCONN).
 *
 * @param path        file on hugetlbfs (e.g. /dev/hugepages/...) or tmpfs
 *                    (/dev/shm/...); any file system with shared mappings works
 * @param frame_size  bytes per frame, a power of two in
 *                    [SL_SHMRING_FRAME_MIN, SL_SHMRING_FRAME_MAX]
 * @param n_frames    frames, a power of two in
 *                    [SL_SHMRING_FRAMES_MIN, SL_SHMRING_FRAMES_MAX]; both
 *                    rings get n_frames entries
 * @param out         set to the new handle on success (the caller owns it
 *                    and frees it with sl_shmring_destroy()), to NULL on failure
 * @return 0, or -EINVAL (NULL argument, size not a power of two or out of
 *         range, path too long), -ENOMEM, or the -errno of open, fallocate,
 *         mmap or rename.
 */
int sl_shmring_create(const char *path, uint32_t frame_size, uint32_t n_frames,
		      struct sl_shmring_prod **out);

/**
 * Copy one packet into a free frame and publish its descriptor. Never
 * blocks. Bytes past the frame size are not copied: the descriptor keeps
 * the wire length @p len, a captured length of min(len, frame size), and
 * SL_SHMRING_F_TRUNCATED.
 *
 * Free-ring entries met on the way that are out of range or misaligned are
 * dropped and counted (bad_free), never used.
 *
 * @param data    packet bytes (NULL only when @p len is 0); copied
 * @param ts_ns   timestamp for the descriptor (ns since the Unix epoch)
 * @return 0 (delivered), -ENOTCONN (no live consumer at the last
 *         sl_shmring_poll(): no_consumer), -ENOBUFS (no valid free frame or
 *         receive ring full: refused_full), -EINVAL (NULL @p p, or NULL
 *         @p data with a non-zero length; not counted).
 */
int sl_shmring_produce(struct sl_shmring_prod *p, const void *data, uint32_t len, uint64_t ts_ns,
		       uint32_t hash, uint16_t tenant);

/**
 * Burst form of sl_shmring_produce(): delivers a prefix of @p pkts, in
 * order, with one publication of the ring index. The rest are refused and
 * counted (no_consumer when no consumer is live, refused_full otherwise).
 *
 * @param pkts  @p n packets (data copied; NULL data only with len 0)
 * @return packets delivered, 0..n (0 with a NULL @p p or @p pkts).
 */
unsigned int sl_shmring_produce_burst(struct sl_shmring_prod *p, const struct sl_shmring_tx *pkts,
				      unsigned int n);

/**
 * Producer housekeeping; call it regularly from the owning thread (every
 * millisecond or so, and at least as often as @p timeout_ns).
 *
 * 1. Attach handshake: when the consumer attach counter in the header
 *    differs from the last value answered, the producer rebuilds the rings
 *    for the new consumer and answers with that value (see
 *    docs/shmring.md): the consumer index stays where the previous consumer
 *    left it, so the new consumer resumes with the packets still queued;
 *    every frame not queued goes on the free ring (frames the departed
 *    consumer held are reclaimed). At most one rebuild per millisecond of
 *    @p now_ns, so a consumer bumping the counter in a loop cannot make the
 *    worker spend more than O(n_frames) per millisecond.
 * 2. Liveness: the consumer is live when its attach is answered and its
 *    heartbeat is non-zero and within @p timeout_ns of @p now_ns. Until
 *    the next call, produce calls refuse packets (-ENOTCONN) when it is not.
 * 3. Copies the producer counters into the region header.
 *
 * @param now_ns      sl_shmring_now_ns()
 * @param timeout_ns  heartbeat age beyond which the consumer is dead
 * @return 1 when the consumer is live, 0 when not, -EINVAL for a NULL @p p.
 */
int sl_shmring_poll(struct sl_shmring_prod *p, uint64_t now_ns, uint64_t timeout_ns);

/**
 * Whether the consumer looks alive now: an attached consumer (handshake
 * answered) whose heartbeat is non-zero and within @p timeout_ns of
 * @p now_ns (either side: the consumer writes the same clock). A pure
 * query: it does not change what produce calls do (sl_shmring_poll() does).
 * Reads one shared cache line.
 *
 * @return false also for a NULL @p p.
 */
bool sl_shmring_consumer_alive(const struct sl_shmring_prod *p, uint64_t now_ns,
			       uint64_t timeout_ns);

/** Producer counters; valid until sl_shmring_destroy(). Read on the owning thread. */
const struct sl_shmring_prod_stats *sl_shmring_producer_stats(const struct sl_shmring_prod *p);

/**
 * Mark the region closed (consumers see it with sl_shmring_stale()),
 * publish the counters, unmap and free the handle (NULL accepted). With
 * @p unlink_file the path is removed, but only while it still names this
 * region (a newer producer's file at the same path is left alone).
 * Consumers keep their mapping until they close.
 */
void sl_shmring_destroy(struct sl_shmring_prod *p, bool unlink_file);

/* ------------------------------------------------------------------ */
/* Consumer (analyzer)                                                  */
/* ------------------------------------------------------------------ */

struct sl_shmring_cons;

/** One received packet. Valid until released or sl_shmring_close(). */
struct sl_shmring_pkt {
	/**
	 * First byte of the frame, inside the mapping; @p caplen bytes are
	 * readable. The producer does not write the frame until it is
	 * released, unless the producer is faulty: treat the bytes as
	 * untrusted input.
	 */
	const uint8_t *data;
	uint64_t ts_ns;  /**< timestamp, ns since the Unix epoch */
	uint64_t frame;  /**< frame offset in the frame area (for release) */
	uint32_t len;    /**< wire length */
	uint32_t caplen; /**< bytes in the frame, <= len and <= frame size */
	uint32_t hash;   /**< flow hash */
	uint16_t tenant; /**< tenant id */
	uint16_t flags;  /**< SL_SHMRING_F_* */
};

/** What a consumer learns about a region at open. */
struct sl_shmring_info {
	uint64_t generation;   /**< producer's id of this region, new at each create */
	uint32_t frame_size;   /**< bytes per frame */
	uint32_t n_frames;     /**< frames */
	uint32_t rx_size;      /**< receive ring entries */
	uint32_t free_size;    /**< free ring entries */
	uint32_t producer_pid; /**< producer's pid (in its pid namespace) */
};

/**
 * Open a region as its consumer and request attachment.
 *
 * Takes an exclusive flock(2) on the file (one consumer at a time; it goes
 * away with the process), maps the whole file, copies the header into
 * private memory and validates it: magic and version, power-of-two sizes
 * within the limits, the fixed order header < receive ring < free ring <
 * frame area without overlap, and everything inside the file (fstat), with
 * overflow-checked arithmetic. Then writes the heartbeat and bumps the
 * attach counter. Receiving starts once the producer answers from its
 * sl_shmring_poll(); until then sl_shmring_recv_burst() returns 0.
 *
 * @param out  set to the new handle (the caller owns it; sl_shmring_close()),
 *             to NULL on failure
 * @return 0, or -EINVAL (NULL argument, not a regular file, file too small,
 *         sizes or offsets inconsistent), -EBADMSG (wrong magic or version),
 *         -EBUSY (another consumer holds the region), -ENOTCONN (the producer
 *         closed the region), -ENOMEM, or the -errno of open, fstat or mmap.
 */
int sl_shmring_open(const char *path, struct sl_shmring_cons **out);

/**
 * Receive up to @p n packets. Writes the heartbeat (every call, also when
 * nothing is received), so call it regularly even when idle. Each
 * descriptor is copied out of shared memory once and checked: frame offset
 * inside the frame area and a multiple of the frame size, caplen <= frame
 * size and caplen <= len. A bad descriptor is skipped and counted
 * (bad_desc); if only its lengths are bad, its frame goes back on the free
 * ring. A producer index more than the ring size ahead is counted
 * (bad_index) and everything up to it is skipped unread.
 *
 * @param pkts  room for @p n packets; the first (return value) are filled
 * @return packets received (0 until attached, and with NULL arguments).
 */
unsigned int sl_shmring_recv_burst(struct sl_shmring_cons *c, struct sl_shmring_pkt *pkts,
				   unsigned int n);

/**
 * Give frames back to the producer (free ring), in any order and any
 * grouping, each exactly once. A frame offset that is not a valid frame, or
 * that does not fit on the free ring (only a faulty producer index causes
 * that), is not returned and counts in release_refused.
 *
 * @return frames returned.
 */
unsigned int sl_shmring_release(struct sl_shmring_cons *c, const struct sl_shmring_pkt *pkts,
				unsigned int n);

/** Whether the producer has answered this consumer's attach request. */
bool sl_shmring_attached(struct sl_shmring_cons *c);

/**
 * Whether this region is finished: the producer closed it, or @p path now
 * names another file (a new producer created a new region: close and open
 * again). One stat(2) call.
 *
 * @return 1 stale, 0 not, -errno of stat (other than ENOENT, which is 1).
 */
int sl_shmring_stale(const struct sl_shmring_cons *c);

/** Geometry and identity of the region, as validated at open. */
void sl_shmring_consumer_info(const struct sl_shmring_cons *c, struct sl_shmring_info *info);

/** Consumer counters; valid until sl_shmring_close(). */
const struct sl_shmring_cons_stats *sl_shmring_consumer_stats(const struct sl_shmring_cons *c);

/**
 * Producer counters as last published in the header (by sl_shmring_poll()
 * or sl_shmring_destroy()). Written by the other side: informative only.
 */
void sl_shmring_peer_stats(const struct sl_shmring_cons *c, struct sl_shmring_prod_stats *out);

/**
 * Detach: clear the heartbeat (the producer sees no consumer at its next
 * poll), unmap, drop the lock and free the handle (NULL accepted). Frames
 * not released are reclaimed by the producer when the next consumer
 * attaches; packets still queued are kept for it.
 */
void sl_shmring_close(struct sl_shmring_cons *c);

#ifdef __cplusplus
}
#endif
#endif /* SL_SHMRING_H */
