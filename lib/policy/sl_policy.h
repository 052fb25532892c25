/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Per-tenant flow policy: an ordered list of match rules, compiled into
 * DPDK rte_acl classifiers, answering "which rule is the first to match this
 * flow?".
 *
 * A rule matches a flow when every one of its fields does (address
 * prefixes, port ranges, protocol, outer VLAN id, input port). Rules are
 * direction-free: a rule matches a flow seen in either direction, so
 * "src=A dst=B dport=80" also matches the reply B:80 -> A:1234. When several
 * rules match, the one earliest in the list wins.
 *
 * A policy is built once by sl_policy_create() (slow, allocates: control
 * path only) and is immutable afterwards: any number of lcores may call
 * sl_policy_classify() on it at once. To change rules, build a new policy
 * and swap the pointer (RCU), then free the old one once no reader holds it.
 *
 * Internally there is one rte_acl context per address family that has
 * rules. A rule whose addresses are both "any" (family 0) goes into both.
 */
#ifndef SL_POLICY_H
#define SL_POLICY_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Lowest VLAN id of sl_policy_match::vlan_lo..vlan_hi ("any" starts here). */
#define SL_POLICY_ANY_VLAN_LO 0
/** Highest VLAN id, the untagged pseudo VLAN: untagged flows have vlan 4096. */
#define SL_POLICY_ANY_VLAN_HI 4096

/**
 * An address prefix.
 *
 * family 0 is "any address, of either family": prefix must then be 0 and
 * addr is ignored. For family 4 and 6, bits of addr beyond prefix are
 * ignored (the rule matches the whole network).
 */
struct sl_policy_cidr {
	uint8_t family;   /**< 0 (any), 4 or 6 */
	uint8_t prefix;   /**< 0..32 (family 4), 0..128 (family 6), 0 (family 0) */
	uint8_t addr[16]; /**< network order; IPv4 in addr[0..3] */
};

/**
 * One rule's match. Every field is ANDed. Ranges are inclusive and need
 * lo <= hi. A zeroed struct is NOT "match everything" (its port, VLAN and
 * input ranges are 0..0): start from sl_policy_match_any().
 *
 * src and dst must be of the same family, or either may be family 0. A rule
 * whose addresses are of family 4 only matches IPv4 flows, family 6 only
 * IPv6 flows, and a rule with both addresses of family 0 matches flows of
 * both families.
 */
struct sl_policy_match {
	struct sl_policy_cidr src; /**< source prefix (of the flow as given or reversed) */
	struct sl_policy_cidr dst; /**< destination prefix */
	uint16_t sport_lo;         /**< source port range; 0..65535 = any */
	uint16_t sport_hi;
	uint16_t dport_lo;         /**< destination port range; 0..65535 = any */
	uint16_t dport_hi;
	int16_t proto;             /**< IP protocol: -1 = any, else 0..255 */
	uint16_t vlan_lo;          /**< outer VLAN id range, 4096 = untagged; 0..4096 = any */
	uint16_t vlan_hi;
	uint16_t input_lo;         /**< input port index range; 0..65535 = any */
	uint16_t input_hi;
};

/**
 * A flow to classify, as seen in one direction. Ports are those of the L4
 * header (0 for protocols without ports); addresses are in network order,
 * IPv4 in bytes 0..3 (the rest is ignored).
 */
struct sl_policy_flow {
	uint8_t family;   /**< 4 or 6; anything else never matches */
	uint8_t proto;    /**< IP protocol / IPv6 upper-layer next header */
	uint16_t sport;   /**< source port, host order */
	uint16_t dport;   /**< destination port, host order */
	uint16_t vlan;    /**< outer VLAN id, SL_POLICY_ANY_VLAN_HI (4096) when untagged */
	uint16_t input;   /**< input port index */
	uint8_t src[16];  /**< source address */
	uint8_t dst[16];  /**< destination address */
};

/** A compiled policy (opaque). */
struct sl_policy;

/**
 * Set @p m to a match of everything: any address of either family, any
 * port, protocol, VLAN (tagged or not) and input. Callers then narrow the
 * fields they care about.
 */
static inline void
sl_policy_match_any(struct sl_policy_match *m)
{
	/* Positional (valid C and C++), in member order. */
	static const struct sl_policy_match any = {
		{ 0, 0, { 0 } }, { 0, 0, { 0 } }, /* src, dst: any */
		0, UINT16_MAX,                    /* sport */
		0, UINT16_MAX,                    /* dport */
		-1,                               /* proto */
		SL_POLICY_ANY_VLAN_LO, SL_POLICY_ANY_VLAN_HI,
		0, UINT16_MAX,                    /* input */
	};

	*m = any;
}

/**
 * Build a classifier for @p rules [0..n). The first matching rule in list
 * order wins. The rules are copied into the classifier: the caller keeps
 * ownership of @p rules and may free them on return.
 *
 * Slow (the rte_acl build takes milliseconds to seconds for thousands of
 * rules) and allocates: call off the data path. Safe to call from several
 * threads at once for policies of different names.
 *
 * @param name      unique prefix of the rte_acl context names ("<name>_v4",
 *                  "<name>_v6"), 1..20 characters; no other live policy and
 *                  no other rte_acl context may use them (checked, but not
 *                  atomically: never create two policies of one name at once)
 * @param socket    NUMA socket of the classifier memory (or SOCKET_ID_ANY)
 * @param rules     n rules (may be NULL when n is 0)
 * @param n         number of rules; 0 gives a policy that matches nothing
 * @param max_rules n above this is refused (-E2BIG)
 * @param max_mem   rte_acl max_size: bound, in bytes, of the run-time
 *                  structures of each family's context (so a policy with
 *                  rules of both families may use up to twice this, plus
 *                  the rule copies). With a bound, rte_acl starts from
 *                  large tries and splits the rules into more, smaller
 *                  tries (slower to search) until they fit, and fails when
 *                  8 tries do not fit. 0 = unlimited: rte_acl's default
 *                  small tries; when the rules need more than 8 of those,
 *                  the context is rebuilt with large tries (more memory).
 * @param out       set to the policy on success; untouched on failure
 * @param err       on failure, a NUL-terminated human-readable message,
 *                  naming the offending rule index where there is one
 *                  ("rule 7: src is IPv4 but dst is IPv6"), truncated to
 *                  fit; "" on success; may be NULL
 * @param errlen    size of @p err in bytes
 * @return 0 on success, else:
 *         -EINVAL  bad argument (name, out, NULL rules with n > 0) or an
 *                  invalid rule: unknown family, prefix too long, family 0
 *                  with a prefix, src and dst of different families,
 *                  lo > hi in a range, vlan_hi > 4096, proto outside -1..255;
 *         -E2BIG   n > max_rules, or n > RTE_ACL_MAX_PRIORITY;
 *         -EEXIST  an rte_acl context of the same name exists;
 *         -ENOMEM  out of memory, or the ACL memory limit @p max_mem was
 *                  exceeded (the message says which);
 *         other    -errno from rte_acl.
 */
int sl_policy_create(const char *name, int socket, const struct sl_policy_match *rules,
		     uint32_t n, uint32_t max_rules, size_t max_mem, struct sl_policy **out,
		     char *err, size_t errlen);

/**
 * Index of the first rule (in list order) that matches flow @p f in either
 * direction: @p f as given, or with src/dst and sport/dport swapped.
 *
 * Read-only on @p p: safe from several lcores at once, no locks. Does not
 * allocate. One rte_acl_classify() call on two inputs; its cost grows with
 * the number of tries rte_acl split the rules into (up to 8 per family), so
 * classify once per flow and cache the verdict, not once per packet.
 *
 * @param p  policy (not NULL)
 * @param f  flow (not NULL)
 * @return rule index, or -1 when no rule matches (also for a family other
 *         than 4 or 6, and for a family without rules).
 */
int32_t sl_policy_classify(const struct sl_policy *p, const struct sl_policy_flow *f);

/**
 * Bytes the ACL contexts of @p p use: an estimate, the growth of the DPDK
 * malloc heaps (all sockets, element overhead included) across the creation
 * and build of each context. That covers the context with its rule copies,
 * its tailq entry and its run-time tries, which the rte_acl API does not
 * report otherwise. rte_acl's temporary build memory (libc heap, freed
 * before the build returns) is not counted. Another thread using rte_malloc
 * during sl_policy_create() makes the figure inexact (it is clamped at 0).
 * Measured once at build time: constant afterwards. 0 for NULL.
 */
size_t sl_policy_memory(const struct sl_policy *p);

/** Number of rules @p p was built from (n of sl_policy_create()); 0 for NULL. */
uint32_t sl_policy_rule_count(const struct sl_policy *p);

/**
 * Free @p p and its ACL contexts (NULL accepted). No lcore may be
 * classifying with @p p any more (wait for an RCU grace period first).
 */
void sl_policy_free(struct sl_policy *p);

/**
 * Parse an address prefix into @p c.
 *
 * Accepted: "10.0.0.0/8", "2001:db8::/32", a bare address ("1.2.3.4",
 * "2001:db8::1"), which is a host prefix (/32, /128), and "any" (family 0).
 * Addresses are the inet_pton(3) forms (IPv4 dotted quad without leading
 * zeros; IPv6 including "::ffff:1.2.3.4", which is family 6). The prefix
 * length is decimal, without sign, spaces or leading zeros, and at most 32
 * or 128. Host bits set beyond the prefix ("10.1.2.3/8") are accepted and
 * cleared, so @p c holds the network ("10.0.0.0/8").
 *
 * Thread-safe; does not allocate.
 *
 * @return 0, or -EINVAL for NULL arguments or anything else, in which case
 *         @p c is untouched.
 */
int sl_policy_parse_cidr(const char *s, struct sl_policy_cidr *c);

#ifdef __cplusplus
}
#endif
#endif /* SL_POLICY_H */
