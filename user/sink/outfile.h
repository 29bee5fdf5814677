/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * outfile.h - the byte sink under the NDJSON writer: stdout or a file,
 * optionally gzip-compressed (zlib), rotated on size or age, reopened on
 * SIGHUP for logrotate.  A sink that cannot keep up never blocks the
 * caller: nfx_outfile_write() takes what it can and says how much.  A
 * failing one (a full disk) is the same: what it does not take stays with
 * the caller, and the file never keeps half a record in its middle.
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
	unsigned int mode;		/* permissions of a file it creates; 0 = 0640 */
};

#define NFX_OUTFILE_MODE	0640

struct nfx_outfile_stats {
	uint64_t bytes;			/* bytes written to the sink (compressed) */
	uint64_t write_errors;
	uint64_t backlogged;		/* writes the sink could not take at once */
	uint64_t rotations;
	uint64_t reopens;
	uint64_t cuts;			/* half-written pieces cut off the file again */
};

/*
 * Opens (appends to) the file, never through a symbolic link (ELOOP); a
 * file it creates gets opts->mode whatever the umask.  NULL with errno set.
 */
struct nfx_outfile *nfx_outfile_open(const struct nfx_outfile_opts *opts);

/**
 * nfx_outfile_write() - hand whole lines to the sink.
 * @return bytes taken, that is in the file (gzip: compressed and written);
 *         less than @len when the sink is backed up or failing.  The caller
 *         keeps the rest and offers it again, unchanged, at the head of its
 *         next offer: while nfx_outfile_held(), the file holds the start of
 *         it (part of a line, a gzip chunk half written).  -errno when a
 *         write error left nothing taken (the bytes are still the caller's).
 */
ssize_t nfx_outfile_write(struct nfx_outfile *f, const void *buf, size_t len,
			  uint64_t now_ms);

/*
 * The file holds the first part of bytes it has not taken: the writer that
 * offered them must offer the rest before anyone else writes.
 */
int nfx_outfile_held(const struct nfx_outfile *f);

/*
 * Gives up the held piece: it is cut off the file again (plain: back to the
 * last whole line; gzip: back to the last whole chunk, and the member ends
 * there, so the next bytes start a new one).  Whoever offered it offers it
 * again from its start, or counts it lost.
 */
void nfx_outfile_abandon(struct nfx_outfile *f);

/*
 * Close and open the path again (after logrotate moved it); a held piece is
 * abandoned first.  0 or -errno.
 */
int nfx_outfile_reopen(struct nfx_outfile *f);

/* Abandons a held piece, ends the gzip stream, closes. */
void nfx_outfile_close(struct nfx_outfile *f);

const struct nfx_outfile_stats *nfx_outfile_stats(const struct nfx_outfile *f);

#endif /* NFX_OUT_FILE_H */
