/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One formatter for every log line, sluice's and DPDK's: rte_log writes into
 * a fopencookie() stream that prefixes each line with the time and the level
 * ("2025-03-01T10:00:00.123+0100 WARNING EAL: ...") before it goes to
 * stderr. Under systemd (stderr is the journal: JOURNAL_STREAM) the prefix
 * is "<N>" instead, the syslog priority journald reads, and the journal keeps
 * the time.
 *
 * While start-up calls a driver (configuring ports, EAL init), the error
 * lines (ERR and worse) logged by that thread are also kept, so that
 * sluice's own error message can say what the driver said.
 *
 * The default EAL arguments keep DPDK's libraries and drivers at warning
 * level; --log-level in the configuration or after "--" comes later and wins.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <rte_log.h>

#include "ops.h"

#define SL_LOG_CAPTURE_MAX 512

/* The state below is only touched from the stream's write callback, which
 * glibc calls with the stream's lock held, or by the main thread before
 * workers and telemetry exist. */
static FILE *log_stream;
static bool at_line_start = true;
static bool to_journal;
static bool capturing;
static pthread_t capture_thread;
static char capture[SL_LOG_CAPTURE_MAX];
static size_t capture_len;
static bool capture_line; /* the line being written is kept */

static const char *const level_names[] = {
	[RTE_LOG_EMERG] = "EMERG",   [RTE_LOG_ALERT] = "ALERT", [RTE_LOG_CRIT] = "CRIT",
	[RTE_LOG_ERR] = "ERR",       [RTE_LOG_WARNING] = "WARNING",
	[RTE_LOG_NOTICE] = "NOTICE", [RTE_LOG_INFO] = "INFO",   [RTE_LOG_DEBUG] = "DEBUG",
};

static int
cur_level(void)
{
	int l = rte_log_cur_msg_loglevel();

	return l >= (int)RTE_LOG_EMERG && l <= (int)RTE_LOG_DEBUG ? l : (int)RTE_LOG_INFO;
}

static size_t
line_prefix(char *buf, size_t size, int level)
{
	struct timeval tv;
	struct tm tm;
	char tz[8];
	size_t n;

	if (to_journal)
		return (size_t)snprintf(buf, size, "<%d>", level - 1);
	gettimeofday(&tv, NULL);
	localtime_r(&tv.tv_sec, &tm);
	n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
	strftime(tz, sizeof(tz), "%z", &tm);
	n += (size_t)snprintf(buf + n, size - n, ".%03ld%s %s ", (long)tv.tv_usec / 1000, tz,
			      level_names[level]);
	return n;
}

/* Keep a line (without its newline) for sl_log_capture_end(): the newest
 * lines win when they do not all fit. */
static void
capture_append(const char *s, size_t n, bool first_piece)
{
	const char *sep = first_piece && capture_len > 0 ? "; " : "";
	size_t need = strlen(sep) + n;

	if (need >= sizeof(capture))
		return;
	if (capture_len + need >= sizeof(capture)) {
		size_t drop = capture_len + need - sizeof(capture) + 1;

		memmove(capture, capture + drop, capture_len - drop);
		capture_len -= drop;
	}
	memcpy(capture + capture_len, sep, strlen(sep));
	capture_len += strlen(sep);
	memcpy(capture + capture_len, s, n);
	capture_len += n;
	capture[capture_len] = '\0';
}

static ssize_t
log_write(void *cookie, const char *buf, size_t size)
{
	char out[4096];
	size_t i = 0;

	(void)cookie;
	while (i < size) {
		const char *nl = memchr(buf + i, '\n', size - i);
		size_t n = nl != NULL ? (size_t)(nl - (buf + i)) + 1 : size - i;
		size_t used = 0;
		bool first = at_line_start;

		if (at_line_start) {
			int level = cur_level();

			used = line_prefix(out, sizeof(out), level);
			capture_line = capturing && pthread_equal(pthread_self(), capture_thread) &&
				       level <= (int)RTE_LOG_ERR && strncmp(buf + i, "sluice", 6) != 0;
		}
		if (n > sizeof(out) - used)
			n = sizeof(out) - used;
		memcpy(out + used, buf + i, n);
		if (capture_line)
			capture_append(buf + i, n - (buf[i + n - 1] == '\n'), first);
		at_line_start = buf[i + n - 1] == '\n';
		if (write(STDERR_FILENO, out, used + n) < 0)
			break;
		i += n;
	}
	return (ssize_t)size;
}

static bool
stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	return js != NULL && sscanf(js, "%llu:%llu", &dev, &ino) == 2 &&
	       fstat(STDERR_FILENO, &st) == 0 && st.st_dev == dev && st.st_ino == ino;
}

int
sl_log_init(void)
{
	static cookie_io_functions_t fns = { .write = log_write };

	to_journal = stderr_is_journal();
	log_stream = fopencookie(NULL, "w", fns);
	if (log_stream == NULL)
		return -1;
	/* rte_vlog flushes after each message: one write per message */
	setvbuf(log_stream, NULL, _IOFBF, 8192);
	return rte_openlog_stream(log_stream);
}

void
sl_log_close(void)
{
	if (log_stream == NULL)
		return;
	rte_openlog_stream(NULL);
	fclose(log_stream);
	log_stream = NULL;
}

void
sl_log_capture_begin(void)
{
	capture_len = 0;
	capture[0] = '\0';
	capture_thread = pthread_self();
	__atomic_store_n(&capturing, true, __ATOMIC_RELEASE);
}

size_t
sl_log_capture_end(char *buf, size_t size)
{
	__atomic_store_n(&capturing, false, __ATOMIC_RELEASE);
	if (size > 0)
		snprintf(buf, size, "%s", capture);
	return capture_len;
}

/* Quiet defaults first, so that any --log-level given later wins. */
static const char *const quiet_args[] = { "--log-level=lib.*:warning",
					  "--log-level=pmd.*:warning" };

char **
sl_log_eal_argv(int argc, char **argv, int *out_argc)
{
	int n = argc + (int)(sizeof(quiet_args) / sizeof(quiet_args[0]));
	char **out = calloc((size_t)n + 1, sizeof(char *));

	if (out == NULL || argc < 1) {
		free(out);
		return NULL;
	}
	out[0] = argv[0];
	for (size_t i = 0; i < sizeof(quiet_args) / sizeof(quiet_args[0]); i++)
		out[1 + i] = (char *)(uintptr_t)quiet_args[i];
	memcpy(out + 1 + sizeof(quiet_args) / sizeof(quiet_args[0]), argv + 1,
	       (size_t)(argc - 1) * sizeof(char *));
	*out_argc = n;
	return out;
}
