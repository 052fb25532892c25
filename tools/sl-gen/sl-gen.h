/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sl-gen private interface between the command line (sl-gen.c) and the
 * flow and packet generator (sl-gen-traffic.c).
 */
#ifndef SL_GEN_H
#define SL_GEN_H

#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define SL_GEN_MAX_FLOWS 10000000ULL
#define SL_GEN_MAX_PACKETS 1000000ULL
#define SL_GEN_MIN_FRAME 64
#define SL_GEN_MAX_FRAME 9000
#define SL_GEN_MAX_VLAN 4094
#define SL_GEN_PCT_SCALE 10000 /* percentages are kept in basis points */
#define SL_GEN_FRAME_IMIX 0
#define SL_GEN_MAX_ATTEMPTS 255 /* regenerations of one colliding flow */

/* Validated options; see usage() in sl-gen.c. */
struct sl_gen_opts {
	const char *out_path;
	const char *flow_list_path; /* NULL: no flow list */
	uint64_t flows;
	uint32_t tenants;
	uint32_t vlan_base;   /* 0 with one tenant: untagged */
	uint32_t qinq_outer;  /* 0: no outer tag */
	uint32_t ipv6_bp;     /* basis points of flows that are IPv6 */
	uint32_t udp_bp;
	uint32_t icmp_bp;
	uint32_t frame_size;  /* SL_GEN_FRAME_IMIX or 64..9000 */
	uint64_t packets;     /* per flow */
	bool order_seq;
	uint64_t seed;
	uint64_t start_time;
	uint32_t snaplen;
};

/**
 * Derive every flow, regenerating tuples until they are unique per tenant,
 * and write the flow list (header and one TSV line per flow) to @list unless
 * it is NULL.
 *
 * @param attempts  caller-owned array of o->flows bytes, filled with each
 *                  flow's attempt counter for sl_gen_packets_generate().
 * @return 0, -ENOMEM, -EIO (flow list write) or -EEXIST (no unique tuple).
 */
int sl_gen_flows_generate(const struct sl_gen_opts *o, uint8_t *attempts, FILE *list);

/**
 * Stream all packets to @d in the order o->order_seq asks for.
 *
 * @return 0 or -ENOMEM; write errors are left for the caller to detect on
 *         the dumper's stream.
 */
int sl_gen_packets_generate(const struct sl_gen_opts *o, const uint8_t *attempts,
			    pcap_dumper_t *d);

#endif /* SL_GEN_H */
