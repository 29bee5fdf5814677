// SPDX-License-Identifier: BSD-2-Clause
/*
 * daemon_metrics.c - Prometheus names follow the usual conventions: nfx_
 * prefix, _total on counters, one family per quantity with the version,
 * queue, port, exporter or namespace as labels.
 */
#include <stdio.h>
#include <stdlib.h>

#include "io/xdp_maps.h"
#include "control/daemon_metrics.h"
#include "decode/sflow_ctr.h"
#include "decode/tmpl_cache.h"

#define LBL_MAX 160

static void kernel_metrics(struct nfx_prom *p, int stats_fd)
{
	struct nfx_ctr c[NFX_SLOT_MAX];
	char lbl[LBL_MAX];

	if (stats_fd < 0 || nfx_stats_read(stats_fd, c))
		return;
#define X(field, help)                                                                \
	nfx_prom_family(p, "nfx_xdp_" #field "_total", "counter", help);              \
	for (int s = 0; s < NFX_SLOT_MAX; s++) {                                       \
		snprintf(lbl, sizeof(lbl), "version=\"%s\"", nfx_slot_name((unsigned)s)); \
		nfx_prom_sample(p, "nfx_xdp_" #field "_total", lbl, c[s].field);       \
	}
	NFX_CTR_FIELDS(X)
#undef X
}

static void xsk_metrics(struct nfx_prom *p, struct nfx_xsk *const *xsks, int n)
{
	struct nfx_xsk_stats st[NFX_MAX_QUEUES];
	char lbl[LBL_MAX];

	if (n > NFX_MAX_QUEUES)
		n = NFX_MAX_QUEUES;
	for (int q = 0; q < n; q++)
		if (nfx_xsk_stats(xsks[q], &st[q]))
			st[q] = (struct nfx_xsk_stats){ 0 };
#define X(field, help)                                                         \
	nfx_prom_family(p, "nfx_xsk_" #field "_total", "counter", help);       \
	for (int q = 0; q < n; q++) {                                          \
		snprintf(lbl, sizeof(lbl), "queue=\"%d\"", q);                 \
		nfx_prom_sample(p, "nfx_xsk_" #field "_total", lbl, st[q].field); \
	}
	if (!n)
		return;
	X(rx_frames, "Frames read from the AF_XDP RX ring.")
	X(rx_not_udp, "Frames that were not an unfragmented UDP datagram.")
	X(rx_dropped, "XDP_STATISTICS rx_dropped.")
	X(rx_invalid_descs, "XDP_STATISTICS rx_invalid_descs.")
	X(rx_ring_full, "XDP_STATISTICS rx_ring_full.")
	X(rx_fill_ring_empty_descs, "XDP_STATISTICS rx_fill_ring_empty_descs.")
#undef X
#define X(field, help)                                                         \
	nfx_prom_family(p, "nfx_xsk_" #field, "gauge", help);                  \
	for (int q = 0; q < n; q++) {                                          \
		snprintf(lbl, sizeof(lbl), "queue=\"%d\"", q);                 \
		nfx_prom_sample(p, "nfx_xsk_" #field, lbl, st[q].field);       \
	}
	X(busy_poll_usecs, "SO_BUSY_POLL of the socket as the kernel holds it (0: no busy polling).")
	X(prefer_busy_poll, "SO_PREFER_BUSY_POLL of the socket as the kernel holds it.")
#undef X
}

static void udp_metrics(struct nfx_prom *p, struct nfx_udp *const *udps, int n)
{
	char lbl[LBL_MAX];

	if (!n)
		return;
#define X(field, help)                                                          \
	nfx_prom_family(p, "nfx_udp_" #field "_total", "counter", help);        \
	for (int u = 0; u < n; u++) {                                           \
		snprintf(lbl, sizeof(lbl), "port=\"%u\"", nfx_udp_port(udps[u])); \
		nfx_prom_sample(p, "nfx_udp_" #field "_total", lbl,             \
				nfx_udp_stats(udps[u])->field);                 \
	}
	X(datagrams, "Datagrams read from the kernel UDP socket.")
	X(bytes, "Their bytes.")
	X(truncated, "Datagrams larger than the receive buffer.")
#undef X
}

struct exp_ctx {
	struct nfx_prom *p;
	const char *worker;		/* ",worker=\"N\"" or "" */
};

static void exporter_sample(void *ctx, const struct nfx_exporter_info *e)
{
	const struct exp_ctx *c = ctx;
	struct nfx_prom *p = c->p;
	char ip[NFX_ADDR_STRLEN], lbl[LBL_MAX];

	snprintf(lbl, sizeof(lbl), "exporter=\"%s\",port=\"%u\",domain=\"%u\",version=\"%s\"%s",
		 nfx_addr_str(&e->addr, ip), e->port, e->domain, e->version == 9 ? "v9" : "ipfix",
		 c->worker);
	nfx_prom_sample(p, "nfx_exporter_records_total", lbl, e->records);
	nfx_prom_sample(p, "nfx_exporter_template_not_found_total", lbl, e->template_not_found);
	nfx_prom_sample(p, "nfx_exporter_sequence_lost_total", lbl, e->seq_lost);
	nfx_prom_sample(p, "nfx_exporter_sequence_resets_total", lbl, e->seq_resets);
	nfx_prom_sample(p, "nfx_exporter_templates", lbl, e->templates);
}

static void worker_label(char *buf, size_t size, int n, int worker)
{
	if (n > 1)
		snprintf(buf, size, ",worker=\"%d\"", worker);
	else
		buf[0] = 0;
}

static void decoder_metrics(struct nfx_prom *p, struct nfx_decoder *const *d, int n)
{
	struct nfx_dec_stats sum = { 0 }, *s = &sum;
	char lbl[LBL_MAX], wl[32];

	for (int i = 0; i < n; i++)
		nfx_dec_stats_add(&sum, &d[i]->stats);

#define X(field, help)                                                                \
	nfx_prom_family(p, "nfx_decoder_" #field "_total", "counter", help ".");      \
	for (int v = 0; v < NFX_SLOT_MAX; v++) {                                       \
		snprintf(lbl, sizeof(lbl), "version=\"%s\"", nfx_slot_name((unsigned)v)); \
		nfx_prom_sample(p, "nfx_decoder_" #field "_total", lbl, s->field[v]);  \
	}
	NFX_DEC_SLOT_COUNTERS(X)
#undef X
#define X(field, help)                                                           \
	nfx_prom_family(p, "nfx_decoder_" #field "_total", "counter", help ".");  \
	nfx_prom_sample(p, "nfx_decoder_" #field "_total", NULL, s->field);
	NFX_DEC_COUNTERS(X)
#undef X
	nfx_prom_family(p, "nfx_exporter_records_total", "counter",
			"Flow records decoded per v9/IPFIX exporter and domain.");
	nfx_prom_family(p, "nfx_exporter_template_not_found_total", "counter",
			"Data sets without their template, per exporter and domain.");
	nfx_prom_family(p, "nfx_exporter_sequence_lost_total", "counter",
			"Export packets (v9) or records (IPFIX) missing by sequence number.");
	nfx_prom_family(p, "nfx_exporter_sequence_resets_total", "counter",
			"Sequence restarts seen.");
	nfx_prom_family(p, "nfx_exporter_templates", "gauge", "Templates held.");
	for (int i = 0; i < n; i++) {
		struct exp_ctx c = { p, wl };

		worker_label(wl, sizeof(wl), n, i);
		nfx_tmpl_foreach_exporter(d[i]->tmpl, exporter_sample, &c);
	}
	/* how the RX queues' load falls on the worker threads */
	nfx_prom_family(p, "nfx_worker_records_total", "counter",
			"Flow records decoded by each worker, every version.");
	for (int i = 0; i < n; i++) {
		uint64_t rec = 0;

		for (int v = 0; v < NFX_SLOT_MAX; v++)
			rec += d[i]->stats.records[v];
		snprintf(lbl, sizeof(lbl), "worker=\"%d\"", i);
		nfx_prom_sample(p, "nfx_worker_records_total", lbl, rec);
	}
}

struct agg_seq_ctx {
	struct nfx_prom *p;
	const char *ns;
	const char *worker;		/* ",worker=\"N\"" or "" */
};

static void agg_exporter_sample(void *ctx, const struct nfx_agg_exporter *e)
{
	struct agg_seq_ctx *c = ctx;
	char ip[NFX_ADDR_STRLEN], lbl[LBL_MAX + 128];

	snprintf(lbl, sizeof(lbl), "namespace=\"%s\",exporter=\"%s\",type=\"%s\"%s", c->ns,
		 nfx_addr_str(&e->addr, ip), nfx_flow_type_name(e->type), c->worker);
	nfx_prom_sample(c->p, "nfx_flush_sequence_delta_total", lbl, e->delta_total);
	nfx_prom_sample(c->p, "nfx_flush_sequence_resets_total", lbl, e->resets);
	nfx_prom_sample(c->p, "nfx_flush_sequence_last", lbl, e->last_seq);
}

static void agg_metrics(struct nfx_prom *p, const struct nfx_run_view *v)
{
	struct agg_lbl {
		char ns[128];
		char worker[32];
	} *esc;
	char lbl[LBL_MAX + 160];
	struct nfx_agg *const *aggs = v->aggs;
	int n = v->nagg;

	if (!n)
		return;
	esc = calloc((size_t)n, sizeof(*esc));
	if (!esc)
		return;
	/* namespaces come from the configuration and may hold quotes */
	for (int i = 0; i < n; i++) {
		nfx_prom_escape(esc[i].ns, sizeof(esc[i].ns), v->agg_ns[i]);
		worker_label(esc[i].worker, sizeof(esc[i].worker), v->ndec,
			     v->agg_worker ? v->agg_worker[i] : 0);
	}
#define X(field, suffix, type, help)                                              \
	nfx_prom_family(p, "nfx_agg_" #field suffix, type, help);                  \
	for (int i = 0; i < n; i++) {                                              \
		snprintf(lbl, sizeof(lbl), "namespace=\"%s\"%s", esc[i].ns,        \
			 esc[i].worker);                                           \
		nfx_prom_sample(p, "nfx_agg_" #field suffix, lbl,                  \
				nfx_agg_stats(aggs[i])->field);                    \
	}
	X(contexts, "", "gauge", "Flow contexts held.")
	X(flows_added, "_total", "counter", "Flows handed to the aggregator.")
	X(flows_merged, "_total", "counter", "Flows merged into a context already held.")
	X(records_flushed, "_total", "counter", "Aggregated records emitted.")
	X(contexts_dropped, "_total", "counter", "Flows not held: maximum contexts reached.")
	X(overflow_emitted, "_total", "counter", "Of those, emitted unaggregated.")
	X(contexts_expired, "_total", "counter", "Contexts removed after their TTL.")
	X(ports_rolled_up, "_total", "counter", "Flows whose ephemeral port became *.")
	X(rollup_cur_size, "", "gauge", "Port roll-up tracker entries, current generation.")
	X(rollup_new_size, "", "gauge", "Port roll-up tracker entries, next generation.")
	X(rollup_dropped, "_total", "counter", "Ports not tracked: roll-up tracker full.")
	X(index_slots, "", "gauge", "Context index slots in use (the index grows and shrinks with the contexts).")
	X(index_resizes, "_total", "counter", "Times the context index was rebuilt at another size.")
	X(memory_bytes, "", "gauge", "Bytes its tables take once full.")
#undef X
	nfx_prom_family(p, "nfx_flush_sequence_delta_total", "counter",
			"Sequence advance per exporter, accounted at flush (design §5).");
	nfx_prom_family(p, "nfx_flush_sequence_resets_total", "counter",
			"Sequence resets per exporter, accounted at flush.");
	nfx_prom_family(p, "nfx_flush_sequence_last", "gauge", "Highest sequence flushed.");
	for (int i = 0; i < n; i++) {
		struct agg_seq_ctx c = { p, esc[i].ns, esc[i].worker };

		nfx_agg_foreach_exporter(aggs[i], agg_exporter_sample, &c);
	}
	free(esc);
}

/* Every writer's own counters summed; the file's from the first, which owns it. */
static void output_metrics(struct nfx_prom *p, struct nfx_ndjson *const *w, int n)
{
	struct nfx_ndjson_stats sum = *nfx_ndjson_stats(w[0]), *s = &sum;

	for (int i = 1; i < n; i++) {
		const struct nfx_ndjson_stats *o = nfx_ndjson_stats(w[i]);

		sum.records += o->records;
		sum.dropped += o->dropped;
		sum.write_errors += o->write_errors;
	}

#define X(field, help)                                                           \
	nfx_prom_family(p, "nfx_output_" #field "_total", "counter", help);      \
	nfx_prom_sample(p, "nfx_output_" #field "_total", NULL, s->field);
	X(records, "Records written to the output: whole lines in the file.")
	X(dropped, "Records lost: output backed up or failing.")
	X(write_errors, "Output write errors.")
	X(bytes, "Bytes written to the output.")
	X(rotations, "Output file rotations.")
	X(reopens, "Output reopens (SIGHUP).")
#undef X
}

static void rdns_metrics(struct nfx_prom *p, struct nfx_rdns *r)
{
	const struct nfx_rdns_stats *s = nfx_rdns_stats(r);

#define X(field, help)                                                           \
	nfx_prom_family(p, "nfx_rdns_" #field "_total", "counter", help);        \
	nfx_prom_sample(p, "nfx_rdns_" #field "_total", NULL, s->field);
	X(lookups, "Reverse DNS lookups by the record writer (one per endpoint).")
	X(ineligible, "Lookups of addresses outside the reverse DNS prefixes.")
	X(cache_hits, "Lookups answered from the cache (name or negative).")
	X(pending, "Lookups whose PTR query was still in flight.")
	X(queries, "PTR queries sent.")
	X(answers, "PTR answers with a name.")
	X(nxdomain, "NXDOMAIN or no PTR record.")
	X(timeouts, "PTR queries timed out.")
	X(errors, "PTR queries failed: SERVFAIL, REFUSED, connection refused, bad answer.")
	X(rate_limited, "PTR queries not sent: rate limit or in-flight bound.")
	X(throttles, "Times the query rate was halved after resolver failures.")
	X(cache_evictions, "Cache entries evicted because the cache was full.")
	X(cache_expired, "Expired cache entries removed.")
#undef X
#define X(field, help)                                              \
	nfx_prom_family(p, "nfx_rdns_" #field, "gauge", help);      \
	nfx_prom_sample(p, "nfx_rdns_" #field, NULL, s->field);
	X(cache_size, "Reverse DNS cache entries.")
	X(inflight, "PTR queries in flight.")
	X(rate, "Current PTR query rate limit, per second.")
#undef X
}

static void clickhouse_metrics(struct nfx_prom *p, struct nfx_ch *ch)
{
	struct nfx_ch_stats s;

	nfx_ch_stats_read(ch, &s);
#define X(field, name, type, help)                                               \
	nfx_prom_family(p, "nfx_clickhouse_" name, type, help);                  \
	nfx_prom_sample(p, "nfx_clickhouse_" name, NULL, s.field);
	X(rows_pushed, "rows_pushed_total", "counter", "Rows cut into batches for ClickHouse.")
	X(rows_sent, "rows_sent_total", "counter", "Rows acknowledged by ClickHouse.")
	X(batches_sent, "batches_sent_total", "counter", "Batches (INSERTs) acknowledged.")
	X(bytes_sent, "bytes_sent_total", "counter", "Compressed bytes acknowledged.")
	X(retries, "retries_total", "counter", "Sends of a batch after its first attempt.")
	X(send_errors, "send_errors_total", "counter", "Failed sends: connection, timeout, HTTP status.")
	X(rows_dropped, "rows_dropped_total", "counter", "Rows lost: queue, memory or spool bound, shutdown.")
	X(bytes_spooled, "spool_bytes", "gauge", "Bytes in the spool directory.")
	X(batches_spooled, "spool_batches", "gauge", "Batch files in the spool directory.")
	X(bytes_spooled_total, "spooled_bytes_total", "counter", "Bytes ever written to the spool.")
	X(rows_pending, "rows_pending", "gauge", "Rows cut but not yet acknowledged.")
	X(server_down, "server_down", "gauge", "1 while the last send failed.")
#undef X
}

/* Tests and operators see a reload in force here rather than in the log. */
static void reload_metrics(struct nfx_prom *p, const uint64_t *reloads)
{
	nfx_prom_family(p, "nfx_config_reloads_total", "counter",
			"Configuration reloads (SIGHUP, file changed), by result.");
#define X(id, label)                                                             \
	nfx_prom_sample(p, "nfx_config_reloads_total", "result=\"" label "\"",   \
			reloads[NFX_RELOAD_##id]);
	NFX_RELOAD_RESULTS(X)
#undef X
}

/*
 * ---- sFlow interface counters (the agents' counter samples) ----
 * What an operator graphs next to the flows, eleven series per interface
 * (the store holds every generic and Ethernet counter, but 29 series for
 * each of thousands of interfaces would make the page tens of MB).
 */
#define GEN(f)	offsetof(struct nfx_sflow_if, gen.f)
static const struct {
	const char *name;
	const char *type;
	const char *help;
	size_t off[3];			/* uint64_t values summed; 0 ends (never an offset of gen) */
	uint32_t status_bit;		/* a gauge of gen.if_status & bit instead */
} sfif_series[] = {
	{ "nfx_sflow_if_in_octets_total", "counter", "Octets received (ifHCInOctets).",
	  { GEN(in_octets) }, 0 },
	{ "nfx_sflow_if_out_octets_total", "counter", "Octets sent (ifHCOutOctets).",
	  { GEN(out_octets) }, 0 },
	{ "nfx_sflow_if_in_packets_total", "counter", "Packets received: unicast, multicast, broadcast.",
	  { GEN(in_ucast_pkts), GEN(in_mcast_pkts), GEN(in_bcast_pkts) }, 0 },
	{ "nfx_sflow_if_out_packets_total", "counter", "Packets sent: unicast, multicast, broadcast.",
	  { GEN(out_ucast_pkts), GEN(out_mcast_pkts), GEN(out_bcast_pkts) }, 0 },
	{ "nfx_sflow_if_in_errors_total", "counter", "Inbound packets with errors.",
	  { GEN(in_errors) }, 0 },
	{ "nfx_sflow_if_out_errors_total", "counter", "Outbound packets with errors.",
	  { GEN(out_errors) }, 0 },
	{ "nfx_sflow_if_in_discards_total", "counter", "Inbound packets discarded.",
	  { GEN(in_discards) }, 0 },
	{ "nfx_sflow_if_out_discards_total", "counter", "Outbound packets discarded.",
	  { GEN(out_discards) }, 0 },
	{ "nfx_sflow_if_speed_bps", "gauge", "Interface speed in bit/s.", { GEN(if_speed) }, 0 },
	{ "nfx_sflow_if_admin_up", "gauge", "1 when the interface is administratively up.",
	  { 0 }, 1 },
	{ "nfx_sflow_if_oper_up", "gauge", "1 when the interface is operationally up.", { 0 }, 2 },
};
#undef GEN

struct sfif_ctx {
	struct nfx_prom *p;
	unsigned int series;		/* index in sfif_series */
	char worker[32];		/* ",worker=\"N\"" or "" */
};

static void sfif_sample(void *ctx, const struct nfx_sflow_if *e)
{
	const struct sfif_ctx *c = ctx;
	char ip[NFX_ADDR_STRLEN], lbl[LBL_MAX];
	uint64_t val = 0, v;

	if (!e->has_generic)	/* Ethernet counters alone: nothing of these */
		return;
	if (sfif_series[c->series].status_bit) {
		val = !!(e->gen.if_status & sfif_series[c->series].status_bit);
	} else {
		for (int k = 0; k < 3 && sfif_series[c->series].off[k]; k++) {
			memcpy(&v, (const char *)e + sfif_series[c->series].off[k], sizeof(v));
			val += v;
		}
	}
	snprintf(lbl, sizeof(lbl), "agent=\"%s\",ifindex=\"%u\"%s", nfx_addr_str(&e->agent, ip),
		 e->if_index, c->worker);
	nfx_prom_sample(c->p, sfif_series[c->series].name, lbl, val);
}

static void sflow_if_metrics(struct nfx_prom *p, struct nfx_decoder *const *d, int n)
{
	struct sfif_ctx c = { .p = p };

	for (c.series = 0; c.series < sizeof(sfif_series) / sizeof(sfif_series[0]); c.series++) {
		nfx_prom_family(p, sfif_series[c.series].name, sfif_series[c.series].type,
				sfif_series[c.series].help);
		/* an agent's interfaces may reach several workers: each says which */
		for (int i = 0; i < n; i++) {
			worker_label(c.worker, sizeof(c.worker), n, i);
			nfx_sflow_ctr_foreach(d[i]->sfctr, sfif_sample, &c);
		}
	}
}

void nfx_run_metrics(struct nfx_prom *p, const struct nfx_run_view *v)
{
	nfx_prom_reset(p);
	nfx_prom_family(p, "nfx_up", "gauge", "1 while the collector runs.");
	nfx_prom_sample(p, "nfx_up", NULL, 1);
	kernel_metrics(p, v->stats_fd);
	xsk_metrics(p, v->xsks, v->nxsk);
	udp_metrics(p, v->udps, v->nudp);
	if (v->ndec) {
		decoder_metrics(p, v->decs, v->ndec);
		sflow_if_metrics(p, v->decs, v->ndec);
	}
	agg_metrics(p, v);
	if (v->nout)
		output_metrics(p, v->outs, v->nout);
	if (v->rdns)
		rdns_metrics(p, v->rdns);
	if (v->ch)
		clickhouse_metrics(p, v->ch);
	if (v->reloads)
		reload_metrics(p, v->reloads);
}
