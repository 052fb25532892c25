/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared-memory ring, consumer side: open and validate a region, attach,
 * receive descriptors (each checked before its frame is looked at), return
 * frames on the free ring.
 *
 * The geometry is copied out of the header once and validated against the
 * file size; afterwards only the private copy is used. Descriptors are read
 * through a volatile pointer into a local copy, and only the copy is
 * checked and used, so a producer rewriting them concurrently cannot get a
 * value past the checks.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* flock, dev_t */
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sl_shmring_pvt.h"

struct sl_shmring_cons {
	/* data path */
	struct shm_ring_idx *rx_idx;
	const volatile struct shm_desc *rx;
	struct shm_ring_idx *free_idx;
	volatile uint64_t *free_ring;
	const uint8_t *frames;
	uint64_t frames_len;
	uint32_t frame_size;
	uint32_t rx_size;
	uint32_t rx_mask;
	uint32_t free_size;
	uint32_t free_mask;
	uint32_t rx_cons;         /* ours after attach; published with release */
	uint32_t free_prod;       /* ours after attach; published with release */
	uint32_t free_cons_cache; /* producer's, last valid value read */
	bool attached;
	struct sl_shmring_cons_stats st;
	/* control */
	struct shm_hdr *hdr;
	uint64_t req;             /* our attach request */
	struct shm_geom g;
	uint64_t generation;
	uint32_t producer_pid;
	void *base;
	size_t map_len;
	int fd;
	dev_t dev;
	ino_t ino;
	char *path;
};

static void
cons_free(struct sl_shmring_cons *c)
{
	if (c->base != NULL)
		munmap(c->base, c->map_len);
	if (c->fd >= 0)
		close(c->fd); /* drops the flock */
	free(c->path);
	free(c);
}

int
sl_shmring_open(const char *path, struct sl_shmring_cons **out)
{
	struct sl_shmring_cons *c;
	struct shm_hdr snap;
	struct stat st;
	int rc;

	if (out != NULL)
		*out = NULL;
	if (path == NULL || out == NULL)
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return -ENOMEM;
	c->fd = -1;
	c->path = strdup(path);
	if (c->path == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	c->fd = open(path, O_RDWR | O_CLOEXEC);
	if (c->fd < 0) {
		rc = -errno;
		goto fail;
	}
	if (fstat(c->fd, &st) != 0) {
		rc = -errno;
		goto fail;
	}
	if (!S_ISREG(st.st_mode) || st.st_size < (off_t)SHM_HDR_SIZE ||
	    (uint64_t)st.st_size > SIZE_MAX) {
		rc = -EINVAL;
		goto fail;
	}
	if (flock(c->fd, LOCK_EX | LOCK_NB) != 0) {
		rc = errno == EWOULDBLOCK ? -EBUSY : -errno;
		goto fail;
	}
	c->dev = st.st_dev;
	c->ino = st.st_ino;
	c->map_len = (size_t)st.st_size;
	c->base = mmap(NULL, c->map_len, PROT_READ | PROT_WRITE, MAP_SHARED, c->fd, 0);
	if (c->base == MAP_FAILED) {
		c->base = NULL;
		rc = -errno;
		goto fail;
	}
	c->hdr = c->base;
	/* One private copy of the header; the shared geometry is never read again. */
	memcpy(&snap, (const void *)c->hdr, sizeof(snap));
	rc = sl_shmring_geom_check(&snap, (uint64_t)st.st_size, &c->g);
	if (rc != 0)
		goto fail;
	if (atomic_load_explicit(&c->hdr->producer_state, memory_order_acquire) ==
	    SHM_STATE_CLOSED) {
		rc = -ENOTCONN;
		goto fail;
	}
	c->generation = snap.generation;
	c->producer_pid = snap.producer_pid;
	c->rx_idx = (struct shm_ring_idx *)((uint8_t *)c->base + c->g.rx_off);
	c->rx = (const volatile struct shm_desc *)((uint8_t *)c->rx_idx + SHM_RING_HDR);
	c->free_idx = (struct shm_ring_idx *)((uint8_t *)c->base + c->g.free_off);
	c->free_ring = (volatile uint64_t *)((uint8_t *)c->free_idx + SHM_RING_HDR);
	c->frames = (const uint8_t *)c->base + c->g.frames_off;
	c->frames_len = c->g.frames_len;
	c->frame_size = c->g.frame_size;
	c->rx_size = c->g.rx_size;
	c->rx_mask = c->g.rx_size - 1;
	c->free_size = c->g.free_size;
	c->free_mask = c->g.free_size - 1;
	/* Heartbeat first, then the request (release): the producer that sees
	 * the request sees a fresh heartbeat. */
	atomic_store_explicit(&c->hdr->heartbeat_ns, sl_shmring_now_ns(), memory_order_relaxed);
	c->req = atomic_fetch_add_explicit(&c->hdr->attach_req, 1, memory_order_acq_rel) + 1;
	*out = c;
	return 0;

fail:
	cons_free(c);
	return rc;
}

/* Has the producer answered our request? Then take over our indexes. */
static bool
check_attached(struct sl_shmring_cons *c)
{
	/* acquire: the rebuilt rings */
	if (atomic_load_explicit(&c->hdr->attach_ack, memory_order_acquire) != c->req)
		return false;
	c->rx_cons = atomic_load_explicit(&c->rx_idx->cons, memory_order_relaxed);
	c->free_prod = atomic_load_explicit(&c->free_idx->prod, memory_order_relaxed);
	c->free_cons_cache = atomic_load_explicit(&c->free_idx->cons, memory_order_relaxed);
	c->attached = true;
	return true;
}

bool
sl_shmring_attached(struct sl_shmring_cons *c)
{
	return c != NULL && (c->attached || check_attached(c));
}

static inline bool
frame_ok(const struct sl_shmring_cons *c, uint64_t off)
{
	return off < c->frames_len && (off & (c->frame_size - 1)) == 0;
}

/* Put one frame on the free ring (not yet published). */
static bool
push_free(struct sl_shmring_cons *c, uint64_t off)
{
	if (c->free_prod - c->free_cons_cache >= c->free_size) {
		/* acquire: the producer has read the entries it gave back */
		uint32_t fc = atomic_load_explicit(&c->free_idx->cons, memory_order_acquire);
		uint32_t used = c->free_prod - fc;

		if (used > c->free_size) {
			c->st.bad_index++;
			return false;
		}
		c->free_cons_cache = fc;
		if (used == c->free_size)
			return false;
	}
	c->free_ring[c->free_prod & c->free_mask] = off;
	c->free_prod++;
	return true;
}

static inline void
publish_free(struct sl_shmring_cons *c)
{
	/* release: the entries, and our reads of those frames, before the index */
	atomic_store_explicit(&c->free_idx->prod, c->free_prod, memory_order_release);
}

unsigned int
sl_shmring_recv_burst(struct sl_shmring_cons *c, struct sl_shmring_pkt *pkts, unsigned int n)
{
	uint32_t prod, avail, i;
	unsigned int k = 0;
	bool returned = false;

	if (c == NULL || pkts == NULL)
		return 0;
	atomic_store_explicit(&c->hdr->heartbeat_ns, sl_shmring_now_ns(), memory_order_relaxed);
	if (!c->attached && !check_attached(c))
		return 0;
	/* acquire: descriptors and frame bytes written before the index */
	prod = atomic_load_explicit(&c->rx_idx->prod, memory_order_acquire);
	avail = prod - c->rx_cons;
	if (avail > c->rx_size) {
		/* Impossible for a sane producer: nothing up to prod is read. */
		c->st.bad_index++;
		c->rx_cons = prod;
		atomic_store_explicit(&c->rx_idx->cons, c->rx_cons, memory_order_release);
		return 0;
	}
	for (i = 0; i < avail && k < n; i++) {
		const volatile struct shm_desc *s = &c->rx[(c->rx_cons + i) & c->rx_mask];
		struct shm_desc d;

		d.offset = s->offset;
		d.len = s->len;
		d.caplen = s->caplen;
		d.ts_ns = s->ts_ns;
		d.hash = s->hash;
		d.tenant = s->tenant;
		d.flags = s->flags;
		if (!frame_ok(c, d.offset)) {
			c->st.bad_desc++;
			continue;
		}
		if (d.caplen > c->frame_size || d.caplen > d.len) {
			c->st.bad_desc++;
			/* the frame itself is valid: keep it circulating */
			if (push_free(c, d.offset)) {
				c->st.released++;
				returned = true;
			}
			continue;
		}
		pkts[k].data = c->frames + d.offset;
		pkts[k].ts_ns = d.ts_ns;
		pkts[k].frame = d.offset;
		pkts[k].len = d.len;
		pkts[k].caplen = d.caplen;
		pkts[k].hash = d.hash;
		pkts[k].tenant = d.tenant;
		pkts[k].flags = d.flags;
		k++;
	}
	c->rx_cons += i;
	/* release: our reads of the descriptors before the producer reuses the slots */
	if (i != 0)
		atomic_store_explicit(&c->rx_idx->cons, c->rx_cons, memory_order_release);
	if (returned)
		publish_free(c);
	c->st.received += k;
	return k;
}

unsigned int
sl_shmring_release(struct sl_shmring_cons *c, const struct sl_shmring_pkt *pkts, unsigned int n)
{
	unsigned int i, done = 0;

	if (c == NULL || pkts == NULL)
		return 0;
	if (!c->attached) {
		c->st.release_refused += n;
		return 0;
	}
	for (i = 0; i < n; i++) {
		if (frame_ok(c, pkts[i].frame) && push_free(c, pkts[i].frame))
			done++;
		else
			c->st.release_refused++;
	}
	if (done != 0)
		publish_free(c);
	c->st.released += done;
	return done;
}

int
sl_shmring_stale(const struct sl_shmring_cons *c)
{
	struct stat st;

	if (c == NULL)
		return -EINVAL;
	if (atomic_load_explicit(&c->hdr->producer_state, memory_order_acquire) ==
	    SHM_STATE_CLOSED)
		return 1;
	if (stat(c->path, &st) != 0)
		return errno == ENOENT ? 1 : -errno;
	return st.st_dev != c->dev || st.st_ino != c->ino;
}

void
sl_shmring_consumer_info(const struct sl_shmring_cons *c, struct sl_shmring_info *info)
{
	if (c == NULL || info == NULL)
		return;
	memset(info, 0, sizeof(*info));
	info->generation = c->generation;
	info->frame_size = c->g.frame_size;
	info->n_frames = c->g.n_frames;
	info->rx_size = c->g.rx_size;
	info->free_size = c->g.free_size;
	info->producer_pid = c->producer_pid;
}

const struct sl_shmring_cons_stats *
sl_shmring_consumer_stats(const struct sl_shmring_cons *c)
{
	return c != NULL ? &c->st : NULL;
}

void
sl_shmring_peer_stats(const struct sl_shmring_cons *c, struct sl_shmring_prod_stats *out)
{
	uint64_t v[SL_SHMRING_PROD_STAT_MAX];

	if (c == NULL || out == NULL)
		return;
	for (unsigned int i = 0; i < SL_SHMRING_PROD_STAT_MAX; i++)
		v[i] = atomic_load_explicit(&c->hdr->prod_stats[i], memory_order_relaxed);
	/* struct sl_shmring_prod_stats is SL_SHMRING_PROD_STAT_MAX uint64_t in order */
	_Static_assert(sizeof(*out) == sizeof(v), "prod stats layout");
	memcpy(out, v, sizeof(v));
}

void
sl_shmring_close(struct sl_shmring_cons *c)
{
	if (c == NULL)
		return;
	/* release: every read of our frames before the producer sees us gone */
	atomic_store_explicit(&c->hdr->heartbeat_ns, 0, memory_order_release);
	cons_free(c);
}
