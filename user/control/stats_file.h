/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * stats_file.h - `nfxdp stats --daemon`: the running daemon's own counters
 * (decoders, aggregators, output, ClickHouse sink, reverse DNS), read from
 * the file each daemon rewrites every second (run --stats-file).
 */
#ifndef NFX_DAEMON_STATS_H
#define NFX_DAEMON_STATS_H

/* Default directory of the daemon counter files read by `nfxdp stats --daemon`. */
#define NFX_STATS_DIR	"/run/nfxdp"

/**
 * nfx_daemon_stats_print() - print the counters of @path, or of every
 * daemon's file in the default directory when @path is NULL.
 * @return 0, or -ENOENT when no daemon counters were found.
 */
int nfx_daemon_stats_print(const char *path, int json);

#endif /* NFX_DAEMON_STATS_H */
