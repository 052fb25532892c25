/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The tenants' control sockets: each tenant with control.socket gets a Unix
 * stream socket, with its owner, group and mode set before anyone can
 * connect (bypass.c serves what comes in on them).
 *
 * Tenants are slots (slots.c): a reload opens the sockets of new tenants
 * and changed paths before the new tables are published (prepare), then
 * closes the old ones and applies the other control settings (commit), or
 * closes what it opened (abort).
 */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctlsock.h"
#include "ops.h"

/*
 * Listen on cc->socket with its owner, group and mode set before anyone can
 * connect: bind inside a fresh directory only sluice can enter, set them,
 * listen, then rename the socket to its path.
 */
static int
listen_socket(const struct sl_cfg_control *cc, int *out, char *why, size_t whylen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char dir[SL_PATH_MAX], priv[SL_PATH_MAX];
	struct stat st;
	int fd = -1, rc;

	snprintf(dir, sizeof(dir), "%s", cc->socket);
	snprintf(priv, sizeof(priv), "%s/.sluice-XXXXXX", dirname(dir));
	if (lstat(cc->socket, &st) == 0 && !S_ISSOCK(st.st_mode)) {
		snprintf(why, whylen, "it exists and is not a socket");
		return -EEXIST;
	}
	if (mkdtemp(priv) == NULL) {
		rc = -errno;
		snprintf(why, whylen, "cannot make a directory next to it: %s", strerror(errno));
		return rc;
	}
	if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/s", priv) >= sizeof(sa.sun_path)) {
		rmdir(priv);
		snprintf(why, whylen, "its private bind path '%.150s/s' is too long for a socket: "
			 "use a shorter path", priv);
		return -ENAMETOOLONG;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		goto sys;
	if ((cc->uid >= 0 || cc->gid >= 0) &&
	    chown(sa.sun_path, cc->uid >= 0 ? (uid_t)cc->uid : (uid_t)-1,
		  cc->gid >= 0 ? (gid_t)cc->gid : (gid_t)-1) != 0) {
		rc = -errno;
		snprintf(why, whylen, "cannot give it owner %lld, group %lld: %s",
			 (long long)cc->uid, (long long)cc->gid, strerror(errno));
		goto fail;
	}
	if (chmod(sa.sun_path, cc->mode) != 0 || listen(fd, SL_CTL_BACKLOG) != 0 ||
	    rename(sa.sun_path, cc->socket) != 0)
		goto sys;
	rmdir(priv);
	*out = fd;
	return 0;
sys:
	rc = -errno;
	snprintf(why, whylen, "%s", strerror(errno));
fail:
	if (fd >= 0)
		close(fd);
	unlink(sa.sun_path);
	rmdir(priv);
	return rc;
}

/* Close a tenant's clients and listening socket (its cl[] stays). */
static void
close_tenant(struct ctl_tenant *t)
{
	for (uint32_t c = 0; t->cl != NULL && c < t->cap; c++)
		if (t->cl[c].fd >= 0) {
			close(t->cl[c].fd);
			t->cl[c].fd = -1;
			t->cl[c].len = 0;
			t->cl[c].waiting = false; /* an answer still to come is dropped (gen) */
		}
	t->n_clients = 0;
	if (t->lfd >= 0) {
		close(t->lfd);
		unlink(t->path);
		t->lfd = -1;
	}
	t->path[0] = '\0';
}

static bool
same_socket_settings(const struct sl_cfg_control *a, const struct sl_cfg_control *b)
{
	return a->mode == b->mode && a->uid == b->uid && a->gid == b->gid;
}

int
sl_bypass_prepare(struct sl_app *app, const struct sl_tables *tb, struct sl_cfg_error *err)
{
	struct sl_bypass_srv *s = app->bypass;
	size_t need = 1;

	for (uint16_t i = 0; i < tb->cfg->n_tenants; i++) {
		const struct sl_cfg_tenant *ct = &tb->cfg->tenants[i];
		const struct sl_cfg_control *cc = &ct->control;
		struct ctl_tenant *t = &s->t[tb->slot_of[i]];
		bool keep = t->lfd >= 0 && strcmp(cc->socket, t->path) == 0;
		uint32_t cap = RTE_MAX(t->cap, cc->max_clients);
		char why[256];
		int rc;

		t->staged_cc = *cc;
		t->staged_has_cc = true;
		if (cc->socket[0] == '\0') {
			t->staged_set = t->lfd >= 0;
			continue;
		}
		need += 1 + cap;
		if (cap > t->cap) {
			t->staged_cl = calloc(cap, sizeof(*t->staged_cl));
			if (t->staged_cl == NULL)
				goto nomem;
			t->staged_cap = cap;
		}
		if (keep)
			continue;
		t->staged_set = true;
		rc = listen_socket(cc, &t->staged_lfd, why, sizeof(why));
		if (rc != 0) {
			sl_config_error(tb->cfg, err, ct->loc, "control.socket",
					"tenant '%s': cannot listen on '%s': %s", ct->name,
					cc->socket, why);
			sl_bypass_abort(app, tb);
			return rc;
		}
		snprintf(t->staged_path, sizeof(t->staged_path), "%s", cc->socket);
	}
	/* room to poll every socket of the new tables (rebuilt each poll) */
	if (need > s->pfd_cap) {
		struct pollfd *p = realloc(s->pfd, need * sizeof(*p));

		if (p == NULL)
			goto nomem;
		s->pfd = p;
		s->pfd_cap = (uint32_t)need;
	}
	return 0;
nomem:
	snprintf(err->msg, sizeof(err->msg), "%s: out of memory", tb->cfg->path);
	sl_bypass_abort(app, tb);
	return -ENOMEM;
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
		free(t->staged_cl);
		t->staged_cl = NULL;
		t->staged_cap = 0;
		t->staged_lfd = -1;
		t->staged_set = false;
		t->staged_has_cc = false;
		t->staged_path[0] = '\0';
	}
}

void
sl_bypass_commit(struct sl_app *app, const struct sl_tables *tb)
{
	struct sl_bypass_srv *s = app->bypass;
	uint64_t now = sl_mono_ns();

	(void)tb; /* prepare staged what tb needs: staged_has_cc marks its tenants */
	s->n_listening = 0;
	for (uint16_t i = 0; i < s->n; i++) {
		struct ctl_tenant *t = &s->t[i];
		const struct sl_cfg_control *cc = &t->staged_cc;
		bool fresh = false;

		if (t->staged_cl != NULL) {
			for (uint32_t c = 0; c < t->staged_cap; c++)
				t->staged_cl[c].fd = -1;
			if (t->cl != NULL)
				memcpy(t->staged_cl, t->cl, t->cap * sizeof(*t->cl));
			free(t->cl);
			t->cl = t->staged_cl;
			t->cap = t->staged_cap;
		}
		if (t->staged_set || (t->lfd >= 0 && !t->staged_has_cc)) {
			/* a new socket, none, or a removed tenant: the old one
			 * and its clients go */
			close_tenant(t);
			t->lfd = t->staged_lfd;
			snprintf(t->path, sizeof(t->path), "%s", t->staged_path);
			fresh = t->lfd >= 0;
		} else if (t->lfd >= 0 && !same_socket_settings(&t->ctl, cc)) {
			/* the same socket: its owner, group or mode may change */
			if (((cc->uid >= 0 || cc->gid >= 0) &&
			     chown(t->path, cc->uid >= 0 ? (uid_t)cc->uid : (uid_t)-1,
				   cc->gid >= 0 ? (gid_t)cc->gid : (gid_t)-1) != 0) ||
			    chmod(t->path, cc->mode) != 0)
				CLOG(WARNING, "tenant '%s': control socket '%s': cannot apply owner, "
				     "group or mode: %s\n", app->tenant_names[i], t->path,
				     strerror(errno));
		}
		if (t->staged_has_cc) {
			t->ctl = *cc;
			t->max_clients = cc->max_clients;
			t->idle_ns = (uint64_t)cc->idle_timeout_ms * 1000000;
			t->rate = cc->rate;
			if (fresh || t->tokens > t->rate) {
				t->tokens = t->rate;
				t->refill_ns = now;
			}
		}
		t->staged_cl = NULL;
		t->staged_cap = 0;
		t->staged_lfd = -1;
		t->staged_set = false;
		t->staged_has_cc = false;
		t->staged_path[0] = '\0';
		s->n_listening += t->lfd >= 0;
	}
}

int
sl_bypass_init(struct sl_app *app, struct sl_cfg_error *err)
{
	struct sl_bypass_srv *s = calloc(1, sizeof(*s));
	int rc;

	if (s == NULL)
		goto nomem;
	app->bypass = s;
	s->n = app->tenant_cap;
	s->t = calloc(s->n, sizeof(*s->t));
	s->wreq = calloc((size_t)app->n_workers * SL_CTL_BATCH, sizeof(*s->wreq));
	if (s->t == NULL || s->wreq == NULL)
		goto nomem;
	for (uint16_t i = 0; i < s->n; i++) {
		s->t[i].lfd = -1;
		s->t[i].staged_lfd = -1;
	}
	if ((rc = sl_bypass_prepare(app, app->tbl, err)) != 0)
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
	for (uint16_t i = 0; s->t != NULL && i < s->n; i++) {
		close_tenant(&s->t[i]);
		free(s->t[i].cl);
	}
	free(s->t);
	free(s->pfd);
	free(s->wreq);
	free(s);
	app->bypass = NULL;
}
