/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared-memory ring, producer side: create the region, copy packets into
 * free frames and publish their descriptors, answer consumer attach
 * requests by rebuilding the rings, judge the consumer's heartbeat.
 *
 * Everything the consumer writes (free-ring entries, the receive ring's
 * consumer index, the free ring's producer index, the attach counter, the
 * heartbeat) is read once and validated before use. Frame offsets the
 * producer itself published are remembered per receive-ring slot in private
 * memory (shadow), so a rebuild never trusts the shared ring.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* fallocate */
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "sl_shmring_pvt.h"

struct sl_shmring_prod {
	/* data path */
	struct shm_ring_idx *rx_idx;
	struct shm_desc *rx;
	struct shm_ring_idx *free_idx;
	const volatile uint64_t *free_ring;
	uint8_t *frames;
	uint32_t *shadow;         /* [rx_size] frame index published in each slot */
	uint64_t frames_len;
	uint32_t frame_size;
	uint32_t frame_shift;
	uint32_t rx_size;
	uint32_t rx_mask;
	uint32_t free_size;
	uint32_t free_mask;
	uint32_t rx_prod;         /* ours; published with release */
	uint32_t rx_cons_cache;   /* consumer's, last valid value read */
	uint32_t free_cons;       /* ours; published with release */
	uint32_t free_prod_cache; /* consumer's, last valid value read */
	bool alive;               /* verdict of the last sl_shmring_poll() */
	struct sl_shmring_prod_stats st;
	/* control */
	struct shm_hdr *hdr;
	volatile uint64_t *free_ring_w; /* same memory as free_ring, for rebuilds */
	uint64_t *queued;         /* [n_frames bits] rebuild scratch */
	uint64_t *seen;           /* [n_frames bits] rebuild scratch */
	uint64_t acked;           /* last attach request answered */
	uint64_t last_rebuild_ns;
	bool rebuilt;
	uint32_t n_frames;
	void *base;
	size_t map_len;
	int fd;
	char *path;
};

static uint64_t
round_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) / a * a;
}

static uint64_t
new_generation(void)
{
	struct timespec ts;
	uint64_t g;

	clock_gettime(CLOCK_REALTIME, &ts);
	g = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	g ^= (uint64_t)getpid() << 40;
	return g != 0 ? g : 1;
}

static void
prod_free(struct sl_shmring_prod *p)
{
	if (p->base != NULL)
		munmap(p->base, p->map_len);
	if (p->fd >= 0)
		close(p->fd);
	free(p->shadow);
	free(p->queued);
	free(p->seen);
	free(p->path);
	free(p);
}

/* Write header and rings of a fresh (zeroed) mapping. */
static void
region_init(struct sl_shmring_prod *p, const struct shm_geom *g)
{
	struct shm_hdr *h = p->hdr;

	h->version = SL_SHMRING_VERSION;
	h->hdr_size = SHM_HDR_SIZE;
	h->frame_size = g->frame_size;
	h->n_frames = g->n_frames;
	h->rx_size = g->rx_size;
	h->free_size = g->free_size;
	h->rx_off = g->rx_off;
	h->free_off = g->free_off;
	h->frames_off = g->frames_off;
	h->region_size = g->region_size;
	h->generation = new_generation();
	h->producer_pid = (uint32_t)getpid();
	h->desc_size = SHM_DESC_SIZE;
	atomic_store_explicit(&h->attach_ack, 0, memory_order_relaxed);
	atomic_store_explicit(&h->attach_req, 0, memory_order_relaxed);
	atomic_store_explicit(&h->heartbeat_ns, 0, memory_order_relaxed);

	p->rx_prod = p->rx_cons_cache = SHM_INDEX_START;
	p->free_cons = SHM_INDEX_START;
	p->free_prod_cache = SHM_INDEX_START + g->n_frames;
	for (uint32_t f = 0; f < g->n_frames; f++)
		p->free_ring_w[(SHM_INDEX_START + f) & p->free_mask] = (uint64_t)f << g->frame_shift;
	atomic_store_explicit(&p->rx_idx->prod, p->rx_prod, memory_order_relaxed);
	atomic_store_explicit(&p->rx_idx->cons, p->rx_prod, memory_order_relaxed);
	atomic_store_explicit(&p->free_idx->cons, p->free_cons, memory_order_relaxed);
	atomic_store_explicit(&p->free_idx->prod, p->free_prod_cache, memory_order_relaxed);
	atomic_store_explicit(&h->producer_state, SHM_STATE_ACTIVE, memory_order_relaxed);
	/* Last: the magic. rename() publishes the file afterwards anyway. */
	h->magic = SHM_MAGIC;
	atomic_thread_fence(memory_order_release);
}

int
sl_shmring_create(const char *path, uint32_t frame_size, uint32_t n_frames,
		  struct sl_shmring_prod **out)
{
	struct sl_shmring_prod *p;
	struct shm_geom g;
	struct statfs sfs;
	char tmp[PATH_MAX];
	uint64_t file_size, bsize;
	int rc, n;

	if (out != NULL)
		*out = NULL;
	if (path == NULL || out == NULL || sl_shmring_geom_make(frame_size, n_frames, &g) != 0)
		return -EINVAL;
	n = snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return -ENOMEM;
	p->fd = -1;
	p->path = strdup(path);
	p->shadow = calloc(g.rx_size, sizeof(*p->shadow));
	p->queued = calloc((g.n_frames + 63) / 64, sizeof(uint64_t));
	p->seen = calloc((g.n_frames + 63) / 64, sizeof(uint64_t));
	if (p->path == NULL || p->shadow == NULL || p->queued == NULL || p->seen == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	p->fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0660);
	if (p->fd < 0 && errno == EEXIST) {
		/* left over by a process that had our pid */
		unlink(tmp);
		p->fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0660);
	}
	if (p->fd < 0) {
		rc = -errno;
		goto fail;
	}
	if (fstatfs(p->fd, &sfs) != 0) {
		rc = -errno;
		goto fail_unlink;
	}
	bsize = sfs.f_bsize > 0 ? (uint64_t)sfs.f_bsize : 4096;
	file_size = round_up(g.region_size, bsize);
	if (file_size > SIZE_MAX || file_size > (uint64_t)INT64_MAX) {
		rc = -EINVAL;
		goto fail_unlink;
	}
	if (ftruncate(p->fd, (off_t)file_size) != 0) {
		rc = -errno;
		goto fail_unlink;
	}
	/* Reserve the memory now: ENOSPC here rather than SIGBUS on first touch. */
	if (fallocate(p->fd, 0, 0, (off_t)file_size) != 0 && errno != EOPNOTSUPP &&
	    errno != ENOSYS) {
		rc = -errno;
		goto fail_unlink;
	}
	p->map_len = (size_t)file_size;
	p->base = mmap(NULL, p->map_len, PROT_READ | PROT_WRITE, MAP_SHARED, p->fd, 0);
	if (p->base == MAP_FAILED) {
		p->base = NULL;
		rc = -errno;
		goto fail_unlink;
	}
	p->hdr = p->base;
	p->rx_idx = (struct shm_ring_idx *)((uint8_t *)p->base + g.rx_off);
	p->rx = (struct shm_desc *)((uint8_t *)p->rx_idx + SHM_RING_HDR);
	p->free_idx = (struct shm_ring_idx *)((uint8_t *)p->base + g.free_off);
	p->free_ring_w = (volatile uint64_t *)((uint8_t *)p->free_idx + SHM_RING_HDR);
	p->free_ring = p->free_ring_w;
	p->frames = (uint8_t *)p->base + g.frames_off;
	p->frames_len = g.frames_len;
	p->frame_size = g.frame_size;
	p->frame_shift = g.frame_shift;
	p->n_frames = g.n_frames;
	p->rx_size = g.rx_size;
	p->rx_mask = g.rx_size - 1;
	p->free_size = g.free_size;
	p->free_mask = g.free_size - 1;
	region_init(p, &g);
	if (rename(tmp, path) != 0) {
		rc = -errno;
		goto fail_unlink;
	}
	*out = p;
	return 0;

fail_unlink:
	unlink(tmp);
fail:
	prod_free(p);
	return rc;
}

/* Re-read the consumer index; room on the receive ring. */
static uint32_t
rx_room(struct sl_shmring_prod *p, uint32_t want)
{
	uint32_t room = p->rx_size - (p->rx_prod - p->rx_cons_cache);
	uint32_t c, used;

	if (room >= want)
		return room;
	/* acquire: the consumer has finished reading the slots it gave back */
	c = atomic_load_explicit(&p->rx_idx->cons, memory_order_acquire);
	used = p->rx_prod - c;
	if (used > p->rx_size) {
		p->st.bad_index++;
		return room;
	}
	p->rx_cons_cache = c;
	return p->rx_size - used;
}

/* Re-read the free ring's producer index; false when nothing new. */
static bool
free_refill(struct sl_shmring_prod *p)
{
	/* acquire: the entries, and the consumer's reads of those frames */
	uint32_t fp = atomic_load_explicit(&p->free_idx->prod, memory_order_acquire);
	uint32_t avail = fp - p->free_cons;

	if (avail > p->free_size) {
		p->st.bad_index++;
		return false;
	}
	p->free_prod_cache = fp;
	return avail != 0;
}

/*
 * Next valid frame from the free ring. Invalid entries are consumed and
 * counted; at most *budget of them per burst, so a consumer writing garbage
 * as fast as we read cannot hold the worker here.
 */
static inline bool
take_frame(struct sl_shmring_prod *p, uint64_t *off, uint32_t *budget)
{
	for (;;) {
		if (p->free_cons == p->free_prod_cache && !free_refill(p))
			return false;
		uint64_t o = p->free_ring[p->free_cons & p->free_mask];

		p->free_cons++;
		if (o < p->frames_len && (o & (p->frame_size - 1)) == 0) {
			*off = o;
			return true;
		}
		p->st.bad_free++;
		if (--*budget == 0)
			return false;
	}
}

static inline void
put_packet(struct sl_shmring_prod *p, uint64_t off, const void *data, uint32_t len,
	   uint64_t ts_ns, uint32_t hash, uint16_t tenant)
{
	uint32_t cap = len < p->frame_size ? len : p->frame_size;
	uint32_t slot = p->rx_prod & p->rx_mask;
	struct shm_desc *d = &p->rx[slot];

	if (cap != 0)
		memcpy(p->frames + off, data, cap);
	d->offset = off;
	d->len = len;
	d->caplen = cap;
	d->ts_ns = ts_ns;
	d->hash = hash;
	d->tenant = tenant;
	d->flags = cap < len ? SL_SHMRING_F_TRUNCATED : 0;
	if (cap < len)
		p->st.truncated++;
	p->shadow[slot] = (uint32_t)(off >> p->frame_shift);
	p->rx_prod++;
}

/*
 * The free ring's index first, then the receive ring's: a consumer that sees
 * a descriptor must also see that its frame left the free ring, or the free
 * ring looks full to it (every slot still counted as ours) and it cannot give
 * that frame back. The acquire of rx prod on its side carries the free index
 * with it. (The other order lost one frame in a million to the consumer's
 * release_refused: tests/unit/test_shmring.c, test_release_never_refused.)
 */
static inline void
publish(struct sl_shmring_prod *p, uint32_t free_cons_before)
{
	/* release: our reads of the free entries before the consumer reuses the slots */
	if (p->free_cons != free_cons_before)
		atomic_store_explicit(&p->free_idx->cons, p->free_cons, memory_order_release);
	/* release: descriptors, frame bytes and the free index before the index */
	atomic_store_explicit(&p->rx_idx->prod, p->rx_prod, memory_order_release);
}

int
sl_shmring_produce(struct sl_shmring_prod *p, const void *data, uint32_t len, uint64_t ts_ns,
		   uint32_t hash, uint16_t tenant)
{
	uint32_t free_cons = 0, budget;
	uint64_t off;

	if (p == NULL || (data == NULL && len != 0))
		return -EINVAL;
	if (!p->alive) {
		p->st.no_consumer++;
		return -ENOTCONN;
	}
	free_cons = p->free_cons;
	budget = p->free_size;
	if (rx_room(p, 1) == 0 || !take_frame(p, &off, &budget)) {
		if (p->free_cons != free_cons)
			atomic_store_explicit(&p->free_idx->cons, p->free_cons,
					      memory_order_release);
		p->st.refused_full++;
		return -ENOBUFS;
	}
	put_packet(p, off, data, len, ts_ns, hash, tenant);
	publish(p, free_cons);
	p->st.delivered++;
	return 0;
}

unsigned int
sl_shmring_produce_burst(struct sl_shmring_prod *p, const struct sl_shmring_tx *pkts,
			 unsigned int n)
{
	uint32_t free_cons, budget, room;
	unsigned int i;
	uint64_t off;

	if (p == NULL || pkts == NULL || n == 0)
		return 0;
	if (!p->alive) {
		p->st.no_consumer += n;
		return 0;
	}
	free_cons = p->free_cons;
	budget = p->free_size;
	room = rx_room(p, n);
	for (i = 0; i < n && i < room; i++) {
		const struct sl_shmring_tx *t = &pkts[i];

		if (t->data == NULL && t->len != 0)
			break;
		if (!take_frame(p, &off, &budget))
			break;
		put_packet(p, off, t->data, t->len, t->ts_ns, t->hash, t->tenant);
	}
	publish(p, free_cons);
	p->st.delivered += i;
	p->st.refused_full += n - i;
	return i;
}

static inline void
bit_set(uint64_t *b, uint32_t i)
{
	b[i / 64] |= 1ull << (i % 64);
}

static inline bool
bit_test(const uint64_t *b, uint32_t i)
{
	return (b[i / 64] >> (i % 64)) & 1;
}

/*
 * Answer attach request @p req. The requesting consumer does not touch the
 * rings until it reads @p req in attach_ack, and flock keeps any other
 * consumer out, so for now the producer owns all four ring indexes.
 */
static void
rebuild(struct sl_shmring_prod *p, uint64_t req, uint64_t now_ns)
{
	size_t words = (p->n_frames + 63) / 64;
	uint32_t c, fp, queued, pending, distinct = 0, k = 0;

	memset(p->queued, 0, words * sizeof(uint64_t));
	memset(p->seen, 0, words * sizeof(uint64_t));
	/* Queued descriptors stay for the new consumer, offsets from the shadow. */
	c = atomic_load_explicit(&p->rx_idx->cons, memory_order_acquire);
	queued = p->rx_prod - c;
	if (queued > p->rx_size) {
		p->st.bad_index++;
		c = p->rx_prod;
		queued = 0;
		atomic_store_explicit(&p->rx_idx->cons, c, memory_order_relaxed);
	}
	for (uint32_t i = c; i != p->rx_prod; i++) {
		uint32_t slot = i & p->rx_mask, f = p->shadow[slot];

		bit_set(p->queued, f);
		p->rx[slot].offset = (uint64_t)f << p->frame_shift;
	}
	p->rx_cons_cache = c;
	/* Frames waiting on the free ring, for the reclaimed count only. */
	fp = atomic_load_explicit(&p->free_idx->prod, memory_order_acquire);
	pending = fp - p->free_cons;
	if (pending > p->free_size) {
		p->st.bad_index++;
		pending = 0;
	}
	for (uint32_t i = 0; i < pending; i++) {
		uint64_t o = p->free_ring[(p->free_cons + i) & p->free_mask];
		uint32_t f;

		if (o >= p->frames_len || (o & (p->frame_size - 1)) != 0)
			continue;
		f = (uint32_t)(o >> p->frame_shift);
		if (!bit_test(p->queued, f) && !bit_test(p->seen, f)) {
			bit_set(p->seen, f);
			distinct++;
		}
	}
	/* Every frame not queued goes on the free ring. */
	for (uint32_t f = 0; f < p->n_frames; f++)
		if (!bit_test(p->queued, f))
			p->free_ring_w[(p->free_cons + k++) & p->free_mask] =
				(uint64_t)f << p->frame_shift;
	p->free_prod_cache = p->free_cons + k;
	atomic_store_explicit(&p->free_idx->prod, p->free_prod_cache, memory_order_relaxed);
	atomic_store_explicit(&p->free_idx->cons, p->free_cons, memory_order_relaxed);
	atomic_store_explicit(&p->rx_idx->prod, p->rx_prod, memory_order_relaxed);
	p->st.attaches++;
	p->st.requeued += queued;
	p->st.reclaimed += p->n_frames - queued - distinct;
	p->acked = req;
	p->rebuilt = true;
	p->last_rebuild_ns = now_ns;
	/* release: the rebuilt rings before the answer */
	atomic_store_explicit(&p->hdr->attach_ack, req, memory_order_release);
}

static bool
heartbeat_fresh(uint64_t hb, uint64_t now_ns, uint64_t timeout_ns)
{
	if (hb == 0)
		return false;
	return (now_ns >= hb ? now_ns - hb : hb - now_ns) <= timeout_ns;
}

static void
publish_stats(struct sl_shmring_prod *p)
{
	for (unsigned int c = 0; c < SL_SHMRING_PROD_STAT_MAX; c++)
		atomic_store_explicit(&p->hdr->prod_stats[c], sl_shmring_prod_stat(&p->st, c),
				      memory_order_relaxed);
}

int
sl_shmring_poll(struct sl_shmring_prod *p, uint64_t now_ns, uint64_t timeout_ns)
{
	uint64_t req, hb;

	if (p == NULL)
		return -EINVAL;
	/* acquire: the new consumer's heartbeat, written before its request */
	req = atomic_load_explicit(&p->hdr->attach_req, memory_order_acquire);
	if (req != p->acked &&
	    (!p->rebuilt || now_ns - p->last_rebuild_ns >= SHM_REBUILD_MIN_NS))
		rebuild(p, req, now_ns);
	hb = atomic_load_explicit(&p->hdr->heartbeat_ns, memory_order_relaxed);
	p->alive = req == p->acked && heartbeat_fresh(hb, now_ns, timeout_ns);
	publish_stats(p);
	return p->alive ? 1 : 0;
}

bool
sl_shmring_consumer_alive(const struct sl_shmring_prod *p, uint64_t now_ns, uint64_t timeout_ns)
{
	if (p == NULL)
		return false;
	if (atomic_load_explicit(&p->hdr->attach_req, memory_order_relaxed) != p->acked)
		return false;
	return heartbeat_fresh(atomic_load_explicit(&p->hdr->heartbeat_ns, memory_order_relaxed),
			       now_ns, timeout_ns);
}

const struct sl_shmring_prod_stats *
sl_shmring_producer_stats(const struct sl_shmring_prod *p)
{
	return p != NULL ? &p->st : NULL;
}

void
sl_shmring_destroy(struct sl_shmring_prod *p, bool unlink_file)
{
	struct stat mine, named;

	if (p == NULL)
		return;
	publish_stats(p);
	atomic_store_explicit(&p->hdr->producer_state, SHM_STATE_CLOSED, memory_order_release);
	if (unlink_file && fstat(p->fd, &mine) == 0 && stat(p->path, &named) == 0 &&
	    mine.st_dev == named.st_dev && mine.st_ino == named.st_ino)
		unlink(p->path);
	prod_free(p);
}
