/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Private to lib/appid: the handshake tracker (sl_appid_hs.c) and nDPI's
 * allocation hooks (sl_appid_names.c), shared with the detector
 * (sl_appid.c).
 */
#ifndef SL_APPID_PVT_H
#define SL_APPID_PVT_H

#include <stdbool.h>
#include <stdint.h>

#include "sl_appid.h"

/** One direction of a TLS byte stream: where the next record starts. */
struct sl_hs_tls_dir {
	uint32_t next_seq;   /**< sequence number of the next byte expected */
	uint32_t rec_left;   /**< bytes of the current record's body to come */
	uint8_t hdr[5];      /**< a record header split over segments */
	uint8_t hdr_have;    /**< bytes of it seen */
	uint8_t rec_type;    /**< content type of the current record */
	uint8_t have_seq : 1, ccs : 1, done : 1, pad : 5;
};

/** A flow's handshake tracker. */
struct sl_hs {
	uint8_t state;       /**< enum sl_appid_hs */
	uint8_t quic_long;   /**< QUIC: a long header was seen */
	uint8_t quic_short[2]; /**< QUIC: a short header was seen, per direction */
	uint32_t packets;    /**< packets read */
	struct sl_hs_tls_dir tls[2];
};

/** Bytes of the L4 header and payload the tracker reads (from the IP packet). */
struct sl_hs_pkt {
	const uint8_t *l4;   /**< L4 header */
	uint32_t l4_len;     /**< bytes readable there */
	uint8_t proto;
	uint8_t dir;
};

/** Start a tracker. */
void sl_hs_init(struct sl_hs *h);

/**
 * Read one packet; @p limit is hs_packets. Returns SL_APPID_EV_HS_DONE or
 * SL_APPID_EV_HS_FAILED when the state just left TLS/QUIC/WAIT, else 0.
 */
unsigned int sl_hs_packet(struct sl_hs *h, const struct sl_hs_pkt *p, uint32_t limit);

/** Whether the tracker still follows the flow (WAIT, TLS or QUIC). */
static inline bool
sl_hs_running(const struct sl_hs *h)
{
	return h->state == SL_APPID_HS_WAIT || h->state == SL_APPID_HS_TLS ||
	       h->state == SL_APPID_HS_QUIC;
}

/* ---- nDPI allocations (sl_appid_names.c) ---- */

/** Install nDPI's allocation hooks (once per process; idempotent). Every
 * nDPI allocation goes through them from then on. */
void sl_appid_hooks_install(void);

/** The byte count nDPI's allocations on this thread are charged to (NULL:
 * none), until the next call; returns the previous one. */
uint64_t *sl_appid_charge_to(uint64_t *counter);

#endif /* SL_APPID_PVT_H */
