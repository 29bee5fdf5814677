/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * daemon_metrics.h - the daemon's counters as one Prometheus page: kernel
 * nfx_stats, AF_XDP XDP_STATISTICS, UDP sockets, decoders (per version and
 * per exporter), aggregators, output and configuration reloads.
 */
#ifndef NFX_RUN_METRICS_H
#define NFX_RUN_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "agg/agg.h"
#include "decode/decode.h"
#include "control/metrics.h"
#include "sink/ndjson.h"
#include "sink/ch.h"
#include "enrich/rdns.h"
#include "io/udp_sock.h"
#include "io/xsk.h"

/* What a configuration reload (SIGHUP, the file changed) came to. */
#define NFX_RELOAD_RESULTS(X)						\
	X(APPLIED, "applied")		/* it differed and is in force */	\
	X(REJECTED, "rejected")		/* it did not load: the old one stays */ \
	X(UNCHANGED, "unchanged")	/* it loaded and nothing differed */

enum nfx_reload_result {
#define X(id, label) NFX_RELOAD_##id,
	NFX_RELOAD_RESULTS(X)
#undef X
	NFX_RELOAD_MAX
};

/*
 * What the page is built from; any pointer may be NULL / count 0.  With
 * several workers (ndec > 1) their decoders' counters are summed and the
 * per-exporter and aggregator series get a worker label.
 */
struct nfx_run_view {
	int stats_fd;				/* pinned nfx_stats, -1 in UDP mode */
	struct nfx_decoder *const *decs;	/* one per worker */
	int ndec;
	struct nfx_xsk *const *xsks;
	int nxsk;
	struct nfx_udp *const *udps;
	int nudp;
	struct nfx_agg *const *aggs;
	const char *const *agg_ns;		/* namespace of each aggregator */
	const int *agg_worker;			/* worker of each aggregator, or NULL */
	int nagg;
	struct nfx_ndjson *const *outs;		/* writers; [0] owns the file */
	int nout;
	struct nfx_ch *ch;			/* ClickHouse sink or NULL */
	struct nfx_rdns *rdns;			/* NULL: reverse DNS off */
	const uint64_t *reloads;		/* [NFX_RELOAD_MAX], or NULL */
};

void nfx_run_metrics(struct nfx_prom *p, const struct nfx_run_view *v);

#endif /* NFX_RUN_METRICS_H */
