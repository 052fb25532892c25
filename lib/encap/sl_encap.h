/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Encapsulation for remote pool members: a frame delivered to an analyzer
 * on another host travels inside a tunnel (VXLAN, GENEVE, GRE, ERSPAN type
 * II or III) over IPv4 or IPv6 through an output port.
 *
 * sl_encap_init() builds the outer headers once, as a template, from the
 * member's configuration (struct sl_encap_params). Per packet the worker
 * asks sl_encap_fit() whether the frame fits the tunnel's MTU (or is to be
 * cut, where the protocol can say so), makes room in front of the frame and
 * calls sl_encap_write(), which copies the template and fills what changes
 * per packet: lengths, the IPv4 checksum, the UDP source port (from the
 * flow hash, so that the underlay's ECMP keeps a flow on one path), the GRE
 * sequence number and ERSPAN's truncation bit.
 *
 * No mbufs here: the module works on byte buffers and is unit-tested alone
 * (tests/unit/test_encap.c, with a round trip through lib/parse). It uses
 * DPDK's protocol headers (rte_ether.h, rte_ip.h, rte_udp.h, rte_vxlan.h,
 * rte_geneve.h, rte_gre.h) and rte_ipv4_cksum(). DPDK has no ERSPAN header
 * struct; the two ERSPAN headers are written here from their layout
 * (draft-foschiano-erspan-03, the one Linux and Wireshark follow).
 *
 * Thread-safety: a struct sl_encap is read-only after sl_encap_init() and
 * may be shared by every lcore; sl_encap_write() is reentrant.
 */
#ifndef SL_ENCAP_H
#define SL_ENCAP_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Tunnels a remote member can be reached by. X(enum suffix, name). */
#define SL_TUN_TYPES(X)                                                       \
	X(VXLAN, "vxlan")                                                     \
	X(GENEVE, "geneve")                                                   \
	X(GRE, "gre")         /* transparent Ethernet bridging, optional key */ \
	X(ERSPAN2, "erspan2") /* ERSPAN type II: GRE 0x88be, sequence number */ \
	X(ERSPAN3, "erspan3") /* ERSPAN type III: GRE 0x22eb, sequence number */

/** A tunnel type; 0 is none (a local member). */
enum sl_tun {
	SL_TUN_NONE = 0,
#define SL_X_ENUM(e, s) SL_TUN_##e,
	SL_TUN_TYPES(SL_X_ENUM)
#undef SL_X_ENUM
	SL_TUN_MAX
};

#define SL_TUN_VNI_MAX 16777215u    /**< VXLAN and GENEVE: 24 bits */
#define SL_TUN_SESSION_MAX 1023u    /**< ERSPAN session id: 10 bits */
#define SL_TUN_VXLAN_PORT 4789      /**< IANA */
#define SL_TUN_GENEVE_PORT 6081     /**< IANA */
/** The UDP source port range (the Linux kernel's default for tunnels). */
#define SL_TUN_SPORT_MIN 49152
#define SL_TUN_SPORT_MAX 65535
/** Longest outer header: Ethernet, IPv6, GRE with sequence number, ERSPAN III. */
#define SL_ENCAP_HDR_MAX 80
/** Smallest MTU an outer IPv4 / IPv6 packet may be given (IPv4: RFC 791's
 * 576, which every host accepts; IPv6: its minimum link MTU). */
#define SL_ENCAP_MTU_MIN4 576
#define SL_ENCAP_MTU_MIN6 1280
#define SL_ENCAP_MTU_MAX 9216

/** How one remote member is reached (from its configuration). */
struct sl_encap_params {
	enum sl_tun tun;
	uint8_t family;        /**< 4 or 6: outer IP version */
	uint8_t src[16];       /**< outer source address, network order (IPv4: first 4 bytes) */
	uint8_t dst[16];       /**< outer destination address */
	uint8_t src_mac[6];    /**< outer Ethernet source: the output port's MAC */
	uint8_t dst_mac[6];    /**< outer Ethernet destination: the next hop */
	uint32_t id;           /**< VXLAN/GENEVE VNI, GRE key, ERSPAN session id */
	bool has_key;          /**< GRE: send the key (K bit); others ignore it */
	uint16_t udp_port;     /**< VXLAN/GENEVE destination port */
	uint8_t dscp;          /**< 0..63, outer IP traffic class (ECN bits 0) */
	uint8_t ttl;           /**< 1..255, outer TTL / hop limit */
	uint16_t mtu;          /**< largest outer IP packet, headers included */
	bool truncate;         /**< ERSPAN only: a frame too long for mtu is cut
				    and flagged (T bit) instead of dropped */
};

/** An outer header template, built by sl_encap_init(). */
struct sl_encap {
	uint8_t hdr[SL_ENCAP_HDR_MAX]; /**< the outer headers, per-packet fields 0 */
	uint16_t len;          /**< bytes of hdr used: what is put in front of a frame */
	uint16_t max_inner;    /**< longest frame the MTU leaves room for */
	uint16_t ip_off;       /**< offset of the outer IP header (14) */
	uint16_t l4_off;       /**< offset of the UDP or GRE header */
	uint16_t seq_off;      /**< offset of the GRE sequence number, 0: none */
	uint16_t erspan_off;   /**< offset of the ERSPAN header, 0: none */
	uint8_t tun;           /**< enum sl_tun */
	uint8_t family;        /**< 4 or 6 */
	bool truncate;         /**< frames too long are cut (ERSPAN) */
};

/** What sl_encap_fit() says of a frame. */
enum sl_encap_size {
	SL_ENCAP_FITS = 0,     /**< sent whole */
	SL_ENCAP_CUT,          /**< too long: sent cut to max_inner bytes, flagged */
	SL_ENCAP_TOO_BIG,      /**< too long and the tunnel cannot say so: dropped */
};

/**
 * Build the template of @p p into @p e.
 *
 * @return 0; -EINVAL when the parameters are not valid: unknown tunnel or
 *         family, an id out of its range (VNI 24 bits, session 10 bits),
 *         truncate with a tunnel that has no truncation flag, a TTL of 0,
 *         a DSCP above 63, an MTU out of SL_ENCAP_MTU_MIN4/6..SL_ENCAP_MTU_MAX.
 *         @p e is then unusable.
 */
int sl_encap_init(struct sl_encap *e, const struct sl_encap_params *p);

/**
 * Whether an inner frame of @p inner_len bytes fits the tunnel's MTU.
 * Thread-safe (reads @p e only).
 */
static inline enum sl_encap_size
sl_encap_fit(const struct sl_encap *e, uint32_t inner_len)
{
	if (inner_len <= e->max_inner)
		return SL_ENCAP_FITS;
	return e->truncate ? SL_ENCAP_CUT : SL_ENCAP_TOO_BIG;
}

/**
 * The UDP source port of a flow with hash @p hash: the hash scaled onto
 * SL_TUN_SPORT_MIN..SL_TUN_SPORT_MAX (multiply-shift, as the kernel's
 * udp_flow_src_port()). Both directions of a flow have one hash in sluice,
 * so they take one port, one underlay path.
 */
static inline uint16_t
sl_encap_sport(uint32_t hash)
{
	return (uint16_t)(SL_TUN_SPORT_MIN +
			  (((uint64_t)hash * (SL_TUN_SPORT_MAX - SL_TUN_SPORT_MIN + 1)) >> 32));
}

/**
 * Write the outer headers for an inner frame of @p inner_len bytes (after
 * any cut: at most e->max_inner) into @p out, which holds e->len bytes and
 * is directly followed by the frame.
 *
 * @param cut   the frame was cut (SL_ENCAP_CUT): ERSPAN's T bit is set
 * @param hash  the flow hash: the UDP source port (VXLAN, GENEVE)
 * @param seq   the GRE sequence number (ERSPAN); ignored otherwise
 *
 * Thread-safety: reentrant; @p e is only read.
 */
void sl_encap_write(const struct sl_encap *e, void *out, uint32_t inner_len, bool cut,
		    uint32_t hash, uint32_t seq);

/** Name of a tunnel type ("vxlan", ...); "none" for SL_TUN_NONE, "unknown" out of range. */
const char *sl_tun_name(int tun);

#ifdef __cplusplus
}
#endif
#endif /* SL_ENCAP_H */
