/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The kernel's view of kernel-backed inputs.
 *
 * A frame read through net_af_packet, net_af_xdp or net_tap crossed kernel
 * buffers before sluice's first counter: the interface, then the PMD's
 * packet socket ring (TPACKET_V2), its XDP socket's RX ring, or the TAP
 * queue. A full buffer there drops frames that neither sluice's ledger nor,
 * in DPDK 22.11, the port's imissed ever see: net_af_packet does not read
 * PACKET_STATISTICS (DPDK 25.03 does), net_af_xdp reads XDP_STATISTICS
 * rx_dropped but not rx_ring_full (with the full struct the kernel reports
 * them apart). This file reads what the kernel counted and shows it beside
 * imissed, so that a path that lost frames says so:
 *
 *   interface   RTM_GETLINK IFLA_STATS64 of the port's if_index (netlink:
 *               right for sluice's network namespace whatever /sys shows),
 *               as deltas since start-up
 *   af_packet   PACKET_STATISTICS of the PMD's sockets (ours: the same
 *               process), found in /proc/self/fd by SO_DOMAIN, bound
 *               interface and TPACKET_V2; reading resets the kernel's
 *               counts, so they are accumulated here
 *   af_xdp      XDP_STATISTICS of the PMD's XSKs (not reset by reading).
 *               An XSK cannot name its interface (no getsockname, and
 *               xsk_diag is often not built): the PMD creates one per RX
 *               queue while its input is set up, inputs before outputs, in
 *               configuration order, so the sockets are handed out in
 *               inode order (the creation order on the set-up thread)
 *   tap         the TAP interface's TX counters (the kernel transmits to
 *               the PMD's file descriptor)
 *
 * "dropped" per input is what the kernel dropped on the way that imissed
 * does not already hold (see kernel_dropped() for what is left out). The ledger keeps its own identity; beside it,
 * "inputs_lossless" is false as soon as any input's imissed or kernel drops
 * are not zero.
 */
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <net/if.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/if_link.h>
#include <linux/if_packet.h>
#include <linux/if_xdp.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>

#include <rte_ethdev.h>
#include <rte_log.h>
#include <rte_version.h>

#include "app.h"
#include "kstats.h"

#ifndef AF_XDP
#define AF_XDP 44
#endif
#ifndef SOL_XDP
#define SOL_XDP 283
#endif

/* DPDK 25.03's net_af_packet reads (and so resets) PACKET_STATISTICS itself
 * and reports the drops as imissed: then the sockets are left to it. */
#define SL_AFP_PMD_READS_DROPS (RTE_VERSION >= RTE_VERSION_NUM(25, 3, 0, 0))

#define SL_KSTATS_MAX_SOCKS 64
#define SL_NL_BUF 32768

RTE_LOG_REGISTER(sl_kstats_logtype, user.sluice.kstats, INFO);
#define KLOG(level, ...) rte_log(RTE_LOG_##level, sl_kstats_logtype, "sluice: " __VA_ARGS__)

enum kin_kind { KIN_NONE, KIN_PACKET, KIN_XDP, KIN_TAP };

static const char *const kind_names[] = { "", "packet", "xdp", "tap" };

struct ksock {
	int fd;      /* the PMD's descriptor: never closed here */
	ino_t ino;   /* checked before each read: the PMD may have closed it */
};

struct kin {
	enum kin_kind kind;
	int ifindex;
	char ifname[IF_NAMESIZE];
	char error[96];                  /* why the interface could not be read */
	struct rtnl_link_stats64 base;   /* interface counters at start-up */
	struct rtnl_link_stats64 now;
	uint16_t n_socks;
	struct ksock socks[SL_KSTATS_MAX_SOCKS];
	uint64_t sock_packets, sock_drops; /* PACKET_STATISTICS, accumulated */
	struct xdp_statistics xdp;       /* XDP_STATISTICS, summed over XSKs */
};

struct sl_kstats {
	pthread_mutex_t lock;
	int nl;
	uint32_t seq;
	uint16_t n;
	char *nlbuf;                     /* SL_NL_BUF bytes, under lock */
	struct kin in[];
};

static enum kin_kind
kind_of(const char *driver)
{
	if (strcmp(driver, "net_af_packet") == 0)
		return KIN_PACKET;
	if (strcmp(driver, "net_af_xdp") == 0)
		return KIN_XDP;
	if (strcmp(driver, "net_tap") == 0 || strcmp(driver, "net_tun") == 0)
		return KIN_TAP;
	return KIN_NONE;
}

static int
nl_open(void)
{
	struct timeval tv = { .tv_sec = 0, .tv_usec = 200000 };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);

	if (fd < 0)
		return -errno;
	/* the control loop must never wait long on the kernel */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

/* IFLA_STATS64 and the name of interface ifindex, in sluice's namespace. */
static int
link_stats(struct sl_kstats *ks, int ifindex, struct rtnl_link_stats64 *st, char *name)
{
	struct {
		struct nlmsghdr nh;
		struct ifinfomsg ifi;
	} req;
	char *buf = ks->nlbuf;
	uint32_t seq = ++ks->seq;
	bool found = false;

	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = sizeof(req);
	req.nh.nlmsg_type = RTM_GETLINK;
	req.nh.nlmsg_flags = NLM_F_REQUEST;
	req.nh.nlmsg_seq = seq;
	req.ifi.ifi_family = AF_UNSPEC;
	req.ifi.ifi_index = ifindex;
	if (send(ks->nl, &req, sizeof(req), 0) < 0)
		return -errno;
	for (;;) {
		ssize_t n = recv(ks->nl, buf, SL_NL_BUF, 0);

		if (n < 0)
			return -errno;
		for (struct nlmsghdr *nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, (size_t)n);
		     nh = NLMSG_NEXT(nh, n)) {
			if (nh->nlmsg_seq != seq)
				continue; /* an answer to a request that timed out */
			if (nh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(nh);
				return e->error != 0 ? e->error : (found ? 0 : -ENOENT);
			}
			if (nh->nlmsg_type != RTM_NEWLINK)
				continue;
			const struct ifinfomsg *ifi = NLMSG_DATA(nh);
			int len = (int)nh->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*ifi));

			for (const struct rtattr *a = IFLA_RTA(ifi); RTA_OK(a, len);
			     a = RTA_NEXT(a, len)) {
				if (a->rta_type == IFLA_STATS64 && RTA_PAYLOAD(a) >= sizeof(*st)) {
					memcpy(st, RTA_DATA(a), sizeof(*st));
					found = true;
				} else if (a->rta_type == IFLA_IFNAME && name != NULL) {
					snprintf(name, IF_NAMESIZE, "%.*s", (int)RTA_PAYLOAD(a),
						 (const char *)RTA_DATA(a));
				}
			}
			return found ? 0 : -ENODATA;
		}
	}
}

static bool
same_socket(const struct ksock *s)
{
	struct stat sb;

	return fstat(s->fd, &sb) == 0 && S_ISSOCK(sb.st_mode) && sb.st_ino == s->ino;
}

static void
add_sock(struct kin *k, int fd, ino_t ino)
{
	if (k->n_socks < SL_KSTATS_MAX_SOCKS)
		k->socks[k->n_socks++] = (struct ksock){ .fd = fd, .ino = ino };
}

static int
cmp_ino(const void *a, const void *b)
{
	const struct ksock *x = a, *y = b;

	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

/* Our own sockets: packet sockets by the interface they are bound to, XSKs
 * handed out in creation order (see the top of the file). */
static void
find_sockets(struct sl_app *app, struct sl_kstats *ks)
{
	struct ksock xsk[SL_KSTATS_MAX_SOCKS];
	unsigned int n_xsk = 0;
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;

	if (d == NULL) {
		KLOG(WARNING, "kernel counters: /proc/self/fd: %s\n", strerror(errno));
		return;
	}
	while ((e = readdir(d)) != NULL) {
		int fd = atoi(e->d_name), dom = 0;
		socklen_t len = sizeof(dom);
		struct stat sb;

		if (e->d_name[0] < '0' || e->d_name[0] > '9' || fd == dirfd(d) ||
		    fstat(fd, &sb) != 0 || !S_ISSOCK(sb.st_mode) ||
		    getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &dom, &len) != 0)
			continue;
		if (dom == AF_XDP) {
			if (n_xsk < SL_KSTATS_MAX_SOCKS)
				xsk[n_xsk++] = (struct ksock){ .fd = fd, .ino = sb.st_ino };
			continue;
		}
		if (dom != AF_PACKET)
			continue;
		struct sockaddr_ll sll;
		int ver = -1;

		len = sizeof(sll);
		if (getsockname(fd, (struct sockaddr *)&sll, &len) != 0)
			continue;
		len = sizeof(ver);
		/* net_af_packet uses TPACKET_V2; libpcap (net_pcap iface=) V3 */
		if (getsockopt(fd, SOL_PACKET, PACKET_VERSION, &ver, &len) != 0 ||
		    ver != TPACKET_V2)
			continue;
		for (uint16_t i = 0; i < ks->n; i++)
			if (ks->in[i].kind == KIN_PACKET && ks->in[i].ifindex == sll.sll_ifindex)
				add_sock(&ks->in[i], fd, sb.st_ino);
	}
	closedir(d);
	qsort(xsk, n_xsk, sizeof(xsk[0]), cmp_ino);
	unsigned int next = 0;
	for (uint16_t i = 0; i < ks->n; i++) {
		if (ks->in[i].kind != KIN_XDP)
			continue;
		for (uint16_t q = 0; q < app->in_ports[i].nb_rxq && next < n_xsk; q++, next++)
			add_sock(&ks->in[i], xsk[next].fd, xsk[next].ino);
		if (ks->in[i].n_socks < app->in_ports[i].nb_rxq)
			KLOG(WARNING, "input '%s': found %u of %u XDP sockets\n",
			     app->cfg->inputs[i].name, ks->in[i].n_socks, app->in_ports[i].nb_rxq);
	}
}

int
sl_kstats_init(struct sl_app *app)
{
	const uint16_t n = app->cfg->n_inputs;
	struct sl_kstats *ks = calloc(1, sizeof(*ks) + n * sizeof(ks->in[0]));
	bool any = false;

	if (ks == NULL || (ks->nlbuf = malloc(SL_NL_BUF)) == NULL) {
		free(ks);
		return -ENOMEM;
	}
	pthread_mutex_init(&ks->lock, NULL);
	ks->n = n;
	ks->nl = -1;
	for (uint16_t i = 0; i < n; i++) {
		struct kin *k = &ks->in[i];
		struct rte_eth_dev_info info;

		if (app->in_ports[i].ring != NULL ||
		    rte_eth_dev_info_get(app->in_ports[i].port_id, &info) != 0)
			continue;
		k->kind = kind_of(info.driver_name);
		k->ifindex = (int)info.if_index;
		any |= k->kind != KIN_NONE;
	}
	app->kstats = ks;
	if (!any)
		return 0;
	ks->nl = nl_open();
	for (uint16_t i = 0; i < n; i++) {
		struct kin *k = &ks->in[i];
		int rc = -ENODEV;

		if (k->kind == KIN_NONE)
			continue;
		if (ks->nl >= 0 && k->ifindex > 0)
			rc = link_stats(ks, k->ifindex, &k->base, k->ifname);
		else if (ks->nl < 0)
			rc = ks->nl;
		if (rc != 0) {
			snprintf(k->error, sizeof(k->error), "interface %d: %s", k->ifindex,
				 strerror(-rc));
			KLOG(WARNING, "input '%s': no kernel counters: %s\n",
			     app->cfg->inputs[i].name, k->error);
		}
		k->now = k->base;
	}
	find_sockets(app, ks);
	return 0;
}

void
sl_kstats_free(struct sl_app *app)
{
	struct sl_kstats *ks = app->kstats;

	if (ks == NULL)
		return;
	if (ks->nl >= 0)
		close(ks->nl);
	pthread_mutex_destroy(&ks->lock);
	free(ks->nlbuf);
	free(ks);
	app->kstats = NULL;
}

static void
read_sockets(struct kin *k)
{
	struct xdp_statistics sum;

	memset(&sum, 0, sizeof(sum));
	for (uint16_t s = 0; s < k->n_socks; s++) {
		const struct ksock *so = &k->socks[s];

		if (!same_socket(so))
			continue; /* the PMD closed it: keep what was counted */
		if (k->kind == KIN_PACKET && !SL_AFP_PMD_READS_DROPS) {
			struct tpacket_stats st;
			socklen_t len = sizeof(st);

			if (getsockopt(so->fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0) {
				k->sock_packets += st.tp_packets; /* drops included */
				k->sock_drops += st.tp_drops;
			}
		} else if (k->kind == KIN_XDP) {
			struct xdp_statistics st;
			socklen_t len = sizeof(st);

			memset(&st, 0, sizeof(st));
			if (getsockopt(so->fd, SOL_XDP, XDP_STATISTICS, &st, &len) == 0) {
				sum.rx_dropped += st.rx_dropped;
				sum.rx_invalid_descs += st.rx_invalid_descs;
				sum.tx_invalid_descs += st.tx_invalid_descs;
				sum.rx_ring_full += st.rx_ring_full;
				sum.rx_fill_ring_empty_descs += st.rx_fill_ring_empty_descs;
				sum.tx_ring_empty_descs += st.tx_ring_empty_descs;
			}
		}
	}
	if (k->kind == KIN_XDP)
		k->xdp = sum;
}

#define DELTA(k, f) ((json_int_t)((k)->now.f - (k)->base.f))

/*
 * What the kernel dropped on this input's way that imissed does not hold.
 * The interface's rx_missed (a NIC's FIFO overflow) is always before the
 * PMD. Its rx_dropped is not counted: the stack also counts there frames
 * it discarded after the packet socket took its copy (a QinQ frame, a
 * VLAN or protocol nobody handles) and, on veth, XDP redirects into a full
 * XSK that the socket counts too; it is shown beside, not added.
 */
static uint64_t
kernel_dropped(const struct kin *k)
{
	uint64_t missed = k->now.rx_missed_errors - k->base.rx_missed_errors;

	switch (k->kind) {
	case KIN_PACKET:
		/* 25.03+: the socket's drops are the port's imissed */
		return missed + (SL_AFP_PMD_READS_DROPS ? 0 : k->sock_drops);
	case KIN_XDP:
		/* imissed holds rx_dropped, not rx_ring_full */
		return missed + k->xdp.rx_ring_full;
	case KIN_TAP:
		return k->now.tx_dropped - k->base.tx_dropped;
	default:
		return 0;
	}
}

static bool
generic_xstat(const char *name)
{
	static const char *const pat[] = {
		"rx_good_*", "tx_good_*", "rx_missed_errors", "rx_errors", "tx_errors",
		"rx_mbuf_allocation_errors", "rx_q[0-9]*_*", "tx_q[0-9]*_*",
	};

	for (size_t i = 0; i < RTE_DIM(pat); i++)
		if (fnmatch(pat[i], name, 0) == 0)
			return true;
	return false;
}

/* The PMD's own extended counters (not the ones ethdev derives from the
 * basic stats), when not zero. */
static json_t *
pmd_xstats(uint16_t port)
{
	json_t *o = json_object();
	int n = rte_eth_xstats_get(port, NULL, 0);

	if (n <= 0)
		return o;
	struct rte_eth_xstat *v = calloc(n, sizeof(*v));
	struct rte_eth_xstat_name *nm = calloc(n, sizeof(*nm));

	if (v != NULL && nm != NULL && rte_eth_xstats_get(port, v, n) == n &&
	    rte_eth_xstats_get_names(port, nm, n) == n) {
		for (int i = 0; i < n; i++)
			if (v[i].value != 0 && v[i].id < (uint64_t)n && !generic_xstat(nm[v[i].id].name))
				json_object_set_new(o, nm[v[i].id].name,
						    json_integer((json_int_t)v[i].value));
	}
	free(v);
	free(nm);
	return o;
}

static json_t *
kin_json(struct kin *k, uint16_t port)
{
	json_t *o = json_object();

	json_object_set_new(o, "interface", json_string(k->ifname));
	json_object_set_new(o, "ifindex", json_integer(k->ifindex));
	if (k->error[0] != '\0')
		json_object_set_new(o, "error", json_string(k->error));
	/* the interface's counters since start-up; a TAP's are in the TX
	 * direction: the kernel transmits to the PMD */
	json_object_set_new(o, "packets", json_integer(k->kind == KIN_TAP ? DELTA(k, tx_packets)
									   : DELTA(k, rx_packets)));
	json_object_set_new(o, "rx_packets", json_integer(DELTA(k, rx_packets)));
	json_object_set_new(o, "rx_dropped", json_integer(DELTA(k, rx_dropped)));
	json_object_set_new(o, "rx_missed", json_integer(DELTA(k, rx_missed_errors)));
	json_object_set_new(o, "rx_errors", json_integer(DELTA(k, rx_errors)));
	json_object_set_new(o, "tx_packets", json_integer(DELTA(k, tx_packets)));
	json_object_set_new(o, "tx_dropped", json_integer(DELTA(k, tx_dropped)));
	if (k->kind == KIN_PACKET) {
		json_object_set_new(o, "socket",
				    json_pack("{s:s,s:i,s:I,s:I}", "kind", kind_names[k->kind],
					      "count", k->n_socks, "packets",
					      (json_int_t)k->sock_packets, "drops",
					      (json_int_t)k->sock_drops));
	} else if (k->kind == KIN_XDP) {
		json_object_set_new(o, "socket",
				    json_pack("{s:s,s:i,s:I,s:I,s:I,s:I}", "kind",
					      kind_names[k->kind], "count", k->n_socks,
					      "rx_dropped", (json_int_t)k->xdp.rx_dropped,
					      "rx_ring_full", (json_int_t)k->xdp.rx_ring_full,
					      "rx_fill_ring_empty",
					      (json_int_t)k->xdp.rx_fill_ring_empty_descs,
					      "rx_invalid", (json_int_t)k->xdp.rx_invalid_descs));
	}
	json_object_set_new(o, "xstats", pmd_xstats(port));
	json_object_set_new(o, "dropped", json_integer((json_int_t)kernel_dropped(k)));
	return o;
}

void
sl_kstats_json(struct sl_app *app, json_t *stats)
{
	struct sl_kstats *ks = app->kstats;
	json_t *inputs = json_object_get(stats, "inputs");
	json_t *ledger = json_object_get(stats, "ledger");
	uint64_t imissed = 0, dropped = 0;

	if (ks == NULL || !json_is_array(inputs) || !json_is_object(ledger))
		return;
	pthread_mutex_lock(&ks->lock);
	for (uint16_t i = 0; i < ks->n && i < json_array_size(inputs); i++) {
		struct kin *k = &ks->in[i];
		json_t *in = json_array_get(inputs, i);

		imissed += (uint64_t)json_integer_value(json_object_get(in, "imissed"));
		if (k->kind == KIN_NONE)
			continue;
		/* on failure the last reading stays */
		if (k->error[0] == '\0')
			(void)link_stats(ks, k->ifindex, &k->now, NULL);
		read_sockets(k);
		dropped += kernel_dropped(k);
		json_object_set_new(in, "kernel", kin_json(k, app->in_ports[i].port_id));
	}
	pthread_mutex_unlock(&ks->lock);
	json_object_set_new(ledger, "imissed", json_integer((json_int_t)imissed));
	json_object_set_new(ledger, "kernel_dropped", json_integer((json_int_t)dropped));
	json_object_set_new(ledger, "inputs_lossless", json_boolean(imissed + dropped == 0));
}

json_t *
sl_kstats_input_json(struct sl_app *app, uint16_t input)
{
	struct sl_kstats *ks = app->kstats;
	json_t *o = NULL;

	if (ks == NULL || input >= ks->n)
		return NULL;
	pthread_mutex_lock(&ks->lock);
	struct kin *k = &ks->in[input];

	if (k->kind != KIN_NONE) {
		if (k->error[0] == '\0')
			(void)link_stats(ks, k->ifindex, &k->now, NULL);
		read_sockets(k);
		o = kin_json(k, app->in_ports[input].port_id);
	}
	pthread_mutex_unlock(&ks->lock);
	return o;
}
