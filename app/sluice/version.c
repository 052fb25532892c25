/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluice --version: sluice's version (and git describe when built from a
 * checkout), the DPDK it runs with and was built against, and the build
 * options that matter when comparing sensors or reading a crash.
 */
#include <stdio.h>
#include <string.h>

#include <rte_version.h>

#include "ops.h"
#include "sl_build.h"

void
sl_version_print(FILE *f)
{
	fprintf(f, "sluice %s", SL_VERSION);
	if (strcmp(SL_VCS, SL_VERSION) != 0 && SL_VCS[0] != '\0')
		fprintf(f, " (git %s)", SL_VCS);
	fprintf(f, "\n%s (built against DPDK %d.%02d.%d)\n", rte_version(), RTE_VER_YEAR,
		RTE_VER_MONTH, RTE_VER_MINOR);
	fprintf(f, "build: %s, %s, -march=%s, lto %s, sanitizers %s\n", SL_BUILD_COMPILER,
		SL_BUILD_TYPE, SL_BUILD_MARCH[0] ? SL_BUILD_MARCH : "default",
		SL_BUILD_LTO, SL_BUILD_SANITIZE);
}
