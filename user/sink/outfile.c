// SPDX-License-Identifier: BSD-2-Clause
/*
 * outfile.c - file sink with rotation and gzip.
 *
 * Rotation renames the live file to PATH.YYYYmmddTHHMMSS (before a ".gz"
 * suffix when there is one) and starts a new one, so readers tailing PATH
 * see a clean end.
 *
 * A backed-up pipe or a full disk takes part of a write, or none of it.
 * Nothing is thrown away here: what the file did not take stays with the
 * caller, who offers it again, so a record is never torn in the middle of
 * the file.  Plain, the file may end in the first part of a line until the
 * rest comes (@torn).  Gzip, each offer (cut at a line end, CHUNK_MAX at
 * most) is deflated with a sync flush into one chunk, which counts as taken
 * once all of it is written; until then it is written on, never compressed
 * twice.  A piece that must be given up (close, reopen, its writer goes
 * away) is cut off the file again (ftruncate), and with gzip the member is
 * ended right there by hand: the chunks before it end on a byte boundary,
 * so an empty final block and the trailer of what they hold complete the
 * member, and what comes next starts a new one.  Concatenated members are
 * one valid gzip file (zcat reads them all).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "base/log.h"
#include "sink/outfile.h"

#define CHUNK_MAX	(1u << 20)	/* input deflated at once */
#define PEND_SIZE	(2u << 20)	/* its output: room for a whole chunk, whatever it holds */
#define END_MAX		20		/* an empty member; a member end is 10 bytes */
#define CLOSE_TRIES	10		/* 100 ms each: a slow pipe at close */

/* A whole gzip member holding nothing: header (no name, no time), empty final block, trailer. */
static const uint8_t empty_member[END_MAX] = {
	0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0x03, 0x00, 0, 0, 0, 0, 0, 0, 0, 0
};

struct nfx_outfile {
	struct nfx_outfile_opts opts;
	char *path;			/* NULL for stdout */
	int fd;
	uint64_t opened_ms;
	uint64_t file_bytes;
	size_t torn;			/* plain: bytes of a line begun in the file, not finished */
	z_stream zs;
	int z_ready;
	uint8_t *pend;			/* the chunk in flight, compressed */
	size_t pend_off, pend_len;
	size_t chunk_len;		/* the caller's bytes it holds */
	uLong chunk_crc, chunk_isize;	/* the member's CRC-32 and length with it */
	uLong crc, isize;		/* ... with the chunks in the file */
	uint64_t member_bytes;		/* the member's bytes in the file, 0 = none yet */
	uint8_t owed[END_MAX];		/* a member end to write before anything else */
	size_t owed_off, owed_len;
	struct nfx_outfile_stats stats;
};

static uint64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * The path, never through a symbolic link (the daemon runs as root: a link
 * planted there must not make it write elsewhere).  A file it creates gets
 * @mode exactly, whatever the umask; an existing one keeps its own.
 */
static int open_path(const char *path, int flags, mode_t mode)
{
	for (int tries = 0; tries < 3; tries++) {
		int fd = open(path, flags | O_CREAT | O_EXCL | O_NOFOLLOW, mode);

		if (fd >= 0) {
			if (!fchmod(fd, mode))
				return fd;
			close(fd);
			return -errno;
		}
		if (errno != EEXIST)
			return -errno;
		fd = open(path, flags | O_NOFOLLOW);
		if (fd >= 0)
			return fd;
		if (errno != ENOENT)	/* else removed in between: create it */
			return -errno;
	}
	return -EAGAIN;
}

static void member_reset(struct nfx_outfile *f)
{
	f->member_bytes = 0;
	f->crc = crc32(0, NULL, 0);
	f->isize = 0;
}

static int file_open(struct nfx_outfile *f)
{
	int flags = O_WRONLY | O_APPEND | O_CLOEXEC | (f->opts.nonblock ? O_NONBLOCK : 0);

	if (!f->path) {
		f->fd = STDOUT_FILENO;
		if (f->opts.nonblock)
			fcntl(f->fd, F_SETFL, fcntl(f->fd, F_GETFL) | O_NONBLOCK);
	} else {
		f->fd = open_path(f->path, flags, f->opts.mode ? f->opts.mode : NFX_OUTFILE_MODE);
		if (f->fd < 0) {
			int err = f->fd;

			if (err == -ELOOP)
				pr_warn("output: %s is a symbolic link: not followed\n", f->path);
			f->fd = -1;
			return err;
		}
	}
	f->file_bytes = 0;
	f->torn = 0;
	f->pend_off = f->pend_len = f->chunk_len = 0;
	f->owed_off = f->owed_len = 0;
	member_reset(f);
	f->opened_ms = wall_ms();
	if (f->opts.gzip) {
		memset(&f->zs, 0, sizeof(f->zs));
		/* windowBits 15 + 16: a gzip header and trailer, not raw zlib */
		if (deflateInit2(&f->zs, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
			if (f->path)
				close(f->fd);
			f->fd = -1;
			return -ENOMEM;
		}
		f->z_ready = 1;
	}
	return 0;
}

/* Writes what the sink takes now; *err says why it stopped short (-EAGAIN: backed up). */
static size_t put(struct nfx_outfile *f, const void *p, size_t len, int *err)
{
	size_t off = 0;

	*err = 0;
	while (off < len) {
		ssize_t n = write(f->fd, (const char *)p + off, len - off);

		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		*err = n < 0 ? -errno : -EIO;
		if (*err == -EAGAIN)
			f->stats.backlogged++;
		else
			f->stats.write_errors++;
		break;
	}
	f->file_bytes += off;
	f->stats.bytes += off;
	return off;
}

/* Cuts the last @len bytes off the file again: a piece that must not stay. */
static void cut_tail(struct nfx_outfile *f, size_t len)
{
	struct stat st;

	if (!len)
		return;
	if (fstat(f->fd, &st) || !S_ISREG(st.st_mode) || (uint64_t)st.st_size < len ||
	    ftruncate(f->fd, st.st_size - (off_t)len)) {
		pr_warn("output: cannot cut %zu bytes of an unfinished write off %s\n", len,
			f->path ? f->path : "stdout");
		return;
	}
	f->file_bytes -= len < f->file_bytes ? len : f->file_bytes;
	f->stats.cuts++;
}

static void put_le32(uint8_t *p, uLong v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/*
 * Ends the member after its last whole chunk: an empty final fixed-Huffman
 * block (the sync flush left the stream on a byte boundary) and the trailer
 * of the data in the file, owed until written.  Deflate starts a new member.
 */
static void member_end(struct nfx_outfile *f)
{
	if (f->member_bytes) {
		f->owed[0] = 0x03;
		f->owed[1] = 0x00;
		put_le32(f->owed + 2, f->crc);
		put_le32(f->owed + 6, f->isize);
		f->owed_off = 0;
		f->owed_len = 10;
	}
	member_reset(f);
	deflateReset(&f->zs);
}

static int owed_drain(struct nfx_outfile *f)
{
	int err;

	f->owed_off += put(f, f->owed + f->owed_off, f->owed_len - f->owed_off, &err);
	if (f->owed_off == f->owed_len)
		f->owed_off = f->owed_len = 0;
	return err;
}

static int pend_drain(struct nfx_outfile *f)
{
	int err;

	f->pend_off += put(f, f->pend + f->pend_off, f->pend_len - f->pend_off, &err);
	return f->pend_off == f->pend_len ? 0 : err;
}

/* The chunk in flight is all in the file: it is part of the member now. */
static void chunk_commit(struct nfx_outfile *f)
{
	f->member_bytes += f->pend_len;
	f->crc = f->chunk_crc;
	f->isize = f->chunk_isize;
	f->pend_off = f->pend_len = f->chunk_len = 0;
}

/* Whole lines, CHUNK_MAX at most (a longer line is cut). */
static size_t chunk_size(const uint8_t *buf, size_t len)
{
	const uint8_t *nl;

	if (len <= CHUNK_MAX)
		return len;
	nl = memrchr(buf, '\n', CHUNK_MAX);
	return nl ? (size_t)(nl + 1 - buf) : CHUNK_MAX;
}

static int chunk_deflate(struct nfx_outfile *f, const uint8_t *buf, size_t len)
{
	f->zs.next_in = (Bytef *)(uintptr_t)buf;
	f->zs.avail_in = (uInt)len;
	f->zs.next_out = f->pend;
	f->zs.avail_out = PEND_SIZE;
	if (deflate(&f->zs, Z_SYNC_FLUSH) != Z_OK || f->zs.avail_in || !f->zs.avail_out) {
		member_end(f);		/* the stream state is lost: keep what is in the file */
		return -EIO;
	}
	f->pend_off = 0;
	f->pend_len = PEND_SIZE - f->zs.avail_out;
	f->chunk_len = len;
	f->chunk_crc = f->zs.adler;	/* gzip: the CRC-32 of the input so far */
	f->chunk_isize = f->zs.total_in;
	return 0;
}

/*
 * File close: a held piece is cut off, the gzip stream ended (an empty file
 * still gets an empty member, so that it is a gzip file).  A slow pipe gets
 * a second; what cannot be written of the end is cut off again.
 */
static void file_close(struct nfx_outfile *f)
{
	if (f->fd < 0)
		return;
	nfx_outfile_abandon(f);
	if (f->z_ready) {
		if (!f->member_bytes && !f->owed_len && !f->file_bytes) {
			memcpy(f->owed, empty_member, sizeof(empty_member));
			f->owed_off = 0;
			f->owed_len = sizeof(empty_member);
		}
		member_end(f);
		for (int i = 0; i < CLOSE_TRIES && f->owed_len; i++)
			if (owed_drain(f) == -EAGAIN)
				poll(&(struct pollfd){ .fd = f->fd, .events = POLLOUT }, 1, 100);
			else if (f->owed_len)
				break;
		if (f->owed_len) {
			pr_warn("output: cannot end the gzip stream of %s: zcat will read its records "
				"and report an unexpected end\n", f->path ? f->path : "stdout");
			cut_tail(f, f->owed_off);
			f->owed_off = f->owed_len = 0;
		}
		deflateEnd(&f->zs);
		f->z_ready = 0;
	}
	if (f->path)
		close(f->fd);
	f->fd = -1;
}

/* PATH.20261122T154000[.N] with a ".gz" suffix kept last. */
static void rotated_name(const struct nfx_outfile *f, char *out, size_t size)
{
	size_t plen = strlen(f->path);
	int gz = plen > 3 && !strcmp(f->path + plen - 3, ".gz");
	time_t now = time(NULL);
	char stamp[32];
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%S", &tm);
	for (int n = 0; n < 1000; n++) {
		char seq[8] = "";

		if (n)
			snprintf(seq, sizeof(seq), ".%d", n);
		snprintf(out, size, "%.*s.%s%s%s", (int)(plen - (gz ? 3 : 0)), f->path, stamp,
			 seq, gz ? ".gz" : "");
		if (lstat(out, &(struct stat){ 0 }))
			return;
	}
}

static int file_rotate(struct nfx_outfile *f)
{
	char name[4096];

	file_close(f);
	rotated_name(f, name, sizeof(name));
	if (rename(f->path, name))
		pr_warn("output: cannot rename %s to %s: %s\n", f->path, name, strerror(errno));
	f->stats.rotations++;
	return file_open(f);
}

/* Due, and nothing half written or owed that belongs to this file. */
static int rotate_due(const struct nfx_outfile *f, uint64_t now_ms)
{
	if (!f->path || nfx_outfile_held(f) || f->owed_len)
		return 0;
	if (f->opts.rotate_bytes && f->file_bytes >= f->opts.rotate_bytes)
		return 1;
	return f->opts.rotate_secs && now_ms - f->opened_ms >= f->opts.rotate_secs * 1000ull;
}

struct nfx_outfile *nfx_outfile_open(const struct nfx_outfile_opts *opts)
{
	struct nfx_outfile *f;
	int err;

	f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->opts = *opts;
	f->fd = -1;
	if (opts->path && strcmp(opts->path, "-")) {
		f->path = strdup(opts->path);
		if (!f->path)
			goto err_free;
	}
	f->opts.path = f->path;
	if (opts->gzip) {
		f->pend = malloc(PEND_SIZE);
		if (!f->pend)
			goto err_free;
	}
	err = file_open(f);
	if (err) {
		errno = -err;
		goto err_free;
	}
	return f;

err_free:
	err = errno;
	free(f->pend);
	free(f->path);
	free(f);
	errno = err;
	return NULL;
}

static ssize_t raw_write(struct nfx_outfile *f, const char *buf, size_t len)
{
	int err;
	size_t n = put(f, buf, len, &err);

	if (n) {
		const char *nl = memrchr(buf, '\n', n);

		f->torn = nl ? (size_t)(buf + n - nl - 1) : f->torn + n;
	}
	return n || err == -EAGAIN ? (ssize_t)n : err;
}

static ssize_t gz_write(struct nfx_outfile *f, const uint8_t *buf, size_t len)
{
	size_t taken = 0;
	int err = 0;

	if (f->chunk_len > len)		/* not the offer it began: give that up */
		nfx_outfile_abandon(f);
	if (f->owed_len)
		err = owed_drain(f);
	if (!err && f->pend_len) {	/* the chunk in flight is the head of this offer */
		err = pend_drain(f);
		if (!err) {
			taken = f->chunk_len;
			chunk_commit(f);
		}
	}
	while (!err && taken < len) {
		size_t n = chunk_size(buf + taken, len - taken);

		err = chunk_deflate(f, buf + taken, n);
		if (!err)
			err = pend_drain(f);
		if (!err) {
			taken += n;
			chunk_commit(f);
		}
	}
	return taken || err == -EAGAIN ? (ssize_t)taken : err;
}

ssize_t nfx_outfile_write(struct nfx_outfile *f, const void *buf, size_t len,
			  uint64_t now_ms)
{
	ssize_t n;

	if (f->fd < 0) {
		int err = file_open(f);

		if (err)
			return err;
	}
	n = f->opts.gzip ? gz_write(f, buf, len) : raw_write(f, buf, len);
	if (n >= 0 && rotate_due(f, now_ms)) {
		int err = file_rotate(f);

		if (err)
			pr_warn("output: cannot open %s after rotation: %s\n", f->path,
				strerror(-err));
	}
	return n;
}

int nfx_outfile_held(const struct nfx_outfile *f)
{
	return f->opts.gzip ? f->pend_len != 0 : f->torn != 0;
}

void nfx_outfile_abandon(struct nfx_outfile *f)
{
	if (f->fd < 0)
		return;
	if (!f->opts.gzip) {
		cut_tail(f, f->torn);
		f->torn = 0;
	} else if (f->pend_len) {
		cut_tail(f, f->pend_off);
		f->pend_off = f->pend_len = f->chunk_len = 0;
		member_end(f);
	}
}

int nfx_outfile_reopen(struct nfx_outfile *f)
{
	if (!f->path)
		return 0;
	file_close(f);
	f->stats.reopens++;
	return file_open(f);
}

void nfx_outfile_close(struct nfx_outfile *f)
{
	if (!f)
		return;
	file_close(f);
	free(f->pend);
	free(f->path);
	free(f);
}

const struct nfx_outfile_stats *nfx_outfile_stats(const struct nfx_outfile *f)
{
	return &f->stats;
}
