/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-flow decisions: member choice and policy verdicts (see sl_verdict.h).
 */
#include <stddef.h>
#include <string.h>

#include <rte_common.h>
#include <rte_hash_crc.h>

#include "sl_verdict.h"

_Static_assert(SL_ACTION_MAX <= 8, "an action fits struct sl_flow_entry::action");

/* The pool's hash: the flow hash itself for 5-tuple pools, else a hash of
 * the fields the pool names (3-tuple, 2-tuple). */
static uint32_t
pool_hash(const struct sl_pool_steer *p, const struct sl_flow_key *k, uint32_t hash,
	  uint32_t seed)
{
	if (p->fields == SL_FIELDS_5TUPLE)
		return hash ^ p->place_xor[SL_FIELDS_5TUPLE];
	return sl_flow_hash_fields(k, (enum sl_flow_fields)p->fields, seed) ^
	       p->place_xor[p->fields];
}

void
sl_pool_steer_place(struct sl_pool_steer *p, uint16_t slot, uint16_t id, uint32_t seed)
{
	RTE_BUILD_BUG_ON(RTE_DIM(p->place_xor) != SL_FIELDS_2TUPLE + 1);
	for (unsigned int f = 0; f < RTE_DIM(p->place_xor); f++)
		p->place_xor[f] = sl_flow_tenant_xor(slot, id, (enum sl_flow_fields)f, seed);
}

static inline bool
is_down(const uint8_t *down, uint16_t slot)
{
	return __atomic_load_n(&down[slot], __ATOMIC_RELAXED) != 0;
}

/* sl_member_steer() (lib/flow) over a pool's slots: the hash's own member
 * while it is up, else rendezvous hashing among those up; when every
 * member is down, the hash's own. Returns an index into p->slots. */
static uint32_t
steer(const struct sl_pool_steer *p, const uint8_t *down, uint32_t h)
{
	uint32_t own = sl_hash_scale(h, p->n_members), pick = own;
	uint64_t best = 0;
	bool found = false;

	if (!is_down(down, p->slots[own]))
		return own;
	for (uint32_t i = 0; i < p->n_members; i++) {
		if (is_down(down, p->slots[i]))
			continue;
		uint64_t x = sl_hrw_score(h, i);

		if (!found || x > best) {
			best = x;
			pick = i;
			found = true;
		}
	}
	return pick;
}

int
sl_pool_index_of(const struct sl_pool_steer *p, uint16_t slot)
{
	for (uint32_t i = 0; i < p->n_members; i++)
		if (p->slots[i] == slot)
			return (int)i;
	return -1;
}

struct sl_member_choice
sl_member_pick_slow(const struct sl_pool_steer *p, const uint8_t *down, enum sl_pick_kind kind,
		    uint16_t cur, const struct sl_flow_key *k, uint32_t hash, uint32_t seed)
{
	struct sl_member_choice c = { .slot = p->slots[0] };
	uint32_t h;

	switch (kind) {
	case SL_PICK_NON_IP:
		if (!is_down(down, c.slot))
			return c;
		c.slot = p->slots[steer(p, down, hash ^ p->place_xor[SL_FIELDS_5TUPLE])];
		break;
	case SL_PICK_FRAGMENT:
		h = sl_flow_hash_fields(k, SL_FIELDS_3TUPLE, seed) ^ p->place_xor[SL_FIELDS_3TUPLE];
		c.slot = p->slots[steer(p, down, h)];
		break;
	case SL_PICK_FLOW:
	default:
		c.slot = p->slots[steer(p, down, pool_hash(p, k, hash, seed))];
		if (cur == SL_SLOT_NONE)
			break; /* no current member: the pool's choice */
		if (!is_down(down, cur))
			return (struct sl_member_choice){ .slot = cur };
		/* Its member is down. Resteer: the flow moves for good (it
		 * stays on its new member when the old one is back). */
		if (p->resteer && c.slot != cur && !is_down(down, c.slot)) {
			c.moved = true;
			return c;
		}
		c.slot = cur;
		break;
	}
	c.down = is_down(down, c.slot);
	return c;
}

static inline void
set_bypass(struct sl_flow_entry *e, enum sl_bypass_why why)
{
	e->flags |= SL_FLOW_F_BYPASS;
	e->bypass_why = (uint8_t)why;
	if (e->tclass != SL_TCLASS_CLOSED)
		e->tclass = SL_TCLASS_BYPASSED;
}

/* A bypass ends; a requested one ending on its own time restarts the
 * elephant window (win held its end meanwhile). */
static inline void
clear_bypass(struct sl_flow_entry *e, uint8_t proto, uint32_t now)
{
	if (e->flags & SL_FLOW_F_TIMED) {
		e->win = now;
		e->win_bytes = (uint32_t)(sl_flow_total_bytes(e) >> 8);
	}
	e->flags &= (uint8_t)~(SL_FLOW_F_BYPASS | SL_FLOW_F_TIMED);
	e->bypass_why = SL_BYPASS_NONE;
	if (e->tclass == SL_TCLASS_BYPASSED)
		e->tclass = (uint8_t)sl_flow_tclass_of(proto);
}

/* The rule's verdict into the entry: pool, action, rule, slice, bypass. */
static unsigned int
apply_rule(const struct sl_tenant_policy *tp, struct sl_flow_entry *e, int32_t rule,
	   uint32_t hash)
{
	const struct sl_rule_act *ra;

	e->pool = (uint8_t)tp->default_pool;
	e->action = SL_ACTION_FORWARD;
	e->rule = 0;
	if (rule < 0 || (uint32_t)rule >= tp->n_rules)
		return 0;
	ra = &tp->rules[rule];
	e->rule = (uint16_t)(rule + 1);
	e->action = ra->action;
	if (ra->n_pools)
		e->pool = ra->pools[0];
	switch (ra->action) {
	case SL_ACTION_BYPASS:
		set_bypass(e, SL_BYPASS_RULE);
		break;
	case SL_ACTION_SLICE:
		e->flags |= SL_FLOW_F_SLICE;
		break;
	case SL_ACTION_SAMPLE:
		/* the symmetric hash, rehashed so that the choice does not
		 * follow the member choice: both directions agree */
		if (sl_hash_scale(rte_hash_crc_4byte(hash ^ tp->place_xor, 0x736c6d70),
				  ra->sample) != 0) {
			set_bypass(e, SL_BYPASS_RULE);
			return SL_VERDICT_EV_SAMPLED_OUT;
		}
		break;
	default:
		break;
	}
	return 0;
}

unsigned int
sl_verdict_new_flow(const struct sl_tenant_policy *tp, struct sl_flow_entry *e, int32_t rule,
		    uint8_t dir, uint32_t hash)
{
	if (dir)
		e->flags |= SL_FLOW_F_INIT_REV;
	e->win = e->first;
	return apply_rule(tp, e, rule, hash);
}

unsigned int
sl_verdict_reclassify(const struct sl_tenant_policy *tp, struct sl_flow_entry *e, int32_t rule,
		      uint8_t proto, uint32_t hash)
{
	if ((e->flags & SL_FLOW_F_BYPASS) && e->bypass_why == SL_BYPASS_RULE)
		clear_bypass(e, proto, e->last);
	e->flags &= (uint8_t)~SL_FLOW_F_SLICE;
	if ((e->flags & SL_FLOW_F_ELEPHANT) && tp->elephant_action == SL_ELEPHANT_DO_SLICE)
		e->flags |= SL_FLOW_F_SLICE;
	return apply_rule(tp, e, rule, hash);
}

static const struct sl_depth *
flow_depth(const struct sl_tenant_policy *tp, const struct sl_flow_entry *e)
{
	if (e->rule && e->rule <= tp->n_rules && tp->rules[e->rule - 1].has_depth)
		return &tp->rules[e->rule - 1].depth;
	return &tp->pool_depth[e->pool < SL_VERDICT_MAX_POOLS ? e->pool : 0];
}

/* Elephant detection: the flow's rate over the last window. Returns true
 * when this packet is bypassed by it. */
static bool
elephant(const struct sl_tenant_policy *tp, struct sl_flow_entry *e, uint32_t now,
	 struct sl_pkt_verdict *v)
{
	if (tp->elephant_bytes_per_sec == 0 || (e->flags & SL_FLOW_F_ELEPHANT) ||
	    (uint32_t)(now - e->win) < tp->elephant_window)
		return false;
	/* bytes in units of 256, modulo 2^32: a window holds less than 1 TiB */
	uint32_t total = (uint32_t)(sl_flow_total_bytes(e) >> 8);
	double rate = (double)(uint32_t)(total - e->win_bytes) * 256.0 * (double)tp->ft_hz /
		      (double)(uint32_t)(now - e->win);

	e->win = now;
	e->win_bytes = total;
	if (rate < (double)tp->elephant_bytes_per_sec)
		return false;
	e->flags |= SL_FLOW_F_ELEPHANT;
	v->events |= SL_VERDICT_EV_ELEPHANT;
	if (tp->elephant_action == SL_ELEPHANT_DO_BYPASS) {
		set_bypass(e, SL_BYPASS_ELEPHANT);
		return true;
	}
	if (tp->elephant_action == SL_ELEPHANT_DO_SLICE)
		e->flags |= SL_FLOW_F_SLICE;
	return false;
}

/* Depth: what the flow (or this direction) carried before this packet.
 * Per direction, the flow is bypassed once both directions are. */
static bool
depth(const struct sl_tenant_policy *tp, struct sl_flow_entry *e, uint8_t dir, uint32_t len,
      struct sl_pkt_verdict *v)
{
	const struct sl_depth *d = flow_depth(tp, e);
	uint64_t pb, pp;

	if ((d->bytes | d->packets) == 0)
		return false;
	if (d->per_direction) {
		pb = sl_flow_bytes(e, dir) - len;
		pp = e->pkts[dir] - 1;
	} else {
		pb = sl_flow_total_bytes(e) - len;
		pp = e->pkts[0] + e->pkts[1] - 1;
	}
	if (!((d->bytes && pb >= d->bytes) || (d->packets && pp >= d->packets)))
		return false;
	if (!d->per_direction || (d->bytes && sl_flow_bytes(e, dir ^ 1) >= d->bytes) ||
	    (d->packets && e->pkts[dir ^ 1] >= d->packets)) {
		set_bypass(e, SL_BYPASS_DEPTH);
		v->events |= SL_VERDICT_EV_DEPTH;
	}
	return true;
}

/* The length a sliced flow is cut to: its rule's, or the tenant's elephant
 * slice for an elephant that is sliced. */
static inline uint16_t
slice_of(const struct sl_tenant_policy *tp, const struct sl_flow_entry *e)
{
	if (e->action == SL_ACTION_SLICE && e->rule && e->rule <= tp->n_rules)
		return tp->rules[e->rule - 1].slice;
	return tp->elephant_slice;
}

struct sl_pkt_verdict
sl_verdict_packet(const struct sl_tenant_policy *tp, struct sl_flow_entry *e, uint8_t dir,
		  uint8_t proto, uint32_t len, uint32_t now)
{
	struct sl_pkt_verdict v = { .what = SL_DO_FORWARD };

	dir &= 1;
	if (e->flags & SL_FLOW_F_BYPASS) {
		/* a requested bypass with an end runs until win (wrap-safe) */
		if (!(e->flags & SL_FLOW_F_TIMED) || (int32_t)(now - e->win) < 0) {
			v.what = SL_DO_BYPASS;
			return v;
		}
		clear_bypass(e, proto, now); /* a requested bypass ran out */
		v.events |= SL_VERDICT_EV_EXPIRED;
	}
	if (e->action == SL_ACTION_DROP) {
		v.what = SL_DO_DROP;
		return v;
	}
	if (elephant(tp, e, now, &v) || depth(tp, e, dir, len, &v)) {
		v.what = SL_DO_BYPASS;
		return v;
	}
	if (e->flags & SL_FLOW_F_SLICE) {
		uint16_t s = slice_of(tp, e);

		if (len > s)
			v.slice = s;
	}
	v.mirror = e->action == SL_ACTION_MIRROR;
	return v;
}

bool
sl_verdict_request(struct sl_flow_entry *e, uint8_t proto, bool set, bool timed, uint32_t until)
{
	bool newly = false;

	if (set) {
		newly = !(e->flags & SL_FLOW_F_BYPASS);
		set_bypass(e, SL_BYPASS_REQUEST);
		e->flags &= (uint8_t)~SL_FLOW_F_TIMED;
		if (timed) {
			e->flags |= SL_FLOW_F_TIMED;
			e->win = until;
		}
	} else if (e->bypass_why == SL_BYPASS_REQUEST) {
		clear_bypass(e, proto, e->last);
	}
	return newly;
}

/* ---- application rules ---- */

static bool
cidr_match(const struct sl_verdict_cidr *c, uint8_t family, const uint8_t *addr)
{
	if (c->family == 0)
		return true;
	if (c->family != family)
		return false;
	unsigned int full = c->prefix / 8, rest = c->prefix % 8;

	if (memcmp(c->addr, addr, full) != 0)
		return false;
	if (rest == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff00 >> rest);

	return ((c->addr[full] ^ addr[full]) & mask) == 0;
}

static inline bool
in(uint16_t v, uint16_t lo, uint16_t hi)
{
	return v >= lo && v <= hi;
}

/* One direction: a = the flow's source endpoint. */
static bool
tuple_dir(const struct sl_tuple_match *m, uint8_t family, const uint8_t *a, uint16_t pa,
	  const uint8_t *b, uint16_t pb)
{
	return cidr_match(&m->src, family, a) && cidr_match(&m->dst, family, b) &&
	       in(pa, m->sport_lo, m->sport_hi) && in(pb, m->dport_lo, m->dport_hi);
}

bool
sl_tuple_match(const struct sl_tuple_match *m, const struct sl_flow_key *k, uint16_t input)
{
	uint16_t vlan = k->vlan[0] ? k->vlan[0] : SL_VERDICT_UNTAGGED_VLAN;

	if ((m->proto >= 0 && m->proto != k->proto) || !in(vlan, m->vlan_lo, m->vlan_hi) ||
	    !in(input, m->input_lo, m->input_hi))
		return false;
	/* a family-specific prefix never matches a flow of the other family;
	 * both "any" match both */
	return tuple_dir(m, k->family, k->addr_lo, k->port_lo, k->addr_hi, k->port_hi) ||
	       tuple_dir(m, k->family, k->addr_hi, k->port_hi, k->addr_lo, k->port_lo);
}

static bool
sni_match(const struct sl_sni_pattern *p, const char *sni, uint8_t len)
{
	if (!p->suffix)
		return p->len == len && memcmp(p->name, sni, len) == 0;
	/* "*.example.com": a longer name ending in ".example.com" */
	return len > p->len && memcmp(p->name, sni + len - p->len, p->len) == 0;
}

bool
sl_app_match(const struct sl_app_rule *r, const struct sl_app_facts *f)
{
	bool ok = r->n_apps == 0;

	for (uint8_t i = 0; !ok && i < r->n_apps; i++)
		ok = (f->app != 0 && r->apps[i] == f->app) ||
		     (f->master != 0 && r->apps[i] == f->master);
	if (!ok)
		return false;
	ok = r->n_cats == 0;
	for (uint8_t i = 0; !ok && i < r->n_cats; i++)
		ok = r->cats[i] == f->category;
	if (!ok)
		return false;
	ok = r->n_sni == 0;
	for (uint8_t i = 0; !ok && i < r->n_sni; i++)
		ok = f->sni != NULL && f->sni_len > 0 && sni_match(&r->sni[i], f->sni, f->sni_len);
	return ok;
}

int32_t
sl_verdict_app_rule(const struct sl_app_policy *ap, int32_t port_rule,
		    const struct sl_flow_key *k, uint16_t input, const struct sl_app_facts *f)
{
	for (uint32_t i = 0; i < ap->n_rules; i++) {
		const struct sl_app_rule *r = &ap->rules[i];

		if (port_rule >= 0 && r->rule > (uint32_t)port_rule)
			break; /* in order: the port rule comes first */
		if (sl_app_match(r, f) && sl_tuple_match(&r->tuple, k, input))
			return (int32_t)r->rule;
	}
	return port_rule;
}

unsigned int
sl_verdict_app_apply(const struct sl_tenant_policy *tp, struct sl_flow_entry *e, int32_t rule,
		     uint8_t proto, uint32_t hash)
{
	uint8_t old_pool = e->pool;
	unsigned int ev;

	if (rule == (int32_t)e->rule - 1)
		return 0;
	ev = sl_verdict_reclassify(tp, e, rule, proto, hash) | SL_VERDICT_EV_APP_RULE;
	if (e->action == SL_ACTION_STEER) {
		e->action = SL_ACTION_FORWARD;
	} else if (e->action == SL_ACTION_BYPASS_HS) {
		e->action = SL_ACTION_FORWARD;
		if (tp->rules[rule].n_pools == 0)
			e->pool = old_pool;
		ev |= SL_VERDICT_EV_HANDSHAKE;
	}
	if (e->pool != old_pool)
		ev |= SL_VERDICT_EV_STEERED;
	return ev;
}

bool
sl_verdict_handshake_done(struct sl_flow_entry *e)
{
	if ((e->flags & SL_FLOW_F_BYPASS) || e->action == SL_ACTION_DROP)
		return false;
	set_bypass(e, SL_BYPASS_HANDSHAKE);
	return true;
}
