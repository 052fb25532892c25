/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluice: start-up in stages (config, EAL, tables, workers, ports, control),
 * the control loop, and an orderly shutdown that accounts for every packet.
 *
 *   sluice --config FILE [--check] [--duration SEC] [--exit-on-idle MS]
 *          [--stats-path PATH] [-- EAL arguments]
 *   sluice --version
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_pause.h>

#include "datapath.h"
#include "faillog.h"
#include "sl_flowrec.h"
#include "ops.h"

RTE_LOG_REGISTER(sl_app_logtype, user.sluice.app, INFO);
#define SL_LOG(level, fmt, ...) rte_log(RTE_LOG_##level, sl_app_logtype, "sluice: " fmt, ##__VA_ARGS__)

struct sl_opts {
	const char *config;
	const char *stats_path;
	bool check;
	double duration;   /* seconds, 0 = until signalled */
	uint32_t idle_ms;  /* stop after inputs were idle this long, 0 = never */
	int eal_argc;
	char **eal_argv;
};

static volatile sig_atomic_t quit_signal;
static volatile sig_atomic_t hup_signal;

static void
on_hup(int sig)
{
	(void)sig;
	hup_signal = 1;
}

static void
on_signal(int sig)
{
	quit_signal = sig;
}

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: sluice --config FILE [options] [-- EAL arguments]\n"
		"  -c, --config FILE       YAML configuration (required)\n"
		"  -t, --check             validate the configuration and exit (0 = valid)\n"
		"  -d, --duration SEC      stop after SEC seconds (fractions allowed)\n"
		"  -i, --exit-on-idle MS   stop once no input delivered a packet for MS ms\n"
		"                          (for finite inputs such as pcap files)\n"
		"  -s, --stats-path PATH   write stats JSON lines here (overrides stats.path;\n"
		"                          '-' = stdout)\n"
		"  -V, --version           sluice, DPDK and build versions\n"
		"  -h, --help              this text\n"
		"EAL arguments after '--' are appended after the configuration's and win.\n");
}

static int
parse_opts(int argc, char **argv, struct sl_opts *o)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, 't' },
		{ "duration", required_argument, NULL, 'd' },
		{ "exit-on-idle", required_argument, NULL, 'i' },
		{ "stats-path", required_argument, NULL, 's' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	char *end;

	memset(o, 0, sizeof(*o));
	/* split at "--": what follows goes to the EAL */
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--") == 0) {
			o->eal_argc = argc - i - 1;
			o->eal_argv = &argv[i + 1];
			argc = i;
			break;
		}
	while ((c = getopt_long(argc, argv, "c:td:i:s:Vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o->config = optarg;
			break;
		case 't':
			o->check = true;
			break;
		case 'd':
			o->duration = strtod(optarg, &end);
			if (*end != '\0' || o->duration <= 0) {
				fprintf(stderr, "sluice: --duration: '%s' is not a positive number\n",
					optarg);
				return -1;
			}
			break;
		case 'i': {
			unsigned long v = strtoul(optarg, &end, 10);
			if (*end != '\0' || v == 0 || v > 3600000) {
				fprintf(stderr, "sluice: --exit-on-idle: '%s' is not 1..3600000 ms\n",
					optarg);
				return -1;
			}
			o->idle_ms = (uint32_t)v;
			break;
		}
		case 's':
			o->stats_path = optarg;
			break;
		case 'V':
			sl_version_print(stdout);
			exit(0);
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "sluice: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	if (o->config == NULL) {
		fprintf(stderr, "sluice: --config FILE is required\n");
		usage(stderr);
		return -1;
	}
	return 0;
}

/* The stats destination: stdout for "" or "-", else a file opened for
 * appending. -1 with errno on failure. */
static int
open_stats(const char *path)
{
	if (path == NULL || path[0] == '\0' || strcmp(path, "-") == 0)
		return STDOUT_FILENO;
	return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
}

/* SIGHUP: re-read the configuration (reload.c), reopen the flow-record
 * files and the stats file (log rotation). */
static int
on_sighup(struct sl_app *app, int stats, const char *stats_path)
{
	struct sl_cfg_error err;

	SL_LOG(INFO, "SIGHUP: reloading %s, reopening flow record and stats files\n",
	       app->cfg->path);
	sl_reload(app, &err); /* logged and counted either way */
	sl_records_reopen(app);
	if (stats != STDOUT_FILENO) {
		int fd = open_stats(stats_path);

		if (fd < 0) {
			SL_LOG(WARNING, "reopening stats file '%s' failed: %s; still writing the "
			       "old one\n", stats_path, strerror(errno));
		} else {
			close(stats);
			stats = fd;
		}
	}
	return stats;
}

/* A stats line that could not be written: logged once per kind, then
 * every 10 s at most (faillog.h). */
static void
stats_failed(struct sl_faillog *fl, const char *path, int rc)
{
	uint64_t n;

	if (sl_faillog_failed(fl, -rc, 1, sl_mono_ns(), &n))
		SL_LOG(WARNING, "stats: %" PRIu64 " line(s) could not be written to '%s': %s (%s)\n",
		       n, path, strerror(-rc), strerrorname_np(-rc) ? strerrorname_np(-rc) : "?");
}

/*
 * The control loop. Each iteration waits, until the nearest deadline at the
 * latest, for control-socket requests, then does a bounded share of each
 * source of work: requests (per client and per tenant, bypass.c), flow
 * records (SL_REC_DRAIN_BUDGET), member health (SL_HEALTH_BUDGET outputs),
 * then the snapshot and the stats line when their time has come. Deadlines
 * are absolute CLOCK_MONOTONIC times: a signal ends a wait early and the
 * next wait is for what is left, so no signal (the TAP PMD raises SIGIO for
 * every frame) can stretch a wait, and SIGTERM, delivered to this thread
 * only (main() blocks it in the others), ends the wait at once. When a
 * budget left work over, the next iteration does not wait.
 */
static int
control_loop(struct sl_app *app, const struct sl_opts *o, int stats, const char *stats_path)
{
	struct sl_faillog stats_fail = { 0 };
	const uint64_t ms = 1000000;
	const uint64_t start = sl_mono_ns();
	const uint64_t stats_ns = app->cfg->stats_interval_ms * ms;
	const uint64_t end = o->duration > 0 ? start + (uint64_t)(o->duration * 1e9) : UINT64_MAX;
	const uint64_t idle_ns = o->idle_ms * ms;
	uint64_t next_stats = start + stats_ns, next_snap = start + SL_SNAPSHOT_MS * ms;
	uint64_t next_health = start + SL_HEALTH_MS * ms;
	uint64_t last_rx = 0, last_change = start;
	uint16_t health_next = 0;
	bool busy = false;

	while (!quit_signal) {
		uint64_t deadline = RTE_MIN(RTE_MIN(next_snap, next_stats), RTE_MIN(next_health, end));

		/* waits for requests until the deadline (not at all when busy) */
		busy = sl_bypass_poll(app, busy ? 0 : deadline);
		if (quit_signal)
			break;
		if (sl_records_drain(app, SL_REC_DRAIN_BUDGET) == SL_REC_DRAIN_BUDGET)
			busy = true;
		sl_admin_poll(app);
		sl_reload_poll(app);
		sl_records_poll(app);
		sl_capture_poll(app);
		sl_service_tick(app, rte_rdtsc());
		if (hup_signal) {
			hup_signal = 0;
			stats = on_sighup(app, stats, stats_path);
		}
		uint64_t now = sl_mono_ns();

		if (now >= next_health) {
			sl_health_poll(app, &health_next);
			next_health = now + SL_HEALTH_MS * ms;
		}
		if (now < next_snap && now < next_stats && now < end)
			continue;
		sl_control_snapshot(app);
		next_snap = now + SL_SNAPSHOT_MS * ms;
		if (now >= next_stats) {
			int rc = sl_control_write_stats(app, stats, false);
			uint64_t lost;

			if (rc != 0)
				stats_failed(&stats_fail, stats_path, rc);
			else if (sl_faillog_ok(&stats_fail, &lost))
				SL_LOG(NOTICE, "stats: written to '%s' again (%" PRIu64 " lines lost)\n",
				       stats_path, lost);
			/* on the interval's grid; a line that could not be on
			 * time is not followed by a burst of catching up */
			next_stats += stats_ns;
			if (next_stats <= now)
				next_stats = now + stats_ns;
		}
		if (now >= end)
			break;
		if (idle_ns) {
			uint64_t rx = app->agg.ledger.received;
			if (rx != last_rx) {
				last_rx = rx;
				last_change = now;
			} else if (now - last_change >= idle_ns && app->agg.ledger.in_flight == 0) {
				SL_LOG(INFO, "inputs idle for %u ms, stopping\n", o->idle_ms);
				break;
			}
		}
	}
	if (quit_signal)
		SL_LOG(INFO, "signal %d, stopping\n", (int)quit_signal);
	return stats;
}

/* Stop RX everywhere, then let each worker drain its ring and TX buffers. */
static void
shutdown_workers(struct sl_app *app)
{
	__atomic_store_n(&app->stop_rx, 1, __ATOMIC_RELEASE);
	for (uint16_t w = 0; w < app->n_workers; w++)
		while (!__atomic_load_n(&app->workers[w]->ctl.rx_stopped, __ATOMIC_ACQUIRE))
			rte_pause();
	__atomic_store_n(&app->drain, 1, __ATOMIC_RELEASE);
	/* workers end every flow now: take their records while they do */
	for (uint16_t w = 0; w < app->n_workers; w++)
		while (!__atomic_load_n(&app->workers[w]->ctl.done, __ATOMIC_ACQUIRE))
			if (sl_records_drain(app, SL_REC_DRAIN_BUDGET) == 0)
				sl_sleep_until(sl_mono_ns() + 1000000);
	rte_eal_mp_wait_lcore();
	while (sl_records_drain(app, SL_REC_DRAIN_BUDGET) > 0)
		;
}

int
main(int argc, char **argv)
{
	struct sl_opts o;
	struct sl_cfg_error err;
	struct sl_app app;
	int eal_argc = 0;
	char **eal_argv = NULL;
	const char *stats_path = NULL;
	char stats_path_buf[SL_PATH_MAX]; /* a reload frees the configuration */
	int stats = -1;
	char driver_said[512] = "";
	int rc, ret = 1;

	memset(&app, 0, sizeof(app));
	memset(&err, 0, sizeof(err));
	if (parse_opts(argc, argv, &o) != 0)
		return 2;

	/* Stage 1: configuration. A bad config never starts the data path. */
	unsigned int flags = sl_eal_args_set_lcores(o.eal_argc, o.eal_argv)
				     ? SL_CFG_NO_LCORE_CPU_CHECK : 0;
	rc = sl_config_load(o.config, flags, &app.cfg, &err);
	if (rc != 0) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	sl_parse_cfg_default(&app.parse_cfg);
	app.parse_cfg.max_depth = app.cfg->tunnels.max_depth;
	app.parse_cfg.mpls_pw = app.cfg->tunnels.mpls_pw;
	app.parse_cfg.n_vxlan_ports = app.cfg->tunnels.n_vxlan_ports;
	memcpy(app.parse_cfg.vxlan_ports, app.cfg->tunnels.vxlan_ports,
	       sizeof(app.parse_cfg.vxlan_ports));
	app.parse_cfg.n_geneve_ports = app.cfg->tunnels.n_geneve_ports;
	memcpy(app.parse_cfg.geneve_ports, app.cfg->tunnels.geneve_ports,
	       sizeof(app.parse_cfg.geneve_ports));
	/* capture files of net_pcap inputs: link type, damaged records, the
	 * mbufs infinite_rx needs (pcapin.c) */
	if (sl_pcap_inputs_inspect(app.cfg, &app.pcap_in, &err) != 0) {
		fprintf(stderr, "%s\n", err.msg);
		sl_pcap_inputs_free(app.pcap_in);
		sl_config_free(app.cfg);
		return 1;
	}
	if (o.check) {
		printf("%s: configuration OK (%u inputs, %u outputs, %u tenants, %u workers)\n",
		       o.config, app.cfg->n_inputs, app.cfg->n_outputs, app.cfg->n_tenants,
		       app.cfg->n_workers);
		sl_pcap_inputs_free(app.pcap_in);
		sl_config_free(app.cfg);
		return 0;
	}

	/* Stage 2: EAL. From here on every line goes through one formatter. */
	sl_log_init();
	if (sl_eal_args_build(app.cfg, o.eal_argc, o.eal_argv, &eal_argc, &eal_argv) != 0) {
		SL_LOG(ERR, "building EAL arguments failed\n");
		goto out_cfg;
	}
	{
		/* rte_eal_init permutes argv: give it a copy of the pointers,
		 * with quiet log levels first (later --log-level wins) */
		int n;
		char **tmp = sl_log_eal_argv(eal_argc, eal_argv, &n);
		sigset_t stop_sigs, old_mask;
		if (tmp == NULL)
			goto out_cfg;
		/* the EAL's threads (workers, interrupts, telemetry) inherit a
		 * mask that blocks the stop signals: they reach this thread,
		 * whose wait they end at once (control_loop()) */
		sigemptyset(&stop_sigs);
		sigaddset(&stop_sigs, SIGINT);
		sigaddset(&stop_sigs, SIGTERM);
		sigaddset(&stop_sigs, SIGHUP);
		pthread_sigmask(SIG_BLOCK, &stop_sigs, &old_mask);
		sl_log_capture_begin();
		rc = rte_eal_init(n, tmp);
		sl_log_capture_end(driver_said, sizeof(driver_said));
		pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
		free(tmp);
	}
	if (rc < 0) {
		SL_LOG(ERR, "EAL init failed: %s%s%s%s\n", rte_strerror(rte_errno),
		       driver_said[0] ? " (" : "", driver_said, driver_said[0] ? ")" : "");
		goto out_cfg;
	}
	sl_pdump_init();
	app.tsc_hz = rte_get_tsc_hz();
	app.ft_shift = sl_flow_time_shift(app.tsc_hz);
	app.ft_hz = sl_flow_time_hz(app.tsc_hz, app.ft_shift);
	app.n_workers = (uint16_t)(rte_lcore_count() - 1);
	if (app.n_workers == 0 || app.n_workers > SL_MAX_WORKERS) {
		sl_config_error(app.cfg, &err, app.cfg->lcores_loc, "eal.worker_lcores",
				"need 1..%d worker lcores besides the main lcore, EAL has %u",
				SL_MAX_WORKERS, app.n_workers);
		fprintf(stderr, "%s\n", err.msg);
		goto out_eal;
	}
	if (!flags && app.n_workers != app.cfg->n_workers)
		SL_LOG(WARNING, "EAL runs %u workers, the configuration lists %u\n",
		       app.n_workers, app.cfg->n_workers);

	/* Stage 3: slots, ports, tables, workers. The tables own a copy of
	 * the configuration; app.cfg stays what sluice started with. */
	/* later loads (here and on reload) run after the EAL pinned this
	 * thread to the main lcore: the lcores were checked at the first load
	 * and a reload may not change them */
	app.cfg_flags = flags | SL_CFG_NO_LCORE_CPU_CHECK;
	if (sl_slots_init(&app, app.cfg, &err) != 0)
		goto fail_msg;
	sl_log_capture_begin();
	rc = sl_ports_setup(&app, &err);
	if (sl_log_capture_end(driver_said, sizeof(driver_said)) > 0 && rc != 0) {
		/* the reason is often only in the driver's own log line */
		size_t used = strlen(err.msg);
		snprintf(err.msg + used, sizeof(err.msg) - used, " (driver: %s)", driver_said);
	}
	if (rc != 0)
		goto fail_msg;
	/* outputs' first state, as soon as they exist (a ring's consumer
	 * cannot have attached yet) */
	sl_health_init(&app);
	{
		struct sl_cfg *cur = NULL;

		if (sl_config_load(o.config, app.cfg_flags, &cur, &err) != 0)
			goto fail_msg;
		app.tbl = sl_tables_build(&app, cur, NULL, &err);
		if (app.tbl == NULL) {
			sl_config_free(cur);
			goto fail_msg;
		}
		for (uint16_t t = 0; t < cur->n_tenants; t++)
			app.tenant_records[app.tbl->slot_of[t]] =
				cur->tenants[t].records.kind != SL_RECORDS_NONE;
	}
	const struct sl_stats_groups groups = {
		.n_inputs = app.cfg->n_inputs,
		.n_tenants = app.tenant_cap,
		.n_members = app.member_cap,
		.n_parse_errs = SL_PARSE_ERR_MAX,
		.n_encap_types = SL_ENCAP_TYPE_MAX,
		.n_encap_errs = SL_ENCAP_ERR_MAX,
		.n_frag_stats = SL_FRAG_STAT_MAX,
		.parse_drop_name = sl_parse_drop_name,
	};
	sl_stats_layout_init(&app.layout, &groups);
	if (sl_workers_create(&app, &err) != 0)
		goto fail_msg;
	if (sl_ports_assign_rx(&app, &err) != 0)
		goto fail_msg;
	sl_health_sync(&app); /* the member slots the tables made */
	if (sl_control_init(&app) != 0 || sl_reload_init(&app) != 0 || sl_capture_init(&app) != 0) {
		snprintf(err.msg, sizeof(err.msg), "sluice: out of memory");
		goto fail_msg;
	}
	sl_munmap_guard(app.qsbr);

	/* Stage 4: control plane. */
	snprintf(stats_path_buf, sizeof(stats_path_buf), "%s",
		 o.stats_path != NULL ? o.stats_path : app.cfg->stats_path);
	stats_path = stats_path_buf;
	stats = open_stats(stats_path);
	if (stats_path[0] == '\0')
		stats_path = "-";
	if (stats < 0) {
		snprintf(err.msg, sizeof(err.msg), "%.400s: stats.path: cannot open '%.400s': %s",
			 app.cfg->path, o.stats_path ? o.stats_path : app.cfg->stats_path,
			 strerror(errno));
		goto fail_msg;
	}
	if (sl_records_init(&app, &err) != 0 || sl_bypass_init(&app, &err) != 0 ||
	    sl_admin_init(&app, &err) != 0 || sl_metrics_start(&app, &err) != 0)
		goto fail_msg;
	if (sl_telemetry_register(&app) != 0)
		SL_LOG(WARNING, "registering telemetry commands failed\n");
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_hup);
	signal(SIGPIPE, SIG_IGN); /* a record or control peer that went away */

	/* Stage 5: run. */
	app.start_tsc = rte_rdtsc();
	for (uint16_t w = 0; w < app.n_workers; w++)
		rte_eal_remote_launch(sl_worker_main, app.workers[w], app.workers[w]->lcore);
	SL_LOG(INFO, "running: %u workers, %u inputs, %u outputs, %u tenants, %u members\n",
	       app.n_workers, app.cfg->n_inputs, app.cfg->n_outputs, app.cfg->n_tenants,
	       app.n_member_slots);
	sl_service_init(&app);
	sl_service_ready(&app, rte_rdtsc());
	stats = control_loop(&app, &o, stats, stats_path);
	sl_service_stopping();
	shutdown_workers(&app);
	sl_control_snapshot(&app); /* workers are done: reads their final counters */
	rc = sl_control_write_stats(&app, stats, true);
	ret = app.agg.ledger.balanced ? 0 : 3;
	if (!app.agg.ledger.balanced)
		SL_LOG(ERR, "ledger does not balance at exit\n");
	if (rc != 0) {
		/* nobody can check the ledger: say so in the exit status */
		SL_LOG(ERR, "stats: the final line could not be written to '%s': %s; exit "
		       "status 4\n", stats_path, strerror(-rc));
		if (ret == 0)
			ret = 4;
	}
	goto out_run;

fail_msg:
	SL_LOG(ERR, "%s\n", err.msg);
out_run:
	if (stats >= 0 && stats != STDOUT_FILENO)
		close(stats);
	/* telemetry and /metrics read the aggregate and the ports: first */
	sl_telemetry_close();
	sl_metrics_stop(&app);
	sl_ports_close(&app);
	sl_capture_free(&app);
	sl_admin_free(&app);
	sl_bypass_free(&app);
	sl_records_free(&app);
	sl_control_free(&app);
	sl_health_free(&app);
	sl_workers_free(&app);
	sl_munmap_guard(NULL);
	sl_reload_free(&app);
	sl_tables_free(app.tbl);
	sl_slots_free(&app);
out_eal:
	sl_pdump_free();
	rte_eal_cleanup();
out_cfg:
	sl_pcap_inputs_free(app.pcap_in);
	sl_eal_args_free(eal_argc, eal_argv);
	sl_config_free(app.cfg);
	sl_log_close();
	return ret;
}
