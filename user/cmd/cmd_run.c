// SPDX-License-Identifier: BSD-2-Clause
/*
 * cmd_run.c - `nfxdp run`: the command line.  Flags that set a key of the
 * configuration become overrides of that key (control/config.h), applied
 * on top of the file at every load, so each key's precedence is decided in
 * one place; the rest (interface, attach mode, pins, sockets, metrics)
 * are the process's own options.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "cmd/cmd.h"
#include "control/state_file.h"
#include "control/stats_file.h"
#include "daemon/daemon.h"
#include "io/loader.h"
#include "io/xdp_maps.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: nfxdp run -i IF [-c FILE] [-p PORT[/legacy|/modern|/all|/sflow]]... [-o FILE|-]\n"
		"                 [--raw] [--metrics [ADDR:]PORT] [--skb] [--no-attach]\n"
		"                 [--pin-dir DIR] [--force] [--takeover] [--namespace NS]\n"
		"                 [--rdns] [--rdns-server IP[:PORT]] [--workers N] [--user NAME]\n"
		"                 [--state-dir DIR]\n"
		"       nfxdp run --udp [-c FILE] [-p PORT]... [--bind ADDR] [-o FILE|-] ...\n"
		"\n"
		"Collects NetFlow v1/v5/v6/v7/v9 and IPFIX and writes one JSON object per flow.\n"
		"With -i, an XDP program on IF checks export packets and hands them to one\n"
		"AF_XDP socket per RX queue; UDP sockets on the same ports take what the\n"
		"program passes to the stack (IP fragments).  With --udp, UDP sockets only.\n"
		"Flows are aggregated the Datadog Agent's way (10 s tick, flush interval,\n"
		"port roll-up) unless --raw.  SIGHUP reloads -c FILE and reopens the output;\n"
		"the file is also watched.  Flags that set a configuration key (noted [key])\n"
		"override the file's value of it, at every reload too.\n"
		"\n"
		"  -i, --interface IF    interface to attach to\n"
		"  -c, --config FILE     JSON or YAML configuration, also a datadog.yaml\n"
		"  -p, --port PORT       listener port, repeatable (default: the configuration's\n"
		"                        listeners, else 2055 and 4739); /legacy = v1/5/6/7,\n"
		"                        /modern = v9/IPFIX, /all (default, except 4739: modern,\n"
		"                        6343: sflow), /sflow = sFlow v5;\n"
		"                        replaces the file's listeners [listeners]\n"
		"  -o, --output FILE     NDJSON output, appended (default - = stdout) [output.path]\n"
		"      --gzip            gzip-compress the output file [output.gzip]\n"
		"      --rotate-size N   rotate the output file at N bytes [output.rotate_size]\n"
		"      --rotate-interval S  rotate the output file every S seconds\n"
		"                        [output.rotate_interval]\n"
		"      --output-mode MODE  permissions of the output files it creates\n"
		"                        (octal, default 0640) [output.mode]\n"
		"      --raw             one record per decoded flow, no aggregation [output.raw]\n"
		"      --metrics [ADDR:]PORT  Prometheus /metrics (default address 127.0.0.1)\n"
		"      --stats-file PATH  the same counters as a file, every second, for\n"
		"                        'nfxdp stats --daemon' (default " NFX_STATS_DIR "/IF.prom\n"
		"                        or " NFX_STATS_DIR "/udp-PORT.prom; none = off)\n"
		"      --skb             attach in generic (skb) mode\n"
		"      --no-attach       use a program attached by 'ip link set dev IF xdp obj\n"
		"                        nfx_xdp.bpf.o sec xdp' and its pinned maps\n"
		"      --pin-dir DIR     map pin directory (default %s; with --no-attach\n"
		"                        searched: %s, %s/tc/globals, %s/xdp/globals)\n"
		"      --force           replace another XDP program on IF\n"
		"      --takeover        take IF over from the nfxdp running on it, live: its\n"
		"                        program, pins, UDP sockets and state; it exits\n"
		"      --workers N       threads for the RX queues (default: one per queue,\n"
		"                        at most one per CPU) [workers]\n"
		"      --busy-poll USECS workers poll their AF_XDP sockets' NAPI themselves,\n"
		"                        spinning while packets come, for dedicated cores\n"
		"                        (SO_PREFER_BUSY_POLL; 0 = off) [busy_poll_usecs]\n"
		"      --user NAME       after setup, run as NAME with only the capabilities\n"
		"                        left to use (root only) [user]\n"
		"      --state-dir DIR   templates, sampling rates and sequences kept across\n"
		"                        restarts in DIR/IF.state (default " NFX_STATE_DIR " with -i;\n"
		"                        none = off) [state_dir]\n"
		"      --udp             plain UDP sockets, no XDP (no root needed)\n"
		"      --bind ADDR       UDP listen address (default :: = all, dual stack)\n"
		"      --namespace NS    device.namespace of listeners without their own\n"
		"                        (default \"default\") [namespace]\n"
		"      --ms-times        also write start_ms/end_ms [output.ms_times]\n"
		"      --rdns            reverse DNS names of private endpoints in the records\n"
		"                        (source/destination.reverse_dns_hostname)\n"
		"                        [reverse_dns_enrichment_enabled]\n"
		"      --rdns-server IP[:PORT]  resolver for --rdns (default /etc/resolv.conf);\n"
		"                        implies --rdns [reverse_dns_server]\n"
		"      --clickhouse URL  also insert the records into ClickHouse over HTTP\n"
		"                        (http://HOST:8123/?database=default) [output.clickhouse_url]\n"
		"      --clickhouse-table NAME  table (default flows; nfxdp clickhouse-schema)\n"
		"                        [output.clickhouse_table]\n"
		"      --clickhouse-spool DIR   batches wait here while the server is away\n"
		"                        [output.clickhouse_spool_dir]\n"
		"      --clickhouse-spool-max BYTES  spool bound, oldest dropped (default 1 GiB)\n"
		"                        [output.clickhouse_spool_max]\n"
		"      --clickhouse-batch-rows N  rows per INSERT (default 50000)\n"
		"                        [output.clickhouse_batch_rows]\n"
		"      --clickhouse-batch-ms MS   a batch is sent at this age (default 1000)\n"
		"                        [output.clickhouse_batch_ms]\n",
		NFX_PIN_DIR_DEFAULT, NFX_PIN_DIR_DEFAULT, NFX_BPFFS, NFX_BPFFS);
}

enum {
	OPT_RAW = 0x100, OPT_SKB, OPT_NO_ATTACH, OPT_PIN_DIR, OPT_FORCE, OPT_NS, OPT_UDP,
	OPT_BIND, OPT_MS, OPT_METRICS, OPT_STATS_FILE, OPT_GZIP, OPT_ROT_SIZE, OPT_ROT_SECS, OPT_RDNS,
	OPT_RDNS_SERVER, OPT_CH, OPT_CH_TABLE, OPT_CH_SPOOL, OPT_CH_SPOOL_MAX, OPT_CH_ROWS,
	OPT_CH_MS, OPT_WORKERS, OPT_OUT_MODE, OPT_USER, OPT_STATE_DIR, OPT_TAKEOVER,
	OPT_BUSY_POLL,
};

/* Flags that set configuration keys: the value is the argument, or the one given here. */
static const struct {
	int opt;
	const char *key;
	const char *value;
} key_flags[] = {
	{ 'o', "output.path", NULL },
	{ OPT_GZIP, "output.gzip", "true" },
	{ OPT_ROT_SIZE, "output.rotate_size", NULL },
	{ OPT_ROT_SECS, "output.rotate_interval", NULL },
	{ OPT_OUT_MODE, "output.mode", NULL },
	{ OPT_RAW, "output.raw", "true" },
	{ OPT_MS, "output.ms_times", "true" },
	{ OPT_NS, "namespace", NULL },
	{ OPT_WORKERS, "workers", NULL },
	{ OPT_BUSY_POLL, "busy_poll_usecs", NULL },
	{ OPT_USER, "user", NULL },
	{ OPT_RDNS, "reverse_dns_enrichment_enabled", "true" },
	{ OPT_RDNS_SERVER, "reverse_dns_enrichment_enabled", "true" },
	{ OPT_RDNS_SERVER, "reverse_dns_server", NULL },
	{ OPT_CH, "output.clickhouse_url", NULL },
	{ OPT_CH_TABLE, "output.clickhouse_table", NULL },
	{ OPT_CH_SPOOL, "output.clickhouse_spool_dir", NULL },
	{ OPT_CH_SPOOL_MAX, "output.clickhouse_spool_max", NULL },
	{ OPT_CH_ROWS, "output.clickhouse_batch_rows", NULL },
	{ OPT_CH_MS, "output.clickhouse_batch_ms", NULL },
	{ OPT_STATE_DIR, "state_dir", NULL },
};

static int set_key(struct nfx_run_opts *o, int c)
{
	int found = 0;

	for (size_t i = 0; i < sizeof(key_flags) / sizeof(key_flags[0]); i++) {
		if (key_flags[i].opt != c)
			continue;
		found = 1;
		if (nfx_cfg_override(&o->ov, key_flags[i].key,
				     key_flags[i].value ? key_flags[i].value : optarg)) {
			pr_warn("too many options\n");
			return -E2BIG;
		}
	}
	return found ? 0 : -ENOENT;
}

/*
 * -p PORT[/legacy|/modern|/all|/sflow] as listeners: legacy = a netflow5 listener
 * (v1/5/6/7), modern = a netflow9 one (v9 and IPFIX), all = both; together
 * they replace the file's "listeners".
 */
static int add_port(struct nfx_run_opts *o, const char *text)
{
	static const char *const types[] = { "netflow5", "netflow9", "sflow5" };
	const uint32_t vers[] = { NFX_VERS_LEGACY, NFX_VERS_MODERN, NFX_VERS_SFLOW };
	struct nfx_port_want want;
	size_t len = strlen(o->listeners);

	if (o->nports == NFX_MAX_PORTS || nfx_port_parse(text, &want)) {
		pr_warn("bad port '%s' (PORT[/legacy|/modern|/all|/sflow], at most %d)\n", text,
			NFX_MAX_PORTS);
		return -EINVAL;
	}
	o->nports++;
	for (int t = 0; t < 3; t++)
		if (want.versions & vers[t])
			len += (size_t)snprintf(o->listeners + len, sizeof(o->listeners) - len,
						"%s{\"flow_type\":\"%s\",\"port\":%u}",
						len ? "," : "[", types[t], want.port);
	return 0;
}

static int parse_one(int c, struct nfx_run_opts *o)
{
	switch (c) {
	case 'i': o->ifname = optarg; return 0;
	case 'c': o->config_path = optarg; return 0;
	case 'p': return add_port(o, optarg);
	case OPT_SKB: o->skb_mode = 1; return 0;
	case OPT_NO_ATTACH: o->no_attach = 1; return 0;
	case OPT_TAKEOVER: o->takeover = 1; return 0;
	case OPT_PIN_DIR: o->pin_dir = optarg; return 0;
	case OPT_FORCE: o->force = 1; return 0;
	case OPT_UDP: o->udp_only = 1; return 0;
	case OPT_BIND: o->bind_addr = optarg; return 0;
	case OPT_METRICS: o->metrics_listen = optarg; return 0;
	case OPT_STATS_FILE: o->stats_file = optarg; return 0;
	case 'h': usage(stdout); return 1;
	default:
		if (!set_key(o, c))
			return 0;
		usage(stderr);
		return -EINVAL;
	}
}

int nfx_run_parse(int argc, char **argv, struct nfx_run_opts *o)
{
	static const struct option lo[] = {
		{ "interface", required_argument, NULL, 'i' },
		{ "config", required_argument, NULL, 'c' },
		{ "port", required_argument, NULL, 'p' },
		{ "output", required_argument, NULL, 'o' },
		{ "raw", no_argument, NULL, OPT_RAW },
		{ "skb", no_argument, NULL, OPT_SKB },
		{ "no-attach", no_argument, NULL, OPT_NO_ATTACH },
		{ "pin-dir", required_argument, NULL, OPT_PIN_DIR },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "namespace", required_argument, NULL, OPT_NS },
		{ "udp", no_argument, NULL, OPT_UDP },
		{ "bind", required_argument, NULL, OPT_BIND },
		{ "ms-times", no_argument, NULL, OPT_MS },
		{ "metrics", required_argument, NULL, OPT_METRICS },
		{ "stats-file", required_argument, NULL, OPT_STATS_FILE },
		{ "gzip", no_argument, NULL, OPT_GZIP },
		{ "rotate-size", required_argument, NULL, OPT_ROT_SIZE },
		{ "rotate-interval", required_argument, NULL, OPT_ROT_SECS },
		{ "output-mode", required_argument, NULL, OPT_OUT_MODE },
		{ "rdns", no_argument, NULL, OPT_RDNS },
		{ "rdns-server", required_argument, NULL, OPT_RDNS_SERVER },
		{ "clickhouse", required_argument, NULL, OPT_CH },
		{ "clickhouse-table", required_argument, NULL, OPT_CH_TABLE },
		{ "clickhouse-spool", required_argument, NULL, OPT_CH_SPOOL },
		{ "clickhouse-spool-max", required_argument, NULL, OPT_CH_SPOOL_MAX },
		{ "clickhouse-batch-rows", required_argument, NULL, OPT_CH_ROWS },
		{ "clickhouse-batch-ms", required_argument, NULL, OPT_CH_MS },
		{ "workers", required_argument, NULL, OPT_WORKERS },
		{ "busy-poll", required_argument, NULL, OPT_BUSY_POLL },
		{ "user", required_argument, NULL, OPT_USER },
		{ "state-dir", required_argument, NULL, OPT_STATE_DIR },
		{ "takeover", no_argument, NULL, OPT_TAKEOVER },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, err;

	memset(o, 0, sizeof(*o));
	optind = 1;
	while ((c = getopt_long(argc, argv, "i:c:p:o:h", lo, NULL)) != -1) {
		err = parse_one(c, o);
		if (err)
			return err;
	}
	if (optind < argc) {
		pr_warn("unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	if (o->takeover && o->udp_only) {
		pr_warn("--takeover needs -i IF: a --udp daemon has nothing to hand over\n");
		return -EINVAL;
	}
	if (!o->udp_only == !o->ifname) {
		pr_warn("give either -i IF (XDP) or --udp\n");
		usage(stderr);
		return -EINVAL;
	}
	if (o->nports) {
		strcat(o->listeners, "]");
		if (nfx_cfg_override(&o->ov, "listeners", o->listeners))
			return -E2BIG;
	}
	return 0;
}

int nfx_cmd_run(int argc, char **argv)
{
	struct nfx_run_opts o;
	int err;

	err = nfx_run_parse(argc, argv, &o);
	if (err)
		return err > 0 ? 0 : 2;
	return nfx_run(&o) ? 1 : 0;
}
