/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The admin socket: a Unix stream socket (config `admin: {socket, mode}`,
 * mode 0600 by default: root only), JSON lines, for the operator and
 * tools/sl-admin:
 *
 *   -> {"cmd":"reload"}   <- {"ok":true,"generation":4}
 *                         <- {"ok":false,"error":"sluice.yaml:12:9: ..."}
 *   -> {"cmd":"status"}   <- {"ok":true,"generation":4,"reloads":{...},...}
 *   -> {"cmd":"ping"}     <- {"ok":true}
 *
 * Served by the control loop without waiting: each call accepts what is
 * pending and handles at most one line per client; a client that sends more
 * than SL_ADMIN_LINE_MAX bytes without a newline is answered with an error
 * and disconnected, and one idle for SL_ADMIN_IDLE_S seconds is closed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <rte_log.h>
#include <rte_malloc.h>

#include "app.h"
#include "datapath.h"
#include "ops.h"

#define SL_ADMIN_CLIENTS 4
#define SL_ADMIN_LINE_MAX 4096
#define SL_ADMIN_IDLE_S 60

struct admin_client {
	int fd;
	size_t len;
	time_t last;
	char buf[SL_ADMIN_LINE_MAX];
};

struct sl_admin {
	int lfd;
	char path[SL_PATH_MAX];
	struct admin_client cl[SL_ADMIN_CLIENTS];
	uint64_t requests, errors;
};

int
sl_admin_init(struct sl_app *app, struct sl_cfg_error *err)
{
	const struct sl_cfg_control *cc = &app->cfg->admin;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct sl_admin *a;
	struct stat st;
	mode_t old;
	int rc;

	if (cc->socket[0] == '\0')
		return 0;
	/* the loader keeps the path within sun_path; checked again here so
	 * the copy below cannot cut it (and the compiler can see so) */
	size_t len = strnlen(cc->socket, sizeof(sa.sun_path));

	if (len >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	a = calloc(1, sizeof(*a));
	if (a == NULL)
		return -ENOMEM;
	app->admin = a;
	for (int c = 0; c < SL_ADMIN_CLIENTS; c++)
		a->cl[c].fd = -1;
	snprintf(a->path, sizeof(a->path), "%s", cc->socket);
	memcpy(sa.sun_path, cc->socket, len + 1);
	a->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (a->lfd < 0)
		goto sys;
	if (lstat(cc->socket, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(cc->socket); /* left by a run that died */
	/* created with no permission for anyone else, then given its mode:
	 * never reachable by others in between */
	old = umask(0177);
	rc = bind(a->lfd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc != 0 ||
	    ((cc->uid >= 0 || cc->gid >= 0) &&
	     chown(cc->socket, cc->uid >= 0 ? (uid_t)cc->uid : (uid_t)-1,
		   cc->gid >= 0 ? (gid_t)cc->gid : (gid_t)-1) != 0) ||
	    chmod(cc->socket, cc->mode) != 0 || listen(a->lfd, 4) != 0)
		goto sys;
	return 0;
sys:
	sl_config_error(app->cfg, err, app->cfg->section_loc[SL_SECT_ADMIN], "admin.socket",
			"cannot listen on '%s': %s", cc->socket, strerror(errno));
	if (a->lfd >= 0)
		close(a->lfd);
	a->lfd = -1;
	return -errno;
}

void
sl_admin_free(struct sl_app *app)
{
	struct sl_admin *a = app->admin;

	if (a == NULL)
		return;
	for (int c = 0; c < SL_ADMIN_CLIENTS; c++)
		if (a->cl[c].fd >= 0)
			close(a->cl[c].fd);
	if (a->lfd >= 0) {
		close(a->lfd);
		unlink(a->path);
	}
	free(a);
	app->admin = NULL;
}

static json_t *
status(struct sl_app *app)
{
	json_t *o = json_object();
	json_t *tenants = json_array();
	const struct sl_cfg *cfg = app->tbl->cfg;

	json_object_set_new(o, "ok", json_true());
	json_object_set_new(o, "config", json_string(app->cfg->path));
	json_object_set_new(o, "reloads", sl_reload_json(app));
	json_object_set_new(o, "uptime",
			    json_real((double)(rte_rdtsc() - app->start_tsc) / (double)app->tsc_hz));
	json_object_set_new(o, "balanced", json_boolean(app->agg.ledger.balanced));
	json_object_set_new(o, "received", json_integer((json_int_t)app->agg.ledger.received));
	for (uint16_t t = 0; t < cfg->n_tenants; t++)
		json_array_append_new(tenants, json_pack("{s:s,s:i,s:i}", "name",
							 cfg->tenants[t].name, "id",
							 cfg->tenants[t].id, "rules",
							 cfg->tenants[t].n_rules));
	json_object_set_new(o, "tenants", tenants);
	json_object_set_new(o, "tenant_slots", json_pack("{s:i,s:i}", "used",
							 app->n_tenant_slots, "capacity",
							 app->tenant_cap));
	json_object_set_new(o, "member_slots", json_pack("{s:i,s:i}", "used",
							 app->n_member_slots, "capacity",
							 app->member_cap));
	/* DPDK heap in use (tables, rule sets): what a leak check watches;
	 * tables a reload retired and no worker sees any more are freed first */
	struct rte_malloc_socket_stats ms;
	uint64_t heap = 0;
	sl_reload_poll(app);
	for (int s = 0; s < RTE_MAX_NUMA_NODES; s++)
		if (rte_malloc_get_socket_stats(s, &ms) == 0)
			heap += ms.heap_allocsz_bytes;
	json_object_set_new(o, "heap_allocated", json_integer((json_int_t)heap));
	json_object_set_new(o, "retired_tables", json_integer(sl_reload_retired(app)));
	return o;
}

static json_t *
handle(struct sl_app *app, const char *line)
{
	struct sl_admin *a = app->admin;
	json_error_t jerr;
	json_t *req = json_loads(line, JSON_REJECT_DUPLICATES, &jerr), *rep;
	const char *cmd = json_string_value(json_object_get(req, "cmd"));

	a->requests++;
	if (req == NULL || !json_is_object(req) || cmd == NULL) {
		rep = json_pack("{s:b,s:s}", "ok", 0, "error",
				"request must be a JSON object with \"cmd\"");
	} else if (strcmp(cmd, "reload") == 0) {
		struct sl_cfg_error err;

		RTE_LOG(NOTICE, USER1, "sluice: reload asked on the admin socket\n");
		if (sl_reload(app, &err) == 0)
			rep = json_pack("{s:b,s:i}", "ok", 1, "generation", app->tbl->generation);
		else
			rep = json_pack("{s:b,s:s}", "ok", 0, "error", err.msg);
	} else if (strcmp(cmd, "status") == 0) {
		rep = status(app);
	} else if (strcmp(cmd, "ping") == 0) {
		rep = json_pack("{s:b}", "ok", 1);
	} else {
		rep = json_pack("{s:b,s:s}", "ok", 0, "error", "cmd must be reload, status or ping");
	}
	if (!json_is_true(json_object_get(rep, "ok")))
		a->errors++;
	json_decref(req);
	return rep;
}

static void
drop_client(struct admin_client *c)
{
	close(c->fd);
	c->fd = -1;
	c->len = 0;
}

static void
reply(struct admin_client *c, json_t *rep)
{
	char *s = json_dumps(rep, JSON_COMPACT);

	json_decref(rep);
	if (s == NULL)
		return;
	size_t n = strlen(s);
	s[n] = '\n'; /* replaces the NUL: write n + 1 bytes */
	if (send(c->fd, s, n + 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		drop_client(c); /* a client that does not read its answers goes */
	free(s);
}

/* One line at most per client and call. */
static void
serve(struct sl_app *app, struct admin_client *c, time_t now)
{
	ssize_t r = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, MSG_DONTWAIT);
	char *nl;

	if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
		drop_client(c);
		return;
	}
	if (r > 0) {
		c->len += (size_t)r;
		c->last = now;
	}
	if ((nl = memchr(c->buf, '\n', c->len)) != NULL) {
		size_t used = (size_t)(nl - c->buf) + 1;

		*nl = '\0';
		if (nl != c->buf) {
			json_t *rep;

			if (sl_capture_line(app, -1, c->fd, c->buf, (size_t)(nl - c->buf), &rep)) {
				c->fd = -1; /* the capture has the connection now */
				c->len = 0;
				return;
			}
			reply(c, rep != NULL ? rep : handle(app, c->buf));
		}
		if (c->fd < 0)
			return;
		memmove(c->buf, nl + 1, c->len - used);
		c->len -= used;
	} else if (c->len == sizeof(c->buf)) {
		app->admin->errors++;
		reply(c, json_pack("{s:b,s:s}", "ok", 0, "error", "line too long"));
		if (c->fd >= 0)
			drop_client(c);
	} else if (now - c->last > SL_ADMIN_IDLE_S) {
		drop_client(c);
	}
}

void
sl_admin_poll(struct sl_app *app)
{
	struct sl_admin *a = app->admin;
	time_t now = time(NULL);
	int fd;

	if (a == NULL || a->lfd < 0)
		return;
	while ((fd = accept4(a->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		int c;

		for (c = 0; c < SL_ADMIN_CLIENTS && a->cl[c].fd >= 0; c++)
			;
		if (c == SL_ADMIN_CLIENTS) {
			a->errors++;
			close(fd); /* too many admin clients */
			continue;
		}
		a->cl[c].fd = fd;
		a->cl[c].len = 0;
		a->cl[c].last = now;
	}
	for (int c = 0; c < SL_ADMIN_CLIENTS; c++)
		if (a->cl[c].fd >= 0)
			serve(app, &a->cl[c], now);
}
