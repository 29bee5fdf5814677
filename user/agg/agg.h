/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * agg.h - the aggregator stage (design §5): decoded flows in, fewer and
 * bigger flows out, with the Datadog Agent's netflow aggregator semantics:
 * aggregation key, merge rules, the 10 s tick with a per-context flush
 * interval and context TTL, ephemeral-port roll-up with two rotating
 * tracker generations, per-exporter sequence accounting at flush.
 *
 * One instance serves one namespace.  Memory is allocated once by
 * nfx_agg_new() and bounded by the options; nothing is allocated per flow.
 * Not thread-safe: one run loop owns it.
 */
#ifndef NFX_AGG_H
#define NFX_AGG_H

#include <stdint.h>

#include "base/flow.h"

/* Defaults, Datadog's where it has one. */
#define NFX_AGG_TICK_MS			10000u
#define NFX_AGG_FLUSH_INTERVAL_MS	300000u
#define NFX_AGG_ROLLUP_THRESHOLD	10u
#define NFX_AGG_ROLLUP_REFRESH_MS	300000u
#define NFX_AGG_MAX_CONTEXTS		262144u
#define NFX_AGG_MAX_EXPORTERS		4096u
/*
 * The roll-up threshold's range: a tracker entry holds 2 x threshold ports
 * and one-byte counts (1 would roll up every port).
 */
#define NFX_AGG_ROLLUP_MIN		2u
#define NFX_AGG_ROLLUP_MAX		255u

struct nfx_agg;

/* Every field 0 = its default. */
struct nfx_agg_opts {
	uint64_t tick_ms;			/* internal flush tick */
	uint64_t flush_interval_ms;		/* aggregator_flush_interval */
	uint64_t flow_context_ttl_ms;		/* 0 = flush_interval_ms */
	uint64_t rollup_refresh_ms;		/* aggregator_rollup_tracker_refresh_interval */
	uint32_t rollup_threshold;		/* aggregator_port_rollup_threshold, NFX_AGG_ROLLUP_MIN..MAX */
	int rollup_disabled;			/* aggregator_port_rollup_disabled */
	uint32_t max_contexts;			/* flow contexts held at most */
	uint32_t max_rollup_entries;		/* per tracker generation; 0 = max_contexts */
	uint32_t max_exporters;			/* sequence accounting entries */
	/*
	 * Not Datadog: a new context first flushes one flush interval after
	 * its creation rather than at the next tick.
	 */
	int delay_first_flush;
	/*
	 * Where a flow goes when it cannot be held (max_contexts reached): it
	 * is passed on unaggregated at once.  Without it, such a flow is
	 * counted in overflow_lost_* and dropped.
	 */
	struct nfx_sink overflow;
};

struct nfx_agg_stats {
	uint64_t contexts;		/* flow contexts held now */
	uint64_t flows_added;		/* flows handed to nfx_agg_add() */
	uint64_t flows_merged;		/* ... merged into a record already held */
	uint64_t records_flushed;	/* aggregated records emitted */
	uint64_t contexts_dropped;	/* flows not held: max_contexts reached */
	uint64_t overflow_emitted;	/* ... passed on unaggregated */
	uint64_t overflow_lost_flows;	/* ... lost (no overflow sink) */
	uint64_t overflow_lost_bytes;
	uint64_t overflow_lost_packets;
	uint64_t contexts_expired;	/* removed after flow_context_ttl */
	uint64_t ports_rolled_up;	/* flows whose port became "*" */
	uint64_t rollup_cur_size;	/* tracker entries, current generation */
	uint64_t rollup_new_size;	/* tracker entries, next generation */
	uint64_t rollup_dropped;	/* ports not tracked: tracker full */
	uint64_t rollup_rotations;
	uint64_t exporters;		/* sequence accounting entries */
	uint64_t exporters_dropped;	/* flushes not accounted: table full */
	uint64_t ticks;			/* internal flush ticks run */
	uint64_t index_slots;		/* context index slots in use now */
	uint64_t index_resizes;		/* times the index was rebuilt at another size */
	uint64_t memory_bytes;		/* its tables once full: nfx_agg_mem() total */
};

/* Sequence accounting of one exporter (design §5), as of its last flush. */
struct nfx_agg_exporter {
	struct nfx_addr addr;
	uint8_t type;			/* enum nfx_flow_type */
	uint8_t reset;			/* the last flush saw a reset */
	uint64_t last_seq;		/* highest sequence of the last flush */
	int64_t delta;			/* sequence advance at the last flush */
	uint64_t delta_total;		/* sum of the deltas: a counter */
	uint64_t resets;		/* resets seen: a counter */
	uint64_t updated_ms;		/* time of the last flush it was in */
};

typedef void (*nfx_agg_exporter_fn)(void *ctx, const struct nfx_agg_exporter *e);

/*
 * What an aggregator's tables take, in bytes.  All of them are allocated by
 * nfx_agg_new(); @touched (the context index and the roll-up tracker, read
 * at random) is backed there and then, the rest (the context array) as
 * contexts are held, up to @total when all max_contexts are.  Per context,
 * with max_contexts a power of two: 288 bytes of context + 16 of index +
 * 2 x (tracker entry + 1) of tracker (entry: 22 + 4 x threshold bytes,
 * rounded up to 8: 64 at threshold 10, 1048 at 255); plus ~1 MB of fixed
 * tables (exporters, pair slots).
 */
struct nfx_agg_mem {
	uint64_t total;
	uint64_t touched;
};

/* 0, or -EINVAL for options nfx_agg_new() refuses. */
int nfx_agg_mem(const struct nfx_agg_opts *opts, struct nfx_agg_mem *m);

/**
 * nfx_agg_new() - allocate an aggregator and all of its tables.
 * @opts: NULL or options; zero fields take the defaults.
 *
 * @return the aggregator, or NULL with errno set (EINVAL, ENOMEM).
 */
struct nfx_agg *nfx_agg_new(const struct nfx_agg_opts *opts);

/* Frees everything; records still held are lost (call flush_all first). */
void nfx_agg_free(struct nfx_agg *a);

/**
 * nfx_agg_add() - account one decoded flow.
 * @now_ms: the current time (creation time of a new context).
 *
 * The flow is copied; the caller keeps it.  It may wait in a short queue
 * (16 flows) before it is accounted; tick, flush_all and stats drain it.
 * @return nothing: a flow that cannot be held is counted in the stats.
 */
void nfx_agg_add(struct nfx_agg *a, const struct nfx_flow *f, uint64_t now_ms);

/* The clock nfx_agg_emit() uses. */
void nfx_agg_set_now(struct nfx_agg *a, uint64_t now_ms);

/* nfx_sink callback: ctx is a struct nfx_agg *; nfx_agg_add() at its clock. */
void nfx_agg_emit(void *ctx, const struct nfx_flow *f);

/**
 * nfx_agg_tick() - run due work; call every second or so.
 * @out: where flushed records go.
 *
 * Runs the internal tick when tick_ms has passed since the last one:
 * flushes the contexts whose flush time has come, removes those empty for
 * flow_context_ttl, and rotates the roll-up tracker every refresh interval.
 * @return nothing; the first call only starts the clocks.
 */
void nfx_agg_tick(struct nfx_agg *a, uint64_t now_ms, const struct nfx_sink *out);

/**
 * nfx_agg_flush_all() - emit every record held (shutdown).
 *
 * Contexts stay, emptied; the sequence accounting runs as at a tick.
 * @return nothing.
 */
void nfx_agg_flush_all(struct nfx_agg *a, uint64_t now_ms, const struct nfx_sink *out);

/**
 * nfx_agg_stats() - the counters, every flow added so far accounted.
 * @return a pointer valid until nfx_agg_free(); the counters move on with
 *         later calls.
 */
const struct nfx_agg_stats *nfx_agg_stats(const struct nfx_agg *a);
/* @to += @from, counter by counter (gauges too: several aggregators as one). */
void nfx_agg_stats_add(struct nfx_agg_stats *to, const struct nfx_agg_stats *from);

/**
 * nfx_agg_foreach_exporter() - the per-exporter sequence accounting.
 *
 * Calls fn once per exporter seen at a flush, in no particular order.
 * @return the number of exporters visited.
 */
unsigned int nfx_agg_foreach_exporter(const struct nfx_agg *a, nfx_agg_exporter_fn fn,
				      void *ctx);

#endif /* NFX_AGG_H */
