/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * route.h - listener -> namespace -> aggregator -> enrichment -> sinks, per
 * worker (route.c).  The decoder emits into the route; the aggregators
 * flush into it; nothing else writes records.
 */
#ifndef NFX_DAEMON_ROUTE_H
#define NFX_DAEMON_ROUTE_H

#include <stddef.h>

#include "daemon/state.h"

/* The worker's decoder emits into its routes; its allow-list is the configuration's. */
void nfx_route_attach(struct nfx_worker *w);
/*
 * One route per namespace a listener has, aggregators unless raw; refused
 * (-ENOMEM) when nfx_routes_fit() refuses r->cfg.
 */
int nfx_routes_build(struct nfx_run *r);
/*
 * Whether @c's aggregators, r->nw workers' worth, fit in its
 * aggregator_max_memory.  0, or -ENOMEM with the figures and what to
 * change in @err.
 */
int nfx_routes_check(const struct nfx_run *r, const struct nfx_config *c, char *err,
		     size_t len);
/* nfx_routes_check() of r->cfg, the refusal logged. */
int nfx_routes_fit(const struct nfx_run *r);
/* Everything the aggregators hold is written out, then they are freed. */
void nfx_routes_free(struct nfx_run *r);
/* Everything a worker's aggregators hold is written out (shutdown, output change). */
void nfx_routes_flush(struct nfx_worker *w);

#endif /* NFX_DAEMON_ROUTE_H */
