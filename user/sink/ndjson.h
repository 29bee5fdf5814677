/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ndjson.h - the NDJSON sink: one JSON object per flow record (design §4),
 * formatted by hand into a large buffer and written in big chunks, so the
 * hot path makes no syscall and no allocation per record.
 */
#ifndef NFX_OUT_NDJSON_H
#define NFX_OUT_NDJSON_H

#include <stdint.h>

#include "base/fieldmap.h"
#include "base/flow.h"
#include "base/record.h"

struct nfx_ndjson;

struct nfx_ndjson_opts {
	const char *path;		/* NULL or "-" = stdout */
	const char *namespace;		/* device.namespace; default "default" */
	const char *host;		/* NULL = gethostname() */
	unsigned int flags;		/* NFX_NDJSON_* */
	uint64_t rotate_bytes;		/* see struct nfx_outfile_opts */
	uint32_t rotate_secs;
	int gzip;
	int nonblock;			/* a backed-up sink drops records, counted */
	unsigned int mode;		/* a new output file's permissions; 0 = 0640 */
};

/* Also write start_ms/end_ms: exact times, for comparing with references. */
#define NFX_NDJSON_MS_TIMES	(1u << 0)

/* Returns NULL with errno set. */
struct nfx_ndjson *nfx_ndjson_open(const struct nfx_ndjson_opts *opts);
/* Flushes what is buffered and closes the output (not stdout). */
void nfx_ndjson_close(struct nfx_ndjson *w);

/*
 * device.namespace of the records written after this call.  Cheap when
 * @ns is the same pointer as last time (records are routed per listener).
 * 0 or -ENAMETOOLONG.
 */
int nfx_ndjson_set_namespace(struct nfx_ndjson *w, const char *ns);
/* flush_timestamp used for the records written after this call. */
void nfx_ndjson_set_now(struct nfx_ndjson *w, uint64_t now_ms);
/*
 * Formats one flow as it was decoded (the writer's namespace and clock, no
 * enrichment: `nfxdp decode`); writes out when the buffer is nearly full.
 * 0 or -errno.
 */
int nfx_ndjson_write(struct nfx_ndjson *w, const struct nfx_flow *f);
/* The daemon's path: a routed, enriched record (reverse DNS names, mapped fields). */
int nfx_ndjson_write_record(struct nfx_ndjson *w, const struct nfx_record *r);
/* nfx_record_fn for a sink fan-out: ctx is a struct nfx_ndjson *. */
void nfx_ndjson_record(void *ctx, const struct nfx_record *r);
/*
 * Writes out what is buffered, as far as the sink takes it.  Call once per
 * batch / on a timer.  0, or -errno of a write error: the records stay in
 * the buffer for the next flush (new ones are dropped, counted, once it is
 * full) and the writer warns, at most once a minute.
 */
int nfx_ndjson_flush(struct nfx_ndjson *w);
/* SIGHUP: reopen the output file (logrotate).  0 or -errno (-EINVAL on a clone). */
int nfx_ndjson_reopen(struct nfx_ndjson *w);
/*
 * A writer for another thread: its own buffer and counters, the same file
 * (whole lines, never interleaved) and settings as @parent.  Close every
 * clone before the parent.  Its stats' file figures (bytes, rotations,
 * reopens) are the shared file's.  NULL with errno set.
 */
struct nfx_ndjson *nfx_ndjson_clone(struct nfx_ndjson *parent);
/* nfx_sink callback: ctx is a struct nfx_ndjson *. */
void nfx_ndjson_emit(void *ctx, const struct nfx_flow *f);

/*
 * Formats one record into buf (no newline); namespace and host must already
 * be JSON-escaped.  Returns its length or -ENOSPC.
 */
int nfx_ndjson_format(char *buf, size_t size, const struct nfx_flow *f,
		      uint64_t flush_ms, const char *namespace, const char *host,
		      unsigned int flags);

/*
 * Every record given to a writer is, in the end, written or dropped:
 * records + dropped + pending = records given, and records is the number
 * of lines the writer put in the file (whole lines, none cut off again).
 */
struct nfx_ndjson_stats {
	uint64_t records;		/* records written: whole lines in the file */
	uint64_t dropped;		/* records lost: sink backed up or failing */
	uint64_t pending;		/* records in the buffer, not yet written */
	uint64_t write_errors;		/* failed flushes (and records too long to format) */
	uint64_t bytes;			/* bytes given to the sink */
	uint64_t rotations;
	uint64_t reopens;
};
/* The writer's counters, its file's folded in. */
const struct nfx_ndjson_stats *nfx_ndjson_stats(struct nfx_ndjson *w);

#endif /* NFX_OUT_NDJSON_H */
