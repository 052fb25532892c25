/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The end of a unit test that started DPDK's EAL: rte_eal_cleanup(), then
 * the runtime directory it leaves behind (/var/run/dpdk/<file-prefix>,
 * empty with --no-shconf and --no-telemetry) removed, so that a test with
 * a per-process prefix does not leave one directory a run.
 */
#ifndef SL_TEST_EAL_H
#define SL_TEST_EAL_H

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>

#include <rte_eal.h>

static inline void
sl_test_eal_done(void)
{
	char dir[PATH_MAX];

	snprintf(dir, sizeof(dir), "%s", rte_eal_get_runtime_dir());
	rte_eal_cleanup();
	/* gone already: another run with the same fixed prefix took it; not
	 * empty: say so. The test's result stands either way. */
	if (dir[0] != '\0' && rmdir(dir) != 0 && errno != ENOENT)
		perror(dir);
}

#endif /* SL_TEST_EAL_H */
