/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluice's run-time state and its control plane: start-up (ports, tables,
 * workers), the control loop (snapshots, stats, health, records, control
 * sockets) and telemetry.
 *
 * Ownership: struct sl_app is built by start-up on the main lcore and is
 * read-only once workers run, except (a) each struct sl_worker, written only
 * by its own lcore apart from the control words (datapath.h), (b) the member
 * states health.c publishes, and (c) the aggregate, which the control thread
 * writes under app->agg_lock for telemetry.
 */
#ifndef SLUICE_APP_H
#define SLUICE_APP_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <rte_mempool.h>
#include <rte_rcu_qsbr.h>
#include <rte_spinlock.h>

#include "sl_config.h"
#include "sl_parse.h"
#include "sl_stats.h"
#include "tables.h"

#define SL_MAX_WORKERS 64
/** How often the control loop takes a consistent snapshot. */
#define SL_SNAPSHOT_MS 100
/** How often the control loop polls outputs for member health, and how
 * many outputs at most each time (in turn). */
#define SL_HEALTH_MS 10
#define SL_HEALTH_BUDGET 64
/** Flow records the control loop drains per iteration at most. */
#define SL_REC_DRAIN_BUDGET 4096

struct sl_worker;
struct sl_records;
struct sl_bypass_srv;
struct sl_reload;
struct sl_admin;
struct sl_metrics;
struct sl_capture;
struct json_t;

/** An input or output port as set up. */
struct sl_port_rt {
	uint16_t port_id;
	enum sl_dist_mode mode;   /**< resolved: rss or software (inputs) */
	uint16_t nb_rxq, nb_txq;
	bool configured;          /**< rte_eth_dev_configure() succeeded */
	bool started;             /**< rte_eth_dev_start() succeeded */
	bool tx_shared;           /**< outputs: one locked queue for all workers */
	bool whole;               /**< outputs: members use it as a whole port (else by queue) */
	rte_spinlock_t *locks;    /**< outputs: one per TX queue when shared */
	struct sl_shmring_prod *ring; /**< ring outputs: the region's producer */
	bool up;                  /**< last health state (control thread) */
	char why[64];             /**< why it is down, for logs and stats */
	uint64_t changes;         /**< state changes since start */
	uint8_t paused;           /**< memif clients being restarted: workers do not
				       poll it (inputs) or send to it (outputs) (health.c) */
	uint32_t reconnects;      /**< memif client restarts (health.c) */
	uint32_t backoff_ms;      /**< memif clients: until the next restart try */
	uint64_t retry_ns;        /**< memif clients: the next restart try */
};

struct sl_rates;

/** Aggregate of the latest consistent snapshot, for telemetry and stats. */
struct sl_aggregate {
	uint64_t *sum;          /**< layout.total counters summed over workers */
	uint64_t **per_worker;  /**< per-worker copies */
	struct sl_ledger ledger;
	uint64_t tsc;
	bool valid;
	struct sl_rates *live;  /**< rates.c: last second (telemetry, /metrics) */
	struct sl_rates *line;  /**< rates.c: since the last stats line */
};

struct sl_app {
	/** The configuration sluice started with: what a reload may not change
	 * (inputs, outputs, lcores, sizes) comes from it. The tables carry the
	 * current one (tbl->cfg). */
	struct sl_cfg *cfg;
	struct sl_parse_cfg parse_cfg;
	struct rte_mempool *pool;
	uint16_t n_workers;
	struct sl_worker *workers[SL_MAX_WORKERS];
	struct sl_port_rt *in_ports;   /**< cfg->n_inputs */
	struct sl_port_rt *out_ports;  /**< cfg->n_outputs */

	/** The published tables: workers load the pointer once per loop
	 * iteration (RCU, reload.c); the control thread swaps it. */
	struct sl_tables *tbl;
	struct rte_rcu_qsbr *qsbr;     /**< one reader per worker */

	/* Slots (control thread): a tenant's by name, a member's by tenant,
	 * pool, output and queue; made on first use, never reused. Capacities
	 * are fixed at start (counters and TX buffers are sized by them). */
	uint16_t tenant_cap, n_tenant_slots;
	char (*tenant_names)[SL_NAME_MAX]; /**< tenant_cap */
	uint16_t *tenant_gens;         /**< tenant_cap: last policy generation */
	bool *tenant_records;          /**< tenant_cap: records wanted, as last configured
					    (a removed tenant's last flows still get theirs) */
	uint32_t member_cap, n_member_slots;
	struct sl_member_rt *members;  /**< member_cap */
	/** 1 while a member is down: written by the control thread (health.c),
	 * read by the workers (a relaxed load per packet of a line that rarely
	 * changes); member_cap bytes */
	uint8_t *member_down;
	struct sl_stats_layout layout;
	uint64_t tsc_hz;
	uint64_t start_tsc;
	unsigned int ft_shift;         /**< flow time = TSC >> ft_shift (lib/flow) */
	uint64_t ft_hz;                /**< flow-time units per second */

	/* control */
	volatile uint32_t snap_seq;    /**< odd: hold rings, even: publish */
	volatile uint32_t stop_rx;
	volatile uint32_t drain;
	pthread_mutex_t agg_lock;
	struct sl_aggregate agg;
	uint64_t start_unix_us;        /**< wall clock at start_tsc */
	struct sl_records *rec;        /**< records.c */
	struct sl_bypass_srv *bypass;  /**< bypass.c */
	struct sl_reload *reload;      /**< reload.c */
	struct sl_admin *admin;        /**< admin.c */
	struct sl_kstats *kstats;      /**< kstats.c */
	struct sl_pcap_inputs *pcap_in; /**< pcapin.c: capture files of net_pcap inputs */
	unsigned int cfg_flags;        /**< sl_config_load() flags of every load */
	struct sl_metrics *metrics;    /**< metrics.c: the /metrics endpoint, or NULL */
	/** capture.c: by tenant slot, the kinds (bits of enum sl_cap_kind)
	 * being captured, 0: none; workers read it relaxed (capture.h) */
	uint8_t *cap_on;
	/** capture.c: how many tenant slots have a nonzero cap_on byte, the
	 * data path's only test while nothing is captured (capture.h) */
	uint32_t cap_live;
	struct sl_capture *cap;        /**< capture.c: tenant captures */
};

/** Wall-clock nanoseconds (since the Unix epoch) of TSC @p tsc: flow record
 * times, ring descriptor timestamps. */
static inline uint64_t
sl_unix_ns(const struct sl_app *app, uint64_t tsc)
{
	uint64_t d = tsc > app->start_tsc ? tsc - app->start_tsc : 0;

	return app->start_unix_us * 1000 + d / app->tsc_hz * 1000000000ull +
	       (d % app->tsc_hz) * 1000000000ull / app->tsc_hz;
}

/* slots.c: tenant and member slots */
int sl_slots_init(struct sl_app *app, const struct sl_cfg *cfg, struct sl_cfg_error *err);
void sl_slots_free(struct sl_app *app);
/** The slot of tenant @p name, made if new; SL_NO_TENANT when full. */
uint16_t sl_slot_tenant(struct sl_app *app, const char *name);
/** The slot of member @p m of pool @p pool of tenant slot @p t, made (and
 * its TX resolved) if new; -errno with @p err filled when it cannot be. */
int sl_slot_member(struct sl_app *app, const struct sl_cfg *cfg, uint16_t t, const char *pool,
		   const struct sl_cfg_member *m, struct sl_cfg_error *err);

/* remote.c: a remote member's tunnel template for member slot @p mr
 * (resolved to its output), when @p m has a remote; 0 or -errno with @p err
 * naming the member's line */
int sl_remote_setup(struct sl_app *app, const struct sl_cfg *cfg, const struct sl_cfg_member *m,
		    struct sl_member_rt *mr, struct sl_cfg_error *err);
void sl_remote_free(struct sl_member_rt *mr);
/* a remote member's tunnel into its JSON object ("remote": encap, dst, id, mtu) */
void sl_remote_json(const struct sl_member_rt *mr, struct json_t *mo);

/* ports.c */
int sl_ports_setup(struct sl_app *app, struct sl_cfg_error *err);
/* once the workers exist: which worker polls which RX queue */
int sl_ports_assign_rx(struct sl_app *app, struct sl_cfg_error *err);
/** Where member slot @p mr's packets go on its output (port, queue, lock),
 * as the output was set up; -EINVAL with @p err when the output cannot
 * serve it that way (set up as a whole port and asked by queue, or a
 * queue it does not have): that needs a restart. */
int sl_ports_member_resolve(struct sl_app *app, const struct sl_cfg *cfg,
			    const struct sl_cfg_member *m, struct sl_member_rt *mr,
			    struct sl_cfg_error *err);
void sl_ports_close(struct sl_app *app);
int sl_eal_args_build(const struct sl_cfg *cfg, int extra_argc, char **extra_argv, int *argc,
		      char ***argv);
void sl_eal_args_free(int argc, char **argv);
bool sl_eal_args_set_lcores(int argc, char **argv);

/* worker_setup.c: each worker's tables, rings and counters */
int sl_workers_create(struct sl_app *app, struct sl_cfg_error *err);
void sl_workers_free(struct sl_app *app);
/* worker.c: the worker lcore's loop (rte_eal_remote_launch) */
int sl_worker_main(void *arg);

/* health.c: member state (up/down) from link status and ring heartbeats */
int sl_health_init(struct sl_app *app);
/* poll at most SL_HEALTH_BUDGET outputs from *next on (in turn) */
void sl_health_poll(struct sl_app *app, uint16_t *next);
/* an input's link state and memif reconnects, into its stats object */
void sl_health_input_json(struct sl_app *app, uint16_t i, struct json_t *io);
void sl_health_free(struct sl_app *app);
/* member slots made since the last poll take their output's state */
void sl_health_sync(struct sl_app *app);
/* state of an output (and a ring's own counters), of a member, into JSON;
 * under agg_lock */
void sl_health_output_json(struct sl_app *app, uint16_t o, struct json_t *oo);
void sl_health_member_json(struct sl_app *app, uint32_t gm, struct json_t *mo);

/* control.c */
/* CLOCK_MONOTONIC in nanoseconds: the control loop's clock */
uint64_t sl_mono_ns(void);
/* sleep until CLOCK_MONOTONIC time ns; a signal ends it early (the caller
 * sleeps again until the same time: a signal never extends the wait) */
void sl_sleep_until(uint64_t ns);
int sl_control_init(struct sl_app *app);
void sl_control_free(struct sl_app *app);
void sl_control_snapshot(struct sl_app *app);
/* one stats line, written whole or not at all (a cut line is taken back);
 * 0 or -errno */
int sl_control_write_stats(struct sl_app *app, int fd, bool final);
struct json_t *sl_stats_json(struct sl_app *app, bool final);
struct json_t *sl_tenant_json(struct sl_app *app, const uint64_t *sum, uint16_t t);

/* reload.c: a new configuration in a running sluice */
int sl_reload_init(struct sl_app *app);
/* munmap() on the EAL interrupt thread waits for the workers first
 * (munmap_guard.c: a memif peer's disconnect); NULL turns it off */
void sl_munmap_guard(struct rte_rcu_qsbr *qsbr);
/* re-read the configuration file and apply it; 0, or -errno with err filled
 * (nothing changed) */
int sl_reload(struct sl_app *app, struct sl_cfg_error *err);
/* apply a loaded configuration (owned by the call, freed on failure) */
int sl_reload_cfg(struct sl_app *app, struct sl_cfg *cfg, struct sl_cfg_error *err);
/* free retired tables the workers have left (control loop, never waits) */
void sl_reload_poll(struct sl_app *app);
/* tables waiting for the workers to leave them */
unsigned int sl_reload_retired(const struct sl_app *app);
void sl_reload_free(struct sl_app *app);
/* generation, reload counts, last error (under agg_lock or control thread) */
struct json_t *sl_reload_json(struct sl_app *app);

/* admin.c: the admin socket (reload, status) */
int sl_admin_init(struct sl_app *app, struct sl_cfg_error *err);
/* serve the admin socket; returns without waiting */
void sl_admin_poll(struct sl_app *app);
void sl_admin_free(struct sl_app *app);

/* records.c: flow records from the workers' rings to each tenant's sink */
int sl_records_init(struct sl_app *app, struct sl_cfg_error *err);
/* a reload: open the sinks the new tables need (nothing changes on error),
 * then commit them once published, or abort */
int sl_records_prepare(struct sl_app *app, const struct sl_tables *tb, struct sl_cfg_error *err);
void sl_records_commit(struct sl_app *app, const struct sl_tables *tb);
void sl_records_abort(struct sl_app *app, const struct sl_tables *tb);
/* close the sinks of removed tenants whose flows have all ended */
void sl_records_poll(struct sl_app *app);
/* drain at most budget records (workers in turn); returns how many */
unsigned int sl_records_drain(struct sl_app *app, unsigned int budget);
void sl_records_reopen(struct sl_app *app);
struct json_t *sl_records_json(struct sl_app *app, uint16_t tenant);
void sl_records_free(struct sl_app *app);

/* bypass.c: each tenant's control socket */
int sl_bypass_init(struct sl_app *app, struct sl_cfg_error *err);
/* a reload: listen on new sockets (nothing changes on error), then commit or abort */
int sl_bypass_prepare(struct sl_app *app, const struct sl_tables *tb, struct sl_cfg_error *err);
void sl_bypass_commit(struct sl_app *app, const struct sl_tables *tb);
void sl_bypass_abort(struct sl_app *app, const struct sl_tables *tb);
/* wait until the CLOCK_MONOTONIC time deadline_ns (or a signal) for requests
 * and answer a bounded share of them (sleeps when no socket); true when
 * requests are waiting that the budgets left for the next call */
bool sl_bypass_poll(struct sl_app *app, uint64_t deadline_ns);
struct json_t *sl_bypass_json(struct sl_app *app, uint16_t tenant);
void sl_bypass_free(struct sl_app *app);

/* pcapin.c: capture files of net_pcap inputs, inspected before EAL init
 * (link type, damaged records, mbufs infinite_rx needs) */
struct sl_pcap_inputs;
int sl_pcap_inputs_inspect(const struct sl_cfg *cfg, struct sl_pcap_inputs **out,
			   struct sl_cfg_error *err);
void sl_pcap_inputs_free(struct sl_pcap_inputs *pi);
/* enum sl_l2_kind of the frames of RX queue @p queue of input @p input */
int sl_pcap_input_l2_kind(const struct sl_pcap_inputs *pi, uint16_t input, uint16_t queue);
/* link type names of a net_pcap input's captures ("RAW"), NULL for other inputs */
const char *sl_pcap_input_linktypes(const struct sl_pcap_inputs *pi, uint16_t input);
/* before an infinite_rx queue is set up: the pool still holds its packets */
int sl_pcap_input_check_queue(const struct sl_app *app, uint16_t input, uint16_t queue,
			      struct sl_cfg_error *err);

/* telemetry.c */
int sl_telemetry_register(struct sl_app *app);

#endif /* SLUICE_APP_H */
