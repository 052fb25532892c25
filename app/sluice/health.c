/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Analyzer health: whether each output, and so each pool member on it, is up.
 *
 *   memif      link up while a client is connected
 *   vhost-user link up while the virtio device is ready
 *   TAP        IFF_UP and IFF_RUNNING (carrier: the PMD's fd is attached)
 *   ring       a consumer attached whose heartbeat is within heartbeat_ms
 *   others     the PMD's link status (pcap, ring, null: up once started)
 *
 * The control thread polls the outputs every SL_HEALTH_MS, at most
 * SL_HEALTH_BUDGET of them each time (in turn), and publishes one byte per member (app->member_down) that the workers read
 * when they steer a packet (worker.c). A change is logged once, counted per
 * output and shown in the stats lines and telemetry (state, why,
 * state_changes on the output and on each member).
 *
 * Inputs: the control thread also follows each input's link (state, why
 * and state_changes in the input's stats, one log line per change). A memif
 * input in the client role (a tree's second tier, fed by a first-tier
 * sluice) needs more: DPDK's memif client connects only when its port
 * starts, so once its server went away (a restart) the input would stay
 * dead for good. While such an input is down, the control thread restarts
 * its port, first after 1 s, then backing off to SL_RECONNECT_MAX_MS: it
 * takes the input out of the workers' polling (paused), waits until every
 * worker has left its bursts (rte_rcu_qsbr), stops and starts the port (the
 * start connects when the server is there), and gives it back to the
 * workers once started. Counted in the input's `reconnects`. A memif
 * output in the client role (an analyzer that is the memif server) is
 * restarted the same way while it is down; the workers drop what they had
 * buffered for it meanwhile, as for a member that is down (tx.c), and its
 * pool members are down until its link is up. Counted in the output's
 * `reconnects`.
 *
 * Ring outputs need the producer's housekeeping (sl_shmring_poll(): attach
 * handshake, heartbeat check) on a regular basis; the control thread does
 * it under the ring's lock, so the workers producing into it never wait for
 * more than one poll.
 */
#include <inttypes.h>
#include <string.h>

#include <rte_rcu_qsbr.h>

#include <jansson.h>
#include <rte_ethdev.h>
#include <rte_log.h>
#include <rte_malloc.h>

#include "sl_shmring.h"
#include "app.h"

RTE_LOG_REGISTER(sl_health_logtype, user.sluice.health, INFO);
#define HLOG(level, ...) rte_log(RTE_LOG_##level, sl_health_logtype, "sluice: " __VA_ARGS__)

/* Poll one output: 1 up, 0 down (the reason in why), -1 not known now (a
 * worker holds the ring's lock and @p wait is false). */
static int
output_up(struct sl_app *app, uint16_t o, uint64_t now_ns, bool wait, char *why, size_t size)
{
	const struct sl_cfg_port *cp = &app->cfg->outputs[o];
	struct sl_port_rt *rt = &app->out_ports[o];

	if (rt->ring != NULL) {
		int live;

		/* A worker holds the lock for one burst; if it is descheduled
		 * meanwhile (a shared CPU), spinning here would stall the whole
		 * control loop: try, and look again at the next poll. */
		if (wait)
			rte_spinlock_lock(&rt->locks[0]);
		else if (!rte_spinlock_trylock(&rt->locks[0]))
			return -1;
		live = sl_shmring_poll(rt->ring, now_ns, (uint64_t)cp->ring.heartbeat_ms * 1000000);
		rte_spinlock_unlock(&rt->locks[0]);
		if (live != 1)
			snprintf(why, size, "no ring consumer with a heartbeat in %u ms",
				 cp->ring.heartbeat_ms);
		return live == 1 ? 1 : 0;
	}

	struct rte_eth_link link;
	int rc = rte_eth_link_get_nowait(rt->port_id, &link);

	if (rc != 0) {
		snprintf(why, size, "link status unknown: %s", rte_strerror(-rc));
		return 0;
	}
	if (link.link_status != RTE_ETH_LINK_UP) {
		snprintf(why, size, "link down (%s)",
			 strncmp(cp->vdev, "net_memif", 9) == 0   ? "memif peer not connected"
			 : strncmp(cp->vdev, "net_vhost", 9) == 0 ? "virtio device not ready"
			 : strncmp(cp->vdev, "net_tap", 7) == 0   ? "interface down or no carrier"
								  : "no carrier");
		return 0;
	}
	return 1;
}

#define SL_RECONNECT_MIN_MS 1000
#define SL_RECONNECT_MAX_MS 8000

static bool
memif_client(const struct sl_cfg_port *cp)
{
	return strncmp(cp->vdev, "net_memif", 9) == 0 && strstr(cp->vdev, "role=client") != NULL;
}

/* Stop and start memif client port @p rt (an input or an output), out of
 * the workers' hands. */
static void
restart_port(struct sl_app *app, struct sl_port_rt *rt)
{
	int rc;

	__atomic_store_n(&rt->paused, 1, __ATOMIC_RELAXED);
	/* every worker past a quiescent state: none is in a burst on it */
	if (app->qsbr != NULL)
		rte_rcu_qsbr_synchronize(app->qsbr, RTE_QSBR_THRID_INVALID);
	if (rt->started)
		rte_eth_dev_stop(rt->port_id);
	rt->started = false;
	rc = rte_eth_dev_start(rt->port_id);
	rt->reconnects++;
	if (rc == 0) {
		rt->started = true;
		__atomic_store_n(&rt->paused, 0, __ATOMIC_RELEASE);
	}
}

/* A memif client output that stays down is restarted like an input, on
 * the same backoff (control thread, under agg_lock); while it restarts the
 * workers drop what they had buffered for it as member_down (tx.c). */
static void
retry_output(struct sl_app *app, uint16_t o, uint64_t now_ns)
{
	struct sl_port_rt *rt = &app->out_ports[o];

	if (rt->up || !memif_client(&app->cfg->outputs[o]) || now_ns < rt->retry_ns)
		return;
	restart_port(app, rt);
	rt->backoff_ms = RTE_MIN(rt->backoff_ms * 2, (uint32_t)SL_RECONNECT_MAX_MS);
	rt->retry_ns = now_ns + (uint64_t)rt->backoff_ms * 1000000;
}

/* Every member slot on output @p o takes its state (slots made later by a
 * reload take it from sl_health_sync()). */
static void
set_members(struct sl_app *app, uint16_t o, bool up)
{
	for (uint32_t m = 0; m < app->n_member_slots; m++)
		if (app->members[m].output == o)
			__atomic_store_n(&app->member_down[m], up ? 0 : 1, __ATOMIC_RELAXED);
}

void
sl_health_sync(struct sl_app *app)
{
	for (uint16_t o = 0; o < app->cfg->n_outputs; o++)
		set_members(app, o, app->out_ports[o].up);
}

/* Poll @p count outputs from @p from (wrapping); log and publish the
 * changes (control thread). @p first: the initial poll (nothing logged as
 * a change). */
static void
poll_outputs(struct sl_app *app, bool first, uint16_t from, uint16_t count)
{
	uint64_t now_ns = sl_shmring_now_ns();
	uint16_t n = app->cfg->n_outputs;

	for (uint16_t k = 0; k < count && k < n; k++) {
		uint16_t o = (uint16_t)((from + k) % n);
		struct sl_port_rt *rt = &app->out_ports[o];
		char why[sizeof(rt->why)];
		int state = output_up(app, o, now_ns, first, why, sizeof(why));
		bool up = state == 1;

		if (state < 0)
			continue;
		if (!first && up == rt->up) {
			retry_output(app, o, now_ns);
			continue;
		}
		if (!first)
			rt->changes++;
		rt->up = up;
		if (up)
			rt->why[0] = '\0';
		else
			memcpy(rt->why, why, sizeof(why));
		rt->backoff_ms = SL_RECONNECT_MIN_MS;
		rt->retry_ns = now_ns + (uint64_t)rt->backoff_ms * 1000000;
		set_members(app, o, up);
		if (up && !first)
			HLOG(NOTICE, "output '%s' is up: its pool members take new flows again\n",
			     app->cfg->outputs[o].name);
		else if (!up)
			HLOG(WARNING, "output '%s' is down: %s%s\n", app->cfg->outputs[o].name, why,
			     memif_client(&app->cfg->outputs[o]) ? "; reconnecting" : "");
	}
}

/* Follow the inputs' links; restart memif client inputs that are down
 * (control thread, under agg_lock). @p first: the initial poll. */
static void
poll_inputs(struct sl_app *app, bool first)
{
	uint64_t now_ns = sl_shmring_now_ns();

	for (uint16_t i = 0; i < app->cfg->n_inputs; i++) {
		const struct sl_cfg_port *cp = &app->cfg->inputs[i];
		struct sl_port_rt *rt = &app->in_ports[i];
		struct rte_eth_link link;
		bool up = rte_eth_link_get_nowait(rt->port_id, &link) == 0 &&
			  link.link_status == RTE_ETH_LINK_UP;

		if (first || up != rt->up) {
			if (!first)
				rt->changes++;
			rt->up = up;
			snprintf(rt->why, sizeof(rt->why), "%s",
				 up ? "" : memif_client(cp) ? "link down (memif server not connected)"
							     : "link down");
			rt->backoff_ms = SL_RECONNECT_MIN_MS;
			rt->retry_ns = now_ns + (uint64_t)rt->backoff_ms * 1000000;
			if (up && !first)
				HLOG(NOTICE, "input '%s' is up\n", cp->name);
			else if (!up && !first)
				HLOG(WARNING, "input '%s' is down: %s%s\n", cp->name, rt->why,
				     memif_client(cp) ? "; reconnecting" : "");
		}
		if (up || first || !memif_client(cp) || now_ns < rt->retry_ns)
			continue;
		restart_port(app, rt);
		rt->backoff_ms = RTE_MIN(rt->backoff_ms * 2, (uint32_t)SL_RECONNECT_MAX_MS);
		rt->retry_ns = now_ns + (uint64_t)rt->backoff_ms * 1000000;
	}
}

int
sl_health_init(struct sl_app *app)
{
	poll_outputs(app, true, 0, app->cfg->n_outputs);
	poll_inputs(app, true);
	return 0;
}

/* A port's state, why it is down and its changes, into @p o */
static void
state_json(const struct sl_port_rt *rt, json_t *o)
{
	json_object_set_new(o, "state", json_string(rt->up ? "up" : "down"));
	if (!rt->up)
		json_object_set_new(o, "why", json_string(rt->why));
	json_object_set_new(o, "state_changes", json_integer((json_int_t)rt->changes));
}

void
sl_health_input_json(struct sl_app *app, uint16_t i, json_t *io)
{
	const struct sl_port_rt *rt = &app->in_ports[i];

	state_json(rt, io);
	if (memif_client(&app->cfg->inputs[i]))
		json_object_set_new(io, "reconnects", json_integer(rt->reconnects));
}

/* Under agg_lock: telemetry reads the state from its own thread. At most
 * SL_HEALTH_BUDGET outputs per call, in turn from *next. */
void
sl_health_poll(struct sl_app *app, uint16_t *next)
{
	uint16_t n = app->cfg->n_outputs;

	if (app->member_down == NULL)
		return;
	pthread_mutex_lock(&app->agg_lock);
	poll_inputs(app, false);
	if (n > 0)
		poll_outputs(app, false, *next % n, RTE_MIN(n, (uint16_t)SL_HEALTH_BUDGET));
	pthread_mutex_unlock(&app->agg_lock);
	if (n > 0)
		*next = (uint16_t)((*next % n + RTE_MIN(n, (uint16_t)SL_HEALTH_BUDGET)) % n);
}

void
sl_health_free(struct sl_app *app)
{
	(void)app; /* member_down belongs to the slots (slots.c) */
}

void
sl_health_output_json(struct sl_app *app, uint16_t o, json_t *oo)
{
	const struct sl_port_rt *rt = &app->out_ports[o];

	state_json(rt, oo);
	if (memif_client(&app->cfg->outputs[o]))
		json_object_set_new(oo, "reconnects", json_integer(rt->reconnects));
	if (rt->ring != NULL) {
		const struct sl_cfg_ring *cr = &app->cfg->outputs[o].ring;
		struct sl_shmring_prod_stats st;
		json_t *ring = json_object();

		rte_spinlock_lock(&rt->locks[0]);
		st = *sl_shmring_producer_stats(rt->ring);
		rte_spinlock_unlock(&rt->locks[0]);
		json_object_set_new(ring, "path", json_string(cr->path));
		json_object_set_new(ring, "frame_size", json_integer(cr->frame_size));
		json_object_set_new(ring, "frames", json_integer(cr->frames));
		for (unsigned int c = 0; c < SL_SHMRING_PROD_STAT_MAX; c++)
			json_object_set_new(ring, sl_shmring_prod_stat_name(c),
					    json_integer((json_int_t)sl_shmring_prod_stat(&st, c)));
		json_object_set_new(oo, "ring", ring);
	}
}

void
sl_health_member_json(struct sl_app *app, uint32_t gm, json_t *mo)
{
	const struct sl_port_rt *rt = &app->out_ports[app->members[gm].output];

	json_object_set_new(mo, "state", json_string(rt->up ? "up" : "down"));
	json_object_set_new(mo, "state_changes", json_integer((json_int_t)rt->changes));
}
