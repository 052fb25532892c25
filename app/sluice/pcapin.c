/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Capture files of net_pcap inputs, inspected at start-up before DPDK opens
 * them (docs/operations.md, "Capture files as inputs"):
 *
 * - the file opens with libpcap (else the driver's probe fails without
 *   saying which configuration line is wrong);
 * - its link type is Ethernet or one that has an Ethernet equivalent
 *   (lib/parse/sl_l2.h); any other is refused, named;
 * - a classic pcap's record headers are walked: a record whose length is
 *   above the file's snapshot length or 262144, or that runs past the end
 *   of the file, is refused with its byte offset (libpcap would skip the
 *   header of an oversized record and read on from a misaligned offset;
 *   pcapng blocks are checked by libpcap itself, which stops at a bad one);
 * - with infinite_rx the driver keeps every packet of the file in an mbuf
 *   of the packet pool: tuning.mbufs must hold them with room for traffic,
 *   and each packet must fit in one mbuf (tuning.mbuf_size). DPDK 22.11's
 *   net_pcap frees its ring when either is short and frees it again when
 *   the port is closed, which crashes (dpdk-patches/0001-*): sluice checks
 *   both before the queue is set up, so that path is never taken.
 *
 * Runs on the main thread at start-up only.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "sl_l2.h"
#include "app.h"
#include "datapath.h"

#define PCAP_MAGIC_US 0xa1b2c3d4u
#define PCAP_MAGIC_NS 0xa1b23c4du
#define PCAP_MAGIC_US_SWAPPED 0xd4c3b2a1u
#define PCAP_MAGIC_NS_SWAPPED 0x4d3cb2a1u
#define PCAP_FILE_HDR 24
#define PCAP_REC_HDR 16
/* libpcap's largest record (MAXIMUM_SNAPLEN) */
#define PCAP_MAX_CAPLEN 262144u
/* Mbufs per lcore the data path needs besides those infinite_rx holds:
 * the mempool cache (256) and bursts in flight (RX, TX buffers, rings). */
#define SL_PCAP_RUN_MBUFS_PER_LCORE 1024

struct sl_pcap_file {
	char path[SL_PATH_MAX];
	int dlt;             /* pcap_datalink() */
	int kind;            /* enum sl_l2_kind */
	uint64_t packets;
	uint32_t max_caplen;
};

struct sl_pcap_input {
	bool pcap;           /* a net_pcap vdev reading files */
	bool infinite_rx;
	uint16_t n_files;    /* rx_pcap= arguments: one RX queue each, in order */
	struct sl_pcap_file *files;
	char linktypes[64];  /* "RAW", or "RAW,LINUX_SLL" for files that differ */
};

struct sl_pcap_inputs {
	uint16_t n;
	struct sl_pcap_input *in; /* cfg->n_inputs */
};

/* net_pcap's names: "net_pcap0,..." or its alias "eth_pcap0,..." */
static bool
is_net_pcap(const char *vdev)
{
	return strncmp(vdev, "net_pcap", 8) == 0 || strncmp(vdev, "eth_pcap", 8) == 0;
}

static uint32_t
swap32(uint32_t v)
{
	return v >> 24 | (v >> 8 & 0xff00) | (v << 8 & 0xff0000) | v << 24;
}

/*
 * Walk a classic pcap's records. 0, or -EINVAL with the reason in @p why.
 * Counts packets and the largest record.
 */
static int
walk_classic(FILE *fp, struct sl_pcap_file *pf, char *why, size_t whylen)
{
	uint8_t hdr[PCAP_FILE_HDR];
	uint32_t magic, snaplen, w[4];
	bool swapped;
	off_t size, off = PCAP_FILE_HDR;

	if (fseeko(fp, 0, SEEK_END) != 0 || (size = ftello(fp)) < 0 || fseeko(fp, 0, SEEK_SET) != 0 ||
	    fread(hdr, 1, sizeof(hdr), fp) != sizeof(hdr)) {
		snprintf(why, whylen, "cannot read its header: %s", strerror(errno ? errno : EIO));
		return -EINVAL;
	}
	memcpy(&magic, hdr, 4);
	swapped = magic == PCAP_MAGIC_US_SWAPPED || magic == PCAP_MAGIC_NS_SWAPPED;
	memcpy(&snaplen, hdr + 16, 4);
	if (swapped)
		snaplen = swap32(snaplen);
	/* libpcap reads a snapshot length of 0 or past its maximum as the maximum */
	if (snaplen == 0 || snaplen > PCAP_MAX_CAPLEN)
		snaplen = PCAP_MAX_CAPLEN;
	while (off < size) {
		if (size - off < PCAP_REC_HDR) {
			snprintf(why, whylen,
				 "the record header at byte %jd is cut short by the end of the file",
				 (intmax_t)off);
			return -EINVAL;
		}
		if (fseeko(fp, off, SEEK_SET) != 0 || fread(w, 1, sizeof(w), fp) != sizeof(w)) {
			snprintf(why, whylen, "cannot read the record at byte %jd: %s", (intmax_t)off,
				 strerror(errno ? errno : EIO));
			return -EINVAL;
		}
		uint32_t caplen = swapped ? swap32(w[2]) : w[2];

		if (caplen > snaplen) {
			snprintf(why, whylen,
				 "the record at byte %jd claims %" PRIu32 " bytes, more than the "
				 "file's snapshot length %" PRIu32, (intmax_t)off, caplen, snaplen);
			return -EINVAL;
		}
		if ((off_t)caplen > size - off - PCAP_REC_HDR) {
			snprintf(why, whylen,
				 "the record at byte %jd (%" PRIu32 " bytes) runs past the end of the "
				 "file (%jd bytes)", (intmax_t)off, caplen, (intmax_t)size);
			return -EINVAL;
		}
		pf->packets++;
		if (caplen > pf->max_caplen)
			pf->max_caplen = caplen;
		off += PCAP_REC_HDR + caplen;
	}
	return 0;
}

/* pcapng (or anything else libpcap reads): count with libpcap, which
 * checks each block and stops at the first bad one. */
static int
walk_libpcap(pcap_t *p, struct sl_pcap_file *pf, char *why, size_t whylen)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	int rc;

	while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
		pf->packets++;
		if (h->caplen > pf->max_caplen)
			pf->max_caplen = h->caplen;
	}
	if (rc == PCAP_ERROR) {
		snprintf(why, whylen, "after %" PRIu64 " packets: %s", pf->packets, pcap_geterr(p));
		return -EINVAL;
	}
	return 0;
}

static int
inspect_file(const struct sl_cfg *cfg, const struct sl_cfg_port *cp, struct sl_pcap_file *pf,
	     struct sl_cfg_error *err)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	char why[256];
	pcap_t *p = pcap_open_offline(pf->path, ebuf);
	uint8_t magic_b[4];
	uint32_t magic = 0;
	FILE *fp;
	int rc;

	if (p == NULL) {
		sl_config_error(cfg, err, cp->loc, "inputs.vdev",
				"input '%s': cannot read capture '%s': %s", cp->name, pf->path, ebuf);
		return -EINVAL;
	}
	pf->dlt = pcap_datalink(p);
	pf->kind = sl_l2_kind_of(pf->dlt);
	if (pf->kind < 0) {
		const char *name = pcap_datalink_val_to_name(pf->dlt);
		const char *desc = pcap_datalink_val_to_description(pf->dlt);

		sl_config_error(cfg, err, cp->loc, "inputs.vdev",
				"input '%s': capture '%s' has link type %s (%s, %d), which sluice "
				"does not read: it reads Ethernet, raw IPv4/IPv6, NULL/LOOP and "
				"Linux SLL/SLL2 captures", cp->name, pf->path, name ? name : "?",
				desc ? desc : "unknown", pf->dlt);
		pcap_close(p);
		return -ENOTSUP;
	}
	fp = fopen(pf->path, "rb");
	if (fp != NULL && fread(magic_b, 1, 4, fp) == 4)
		memcpy(&magic, magic_b, 4);
	errno = 0;
	if (fp != NULL && (magic == PCAP_MAGIC_US || magic == PCAP_MAGIC_NS ||
			   magic == PCAP_MAGIC_US_SWAPPED || magic == PCAP_MAGIC_NS_SWAPPED))
		rc = walk_classic(fp, pf, why, sizeof(why));
	else
		rc = walk_libpcap(p, pf, why, sizeof(why));
	if (fp != NULL)
		fclose(fp);
	pcap_close(p);
	if (rc != 0)
		sl_config_error(cfg, err, cp->loc, "inputs.vdev",
				"input '%s': capture '%s' is damaged: %s; sluice does not read it",
				cp->name, pf->path, why);
	return rc;
}

/* The rx_pcap= files and infinite_rx of a net_pcap vdev string. */
static int
parse_vdev(const struct sl_cfg *cfg, const struct sl_cfg_port *cp, struct sl_pcap_input *in,
	   struct sl_cfg_error *err)
{
	const char *s = strchr(cp->vdev, ',');

	while (s != NULL) {
		const char *kv = s + 1, *end = strchr(kv, ',');
		size_t len = end ? (size_t)(end - kv) : strlen(kv);

		s = end;
		if (len > 8 && strncmp(kv, "rx_pcap=", 8) == 0) {
			struct sl_pcap_file *f = realloc(in->files, (in->n_files + 1) * sizeof(*f));

			if (f == NULL)
				return -ENOMEM;
			in->files = f;
			f = &in->files[in->n_files++];
			memset(f, 0, sizeof(*f));
			snprintf(f->path, sizeof(f->path), "%.*s", (int)(len - 8), kv + 8);
		} else if (len > 12 && strncmp(kv, "infinite_rx=", 12) == 0) {
			in->infinite_rx = atoi(kv + 12) > 0;
		} else if (len == 8 && strncmp(kv, "rx_pcap=", 8) == 0) {
			sl_config_error(cfg, err, cp->loc, "inputs.vdev",
					"input '%s': rx_pcap= names no file", cp->name);
			return -EINVAL;
		}
	}
	return 0;
}

/* Mbufs the data path needs besides those infinite_rx holds: a mempool
 * cache per lcore and a few bursts in flight. */
static uint64_t
running_mbufs(const struct sl_cfg *cfg)
{
	return (uint64_t)(cfg->n_workers + 1) * SL_PCAP_RUN_MBUFS_PER_LCORE;
}

int
sl_pcap_inputs_inspect(const struct sl_cfg *cfg, struct sl_pcap_inputs **out,
		       struct sl_cfg_error *err)
{
	struct sl_pcap_inputs *pi = calloc(1, sizeof(*pi));
	uint64_t held = 0;
	int rc = -ENOMEM;

	*out = pi;
	if (pi == NULL || (pi->in = calloc(cfg->n_inputs, sizeof(*pi->in))) == NULL)
		goto nomem;
	pi->n = cfg->n_inputs;
	for (uint16_t i = 0; i < cfg->n_inputs; i++) {
		const struct sl_cfg_port *cp = &cfg->inputs[i];
		struct sl_pcap_input *in = &pi->in[i];

		if (cp->vdev[0] == '\0' || !is_net_pcap(cp->vdev))
			continue;
		in->pcap = true;
		if ((rc = parse_vdev(cfg, cp, in, err)) != 0)
			goto fail;
		for (uint16_t f = 0; f < in->n_files; f++) {
			if ((rc = inspect_file(cfg, cp, &in->files[f], err)) != 0)
				return rc;
			if (in->infinite_rx)
				held += in->files[f].packets;
			const char *name = sl_l2_kind_name(in->files[f].kind);
			size_t used = strlen(in->linktypes);
			if (strstr(in->linktypes, name) == NULL && used + strlen(name) + 2 < sizeof(in->linktypes))
				snprintf(in->linktypes + used, sizeof(in->linktypes) - used, "%s%s",
					 used ? "," : "", name);
		}
	}
	for (uint16_t i = 0; held > 0 && i < cfg->n_inputs; i++) {
		const struct sl_pcap_input *in = &pi->in[i];

		if (!in->infinite_rx || in->n_files == 0)
			continue;
		if (held + running_mbufs(cfg) > cfg->mbufs) {
			sl_config_error(cfg, err, cfg->inputs[i].loc, "tuning.mbufs",
					"input '%s': infinite_rx keeps every packet of its captures "
					"in mbufs: %" PRIu64 " packets in all infinite_rx captures, "
					"so tuning.mbufs must be at least %" PRIu64 " (%" PRIu64
					" more for traffic in flight); it is %u", cfg->inputs[i].name,
					held, held + running_mbufs(cfg), running_mbufs(cfg), cfg->mbufs);
			return -EINVAL;
		}
		for (uint16_t f = 0; f < in->n_files; f++) {
			uint32_t room = cfg->mbuf_size > RTE_PKTMBUF_HEADROOM ?
						cfg->mbuf_size - RTE_PKTMBUF_HEADROOM : 0;

			if (in->files[f].max_caplen > room) {
				sl_config_error(cfg, err, cfg->inputs[i].loc, "tuning.mbuf_size",
						"input '%s': infinite_rx needs each packet of '%s' in "
						"one mbuf: its largest is %" PRIu32 " bytes, so "
						"tuning.mbuf_size must be at least %u; it is %u",
						cfg->inputs[i].name, in->files[f].path,
						in->files[f].max_caplen,
						in->files[f].max_caplen + RTE_PKTMBUF_HEADROOM,
						cfg->mbuf_size);
				return -EINVAL;
			}
		}
	}
	return 0;
nomem:
	snprintf(err->msg, sizeof(err->msg), "%s: out of memory", cfg->path);
fail:
	return rc;
}

void
sl_pcap_inputs_free(struct sl_pcap_inputs *pi)
{
	if (pi == NULL)
		return;
	for (uint16_t i = 0; pi->in != NULL && i < pi->n; i++)
		free(pi->in[i].files);
	free(pi->in);
	free(pi);
}

int
sl_pcap_input_l2_kind(const struct sl_pcap_inputs *pi, uint16_t input, uint16_t queue)
{
	if (pi == NULL || input >= pi->n || !pi->in[input].pcap || queue >= pi->in[input].n_files)
		return SL_L2_ETHERNET;
	return pi->in[input].files[queue].kind;
}

const char *
sl_pcap_input_linktypes(const struct sl_pcap_inputs *pi, uint16_t input)
{
	if (pi == NULL || input >= pi->n || !pi->in[input].pcap || pi->in[input].n_files == 0)
		return NULL;
	return pi->in[input].linktypes;
}

int
sl_pcap_input_check_queue(const struct sl_app *app, uint16_t input, uint16_t queue,
			  struct sl_cfg_error *err)
{
	const struct sl_pcap_inputs *pi = app->pcap_in;
	const struct sl_cfg_port *cp = &app->cfg->inputs[input];
	const struct sl_pcap_file *f;
	unsigned int avail;

	if (pi == NULL || input >= pi->n || !pi->in[input].infinite_rx ||
	    queue >= pi->in[input].n_files)
		return 0;
	f = &pi->in[input].files[queue];
	avail = rte_mempool_avail_count(app->pool);
	if (avail < f->packets + SL_PCAP_RUN_MBUFS_PER_LCORE) {
		sl_config_error(app->cfg, err, cp->loc, "tuning.mbufs",
				"input '%s': infinite_rx keeps the %" PRIu64 " packets of '%s' in "
				"mbufs, and other ports already hold %u of the pool's %u: raise "
				"tuning.mbufs to at least %" PRIu64, cp->name, f->packets, f->path,
				app->cfg->mbufs - avail, app->cfg->mbufs,
				(uint64_t)app->cfg->mbufs - avail + f->packets +
					running_mbufs(app->cfg));
		return -ENOBUFS;
	}
	return 0;
}
