/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Remote members: an analyzer on another host, reached through an output
 * port inside a tunnel (VXLAN, GENEVE, GRE, ERSPAN II/III). lib/encap builds
 * the outer headers once per member slot, from its configuration and its
 * output's MAC address; per packet this stage checks the tunnel's MTU,
 * makes room in front of the frame and has lib/encap write the headers.
 * It runs last before the TX buffer (tx.c: sl_deliver_up), after strip, so
 * what travels in the tunnel is what a local member would have received.
 *
 * A packet is written in place when it is the only reference to its data
 * and has headroom for the outer headers (the common case: the mbufs of
 * every RX path here have RTE_PKTMBUF_HEADROOM, 128 bytes, and the longest
 * header is 80). A packet shared with another member (mirror copies go by
 * reference), or without the room, or one to cut that spans several
 * segments, is copied first: counted encap_nombuf when no mbuf is free.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <jansson.h>

#include <rte_ethdev.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "app.h"
#include "datapath.h"

RTE_LOG_REGISTER(sl_remote_logtype, user.sluice.remote, INFO);
#define RMLOG(level, ...) rte_log(RTE_LOG_##level, sl_remote_logtype, "sluice: " __VA_ARGS__)

static enum sl_tun
tun_of(enum sl_remote_encap e)
{
	switch (e) {
	case SL_REMOTE_VXLAN:
		return SL_TUN_VXLAN;
	case SL_REMOTE_GENEVE:
		return SL_TUN_GENEVE;
	case SL_REMOTE_GRE:
		return SL_TUN_GRE;
	case SL_REMOTE_ERSPAN2:
		return SL_TUN_ERSPAN2;
	case SL_REMOTE_ERSPAN3:
		return SL_TUN_ERSPAN3;
	default:
		return SL_TUN_NONE;
	}
}

int
sl_remote_setup(struct sl_app *app, const struct sl_cfg *cfg, const struct sl_cfg_member *m,
		struct sl_member_rt *mr, struct sl_cfg_error *err)
{
	const struct sl_cfg_remote *r = &m->remote;
	const struct sl_cfg_port *out = &app->cfg->outputs[m->output_idx];
	struct sl_encap_params p = {
		.tun = tun_of(r->encap), .family = r->family, .id = r->id, .has_key = r->has_id,
		.udp_port = r->port, .dscp = r->dscp, .ttl = r->ttl, .mtu = r->mtu,
		.truncate = r->truncate,
	};
	struct sl_member_remote *rm;
	int rc;

	mr->remote = NULL;
	if (r->encap == SL_REMOTE_NONE)
		return 0;
	memcpy(p.src, r->src, sizeof(p.src));
	memcpy(p.dst, r->dst, sizeof(p.dst));
	memcpy(p.dst_mac, r->dst_mac, sizeof(p.dst_mac));
	if (r->has_src_mac) {
		memcpy(p.src_mac, r->src_mac, sizeof(p.src_mac));
	} else {
		struct rte_ether_addr mac;

		/* the configuration requires src_mac for a ring output */
		rc = mr->ring == NULL ? rte_eth_macaddr_get(mr->port, &mac) : -ENOTSUP;
		if (rc != 0) {
			sl_config_error(cfg, err, m->loc, "members.remote",
					"output '%s' has no MAC address (%s): give src_mac",
					out->name, rte_strerror(-rc));
			return rc;
		}
		memcpy(p.src_mac, mac.addr_bytes, sizeof(p.src_mac));
	}
	if (mr->ring == NULL) {
		uint16_t port_mtu;

		/* the outer IP packet must fit the output too */
		if (rte_eth_dev_get_mtu(mr->port, &port_mtu) == 0 && port_mtu < r->mtu)
			RMLOG(WARNING, "%s:%d:%d: remote member on output '%s': mtu %u is above "
			      "the port's MTU %u; longer packets may be refused\n", cfg->path,
			      m->loc.line, m->loc.col, out->name, r->mtu, port_mtu);
	}
	rm = rte_zmalloc("sl_member_remote", sizeof(*rm), RTE_CACHE_LINE_SIZE);
	if (rm == NULL) {
		sl_config_error(cfg, err, m->loc, "members.remote", "out of memory");
		return -ENOMEM;
	}
	rc = sl_encap_init(&rm->encap, &p);
	if (rc != 0) {
		/* lib/config checked every value: not expected */
		sl_config_error(cfg, err, m->loc, "members.remote",
				"invalid tunnel settings (%s)", rte_strerror(-rc));
		rte_free(rm);
		return rc;
	}
	rm->cfg = *r;
	mr->remote = rm;
	return 0;
}

void
sl_remote_free(struct sl_member_rt *mr)
{
	rte_free((void *)(uintptr_t)mr->remote);
	mr->remote = NULL;
}

void
sl_remote_json(const struct sl_member_rt *mr, json_t *mo)
{
	const struct sl_cfg_remote *r = &mr->remote->cfg;
	char dst[INET6_ADDRSTRLEN] = "";
	json_t *ro = json_object();

	inet_ntop(r->family == 4 ? AF_INET : AF_INET6, r->dst, dst, sizeof(dst));
	json_object_set_new(ro, "encap", json_string(sl_remote_encap_name(r->encap)));
	json_object_set_new(ro, "dst", json_string(dst));
	if (r->has_id)
		json_object_set_new(ro, "id", json_integer(r->id));
	json_object_set_new(ro, "mtu", json_integer(r->mtu));
	json_object_set_new(mo, "remote", ro);
}

bool
sl_remote_encap(struct sl_worker *w, uint32_t gm, struct rte_mbuf **mp)
{
	const struct sl_stats_layout *l = &w->app->layout;
	const struct sl_member_rt *mr = &w->app->members[gm];
	const struct sl_encap *e = &mr->remote->encap;
	struct rte_mbuf *m = *mp;
	uint32_t len = rte_pktmbuf_pkt_len(m);
	enum sl_encap_size fit = sl_encap_fit(e, len);
	uint32_t inner = fit == SL_ENCAP_CUT ? e->max_inner : len;

	if (unlikely(fit == SL_ENCAP_TOO_BIG)) {
		w->c[sl_ix_member(l, gm, SL_MC_ENCAP_OVERSIZE)]++;
		sl_drop_pkt(w, m, SL_DROP_ENCAP_OVERSIZE, mr->tenant);
		return false;
	}
	if (unlikely(!RTE_MBUF_DIRECT(m) || rte_mbuf_refcnt_read(m) != 1 ||
		     rte_pktmbuf_headroom(m) < e->len || (fit == SL_ENCAP_CUT && m->nb_segs > 1))) {
		/* the first inner bytes, in a buffer of our own */
		struct rte_mbuf *c = rte_pktmbuf_copy(m, w->app->pool, 0, inner);

		if (c == NULL || rte_pktmbuf_headroom(c) < e->len) {
			rte_pktmbuf_free(c);
			sl_drop_pkt(w, m, SL_DROP_ENCAP_NOMBUF, mr->tenant);
			return false;
		}
		rte_pktmbuf_free(m);
		m = c;
	} else if (fit == SL_ENCAP_CUT) {
		rte_pktmbuf_trim(m, (uint16_t)(len - inner));
	}
	uint8_t *h = (uint8_t *)rte_pktmbuf_prepend(m, e->len);

	sl_encap_write(e, h, inner, fit == SL_ENCAP_CUT, m->hash.rss, w->tx[gm].seq++);
	w->c[SL_WC_ENCAPSULATED]++;
	if (fit == SL_ENCAP_CUT) {
		w->c[SL_WC_ENCAP_TRUNCATED]++;
		w->c[sl_ix_member(l, gm, SL_MC_ENCAP_TRUNCATED)]++;
	}
	*mp = m;
	return true;
}
