// SPDX-License-Identifier: BSD-2-Clause
/*
 * run.c - `nfxdp run`: one thread, one poll() over every AF_XDP socket,
 * every UDP listener, a signalfd and a 100 ms timerfd.  Each wakeup takes
 * the clock once, drains what is ready into the decoder, and the timer
 * writes the NDJSON buffer out so readers see records within ~100 ms.
 *
 * Shutdown on SIGINT/SIGTERM: drain the rings once more, flush, close the
 * sockets, detach and unpin what we attached, print a summary on stderr.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "decode.h"
#include "loader.h"
#include "log.h"
#include "out_ndjson.h"
#include "run.h"
#include "udp_sock.h"
#include "xsk.h"

#define TICK_MS		100
#define RX_BUDGET	1024
#define SWEEP_MS	(5 * 60 * 1000ull)
#define TEMPLATE_TTL_MS	(30 * 60 * 1000ull)

struct nfx_run {
	const struct nfx_run_opts *o;
	struct nfx_loader *ldr;
	struct nfx_xsk **xsks;
	int nxsk;
	struct nfx_udp **udps;
	int nudp;
	struct nfx_decoder *dec;
	struct nfx_ndjson *out;
	struct nfx_sink sink;
	int sigfd;
	int timerfd;
	struct pollfd *pfds;		/* xsks, then udps, then signal, timer */
	uint64_t last_sweep;
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
		"usage: nfxdp run -i IF [-p PORT[/legacy|/modern|/all]]... [-o FILE|-] [--raw]\n"
		"                 [--skb] [--no-attach] [--pin-dir DIR] [--force] [--namespace NS]\n"
		"       nfxdp run --udp [-p PORT]... [--bind ADDR] [-o FILE|-] [--namespace NS]\n"
		"\n"
		"Collects NetFlow v1/v5/v6/v7/v9 and IPFIX and writes one JSON object per flow.\n"
		"With -i, an XDP program on IF checks export packets and hands them to one\n"
		"AF_XDP socket per RX queue; UDP sockets on the same ports take what the\n"
		"program passes to the stack (IP fragments).  With --udp, UDP sockets only.\n"
		"\n"
		"  -i, --interface IF  interface to attach to\n"
		"  -p, --port PORT     listener port, repeatable (default 2055 and 4739);\n"
		"                      /legacy = v1/5/6/7, /modern = v9/IPFIX, /all (default,\n"
		"                      except 4739: modern)\n"
		"  -o, --output FILE   NDJSON output, appended (default - = stdout)\n"
		"      --raw           one record per decoded flow, no aggregation (default)\n"
		"      --skb           attach in generic (skb) mode\n"
		"      --no-attach     use a program attached by 'ip link set dev IF xdp obj\n"
		"                      nfx_xdp.bpf.o sec xdp' and its pinned maps\n"
		"      --pin-dir DIR   map pin directory (default %s; with --no-attach\n"
		"                      searched: %s, %s/tc/globals, %s/xdp/globals)\n"
		"      --force         replace another XDP program on IF\n"
		"      --udp           plain UDP sockets, no XDP (no root needed)\n"
		"      --bind ADDR     UDP listen address (default :: = all, dual stack)\n"
		"      --namespace NS  device.namespace of the records (default \"default\")\n"
		"      --ms-times      also write start_ms/end_ms\n",
		NFX_PIN_DIR_DEFAULT, NFX_PIN_DIR_DEFAULT, NFX_BPFFS, NFX_BPFFS);
}

enum {
	OPT_RAW = 0x100, OPT_SKB, OPT_NO_ATTACH, OPT_PIN_DIR, OPT_FORCE, OPT_NS, OPT_UDP,
	OPT_BIND, OPT_MS,
};

int nfx_run_parse(int argc, char **argv, struct nfx_run_opts *o)
{
	static const struct option lo[] = {
		{ "interface", required_argument, NULL, 'i' },
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
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->raw = 1;
	optind = 1;
	while ((c = getopt_long(argc, argv, "i:p:o:h", lo, NULL)) != -1) {
		switch (c) {
		case 'i': o->ifname = optarg; break;
		case 'p':
			if (o->nports == NFX_MAX_PORTS ||
			    nfx_port_parse(optarg, &o->ports[o->nports])) {
				pr_warn("bad port '%s' (PORT[/legacy|/modern|/all], at most %d)\n",
					optarg, NFX_MAX_PORTS);
				return -EINVAL;
			}
			o->nports++;
			break;
		case 'o': o->out_path = optarg; break;
		case OPT_RAW: o->raw = 1; break;
		case OPT_SKB: o->skb_mode = 1; break;
		case OPT_NO_ATTACH: o->no_attach = 1; break;
		case OPT_PIN_DIR: o->pin_dir = optarg; break;
		case OPT_FORCE: o->force = 1; break;
		case OPT_NS: o->namespace = optarg; break;
		case OPT_UDP: o->udp_only = 1; break;
		case OPT_BIND: o->bind_addr = optarg; break;
		case OPT_MS: o->ms_times = 1; break;
		case 'h': usage(stdout); return 1;
		default: usage(stderr); return -EINVAL;
		}
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
	if (!o->nports) {
		nfx_port_parse("2055", &o->ports[o->nports++]);
		nfx_port_parse("4739", &o->ports[o->nports++]);
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

static int open_udp(struct nfx_run *r)
{
	const struct nfx_run_opts *o = r->o;

	r->udps = calloc(o->nports, sizeof(*r->udps));
	if (!r->udps)
		return -ENOMEM;
	for (size_t i = 0; i < o->nports; i++) {
		int dup = 0;

		for (int j = 0; j < r->nudp; j++)
			dup |= nfx_udp_port(r->udps[j]) == o->ports[i].port;
		if (dup)
			continue;
		r->udps[r->nudp] = nfx_udp_new(o->bind_addr, o->ports[i].port);
		if (!r->udps[r->nudp])
			return -errno;
		r->nudp++;
	}
	return 0;
}

static int open_xsks(struct nfx_run *r)
{
	int n, xsks_fd = nfx_loader_xsks_fd(r->ldr);

	n = nfx_xsk_queue_count(r->o->ifname);
	if (n < 0) {
		pr_warn("%s: cannot count RX queues: %s\n", r->o->ifname, strerror(-n));
		return n;
	}
	r->xsks = calloc((size_t)n, sizeof(*r->xsks));
	if (!r->xsks)
		return -ENOMEM;
	for (int q = 0; q < n; q++) {
		r->xsks[q] = nfx_xsk_new(r->o->ifname, (uint32_t)q, xsks_fd, NULL);
		if (!r->xsks[q])
			return -errno;
		r->nxsk++;
	}
	pr_info("%s: %d AF_XDP socket(s), %s mode\n", r->o->ifname, n, nfx_xsk_mode(r->xsks[0]));
	return 0;
}

static int setup_poll(struct nfx_run *r)
{
	int n = r->nxsk + r->nudp + 2, i = 0;

	r->pfds = calloc((size_t)n, sizeof(*r->pfds));
	if (!r->pfds)
		return -ENOMEM;
	for (int q = 0; q < r->nxsk; q++)
		r->pfds[i++] = (struct pollfd){ .fd = nfx_xsk_fd(r->xsks[q]), .events = POLLIN };
	for (int u = 0; u < r->nudp; u++)
		r->pfds[i++] = (struct pollfd){ .fd = nfx_udp_fd(r->udps[u]), .events = POLLIN };
	r->pfds[i++] = (struct pollfd){ .fd = r->sigfd, .events = POLLIN };
	r->pfds[i++] = (struct pollfd){ .fd = r->timerfd, .events = POLLIN };
	return 0;
}

/* Reads what is ready; @all ignores revents (the final drain). */
static void drain(struct nfx_run *r, uint64_t now, int all)
{
	int i = 0;

	nfx_ndjson_set_now(r->out, now);
	for (int q = 0; q < r->nxsk; q++, i++)
		if (all || r->pfds[i].revents)
			nfx_xsk_rx(r->xsks[q], r->dec, &r->sink, now, all ? UINT32_MAX : RX_BUDGET);
	for (int u = 0; u < r->nudp; u++, i++) {
		if (!all && !r->pfds[i].revents)
			continue;
		if (nfx_udp_rx(r->udps[u], r->dec, &r->sink, now, all ? UINT32_MAX : RX_BUDGET) < 0)
			pr_debug("UDP port %u: %s\n", nfx_udp_port(r->udps[u]), strerror(errno));
	}
}

static void tick(struct nfx_run *r, uint64_t now)
{
	uint64_t expirations;
	int err;

	if (read(r->timerfd, &expirations, sizeof(expirations)) < 0)
		return;
	err = nfx_ndjson_flush(r->out);
	if (err)
		pr_warn("output write failed: %s (records of this flush lost)\n", strerror(-err));
	if (now - r->last_sweep >= SWEEP_MS) {
		nfx_decoder_sweep(r->dec, now, TEMPLATE_TTL_MS);
		r->last_sweep = now;
	}
}

static int loop(struct nfx_run *r)
{
	const int nfds = r->nxsk + r->nudp + 2, isig = nfds - 2, itimer = nfds - 1;
	struct signalfd_siginfo si;
	uint64_t now;

	r->last_sweep = now_ms();
	for (;;) {
		if (poll(r->pfds, (nfds_t)nfds, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		now = now_ms();
		drain(r, now, 0);
		if (r->pfds[itimer].revents)
			tick(r, now);
		if (r->pfds[isig].revents && read(r->sigfd, &si, sizeof(si)) == sizeof(si)) {
			pr_info("signal %u: shutting down\n", si.ssi_signo);
			drain(r, now_ms(), 1);
			nfx_ndjson_flush(r->out);
			return 0;
		}
	}
}

static void print_summary(struct nfx_run *r)
{
	const struct nfx_dec_stats *ds = &r->dec->stats;
	char line[2048];
	size_t n = 0;

#define ADD(...) (n += n < sizeof(line) ? (size_t)snprintf(line + n, sizeof(line) - n, \
							     __VA_ARGS__) : 0)
	ADD("summary:");
	for (int s = 0; s < NFX_SLOT_MAX; s++)
		if (ds->packets[s] || ds->dropped[s])
			ADD(" %s packets=%" PRIu64 " records=%" PRIu64 " dropped=%" PRIu64 ";",
			    nfx_slot_name(s), ds->packets[s], ds->records[s], ds->dropped[s]);
	ADD(" template_not_found=%" PRIu64 " output_records=%" PRIu64,
	    ds->template_not_found, nfx_ndjson_stats(r->out)->records);
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
	err = open_udp(r);
	if (err || o->udp_only)
		return err;
	err = open_xsks(r);
	if (err)
		return err;
	/* last: until now the program passed our ports to the stack */
	err = nfx_ports_reconcile(nfx_loader_ports_fd(r->ldr), o->ports, o->nports);
	if (err)
		pr_warn("cannot set the listener ports: %s\n", strerror(-err));
	return err;
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

int nfx_run(const struct nfx_run_opts *o)
{
	struct nfx_ndjson_opts no = {
		.path = o->out_path,
		.namespace = o->namespace,
		.flags = o->ms_times ? NFX_NDJSON_MS_TIMES : 0,
	};
	struct nfx_run r = { .o = o, .sigfd = -1, .timerfd = -1 };
	int err;

	r.dec = nfx_decoder_new(NULL);
	if (!r.dec)
		return -errno;
	r.out = nfx_ndjson_open(&no);
	if (!r.out) {
		err = -errno;
		pr_warn("cannot open output %s: %s\n", o->out_path, strerror(-err));
		goto out_dec;
	}
	r.sink = (struct nfx_sink){ .emit = nfx_ndjson_emit, .ctx = r.out };
	err = setup_signals(&r);
	if (err)
		goto out_out;
	err = open_inputs(&r);
	if (!err)
		err = setup_poll(&r);
	if (err)
		goto out_inputs;
	pr_info("collecting on %s, %zu port(s)\n", o->udp_only ? "UDP sockets" : o->ifname,
		o->nports);
	err = loop(&r);
	print_summary(&r);
	print_kernel_summary(&r);

out_inputs:
	close_inputs(&r);
	free(r.pfds);
out_out:
	if (r.timerfd >= 0)
		close(r.timerfd);
	if (r.sigfd >= 0)
		close(r.sigfd);
	nfx_ndjson_close(r.out);
out_dec:
	nfx_decoder_free(r.dec);
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
