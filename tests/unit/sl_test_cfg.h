/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Configuration texts for the unit tests: written to a temporary file and
 * loaded as sluice loads its file (without the check that the lcores' CPUs
 * exist here). Include after cmocka.h.
 */
#ifndef SL_TEST_CFG_H
#define SL_TEST_CFG_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sl_config.h"

/* @p yaml in a new file under /tmp; its path (malloc'd: unlink and free) */
static inline char *
sl_test_write_tmp(const char *yaml)
{
	char *path = strdup("/tmp/sl_test_cfg_XXXXXX");
	size_t len = strlen(yaml);
	int fd;

	if (path == NULL)
		abort(); /* out of memory: and the compiler knows path is set */
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, yaml, len), (ssize_t)len);
	close(fd);
	return path;
}

/* sl_config_load() of @p yaml; the file's name into @p path (@p size
 * bytes) when not NULL, for messages that quote it. The file is removed. */
static inline int
sl_test_load_yaml(const char *yaml, struct sl_cfg **cfg, struct sl_cfg_error *err, char *path,
		  size_t size)
{
	char *tmp = sl_test_write_tmp(yaml);
	int rc;

	*cfg = NULL;
	rc = sl_config_load(tmp, SL_CFG_NO_LCORE_CPU_CHECK, cfg, err);
	if (path != NULL)
		snprintf(path, size, "%s", tmp);
	unlink(tmp);
	free(tmp);
	return rc;
}

#endif /* SL_TEST_CFG_H */
