/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A detector: one nDPI detection module, a fixed pool of flow slots and a
 * smaller fixed pool of nDPI flow states, and the memory bound over them
 * (see sl_appid.h).
 *
 * A flow's slot is found from its key through one array (slot_of: key ->
 * slot + 1); slots and states are taken from and given back to stacks of
 * free indexes, so starting and ending a flow costs no allocation. nDPI's
 * own allocations while it reads a packet are charged to the detector
 * (sl_appid_names.c), so the bound covers them; a flow is refused a start
 * while the detector holds its bound, and what is running is never cut.
 *
 * When detection ends mirrors Debian's ndpiReader (example/reader_util.c of
 * nDPI 4.2, process_ndpi_packet()): after each packet, once the application
 * protocol is known and nDPI says no extra dissection is possible, or
 * once enough packets were read (nDPI's give-up, without guessing by port,
 * if still unknown). ndpiReader's "more than T packets" is max_packets = T + 1.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <ndpi_api.h>

#include "sl_appid_pvt.h"

#define NO_STATE UINT32_MAX
/* an nDPI state's size, rounded up so that every state is aligned */
#define STATE_ALIGN 16

/* Whether the caller wants the handshake followed after detection. */
enum want { WANT_UNDECIDED = 0, WANT_NO, WANT_YES };

struct slot {
	uint32_t key;
	uint32_t state;       /* nDPI state index, NO_STATE when detection ended */
	uint32_t packets;     /* packets nDPI read */
	uint32_t payloads;    /* of which with an L4 payload */
	uint8_t want;         /* enum want */
	uint8_t known_sent;   /* SL_APPID_EV_KNOWN was reported */
	struct sl_hs hs;
	struct sl_appid_result r;
};

struct sl_appid {
	struct ndpi_detection_module_struct *m;
	struct sl_appid_params p;
	uint32_t *slot_of;          /* p.keys: slot index + 1, 0 = none */
	struct slot *slots;         /* p.flows */
	uint32_t *free_slot;        /* stack of free slot indexes */
	uint32_t n_free_slot;
	uint8_t *states;            /* p.detecting x state_size */
	uint32_t state_size;
	uint32_t *free_state;
	uint32_t n_free_state;
	uint64_t arrays;            /* bytes of the arrays above */
	uint64_t ndpi_mem;          /* bytes nDPI holds for this detector */
	uint64_t module_mem;        /* of which its detection module (at creation) */
};

static inline uint64_t
used(const struct sl_appid *a)
{
	return a->arrays + a->ndpi_mem;
}

static inline struct ndpi_flow_struct *
state_of(struct sl_appid *a, uint32_t i)
{
	return (struct ndpi_flow_struct *)(void *)(a->states + (size_t)i * a->state_size);
}

static void *
alloc_array(struct sl_appid *a, size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (p != NULL)
		a->arrays += (uint64_t)n * size;
	return p;
}

int
sl_appid_create(const struct sl_appid_params *p, struct sl_appid **out)
{
	struct sl_appid *a;
	uint64_t *prev;
	NDPI_PROTOCOL_BITMASK all;
	int rc = -ENOMEM;

	if (p == NULL || out == NULL || p->keys == 0 || p->flows == 0 || p->flows > p->keys ||
	    p->detecting == 0 || p->detecting > p->flows || p->max_packets == 0 ||
	    p->hs_packets == 0)
		return -EINVAL;
	*out = NULL;
	sl_appid_hooks_install();
	a = calloc(1, sizeof(*a));
	if (a == NULL)
		return -ENOMEM;
	a->p = *p;
	a->state_size = (ndpi_detection_get_sizeof_ndpi_flow_struct() + STATE_ALIGN - 1) &
			~(uint32_t)(STATE_ALIGN - 1);
	a->slot_of = alloc_array(a, p->keys, sizeof(*a->slot_of));
	a->slots = alloc_array(a, p->flows, sizeof(*a->slots));
	a->free_slot = alloc_array(a, p->flows, sizeof(*a->free_slot));
	a->states = alloc_array(a, p->detecting, a->state_size);
	a->free_state = alloc_array(a, p->detecting, sizeof(*a->free_state));
	if (a->slot_of == NULL || a->slots == NULL || a->free_slot == NULL || a->states == NULL ||
	    a->free_state == NULL)
		goto fail;
	if (a->arrays > p->memory) {
		rc = -E2BIG;
		goto fail;
	}
	for (uint32_t i = 0; i < p->flows; i++)
		a->free_slot[i] = p->flows - 1 - i;
	a->n_free_slot = p->flows;
	for (uint32_t i = 0; i < p->detecting; i++)
		a->free_state[i] = p->detecting - 1 - i;
	a->n_free_state = p->detecting;

	prev = sl_appid_charge_to(&a->ndpi_mem);
	a->m = ndpi_init_detection_module(ndpi_no_prefs);
	if (a->m != NULL) {
		NDPI_BITMASK_SET_ALL(all);
		ndpi_set_protocol_detection_bitmask2(a->m, &all);
		ndpi_finalize_initialization(a->m);
	}
	sl_appid_charge_to(prev);
	a->module_mem = a->ndpi_mem;
	if (a->m == NULL)
		goto fail;
	if (used(a) > p->memory) {
		rc = -E2BIG;
		goto fail;
	}
	*out = a;
	return 0;
fail:
	sl_appid_free(a);
	return rc;
}

/* Detection of slot @p s ends: its nDPI state goes back to the pool. */
static void
end_state(struct sl_appid *a, struct slot *s)
{
	ndpi_free_flow_data(state_of(a, s->state));
	a->free_state[a->n_free_state++] = s->state;
	s->state = NO_STATE;
}

void
sl_appid_free(struct sl_appid *a)
{
	uint64_t *prev;

	if (a == NULL)
		return;
	prev = sl_appid_charge_to(&a->ndpi_mem);
	if (a->slots != NULL && a->free_state != NULL)
		for (uint32_t i = 0; i < a->p.flows; i++)
			if (a->slot_of != NULL && a->slot_of[a->slots[i].key] == i + 1 &&
			    a->slots[i].state != NO_STATE)
				end_state(a, &a->slots[i]);
	if (a->m != NULL)
		ndpi_exit_detection_module(a->m);
	sl_appid_charge_to(prev);
	free(a->slot_of);
	free(a->slots);
	free(a->free_slot);
	free(a->states);
	free(a->free_state);
	free(a);
}

static inline struct slot *
slot_of(const struct sl_appid *a, uint32_t key)
{
	uint32_t i;

	if (key >= a->p.keys || (i = a->slot_of[key]) == 0)
		return NULL;
	return &a->slots[i - 1];
}

int
sl_appid_flow_start(struct sl_appid *a, uint32_t key)
{
	struct slot *s;
	uint32_t i;

	if (key >= a->p.keys)
		return -EINVAL;
	if (a->slot_of[key] != 0)
		return -EEXIST;
	if (a->n_free_slot == 0)
		return -ENOSPC;
	if (a->n_free_state == 0)
		return -EBUSY;
	if (used(a) >= a->p.memory)
		return -ENOMEM;
	i = a->free_slot[--a->n_free_slot];
	s = &a->slots[i];
	memset(s, 0, sizeof(*s));
	s->key = key;
	s->state = a->free_state[--a->n_free_state];
	memset(state_of(a, s->state), 0, a->state_size);
	sl_hs_init(&s->hs);
	s->r.hs = s->hs.state;
	a->slot_of[key] = i + 1;
	return 0;
}

static inline uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* nDPI's answer into the result; the server name of TLS and QUIC flows. */
static void
take(struct sl_appid *a, struct slot *s, ndpi_protocol pr)
{
	const struct ndpi_flow_struct *f = state_of(a, s->state);
	struct sl_appid_result *r = &s->r;

	r->master = pr.master_protocol;
	r->app = pr.app_protocol;
	r->category = (uint16_t)pr.category;
	if (!sl_appid_result_is_tls(r))
		return;
	size_t n = strnlen(f->host_server_name, sizeof(f->host_server_name));

	if (n >= SL_APPID_SNI_MAX)
		n = SL_APPID_SNI_MAX - 1;
	/* untrusted bytes: lowercase printable ASCII only (records are JSON,
	 * rules compare names), anything else becomes '?' */
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)f->host_server_name[i];

		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		else if (c <= ' ' || c > '~')
			c = '?';
		r->sni[i] = (char)c;
	}
	r->sni[n] = '\0';
	r->sni_len = (uint8_t)n;
}

/* The first payload of a flow on a port nDPI reads no DNS on: this
 * module's own DNS check. */
static bool
dns_check(const struct slot *s, const struct sl_appid_pkt *p)
{
	const uint8_t *l4;
	uint32_t hl, avail;

	if (s->payloads != 1 || p->l4_off == 0 || (uint32_t)p->l4_off + p->l4_len > p->len)
		return false;
	l4 = p->l3 + p->l4_off;
	avail = p->l4_len;
	if (p->proto == 17)
		hl = 8;
	else if (p->proto == 6 && avail >= 20)
		hl = (uint32_t)(l4[12] >> 4) * 4;
	else
		return false;
	if (avail < 4 || hl < 8 || hl > avail)
		return false;
	uint16_t sp = rd16(l4), dp = rd16(l4 + 2);

	if (sp == 53 || dp == 53 || sp == 5353 || dp == 5353 || sp == 5355 || dp == 5355)
		return false; /* nDPI's own dissector judged it */
	return sl_appid_dns_query(l4 + hl, avail - hl, p->proto == 6);
}

/* Whether @p p carries an L4 payload. */
static bool
has_payload(const struct sl_appid_pkt *p)
{
	const uint8_t *l4 = p->l3 + p->l4_off;

	if (p->l4_off == 0 || (uint32_t)p->l4_off + p->l4_len > p->len)
		return false;
	if (p->proto == 17)
		return p->l4_len > 8;
	if (p->proto == 6)
		return p->l4_len >= 20 && p->l4_len > (uint32_t)(l4[12] >> 4) * 4;
	return p->l4_len > 0;
}

/* nDPI reads one packet of a flow in detection. */
static unsigned int
detect(struct sl_appid *a, struct slot *s, const struct sl_appid_pkt *p)
{
	struct ndpi_flow_struct *f = state_of(a, s->state);
	unsigned int ev = 0;
	bool enough;
	ndpi_protocol pr;
	uint8_t guessed;

	s->packets++;
	s->payloads += has_payload(p);
	enough = s->packets >= a->p.max_packets;
	pr = ndpi_detection_process_packet(a->m, f, p->l3,
					   (unsigned short)(p->len > 65535 ? 65535 : p->len),
					   p->ms);
	if (pr.app_protocol == NDPI_PROTOCOL_UNKNOWN && dns_check(s, p)) {
		s->r.master = 0;
		s->r.app = SL_APPID_PROTO_DNS;
		s->r.category = (uint16_t)ndpi_get_proto_category(
			a->m, (ndpi_protocol){ .app_protocol = NDPI_PROTOCOL_DNS });
		s->r.flags |= SL_APPID_F_DNS_CHECK;
		s->r.status = SL_APPID_DONE;
		end_state(a, s);
		ev |= SL_APPID_EV_ENDED;
	} else {
		take(a, s, pr);
		if (enough || pr.app_protocol != NDPI_PROTOCOL_UNKNOWN) {
			if (!enough && ndpi_extra_dissection_possible(a->m, f)) {
				s->r.status = SL_APPID_KNOWN;
			} else {
				if (pr.app_protocol == NDPI_PROTOCOL_UNKNOWN) {
					take(a, s, ndpi_detection_giveup(a->m, f, 0, &guessed));
					s->r.status = SL_APPID_GAVE_UP;
				} else {
					s->r.status = SL_APPID_DONE;
				}
				end_state(a, s);
				ev |= SL_APPID_EV_ENDED;
			}
		}
	}
	if (s->r.status != SL_APPID_DETECTING && !s->known_sent) {
		s->known_sent = 1;
		ev |= SL_APPID_EV_KNOWN;
	}
	return ev;
}

/* Whether a flow needs no more packets. A tracker the caller does not want
 * stops; one it has not decided about yet (it decides when it is told
 * SL_APPID_EV_KNOWN) keeps the flow busy. */
static bool
idle(struct slot *s)
{
	if (s->state != NO_STATE)
		return false;
	if (!sl_hs_running(&s->hs))
		return true;
	if (s->want != WANT_NO)
		return false;
	s->hs.state = SL_APPID_HS_STOPPED;
	s->r.hs = s->hs.state;
	return true;
}

unsigned int
sl_appid_flow_packet(struct sl_appid *a, uint32_t key, const struct sl_appid_pkt *p)
{
	struct slot *s = slot_of(a, key);
	unsigned int ev = 0;

	if (s == NULL || p == NULL || p->l3 == NULL)
		return 0;
	if (s->state != NO_STATE) {
		uint64_t *prev = sl_appid_charge_to(&a->ndpi_mem);

		ev |= detect(a, s, p);
		sl_appid_charge_to(prev);
	}
	/* the tracker reads from the first packet, and after detection only
	 * when the caller wants it */
	if (sl_hs_running(&s->hs) && (s->want == WANT_YES || (ev & SL_APPID_EV_ENDED) ||
				      s->state != NO_STATE)) {
		struct sl_hs_pkt hp = { .proto = p->proto, .dir = p->dir };

		if (p->l4_off != 0 && (uint32_t)p->l4_off + p->l4_len <= p->len) {
			hp.l4 = p->l3 + p->l4_off;
			hp.l4_len = p->l4_len;
			ev |= sl_hs_packet(&s->hs, &hp, a->p.hs_packets);
			s->r.hs = s->hs.state;
		}
	}
	if (idle(s))
		ev |= SL_APPID_EV_IDLE;
	return ev;
}

unsigned int
sl_appid_flow_handshake(struct sl_appid *a, uint32_t key, bool want)
{
	struct slot *s = slot_of(a, key);

	if (s == NULL)
		return 0;
	s->want = want ? WANT_YES : WANT_NO;
	if (!want && sl_hs_running(&s->hs)) {
		s->hs.state = SL_APPID_HS_STOPPED;
		s->r.hs = s->hs.state;
	}
	return idle(s) ? SL_APPID_EV_IDLE : 0;
}

const struct sl_appid_result *
sl_appid_flow_result(const struct sl_appid *a, uint32_t key)
{
	const struct slot *s = slot_of(a, key);

	return s != NULL ? &s->r : NULL;
}

bool
sl_appid_flow_end(struct sl_appid *a, uint32_t key, struct sl_appid_result *out)
{
	struct slot *s = slot_of(a, key);
	uint8_t guessed;

	if (s == NULL)
		return false;
	if (s->state != NO_STATE) {
		uint64_t *prev = sl_appid_charge_to(&a->ndpi_mem);
		ndpi_protocol pr = ndpi_detection_giveup(a->m, state_of(a, s->state), 0, &guessed);

		take(a, s, pr);
		s->r.status = s->r.status == SL_APPID_KNOWN ? SL_APPID_DONE : SL_APPID_GAVE_UP;
		end_state(a, s);
		sl_appid_charge_to(prev);
	}
	if (out != NULL)
		*out = s->r;
	a->slot_of[key] = 0;
	a->free_slot[a->n_free_slot++] = (uint32_t)(s - a->slots);
	return true;
}

void
sl_appid_usage(const struct sl_appid *a, struct sl_appid_usage *u)
{
	u->flows = a->p.flows - a->n_free_slot;
	u->detecting = a->p.detecting - a->n_free_state;
	u->memory = used(a);
	u->fixed = a->arrays + a->module_mem;
}
