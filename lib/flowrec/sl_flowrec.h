/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Flow records: what sluice reports about a flow when it ends.
 *
 * Three parts, none of which depends on DPDK:
 *
 * - sl_community_id_v1(): the Community ID v1 of a flow tuple
 *   (https://github.com/corelight/community-id-spec), so that records can be
 *   joined with Zeek, Suricata and Arkime data about the same flow.
 * - sl_flowrec_json(): one record as a single line of JSON shaped like a
 *   Suricata EVE "flow" event, plus a "sluice" object with what the broker
 *   did with the flow.
 * - struct sl_sink: where the lines go (an append-only file, a Unix datagram
 *   socket, or the local syslog socket). A sink never blocks its writer: a
 *   record that cannot be written at once is refused with an error and the
 *   caller counts it as dropped. A file never keeps a cut record.
 *
 * Nothing here prints, logs or exits. Errors are negative errno values.
 */
#ifndef SL_FLOWREC_H
#define SL_FLOWREC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Buffer size (terminating NUL included) that always holds a Community ID v1:
 *  "1:" and the 28 base64 characters of a 20-byte SHA-1 digest. */
#define SL_COMMUNITY_ID_LEN 31

/**
 * Community ID v1 of a flow tuple.
 *
 * Hashes, with SHA-1 (OpenSSL libcrypto), the seed (2 bytes, network
 * order), both addresses, the protocol, a zero byte and, for TCP (6),
 * UDP (17), SCTP (132), ICMP (1) and ICMPv6 (58) only, the two ports
 * (network order); other protocols hash without ports and @p sport and
 * @p dport are ignored. Endpoints are put in order first (the smaller
 * address, or with equal addresses the smaller port, comes first), so both
 * directions of a flow give the same id.
 *
 * ICMP and ICMPv6 follow the spec's reference implementation (pycommunityid
 * icmp.py / icmp6.py, taken from Zeek): for a type that has a counterpart
 * (echo / echo reply, timestamp, information, address mask and router
 * solicitation / advertisement for ICMP; echo, MLD query / report, router
 * and neighbor solicitation / advertisement, who-are-you and home agent
 * address discovery for ICMPv6) the ports are (type, counterpart type) and
 * the code is ignored; any other type is one-way: the ports are
 * (type, code) and the endpoints are never swapped.
 *
 * @param seed    Community ID seed (0 is the spec's default)
 * @param family  4 or 6
 * @param saddr   source address, network order: 4 bytes for family 4,
 *                16 for family 6
 * @param daddr   destination address, same format
 * @param sport   source port, host order; the ICMP/ICMPv6 type for those
 * @param dport   destination port, host order; the ICMP/ICMPv6 code
 * @param proto   IP protocol number (IPv6: upper-layer next header)
 * @param out     receives "1:<base64 of the SHA-1 digest>", NUL-terminated
 * @param outlen  size of @p out; SL_COMMUNITY_ID_LEN is always enough
 * @return 0; -EINVAL for a NULL pointer or a family other than 4 and 6;
 *         -ENOSPC when @p outlen < SL_COMMUNITY_ID_LEN (@p out is then
 *         the empty string when @p outlen > 0); -ENOMEM when OpenSSL could
 *         not compute the digest (allocation failure).
 *
 * Thread-safe and reentrant; no state.
 */
int sl_community_id_v1(uint16_t seed, uint8_t family, const uint8_t *saddr,
		       const uint8_t *daddr, uint16_t sport, uint16_t dport, uint8_t proto,
		       char *out, size_t outlen);

/**
 * One flow record. The caller fills it and keeps ownership of every string;
 * sl_flowrec_json() only reads it. Strings must be valid UTF-8.
 */
struct sl_flowrec {
	uint64_t start_us;          /**< first packet, unix epoch, microseconds */
	uint64_t end_us;            /**< last packet (the record's "timestamp") */
	uint16_t tenant_id;         /**< tenant index */
	const char *tenant;         /**< tenant name; NULL: key omitted */
	uint8_t n_vlan;             /**< VLAN ids in @p vlan (0..2); 0: key omitted */
	uint16_t vlan[2];           /**< VLAN ids, outermost first */
	uint32_t tunnel_id;         /**< tunnel (VNI, GRE key...); 0 = none: key omitted */
	uint8_t family;             /**< 4, 6, or 0 (non-IP: addresses, ports,
				         proto, community_id and tcp omitted) */
	uint8_t proto;              /**< IP protocol number */
	uint16_t sport;             /**< source port, host order; ICMP type for ICMP */
	uint16_t dport;             /**< destination port; ICMP code for ICMP */
	uint8_t src[16];            /**< the side that sent the first packet seen,
				         network order; IPv4 in bytes 0-3 */
	uint8_t dst[16];            /**< the other side */
	uint64_t pkts_toserver;     /**< packets src -> dst */
	uint64_t pkts_toclient;     /**< packets dst -> src */
	uint64_t bytes_toserver;    /**< bytes src -> dst */
	uint64_t bytes_toclient;    /**< bytes dst -> src */
	uint64_t fwd_pkts;          /**< packets sent to an analyzer */
	uint64_t fwd_bytes;
	uint64_t bypass_pkts;       /**< packets not sent after the flow was bypassed */
	uint64_t bypass_bytes;
	uint64_t drop_pkts;         /**< packets dropped by policy */
	uint64_t drop_bytes;
	const char *pool;           /**< analyzer pool name; NULL: key omitted */
	int32_t member;             /**< pool member index; negative: key omitted */
	const char *action;         /**< "forward", "mirror", "bypass", "drop", "slice",
				         "sample-out"... free text; NULL: key omitted */
	const char *rule;           /**< rule name; NULL: key omitted */
	const char *reason;         /**< why the record was written: "timeout",
				         "tcp-closed", "shutdown", "evicted",
				         "bypass-ttl"... free text; NULL: key omitted */
	bool elephant;              /**< flow crossed the elephant threshold */
	bool bypassed;              /**< flow was bypassed */
	uint8_t tcp_flags_ts;       /**< TCP flags seen src -> dst (proto 6 only) */
	uint8_t tcp_flags_tc;       /**< TCP flags seen dst -> src (proto 6 only) */
	uint16_t community_id_seed; /**< seed of the record's community_id */
	const char *app_proto;      /**< detected application protocol as nDPI names
				         it ("TLS.Google", "DNS", "Unknown"); NULL: key
				         omitted (no detection) */
	const char *app_category;   /**< its nDPI category ("Web"); NULL: omitted */
	const char *sni;            /**< TLS/QUIC server name; NULL: omitted */
};

/**
 * Format one record as a single line of JSON, without a trailing newline,
 * NUL-terminated, into @p buf.
 *
 * Keys, in this order (those marked ? are omitted as described in struct
 * sl_flowrec):
 *
 *     {"timestamp":"2023-11-14T22:13:20.123456+0000",   end_us, UTC
 *      "event_type":"flow","tenant_id":3,"tenant":?"t",
 *      "vlan":?[100,200],"tunnel_id":?42,
 *      "src_ip":?"10.0.0.1","src_port":?1234,
 *      "dest_ip":?"10.0.0.2","dest_port":?80,
 *      "proto":?"TCP",                 "TCP" "UDP" "SCTP" "ICMP" "IPv6-ICMP",
 *                                      others the number as a string ("47")
 *      "icmp_type":?8,"icmp_code":?0,  instead of the ports for ICMP/ICMPv6
 *      "community_id":?"1:...",
 *      "app_proto":?"TLS.Google","app_category":?"Web",
 *      "sni":?"www.google.com",         application detection (lib/appid)
 *      "flow":{"pkts_toserver":..,"pkts_toclient":..,"bytes_toserver":..,
 *              "bytes_toclient":..,"start":"ISO8601","end":"ISO8601",
 *              "age":<whole seconds of end minus whole seconds of start,
 *                     as EVE>,
 *              "reason":?"timeout","elephant":false,"bypassed":false},
 *      "sluice":{"forwarded":{"pkts":..,"bytes":..},
 *                "bypassed":{"pkts":..,"bytes":..},
 *                "dropped":{"pkts":..,"bytes":..},
 *                "pool":?"p","member":?2,"action":?"forward","rule":?"r"},
 *      "tcp":?{"tcp_flags":"1b","tcp_flags_ts":"1b","tcp_flags_tc":"00"}}
 *
 * Ports are present only for TCP, UDP and SCTP (other IP protocols have
 * none). "tcp" is present only for TCP; "tcp_flags" is the union of both
 * directions, as in EVE; flags are two lowercase hex digits. IPv6
 * addresses use the RFC 5952 text form (inet_ntop). Counters above
 * INT64_MAX are written as INT64_MAX (JSON integers are signed 64-bit in
 * jansson).
 *
 * @param r    the record (read only)
 * @param buf  receives the line and a terminating NUL
 * @param len  size of @p buf
 * @return length of the line (without the NUL); -EINVAL for NULL
 *         arguments, a family other than 0, 4 and 6, n_vlan > 2, or a
 *         string that is not valid UTF-8; -ENOSPC when the line and its NUL
 *         do not fit in @p len bytes (@p buf content is then unspecified);
 *         -ENOMEM when an allocation failed.
 *
 * Thread-safe, no shared state. Writes straight into @p buf; the Community
 * ID's SHA-1 goes through OpenSSL's one-shot EVP_Digest(), which allocates:
 * to format many records, use sl_flowrec_format() with a context.
 */
int sl_flowrec_json(const struct sl_flowrec *r, char *buf, size_t len);

/** Reusable state for formatting many records on one thread (opaque). */
struct sl_flowrec_ctx;

/**
 * Create a formatting context: an OpenSSL SHA-1 context fetched once and
 * reinitialised for each record, and the text of the last two seconds
 * formatted.
 *
 * @param out  receives the context; free it with sl_flowrec_ctx_free()
 * @return 0, -EINVAL for NULL @p out, -ENOMEM.
 */
int sl_flowrec_ctx_new(struct sl_flowrec_ctx **out);

/** Free a context (NULL accepted). */
void sl_flowrec_ctx_free(struct sl_flowrec_ctx *ctx);

/**
 * sl_flowrec_json() with a context: the same bytes, the same errors, and
 * no allocation at all (records.c formats up to millions of records at
 * shutdown, docs/performance.md).
 *
 * @param ctx  a context from sl_flowrec_ctx_new(), or NULL (then exactly
 *             sl_flowrec_json())
 *
 * Not thread-safe for one @p ctx: one context per thread.
 */
int sl_flowrec_format(struct sl_flowrec_ctx *ctx, const struct sl_flowrec *r, char *buf,
		      size_t len);

/** Kinds of record destination. */
enum sl_sink_kind {
	SL_SINK_FILE = 0,  /**< append-only file, one record per line */
	SL_SINK_UNIX_DGRAM, /**< Unix datagram socket, one record per datagram */
	SL_SINK_SYSLOG,    /**< local syslog socket, one record per message */
	SL_SINK_KIND_MAX,
};

/** An open record destination (opaque). */
struct sl_sink;

/**
 * Open a sink.
 *
 * - SL_SINK_FILE: @p path is opened
 *   O_WRONLY|O_APPEND|O_CREAT|O_CLOEXEC|O_NONBLOCK with mode 0640 (less the
 *   umask). O_NONBLOCK changes nothing for a regular file; it keeps a FIFO
 *   without a reader from blocking the open (that fails with -ENXIO).
 *   Writes to a regular file may still wait for the disk: a file sink
 *   cannot be made fully non-blocking.
 * - SL_SINK_UNIX_DGRAM: a non-blocking AF_UNIX SOCK_DGRAM socket connected
 *   to @p path. When no socket is bound at @p path yet (ENOENT,
 *   ECONNREFUSED) the open succeeds anyway; each sl_sink_write() retries
 *   the connection and fails with that error until the peer exists.
 * - SL_SINK_SYSLOG: like SL_SINK_UNIX_DGRAM, to /dev/log, or to @p path
 *   when it is not NULL (tests). Each record is one datagram in the BSD
 *   format that glibc's syslog(3) sends to the local daemon (RFC 3164
 *   without HOSTNAME, which the local daemon adds):
 *   "<PRI>Mmm dd hh:mm:ss sluice[pid]: <record>", PRI = @p facility |
 *   LOG_INFO, timestamp in local time. rsyslog, syslog-ng and journald
 *   all parse it.
 *
 * @param kind      destination kind
 * @param path      file or socket path (copied); required except for
 *                  SL_SINK_SYSLOG; sockets: shorter than 108 bytes
 * @param facility  SL_SINK_SYSLOG only: a syslog.h facility (LOG_LOCAL0,
 *                  LOG_DAEMON... the shifted value); ignored otherwise
 * @param out       receives the sink; the caller owns it and frees it
 *                  with sl_sink_close()
 * @param err       receives a message on failure (may be NULL)
 * @param errlen    size of @p err
 * @return 0; -EINVAL for a bad kind, facility or NULL argument;
 *         -ENAMETOOLONG for a socket path too long; -ENOMEM; or the
 *         -errno of open(), socket() or connect() (any connect() error
 *         other than ENOENT and ECONNREFUSED fails the open).
 */
int sl_sink_open(enum sl_sink_kind kind, const char *path, int facility, struct sl_sink **out,
		 char *err, size_t errlen);

/**
 * Write one record. Never waits for a socket peer.
 *
 * Files: as sl_sink_write_lines() with one line: the record and '\n' go
 * whole or not at all (a short write is truncated away).
 * Sockets: one datagram of @p line (syslog: header and @p line), sent with
 * MSG_DONTWAIT. A full receive queue gives -EAGAIN; a peer that went away
 * gives -ECONNREFUSED (or -ENOENT, -ENOTCONN), after which the next write
 * connects again, so a restarted receiver gets records without a reopen.
 * A record too large for one datagram gives -EMSGSIZE.
 *
 * @param s     the sink
 * @param line  the record, without newline; need not be NUL-terminated
 * @param len   its length in bytes
 * @return 0 when the whole record was written; a negative errno when it was
 *         not (the caller counts it as dropped); -EINVAL for NULL @p s or
 *         @p line.
 *
 * Not thread-safe: one thread at a time per sink (the control thread).
 */
int sl_sink_write(struct sl_sink *s, const char *line, size_t len);

/**
 * Write many records at once, each a whole line ending in '\n' (records
 * contain no other newline). Never waits for a socket peer.
 *
 * Files: one write() of the whole buffer (continued while the kernel takes
 * part of it). When it stops short (disk full, file size limit), the file
 * is truncated back to the end of the last whole line written, so a
 * reader never sees a cut record; if the file cannot be truncated (a FIFO,
 * a device) the next write starts with a '\n' so that the partial line
 * stays alone on its line. Sockets: one datagram per line (without its
 * newline; syslog: with its header), sent with sendmmsg() up to 64 at a
 * time, MSG_DONTWAIT; sending stops at the first datagram refused.
 *
 * @param s        the sink
 * @param buf      whole lines
 * @param len      bytes in @p buf
 * @param written  receives the number of whole lines written (may be NULL)
 * @return 0 when every line was written, else the negative errno of the
 *         first failure (-ENOSPC, -EFBIG, -EAGAIN, -ECONNREFUSED, -EIO when
 *         a cut line could not be taken back...); -EINVAL for NULL @p s or
 *         @p buf, or a buffer that does not end in '\n'.
 *
 * Not thread-safe: one thread at a time per sink.
 */
int sl_sink_write_lines(struct sl_sink *s, const char *buf, size_t len, unsigned int *written);

/**
 * Write whole lines to a file descriptor (the stats file): one write()
 * continued while the kernel takes part of it; on failure a regular file
 * is truncated back to the end of the last whole line written.
 *
 * @param fd    an open descriptor (O_APPEND for a shared file)
 * @param buf   whole lines, the last one ending in '\n'
 * @param len   bytes in @p buf
 * @param kept  receives the bytes of whole lines that stayed (may be NULL)
 * @return 0, or the negative errno of the failure; -EIO when a cut line
 *         could not be taken back (the descriptor is not a regular file,
 *         or ftruncate() failed); -EINVAL for bad arguments.
 *
 * Thread-safe for distinct descriptors.
 */
int sl_write_lines_fd(int fd, const char *buf, size_t len, size_t *kept);

/**
 * Reopen a sink (on SIGHUP, after logrotate renamed the file). Files: the
 * path is opened again and, on success, replaces the old descriptor; on
 * failure the old descriptor stays in use (records keep going to the
 * renamed file) and the error is returned. Sockets: the socket is replaced
 * by a new one and connected again; a peer that is absent is not an error
 * (as for sl_sink_open()).
 *
 * @return 0 or a negative errno; -EINVAL for NULL @p s.
 *
 * Not thread-safe with other calls on the same sink.
 */
int sl_sink_reopen(struct sl_sink *s);

/** Close a sink and free it (NULL accepted). Not thread-safe with other calls on it. */
void sl_sink_close(struct sl_sink *s);

/**
 * Name of a kind: "file", "unix-dgram", "syslog"; NULL when out of range.
 * The string is static. Thread-safe.
 */
const char *sl_sink_kind_name(enum sl_sink_kind k);

#ifdef __cplusplus
}
#endif
#endif /* SL_FLOWREC_H */
