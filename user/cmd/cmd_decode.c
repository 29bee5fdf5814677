// SPDX-License-Identifier: BSD-2-Clause
/*
 * cmd_decode.c - `nfxdp decode`: the export packets of a capture file through the
 * same decoders as live traffic.  Offline and unprivileged; the exporter is
 * each packet's source address and "now" is the packet's capture time, so
 * the output of a given file is always the same.
 */
#include <errno.h>
#include <getopt.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "decode/decode.h"
#include "base/log.h"
#include "sink/ndjson.h"
#include "io/reasm.h"

#define DECODE_MAX_PORTS 64

struct decode_opts {
	uint16_t ports[DECODE_MAX_PORTS];
	int nports;
	int any_port;
	int stats;			/* 1 table, 2 JSON, on stderr */
	struct nfx_dec_policy pol;
	struct nfx_ndjson_opts out;
};

struct decode_counts {
	uint64_t frames;
	uint64_t not_udp;		/* not UDP, or a fragment still incomplete */
	uint64_t other_port;
};

static void decode_usage(FILE *f)
{
	fprintf(f,
		"usage: nfxdp decode [-p PORT]... [--any-port] [-o FILE|-] [--namespace NS]\n"
		"                    [--host NAME] [--stats|--stats-json] [--ms-times]\n"
		"                    [--biflow-reverse] FILE.pcap\n\n"
		"Decodes the NetFlow/IPFIX and sFlow export packets of a capture (Ethernet,\n"
		"raw IP or Linux cooked) and writes one NDJSON record per flow (per sFlow\n"
		"flow sample).  The exporter is each packet's source address (sFlow: the\n"
		"agent address it carries); flush_timestamp is the packet's capture time.\n"
		"IP fragments are reassembled (in live mode the kernel does it).\n\n"
		"  -p, --port PORT     UDP destination port to decode (default 2055, 4739, 6343)\n"
		"      --any-port      decode every UDP datagram\n"
		"  -o, --output FILE   NDJSON output (default stdout)\n"
		"      --namespace NS  device.namespace of the records (default \"default\")\n"
		"      --host NAME     host of the records (default this host's name)\n"
		"      --stats         print decoder counters to stderr at the end\n"
		"      --stats-json    the same as one JSON object\n"
		"      --ms-times      add start_ms/end_ms (exact times) to each record\n"
		"      --biflow-reverse  a second record for the reverse direction of RFC 5103\n"
		"                      biflows with reverse counters (key biflow_reverse_records)\n");
}

static int parse_port(const char *s, uint16_t *port)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*end || v < 1 || v > 65535)
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

static int decode_parse_args(int argc, char **argv, struct decode_opts *o)
{
	static const struct option longopts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "any-port", no_argument, NULL, 'a' },
		{ "output", required_argument, NULL, 'o' },
		{ "namespace", required_argument, NULL, 'n' },
		{ "host", required_argument, NULL, 'H' },
		{ "stats", no_argument, NULL, 's' },
		{ "stats-json", no_argument, NULL, 'j' },
		{ "ms-times", no_argument, NULL, 'm' },
		{ "biflow-reverse", no_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "p:o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (o->nports >= DECODE_MAX_PORTS || parse_port(optarg, &o->ports[o->nports])) {
				fprintf(stderr, "nfxdp decode: bad port '%s'\n", optarg);
				return -EINVAL;
			}
			o->nports++;
			break;
		case 'a': o->any_port = 1; break;
		case 'o': o->out.path = optarg; break;
		case 'n': o->out.namespace = optarg; break;
		case 'H': o->out.host = optarg; break;
		case 's': o->stats = 1; break;
		case 'j': o->stats = 2; break;
		case 'm': o->out.flags |= NFX_NDJSON_MS_TIMES; break;
		case 'b': o->pol.biflow_reverse = 1; break;
		case 'h': decode_usage(stdout); exit(0);
		default: decode_usage(stderr); return -EINVAL;
		}
	}
	if (optind != argc - 1) {
		decode_usage(stderr);
		return -EINVAL;
	}
	if (!o->nports) {
		o->ports[o->nports++] = 2055;
		o->ports[o->nports++] = 4739;
		o->ports[o->nports++] = 6343;
	}
	return 0;
}

static int link_of(pcap_t *p, enum nfx_link *link)
{
	switch (pcap_datalink(p)) {
	case DLT_EN10MB: *link = NFX_LINK_ETHER; return 0;
	case DLT_RAW: *link = NFX_LINK_RAW_IP; return 0;
	case DLT_LINUX_SLL: *link = NFX_LINK_LINUX_SLL; return 0;
	default: return -EPROTONOSUPPORT;
	}
}

static int port_wanted(const struct decode_opts *o, uint16_t port)
{
	if (o->any_port)
		return 1;
	for (int i = 0; i < o->nports; i++)
		if (o->ports[i] == port)
			return 1;
	return 0;
}

/* The state of one run, for the datagram callback. */
struct decode_run {
	const struct decode_opts *o;
	struct nfx_decoder *dec;
	struct nfx_ndjson *w;
	struct decode_counts *n;
};

static void decode_dgram(void *ctx, const struct nfx_src *src, const uint8_t *payload,
			 size_t len)
{
	struct decode_run *d = ctx;
	const struct nfx_sink sink = { nfx_ndjson_emit, d->w };

	if (!port_wanted(d->o, src->dst_port)) {
		d->n->other_port++;
		return;
	}
	nfx_ndjson_set_now(d->w, src->now_ms);
	nfx_decode(d->dec, src, payload, len, &sink);
}

static void decode_one(struct decode_run *d, struct nfx_reasm *ra, enum nfx_link link,
		       const struct pcap_pkthdr *h, const uint8_t *data)
{
	uint64_t ts = (uint64_t)h->ts.tv_sec * 1000 + (uint64_t)h->ts.tv_usec / 1000;

	d->n->frames++;
	if (!nfx_reasm_rx(ra, link, data, h->caplen, ts, decode_dgram, d))
		d->n->not_udp++;
}

int nfx_cmd_decode(int argc, char **argv)
{
	struct decode_opts o = { 0 };
	struct decode_counts n = { 0 };
	struct decode_run run;
	char errbuf[PCAP_ERRBUF_SIZE];
	struct nfx_decoder *dec = NULL;
	struct nfx_ndjson *w = NULL;
	struct nfx_reasm *ra = NULL;
	struct pcap_pkthdr *h;
	const uint8_t *data;
	enum nfx_link link;
	pcap_t *p;
	int rc = 1, r;

	if (decode_parse_args(argc, argv, &o))
		return 2;
	p = pcap_open_offline(argv[optind], errbuf);
	if (!p) {
		fprintf(stderr, "nfxdp decode: %s\n", errbuf);
		return 1;
	}
	if (link_of(p, &link)) {
		fprintf(stderr, "nfxdp decode: %s: link type %s not supported (Ethernet, raw IP, Linux cooked)\n",
			argv[optind], pcap_datalink_val_to_name(pcap_datalink(p)));
		goto out;
	}
	dec = nfx_decoder_new(NULL);
	if (dec)
		nfx_decoder_set_policy(dec, &o.pol);
	ra = nfx_reasm_new();
	w = nfx_ndjson_open(&o.out);
	if (!dec || !w || !ra) {
		fprintf(stderr, "nfxdp decode: %s: %s\n", o.out.path ? o.out.path : "stdout",
			strerror(errno));
		goto out;
	}
	run = (struct decode_run){ &o, dec, w, &n };
	while ((r = pcap_next_ex(p, &h, &data)) == 1)
		decode_one(&run, ra, link, h, data);
	if (r == PCAP_ERROR) {
		fprintf(stderr, "nfxdp decode: %s: %s\n", argv[optind], pcap_geterr(p));
		goto out;
	}
	if (nfx_ndjson_flush(w)) {
		fprintf(stderr, "nfxdp decode: writing output: %s\n", strerror(errno));
		goto out;
	}
	rc = 0;
	if (o.stats == 1) {
		fprintf(stderr, "frames %llu, not udp/incomplete fragment %llu, other port %llu, "
			"reassembled %llu from %llu fragments (%llu invalid, %llu evicted)\n",
			(unsigned long long)n.frames, (unsigned long long)n.not_udp,
			(unsigned long long)n.other_port,
			(unsigned long long)nfx_reasm_stats(ra)->datagrams,
			(unsigned long long)nfx_reasm_stats(ra)->fragments,
			(unsigned long long)nfx_reasm_stats(ra)->invalid,
			(unsigned long long)nfx_reasm_stats(ra)->evicted);
		nfx_dec_stats_print(stderr, &dec->stats, 0);
	} else if (o.stats == 2) {
		nfx_dec_stats_print(stderr, &dec->stats, 1);
	}
out:
	nfx_ndjson_close(w);
	nfx_reasm_free(ra);
	nfx_decoder_free(dec);
	pcap_close(p);
	return rc;
}
