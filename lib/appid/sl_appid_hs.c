/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * When has a TLS or QUIC handshake ended in both directions? nDPI does not
 * say (it stops reading a flow once it has what it wants), so this follows
 * the flow itself, from its first packet, for bypass-after-handshake.
 *
 * TLS over TCP: each direction's byte stream is cut into records (RFC 8446
 * 5.1: a 5-byte header of content type, version and length, then the body)
 * across segments, in sequence-number order. A direction has ended its
 * handshake once it sent
 *   - ChangeCipherSpec (20) and then a complete Handshake record (22): its
 *     Finished, encrypted (TLS 1.2 and earlier, full or resumed), or
 *   - a complete application_data record (23): in TLS 1.3 the handshake
 *     after the ServerHello is sent as application_data; the client's first
 *     one is its Finished, which it sends only after the server's whole
 *     flight, so both directions are done then.
 * The handshake has ended when both directions have: everything after the
 * packet that completes it is application data (or alerts, or a TLS 1.3
 * NewSessionTicket: encrypted either way). A retransmitted segment is read
 * once; a gap (a segment missed) loses the record boundaries: SL_APPID_HS_LOST.
 * A stream that does not start with a TLS record is SL_APPID_HS_NONE.
 *
 * QUIC over UDP (RFC 9000 17): the handshake travels in long-header packets
 * (Initial, 0-RTT, Handshake); 1-RTT packets have a short header. A
 * direction has ended its handshake when it sends a datagram that starts
 * with a short header; the client does so only once the handshake is
 * complete on its side. Both directions: ended. A flow whose first datagram
 * is not a QUIC long-header packet is SL_APPID_HS_NONE.
 *
 * Every read is bounds-checked against the packet's L4 length.
 */
#include <string.h>

#include "sl_appid_pvt.h"

#define TCP_SYN 0x02
#define TLS_CCS 20
#define TLS_ALERT 21
#define TLS_HANDSHAKE 22
#define TLS_APPDATA 23
#define TLS_HEARTBEAT 24
/* 2^14 bytes of plaintext plus the most a cipher may add (RFC 5246 6.2.3) */
#define TLS_RECORD_MAX (16384 + 2048)
#define QUIC_LONG 0x80
#define QUIC_FIXED 0x40

void
sl_hs_init(struct sl_hs *h)
{
	memset(h, 0, sizeof(*h));
	h->state = SL_APPID_HS_WAIT;
}

static inline uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* A record of this direction is complete. */
static void
record_done(struct sl_hs_tls_dir *d)
{
	if (d->rec_type == TLS_CCS)
		d->ccs = 1;
	else if ((d->rec_type == TLS_HANDSHAKE && d->ccs) || d->rec_type == TLS_APPDATA)
		d->done = 1;
}

/* Walk @p n new bytes of this direction's stream. Returns false when they
 * are not TLS records. */
static bool
tls_bytes(struct sl_hs_tls_dir *d, const uint8_t *b, uint32_t n)
{
	uint32_t off = 0;

	while (off < n) {
		if (d->rec_left > 0) {
			uint32_t take = n - off < d->rec_left ? n - off : d->rec_left;

			d->rec_left -= take;
			off += take;
			if (d->rec_left == 0)
				record_done(d);
			continue;
		}
		d->hdr[d->hdr_have++] = b[off++];
		if (d->hdr_have < sizeof(d->hdr))
			continue;
		d->hdr_have = 0;
		uint32_t len = (uint32_t)d->hdr[3] << 8 | d->hdr[4];

		if (d->hdr[0] < TLS_CCS || d->hdr[0] > TLS_HEARTBEAT || d->hdr[1] != 3 ||
		    len > TLS_RECORD_MAX)
			return false;
		d->rec_type = d->hdr[0];
		d->rec_left = len;
		if (len == 0)
			record_done(d);
	}
	return true;
}

static unsigned int
tls_packet(struct sl_hs *h, const struct sl_hs_pkt *p)
{
	struct sl_hs_tls_dir *d = &h->tls[p->dir & 1];
	uint32_t doff, seq, n;
	const uint8_t *pay;

	if (p->l4_len < 20)
		return 0;
	doff = (uint32_t)(p->l4[12] >> 4) * 4;
	if (doff < 20 || doff > p->l4_len)
		return 0;
	seq = rd32(p->l4 + 4);
	pay = p->l4 + doff;
	n = p->l4_len - doff;
	if (p->l4[13] & TCP_SYN) {
		/* the stream starts after the SYN (a SYN carrying data is
		 * read from its first byte) */
		d->next_seq = seq + 1;
		d->have_seq = 1;
		if (n == 0)
			return 0;
		seq++;
	}
	if (n == 0)
		return 0;
	if (!d->have_seq) {
		/* no SYN seen: the stream is taken to start here */
		d->next_seq = seq;
		d->have_seq = 1;
	}
	int32_t ahead = (int32_t)(seq - d->next_seq);

	if (ahead > 0) {
		h->state = SL_APPID_HS_LOST;
		return SL_APPID_EV_HS_FAILED;
	}
	uint32_t old = (uint32_t)-ahead;

	if (old >= n)
		return 0; /* a retransmission of what was read */
	if (h->state == SL_APPID_HS_WAIT)
		h->state = SL_APPID_HS_TLS;
	if (!tls_bytes(d, pay + old, n - old)) {
		h->state = SL_APPID_HS_NONE;
		return SL_APPID_EV_HS_FAILED;
	}
	d->next_seq += n - old;
	if (h->tls[0].done && h->tls[1].done) {
		h->state = SL_APPID_HS_DONE;
		return SL_APPID_EV_HS_DONE;
	}
	return 0;
}

/* A QUIC long header (RFC 8999 5.1, the version-independent invariants):
 * fixed bit set, a version QUIC uses (v1, v2, IETF drafts, Facebook's
 * mvfst, Google's Q0xx/T0xx), connection ids of at most 20 bytes. A first
 * byte with both high bits set is common in other protocols (a DNS id):
 * the version is what tells QUIC apart. */
static bool
quic_long(const uint8_t *b, uint32_t n)
{
	uint32_t v, dcil;

	if (n < 7 || !(b[0] & QUIC_FIXED))
		return false;
	v = rd32(b + 1);
	if (!(v == 1 || v == 0x6b3343cf || (v & 0xffffff00) == 0xff000000 ||
	      (v & 0xfffffff0) == 0xfaceb000 ||
	      ((b[1] == 'Q' || b[1] == 'T') && b[2] == '0' && b[3] >= '0' && b[3] <= '9' &&
	       b[4] >= '0' && b[4] <= '9')))
		return false;
	dcil = b[5];
	return dcil <= 20 && 6 + dcil < n && b[6 + dcil] <= 20;
}

static unsigned int
quic_packet(struct sl_hs *h, const struct sl_hs_pkt *p)
{
	const uint8_t *pay = p->l4 + 8;
	uint32_t n;

	if (p->l4_len < 8)
		return 0;
	n = p->l4_len - 8;
	if (n == 0)
		return 0;
	if (pay[0] & QUIC_LONG) {
		/* a long header (version negotiation, version 0, is not
		 * one of the handshake's) */
		if (!quic_long(pay, n)) {
			if (!h->quic_long) {
				h->state = SL_APPID_HS_NONE;
				return SL_APPID_EV_HS_FAILED;
			}
			return 0;
		}
		h->quic_long = 1;
		h->state = SL_APPID_HS_QUIC;
		return 0;
	}
	if (!h->quic_long) {
		h->state = SL_APPID_HS_NONE;
		return SL_APPID_EV_HS_FAILED;
	}
	h->quic_short[p->dir & 1] = 1;
	if (h->quic_short[0] && h->quic_short[1]) {
		h->state = SL_APPID_HS_DONE;
		return SL_APPID_EV_HS_DONE;
	}
	return 0;
}

unsigned int
sl_hs_packet(struct sl_hs *h, const struct sl_hs_pkt *p, uint32_t limit)
{
	unsigned int ev;

	if (!sl_hs_running(h))
		return 0;
	h->packets++;
	switch (p->proto) {
	case 6:
		ev = tls_packet(h, p);
		break;
	case 17:
		ev = quic_packet(h, p);
		break;
	default:
		h->state = SL_APPID_HS_NONE;
		return SL_APPID_EV_HS_FAILED;
	}
	if (ev == 0 && h->packets >= limit && sl_hs_running(h)) {
		h->state = SL_APPID_HS_LIMIT;
		ev = SL_APPID_EV_HS_FAILED;
	}
	return ev;
}
