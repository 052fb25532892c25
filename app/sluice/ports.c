/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * EAL arguments, the packet mempool and port set-up: inputs (RSS or
 * software distribution) and outputs (per-worker or shared TX queues).
 */
#include <stdlib.h>
#include <string.h>

#include <rte_bus_vdev.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "sl_shmring.h"
#include "datapath.h"

/*
 * The repeated 0x6d5a key makes the Toeplitz hash symmetric: swapping source
 * and destination (addresses and ports) gives the same hash, so both
 * directions of a flow land in the same RX queue (Woo & Park, "Scalable TCP
 * Session Monitoring with Symmetric Receive-side Scaling"). 52 bytes covers
 * the i40e/iavf key size; shorter keys use a prefix.
 */
static const uint8_t sym_rss_key[52] = {
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d,
	0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d,
	0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
};

static int
push(int *argc, char **argv, const char *s)
{
	if (*argc >= SL_MAX_EAL_ARGS * 2 + 16)
		return -E2BIG;
	argv[*argc] = strdup(s);
	if (argv[*argc] == NULL)
		return -ENOMEM;
	(*argc)++;
	return 0;
}

/* true when the arguments already place lcores (-l, -c, --lcores) */
bool
sl_eal_args_set_lcores(int argc, char **argv)
{
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (strncmp(a, "-l", 2) == 0 || strncmp(a, "-c", 2) == 0 ||
		    strncmp(a, "--lcores", 8) == 0)
			return true;
	}
	return false;
}

int
sl_eal_args_build(const struct sl_cfg *cfg, int extra_argc, char **extra_argv, int *argc,
		  char ***argv_out)
{
	char buf[SL_PATH_MAX + 32];
	char **argv = calloc(SL_MAX_EAL_ARGS * 2 + 16 + extra_argc, sizeof(char *));
	bool lcores_given = sl_eal_args_set_lcores(extra_argc, extra_argv) ||
			    sl_eal_args_set_lcores(cfg->n_eal_args, (char **)cfg->eal_args);
	bool any_pci = false;
	int rc = 0;

	if (argv == NULL)
		return -ENOMEM;
	*argc = 0;
	rc |= push(argc, argv, "sluice");
	if (!lcores_given) {
		int n = snprintf(buf, sizeof(buf), "%u", cfg->main_lcore);
		for (uint16_t i = 0; i < cfg->n_workers && n < (int)sizeof(buf) - 8; i++)
			n += snprintf(buf + n, sizeof(buf) - n, ",%u", cfg->worker_lcores[i]);
		rc |= push(argc, argv, "-l");
		rc |= push(argc, argv, buf);
		snprintf(buf, sizeof(buf), "%u", cfg->main_lcore);
		rc |= push(argc, argv, "--main-lcore");
		rc |= push(argc, argv, buf);
	}
	for (int pass = 0; pass < 2; pass++) {
		const struct sl_cfg_port *ports = pass == 0 ? cfg->inputs : cfg->outputs;
		uint16_t n = pass == 0 ? cfg->n_inputs : cfg->n_outputs;

		for (uint16_t i = 0; i < n; i++) {
			/* rings are lib/shmring, not DPDK ports; vdevs are created
			 * after EAL init, one by one (create_vdevs()) */
			if (ports[i].ring.path[0] != '\0' || ports[i].vdev[0] != '\0')
				continue;
			rc |= push(argc, argv, "-a");
			rc |= push(argc, argv, ports[i].pci);
			any_pci = true;
		}
	}
	if (!any_pci)
		rc |= push(argc, argv, "--no-pci");
	for (uint16_t i = 0; i < cfg->n_eal_args; i++)
		rc |= push(argc, argv, cfg->eal_args[i]);
	/* command-line arguments after "--" come last: they win */
	for (int i = 0; i < extra_argc; i++) {
		argv[*argc] = strdup(extra_argv[i]);
		if (argv[*argc] == NULL)
			rc = -ENOMEM;
		else
			(*argc)++;
	}
	*argv_out = argv;
	return rc < 0 ? rc : 0;
}

void
sl_eal_args_free(int argc, char **argv)
{
	if (argv == NULL)
		return;
	for (int i = 0; i < argc; i++)
		free(argv[i]);
	free(argv);
}

/* DPDK port name of a configured port: PCI address or vdev instance name. */
static int
port_id_of(const struct sl_cfg_port *p, uint16_t *id)
{
	char name[SL_PATH_MAX];

	if (p->vdev[0] != '\0') {
		snprintf(name, sizeof(name), "%s", p->vdev);
		char *comma = strchr(name, ',');
		if (comma != NULL)
			*comma = '\0';
	} else {
		snprintf(name, sizeof(name), "%s", p->pci);
	}
	return rte_eth_dev_get_port_by_name(name, id);
}

/*
 * Create the vdev ports, inputs then outputs, in configuration order. Made
 * here rather than by the EAL's --vdev so that a driver that refuses its
 * arguments (a missing capture file, a memif socket in a missing directory,
 * a TAP name the kernel refuses, an AF_PACKET interface that does not
 * exist) is reported with the configuration line of its port: the EAL
 * would only say that probing failed. The driver's own message is logged
 * just before.
 */
static int
create_vdevs(const struct sl_cfg *cfg, struct sl_cfg_error *err)
{
	for (int pass = 0; pass < 2; pass++) {
		const struct sl_cfg_port *ports = pass == 0 ? cfg->inputs : cfg->outputs;
		uint16_t n = pass == 0 ? cfg->n_inputs : cfg->n_outputs;

		for (uint16_t i = 0; i < n; i++) {
			const struct sl_cfg_port *cp = &ports[i];
			char name[SL_PATH_MAX];
			const char *args;
			int rc;

			if (cp->vdev[0] == '\0' || cp->ring.path[0] != '\0')
				continue;
			snprintf(name, sizeof(name), "%s", cp->vdev);
			char *comma = strchr(name, ',');
			if (comma != NULL)
				*comma = '\0';
			args = comma != NULL ? cp->vdev + (comma - name) + 1 : "";
			rc = rte_vdev_init(name, args);
			if (rc != 0) {
				sl_config_error(cfg, err, cp->loc, pass == 0 ? "inputs.vdev" : "outputs.vdev",
						"%s '%s': DPDK's %.*s driver refused '%s'%s",
						pass == 0 ? "input" : "output", cp->name,
						(int)strcspn(name, "0123456789"), name, cp->vdev,
						rc == -EEXIST ? ": a port of that name exists already"
							      : " (its reason is logged above)");
				return rc < 0 ? rc : -EINVAL;
			}
		}
	}
	return 0;
}

static int
setup_input(struct sl_app *app, uint16_t i, struct sl_cfg_error *err)
{
	const struct sl_cfg *cfg = app->cfg;
	const struct sl_cfg_port *cp = &cfg->inputs[i];
	struct sl_port_rt *rt = &app->in_ports[i];
	struct rte_eth_dev_info info;
	struct rte_eth_conf conf;
	uint16_t nb_rxd = cfg->rx_desc, nb_txd = 64;
	int rc;

	memset(&conf, 0, sizeof(conf));
	if (port_id_of(cp, &rt->port_id) != 0) {
		sl_config_error(cfg, err, cp->loc, "inputs", "port '%s' was not probed by DPDK",
				cp->name);
		return -ENODEV;
	}
	rc = rte_eth_dev_info_get(rt->port_id, &info);
	if (rc != 0) {
		sl_config_error(cfg, err, cp->loc, "inputs", "cannot query port '%s': %s", cp->name,
				rte_strerror(-rc));
		return rc;
	}
	uint64_t want_rss = RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP | RTE_ETH_RSS_SCTP;
	bool rss_capable = (info.flow_type_rss_offloads & RTE_ETH_RSS_IP) != 0 &&
			   info.max_rx_queues >= app->n_workers && info.hash_key_size > 0 &&
			   info.hash_key_size <= sizeof(sym_rss_key);
	uint16_t nq;

	rt->mode = cp->dist;
	if (rt->mode == SL_DIST_AUTO)
		rt->mode = rss_capable ? SL_DIST_RSS : SL_DIST_SOFTWARE;
	if (rt->mode == SL_DIST_RSS) {
		if (!rss_capable) {
			sl_config_error(cfg, err, cp->loc, "inputs.distribution",
					"port '%s' (%s) cannot do symmetric RSS over %u queues; use "
					"'software'", cp->name, info.driver_name, app->n_workers);
			return -ENOTSUP;
		}
		nq = cp->queues ? cp->queues : app->n_workers;
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_key = (uint8_t *)(uintptr_t)sym_rss_key;
		conf.rx_adv_conf.rss_conf.rss_key_len = info.hash_key_size;
		conf.rx_adv_conf.rss_conf.rss_hf = want_rss & info.flow_type_rss_offloads;
	} else {
		nq = cp->queues ? cp->queues : 1;
	}
	if (nq > info.max_rx_queues) {
		sl_config_error(cfg, err, cp->loc, "inputs.queues",
				"port '%s' has at most %u RX queues, %u asked", cp->name,
				info.max_rx_queues, nq);
		return -EINVAL;
	}
	rt->nb_rxq = nq;
	/* Inputs do not transmit, but most PMDs require a TX queue, and
	 * net_tap one per RX queue: as many as RX queues, when there are. */
	rt->nb_txq = RTE_MIN(nq, info.max_tx_queues);
	rc = rte_eth_dev_configure(rt->port_id, nq, rt->nb_txq, &conf);
	rt->configured = rc == 0;
	if (rc == 0)
		rc = rte_eth_dev_adjust_nb_rx_tx_desc(rt->port_id, &nb_rxd, &nb_txd);
	int socket = rte_eth_dev_socket_id(rt->port_id);
	for (uint16_t q = 0; rc == 0 && q < nq; q++) {
		/* net_pcap infinite_rx: never let the driver run short (pcapin.c) */
		if (sl_pcap_input_check_queue(app, i, q, err) != 0)
			return -ENOBUFS;
		rc = rte_eth_rx_queue_setup(rt->port_id, q, nb_rxd, socket < 0 ? 0 : socket, NULL,
					    app->pool);
	}
	for (uint16_t q = 0; rc == 0 && q < rt->nb_txq; q++)
		rc = rte_eth_tx_queue_setup(rt->port_id, q, nb_txd, socket < 0 ? 0 : socket, NULL);
	/* A mirror port must see every frame; PMDs without the notion
	 * (pcap, ring, null) answer -ENOTSUP, which is fine. */
	if (rc == 0) {
		int prc = rte_eth_promiscuous_enable(rt->port_id);
		if (prc != 0 && prc != -ENOTSUP)
			RTE_LOG(WARNING, USER1, "input '%s': promiscuous mode: %s\n", cp->name,
				rte_strerror(-prc));
	}
	if (rc != 0) {
		sl_config_error(cfg, err, cp->loc, "inputs", "configuring port '%s' failed: %s",
				cp->name, rte_strerror(-rc));
		return rc;
	}
	return 0;
}

/* RX queues to workers: queue q of each input to worker q mod workers. */
int
sl_ports_assign_rx(struct sl_app *app, struct sl_cfg_error *err)
{
	const struct sl_cfg *cfg = app->cfg;

	for (uint16_t i = 0; i < cfg->n_inputs; i++) {
		const struct sl_port_rt *rt = &app->in_ports[i];

		for (uint16_t q = 0; q < rt->nb_rxq; q++) {
			struct sl_worker *w = app->workers[q % app->n_workers];

			if (w->n_rxq >= SL_MAX_RXQ_PER_WORKER) {
				sl_config_error(cfg, err, cfg->inputs[i].loc, "inputs",
						"too many RX queues per worker");
				return -E2BIG;
			}
			w->rxq[w->n_rxq++] = (struct sl_rxq){
				.port = rt->port_id, .queue = q, .input = i,
				.software = rt->mode == SL_DIST_SOFTWARE,
				.l2_kind = (uint8_t)sl_pcap_input_l2_kind(app->pcap_in, i, q) };
		}
	}
	/* the workers that read packets share each tenant's rate */
	uint16_t n_rx = 0;
	for (uint16_t w = 0; w < app->n_workers; w++)
		n_rx += app->workers[w]->n_rxq > 0;
	for (uint16_t w = 0; w < app->n_workers; w++)
		app->workers[w]->n_rx_workers = n_rx;
	return 0;
}

/*
 * A shared-memory ring output: one region, one producer for every worker
 * (lib/shmring is single-producer), so the producer is used under a
 * spinlock taken once per burst, as a shared TX queue is. The control
 * thread takes it too, for the producer's housekeeping (health.c).
 */
static int
setup_ring_output(struct sl_app *app, uint16_t o, struct sl_cfg_error *err)
{
	const struct sl_cfg *cfg = app->cfg;
	const struct sl_cfg_port *cp = &cfg->outputs[o];
	struct sl_port_rt *rt = &app->out_ports[o];
	int rc;

	rt->locks = rte_zmalloc("sl_ringlock", sizeof(rte_spinlock_t), RTE_CACHE_LINE_SIZE);
	if (rt->locks == NULL)
		return -ENOMEM;
	rte_spinlock_init(&rt->locks[0]);
	rc = sl_shmring_create(cp->ring.path, cp->ring.frame_size, cp->ring.frames, &rt->ring);
	if (rc != 0) {
		sl_config_error(cfg, err, cp->loc, "outputs.ring",
				"creating ring '%s' for output '%s' (%u frames of %u bytes) "
				"failed: %s", cp->ring.path, cp->name, cp->ring.frames,
				cp->ring.frame_size, strerror(-rc));
		return rc;
	}
	rt->tx_shared = true;
	rt->nb_txq = 1;
	rt->port_id = UINT16_MAX;
	return 0;
}

/* How the configuration's members use output @p o: as a whole port (a TX
 * queue per worker) or by queue. */
static void
output_use(const struct sl_cfg *cfg, uint16_t o, bool *whole, bool *by_queue)
{
	*whole = *by_queue = false;
	for (uint16_t t = 0; t < cfg->n_tenants; t++)
		for (uint16_t p = 0; p < cfg->tenants[t].n_pools; p++) {
			const struct sl_cfg_pool *cp = &cfg->tenants[t].pools[p];

			for (uint16_t m = 0; m < cp->n_members; m++) {
				if (cp->members[m].output_idx != o)
					continue;
				if (cp->members[m].queue < 0)
					*whole = true;
				else
					*by_queue = true;
			}
		}
}

static int
setup_output(struct sl_app *app, uint16_t o, struct sl_cfg_error *err)
{
	const struct sl_cfg *cfg = app->cfg;
	const struct sl_cfg_port *cp = &cfg->outputs[o];
	struct sl_port_rt *rt = &app->out_ports[o];
	struct rte_eth_dev_info info;
	struct rte_eth_conf conf;
	bool whole = false, by_queue = false;
	uint16_t nb_rxd = 64, nb_txd = cfg->tx_desc;
	int rc;

	if (cp->ring.path[0] != '\0')
		return setup_ring_output(app, o, err);
	memset(&conf, 0, sizeof(conf));
	if (port_id_of(cp, &rt->port_id) != 0) {
		sl_config_error(cfg, err, cp->loc, "outputs", "port '%s' was not probed by DPDK",
				cp->name);
		return -ENODEV;
	}
	rc = rte_eth_dev_info_get(rt->port_id, &info);
	if (rc != 0) {
		sl_config_error(cfg, err, cp->loc, "outputs", "cannot query port '%s': %s",
				cp->name, rte_strerror(-rc));
		return rc;
	}
	output_use(cfg, o, &whole, &by_queue);
	if (whole && by_queue) {
		sl_config_error(cfg, err, cp->loc, "outputs",
				"output '%s' is used both as a whole port and by queue", cp->name);
		return -EINVAL;
	}
	/* an output no member uses yet is made ready as a whole port, unless
	 * it names its queues (a reload may give it members later) */
	if (!whole && !by_queue)
		whole = cp->queues == 0;
	rt->whole = whole;
	if (whole) {
		/* One TX queue per worker when the PMD has them; otherwise one
		 * queue shared under a spinlock taken once per burst. */
		rt->tx_shared = info.max_tx_queues < app->n_workers;
		rt->nb_txq = rt->tx_shared ? 1 : app->n_workers;
	} else {
		rt->nb_txq = cp->queues ? cp->queues : 1;
		rt->tx_shared = app->n_workers > 1;
	}
	if (rt->nb_txq > info.max_tx_queues) {
		sl_config_error(cfg, err, cp->loc, "outputs.queues",
				"port '%s' has at most %u TX queues, %u needed", cp->name,
				info.max_tx_queues, rt->nb_txq);
		return -EINVAL;
	}
	rt->nb_rxq = info.max_rx_queues > 0 ? 1 : 0;
	/* A memif server refuses a client whose rings it has no queue for,
	 * and clients (testpmd, libmemif) ask for as many rings each way:
	 * offer as many (never polled) RX queues as TX queues. Only memif:
	 * other PMDs (a NIC) fill each RX queue with mbufs from the pool. */
	if (strcmp(info.driver_name, "net_memif") == 0)
		rt->nb_rxq = RTE_MIN(rt->nb_txq, info.max_rx_queues);
	if (rt->tx_shared) {
		rt->locks = rte_zmalloc("sl_txlock", rt->nb_txq * sizeof(rte_spinlock_t),
					RTE_CACHE_LINE_SIZE);
		if (rt->locks == NULL)
			return -ENOMEM;
		for (uint16_t q = 0; q < rt->nb_txq; q++)
			rte_spinlock_init(&rt->locks[q]);
	}
	rc = rte_eth_dev_configure(rt->port_id, rt->nb_rxq, rt->nb_txq, &conf);
	rt->configured = rc == 0;
	if (rc == 0)
		rc = rte_eth_dev_adjust_nb_rx_tx_desc(rt->port_id, &nb_rxd, &nb_txd);
	int socket = rte_eth_dev_socket_id(rt->port_id);
	if (socket < 0)
		socket = 0;
	for (uint16_t q = 0; rc == 0 && q < rt->nb_rxq; q++)
		rc = rte_eth_rx_queue_setup(rt->port_id, q, nb_rxd, socket, NULL, app->pool);
	for (uint16_t q = 0; rc == 0 && q < rt->nb_txq; q++)
		rc = rte_eth_tx_queue_setup(rt->port_id, q, nb_txd, socket, NULL);
	if (rc != 0) {
		sl_config_error(cfg, err, cp->loc, "outputs", "configuring port '%s' failed: %s",
				cp->name, rte_strerror(-rc));
		return rc;
	}
	return 0;
}

int
sl_ports_member_resolve(struct sl_app *app, const struct sl_cfg *cfg,
			const struct sl_cfg_member *m, struct sl_member_rt *mr,
			struct sl_cfg_error *err)
{
	const struct sl_port_rt *rt = &app->out_ports[m->output_idx];
	const struct sl_cfg_port *cp = &app->cfg->outputs[m->output_idx];

	mr->output = m->output_idx;
	if (rt->ring != NULL) {
		mr->ring = rt->ring;
		mr->lock = &rt->locks[0];
		mr->port = UINT16_MAX;
		mr->queue = 0;
		return 0;
	}
	if ((m->queue < 0) != rt->whole) {
		sl_config_error(cfg, err, m->loc, "members",
				"output '%s' was set up %s at start; using it %s needs a restart",
				cp->name, rt->whole ? "as a whole port" : "by queue",
				m->queue < 0 ? "as a whole port" : "by queue");
		return -EINVAL;
	}
	if (m->queue >= 0 && m->queue >= rt->nb_txq) {
		sl_config_error(cfg, err, m->loc, "members.queue",
				"output '%s' has %u TX queues; queue %d needs a restart with "
				"more queues", cp->name, rt->nb_txq, m->queue);
		return -EINVAL;
	}
	mr->port = rt->port_id;
	mr->ring = NULL;
	if (m->queue < 0)
		mr->queue = rt->tx_shared ? 0 : SL_QUEUE_PER_WORKER;
	else
		mr->queue = (uint16_t)m->queue;
	mr->lock = rt->tx_shared ? &rt->locks[mr->queue == SL_QUEUE_PER_WORKER ? 0 : mr->queue]
				 : NULL;
	return 0;
}

int
sl_ports_setup(struct sl_app *app, struct sl_cfg_error *err)
{
	const struct sl_cfg *cfg = app->cfg;
	int rc;

	app->in_ports = rte_zmalloc("sl_in_ports", cfg->n_inputs * sizeof(*app->in_ports), 0);
	app->out_ports = rte_zmalloc("sl_out_ports", cfg->n_outputs * sizeof(*app->out_ports), 0);
	if (app->in_ports == NULL || app->out_ports == NULL)
		return -ENOMEM;
	uint16_t priv = RTE_ALIGN(sizeof(struct sl_meta), RTE_MBUF_PRIV_ALIGN);
	app->pool = rte_pktmbuf_pool_create("sl_pkt_pool", cfg->mbufs, 256, priv, cfg->mbuf_size,
					    rte_socket_id());
	if (app->pool == NULL) {
		snprintf(err->msg, sizeof(err->msg),
			 "%s: tuning.mbufs: cannot allocate %u mbufs of %u bytes: %s (reserve "
			 "more hugepages or lower tuning.mbufs)",
			 cfg->path, cfg->mbufs, cfg->mbuf_size, rte_strerror(rte_errno));
		return -ENOMEM;
	}
	if ((rc = create_vdevs(cfg, err)) != 0)
		return rc;
	for (uint16_t i = 0; i < cfg->n_inputs; i++)
		if ((rc = setup_input(app, i, err)) != 0)
			return rc;
	for (uint16_t o = 0; o < cfg->n_outputs; o++)
		if ((rc = setup_output(app, o, err)) != 0)
			return rc;
	/* outputs first, so nothing arrives before a member can take it */
	for (int pass = 0; pass < 2; pass++) {
		uint16_t n = pass == 0 ? cfg->n_outputs : cfg->n_inputs;
		for (uint16_t i = 0; i < n; i++) {
			struct sl_port_rt *rt = pass == 0 ? &app->out_ports[i] : &app->in_ports[i];
			const struct sl_cfg_port *cp = pass == 0 ? &cfg->outputs[i] : &cfg->inputs[i];

			if (rt->ring != NULL)
				continue;
			rc = rte_eth_dev_start(rt->port_id);
			rt->started = rc == 0;
			if (rc != 0) {
				sl_config_error(cfg, err, cp->loc, pass == 0 ? "outputs" : "inputs",
						"starting port '%s' failed: %s", cp->name,
						rte_strerror(-rc));
				return rc;
			}
		}
	}
	return 0;
}

void
sl_ports_close(struct sl_app *app)
{
	const struct sl_cfg *cfg = app->cfg;

	for (int pass = 0; pass < 2; pass++) {
		struct sl_port_rt *ports = pass == 0 ? app->in_ports : app->out_ports;
		uint16_t n = pass == 0 ? cfg->n_inputs : cfg->n_outputs;

		if (ports == NULL)
			continue;
		for (uint16_t i = 0; i < n; i++) {
			rte_free(ports[i].locks);
			/* the region goes with sluice; a consumer still mapping it
			 * sees it closed (sl_shmring_stale()) */
			sl_shmring_destroy(ports[i].ring, true);
			if (!ports[i].configured)
				continue;
			if (ports[i].started)
				rte_eth_dev_stop(ports[i].port_id);
			rte_eth_dev_close(ports[i].port_id);
		}
	}
	rte_free(app->in_ports);
	rte_free(app->out_ports);
	app->in_ports = app->out_ports = NULL;
	rte_mempool_free(app->pool);
	app->pool = NULL;
}
