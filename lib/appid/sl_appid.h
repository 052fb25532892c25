/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Application detection: which application protocol a flow speaks, its
 * category and, for TLS and QUIC, its server name (SNI), and when a TLS or
 * QUIC handshake has ended in both directions.
 *
 * A wrapper over nDPI (Debian's libndpi, 4.2), with what nDPI does not do:
 *
 * - bounded state: a detector (struct sl_appid) is one per worker lcore and
 *   holds a fixed number of flow slots (a flow's result and handshake
 *   tracker, from its start to its end) and a smaller fixed number of nDPI
 *   flow states (about 700 bytes each, only while detection runs), with a
 *   bound on all its memory: the nDPI detector, the slots, the states and
 *   what nDPI allocates while it reads packets (counted through nDPI's
 *   allocation hooks). A flow that finds no slot, no state or no memory is
 *   not detected (the caller counts it); nothing ever waits.
 * - detection ends as Debian's ndpiReader ends it, so that both report the
 *   same protocol for a flow: after a packet that gives a protocol, once
 *   nDPI wants no more of the flow's packets for its metadata (certificate,
 *   DNS answer), or after max_packets packets (nDPI's give-up then), or at
 *   the flow's end. ndpiReader -d (no guessing) -T/-U N matches
 *   max_packets N + 1. The first packet that gives a protocol is reported
 *   (SL_APPID_EV_KNOWN) so that rules can act on it at once.
 * - DNS on a port nDPI 4.2 does not read DNS on (it tries only 53, 5353
 *   and 5355): a strict check of the first payload's DNS message format
 *   (sl_appid_dns.c), flagged SL_APPID_F_DNS_CHECK in the result.
 * - the end of a handshake in both directions (sl_appid_hs.c): TLS records
 *   followed in each direction's TCP byte stream, QUIC long and short
 *   headers.
 *
 * Flows are named by a key the caller chooses in [0, keys): sluice uses the
 * flow's entry index in its worker's flow table (lib/flow), so finding a
 * flow's slot is one array load, and nothing lives in the flow entry.
 *
 * Packets are given from their IP header (the innermost one of a tunnelled
 * packet), with the L4 offset and length the caller's parser found. Every
 * byte is untrusted: nDPI checks its own bounds, and this module's own
 * parsers (handshake, DNS) check every read.
 *
 * Threads: a detector belongs to one thread at a time (its worker); create
 * detectors one after the other (nDPI's set-up must not run in parallel).
 * The name functions (sl_appid_proto_id() ...) are thread-safe: they read
 * tables built once, on first use, from an nDPI detector of their own.
 * No DPDK; nothing prints, logs or exits; errors are negative errno values.
 */
#ifndef SL_APPID_H
#define SL_APPID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Bytes of a server name kept, its NUL included (nDPI 4.2 keeps 79). */
#define SL_APPID_SNI_MAX 80

/** nDPI's protocol ids of the protocols this module looks at itself. */
#define SL_APPID_PROTO_UNKNOWN 0
#define SL_APPID_PROTO_DNS 5
#define SL_APPID_PROTO_DTLS 30
#define SL_APPID_PROTO_TLS 91
#define SL_APPID_PROTO_QUIC 188

/** Where detection of a flow stands (struct sl_appid_result::status). */
enum sl_appid_status {
	SL_APPID_DETECTING = 0, /**< no protocol yet */
	SL_APPID_KNOWN,         /**< a protocol is known; nDPI still reads the flow's
				     packets for its metadata */
	SL_APPID_DONE,          /**< detection ended with a protocol */
	SL_APPID_GAVE_UP,       /**< detection ended without one within max_packets
				     (or at the flow's end): the result is nDPI's
				     give-up answer, often unknown */
};

/** A flow's handshake, as followed by this module (result::hs). */
enum sl_appid_hs {
	SL_APPID_HS_WAIT = 0, /**< no payload seen yet: not known to be TLS or QUIC */
	SL_APPID_HS_TLS,      /**< a TLS handshake, not ended */
	SL_APPID_HS_QUIC,     /**< a QUIC handshake, not ended */
	SL_APPID_HS_DONE,     /**< ended in both directions */
	SL_APPID_HS_NONE,     /**< not TLS over TCP nor QUIC over UDP */
	SL_APPID_HS_LOST,     /**< a gap in a TCP stream (a segment missed):
				   where records end is not known any more */
	SL_APPID_HS_LIMIT,    /**< not ended within hs_packets packets */
	SL_APPID_HS_STOPPED,  /**< not followed any more (the caller's choice) */
};

/** result::flags */
#define SL_APPID_F_DNS_CHECK 0x01 /**< DNS found by this module's own check */

/** What detection found about a flow. */
struct sl_appid_result {
	uint16_t master;     /**< nDPI master protocol (TLS of TLS.Google), 0: none */
	uint16_t app;        /**< nDPI application protocol, 0: unknown */
	uint16_t category;   /**< nDPI category, 0: unspecified */
	uint8_t status;      /**< enum sl_appid_status */
	uint8_t hs;          /**< enum sl_appid_hs */
	uint8_t flags;       /**< SL_APPID_F_* */
	uint8_t sni_len;     /**< bytes of sni */
	char sni[SL_APPID_SNI_MAX]; /**< TLS/QUIC server name, lowercase,
				         NUL-terminated; "" when none */
};

/** Sizes and bounds of a detector. */
struct sl_appid_params {
	uint32_t keys;        /**< flow keys are 0..keys-1 (>= 1) */
	uint32_t flows;       /**< flows with a slot at once (>= 1, <= keys) */
	uint32_t detecting;   /**< flows in detection at once (>= 1, <= flows) */
	uint32_t max_packets; /**< packets detection reads before it gives up (>= 1) */
	uint32_t hs_packets;  /**< packets within which a handshake must end (>= 1) */
	uint64_t memory;      /**< bytes the detector may hold, all included */
};

/** A detector (opaque). */
struct sl_appid;

/**
 * Create a detector: an nDPI detection module with every protocol enabled,
 * and its slots and states.
 *
 * @return 0; -EINVAL for a bad parameter; -ENOMEM; -E2BIG when the fixed
 *         part (nDPI's detector, slots, states, key map) exceeds
 *         p->memory (*out is then NULL and nothing is held).
 */
int sl_appid_create(const struct sl_appid_params *p, struct sl_appid **out);

/** Free a detector and every flow's state (NULL accepted). */
void sl_appid_free(struct sl_appid *a);

/**
 * Start detection for flow @p key: a slot and an nDPI state.
 *
 * @return 0; -EINVAL for a key out of range; -EEXIST when the key has a slot
 *         already; -ENOSPC when every slot is taken; -EBUSY when every
 *         nDPI state is; -ENOMEM when the memory bound is reached.
 */
int sl_appid_flow_start(struct sl_appid *a, uint32_t key);

/** One packet of a flow, from its (innermost) IP header. */
struct sl_appid_pkt {
	const uint8_t *l3;  /**< IPv4 or IPv6 header */
	uint32_t len;       /**< bytes readable at l3 (65535 at most are read) */
	uint16_t l4_off;    /**< offset of the L4 header from l3; 0: none */
	uint16_t l4_len;    /**< L4 bytes readable from l4_off */
	uint8_t proto;      /**< L4 protocol (6 TCP, 17 UDP, ...) */
	uint8_t dir;        /**< 0 or 1: the packet's direction, the same for
				 every packet one endpoint sends */
	uint64_t ms;        /**< the packet's time in milliseconds */
};

/** Events of sl_appid_flow_packet() (a bit mask). */
#define SL_APPID_EV_KNOWN 0x01    /**< detection has an answer for the rules:
				       a protocol just became known, or detection
				       ended without one */
#define SL_APPID_EV_ENDED 0x02    /**< detection ended (the nDPI state is free):
				       the result is final */
#define SL_APPID_EV_HS_DONE 0x04  /**< the handshake ended in both directions
				       with this packet */
#define SL_APPID_EV_HS_FAILED 0x08 /**< the handshake cannot be followed (hs says why) */
#define SL_APPID_EV_IDLE 0x10     /**< the flow needs no more packets: detection
				       ended and its handshake is not followed */

/**
 * Read one packet of flow @p key (a flow without a slot is ignored: 0).
 * nDPI reads it while detection runs; the handshake tracker while the
 * handshake is followed (from the first packet, until it ends, fails, the
 * caller stops it or detection ended and the caller did not ask for it).
 *
 * @return SL_APPID_EV_* of this packet.
 */
unsigned int sl_appid_flow_packet(struct sl_appid *a, uint32_t key, const struct sl_appid_pkt *p);

/**
 * Whether the caller wants flow @p key's handshake followed after detection
 * ended (default: no). Stopping it (@p want false) while it runs ends it
 * with SL_APPID_HS_STOPPED.
 *
 * @return the flow's events now: SL_APPID_EV_IDLE when it needs no more
 *         packets; 0 otherwise, and for a key without a slot.
 */
unsigned int sl_appid_flow_handshake(struct sl_appid *a, uint32_t key, bool want);

/** The result of flow @p key so far, or NULL when it has no slot. */
const struct sl_appid_result *sl_appid_flow_result(const struct sl_appid *a, uint32_t key);

/**
 * Flow @p key ended: detection still running gives up (nDPI's give-up
 * answer, as ndpiReader at the end of a capture), the result is copied to
 * @p out (when not NULL) and the slot is freed.
 *
 * @return true when the flow had a slot (and @p out was written).
 */
bool sl_appid_flow_end(struct sl_appid *a, uint32_t key, struct sl_appid_result *out);

/** What a detector holds now. */
struct sl_appid_usage {
	uint32_t flows;      /**< slots taken */
	uint32_t detecting;  /**< nDPI states taken */
	uint64_t memory;     /**< bytes held: fixed part and nDPI's allocations */
	uint64_t fixed;      /**< of which the fixed part */
};

/** Fill @p u for @p a. */
void sl_appid_usage(const struct sl_appid *a, struct sl_appid_usage *u);

/* ---- names (thread-safe) ------------------------------------------------ */

/**
 * nDPI's protocol id of @p name, compared without case ("tls", "DNS",
 * "YouTube").
 * @return the id (> 0); -ENOENT for an unknown name; -ENOMEM when nDPI
 *         could not be started to read its names.
 */
int sl_appid_proto_id(const char *name);

/** nDPI's name of protocol @p id ("TLS"; "Unknown" for 0), or NULL when
 * no protocol has that id. */
const char *sl_appid_proto_name(uint16_t id);

/** nDPI's category id of @p name, compared without case ("video", "Web").
 * @return the id (>= 0); -ENOENT; -ENOMEM as sl_appid_proto_id(). */
int sl_appid_category_id(const char *name);

/** nDPI's name of category @p id ("Web"), or NULL when none has that id. */
const char *sl_appid_category_name(uint16_t id);

/**
 * The protocol of @p r as nDPI (and ndpiReader) names it: "TLS.Google"
 * when it has a master and an application protocol, else one name,
 * "Unknown" when none.
 * @return the length written (without the NUL); -ENOSPC when @p len is too
 *         short (@p buf then holds what fitted).
 */
int sl_appid_result_name(const struct sl_appid_result *r, char *buf, size_t len);

/** Whether @p r names TLS, DTLS or QUIC as its master or application
 * protocol (the protocols whose server name is an SNI). */
static inline bool
sl_appid_result_is_tls(const struct sl_appid_result *r)
{
	return r->master == SL_APPID_PROTO_TLS || r->app == SL_APPID_PROTO_TLS ||
	       r->master == SL_APPID_PROTO_QUIC || r->app == SL_APPID_PROTO_QUIC ||
	       r->master == SL_APPID_PROTO_DTLS || r->app == SL_APPID_PROTO_DTLS;
}

/** nDPI's version string ("4.2.0-..."). */
const char *sl_appid_version(void);

/* ---- the parts of this module that do not need nDPI ---------------------- */

/**
 * Whether @p payload (@p len bytes of UDP payload, or of a TCP segment
 * starting with DNS's 2-byte length prefix when @p tcp) is one complete,
 * well-formed DNS query: standard opcode, one question of hostname labels,
 * no answer or authority records, at most one additional record (an EDNS
 * OPT), nothing after it. Strict on purpose: it classifies flows nDPI
 * does not.
 */
bool sl_appid_dns_query(const uint8_t *payload, uint32_t len, bool tcp);

#ifdef __cplusplus
}
#endif
#endif /* SL_APPID_H */
