/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared-memory ring: region geometry (made by the producer, checked by the
 * consumer), counter names, the heartbeat clock.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* clock_gettime */
#endif
#include <errno.h>
#include <stddef.h>
#include <time.h>

#include "sl_shmring_pvt.h"

#define SL_SHMRING_X_NAME(f) #f,
static const char *const prod_stat_names[] = { SL_SHMRING_PROD_STATS(SL_SHMRING_X_NAME) };
static const char *const cons_stat_names[] = { SL_SHMRING_CONS_STATS(SL_SHMRING_X_NAME) };
#undef SL_SHMRING_X_NAME
#define SL_SHMRING_X_OFF(f) offsetof(struct sl_shmring_prod_stats, f),
static const size_t prod_stat_offs[] = { SL_SHMRING_PROD_STATS(SL_SHMRING_X_OFF) };
#undef SL_SHMRING_X_OFF
#define SL_SHMRING_X_OFF(f) offsetof(struct sl_shmring_cons_stats, f),
static const size_t cons_stat_offs[] = { SL_SHMRING_CONS_STATS(SL_SHMRING_X_OFF) };
#undef SL_SHMRING_X_OFF

const char *
sl_shmring_prod_stat_name(unsigned int c)
{
	return c < SL_SHMRING_PROD_STAT_MAX ? prod_stat_names[c] : NULL;
}

uint64_t
sl_shmring_prod_stat(const struct sl_shmring_prod_stats *s, unsigned int c)
{
	if (s == NULL || c >= SL_SHMRING_PROD_STAT_MAX)
		return 0;
	return *(const uint64_t *)((const char *)s + prod_stat_offs[c]);
}

const char *
sl_shmring_cons_stat_name(unsigned int c)
{
	return c < SL_SHMRING_CONS_STAT_MAX ? cons_stat_names[c] : NULL;
}

uint64_t
sl_shmring_cons_stat(const struct sl_shmring_cons_stats *s, unsigned int c)
{
	if (s == NULL || c >= SL_SHMRING_CONS_STAT_MAX)
		return 0;
	return *(const uint64_t *)((const char *)s + cons_stat_offs[c]);
}

uint64_t
sl_shmring_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t
align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

static uint32_t
log2_u32(uint32_t v)
{
	return (uint32_t)__builtin_ctz(v);
}

static int
frame_size_ok(uint64_t v)
{
	return shm_is_pow2(v) && v >= SL_SHMRING_FRAME_MIN && v <= SL_SHMRING_FRAME_MAX;
}

static int
count_ok(uint64_t v)
{
	return shm_is_pow2(v) && v >= SL_SHMRING_FRAMES_MIN && v <= SL_SHMRING_FRAMES_MAX;
}

int
sl_shmring_geom_make(uint32_t frame_size, uint32_t n_frames, struct shm_geom *g)
{
	if (g == NULL || !frame_size_ok(frame_size) || !count_ok(n_frames))
		return -EINVAL;
	/* Bounded: 2^24 frames of 2^20 bytes, rings of 2^24 entries; no overflow. */
	g->frame_size = frame_size;
	g->frame_shift = log2_u32(frame_size);
	g->n_frames = n_frames;
	g->rx_size = n_frames;
	g->free_size = n_frames;
	g->rx_off = SHM_HDR_SIZE;
	g->free_off = align_up(g->rx_off + SHM_RING_HDR + (uint64_t)g->rx_size * SHM_DESC_SIZE,
			       SHM_ALIGN);
	g->frames_off = align_up(g->free_off + SHM_RING_HDR + (uint64_t)g->free_size * 8,
				 SHM_FRAMES_ALIGN);
	g->frames_len = (uint64_t)n_frames * frame_size;
	g->region_size = g->frames_off + g->frames_len;
	return 0;
}

/* *end = off + fixed + n * each, -EINVAL on overflow. */
static int
span_end(uint64_t off, uint64_t fixed, uint64_t n, uint64_t each, uint64_t *end)
{
	uint64_t body, e;

	if (__builtin_mul_overflow(n, each, &body) || __builtin_add_overflow(off, fixed, &e) ||
	    __builtin_add_overflow(e, body, &e))
		return -EINVAL;
	*end = e;
	return 0;
}

int
sl_shmring_geom_check(const struct shm_hdr *h, uint64_t file_size, struct shm_geom *g)
{
	uint64_t rx_end, free_end, frames_end;

	if (h->magic != SHM_MAGIC || h->version != SL_SHMRING_VERSION)
		return -EBADMSG;
	if (h->hdr_size != SHM_HDR_SIZE || h->desc_size != SHM_DESC_SIZE)
		return -EINVAL;
	if (!frame_size_ok(h->frame_size) || !count_ok(h->n_frames) || !count_ok(h->rx_size) ||
	    !count_ok(h->free_size) || h->free_size < h->n_frames)
		return -EINVAL;
	/* Fixed order, no overlap: header < rx ring < free ring < frames. */
	if (h->rx_off < SHM_HDR_SIZE || h->rx_off % SHM_ALIGN != 0 ||
	    span_end(h->rx_off, SHM_RING_HDR, h->rx_size, SHM_DESC_SIZE, &rx_end) != 0)
		return -EINVAL;
	if (h->free_off < rx_end || h->free_off % SHM_ALIGN != 0 ||
	    span_end(h->free_off, SHM_RING_HDR, h->free_size, 8, &free_end) != 0)
		return -EINVAL;
	if (h->frames_off < free_end || h->frames_off % SHM_ALIGN != 0 ||
	    span_end(h->frames_off, 0, h->n_frames, h->frame_size, &frames_end) != 0)
		return -EINVAL;
	if (h->region_size != frames_end || frames_end > file_size)
		return -EINVAL;
	g->frame_size = h->frame_size;
	g->frame_shift = log2_u32(h->frame_size);
	g->n_frames = h->n_frames;
	g->rx_size = h->rx_size;
	g->free_size = h->free_size;
	g->rx_off = h->rx_off;
	g->free_off = h->free_off;
	g->frames_off = h->frames_off;
	g->frames_len = frames_end - h->frames_off;
	g->region_size = frames_end;
	return 0;
}
