/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer harness for sl_parse().
 *
 * The first input byte picks the settings (max_depth 0..8 from its low
 * nibble mod 9, the whole range the configuration allows; mpls_pw from bit
 * 4; default VXLAN/GENEVE ports), so the fuzzer explores decapsulation at
 * every depth; the rest is the frame. tools/fuzz-seeds.py writes seeds in
 * this form (settings byte 0x03: depth 3, the default). The frame
 * is copied into a heap buffer of exactly its size, so ASan reports any
 * read past the end (libFuzzer's own buffer may have slack). Besides
 * memory safety, invariants of the result are checked and a violation
 * aborts, which libFuzzer reports as a crash.
 *
 * Build: meson setup -Dfuzz=true with CC=clang, or by hand:
 *   clang -fsanitize=fuzzer,address,undefined -Ilib/parse \
 *         tests/fuzz/fuzz_parse.c lib/parse/sl_parse*.c -o fuzz_parse
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sl_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_invariants(const struct sl_pkt_info *pi, int rc, size_t size,
		 unsigned int max_depth)
{
	if (rc < 0 || rc >= SL_PARSE_ERR_MAX || rc != pi->err)
		abort();
	if (pi->n_vlans > SL_MAX_VLANS || pi->n_ext > SL_MAX_IPV6_EXT)
		abort();
	if (pi->l4_off != 0 && (size_t)pi->l4_off + pi->l4_len > size)
		abort();
	if (pi->l3 == SL_L3_NONE && (pi->has_ports || pi->l4_off))
		abort();
	if (pi->encap_err >= SL_ENCAP_ERR_MAX || pi->n_encap > max_depth ||
	    pi->inner_n_vlans > SL_MAX_VLANS ||
	    pi->encap_mask >= (1u << SL_ENCAP_TYPE_MAX))
		abort();
	if (pi->n_encap == 0 && (pi->inner_off || pi->inner_n_vlans))
		abort();
	if (pi->n_encap > 0 &&
	    (pi->l3 == SL_L3_NONE || pi->inner_off > pi->l3_off ||
	     pi->inner_off >= size || pi->encap_mask == 0))
		abort();
	if (max_depth == 0 &&
	    (pi->encap_err ||
	     (pi->encap_mask & ~SL_ENCAP_BIT(SL_ENCAP_VNTAG))))
		abort();
	if (pi->tunnel_id_type == SL_TUNID_NONE && pi->tunnel_id != 0)
		abort();
	/* IPv4 addresses fill the first 4 bytes and the rest is zero, as
	 * sl_parse.h promises (a table that keeps only those 4 bytes of an
	 * IPv4 key, docs/architecture.md "The flow table: next step", would
	 * rely on it) */
	static const uint8_t zero[12];
	if (pi->l3 == SL_L3_IPV4 &&
	    (memcmp(pi->src + 4, zero, 12) != 0 || memcmp(pi->dst + 4, zero, 12) != 0))
		abort();
}

/* The layer kept with max_depth N is what max_depth n_encap gives. */
static int
same_layer(const struct sl_pkt_info *a, const struct sl_pkt_info *b)
{
	return memcmp(a->src, b->src, 16) == 0 &&
	       memcmp(a->dst, b->dst, 16) == 0 && a->sport == b->sport &&
	       a->dport == b->dport && a->vlan[0] == b->vlan[0] &&
	       a->vlan[1] == b->vlan[1] && a->ethertype == b->ethertype &&
	       a->l3_off == b->l3_off && a->l4_off == b->l4_off &&
	       a->l4_len == b->l4_len && a->frag_off == b->frag_off &&
	       a->frag_id == b->frag_id && a->n_vlans == b->n_vlans &&
	       a->l3 == b->l3 && a->proto == b->proto &&
	       a->has_ports == b->has_ports && a->tcp_flags == b->tcp_flags &&
	       a->frag == b->frag && a->err == b->err && a->n_ext == b->n_ext &&
	       a->n_encap == b->n_encap && a->inner_off == b->inner_off &&
	       a->inner_n_vlans == b->inner_n_vlans &&
	       a->inner_vlan[0] == b->inner_vlan[0] &&
	       a->inner_vlan[1] == b->inner_vlan[1];
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sl_parse_cfg cfg, cfk;
	struct sl_pkt_info pi, pk;
	uint8_t *buf = NULL;
	int rc, rk;

	if (size < 1 || size - 1 > UINT32_MAX)
		return 0;
	sl_parse_cfg_default(&cfg);
	cfg.max_depth = (uint8_t)((data[0] & 0x0f) % 9);
	cfg.mpls_pw = (uint8_t)((data[0] >> 4) & 1);
	data++;
	size--;
	if (size > 0) {
		buf = malloc(size);
		if (buf == NULL)
			return 0;
		memcpy(buf, data, size);
	}
	rc = sl_parse(&cfg, buf, (uint32_t)size, &pi);
	check_invariants(&pi, rc, size, cfg.max_depth);
	cfk = cfg;
	cfk.max_depth = pi.n_encap;
	rk = sl_parse(&cfk, buf, (uint32_t)size, &pk);
	free(buf);
	if (rk != rc || !same_layer(&pi, &pk))
		abort();
	return 0;
}
