/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The worker lcore: poll RX queues (and, in software distribution, hand
 * each packet to the worker owning its flow), classify, look flows up in
 * bulk, pick the pool member, buffer TX per member, age flows, answer the
 * control loop's snapshot requests.
 *
 * Every packet that enters a worker ends in exactly one counter: forwarded,
 * filtered (by reason), dropped (by reason), handed off to another worker,
 * tx_buffered (a gauge) until its buffer is flushed, or frag_held (a gauge)
 * while a fragment waits for its datagram's first fragment.
 */
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_hash_crc.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>
#include <rte_ring.h>

#include "sl_policy.h"
#include "sl_shmring.h"
#include "sluice.h"

/* How far ahead of the packet being handled its flow entry is prefetched. */
#define SL_PREFETCH_OFFSET 4
#define STAGE3_FRAG 0x8000u
#define TCP_FIN 0x01
#define TCP_RST 0x04
/* Records and control requests between a worker and the control lcore. */
#define SL_RECORD_RING 16384
#define SL_MAILBOX_RING 64

static inline struct sl_meta *
meta_of(struct rte_mbuf *m)
{
	return rte_mbuf_to_priv(m);
}

/* L2 failures leave no VLAN to find a tenant by: the frame is dropped. */
static inline bool
l2_fatal(uint8_t err)
{
	return err == SL_PARSE_ERR_L2_TRUNCATED || err == SL_PARSE_ERR_VLAN_TRUNCATED;
}

/*
 * The parser writes its result field by field; merging the copies below into
 * wide loads (GCC's SLP vectorizer does) makes each wide load span several
 * narrow stores just made, which the CPU cannot forward: a ~15-cycle stall
 * per packet, measured with perf annotate. Copy field by field.
 */
__attribute__((optimize("no-tree-slp-vectorize", "no-store-merging"))) void
sl_classify(const struct sl_app *app, const struct rte_mbuf *m, uint16_t input,
	    struct sl_meta *md)
{
	struct sl_pkt_info pi;

	sl_parse(&app->parse_cfg, rte_pktmbuf_mtod(m, const uint8_t *), rte_pktmbuf_data_len(m),
		 &pi);
	md->input = input;
	md->err = pi.err;
	md->l3 = pi.l3;
	md->tcp_flags = pi.tcp_flags;
	md->frag = pi.frag;
	md->encap_err = pi.encap_err;
	md->encap_mask = pi.encap_mask;
	md->frag_off = pi.frag_off;
	md->frag_id = pi.frag_id;
	md->frag_len = pi.frag_len;
	md->inner_off = pi.n_encap ? pi.inner_off : 0;
	md->l3_off = pi.l3_off;
	md->n_encap = pi.n_encap;
	md->tenant = l2_fatal(pi.err) ? SL_NO_TENANT : sl_tenant_lookup(app, input, &pi);
	md->dir = (uint8_t)sl_flow_key_build(&pi, md->tenant, &md->key);
	md->hash = sl_flow_hash(&md->key, app->cfg->hash_seed);
}

static inline void
drop_pkt(struct sl_worker *w, struct rte_mbuf *m, unsigned int reason, uint16_t tenant)
{
	const struct sl_stats_layout *l = &w->app->layout;

	w->c[SL_WC_DROPPED]++;
	w->c[sl_ix_drop(l, reason)]++;
	if (tenant != SL_NO_TENANT)
		w->c[sl_ix_tenant(l, tenant, SL_TC_DROPPED)]++;
	rte_pktmbuf_free(m);
}

static inline void
filter_pkt(struct sl_worker *w, struct rte_mbuf *m, unsigned int reason, uint16_t tenant)
{
	const struct sl_stats_layout *l = &w->app->layout;

	w->c[SL_WC_FILTERED]++;
	w->c[sl_ix_filter(l, reason)]++;
	w->c[sl_ix_tenant(l, tenant, SL_TC_FILTERED)]++;
	rte_pktmbuf_free(m);
}

/* Counters of a burst handed to a member: sent accepted, refused by a full
 * queue or ring, down refused because the member had no live peer. */
static inline void
count_sent(struct sl_worker *w, uint32_t gm, uint16_t sent, uint64_t bytes, uint16_t refused,
	   uint16_t down)
{
	const struct sl_stats_layout *l = &w->app->layout;
	const struct sl_member_rt *mr = &w->app->members[gm];

	w->c[SL_WC_TX_BUFFERED] -= sent + refused + down;
	w->c[SL_WC_FORWARDED] += sent;
	w->c[SL_WC_FORWARDED_BYTES] += bytes;
	w->c[sl_ix_member(l, gm, SL_MC_PACKETS)] += sent;
	w->c[sl_ix_member(l, gm, SL_MC_BYTES)] += bytes;
	w->c[sl_ix_tenant(l, mr->tenant, SL_TC_FORWARDED)] += sent;
	if (unlikely(refused + down > 0)) {
		w->c[SL_WC_DROPPED] += refused + down;
		w->c[sl_ix_drop(l, SL_DROP_TX_REFUSED)] += refused;
		w->c[sl_ix_member(l, gm, SL_MC_TX_REFUSED)] += refused;
		w->c[sl_ix_drop(l, SL_DROP_MEMBER_DOWN)] += down;
		w->c[sl_ix_member(l, gm, SL_MC_LINK_DOWN)] += down;
		w->c[sl_ix_tenant(l, mr->tenant, SL_TC_DROPPED)] += refused + down;
	}
}

/*
 * A burst to a shared-memory ring member: the packets are copied into the
 * region and the mbufs freed. A packet in several segments is read into the
 * worker's scratch buffer first (lib/shmring copies from one buffer), up to
 * the frame size. The producer is shared by the workers, and polled by the
 * control thread: one lock per burst.
 */
static void
flush_ring(struct sl_worker *w, uint32_t gm)
{
	const struct sl_member_rt *mr = &w->app->members[gm];
	struct sl_txbuf *b = &w->tx[gm];
	struct sl_shmring_tx tx[SL_BURST];
	uint64_t ts = sl_unix_ns(w->app, rte_rdtsc()), bytes = 0;
	uint16_t n = b->n, sent = 0, start = 0;
	uint64_t down0;

	rte_spinlock_lock(mr->lock);
	down0 = sl_shmring_producer_stats(mr->ring)->no_consumer;
	for (uint16_t i = 0; i <= n; i++) {
		struct rte_mbuf *m = i < n ? b->pkts[i] : NULL;

		/* a run of single-segment packets goes in one burst */
		if (m != NULL && m->nb_segs == 1) {
			tx[i] = (struct sl_shmring_tx){ .data = rte_pktmbuf_mtod(m, const void *),
							.ts_ns = ts,
							.len = rte_pktmbuf_pkt_len(m),
							.hash = m->hash.rss,
							.tenant = mr->tenant_id };
			continue;
		}
		unsigned int done = sl_shmring_produce_burst(mr->ring, &tx[start], i - start);

		for (unsigned int k = 0; k < done; k++)
			bytes += tx[start + k].len;
		sent += done;
		if (m == NULL)
			break;
		uint32_t len = rte_pktmbuf_pkt_len(m);
		uint32_t cap = RTE_MIN(len, w->scratch_len);
		const void *d = rte_pktmbuf_read(m, 0, cap, w->scratch);

		if (d != NULL && sl_shmring_produce(mr->ring, d, len, ts, m->hash.rss,
						    mr->tenant_id) == 0) {
			sent++;
			bytes += len;
		}
		start = i + 1;
	}
	uint16_t down = (uint16_t)(sl_shmring_producer_stats(mr->ring)->no_consumer - down0);
	rte_spinlock_unlock(mr->lock);
	for (uint16_t i = 0; i < n; i++)
		rte_pktmbuf_free(b->pkts[i]);
	count_sent(w, gm, sent, bytes, n - sent - down, down);
	b->n = 0;
}

static void
flush_member(struct sl_worker *w, uint32_t gm)
{
	struct sl_app *app = w->app;
	const struct sl_member_rt *mr = &app->members[gm];
	struct sl_txbuf *b = &w->tx[gm];
	uint16_t n = b->n, sent, q;
	uint64_t bytes = 0;

	if (n == 0)
		return;
	if (mr->ring != NULL) {
		flush_ring(w, gm);
		return;
	}
	for (uint16_t i = 0; i < n; i++)
		bytes += rte_pktmbuf_pkt_len(b->pkts[i]);
	q = mr->queue == SL_QUEUE_PER_WORKER ? w->idx : mr->queue;
	if (mr->lock != NULL) {
		rte_spinlock_lock(mr->lock);
		sent = rte_eth_tx_burst(mr->port, q, b->pkts, n);
		rte_spinlock_unlock(mr->lock);
	} else {
		sent = rte_eth_tx_burst(mr->port, q, b->pkts, n);
	}
	/* What the queue refused is freed and counted (l3fwd send_burst). */
	for (uint16_t i = sent; i < n; i++) {
		bytes -= rte_pktmbuf_pkt_len(b->pkts[i]);
		rte_pktmbuf_free(b->pkts[i]);
	}
	count_sent(w, gm, sent, bytes, n - sent, 0);
	b->n = 0;
}

static void
flush_all(struct sl_worker *w)
{
	for (uint32_t i = 0; i < w->n_dirty; i++) {
		uint32_t gm = w->dirty[i];

		flush_member(w, gm);
		w->tx[gm].on_dirty = 0;
	}
	w->n_dirty = 0;
}

static inline void
tx_enqueue(struct sl_worker *w, uint32_t gm, struct rte_mbuf *m)
{
	struct sl_txbuf *b = &w->tx[gm];

	if (!b->on_dirty) {
		b->on_dirty = 1;
		w->dirty[w->n_dirty++] = gm;
	}
	b->pkts[b->n++] = m;
	w->c[SL_WC_TX_BUFFERED]++;
	if (b->n == SL_BURST)
		flush_member(w, gm);
}

/*
 * Remove every decapsulated layer for pools with `strip`: the member gets
 * the innermost Ethernet frame, or, when the innermost packet was carried
 * without Ethernet (IP-in-IP, GRE/GENEVE IP, MPLS, PPPoE), that packet behind
 * an Ethernet header built from the outer frame's MAC addresses.
 * outer-retag then inserts an 802.1Q tag with the pool's retag_vlan;
 * outer-keep-vlan one with the outer frame's (the tenant's) VLAN id.
 * Returns false when the frame could not be rewritten (counted by caller).
 */
static bool
strip_outer(struct rte_mbuf *m, const struct sl_meta *md, const struct sl_pool_rt *p)
{
	uint8_t macs[2 * RTE_ETHER_ADDR_LEN];
	uint16_t off = md->inner_off;

	if (off == 0 || off >= rte_pktmbuf_data_len(m))
		return true; /* nothing was decapsulated: delivered unchanged */
	memcpy(macs, rte_pktmbuf_mtod(m, const uint8_t *), sizeof(macs));
	if (off == md->l3_off) {
		/* innermost is bare IP: keep 14 bytes in front of it for a new
		 * Ethernet header */
		if (off < RTE_ETHER_HDR_LEN)
			return false;
		rte_pktmbuf_adj(m, off - RTE_ETHER_HDR_LEN);
		struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
		memcpy(eh, macs, sizeof(macs));
		eh->ether_type = rte_cpu_to_be_16(
			(rte_pktmbuf_mtod_offset(m, const uint8_t *, RTE_ETHER_HDR_LEN)[0] >> 4) == 6
				? RTE_ETHER_TYPE_IPV6 : RTE_ETHER_TYPE_IPV4);
	} else {
		rte_pktmbuf_adj(m, off);
	}
	uint16_t tag = p->strip == SL_STRIP_OUTER_RETAG      ? p->retag_vlan
		       : p->strip == SL_STRIP_OUTER_KEEP_VLAN ? md->key.vlan[0]
							      : 0;
	if (tag != 0) {
		m->vlan_tci = tag;
		if (rte_vlan_insert(&m) != 0)
			return false;
	}
	return true;
}

static inline bool
member_down(const struct sl_app *app, uint32_t gm)
{
	return __atomic_load_n(&app->member_down[gm], __ATOMIC_RELAXED) != 0;
}

/* A packet for a member that is down: counted as link_down. */
static void
drop_member_down(struct sl_worker *w, uint32_t gm, struct rte_mbuf *m)
{
	w->c[sl_ix_member(&w->app->layout, gm, SL_MC_LINK_DOWN)]++;
	drop_pkt(w, m, SL_DROP_MEMBER_DOWN, w->app->members[gm].tenant);
}

/* Buffer a packet for a member the caller found up, stripped first when its
 * pool says so. */
static inline void
deliver_up(struct sl_worker *w, uint32_t gm, struct rte_mbuf *m, const struct sl_meta *md)
{
	m->hash.rss = md->hash; /* ring descriptors carry it */
	/* untunnelled packets (the common case) never look at the pool */
	if (unlikely(md->n_encap > 0)) {
		const struct sl_member_rt *mr = &w->app->members[gm];
		const struct sl_pool_rt *p = &w->app->tenants[mr->tenant].pools[mr->pool];

		if (p->strip != SL_STRIP_NONE) {
			if (!strip_outer(m, md, p)) {
				drop_pkt(w, m, SL_DROP_STRIP_FAILED, mr->tenant);
				return;
			}
			w->c[SL_WC_STRIPPED]++;
		}
	}
	tx_enqueue(w, gm, m);
}

/* Buffer a packet for a member; one that is down gets nothing. */
static inline void
deliver(struct sl_worker *w, uint32_t gm, struct rte_mbuf *m, const struct sl_meta *md)
{
	if (unlikely(member_down(w->app, gm)))
		drop_member_down(w, gm, m);
	else
		deliver_up(w, gm, m, md);
}

/* Member (index in the pool) for hash @p h: the hash's own member when it is
 * up, else one of those up (sl_member_steer(): rendezvous hashing). */
static inline uint32_t
steer(const struct sl_app *app, const struct sl_pool_rt *p, uint32_t h)
{
	return sl_member_steer(h, &app->member_down[p->first_member], p->n_members);
}

static inline uint32_t
pick_member(const struct sl_app *app, const struct sl_pool_rt *p, const struct sl_flow_key *k,
	    uint32_t hash)
{
	uint32_t h = p->fields == SL_FIELDS_5TUPLE
			     ? hash
			     : sl_flow_hash_fields(k, p->fields, app->cfg->hash_seed);

	return steer(app, p, h);
}

/* Datagram key of a fragment: its own source and destination (not ordered:
 * IP ids are per direction). */
static inline void
frag_key(const struct sl_meta *md, struct sl_frag_key *fk)
{
	const struct sl_flow_key *k = &md->key;

	memcpy(fk->src, md->dir ? k->addr_hi : k->addr_lo, 16);
	memcpy(fk->dst, md->dir ? k->addr_lo : k->addr_hi, 16);
	fk->id = md->frag_id;
	fk->tenant = md->tenant;
	fk->vlan[0] = k->vlan[0];
	fk->vlan[1] = k->vlan[1];
	fk->proto = k->proto;
	fk->family = k->family;
	fk->reserved = 0;
}

/* A held fragment goes to the member its first fragment found. */
static void
frag_release(void *pkt, uint32_t member, void *arg)
{
	struct sl_worker *w = arg;

	w->c[SL_WC_FRAG_HELD]--;
	deliver(w, member, pkt, meta_of(pkt));
}

/* No first fragment: steer by what every fragment carries (tenant, VLANs,
 * addresses, protocol), the pool's 3-tuple member. */
static uint32_t
frag_unmatched_member(struct sl_worker *w, const struct sl_meta *md)
{
	const struct sl_tenant_rt *tr = &w->app->tenants[md->tenant];
	const struct sl_pool_rt *pool = &tr->pools[tr->default_pool];
	uint32_t h = sl_flow_hash_fields(&md->key, SL_FIELDS_3TUPLE, w->app->cfg->hash_seed);

	return pool->first_member + steer(w->app, pool, h);
}

static void
frag_timeout(void *pkt, void *arg)
{
	struct sl_worker *w = arg;

	w->c[SL_WC_FRAG_HELD]--;
	deliver(w, frag_unmatched_member(w, meta_of(pkt)), pkt, meta_of(pkt));
}

/* A non-first fragment: no ports, so no flow lookup. */
static void
frag_other(struct sl_worker *w, struct rte_mbuf *m, const struct sl_meta *md, uint64_t now)
{
	struct sl_frag_key fk;
	uint32_t member;

	frag_key(md, &fk);
	if (md != meta_of(m))
		*meta_of(m) = *md; /* if held, it must outlive the caller's stack */
	switch (sl_frag_other(w->frag, &fk, sl_frag_hash(w->frag, &fk), m, md->frag_off,
			      md->frag_len, (md->frag & SL_FRAG_MORE) != 0, now, &member)) {
	case SL_FRAG_SEND:
		deliver(w, member, m, md);
		break;
	case SL_FRAG_HELD:
		w->c[SL_WC_FRAG_HELD]++;
		break;
	default:
		deliver(w, frag_unmatched_member(w, md), m, md);
		break;
	}
}

/* ---- policy, bypass, records ---- */

static inline void
bypass_pkt(struct sl_worker *w, struct rte_mbuf *m, struct sl_flow_entry *e, uint16_t t,
	   uint32_t len)
{
	const struct sl_stats_layout *l = &w->app->layout;

	e->bypass_pkts++;
	e->bypass_bytes += len;
	w->c[SL_WC_BYPASSED]++;
	w->c[SL_WC_BYPASSED_BYTES] += len;
	w->c[sl_ix_tenant(l, t, SL_TC_BYPASSED)]++;
	w->c[sl_ix_tenant(l, t, SL_TC_BYPASSED_BYTES)] += len;
	rte_pktmbuf_free(m);
}

static inline void
set_bypass(struct sl_flow_entry *e, enum sl_bypass_why why)
{
	e->flags |= SL_FLOW_F_BYPASS;
	e->bypass_why = (uint8_t)why;
	if (e->tclass != SL_TCLASS_CLOSED)
		e->tclass = SL_TCLASS_BYPASSED;
}

static inline void
clear_bypass(struct sl_flow_entry *e, uint8_t proto)
{
	e->flags &= (uint8_t)~SL_FLOW_F_BYPASS;
	e->bypass_why = SL_BYPASS_NONE;
	e->bypass_until = 0;
	if (e->tclass == SL_TCLASS_BYPASSED)
		e->tclass = (uint8_t)sl_flow_tclass_of(proto);
}

/* The verdict of a new flow: classified once, cached in the entry. */
static void
flow_verdict(struct sl_worker *w, struct sl_flow_entry *e, const struct sl_meta *md,
	     const struct sl_tenant_rt *tr)
{
	const struct sl_flow_key *k = &md->key;
	const struct sl_rule_rt *rr;
	int32_t r = -1;

	if (md->dir)
		e->flags |= SL_FLOW_F_INIT_REV;
	e->win_tsc = e->first_tsc;
	e->pool = (uint8_t)tr->default_pool;
	e->action = SL_ACT_FORWARD;
	if (tr->policy != NULL) {
		/* either direction matches: the key's order is as good as any */
		struct sl_policy_flow f = {
			.family = k->family, .proto = k->proto,
			.sport = k->port_lo, .dport = k->port_hi,
			.vlan = k->vlan[0] ? k->vlan[0] : SL_UNTAGGED_VLAN, .input = md->input,
		};

		memcpy(f.src, k->addr_lo, sizeof(f.src));
		memcpy(f.dst, k->addr_hi, sizeof(f.dst));
		r = sl_policy_classify(tr->policy, &f);
	}
	if (r < 0)
		return;
	rr = &tr->rules[r];
	e->rule = (uint32_t)r + 1;
	e->action = rr->action;
	if (rr->n_pools)
		e->pool = rr->pools[0];
	switch (rr->action) {
	case SL_ACT_BYPASS:
		set_bypass(e, SL_BYPASS_RULE);
		break;
	case SL_ACT_SLICE:
		e->flags |= SL_FLOW_F_SLICE;
		e->slice = rr->slice;
		break;
	case SL_ACT_SAMPLE:
		/* the symmetric hash, rehashed so that the choice does not
		 * follow the member choice: both directions agree */
		if (sl_hash_scale(rte_hash_crc_4byte(md->hash, 0x736c6d70), rr->sample) != 0) {
			set_bypass(e, SL_BYPASS_RULE);
			w->c[sl_ix_tenant(&w->app->layout, md->tenant, SL_TC_SAMPLED_OUT)]++;
		}
		break;
	default:
		break;
	}
}

/* Extra copies of a mirrored packet, one per pool after the first. */
static void
mirror_copies(struct sl_worker *w, const struct sl_flow_entry *e, const struct sl_meta *md,
	      struct rte_mbuf *m, const struct sl_tenant_rt *tr)
{
	const struct sl_stats_layout *l = &w->app->layout;
	const struct sl_rule_rt *rr = &tr->rules[e->rule - 1];
	/* stripping rewrites the frame: then every pool gets its own */
	bool copy = md->n_encap && rr->strips;

	for (uint8_t i = 1; i < rr->n_pools; i++) {
		const struct sl_pool_rt *p = &tr->pools[rr->pools[i]];
		struct rte_mbuf *c = m;

		w->c[SL_WC_COPIES]++;
		w->c[sl_ix_tenant(l, md->tenant, SL_TC_MIRROR_COPIES)]++;
		if (copy) {
			c = rte_pktmbuf_copy(m, w->app->pool, 0, UINT32_MAX);
			if (c == NULL) {
				w->c[SL_WC_DROPPED]++;
				w->c[sl_ix_drop(l, SL_DROP_MIRROR_NOMBUF)]++;
				w->c[sl_ix_tenant(l, md->tenant, SL_TC_DROPPED)]++;
				continue;
			}
			*meta_of(c) = *md;
		} else {
			rte_mbuf_refcnt_update(m, 1);
		}
		deliver(w, p->first_member + pick_member(w->app, p, &md->key, md->hash), c, md);
	}
}

static const struct sl_cfg_depth *
flow_depth(const struct sl_flow_entry *e, const struct sl_tenant_rt *tr)
{
	if (e->rule && tr->rules[e->rule - 1].has_depth)
		return &tr->rules[e->rule - 1].depth;
	return &tr->pools[e->pool].depth;
}

/*
 * Everything but plain forwarding: bypass (rule, sampling, depth, request,
 * elephant), policy drop, slice, mirror. Returns true when the packet was
 * consumed; false when it goes to the flow's member (maybe sliced, maybe
 * with mirror copies already sent).
 */
static bool
flow_act(struct sl_worker *w, struct sl_flow_entry *e, const struct sl_meta *md,
	 struct rte_mbuf *m, const struct sl_tenant_rt *tr, uint64_t now)
{
	const struct sl_stats_layout *l = &w->app->layout;
	uint16_t t = md->tenant;
	uint32_t len = rte_pktmbuf_pkt_len(m);

	if (e->flags & SL_FLOW_F_BYPASS) {
		if (e->bypass_until == 0 || now < e->bypass_until) {
			bypass_pkt(w, m, e, t, len);
			return true;
		}
		clear_bypass(e, md->key.proto); /* a requested bypass ran out */
	}
	if (e->action == SL_ACT_DROP) {
		e->drop_pkts++;
		e->drop_bytes += len;
		filter_pkt(w, m, SL_FILTER_POLICY_DROP, t);
		return true;
	}
	if (tr->elephant_bytes_per_sec && !(e->flags & SL_FLOW_F_ELEPHANT) &&
	    now - e->win_tsc >= tr->elephant_window_tsc) {
		uint64_t total = e->bytes[0] + e->bytes[1];
		double rate = (double)(total - e->win_bytes) * (double)w->app->tsc_hz /
			      (double)(now - e->win_tsc);

		e->win_tsc = now;
		e->win_bytes = total;
		if (rate >= (double)tr->elephant_bytes_per_sec) {
			e->flags |= SL_FLOW_F_ELEPHANT;
			w->c[SL_WC_ELEPHANTS]++;
			w->c[sl_ix_tenant(l, t, SL_TC_ELEPHANTS)]++;
			if (tr->elephant_action == SL_ELEPHANT_BYPASS) {
				set_bypass(e, SL_BYPASS_ELEPHANT);
				bypass_pkt(w, m, e, t, len);
				return true;
			}
			if (tr->elephant_action == SL_ELEPHANT_SLICE) {
				e->flags |= SL_FLOW_F_SLICE;
				e->slice = tr->elephant_slice;
			}
		}
	}
	const struct sl_cfg_depth *d = flow_depth(e, tr);
	if (d->bytes | d->packets) {
		uint8_t dir = md->dir;
		uint64_t pb, pp;

		if (d->per_direction) {
			pb = e->bytes[dir] - len;
			pp = e->pkts[dir] - 1;
		} else {
			pb = e->bytes[0] + e->bytes[1] - len;
			pp = e->pkts[0] + e->pkts[1] - 1;
		}
		if ((d->bytes && pb >= d->bytes) || (d->packets && pp >= d->packets)) {
			/* per direction: the flow is bypassed once both are */
			bool whole = !d->per_direction ||
				     (d->bytes && e->bytes[dir ^ 1] >= d->bytes) ||
				     (d->packets && e->pkts[dir ^ 1] >= d->packets);

			if (whole) {
				set_bypass(e, SL_BYPASS_DEPTH);
				w->c[sl_ix_tenant(l, t, SL_TC_DEPTH_BYPASSES)]++;
			}
			bypass_pkt(w, m, e, t, len);
			return true;
		}
	}
	if ((e->flags & SL_FLOW_F_SLICE) && len > e->slice &&
	    rte_pktmbuf_trim(m, (uint16_t)(len - e->slice)) == 0) {
		w->c[SL_WC_SLICED]++;
		w->c[sl_ix_tenant(l, t, SL_TC_SLICED)]++;
	}
	if (e->action == SL_ACT_MIRROR)
		mirror_copies(w, e, md, m, tr);
	return false;
}

/* A flow leaves the table: its record goes to the control lcore. */
static void
flow_ended(const struct sl_flow_key *k, const struct sl_flow_entry *e, void *arg)
{
	struct sl_worker *w = arg;
	const struct sl_stats_layout *l = &w->app->layout;
	struct sl_rec_msg msg;

	if (!w->app->tenants[k->tenant].records)
		return;
	msg.key = *k;
	msg.e = *e;
	msg.end_tsc = e->last_tsc;
	msg.reason = w->ending ? SL_REC_SHUTDOWN :
		     e->tclass == SL_TCLASS_CLOSED ? SL_REC_TCP_CLOSED : SL_REC_TIMEOUT;
	memset(msg.pad, 0, sizeof(msg.pad));
	while (rte_ring_sp_enqueue_elem(w->records, &msg, sizeof(msg)) != 0) {
		if (!w->ending) {
			/* the control lcore is behind: never wait on the data path */
			w->c[SL_WC_RECORDS_LOST]++;
			w->c[sl_ix_tenant(l, k->tenant, SL_TC_RECORDS_LOST)]++;
			return;
		}
		rte_pause(); /* shutdown: the control lcore is draining */
	}
	w->c[SL_WC_RECORDS]++;
	w->c[sl_ix_tenant(l, k->tenant, SL_TC_RECORDS)]++;
}

/* Control-socket requests: find the flow, set or clear its bypass, answer. */
static void
answer_mailbox(struct sl_worker *w)
{
	const struct sl_stats_layout *l = &w->app->layout;
	struct sl_bypass_req *rq;

	while (rte_ring_sc_dequeue(w->mailbox, (void **)&rq) == 0) {
		const struct sl_flow_key *kp = &rq->key;
		struct sl_flow_entry *e;

		sl_flow_lookup_bulk(w->ft, &kp, &rq->hash, 1, &e);
		w->c[SL_WC_BYPASS_REQUESTS]++;
		rq->found = e != NULL;
		if (e != NULL) {
			w->c[SL_WC_BYPASS_FOUND]++;
			if (rq->op == SL_BYPASS_OP_SET) {
				if (!(e->flags & SL_FLOW_F_BYPASS))
					w->c[sl_ix_tenant(l, kp->tenant,
							  SL_TC_REQUESTED_BYPASSES)]++;
				set_bypass(e, SL_BYPASS_REQUEST);
				e->bypass_until = rq->until_tsc;
			} else if (e->bypass_why == SL_BYPASS_REQUEST) {
				clear_bypass(e, kp->proto);
			}
		}
		/* the reply ring is as large as the mailbox: never full */
		rte_ring_sp_enqueue(w->replies, rq);
	}
}

/*
 * Handle classified packets this worker owns. md[i] describes pkts[i]: on the
 * caller's stack for packets read here, in the mbuf private area for packets
 * another worker handed over (only those pay for the extra cache line).
 */
static void
process(struct sl_worker *w, struct rte_mbuf **pkts, struct sl_meta **mds, uint16_t n,
	uint64_t now)
{
	struct sl_app *app = w->app;
	const struct sl_stats_layout *l = &app->layout;
	const struct sl_flow_key *keys[SL_BURST];
	uint32_t hashes[SL_BURST];
	struct sl_flow_entry *ent[SL_BURST];
	uint16_t idx[SL_BURST];
	/* Stage 3 works in arrival order: entries are lookup indexes, or a
	 * packet index | STAGE3_FRAG for a non-first fragment, so that a first
	 * fragment and the fragments after it in one burst keep their order. */
	uint16_t todo[SL_BURST], ntodo = 0;
	uint16_t nk = 0;

	/* Stage 1: sort out packets that never reach the flow table. */
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct sl_meta *md = mds[i];
		uint16_t t = md->tenant;

		if (unlikely(t == SL_NO_TENANT)) {
			drop_pkt(w, m,
				 l2_fatal(md->err) ? sl_drop_of_parse_err(md->err) : SL_DROP_NO_TENANT, t);
			continue;
		}
		const struct sl_tenant_rt *tr = &app->tenants[t];
		if (unlikely(md->err != SL_PARSE_OK) && tr->malformed == SL_MALFORMED_DROP) {
			drop_pkt(w, m, sl_drop_of_parse_err(md->err), t);
			continue;
		}
		if (unlikely(md->l3 == SL_L3_NONE)) {
			/* Non-IP frames follow the tenant's non_ip setting; a
			 * frame whose IP header is broken is not "non-IP": it
			 * goes where non-IP frames go, counted as malformed. */
			if (md->err == SL_PARSE_OK) {
				w->c[SL_WC_NON_IP]++;
				w->c[sl_ix_tenant(l, t, SL_TC_NON_IP)]++;
				if (tr->non_ip == SL_NON_IP_DROP) {
					filter_pkt(w, m, SL_FILTER_NON_IP, t);
					continue;
				}
			}
			/* member 0, or by hash among those up when it is down */
			const struct sl_pool_rt *p0 = &tr->pools[tr->default_pool];
			deliver(w, p0->first_member +
					   (member_down(app, p0->first_member) ? steer(app, p0, md->hash)
									       : 0),
				m, md);
			continue;
		}
		if (unlikely((md->frag & (SL_FRAG_IS_FRAGMENT | SL_FRAG_FIRST)) ==
			     SL_FRAG_IS_FRAGMENT)) {
			todo[ntodo++] = i | STAGE3_FRAG;
			continue;
		}
		keys[nk] = &md->key;
		hashes[nk] = md->hash;
		todo[ntodo++] = nk;
		idx[nk++] = i;
	}
	if (ntodo == 0)
		return;

	/* Stage 2: bulk lookup, prefetch hits. */
	if (nk > 0)
		sl_flow_lookup_bulk(w->ft, keys, hashes, nk, ent);
	for (uint16_t j = 0; j < nk && j < SL_PREFETCH_OFFSET; j++)
		if (ent[j] != NULL)
			rte_prefetch0(ent[j]);

	/* Stage 3: create missing flows, count, pick the member, buffer TX. */
	for (uint16_t q = 0; q < ntodo; q++) {
		if (unlikely(todo[q] & STAGE3_FRAG)) {
			uint16_t i = todo[q] & ~STAGE3_FRAG;

			frag_other(w, pkts[i], mds[i], now);
			continue;
		}
		uint16_t j = todo[q];
		struct rte_mbuf *m = pkts[idx[j]];
		struct sl_meta *md = mds[idx[j]];
		struct sl_flow_entry *e = ent[j];
		const struct sl_tenant_rt *tr = &app->tenants[md->tenant];
		const struct sl_pool_rt *pool;
		uint32_t gm;

		if (j + SL_PREFETCH_OFFSET < nk && ent[j + SL_PREFETCH_OFFSET] != NULL)
			rte_prefetch0(ent[j + SL_PREFETCH_OFFSET]);
		if (unlikely(e == NULL)) {
			bool created;

			pool = &tr->pools[tr->default_pool];
			e = sl_flow_add(w->ft, &md->key, md->hash, now, &created);
			if (created) {
				flow_verdict(w, e, md, tr);
				pool = &tr->pools[e->pool];
				e->member = (uint16_t)pick_member(app, pool, &md->key, md->hash);
				w->c[SL_WC_FLOWS_CREATED]++;
				w->c[sl_ix_tenant(l, md->tenant, SL_TC_FLOWS)]++;
				w->c[sl_ix_member(l, pool->first_member + e->member, SL_MC_FLOWS)]++;
			} else if (e == NULL) {
				/* Table full: forward by hash, never drop. */
				w->c[SL_WC_FLOW_TABLE_FULL]++;
				gm = pool->first_member + pick_member(app, pool, &md->key, md->hash);
				if (unlikely(md->frag & SL_FRAG_FIRST)) {
					struct sl_frag_key fk;

					frag_key(md, &fk);
					sl_frag_first(w->frag, &fk, sl_frag_hash(w->frag, &fk), gm, 0,
						      md->frag_len, (md->frag & SL_FRAG_MORE) != 0,
						      now, frag_release, w);
				}
				deliver(w, gm, m, md);
				continue;
			}
		}
		pool = &tr->pools[e->pool];
		e->pkts[md->dir]++;
		e->bytes[md->dir] += rte_pktmbuf_pkt_len(m);
		e->last_tsc = now;
		e->tcp_flags[md->dir] |= md->tcp_flags;
		if (unlikely(md->tcp_flags & (TCP_FIN | TCP_RST)) &&
		    ((md->tcp_flags & TCP_RST) || (e->tcp_flags[0] & e->tcp_flags[1] & TCP_FIN)))
			e->tclass = SL_TCLASS_CLOSED; /* ends after the grace time */
		gm = pool->first_member + e->member;
		/* the member's state is read once per packet, here */
		bool down = member_down(app, gm);
		if (unlikely(down) && pool->resteer) {
			/* on_member_down: resteer. The flow moves for good: it
			 * stays on its new member when the old one is back. */
			uint32_t to = pick_member(app, pool, &md->key, md->hash);

			if (to != e->member && !member_down(app, pool->first_member + to)) {
				w->c[sl_ix_member(l, gm, SL_MC_RESTEERED)]++;
				e->member = (uint16_t)to;
				gm = pool->first_member + to;
				down = false;
			}
		}
		if (unlikely(md->frag & SL_FRAG_FIRST)) {
			/* remember the member for the rest of the datagram and
			 * send what waited for it first (arrival order) */
			struct sl_frag_key fk;

			frag_key(md, &fk);
			sl_frag_first(w->frag, &fk, sl_frag_hash(w->frag, &fk), gm, 0, md->frag_len,
				      (md->frag & SL_FRAG_MORE) != 0, now, frag_release, w);
		}
		if (unlikely(e->action != SL_ACT_FORWARD ||
			     (e->flags & (SL_FLOW_F_BYPASS | SL_FLOW_F_SLICE)) || tr->slow) &&
		    flow_act(w, e, md, m, tr, now))
			continue;
		if (unlikely(down))
			drop_member_down(w, gm, m);
		else
			deliver_up(w, gm, m, md);
	}
}

/* Count a freshly received burst against its input and tenants. */
static inline void
count_rx(struct sl_worker *w, struct rte_mbuf **pkts, struct sl_meta *meta, uint16_t n,
	 uint16_t input)
{
	const struct sl_stats_layout *l = &w->app->layout;
	uint64_t bytes = 0;

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct sl_meta *md = &meta[i];

		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		sl_classify(w->app, m, input, md);
		bytes += rte_pktmbuf_pkt_len(m);
		if (md->err != SL_PARSE_OK)
			w->c[sl_ix_anomaly(l, md->err)]++;
		if (unlikely(md->encap_mask != 0)) {
			for (unsigned int b = 0; b < SL_ENCAP_TYPE_MAX; b++)
				if (md->encap_mask & SL_ENCAP_BIT(b))
					w->c[sl_ix_encap(l, b)]++;
		}
		if (unlikely(md->encap_err != 0))
			w->c[sl_ix_encap_err(l, md->encap_err)]++;
		if (md->tenant != SL_NO_TENANT) {
			w->c[sl_ix_tenant(l, md->tenant, SL_TC_PACKETS)]++;
			w->c[sl_ix_tenant(l, md->tenant, SL_TC_BYTES)] += rte_pktmbuf_pkt_len(m);
			if (md->err != SL_PARSE_OK)
				w->c[sl_ix_tenant(l, md->tenant, SL_TC_MALFORMED)]++;
		}
	}
	w->c[SL_WC_RX_PACKETS] += n;
	w->c[SL_WC_RX_BYTES] += bytes;
	w->c[sl_ix_input(l, input, SL_IC_PACKETS)] += n;
	w->c[sl_ix_input(l, input, SL_IC_BYTES)] += bytes;
}

/*
 * Software distribution: the flow's owner is chosen from the tenant, VLANs
 * and addresses only (2-tuple), so every fragment of a datagram, which may
 * lack ports, reaches the same worker as the rest of its flow.
 */
static void
distribute(struct sl_worker *w, struct rte_mbuf **pkts, struct sl_meta *meta, uint16_t n,
	   uint64_t now)
{
	struct sl_app *app = w->app;
	struct rte_mbuf *out[SL_MAX_WORKERS][SL_BURST];
	struct rte_mbuf *local[SL_BURST];
	struct sl_meta *local_md[SL_BURST];
	uint16_t cnt[SL_MAX_WORKERS];
	uint16_t nw = app->n_workers, nl = 0;

	memset(cnt, 0, nw * sizeof(cnt[0]));
	for (uint16_t i = 0; i < n; i++) {
		struct sl_meta *md = &meta[i];
		uint16_t t = w->idx;

		if (md->tenant != SL_NO_TENANT)
			t = (uint16_t)sl_hash_scale(
				sl_flow_hash_fields(&md->key, SL_FIELDS_2TUPLE, app->cfg->hash_seed), nw);
		if (t == w->idx) {
			local[nl] = pkts[i];
			local_md[nl++] = md;
		} else {
			*meta_of(pkts[i]) = *md; /* travels with the packet */
			out[t][cnt[t]++] = pkts[i];
		}
	}
	if (nl > 0)
		process(w, local, local_md, nl, now);
	for (uint16_t t = 0; t < nw; t++) {
		if (cnt[t] == 0)
			continue;
		unsigned int sent = rte_ring_enqueue_burst(app->workers[t]->ring, (void **)out[t],
							   cnt[t], NULL);
		w->c[SL_WC_HANDED_OFF] += sent;
		for (uint16_t i = (uint16_t)sent; i < cnt[t]; i++)
			drop_pkt(w, out[t][i], SL_DROP_SW_RING_FULL, meta_of(out[t][i])->tenant);
	}
}

static uint16_t
poll_rx(struct sl_worker *w, uint64_t now)
{
	struct rte_mbuf *pkts[SL_BURST];
	struct sl_meta meta[SL_BURST];
	struct sl_meta *mds[SL_BURST];
	uint16_t total = 0;

	for (uint16_t i = 0; i < w->n_rxq; i++) {
		const struct sl_rxq *rq = &w->rxq[i];
		uint16_t n = rte_eth_rx_burst(rq->port, rq->queue, pkts, SL_BURST);

		if (n == 0)
			continue;
		total += n;
		/* issue 13: a capture that is not Ethernet becomes Ethernet (linktype.c) */
		if (unlikely(rq->l2_kind != SL_L2_ETHERNET))
			for (uint16_t k = 0; k < n; k++)
				sl_rx_to_ethernet(pkts[k], rq->l2_kind);
		count_rx(w, pkts, meta, n, rq->input);
		if (rq->software && w->app->n_workers > 1) {
			distribute(w, pkts, meta, n, now);
		} else {
			for (uint16_t i = 0; i < n; i++)
				mds[i] = &meta[i];
			process(w, pkts, mds, n, now);
		}
	}
	return total;
}

static uint16_t
poll_ring(struct sl_worker *w, uint64_t now)
{
	struct rte_mbuf *pkts[SL_BURST];
	struct sl_meta *mds[SL_BURST];
	unsigned int n;

	if (w->ring == NULL || w->holding)
		return 0;
	n = rte_ring_dequeue_burst(w->ring, (void **)pkts, SL_BURST, NULL);
	if (n == 0)
		return 0;
	w->c[SL_WC_RING_IN] += n;
	for (unsigned int i = 0; i < n; i++)
		mds[i] = meta_of(pkts[i]);
	process(w, pkts, mds, (uint16_t)n, now);
	return (uint16_t)n;
}

static void
publish(struct sl_worker *w, uint64_t now)
{
	const struct sl_frag_stats *fs = sl_frag_get_stats(w->frag);

	w->c[SL_WC_FLOWS_ACTIVE] = sl_flow_count(w->ft);
	for (unsigned int f = 0; f < SL_FRAG_STAT_MAX; f++)
		w->c[sl_ix_frag(&w->app->layout, f)] = sl_frag_stat(fs, f);
	sl_stats_block_publish(w->stats, now);
}

/* Snapshot protocol: odd sequence = stop taking packets off the ring and
 * acknowledge; even = publish counters, resume, acknowledge. While every
 * worker holds, no packet leaves a ring, so handed_off >= ring_in holds in
 * any set of snapshots the control loop reads. */
static inline void
answer_control(struct sl_worker *w, uint64_t now)
{
	uint32_t seq = __atomic_load_n(&w->app->snap_seq, __ATOMIC_ACQUIRE);

	if (likely(seq == w->seen_seq))
		return;
	w->seen_seq = seq;
	if (seq & 1) {
		w->holding = true;
	} else {
		publish(w, now);
		w->holding = false;
	}
	__atomic_store_n(&w->ctl.ack, seq, __ATOMIC_RELEASE);
}

int
sl_worker_main(void *arg)
{
	struct sl_worker *w = arg;
	struct sl_app *app = w->app;
	const uint64_t drain_tsc = (app->tsc_hz + 999999) / 1000000 * SL_TX_DRAIN_US;

	w->tx_deadline = rte_rdtsc() + drain_tsc;
	w->age_next = rte_rdtsc();
	for (;;) {
		uint64_t now = rte_rdtsc();
		uint32_t busy;

		answer_control(w, now);
		if (w->mailbox != NULL)
			answer_mailbox(w);
		busy = poll_ring(w, now);
		if (likely(!__atomic_load_n(&app->stop_rx, __ATOMIC_ACQUIRE)))
			busy += poll_rx(w, now);
		else if (!w->ctl.rx_stopped)
			__atomic_store_n(&w->ctl.rx_stopped, 1, __ATOMIC_RELEASE);
		if (now >= w->tx_deadline) {
			flush_all(w);
			w->tx_deadline = now + drain_tsc;
		}
		if (now >= w->age_next) {
			w->c[SL_WC_FLOWS_EXPIRED] +=
				sl_flow_age(w->ft, now, SL_AGE_BUDGET, false, flow_ended, w);
			w->age_next = now + w->age_interval;
		}
		if (now >= w->frag_age_next) {
			sl_frag_age(w->frag, now, SL_AGE_BUDGET, frag_timeout, w);
			w->frag_age_next = now + w->frag_age_interval;
		}
		w->c[SL_WC_LOOPS]++;
		if (busy) {
			w->c[SL_WC_BUSY_LOOPS]++;
			w->c[SL_WC_BUSY_CYCLES] += rte_rdtsc() - now;
		}
		if (unlikely(__atomic_load_n(&app->drain, __ATOMIC_ACQUIRE))) {
			/* Every RX stage has stopped: empty the ring, flush, publish. */
			w->holding = false;
			while (poll_ring(w, rte_rdtsc()) > 0)
				;
			/* fragments still waiting for their first go out unmatched */
			while (w->c[SL_WC_FRAG_HELD] > 0 &&
			       sl_frag_age(w->frag, UINT64_MAX, UINT32_MAX, frag_timeout, w) > 0)
				;
			flush_all(w);
			/* every flow left ends now, with its record */
			w->ending = true;
			w->c[SL_WC_FLOWS_EXPIRED] +=
				sl_flow_age(w->ft, rte_rdtsc(), UINT32_MAX, true, flow_ended, w);
			publish(w, rte_rdtsc());
			__atomic_store_n(&w->ctl.done, 1, __ATOMIC_RELEASE);
			break;
		}
	}
	return 0;
}

int
sl_workers_create(struct sl_app *app, struct sl_cfg_error *err)
{
	const struct sl_cfg *cfg = app->cfg;
	uint64_t tmo[SL_TCLASS_MAX];
	unsigned int lcore;
	uint16_t i = 0;
	char name[RTE_RING_NAMESIZE];

	tmo[SL_TCLASS_TCP] = cfg->timeouts.tcp * app->tsc_hz;
	tmo[SL_TCLASS_UDP] = cfg->timeouts.udp * app->tsc_hz;
	tmo[SL_TCLASS_ICMP] = cfg->timeouts.icmp * app->tsc_hz;
	tmo[SL_TCLASS_OTHER] = cfg->timeouts.other * app->tsc_hz;
	tmo[SL_TCLASS_CLOSED] = cfg->timeouts.tcp_closed * app->tsc_hz;
	tmo[SL_TCLASS_BYPASSED] = cfg->timeouts.bypassed * app->tsc_hz;
	bool records = false, control = false;
	for (uint16_t t = 0; t < cfg->n_tenants; t++) {
		records |= cfg->tenants[t].records.kind != SL_RECORDS_NONE;
		control |= cfg->tenants[t].control.socket[0] != '\0';
	}
	uint64_t min_tmo = tmo[0];
	for (int c = 1; c < SL_TCLASS_MAX; c++)
		min_tmo = RTE_MIN(min_tmo, tmo[c]);
	uint64_t batches = (cfg->flow_table_size + SL_AGE_BUDGET - 1) / SL_AGE_BUDGET;
	uint64_t age_interval = min_tmo / SL_AGE_SWEEP_DIV / batches;
	const uint64_t ms = app->tsc_hz / 1000;
	struct sl_frag_limits fl = {
		.entries = cfg->fragments.table_size,
		.max_held_pkts = cfg->fragments.max_held,
		.max_held_bytes = cfg->fragments.max_held_bytes,
		.tenant_max_held_pkts = cfg->fragments.tenant_max_held,
		.hold_tsc = cfg->fragments.hold_ms * ms,
		.entry_tsc = cfg->fragments.remember_ms * ms,
		.n_tenants = cfg->n_tenants,
		.max_held_per_datagram = (uint16_t)RTE_MIN(cfg->fragments.datagram_max_held, (uint32_t)UINT16_MAX),
	};
	/* sweep the fragment table twice per hold time: a fragment waits at
	 * most 1.5 x hold_ms */
	uint64_t frag_age_interval = fl.hold_tsc / 2 /
				     ((fl.entries + SL_AGE_BUDGET - 1) / SL_AGE_BUDGET);
	RTE_LCORE_FOREACH_WORKER(lcore) {
		int socket = (int)rte_lcore_to_socket_id(lcore);
		struct sl_worker *w;

		if (i >= SL_MAX_WORKERS) {
			sl_config_error(cfg, err, cfg->lcores_loc, "eal.worker_lcores",
					"at most %d workers", SL_MAX_WORKERS);
			return -E2BIG;
		}
		w = rte_zmalloc_socket("sl_worker", sizeof(*w), RTE_CACHE_LINE_SIZE, socket);
		if (w == NULL)
			goto nomem;
		app->workers[i] = w;
		w->app = app;
		w->lcore = lcore;
		w->idx = i;
		w->tx = rte_zmalloc_socket("sl_txbuf", app->n_members * sizeof(*w->tx),
					   RTE_CACHE_LINE_SIZE, socket);
		w->dirty = rte_zmalloc_socket("sl_dirty", app->n_members * sizeof(*w->dirty), 0,
					      socket);
		w->stats = sl_stats_block_create(app->layout.total, socket);
		if (w->tx == NULL || w->dirty == NULL || w->stats == NULL)
			goto nomem;
		/* a multi-segment packet for a ring output is read in here */
		for (uint16_t o = 0; o < cfg->n_outputs; o++)
			if (cfg->outputs[o].ring.path[0] != '\0')
				w->scratch_len = RTE_MAX(w->scratch_len,
							 cfg->outputs[o].ring.frame_size);
		if (w->scratch_len > 0) {
			w->scratch = rte_malloc_socket("sl_scratch", w->scratch_len, 0, socket);
			if (w->scratch == NULL)
				goto nomem;
		}
		w->c = w->stats->live;
		w->age_interval = age_interval;
		snprintf(name, sizeof(name), "sl_ft_%u", i);
		w->ft = sl_flow_table_create(name, cfg->flow_table_size, socket, cfg->hash_seed, tmo);
		if (w->ft == NULL) {
			sl_config_error(cfg, err, (struct sl_cfg_loc){ 0, 0 }, "flow_table.size",
					"cannot allocate a flow table of %u entries for worker %u: %s",
					cfg->flow_table_size, i, rte_strerror(rte_errno));
			return -ENOMEM;
		}
		snprintf(name, sizeof(name), "sl_frag_%u", i);
		w->frag = sl_frag_create(name, &fl, socket);
		if (w->frag == NULL) {
			sl_config_error(cfg, err, cfg->fragments.loc, "fragments",
					"cannot create the fragment table of worker %u: %s", i,
					rte_strerror(rte_errno));
			return -ENOMEM;
		}
		w->frag_age_interval = frag_age_interval;
		if (records) {
			snprintf(name, sizeof(name), "sl_rec_%u", i);
			w->records = rte_ring_create_elem(name, sizeof(struct sl_rec_msg),
							  SL_RECORD_RING, socket,
							  RING_F_SP_ENQ | RING_F_SC_DEQ);
			if (w->records == NULL)
				goto nomem;
		}
		if (control) {
			snprintf(name, sizeof(name), "sl_mbox_%u", i);
			w->mailbox = rte_ring_create(name, SL_MAILBOX_RING, socket,
						     RING_F_SP_ENQ | RING_F_SC_DEQ);
			snprintf(name, sizeof(name), "sl_reply_%u", i);
			w->replies = rte_ring_create(name, SL_MAILBOX_RING, socket,
						     RING_F_SP_ENQ | RING_F_SC_DEQ);
			if (w->mailbox == NULL || w->replies == NULL)
				goto nomem;
		}
		if (app->n_workers > 1) {
			snprintf(name, sizeof(name), "sl_ring_%u", i);
			w->ring = rte_ring_create(name, cfg->sw_ring_size, socket, RING_F_SC_DEQ);
			if (w->ring == NULL)
				goto nomem;
		}
		i++;
	}
	return 0;
nomem:
	snprintf(err->msg, sizeof(err->msg), "%s: out of memory creating worker %u", cfg->path, i);
	return -ENOMEM;
}

static void
free_held(void *pkt, void *arg __rte_unused)
{
	rte_pktmbuf_free(pkt);
}

void
sl_workers_free(struct sl_app *app)
{
	for (uint16_t i = 0; i < SL_MAX_WORKERS; i++) {
		struct sl_worker *w = app->workers[i];

		if (w == NULL)
			continue;
		if (w->ring != NULL) {
			struct rte_mbuf *m;
			while (rte_ring_dequeue(w->ring, (void **)&m) == 0)
				rte_pktmbuf_free(m);
			rte_ring_free(w->ring);
		}
		rte_ring_free(w->records);
		rte_ring_free(w->mailbox);
		rte_ring_free(w->replies);
		sl_flow_table_free(w->ft);
		sl_frag_free(w->frag, free_held, NULL);
		sl_stats_block_free(w->stats);
		rte_free(w->tx);
		rte_free(w->dirty);
		rte_free(w->scratch);
		rte_free(w);
		app->workers[i] = NULL;
	}
}
