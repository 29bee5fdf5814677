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

#include "control/config.h"
#include "io/loader.h"

struct nfx_run_opts {
	const char *ifname;		/* NULL: --udp mode */
	const char *config_path;	/* -c: JSON configuration, watched; NULL = defaults */
	const char *metrics_listen;	/* --metrics [ADDR:]PORT, NULL = off */
	const char *stats_file;		/* --stats-file, NULL = the default, "none" = off */
	const char *pin_dir;
	const char *bind_addr;
	int skb_mode;
	int no_attach;
	int force;
	int udp_only;
	/* command-line values of configuration keys, applied on top of the file */
	struct nfx_cfg_overrides ov;
	/* -p PORT... as the "listeners" key (JSON), ov points into it */
	char listeners[NFX_MAX_PORTS * 2 * 48 + 4];
	int nports;
};

/* Parses the command line of `nfxdp run`; 0, 1 after --help, or -EINVAL. */
int nfx_run_parse(int argc, char **argv, struct nfx_run_opts *o);
/* Runs until SIGINT/SIGTERM; 0 or -errno. */
int nfx_run(const struct nfx_run_opts *o);

#endif /* NFX_DAEMON_H */
