/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sinks.h - opening, replacing and closing the daemon's sinks (NDJSON
 * output, ClickHouse) and enrichment (reverse DNS, mapped-field table),
 * each from the running configuration.  A failure to open says so on one
 * line and leaves what was running in place.
 */
#ifndef NFX_DAEMON_SINKS_H
#define NFX_DAEMON_SINKS_H

#include "daemon/state.h"

/* The output file and, with worker threads, one writer per worker sharing it.  0 or -errno. */
int nfx_sinks_open_output(struct nfx_run *r);
void nfx_sinks_close_output(struct nfx_run *r);
/* A changed output: what the workers hold goes to the old file, then the new one takes over. */
void nfx_sinks_replace_output(struct nfx_run *r);
/* SIGHUP: the path opened again (logrotate). */
void nfx_sinks_reopen_output(struct nfx_run *r);
/* ClickHouse when the configuration names a URL.  0 or -errno. */
int nfx_sinks_open_clickhouse(struct nfx_run *r);
/* Reverse DNS when enabled; a failed reload keeps the running resolver.  0 or -errno. */
int nfx_sinks_open_rdns(struct nfx_run *r);
void nfx_sinks_close_rdns(struct nfx_run *r);
/* The listeners' additional-field mappings, for the plan compilers and enrichment. */
void nfx_sinks_build_fieldmaps(struct nfx_run *r);

#endif /* NFX_DAEMON_SINKS_H */
