// SPDX-License-Identifier: BSD-2-Clause
/*
 * daemon.c - `nfxdp run`: workers poll their AF_XDP sockets (one per RX queue)
 * and the UDP listeners; each wakeup takes the clock once and drains what
 * is ready into the worker's decoder, and a 100 ms tick writes the NDJSON
 * buffer out so readers see records within ~100 ms.  One worker runs in
 * the main thread's poll() with the signalfd, timerfd and configuration
 * watch; with several RX queues each worker is a thread of its own.
 *
 * Shutdown on SIGINT/SIGTERM: drain the rings once more, flush, close the
 * sockets, detach and unpin what we attached, print a summary on stderr.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "agg/agg.h"
#include "cmd/cmd.h"
#include "control/config.h"
#include "decode/decode.h"
#include "io/loader.h"
#include "base/log.h"
#include "control/metrics.h"
#include "sink/ndjson.h"
#include "enrich/rdns.h"
#include "control/reconcile.h"
#include "daemon/daemon.h"
#include "control/daemon_metrics.h"
#include "sink/ch.h"
#include "decode/tmpl_cache.h"
#include "io/udp_sock.h"
#include "io/xsk.h"

#define TICK_MS		100
#define RX_BUDGET	1024
#define MAX_WORKERS	64

struct run_worker;

/* One namespace of one worker: its aggregator (NULL in raw mode) and where it flushes. */
struct run_ns {
	char *name;
	struct nfx_agg *agg;
	struct run_worker *w;
	struct nfx_sink flush;		/* { ns_flush_emit, this } */
};

/*
 * A worker: the AF_XDP sockets of some RX queues (worker 0 also the UDP
 * sockets) with a decoder, aggregators and output buffer of its own.  The
 * NIC's RSS keeps one transport session on one queue, so templates and
 * sequence sessions need no sharing.  One worker runs on the main thread;
 * several run one thread each, holding their lock while they work, and the
 * main thread takes the locks to read counters or apply a configuration.
 */
struct run_worker {
	struct nfx_run *r;
	int id;
	struct nfx_xsk **xsks;		/* queues id, id + nworkers, ... */
	int nxsk;
	int has_udp;
	struct nfx_decoder *dec;
	struct nfx_ndjson *out;		/* r->out, or a writer sharing its file */
	struct nfx_sink sink;		/* what the decoder emits into: run_emit */
	struct run_ns ns[NFX_MAX_PORTS + 1];
	int nns;
	/* last routing decision: records of one message share it */
	uint16_t route_port;
	uint8_t route_type;
	int route_ns;
	uint64_t now;
	uint64_t next_tick;
	uint64_t last_sweep;
	/* a thread of its own */
	pthread_t thread;
	int started;
	pthread_mutex_t lock;
	int pfds_stale;			/* the UDP sockets changed under it */
	struct pollfd *pfds;		/* its sockets, in drain() order */
	int npfd;
};

struct nfx_run {
	const struct nfx_run_opts *o;
	struct nfx_config *cfg;		/* running configuration (file or defaults) */
	struct nfx_config_watch *watch;
	struct nfx_loader *ldr;
	struct nfx_xsk **xsks;
	int nxsk;
	struct nfx_udp **udps;
	int nudp;
	struct run_worker *w;
	int nw;
	int threaded;			/* nw > 1: every worker is a thread */
	atomic_int stop;
	struct nfx_ndjson *out;		/* owns the output file */
	struct nfx_ch *ch;		/* ClickHouse sink, NULL when off */
	pthread_mutex_t ch_lock;	/* threaded: the sink is pushed from several */
	int raw;
	struct nfx_fieldmap maps[NFX_FIELDMAP_MAX];	/* listeners' mappings */
	unsigned int nmaps;
	struct nfx_metrics *metrics;
	char stats_path[PATH_MAX];	/* daemon counters for `nfxdp stats`, "" = off */
	struct nfx_prom prom;
	uint64_t last_metrics;
	uint64_t reloads[NFX_RELOAD_MAX];	/* nfx_config_reloads_total by result */
	uint64_t now;
	int sigfd;
	int timerfd;
	struct nfx_rdns *rdns;		/* reverse DNS, NULL = off */
	struct pollfd *pfds;		/* [xsks, udps,] rdns, signal, timer, config watch */
	int npfd;
	int irdns;			/* first of NFX_RDNS_MAX_FDS slots in pfds */
	uint64_t sweep_ms;
	uint64_t ttl_ms;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: nfxdp run -i IF [-c FILE] [-p PORT[/legacy|/modern|/all]]... [-o FILE|-]\n"
		"                 [--raw] [--metrics [ADDR:]PORT] [--skb] [--no-attach]\n"
		"                 [--pin-dir DIR] [--force] [--namespace NS]\n"
		"                 [--rdns] [--rdns-server IP[:PORT]] [--workers N]\n"
		"       nfxdp run --udp [-c FILE] [-p PORT]... [--bind ADDR] [-o FILE|-] ...\n"
		"\n"
		"Collects NetFlow v1/v5/v6/v7/v9 and IPFIX and writes one JSON object per flow.\n"
		"With -i, an XDP program on IF checks export packets and hands them to one\n"
		"AF_XDP socket per RX queue; UDP sockets on the same ports take what the\n"
		"program passes to the stack (IP fragments).  With --udp, UDP sockets only.\n"
		"Flows are aggregated the Datadog Agent's way (10 s tick, flush interval,\n"
		"port roll-up) unless --raw.  SIGHUP reloads -c FILE and reopens the output;\n"
		"the file is also watched.  Flags given here override the file.\n"
		"\n"
		"  -i, --interface IF    interface to attach to\n"
		"  -c, --config FILE     JSON configuration (doc/nfxdp.example.json)\n"
		"  -p, --port PORT       listener port, repeatable (default: the configuration's\n"
		"                        listeners, else 2055 and 4739); /legacy = v1/5/6/7,\n"
		"                        /modern = v9/IPFIX, /all (default, except 4739: modern)\n"
		"  -o, --output FILE     NDJSON output, appended (default - = stdout)\n"
		"      --gzip            gzip-compress the output file\n"
		"      --rotate-size N   rotate the output file at N bytes\n"
		"      --rotate-interval S  rotate the output file every S seconds\n"
		"      --raw             one record per decoded flow, no aggregation\n"
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
		"      --workers N       threads for the RX queues (default: one per queue,\n"
		"                        at most one per CPU; 1 with reverse DNS)\n"
		"      --udp             plain UDP sockets, no XDP (no root needed)\n"
		"      --bind ADDR       UDP listen address (default :: = all, dual stack)\n"
		"      --namespace NS    device.namespace of the records (default \"default\")\n"
		"      --ms-times        also write start_ms/end_ms\n"
		"      --rdns            reverse DNS names of private endpoints in the records\n"
		"                        (source/destination.reverse_dns_hostname)\n"
		"      --rdns-server IP[:PORT]  resolver for --rdns (default /etc/resolv.conf);\n"
		"                        implies --rdns\n"
		"      --clickhouse URL  also insert the records into ClickHouse over HTTP\n"
		"                        (http://HOST:8123/?database=default)\n"
		"      --clickhouse-table NAME  table (default flows; nfxdp clickhouse-schema)\n"
		"      --clickhouse-spool DIR   batches wait here while the server is away\n"
		"      --clickhouse-spool-max BYTES  spool bound, oldest dropped (default 1 GiB)\n"
		"      --clickhouse-batch-rows N  rows per INSERT (default 50000)\n"
		"      --clickhouse-batch-ms MS   a batch is sent at this age (default 1000)\n",
		NFX_PIN_DIR_DEFAULT, NFX_PIN_DIR_DEFAULT, NFX_BPFFS, NFX_BPFFS);
}

enum {
	OPT_RAW = 0x100, OPT_SKB, OPT_NO_ATTACH, OPT_PIN_DIR, OPT_FORCE, OPT_NS, OPT_UDP,
	OPT_BIND, OPT_MS, OPT_METRICS, OPT_STATS_FILE, OPT_GZIP, OPT_ROT_SIZE, OPT_ROT_SECS, OPT_RDNS,
	OPT_RDNS_SERVER, OPT_CH, OPT_CH_TABLE, OPT_CH_SPOOL, OPT_CH_SPOOL_MAX, OPT_CH_ROWS,
	OPT_CH_MS, OPT_WORKERS,
};

static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || end == s || v > max || s[0] == '-')
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_one(int c, struct nfx_run_opts *o)
{
	uint64_t v;

	switch (c) {
	case 'i': o->ifname = optarg; return 0;
	case 'c': o->config_path = optarg; return 0;
	case 'p':
		if (o->nports == NFX_MAX_PORTS || nfx_port_parse(optarg, &o->ports[o->nports])) {
			pr_warn("bad port '%s' (PORT[/legacy|/modern|/all], at most %d)\n", optarg,
				NFX_MAX_PORTS);
			return -EINVAL;
		}
		o->nports++;
		return 0;
	case 'o': o->out_path = optarg; return 0;
	case OPT_RAW: o->raw = 1; return 0;
	case OPT_SKB: o->skb_mode = 1; return 0;
	case OPT_NO_ATTACH: o->no_attach = 1; return 0;
	case OPT_PIN_DIR: o->pin_dir = optarg; return 0;
	case OPT_FORCE: o->force = 1; return 0;
	case OPT_NS: o->namespace = optarg; return 0;
	case OPT_UDP: o->udp_only = 1; return 0;
	case OPT_BIND: o->bind_addr = optarg; return 0;
	case OPT_MS: o->ms_times = 1; return 0;
	case OPT_METRICS: o->metrics_listen = optarg; return 0;
	case OPT_STATS_FILE: o->stats_file = optarg; return 0;
	case OPT_GZIP: o->gzip = 1; return 0;
	case OPT_RDNS: o->rdns = 1; return 0;
	case OPT_RDNS_SERVER: o->rdns = 1; o->rdns_server = optarg; return 0;
	case OPT_ROT_SIZE:
		if (parse_u64(optarg, UINT64_MAX, &o->rotate_size))
			goto bad_number;
		return 0;
	case OPT_ROT_SECS:
		if (parse_u64(optarg, 31 * 86400, &v))
			goto bad_number;
		o->rotate_secs = (uint32_t)v;
		return 0;
	case OPT_CH: o->ch_url = optarg; return 0;
	case OPT_CH_TABLE: o->ch_table = optarg; return 0;
	case OPT_CH_SPOOL: o->ch_spool = optarg; return 0;
	case OPT_CH_SPOOL_MAX:
		if (parse_u64(optarg, UINT64_MAX, &o->ch_spool_max))
			goto bad_number;
		return 0;
	case OPT_CH_ROWS:
		if (parse_u64(optarg, 10000000, &v) || !v)
			goto bad_number;
		o->ch_batch_rows = (uint32_t)v;
		return 0;
	case OPT_CH_MS:
		if (parse_u64(optarg, 3600000, &v) || !v)
			goto bad_number;
		o->ch_batch_ms = (uint32_t)v;
		return 0;
	case OPT_WORKERS:
		if (parse_u64(optarg, MAX_WORKERS, &v))
			goto bad_number;
		o->workers = (uint32_t)v;
		return 0;
	case 'h': usage(stdout); return 1;
	default: usage(stderr); return -EINVAL;
	}
bad_number:
	pr_warn("bad number '%s'\n", optarg);
	return -EINVAL;
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
		{ "rdns", no_argument, NULL, OPT_RDNS },
		{ "rdns-server", required_argument, NULL, OPT_RDNS_SERVER },
		{ "clickhouse", required_argument, NULL, OPT_CH },
		{ "clickhouse-table", required_argument, NULL, OPT_CH_TABLE },
		{ "clickhouse-spool", required_argument, NULL, OPT_CH_SPOOL },
		{ "clickhouse-spool-max", required_argument, NULL, OPT_CH_SPOOL_MAX },
		{ "clickhouse-batch-rows", required_argument, NULL, OPT_CH_ROWS },
		{ "clickhouse-batch-ms", required_argument, NULL, OPT_CH_MS },
		{ "workers", required_argument, NULL, OPT_WORKERS },
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
	if (!o->udp_only == !o->ifname) {
		pr_warn("give either -i IF (XDP) or --udp\n");
		usage(stderr);
		return -EINVAL;
	}
	return 0;
}

static int setup_signals(struct nfx_run *r)
{
	struct itimerspec its = {
		.it_interval = { .tv_nsec = TICK_MS * 1000000L },
		.it_value = { .tv_nsec = TICK_MS * 1000000L },
	};
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -errno;
	/* -o - into a closed pipe must not kill us before the summary */
	signal(SIGPIPE, SIG_IGN);
	r->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (r->sigfd < 0)
		return -errno;
	r->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (r->timerfd < 0)
		return -errno;
	if (timerfd_settime(r->timerfd, 0, &its, NULL))
		return -errno;
	return 0;
}

/* The listener ports in force: -p, else the configuration's (none if disabled). */
static int wanted_ports(const struct nfx_run *r, struct nfx_port_want *want)
{
	int n;

	if (r->o->nports) {
		if (!r->cfg->enabled)
			return 0;
		memcpy(want, r->o->ports, r->o->nports * sizeof(*want));
		return (int)r->o->nports;
	}
	n = nfx_config_ports(r->cfg, want, NFX_MAX_PORTS);
	if (n < 0)
		pr_warn("too many listener ports (at most %d)\n", NFX_MAX_PORTS);
	return n < 0 ? 0 : n;
}

static int udp_wanted(const struct nfx_port_want *want, int n, uint16_t port)
{
	for (int i = 0; i < n; i++)
		if (want[i].port == port)
			return 1;
	return 0;
}

/* Open a UDP socket on every wanted port, close those no longer wanted. */
static int sync_udp(struct nfx_run *r)
{
	struct nfx_port_want want[NFX_MAX_PORTS];
	int n = wanted_ports(r, want), kept = 0, err = 0;

	if (!r->udps) {
		r->udps = calloc(NFX_MAX_PORTS, sizeof(*r->udps));
		if (!r->udps)
			return -ENOMEM;
	}
	for (int u = 0; u < r->nudp; u++) {
		if (udp_wanted(want, n, nfx_udp_port(r->udps[u])))
			r->udps[kept++] = r->udps[u];
		else
			nfx_udp_free(r->udps[u]);
	}
	r->nudp = kept;
	for (int i = 0; i < n; i++) {
		int have = 0;

		for (int u = 0; u < r->nudp; u++)
			have |= nfx_udp_port(r->udps[u]) == want[i].port;
		if (have)
			continue;
		r->udps[r->nudp] = nfx_udp_new(r->o->bind_addr, want[i].port);
		if (!r->udps[r->nudp]) {
			err = -errno;
			pr_warn("UDP port %u: %s\n", want[i].port, strerror(-err));
			continue;
		}
		r->nudp++;
	}
	return err;
}

/* CPUs this process may run on (taskset, cpuset), else those online. */
static long usable_cpus(void)
{
	cpu_set_t set;

	if (!sched_getaffinity(0, sizeof(set), &set))
		return CPU_COUNT(&set);
	return sysconf(_SC_NPROCESSORS_ONLN);
}

/* Workers: one per RX queue, at most one per usable CPU, or --workers; one for --udp and rdns. */
static int count_workers(const struct nfx_run *r, int nqueues)
{
	long cpus = usable_cpus();
	int n = nqueues;

	if (r->o->workers)
		n = (int)r->o->workers;
	else if (cpus > 0 && n > cpus)
		n = (int)cpus;
	if (n > nqueues)
		n = nqueues;
	if (n > 1 && (r->o->rdns || r->cfg->rdns_enabled)) {
		pr_info("reverse DNS runs on one thread: one worker for %d RX queues\n", nqueues);
		n = 1;
	}
	return n < 1 ? 1 : n > MAX_WORKERS ? MAX_WORKERS : n;
}

static int alloc_workers(struct nfx_run *r, int nqueues)
{
	r->nw = count_workers(r, nqueues);
	r->threaded = r->nw > 1;
	r->w = calloc((size_t)r->nw, sizeof(*r->w));
	if (!r->w)
		return -ENOMEM;
	for (int i = 0; i < r->nw; i++) {
		struct run_worker *w = &r->w[i];

		w->r = r;
		w->id = i;
		w->has_udp = i == 0;
		w->route_ns = -1;
		w->pfds_stale = 1;
		w->now = r->now;
		pthread_mutex_init(&w->lock, NULL);
		w->xsks = calloc((size_t)nqueues / (size_t)r->nw + 1, sizeof(*w->xsks));
		if (!w->xsks)
			return -ENOMEM;
	}
	return 0;
}

static void free_workers(struct nfx_run *r)
{
	for (int i = 0; i < r->nw; i++) {
		free(r->w[i].xsks);
		free(r->w[i].pfds);
		pthread_mutex_destroy(&r->w[i].lock);
	}
	free(r->w);
	r->w = NULL;
	r->nw = 0;
}

static int open_xsks(struct nfx_run *r)
{
	int xsks_fd = nfx_loader_xsks_fd(r->ldr);

	r->xsks = calloc((size_t)r->nxsk, sizeof(*r->xsks));
	if (!r->xsks)
		return -ENOMEM;
	for (int q = 0, n = r->nxsk; q < n; q++) {
		struct run_worker *w = &r->w[q % r->nw];

		r->nxsk = q;
		r->xsks[q] = nfx_xsk_new(r->o->ifname, (uint32_t)q, xsks_fd, NULL);
		if (!r->xsks[q])
			return -errno;
		w->xsks[w->nxsk++] = r->xsks[q];
		r->nxsk = q + 1;
	}
	pr_info("%s: %d AF_XDP socket(s), %s mode, %d worker%s\n", r->o->ifname, r->nxsk,
		nfx_xsk_mode(r->xsks[0]), r->nw, r->nw > 1 ? " threads" : "");
	return 0;
}

/* The main thread's poll set; with one worker its sockets come first. */
static int setup_poll(struct nfx_run *r)
{
	int nio = r->threaded ? 0 : r->nxsk + r->nudp;
	int n = nio + NFX_RDNS_MAX_FDS + 3, i = 0;

	free(r->pfds);
	r->pfds = calloc((size_t)n, sizeof(*r->pfds));
	if (!r->pfds)
		return -ENOMEM;
	for (int q = 0; q < nio && q < r->nxsk; q++)
		r->pfds[i++] = (struct pollfd){ .fd = nfx_xsk_fd(r->xsks[q]), .events = POLLIN };
	for (int u = 0; nio && u < r->nudp; u++)
		r->pfds[i++] = (struct pollfd){ .fd = nfx_udp_fd(r->udps[u]), .events = POLLIN };
	/* the resolver's sockets: refreshed before every poll(), unused = -1 */
	r->irdns = i;
	for (int k = 0; k < NFX_RDNS_MAX_FDS; k++)
		r->pfds[i++] = (struct pollfd){ .fd = -1 };
	r->pfds[i++] = (struct pollfd){ .fd = r->sigfd, .events = POLLIN };
	r->pfds[i++] = (struct pollfd){ .fd = r->timerfd, .events = POLLIN };
	r->pfds[i++] = (struct pollfd){ .fd = r->watch ? nfx_config_watch_fd(r->watch) : -1,
					 .events = POLLIN };
	r->npfd = n;
	return 0;
}

/* A worker thread's poll set: its sockets in drain() order.  Under its lock. */
static int worker_pollfds(struct run_worker *w)
{
	int nudp = w->has_udp ? w->r->nudp : 0, n = w->nxsk + nudp, i = 0;
	struct pollfd *p = realloc(w->pfds, (size_t)(n ? n : 1) * sizeof(*p));

	if (!p)
		return -ENOMEM;
	w->pfds = p;
	for (int q = 0; q < w->nxsk; q++)
		p[i++] = (struct pollfd){ .fd = nfx_xsk_fd(w->xsks[q]), .events = POLLIN };
	for (int u = 0; u < nudp; u++)
		p[i++] = (struct pollfd){ .fd = nfx_udp_fd(w->r->udps[u]), .events = POLLIN };
	w->npfd = n;
	w->pfds_stale = 0;
	return 0;
}

/* The main thread stops every worker thread where it is, for a consistent view. */
static void lock_workers(struct nfx_run *r)
{
	for (int i = 0; r->threaded && i < r->nw; i++)
		pthread_mutex_lock(&r->w[i].lock);
}

static void unlock_workers(struct nfx_run *r)
{
	for (int i = r->nw - 1; r->threaded && i >= 0; i--)
		pthread_mutex_unlock(&r->w[i].lock);
}

/* A worker's share of a daemon-wide bound (0 = the default, left to the table). */
static uint32_t share(const struct nfx_run *r, uint32_t bound)
{
	return bound ? (uint32_t)(((uint64_t)bound + (uint64_t)r->nw - 1) / (uint64_t)r->nw) : 0;
}

/* ---- routing: listener -> namespace -> aggregator or output ---- */

static const uint8_t type_version[] = {
	[NFX_TYPE_NETFLOW1] = 1, [NFX_TYPE_NETFLOW5] = 5, [NFX_TYPE_NETFLOW6] = 6,
	[NFX_TYPE_NETFLOW7] = 7, [NFX_TYPE_NETFLOW9] = 9, [NFX_TYPE_IPFIX] = 10,
};

static const char *ns_name_for(const struct nfx_run *r, uint16_t port, uint8_t type)
{
	const struct nfx_listener *l;

	if (r->o->namespace)
		return r->o->namespace;
	l = r->o->nports ? NULL : nfx_config_listener(r->cfg, port, type_version[type % 6]);
	return l ? l->namespace : r->cfg->namespace;
}

static int ns_index(const struct run_worker *w, const char *name)
{
	for (int i = 0; i < w->nns; i++)
		if (!strcmp(w->ns[i].name, name))
			return i;
	return 0;
}

static void ns_flush_emit(void *ctx, const struct nfx_flow *f)
{
	struct run_ns *ns = ctx;
	struct run_worker *w = ns->w;
	struct nfx_run *r = w->r;

	nfx_ndjson_set_namespace(w->out, ns->name);
	nfx_ndjson_write(w->out, f);
	if (!r->ch)
		return;
	/* same record, same flush time, never blocks */
	if (r->threaded)
		pthread_mutex_lock(&r->ch_lock);
	nfx_ch_push_flow(r->ch, f, w->now, ns->name, NULL);
	if (r->threaded)
		pthread_mutex_unlock(&r->ch_lock);
}

static void run_emit(void *ctx, const struct nfx_flow *f)
{
	struct run_worker *w = ctx;
	struct nfx_run *r = w->r;
	uint16_t port = w->dec->cur ? w->dec->cur->dst_port : 0;
	struct run_ns *ns;

	if (port != w->route_port || f->type != w->route_type || w->route_ns < 0) {
		w->route_port = port;
		w->route_type = f->type;
		w->route_ns = ns_index(w, ns_name_for(r, port, f->type));
	}
	ns = &w->ns[w->route_ns];
	if (ns->agg) {
		/* ask when the flow is first seen: its first flush then carries the names */
		if (r->rdns) {
			nfx_rdns_prefetch(r->rdns, &f->src, w->now);
			nfx_rdns_prefetch(r->rdns, &f->dst, w->now);
		}
		nfx_agg_add(ns->agg, f, w->now);
	} else {
		ns_flush_emit(ns, f);
	}
}

static struct nfx_agg *agg_new(const struct run_worker *w, struct run_ns *ns)
{
	const struct nfx_config *c = w->r->cfg;
	struct nfx_agg_opts ao = {
		.flush_interval_ms = c->agg_flush_interval * 1000ull,
		.flow_context_ttl_ms = c->agg_flow_context_ttl * 1000ull,
		.rollup_refresh_ms = c->agg_rollup_tracker_refresh * 1000ull,
		.rollup_threshold = c->agg_port_rollup_threshold,
		.rollup_disabled = c->agg_port_rollup_disabled,
		.max_contexts = share(w->r, c->agg_max_contexts),
		.overflow = ns->flush,
	};

	if (ao.rollup_threshold < 2)
		ao.rollup_threshold = 2;
	if (ao.rollup_threshold > 255)
		ao.rollup_threshold = 255;
	return nfx_agg_new(&ao);
}

/* Everything held is written out: nothing received is lost. */
static void ns_flush_all(struct run_worker *w)
{
	for (int i = 0; i < w->nns; i++)
		if (w->ns[i].agg)
			nfx_agg_flush_all(w->ns[i].agg, w->now, &w->ns[i].flush);
	nfx_ndjson_flush(w->out);
}

static void ns_free(struct run_worker *w)
{
	if (w->out)
		ns_flush_all(w);
	for (int i = 0; i < w->nns; i++) {
		nfx_agg_free(w->ns[i].agg);
		free(w->ns[i].name);
	}
	w->nns = 0;
	w->route_ns = -1;
}

static int ns_add(struct run_worker *w, const char *name)
{
	struct run_ns *ns;

	for (int i = 0; i < w->nns; i++)
		if (!strcmp(w->ns[i].name, name))
			return 0;
	if (w->nns == (int)(sizeof(w->ns) / sizeof(w->ns[0])))
		return -E2BIG;
	ns = &w->ns[w->nns];
	ns->name = strdup(name);
	if (!ns->name)
		return -ENOMEM;
	ns->w = w;
	ns->flush = (struct nfx_sink){ ns_flush_emit, ns };
	ns->agg = NULL;
	w->nns++;
	if (w->r->raw)
		return 0;
	ns->agg = agg_new(w, ns);
	if (!ns->agg) {
		pr_warn("cannot create the aggregator for namespace %s: %s\n", name,
			strerror(errno));
		return -errno;
	}
	return 0;
}

/* One entry per namespace in use; index 0 is the default one. */
static int ns_build(struct run_worker *w)
{
	const struct nfx_run *r = w->r;
	int err;

	err = ns_add(w, r->o->namespace ? r->o->namespace : r->cfg->namespace);
	for (size_t i = 0; !err && !r->o->namespace && !r->o->nports && i < r->cfg->nlisteners; i++)
		err = ns_add(w, r->cfg->listeners[i].namespace);
	w->route_ns = -1;
	return err;
}

static int ns_build_all(struct nfx_run *r)
{
	int err = 0;

	r->raw = r->o->raw || r->cfg->output.raw;
	for (int i = 0; !err && i < r->nw; i++)
		err = ns_build(&r->w[i]);
	return err;
}

static void ns_free_all(struct nfx_run *r)
{
	for (int i = 0; i < r->nw; i++)
		ns_free(&r->w[i]);
}

/* Allow-list for datagrams the XDP program did not check (UDP sockets). */
static int run_allow(void *ctx, const struct nfx_addr *a)
{
	const struct nfx_config *c = ((struct nfx_run *)ctx)->cfg;

	if (!c->nallow)
		return 1;
	for (size_t i = 0; i < c->nallow; i++)
		if (nfx_prefix_match(&c->allow[i], a))
			return 1;
	return 0;
}

/* ---- the loop ---- */

/* Reads what is ready; @pfds are the worker's sockets; @all ignores revents (the final drain). */
static void drain(struct run_worker *w, const struct pollfd *pfds, uint64_t now, int all)
{
	struct nfx_run *r = w->r;
	int i = 0;

	w->now = now;
	nfx_ndjson_set_now(w->out, now);
	for (int q = 0; q < w->nxsk; q++, i++)
		if (all || pfds[i].revents)
			nfx_xsk_rx(w->xsks[q], w->dec, &w->sink, now, all ? UINT32_MAX : RX_BUDGET);
	for (int u = 0; w->has_udp && u < r->nudp; u++, i++) {
		if (!all && !pfds[i].revents)
			continue;
		if (nfx_udp_rx(r->udps[u], w->dec, &w->sink, now, all ? UINT32_MAX : RX_BUDGET) < 0)
			pr_debug("UDP port %u: %s\n", nfx_udp_port(r->udps[u]), strerror(errno));
	}
}

/* Every 100 ms: aggregator ticks, the output written out, the template sweep. */
static void worker_tick(struct run_worker *w, uint64_t now)
{
	struct nfx_run *r = w->r;
	int err;

	w->now = now;
	nfx_ndjson_set_now(w->out, now);
	for (int i = 0; i < w->nns; i++)
		if (w->ns[i].agg)
			nfx_agg_tick(w->ns[i].agg, now, &w->ns[i].flush);
	err = nfx_ndjson_flush(w->out);
	if (err)
		pr_warn("output write failed: %s (records of this flush lost)\n", strerror(-err));
	if (now - w->last_sweep >= r->sweep_ms) {
		nfx_decoder_sweep(w->dec, now, r->ttl_ms);
		w->last_sweep = now;
	}
}

/*
 * A worker thread: poll its sockets (100 ms at most, for the tick and to
 * see the stop flag), then work on what is ready with its lock held.
 */
static void *worker_main(void *arg)
{
	struct run_worker *w = arg;
	struct nfx_run *r = w->r;

	pthread_mutex_lock(&w->lock);
	w->last_sweep = w->next_tick = now_ms();
	while (!atomic_load_explicit(&r->stop, memory_order_relaxed)) {
		uint64_t now;
		int n;

		if (w->pfds_stale && worker_pollfds(w))
			break;
		pthread_mutex_unlock(&w->lock);
		n = poll(w->pfds, (nfds_t)w->npfd, TICK_MS);
		now = now_ms();
		pthread_mutex_lock(&w->lock);
		if (n > 0 && !w->pfds_stale)	/* else revents belong to the old set */
			drain(w, w->pfds, now, 0);
		if (now >= w->next_tick) {
			worker_tick(w, now);
			w->next_tick = now + TICK_MS;
		}
	}
	if (!w->pfds_stale)
		drain(w, w->pfds, now_ms(), 1);
	ns_flush_all(w);
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

static int start_workers(struct nfx_run *r)
{
	for (int i = 0; r->threaded && i < r->nw; i++) {
		char name[16];
		int err = pthread_create(&r->w[i].thread, NULL, worker_main, &r->w[i]);

		if (err) {
			pr_warn("cannot start worker %d: %s\n", i, strerror(err));
			return -err;
		}
		r->w[i].started = 1;
		/* top -H, perf and the benchmark tell the workers apart by it */
		snprintf(name, sizeof(name), "nfxdp-w%d", i % 100);
		pthread_setname_np(r->w[i].thread, name);
	}
	return 0;
}

static void stop_workers(struct nfx_run *r)
{
	atomic_store(&r->stop, 1);
	for (int i = 0; i < r->nw; i++) {
		if (!r->w[i].started)
			continue;
		pthread_join(r->w[i].thread, NULL);
		r->w[i].started = 0;
	}
}

/*
 * The same page as /metrics, for `nfxdp stats --daemon`: written next to
 * the old one and renamed over it, so a reader never sees half a page.
 */
static void write_stats_file(struct nfx_run *r)
{
	char tmp[PATH_MAX + 8];
	int fd;

	snprintf(tmp, sizeof(tmp), "%s.tmp", r->stats_path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, r->prom.buf, r->prom.len) != (ssize_t)r->prom.len ||
	    rename(tmp, r->stats_path)) {
		pr_warn("stats file %s: %s; no longer written\n", r->stats_path, strerror(errno));
		r->stats_path[0] = 0;
	}
	if (fd >= 0)
		close(fd);
}

static void publish_metrics(struct nfx_run *r)
{
	struct nfx_agg *aggs[MAX_WORKERS * (NFX_MAX_PORTS + 1)];
	const char *names[MAX_WORKERS * (NFX_MAX_PORTS + 1)];
	int agg_worker[MAX_WORKERS * (NFX_MAX_PORTS + 1)];
	struct nfx_decoder *decs[MAX_WORKERS];
	struct nfx_ndjson *outs[MAX_WORKERS + 1];
	struct nfx_run_view v = {
		.stats_fd = r->ldr ? nfx_loader_stats_fd(r->ldr) : -1,
		.decs = decs, .ndec = r->nw, .xsks = r->xsks, .nxsk = r->nxsk,
		.udps = r->udps, .nudp = r->nudp, .aggs = aggs, .agg_ns = names,
		.agg_worker = agg_worker, .outs = outs, .nout = 1, .rdns = r->rdns,
		.ch = r->ch, .reloads = r->reloads,
	};

	outs[0] = r->out;
	lock_workers(r);
	for (int k = 0; k < r->nw; k++) {
		struct run_worker *w = &r->w[k];

		decs[k] = w->dec;
		if (w->out != r->out)
			outs[v.nout++] = w->out;
		for (int i = 0; i < w->nns; i++) {
			if (!w->ns[i].agg)
				continue;
			aggs[v.nagg] = w->ns[i].agg;
			agg_worker[v.nagg] = k;
			names[v.nagg++] = w->ns[i].name;
		}
	}
	if (r->threaded)
		pthread_mutex_lock(&r->ch_lock);
	nfx_run_metrics(&r->prom, &v);
	if (r->threaded)
		pthread_mutex_unlock(&r->ch_lock);
	unlock_workers(r);
	if (r->metrics)
		nfx_metrics_publish(r->metrics, &r->prom);
	if (r->stats_path[0])
		write_stats_file(r);
}

static void tick(struct nfx_run *r, uint64_t now)
{
	uint64_t expirations;

	if (read(r->timerfd, &expirations, sizeof(expirations)) < 0)
		return;
	r->now = now;
	if (!r->threaded)
		worker_tick(&r->w[0], now);
	if (r->ch) {
		if (r->threaded)
			pthread_mutex_lock(&r->ch_lock);
		nfx_ch_tick(r->ch, now);	/* time-based batch cut */
		if (r->threaded)
			pthread_mutex_unlock(&r->ch_lock);
	}
	if ((r->metrics || r->stats_path[0]) && now - r->last_metrics >= 1000) {
		publish_metrics(r);
		r->last_metrics = now;
	}
}

static void set_writers_rdns(struct nfx_run *r)
{
	nfx_ndjson_set_rdns(r->out, r->rdns);
	for (int i = 0; i < r->nw; i++)
		nfx_ndjson_set_rdns(r->w[i].out, r->rdns);
}

/* The output file and, with worker threads, one writer per worker sharing it. */
static int open_output(struct nfx_run *r)
{
	const struct nfx_output_cfg *oc = &r->cfg->output;
	struct nfx_ndjson_opts no = {
		.path = r->o->out_path ? r->o->out_path : oc->path,
		.flags = r->o->ms_times ? NFX_NDJSON_MS_TIMES : 0,
		.rotate_bytes = r->o->rotate_size ? r->o->rotate_size : oc->rotate_size,
		.rotate_secs = r->o->rotate_secs ? r->o->rotate_secs : oc->rotate_interval,
		.gzip = r->o->gzip || oc->gzip,
		.nonblock = 1,
	};
	struct nfx_ndjson *out, *clones[MAX_WORKERS] = { NULL };
	int err;

	out = nfx_ndjson_open(&no);
	if (!out)
		goto err;
	for (int i = 0; r->threaded && i < r->nw; i++) {
		clones[i] = nfx_ndjson_clone(out);
		if (!clones[i])
			goto err_clones;
	}
	r->out = out;
	for (int i = 0; i < r->nw; i++) {
		r->w[i].out = r->threaded ? clones[i] : out;
		nfx_ndjson_set_now(r->w[i].out, r->now);
	}
	return 0;

err_clones:
	err = errno;
	for (int i = 0; i < r->nw; i++)
		nfx_ndjson_close(clones[i]);
	nfx_ndjson_close(out);
	errno = err;
err:
	pr_warn("cannot open output %s: %s\n", no.path ? no.path : "-", strerror(errno));
	return -errno;
}

/* Workers' writers first: they write into the file the first one owns. */
static void close_output(struct nfx_run *r, struct nfx_ndjson *out, struct nfx_ndjson **wout)
{
	for (int i = 0; i < r->nw; i++)
		if (wout[i] != out)
			nfx_ndjson_close(wout[i]);
	nfx_ndjson_close(out);
}

static void close_outputs(struct nfx_run *r)
{
	struct nfx_ndjson *wout[MAX_WORKERS];

	if (!r->out)
		return;
	for (int i = 0; i < r->nw; i++) {
		wout[i] = r->w[i].out;
		r->w[i].out = NULL;
	}
	close_output(r, r->out, wout);
	r->out = NULL;
}

/* Reverse DNS per --rdns/--rdns-server and the configuration; off unless asked. */
static int open_rdns(struct nfx_run *r)
{
	const struct nfx_config *c = r->cfg;
	const char *server = r->o->rdns_server ? r->o->rdns_server : c->rdns_server;
	struct nfx_rdns_opts ro = {
		.server = server && *server ? server : NULL,
		.prefixes = (const char *const *)c->rdns_prefixes,
		.nprefixes = c->nrdns_prefixes,
		.cache_ttl_s = c->rdns_cache_ttl,
		.negative_ttl_s = c->rdns_negative_ttl,
		.error_ttl_s = c->rdns_error_ttl,
		.max_entries = c->rdns_max_entries,
		.rate_limit = c->rdns_rate_limit,
	};
	struct nfx_rdns *prev = r->rdns;

	r->rdns = NULL;
	if (r->o->rdns || c->rdns_enabled) {
		r->rdns = nfx_rdns_new(&ro);
		if (!r->rdns) {
			int err = -errno;

			pr_warn("reverse DNS (%s): %s\n", ro.server ? ro.server : "/etc/resolv.conf",
				strerror(-err));
			r->rdns = prev;		/* a reload keeps the running one */
			return err;
		}
		pr_info("reverse DNS names from %s\n", ro.server ? ro.server : "/etc/resolv.conf");
	}
	set_writers_rdns(r);
	nfx_rdns_free(prev);
	return 0;
}

/* The configuration says "" for "not set". */
static const char *empty_null(const char *s)
{
	return s && *s ? s : NULL;
}

static int open_clickhouse(struct nfx_run *r)
{
	const struct nfx_output_cfg *oc = &r->cfg->output;
	struct nfx_ch_opts co = {
		.url = r->o->ch_url ? r->o->ch_url : empty_null(oc->ch_url),
		.table = r->o->ch_table ? r->o->ch_table : empty_null(oc->ch_table),
		.spool_dir = r->o->ch_spool ? r->o->ch_spool : empty_null(oc->ch_spool),
		.spool_max_bytes = r->o->ch_spool_max ? r->o->ch_spool_max : oc->ch_spool_max,
		.batch_rows = r->o->ch_batch_rows,
		.batch_ms = r->o->ch_batch_ms,
	};

	if (!co.url)
		return 0;
	r->ch = nfx_ch_new(&co);
	if (!r->ch) {
		pr_warn("clickhouse %s: %s\n", co.url, strerror(errno));
		return -errno;
	}
	pr_info("clickhouse: inserting into %s at %s%s%s\n", co.table ? co.table : "flows",
		co.url, co.spool_dir ? ", spool " : "", co.spool_dir ? co.spool_dir : "");
	return 0;
}

static void set_fieldmaps(struct nfx_run *r)
{
	nfx_ndjson_set_fieldmaps(r->out, r->maps, r->nmaps);
	for (int i = 0; i < r->nw; i++) {
		nfx_tmpl_cache_set_fieldmaps(r->w[i].dec->tmpl, r->maps, r->nmaps);
		nfx_ndjson_set_fieldmaps(r->w[i].out, r->maps, r->nmaps);
	}
}

/* The listeners' additional-field mappings, for the template compilers and the writers. */
static void build_fieldmaps(struct nfx_run *r)
{
	const struct nfx_config *c = r->cfg;

	r->nmaps = 0;
	for (size_t i = 0; i < c->nlisteners; i++) {
		const struct nfx_listener *l = &c->listeners[i];

		for (size_t j = 0; j < l->nmapping; j++) {
			const struct nfx_mapping *m = &l->mapping[j];
			struct nfx_fieldmap *fm = &r->maps[r->nmaps];

			if (r->nmaps == NFX_FIELDMAP_MAX) {
				pr_warn("more than %d field mappings: the rest are ignored\n",
					NFX_FIELDMAP_MAX);
				goto out;
			}
			memset(fm, 0, sizeof(*fm));
			fm->port = l->port;
			fm->pen = m->enterprise;
			fm->field = m->field;
			fm->type = m->type;
			fm->little_endian = m->little_endian;
			nfx_fieldmap_builtin(m->destination, &fm->builtin4, &fm->builtin16);
			if (nfx_fieldmap_set_key(fm, m->destination)) {
				pr_warn("mapping destination '%s' too long, ignored\n", m->destination);
				continue;
			}
			r->nmaps++;
		}
	}
out:
	set_fieldmaps(r);
}

static void apply_templates(struct nfx_run *r)
{
	r->sweep_ms = r->cfg->template_sweep_interval * 1000ull;
	r->ttl_ms = r->cfg->template_ttl * 1000ull;
}

static int reconcile_maps(struct nfx_run *r, const struct nfx_config *old)
{
	struct nfx_reconcile_maps maps = {
		.ports_fd = nfx_loader_ports_fd(r->ldr),
		.allow_fd = nfx_loader_allow_fd(r->ldr),
		.cfg_fd = nfx_loader_cfg_fd(r->ldr),
	};
	struct nfx_port_want want[NFX_MAX_PORTS];
	int err, n;

	if (!r->o->nports)
		return nfx_reconcile(r->cfg, old, &maps);
	/* -p overrides the file's listeners; the allow-list still comes from it */
	maps.ports_fd = -1;
	err = nfx_reconcile(r->cfg, old, &maps);
	n = wanted_ports(r, want);
	return err ? err : nfx_ports_reconcile(nfx_loader_ports_fd(r->ldr), want, (size_t)n);
}

static void replace_output(struct nfx_run *r)
{
	struct nfx_ndjson *prev = r->out, *prev_w[MAX_WORKERS];

	for (int i = 0; i < r->nw; i++) {
		ns_flush_all(&r->w[i]);
		prev_w[i] = r->w[i].out;
	}
	if (open_output(r))
		return;		/* keep writing where we did */
	close_output(r, prev, prev_w);
	set_writers_rdns(r);
}

/* Apply what changed between the running configuration and @next; workers stopped. */
static void apply_config_locked(struct nfx_run *r, struct nfx_config *next)
{
	struct nfx_config *old = r->cfg;
	unsigned int diff = nfx_config_diff(old, next);
	char what[256];

	r->cfg = next;
	if (r->ldr && reconcile_maps(r, old))
		pr_warn("could not apply every map change; will retry on the next change\n");
	if (diff & NFX_CFG_CH_PORTS) {
		sync_udp(r);
		setup_poll(r);
		r->w[0].pfds_stale = 1;
	}
	if (diff & (NFX_CFG_CH_AGG | NFX_CFG_CH_NAMESPACE | NFX_CFG_CH_RAW | NFX_CFG_CH_PORTS)) {
		ns_free_all(r);	/* writes out what the old aggregators held */
		if (ns_build_all(r))
			pr_warn("aggregation not fully set up after the change\n");
	}
	if (diff & NFX_CFG_CH_OUTPUT)
		replace_output(r);
	if ((diff & NFX_CFG_CH_RDNS) && r->threaded)
		pr_warn("reverse DNS needs a single worker: restart with --workers 1\n");
	else if (diff & NFX_CFG_CH_RDNS)
		open_rdns(r);	/* a new cache; on failure the running one stays */
	if (diff & NFX_CFG_CH_TEMPLATES)
		apply_templates(r);
	if (diff & NFX_CFG_CH_MAPPING) {
		/*
		 * Plans hold mapping indices: forget the templates so that the
		 * next ones are compiled with the new mappings (exporters resend
		 * them; data in between is held as data before its template).
		 */
		for (int i = 0; i < r->nw; i++)
			nfx_decoder_sweep(r->w[i].dec, r->w[i].now + 1, 0);
		build_fieldmaps(r);
	} else if (diff & NFX_CFG_CH_OUTPUT) {
		set_fieldmaps(r);
	}
	if (diff & NFX_CFG_CH_RESTART)
		pr_warn("table sizes (max_*) take effect after a restart\n");
	/* logged and counted once everything is in force: operators key on the line */
	pr_info("configuration changed: %s\n", nfx_config_diff_str(diff, what, sizeof(what)));
	r->reloads[NFX_RELOAD_APPLIED]++;
	nfx_config_free(old);
}

static void apply_config(struct nfx_run *r, struct nfx_config *next)
{
	lock_workers(r);
	apply_config_locked(r, next);
	unlock_workers(r);
}

static void reload(struct nfx_run *r, const char *why)
{
	struct nfx_config *next;
	char err[512];

	if (!r->o->config_path)
		return;
	if (nfx_config_load(r->o->config_path, &next, err, sizeof(err))) {
		pr_warn("%s (%s); the running configuration stays in force\n", err, why);
		r->reloads[NFX_RELOAD_REJECTED]++;
		return;
	}
	if (!nfx_config_diff(r->cfg, next)) {
		nfx_config_free(next);
		r->reloads[NFX_RELOAD_UNCHANGED]++;
		return;
	}
	apply_config(r, next);
}

/* SIGHUP: what the workers hold goes to the old file, then the path is opened again. */
static void reopen_output(struct nfx_run *r)
{
	int err;

	lock_workers(r);
	for (int i = 0; i < r->nw; i++)
		nfx_ndjson_flush(r->w[i].out);
	err = nfx_ndjson_reopen(r->out);
	unlock_workers(r);
	if (err)
		pr_warn("cannot reopen the output: %s\n", strerror(-err));
}

static void on_signal(struct nfx_run *r, int *stop)
{
	struct signalfd_siginfo si;

	while (read(r->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			pr_info("SIGHUP: reopening the output%s\n",
				r->o->config_path ? ", reloading the configuration" : "");
			reopen_output(r);
			reload(r, "SIGHUP");
			continue;
		}
		pr_info("signal %u: shutting down\n", si.ssi_signo);
		*stop = 1;
	}
}

static int loop(struct nfx_run *r)
{
	struct run_worker *w0 = &r->w[0];
	int stop = 0, err = 0;

	w0->last_sweep = now_ms();
	err = start_workers(r);
	while (!stop && !err) {
		/* these move when the configuration changes the UDP sockets */
		int isig = r->npfd - 3, itimer = r->npfd - 2, iwatch = r->npfd - 1;

		if (r->rdns)
			nfx_rdns_fds(r->rdns, r->pfds + r->irdns, NFX_RDNS_MAX_FDS);
		if (poll(r->pfds, (nfds_t)r->npfd, -1) < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		r->now = now_ms();
		if (!r->threaded)
			drain(w0, r->pfds, r->now, 0);
		/* answers; timeouts at the 100 ms tick at the latest */
		if (r->rdns)
			nfx_rdns_process(r->rdns, r->pfds + r->irdns, NFX_RDNS_MAX_FDS, r->now);
		if (r->pfds[itimer].revents)
			tick(r, r->now);
		if (r->pfds[iwatch].revents && nfx_config_watch_changed(r->watch) > 0)
			reload(r, "file changed");
		if (r->pfds[isig].revents)
			on_signal(r, &stop);
	}
	/* threads drain their rings and flush their aggregators as they stop */
	stop_workers(r);
	if (!r->threaded) {
		drain(w0, r->pfds, now_ms(), 1);
		ns_flush_all(w0);
	}
	return err;
}

/* Output records of every worker's writer. */
static uint64_t output_records(struct nfx_run *r)
{
	uint64_t n = nfx_ndjson_stats(r->out)->records;

	for (int i = 0; i < r->nw; i++)
		if (r->w[i].out && r->w[i].out != r->out)
			n += nfx_ndjson_stats(r->w[i].out)->records;
	return n;
}

/* Namespace @name's aggregator counters, summed over the workers. */
static void agg_sum(const struct nfx_run *r, const char *name, struct nfx_agg_stats *as)
{
	memset(as, 0, sizeof(*as));
	for (int k = 0; k < r->nw; k++)
		for (int i = 0; i < r->w[k].nns; i++)
			if (r->w[k].ns[i].agg && !strcmp(r->w[k].ns[i].name, name))
				nfx_agg_stats_add(as, nfx_agg_stats(r->w[k].ns[i].agg));
}

static void print_summary(struct nfx_run *r)
{
	struct nfx_dec_stats sum = { 0 }, *ds = &sum;
	char line[4096];
	size_t n = 0;

	for (int i = 0; i < r->nw; i++)
		nfx_dec_stats_add(&sum, &r->w[i].dec->stats);

#define ADD(...) (n += n < sizeof(line) ? (size_t)snprintf(line + n, sizeof(line) - n, \
							     __VA_ARGS__) : 0)
	ADD("summary:");
	for (int s = 0; s < NFX_SLOT_MAX; s++)
		if (ds->packets[s] || ds->dropped[s])
			ADD(" %s packets=%" PRIu64 " records=%" PRIu64 " dropped=%" PRIu64 ";",
			    nfx_slot_name(s), ds->packets[s], ds->records[s], ds->dropped[s]);
	ADD(" template_not_found=%" PRIu64 " output_records=%" PRIu64,
	    ds->template_not_found, output_records(r));
	if (r->ch) {
		const struct nfx_ch_stats *cs = nfx_ch_stats(r->ch);

		ADD("; clickhouse rows_pushed=%" PRIu64 " rows_sent=%" PRIu64 " batches=%" PRIu64
		    " retries=%" PRIu64 " send_errors=%" PRIu64 " rows_dropped=%" PRIu64
		    " bytes_spooled=%" PRIu64, cs->rows_pushed, cs->rows_sent, cs->batches_sent,
		    cs->retries, cs->send_errors, cs->rows_dropped, cs->bytes_spooled);
	}
	for (int q = 0; q < r->nxsk; q++) {
		struct nfx_xsk_stats st;

		if (nfx_xsk_stats(r->xsks[q], &st))
			continue;
		ADD("; xsk[%d] frames=%" PRIu64 " not_udp=%" PRIu64 " rx_dropped=%" PRIu64
		    " rx_invalid_descs=%" PRIu64 " rx_ring_full=%" PRIu64
		    " rx_fill_ring_empty_descs=%" PRIu64, q, st.rx_frames, st.rx_not_udp,
		    st.rx_dropped, st.rx_invalid_descs, st.rx_ring_full,
		    st.rx_fill_ring_empty_descs);
	}
	for (int u = 0; u < r->nudp; u++)
		ADD("; udp[%u] datagrams=%" PRIu64, nfx_udp_port(r->udps[u]),
		    nfx_udp_stats(r->udps[u])->datagrams);
	for (int i = 0; i < r->w[0].nns; i++) {
		struct nfx_agg_stats as;

		if (!r->w[0].ns[i].agg)
			continue;
		agg_sum(r, r->w[0].ns[i].name, &as);
		ADD("; agg[%s] flows=%" PRIu64 " merged=%" PRIu64 " records=%" PRIu64
		    " contexts_dropped=%" PRIu64, r->w[0].ns[i].name, as.flows_added,
		    as.flows_merged, as.records_flushed, as.contexts_dropped);
	}
	for (int i = 0; r->threaded && i < r->nw; i++) {
		const struct nfx_dec_stats *w = &r->w[i].dec->stats;
		uint64_t rec = 0;

		for (int s = 0; s < NFX_SLOT_MAX; s++)
			rec += w->records[s];
		ADD("; worker[%d] queues=%d records=%" PRIu64, i, r->w[i].nxsk, rec);
	}
	if (r->rdns) {
		const struct nfx_rdns_stats *rs = nfx_rdns_stats(r->rdns);

		ADD("; rdns lookups=%" PRIu64 " cache_hits=%" PRIu64 " queries=%" PRIu64
		    " answers=%" PRIu64 " nxdomain=%" PRIu64 " timeouts=%" PRIu64 " errors=%" PRIu64
		    " rate_limited=%" PRIu64 " cache_size=%" PRIu64 " cache_evictions=%" PRIu64,
		    rs->lookups, rs->cache_hits, rs->queries, rs->answers, rs->nxdomain,
		    rs->timeouts, rs->errors, rs->rate_limited, rs->cache_size,
		    rs->cache_evictions);
	}
#undef ADD
	pr_info("%s\n", line);
}

static void print_kernel_summary(struct nfx_run *r)
{
	struct nfx_ctr c[NFX_SLOT_MAX], t = {};

	if (!r->ldr || nfx_stats_read(nfx_loader_stats_fd(r->ldr), c))
		return;
	for (int s = 0; s < NFX_SLOT_MAX; s++) {
		t.packets += c[s].packets;
		t.redirected += c[s].redirected;
		t.passed += c[s].passed;
		t.short_pkt += c[s].short_pkt;
		t.bad_version += c[s].bad_version;
		t.bad_count += c[s].bad_count;
		t.truncated += c[s].truncated;
		t.bad_length += c[s].bad_length;
		t.not_allowed += c[s].not_allowed;
	}
	pr_info("xdp: packets=%llu redirected=%llu passed=%llu short=%llu bad_version=%llu "
		"bad_count=%llu truncated=%llu bad_length=%llu not_allowed=%llu\n",
		(unsigned long long)t.packets, (unsigned long long)t.redirected,
		(unsigned long long)t.passed, (unsigned long long)t.short_pkt,
		(unsigned long long)t.bad_version, (unsigned long long)t.bad_count,
		(unsigned long long)t.truncated, (unsigned long long)t.bad_length,
		(unsigned long long)t.not_allowed);
}

static int open_inputs(struct nfx_run *r)
{
	const struct nfx_run_opts *o = r->o;
	struct nfx_loader_opts lo = {
		.ifname = o->ifname,
		.pin_dir = o->pin_dir,
		.skb_mode = o->skb_mode,
		.force = o->force,
		.no_attach = o->no_attach,
	};
	int err;

	if (!o->udp_only) {
		r->ldr = nfx_loader_new(&lo);
		if (!r->ldr)
			return -errno;
	}
	err = sync_udp(r);
	if (err || o->udp_only)
		return err;
	err = open_xsks(r);
	if (err)
		return err;
	for (int i = 1; i < r->nw; i++)
		r->w[i].has_udp = 0;
	/* last: until now the program passed our ports to the stack */
	err = reconcile_maps(r, NULL);
	if (err)
		pr_warn("cannot set the listener ports and allow-list: %s\n", strerror(-err));
	return err;
}

/* RX queues to serve (0 in UDP mode): decides the number of workers. */
static int count_queues(struct nfx_run *r)
{
	int n;

	if (r->o->udp_only)
		return 0;
	n = nfx_xsk_queue_count(r->o->ifname);
	if (n < 0)
		pr_warn("%s: cannot count RX queues: %s\n", r->o->ifname, strerror(-n));
	return n;
}

static void close_inputs(struct nfx_run *r)
{
	for (int q = 0; q < r->nxsk; q++)
		nfx_xsk_free(r->xsks[q]);
	free(r->xsks);
	for (int u = 0; u < r->nudp; u++)
		nfx_udp_free(r->udps[u]);
	free(r->udps);
	nfx_loader_free(r->ldr);
	r->ldr = NULL;
}

static int load_config(struct nfx_run *r)
{
	char err[512];

	if (!r->o->config_path) {
		r->cfg = nfx_config_default();
		return r->cfg ? 0 : -ENOMEM;
	}
	if (nfx_config_load(r->o->config_path, &r->cfg, err, sizeof(err))) {
		pr_warn("%s\n", err);
		return -EINVAL;
	}
	r->watch = nfx_config_watch_new(r->o->config_path);
	if (!r->watch)
		pr_warn("%s: cannot watch for changes (%s); SIGHUP still reloads it\n",
			r->o->config_path, strerror(errno));
	return 0;
}

/*
 * The table bounds are the daemon's: each worker gets its share, so memory
 * stays as configured whatever the number of queues (a worker whose queue
 * carries most exporters fills its share first).
 */
static int open_decoders(struct nfx_run *r)
{
	const struct nfx_config *c = r->cfg;
	struct nfx_decoder_opts dop = {
		.max_exporters = share(r, c->max_exporters),
		.max_templates = share(r, c->max_templates),
		.max_templates_per_exporter = c->max_templates_per_exporter,
		.max_template_fields = c->max_template_fields,
		.max_sessions = share(r, c->max_sessions),
		.pending_bytes_per_exporter = c->pending_bytes_per_exporter,
		.pending_total_bytes = share(r, c->pending_total_bytes),
		.pending_max_age_ms = c->pending_max_age * 1000u,
		.pending_off = !c->pending_bytes_per_exporter || !c->pending_total_bytes,
	};

	for (int i = 0; i < r->nw; i++) {
		struct run_worker *w = &r->w[i];

		w->dec = nfx_decoder_new(&dop);
		if (!w->dec)
			return -errno;
		w->dec->allow = run_allow;
		w->dec->allow_ctx = r;
		w->sink = (struct nfx_sink){ .emit = run_emit, .ctx = w };
	}
	apply_templates(r);
	return 0;
}

static void free_decoders(struct nfx_run *r)
{
	for (int i = 0; i < r->nw; i++)
		nfx_decoder_free(r->w[i].dec);
}

/* Where the daemon counters go for `nfxdp stats --daemon`. */
static void setup_stats_file(struct nfx_run *r)
{
	const char *f = r->o->stats_file;

	if (f && !strcmp(f, "none"))
		return;
	if (!f) {
		/* one file per daemon: per interface, or per first UDP port */
		if (mkdir(NFX_STATS_DIR, 0755) && errno != EEXIST)
			return;
		if (r->o->ifname)
			snprintf(r->stats_path, sizeof(r->stats_path), "%s/%s.prom", NFX_STATS_DIR,
				 r->o->ifname);
		else
			snprintf(r->stats_path, sizeof(r->stats_path), "%s/udp-%u.prom",
				 NFX_STATS_DIR, r->nudp ? nfx_udp_port(r->udps[0]) : 0);
		return;
	}
	snprintf(r->stats_path, sizeof(r->stats_path), "%s", f);
}

static int open_metrics(struct nfx_run *r)
{
	setup_stats_file(r);
	if (!r->o->metrics_listen) {
		if (r->stats_path[0])
			publish_metrics(r);
		return 0;
	}
	r->metrics = nfx_metrics_new(r->o->metrics_listen);
	if (!r->metrics) {
		pr_warn("metrics on %s: %s\n", r->o->metrics_listen, strerror(errno));
		return -errno;
	}
	pr_info("metrics on http://%s/metrics (port %u)\n", r->o->metrics_listen,
		nfx_metrics_port(r->metrics));
	publish_metrics(r);
	return 0;
}

int nfx_run(const struct nfx_run_opts *o)
{
	struct nfx_run r = { .o = o, .sigfd = -1, .timerfd = -1 };
	struct nfx_rdns *rdns;
	int err, nq;

	r.now = now_ms();
	pthread_mutex_init(&r.ch_lock, NULL);
	err = load_config(&r);
	if (err)
		goto out_mutex;
	nq = count_queues(&r);
	err = nq < 0 ? nq : alloc_workers(&r, nq ? nq : 1);
	if (err)
		goto out_workers;
	r.nxsk = nq;	/* sockets to open */
	err = open_decoders(&r);
	if (err)
		goto out_dec;
	err = open_output(&r);
	if (err)
		goto out_dec;
	build_fieldmaps(&r);
	err = open_clickhouse(&r);
	if (err)
		goto out_out;
	err = ns_build_all(&r);
	if (!err)
		err = open_rdns(&r);
	if (!err)
		err = setup_signals(&r);
	if (err)
		goto out_out;
	err = open_inputs(&r);
	if (!err)
		err = setup_poll(&r);
	if (!err)
		err = open_metrics(&r);
	if (err)
		goto out_inputs;
	pr_info("collecting on %s, %s\n", o->udp_only ? "UDP sockets" : o->ifname,
		r.raw ? "raw records" : "aggregated");
	err = loop(&r);
	print_summary(&r);
	print_kernel_summary(&r);

out_inputs:
	if (r.stats_path[0])
		unlink(r.stats_path);
	nfx_metrics_free(r.metrics);
	nfx_prom_free(&r.prom);
	close_inputs(&r);
	free(r.pfds);
out_out:
	ns_free_all(&r);	/* the aggregators' last records go to both sinks */
	nfx_ch_free(r.ch);	/* sends what it holds (5 s at most), spools the rest */
	if (r.timerfd >= 0)
		close(r.timerfd);
	if (r.sigfd >= 0)
		close(r.sigfd);
	rdns = r.rdns;
	r.rdns = NULL;
	if (r.out)
		set_writers_rdns(&r);
	close_outputs(&r);
	nfx_rdns_free(rdns);
out_dec:
	free_decoders(&r);
out_workers:
	free_workers(&r);
	nfx_config_watch_free(r.watch);
	nfx_config_free(r.cfg);
out_mutex:
	pthread_mutex_destroy(&r.ch_lock);
	return err;
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
