/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Flow policy classification: rules compiled into one rte_acl context per
 * address family; classify looks a flow and its reverse up in one call.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_acl.h>
#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_malloc.h>

#include "sl_policy.h"

RTE_LOG_REGISTER(sl_policy_logtype, user.sluice.policy, INFO);

#define SL_POLICY_NAME_MAX 20
/* One category: a flow gets one verdict, the highest-priority match. */
#define SL_POLICY_CATEGORIES 1
/* Longest "addr/prefix" sl_policy_parse_cidr() accepts. */
#define SL_POLICY_CIDR_MAX (INET6_ADDRSTRLEN + 4)

enum { FAM_V4, FAM_V6, FAM_N };

/*
 * What rte_acl reads for one flow direction. rte_acl reads every field from
 * the data pointer in network byte order, in 4-byte groups (one group per
 * input_index); the first field must be 1 byte and has a group of its own
 * (the three pad bytes are loaded with it and ignored). Sizes are multiples
 * of 4 and there are no holes, so the whole struct is initialised and every
 * 4-byte load stays inside it.
 */
struct acl4_key {
	uint8_t proto;   /* group 0 */
	uint8_t pad[3];
	uint8_t src[4];  /* group 1 */
	uint8_t dst[4];  /* group 2 */
	rte_be16_t sport; /* group 3 */
	rte_be16_t dport;
	rte_be16_t vlan;  /* group 4 */
	rte_be16_t input;
};

struct acl6_key {
	uint8_t proto;   /* group 0 */
	uint8_t pad[3];
	uint8_t src[16]; /* groups 1-4 */
	uint8_t dst[16]; /* groups 5-8 */
	rte_be16_t sport; /* group 9 */
	rte_be16_t dport;
	rte_be16_t vlan;  /* group 10 */
	rte_be16_t input;
};

/* Field indices in the rules (and in the field definitions). */
enum {
	F4_PROTO, F4_SRC, F4_DST, F4_SPORT, F4_DPORT, F4_VLAN, F4_INPUT, F4_NUM
};
enum {
	F6_PROTO,
	F6_SRC0, F6_SRC1, F6_SRC2, F6_SRC3,
	F6_DST0, F6_DST1, F6_DST2, F6_DST3,
	F6_SPORT, F6_DPORT, F6_VLAN, F6_INPUT, F6_NUM
};

RTE_ACL_RULE_DEF(acl4_rule, F4_NUM);
RTE_ACL_RULE_DEF(acl6_rule, F6_NUM);

#define DEF(t, sz, fi, ii, key, member)                                                 \
	{ .type = RTE_ACL_FIELD_TYPE_##t, .size = (sz), .field_index = (fi),            \
	  .input_index = (ii), .offset = offsetof(struct key, member) }

static const struct rte_acl_field_def acl4_defs[F4_NUM] = {
	DEF(BITMASK, 1, F4_PROTO, 0, acl4_key, proto),
	DEF(MASK, 4, F4_SRC, 1, acl4_key, src),
	DEF(MASK, 4, F4_DST, 2, acl4_key, dst),
	DEF(RANGE, 2, F4_SPORT, 3, acl4_key, sport),
	DEF(RANGE, 2, F4_DPORT, 3, acl4_key, dport),
	DEF(RANGE, 2, F4_VLAN, 4, acl4_key, vlan),
	DEF(RANGE, 2, F4_INPUT, 4, acl4_key, input),
};

static const struct rte_acl_field_def acl6_defs[F6_NUM] = {
	DEF(BITMASK, 1, F6_PROTO, 0, acl6_key, proto),
	DEF(MASK, 4, F6_SRC0, 1, acl6_key, src[0]),
	DEF(MASK, 4, F6_SRC1, 2, acl6_key, src[4]),
	DEF(MASK, 4, F6_SRC2, 3, acl6_key, src[8]),
	DEF(MASK, 4, F6_SRC3, 4, acl6_key, src[12]),
	DEF(MASK, 4, F6_DST0, 5, acl6_key, dst[0]),
	DEF(MASK, 4, F6_DST1, 6, acl6_key, dst[4]),
	DEF(MASK, 4, F6_DST2, 7, acl6_key, dst[8]),
	DEF(MASK, 4, F6_DST3, 8, acl6_key, dst[12]),
	DEF(RANGE, 2, F6_SPORT, 9, acl6_key, sport),
	DEF(RANGE, 2, F6_DPORT, 9, acl6_key, dport),
	DEF(RANGE, 2, F6_VLAN, 10, acl6_key, vlan),
	DEF(RANGE, 2, F6_INPUT, 10, acl6_key, input),
};

#undef DEF

struct sl_policy {
	struct rte_acl_ctx *ctx[FAM_N]; /* NULL: no rule of that family */
	size_t mem;                     /* sl_policy_memory() */
	uint32_t n_rules;
	uint32_t n_fam[FAM_N];          /* rules in each context */
};

static void __rte_format_printf(3, 4)
set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Bytes allocated on all DPDK malloc heaps of the sockets, now. */
static size_t
heap_alloc_bytes(void)
{
	size_t sum = 0;

	for (unsigned int i = 0; i < rte_socket_count(); i++) {
		struct rte_malloc_socket_stats st;
		int sock = rte_socket_id_by_idx(i);

		if (sock >= 0 && rte_malloc_get_socket_stats(sock, &st) == 0)
			sum += st.heap_allocsz_bytes;
	}
	return sum;
}

static unsigned int
cidr_max_prefix(uint8_t family)
{
	return family == 4 ? 32 : family == 6 ? 128 : 0;
}

static int
check_cidr(const struct sl_policy_cidr *c, const char *which, uint32_t i, char *err,
	   size_t errlen)
{
	if (c->family != 0 && c->family != 4 && c->family != 6) {
		set_err(err, errlen, "rule %u: %s family %u is not 0, 4 or 6", i, which,
			c->family);
		return -EINVAL;
	}
	if (c->prefix > cidr_max_prefix(c->family)) {
		if (c->family == 0)
			set_err(err, errlen, "rule %u: %s is any address but has prefix /%u",
				i, which, c->prefix);
		else
			set_err(err, errlen, "rule %u: %s prefix /%u is longer than %u", i,
				which, c->prefix, cidr_max_prefix(c->family));
		return -EINVAL;
	}
	return 0;
}

static int
check_range(uint16_t lo, uint16_t hi, const char *which, uint32_t i, char *err,
	    size_t errlen)
{
	if (lo > hi) {
		set_err(err, errlen, "rule %u: %s range %u-%u is empty (lo > hi)", i, which, lo,
			hi);
		return -EINVAL;
	}
	return 0;
}

/*
 * Validate rule i; on success *fam_mask says which contexts it goes into
 * (bit FAM_V4, bit FAM_V6).
 */
static int
check_rule(const struct sl_policy_match *m, uint32_t i, unsigned int *fam_mask, char *err,
	   size_t errlen)
{
	int rc;

	if ((rc = check_cidr(&m->src, "src", i, err, errlen)) != 0 ||
	    (rc = check_cidr(&m->dst, "dst", i, err, errlen)) != 0 ||
	    (rc = check_range(m->sport_lo, m->sport_hi, "sport", i, err, errlen)) != 0 ||
	    (rc = check_range(m->dport_lo, m->dport_hi, "dport", i, err, errlen)) != 0 ||
	    (rc = check_range(m->vlan_lo, m->vlan_hi, "vlan", i, err, errlen)) != 0 ||
	    (rc = check_range(m->input_lo, m->input_hi, "input", i, err, errlen)) != 0)
		return rc;
	if (m->src.family != 0 && m->dst.family != 0 && m->src.family != m->dst.family) {
		set_err(err, errlen, "rule %u: src is IPv%u but dst is IPv%u", i, m->src.family,
			m->dst.family);
		return -EINVAL;
	}
	if (m->vlan_hi > SL_POLICY_ANY_VLAN_HI) {
		set_err(err, errlen, "rule %u: vlan %u is above %u (untagged)", i, m->vlan_hi,
			SL_POLICY_ANY_VLAN_HI);
		return -EINVAL;
	}
	if (m->proto < -1 || m->proto > UINT8_MAX) {
		set_err(err, errlen, "rule %u: proto %d is not -1 (any) or 0..255", i, m->proto);
		return -EINVAL;
	}
	switch (m->src.family | m->dst.family) {
	case 4:
		*fam_mask = 1u << FAM_V4;
		break;
	case 6:
		*fam_mask = 1u << FAM_V6;
		break;
	default:
		*fam_mask = (1u << FAM_V4) | (1u << FAM_V6);
		break;
	}
	return 0;
}

/* Big-endian word w (0..3) of address a, as the host-order value rte_acl wants. */
static uint32_t
addr_word(const uint8_t *a, unsigned int w)
{
	return (uint32_t)a[4 * w] << 24 | (uint32_t)a[4 * w + 1] << 16 |
	       (uint32_t)a[4 * w + 2] << 8 | a[4 * w + 3];
}

/*
 * MASK field for word w of a prefix: bits of the prefix that fall in that
 * word. The value is masked so host bits never reach rte_acl.
 */
static void
set_addr_field(struct rte_acl_field *f, const struct sl_policy_cidr *c, unsigned int w)
{
	int bits = c->family == 0 ? 0 : (int)c->prefix - 32 * (int)w;
	uint32_t len = (uint32_t)RTE_MAX(0, RTE_MIN(32, bits));
	uint32_t mask = len == 0 ? 0 : UINT32_MAX << (32 - len);

	f->value.u32 = c->family == 0 ? 0 : addr_word(c->addr, w) & mask;
	f->mask_range.u32 = len;
}

static void
set_range(struct rte_acl_field *f, uint16_t lo, uint16_t hi)
{
	f->value.u16 = lo;
	f->mask_range.u16 = hi;
}

static void
set_common(struct rte_acl_rule_data *d, struct rte_acl_field *proto,
	   const struct sl_policy_match *m, uint32_t i, uint32_t n)
{
	d->category_mask = 1;
	d->priority = (int32_t)(n - i); /* higher wins: earlier rules are higher */
	d->userdata = i + 1;            /* 0 is rte_acl's "no match" */
	proto->value.u8 = m->proto < 0 ? 0 : (uint8_t)m->proto;
	proto->mask_range.u8 = m->proto < 0 ? 0 : UINT8_MAX;
}

static int
add_rule4(struct rte_acl_ctx *ctx, const struct sl_policy_match *m, uint32_t i, uint32_t n)
{
	struct acl4_rule r;

	memset(&r, 0, sizeof(r));
	set_common(&r.data, &r.field[F4_PROTO], m, i, n);
	set_addr_field(&r.field[F4_SRC], &m->src, 0);
	set_addr_field(&r.field[F4_DST], &m->dst, 0);
	set_range(&r.field[F4_SPORT], m->sport_lo, m->sport_hi);
	set_range(&r.field[F4_DPORT], m->dport_lo, m->dport_hi);
	set_range(&r.field[F4_VLAN], m->vlan_lo, m->vlan_hi);
	set_range(&r.field[F4_INPUT], m->input_lo, m->input_hi);
	return rte_acl_add_rules(ctx, (const struct rte_acl_rule *)&r, 1);
}

static int
add_rule6(struct rte_acl_ctx *ctx, const struct sl_policy_match *m, uint32_t i, uint32_t n)
{
	struct acl6_rule r;

	memset(&r, 0, sizeof(r));
	set_common(&r.data, &r.field[F6_PROTO], m, i, n);
	for (unsigned int w = 0; w < 4; w++) {
		set_addr_field(&r.field[F6_SRC0 + w], &m->src, w);
		set_addr_field(&r.field[F6_DST0 + w], &m->dst, w);
	}
	set_range(&r.field[F6_SPORT], m->sport_lo, m->sport_hi);
	set_range(&r.field[F6_DPORT], m->dport_lo, m->dport_hi);
	set_range(&r.field[F6_VLAN], m->vlan_lo, m->vlan_hi);
	set_range(&r.field[F6_INPUT], m->input_lo, m->input_hi);
	return rte_acl_add_rules(ctx, (const struct rte_acl_rule *)&r, 1);
}

/* Create, fill and build the context of family fam. */
static int
build_family(struct sl_policy *p, unsigned int fam, const char *name, int socket,
	     const struct sl_policy_match *rules, const unsigned char *fam_of, uint32_t n,
	     size_t max_mem, char *err, size_t errlen)
{
	static const char *const fam_name[FAM_N] = { "IPv4", "IPv6" };
	char ctx_name[RTE_ACL_NAMESIZE];
	struct rte_acl_config cfg;
	struct rte_acl_ctx *ctx;
	size_t before = heap_alloc_bytes(), after;
	int rc;

	snprintf(ctx_name, sizeof(ctx_name), "%s_v%c", name, fam == FAM_V4 ? '4' : '6');
	struct rte_acl_param prm = {
		.name = ctx_name,
		.socket_id = socket,
		.rule_size = fam == FAM_V4 ? RTE_ACL_RULE_SZ(F4_NUM) : RTE_ACL_RULE_SZ(F6_NUM),
		.max_rule_num = p->n_fam[fam],
	};
	ctx = rte_acl_create(&prm);
	if (ctx == NULL) {
		set_err(err, errlen, "%s ACL context %s: cannot create (%s)", fam_name[fam],
			ctx_name, rte_strerror(rte_errno));
		return -ENOMEM;
	}
	p->ctx[fam] = ctx;
	for (uint32_t i = 0; i < n; i++) {
		if (!(fam_of[i] & (1u << fam)))
			continue;
		rc = fam == FAM_V4 ? add_rule4(ctx, &rules[i], i, n) :
				     add_rule6(ctx, &rules[i], i, n);
		if (rc != 0) {
			set_err(err, errlen, "rule %u: cannot add to the %s ACL context (%s)", i,
				fam_name[fam], strerror(-rc));
			return rc;
		}
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.num_categories = SL_POLICY_CATEGORIES;
	if (fam == FAM_V4) {
		cfg.num_fields = RTE_DIM(acl4_defs);
		memcpy(cfg.defs, acl4_defs, sizeof(acl4_defs));
	} else {
		cfg.num_fields = RTE_DIM(acl6_defs);
		memcpy(cfg.defs, acl6_defs, sizeof(acl6_defs));
	}
	cfg.max_size = max_mem;
	rc = rte_acl_build(ctx, &cfg);
	if (rc == -ENOMEM && max_mem == 0) {
		/* Without a limit rte_acl splits the rules into tries of at most
		 * 2048 nodes and fails past 8 tries, which diverse rule sets
		 * (many unrelated port, VLAN and input ranges) need. Given a
		 * limit, it starts from 8x larger tries (fewer of them, more
		 * memory): rebuild with a limit it cannot reach. */
		cfg.max_size = SIZE_MAX;
		rc = rte_acl_build(ctx, &cfg);
	}
	if (rc == -ERANGE) {
		set_err(err, errlen,
			"%s ACL memory limit exceeded: %u rules need more than max_mem %zu bytes",
			fam_name[fam], p->n_fam[fam], max_mem);
		return -ENOMEM;
	}
	if (rc == -ENOMEM) {
		set_err(err, errlen,
			"%s ACL build of %u rules failed: out of memory, or more than rte_acl's "
			"8 tries needed%s", fam_name[fam], p->n_fam[fam],
			max_mem != 0 ? " to fit max_mem (ACL memory limit exceeded)" : "");
		return rc;
	}
	if (rc != 0) {
		set_err(err, errlen, "%s ACL build of %u rules failed: %s", fam_name[fam],
			p->n_fam[fam], strerror(-rc));
		return rc;
	}
	after = heap_alloc_bytes();
	p->mem += after > before ? after - before : 0;
	return 0;
}

int
sl_policy_create(const char *name, int socket, const struct sl_policy_match *rules,
		 uint32_t n, uint32_t max_rules, size_t max_mem, struct sl_policy **out,
		 char *err, size_t errlen)
{
	char ctx_name[RTE_ACL_NAMESIZE];
	unsigned char *fam_of = NULL;
	struct sl_policy *p = NULL;
	size_t name_len;
	int rc;

	RTE_BUILD_BUG_ON(sizeof(struct acl4_key) != 20);
	RTE_BUILD_BUG_ON(offsetof(struct acl4_key, sport) != 12);
	RTE_BUILD_BUG_ON(offsetof(struct acl4_key, vlan) != 16);
	RTE_BUILD_BUG_ON(sizeof(struct acl6_key) != 44);
	RTE_BUILD_BUG_ON(offsetof(struct acl6_key, sport) != 36);
	RTE_BUILD_BUG_ON(offsetof(struct acl6_key, vlan) != 40);
	RTE_BUILD_BUG_ON(SL_POLICY_NAME_MAX + sizeof("_v4") > RTE_ACL_NAMESIZE);

	set_err(err, errlen, "%s", "");
	name_len = name == NULL ? 0 : strnlen(name, SL_POLICY_NAME_MAX + 1);
	if (name_len == 0 || name_len > SL_POLICY_NAME_MAX) {
		set_err(err, errlen, "policy name must be 1 to %d characters",
			SL_POLICY_NAME_MAX);
		return -EINVAL;
	}
	if (out == NULL || (rules == NULL && n > 0)) {
		set_err(err, errlen, "policy %s: %s is NULL", name, out == NULL ? "out" : "rules");
		return -EINVAL;
	}
	if (n > max_rules) {
		set_err(err, errlen, "policy %s: %u rules, more than the limit of %u", name, n,
			max_rules);
		return -E2BIG;
	}
	if (n > (uint32_t)RTE_ACL_MAX_PRIORITY) {
		set_err(err, errlen, "policy %s: %u rules, more than rte_acl's %u priorities",
			name, n, (uint32_t)RTE_ACL_MAX_PRIORITY);
		return -E2BIG;
	}
	/* rte_acl_create() of DPDK 22.11 hands back an existing context of the
	 * same name instead of failing: refuse duplicates here. */
	for (unsigned int fam = 0; fam < FAM_N; fam++) {
		snprintf(ctx_name, sizeof(ctx_name), "%s_v%c", name, fam == FAM_V4 ? '4' : '6');
		if (rte_acl_find_existing(ctx_name) != NULL) {
			set_err(err, errlen, "policy %s: ACL context %s already exists", name,
				ctx_name);
			return -EEXIST;
		}
	}

	p = rte_zmalloc_socket("sl_policy", sizeof(*p), RTE_CACHE_LINE_SIZE, socket);
	fam_of = n > 0 ? malloc(n) : NULL; /* temporary: libc heap */
	if (p == NULL || (n > 0 && fam_of == NULL)) {
		set_err(err, errlen, "policy %s: out of memory", name);
		rc = -ENOMEM;
		goto fail;
	}
	p->n_rules = n;
	for (uint32_t i = 0; i < n; i++) {
		unsigned int mask;

		rc = check_rule(&rules[i], i, &mask, err, errlen);
		if (rc != 0)
			goto fail;
		fam_of[i] = (unsigned char)mask;
		for (unsigned int fam = 0; fam < FAM_N; fam++)
			p->n_fam[fam] += (mask >> fam) & 1;
	}
	for (unsigned int fam = 0; fam < FAM_N; fam++) {
		if (p->n_fam[fam] == 0)
			continue;
		rc = build_family(p, fam, name, socket, rules, fam_of, n, max_mem, err, errlen);
		if (rc != 0)
			goto fail;
	}
	free(fam_of);
	rte_log(RTE_LOG_DEBUG, sl_policy_logtype,
		"policy %s: %u rules (%u IPv4, %u IPv6), %zu bytes of ACL memory\n", name, n,
		p->n_fam[FAM_V4], p->n_fam[FAM_V6], p->mem);
	*out = p;
	return 0;
fail:
	free(fam_of);
	sl_policy_free(p);
	return rc;
}

void
sl_policy_free(struct sl_policy *p)
{
	if (p == NULL)
		return;
	for (unsigned int fam = 0; fam < FAM_N; fam++)
		rte_acl_free(p->ctx[fam]);
	rte_free(p);
}

size_t
sl_policy_memory(const struct sl_policy *p)
{
	return p == NULL ? 0 : p->mem;
}

uint32_t
sl_policy_rule_count(const struct sl_policy *p)
{
	return p == NULL ? 0 : p->n_rules;
}

/* Smaller rule index of two rte_acl results (userdata = index + 1, 0 = none). */
static inline int32_t
first_match(uint32_t a, uint32_t b)
{
	/* 0 - 1 wraps to UINT32_MAX, above any index. */
	uint32_t m = RTE_MIN(a - 1, b - 1);

	return m == UINT32_MAX ? -1 : (int32_t)m;
}

int32_t
sl_policy_classify(const struct sl_policy *p, const struct sl_policy_flow *f)
{
	const uint8_t *data[2];
	uint32_t res[2];

	if (f->family == 4) {
		struct acl4_key k[2];

		if (p->ctx[FAM_V4] == NULL)
			return -1;
		k[0].proto = f->proto;
		memset(k[0].pad, 0, sizeof(k[0].pad));
		memcpy(k[0].src, f->src, 4);
		memcpy(k[0].dst, f->dst, 4);
		k[0].sport = rte_cpu_to_be_16(f->sport);
		k[0].dport = rte_cpu_to_be_16(f->dport);
		k[0].vlan = rte_cpu_to_be_16(f->vlan);
		k[0].input = rte_cpu_to_be_16(f->input);
		k[1] = k[0];
		memcpy(k[1].src, f->dst, 4);
		memcpy(k[1].dst, f->src, 4);
		k[1].sport = k[0].dport;
		k[1].dport = k[0].sport;
		data[0] = (const uint8_t *)&k[0];
		data[1] = (const uint8_t *)&k[1];
		if (rte_acl_classify(p->ctx[FAM_V4], data, res, 2, SL_POLICY_CATEGORIES) != 0)
			return -1;
		return first_match(res[0], res[1]);
	}
	if (f->family == 6) {
		struct acl6_key k[2];

		if (p->ctx[FAM_V6] == NULL)
			return -1;
		k[0].proto = f->proto;
		memset(k[0].pad, 0, sizeof(k[0].pad));
		memcpy(k[0].src, f->src, 16);
		memcpy(k[0].dst, f->dst, 16);
		k[0].sport = rte_cpu_to_be_16(f->sport);
		k[0].dport = rte_cpu_to_be_16(f->dport);
		k[0].vlan = rte_cpu_to_be_16(f->vlan);
		k[0].input = rte_cpu_to_be_16(f->input);
		k[1] = k[0];
		memcpy(k[1].src, f->dst, 16);
		memcpy(k[1].dst, f->src, 16);
		k[1].sport = k[0].dport;
		k[1].dport = k[0].sport;
		data[0] = (const uint8_t *)&k[0];
		data[1] = (const uint8_t *)&k[1];
		if (rte_acl_classify(p->ctx[FAM_V6], data, res, 2, SL_POLICY_CATEGORIES) != 0)
			return -1;
		return first_match(res[0], res[1]);
	}
	return -1;
}

/* Decimal prefix length: digits only, no leading zero (but "0"), <= max. */
static int
parse_prefix(const char *s, unsigned int max, unsigned int *out)
{
	unsigned int v = 0;

	if (*s == '\0' || (s[0] == '0' && s[1] != '\0'))
		return -EINVAL;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (unsigned int)(*s - '0');
		if (v > max)
			return -EINVAL;
	}
	*out = v;
	return 0;
}

int
sl_policy_parse_cidr(const char *s, struct sl_policy_cidr *c)
{
	char buf[SL_POLICY_CIDR_MAX + 1];
	struct sl_policy_cidr r;
	unsigned int prefix;
	size_t len;
	char *slash;

	if (s == NULL || c == NULL)
		return -EINVAL;
	memset(&r, 0, sizeof(r));
	if (strcmp(s, "any") == 0) {
		*c = r;
		return 0;
	}
	len = strnlen(s, sizeof(buf));
	if (len == 0 || len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, len + 1);
	slash = strchr(buf, '/');
	if (slash != NULL)
		*slash = '\0';
	if (inet_pton(AF_INET, buf, r.addr) == 1)
		r.family = 4;
	else if (inet_pton(AF_INET6, buf, r.addr) == 1)
		r.family = 6;
	else
		return -EINVAL;
	prefix = cidr_max_prefix(r.family);
	if (slash != NULL && parse_prefix(slash + 1, prefix, &prefix) != 0)
		return -EINVAL;
	r.prefix = (uint8_t)prefix;
	/* Clear host bits. */
	for (unsigned int b = 0; b < 16; b++) {
		int keep = (int)prefix - 8 * (int)b;

		if (keep <= 0)
			r.addr[b] = 0;
		else if (keep < 8)
			r.addr[b] &= (uint8_t)(0xff00u >> keep);
	}
	*c = r;
	return 0;
}
