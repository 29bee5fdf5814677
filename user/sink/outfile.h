/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * outfile.h - the byte sink under the NDJSON writer: stdout or a file,
 * optionally gzip-compressed (zlib), rotated on size or age, reopened on
 * SIGHUP for logrotate.  A sink that cannot keep up never blocks the
 * caller: nfx_outfile_write() takes what it can and says how much.
 */
#ifndef NFX_OUT_FILE_H
#define NFX_OUT_FILE_H

#include <stdint.h>
#include <sys/types.h>

struct nfx_outfile;

struct nfx_outfile_opts {
	const char *path;		/* NULL or "-" = stdout (no rotation) */
	uint64_t rotate_bytes;		/* rotate when the file reaches this; 0 off */
	uint32_t rotate_secs;		/* rotate when the file is this old; 0 off */
	int gzip;			/* gzip stream, one member per file */
	int nonblock;			/* never wait for the sink (daemon mode) */
};

struct nfx_outfile_stats {
	uint64_t bytes;			/* bytes written to the sink (compressed) */
	uint64_t write_errors;
	uint64_t backlogged;		/* writes the sink could not take at once */
	uint64_t rotations;
	uint64_t reopens;
};

/* Returns NULL with errno set. */
struct nfx_outfile *nfx_outfile_open(const struct nfx_outfile_opts *opts);

/**
 * nfx_outfile_write() - hand bytes to the sink.
 * @return bytes taken (less than @len when the sink is backed up: the caller
 *         keeps the rest and offers it again), or -errno on a write error
 *         (the bytes are then lost and counted).
 */
ssize_t nfx_outfile_write(struct nfx_outfile *f, const void *buf, size_t len,
			  uint64_t now_ms);

/* Close and open the path again (after logrotate moved it).  0 or -errno. */
int nfx_outfile_reopen(struct nfx_outfile *f);

/* Waits for the sink to take everything, ends the gzip stream, closes. */
void nfx_outfile_close(struct nfx_outfile *f);

const struct nfx_outfile_stats *nfx_outfile_stats(const struct nfx_outfile *f);

#endif /* NFX_OUT_FILE_H */
