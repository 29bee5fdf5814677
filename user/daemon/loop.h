/* SPDX-License-Identifier: BSD-2-Clause */
/* loop.h - the main thread's poll loop: signals, the tick, configuration reloads. */
#ifndef NFX_DAEMON_LOOP_H
#define NFX_DAEMON_LOOP_H

#include "daemon/state.h"

/* SIGINT/SIGTERM/SIGHUP as a signalfd, the 100 ms timerfd.  0 or -errno. */
int nfx_loop_setup_signals(struct nfx_run *r);
/* The main thread's poll set; again whenever the UDP sockets change.  0 or -ENOMEM. */
int nfx_loop_setup_poll(struct nfx_run *r);
/* Runs until SIGINT/SIGTERM; the workers are stopped, drained and flushed on return. */
int nfx_loop_run(struct nfx_run *r);

#endif /* NFX_DAEMON_LOOP_H */
