/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fragments on the data path: a non-first fragment carries no ports, so it
 * cannot be looked up in the flow table. The first fragment records the
 * member its flow found (lib/frag); later fragments go to that member;
 * fragments that arrive before their first are held by lib/frag and
 * released, in arrival order, when it arrives. A fragment whose first never
 * came (a bound refused to hold it, or it waited too long) goes to the
 * member lib/verdict picks for an unmatched fragment (SL_PICK_FRAGMENT:
 * addresses and protocol), so all of them reach one member.
 */
#include <string.h>

#include "datapath.h"
#include "sl_frag.h"
#include "sl_verdict.h"

/* Datagram key of a fragment: its own source and destination (not ordered:
 * IP ids are per direction). */
static inline void
frag_key(const struct sl_meta *md, struct sl_frag_key *fk)
{
	const struct sl_flow_key *k = &md->key;

	memcpy(fk->src, md->dir ? k->addr_hi : k->addr_lo, 16);
	memcpy(fk->dst, md->dir ? k->addr_lo : k->addr_hi, 16);
	fk->id = md->pi.frag_id;
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
	sl_deliver(w, member, pkt, sl_meta_of(pkt));
}

/* The global member of a fragment whose first was not seen. */
static uint32_t
unmatched_member(struct sl_worker *w, const struct sl_meta *md)
{
	const struct sl_app *app = w->app;
	const struct sl_tenant_rt *tr = sl_tenant_of(w->tbl, md->tenant);

	if (unlikely(tr == NULL))
		return SL_SLOT_NONE; /* its tenant went in a reload */
	const struct sl_pool_rt *pool = &tr->pools[tr->default_pool];
	struct sl_member_choice c = sl_member_pick(&pool->steer, app->member_down,
						   SL_PICK_FRAGMENT, SL_SLOT_NONE, &md->key,
						   md->hash, app->cfg->hash_seed);

	return c.slot;
}

static void
frag_timeout(void *pkt, void *arg)
{
	struct sl_worker *w = arg;

	w->c[SL_WC_FRAG_HELD]--;
	sl_deliver(w, unmatched_member(w, sl_meta_of(pkt)), pkt, sl_meta_of(pkt));
}

/* A first fragment (offset 0) went to global member @p gm: remember it for
 * the rest of the datagram and send what waited for it first. */
void
sl_frags_first(struct sl_worker *w, const struct sl_meta *md, uint32_t gm, uint64_t now)
{
	struct sl_frag_key fk;

	frag_key(md, &fk);
	sl_frag_first(w->frag, &fk, sl_frag_hash(w->frag, &fk), gm, 0, md->pi.frag_len,
		      (md->pi.frag & SL_FRAG_MORE) != 0, now, frag_release, w);
}

/* A non-first fragment: no ports, so no flow lookup. */
void
sl_frags_other(struct sl_worker *w, struct rte_mbuf *m, const struct sl_meta *md, uint64_t now)
{
	struct sl_frag_key fk;
	uint32_t member;

	frag_key(md, &fk);
	if (md != sl_meta_of(m))
		*sl_meta_of(m) = *md; /* if held, it must outlive the caller's stack */
	switch (sl_frag_other(w->frag, &fk, sl_frag_hash(w->frag, &fk), m, md->pi.frag_off,
			      md->pi.frag_len, (md->pi.frag & SL_FRAG_MORE) != 0, now, &member)) {
	case SL_FRAG_SEND:
		sl_deliver(w, member, m, md);
		break;
	case SL_FRAG_HELD:
		w->c[SL_WC_FRAG_HELD]++;
		break;
	default:
		sl_deliver(w, unmatched_member(w, md), m, md);
		break;
	}
}

/* Release fragments that waited too long (unmatched), forget old datagrams. */
unsigned int
sl_frags_age(struct sl_worker *w, uint64_t now, unsigned int budget)
{
	return sl_frag_age(w->frag, now, budget, frag_timeout, w);
}
