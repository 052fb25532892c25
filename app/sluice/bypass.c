/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Analyzer-requested bypass: each tenant's Unix stream socket, JSON lines.
 *
 *   -> {"cmd":"bypass","proto":"tcp","src_ip":"10.0.0.1","src_port":1234,
 *       "dest_ip":"10.0.0.2","dest_port":80,"vlan":[100],"ttl":60}
 *   <- {"ok":true,"found":true}
 *
 * Commands: bypass (optional ttl in seconds; none = until the flow ends),
 * unbypass (ends a requested bypass), ping. vlan (a list of up to two ids,
 * outermost first) defaults to the tenant's only VLAN when it has exactly
 * one, and to none (untagged) when the tenant matches untagged frames only;
 * tunnel_id defaults to the tenant's only VNI/GRE key/ERSPAN id likewise.
 * The flow key is built with the socket's own tenant: a tenant can only
 * ever reach its own flows. Every request goes to every worker's mailbox
 * (in rss mode the NIC, not sluice, chose the worker); the answer is
 * "found" when one of them holds the flow.
 *
 * Runs on the control lcore only; sockets are non-blocking, a client that
 * sends garbage gets {"ok":false,"error":...} and a counter, one that sends
 * more than SL_CTL_LINE_MAX bytes without a newline is disconnected.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>
#include <rte_cycles.h>
#include <rte_log.h>
#include <rte_pause.h>
#include <rte_ring.h>

#include "datapath.h"

#define SL_CTL_MAX_CLIENTS 16
#define SL_CTL_LINE_MAX 4096
/* A worker answers within one loop iteration: microseconds. */
#define SL_CTL_REPLY_WAIT_MS 1000

struct ctl_client {
	int fd;
	size_t len;
	char buf[SL_CTL_LINE_MAX];
};

struct ctl_tenant {
	int lfd;
	char path[SL_PATH_MAX];
	/* a reload's new socket, until commit */
	int staged_lfd;
	bool staged_set;
	uint32_t staged_mode;
	char staged_path[SL_PATH_MAX];
	struct ctl_client cl[SL_CTL_MAX_CLIENTS];
	uint64_t requests, errors, found;
	uint64_t rule_reloads, rule_reloads_failed;
};

struct sl_bypass_srv {
	uint16_t n;
	unsigned int n_listening;
	struct ctl_tenant *t; /* by tenant slot, lfd -1 when none */
	struct pollfd *pfd;   /* room for every listening socket and its clients */
};

/* A listening socket bound at @p cc->socket, before it is reachable: a
 * socket file left by a previous run that died is replaced. */
static int
listen_on(const struct sl_cfg_control *cc, int *out)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", cc->socket);
	if (lstat(cc->socket, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(cc->socket);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || chmod(cc->socket, cc->mode) != 0 ||
	    listen(fd, 8) != 0) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	*out = fd;
	return 0;
}

static void
close_tenant(struct ctl_tenant *t)
{
	for (int c = 0; c < SL_CTL_MAX_CLIENTS; c++)
		if (t->cl[c].fd >= 0) {
			close(t->cl[c].fd);
			t->cl[c].fd = -1;
		}
	if (t->lfd >= 0) {
		close(t->lfd);
		unlink(t->path);
		t->lfd = -1;
	}
	t->path[0] = '\0';
}

int
sl_bypass_prepare(struct sl_app *app, const struct sl_tables *tb, struct sl_cfg_error *err)
{
	struct sl_bypass_srv *s = app->bypass;

	for (uint16_t i = 0; i < tb->cfg->n_tenants; i++) {
		const struct sl_cfg_tenant *ct = &tb->cfg->tenants[i];
		const struct sl_cfg_control *cc = &ct->control;
		struct ctl_tenant *t = &s->t[tb->slot_of[i]];
		int rc;

		if (strcmp(cc->socket, t->path) == 0) {
			t->staged_mode = cc->mode; /* the same socket: its mode may change */
			continue;
		}
		t->staged_set = true;
		if (cc->socket[0] == '\0')
			continue;
		rc = listen_on(cc, &t->staged_lfd);
		if (rc != 0) {
			sl_config_error(tb->cfg, err, ct->loc, "control.socket",
					"tenant '%s': cannot listen on '%s': %s", ct->name,
					cc->socket, strerror(-rc));
			sl_bypass_abort(app, tb);
			return rc;
		}
		snprintf(t->staged_path, sizeof(t->staged_path), "%s", cc->socket);
	}
	return 0;
}

void
sl_bypass_abort(struct sl_app *app, const struct sl_tables *tb)
{
	struct sl_bypass_srv *s = app->bypass;

	(void)tb;
	for (uint16_t i = 0; s != NULL && i < s->n; i++) {
		struct ctl_tenant *t = &s->t[i];

		if (t->staged_lfd >= 0) {
			close(t->staged_lfd);
			unlink(t->staged_path);
		}
		t->staged_lfd = -1;
		t->staged_set = false;
		t->staged_path[0] = '\0';
	}
}

void
sl_bypass_commit(struct sl_app *app, const struct sl_tables *tb)
{
	struct sl_bypass_srv *s = app->bypass;

	s->n_listening = 0;
	for (uint16_t i = 0; i < s->n; i++) {
		struct ctl_tenant *t = &s->t[i];

		if (t->staged_set || (t->lfd >= 0 && sl_tenant_of(tb, i) == NULL)) {
			/* a new socket, none, or a removed tenant: the old one
			 * and its clients go */
			close_tenant(t);
			t->lfd = t->staged_lfd;
			snprintf(t->path, sizeof(t->path), "%s", t->staged_path);
		} else if (t->lfd >= 0 && t->staged_mode != 0) {
			chmod(t->path, t->staged_mode);
		}
		t->staged_lfd = -1;
		t->staged_set = false;
		t->staged_mode = 0;
		t->staged_path[0] = '\0';
		s->n_listening += t->lfd >= 0;
	}
}

int
sl_bypass_init(struct sl_app *app, struct sl_cfg_error *err)
{
	struct sl_bypass_srv *s = calloc(1, sizeof(*s));

	if (s == NULL)
		goto nomem;
	app->bypass = s;
	s->n = app->tenant_cap;
	s->t = calloc(s->n, sizeof(*s->t));
	/* room for every socket a reload may open */
	s->pfd = calloc((size_t)s->n * (1 + SL_CTL_MAX_CLIENTS) + 1, sizeof(*s->pfd));
	if (s->t == NULL || s->pfd == NULL)
		goto nomem;
	for (uint16_t i = 0; i < s->n; i++) {
		s->t[i].lfd = -1;
		s->t[i].staged_lfd = -1;
		for (int c = 0; c < SL_CTL_MAX_CLIENTS; c++)
			s->t[i].cl[c].fd = -1;
	}
	int rc = sl_bypass_prepare(app, app->tbl, err);
	if (rc != 0)
		return rc;
	sl_bypass_commit(app, app->tbl);
	return 0;
nomem:
	snprintf(err->msg, sizeof(err->msg), "%s: out of memory", app->cfg->path);
	return -ENOMEM;
}

void
sl_bypass_free(struct sl_app *app)
{
	struct sl_bypass_srv *s = app->bypass;

	if (s == NULL)
		return;
	sl_bypass_abort(app, NULL);
	for (uint16_t i = 0; s->t != NULL && i < s->n; i++)
		close_tenant(&s->t[i]);
	free(s->t);
	free(s->pfd);
	free(s);
	app->bypass = NULL;
}

/* A default from a tenant's list when it holds exactly one single value. */
static bool
only_id(const struct sl_cfg_id_range *r, uint16_t n, uint32_t *out)
{
	if (n != 1 || r[0].lo != r[0].hi)
		return false;
	*out = r[0].lo;
	return true;
}

static const char *
get_addr(json_t *req, const char *name, uint8_t *addr, uint8_t *family)
{
	const char *s = json_string_value(json_object_get(req, name));

	if (s == NULL)
		return "missing or non-string address";
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, s, addr) == 1) {
		*family = SL_L3_IPV4;
		return NULL;
	}
	if (inet_pton(AF_INET6, s, addr) == 1) {
		*family = SL_L3_IPV6;
		return NULL;
	}
	return "not an IPv4 or IPv6 address";
}

static const char *
get_port(json_t *req, const char *name, uint16_t *port)
{
	json_t *v = json_object_get(req, name);

	if (v == NULL) {
		*port = 0;
		return NULL;
	}
	if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 65535)
		return "port must be an integer 0..65535";
	*port = (uint16_t)json_integer_value(v);
	return NULL;
}

static const char *
get_proto(json_t *req, uint8_t *proto)
{
	static const struct { const char *n; uint8_t p; } names[] = {
		{ "tcp", 6 }, { "udp", 17 }, { "sctp", 132 }, { "icmp", 1 }, { "icmp6", 58 },
		{ "ipv6-icmp", 58 },
	};
	json_t *v = json_object_get(req, "proto");

	if (json_is_integer(v) && json_integer_value(v) >= 0 && json_integer_value(v) <= 255) {
		*proto = (uint8_t)json_integer_value(v);
		return NULL;
	}
	if (json_is_string(v))
		for (size_t i = 0; i < RTE_DIM(names); i++)
			if (strcasecmp(json_string_value(v), names[i].n) == 0) {
				*proto = names[i].p;
				return NULL;
			}
	return "proto must be tcp, udp, sctp, icmp, icmp6 or 0..255";
}

/* The request's flow key in tenant t, or an error message. */
static const char *
request_key(struct sl_app *app, uint16_t t, json_t *req, struct sl_flow_key *k)
{
	const struct sl_cfg_tenant *ct = app->tbl->tenants[t].cfg;
	struct sl_pkt_info pi;
	uint8_t f2;
	const char *e;
	json_t *v;

	memset(&pi, 0, sizeof(pi));
	if ((e = get_addr(req, "src_ip", pi.src, &pi.l3)) ||
	    (e = get_addr(req, "dest_ip", pi.dst, &f2)))
		return e;
	if (f2 != pi.l3)
		return "src_ip and dest_ip are of different families";
	if ((e = get_proto(req, &pi.proto)) || (e = get_port(req, "src_port", &pi.sport)) ||
	    (e = get_port(req, "dest_port", &pi.dport)))
		return e;
	pi.has_ports = pi.proto == 6 || pi.proto == 17 || pi.proto == 132 || pi.proto == 136;
	v = json_object_get(req, "vlan");
	if (v != NULL) {
		if (json_is_integer(v)) {
			pi.vlan[0] = (uint16_t)json_integer_value(v);
			if (json_integer_value(v) < 1 || json_integer_value(v) > 4094)
				return "vlan must be 1..4094 or a list of up to two";
		} else if (json_is_array(v) && json_array_size(v) <= SL_MAX_VLANS) {
			for (size_t i = 0; i < json_array_size(v); i++) {
				json_t *x = json_array_get(v, i);
				if (!json_is_integer(x) || json_integer_value(x) < 1 ||
				    json_integer_value(x) > 4094)
					return "vlan must be 1..4094 or a list of up to two";
				pi.vlan[i] = (uint16_t)json_integer_value(x);
			}
		} else {
			return "vlan must be 1..4094 or a list of up to two";
		}
	} else if (ct->n_vlans == 1 && ct->vlans[0].lo == ct->vlans[0].hi && ct->n_qinq == 0 &&
		   !ct->untagged) {
		pi.vlan[0] = ct->vlans[0].lo;
	} else if (ct->n_vlans > 0 || ct->n_qinq > 0) {
		return "vlan required: the tenant has several VLANs";
	}
	v = json_object_get(req, "tunnel_id");
	if (v != NULL) {
		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) > UINT32_MAX)
			return "tunnel_id must be an integer 0..4294967295";
		pi.tunnel_id = (uint32_t)json_integer_value(v);
	} else if (sl_config_tenant_is_tunnel(ct)) {
		if (!only_id(ct->vni, ct->n_vni, &pi.tunnel_id) &&
		    !only_id(ct->gre_key, ct->n_gre_key, &pi.tunnel_id) &&
		    !only_id(ct->erspan_id, ct->n_erspan_id, &pi.tunnel_id))
			return "tunnel_id required: the tenant has several tunnel ids";
	}
	sl_flow_key_build(&pi, t, k);
	return NULL;
}

/* Ask every worker; true when one holds the flow. */
static bool
ask_workers(struct sl_app *app, struct sl_bypass_req *rq, const char **err)
{
	struct sl_bypass_req reqs[SL_MAX_WORKERS];
	uint16_t sent = 0, got = 0;
	bool found = false;

	for (uint16_t w = 0; w < app->n_workers; w++) {
		reqs[w] = *rq;
		if (rte_ring_sp_enqueue(app->workers[w]->mailbox, &reqs[w]) == 0)
			sent++;
	}
	/* Replies point into reqs[] on this stack: every request sent is
	 * collected before returning (workers run until the control loop,
	 * this thread, stops them, and answer within one loop iteration).
	 * An answer later than the deadline is reported as an error. */
	uint64_t deadline = rte_rdtsc() + app->tsc_hz / 1000 * SL_CTL_REPLY_WAIT_MS;
	while (got < sent) {
		for (uint16_t w = 0; w < app->n_workers; w++) {
			struct sl_bypass_req *r;

			while (rte_ring_sc_dequeue(app->workers[w]->replies, (void **)&r) == 0) {
				got++;
				found |= r->found != 0;
			}
		}
		if (got < sent)
			rte_pause();
	}
	if (sent < app->n_workers || rte_rdtsc() > deadline)
		*err = "a worker did not answer";
	return found;
}

/*
 * reload-rules: re-read this tenant's rules_file alone and swap its rules,
 * everything else as running (a copy of the running configuration with
 * this tenant's rules replaced goes through the same reload as the
 * admin's: validated in full, built off the data path, published at once).
 */
static json_t *
reload_rules(struct sl_app *app, uint16_t t, struct ctl_tenant *ct)
{
	const struct sl_tables *tb = app->tbl;
	struct sl_cfg_error err;
	struct sl_cfg *cfg;
	uint16_t ci = UINT16_MAX;

	for (uint16_t i = 0; i < tb->cfg->n_tenants; i++)
		if (tb->slot_of[i] == t)
			ci = i;
	cfg = ci != UINT16_MAX ? sl_config_dup(tb->cfg) : NULL;
	if (cfg == NULL) {
		ct->errors++;
		return json_pack("{s:b,s:s}", "ok", 0, "error", "out of memory");
	}
	RTE_LOG(NOTICE, USER1, "sluice: tenant '%s' asks to reload its rules\n",
		app->tenant_names[t]);
	if (sl_config_reload_rules(cfg, ci, &err) != 0) {
		sl_config_free(cfg);
		ct->errors++;
		ct->rule_reloads_failed++;
		RTE_LOG(ERR, USER1, "sluice: tenant '%s': rules refused: %s\n",
			app->tenant_names[t], err.msg);
		return json_pack("{s:b,s:s}", "ok", 0, "error", err.msg);
	}
	if (sl_reload_cfg(app, cfg, &err) != 0) {
		ct->errors++;
		ct->rule_reloads_failed++;
		return json_pack("{s:b,s:s}", "ok", 0, "error", err.msg);
	}
	ct->rule_reloads++;
	return json_pack("{s:b,s:i,s:i}", "ok", 1, "rules",
			 app->tbl->tenants[t].cfg->n_rules, "generation", app->tbl->generation);
}

static json_t *
handle(struct sl_app *app, uint16_t t, struct ctl_tenant *ct, const char *line)
{
	json_error_t jerr;
	json_t *req = json_loads(line, JSON_REJECT_DUPLICATES, &jerr), *rep;
	const char *cmd, *e = NULL;
	struct sl_bypass_req rq;

	ct->requests++;
	if (req == NULL || !json_is_object(req)) {
		json_decref(req);
		ct->errors++;
		return json_pack("{s:b,s:s}", "ok", 0, "error", "request is not a JSON object");
	}
	cmd = json_string_value(json_object_get(req, "cmd"));
	if (cmd != NULL && strcmp(cmd, "ping") == 0) {
		rep = json_pack("{s:b,s:s}", "ok", 1, "tenant", app->tenant_names[t]);
		goto out;
	}
	if (cmd != NULL && strcmp(cmd, "reload-rules") == 0) {
		rep = reload_rules(app, t, ct);
		goto out;
	}
	memset(&rq, 0, sizeof(rq));
	if (cmd == NULL || (strcmp(cmd, "bypass") != 0 && strcmp(cmd, "unbypass") != 0)) {
		e = "cmd must be bypass, unbypass, reload-rules or ping";
		goto fail;
	}
	rq.op = strcmp(cmd, "bypass") == 0 ? SL_BYPASS_OP_SET : SL_BYPASS_OP_CLEAR;
	json_t *ttl = json_object_get(req, "ttl");
	if (ttl != NULL) {
		if (!json_is_number(ttl) || json_number_value(ttl) <= 0 ||
		    json_number_value(ttl) > 86400 * 365) {
			e = "ttl must be a number of seconds > 0";
			goto fail;
		}
		rq.until_tsc = rte_rdtsc() + (uint64_t)(json_number_value(ttl) * (double)app->tsc_hz);
	}
	if ((e = request_key(app, t, req, &rq.key)) != NULL)
		goto fail;
	rq.hash = sl_flow_hash(&rq.key, app->cfg->hash_seed);
	bool found = ask_workers(app, &rq, &e);
	if (e != NULL)
		goto fail;
	ct->found += found;
	rep = json_pack("{s:b,s:b}", "ok", 1, "found", found);
	goto out;
fail:
	ct->errors++;
	rep = json_pack("{s:b,s:s}", "ok", 0, "error", e);
out:
	json_decref(req);
	return rep;
}

static void
reply(struct ctl_client *c, json_t *rep)
{
	char *s = json_dumps(rep, JSON_COMPACT);

	json_decref(rep);
	if (s == NULL)
		return;
	size_t n = strlen(s);
	s[n] = '\n'; /* replaces the NUL: write n + 1 bytes */
	/* a client that does not read its answers loses them (never block) */
	if (send(c->fd, s, n + 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0 && errno != EAGAIN)
		RTE_LOG(DEBUG, USER1, "control socket: reply lost: %s\n", strerror(errno));
	free(s);
}

static void
drop_client(struct ctl_client *c)
{
	close(c->fd);
	c->fd = -1;
	c->len = 0;
}

static void
serve_client(struct sl_app *app, uint16_t t, struct ctl_tenant *ct, struct ctl_client *c)
{
	for (;;) {
		ssize_t r = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, MSG_DONTWAIT);
		if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
			drop_client(c);
			return;
		}
		if (r < 0)
			return;
		c->len += (size_t)r;
		char *nl;
		while ((nl = memchr(c->buf, '\n', c->len)) != NULL) {
			*nl = '\0';
			if (nl != c->buf)
				reply(c, handle(app, t, ct, c->buf));
			size_t used = (size_t)(nl - c->buf) + 1;
			memmove(c->buf, nl + 1, c->len - used);
			c->len -= used;
		}
		if (c->len == sizeof(c->buf)) {
			ct->errors++;
			json_t *rep = json_pack("{s:b,s:s}", "ok", 0, "error", "line too long");
			reply(c, rep);
			drop_client(c);
			return;
		}
	}
}

void
sl_bypass_poll(struct sl_app *app, int timeout_ms)
{
	struct sl_bypass_srv *s = app->bypass;

	if (s == NULL || s->n_listening == 0) {
		rte_delay_us_sleep((unsigned int)timeout_ms * 1000);
		return;
	}
	/* one poll over every socket of every tenant */
	struct pollfd *all = s->pfd;
	unsigned int n = 0;
	for (uint16_t i = 0; i < s->n; i++) {
		if (s->t[i].lfd < 0)
			continue;
		all[n++] = (struct pollfd){ .fd = s->t[i].lfd, .events = POLLIN };
		for (int c = 0; c < SL_CTL_MAX_CLIENTS; c++)
			if (s->t[i].cl[c].fd >= 0)
				all[n++] = (struct pollfd){ .fd = s->t[i].cl[c].fd, .events = POLLIN };
	}
	if (poll(all, n, timeout_ms) > 0) {
		for (uint16_t i = 0; i < s->n; i++) {
			struct ctl_tenant *t = &s->t[i];
			int fd;

			if (t->lfd < 0)
				continue;
			while ((fd = accept4(t->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
				int c;
				for (c = 0; c < SL_CTL_MAX_CLIENTS && t->cl[c].fd >= 0; c++)
					;
				if (c == SL_CTL_MAX_CLIENTS) {
					t->errors++;
					close(fd); /* too many clients */
					continue;
				}
				t->cl[c].fd = fd;
				t->cl[c].len = 0;
			}
			for (int c = 0; c < SL_CTL_MAX_CLIENTS; c++)
				if (t->cl[c].fd >= 0)
					serve_client(app, i, t, &t->cl[c]);
		}
	}
}

json_t *
sl_bypass_json(struct sl_app *app, uint16_t t)
{
	struct sl_bypass_srv *s = app->bypass;

	if (s == NULL || t >= s->n || s->t[t].lfd < 0)
		return NULL;
	return json_pack("{s:s,s:I,s:I,s:I,s:I,s:I}", "socket", s->t[t].path, "requests",
			 (json_int_t)s->t[t].requests, "errors", (json_int_t)s->t[t].errors,
			 "found", (json_int_t)s->t[t].found, "rule_reloads",
			 (json_int_t)s->t[t].rule_reloads, "rule_reloads_failed",
			 (json_int_t)s->t[t].rule_reloads_failed);
}
