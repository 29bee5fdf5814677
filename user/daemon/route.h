/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * route.h - listener -> namespace -> aggregator -> enrichment -> sinks, per
 * worker (route.c).  The decoder emits into the route; the aggregators
 * flush into it; nothing else writes records.
 */
#ifndef NFX_DAEMON_ROUTE_H
#define NFX_DAEMON_ROUTE_H

#include "daemon/state.h"

/* The worker's decoder emits into its routes; its allow-list is the configuration's. */
void nfx_route_attach(struct nfx_worker *w);
/* One route per namespace in use (index 0: the top-level one), aggregators unless raw. */
int nfx_routes_build(struct nfx_run *r);
/* Everything the aggregators hold is written out, then they are freed. */
void nfx_routes_free(struct nfx_run *r);
/* Everything a worker's aggregators hold is written out (shutdown, output change). */
void nfx_routes_flush(struct nfx_worker *w);

#endif /* NFX_DAEMON_ROUTE_H */
