/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet capture, two ways.
 *
 * 1. DPDK's packet-dump server (rte_pdump), so that Debian's dpdk-dumpcap,
 *    run as a secondary process with sluice's --file-prefix, captures what
 *    any input receives or any output sends. A secondary process needs
 *    sluice's shared configuration: with --in-memory there is none,
 *    rte_pdump_init() fails with ENOTSUP and that capture is off (said once).
 *
 * 2. Tenant captures: a tenant, on its own control socket, or the operator,
 *    on the admin socket, asks for a bounded pcap of one tenant's packets:
 *
 *      -> {"cmd":"capture","what":"dropped","reason":"member_down",
 *          "sample":10,"packets":1000,"bytes":10000000,"seconds":30,
 *          "snaplen":256}                        (admin: also "tenant")
 *      <- {"ok":true,"capture":{...the settings in force...}}\n
 *      <- pcap (nanosecond, Ethernet) until a limit is reached, then EOF
 *
 *    "what": all (every packet of the tenant, as received), dropped,
 *    filtered, bypassed, or a list of them; "reason" narrows dropped or
 *    filtered to one drop or filter reason. At most one capture per tenant
 *    runs at a time. The tenant is fixed by the socket it was asked on: a
 *    tenant only ever gets its own packets.
 *
 *    Workers (capture.h) copy a matching packet into a bounded pool and put
 *    the copy on their capture ring (single producer, single consumer); a
 *    copy that does not fit is counted lost. The control thread drains the
 *    rings each control-loop slice (bounded), writes pcap records into the
 *    session's buffer (bounded: a client that does not read loses packets,
 *    counted) and sends what the socket takes, never waiting.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <jansson.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_mbuf.h>
#include <rte_pdump.h>
#include <rte_ring.h>

#include "capture.h"
#include "datapath.h"
#include "ops.h"

RTE_LOG_REGISTER(sl_capture_logtype, user.sluice.capture, INFO);
#define CLOG(level, fmt, ...)                                                                  \
	rte_log(RTE_LOG_##level, sl_capture_logtype, "sluice: capture: " fmt, ##__VA_ARGS__)

/* Copies waiting for the control thread, all workers together. */
#define SL_CAP_MBUFS 8191
/* Copies per worker ring. */
#define SL_CAP_RING 1024
/* Copies the control thread takes per call (per control-loop slice). */
#define SL_CAP_BUDGET 4096
/* pcap bytes a session buffers for a client that reads slowly. */
#define SL_CAP_BUF_MAX (4u << 20)
/* How long an ended session may take to hand its last bytes over. */
#define SL_CAP_LINGER_S 10

/* Limits a request may ask for, and their defaults. */
#define SL_CAP_PACKETS_DEF 10000
#define SL_CAP_PACKETS_MAX 10000000
#define SL_CAP_BYTES_DEF (100ull << 20)
#define SL_CAP_BYTES_MIN 64
#define SL_CAP_BYTES_MAX (1ull << 30)
#define SL_CAP_SECONDS_DEF 60.0
#define SL_CAP_SECONDS_MAX 3600.0
#define SL_CAP_SAMPLE_MAX 1000000
#define SL_CAP_SNAPLEN_MIN 64
#define SL_CAP_SNAPLEN_MAX 65535

#define SL_CAP_ANY_REASON UINT16_MAX

static const char *const kind_names[SL_CAP_KINDS] = {
	[SL_CAP_ALL] = "all", [SL_CAP_DROPPED] = "dropped", [SL_CAP_FILTERED] = "filtered",
	[SL_CAP_BYPASSED] = "bypassed",
};

/* In the private area of each copy. */
struct cap_meta {
	uint64_t tsc;
	uint32_t orig_len;
	uint32_t gen;
	uint16_t tenant;
	uint8_t kind;
	uint8_t pad[5];
};

/* What the workers read for a tenant being captured: written by the control
 * thread before it sets the tenant's cap_on byte (release). */
struct cap_filter {
	uint32_t gen;       /* session number: copies of an older one are discarded */
	uint32_t sample;    /* 1 in sample */
	uint32_t snaplen;
	uint16_t reason;    /* for dropped/filtered, or SL_CAP_ANY_REASON */
};

/* One worker's side: written by that worker only. */
struct cap_worker {
	struct rte_ring *ring;
	uint32_t *seen;     /* by tenant slot: matching packets (sampling) */
	uint32_t *seen_gen; /* by tenant slot: the session seen counts */
	uint64_t *lost;     /* by tenant slot: copies that did not fit */
} __rte_cache_aligned;

/* A running capture (control thread only). */
struct cap_session {
	int fd;             /* -1: none */
	bool ending;
	const char *why;    /* what ended it */
	char who[8];        /* "tenant" or "admin" */
	uint8_t mask;
	uint32_t gen;
	uint64_t max_packets, max_bytes;
	uint64_t deadline, linger_until;
	uint64_t packets, bytes, lost_slow, lost_base;
	char *out;
	size_t out_off, out_len, out_cap;
};

/* Per tenant slot, over the run. */
struct cap_totals {
	uint64_t sessions, packets, lost;
};

struct sl_capture {
	struct rte_mempool *pool;
	struct cap_worker w[SL_MAX_WORKERS];
	struct cap_filter *filt;     /* tenant_cap */
	struct cap_session *sess;    /* tenant_cap */
	struct cap_totals *tot;      /* tenant_cap */
	uint32_t next_gen;
	unsigned int active;
	uint8_t *rec;                /* one record's data, SL_CAP_SNAPLEN_MAX */
};

static bool pdump_on;

/* ---- dpdk-dumpcap ---- */

void
sl_pdump_init(void)
{
	if (rte_pdump_init() == 0) {
		pdump_on = true;
		return;
	}
	if (rte_errno == ENOTSUP)
		CLOG(INFO, "dpdk-dumpcap cannot attach: no shared configuration (--in-memory)\n");
	else
		CLOG(WARNING, "dpdk-dumpcap cannot attach: %s\n", rte_strerror(rte_errno));
}

void
sl_pdump_free(void)
{
	if (pdump_on)
		rte_pdump_uninit();
	pdump_on = false;
}

/* ---- the workers' side ---- */

void
sl_cap_copy(struct sl_app *app, uint16_t worker, const struct rte_mbuf *m, uint16_t tenant,
	    enum sl_cap_kind kind, uint16_t reason)
{
	struct sl_capture *cap = app->cap;
	struct cap_worker *cw = &cap->w[worker];
	const struct cap_filter *f = &cap->filt[tenant];
	struct rte_mbuf *c;
	struct cap_meta *cm;

	/* pairs with the release in start(): the filter is complete */
	if ((__atomic_load_n(&app->cap_on[tenant], __ATOMIC_ACQUIRE) & (1u << kind)) == 0)
		return;
	if (kind != SL_CAP_ALL && kind != SL_CAP_BYPASSED && f->reason != SL_CAP_ANY_REASON &&
	    f->reason != reason)
		return;
	if (cw->seen_gen[tenant] != f->gen) {
		cw->seen_gen[tenant] = f->gen;
		cw->seen[tenant] = 0;
	}
	if (cw->seen[tenant]++ % f->sample != 0)
		return;
	c = rte_pktmbuf_copy(m, cap->pool, 0, f->snaplen);
	if (c == NULL) {
		cw->lost[tenant]++;
		return;
	}
	cm = rte_mbuf_to_priv(c);
	cm->tsc = rte_rdtsc();
	cm->orig_len = rte_pktmbuf_pkt_len(m);
	cm->gen = f->gen;
	cm->tenant = tenant;
	cm->kind = (uint8_t)kind;
	if (rte_ring_sp_enqueue(cw->ring, c) != 0) {
		rte_pktmbuf_free(c);
		cw->lost[tenant]++;
	}
}

/* ---- set-up ---- */

int
sl_capture_init(struct sl_app *app)
{
	struct sl_capture *cap = calloc(1, sizeof(*cap));
	char name[RTE_RING_NAMESIZE];
	uint16_t n = app->tenant_cap;

	if (cap == NULL)
		return -ENOMEM;
	app->cap = cap;
	cap->filt = calloc(n, sizeof(*cap->filt));
	cap->sess = calloc(n, sizeof(*cap->sess));
	cap->tot = calloc(n, sizeof(*cap->tot));
	cap->rec = malloc(SL_CAP_SNAPLEN_MAX);
	app->cap_on = calloc(n, 1);
	if (cap->filt == NULL || cap->sess == NULL || cap->tot == NULL || cap->rec == NULL ||
	    app->cap_on == NULL)
		return -ENOMEM;
	for (uint16_t t = 0; t < n; t++)
		cap->sess[t].fd = -1;
	cap->pool = rte_pktmbuf_pool_create("sl_cap_pool", SL_CAP_MBUFS, 0,
					    RTE_ALIGN(sizeof(struct cap_meta), RTE_MBUF_PRIV_ALIGN),
					    RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
	if (cap->pool == NULL)
		return -rte_errno;
	for (uint16_t w = 0; w < app->n_workers; w++) {
		struct cap_worker *cw = &cap->w[w];

		snprintf(name, sizeof(name), "sl_cap_%u", w);
		cw->ring = rte_ring_create(name, SL_CAP_RING, rte_socket_id(),
					   RING_F_SP_ENQ | RING_F_SC_DEQ);
		cw->seen = calloc(n, sizeof(uint32_t));
		cw->seen_gen = calloc(n, sizeof(uint32_t));
		cw->lost = calloc(n, sizeof(uint64_t));
		if (cw->ring == NULL || cw->seen == NULL || cw->seen_gen == NULL || cw->lost == NULL)
			return -ENOMEM;
	}
	return 0;
}

/* ---- sessions ---- */

static uint64_t
worker_lost(const struct sl_app *app, uint16_t t)
{
	uint64_t n = 0;

	for (uint16_t w = 0; w < app->n_workers; w++)
		n += __atomic_load_n(&app->cap->w[w].lost[t], __ATOMIC_RELAXED);
	return n;
}

/* What the workers test, set by the control thread only: tenant @p t's
 * kinds (after its filter, release), then the count of tenants being
 * captured. A worker that sees the count before the byte tests the byte
 * too (capture.h); one that sees a stale count of 0 misses at most the
 * packets of the moment the capture starts. */
static void
set_on(struct sl_app *app, uint16_t t, uint8_t mask)
{
	uint8_t was = app->cap_on[t];

	__atomic_store_n(&app->cap_on[t], mask, __ATOMIC_RELEASE);
	if ((was != 0) != (mask != 0))
		__atomic_store_n(&app->cap_live, mask != 0 ? app->cap_live + 1 : app->cap_live - 1,
				 __ATOMIC_RELEASE);
}

/* Stop taking packets; what is buffered is still handed over. */
static void
end(struct sl_app *app, uint16_t t, const char *why)
{
	struct cap_session *s = &app->cap->sess[t];

	if (s->ending)
		return;
	set_on(app, t, 0);
	s->ending = true;
	s->why = why;
	s->linger_until = rte_rdtsc() + app->tsc_hz * SL_CAP_LINGER_S;
}

static void
close_session(struct sl_app *app, uint16_t t, const char *why)
{
	struct sl_capture *cap = app->cap;
	struct cap_session *s = &cap->sess[t];
	uint64_t lost = worker_lost(app, t) - s->lost_base + s->lost_slow;

	set_on(app, t, 0);
	if (s->why == NULL)
		s->why = why != NULL ? why : "stopped";
	CLOG(INFO, "tenant '%s' (asked on the %s socket) ended: %s; %" PRIu64 " packets, %" PRIu64
	     " bytes, %" PRIu64 " lost\n", app->tenant_names[t], s->who, s->why, s->packets,
	     s->bytes, lost);
	cap->tot[t].packets += s->packets;
	cap->tot[t].lost += lost;
	shutdown(s->fd, SHUT_RDWR);
	close(s->fd);
	free(s->out);
	memset(s, 0, sizeof(*s));
	s->fd = -1;
	cap->active--;
}

static bool
out_append(struct cap_session *s, const void *p, size_t n)
{
	if (s->out_len + n > s->out_cap) {
		size_t cap = RTE_MAX(s->out_cap * 2, s->out_len + n);
		char *q;

		if (s->out_off > 0) { /* reclaim what was sent first */
			memmove(s->out, s->out + s->out_off, s->out_len - s->out_off);
			s->out_len -= s->out_off;
			s->out_off = 0;
			if (s->out_len + n <= s->out_cap)
				goto copy;
		}
		q = realloc(s->out, cap);
		if (q == NULL)
			return false;
		s->out = q;
		s->out_cap = cap;
	}
copy:
	memcpy(s->out + s->out_len, p, n);
	s->out_len += n;
	return true;
}

/* Send what the socket takes. false: the client is gone. */
static bool
flush(struct cap_session *s)
{
	while (s->out_off < s->out_len) {
		ssize_t n = send(s->fd, s->out + s->out_off, s->out_len - s->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
		s->out_off += (size_t)n;
	}
	s->out_off = s->out_len = 0;
	return true;
}

/* The client closed its end (it sends nothing once the capture runs). */
static bool
client_left(const struct cap_session *s)
{
	char b;
	ssize_t n = recv(s->fd, &b, 1, MSG_DONTWAIT | MSG_PEEK);

	return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

static void
write_record(struct sl_app *app, uint16_t t, struct rte_mbuf *c, const struct cap_meta *cm)
{
	struct cap_session *s = &app->cap->sess[t];
	uint32_t incl = rte_pktmbuf_pkt_len(c);
	uint64_t ns = sl_unix_ns(app, cm->tsc);
	uint32_t hdr[4] = { (uint32_t)(ns / 1000000000ull), (uint32_t)(ns % 1000000000ull), incl,
			    cm->orig_len };
	const void *data;

	if (s->bytes + sizeof(hdr) + incl > s->max_bytes) {
		end(app, t, "bytes limit");
		return;
	}
	if (s->out_len - s->out_off + sizeof(hdr) + incl > SL_CAP_BUF_MAX) {
		s->lost_slow++; /* the client does not keep up */
		return;
	}
	data = rte_pktmbuf_read(c, 0, incl, app->cap->rec);
	if (data == NULL || !out_append(s, hdr, sizeof(hdr)) || !out_append(s, data, incl)) {
		s->lost_slow++;
		return;
	}
	s->packets++;
	s->bytes += sizeof(hdr) + incl;
	if (s->packets >= s->max_packets)
		end(app, t, "packets limit");
}

void
sl_capture_poll(struct sl_app *app)
{
	struct sl_capture *cap = app->cap;
	struct rte_mbuf *objs[64];
	unsigned int budget = SL_CAP_BUDGET;
	uint64_t now = rte_rdtsc();

	if (cap == NULL)
		return;
	for (uint16_t w = 0; w < app->n_workers && budget > 0; w++) {
		unsigned int n;

		do {
			n = rte_ring_sc_dequeue_burst(cap->w[w].ring, (void **)objs,
						      RTE_MIN(RTE_DIM(objs), budget), NULL);
			budget -= n;
			for (unsigned int i = 0; i < n; i++) {
				const struct cap_meta *cm = rte_mbuf_to_priv(objs[i]);
				const struct cap_session *s = &cap->sess[cm->tenant];

				/* copies of an ended or older session are dropped */
				if (s->fd >= 0 && !s->ending && s->gen == cm->gen)
					write_record(app, cm->tenant, objs[i], cm);
				rte_pktmbuf_free(objs[i]);
			}
		} while (n > 0 && budget > 0);
	}
	if (cap->active == 0)
		return;
	for (uint16_t t = 0; t < app->tenant_cap; t++) {
		struct cap_session *s = &cap->sess[t];

		if (s->fd < 0)
			continue;
		if (!s->ending && now >= s->deadline)
			end(app, t, "seconds limit");
		if (!s->ending && sl_tenant_of(app->tbl, t) == NULL)
			end(app, t, "the tenant was removed by a reload");
		if (!flush(s) || client_left(s))
			close_session(app, t, "the client went away");
		else if (s->ending && s->out_len == 0)
			close_session(app, t, NULL);
		else if (s->ending && now >= s->linger_until)
			close_session(app, t, "the client did not read the rest");
	}
}

/* ---- requests ---- */

static json_t *
cap_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static json_t *
cap_error(const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return json_pack("{s:b,s:s}", "ok", 0, "error", msg);
}

/* An integer field @p key in lo..hi, @p def when absent. */
static const char *
get_uint(json_t *req, const char *key, uint64_t lo, uint64_t hi, uint64_t def, uint64_t *out)
{
	static char msg[96];
	json_t *v = json_object_get(req, key);

	if (v == NULL) {
		*out = def;
		return NULL;
	}
	if (!json_is_integer(v) || json_integer_value(v) < (json_int_t)lo ||
	    (uint64_t)json_integer_value(v) > hi) {
		snprintf(msg, sizeof(msg), "%s must be an integer %" PRIu64 "..%" PRIu64, key, lo,
			 hi);
		return msg;
	}
	*out = (uint64_t)json_integer_value(v);
	return NULL;
}

/* The tenant an admin request names (id or name): a slot or -1. */
static int
admin_tenant(struct sl_app *app, json_t *v)
{
	const struct sl_cfg *cfg = app->tbl->cfg;

	for (uint16_t i = 0; i < cfg->n_tenants; i++)
		if ((json_is_integer(v) && json_integer_value(v) == cfg->tenants[i].id) ||
		    (json_is_string(v) && strcmp(json_string_value(v), cfg->tenants[i].name) == 0))
			return app->tbl->slot_of[i];
	return -1;
}

/* A drop or filter reason by name, for @p kind. */
static int
reason_of(const struct sl_app *app, enum sl_cap_kind kind, const char *name)
{
	if (kind == SL_CAP_DROPPED) {
		for (unsigned int d = 0; d < app->layout.n_drop; d++) {
			const char *n = sl_drop_name(&app->layout, d);

			if (n != NULL && strcmp(n, name) == 0)
				return (int)d;
		}
	} else {
		for (unsigned int f = 0; f < SL_FILTER_MAX; f++)
			if (strcmp(sl_filter_name(f), name) == 0)
				return (int)f;
	}
	return -1;
}

/* Validate @p req and start a capture of tenant slot @p t on @p fd. */
static json_t *
start(struct sl_app *app, int t, int fd, json_t *req, const char *who, bool *taken)
{
	static const char *const keys[] = { "cmd", "tenant", "what", "reason", "sample", "packets",
					    "bytes", "seconds", "snaplen" };
	struct sl_capture *cap = app->cap;
	uint64_t sample, packets, bytes, snaplen;
	double seconds = SL_CAP_SECONDS_DEF;
	uint16_t reason = SL_CAP_ANY_REASON;
	uint8_t mask = 0;
	const char *e, *k;
	json_t *v, *what;

	json_object_foreach(req, k, v) {
		size_t i;

		for (i = 0; i < RTE_DIM(keys) && strcmp(keys[i], k) != 0; i++)
			;
		if (i == RTE_DIM(keys))
			return cap_error("unknown key '%.40s' (capture takes tenant, what, reason, "
				     "sample, packets, bytes, seconds, snaplen)", k);
	}
	v = json_object_get(req, "tenant");
	if (t < 0) {
		if (v == NULL)
			return cap_error("the admin names the tenant to capture: \"tenant\": ID or NAME");
		t = admin_tenant(app, v);
		if (t < 0)
			return cap_error("no such tenant (see the admin socket's status)");
	} else if (v != NULL && admin_tenant(app, v) != t) {
		return cap_error("a tenant's socket captures its own tenant only");
	}
	what = json_object_get(req, "what");
	if (what == NULL) {
		mask = 1u << SL_CAP_ALL;
	} else {
		json_t *one = json_is_array(what) ? NULL : what;
		size_t n = json_is_array(what) ? json_array_size(what) : 1;

		for (size_t i = 0; i < n; i++) {
			json_t *x = one != NULL ? one : json_array_get(what, i);
			unsigned int kd;

			for (kd = 0; kd < SL_CAP_KINDS; kd++)
				if (json_is_string(x) && strcmp(json_string_value(x), kind_names[kd]) == 0)
					break;
			if (kd == SL_CAP_KINDS)
				return cap_error("what must be all, dropped, filtered, bypassed or a list of "
					     "them");
			mask |= (uint8_t)(1u << kd);
		}
		if (mask == 0)
			return cap_error("what must name at least one of all, dropped, filtered, "
				     "bypassed");
	}
	v = json_object_get(req, "reason");
	if (v != NULL) {
		enum sl_cap_kind kd = mask == (1u << SL_CAP_DROPPED)    ? SL_CAP_DROPPED
				      : mask == (1u << SL_CAP_FILTERED) ? SL_CAP_FILTERED
									: SL_CAP_KINDS;
		int r;

		if (kd == SL_CAP_KINDS)
			return cap_error("reason goes with what: dropped or what: filtered alone");
		if (!json_is_string(v) || (r = reason_of(app, kd, json_string_value(v))) < 0)
			return cap_error("reason must be a %s reason (as in the stats' %s)",
				     kd == SL_CAP_DROPPED ? "drop" : "filter",
				     kd == SL_CAP_DROPPED ? "drops" : "filtered");
		reason = (uint16_t)r;
	}
	if ((e = get_uint(req, "sample", 1, SL_CAP_SAMPLE_MAX, 1, &sample)) ||
	    (e = get_uint(req, "packets", 1, SL_CAP_PACKETS_MAX, SL_CAP_PACKETS_DEF, &packets)) ||
	    (e = get_uint(req, "bytes", SL_CAP_BYTES_MIN, SL_CAP_BYTES_MAX, SL_CAP_BYTES_DEF,
			  &bytes)) ||
	    (e = get_uint(req, "snaplen", SL_CAP_SNAPLEN_MIN, SL_CAP_SNAPLEN_MAX,
			  SL_CAP_SNAPLEN_MAX, &snaplen)))
		return cap_error("%s", e);
	v = json_object_get(req, "seconds");
	if (v != NULL) {
		seconds = json_is_number(v) ? json_number_value(v) : -1;
		if (seconds <= 0 || seconds > SL_CAP_SECONDS_MAX)
			return cap_error("seconds must be a number above 0, at most %.0f",
				     SL_CAP_SECONDS_MAX);
	}
	struct cap_session *s = &cap->sess[t];
	if (s->fd >= 0)
		return cap_error("tenant '%s' already has a capture running (asked on the %s socket)",
			     app->tenant_names[t], s->who);

	/* the reply line, then the pcap header, then records */
	json_t *settings = json_pack("{s:s,s:I,s:[],s:I,s:I,s:I,s:f,s:I}", "tenant",
				     app->tenant_names[t], "tenant_id",
				     (json_int_t)app->tbl->tenants[t].cfg->id, "what", "sample",
				     (json_int_t)sample, "packets", (json_int_t)packets, "bytes",
				     (json_int_t)bytes, "seconds", seconds, "snaplen",
				     (json_int_t)snaplen);
	for (unsigned int kd = 0; kd < SL_CAP_KINDS; kd++)
		if (mask & (1u << kd))
			json_array_append_new(json_object_get(settings, "what"),
					      json_string(kind_names[kd]));
	if (reason != SL_CAP_ANY_REASON)
		json_object_set_new(settings, "reason", json_string(json_string_value(
								json_object_get(req, "reason"))));
	json_t *rep = json_pack("{s:b,s:o}", "ok", 1, "capture", settings);
	char *line = json_dumps(rep, JSON_COMPACT);
	json_decref(rep);
	if (line == NULL)
		return cap_error("out of memory");
	const uint32_t ghdr[6] = { 0xa1b23c4d, 2 | (4u << 16), 0, 0, (uint32_t)snaplen, 1 };

	memset(s, 0, sizeof(*s));
	s->fd = fd;
	snprintf(s->who, sizeof(s->who), "%s", who);
	s->mask = mask;
	s->gen = ++cap->next_gen;
	s->max_packets = packets;
	s->max_bytes = bytes;
	s->deadline = rte_rdtsc() + (uint64_t)(seconds * (double)app->tsc_hz);
	s->lost_base = worker_lost(app, (uint16_t)t);
	s->bytes = sizeof(ghdr);
	if (!out_append(s, line, strlen(line)) || !out_append(s, "\n", 1) ||
	    !out_append(s, ghdr, sizeof(ghdr))) {
		free(line);
		free(s->out);
		memset(s, 0, sizeof(*s));
		s->fd = -1;
		return cap_error("out of memory");
	}
	free(line);
	cap->filt[t] = (struct cap_filter){ .gen = s->gen, .sample = (uint32_t)sample,
					    .snaplen = (uint32_t)snaplen, .reason = reason };
	cap->active++;
	cap->tot[t].sessions++;
	set_on(app, (uint16_t)t, mask);
	char kinds[64] = "";
	for (unsigned int kd = 0; kd < SL_CAP_KINDS; kd++)
		if (mask & (1u << kd))
			snprintf(kinds + strlen(kinds), sizeof(kinds) - strlen(kinds), "%s%s",
				 kinds[0] ? "," : "", kind_names[kd]);
	CLOG(INFO, "tenant '%s' (asked on the %s socket): %s%s%s, 1 in %" PRIu64 ", at most %" PRIu64
	     " packets, %" PRIu64 " bytes, %.1f s\n", app->tenant_names[t], who, kinds,
	     reason != SL_CAP_ANY_REASON ? " " : "",
	     reason != SL_CAP_ANY_REASON ? json_string_value(json_object_get(req, "reason")) : "",
	     sample, packets, bytes, seconds);
	*taken = true;
	flush(s);
	return NULL;
}

bool
sl_capture_line(struct sl_app *app, int tenant, int fd, const char *line, size_t len,
		json_t **reply)
{
	json_t *req = json_loadb(line, len, JSON_REJECT_DUPLICATES, NULL);
	const char *cmd = json_string_value(json_object_get(req, "cmd"));
	bool taken = false;

	*reply = NULL;
	if (req == NULL || cmd == NULL || strcmp(cmd, "capture") != 0) {
		json_decref(req);
		return false;
	}
	if (app->cap == NULL)
		*reply = cap_error("capture is not available");
	else
		*reply = start(app, tenant, fd, req, tenant < 0 ? "admin" : "tenant", &taken);
	json_decref(req);
	return taken;
}

json_t *
sl_capture_json(struct sl_app *app, uint16_t t)
{
	struct sl_capture *cap = app->cap;
	const struct cap_session *s;

	if (cap == NULL || t >= app->tenant_cap)
		return NULL;
	s = &cap->sess[t];
	if (cap->tot[t].sessions == 0)
		return NULL;
	return json_pack("{s:I,s:I,s:I,s:b}", "sessions", (json_int_t)cap->tot[t].sessions,
			 "packets", (json_int_t)(cap->tot[t].packets + (s->fd >= 0 ? s->packets : 0)),
			 "lost", (json_int_t)(cap->tot[t].lost +
					      (s->fd >= 0 ? worker_lost(app, t) - s->lost_base +
								    s->lost_slow
							  : 0)),
			 "running", s->fd >= 0);
}

void
sl_capture_free(struct sl_app *app)
{
	struct sl_capture *cap = app->cap;

	if (cap == NULL)
		return;
	if (cap->sess != NULL)
		for (uint16_t t = 0; t < app->tenant_cap; t++)
			if (cap->sess[t].fd >= 0) {
				end(app, t, "sluice stopped");
				flush(&cap->sess[t]); /* what the socket takes now */
				close_session(app, t, NULL);
			}
	for (uint16_t w = 0; w < app->n_workers; w++) {
		struct cap_worker *cw = &cap->w[w];
		struct rte_mbuf *m;

		while (cw->ring != NULL && rte_ring_sc_dequeue(cw->ring, (void **)&m) == 0)
			rte_pktmbuf_free(m);
		rte_ring_free(cw->ring);
		free(cw->seen);
		free(cw->seen_gen);
		free(cw->lost);
	}
	rte_mempool_free(cap->pool);
	free(cap->filt);
	free(cap->sess);
	free(cap->tot);
	free(cap->rec);
	free(app->cap_on);
	app->cap_on = NULL;
	free(cap);
	app->cap = NULL;
}
