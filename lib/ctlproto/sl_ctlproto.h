/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The control-socket protocol (analyzer-requested bypass): one JSON object
 * per line each way.
 *
 *     -> {"cmd":"bypass","proto":"tcp","src_ip":"10.0.0.1","src_port":1234,
 *         "dest_ip":"10.0.0.2","dest_port":80,"vlan":[100],"ttl":60}
 *     <- {"ok":true,"found":true}
 *     -> {"cmd":"ping"}
 *     <- {"ok":true,"tenant":"acme"}
 *     -> {"cmd":"reload-rules"}
 *     <- {"ok":true,"rules":12,"generation":5}
 *     -> garbage
 *     <- {"ok":false,"error":"request is not a JSON object"}
 *
 * sl_ctlproto_parse() turns one request line into a struct sl_ctl_request,
 * checking every field; sl_ctlproto_format_reply() writes one answer line.
 * What a request means for a tenant (its default VLAN and tunnel id, the
 * flow key) is decided by the caller (app/sluice/bypass.c). No DPDK, no
 * global state; nothing here prints or exits. Every input byte is
 * untrusted (tests/fuzz/fuzz_ctlproto.c).
 */
#ifndef SL_CTLPROTO_H
#define SL_CTLPROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Longest request line, newline included; a longer one is refused. */
#define SL_CTL_LINE_MAX 4096
/** Largest ttl accepted, seconds (a year). */
#define SL_CTL_TTL_MAX (86400.0 * 365)

/** Commands. */
enum sl_ctl_cmd {
	SL_CTL_PING = 0,  /**< liveness; answered with the tenant's name */
	SL_CTL_BYPASS,    /**< stop forwarding a flow (until it ends, or ttl) */
	SL_CTL_UNBYPASS,  /**< end a requested bypass */
	SL_CTL_RELOAD_RULES, /**< re-read the tenant's rules_file (reload) */
};

/** A parsed request. Fields other than cmd are set for bypass/unbypass only. */
struct sl_ctl_request {
	enum sl_ctl_cmd cmd;
	uint8_t family;        /**< 4 or 6: the family of src and dst */
	uint8_t proto;         /**< IP protocol number */
	uint8_t src[16];       /**< src_ip, network order (IPv4 in bytes 0-3) */
	uint8_t dst[16];       /**< dest_ip */
	uint16_t sport;        /**< src_port, 0 when absent */
	uint16_t dport;        /**< dest_port, 0 when absent */
	bool has_vlan;         /**< "vlan" given */
	uint8_t n_vlan;        /**< ids in vlan[] (0..2; 0 = an empty list: untagged) */
	uint16_t vlan[2];      /**< 1..4094, outermost first */
	bool has_tunnel_id;    /**< "tunnel_id" given */
	uint32_t tunnel_id;
	bool has_ttl;          /**< "ttl" given */
	double ttl;            /**< seconds, > 0 and <= SL_CTL_TTL_MAX */
};

/**
 * Parse one request line.
 *
 * Keys: "cmd" ("ping", "bypass", "unbypass", "reload-rules"); for bypass and unbypass
 * "src_ip" and "dest_ip" (IPv4 or IPv6 text, same family), "proto" ("tcp",
 * "udp", "sctp", "icmp", "icmp6"/"ipv6-icmp", case-insensitive, or
 * 0..255), optional "src_port"/"dest_port" (0..65535), "vlan" (1..4094 or
 * a list of up to two), "tunnel_id" (0..4294967295), "ttl" (seconds,
 * > 0). Unknown keys are ignored; duplicate keys are an error.
 *
 * @param line  the request, without its newline; need not be NUL-terminated
 * @param len   its length (at most SL_CTL_LINE_MAX)
 * @param rq    receives the request (zeroed first)
 * @param err   on failure, receives a static message for the client
 * @return 0, or -EINVAL (bad request, *err set), -EMSGSIZE (@p len too
 *         large), -ENOMEM (jansson could not allocate; *err set).
 *
 * Thread-safe; allocates and frees its own jansson objects.
 */
int sl_ctlproto_parse(const char *line, size_t len, struct sl_ctl_request *rq,
		      const char **err);

/** An answer. */
struct sl_ctl_reply {
	bool ok;
	const char *error;   /**< !ok: why (UTF-8) */
	const char *tenant;  /**< ok: "tenant" key when not NULL (UTF-8) */
	int found;           /**< ok: "found" key when 0 or 1; -1 = omitted */
	bool reloaded;       /**< ok: "rules" and "generation" keys (reload-rules) */
	uint32_t rules;      /**< rules now in force */
	uint32_t generation; /**< the tables' generation now */
};

/**
 * Format an answer as one JSON line, newline included, NUL-terminated.
 *
 * @return the line's length (newline included, NUL not), -EINVAL for NULL
 *         arguments or a string that is not UTF-8, -ENOSPC when it does not
 *         fit in @p size bytes, -ENOMEM.
 *
 * Thread-safe.
 */
int sl_ctlproto_format_reply(const struct sl_ctl_reply *r, char *buf, size_t size);

#ifdef __cplusplus
}
#endif
#endif /* SL_CTLPROTO_H */
