/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The service manager's view of sluice (systemd Type=notify, through
 * libsystemd's sd_notify): READY=1 once the workers run, WATCHDOG=1 from the
 * control loop at half the unit's WatchdogSec (so a control loop that hangs
 * gets sluice restarted), a one-line STATUS= every second (systemctl status)
 * and STOPPING=1 at shutdown.
 *
 * Without NOTIFY_SOCKET (not started by systemd) every call does nothing.
 */
#include <inttypes.h>
#include <stdio.h>

#include <systemd/sd-daemon.h>

#include "app.h"
#include "tables.h"
#include "ops.h"

/* STATUS= is refreshed this often. */
#define SL_STATUS_MS 1000

static uint64_t watchdog_tsc;   /* 0: no watchdog asked for */
static uint64_t next_watchdog;
static uint64_t next_status;

void
sl_service_init(struct sl_app *app)
{
	uint64_t usec = 0;

	/* > 0: WATCHDOG_USEC is set for this very process */
	if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0)
		watchdog_tsc = app->tsc_hz / 1000000 * usec / 2;
}

void
sl_service_ready(struct sl_app *app, uint64_t now)
{
	sd_notifyf(0, "READY=1\nSTATUS=running: %u workers, %u inputs, %u outputs, %u tenants",
		   app->n_workers, app->cfg->n_inputs, app->cfg->n_outputs, app->tbl->cfg->n_tenants);
	next_watchdog = now;
	next_status = now + app->tsc_hz / 1000 * SL_STATUS_MS;
}

void
sl_service_tick(struct sl_app *app, uint64_t now)
{
	if (watchdog_tsc != 0 && now >= next_watchdog) {
		sd_notify(0, "WATCHDOG=1");
		next_watchdog = now + watchdog_tsc;
	}
	/* STATUS= from the first consistent snapshot on */
	if (now >= next_status && app->agg.valid) {
		const struct sl_ledger *lg = &app->agg.ledger;
		const struct sl_rates *r = app->agg.live;

		/* the control thread is the aggregate's only writer: no lock */
		sd_notifyf(0, "STATUS=%.0f pps in, %.0f pps out, %.0f drops/s; %" PRIu64
			   " received, %" PRIu64 " forwarded, %" PRIu64 " dropped; ledger %s",
			   sl_rate(r, SL_WC_RX_PACKETS), sl_rate(r, SL_WC_FORWARDED),
			   sl_rate(r, SL_WC_DROPPED), lg->received, lg->forwarded, lg->dropped,
			   lg->balanced ? "balanced" : "NOT balanced");
		next_status = now + app->tsc_hz / 1000 * SL_STATUS_MS;
	}
}

void
sl_service_stopping(void)
{
	sd_notify(0, "STOPPING=1\nSTATUS=stopping: draining workers");
}
