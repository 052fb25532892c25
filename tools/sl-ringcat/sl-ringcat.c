/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sl-ringcat: attach to one sluice shared-memory ring (lib/shmring,
 * docs/shmring.md) as its consumer and write the packets to stdout as a
 * pcap: nanosecond timestamps, DLT_EN10MB, caplen and wire length from the
 * descriptor. Frames are released as soon as they are written.
 *
 *   sl-ringcat [--count N] [--timeout-ms T] [--quiet] PATH | tcpdump -nr -
 *   sl-ringcat --discard PATH
 *
 * With --discard it is the null analyzer of the benchmarks: packets are
 * counted (packets, wire bytes) and released at once, their bytes are not
 * read, and stdout is not touched (it may be a terminal).
 *
 * Stops after N packets, on SIGINT or SIGTERM, after T ms without a packet,
 * when the producer closes or replaces the region, or when the reader of
 * stdout goes away (EPIPE: not an error). Prints a one-line summary to
 * stderr unless --quiet.
 *
 * Exit codes: 0 ok, 1 error (open, write), 2 usage.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "sl_shmring.h"

#define EXIT_IO 1
#define EXIT_USAGE 2

#define BURST 64
/* Sleep when the ring is empty; the heartbeat is written at this pace. */
#define IDLE_SLEEP_NS 100000L
/* How often an idle reader checks whether the producer went away. */
#define STALE_CHECK_NS 100000000ull
/* Largest snaplen libpcap readers accept. */
#define MAX_SNAPLEN 262144u

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: sl-ringcat [--count N] [--timeout-ms T] [--discard] [--quiet] PATH\n"
		"Write the packets of the sluice shared-memory ring PATH to stdout as a\n"
		"pcap (nanosecond timestamps), e.g. sl-ringcat PATH | tcpdump -nr -\n"
		"  -c, --count N        stop after N packets\n"
		"  -t, --timeout-ms T   stop after T ms without a packet\n"
		"  -d, --discard        no pcap: count packets and bytes and release them\n"
		"                       unread (a null analyzer for benchmarks)\n"
		"  -q, --quiet          no summary on stderr\n"
		"  -h, --help           this text\n");
}

static int
parse_u64(const char *s, uint64_t *v)
{
	char *end;

	if (s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	*v = strtoull(s, &end, 10);
	return errno != 0 || *end != '\0' || *v == 0 ? -1 : 0;
}

/*
 * Flush and check stdout: 0 ok, 1 the reader went away (EPIPE), -1 other
 * write error (message printed); 0 without a dumper (--discard). A failed
 * fwrite() inside pcap_dump() may drop the buffer, so the stream's error
 * flag is checked too; errno is cleared before each burst so it still holds
 * the write's error.
 */
static int
flush_out(pcap_dumper_t *d)
{
	FILE *f;

	if (d == NULL)
		return 0;
	f = pcap_dump_file(d);
	if (pcap_dump_flush(d) == 0 && !ferror(f))
		return 0;
	if (errno == EPIPE)
		return 1;
	fprintf(stderr, "sl-ringcat: writing stdout: %s\n",
		errno != 0 ? strerror(errno) : "write error");
	return -1;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "count", required_argument, NULL, 'c' },
		{ "timeout-ms", required_argument, NULL, 't' },
		{ "discard", no_argument, NULL, 'd' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sl_shmring_pkt pkts[BURST];
	struct sl_shmring_cons *c;
	struct sl_shmring_info info;
	struct sl_shmring_prod_stats peer;
	const struct sl_shmring_cons_stats *cs;
	struct sigaction sa;
	pcap_t *pd = NULL;
	pcap_dumper_t *dumper = NULL;
	uint64_t count = 0, timeout_ms = 0, written = 0, bytes = 0, last_pkt, last_stale_check;
	const char *path, *why = NULL;
	uint32_t snaplen;
	bool dirty = false, quiet = false, discard = false;
	int opt, rc, status = 0;

	while ((opt = getopt_long(argc, argv, "c:t:dqh", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			if (parse_u64(optarg, &count) != 0) {
				fprintf(stderr, "sl-ringcat: --count wants a positive integer\n");
				return EXIT_USAGE;
			}
			break;
		case 't':
			if (parse_u64(optarg, &timeout_ms) != 0 || timeout_ms > UINT64_MAX / 1000000) {
				fprintf(stderr, "sl-ringcat: --timeout-ms wants a positive integer\n");
				return EXIT_USAGE;
			}
			break;
		case 'd':
			discard = true;
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return EXIT_USAGE;
	}
	path = argv[optind];
	if (!discard && isatty(STDOUT_FILENO)) {
		fprintf(stderr, "sl-ringcat: not writing a pcap to a terminal; pipe or redirect "
				"stdout\n");
		return EXIT_USAGE;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: nanosleep returns early */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	rc = sl_shmring_open(path, &c);
	if (rc != 0) {
		fprintf(stderr, "sl-ringcat: %s: %s%s\n", path, strerror(-rc),
			rc == -EBUSY ? " (another consumer is attached)" :
			rc == -EBADMSG ? " (not a sluice ring, or another version)" : "");
		return EXIT_IO;
	}
	sl_shmring_consumer_info(c, &info);
	snaplen = info.frame_size < MAX_SNAPLEN ? info.frame_size : MAX_SNAPLEN;
	if (!discard) {
		pd = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, (int)snaplen,
							  PCAP_TSTAMP_PRECISION_NANO);
		if (pd == NULL) {
			fprintf(stderr, "sl-ringcat: pcap_open_dead failed\n");
			sl_shmring_close(c);
			return EXIT_IO;
		}
		dumper = pcap_dump_fopen(pd, stdout);
		if (dumper == NULL) {
			fprintf(stderr, "sl-ringcat: %s\n", pcap_geterr(pd));
			pcap_close(pd);
			sl_shmring_close(c);
			return EXIT_IO;
		}
		/* the file header at once, so a reader can start */
		status = flush_out(dumper);
	}

	last_pkt = last_stale_check = sl_shmring_now_ns();
	while (status == 0 && !stop && (count == 0 || written < count)) {
		unsigned int want = BURST, n;
		uint64_t now;

		if (count != 0 && count - written < want)
			want = (unsigned int)(count - written);
		n = sl_shmring_recv_burst(c, pkts, want);
		now = sl_shmring_now_ns();
		if (n != 0 && discard) {
			for (unsigned int i = 0; i < n; i++)
				bytes += pkts[i].len;
			sl_shmring_release(c, pkts, n);
			written += n;
			last_pkt = now;
			continue;
		}
		if (n != 0) {
			errno = 0;
			for (unsigned int i = 0; i < n; i++) {
				struct pcap_pkthdr h;

				h.ts.tv_sec = (time_t)(pkts[i].ts_ns / 1000000000ull);
				/* nanoseconds: the dump was opened with nano precision */
				h.ts.tv_usec = (suseconds_t)(pkts[i].ts_ns % 1000000000ull);
				h.caplen = pkts[i].caplen < snaplen ? pkts[i].caplen : snaplen;
				h.len = pkts[i].len;
				pcap_dump((u_char *)dumper, &h, pkts[i].data);
				bytes += h.len;
			}
			sl_shmring_release(c, pkts, n);
			written += n;
			dirty = true;
			last_pkt = now;
			if (ferror(pcap_dump_file(dumper)))
				status = flush_out(dumper);
			continue;
		}
		if (dirty) {
			dirty = false;
			status = flush_out(dumper);
			if (status != 0)
				break;
		}
		if (timeout_ms != 0 && now - last_pkt >= timeout_ms * 1000000ull) {
			why = "timeout";
			break;
		}
		if (now - last_stale_check >= STALE_CHECK_NS) {
			last_stale_check = now;
			if (sl_shmring_stale(c) == 1) {
				why = "producer closed the ring";
				break;
			}
		}
		nanosleep(&(struct timespec){ .tv_sec = 0, .tv_nsec = IDLE_SLEEP_NS }, NULL);
	}
	if (stop)
		why = "interrupted";
	if (status == 0)
		status = flush_out(dumper);
	if (status == 1)
		why = "reader closed stdout";
	if (!quiet) {
		cs = sl_shmring_consumer_stats(c);
		sl_shmring_peer_stats(c, &peer);
		fprintf(stderr,
			"sl-ringcat: %" PRIu64 " packets, %" PRIu64 " bytes%s%s%s%s; bad descriptors %"
			PRIu64 ", bad indexes %" PRIu64 "; producer: delivered %" PRIu64
			", refused_full %" PRIu64 ", no_consumer %" PRIu64 "\n",
			written, bytes, discard ? " discarded" : "", why != NULL ? " (" : "",
			why != NULL ? why : "", why != NULL ? ")" : "", cs->bad_desc, cs->bad_index,
			peer.delivered, peer.refused_full, peer.no_consumer);
	}
	sl_shmring_close(c);
	if (dumper != NULL)
		pcap_dump_close(dumper); /* closes stdout */
	if (pd != NULL)
		pcap_close(pd);
	return status < 0 ? EXIT_IO : 0;
}
