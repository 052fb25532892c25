/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer harness for the control-socket request parser (lib/ctlproto):
 * the input is one request line, from an exactly-sized heap copy (ASan
 * reports any read past it). A parsed request must satisfy the contract of
 * struct sl_ctl_request, a refusal must carry a message, and the answer to
 * it must format as one JSON line.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sl_ctlproto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sl_ctl_request rq;
	struct sl_ctl_reply rep = { .found = -1 };
	const char *err = NULL;
	char out[1024];
	char *line = malloc(size ? size : 1);
	int rc, n;

	if (line == NULL)
		return 0;
	memcpy(line, data, size);
	rc = sl_ctlproto_parse(line, size, &rq, &err);
	free(line);
	if (rc == 0) {
		if (err != NULL || rq.cmd > SL_CTL_RELOAD_RULES)
			abort();
		/* only bypass and unbypass name a flow */
		if ((rq.cmd == SL_CTL_BYPASS || rq.cmd == SL_CTL_UNBYPASS) &&
		    ((rq.family != 4 && rq.family != 6) || rq.n_vlan > 2 ||
		     (!rq.has_vlan && rq.n_vlan != 0) ||
		     (rq.has_ttl && !(rq.ttl > 0 && rq.ttl <= SL_CTL_TTL_MAX))))
			abort();
		for (unsigned int i = 0; i < rq.n_vlan; i++)
			if (rq.vlan[i] < 1 || rq.vlan[i] > 4094)
				abort();
		rep.ok = true;
		rep.found = rq.cmd == SL_CTL_BYPASS || rq.cmd == SL_CTL_UNBYPASS ?
				    (int)(size & 1) : -1;
		rep.tenant = rq.cmd == SL_CTL_PING ? "tenant" : NULL;
		if (rq.cmd == SL_CTL_RELOAD_RULES) {
			rep.reloaded = true;
			rep.rules = (uint32_t)size;
			rep.generation = (uint32_t)(size >> 1);
		}
	} else {
		if (err == NULL || (rc != -EINVAL && rc != -EMSGSIZE && rc != -ENOMEM))
			abort();
		rep.ok = false;
		rep.error = err;
	}
	n = sl_ctlproto_format_reply(&rep, out, sizeof(out));
	if (n <= 0 || out[n - 1] != '\n' || memchr(out, '\n', (size_t)n - 1) != NULL)
		abort();
	return 0;
}
