/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluice application internals: run-time state built from the configuration
 * and shared between start-up, the workers, the control loop and telemetry.
 *
 * Ownership: struct sl_app is built by start-up on the main lcore and is
 * read-only once workers run, except (a) each struct sl_worker, written only
 * by its own lcore apart from the control words, and (b) the aggregate, which
 * the control thread writes under app->agg_lock for telemetry.
 */
#ifndef SLUICE_H
#define SLUICE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_spinlock.h>

#include "sl_config.h"
#include "sl_flow.h"
#include "sl_frag.h"
#include "sl_l2.h"
#include "sl_parse.h"
#include "sl_stats.h"

#define SL_BURST 32
#define SL_MAX_WORKERS 64
#define SL_MAX_RXQ_PER_WORKER 64
#define SL_NO_TENANT UINT16_MAX
#define SL_QUEUE_PER_WORKER UINT16_MAX
/** Slots of the flow table a worker examines for expiry per batch. Batches
 * are paced so the whole table is swept every SL_AGE_SWEEP_DIV-th of the
 * shortest idle timeout: a flow is removed at most 1/4 late, and aging
 * costs nothing per packet. */
#define SL_AGE_BUDGET 64
#define SL_AGE_SWEEP_DIV 4
/** How long a packet may wait in a TX buffer. */
#define SL_TX_DRAIN_US 100
/** How often the control loop takes a consistent snapshot. */
#define SL_SNAPSHOT_MS 100
/** Longest wait of a control-socket request or a flow record. */
#define SL_CONTROL_SLICE_MS 10
/** How often the control loop polls outputs for member health, and how
 * many outputs at most each time (in turn). */
#define SL_HEALTH_MS 10
#define SL_HEALTH_BUDGET 64
/** Flow records the control loop drains per iteration at most. */
#define SL_REC_DRAIN_BUDGET 4096

/* Per-packet classification. Kept on the stack of the worker that read the
 * packet; copied into the mbuf private area only when the packet is handed
 * to another worker's ring. */
struct sl_meta {
	struct sl_flow_key key;
	uint32_t hash;       /* sl_flow_hash(key) */
	uint16_t tenant;     /* tenant index or SL_NO_TENANT */
	uint16_t input;      /* input index */
	uint8_t dir;         /* 0/1, see sl_flow_key_build() */
	uint8_t err;         /* enum sl_parse_err */
	uint8_t l3;          /* enum sl_l3_type */
	uint8_t tcp_flags;
	uint8_t frag;        /* SL_FRAG_* of the innermost IP layer */
	uint8_t encap_err;   /* enum sl_encap_err */
	uint16_t frag_off;   /* fragment offset, bytes */
	uint32_t frag_id;    /* IPv4 id or IPv6 fragment id */
	uint16_t frag_len;   /* fragment payload bytes */
	uint16_t encap_mask; /* SL_ENCAP_BIT() of every encapsulation seen */
	uint16_t inner_off;  /* start of the innermost layer decapsulated, 0: none */
	uint16_t l3_off;     /* innermost IP header */
	uint8_t n_encap;     /* layers decapsulated */
	uint8_t pad[3];
};

struct sl_shmring_prod;

struct sl_member_rt {
	uint16_t port;       /* DPDK port id (not for a ring) */
	uint16_t queue;      /* TX queue, or SL_QUEUE_PER_WORKER */
	rte_spinlock_t *lock; /* non-NULL when several workers share the queue */
	struct sl_shmring_prod *ring; /* ring output: its producer (under lock) */
	uint16_t output;     /* index into cfg->outputs */
	uint16_t tenant;
	uint16_t tenant_id;  /* the operator's tenant id (ring descriptors) */
	uint8_t pool;
};

struct sl_pool_rt {
	uint32_t first_member; /* global member index of member 0 */
	uint16_t n_members;
	enum sl_flow_fields fields;
	enum sl_strip_mode strip;
	uint16_t retag_vlan;
	bool resteer;          /* on_member_down: resteer (else drop) */
	struct sl_cfg_depth depth;
};

/* A policy rule as the data path uses it (policy.c builds it). */
struct sl_rule_rt {
	uint8_t action;      /* enum sl_rule_action */
	uint8_t n_pools;
	uint8_t pools[SL_MAX_RULE_POOLS];
	bool strips;         /* mirror: one of the pools strips tunnels */
	uint16_t slice;
	uint32_t sample;
	bool has_depth;
	struct sl_cfg_depth depth;
};

struct sl_policy;

struct sl_tenant_rt {
	uint64_t *vlan_filter;   /* tunnel tenants with a vlan list: bitmap of
				    outer VLAN ids that may match; NULL = any */
	uint16_t n_pools;
	uint16_t default_pool;
	enum sl_non_ip_action non_ip;
	enum sl_malformed_action malformed;
	/* policy (policy.c) */
	struct sl_policy *policy;     /* NULL: no rules, every flow to default_pool */
	struct sl_rule_rt *rules;     /* cfg rules, same order */
	uint32_t n_rules;
	bool slow;                    /* some depth or elephant setting: check each packet */
	bool records;                 /* flow records wanted */
	uint8_t elephant_action;      /* enum sl_elephant_action */
	uint16_t elephant_slice;
	uint64_t elephant_bytes_per_sec; /* 0 = off */
	uint64_t elephant_window_tsc;
	struct sl_pool_rt pools[SL_MAX_POOLS_PER_TENANT];
};

/* Why a flow record was written. */
enum sl_rec_reason { SL_REC_TIMEOUT = 0, SL_REC_TCP_CLOSED, SL_REC_SHUTDOWN };

/* A finished flow, from a worker to the control lcore (records.c). */
struct sl_rec_msg {
	struct sl_flow_key key;
	struct sl_flow_entry e;
	uint64_t end_tsc;
	uint8_t reason;      /* enum sl_rec_reason */
	uint8_t pad[7];
};

/* A control-socket request to a worker's mailbox, answered on its reply
 * ring with the same pointer (bypass.c). */
struct sl_bypass_req {
	struct sl_flow_key key;
	uint32_t hash;       /* sl_flow_hash(key) */
	uint8_t op;          /* SL_BYPASS_OP_* */
	uint8_t found;       /* answer: the flow is in this worker's table */
	uint16_t pad;
	uint64_t until_tsc;  /* 0 = until the flow ends */
};
#define SL_BYPASS_OP_SET 1
#define SL_BYPASS_OP_CLEAR 2

/* Tenant lookup for one input port: VLAN id -> tenant index + 1 (0 = none),
 * slot SL_UNTAGGED_VLAN for untagged frames, and QinQ pairs. */
/* Tunnel id ranges of one kind on one input: sorted, non-overlapping. */
struct sl_id_map {
	uint32_t n;
	uint32_t *lo, *hi;
	uint16_t *tenant;
};

enum sl_id_kind { SL_ID_VNI = 0, SL_ID_GRE_KEY, SL_ID_ERSPAN, SL_ID_KINDS };

struct sl_tenant_map {
	struct sl_id_map ids[SL_ID_KINDS];
	uint16_t vlan[SL_UNTAGGED_VLAN + 1];
	uint32_t n_qinq;
	uint32_t *qinq_key;    /* sorted (outer << 16 | inner) */
	uint16_t *qinq_tenant; /* tenant index for qinq_key[i] */
};

struct sl_rxq {
	uint16_t port;
	uint16_t queue;
	uint16_t input;      /* index into cfg->inputs */
	bool software;       /* hand packets to the owning worker */
	uint8_t l2_kind;     /* enum sl_l2_kind of its frames: SL_L2_ETHERNET
				except a capture file of another link type */
};

struct sl_port_rt {
	uint16_t port_id;
	enum sl_dist_mode mode;   /* resolved: rss or software (inputs) */
	uint16_t nb_rxq, nb_txq;
	bool configured;          /* rte_eth_dev_configure() succeeded */
	bool started;             /* rte_eth_dev_start() succeeded */
	bool tx_shared;           /* outputs: one locked queue for all workers */
	rte_spinlock_t *locks;    /* outputs: one per TX queue when shared */
	struct sl_shmring_prod *ring; /* ring outputs: the region's producer */
	bool up;                  /* outputs: last health state (control thread) */
	char why[64];             /* outputs: why it is down, for logs and stats */
	uint64_t changes;         /* outputs: state changes since start */
};

struct sl_txbuf {
	uint16_t n;
	uint16_t on_dirty;   /* already listed in sl_worker::dirty */
	struct rte_mbuf *pkts[SL_BURST];
};

/* Control words between the control loop and a worker. */
struct sl_worker_ctl {
	volatile uint32_t ack;       /* last snapshot sequence handled */
	volatile uint32_t rx_stopped; /* 1 once RX polling has stopped */
	volatile uint32_t done;      /* 1 once drained and final stats published */
} __rte_cache_aligned;

struct sl_app;

struct sl_worker {
	struct sl_app *app;
	unsigned int lcore;
	uint16_t idx;
	uint16_t n_rxq;
	struct sl_rxq rxq[SL_MAX_RXQ_PER_WORKER];
	struct rte_ring *ring;       /* software distribution: packets this worker owns */
	struct sl_flow_table *ft;
	struct sl_frag_table *frag;
	uint64_t frag_age_next;
	uint64_t frag_age_interval;
	struct sl_stats_block *stats;
	uint64_t *c;                 /* == stats->live */
	struct sl_txbuf *tx;         /* one per global member */
	uint32_t *dirty;             /* members with buffered packets */
	uint8_t *scratch;            /* ring outputs: a multi-segment packet, linearized */
	uint32_t scratch_len;        /* largest ring frame size */
	uint32_t n_dirty;
	uint64_t tx_deadline;
	uint64_t age_next;           /* TSC of the next aging batch */
	uint64_t age_interval;       /* TSC between aging batches */
	uint32_t seen_seq;
	bool holding;                /* ring consumption paused for a snapshot */
	bool ending;                 /* shutdown: flows end with reason "shutdown" */
	struct rte_ring *records;    /* struct sl_rec_msg to the control lcore */
	struct rte_ring *mailbox;    /* struct sl_bypass_req * from the control lcore */
	struct rte_ring *replies;    /* the same requests, answered */
	struct sl_worker_ctl ctl;
} __rte_cache_aligned;

/* Aggregate of the latest consistent snapshot, for telemetry and stats. */
struct sl_aggregate {
	uint64_t *sum;          /* layout.total counters summed over workers */
	uint64_t **per_worker;  /* per-worker copies */
	struct sl_ledger ledger;
	uint64_t tsc;
	bool valid;
};

struct sl_app {
	struct sl_cfg *cfg;
	struct sl_parse_cfg parse_cfg;
	struct rte_mempool *pool;
	uint16_t n_workers;
	struct sl_worker *workers[SL_MAX_WORKERS];
	struct sl_port_rt *in_ports;   /* cfg->n_inputs */
	struct sl_port_rt *out_ports;  /* cfg->n_outputs */
	uint32_t n_members;
	struct sl_member_rt *members;
	/* 1 while a member is down: written by the control thread (health.c),
	 * read by the workers (a relaxed load per packet of a line that rarely
	 * changes) */
	uint8_t *member_down;
	struct sl_tenant_rt *tenants;  /* cfg->n_tenants */
	struct sl_tenant_map *maps;    /* cfg->n_inputs */
	int32_t default_tenant;
	struct sl_stats_layout layout;
	uint64_t tsc_hz;
	uint64_t start_tsc;

	/* control */
	volatile uint32_t snap_seq;    /* odd: hold rings, even: publish */
	volatile uint32_t stop_rx;
	volatile uint32_t drain;
	pthread_mutex_t agg_lock;
	struct sl_aggregate agg;
	uint64_t start_unix_us;        /* wall clock at start_tsc */
	struct sl_records *rec;        /* records.c */
	struct sl_bypass_srv *bypass;  /* bypass.c */
	struct sl_pcap_inputs *pcap_in; /* pcapin.c: capture files of net_pcap inputs */
};

/* Wall-clock nanoseconds (since the Unix epoch) of TSC @p tsc: flow record
 * times, ring descriptor timestamps. */
static inline uint64_t
sl_unix_ns(const struct sl_app *app, uint64_t tsc)
{
	uint64_t d = tsc > app->start_tsc ? tsc - app->start_tsc : 0;

	return app->start_unix_us * 1000 + d / app->tsc_hz * 1000000000ull +
	       (d % app->tsc_hz) * 1000000000ull / app->tsc_hz;
}

/* ports.c */
int sl_ports_setup(struct sl_app *app, struct sl_cfg_error *err);
void sl_ports_close(struct sl_app *app);
int sl_eal_args_build(const struct sl_cfg *cfg, int extra_argc, char **extra_argv, int *argc,
		      char ***argv);
void sl_eal_args_free(int argc, char **argv);
bool sl_eal_args_set_lcores(int argc, char **argv);

struct json_t;

/* health.c: member state (up/down) from link status and ring heartbeats */
int sl_health_init(struct sl_app *app);
void sl_health_poll(struct sl_app *app, uint16_t *next);
void sl_health_free(struct sl_app *app);
/* state of an output (and a ring's own counters), of a member, into JSON;
 * under agg_lock */
void sl_health_output_json(struct sl_app *app, uint16_t o, struct json_t *oo);
void sl_health_member_json(struct sl_app *app, uint32_t gm, struct json_t *mo);

/* tenant.c */
int sl_tenants_build(struct sl_app *app, struct sl_cfg_error *err);
void sl_tenants_free(struct sl_app *app);
uint16_t sl_tenant_lookup(const struct sl_app *app, uint16_t input, const struct sl_pkt_info *pi);

/* worker.c */
int sl_workers_create(struct sl_app *app, struct sl_cfg_error *err);
void sl_workers_free(struct sl_app *app);
int sl_worker_main(void *arg);
void sl_classify(const struct sl_app *app, const struct rte_mbuf *m, uint16_t input,
		 struct sl_meta *md);

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

/* policy.c */
int sl_policy_build(struct sl_app *app, struct sl_cfg_error *err);
void sl_policy_destroy(struct sl_app *app);

/* records.c: flow records from the workers' rings to each tenant's sink */
int sl_records_init(struct sl_app *app, struct sl_cfg_error *err);
/* drain at most budget records (workers in turn); returns how many */
unsigned int sl_records_drain(struct sl_app *app, unsigned int budget);
void sl_records_reopen(struct sl_app *app);
struct json_t *sl_records_json(struct sl_app *app, uint16_t tenant);
void sl_records_free(struct sl_app *app);

/* bypass.c: each tenant's control socket */
int sl_bypass_init(struct sl_app *app, struct sl_cfg_error *err);
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

/* linktype.c: a frame of a non-Ethernet capture rewritten as Ethernet;
 * one that cannot be is emptied (dropped as parse_l2_truncated) */
int sl_rx_to_ethernet(struct rte_mbuf *m, int l2_kind);

/* telemetry.c */
int sl_telemetry_register(struct sl_app *app);

#endif /* SLUICE_H */
