/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * sluice configuration: YAML (libyaml) loader and validator.
 *
 * sl_config_load() reads one YAML file into a struct sl_cfg and validates it
 * statically: every error names FILE:LINE:COLUMN, the key path and the
 * reason, e.g.
 *
 *     sluice.yaml:14:15: tenants[1].match.vlan[0]: VLAN 120 overlaps tenant 'acme' (sluice.yaml:6:15)
 *
 * KEY is the dotted path of the offending node ("(root)" for the top level,
 * "syntax" for YAML syntax errors); a missing key is reported at its parent
 * mapping. The schema and every message are in docs/configuration.md.
 *
 * Checks done here: YAML syntax, unknown keys, wrong types, out-of-range
 * values, duplicate names, duplicate/overlapping VLANs, QinQ pairs and
 * untagged matches across VLAN tenants (per input port), overlapping tunnel
 * ids (VNI, GRE key, ERSPAN session id) across tunnel tenants, tunnel UDP
 * ports listed twice or for both VXLAN and GENEVE, fragments.tenant_max_held
 * above fragments.max_held, a pool's retag_vlan without strip: outer-retag
 * (or missing with it), a remote member's keys against its tunnel type
 * (ids, ports, addresses of one family, MAC addresses, MTU, oversize),
 * references to unknown outputs/inputs/tenants/pools,
 * PCI devices absent from sysfs, vdev drivers this DPDK does not have,
 * lcores beyond the CPUs this process may run on.
 * Checks that need a probed port (queue counts) are done by the app after
 * EAL init, reported with the location kept in struct sl_cfg_loc.
 *
 * Ownership: the returned struct sl_cfg is heap-allocated and owned by the
 * caller; free it with sl_config_free(). Not thread-safe; call at start-up.
 */
#ifndef SL_CONFIG_H
#define SL_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SL_NAME_MAX 64
#define SL_PATH_MAX 512
#define SL_MAX_LCORES 128
#define SL_MAX_INPUTS 32
#define SL_MAX_OUTPUTS 256
#define SL_MAX_TENANTS 1024
#define SL_MAX_POOLS_PER_TENANT 16
#define SL_MAX_MEMBERS_PER_POOL 256
#define SL_MAX_EAL_ARGS 64
#define SL_UNTAGGED_VLAN 4096 /**< pseudo VLAN id of untagged traffic */
#define SL_MAX_TUNNEL_DEPTH 8     /**< most encapsulation layers removed */
#define SL_MAX_VXLAN_PORTS 8
#define SL_MAX_GENEVE_PORTS 4
#define SL_VNI_MAX 16777215u      /**< 24-bit VXLAN/GENEVE VNI */
#define SL_GRE_KEY_MAX 4294967295u /**< 32-bit GRE key */
#define SL_ERSPAN_ID_MAX 1023u    /**< 10-bit ERSPAN session id */

/** Where a value came from in the file (1-based). */
struct sl_cfg_loc {
	int line;
	int col;
};

/** Distribution mode of an input. */
enum sl_dist_mode {
	SL_DIST_AUTO = 0, /**< rss when the port can do symmetric RSS, else software */
	SL_DIST_RSS,      /**< NIC spreads flows over one RX queue per worker */
	SL_DIST_SOFTWARE, /**< RX stage hashes and hands packets to workers by ring */
};

/** Which fields a pool hashes to pick a member. */
enum sl_hash_fields {
	SL_HASH_5TUPLE = 0, /**< addresses, ports, protocol (default) */
	SL_HASH_3TUPLE,     /**< addresses, protocol */
	SL_HASH_2TUPLE,     /**< addresses */
};

/** What a tenant does with non-IP frames (ARP, LLDP, ...). */
enum sl_non_ip_action {
	SL_NON_IP_MEMBER0 = 0, /**< member 0 of the default pool (default) */
	SL_NON_IP_DROP,        /**< drop, counted as filtered */
};

/** What a tenant does with packets whose L3/L4 headers are malformed. */
enum sl_malformed_action {
	SL_MALFORMED_FORWARD = 0, /**< steer by what was parsed (default) */
	SL_MALFORMED_DROP,        /**< drop, counted by parse error class */
};

/** What a pool's members receive of a tunnelled packet. */
enum sl_strip_mode {
	SL_STRIP_NONE = 0,    /**< the packet unchanged, as received (default) */
	SL_STRIP_OUTER,       /**< every encapsulation removed: the innermost
	                           Ethernet frame (built by sluice when the
	                           innermost payload is IP without Ethernet) */
	SL_STRIP_OUTER_RETAG, /**< as SL_STRIP_OUTER, then tagged with the
	                           pool's retag_vlan */
	SL_STRIP_OUTER_KEEP_VLAN, /**< as SL_STRIP_OUTER, then tagged with the outer
	                               frame's VLAN (the tenant VLAN), if it had one */
};

/**
 * A shared-memory ring output (lib/shmring): a region file that a program
 * without DPDK maps and reads (docs/shmring.md).
 */
struct sl_cfg_ring {
	char path[SL_PATH_MAX];  /**< region file, on tmpfs or hugetlbfs */
	uint32_t frame_size;     /**< bytes per frame, a power of two (default 2048) */
	uint32_t frames;         /**< frames, a power of two (default 4096) */
	uint32_t heartbeat_ms;   /**< consumer silent this long: member down (default 1000) */
};

/** A port: exactly one of pci or vdev (or, for an output, ring) is given. */
struct sl_cfg_port {
	char name[SL_NAME_MAX];
	char pci[SL_NAME_MAX];  /**< PCI address "0000:03:00.0" */
	char vdev[SL_PATH_MAX]; /**< vdev string "net_pcap0,rx_pcap=x.pcap" */
	struct sl_cfg_ring ring; /**< outputs: ring.path non-empty for a ring output */
	uint16_t queues;        /**< inputs: RX queues (0 = one per worker);
	                             outputs: member-addressable TX queues (default 1) */
	enum sl_dist_mode dist; /**< inputs only */
	struct sl_cfg_loc loc;
};

/** The tunnel a remote member is reached by (remote.encap). */
enum sl_remote_encap {
	SL_REMOTE_NONE = 0, /**< a local member: frames go out as they are */
	SL_REMOTE_VXLAN,
	SL_REMOTE_GENEVE,
	SL_REMOTE_GRE,      /**< transparent Ethernet bridging, optional key */
	SL_REMOTE_ERSPAN2,  /**< ERSPAN type II */
	SL_REMOTE_ERSPAN3,  /**< ERSPAN type III */
};

/**
 * A remote member: an analyzer on another host. Its frames are
 * encapsulated (lib/encap) and sent through the member's output to dst.
 */
struct sl_cfg_remote {
	enum sl_remote_encap encap; /**< SL_REMOTE_NONE: not remote */
	uint8_t family;          /**< 4 or 6: of src and dst */
	bool has_id;             /**< vni, key or session given */
	bool id_is_tenant;       /**< ... as 'tenant': id is the tenant's id */
	bool has_src_mac;        /**< else the output port's MAC address */
	bool truncate;           /**< oversize: truncate (ERSPAN only), else drop */
	uint32_t id;             /**< VNI, GRE key or ERSPAN session id (resolved) */
	uint16_t port;           /**< VXLAN/GENEVE UDP destination port */
	uint16_t mtu;            /**< largest outer IP packet (default 1500) */
	uint8_t dscp;            /**< 0..63 (default 0) */
	uint8_t ttl;             /**< 1..255 (default 64) */
	uint8_t src[16], dst[16]; /**< outer addresses, network order */
	uint8_t src_mac[6];      /**< with has_src_mac */
	uint8_t dst_mac[6];      /**< the next hop's MAC address */
};

/** A pool member: an output port, and optionally one queue of it; remote
 * when its frames go inside a tunnel to an analyzer on another host. */
struct sl_cfg_member {
	char output[SL_NAME_MAX];
	int32_t queue; /**< -1: the whole port (per-worker TX queues) */
	uint16_t output_idx; /**< resolved index into sl_cfg::outputs */
	struct sl_cfg_remote remote; /**< remote.encap SL_REMOTE_NONE: local */
	struct sl_cfg_loc loc;
};

/**
 * Depth bypass: once a flow has carried this much, the rest of it is counted
 * but not forwarded (as Suricata's stream depth + bypass). Bytes are frame
 * bytes as received. A packet is forwarded when the flow (or its direction,
 * with per_direction) had carried less than the limit before it; 0 = no limit.
 */
struct sl_cfg_depth {
	uint64_t bytes;
	uint64_t packets;
	bool per_direction;  /**< limits apply to each direction separately */
};

/** What happens to the flows of a pool member that goes down. */
enum sl_member_down_action {
	SL_DOWN_RESTEER = 0, /**< move them to a surviving member (default) */
	SL_DOWN_DROP,        /**< drop their packets until the member is back (counted) */
};

struct sl_cfg_pool {
	char name[SL_NAME_MAX];
	struct sl_cfg_depth depth; /**< for flows this pool gets by default */
	enum sl_hash_fields hash;
	enum sl_member_down_action on_member_down;
	enum sl_strip_mode strip;
	uint16_t retag_vlan;     /**< 1..4094 with SL_STRIP_OUTER_RETAG, else 0 */
	uint16_t n_members;
	struct sl_cfg_member *members;
	struct sl_cfg_loc loc;
};

struct sl_cfg_vlan_range {
	uint16_t lo, hi; /**< inclusive, 1..4094 */
	struct sl_cfg_loc loc;
};

struct sl_cfg_qinq {
	uint16_t outer, inner;
	struct sl_cfg_loc loc;
};

/** A range of tunnel ids (VNI, GRE key or ERSPAN session id), inclusive. */
struct sl_cfg_id_range {
	uint32_t lo, hi;
	struct sl_cfg_loc loc;
};

/** What a policy rule does with the flows it matches. */
enum sl_rule_action {
	SL_ACT_FORWARD = 0, /**< to one pool (default: the tenant's default pool) */
	SL_ACT_MIRROR,      /**< to every listed pool, each balanced on its own */
	SL_ACT_BYPASS,      /**< counted as bypassed, not forwarded */
	SL_ACT_DROP,        /**< counted as filtered (policy_drop), not forwarded */
	SL_ACT_SLICE,       /**< forwarded cut to `slice` bytes */
	SL_ACT_SAMPLE,      /**< 1 flow in `sample` forwarded, the others bypassed */
	SL_ACT_STEER,       /**< app rules: to `pools` once the application is known */
	SL_ACT_BYPASS_HS,   /**< app rules: forwarded until the TLS/QUIC handshake
				 ended in both directions, then bypassed */
	SL_ACT_MAX
};

#define SL_MAX_RULE_POOLS 4       /**< pools one rule may name (mirror) */
#define SL_MAX_APP_NAMES 8        /**< names one app key of a rule lists */
#define SL_APP_SNI_MAX 80         /**< bytes of a server name pattern, NUL included */
#define SL_MAX_APP_RULES_PER_TENANT 256 /**< rules with app, category or sni */

/**
 * What a rule asks of application detection (lib/appid, nDPI): a rule with
 * one is an "app rule", decided once detection has an answer. Each list
 * matches when any of its entries does (an empty one matches anything);
 * the lists are ANDed with each other and with the rule's 5-tuple.
 */
struct sl_cfg_app_match {
	uint8_t n_apps, n_cats, n_sni;
	uint16_t apps[SL_MAX_APP_NAMES];  /**< nDPI protocol ids (master or application) */
	uint16_t cats[SL_MAX_APP_NAMES];  /**< nDPI category ids */
	/** server names, lowercase: "www.example.com", or "*.example.com"
	 * for any name under example.com */
	char sni[SL_MAX_APP_NAMES][SL_APP_SNI_MAX];
	struct sl_cfg_loc loc;            /**< of the rule's match */
};
#define SL_MAX_RULES_PER_TENANT 65535 /**< a flow entry keeps rule index + 1 in 16 bits */

/** An address prefix; family 0 = any address. */
struct sl_cfg_cidr {
	uint8_t family;   /**< 0, 4 or 6 */
	uint8_t prefix;   /**< 0..32 or 0..128 */
	uint8_t addr[16]; /**< network order, host bits cleared */
};

/** One policy rule. Match fields are ANDed; ranges are inclusive. */
struct sl_cfg_rule {
	char name[SL_NAME_MAX];       /**< "" when not given (then "rule<N>") */
	struct sl_cfg_cidr src, dst;  /**< either side: a flow matches in either direction */
	uint16_t sport_lo, sport_hi;  /**< default 0..65535 */
	uint16_t dport_lo, dport_hi;
	int16_t proto;                /**< -1 = any */
	uint16_t vlan_lo, vlan_hi;    /**< outer VLAN, SL_UNTAGGED_VLAN = untagged; default any */
	uint16_t input_lo, input_hi;  /**< input index; default any */
	enum sl_rule_action action;
	uint8_t n_pools;
	uint8_t pools[SL_MAX_RULE_POOLS]; /**< pool indexes (forward, slice, sample: 1; mirror: 2+) */
	uint32_t slice;               /**< SL_ACT_SLICE: bytes kept, 14..65535 */
	uint32_t sample;              /**< SL_ACT_SAMPLE: 1 flow in N, 2..1000000 */
	bool has_depth;               /**< depth given: overrides the pool's */
	struct sl_cfg_depth depth;
	uint16_t app;                 /**< an app rule: 1 + its index in the tenant's
					   app_matches; 0: a port rule */
	struct sl_cfg_loc loc;
};

/** What happens to a flow found to be an elephant. */
enum sl_elephant_action {
	SL_ELEPHANT_KEEP = 0, /**< flagged and counted only */
	SL_ELEPHANT_BYPASS,   /**< the rest of the flow is bypassed */
	SL_ELEPHANT_SLICE,    /**< the rest of the flow is sliced */
};

/** Elephant detection: a flow whose rate over one window reaches the threshold. */
struct sl_cfg_elephant {
	uint64_t bytes_per_sec;   /**< 0 = off; from rate_mbps */
	uint32_t window_ms;       /**< 10..60000, default 1000 */
	enum sl_elephant_action action;
	uint32_t slice;           /**< SL_ELEPHANT_SLICE: bytes kept */
};

/** What happens to a tenant's new flows once it holds max_flows entries. */
enum sl_quota_action {
	SL_QUOTA_FORWARD = 0, /**< forwarded by hash without an entry (default) */
	SL_QUOTA_DROP,        /**< dropped, counted flow_quota */
};

/**
 * A tenant's rate meter (rte_meter), applied as soon as the tenant is known:
 * what exceeds it is dropped, counted rate_exceeded. 0 = no limit.
 */
struct sl_cfg_rate {
	uint64_t pps;            /**< packets per second */
	uint64_t bytes_per_sec;  /**< from mbps */
	uint64_t burst;          /**< packets that may come at once (default: 100 ms of pps) */
	uint64_t burst_bytes;    /**< bytes that may come at once (default: 100 ms of mbps) */
	struct sl_cfg_loc loc;
};

/**
 * De-duplication of a tenant's packets: a copy of a packet seen within the
 * window (SPAN of ingress and egress, two mirrored interfaces) is dropped,
 * counted duplicate. Each worker keeps a table of @p table entries for the
 * tenant, made at start.
 */
struct sl_cfg_dedup {
	uint32_t window_us;      /**< 0: off; else 1..SL_CFG_DEDUP_WINDOW_MAX_US */
	uint32_t table;          /**< entries per worker (SL_CFG_DEDUP_TABLE_MIN..MAX) */
	struct sl_cfg_loc loc;   /**< of the dedup: mapping; 0:0 if absent */
};
#define SL_CFG_DEDUP_WINDOW_US 10000      /**< default window: 10 ms */
#define SL_CFG_DEDUP_WINDOW_MAX_US 1000000 /**< at most 1 s */
#define SL_CFG_DEDUP_TABLE 65536          /**< default entries per worker */
/* the same as SL_DEDUP_MIN_ENTRIES / SL_DEDUP_MAX_ENTRIES (lib/dedup),
 * pinned by the app */
#define SL_CFG_DEDUP_TABLE_MIN 64
#define SL_CFG_DEDUP_TABLE_MAX (1u << 22)

/** Where a tenant's flow records go. */
enum sl_records_kind {
	SL_RECORDS_NONE = 0,
	SL_RECORDS_FILE,      /**< JSON lines appended to a file, reopened on SIGHUP */
	SL_RECORDS_UNIX,      /**< one datagram per record to a Unix datagram socket */
	SL_RECORDS_SYSLOG,    /**< one syslog message per record to /dev/log */
};

struct sl_cfg_records {
	enum sl_records_kind kind;
	char path[SL_PATH_MAX];   /**< file or socket path */
	int facility;             /**< syslog facility (LOG_LOCAL0 ...) */
};

/** A tenant's control socket (analyzer-requested bypass). */
struct sl_cfg_control {
	char socket[SL_PATH_MAX]; /**< "" = none */
	uint32_t mode;            /**< permission bits, default 0660 */
	int64_t uid;              /**< owner (name resolved at load), -1 = sluice's user */
	int64_t gid;              /**< group (name resolved at load), -1 = sluice's group */
	uint32_t max_clients;     /**< connections at once, 1..1024, default 16 */
	uint32_t idle_timeout_ms; /**< a client silent this long is disconnected,
	                               1 ms..1 day, default 300 s */
	uint32_t rate;            /**< requests per second (the tenant's clients
	                               together, bursts of as many), default 10000 */
};

struct sl_cfg_tenant {
	char name[SL_NAME_MAX];
	uint16_t id;             /**< operator's id, unique, used in telemetry */
	uint16_t n_vlans;
	struct sl_cfg_vlan_range *vlans;
	uint16_t n_qinq;
	struct sl_cfg_qinq *qinq;
	bool untagged;           /**< untagged frames belong to this tenant */
	/*
	 * Tunnel ids of the outermost tunnel that carries one. A tenant with any
	 * of them is a tunnel tenant: its vlans are then a filter on the outer
	 * VLAN (ANDed with the tunnel id), not a claim, and it has no qinq and
	 * no untagged. See sl_config_tenant_is_tunnel().
	 */
	uint16_t n_vni;
	struct sl_cfg_id_range *vni;       /**< VXLAN/GENEVE VNI, 0..SL_VNI_MAX */
	uint16_t n_gre_key;
	struct sl_cfg_id_range *gre_key;   /**< GRE key, 0..SL_GRE_KEY_MAX */
	uint16_t n_erspan_id;
	struct sl_cfg_id_range *erspan_id; /**< ERSPAN session id, 0..SL_ERSPAN_ID_MAX */
	uint16_t n_inputs;       /**< 0: every input */
	uint16_t *inputs;        /**< indexes into sl_cfg::inputs */
	enum sl_non_ip_action non_ip;
	enum sl_malformed_action malformed;
	uint16_t n_pools;
	struct sl_cfg_pool *pools;
	uint16_t default_pool;   /**< index into pools */
	uint32_t n_rules;
	struct sl_cfg_rule *rules;   /**< ordered: the first match wins */
	uint16_t n_app_rules;        /**< rules with app, category or sni: detection
					  runs for this tenant only when > 0 */
	struct sl_cfg_app_match *app_matches; /**< n_app_rules, in rule order */
	uint32_t max_rules;          /**< limit on n_rules, default 4096 */
	uint64_t acl_memory;         /**< limit on the rule classifier's memory, bytes */
	struct sl_cfg_loc rules_loc; /**< of the rules: list; 0:0 if absent */
	/** A file holding the rules instead ("" = none; relative paths are
	 * resolved against the configuration's directory): it may set
	 * 'rules' only, and is re-read alone by the tenant's reload-rules. */
	char rules_file[SL_PATH_MAX];
	struct sl_cfg_loc rules_file_loc; /**< of the rules_file key's value */
	struct sl_cfg_elephant elephant;
	/** Flow entries the tenant may hold over all workers (0 = no bound):
	 * also a reservation, see docs/architecture.md "Tenant isolation". */
	uint32_t max_flows;
	struct sl_cfg_loc max_flows_loc;
	enum sl_quota_action on_flow_quota;
	struct sl_cfg_rate rate;
	struct sl_cfg_dedup dedup;
	struct sl_cfg_records records;
	struct sl_cfg_control control;
	struct sl_cfg_loc loc;
};

/** Encapsulations the parser removes to find the flow. */
struct sl_cfg_tunnels {
	uint8_t max_depth;        /**< 0..SL_MAX_TUNNEL_DEPTH; 0 = never decapsulate */
	uint8_t n_vxlan_ports;    /**< 1..SL_MAX_VXLAN_PORTS */
	uint16_t vxlan_ports[SL_MAX_VXLAN_PORTS];   /**< UDP destination ports */
	uint8_t n_geneve_ports;   /**< 1..SL_MAX_GENEVE_PORTS */
	uint16_t geneve_ports[SL_MAX_GENEVE_PORTS]; /**< UDP destination ports */
	bool mpls_pw;             /**< MPLS payload may be an Ethernet pseudowire
	                               with a control word */
	struct sl_cfg_loc loc;    /**< of the tunnels: mapping; 0:0 if absent */
};

/**
 * Bounds on non-first IP fragments held while they wait for their
 * datagram's first fragment (sluice never reassembles). Per worker lcore
 * unless stated otherwise.
 */
struct sl_cfg_fragments {
	uint32_t hold_ms;           /**< wait of a held fragment for its first, 1..10000 */
	uint32_t remember_ms;       /**< a datagram's member is remembered this long
	                                 after its last fragment, 10..600000 */
	uint32_t max_held;          /**< fragments held, 0..1048576; 0 = never hold */
	uint32_t tenant_max_held;   /**< fragments held per tenant, <= max_held */
	uint32_t datagram_max_held; /**< fragments held per datagram, 1..8192 */
	uint32_t table_size;        /**< datagrams tracked, 1024..4194304 */
	uint64_t max_held_bytes;    /**< payload bytes held, 0..1073741824 */
	struct sl_cfg_loc loc;      /**< of the fragments: mapping; 0:0 if absent */
};

/** Idle timeouts in seconds, per protocol class. */
struct sl_cfg_timeouts {
	uint32_t tcp, udp, icmp, other;
	uint32_t tcp_closed; /**< grace after FIN both ways or RST */
	uint32_t bypassed;   /**< idle timeout of a bypassed flow */
};

/** metrics: the Prometheus/OpenMetrics endpoint (off when listen is ""). */
struct sl_cfg_metrics {
	char listen[64];     /**< as written, "ADDRESS:PORT"; "" = off */
	int family;          /**< AF_INET or AF_INET6 */
	uint8_t addr[16];    /**< the address, network byte order */
	uint16_t port;
	struct sl_cfg_loc loc; /**< of listen; 0:0 if absent */
};

/** Top-level keys whose location is kept (struct sl_cfg::section_loc). */
enum sl_cfg_section {
	SL_SECT_EAL = 0,
	SL_SECT_INPUTS,
	SL_SECT_OUTPUTS,
	SL_SECT_TUNNELS,
	SL_SECT_TENANTS,
	SL_SECT_FLOW_TABLE,
	SL_SECT_FRAGMENTS,
	SL_SECT_STATS,
	SL_SECT_TUNING,
	SL_SECT_ADMIN,
	SL_SECT_METRICS,
	SL_SECT_APPID,
	SL_SECT_MAX
};

/**
 * Application detection (lib/appid): one detector per worker, sized at
 * start. Enabled when the section is present or any tenant has an app
 * rule; it cannot be switched or resized by a reload.
 */
struct sl_cfg_appid {
	bool enabled;              /**< the section is there or a tenant has app rules */
	bool section;              /**< the appid: key is there */
	uint32_t flows;            /**< flows per worker with detection state at once
				        (from their start to their end); default
				        65536 or flow_table.size if smaller */
	uint32_t detecting;        /**< flows per worker in detection at once (nDPI
				        state); default 8192 or flows if fewer */
	uint32_t max_packets;      /**< packets detection reads before it gives up */
	uint32_t handshake_packets; /**< packets within which a handshake must end */
	uint64_t memory;           /**< bytes per worker, nDPI's allocations included */
	struct sl_cfg_loc loc;     /**< the section, or what made a tenant's first
				        app rule (its rules_file key); 0:0 */
};

struct sl_cfg {
	char path[SL_PATH_MAX];      /**< file it was read from */
	/** Where each top-level key's value starts; 0:0 when absent. */
	struct sl_cfg_loc section_loc[SL_SECT_MAX];

	/* eal: */
	uint16_t main_lcore;
	uint16_t n_workers;
	uint16_t worker_lcores[SL_MAX_LCORES];
	uint16_t n_eal_args;
	char *eal_args[SL_MAX_EAL_ARGS]; /**< extra EAL arguments, owned */
	struct sl_cfg_loc lcores_loc;

	uint16_t n_inputs;
	struct sl_cfg_port *inputs;
	uint16_t n_outputs;
	struct sl_cfg_port *outputs;
	uint16_t n_tenants;
	struct sl_cfg_tenant *tenants;
	int32_t default_tenant;      /**< index into tenants, -1 = drop */

	struct sl_cfg_tunnels tunnels;
	struct sl_cfg_fragments fragments;
	/** The admin socket (reload, status): "" = none; mode default 0600. */
	struct sl_cfg_control admin;

	struct sl_cfg_appid appid;

	/* flow_table: */
	uint32_t flow_table_size;    /**< entries per worker */
	struct sl_cfg_timeouts timeouts;

	/* stats: */
	uint32_t stats_interval_ms;
	char stats_path[SL_PATH_MAX]; /**< "" = stdout */
	struct sl_cfg_metrics metrics;

	/* tuning: */
	uint32_t mbufs;              /**< mbufs in the packet pool */
	uint16_t mbuf_size;          /**< data room per mbuf */
	uint32_t sw_ring_size;       /**< software-distribution ring per worker */
	uint32_t record_ring;        /**< flow-record ring per worker (entries) */
	uint16_t rx_desc, tx_desc;
	uint32_t hash_seed;
	/** Tenants and pool members a run can know, reloads included (counters
	 * and TX buffers are sized by them); 0 = twice the configuration's,
	 * and 16 tenants / 64 members more at least. */
	uint32_t max_tenants;
	uint32_t max_members;
};

/** A load/validation error. */
struct sl_cfg_error {
	char msg[1024]; /**< "FILE:LINE:COL: KEY: REASON" */
	struct sl_cfg_loc loc;
};

/** sl_config_load() flag: do not check lcores against this machine's CPUs
 * (the command line remaps lcores with EAL -l/--lcores/-c after "--"). */
#define SL_CFG_NO_LCORE_CPU_CHECK 0x1u

/**
 * Load and validate a configuration file.
 *
 * @param path  YAML file
 * @param flags SL_CFG_* flags, 0 for the full check
 * @param out   on success, a new configuration (free with sl_config_free())
 * @param err   on failure, the first error found, formatted as above
 * @return 0, or -EINVAL (bad content), -ENOENT/-EACCES/-EISDIR (cannot
 *         open; err->msg is "FILE: cannot open: REASON"), -ENOMEM.
 */
int sl_config_load(const char *path, unsigned int flags, struct sl_cfg **out,
		   struct sl_cfg_error *err);

/** Free a configuration returned by sl_config_load(). NULL is accepted. */
void sl_config_free(struct sl_cfg *cfg);

/**
 * Format an error located at @p loc of @p cfg into @p err, the same way the
 * loader does, for checks the app makes after EAL init.
 */
void sl_config_error(const struct sl_cfg *cfg, struct sl_cfg_error *err,
		     struct sl_cfg_loc loc, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/**
 * Re-read tenant @p t's rules_file into @p cfg, replacing its rules: within
 * the tenant's max_rules, against its own pools; the file may hold 'rules'
 * only. Other tenants and keys are untouched.
 *
 * @return 0; -ENOENT when the tenant has no rules_file; -EINVAL (errors
 *         name the rules file, line and column) or -ENOMEM, with the
 *         tenant's rules then empty (reload the whole configuration or
 *         discard @p cfg).
 */
int sl_config_reload_rules(struct sl_cfg *cfg, uint16_t t, struct sl_cfg_error *err);

/**
 * A deep copy of @p cfg (NULL when out of memory); free with
 * sl_config_free().
 */
struct sl_cfg *sl_config_dup(const struct sl_cfg *cfg);

/**
 * Whether @p next may replace @p cur in a running sluice (a reload): what
 * was set up once at start (eal, inputs, outputs, tunnels, fragments,
 * flow_table, stats, tuning, appid) must be equal, and application
 * detection cannot be switched on (app rules where it was off at start). Tenants, their rules, pools,
 * members, depth, elephants, records and control sockets, default_tenant
 * and timeouts may change.
 *
 * @return 0, or -EINVAL with @p err naming the first key that changed (at
 *         its place in @p next) and saying that it needs a restart.
 */
int sl_config_reload_check(const struct sl_cfg *cur, const struct sl_cfg *next,
			   struct sl_cfg_error *err);

/** Whether two tenants' rules match the same flows (every rule's match in
 * the same order, max_rules, acl_memory): the classifier can be reused. */
bool sl_config_tenant_rules_equal(const struct sl_cfg_tenant *a, const struct sl_cfg_tenant *b);

/** Whether two tenants give every flow the same verdict: the rules with
 * their actions, the pools with their members and settings, default_pool,
 * elephant, non_ip and malformed. Names of rules and locations do not
 * count. */
bool sl_config_tenant_policy_equal(const struct sl_cfg_tenant *a,
				   const struct sl_cfg_tenant *b);

/** Whether two members' remote settings are the same (both local, or the
 * same tunnel to the same place with the same settings). */
bool sl_config_remote_equal(const struct sl_cfg_remote *a, const struct sl_cfg_remote *b);

/** Lookup helpers: index of the named item, or -1. */
int sl_config_find_output(const struct sl_cfg *cfg, const char *name);
int sl_config_find_input(const struct sl_cfg *cfg, const char *name);

/**
 * Whether @p t is a tunnel tenant (lists a VNI, GRE key or ERSPAN id).
 * A tunnel tenant's vlans filter the outer VLAN of packets matched by tunnel
 * id; only other tenants' vlans, qinq and untagged claim tags.
 */
static inline bool
sl_config_tenant_is_tunnel(const struct sl_cfg_tenant *t)
{
	return t->n_vni || t->n_gre_key || t->n_erspan_id;
}

/** Names used in YAML for the enums (for docs, stats and telemetry). */
const char *sl_dist_mode_name(enum sl_dist_mode m);
const char *sl_hash_fields_name(enum sl_hash_fields h);
const char *sl_strip_mode_name(enum sl_strip_mode s);
const char *sl_rule_action_name(enum sl_rule_action a);
const char *sl_elephant_action_name(enum sl_elephant_action a);
const char *sl_remote_encap_name(enum sl_remote_encap e);

#ifdef __cplusplus
}
#endif
#endif /* SL_CONFIG_H */
