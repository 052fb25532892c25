/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer harness for the YAML configuration loader: the input is the
 * file. It is written to a memfd and loaded through /proc/self/fd/N, as
 * sluice --config loads a file. The loader must either return a
 * configuration or an error message that starts with the file's name;
 * anything else (a crash, a sanitizer report, a leak, an empty message)
 * is a finding.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "sl_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sl_cfg_error err;
	struct sl_cfg *cfg = NULL;
	char path[64];
	int fd = memfd_create("sl_fuzz_config", MFD_CLOEXEC);
	int rc;

	if (fd < 0)
		return 0;
	if (size > 0 && write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	memset(&err, 0, sizeof(err));
	rc = sl_config_load(path, SL_CFG_NO_LCORE_CPU_CHECK, &cfg, &err);
	if (rc == 0) {
		if (cfg == NULL)
			abort();
		sl_config_free(cfg);
	} else if (cfg != NULL || rc > 0 || strncmp(err.msg, path, strlen(path)) != 0) {
		abort();
	}
	close(fd);
	return 0;
}
