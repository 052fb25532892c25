/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * kstats.c: what the kernel counted for the inputs it delivers to sluice
 * (net_af_packet, net_af_xdp, net_tap), shown beside each input's imissed,
 * and the verdict on the path before sluice (ledger.inputs_lossless).
 */
#ifndef SL_KSTATS_H
#define SL_KSTATS_H

#include <jansson.h>

struct sl_app;

/**
 * Find the kernel objects behind every kernel-backed input (interface, the
 * PMD's packet or XDP sockets) and take the interface counters' baseline.
 * Call once, after the ports are set up. Inputs of other drivers are left
 * alone. Returns 0 or -ENOMEM; an input whose kernel objects cannot be found
 * is reported without them ("kernel": {"error": ...}), never fails start-up.
 */
int sl_kstats_init(struct sl_app *app);

/** Release what sl_kstats_init() allocated (never closes the PMDs' sockets). */
void sl_kstats_free(struct sl_app *app);

/**
 * Read the kernel's counters now and add them to a stats object built by
 * sl_stats_json(): a "kernel" object in each kernel-backed element of
 * stats.inputs, and to stats.ledger the verdict on the path before sluice:
 * "imissed" (sum of the inputs' imissed), "kernel_dropped" (drops the kernel
 * counted that imissed does not already hold) and "inputs_lossless".
 * Thread-safe (control and telemetry threads); reading a packet socket's
 * statistics resets them in the kernel, so only this function may do it.
 */
void sl_kstats_json(struct sl_app *app, json_t *stats);

/**
 * The "kernel" object of one input (as sl_kstats_json() puts in
 * stats.inputs[i]), read now; NULL for an input no kernel object backs.
 * Thread-safe, for the telemetry thread's /sluice/inputs. The caller owns
 * the reference.
 */
json_t *sl_kstats_input_json(struct sl_app *app, uint16_t input);

#endif /* SL_KSTATS_H */
