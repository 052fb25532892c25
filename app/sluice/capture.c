/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet capture: DPDK's packet-dump server (rte_pdump), so that Debian's
 * dpdk-dumpcap, run as a secondary process with sluice's --file-prefix,
 * captures what any input receives or any output sends.
 *
 * A secondary process needs sluice's shared configuration: with
 * --in-memory (or --no-shconf) there is none, rte_pdump_init() fails with
 * ENOTSUP and capture is off, which is said once at start-up.
 */
#include <rte_errno.h>
#include <rte_log.h>
#include <rte_pdump.h>

#include "ops.h"

RTE_LOG_REGISTER(sl_capture_logtype, user.sluice.capture, INFO);
#define CLOG(level, fmt, ...)                                                                  \
	rte_log(RTE_LOG_##level, sl_capture_logtype, "sluice: capture: " fmt, ##__VA_ARGS__)

static bool pdump_on;

void
sl_capture_init(void)
{
	if (rte_pdump_init() == 0) {
		pdump_on = true;
		return;
	}
	if (rte_errno == ENOTSUP)
		CLOG(INFO, "dpdk-dumpcap cannot attach: no shared configuration (--in-memory)\n");
	else
		CLOG(WARNING, "dpdk-dumpcap cannot attach: %s\n", rte_strerror(rte_errno));
}

void
sl_capture_free(void)
{
	if (pdump_on)
		rte_pdump_uninit();
	pdump_on = false;
}
