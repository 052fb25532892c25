/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A tenant's de-duplication settings: dedup: {window_us, table}.
 */
#include "sl_config_pvt.h"

static const struct sl_cfg_field dedup_fields[] = {
	UINT("window_us", struct sl_cfg_dedup, window_us, 1, SL_CFG_DEDUP_WINDOW_MAX_US),
	UINT("table", struct sl_cfg_dedup, table, SL_CFG_DEDUP_TABLE_MIN, SL_CFG_DEDUP_TABLE_MAX),
};

int
sl_cfg_parse_dedup(struct sl_cfg_ctx *c, yaml_node_t *n, void *obj, const struct sl_cfg_field *f)
{
	struct sl_cfg_tenant *t = obj;
	struct sl_cfg_dedup *d = &t->dedup;
	int rc;

	(void)f;
	d->loc = sl_cfg_node_loc(n);
	if ((rc = sl_cfg_walk_map(c, n, dedup_fields, SL_CFG_DIM(dedup_fields), d)))
		return rc;
	/* the section turns it on: what is not given takes its default */
	if (d->window_us == 0)
		d->window_us = SL_CFG_DEDUP_WINDOW_US;
	if (d->table == 0)
		d->table = SL_CFG_DEDUP_TABLE;
	return 0;
}
