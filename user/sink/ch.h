/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ch.h - the ClickHouse sink: flow records as flat JSONEachRow rows,
 * batched by count and by time, gzip-compressed and POSTed by a worker
 * thread over one kept-alive HTTP connection (libcurl) as
 * `INSERT INTO <table> FORMAT JSONEachRow`.
 *
 * Why flat rows and not the NDJSON lines: ClickHouse 18.16 (Debian 12)
 * JSONEachRow maps nested objects to columns only one level deep
 * (input_format_import_nested_json: "source":{"ip":..} -> `source.ip`), and
 * the record has three-level keys (ingress.interface.index), so the sink
 * formats its own rows with flat keys (src_ip, in_if, ...) that match the
 * table of `nfxdp clickhouse-schema` (ch_schema.h) column for column.
 *
 * Threads: nfx_ch_push*(), nfx_ch_tick() and nfx_ch_free() belong to one
 * thread (the event loop) and never block on the network or the disk: they
 * format into the current batch and hand full batches over under a mutex.
 * The worker compresses each batch once; the compressed bytes are what is
 * sent, retried (the identical body, so a ReplicatedMergeTree table drops a
 * retry of a block it already has) and spooled.
 *
 * Delivery: a batch that fails (connection refused, timeout, HTTP status
 * other than 200) is retried with exponential backoff (retry_min_ms doubling
 * up to retry_max_ms).  Batches are always sent in the order they were cut.
 * With a spool_dir, a failed batch, and every batch cut while the server is
 * failing, is written there as one file (its exact gzip body) and sent from
 * there, oldest first, when the server is back; files left by an earlier run
 * are sent first.  The spool holds at most spool_max_bytes: to make room the
 * OLDEST batches are deleted (the newest data is the data still worth having
 * once the store returns); every row so lost is counted in rows_dropped and
 * logged.  Without a spool_dir, batches wait in memory up to mem_max_bytes,
 * with the same oldest-first drop.  A push that finds the hand-over queue
 * full (the worker far behind) drops, counted, rather than wait.
 */
#ifndef NFX_SINK_CH_H
#define NFX_SINK_CH_H

#include <stddef.h>
#include <stdint.h>

#include "base/flow.h"
#include "base/record.h"

struct nfx_ch;

struct nfx_ch_opts {
	const char *url;		/* http://127.0.0.1:8123/?database=default */
	const char *table;		/* default "flows"; [A-Za-z0-9_.] only */
	const char *host;		/* "host" column; NULL = gethostname() */
	uint32_t batch_rows;		/* cut a batch at this many rows; default 50000 */
	uint32_t batch_ms;		/* ... or when its first row is this old; default 1000 */
	size_t batch_bytes;		/* ... or at this many bytes (uncompressed); 32 MiB */
	size_t queue_bytes;		/* uncompressed batches waiting for the worker; 128 MiB */
	size_t mem_max_bytes;		/* compressed batches held in memory; 64 MiB */
	const char *spool_dir;		/* NULL: no spool (memory only) */
	uint64_t spool_max_bytes;	/* default 1 GiB */
	uint32_t retry_min_ms;		/* default 200 */
	uint32_t retry_max_ms;		/* default 30000 */
	uint32_t timeout_ms;		/* one request, connect included; default 30000 */
	uint32_t close_timeout_ms;	/* nfx_ch_free(): sending what is held; 5000 */
	int gzip_level;			/* 1..9, default 1 */
};

/*
 * Checks the options, takes the spool directory (created if missing, locked
 * against a second collector, files of an earlier run queued first) and
 * starts the worker.  No connection is made here.  NULL with errno set
 * and the reason logged ("clickhouse URL: ..." or "clickhouse spool DIR:
 * ..."): EINVAL (bad url/table/option), EBUSY (spool in use), ELOOP or
 * EPERM (spool a symbolic link, or writable by others), ENOMEM, or the
 * error of the spool directory.
 */
struct nfx_ch *nfx_ch_new(const struct nfx_ch_opts *o);

/*
 * Sends what is held (the current batch is cut first) for up to
 * close_timeout_ms; whatever is still unsent then goes to the spool (or is
 * counted dropped without one).  Stops the worker and frees everything.
 */
void nfx_ch_free(struct nfx_ch *c);

/*
 * Appends @nrecords complete rows (@len bytes, each ending in '\n', already
 * in the table's JSONEachRow form) to the current batch.  Never blocks.
 * 0, or -ENOBUFS when the rows were dropped (counted).
 */
int nfx_ch_push(struct nfx_ch *c, const char *lines, size_t len, size_t nrecords);

/*
 * Formats one flow as a flat row (ch_schema.h columns) into the current
 * batch.  @ns is the namespace (NULL = "default"); @host NULL = the sink's;
 * @x what enrichment attached (NULL = nothing).  Cheap when @ns is the same
 * pointer as last time.  Never blocks; safe from several threads.  0,
 * -ENOBUFS (dropped, counted) or -ENAMETOOLONG.
 */
int nfx_ch_push_flow(struct nfx_ch *c, const struct nfx_flow *f, uint64_t flush_ms,
		     const char *ns, const char *host, const struct nfx_enriched *x);
/* nfx_record_fn for a sink fan-out: ctx is a struct nfx_ch *. */
void nfx_ch_record(void *ctx, const struct nfx_record *r);

/* Time-based cut: call every ~100 ms with the wall clock in ms. */
void nfx_ch_tick(struct nfx_ch *c, uint64_t now_ms);

/* Cuts the current batch now (shutdown, tests). */
void nfx_ch_flush(struct nfx_ch *c);

struct nfx_ch_stats {
	uint64_t rows_pushed;		/* rows accepted into a batch */
	uint64_t rows_sent;		/* rows acknowledged by the server */
	uint64_t batches_sent;
	uint64_t bytes_sent;		/* compressed bytes acknowledged */
	uint64_t retries;		/* sends of a batch after its first attempt */
	uint64_t send_errors;		/* failed sends: connection, timeout, HTTP status */
	uint64_t rows_dropped;		/* rows lost: queue, memory or spool bound, shutdown */
	uint64_t batches_dropped;
	uint64_t bytes_spooled;		/* gauge: bytes in the spool directory now */
	uint64_t batches_spooled;	/* gauge: batch files in the spool now */
	uint64_t bytes_spooled_total;	/* bytes ever written to the spool */
	uint64_t rows_pending;		/* gauge: rows cut but not yet acknowledged */
	uint64_t server_down;		/* gauge: 1 while the last send failed */
};

/*
 * A consistent snapshot of the counters (taken under the sink's lock, so
 * any thread may call it), kept in @c until the next call from that
 * thread's point of view: use nfx_ch_stats_read() from several threads.
 */
const struct nfx_ch_stats *nfx_ch_stats(struct nfx_ch *c);
void nfx_ch_stats_read(struct nfx_ch *c, struct nfx_ch_stats *out);

/*
 * Formats one flow as a flat JSONEachRow row into @buf (no newline); ns and
 * host must already be JSON-escaped.  Its length or -ENOSPC.
 */
int nfx_ch_format(char *buf, size_t size, const struct nfx_flow *f, uint64_t flush_ms,
		  const char *ns, const char *host, const struct nfx_enriched *x);

/* The JSON string body of @s into @dst (host, namespace).  0 or -ENAMETOOLONG. */
int nfx_ch_escape(char *dst, size_t size, const char *s);

#endif /* NFX_SINK_CH_H */
