/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * daemon.h - the collector daemon (`nfxdp run`): XDP + AF_XDP input, or plain
 * UDP sockets, into the decoders and the NDJSON writer; one worker
 * (decoder, aggregators, writer) per RX queue.  The entry point is
 * nfx_cmd_run() in cmd.h.
 */
#ifndef NFX_DAEMON_H
#define NFX_DAEMON_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/opts.h"

/* Parses the command line of `nfxdp run`; 0, 1 after --help, or -EINVAL. */
int nfx_run_parse(int argc, char **argv, struct nfx_run_opts *o);
/* Runs until SIGINT/SIGTERM; 0 or -errno. */
int nfx_run(const struct nfx_run_opts *o);

#endif /* NFX_DAEMON_H */
