// SPDX-License-Identifier: BSD-2-Clause
/*
 * daemon.c - `nfxdp run` from start to exit: the configuration, the
 * workers and their decoders, the inputs (XDP program, AF_XDP sockets, UDP
 * sockets), the privileges dropped, the sinks and enrichment, the routes,
 * the port map (filled last, so until then the program passes our ports to
 * the stack), metrics, then the loop; on the way out everything in
 * reverse, what the aggregators hold written to every sink, a summary on
 * stderr.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "control/stats_file.h"
#include "daemon/daemon.h"
#include "daemon/apply.h"
#include "daemon/handover.h"
#include "daemon/loop.h"
#include "daemon/persist.h"
#include "daemon/privs.h"
#include "daemon/route.h"
#include "daemon/sinks.h"
#include "daemon/summary.h"
#include "daemon/worker.h"

static long sysfs_net_long(const char *ifname, const char *name)
{
	char path[96], buf[32];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/net/%s/%s", ifname, name);
	f = fopen(path, "re");
	if (!f)
		return -1;
	if (fgets(buf, sizeof(buf), f))
		v = strtol(buf, NULL, 10);
	fclose(f);
	return v;
}

/*
 * Without napi_defer_hard_irqs and gro_flush_timeout the interface's
 * interrupts keep running the queues between the workers' polls: busy
 * polling then only adds to the softirq's work.  Those are the
 * interface's settings, for every socket on it; they are the operator's
 * to make (nfxdp(8)), so this only says so.
 */
static void busy_poll_report(const char *ifname, const struct nfx_xsk_opts *xo)
{
	long defer = sysfs_net_long(ifname, "napi_defer_hard_irqs");
	long flush = sysfs_net_long(ifname, "gro_flush_timeout");

	pr_info("%s: busy polling, %u us, %u packets per poll\n", ifname, xo->busy_poll_usecs,
		xo->busy_poll_budget);
	if (defer == 0 || flush == 0)
		pr_warn("%s: napi_defer_hard_irqs %ld, gro_flush_timeout %ld: interrupts still run "
			"the queues between busy polls (set both in /sys/class/net/%s/)\n",
			ifname, defer, flush, ifname);
}

/*
 * Bound to their queues, not yet in the XSKMAP: until start_inputs() puts
 * them there, the program passes their datagrams to the UDP sockets, which
 * a daemon we take over from still reads (a socket in the map that nobody
 * reads yet would drop what overflows its ring).
 */
static int open_xsks(struct nfx_run *r)
{
	/*
	 * A daemon that just stopped (a --takeover's predecessor, or a restart
	 * right after a stop) closed its sockets; the kernel frees the queues
	 * a little after.
	 */
	struct nfx_xsk_opts xo = nfx_workers_xsk_opts(r, 2000);

	r->xsks = calloc((size_t)r->nqueues, sizeof(*r->xsks));
	if (!r->xsks)
		return -ENOMEM;
	for (int q = 0; q < r->nqueues; q++) {
		struct nfx_worker *w = &r->w[q % r->nw];

		r->xsks[q] = nfx_xsk_new(r->o->ifname, (uint32_t)q, -1, &xo);
		if (!r->xsks[q])
			return -errno;
		w->xsks[w->nxsk++] = r->xsks[q];
		r->nxsk = q + 1;
	}
	pr_info("%s: %d AF_XDP socket(s), %s mode, %d worker%s\n", r->o->ifname, r->nxsk,
		nfx_xsk_mode(r->xsks[0]), r->nw, r->nw > 1 ? " threads" : "");
	if (r->busy_poll_usecs)
		busy_poll_report(r->o->ifname, &xo);
	return 0;
}

static int open_inputs(struct nfx_run *r)
{
	const struct nfx_run_opts *o = r->o;
	struct nfx_loader_opts lo = {
		.ifname = o->ifname,
		.pin_dir = o->pin_dir,
		.skb_mode = o->skb_mode,
		.force = o->force,
		/* a successor uses the program and pins as they are */
		.no_attach = o->no_attach || o->takeover,
	};
	int err;

	err = o->takeover ? nfx_handover_take(r) : nfx_handover_listen(r);
	if (err)
		return err;
	if (!o->udp_only) {
		r->ldr = nfx_loader_new(&lo);
		if (!r->ldr)
			return -errno;

	}
	err = nfx_apply_sync_udp(r);
	if (err || o->udp_only)
		return err;
	err = open_xsks(r);
	if (err)
		return err;
	for (int i = 1; i < r->nw; i++)
		r->w[i].has_udp = 0;
	return 0;
}

/* Last: until now the program passed our ports to the stack. */
static int start_inputs(struct nfx_run *r)
{
	int xsks_fd, err;

	if (r->o->udp_only)
		return 0;
	xsks_fd = nfx_loader_xsks_fd(r->ldr);
	for (int q = 0; q < r->nxsk; q++) {
		err = nfx_xsk_map(r->xsks[q], xsks_fd);
		if (err) {
			pr_warn("%s queue %d: cannot put the AF_XDP socket in the XSKMAP: %s\n",
				r->o->ifname, q, strerror(-err));
			return err;
		}
	}
	err = nfx_apply_maps(r, NULL);
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
	n = nfx_loader_check_if(r->o->ifname);
	if (n < 0)
		return n;
	n = nfx_xsk_queue_count(r->o->ifname);
	if (n < 0)
		pr_warn("%s: cannot count RX queues: %s\n", r->o->ifname, strerror(-n));
	return n;
}

static void close_inputs(struct nfx_run *r)
{
	for (int q = 0; r->xsks && q < r->nxsk; q++)
		nfx_xsk_free(r->xsks[q]);
	free(r->xsks);
	for (int u = 0; u < r->nudp; u++)
		nfx_udp_free(r->udps[u]);
	free(r->udps);
	nfx_loader_free(r->ldr);
	r->ldr = NULL;
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
		.max_exporters = nfx_worker_share(r, c->max_exporters),
		.max_templates = nfx_worker_share(r, c->max_templates),
		.max_templates_per_exporter = c->max_templates_per_exporter,
		.max_template_fields = c->max_template_fields,
		.evict_idle_ms = c->eviction_min_idle * 1000u,
		.max_sessions = nfx_worker_share(r, c->max_sessions),
		.max_sflow_interfaces = nfx_worker_share(r, c->max_sflow_interfaces),
		.max_interface_names = nfx_worker_share(r, c->max_interface_names),
		.pending_bytes_per_exporter = c->pending_bytes_per_exporter,
		.pending_sets_per_exporter = c->pending_sets_per_exporter,
		.pending_total_bytes = nfx_worker_share(r, c->pending_total_bytes),
		.pending_max_age_ms = c->pending_max_age * 1000u,
		.pending_off = !c->pending_bytes_per_exporter || !c->pending_total_bytes,
	};

	for (int i = 0; i < r->nw; i++) {
		struct nfx_worker *w = &r->w[i];

		w->dec = nfx_decoder_new(&dop);
		if (!w->dec)
			return -errno;
		nfx_route_attach(w);
	}
	nfx_apply_templates(r);
	nfx_apply_decoder_policy(r);
	return 0;
}

static void free_decoders(struct nfx_run *r)
{
	for (int i = 0; i < r->nw; i++)
		nfx_decoder_free(r->w[i].dec);
}

/* Where the daemon counters go: /metrics (--metrics) and the stats file. */
static int open_metrics(struct nfx_run *r)
{
	if (!r->o->metrics_listen) {
		if (r->stats_path[0])
			nfx_summary_publish(r);
		return 0;
	}
	r->metrics = nfx_metrics_new(r->o->metrics_listen, r->ho_metrics_fd);
	r->ho_metrics_fd = -1;	/* taken or closed */
	if (!r->metrics) {
		int err = errno;

		if (err == EINVAL)
			pr_warn("metrics address '%s': expected [ADDR:]PORT, PORT 0-65535, an IPv6 "
				"ADDR in brackets\n", r->o->metrics_listen);
		else
			pr_warn("metrics on %s: %s%s\n", r->o->metrics_listen, strerror(err),
				err == EADDRINUSE ? ": choose another port (--metrics)" : "");
		return -err;
	}
	pr_info("metrics on http://%s/metrics\n", nfx_metrics_addr(r->metrics));
	nfx_summary_publish(r);
	return 0;
}

/*
 * The order: what takes privileges (the program, the sockets, the stats
 * directory) first, then the privileges dropped before any thread starts,
 * then the sinks, which create their files as the user they are left with.
 */
static int set_up(struct nfx_run *r)
{
	int nq, err;

	err = nfx_apply_load(r);
	if (err)
		return err;
	nq = count_queues(r);
	err = nq < 0 ? nq : nfx_workers_alloc(r, nq ? nq : 1);
	if (!err)
		err = nfx_routes_fit(r);	/* refused before anything is opened */
	if (err)
		return err;
	r->nqueues = nq;
	err = open_decoders(r);
	if (!err)
		err = nfx_loop_setup_signals(r);
	if (!err)
		err = open_inputs(r);
	if (err)
		return err;
	nfx_stats_file_path(r->stats_path, sizeof(r->stats_path), r->o->stats_file, r->o->ifname,
			    r->nudp ? nfx_udp_port(r->udps[0]) : 0);
	err = nfx_persist_prepare(r);
	if (!err)
		err = nfx_privs_drop(r);
	if (!err)
		err = nfx_persist_check(r);
	if (!err)
		err = nfx_sinks_open_output(r);
	if (err)
		return err;
	nfx_sinks_build_fieldmaps(r);
	/* compiled with the mappings, before the port map sends anything our way */
	nfx_persist_load(r);
	err = nfx_sinks_open_clickhouse(r);
	if (!err)
		err = nfx_routes_build(r);
	if (!err)
		err = nfx_sinks_open_rdns(r);
	if (!err)
		err = start_inputs(r);
	if (!err)
		err = nfx_loop_setup_poll(r);
	if (!err)
		err = open_metrics(r);
	return err;
}

/* Everything set_up() opened, whatever it got to, in reverse. */
static void tear_down(struct nfx_run *r)
{
	nfx_handover_close(r);
	if (r->stats_path[0])
		unlink(r->stats_path);
	nfx_metrics_free(r->metrics);
	nfx_prom_free(&r->prom);
	close_inputs(r);
	free(r->pfds);
	nfx_routes_free(r);	/* the aggregators' last records go to every sink */
	nfx_ch_free(r->ch);	/* sends what it holds (5 s at most), spools the rest */
	if (r->timerfd >= 0)
		close(r->timerfd);
	if (r->sigfd >= 0)
		close(r->sigfd);
	nfx_sinks_close_output(r);
	nfx_sinks_close_rdns(r);
	free_decoders(r);
	nfx_workers_free(r);
	nfx_config_watch_free(r->watch);
	nfx_config_free(r->cfg);
}

int nfx_run(const struct nfx_run_opts *o)
{
	struct nfx_run r = { .o = o, .sigfd = -1, .timerfd = -1, .ho_fd = -1, .ho_conn = -1,
				.ho_metrics_fd = -1 };
	int err;

	r.now = nfx_now_ms();
	err = set_up(&r);
	if (!err) {
		pr_info("collecting on %s, %s\n", o->udp_only ? "UDP sockets" : o->ifname,
			r.raw ? "raw records" : "aggregated");
		nfx_handover_finish(&r);
		err = nfx_loop_run(&r);
		/* after the last drain: what the next process needs (a successor has it) */
		if (!r.handed_over)
			nfx_persist_save(&r, 1);
		nfx_summary_print(&r);
		nfx_summary_print_kernel(&r);
	}
	tear_down(&r);
	return err;
}
