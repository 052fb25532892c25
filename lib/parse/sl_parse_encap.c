/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluice packet parser: the encapsulation walk.
 *
 * Entered from sl_parse.c only for tunnelled packets, with struct
 * sl_pkt_info holding a "settled" layer: an IP layer parsed without error
 * whose payload is a tunnel candidate, or the outer Ethernet announcing
 * PPPoE or MPLS. The walk is a small state machine over steps:
 *
 *   L4 (after an IP layer) -> IP-in-IP | GRE [+ ERSPAN] | VXLAN | GENEVE
 *   MPLS label stack, PPPoE session header
 *   ETH: inner Ethernet and its tags
 *   IPV4/IPV6: inner IP layer (parsed by sl_parse.c), which may lead to L4
 *
 * L4, MPLS and PPPoE each enter one encapsulation layer, counted against
 * cfg->max_depth. Every inner IP layer that parses (its addresses are
 * there) becomes the new settled layer: its flow fields replace the
 * previous ones. Any decapsulation failure, or a payload that is not IP,
 * ends the walk on the last settled layer (stop()), keeping only what was
 * identified (encap_mask, tunnel_id) and the failure class.
 *
 * Only an inner IP header that does not parse has written over the
 * settled layer's flow fields (step_ip). The walk keeps no copy to put
 * back then: it parses the packet again, at most as deep as the settled
 * layer (sl_parse_pvt_replay()). A copy would be taken for every
 * tunnelled packet, right after the outer parse stored the fields one by
 * one, and its wide loads wait for those stores (a store-forwarding stall,
 * a third of this walk's cost in perf on VXLAN traffic); the replay costs
 * only malformed packets.
 *
 * Bounds: w->lim is the end of the bytes the current payload may use: the
 * carrier's L4 extent (itself min(IP length, captured)), narrowed by PPPoE
 * lengths, never past 65535 so that every offset fits the 16-bit fields.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sl_parse.h"
#include "sl_parse_pvt.h"

#define SL_IPPROTO_IPIP 4
#define SL_IPPROTO_IPV6 41
#define SL_IPPROTO_GRE 47

#define SL_UDP_HLEN 8
#define SL_VXLAN_HLEN 8
#define SL_VXLAN_FLAG_I 0x08
#define SL_GENEVE_HLEN 8
#define SL_GRE_HLEN 4
#define SL_GRE_C 0x80 /* checksum + reserved1 present */
#define SL_GRE_R 0x40 /* routing present (RFC 1701) */
#define SL_GRE_K 0x20 /* key present */
#define SL_GRE_S 0x10 /* sequence number present */
#define SL_GRE_VER_MASK 0x07
#define SL_GRE_VER_PPTP 1
#define SL_ERSPAN2_HLEN 8
#define SL_ERSPAN3_HLEN 12
#define SL_ERSPAN3_SUB_HLEN 8 /* platform-specific subheader (O bit) */
#define SL_ERSPAN_SID_MASK 0x03ff
#define SL_MPLS_HLEN 4
#define SL_MPLS_CW_LEN 4
#define SL_PPPOE_HLEN 6
#define SL_PPPOE_VER_TYPE 0x11
#define SL_PPP_IPV4 0x0021
#define SL_PPP_IPV6 0x0057
#define SL_WALK_LIM_MAX UINT16_MAX

enum step {
	ST_L4,    /* tunnel after the settled IP layer */
	ST_MPLS,  /* label stack at w->off */
	ST_PPPOE, /* PPPoE session header at w->off */
	ST_ETH,   /* inner Ethernet at w->off */
	ST_IPV4,  /* inner IPv4 at w->off */
	ST_IPV6,  /* inner IPv6 at w->off */
	ST_END,   /* done, result in w->err */
};

struct walk {
	const struct sl_parse_cfg *cfg;
	const uint8_t *pkt;
	struct sl_pkt_info *pi;
	uint32_t len;         /* captured length of the frame */
	uint32_t off;         /* where the next step starts */
	uint32_t lim;         /* end of the bytes it may read */
	uint32_t depth;       /* encapsulation layers entered */
	uint32_t payload_off; /* payload start of the last layer entered */
	int frag;             /* the carrier of the L4 step is a fragment */
	int err;              /* enum sl_parse_err once ST_END */
	uint16_t vlan[SL_MAX_VLANS]; /* tags of the innermost Ethernet */
	uint8_t n_vlans;
	uint8_t clobbered;    /* an inner IP parse failed over the settled
				 layer's flow fields: stop() replays */
};

_Static_assert(offsetof(struct sl_pkt_info, n_ext) <
		       offsetof(struct sl_pkt_info, tunnel_id),
	       "flow fields must precede the encapsulation fields");

static inline uint32_t
min_u32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

/* n bytes readable at off within the current extent. */
static inline int
have(const struct walk *w, uint32_t off, uint32_t n)
{
	return off <= w->lim && w->lim - off >= n;
}

/*
 * End the walk on the last settled layer. encap_mask and tunnel_id keep
 * what was identified; encap_err says why the walk stopped (0: payload
 * not walked, e.g. ARP or an unknown protocol type).
 */
static enum step
stop(struct walk *w, int encap_err)
{
	struct sl_pkt_info *pi = w->pi;
	uint32_t id = pi->tunnel_id;
	uint16_t mask = pi->encap_mask;
	uint8_t id_type = pi->tunnel_id_type;

	if (w->clobbered)
		sl_parse_pvt_replay(w->cfg, w->pkt, w->len, pi, pi->n_encap);
	pi->tunnel_id = id;
	pi->tunnel_id_type = id_type;
	pi->encap_mask = mask;
	pi->encap_err = (uint8_t)encap_err;
	w->err = SL_PARSE_OK; /* settled layers parsed without error */
	return ST_END;
}

/* The tunnel header right after L4 is cut. In a first fragment its rest
 * is in the next fragment: steer by the carrier, no error. */
static enum step
cut(struct walk *w, int encap_err)
{
	return stop(w, w->frag ? SL_ENCAP_OK : encap_err);
}

/* One more layer of type t, if max_depth allows. */
static int
enter(struct walk *w, enum sl_encap_type t)
{
	w->pi->encap_mask |= SL_ENCAP_BIT(t);
	if (w->depth >= w->cfg->max_depth)
		return 0;
	w->depth++;
	return 1;
}

/* Leave the layer entered last; its payload (step next) starts at off. */
static enum step
layer_payload(struct walk *w, uint32_t off, enum step next)
{
	w->off = off;
	w->payload_off = off;
	return next;
}

static void
set_tunnel_id(struct sl_pkt_info *pi, uint32_t id, enum sl_tunid_type type)
{
	if (pi->tunnel_id_type == SL_TUNID_NONE) {
		pi->tunnel_id = id;
		pi->tunnel_id_type = (uint8_t)type;
	}
}

static int
port_in(const uint16_t *ports, uint32_t n, uint16_t port)
{
	for (uint32_t i = 0; i < n; i++)
		if (ports[i] == port)
			return 1;
	return 0;
}

/* Declared end of the settled IP datagram (not cut to the capture). */
static uint32_t
ip_declared_end(const struct walk *w)
{
	const struct sl_pkt_info *pi = w->pi;
	const uint8_t *ip = w->pkt + pi->l3_off;
	uint32_t plen;

	if (pi->l3 == SL_L3_IPV4)
		return (uint32_t)pi->l3_off + sl_rd16(ip + 2);
	plen = sl_rd16(ip + 4);
	if (plen == 0 && ip[6] == 0)
		return UINT32_MAX; /* jumbogram */
	return (uint32_t)pi->l3_off + 40 + plen;
}

/* VXLAN (RFC 7348): flags (I = VNI valid), 3 reserved, VNI, 1 reserved. */
static enum step
step_vxlan(struct walk *w, uint32_t h)
{
	const uint8_t *p = w->pkt + h;

	if (!enter(w, SL_ENCAP_VXLAN))
		return stop(w, SL_ENCAP_ERR_TOO_DEEP);
	if (!have(w, h, SL_VXLAN_HLEN))
		return cut(w, SL_ENCAP_ERR_VXLAN_TRUNCATED);
	if (!(p[0] & SL_VXLAN_FLAG_I))
		return stop(w, SL_ENCAP_ERR_VXLAN_BAD_FLAGS);
	set_tunnel_id(w->pi, sl_rd32(p + 4) >> 8, SL_TUNID_VXLAN_VNI);
	return layer_payload(w, h + SL_VXLAN_HLEN, ST_ETH);
}

/* GENEVE (RFC 8926): Ver(2) OptLen(6), O C Rsvd, Protocol Type, VNI,
 * Reserved, then OptLen 4-byte words of options. */
static enum step
step_geneve(struct walk *w, uint32_t h)
{
	const uint8_t *p = w->pkt + h;
	uint32_t end, decl;

	if (!enter(w, SL_ENCAP_GENEVE))
		return stop(w, SL_ENCAP_ERR_TOO_DEEP);
	if (!have(w, h, SL_GENEVE_HLEN))
		return cut(w, SL_ENCAP_ERR_GENEVE_TRUNCATED);
	if (p[0] >> 6 != 0)
		return stop(w, SL_ENCAP_ERR_GENEVE_BAD_VERSION);
	end = h + SL_GENEVE_HLEN + (uint32_t)(p[0] & 0x3f) * 4;
	/* Options past the datagram's declared end are malformed; past the
	 * capture (or a fragment's end) only cut. */
	decl = w->frag ? UINT32_MAX : ip_declared_end(w);
	if (end > decl)
		return stop(w, SL_ENCAP_ERR_GENEVE_BAD_OPT_LEN);
	if (end > w->lim)
		return cut(w, SL_ENCAP_ERR_GENEVE_TRUNCATED);
	set_tunnel_id(w->pi, sl_rd32(p + 4) >> 8, SL_TUNID_GENEVE_VNI);
	switch (sl_rd16(p + 2)) {
	case SL_ETH_P_TEB:
		return layer_payload(w, end, ST_ETH);
	case SL_ETH_P_IPV4:
		return layer_payload(w, end, ST_IPV4);
	case SL_ETH_P_IPV6:
		return layer_payload(w, end, ST_IPV6);
	default:
		return stop(w, SL_ENCAP_OK);
	}
}

/* ERSPAN type II (8 bytes, version 1) or III (12 bytes, version 2, plus an
 * 8-byte platform subheader when the O bit is set) at h; Ethernet follows. */
static enum step
step_erspan(struct walk *w, uint32_t h, int type3)
{
	const uint8_t *p = w->pkt + h;
	uint32_t hlen = type3 ? SL_ERSPAN3_HLEN : SL_ERSPAN2_HLEN;

	w->pi->encap_mask |=
		SL_ENCAP_BIT(type3 ? SL_ENCAP_ERSPAN3 : SL_ENCAP_ERSPAN2);
	if (!have(w, h, hlen))
		return cut(w, SL_ENCAP_ERR_ERSPAN_TRUNCATED);
	if (p[0] >> 4 != (type3 ? 2 : 1))
		return stop(w, SL_ENCAP_ERR_ERSPAN_BAD_VERSION);
	if (type3 && (p[11] & 0x01)) {
		hlen += SL_ERSPAN3_SUB_HLEN;
		if (!have(w, h, hlen))
			return cut(w, SL_ENCAP_ERR_ERSPAN_TRUNCATED);
	}
	set_tunnel_id(w->pi, sl_rd16(p + 2) & SL_ERSPAN_SID_MASK,
		      SL_TUNID_ERSPAN_ID);
	/* Type III frame type (FT): 0 is Ethernet; others are not walked. */
	if (type3 && ((p[10] >> 2) & 0x1f) != 0)
		return stop(w, SL_ENCAP_OK);
	return layer_payload(w, h + hlen, ST_ETH);
}

/* GRE (RFC 2784/2890) at h: C, K, S optional words, version 0. */
static enum step
step_gre(struct walk *w, uint32_t h)
{
	const uint8_t *p = w->pkt + h;
	uint32_t hlen = SL_GRE_HLEN, end;
	uint8_t f;

	if (!enter(w, SL_ENCAP_GRE))
		return stop(w, SL_ENCAP_ERR_TOO_DEEP);
	if (!have(w, h, SL_GRE_HLEN))
		return cut(w, SL_ENCAP_ERR_GRE_TRUNCATED);
	f = p[0];
	switch (p[1] & SL_GRE_VER_MASK) {
	case 0:
		break;
	case SL_GRE_VER_PPTP:
		return stop(w, SL_ENCAP_OK); /* enhanced GRE: not walked */
	default:
		return stop(w, SL_ENCAP_ERR_GRE_BAD_VERSION);
	}
	if (f & SL_GRE_R)
		return stop(w, SL_ENCAP_ERR_GRE_ROUTING);
	hlen += (f & SL_GRE_C) ? 4 : 0;
	hlen += (f & SL_GRE_K) ? 4 : 0;
	hlen += (f & SL_GRE_S) ? 4 : 0;
	if (!have(w, h, hlen))
		return cut(w, SL_ENCAP_ERR_GRE_TRUNCATED);
	if (f & SL_GRE_K)
		set_tunnel_id(w->pi, sl_rd32(p + ((f & SL_GRE_C) ? 8 : 4)),
			      SL_TUNID_GRE_KEY);
	end = h + hlen;
	switch (sl_rd16(p + 2)) {
	case SL_ETH_P_IPV4:
		return layer_payload(w, end, ST_IPV4);
	case SL_ETH_P_IPV6:
		return layer_payload(w, end, ST_IPV6);
	case SL_ETH_P_TEB:
		return layer_payload(w, end, ST_ETH);
	case SL_ETH_P_MPLS_UC:
	case SL_ETH_P_MPLS_MC:
		return layer_payload(w, end, ST_MPLS);
	case SL_ETH_P_ERSPAN12:
		if (f & SL_GRE_S)
			return step_erspan(w, end, 0);
		/* Type I: no sequence number, no ERSPAN header. */
		w->pi->encap_mask |= SL_ENCAP_BIT(SL_ENCAP_ERSPAN1);
		return layer_payload(w, end, ST_ETH);
	case SL_ETH_P_ERSPAN3:
		return step_erspan(w, end, 1);
	default:
		return stop(w, SL_ENCAP_OK);
	}
}

/* The extent of the settled IP layer's payload, the carrier of the
 * tunnel step. No L4 byte at all: l4_off and l4_len are 0, so is the
 * extent. */
static inline void
carrier(struct walk *w)
{
	const struct sl_pkt_info *pi = w->pi;

	w->frag = (pi->frag & SL_FRAG_IS_FRAGMENT) != 0;
	w->off = pi->l4_off;
	w->lim = pi->l4_len ? min_u32((uint32_t)pi->l4_off + pi->l4_len, SL_WALK_LIM_MAX) : 0;
}

/* The settled IP layer carries a tunnel candidate (sl_parse.c parse_l4):
 * one switch on its protocol, each arm setting up the carrier itself. */
static enum step
step_l4(struct walk *w)
{
	struct sl_pkt_info *pi = w->pi;
	const struct sl_parse_cfg *cfg = w->cfg;

	switch (pi->proto) {
	case SL_IPPROTO_IPIP:
	case SL_IPPROTO_IPV6:
		carrier(w);
		if (!enter(w, SL_ENCAP_IPIP))
			return stop(w, SL_ENCAP_ERR_TOO_DEEP);
		return layer_payload(w, w->off, pi->proto == SL_IPPROTO_IPIP ?
							ST_IPV4 :
							ST_IPV6);
	case SL_IPPROTO_GRE:
		carrier(w);
		return step_gre(w, w->off);
	default:
		/* UDP, its 8-byte header is there: sl_parse.c only prefilters
		 * the port, check it here before anything is touched. */
		if (port_in(cfg->vxlan_ports, min_u32(cfg->n_vxlan_ports, 8), pi->dport)) {
			carrier(w);
			return step_vxlan(w, w->off + SL_UDP_HLEN);
		}
		if (port_in(cfg->geneve_ports, min_u32(cfg->n_geneve_ports, 4), pi->dport)) {
			carrier(w);
			return step_geneve(w, w->off + SL_UDP_HLEN);
		}
		return ST_END; /* plain UDP, pi untouched */
	}
}

/* MPLS label stack (RFC 3032): up to SL_MAX_MPLS_LABELS labels, then IP by
 * its version nibble, or a pseudowire control word and Ethernet. */
static enum step
step_mpls(struct walk *w)
{
	const uint8_t *pkt = w->pkt;
	uint32_t off = w->off;
	int bos = 0;

	if (!enter(w, SL_ENCAP_MPLS))
		return stop(w, SL_ENCAP_ERR_TOO_DEEP);
	for (unsigned int i = 0; i < SL_MAX_MPLS_LABELS && !bos; i++) {
		if (!have(w, off, SL_MPLS_HLEN))
			return stop(w, SL_ENCAP_ERR_MPLS_TRUNCATED);
		bos = pkt[off + 2] & 0x01;
		off += SL_MPLS_HLEN;
	}
	if (!bos)
		return stop(w, SL_ENCAP_ERR_MPLS_TOO_DEEP);
	if (!have(w, off, 1))
		return stop(w, SL_ENCAP_ERR_MPLS_TRUNCATED);
	switch (pkt[off] >> 4) {
	case 4:
		return layer_payload(w, off, ST_IPV4);
	case 6:
		return layer_payload(w, off, ST_IPV6);
	case 0:
		if (!w->cfg->mpls_pw)
			break;
		if (!have(w, off, SL_MPLS_CW_LEN))
			return stop(w, SL_ENCAP_ERR_MPLS_TRUNCATED);
		return layer_payload(w, off + SL_MPLS_CW_LEN, ST_ETH);
	default:
		break;
	}
	return stop(w, SL_ENCAP_OK);
}

/* PPPoE session (RFC 2516): ver/type 0x11, code, session id, length; then
 * the PPP protocol. The length bounds the payload. */
static enum step
step_pppoe(struct walk *w)
{
	const uint8_t *p = w->pkt + w->off;
	uint32_t end;

	if (!enter(w, SL_ENCAP_PPPOE))
		return stop(w, SL_ENCAP_ERR_TOO_DEEP);
	if (!have(w, w->off, SL_PPPOE_HLEN))
		return stop(w, SL_ENCAP_ERR_PPPOE_TRUNCATED);
	if (p[0] != SL_PPPOE_VER_TYPE)
		return stop(w, SL_ENCAP_ERR_PPPOE_BAD_VERSION);
	end = w->off + SL_PPPOE_HLEN + sl_rd16(p + 4);
	w->lim = min_u32(w->lim, end);
	if (!have(w, w->off + SL_PPPOE_HLEN, 2))
		return stop(w, SL_ENCAP_ERR_PPPOE_TRUNCATED);
	switch (sl_rd16(p + SL_PPPOE_HLEN)) {
	case SL_PPP_IPV4:
		return layer_payload(w, w->off + SL_PPPOE_HLEN + 2, ST_IPV4);
	case SL_PPP_IPV6:
		return layer_payload(w, w->off + SL_PPPOE_HLEN + 2, ST_IPV6);
	default:
		return stop(w, SL_ENCAP_OK); /* LCP, IPCP, ...: not IP */
	}
}

/* Inner Ethernet at w->off: tags into w->vlan, then by ethertype. */
static enum step
step_eth(struct walk *w)
{
	uint32_t off = w->off + SL_ETH_HLEN;
	uint16_t type;
	int err;

	if (!have(w, w->off, SL_ETH_HLEN))
		return stop(w, SL_ENCAP_ERR_INNER_L2_TRUNCATED);
	type = sl_rd16(w->pkt + w->off + 12);
	memset(w->vlan, 0, sizeof(w->vlan)); /* this frame's tags only */
	w->n_vlans = 0;
	if (type == SL_ETH_P_IPV4 || type == SL_ETH_P_IPV6) {
		/* untagged IP, a cloud mirror's inner frame: what the tag loop
		 * and the switch below give it, without them */
		w->off = off;
		return type == SL_ETH_P_IPV4 ? ST_IPV4 : ST_IPV6;
	}
	err = sl_parse_pvt_l2_tags(w->pkt, w->lim, &off, &type, w->vlan,
				   &w->n_vlans, &w->pi->encap_mask);
	if (err == SL_PARSE_ERR_VLAN_TOO_DEEP)
		return stop(w, SL_ENCAP_ERR_INNER_VLAN_TOO_DEEP);
	if (err != SL_PARSE_OK)
		return stop(w, SL_ENCAP_ERR_INNER_L2_TRUNCATED);
	w->off = off;
	switch (type) {
	case SL_ETH_P_IPV4:
		return ST_IPV4;
	case SL_ETH_P_IPV6:
		return ST_IPV6;
	case SL_ETH_P_PPPOE_SES:
		return ST_PPPOE;
	case SL_ETH_P_MPLS_UC:
	case SL_ETH_P_MPLS_MC:
		return ST_MPLS;
	default:
		return stop(w, SL_ENCAP_OK);
	}
}

/* Inner IP layer at w->off: the flow fields start over for it. */
static enum step
step_ip(struct walk *w, int v6)
{
	struct sl_pkt_info *pi = w->pi;
	uint16_t vlan0 = pi->vlan[0], vlan1 = pi->vlan[1];
	uint8_t n_vlans = pi->n_vlans;
	int r;

	memset(pi, 0, offsetof(struct sl_pkt_info, tunnel_id));
	pi->vlan[0] = vlan0;
	pi->vlan[1] = vlan1;
	pi->n_vlans = n_vlans;
	pi->ethertype = v6 ? SL_ETH_P_IPV6 : SL_ETH_P_IPV4;
	r = v6 ? sl_parse_pvt_ipv6(w->cfg, w->pkt, w->off, w->lim, pi) :
		 sl_parse_pvt_ipv4(w->cfg, w->pkt, w->off, w->lim, pi);
	if (pi->l3 == SL_L3_NONE) {
		/* n_encap, after the flow fields, still holds the settled
		 * layer's depth. */
		w->clobbered = 1;
		return stop(w, r == SL_PARSE_ERR_IPV4_TRUNCATED ||
					       r == SL_PARSE_ERR_IPV6_TRUNCATED ?
				       SL_ENCAP_ERR_INNER_L3_TRUNCATED :
				       SL_ENCAP_ERR_INNER_L3_BAD);
	}
	pi->n_encap = (uint8_t)w->depth;
	pi->inner_off = (uint16_t)w->payload_off;
	memcpy(pi->inner_vlan, w->vlan, sizeof(pi->inner_vlan));
	pi->inner_n_vlans = w->n_vlans;
	if (r == SL_PARSE_PVT_TUNNEL)
		return ST_L4;
	w->err = r;
	return ST_END;
}

int
sl_parse_pvt_decap(const struct sl_parse_cfg *cfg, const uint8_t *pkt,
		   uint32_t len, struct sl_pkt_info *pi, uint32_t off,
		   uint16_t type)
{
	struct walk w;
	enum step st = ST_L4;

	w.cfg = cfg;
	w.pkt = pkt;
	w.len = len;
	w.pi = pi;
	w.off = w.lim = w.depth = w.payload_off = 0;
	w.frag = 0;
	w.err = SL_PARSE_OK;
	memset(w.vlan, 0, sizeof(w.vlan));
	w.n_vlans = 0;
	w.clobbered = 0;
	/* Between two layers entered there are at most an Ethernet and an
	 * IP step; max_depth layers plus the refused one and ST_END fit. */
	const uint32_t max_steps = 3 * (uint32_t)cfg->max_depth + 4;

	if (type != 0) { /* PPPoE or MPLS right after the outer Ethernet */
		w.off = off;
		w.lim = min_u32(len, SL_WALK_LIM_MAX);
		st = type == SL_ETH_P_PPPOE_SES ? ST_PPPOE : ST_MPLS;
	}
	for (uint32_t n = 0; st != ST_END; n++) {
		if (n == max_steps) { /* not reached: see above */
			stop(&w, SL_ENCAP_ERR_TOO_DEEP);
			break;
		}
		/* L4, Ethernet and IP, a cloud mirror's layer (VXLAN or
		 * GENEVE, then Ethernet, then IP), fall through to each other:
		 * one pass of the loop and one dispatch for the three steps
		 * (docs/performance.md "The walker's layer in one pass"). The
		 * bound above still holds: every pass takes a step. */
		switch (st) {
		case ST_MPLS:
			st = step_mpls(&w);
			break;
		case ST_PPPOE:
			st = step_pppoe(&w);
			break;
		case ST_L4:
			st = step_l4(&w);
			if (st != ST_ETH)
				break;
			/* fall through */
		case ST_ETH:
			st = step_eth(&w);
			if (st != ST_IPV4 && st != ST_IPV6)
				break;
			/* fall through */
		case ST_IPV4:
		case ST_IPV6:
			st = step_ip(&w, st == ST_IPV6);
			break;
		default:
			st = ST_END;
			break;
		}
	}
	return w.err;
}
