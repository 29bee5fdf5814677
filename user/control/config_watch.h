/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * config_watch.h - watches the configuration file for changes, so that the
 * daemon reloads it (and reconcile.h applies it) without a signal.
 */
#ifndef NFX_CONFIG_WATCH_H
#define NFX_CONFIG_WATCH_H

struct nfx_config_watch;

/**
 * nfx_config_watch_new() - watch @path for replacement or rewriting.
 * The directory is watched, so that write-to-temp-then-rename (editors,
 * `mv`), in-place writes, and symlink swaps (Kubernetes ConfigMaps) are
 * all seen.
 * @return the watch, or NULL with errno set (ENOENT when the directory does
 * not exist, EMFILE/ENOSPC from inotify).
 */
struct nfx_config_watch *nfx_config_watch_new(const char *path);

/* The inotify fd for poll() (POLLIN); non-blocking. */
int nfx_config_watch_fd(const struct nfx_config_watch *w);

/**
 * nfx_config_watch_changed() - drain pending events.
 * @return 1 when the file may have changed (reload it), 0 when not, -errno
 * when the events cannot be read or the directory went away.
 */
int nfx_config_watch_changed(struct nfx_config_watch *w);

void nfx_config_watch_free(struct nfx_config_watch *w);

#endif /* NFX_CONFIG_WATCH_H */
