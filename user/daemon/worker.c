// SPDX-License-Identifier: BSD-2-Clause
/*
 * worker.c - the workers: how many, their sockets and poll sets, reading
 * what is ready into the decoder, the 100 ms tick, and the threads.  Each
 * wakeup takes the clock once and drains every ready socket up to
 * RX_BUDGET datagrams; the tick writes the output buffer out so readers
 * see records within ~100 ms.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "daemon/route.h"
#include "daemon/share.h"
#include "daemon/worker.h"

/* CPUs this process may run on (taskset, cpuset), else those online. */
static long usable_cpus(void)
{
	cpu_set_t set;

	if (!sched_getaffinity(0, sizeof(set), &set))
		return CPU_COUNT(&set);
	return sysconf(_SC_NPROCESSORS_ONLN);
}

/* Workers: one per RX queue, at most one per usable CPU, or the configuration's "workers". */
static int count_workers(const struct nfx_run *r, int nqueues)
{
	long cpus = usable_cpus();
	int n = nqueues;

	if (r->cfg->workers)
		n = (int)r->cfg->workers;
	else if (cpus > 0 && n > cpus)
		n = (int)cpus;
	if (n > nqueues)
		n = nqueues;
	return n < 1 ? 1 : n > MAX_WORKERS ? MAX_WORKERS : n;
}

int nfx_workers_alloc(struct nfx_run *r, int nqueues)
{
	r->nw = count_workers(r, nqueues);
	/* a busy-polling worker spins: signals, timers and reloads stay in the main thread */
	r->busy_poll_usecs = r->o->udp_only ? 0 : r->cfg->busy_poll_usecs;
	if (r->o->udp_only && r->cfg->busy_poll_usecs)
		pr_info("busy_poll_usecs: for AF_XDP sockets, not used with --udp\n");
	r->threaded = r->nw > 1 || r->busy_poll_usecs;
	r->w = calloc((size_t)r->nw, sizeof(*r->w));
	if (!r->w)
		return -ENOMEM;
	for (int i = 0; i < r->nw; i++) {
		struct nfx_worker *w = &r->w[i];

		w->r = r;
		w->id = i;
		w->has_udp = i == 0;
		w->route_ns = -1;
		w->pfds_stale = 1;
		w->now = r->now;
		pthread_mutex_init(&w->lock, NULL);
		w->share.efd = -1;
		if (r->threaded) {
			int err = nfx_share_init(&w->share);

			if (err)
				return err;
		}
		w->xsks = calloc((size_t)nqueues / (size_t)r->nw + 1, sizeof(*w->xsks));
		if (!w->xsks)
			return -ENOMEM;
	}
	return 0;
}

void nfx_workers_free(struct nfx_run *r)
{
	for (int i = 0; i < r->nw; i++) {
		free(r->w[i].xsks);
		free(r->w[i].pfds);
		nfx_share_free(&r->w[i].share);
		pthread_mutex_destroy(&r->w[i].lock);
	}
	free(r->w);
	r->w = NULL;
	r->nw = 0;
}

/* A worker thread's poll set: its sockets in drain() order.  Under its lock. */
static int worker_pollfds(struct nfx_worker *w)
{
	int nudp = w->has_udp ? w->r->nudp : 0, n = w->nxsk + nudp, i = 0;
	struct pollfd *p = realloc(w->pfds, (size_t)(n + 1) * sizeof(*p));

	if (!p)
		return -ENOMEM;
	w->pfds = p;
	for (int q = 0; q < w->nxsk; q++)
		p[i++] = (struct pollfd){ .fd = nfx_xsk_fd(w->xsks[q]), .events = POLLIN };
	for (int u = 0; u < nudp; u++)
		p[i++] = (struct pollfd){ .fd = nfx_udp_fd(w->r->udps[u]), .events = POLLIN };
	if (w->share.buf)	/* last: drain() reads the sockets by their index */
		p[n++] = (struct pollfd){ .fd = w->share.efd, .events = POLLIN };
	w->npfd = n;
	w->pfds_stale = 0;
	return 0;
}

/* The main thread stops every worker thread where it is, for a consistent view. */
void nfx_workers_lock(struct nfx_run *r)
{
	for (int i = 0; r->threaded && i < r->nw; i++)
		pthread_mutex_lock(&r->w[i].lock);
}

void nfx_workers_unlock(struct nfx_run *r)
{
	for (int i = r->nw - 1; r->threaded && i >= 0; i--)
		pthread_mutex_unlock(&r->w[i].lock);
}

/* A worker's share of a daemon-wide bound (0 = the default, left to the table). */
/* What the inputs hand on: one datagram into the worker's decoder. */
static void on_dgram(void *ctx, const struct nfx_src *src, const uint8_t *p, size_t len)
{
	struct nfx_worker *w = ctx;

	w->cur_port = src->dst_port;	/* the route of its records */
	nfx_decode(w->dec, src, p, len, &w->sink);
	if (w->dec->control_seen && w->share.buf)
		nfx_share_post(w->r, w->id, src, p, len);
}

/* Reads what is ready; @pfds are the worker's sockets; @all ignores revents (the final drain). */
void nfx_worker_drain(struct nfx_worker *w, const struct pollfd *pfds, uint64_t now, int all)
{
	struct nfx_run *r = w->r;
	int i = 0;

	w->now = now;
	nfx_ndjson_set_now(w->out, now);
	nfx_share_replay(w);	/* templates first: the data may follow on our sockets */
	for (int q = 0; q < w->nxsk; q++, i++)
		if (all || pfds[i].revents)
			nfx_xsk_rx(w->xsks[q], on_dgram, w, now, all ? UINT32_MAX : RX_BUDGET);
	for (int u = 0; w->has_udp && u < r->nudp; u++, i++) {
		if (!all && !pfds[i].revents)
			continue;
		if (nfx_udp_rx(r->udps[u], on_dgram, w, now, all ? UINT32_MAX : RX_BUDGET) < 0)
			pr_debug("UDP port %u: %s\n", nfx_udp_port(r->udps[u]), strerror(errno));
	}
}

/* Every 100 ms: aggregator ticks, the output written out, the template sweep. */
void nfx_worker_tick(struct nfx_worker *w, uint64_t now)
{
	struct nfx_run *r = w->r;

	w->now = now;
	nfx_ndjson_set_now(w->out, now);
	for (int i = 0; i < w->nns; i++)
		if (w->ns[i].agg)
			nfx_agg_tick(w->ns[i].agg, now, &w->ns[i].flush);
	/* a failing output keeps its records for the next tick and warns once a minute */
	nfx_ndjson_flush(w->out);
	if (now - w->last_sweep >= r->sweep_ms) {
		nfx_decoder_sweep(w->dec, now, r->ttl_ms);
		w->last_sweep = now;
	}
}

struct nfx_xsk_opts nfx_workers_xsk_opts(const struct nfx_run *r, uint32_t busy_wait_ms)
{
	return (struct nfx_xsk_opts){
		.busy_wait_ms = busy_wait_ms,
		.busy_poll_usecs = r->busy_poll_usecs,
		.busy_poll_budget = r->cfg->busy_poll_budget,
	};
}

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/*
 * Busy polling: run the queues' NAPI here, then look at every socket
 * without sleeping, and so on while datagrams come.  After
 * busy_poll_usecs without any the worker sleeps in poll() (interrupts or
 * the kernel's gro_flush_timeout timer run the queues again), so an idle
 * collector does not keep a core at 100 %.
 */
static int worker_busy_poll(struct nfx_worker *w)
{
	uint64_t now;
	int n;

	for (int q = 0; q < w->nxsk; q++)
		nfx_xsk_busy_poll(w->xsks[q]);
	n = poll(w->pfds, (nfds_t)w->npfd, 0);
	if (n) {
		w->spin_since_us = 0;
		return n;
	}
	now = now_us();
	if (!w->spin_since_us)
		w->spin_since_us = now;
	if (now - w->spin_since_us < w->r->busy_poll_usecs)
		return 0;
	w->spin_since_us = 0;
	return poll(w->pfds, (nfds_t)w->npfd, TICK_MS);
}

/*
 * A worker thread: poll its sockets (100 ms at most, for the tick and to
 * see the stop flag), then work on what is ready with its lock held.
 */
static void *worker_main(void *arg)
{
	struct nfx_worker *w = arg;
	struct nfx_run *r = w->r;

	pthread_mutex_lock(&w->lock);
	w->last_sweep = w->next_tick = nfx_now_ms();
	while (!atomic_load_explicit(&r->stop, memory_order_relaxed)) {
		uint64_t now;
		int n;

		if (w->pfds_stale && worker_pollfds(w))
			break;
		pthread_mutex_unlock(&w->lock);
		if (r->busy_poll_usecs)
			n = worker_busy_poll(w);
		else
			n = poll(w->pfds, (nfds_t)w->npfd, TICK_MS);
		now = nfx_now_ms();
		pthread_mutex_lock(&w->lock);
		if (n > 0 && !w->pfds_stale)	/* else revents belong to the old set */
			nfx_worker_drain(w, w->pfds, now, 0);
		if (now >= w->next_tick) {
			nfx_worker_tick(w, now);
			w->next_tick = now + TICK_MS;
		}
	}
	if (!w->pfds_stale)
		nfx_worker_drain(w, w->pfds, nfx_now_ms(), 1);
	nfx_routes_flush(w);
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

int nfx_workers_start(struct nfx_run *r)
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

void nfx_workers_stop(struct nfx_run *r)
{
	atomic_store(&r->stop, 1);
	for (int i = 0; i < r->nw; i++) {
		if (!r->w[i].started)
			continue;
		pthread_join(r->w[i].thread, NULL);
		r->w[i].started = 0;
	}
}
