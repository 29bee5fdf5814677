// SPDX-License-Identifier: BSD-2-Clause
/*
 * state_file.c - the state file's life on disk (state_file.h).  The bytes
 * are checked by their reader (decode/dec_state.c); here only what a path
 * can do wrong: a link, a FIFO, a file someone else could have written,
 * one larger than any state nfxdp writes.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"
#include "control/state_file.h"
#include "decode/dec_state.h"

int nfx_state_dir_prepare(const char *dir)
{
	struct stat st;

	if (!mkdir(dir, 0700))
		return 1;
	if (errno != EEXIST || stat(dir, &st)) {
		pr_warn("state directory %s: %s\n", dir, strerror(errno));
		return -errno;
	}
	if (!S_ISDIR(st.st_mode)) {
		pr_warn("state directory %s: not a directory\n", dir);
		return -ENOTDIR;
	}
	return 0;
}

int nfx_state_dir_writable(const char *dir)
{
	char probe[PATH_MAX];
	int fd;

	snprintf(probe, sizeof(probe), "%s/.probe-XXXXXX", dir);
	fd = mkstemp(probe);
	if (fd < 0) {
		int err = errno;

		pr_warn("state directory %s is not writable: %s\n", dir, strerror(err));
		return -err;
	}
	close(fd);
	unlink(probe);
	return 0;
}

void nfx_state_file_path(char *buf, size_t len, const char *dir, const char *ifname,
			 uint16_t udp_port)
{
	if (ifname)
		snprintf(buf, len, "%s/%s.state", dir, ifname);
	else
		snprintf(buf, len, "%s/udp-%u.state", dir, udp_port);
}

static int write_all(int fd, const uint8_t *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -ENOSPC;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The rename itself must reach the disk too, or a crash may bring the old file back. */
static void sync_dir_of(const char *path)
{
	char dir[PATH_MAX];
	char *slash;
	int fd;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

int nfx_state_file_write(const char *path, const uint8_t *p, size_t len, int sync)
{
	char tmp[PATH_MAX + 8];
	int fd, err;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	unlink(tmp);	/* a file or link someone put there is never written through */
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	err = write_all(fd, p, len);
	if (!err && sync && fsync(fd))
		err = -errno;
	if (close(fd) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err) {
		unlink(tmp);
		return err;
	}
	if (sync)
		sync_dir_of(path);
	return 0;
}

/* Refuse what another local user could have put or changed there. */
static int check_owner(const struct stat *st, const char **why)
{
	if (!S_ISREG(st->st_mode)) {
		*why = "not a regular file";
		return -EINVAL;
	}
	if (st->st_uid && st->st_uid != geteuid()) {
		*why = "owned by another user";
		return -EPERM;
	}
	if (st->st_mode & 022) {
		*why = "writable by other users";
		return -EPERM;
	}
	if (st->st_size > NFX_STATE_MAX_BYTES) {
		*why = "larger than any state nfxdp writes";
		return -EFBIG;
	}
	return 0;
}

static int read_all(int fd, uint8_t *p, size_t len)
{
	while (len) {
		ssize_t n = read(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;	/* shrank under us */
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int nfx_state_file_read(const char *path, uint8_t **out, size_t *len, const char **why)
{
	struct stat st;
	uint8_t *p = NULL;
	int fd, err;

	*out = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		*why = strerror(errno);
		return -errno;
	}
	err = fstat(fd, &st) ? -errno : check_owner(&st, why);
	if (err) {
		if (err != -EINVAL && err != -EPERM && err != -EFBIG)
			*why = strerror(-err);
		goto out;
	}
	p = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!p) {
		err = -ENOMEM;
		*why = strerror(ENOMEM);
		goto out;
	}
	err = read_all(fd, p, (size_t)st.st_size);
	if (err) {
		*why = "read failed";
		free(p);
		goto out;
	}
	*out = p;
	*len = (size_t)st.st_size;
out:
	close(fd);
	return err;
}
