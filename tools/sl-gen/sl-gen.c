/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sl-gen: deterministic traffic generator for sluice tests, the demo and the
 * benchmark. Writes a classic pcap (DLT_EN10MB) of bidirectional flows with
 * optional per-tenant 802.1Q tags and an outer 802.1ad tag, IP fragments and
 * a VXLAN or GRE envelope, and optionally the list of flows as TSV. This file
 * is the command line; the generator is in sl-gen-traffic.c, the output stage
 * (fragments, envelope, records) in sl-gen-emit.c.
 *
 * Exit codes: 0 ok, 1 I/O or allocation error, 2 usage error.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "sl-gen.h"

#define SL_GEN_EXIT_OK 0
#define SL_GEN_EXIT_IO 1
#define SL_GEN_EXIT_USAGE 2

enum opt_id {
	OPT_FLOWS = 256,
	OPT_TENANTS,
	OPT_VLAN_BASE,
	OPT_QINQ,
	OPT_IPV6,
	OPT_UDP,
	OPT_ICMP,
	OPT_FRAME,
	OPT_PACKETS,
	OPT_ORDER,
	OPT_SEED,
	OPT_FLOW_LIST,
	OPT_START_TIME,
	OPT_SNAPLEN,
	OPT_VXLAN,
	OPT_GRE,
	OPT_INNER_VLAN,
	OPT_FRAGMENT,
	OPT_FRAG_ORDER,
	OPT_FRAG_OVERLAP,
};

static const struct option long_opts[] = {
	{"output", required_argument, NULL, 'o'},
	{"help", no_argument, NULL, 'h'},
	{"flows", required_argument, NULL, OPT_FLOWS},
	{"tenants", required_argument, NULL, OPT_TENANTS},
	{"vlan-base", required_argument, NULL, OPT_VLAN_BASE},
	{"qinq", required_argument, NULL, OPT_QINQ},
	{"ipv6", required_argument, NULL, OPT_IPV6},
	{"udp", required_argument, NULL, OPT_UDP},
	{"icmp", required_argument, NULL, OPT_ICMP},
	{"frame", required_argument, NULL, OPT_FRAME},
	{"packets", required_argument, NULL, OPT_PACKETS},
	{"order", required_argument, NULL, OPT_ORDER},
	{"seed", required_argument, NULL, OPT_SEED},
	{"flow-list", required_argument, NULL, OPT_FLOW_LIST},
	{"start-time", required_argument, NULL, OPT_START_TIME},
	{"snaplen", required_argument, NULL, OPT_SNAPLEN},
	{"vxlan", required_argument, NULL, OPT_VXLAN},
	{"gre", required_argument, NULL, OPT_GRE},
	{"inner-vlan", no_argument, NULL, OPT_INNER_VLAN},
	{"fragment", required_argument, NULL, OPT_FRAGMENT},
	{"frag-order", required_argument, NULL, OPT_FRAG_ORDER},
	{"frag-overlap", no_argument, NULL, OPT_FRAG_OVERLAP},
	{NULL, 0, NULL, 0},
};

static void
usage(FILE *fp)
{
	fputs("Usage: sl-gen -o OUT.pcap [options]\n"
	      "Deterministic bidirectional flow generator (pcap, DLT_EN10MB).\n"
	      "\n"
	      "  -o, --output FILE      pcap to write (\"-\" = stdout)\n"
	      "      --flows N          bidirectional flows, 1..10000000 (default 100)\n"
	      "      --tenants T        VLAN tenants, flow i is in tenant i % T (default 1)\n"
	      "      --vlan-base V      tenant i uses VLAN V+i (default 100); 0 with one\n"
	      "                         tenant means untagged\n"
	      "      --qinq OUTER       add an outer 802.1ad tag OUTER (1..4094)\n"
	      "      --ipv6 PCT         percent of flows IPv6 (default 0)\n"
	      "      --udp PCT          percent of flows UDP (default 0)\n"
	      "      --icmp PCT         percent of flows ICMP echo (default 0); rest TCP\n"
	      "      --frame SIZE|imix  frame length 64..9000 without FCS (default 64), raised\n"
	      "                         to the header size if smaller; imix = 7:4:1 of\n"
	      "                         64/594/1518 per packet\n"
	      "      --packets K        packets per flow, alternating client/server starting\n"
	      "                         with the client, 1..1000000 (default 2)\n"
	      "      --order seq|interleave  flow after flow, or packet j of every flow\n"
	      "                         then j+1 (default interleave)\n"
	      "      --seed S           PRNG seed, 0..2^64-1 (default 1)\n"
	      "      --flow-list FILE   write the flows as TSV (\"-\" = stdout): flow_id tenant\n"
	      "                         vlan family proto src sport dst dport packets, then\n"
	      "                         tunnel_id with --vxlan/--gre and fragments (records\n"
	      "                         written for the flow) with --fragment\n"
	      "      --start-time SEC   timestamp of the first packet (default 1700000000);\n"
	      "                         packets are 1 us apart\n"
	      "      --snaplen N        snaplen in the pcap header, 64..262144 (default 65535)\n"
	      "\n"
	      "Tunnels (cloud traffic mirroring): every record, fragments included, in an\n"
	      "envelope that is the same for all packets but for lengths, the outer IPv4\n"
	      "checksum and the VNI or key: Ethernet 02:73:6c:00:00:0a > 02:73:6c:00:00:14,\n"
	      "IPv4 192.0.2.10 > 192.0.2.20 (id 0, DF, TTL 64). --frame sizes the inner frame.\n"
	      "      --vxlan VNI        UDP 49152 > 4789 (checksum 0), VXLAN flags 0x08;\n"
	      "                         tenant i uses VNI+i (VNI+T-1 <= 16777215); adds 50\n"
	      "                         bytes\n"
	      "      --gre KEY          GRE with key KEY+i (<= 4294967295), protocol 0x6558;\n"
	      "                         adds 42 bytes; excludes --vxlan\n"
	      "      --inner-vlan       keep the tenant VLAN (and --qinq) tags on the inner\n"
	      "                         frame; without it inner frames are untagged and\n"
	      "                         --vlan-base/--qinq are refused\n"
	      "\n"
	      "IP fragmentation, applied to the inner frame before any envelope:\n"
	      "      --fragment MTU     split IP datagrams larger than MTU (576..9000): IPv4\n"
	      "                         MF/offset with DF cleared, IPv6 fragment header with\n"
	      "                         a 32-bit identification; data a multiple of 8 bytes\n"
	      "                         but in the last fragment, frames not padded. The\n"
	      "                         identification is unique per flow direction\n"
	      "                         (--packets at most 131072)\n"
	      "      --frag-order in|reverse|interleave|drop-first\n"
	      "                         offset order (default); last fragment first; trains\n"
	      "                         of up to 4 consecutive fragmented datagrams of\n"
	      "                         different flows round-robin (a flow's records stay\n"
	      "                         in order); offset order without the offset-0 one\n"
	      "      --frag-overlap     add to each train an 8-byte fragment overlapping the\n"
	      "                         end of the second-to-last one with inverted bytes\n"
	      "\n"
	      "  -h, --help             show this help\n"
	      "\n"
	      "Exit status: 0 ok, 1 I/O error, 2 usage error.\n",
	      fp);
}

static int
bad_value(const char *opt, const char *arg, const char *want)
{
	fprintf(stderr, "sl-gen: %s: invalid value '%s' (expected %s)\n", opt, arg, want);
	return -EINVAL;
}

/* Strict unsigned decimal in [min, max]. */
static int
parse_u64(const char *opt, const char *arg, uint64_t min, uint64_t max, uint64_t *out)
{
	char want[80];
	char *end;
	unsigned long long v;

	snprintf(want, sizeof(want), "an integer in %" PRIu64 "..%" PRIu64, min, max);
	if (arg[0] < '0' || arg[0] > '9')
		return bad_value(opt, arg, want);
	errno = 0;
	v = strtoull(arg, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return bad_value(opt, arg, want);
	*out = v;
	return 0;
}

static int
parse_u32(const char *opt, const char *arg, uint32_t min, uint32_t max, uint32_t *out)
{
	uint64_t v;
	int ret = parse_u64(opt, arg, min, max, &v);

	if (ret == 0)
		*out = (uint32_t)v;
	return ret;
}

/* Percentage 0..100 with at most two decimals, returned in basis points. */
static int
parse_pct(const char *opt, const char *arg, uint32_t *bp)
{
	const char *want = "a percentage 0..100 with at most two decimals";
	const char *p = arg;
	uint32_t ip = 0, frac = 0;
	int digits = 0;

	for (; *p >= '0' && *p <= '9' && digits < 4; p++, digits++)
		ip = ip * 10 + (uint32_t)(*p - '0');
	if (digits == 0)
		return bad_value(opt, arg, want);
	if (*p == '.') {
		p++;
		for (digits = 0; *p >= '0' && *p <= '9' && digits < 2; p++, digits++)
			frac = frac * 10 + (uint32_t)(*p - '0');
		if (digits == 0)
			return bad_value(opt, arg, want);
		if (digits == 1)
			frac *= 10;
	}
	if (*p != '\0' || ip * 100 + frac > SL_GEN_PCT_SCALE)
		return bad_value(opt, arg, want);
	*bp = ip * 100 + frac;
	return 0;
}

static int
set_tunnel(const char *opt, const char *arg, enum sl_gen_tunnel type, uint32_t max,
	   struct sl_gen_opts *o)
{
	if (o->tunnel != SL_GEN_TUNNEL_NONE && o->tunnel != type) {
		fprintf(stderr, "sl-gen: --vxlan and --gre are mutually exclusive\n");
		return -EINVAL;
	}
	o->tunnel = type;
	return parse_u32(opt, arg, 0, max, &o->tunnel_base);
}

/* Checks of the tunnel and fragment options once all are known; an untagged
 * tunnel sets vlan_base to 0. */
static int
check_tunnel_frag(struct sl_gen_opts *o, bool vlan_base_given, bool frag_order_given)
{
	uint64_t max = o->tunnel == SL_GEN_TUNNEL_VXLAN ? SL_GEN_MAX_VNI : UINT32_MAX;

	if (o->tunnel == SL_GEN_TUNNEL_NONE && o->inner_vlan) {
		fprintf(stderr, "sl-gen: --inner-vlan needs --vxlan or --gre\n");
		return -EINVAL;
	}
	if (o->tunnel != SL_GEN_TUNNEL_NONE) {
		if ((uint64_t)o->tunnel_base + o->tenants - 1 > max) {
			fprintf(stderr, "sl-gen: --%s %" PRIu32 " with --tenants %" PRIu32
					" goes past %" PRIu64 "\n",
				o->tunnel == SL_GEN_TUNNEL_VXLAN ? "vxlan" : "gre",
				o->tunnel_base, o->tenants, max);
			return -EINVAL;
		}
		if (!o->inner_vlan) {
			if (vlan_base_given || o->qinq_outer != 0) {
				fprintf(stderr, "sl-gen: inner frames of a tunnel are untagged:"
						" --vlan-base and --qinq need --inner-vlan\n");
				return -EINVAL;
			}
			o->vlan_base = 0;
		}
	}
	if (o->frag_mtu == 0 && (frag_order_given || o->frag_overlap)) {
		fprintf(stderr, "sl-gen: --frag-order and --frag-overlap need --fragment\n");
		return -EINVAL;
	}
	if (o->frag_mtu != 0 && o->packets > SL_GEN_MAX_FRAG_PACKETS) {
		fprintf(stderr, "sl-gen: --fragment allows at most --packets %llu (IPv4"
				" identifications must not repeat in a flow direction)\n",
			SL_GEN_MAX_FRAG_PACKETS);
		return -EINVAL;
	}
	return 0;
}

static int
parse_args(int argc, char **argv, struct sl_gen_opts *o)
{
	bool vlan_base_given = false, frag_order_given = false;
	uint64_t records_per_packet = 1;
	int c, li = -1, ret = 0;

	*o = (struct sl_gen_opts){
		.flows = 100,
		.tenants = 1,
		.vlan_base = 100,
		.frame_size = 64,
		.packets = 2,
		.seed = 1,
		.start_time = 1700000000,
		.snaplen = 65535,
	};
	while (ret == 0 && (c = getopt_long(argc, argv, "ho:", long_opts, &li)) != -1) {
		char opt[32];

		snprintf(opt, sizeof(opt), "--%s", li >= 0 ? long_opts[li].name : "output");
		li = -1;
		switch (c) {
		case 'h':
			usage(stdout);
			return 1;
		case 'o':
			o->out_path = optarg;
			break;
		case OPT_FLOWS:
			ret = parse_u64(opt, optarg, 1, SL_GEN_MAX_FLOWS, &o->flows);
			break;
		case OPT_TENANTS:
			ret = parse_u32(opt, optarg, 1, SL_GEN_MAX_VLAN, &o->tenants);
			break;
		case OPT_VLAN_BASE:
			ret = parse_u32(opt, optarg, 0, SL_GEN_MAX_VLAN, &o->vlan_base);
			vlan_base_given = true;
			break;
		case OPT_QINQ:
			ret = parse_u32(opt, optarg, 1, SL_GEN_MAX_VLAN, &o->qinq_outer);
			break;
		case OPT_IPV6:
			ret = parse_pct(opt, optarg, &o->ipv6_bp);
			break;
		case OPT_UDP:
			ret = parse_pct(opt, optarg, &o->udp_bp);
			break;
		case OPT_ICMP:
			ret = parse_pct(opt, optarg, &o->icmp_bp);
			break;
		case OPT_FRAME:
			if (strcmp(optarg, "imix") == 0)
				o->frame_size = SL_GEN_FRAME_IMIX;
			else
				ret = parse_u32(opt, optarg, SL_GEN_MIN_FRAME, SL_GEN_MAX_FRAME,
						&o->frame_size);
			break;
		case OPT_PACKETS:
			ret = parse_u64(opt, optarg, 1, SL_GEN_MAX_PACKETS, &o->packets);
			break;
		case OPT_ORDER:
			if (strcmp(optarg, "seq") == 0)
				o->order_seq = true;
			else if (strcmp(optarg, "interleave") == 0)
				o->order_seq = false;
			else
				ret = bad_value(opt, optarg, "'seq' or 'interleave'");
			break;
		case OPT_SEED:
			ret = parse_u64(opt, optarg, 0, UINT64_MAX, &o->seed);
			break;
		case OPT_FLOW_LIST:
			o->flow_list_path = optarg;
			break;
		case OPT_START_TIME:
			ret = parse_u64(opt, optarg, 0, UINT32_MAX, &o->start_time);
			break;
		case OPT_SNAPLEN:
			ret = parse_u32(opt, optarg, 64, 262144, &o->snaplen);
			break;
		case OPT_VXLAN:
			ret = set_tunnel(opt, optarg, SL_GEN_TUNNEL_VXLAN, SL_GEN_MAX_VNI, o);
			break;
		case OPT_GRE:
			ret = set_tunnel(opt, optarg, SL_GEN_TUNNEL_GRE, UINT32_MAX, o);
			break;
		case OPT_INNER_VLAN:
			o->inner_vlan = true;
			break;
		case OPT_FRAGMENT:
			ret = parse_u32(opt, optarg, SL_GEN_MIN_FRAG_MTU, SL_GEN_MAX_FRAG_MTU,
					&o->frag_mtu);
			break;
		case OPT_FRAG_ORDER:
			frag_order_given = true;
			if (strcmp(optarg, "in") == 0)
				o->frag_order = SL_GEN_FRAG_IN;
			else if (strcmp(optarg, "reverse") == 0)
				o->frag_order = SL_GEN_FRAG_REVERSE;
			else if (strcmp(optarg, "interleave") == 0)
				o->frag_order = SL_GEN_FRAG_INTERLEAVE;
			else if (strcmp(optarg, "drop-first") == 0)
				o->frag_order = SL_GEN_FRAG_DROP_FIRST;
			else
				ret = bad_value(opt, optarg,
						"'in', 'reverse', 'interleave' or 'drop-first'");
			break;
		case OPT_FRAG_OVERLAP:
			o->frag_overlap = true;
			break;
		default: /* getopt_long already printed the reason */
			ret = -EINVAL;
			break;
		}
	}
	if (ret != 0)
		return ret;
	if (optind < argc) {
		fprintf(stderr, "sl-gen: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	if (o->out_path == NULL) {
		fprintf(stderr, "sl-gen: -o OUT.pcap is required\n");
		return -EINVAL;
	}
	if (o->udp_bp + o->icmp_bp > SL_GEN_PCT_SCALE) {
		fprintf(stderr, "sl-gen: --udp and --icmp add up to more than 100%%\n");
		return -EINVAL;
	}
	ret = check_tunnel_frag(o, vlan_base_given, frag_order_given);
	if (ret != 0)
		return ret;
	if (o->vlan_base == 0 && o->tenants > 1 &&
	    (o->tunnel == SL_GEN_TUNNEL_NONE || o->inner_vlan)) {
		fprintf(stderr, "sl-gen: --vlan-base 0 (untagged) allows only --tenants 1\n");
		return -EINVAL;
	}
	if (o->vlan_base + o->tenants - 1 > SL_GEN_MAX_VLAN) {
		fprintf(stderr, "sl-gen: --vlan-base %" PRIu32 " with --tenants %" PRIu32
				" goes past VLAN %d\n", o->vlan_base, o->tenants, SL_GEN_MAX_VLAN);
		return -EINVAL;
	}
	/* a datagram of at most SL_GEN_MAX_FRAME bytes bounds the fragments */
	if (o->frag_mtu != 0 && sl_gen_frag_count(o, 6, SL_GEN_MAX_FRAME) > 1)
		records_per_packet = sl_gen_frag_count(o, 6, SL_GEN_MAX_FRAME);
	if (o->start_time + o->flows * o->packets * records_per_packet / 1000000 > UINT32_MAX) {
		fprintf(stderr, "sl-gen: --start-time: timestamps would pass 2^32 seconds\n");
		return -EINVAL;
	}
	if (o->flow_list_path != NULL && strcmp(o->flow_list_path, "-") == 0 &&
	    strcmp(o->out_path, "-") == 0) {
		fprintf(stderr, "sl-gen: -o and --flow-list cannot both be stdout\n");
		return -EINVAL;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct sl_gen_opts o;
	pcap_t *p = NULL;
	pcap_dumper_t *d = NULL;
	FILE *list = NULL;
	uint8_t *attempts = NULL;
	int ret, rc = SL_GEN_EXIT_IO;

	ret = parse_args(argc, argv, &o);
	if (ret > 0)
		return SL_GEN_EXIT_OK; /* --help */
	if (ret < 0) {
		fprintf(stderr, "Try 'sl-gen --help' for more information.\n");
		return SL_GEN_EXIT_USAGE;
	}

	p = pcap_open_dead(DLT_EN10MB, (int)o.snaplen);
	if (p == NULL) {
		fprintf(stderr, "sl-gen: pcap_open_dead failed\n");
		goto out;
	}
	d = pcap_dump_open(p, o.out_path);
	if (d == NULL) {
		fprintf(stderr, "sl-gen: %s\n", pcap_geterr(p));
		goto out;
	}
	if (o.flow_list_path != NULL) {
		list = strcmp(o.flow_list_path, "-") == 0 ? stdout : fopen(o.flow_list_path, "w");
		if (list == NULL) {
			fprintf(stderr, "sl-gen: %s: %s\n", o.flow_list_path, strerror(errno));
			goto out;
		}
	}
	attempts = malloc(o.flows);
	if (attempts == NULL) {
		fprintf(stderr, "sl-gen: out of memory for %" PRIu64 " flows\n", o.flows);
		goto out;
	}

	ret = sl_gen_flows_generate(&o, attempts, list);
	if (ret == -EEXIST) {
		fprintf(stderr, "sl-gen: no unique 5-tuple found after %d attempts\n",
			SL_GEN_MAX_ATTEMPTS);
		goto out;
	}
	if (ret < 0) {
		fprintf(stderr, "sl-gen: flow generation: %s\n", strerror(-ret));
		goto out;
	}
	if (list != NULL) {
		int err = fflush(list) != 0 || ferror(list);

		if (list != stdout && fclose(list) != 0)
			err = 1;
		list = NULL;
		if (err) {
			fprintf(stderr, "sl-gen: %s: write failed\n", o.flow_list_path);
			goto out;
		}
	}

	ret = sl_gen_packets_generate(&o, attempts, d);
	if (ret < 0) {
		fprintf(stderr, "sl-gen: packet generation: %s\n", strerror(-ret));
		goto out;
	}
	if (pcap_dump_flush(d) != 0 || ferror(pcap_dump_file(d))) {
		fprintf(stderr, "sl-gen: %s: write failed\n", o.out_path);
		goto out;
	}
	rc = SL_GEN_EXIT_OK;
out:
	free(attempts);
	if (list != NULL && list != stdout)
		fclose(list);
	if (d != NULL)
		pcap_dump_close(d);
	if (p != NULL)
		pcap_close(p);
	return rc;
}
