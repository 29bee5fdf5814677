// SPDX-License-Identifier: BSD-2-Clause
/*
 * summary.c - what the running daemon reports: every second the metrics
 * page (Prometheus /metrics and the stats file `nfxdp stats --daemon`
 * reads), gathered with the workers stopped for a consistent view; at
 * exit one summary line of the daemon's counters and one of the kernel's.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "control/stats_file.h"
#include "daemon/summary.h"
#include "daemon/worker.h"

/* Output records of every worker's writer. */
static uint64_t output_records(struct nfx_run *r)
{
	uint64_t n = nfx_ndjson_stats(r->out)->records;

	for (int i = 0; i < r->nw; i++)
		if (r->w[i].out && r->w[i].out != r->out)
			n += nfx_ndjson_stats(r->w[i].out)->records;
	return n;
}

/* Namespace @name's aggregator counters, summed over the workers. */
static void agg_sum(const struct nfx_run *r, const char *name, struct nfx_agg_stats *as)
{
	memset(as, 0, sizeof(*as));
	for (int k = 0; k < r->nw; k++)
		for (int i = 0; i < r->w[k].nns; i++)
			if (r->w[k].ns[i].agg && !strcmp(r->w[k].ns[i].name, name))
				nfx_agg_stats_add(as, nfx_agg_stats(r->w[k].ns[i].agg));
}

void nfx_summary_publish(struct nfx_run *r)
{
	struct nfx_agg *aggs[MAX_WORKERS * (NFX_MAX_PORTS + 1)];
	const char *names[MAX_WORKERS * (NFX_MAX_PORTS + 1)];
	int agg_worker[MAX_WORKERS * (NFX_MAX_PORTS + 1)];
	struct nfx_decoder *decs[MAX_WORKERS];
	struct nfx_ndjson *outs[MAX_WORKERS + 1];
	struct nfx_run_view v = {
		.stats_fd = r->ldr ? nfx_loader_stats_fd(r->ldr) : -1,
		.decs = decs, .ndec = r->nw, .xsks = r->xsks, .nxsk = r->nxsk,
		.udps = r->udps, .nudp = r->nudp, .aggs = aggs, .agg_ns = names,
		.agg_worker = agg_worker, .outs = outs, .nout = 1, .rdns = r->rdns,
		.ch = r->ch, .reloads = r->reloads,
	};

	outs[0] = r->out;
	nfx_workers_lock(r);
	for (int k = 0; k < r->nw; k++) {
		struct nfx_worker *w = &r->w[k];

		decs[k] = w->dec;
		if (w->out != r->out)
			outs[v.nout++] = w->out;
		for (int i = 0; i < w->nns; i++) {
			if (!w->ns[i].agg)
				continue;
			aggs[v.nagg] = w->ns[i].agg;
			agg_worker[v.nagg] = k;
			names[v.nagg++] = w->ns[i].name;
		}
	}
	nfx_run_metrics(&r->prom, &v);
	nfx_workers_unlock(r);
	if (r->metrics)
		nfx_metrics_publish(r->metrics, &r->prom);
	if (r->stats_path[0] && nfx_stats_file_write(r->stats_path, r->prom.buf, r->prom.len)) {
		pr_warn("stats file %s: %s; no longer written\n", r->stats_path, strerror(errno));
		r->stats_path[0] = 0;
	}
}

void nfx_summary_print(struct nfx_run *r)
{
	struct nfx_dec_stats sum = { 0 }, *ds = &sum;
	char line[4096];
	size_t n = 0;

	for (int i = 0; i < r->nw; i++)
		nfx_dec_stats_add(&sum, &r->w[i].dec->stats);

#define ADD(...) (n += n < sizeof(line) ? (size_t)snprintf(line + n, sizeof(line) - n, \
							     __VA_ARGS__) : 0)
	ADD("summary:");
	for (int s = 0; s < NFX_SLOT_MAX; s++)
		if (ds->packets[s] || ds->dropped[s])
			ADD(" %s packets=%" PRIu64 " records=%" PRIu64 " dropped=%" PRIu64 ";",
			    nfx_slot_name(s), ds->packets[s], ds->records[s], ds->dropped[s]);
	ADD(" template_not_found=%" PRIu64 " output_records=%" PRIu64,
	    ds->template_not_found, output_records(r));
	if (r->ch) {
		const struct nfx_ch_stats *cs = nfx_ch_stats(r->ch);

		ADD("; clickhouse rows_pushed=%" PRIu64 " rows_sent=%" PRIu64 " batches=%" PRIu64
		    " retries=%" PRIu64 " send_errors=%" PRIu64 " rows_dropped=%" PRIu64
		    " bytes_spooled=%" PRIu64, cs->rows_pushed, cs->rows_sent, cs->batches_sent,
		    cs->retries, cs->send_errors, cs->rows_dropped, cs->bytes_spooled);
	}
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
	for (int i = 0; i < r->w[0].nns; i++) {
		struct nfx_agg_stats as;

		if (!r->w[0].ns[i].agg)
			continue;
		agg_sum(r, r->w[0].ns[i].name, &as);
		ADD("; agg[%s] flows=%" PRIu64 " merged=%" PRIu64 " records=%" PRIu64
		    " contexts_dropped=%" PRIu64, r->w[0].ns[i].name, as.flows_added,
		    as.flows_merged, as.records_flushed, as.contexts_dropped);
	}
	for (int i = 0; r->threaded && i < r->nw; i++) {
		const struct nfx_dec_stats *w = &r->w[i].dec->stats;
		uint64_t rec = 0;

		for (int s = 0; s < NFX_SLOT_MAX; s++)
			rec += w->records[s];
		ADD("; worker[%d] queues=%d records=%" PRIu64, i, r->w[i].nxsk, rec);
	}
	if (r->rdns) {
		const struct nfx_rdns_stats *rs = nfx_rdns_stats(r->rdns);

		ADD("; rdns lookups=%" PRIu64 " cache_hits=%" PRIu64 " queries=%" PRIu64
		    " answers=%" PRIu64 " nxdomain=%" PRIu64 " timeouts=%" PRIu64 " errors=%" PRIu64
		    " rate_limited=%" PRIu64 " cache_size=%" PRIu64 " cache_evictions=%" PRIu64,
		    rs->lookups, rs->cache_hits, rs->queries, rs->answers, rs->nxdomain,
		    rs->timeouts, rs->errors, rs->rate_limited, rs->cache_size,
		    rs->cache_evictions);
	}
#undef ADD
	pr_info("%s\n", line);
}

void nfx_summary_print_kernel(struct nfx_run *r)
{
	struct nfx_ctr c[NFX_SLOT_MAX];
	char line[512];

	if (!r->ldr || nfx_stats_read(nfx_loader_stats_fd(r->ldr), c))
		return;
	nfx_ctr_summary(c, line, sizeof(line));
	pr_info("xdp: %s\n", line);
}
