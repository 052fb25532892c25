/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nDPI's names of protocols and categories, for configuration checks and
 * flow records, without a detector of the caller's: read once, on first
 * use, from a detection module of this file's own that is freed at once.
 *
 * And nDPI's allocation hooks: nDPI allocates through ndpi_malloc() and
 * frees through ndpi_free(), whose targets are process-wide. The hooks
 * charge each allocation's usable size to the counter the calling thread
 * named (sl_appid_charge_to(): the detector whose packet it reads), which is
 * how a detector knows what nDPI holds for it. They read no header of their
 * own, so memory nDPI allocates one way and frees the other (it strdup()s a
 * trusted issuer, for one) never breaks them.
 */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ndpi_api.h>

#include "sl_appid_pvt.h"

static __thread uint64_t *charge;

static void *
hook_malloc(size_t size)
{
	void *p = malloc(size);

	if (p != NULL && charge != NULL)
		*charge += malloc_usable_size(p);
	return p;
}

static void
hook_free(void *p)
{
	if (p == NULL)
		return;
	if (charge != NULL) {
		uint64_t u = malloc_usable_size(p);

		*charge = *charge > u ? *charge - u : 0;
	}
	free(p);
}

static pthread_once_t hooks_once = PTHREAD_ONCE_INIT;

static void
hooks_init(void)
{
	set_ndpi_malloc(hook_malloc);
	set_ndpi_free(hook_free);
}

void
sl_appid_hooks_install(void)
{
	pthread_once(&hooks_once, hooks_init);
}

uint64_t *
sl_appid_charge_to(uint64_t *counter)
{
	uint64_t *prev = charge;

	charge = counter;
	return prev;
}

/* ---- names ---- */

static struct {
	int rc;                       /* 0, or -ENOMEM: nDPI did not start */
	char *proto[NDPI_MAX_SUPPORTED_PROTOCOLS];
	char *cat[NDPI_PROTOCOL_NUM_CATEGORIES];
	char version[64];
} names;
static pthread_once_t names_once = PTHREAD_ONCE_INIT;

static void
names_init(void)
{
	struct ndpi_detection_module_struct *m;
	NDPI_PROTOCOL_BITMASK all;

	sl_appid_hooks_install();
	snprintf(names.version, sizeof(names.version), "%s", ndpi_revision());
	m = ndpi_init_detection_module(ndpi_no_prefs);
	if (m == NULL) {
		names.rc = -ENOMEM;
		return;
	}
	NDPI_BITMASK_SET_ALL(all);
	ndpi_set_protocol_detection_bitmask2(m, &all);
	ndpi_finalize_initialization(m);
	for (uint32_t id = 0; id < NDPI_MAX_SUPPORTED_PROTOCOLS; id++) {
		const char *n = ndpi_get_proto_name(m, (uint16_t)id);

		/* ids without a protocol of their own answer "Unknown" */
		if (n != NULL && n[0] != '\0' && (id == 0 || strcmp(n, "Unknown") != 0))
			names.proto[id] = strdup(n);
	}
	for (uint32_t c = 0; c < NDPI_PROTOCOL_NUM_CATEGORIES; c++) {
		const char *n = ndpi_category_get_name(m, (ndpi_protocol_category_t)c);

		if (n != NULL && n[0] != '\0')
			names.cat[c] = strdup(n);
	}
	ndpi_exit_detection_module(m);
}

static int
names_ready(void)
{
	pthread_once(&names_once, names_init);
	return names.rc;
}

static int
find(char *const *tbl, uint32_t n, const char *name)
{
	if (name == NULL)
		return -ENOENT;
	for (uint32_t i = 0; i < n; i++)
		if (tbl[i] != NULL && strcasecmp(tbl[i], name) == 0)
			return (int)i;
	return -ENOENT;
}

int
sl_appid_proto_id(const char *name)
{
	int rc = names_ready();

	if (rc != 0)
		return rc;
	rc = find(names.proto, NDPI_MAX_SUPPORTED_PROTOCOLS, name);
	return rc == 0 ? -ENOENT : rc; /* "Unknown" is no protocol to match */
}

const char *
sl_appid_proto_name(uint16_t id)
{
	if (names_ready() != 0 || id >= NDPI_MAX_SUPPORTED_PROTOCOLS)
		return NULL;
	return names.proto[id];
}

int
sl_appid_category_id(const char *name)
{
	int rc = names_ready();

	return rc != 0 ? rc : find(names.cat, NDPI_PROTOCOL_NUM_CATEGORIES, name);
}

const char *
sl_appid_category_name(uint16_t id)
{
	if (names_ready() != 0 || id >= NDPI_PROTOCOL_NUM_CATEGORIES)
		return NULL;
	return names.cat[id];
}

int
sl_appid_result_name(const struct sl_appid_result *r, char *buf, size_t len)
{
	const char *m = sl_appid_proto_name(r->master), *a = sl_appid_proto_name(r->app);
	int n;

	m = m != NULL ? m : "Unknown";
	a = a != NULL ? a : "Unknown";
	/* as ndpi_protocol2name() */
	if (r->master != 0 && r->master != r->app)
		n = r->app != 0 ? snprintf(buf, len, "%s.%s", m, a) : snprintf(buf, len, "%s", m);
	else
		n = snprintf(buf, len, "%s", a);
	return n < 0 || (size_t)n >= len ? -ENOSPC : n;
}

const char *
sl_appid_version(void)
{
	names_ready();
	return names.version;
}
