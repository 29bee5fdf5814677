/* SPDX-License-Identifier: BSD-2-Clause */
/* summary.h - the daemon's counters: the metrics page every second, the summary at exit. */
#ifndef NFX_DAEMON_SUMMARY_H
#define NFX_DAEMON_SUMMARY_H

#include "daemon/state.h"

/* The page for /metrics and the stats file, from every worker, the inputs and sinks. */
void nfx_summary_publish(struct nfx_run *r);
/* "summary: ..." and "xdp: ..." lines on stderr, at exit. */
void nfx_summary_print(struct nfx_run *r);
void nfx_summary_print_kernel(struct nfx_run *r);

#endif /* NFX_DAEMON_SUMMARY_H */
