/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer harness for sl_parse_eth().
 *
 * The input is copied into a heap buffer of exactly its size, so ASan
 * reports any read past the end (libFuzzer's own buffer may have slack).
 * Besides memory safety, a few invariants of the result are checked and a
 * violation aborts, which libFuzzer reports as a crash.
 *
 * Build: meson setup -Dfuzz=true with CC=clang, or by hand:
 *   clang -fsanitize=fuzzer,address,undefined -Ilib/parse \
 *         tests/fuzz/fuzz_parse.c lib/parse/sl_parse.c -o fuzz_parse
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sl_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sl_pkt_info pi;
	uint8_t *buf = NULL;
	int rc;

	if (size > UINT32_MAX)
		return 0;
	if (size > 0) {
		buf = malloc(size);
		if (buf == NULL)
			return 0;
		memcpy(buf, data, size);
	}
	rc = sl_parse_eth(buf, (uint32_t)size, &pi);
	free(buf);

	if (rc < 0 || rc >= SL_PARSE_ERR_MAX || rc != pi.err)
		abort();
	if (pi.n_vlans > SL_MAX_VLANS || pi.n_ext > SL_MAX_IPV6_EXT)
		abort();
	if (pi.l4_off != 0 && (size_t)pi.l4_off + pi.l4_len > size)
		abort();
	if (pi.l3 == SL_L3_NONE && (pi.has_ports || pi.l4_off))
		abort();
	return 0;
}
