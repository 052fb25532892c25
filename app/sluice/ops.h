/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Operating sluice: rates, the /metrics endpoint, service manager
 * notifications, log formatting and version. Prototypes of the app files
 * that serve the operator rather than the data path.
 */
#ifndef SLUICE_OPS_H
#define SLUICE_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

/* rates.c: counter growth per second over a window of snapshots */

/** The live window (telemetry, /metrics) closes after this long. */
#define SL_RATE_LIVE_MS 1000

struct sl_rates;

/** A window over @p n counters (the aggregate's layout.total). NULL: ENOMEM. */
struct sl_rates *sl_rates_create(size_t n);
void sl_rates_free(struct sl_rates *r);
/** Start the first window at @p tsc with every counter at 0. */
void sl_rates_start(struct sl_rates *r, uint64_t tsc);
/**
 * Close the window at snapshot time @p tsc if it is at least @p min_tsc
 * long: the growth from its start to @p sum becomes the current rates, and
 * a new window starts. @return true when it rolled.
 */
bool sl_rates_roll(struct sl_rates *r, const uint64_t *sum, uint64_t tsc, uint64_t hz,
		   uint64_t min_tsc);
/** Length in seconds of the window the rates cover (0: none yet). */
double sl_rates_interval(const struct sl_rates *r);
/** Per-second growth of counter @p ix over the last window (0: none yet). */
double sl_rate(const struct sl_rates *r, size_t ix);
/** A rate as JSON: a real with three decimals. */
json_t *sl_rate_json(double v);

/* log.c: time and level on every log line; driver lines kept for errors */

/** Route rte_log (DPDK's and sluice's lines) through the formatter. */
int sl_log_init(void);
/** Back to DPDK's default stream (at exit). */
void sl_log_close(void);
/** From now on keep the error lines (ERR or worse) this thread logs. */
void sl_log_capture_begin(void);
/** Stop keeping; copy the kept lines, joined by "; ", into @p buf.
 * @return their length (0: none). */
size_t sl_log_capture_end(char *buf, size_t size);
/** A copy of EAL @p argv (pointers, free() it) with sluice's quiet log
 * levels inserted after argv[0], so that any later --log-level wins. */
char **sl_log_eal_argv(int argc, char **argv, int *out_argc);

/* version.c: sluice --version */
void sl_version_print(FILE *f);

struct sl_app;

/* service.c: systemd notifications (nothing without NOTIFY_SOCKET) */

/** Read the watchdog interval (WATCHDOG_USEC). After app->tsc_hz is known. */
void sl_service_init(struct sl_app *app);
/** READY=1: the workers run. */
void sl_service_ready(struct sl_app *app, uint64_t now);
/** From the control loop: WATCHDOG=1 and STATUS= when due. */
void sl_service_tick(struct sl_app *app, uint64_t now);
/** STOPPING=1: shutdown has begun. */
void sl_service_stopping(void);

/* capture.c: dpdk-dumpcap (rte_pdump) after rte_eal_init, off at exit */
void sl_pdump_init(void);
void sl_pdump_free(void);
/* capture.c: tenant captures (capture.h is the workers' side) */
/** Pool, rings and tables; after the workers and slots exist. */
int sl_capture_init(struct sl_app *app);
/** From the control loop: drain the workers' copies, feed the clients. */
void sl_capture_poll(struct sl_app *app);
/**
 * A request line (@p len bytes, no newline) on a tenant's control socket
 * (@p tenant: its slot) or on
 * the admin socket (@p tenant -1). Not a capture request: false and
 * *reply NULL. A bad one: false and *reply the error to send. Started:
 * true; the capture owns @p fd from now on (it sends the answer itself).
 */
bool sl_capture_line(struct sl_app *app, int tenant, int fd, const char *line, size_t len,
		     json_t **reply);
/** A tenant's capture counters for the stats, or NULL when it had none. */
json_t *sl_capture_json(struct sl_app *app, uint16_t t);
/** End every capture and free (after the workers stopped). */
void sl_capture_free(struct sl_app *app);

/* telemetry.c: stop answering (before the app is torn down) */
void sl_telemetry_close(void);

/* metrics.c: GET /metrics (Prometheus/OpenMetrics) on metrics.listen */

struct sl_cfg_error;
/** Listen and serve on metrics.listen (nothing when unset). Errors name the
 * configuration line. */
int sl_metrics_start(struct sl_app *app, struct sl_cfg_error *err);
/** Stop serving (waits for a scrape in progress). */
void sl_metrics_stop(struct sl_app *app);

/*
 * control.c: the stats JSON with the rates of window @p r (the aggregate's
 * live or line window). Caller holds agg_lock or is the control thread.
 * @p members false leaves each pool's members out (telemetry pages them).
 * Tenants are tenant slots of the current tables (app->tbl), members member
 * slots; readers other than the control thread hold agg_lock (a reload swaps
 * the tables under it).
 */
json_t *sl_stats_json_rates(struct sl_app *app, bool final, const struct sl_rates *r,
			    bool members);
json_t *sl_tenant_json_rates(struct sl_app *app, const uint64_t *sum, uint16_t t,
			     const struct sl_rates *r, bool members);
json_t *sl_pool_json(struct sl_app *app, const uint64_t *sum, uint16_t t, uint16_t p,
		     const struct sl_rates *r, bool members);
/** One member (global index @p gm): counters, output, state, rates. */
json_t *sl_member_json(struct sl_app *app, const uint64_t *sum, uint32_t gm,
		       const struct sl_rates *r);
json_t *sl_input_json(struct sl_app *app, const uint64_t *sum, uint16_t i,
		      const struct sl_rates *r);
json_t *sl_worker_json(struct sl_app *app, uint16_t w, const uint64_t *c);
json_t *sl_output_json(struct sl_app *app, const uint64_t *sum, uint16_t o,
		       const struct sl_rates *r);

#endif /* SLUICE_OPS_H */
