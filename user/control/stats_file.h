/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * stats_file.h - `nfxdp stats --daemon`: the running daemon's own counters
 * (decoders, aggregators, output, ClickHouse sink, reverse DNS), read from
 * the file each daemon rewrites every second (run --stats-file).
 */
#ifndef NFX_DAEMON_STATS_H
#define NFX_DAEMON_STATS_H

#include <stddef.h>
#include <stdint.h>

/* Default directory of the daemon counter files read by `nfxdp stats --daemon`. */
#define NFX_STATS_DIR	"/run/nfxdp"

/*
 * The runtime directory (counter files, hand-over sockets): systemd's
 * $RUNTIME_DIRECTORY (RuntimeDirectory=, the first if several) when set to
 * an absolute path, else NFX_STATS_DIR.
 */
const char *nfx_runtime_dir(void);

/*
 * Where a daemon writes its counters into @buf: @opt (--stats-file; "none"
 * = nowhere, buf ""), else RUNTIME/IF.prom with an interface or
 * RUNTIME/udp-PORT.prom (nfx_runtime_dir(); buf "" when it cannot be made).
 */
void nfx_stats_file_path(char *buf, size_t len, const char *opt, const char *ifname,
			 uint16_t udp_port);
/* @text as the file at @path, replaced atomically.  0 or -errno. */
int nfx_stats_file_write(const char *path, const char *text, size_t len);

/**
 * nfx_daemon_stats_print() - print the counters of @path, or of every
 * daemon's file in the default directory when @path is NULL.
 * @return 0, or -ENOENT when no daemon counters were found.
 */
int nfx_daemon_stats_print(const char *path, int json);

#endif /* NFX_DAEMON_STATS_H */
