/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Analyzer-requested bypass: each tenant's Unix stream socket, JSON lines
 * (lib/ctlproto: the protocol; docs/operations.md: the commands). This file
 * serves the sockets; ctlsock.c opens, changes and closes them.
 *
 * vlan (a list of up to two ids, outermost first) defaults to the tenant's
 * only VLAN when it has exactly one, and to none (untagged) when the tenant
 * matches untagged frames only; tunnel_id defaults to the tenant's only
 * VNI/GRE key/ERSPAN id likewise. The flow key is built with the socket's
 * own tenant: a tenant can only ever reach its own flows. Every request goes
 * to every worker's mailbox (in rss mode the NIC, not sluice, chose the
 * worker); the answer is "found" when one of them holds the flow.
 *
 * Runs on the control lcore only, as one source of work of the control loop
 * with a bounded share per call (sl_bypass_poll()):
 *
 * - tenants are served in turn, starting one further each call;
 * - per tenant: at most SL_CTL_ACCEPT_BURST new connections and
 *   SL_CTL_TENANT_BURST requests, and no more than its rate (control.rate,
 *   a token bucket holding one second of requests): a tenant out of tokens
 *   is not read until they refill, so its clients wait (their socket
 *   buffers fill) and nobody else does;
 * - per client: one read of at most SL_CTL_LINE_MAX bytes and at most
 *   SL_CTL_CLIENT_BURST requests, clients served in turn;
 * - flow requests go to the workers in batches (at most SL_CTL_BATCH, from
 *   any tenants), one batch at a time, without waiting: the batch's
 *   answers are collected in the next calls, so a slow or descheduled
 *   worker delays bypass answers but never the control loop, pings or
 *   another tenant's socket. A client whose request is in the batch is
 *   not read further until it is answered, so its answers stay in order;
 * - control.max_clients connections per tenant; one more is told why and
 *   closed; a client silent for control.idle_timeout is closed;
 * - reload-rules (re-read the tenant's rules_file, reload.c) costs a tenth
 *   of the tenant's rate in tokens: ten in a row at most, then one every
 *   100 ms, so a tenant cannot keep the control loop building tables.
 *
 * A client that sends more than SL_CTL_LINE_MAX bytes without a newline is
 * told and disconnected; garbage gets {"ok":false,"error":...} and a
 * counter; a client that does not read its answers loses them (never
 * block).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <rte_cycles.h>
#include <rte_log.h>
#include <rte_pause.h>
#include <rte_ring.h>

#include "ctlsock.h"
#include "ops.h"

RTE_LOG_REGISTER(sl_ctl_logtype, user.sluice.control, INFO);

/* A default from a tenant's list when it holds exactly one single value. */
static bool
only_id(const struct sl_cfg_id_range *r, uint16_t n, uint32_t *out)
{
	if (n != 1 || r[0].lo != r[0].hi)
		return false;
	*out = r[0].lo;
	return true;
}

/* The request's flow key in tenant t, or an error message. */
static const char *
request_key(struct sl_app *app, uint16_t t, const struct sl_ctl_request *rq,
	    struct sl_flow_key *k)
{
	const struct sl_cfg_tenant *ct = sl_tenant_of(app->tbl, t) != NULL ?
						 app->tbl->tenants[t].cfg : NULL;
	struct sl_pkt_info pi;

	if (ct == NULL)
		return "the tenant is being removed";
	memset(&pi, 0, sizeof(pi));
	pi.l3 = rq->family == 4 ? SL_L3_IPV4 : SL_L3_IPV6;
	memcpy(pi.src, rq->src, 16);
	memcpy(pi.dst, rq->dst, 16);
	pi.proto = rq->proto;
	pi.sport = rq->sport;
	pi.dport = rq->dport;
	pi.has_ports = pi.proto == 6 || pi.proto == 17 || pi.proto == 132 || pi.proto == 136;
	if (rq->has_vlan) {
		pi.vlan[0] = rq->n_vlan > 0 ? rq->vlan[0] : 0;
		pi.vlan[1] = rq->n_vlan > 1 ? rq->vlan[1] : 0;
	} else if (ct->n_vlans == 1 && ct->vlans[0].lo == ct->vlans[0].hi && ct->n_qinq == 0 &&
		   !ct->untagged) {
		pi.vlan[0] = ct->vlans[0].lo;
	} else if (ct->n_vlans > 0 || ct->n_qinq > 0) {
		return "vlan required: the tenant has several VLANs";
	}
	if (rq->has_tunnel_id) {
		pi.tunnel_id = rq->tunnel_id;
	} else if (sl_config_tenant_is_tunnel(ct)) {
		if (!only_id(ct->vni, ct->n_vni, &pi.tunnel_id) &&
		    !only_id(ct->gre_key, ct->n_gre_key, &pi.tunnel_id) &&
		    !only_id(ct->erspan_id, ct->n_erspan_id, &pi.tunnel_id))
			return "tunnel_id required: the tenant has several tunnel ids";
	}
	sl_flow_key_build(&pi, t, k);
	return NULL;
}

static void
reply(int fd, const struct sl_ctl_reply *rep)
{
	char out[1536]; /* a configuration error is up to 1024 bytes */
	int n = fd >= 0 ? sl_ctlproto_format_reply(rep, out, sizeof(out)) : 0;

	if (n <= 0)
		return;
	/* a client that does not read its answers loses them (never block) */
	if (send(fd, out, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0 && errno != EAGAIN)
		CLOG(DEBUG, "control socket: reply lost: %s\n", strerror(errno));
}

/* Send the batch to every worker's mailbox; the answers come later. */
static void
send_batch(struct sl_app *app, struct sl_bypass_srv *s)
{
	struct ctl_batch *b = &s->batch;

	b->sent = b->got = 0;
	memset(b->found, 0, sizeof(b->found));
	for (uint16_t w = 0; w < app->n_workers; w++) {
		struct sl_bypass_req *base = &s->wreq[(size_t)w * SL_CTL_BATCH];
		void *ptrs[SL_CTL_BATCH];

		for (unsigned int k = 0; k < b->n; k++) {
			base[k] = b->pend[k].rq;
			ptrs[k] = &base[k];
		}
		/* the mailbox is empty (one batch at a time) and holds 63 */
		b->sent += rte_ring_sp_enqueue_burst(app->workers[w]->mailbox, ptrs, b->n, NULL);
	}
	b->in_flight = true;
}

/*
 * Take the workers' answers that are there (never waits). Once every
 * request sent is answered, answer the clients (those still connected) in
 * order and free the batch.
 */
static void
collect_batch(struct sl_app *app, struct sl_bypass_srv *s)
{
	struct ctl_batch *b = &s->batch;

	if (!b->in_flight)
		return;
	for (uint16_t w = 0; w < app->n_workers; w++) {
		struct sl_bypass_req *r;

		while (rte_ring_sc_dequeue(app->workers[w]->replies, (void **)&r) == 0) {
			b->got++;
			b->found[(size_t)(r - s->wreq) % SL_CTL_BATCH] |= r->found != 0;
		}
	}
	if (b->got < b->sent)
		return;
	bool missing = b->sent < (unsigned int)app->n_workers * b->n;
	for (unsigned int k = 0; k < b->n; k++) {
		const struct ctl_pending *p = &b->pend[k];
		struct ctl_tenant *t = &s->t[p->tenant];
		struct ctl_client *c = &t->cl[p->client];
		struct sl_ctl_reply rep = { .ok = true, .found = b->found[k] };

		if (missing) {
			t->errors++;
			rep = (struct sl_ctl_reply){ .ok = false, .error = "a worker did not answer",
						     .found = -1 };
		} else {
			t->found += b->found[k];
		}
		if (c->fd >= 0 && c->gen == p->gen) {
			reply(c->fd, &rep);
			c->waiting = false;
		}
	}
	b->n = 0;
	b->in_flight = false;
}

/*
 * reload-rules: re-read this tenant's rules_file alone and swap its rules,
 * everything else as running (a copy of the running configuration with
 * this tenant's rules replaced goes through the same reload as the
 * admin's: validated in full, built off the data path, published at once).
 */
static void
reload_rules(struct sl_app *app, uint16_t t, struct ctl_tenant *ct, int fd)
{
	/* fd < 0: the client left; the reload is done all the same */
	const struct sl_tables *tb = app->tbl;
	struct sl_ctl_reply rep = { .ok = false, .found = -1 };
	struct sl_cfg_error err;
	struct sl_cfg *cfg;
	uint16_t ci = UINT16_MAX;

	for (uint16_t i = 0; i < tb->cfg->n_tenants; i++)
		if (tb->slot_of[i] == t)
			ci = i;
	cfg = ci != UINT16_MAX ? sl_config_dup(tb->cfg) : NULL;
	if (cfg == NULL) {
		ct->errors++;
		rep.error = ci == UINT16_MAX ? "the tenant is being removed" : "out of memory";
		reply(fd, &rep);
		return;
	}
	CLOG(NOTICE, "tenant '%s' asks to reload its rules\n", app->tenant_names[t]);
	if (sl_config_reload_rules(cfg, ci, &err) != 0) {
		sl_config_free(cfg);
		ct->errors++;
		ct->rule_reloads_failed++;
		CLOG(ERR, "tenant '%s': rules refused: %s\n", app->tenant_names[t], err.msg);
		rep.error = err.msg;
		reply(fd, &rep);
		return;
	}
	if (sl_reload_cfg(app, cfg, &err) != 0) {
		ct->errors++;
		ct->rule_reloads_failed++;
		rep.error = err.msg;
		reply(fd, &rep);
		return;
	}
	ct->rule_reloads++;
	rep = (struct sl_ctl_reply){ .ok = true, .found = -1, .reloaded = true,
				     .rules = app->tbl->tenants[t].cfg->n_rules,
				     .generation = app->tbl->generation };
	reply(fd, &rep);
}

/*
 * One request line: answered now (ping, errors), or put in the batch for
 * the workers (returns true: the client waits for it). The caller checked
 * that the batch has room.
 */
static bool
handle_line(struct sl_app *app, struct sl_bypass_srv *s, uint16_t ti, struct ctl_tenant *t,
	    uint32_t ci, const char *line, size_t len)
{
	struct ctl_client *c = &t->cl[ci];
	struct sl_ctl_request rq;
	struct sl_ctl_reply rep = { .ok = true, .found = -1 };
	const char *e = NULL;

	t->requests++;
	if (sl_ctlproto_parse(line, len, &rq, &e) != 0)
		goto fail;
	if (rq.cmd == SL_CTL_PING) {
		rep.tenant = app->tenant_names[ti];
		reply(c->fd, &rep);
		return false;
	}
	if (rq.cmd == SL_CTL_RELOAD_RULES) {
		if (t->reload_pending) {
			e = "a reload-rules of this tenant is under way";
			goto fail;
		}
		t->reload_pending = true;
		t->reload_client = ci;
		t->reload_gen = c->gen;
		c->waiting = true;
		/* the tokens of a tenth of a second of requests */
		t->tokens -= RTE_MAX(1.0, t->rate / SL_CTL_RELOAD_COST_DIV) - 1;
		return true;
	}
	struct ctl_pending *p = &s->batch.pend[s->batch.n];

	memset(&p->rq, 0, sizeof(p->rq));
	p->rq.op = rq.cmd == SL_CTL_BYPASS ? SL_BYPASS_OP_SET : SL_BYPASS_OP_CLEAR;
	if (rq.has_ttl)
		p->rq.until_tsc = rte_rdtsc() + (uint64_t)(rq.ttl * (double)app->tsc_hz);
	if ((e = request_key(app, ti, &rq, &p->rq.key)) != NULL)
		goto fail;
	p->rq.hash = sl_flow_hash(&p->rq.key, app->cfg->hash_seed);
	p->tenant = ti;
	p->client = ci;
	p->gen = c->gen;
	s->batch.n++;
	c->waiting = true;
	return true;
fail:
	t->errors++;
	rep = (struct sl_ctl_reply){ .ok = false, .error = e ? e : "?", .found = -1 };
	reply(c->fd, &rep);
	return false;
}


static void
drop_client(struct ctl_tenant *t, struct ctl_client *c)
{
	close(c->fd);
	c->fd = -1;
	c->len = 0;
	c->waiting = false; /* an answer still to come is dropped (gen) */
	t->n_clients--;
}

static void
refill(struct ctl_tenant *t, uint64_t now)
{
	if (now > t->refill_ns) {
		t->tokens += (double)(now - t->refill_ns) * t->rate / (double)NS_PER_S;
		if (t->tokens > t->rate)
			t->tokens = t->rate;
	}
	t->refill_ns = now;
	if (t->tokens >= 1)
		t->limited = false;
}

/* Nanoseconds until the tenant has a token again. */
static uint64_t
refill_wait_ns(const struct ctl_tenant *t)
{
	return (uint64_t)((1.0 - t->tokens) * (double)NS_PER_S / t->rate) + 1;
}

/*
 * A capture request (capture.c): refused with its reason, or started, and
 * then the capture owns the connection and the client's slot is free
 * (true). Any other line is not its business (false, nothing done).
 */
static bool
capture_line(struct sl_app *app, uint16_t ti, struct ctl_tenant *t, struct ctl_client *c,
	     const char *line, size_t len)
{
	json_t *rep = NULL;

	if (sl_capture_line(app, ti, c->fd, line, len, &rep)) {
		t->requests++;
		c->fd = -1;
		c->len = 0;
		c->waiting = false;
		t->n_clients--;
		return true;
	}
	if (rep == NULL)
		return false;
	/* refused: the answer, and the line is used up */
	char *out = json_dumps(rep, JSON_COMPACT);

	json_decref(rep);
	t->requests++;
	t->errors++;
	if (out != NULL) {
		size_t n = strlen(out);

		out[n] = '\n'; /* replaces the NUL: one whole line */
		if (send(c->fd, out, n + 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
			RTE_LOG(DEBUG, USER1, "control socket: reply lost: %s\n", strerror(errno));
		free(out);
	}
	memmove(c->buf, line + len + 1, c->len - (uint32_t)(line + len + 1 - c->buf));
	c->len -= (uint32_t)(line + len + 1 - c->buf);
	return true;
}

/* Does the client hold a whole request line? */
static bool
has_line(const struct ctl_client *c)
{
	return c->len > 0 && memchr(c->buf, '\n', c->len) != NULL;
}

/*
 * Answer the whole lines a client holds, within its and its tenant's
 * budgets (tokens are spent here), until one of them goes to the workers
 * (the client then waits) or the batch is full or at the workers (its
 * lines wait). Returns the requests handled.
 */
static unsigned int
take_lines(struct sl_app *app, struct sl_bypass_srv *s, uint16_t ti, struct ctl_tenant *t,
	   uint32_t ci, unsigned int budget)
{
	struct ctl_client *c = &t->cl[ci];
	unsigned int done = 0;
	uint32_t off = 0;
	char *nl;

	while (done < budget && t->tokens >= 1 && !c->waiting &&
	       !s->batch.in_flight && s->batch.n < SL_CTL_BATCH &&
	       (nl = memchr(c->buf + off, '\n', c->len - off)) != NULL) {
		size_t len = (size_t)(nl - (c->buf + off));

		if (len > 0 && capture_line(app, ti, t, c, c->buf + off, len)) {
			t->tokens -= 1;
			return done + 1; /* the capture has the connection now */
		}
		if (len > 0) { /* empty lines are not requests */
			handle_line(app, s, ti, t, ci, c->buf + off, len);
			t->tokens -= 1;
			done++;
		}
		off += (uint32_t)len + 1;
	}
	if (off > 0) {
		memmove(c->buf, c->buf + off, c->len - off);
		c->len -= off;
	}
	if (t->tokens < 1 && !t->limited) {
		t->limited = true;
		t->rate_limited++;
	}
	return done;
}

/* Could the client's next line be taken now? */
static bool
ready(const struct sl_bypass_srv *s, const struct ctl_tenant *t, const struct ctl_client *c)
{
	return c->fd >= 0 && !c->waiting && t->tokens >= 1 && !s->batch.in_flight &&
	       s->batch.n < SL_CTL_BATCH && has_line(c);
}

/* One read of at most what the buffer holds; false when the client is gone. */
static bool
read_client(struct ctl_tenant *t, struct ctl_client *c, uint64_t now)
{
	ssize_t r = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, MSG_DONTWAIT);

	if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
		drop_client(t, c);
		return false;
	}
	if (r > 0) {
		c->len += (uint32_t)r;
		c->last_ns = now;
	}
	return true;
}

static void
accept_clients(struct sl_app *app, uint16_t ti, struct ctl_tenant *t, uint64_t now)
{
	for (int k = 0; k < SL_CTL_ACCEPT_BURST; k++) {
		int fd = accept4(t->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		uint32_t c;

		if (fd < 0)
			return;
		for (c = 0; c < t->cap && t->cl[c].fd >= 0; c++)
			;
		if (t->n_clients >= t->max_clients || c == t->cap) {
			char msg[96];
			struct sl_ctl_reply rep = { .ok = false, .error = msg, .found = -1 };

			snprintf(msg, sizeof(msg), "too many clients (max_clients %u)", t->max_clients);
			reply(fd, &rep);
			close(fd);
			if (t->refused_clients++ == 0)
				CLOG(WARNING, "tenant '%s': control socket full (%u clients), "
				     "refusing more (counted as refused_clients)\n",
				     app->tenant_names[ti], t->max_clients);
			continue;
		}
		t->cl[c].fd = fd;
		t->cl[c].len = 0;
		t->cl[c].gen++;
		t->cl[c].waiting = false;
		t->cl[c].last_ns = now;
		t->n_clients++;
	}
}

/* Serve one tenant within its budgets; true when it has more to do now. */
static bool
serve_tenant(struct sl_app *app, struct sl_bypass_srv *s, uint16_t ti, struct ctl_tenant *t,
	     const struct pollfd *pfd, uint64_t now)
{
	unsigned int budget = SL_CTL_TENANT_BURST;
	bool more = false;

	/* read, and handle requests, clients in turn */
	for (uint32_t k = 0; k < t->cap; k++) {
		uint32_t ci = (t->rr + k) % t->cap;
		struct ctl_client *c = &t->cl[ci];

		if (c->fd < 0)
			continue;
		if ((pfd[1 + ci].revents & (POLLIN | POLLHUP | POLLERR)) && !read_client(t, c, now))
			continue;
		if (budget > 0 && t->tokens >= 1) {
			budget -= take_lines(app, s, ti, t, ci,
					     RTE_MIN(budget, (unsigned int)SL_CTL_CLIENT_BURST));
			if (budget == 0 || t->tokens < 1)
				t->rr = (ci + 1) % t->cap; /* the next one goes first */
		}
		if (c->len == sizeof(c->buf) && !has_line(c)) {
			struct sl_ctl_reply rep = { .ok = false, .error = "line too long", .found = -1 };

			t->errors++;
			t->too_long++;
			reply(c->fd, &rep);
			drop_client(t, c);
			continue;
		}
		more |= ready(s, t, c);
	}
	/* after the clients: a slot taken now has no poll result yet */
	if (pfd[0].revents & POLLIN)
		accept_clients(app, ti, t, now);
	return more;
}

/* Close the clients that were silent for the idle timeout. */
static void
close_idle(struct ctl_tenant *t, uint64_t now)
{
	for (uint32_t c = 0; c < t->cap; c++)
		if (t->cl[c].fd >= 0 && now - t->cl[c].last_ns >= t->idle_ns) {
			drop_client(t, &t->cl[c]);
			t->idle_closed++;
		}
}

bool
sl_bypass_poll(struct sl_app *app, uint64_t deadline_ns)
{
	struct sl_bypass_srv *s = app->bypass;
	uint64_t now = sl_mono_ns(), wake = deadline_ns;
	bool pending = false;
	uint32_t n = 0;
	int rc;

	if (s == NULL || s->n_listening == 0) {
		sl_sleep_until(deadline_ns);
		return false;
	}
	collect_batch(app, s);
	if (s->batch.in_flight && now + SL_CTL_REPLY_POLL_NS < wake)
		wake = now + SL_CTL_REPLY_POLL_NS; /* look for the workers' answers soon */
	/* one ppoll over every socket a tenant with tokens may read */
	for (uint16_t i = 0; i < s->n; i++) {
		struct ctl_tenant *t = &s->t[i];

		if (t->lfd < 0)
			continue;
		refill(t, now);
		close_idle(t, now);
		t->pfd_base = n;
		s->pfd[n].fd = t->lfd;
		s->pfd[n].events = POLLIN;
		s->pfd[n++].revents = 0;
		for (uint32_t c = 0; c < t->cap; c++) {
			const struct ctl_client *cl = &t->cl[c];
			bool readable = cl->fd >= 0 && t->tokens >= 1 && cl->len < sizeof(cl->buf);

			/* not polled: -1 keeps the slot (ppoll ignores it) */
			s->pfd[n].fd = readable ? cl->fd : -1;
			s->pfd[n].events = POLLIN;
			s->pfd[n++].revents = 0;
			if (ready(s, t, cl))
				pending = true;
		}
		if (t->tokens < 1 && t->n_clients > 0 && now + refill_wait_ns(t) < wake)
			wake = now + refill_wait_ns(t);
	}
	if (pending || wake <= now) {
		rc = poll(s->pfd, n, 0);
	} else {
		uint64_t d = wake - now;
		struct timespec ts = { .tv_sec = (time_t)(d / NS_PER_S),
				       .tv_nsec = (long)(d % NS_PER_S) };

		/* a signal ends the wait early; the caller waits again for what
		 * is left of the same deadline */
		rc = ppoll(s->pfd, n, &ts, NULL);
	}
	if (rc < 0)
		return false;
	now = sl_mono_ns();
	/* tenants in turn, starting one further each call */
	bool more = false;
	for (uint16_t k = 0; k < s->n; k++) {
		uint16_t i = (uint16_t)((s->rr + k) % s->n);
		struct ctl_tenant *t = &s->t[i];

		if (t->lfd >= 0)
			more |= serve_tenant(app, s, i, t, &s->pfd[t->pfd_base], now);
	}
	s->rr = (uint16_t)((s->rr + 1) % s->n);
	if (s->batch.n > 0 && !s->batch.in_flight)
		send_batch(app, s);
	/* reloads last: they may open and close sockets */
	for (uint16_t i = 0; i < s->n; i++) {
		struct ctl_tenant *t = &s->t[i];
		struct ctl_client *c;

		if (!t->reload_pending)
			continue;
		t->reload_pending = false;
		c = &t->cl[t->reload_client];
		bool here = c->fd >= 0 && c->gen == t->reload_gen;
		reload_rules(app, i, t, here ? c->fd : -1);
		if (here) {
			c->waiting = false;
			more |= has_line(c);
		}
	}
	return more;
}

json_t *
sl_bypass_json(struct sl_app *app, uint16_t t)
{
	struct sl_bypass_srv *s = app->bypass;
	const struct ctl_tenant *ct;

	if (s == NULL || t >= s->n || s->t[t].lfd < 0)
		return NULL;
	ct = &s->t[t];
	return json_pack("{s:s,s:I,s:I,s:I,s:i,s:i,s:I,s:I,s:I,s:I,s:I,s:I}", "socket", ct->path,
			 "requests", (json_int_t)ct->requests, "errors", (json_int_t)ct->errors,
			 "found", (json_int_t)ct->found, "clients", (int)ct->n_clients,
			 "max_clients", (int)ct->max_clients,
			 "refused_clients", (json_int_t)ct->refused_clients,
			 "idle_closed", (json_int_t)ct->idle_closed,
			 "rate_limited", (json_int_t)ct->rate_limited,
			 "lines_too_long", (json_int_t)ct->too_long,
			 "rule_reloads", (json_int_t)ct->rule_reloads,
			 "rule_reloads_failed", (json_int_t)ct->rule_reloads_failed);
}
