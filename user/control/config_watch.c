// SPDX-License-Identifier: BSD-2-Clause
/*
 * config_watch.c - tells the daemon when its configuration file may have
 * changed: inotify on the file's directory, then a stat() of the path to
 * see whether it resolves to something new.
 */
#include <errno.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"
#include "control/config_watch.h"

struct nfx_config_watch {
	int fd;
	int wd;
	char *path;
	char *name;		/* last path component */
	struct stat last;	/* what the path resolved to at the last check */
	bool have_last;
};

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* Whether the path now resolves to something else than at the last check. */
static bool identity_changed(struct nfx_config_watch *w)
{
	struct stat st;
	bool had = w->have_last, changed;

	if (stat(w->path, &st)) {
		w->have_last = false;
		return had;
	}
	changed = !had || !same_file(&st, &w->last);
	w->last = st;
	w->have_last = true;
	return changed;
}

struct nfx_config_watch *nfx_config_watch_new(const char *path)
{
	struct nfx_config_watch *w = calloc(1, sizeof(*w));
	char *copy = NULL, *copy2 = NULL;
	int err;

	if (!w)
		return NULL;
	w->fd = -1;
	w->path = strdup(path);
	/* POSIX dirname()/basename() may write into their argument */
	copy = strdup(path);
	copy2 = strdup(path);
	if (!w->path || !copy || !copy2 || !(w->name = strdup(basename(copy2)))) {
		err = ENOMEM;
		goto fail;
	}
	w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->fd < 0) {
		err = errno;
		goto fail;
	}
	/* the directory, not the file: a rename-replace leaves a file watch behind */
	w->wd = inotify_add_watch(w->fd, dirname(copy),
				  IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE_SELF |
				  IN_MOVE_SELF | IN_ONLYDIR);
	if (w->wd < 0) {
		err = errno;
		goto fail;
	}
	identity_changed(w);
	free(copy);
	free(copy2);
	return w;
fail:
	free(copy);
	free(copy2);
	nfx_config_watch_free(w);
	errno = err;
	return NULL;
}

int nfx_config_watch_fd(const struct nfx_config_watch *w)
{
	return w->fd;
}

/* What one event says: 1 the file changed, 0 maybe (check identity), -errno. */
static int event_says(const struct nfx_config_watch *w, const struct inotify_event *ev)
{
	if (ev->mask & IN_Q_OVERFLOW)
		return 1;
	if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED)) {
		pr_warn("%s: its directory was removed or moved, no longer watched\n", w->path);
		return -ENOENT;
	}
	if (ev->len && !strcmp(ev->name, w->name))
		return 1;
	return 0;
}

int nfx_config_watch_changed(struct nfx_config_watch *w)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool named = false, any = false;
	int err = 0;

	for (;;) {
		ssize_t n = read(w->fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;
			int r = event_says(w, ev);

			if (r < 0)
				err = r;
			named |= r > 0;
			any = true;
			p += sizeof(*ev) + ev->len;
		}
	}
	if (err)
		return err;
	if (!any)
		return 0;
	/* other names matter too: a symlink swap renames "..data", not our file */
	if (identity_changed(w) || named)
		return 1;
	return 0;
}

void nfx_config_watch_free(struct nfx_config_watch *w)
{
	if (!w)
		return;
	if (w->fd >= 0)
		close(w->fd);
	free(w->path);
	free(w->name);
	free(w);
}
