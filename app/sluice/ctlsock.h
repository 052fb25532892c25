/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The tenants' control sockets, private to the two files that run them:
 * ctlsock.c opens, changes (reload) and closes them, bypass.c serves their
 * requests. Control lcore only.
 */
#ifndef SL_CTLSOCK_H
#define SL_CTLSOCK_H

#include <poll.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_log.h>

#include "sl_ctlproto.h"
#include "datapath.h"

extern int sl_ctl_logtype;
#define CLOG(level, ...) rte_log(RTE_LOG_##level, sl_ctl_logtype, "sluice: " __VA_ARGS__)

/** Requests one client may have answered per call. */
#define SL_CTL_CLIENT_BURST 8
/** Requests one tenant may have answered per call (all its clients). */
#define SL_CTL_TENANT_BURST 32
/** Connections one tenant may open per call. */
#define SL_CTL_ACCEPT_BURST 4
/** Flow requests at the workers at once (a worker's mailbox holds 63). */
#define SL_CTL_BATCH 32
/** While a batch is at the workers, look for their answers this often. */
#define SL_CTL_REPLY_POLL_NS 100000
#define SL_CTL_BACKLOG 16
/** reload-rules costs this share of a tenant's rate in tokens (1/N). */
#define SL_CTL_RELOAD_COST_DIV 10

struct ctl_client {
	int fd;
	uint32_t len;        /* bytes in buf */
	uint32_t gen;        /* changes when the slot gets a new client */
	bool waiting;        /* its request is in the batch at the workers */
	uint64_t last_ns;    /* connected or last byte received */
	char buf[SL_CTL_LINE_MAX];
};

struct ctl_tenant {
	int lfd;
	char path[SL_PATH_MAX];
	struct ctl_client *cl;  /* cap of them; fd -1 when free (never shrinks:
				   a batch names clients by index) */
	uint32_t cap;
	uint32_t max_clients;   /* connections at once (<= cap) */
	uint32_t n_clients;
	uint32_t rr;            /* client served first in the next call */
	uint32_t pfd_base;      /* its listening socket's slot in pfd, clients after
				   it (set by each poll) */
	uint64_t idle_ns;
	double rate;            /* requests per second, and the bucket's size */
	double tokens;
	uint64_t refill_ns;     /* when tokens were last topped up */
	bool limited;           /* out of tokens (counted once per episode) */
	uint64_t requests, errors, found;
	uint64_t refused_clients, idle_closed, rate_limited, too_long;
	uint64_t rule_reloads, rule_reloads_failed;
	struct sl_cfg_control ctl; /* the settings in force */
	/* a reload-rules to run after this call's sockets are served (a
	 * reload may change them): its client, which waits for it */
	bool reload_pending;
	uint32_t reload_client, reload_gen;
	/* a reload's new settings and socket, until commit */
	struct sl_cfg_control staged_cc;
	bool staged_has_cc;     /* the tenant is in the new tables */
	bool staged_set;        /* its socket changes (staged_lfd, -1: none) */
	int staged_lfd;
	char staged_path[SL_PATH_MAX];
	struct ctl_client *staged_cl; /* a bigger cl[] (staged_cap) */
	uint32_t staged_cap;
};

/* A flow request in the batch: whose it is, what the workers get. */
struct ctl_pending {
	uint16_t tenant;
	uint32_t client;        /* slot in its tenant's cl[] */
	uint32_t gen;           /* the client's gen when it asked */
	struct sl_bypass_req rq;
};

/* The flow requests on their way to the workers: one batch at a time. */
struct ctl_batch {
	unsigned int n;
	bool in_flight;
	unsigned int sent, got;
	struct ctl_pending pend[SL_CTL_BATCH];
	bool found[SL_CTL_BATCH];
};

struct sl_bypass_srv {
	uint16_t n;
	uint16_t rr;           /* tenant served first in the next call */
	unsigned int n_listening;
	struct ctl_tenant *t;  /* by tenant slot, lfd -1 when none */
	struct pollfd *pfd;    /* every listening socket and its clients */
	uint32_t pfd_cap;
	struct ctl_batch batch;
	struct sl_bypass_req *wreq; /* per worker, SL_CTL_BATCH copies (stay put
				       while the workers hold pointers to them) */
};

#endif /* SL_CTLSOCK_H */
