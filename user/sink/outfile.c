// SPDX-License-Identifier: BSD-2-Clause
/*
 * outfile.c - file sink with rotation and gzip.
 *
 * Rotation renames the live file to PATH.YYYYmmddTHHMMSS (before a ".gz"
 * suffix when there is one) and starts a new one, so readers tailing PATH
 * see a clean end.  With gzip every file is one complete gzip member;
 * each write ends with a sync flush so that what was written can be read
 * back before the file is closed.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "base/log.h"
#include "sink/outfile.h"

#define PEND_SIZE	(2u << 20)

struct nfx_outfile {
	struct nfx_outfile_opts opts;
	char *path;			/* NULL for stdout */
	int fd;
	uint64_t opened_ms;
	uint64_t file_bytes;
	z_stream zs;
	int z_ready;
	uint8_t *pend;			/* compressed bytes not yet written */
	size_t pend_off, pend_len;
	struct nfx_outfile_stats stats;
};

static uint64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int file_open(struct nfx_outfile *f)
{
	int flags = O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC;

	if (!f->path) {
		f->fd = STDOUT_FILENO;
		if (f->opts.nonblock)
			fcntl(f->fd, F_SETFL, fcntl(f->fd, F_GETFL) | O_NONBLOCK);
	} else {
		f->fd = open(f->path, flags | (f->opts.nonblock ? O_NONBLOCK : 0), 0644);
		if (f->fd < 0)
			return -errno;
	}
	f->file_bytes = 0;
	f->opened_ms = wall_ms();
	if (f->opts.gzip) {
		memset(&f->zs, 0, sizeof(f->zs));
		/* windowBits 15 + 16: a gzip header and trailer, not raw zlib */
		if (deflateInit2(&f->zs, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
			return -ENOMEM;
		f->z_ready = 1;
	}
	return 0;
}

/* Write pending compressed bytes; -EAGAIN when the sink is full. */
static int pend_drain(struct nfx_outfile *f, int wait)
{
	while (f->pend_off < f->pend_len) {
		ssize_t n = write(f->fd, f->pend + f->pend_off, f->pend_len - f->pend_off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			if (!wait)
				return -EAGAIN;
			poll(&(struct pollfd){ .fd = f->fd, .events = POLLOUT }, 1, 1000);
			continue;
		}
		if (n <= 0) {
			f->stats.write_errors++;
			f->pend_off = f->pend_len = 0;
			return n < 0 ? -errno : -EIO;
		}
		f->pend_off += (size_t)n;
		f->file_bytes += (uint64_t)n;
		f->stats.bytes += (uint64_t)n;
	}
	f->pend_off = f->pend_len = 0;
	return 0;
}

static int z_push(struct nfx_outfile *f, const void *buf, size_t len, int flush)
{
	f->zs.next_in = (Bytef *)(uintptr_t)buf;
	f->zs.avail_in = (uInt)len;
	do {
		int zr;

		f->zs.next_out = f->pend + f->pend_len;
		f->zs.avail_out = (uInt)(PEND_SIZE - f->pend_len);
		zr = deflate(&f->zs, flush);
		if (zr == Z_STREAM_ERROR)
			return -EIO;
		f->pend_len = PEND_SIZE - f->zs.avail_out;
		if (f->zs.avail_out == 0) {
			int err = pend_drain(f, 1);

			if (err)
				return err;
		}
	} while (f->zs.avail_in || f->zs.avail_out == 0);
	return 0;
}

static void file_close(struct nfx_outfile *f)
{
	if (f->z_ready) {
		if (!z_push(f, NULL, 0, Z_FINISH))
			pend_drain(f, 1);
		deflateEnd(&f->zs);
		f->z_ready = 0;
	}
	if (f->path && f->fd >= 0)
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
		if (access(out, F_OK))
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

static int rotate_due(const struct nfx_outfile *f, uint64_t now_ms)
{
	if (!f->path)
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

static ssize_t raw_write(struct nfx_outfile *f, const void *buf, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = write(f->fd, (const char *)buf + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			f->stats.backlogged++;
			break;
		}
		if (n <= 0) {
			f->stats.write_errors++;
			return n < 0 ? -errno : -EIO;
		}
		off += (size_t)n;
		f->file_bytes += (uint64_t)n;
		f->stats.bytes += (uint64_t)n;
	}
	return (ssize_t)off;
}

static ssize_t gz_write(struct nfx_outfile *f, const void *buf, size_t len)
{
	int err = pend_drain(f, 0);

	if (err == -EAGAIN) {
		f->stats.backlogged++;
		return 0;
	}
	if (err)
		return err;
	err = z_push(f, buf, len, Z_SYNC_FLUSH);
	if (err)
		return err;
	err = pend_drain(f, 0);
	if (err == -EAGAIN)
		f->stats.backlogged++;	/* taken: the rest goes out on the next call */
	else if (err)
		return err;
	return (ssize_t)len;
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
	if (n >= 0 && f->pend_len == 0 && rotate_due(f, now_ms)) {
		int err = file_rotate(f);

		if (err)
			pr_warn("output: cannot open %s after rotation: %s\n", f->path,
				strerror(-err));
	}
	return n;
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
	if (f->pend_len)
		pend_drain(f, 1);
	file_close(f);
	free(f->pend);
	free(f->path);
	free(f);
}

const struct nfx_outfile_stats *nfx_outfile_stats(const struct nfx_outfile *f)
{
	return &f->stats;
}
