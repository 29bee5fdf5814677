// SPDX-License-Identifier: BSD-2-Clause
/*
 * loop.c - the main thread: one poll() over the signalfd, a 100 ms
 * timerfd, the configuration watch, the resolver's sockets and, with a
 * single worker, that worker's sockets.  Each wakeup takes the clock once.
 * SIGHUP reopens the output and reloads the configuration; SIGINT/SIGTERM
 * stop the loop, after which the workers drain their rings once more and
 * flush what they hold.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "base/log.h"
#include "control/notify.h"
#include "daemon/opts.h"
#include "daemon/apply.h"
#include "daemon/handover.h"
#include "daemon/loop.h"
#include "daemon/persist.h"
#include "daemon/route.h"
#include "daemon/sinks.h"
#include "daemon/summary.h"
#include "daemon/worker.h"

int nfx_loop_setup_signals(struct nfx_run *r)
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

/* The main thread's poll set; with one worker its sockets come first. */
int nfx_loop_setup_poll(struct nfx_run *r)
{
	int nio = r->threaded ? 0 : r->nxsk + r->nudp;
	int n = nio + NFX_RDNS_MAX_FDS + 4, i = 0;

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
	r->pfds[i++] = (struct pollfd){ .fd = r->ho_fd, .events = POLLIN };
	r->npfd = n;
	r->pfds_stale = 0;
	return 0;
}

static void tick(struct nfx_run *r, uint64_t now)
{
	uint64_t expirations;

	if (read(r->timerfd, &expirations, sizeof(expirations)) < 0)
		return;
	r->now = now;
	if (!r->threaded)
		nfx_worker_tick(&r->w[0], now);
	if (r->ch)
		nfx_ch_tick(r->ch, now);	/* time-based batch cut */
	nfx_persist_tick(r, now);
	if ((r->metrics || r->stats_path[0]) && now - r->last_metrics >= 1000) {
		nfx_summary_publish(r);
		r->last_metrics = now;
	}
}

/* What systemd's status line names (Type=notify). */
static const char *where(const struct nfx_run *r)
{
	return r->o->udp_only ? "UDP sockets" : r->o->ifname;
}

static void on_signal(struct nfx_run *r, int *stop)
{
	struct signalfd_siginfo si;

	while (read(r->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			pr_info("SIGHUP: reopening the output%s\n",
				r->o->config_path ? ", reloading the configuration" : "");
			nfx_notify_reloading();
			nfx_sinks_reopen_output(r);
			nfx_apply_reload(r, "SIGHUP");
			nfx_notify_ready(where(r));
			continue;
		}
		pr_info("signal %u: shutting down\n", si.ssi_signo);
		*stop = 1;
	}
}

int nfx_loop_run(struct nfx_run *r)
{
	struct nfx_worker *w0 = &r->w[0];
	int stop = 0, err = 0;

	w0->last_sweep = nfx_now_ms();
	err = nfx_workers_start(r);
	if (!err)
		nfx_notify_ready(where(r));
	while (!stop && !err) {
		/* these move when the configuration changes the UDP sockets */
		int isig, itimer, iwatch, iho;

		if (r->pfds_stale && (err = nfx_loop_setup_poll(r)))
			break;
		isig = r->npfd - 4;
		itimer = r->npfd - 3;
		iwatch = r->npfd - 2;
		iho = r->npfd - 1;

		if (r->rdns)
			nfx_rdns_fds(r->rdns, r->pfds + r->irdns, NFX_RDNS_MAX_FDS);
		if (poll(r->pfds, (nfds_t)r->npfd, -1) < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		r->now = nfx_now_ms();
		if (!r->threaded)
			nfx_worker_drain(w0, r->pfds, r->now, 0);
		/* answers; timeouts at the 100 ms tick at the latest */
		if (r->rdns)
			nfx_rdns_process(r->rdns, r->pfds + r->irdns, NFX_RDNS_MAX_FDS, r->now);
		if (r->pfds[itimer].revents)
			tick(r, r->now);
		if (r->pfds[iwatch].revents && nfx_config_watch_changed(r->watch) > 0) {
			nfx_notify_reloading();
			nfx_apply_reload(r, "file changed");
			nfx_notify_ready(where(r));
		}
		if (r->pfds[isig].revents)
			on_signal(r, &stop);
		/* a successor: after it, nothing of ours is read any more */
		if (r->pfds[iho].revents && nfx_handover_serve(r))
			stop = 1;
	}
	/* after a hand-over the service goes on, in the successor */
	if (!r->handed_over)
		nfx_notify_stopping();
	/* threads drain their rings and flush their aggregators as they stop */
	nfx_workers_stop(r);
	if (!r->threaded) {
		nfx_worker_drain(w0, r->pfds, nfx_now_ms(), 1);
		nfx_routes_flush(w0);
	}
	return err;
}
