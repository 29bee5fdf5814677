/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * worker.h - the daemon's workers (state.h struct nfx_worker): one per RX
 * queue, at most one per usable CPU, or the configuration's "workers".
 * One worker runs in the main thread's poll(); several are threads that
 * poll their own sockets and hold their lock while they work.
 */
#ifndef NFX_DAEMON_WORKER_H
#define NFX_DAEMON_WORKER_H

#include <poll.h>
#include <stdint.h>

#include "daemon/state.h"

/* r->w[]: the workers for @nqueues RX queues, not started.  0 or -ENOMEM. */
int nfx_workers_alloc(struct nfx_run *r, int nqueues);
/* How the workers' AF_XDP sockets are opened (busy polling); @busy_wait_ms for EBUSY. */
struct nfx_xsk_opts nfx_workers_xsk_opts(const struct nfx_run *r, uint32_t busy_wait_ms);
void nfx_workers_free(struct nfx_run *r);
/* With threads: start them (named nfxdp-wN), stop and join them (they drain and flush). */
int nfx_workers_start(struct nfx_run *r);
void nfx_workers_stop(struct nfx_run *r);
/* The main thread stops every worker thread where it is, for a consistent view. */
void nfx_workers_lock(struct nfx_run *r);
void nfx_workers_unlock(struct nfx_run *r);
/* Reads what is ready; @pfds are the worker's sockets; @all ignores revents (the final drain). */
void nfx_worker_drain(struct nfx_worker *w, const struct pollfd *pfds, uint64_t now, int all);
/* Every 100 ms: aggregator ticks, the output written out, the template sweep. */
void nfx_worker_tick(struct nfx_worker *w, uint64_t now);

#endif /* NFX_DAEMON_WORKER_H */
